"""The exercises of ``ex3_matrix_and_views.ipynb``: the matrix of conv2d, and the zero-insertion view."""
from __future__ import annotations

import numpy as np

import tconv_edu as te
from tconv_edu import matrix

from .._cases import Case, Exercise, Mistake
from ._common import N_RANDOM, fits, flip, floats, random_values

__all__ = ["CONV_MATRIX", "ZERO_INSERTION"]


# ---------------------------------------------------------------------------------------------- 4. conv_matrix

def _matrix_cases(rng):
    cases = [
        Case("conv_matrix", {"input_shape": (3, 3), "k": floats([[1, 2], [3, 4]]), "stride": 1}),
        Case("conv_matrix", {"input_shape": (4, 4), "k": floats([[1, 0, -1], [2, 1, 0], [0.5, 1, 3]]), "stride": 2}),
        Case("conv_matrix", {"input_shape": (2, 4), "k": floats([[1, -1, 2]]), "stride": 1}),
    ]
    while len(cases) < 3 + N_RANDOM:
        h, w = (int(v) for v in rng.integers(2, 6, size=2))
        kh, kw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        cases.append(Case("conv_matrix", {"input_shape": (h, w), "k": random_values(rng, (kh, kw)),
                                          "stride": int(rng.integers(1, 4))}, random=True))
    return cases


def _conv_columns(op, input_shape, k, stride):
    """Dense matrix of a linear map on (H, W) images, one column per input pixel (the map of a unit image).

    For the mistake of building the transposed convolution's own matrix (the library's C is conv2d's)."""
    h, w = input_shape
    cols = []
    for j in range(h * w):
        e = np.zeros(h * w)
        e[j] = 1.0
        cols.append(op(e.reshape(h, w), k, stride=stride).ravel())
    return np.stack(cols, axis=1)


def _conv_matrix(input_shape, k, stride):
    return matrix.conv_matrix(input_shape, k, stride=stride, dense=True)


def _transposed(c, got, exp):
    """The matrix of the transposed convolution (C.T, one row per input pixel) instead of conv2d's C."""
    return any(np.shape(got) == m.shape and np.allclose(got, m) for m in (
        exp.T, _conv_columns(te.conv_transpose2d, **c.args)))


def _flipped(c):
    """The kernel rotated by 180 degrees, as in a true convolution; conv2d correlates."""
    return _conv_matrix(c.args["input_shape"], flip(c.args["k"]), c.args["stride"])


CONV_MATRIX = Exercise(
    id="conv_matrix", points=3,
    signature="conv_matrix(input_shape, k, stride) -> (H_out * W_out, H * W) array",
    statement="The dense matrix C of conv2d on one (H, W) channel: C @ x.ravel() is conv2d, C.T @ y.ravel() the "
              "transposed convolution.",
    functions={"conv_matrix": "matrix"},
    cases=_matrix_cases,
    reference=lambda c: _conv_matrix(**c.args),
    mistakes=(
        Mistake("transposed", "you built the matrix of the transposed convolution: the exercise asks for C, the "
                "matrix of conv2d, with one row per output pixel of the convolution (H_out * W_out rows) and one "
                "column per input pixel (H * W columns); its transpose C.T is the transposed convolution.",
                matches=_transposed),
        Mistake("flipped", "your matrix holds the kernel rotated by 180 degrees: conv2d (as in PyTorch) is a "
                "cross-correlation, y[i, j] = sum of x[i*s + a, j*s + b] * k[a, b], with the kernel as it is.",
                result=_flipped),
    ),
)


# ------------------------------------------------------------------------------------------- 5. zero_insertion

def _zero_cases(rng):
    cases = [
        Case("zero_insertion", {"x": floats([[1, 2], [3, 4]]), "k": floats([[1, 2], [3, 4]]), "stride": 1,
                                "padding": 0}),
        Case("zero_insertion", {"x": floats([[1, 2], [3, 4]]), "k": floats([[1, 0, 2], [0, 1, 0], [1, 1, -1]]),
                                "stride": 2, "padding": 1}),
        Case("zero_insertion", {"x": floats([[1, -1, 2]]), "k": floats([[2, 1], [0, -1]]), "stride": 3, "padding": 0}),
    ]
    while len(cases) < 3 + N_RANDOM:
        h, w, kh, kw = (int(v) for v in rng.integers(1, 5, size=4))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, min(kh, kw)))
        if fits((h, w), (kh, kw), s, p):
            cases.append(Case("zero_insertion", {"x": random_values(rng, (h, w)), "k": random_values(rng, (kh, kw)),
                                                 "stride": s, "padding": p}, random=True))
    return cases


def _no_flip(c):
    """The stretched input correlated with the kernel as it is, not rotated by 180 degrees."""
    return te.conv_transpose2d(c.args["x"], flip(c.args["k"]), stride=c.args["stride"], padding=c.args["padding"])


def _stride_zeros(c):
    """`stride` zeros between neighbouring pixels instead of stride - 1."""
    return te.conv_transpose2d(c.args["x"], c.args["k"], stride=c.args["stride"] + 1, padding=c.args["padding"])


def _pad_k_minus_1(c):
    """Padding by k - 1 whatever the padding: the full, uncropped output (None where the padding is 0)."""
    return None if c.args["padding"] == 0 else te.conv_transpose2d(c.args["x"], c.args["k"], stride=c.args["stride"])


ZERO_INSERTION = Exercise(
    id="zero_insertion", points=3,
    signature="zero_insertion(x, k, stride, padding) -> same as scatter_strided",
    statement="The transposed convolution as an ordinary one: insert stride - 1 zeros, pad by k - 1 - padding, "
              "correlate with the kernel rotated by 180 degrees (0 <= padding <= k - 1).",
    functions={"zero_insertion": "array"},
    cases=_zero_cases,
    reference=lambda c: te.conv_transpose2d(c.args["x"], c.args["k"], stride=c.args["stride"],
                                            padding=c.args["padding"]),
    mistakes=(
        Mistake("no_flip", "your result matches the correlation with the unflipped kernel: the zero-insertion view "
                "needs the kernel rotated by 180 degrees (k[::-1, ::-1]).",
                result=_no_flip),
        Mistake("stride_zeros", "you inserted `stride` zeros between neighbouring pixels; stride s needs s - 1 "
                "zeros, so that pixel i lands at position i * s.",
                result=_stride_zeros),
        Mistake("pad_k_minus_1", "you padded by k - 1 whatever the padding: that gives the full, uncropped output; "
                "the transposed convolution's padding p crops it, so pad by k - 1 - p.",
                result=_pad_k_minus_1),
    ),
    no_library=True,
)
