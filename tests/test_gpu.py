"""The GPU form (tconv_edu.gpu): same contract as the CPU forms, three CUDA kernels.

- Without a GPU (CI): the error on use, availability reporting that never raises, import hygiene, the kernel source
  compiling with nvcc, and the kernels' index arithmetic run on the host (the same source, compiled with a C++
  compiler behind a few macros, driven with the same integer arguments the GPU launch uses) against the scatter form.
- With a GPU (``-m gpu``): golden data from PyTorch and hypothesis properties against the scatter form, every
  parameter, every kernel, float32 and float64; skipped with the reason where ``is_available()`` is False.
"""
import contextlib
import ctypes
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tconv_edu as te
from tconv_edu import gpu, scatter, shapes
from tconv_cases import close, transpose_cases
from test_golden import TRANSPOSE, _ids, _params, _torch_arrays
from test_nd_properties import nd_cases

ROOT = Path(__file__).resolve().parents[1]
KERNELS = ["gather", "scatter", "gemm"]
DTYPES = [np.float32, np.float64]
#: error allowed per output element, relative to sum |x| |w| + |bias| over its taps (~84 float32 eps, ~450 float64)
TOL = {np.float32: 1e-5, np.float64: 1e-13}

needs_gpu = pytest.mark.skipif(not gpu.is_available(), reason=f"no usable GPU: {gpu.unavailable_reason()}")


# ------------------------------------------------------------------------------------------------ random cases
# tconv_cases.transpose_cases: the strategy the CPU forms' property tests draw from (every parameter, int or pair)

def _reference(x, w, b, kw, dtype):
    """The scatter form in float64 on the dtype-rounded inputs, and the per-element error scale."""
    x, w, b = (None if a is None else a.astype(dtype).astype(np.float64) for a in (x, w, b))
    want = scatter.conv_transpose2d(x, w, b, **kw)
    scale = scatter.conv_transpose2d(np.abs(x), np.abs(w), None if b is None else np.abs(b), **kw)
    return want, scale


def _assert_close(got, x, w, b, kw, dtype):
    want, scale = _reference(x, w, b, kw, dtype)
    assert got.dtype == dtype and got.shape == want.shape
    err = np.abs(got.astype(np.float64) - want)
    bad = err > TOL[dtype] * (scale + 1e-3)
    assert not bad.any(), (f"{int(bad.sum())} of {bad.size} elements off; worst {err.max():.3g} "
                           f"at {np.unravel_index(err.argmax(), err.shape)}; shapes x{x.shape} w{w.shape} {kw}")


# --------------------------------------------------------------------------------------- no GPU needed (CI too)

def test_registered_as_form():
    assert te.FORMS["gpu"] is gpu.conv_transpose2d
    assert "gpu" in te.__all__


def test_import_never_loads_cupy(tmp_path):
    """A fake ``cupy`` on the path would show up in sys.modules if importing or running a CPU form touched it."""
    (tmp_path / "cupy").mkdir()
    (tmp_path / "cupy" / "__init__.py").write_text("raise ImportError('the fake cupy was imported')\n")
    code = textwrap.dedent("""
        import sys, numpy as np, tconv_edu
        assert tconv_edu.conv_transpose2d(np.ones((2, 2)), np.ones((2, 2))).shape == (3, 3)
        assert 'gpu' in tconv_edu.FORMS
        print(sorted(m for m in sys.modules if m.split('.')[0] == 'cupy'))
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_unknown_kernel_is_rejected_before_any_work():
    with pytest.raises(shapes.ArgumentError, match=r"kernel='fast'.*'gather'"):
        gpu.conv_transpose2d(np.ones((2, 2)), np.ones((2, 2)), kernel="fast")
    with pytest.raises(TypeError, match="kernel=1"):
        gpu.conv_transpose2d(np.ones((2, 2)), np.ones((2, 2)), kernel=1)


def test_error_on_use_names_the_reason_and_the_fix(monkeypatch):
    monkeypatch.setattr(gpu, "unavailable_reason", lambda: "CuPy is not installed (No module named 'cupy')")
    assert gpu.is_available() is False
    for call in (lambda: gpu.conv_transpose2d(np.ones((2, 2)), np.ones((2, 2))),
                 lambda: te.conv_transpose2d(np.ones((2, 2)), np.ones((2, 2)), method="gpu")):
        with pytest.raises(gpu.GPUUnavailableError, match=r"CuPy is not installed.*pip install \.\[gpu\]"):
            call()
    assert issubclass(gpu.GPUUnavailableError, RuntimeError)


@pytest.mark.skipif(gpu.is_available(), reason="a GPU is usable here: the error on use cannot happen")
def test_error_on_use_on_this_machine():
    with pytest.raises(gpu.GPUUnavailableError, match=re.escape(gpu.unavailable_reason())):
        te.conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), method="gpu")


class _FakeRuntime:
    def __init__(self, error):
        self.error = error

    def getDeviceCount(self):
        if self.error:
            raise RuntimeError(self.error)
        return 0


class _FakeCupy:
    """Stands in for the CuPy wheel on a machine without a GPU: imports fine, is_available() is False."""
    __version__ = "14.2.0"

    def __init__(self, available, error=None, broken=False):
        self._available, self._broken = available, broken
        self.cuda = type("cuda", (), {"runtime": _FakeRuntime(error)})()

    def is_available(self):
        if self._broken:
            raise OSError("libcuda.so: cannot open shared object file")
        return self._available


@pytest.mark.parametrize("fake, expect", [
    (None, "CuPy is not installed"),
    (_FakeCupy(False, "cudaErrorInsufficientDriver: CUDA driver version is insufficient"), "cudaErrorInsufficient"),
    (_FakeCupy(False), "found 0 usable CUDA devices"),
    (_FakeCupy(False, broken=True), "libcuda.so"),
])
def test_availability_never_raises(monkeypatch, fake, expect):
    monkeypatch.setitem(sys.modules, "cupy", fake)          # None makes ``import cupy`` raise ImportError
    assert expect in gpu.unavailable_reason()
    assert gpu.is_available() is False


def test_availability_with_a_device(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _FakeCupy(True))
    assert gpu.unavailable_reason() is None and gpu.is_available() is True


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not on PATH (the CUDA toolkit is not installed)")
def test_kernel_source_compiles_with_nvcc(tmp_path):
    """The exact source the module hands NVRTC, with every template instance it asks for."""
    src = tmp_path / "kernels.cu"
    taken = ", ".join(f"(void*)&{name}" for name in gpu.KERNEL_NAMES.values())
    src.write_text(gpu.KERNEL_SOURCE + f"\nvoid* tconv_instance(int i) {{ void* const all[] = {{{taken}}}; "
                   f"return all[i]; }}\n")
    out = subprocess.run(["nvcc", "--ptx", "-arch=compute_75", "-Werror", "all-warnings", "-o",
                          str(tmp_path / "kernels.ptx"), str(src)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    entries = re.findall(r"\.entry\s+(\w+)", (tmp_path / "kernels.ptx").read_text())
    for kind in ("gather", "scatter", "col2im"):
        for code in ("If", "Id"):                      # float and double instances (mangled names)
            assert any(f"tconv_{kind}{code}" in e for e in entries), (kind, code, entries)


# ------------------------------------------ the kernels' index arithmetic, on the host, with the same arguments

HOST_PRELUDE = r"""
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
struct tconv_dim { unsigned x, y, z; };
// one block of one thread: the grid-stride loop walks every work item in order
static const tconv_dim threadIdx = {0, 0, 0}, blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
template <typename T> T atomicAdd(T* p, T v) { T old = *p; *p += v; return old; }
"""
POINTERS = {"gather": 4, "scatter": 3, "col2im": 5}


@pytest.fixture(scope="module")
def host_kernels(tmp_path_factory):
    cxx = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler to run the kernel source on the host")
    tmp = tmp_path_factory.mktemp("host_kernels")
    wrappers = []
    for kind, ints in gpu.KERNEL_INTS.items():
        for t in ("float", "double"):
            ptrs = ", ".join(f"{t}* a{i}" for i in range(3)) + (", long long* a3, long long* a4" if kind == "col2im"
                                                                 else ", " + t + "* a3" if kind == "gather" else "")
            args = ", ".join([f"a{i}" for i in range(POINTERS[kind])] + [f"p[{i}]" for i in range(len(ints))])
            wrappers.append(f'extern "C" void host_{kind}_{t}({ptrs}, const int* p) '
                            f'{{ tconv_{kind}<{t}>({args}); }}')
    (tmp / "k.cpp").write_text(HOST_PRELUDE + gpu.KERNEL_SOURCE + "\n".join(wrappers) + "\n")
    lib = tmp / "libk.so"
    out = subprocess.run([cxx, "-O1", "-shared", "-fPIC", "-o", str(lib), str(tmp / "k.cpp")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return ctypes.CDLL(str(lib))


def _host_run(lib, kernel, x, w, b, kw):
    """What a plan launches, with NumPy arrays and the host-compiled kernels."""
    spec = shapes.transpose_spec(x, w, b, **kw)
    ctype = {np.float32: "float", np.float64: "double"}[spec.dtype.type]
    arr = [np.ascontiguousarray(a) for a in (spec.x, spec.weight)]
    bias = None if spec.bias is None else np.ascontiguousarray(spec.bias)

    def call(kind, *arrays):
        ints = np.array(gpu._kernel_ints(kind, spec), dtype=np.int32)
        ptrs = [a.ctypes.data_as(ctypes.c_void_p) for a in arrays]
        getattr(lib, f"host_{kind}_{ctype}")(*ptrs, ints.ctypes.data_as(ctypes.c_void_p))

    if kernel == "scatter":
        y = np.zeros(spec.out_shape, spec.dtype)
        call("scatter", arr[0], arr[1], y)
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)
    else:
        y = np.full(spec.out_shape, np.nan, spec.dtype)       # poisoned: every element must be written
        b_ptr = y if bias is None else bias
        if kernel == "gather":
            call("gather", arr[0], arr[1], b_ptr, y)
        else:
            cols = gpu.stamps(spec, np)
            assert cols.flags.c_contiguous and cols.shape[0] == spec.c_out
            call("col2im", cols, b_ptr, y, *gpu._col2im_tables(spec))
    return spec.finish(y)


@pytest.mark.parametrize("kernel", KERNELS)
def test_host_kernels_seed_example(host_kernels, kernel):
    got = _host_run(host_kernels, kernel, np.array([[1., 2], [3, 4]]), np.array([[0., 1], [1, 0]]), None, {})
    np.testing.assert_array_equal(got, [[0, 1, 2], [1, 5, 4], [3, 4, 0]])


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("entry", TRANSPOSE, ids=_ids(TRANSPOSE))
def test_host_kernels_match_torch(host_kernels, kernel, entry):
    x, w, b, want = _torch_arrays(entry)
    close(_host_run(host_kernels, kernel, x, w, b, _params(entry)), want, 1e-10)


@given(case=transpose_cases(), kernel=st.sampled_from(KERNELS), dtype=st.sampled_from(DTYPES))
def test_host_kernels_match_scatter_form(host_kernels, case, kernel, dtype):
    x, w, b, kw = case
    f = [None if a is None else a.astype(dtype) for a in (x, w, b)]
    _assert_close(_host_run(host_kernels, kernel, *f, kw), x, w, b, kw, dtype)


class _HostCupy:
    """NumPy dressed as CuPy, whose RawModule runs the host-compiled kernels: drives gpu.py's own launch code."""
    ndarray = np.ndarray
    __version__ = "host"

    def __init__(self, lib):
        self._lib, self.launches = lib, []

    def __getattr__(self, name):
        return getattr(np, name)

    def is_available(self):
        return True

    def asnumpy(self, a):
        return np.asarray(a)

    def RawModule(self, code, options, name_expressions):
        assert code == gpu.KERNEL_SOURCE
        host = self

        class Module:
            def compile(self):
                pass

            def get_function(self, name):
                assert name in name_expressions
                kind, ctype = re.fullmatch(r"tconv_(\w+)<(\w+)>", name).groups()

                def launch(grid, block, args):
                    assert len(grid) in (1, 2) and min(grid) >= 1 and block == (gpu.BLOCK,)
                    if kind == "col2im":                      # the tap tables
                        assert [a.dtype for a in args if isinstance(a, np.ndarray)][3:] == [np.int64] * 2
                    ptrs = [a.ctypes.data_as(ctypes.c_void_p) for a in args if isinstance(a, np.ndarray)]
                    ints = np.array([a for a in args if isinstance(a, np.int32)], dtype=np.int32)
                    assert len(ptrs) == POINTERS[kind] and len(ptrs) + len(ints) == len(args)
                    assert all(a.flags.c_contiguous for a in args if isinstance(a, np.ndarray))
                    host.launches.append(kind)
                    getattr(host._lib, f"host_{kind}_{ctype}")(*ptrs, ints.ctypes.data_as(ctypes.c_void_p))
                return launch
        return Module()


@given(case=transpose_cases(), kernel=st.sampled_from(KERNELS + ["auto"]), dtype=st.sampled_from(DTYPES))
def test_launch_code_with_host_kernels(host_kernels, case, kernel, dtype):
    """gpu.conv_transpose2d end to end, CuPy replaced by NumPy and the GPU by the host-compiled kernels."""
    x, w, b, kw = case
    f = [None if a is None else a.astype(dtype) for a in (x, w, b)]
    with _host_cupy(host_kernels) as fake:
        got = gpu.conv_transpose2d(*f, kernel=kernel, **kw)
        again = gpu.conv_transpose2d(*f, kernel=kernel, **kw)             # the cached plan, no checks
        info = gpu.cache_info()
        assert (info.hits, info.misses, info.currsize) == (1, 1, 1)
    chosen = gpu.choose(shapes.transpose_spec(x, w, b, **kw), kernel)
    assert fake.launches == 2 * [{"gemm": "col2im"}.get(chosen, chosen)]
    _assert_close(got, x, w, b, kw, dtype)
    np.testing.assert_array_equal(again, got)


def test_cached_plans_never_let_a_bad_call_through(host_kernels):
    x, w = np.ones((1, 2, 3, 3)), np.ones((2, 2, 3, 3))
    with _host_cupy(host_kernels):
        for _ in range(2):
            gpu.conv_transpose2d(x, w, stride=1, padding=(1, 1))
        with pytest.raises(TypeError, match="stride=True"):
            gpu.conv_transpose2d(x, w, stride=True, padding=(1, 1))
        with pytest.raises(shapes.ArgumentError, match="padding"):
            gpu.conv_transpose2d(x, w, stride=1, padding=(1, -1))
        with pytest.raises(shapes.ArgumentError, match="bias"):
            gpu.conv_transpose2d(x, w, np.ones(3), stride=1, padding=(1, 1))
        y = gpu.conv_transpose2d(x[0], w, stride=1, padding=(1, 1))       # another layout: its own plan
        assert y.shape == (2, 3, 3) and gpu.cache_info().currsize == 2


def _assert_close_nd(rank, got, x, w, b, kw, dtype):
    """``_assert_close`` in any rank: against the scatter form in float64 on the dtype-rounded inputs."""
    x, w, b = (None if a is None else a.astype(dtype).astype(np.float64) for a in (x, w, b))
    fn = {1: scatter.conv_transpose1d, 2: scatter.conv_transpose2d, 3: scatter.conv_transpose3d}[rank]
    want = fn(x, w, b, **kw)
    scale = fn(np.abs(x), np.abs(w), None if b is None else np.abs(b), **kw)
    assert got.dtype == dtype and got.shape == want.shape
    bad = np.abs(got.astype(np.float64) - want) > TOL[dtype] * (scale + 1e-3)
    assert not bad.any(), f"{int(bad.sum())} of {bad.size} elements off; shapes x{x.shape} w{w.shape} {kw}"


@given(case=nd_cases(rank=1), kernel=st.sampled_from(KERNELS + ["auto"]), dtype=st.sampled_from(DTYPES))
def test_1d_launch_code_with_host_kernels(host_kernels, case, kernel, dtype):
    """gpu.conv_transpose1d end to end on the host kernels: the 2-D kernels on the call of height 1."""
    rank, x, w, b, kw = case
    f = [None if a is None else a.astype(dtype) for a in (x, w, b)]
    with _host_cupy(host_kernels) as fake:
        got = gpu.conv_transpose1d(*f, kernel=kernel, **kw)
    assert len(fake.launches) == 1
    _assert_close_nd(1, got, x, w, b, kw, dtype)


@given(case=nd_cases(rank=3), dtype=st.sampled_from(DTYPES))
def test_3d_generic_route_with_numpy_as_cupy(host_kernels, case, dtype):
    """gpu.conv_transpose3d end to end with NumPy standing in for CuPy: no kernel launch, stamps and strided adds."""
    rank, x, w, b, kw = case
    f = [None if a is None else a.astype(dtype) for a in (x, w, b)]
    with _host_cupy(host_kernels) as fake:
        got = gpu.conv_transpose3d(*f, **kw)
        with pytest.raises(shapes.ArgumentError, match="kernel='gather'"):
            gpu.conv_transpose3d(*f, kernel="gather", **kw)
    assert fake.launches == []
    _assert_close_nd(3, got, x, w, b, kw, dtype)


def test_1d_and_3d_without_a_gpu_name_the_reason():
    if gpu.is_available():
        pytest.skip("a GPU is usable here")
    for fn, x, w in ((gpu.conv_transpose1d, np.ones((1, 1, 3)), np.ones((1, 1, 2))),
                     (gpu.conv_transpose3d, np.ones((1, 1, 2, 2, 2)), np.ones((1, 1, 2, 2, 2)))):
        with pytest.raises(gpu.GPUUnavailableError, match="needs CuPy and a CUDA GPU"):
            fn(x, w)


@contextlib.contextmanager
def _host_cupy(lib):
    """Install _HostCupy as ``cupy`` (and empty gpu.py's caches) for the duration."""
    fake = _HostCupy(lib)
    saved = sys.modules.get("cupy")
    sys.modules["cupy"] = fake

    def clear():
        gpu._module.cache_clear()
        gpu._function.cache_clear()
        gpu.cache_clear()
    clear()
    try:
        yield fake
    finally:
        clear()
        if saved is None:
            del sys.modules["cupy"]
        else:
            sys.modules["cupy"] = saved


# -------------------------------------------------------------------------------------------- on a real GPU

@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS + ["auto"])
@pytest.mark.parametrize("entry", TRANSPOSE, ids=_ids(TRANSPOSE))
def test_gpu_matches_torch_golden(entry, kernel, dtype):
    x, w, b, want = _torch_arrays(entry)
    f = [None if a is None else a.astype(dtype) for a in (x, w, b)]
    got = gpu.conv_transpose2d(*f, kernel=kernel, **_params(entry))
    assert isinstance(got, np.ndarray) and got.dtype == dtype
    close(got.astype(np.float64), want, 1e-10 if dtype == np.float64 else 1e-5)


@pytest.mark.gpu
@needs_gpu
@given(case=transpose_cases(), kernel=st.sampled_from(KERNELS), dtype=st.sampled_from(DTYPES))
def test_gpu_matches_scatter_form(case, kernel, dtype):
    import cupy
    x, w, b, kw = case
    f = [None if a is None else cupy.asarray(a.astype(dtype)) for a in (x, w, b)]
    got = gpu.conv_transpose2d(*f, kernel=kernel, **kw)
    assert isinstance(got, cupy.ndarray)
    _assert_close(cupy.asnumpy(got), x, w, b, kw, dtype)


@pytest.mark.gpu
@needs_gpu
def test_gpu_array_types_and_dtypes():
    import cupy
    x, w = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4), np.ones((3, 2, 3, 3), dtype=np.int64)
    y = te.conv_transpose2d(x, w, stride=2, method="gpu")
    assert isinstance(y, np.ndarray) and y.dtype == np.float64            # integers compute in float64
    np.testing.assert_allclose(y, scatter.conv_transpose2d(x, w, stride=2), rtol=1e-12)
    y32 = gpu.conv_transpose2d(cupy.asarray(x, dtype=cupy.float32), cupy.asarray(w, dtype=cupy.float32), stride=2)
    assert isinstance(y32, cupy.ndarray) and y32.dtype == cupy.float32
    y16 = gpu.conv_transpose2d(cupy.asarray(x, dtype=cupy.float16), cupy.asarray(w, dtype=cupy.float16))
    assert y16.dtype == cupy.float32                                       # the shared dtype rule
    xt = cupy.asarray(x, dtype=cupy.float64).transpose(0, 1, 3, 2)        # non-contiguous input
    np.testing.assert_allclose(cupy.asnumpy(gpu.conv_transpose2d(xt, cupy.asarray(w, dtype=float), padding=1)),
                               scatter.conv_transpose2d(x.transpose(0, 1, 3, 2), w, padding=1), rtol=1e-12)


@pytest.mark.gpu
@needs_gpu
def test_gpu_bad_arguments_raise_before_any_work():
    import cupy
    x, w = cupy.ones((1, 4, 3, 3)), cupy.ones((4, 2, 3, 3))
    with pytest.raises(shapes.ArgumentError, match="bias"):
        gpu.conv_transpose2d(x, w, cupy.ones(3))
    with pytest.raises(shapes.ArgumentError, match="output_padding"):
        gpu.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(shapes.ArgumentError, match="groups"):
        gpu.conv_transpose2d(x, w, groups=3)


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("kernel", KERNELS)
def test_gpu_larger_case_and_repeatability(kernel):
    """A size with many blocks (and the grid-stride loop's tail); gather and gemm repeat bit for bit."""
    import cupy
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 24, 19, 21)).astype(np.float32)
    w = rng.standard_normal((24, 5, 4, 3)).astype(np.float32)
    b = rng.standard_normal(10).astype(np.float32)
    kw = dict(stride=(2, 3), padding=(1, 2), output_padding=(1, 0), dilation=(1, 2), groups=2)
    xs, ws, bs = map(cupy.asarray, (x, w, b))
    first = gpu.conv_transpose2d(xs, ws, bs, kernel=kernel, **kw)
    _assert_close(cupy.asnumpy(first), x.astype(float), w.astype(float), b.astype(float), kw, np.float32)
    if kernel != "scatter":
        for _ in range(3):
            assert bool((gpu.conv_transpose2d(xs, ws, bs, kernel=kernel, **kw) == first).all())


@pytest.mark.gpu
@needs_gpu
@given(case=nd_cases(), dtype=st.sampled_from(DTYPES))
def test_gpu_1d_and_3d_match_scatter_form(case, dtype):
    """Every rank on the device: CuPy in, CuPy out; every kernel in 1-D, the generic route in 3-D."""
    import cupy
    rank, x, w, b, kw = case
    fn = {1: gpu.conv_transpose1d, 2: gpu.conv_transpose2d, 3: gpu.conv_transpose3d}[rank]
    f = [None if a is None else cupy.asarray(a.astype(dtype)) for a in (x, w, b)]
    for kernel in (KERNELS if rank < 3 else ["gemm"]) + ["auto"]:
        got = fn(*f, kernel=kernel, **kw)
        assert isinstance(got, cupy.ndarray)
        _assert_close_nd(rank, cupy.asnumpy(got), x, w, b, kw, dtype)


@pytest.mark.gpu
@needs_gpu
def test_gpu_nd_through_the_public_entry_points():
    rng = np.random.default_rng(3)
    for rank, fn in ((1, te.conv_transpose1d), (3, te.conv_transpose3d)):
        x = rng.standard_normal((2, 8) + (5,) * rank).astype(np.float32)
        w = rng.standard_normal((8, 3) + (3,) * rank).astype(np.float32)
        kw = dict(stride=2, padding=1, output_padding=1, groups=2)
        got = fn(x, w, method="gpu", **kw)
        assert isinstance(got, np.ndarray)
        _assert_close_nd(rank, got, x.astype(float), w.astype(float), None, kw, np.float32)


def test_auto_picks_gemm_unless_channels_are_few():
    spec = shapes.transpose_spec(np.ones((16, 128, 16, 16)), np.ones((128, 64, 4, 4)), stride=2, padding=1)
    assert gpu.choose(spec) == "gemm" and gpu.choose(spec, "scatter") == "scatter"
    assert gpu.choose(shapes.transpose_spec(np.ones((28, 28)), np.ones((3, 3)), stride=2)) == "gather"
    assert gpu.choose(shapes.transpose_spec(np.ones((1, 8, 4, 4)), np.ones((8, 1, 3, 3)), groups=8)) == "gather"


def test_tap_table_lists_the_stamps_landing_on_each_output():
    # 2 inputs, kernel 3, stride 2: o = 2i + t; offsets t*10 + i
    np.testing.assert_array_equal(gpu._tap_table(5, 2, 3, 2, 1, 0, 10, 1),
                                  [[1, 0, 0], [1, 10, 0], [2, 1, 20], [1, 11, 0], [1, 21, 0]])
    # padding 1 crops the first row; dilation 2 spreads the taps
    np.testing.assert_array_equal(gpu._tap_table(3, 2, 2, 1, 2, 1, 10, 1), [[1, 1], [1, 10], [1, 11]])


# ------------------------------------------------------------------ the plan cache, without CuPy (CI too)

class _FakeArray:
    """Only what ``gpu._signature`` reads: a shape and a dtype (no data, no CuPy)."""
    def __init__(self, shape, dtype=np.float32):
        self.shape, self.dtype = shape, np.dtype(dtype)


def _sig(x, w, b, stride=2, padding=1, output_padding=0, dilation=1, groups=1, kernel="auto"):
    return gpu._signature(_FakeArray, x, w, b, stride, padding, output_padding, dilation, groups, kernel)


def test_signature_keys_on_shapes_dtypes_exact_parameters_and_kernel():
    x, w, b = _FakeArray((1, 2, 5, 5)), _FakeArray((2, 3, 3, 3)), _FakeArray((3,))
    key = _sig(x, w, b)
    assert key == _sig(_FakeArray((1, 2, 5, 5)), _FakeArray((2, 3, 3, 3)), _FakeArray((3,))) and hash(key)
    others = [_sig(_FakeArray((2, 2, 5, 5)), w, b), _sig(_FakeArray((1, 2, 5, 5), np.float64), w, b),
              _sig(x, _FakeArray((2, 3, 3, 3), np.float64), b), _sig(x, w, None), _sig(x, w, _FakeArray((3,), "f8")),
              _sig(x, w, b, stride=1), _sig(x, w, b, padding=(1, 0)), _sig(x, w, b, output_padding=1),
              _sig(x, w, b, dilation=2), _sig(x, w, b, groups=2), _sig(x, w, b, kernel="gemm")]
    assert len({key, *others}) == len(others) + 1
    # what the key cannot vouch for takes the fully checked path: other array types, bools, numpy ints, lists
    for unsure in (_sig(np.ones((1, 2, 5, 5)), w, b), _sig(x, w, np.ones(3)), _sig(x, w, b, stride=True),
                   _sig(x, w, b, stride=np.int64(2)), _sig(x, w, b, padding=[1, 1]), _sig(x, w, b, dilation=1.0),
                   _sig(x, w, b, groups=np.int64(1)), _sig(x, w, b, output_padding=(0, False))):
        assert unsure is None


@given(case=transpose_cases(), kernel=st.sampled_from(KERNELS + ["auto"]),
       dtype=st.sampled_from(DTYPES + [np.int64]))
def test_a_plan_from_the_signature_is_the_plan_of_the_checked_call(case, kernel, dtype):
    """_plan checks data-free stand-ins of the key's shapes and dtypes: the same plan as from the real arrays."""
    x, w, b, kw = case
    x, w = x.astype(dtype), w.astype(dtype)
    full = {**dict(stride=1, padding=0, output_padding=0, dilation=1, groups=1), **kw}
    key = gpu._signature(np.ndarray, x, w, b, full["stride"], full["padding"], full["output_padding"],
                         full["dilation"], full["groups"], kernel)
    want, got = gpu._Plan(shapes.transpose_spec(x, w, b, **kw), kernel), gpu._plan(key)
    for slot in ("kernel", "kind", "ints", "grid", "x4", "w4", "fields"):
        assert getattr(got, slot) == getattr(want, slot), slot
    assert len(got.tables) == len(want.tables)
    for a, e in zip(got.tables, want.tables):
        np.testing.assert_array_equal(a, e)


@pytest.fixture
def fresh_plans():
    gpu.cache_clear()
    yield
    gpu.cache_clear()


def test_plan_cache_is_bounded_clearable_and_keeps_only_good_calls(fresh_plans):
    def key(h, stride=1):
        return gpu._signature(np.ndarray, np.ones((1, 1, h, 4)), np.ones((1, 1, 3, 3)), None, stride, 0, 0, 1, 1,
                              "auto")
    first = gpu._plan(key(1))
    assert gpu._plan(key(1)) is first
    info = gpu.cache_info()
    assert (info.hits, info.misses, info.currsize, info.maxsize) == (1, 1, 1, gpu.PLAN_CACHE_SIZE)
    for _ in range(2):                                  # a bad call raises every time and is never kept
        with pytest.raises(shapes.ArgumentError, match="stride=0"):
            gpu._plan(key(1, stride=0))
    assert gpu.cache_info().currsize == 1
    for h in range(2, gpu.PLAN_CACHE_SIZE + 2):         # PLAN_CACHE_SIZE more: the least recently used goes
        gpu._plan(key(h))
    assert gpu.cache_info().currsize == gpu.PLAN_CACHE_SIZE
    assert gpu._plan(key(gpu.PLAN_CACHE_SIZE + 1)) is gpu._plan(key(gpu.PLAN_CACHE_SIZE + 1))
    assert gpu._plan(key(1)) is not first
    gpu.cache_clear()
    assert gpu.cache_info().currsize == 0
