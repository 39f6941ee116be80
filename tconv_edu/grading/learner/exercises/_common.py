"""What the exercise modules share: how many random cases, and the makers of their arrays and sizes."""
from __future__ import annotations

import numpy as np

import tconv_edu as te

N_RANDOM = 8   # randomized cases per exercise, fresh each call


def random_values(rng, shape):
    """Readable random values: halves from -3 to 3, never all zero."""
    while True:
        v = rng.integers(-6, 7, size=shape) / 2.0
        if np.any(v):
            return v


def floats(rows):
    """A float array from nested lists (a fixed case's numbers)."""
    return np.array(rows, dtype=float)


def flip(k):
    """The kernel rotated by 180 degrees (its last two axes reversed)."""
    return k[..., ::-1, ::-1].copy()


def fits(hw, k, stride, padding) -> bool:
    """Whether the library accepts these sizes (``padding`` leaves at least one output pixel)."""
    try:
        te.output_size(hw, k, stride=stride, padding=padding)
    except te.ArgumentError:
        return False
    return True


def or_none(f):
    """A mistake's result from the case's arguments, or None where that mistaken computation is not even defined for
    the case (the library refuses its parameters)."""
    def safe(case):
        try:
            return f(**case.args)
        except ValueError:
            return None
    return safe
