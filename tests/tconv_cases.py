"""Hypothesis strategies for transposed-conv calls, shared by the property and live-parity tests.

Shapes stay small (H, W <= 5, kernels <= 4, <= 6 channels) so that 60 examples per test run in well under a second.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tconv_edu as te

CPU_FORMS = [m for m in te.FORMS if m != "gpu"]


def close(got, want, rtol):
    """Max abs error over the largest magnitude of ``want`` (at least 1) is at most rtol.

    On failure the message names the worst index with the value received and the value expected.
    """
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape}, expected {want.shape}"
    if not want.size:
        return
    scale = max(1.0, float(np.max(np.abs(want))))
    diff = np.abs(got.astype(np.float64) - want)
    err = float(np.max(diff)) / scale
    if not err <= rtol:
        at = np.unravel_index(int(np.argmax(diff)), diff.shape)
        off = int((diff > rtol * scale).sum())
        raise AssertionError(f"relative error {err:.3g} > {rtol} at index {tuple(int(i) for i in at)}: "
                             f"got {float(got[at])!r}, expected {float(want[at])!r} ({off} of {diff.size} entries off)")


def pair_or_int(draw, lo, hi):
    """An int, or an (h, w) pair, each in [lo, hi]."""
    if draw(st.booleans()):
        return draw(st.integers(lo, hi))
    return (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))


def _both(v):
    return v if isinstance(v, tuple) else (v, v)


@st.composite
def conv_geometry(draw):
    """(groups, c_in, c_out, (kH, kW), (H, W), stride, padding, dilation) of a conv2d whose padded input holds the
    dilated kernel; stride, padding and dilation each an int or an (h, w) pair."""
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, padding, dilation = pair_or_int(draw, 1, 3), pair_or_int(draw, 0, 2), pair_or_int(draw, 1, 2)
    p, d = _both(padding), _both(dilation)
    h = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), 7))
    w = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), 7))
    return groups, c_in, c_out, (kh, kw), (h, w), stride, padding, dilation


@st.composite
def transpose_cases(draw, *, op_below_stride=False, bias=None, ndim=None):
    """(x, weight, bias, params) for conv_transpose2d, float64, output at least 1x1.

    op_below_stride: output_padding < stride (so the forward conv maps the output back to the input size).
    """
    groups = draw(st.integers(1, 3))
    cg_in, cg_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ndim = draw(st.sampled_from([2, 3, 4])) if ndim is None else ndim
    if ndim == 2:
        groups = cg_in = cg_out = 1
    n = draw(st.integers(1, 3)) if ndim == 4 else 1
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, dilation = pair_or_int(draw, 1, 3), pair_or_int(draw, 1, 2)
    s, d = _both(stride), _both(dilation)
    limit = [si if op_below_stride else max(si, di) for si, di in zip(s, d)]
    op = tuple(draw(st.integers(0, m - 1)) for m in limit)
    full = [(hi - 1) * si + di * (ki - 1) + 1 for hi, si, di, ki in zip((h, w), s, d, (kh, kw))]
    pad = tuple(draw(st.integers(0, (f + o - 1) // 2)) for f, o in zip(full, op))
    params = {"stride": stride, "dilation": dilation}
    if any(pad) or draw(st.booleans()):
        params["padding"] = pad if pad[0] != pad[1] or draw(st.booleans()) else pad[0]
    if any(op) or draw(st.booleans()):
        params["output_padding"] = op if op[0] != op[1] or draw(st.booleans()) else op[0]
    if groups > 1 or draw(st.booleans()):
        params["groups"] = groups
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c_in, c_out = groups * cg_in, groups * cg_out
    if ndim == 2:
        x, wt = rng.standard_normal((h, w)), rng.standard_normal((kh, kw))
    else:
        x = rng.standard_normal((n, c_in, h, w) if ndim == 4 else (c_in, h, w))
        wt = rng.standard_normal((c_in, cg_out, kh, kw))
    with_bias = (ndim != 2 and draw(st.booleans())) if bias is None else bias
    b = rng.standard_normal(c_out) if with_bias else None
    return x, wt, b, params


@st.composite
def grouped_call(draw, *, stride=3, dilation=2, kernel=4, size=4, padding=3, cg_out=2):
    """(x_shape, weight_shape, params, rng) of a 4-D conv_transpose2d call, every parameter an (h, w) pair.

    Each keyword is the largest value drawn for it (from 1, padding from 0); output_padding < max(stride,
    dilation); groups 1 or 2, with 1 or 2 input channels per group; batch 1 or 2. A padding that leaves no output
    falls back to 0. rng, seeded by hypothesis, is for the caller to fill the arrays with.
    """
    s = (draw(st.integers(1, stride)), draw(st.integers(1, stride)))
    d = (draw(st.integers(1, dilation)), draw(st.integers(1, dilation)))
    k = (draw(st.integers(1, kernel)), draw(st.integers(1, kernel)))
    n = (draw(st.integers(1, size)), draw(st.integers(1, size)))
    p = (draw(st.integers(0, padding)), draw(st.integers(0, padding)))
    op = tuple(draw(st.integers(0, max(s[i], d[i]) - 1)) for i in range(2))
    g = draw(st.integers(1, 2))
    c_in, cg = g * draw(st.integers(1, 2)), draw(st.integers(1, cg_out))
    try:
        te.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)
    except te.ArgumentError:
        p = (0, 0)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x_shape = (draw(st.integers(1, 2)), c_in) + n
    return x_shape, (c_in, cg) + k, dict(stride=s, padding=p, output_padding=op, dilation=d, groups=g), rng
