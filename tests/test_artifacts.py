"""Overlap counts and unevenness, against hand counts and brute force; resize-convolution, the remedy."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tconv_edu as te
from tconv_edu import artifacts, frameworks, scatter, steps
from tconv_edu.artifacts import resize_conv, upsample_nearest

try:
    import torch
except ImportError:                                   # the torch comparison skips; the rest runs on numpy
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def brute_overlap_1d(n, k, s):
    c = np.zeros((n - 1) * s + k, dtype=int)
    for i in range(n):
        c[i * s:i * s + k] += 1
    return c


@given(st.integers(1, 9), st.integers(1, 7), st.integers(1, 5))
def test_overlap_1d_counts_stamps(n, k, s):
    assert np.array_equal(artifacts.overlap_1d(n, k, s), brute_overlap_1d(n, k, s))


@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 4))
def test_overlap_2d_is_the_outer_product(n, k, s):
    c = artifacts.overlap_1d(n, k, s)
    assert np.array_equal(artifacts.overlap_2d(n, k, s), np.outer(c, c))


@given(st.integers(1, 7), st.integers(1, 4))
def test_interior_is_even_exactly_when_k_divisible_by_s(k, s):
    n = 2 * k + 3 * s + 2
    u = artifacts.unevenness(artifacts.overlap_1d(n, k, s), s, margin=k - 1)
    assert (u == 0) == artifacts.uniform(k, s)
    u2 = artifacts.unevenness(artifacts.overlap_2d(n, k, s), s, margin=k - 1)
    assert (u2 == 0) == artifacts.uniform(k, s)


def test_unevenness_hand_values():
    assert artifacts.unevenness([1, 2, 1, 2, 1, 2], 2) == pytest.approx(2 / 3)
    assert artifacts.unevenness(np.array([[4, 2], [2, 1]] * 1).repeat(1, 0), 2) == pytest.approx(3 / 2.25)
    assert list(artifacts.phase_means([9, 1, 2, 1, 2, 9], 2, margin=1)) == [2, 1]  # phases from the origin


def test_unevenness_errors_name_the_argument():
    with pytest.raises(te.ArgumentError, match="margin=3"):
        artifacts.unevenness(np.ones(6), 2, margin=3)
    with pytest.raises(te.ArgumentError, match="mean is 0"):
        artifacts.unevenness(np.zeros(6), 2)
    with pytest.raises(te.ArgumentError, match="period=0"):
        artifacts.phase_means(np.ones(6), 0)
    with pytest.raises(TypeError, match="period"):
        artifacts.phase_means(np.ones(6), 2.0)
    with pytest.raises(te.ArgumentError, match="stride=0"):
        artifacts.uniform(3, 0)


@pytest.mark.parametrize("call, match", [
    (lambda: artifacts.overlap_1d(-1, 3, 2), "n=-1: must be >= 1"),
    (lambda: artifacts.overlap_1d(4, 0, 2), "k=0: must be >= 1"),
    (lambda: artifacts.overlap_2d((2, -2), 3, 2), r"n=\(2, -2\): must be >= 1"),
    (lambda: artifacts.overlap_2d(3, (0, 3), 2), r"k=\(0, 3\): must be >= 1"),
])
def test_overlap_sizes_below_one_are_named(call, match):
    """Not numpy's "negative dimensions are not allowed" from deep inside."""
    with pytest.raises(te.ArgumentError, match=match):
        call()


@pytest.mark.parametrize("y", ["abcd", [1 + 2j, 3, 4, 5]])
def test_phase_means_of_a_non_real_array_is_a_type_error_naming_y(y):
    with pytest.raises(TypeError, match="^y: expected a"):
        artifacts.phase_means(y, 2)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),
       st.data())
def test_scatter_steps_sum_to_the_transposed_conv(h, w, s, p, d, data):
    rng = np.random.default_rng(h * 100 + w * 10 + s)
    x, k = rng.integers(-3, 4, (h, w)), rng.integers(-3, 4, (2, 3))
    op = data.draw(st.integers(0, max(s, d) - 1))
    kw = dict(stride=s, padding=p, output_padding=op, dilation=d)
    try:
        want = te.conv_transpose2d(x, k, **kw)
    except te.ArgumentError:
        with pytest.raises(te.ArgumentError):
            steps.scatter_step(x, k, 0, **kw)
        return
    stamps = [steps.scatter_step(x, k, t, **kw) for t in range(x.size)]
    assert np.allclose(sum(st_.stamp for st_ in stamps), stamps[-1].total)
    assert np.allclose(stamps[-1].output, want)


def test_keras_rule_and_its_output_padding_check():
    assert frameworks.keras_output_size(4, 3, strides=2, padding="same") == (8, 8)
    assert frameworks.keras_output_size(4, 3, strides=2, padding="same", output_padding=0) == (7, 7)
    assert frameworks.keras_output_size(4, 3, strides=2, padding="same", output_padding=1) == (8, 8)
    assert frameworks.keras_output_size(4, 3, strides=2, padding="valid") == (9, 9)
    assert frameworks.keras_output_size((4, 5), 3, strides=2, padding="valid", dilation_rate=2) == (11, 13)
    # Keras' 'same' with output_padding equals PyTorch with padding k//2 (odd k)
    assert frameworks.keras_output_size(4, 3, strides=2, padding="same", output_padding=1) == \
        te.output_size(4, 3, stride=2, padding=1, output_padding=1)
    with pytest.raises(te.ArgumentError, match="lower than the stride"):
        frameworks.keras_output_size(4, 3, strides=1, padding="same", output_padding=1, dilation_rate=2)
    with pytest.raises(te.ArgumentError, match="padding='full'"):
        frameworks.keras_output_size(4, 3, padding="full")


@given(st.integers(1, 9), st.integers(1, 5), st.integers(1, 4), st.sampled_from(["same", "valid"]))
def test_keras_default_size_is_a_valid_tf_size(n, k, s, mode):
    size = frameworks.keras_output_size(n, k, strides=s, padding=mode)[0]
    lo, hi = te.tf_output_size_range(n, k, stride=s, padding=mode.upper())[0]
    assert lo <= size <= hi


# --------------------------------------------------------------------------------------- resize-convolution

@needs_torch
@pytest.mark.parametrize("k, scale", [(3, 2), (4, 2), (5, 3), (1, 2)])
def test_resize_conv_matches_torch(k, scale):
    rng = np.random.default_rng(k)
    x, w, b = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((4, 3, k, k)), rng.standard_normal(4)
    t = torch.nn.functional.interpolate(torch.from_numpy(x), scale_factor=scale, mode="nearest")
    assert np.array_equal(upsample_nearest(x, scale), t.numpy())
    t = torch.nn.functional.pad(t, ((k - 1) // 2, k // 2, (k - 1) // 2, k // 2))
    want = torch.nn.functional.conv2d(t, torch.from_numpy(w), torch.from_numpy(b)).numpy()
    got = resize_conv(x, w, scale, b)
    assert got.shape == (2, 4, 5 * scale, 4 * scale)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k, s", [(3, 2), (5, 2), (5, 3)])
def test_resize_conv_has_no_checkerboard_where_transposed_conv_has(k, s):
    # a flat input through a flat kernel: the transposed conv's interior is uneven when k % s != 0, resize-conv's is not
    x = np.ones((6, 6))
    y = scatter.conv_transpose2d(x, np.ones((k, k)), stride=s)[k:-k, k:-k]
    assert y.max() > y.min()
    z = resize_conv(x, np.ones((k, k)), s)[k:-k, k:-k]
    assert z.max() == z.min() == k * k


@pytest.mark.parametrize("call, words", [
    (lambda: upsample_nearest(np.ones((2, 2)), 0), ["scale=0", ">= 1"]),
    (lambda: resize_conv(np.ones((1, 2, 3, 3)), np.ones((1, 3, 3, 3)), 2), ["weight", "C_in"]),
])
def test_resize_conv_errors_name_the_argument(call, words):
    with pytest.raises(te.ArgumentError) as err:
        call()
    for word in words:
        assert word in str(err.value)


def test_resize_conv_checks_the_weight_before_upsampling():
    with pytest.raises(te.ArgumentError, match=r"weight: expected a conv2d weight .* got shape \(1, 3, 3\)"):
        resize_conv(np.ones((4, 4)), np.ones((1, 3, 3)), 0)       # scale 0 would be reported otherwise


@pytest.mark.parametrize("hw", [(1, 1), (2, 3), (5, 4)])
def test_nearest_x2_then_3x3_is_a_k4_s2_p1_transposed_conv_borders_included(hw):
    # the 4x4 kernel: the 180-degree-flipped 3x3 kernel, padded with one zero, summed over each 2x2 box
    rng = np.random.default_rng(sum(hw))
    k3 = rng.standard_normal((3, 3))
    f = np.pad(k3[::-1, ::-1], 1)
    k4 = f[:-1, :-1] + f[:-1, 1:] + f[1:, :-1] + f[1:, 1:]
    x = rng.standard_normal(hw)
    y = te.conv_transpose2d(x, k4, stride=2, padding=1)
    assert y.shape == (2 * hw[0], 2 * hw[1])
    np.testing.assert_allclose(y, resize_conv(x, k3, 2), rtol=1e-12, atol=1e-12)     # every pixel, borders too
    # channels: Conv2d's (C_out, C_in) weight becomes the transposed conv's (C_in, C_out), kernel by kernel
    w3 = rng.standard_normal((2, 3, 3, 3))
    fw = np.pad(w3[..., ::-1, ::-1], ((0, 0), (0, 0), (1, 1), (1, 1)))
    w4 = (fw[..., :-1, :-1] + fw[..., :-1, 1:] + fw[..., 1:, :-1] + fw[..., 1:, 1:]).transpose(1, 0, 2, 3)
    xc = rng.standard_normal((2, 3) + hw)
    np.testing.assert_allclose(te.conv_transpose2d(xc, w4, stride=2, padding=1), resize_conv(xc, w3, 2),
                               rtol=1e-12, atol=1e-12)
