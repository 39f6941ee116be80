"""Every framework's transposed conv, exactly: Keras 3, JAX and ONNX beside PyTorch and TensorFlow.

Each function takes its framework's own signature, layouts and defaults, checks its arguments with that framework's
rules (in ``tconv_edu.shapes``) before any work, and computes through the library's ``conv_transpose2d`` (PyTorch
semantics): the full scatter output, then the crops that framework's padding rule gives (``shapes.*_crops``).

========================  ==============================  ============================  ===========================
function                  data                            kernel                        padding
========================  ==============================  ============================  ===========================
keras_conv2d_transpose    (N, H, W, C_in) channels_last   (kH, kW, C_out, C_in)         'valid' / 'same'
jax_conv_transpose        (N, H, W, C_in) 'NHWC'          (kH, kW, C_in, C_out) 'HWIO'  'SAME', 'VALID', (lo, hi)
onnx_conv_transpose       (N, C, H, W)                    (C, M / group, kH, kW)        auto_pad, pads, output_shape
========================  ==============================  ============================  ===========================

The traps, each shown by a test: Keras' ``output_padding=None`` and ``0`` give different sizes; JAX does not flip
the kernel unless ``transpose_kernel=True``; ONNX's 'SAME_UPPER' crops the odd pixel at the end, 'SAME_LOWER' (and
``output_shape`` alone) at the start; TensorFlow's 'SAME' sits one pixel from PyTorch's ``padding=1,
output_padding=1`` (``tconv_edu.port`` says what each layer is in the other frameworks' terms).

>>> import numpy as np
>>> keras_conv2d_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 3)), strides=2, padding="same").shape
(1, 8, 8, 2)
"""
from __future__ import annotations

import numpy as np

from . import scatter, shapes
from .shapes import ArgumentError, keras_output_size  # noqa: F401  (keras_output_size: the notebooks' name)

__all__ = ["keras_conv2d_transpose", "jax_conv_transpose", "onnx_conv_transpose", "keras_output_size",
           "WEIGHT_LAYOUTS", "JAX_DEFAULT_DIMENSION_NUMBERS", "jax_layout", "crop"]

#: framework -> (layer, weight shape), for a transposed conv from C_in to C_out channels (and its forward conv)
WEIGHT_LAYOUTS = {
    "PyTorch ConvTranspose2d / F.conv_transpose2d": "(C_in, C_out / groups, kH, kW)",
    "PyTorch Conv2d / F.conv2d (the forward conv)": "(C_out, C_in / groups, kH, kW)",
    "TensorFlow tf.nn.conv2d_transpose": "(kH, kW, C_out, C_in)",
    "TensorFlow tf.nn.conv2d (the forward conv)": "(kH, kW, C_in, C_out)",
    "Keras Conv2DTranspose": "(kH, kW, C_out, C_in)",
    "tconv_edu.conv_transpose2d": "(C_in, C_out / groups, kH, kW)  (PyTorch's)",
    "tconv_edu.conv2d_transpose": "(kH, kW, C_out, C_in)  (TensorFlow's)",
}


def crop(y, crops, bias=None):
    """Crop (or, for a negative crop, extend with zero rows) the spatial axes of an NCHW ``y``, then add the bias.

    ``crops = ((top, bottom), (left, right))``; extended rows hold only the bias, as in every framework.
    """
    (t, b), (left, r) = crops
    ext = ((0, 0), (0, 0), (max(-t, 0), max(-b, 0)), (max(-left, 0), max(-r, 0)))
    if any(e != (0, 0) for e in ext):
        y = np.pad(y, ext)
    h, w = y.shape[2:]
    y = y[:, :, max(t, 0):h - max(b, 0), max(left, 0):w - max(r, 0)]
    if bias is not None:
        y = y + bias.astype(y.dtype)[:, None, None]
    return np.ascontiguousarray(y)


def _compute(x4, w4, bias, *, stride, dilation, groups, crops):
    """x4 (N, C_in, H, W), w4 in PyTorch's layout: the full scatter output, cropped by ``crops``, plus the bias."""
    dt = shapes.compute_dtype(x4, w4, bias)
    y = scatter.conv_transpose2d(x4.astype(dt, copy=False), w4.astype(dt, copy=False), None, stride=stride,
                                 dilation=dilation, groups=groups)
    return crop(y, crops, None if bias is None else bias.astype(dt))


def _four_d(name, a, layout):
    if a.ndim != 4:
        raise ArgumentError(f"{name}: expected a 4-D array {layout}, got shape {a.shape}")
    if min(a.shape[1:]) < 1 or a.shape[0] < 1:
        raise ArgumentError(f"{name}: every dimension must be >= 1, got shape {a.shape}")


def _same_dtype(what, *arrays):
    kinds = {a.dtype for a in arrays if a is not None and a.dtype.kind == "f"}
    if len(kinds) > 1:
        raise TypeError(f"{what} requires its arrays to share one dtype, got {', '.join(sorted(map(str, kinds)))}")


# ------------------------------------------------------------------------------------------------------- Keras

def keras_conv2d_transpose(x, kernel, bias=None, *, strides=1, padding="valid", output_padding=None,
                           dilation_rate=1, data_format="channels_last"):
    """What ``keras.layers.Conv2DTranspose`` (Keras 3, TensorFlow backend) computes with ``kernel`` and ``bias``.

    x: (N, H, W, C_in) ('channels_last') or (N, C_in, H, W) ('channels_first'); kernel: (kH, kW, C_out, C_in);
    bias: (C_out,) or None. Output size ``keras_output_size``: 'same' with ``output_padding=None`` gives
    ``in * strides``, with an int ``(in - 1) * strides + k_eff % 2 + output_padding``; 'valid' gives
    ``(in - 1) * strides + max(k_eff, strides)`` or ``(in - 1) * strides + k_eff + output_padding``.
    Keras refuses ``output_padding >= strides`` and strides > 1 together with dilation_rate > 1.

    >>> import numpy as np
    >>> x, k = np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 3))
    >>> keras_conv2d_transpose(x, k, strides=2, padding="same").shape
    (1, 8, 8, 2)
    >>> keras_conv2d_transpose(x, k, strides=2, padding="same", output_padding=0).shape
    (1, 7, 7, 2)
    """
    fmt = "channels_last" if data_format is None else data_format
    if not isinstance(fmt, str) or fmt.lower() not in ("channels_last", "channels_first"):
        raise ArgumentError(f"data_format={data_format!r}: Keras takes 'channels_last' or 'channels_first'")
    fmt = fmt.lower()
    x, k = shapes.as_array("x", x, np), shapes.as_array("kernel", kernel, np)
    bias = shapes.as_array("bias", bias, np, optional=True)
    _four_d("x", x, "(N, H, W, C_in)" if fmt == "channels_last" else "(N, C_in, H, W)")
    _four_d("kernel", k, "(kH, kW, C_out, C_in)")
    x4 = x if fmt == "channels_first" else x.transpose(0, 3, 1, 2)
    if k.shape[3] != x4.shape[1]:
        raise ArgumentError(f"kernel: shape {k.shape} is (kH, kW, C_out, C_in), so its last dim must match the "
                            f"input channels {x4.shape[1]} (Keras: \"The number of input channels must match the "
                            f"kernel's input channels\"), got {k.shape[3]}")
    shapes.check_bias(bias, k.shape[2])
    _, crops = shapes.keras_crops(x4.shape[2:], k.shape[:2], strides=strides, padding=padding,
                                  output_padding=output_padding, dilation_rate=dilation_rate)
    y = _compute(x4, k.transpose(3, 2, 0, 1), bias, stride=shapes.pair("strides", strides),
                 dilation=shapes.pair("dilation_rate", dilation_rate), groups=1, crops=crops)
    return y if fmt == "channels_first" else y.transpose(0, 2, 3, 1)


# --------------------------------------------------------------------------------------------------------- JAX

JAX_DEFAULT_DIMENSION_NUMBERS = ("NHWC", "HWIO", "NHWC")


def jax_layout(dimension_numbers):
    """Permutations that take JAX's (lhs, rhs, out) layouts to (N, C, S1, S2), (O, I, S1, S2), (N, C, S1, S2).

    The spatial axes are ordered as in the rhs string (JAX's rule), and strides and padding follow that order.

    >>> jax_layout(None), jax_layout(("NCHW", "OIHW", "NCHW"))
    (((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2)), ((0, 1, 2, 3), (0, 1, 2, 3), (0, 1, 2, 3)))
    """
    dn = JAX_DEFAULT_DIMENSION_NUMBERS if dimension_numbers is None else dimension_numbers
    if not isinstance(dn, (tuple, list)) or len(dn) != 3 or not all(isinstance(v, str) for v in dn):
        raise TypeError(f"dimension_numbers={dimension_numbers!r}: expected None or 3 strings such as "
                        f"{JAX_DEFAULT_DIMENSION_NUMBERS} (lhs, rhs, out)")
    lhs, rhs, out = dn
    for i, (spec, pair_) in enumerate(((lhs, "NC"), (rhs, "OI"), (out, "NC"))):
        if len(spec) != 4 or any(spec.count(c) != 1 for c in pair_) or len(set(spec)) != 4:
            raise ArgumentError(f"dimension_numbers={dimension_numbers!r}: entry {i} ({spec!r}) must have 4 "
                                f"distinct letters with {pair_[0]!r} and {pair_[1]!r} exactly once (2-D only)")
    spatial = [c for c in rhs if c not in "OI"]
    for spec in (lhs, out):
        if sorted(c for c in spec if c not in "NC") != sorted(spatial):
            raise ArgumentError(f"dimension_numbers={dimension_numbers!r}: {spec!r} must name the same spatial "
                                f"axes as the rhs {rhs!r}")
    return (tuple(lhs.index(c) for c in ["N", "C"] + spatial), tuple(rhs.index(c) for c in ["O", "I"] + spatial),
            tuple(out.index(c) for c in ["N", "C"] + spatial))


def jax_conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                       transpose_kernel=False):
    """What ``jax.lax.conv_transpose`` computes, for 2-D.

    lhs: (N, H, W, C_in) and rhs: (kH, kW, C_in, C_out) with the default dimension numbers
    ``("NHWC", "HWIO", "NHWC")``; strides: 2 ints; padding: 'SAME', 'VALID' or 2 (lo, hi) pairs, the padding of
    the stretched input (``shapes.jax_crops``). JAX correlates with the kernel as stored: equal to PyTorch's only
    with the kernel flipped. ``transpose_kernel=True`` flips it and swaps its I and O axes, so rhs is then
    (kH, kW, C_out, C_in) as in TensorFlow and Keras, unflipped.

    >>> import numpy as np
    >>> jax_conv_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 3, 2)), (2, 2), "SAME").shape
    (1, 8, 8, 2)
    """
    x, k = shapes.as_array("lhs", lhs, np), shapes.as_array("rhs", rhs, np)
    perms = jax_layout(dimension_numbers)
    if x.ndim != 4 or k.ndim != 4:
        raise ArgumentError(f"lhs, rhs: this function covers 2-D convolutions, both 4-D, got shapes {x.shape} "
                            f"and {k.shape}")
    _four_d("lhs", x, "")
    _four_d("rhs", k, "")
    _same_dtype("lax.conv_general_dilated", x, k)
    if not isinstance(transpose_kernel, (bool, np.bool_)):
        raise TypeError(f"transpose_kernel={transpose_kernel!r}: expected a bool")
    x4, k4 = x.transpose(perms[0]), k.transpose(perms[1])       # (N, C, S1, S2), (O, I, S1, S2)
    if transpose_kernel:                                         # JAX: flip the spatial axes, swap I and O
        k4 = k4[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    if k4.shape[1] != x4.shape[1]:
        swapped = " (transpose_kernel=True swapped it with 'O')" if transpose_kernel else ""
        raise ArgumentError(f"rhs: its input-feature dim 'I'{swapped} must equal lhs's features: JAX's "
                            f"conv_general_dilated: \"lhs feature dimension size divided by "
                            f"feature_group_count must equal the rhs input feature dimension size, but "
                            f"{x4.shape[1]} // 1 != {k4.shape[1]}\"")
    _, crops = shapes.jax_crops(x4.shape[2:], k4.shape[2:], strides=strides, padding=padding,
                                rhs_dilation=rhs_dilation)
    w = k4.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]              # correlation with k = PyTorch's with k flipped
    d = (1, 1) if rhs_dilation is None else shapes.pair("rhs_dilation", rhs_dilation)
    y = _compute(x4, w, None, stride=shapes.pair("strides", strides), dilation=d, groups=1, crops=crops)
    return y.transpose(np.argsort(perms[2]))


# -------------------------------------------------------------------------------------------------------- ONNX

def onnx_conv_transpose(X, W, B=None, *, auto_pad="NOTSET", dilations=None, group=1, kernel_shape=None,
                        output_padding=None, output_shape=None, pads=None, strides=None):
    """What ONNX ``ConvTranspose`` (opset 11 and later, as onnxruntime runs it) computes, for 2-D.

    X: (N, C, H, W); W: (C, M / group, kH, kW) (PyTorch's layout); B: (M,) or None. Attributes are lists, as in
    ONNX: strides [sH, sW], pads [top, left, bottom, right] (they remove output pixels), output_shape [H, W]
    (pads then ignored). Sizes and crops: ``shapes.onnx_crops``.

    >>> import numpy as np
    >>> onnx_conv_transpose(np.ones((1, 3, 4, 4)), np.ones((3, 2, 3, 3)), strides=[2, 2], auto_pad="SAME_UPPER").shape
    (1, 2, 8, 8)
    """
    x, w = shapes.as_array("X", X, np), shapes.as_array("W", W, np)
    b = shapes.as_array("B", B, np, optional=True)
    _four_d("X", x, "(N, C, H, W)")
    _four_d("W", w, "(C, M / group, kH, kW)")
    _same_dtype("ONNX ConvTranspose (type T)", x, w, b)
    g = shapes.positive_int("group", group, ' (ONNX: "Attribute group must be > 0")')
    if x.shape[1] % g:
        raise ArgumentError(f"group={g}: must divide the input channels C={x.shape[1]} (ONNX: \"Input channels C "
                            f"must be divisible by group\")")
    if w.shape[0] != x.shape[1]:
        raise ArgumentError(f"W: shape {w.shape} is (C, M / group, kH, kW), so its dim 0 must equal X's channels "
                            f"C={x.shape[1]}, got {w.shape[0]}")
    shapes.check_bias(b, w.shape[1] * g)
    _, crops = shapes.onnx_crops(x.shape[2:], w.shape[2:], auto_pad=auto_pad, dilations=dilations,
                                 kernel_shape=kernel_shape, output_padding=output_padding,
                                 output_shape=output_shape, pads=pads, strides=strides)
    s = (1, 1) if strides is None else tuple(strides)
    d = (1, 1) if dilations is None else tuple(dilations)
    return _compute(x, w, b, stride=s, dilation=d, groups=g, crops=crops)
