"""Sub-pixel view: a stride-r transposed conv is a conv2d with r*r kernels per output channel, then ``pixel_shuffle``.

Output pixel ``o = r*t + phi`` of a stride-r transposed conv only ever meets the kernel taps ``a = r*m + phase``
for one phase: each of the r*r output phases is an ordinary stride-1 correlation of the input with its own small
kernel (every r-th tap of the 180-degree-flipped kernel). Compute those r*r maps as channels with one conv2d, then
interleave them into the r-times larger image with ``pixel_shuffle``. Nothing is approximated: same sums, same size.

- ``pixel_shuffle`` / ``pixel_unshuffle``: (N, C*r*r, H, W) <-> (N, C, H*r, W*r), PyTorch's channel order.
- ``subpixel_weight`` and ``subpixel_padding``: the conv2d weight and input padding for a transposed-conv weight.
- ``conv_transpose2d``: the full contract (same signature and results as the other forms), computed this way;
  ``conv_transpose1d`` and ``conv_transpose3d`` the same with phases per axis (r phases in 1-D, r_d*r_h*r_w in 3-D).
- ``macs``: the multiply-adds of the scatter, zero-insertion and sub-pixel views of one layer.

Resize-convolution (``upsample_nearest``, ``resize_conv``), the other checkerboard remedy, lives with the
checkerboard measures in ``tconv_edu.artifacts``.

>>> import numpy as np
>>> from tconv_edu import conv2d, scatter
>>> x, w = np.arange(12.).reshape(1, 1, 3, 4), np.arange(16.).reshape(1, 1, 4, 4)
>>> w_sub = subpixel_weight(w, 2, padding=1)           # k=4, s=2, p=1: four 3x3 kernels
>>> w_sub.shape, subpixel_padding(3, 4, 2, padding=1)
((4, 1, 3, 3), ((1, 1), (1, 1)))
>>> y = pixel_shuffle(conv2d(x, w_sub, padding=1), 2)
>>> np.array_equal(y, scatter.conv_transpose2d(x, w, stride=2, padding=1))
True
"""
from __future__ import annotations

import numpy as np

from . import shapes
from .conv import _conv2d

__all__ = ["pixel_shuffle", "pixel_unshuffle", "subpixel_weight", "subpixel_padding", "conv_transpose1d",
           "conv_transpose2d", "conv_transpose3d", "macs", "transpose"]


# ------------------------------------------------------------------------------------------------ pixel shuffle

def _array(name, x):
    x = shapes.as_array(name, x, np)
    if x.ndim < 3:
        raise shapes.ArgumentError(f"{name}: expected (..., C, H, W) with at least 3 dimensions, got shape {x.shape}")
    return x


def _shuffle(x, rh, rw):
    """(..., C*rh*rw, H, W) -> (..., C, H*rh, W*rw); out[c, h*rh + i, w*rw + j] = x[c*rh*rw + i*rw + j, h, w]."""
    *lead, c, h, w = x.shape
    c_out = c // (rh * rw)
    y = x.reshape(*lead, c_out, rh, rw, h, w)
    n = len(lead)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)      # (..., C, H, rh, W, rw)
    return y.reshape(*lead, c_out, h * rh, w * rw)


def pixel_shuffle(x, upscale_factor):
    """Rearrange (..., C*r*r, H, W) into (..., C, H*r, W*r) (PyTorch's ``pixel_shuffle``).

    ``out[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w]``: channel ``c*r*r + i*r + j`` becomes the
    sub-pixel (i, j) of every r x r block.

    >>> pixel_shuffle(np.arange(8).reshape(1, 8, 1, 1), 2)[0]
    array([[[0, 1],
            [2, 3]],
    <BLANKLINE>
           [[4, 5],
            [6, 7]]])
    """
    x = _array("x", x)
    r = shapes.positive_int("upscale_factor", upscale_factor)
    if x.shape[-3] % (r * r):
        raise shapes.ArgumentError(f"upscale_factor={r}: the channels of x ({x.shape[-3]}, shape {x.shape}) "
                                   f"must be divisible by upscale_factor**2 = {r * r}")
    return _shuffle(x, r, r)


def pixel_unshuffle(x, downscale_factor):
    """Inverse of ``pixel_shuffle``: (..., C, H*r, W*r) -> (..., C*r*r, H, W) (PyTorch's ``pixel_unshuffle``).

    >>> x = np.arange(32).reshape(2, 1, 4, 4)
    >>> pixel_unshuffle(x, 2).shape, np.array_equal(pixel_shuffle(pixel_unshuffle(x, 2), 2), x)
    ((2, 4, 2, 2), True)
    """
    x = _array("x", x)
    r = shapes.positive_int("downscale_factor", downscale_factor)
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise shapes.ArgumentError(f"downscale_factor={r}: the height and width of x ({h}, {w}, shape {x.shape}) "
                                   f"must both be divisible by {r}")
    n = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r).transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


# -------------------------------------------------------------------------------------- the sub-pixel kernels

def _plan(k, s, p, d):
    """One axis: for each output phase, the tap of the (undilated-index) kernel each window position reads.

    Output row ``o = s*t + q`` reads full-output row ``o + p = s*(t + c_q) + phi_q`` (phi_q = (q + p) % s,
    c_q = (q + p) // s), which is ``sum_m x[t + c_q - m] * K[s*m + phi_q]`` over the dilated kernel K of size
    ``d*(k - 1) + 1``. With a window of L inputs starting ``top`` rows above t, window position j meets
    ``m = c_q - j + top``; window positions no phase uses are trimmed. Returns (taps (s, L) ints, -1 where no tap,
    top, L).
    """
    k_eff = shapes.kernel_span(k, d)
    n_taps = shapes.ceil_div(k_eff, s)                       # M: taps per phase
    c = [(q + p) // s for q in range(s)]
    top = n_taps - 1 - min(c)
    length = n_taps + max(c) - min(c)
    taps = np.full((s, length), -1)
    for q in range(s):
        for j in range(length):
            a = s * (c[q] - j + top) + (q + p) % s           # tap of the dilated kernel
            if 0 <= a < k_eff and a % d == 0:
                taps[q, j] = a // d
    used = np.flatnonzero((taps >= 0).any(axis=0))        # e.g. k=3, s=2, p=1: 2 positions, not 3
    first, last = int(used[0]), int(used[-1])
    return taps[:, first:last + 1], top - first, last - first + 1


def _shuffle_nd(x, s):
    """(N, C*prod(s), *q) -> (N, C, *(q_i * s_i)): phase (p_1, ..., p_r) of channel c (channel index c*prod(s) + the
    phase in row-major order) becomes output index q_i*s_i + p_i on every axis (``_shuffle`` in any rank)."""
    n, c, *q = x.shape
    r = len(q)
    y = x.reshape((n, c // int(np.prod(s))) + tuple(s) + tuple(q))
    order = (0, 1) + tuple(a for i in range(r) for a in (2 + r + i, 2 + i))     # (N, C, q_1, s_1, q_2, s_2, ...)
    return y.transpose(order).reshape((n, c // int(np.prod(s))) + tuple(qi * si for qi, si in zip(q, s)))


def _subpixel_weight(w, s, p, d, groups):
    """``subpixel_weight`` on a checked canonical weight (C_in, C_out/groups, *k) of any rank and tuples s, p, d:
    (C_out * prod(s), C_in/groups, *L), the phases in row-major order after the output channel."""
    c_in, cg_out, *k = w.shape
    r, g = len(k), groups
    plans = [_plan(k[i], s[i], p[i], d[i]) for i in range(r)]
    # (g, cg_out, cg_in, *(k+1)): channels swapped, one zero entry per axis for "no tap" (index -1)
    wz = np.zeros((g, cg_out, c_in // g) + tuple(ki + 1 for ki in k), dtype=shapes.compute_dtype(w))
    wz[(slice(None),) * 3 + tuple(slice(0, ki) for ki in k)] = \
        w.reshape((g, c_in // g, cg_out) + tuple(k)).transpose((0, 2, 1) + tuple(range(3, 3 + r)))
    index = []
    for i, (taps, _, _) in enumerate(plans):               # axis i's taps as a (..., s_i, ..., L_i, ...) index
        shape = [1] * (2 * r)
        shape[i], shape[r + i] = taps.shape
        index.append(taps.reshape(shape))
    sub = wz[(slice(None),) * 3 + tuple(index)]            # (g, cg_out, cg_in, *s, *L)
    sub = sub.transpose((0, 1) + tuple(range(3, 3 + r)) + (2,) + tuple(range(3 + r, 3 + 2 * r)))
    return np.ascontiguousarray(sub.reshape((g * cg_out * int(np.prod(s)), c_in // g) + tuple(t[2] for t in plans)))


def subpixel_weight(weight, stride, padding=0, dilation=1, groups=1):
    """The conv2d weight whose r*r output channels per transposed-conv output channel are the sub-pixel kernels.

    weight: transposed-conv weight (C_in, C_out/groups, kH, kW) (or (kH, kW)). Returns the conv2d weight
    (C_out*rh*rw, C_in/groups, Lh, Lw) (or (rh*rw, 1, Lh, Lw) for a 2-D kernel) with ``L = ceil((d(k-1) + 1) / r)``
    or one more (when ``padding`` puts the phases at two different offsets, as for k=4, s=2, p=1, where L = 3).
    Channel ``o*rh*rw + i*rw + j`` holds the kernel of output phase (i, j) of channel o, the order
    ``pixel_shuffle`` expects; its taps are every r-th tap of the 180-degree-rotated kernel, channels swapped.
    ``pixel_shuffle(conv2d(x_padded, w_sub, groups=groups), r)`` then equals the transposed conv (see
    ``subpixel_padding`` for ``x_padded``).

    >>> subpixel_weight(np.arange(1, 5.).reshape(2, 2), 2)[:, 0]      # k = s: each phase is one tap
    array([[[1.]],
    <BLANKLINE>
           [[2.]],
    <BLANKLINE>
           [[3.]],
    <BLANKLINE>
           [[4.]]])
    """
    w = shapes.as_array("weight", weight, np)
    if w.ndim not in (2, 4):
        raise shapes.ArgumentError(f"weight: expected (C_in, C_out/groups, kH, kW) or (kH, kW), got shape {w.shape}")
    w4 = w.reshape((1, 1) + w.shape) if w.ndim == 2 else w
    s, p, _, d = shapes.transpose_params(stride, padding, 0, dilation)
    c_in = w4.shape[0]
    g = shapes.check_groups(groups, {"the weight's C_in": c_in})
    if min(w4.shape[2:]) < 1:
        raise shapes.ArgumentError(f"weight: kernel size must be >= 1, got shape {w.shape}")
    return _subpixel_weight(w4, s, p, d, g)


def subpixel_padding(in_size, kernel_size, stride, *, padding=0, output_padding=0, dilation=1):
    """How to pad (negative: crop) the input before the sub-pixel conv2d: ``((top, bottom), (left, right))``.

    The conv2d then gives ``ceil(out / r)`` rows per phase, and ``pixel_shuffle`` ``r * ceil(out / r)`` rows, of
    which the first ``out`` (the transposed conv's output size) are kept. For k=4, s=2, p=1 this is ``((1, 1), (1, 1))``
    and nothing is cropped: a 3x3 conv with padding 1 and ``pixel_shuffle``.
    """
    n, k = shapes.pair("in_size", in_size), shapes.pair("kernel_size", kernel_size)
    s, p, d = shapes.pair("stride", stride), shapes.pair("padding", padding), shapes.pair("dilation", dilation)
    out = shapes.output_size(n, k, stride=s, padding=p, output_padding=output_padding, dilation=d)
    return _pads(n, k, s, p, d, out)


def _pads(n, k, s, p, d, out):
    pads = []
    for i in range(len(n)):
        _, top, length = _plan(k[i], s[i], p[i], d[i])
        rows = shapes.ceil_div(out[i], s[i])                 # conv2d rows
        pads.append((top, rows + length - 1 - n[i] - top))
    return tuple(pads)


def conv_transpose2d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution, sub-pixel form: one conv2d with r*r kernels per output channel, then pixel_shuffle.

    Same signature, shapes and results as ``tconv_edu.scatter.conv_transpose2d``: x (N, C_in, H, W), (C_in, H, W)
    or (H, W); weight (C_in, C_out/groups, kH, kW) (or (kH, kW)); bias (C_out,).

    >>> conv_transpose2d(np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]]))
    array([[0., 1., 2.],
           [1., 5., 4.],
           [3., 4., 0.]])
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups)
    return spec.finish(transpose(spec))


def _pad_or_crop(x, pads):
    """Zero-pad (positive) or crop (negative) the last axes by ((top, bottom), (left, right)), one pair per axis."""
    r = len(pads)
    size = x.shape[x.ndim - r:]
    out = np.zeros(x.shape[:x.ndim - r] + tuple(n + a + b for n, (a, b) in zip(size, pads)), dtype=x.dtype)
    src = x[(Ellipsis,) + tuple(slice(max(0, -a), n - max(0, -b)) for n, (a, b) in zip(size, pads))]
    if src.size:
        where = tuple(slice(max(0, a), max(0, a) + m) for (a, _), m in zip(pads, src.shape[x.ndim - r:]))
        out[(Ellipsis,) + where] = src
    return out


def transpose(spec: shapes.TransposeSpec):
    """Compute a checked spec of any rank: pad or crop x, conv with the sub-pixel weight, shuffle, keep the first
    out rows (phases per axis)."""
    s, p, d, out = spec.stride, spec.offset, spec.dilation, spec.out_size
    r = spec.rank
    pads = _pads(spec.x.shape[2:], spec.weight.shape[2:], s, p, d, out)
    w_sub = _subpixel_weight(spec.weight, s, p, d, spec.groups)
    xpad = _pad_or_crop(spec.x, pads)
    grid = tuple(shapes.ceil_div(out[i], s[i]) for i in range(r))
    conv = shapes.ConvSpec(x=xpad, weight=w_sub.astype(spec.dtype, copy=False), bias=None, stride=(1,) * r,
                           padding=(0,) * r, dilation=(1,) * r, groups=spec.groups, out_size=grid, input_ndim=r + 2)
    y = _shuffle_nd(_conv2d(conv), s)[(slice(None),) * 2 + tuple(slice(0, o) for o in out)]
    if spec.bias is not None:
        y = y + spec.bias.reshape((1, -1) + (1,) * r)
    return y


def conv_transpose1d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """1-D transposed convolution, sub-pixel form: one conv1d with r kernels per output channel, then the r phases
    interleaved. Same signature, shapes and results as ``tconv_edu.scatter.conv_transpose1d``.

    >>> conv_transpose1d(np.array([1, 2, 3]), np.array([1, 1, 1]), stride=2)
    array([1., 1., 3., 2., 5., 3., 3.])
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=1)
    return spec.finish(transpose(spec))


def conv_transpose3d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """3-D transposed convolution, sub-pixel form: phases per axis (r_d * r_h * r_w kernels per output channel),
    one conv3d, then the phases interleaved. Same signature, shapes and results as
    ``tconv_edu.scatter.conv_transpose3d``."""
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=3)
    return spec.finish(transpose(spec))


def macs(x_shape, weight_shape, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1) -> dict:
    """Multiply-adds of one transposed conv computed by each view: ``{"scatter", "zero insertion", "sub-pixel"}``.

    x_shape: (N, C_in, H, W); weight_shape: (C_in, C_out/groups, kH, kW). Per output channel and input channel of a
    group: scatter does H*W*kH*kW (every input pixel, every tap: nothing wasted); zero insertion convolves the
    stretched image, Ho*Wo*kH*kW, about s*s times more (most products are with inserted zeros); sub-pixel does
    r*r kernels of Lh x Lw taps on ceil(Ho/r) x ceil(Wo/r) positions (``subpixel_weight``'s size: when k is a
    multiple of r and the phases line up, only the border positions multiply padding; otherwise some taps are 0).

    >>> macs((1, 1, 16, 16), (1, 1, 4, 4), stride=2, padding=1)
    {'scatter': 4096, 'zero insertion': 16384, 'sub-pixel': 9216}
    """
    n, c_in, h, w = shapes.sizes("x_shape", x_shape, (4,), "4 sizes (N, C_in, H, W)")
    c_in_w, cg_out, kh, kw = shapes.sizes("weight_shape", weight_shape, (4,), "4 sizes (C_in, C_out/groups, kH, kW)")
    if c_in_w != c_in:
        raise shapes.ArgumentError(f"weight_shape={tuple(weight_shape)}: dim 0 must equal x_shape's C_in={c_in}")
    g = shapes.check_groups(groups, {"x_shape's C_in": c_in})
    s, p, d = shapes.pair("stride", stride), shapes.pair("padding", padding), shapes.pair("dilation", dilation)
    ho, wo = shapes.output_size((h, w), (kh, kw), stride=s, padding=p, output_padding=output_padding, dilation=d)
    pairs = n * (c_in // g) * cg_out * g                  # (input channel, output channel) pairs that interact
    lh, lw = _plan(kh, s[0], p[0], d[0])[2], _plan(kw, s[1], p[1], d[1])[2]
    return {"scatter": pairs * h * w * kh * kw,
            "zero insertion": pairs * ho * wo * kh * kw,
            "sub-pixel": pairs * s[0] * s[1] * lh * lw * shapes.ceil_div(ho, s[0]) * shapes.ceil_div(wo, s[1])}
