"""Hand-worked integer cases: each expected array below was worked out on paper from
``Y[i*s + a*d, j*s + b*d] += X[i, j] * K[a, b]``, then cropped by ``padding``."""
import numpy as np
import pytest

import tconv_edu as te
from tconv_edu.scatter import conv_transpose2d_naive

CPU_FORMS = [m for m in te.FORMS if m != "gpu"]
X = np.array([[1, 2], [3, 4]])
K_SEED = np.array([[0, 1], [1, 0]])
ONES3 = np.ones((3, 3), dtype=int)


def run_all(x, k, **params):
    """The loop version (2-D only) and every CPU form, each result beside its name."""
    out = {m: te.conv_transpose2d(x, k, method=m, **params) for m in CPU_FORMS}
    out["naive"] = conv_transpose2d_naive(x, k, **params)
    return out


def assert_all(expected, x, k, **params):
    expected = np.array(expected, dtype=float)
    for name, got in run_all(x, k, **params).items():
        assert got.dtype == np.float64, name          # integer input computes in float64
        np.testing.assert_array_equal(got, expected, err_msg=name)


def test_seed_article_example_stride_1():
    # Y[0:2, 0:2] += 1*K, Y[0:2, 1:3] += 2*K, Y[1:3, 0:2] += 3*K, Y[1:3, 1:3] += 4*K
    assert_all([[0, 1, 2],
                [1, 5, 4],
                [3, 4, 0]], X, K_SEED)


def test_why_the_article_4x4_cannot_be_right():
    """Without padding every product X[i,j]*K[a,b] lands in the output exactly once, so the output sums to
    sum(X) * sum(K) = 10 * 2 = 20. The article's 4x4 grid sums to 42, and the size rule says 3x3, not 4x4."""
    article = np.array([[0, 1, 2, 0], [1, 3, 4, 2], [3, 7, 8, 4], [3, 4, 0, 0]])
    assert X.sum() * K_SEED.sum() == 20
    assert article.sum() == 42
    assert te.output_size(X.shape, K_SEED.shape) == (3, 3) != article.shape
    for name, got in run_all(X, K_SEED).items():
        assert got.sum() == 20, name


def test_stride_2_overlapping_stamps():
    # 3x3 stamps of ones start every 2 pixels: row/column 2 is covered by two stamps, the centre by all four
    assert_all([[1, 1, 3, 2, 2],
                [1, 1, 3, 2, 2],
                [4, 4, 10, 6, 6],
                [3, 3, 7, 4, 4],
                [3, 3, 7, 4, 4]], X, ONES3, stride=2)


def test_stride_equal_to_kernel_tiles_without_overlap():
    assert_all([[1, 1, 2, 2],
                [1, 1, 2, 2],
                [3, 3, 4, 4],
                [3, 3, 4, 4]], X, np.ones((2, 2), dtype=int), stride=2)


def test_padding_crops_the_full_output():
    # the 5x5 of test_stride_2_overlapping_stamps without its outer ring
    assert_all([[1, 3, 2],
                [4, 10, 6],
                [3, 7, 4]], X, ONES3, stride=2, padding=1)


def test_output_padding_rows_hold_computed_values_when_padding_is_positive():
    """output_padding=1 with padding=1: the extra bottom row and right column are rows/columns of the full 5x5
    that padding would have cropped, so they hold computed values (3 7 4 4), not zeros."""
    expected = [[1, 3, 2, 2],
                [4, 10, 6, 6],
                [3, 7, 4, 4],
                [3, 7, 4, 4]]
    assert_all(expected, X, ONES3, stride=2, padding=1, output_padding=1)
    got = te.conv_transpose2d(X, ONES3, stride=2, padding=1, output_padding=1)
    assert np.all(got[-1] != 0) and np.all(got[:, -1] != 0)


def test_output_padding_without_padding_adds_rows_no_stamp_reaches():
    # padding 0: the full output is 5x5, so the 6th row and column lie past every stamp and stay 0
    full = np.array([[1, 1, 3, 2, 2], [1, 1, 3, 2, 2], [4, 4, 10, 6, 6], [3, 3, 7, 4, 4], [3, 3, 7, 4, 4]])
    expected = np.zeros((6, 6))
    expected[:5, :5] = full
    assert_all(expected, X, ONES3, stride=2, output_padding=1)


def test_asymmetric_stride_and_padding():
    # stride (1, 2): rows overlap like stride 1, columns like stride 2; padding (0, 1) crops columns only
    x = np.array([[1, 2]])
    k = np.array([[1, 1, 1], [1, 1, 1]])
    # full: rows 0..1, columns 0..4: [1 1 3 2 2] twice; crop one column each side
    assert_all([[1, 3, 2],
                [1, 3, 2]], x, k, stride=(1, 2), padding=(0, 1))


def test_dilation_spreads_the_kernel_taps():
    """dilation 2 puts the taps of a 2x2 kernel 2 apart: Y[i + 2a, j + 2b] += X[i, j] K[a, b]. With a 2x2 X the
    stamps of different taps never overlap, so Y = kron(K, X) (compare stride = kernel size: kron(X, K))."""
    k = np.array([[1, 2], [3, 4]])
    expected = [[1, 2, 2, 4],
                [3, 4, 6, 8],
                [3, 6, 4, 8],
                [9, 12, 12, 16]]
    np.testing.assert_array_equal(np.kron(k, X), expected)
    assert_all(expected, X, k, dilation=2)


def test_output_padding_smaller_than_dilation_only():
    # PyTorch allows output_padding < stride OR < dilation: stride 1, dilation 2, output_padding 1 adds a zero row
    k = np.array([[1, 2], [3, 4]])
    expected = np.zeros((5, 5))
    expected[:4, :4] = np.kron(k, X)
    assert_all(expected, X, k, dilation=2, output_padding=1)


@pytest.mark.parametrize("method", CPU_FORMS)
def test_groups_keep_channels_apart(method):
    """Two input channels, each the seed X. Weight (C_in=2, C_out/groups=1, 2, 2): channel 0 holds K, channel 1
    holds 2K. groups=2: two outputs, seed and 2*seed. groups=1: one output, their sum 3*seed."""
    seed = np.array([[0, 1, 2], [1, 5, 4], [3, 4, 0]])
    x = np.stack([X, X])
    w = np.stack([K_SEED, 2 * K_SEED])[:, None]
    np.testing.assert_array_equal(te.conv_transpose2d(x, w, groups=2, method=method), [seed, 2 * seed])
    np.testing.assert_array_equal(te.conv_transpose2d(x, w, groups=1, method=method), [3 * seed])


@pytest.mark.parametrize("method", CPU_FORMS)
def test_groups_pair_the_right_channels(method):
    """groups=2 with C_in=4, C_out=2: output 0 reads inputs 0 and 1, output 1 reads inputs 2 and 3."""
    x = np.stack([X, 10 * X, 100 * X, 1000 * X])
    w = np.ones((4, 1, 1, 1))
    y = te.conv_transpose2d(x, w, groups=2, method=method)
    np.testing.assert_array_equal(y, [11 * X, 1100 * X])


@pytest.mark.parametrize("method", CPU_FORMS)
def test_bias_is_added_everywhere_even_where_no_stamp_lands(method):
    seed = np.array([[0, 1, 2], [1, 5, 4], [3, 4, 0]])
    y = te.conv_transpose2d(X[None, None], K_SEED[None, None], np.array([10]), method=method)
    np.testing.assert_array_equal(y, (seed + 10)[None, None])
    # output_padding rows that no stamp reaches hold the bias, not 0
    y = te.conv_transpose2d(X[None, None], K_SEED[None, None], np.array([10]), stride=2, output_padding=1,
                            method=method)
    assert y.shape == (1, 1, 5, 5) and np.all(y[0, 0, -1] == 10)


@pytest.mark.parametrize("method", CPU_FORMS)
def test_channels_in_and_out_with_integer_weights(method):
    """C_in=2, C_out=2, 1x1 kernel: a channel mix, y[o] = sum_c w[c, o] * x[c]."""
    x = np.stack([X, -X])
    w = np.array([[1, 2], [3, 4]])[:, :, None, None]    # (C_in, C_out, 1, 1)
    y = te.conv_transpose2d(x, w, method=method)
    np.testing.assert_array_equal(y, [1 * X - 3 * X, 2 * X - 4 * X])


def test_naive_loop_agrees_with_every_form_on_integer_cases():
    rng = np.random.default_rng(7)
    for _ in range(40):
        h, w, kh, kw = rng.integers(1, 5, size=4)
        s, d = tuple(rng.integers(1, 4, size=2)), tuple(rng.integers(1, 3, size=2))
        op = tuple(int(rng.integers(0, max(si, di))) for si, di in zip(s, d))
        full = [(n - 1) * si + di * (k - 1) + 1 for n, si, di, k in zip((h, w), s, d, (kh, kw))]
        p = tuple(int(rng.integers(0, (f + o - 1) // 2 + 1)) for f, o in zip(full, op))
        x, k = rng.integers(-5, 6, size=(h, w)), rng.integers(-5, 6, size=(kh, kw))
        params = dict(stride=s, padding=p, output_padding=op, dilation=d)
        want = conv_transpose2d_naive(x, k, **params)
        for m in CPU_FORMS:
            np.testing.assert_array_equal(te.conv_transpose2d(x, k, method=m, **params), want,
                                          err_msg=f"{m} {params}")


def test_nested_lists_are_arrays_too():
    for m in CPU_FORMS:
        y = te.conv_transpose2d([[1, 2], [3, 4]], [[0, 1], [1, 0]], method=m)
        np.testing.assert_array_equal(y, [[0, 1, 2], [1, 5, 4], [3, 4, 0]])


def test_output_size_range_when_padding_crops_below_one_pixel():
    """Input 1, kernel 1, stride 3, padding 1: the full output is 1 pixel and padding crops 2, so the smallest
    size is -1; output_padding (< stride, so up to 2) still reaches size 1. PyTorch 2.13 accepts
    ConvTranspose2d(1, 1, 1, stride=3, padding=1)(x, output_size=(1, 1)) and picks output_padding 2."""
    assert te.conv_transpose2d(np.ones((1, 1)), np.ones((1, 1)), stride=3, padding=1, output_padding=2).shape == (1, 1)
    assert te.output_size_range(1, 1, stride=3, padding=1) == ((1, 1), (1, 1))
    assert te.output_padding_for(1, 1, 1, stride=3, padding=1) == (2, 2)
