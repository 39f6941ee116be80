"""``jax.lax.conv_transpose`` in 1-D, 2-D and 3-D: its padding rule, its layouts, and what it computes.

JAX stretches the input by the strides, pads it and correlates with the kernel as stored: equal to PyTorch's only
with the kernel flipped (or ``transpose_kernel=True``). It has no groups and no bias. The rank is the arrays' (r + 2
dims for r spatial axes); strides, rhs_dilation and explicit padding hold one entry per spatial axis, and the
default dimension numbers depend on the rank (``JAX_DEFAULT_DIMENSION_NUMBERS_BY_RANK``).

>>> import numpy as np
>>> jax_conv_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 3, 2)), (2, 2), "SAME").shape
(1, 8, 8, 2)
>>> jax_conv_transpose(np.ones((1, 64, 8)), np.ones((16, 8, 4)), (8,), "SAME").shape
(1, 512, 4)
"""
from __future__ import annotations

import numbers

import numpy as np

from ..shapes import ArgumentError, as_array, at_least, ceil_div, full_size, kernel_span, ntuple
from ._base import (RANKS, Framework, LayerCrops, Target, compute, dense, n_d, named_padding_only, pad_pairs, param,
                    same_dtype)

__all__ = ["jax_crops", "jax_layout", "jax_conv_transpose", "JAX_DEFAULT_DIMENSION_NUMBERS",
           "JAX_DEFAULT_DIMENSION_NUMBERS_BY_RANK", "JAX", "FRAMEWORK"]


def _jax_ints(name, value, rank=2):
    """A sequence of ``rank`` ints (JAX takes sequences, not a lone int)."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, numbers.Number) or isinstance(value, str):
        raise TypeError(f"{name}={value!r}: JAX expects a sequence of {rank} ints (one per spatial axis), "
                        f"got {type(value).__name__}")
    return ntuple(name, value, rank)


def jax_crops(input_size, kernel_size, *, strides, padding, rhs_dilation=None):
    """``jax.lax.conv_transpose`` in any rank (the length of ``strides``): ``(out_size, crops)``.

    JAX stretches the input by ``strides``, pads it by ``(lo, hi)`` and correlates with the (dilated) kernel:
    ``out = full + lo + hi - 2 * (k_eff - 1)``, crops ``(k_eff - 1 - lo, k_eff - 1 - hi)``. Explicit pairs are
    those ``(lo, hi)`` (negative ones crop); 'SAME' and 'VALID' name the forward conv's padding:
    'SAME': ``lo + hi = k_eff + s - 2``, ``lo = k_eff - 1`` if ``s > k_eff - 1`` else ``ceil((k_eff + s - 2) / 2)``
    (out = in * s); 'VALID': ``lo = k_eff - 1``, ``hi = k_eff - 1 + max(s - k_eff, 0)`` (out = in * s +
    max(k_eff - s, 0)). Pads that crop more than the kernel's window leaves give an empty axis, as in JAX; pads that
    crop more than the stretched input holds, ``(in - 1) * s + 1 + lo + hi < 0``, JAX refuses ("Negative padding is
    larger than the size of the corresponding dimension").

    >>> jax_crops(4, 3, strides=(2, 2), padding="SAME"), jax_crops(4, 3, strides=(2, 2), padding=((1, 1), (2, 2)))
    (((8, 8), ((0, 1), (0, 1))), ((7, 9), ((1, 1), (0, 0))))
    >>> jax_crops((4,), (3,), strides=(2,), padding="VALID")
    ((9,), ((0, 0),))
    """
    r = next((len(v) for v in (input_size, strides) if isinstance(v, (tuple, list, np.ndarray))), 2)
    n, k = ntuple("input_size", input_size, r), ntuple("kernel_size", kernel_size, r)
    s = _jax_ints("strides", strides, r)
    d = (1,) * r if rhs_dilation is None else _jax_ints("rhs_dilation", rhs_dilation, r)
    at_least("strides", s, 1, " (JAX: all dilations must be positive; strides dilate the input)")
    at_least("rhs_dilation", d, 1, " (JAX: all dilations must be positive)")
    if isinstance(padding, str):
        if padding not in ("SAME", "VALID"):
            raise ArgumentError(f"padding={padding!r}: JAX's conv_transpose takes 'SAME' or 'VALID' (upper case; "
                                f"'same' reaches conv_general_dilated, which refuses it) or (lo, hi) pairs")
        pads = []
        for i in range(r):
            k_eff = kernel_span(k[i], d[i])
            if padding == "SAME":
                total = k_eff + s[i] - 2
                lo = k_eff - 1 if s[i] > k_eff - 1 else ceil_div(total, 2)
            else:
                total = k_eff + s[i] - 2 + max(k_eff - s[i], 0)
                lo = k_eff - 1
            pads.append((lo, total - lo))
    else:
        pads = pad_pairs(padding, "(lo, hi)", r)
        for i in range(r):
            stretched = (n[i] - 1) * s[i] + 1
            if stretched + pads[i][0] + pads[i][1] < 0:
                raise ArgumentError(f"padding={padding!r}: axis {i}'s pads {pads[i]} crop more than the stretched "
                                    f"input's {stretched} pixels (JAX: \"Negative padding is larger than the size "
                                    f"of the corresponding dimension\")")
    full = full_size(n, k, stride=s, dilation=d, rank=r)
    crops, out = [], []
    for i in range(r):
        k_eff = kernel_span(k[i], d[i])
        top = k_eff - 1 - pads[i][0]
        size = max(0, full[i] - top - (k_eff - 1 - pads[i][1]))    # XLA: a window wider than the input gives 0
        crops.append((top, full[i] - top - size))
        out.append(size)
    return tuple(out), tuple(crops)


JAX_DEFAULT_DIMENSION_NUMBERS = ("NHWC", "HWIO", "NHWC")
#: lax.conv_transpose's defaults per rank: TensorFlow's convention, the spatial axes named H, W, D in that order
JAX_DEFAULT_DIMENSION_NUMBERS_BY_RANK = {1: ("NHC", "HIO", "NHC"), 2: JAX_DEFAULT_DIMENSION_NUMBERS,
                                         3: ("NHWDC", "HWDIO", "NHWDC")}


def jax_layout(dimension_numbers, rank=2):
    """Permutations that take JAX's (lhs, rhs, out) layouts to (N, C, S1, S2), (O, I, S1, S2), (N, C, S1, S2)
    (one spatial axis S per axis in any ``rank``).

    The spatial axes are ordered as in the rhs string (JAX's rule), and strides and padding follow that order.

    >>> jax_layout(None), jax_layout(("NCHW", "OIHW", "NCHW"))
    (((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2)), ((0, 1, 2, 3), (0, 1, 2, 3), (0, 1, 2, 3)))
    >>> jax_layout(None, 1)
    ((0, 2, 1), (2, 1, 0), (0, 2, 1))
    """
    default = JAX_DEFAULT_DIMENSION_NUMBERS_BY_RANK.get(rank, JAX_DEFAULT_DIMENSION_NUMBERS)
    dn = default if dimension_numbers is None else dimension_numbers
    if not isinstance(dn, (tuple, list)) or len(dn) != 3 or not all(isinstance(v, str) for v in dn):
        raise TypeError(f"dimension_numbers={dimension_numbers!r}: expected None or 3 strings such as "
                        f"{default} (lhs, rhs, out)")
    lhs, rhs, out = dn
    m = rank + 2
    for i, (spec, pair_) in enumerate(((lhs, "NC"), (rhs, "OI"), (out, "NC"))):
        if len(spec) != m or any(spec.count(c) != 1 for c in pair_) or len(set(spec)) != m:
            raise ArgumentError(f"dimension_numbers={dimension_numbers!r}: entry {i} ({spec!r}) must have {m} "
                                f"distinct letters with {pair_[0]!r} and {pair_[1]!r} exactly once (the arrays "
                                f"have {m} dims: {rank} spatial)")
    spatial = [c for c in rhs if c not in "OI"]
    for spec in (lhs, out):
        if sorted(c for c in spec if c not in "NC") != sorted(spatial):
            raise ArgumentError(f"dimension_numbers={dimension_numbers!r}: {spec!r} must name the same spatial "
                                f"axes as the rhs {rhs!r}")
    return (tuple(lhs.index(c) for c in ["N", "C"] + spatial), tuple(rhs.index(c) for c in ["O", "I"] + spatial),
            tuple(out.index(c) for c in ["N", "C"] + spatial))


def jax_conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                       transpose_kernel=False):
    """What ``jax.lax.conv_transpose`` computes, in 1-D, 2-D and 3-D (the rank of ``lhs``: r + 2 dims).

    lhs: (N, H, W, C_in) and rhs: (kH, kW, C_in, C_out) with the default dimension numbers
    ``("NHWC", "HWIO", "NHWC")`` (1-D: ``("NHC", "HIO", "NHC")``, 3-D: ``("NHWDC", "HWDIO", "NHWDC")``); strides:
    r ints; padding: 'SAME', 'VALID' or r (lo, hi) pairs, the padding of the stretched input (``jax_crops``). JAX
    correlates with the kernel as stored: equal to PyTorch's only with the kernel flipped.
    ``transpose_kernel=True`` flips it and swaps its I and O axes, so rhs is then (kH, kW, C_out, C_in) as in
    TensorFlow and Keras, unflipped.

    >>> import numpy as np
    >>> jax_conv_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 3, 2)), (2, 2), "SAME").shape
    (1, 8, 8, 2)
    >>> jax_conv_transpose(np.ones((1, 2, 3, 4, 2)), np.ones((2, 2, 2, 2, 5)), (2, 2, 2), "VALID").shape
    (1, 4, 6, 8, 5)
    """
    x, k = as_array("lhs", lhs, np), as_array("rhs", rhs, np)
    if x.ndim != k.ndim or x.ndim - 2 not in RANKS:
        raise ArgumentError(f"lhs, rhs: expected arrays of the same rank, 3, 4 or 5 dims (1, 2 or 3 spatial axes), "
                            f"got shapes {x.shape} and {k.shape}")
    rank = x.ndim - 2
    perms = jax_layout(dimension_numbers, rank)
    n_d("lhs", x, rank + 2, "")
    n_d("rhs", k, rank + 2, "")
    same_dtype("lax.conv_general_dilated", x, k)
    if not isinstance(transpose_kernel, (bool, np.bool_)):
        raise TypeError(f"transpose_kernel={transpose_kernel!r}: expected a bool")
    if isinstance(strides, (tuple, list, np.ndarray)) and len(strides) != rank:
        raise ArgumentError(f"strides={strides!r}: JAX needs one stride per spatial axis, {rank} here, got "
                            f"{len(strides)}")
    spatial = (slice(None), slice(None)) + (slice(None, None, -1),) * rank
    x4, k4 = x.transpose(perms[0]), k.transpose(perms[1])       # (N, C, *S), (O, I, *S)
    if transpose_kernel:                                         # JAX: flip the spatial axes, swap I and O
        k4 = np.swapaxes(k4[spatial], 0, 1)
    if k4.shape[1] != x4.shape[1]:
        swapped = " (transpose_kernel=True swapped it with 'O')" if transpose_kernel else ""
        raise ArgumentError(f"rhs: its input-feature dim 'I'{swapped} must equal lhs's features: JAX's "
                            f"conv_general_dilated: \"lhs feature dimension size divided by "
                            f"feature_group_count must equal the rhs input feature dimension size, but "
                            f"{x4.shape[1]} // 1 != {k4.shape[1]}\"")
    _, crops = jax_crops(x4.shape[2:], k4.shape[2:], strides=strides, padding=padding, rhs_dilation=rhs_dilation)
    w = np.swapaxes(k4, 0, 1)[spatial]                          # correlation with k = PyTorch's with k flipped
    d = (1,) * rank if rhs_dilation is None else ntuple("rhs_dilation", rhs_dilation, rank)
    y = compute(x4, w, None, stride=ntuple("strides", strides, rank), dilation=d, groups=1, crops=crops)
    return y.transpose(np.argsort(perms[2]))


class JAX(Framework):
    name, title = "jax", "JAX"
    params = ("strides", "padding", "rhs_dilation", "transpose_kernel")
    weight = "(kH, kW, C_in, C_out) 'HWIO', correlated as stored (unflipped)"
    layouts = {"JAX lax.conv_transpose": "(kH, kW, C_in, C_out)  'HWIO', correlated as stored (unflipped)",
               "JAX lax.conv_transpose(transpose_kernel=True)": "(kH, kW, C_out, C_in)  (TensorFlow's)"}
    layouts_nd = {"JAX lax.conv_transpose": ("(k, C_in, C_out) 'HIO'", "(kD, kH, kW, C_in, C_out) 'HWDIO'"),
                  "JAX lax.conv_transpose(transpose_kernel=True)": ("(k, C_out, C_in)", "(kD, kH, kW, C_out, C_in)")}
    has_bias = False
    flip_reason = "JAX correlates with the kernel as stored; the others scatter it"

    def flips(self, params):
        return not params.get("transpose_kernel")

    def layer_crops(self, layer, n, k):
        p, r = layer.params, len(k)
        if not isinstance(p.get("strides"), (tuple, list, np.ndarray)):
            _jax_ints("strides", p.get("strides"), r)
        s, d = ntuple("strides", p["strides"], r), ntuple("rhs_dilation", param(layer, "rhs_dilation", (1,) * r), r)
        out, crops = jax_crops(n, k, strides=s, padding=p["padding"], rhs_dilation=d)
        return LayerCrops(s, d, 1, crops, out)

    def weight_layout(self, layer):
        if layer.rank == 2:
            unflipped = self.layouts["JAX lax.conv_transpose(transpose_kernel=True)"]
            return self.weight if self.flips(layer.params) else unflipped
        rows = list(self.layouts_nd.values())
        return rows[0 if self.flips(layer.params) else 1][0 if layer.rank == 1 else 1]

    def weight_shape(self, layer):
        if self.flips(layer.params):
            return layer.kernel + (layer.in_channels, layer.out_channels)
        return super().weight_shape(layer)

    def to_torch(self, w, layer):
        if self.flips(layer.params):
            r = w.ndim - 2
            flip = (slice(None), slice(None)) + (slice(None, None, -1),) * r
            return w.transpose((r, r + 1) + tuple(range(r)))[flip], 1
        return super().to_torch(w, layer)

    def from_torch(self, wt, groups, layer):
        if self.flips(layer.params):
            r = wt.ndim - 2
            flipped = dense(wt, groups)[(slice(None), slice(None)) + (slice(None, None, -1),) * r]
            return np.ascontiguousarray(flipped.transpose(tuple(range(2, r + 2)) + (0, 1)))
        return super().from_torch(wt, groups, layer)

    def target(self, lc, n, k):
        s, d, crops, r = lc.stride, lc.dilation, tuple(lc.crops), len(k)
        pads = tuple((d[i] * (k[i] - 1) - crops[i][0], d[i] * (k[i] - 1) - crops[i][1]) for i in range(r))
        for mode in ("SAME", "VALID"):
            if jax_crops(n, k, strides=s, padding=mode, rhs_dilation=d)[1] == crops:
                pads = mode
        return Target({"strides": s, "padding": pads, "rhs_dilation": d, "transpose_kernel": False})

    def explorer_params(self, n, k, s, padding, op, d, g):
        named_padding_only(self, padding, g)
        if op:
            raise ArgumentError("output_padding: jax.lax.conv_transpose has none")
        return {"strides": (s, s), "padding": padding, "rhs_dilation": (d, d)}

    def run(self, layer, x, w, bias=None):
        p = layer.params
        y = jax_conv_transpose(np.asarray(x), w, p["strides"], p["padding"], p.get("rhs_dilation"),
                               transpose_kernel=p.get("transpose_kernel", False))
        return y if bias is None else y + np.asarray(bias, dtype=y.dtype)


FRAMEWORK = JAX()
