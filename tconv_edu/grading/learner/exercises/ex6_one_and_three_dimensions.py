"""The exercise of ``ex6_one_and_three_dimensions.ipynb``: the scatter in one dimension, with every parameter."""
from __future__ import annotations

import numpy as np

import tconv_edu as te

from .._cases import Case, Exercise, Mistake
from ._common import N_RANDOM, or_none, random_values

__all__ = ["SCATTER_1D"]

_ARGS = ("stride", "padding", "output_padding", "dilation")


def _case(x, k, stride=1, padding=0, output_padding=0, dilation=1, random=False):
    return Case("scatter_1d", {"x": np.asarray(x, dtype=float), "k": np.asarray(k, dtype=float), "stride": stride,
                               "padding": padding, "output_padding": output_padding, "dilation": dilation},
                random=random)


def _valid(n, k, s, p, op, d) -> bool:
    try:
        te.output_size((n,), (k,), stride=s, padding=p, output_padding=op, dilation=d)
    except te.ArgumentError:
        return False
    return True


def _cases(rng):
    cases = [
        _case([1, 2, 3, 4], [1, 2, 2, 1], stride=2, padding=1),                  # a vocoder's k = 2s, s = 2
        _case([1, -1, 2], [1, 2, 3], stride=2, padding=1, output_padding=1),   # k = 3, s = 2: 2x exactly
        _case([2, 1, -1], [1, -2, 1], stride=1, output_padding=1, dilation=2),  # op < dilation only
        _case([1, 2, 3], [2], stride=3, output_padding=2),                       # gaps: k < s
        _case([1, 0.5, -2, 1], [1, -1, 0.5, 2, 1], stride=3, padding=2, dilation=2),
    ]
    while len(cases) < 5 + N_RANDOM:
        n, k = int(rng.integers(1, 7)), int(rng.integers(1, 6))
        s, d, p = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
        op = int(rng.integers(0, max(s, d)))
        if _valid(n, k, s, p, op, d):
            cases.append(_case(random_values(rng, (n,)), random_values(rng, (k,)), s, p, op, d, random=True))
    return cases


def _reference(c):
    a = c.args
    return te.conv_transpose1d(a["x"], a["k"], **{name: a[name] for name in _ARGS})



def _same(got, value) -> bool:
    return value is not None and np.shape(got) == np.shape(value) and np.allclose(got, value)


def _full(x, k, stride, dilation, output_padding=0):
    """The uncropped output, output_padding entries included (what a crop of ``padding`` then trims)."""
    return te.conv_transpose1d(x, k, stride=stride, dilation=dilation, output_padding=output_padding)


def _assigned(x, k, stride, padding, output_padding, dilation, kernel_outer):
    """'=' instead of '+=': where stamps overlap, the one written last wins."""
    y = np.zeros(len(_full(x, k, stride, dilation, output_padding)))
    pairs = [(i, a) for a in range(len(k)) for i in range(len(x))] if kernel_outer else \
        [(i, a) for i in range(len(x)) for a in range(len(k))]
    for i, a in pairs:
        y[i * stride + a * dilation] = x[i] * k[a]
    return y[padding:len(y) - padding]


def _assign(c, got, exp):
    return any(_same(got, _assigned(**c.args, kernel_outer=outer)) for outer in (False, True))


def _no_dilation(x, k, stride, padding, output_padding, dilation):
    """The taps of a stamp next to each other: dilation ignored (None where it is 1). Built as the learner's loop
    builds it, since output_padding may be one the library refuses without the dilation."""
    if dilation == 1:
        return None
    full = np.concatenate([_full(x, k, stride, 1), np.zeros(output_padding)])
    return full[padding:len(full) - padding]


def _pad_input(x, k, stride, padding, output_padding, dilation):
    """``padding`` zeros added around the input instead of cropping the output (None for padding 0)."""
    return None if padding == 0 else te.conv_transpose1d(np.pad(x, padding), k, stride=stride,
                                                          output_padding=output_padding, dilation=dilation)


def _crop_one_side(c, got, exp):
    """The full output cropped at one end only, by padding or by 2 * padding."""
    a = c.args
    p, full = a["padding"], _full(a["x"], a["k"], a["stride"], a["dilation"], a["output_padding"])
    n = len(full)
    return p > 0 and any(_same(got, v) for v in (full[p:], full[:n - p], full[2 * p:], full[:n - 2 * p]))


def _zeros_at_end(c, got, exp):
    """The last ``output_padding`` entries are zeros where the stamps reach them: every other entry right, or the
    learner's loop itself (the stamps written without output_padding, cropped, zeros appended), which can even be
    the wrong length where padding crops all of those stamps."""
    a, q = c.args, c.args["output_padding"]
    if q == 0:
        return False
    stamps = _full(a["x"], a["k"], a["stride"], a["dilation"])
    p, n = a["padding"], len(stamps)
    if _same(got, np.concatenate([stamps[p:n - p], np.zeros(q)])):
        return True
    exp = np.asarray(exp)
    return np.shape(got) == exp.shape and np.allclose(got[:-q], exp[:-q]) and np.allclose(got[-q:], 0)


def _stride_on_kernel(x, k, stride, padding, output_padding, dilation):
    """The stride spacing the taps of a stamp too (None for stride 1)."""
    return None if stride == 1 else te.conv_transpose1d(x, k, stride=stride, padding=padding,
                                                         output_padding=output_padding, dilation=stride * dilation)


def _off_by_one(c, got, exp):
    gs, es = np.shape(got), np.shape(exp)
    return len(gs) == len(es) == 1 and gs != es and abs(gs[0] - es[0]) <= 1


SCATTER_1D = Exercise(
    id="scatter_1d", points=3,
    signature="scatter_1d(x, k, stride, padding, output_padding, dilation) -> "
              "((L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1,) array",
    statement="One channel in one dimension, every parameter as PyTorch's conv_transpose1d: x[i] stamps x[i] * k[a] at "
              "i * stride + a * dilation of the full output, which output_padding extends at the end and padding "
              "crops at both ends.",
    functions={"scatter_1d": "array"},
    cases=_cases,
    reference=_reference,
    mistakes=(
        Mistake("assign", "where stamps overlap your result keeps only one of them: add the stamps "
                "(y[i * stride + a * dilation] += x[i] * k[a]); '=' overwrites what the stamps before wrote.",
                matches=_assign),
        Mistake("no_dilation", "the taps of your stamps sit next to each other: the dilation spaces the taps of "
                "one stamp (x[i] * k[a] lands at i * stride + a * dilation), while the stride spaces the stamps.",
                result=or_none(_no_dilation)),
        Mistake("stride_on_kernel", "you spaced the taps of a stamp by the stride: the stride spaces the stamps of "
                "neighbouring inputs (x[i] starts at i * stride), the taps of one stamp are `dilation` apart.",
                result=or_none(_stride_on_kernel)),
        Mistake("pad_input", "you padded the input; in a transposed convolution `padding` crops the output "
                "instead: compute the full output, then remove `padding` entries at each end.",
                result=or_none(_pad_input)),
        Mistake("crop_one_side", "you cropped one end only: padding removes `padding` entries at the start AND at "
                "the end of the full output (output_padding's entries included): y_full[p:len(y_full) - p].",
                matches=_crop_one_side),
        Mistake("output_padding_zeros", "your last `output_padding` entries are zeros: they are part of the full "
                "output, where the last stamps reach them (as computed as every other entry), not padding.",
                matches=_zeros_at_end),
        Mistake("size", "your output is one entry too short or too long: it has (L - 1) * stride - 2 * padding + "
                "dilation * (K - 1) + output_padding + 1 entries.", matches=_off_by_one),
    ),
    hints={"IndexError": "an index ran past the end of your output: the full output has (L - 1) * stride + "
                         "dilation * (K - 1) + 1 + output_padding entries before padding crops it."},
    no_library=True,
)
