"""The exercises of ``ex2_shapes.ipynb``: the output-size rule, and the input gradient that needs output_padding."""
from __future__ import annotations

import numpy as np

import tconv_edu as te

from .._cases import AnyValue, Case, Exercise, Mistake, Raises
from ._common import N_RANDOM, random_values

__all__ = ["OUTPUT_SIZE", "INPUT_GRADIENT"]


# ---------------------------------------------------------------------------------------------- 3. output_size

_SIZE_ARGS = ("h", "k", "stride", "padding", "output_padding", "dilation")


def _size_case(*values, random=False):
    return Case("output_size", dict(zip(_SIZE_ARGS, (int(v) for v in values))), random=random)


def _size_cases(rng):
    cases = [_size_case(*v) for v in [
        (4, 3, 2, 1, 1, 1), (3, 3, 1, 0, 0, 1), (5, 3, 2, 0, 0, 2), (2, 2, 3, 0, 2, 1), (3, 3, 1, 0, 1, 2),
        (4, 3, 2, 1, 2, 1),     # output_padding >= stride and >= dilation
        (4, 3, 1, 0, 1, 1),
        (1, 1, 1, 1, 0, 1),     # padding crops everything
        (4, 3, 0, 0, 0, 1), (4, 3, 1, -1, 0, 1), (4, 3, 1, 0, 0, 0),
    ]]
    for i in range(N_RANDOM):
        h, k, s, d, p = rng.integers(1, 9), rng.integers(1, 6), rng.integers(1, 5), rng.integers(1, 4), \
            rng.integers(0, 3)
        op = rng.integers(0, max(s, d)) if i % 4 else max(s, d) + rng.integers(0, 2)   # every 4th one invalid
        cases.append(_size_case(h, k, s, p, op, d, random=True))
    return cases


def _size_reference(c):
    a = c.args
    try:
        return te.output_size(a["h"], a["k"], stride=a["stride"], padding=a["padding"],
                              output_padding=a["output_padding"], dilation=a["dilation"])[0]
    except ValueError as err:
        return Raises(ValueError, str(err))


def _size_formula(h, k, stride, padding, output_padding, dilation):
    return (h - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1


def _size_if_valid(c, value):
    """``value`` where the parameters are valid, else the library's ValueError."""
    exp = _size_reference(c)
    return exp if isinstance(exp, Raises) else value


def _plus_one(c):
    """The formula without its final + 1."""
    return _size_if_valid(c, _size_formula(**c.args) - 1)


def _dilation(c):
    """k - 1 instead of dilation * (k - 1): the dilation ignored (None where it is 1)."""
    return None if c.args["dilation"] == 1 else _size_if_valid(c, _size_formula(**{**c.args, "dilation": 1}))


def _output_padding_rule(c):
    """A size for an output_padding as large as both the stride and the dilation, which PyTorch refuses."""
    a = c.args
    return _size_formula(**a) if (
        isinstance(_size_reference(c), Raises)
        and a["output_padding"] >= max(a["stride"], a["dilation"])
        and min(a["stride"], a["dilation"]) >= 1 and a["padding"] >= 0
        and a["output_padding"] >= 0 and _size_formula(**a) >= 1) else None


def _no_checks(c):
    """A size for parameters that have none (a stride, dilation or size below 1, a negative padding)."""
    a = c.args
    return AnyValue() if (
        isinstance(_size_reference(c), Raises)
        and not a["output_padding"] >= max(a["stride"], a["dilation"]) >= 1) else None


def _keras_rule(c):
    """Keras's rule, output_padding < stride only: a ValueError where output_padding < dilation is allowed."""
    a = c.args
    return Raises(ValueError, "") if (
        not isinstance(_size_reference(c), Raises)
        and a["stride"] <= a["output_padding"] < a["dilation"]) else None


OUTPUT_SIZE = Exercise(
    id="output_size", points=2,
    signature="output_size(h, k, stride, padding, output_padding, dilation) -> int",
    statement="The output size of a transposed convolution along one axis, or ValueError for invalid parameters.",
    functions={"output_size": "int"},
    cases=_size_cases,
    reference=_size_reference,
    mistakes=(
        Mistake("plus_one", "your sizes are one too small: the formula ends with + 1 "
                "((h - 1) * stride spans the gaps between the first and the last stamp's start; the last stamp "
                "still covers dilation * (k - 1) + 1 pixels).",
                result=_plus_one),
        Mistake("dilation", "you ignored the dilation: a dilated kernel spans dilation * (k - 1) + 1 pixels, so the "
                "formula has dilation * (k - 1), not k - 1.",
                result=_dilation),
        Mistake("output_padding_rule", "you accepted an output_padding that is not smaller than the stride nor the "
                "dilation: PyTorch requires output_padding < stride or output_padding < dilation (raise ValueError "
                "otherwise); only then does it pick one of the sizes that convolve back to the input.",
                result=_output_padding_rule),
        Mistake("no_checks", "your function returns a size for parameters that have none: raise ValueError when "
                "stride or dilation is below 1, padding or output_padding is negative, or the size comes out below 1 "
                "(PyTorch refuses these before computing anything).",
                result=_no_checks),
        Mistake("keras_rule", "you rejected an output_padding smaller than the dilation but not the stride: that is "
                "Keras's rule; PyTorch's is output_padding < stride OR output_padding < dilation.",
                result=_keras_rule),
    ),
)


# ------------------------------------------------------------------------------------------- 6. input_gradient

def _grad_case(rng, n, c_out, c_in, hw, k, stride, padding, random=True):
    ho, wo = te.conv_output_size(hw, k, stride=stride, padding=padding)
    return Case("input_gradient", {"g": random_values(rng, (n, c_out, ho, wo)),
                                   "w": random_values(rng, (c_out, c_in) + k), "stride": stride, "padding": padding,
                                   "input_shape": hw}, random=random)


def _grad_cases(rng):
    fixed = np.random.default_rng(6)
    cases = [_grad_case(fixed, 1, 1, 1, (5, 5), (3, 3), 2, 1, random=False),    # output_padding 0
             _grad_case(fixed, 1, 1, 1, (6, 6), (3, 3), 2, 1, random=False),    # output_padding 1
             _grad_case(fixed, 2, 2, 3, (7, 6), (2, 3), 3, 0, random=False)]    # (0, 2)
    while len(cases) < 3 + N_RANDOM:
        h, w = (int(v) for v in rng.integers(3, 8, size=2))
        k = tuple(int(v) for v in rng.integers(1, 4, size=2))
        p = int(rng.integers(0, min(k) // 2 + 1))
        cases.append(_grad_case(rng, int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                                (h, w), k, int(rng.integers(1, 4)), p))
    return cases


def _input_gradient(g, w, stride, padding, input_shape):
    op = te.output_padding_for(g.shape[2:], input_shape, w.shape[2:], stride=stride, padding=padding)
    return te.conv_transpose2d(g, w, stride=stride, padding=padding, output_padding=op)


def _no_op(c):
    """The transposed convolution of g without output_padding."""
    a = c.args
    return te.conv_transpose2d(a["g"], a["w"], stride=a["stride"], padding=a["padding"])


def _output_padding(c, got, exp):
    """output_padding left at 0: the smallest input that convolves to g's size, not z's."""
    return np.shape(got)[:2] == exp.shape[:2] and np.shape(got) != exp.shape and (
        np.shape(got)[2:] == _no_op(c).shape[2:])


def _zero_rows(c):
    """The rows output_padding adds padded with zeros (np.pad) instead of computed (None where there are none)."""
    small, (h, w) = _no_op(c), c.args["input_shape"]
    extra = (h - small.shape[2], w - small.shape[3])
    if extra == (0, 0) or min(extra) < 0:
        return None
    return np.pad(small, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))


INPUT_GRADIENT = Exercise(
    id="input_gradient", points=2,
    signature="input_gradient(g, w, stride, padding, input_shape) -> (N, C_in, H, W) array",
    statement="The gradient of sum(conv2d(z, w) * g) with respect to z, as a transposed convolution "
              "with the output_padding that restores z's (H, W) = input_shape.",
    functions={"input_gradient": "array"},
    cases=_grad_cases,
    reference=lambda c: _input_gradient(**c.args),
    mistakes=(
        Mistake("output_padding", "your gradient misses rows or columns at the bottom/right: with output_padding 0 "
                "the transposed convolution gives the smallest size that convolves to g's size, but z may have had "
                "up to stride - 1 more rows that the forward convolution skipped; pass output_padding = "
                "H - ((H_out - 1) * stride - 2 * padding + kH) per axis (te.output_padding_for does this).",
                matches=_output_padding),
        Mistake("zero_rows", "your extra bottom rows / right columns hold zeros: output_padding does not pad with "
                "zeros, it computes those rows like all others (the stamps reach into them); pass output_padding to "
                "the transposed convolution instead of padding its result with np.pad.",
                result=_zero_rows),
    ),
)
