"""port() in 1-D and 3-D, with the library alone (the live frameworks: tests/test_frameworks_live.py): on random
layers of every framework, the ported layer computes the same output, a port and back is the same layer, every
entry point equals te.conv_transpose1d/3d with the parameters ported to PyTorch, and what a port cannot do is said."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tconv_edu as te
from tconv_edu import frameworks as fw
from tconv_edu import porting
from tconv_cases import close

RANKS = st.sampled_from([1, 3])


def _sizes(draw, rank, lo, hi):
    return tuple(draw(st.integers(lo, hi)) for _ in range(rank))


def _spatial(draw, rank):
    """Input and kernel sizes: small in 3-D, longer in 1-D."""
    return (_sizes(draw, rank, 1, 6 if rank == 1 else 3), _sizes(draw, rank, 1, 5 if rank == 1 else 3))


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


@st.composite
def nd_layers(draw, live=False):
    """(Layer, x, weight, bias) of a 1-D or 3-D layer in its framework's layouts; refused layers assumed away.
    ``live``: only layers the frameworks' CPU builds run (no dilation in TF and Keras)."""
    f = draw(st.sampled_from(tuple(porting.FRAMEWORKS)))
    rank = draw(RANKS)
    n, k = _spatial(draw, rank)
    s, d = _sizes(draw, rank, 1, 3), _sizes(draw, rank, 1, 2)
    groups = draw(st.integers(1, 2)) if f in ("torch", "onnx") else 1
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    if f == "torch":
        op = tuple(draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d))
        params = {"stride": s, "padding": _sizes(draw, rank, 0, 2), "output_padding": op, "dilation": d,
                  "groups": groups}
    elif f == "tf":
        padding = draw(st.sampled_from(["SAME", "VALID"]))
        d = (1,) * rank if live else d
        ranges = fw.tf.tf_output_size_range(n, k, stride=s, padding=padding, dilation=d, rank=rank)
        params = {"strides": s, "padding": padding, "output_shape": tuple(draw(st.integers(*r)) for r in ranges),
                  "dilations": d}
    elif f == "keras":
        d = (1,) * rank if live or max(s) > 1 else d
        op = draw(st.sampled_from([None, "pick"]))
        op = None if op is None else tuple(draw(st.integers(0, si - 1)) for si in s)
        params = {"strides": s, "padding": draw(st.sampled_from(["same", "valid"])), "output_padding": op,
                  "dilation_rate": d}
    elif f == "jax":
        padding = draw(st.sampled_from(["SAME", "VALID", "explicit"]))
        if padding == "explicit":
            padding = tuple((draw(st.integers(-1, d[i] * (k[i] - 1) + 1)), draw(st.integers(-1, d[i] * (k[i] - 1) + 1)))
                            for i in range(rank))
        params = {"strides": s, "padding": padding, "rhs_dilation": d, "transpose_kernel": draw(st.booleans())}
    else:
        params = {"strides": list(s), "dilations": list(d), "group": groups,
                  "output_padding": [draw(st.integers(0, si - 1)) for si in s]}
        how = draw(st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "output_shape"]))
        if how == "NOTSET":
            params["pads"] = [draw(st.integers(0, 2)) for _ in range(2 * rank)]
        elif how == "output_shape":
            full = te.shapes.full_size(n, k, stride=s, dilation=d, rank=rank)
            params["output_shape"] = [draw(st.integers(1, full[i] + s[i] - 1)) for i in range(rank)]
        else:
            params["auto_pad"] = how
    layer = porting.Layer(f, c_in, c_out, k, params, input_size=n)
    try:
        out = porting.layer_crops(layer).out_size
    except te.ArgumentError:
        assume(False)
    assume(min(out) >= 1)
    rng = _rng(draw)
    batch = draw(st.integers(1, 2))
    first = layer.rules.nchw
    x = rng.standard_normal((batch, c_in, *n) if first else (batch, *n, c_in))
    w = rng.standard_normal(layer.rules.weight_shape(layer))
    b = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return layer, x, w, b


def to_layout(x, source, target):
    """Data x from the source framework's layout to the target's (channels first for torch and onnx)."""
    a, b = porting.FRAMEWORKS[source].nchw, porting.FRAMEWORKS[target].nchw
    return x if a == b else (fw._base.channels_last(x) if a else fw._base.channels_first(x))




def _ported_output(ported, x, w, b):
    src = ported.source.framework
    y = porting.run(ported.layer, to_layout(x, src, ported.layer.framework), ported.weight(w), b)
    return to_layout(ported.finish(y, b), ported.layer.framework, src)


@given(nd_layers(), st.sampled_from(tuple(porting.FRAMEWORKS)))
def test_port_in_1d_and_3d_computes_the_same_layer(case, to):
    layer, x, w, b = case
    try:
        ported = porting.port(layer, to)
    except te.ArgumentError:                 # nothing to port to (tf without input_size)
        assume(False)
    assert ported.layer.rank == layer.rank and len(ported.residual) == layer.rank
    close(_ported_output(ported, x, w, b), porting.run(layer, x, w, b), 1e-10)
    assert ported.exact == (ported.residual == ((0, 0),) * layer.rank)


@given(nd_layers(), st.sampled_from(tuple(porting.FRAMEWORKS)), st.sampled_from(tuple(porting.FRAMEWORKS)))
def test_port_in_1d_and_3d_round_trips(case, via, back):
    layer, x, w, b = case
    there = porting.port(layer, via)
    assume(there.exact)
    again = porting.port(there.layer, back)
    want = porting.run(layer, x, w, b)
    y = porting.run(again.layer, to_layout(x, layer.framework, back), again.weight(there.weight(w)), b)
    close(to_layout(again.finish(y, b), back, layer.framework), want, 1e-10)


@given(nd_layers())
def test_every_entry_point_is_conv_transpose_1d_or_3d_with_the_ported_parameters(case):
    layer, x, w, b = case
    ported = porting.port(layer, "torch")
    conv = {1: te.conv_transpose1d, 3: te.conv_transpose3d}[layer.rank]
    y = conv(to_layout(x, layer.framework, "torch"), ported.weight(w), b, **ported.layer.params)
    close(to_layout(ported.finish(y, b), "torch", layer.framework), porting.run(layer, x, w, b), 1e-10)


def test_port_names_what_is_missing_in_1d_and_3d():
    tf = porting.Layer("tf", 3, 2, (3,), {"strides": 2, "padding": "SAME", "output_shape": (8,)}, input_size=(4,))
    p = porting.port(tf, "torch")
    assert not p.exact and p.residual == ((0, 1),) and "one (start, end) pair per axis (length)" in p.note
    assert p.weight(np.ones((3, 2, 3))).shape == (3, 2, 3) and "from tf (k, C_out, C_in)" in p.weight_rule
    vocoder = porting.Layer("torch", 512, 256, (16,), {"stride": 8, "padding": 4})
    k = porting.port(vocoder, "keras")
    assert k.exact and k.layer.params == {"strides": (8,), "padding": "same", "output_padding": None,
                                          "dilation_rate": (1,)}
    assert k.weight(np.ones((512, 256, 16))).shape == (16, 256, 512)
    unet = porting.Layer("torch", 4, 2, (3, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2})
    j = porting.port(unet, "jax")
    assert j.exact and "flip kD, kH and kW" in j.weight_rule and "groups=2" in j.note and "no bias" in j.note
    assert j.weight(np.ones((4, 1, 3, 3, 3))).shape == (3, 3, 3, 4, 2)
    with pytest.raises(te.ArgumentError, match="input_size"):
        porting.port(unet, "tf")
    tf3 = porting.port(porting.Layer("torch", 4, 2, (3, 3, 3), {"stride": 2, "padding": 1}, input_size=(4, 4, 4)),
                       "tf")
    assert tf3.exact and tf3.layer.params["padding"] in ("SAME", "VALID")
    with pytest.raises(te.ArgumentError, match=r"torch weight .* = \(4, 1, 3, 3, 3\), got shape"):
        j.weight(np.ones((4, 2, 3, 3, 3)))
    with pytest.raises(te.ArgumentError, match="1, 2 or 3"):
        porting.Layer("torch", 1, 1, (3, 3, 3, 3))


def test_tf_1d_and_3d_ports_fall_back_to_valid_where_sizes_need_explicit_padding():
    """tf.nn.conv1d/3d_transpose take no explicit padding: the nearest layer is 'VALID' and the rest a residual."""
    torch = porting.Layer("torch", 1, 1, (5,), {"stride": 1, "padding": 2}, input_size=(6,))
    p = porting.port(torch, "tf")
    assert p.layer.params["padding"] == "SAME" and p.exact
    odd = porting.Layer("torch", 1, 1, (5,), {"stride": 2, "padding": 3}, input_size=(6,))
    p = porting.port(odd, "tf")
    assert not p.exact and p.layer.params["padding"] == "VALID" and p.residual == ((3, 3),)


def test_the_1d_and_3d_weight_layouts_are_the_shapes_port_uses():
    """WEIGHT_LAYOUTS_ND names each layer's 1-D and 3-D weight; weight_shape agrees."""
    symbols = {"C_in": 4, "C_out": 6, "groups": 2, "group": 2, "C": 4, "M": 6, "k": 3, "kD": 2, "kH": 3, "kW": 5}
    params = {"torch": {"groups": 2}, "onnx": {"group": 2}}
    for f in porting.FRAMEWORKS.values():
        for layer_name, layouts in f.layouts_nd.items():
            for text, kernel in zip(layouts, [(3,), (2, 3, 5)]):
                names = text.split(")")[0].strip("(").split(", ")
                want = tuple(eval(n.replace("/", "//"), {}, dict(symbols)) for n in names)
                p = dict(params.get(f.name, {}))
                if f.name == "jax":
                    p = {"strides": (1,) * len(kernel), "padding": "VALID",
                         "transpose_kernel": "transpose_kernel=True" in layer_name}
                layer = porting.Layer(f.name, 4, 6, kernel, p, input_size=(4,) * len(kernel))
                assert f.weight_shape(layer) == want, (layer_name, text)
    assert set(fw.WEIGHT_LAYOUTS_ND) >= {"ONNX ConvTranspose", "Keras Conv1DTranspose / Conv3DTranspose"}
