"""conv2d: the forward convolution (cross-correlation, as in PyTorch), the operation we transpose.

>>> import numpy as np
>>> conv2d(np.ones((1, 3, 8, 8)), np.ones((4, 3, 3, 3)), stride=2, padding=1).shape
(1, 4, 4, 4)
"""
from __future__ import annotations

import numpy as np

from . import shapes

__all__ = ["conv2d"]


def conv2d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's ``conv2d``: ``y[n, o, i, j] = sum_{c, a, b} x_pad[n, c, i*s + a*d, j*s + b*d] * w[o, c, a, b]``.

    x: (N, C_in, H, W), (C_in, H, W) or (H, W); weight: (C_out, C_in/groups, kH, kW) (or (kH, kW) with 2-D x);
    bias: (C_out,). Returns (N, C_out, H_out, W_out) with ``H_out = (H + 2p - d(kH-1) - 1) // s + 1``.
    """
    spec = shapes.conv_spec(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return spec.finish(_conv2d(spec))


def _conv2d(spec):
    """Compute a checked ConvSpec: one batched matmul per kernel tap."""
    x, w, g = spec.x, spec.weight, spec.groups
    (sh, sw), (ph, pw), (dh, dw) = spec.stride, spec.padding, spec.dilation
    n, c_in, h, wd = x.shape
    c_out, cg_in, kh, kw = w.shape
    ho, wo = spec.out_size
    x_pad = np.zeros((n, c_in, h + 2 * ph, wd + 2 * pw), dtype=x.dtype)
    x_pad[:, :, ph:ph + h, pw:pw + wd] = x
    xg = x_pad.reshape(n, g, cg_in, h + 2 * ph, wd + 2 * pw)
    wg = w.reshape(g, c_out // g, cg_in, kh, kw)
    y = np.zeros((n, g, c_out // g, ho * wo), dtype=x.dtype)
    for a in range(kh):
        for b in range(kw):
            patch = xg[:, :, :, a * dh: a * dh + (ho - 1) * sh + 1: sh, b * dw: b * dw + (wo - 1) * sw + 1: sw]
            # (g, Cout/g, Cg_in) @ (n, g, Cg_in, ho*wo) -> (n, g, Cout/g, ho*wo)
            y += np.matmul(wg[:, :, :, a, b], patch.reshape(n, g, cg_in, ho * wo))
    y = y.reshape(n, c_out, ho, wo)
    if spec.bias is not None:
        y += spec.bias.reshape(1, -1, 1, 1)
    return y
