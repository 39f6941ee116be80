"""Make the 1-D and 3-D golden arrays of PyTorch, TensorFlow, Keras 3, JAX and ONNX that
tests/test_frameworks_nd.py compares against (the tests read them and import no framework).

Regenerate with the frameworks installed (``pip install -e '.[frameworks]'`` and torch)::

    python scripts/make_golden_frameworks_nd.py

The script records the versions it ran with in ``tests/data/golden_frameworks_nd.json``. Every case runs in the
real framework; a case the framework refuses is stored with its error message (``"error"``) and no output. Output,
all seeded and deterministic:

- ``tests/data/golden_frameworks_nd.npz``: ``<name>.x``, ``<name>.w``, ``<name>.b`` (when there is a bias) and
  ``<name>.y`` (float64: torch, TensorFlow and Keras in float64, JAX with x64 enabled); ONNX cases ``<name>.y32``
  from onnxruntime (its CPU ConvTranspose runs float32 only; inputs are float32 values).
- ``tests/data/golden_frameworks_nd.json``: the arguments of every case, and what each framework did.

What the CPU builds cannot do, recorded rather than faked (as in scripts/make_golden_frameworks.py):

- TensorFlow and Keras (TensorFlow backend) with dilations > 1, and the channels-first formats (NCW, NCDHW): the
  CPU kernels refuse them. Those Keras cases ("backend": "jax") come from the same Keras layer on the JAX backend,
  run in a child process. TensorFlow's dilated 1-D entries (``"op": "atrous"``) come from
  ``tf.nn.atrous_conv2d_transpose`` (stride 1, ``rate`` = dilation) on an image one row high with a kernel one row
  high, TF's own dilated transposed convolution, which runs on CPU; the tests feed them to
  ``conv1d_transpose(..., strides=1, dilations=rate)``. Dilated 3-D TF entries are not probed (JAX's rhs_dilation and
  Keras' dilation_rate cover the rule).
- An even kernel with Keras' 'same' and output_padding=0: the TensorFlow backend refuses, the JAX backend computes
  (``"tensorflow_backend": "refused"``); the library follows the TensorFlow backend and refuses.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SEED = 20261207

# name: (x shape (N, C_in, *spatial), weight (C_in, C_out / groups, *kernel), bias, F.conv_transpose{r}d kwargs)
TORCH = {
    "torch1d_vocoder_k16_s8_p4": ((2, 4, 6), (4, 3, 16), True, {"stride": 8, "padding": 4}),
    "torch1d_k3_s2_p1_op1": ((1, 2, 5), (2, 2, 3), False, {"stride": 2, "padding": 1, "output_padding": 1}),
    "torch1d_dilation_groups": ((1, 4, 5), (4, 1, 3), True, {"stride": 2, "dilation": 2, "groups": 2,
                                                             "output_padding": 1}),
    "torch1d_op_below_dilation": ((1, 1, 4), (1, 2, 3), False, {"dilation": 3, "output_padding": 2}),
    "torch3d_unet_k2_s2": ((1, 4, 3, 2, 3), (4, 2, 2, 2, 2), True, {"stride": 2}),
    "torch3d_k3_s2_p1_op1": ((1, 2, 3, 3, 2), (2, 3, 3, 3, 3), True, {"stride": 2, "padding": 1,
                                                                     "output_padding": 1}),
    "torch3d_rect": ((2, 2, 2, 3, 4), (2, 1, 2, 3, 1), False, {"stride": (1, 2, 3), "padding": (0, 1, 0),
                                                               "output_padding": (0, 1, 2), "dilation": (2, 1, 1)}),
    "torch3d_groups": ((1, 4, 2, 2, 2), (4, 1, 3, 2, 2), True, {"stride": (2, 1, 2), "groups": 4}),
}
TORCH_REJECTED = {
    "torch1d_bad_op_eq_stride": ((1, 1, 4), (1, 1, 3), {"stride": 2, "output_padding": 2}),
    "torch3d_bad_padding_crops_all": ((1, 1, 1, 1, 1), (1, 1, 1, 1, 1), {"padding": (1, 0, 0)}),
    "torch1d_bad_groups": ((1, 3, 4), (3, 1, 3), {"groups": 2}),
}

# name: (rank, x shape (data_format), filters (*kernel, C_out, C_in), output spatial size, strides, padding, extra)
TF = {
    "tf1d_same_k3_s2_8": (1, (1, 4, 2), (3, 3, 2), (8,), 2, "SAME", {}),
    "tf1d_same_k3_s2_7": (1, (2, 4, 2), (3, 3, 2), (7,), 2, "SAME", {}),
    "tf1d_valid_k3_s2_10": (1, (1, 4, 2), (3, 2, 2), (10,), 2, "VALID", {}),
    "tf1d_valid_k1_s3": (1, (1, 3, 1), (1, 2, 1), (8,), [3], "VALID", {}),
    "tf1d_same_k16_s8_vocoder": (1, (1, 5, 3), (16, 2, 3), (40,), 8, "SAME", {}),
    "tf1d_strides_list3_row_entry": (1, (1, 4, 2), (3, 2, 2), (8,), [2, 2, 1], "SAME", {}),
    "tf1d_strides_list3_row_stride": (1, (1, 4, 2), (3, 2, 2), (4,), [3, 1, 1], "SAME", {}),
    "tf3d_same_k3_s2": (3, (1, 2, 3, 4, 2), (3, 3, 3, 3, 2), (4, 6, 8), 2, "SAME", {}),
    "tf3d_same_odd": (3, (1, 2, 3, 4, 2), (3, 2, 3, 1, 2), (3, 5, 7), 2, "SAME", {}),
    "tf3d_valid_rect": (3, (2, 2, 2, 3, 1), (2, 3, 1, 2, 1), (3, 7, 3), (1, 3, 1), "VALID", {}),
    "tf3d_valid_unet_k2_s2": (3, (1, 2, 2, 2, 3), (2, 2, 2, 2, 3), (4, 4, 4), [1, 2, 2, 2, 1], "VALID", {}),
}
# dilated 1-D: tf.nn.atrous_conv2d_transpose, one row high; name: (x (N, L, C_in), filters (k, C_out, C_in), L_out,
# rate, padding)
TF_ATROUS_1D = {
    "tf1d_atrous_valid_rate2": ((1, 5, 2), (3, 3, 2), 9, 2, "VALID"),
    "tf1d_atrous_same_rate3_even_kernel": ((2, 5, 1), (4, 2, 1), 5, 3, "SAME"),
}
TF_REJECTED = {
    "tf1d_bad_same_size": (1, (1, 4, 2), (3, 3, 2), (9,), 2, "SAME", {}),
    "tf1d_bad_valid_size": (1, (1, 4, 1), (1, 2, 1), (6,), 2, "VALID", {}),
    "tf1d_bad_explicit_padding": (1, (1, 4, 1), (3, 1, 1), (8,), 2, [[0, 0], [1, 1], [0, 0]], {}),
    "tf1d_bad_lower_case": (1, (1, 4, 1), (3, 1, 1), (8,), 2, "same", {}),
    "tf1d_bad_strides_channel": (1, (1, 4, 1), (3, 1, 1), (8,), [1, 2, 2], "SAME", {}),
    "tf1d_bad_strides_length_2": (1, (1, 4, 1), (3, 1, 1), (8,), [2, 2], "SAME", {}),
    "tf1d_bad_data_format": (1, (1, 4, 1), (3, 1, 1), (8,), 2, "SAME", {"data_format": "NHWC"}),
    "tf1d_bad_channels": (1, (1, 4, 2), (3, 1, 3), (8,), 2, "SAME", {}),
    "tf3d_bad_size": (3, (1, 2, 3, 4, 2), (3, 3, 3, 3, 2), (5, 6, 8), 2, "SAME", {}),
    "tf3d_bad_strides_batch": (3, (1, 2, 2, 2, 1), (2, 2, 2, 1, 1), (4, 4, 4), [2, 2, 2, 2, 1], "SAME", {}),
    "tf3d_bad_strides_length_4": (3, (1, 2, 2, 2, 1), (2, 2, 2, 1, 1), (4, 4, 4), [1, 2, 2, 2], "SAME", {}),
    "tf3d_bad_strides_0": (3, (1, 2, 2, 2, 1), (2, 2, 2, 1, 1), (4, 4, 4), 0, "SAME", {}),
    "tf3d_bad_explicit_padding": (3, (1, 2, 2, 2, 1), (2, 2, 2, 1, 1), (4, 4, 4), 2,
                                  [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], {}),
    "tf3d_bad_out_channels": (3, (1, 2, 2, 2, 1), (2, 2, 2, 2, 1), (4, 4, 4), 2, "SAME", {"c_out": 3}),
}

# name: (rank, x shape, kernel (*kernel, C_out, C_in), bias, Conv{r}DTranspose kwargs)
KERAS = {
    "keras1d_same_k3_s2_none": (1, (1, 4, 2), (3, 3, 2), True, {"strides": 2, "padding": "same"}),
    "keras1d_same_k3_s2_op0": (1, (1, 4, 2), (3, 3, 2), False, {"strides": 2, "padding": "same",
                                                                "output_padding": 0}),
    "keras1d_valid_k4_s3_op2": (1, (2, 3, 1), (4, 2, 1), True, {"strides": 3, "output_padding": 2}),
    "keras1d_valid_k1_s3_none": (1, (1, 3, 2), (1, 2, 2), False, {"strides": (3,), "padding": "valid"}),
    "keras1d_vocoder_k16_s8_same": (1, (1, 5, 3), (16, 2, 3), True, {"strides": 8, "padding": "same"}),
    "keras3d_same_k3_s2": (3, (1, 2, 3, 2, 2), (3, 3, 3, 2, 2), True, {"strides": 2, "padding": "same"}),
    "keras3d_valid_unet_k2_s2": (3, (1, 2, 2, 3, 3), (2, 2, 2, 2, 3), False, {"strides": 2}),
    "keras3d_rect_op": (3, (1, 2, 3, 2, 1), (2, 3, 1, 2, 1), True, {"strides": (2, 3, 1), "padding": "same",
                                                                    "output_padding": (1, 2, 0)}),
    # JAX backend (the TensorFlow CPU kernels refuse these)
    "keras1d_dilation2_same": (1, (1, 5, 2), (3, 2, 2), False, {"padding": "same", "dilation_rate": 2}),
    "keras3d_dilation_valid": (3, (1, 3, 3, 2, 1), (2, 2, 1, 2, 1), True, {"dilation_rate": (2, 1, 3)}),
    "keras1d_channels_first": (1, (1, 2, 4), (3, 3, 2), True, {"strides": 2, "padding": "same",
                                                               "data_format": "channels_first"}),
    "keras3d_channels_first": (3, (1, 2, 2, 3, 2), (2, 3, 2, 1, 2), False, {"strides": 2, "padding": "valid",
                                                                            "data_format": "channels_first"}),
}
KERAS_JAX_ONLY = {
    "keras1d_jaxbackend_even_kernel_same_op0": (1, (1, 4, 1), (4, 2, 1), False,
                                                {"strides": 2, "padding": "same", "output_padding": 0}),
}
KERAS_REJECTED = {
    "keras1d_bad_stride_and_dilation": (1, (1, 4, 1), (3, 1, 1), {"strides": 2, "dilation_rate": 2}),
    "keras3d_bad_stride_and_dilation_other_axes": (3, (1, 3, 3, 3, 1), (2, 2, 2, 1, 1),
                                                   {"strides": (2, 1, 1), "dilation_rate": (1, 1, 2)}),
    "keras1d_bad_op_eq_stride": (1, (1, 4, 1), (3, 1, 1), {"strides": 2, "output_padding": 2}),
    "keras3d_bad_op_with_stride1": (3, (1, 2, 2, 2, 1), (2, 2, 2, 1, 1), {"strides": (2, 2, 1),
                                                                          "output_padding": (1, 1, 1)}),
    "keras1d_bad_op_below_dilation": (1, (1, 4, 1), (3, 1, 1), {"dilation_rate": 2, "output_padding": 1}),
    "keras1d_bad_strides_pair": (1, (1, 4, 1), (3, 1, 1), {"strides": (2, 2)}),
    "keras3d_bad_strides_pair": (3, (1, 2, 2, 2, 1), (2, 2, 2, 1, 1), {"strides": (2, 2)}),
    "keras1d_bad_padding_causal": (1, (1, 4, 1), (3, 1, 1), {"padding": "causal"}),
    "keras1d_bad_strides_0": (1, (1, 4, 1), (3, 1, 1), {"strides": 0}),
    "keras1d_bad_even_kernel_same_op0": (1, (1, 4, 1), (4, 1, 1), {"strides": 2, "padding": "same",
                                                                   "output_padding": 0}),
    "keras3d_bad_even_kernel_same_op0": (3, (1, 2, 2, 2, 1), (2, 2, 2, 1, 1), {"strides": 2, "padding": "same",
                                                                               "output_padding": 0}),
    "keras3d_bad_channels": (3, (1, 2, 2, 2, 2), (2, 2, 2, 1, 3), {}),
}

# name: (x shape, rhs shape, strides, padding, extra); default dimension numbers per rank
JAX = {
    "jax1d_same_k3_s2": ((1, 4, 2), (3, 2, 3), (2,), "SAME", {}),
    "jax1d_valid_k2_s3": ((2, 3, 1), (2, 1, 2), (3,), "VALID", {}),
    "jax1d_explicit_negative": ((1, 5, 2), (3, 2, 1), (2,), ((-1, 2),), {}),
    "jax1d_dilation_same": ((1, 4, 1), (3, 1, 2), (1,), "SAME", {"rhs_dilation": (2,)}),
    "jax1d_transpose_kernel": ((1, 4, 2), (4, 3, 2), (2,), "SAME", {"transpose_kernel": True}),
    "jax1d_nch": ((1, 2, 4), (3, 2, 3), (2,), "VALID", {"dimension_numbers": ("NCH", "OIH", "NCH")}),
    "jax3d_same_k3_s2": ((1, 2, 3, 2, 2), (3, 3, 3, 2, 2), (2, 2, 2), "SAME", {}),
    "jax3d_valid_rect": ((1, 2, 2, 3, 1), (2, 3, 1, 1, 2), (2, 1, 3), "VALID", {}),
    "jax3d_explicit": ((1, 2, 3, 2, 2), (2, 2, 3, 2, 1), (1, 2, 2), ((1, 0), (0, 2), (2, -1)), {}),
    "jax3d_dilation_transpose_kernel": ((1, 3, 2, 3, 2), (2, 2, 2, 1, 2), (1, 2, 1), "SAME",
                                        {"rhs_dilation": (2, 1, 2), "transpose_kernel": True}),
    "jax3d_ncdhw": ((1, 2, 2, 3, 2), (3, 2, 2, 2, 3), (2, 2, 2), "SAME",
                    {"dimension_numbers": ("NCDHW", "OIDHW", "NCDHW")}),
}
JAX_REJECTED = {
    "jax1d_bad_strides_int": ((1, 4, 1), (3, 1, 1), 2, "SAME", {}),
    "jax1d_bad_two_strides": ((1, 4, 1), (3, 1, 1), (2, 2), "SAME", {}),
    "jax1d_bad_lower_case": ((1, 4, 1), (3, 1, 1), (2,), "same", {}),
    "jax3d_bad_two_pad_pairs": ((1, 2, 2, 2, 1), (2, 2, 2, 1, 1), (2, 2, 2), ((1, 1), (1, 1)), {}),
    "jax3d_bad_channels": ((1, 2, 2, 2, 2), (2, 2, 2, 3, 1), (2, 2, 2), "SAME", {}),
    "jax3d_bad_dimension_numbers_2d": ((1, 2, 2, 2, 1), (2, 2, 2, 1, 1), (2, 2, 2), "SAME",
                                       {"dimension_numbers": ("NHWC", "HWIO", "NHWC")}),
}

# name: (X shape (N, C, *spatial), W shape (C, M / group, *kernel), bias, attributes)
ONNX = {
    "onnx1d_defaults": ((1, 2, 4), (2, 3, 3), True, {}),
    "onnx1d_same_upper_k3_s2": ((1, 2, 4), (2, 2, 3), False, {"strides": [2], "auto_pad": "SAME_UPPER"}),
    "onnx1d_same_lower_k3_s2": ((1, 2, 4), (2, 2, 3), False, {"strides": [2], "auto_pad": "SAME_LOWER"}),
    "onnx1d_valid_op1": ((1, 1, 3), (1, 2, 3), True, {"strides": [2], "auto_pad": "VALID", "output_padding": [1]}),
    "onnx1d_pads": ((2, 2, 4), (2, 1, 4), False, {"strides": [3], "pads": [1, 2]}),
    "onnx1d_output_shape": ((1, 1, 4), (1, 2, 3), False, {"strides": [2], "output_shape": [8]}),
    "onnx1d_output_shape_beyond_full": ((1, 1, 4), (1, 1, 3), True, {"strides": [2], "output_shape": [10]}),
    "onnx1d_group_dilation": ((1, 4, 3), (4, 1, 3), True, {"group": 2, "dilations": [2], "strides": [2],
                                                            "kernel_shape": [3]}),
    "onnx3d_same_upper_k3_s2": ((1, 2, 2, 3, 2), (2, 3, 3, 3, 3), False, {"strides": [2, 2, 2],
                                                                          "auto_pad": "SAME_UPPER"}),
    "onnx3d_same_lower_op": ((1, 1, 2, 2, 3), (1, 2, 3, 2, 3), False,
                             {"strides": [2, 2, 2], "auto_pad": "SAME_LOWER", "output_padding": [1, 0, 1]}),
    "onnx3d_pads_dilation_op": ((1, 2, 2, 3, 2), (2, 1, 2, 3, 2), True,
                                {"strides": [2, 1, 3], "dilations": [2, 2, 1], "pads": [1, 0, 2, 0, 2, 1],
                                 "output_padding": [1, 0, 2]}),
    "onnx3d_output_shape": ((1, 1, 2, 3, 2), (1, 1, 3, 3, 2), False, {"strides": [2, 2, 2],
                                                                      "output_shape": [4, 5, 4]}),
    "onnx3d_group2_bias": ((1, 4, 2, 2, 2), (4, 3, 2, 2, 2), True, {"strides": [2, 2, 2], "group": 2}),
    "onnx3d_unet_valid": ((1, 3, 2, 3, 2), (3, 2, 2, 2, 2), True, {"strides": [2, 2, 2], "auto_pad": "VALID"}),
}
ONNX_REJECTED = {
    "onnx1d_bad_op_eq_stride": ((1, 1, 4), (1, 1, 3), {"strides": [2], "output_padding": [2]}),
    "onnx1d_bad_op_below_dilation": ((1, 1, 4), (1, 1, 3), {"dilations": [2], "output_padding": [1]}),
    "onnx1d_bad_strides_two_values": ((1, 1, 4), (1, 1, 3), {"strides": [2, 2]}),
    "onnx1d_bad_pads_four_values": ((1, 1, 4), (1, 1, 3), {"pads": [1, 1, 1, 1]}),
    "onnx1d_bad_output_shape_too_big": ((1, 1, 4), (1, 1, 3), {"strides": [2], "output_shape": [11]}),
    "onnx1d_bad_output_shape_with_batch": ((1, 1, 4), (1, 1, 3), {"strides": [2], "output_shape": [1, 1, 8]}),
    "onnx3d_bad_pads_too_big": ((1, 1, 2, 3, 4), (1, 1, 2, 3, 3), {"pads": [2, 0, 0, 2, 0, 0]}),
    "onnx3d_bad_kernel_shape": ((1, 1, 2, 3, 4), (1, 1, 2, 3, 3), {"kernel_shape": [2, 3]}),
    "onnx3d_bad_group": ((1, 3, 2, 2, 2), (3, 1, 2, 2, 2), {"group": 2}),
    "onnx3d_bad_op_below_dilation": ((1, 1, 2, 3, 4), (1, 1, 2, 3, 3), {"dilations": [2, 1, 1],
                                                                         "output_padding": [1, 0, 0]}),
    "onnx3d_bad_pads_with_auto_pad": ((1, 1, 2, 2, 2), (1, 1, 2, 2, 2), {"pads": [1] * 6,
                                                                         "auto_pad": "SAME_UPPER"}),
}


def _jsonable(v):
    if isinstance(v, (tuple, list)):
        return [_jsonable(i) for i in v]
    return v


def _msg(err):
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:400]}"


def _u(rng, shape, dtype=np.float64):
    return rng.uniform(-1, 1, shape).astype(np.float32).astype(dtype)


def torch_entries(rng):
    import torch
    import torch.nn.functional as F

    arrays, index = {}, []
    for name, (xs, ws, has_bias, params) in TORCH.items():
        x, w = _u(rng, xs), _u(rng, ws)
        b = _u(rng, ws[1] * params.get("groups", 1)) if has_bias else None
        conv = getattr(F, f"conv_transpose{len(xs) - 2}d")
        y = conv(torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                 **params).numpy()
        arrays |= {f"{name}.x": x, f"{name}.w": w, f"{name}.y": y} | ({} if b is None else {f"{name}.b": b})
        index.append({"name": name, "framework": "torch", "bias": has_bias,
                      "params": {k: _jsonable(v) for k, v in params.items()}, "y_shape": list(y.shape)})
    for name, (xs, ws, params) in TORCH_REJECTED.items():
        conv = getattr(F, f"conv_transpose{len(xs) - 2}d")
        try:
            conv(torch.ones(xs, dtype=torch.float64), torch.ones(ws, dtype=torch.float64), **params)
        except Exception as err:
            index.append({"name": name, "framework": "torch", "x_shape": list(xs), "w_shape": list(ws),
                          "params": {k: _jsonable(v) for k, v in params.items()}, "error": _msg(err)})
        else:
            sys.exit(f"{name}: torch accepted it; the grid is wrong")
    return arrays, index, torch.__version__


def tf_entries(rng):
    import tensorflow as tf

    arrays, index = {}, []
    for name, (rank, xs, fs, out, strides, padding, extra), accepted in (
            [(n, c, True) for n, c in TF.items()] + [(n, c, False) for n, c in TF_REJECTED.items()]):
        x, f = _u(rng, xs), _u(rng, fs)
        extra = dict(extra)
        c_out = extra.pop("c_out", fs[-2])
        shape = [xs[0], *out, c_out]
        fn = getattr(tf.nn, f"conv{rank}d_transpose")
        entry = {"name": name, "framework": "tf", "rank": rank, "x_shape": list(xs), "f_shape": list(fs),
                 "output_shape": shape, "strides": _jsonable(strides), "padding": _jsonable(padding),
                 "extra": extra}
        try:
            y = fn(x, f, shape, strides, padding, **extra).numpy()
        except Exception as err:
            if accepted:
                sys.exit(f"{name}: TensorFlow refused it: {_msg(err)}")
            entry["error"] = _msg(err)
        else:
            if not accepted:
                sys.exit(f"{name}: TensorFlow accepted it; the grid is wrong")
            arrays |= {f"{name}.x": x, f"{name}.w": f, f"{name}.y": y}
            entry["y_shape"] = list(y.shape)
        index.append(entry)
    for name, (xs, fs, length, rate, padding) in TF_ATROUS_1D.items():
        x, f = _u(rng, xs), _u(rng, fs)
        shape = [xs[0], length, fs[1]]
        y = tf.nn.atrous_conv2d_transpose(x[:, None], f[None], [xs[0], 1, length, fs[1]], rate, padding).numpy()[:, 0]
        arrays |= {f"{name}.x": x, f"{name}.w": f, f"{name}.y": y}
        index.append({"name": name, "framework": "tf", "op": "atrous", "rank": 1, "x_shape": list(xs),
                      "f_shape": list(fs), "output_shape": shape, "strides": 1, "padding": padding,
                      "extra": {"dilations": rate}, "y_shape": list(y.shape)})
    return arrays, index, tf.__version__


def _keras_layer(keras, rank, ks, has_bias, params):
    cls = getattr(keras.layers, f"Conv{rank}DTranspose")
    return cls(ks[-2], ks[:rank], use_bias=has_bias, dtype="float64", **params)


def keras_entries(rng, backend):
    """Run every Keras case on ``backend`` ('tensorflow' here, 'jax' in the child process)."""
    import keras

    arrays, index = {}, []
    for name, (rank, xs, ks, has_bias, params) in KERAS.items():
        x, k = _u(rng, xs), _u(rng, ks)
        b = _u(rng, ks[-2]) if has_bias else None
        wants_jax = "dilation_rate" in params or params.get("data_format") == "channels_first"
        if wants_jax != (backend == "jax"):
            continue
        layer = _keras_layer(keras, rank, ks, has_bias, params)
        layer.build(xs)
        layer.set_weights([k] if b is None else [k, b])
        y = np.asarray(layer(x))
        arrays |= {f"{name}.x": x, f"{name}.w": k, f"{name}.y": y} | ({} if b is None else {f"{name}.b": b})
        index.append({"name": name, "framework": "keras", "backend": backend, "rank": rank, "bias": has_bias,
                      "params": {p: _jsonable(v) for p, v in params.items()}, "y_shape": list(y.shape)})
    if backend == "jax":
        for name, (rank, xs, ks, has_bias, params) in KERAS_JAX_ONLY.items():
            x, k = _u(rng, xs), _u(rng, ks)
            layer = _keras_layer(keras, rank, ks, False, params)
            layer.build(xs)
            layer.set_weights([k])
            y = np.asarray(layer(x))
            arrays |= {f"{name}.x": x, f"{name}.w": k, f"{name}.y": y}
            index.append({"name": name, "framework": "keras", "backend": backend, "rank": rank, "bias": False,
                          "params": {p: _jsonable(v) for p, v in params.items()}, "y_shape": list(y.shape),
                          "tensorflow_backend": "refused"})
    if backend == "tensorflow":
        for name, (rank, xs, ks, params) in KERAS_REJECTED.items():
            try:
                layer = _keras_layer(keras, rank, ks, False, params)
                layer.build(xs)
                layer.set_weights([np.ones(ks)])
                layer(np.ones(xs))
            except Exception as err:
                index.append({"name": name, "framework": "keras", "backend": backend, "rank": rank,
                              "x_shape": list(xs), "w_shape": list(ks),
                              "params": {p: _jsonable(v) for p, v in params.items()}, "error": _msg(err)})
            else:
                sys.exit(f"{name}: Keras accepted it; the grid is wrong")
    return arrays, index


def keras_jax_child():
    """Child process: the Keras cases that need the JAX backend, written to the file named in argv."""
    os.environ["KERAS_BACKEND"] = "jax"
    import jax

    jax.config.update("jax_enable_x64", True)
    arrays, index = keras_entries(np.random.default_rng(SEED + 10), "jax")
    np.savez(sys.argv[2], **arrays)
    Path(sys.argv[2] + ".json").write_text(json.dumps(index))


def jax_entries(rng):
    import jax

    jax.config.update("jax_enable_x64", True)
    from jax import lax

    arrays, index = {}, []
    for name, (xs, ks, strides, padding, extra) in JAX.items():
        x, k = _u(rng, xs), _u(rng, ks)
        y = np.asarray(lax.conv_transpose(x, k, strides, padding, **extra))
        assert y.dtype == np.float64
        arrays |= {f"{name}.x": x, f"{name}.w": k, f"{name}.y": y}
        index.append({"name": name, "framework": "jax", "strides": list(strides), "padding": _jsonable(padding),
                      "extra": {p: _jsonable(v) for p, v in extra.items()}, "y_shape": list(y.shape)})
    for name, (xs, ks, strides, padding, extra) in JAX_REJECTED.items():
        try:
            lax.conv_transpose(np.ones(xs), np.ones(ks), strides, padding, **extra)
        except Exception as err:
            index.append({"name": name, "framework": "jax", "x_shape": list(xs), "w_shape": list(ks),
                          "strides": _jsonable(strides), "padding": _jsonable(padding),
                          "extra": {p: _jsonable(v) for p, v in extra.items()}, "error": _msg(err)})
        else:
            sys.exit(f"{name}: JAX accepted it; the grid is wrong")
    return arrays, index, jax.__version__


def _onnx_model(x_shape, w_shape, has_bias, attrs, opset=17):
    from onnx import TensorProto, helper

    t = TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("X", t, x_shape), helper.make_tensor_value_info("W", t, w_shape)]
    names = ["X", "W"]
    if has_bias:
        inputs.append(helper.make_tensor_value_info("B", t, [w_shape[1] * attrs.get("group", 1)]))
        names.append("B")
    node = helper.make_node("ConvTranspose", names, ["Y"], **attrs)
    graph = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info("Y", t, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def onnx_entries(rng):
    import onnx
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4
    arrays, index = {}, []
    grid = [(n, c, True) for n, c in ONNX.items()] + [(n, (c[0], c[1], False, c[2]), False)
                                                        for n, c in ONNX_REJECTED.items()]
    for name, (xs, ws, has_bias, attrs), accepted in grid:
        x, w = _u(rng, xs), _u(rng, ws)
        b = _u(rng, ws[1] * attrs.get("group", 1)) if has_bias else None
        feeds = {"X": x, "W": w} | ({} if b is None else {"B": b})
        entry = {"name": name, "framework": "onnx", "x_shape": list(xs), "w_shape": list(ws), "bias": has_bias,
                 "attrs": attrs}
        try:
            model = _onnx_model(xs, ws, has_bias, attrs)
            session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
            y = session.run(None, {k: v.astype(np.float32) for k, v in feeds.items()})[0]
        except Exception as err:
            if accepted:
                sys.exit(f"{name}: onnxruntime refused it: {_msg(err)}")
            entry["error"] = _msg(err)
        else:
            if not accepted:
                sys.exit(f"{name}: onnxruntime accepted it; the grid is wrong")
            arrays |= {f"{name}.x": x, f"{name}.w": w, f"{name}.y32": y} | ({} if b is None else {f"{name}.b": b})
            entry["y_shape"] = list(y.shape)
        index.append(entry)
    return arrays, index, onnx.__version__, ort.__version__


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--keras-jax":
        keras_jax_child()
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras

    DATA.mkdir(exist_ok=True)
    arrays = {}
    t_arrays, t_index, torch_version = torch_entries(np.random.default_rng(SEED))
    f_arrays, f_index, tf_version = tf_entries(np.random.default_rng(SEED + 1))
    k_arrays, k_index = keras_entries(np.random.default_rng(SEED + 2), "tensorflow")
    child = DATA / "_keras_jax_nd.npz"
    subprocess.run([sys.executable, __file__, "--keras-jax", str(child)], check=True,
                   env={**os.environ, "KERAS_BACKEND": "jax"})
    with np.load(child) as loaded:
        k_arrays.update({k: loaded[k] for k in loaded.files})
    k_index += json.loads(Path(str(child) + ".json").read_text())
    child.unlink()
    Path(str(child) + ".json").unlink()
    j_arrays, j_index, jax_version = jax_entries(np.random.default_rng(SEED + 3))
    o_arrays, o_index, onnx_version, ort_version = onnx_entries(np.random.default_rng(SEED + 4))
    for part in (t_arrays, f_arrays, k_arrays, j_arrays, o_arrays):
        arrays.update(part)
    for k, v in arrays.items():
        assert v.dtype == (np.float32 if k.endswith(".y32") else np.float64), (k, v.dtype)
    np.savez_compressed(DATA / "golden_frameworks_nd.npz", **arrays)
    import jaxlib

    index = {"made_by": "scripts/make_golden_frameworks_nd.py", "seed": SEED,
             "versions": {"torch": torch_version, "tensorflow": tf_version, "keras": keras.__version__,
                          "jax": jax_version, "jaxlib": jaxlib.__version__, "onnx": onnx_version,
                          "onnxruntime": ort_version, "numpy": np.__version__, "onnx_opset": 17},
             "torch": t_index, "tf": f_index, "keras": k_index, "jax": j_index, "onnx": o_index}
    (DATA / "golden_frameworks_nd.json").write_text(json.dumps(index, indent=1) + "\n")
    size = (DATA / "golden_frameworks_nd.npz").stat().st_size
    print(", ".join(f"{len(index[f])} {f}" for f in ("torch", "tf", "keras", "jax", "onnx")) + f"; {size} bytes")


if __name__ == "__main__":
    main()
