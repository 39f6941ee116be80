"""GEMM form: the scatter picture computed for speed; the default form of ``tconv_edu.conv_transpose2d``.

Same result as ``scatter.conv_transpose2d`` (read that first: one matrix product for every stamp, then one
strided add per kernel tap). This form does the same arithmetic with fewer passes over memory, and picks one of
four routes per call (``route``), from the shapes alone:

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
    (or (k,) with 1-D x); bias (C_out,). ``L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.
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
    any rank. A 1-D call is the 2-D call of height 1 (its routes apply as they are)."""
    if spec.rank == 2:
        return _ROUTES[route(spec)](spec)
    if spec.rank == 1:
        flat = _as_2d(spec)
        return _ROUTES[route(flat)](flat).reshape(spec.out_shape)
    return _volume(spec)


def _as_2d(spec):
    """A checked 1-D spec as the 2-D spec of height 1 (views, no copy)."""
    n, c_in, length = spec.x.shape
    return spec._replace(x=spec.x.reshape(n, c_in, 1, length),
                         weight=spec.weight.reshape(spec.weight.shape[:2] + (1, spec.weight.shape[2])),
                         stride=(1,) + spec.stride, dilation=(1,) + spec.dilation, offset=(0,) + spec.offset,
                         out_size=(1,) + spec.out_size)


def route(spec: shapes.TransposeSpec) -> str:
    """The cheapest correct route for these shapes: "tiny", "columns", "rows" or "phases" (module docstring); in
    1-D the route of the 2-D call of height 1, in 3-D "volume".

    Cost per input pixel, in elements written or added: "phases" writes ``kH*kW*C_out`` stamps and adds them;
    "columns" copies ``kW*C_in`` gathered inputs, then writes and adds ``kH*C_out`` stamps; "rows" copies one
    input per distinct row shift and saves the adds of ``kH - sH`` row taps.
    """
    if spec.rank != 2:
        return route(_as_2d(spec)) if spec.rank == 1 else "volume"
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


# -------------------------------------------------------------------------------------------------- volume

def _volume(spec):
    """3-D (any rank): one GEMM gives every stamp, one strided add per tap places it (the scatter form's steps)."""
    from . import scatter
    return scatter.transpose(spec)


_ROUTES = {"tiny": _tiny, "phases": _phases, "columns": _columns, "rows": _rows, "volume": _volume}
