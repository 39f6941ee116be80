"""Matrix form: a convolution is a sparse matrix C, and the transposed convolution is its transpose Cᵀ.

``conv2d(z, w).ravel() == C @ z.ravel()``: row ``(o, i, j)`` of C holds the weights ``w[o, c, a, b]`` in the
columns ``(c, i*s + a*d - p, j*s + b*d - p)`` that the output pixel reads (taps that land in the zero padding have
no entry). A transposed convolution's weight ``(C_in, C_out/g, kH, kW)``, read as a conv2d weight
``(C_out', C_in'/g, kH, kW)``, is exactly the convolution it transposes: build C from the same tensor at the
transposed convolution's *output* size and ``conv_transpose2d(x, w) == Cᵀ @ x.ravel()``. That is the name.

>>> import numpy as np
>>> w = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
>>> C = conv_matrix((1, 4, 4), w)               # conv2d maps 4x4 -> 2x2: C is (4, 16)
>>> C.shape, C.nnz
((4, 16), 36)
>>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
>>> np.allclose((C.T @ x.ravel()).reshape(1, 1, 4, 4), conv_transpose2d(x, w))
True

scipy loads when a function here runs; ``import tconv_edu`` needs numpy only.
"""
from __future__ import annotations

import functools

import numpy as np

from . import shapes

__all__ = ["conv_matrix", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_matrix_nnz",
           "conv2d_grad_input", "gram", "transpose",
           "cache_info", "cache_clear", "DENSE_LIMIT"]

_INT32_LIMIT = 2 ** 31                       # indices (and nnz) below this are stored as int32

#: the largest dense view ``conv_matrix(..., dense=True)`` builds, in entries (80 MB in float64)
DENSE_LIMIT = 10_000_000


# --------------------------------------------------------------------------------------------------- building C

def _rank(input_shape, weight) -> int:
    """The rank of a conv_matrix call: an r-dim weight with an r-dim input_shape is one channel (r <= 3); else the
    weight is (C_out, C_in/groups, *kernel), rank ``weight.ndim - 2``."""
    n = len(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if weight.ndim == n and 1 <= n <= 3:
        return n
    return weight.ndim - 2 if 3 <= weight.ndim <= 5 else 2


def _zeros_like_shape(name, shape, dtype, rank=2):
    """A read-only all-zero array of ``shape`` that takes no memory (for checking a shape with shapes.conv_spec)."""
    sp_ = shapes.spatial_layout(rank)[0]
    one = f"({sp_})" if rank > 1 else f"({sp_},)"
    dims = shapes.sizes(name, shape, (rank, rank + 1, rank + 2), f"(C, {sp_}) or {one}", minimum=1)
    return np.broadcast_to(np.zeros((), dtype), dims)


def _spec_for_shape(input_shape, weight, stride, padding, dilation, groups):
    """shapes.conv_spec for an input known only by its shape (C, H, W) or (H, W) (in rank r: (C, *size) or (*size))."""
    weight = shapes.as_array("weight", weight, np)
    rank = _rank(input_shape, weight)
    if isinstance(input_shape, (tuple, list)) and len(input_shape) == rank + 2:
        sp_ = shapes.spatial_layout(rank)[0]
        one = f"({sp_})" if rank > 1 else f"({sp_},)"
        raise shapes.ArgumentError(f"input_shape={tuple(input_shape)!r}: expected (C, {sp_}) or {one} (one "
                                   f"sample; C maps one sample's pixels, the batch shares it)")
    z = _zeros_like_shape("input_shape", input_shape, shapes.compute_dtype(weight), rank)
    return shapes.conv_spec(z, weight, stride=stride, padding=padding, dilation=dilation, groups=groups, rank=rank)


def _axis_taps(n_out, n_in, k, s, d, p):
    """Per axis: input index ``i*s + a*d - p`` of output i and tap a, shape (n_out, k), and whether it is inside."""
    pos = np.arange(n_out)[:, None] * s + np.arange(k)[None, :] * d - p
    return pos, (pos >= 0) & (pos < n_in)


def _build(c_in, in_hw, w4, stride, pad, dilation, groups, out_hw):
    """CSR matrix of the conv: (C_out * Ho * Wo, C_in * H * W); rows (o, i, j), columns (c, y, x), sorted (in any
    rank: rows (o, *output index), columns (c, *input index)).

    ``pad`` is the (top, left) padding; the output grid ``out_hw`` is given, so the bottom/right padding is
    whatever makes it fit (zero-extended input). Vectorised: a pattern of (output pixel, tap) pairs for one
    channel pair, a per-channel template, then one gather of the weights for all output channels.
    """
    import scipy.sparse as sp

    c_out, m, *k = w4.shape                   # m = input channels per group
    rank = len(k)
    hw, taps = int(np.prod(in_hw)), int(np.prod(k))
    pos, inside = zip(*(_axis_taps(out_hw[i], in_hw[i], k[i], stride[i], dilation[i], pad[i]) for i in range(rank)))
    # every (output pixel, tap) pair inside the input, in row-major order: by pixel, then by tap; the mask's axes
    # are (i_1 .. i_r, a_1 .. a_r)
    mask = np.ones((1,) * (2 * rank), dtype=bool)
    for i in range(rank):
        shape = [1] * (2 * rank)
        shape[i], shape[rank + i] = inside[i].shape
        mask = mask & inside[i].reshape(shape)
    idx_ = np.nonzero(mask)
    pix, tap = idx_[:rank], idx_[rank:]
    prow = np.ravel_multi_index(pix, tuple(out_hw)) if rank else np.zeros(0, np.intp)
    pcol = np.ravel_multi_index(tuple(pos[i][pix[i], tap[i]] for i in range(rank)), tuple(in_hw))
    ptap = np.ravel_multi_index(tap, tuple(k))
    npix = np.ones((), dtype=np.intp)                           # taps inside, per output pixel
    for i in range(rank):
        npix = np.multiply.outer(npix, inside[i].sum(1))
    count = npix.ravel()
    start = np.cumsum(count) - count
    n_pairs = pcol.size
    nnz = c_out * m * n_pairs
    idx = np.int32 if max(nnz, c_in * hw, c_out * count.size) < _INT32_LIMIT else np.int64
    # template of one output channel's rows: for each pixel, for each input channel c, that pixel's taps
    ch = np.arange(m, dtype=idx)[:, None]
    first = start[prow]
    pos = (first * m + np.arange(n_pairs) - first)[None, :] + ch * count[prow][None, :]
    cols = np.empty(m * n_pairs, dtype=idx)
    cols[pos.ravel()] = (ch * hw + pcol.astype(idx)[None, :]).ravel()
    tap_of = np.empty(m * n_pairs, dtype=np.intp)
    tap_of[pos.ravel()] = (ch * taps + ptap[None, :]).ravel()
    # all output channels at once: the group's first input column, and the weights gathered by the template
    cg_out = c_out // groups
    offset = (np.arange(c_out, dtype=idx) // cg_out) * idx(m * hw)
    indices = np.add(offset[:, None], cols[None, :], dtype=idx).ravel()
    data = np.take(w4.reshape(c_out, m * taps), tap_of, axis=1).ravel()
    indptr = np.zeros(c_out * count.size + 1, dtype=idx)
    np.cumsum(np.tile(count.astype(idx) * m, c_out), out=indptr[1:])
    C = sp.csr_array((data, indices, indptr), shape=(c_out * count.size, c_in * hw))
    C.has_sorted_indices = True                 # built in column order, no duplicates (tested)
    return C


def _dense_guard(shape):
    entries = shape[0] * shape[1]
    if entries > DENSE_LIMIT:
        raise shapes.ArgumentError(
            f"dense=True: the dense matrix would be {shape[0]} x {shape[1]} = {entries:,} entries, above the limit "
            f"of {DENSE_LIMIT:,}; use the sparse form (dense=False) and look at a slice, e.g. C[:20].toarray()")


def conv_matrix(input_shape, weight, *, stride=1, padding=0, dilation=1, groups=1, dense=False):
    """The matrix C of ``conv2d`` on inputs of ``input_shape``: ``conv2d(z, w).ravel() == C @ z.ravel()``.

    input_shape: (C_in, H, W), or (H, W) with a 2-D weight (kH, kW); weight: (C_out, C_in/groups, kH, kW). Any rank:
    (C_in, L) with weight (C_out, C_in/groups, k) is conv1d's matrix, (C_in, D, H, W) with a 5-D weight conv3d's.
    Returns a ``scipy.sparse.csr_array`` of shape (C_out * H_out * W_out, C_in * H * W) in the weight's compute
    dtype (int32 indices where they fit), or a numpy array with ``dense=True`` (at most ``DENSE_LIMIT`` entries).
    For the transposed convolution with weight w, call it with w itself at the transposed conv's output size: then
    ``conv_transpose2d(x, w).ravel() == C.T @ x.ravel()``.

    >>> import numpy as np
    >>> conv_matrix((4, 4), np.ones((3, 3)), dense=True).shape
    (4, 16)
    >>> conv_matrix((2, 9, 9), np.ones((3, 2, 3, 3)), stride=2, padding=1).shape
    (75, 162)
    >>> conv_matrix((2, 9), np.ones((3, 2, 3)), stride=2).shape          # conv1d's
    (12, 18)
    >>> conv_matrix((1, 4, 4, 4), np.ones((1, 1, 2, 2, 2))).shape        # conv3d's
    (27, 64)
    """
    spec = _spec_for_shape(input_shape, weight, stride, padding, dilation, groups)
    _, c_in, *size = spec.x.shape
    if dense:
        _dense_guard((spec.weight.shape[0] * int(np.prod(spec.out_size)), c_in * int(np.prod(size))))
    C = _build(c_in, tuple(size), spec.weight, spec.stride, spec.padding, spec.dilation, spec.groups, spec.out_size)
    return C.toarray() if dense else C


def conv_matrix_nnz(input_shape, weight_shape, *, stride=1, padding=0, dilation=1, groups=1) -> int:
    """Non-zeros of ``conv_matrix``: the (output pixel, tap) pairs that land inside the input, not in the padding.

    With padding 0 every tap of every output pixel lands inside, so
    ``nnz = C_out * H_out * W_out * (C_in / groups) * kH * kW``. With padding, per axis, the pairs (i, a) with
    ``0 <= i*s + a*d - p < H`` are counted tap by tap (a range of i for each a) and multiplied.

    >>> conv_matrix_nnz((1, 4, 4), (1, 1, 3, 3))           # 2 x 2 outputs, 9 taps each
    36
    >>> conv_matrix_nnz((1, 4, 4), (1, 1, 3, 3), padding=1)  # 16 outputs, 9 taps, minus those in the padding
    100
    """
    wshape = tuple(weight_shape) if isinstance(weight_shape, (tuple, list)) else weight_shape
    if not isinstance(wshape, tuple) or not 1 <= len(wshape) <= 5:
        raise shapes.ArgumentError(f"weight_shape={weight_shape!r}: expected (C_out, C_in/groups, kH, kW) or (kH, kW)")
    w_stand_in = np.broadcast_to(np.zeros((), np.float64), shapes.sizes("weight_shape", wshape, (len(wshape),), "",
                                                                        minimum=1))
    spec = _spec_for_shape(input_shape, w_stand_in, stride, padding, dilation, groups)
    c_out, m, *ks = spec.weight.shape
    if not any(spec.padding):
        return c_out * int(np.prod(spec.out_size)) * m * int(np.prod(ks))
    pairs = []
    for n_in, n_out, k, s, d, p in zip(spec.x.shape[2:], spec.out_size, ks, spec.stride, spec.dilation,
                                       spec.padding):
        total = 0
        for a in range(k):                       # outputs i with 0 <= i*s + a*d - p <= n_in - 1
            lo = max(0, -((a * d - p) // s))
            hi = min(n_out - 1, (n_in - 1 - a * d + p) // s)
            total += max(0, hi - lo + 1)
        pairs.append(total)
    return c_out * m * int(np.prod(pairs))


def gram(input_shape, weight, *, stride=1, padding=0, dilation=1, groups=1):
    """``C @ C.T`` (sparse, square over the conv's outputs): ``conv2d(conv_transpose2d(y)) == C Cᵀ y``.

    It is the identity only in special cases (stamps that do not overlap, of unit norm), so a transposed
    convolution does not undo a convolution: "deconvolution" is a misnomer.

    >>> import numpy as np
    >>> G = gram((6, 6), np.ones((3, 3)) / 3, stride=1)
    >>> G.shape, round(float(G.diagonal()[0]), 6), np.allclose(G.toarray(), np.eye(16))
    ((16, 16), 1.0, False)
    """
    C = conv_matrix(input_shape, weight, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return (C @ C.T).tocsr()


def conv2d_grad_input(grad_output, weight, input_size, *, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of ``sum(conv2d(z, weight) * grad_output)`` with respect to z, for z of spatial ``input_size``.

    It is ``Cᵀ g``, the transposed convolution of ``grad_output`` with the same weight; ``output_padding`` picks the
    input size among those that convolve to ``grad_output``'s size.
    grad_output: (N, C_out, H_out, W_out) (or 3-D / 2-D); weight: conv2d's (C_out, C_in/groups, kH, kW).

    >>> import numpy as np
    >>> conv2d_grad_input(np.ones((1, 2, 4, 4)), np.ones((2, 4, 3, 3)), (8, 8), stride=2, padding=1).shape
    (1, 4, 8, 8)
    """
    g = shapes.as_array("grad_output", grad_output, np)
    w = shapes.as_array("weight", weight, np)
    if g.ndim < 2 or w.ndim < 2:
        raise shapes.ArgumentError(f"grad_output, weight: expected arrays of at least 2 dimensions, got shapes "
                                   f"{g.shape} and {w.shape}")
    size = shapes.pair("input_size", input_size)
    conv_out = shapes.conv_output_size(size, w.shape[-2:], stride=stride, padding=padding, dilation=dilation)
    if conv_out != tuple(g.shape[-2:]):
        raise shapes.ArgumentError(f"grad_output: spatial shape {tuple(g.shape[-2:])} is not conv2d's output size "
                                   f"{conv_out} for input_size={size}")
    # several input sizes convolve to grad_output's; output_padding picks input_size among them
    op = shapes.output_padding_for(g.shape[-2:], size, w.shape[-2:], stride=stride, padding=padding,
                                   dilation=dilation)
    return conv_transpose2d(g, w, stride=stride, padding=padding, output_padding=op, dilation=dilation,
                            groups=groups)


# ------------------------------------------------------------------------------------ the transposed convolution

#: matrices the cache keeps. A large layer's can be hundreds of MB, so few: enough for a notebook's examples or a
#: small model at fixed weights.
CACHE_SIZE = 4


def _matrix_key(spec) -> tuple:
    """What Cᵀ depends on, hashable: the weight's bytes, shape and dtype, x's (C_in, H, W), stride, crop (padding),
    output size, dilation and groups. Two weights that differ in one value differ in their bytes."""
    return (spec.weight.tobytes(), spec.weight.shape, spec.dtype.str, spec.x.shape[1:], spec.stride, spec.offset,
            spec.out_size, spec.dilation, spec.groups)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _transposed(weight_bytes, weight_shape, dtype, x_chw, stride, crop, out_size, dilation, groups):
    """Cᵀ of a checked call (key: ``_matrix_key``), a (C_out*H_out*W_out, C_in*H*W) CSC matrix with read-only
    arrays, so that nobody can edit a cached matrix and poison later calls. Least recently used of the last
    ``CACHE_SIZE`` are kept; ``cache_clear()`` frees them."""
    weight = np.frombuffer(weight_bytes, dtype=dtype).reshape(weight_shape)
    # the conv that this transposes: the weight (C_in, C_out/g, ...) read as conv2d's (C_out', C_in'/g, ...), on an
    # input of the output's size, padded by the crop; its output grid is x's (with output_padding >= stride, allowed
    # when dilation is larger, the conv itself would give one more row, which x does not have)
    C = _build(weight_shape[1] * groups, out_size, weight, stride, crop, dilation, groups, x_chw[1:])
    CT = C.T
    for a in (CT.data, CT.indices, CT.indptr):
        a.flags.writeable = False
    return CT


#: hits, misses, maxsize and currsize of the matrix cache (``functools.lru_cache``'s own)
cache_info = _transposed.cache_info
#: forget every cached matrix (and reset the counters)
cache_clear = _transposed.cache_clear


def _apply(CT, x, bias, out_chw):
    """Cᵀ applied to every sample of x (N, C_in, H, W) in one sparse product; returns (N, C_out, H_out, W_out) (any
    rank: x (N, C_in, *size), ``out_chw`` (C_out, *out))."""
    n = x.shape[0]
    if n == 0:
        return np.zeros((0,) + out_chw, dtype=CT.dtype)
    if n == 1:
        y = (CT @ x.reshape(-1)).reshape((1,) + out_chw)
    else:                                   # (C_in*H*W, N): the batch is the innermost axis of the product
        y = np.ascontiguousarray((CT @ x.reshape(n, -1).T).T).reshape((n,) + out_chw)
    if bias is not None:
        y += bias.reshape((-1,) + (1,) * (len(out_chw) - 1))
    return y


def transpose(spec: shapes.TransposeSpec, xp=np):
    """Compute a checked spec as ``Cᵀ @ x`` for the whole batch, with the cached matrix (numpy only)."""
    if xp is not np:
        raise TypeError(f"xp={getattr(xp, '__name__', xp)!r}: the matrix form computes with numpy and scipy only")
    return _apply(_transposed(*_matrix_key(spec)), spec.x, spec.bias, (spec.c_out,) + tuple(spec.out_size))


def conv_transpose2d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution as ``Cᵀ @ x``, C the sparse matrix of the conv2d that it transposes.

    Same signature, shapes and results as ``tconv_edu.scatter.conv_transpose2d``: x (N, C_in, H, W), (C_in, H, W)
    or (H, W); weight (C_in, C_out/groups, kH, kW); bias (C_out,); output
    ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``. Cᵀ is built once per
    weight (its values), shapes and parameters and cached (the last ``CACHE_SIZE``; ``cache_info()``,
    ``cache_clear()``); the batch is one product. Every call is checked in full.

    >>> import numpy as np
    >>> conv_transpose2d(np.ones((2, 4, 5, 5)), np.ones((4, 3, 3, 3)), stride=2, padding=1).shape
    (2, 3, 9, 9)
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups)
    return spec.finish(transpose(spec))


def conv_transpose1d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """1-D transposed convolution as ``Cᵀ @ x``, C the sparse matrix of the conv1d it transposes (cached as in 2-D).

    Same signature, shapes and results as ``tconv_edu.scatter.conv_transpose1d``: x (N, C_in, L), (C_in, L) or
    (L,); weight (C_in, C_out/groups, k); bias (C_out,).
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=1)
    return spec.finish(transpose(spec))


def conv_transpose3d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """3-D transposed convolution as ``Cᵀ @ x``, C the sparse matrix of the conv3d it transposes (cached as in 2-D).

    Same signature, shapes and results as ``tconv_edu.scatter.conv_transpose3d``: x (N, C_in, D, H, W),
    (C_in, D, H, W) or (D, H, W); weight (C_in, C_out/groups, kD, kH, kW); bias (C_out,).
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=3)
    return spec.finish(transpose(spec))
