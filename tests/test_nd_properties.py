"""1-D and 3-D transposed convolution (hypothesis): every form agrees, equals live torch, is the adjoint of conv1d /
conv3d, its matrix is the conv's matrix transposed, and it refuses exactly what torch refuses (issue 22).

Rank 2 is covered by test_properties.py and test_torch_live.py; the strategy here draws any rank, so 2 joins in.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tconv_edu as te
from tconv_cases import CPU_FORMS, close

try:
    import torch
    F = torch.nn.functional
except ImportError:                  # the strategy (nd_cases) serves test_gpu.py too, which needs no torch
    torch = F = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

RANKS = [1, 2, 3]
TRANSPOSED = {1: te.conv_transpose1d, 2: te.conv_transpose2d, 3: te.conv_transpose3d}
CONVS = {1: te.conv1d, 2: te.conv2d, 3: te.conv3d}
TORCH_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d} if F else {}
TORCH_C = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d} if F else {}
#: per rank: the largest input size and kernel size drawn (3-D stays small: every form runs every example)
LIMITS = {1: (7, 5), 2: (5, 4), 3: (3, 3)}
ARGUMENTS = ("x", "weight", "bias", "stride=", "padding=", "output_padding=", "dilation=", "groups=")


def _int_or_tuple(draw, values):
    """An int when every axis has the same value (and hypothesis says so), else the tuple."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return tuple(values)


@st.composite
def nd_cases(draw, rank=None, *, op_below_stride=False, bias=None, layout=None):
    """(rank, x, weight, bias, params) of a valid transposed-conv call, float64, output at least 1 per axis.

    layout: "batched" (N, C_in, *size), "unbatched" (C_in, *size) or "channel" (*size) with a kernel (*k).
    """
    rank = draw(st.sampled_from(RANKS)) if rank is None else rank
    layout = draw(st.sampled_from(["batched", "batched", "unbatched", "channel"])) if layout is None else layout
    size_max, k_max = LIMITS[rank]
    size = [draw(st.integers(1, size_max)) for _ in range(rank)]
    k = [draw(st.integers(1, k_max)) for _ in range(rank)]
    s = [draw(st.integers(1, 3)) for _ in range(rank)]
    d = [draw(st.integers(1, 2)) for _ in range(rank)]
    op = [draw(st.integers(0, (si if op_below_stride else max(si, di)) - 1)) for si, di in zip(s, d)]
    full = [(n - 1) * si + di * (ki - 1) + 1 for n, si, di, ki in zip(size, s, d, k)]
    p = [draw(st.integers(0, (f + o - 1) // 2)) for f, o in zip(full, op)]
    groups = 1 if layout == "channel" else draw(st.integers(1, 2))
    cg_in, cg_out = (1, 1) if layout == "channel" else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    params = {"stride": _int_or_tuple(draw, s), "dilation": _int_or_tuple(draw, d)}
    if any(p) or draw(st.booleans()):
        params["padding"] = _int_or_tuple(draw, p)
    if any(op) or draw(st.booleans()):
        params["output_padding"] = _int_or_tuple(draw, op)
    if groups > 1 or draw(st.booleans()):
        params["groups"] = groups
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c_in = groups * cg_in
    if layout == "channel":
        x, w = rng.standard_normal(tuple(size)), rng.standard_normal(tuple(k))
    else:
        lead = (draw(st.integers(1, 2)), c_in) if layout == "batched" else (c_in,)
        x, w = rng.standard_normal(lead + tuple(size)), rng.standard_normal((c_in, cg_out) + tuple(k))
    with_bias = (layout != "channel" and draw(st.booleans())) if bias is None else bias and layout != "channel"
    b = rng.standard_normal(groups * cg_out) if with_bias else None
    return rank, x, w, b, params


def _torch_transposed(rank, x, w, b, params):
    """torch's result (float64) for a call in any of our layouts (one channel: torch's on [None, None] views)."""
    channel = x.ndim == rank
    xt, wt = (x[None, None], w[None, None]) if channel else (x, w)
    y = TORCH_T[rank](torch.from_numpy(xt), torch.from_numpy(wt), None if b is None else torch.from_numpy(b),
                      **params).numpy()
    return y[0, 0] if channel else y


# ---------------------------------------------------------------------------------------- forms and torch agree

@needs_torch
@given(nd_cases())
def test_every_cpu_form_equals_live_torch_in_every_rank(case):
    rank, x, w, b, params = case
    want = _torch_transposed(rank, x, w, b, params)
    before = [None if a is None else a.copy() for a in (x, w, b)]
    for method in CPU_FORMS:
        close(TRANSPOSED[rank](x, w, b, method=method, **params), want, 1e-10)
    for a, a0 in zip((x, w, b), before):         # no form writes into its inputs
        assert a is None or np.array_equal(a, a0)


@needs_torch
@given(nd_cases(layout="batched"), st.sampled_from(RANKS))
def test_float32_stays_float32_and_matches_torch(case, _):
    rank, x, w, b, params = case
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    b32 = None if b is None else b.astype(np.float32)
    want = _torch_transposed(rank, x32, w32, b32, params)
    for method in CPU_FORMS:
        got = TRANSPOSED[rank](x32, w32, b32, method=method, **params)
        assert got.dtype == np.float32
        close(got, want, 1e-5)


@needs_torch
@given(nd_cases(layout="batched"))
def test_conv_nd_equals_live_torch(case):
    """conv1d / conv3d (our forward conv) against torch's, with the transposed call's weight read as conv's."""
    rank, x, w, b, params = case
    conv_params = {k: v for k, v in params.items() if k != "output_padding"}
    y = TRANSPOSED[rank](x, w, **params)                 # an input the conv accepts: the transposed conv's output
    bias = None if b is None else np.linspace(-1, 1, w.shape[0])   # conv's bias: one per C_out' = w.shape[0]
    want = TORCH_C[rank](torch.from_numpy(y), torch.from_numpy(w), None if bias is None else torch.from_numpy(bias),
                         **conv_params).numpy()
    close(CONVS[rank](y, w, bias, **conv_params), want, 1e-10)


# ----------------------------------------------------------------------------------------------- the adjoint

@given(nd_cases(op_below_stride=True, bias=False, layout="batched"), st.integers(0, 2**32 - 1))
def test_adjoint_of_conv_nd_in_every_rank(case, seed):
    """<conv_Nd(z, W), y> == <z, conv_transpose_Nd(y, W)> for one tensor W, every form."""
    rank, y, w, _, params = case
    rng = np.random.default_rng(seed)
    conv_params = {k: v for k, v in params.items() if k != "output_padding"}
    for method in CPU_FORMS:
        t = TRANSPOSED[rank](y, w, method=method, **params)
        z = rng.standard_normal(t.shape)
        lhs = np.vdot(CONVS[rank](z, w, **conv_params), y)
        rhs = np.vdot(z, t)
        bound = np.vdot(np.abs(z), TRANSPOSED[rank](np.abs(y), np.abs(w), **params))
        assert abs(lhs - rhs) <= 1e-12 * bound, (method, lhs, rhs, bound)


@settings(max_examples=25)
@given(nd_cases(op_below_stride=True, bias=False, layout="unbatched"))
def test_matrix_of_the_transposed_conv_is_the_conv_matrix_transposed(case):
    """Column j of the transposed conv's matrix is its response to the j-th basis input; that matrix equals
    ``conv_matrix(output shape, w)ᵀ``, and conv_matrix's columns are conv_Nd's responses."""
    rank, x, w, _, params = case
    conv_params = {k: v for k, v in params.items() if k != "output_padding"}
    out = TRANSPOSED[rank](x, w, **params)
    eye = np.eye(x.size).reshape((x.size,) + x.shape)
    t_matrix = np.stack([TRANSPOSED[rank](e, w, **params).ravel() for e in eye], axis=1)
    C = te.matrix.conv_matrix(out.shape, w, **conv_params)
    assert C.shape == (x.size, out.size)
    close(t_matrix, C.toarray().T, 1e-12)
    basis = np.eye(out.size).reshape((out.size,) + out.shape)
    c_cols = np.stack([CONVS[rank](e, w, **conv_params).ravel() for e in basis[:8]], axis=1)
    close(c_cols, C.toarray()[:, :8], 1e-12)


def test_conv_matrix_nnz_counts_the_taps_inside_in_1d_and_3d():
    for shape, w, kw in [((2, 9), np.ones((3, 2, 4)), dict(stride=2, padding=2)),
                         ((1, 5, 4, 6), np.ones((2, 1, 3, 2, 3)), dict(padding=(1, 0, 2), dilation=(1, 2, 1)))]:
        assert te.matrix.conv_matrix(shape, w, **kw).nnz == te.matrix.conv_matrix_nnz(shape, w.shape, **kw)


# ---------------------------------------------------------------------------------------------------- refusals

@st.composite
def any_calls(draw):
    """(rank, x, weight, bias, params) of a batched call, drawn across the valid and invalid ranges of torch."""
    rank = draw(st.sampled_from([1, 3]))
    size = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    k = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    c_in, c_w, cg_out = draw(st.integers(1, 4)), None, draw(st.integers(1, 2))
    c_w = c_in if draw(st.integers(0, 5)) else draw(st.integers(1, 4))
    groups = draw(st.integers(1, 3))
    params = {}
    for name, lo, hi in (("stride", 0, 3), ("padding", -1, 4), ("output_padding", 0, 3), ("dilation", 0, 2)):
        if draw(st.booleans()):
            params[name] = tuple(draw(st.integers(lo, hi)) for _ in range(rank)) if draw(st.booleans()) \
                else draw(st.integers(lo, hi))
    if groups > 1 or draw(st.booleans()):
        params["groups"] = groups
    b_len = draw(st.sampled_from([None, cg_out * groups, cg_out * groups + 1]))
    x = np.ones((1, c_in) + size)
    w = np.ones((c_w, cg_out) + k)
    return rank, x, w, None if b_len is None else np.ones(b_len), params


@needs_torch
@settings(max_examples=200)
@given(any_calls())
def test_refusals_match_torch(case):
    """torch refuses -> we raise ArgumentError naming an argument; torch accepts -> we accept (same shape)."""
    rank, x, w, b, params = case
    try:
        want = TORCH_T[rank](torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                             **params)
    except (RuntimeError, ValueError):
        want = None
    for method in CPU_FORMS:
        if want is None:
            with pytest.raises(te.ArgumentError) as err:
                TRANSPOSED[rank](x, w, b, method=method, **params)
            assert str(err.value).startswith(ARGUMENTS), str(err.value)
        else:
            assert TRANSPOSED[rank](x, w, b, method=method, **params).shape == tuple(want.shape)


@pytest.mark.parametrize("rank", [1, 3])
def test_refusal_messages_name_argument_value_and_rule(rank):
    x, w = np.ones((1, 2) + (4,) * rank), np.ones((2, 1) + (3,) * rank)
    fn = TRANSPOSED[rank]
    with pytest.raises(te.ArgumentError, match=r"^output_padding=2: .* smaller than the stride \(2\) or the "):
        fn(x, w, stride=2, output_padding=2)
    with pytest.raises(te.ArgumentError, match=r"^stride=0: must be >= 1"):
        fn(x, w, stride=0)
    with pytest.raises(te.ArgumentError, match=r"^padding=\(1, 2\): expected an int or "):
        fn(x, w, padding=(1, 2))
    with pytest.raises(te.ArgumentError, match=r"^weight: .* dim 0 must equal the input's C_in=2"):
        fn(x, np.ones((3, 1) + (3,) * rank))
    with pytest.raises(te.ArgumentError, match=rf"^weight: conv_transpose{rank}d expects \(C_in, C_out/groups, "):
        fn(x, np.ones((2, 1, 3, 3)) if rank == 1 else np.ones((2, 1, 3)))
    with pytest.raises(te.ArgumentError, match=r"^padding=5: the output"):
        fn(x, w, padding=5)
    with pytest.raises(TypeError, match=r"^stride=1.5"):
        fn(x, w, stride=1.5)


def test_one_channel_layouts():
    """(L,) with (k,) is one 1-D channel, (D, H, W) with (kD, kH, kW) one 3-D channel: returned in that layout."""
    y = te.conv_transpose1d(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]), stride=2)
    assert y.tolist() == [1, 1, 3, 2, 5, 3, 3]
    for method in CPU_FORMS:
        assert te.conv_transpose3d(np.ones((2, 2, 2)), np.ones((2, 2, 2)), stride=2, method=method).shape == (4,) * 3
        assert te.conv_transpose1d(np.ones((3, 5)), np.ones((3, 2, 2)), stride=2, method=method).shape == (2, 10)
    assert te.scatter.conv_transpose1d_naive(np.array([1, 2]), np.array([1, -1]), stride=3, output_padding=1).tolist() \
        == [1, -1, 0, 2, -2, 0]


@pytest.mark.parametrize("rank", RANKS)
def test_size_helpers_take_any_number_of_axes(rank):
    size, k = (5,) * rank, (3,) * rank
    out = te.output_size(size, k, stride=2, padding=1, output_padding=1)
    assert out == (10,) * rank
    assert te.shapes.input_size(out, k, stride=2, padding=1, output_padding=1) == size
    assert te.output_size_range(size, 3, stride=2, padding=1) == ((9, 10),) * rank
    assert te.output_padding_for(size, out, k, stride=2, padding=1) == (1,) * rank
    assert te.conv_output_size(out, k, stride=2, padding=1) == size
    assert te.shapes.full_size(size, k, stride=2) == (11,) * rank
    x = np.ones((1, 1) + size)
    assert TRANSPOSED[rank](x, np.ones((1, 1) + k), stride=2, padding=1, output_padding=1).shape[2:] == out
    assert math.prod(out) == 10 ** rank


def test_size_helpers_keep_2d_defaults_and_refuse_mixed_lengths():
    assert te.output_size(4, 3, stride=2) == (9, 9)
    assert te.output_size(4, 3, stride=2, rank=1) == (9,)
    with pytest.raises(te.ArgumentError, match=r"^stride=\(2, 2\): expected an int or a triple \(d, h, w\), got 2"):
        te.output_size((4, 4, 4), 3, stride=(2, 2))


@given(nd_cases(rank=1, layout="channel"))
def test_the_stepper_in_1d_ends_at_the_transposed_conv(case):
    """scatter_step on one 1-D channel: the stamps add up to the running total, and the last total, cropped, is
    conv_transpose1d."""
    from tconv_edu.steps import scatter_step
    _, x, k, _, params = case
    params = {key: v for key, v in params.items() if key != "groups"}
    total = None
    for step in range(x.size):
        st_ = scatter_step(x, k, step, **params)
        total = st_.stamp if total is None else total + st_.stamp
        close(st_.total, total, 1e-12)
        assert st_.pixel == (step,) and st_.origin == (step * te.shapes.ntuple("stride", params["stride"], 1)[0],)
    close(st_.output, te.conv_transpose1d(x, k, **params), 1e-12)


@settings(max_examples=30)
@given(nd_cases(layout="batched"), st.sampled_from(["reversed", "strided", "fortran", "readonly"]))
def test_views_and_readonly_inputs_give_the_same_result_in_every_rank(case, kind):
    rank, x, w, b, params = case
    want = te.scatter.conv_transpose1d(x, w, b, **params) if rank == 1 else TRANSPOSED[rank](x, w, b, method="scatter",
                                                                                              **params)

    def view(a):
        if kind == "reversed":
            return np.ascontiguousarray(a[..., ::-1])[..., ::-1]
        if kind == "strided":
            wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],))
            wide[..., ::2] = a
            return wide[..., ::2]
        if kind == "fortran":
            return np.asfortranarray(a)
        a = a.copy()
        a.flags.writeable = False
        return a

    for method in CPU_FORMS:
        got = TRANSPOSED[rank](view(x), view(w), None if b is None else view(b), method=method, **params)
        close(got, want, 1e-10)
