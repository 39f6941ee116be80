"""The expected answers of the exercises whose reference is more than one library call, checked against the library's
other entry points: TF's conv2d_transpose for port_tf_same, resize_conv for resize_conv_kernel, learn's bilinear
kernel for bilinear_kernel."""
import numpy as np
import pytest

import tconv_edu as te
from tconv_edu import artifacts, learn
from tconv_edu.grading import EXERCISES
from tconv_edu.grading.learner import Case


def reference(exercise_id, **args):
    return EXERCISES[exercise_id].reference(Case(exercise_id, args))


def _tf_same(x, w, s):
    """TF's 'SAME' transposed conv of one (h, h) channel, output (h * s, h * s)."""
    h = x.shape[0]
    return te.conv2d_transpose(x[None, :, :, None], w[:, :, None, None], (1, h * s, h * s, 1), s)[0, :, :, 0]


def _ports(x, w, s):
    """Every exact port by brute force: {(padding, output_padding): (top, bottom)} where PyTorch's output,
    cropped by top rows at the top and bottom rows at the bottom (and as many columns), is TF's."""
    tf, (h, k) = _tf_same(x, w, s), (x.shape[0], w.shape[0])
    found = {}
    for p in range(k):
        for op in range(s):
            try:
                y = te.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op)
            except te.ArgumentError:
                continue
            for top in range(y.shape[0] - h * s + 1):
                if np.allclose(y[top:top + h * s, top:top + h * s], tf):
                    found[p, op] = (top, y.shape[0] - h * s - top)
    return found


@pytest.mark.parametrize("s", [1, 2, 3, 4])
@pytest.mark.parametrize("h", [1, 2, 5])
def test_port_tf_same_reproduces_tensorflows_same_with_the_largest_padding(h, s):
    rng = np.random.default_rng(10 * h + s)
    for k in range(1, 8):                                 # the random cases' range
        x, w = rng.standard_normal((h, h)), rng.standard_normal((k, k))
        padding, output_padding, top, bottom = reference("port_tf_same", h=h, k=k, stride=s)
        y = te.conv_transpose2d(x, w, stride=s, padding=padding, output_padding=output_padding)
        np.testing.assert_allclose(y[top:y.shape[0] - bottom, top:y.shape[1] - bottom], _tf_same(x, w, s),
                                   rtol=1e-12, atol=1e-12)
        ports = _ports(x, w, s)
        best = max(p for p, _ in ports)
        assert (padding, output_padding) == (best, min(op for p, op in ports if p == best)), (h, k, s, ports)
        assert (top, bottom) == ports[padding, output_padding] and top == 0 and bottom in (0, 1)


def test_port_tf_same_the_usual_port_is_one_pixel_off_for_k3_s2():
    x, w = np.random.default_rng(0).standard_normal((4, 4)), np.random.default_rng(1).standard_normal((3, 3))
    assert list(reference("port_tf_same", h=4, k=3, stride=2)) == [0, 0, 0, 1]
    usual = te.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    tf = _tf_same(x, w, 2)
    assert usual.shape == tf.shape and not np.allclose(usual, tf)
    np.testing.assert_allclose(usual[:-1, :-1], tf[1:, 1:], rtol=1e-12)        # shifted by one pixel


def test_resize_conv_kernel_reference_is_the_flipped_kernel_summed_over_2x2_boxes():
    rng = np.random.default_rng(3)
    for _ in range(5):
        k3 = rng.standard_normal((3, 3))
        k4 = reference("resize_conv_kernel", k3=k3)
        f = np.pad(k3[::-1, ::-1], 1)
        np.testing.assert_allclose(k4, f[:-1, :-1] + f[:-1, 1:] + f[1:, :-1] + f[1:, 1:], rtol=1e-12, atol=1e-12)
        x = rng.standard_normal((3, 5))
        np.testing.assert_allclose(te.conv_transpose2d(x, k4, stride=2, padding=1), artifacts.resize_conv(x, k3, 2),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("s", [1, 2, 3, 4])
def test_bilinear_kernel_reference_holds_learns_kernel_on_the_diagonal(s):
    w = reference("bilinear_kernel", k=2 * s - s % 2, channels=3)
    for c in range(3):
        np.testing.assert_allclose(w[c, c], learn.bilinear_kernel(s), rtol=1e-12)
    assert np.count_nonzero(w.sum(axis=(2, 3)) - np.diag(np.diag(w.sum(axis=(2, 3))))) == 0
