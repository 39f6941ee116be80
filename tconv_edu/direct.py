"""Zero-insertion view: a transposed convolution is an ordinary convolution of a stretched input.

In any rank, per axis:

1. insert ``stride - 1`` zeros between input pixels;
2. pad by ``dilation * (k - 1) - padding`` on each side (plus ``output_padding`` at the bottom/right;
   a negative amount crops);
3. correlate (stride 1, same dilation) with the kernel rotated by 180 degrees, input and output channels swapped.

>>> import numpy as np
>>> conv_transpose2d(np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]]))
array([[0., 1., 2.],
       [1., 5., 4.],
       [3., 4., 0.]])
"""
from __future__ import annotations

import numpy as np

from . import shapes
from .conv import _conv2d

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "zero_insert", "flip_weight", "transpose"]


def conv_transpose2d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution as zero insertion + padding + conv2d with the flipped kernel.

    Same signature, shapes and results as ``tconv_edu.scatter.conv_transpose2d``.
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups)
    return spec.finish(transpose(spec))


def conv_transpose1d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """1-D: zero insertion + padding + conv1d with the flipped kernel. Same signature, shapes and results as
    ``tconv_edu.scatter.conv_transpose1d``: x (N, C_in, L), (C_in, L) or (L,); weight (C_in, C_out/groups, k)."""
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=1)
    return spec.finish(transpose(spec))


def conv_transpose3d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """3-D: zero insertion + padding + conv3d with the flipped kernel. Same signature, shapes and results as
    ``tconv_edu.scatter.conv_transpose3d``: x (N, C_in, D, H, W); weight (C_in, C_out/groups, kD, kH, kW)."""
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, rank=3)
    return spec.finish(transpose(spec))


def zero_insert(x, stride, *, rank=2):
    """Insert ``stride - 1`` zeros between the pixels of x along its last ``rank`` axes:
    (..., H, W) -> (..., (H-1)*s_h + 1, (W-1)*s_w + 1).

    >>> zero_insert(np.array([1, 2, 3]), 2, rank=1)
    array([1, 0, 2, 0, 3])
    """
    s = shapes.ntuple("stride", stride, rank, 1)
    size = x.shape[x.ndim - rank:]
    z = np.zeros(x.shape[:x.ndim - rank] + tuple((n - 1) * si + 1 for n, si in zip(size, s)), dtype=x.dtype)
    z[(Ellipsis,) + tuple(slice(None, None, si) for si in s)] = x
    return z


def flip_weight(weight, groups=1):
    """Transposed-conv weight (C_in, C_out/g, kH, kW) -> conv2d weight (C_out, C_in/g, kH, kW), rotated 180 degrees
    (any rank: (C_in, C_out/g, *k) -> (C_out, C_in/g, *k), every kernel axis reversed)."""
    c_in, cg_out, *k = weight.shape
    order = (0, 2, 1) + tuple(range(3, 3 + len(k)))
    w = weight.reshape((groups, c_in // groups, cg_out) + tuple(k)).transpose(order)
    flipped = (slice(None),) * 2 + (slice(None, None, -1),) * len(k)
    return w.reshape((groups * cg_out, c_in // groups) + tuple(k))[flipped]


def transpose(spec: shapes.TransposeSpec):
    """Compute a checked spec of any rank by zero insertion and a stride-1 convolution."""
    rank = spec.rank
    z = zero_insert(spec.x, spec.stride, rank=rank)
    k, d = spec.weight.shape[2:], spec.dilation
    # pad so that output row r reads stretched rows r + crop - d(k-1) ... r + crop, per axis
    before = [d[i] * (k[i] - 1) - spec.offset[i] for i in range(rank)]
    size = tuple(spec.out_size[i] + d[i] * (k[i] - 1) for i in range(rank))
    zp = np.zeros(z.shape[:2] + size, dtype=z.dtype)
    src, dst = [], []
    for i in range(rank):
        s0, d0 = max(0, -before[i]), max(0, before[i])
        m = min(z.shape[2 + i] - s0, size[i] - d0)
        if m <= 0:
            break
        src.append(slice(s0, s0 + m))
        dst.append(slice(d0, d0 + m))
    else:
        zp[(Ellipsis,) + tuple(dst)] = z[(Ellipsis,) + tuple(src)]
    conv = shapes.ConvSpec(x=zp, weight=np.ascontiguousarray(flip_weight(spec.weight, spec.groups)), bias=spec.bias,
                           stride=(1,) * rank, padding=(0,) * rank, dilation=spec.dilation, groups=spec.groups,
                           out_size=spec.out_size, input_ndim=rank + 2)
    return _conv2d(conv)
