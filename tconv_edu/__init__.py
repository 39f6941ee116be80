"""tconv_edu: transposed convolution, taught three ways and checked against PyTorch and TensorFlow.

>>> import numpy as np, tconv_edu as te
>>> x = np.array([[1, 2], [3, 4]]); k = np.array([[0, 1], [1, 0]])
>>> te.conv_transpose2d(x, k)
array([[0., 1., 2.],
       [1., 5., 4.],
       [3., 4., 0.]])
>>> sorted(te.FORMS)
['direct', 'gemm', 'gpu', 'matrix', 'scatter', 'subpixel']

Importing needs numpy only; scipy, matplotlib, ipywidgets and cupy load when a form or module that needs them runs.
"""
from __future__ import annotations

import sys

from . import artifacts, direct, frameworks, gemm, gpu, matrix, porting, scatter, shapes, subpixel
from .artifacts import resize_conv, upsample_nearest
from .conv import conv1d, conv2d, conv3d
from .frameworks import jax_conv_transpose, keras_conv2d_transpose, onnx_conv_transpose
from .porting import Layer, Ported, port
from .frameworks.tf import conv1d_transpose, conv2d_transpose, conv3d_transpose, tf_output_size_range
from .shapes import ArgumentError, conv_output_size, output_padding_for, output_size, output_size_range
from .subpixel import pixel_shuffle, pixel_unshuffle

__all__ = [
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv1d", "conv2d", "conv3d",
    "conv1d_transpose", "conv2d_transpose", "conv3d_transpose", "FORMS", "ArgumentError",
    "output_size", "conv_output_size", "output_size_range", "output_padding_for", "tf_output_size_range",
    "gemm", "scatter", "direct", "matrix", "shapes",
    "subpixel", "pixel_shuffle", "pixel_unshuffle",
    "artifacts", "upsample_nearest", "resize_conv",
    "gpu",
    "frameworks", "keras_conv2d_transpose", "jax_conv_transpose", "onnx_conv_transpose",
    "porting", "Layer", "Ported", "port",
]


def _version() -> str:
    """The installed distribution's version (pyproject.toml holds the only copy); "0+unknown" where tconv_edu runs
    from plain files that pip never installed (a folder on sys.path), so no package metadata exists."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tconv_edu")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()

#: name -> function with the signature of ``conv_transpose2d`` (without ``method``); every form gives the same result.
#: Each form takes every rank: the module of ``FORMS[name]`` has ``conv_transpose1d`` and ``conv_transpose3d`` too.
FORMS = {
    "gemm": gemm.conv_transpose2d,        # the scatter computed for speed: the default
    "scatter": scatter.conv_transpose2d,  # the scatter to read: one matrix product, one strided add per tap
    "direct": direct.conv_transpose2d,
    "matrix": matrix.conv_transpose2d,    # Cᵀ @ x, C the sparse matrix of conv2d (scipy, loaded on first call)
    "subpixel": subpixel.conv_transpose2d,
    "gpu": gpu.conv_transpose2d,          # CuPy, loaded on first call; NumPy in, NumPy out
}


def conv_transpose2d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                     method="gemm"):
    """Transposed convolution with PyTorch's semantics, computed by the form ``method`` (a key of ``FORMS``).

    The default, ``"gemm"``, is the fast CPU form; ``"scatter"`` is the same computation written to be read.

    x: (N, C_in, H, W), (C_in, H, W) or (H, W); weight: (C_in, C_out/groups, kH, kW) (or (kH, kW) with 2-D x);
    bias: (C_out,). Output size per axis:
    ``(H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``.

    >>> import numpy as np
    >>> conv_transpose2d(np.ones((1, 8, 4, 4)), np.ones((8, 2, 3, 3)), stride=2, padding=1, output_padding=1).shape
    (1, 2, 8, 8)
    """
    return _form(method, 2)(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                            dilation=dilation, groups=groups)


def conv_transpose1d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                     method="gemm"):
    """Transposed convolution in 1-D with PyTorch's semantics, computed by the form ``method`` (a key of ``FORMS``).

    x: (N, C_in, L), (C_in, L) or (L,); weight: (C_in, C_out/groups, k) (or (k,) with 1-D x); bias: (C_out,).
    ``L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    >>> import numpy as np
    >>> conv_transpose1d(np.ones((4, 16, 64)), np.ones((16, 8, 16)), stride=8, padding=4).shape
    (4, 8, 512)
    >>> conv_transpose1d(np.array([1, 2, 3]), np.array([1, 1, 1]), stride=2)
    array([1., 1., 3., 2., 5., 3., 3.])
    """
    return _form(method, 1)(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                            dilation=dilation, groups=groups)


def conv_transpose3d(x, weight, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                     method="gemm"):
    """Transposed convolution in 3-D with PyTorch's semantics, computed by the form ``method`` (a key of ``FORMS``).

    x: (N, C_in, D, H, W), (C_in, D, H, W) or (D, H, W); weight: (C_in, C_out/groups, kD, kH, kW) (or (kD, kH, kW)
    with 3-D x); bias: (C_out,). Each output size as in 2-D, per axis.

    >>> import numpy as np
    >>> x, w = np.ones((1, 8, 6, 6, 6)), np.ones((8, 4, 3, 3, 3))
    >>> conv_transpose3d(x, w, stride=2, padding=1, output_padding=1).shape
    (1, 4, 12, 12, 12)
    """
    return _form(method, 3)(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                            dilation=dilation, groups=groups)


def _form(method, rank: int):
    """The function of form ``method`` (a key of ``FORMS``) for ``rank`` spatial axes, from the form's module."""
    if not isinstance(method, str) or method not in FORMS:
        raise ArgumentError(f"method={method!r}: expected one of {sorted(FORMS)}")
    fn = FORMS[method]
    return fn if rank == 2 else getattr(sys.modules[fn.__module__], f"conv_transpose{rank}d")

