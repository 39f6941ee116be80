"""TensorFlow's ``tf.nn.conv2d_transpose``: its rules, and ``conv2d_transpose`` with its signature and checks.

Differences from the PyTorch-style functions, all on purpose (they are what TF users meet):

- ``filters`` is (kH, kW, C_out, C_in); data is NHWC unless ``data_format="NCHW"``;
- ``output_shape`` is required and must convolve back to the input (TF's "Size of out_backprop doesn't match
  computed"): several sizes are valid when the stride is > 1, and the error lists them (``tf_output_size_range``);
- 'SAME' pads the forward conv with the extra pixel at the bottom/right (``tf_padding``), so its result can sit
  one pixel away from PyTorch's ``padding=1, output_padding=1``;
- strides and dilations may be 1, 2 or 4 ints, explicit padding 4 (before, after) pairs in data_format order.

>>> import numpy as np
>>> conv2d_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 3)), (1, 8, 8, 2), 2).shape
(1, 8, 8, 2)
"""
from __future__ import annotations

import numpy as np

from .. import shapes
from ..gemm import transpose
from ..shapes import AXES, ArgumentError, full_size, kernel_span, pair
from ._base import Framework, LayerCrops, Target, kept, named_padding_only, pad_pairs, param

__all__ = ["tf_pair", "tf_explicit_padding", "tf_output_size_range", "tf_padding", "tf_crops", "conv2d_transpose",
           "TensorFlow", "FRAMEWORK"]


def _tf_spatial(data_format):
    """Indices of H and W in a 4-D ``data_format`` ('NHWC' or 'NCHW')."""
    return (1, 2) if data_format == "NHWC" else (2, 3)


def tf_pair(name, value, data_format="NHWC"):
    """TF's strides or dilations as an (h, w) pair: an int, or a list of 1, 2 or 4 ints (4: in ``data_format``
    order, with 1 for batch and channels).

    >>> tf_pair("strides", [1, 2, 3, 1]), tf_pair("strides", [1, 1, 2, 3], "NCHW")
    ((2, 3), (2, 3))
    """
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) in (1, 4):
        items = list(value)
        if len(items) == 1:
            return pair(name, items[0])
        h, w = _tf_spatial(data_format)
        others = [items[i] for i in range(4) if i not in (h, w)]
        if any(pair(name, v)[0] != 1 for v in others):
            raise ArgumentError(f"{name}={value!r}: the batch and channel entries must be 1 "
                                f"(data_format={data_format!r})")
        return pair(name, (items[h], items[w]))
    return pair(name, value)


def tf_explicit_padding(padding, data_format="NHWC"):
    """TF's explicit padding, 4 (before, after) pairs in ``data_format`` order, as the 2 spatial pairs.

    'SAME', 'VALID', 2 pairs and anything else pass through unchanged (``tf_padding`` names what is wrong).

    >>> tf_explicit_padding([[0, 0], [1, 2], [0, 1], [0, 0]])
    [(1, 2), (0, 1)]
    """
    if isinstance(padding, str) or not isinstance(padding, (list, tuple, np.ndarray)):
        return padding
    rows = [tuple(r) if isinstance(r, (list, tuple, np.ndarray)) else r for r in padding]
    if len(rows) == 2:
        return rows
    if len(rows) != 4:
        raise ArgumentError(f"padding={padding!r}: explicit padding needs 4 (before, after) pairs, "
                            f"one per dimension of {data_format}")
    h, w = _tf_spatial(data_format)
    if any(rows[i] != (0, 0) for i in range(4) if i not in (h, w)):
        raise ArgumentError(f"padding={padding!r}: the batch and channel pairs must be (0, 0)")
    return [rows[h], rows[w]]


def _tf_pads_spec(padding):
    """'SAME', 'VALID' or explicit ((top, bottom), (left, right))."""
    if isinstance(padding, str):
        mode = padding                                  # upper case only, as tf.nn.conv2d_transpose
        if mode not in ("SAME", "VALID"):
            raise ArgumentError(f"padding={padding!r}: expected 'SAME', 'VALID' (upper case) or explicit pairs")
        return mode
    pads = pad_pairs(padding, "(before, after)")
    for axis, r in zip(AXES, pads):
        if min(r) < 0:
            raise ArgumentError(f"padding={padding!r}: explicit padding must be >= 0 (the {axis}'s (before, after) pair is {r})")
    return pads


def tf_output_size_range(input_size, kernel_size, *, stride=1, padding="SAME", dilation=1):
    """Sizes TensorFlow accepts as the output of a transposed conv, per axis: ``((lo, hi), (lo, hi))``.

    A size is valid when the forward conv (TF's windowed-size rule) maps it back to ``input_size``.

    >>> tf_output_size_range(4, 3, stride=2, padding="SAME")
    ((7, 8), (7, 8))
    >>> tf_output_size_range(4, 3, stride=2, padding="VALID")
    ((9, 10), (9, 10))
    """
    n, k = pair("input_size", input_size, 1), pair("kernel_size", kernel_size, 1)
    s, d = pair("strides", stride, 1), pair("dilations", dilation, 1)
    mode = _tf_pads_spec(padding)
    out = []
    for i in range(2):
        k_eff = kernel_span(k[i], d[i])
        if mode == "SAME":          # ceil(out / s) == in
            lo, hi = (n[i] - 1) * s[i] + 1, n[i] * s[i]
        else:                       # (out + pads - k_eff) // s + 1 == in
            pads = 0 if mode == "VALID" else sum(mode[i])
            lo = max(1, (n[i] - 1) * s[i] + k_eff - pads)
            hi = (n[i] - 1) * s[i] + k_eff - pads + s[i] - 1
        out.append((lo, hi))
    return tuple(out)


def tf_padding(output_size_hw, input_size, kernel_size, *, stride=1, padding="SAME", dilation=1):
    """Padding ``((top, bottom), (left, right))`` of the forward conv that TF's transposed conv inverts.

    'SAME': ``need = max(0, (in - 1) * s + k_eff - out)``, top = need // 2, the extra pixel at the bottom/right.
    Raises ``ArgumentError`` (listing the valid sizes) when ``output_size_hw`` does not convolve back to the input.

    >>> tf_padding((8, 8), (4, 4), 3, stride=2, padding="SAME")
    ((0, 1), (0, 1))
    """
    out = pair("output_shape", output_size_hw)
    n, k = pair("input_size", input_size), pair("kernel_size", kernel_size)
    s, d = pair("strides", stride), pair("dilations", dilation)
    ranges = tf_output_size_range(n, k, stride=s, padding=padding, dilation=d)
    mode = _tf_pads_spec(padding)
    for i, axis in enumerate(AXES):
        lo, hi = ranges[i]
        if not lo <= out[i] <= hi:
            raise ArgumentError(
                f"output_shape: {axis} {out[i]} does not convolve back to the input's {n[i]} with "
                f"padding {padding!r}, stride {s[i]}, kernel {k[i]} (TensorFlow: \"Size of out_backprop doesn't match "
                f"computed\"); valid {axis}s: {f'{lo}..{hi}' if lo <= hi else 'none (the padding crops too much)'}")
    if mode == "VALID":
        return ((0, 0), (0, 0))
    if mode != "SAME":
        return mode
    pads = []
    for i in range(2):
        need = max(0, (n[i] - 1) * s[i] + kernel_span(k[i], d[i]) - out[i])
        pads.append((need // 2, need - need // 2))
    return tuple(pads)


def tf_crops(output_size_hw, input_size, kernel_size, *, stride=1, padding="SAME", dilation=1) -> tuple:
    """TensorFlow's transposed conv as crops (``tf_padding`` checks ``output_shape`` first).

    >>> tf_crops((8, 8), 4, 3, stride=2, padding="SAME")
    ((0, 1), (0, 1))
    """
    pads = tf_padding(output_size_hw, input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    full = full_size(input_size, kernel_size, stride=stride, dilation=dilation)
    out = pair("output_shape", output_size_hw)
    return tuple((pads[i][0], full[i] - out[i] - pads[i][0]) for i in range(2))


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC", dilations=None):
    """``tf.nn.conv2d_transpose``: input (N, H, W, C_in) [NHWC] or (N, C_in, H, W) [NCHW];
    filters (kH, kW, C_out, C_in); output_shape (N, H_out, W_out, C_out) in data_format order.

    padding: 'SAME', 'VALID' or explicit [[0, 0], [top, bottom], [left, right], [0, 0]] (data_format order).
    Returns the array of ``output_shape``.
    """
    if data_format not in ("NHWC", "NCHW"):
        raise ArgumentError(f"data_format={data_format!r}: expected 'NHWC' or 'NCHW'")
    x, f = shapes.as_array("input", input, np), shapes.as_array("filters", filters, np)
    if x.ndim != 4:
        raise ArgumentError(f"input: expected a 4-D {data_format} array, got shape {x.shape}")
    if f.ndim != 4:
        raise ArgumentError(f"filters: expected (kH, kW, C_out, C_in), got shape {f.shape}")
    s = tf_pair("strides", strides, data_format)
    d = tf_pair("dilations", 1 if dilations is None else dilations, data_format)
    pad = tf_explicit_padding(padding, data_format)
    try:
        shape = [shapes.integer("output_shape", v) for v in np.asarray(output_shape).ravel().tolist()]
    except TypeError:
        raise TypeError(f"output_shape={output_shape!r}: expected 4 ints") from None
    if len(shape) != 4:
        raise ArgumentError(f"output_shape={output_shape!r}: expected 4 ints in {data_format} order")
    x = x if data_format == "NCHW" else x.transpose(0, 3, 1, 2)
    n_out, c_out, h_out, w_out = shape if data_format == "NCHW" else (shape[0], shape[3], shape[1], shape[2])
    if x.shape[1] != f.shape[3]:
        raise ArgumentError(f"filters: shape {f.shape} is (kH, kW, C_out, C_in), so its last dim must equal "
                                   f"the input's channels {x.shape[1]}, got {f.shape[3]}")
    if n_out != x.shape[0]:
        raise ArgumentError(f"output_shape={output_shape!r}: batch {n_out} must equal the input's {x.shape[0]}")
    if c_out != f.shape[2]:
        raise ArgumentError(f"output_shape={output_shape!r}: channels {c_out} must equal filters' C_out "
                            f"(dim 2) = {f.shape[2]}")
    pads = tf_padding((h_out, w_out), x.shape[2:], f.shape[:2], stride=s, padding=pad, dilation=d)
    spec = shapes.make_spec(x, f.transpose(3, 2, 0, 1), None, stride=s, dilation=d, groups=1,
                            offset=(pads[0][0], pads[1][0]), out_size=(h_out, w_out), input_ndim=4)
    y = transpose(spec)
    return y if data_format == "NCHW" else y.transpose(0, 2, 3, 1)


class TensorFlow(Framework):
    name, title = "tf", "TensorFlow"
    params = ("strides", "padding", "output_shape", "dilations")
    layouts = {"TensorFlow tf.nn.conv2d_transpose": "(kH, kW, C_out, C_in)",
               "TensorFlow tf.nn.conv2d (the forward conv)": "(kH, kW, C_in, C_out)"}
    needs_input_size = "tf.nn.conv2d_transpose takes output_shape"

    def layer_crops(self, layer, n, k):
        if layer.input_size is None or layer.params.get("output_shape") is None:
            raise ArgumentError("a tf layer needs input_size and params['output_shape'] (H, W): "
                                "tf.nn.conv2d_transpose takes its output size as an argument")
        s, d = tf_pair("strides", param(layer, "strides", 1)), tf_pair("dilations", param(layer, "dilations", 1))
        out = pair("output_shape", layer.params["output_shape"])
        padding = tf_explicit_padding(param(layer, "padding", "SAME"))
        return LayerCrops(s, d, 1, tf_crops(out, n, k, stride=s, padding=padding, dilation=d), out)

    def target(self, lc, n, k):
        s, d, crops = lc.stride, lc.dilation, tuple(lc.crops)
        full = full_size(n, k, stride=s, dilation=d)
        out = tuple(full[i] - crops[i][0] - crops[i][1] for i in range(2))
        for mode in ("SAME", "VALID"):
            try:
                if tf_crops(out, n, k, stride=s, padding=mode, dilation=d) == crops:
                    return Target({"strides": s, "padding": mode, "output_shape": out, "dilations": d})
            except ArgumentError:
                pass
        pads = kept(crops, full)
        lo = [full[i] - pads[i][0] - pads[i][1] for i in range(2)]
        shape = tuple(max(lo[i], min(out[i], lo[i] + s[i] - 1)) for i in range(2))
        residual = tuple((crops[i][0] - pads[i][0], crops[i][1] - (full[i] - shape[i] - pads[i][0]))
                         for i in range(2))
        return Target({"strides": s, "padding": [list(p) for p in pads], "output_shape": shape, "dilations": d},
                      residual)

    def explorer_params(self, n, k, s, padding, op, d, g):
        named_padding_only(self, padding, g)
        if op:
            raise ArgumentError("output_padding: tf.nn.conv2d_transpose has none; it takes "
                                "output_shape (here the largest valid size)")
        out = tf_output_size_range((n, n), k, stride=s, padding=padding, dilation=d)
        return {"strides": s, "padding": padding, "output_shape": (out[0][1], out[1][1]), "dilations": d}

    def run(self, layer, x, w, bias=None):
        p, x = layer.params, np.asarray(x)
        out = p["output_shape"]
        y = conv2d_transpose(x, w, (x.shape[0], out[0], out[1], layer.out_channels), p.get("strides", 1),
                             padding=p.get("padding", "SAME"), dilations=p.get("dilations"))
        return y if bias is None else y + np.asarray(bias, dtype=y.dtype)


FRAMEWORK = TensorFlow()
