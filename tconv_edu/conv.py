"""conv1d, conv2d, conv3d: the forward convolution (cross-correlation, as in PyTorch), the operation we transpose.

>>> import numpy as np
>>> conv2d(np.ones((1, 3, 8, 8)), np.ones((4, 3, 3, 3)), stride=2, padding=1).shape
(1, 4, 4, 4)
>>> conv1d(np.ones((2, 3, 9)), np.ones((4, 3, 3)), stride=2).shape
(2, 4, 4)
>>> conv3d(np.ones((1, 2, 5, 5, 5)), np.ones((3, 2, 3, 3, 3))).shape
(1, 3, 3, 3, 3)
"""
from __future__ import annotations

import math

import numpy as np

from . import shapes

__all__ = ["conv1d", "conv2d", "conv3d"]


def conv2d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's ``conv2d``: ``y[n, o, i, j] = sum_{c, a, b} x_pad[n, c, i*s + a*d, j*s + b*d] * w[o, c, a, b]``.

    x: (N, C_in, H, W), (C_in, H, W) or (H, W); weight: (C_out, C_in/groups, kH, kW) (or (kH, kW) with 2-D x);
    bias: (C_out,). Returns (N, C_out, H_out, W_out) with ``H_out = (H + 2p - d(kH-1) - 1) // s + 1``.
    """
    spec = shapes.conv_spec(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return spec.finish(_conv2d(spec))


def conv1d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's ``conv1d``: ``y[n, o, i] = sum_{c, a} x_pad[n, c, i*s + a*d] * w[o, c, a]``.

    x: (N, C_in, L), (C_in, L) or (L,); weight: (C_out, C_in/groups, k) (or (k,) with 1-D x); bias: (C_out,).
    Returns (N, C_out, L_out) with ``L_out = (L + 2p - d(k-1) - 1) // s + 1``.
    """
    spec = shapes.conv_spec(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups,
                            rank=1)
    return spec.finish(_conv2d(spec))


def conv3d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's ``conv3d``, the same sum over three axes.

    x: (N, C_in, D, H, W), (C_in, D, H, W) or (D, H, W); weight: (C_out, C_in/groups, kD, kH, kW) (or (kD, kH, kW)
    with 3-D x); bias: (C_out,). Returns (N, C_out, D_out, H_out, W_out), each size ``(n + 2p - d(k-1) - 1) // s + 1``.
    """
    spec = shapes.conv_spec(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups,
                            rank=3)
    return spec.finish(_conv2d(spec))


def _conv2d(spec):
    """Compute a checked ConvSpec of any rank: one batched matmul per kernel tap."""
    x, w, g = spec.x, spec.weight, spec.groups
    s, p, d = spec.stride, spec.padding, spec.dilation
    n, c_in, *size = x.shape
    c_out, cg_in, *k = w.shape
    out, rank = spec.out_size, len(size)
    x_pad = np.zeros((n, c_in) + tuple(size[i] + 2 * p[i] for i in range(rank)), dtype=x.dtype)
    x_pad[(slice(None), slice(None)) + tuple(slice(p[i], p[i] + size[i]) for i in range(rank))] = x
    xg = x_pad.reshape((n, g, cg_in) + x_pad.shape[2:])
    wg = w.reshape((g, c_out // g, cg_in) + tuple(k))
    pixels = math.prod(out)
    y = np.zeros((n, g, c_out // g, pixels), dtype=x.dtype)
    for tap in np.ndindex(*k):
        window = tuple(slice(tap[i] * d[i], tap[i] * d[i] + (out[i] - 1) * s[i] + 1, s[i]) for i in range(rank))
        patch = xg[(slice(None),) * 3 + window]
        # (g, Cout/g, Cg_in) @ (n, g, Cg_in, pixels) -> (n, g, Cout/g, pixels)
        y += np.matmul(wg[(slice(None),) * 3 + tap], patch.reshape(n, g, cg_in, pixels))
    y = y.reshape((n, c_out) + tuple(out))
    if spec.bias is not None:
        y += spec.bias.reshape((1, -1) + (1,) * rank)
    return y
