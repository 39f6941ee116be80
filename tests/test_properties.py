"""Properties on random shapes and parameters (hypothesis): forms agree, adjointness, sums, Kronecker, sizes, dtypes."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tconv_edu as te
from tconv_cases import CPU_FORMS, close, pair_or_int, transpose_cases


def assert_adjoint(lhs, rhs, z, y, w, params):
    """lhs == rhs up to rounding: the error is bounded by eps times the sum of the magnitudes of all the products,
    which is <|z|, conv_transpose2d(|y|, |w|)>."""
    bound = np.vdot(np.abs(z), te.scatter.conv_transpose2d(np.abs(y), np.abs(w), **params))
    assert abs(lhs - rhs) <= 1e-12 * bound, (lhs, rhs, bound)


@given(transpose_cases())
def test_every_cpu_form_agrees_with_scatter(case):
    x, w, b, params = case
    want = te.scatter.conv_transpose2d(x, w, b, **params)
    before = [None if a is None else a.copy() for a in (x, w, b)]
    for method in CPU_FORMS:
        close(te.conv_transpose2d(x, w, b, method=method, **params), want, 1e-10)
    for a, a0 in zip((x, w, b), before):     # no form writes into its inputs
        assert a is None or np.array_equal(a, a0)


@given(transpose_cases(ndim=4), st.sampled_from(["reversed", "strided", "fortran", "readonly"]))
def test_views_and_readonly_inputs_give_the_same_result(case, kind):
    x, w, b, params = case
    want = te.scatter.conv_transpose2d(x, w, b, **params)

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
        got = te.conv_transpose2d(view(x), view(w), None if b is None else view(b), method=method, **params)
        close(got, want, 1e-10)


@given(transpose_cases(op_below_stride=True, bias=False, ndim=4), st.integers(0, 2**32 - 1))
def test_adjoint_identity_with_the_same_weight_tensor(case, seed):
    """<conv2d(z, W), y> == <z, conv_transpose2d(y, W)> for one tensor W: conv2d reads it as
    (C_out', C_in'/g, kH, kW) = (C_in, C_out/g, kH, kW), the transposed conv as (C_in, C_out/g, kH, kW)."""
    y, w, _, params = case
    rng = np.random.default_rng(seed)
    conv_params = {k: v for k, v in params.items() if k != "output_padding"}
    for method in CPU_FORMS:
        t = te.conv_transpose2d(y, w, method=method, **params)
        z = rng.standard_normal(t.shape)
        cz = te.conv2d(z, w, **conv_params)
        assert cz.shape == y.shape
        assert_adjoint(np.vdot(cz, y), np.vdot(z, t), z, y, w, params)


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 2**32 - 1), st.data())
def test_adjoint_identity_output_padding_for_any_reachable_size(h, w, seed, data):
    """The same identity, the output size picked first in output_size_range and turned into output_padding."""
    rng = np.random.default_rng(seed)
    k = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    stride, dilation = pair_or_int(data.draw, 1, 3), pair_or_int(data.draw, 1, 2)
    ranges = te.output_size_range((h, w), k, stride=stride, dilation=dilation)
    target = tuple(data.draw(st.integers(lo, hi)) for lo, hi in ranges)
    op = te.output_padding_for((h, w), target, k, stride=stride, dilation=dilation)
    g = data.draw(st.integers(1, 2))
    y = rng.standard_normal((2, 2 * g, h, w))
    wt = rng.standard_normal((2 * g, 3, *k))
    for method in CPU_FORMS:
        t = te.conv_transpose2d(y, wt, stride=stride, dilation=dilation, output_padding=op, groups=g, method=method)
        assert t.shape[2:] == target
        z = rng.standard_normal(t.shape)
        cz = te.conv2d(z, wt, stride=stride, dilation=dilation, groups=g)
        params = dict(stride=stride, dilation=dilation, output_padding=op, groups=g)
        assert_adjoint(np.vdot(cz, y), np.vdot(z, t), z, y, wt, params)


@given(transpose_cases(ndim=2))
def test_padding_0_one_channel_sums_to_sum_x_times_sum_k(case):
    x, k, _, params = case
    params = {key: v for key, v in params.items() if key != "padding"}
    for method in CPU_FORMS:
        y = te.conv_transpose2d(x, k, method=method, **params)
        # every product x[i, j] * k[a, b] lands once: the rounding error is bounded by the sum of their magnitudes
        assert abs(y.sum() - x.sum() * k.sum()) <= 1e-12 * np.abs(x).sum() * np.abs(k).sum(), method


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_stride_equal_to_kernel_size_gives_the_kronecker_product(h, w, kh, kw, seed):
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal((h, w)), rng.standard_normal((kh, kw))
    for method in CPU_FORMS:
        close(te.conv_transpose2d(x, k, stride=(kh, kw), method=method), np.kron(x, k), 1e-12)


@given(transpose_cases())
def test_output_shape_is_output_size(case):
    x, w, b, params = case
    size_params = {k: v for k, v in params.items() if k != "groups"}
    hw = te.output_size(x.shape[-2:], w.shape[-2:], **size_params)
    c_out = w.shape[1] * params.get("groups", 1)
    lead = {2: (), 3: (c_out,), 4: (x.shape[0], c_out)}[x.ndim]
    for method in CPU_FORMS:
        assert te.conv_transpose2d(x, w, b, method=method, **params).shape == lead + hw


@given(transpose_cases())
def test_float32_is_within_1e_5_of_float64(case):
    x, w, b, params = case
    want = te.scatter.conv_transpose2d(x, w, b, **params)
    f32 = [None if a is None else a.astype(np.float32) for a in (x, w, b)]
    for method in CPU_FORMS:
        got = te.conv_transpose2d(*f32, method=method, **params)
        assert got.dtype == np.float32, method
        close(got, want, 1e-5)


@given(transpose_cases(ndim=4, bias=True), st.integers(0, 2**32 - 1))
def test_repeated_calls_with_one_weight_see_new_inputs_and_weight_edits(case, seed):
    """A form may cache what it derives from the weight (the matrix form does): new x and bias values must still
    be read, and a weight edited in place must not give the old result."""
    x, w, b, params = case
    rng = np.random.default_rng(seed)
    w = w.copy()
    for step in range(3):
        if step == 2:
            w += rng.standard_normal(w.shape)       # same array object, new values
        x2, b2 = rng.standard_normal(x.shape), rng.standard_normal(b.shape)
        want = te.scatter.conv_transpose2d(x2, w, b2, **params)
        for method in CPU_FORMS:
            close(te.conv_transpose2d(x2, w, b2, method=method, **params), want, 1e-10)
