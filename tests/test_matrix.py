"""The matrix form: conv2d as a sparse matrix C, the transposed convolution as Cᵀ, and the facts the course shows."""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tconv_edu as te
from tconv_cases import close, conv_geometry, transpose_cases
from tconv_edu import matrix
from tconv_edu.shapes import ArgumentError


def _pairs(v):
    return v if isinstance(v, tuple) else (v, v)


@st.composite
def conv_cases(draw):
    """(input_shape, conv weight, params) for conv_matrix: (C, H, W) or (H, W), every parameter, float64."""
    groups, c_in, c_out, (kh, kw), (h, w), stride, padding, dilation = draw(conv_geometry())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        return (h, w), rng.standard_normal((kh, kw)), dict(stride=stride, padding=padding, dilation=dilation)
    wt = rng.standard_normal((c_out, c_in // groups, kh, kw))
    return (c_in, h, w), wt, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _conv_pairs_brute_force(input_shape, wshape, stride, padding, dilation, groups):
    """Count (output pixel, tap) pairs whose input position is inside the input, with plain loops."""
    c_in, h, w = input_shape if len(input_shape) == 3 else (1,) + tuple(input_shape)
    c_out, m, kh, kw = wshape if len(wshape) == 4 else (1, 1) + tuple(wshape)
    (sh, sw), (ph, pw), (dh, dw) = _pairs(stride), _pairs(padding), _pairs(dilation)
    ho, wo = te.conv_output_size((h, w), (kh, kw), stride=stride, padding=padding, dilation=dilation)
    inside = 0
    for i in range(ho):
        for j in range(wo):
            for a in range(kh):
                for b in range(kw):
                    y, x = i * sh + a * dh - ph, j * sw + b * dw - pw
                    inside += 0 <= y < h and 0 <= x < w
    return c_out * m * inside


# ------------------------------------------------------------------------------------------------ hand-worked

def test_textbook_4x16_matrix_of_a_3x3_kernel_on_a_4x4_input():
    """Dumoulin & Visin's example, written out by hand: each row is the kernel laid into a 4x4 grid."""
    w = np.arange(1, 10).reshape(3, 3)
    row = np.zeros((4, 4))
    rows = []
    for i, j in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        r = row.copy()
        r[i:i + 3, j:j + 3] = w
        rows.append(r.ravel())
    C = matrix.conv_matrix((4, 4), w)
    assert C.shape == (4, 16) and C.nnz == 36
    np.testing.assert_array_equal(C.toarray(), np.array(rows))
    np.testing.assert_array_equal(matrix.conv_matrix((4, 4), w, dense=True), np.array(rows))


def test_seed_article_example_is_C_transposed_times_x():
    x = np.array([[1, 2], [3, 4]])
    k = np.array([[0, 1], [1, 0]])
    C = matrix.conv_matrix((3, 3), k)                 # conv2d maps 3x3 -> 2x2, so C.T maps 2x2 -> 3x3
    want = np.array([[0, 1, 2], [1, 5, 4], [3, 4, 0]])
    np.testing.assert_array_equal((C.T @ x.ravel()).reshape(3, 3), want)
    np.testing.assert_array_equal(matrix.conv_transpose2d(x, k), want)


def test_dtypes_follow_the_design():
    w64, w32 = np.ones((2, 3, 3, 3)), np.ones((2, 3, 3, 3), dtype=np.float32)
    assert matrix.conv_matrix((3, 5, 5), w32).dtype == np.float32
    assert matrix.conv_matrix((3, 5, 5), w64).dtype == np.float64
    assert matrix.conv_matrix((3, 5, 5), w64.astype(int)).dtype == np.float64
    x = np.ones((1, 2, 3, 3), dtype=np.int64)
    for _ in range(2):                                  # checked path, then the cached path
        assert matrix.conv_transpose2d(x, w64.astype(int)).dtype == np.float64
        assert matrix.conv_transpose2d(x.astype(np.float32), w32).dtype == np.float32
        # an integer bias computes in float64, as every form does (shapes.compute_dtype)
        got = matrix.conv_transpose2d(x.astype(np.float32), w32, np.ones(3, int))
        assert got.dtype == te.scatter.conv_transpose2d(x.astype(np.float32), w32, np.ones(3, int)).dtype


def test_empty_batch_gives_an_empty_result_of_the_right_shape():
    y = matrix.conv_transpose2d(np.ones((0, 2, 4, 4)), np.ones((2, 3, 3, 3)), stride=2)
    assert y.shape == (0, 3, 9, 9)


# ---------------------------------------------------------------------------------------- C is conv2d's matrix

@given(conv_cases())
def test_C_times_z_is_conv2d(case):
    shape, w, params = case
    z = np.random.default_rng(0).standard_normal(shape)
    C = matrix.conv_matrix(shape, w, **params)
    want = te.conv2d(z, w, **params)
    assert C.shape == (want.size, z.size)
    close(C @ z.ravel(), want.ravel(), 1e-12)
    C32 = matrix.conv_matrix(shape, w.astype(np.float32), **params)
    assert C32.dtype == np.float32
    close(C32 @ z.ravel().astype(np.float32), want.ravel(), 1e-5)


@given(conv_cases())
def test_C_is_canonical_csr_with_int32_indices(case):
    """Sorted column indices, no duplicates (recomputed by scipy, not the flag we set), int32 where they fit."""
    shape, w, params = case
    C = matrix.conv_matrix(shape, w, **params)
    assert C.format == "csr" and C.indices.dtype == np.int32 and C.indptr.dtype == np.int32
    fresh = type(C)((C.data, C.indices, C.indptr), shape=C.shape)
    assert fresh.has_canonical_format


def test_int64_indices_where_int32_would_not_fit(monkeypatch):
    w = np.random.default_rng(1).standard_normal((3, 2, 3, 3))
    C32 = matrix.conv_matrix((2, 6, 5), w, padding=1)
    monkeypatch.setattr(matrix, "_INT32_LIMIT", 10)
    C64 = matrix.conv_matrix((2, 6, 5), w, padding=1)
    assert C64.indices.dtype == np.int64 and C64.indptr.dtype == np.int64
    np.testing.assert_array_equal(C64.toarray(), C32.toarray())
    matrix.cache_clear()
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 4))
    close(matrix.conv_transpose2d(x, w, stride=2), te.scatter.conv_transpose2d(x, w, stride=2), 1e-12)
    matrix.cache_clear()


# ---------------------------------------------------------------- the transposed convolution is multiplication by Cᵀ

@given(transpose_cases(op_below_stride=True))
def test_conv_transpose2d_is_C_transposed_with_C_built_from_the_same_weight(case):
    """The teaching fact: the transposed conv's weight (C_in, C_out/g, kH, kW), read as a conv2d weight, at the
    transposed conv's output size (output_padding included), gives C; then conv_transpose2d(x) = Cᵀ x."""
    x, w, _, params = case
    want = te.scatter.conv_transpose2d(x, w, **params)
    sample = x if x.ndim < 4 else x[0]
    out_shape = want.shape if x.ndim < 4 else want.shape[1:]
    conv_params = {k: v for k, v in params.items() if k != "output_padding"}
    C = matrix.conv_matrix(out_shape, w, **conv_params)
    close((C.T @ sample.ravel()).reshape(out_shape), want if x.ndim < 4 else want[0], 1e-12)


@given(transpose_cases())
def test_C_transposed_is_the_matrix_of_the_transposed_conv_column_by_column(case):
    """Column m of the transposed conv's matrix is its response to the m-th unit input; they are Cᵀ's columns.

    With output_padding >= stride (allowed where dilation is larger) the conv of the output size has one more
    row than x: the transposed conv's matrix is Cᵀ restricted to the conv outputs on x's grid.
    """
    x, w, _, params = case
    sample = x if x.ndim < 4 else x[0]
    out = te.scatter.conv_transpose2d(sample, w, **params)
    T = np.empty((out.size, sample.size))
    for m in range(sample.size):
        e = np.zeros(sample.size)
        e[m] = 1
        T[:, m] = te.scatter.conv_transpose2d(e.reshape(sample.shape), w, **params).ravel()
    conv_params = {k: v for k, v in params.items() if k != "output_padding"}
    C = matrix.conv_matrix(out.shape, w, **conv_params).toarray()
    h, wd = sample.shape[-2:]
    rows = C.reshape((-1,) + te.conv_output_size(out.shape[-2:], w.shape[-2:], **{
        k: v for k, v in conv_params.items() if k != "groups"}) + (C.shape[1],))[:, :h, :wd]
    close(rows.reshape(sample.size, -1).T, T, 1e-12)


@given(transpose_cases(), st.sampled_from([np.float64, np.float32]))
def test_matrix_form_agrees_with_scatter_for_every_parameter(case, dtype):
    x, w, b, params = case
    x, w = x.astype(dtype), w.astype(dtype)
    b = None if b is None else b.astype(dtype)
    want = te.scatter.conv_transpose2d(x, w, b, **params)
    for _ in range(2):                     # the matrix built, then from the cache
        got = matrix.conv_transpose2d(x, w, b, **params)
        assert got.dtype == dtype
        close(got, want, 1e-5 if dtype == np.float32 else 1e-12)
    # the same call through the public dispatch, and with numpy integer parameters (the same matrix)
    close(te.conv_transpose2d(x, w, b, method="matrix", **params), want, 1e-5 if dtype == np.float32 else 1e-12)
    np_params = {k: (np.int64(v) if isinstance(v, int) else tuple(np.int64(u) for u in v)) for k, v in params.items()}
    close(matrix.conv_transpose2d(x, w, b, **np_params), want, 1e-5 if dtype == np.float32 else 1e-12)


@given(transpose_cases(ndim=4), st.integers(2, 4))
def test_one_matrix_serves_every_batch_size(case, n):
    x, w, b, params = case
    big = np.concatenate([x] * n)[: n]
    matrix.conv_transpose2d(x, w, b, **params)
    before = matrix.cache_info()
    got = matrix.conv_transpose2d(big, w, b, **params)
    after = matrix.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1
    close(got, te.scatter.conv_transpose2d(big, w, b, **params), 1e-12)


def test_matrix_is_registered_as_a_form():
    assert te.FORMS["matrix"] is matrix.conv_transpose2d
    assert "matrix" in te.__all__


def test_import_needs_numpy_only():
    code = "import sys, tconv_edu, tconv_edu.matrix; assert 'scipy' not in sys.modules, 'scipy imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------------------------------- torch

@given(transpose_cases(), st.sampled_from([np.float64, np.float32]))
def test_matrix_form_matches_torch(case, dtype):
    torch = pytest.importorskip("torch")
    x, w, b, params = case
    tp = {k: (v if k == "groups" or isinstance(v, tuple) else (v, v)) for k, v in params.items()}
    x4, w4 = (x[None, None], w[None, None]) if x.ndim == 2 else (x, w)
    want = torch.nn.functional.conv_transpose2d(torch.from_numpy(x4), torch.from_numpy(w4),
                                                None if b is None else torch.from_numpy(b), **tp).numpy()
    want = want[0, 0] if x.ndim == 2 else want
    cast = [None if a is None else a.astype(dtype) for a in (x, w, b)]
    for _ in range(2):
        close(matrix.conv_transpose2d(*cast, **params), want, 1e-5 if dtype == np.float32 else 1e-10)


# ------------------------------------------------------------------------------------------------ the facts

@given(conv_cases())
def test_nnz_counts_output_pixel_tap_pairs_inside_the_input(case):
    shape, w, params = case
    C = matrix.conv_matrix(shape, w, **params)
    brute = _conv_pairs_brute_force(shape, w.shape, params["stride"], params["padding"], params["dilation"],
                                    params.get("groups", 1))
    assert C.nnz == brute == matrix.conv_matrix_nnz(shape, w.shape, **params)
    # structure, not values: a zero kernel stores the same entries
    assert matrix.conv_matrix(shape, np.zeros_like(w), **params).nnz == brute


@given(conv_cases())
def test_nnz_closed_formula_without_padding(case):
    shape, w, params = case
    params = {**params, "padding": 0}
    c_in = shape[0] if len(shape) == 3 else 1
    h, wd = shape[-2:]
    kh, kw = w.shape[-2:]
    if any(n < d * (k - 1) + 1 for n, d, k in zip((h, wd), _pairs(params["dilation"]), (kh, kw))):
        return                                      # the kernel does not fit without padding
    ho, wo = te.conv_output_size((h, wd), (kh, kw), stride=params["stride"], dilation=params["dilation"])
    c_out = w.shape[0] if w.ndim == 4 else 1
    formula = c_out * ho * wo * (c_in // params.get("groups", 1)) * kh * kw
    assert matrix.conv_matrix_nnz(shape, w.shape, **params) == formula
    assert matrix.conv_matrix(shape, w, **params).nnz == formula


def test_gram_is_not_the_identity_so_a_transposed_conv_is_not_an_inverse():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((1, 1, 3, 3))
    w /= np.linalg.norm(w)                            # unit norm: the diagonal of C Cᵀ is 1 away from the border
    G = matrix.gram((1, 8, 8), w, stride=1).toarray()
    assert G.shape == (36, 36)
    assert np.abs(G - np.eye(36)).max() > 0.1
    # and the transposed conv does not undo the conv: Cᵀ C z != z
    z = rng.standard_normal((1, 1, 8, 8))
    back = matrix.conv_transpose2d(te.conv2d(z, w), w)
    assert back.shape == z.shape and np.abs(back - z).max() > 0.1


def test_gram_is_the_identity_when_stamps_do_not_overlap_and_have_unit_norm():
    """The exception that shows the rule: stride == kernel size, one channel, |w| = 1 (so the test can fail)."""
    w = np.array([[0.5, -0.5], [0.5, 0.5]])
    G = matrix.gram((6, 6), w, stride=2)
    np.testing.assert_allclose(G.toarray(), np.eye(9), atol=1e-15)


@given(conv_cases(), st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_gradient_of_conv2d_wrt_its_input_is_C_transposed_g(case, n, seed):
    shape, w, params = case
    rng = np.random.default_rng(seed)
    z_shape = (n,) + shape if len(shape) == 3 else shape
    g = rng.standard_normal(te.conv2d(np.zeros(z_shape), w, **params).shape)
    grad = matrix.conv2d_grad_input(g, w, shape[-2:], **params)
    assert grad.shape == z_shape
    C = matrix.conv_matrix(shape, w, **params)
    samples = [(g, grad)] if len(shape) == 2 else zip(g, grad)
    for gs, grads in samples:
        close(grads.ravel(), C.T @ gs.ravel(), 1e-12)


def test_gradient_by_finite_differences():
    """sum(conv2d(z, w) * g) is linear in z: central differences recover the gradient to rounding."""
    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 2, 3, 2))
    params = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    z = rng.standard_normal((2, 7, 6))
    g = rng.standard_normal(te.conv2d(z, w, **params).shape)
    grad = matrix.conv2d_grad_input(g, w, (7, 6), **params)
    fd = np.empty(z.size)
    h = 1e-3
    for m in range(z.size):
        e = np.zeros(z.size)
        e[m] = h
        e = e.reshape(z.shape)
        fd[m] = (np.sum(te.conv2d(z + e, w, **params) * g) - np.sum(te.conv2d(z - e, w, **params) * g)) / (2 * h)
    np.testing.assert_allclose(grad.ravel(), fd, rtol=1e-9, atol=1e-9)


def test_gradient_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    w = rng.standard_normal((4, 1, 3, 3))
    params = dict(stride=2, padding=1, groups=2)
    z = torch.tensor(rng.standard_normal((2, 2, 8, 9)), requires_grad=True)
    out = torch.nn.functional.conv2d(z, torch.from_numpy(w), **params)
    g = rng.standard_normal(tuple(out.shape))
    (out * torch.from_numpy(g)).sum().backward()
    close(matrix.conv2d_grad_input(g, w, (8, 9), **params), z.grad.numpy(), 1e-12)


# -------------------------------------------------------------------------------------------------- memory

def _cached(x, w, b=None, **params):
    """The cached Cᵀ that matrix.conv_transpose2d(x, w, b, **params) uses (a hit, or a miss that builds it)."""
    spec = te.shapes.transpose_spec(x, w, b, **params)
    return matrix._transposed(*matrix._matrix_key(spec))


def test_memory_is_values_plus_indices():
    """The built matrix holds nnz values and nnz int32 column indices, plus one row pointer per row."""
    w = np.random.default_rng(7).standard_normal((8, 8, 3, 3)).astype(np.float32)
    C = matrix.conv_matrix((8, 32, 32), w, padding=1)
    used = C.data.nbytes + C.indices.nbytes + C.indptr.nbytes
    assert used <= 1.2 * C.nnz * (4 + 4)
    x = np.ones((1, 8, 32, 32), dtype=np.float32)
    matrix.cache_clear()
    CT = _cached(x, w, padding=1)                  # the cache holds Cᵀ: the same arrays, no copy
    assert CT.nnz == C.nnz and CT.data.nbytes + CT.indices.nbytes + CT.indptr.nbytes <= 1.2 * C.nnz * (4 + 4)
    matrix.cache_clear()


# --------------------------------------------------------------------------------------------------- cache

@pytest.fixture
def fresh_cache():
    matrix.cache_clear()
    yield
    matrix.cache_clear()


def test_cache_counts_hits_and_misses(fresh_cache):
    x, w = np.ones((1, 2, 4, 4)), np.ones((2, 3, 3, 3))
    matrix.conv_transpose2d(x, w, stride=2)
    matrix.conv_transpose2d(x, w, stride=2)
    matrix.conv_transpose2d(x, w, stride=(2, 2))          # other spelling, same matrix
    info = matrix.cache_info()
    assert (info.hits, info.misses, info.currsize) == (2, 1, 1)
    matrix.conv_transpose2d(x, w, stride=1)               # another stride: another matrix
    matrix.conv_transpose2d(np.ones((1, 2, 5, 4)), w, stride=2)   # another input size: another matrix
    info = matrix.cache_info()
    assert (info.hits, info.misses, info.currsize) == (2, 3, 3)
    matrix.cache_clear()
    info = matrix.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 0, 0)


def test_a_cached_call_uses_the_same_matrix_object(fresh_cache):
    x, w = np.ones((1, 2, 4, 4)), np.ones((2, 3, 3, 3))
    first = _cached(x, w, stride=2)
    assert _cached(x, w, stride=2) is first and _cached(x, w, stride=(2, 2)) is first
    assert _cached(x, w, stride=1) is not first
    matrix.cache_clear()
    assert _cached(x, w, stride=2) is not first


def test_changed_weight_values_build_a_new_matrix(fresh_cache):
    """The key holds the weight's bytes: editing one value in place must not reuse the old matrix."""
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((2, 3, 3, 3))
    first = matrix.conv_transpose2d(x, w, stride=2)
    old = _cached(x, w, stride=2)
    w[0, 0, 0, 0] += 1.0
    second = matrix.conv_transpose2d(x, w, stride=2)
    close(second, te.scatter.conv_transpose2d(x, w, stride=2), 1e-12)
    assert not np.allclose(first, second)
    assert matrix.cache_info().misses == 2 and _cached(x, w, stride=2) is not old
    # the same values in another dtype are another matrix too
    assert _cached(x.astype(np.float32), w.astype(np.float32), stride=2).dtype == np.float32


def test_cache_keeps_at_most_CACHE_SIZE_matrices(fresh_cache):
    size = matrix.CACHE_SIZE
    assert matrix.cache_info().maxsize == size and 1 <= size <= 16
    x = np.ones((1, 2, 5, 5))
    weights = [np.full((2, 2, 3, 3), float(k)) for k in range(size + 1)]
    for w in weights:
        matrix.conv_transpose2d(x, w)
    info = matrix.cache_info()
    assert info.currsize == size and info.misses == size + 1
    matrix.conv_transpose2d(x, weights[-1])               # the newest is kept
    assert matrix.cache_info().hits == 1
    # the oldest went: asking for it again builds it again, and the result is still right
    close(matrix.conv_transpose2d(x, weights[0]), te.scatter.conv_transpose2d(x, weights[0]), 1e-12)
    assert matrix.cache_info().misses == size + 2 and matrix.cache_info().currsize == size


def test_a_cached_matrix_cannot_be_edited(fresh_cache):
    """Its arrays are read-only: no caller can change a cached Cᵀ and poison the calls that come after."""
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((2, 3, 3, 3))
    want = te.scatter.conv_transpose2d(x, w, stride=2)
    CT = _cached(x, w, stride=2)
    for arr in (CT.data, CT.indices, CT.indptr):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0
    with pytest.raises(ValueError, match="read-only"):
        CT *= 2.0                                          # scipy scales data in place
    # conv_matrix hands out a matrix of its own, free to edit
    C = matrix.conv_matrix((3, 9, 9), w, stride=2)
    C.data[:] = 0
    close(matrix.conv_transpose2d(x, w, stride=2), want, 1e-12)
    assert _cached(x, w, stride=2) is CT


def test_a_cached_call_still_rejects_bad_parameters(fresh_cache):
    """Every call is checked, cached matrix or not."""
    x, w = np.ones((1, 2, 4, 4)), np.ones((2, 3, 3, 3))
    matrix.conv_transpose2d(x, w, stride=1)
    with pytest.raises(TypeError, match="stride"):
        matrix.conv_transpose2d(x, w, stride=True)
    with pytest.raises(ArgumentError, match="stride"):
        matrix.conv_transpose2d(x, w, stride=0)
    with pytest.raises(ArgumentError, match="output_padding"):
        matrix.conv_transpose2d(x, w, stride=1, output_padding=1)
    with pytest.raises(ArgumentError, match="bias"):
        matrix.conv_transpose2d(x, w, np.ones(2), stride=1)
    with pytest.raises(ArgumentError, match="weight"):
        matrix.conv_transpose2d(np.ones((1, 3, 4, 4)), w, stride=1)
    with pytest.raises(TypeError, match="x"):
        matrix.conv_transpose2d(x.astype(complex), w, stride=1)


@given(transpose_cases(ndim=4, op_below_stride=True), st.integers(0, 3), st.integers(0, 3), st.integers(-2, 3),
       st.integers(-2, 3))
def test_transpose_of_any_crop_window_matches_scatter(case, top, left, dh, dw):
    """Specs as the TF entry point makes them: any (top, left) crop and any output size, which may reach past the
    full scatter output (zero-extended there)."""
    x, w, b, params = case
    spec = te.shapes.transpose_spec(x, w, b, **params)
    out = (max(1, spec.full_size[0] - top + dh), max(1, spec.full_size[1] - left + dw))
    tf_spec = te.shapes.make_spec(spec.x, spec.weight, spec.bias, stride=spec.stride, dilation=spec.dilation,
                                  groups=spec.groups, offset=(top, left), out_size=out, input_ndim=4)
    close(matrix.transpose(tf_spec), te.gemm.transpose(tf_spec), 1e-12)


def test_transpose_takes_numpy_only():
    spec = te.shapes.transpose_spec(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(matrix.transpose(spec), te.gemm.transpose(spec))
    with pytest.raises(TypeError, match="numpy"):
        matrix.transpose(spec, xp=object())


# ---------------------------------------------------------------------------------------------- bad input

def test_dense_view_above_the_limit_names_the_size_and_the_sparse_form():
    with pytest.raises(ArgumentError, match=r"dense=True.*65536 x 65536.*sparse form"):
        matrix.conv_matrix((16, 64, 64), np.ones((16, 16, 3, 3)), padding=1, dense=True)


def test_dense_view_at_the_limit_is_built(monkeypatch):
    monkeypatch.setattr(matrix, "DENSE_LIMIT", 4 * 16)
    assert matrix.conv_matrix((4, 4), np.ones((3, 3)), dense=True).shape == (4, 16)
    monkeypatch.setattr(matrix, "DENSE_LIMIT", 4 * 16 - 1)
    with pytest.raises(ArgumentError, match="4 x 16 = 64 entries"):
        matrix.conv_matrix((4, 4), np.ones((3, 3)), dense=True)


@pytest.mark.parametrize("shape, exc, match", [
    ((3, 4, 4, 4), ArgumentError, "input_shape.*one sample"),
    ((4,), ArgumentError, "input_shape"),
    ("4x4", ArgumentError, "input_shape"),
    ((2, 0, 4), ArgumentError, "input_shape.*>= 1"),
    ((2, 4.0, 4), TypeError, "input_shape"),
])
def test_bad_input_shape(shape, exc, match):
    with pytest.raises(exc, match=match):
        matrix.conv_matrix(shape, np.ones((1, 2, 3, 3)))


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(stride=0), ArgumentError, "stride"),
    (dict(padding=-1), ArgumentError, "padding"),
    (dict(dilation=0), ArgumentError, "dilation"),
    (dict(groups=3), ArgumentError, "groups"),
    (dict(stride=1.5), TypeError, "stride"),
    (dict(padding=(1, 2, 3)), ArgumentError, "padding"),
])
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        matrix.conv_matrix((2, 5, 5), np.ones((2, 2, 3, 3)), **kwargs)


def test_bad_weights():
    with pytest.raises(ArgumentError, match="weight"):
        matrix.conv_matrix((3, 5, 5), np.ones((2, 2, 3, 3)))            # C_in 3 vs weight's 2
    with pytest.raises(ArgumentError, match="weight"):
        matrix.conv_matrix((3, 5, 5), np.ones((3, 3)))                 # 2-D kernel with (C, H, W)
    with pytest.raises(ArgumentError, match="kernel_size"):
        matrix.conv_matrix((1, 2, 2), np.ones((1, 1, 3, 3)))           # kernel larger than the input
    with pytest.raises(TypeError, match="weight"):
        matrix.conv_matrix((1, 5, 5), np.ones((1, 1, 3, 3), dtype=complex))
    with pytest.raises(ArgumentError, match="weight_shape"):
        matrix.conv_matrix_nnz((1, 5, 5), (1, 1, 1, 3, 3, 3))       # six dims: no rank reads it
    # three sizes with a 3-dim weight are one 3-D channel now (conv3d's matrix), no longer a malformed 2-D weight
    assert matrix.conv_matrix_nnz((1, 5, 5), (1, 3, 3)) == 1 * 3 * 3 * 9


def test_bad_gradient_sizes():
    with pytest.raises(ArgumentError, match="grad_output.*input_size"):
        matrix.conv2d_grad_input(np.ones((1, 2, 3, 3)), np.ones((2, 4, 3, 3)), (8, 8), stride=2, padding=1)
