"""Keras 3, JAX and ONNX beside PyTorch and TensorFlow: golden arrays (scripts/make_golden_frameworks.py), the refusals
of each framework, the named disagreements, and port() on random layers (hypothesis)."""
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tconv_edu as te
from tconv_edu import frameworks as fw
from tconv_edu import porting, scatter
from tconv_cases import close

DATA = Path(__file__).resolve().parent / "data"
INDEX = json.loads((DATA / "golden_frameworks.json").read_text())
GOLD = np.load(DATA / "golden_frameworks.npz")


def _tup(v):
    return tuple(_tup(i) for i in v) if isinstance(v, list) else v


def _cases(framework, rejected):
    """Accepted or refused cases; a case only Keras' JAX backend computes counts as refused (the library follows
    the TensorFlow backend)."""
    return [e for e in INDEX[framework] if ("error" in e or "tensorflow_backend" in e) == rejected]


def _ids(entries):
    return [e["name"] for e in entries]


def _arrays(e, dtype=np.float64):
    n = e["name"]
    b = GOLD[f"{n}.b"].astype(dtype) if e.get("bias") else None
    return GOLD[f"{n}.x"].astype(dtype), GOLD[f"{n}.w"].astype(dtype), b


def _keras(e, x, w, b):
    return fw.keras_conv2d_transpose(x, w, b, **{k: _tup(v) for k, v in e["params"].items()})


def _jax(e, x, w, b=None):
    return fw.jax_conv_transpose(x, w, _tup(e["strides"]), _tup(e["padding"]),
                                 **{k: _tup(v) for k, v in e["extra"].items()})


def _onnx(e, x, w, b):
    return fw.onnx_conv_transpose(x, w, b, **e["attrs"])


CALL = {"keras": _keras, "jax": _jax, "onnx": _onnx}


def test_grid_covers_every_parameter():
    keras = _cases("keras", False)
    params = {k for e in keras for k in e["params"]}
    assert params == {"strides", "padding", "output_padding", "dilation_rate", "data_format"}
    ops = [e["params"].get("output_padding") for e in keras]
    assert None in ops and 0 in ops and any(isinstance(op, list) and op[0] != op[1] for op in ops)
    assert any(s % 2 for e in keras for s in e["y_shape"][1:3])                      # odd sizes
    assert {e["params"].get("padding", "valid").lower() for e in keras} == {"same", "valid"}
    jax = _cases("jax", False)
    assert {e["padding"] if isinstance(e["padding"], str) else "explicit" for e in jax} == {"SAME", "VALID",
                                                                                           "explicit"}
    assert {k for e in jax for k in e["extra"]} == {"rhs_dilation", "transpose_kernel", "dimension_numbers"}
    onnx = _cases("onnx", False)
    assert {k for e in onnx for k in e["attrs"]} == {"strides", "auto_pad", "output_padding", "dilations", "pads",
                                                    "output_shape", "group", "kernel_shape"}
    assert {e["attrs"].get("auto_pad", "NOTSET") for e in onnx} == set(fw.onnx.ONNX_AUTO_PADS)
    for fwk in ("keras", "jax", "onnx"):
        assert len(_cases(fwk, True)) >= 8, fwk
        shapes = [tuple(GOLD[f"{e['name']}.w"].shape) for e in _cases(fwk, False)]
        assert any(s[0] != s[1] for s in shapes) or any(s[2] != s[3] for s in shapes)   # non-square kernels


@pytest.mark.parametrize("framework", ["keras", "jax"])
def test_matches_golden_float64_and_float32(framework):
    for e in _cases(framework, False):
        want = GOLD[f"{e['name']}.y"]
        got = CALL[framework](e, *_arrays(e))
        assert got.dtype == np.float64, e["name"]
        close(got, want, 1e-10)
        got32 = CALL[framework](e, *_arrays(e, np.float32))
        assert got32.dtype == np.float32, e["name"]
        close(got32.astype(np.float64), want, 1e-5)


@pytest.mark.parametrize("entry", _cases("onnx", False), ids=_ids(_cases("onnx", False)))
def test_onnx_matches_onnxruntime_and_the_reference(entry):
    name = entry["name"]
    got32 = _onnx(entry, *_arrays(entry, np.float32))
    assert got32.dtype == np.float32
    close(got32.astype(np.float64), GOLD[f"{name}.y32"].astype(np.float64), 1e-5)
    if entry["reference"] == "agrees":           # the reference evaluator ran float64
        close(_onnx(entry, *_arrays(entry)), GOLD[f"{name}.y"], 1e-10)


@pytest.fixture
def no_work(monkeypatch):
    def reached(*args, **kwargs):
        raise AssertionError("the computation ran before the bad argument was reported")

    monkeypatch.setattr(fw._base, "transpose", reached)     # every entry point computes through it
    return reached


def test_the_guard_fires_on_a_good_call(no_work):
    with pytest.raises(AssertionError, match="computation ran"):
        fw.keras_conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)))


REJECTED = [(f, e) for f in ("keras", "jax", "onnx") for e in _cases(f, True)]


@pytest.mark.parametrize("framework, entry", REJECTED, ids=[e["name"] for _, e in REJECTED])
def test_refuses_what_the_framework_refuses(framework, entry, no_work):
    if "error" in entry:
        x, w = np.ones(entry["x_shape"]), np.ones(entry["w_shape"])
    else:
        x, w, _ = _arrays(entry)
    with pytest.raises((te.ArgumentError, TypeError)) as info:
        CALL[framework](entry, x, w, None)
    msg = str(info.value)
    names = set(entry.get("params", {})) | set(entry.get("attrs", {})) | set(entry.get("extra", {}))
    names |= {"strides", "padding"} if framework == "jax" else set()
    names |= {"kernel", "rhs", "W"}
    assert any(name in msg for name in names), msg
    last = Path(str(info.traceback[-1].path))
    assert last.name == "shapes.py" or last.parent.name == "frameworks", last


# ------------------------------------------------------------------------------------ the named disagreements

def _entry(framework, name):
    return next(e for e in INDEX[framework] if e["name"] == name)


def test_keras_output_padding_none_and_0_differ():
    none, zero = _entry("keras", "keras_same_k3_s2_none"), _entry("keras", "keras_same_k3_s2_op0")
    assert none["y_shape"] == [1, 8, 8, 2] and zero["y_shape"] == [1, 7, 7, 2]
    x, w, _ = _arrays(none)
    assert fw.keras_conv2d_transpose(x, w, strides=2, padding="same").shape == (1, 8, 8, 2)
    assert fw.keras_conv2d_transpose(x, w, strides=2, padding="same", output_padding=0).shape == (1, 7, 7, 2)


def test_tf_same_is_one_pixel_from_torch_padding_1_output_padding_1():
    """Keras 'same' is TF 'SAME': the full output minus its last row and column; PyTorch's usual port (padding 1,
    output_padding 1) drops the first ones instead. Same size, shifted by one pixel."""
    e = _entry("keras", "keras_same_k3_s2_none")
    x, w, _ = _arrays(e)
    tf_like = GOLD[f"{e['name']}.y"].transpose(0, 3, 1, 2)
    torch_port = te.conv_transpose2d(x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1), stride=2, padding=1,
                                     output_padding=1)
    assert tf_like.shape == torch_port.shape
    assert not np.allclose(tf_like, torch_port)
    close(tf_like[:, :, 1:, 1:], torch_port[:, :, :-1, :-1], 1e-10)
    p = porting.port(porting.Layer("keras", 2, 2, (3, 3), {"strides": 2, "padding": "same"}), "torch")
    assert not p.exact and p.layer.params["padding"] == (0, 0) and p.residual == ((0, 1), (0, 1))


def test_jax_does_not_flip_the_kernel_unless_transpose_kernel():
    e = _entry("jax", "jax_same_k3_s2")
    x, rhs, _ = _arrays(e)
    want = GOLD[f"{e['name']}.y"]
    permuted = fw.keras_conv2d_transpose(x, rhs.transpose(0, 1, 3, 2), strides=2, padding="same")
    assert np.abs(permuted - want).max() > 0.1                 # a plain permute gives wrong numbers
    flipped = fw.keras_conv2d_transpose(x, rhs[::-1, ::-1].transpose(0, 1, 3, 2), strides=2, padding="same")
    close(flipped, want, 1e-10)
    t = _entry("jax", "jax_transpose_kernel_same")               # transpose_kernel=True: TF's layout, unflipped
    x, rhs, _ = _arrays(t)
    close(fw.keras_conv2d_transpose(x, rhs, strides=2, padding="same"), GOLD[f"{t['name']}.y"], 1e-10)


def test_onnx_same_upper_crops_the_odd_pixel_at_the_end_same_lower_at_the_start():
    for name, start in (("onnx_same_upper_k3_s2", 0), ("onnx_same_lower_k3_s2", 1)):
        e = _entry("onnx", name)
        x, w, _ = _arrays(e)
        full = te.conv_transpose2d(x, w, stride=2)              # 9 x 9
        close(full[:, :, start:start + 8, start:start + 8], GOLD[f"{name}.y32"].astype(np.float64), 1e-5)
    e = _entry("onnx", "onnx_output_shape")                      # output_shape alone: the odd pixel at the start
    x, w, _ = _arrays(e)
    full = te.conv_transpose2d(x, w, stride=2)
    close(full[:, :, 1:9, 1:8], GOLD["onnx_output_shape.y32"].astype(np.float64), 1e-5)


def test_onnx_pads_remove_output_pixels():
    e = _entry("onnx", "onnx_pads")                              # pads [top 1, left 0, bottom 0, right 2]
    x, w, _ = _arrays(e)
    full = te.conv_transpose2d(x, w, stride=2)
    close(full[:, :, 1:, :-2], GOLD["onnx_pads.y32"].astype(np.float64), 1e-5)


def test_onnx_disagreements_recorded():
    """Where onnxruntime (which the library follows) and the onnx reference evaluator part, as found."""
    ref = {e["name"]: e["reference"] for e in INDEX["onnx"]}
    # SAME with the full output shorter than in * stride: onnxruntime keeps the full output, the reference (and
    # the spec's "output_shape[i] = input_shape[i] * strides[i]") pads it to in * stride
    assert ref["onnx_same_upper_k1_s3"] == "differs: shape [1, 1, 9, 6]"
    assert _entry("onnx", "onnx_same_upper_k1_s3")["y_shape"] == [1, 1, 7, 4]
    # output_shape with pads: onnxruntime ignores the pads (the spec says so), the reference uses them
    assert ref["onnx_output_shape_ignores_pads"].startswith("differs")
    # the reference evaluator fails on output_shape without auto_pad and on groups with M / group > 1
    assert ref["onnx_output_shape"].startswith("ValueError") and ref["onnx_group2_bias"].startswith("ValueError")
    # output_padding below the dilation but not the stride: the spec allows it, onnxruntime refuses
    assert "may be too large for stride" in _entry("onnx", "onnx_bad_op_below_dilation")["error"]


def test_keras_backends_part_on_an_even_kernel_with_same_and_output_padding_0():
    """Keras' rule asks for (in - 1) * s + k % 2 + 0 = 6 rows from 4 with k=4, s=2: TensorFlow's 'SAME' refuses
    that size, Keras' JAX backend computes it (the full 10 rows cropped by 2 at each end, PyTorch's padding=2)."""
    tf = _entry("keras", "keras_bad_even_kernel_same_op0")
    assert "Size of out_backprop doesn't match computed" in tf["error"]
    e = _entry("keras", "keras_jaxbackend_even_kernel_same_op0")
    x, w, _ = _arrays(e)
    with pytest.raises(te.ArgumentError, match="even kernel needs output_padding >= 1 or None"):
        _keras(e, x, w, None)
    torch = te.conv_transpose2d(x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1), stride=2, padding=2)
    close(torch.transpose(0, 2, 3, 1), GOLD[f"{e['name']}.y"], 1e-10)


def test_keras_refuses_stride_with_dilation_on_other_axes():
    e = _entry("keras", "keras_bad_stride_and_dilation_other_axes")
    assert "`strides > 1` not supported in conjunction with `dilation_rate > 1`" in e["error"]
    with pytest.raises(te.ArgumentError, match="strides=.2, 1., dilation_rate=.1, 2."):
        fw.keras_conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), strides=(2, 1), dilation_rate=(1, 2))


# ---------------------------------------------------------------------------------------- port, on random layers

def _pair(draw, lo, hi):
    return (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))


@st.composite
def layers(draw, framework=None):
    """(Layer, x, weight, bias) in the layer's framework's layouts; refused layers are assumed away."""
    f = draw(st.sampled_from(tuple(porting.FRAMEWORKS))) if framework is None else framework
    k, n = _pair(draw, 1, 4), _pair(draw, 1, 4)
    s, d = _pair(draw, 1, 3), _pair(draw, 1, 2)
    groups = draw(st.integers(1, 2)) if f in ("torch", "onnx") else 1
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    if f == "torch":
        m = [max(a, b) for a, b in zip(s, d)]
        op = tuple(draw(st.integers(0, mi - 1)) for mi in m)
        params = {"stride": s, "padding": _pair(draw, 0, 2), "output_padding": op, "dilation": d, "groups": groups}
    elif f == "tf":
        padding = draw(st.sampled_from(["SAME", "VALID", "explicit"]))
        if padding == "explicit":
            padding = [list(_pair(draw, 0, 2)), list(_pair(draw, 0, 2))]
        ranges = fw.tf.tf_output_size_range(n, k, stride=s, padding=padding, dilation=d)
        assume(all(lo <= hi for lo, hi in ranges))
        out = tuple(draw(st.integers(lo, hi)) for lo, hi in ranges)
        params = {"strides": s, "padding": padding, "output_shape": out, "dilations": d}
    elif f == "keras":
        if max(s) > 1:
            d = (1, 1)
        op = draw(st.sampled_from([None, "pick"]))
        op = None if op is None else tuple(draw(st.integers(0, si - 1)) for si in s)
        params = {"strides": s, "padding": draw(st.sampled_from(["same", "valid"])), "output_padding": op,
                  "dilation_rate": d}
    elif f == "jax":
        padding = draw(st.sampled_from(["SAME", "VALID", "explicit"]))
        if padding == "explicit":
            padding = tuple(_pair(draw, -1, di * (ki - 1) + 1) for di, ki in zip(d, k))
        params = {"strides": s, "padding": padding, "rhs_dilation": d, "transpose_kernel": draw(st.booleans())}
    else:
        params = {"strides": list(s), "dilations": list(d), "group": groups,
                  "output_padding": [draw(st.integers(0, si - 1)) for si in s]}
        how = draw(st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "output_shape"]))
        if how == "NOTSET":
            params["pads"] = list(_pair(draw, 0, 2) + _pair(draw, 0, 2))
        elif how == "output_shape":
            full = te.shapes.full_size(n, k, stride=s, dilation=d)
            params["output_shape"] = [draw(st.integers(1, full[i] + s[i] - 1)) for i in range(2)]
        else:
            params["auto_pad"] = how
    layer = porting.Layer(f, c_in, c_out, k, params, input_size=n)
    try:
        out = porting.layer_crops(layer).out_size
    except te.ArgumentError:
        assume(False)
    assume(min(out) >= 1)                    # JAX's negative pads can leave nothing (an empty array)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    batch = draw(st.integers(1, 2))
    x = rng.standard_normal((batch, c_in) + n if f in ("torch", "onnx") else (batch,) + n + (c_in,))
    if f in ("torch", "onnx"):
        w = rng.standard_normal((c_in, c_out // groups) + k)
    elif f == "jax" and not params["transpose_kernel"]:
        w = rng.standard_normal(k + (c_in, c_out))
    else:
        w = rng.standard_normal(k + (c_out, c_in))
    b = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return layer, x, w, b


def _to(x, source, target):
    """Data x from the source framework's layout to the target's (NCHW for torch/onnx, NHWC otherwise)."""
    a, b = source in ("torch", "onnx"), target in ("torch", "onnx")
    return x if a == b else (x.transpose(0, 2, 3, 1) if a else x.transpose(0, 3, 1, 2))


def _ported_output(ported, x, w, b):
    src = ported.source.framework
    y = porting.run(ported.layer, _to(x, src, ported.layer.framework), ported.weight(w), b)
    return _to(ported.finish(y, b), ported.layer.framework, src)


@given(layers(), st.sampled_from(tuple(porting.FRAMEWORKS)))
def test_port_computes_the_same_layer(case, to):
    layer, x, w, b = case
    try:
        ported = porting.port(layer, to)
    except te.ArgumentError:                 # nothing to port to (e.g. tf without output_shape)
        assume(False)
    want = porting.run(layer, x, w, b)
    close(_ported_output(ported, x, w, b), want, 1e-10)
    if ported.exact:
        assert ported.residual == ((0, 0), (0, 0))


@given(layers(), st.sampled_from(tuple(porting.FRAMEWORKS)), st.sampled_from(tuple(porting.FRAMEWORKS)))
def test_port_round_trips(case, via, back):
    layer, x, w, b = case
    there = porting.port(layer, via)
    assume(there.exact)
    again = porting.port(there.layer, back)
    want = porting.run(layer, x, w, b)
    y_there = porting.run(there.layer, _to(x, layer.framework, via), there.weight(w), b)
    close(_to(again.finish(porting.run(again.layer, _to(x, layer.framework, back),
                                       again.weight(there.weight(w)), b), b), back, layer.framework), want, 1e-10)
    close(_to(y_there, via, layer.framework), want, 1e-10)


@given(layers())
def test_every_entry_point_is_conv_transpose2d_with_the_ported_parameters(case):
    layer, x, w, b = case
    ported = porting.port(layer, "torch")
    xt = _to(x, layer.framework, "torch")
    y = te.conv_transpose2d(xt, ported.weight(w), b, **ported.layer.params)
    close(_to(ported.finish(y, b), "torch", layer.framework), porting.run(layer, x, w, b), 1e-10)


def test_port_names_what_is_missing():
    tf = porting.Layer("tf", 3, 2, (3, 3), {"strides": 2, "padding": "SAME", "output_shape": (8, 8)},
                       input_size=(4, 4))
    p = porting.port(tf, "torch")
    assert not p.exact and "no exact torch equivalent" in p.note and p.residual == ((0, 1), (0, 1))
    grouped = porting.Layer("torch", 4, 6, (3, 3), {"stride": 2, "groups": 2})
    k = porting.port(grouped, "keras")
    assert k.exact and "groups=2" in k.note and k.weight(np.ones((4, 3, 3, 3))).shape == (3, 3, 6, 4)
    dilated = porting.Layer("torch", 1, 1, (3, 3), {"stride": 2, "dilation": 2})
    k = porting.port(dilated, "keras")
    assert k.exact and k.layer.kernel_size == (5, 5) and "dilated by hand" in k.note
    j = porting.port(porting.Layer("torch", 2, 3, (3, 3), {"stride": 2, "padding": 1}), "jax")
    assert "flip" in j.weight_rule and "no bias" in j.note
    with pytest.raises(te.ArgumentError, match="input_size"):
        porting.port(porting.Layer("torch", 1, 1, (3, 3)), "tf")
    with pytest.raises(te.ArgumentError, match=r"torch weight .* = \(2, 3, 3, 3\), got shape \(3, 2, 3, 3\)"):
        j.weight(np.ones((3, 2, 3, 3)))
    with pytest.raises(te.ArgumentError, match="not keras arguments"):
        porting.Layer("keras", 1, 1, (3, 3), {"stride": 2})


@pytest.mark.parametrize("layer, match", [
    (("torch", 4, 2, (3, 3), {"groups": 0}), "^groups=0: must be >= 1$"),
    (("onnx", 4, 2, (3, 3), {"group": 0}), "^group=0: must be >= 1$"),
    (("torch", 0, 2, (3, 3)), "^in_channels=0: must be >= 1$"),
    (("torch", 2, 2, (3, 0)), r"^kernel_size=\(3, 0\): must be >= 1"),
])
def test_port_reports_counts_below_one_by_name(layer, match):
    """Not Python's 'integer modulo by zero' from deep inside the port."""
    with pytest.raises(te.ArgumentError, match=match):
        porting.port(porting.Layer(*layer), "keras")


def test_the_entry_points_and_port_need_numpy_only():
    """Importing tconv_edu and running every framework's entry point and port loads no framework and no scipy."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, tconv_edu as te\n"
            "te.keras_conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((3, 3, 2, 1)), strides=2, padding='same')\n"
            "te.jax_conv_transpose(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 2)), (2, 2), 'SAME')\n"
            "te.onnx_conv_transpose(np.ones((1, 1, 3, 3)), np.ones((1, 2, 3, 3)), strides=[2, 2])\n"
            "te.port(te.Layer('torch', 1, 2, (3, 3), {'stride': 2}), 'onnx')\n"
            "heavy = {'scipy', 'matplotlib', 'ipywidgets', 'torch', 'tensorflow', 'keras', 'jax', 'onnx', 'cupy'}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


# ------------------------------------------------------------------------------- JAX's rule, independently

def _jax_by_definition(x, k, strides, padding, rhs_dilation):
    """What lax.conv_transpose computes, from its definition: the input stretched by the strides (zeros between
    pixels), padded by (lo, hi) per axis (a negative pad removes rows), correlated with the dilated kernel as
    stored; XLA gives an empty axis where the window is wider than the padded input. x NHWC, k HWIO."""
    z = np.zeros((x.shape[0], (x.shape[1] - 1) * strides[0] + 1, (x.shape[2] - 1) * strides[1] + 1, x.shape[3]))
    z[:, ::strides[0], ::strides[1]] = x
    for axis, (lo, hi) in zip((1, 2), padding):
        widths = [(0, 0)] * 4
        widths[axis] = (max(lo, 0), max(hi, 0))
        z = np.pad(z, widths)
        z = z.take(range(max(-lo, 0), z.shape[axis] - max(-hi, 0)), axis=axis)
    (kh, kw), (dh, dw) = k.shape[:2], rhs_dilation
    oh, ow = max(0, z.shape[1] - dh * (kh - 1)), max(0, z.shape[2] - dw * (kw - 1))
    y = np.zeros((x.shape[0], oh, ow, k.shape[3]))
    for a in range(kh):
        for b in range(kw):
            y += np.einsum("nhwc,co->nhwo", z[:, a * dh:a * dh + oh, b * dw:b * dw + ow], k[a, b])
    return y


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 2), st.integers(1, 2), st.lists(st.integers(-8, 6), min_size=4, max_size=4),
       st.integers(0, 2**32 - 1))
def test_jax_explicit_padding_matches_its_definition_even_where_it_crops_everything(h, w, kh, kw, sh, sw, dh, dw,
                                                                                  pads, seed):
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal((2, h, w, 2)), rng.standard_normal((kh, kw, 2, 3))
    padding = [(pads[0], pads[1]), (pads[2], pads[3])]
    if (h - 1) * sh + 1 + pads[0] + pads[1] < 0 or (w - 1) * sw + 1 + pads[2] + pads[3] < 0:
        with pytest.raises(te.ArgumentError, match="Negative padding is larger"):     # JAX refuses (jax 0.10)
            fw.jax_conv_transpose(x, k, (sh, sw), padding, (dh, dw))
        return
    want = _jax_by_definition(x, k, (sh, sw), padding, (dh, dw))
    got = fw.jax_conv_transpose(x, k, (sh, sw), padding, (dh, dw))
    assert got.shape == want.shape
    close(got, want, 1e-10)


def test_jax_returns_the_empty_array_jax_returns():
    """The issue's case: JAX gives shape (1, 0, 6, 1) where the pads crop every row; so does the library."""
    y = fw.jax_conv_transpose(np.ones((1, 4, 3, 1)), np.ones((4, 2, 1, 1)), (1, 2), [(1, 0), (1, 2)],
                              rhs_dilation=(2, 2))
    assert y.shape == (1, 0, 6, 1)
    with pytest.raises(te.ArgumentError, match="empty"):
        porting.port(porting.Layer("jax", 1, 1, (4, 2), {"strides": (1, 2), "padding": [(1, 0), (1, 2)],
                                                         "rhs_dilation": (2, 2)}, input_size=(4, 3)), "torch")


# ------------------------------------------------------------------------------------- one place per framework

def test_the_registry_holds_every_framework_and_weight_layouts_come_from_it():
    assert list(fw.FRAMEWORKS) == ["torch", "tf", "keras", "jax", "onnx"]
    assert all(f.name == name for name, f in fw.FRAMEWORKS.items())
    rows = " ".join(fw.WEIGHT_LAYOUTS)
    assert all(f.title in rows for f in fw.FRAMEWORKS.values())          # JAX and ONNX included


def test_no_module_outside_frameworks_holds_a_framework_rule():
    """porting, widgets and shapes compare no value with a framework's name and hold no table keyed by one;
    shapes.py does not name a framework at all."""
    import ast

    names = set(fw.FRAMEWORKS)
    root = Path(te.__file__).parent
    widgets = sorted((root / "widgets").glob("*.py")) if (root / "widgets").is_dir() else [root / "widgets.py"]
    for path in [root / "porting.py", root / "shapes.py", *widgets]:
        module = path.relative_to(root)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                consts = [c.value for side in [node.left, *node.comparators] for c in ast.walk(side)
                          if isinstance(c, ast.Constant)]
                assert not names & set(consts), f"{module}:{node.lineno} compares with a framework's name"
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                assert not names & keys, f"{module}:{node.lineno} keys a table by framework"
    text = (root / "shapes.py").read_text().lower()
    assert not [n for n in ("keras", "jax", "onnx", "tensorflow", "tf_") if n in text]


def test_crop_extends_with_the_bias_and_crops_with_or_without_it():
    y = np.arange(12.0).reshape(1, 1, 3, 4)
    b = np.array([10.0])
    assert fw.crop(y, ((1, 0), (0, 1)))[0, 0].tolist() == [[4, 5, 6], [8, 9, 10]]
    assert fw.crop(y, ((-1, 2), (0, 0)), b)[0, 0].tolist() == [[10] * 4, [10, 11, 12, 13]]
    assert fw.crop(y + b[0], ((0, -1), (2, 0)), b, biased=True)[0, 0].tolist() == [[12, 13], [16, 17], [20, 21],
                                                                                    [10, 10]]


def test_tf_explicit_padding_is_four_pairs_as_tensorflow_takes_it():
    """TensorFlow refuses a list of 2 spatial pairs ("When padding is a list, it must be of size 4"); so does the
    library, and the port writes the 4 pairs a practitioner passes to tf.nn.conv2d_transpose."""
    x, w = np.ones((1, 4, 4, 2)), np.ones((3, 3, 3, 2))
    with pytest.raises(te.ArgumentError, match="must be of size 4"):
        te.conv2d_transpose(x, w, (1, 8, 8, 3), 2, padding=[[1, 0], [1, 0]])
    layer = te.Layer("torch", 2, 3, (3, 3), {"stride": 2, "padding": 1, "output_padding": 1}, input_size=(4, 4))
    p = te.port(layer, "tf")
    assert p.exact and p.layer.params["padding"] == [[0, 0], [1, 0], [1, 0], [0, 0]]
    rng = np.random.default_rng(0)
    xt, wt = rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((2, 3, 3, 3))
    y = te.conv2d_transpose(xt.transpose(0, 2, 3, 1), p.weight(wt), (1, 8, 8, 3), 2, p.layer.params["padding"])
    close(y.transpose(0, 3, 1, 2), te.conv_transpose2d(xt, wt, stride=2, padding=1, output_padding=1), 1e-12)


def test_tf_conv2d_transpose_takes_the_spatial_output_shape_alone_in_2d_only():
    """tf.nn.conv2d_transpose accepts output_shape (H, W) (batch and channels from input and filters);
    conv1d_transpose and conv3d_transpose do not."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 4, 4, 3)), rng.standard_normal((3, 3, 5, 3))
    close(te.conv2d_transpose(x, w, (8, 8), 2), te.conv2d_transpose(x, w, (2, 8, 8, 5), 2), 1e-12)
    xc = x.transpose(0, 3, 1, 2)
    close(te.conv2d_transpose(xc, w, (8, 8), 2, data_format="NCHW"),
          te.conv2d_transpose(xc, w, (2, 5, 8, 8), 2, data_format="NCHW"), 1e-12)
    with pytest.raises(te.ArgumentError, match="expected 3 ints"):
        te.conv1d_transpose(np.ones((2, 4, 3)), np.ones((3, 5, 3)), (8,), 2)
    with pytest.raises(te.ArgumentError, match="expected 5 ints"):
        te.conv3d_transpose(np.ones((2, 4, 4, 4, 3)), np.ones((3, 3, 3, 5, 3)), (8, 8, 8), 2)
