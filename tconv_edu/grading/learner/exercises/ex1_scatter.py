"""The exercises of ``ex1_scatter.ipynb``: the scatter form, stride 1, then with a stride and padding."""
from __future__ import annotations

import numpy as np

import tconv_edu as te

from .._cases import Case, Exercise, Mistake
from ._common import N_RANDOM, fits, flip, floats, or_none, random_values

__all__ = ["SCATTER_2D", "SCATTER_STRIDED"]



def _off_by_one(case, got, expected):
    """Shape one pixel too small or too large on an axis (values aside)."""
    gs, es = getattr(got, "shape", None), getattr(expected, "shape", None)
    return gs is not None and es is not None and len(gs) == len(es) and gs != es and \
        all(abs(g - e) <= 1 for g, e in zip(gs, es))


# ------------------------------------------------------------------------------------------------ 1. scatter_2d

def _scatter_2d_cases(rng):
    cases = [
        Case("scatter_2d", {"x": floats([[1, 2], [3, 4]]), "k": floats([[0, 1], [1, 0]])}),   # from the seed article
        Case("scatter_2d", {"x": floats([[2]]), "k": floats([[1, -1], [0.5, 2]])}),
        Case("scatter_2d", {"x": floats([[1, -1, 2]]), "k": floats([[1], [2]])}),
        Case("scatter_2d", {"x": floats([[1, 2], [0, -1]]), "k": floats([[1, 2, 0], [0, 1, 3]])}),
    ]
    for _ in range(N_RANDOM):
        h, w, kh, kw = rng.integers(1, 5, size=4)
        cases.append(Case("scatter_2d", {"x": random_values(rng, (h, w)), "k": random_values(rng, (kh, kw))},
                          random=True))
    return cases


def _assign_stamps(x, k, kernel_outer):
    """The 'Y[i + a, j + b] = ...' mistake: where stamps overlap, the last one written wins."""
    (h, w), (kh, kw) = x.shape, k.shape
    y = np.zeros((h + kh - 1, w + kw - 1))
    if kernel_outer:
        for a in range(kh):
            for b in range(kw):
                y[a:a + h, b:b + w] = x * k[a, b]
    else:
        for i in range(h):
            for j in range(w):
                y[i:i + kh, j:j + kw] = x[i, j] * k
    return y


def _assign(c, got, exp):
    """'=' instead of '+=': where two stamps overlap, the one written last wins."""
    return any(np.allclose(got, _assign_stamps(c.args["x"], c.args["k"], outer)) for outer in (False, True))


def _flipped(c):
    """The kernel rotated by 180 degrees before stamping."""
    return te.conv_transpose2d(c.args["x"], flip(c.args["k"]))


SCATTER_2D = Exercise(
    id="scatter_2d", points=2,
    signature="scatter_2d(x, k) -> (H + kH - 1, W + kW - 1) array",
    statement="Transposed convolution of one channel, stride 1, no padding: every x[i, j] stamps x[i, j] * k at "
              "(i, j).",
    functions={"scatter_2d": "array"},
    cases=_scatter_2d_cases,
    reference=lambda c: te.conv_transpose2d(c.args["x"], c.args["k"]),
    mistakes=(
        Mistake("assign", "where two stamps overlap your result keeps only one of them: add the stamps "
                "(Y[i + a, j + b] += x[i, j] * k[a, b]); '=' overwrites what the stamps before wrote.",
                matches=_assign),
        Mistake("size", "your output is one pixel too small or too large: the last stamp starts at row H - 1 and "
                "covers kH rows, so the output has H + kH - 1 rows and W + kW - 1 columns.", matches=_off_by_one),
        Mistake("flipped", "your result is the right one for the kernel rotated by 180 degrees: the scatter form "
                "stamps k as it is (Y[i + a, j + b] += x[i, j] * k[a, b]), without flipping it.",
                result=_flipped),
    ),
    hints={"IndexError": "an index ran past the end of your output: is it (H + kH - 1) x (W + kW - 1)?"},
    no_library=True,
)


# ------------------------------------------------------------------------------------------- 2. scatter_strided

def _strided_cases(rng):
    cases = [
        Case("scatter_strided", {"x": floats([[1, 2], [3, 4]]), "k": floats([[1, 0, 2], [0, 1, 0], [1, 1, -1]]),
                                 "stride": 2, "padding": 1}),
        Case("scatter_strided", {"x": floats([[1, -2], [0.5, 1]]), "k": floats([[1, 2], [3, -1]]), "stride": 2,
                                 "padding": 0}),
        Case("scatter_strided", {"x": floats([[1, 2, 0], [0, -1, 3], [2, 1, 1]]), "k": floats([[1, -1, 0], [2, 0, 1],
                                 [0, 1, 1]]), "stride": 1, "padding": 1}),
        Case("scatter_strided", {"x": floats([[2, 1, -1], [1, 0, 2]]), "k": floats([[1, 2, 3, -1], [0, 1, -1, 2]]),
                                 "stride": 3, "padding": 1}),
    ]
    while len(cases) < 4 + N_RANDOM:
        h, w, kh, kw = rng.integers(1, 5, size=4)
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        if fits((h, w), (kh, kw), s, p):
            cases.append(Case("scatter_strided", {"x": random_values(rng, (h, w)), "k": random_values(rng, (kh, kw)),
                                                  "stride": s, "padding": p}, random=True))
    return cases


def _pad_input(x, k, stride, padding):
    """`padding` that pads the input instead of cropping the output."""
    return None if padding == 0 else te.conv_transpose2d(np.pad(x, padding), k, stride=stride)


def _one_side_crops(x, k, stride, padding):
    """The full output cropped by p (or 2p) on one side only: none for p = 0."""
    full = te.conv_transpose2d(x, k, stride=stride)
    p = padding
    if p == 0:
        return []
    h, w = full.shape
    return [full[p:, p:], full[:h - p, :w - p], full[2 * p:, 2 * p:], full[:h - 2 * p, :w - 2 * p]]


def _crop_one_side(c, got, exp):
    """The padding cropped at the top and left only, or at the bottom and right only."""
    return any(v.shape == np.shape(got) and np.allclose(v, got) for v in _one_side_crops(**c.args))


def _dilated_and_strided(x, k, stride, padding):
    """The stride spacing the kernel taps as well as the stamps (None for stride 1)."""
    return None if stride == 1 else te.conv_transpose2d(x, k, stride=stride, padding=padding, dilation=stride)


def _dilated_only(x, k, stride, padding):
    """The stride spacing the kernel taps instead of the stamps (None for stride 1)."""
    return None if stride == 1 else te.conv_transpose2d(x, k, stride=1, padding=padding, dilation=stride)


def _stride_on_kernel(c, got, exp):
    """The stride applied to the kernel offsets (a dilation), with or without spacing the stamps."""
    return any(v is not None and np.shape(v) == np.shape(got) and np.allclose(v, got)
               for v in (or_none(_dilated_and_strided)(c), or_none(_dilated_only)(c)))


def _crop_minus_p(c, got, exp):
    """The crop written Y_full[p:-p], empty for p = 0."""
    return c.args["padding"] == 0 and 0 in np.shape(got) and np.ndim(got) == 2


SCATTER_STRIDED = Exercise(
    id="scatter_strided", points=3,
    signature="scatter_strided(x, k, stride, padding) -> ((H-1)*stride + kH - 2*padding, ...) array",
    statement="One channel with a stride (stamps stride pixels apart) and padding (crops the full output's border).",
    functions={"scatter_strided": "array"},
    cases=_strided_cases,
    reference=lambda c: te.conv_transpose2d(c.args["x"], c.args["k"], stride=c.args["stride"],
                                            padding=c.args["padding"]),
    mistakes=(
        Mistake("pad_input", "you padded the input; in a transposed convolution `padding` crops the output "
                "instead: compute the full output, then remove `padding` rows and columns from every border.",
                result=or_none(_pad_input)),
        Mistake("crop_one_side", "you cropped one side only: padding removes `padding` rows at the top AND at the "
                "bottom, and `padding` columns at the left AND at the right: Y_full[p:H_full - p, p:W_full - p].",
                matches=_crop_one_side),
        Mistake("stride_on_kernel", "you applied the stride to the kernel offset: the stride spaces the stamps of "
                "neighbouring input pixels (x[i, j] lands at row i * stride), while the kernel taps of one stamp stay "
                "next to each other: Y[i * stride + a, j * stride + b] += x[i, j] * k[a, b].",
                matches=_stride_on_kernel),
        Mistake("crop_minus_p", "your crop breaks when padding is 0: Y_full[p:-p] is Y_full[0:0], empty, for p = 0 "
                "(a negative end counts from the end, and -0 is 0); write the end as a size: "
                "Y_full[p:H_full - p, p:W_full - p].",
                matches=_crop_minus_p),
    ),
    hints={"IndexError": "an index ran past the end of your output: the full output has (H - 1) * stride + kH rows "
                         "before the padding crops it."},
    no_library=True,
)
