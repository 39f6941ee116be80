"""Live parity with PyTorch on hypothesis-drawn calls (skipped where torch does not import)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tconv_edu as te
from tconv_cases import CPU_FORMS, close, conv_geometry, pair_or_int, transpose_cases

torch = pytest.importorskip("torch")
F = torch.nn.functional
torch.set_num_threads(1)      # tiny tensors: threads only add start-up cost on a shared machine


def _torch_params(params):
    return {k: (v if k == "groups" or isinstance(v, tuple) else (v, v)) for k, v in params.items()}


def _t(a):
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a))


@given(transpose_cases())
def test_conv_transpose2d_matches_torch(case):
    x, w, b, params = case
    if x.ndim == 2:        # torch has no 2-D (H, W) form: the teaching layout is the (1, 1, H, W) view
        want = F.conv_transpose2d(_t(x[None, None]), _t(w[None, None]), None, **_torch_params(params))[0, 0]
    else:
        want = F.conv_transpose2d(_t(x), _t(w), _t(b), **_torch_params(params))
    want = want.numpy()
    for method in CPU_FORMS:
        close(te.conv_transpose2d(x, w, b, method=method, **params), want, 1e-10)
        got32 = te.conv_transpose2d(*[None if a is None else a.astype(np.float32) for a in (x, w, b)],
                                    method=method, **params)
        assert got32.dtype == np.float32
        close(got32, want, 1e-5)


@st.composite
def conv_cases(draw):
    groups, c_in, c_out, (kh, kw), (h, w), stride, padding, dilation = draw(conv_geometry())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), c_in, h, w))
    if draw(st.booleans()):
        x = x[0]
    wt = rng.standard_normal((c_out, c_in // groups, kh, kw))
    b = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return x, wt, b, {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


@given(conv_cases())
def test_conv2d_matches_torch(case):
    x, w, b, params = case
    want = F.conv2d(_t(x), _t(w), _t(b), **_torch_params(params)).numpy()
    close(te.conv2d(x, w, b, **params), want, 1e-10)


@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_output_padding_for_matches_torch_output_size(h, w, data):
    """PyTorch's ConvTranspose2d(...)(x, output_size=...) picks output_padding; output_padding_for must agree.

    Torch's rule (torch/nn/modules/conv.py, _output_padding): per axis, min = (in-1)s - 2p + d(k-1) + 1 and
    max = min + s - 1; any size >= 1 in [min, max] is produced. Padding can push min below 1 while max is >= 1.
    """
    k = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    stride, padding = pair_or_int(data.draw, 1, 3), pair_or_int(data.draw, 0, 2)
    s = stride if isinstance(stride, tuple) else (stride, stride)
    p = padding if isinstance(padding, tuple) else (padding, padding)
    lows = [(n - 1) * si - 2 * pi + (ki - 1) + 1 for n, si, pi, ki in zip((h, w), s, p, k)]
    valid = [(max(1, lo), lo + si - 1) for lo, si in zip(lows, s)]
    layer = torch.nn.ConvTranspose2d(1, 1, k, stride=stride, padding=padding, bias=False).double()
    x = torch.zeros(1, 1, h, w, dtype=torch.float64)
    if any(lo > hi for lo, hi in valid):           # no size >= 1 at all: both refuse
        with pytest.raises(te.ArgumentError):
            te.output_padding_for((h, w), (valid[0][1], valid[1][1]), k, stride=stride, padding=padding)
        return
    target = tuple(data.draw(st.integers(lo, hi)) for lo, hi in valid)
    assert tuple(layer(x, output_size=target).shape[2:]) == target
    op = te.output_padding_for((h, w), target, k, stride=stride, padding=padding)
    assert te.output_size((h, w), k, stride=stride, padding=padding, output_padding=op) == target
    # one past the range: torch refuses, and so do we, naming the valid heights
    beyond = (valid[0][1] + 1, target[1])
    with pytest.raises(ValueError):
        layer(x, output_size=beyond)
    with pytest.raises(te.ArgumentError, match=f"valid heights for this input, kernel, stride and padding: "
                                               f"{valid[0][0]}..{valid[0][1]}"):
        te.output_padding_for((h, w), beyond, k, stride=stride, padding=padding)
