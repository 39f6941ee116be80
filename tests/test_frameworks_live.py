"""Every framework's entry point and every port in 1-D and 3-D against the live framework, on hypothesis-drawn
configurations: accepted ones equal to float tolerance, refused ones refused by both (ours an ArgumentError or
TypeError naming the argument, raised before any work). Each framework's tests skip where it does not import; the
'frameworks' extra installs them all (tensorflow-cpu, Keras 3, jax, onnx, onnxruntime) beside torch.

What the CPU builds cannot run is left out here and covered by tests/test_frameworks_nd.py's golden arrays: TF and
Keras (TensorFlow backend) with dilation > 1 or channels first."""
import contextlib
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tconv_edu as te
from tconv_edu import frameworks as fw
from tconv_edu import porting
from tconv_cases import close
from test_port_nd import nd_layers, to_layout

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])
RANKS = st.sampled_from([1, 3])


def _live(name):
    """The framework module, or a skip where it does not import."""
    return pytest.importorskip(name)


@contextlib.contextmanager
def _no_work():
    """Fail if the computation starts: a refusal must come first."""
    def reached(*args, **kwargs):
        raise AssertionError("the computation ran before the bad argument was reported")

    saved = fw._base.transpose
    fw._base.transpose = reached
    try:
        yield
    finally:
        fw._base.transpose = saved


def _both(live_call, ours_call, names, rtol):
    """Run the live framework and ours: equal where the framework computes, both refuse where it refuses."""
    try:
        want = np.asarray(live_call())
    except Exception as err:                # each framework raises its own class
        with _no_work(), pytest.raises((te.ArgumentError, TypeError)) as info:
            ours_call()
        msg = str(info.value)
        assert any(n in msg for n in names), f"{msg!r} names none of {names} (the framework: {err})"
        return None
    got = ours_call()
    close(got, want, rtol)
    return got


def _sizes(draw, rank, lo, hi):
    return tuple(draw(st.integers(lo, hi)) for _ in range(rank))


def _spatial(draw, rank):
    """Input and kernel sizes: small in 3-D, longer in 1-D."""
    return (_sizes(draw, rank, 1, 6 if rank == 1 else 3), _sizes(draw, rank, 1, 5 if rank == 1 else 3))


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


# ------------------------------------------------------------------------------------------------ TensorFlow

@st.composite
def tf_calls(draw):
    rank = draw(RANKS)
    n, k = _spatial(draw, rank)
    spelling = draw(st.sampled_from(["int", "r", "one", "r+2"]))
    s = (draw(st.integers(1, 3)),) * rank if spelling in ("int", "one") else _sizes(draw, rank, 1, 3)
    strides = {"int": s[0], "one": [s[0]], "r": list(s)}.get(spelling)
    if strides is None:                     # 1-D: the 2-D call's (row, column, channel); 3-D: NDHWC order
        strides = [draw(st.integers(1, 2)), s[0], 1] if rank == 1 else [1, *s, 1]
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    out = []
    for i in range(rank):                   # mostly a size TensorFlow takes (worked out here), else any near one
        lo = (n[i] - 1) * s[i] + (1 if padding == "SAME" else k[i])
        hi = n[i] * s[i] if padding == "SAME" else lo + s[i] - 1
        near = draw(st.booleans()) and draw(st.booleans())
        out.append(draw(st.integers(max(1, lo - 2), hi + 2) if near else st.integers(lo, hi)))
    c_in, c_out, batch = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    rng = _rng(draw)
    x, f = rng.standard_normal((batch, *n, c_in)), rng.standard_normal((*k, c_out, c_in))
    return rank, x, f, [batch, *out, c_out], strides, padding


@FEW
@given(tf_calls())
def test_tf_conv1d_and_conv3d_transpose_match_tensorflow(call):
    tf = _live("tensorflow")
    rank, x, f, shape, strides, padding = call
    ours = {1: te.conv1d_transpose, 3: te.conv3d_transpose}[rank]
    _both(lambda: getattr(tf.nn, f"conv{rank}d_transpose")(x, f, shape, strides, padding).numpy(),
          lambda: ours(x, f, shape, strides, padding), ("output_shape", "strides", "padding"), 1e-10)


# ------------------------------------------------------------------------------------------------ Keras

def _keras():
    keras = _live("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the library follows Keras' TensorFlow backend; this process runs another")
    return keras


def _keras_live(keras, rank, x, kernel, bias, params):
    layer = getattr(keras.layers, f"Conv{rank}DTranspose")(kernel.shape[-2], kernel.shape[:rank],
                                                           use_bias=bias is not None, dtype="float64", **params)
    layer.build(x.shape)
    layer.set_weights([kernel] if bias is None else [kernel, bias])
    return np.asarray(layer(x))


@st.composite
def keras_calls(draw):
    rank = draw(RANKS)
    n, k = _spatial(draw, rank)
    s = _sizes(draw, rank, 1, 3)
    # dilation only beside a stride > 1 (Keras refuses the pair; with stride 1 the TensorFlow CPU kernel refuses)
    d = _sizes(draw, rank, 1, 2) if max(s) > 1 and not draw(st.integers(0, 3)) else (1,) * rank
    op = draw(st.sampled_from([None, "pick"]))
    op = None if op is None else [draw(st.integers(0, si - 1)) for si in s]
    if op is not None and not draw(st.integers(0, 3)):     # sometimes one axis at its stride: Keras refuses
        axis = draw(st.integers(0, rank - 1))
        op[axis] = s[axis]
    op = None if op is None else tuple(op)
    params = {"strides": s, "padding": draw(st.sampled_from(["same", "valid"])), "output_padding": op,
              "dilation_rate": d}
    c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    rng = _rng(draw)
    x, kernel = rng.standard_normal((draw(st.integers(1, 2)), *n, c_in)), rng.standard_normal((*k, c_out, c_in))
    bias = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return rank, x, kernel, bias, params


@FEW
@given(keras_calls())
def test_keras_conv1d_and_conv3d_transpose_match_keras(call):
    keras = _keras()
    rank, x, kernel, bias, params = call
    ours = {1: fw.keras_conv1d_transpose, 3: fw.keras_conv3d_transpose}[rank]
    _both(lambda: _keras_live(keras, rank, x, kernel, bias, params), lambda: ours(x, kernel, bias, **params),
          tuple(params), 1e-10)


# ------------------------------------------------------------------------------------------------ JAX

_JAX_CHANNELS_FIRST = {1: ("NCH", "OIH", "NCH"), 3: ("NCDHW", "OIDHW", "NCDHW")}


@st.composite
def jax_calls(draw):
    rank = draw(RANKS)
    n, k = _spatial(draw, rank)
    s, d = _sizes(draw, rank, 1, 3), _sizes(draw, rank, 1, 2)
    padding = draw(st.sampled_from(["SAME", "VALID", "explicit"]))
    if padding == "explicit":
        padding = tuple((draw(st.integers(-2, d[i] * (k[i] - 1) + 1)), draw(st.integers(-2, d[i] * (k[i] - 1) + 1)))
                        for i in range(rank))
    first = draw(st.booleans())
    c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    tk = draw(st.booleans())
    rng = _rng(draw)
    x = rng.standard_normal((1, c_in, *n) if first else (1, *n, c_in)).astype(np.float32)
    o, i = (c_in, c_out) if tk else (c_out, c_in)           # transpose_kernel swaps what O and I mean
    w = rng.standard_normal((o, i, *k) if first else (*k, i, o)).astype(np.float32)
    extra = {"rhs_dilation": d, "transpose_kernel": tk}
    if first:
        extra["dimension_numbers"] = _JAX_CHANNELS_FIRST[rank]
    return x, w, s, padding, extra


@FEW
@given(jax_calls())
def test_jax_conv_transpose_in_1d_and_3d_matches_jax(call):
    lax = _live("jax.lax")
    x, w, s, padding, extra = call
    got = _both(lambda: lax.conv_transpose(x, w, s, padding, **extra),
                lambda: fw.jax_conv_transpose(x, w, s, padding, **extra), ("padding", "strides"), 1e-4)
    assert got is None or got.dtype == np.float32


# ------------------------------------------------------------------------------------------------ ONNX

def _onnx_live(x, w, b, attrs):
    _live("onnx")
    ort = _live("onnxruntime")
    from onnx import TensorProto, helper

    t = TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("X", t, x.shape), helper.make_tensor_value_info("W", t, w.shape)]
    feeds = {"X": x.astype(np.float32), "W": w.astype(np.float32)}
    if b is not None:
        inputs.append(helper.make_tensor_value_info("B", t, b.shape))
        feeds["B"] = b.astype(np.float32)
    node = helper.make_node("ConvTranspose", list(feeds), ["Y"], **attrs)
    graph = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info("Y", t, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = ort.SessionOptions()
    options.log_severity_level = 4
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


@st.composite
def onnx_calls(draw):
    rank = draw(RANKS)
    n, k = _spatial(draw, rank)
    s, d = _sizes(draw, rank, 1, 3), _sizes(draw, rank, 1, 2)
    g = draw(st.integers(1, 2))
    c_in, m = g * draw(st.integers(1, 2)), draw(st.integers(1, 2))
    attrs = {"strides": list(s), "dilations": list(d), "group": g,
             "output_padding": [draw(st.integers(0, si - 1)) for si in s]}
    if draw(st.booleans()) and draw(st.booleans()):        # sometimes one onnxruntime refuses (>= stride)
        axis = draw(st.integers(0, rank - 1))
        attrs["output_padding"][axis] = draw(st.integers(s[axis], max(s[axis], d[axis])))
    how = draw(st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "output_shape"]))
    full = [(n[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(rank)]
    if how == "NOTSET":
        attrs["pads"] = [draw(st.integers(0, 2)) for _ in range(2 * rank)]
    elif how == "output_shape":
        attrs["output_shape"] = [draw(st.integers(1, full[i] + s[i])) for i in range(rank)]
    else:
        attrs["auto_pad"] = how
    rng = _rng(draw)
    x = rng.standard_normal((draw(st.integers(1, 2)), c_in, *n)).astype(np.float32)
    w = rng.standard_normal((c_in, m, *k)).astype(np.float32)
    b = rng.standard_normal(m * g).astype(np.float32) if draw(st.booleans()) else None
    return x, w, b, attrs


@FEW
@given(onnx_calls())
def test_onnx_conv_transpose_in_1d_and_3d_matches_onnxruntime(call):
    x, w, b, attrs = call
    _both(lambda: _onnx_live(x, w, b, attrs), lambda: fw.onnx_conv_transpose(x, w, b, **attrs), tuple(attrs), 1e-4)


# ------------------------------------------------------------------------------------------------ port()

def _run_live(layer, x, w, b):
    """``layer`` computed by its live framework (x and w in its default layouts); None where the CPU build cannot
    run it (TF and Keras with dilation > 1)."""
    p, r = layer.params, layer.rank
    if layer.framework == "torch":
        torch = _live("torch")
        conv = getattr(torch.nn.functional, f"conv_transpose{r}d")
        t = lambda a: None if a is None else torch.from_numpy(np.array(a, dtype=np.float64))  # noqa: E731
        return conv(t(x), t(w), t(b), **p).numpy()
    if layer.framework == "tf":
        if max(p.get("dilations") or (1,)) > 1:
            return None
        tf = _live("tensorflow")
        shape = [x.shape[0], *p["output_shape"], layer.out_channels]
        y = getattr(tf.nn, f"conv{r}d_transpose")(x, w, shape, list(p["strides"]), p["padding"]).numpy()
        return y if b is None else y + b
    if layer.framework == "keras":
        if max(p["dilation_rate"]) > 1:
            return None
        return _keras_live(_keras(), r, x, w, b, p)
    if layer.framework == "jax":
        lax = _live("jax.lax")
        y = np.asarray(lax.conv_transpose(x.astype(np.float32), w.astype(np.float32), tuple(p["strides"]),
                                          p["padding"], tuple(p["rhs_dilation"]),
                                          transpose_kernel=p["transpose_kernel"])).astype(np.float64)
        return y if b is None else y + b
    return _onnx_live(x, w, b, {k: v for k, v in p.items() if v is not None}).astype(np.float64)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(nd_layers(live=True), st.sampled_from(tuple(porting.FRAMEWORKS)))
def test_port_in_1d_and_3d_computes_the_same_layer_in_the_live_target(case, to):
    layer, x, w, b = case
    try:
        ported = porting.port(layer, to)
    except te.ArgumentError:                 # nothing to port to (e.g. tf without input_size)
        assume(False)
    assert ported.layer.rank == layer.rank
    want = porting.run(layer, x, w, b)
    src_live = _run_live(layer, x, w, b)
    if src_live is not None:                 # the library's source layer is the live framework's
        close(src_live, want, 1e-4)
    xt = to_layout(x, layer.framework, to)
    close(to_layout(ported.finish(porting.run(ported.layer, xt, ported.weight(w), b), b), to, layer.framework), want,
          1e-10)
    y = _run_live(ported.layer, xt, ported.weight(w), b)
    assume(y is not None)
    close(to_layout(ported.finish(y, b), to, layer.framework), want, 1e-4)
    if ported.exact:
        assert ported.residual == ((0, 0),) * layer.rank
