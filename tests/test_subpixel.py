"""Sub-pixel view: pixel_shuffle against PyTorch, and the exact equality with the transposed conv."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tconv_edu as te
from tconv_edu import conv2d, scatter, subpixel
from tconv_edu.subpixel import pixel_shuffle, pixel_unshuffle, subpixel_padding, subpixel_weight
from tconv_cases import grouped_call

try:
    import torch
except ImportError:                                   # the torch comparisons skip; the rest runs on numpy
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


# ----------------------------------------------------------------------------------------------- pixel shuffle

def test_pixel_shuffle_by_hand():
    # channel c*r*r + i*r + j becomes sub-pixel (i, j) of every block
    x = np.arange(8).reshape(1, 8, 1, 1)
    assert pixel_shuffle(x, 2).tolist() == [[[[0, 1], [2, 3]], [[4, 5], [6, 7]]]]
    x = np.stack([np.full((2, 2), c) for c in range(4)])            # 3-D input: (C*r*r, H, W)
    assert pixel_shuffle(x, 2).tolist() == [[[0, 1, 0, 1], [2, 3, 2, 3], [0, 1, 0, 1], [2, 3, 2, 3]]]


@st.composite
def shuffle_case(draw):
    lead = draw(st.lists(st.integers(1, 2), min_size=0, max_size=2))
    r, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).standard_normal((*lead, c * r * r, h, w)), r


@given(shuffle_case())
def test_unshuffle_inverts_shuffle(case):
    x, r = case
    y = pixel_shuffle(x, r)
    assert y.shape == x.shape[:-3] + (x.shape[-3] // (r * r), x.shape[-2] * r, x.shape[-1] * r)
    assert np.array_equal(pixel_unshuffle(y, r), x)


@needs_torch
@given(shuffle_case())
def test_pixel_shuffle_matches_torch(case):
    x, r = case
    assert np.array_equal(pixel_shuffle(x, r), torch.pixel_shuffle(torch.from_numpy(x), r).numpy())
    y = np.ascontiguousarray(np.swapaxes(x, -1, -2)).reshape(x.shape[:-3] + (-1, x.shape[-2] * r, x.shape[-1] * r))
    assert np.array_equal(pixel_unshuffle(y, r), torch.pixel_unshuffle(torch.from_numpy(y), r).numpy())


@pytest.mark.parametrize("call, words", [
    (lambda: pixel_shuffle(np.ones((1, 6, 2, 2)), 2), ["upscale_factor=2", "6", "divisible", "4"]),
    (lambda: pixel_shuffle(np.ones((1, 4, 2, 2)), 0), ["upscale_factor=0", ">= 1"]),
    (lambda: pixel_shuffle(np.ones((4, 2)), 2), ["x", "3 dimensions", "(4, 2)"]),
    (lambda: pixel_unshuffle(np.ones((1, 1, 4, 5)), 2), ["downscale_factor=2", "(4, 5", "divisible"]),
    (lambda: subpixel_weight(np.ones((2, 1, 3, 3)), 2, groups=3), ["groups=3", "C_in=2"]),
    (lambda: subpixel_weight(np.ones((2, 1, 3)), 2), ["weight", "(2, 1, 3)"]),
    (lambda: subpixel_weight(np.ones((3, 3)), 0), ["stride=0", ">= 1"]),
])
def test_errors_name_the_argument(call, words):
    with pytest.raises(te.ArgumentError) as err:
        call()
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize("bad", [2.0, True, "2"])
def test_factor_type_errors(bad):
    with pytest.raises(TypeError, match="upscale_factor"):
        pixel_shuffle(np.ones((1, 4, 2, 2)), bad)


# ----------------------------------------------------------------------------------------- sub-pixel kernels

def test_k4_s2_p1_kernels_by_hand():
    # output row 2t reads taps 3 and 1 of the kernel, row 2t+1 reads taps 2 and 0 (window of 3 rows, padding 1)
    w = np.arange(16.).reshape(4, 4)
    sub = subpixel_weight(w, 2, padding=1)
    assert sub.shape == (4, 1, 3, 3)
    rows = {0: [3, 1, None], 1: [None, 2, 0]}
    for i in range(2):
        for j in range(2):
            want = [[0 if a is None or b is None else w[a, b] for b in rows[j]] for a in rows[i]]
            assert sub[i * 2 + j, 0].tolist() == want
    assert subpixel_padding(5, 4, 2, padding=1) == ((1, 1), (1, 1))


def test_k_equal_stride_is_one_tap_per_phase():
    # k = s, p = 0: no overlap, each output pixel is one input pixel times one tap (1x1 kernels)
    w = np.random.default_rng(1).standard_normal((3, 2, 2, 2))
    sub = subpixel_weight(w, 2)
    assert sub.shape == (2 * 4, 3, 1, 1)
    assert np.array_equal(sub[:, :, 0, 0], w.transpose(1, 2, 3, 0).reshape(8, 3))


@pytest.mark.parametrize("k, s, p", [(4, 2, 1), (2, 2, 0), (4, 2, 0), (6, 3, 0), (6, 2, 2), (3, 3, 0), (4, 4, 0)])
def test_shuffle_of_conv_equals_transposed_conv_exactly(k, s, p):
    # the identity as a learner writes it: pad x, conv2d with the sub-pixel weight, pixel_shuffle, keep out rows
    rng = np.random.default_rng(k * 100 + s * 10 + p)
    x = rng.integers(-4, 5, (2, 3, 5, 4)).astype(float)
    w = rng.integers(-4, 5, (3, 2, k, k)).astype(float)
    want = scatter.conv_transpose2d(x, w, stride=s, padding=p)
    (t, b), (l, r) = subpixel_padding(x.shape[2:], k, s, padding=p)
    assert min(t, b, l, r) >= 0                      # these layers never need to crop the input
    y = pixel_shuffle(conv2d(np.pad(x, ((0, 0), (0, 0), (t, b), (l, r))), subpixel_weight(w, s, p)), s)
    assert y.shape[2] >= want.shape[2] and y.shape[3] >= want.shape[3]
    assert np.array_equal(y[:, :, :want.shape[2], :want.shape[3]], want)


@st.composite
def transpose_case(draw):
    x_shape, w_shape, kw, rng = draw(grouped_call(stride=4, dilation=3, kernel=7, size=5, padding=6, cg_out=3))
    x = rng.integers(-5, 6, x_shape).astype(float)
    w = rng.integers(-5, 6, w_shape).astype(float)
    bias = rng.integers(-5, 6, w_shape[1] * kw["groups"]).astype(float) if draw(st.booleans()) else None
    return x, w, bias, kw


@given(transpose_case())
def test_subpixel_form_equals_scatter_exactly(case):
    # integer-valued data: every partial sum is exact in float64, so the two orders of summation agree bit for bit
    x, w, bias, kw = case
    want = scatter.conv_transpose2d(x, w, bias, **kw)
    got = subpixel.conv_transpose2d(x, w, bias, **kw)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.array_equal(got, want), kw


@needs_torch
@given(transpose_case())
def test_subpixel_form_matches_torch(case):
    x, w, bias, kw = case
    rng = np.random.default_rng(0)
    x, w = x + rng.random(x.shape), w + rng.random(w.shape)      # non-integers too
    want = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(w), None if bias is None else torch.from_numpy(bias), **kw).numpy()
    np.testing.assert_allclose(subpixel.conv_transpose2d(x, w, bias, **kw), want, rtol=1e-10, atol=1e-9)


def test_layouts_and_dtypes():
    x2, w2 = np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]])
    assert subpixel.conv_transpose2d(x2, w2).tolist() == [[0, 1, 2], [1, 5, 4], [3, 4, 0]]
    x = np.ones((3, 4, 4), np.float32)
    y = subpixel.conv_transpose2d(x, np.ones((3, 2, 4, 4), np.float32), stride=2, padding=1)
    assert y.shape == (2, 8, 8) and y.dtype == np.float32
    with pytest.raises(te.ArgumentError, match="output_padding=2"):
        subpixel.conv_transpose2d(x, np.ones((3, 2, 4, 4)), stride=2, output_padding=2)


# ------------------------------------------------------------------------------------------------------ costs

@pytest.mark.parametrize("k, s, p, op, g", [(4, 2, 1, 0, 1), (3, 2, 1, 1, 1), (2, 2, 0, 0, 2), (5, 3, 2, 1, 1)])
def test_macs_count_the_products_each_view_makes(k, s, p, op, g):
    x_shape, w_shape = (2, 4, 5, 6), (4, 3, k, k)
    costs = subpixel.macs(x_shape, w_shape, stride=s, padding=p, output_padding=op, groups=g)
    y = scatter.conv_transpose2d(np.zeros(x_shape), np.zeros(w_shape), stride=s, padding=p, output_padding=op,
                                 groups=g)
    pairs = 2 * (4 // g) * 3 * g
    # scatter: every input pixel meets every tap once; zero insertion: a stride-1 conv over the output grid
    assert costs["scatter"] == pairs * 5 * 6 * k * k
    assert costs["zero insertion"] == pairs * y.shape[2] * y.shape[3] * k * k
    # sub-pixel: the conv2d that the sub-pixel form runs, counted from its weight and output
    w_sub = subpixel_weight(np.zeros(w_shape), s, p, groups=g)
    rows, cols = -(-y.shape[2] // s), -(-y.shape[3] // s)
    assert costs["sub-pixel"] == 2 * w_sub.shape[0] * w_sub.shape[1] * w_sub.shape[2] * w_sub.shape[3] * rows * cols
    assert costs["scatter"] <= costs["sub-pixel"] and costs["scatter"] <= costs["zero insertion"]


def test_macs_sub_pixel_wastes_only_the_border_when_k_is_a_multiple_of_s():
    # k = 4, s = 2, p = 0: 2x2 taps per phase on 17 x 17 positions (one more than the 16 input rows: the border
    # positions read the zero padding); scatter: 4x4 taps on 16 x 16 pixels
    costs = subpixel.macs((1, 8, 16, 16), (8, 8, 4, 4), stride=2)
    assert costs["sub-pixel"] * 16 ** 2 == costs["scatter"] * 17 ** 2
    assert costs["sub-pixel"] < costs["zero insertion"]


@pytest.mark.parametrize("args, words", [
    (((1, 16, 16), (1, 1, 4, 4)), ["x_shape=(1, 16, 16)", "(N, C_in, H, W)"]),
    (((1, 1, 16, 16), [1, 4, 4]), ["weight_shape=[1, 4, 4]", "(C_in, C_out/groups, kH, kW)"]),
    (((-1, 1, 4, 4), (1, 1, 3, 3)), ["x_shape=(-1, 1, 4, 4)", ">= 0"]),
])
def test_macs_errors_name_the_shape(args, words):
    """Not Python's 'not enough values to unpack', nor negative counts."""
    with pytest.raises(te.ArgumentError) as err:
        subpixel.macs(*args, stride=2)
    for word in words:
        assert word in str(err.value)
