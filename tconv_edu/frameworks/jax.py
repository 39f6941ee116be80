"""``jax.lax.conv_transpose`` (2-D): its padding rule, its layouts, and what it computes.

JAX stretches the input by the strides, pads it and correlates with the kernel as stored: equal to PyTorch's only
with the kernel flipped (or ``transpose_kernel=True``). It has no groups and no bias.

>>> import numpy as np
>>> jax_conv_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 3, 2)), (2, 2), "SAME").shape
(1, 8, 8, 2)
"""
from __future__ import annotations

import numbers

import numpy as np

from ..shapes import ArgumentError, as_array, at_least, ceil_div, full_size, kernel_span, pair
from ._base import (Framework, LayerCrops, Target, compute, dense, four_d, named_padding_only, pad_pairs, param,
                    same_dtype)

__all__ = ["jax_crops", "jax_layout", "jax_conv_transpose", "JAX_DEFAULT_DIMENSION_NUMBERS", "JAX", "FRAMEWORK"]


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
    max(k_eff - s, 0)). Pads that crop more than everything give an empty axis, as in JAX.

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
            k_eff = kernel_span(k[i], d[i])
            if padding == "SAME":
                total = k_eff + s[i] - 2
                lo = k_eff - 1 if s[i] > k_eff - 1 else ceil_div(total, 2)
            else:
                total = k_eff + s[i] - 2 + max(k_eff - s[i], 0)
                lo = k_eff - 1
            pads.append((lo, total - lo))
    else:
        pads = pad_pairs(padding, "(lo, hi)")
    full = full_size(n, k, stride=s, dilation=d)
    crops, out = [], []
    for i in range(2):
        k_eff = kernel_span(k[i], d[i])
        top = k_eff - 1 - pads[i][0]
        size = max(0, full[i] - top - (k_eff - 1 - pads[i][1]))    # XLA: a window wider than the input gives 0
        crops.append((top, full[i] - top - size))
        out.append(size)
    return tuple(out), tuple(crops)


JAX_DEFAULT_DIMENSION_NUMBERS = ("NHWC", "HWIO", "NHWC")


def jax_layout(dimension_numbers):
    """Permutations that take JAX's (lhs, rhs, out) layouts to (N, C, S1, S2), (O, I, S1, S2), (N, C, S1, S2).

    The spatial axes are ordered as in the rhs string (JAX's rule), and strides and padding follow that order.

    >>> jax_layout(None), jax_layout(("NCHW", "OIHW", "NCHW"))
    (((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2)), ((0, 1, 2, 3), (0, 1, 2, 3), (0, 1, 2, 3)))
    """
    dn = JAX_DEFAULT_DIMENSION_NUMBERS if dimension_numbers is None else dimension_numbers
    if not isinstance(dn, (tuple, list)) or len(dn) != 3 or not all(isinstance(v, str) for v in dn):
        raise TypeError(f"dimension_numbers={dimension_numbers!r}: expected None or 3 strings such as "
                        f"{JAX_DEFAULT_DIMENSION_NUMBERS} (lhs, rhs, out)")
    lhs, rhs, out = dn
    for i, (spec, pair_) in enumerate(((lhs, "NC"), (rhs, "OI"), (out, "NC"))):
        if len(spec) != 4 or any(spec.count(c) != 1 for c in pair_) or len(set(spec)) != 4:
            raise ArgumentError(f"dimension_numbers={dimension_numbers!r}: entry {i} ({spec!r}) must have 4 "
                                f"distinct letters with {pair_[0]!r} and {pair_[1]!r} exactly once (2-D only)")
    spatial = [c for c in rhs if c not in "OI"]
    for spec in (lhs, out):
        if sorted(c for c in spec if c not in "NC") != sorted(spatial):
            raise ArgumentError(f"dimension_numbers={dimension_numbers!r}: {spec!r} must name the same spatial "
                                f"axes as the rhs {rhs!r}")
    return (tuple(lhs.index(c) for c in ["N", "C"] + spatial), tuple(rhs.index(c) for c in ["O", "I"] + spatial),
            tuple(out.index(c) for c in ["N", "C"] + spatial))


def jax_conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                       transpose_kernel=False):
    """What ``jax.lax.conv_transpose`` computes, for 2-D.

    lhs: (N, H, W, C_in) and rhs: (kH, kW, C_in, C_out) with the default dimension numbers
    ``("NHWC", "HWIO", "NHWC")``; strides: 2 ints; padding: 'SAME', 'VALID' or 2 (lo, hi) pairs, the padding of
    the stretched input (``jax_crops``). JAX correlates with the kernel as stored: equal to PyTorch's only
    with the kernel flipped. ``transpose_kernel=True`` flips it and swaps its I and O axes, so rhs is then
    (kH, kW, C_out, C_in) as in TensorFlow and Keras, unflipped.

    >>> import numpy as np
    >>> jax_conv_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 3, 2)), (2, 2), "SAME").shape
    (1, 8, 8, 2)
    """
    x, k = as_array("lhs", lhs, np), as_array("rhs", rhs, np)
    perms = jax_layout(dimension_numbers)
    if x.ndim != 4 or k.ndim != 4:
        raise ArgumentError(f"lhs, rhs: this function covers 2-D convolutions, both 4-D, got shapes {x.shape} "
                            f"and {k.shape}")
    four_d("lhs", x, "")
    four_d("rhs", k, "")
    same_dtype("lax.conv_general_dilated", x, k)
    if not isinstance(transpose_kernel, (bool, np.bool_)):
        raise TypeError(f"transpose_kernel={transpose_kernel!r}: expected a bool")
    x4, k4 = x.transpose(perms[0]), k.transpose(perms[1])       # (N, C, S1, S2), (O, I, S1, S2)
    if transpose_kernel:                                         # JAX: flip the spatial axes, swap I and O
        k4 = k4[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    if k4.shape[1] != x4.shape[1]:
        swapped = " (transpose_kernel=True swapped it with 'O')" if transpose_kernel else ""
        raise ArgumentError(f"rhs: its input-feature dim 'I'{swapped} must equal lhs's features: JAX's "
                            f"conv_general_dilated: \"lhs feature dimension size divided by "
                            f"feature_group_count must equal the rhs input feature dimension size, but "
                            f"{x4.shape[1]} // 1 != {k4.shape[1]}\"")
    _, crops = jax_crops(x4.shape[2:], k4.shape[2:], strides=strides, padding=padding, rhs_dilation=rhs_dilation)
    w = k4.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]              # correlation with k = PyTorch's with k flipped
    d = (1, 1) if rhs_dilation is None else pair("rhs_dilation", rhs_dilation)
    y = compute(x4, w, None, stride=pair("strides", strides), dilation=d, groups=1, crops=crops)
    return y.transpose(np.argsort(perms[2]))


class JAX(Framework):
    name, title = "jax", "JAX"
    params = ("strides", "padding", "rhs_dilation", "transpose_kernel")
    weight = "(kH, kW, C_in, C_out) 'HWIO', correlated as stored (unflipped)"
    layouts = {"JAX lax.conv_transpose": "(kH, kW, C_in, C_out)  'HWIO', correlated as stored (unflipped)",
               "JAX lax.conv_transpose(transpose_kernel=True)": "(kH, kW, C_out, C_in)  (TensorFlow's)"}
    has_bias = False
    flip_reason = "JAX correlates with the kernel as stored; the others scatter it"

    def flips(self, params):
        return not params.get("transpose_kernel")

    def layer_crops(self, layer, n, k):
        p = layer.params
        s, d = pair("strides", p["strides"]), pair("rhs_dilation", param(layer, "rhs_dilation", (1, 1)))
        out, crops = jax_crops(n, k, strides=p["strides"], padding=p["padding"], rhs_dilation=p.get("rhs_dilation"))
        return LayerCrops(s, d, 1, crops, out)

    def weight_shape(self, layer):
        kh, kw = pair("kernel_size", layer.kernel_size)
        if self.flips(layer.params):
            return (kh, kw, layer.in_channels, layer.out_channels)
        return super().weight_shape(layer)

    def to_torch(self, w, layer):
        if self.flips(layer.params):
            return w.transpose(2, 3, 0, 1)[:, :, ::-1, ::-1], 1
        return super().to_torch(w, layer)

    def from_torch(self, wt, groups, layer):
        if self.flips(layer.params):
            return np.ascontiguousarray(dense(wt, groups)[:, :, ::-1, ::-1].transpose(2, 3, 0, 1))
        return super().from_torch(wt, groups, layer)

    def target(self, lc, n, k):
        s, d, crops = lc.stride, lc.dilation, tuple(lc.crops)
        pads = tuple((d[i] * (k[i] - 1) - crops[i][0], d[i] * (k[i] - 1) - crops[i][1]) for i in range(2))
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
