"""The twelve exercises: their cases, the library's answer to each, and the mistakes the checks recognise.

Every expected value comes from the library (``tconv_edu``); the mistakes are computed here, as the mistaken code
would, so that a learner's answer can be matched against them. One module, one numbered section per exercise:
the catalogue ``EXERCISES`` is read as a whole, and its sections share the case makers at the top.
"""
from __future__ import annotations

import numpy as np

import tconv_edu as te
from tconv_edu import artifacts, learn, matrix, shapes

from ._cases import AnyValue, Case, Exercise, Mistake, Raises

__all__ = ["EXERCISES"]

N_RANDOM = 8   # randomized cases per exercise, fresh each call


def _values(rng, shape):
    """Readable random values: halves from -3 to 3, never all zero."""
    while True:
        v = rng.integers(-6, 7, size=shape) / 2.0
        if np.any(v):
            return v


def _a(rows):
    return np.array(rows, dtype=float)


def _or_none(f):
    """A mistake's result, or None where that mistaken computation is not even defined for the case."""
    def safe(case):
        try:
            return f(**case.args)
        except ValueError:
            return None
    return safe


def _flip(k):
    return k[..., ::-1, ::-1].copy()


def _fits(hw, k, stride, padding) -> bool:
    """Whether the library accepts these sizes (``padding`` leaves at least one output pixel)."""
    try:
        te.output_size(hw, k, stride=stride, padding=padding)
    except te.ArgumentError:
        return False
    return True


def _off_by_one(case, got, expected):
    """Shape one pixel too small or too large on an axis (values aside)."""
    gs, es = getattr(got, "shape", None), getattr(expected, "shape", None)
    return gs is not None and es is not None and len(gs) == len(es) and gs != es and \
        all(abs(g - e) <= 1 for g, e in zip(gs, es))


# ------------------------------------------------------------------------------------------------ 1. scatter_2d

def _scatter_2d_cases(rng):
    cases = [
        Case("scatter_2d", {"x": _a([[1, 2], [3, 4]]), "k": _a([[0, 1], [1, 0]])}),   # the seed article's example
        Case("scatter_2d", {"x": _a([[2]]), "k": _a([[1, -1], [0.5, 2]])}),
        Case("scatter_2d", {"x": _a([[1, -1, 2]]), "k": _a([[1], [2]])}),
        Case("scatter_2d", {"x": _a([[1, 2], [0, -1]]), "k": _a([[1, 2, 0], [0, 1, 3]])}),
    ]
    for _ in range(N_RANDOM):
        h, w, kh, kw = rng.integers(1, 5, size=4)
        cases.append(Case("scatter_2d", {"x": _values(rng, (h, w)), "k": _values(rng, (kh, kw))}, random=True))
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


SCATTER_2D = Exercise(
    id="scatter_2d", points=2,
    signature="scatter_2d(x, k) -> (H + kH - 1, W + kW - 1) array",
    statement="Transposed convolution of one channel, stride 1, no padding: every x[i, j] stamps x[i, j] * k at (i, j).",
    functions={"scatter_2d": "array"},
    cases=_scatter_2d_cases,
    reference=lambda c: te.conv_transpose2d(c.args["x"], c.args["k"]),
    mistakes=(
        Mistake("assign", "where two stamps overlap your result keeps only one of them: add the stamps "
                "(Y[i + a, j + b] += x[i, j] * k[a, b]); '=' overwrites what the stamps before wrote.",
                matches=lambda c, got, exp: any(np.allclose(got, _assign_stamps(c.args["x"], c.args["k"], outer))
                                                for outer in (False, True))),
        Mistake("size", "your output is one pixel too small or too large: the last stamp starts at row H - 1 and "
                "covers kH rows, so the output has H + kH - 1 rows and W + kW - 1 columns.", matches=_off_by_one),
        Mistake("flipped", "your result is the right one for the kernel rotated by 180 degrees: the scatter form "
                "stamps k as it is (Y[i + a, j + b] += x[i, j] * k[a, b]), without flipping it.",
                result=lambda c: te.conv_transpose2d(c.args["x"], _flip(c.args["k"]))),
    ),
    hints={"IndexError": "an index ran past the end of your output: is it (H + kH - 1) x (W + kW - 1)?"},
    no_library=True,
)


# ------------------------------------------------------------------------------------------- 2. scatter_strided

def _strided_cases(rng):
    cases = [
        Case("scatter_strided", {"x": _a([[1, 2], [3, 4]]), "k": _a([[1, 0, 2], [0, 1, 0], [1, 1, -1]]),
                                 "stride": 2, "padding": 1}),
        Case("scatter_strided", {"x": _a([[1, -2], [0.5, 1]]), "k": _a([[1, 2], [3, -1]]), "stride": 2,
                                 "padding": 0}),
        Case("scatter_strided", {"x": _a([[1, 2, 0], [0, -1, 3], [2, 1, 1]]), "k": _a([[1, -1, 0], [2, 0, 1],
                                 [0, 1, 1]]), "stride": 1, "padding": 1}),
        Case("scatter_strided", {"x": _a([[2, 1, -1], [1, 0, 2]]), "k": _a([[1, 2, 3, -1], [0, 1, -1, 2]]),
                                 "stride": 3, "padding": 1}),
    ]
    while len(cases) < 4 + N_RANDOM:
        h, w, kh, kw = rng.integers(1, 5, size=4)
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        if _fits((h, w), (kh, kw), s, p):
            cases.append(Case("scatter_strided", {"x": _values(rng, (h, w)), "k": _values(rng, (kh, kw)),
                                                  "stride": s, "padding": p}, random=True))
    return cases


def _crop_one_side(x, k, stride, padding):
    full = te.conv_transpose2d(x, k, stride=stride)
    p = padding
    if p == 0:
        return []
    h, w = full.shape
    return [full[p:, p:], full[:h - p, :w - p], full[2 * p:, 2 * p:], full[:h - 2 * p, :w - 2 * p]]


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
                result=_or_none(lambda x, k, stride, padding: None if padding == 0 else
                                te.conv_transpose2d(np.pad(x, padding), k, stride=stride))),
        Mistake("crop_one_side", "you cropped one side only: padding removes `padding` rows at the top AND at the "
                "bottom, and `padding` columns at the left AND at the right: Y_full[p:H_full - p, p:W_full - p].",
                matches=lambda c, got, exp: any(v.shape == np.shape(got) and np.allclose(v, got)
                                                for v in _crop_one_side(**c.args))),
        Mistake("stride_on_kernel", "you applied the stride to the kernel offset: the stride spaces the stamps of "
                "neighbouring input pixels (x[i, j] lands at row i * stride), while the kernel taps of one stamp stay "
                "next to each other: Y[i * stride + a, j * stride + b] += x[i, j] * k[a, b].",
                matches=lambda c, got, exp: any(
                    v is not None and np.shape(v) == np.shape(got) and np.allclose(v, got) for v in (
                        _or_none(lambda x, k, stride, padding: None if stride == 1 else te.conv_transpose2d(
                            x, k, stride=stride, padding=padding, dilation=stride))(c),
                        _or_none(lambda x, k, stride, padding: None if stride == 1 else te.conv_transpose2d(
                            x, k, stride=1, padding=padding, dilation=stride))(c)))),
        Mistake("crop_minus_p", "your crop breaks when padding is 0: Y_full[p:-p] is Y_full[0:0], empty, for p = 0 "
                "(a negative end counts from the end, and -0 is 0); write the end as a size: "
                "Y_full[p:H_full - p, p:W_full - p].",
                matches=lambda c, got, exp: c.args["padding"] == 0 and 0 in np.shape(got) and np.ndim(got) == 2),
    ),
    hints={"IndexError": "an index ran past the end of your output: the full output has (H - 1) * stride + kH rows "
                         "before the padding crops it."},
    no_library=True,
)


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
                result=lambda c: _size_if_valid(c, _size_formula(**c.args) - 1)),
        Mistake("dilation", "you ignored the dilation: a dilated kernel spans dilation * (k - 1) + 1 pixels, so the "
                "formula has dilation * (k - 1), not k - 1.",
                result=lambda c: None if c.args["dilation"] == 1 else _size_if_valid(
                    c, _size_formula(**{**c.args, "dilation": 1}))),
        Mistake("output_padding_rule", "you accepted an output_padding that is not smaller than the stride nor the "
                "dilation: PyTorch requires output_padding < stride or output_padding < dilation (raise ValueError "
                "otherwise); only then does it pick one of the sizes that convolve back to the input.",
                result=lambda c: _size_formula(**c.args) if (
                    isinstance(_size_reference(c), Raises)
                    and c.args["output_padding"] >= max(c.args["stride"], c.args["dilation"])
                    and min(c.args["stride"], c.args["dilation"]) >= 1 and c.args["padding"] >= 0
                    and c.args["output_padding"] >= 0 and _size_formula(**c.args) >= 1) else None),
        Mistake("no_checks", "your function returns a size for parameters that have none: raise ValueError when "
                "stride or dilation is below 1, padding or output_padding is negative, or the size comes out below 1 "
                "(PyTorch refuses these before computing anything).",
                result=lambda c: AnyValue() if (
                    isinstance(_size_reference(c), Raises)
                    and not c.args["output_padding"] >= max(c.args["stride"], c.args["dilation"]) >= 1) else None),
        Mistake("keras_rule", "you rejected an output_padding smaller than the dilation but not the stride: that is "
                "Keras's rule; PyTorch's is output_padding < stride OR output_padding < dilation.",
                result=lambda c: Raises(ValueError, "") if (
                    not isinstance(_size_reference(c), Raises)
                    and c.args["stride"] <= c.args["output_padding"] < c.args["dilation"]) else None),
    ),
)


# ---------------------------------------------------------------------------------------------- 4. conv_matrix

def _matrix_cases(rng):
    cases = [
        Case("conv_matrix", {"input_shape": (3, 3), "k": _a([[1, 2], [3, 4]]), "stride": 1}),
        Case("conv_matrix", {"input_shape": (4, 4), "k": _a([[1, 0, -1], [2, 1, 0], [0.5, 1, 3]]), "stride": 2}),
        Case("conv_matrix", {"input_shape": (2, 4), "k": _a([[1, -1, 2]]), "stride": 1}),
    ]
    while len(cases) < 3 + N_RANDOM:
        h, w = (int(v) for v in rng.integers(2, 6, size=2))
        kh, kw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        cases.append(Case("conv_matrix", {"input_shape": (h, w), "k": _values(rng, (kh, kw)),
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
                matches=lambda c, got, exp: any(np.shape(got) == m.shape and np.allclose(got, m) for m in (
                    exp.T, _conv_columns(te.conv_transpose2d, **c.args)))),
        Mistake("flipped", "your matrix holds the kernel rotated by 180 degrees: conv2d (as in PyTorch) is a "
                "cross-correlation, y[i, j] = sum of x[i*s + a, j*s + b] * k[a, b], with the kernel as it is.",
                result=lambda c: _conv_matrix(c.args["input_shape"], _flip(c.args["k"]), c.args["stride"])),
    ),
)


# ------------------------------------------------------------------------------------------- 5. zero_insertion

def _zero_cases(rng):
    cases = [
        Case("zero_insertion", {"x": _a([[1, 2], [3, 4]]), "k": _a([[1, 2], [3, 4]]), "stride": 1, "padding": 0}),
        Case("zero_insertion", {"x": _a([[1, 2], [3, 4]]), "k": _a([[1, 0, 2], [0, 1, 0], [1, 1, -1]]),
                                "stride": 2, "padding": 1}),
        Case("zero_insertion", {"x": _a([[1, -1, 2]]), "k": _a([[2, 1], [0, -1]]), "stride": 3, "padding": 0}),
    ]
    while len(cases) < 3 + N_RANDOM:
        h, w, kh, kw = (int(v) for v in rng.integers(1, 5, size=4))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, min(kh, kw)))
        if _fits((h, w), (kh, kw), s, p):
            cases.append(Case("zero_insertion", {"x": _values(rng, (h, w)), "k": _values(rng, (kh, kw)),
                                                 "stride": s, "padding": p}, random=True))
    return cases


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
                result=lambda c: te.conv_transpose2d(c.args["x"], _flip(c.args["k"]), stride=c.args["stride"],
                                                     padding=c.args["padding"])),
        Mistake("stride_zeros", "you inserted `stride` zeros between neighbouring pixels; stride s needs s - 1 "
                "zeros, so that pixel i lands at position i * s.",
                result=lambda c: te.conv_transpose2d(c.args["x"], c.args["k"], stride=c.args["stride"] + 1,
                                                     padding=c.args["padding"])),
        Mistake("pad_k_minus_1", "you padded by k - 1 whatever the padding: that gives the full, uncropped output; "
                "the transposed convolution's padding p crops it, so pad by k - 1 - p.",
                result=lambda c: None if c.args["padding"] == 0 else te.conv_transpose2d(
                    c.args["x"], c.args["k"], stride=c.args["stride"])),
    ),
    no_library=True,
)


# ------------------------------------------------------------------------------------------- 6. input_gradient

def _grad_case(rng, n, c_out, c_in, hw, k, stride, padding, random=True):
    ho, wo = te.conv_output_size(hw, k, stride=stride, padding=padding)
    return Case("input_gradient", {"g": _values(rng, (n, c_out, ho, wo)), "w": _values(rng, (c_out, c_in) + k),
                                   "stride": stride, "padding": padding, "input_shape": hw}, random=random)


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
                matches=lambda c, got, exp: np.shape(got)[:2] == exp.shape[:2] and np.shape(got) != exp.shape and (
                    np.shape(got)[2:] == _no_op(c).shape[2:])),
        Mistake("zero_rows", "your extra bottom rows / right columns hold zeros: output_padding does not pad with "
                "zeros, it computes those rows like all others (the stamps reach into them); pass output_padding to "
                "the transposed convolution instead of padding its result with np.pad.",
                result=lambda c: _zero_padded(c)),
    ),
)


def _no_op(c):
    a = c.args
    return te.conv_transpose2d(a["g"], a["w"], stride=a["stride"], padding=a["padding"])


def _zero_padded(c):
    """The result without output_padding, padded with zeros at the bottom/right to z's size (None if no padding)."""
    small, (h, w) = _no_op(c), c.args["input_shape"]
    extra = (h - small.shape[2], w - small.shape[3])
    if extra == (0, 0) or min(extra) < 0:
        return None
    return np.pad(small, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))


# ---------------------------------------------------------------------------------------------------- 7. overlap

def _overlap_cases(rng):
    cases = [Case("overlap", {"n": 4, "k": 3, "stride": 2}), Case("overlap", {"n": 3, "k": 4, "stride": 2}),
             Case("overlap", {"n": 1, "k": 3, "stride": 2}), Case("overlap", {"n": 3, "k": 2, "stride": 3})]
    cases += [Case("uniform", {"k": k, "stride": s}) for k, s in [(3, 2), (4, 2), (2, 3), (3, 1), (5, 3), (6, 3)]]
    for i in range(N_RANDOM):
        if i % 2:
            cases.append(Case("overlap", {"n": int(rng.integers(1, 7)), "k": int(rng.integers(1, 6)),
                                          "stride": int(rng.integers(1, 5))}, random=True))
        else:
            cases.append(Case("uniform", {"k": int(rng.integers(1, 9)), "stride": int(rng.integers(1, 5))},
                              random=True))
    return cases


def _overlap_reference(c):
    if c.func == "overlap":
        return artifacts.overlap_1d(**c.args)
    return artifacts.uniform(**c.args)


OVERLAP = Exercise(
    id="overlap", points=2,
    signature="overlap(n, k, stride) -> int array of length (n - 1) * stride + k; uniform(k, stride) -> bool",
    statement="In 1-D, how many kernel taps land on each output position, and whether that count is the same "
              "everywhere away from the borders. Answer with the pair (overlap, uniform).",
    functions={"overlap": "counts", "uniform": "bool"},
    cases=_overlap_cases,
    reference=_overlap_reference,
    mistakes=(
        Mistake("k_ge_stride", "with k >= stride the stamps do overlap, but evenly only when k is a multiple of the "
                "stride: uniform is k % stride == 0 (look at overlap(8, 3, 2): 1, 1, 2, 1, 2, ...).",
                result=lambda c: (c.args["k"] >= c.args["stride"]) if c.func == "uniform" else None),
    ),
)


# ---------------------------------------------------------------------------------------------- 8. multi_channel

def _multi_case(rng, n, c_in, c_out, hw, k, stride, random=True):
    return Case("multi_channel", {"x": _values(rng, (n, c_in) + hw), "w": _values(rng, (c_in, c_out) + k),
                                  "bias": _values(rng, (c_out,)), "stride": stride}, random=random)


def _multi_cases(rng):
    fixed = np.random.default_rng(8)
    cases = [_multi_case(fixed, 1, 2, 2, (2, 2), (2, 2), 1, random=False),
             _multi_case(fixed, 2, 1, 3, (2, 3), (2, 2), 2, random=False),
             _multi_case(fixed, 2, 3, 2, (3, 2), (3, 2), 2, random=False)]
    for _ in range(N_RANDOM):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 4, size=3))
        cases.append(_multi_case(rng, min(n, 2), c_in, c_out, tuple(int(v) for v in rng.integers(1, 5, size=2)),
                                 tuple(int(v) for v in rng.integers(1, 4, size=2)), int(rng.integers(1, 4))))
    return cases


def _weight_swapped(c, got, exp):
    x, w, bias, s = c.args.values()
    if w.shape[0] == w.shape[1]:
        return np.allclose(got, te.conv_transpose2d(x, w.transpose(1, 0, 2, 3), bias, stride=s))
    return np.ndim(got) == 4 and np.shape(got)[1] == w.shape[0]   # C_out read from dim 0


def _summed_first(c, got, exp):
    x, w, bias, s = c.args.values()
    if x.shape[1] == 1:
        return False
    xs = x.sum(axis=1, keepdims=True)
    b = bias.reshape(1, -1, 1, 1)
    candidates = [te.conv_transpose2d(xs, w.sum(axis=0, keepdims=True), stride=s) + b,
                  te.conv_transpose2d(xs, w.mean(axis=0, keepdims=True), stride=s) + b]
    candidates += [te.conv_transpose2d(xs, w[[i]], stride=s) + b for i in (0, -1)]
    return any(np.shape(got) == v.shape and np.allclose(got, v) for v in candidates)


MULTI_CHANNEL = Exercise(
    id="multi_channel", points=3,
    signature="multi_channel(x, w, bias, stride) -> (N, C_out, H_out, W_out) array",
    statement="A batch of multi-channel images: x (N, C_in, H, W), weight w (C_in, C_out, kH, kW), bias (C_out,).",
    functions={"multi_channel": "array"},
    cases=_multi_cases,
    reference=lambda c: te.conv_transpose2d(c.args["x"], c.args["w"], c.args["bias"], stride=c.args["stride"]),
    mistakes=(
        Mistake("weight_layout", "you read the weight as (C_out, C_in, kH, kW), the layout of a Conv2d weight; a "
                "transposed convolution's weight is (C_in, C_out, kH, kW): w[c, o] links input channel c to output "
                "channel o.", matches=_weight_swapped),
        Mistake("bias_per_input", "your bias is added once per input channel (C_in times): add bias[o] once to each "
                "output channel o, outside the loop over input channels.",
                result=lambda c: None if c.args["x"].shape[1] == 1 else te.conv_transpose2d(
                    c.args["x"], c.args["w"], stride=c.args["stride"])
                + c.args["x"].shape[1] * c.args["bias"].reshape(1, -1, 1, 1)),
        Mistake("sum_channels_first", "you summed the input channels (or the weights) before stamping: each input "
                "channel c stamps its own kernel w[c, o], so sum the stamps, sum over c of x[:, c] * w[c, o], not "
                "(sum over c of x[:, c]) times one kernel.",
                matches=_summed_first),
        Mistake("no_bias", "you left out the bias: add bias[o] to every pixel of output channel o.",
                result=lambda c: te.conv_transpose2d(c.args["x"], c.args["w"], stride=c.args["stride"])),
    ),
    hints={"IndexError": "an index ran past the end of an array: the weight is (C_in, C_out, kH, kW), "
                         "and the output has C_out = w.shape[1] channels."},
    no_library=True,
)


# -------------------------------------------------------------------------------------------- 9. bilinear_kernel

def _bilinear_cases(rng):
    cases = [Case("bilinear_kernel", {"k": k, "channels": c}) for k, c in [(4, 1), (4, 3), (3, 2), (1, 1), (6, 2),
                                                                          (5, 1)]]
    for _ in range(N_RANDOM):
        cases.append(Case("bilinear_kernel", {"k": int(rng.integers(1, 9)), "channels": int(rng.integers(1, 5))},
                          random=True))
    return cases


def _bilinear_variant(k, channels, centre, factor):
    """The (C, C, k, k) weight a learner builds with this centre and this factor (matching pairs only)."""
    taps = 1 - np.abs(np.arange(k) - centre) / factor
    w = np.zeros((channels, channels, k, k))
    w[np.arange(channels), np.arange(channels)] = np.outer(taps, taps)
    return w


def _same_array(got, candidates):
    return isinstance(got, np.ndarray) and any(
        v is not None and got.shape == v.shape and np.allclose(got, v) for v in candidates)


BILINEAR_KERNEL = Exercise(
    id="bilinear_kernel", points=2,
    signature="bilinear_kernel(k, channels) -> (channels, channels, k, k) array",
    statement="FCN's bilinear initialisation of a transposed conv's weight: the k x k bilinear kernel on the "
              "matching channel pairs w[c, c], zero elsewhere.",
    functions={"bilinear_kernel": "array"},
    cases=_bilinear_cases,
    reference=lambda c: learn.bilinear_weight(c.args["k"], c.args["channels"]),
    mistakes=(
        Mistake("all_pairs", "you filled every channel pair w[c, o] with the kernel: then every output channel sums "
                "all C input channels, and a flat image comes out C times too bright; bilinear upsampling treats "
                "each channel on its own, so only w[c, c] holds the kernel and the other pairs are zero (or use "
                "groups=C with a (C, 1, k, k) weight).",
                result=lambda c: None if c.args["channels"] == 1 else np.broadcast_to(
                    learn.bilinear_weight(c.args["k"], 1), (c.args["channels"],) * 2 + (c.args["k"],) * 2).copy()),
        Mistake("off_centre", "your kernel is off by half a pixel: its centre is c = (k - 1) / 2 (between the two "
                "middle taps when k is even, e.g. 1.5 for k = 4: taps 1, 3, 3, 1 over 4), not k / 2 or k / 2 - 1.",
                matches=lambda c, got, exp: _same_array(got, [
                    _bilinear_variant(c.args["k"], c.args["channels"], centre, (c.args["k"] + 1) // 2)
                    for centre in (c.args["k"] / 2, c.args["k"] / 2 - 1)])),
        Mistake("factor", "your triangle has the wrong width: the taps are 1 - |i - c| / f with the upsampling "
                "factor f = (k + 1) // 2 (2 for k = 3 and 4, 3 for k = 5 and 6), so they reach 0 one factor away "
                "from the centre; not k / 2, k // 2 or k.",
                matches=lambda c, got, exp: c.args["k"] > 1 and _same_array(got, [
                    _bilinear_variant(c.args["k"], c.args["channels"], (c.args["k"] - 1) / 2, factor)
                    for factor in (c.args["k"] / 2, c.args["k"] // 2, c.args["k"])])),
    ),
    hints={"IndexError": "an index ran past the end of the weight: it is (channels, channels, k, k), and "
                         "w[c, c] is the (k, k) kernel of channel c.",
           "ZeroDivisionError": "the taps divide by the upsampling factor f = (k + 1) // 2, which is at least 1."},
)


# ----------------------------------------------------------------------------------------------- 10. port_tf_same

def _port_cases(rng):
    cases = [Case("port_tf_same", {"h": h, "k": k, "stride": s}) for h, k, s in [
        (4, 3, 2),      # TF pads (0, 1): the classic k=3, s=2 layer
        (4, 4, 2),      # (1, 1): PyTorch's padding=1 is exact
        (3, 1, 2),      # k < stride: output_padding adds a row of zeros
        (5, 5, 2), (4, 2, 1), (3, 6, 3), (2, 7, 2), (3, 3, 1)]]
    for _ in range(N_RANDOM):
        cases.append(Case("port_tf_same", {"h": int(rng.integers(1, 9)), "k": int(rng.integers(1, 8)),
                                           "stride": int(rng.integers(1, 5))}, random=True))
    return cases


def _tf_pads(h, k, stride):
    """TF's 'SAME' (top, bottom) for an h x h input and an (h * stride) x (h * stride) output."""
    return shapes.tf_padding((h * stride,) * 2, (h, h), k, stride=stride, padding="SAME")[0]


def _port(h, k, stride):
    """[padding, output_padding, top, bottom]: PyTorch takes the symmetric part of TF's padding; the rest is cropped."""
    top, bottom = _tf_pads(h, k, stride)
    padding = min(top, bottom)
    size = te.output_size(h, k, stride=stride, padding=padding)[0]
    output_padding = max(0, h * stride - size)      # k < stride: TF's output is longer than the full output
    crop_top = top - padding
    return np.array([padding, output_padding, crop_top, size + output_padding - h * stride - crop_top])


def _usual_port(h, k, stride):
    return np.array([(k - 1) // 2, stride - 1, 0, 0])


def _larger_padding(h, k, stride):
    """padding = the larger pad; output_padding puts the lost row back at the bottom (None if TF pads evenly)."""
    top, bottom = _tf_pads(h, k, stride)
    return None if top == bottom else np.array([bottom, _port(h, k, stride)[1] + 1, 0, 0])


def _unless_same(mine, other):
    """A port mistake's result, None where it is also the other mistake's (for s = 2 the usual recipe is the larger
    padding): each is then named from the cases that tell them apart."""
    def result(c):
        a, b = mine(**c.args), other(**c.args)
        return None if a is None or (b is not None and np.array_equal(a, b)) else a
    return result


PORT_TF_SAME = Exercise(
    id="port_tf_same", points=3,
    signature="port_tf_same(h, k, stride) -> int array [padding, output_padding, top, bottom]",
    statement="The PyTorch padding and output_padding (largest padding, smallest output_padding), and the rows "
              "to crop at the top and bottom, that reproduce TF's conv2d_transpose with 'SAME' and output h * stride.",
    functions={"port_tf_same": "counts"},
    cases=_port_cases,
    reference=lambda c: _port(**c.args),
    mistakes=(
        Mistake("usual_port", "you used the usual recipe padding = (k - 1) // 2, output_padding = stride - 1: it "
                "gives TF's size only for odd k, and sits one pixel away from TF wherever TF pads unevenly (k - "
                "stride odd: the extra row of padding is at the bottom, need // 2 at the top). Take padding = "
                "need // 2, the part that is the same at both ends, and crop the rest.",
                result=_unless_same(_usual_port, _larger_padding)),
        Mistake("crop_wrong_side", "you cropped the odd row at the top: TF's 'SAME' puts the extra pixel of "
                "padding at the bottom/right (need // 2 at the top), so the row PyTorch has too many is the last "
                "one: crop it at the bottom (and the right).",
                result=lambda c: None if _port(**c.args)[3] == 0 else _port(**c.args)[[0, 1, 3, 2]]),
        Mistake("larger_padding", "your padding is the larger of TF's two pads: PyTorch's padding crops the same "
                "number of rows at both ends, so it removes a row at the top that TF keeps (and output_padding "
                "adds one at the bottom that TF does not have): the result is shifted by one pixel. Use the smaller "
                "one, need // 2.",
                result=_unless_same(_larger_padding, _usual_port)),
        Mistake("no_output_padding", "with k < stride TF's output (h * stride rows) is longer than the full "
                "scatter output ((h - 1) * stride + k rows); PyTorch gets those last stride - k rows (zeros, as in "
                "TF) only from output_padding = stride - k.",
                matches=lambda c, got, exp: c.args["k"] < c.args["stride"] and np.shape(got) == (4,)
                and got[0] == exp[0] and got[1] == 0),
        Mistake("tf_pads_as_crop", "your port is exact, but not the one asked for: PyTorch's padding can already "
                "remove the part of TF's padding that is the same at both ends (padding = need // 2, the top pad), "
                "which leaves only the odd row to crop, at the bottom.",
                result=lambda c: None if _port(**c.args)[0] == 0 else np.array(
                    [0, _port(**c.args)[1], *_tf_pads(**c.args)])),
    ),
    hints={"TypeError": "return the four numbers as an int array: np.array([padding, output_padding, top, bottom])."},
)


# --------------------------------------------------------------------------------------------------- 11. grouped

def _grouped_case(rng, n, groups, cg_in, cg_out, hw, k, stride, random=True):
    c_in, c_out = groups * cg_in, groups * cg_out
    return Case("grouped", {"x": _values(rng, (n, c_in) + hw), "w": _values(rng, (c_in, cg_out) + k),
                            "bias": _values(rng, (c_out,)), "stride": stride, "groups": groups}, random=random)


def _grouped_cases(rng):
    fixed = np.random.default_rng(11)
    cases = [_grouped_case(fixed, *v, random=False) for v in [
        (1, 2, 2, 2, (2, 2), (2, 2), 1),      # two groups of two channels each
        (1, 3, 1, 1, (3, 2), (3, 3), 2),      # depthwise: one channel per group
        (2, 2, 2, 3, (2, 3), (2, 2), 2),      # 4 channels in, 6 out
        (1, 3, 2, 2, (2, 2), (1, 2), 1),
        (1, 1, 2, 3, (2, 2), (2, 2), 2)]]     # groups=1: an ordinary layer
    for _ in range(N_RANDOM):
        cases.append(_grouped_case(rng, int(rng.integers(1, 3)), *(int(v) for v in rng.integers(1, 4, size=3)),
                                   tuple(int(v) for v in rng.integers(1, 5, size=2)),
                                   tuple(int(v) for v in rng.integers(1, 4, size=2)), int(rng.integers(1, 4))))
    return cases


def _grouped(x, w, bias, stride, groups):
    return te.conv_transpose2d(x, w, bias, stride=stride, groups=groups)


def _grouped_weight_layout(c, got, exp):
    """w read as Conv2d's (C_out, C_in/groups, kH, kW): within each group the (C_in/g, C_out/g) block transposed."""
    x, w, bias, stride, groups = c.args.values()
    (c_in, cg_out), cg_in = w.shape[:2], w.shape[0] // groups
    if cg_in != cg_out:    # C_out read from dim 0 (told by the shape where w.shape[1] is not C_in too)
        return c_in != cg_out and np.ndim(got) == 4 and np.shape(got)[1] == c_in != exp.shape[1]
    swapped = w.reshape((groups, cg_in, cg_in) + w.shape[2:]).transpose(0, 2, 1, 3, 4).reshape(w.shape)
    return _same_array(got, [_grouped(x, swapped, bias, stride, groups)])


def _grouped_bias(c, got, exp):
    x, w, bias, stride, groups = c.args.values()
    if groups == 1:
        return False
    y0, cg_out = _grouped(x, w, None, stride, groups), w.shape[1]
    return _same_array(got, [y0 + b.reshape(1, -1, 1, 1) for b in (
        np.tile(bias[:cg_out], groups),              # the first group's entries for every group
        np.repeat(bias[:groups], cg_out),            # one entry per group
        groups * bias)])                             # the whole bias added once per group


def _grouped_interleaved(c, got, exp):
    """Groups taken as every groups-th channel (x[:, g::groups]) instead of contiguous blocks."""
    x, w, bias, stride, groups = c.args.values()
    cg_in, cg_out = w.shape[0] // groups, w.shape[1]
    if groups == 1:
        return False
    every_in = [g + groups * i for g in range(groups) for i in range(cg_in)]
    every_out = [g + groups * o for g in range(groups) for o in range(cg_out)]
    candidates = [_grouped(x[:, every_in], w, bias, stride, groups),
                  _grouped(x[:, every_in], w[every_in], bias, stride, groups)]
    blocks = _grouped(x[:, every_in], w[every_in], None, stride, groups)
    out = np.empty_like(blocks)
    out[:, every_out] = blocks
    candidates.append(out + bias.reshape(1, -1, 1, 1))
    return _same_array(got, candidates)


GROUPED = Exercise(
    id="grouped", points=3,
    signature="grouped(x, w, bias, stride, groups) -> (N, w.shape[1] * groups, H_out, W_out) array",
    statement="A grouped transposed convolution by a loop over the groups: weight (C_in, C_out/groups, kH, kW), "
              "C_out = w.shape[1] * groups output channels, bias (C_out,).",
    functions={"grouped": "array"},
    cases=_grouped_cases,
    reference=lambda c: _grouped(**c.args),
    mistakes=(
        Mistake("out_channels", "your output has w.shape[1] channels: that is C_out / groups, the output channels "
                "of ONE group; the layer has C_out = w.shape[1] * groups, group g writing channels "
                "g * w.shape[1] to (g + 1) * w.shape[1] - 1.",
                matches=lambda c, got, exp: c.args["groups"] > 1 and c.args["w"].shape[1] != c.args["w"].shape[0]
                and np.shape(got) == (exp.shape[0], c.args["w"].shape[1]) + exp.shape[2:]),
        Mistake("weight_layout", "you read the weight as (C_out, C_in/groups, kH, kW), the layout of a Conv2d "
                "weight; a transposed convolution's weight is (C_in, C_out/groups, kH, kW): group g's weight is "
                "the rows w[g * C_in/groups:(g + 1) * C_in/groups], and w[c, o] links input channel c to output "
                "channel o of that group.", matches=_grouped_weight_layout),
        Mistake("bias_per_group", "your bias is added per group: it has C_out entries, one per output channel "
                "(group g's channels take bias[g * C_out/groups:(g + 1) * C_out/groups]); add each entry once.",
                matches=_grouped_bias),
        Mistake("interleaved", "your groups are every groups-th channel; a group is a contiguous block: group g "
                "takes input channels g * C_in/groups to (g + 1) * C_in/groups - 1 and writes output channels "
                "g * C_out/groups to (g + 1) * C_out/groups - 1.", matches=_grouped_interleaved),
    ),
    hints={"ArgumentError": "the library refused one group's arrays: group g is x[:, g*ci:(g+1)*ci] with the "
                            "weight rows w[g*ci:(g+1)*ci] (ci = C_in // groups), a (ci, C_out/groups, kH, kW) "
                            "weight, and bias[g*co:(g+1)*co] (co = w.shape[1]).",
           "IndexError": "an index ran past the end of an array: x has C_in = w.shape[0] channels, the output "
                         "C_out = w.shape[1] * groups."},
)


# ---------------------------------------------------------------------------------------- 12. resize_conv_kernel

def _resize_cases(rng):
    centre = np.zeros((3, 3))
    centre[1, 1] = 1
    cases = [Case("resize_conv_kernel", {"k3": k3}) for k3 in (
        centre,                                             # the conv does nothing: nearest x2 itself
        _a([[1, 2, 0], [0, 0, 0], [0, 0, -1]]), _a([[0, 1, 0], [0, 0, 2], [0, 0, 0]]),
        _a([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))]
    for _ in range(N_RANDOM):
        cases.append(Case("resize_conv_kernel", {"k3": _values(rng, (3, 3))}, random=True))
    return cases


def _resize_conv_kernel(k3):
    """The library's resize-conv of an impulse: a 1 at (1, 1) stamps the k=4, s=2, p=1 kernel at rows 1..4."""
    impulse = np.zeros((3, 3))
    impulse[1, 1] = 1
    return artifacts.resize_conv(impulse, k3, 2)[1:5, 1:5]


def _box_sums(k3):
    """Each 2x2 box of the 3x3 kernel padded with zeros, summed: (3, 3) -> (4, 4), no flip."""
    return te.conv_transpose2d(k3, np.ones((2, 2)))


def _zero_stuffed(k3):
    out = []
    for f in (k3, _flip(k3)):
        for top in (0, 1):
            for left in (0, 1):
                z = np.zeros((4, 4))
                z[top:top + 3, left:left + 3] = f
                out.append(z)
    return out


RESIZE_CONV_KERNEL = Exercise(
    id="resize_conv_kernel", points=2,
    signature="resize_conv_kernel(k3) -> (4, 4) array",
    statement="The 4x4 kernel of the transposed conv (stride 2, padding 1) that equals nearest-neighbour x2 "
              "upsampling followed by a 3x3 conv2d with padding 1 and the kernel k3.",
    functions={"resize_conv_kernel": "array"},
    cases=_resize_cases,
    reference=lambda c: _resize_conv_kernel(c.args["k3"]),
    mistakes=(
        Mistake("no_flip", "your kernel is built from k3 as it is (or flipped along one axis only): conv2d is a "
                "correlation and the transposed conv a scatter, so the 3x3 kernel enters rotated by 180 degrees, "
                "k3[::-1, ::-1], rows and columns reversed.",
                matches=lambda c, got, exp: _same_array(got, [_box_sums(v) for v in (
                    c.args["k3"], c.args["k3"][::-1], c.args["k3"][:, ::-1])])),
        Mistake("transposed", "your kernel is transposed (rows and columns swapped): a transposed convolution "
                "does not transpose its kernel; the 3x3 kernel is rotated by 180 degrees, k3[::-1, ::-1].",
                matches=lambda c, got, exp: _same_array(got, [_box_sums(c.args["k3"].T), exp.T])),
        Mistake("zero_stuffed", "you placed the 3x3 kernel in a 4x4 of zeros: nearest x2 repeats every pixel on a "
                "2x2 block, so each tap of the 4x4 kernel collects the (flipped) 3x3 taps of a 2x2 box: pad the "
                "flipped kernel with one zero on every side (5x5) and sum each of its 16 2x2 boxes.",
                matches=lambda c, got, exp: _same_array(got, _zero_stuffed(c.args["k3"]))),
        Mistake("box_mean", "you averaged the 2x2 boxes: nearest upsampling copies each pixel (it does not "
                "split it in four), so the taps of a box add up: sum them, do not divide by 4.",
                result=lambda c: _resize_conv_kernel(c.args["k3"]) / 4),
    ),
    hints={"ValueError": "the answer is one (4, 4) array: entry (a, b) is the sum of the flipped kernel "
                         "k3[::-1, ::-1], padded with one zero on every side, over the 2x2 box at (a, b)."},
)


EXERCISES = {e.id: e for e in (SCATTER_2D, SCATTER_STRIDED, OUTPUT_SIZE, CONV_MATRIX, ZERO_INSERTION, INPUT_GRADIENT,
                                OVERLAP, MULTI_CHANNEL, BILINEAR_KERNEL, PORT_TF_SAME, GROUPED, RESIZE_CONV_KERNEL)}
