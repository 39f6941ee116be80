"""Port one transposed-conv layer between PyTorch, TensorFlow, Keras, JAX and ONNX: parameters and weight.

A layer is its framework's arguments (``Layer``); ``port(layer, to)`` says what the same layer is in another
framework's terms: the arguments, how the weight is permuted (and flipped, for JAX), and whether the port is exact.
Where no exact equivalent exists, the nearest one comes with the crop still to apply (``Ported.crop``), e.g. TF
'SAME' with k=3, s=2 is PyTorch padding 0 plus one row and column cropped at the bottom/right.

Every framework's layer is the full scatter output cropped (``tconv_edu.shapes``): porting maps crops to crops.
One topic, one module: the five frameworks' parameters, weight layouts and ports are read together (each target's
rule sits beside the others), and the size rules themselves stay in ``shapes``.

>>> tf = Layer("tf", 8, 4, (3, 3), {"strides": 2, "padding": "SAME", "output_shape": (8, 8)}, input_size=(4, 4))
>>> p = port(tf, "torch")
>>> p.exact, p.layer.params["padding"], p.layer.params["output_padding"], p.crop
(False, (0, 0), (0, 0), ((0, 1), (0, 1)))
>>> p.weight(np.ones((3, 3, 4, 8))).shape
(8, 4, 3, 3)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import frameworks, shapes, tf_style
from .gemm import conv_transpose2d
from .shapes import ArgumentError

__all__ = ["FRAMEWORKS", "Layer", "Ported", "port", "run", "geometry"]

FRAMEWORKS = ("torch", "tf", "keras", "jax", "onnx")
_NCHW = ("torch", "onnx")               # data layouts: these NCHW, the others NHWC (their defaults)
_PARAMS = {
    "torch": ("stride", "padding", "output_padding", "dilation", "groups"),
    "tf": ("strides", "padding", "output_shape", "dilations"),
    "keras": ("strides", "padding", "output_padding", "dilation_rate"),
    "jax": ("strides", "padding", "rhs_dilation", "transpose_kernel"),
    "onnx": ("strides", "dilations", "auto_pad", "pads", "output_padding", "output_shape", "group"),
}
_WEIGHT = {
    "torch": "(C_in, C_out / groups, kH, kW)", "onnx": "(C, M / group, kH, kW)", "tf": "(kH, kW, C_out, C_in)",
    "keras": "(kH, kW, C_out, C_in)", "jax": "(kH, kW, C_in, C_out) 'HWIO', correlated as stored (unflipped)",
}


@dataclass(frozen=True)
class Layer:
    """One transposed-conv layer in ``framework``'s own terms.

    params: that framework's argument names (torch: stride, padding, output_padding, dilation, groups; tf:
    strides, padding, output_shape (H, W), dilations; keras: strides, padding, output_padding, dilation_rate;
    jax: strides, padding, rhs_dilation, transpose_kernel; onnx: strides, dilations, auto_pad, pads,
    output_padding, output_shape, group). input_size (H, W): needed where the size depends on it (TF's
    output_shape, ONNX's output_shape); elsewhere it only checks that the output is at least 1 pixel.
    """
    framework: str
    in_channels: int
    out_channels: int
    kernel_size: tuple
    params: dict = field(default_factory=dict)
    input_size: tuple | None = None

    def __post_init__(self):
        if self.framework not in FRAMEWORKS:
            raise ArgumentError(f"framework={self.framework!r}: expected one of {FRAMEWORKS}")
        unknown = set(self.params) - set(_PARAMS[self.framework])
        if unknown:
            raise ArgumentError(f"params: {sorted(unknown)} are not {self.framework} arguments; it takes "
                                f"{_PARAMS[self.framework]}")
        for name in ("in_channels", "out_channels"):
            shapes.positive_int(name, getattr(self, name))
        shapes.pair("kernel_size", self.kernel_size, 1)


@dataclass(frozen=True)
class Ported:
    """``port``'s answer: ``layer`` in the target's terms, and what else the port needs.

    exact: the target computes the source's output as is; otherwise crop ((top, bottom), (left, right)) must
    still be removed from its output (a negative crop adds rows holding only the bias). weight(w) turns the
    source's weight into the target's; weight_rule says how, note says why.
    """
    source: Layer
    layer: Layer
    exact: bool
    crop: tuple
    weight_rule: str
    note: str
    dilate_kernel: tuple = (1, 1)

    def weight(self, w):
        """The source's weight ``w`` (its framework's layout) in the target's layout."""
        w = shapes.as_array("w", w, np)
        want = _weight_shape(self.source)
        if w.shape != want:
            raise ArgumentError(f"w: expected the {self.source.framework} weight {_WEIGHT[self.source.framework]} = "
                                f"{want}, got shape {w.shape}")
        wt, g = _to_torch(w, self.source)
        return _from_torch(wt, g, self.layer, self.dilate_kernel)

    def finish(self, y, bias=None):
        """Apply ``crop`` to the target's output ``y`` (its layout); new rows get ``bias`` (or 0)."""
        if self.exact:
            return y
        nchw = self.layer.framework in _NCHW
        y4 = y if nchw else y.transpose(0, 3, 1, 2)
        (t, b), (left, r) = self.crop
        h, w = y4.shape[2:]
        out = np.zeros(y4.shape[:2] + (h - t - b, w - left - r), dtype=y4.dtype)
        if bias is not None:
            out += np.asarray(bias, dtype=y4.dtype)[:, None, None]
        src = y4[:, :, max(t, 0):h - max(b, 0), max(left, 0):w - max(r, 0)]
        out[:, :, max(-t, 0):max(-t, 0) + src.shape[2], max(-left, 0):max(-left, 0) + src.shape[3]] = src
        return out if nchw else out.transpose(0, 2, 3, 1)


def _get(layer, name, default):
    v = layer.params.get(name, default)
    return default if v is None else v


def geometry(layer: Layer):
    """(stride, dilation, groups, crops, out_size) of ``layer``, from its framework's rule (checked)."""
    f, k = layer.framework, shapes.pair("kernel_size", layer.kernel_size)
    n = shapes.pair("input_size", layer.input_size if layer.input_size is not None else (16, 16))
    p = layer.params
    if f == "torch":
        s, d = shapes.pair("stride", _get(layer, "stride", 1)), shapes.pair("dilation", _get(layer, "dilation", 1))
        g = _groups(layer)
        pad, op = _get(layer, "padding", 0), _get(layer, "output_padding", 0)
        out = shapes.output_size(n, k, stride=s, padding=pad, output_padding=op, dilation=d)
        crops = shapes.torch_crops(pad, op)
    elif f == "tf":
        if layer.input_size is None or p.get("output_shape") is None:
            raise ArgumentError("a tf layer needs input_size and params['output_shape'] (H, W): "
                                "tf.nn.conv2d_transpose takes its output size as an argument")
        s = shapes.tf_pair("strides", _get(layer, "strides", 1))
        d = shapes.tf_pair("dilations", _get(layer, "dilations", 1))
        g, out = 1, shapes.pair("output_shape", p["output_shape"])
        crops = shapes.tf_crops(out, n, k, stride=s, padding=shapes.tf_explicit_padding(_get(layer, "padding", "SAME")),
                                dilation=d)
    elif f == "keras":
        s, d = shapes.pair("strides", _get(layer, "strides", 1)), shapes.pair("dilation_rate",
                                                                               _get(layer, "dilation_rate", 1))
        g = 1
        out, crops = shapes.keras_crops(n, k, strides=s, padding=_get(layer, "padding", "valid"),
                                        output_padding=p.get("output_padding"), dilation_rate=d)
    elif f == "jax":
        s = shapes.pair("strides", p["strides"])
        d = shapes.pair("rhs_dilation", _get(layer, "rhs_dilation", (1, 1)))
        g = 1
        out, crops = shapes.jax_crops(n, k, strides=p["strides"], padding=p["padding"],
                                      rhs_dilation=p.get("rhs_dilation"))
    else:
        g = _groups(layer)
        out, crops = shapes.onnx_crops(n, k, auto_pad=_get(layer, "auto_pad", "NOTSET"), dilations=p.get("dilations"),
                                       output_padding=p.get("output_padding"), output_shape=p.get("output_shape"),
                                       pads=p.get("pads"), strides=p.get("strides"))
        s, d = shapes.pair("strides", _get(layer, "strides", 1)), shapes.pair("dilations", _get(layer, "dilations", 1))
    if layer.in_channels % g or layer.out_channels % g:
        raise ArgumentError(f"groups={g}: must divide in_channels={layer.in_channels} and "
                            f"out_channels={layer.out_channels}")
    return s, d, g, crops, out


# ----------------------------------------------------------------------------------------------------- weights

def _groups(layer):
    """A torch or onnx layer's groups (ONNX names it ``group``), an int >= 1."""
    name = "group" if layer.framework == "onnx" else "groups"
    return shapes.positive_int(name, _get(layer, name, 1))


def _weight_shape(layer):
    """The shape of ``layer``'s weight in its framework's layout."""
    f, (kh, kw) = layer.framework, shapes.pair("kernel_size", layer.kernel_size)
    c_in, c_out = layer.in_channels, layer.out_channels
    if f in ("torch", "onnx"):
        return (c_in, c_out // _groups(layer), kh, kw)
    if f == "jax" and not layer.params.get("transpose_kernel"):
        return (kh, kw, c_in, c_out)
    return (kh, kw, c_out, c_in)


def _to_torch(w, layer):
    """A weight in ``layer``'s layout -> PyTorch's (C_in, C_out / groups, kH, kW), and the groups."""
    f = layer.framework
    if f in ("tf", "keras") or (f == "jax" and layer.params.get("transpose_kernel")):
        return w.transpose(3, 2, 0, 1), 1
    if f == "jax":
        return w.transpose(2, 3, 0, 1)[:, :, ::-1, ::-1], 1
    return w, _groups(layer)


def _dense(wt, g):
    """A grouped weight (C_in, C_out / g, kH, kW) as the dense (C_in, C_out, kH, kW) with zero blocks."""
    if g == 1:
        return wt
    c_in, cg_out = wt.shape[:2]
    cg_in = c_in // g
    dense = np.zeros((c_in, cg_out * g) + wt.shape[2:], dtype=wt.dtype)
    for i in range(g):
        dense[i * cg_in:(i + 1) * cg_in, i * cg_out:(i + 1) * cg_out] = wt[i * cg_in:(i + 1) * cg_in]
    return dense


def _dilated(wt, d):
    """The kernel with d - 1 zeros between taps: a dilated kernel as an undilated one of size d * (k - 1) + 1."""
    if d == (1, 1):
        return wt
    kh, kw = wt.shape[2:]
    out = np.zeros(wt.shape[:2] + (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1), dtype=wt.dtype)
    out[:, :, ::d[0], ::d[1]] = wt
    return out


def _from_torch(wt, g, target, dilate):
    f = target.framework
    wt = _dilated(wt, dilate)
    if f in ("torch", "onnx"):
        tg = _groups(target)
        return wt if tg == g else _dense(wt, g)
    wt = _dense(wt, g)
    if f == "jax" and not target.params.get("transpose_kernel"):
        return np.ascontiguousarray(wt[:, :, ::-1, ::-1].transpose(2, 3, 0, 1))
    return np.ascontiguousarray(wt.transpose(2, 3, 1, 0))


def _weight_rule(source, target, g, dilate):
    a, b = source.framework, target.framework
    steps = [f"from {a} {_WEIGHT[a]}"]
    if a == "jax" and not source.params.get("transpose_kernel"):
        steps.append("flip kH and kW (JAX correlates with the kernel as stored; the others scatter it)")
    if dilate != (1, 1):
        steps.append(f"insert zeros between the taps (dilation {shapes.show(dilate)} -> a kernel of "
                     f"{dilate[0]} * (kH - 1) + 1 by {dilate[1]} * (kW - 1) + 1)")
    if g > 1 and b not in ("torch", "onnx"):
        steps.append(f"expand groups={g} to a dense block-diagonal weight ({b} has no groups)")
    if b == "jax" and not target.params.get("transpose_kernel"):
        steps.append("flip kH and kW")
    steps.append(f"to {b} {_WEIGHT[b]}")
    return "; ".join(steps)


# ------------------------------------------------------------------------------------------------------ targets

def _kept(crops, full):
    """The part of ``crops`` a target with pads >= 0 can remove itself, leaving at least one row and column."""
    out = []
    for (top, bottom), f in zip(crops, full):
        top = min(max(top, 0), f - 1)
        out.append((top, min(max(bottom, 0), f - 1 - top)))
    return out


def _target_torch(s, d, g, crops, n, k):
    exact = shapes.torch_params_for(crops, stride=s, dilation=d)
    if exact:
        pad, op = exact
        residual = ((0, 0), (0, 0))
    else:
        pad = tuple(max(0, min(c)) for c in crops)
        op = (0, 0)
        residual = tuple((c[0] - p, c[1] - p) for c, p in zip(crops, pad))
    return {"stride": s, "padding": pad, "output_padding": op, "dilation": d, "groups": g}, residual, None


def _target_onnx(s, d, g, crops, n, k):
    base = {"strides": list(s), "dilations": list(d), "group": g}
    for auto in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        for op in {(0, 0), tuple(max(0, -c[1]) for c in crops)}:
            try:
                _, c2 = shapes.onnx_crops(n, k, auto_pad=auto, strides=list(s), dilations=list(d),
                                          output_padding=list(op))
            except ArgumentError:
                continue
            if c2 == tuple(crops):
                return {**base, "auto_pad": auto, "output_padding": list(op)}, ((0, 0), (0, 0)), None
    kept = _kept(crops, shapes.full_size(n, k, stride=s, dilation=d))
    pads = [kept[0][0], kept[1][0], kept[0][1], kept[1][1]]
    op = [min(max(0, -c[1]), si - 1) for c, si in zip(crops, s)]
    residual = tuple((c[0] - pads[i], c[1] - pads[i + 2] + op[i]) for i, c in enumerate(crops))
    return {**base, "pads": pads, "output_padding": op}, residual, None


def _target_tf(s, d, g, crops, n, k):
    full = shapes.full_size(n, k, stride=s, dilation=d)
    out = tuple(full[i] - crops[i][0] - crops[i][1] for i in range(2))
    for mode in ("SAME", "VALID"):
        try:
            if shapes.tf_crops(out, n, k, stride=s, padding=mode, dilation=d) == tuple(crops):
                return {"strides": s, "padding": mode, "output_shape": out, "dilations": d}, ((0, 0), (0, 0)), None
        except ArgumentError:
            pass
    pads = _kept(crops, full)
    lo = [full[i] - pads[i][0] - pads[i][1] for i in range(2)]
    shape = tuple(max(lo[i], min(out[i], lo[i] + s[i] - 1)) for i in range(2))
    residual = tuple((crops[i][0] - pads[i][0], crops[i][1] - (full[i] - shape[i] - pads[i][0])) for i in range(2))
    return {"strides": s, "padding": [list(p) for p in pads], "output_shape": shape, "dilations": d}, residual, None


def _target_keras(s, d, g, crops, n, k):
    dilate = (1, 1)
    if max(s) > 1 and max(d) > 1:          # Keras refuses the pair: dilate the kernel by hand instead
        dilate, k, d = d, tuple(d[i] * (k[i] - 1) + 1 for i in range(2)), (1, 1)
    ops = [None] + [(a, b) for a in range(s[0]) for b in range(s[1])]
    for mode in ("same", "valid"):
        for op in ops:
            try:
                _, c2 = shapes.keras_crops(n, k, strides=s, padding=mode, output_padding=op, dilation_rate=d)
            except ArgumentError:
                continue
            if c2 == tuple(crops):
                return ({"strides": s, "padding": mode, "output_padding": op, "dilation_rate": d},
                        ((0, 0), (0, 0)), dilate)
    op = tuple(min(max(0, -c[1]), si - 1) for c, si in zip(crops, s))
    residual = tuple((c[0], c[1] + o) for c, o in zip(crops, op))
    return {"strides": s, "padding": "valid", "output_padding": op, "dilation_rate": d}, residual, dilate


def _target_jax(s, d, g, crops, n, k):
    pads = tuple((d[i] * (k[i] - 1) - crops[i][0], d[i] * (k[i] - 1) - crops[i][1]) for i in range(2))
    for mode in ("SAME", "VALID"):
        if shapes.jax_crops(n, k, strides=s, padding=mode, rhs_dilation=d)[1] == tuple(crops):
            pads = mode
    return {"strides": s, "padding": pads, "rhs_dilation": d, "transpose_kernel": False}, ((0, 0), (0, 0)), None


_TARGETS = {"torch": _target_torch, "onnx": _target_onnx, "tf": _target_tf, "keras": _target_keras,
            "jax": _target_jax}


def port(layer: Layer, to: str) -> Ported:
    """``layer`` in framework ``to``'s terms: parameters, weight permutation/flip, exactness and what is left.

    >>> p = port(Layer("torch", 4, 2, (3, 3), {"stride": 2, "padding": 1, "output_padding": 1}), "jax")
    >>> p.exact, p.layer.params["padding"], p.weight(np.ones((4, 2, 3, 3))).shape
    (True, ((1, 2), (1, 2)), (3, 3, 4, 2))
    """
    if to not in FRAMEWORKS:
        raise ArgumentError(f"to={to!r}: expected one of {FRAMEWORKS}")
    if layer.framework == "jax" and layer.params.get("dimension_numbers") is not None:
        raise ArgumentError("port speaks JAX's default dimension numbers ('NHWC', 'HWIO', 'NHWC') only")
    s, d, g, crops, out = geometry(layer)
    if min(out) < 1:
        raise ArgumentError(f"layer: its output is {out[0]} x {out[1]} (empty): nothing to port")
    k = shapes.pair("kernel_size", layer.kernel_size)
    n = shapes.pair("input_size", layer.input_size if layer.input_size is not None else (16, 16))
    if to == "tf" and layer.input_size is None:
        raise ArgumentError("porting to tf needs layer.input_size: tf.nn.conv2d_transpose takes output_shape")
    params, residual, dilate = _TARGETS[to](s, d, g, crops, n, k)
    dilate = dilate or (1, 1)
    exact = residual == ((0, 0), (0, 0))
    kernel = tuple(dilate[i] * (k[i] - 1) + 1 for i in range(2))
    target = Layer(to, layer.in_channels, layer.out_channels, kernel, params, input_size=layer.input_size)
    notes = []
    if not exact:
        notes.append(f"no exact {to} equivalent: the nearest computes crops {crops} as "
                     f"{tuple(tuple(c[j] - residual[i][j] for j in range(2)) for i, c in enumerate(crops))}; "
                     f"crop {residual} more (negative: rows holding only the bias)")
    if g > 1 and to not in ("torch", "onnx"):
        notes.append(f"groups={g}: {to} has none; the dense block-diagonal weight computes the same")
    if dilate != (1, 1):
        notes.append(f"Keras refuses strides {shapes.show(s)} with dilation {shapes.show(d)}: the kernel is dilated "
                     f"by hand (zeros between taps)")
    if to == "jax":
        notes.append("JAX has no bias: add it after")
    return Ported(layer, target, exact, residual, _weight_rule(layer, target, g, dilate), "; ".join(notes),
                  dilate)


def run(layer: Layer, x, weight, bias=None):
    """Compute ``layer`` with its framework's entry point; x and weight in that framework's default layouts.

    torch and onnx take x (N, C_in, H, W), the others (N, H, W, C_in). JAX has no bias: it is added after.
    """
    f, p = layer.framework, dict(layer.params)
    x = np.asarray(x)
    if f == "torch":
        return conv_transpose2d(x, weight, bias, **p)
    if f == "onnx":
        return frameworks.onnx_conv_transpose(x, weight, bias, **p)
    if f == "keras":
        return frameworks.keras_conv2d_transpose(x, weight, bias, **p)
    if f == "jax":
        y = frameworks.jax_conv_transpose(x, weight, p["strides"], p["padding"], p.get("rhs_dilation"),
                                          transpose_kernel=p.get("transpose_kernel", False))
        return y if bias is None else y + np.asarray(bias, dtype=y.dtype)
    out = p.pop("output_shape")
    y = tf_style.conv2d_transpose(x, weight, (x.shape[0], out[0], out[1], layer.out_channels),
                                  p.pop("strides", 1), padding=p.pop("padding", "SAME"), dilations=p.get("dilations"))
    return y if bias is None else y + np.asarray(bias, dtype=y.dtype)

