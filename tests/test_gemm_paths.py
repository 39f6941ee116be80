"""The GEMM form's routes (tiny, phases, columns), its chunks and its threads must all give the same result."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tconv_edu as te
from tconv_edu import gemm, shapes
from test_nd_properties import nd_cases

CASES = [  # (stride, padding, output_padding, dilation, kernel, groups)
    (1, 1, 0, 1, 3, 1),
    (2, 1, 1, 1, 4, 2),
    (3, 0, 2, 2, 2, 1),
    ((2, 1), (0, 2), (1, 0), (1, 2), 3, 1),
    (2, 0, 0, 1, 2, 1),          # kernel == stride: every phase one unshifted tap (the pixel-shuffle shortcut)
    (2, 5, 0, 3, 3, 1),          # padding larger than d * (k - 1): negative shifts
    (2, 1, 0, 3, 3, 1),          # dilation 3, stride 2: a row phase's shifts are not consecutive (no "rows")
    (2, 1, 0, 1, 5, 1),
    ((1, 1), (0, 3), (0, 0), (1, 2), 4, 1),   # column stride 1 with a crop: the columns route's edges
]


def routes_for(spec):
    """Every route that can compute this spec (tiny needs one input channel per group, columns column stride 1,
    rows each row phase's shifts consecutive)."""
    names = ["phases"]
    if spec.x.shape[1] == spec.groups:
        names.append("tiny")
    if spec.stride[1] == 1:
        names.append("columns")
    if gemm._row_blocks(spec) is not None:
        names.append("rows")
    return names


def every_way(monkeypatch, x, w, b, **kw):
    """{(route, chunked, threaded): result} for every route that applies."""
    spec = shapes.transpose_spec(x, w, b, **kw)
    out = {}
    for chunk in (gemm.CHUNK_BYTES, 1):
        for threads, parallel_min in ((1, gemm.PARALLEL_MIN), (3, 0)):
            monkeypatch.setattr(gemm, "CHUNK_BYTES", chunk)
            monkeypatch.setattr(gemm, "STAGE_BYTES", 1 if chunk == 1 else 256 << 10)   # one channel per stage
            monkeypatch.setattr(gemm, "THREADS", threads)
            monkeypatch.setattr(gemm, "PARALLEL_MIN", parallel_min)
            for name in routes_for(spec):
                out[name, chunk == 1, threads > 1] = gemm._ROUTES[name](spec)
    return out


@pytest.mark.parametrize("stride, padding, output_padding, dilation, k, groups", CASES)
@pytest.mark.parametrize("c_in_per_group", [1, 2])
def test_every_route_chunk_and_thread_count_agree(monkeypatch, stride, padding, output_padding, dilation, k, groups,
                                                  c_in_per_group):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, c_in_per_group * groups, 13, 11))
    w = rng.standard_normal((c_in_per_group * groups, 3, k, k))
    b = rng.standard_normal(3 * groups)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups)
    want = te.direct.conv_transpose2d(x, w, b, **kw)
    results = every_way(monkeypatch, x, w, b, **kw)
    assert len(results) >= 4
    for how, got in results.items():
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=str(how))


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 3), groups=st.integers(1, 2), cg_in=st.integers(1, 3), cg_out=st.integers(1, 3),
       h=st.integers(1, 7), w=st.integers(1, 7), kh=st.integers(1, 4), kw=st.integers(1, 4),
       sh=st.integers(1, 3), sw=st.integers(1, 3), dh=st.integers(1, 2), dw=st.integers(1, 2),
       ph=st.integers(0, 3), pw=st.integers(0, 3), bias=st.booleans(), data=st.data())
def test_routes_match_the_scatter_form(n, groups, cg_in, cg_out, h, w, kh, kw, sh, sw, dh, dw, ph, pw, bias, data):
    oph = data.draw(st.integers(0, max(sh, dh) - 1))
    opw = data.draw(st.integers(0, max(sw, dw) - 1))
    kwargs = dict(stride=(sh, sw), padding=(ph, pw), output_padding=(oph, opw), dilation=(dh, dw), groups=groups)
    try:
        te.output_size((h, w), (kh, kw), stride=(sh, sw), padding=(ph, pw), output_padding=(oph, opw),
                       dilation=(dh, dw))
    except te.ArgumentError:
        return                                            # padding crops everything: no call to compare
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, cg_in * groups, h, w))
    wt = rng.standard_normal((cg_in * groups, cg_out, kh, kw))
    b = rng.standard_normal(cg_out * groups) if bias else None
    want = te.scatter.conv_transpose2d(x, wt, b, **kwargs)
    spec = shapes.transpose_spec(x, wt, b, **kwargs)
    for name in routes_for(spec):
        np.testing.assert_allclose(gemm._ROUTES[name](spec), want, rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("x_shape, w_shape, kw, route", [
    ((28, 28), (3, 3), dict(stride=2, padding=1, output_padding=1), "tiny"),
    ((1, 32, 64, 64), (32, 16, 3, 3), dict(padding=1), "columns"),
    ((16, 128, 16, 16), (128, 64, 4, 4), dict(stride=2, padding=1), "rows"),
    ((4, 64, 8, 8), (64, 32, 2, 2), dict(stride=2), "phases"),
    ((2, 512, 8, 8), (512, 3, 3, 3), dict(padding=1), "phases"),    # many inputs, few outputs: scatter
])
def test_route_is_chosen_by_shape(x_shape, w_shape, kw, route):
    spec = shapes.transpose_spec(np.zeros(x_shape, np.float32), np.zeros(w_shape, np.float32), **kw)
    assert gemm.route(spec) == route


def test_float32_stays_float32_on_every_route(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 1, 9, 8)).astype(np.float32)
    w = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    for how, got in every_way(monkeypatch, x, w, b, stride=1, padding=1).items():
        assert got.dtype == np.float32, how
        np.testing.assert_allclose(got, te.direct.conv_transpose2d(x, w, b, stride=1, padding=1), rtol=1e-5,
                                   atol=1e-5, err_msg=str(how))


def test_cached_placement_cannot_be_written():
    t = gemm._placement(5, 9, 3, 2, 1, 0, "<f8")
    with pytest.raises(ValueError):
        t[0, 0] = 7


ROUTE_CASES = {  # a call that takes each route, with the work arrays it keeps between calls
    "tiny": ((2, 1, 9, 8), (1, 2, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    "phases": ((3, 4, 9, 8), (4, 3, 2, 2), dict(stride=2)),
    "rows": ((3, 4, 9, 8), (4, 3, 4, 4), dict(stride=2, padding=1)),
    "columns": ((2, 3, 9, 8), (3, 2, 3, 3), dict(padding=1)),
}


@pytest.mark.parametrize("name", sorted(ROUTE_CASES))
def test_a_result_is_never_a_kept_work_array(name):
    x_shape, w_shape, kw = ROUTE_CASES[name]
    rng = np.random.default_rng(5)
    args = [(rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[1]))
            for _ in range(2)]
    assert gemm.route(shapes.transpose_spec(*args[0], **kw)) == name
    first = gemm.conv_transpose2d(*args[0], **kw)
    kept = first.copy()
    second = gemm.conv_transpose2d(*args[1], **kw)       # same shapes: the kept work arrays are reused
    np.testing.assert_array_equal(first, kept)
    assert not np.shares_memory(first, second)
    np.testing.assert_allclose(second, te.direct.conv_transpose2d(*args[1], **kw), rtol=1e-10, atol=1e-10)


def test_threads_calling_at_once_get_their_own_work_arrays():
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(6)
    cases = [(rng.standard_normal((4, 8, 12, 12)), rng.standard_normal((8, 4, 4, 4)), rng.standard_normal(4))
             for _ in range(6)]
    kw = dict(stride=2, padding=1)
    want = [te.direct.conv_transpose2d(*c, **kw) for c in cases]

    def run(i):
        return [gemm.conv_transpose2d(*cases[i], **kw) for _ in range(20)]
    with ThreadPoolExecutor(3) as pool:
        for i, results in enumerate(pool.map(run, range(len(cases)))):
            for got in results:
                np.testing.assert_allclose(got, want[i], rtol=1e-10, atol=1e-10)


def test_cache_clear_frees_what_the_form_keeps():
    gemm.conv_transpose2d(np.ones((2, 4, 9, 8)), np.ones((4, 3, 4, 4)), stride=2, padding=1)
    gemm.conv_transpose2d(np.ones((9, 8)), np.ones((3, 3)), stride=2)
    assert gemm._scratch.cache_info().currsize > 0 and gemm._placement.cache_info().currsize > 0
    gemm.cache_clear()
    assert gemm._scratch.cache_info().currsize == 0 and gemm._placement.cache_info().currsize == 0


def test_work_arrays_above_a_chunk_are_not_kept(monkeypatch):
    gemm.cache_clear()
    monkeypatch.setattr(gemm, "CHUNK_BYTES", 64)
    gemm.conv_transpose2d(np.ones((2, 4, 9, 8)), np.ones((4, 3, 4, 4)), stride=2, padding=1)
    assert gemm._scratch.cache_info().currsize == 0


# ------------------------------------------------------------------------------------------ 1-D and 3-D routes

def nd_ways(monkeypatch, spec):
    """{(route, merged, chunked, threaded): result} of the 1-D / 3-D routes: "gather" with its phases merged into
    one GEMM and not, "stamps"; in chunks of one row (or one image) and whole; serial and in three threads."""
    out = {}
    for chunk in (gemm.CHUNK_BYTES, 1):
        for threads, parallel_min in ((1, gemm.PARALLEL_MIN), (3, 0)):
            monkeypatch.setattr(gemm, "CHUNK_BYTES", chunk)
            monkeypatch.setattr(gemm, "THREADS", threads)
            monkeypatch.setattr(gemm, "PARALLEL_MIN", parallel_min)
            for merged, (most, waste) in (("merged", (0, 10 ** 6)), ("apart", (10 ** 6, 0))):
                monkeypatch.setattr(gemm, "GATHER_GEMMS", most)
                monkeypatch.setattr(gemm, "GATHER_WASTE", waste)
                out["gather", merged, chunk == 1, threads > 1] = gemm._ROUTES["gather"](spec)
            out["stamps", "", chunk == 1, threads > 1] = gemm._ROUTES["stamps"](spec)
    return out


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_nd_routes_chunks_and_threads_match_the_scatter_form(data):
    rank, x, w, b, params = data.draw(nd_cases(rank=data.draw(st.sampled_from([1, 3])), layout="batched"))
    spec = shapes.transpose_spec(x, w, b, rank=rank, **params)
    want = te.scatter.transpose(spec)
    with pytest.MonkeyPatch.context() as mp:            # one per example: the settings come back after each
        ways = nd_ways(mp, spec)
    for key, got in ways.items():
        assert got.shape == want.shape and got.dtype == want.dtype, key
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=str(key))


@pytest.mark.parametrize("x_shape, w_shape, kw, route, gemms", [
    ((4, 512, 64), (512, 256, 16), dict(stride=8, padding=4), "stamps", None),              # W5: a large weight
    ((1, 64, 32, 32, 32), (64, 32, 2, 2, 2), dict(stride=2), "gather", 1),                  # W6: k = s, one GEMM
    ((1, 32, 24, 24, 24), (32, 16, 3, 3, 3), dict(stride=2, padding=1, output_padding=1), "gather", 1),  # W7
    ((1, 8, 6, 6, 6), (8, 8, 4, 4, 4), dict(stride=2, padding=1), "gather", 8),              # merging wastes 3.4x
    ((2, 3, 50), (3, 2, 4), dict(stride=2, padding=1), "gather", 2),
])
def test_nd_route_and_its_gemms_are_chosen_by_shape(x_shape, w_shape, kw, route, gemms):
    spec = shapes.transpose_spec(np.ones(x_shape, np.float32), np.ones(w_shape, np.float32), rank=len(x_shape) - 2,
                                 **kw)
    assert gemm.route(spec) == route
    if gemms is not None:
        assert len(gemm._gather_plan(spec)[1]) == gemms


@pytest.mark.parametrize("name", ["gather", "stamps"])
def test_nd_float32_stays_float32_and_a_result_is_never_a_work_array(name):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 5, 3)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 2, 3)).astype(np.float32)
    spec = shapes.transpose_spec(x, w, rank=3, stride=2, padding=1, output_padding=1)
    first = gemm._ROUTES[name](spec)
    assert first.dtype == np.float32 and first.flags.c_contiguous
    kept = first.copy()
    gemm._ROUTES[name](spec)
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_allclose(first, te.scatter.transpose(spec), rtol=1e-5, atol=1e-5)
