"""Checkerboard artifacts, measured: how many kernel stamps cover each output pixel, and how uneven that is.

A transposed conv with kernel size ``k`` and stride ``s`` stamps a k-wide kernel every ``s`` pixels. Where
``k % s != 0`` some output pixels are covered by more stamps than their neighbours: a flat input comes out
striped (1-D) or checkered (2-D). The counts come from the library itself: the transposed conv of ones by ones.

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

__all__ = ["overlap_1d", "overlap_2d", "unevenness", "uniform", "phase_means"]


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
