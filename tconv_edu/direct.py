"""Zero-insertion view: a transposed convolution is an ordinary convolution of a stretched input.

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

__all__ = ["conv_transpose2d", "zero_insert", "flip_weight", "transpose"]


def conv_transpose2d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution as zero insertion + padding + conv2d with the flipped kernel.

    Same signature, shapes and results as ``tconv_edu.scatter.conv_transpose2d``.
    """
    spec = shapes.transpose_spec(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups)
    return spec.finish(transpose(spec))


def zero_insert(x, stride):
    """Insert ``stride - 1`` zeros between the pixels of x (..., H, W) -> (..., (H-1)*s_h + 1, (W-1)*s_w + 1)."""
    sh, sw = shapes.pair("stride", stride, 1)
    h, w = x.shape[-2:]
    z = np.zeros(x.shape[:-2] + ((h - 1) * sh + 1, (w - 1) * sw + 1), dtype=x.dtype)
    z[..., ::sh, ::sw] = x
    return z


def flip_weight(weight, groups=1):
    """Transposed-conv weight (C_in, C_out/g, kH, kW) -> conv2d weight (C_out, C_in/g, kH, kW), rotated 180 degrees."""
    c_in, cg_out, kh, kw = weight.shape
    w = weight.reshape(groups, c_in // groups, cg_out, kh, kw).transpose(0, 2, 1, 3, 4)
    return w.reshape(groups * cg_out, c_in // groups, kh, kw)[:, :, ::-1, ::-1]


def transpose(spec: shapes.TransposeSpec):
    """Compute a checked spec by zero insertion and a stride-1 conv2d."""
    z = zero_insert(spec.x, spec.stride)
    (kh, kw), (dh, dw) = spec.weight.shape[2:], spec.dilation
    # pad so that output row r reads stretched rows r + crop - d(k-1) ... r + crop
    top, left = dh * (kh - 1) - spec.offset[0], dw * (kw - 1) - spec.offset[1]
    rows = spec.out_size[0] + dh * (kh - 1)
    cols = spec.out_size[1] + dw * (kw - 1)
    zp = np.zeros(z.shape[:2] + (rows, cols), dtype=z.dtype)
    src_r0, dst_r0 = max(0, -top), max(0, top)
    src_c0, dst_c0 = max(0, -left), max(0, left)
    nr = min(z.shape[2] - src_r0, rows - dst_r0)
    nc = min(z.shape[3] - src_c0, cols - dst_c0)
    if nr > 0 and nc > 0:
        zp[:, :, dst_r0:dst_r0 + nr, dst_c0:dst_c0 + nc] = z[:, :, src_r0:src_r0 + nr, src_c0:src_c0 + nc]
    conv = shapes.ConvSpec(x=zp, weight=np.ascontiguousarray(flip_weight(spec.weight, spec.groups)), bias=spec.bias,
                           stride=(1, 1), padding=(0, 0), dilation=spec.dilation, groups=spec.groups,
                           out_size=spec.out_size, input_ndim=4)
    return _conv2d(conv)
