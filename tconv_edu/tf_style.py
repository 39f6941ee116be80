"""TensorFlow's entry point: ``conv2d_transpose`` with ``tf.nn.conv2d_transpose``'s signature and checks.

Differences from the PyTorch-style functions, all on purpose (they are what TF users meet):

- ``filters`` is (kH, kW, C_out, C_in); data is NHWC unless ``data_format="NCHW"``;
- ``output_shape`` is required and must convolve back to the input (TF's "Size of out_backprop doesn't match
  computed"): several sizes are valid when the stride is > 1, and the error lists them;
- 'SAME' pads the forward conv with the extra pixel at the bottom/right, so its result can sit one pixel away
  from PyTorch's ``padding=1, output_padding=1``.

>>> import numpy as np
>>> conv2d_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 3)), (1, 8, 8, 2), 2).shape
(1, 8, 8, 2)
"""
from __future__ import annotations

import numpy as np

from . import shapes
from .gemm import transpose

__all__ = ["conv2d_transpose"]


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC", dilations=None):
    """``tf.nn.conv2d_transpose``: input (N, H, W, C_in) [NHWC] or (N, C_in, H, W) [NCHW];
    filters (kH, kW, C_out, C_in); output_shape (N, H_out, W_out, C_out) in data_format order.

    padding: 'SAME', 'VALID' or explicit [[0, 0], [top, bottom], [left, right], [0, 0]] (data_format order).
    Returns the array of ``output_shape``.
    """
    if data_format not in ("NHWC", "NCHW"):
        raise shapes.ArgumentError(f"data_format={data_format!r}: expected 'NHWC' or 'NCHW'")
    x, f = shapes.as_array("input", input, np), shapes.as_array("filters", filters, np)
    if x.ndim != 4:
        raise shapes.ArgumentError(f"input: expected a 4-D {data_format} array, got shape {x.shape}")
    if f.ndim != 4:
        raise shapes.ArgumentError(f"filters: expected (kH, kW, C_out, C_in), got shape {f.shape}")
    s = shapes.tf_pair("strides", strides, data_format)
    d = shapes.tf_pair("dilations", 1 if dilations is None else dilations, data_format)
    pad = shapes.tf_explicit_padding(padding, data_format)
    try:
        shape = [shapes.integer("output_shape", v) for v in np.asarray(output_shape).ravel().tolist()]
    except TypeError:
        raise TypeError(f"output_shape={output_shape!r}: expected 4 ints") from None
    if len(shape) != 4:
        raise shapes.ArgumentError(f"output_shape={output_shape!r}: expected 4 ints in {data_format} order")
    x = x if data_format == "NCHW" else x.transpose(0, 3, 1, 2)
    n_out, c_out, h_out, w_out = shape if data_format == "NCHW" else (shape[0], shape[3], shape[1], shape[2])
    if x.shape[1] != f.shape[3]:
        raise shapes.ArgumentError(f"filters: shape {f.shape} is (kH, kW, C_out, C_in), so its last dim must equal "
                                   f"the input's channels {x.shape[1]}, got {f.shape[3]}")
    if n_out != x.shape[0]:
        raise shapes.ArgumentError(f"output_shape={output_shape!r}: batch {n_out} must equal the input's {x.shape[0]}")
    if c_out != f.shape[2]:
        raise shapes.ArgumentError(f"output_shape={output_shape!r}: channels {c_out} must equal filters' C_out "
                                   f"(dim 2) = {f.shape[2]}")
    pads = shapes.tf_padding((h_out, w_out), x.shape[2:], f.shape[:2], stride=s, padding=pad, dilation=d)
    spec = shapes.make_spec(x, f.transpose(3, 2, 0, 1), None, stride=s, dilation=d, groups=1,
                            crop=(pads[0][0], pads[1][0]), out_size=(h_out, w_out), input_ndim=4)
    y = transpose(spec)
    return y if data_format == "NCHW" else y.transpose(0, 2, 3, 1)
