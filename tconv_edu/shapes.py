"""Argument checking and output-size arithmetic: the one place every form calls.

Every rule of the operation lives here, so that every form, the TensorFlow entry point, the widgets and the
grading code agree, and every bad argument is reported before any work is done. It is one long module on purpose
(the design asks for one module of rules): read it by its sections, scalar parameters (``positive_int``,
``real_scalar``, ``pair``, ``transpose_params``, ``ceil_div``), PyTorch's sizes, crops, TensorFlow and Keras, JAX,
ONNX, arrays.

Sizes per axis (PyTorch's rules):

- transposed conv:  ``out = (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``
- forward conv:     ``out = (in + 2 * padding - dilation * (k - 1) - 1) // stride + 1``

TensorFlow's, Keras', JAX's and ONNX's rules (``tf_crops``, ``keras_crops``, ``jax_crops``, ``onnx_crops``) each
say how many rows and columns their layer crops from the full scatter output, in one vocabulary (crops).

>>> output_size(4, 3, stride=2, padding=1, output_padding=1)
(8, 8)
>>> output_size_range(4, 3, stride=2, padding=1)
((7, 8), (7, 8))
>>> conv_output_size((7, 8), 3, stride=2, padding=1)
(4, 4)
"""
from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = [
    "ArgumentError",
    # scalar parameters
    "integer", "int_at_least", "positive_int", "real_scalar", "ceil_div", "pair", "at_least", "sizes", "show",
    "transpose_params",
    # PyTorch's sizes
    "output_size", "conv_output_size", "output_size_range", "output_padding_for",
    # crops, and each framework's rules
    "full_size", "torch_crops", "torch_params_for",
    "tf_pair", "tf_explicit_padding", "tf_output_size_range", "tf_padding", "tf_crops",
    "keras_output_size", "keras_crops", "jax_crops", "onnx_crops", "ONNX_AUTO_PADS",
    # arrays
    "TransposeSpec", "ConvSpec", "transpose_spec", "conv_spec", "compute_dtype", "as_array", "image_array",
    "check_bias", "make_spec",
]

AXES = ("height", "width")


class ArgumentError(ValueError):
    """A shape or parameter that breaks a rule of the operation (the message names the argument and the rule)."""


# --------------------------------------------------------------------------------------------- scalar parameters

def integer(name: str, value) -> int:
    """One integer parameter; bools, floats and strings are type errors, never silently converted."""
    if type(value) is int:                  # the common case, first (bool is not int here: type(True) is bool)
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r}: expected an int, got {type(value).__name__}")
    return int(value)


def int_at_least(name: str, value, low: int, why: str = "") -> int:
    """One integer parameter that must be >= ``low`` (TypeError for a non-integer, ArgumentError below ``low``).

    >>> int_at_least("margin", 0, 0)
    0
    """
    v = integer(name, value)
    if v < low:
        raise ArgumentError(f"{name}={v}: must be >= {low}{why}")
    return v


def positive_int(name: str, value, why: str = "") -> int:
    """A count, factor or size: an int >= 1 (``numpy`` integers accepted, bools and floats refused).

    >>> positive_int("groups", np.int64(2))
    2
    """
    return int_at_least(name, value, 1, why)


def real_scalar(name: str, value) -> float:
    """One real-number parameter as a float; bools, strings and None are type errors.

    >>> real_scalar("lr", 1), real_scalar("lr", np.float32(0.5))
    (1.0, 0.5)
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r}: expected a real number, got {type(value).__name__}")
    return float(value)


def ceil_div(a: int, b: int) -> int:
    """``ceil(a / b)`` in integer arithmetic, for ``b > 0`` (exact for any size, unlike ``math.ceil(a / b)``).

    >>> ceil_div(7, 2), ceil_div(8, 2), ceil_div(-1, 2)
    (4, 4, 0)
    """
    return -(-a // b)


def pair(name: str, value, minimum: int | None = None, why: str = "") -> tuple[int, int]:
    """Normalise an int-or-(h, w) parameter (stride, padding, output_padding, dilation, sizes) to a pair of ints.

    With ``minimum``, both entries must be >= it (``at_least``; ``why`` is added to the message).

    >>> pair("stride", 2), pair("stride", (2, 1), 1)
    ((2, 2), (2, 1))
    """
    if type(value) is int:
        out = (value, value)
    elif isinstance(value, (tuple, list, np.ndarray)):
        items = list(np.asarray(value, dtype=object).ravel()) if isinstance(value, np.ndarray) else list(value)
        if len(items) != 2:
            raise ArgumentError(f"{name}={value!r}: expected an int or a pair (h, w), got {len(items)} values")
        out = (integer(name, items[0]), integer(name, items[1]))
    else:
        try:
            v = integer(name, value)
        except TypeError:
            raise TypeError(f"{name}={value!r}: expected an int or a pair of ints (h, w), "
                            f"got {type(value).__name__}") from None
        out = (v, v)
    if minimum is not None:
        at_least(name, out, minimum, why)
    return out


def at_least(name: str, value: tuple[int, int], low: int, why: str = "") -> None:
    """Raise ArgumentError naming ``name`` unless both entries of the pair ``value`` are >= ``low``."""
    for axis, v in zip(AXES, value):
        if v < low:
            raise ArgumentError(f"{name}={show(value)}: must be >= {low}{why} (the {axis} is {v})")


def sizes(name: str, value, lengths: tuple, layout: str, minimum: int = 0) -> tuple:
    """A shape given as a tuple or list of ints: ``len(value)`` in ``lengths``, every size >= ``minimum``.

    >>> sizes("x_shape", [1, 2, 3, 4], (4,), "(N, C_in, H, W)")
    (1, 2, 3, 4)
    """
    if not isinstance(value, (tuple, list)) or len(value) not in lengths:
        raise ArgumentError(f"{name}={value!r}: expected {layout}")
    dims = tuple(integer(name, v) for v in value)
    if min(dims) < minimum:
        raise ArgumentError(f"{name}={value!r}: every size must be >= {minimum}")
    return dims


def show(p: tuple[int, int]):
    """A pair as the user would write it: ``2`` for (2, 2), else the pair."""
    return p[0] if p[0] == p[1] else p


def transpose_params(stride=1, padding=0, output_padding=0, dilation=1):
    """A transposed conv's stride, padding, output_padding and dilation as checked (h, w) pairs (PyTorch's rules).

    stride, dilation >= 1; padding, output_padding >= 0; output_padding < stride or < dilation, per axis.

    >>> transpose_params(2, 1, 1)
    ((2, 2), (1, 1), (1, 1), (1, 1))
    """
    stride, padding = pair("stride", stride), pair("padding", padding)
    output_padding, dilation = pair("output_padding", output_padding), pair("dilation", dilation)
    at_least("stride", stride, 1)
    at_least("dilation", dilation, 1)
    at_least("padding", padding, 0, " (padding crops the output; it cannot be negative)")
    at_least("output_padding", output_padding, 0)
    for axis, op, s, d in zip(AXES, output_padding, stride, dilation):
        if not (op < s or op < d):
            raise ArgumentError(
                f"output_padding={show(output_padding)}: along the {axis}, output_padding {op} must be smaller "
                f"than the stride ({s}) or the dilation ({d}); only then does it pick one of the sizes that convolve back to the input")
    return stride, padding, output_padding, dilation


# ----------------------------------------------------------------------------------------------- size arithmetic

def output_size(input_size, kernel_size, *, stride=1, padding=0, output_padding=0, dilation=1) -> tuple[int, int]:
    """Output (H, W) of a transposed convolution.

    ``(in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1`` per axis.

    >>> output_size((3, 5), 3, stride=2)
    (7, 11)
    """
    n, k = pair("input_size", input_size, 1), pair("kernel_size", kernel_size, 1)
    return _output_size(n, k, *transpose_params(stride, padding, output_padding, dilation))


def _output_size(n, k, s, p, op, d) -> tuple[int, int]:
    """``output_size`` on pairs already checked (sizes >= 1, ``transpose_params``): the arithmetic and its one rule."""
    out = tuple((n[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(2))
    for axis, o, pi in zip(AXES, out, p):
        if o < 1:
            raise ArgumentError(f"padding={show(p)}: the output {axis} would be {o} < 1 (padding {pi} crops "
                                f"more than the full output of {o + 2 * pi} rows/columns holds)")
    return out


def conv_output_size(input_size, kernel_size, *, stride=1, padding=0, dilation=1) -> tuple[int, int]:
    """Output (H, W) of the forward convolution: ``(in + 2p - d(k-1) - 1) // s + 1`` per axis.

    >>> conv_output_size(7, 3, stride=2), conv_output_size(8, 3, stride=2)
    ((3, 3), (3, 3))
    """
    n, k = pair("input_size", input_size, 1), pair("kernel_size", kernel_size, 1)
    s, p, d = pair("stride", stride, 1), pair("padding", padding, 0), pair("dilation", dilation, 1)
    for axis, ni, ki, pi, di in zip(AXES, n, k, p, d):
        if ni + 2 * pi < di * (ki - 1) + 1:
            raise ArgumentError(f"kernel_size={show(k)}: the (dilated) kernel spans {di * (ki - 1) + 1} "
                                f"{axis} pixels, more than the padded input's {ni + 2 * pi}")
    return tuple((n[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))


def output_size_range(input_size, kernel_size, *, stride=1, padding=0, dilation=1):
    """Every output size a transposed conv may produce, per axis: ``((min_h, max_h), (min_w, max_w))``.

    All of them convolve back to ``input_size``; PyTorch's rule: ``max = min + stride - 1``.
    """
    n, k = pair("input_size", input_size, 1), pair("kernel_size", kernel_size, 1)
    s, p, _, d = transpose_params(stride, padding, 0, dilation)
    out = []
    for axis, ni, ki, si, pi, di in zip(AXES, n, k, s, p, d):
        low = (ni - 1) * si - 2 * pi + di * (ki - 1) + 1      # may be < 1: output_padding can still reach 1
        if low + si - 1 < 1:
            raise ArgumentError(f"padding={show(p)}: every output {axis} would be < 1 (the largest, with "
                                f"output_padding {si - 1}, is {low + si - 1}; padding {pi} crops too much)")
        out.append((max(1, low), low + si - 1))
    return tuple(out)


def output_padding_for(input_size, target_size, kernel_size, *, stride=1, padding=0, dilation=1):
    """The output_padding that makes a transposed conv produce ``target_size`` (PyTorch's ``output_size=``).

    >>> output_padding_for(4, (8, 7), 3, stride=2, padding=1)
    (1, 0)
    """
    target = pair("output_size", target_size)
    ranges = output_size_range(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    for axis, t, (lo, hi) in zip(AXES, target, ranges):
        if not lo <= t <= hi:
            raise ArgumentError(f"output_size={show(target)}: the {axis} {t} is not reachable; "
                                f"valid {axis}s for this input, kernel, stride and padding: {lo}..{hi}")
    s = pair("stride", stride)
    return tuple(target[i] - (ranges[i][1] - s[i] + 1) for i in range(2))   # from the unclipped minimum


# ------------------------------------------------------------------- crops: every framework in one vocabulary
# Every framework's transposed conv is the full scatter output, ``full = (in - 1) * s + d * (k - 1) + 1`` rows per
# axis, cropped: ``crops = ((top, bottom), (left, right))`` rows and columns removed at each end. A negative crop
# adds rows there that no kernel tap reaches (they hold only the bias). PyTorch's padding p and output_padding op
# are the crops (p, p - op); each other framework's rule below turns its own arguments into crops.

def full_size(input_size, kernel_size, *, stride=1, dilation=1) -> tuple[int, int]:
    """Size of the uncropped scatter output, ``(in - 1) * stride + dilation * (k - 1) + 1`` per axis.

    >>> full_size(4, 3, stride=2)
    (9, 9)
    """
    n, k = pair("input_size", input_size), pair("kernel_size", kernel_size)
    s, d = pair("stride", stride), pair("dilation", dilation)
    return tuple((n[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(2))


def torch_crops(padding=0, output_padding=0) -> tuple:
    """PyTorch's (padding, output_padding) as crops: ``(p, p - op)`` per axis.

    >>> torch_crops(1, 1)
    ((1, 0), (1, 0))
    """
    p, op = pair("padding", padding), pair("output_padding", output_padding)
    return tuple((p[i], p[i] - op[i]) for i in range(2))


def torch_params_for(crops, *, stride=1, dilation=1):
    """PyTorch's (padding, output_padding) that make ``crops``, or None where no pair does.

    PyTorch crops the same p at both ends and gives back op < max(stride, dilation) rows at the bottom/right, so
    it reaches only crops with ``top >= 0`` and ``0 <= top - bottom < max(stride, dilation)``.

    >>> torch_params_for(((1, 0), (1, 0)), stride=2), torch_params_for(((0, 1), (0, 1)), stride=2)
    (((1, 1), (1, 1)), None)
    """
    s, d = pair("stride", stride), pair("dilation", dilation)
    p, op = [], []
    for (top, bottom), si, di in zip(crops, s, d):
        if top < 0 or not 0 <= top - bottom < max(si, di):
            return None
        p.append(top)
        op.append(top - bottom)
    return tuple(p), tuple(op)


def _pad_pairs(padding, what):
    """Explicit padding: one ``what`` pair of ints per spatial axis (TF's (before, after), JAX's (lo, hi))."""
    try:
        rows = [tuple(r) for r in padding]
    except TypeError:
        raise TypeError(f"padding={padding!r}: expected 'SAME', 'VALID' or a list of {what} pairs") from None
    if len(rows) != 2 or any(len(r) != 2 for r in rows):
        raise ArgumentError(f"padding={padding!r}: explicit padding needs one {what} pair per spatial axis")
    return tuple(tuple(integer("padding", v) for v in r) for r in rows)


# ------------------------------------------------------------------------ TensorFlow and Keras: one section
# tf.nn.conv2d_transpose takes output_shape and checks it against the input (tf_output_size_range, tf_padding);
# Keras computes that output_shape itself from its padding and output_padding (keras_output_size) and hands it to
# TensorFlow: its crops are TensorFlow's crops of that size. The argument forms TF accepts (strides as 1, 2 or 4
# ints, explicit padding as 4 pairs in data_format order) are here too, for tf_style and porting.

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
    pads = _pad_pairs(padding, "(before, after)")
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
        k_eff = d[i] * (k[i] - 1) + 1
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
        need = max(0, (n[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - out[i])
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


def _keras_mode(padding) -> str:
    if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
        raise ArgumentError(f"padding={padding!r}: Keras takes 'same' or 'valid' (any case)")
    return padding.lower()


def keras_output_size(input_size, kernel_size, *, strides=1, padding="valid", output_padding=None,
                      dilation_rate=1) -> tuple[int, int]:
    """Output (H, W) of Keras 3's ``Conv2DTranspose``; ``output_padding`` None, an int or a pair.

    ``output_padding=None``: 'same' gives ``in * stride``, 'valid' ``(in - 1) * stride + max(k_eff, stride)``;
    ``output_padding=op``: ``(in - 1) * stride + k_eff - 2 * pad + op``, pad ``k_eff // 2`` ('same') or 0
    ('valid'); ``k_eff = dilation * (k - 1) + 1``. Keras requires ``output_padding < strides`` (PyTorch also
    accepts ``< dilation``). The size rule alone: the layer also refuses strides > 1 with dilation_rate > 1
    (``keras_crops``).

    >>> keras_output_size(4, 3, strides=2, padding="valid"), keras_output_size(4, 3, strides=2, output_padding=0)
    ((9, 9), (9, 9))
    >>> keras_output_size(4, 1, strides=2, padding="valid")
    (8, 8)
    """
    n, k = pair("input_size", input_size, 1), pair("kernel_size", kernel_size, 1)
    s, d = pair("strides", strides, 1), pair("dilation_rate", dilation_rate, 1)
    mode = _keras_mode(padding)
    op = None if output_padding is None else pair("output_padding", output_padding, 0)
    if op is not None:
        for axis, o, si in zip(AXES, op, s):
            if o >= si:
                raise ArgumentError(f"output_padding={show(op)}: along the {axis}, output_padding {o} "
                                    f"must be lower than the stride ({si}) (Keras' rule)")
    out = []
    for i in range(2):
        k_eff = d[i] * (k[i] - 1) + 1
        if op is None:
            out.append(n[i] * s[i] if mode == "same" else n[i] * s[i] + max(k_eff - s[i], 0))
        else:
            pad = k_eff // 2 if mode == "same" else 0
            out.append((n[i] - 1) * s[i] + k_eff - 2 * pad + op[i])
    return tuple(out)


def keras_crops(input_size, kernel_size, *, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    """Keras 3 ``Conv2DTranspose`` (TensorFlow backend): ``(out_size, crops)``, with Keras' refusals.

    Keras computes the size (``keras_output_size``) and hands it to ``tf.nn.conv2d_transpose`` as output_shape:
    'same' then crops ``need // 2`` at the top/left, ``need = (in - 1) * s + k_eff - out`` (the odd one at the
    bottom/right), 'valid' crops nothing and adds ``out - full`` rows at the bottom/right. An even kernel with
    'same' and output_padding=0 asks for a size TensorFlow refuses (the JAX and PyTorch backends compute it).

    >>> keras_crops(4, 3, strides=2, padding="same")
    ((8, 8), ((0, 1), (0, 1)))
    """
    s, d = pair("strides", strides), pair("dilation_rate", dilation_rate)
    out = keras_output_size(input_size, kernel_size, strides=s, padding=padding, output_padding=output_padding,
                            dilation_rate=d)
    if max(s) > 1 and max(d) > 1:
        raise ArgumentError(f"strides={show(s)}, dilation_rate={show(d)}: Keras refuses strides > 1 together "
                            f"with dilation_rate > 1 (on any axes; PyTorch accepts them)")
    n, k = pair("input_size", input_size), pair("kernel_size", kernel_size)
    full = full_size(n, k, stride=s, dilation=d)
    mode = _keras_mode(padding)
    crops = []
    for i, axis in enumerate(AXES):
        if mode == "same" and not (n[i] - 1) * s[i] + 1 <= out[i] <= n[i] * s[i]:
            raise ArgumentError(
                f"output_padding={output_padding!r}: Keras asks TensorFlow for a {axis} of {out[i]} "
                f"((in - 1) * strides + k_eff % 2 + output_padding), which 'SAME' does not convolve back to the "
                f"input's {n[i]} (TensorFlow: \"Size of out_backprop doesn't match computed\"); valid {axis}s: "
                f"{(n[i] - 1) * s[i] + 1}..{n[i] * s[i]} (an even kernel needs output_padding >= 1 or None)")
        top = max(0, full[i] - out[i]) // 2 if mode == "same" else 0
        crops.append((top, full[i] - out[i] - top))
    return out, tuple(crops)


# ------------------------------------------------------------------------------------------------------- JAX

def _jax_ints(name, value):
    """A sequence of 2 ints (JAX takes sequences, not a lone int)."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, numbers.Number) or isinstance(value, str):
        raise TypeError(f"{name}={value!r}: JAX expects a sequence of 2 ints (one per spatial axis), "
                        f"got {type(value).__name__}")
    return pair(name, value)


def jax_crops(input_size, kernel_size, *, strides, padding, rhs_dilation=None):
    """``jax.lax.conv_transpose`` (2-D): ``(out_size, crops)``.

    JAX stretches the input by ``strides``, pads it by ``(lo, hi)`` and correlates with the (dilated) kernel:
    ``out = full + lo + hi - 2 * (k_eff - 1)``, crops ``(k_eff - 1 - lo, k_eff - 1 - hi)``. Explicit pairs are
    those ``(lo, hi)`` (negative ones crop); 'SAME' and 'VALID' name the forward conv's padding:
    'SAME': ``lo + hi = k_eff + s - 2``, ``lo = k_eff - 1`` if ``s > k_eff - 1`` else ``ceil((k_eff + s - 2) / 2)``
    (out = in * s); 'VALID': ``lo = k_eff - 1``, ``hi = k_eff - 1 + max(s - k_eff, 0)`` (out = in * s +
    max(k_eff - s, 0)).

    >>> jax_crops(4, 3, strides=(2, 2), padding="SAME"), jax_crops(4, 3, strides=(2, 2), padding=((1, 1), (2, 2)))
    (((8, 8), ((0, 1), (0, 1))), ((7, 9), ((1, 1), (0, 0))))
    """
    n, k = pair("input_size", input_size), pair("kernel_size", kernel_size)
    s = _jax_ints("strides", strides)
    d = (1, 1) if rhs_dilation is None else _jax_ints("rhs_dilation", rhs_dilation)
    at_least("strides", s, 1, " (JAX: all dilations must be positive; strides dilate the input)")
    at_least("rhs_dilation", d, 1, " (JAX: all dilations must be positive)")
    if isinstance(padding, str):
        if padding not in ("SAME", "VALID"):
            raise ArgumentError(f"padding={padding!r}: JAX's conv_transpose takes 'SAME' or 'VALID' (upper case; "
                                f"'same' reaches conv_general_dilated, which refuses it) or (lo, hi) pairs")
        pads = []
        for i in range(2):
            k_eff = d[i] * (k[i] - 1) + 1
            if padding == "SAME":
                total = k_eff + s[i] - 2
                lo = k_eff - 1 if s[i] > k_eff - 1 else ceil_div(total, 2)
            else:
                total = k_eff + s[i] - 2 + max(k_eff - s[i], 0)
                lo = k_eff - 1
            pads.append((lo, total - lo))
    else:
        pads = _pad_pairs(padding, "(lo, hi)")
    full = full_size(n, k, stride=s, dilation=d)
    crops, out = [], []
    for i, axis in enumerate(AXES):
        k_eff = d[i] * (k[i] - 1) + 1
        crop = (k_eff - 1 - pads[i][0], k_eff - 1 - pads[i][1])
        size = full[i] - crop[0] - crop[1]
        if size < 0:
            raise ArgumentError(f"padding={padding!r}: the output {axis} would be {size} < 0 (the negative pads "
                                f"crop more than the {full[i]} rows/columns the stretched input and kernel give)")
        crops.append(crop)
        out.append(size)
    return tuple(out), tuple(crops)


# ------------------------------------------------------------------------------------------------------ ONNX

ONNX_AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def _onnx_ints(name, value, count):
    """An ONNX INTS attribute: a list of ``count`` ints."""
    if not isinstance(value, (list, tuple, np.ndarray)):
        raise TypeError(f"{name}={value!r}: ONNX attributes are lists of ints, e.g. {name}={[1] * count}")
    items = list(value)
    if len(items) != count:
        raise ArgumentError(f"{name}={value!r}: ONNX needs {count} values for a 2-D ConvTranspose "
                            f"(\"Attribute {name} has incorrect size\")")
    return tuple(integer(name, v) for v in items)


def onnx_crops(input_size, kernel_size, *, auto_pad="NOTSET", dilations=None, kernel_shape=None,
               output_padding=None, output_shape=None, pads=None, strides=None):
    """ONNX ``ConvTranspose`` (2-D, as onnxruntime runs it): ``(out_size, crops)``.

    - explicit ``pads = [top, left, bottom, right]`` remove output rows and columns: crops
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
    """
    n, k = pair("input_size", input_size), pair("kernel_size", kernel_size)
    if not isinstance(auto_pad, str) or auto_pad not in ONNX_AUTO_PADS:
        raise ArgumentError(f"auto_pad={auto_pad!r}: ONNX takes one of {', '.join(map(repr, ONNX_AUTO_PADS))}")
    if kernel_shape is not None and _onnx_ints("kernel_shape", kernel_shape, 2) != k:
        raise ArgumentError(f"kernel_shape={kernel_shape!r}: must equal W's spatial shape {list(k)} "
                            f"(onnxruntime: \"kernel_shape is not compatible with W shape\")")
    s = (1, 1) if strides is None else _onnx_ints("strides", strides, 2)
    d = (1, 1) if dilations is None else _onnx_ints("dilations", dilations, 2)
    op = (0, 0) if output_padding is None else _onnx_ints("output_padding", output_padding, 2)
    for name, value in (("strides", s), ("dilations", d)):
        if min(value) < 1:
            raise ArgumentError(f"{name}={list(value)}: ONNX: \"Attribute {name} must only contain positive values\"")
    if min(op) < 0:
        raise ArgumentError(f"output_padding={list(op)}: ONNX: \"Attribute output_padding must not contain "
                            f"negative values\"")
    for i, axis in enumerate(AXES):
        if op[i] >= max(s[i], d[i]):
            raise ArgumentError(f"output_padding={list(op)}: must be less than max(stride, dilation) = "
                                f"{max(s[i], d[i])} on the {axis} (ONNX's rule), got {op[i]}")
    if pads is not None:
        p = _onnx_ints("pads", pads, 4)
        if auto_pad != "NOTSET":
            raise ArgumentError(f"pads={pads!r}: ONNX refuses pads together with auto_pad={auto_pad!r} (\"The pads "
                                f"attribute cannot be used simultaneously with auto_pad attribute\")")
        if min(p) < 0:
            raise ArgumentError(f"pads={list(p)}: ONNX: \"Attribute pads must not contain negative values\"")
    else:
        p = (0, 0, 0, 0)
    shape = None if output_shape is None else _onnx_ints("output_shape", output_shape, 2)
    full = full_size(n, k, stride=s, dilation=d)
    out, crops = [], []
    for i, axis in enumerate(AXES):
        k_eff = d[i] * (k[i] - 1) + 1
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
            size = full[i] + op[i] - p[i] - p[i + 2]
            top = p[i]
            if size < 1:
                raise ArgumentError(f"pads={list(p)}: the output {axis} would be {size} <= 0 (pads remove "
                                    f"{p[i] + p[i + 2]} of the {full[i] + op[i]} rows/columns)")
        if shape is None and op[i] >= s[i]:
            raise ArgumentError(f"output_padding={list(op)}: the {axis} {op[i]} is not below the stride {s[i]}, so "
                                f"the output does not convolve back to the input (onnxruntime: \"output_padding "
                                f"may be too large for stride\"; the spec allows < dilation too)")
        out.append(size)
        crops.append((top, full[i] - size - top))
    return tuple(out), tuple(crops)


# ----------------------------------------------------------------------------------------------------- arrays

def compute_dtype(*arrays):
    """float32 stays float32, float64 stays float64, integers (and mixes with float64) compute in float64."""
    dts = {a.dtype for a in arrays if a is not None}
    if len(dts) == 1 and next(iter(dts)) in _FLOATS:   # the common case, without numpy's promotion machinery
        return next(iter(dts))
    dt = np.result_type(*dts)
    if dt.kind in "iu":
        return np.dtype(np.float64)
    if dt.itemsize < 4:
        return np.dtype(np.float32)
    return dt


def as_array(name: str, value, xp, optional: bool = False):
    """``value`` as an int or float array of module ``xp``; None only where ``optional`` (bias)."""
    if value is None and optional:
        return None
    if value is None:
        raise TypeError(f"{name}: expected a numeric array, got None")
    try:
        a = xp.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name}: expected a numeric array, got {type(value).__name__} ({err})") from None
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected a real numeric array (float or int), got dtype {a.dtype}"
                        + (" (complex is not supported)" if a.dtype.kind == "c" else ""))
    return a


def image_array(name: str, value):
    """``value`` as a numeric numpy array of images, (..., H, W): at least 2-D."""
    a = as_array(name, value, np)
    if a.ndim < 2:
        raise ArgumentError(f"{name}: expected (..., H, W) with at least 2 dimensions, got shape {a.shape}")
    return a


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class TransposeSpec(NamedTuple):
    """A checked transposed-conv call, in the canonical 4-D layout every form computes on.

    x: (N, C_in, H, W); weight: (C_in, C_out/groups, kH, kW); bias: (C_out,) or None; all in ``dtype``.
    The result is the full scatter output (zero-extended at the bottom/right) cropped to
    rows ``crop[0] : crop[0] + out_size[0]`` and columns ``crop[1] : crop[1] + out_size[1]``.
    (An immutable named tuple: a call of a few microseconds cannot afford a frozen dataclass's construction.)
    """
    x: object
    weight: object
    bias: object
    stride: tuple
    dilation: tuple
    groups: int
    crop: tuple
    out_size: tuple
    input_ndim: int
    dtype: object

    @property
    def c_out(self) -> int:
        return self.weight.shape[1] * self.groups

    @property
    def out_shape(self) -> tuple:
        """Shape of the 4-D result, (N, C_out, H_out, W_out)."""
        return (self.x.shape[0], self.c_out) + tuple(self.out_size)

    @property
    def full_size(self) -> tuple:
        """Size of the uncropped scatter output, ``(in - 1) * s + d * (k - 1) + 1``, per axis."""
        return tuple((self.x.shape[2 + i] - 1) * self.stride[i] + self.dilation[i] * (self.weight.shape[2 + i] - 1)
                     + 1 for i in range(2))

    def finish(self, y):
        """Back to the caller's layout: 2-D in, 2-D out; 3-D in, 3-D out."""
        if self.input_ndim == 2:
            return y[0, 0]
        if self.input_ndim == 3:
            return y[0]
        return y


def _check_shapes(x_shape, w_shape, bias_shape, *, transposed: bool, groups):
    """Shared ndim, channel, groups and bias checks on shapes; returns the shapes of x as (N, C_in, H, W) and of the
    weight as 4-D (a 2-D kernel becomes (1, 1, kH, kW)), and groups as an int."""
    what = "conv_transpose2d" if transposed else "conv2d"
    layout = "(C_in, C_out/groups, kH, kW)" if transposed else "(C_out, C_in/groups, kH, kW)"
    if len(x_shape) not in (2, 3, 4):
        raise ArgumentError(f"x: expected (N, C_in, H, W), (C_in, H, W) or (H, W), got shape {x_shape}")
    if len(x_shape) == 2:
        if len(w_shape) != 2:
            raise ArgumentError(f"weight: a 2-D x (H, W) takes a 2-D kernel (kH, kW), got shape {w_shape}")
    elif len(w_shape) != 4:
        hint = " (a 2-D kernel goes with a 2-D x only)" if len(w_shape) == 2 else ""
        raise ArgumentError(f"weight: {what} expects {layout}, got shape {w_shape}{hint}")
    x4 = (1,) * (4 - len(x_shape)) + tuple(x_shape)
    w4 = (1, 1) + tuple(w_shape) if len(w_shape) == 2 else tuple(w_shape)
    groups = positive_int("groups", groups)
    c_in = x4[1]
    if c_in % groups:
        raise ArgumentError(f"groups={groups}: must divide the input channels C_in={c_in}")
    if min(w4[2:]) < 1:
        raise ArgumentError(f"weight: kernel size must be >= 1, got shape {w_shape}")
    if min(x4[2:]) < 1:
        raise ArgumentError(f"x: spatial size must be >= 1, got shape {x_shape}")
    if transposed:
        if w4[0] != c_in:
            raise ArgumentError(f"weight: shape {w_shape} is {layout}, so its dim 0 must equal the input's "
                                f"C_in={c_in}, got {w4[0]} (a Conv2d weight (C_out, C_in, ...) is the "
                                f"other way round)")
        c_out = w4[1] * groups
    else:
        if w4[1] * groups != c_in:
            raise ArgumentError(f"weight: shape {w_shape} is {layout}, so dim 1 x groups must equal the "
                                f"input's C_in={c_in}, got {w4[1]} x {groups}")
        c_out = w4[0]
        if c_out % groups:
            raise ArgumentError(f"groups={groups}: must divide the output channels C_out={c_out}")
    if bias_shape is not None and (len(bias_shape) != 1 or bias_shape[0] != c_out):
        raise ArgumentError(f"bias: expected shape ({c_out},) (one value per output channel), got {bias_shape}")
    return x4, w4, groups


def _check_arrays(x, weight, bias, *, transposed: bool, groups):
    """``_check_shapes`` on arrays; returns 4-D x, 4-D weight (views) and groups as an int."""
    x4, w4, groups = _check_shapes(x.shape, weight.shape, None if bias is None else bias.shape,
                                   transposed=transposed, groups=groups)
    return x.reshape(x4), weight.reshape(w4), groups


def check_bias(bias, c_out: int) -> None:
    """A bias is None or (C_out,): one value per output channel (every framework's rule)."""
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != c_out):
        raise ArgumentError(f"bias: expected shape ({c_out},) (one value per output channel), got {bias.shape}")


def _plain(value) -> bool:
    """An exact int, or a pair of exact ints: a hashable parameter whose meaning its hash cannot blur (``True`` hashes
    like 1, ``2.0`` like 2, so those take the uncached path and its TypeError)."""
    return type(value) is int or (type(value) is tuple and len(value) == 2
                                  and type(value[0]) is int and type(value[1]) is int)


def _transpose_geometry(x_shape, w_shape, bias_shape, stride, padding, output_padding, dilation, groups):
    """Every check of a transposed-conv call that depends on shapes and parameters only, done once.

    Returns (4-D x shape, 4-D weight shape, groups, stride, padding, dilation, output size) as checked ints.
    """
    x4, w4, groups = _check_shapes(x_shape, w_shape, bias_shape, transposed=True, groups=groups)
    s, p, op, d = transpose_params(stride, padding, output_padding, dilation)
    return x4, w4, groups, s, p, d, _output_size(x4[2:], w4[2:], s, p, op, d)


#: the checked geometry of recent calls with plain parameters: a pure function of shapes and ints, bounded
#: (``transpose_geometry_cache.cache_clear()`` empties it); a call that fails its checks is never stored
transpose_geometry_cache = functools.lru_cache(maxsize=256)(_transpose_geometry)


def transpose_spec(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                   xp=np) -> TransposeSpec:
    """Check a PyTorch-style transposed-conv call and put it in canonical form (no computation)."""
    x, weight = as_array("x", x, xp), as_array("weight", weight, xp)
    bias = as_array("bias", bias, xp, optional=True)
    args = (x.shape, weight.shape, None if bias is None else bias.shape, stride, padding, output_padding, dilation,
            groups)
    plain = all(_plain(v) for v in args[3:])
    x4, w4, groups, s, p, d, out = (transpose_geometry_cache if plain else _transpose_geometry)(*args)
    return make_spec(x.reshape(x4), weight.reshape(w4), bias, stride=s, dilation=d, groups=groups, crop=p,
                     out_size=out, input_ndim=x.ndim)


def make_spec(x4, w4, bias, *, stride, dilation, groups, crop, out_size, input_ndim) -> TransposeSpec:
    """Cast checked 4-D arrays to the compute dtype and bundle them (used by the PyTorch and TF entry points)."""
    dt = compute_dtype(x4, w4, bias)
    return TransposeSpec(x=x4.astype(dt, copy=False), weight=w4.astype(dt, copy=False),
                         bias=None if bias is None else bias.astype(dt, copy=False),
                         stride=tuple(stride), dilation=tuple(dilation), groups=groups, crop=tuple(crop),
                         out_size=tuple(out_size), input_ndim=input_ndim, dtype=dt)


@dataclass(frozen=True)
class ConvSpec:
    """A checked conv2d call: x (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) or None."""
    x: object
    weight: object
    bias: object
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int
    out_size: tuple
    input_ndim: int

    finish = TransposeSpec.finish


def conv_spec(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1, xp=np) -> ConvSpec:
    """Check a PyTorch-style conv2d call and put it in canonical form (no computation)."""
    x, weight = as_array("x", x, xp), as_array("weight", weight, xp)
    bias = as_array("bias", bias, xp, optional=True)
    s, p, d = pair("stride", stride), pair("padding", padding), pair("dilation", dilation)
    x4, w4, groups = _check_arrays(x, weight, bias, transposed=False, groups=groups)
    out = conv_output_size(x4.shape[2:], w4.shape[2:], stride=s, padding=p, dilation=d)
    dt = compute_dtype(x4, w4, bias)
    return ConvSpec(x=x4.astype(dt, copy=False), weight=w4.astype(dt, copy=False),
                    bias=None if bias is None else bias.astype(dt, copy=False), stride=s, padding=p, dilation=d,
                    groups=groups, out_size=out, input_ndim=x.ndim)
