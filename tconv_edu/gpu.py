"""GPU form: the transposed convolution on a CUDA GPU through CuPy, with three kernels of our own.

The two pictures of the operation become two kernel designs:

- ``kernel="gather"``: one thread per OUTPUT element ``y[n, co, oy, ox]`` collects every (input pixel, tap) that
  lands on it, ``oy + padding == i * stride + a * dilation``, and sums over the input channels of its group.
  Each output is written once by one thread in a fixed order: bit-for-bit repeatable, no atomics.
- ``kernel="scatter"``: one thread per INPUT pixel and kernel tap (and output channel) computes the stamp
  ``sum_c x[n, c, i, j] * w[c, o, a, b]`` and adds it into ``y[n, o, i*s + a*d - p, ...]`` with ``atomicAdd``:
  the article's picture; threads race to the same output, so float32 sums come out in a varying order.
- ``kernel="gemm"``: every stamp at once with one cuBLAS matrix product (``cols = W^T X`` per group, through
  ``cupy.dot``/``cupy.matmul``), then our own col2im kernel GATHERS the stamps into the output (one thread per
  output element, deterministic; which stamps land on a row or column comes from small tables made on the host).
  ``kernel="auto"`` (the default) picks it, except with at most 4 input channels per group, where there is little
  to multiply and gather's single launch wins.

In 1-D (``conv_transpose1d``) the same kernels run the 2-D call of height 1; in 3-D (``conv_transpose3d``) a
generic route: every stamp by one cuBLAS product per group (as for "gemm"), then one strided add per kernel tap
(CuPy slicing, the scatter form's col2im), deterministic.

Arrays: CuPy in, CuPy out; NumPy (or lists) in, NumPy out (copied to the device and back). float32 stays float32,
float64 stays float64, integers compute in float64 (the rules of ``tconv_edu.shapes``). For CuPy arrays a call's
checked plan (kernel, arguments, grid) is kept per signature (shapes, dtypes, parameters, kernel), so repeated calls
skip the checks: the last ``PLAN_CACHE_SIZE`` (a ``functools.lru_cache``; ``cache_info()``, ``cache_clear()``).

Installing: ``pip install .[gpu]`` installs ``cupy-cuda12x[ctk]>=14`` (the extra is new in CuPy 14): CuPy for
CUDA 12 and, through ``cuda-toolkit[cublas,cudart,cufft,curand,cusolver,cusparse,nvrtc]==12.*``, NVIDIA's runtime
libraries: cudart, NVRTC (the run-time compiler that builds these kernels on first use), cuBLAS (the gemm path),
cuFFT, cuRAND, cuSOLVER and cuSPARSE. It needs an NVIDIA driver for CUDA 12 (R525 or newer); with a CUDA 13 driver
(R580 or newer) ``cupy-cuda13x[ctk]`` works the same. CuPy imports
on a machine without a GPU; ``is_available()`` says whether the form can run here. ``import tconv_edu`` never
imports CuPy: it loads on the first call.

>>> is_available() in (True, False)
True
>>> sorted(KERNELS)
['auto', 'gather', 'gemm', 'scatter']
"""
from __future__ import annotations

import functools

import numpy as np

from . import shapes
from .shapes import _plain

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "is_available", "unavailable_reason",
           "GPUUnavailableError", "KERNELS",
           "KERNEL_SOURCE", "cache_info", "cache_clear", "stamps", "choose", "volume"]

#: the kernel choices; "auto" picks the fastest correct one (``choose``: gemm, or gather for very few channels)
KERNELS = ("auto", "gather", "scatter", "gemm")
BLOCK = 256

#: CUDA C++ source of the kernels, templated on the element type T (float or double); compiled once by NVRTC.
#: Layouts (all C-contiguous): x (N, C_in, H, W); w (C_in, C_out/groups, kH, kW); y (N, C_out, Ho, Wo).
KERNEL_SOURCE = r"""
// Input row i and tap a land on output row oy when oy + crop == i * stride + a * dilation.
__device__ __forceinline__ bool tap_source(int o, int crop, int a, int dil, int stride, int n_in, int &i) {
    int t = o + crop - a * dil;                       // must equal i * stride for some 0 <= i < n_in
    if (t < 0 || t % stride != 0) return false;
    i = t / stride;
    return i < n_in;
}

// gather: one thread per output element (n, co, oy, ox); a grid-stride loop covers them all.
template <typename T>
__global__ void tconv_gather(const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ bias,
                             T* __restrict__ y, int N, int C_in, int H, int W, int C_out, int Ho, int Wo,
                             int kH, int kW, int sH, int sW, int dH, int dW, int cH, int cW, int groups,
                             int has_bias) {
    const int Cg_in = C_in / groups, Cg_out = C_out / groups;
    const long long total = (long long)N * C_out * Ho * Wo;
    const long long x_chan = (long long)H * W, w_chan = (long long)Cg_out * kH * kW;
    for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (long long)blockDim.x * gridDim.x) {
        const int ox = (int)(idx % Wo);
        long long r = idx / Wo;
        const int oy = (int)(r % Ho);
        r /= Ho;
        const int co = (int)(r % C_out);
        const int n = (int)(r / C_out);
        const int g = co / Cg_out, o = co - g * Cg_out;
        T acc = T(0);
        for (int a = 0; a < kH; ++a) {
            int i;
            if (!tap_source(oy, cH, a, dH, sH, H, i)) continue;
            for (int b = 0; b < kW; ++b) {
                int j;
                if (!tap_source(ox, cW, b, dW, sW, W, j)) continue;
                const T* xp = x + (((long long)n * C_in + (long long)g * Cg_in) * H + i) * W + j;
                const T* wp = w + (((long long)g * Cg_in * Cg_out + o) * kH + a) * kW + b;
                for (int c = 0; c < Cg_in; ++c) acc += xp[c * x_chan] * wp[c * w_chan];
            }
        }
        y[idx] = has_bias ? acc + bias[co] : acc;
    }
}

// scatter: one thread per input pixel (n, i, j), kernel tap (a, b) and output channel co: it forms the stamp
// sum_c x[n, c, i, j] * w[c, o, a, b] and adds it where it lands; y must hold zeros (or the bias) beforehand.
template <typename T>
__global__ void tconv_scatter(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y,
                              int N, int C_in, int H, int W, int C_out, int Ho, int Wo,
                              int kH, int kW, int sH, int sW, int dH, int dW, int cH, int cW, int groups) {
    const int Cg_in = C_in / groups, Cg_out = C_out / groups;
    const long long total = (long long)N * C_out * kH * kW * H * W;
    const long long x_chan = (long long)H * W, w_chan = (long long)Cg_out * kH * kW;
    for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (long long)blockDim.x * gridDim.x) {
        const int j = (int)(idx % W);
        long long r = idx / W;
        const int i = (int)(r % H);
        r /= H;
        const int b = (int)(r % kW);
        r /= kW;
        const int a = (int)(r % kH);
        r /= kH;
        const int co = (int)(r % C_out);
        const int n = (int)(r / C_out);
        const int oy = i * sH + a * dH - cH, ox = j * sW + b * dW - cW;
        if (oy < 0 || oy >= Ho || ox < 0 || ox >= Wo) continue;   // cropped away by padding
        const int g = co / Cg_out, o = co - g * Cg_out;
        const T* xp = x + (((long long)n * C_in + (long long)g * Cg_in) * H + i) * W + j;
        const T* wp = w + (((long long)g * Cg_in * Cg_out + o) * kH + a) * kW + b;
        T acc = T(0);
        for (int c = 0; c < Cg_in; ++c) acc += xp[c * x_chan] * wp[c * w_chan];
        atomicAdd(y + (((long long)n * C_out + co) * Ho + oy) * Wo + ox, acc);
    }
}

// col2im, gathering: cols (C_out, kH, kW, N, H, W) holds every stamp (the GEMM's result); one thread per output
// element sums the stamps that land on it, in a fixed order (deterministic). Which stamps land on output row oy
// depends on oy alone: rows[oy] = [count, offsets of (tap a, input row i) ascending in a] (and cols[ox] likewise,
// tables made on the host), so the loop needs no division. Grid: y walks the (n, co) planes, x a plane's pixels.
template <typename T>
__global__ void tconv_col2im(const T* __restrict__ cols, const T* __restrict__ bias, T* __restrict__ y,
                             const long long* __restrict__ rows, const long long* __restrict__ colt,
                             int N, int H, int W, int C_out, int Ho, int Wo, int kH, int kW, int Ty, int Tx,
                             int has_bias) {
    const int plane_size = Ho * Wo, planes = N * C_out;
    const long long tap_stride = (long long)N * H * W;
    for (int plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const int n = plane / C_out, co = plane - n * C_out;
        const T* cp = cols + (long long)co * kH * kW * tap_stride + (long long)n * H * W;
        T* yp = y + (long long)plane * plane_size;
        const T b0 = has_bias ? bias[co] : T(0);
        for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < plane_size; p += blockDim.x * gridDim.x) {
            const int oy = p / Wo, ox = p - oy * Wo;
            const long long* rt = rows + (long long)oy * (Ty + 1);
            const long long* ct = colt + (long long)ox * (Tx + 1);
            const int nr = (int)rt[0], nc = (int)ct[0];
            T acc = T(0);
            for (int r = 1; r <= nr; ++r) {
                const T* rp = cp + rt[r];
                for (int c = 1; c <= nc; ++c) acc += rp[ct[c]];
            }
            yp[p] = has_bias ? acc + b0 : acc;
        }
    }
}
"""

#: the template instances NVRTC compiles (name expressions), per element type
KERNEL_NAMES = {f"{k}_{t}": f"tconv_{k}<{c}>" for k in ("gather", "scatter", "col2im")
                for t, c in (("float32", "float"), ("float64", "double"))}


class GPUUnavailableError(RuntimeError):
    """The GPU form was called where it cannot run (no CuPy, no driver, no device); the message says which."""


# ------------------------------------------------------------------------------------------------- availability

def unavailable_reason() -> str | None:
    """Why the GPU form cannot run here (a sentence), or None when it can. Never raises."""
    try:
        import cupy
    except ImportError as err:
        return f"CuPy is not installed ({err})"
    except Exception as err:                              # a broken install: report it, never raise
        return f"CuPy failed to import ({type(err).__name__}: {err})"
    try:
        if cupy.is_available():
            return None
    except Exception as err:
        return f"CuPy cannot reach a CUDA device ({type(err).__name__}: {err})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:                              # no driver, old driver, ...: the runtime's own words
        return f"CuPy {cupy.__version__} is installed but CUDA is not usable ({err})"
    return f"CuPy {cupy.__version__} is installed but found {count} usable CUDA devices"


def is_available() -> bool:
    """True where the GPU form can run: CuPy imports and sees a CUDA device. Never raises."""
    return unavailable_reason() is None


def _require_cupy():
    why = unavailable_reason()
    if why is not None:
        raise GPUUnavailableError(f"the GPU form needs CuPy and a CUDA GPU: {why}. On a machine with an NVIDIA GPU "
                                  f"install it with `pip install .[gpu]` (cupy-cuda12x[ctk]); elsewhere use a CPU "
                                  f"form, e.g. method='scatter'")
    import cupy
    return cupy


# ---------------------------------------------------------------------------------------------- kernel plumbing

@functools.lru_cache(maxsize=None)
def _module():
    """Compile every kernel instance once per process (NVRTC), then reuse it."""
    import cupy
    try:
        mod = cupy.RawModule(code=KERNEL_SOURCE, options=(), name_expressions=list(KERNEL_NAMES.values()))
        mod.compile()
    except Exception as err:
        raise GPUUnavailableError(f"compiling the GPU kernels failed ({type(err).__name__}: {err}); CuPy needs "
                                  f"NVRTC, which `pip install .[gpu]` (cupy-cuda12x[ctk]) brings") from err
    return mod


@functools.lru_cache(maxsize=len(KERNEL_NAMES))
def _function(kind: str, dtype_name: str):
    """The compiled kernel ``kind`` ("gather", "scatter", "col2im") for "float32" or "float64" (one per instance)."""
    return _module().get_function(KERNEL_NAMES[f"{kind}_{dtype_name}"])


def _named_kernel_ints(spec: shapes.TransposeSpec) -> dict:
    """The integer parameters the kernels take, by name (the same for every kernel that takes them)."""
    n, c_in, h, w = spec.x.shape
    _, _, kh, kw = spec.weight.shape
    return dict(N=n, C_in=c_in, H=h, W=w, C_out=spec.c_out, Ho=spec.out_size[0], Wo=spec.out_size[1],
                kH=kh, kW=kw, sH=spec.stride[0], sW=spec.stride[1], dH=spec.dilation[0], dW=spec.dilation[1],
                cH=spec.offset[0], cW=spec.offset[1], groups=spec.groups)


#: the integer arguments of each kernel, in its order after the array pointers
KERNEL_INTS = {
    "gather": ("N", "C_in", "H", "W", "C_out", "Ho", "Wo", "kH", "kW", "sH", "sW", "dH", "dW", "cH", "cW",
               "groups", "has_bias"),
    "scatter": ("N", "C_in", "H", "W", "C_out", "Ho", "Wo", "kH", "kW", "sH", "sW", "dH", "dW", "cH", "cW",
                "groups"),
    "col2im": ("N", "H", "W", "C_out", "Ho", "Wo", "kH", "kW", "Ty", "Tx", "has_bias"),
}


def _tap_table(n_out, n_in, k, stride, dilation, crop, tap_unit, pixel_unit):
    """Per output index o, the (tap t, input index i) pairs landing on it: ``o + crop == i * stride + t * dilation``.

    Returns int64 (n_out, 1 + T): ``[count, t*tap_unit + i*pixel_unit, ...]`` ascending in t (unused slots 0).
    """
    t = np.arange(k)[None, :]
    u = np.arange(n_out)[:, None] + crop - t * dilation
    valid = (u >= 0) & (u % stride == 0) & (u // stride < n_in)
    counts = valid.sum(axis=1)
    table = np.zeros((n_out, 1 + max(int(counts.max(initial=0)), 1)), dtype=np.int64)
    table[:, 0] = counts
    r, c = np.nonzero(valid)
    table[r, 1 + (np.cumsum(valid, axis=1) - 1)[r, c]] = (t * tap_unit + (u // stride) * pixel_unit)[r, c]
    return table


def _col2im_tables(spec: shapes.TransposeSpec):
    """The row and column tables of the col2im kernel (offsets into cols (C_out, kH, kW, N, H, W))."""
    g = _named_kernel_ints(spec)
    tap_stride = g["N"] * g["H"] * g["W"]
    rows = _tap_table(g["Ho"], g["H"], g["kH"], g["sH"], g["dH"], g["cH"], g["kW"] * tap_stride, g["W"])
    cols = _tap_table(g["Wo"], g["W"], g["kW"], g["sW"], g["dW"], g["cW"], tap_stride, 1)
    return rows, cols


def _kernel_ints(kind: str, spec: shapes.TransposeSpec, tables=None) -> tuple:
    """The integer arguments of kernel ``kind`` for ``spec``, in order (checked to fit a C int)."""
    geo = dict(_named_kernel_ints(spec), has_bias=int(spec.bias is not None))
    if kind == "col2im":
        rows, cols = _col2im_tables(spec) if tables is None else tables
        geo.update(Ty=rows.shape[1] - 1, Tx=cols.shape[1] - 1)
    values = tuple(int(geo[k]) for k in KERNEL_INTS[kind])
    n, c_out, ho, wo = spec.out_shape
    big = max(values + (ho * wo, spec.x.shape[2] * spec.x.shape[3], n * c_out))
    if big >= 2 ** 31:
        raise shapes.ArgumentError(f"x, weight: a size of {big} does not fit the kernels' 32-bit ints")
    return values


def _launch_grid(kind: str, spec: shapes.TransposeSpec) -> tuple:
    """Blocks per grid dimension for kernel ``kind`` (grid-stride loops cover the rest); () when there is no work."""
    n, c_out, ho, wo = spec.out_shape
    if kind == "col2im":                                # x: pixels of a plane, y: the (n, co) planes
        grid = (min(-(-ho * wo // BLOCK), 1 << 16), min(n * c_out, 65535))
    else:
        items = n * c_out * ho * wo
        if kind == "scatter":
            items = n * c_out * spec.weight.shape[2] * spec.weight.shape[3] * spec.x.shape[2] * spec.x.shape[3]
        grid = (min(-(-items // BLOCK), 1 << 20),)
    return grid if min(grid) > 0 else ()


def stamps(spec: shapes.TransposeSpec, xp):
    """Every stamp at once, one matrix product per group: cols (C_out, kH, kW, N, H, W), contiguous.

    ``cols[g*Cg_out + o, a, b, n, i, j] = sum_c w[g*Cg_in + c, o, a, b] * x[n, g*Cg_in + c, i, j]``.
    """
    x, w, g = spec.x, spec.weight, spec.groups
    n, c_in, h, wd = x.shape
    _, cg_out, kh, kw = w.shape
    cg_in = c_in // g
    xg = xp.ascontiguousarray(x.reshape(n, g, cg_in, h * wd).transpose(1, 2, 0, 3)).reshape(g, cg_in, n * h * wd)
    wt = w.reshape(g, cg_in, cg_out * kh * kw).transpose(0, 2, 1)
    # one plain GEMM without groups (dot: far less per-call overhead in CuPy than the matmul gufunc)
    cols = xp.dot(wt[0], xg[0]) if g == 1 else xp.matmul(wt, xg)
    return xp.ascontiguousarray(cols).reshape(g * cg_out, kh, kw, n, h, wd)


def choose(spec: shapes.TransposeSpec, kernel: str = "auto") -> str:
    """The kernel "auto" means: gemm, except where each group has so few input channels that the matrix product
    has almost nothing to reuse and its extra launches cost more than they save (then gather, one launch)."""
    if kernel != "auto":
        return kernel
    return "gather" if spec.x.shape[1] // spec.groups <= 4 else "gemm"


class _Plan:
    """What a checked call launches: the kernel, its integer arguments and grid, and the canonical layout.

    It depends on the shapes, dtypes and parameters only, so repeated calls with the same ones (a training loop,
    a benchmark) reuse it and skip the Python-side checking, which costs more than a small layer's kernels.
    """
    __slots__ = ("kernel", "kind", "ints", "grid", "x4", "w4", "fields", "tables", "device_tables")

    def __init__(self, spec: shapes.TransposeSpec, kernel: str):
        self.kernel = choose(spec, kernel)
        self.kind = {"gemm": "col2im"}.get(self.kernel, self.kernel)
        self.tables = _col2im_tables(spec) if self.kind == "col2im" else ()
        self.device_tables = None                       # uploaded on the first run
        self.ints = tuple(np.int32(v) for v in _kernel_ints(self.kind, spec, self.tables or None))
        self.grid = _launch_grid(self.kind, spec)
        self.x4, self.w4 = spec.x.shape, spec.weight.shape
        self.fields = dict(stride=spec.stride, dilation=spec.dilation, groups=spec.groups, offset=spec.offset,
                           out_size=spec.out_size, input_ndim=spec.input_ndim, dtype=spec.dtype)

    def bind(self, x, weight, bias) -> shapes.TransposeSpec:
        """The spec of a call with this plan's signature (already checked once), without checking again."""
        dt = self.fields["dtype"]
        return shapes.TransposeSpec(x=x.reshape(self.x4).astype(dt, copy=False),
                                    weight=weight.reshape(self.w4).astype(dt, copy=False),
                                    bias=None if bias is None else bias.astype(dt, copy=False), **self.fields)

    def run(self, cupy, spec: shapes.TransposeSpec):
        """Launch on the spec's (CuPy) arrays; returns the 4-D result."""
        x, w = cupy.ascontiguousarray(spec.x), cupy.ascontiguousarray(spec.weight)
        bias = None if spec.bias is None else cupy.ascontiguousarray(spec.bias)
        fn = _function(self.kind, spec.dtype.name)
        if self.kernel == "scatter":
            y = cupy.zeros(spec.out_shape, dtype=spec.dtype)
            if self.grid:
                fn(self.grid, (BLOCK,), (x, w, y) + self.ints)
            if bias is not None:
                y += bias.reshape(1, -1, 1, 1)
            return y
        y = cupy.empty(spec.out_shape, dtype=spec.dtype)
        b = y if bias is None else bias                # a valid pointer the kernel never reads without a bias
        if self.grid:
            if self.kernel == "gather":
                fn(self.grid, (BLOCK,), (x, w, b, y) + self.ints)
            else:
                spec = shapes.TransposeSpec(x=x, weight=w, bias=bias, **self.fields)
                if self.device_tables is None:
                    self.device_tables = tuple(cupy.asarray(t) for t in self.tables)
                fn(self.grid, (BLOCK,), (stamps(spec, cupy), b, y) + self.device_tables + self.ints)
        return y


#: plans kept, least recently used dropped. A plan is small (a few ints, and for gemm two tap tables of
#: about 8 * (H_out + W_out) * (1 + taps) bytes, on the host and on the device), and a program has a few signatures.
PLAN_CACHE_SIZE = 128


def _signature(array_type, x, weight, bias, stride, padding, output_padding, dilation, groups, kernel):
    """A hashable key that decides the checks' verdict and the plan of a call, or None where it cannot tell.

    x, weight, bias must be ``array_type`` (``cupy.ndarray``); the key is their shapes and dtypes, the parameters
    (ints or pairs of ints, exactly: ``stride=True`` equals 1 but is refused) and the kernel.
    """
    if not (isinstance(x, array_type) and isinstance(weight, array_type)
            and (bias is None or isinstance(bias, array_type))):
        return None
    params = (stride, padding, output_padding, dilation, groups)
    if not all(_plain(p) for p in params):
        return None
    return (x.shape, x.dtype.str, weight.shape, weight.dtype.str,
            None if bias is None else (bias.shape, bias.dtype.str), params, kernel)


@functools.lru_cache(maxsize=PLAN_CACHE_SIZE)
def _plan(signature) -> _Plan:
    """The plan of a ``_signature`` key: the full checks run here on data-free NumPy stand-ins of its shapes and
    dtypes (they read nothing else), so a bad call raises every time and only good ones are kept. Bound:
    ``PLAN_CACHE_SIZE``; ``cache_clear()`` empties it."""
    x_shape, x_dtype, w_shape, w_dtype, b, (stride, padding, output_padding, dilation, groups), kernel = signature

    def stand_in(shape, dtype):
        return np.broadcast_to(np.zeros((), dtype), shape)
    # (an integer x or weight is cast to float64 here: one host array of its size, once per signature)
    spec = shapes.transpose_spec(stand_in(x_shape, x_dtype), stand_in(w_shape, w_dtype),
                                 None if b is None else stand_in(*b), stride=stride, padding=padding,
                                 output_padding=output_padding, dilation=dilation, groups=groups)
    return _Plan(spec, kernel)


#: hits, misses, maxsize and currsize of the plan cache (``functools.lru_cache``'s own)
cache_info = _plan.cache_info
#: forget every kept plan (the compiled kernels stay: they are compiled once per process)
cache_clear = _plan.cache_clear


# ------------------------------------------------------------------------------------------------ the public form

def conv_transpose2d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                     kernel="auto"):
    """Transposed convolution on the GPU (PyTorch's ``conv_transpose2d`` semantics), by CUDA kernel ``kernel``.

    x: (N, C_in, H, W), (C_in, H, W) or (H, W); weight: (C_in, C_out/groups, kH, kW) (or (kH, kW) with 2-D x);
    bias: (C_out,). Returns (N, C_out, H_out, W_out) in x's leading layout, with
    ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``;
    a CuPy array when x is one, else a NumPy array. ``kernel``: "gather", "scatter", "gemm", or "auto" (see choose).
    Raises ``GPUUnavailableError`` (a ``RuntimeError``) where no GPU is usable, saying why.
    """
    _checked_kernel(kernel)
    cupy = _require_cupy()
    key = _signature(cupy.ndarray, x, weight, bias, stride, padding, output_padding, dilation, groups, kernel)
    if key is None:                                     # NumPy in, lists, numpy ints...: checked, plan not kept
        spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding,
                                     output_padding=output_padding, dilation=dilation, groups=groups, xp=cupy)
        plan = _Plan(spec, kernel)
    else:                                               # checked once per signature, in _plan
        plan = _plan(key)
        spec = plan.bind(x, weight, bias)
    y = spec.finish(plan.run(cupy, spec))
    return y if isinstance(x, cupy.ndarray) else cupy.asnumpy(y)


def _checked_kernel(kernel, allowed=KERNELS):
    """``kernel`` as one of ``allowed`` (TypeError for a non-str, ArgumentError for an unknown name)."""
    if not isinstance(kernel, str):
        raise TypeError(f"kernel={kernel!r}: expected a str, one of {list(allowed)}")
    if kernel not in allowed:
        raise shapes.ArgumentError(f"kernel={kernel!r}: expected one of {list(allowed)}")
    return kernel


def _height_one(spec: shapes.TransposeSpec) -> shapes.TransposeSpec:
    """A checked 1-D spec as the 2-D spec of height 1 (views): the 2-D kernels compute it as it is."""
    n, c_in, length = spec.x.shape
    return spec._replace(x=spec.x.reshape(n, c_in, 1, length),
                         weight=spec.weight.reshape(spec.weight.shape[:2] + (1, spec.weight.shape[2])),
                         stride=(1,) + spec.stride, dilation=(1,) + spec.dilation, offset=(0,) + spec.offset,
                         out_size=(1,) + spec.out_size, input_ndim=4)


def conv_transpose1d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                     kernel="auto"):
    """1-D transposed convolution on the GPU: the 2-D kernels on the call of height 1 (``kernel`` as in 2-D).

    x: (N, C_in, L), (C_in, L) or (L,); weight: (C_in, C_out/groups, k) (or (k,) with 1-D x); bias: (C_out,).
    CuPy in, CuPy out; NumPy in, NumPy out. Raises ``GPUUnavailableError`` where no GPU is usable.
    """
    _checked_kernel(kernel)
    cupy = _require_cupy()
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, xp=cupy, rank=1)
    flat = _height_one(spec)
    y = spec.finish(_Plan(flat, kernel).run(cupy, flat).reshape(spec.out_shape))
    return y if isinstance(x, cupy.ndarray) else cupy.asnumpy(y)


def conv_transpose3d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                     kernel="auto"):
    """3-D transposed convolution on the GPU by the generic route (``volume``): cuBLAS stamps, one strided add per
    tap. ``kernel``: "auto" or "gemm" (the same route; the 2-D gather and scatter kernels have no 3-D version).

    x: (N, C_in, D, H, W), (C_in, D, H, W) or (D, H, W); weight: (C_in, C_out/groups, kD, kH, kW) (or (kD, kH, kW)
    with 3-D x); bias: (C_out,). CuPy in, CuPy out; NumPy in, NumPy out.
    """
    _checked_kernel(kernel, ("auto", "gemm"))
    cupy = _require_cupy()
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, xp=cupy, rank=3)
    y = spec.finish(volume(spec, cupy))
    return y if isinstance(x, cupy.ndarray) else cupy.asnumpy(y)


def volume(spec: shapes.TransposeSpec, xp):
    """The generic route on a checked spec of any rank, with array module ``xp`` (CuPy; NumPy runs the same code on
    the host): stamps (C_out/g per group, *k, N, *size) by one product per group, then one strided add per tap."""
    x, w, g = spec.x, spec.weight, spec.groups
    n, c_in, *size = x.shape
    _, cg_out, *k = w.shape
    r, cg_in = len(size), c_in // g
    s, d, p, out = spec.stride, spec.dilation, spec.offset, spec.out_size
    xg = xp.ascontiguousarray(x.reshape(n, g, cg_in, -1).transpose(1, 2, 0, 3)).reshape(g, cg_in, -1)
    wt = w.reshape(g, cg_in, -1).transpose(0, 2, 1)
    cols = xp.matmul(wt, xg).reshape((g, cg_out) + tuple(k) + (n,) + tuple(size))
    full = spec.full_size
    y = xp.zeros((n, g, cg_out) + tuple(max(full[i], p[i] + out[i]) for i in range(r)), dtype=spec.dtype)
    yg = y.transpose((1, 2, 0) + tuple(range(3, 3 + r)))     # (g, cg_out, n, *full), a view
    for tap in np.ndindex(*k):
        where = tuple(slice(tap[i] * d[i], tap[i] * d[i] + (size[i] - 1) * s[i] + 1, s[i]) for i in range(r))
        yg[(slice(None),) * 3 + where] += cols[(slice(None),) * 2 + tap]
    y = y[(slice(None),) * 3 + tuple(slice(p[i], p[i] + out[i]) for i in range(r))].reshape(spec.out_shape)
    if spec.bias is not None:
        y = y + spec.bias.reshape((1, -1) + (1,) * r)
    return y
