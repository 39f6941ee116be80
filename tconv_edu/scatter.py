"""Scatter form: every input pixel stamps a scaled copy of the kernel into the output.

``Y[i*s + a*d, j*s + b*d] += X[i, j] * K[a, b]``, then ``padding`` crops the border of Y (in 1-D
``Y[i*s + a*d] += X[i] * K[a]``; in 3-D the same with three indices).

- ``conv_transpose1d_naive``: two nested loops over one 1-D channel, the simplest code of the package.
- ``conv_transpose2d_naive``: four nested loops over one 2-D channel, read next to the formula.
- ``conv_transpose1d``, ``conv_transpose2d``, ``conv_transpose3d``: the full contract, vectorised in any rank:
  one matrix product gives every stamp at once (``cols = W^T X``), then one strided add per kernel tap places
  them (col2im).

``tconv_edu.gemm`` computes the same thing faster (and is the default form); this module is the one to read.

>>> import numpy as np
>>> conv_transpose2d_naive(np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]]))
array([[0., 1., 2.],
       [1., 5., 4.],
       [3., 4., 0.]])
>>> conv_transpose1d_naive(np.array([1, 2, 3]), np.array([1, 1]), stride=2)
array([1., 1., 2., 2., 3., 3.])
"""
from __future__ import annotations

import math

import numpy as np

from . import shapes

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_transpose1d_naive",
           "conv_transpose2d_naive", "transpose"]


def conv_transpose1d_naive(x, k, *, stride=1, padding=0, output_padding=0, dilation=1):
    """One 1-D channel with loops: x (L,), k (kL,) -> (L_out,), ``L_out = (L - 1) * s - 2p + d(kL - 1) + op + 1``."""
    spec = shapes.transpose_spec(x, k, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, rank=1)
    if spec.input_ndim != 1:
        raise shapes.ArgumentError(f"x: the loop version takes one 1-D channel (L,), got shape {np.shape(x)}")
    X, K = spec.x[0, 0], spec.weight[0, 0]
    (s,), (d,), (p,), (L_out,) = spec.stride, spec.dilation, spec.offset, spec.out_size
    Y = np.zeros(max(spec.full_size[0], p + L_out), dtype=spec.dtype)    # room for output_padding
    for i in range(len(X)):
        for a in range(len(K)):
            Y[i * s + a * d] += X[i] * K[a]
    return Y[p:p + L_out]


def conv_transpose2d_naive(x, k, *, stride=1, padding=0, output_padding=0, dilation=1):
    """One 2-D channel with loops: x (H, W), k (kH, kW) -> (H_out, W_out).

    ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``.
    """
    spec = shapes.transpose_spec(x, k, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation)
    if spec.input_ndim != 2:
        raise shapes.ArgumentError(f"x: the loop version takes one 2-D channel (H, W), got shape {np.shape(x)}")
    X, K = spec.x[0, 0], spec.weight[0, 0]
    (s_h, s_w), (d_h, d_w), (p_h, p_w) = spec.stride, spec.dilation, spec.offset
    full_h, full_w = spec.full_size
    H_out, W_out = spec.out_size
    # room for output_padding: rows past the full output that no stamp reaches stay 0
    Y = np.zeros((max(full_h, p_h + H_out), max(full_w, p_w + W_out)), dtype=spec.dtype)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            for a in range(K.shape[0]):
                for b in range(K.shape[1]):
                    Y[i * s_h + a * d_h, j * s_w + b * d_w] += X[i, j] * K[a, b]
    return Y[p_h:p_h + H_out, p_w:p_w + W_out]


def conv_transpose2d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution, scatter form (PyTorch's ``conv_transpose2d`` semantics).

    x: (N, C_in, H, W), (C_in, H, W) or (H, W); weight: (C_in, C_out/groups, kH, kW) (or (kH, kW) with 2-D x);
    bias: (C_out,). Returns (N, C_out, H_out, W_out) (same leading layout as x), with
    ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``.

    >>> import numpy as np
    >>> conv_transpose2d(np.ones((2, 4, 5, 5)), np.ones((4, 3, 3, 3)), stride=2, padding=1).shape
    (2, 3, 9, 9)
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups)
    return spec.finish(transpose(spec))


def conv_transpose1d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution in 1-D, scatter form: x (N, C_in, L), (C_in, L) or (L,); weight (C_in, C_out/groups, k)
    (or (k,) with 1-D x); bias (C_out,).
    ``L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    >>> import numpy as np
    >>> conv_transpose1d(np.ones((4, 8, 64)), np.ones((8, 2, 16)), stride=8, padding=4).shape
    (4, 2, 512)
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=1)
    return spec.finish(transpose(spec))


def conv_transpose3d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution in 3-D, scatter form: x (N, C_in, D, H, W), (C_in, D, H, W) or (D, H, W); weight
    (C_in, C_out/groups, kD, kH, kW) (or (kD, kH, kW) with 3-D x); bias (C_out,). Each output size as in 2-D.

    >>> import numpy as np
    >>> x, w = np.ones((1, 4, 3, 3, 3)), np.ones((4, 2, 3, 3, 3))
    >>> conv_transpose3d(x, w, stride=2, padding=1, output_padding=1).shape
    (1, 2, 6, 6, 6)
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=3)
    return spec.finish(transpose(spec))


def transpose(spec: shapes.TransposeSpec):
    """The computation on a checked spec of any rank (x (N, C_in, *size), weight (C_in, C_out/g, *k)): stamps by
    one matrix product, placed tap by tap."""
    x, w, g = spec.x, spec.weight, spec.groups
    n, c_in, *size = x.shape
    _, c_out, *k = w.shape                                     # c_out: output channels per group
    s, d, p, out = spec.stride, spec.dilation, spec.offset, spec.out_size
    rank = len(size)
    # 1. every stamp at once: stamps[n, g, o, a, b, i, j] = sum over c of x[n, g, c, i, j] * w[g, c, o, a, b]
    xg = x.reshape(n, g, c_in // g, math.prod(size))
    wg = w.reshape(g, c_in // g, c_out * math.prod(k))
    stamps = (wg.transpose(0, 2, 1) @ xg).reshape((n, g, c_out) + tuple(k) + tuple(size))
    # 2. one strided add per kernel tap: tap (a, b) of pixel (i, j) lands at (i*s + a*d, j*s + b*d), per axis
    full = spec.full_size
    y = np.zeros((n, g, c_out) + tuple(max(full[i], p[i] + out[i]) for i in range(rank)), dtype=spec.dtype)
    for tap in np.ndindex(*k):
        where = tuple(slice(tap[i] * d[i], tap[i] * d[i] + (size[i] - 1) * s[i] + 1, s[i]) for i in range(rank))
        y[(Ellipsis,) + where] += stamps[(slice(None),) * 3 + tap]
    # 3. padding crops the border; output_padding's extra rows were in y already (zeros where no stamp reached)
    y = y[(Ellipsis,) + tuple(slice(p[i], p[i] + out[i]) for i in range(rank))].reshape((n, g * c_out) + tuple(out))
    if spec.bias is not None:
        y = y + spec.bias.reshape((1, -1) + (1,) * rank)
    return y
