"""Gradients of the transposed conv (against finite differences and PyTorch autograd), bilinear kernel, fitting."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tconv_edu as te
from tconv_edu import conv2d, learn
from tconv_edu.learn import (best_upsampler, bilinear_kernel, bilinear_weight, downsample_mean, fit_upsampler,
                             grad_input, grad_weight, mse, psnr, upsample, upsample_nearest)
from tconv_cases import grouped_call

try:
    import torch
except ImportError:                                   # the torch comparisons skip; the rest runs on numpy
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


@st.composite
def case(draw, max_n=4):
    x_shape, w_shape, kw, rng = draw(grouped_call(size=max_n))
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y = te.conv_transpose2d(x, w, **kw)
    return x, w, rng.standard_normal(y.shape), kw


def _numeric_grad(f, a, eps=1e-6):
    """Central differences of the scalar f at every entry of a (f is linear here, so this is exact to rounding)."""
    out = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        up = f()
        a[idx] = old - eps
        down = f()
        a[idx] = old
        out[idx] = (up - down) / (2 * eps)
    return out


@given(case(max_n=3))
def test_gradients_match_finite_differences(c):
    x, w, g, kw = c
    loss = lambda: float(np.sum(te.conv_transpose2d(x, w, **kw) * g))     # dL/dy = g
    np.testing.assert_allclose(grad_input(g, w, **kw), _numeric_grad(loss, x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grad_weight(x, g, w.shape[2:], **kw), _numeric_grad(loss, w), rtol=1e-6, atol=1e-6)


@needs_torch
@given(case())
def test_gradients_match_torch_autograd(c):
    x, w, g, kw = c
    tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    torch.nn.functional.conv_transpose2d(tx, tw, **kw).backward(torch.from_numpy(g))
    np.testing.assert_allclose(grad_input(g, w, **kw), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_weight(x, g, w.shape[2:], **kw), tw.grad.numpy(), rtol=1e-10, atol=1e-10)


@given(case())
def test_input_gradient_is_the_adjoint(c):
    # <conv_transpose2d(x), g> == <x, conv2d(g)>: the transposed conv and conv2d are adjoint
    x, w, g, kw = c
    lhs = np.sum(te.conv_transpose2d(x, w, **kw) * g)
    assert np.isclose(lhs, np.sum(x * grad_input(g, w, **kw)), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("s, d, p", [(2, 1, 1), (2, 1, 0), (3, 2, 1), (1, 2, 2)])
def test_weight_gradient_is_a_conv2d_with_stride_and_dilation_swapped(s, d, p):
    # dw[c, o] = conv2d of the padded output gradient (batch o, channels n) with x (out c, channels n),
    # stride d and dilation s
    rng = np.random.default_rng(s + 10 * d)
    x, w = rng.standard_normal((3, 2, 4, 5)), rng.standard_normal((2, 4, 3, 3))
    g = rng.standard_normal(te.conv_transpose2d(x, w, stride=s, padding=p, dilation=d).shape)
    via_conv = conv2d(g.transpose(1, 0, 2, 3), x.transpose(1, 0, 2, 3), stride=d, dilation=s, padding=p)
    got = grad_weight(x, g, 3, stride=s, padding=p, dilation=d)
    np.testing.assert_allclose(got, via_conv.transpose(1, 0, 2, 3)[:, :, :3, :3], rtol=1e-12, atol=1e-12)


def test_layouts_2d():
    x, k = np.array([[1., 2.], [3., 4.]]), np.array([[0., 1.], [1., 0.]])
    g = np.arange(9.).reshape(3, 3)
    assert grad_input(g, k).shape == (2, 2) and grad_weight(x, g, 2).shape == (2, 2)
    # dL/dx[i, j] = sum_ab g[i + a, j + b] k[a, b]
    assert grad_input(g, k).tolist() == [[4, 6], [10, 12]]


@pytest.mark.parametrize("call, words", [
    (lambda: grad_input(np.ones((1, 2, 8, 8)), np.ones((3, 2, 3, 3)), stride=2), ["grad_output", "(1, 2, 8, 8)"]),
    (lambda: grad_input(np.ones((1, 3, 7, 7)), np.ones((3, 2, 3, 3))), ["grad_output", "(1, 3, 7, 7)"]),
    (lambda: grad_weight(np.ones((1, 3, 4, 4)), np.ones((1, 2, 6, 6)), 4), ["grad_output", "(1, 2, 7, 7)"]),
    (lambda: grad_weight(np.ones((1, 3, 4, 4)), np.ones((2, 6, 6)), 3), ["x, grad_output"]),
    (lambda: grad_weight(np.ones((1, 4, 4, 4)), np.ones((1, 3, 6, 6)), 3, groups=2), ["groups=2", "C_out=3"]),
    (lambda: grad_input(np.ones((1, 2, 8, 8)), np.ones((3, 2, 3, 3)), stride=0), ["stride=0", ">= 1"]),
    (lambda: grad_input(np.ones((1, 2, 8, 8)), np.ones((3, 2, 3, 3)), padding=-1), ["padding=-1", ">= 0"]),
    (lambda: grad_weight(np.ones((1, 4, 4, 4)), np.ones((1, 3, 6, 6)), 3, groups=0), ["groups=0", ">= 1"]),
    (lambda: bilinear_kernel(0), ["stride=0"]),
    (lambda: bilinear_weight(0, 2), ["k=0"]),
    (lambda: bilinear_weight(4, 0), ["channels=0"]),
    (lambda: upsample(np.ones((3, 3)), np.ones((3, 3))), ["kernel", "stride=2", "(3, 3)"]),
    (lambda: fit_upsampler(np.ones((5, 6))), ["images", "even"]),
    (lambda: fit_upsampler(np.ones((6, 6)), steps=-1), ["steps=-1"]),
    (lambda: fit_upsampler(np.ones((6, 6)), momentum=1.0), ["momentum=1.0"]),
    (lambda: learn.sample_image(shrink=0), ["shrink=0"]),
    (lambda: mse(np.ones((3, 3)), np.ones((3, 4))), ["a, b", "(3, 4)"]),
    (lambda: mse(np.ones((3, 3)), np.ones((3, 3)), margin=2), ["margin=2"]),
    (lambda: mse(np.ones(4), np.ones(4), margin=1), ["margin=1", "(4,)"]),
    (lambda: psnr(np.ones(4), np.zeros(4), data_range=0), ["data_range=0.0", "> 0"]),
])
def test_errors_name_the_argument(call, words):
    with pytest.raises(te.ArgumentError) as err:
        call()
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize("call, words", [
    (lambda: fit_upsampler(np.ones((6, 6)), momentum="0.7"), ["momentum='0.7'", "real number"]),
    (lambda: fit_upsampler(np.ones((6, 6)), lr="big"), ["lr='big'", "real number"]),
    (lambda: fit_upsampler(np.ones((6, 6)), init_scale=None), ["init_scale=None", "real number"]),
    (lambda: learn.sample_image(shrink=2.0), ["shrink=2.0", "int"]),
    (lambda: psnr(np.ones(4), np.zeros(4), data_range="1"), ["data_range='1'", "real number"]),
])
def test_type_errors_name_the_argument(call, words):
    with pytest.raises(TypeError) as err:
        call()
    for word in words:
        assert word in str(err.value)


# ------------------------------------------------------------------------------------------ hand-made kernels

@pytest.mark.parametrize("s", [1, 2, 3, 4])
def test_bilinear_kernel_keeps_flat_flat(s):
    k = bilinear_kernel(s)
    assert k.shape == ((2 * s - s % 2),) * 2 and np.isclose(k.sum(), s * s)
    y = upsample(np.ones((5, 5)), k, s)
    assert y.shape == (5 * s, 5 * s)
    np.testing.assert_allclose(y[s:-s, s:-s], 1.0)


@needs_torch
@pytest.mark.parametrize("s", [2, 3, 4])
def test_bilinear_kernel_is_bilinear_interpolation(s):
    # away from the border (where torch clamps and the transposed conv sees zeros) they agree exactly
    x = np.random.default_rng(s).standard_normal((1, 1, 6, 7))
    want = torch.nn.functional.interpolate(torch.from_numpy(x), scale_factor=s, mode="bilinear",
                                           align_corners=False).numpy()
    got = upsample(x, bilinear_kernel(s), s)
    np.testing.assert_allclose(got[..., s:-s, s:-s], want[..., s:-s, s:-s], rtol=1e-12, atol=1e-12)


def _interpolation_matrix(n, s):
    """(n*s, n) bilinear interpolation with half-pixel centres (torch's align_corners=False), and the rows whose
    source position lies inside [0, n - 1] (no clamping there)."""
    src = (np.arange(n * s) + 0.5) / s - 0.5
    inside = (src >= 0) & (src <= n - 1)
    src = np.clip(src, 0, n - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    a = np.zeros((n * s, n))
    np.add.at(a, (np.arange(n * s), lo), 1 - (src - lo))
    np.add.at(a, (np.arange(n * s), hi), src - lo)
    return a, inside


@pytest.mark.parametrize("f", [1, 2, 3, 4])
def test_bilinear_weight_is_bilinear_interpolation_inside_channel_by_channel(f):
    x = np.random.default_rng(f).standard_normal((2, 3, 5, 6))
    k = 2 * f - f % 2
    y = te.conv_transpose2d(x, bilinear_weight(k, 3), stride=f, padding=f // 2)
    (ah, in_h), (aw, in_w) = _interpolation_matrix(5, f), _interpolation_matrix(6, f)
    want = np.einsum("ai,ncij,bj->ncab", ah, x, aw)
    assert y.shape == want.shape == (2, 3, 5 * f, 6 * f)
    inside = np.ix_(in_h, in_w)
    np.testing.assert_allclose(y[..., inside[0], inside[1]], want[..., inside[0], inside[1]], rtol=1e-12,
                               atol=1e-12)
    assert in_h.sum() == 5 * f - 2 * (f // 2)           # only the outer f // 2 rows differ


def test_bilinear_weight_x2_dims_the_border_and_keeps_channels_apart():
    w = bilinear_weight(4, 3)
    assert np.array_equal(w[1, 1], bilinear_kernel(2)) and not np.any(w[0, 1:]) and not np.any(w[1:, 0])
    y = te.conv_transpose2d(np.ones((1, 3, 4, 4)), w, stride=2, padding=1)[0]
    assert np.all(y[:, 1:-1, 1:-1] == 1)                  # flat stays flat: 1, not 3 (channels not summed)
    for edge in (y[:, 0, 1:-1], y[:, -1, 1:-1], y[:, 1:-1, 0], y[:, 1:-1, -1]):
        assert np.all(edge == 0.75)
    assert np.all(y[:, [0, 0, -1, -1], [0, -1, 0, -1]] == 0.5625)
    every_pair = te.conv_transpose2d(np.ones((1, 3, 4, 4)), np.broadcast_to(w[0, 0], w.shape), stride=2, padding=1)
    assert np.all(every_pair[0, :, 1:-1, 1:-1] == 3)      # the mistake: each output sums the three channels


def test_bilinear_weight_odd_kernels_follow_fcns_factor():
    assert np.allclose(bilinear_weight(3, 1)[0, 0, 1], [0.5, 1, 0.5])       # factor 2, centred on a pixel
    t = np.array([1, 3, 5, 5, 3, 1]) / 6                                   # factor 3, between two pixels
    assert np.allclose(bilinear_weight(6, 1)[0, 0], np.outer(t, t))
    assert np.array_equal(bilinear_weight(1, 2)[:, :, 0, 0], np.eye(2))


def test_nearest_is_a_transposed_conv_with_a_box_kernel():
    x = np.random.default_rng(0).standard_normal((3, 4))
    assert np.array_equal(upsample_nearest(x, 2), te.conv_transpose2d(x, np.ones((2, 2)), stride=2))


@needs_torch
def test_downsample_mean_matches_avg_pool():
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 7))
    want = torch.nn.functional.avg_pool2d(torch.from_numpy(x), 2).numpy()
    np.testing.assert_allclose(downsample_mean(x, 2), want, rtol=1e-12)


# ---------------------------------------------------------------------------------------------------- fitting

@pytest.fixture(scope="module")
def image():
    return learn.sample_image()[:64, :64]


def test_sample_image_is_a_grey_image_in_unit_range():
    img = learn.sample_image()
    assert img.shape == (150, 128) and 0 <= img.min() < 0.2 and 0.8 < img.max() <= 1.0


def test_fit_is_seeded_and_descends_to_the_least_squares_optimum(image):
    fit = fit_upsampler(image, steps=150, seed=3)
    again = fit_upsampler(image, steps=150, seed=3)
    assert np.array_equal(fit.weight, again.weight) and np.array_equal(fit.losses, again.losses)
    assert fit.losses.shape == (151,) and fit.losses[-1] < fit.losses[0] / 10
    best = best_upsampler(image)
    low = downsample_mean(image)
    best_loss = mse(upsample(low, best), image)
    assert best_loss <= fit.losses[-1] <= best_loss * 1.001
    np.testing.assert_allclose(fit.weight, best, atol=1e-3)
    # and the learned kernel upsamples the training image better than bilinear and nearest (inside: at the border
    # the transposed conv sees zeros, which darkens bilinear's edge pixels)
    learned, bilinear = upsample(low, fit.weight), upsample(low, bilinear_kernel(2))
    assert mse(learned, image, 2) < mse(bilinear, image, 2) < mse(upsample_nearest(low, 2), image, 2)


def test_fit_with_zero_steps_returns_the_seeded_start(image):
    fit = fit_upsampler(image, steps=0, seed=5, init_scale=0.2)
    assert np.array_equal(fit.weight, 0.2 * np.random.default_rng(5).standard_normal((4, 4)))
    assert fit.losses.shape == (1,)


def test_psnr_and_mse():
    a = np.zeros((6, 6))
    b = a.copy()
    b[0, 0] = 1.0
    assert mse(a, b) == 1 / 36 and mse(a, b, margin=1) == 0.0
    assert psnr(a, b, margin=1) == float("inf")
    assert np.isclose(psnr(a, b), 10 * np.log10(36))


@needs_torch
def test_torch_default_init_bound_of_a_transposed_conv_reads_c_out():
    """What notebook 07 states: PyTorch's default bound is 1/sqrt(fan_in), fan_in from weight dim 1 x kH x kW, which
    for ConvTranspose2d is C_out/groups (for Conv2d C_in/groups)."""
    torch.manual_seed(0)
    for layer, fan_in in [(torch.nn.ConvTranspose2d(512, 3, 4), 3 * 16), (torch.nn.ConvTranspose2d(8, 6, 3, groups=2), 3 * 9),
                          (torch.nn.Conv2d(512, 3, 4), 512 * 16)]:
        assert torch.nn.init._calculate_fan_in_and_fan_out(layer.weight)[0] == fan_in
        bound = 1 / np.sqrt(fan_in)
        for p in (layer.weight, layer.bias):
            assert float(p.abs().max()) <= bound and float(p.abs().max()) > 0.5 * bound


# ------------------------------------------------------------------------------ train_decoder

def test_resize_remedy_kernel_is_resize_conv():
    """The tied 4 x 4 kernel the resize remedy trains is nearest x2 then a 'same' 3 x 3 conv, and _untie its adjoint."""
    rng = np.random.default_rng(0)
    v, x = rng.standard_normal((2, 3, 3, 3)), rng.standard_normal((1, 2, 5, 6))
    np.testing.assert_allclose(te.conv_transpose2d(x, learn._tie(v), stride=2, padding=1),
                               te.artifacts.resize_conv(x, v.swapaxes(0, 1), 2), atol=1e-12)
    d = rng.standard_normal((2, 3, 4, 4))
    assert np.isclose(np.sum(learn._tie(v) * d), np.sum(v * learn._untie(d)))


@pytest.mark.parametrize("k, remedy", [(3, None), (4, None), (3, "resize")])
def test_decoder_gradient_matches_finite_differences(k, remedy):
    rng = np.random.default_rng(1)
    kw = 3 if remedy else k
    params = [np.abs(rng.standard_normal((1, 2, kw, kw))), rng.standard_normal((2, 1, kw, kw))]
    x, target = rng.standard_normal((2, 1, 3, 3)), rng.standard_normal((2, 1, 12, 12))
    _, grads = learn.decoder_loss_and_grads(params, x, target, k, remedy)
    for layer, idx in [(0, (0, 1, 1, 2)), (0, (0, 0, 0, 0)), (1, (1, 0, 2, 1))]:
        def loss(delta):
            p = [q.copy() for q in params]
            p[layer][idx] += delta
            return learn.decoder_loss_and_grads(p, x, target, k, remedy)[0]
        numeric = (loss(1e-6) - loss(-1e-6)) / 2e-6
        assert np.isclose(grads[layer][idx], numeric, rtol=1e-5, atol=1e-8), \
            f"layer {layer + 1}, weight {idx}: dL/dw = {grads[layer][idx]}, finite differences {numeric}"


def test_decoder_learns_and_resize_remedy_does_not_checkerboard():
    img = learn.sample_image()[20:52, 64:96]
    k3, fixed = learn.train_decoder(img, 3, steps=100), learn.train_decoder(img, 3, steps=100, remedy="resize")
    for d in (k3, fixed):
        assert d.output.shape == img.shape and d.losses.shape == d.checkerboard.shape == (101,)
        assert d.losses[-1] < d.losses[0] / 3
    assert k3.checkerboard.min() > 0.02                       # k = 3, stride 2: uneven throughout training
    assert fixed.checkerboard.max() < 1e-12                   # resize-convolution: flat stays flat, whatever the weights
    np.testing.assert_array_equal(learn.train_decoder(img, 3, steps=3).weights[0],
                                  learn.train_decoder(img, 3, steps=3).weights[0])   # seeded
    with pytest.raises(te.shapes.ArgumentError, match="remedy"):
        learn.train_decoder(img, 3, remedy="subpixel")
