"""The GEMM form has two code paths (one GEMM, or GEMMs over pixel chunks) and threads; all must agree."""
import numpy as np
import pytest

import tconv_edu as te
from tconv_edu import gemm

CASES = [  # (stride, padding, output_padding, dilation, kernel, groups)
    (1, 1, 0, 1, 3, 1),
    (2, 1, 1, 1, 4, 2),
    (3, 0, 2, 2, 2, 1),
    ((2, 1), (0, 2), (1, 0), (1, 2), 3, 1),
    (2, 0, 0, 1, 2, 1),          # kernel == stride: every phase one unshifted tap
    (2, 5, 0, 3, 3, 1),          # padding larger than d * (k - 1): negative shifts
]


@pytest.mark.parametrize("stride, padding, output_padding, dilation, k, groups", CASES)
def test_chunked_path_matches_one_gemm(monkeypatch, stride, padding, output_padding, dilation, k, groups):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 2 * groups, 50, 47))             # 50 x 47 > 2048 pixels: several chunks
    w = rng.standard_normal((2 * groups, 3, k, k))
    b = rng.standard_normal(3 * groups)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups)
    one = gemm.conv_transpose2d(x, w, b, **kw)
    monkeypatch.setattr(gemm, "CHUNK_BYTES", 1)
    chunked = gemm.conv_transpose2d(x, w, b, **kw)
    np.testing.assert_allclose(chunked, one, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(one, te.direct.conv_transpose2d(x, w, b, **kw), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride, padding, output_padding, dilation, k, groups", CASES)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_threaded_placement_matches_serial(monkeypatch, n, stride, padding, output_padding, dilation, k, groups):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((n, 2 * groups, 9, 8))
    w = rng.standard_normal((2 * groups, 3, k, k))
    b = rng.standard_normal(3 * groups)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups)
    monkeypatch.setattr(gemm, "THREADS", 1)
    serial = gemm.conv_transpose2d(x, w, b, **kw)
    monkeypatch.setattr(gemm, "THREADS", 3)
    monkeypatch.setattr(gemm, "PARALLEL_MIN", 0)       # threads even for this small case
    threaded = gemm.conv_transpose2d(x, w, b, **kw)
    np.testing.assert_array_equal(threaded, serial)
