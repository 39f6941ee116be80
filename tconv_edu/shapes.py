"""Argument checking and output-size arithmetic: PyTorch's rule book, the one place every form calls.

What notebook 02 teaches, in sections: scalar parameters (``integer``, ``pair``, ``transpose_params``,
``check_groups``, ``kernel_span``), PyTorch's sizes, crops, arrays (``transpose_spec``, ``TransposeSpec``).
Every bad argument is reported here before any work is done. Each other framework's rules live in its own module
of ``tconv_edu.frameworks``, written in the vocabulary of crops defined below. (About 520 lines rather than 450:
the forward conv's checks, ``ConvSpec``, share ``_check_shapes`` with the transposed conv's, so they stay here.)

Sizes per axis:

- transposed conv:  ``out = (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``
- forward conv:     ``out = (in + 2 * padding - dilation * (k - 1) - 1) // stride + 1``

>>> output_size(4, 3, stride=2, padding=1, output_padding=1)
(8, 8)
>>> input_size(8, 3, stride=2, padding=1, output_padding=1)
(4, 4)
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
    "integer", "int_at_least", "positive_int", "real_scalar", "ceil_div", "kernel_span", "check_groups", "pair",
    "at_least", "sizes", "show", "transpose_params", "ntuple", "axes", "rank_of", "spatial_layout",
    # PyTorch's sizes
    "output_size", "input_size", "conv_output_size", "output_size_range", "output_padding_for",
    # crops
    "full_size",
    # arrays
    "TransposeSpec", "ConvSpec", "transpose_spec", "conv_spec", "compute_dtype", "as_array", "image_array",
    "check_bias", "make_spec",
]

AXES = ("height", "width")
#: the axes' names per rank (number of spatial axes), as messages name them
AXES_BY_RANK = {1: ("length",), 2: AXES, 3: ("depth", "height", "width")}
#: how a value of each rank is written: the spatial sizes and the kernel sizes
_SPATIAL = {1: ("L", "k"), 2: ("H, W", "kH, kW"), 3: ("D, H, W", "kD, kH, kW")}
_TUPLE_NAMES = {1: "a 1-tuple (l,)", 2: "a pair (h, w)", 3: "a triple (d, h, w)"}


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


def kernel_span(k: int, d: int) -> int:
    """Rows a kernel of ``k`` taps covers at dilation ``d``: ``d * (k - 1) + 1`` (the effective kernel size).

    >>> kernel_span(3, 2)
    5
    """
    return d * (k - 1) + 1


def check_groups(groups, channels: dict, why: str = "", *, name: str = "groups") -> int:
    """``groups`` as an int >= 1 that divides every count of ``channels`` (label -> count); the one groups rule.

    >>> check_groups(2, {"in_channels": 4, "out_channels": 6})
    2
    """
    g = positive_int(name, groups)
    if any(c % g for c in channels.values()):
        raise ArgumentError(f"{name}={g}: must divide {' and '.join(f'{k}={c}' for k, c in channels.items())}{why}")
    return g


def pair(name: str, value, minimum: int | None = None, why: str = "") -> tuple[int, int]:
    """Normalise an int-or-(h, w) parameter (stride, padding, output_padding, dilation, sizes) to a pair of ints.

    With ``minimum``, both entries must be >= it (``at_least``; ``why`` is added to the message).

    >>> pair("stride", 2), pair("stride", (2, 1), 1)
    ((2, 2), (2, 1))
    """
    return ntuple(name, value, 2, minimum, why)


def ntuple(name: str, value, rank: int, minimum: int | None = None, why: str = "") -> tuple:
    """An int-or-tuple parameter as ``rank`` ints, one per spatial axis (``pair`` is ``rank=2``).

    An int stands for the same value on every axis; a tuple, list or array must hold exactly ``rank`` ints. With
    ``minimum``, every entry must be >= it (``at_least``; ``why`` is added to the message).

    >>> ntuple("stride", 2, 3), ntuple("padding", [1], 1), ntuple("dilation", (1, 2, 1), 3, 1)
    ((2, 2, 2), (1,), (1, 2, 1))
    """
    if type(value) is int:
        out = (value,) * rank
    elif isinstance(value, (tuple, list, np.ndarray)):
        items = list(np.asarray(value, dtype=object).ravel()) if isinstance(value, np.ndarray) else list(value)
        if len(items) != rank:
            what = _TUPLE_NAMES.get(rank, f"{rank} values")
            raise ArgumentError(f"{name}={value!r}: expected an int or {what}, got {len(items)} values")
        out = tuple(integer(name, v) for v in items)
    else:
        try:
            v = integer(name, value)
        except TypeError:
            kind = "a pair of ints (h, w)" if rank == 2 else f"{rank} ints"
            raise TypeError(f"{name}={value!r}: expected an int or {kind}, got {type(value).__name__}") from None
        out = (v,) * rank
    if minimum is not None:
        at_least(name, out, minimum, why)
    return out


def axes(rank: int) -> tuple:
    """The names of ``rank`` spatial axes, as messages use them.

    >>> axes(1), axes(3)
    (('length',), ('depth', 'height', 'width'))
    """
    return AXES_BY_RANK.get(rank) or tuple(f"axis {i}" for i in range(rank))


def spatial_layout(rank: int) -> tuple:
    """How an array of ``rank`` spatial axes is written: (its sizes, its kernel's sizes), e.g. ("H, W", "kH, kW").

    >>> spatial_layout(1), spatial_layout(3)
    (('L', 'k'), ('D, H, W', 'kD, kH, kW'))
    """
    return _SPATIAL[rank]


def rank_of(rank, **values) -> int:
    """The number of spatial axes of a size helper's call: ``rank`` if given, else the length of the first tuple or
    list among ``values`` (name -> value), else 2 (every value an int: the 2-D helpers' behaviour).

    >>> rank_of(None, input_size=(4, 4, 4), kernel_size=2), rank_of(None, input_size=4), rank_of(1, input_size=4)
    (3, 2, 1)
    """
    if rank is not None:
        return positive_int("rank", rank)
    for v in values.values():
        if isinstance(v, (tuple, list)):
            return max(1, len(v))
        if isinstance(v, np.ndarray) and v.ndim:
            return max(1, v.size)
    return 2


def at_least(name: str, value: tuple, low: int, why: str = "") -> None:
    """Raise ArgumentError naming ``name`` unless every entry of the tuple ``value`` (one per axis) is >= ``low``."""
    for axis, v in zip(axes(len(value)), value):
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


def show(p: tuple):
    """A tuple of per-axis values as the user would write it: ``2`` for (2, 2) or (2, 2, 2), else the tuple."""
    return p[0] if len(p) and all(v == p[0] for v in p) else p


def transpose_params(stride=1, padding=0, output_padding=0, dilation=1, *, rank=2):
    """A transposed conv's stride, padding, output_padding and dilation as checked tuples of ``rank`` ints (PyTorch's
    rules; (h, w) pairs for the default rank 2).

    stride, dilation >= 1; padding, output_padding >= 0; output_padding < stride or < dilation, per axis.

    >>> transpose_params(2, 1, 1)
    ((2, 2), (1, 1), (1, 1), (1, 1))
    >>> transpose_params(8, 4, rank=1)
    ((8,), (4,), (0,), (1,))
    """
    stride, padding = ntuple("stride", stride, rank), ntuple("padding", padding, rank)
    output_padding, dilation = ntuple("output_padding", output_padding, rank), ntuple("dilation", dilation, rank)
    at_least("stride", stride, 1)
    at_least("dilation", dilation, 1)
    at_least("padding", padding, 0, " (padding crops the output; it cannot be negative)")
    at_least("output_padding", output_padding, 0)
    for axis, op, s, d in zip(axes(rank), output_padding, stride, dilation):
        if not (op < s or op < d):
            raise ArgumentError(
                f"output_padding={show(output_padding)}: along the {axis}, output_padding {op} must be smaller "
                f"than the stride ({s}) or the dilation ({d}); only then does it pick one of the sizes that convolve back to the input")
    return stride, padding, output_padding, dilation


# ----------------------------------------------------------------------------------------------- size arithmetic

def output_size(input_size, kernel_size, *, stride=1, padding=0, output_padding=0, dilation=1,
                rank=None) -> tuple:
    """Output size of a transposed convolution, one value per axis: (H, W), or (L,), (D, H, W), ...

    ``(in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1`` per axis. The number of axes is
    ``rank``, else the length of any tuple argument, else 2 (as for every size helper: ``rank_of``).

    >>> output_size((3, 5), 3, stride=2)
    (7, 11)
    >>> output_size((64,), 16, stride=8, padding=4), output_size((24, 24, 24), 3, stride=2, padding=1, output_padding=1)
    ((512,), (48, 48, 48))
    """
    r = rank_of(rank, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                output_padding=output_padding, dilation=dilation)
    n, k = ntuple("input_size", input_size, r, 1), ntuple("kernel_size", kernel_size, r, 1)
    return _output_size(n, k, *transpose_params(stride, padding, output_padding, dilation, rank=r))


def _output_size(n, k, s, p, op, d) -> tuple:
    """``output_size`` on tuples already checked (sizes >= 1, ``transpose_params``): the arithmetic and its one rule."""
    out = tuple((n[i] - 1) * s[i] - 2 * p[i] + kernel_span(k[i], d[i]) + op[i] for i in range(len(n)))
    for axis, o, pi in zip(axes(len(n)), out, p):
        if o < 1:
            raise ArgumentError(f"padding={show(p)}: the output {axis} would be {o} < 1 (padding {pi} crops "
                                f"more than the full output of {o + 2 * pi} rows/columns holds)")
    return out


def conv_output_size(input_size, kernel_size, *, stride=1, padding=0, dilation=1, rank=None) -> tuple:
    """Output size of the forward convolution, one value per axis: ``(in + 2p - d(k-1) - 1) // s + 1``.

    >>> conv_output_size(7, 3, stride=2), conv_output_size(8, 3, stride=2), conv_output_size((9,), 3)
    ((3, 3), (3, 3), (7,))
    """
    r = rank_of(rank, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                dilation=dilation)
    n, k = ntuple("input_size", input_size, r, 1), ntuple("kernel_size", kernel_size, r, 1)
    s, p, d = ntuple("stride", stride, r, 1), ntuple("padding", padding, r, 0), ntuple("dilation", dilation, r, 1)
    return _conv_output_size(n, k, s, p, d)


def _conv_output_size(n, k, s, p, d) -> tuple:
    """``conv_output_size`` on checked tuples: the arithmetic and its one rule (the kernel fits the padded input)."""
    for axis, ni, ki, pi, di in zip(axes(len(n)), n, k, p, d):
        if ni + 2 * pi < kernel_span(ki, di):
            raise ArgumentError(f"kernel_size={show(k)}: the (dilated) kernel spans {kernel_span(ki, di)} "
                                f"{axis} pixels, more than the padded input's {ni + 2 * pi}")
    return tuple((n[i] + 2 * p[i] - kernel_span(k[i], d[i])) // s[i] + 1 for i in range(len(n)))


def output_size_range(input_size, kernel_size, *, stride=1, padding=0, dilation=1, rank=None):
    """Every output size a transposed conv may produce, per axis: ``((min_h, max_h), (min_w, max_w))`` in 2-D, one
    (min, max) per axis in any rank.

    All of them convolve back to ``input_size``; PyTorch's rule: ``max = min + stride - 1``.

    >>> output_size_range((4,), 3, stride=2, padding=1)
    ((7, 8),)
    """
    r = rank_of(rank, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                dilation=dilation)
    n, k = ntuple("input_size", input_size, r, 1), ntuple("kernel_size", kernel_size, r, 1)
    s, p, _, d = transpose_params(stride, padding, 0, dilation, rank=r)
    out = []
    for axis, ni, ki, si, pi, di in zip(axes(r), n, k, s, p, d):
        low = (ni - 1) * si - 2 * pi + kernel_span(ki, di)    # may be < 1: output_padding can still reach 1
        if low + si - 1 < 1:
            raise ArgumentError(f"padding={show(p)}: every output {axis} would be < 1 (the largest, with "
                                f"output_padding {si - 1}, is {low + si - 1}; padding {pi} crops too much)")
        out.append((max(1, low), low + si - 1))
    return tuple(out)


def output_padding_for(input_size, target_size, kernel_size, *, stride=1, padding=0, dilation=1, rank=None):
    """The output_padding that makes a transposed conv produce ``target_size`` (PyTorch's ``output_size=``).

    >>> output_padding_for(4, (8, 7), 3, stride=2, padding=1), output_padding_for(64, (512,), 16, stride=8, padding=4)
    ((1, 0), (0,))
    """
    r = rank_of(rank, input_size=input_size, target_size=target_size, kernel_size=kernel_size, stride=stride,
                padding=padding, dilation=dilation)
    target = ntuple("output_size", target_size, r)
    ranges = output_size_range(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation, rank=r)
    for axis, t, (lo, hi) in zip(axes(r), target, ranges):
        if not lo <= t <= hi:
            raise ArgumentError(f"output_size={show(target)}: the {axis} {t} is not reachable; "
                                f"valid {axis}s for this input, kernel, stride and padding: {lo}..{hi}")
    s = ntuple("stride", stride, r)
    return tuple(target[i] - (ranges[i][1] - s[i] + 1) for i in range(r))   # from the unclipped minimum


def input_size(output_size, kernel_size, *, stride=1, padding=0, output_padding=0, dilation=1, rank=None) -> tuple:
    """The input size a transposed conv with these parameters maps to ``output_size``: the size formula inverted.

    ``in = (out - 1 - output_padding + 2 * padding - dilation * (k - 1)) / stride + 1`` per axis, which must be a
    whole number >= 1 (``ArgumentError`` otherwise: no input gives that output).

    >>> input_size((8, 7), 3, stride=2, padding=1, output_padding=(1, 0))
    (4, 4)
    >>> input_size((48,) * 3, 3, stride=2, padding=1, output_padding=1)
    (24, 24, 24)
    """
    r = rank_of(rank, output_size=output_size, kernel_size=kernel_size, stride=stride, padding=padding,
                output_padding=output_padding, dilation=dilation)
    out, k = ntuple("output_size", output_size, r, 1), ntuple("kernel_size", kernel_size, r, 1)
    s, p, op, d = transpose_params(stride, padding, output_padding, dilation, rank=r)
    n = []
    for axis, oi, ki, si, pi, opi, di in zip(axes(r), out, k, s, p, op, d):
        rest = oi - 1 - opi + 2 * pi - (kernel_span(ki, di) - 1)
        if rest < 0 or rest % si:
            raise ArgumentError(f"output_size={show(out)}: no input {axis} gives an output {axis} of {oi} with "
                                f"kernel {ki}, stride {si}, padding {pi}, output_padding {opi}, dilation {di} "
                                f"(the output {axis}s are 1 + stride * (in - 1) + ...: {oi} is not one of them)")
        n.append(rest // si + 1)
    return tuple(n)


# ------------------------------------------------------------------------------------------------------ crops
# Every framework's transposed conv is the full scatter output, ``full = (in - 1) * s + d * (k - 1) + 1`` rows per
# axis, cropped: ``crops = ((top, bottom), (left, right))`` rows and columns removed at each end. PyTorch's padding
# p and output_padding op are the crops (p, p - op); each framework's module in ``tconv_edu.frameworks`` turns its
# own arguments into crops.

def full_size(input_size, kernel_size, *, stride=1, dilation=1, rank=None) -> tuple:
    """Size of the uncropped scatter output, ``(in - 1) * stride + dilation * (k - 1) + 1`` per axis.

    >>> full_size(4, 3, stride=2), full_size((64,), 16, stride=8)
    ((9, 9), (520,))
    """
    r = rank_of(rank, input_size=input_size, kernel_size=kernel_size, stride=stride, dilation=dilation)
    n, k = ntuple("input_size", input_size, r), ntuple("kernel_size", kernel_size, r)
    s, d = ntuple("stride", stride, r), ntuple("dilation", dilation, r)
    return _full_size(n, k, s, d)


def _full_size(n, k, s, d) -> tuple:
    """``full_size`` on checked tuples."""
    return tuple((n[i] - 1) * s[i] + kernel_span(k[i], d[i]) for i in range(len(n)))


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
    """A checked transposed-conv call, in the canonical layout every form computes on (4-D in 2-D; any rank).

    x: (N, C_in, H, W); weight: (C_in, C_out/groups, kH, kW); bias: (C_out,) or None; all in ``dtype``. In rank r
    (``rank``: 1, 2 or 3 spatial axes) x is (N, C_in, *spatial) and weight (C_in, C_out/groups, *kernel), and
    stride, dilation, offset and out_size hold r ints.
    The result is the full scatter output (zero-extended at the bottom/right) cropped to
    rows ``offset[0] : offset[0] + out_size[0]`` and columns ``offset[1] : offset[1] + out_size[1]`` (PyTorch's
    ``offset`` is its padding), and so on for every axis.
    (An immutable named tuple: a call of a few microseconds cannot afford a frozen dataclass's construction.)
    """
    x: object
    weight: object
    bias: object
    stride: tuple
    dilation: tuple
    groups: int
    offset: tuple
    out_size: tuple
    input_ndim: int
    dtype: object

    @property
    def c_out(self) -> int:
        return self.weight.shape[1] * self.groups

    @property
    def rank(self) -> int:
        """The number of spatial axes: 1, 2 or 3."""
        return len(self.stride)

    @property
    def out_shape(self) -> tuple:
        """Shape of the canonical result, (N, C_out, H_out, W_out) (N, C_out and the output size in any rank)."""
        return (self.x.shape[0], self.c_out) + tuple(self.out_size)

    @property
    def full_size(self) -> tuple:
        """Size of the uncropped scatter output, ``(in - 1) * s + d * (k - 1) + 1``, per axis."""
        return _full_size(self.x.shape[2:], self.weight.shape[2:], self.stride, self.dilation)

    def finish(self, y):
        """Back to the caller's layout: 2-D in, 2-D out; 3-D in, 3-D out (in rank r: r dims in, r out; r + 1, r + 1)."""
        extra = self.input_ndim - (self.x.ndim - 2)
        if extra == 0:
            return y[0, 0]
        if extra == 1:
            return y[0]
        return y


def _check_shapes(x_shape, w_shape, bias_shape, *, transposed: bool, groups, rank: int = 2):
    """Shared ndim, channel, groups and bias checks on shapes; returns the shapes of x as (N, C_in, H, W) and of the
    weight as 4-D (a 2-D kernel becomes (1, 1, kH, kW)), and groups as an int. In rank r: x as (N, C_in, *spatial),
    the weight with r + 2 dims (an r-dim kernel, with an r-dim x only, becomes (1, 1, *kernel))."""
    what = f"conv_transpose{rank}d" if transposed else f"conv{rank}d"
    sp, kn = spatial_layout(rank)
    layout = f"(C_in, C_out/groups, {kn})" if transposed else f"(C_out, C_in/groups, {kn})"
    one = f"({sp})" if rank > 1 else f"({sp},)"
    kone = f"({kn})" if rank > 1 else f"({kn},)"
    if len(x_shape) not in (rank, rank + 1, rank + 2):
        raise ArgumentError(f"x: expected (N, C_in, {sp}), (C_in, {sp}) or {one}, got shape {x_shape}")
    if len(x_shape) == rank:
        if len(w_shape) != rank:
            raise ArgumentError(f"weight: a {rank}-D x {one} takes a {rank}-D kernel {kone}, got shape {w_shape}")
    elif len(w_shape) != rank + 2:
        hint = f" (a {rank}-D kernel goes with a {rank}-D x only)" if len(w_shape) == rank else ""
        raise ArgumentError(f"weight: {what} expects {layout}, got shape {w_shape}{hint}")
    x4 = (1,) * (rank + 2 - len(x_shape)) + tuple(x_shape)
    w4 = (1, 1) + tuple(w_shape) if len(w_shape) == rank else tuple(w_shape)
    c_in = x4[1]
    groups = check_groups(groups, {"the input channels C_in": c_in})
    if min(w4[2:]) < 1:
        raise ArgumentError(f"weight: kernel size must be >= 1, got shape {w_shape}")
    if min(x4[2:]) < 1:
        raise ArgumentError(f"x: spatial size must be >= 1, got shape {x_shape}")
    if transposed:
        if w4[0] != c_in:
            raise ArgumentError(f"weight: shape {w_shape} is {layout}, so its dim 0 must equal the input's "
                                f"C_in={c_in}, got {w4[0]} (a Conv{rank}d weight (C_out, C_in, ...) is the "
                                f"other way round)")
        c_out = w4[1] * groups
    else:
        if w4[1] * groups != c_in:
            raise ArgumentError(f"weight: shape {w_shape} is {layout}, so dim 1 x groups must equal the "
                                f"input's C_in={c_in}, got {w4[1]} x {groups}")
        c_out = w4[0]
        check_groups(groups, {"the output channels C_out": c_out})
    if bias_shape is not None and (len(bias_shape) != 1 or bias_shape[0] != c_out):
        raise ArgumentError(f"bias: expected shape ({c_out},) (one value per output channel), got {bias_shape}")
    return x4, w4, groups


def _check_arrays(x, weight, bias, *, transposed: bool, groups, rank: int = 2):
    """``_check_shapes`` on arrays; returns canonical x, weight (views: 4-D in rank 2) and groups as an int."""
    x4, w4, groups = _check_shapes(x.shape, weight.shape, None if bias is None else bias.shape,
                                   transposed=transposed, groups=groups, rank=rank)
    return x.reshape(x4), weight.reshape(w4), groups


def check_bias(bias, c_out: int) -> None:
    """A bias is None or (C_out,): one value per output channel (every framework's rule)."""
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != c_out):
        raise ArgumentError(f"bias: expected shape ({c_out},) (one value per output channel), got {bias.shape}")


def _plain(value) -> bool:
    """An exact int, or a tuple of exact ints: a hashable parameter whose meaning its hash cannot blur (``True``
    hashes like 1, ``2.0`` like 2, so those take the uncached path and its TypeError)."""
    if type(value) is int:
        return True
    if type(value) is not tuple:
        return False
    if len(value) == 2:                             # the common case, first
        return type(value[0]) is int and type(value[1]) is int
    return all(type(v) is int for v in value)


def _checked_transpose(x_shape, w_shape, bias_shape, stride, padding, output_padding, dilation, groups, rank=2):
    """Every check of a transposed-conv call that depends on shapes and parameters only, done once.

    Returns (canonical x shape, weight shape, groups, stride, padding, dilation, output size) as checked ints.
    """
    x4, w4, groups = _check_shapes(x_shape, w_shape, bias_shape, transposed=True, groups=groups, rank=rank)
    s, p, op, d = transpose_params(stride, padding, output_padding, dilation, rank=rank)
    return x4, w4, groups, s, p, d, _output_size(x4[2:], w4[2:], s, p, op, d)


#: the checked shapes and parameters of recent calls with plain parameters: a pure function of shapes and ints,
#: bounded (``checked_transpose_cache.cache_clear()`` empties it); a call that fails its checks is never stored
checked_transpose_cache = functools.lru_cache(maxsize=256)(_checked_transpose)


def transpose_spec(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                   xp=np, rank=2) -> TransposeSpec:
    """Check a PyTorch-style transposed-conv call and put it in canonical form (no computation).

    ``rank`` is the number of spatial axes (1 for conv_transpose1d, 2, 3): x (N, C_in, *spatial), (C_in, *spatial)
    or (*spatial) with a weight of as many dims; weight (C_in, C_out/groups, *kernel).

    >>> transpose_spec(np.ones((4, 512, 64)), np.ones((512, 256, 16)), stride=8, padding=4, rank=1).out_shape
    (4, 256, 512)
    """
    x, weight = as_array("x", x, xp), as_array("weight", weight, xp)
    bias = as_array("bias", bias, xp, optional=True)
    args = (x.shape, weight.shape, None if bias is None else bias.shape, stride, padding, output_padding, dilation,
            groups, rank)
    plain = all(_plain(v) for v in args[3:8])
    x4, w4, groups, s, p, d, out = (checked_transpose_cache if plain else _checked_transpose)(*args)
    return make_spec(x.reshape(x4), weight.reshape(w4), bias, stride=s, dilation=d, groups=groups, offset=p,
                     out_size=out, input_ndim=x.ndim)


def make_spec(x4, w4, bias, *, stride, dilation, groups, offset, out_size, input_ndim) -> TransposeSpec:
    """Cast checked 4-D arrays to the compute dtype and bundle them (every entry point's last step)."""
    dt = compute_dtype(x4, w4, bias)
    return TransposeSpec(x=x4.astype(dt, copy=False), weight=w4.astype(dt, copy=False),
                         bias=None if bias is None else bias.astype(dt, copy=False),
                         stride=tuple(stride), dilation=tuple(dilation), groups=groups, offset=tuple(offset),
                         out_size=tuple(out_size), input_ndim=input_ndim, dtype=dt)


@dataclass(frozen=True)
class ConvSpec:
    """A checked conv2d call: x (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) or None (in rank
    r: x (N, C_in, *spatial), weight (C_out, C_in/groups, *kernel); stride, padding, dilation, out_size r ints)."""
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


def conv_spec(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1, xp=np, rank=2) -> ConvSpec:
    """Check a PyTorch-style conv call (conv2d; conv1d, conv3d with ``rank`` 1, 3) and put it in canonical form.

    >>> conv_spec(np.ones((1, 2, 9)), np.ones((4, 2, 3)), stride=2, rank=1).out_size
    (4,)
    """
    x, weight = as_array("x", x, xp), as_array("weight", weight, xp)
    bias = as_array("bias", bias, xp, optional=True)
    s, p = ntuple("stride", stride, rank), ntuple("padding", padding, rank)
    d = ntuple("dilation", dilation, rank)
    x4, w4, groups = _check_arrays(x, weight, bias, transposed=False, groups=groups, rank=rank)
    out = conv_output_size(x4.shape[2:], w4.shape[2:], stride=s, padding=p, dilation=d, rank=rank)
    dt = compute_dtype(x4, w4, bias)
    return ConvSpec(x=x4.astype(dt, copy=False), weight=w4.astype(dt, copy=False),
                    bias=None if bias is None else bias.astype(dt, copy=False), stride=s, padding=p, dilation=d,
                    groups=groups, out_size=out, input_ndim=x.ndim)
