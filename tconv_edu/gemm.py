"""GEMM form: the scatter picture computed for speed; the default form of ``tconv_edu.conv_transpose2d``.

Same result as ``scatter.conv_transpose2d`` (read that first: one matrix product for every stamp, then one
strided add per kernel tap). This form does the same arithmetic with fewer passes over memory, and picks one of
four routes per 2-D call (``route``), from the shapes alone (1-D and 3-D calls take one of two, below):

- **"tiny"** (one input channel per group, little work, as in the course's 2-D examples): no stamps at all, and
  three small matrix products instead of a loop over taps. ``w @ columns`` (0/1 ``columns`` places the column
  taps) gives one banded matrix per kernel row; ``x @ band`` gives every row tap's output rows; a 0/1 matrix that
  places rows sums them into y. Where a call takes microseconds every numpy call counts, and this is four.
- **"phases"** (the general route): one GEMM ``cols = W^T X`` gives every stamp, the bias riding along as one
  more input channel of ones. The taps are grouped by output phase: output row ``r = i*s + a*d - crop`` has
  phase ``r % s``, so all taps of one phase land on one sub-grid ``y[r % s :: s]``, shifted by whole rows and
  columns. With x laid out in planes with a zero margin (columns at the right, and rows where needed), each tap
  is then ONE contiguous add over all channels and images, at a flat offset, into the stamps of the phase's
  unshifted tap, which serve as its buffer; each phase is copied into its sub-grid once. Where kernel size equals
  stride, every phase is one unshifted tap: no add at all (the pixel-shuffle shortcut).
- **"rows"** (row stride > 1, kernel taller than the stride, as in DCGAN's k4 s2): the row taps of each row
  phase are gathered instead of scattered. One copy of x per distinct row shift, stacked, makes one GEMM per row
  phase whose stamps already sum its row taps; the column taps are then scattered as above (one flat add each,
  the stamps a shift would wrap zeroed first). Half the stamps, a third of the adds, a longer GEMM inner
  dimension, for two more copies of x. The phases are interleaved a few channels at a time into a staging block
  that stays in the cache, then copied into y whole (strided writes into cold memory are slow).
- **"columns"** (column stride 1, when it moves fewer bytes than "phases"): the column taps are gathered instead
  of scattered. Stacking ``kW`` column-shifted copies of x makes one GEMM with ``kW * C_in`` terms produce whole
  output rows for each row tap, and ``kH`` row-shifted adds finish. Its GEMM writes ``kW`` times less and its
  inner dimension is ``kW`` times longer, which is what the BLAS library runs fastest.

In 1-D and 3-D (any rank but 2) two routes work on every axis at once:

- **"gather"**: output phase ``p`` (one per axis) sums the taps that land on it, each reading x shifted by whole
  grid steps (its q vector). x is copied once per distinct q vector; phases that read the same vectors share one
  GEMM whose weight holds their taps side by side, so its product is already the phase's sum, written once into
  the phase's strided sub-grid of y with the bias. Where kernel size equals stride (a 3-D U-Net's k2 s2) that is
  one GEMM and a shuffle; where phases read different vectors (k3 s2) one GEMM over all of them with zero blocks
  replaces many small ones (``_gather_plan``). Its weight is copied into that layout on every call.
- **"stamps"**: where the weight has more elements than the output (a vocoder's k16 s8, 512 -> 256 channels), the
  weight is not copied: one GEMM on it as it lies gives every stamp, and each phase sums its taps' stamps straight
  into its sub-grid (one add per tap).

The GEMM routes fold the images into the GEMM's columns (one large product instead of one per image, which the
BLAS library runs faster), compute stamps in chunks of at most ``CHUNK_BYTES`` (this bounds the memory), and lay
out, gather and place in ``THREADS`` threads (numpy releases the GIL in its loops), split over channels. Threads
are not used where none can start (Pyodide) or when ``TCONV_EDU_THREADS=1``. Their large work arrays are kept for
the next call of the same shape (``_scratch``: fresh memory costs a page fault per 4 KiB on first touch), and
``cache_clear()`` frees them. Each route is checked against the scatter form in ``tests/test_gemm_paths.py``;
``benchmarks/cpu.py`` measures them against PyTorch.

>>> import numpy as np
>>> conv_transpose2d(np.ones((2, 4, 5, 5)), np.ones((4, 3, 3, 3)), stride=2, padding=1).shape
(2, 3, 9, 9)
>>> route(shapes.transpose_spec(np.ones((28, 28)), np.ones((3, 3)), stride=2))
'tiny'
"""
from __future__ import annotations

import functools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _platform, shapes

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "transpose", "route", "cache_clear",
           "CHUNK_BYTES", "THREADS"]

#: bytes of stamps computed per GEMM call before they are placed (bounds the memory a call takes)
CHUNK_BYTES = 32 << 20
#: bytes of output that the "rows" route interleaves in the cache before copying them into y
STAGE_BYTES = 256 << 10
#: threads that place the stamps; TCONV_EDU_THREADS=1 places serially (the grading judge sets it)
THREADS = int(os.environ.get("TCONV_EDU_THREADS") or 0) or min(4, os.cpu_count() or 1)
#: output elements below which one thread places everything (a thread hand-off costs more than it saves)
PARALLEL_MIN = 1 << 17
#: multiply-adds of the banded products below which a call with one input channel per group takes the "tiny" route
TINY_MAX = 1 << 19
#: the "gather" route's GEMMs per call above which it tries one GEMM for all phases (``_gather_plan``)
GATHER_GEMMS = 2
#: how many times the useful multiply-adds that one GEMM may cost (its weight's zero blocks) to replace them
GATHER_WASTE = 3


def conv_transpose2d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution, GEMM form (PyTorch's ``conv_transpose2d`` semantics; same signature as every form).

    x: (N, C_in, H, W), (C_in, H, W) or (H, W); weight: (C_in, C_out/groups, kH, kW) (or (kH, kW) with 2-D x);
    bias: (C_out,). ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``.
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups)
    return spec.finish(transpose(spec))


def conv_transpose1d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution in 1-D, GEMM form: x (N, C_in, L), (C_in, L) or (L,); weight (C_in, C_out/groups, k)
    (or (k,) with 1-D x); bias (C_out,).
    ``L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=1)
    return spec.finish(transpose(spec))


def conv_transpose3d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution in 3-D, GEMM form: x (N, C_in, D, H, W), (C_in, D, H, W) or (D, H, W); weight
    (C_in, C_out/groups, kD, kH, kW) (or (kD, kH, kW) with 3-D x); bias (C_out,). Each output size as in 2-D."""
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=3)
    return spec.finish(transpose(spec))


def transpose(spec: shapes.TransposeSpec):
    """Compute a checked spec by the route ``route(spec)`` names: (N, C_out, H_out, W_out), or (N, C_out, *out) in
    any rank."""
    return _ROUTES[route(spec)](spec)


def route(spec: shapes.TransposeSpec) -> str:
    """The cheapest correct route for these shapes: "tiny", "columns", "rows" or "phases" (module docstring); in
    1-D and 3-D "gather", or "stamps" where the weight has more elements than the output.

    Cost per input pixel, in elements written or added: "phases" writes ``kH*kW*C_out`` stamps and adds them;
    "columns" copies ``kW*C_in`` gathered inputs, then writes and adds ``kH*C_out`` stamps; "rows" copies one
    input per distinct row shift and saves the adds of ``kH - sH`` row taps.
    """
    if spec.rank != 2:                                     # 1-D and 3-D: copy the weight only where it is small
        return "stamps" if spec.weight.size > math.prod(spec.out_shape) else "gather"
    n, c_in, h, wd = spec.x.shape
    _, cg_out, kh, kw = spec.weight.shape
    cg_in = c_in // spec.groups
    if cg_in == 1 and n * c_in * cg_out * kh * h * spec.out_size[1] * (wd + spec.out_size[0]) <= TINY_MAX:
        return "tiny"
    if spec.stride[1] == 1 and kw > 1 and kw * cg_in + 2 * kh * cg_out < 2 * kh * kw * cg_out:
        return "columns"
    sh = spec.stride[0]
    blocks = _row_blocks(spec) if sh > 1 and kh > sh else None
    if blocks is not None:
        shifts = len(blocks[0])
        one_image = spec.groups * kw * cg_out * (h + kh) * (wd + kw) * spec.dtype.itemsize   # its stamps, about
        if 2 * shifts * cg_in < 3 * (kh - sh) * kw * cg_out and one_image <= CHUNK_BYTES:
            return "rows"
    return "phases"


def _row_blocks(spec):
    """For the "rows" route: the distinct row shifts (sorted) and, per row phase, its taps as (row tap, shift) in
    shift order with the index of its first shift; None where a phase's shifts are not consecutive in that list."""
    kh, (sh, dh, ch) = spec.weight.shape[2], (spec.stride[0], spec.dilation[0], spec.offset[0])
    taps = _taps(kh, sh, dh, ch)
    shifts = sorted({q for q, _ in taps})
    phases = {}
    for a, (q, pa) in enumerate(taps):
        phases.setdefault(pa, []).append((a, q))
    blocks = {}
    for pa, group in phases.items():
        group.sort(key=lambda t: t[1])
        first = shifts.index(group[0][1])
        if [q for _, q in group] != shifts[first:first + len(group)]:
            return None
        blocks[pa] = (first, group)
    return shifts, blocks


# ---------------------------------------------------------------------------------------------------- tiny

def _tiny(spec):
    """No stamps GEMM (one input channel per group): three small products with banded 0/1 matrices.

    ``band = w @ columns`` places every column tap (``columns[b, (j, c)] = 1`` where ``c = j*sw + b*dw - cw``);
    ``x @ band`` gives each row tap's output rows; ``rows_to_y @`` that places and sums the row taps.
    """
    x, w = spec.x, spec.weight
    n, g, _, co, h, wd, kh, kw = _dims(spec)
    (sh, sw), (dh, dw), (ch, cw) = spec.stride, spec.dilation, spec.offset
    ho, wo = spec.out_size
    band = np.matmul(w.reshape(g, co * kh, kw), _placement(wd, wo, kw, sw, dw, cw, spec.dtype.str).reshape(kw, -1))
    rows = np.matmul(x.reshape(n, g, 1, h, wd), band.reshape(g, co * kh, wd, wo))        # (n, g, co*kh, h, wo)
    rows_to_y = _placement(h, ho, kh, sh, dh, ch, spec.dtype.str).reshape(kh * h, ho).T
    y = np.matmul(rows_to_y, rows.reshape(n, g, co, kh * h, wo))
    if spec.bias is not None:
        y += spec.bias.reshape(1, g, co, 1, 1)
    return y.reshape(n, g * co, ho, wo)


@functools.lru_cache(maxsize=64)
def _placement(wd: int, wo: int, kw: int, sw: int, dw: int, cw: int, dtype: str):
    """(k, n, n_out) 0/1 array, read-only: entry [b, j, c] is 1 where tap b of input row or column j lands,
    ``c = j*s + b*d - crop`` (``wd``, ``wo``, ``kw``, ``sw``, ``dw``, ``cw`` for columns; the same for rows)."""
    t = np.zeros((kw, wd, wo), dtype)
    b, j = np.meshgrid(np.arange(kw), np.arange(wd), indexing="ij")
    c = j * sw + b * dw - cw
    keep = (c >= 0) & (c < wo)
    t[b[keep], j[keep], c[keep]] = 1
    t.flags.writeable = False
    return t


# ------------------------------------------------------------------------------------------- shared machinery

@functools.lru_cache(maxsize=4)
def _scratch(thread: int, role: str, shape: tuple, dtype: str):
    """A work array (never returned to a caller) kept for the next call of the same shape: fresh memory costs a
    page fault per 4 KiB on first touch. Keyed by thread, so that two threads never share one; at most 4 kept,
    each at most CHUNK_BYTES; ``cache_clear()`` frees them."""
    return np.empty(shape, dtype)


def _work(role: str, shape: tuple, dtype) -> np.ndarray:
    """An uninitialised work array: a kept one (``_scratch``) if it is small enough, else a new one."""
    dtype = np.dtype(dtype)
    if math.prod(shape) * dtype.itemsize > CHUNK_BYTES:
        return np.empty(shape, dtype)
    return _scratch(threading.get_ident(), role, tuple(shape), dtype.str)


def cache_clear() -> None:
    """Free what this form keeps between calls: its work arrays and its 0/1 placement matrices."""
    _scratch.cache_clear()
    _placement.cache_clear()


@functools.lru_cache(maxsize=1)
def _pool():
    """The placing threads: one pool per process, started on first use (None where threads cannot start)."""
    return ThreadPoolExecutor(THREADS, thread_name_prefix="tconv_edu.gemm") if _platform.can_start_threads() else None


def _split(fn, count: int, work: int) -> None:
    """Call ``fn(i, j)`` on slices covering range(count): in up to THREADS threads when ``work`` is large."""
    parts = min(THREADS, count) if work >= PARALLEL_MIN else 1
    pool = _pool() if parts > 1 else None
    if pool is None:
        fn(0, count)
        return
    bounds = [count * k // parts for k in range(parts + 1)]
    futures = [pool.submit(fn, bounds[k], bounds[k + 1]) for k in range(1, parts)]
    fn(bounds[0], bounds[1])
    for future in futures:
        future.result()


def _chunks(n: int, h: int, row_bytes: int):
    """(i0, i1, r0, r1): images i0..i1-1, source rows r0..r1-1, with about CHUNK_BYTES of stamps each."""
    rows = max(1, CHUNK_BYTES // max(1, row_bytes))
    if rows >= h:
        step = rows // h
        for i0 in range(0, n, step):
            yield i0, min(n, i0 + step), 0, h
    else:
        for i0 in range(n):
            for r0 in range(0, h, rows):
                yield i0, i0 + 1, r0, min(h, r0 + rows)


def _dims(spec):
    """(N, groups, C_in/groups, C_out/groups, H, W, kH, kW) of a checked spec."""
    n, c_in, h, wd = spec.x.shape
    _, co, kh, kw = spec.weight.shape
    return n, spec.groups, c_in // spec.groups, co, h, wd, kh, kw


def _taps(k: int, s: int, d: int, crop: int):
    """Per tap along one axis: (shift in whole phase rows, phase) of output ``i*s + a*d - crop``."""
    return [divmod(a * d - crop, s) for a in range(k)]


def _bias(spec, g, co):
    """The bias as (g, co, 1, 1, 1) for (g, co, images, rows, columns) blocks; zeros when there is none."""
    if spec.bias is None:
        return np.zeros((g, co, 1, 1, 1), spec.dtype)
    return spec.bias.reshape(g, co, 1, 1, 1)


# -------------------------------------------------------------------------------------------------- phases

def _phases(spec):
    """Scatter every tap: one GEMM per chunk, one contiguous add per tap into its phase's buffer, one copy each."""
    x, w = spec.x, spec.weight
    n, g, ci, co, h, wd, kh, kw = _dims(spec)
    (sh, sw), (dh, dw), (ch, cw) = spec.stride, spec.dilation, spec.offset
    ho, wo = spec.out_size
    hq, wq = shapes.ceil_div(ho, sh), shapes.ceil_div(wo, sw)
    rows_t, cols_t = _taps(kh, sh, dh, ch), _taps(kw, sw, dw, cw)
    qa, qb = [q for q, _ in rows_t], [q for q, _ in cols_t]
    # Planes of hp x wp, where a tap's shift is one flat offset: x gets zero columns at the right, enough that a
    # shifted stamp never wraps onto a kept column. Rows: where a phase grid has as many rows as x ("tight"), the
    # stamps a shift takes off the grid are zeroed (whole rows: cheap); else x gets zero rows at the bottom too.
    tight = hq == h
    hp = h if tight else max(h + max(0, max(qa)), hq - min(0, min(qa)))
    wp = max(wd + max(0, max(qb)), wq - min(0, min(qb)))
    size = hp * wp
    phases = {}                                            # phase -> [(tap, row shift, column shift, flat offset)]
    for a, (qa_, pa) in enumerate(rows_t):
        for b, (qb_, pb) in enumerate(cols_t):
            phases.setdefault((pa, pb), []).append((a * kw + b, qa_, qb_, qa_ * wp + qb_))
    chunks = list(_chunks(n, hp, g * kh * kw * co * wp * spec.dtype.itemsize))
    whole = all(r0 == 0 and r1 == hp for _, _, r0, r1 in chunks)
    # where all rows of a chunk are one GEMM, an unshifted tap's stamps are its phase's buffer, and the bias joins
    # the GEMM as one more input channel of ones, weighted by the bias in that tap only
    bases = {p: next((t for t in group if t[1:3] == (0, 0)), None) if whole else None for p, group in phases.items()}
    ones = spec.bias is not None and any(bases.values())
    xs = _work("input", (g, ci + ones, n, hp, wp), spec.dtype)  # images side by side: one GEMM covers them all
    xt = x.reshape(n, g, ci, h, wd).transpose(1, 2, 0, 3, 4)

    def lay_out(c0, c1):                                   # input channels c0..c1-1 of every group
        xs[:, c0:c1, :, :h, :wd] = xt[:, c0:c1]
        xs[:, c0:c1, :, h:] = 0
        xs[:, c0:c1, :, :h, wd:] = 0
    _split(lay_out, ci, xs.size)
    wt = np.zeros((g, kh * kw, co, ci + ones), spec.dtype)
    wt[..., :ci] = w.reshape(g, ci, co, kh * kw).transpose(0, 3, 2, 1)
    if ones:
        xs[:, ci] = 1
        for base in bases.values():
            if base is not None:
                wt[:, base[0], :, ci] = spec.bias.reshape(g, co)
    wt = wt.reshape(g, kh * kw * co, ci + ones)
    bias = _bias(spec, g, co)[..., 0]                      # (g, co, 1, 1)
    y = np.empty((n, g, co, ho, wo), spec.dtype)
    if len(phases) < sh * sw:                              # a phase no tap reaches holds the bias alone
        y[...] = bias.reshape(1, g, co, 1, 1)
    for i0, i1, r0, r1 in chunks:
        m = i1 - i0
        if r0 == 0:
            bufs = {p: np.empty((g, co, m, size), spec.dtype) for p in phases if bases[p] is None}
        xc = xs[:, :, i0:i1, r0:r1].reshape(g, ci + ones, m * (r1 - r0) * wp)
        cols = np.matmul(wt, xc, out=_work("stamps", (g, kh * kw * co, m * (r1 - r0) * wp), spec.dtype))
        cols = cols.reshape(g, kh * kw, co, m, (r1 - r0) * wp)

        def place(o0, o1):                                 # output channels o0..o1-1 of every group
            for phase, group in phases.items():
                base = bases[phase]
                if base is None:
                    buf = bufs[phase]
                    if r0 == 0:
                        buf[:, o0:o1] = bias[:, o0:o1]
                else:
                    buf = cols[:, base[0]]
                if tight and whole:                        # zero the stamp rows that a shift takes off the grid
                    for t, qa_, _, _ in group:
                        rows = cols[:, t, o0:o1].reshape(g, o1 - o0, m, hp, wp)
                        if qa_ > 0:
                            rows[..., max(0, hp - qa_):, :] = 0
                        elif qa_ < 0:
                            rows[..., :min(hp, -qa_), :] = 0
                if whole:                                  # flat over (channel, image, pixel): one add per tap
                    span, run = m * size, co * m * size
                    dst, srcs = buf.reshape(g, -1), cols.reshape(g, kh * kw, -1)
                    for t, _, _, off in group:
                        if base is None or t != base[0]:   # dst and src inside this thread's channels
                            lo, hi = max(o0 * span, o0 * span + off), min(o1 * span, o1 * span + off, run)
                            if lo < hi:
                                dst[:, lo:hi] += srcs[:, t, lo - off:hi - off]
                else:                                      # rows r0..r1-1 of one image: one add per tap and plane
                    for t, _, _, off in group:
                        lo, hi = max(0, r0 * wp + off), min(size, r1 * wp + off)
                        if lo < hi:
                            buf[:, o0:o1, :, lo:hi] += cols[:, t, o0:o1, :, lo - off - r0 * wp:hi - off - r0 * wp]
                if r1 == hp:
                    pa, pb = phase
                    sub = y[i0:i1, :, o0:o1, pa::sh, pb::sw]
                    grid = buf[:, o0:o1].reshape(g, o1 - o0, m, hp, wp)[..., :sub.shape[3], :sub.shape[4]]
                    np.copyto(sub, grid.transpose(2, 0, 1, 3, 4))
        _split(place, co, m * g * co * (r1 - r0) * wp)
    return y.reshape(n, g * co, ho, wo)


# ------------------------------------------------------------------------------------------------- columns

def _columns(spec):
    """Gather the column taps (column stride 1): one GEMM per chunk on kW shifted copies, one add per row tap."""
    x, w = spec.x, spec.weight
    n, g, ci, co, h, wd, kh, kw = _dims(spec)
    (sh, _), (dh, dw), (ch, cw) = spec.stride, spec.dilation, spec.offset
    ho, wo = spec.out_size
    # weight rows (row tap, output channel), columns (column tap, input channel)
    wt = np.ascontiguousarray(w.reshape(g, ci, co, kh, kw).transpose(0, 3, 2, 4, 1)).reshape(g, kh * co, kw * ci)
    bias = _bias(spec, g, co)
    y = np.empty((n, g, co, ho, wo), spec.dtype)
    # row tap a puts source row i on output row i*sh + a*dh - ch: the source rows that land, and where they start
    offs = [a * dh - ch for a in range(kh)]
    spans = [(max(0, shapes.ceil_div(-o, sh)), min(h, (ho - 1 - o) // sh + 1)) for o in offs]
    chunks = list(_chunks(n, h, g * max(kh * co, kw * ci) * wo * spec.dtype.itemsize))
    # a row tap that covers every output row starts y (with the bias) instead of a fill, where rows are not chunked
    covers = [a for a, (lo, hi) in enumerate(spans) if sh == 1 and lo == 0 and hi - lo == ho
              and chunks[0][2:] == (0, h)]
    order = covers[:1] + [a for a in range(kh) if a not in covers[:1]]
    if not covers:
        y[...] = bias.reshape(1, g, co, 1, 1)
    xg = x.reshape(n, g, ci, h, wd).transpose(1, 2, 0, 3, 4)  # (g, ci, n, h, wd), a view
    for i0, i1, r0, r1 in chunks:
        m = i1 - i0
        stack = _work("input", (g, kw, ci, m, r1 - r0, wo), spec.dtype)

        def gather(c0, c1):                                # input channels c0..c1-1 of every group
            for b in range(kw):                            # output column c reads input column c - s
                s = b * dw - cw
                lo = min(wo, max(0, s))
                hi = max(lo, min(wo, wd + s))
                if wo == wd and abs(s) < wd:               # one flat copy per plane, then the wrapped columns
                    run = (r1 - r0) * wd
                    dst = stack[:, b, c0:c1].reshape(g, c1 - c0, m, run)
                    src = xg[:, c0:c1, i0:i1, r0:r1].reshape(g, c1 - c0, m, run)
                    dst[..., max(0, s):run + min(0, s)] = src[..., max(0, -s):run - max(0, s)]
                else:
                    stack[:, b, c0:c1, ..., lo:hi] = xg[:, c0:c1, i0:i1, r0:r1, lo - s:hi - s]
                stack[:, b, c0:c1, ..., :lo] = 0
                stack[:, b, c0:c1, ..., hi:] = 0
        _split(gather, ci, stack.size)
        rows = np.matmul(wt, stack.reshape(g, kw * ci, -1),
                         out=_work("stamps", (g, kh * co, m * (r1 - r0) * wo), spec.dtype))
        rows = rows.reshape(g, kh, co, m, r1 - r0, wo)

        def place(o0, o1):                                 # output channels o0..o1-1 of every group
            out = y[i0:i1, :, o0:o1].transpose(1, 2, 0, 3, 4)   # (g, co, m, ho, wo)
            for a in order:
                lo, hi = max(spans[a][0], r0), min(spans[a][1], r1)
                if lo >= hi:
                    continue
                src = rows[:, a, o0:o1, :, lo - r0:hi - r0]
                dst = out[..., lo * sh + offs[a]:(hi - 1) * sh + offs[a] + 1:sh, :]
                if covers and a == covers[0]:
                    np.add(src, bias[:, o0:o1], out=dst)
                else:
                    dst += src
        _split(place, co, m * g * co * (r1 - r0) * wo)
    return y.reshape(n, g * co, ho, wo)


# ---------------------------------------------------------------------------------------------------- rows

def _rows(spec):
    """Gather the row taps of each row phase, scatter the column taps: one GEMM per row phase on row-shifted
    copies of x (one per distinct row shift), one flat add per column tap, one copy per phase."""
    x, w = spec.x, spec.weight
    n, g, ci, co, h, wd, kh, kw = _dims(spec)
    (sh, sw), (_, dw), (_, cw) = spec.stride, spec.dilation, spec.offset
    ho, wo = spec.out_size
    hq, wq = shapes.ceil_div(ho, sh), shapes.ceil_div(wo, sw)
    shifts, blocks = _row_blocks(spec)
    cols_t = _taps(kw, sw, dw, cw)
    qb = [q for q, _ in cols_t]
    # rows of wp: where the phase grid is as wide as x ("tight"), the stamps a column shift takes off the grid are
    # zeroed; else zero columns at the right, wide enough that a shifted stamp never wraps onto a kept column
    tight = wq == wd
    wp = wd if tight else max(wd + max(0, max(qb)), wq - min(0, min(qb)))
    size = hq * wp
    col_phases = {}                                        # column phase -> its column taps, an unshifted one first
    for b, (q, pb) in enumerate(cols_t):
        col_phases.setdefault(pb, []).append(b)
    for group in col_phases.values():
        group.sort(key=lambda b: qb[b] != 0)
    has_bias = spec.bias is not None
    bias = _bias(spec, g, co)[..., 0]                      # (g, co, 1, 1)
    weights = {}                                           # row phase -> (g, kW*C_out, taps*(C_in + 1))
    for pa, (first, group) in blocks.items():
        wt = np.zeros((g, kw, co, len(group), ci + 1), spec.dtype)
        for k, (a, _) in enumerate(group):
            wt[:, :, :, k, :ci] = w.reshape(g, ci, co, kh, kw)[:, :, :, a, :].transpose(0, 3, 2, 1)
        if has_bias:
            for pb, cgroup in col_phases.items():
                if qb[cgroup[0]] == 0:
                    wt[:, cgroup[0], :, 0, ci] = spec.bias.reshape(g, co)
        weights[pa] = wt.reshape(g, kw * co, len(group) * (ci + 1))
    y = np.empty((n, g, co, ho, wo), spec.dtype)
    xt = x.reshape(n, g, ci, h, wd).transpose(1, 2, 0, 3, 4)
    per_image = g * (len(shifts) * (ci + 1) + len(blocks) * kw * co) * size * spec.dtype.itemsize
    step = max(1, CHUNK_BYTES // per_image)
    for i0 in range(0, n, step):                           # images i0..i1-1: laid out, multiplied, placed
        i1 = min(n, i0 + step)
        m = i1 - i0
        # block k of the gathered input holds x shifted down by shifts[k] rows (zeros where that leaves x), and
        # ones: the bias rides along, weighted in the first block of each phase, for the unshifted column taps
        gathered = _work("input", (g, len(shifts), ci + 1, m, hq, wp), spec.dtype)

        def lay_out(c0, c1):                               # input channels c0..c1-1 of every group
            for k, q in enumerate(shifts):                 # gathered row i is x's row i - q
                lo, hi = min(hq, max(0, q)), max(0, min(hq, h + q))
                block = gathered[:, k, c0:c1]
                block[..., :lo, :] = 0
                block[..., hi:, :] = 0
                block[..., lo:hi, wd:] = 0
                block[..., lo:hi, :wd] = xt[:, c0:c1, i0:i1, lo - q:hi - q]
        _split(lay_out, ci, gathered.size)
        gathered[:, :, ci] = 1
        stamps = {}                                        # row phase -> its GEMM's stamps (g, kW, C_out, pixels)
        for pa, (first, group) in blocks.items():
            xc = gathered[:, first:first + len(group)].reshape(g, len(group) * (ci + 1), m * size)
            cols = np.matmul(weights[pa], xc, out=_work(f"stamps{pa}", (g, kw * co, m * size), spec.dtype))
            stamps[pa] = cols.reshape(g, kw, co, m * size)
        stage_channels = max(1, STAGE_BYTES // (m * g * ho * wo * spec.dtype.itemsize))

        def place(o0, o1):                                 # output channels o0..o1-1 of every group
            bufs = {}                                      # phase -> its summed stamps, (g, channels, pixels)
            for pa, cols in stamps.items():
                for pb, cgroup in col_phases.items():
                    base = cgroup[0] if qb[cgroup[0]] == 0 else None
                    if base is None:
                        buf = np.empty((g, o1 - o0, m * size), spec.dtype)
                        buf[...] = bias[:, o0:o1, 0]
                    else:
                        buf = cols[:, base, o0:o1]
                    flat, src = buf.reshape(g, -1), cols[:, :, o0:o1].reshape(g, kw, -1)
                    for b in cgroup:
                        if b != base and tight and qb[b]:  # off the grid: zeroed, so that the add can be flat
                            planes = cols[:, b, o0:o1].reshape(g, o1 - o0, m, hq, wp)
                            if qb[b] > 0:
                                planes[..., max(0, wp - qb[b]):] = 0
                            else:
                                planes[..., :min(wp, -qb[b])] = 0
                    for b in cgroup:
                        off, run = qb[b], flat.shape[1]
                        if b != base and abs(off) < run:  # one flat add per column tap
                            flat[:, max(0, off):run + min(0, off)] += src[:, b, max(0, -off):run - max(0, off)]
                    bufs[pa, pb] = buf
            # the phases are interleaved into a small staging block that stays in the cache, then copied into y
            # whole: strided writes cost less into the cache than into cold memory
            stage = np.empty((m, g, min(stage_channels, o1 - o0), ho, wo), spec.dtype)
            for c0 in range(o0, o1, stage_channels):
                c1 = min(o1, c0 + stage_channels)
                block = stage[:, :, :c1 - c0]
                if len(blocks) < sh or len(col_phases) < sw:
                    block[...] = bias[:, c0:c1].reshape(1, g, c1 - c0, 1, 1)
                for (pa, pb), buf in bufs.items():
                    sub = block[..., pa::sh, pb::sw]
                    grid = buf[:, c0 - o0:c1 - o0].reshape(g, c1 - c0, m, hq, wp)[..., :sub.shape[3], :sub.shape[4]]
                    np.copyto(sub, grid.transpose(2, 0, 1, 3, 4))
                y[i0:i1, :, c0:c1] = block
        _split(place, co, m * g * co * size)
    return y.reshape(n, g * co, ho, wo)


# -------------------------------------------------------------------------------------------------- gather

def _gather_plan(spec):
    """The phases of a call of any rank, grouped by the input shifts their taps read (module docstring, "gather").

    Per axis, tap a lands on output ``i*s + a*d - crop = (i + q)*s + phase`` (``_taps``). An output phase (one
    phase per axis) sums its taps, each reading x shifted by its q vector. Returns (shifts, groups): the distinct q
    vectors in sorted order, and per GEMM a group (the indices of the vectors it reads in ``shifts``,
    [(phase, taps)]), ``taps`` the kernel index read from each of those vectors (None: that phase has no tap there,
    a zero block of the GEMM's weight). Phases that read the same vectors share a GEMM; where that makes more than
    ``GATHER_GEMMS`` of them, one GEMM over every vector takes all phases if its zero blocks cost at most
    ``GATHER_WASTE`` times the useful multiply-adds (few large GEMMs run faster than many small ones).
    """
    k, rank = spec.weight.shape[2:], spec.rank
    per_axis = [{} for _ in range(rank)]                   # axis -> phase -> [(q, a)]
    for i in range(rank):
        for a, (q, ph) in enumerate(_taps(k[i], spec.stride[i], spec.dilation[i], spec.offset[i])):
            per_axis[i].setdefault(ph, []).append((q, a))
    by_shifts = {}
    for phase in np.ndindex(*spec.stride):
        lists = [per_axis[i].get(phase[i], []) for i in range(rank)]
        if not all(lists):
            continue                                       # no tap reaches this phase: the bias alone
        taps = sorted((tuple(q for q, _ in combo), tuple(a for _, a in combo)) for combo in _product(lists))
        by_shifts.setdefault(tuple(q for q, _ in taps), []).append((phase, tuple(a for _, a in taps)))
    shifts = sorted({q for qs in by_shifts for q in qs})
    used = sum(len(qs) * len(members) for qs, members in by_shifts.items())
    phases = sum(len(members) for members in by_shifts.values())
    if len(by_shifts) > GATHER_GEMMS and len(shifts) * phases <= GATHER_WASTE * used:
        members = []
        for qs, group in by_shifts.items():
            for phase, taps in group:
                where = dict(zip(qs, taps))
                members.append((phase, tuple(where.get(q) for q in shifts)))
        return shifts, [(list(range(len(shifts))), sorted(members))]
    return shifts, [([shifts.index(q) for q in qs], members) for qs, members in by_shifts.items()]


def _product(lists):
    """Every choice of one item per list, in row-major order (itertools.product, here for the reader)."""
    out = [()]
    for items in lists:
        out = [o + (it,) for o in out for it in items]
    return out


def _gather(spec):
    """Gather the taps of each output phase (1-D and 3-D, any rank): x shifted once per distinct shift vector,
    one GEMM per group of phases that read the same shifts (its stamps already summed), each phase copied once
    into its strided sub-grid of y with the bias. Where kernel size equals stride this is one GEMM and a shuffle."""
    x, w = spec.x, spec.weight
    n, c_in, *size = x.shape
    _, co, *k = w.shape
    g, rank, dt = spec.groups, spec.rank, spec.dtype
    ci = c_in // g
    s, out = spec.stride, spec.out_size
    grid = [shapes.ceil_div(out[i], s[i]) for i in range(rank)]
    shifts, groups = _gather_plan(spec)
    # weights per group, transposed for the GEMM: (g, shifts * C_in, phases * C_out), gathered from w seen as
    # (g, C_in, taps, C_out) (whole rows of C_out move together), in threads over C_in
    wk = w.reshape(g, ci, co, math.prod(k)).transpose(0, 1, 3, 2)
    weights = []
    for idx, members in groups:
        table = np.array([[0 if a is None else np.ravel_multi_index(a, k) for a in taps] for _, taps in members]).T
        wt = np.empty((g, len(idx), ci, len(members), co), dt)

        def build(c0, c1):                                 # input channels c0..c1-1
            for j in range(len(idx)):
                wt[:, j, c0:c1] = wk[:, c0:c1, table[j], :]
        _split(build, ci, wt.size)
        for p_, (_, taps) in enumerate(members):          # a phase without a tap at a shift: a zero block
            for j, a in enumerate(taps):
                if a is None:
                    wt[:, j, :, p_, :] = 0
        weights.append(wt.reshape(g, len(idx) * ci, len(members) * co).transpose(0, 2, 1))
    full = tuple(grid[i] * s[i] for i in range(rank))
    y = np.empty((n, g, co) + full, dt) if full != tuple(out) else None
    y_out = np.empty((n, g * co) + tuple(out), dt) if y is None else None
    yv = (y if y is not None else y_out.reshape((n, g, co) + full))
    # y as (n, g, co, T_1, s_1, T_2, s_2, ...): phase p of every axis is one strided sub-grid
    yp = yv.reshape((n, g, co) + tuple(v for i in range(rank) for v in (grid[i], s[i])))
    bias = None if spec.bias is None else spec.bias.reshape((1, g, co) + (1,) * rank)
    covered = {ph for _, members in groups for ph, _ in members}
    if len(covered) < math.prod(s):                        # phases no tap reaches hold the bias alone
        for phase in np.ndindex(*s):
            if phase not in covered:
                yp[_phase_index(phase)] = 0 if bias is None else bias
    rest, most = math.prod(grid[1:]), max(len(m) for _, m in groups)
    chunks = list(_chunks(n, grid[0], g * most * co * rest * dt.itemsize
                          + g * len(shifts) * ci * rest * dt.itemsize))
    xt = x.reshape((n, g, ci) + tuple(size)).transpose((1, 2, 0) + tuple(range(3, 3 + rank)))  # (g, ci, n, *size)
    for i0, i1, r0, r1 in chunks:
        m, rows = i1 - i0, r1 - r0
        cols = m * rows * rest
        stack = _work("input", (g, len(shifts), ci, m, rows) + tuple(grid[1:]), dt)

        def lay_out(c0, c1):                               # input channels c0..c1-1: one shifted copy per vector
            for j, q in enumerate(shifts):
                block = stack[:, j, c0:c1]
                block[...] = 0
                lo = [max(0, q[i]) for i in range(rank)]
                hi = [min(grid[i], size[i] + q[i]) for i in range(rank)]
                lo[0], hi[0] = max(lo[0], r0), min(hi[0], r1)
                if all(a < b for a, b in zip(lo, hi)):
                    dst = (slice(None), slice(None), slice(None)) + (slice(lo[0] - r0, hi[0] - r0),) + tuple(
                        slice(lo[i], hi[i]) for i in range(1, rank))
                    src = (slice(None), slice(c0, c1), slice(i0, i1)) + tuple(
                        slice(lo[i] - q[i], hi[i] - q[i]) for i in range(rank))
                    block[dst] = xt[src]
        _split(lay_out, ci, stack.size)
        flat = stack.reshape(g, len(shifts) * ci, cols)
        for (idx, members), wt in zip(groups, weights):
            if idx == list(range(idx[0], idx[0] + len(idx))):   # consecutive shifts: a view
                xin = flat[:, idx[0] * ci:(idx[0] + len(idx)) * ci]
            else:
                xin = stack[:, idx].reshape(g, len(idx) * ci, cols)
            # one kept buffer serves every group in turn (a group's stamps are placed before the next GEMM)
            buf = _work("stamps", (g * most * co * cols,), dt)[:g * len(members) * co * cols]
            ys = np.matmul(wt, xin, out=buf.reshape(g, len(members) * co, cols))
            ys = ys.reshape((g, len(members), co, m, rows) + tuple(grid[1:]))

            def place(o0, o1):                             # output channels o0..o1-1 of every group
                for p_, (phase, _) in enumerate(members):
                    dst = yp[(slice(i0, i1), slice(None), slice(o0, o1)) + _phase_index(phase, (r0, r1))]
                    src = ys[:, p_, o0:o1].transpose((2, 0, 1) + tuple(range(3, 3 + rank)))
                    if bias is None:
                        np.copyto(dst, src)
                    else:
                        np.add(src, bias[:, :, o0:o1], out=dst)
            _split(place, co, m * g * co * len(members) * rows * rest)
    if y is None:
        return y_out
    return np.ascontiguousarray(y[(slice(None),) * 3 + tuple(slice(0, o) for o in out)]).reshape(spec.out_shape)


def _stamps(spec):
    """Scatter by phase (1-D and 3-D, any rank): one GEMM on the weight as it lies gives every stamp, then each
    output phase is its taps' stamps summed, shifted by whole grid steps, straight into its strided sub-grid of y
    (the first tap with the bias, the others added). No copy of the weight: the route for large weights."""
    x, w = spec.x, spec.weight
    n, c_in, *size = x.shape
    _, co, *k = w.shape
    g, rank, dt = spec.groups, spec.rank, spec.dtype
    ci, taps = c_in // g, math.prod(k)
    s, out = spec.stride, spec.out_size
    grid = [shapes.ceil_div(out[i], s[i]) for i in range(rank)]
    per_axis = [{} for _ in range(rank)]                   # axis -> phase -> [(q, a)]
    for i in range(rank):
        for a, (q, ph) in enumerate(_taps(k[i], s[i], spec.dilation[i], spec.offset[i])):
            per_axis[i].setdefault(ph, []).append((q, a))
    full = tuple(grid[i] * s[i] for i in range(rank))
    y = np.empty((n, g, co) + full, dt)
    yp = y.reshape((n, g, co) + tuple(v for i in range(rank) for v in (grid[i], s[i])))
    bias = np.zeros((1, g, co) + (1,) * rank, dt) if spec.bias is None else \
        spec.bias.reshape((1, g, co) + (1,) * rank)
    wt = w.reshape(g, ci, co * taps).transpose(0, 2, 1)    # (g, C_out*taps, C_in): a view, the GEMM transposes it
    xt = x.reshape(n, g, ci, math.prod(size)).transpose(1, 2, 0, 3)            # (g, ci, n, pixels), a view
    step = max(1, CHUNK_BYTES // max(1, g * co * taps * math.prod(size) * dt.itemsize))
    for i0 in range(0, n, step):
        i1 = min(n, i0 + step)
        m = i1 - i0
        xs = _work("input", (g, ci, m, math.prod(size)), dt)
        _split(lambda c0, c1: np.copyto(xs[:, c0:c1], xt[:, c0:c1, i0:i1]), ci, xs.size)
        cols = np.matmul(wt, xs.reshape(g, ci, -1), out=_work("stamps", (g, co * taps, m * math.prod(size)), dt))
        st = cols.reshape((g, co) + tuple(k) + (m,) + tuple(size))

        def place(o0, o1):                                 # output channels o0..o1-1 of every group
            for phase in np.ndindex(*s):
                dst = yp[(slice(i0, i1), slice(None), slice(o0, o1)) + _phase_index(phase, ())]
                lists = [per_axis[i].get(phase[i], []) for i in range(rank)]
                first = True
                combos = _product(lists) if all(lists) else []
                combos.sort(key=lambda combo: any(c[0] != 0 for c in combo))   # an unshifted tap first: it can
                for combo in combos:                                             # start dst without a fill
                    q, a = tuple(c[0] for c in combo), tuple(c[1] for c in combo)
                    lo = [max(0, q[i]) for i in range(rank)]
                    hi = [min(grid[i], size[i] + q[i]) for i in range(rank)]
                    if any(l_ >= h_ for l_, h_ in zip(lo, hi)):
                        continue
                    src = st[(slice(None), slice(o0, o1)) + a + (slice(None),)
                             + tuple(slice(lo[i] - q[i], hi[i] - q[i]) for i in range(rank))]
                    src = src.transpose((2, 0, 1) + tuple(range(3, 3 + rank)))   # (m, g, co, ...)
                    region = dst[(Ellipsis,) + tuple(slice(lo[i], hi[i]) for i in range(rank))]
                    if first and all(lo[i] == 0 and hi[i] == grid[i] for i in range(rank)):
                        np.add(src, bias[:, :, o0:o1], out=region)
                    else:
                        if first:
                            dst[...] = bias[:, :, o0:o1]
                        region += src
                    first = False
                if first:                                  # no tap reaches this phase: the bias alone
                    dst[...] = bias[:, :, o0:o1]
        _split(place, co, m * g * co * taps * math.prod(size))
    if full == tuple(out):
        return y.reshape(spec.out_shape)
    return np.ascontiguousarray(y[(slice(None),) * 3 + tuple(slice(0, o) for o in out)]).reshape(spec.out_shape)


def _phase_index(phase, rows=None):
    """Index of one phase's sub-grid in y viewed as (n, g, co, T_1, s_1, ...) (rows r0..r1-1 of T_1 if given),
    after the first three axes."""
    out = ()
    for i, ph in enumerate(phase):
        out += (slice(*rows) if i == 0 and rows else slice(None), ph)
    return out if rows is not None else (slice(None),) * 3 + out


_ROUTES = {"tiny": _tiny, "phases": _phases, "columns": _columns, "rows": _rows, "gather": _gather,
           "stamps": _stamps}
