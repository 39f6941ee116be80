"""ONNX's ``ConvTranspose`` (opset 11 and later, as onnxruntime runs it) in 1-D, 2-D and 3-D: its rules and what it
computes.

Attributes are lists of ints, one per spatial axis (``pads``: all the starts, then all the ends); ``pads`` remove
output pixels, ``auto_pad`` 'SAME_UPPER' crops the odd pixel at the end and 'SAME_LOWER' (and ``output_shape``
alone) at the start. The rank is X's (r + 2 dims for r spatial axes).

>>> import numpy as np
>>> onnx_conv_transpose(np.ones((1, 3, 4, 4)), np.ones((3, 2, 3, 3)), strides=[2, 2], auto_pad="SAME_UPPER").shape
(1, 2, 8, 8)
>>> onnx_conv_transpose(np.ones((1, 3, 4)), np.ones((3, 2, 3)), strides=[2], pads=[1, 0]).shape
(1, 2, 8)
"""
from __future__ import annotations

import numpy as np

from ..shapes import (ArgumentError, as_array, axes, check_bias, check_groups, full_size, integer, kernel_span,
                      ntuple, positive_int, spatial_layout)
from ._base import RANKS, GroupedFramework, LayerCrops, Target, compute, kept, n_d, param, same_dtype

__all__ = ["ONNX_AUTO_PADS", "onnx_crops", "onnx_conv_transpose", "ONNX", "FRAMEWORK"]

ONNX_AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def _onnx_ints(name, value, count):
    """An ONNX INTS attribute: a list of ``count`` ints."""
    if not isinstance(value, (list, tuple, np.ndarray)):
        raise TypeError(f"{name}={value!r}: ONNX attributes are lists of ints, e.g. {name}={[1] * count}")
    items = list(value)
    if len(items) != count:
        raise ArgumentError(f"{name}={value!r}: ONNX needs {count} values here (\"Attribute {name} has incorrect "
                            f"size\")")
    return tuple(integer(name, v) for v in items)


def onnx_crops(input_size, kernel_size, *, auto_pad="NOTSET", dilations=None, kernel_shape=None,
               output_padding=None, output_shape=None, pads=None, strides=None):
    """ONNX ``ConvTranspose`` (as onnxruntime runs it), in the rank of ``input_size`` (an int: 2-D): ``(out_size,
    crops)``.

    - explicit ``pads = [top, left, bottom, right]`` (in r axes: r starts, then r ends) remove output rows and
      columns: crops
      ``(top, bottom - output_padding)``, ``out = full + output_padding - top - bottom``;
    - 'VALID': no pads; 'SAME_UPPER' / 'SAME_LOWER': ``total = max(0, full + output_padding - in * s)`` is split
      in two, the odd pixel cropped at the end (UPPER) or at the start (LOWER); ``out = in * s`` where the full
      output reaches it, else ``full + output_padding`` (onnxruntime; the spec says ``in * s`` always);
    - ``output_shape`` (pads ignored): ``total = full + output_padding - out``, split as for SAME_LOWER unless
      auto_pad is 'SAME_UPPER'; a negative total adds rows at the end;
    - output_padding must be < max(stride, dilation) (the spec), and the output must convolve back to the input
      (onnxruntime), which only output_padding < stride passes.

    >>> onnx_crops(4, 3, strides=[2, 2], auto_pad="SAME_UPPER"), onnx_crops(4, 3, strides=[2, 2], auto_pad="SAME_LOWER")
    (((8, 8), ((0, 1), (0, 1))), ((8, 8), ((1, 0), (1, 0))))
    >>> onnx_crops((4,), (3,), strides=[2], output_shape=[8])
    ((8,), ((1, 0),))
    """
    r = len(input_size) if isinstance(input_size, (tuple, list)) else 2
    n, k = ntuple("input_size", input_size, r), ntuple("kernel_size", kernel_size, r)
    if not isinstance(auto_pad, str) or auto_pad not in ONNX_AUTO_PADS:
        raise ArgumentError(f"auto_pad={auto_pad!r}: ONNX takes one of {', '.join(map(repr, ONNX_AUTO_PADS))}")
    if kernel_shape is not None and _onnx_ints("kernel_shape", kernel_shape, r) != k:
        raise ArgumentError(f"kernel_shape={kernel_shape!r}: must equal W's spatial shape {list(k)} "
                            f"(onnxruntime: \"kernel_shape is not compatible with W shape\")")
    s = (1,) * r if strides is None else _onnx_ints("strides", strides, r)
    d = (1,) * r if dilations is None else _onnx_ints("dilations", dilations, r)
    op = (0,) * r if output_padding is None else _onnx_ints("output_padding", output_padding, r)
    for name, value in (("strides", s), ("dilations", d)):
        if min(value) < 1:
            raise ArgumentError(f"{name}={list(value)}: ONNX: \"Attribute {name} must only contain positive values\"")
    if min(op) < 0:
        raise ArgumentError(f"output_padding={list(op)}: ONNX: \"Attribute output_padding must not contain "
                            f"negative values\"")
    for i, axis in enumerate(axes(r)):
        if op[i] >= max(s[i], d[i]):
            raise ArgumentError(f"output_padding={list(op)}: must be less than max(stride, dilation) = "
                                f"{max(s[i], d[i])} on the {axis} (ONNX's rule), got {op[i]}")
    if pads is not None:
        p = _onnx_ints("pads", pads, 2 * r)
        if auto_pad != "NOTSET":
            raise ArgumentError(f"pads={pads!r}: ONNX refuses pads together with auto_pad={auto_pad!r} (\"The pads "
                                f"attribute cannot be used simultaneously with auto_pad attribute\")")
        if min(p) < 0:
            raise ArgumentError(f"pads={list(p)}: ONNX: \"Attribute pads must not contain negative values\"")
    else:
        p = (0,) * (2 * r)
    shape = None if output_shape is None else _onnx_ints("output_shape", output_shape, r)
    full = full_size(n, k, stride=s, dilation=d, rank=r)
    out, crops = [], []
    for i, axis in enumerate(axes(r)):
        k_eff = kernel_span(k[i], d[i])
        if shape is not None:
            size = shape[i]
            if size < 1:
                raise ArgumentError(f"output_shape={list(shape)}: the {axis} must be >= 1")
            total = full[i] + op[i] - size
            kept = max(total, 0)
            if (size + kept - k_eff) // s[i] + 1 != n[i]:
                raise ArgumentError(
                    f"output_shape={list(shape)}: the {axis} {size} does not convolve back to the input's {n[i]} "
                    f"(onnxruntime: \"Explicit output_shape is inconsistent with input spatial dimensions\"); "
                    + (f"valid {axis}s: 1..{full[i] + s[i] - 1}" if op[i] < s[i] else
                       f"no {axis} is (output_padding {op[i]} >= stride {s[i]})"))
            top = kept // 2 if auto_pad == "SAME_UPPER" else kept - kept // 2
        elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            total = max(0, full[i] + op[i] - n[i] * s[i])
            size = full[i] + op[i] - total
            top = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
        else:
            size = full[i] + op[i] - p[i] - p[i + r]
            top = p[i]
            if size < 1:
                raise ArgumentError(f"pads={list(p)}: the output {axis} would be {size} <= 0 (pads remove "
                                    f"{p[i] + p[i + r]} of the {full[i] + op[i]} rows/columns)")
        if shape is None and op[i] >= s[i]:
            raise ArgumentError(f"output_padding={list(op)}: the {axis} {op[i]} is not below the stride {s[i]}, so "
                                f"the output does not convolve back to the input (onnxruntime: \"output_padding "
                                f"may be too large for stride\"; the spec allows < dilation too)")
        out.append(size)
        crops.append((top, full[i] - size - top))
    return tuple(out), tuple(crops)


def onnx_conv_transpose(X, W, B=None, *, auto_pad="NOTSET", dilations=None, group=1, kernel_shape=None,
                        output_padding=None, output_shape=None, pads=None, strides=None):
    """What ONNX ``ConvTranspose`` (opset 11 and later, as onnxruntime runs it) computes, in 1-D, 2-D and 3-D.

    X: (N, C, H, W); W: (C, M / group, kH, kW) (PyTorch's layout); B: (M,) or None. Attributes are lists, as in
    ONNX: strides [sH, sW], pads [top, left, bottom, right] (they remove output pixels), output_shape [H, W]
    (pads then ignored). In 1-D X is (N, C, L) and every attribute has one entry (pads two), in 3-D (N, C, D, H, W)
    and three (pads six). Sizes and crops: ``onnx_crops``.

    >>> import numpy as np
    >>> onnx_conv_transpose(np.ones((1, 3, 4, 4)), np.ones((3, 2, 3, 3)), strides=[2, 2], auto_pad="SAME_UPPER").shape
    (1, 2, 8, 8)
    """
    x, w = as_array("X", X, np), as_array("W", W, np)
    b = as_array("B", B, np, optional=True)
    if x.ndim - 2 not in RANKS:
        raise ArgumentError(f"X: expected (N, C, L), (N, C, H, W) or (N, C, D, H, W), got shape {x.shape}")
    rank = x.ndim - 2
    sp, kn = spatial_layout(rank)
    n_d("X", x, rank + 2, f"(N, C, {sp})")
    n_d("W", w, rank + 2, f"(C, M / group, {kn})")
    same_dtype("ONNX ConvTranspose (type T)", x, w, b)
    g = positive_int("group", group, ' (ONNX: "Attribute group must be > 0")')
    check_groups(g, {"the input channels C": x.shape[1]}, ' (ONNX: "Input channels C must be divisible by group")',
                 name="group")
    if w.shape[0] != x.shape[1]:
        raise ArgumentError(f"W: shape {w.shape} is (C, M / group, kH, kW), so its dim 0 must equal X's channels "
                            f"C={x.shape[1]}, got {w.shape[0]}")
    check_bias(b, w.shape[1] * g)
    _, crops = onnx_crops(x.shape[2:], w.shape[2:], auto_pad=auto_pad, dilations=dilations,
                          kernel_shape=kernel_shape, output_padding=output_padding, output_shape=output_shape,
                          pads=pads, strides=strides)
    s = (1,) * rank if strides is None else tuple(int(v) for v in strides)
    d = (1,) * rank if dilations is None else tuple(int(v) for v in dilations)
    return compute(x, w, b, stride=s, dilation=d, groups=g, crops=crops)


class ONNX(GroupedFramework):
    name, title, nchw = "onnx", "ONNX", True
    params = ("strides", "dilations", "auto_pad", "pads", "output_padding", "output_shape", "group")
    weight = "(C, M / group, kH, kW)"
    layouts = {"ONNX ConvTranspose": "(C, M / group, kH, kW)  (PyTorch's)"}
    layouts_nd = {"ONNX ConvTranspose": ("(C, M / group, k)", "(C, M / group, kD, kH, kW)")}
    groups_param = "group"

    def layer_crops(self, layer, n, k):
        p = layer.params
        out, crops = onnx_crops(n, k, auto_pad=param(layer, "auto_pad", "NOTSET"), dilations=p.get("dilations"),
                                output_padding=p.get("output_padding"), output_shape=p.get("output_shape"),
                                pads=p.get("pads"), strides=p.get("strides"))
        r = len(k)
        s = ntuple("strides", param(layer, "strides", 1), r)
        d = ntuple("dilations", param(layer, "dilations", 1), r)
        return LayerCrops(s, d, self.groups(layer), crops, out)

    def target(self, lc, n, k):
        s, d, crops, r = lc.stride, lc.dilation, tuple(lc.crops), len(k)
        base = {"strides": list(s), "dilations": list(d), "group": lc.groups}
        for auto in ("SAME_UPPER", "SAME_LOWER", "VALID"):
            for op in {(0,) * r, tuple(max(0, -c[1]) for c in crops)}:
                try:
                    _, c2 = onnx_crops(n, k, auto_pad=auto, strides=list(s), dilations=list(d), output_padding=list(op))
                except ArgumentError:
                    continue
                if c2 == crops:
                    return Target({**base, "auto_pad": auto, "output_padding": list(op)})
        inner = kept(crops, full_size(n, k, stride=s, dilation=d, rank=r))
        pads = [t for t, _ in inner] + [b for _, b in inner]
        op = [min(max(0, -c[1]), si - 1) for c, si in zip(crops, s)]
        residual = tuple((c[0] - pads[i], c[1] - pads[i + r] + op[i]) for i, c in enumerate(crops))
        return Target({**base, "pads": pads, "output_padding": op}, residual)

    def explorer_params(self, n, k, s, padding, op, d, g):
        pad = {"SAME": {"auto_pad": "SAME_UPPER"}, "SAME_LOWER": {"auto_pad": "SAME_LOWER"},
               "VALID": {"auto_pad": "VALID"}}.get(padding, {"pads": [int(padding) if padding.isdigit() else 0] * 4})
        return {"strides": [s, s], "dilations": [d, d], "output_padding": [op, op], "group": g, **pad}

    def run(self, layer, x, w, bias=None):
        return onnx_conv_transpose(np.asarray(x), w, bias, **layer.params)


FRAMEWORK = ONNX()
