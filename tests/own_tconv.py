"""A transposed convolution written the way a learner would (loops over stamps), for answers in the grading tests.

Exercises that must be written without the library are graded with this instead of ``te.conv_transpose2d``.
"""
import numpy as np


def own_tconv(x, w, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1):
    """(H, W) with (kH, kW), or (N, C_in, H, W) with (C_in, C_out, kH, kW) and bias (C_out,); int parameters."""
    two_d = np.ndim(x) == 2
    x4 = np.asarray(x, dtype=float).reshape((1, 1) + np.shape(x)) if two_d else np.asarray(x, dtype=float)
    w4 = np.asarray(w, dtype=float).reshape((1, 1) + np.shape(w)) if two_d else np.asarray(w, dtype=float)
    n, _, h, wd = x4.shape
    c_out, kh, kw = w4.shape[1:]
    full = np.zeros((n, c_out, (h - 1) * stride + dilation * (kh - 1) + 1 + output_padding,
                     (wd - 1) * stride + dilation * (kw - 1) + 1 + output_padding))
    for i in range(h):
        for j in range(wd):
            for a in range(kh):
                for b in range(kw):
                    full[:, :, i * stride + a * dilation, j * stride + b * dilation] += x4[:, :, i, j] @ w4[:, :, a, b]
    y = full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]
    if bias is not None:
        y = y + np.asarray(bias).reshape(1, -1, 1, 1)
    return y[0, 0] if two_d else y
