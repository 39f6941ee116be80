"""Every framework's transposed conv, exactly: one module each, one object each, and a registry.

Each module (``torch``, ``tf``, ``keras``, ``jax``, ``onnx``) holds all of its framework's knowledge: its rules in
the vocabulary of crops (the full scatter output, cropped), its refusals with its own error text, its layouts, the
weight conversion to and from PyTorch's layout, its entry point (computed through the default form), and how a
layer of it is ported (``tconv_edu.port`` loops over ``FRAMEWORKS`` and never names one).

========================  ==============================  ============================  ===========================
function                  data                            kernel                        padding
========================  ==============================  ============================  ===========================
conv2d_transpose (tf)     (N, H, W, C_in) 'NHWC'          (kH, kW, C_out, C_in)         'SAME', 'VALID', pairs
keras_conv2d_transpose    (N, H, W, C_in) channels_last   (kH, kW, C_out, C_in)         'valid' / 'same'
jax_conv_transpose        (N, H, W, C_in) 'NHWC'          (kH, kW, C_in, C_out) 'HWIO'  'SAME', 'VALID', (lo, hi)
onnx_conv_transpose       (N, C, H, W)                    (C, M / group, kH, kW)        auto_pad, pads, output_shape
========================  ==============================  ============================  ===========================

In 1-D and 3-D the same, with one or three spatial axes: ``conv1d_transpose``/``conv3d_transpose`` (tf.nn's: NWC /
NDHWC, filters (k, C_out, C_in) / (kD, kH, kW, C_out, C_in), 'SAME' or 'VALID' only), ``keras_conv1d_transpose``/
``keras_conv3d_transpose``, and ``jax_conv_transpose`` and ``onnx_conv_transpose`` in the rank of their arrays
(``WEIGHT_LAYOUTS_ND``). ``tconv_edu.port`` moves 1-D and 3-D layers too.

The traps, each shown by a test: Keras' ``output_padding=None`` and ``0`` give different sizes; JAX does not flip
the kernel unless ``transpose_kernel=True``; ONNX's 'SAME_UPPER' crops the odd pixel at the end, 'SAME_LOWER' (and
``output_shape`` alone) at the start; TensorFlow's 'SAME' sits one pixel from PyTorch's ``padding=1,
output_padding=1``.

>>> sorted(FRAMEWORKS)
['jax', 'keras', 'onnx', 'tf', 'torch']
>>> FRAMEWORKS["onnx"].weight
'(C, M / group, kH, kW)'
"""
from __future__ import annotations

from . import jax, keras, onnx, tf, torch
from ._base import NO_RESIDUAL, Framework, LayerCrops, Target, crop, dilated
from .jax import JAX_DEFAULT_DIMENSION_NUMBERS, jax_conv_transpose, jax_layout
from .keras import keras_conv1d_transpose, keras_conv2d_transpose, keras_conv3d_transpose, keras_output_size
from .onnx import onnx_conv_transpose
from .tf import conv1d_transpose, conv2d_transpose, conv3d_transpose

__all__ = ["FRAMEWORKS", "Framework", "LayerCrops", "Target", "NO_RESIDUAL", "WEIGHT_LAYOUTS", "WEIGHT_LAYOUTS_ND",
           "crop", "dilated", "keras_conv1d_transpose", "keras_conv2d_transpose", "keras_conv3d_transpose",
           "jax_conv_transpose", "onnx_conv_transpose", "conv1d_transpose", "conv2d_transpose", "conv3d_transpose",
           "keras_output_size", "JAX_DEFAULT_DIMENSION_NUMBERS", "jax_layout", "torch", "tf", "keras", "jax",
           "onnx"]

#: name -> the framework's object, in the order the course presents them
FRAMEWORKS: dict[str, Framework] = {m.FRAMEWORK.name: m.FRAMEWORK for m in (torch, tf, keras, jax, onnx)}

#: layer -> weight shape, for a transposed conv from C_in to C_out channels (and the forward convs beside them)
WEIGHT_LAYOUTS = {**{row: layout for f in FRAMEWORKS.values() for row, layout in f.layouts.items()},
                  "tconv_edu.conv_transpose2d": "(C_in, C_out / groups, kH, kW)  (PyTorch's)",
                  "tconv_edu.conv2d_transpose": "(kH, kW, C_out, C_in)  (TensorFlow's)"}

#: layer -> (its weight shape in 1-D, in 3-D): the same axes as in 2-D, with one or three kernel axes
WEIGHT_LAYOUTS_ND = {row: layout for f in FRAMEWORKS.values() for row, layout in f.layouts_nd.items()}
