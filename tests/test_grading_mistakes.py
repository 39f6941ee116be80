"""Every wrong answer listed for an exercise is rejected, and the report names that mistake.

Each function below is what a learner who makes the mistake would write; the checks draw fresh random cases on
every run, as they do for learners.
"""
import re

import numpy as np
import pytest

import tconv_edu as te
from own_tconv import own_tconv
from tconv_edu.grading import EXERCISES, check


def rejected(exercise_id, answer):
    """The failure report of ``check`` (the test fails if the answer passes)."""
    with pytest.raises(AssertionError) as info:
        check(exercise_id, answer)
    return str(info.value)


def diagnosis(exercise_id, name):
    (m,) = [m for m in EXERCISES[exercise_id].mistakes if m.name == name]
    return m.diagnosis


def assert_named(exercise_id, answer, name):
    report = rejected(exercise_id, answer)
    assert report.startswith(f"{exercise_id}: ")
    assert "Smallest failing case" in report and "expected" in report
    assert named(report, exercise_id, name), report


def named(report, exercise_id, name):
    """Whether the report names the mistake (first or among the others, with or without its share of cases)."""
    share = r"( \(\d+ of the \d+ failing cases\))?: "
    return re.search(r"^(Likely mistake|Also possible)" + share + re.escape(diagnosis(exercise_id, name)) + "$",
                     report, re.M) is not None


# ----------------------------------------------------------------------------------------------- scatter_2d

def scatter_2d_assign(x, k):
    H, W = x.shape
    kH, kW = k.shape
    y = np.zeros((H + kH - 1, W + kW - 1))
    for i in range(H):
        for j in range(W):
            for a in range(kH):
                for b in range(kW):
                    y[i + a, j + b] = x[i, j] * k[a, b]
    return y


def scatter_2d_too_large(x, k):
    H, W = x.shape
    kH, kW = k.shape
    y = np.zeros((H + kH, W + kW))
    for i in range(H):
        for j in range(W):
            y[i:i + kH, j:j + kW] += x[i, j] * k
    return y


def scatter_2d_too_small(x, k):
    H, W = x.shape
    kH, kW = k.shape
    Ho, Wo = H + kH - 2, W + kW - 2
    y = np.zeros((Ho, Wo))
    for i in range(H):
        for j in range(W):
            for a in range(kH):
                for b in range(kW):
                    if i + a < Ho and j + b < Wo:
                        y[i + a, j + b] += x[i, j] * k[a, b]
    return y


def scatter_2d_flipped(x, k):
    H, W = x.shape
    kH, kW = k.shape
    y = np.zeros((H + kH - 1, W + kW - 1))
    for i in range(H):
        for j in range(W):
            y[i:i + kH, j:j + kW] += x[i, j] * k[::-1, ::-1]
    return y


def test_scatter_2d_assign_instead_of_add():
    assert_named("scatter_2d", scatter_2d_assign, "assign")


def test_scatter_2d_one_pixel_too_large():
    assert_named("scatter_2d", scatter_2d_too_large, "size")


def test_scatter_2d_one_pixel_too_small():
    assert_named("scatter_2d", scatter_2d_too_small, "size")


def test_scatter_2d_kernel_flipped():
    assert_named("scatter_2d", scatter_2d_flipped, "flipped")


# ------------------------------------------------------------------------------------------ scatter_strided

def _full(x, k, s, kernel_step=1):
    H, W = x.shape
    kH, kW = k.shape
    y = np.zeros(((H - 1) * s + (kH - 1) * kernel_step + 1, (W - 1) * s + (kW - 1) * kernel_step + 1))
    for i in range(H):
        for j in range(W):
            for a in range(kH):
                for b in range(kW):
                    y[i * s + a * kernel_step, j * s + b * kernel_step] += x[i, j] * k[a, b]
    return y


def strided_pad_input(x, k, stride, padding):
    return _full(np.pad(x, padding), k, stride)


def strided_crop_one_side(x, k, stride, padding):
    return _full(x, k, stride)[padding:, padding:]


def strided_stride_on_kernel(x, k, stride, padding):
    y = _full(x, k, stride, kernel_step=stride)
    return y[padding:y.shape[0] - padding, padding:y.shape[1] - padding]


def test_scatter_strided_pads_the_input():
    assert_named("scatter_strided", strided_pad_input, "pad_input")


def test_scatter_strided_crops_one_side():
    assert_named("scatter_strided", strided_crop_one_side, "crop_one_side")


def test_scatter_strided_stride_on_the_kernel_offset():
    assert_named("scatter_strided", strided_stride_on_kernel, "stride_on_kernel")


# ---------------------------------------------------------------------------------------------- output_size

def _validated(formula, check_output_padding=True, keras=False):
    def output_size(h, k, stride, padding, output_padding, dilation):
        if stride < 1 or dilation < 1 or padding < 0 or output_padding < 0:
            raise ValueError("bad parameter")
        if check_output_padding and not (output_padding < stride or (output_padding < dilation and not keras)):
            raise ValueError("output_padding too large")
        size = formula(h, k, stride, padding, output_padding, dilation)
        if size < 1:
            raise ValueError("nothing left")
        return size
    return output_size


def test_output_size_missing_plus_one():
    f = _validated(lambda h, k, s, p, op, d: (h - 1) * s - 2 * p + d * (k - 1) + op)
    assert_named("output_size", f, "plus_one")


def test_output_size_ignores_dilation():
    f = _validated(lambda h, k, s, p, op, d: (h - 1) * s - 2 * p + (k - 1) + op + 1)
    assert_named("output_size", f, "dilation")


def test_output_size_accepts_output_padding_too_large():
    f = _validated(lambda h, k, s, p, op, d: (h - 1) * s - 2 * p + d * (k - 1) + op + 1, check_output_padding=False)
    assert_named("output_size", f, "output_padding_rule")


def test_output_size_keras_rule():
    f = _validated(lambda h, k, s, p, op, d: (h - 1) * s - 2 * p + d * (k - 1) + op + 1, keras=True)
    assert_named("output_size", f, "keras_rule")


# ---------------------------------------------------------------------------------------------- conv_matrix

def _matrix(input_shape, k, stride, op):
    H, W = input_shape
    cols = []
    for j in range(H * W):
        e = np.zeros(H * W)
        e[j] = 1
        cols.append(op(e.reshape(H, W), k, stride=stride).ravel())
    return np.stack(cols, axis=1)


def matrix_transposed(input_shape, k, stride):
    return _matrix(input_shape, k, stride, te.conv2d).T


def matrix_of_the_transposed_conv(input_shape, k, stride):
    return _matrix(input_shape, k, stride, te.conv_transpose2d)


def matrix_flipped(input_shape, k, stride):
    return _matrix(input_shape, k[::-1, ::-1], stride, te.conv2d)


def test_conv_matrix_returns_C_transposed():
    assert_named("conv_matrix", matrix_transposed, "transposed")


def test_conv_matrix_of_the_transposed_convolution():
    assert_named("conv_matrix", matrix_of_the_transposed_conv, "transposed")


def test_conv_matrix_kernel_flipped():
    assert_named("conv_matrix", matrix_flipped, "flipped")


# ------------------------------------------------------------------------------------------- zero_insertion

def _zero_insertion(x, k, stride, padding, *, flip=True, gap=None, pad=None):
    H, W = x.shape
    kH, kW = k.shape
    step = stride if gap is None else gap + 1
    z = np.zeros(((H - 1) * step + 1, (W - 1) * step + 1))
    z[::step, ::step] = x
    ph, pw = (kH - 1 - padding, kW - 1 - padding) if pad is None else pad
    z = np.pad(z, ((ph, ph), (pw, pw)))
    return te.conv2d(z, k[::-1, ::-1] if flip else k)


def zero_insertion_no_flip(x, k, stride, padding):
    return _zero_insertion(x, k, stride, padding, flip=False)


def zero_insertion_stride_zeros(x, k, stride, padding):
    return _zero_insertion(x, k, stride, padding, gap=stride)


def zero_insertion_pad_k_minus_1(x, k, stride, padding):
    return _zero_insertion(x, k, stride, padding, pad=(k.shape[0] - 1, k.shape[1] - 1))


def test_zero_insertion_no_flip():
    report = rejected("zero_insertion", zero_insertion_no_flip)
    assert ("your result matches the correlation with the unflipped kernel: the zero-insertion view needs the "
            "kernel rotated by 180 degrees") in report


def test_zero_insertion_inserts_stride_zeros():
    assert_named("zero_insertion", zero_insertion_stride_zeros, "stride_zeros")


def test_zero_insertion_pads_k_minus_1_whatever_the_padding():
    assert_named("zero_insertion", zero_insertion_pad_k_minus_1, "pad_k_minus_1")


# ------------------------------------------------------------------------------------------- input_gradient

def gradient_without_output_padding(g, w, stride, padding, input_shape):
    return te.conv_transpose2d(g, w, stride=stride, padding=padding)


def test_input_gradient_output_padding_always_0():
    report = rejected("input_gradient", gradient_without_output_padding)
    assert "expected shape" in report
    assert named(report, "input_gradient", "output_padding")


# -------------------------------------------------------------------------------------------------- overlap

def overlap(n, k, stride):
    counts = np.zeros((n - 1) * stride + k, dtype=int)
    for i in range(n):
        counts[i * stride:i * stride + k] += 1
    return counts


def uniform_if_k_at_least_stride(k, stride):
    return k >= stride


def test_overlap_uniform_k_at_least_stride():
    report = rejected("overlap", (overlap, uniform_if_k_at_least_stride))
    assert "uniform(k, stride) with" in report
    assert named(report, "overlap", "k_ge_stride")


# -------------------------------------------------------------------------------------------- multi_channel

def multi_channel_weight_as_out_in(x, w, bias, stride):
    N, C_in, H, W = x.shape
    C_out, _, kH, kW = w.shape          # the mistake: a Conv2d weight's layout
    y = np.zeros((N, C_out, (H - 1) * stride + kH, (W - 1) * stride + kW))
    for n in range(N):
        for o in range(C_out):
            for c in range(C_in):
                for i in range(H):
                    for j in range(W):
                        y[n, o, i * stride:i * stride + kH, j * stride:j * stride + kW] += x[n, c, i, j] * w[o, c]
            y[n, o] += bias[o]
    return y


def multi_channel_bias_per_input_channel(x, w, bias, stride):
    N, C_in, H, W = x.shape
    _, C_out, kH, kW = w.shape
    y = np.zeros((N, C_out, (H - 1) * stride + kH, (W - 1) * stride + kW))
    for n in range(N):
        for c in range(C_in):
            for o in range(C_out):
                for i in range(H):
                    for j in range(W):
                        y[n, o, i * stride:i * stride + kH, j * stride:j * stride + kW] += x[n, c, i, j] * w[c, o]
                y[n, o] += bias[o]
    return y


def test_multi_channel_weight_read_as_out_in():
    assert_named("multi_channel", multi_channel_weight_as_out_in, "weight_layout")


def test_multi_channel_bias_per_input_channel():
    assert_named("multi_channel", multi_channel_bias_per_input_channel, "bias_per_input")


def test_every_listed_mistake_has_a_test():
    tested = {("scatter_2d", "assign"), ("scatter_2d", "size"), ("scatter_2d", "flipped"),
              ("scatter_strided", "pad_input"), ("scatter_strided", "crop_one_side"),
              ("scatter_strided", "stride_on_kernel"), ("output_size", "plus_one"), ("output_size", "dilation"),
              ("output_size", "output_padding_rule"), ("output_size", "keras_rule"), ("conv_matrix", "transposed"),
              ("conv_matrix", "flipped"), ("zero_insertion", "no_flip"), ("zero_insertion", "stride_zeros"),
              ("zero_insertion", "pad_k_minus_1"), ("input_gradient", "output_padding"), ("overlap", "k_ge_stride"),
              ("multi_channel", "weight_layout"), ("multi_channel", "bias_per_input"), ("multi_channel", "no_bias"),
              ("scatter_strided", "crop_minus_p"), ("output_size", "no_checks"), ("input_gradient", "zero_rows"),
              ("multi_channel", "sum_channels_first")}
    assert {(e.id, m.name) for e in EXERCISES.values() for m in e.mistakes} == tested


def test_multi_channel_without_bias():
    def no_bias(x, w, bias, stride):
        return own_tconv(x, w, stride=stride)
    assert_named("multi_channel", no_bias, "no_bias")


# ------------------------------------------------------------------- mistakes added with the out-of-kernel judge

def strided_crop_minus_p(x, k, stride, padding):
    full = own_tconv(x, k, stride=stride)
    return full[padding:-padding, padding:-padding]         # empty for padding 0


def test_scatter_strided_crop_with_minus_p():
    assert_named("scatter_strided", strided_crop_minus_p, "crop_minus_p")


def test_output_size_without_any_check():
    def f(h, k, stride, padding, output_padding, dilation):
        return (h - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    assert_named("output_size", f, "no_checks")


def test_two_mistakes_in_one_answer_are_both_named():
    def f(h, k, stride, padding, output_padding, dilation):          # no + 1, and no check at all
        return (h - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding
    report = rejected("output_size", f)
    assert named(report, "output_size", "plus_one") and named(report, "output_size", "no_checks"), report


def test_input_gradient_output_padding_rows_of_zeros():
    def zero_rows(g, w, stride, padding, input_shape):
        y = te.conv_transpose2d(g, w, stride=stride, padding=padding)
        return np.pad(y, ((0, 0), (0, 0), (0, input_shape[0] - y.shape[2]), (0, input_shape[1] - y.shape[3])))
    assert_named("input_gradient", zero_rows, "zero_rows")


def test_multi_channel_channels_summed_before_the_stamp():
    def summed(x, w, bias, stride):
        return own_tconv(x.sum(axis=1, keepdims=True), w.sum(axis=0, keepdims=True), bias, stride=stride)
    assert_named("multi_channel", summed, "sum_channels_first")


@pytest.mark.parametrize("exercise_id", ["scatter_2d", "scatter_strided", "zero_insertion", "multi_channel"])
def test_library_free_exercises_refuse_the_library_in_check(exercise_id):
    answers = {"scatter_2d": lambda x, k: te.conv_transpose2d(x, k),
               "scatter_strided": lambda x, k, stride, padding: te.FORMS["direct"](x, k, stride=stride,
                                                                                   padding=padding),
               "zero_insertion": lambda x, k, stride, padding: te.matrix.conv_transpose2d(x, k, stride=stride,
                                                                                          padding=padding),
               "multi_channel": lambda x, w, bias, stride: te.conv_transpose2d(x, w, bias, stride=stride)}
    report = rejected(exercise_id, answers[exercise_id])
    assert "your function called the library's transposed convolution" in report, report
