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


# ----------------------------------------------------------------------------------------------- scatter_1d

def scatter_1d_written(x, k, stride, padding, output_padding, dilation, *, tap=None, add=True, crop=None, pad_input=0,
                       zero_tail=False, extra=0):
    """A learner's 1-D loop with one thing changed: the tap spacing, '=' for '+=', the crop, the input padded, the
    output_padding entries left at zero, or the length."""
    x = np.pad(x, pad_input)
    L, K = len(x), len(k)
    tap = dilation if tap is None else tap
    full = np.zeros((L - 1) * stride + tap * (K - 1) + 1 + output_padding + extra)
    for i in range(L):
        for a in range(K):
            if add:
                full[i * stride + a * tap] += x[i] * k[a]
            else:
                full[i * stride + a * tap] = x[i] * k[a]
    if zero_tail and output_padding:      # the stamps written without output_padding's entries, zeros appended
        full = full[:len(full) - output_padding]
        return np.concatenate([full[padding:len(full) - padding], np.zeros(output_padding)])
    lo, hi = (padding, padding) if crop is None else crop
    return full[lo:len(full) - hi]


@pytest.mark.parametrize("name, change", [
    ("assign", dict(add=False)),
    ("no_dilation", dict(tap=1)),
    ("pad_input", None),
    ("crop_one_side", None),
    ("output_padding_zeros", dict(zero_tail=True)),
    ("size", dict(extra=1)),
    ("stride_on_kernel", None),
])
def test_scatter_1d_mistakes(name, change):
    def answer(x, k, stride, padding, output_padding, dilation):
        args = (x, k, stride, padding, output_padding, dilation)
        if name == "pad_input":      # padding pads the input, nothing is cropped
            return scatter_1d_written(*args, pad_input=padding, crop=(0, 0))
        if name == "crop_one_side":  # 2 * padding from the end only
            return scatter_1d_written(*args, crop=(0, 2 * padding))
        if name == "stride_on_kernel":
            return scatter_1d_written(*args, tap=stride * dilation)
        return scatter_1d_written(*args, **change)
    assert_named("scatter_1d", answer, name)


def test_scatter_1d_written_right_passes():
    check("scatter_1d", scatter_1d_written)


def test_every_listed_mistake_has_a_test():
    tested = {("scatter_2d", "assign"), ("scatter_2d", "size"), ("scatter_2d", "flipped"),
              ("scatter_strided", "pad_input"), ("scatter_strided", "crop_one_side"),
              ("scatter_strided", "stride_on_kernel"), ("output_size", "plus_one"), ("output_size", "dilation"),
              ("output_size", "output_padding_rule"), ("output_size", "keras_rule"), ("conv_matrix", "transposed"),
              ("conv_matrix", "flipped"), ("zero_insertion", "no_flip"), ("zero_insertion", "stride_zeros"),
              ("zero_insertion", "pad_k_minus_1"), ("input_gradient", "output_padding"), ("overlap", "k_ge_stride"),
              ("multi_channel", "weight_layout"), ("multi_channel", "bias_per_input"), ("multi_channel", "no_bias"),
              ("scatter_strided", "crop_minus_p"), ("output_size", "no_checks"), ("input_gradient", "zero_rows"),
              ("multi_channel", "sum_channels_first"), ("bilinear_kernel", "all_pairs"),
              ("bilinear_kernel", "off_centre"), ("bilinear_kernel", "factor"), ("port_tf_same", "usual_port"),
              ("port_tf_same", "crop_wrong_side"), ("port_tf_same", "larger_padding"),
              ("port_tf_same", "no_output_padding"), ("port_tf_same", "tf_pads_as_crop"), ("grouped", "out_channels"),
              ("grouped", "weight_layout"), ("grouped", "bias_per_group"), ("grouped", "interleaved"),
              ("resize_conv_kernel", "no_flip"), ("resize_conv_kernel", "transposed"),
              ("resize_conv_kernel", "zero_stuffed"), ("resize_conv_kernel", "box_mean"), ("scatter_1d", "assign"),
              ("scatter_1d", "no_dilation"), ("scatter_1d", "pad_input"), ("scatter_1d", "crop_one_side"),
              ("scatter_1d", "output_padding_zeros"), ("scatter_1d", "size"), ("scatter_1d", "stride_on_kernel")}
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


# ------------------------------------------------------------------------------------------- bilinear_kernel

def _bilinear(k, channels, *, centre=None, factor=None, every_pair=False):
    f = (k + 1) // 2 if factor is None else factor
    c = (k - 1) / 2 if centre is None else centre
    taps = 1 - np.abs(np.arange(k) - c) / f
    w = np.zeros((channels, channels, k, k))
    for i in range(channels):
        for o in range(channels):
            if every_pair or i == o:
                w[i, o] = np.outer(taps, taps)
    return w


def test_bilinear_kernel_every_channel_pair_filled():
    assert_named("bilinear_kernel", lambda k, channels: _bilinear(k, channels, every_pair=True), "all_pairs")


@pytest.mark.parametrize("centre", [lambda k: k / 2, lambda k: k // 2, lambda k: (k - 1) // 2])
def test_bilinear_kernel_centre_off_by_half_a_pixel(centre):
    assert_named("bilinear_kernel", lambda k, channels: _bilinear(k, channels, centre=centre(k)), "off_centre")


def test_bilinear_kernel_triangle_of_the_wrong_width():
    assert_named("bilinear_kernel", lambda k, channels: _bilinear(k, channels, factor=k / 2), "factor")


# ---------------------------------------------------------------------------------------------- port_tf_same

def _port(h, k, stride, *, pad="top", output_padding=True, crop_at_top=False):
    need = max(0, (h - 1) * stride + k - h * stride)
    top, bottom = need // 2, need - need // 2
    padding = {"top": top, "bottom": bottom, "none": 0}[pad]
    size = (h - 1) * stride + k - 2 * padding
    op = max(0, h * stride - size) if output_padding else 0
    if pad == "none":
        return np.array([0, op, top, bottom])
    extra = size + op - h * stride
    return np.array([padding, op, extra, 0] if crop_at_top else [padding, op, 0, extra])


def test_port_tf_same_the_usual_recipe():
    assert_named("port_tf_same", lambda h, k, stride: np.array([(k - 1) // 2, stride - 1, 0, 0]), "usual_port")


def test_port_tf_same_crops_the_odd_row_at_the_top():
    assert_named("port_tf_same", lambda h, k, stride: _port(h, k, stride, crop_at_top=True), "crop_wrong_side")


def test_port_tf_same_padding_the_larger_pad():
    assert_named("port_tf_same", lambda h, k, stride: _port(h, k, stride, pad="bottom"), "larger_padding")


def test_port_tf_same_without_output_padding():
    assert_named("port_tf_same", lambda h, k, stride: _port(h, k, stride, output_padding=False),
                 "no_output_padding")


def test_port_tf_same_exact_but_crops_everything():
    assert_named("port_tf_same", lambda h, k, stride: _port(h, k, stride, pad="none"), "tf_pads_as_crop")


def test_port_tf_same_a_tuple_is_told_to_be_an_array():
    report = rejected("port_tf_same", lambda h, k, stride: tuple(_port(h, k, stride).tolist()))
    assert "got tuple" in report and "np.array" in report


# --------------------------------------------------------------------------------------------------- grouped

def test_grouped_output_channels_of_one_group():
    def one_group_of_channels(x, w, bias, stride, groups):
        ci, co = w.shape[0] // groups, w.shape[1]
        y = 0
        for g in range(groups):                          # the mistake: every group writes the same co channels
            y = y + te.conv_transpose2d(x[:, g * ci:(g + 1) * ci], w[g * ci:(g + 1) * ci], stride=stride)
        return y + bias[:co].reshape(1, -1, 1, 1)
    assert_named("grouped", one_group_of_channels, "out_channels")


def test_grouped_weight_read_as_conv2d_layout():
    def conv2d_layout(x, w, bias, stride, groups):
        co, ci = w.shape[0] // groups, w.shape[1]        # the mistake: Conv2d's (C_out, C_in/groups, kH, kW)
        channels = []
        for g in range(groups):
            for o in range(co):
                y = sum(te.conv_transpose2d(x[:, g * ci + c:g * ci + c + 1], w[g * co + o:g * co + o + 1, c:c + 1],
                                            stride=stride) for c in range(ci))
                channels.append(y + bias[g * co + o])
        return np.concatenate(channels, axis=1)
    assert_named("grouped", conv2d_layout, "weight_layout")


def test_grouped_bias_of_the_first_group_for_every_group():
    def first_bias(x, w, bias, stride, groups):
        ci, co = w.shape[0] // groups, w.shape[1]
        return np.concatenate([te.conv_transpose2d(x[:, g * ci:(g + 1) * ci], w[g * ci:(g + 1) * ci], bias[:co],
                                                   stride=stride) for g in range(groups)], axis=1)
    assert_named("grouped", first_bias, "bias_per_group")


def test_grouped_every_groups_th_channel():
    def interleaved(x, w, bias, stride, groups):
        parts = [te.conv_transpose2d(x[:, g::groups], w[g::groups], stride=stride) for g in range(groups)]
        return np.concatenate(parts, axis=1) + bias.reshape(1, -1, 1, 1)
    assert_named("grouped", interleaved, "interleaved")


# ---------------------------------------------------------------------------------------- resize_conv_kernel

def _box_sums(k3):
    f = np.pad(k3, 1)
    return f[:-1, :-1] + f[:-1, 1:] + f[1:, :-1] + f[1:, 1:]


def test_resize_conv_kernel_not_flipped():
    assert_named("resize_conv_kernel", _box_sums, "no_flip")


def test_resize_conv_kernel_flipped_rows_only():
    assert_named("resize_conv_kernel", lambda k3: _box_sums(k3[::-1]), "no_flip")


def test_resize_conv_kernel_transposed_instead_of_flipped():
    assert_named("resize_conv_kernel", lambda k3: _box_sums(k3.T), "transposed")


def test_resize_conv_kernel_zero_stuffed():
    def stuffed(k3):
        k4 = np.zeros((4, 4))
        k4[1:, 1:] = k3[::-1, ::-1]
        return k4
    assert_named("resize_conv_kernel", stuffed, "zero_stuffed")


def test_resize_conv_kernel_boxes_averaged():
    assert_named("resize_conv_kernel", lambda k3: _box_sums(k3[::-1, ::-1]) / 4, "box_mean")


def test_resize_conv_kernel_one_mistake_is_not_named_for_another():
    report = rejected("resize_conv_kernel", _box_sums)
    for other in ("transposed", "zero_stuffed", "box_mean"):
        assert not named(report, "resize_conv_kernel", other), report
