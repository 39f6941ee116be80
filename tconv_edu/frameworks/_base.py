"""What every framework module builds on: the ``Framework`` object, ``crop()``, and the one way to compute.

Every framework's transposed conv is the full scatter output, ``(in - 1) * s + d * (k - 1) + 1`` rows per axis,
cropped: ``crops = ((top, bottom), (left, right))`` rows and columns removed at each end (a negative crop adds rows
that no kernel tap reaches; they hold only the bias); in 1-D and 3-D one (start, end) pair per axis. A framework's
rule turns its own arguments into crops; the entry points compute the full output with the default form (``gemm``)
and ``crop()`` it. Every helper here takes any rank (1, 2 or 3 spatial axes): the rank is the length of the tuples.

This module imports no framework module; each framework module imports it (never another framework).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple

import numpy as np

from .. import shapes
from ..gemm import transpose
from ..shapes import ArgumentError

__all__ = ["Framework", "GroupedFramework", "LayerCrops", "Target", "crop", "compute", "four_d", "n_d", "same_dtype",
           "pad_pairs", "param", "dense", "dilated", "kept", "named_padding_only", "NO_RESIDUAL", "no_residual",
           "channels_first", "channels_last", "RANKS"]

#: the crops that leave a 2-D target's output as it is (``no_residual(rank)`` in any rank)
NO_RESIDUAL = ((0, 0), (0, 0))
#: the numbers of spatial axes every entry point and port takes
RANKS = (1, 2, 3)


def no_residual(rank: int) -> tuple:
    """The crops that leave a target's output as it is, in ``rank`` spatial axes.

    >>> no_residual(1)
    ((0, 0),)
    """
    return ((0, 0),) * rank


def channels_first(a):
    """(N, *spatial, C) -> (N, C, *spatial), in any rank."""
    return np.moveaxis(a, -1, 1)


def channels_last(a):
    """(N, C, *spatial) -> (N, *spatial, C), in any rank."""
    return np.moveaxis(a, 1, -1)


class LayerCrops(NamedTuple):
    """A layer as the full scatter output cropped: what every framework's layer computes, in one vocabulary."""
    stride: tuple
    dilation: tuple
    groups: int
    crops: tuple
    out_size: tuple


class Target(NamedTuple):
    """The nearest layer of a framework to given crops: its arguments, the crops still to remove from its output
    (``residual``), and the dilation put into the kernel by hand where the framework refuses it (with the reason)."""
    params: dict
    residual: tuple | None = None       #: None: nothing left to remove (``no_residual(rank)``)
    dilate: tuple | None = None         #: None: no dilation by hand (1 per axis)
    note: str = ""


class Framework(ABC):
    """One framework's transposed conv: its layouts, argument names, size rule, refusals, weights and entry point.

    A subclass sets the attributes and implements the abstract ``layer_crops``, ``target``, ``explorer_params`` and
    ``run``; the defaults below fit a framework with TensorFlow's weight layout (kH, kW, C_out, C_in), NHWC data and
    no groups. Every method takes layers of any rank (1, 2 or 3 spatial axes: ``layer.rank``); the
    weight strings name the 2-D layouts, and the same axes in 1-D and 3-D have one or three kernel axes.
    """
    name: str                       #: the key in ``FRAMEWORKS``, e.g. "torch"
    title: str                      #: how the course names it, e.g. "PyTorch"
    nchw: bool = False              #: the default data layout: (N, C, H, W), else (N, H, W, C)
    params: tuple = ()              #: the argument names a ``Layer`` of this framework takes
    weight: str = "(kH, kW, C_out, C_in)"   #: the weight layout of its transposed conv
    layouts: dict = {}              #: rows of ``WEIGHT_LAYOUTS``: its layers -> their weight layouts
    layouts_nd: dict = {}           #: rows of ``WEIGHT_LAYOUTS_ND``: its layers -> (the 1-D layout, the 3-D one)
    has_groups: bool = False
    has_bias: bool = True
    needs_input_size: str = ""      #: why a port to it needs the layer's input size ("" where it does not)
    flip_reason: str = ""           #: why its kernel is flipped relative to the others ("" where it is not)

    def __repr__(self):
        return f"<framework {self.name!r}: {self.title}>"

    # --- a layer in this framework's terms ------------------------------------------------------------------
    @abstractmethod
    def layer_crops(self, layer, n, k) -> LayerCrops:
        """``layer`` (input size ``n``, kernel ``k``, one int per axis each) as stride, dilation, groups, crops and
        out size."""

    def groups(self, layer) -> int:
        """The layer's groups (1 where the framework has none)."""
        return 1

    def flips(self, params) -> bool:
        """Whether a layer with ``params`` stores its kernel flipped relative to PyTorch's."""
        return False

    def weight_layout(self, layer) -> str:
        """The weight layout of ``layer``, as text: ``weight`` in 2-D, its ``layouts_nd`` row in 1-D and 3-D."""
        if layer.rank == 2 or not self.layouts_nd:
            return self.weight
        return next(iter(self.layouts_nd.values()))[0 if layer.rank == 1 else 1]

    def weight_shape(self, layer) -> tuple:
        """The shape of ``layer``'s weight in this framework's layout."""
        return layer.kernel + (layer.out_channels, layer.in_channels)

    def to_torch(self, w, layer):
        """A weight in this framework's layout -> PyTorch's (C_in, C_out / groups, kH, kW), and the groups."""
        r = w.ndim - 2
        return w.transpose((r + 1, r) + tuple(range(r))), 1

    def from_torch(self, wt, groups, layer):
        """PyTorch's weight (C_in, C_out / groups, kH, kW) -> this framework's layout for ``layer``."""
        r = wt.ndim - 2
        return np.ascontiguousarray(dense(wt, groups).transpose(tuple(range(2, r + 2)) + (1, 0)))

    # --- porting and the explorer ---------------------------------------------------------------------------
    @abstractmethod
    def target(self, lc: LayerCrops, n, k) -> Target:
        """The layer of this framework nearest to ``lc`` (exact where ``residual`` is all zeros)."""

    @abstractmethod
    def explorer_params(self, n, k, s, padding, op, d, g) -> dict:
        """The porting explorer's layer (sizes n, k; stride s; padding one of ``widgets.PADDINGS``; output_padding
        op; dilation d; groups g) in this framework's arguments; ``ArgumentError`` where it has no such layer."""

    @abstractmethod
    def run(self, layer, x, w, bias=None):
        """Compute ``layer`` with this framework's entry point; x and w in its default layouts."""


class GroupedFramework(Framework):
    """A framework with groups that stores its weight in PyTorch's layout (C_in, C_out / groups, kH, kW)."""
    has_groups = True
    groups_param = "groups"                 #: the name of its groups argument

    def groups(self, layer):
        return shapes.positive_int(self.groups_param, param(layer, self.groups_param, 1))

    def weight_shape(self, layer):
        return (layer.in_channels, layer.out_channels // self.groups(layer)) + layer.kernel

    def to_torch(self, w, layer):
        return w, self.groups(layer)

    def from_torch(self, wt, groups, layer):
        return wt if self.groups(layer) == groups else dense(wt, groups)


def named_padding_only(framework, padding, groups):
    """The porting explorer's refusals for a framework without groups whose padding is 'SAME' or 'VALID'."""
    if groups != 1:
        raise ArgumentError(f"groups={groups}: {framework.name}'s transposed conv has no groups; pick groups=1 "
                            f"or a torch or onnx source")
    if padding not in ("SAME", "VALID"):
        raise ArgumentError(f"padding={padding!r}: pick 'SAME' or 'VALID' for a {framework.name} source "
                            f"(its explicit pads mean something else than PyTorch's padding)")



# ------------------------------------------------------------------------------------------------ arrays

def crop(y, crops, bias=None, *, biased=False):
    """Crop (or, for a negative crop, extend) the spatial axes of a channels-first ``y``, and add the bias.

    ``crops = ((top, bottom), (left, right))`` in 2-D, one (start, end) pair per spatial axis in any rank. Added
    rows and columns hold only the bias. ``biased``: ``y`` holds the bias already, so only the added rows get it.

    >>> crop(np.arange(16.).reshape(1, 1, 4, 4), ((1, 2), (-1, 0)))[0, 0]
    array([[0., 4., 5., 6., 7.]])
    >>> crop(np.arange(5.).reshape(1, 1, 5), ((1, -1),))[0, 0]
    array([1., 2., 3., 4., 0.])
    """
    size = y.shape[2:]
    src = y[(slice(None), slice(None)) + tuple(slice(max(t, 0), n - max(b, 0)) for (t, b), n in zip(crops, size))]
    extra = (slice(None),) + (None,) * len(size)            # the bias along the channels, broadcast over space
    if min(min(c) for c in crops) >= 0:
        out = src if bias is None or biased else src + bias.astype(y.dtype)[extra]
        return np.ascontiguousarray(out)
    out = np.zeros(y.shape[:2] + tuple(n - t - b for (t, b), n in zip(crops, size)), dtype=y.dtype)
    if bias is not None and biased:
        out += np.asarray(bias, dtype=y.dtype)[extra]
    out[(slice(None), slice(None)) + tuple(slice(max(-t, 0), max(-t, 0) + m) for (t, _), m in
                                           zip(crops, src.shape[2:]))] = src
    if bias is not None and not biased:
        out = out + bias.astype(y.dtype)[extra]
    return out


def compute(x4, w4, bias, *, stride, dilation, groups, crops):
    """x4 (N, C_in, *spatial), w4 (C_in, C_out / groups, *kernel) (PyTorch's layout), bias (C_out,) or None, all
    checked, in any rank: the full scatter output cropped by ``crops``, plus the bias, computed by the default form.

    Returns (N, C_out, full - start - end per axis); an axis cropped away entirely is empty.
    """
    rank = x4.ndim - 2
    full = shapes.full_size(x4.shape[2:], w4.shape[2:], stride=stride, dilation=dilation, rank=rank)
    inner = tuple((max(t, 0), max(b, 0)) for t, b in crops)
    out = tuple(f - t - b for f, (t, b) in zip(full, inner))
    dt = shapes.compute_dtype(x4, w4, bias)
    bias = None if bias is None else bias.astype(dt, copy=False)
    if min(out) < 1:                    # the output misses the canvas: it holds the bias alone (or is empty)
        size = tuple(max(0, f - t - b) for f, (t, b) in zip(full, crops))
        y = np.zeros((x4.shape[0], w4.shape[1] * groups) + size, dtype=dt)
        return y if bias is None else y + bias[(slice(None),) + (None,) * rank]
    spec = shapes.make_spec(x4, w4, bias, stride=stride, dilation=dilation, groups=groups,
                            offset=tuple(t for t, _ in inner), out_size=out, input_ndim=x4.ndim)
    y = transpose(spec)
    residual = tuple((t - ti, b - bi) for (t, b), (ti, bi) in zip(crops, inner))
    return y if residual == no_residual(rank) else crop(y, residual, bias, biased=True)


def four_d(name, a, layout):
    """Refuse an array that is not 4-D with every dimension >= 1."""
    n_d(name, a, 4, layout)


def n_d(name, a, ndim, layout):
    """Refuse an array that is not ``ndim``-D with every dimension >= 1."""
    if a.ndim != ndim:
        raise ArgumentError(f"{name}: expected a {ndim}-D array {layout}, got shape {a.shape}")
    if min(a.shape) < 1:
        raise ArgumentError(f"{name}: every dimension must be >= 1, got shape {a.shape}")


def same_dtype(what, *arrays):
    """Refuse float arrays of different dtypes (frameworks that do not promote)."""
    kinds = {a.dtype for a in arrays if a is not None and a.dtype.kind == "f"}
    if len(kinds) > 1:
        raise TypeError(f"{what} requires its arrays to share one dtype, got {', '.join(sorted(map(str, kinds)))}")


def pad_pairs(padding, what, rank=2):
    """Explicit padding: one ``what`` pair of ints per spatial axis (TF's (before, after), JAX's (lo, hi))."""
    try:
        rows = [tuple(r) for r in padding]
    except TypeError:
        raise TypeError(f"padding={padding!r}: expected 'SAME', 'VALID' or a list of {what} pairs") from None
    if len(rows) != rank or any(len(r) != 2 for r in rows):
        raise ArgumentError(f"padding={padding!r}: explicit padding needs one {what} pair per spatial axis "
                            f"({rank} here), got {len(rows)}")
    return tuple(tuple(shapes.integer("padding", v) for v in r) for r in rows)


def param(layer, name, default):
    """``layer.params[name]``, or ``default`` where it is missing or None."""
    v = layer.params.get(name, default)
    return default if v is None else v


# ------------------------------------------------------------------------------------------------ weights

def dense(wt, g):
    """A grouped weight (C_in, C_out / g, kH, kW) as the dense (C_in, C_out, kH, kW) with zero blocks."""
    if g == 1:
        return wt
    c_in, cg_out = wt.shape[:2]
    cg_in = c_in // g
    out = np.zeros((c_in, cg_out * g) + wt.shape[2:], dtype=wt.dtype)
    for i in range(g):
        out[i * cg_in:(i + 1) * cg_in, i * cg_out:(i + 1) * cg_out] = wt[i * cg_in:(i + 1) * cg_in]
    return out


def dilated(wt, d):
    """The kernel with d - 1 zeros between taps: a dilated kernel as an undilated one of ``kernel_span`` taps."""
    if all(v == 1 for v in d):
        return wt
    out = np.zeros(wt.shape[:2] + tuple(shapes.kernel_span(k, di) for k, di in zip(wt.shape[2:], d)),
                   dtype=wt.dtype)
    out[(slice(None), slice(None)) + tuple(slice(None, None, di) for di in d)] = wt
    return out


def kept(crops, full):
    """The part of ``crops`` a layer with pads >= 0 can remove itself, leaving at least one row and column."""
    out = []
    for (top, bottom), f in zip(crops, full):
        top = min(max(top, 0), f - 1)
        out.append((top, min(max(bottom, 0), f - 1 - top)))
    return out
