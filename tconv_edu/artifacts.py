"""Checkerboard artifacts, measured: how many kernel stamps cover each output pixel, and how uneven that is.

A transposed conv with kernel size ``k`` and stride ``s`` stamps a k-wide kernel every ``s`` pixels. Where
``k % s != 0`` some output pixels are covered by more stamps than their neighbours: a flat input comes out
striped (1-D) or checkered (2-D). The counts come from the library itself: the transposed conv of ones by ones.

The remedy beside the measures: resize-convolution (``upsample_nearest`` then a 'same' conv2d, ``resize_conv``)
gives every output pixel the same number of taps. (The other remedy, sub-pixel convolution, is in
``tconv_edu.subpixel``.)

>>> overlap_1d(4, 3, 2)
array([1, 1, 2, 1, 2, 1, 2, 1, 1])
>>> round(unevenness(overlap_1d(8, 3, 2), 2, margin=2), 3), unevenness(overlap_1d(8, 4, 2), 2, margin=3)
(0.667, 0.0)
>>> uniform(4, 2), uniform(3, 2)
(True, False)
"""
from __future__ import annotations

import numpy as np

from . import scatter, shapes
from .conv import conv2d

__all__ = ["overlap_1d", "overlap_2d", "unevenness", "uniform", "phase_means", "upsample_nearest", "resize_conv"]


def overlap_1d(n, k, stride):
    """Stamps covering each pixel of the full (uncropped) output of a 1-D transposed conv.

    n: input length, k: kernel size, stride: step between stamps. Returns an int array of length
    ``(n - 1) * stride + k``.
    """
    shapes.positive_int("n", n)
    shapes.positive_int("k", k)
    return overlap_2d((1, n), (1, k), (1, stride))[0]


def overlap_2d(n, k, stride):
    """Stamps covering each pixel of the full output of a 2-D transposed conv (ints or (h, w) pairs).

    Returns an int array of shape ``(n - 1) * stride + k`` per axis: the transposed conv of ones by ones.

    >>> overlap_2d(3, 3, 2)
    array([[1, 1, 2, 1, 2, 1, 1],
           [1, 1, 2, 1, 2, 1, 1],
           [2, 2, 4, 2, 4, 2, 2],
           [1, 1, 2, 1, 2, 1, 1],
           [2, 2, 4, 2, 4, 2, 2],
           [1, 1, 2, 1, 2, 1, 1],
           [1, 1, 2, 1, 2, 1, 1]])
    """
    n, k = shapes.pair("n", n, 1), shapes.pair("k", k, 1)
    y = scatter.conv_transpose2d(np.ones(n), np.ones(k), stride=stride)
    return np.rint(y).astype(int)


def uniform(k, stride) -> bool:
    """True when every interior output pixel gets the same number of stamps: ``k % stride == 0`` (each axis)."""
    k, s = shapes.pair("k", k, 1), shapes.pair("stride", stride, 1)
    return all(ki % si == 0 for ki, si in zip(k, s))


def phase_means(y, period, margin=0):
    """Mean of ``y`` over each phase ``(i % period, j % period)`` after cropping ``margin`` pixels at every border.

    y: (L,) or (H, W). Returns (period,) or (period, period). On the overlap counts the phase means are the counts
    themselves; on an upsampled image they average the content away and leave the periodic pattern.
    """
    y = shapes.as_array("y", y, np).astype(float)
    if y.ndim not in (1, 2):
        raise shapes.ArgumentError(f"y: expected a 1-D or 2-D array, got shape {y.shape}")
    period, margin = shapes.positive_int("period", period), shapes.int_at_least("margin", margin, 0)
    if min(y.shape) - 2 * margin < period:
        raise shapes.ArgumentError(f"margin={margin}: leaves fewer than period={period} pixels of y's {y.shape}")
    inner = y[tuple(slice(margin, n - margin) for n in y.shape)]
    # phases counted from the uncropped origin, so that phase 0 is the same pixels whatever the margin
    if y.ndim == 1:
        return np.array([inner[(p - margin) % period::period].mean() for p in range(period)])
    return np.array([[inner[(p - margin) % period::period, (q - margin) % period::period].mean()
                      for q in range(period)] for p in range(period)])


def unevenness(y, period, margin=0) -> float:
    """How uneven a periodic pattern is: ``(max - min) / mean`` of the phase means (0 = perfectly even).

    y: overlap counts or an upsampled image, (L,) or (H, W); period: the stride; margin: border pixels left out
    (the edges get fewer stamps for a reason unrelated to checkerboards; ``k - 1`` removes them from the counts).
    """
    m = phase_means(y, period, margin)
    mean = m.mean()
    if mean == 0:
        raise shapes.ArgumentError("y: its mean is 0, so a relative unevenness is undefined")
    return float((m.max() - m.min()) / abs(mean))


# ------------------------------------------------------------------------------------- resize, then convolve

def upsample_nearest(x, scale):
    """Nearest-neighbour upsampling: repeat every pixel ``scale`` times along H and W. x (..., H, W) -> (..., H*s, W*s).

    >>> upsample_nearest(np.array([[1, 2], [3, 4]]), 2)
    array([[1, 1, 2, 2],
           [1, 1, 2, 2],
           [3, 3, 4, 4],
           [3, 3, 4, 4]])
    """
    x = shapes.image_array("x", x)
    sh, sw = shapes.pair("scale", scale, 1)
    return np.repeat(np.repeat(x, sh, axis=-2), sw, axis=-1)


def resize_conv(x, weight, scale, bias=None, *, groups=1):
    """Resize-convolution (Odena et al. 2016): nearest-neighbour upsampling by ``scale``, then a 'same' conv2d.

    x: (N, C_in, H, W), (C_in, H, W) or (H, W); weight: a conv2d weight (C_out, C_in/groups, kH, kW) (or (kH, kW));
    bias: (C_out,). Returns (..., C_out, H*scale, W*scale): the input is zero-padded by ``k - 1`` per axis, the odd
    pixel (even k) at the bottom/right as TensorFlow's 'SAME'. Every output pixel sees the same number of kernel
    taps, so a flat input stays flat away from the border: no checkerboard, whatever k and scale.

    >>> resize_conv(np.ones((4, 4)), np.ones((3, 3)) / 9, 2)[2:6, 2:6]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """
    w = shapes.as_array("weight", weight, np)
    if w.ndim not in (2, 4):
        raise shapes.ArgumentError(f"weight: expected a conv2d weight (C_out, C_in/groups, kH, kW) or (kH, kW), "
                                   f"got shape {w.shape}")
    up = upsample_nearest(x, scale)
    kh, kw = w.shape[-2:]
    pads = (((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2))
    width = [(0, 0)] * (up.ndim - 2) + [pads[0], pads[1]]
    return conv2d(np.pad(up, width), w, bias, groups=groups)
