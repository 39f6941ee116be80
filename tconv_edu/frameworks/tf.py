"""TensorFlow's ``tf.nn.conv1d_transpose``, ``conv2d_transpose`` and ``conv3d_transpose``: their rules, and the three
entry points with their signatures and checks.

Differences from the PyTorch-style functions, all on purpose (they are what TF users meet):

- ``filters`` is (kH, kW, C_out, C_in) ((k, C_out, C_in) in 1-D, (kD, kH, kW, C_out, C_in) in 3-D); data is
  channels last (NWC, NHWC, NDHWC) unless ``data_format`` puts the channels first (NCW, NCHW, NCDHW);
- ``output_shape`` is required and must convolve back to the input (TF's "Size of out_backprop doesn't match
  computed"): several sizes are valid when the stride is > 1, and the error lists them (``tf_output_size_range``);
- 'SAME' pads the forward conv with the extra pixel at the bottom/right (``tf_padding``), so its result can sit
  one pixel away from PyTorch's ``padding=1, output_padding=1``;
- strides and dilations may be an int or a list of 1, r or r + 2 ints (r spatial axes; r + 2: in data_format order,
  with 1 for batch and channels); explicit padding (r + 2 (before, after) pairs) exists in 2-D only: the 1-D and
  3-D functions take 'SAME' or 'VALID'.
- ``conv1d_transpose`` runs TensorFlow's 2-D kernel on an image one row high, and its errors say so: a list of 3
  strides is that 2-D call's (row, column, channel) strides in NWC (channel, row, column in NCW), and the row's
  entry is accepted and has no effect.

What TensorFlow's CPU build refuses and the library computes (as TensorFlow's GPU kernels do): dilations > 1 and
the channels-first formats.

>>> import numpy as np
>>> conv2d_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 3)), (1, 8, 8, 2), 2).shape
(1, 8, 8, 2)
>>> conv1d_transpose(np.ones((4, 64, 8)), np.ones((16, 4, 8)), (4, 512, 4), 8).shape
(4, 512, 4)
>>> conv3d_transpose(np.ones((1, 4, 4, 4, 2)), np.ones((2, 2, 2, 1, 2)), (1, 8, 8, 8, 1), 2).shape
(1, 8, 8, 8, 1)
"""
from __future__ import annotations

import numpy as np

from .. import shapes
from ..shapes import ArgumentError, axes, full_size, kernel_span, ntuple, rank_of, show, spatial_layout
from ._base import (Framework, LayerCrops, Target, channels_first, channels_last, compute, kept, named_padding_only,
                    pad_pairs, param)

__all__ = ["TF_DATA_FORMATS", "tf_pair", "tf_ints", "tf_explicit_padding", "tf_output_size_range", "tf_padding",
           "tf_crops", "conv1d_transpose", "conv2d_transpose", "conv3d_transpose", "TensorFlow", "FRAMEWORK"]

#: the data formats of each rank's function, channels last first
TF_DATA_FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


def _tf_spatial(data_format):
    """Indices of the spatial axes in ``data_format`` (e.g. (1, 2) for 'NHWC')."""
    return tuple(i for i, c in enumerate(data_format) if c not in "NC")


def tf_ints(name, value, data_format="NHWC"):
    """TF's strides or dilations as one int per spatial axis of ``data_format``: an int, or a list of 1, r or r + 2
    ints (r + 2: in ``data_format`` order, with 1 for batch and channels).

    In 1-D a list of 3 ints is the underlying 2-D call's: (row, column, channel) in NWC, (channel, row, column) in
    NCW; the row, one pixel high, may have any stride >= 1 (TensorFlow accepts it and nothing changes).

    >>> tf_ints("strides", [1, 2, 3, 1]), tf_ints("strides", [2], "NDHWC"), tf_ints("strides", [5, 2, 1], "NWC")
    ((2, 3), (2, 2, 2), (2,))
    """
    rank = len(data_format) - 2
    fn = f"tf.nn.conv{rank}d_transpose"
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(np.asarray(value, dtype=object).ravel()) if isinstance(value, np.ndarray) else list(value)
        if len(items) == 1:
            return ntuple(name, items[0], rank)
        if len(items) not in (rank, rank + 2):
            raise ArgumentError(f"{name}={value!r}: {fn} takes an int or a list of 1, {rank} or {rank + 2} ints "
                                f"(TensorFlow: \"{name} should be of length 1, {rank} or {rank + 2}\"), got "
                                f"{len(items)}")
        if len(items) == rank + 2:
            ints = [shapes.integer(name, v) for v in items]
            if rank == 1:               # the 2-D call's [1] + value, in NHWC or NCHW
                row, col, chan = (0, 1, 2) if data_format == "NWC" else (1, 2, 0)
                if ints[chan] != 1:
                    raise ArgumentError(f"{name}={value!r}: the channel entry must be 1 (TensorFlow: \"Current "
                                        f"implementation does not yet support {name} in the batch and depth "
                                        f"dimensions\"; conv1d_transpose runs a 2-D kernel, so a list of 3 is "
                                        f"its row, column and channel {name} in {data_format} order)")
                if ints[row] < 1:
                    raise ArgumentError(f"{name}={value!r}: the row entry of conv1d_transpose's 2-D call must be "
                                        f">= 1 (TensorFlow: \"Row and column strides should be larger than 0\")")
                items = [ints[col]]
            else:
                spatial = _tf_spatial(data_format)
                if any(ints[i] != 1 for i in range(rank + 2) if i not in spatial):
                    raise ArgumentError(f"{name}={value!r}: the batch and channel entries must be 1 "
                                        f"(data_format={data_format!r})")
                items = [ints[i] for i in spatial]
        return ntuple(name, tuple(items), rank)
    return ntuple(name, value, rank)


def tf_pair(name, value, data_format="NHWC"):
    """TF's 2-D strides or dilations as an (h, w) pair (``tf_ints`` in 2-D).

    >>> tf_pair("strides", [1, 2, 3, 1]), tf_pair("strides", [1, 1, 2, 3], "NCHW")
    ((2, 3), (2, 3))
    """
    return tf_ints(name, value, data_format)


def tf_explicit_padding(padding, data_format="NHWC"):
    """TF's explicit padding, 4 (before, after) pairs in ``data_format`` order, as the 2 spatial pairs.

    'SAME', 'VALID' and anything that is not a list pass through unchanged (``tf_padding`` names what is wrong); a
    list of any other length than 4 is refused, as TensorFlow refuses it.

    >>> tf_explicit_padding([[0, 0], [1, 2], [0, 1], [0, 0]])
    [(1, 2), (0, 1)]
    """
    if isinstance(padding, str) or not isinstance(padding, (list, tuple, np.ndarray)):
        return padding
    rows = [tuple(r) if isinstance(r, (list, tuple, np.ndarray)) else r for r in padding]
    if any(not isinstance(r, tuple) or len(r) != 2 for r in rows):
        raise ArgumentError(f"padding={padding!r}: each entry of an explicit padding must be a (before, after) "
                            f"pair (TensorFlow: \"each element of `padding` must be a list/tuple of size 2\")")
    if len(rows) != 4:
        raise ArgumentError(f"padding={padding!r}: explicit padding needs 4 (before, after) pairs, one per "
                            f"dimension of {data_format} (TensorFlow: \"When padding is a list, it must be of size 4\")")
    h, w = _tf_spatial(data_format)
    if any(rows[i] != (0, 0) for i in range(4) if i not in (h, w)):
        raise ArgumentError(f"padding={padding!r}: the batch and channel pairs must be (0, 0)")
    return [rows[h], rows[w]]


def _tf_pads_spec(padding, rank=2):
    """'SAME', 'VALID' or explicit ((top, bottom), (left, right)) (explicit: 2-D only, as in TensorFlow)."""
    if isinstance(padding, str):
        mode = padding                                  # upper case only, as tf.nn.conv2d_transpose
        if mode not in ("SAME", "VALID"):
            raise ArgumentError(f"padding={padding!r}: expected 'SAME', 'VALID' (upper case)"
                                + (" or explicit pairs" if rank == 2 else ""))
        return mode
    if rank != 2:
        raise TypeError(f"padding={padding!r}: tf.nn.conv{rank}d_transpose takes 'SAME' or 'VALID' only (explicit "
                        f"padding is conv2d_transpose's; TensorFlow: \"Expected string for argument 'padding'\")")
    pads = pad_pairs(padding, "(before, after)", rank)
    for axis, r in zip(axes(rank), pads):
        if min(r) < 0:
            raise ArgumentError(f"padding={padding!r}: explicit padding must be >= 0 (the {axis}'s (before, after) "
                                f"pair is {r})")
    return pads


def _tf_ranges(n, k, s, d, mode):
    """``tf_output_size_range`` on checked tuples, ``mode`` from ``_tf_pads_spec``."""
    out = []
    for i in range(len(n)):
        k_eff = kernel_span(k[i], d[i])
        if mode == "SAME":          # ceil(out / s) == in
            lo, hi = (n[i] - 1) * s[i] + 1, n[i] * s[i]
        else:                       # (out + pads - k_eff) // s + 1 == in
            pads = 0 if mode == "VALID" else sum(mode[i])
            lo = max(1, (n[i] - 1) * s[i] + k_eff - pads)
            hi = (n[i] - 1) * s[i] + k_eff - pads + s[i] - 1
        out.append((lo, hi))
    return tuple(out)


def tf_output_size_range(input_size, kernel_size, *, stride=1, padding="SAME", dilation=1, rank=None):
    """Sizes TensorFlow accepts as the output of a transposed conv, per axis: ``((lo, hi), (lo, hi))`` in 2-D, one
    (lo, hi) per axis in any rank (``rank``, else the length of a tuple argument, else 2).

    A size is valid when the forward conv (TF's windowed-size rule) maps it back to ``input_size``.

    >>> tf_output_size_range(4, 3, stride=2, padding="SAME")
    ((7, 8), (7, 8))
    >>> tf_output_size_range(4, 3, stride=2, padding="VALID")
    ((9, 10), (9, 10))
    >>> tf_output_size_range((64,), 16, stride=8, padding="VALID")
    ((520, 527),)
    """
    r = rank_of(rank, input_size=input_size, kernel_size=kernel_size, stride=stride, dilation=dilation)
    n, k = ntuple("input_size", input_size, r, 1), ntuple("kernel_size", kernel_size, r, 1)
    s, d = ntuple("strides", stride, r, 1), ntuple("dilations", dilation, r, 1)
    return _tf_ranges(n, k, s, d, _tf_pads_spec(padding, r))


def _tf_pads(out, n, k, s, d, padding):
    """``tf_padding`` on checked tuples."""
    rank = len(n)
    mode = _tf_pads_spec(padding, rank)
    ranges = _tf_ranges(n, k, s, d, mode)
    for i, axis in enumerate(axes(rank)):
        lo, hi = ranges[i]
        if not lo <= out[i] <= hi:
            raise ArgumentError(
                f"output_shape: {axis} {out[i]} does not convolve back to the input's {n[i]} with "
                f"padding {padding!r}, stride {s[i]}, kernel {k[i]} (TensorFlow: \"Size of out_backprop doesn't match "
                f"computed\"); valid {axis}s: {f'{lo}..{hi}' if lo <= hi else 'none (the padding crops too much)'}")
    if mode == "VALID":
        return ((0, 0),) * rank
    if mode != "SAME":
        return mode
    pads = []
    for i in range(rank):
        need = max(0, (n[i] - 1) * s[i] + kernel_span(k[i], d[i]) - out[i])
        pads.append((need // 2, need - need // 2))
    return tuple(pads)


def tf_padding(output_size_hw, input_size, kernel_size, *, stride=1, padding="SAME", dilation=1, rank=None):
    """Padding ``((top, bottom), (left, right))`` of the forward conv that TF's transposed conv inverts (one pair
    per axis in any rank).

    'SAME': ``need = max(0, (in - 1) * s + k_eff - out)``, top = need // 2, the extra pixel at the bottom/right.
    Raises ``ArgumentError`` (listing the valid sizes) when ``output_size_hw`` does not convolve back to the input.

    >>> tf_padding((8, 8), (4, 4), 3, stride=2, padding="SAME"), tf_padding((7,), 4, 3, stride=2)
    (((0, 1), (0, 1)), ((1, 1),))
    """
    r = rank_of(rank, output_size=output_size_hw, input_size=input_size, kernel_size=kernel_size, stride=stride,
                dilation=dilation)
    out = ntuple("output_shape", output_size_hw, r)
    n, k = ntuple("input_size", input_size, r), ntuple("kernel_size", kernel_size, r)
    s, d = ntuple("strides", stride, r), ntuple("dilations", dilation, r)
    return _tf_pads(out, n, k, s, d, padding)


def tf_crops(output_size_hw, input_size, kernel_size, *, stride=1, padding="SAME", dilation=1, rank=None) -> tuple:
    """TensorFlow's transposed conv as crops (``tf_padding`` checks ``output_shape`` first).

    >>> tf_crops((8, 8), 4, 3, stride=2, padding="SAME"), tf_crops((10,), 4, 3, stride=2, padding="VALID")
    (((0, 1), (0, 1)), ((0, -1),))
    """
    r = rank_of(rank, output_size=output_size_hw, input_size=input_size, kernel_size=kernel_size, stride=stride,
                dilation=dilation)
    pads = tf_padding(output_size_hw, input_size, kernel_size, stride=stride, padding=padding, dilation=dilation,
                      rank=r)
    full = full_size(input_size, kernel_size, stride=stride, dilation=dilation, rank=r)
    out = ntuple("output_shape", output_size_hw, r)
    return tuple((pads[i][0], full[i] - out[i] - pads[i][0]) for i in range(r))


def _conv_transpose(rank, input, filters, output_shape, strides, padding, data_format, dilations):
    """``tf.nn.conv{rank}d_transpose``: every check TensorFlow makes, then the full output cropped."""
    fn = f"conv{rank}d_transpose"
    formats = TF_DATA_FORMATS[rank]
    if data_format not in formats:
        raise ArgumentError(f"data_format={data_format!r}: tf.nn.{fn} takes {formats[0]!r} or {formats[1]!r}")
    sp, kn = spatial_layout(rank)
    x, f = shapes.as_array("input", input, np), shapes.as_array("filters", filters, np)
    if x.ndim != rank + 2:
        raise ArgumentError(f"input: expected a {rank + 2}-D {data_format} array, got shape {x.shape}")
    if f.ndim != rank + 2:
        raise ArgumentError(f"filters: expected ({kn}, C_out, C_in), got shape {f.shape}")
    s = tf_ints("strides", strides, data_format)
    d = tf_ints("dilations", 1 if dilations is None else dilations, data_format)
    at_least_one = [(name, v) for name, v in (("strides", s), ("dilations", d)) if min(v) < 1]
    if at_least_one:
        name, v = at_least_one[0]
        what = "Stride" if name == "strides" else "Dilation rate"
        raise ArgumentError(f"{name}={show(v)}: must be >= 1 (TensorFlow: \"{what} must be > 0\")")
    pad = tf_explicit_padding(padding, data_format) if rank == 2 else padding
    _tf_pads_spec(pad, rank)                            # the padding's type and spelling, before the shapes
    try:
        shape = [shapes.integer("output_shape", v) for v in np.asarray(output_shape).ravel().tolist()]
    except TypeError:
        raise TypeError(f"output_shape={output_shape!r}: expected {rank + 2} ints") from None
    first = data_format[1] == "C"
    if rank == 2 and len(shape) == 2:   # conv2d_transpose also takes the spatial sizes alone (not 1-D or 3-D)
        shape = [x.shape[0], f.shape[-2], *shape] if first else [x.shape[0], *shape, f.shape[-2]]
    if len(shape) != rank + 2:
        also = " (or the 2 spatial sizes)" if rank == 2 else ""
        raise ArgumentError(f"output_shape={output_shape!r}: expected {rank + 2} ints in {data_format} order{also}")
    x = x if first else channels_first(x)
    n_out, c_out, out = (shape[0], shape[1], shape[2:]) if first else (shape[0], shape[-1], shape[1:-1])
    if x.shape[1] != f.shape[-1]:
        raise ArgumentError(f"filters: shape {f.shape} is ({kn}, C_out, C_in), so its last dim must equal "
                            f"the input's channels {x.shape[1]}, got {f.shape[-1]}")
    if n_out != x.shape[0]:
        raise ArgumentError(f"output_shape={output_shape!r}: batch {n_out} must equal the input's {x.shape[0]}")
    if c_out != f.shape[-2]:
        raise ArgumentError(f"output_shape={output_shape!r}: channels {c_out} must equal filters' C_out "
                            f"(dim {rank}) = {f.shape[-2]}")
    k = f.shape[:rank]
    pads = _tf_pads(tuple(out), x.shape[2:], k, s, d, pad)
    full = full_size(x.shape[2:], k, stride=s, dilation=d, rank=rank)
    crops = tuple((pads[i][0], full[i] - out[i] - pads[i][0]) for i in range(rank))
    w = f.transpose((rank + 1, rank) + tuple(range(rank)))        # -> (C_in, C_out, *kernel)
    y = compute(x, w, None, stride=s, dilation=d, groups=1, crops=crops)
    return y if first else channels_last(y)


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC", dilations=None):
    """``tf.nn.conv2d_transpose``: input (N, H, W, C_in) [NHWC] or (N, C_in, H, W) [NCHW];
    filters (kH, kW, C_out, C_in); output_shape (N, H_out, W_out, C_out) in data_format order, or (H_out, W_out).

    padding: 'SAME', 'VALID' or explicit [[0, 0], [top, bottom], [left, right], [0, 0]] (data_format order).
    Returns the array of ``output_shape``.
    """
    return _conv_transpose(2, input, filters, output_shape, strides, padding, data_format, dilations)


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC", dilations=None):
    """``tf.nn.conv1d_transpose``: input (N, L, C_in) [NWC] or (N, C_in, L) [NCW]; filters (k, C_out, C_in);
    output_shape (N, L_out, C_out) in data_format order; padding 'SAME' or 'VALID'.

    strides, dilations: an int or a list of 1 or 3 ints (3: the 2-D call's, see ``tf_ints``). 'SAME' accepts
    ``(L - 1) * s + 1 .. L * s``, 'VALID' ``(L - 1) * s + k_eff .. + s - 1`` (``tf_output_size_range``).

    >>> import numpy as np
    >>> conv1d_transpose(np.ones((1, 4, 2)), np.ones((3, 5, 2)), [1, 7, 5], 2).shape
    (1, 7, 5)
    """
    return _conv_transpose(1, input, filters, output_shape, strides, padding, data_format, dilations)


def conv3d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NDHWC", dilations=None):
    """``tf.nn.conv3d_transpose``: input (N, D, H, W, C_in) [NDHWC] or (N, C_in, D, H, W) [NCDHW];
    filters (kD, kH, kW, C_out, C_in); output_shape (N, D_out, H_out, W_out, C_out) in data_format order;
    padding 'SAME' or 'VALID'; strides and dilations an int or a list of 1, 3 or 5 ints.

    >>> import numpy as np
    >>> conv3d_transpose(np.ones((1, 2, 3, 4, 2)), np.ones((2, 3, 3, 5, 2)), [1, 4, 6, 8, 5], [1, 2, 2, 2, 1]).shape
    (1, 4, 6, 8, 5)
    """
    return _conv_transpose(3, input, filters, output_shape, strides, padding, data_format, dilations)


#: the entry point of each rank
CONV_TRANSPOSE = {1: conv1d_transpose, 2: conv2d_transpose, 3: conv3d_transpose}


class TensorFlow(Framework):
    name, title = "tf", "TensorFlow"
    params = ("strides", "padding", "output_shape", "dilations")
    layouts = {"TensorFlow tf.nn.conv2d_transpose": "(kH, kW, C_out, C_in)",
               "TensorFlow tf.nn.conv2d (the forward conv)": "(kH, kW, C_in, C_out)"}
    layouts_nd = {"TensorFlow tf.nn.conv1d_transpose / conv3d_transpose": ("(k, C_out, C_in)",
                                                                           "(kD, kH, kW, C_out, C_in)")}
    needs_input_size = "tf.nn.conv1d/2d/3d_transpose take output_shape"

    def layer_crops(self, layer, n, k):
        r = len(k)
        if layer.input_size is None or layer.params.get("output_shape") is None:
            raise ArgumentError(f"a tf layer needs input_size and params['output_shape'] ({spatial_layout(r)[0]}): "
                                f"tf.nn.conv{r}d_transpose takes its output size as an argument")
        fmt = TF_DATA_FORMATS[r][0]
        s = tf_ints("strides", param(layer, "strides", 1), fmt)
        d = tf_ints("dilations", param(layer, "dilations", 1), fmt)
        out = ntuple("output_shape", layer.params["output_shape"], r)
        padding = param(layer, "padding", "SAME")
        padding = tf_explicit_padding(padding) if r == 2 else padding
        return LayerCrops(s, d, 1, tf_crops(out, n, k, stride=s, padding=padding, dilation=d, rank=r), out)

    def target(self, lc, n, k):
        s, d, crops, r = lc.stride, lc.dilation, tuple(lc.crops), len(k)
        full = full_size(n, k, stride=s, dilation=d, rank=r)
        out = tuple(full[i] - crops[i][0] - crops[i][1] for i in range(r))
        for mode in ("SAME", "VALID"):
            try:
                if tf_crops(out, n, k, stride=s, padding=mode, dilation=d, rank=r) == crops:
                    return Target({"strides": s, "padding": mode, "output_shape": out, "dilations": d})
            except ArgumentError:
                pass
        if r == 2:                      # explicit pads remove what they can; output_shape picks the rest
            pads = kept(crops, full)
        else:                           # conv1d/3d_transpose take 'VALID' or 'SAME' only: 'VALID' crops nothing
            pads = ((0, 0),) * r
        lo = [full[i] - pads[i][0] - pads[i][1] for i in range(r)]
        shape = tuple(max(lo[i], min(out[i], lo[i] + s[i] - 1)) for i in range(r))
        residual = tuple((crops[i][0] - pads[i][0], crops[i][1] - (full[i] - shape[i] - pads[i][0]))
                         for i in range(r))
        padding = [[0, 0], *[list(p) for p in pads], [0, 0]] if r == 2 else "VALID"     # NHWC, as TF takes it
        return Target({"strides": s, "padding": padding, "output_shape": shape, "dilations": d}, residual)

    def explorer_params(self, n, k, s, padding, op, d, g):
        named_padding_only(self, padding, g)
        if op:
            raise ArgumentError("output_padding: tf.nn.conv2d_transpose has none; it takes "
                                "output_shape (here the largest valid size)")
        out = tf_output_size_range((n, n), k, stride=s, padding=padding, dilation=d)
        return {"strides": s, "padding": padding, "output_shape": (out[0][1], out[1][1]), "dilations": d}

    def run(self, layer, x, w, bias=None):
        p, x, r = layer.params, np.asarray(x), layer.rank
        out = tuple(ntuple("output_shape", p["output_shape"], r))
        y = CONV_TRANSPOSE[r](x, w, (x.shape[0],) + out + (layer.out_channels,), p.get("strides", 1),
                              padding=p.get("padding", "SAME"), dilations=p.get("dilations"))
        return y if bias is None else y + np.asarray(bias, dtype=y.dtype)


FRAMEWORK = TensorFlow()
