"""Make the golden arrays of Keras 3, JAX and ONNX that tests/test_frameworks.py compares against.

Regenerate in a separate environment (the tests themselves need numpy only)::

    python -m venv /tmp/goldvenv && /tmp/goldvenv/bin/pip install tensorflow-cpu "jax[cpu]" onnx onnxruntime
    /tmp/goldvenv/bin/python scripts/make_golden_frameworks.py

The script records the versions it ran with in ``tests/data/golden_frameworks.json``. Every case runs in the real
framework; a case the framework refuses is stored with its error message (``"error"``) and no output. Output, all
seeded and deterministic:

- ``tests/data/golden_frameworks.npz``: ``<name>.x``, ``<name>.w``, ``<name>.b`` (when there is a bias) and
  ``<name>.y`` (float64: Keras with ``dtype="float64"``, JAX with x64 enabled, the onnx reference evaluator);
  ONNX cases also ``<name>.y32``, from onnxruntime, whose CPU ConvTranspose runs float32 only (inputs are float32
  values, so both read the same numbers).
- ``tests/data/golden_frameworks.json``: the arguments of every case, and per case what each runtime did.

What the CPU builds cannot do, recorded rather than faked:

- Keras (TensorFlow backend) with ``dilation_rate > 1``: TensorFlow's CPU kernel refuses ("Current CPU
  implementations do not yet support dilation rates larger than 1"); those cases ("backend": "jax") come from the
  same Keras layer on the JAX backend, run in a child process (``KERAS_BACKEND=jax``).
- Keras ``data_format="channels_first"``: the TensorFlow CPU kernel is NHWC only; those cases come from the JAX
  backend too.
- The two Keras backends part where Keras' size rule asks for a size TensorFlow's 'SAME' refuses (an even kernel
  with ``output_padding=0``): the TensorFlow backend raises, the JAX backend computes it
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
SEED = 20261201

# name: (x shape, kernel (kH, kW, C_out, C_in), bias, params); x NHWC unless data_format says otherwise
KERAS = {
    "keras_same_k3_s2_none": ((1, 4, 4, 2), (3, 3, 2, 2), False, {"strides": 2, "padding": "same"}),
    "keras_same_k3_s2_op0": ((1, 4, 4, 2), (3, 3, 2, 2), False,
                             {"strides": 2, "padding": "same", "output_padding": 0}),
    "keras_same_k3_s2_op1": ((1, 4, 4, 2), (3, 3, 2, 2), True,
                             {"strides": 2, "padding": "same", "output_padding": 1}),
    "keras_valid_k3_s2_none": ((2, 3, 4, 2), (3, 3, 3, 2), True, {"strides": 2, "padding": "valid"}),
    "keras_valid_k3_s2_op1": ((1, 3, 3, 1), (3, 3, 2, 1), False,
                              {"strides": 2, "padding": "valid", "output_padding": 1}),
    "keras_same_k4_s2_none": ((1, 4, 4, 2), (4, 4, 2, 2), True, {"strides": 2, "padding": "same"}),
    "keras_same_k4_s2_op1": ((1, 4, 5, 2), (4, 4, 1, 2), False,
                             {"strides": 2, "padding": "same", "output_padding": 1}),
    "keras_valid_k1_s3_none": ((1, 3, 3, 2), (1, 1, 2, 2), True, {"strides": 3, "padding": "valid"}),
    "keras_same_k1_s3_none": ((1, 3, 2, 1), (1, 1, 2, 1), False, {"strides": 3, "padding": "same"}),
    "keras_same_k3_s3_op0": ((1, 3, 3, 1), (3, 3, 1, 1), False,
                             {"strides": 3, "padding": "same", "output_padding": 0}),
    "keras_same_k1_s3_op2": ((1, 2, 3, 1), (1, 1, 2, 1), True,
                             {"strides": 3, "padding": "same", "output_padding": 2}),
    "keras_same_k5_s2_op0": ((1, 3, 3, 1), (5, 5, 2, 1), False,
                             {"strides": 2, "padding": "same", "output_padding": 0}),
    "keras_same_rect": ((1, 3, 4, 2), (2, 5, 2, 2), True,
                        {"strides": (2, 3), "padding": "same", "output_padding": (1, 2)}),
    "keras_valid_rect": ((1, 4, 3, 1), (3, 2, 2, 1), False,
                         {"strides": (3, 2), "padding": "valid", "output_padding": (2, 0)}),
    "keras_same_upper_case": ((1, 3, 3, 1), (3, 3, 1, 1), False, {"strides": 2, "padding": "SAME"}),
    "keras_s1_same": ((1, 5, 4, 2), (3, 2, 2, 2), True, {"padding": "same"}),
    "keras_s1_valid": ((1, 5, 4, 2), (3, 2, 2, 2), False, {}),
    "keras_batch3_odd": ((3, 5, 3, 1), (3, 3, 2, 1), True, {"strides": 2, "padding": "same"}),
    # JAX backend (the TensorFlow CPU kernel refuses these)
    "keras_dilation2_same": ((1, 5, 5, 2), (3, 3, 2, 2), False, {"padding": "same", "dilation_rate": 2}),
    "keras_dilation2_same_op0": ((1, 5, 5, 2), (3, 2, 2, 2), False,
                                 {"padding": "same", "dilation_rate": 2, "output_padding": 0}),
    "keras_dilation_pair_valid": ((1, 4, 5, 1), (3, 2, 2, 1), True, {"padding": "valid", "dilation_rate": (2, 3)}),
    "keras_channels_first": ((1, 2, 4, 4), (3, 3, 3, 2), True,
                             {"strides": 2, "padding": "same", "data_format": "channels_first"}),
}
# cases the TensorFlow backend refuses but the JAX backend computes (run on the JAX backend only)
KERAS_JAX_ONLY = {
    "keras_jaxbackend_even_kernel_same_op0": ((1, 4, 4, 1), (4, 4, 2, 1), False,
                                              {"strides": 2, "padding": "same", "output_padding": 0}),
}
KERAS_REJECTED = {
    "keras_bad_op_eq_stride": ((1, 4, 4, 1), (3, 3, 1, 1), {"strides": 2, "output_padding": 2}),
    "keras_bad_op_with_stride1": ((1, 4, 4, 1), (3, 3, 1, 1), {"strides": 1, "output_padding": 1}),
    "keras_bad_op_below_dilation": ((1, 4, 4, 1), (3, 3, 1, 1), {"dilation_rate": 2, "output_padding": 1}),
    "keras_bad_stride_and_dilation": ((1, 4, 4, 1), (3, 3, 1, 1), {"strides": 2, "dilation_rate": 2}),
    "keras_bad_stride_and_dilation_other_axes": ((1, 4, 4, 1), (3, 3, 1, 1),
                                                 {"strides": (2, 1), "dilation_rate": (1, 2)}),
    "keras_bad_even_kernel_same_op0": ((1, 4, 4, 1), (4, 4, 1, 1),
                                       {"strides": 2, "padding": "same", "output_padding": 0}),
    "keras_bad_padding_full": ((1, 4, 4, 1), (3, 3, 1, 1), {"padding": "full"}),
    "keras_bad_strides_0": ((1, 4, 4, 1), (3, 3, 1, 1), {"strides": 0}),
    "keras_bad_op_negative": ((1, 4, 4, 1), (3, 3, 1, 1), {"strides": 2, "output_padding": -1}),
    "keras_bad_channels": ((1, 4, 4, 2), (3, 3, 1, 3), {}),
}

# name: (x shape, rhs shape, strides, padding, extra kwargs); default layouts NHWC / HWIO
JAX = {
    "jax_same_k3_s2": ((1, 4, 4, 2), (3, 3, 2, 3), (2, 2), "SAME", {}),
    "jax_valid_k3_s2": ((2, 3, 4, 2), (3, 3, 2, 2), (2, 2), "VALID", {}),
    "jax_same_k4_s2": ((1, 4, 4, 1), (4, 4, 1, 2), (2, 2), "SAME", {}),
    "jax_same_k1_s3": ((1, 3, 2, 2), (1, 1, 2, 1), (3, 3), "SAME", {}),
    "jax_valid_k1_s3": ((1, 3, 2, 2), (1, 1, 2, 1), (3, 3), "VALID", {}),
    "jax_valid_k2_s3": ((1, 2, 3, 1), (2, 2, 1, 2), (3, 3), "VALID", {}),
    "jax_same_rect": ((1, 3, 4, 2), (2, 5, 2, 2), (2, 3), "SAME", {}),
    "jax_explicit": ((1, 4, 4, 2), (3, 3, 2, 2), (2, 2), ((1, 2), (0, 1)), {}),
    "jax_explicit_negative": ((1, 4, 5, 1), (3, 3, 1, 2), (2, 1), ((-1, 0), (2, -1)), {}),
    "jax_explicit_beyond_kernel": ((1, 3, 3, 1), (3, 2, 1, 1), (2, 2), ((4, 3), (3, 4)), {}),
    "jax_dilation_same": ((1, 4, 3, 2), (3, 2, 2, 2), (2, 3), "SAME", {"rhs_dilation": (2, 1)}),
    "jax_dilation_valid": ((1, 3, 4, 1), (2, 3, 1, 2), (1, 2), "VALID", {"rhs_dilation": (3, 2)}),
    "jax_transpose_kernel_same": ((1, 4, 4, 3), (3, 3, 2, 3), (2, 2), "SAME", {"transpose_kernel": True}),
    "jax_transpose_kernel_valid_rect": ((2, 3, 3, 2), (2, 3, 3, 2), (2, 1), "VALID", {"transpose_kernel": True}),
    "jax_transpose_kernel_explicit": ((1, 3, 4, 2), (3, 3, 1, 2), (2, 2), ((2, 1), (1, 2)),
                                      {"transpose_kernel": True}),
    "jax_nchw_oihw": ((1, 2, 4, 3), (3, 2, 3, 3), (2, 2), "SAME", {"dimension_numbers": ("NCHW", "OIHW", "NCHW")}),
    "jax_nhwc_in_nchw_out": ((1, 4, 3, 2), (3, 2, 2, 2), (2, 3), "VALID",
                             {"dimension_numbers": ("NHWC", "HWIO", "NCHW")}),
    "jax_s1_same": ((1, 5, 4, 2), (3, 2, 2, 2), (1, 1), "SAME", {}),
}
JAX_REJECTED = {
    "jax_bad_lower_case_same": ((1, 4, 4, 1), (3, 3, 1, 1), (2, 2), "same", {}),
    "jax_bad_full": ((1, 4, 4, 1), (3, 3, 1, 1), (2, 2), "FULL", {}),
    "jax_bad_strides_0": ((1, 4, 4, 1), (3, 3, 1, 1), (0, 2), "SAME", {}),
    "jax_bad_strides_int": ((1, 4, 4, 1), (3, 3, 1, 1), 2, "SAME", {}),
    "jax_bad_one_pad_pair": ((1, 4, 4, 1), (3, 3, 1, 1), (2, 2), ((1, 1),), {}),
    "jax_bad_dilation_0": ((1, 4, 4, 1), (3, 3, 1, 1), (2, 2), "SAME", {"rhs_dilation": (0, 1)}),
    "jax_bad_channels": ((1, 4, 4, 2), (3, 3, 3, 2), (2, 2), "SAME", {}),
    "jax_bad_channels_transposed": ((1, 4, 4, 2), (3, 3, 2, 3), (2, 2), "SAME", {"transpose_kernel": True}),
    "jax_bad_dimension_numbers": ((1, 4, 4, 1), (3, 3, 1, 1), (2, 2), "SAME",
                                  {"dimension_numbers": ("NHWC", "HWIX", "NHWC")}),
}

# name: (X shape, W shape (C, M/group, kH, kW), bias, attributes)
ONNX = {
    "onnx_same_upper_k3_s2": ((1, 2, 4, 4), (2, 2, 3, 3), False, {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    "onnx_same_lower_k3_s2": ((1, 2, 4, 4), (2, 2, 3, 3), False, {"strides": [2, 2], "auto_pad": "SAME_LOWER"}),
    "onnx_same_upper_k4_s2": ((1, 1, 3, 4), (1, 2, 4, 4), True, {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    "onnx_same_lower_k5_s2_op1": ((1, 1, 3, 3), (1, 1, 5, 5), False,
                                  {"strides": [2, 2], "auto_pad": "SAME_LOWER", "output_padding": [1, 1]}),
    "onnx_same_upper_op1": ((1, 1, 4, 3), (1, 1, 3, 3), False,
                            {"strides": [2, 2], "auto_pad": "SAME_UPPER", "output_padding": [1, 0]}),
    "onnx_same_upper_k1_s3": ((1, 2, 3, 2), (2, 1, 1, 1), False, {"strides": [3, 3], "auto_pad": "SAME_UPPER"}),
    "onnx_same_lower_k2_s3": ((1, 1, 3, 3), (1, 1, 2, 2), False, {"strides": [3, 3], "auto_pad": "SAME_LOWER"}),
    "onnx_same_dilation_rect": ((1, 1, 4, 4), (1, 2, 3, 2), False, {"dilations": [2, 3], "auto_pad": "SAME_UPPER"}),
    "onnx_valid_op1": ((1, 2, 3, 3), (2, 1, 3, 3), True,
                       {"strides": [2, 2], "auto_pad": "VALID", "output_padding": [1, 1]}),
    "onnx_defaults": ((2, 2, 3, 4), (2, 3, 2, 3), True, {}),
    "onnx_pads": ((1, 1, 4, 4), (1, 2, 3, 3), False, {"strides": [2, 2], "pads": [1, 0, 0, 2]}),
    "onnx_pads_dilation_op": ((1, 2, 3, 4), (2, 1, 3, 2), True,
                              {"strides": [2, 3], "dilations": [2, 1], "pads": [1, 2, 2, 0],
                               "output_padding": [1, 2]}),
    "onnx_output_shape": ((1, 1, 4, 4), (1, 2, 3, 3), False, {"strides": [2, 2], "output_shape": [8, 7]}),
    "onnx_output_shape_small": ((1, 1, 4, 4), (1, 1, 3, 3), False, {"strides": [2, 2], "output_shape": [6, 5]}),
    "onnx_output_shape_upper": ((1, 1, 4, 4), (1, 1, 3, 3), False,
                                {"strides": [2, 2], "output_shape": [6, 5], "auto_pad": "SAME_UPPER"}),
    "onnx_output_shape_lower": ((1, 1, 4, 4), (1, 1, 3, 3), False,
                                {"strides": [2, 2], "output_shape": [6, 5], "auto_pad": "SAME_LOWER"}),
    "onnx_output_shape_valid": ((1, 1, 4, 4), (1, 1, 3, 3), False,
                                {"strides": [2, 2], "output_shape": [6, 5], "auto_pad": "VALID"}),
    "onnx_output_shape_ignores_pads": ((1, 1, 4, 4), (1, 1, 3, 3), False,
                                       {"strides": [2, 2], "output_shape": [6, 5], "pads": [0, 0, 3, 4]}),
    "onnx_output_shape_op": ((1, 1, 4, 4), (1, 1, 3, 3), False,
                             {"strides": [2, 2], "output_shape": [6, 5], "output_padding": [1, 1]}),
    "onnx_output_shape_beyond_full": ((1, 1, 4, 4), (1, 1, 3, 3), True, {"strides": [2, 2], "output_shape": [10, 9]}),
    "onnx_group2_bias": ((2, 4, 3, 3), (4, 3, 3, 2), True, {"strides": [2, 2], "group": 2}),
    "onnx_depthwise": ((1, 3, 3, 3), (3, 1, 3, 3), False,
                       {"strides": [2, 2], "group": 3, "pads": [1, 1, 1, 1], "output_padding": [1, 1]}),
    "onnx_kernel_shape": ((1, 1, 3, 3), (1, 1, 2, 3), False, {"kernel_shape": [2, 3], "strides": [2, 1]}),
}
ONNX_REJECTED = {
    "onnx_bad_op_eq_stride": ((1, 1, 4, 4), (1, 1, 3, 3), {"strides": [2, 2], "output_padding": [2, 0]}),
    "onnx_bad_op_below_dilation": ((1, 1, 4, 4), (1, 1, 3, 3), {"dilations": [2, 2], "output_padding": [1, 0]}),
    "onnx_bad_op_below_dilation_same": ((1, 1, 4, 4), (1, 1, 3, 3),
                                        {"dilations": [2, 2], "output_padding": [1, 0], "auto_pad": "SAME_UPPER"}),
    "onnx_bad_pads_negative": ((1, 1, 4, 4), (1, 1, 3, 3), {"pads": [-1, 0, 0, 0]}),
    "onnx_bad_pads_with_auto_pad": ((1, 1, 4, 4), (1, 1, 3, 3), {"pads": [1, 1, 1, 1], "auto_pad": "SAME_UPPER"}),
    "onnx_bad_pads_too_big": ((1, 1, 2, 2), (1, 1, 3, 3), {"pads": [2, 2, 2, 2]}),
    "onnx_bad_output_shape_too_big": ((1, 1, 4, 4), (1, 1, 3, 3), {"strides": [2, 2], "output_shape": [11, 9]}),
    "onnx_bad_output_shape_op_dilation": ((1, 1, 4, 4), (1, 1, 3, 3),
                                          {"dilations": [2, 2], "output_padding": [1, 0], "output_shape": [6, 6]}),
    "onnx_bad_kernel_shape": ((1, 1, 4, 4), (1, 1, 3, 3), {"kernel_shape": [2, 2]}),
    "onnx_bad_group": ((1, 3, 4, 4), (3, 1, 3, 3), {"group": 2}),
    "onnx_bad_auto_pad": ((1, 1, 4, 4), (1, 1, 3, 3), {"auto_pad": "same_upper"}),
    "onnx_bad_strides_0": ((1, 1, 4, 4), (1, 1, 3, 3), {"strides": [0, 1]}),
}


def _jsonable(v):
    if isinstance(v, (tuple, list)):
        return [_jsonable(i) for i in v]
    return v


def _msg(err):
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:400]}"


def keras_entries(rng, backend):
    """Run every Keras case on ``backend`` ('tensorflow' here, 'jax' in the child process)."""
    import keras

    arrays, index = {}, []
    for name, (xs, ks, has_bias, params) in KERAS.items():
        x, k = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, ks)
        b = rng.uniform(-1, 1, ks[2]) if has_bias else None
        wants_jax = "dilation_rate" in params or params.get("data_format") == "channels_first"
        if wants_jax != (backend == "jax"):
            continue
        layer = keras.layers.Conv2DTranspose(ks[2], ks[:2], use_bias=has_bias, dtype="float64", **params)
        layer.build(xs)
        layer.set_weights([k] if b is None else [k, b])
        y = np.asarray(layer(x))
        arrays[f"{name}.x"], arrays[f"{name}.w"], arrays[f"{name}.y"] = x, k, y
        if b is not None:
            arrays[f"{name}.b"] = b
        index.append({"name": name, "framework": "keras", "backend": backend, "bias": has_bias,
                      "params": {p: _jsonable(v) for p, v in params.items()}, "y_shape": list(y.shape)})
    if backend == "jax":
        rng = np.random.default_rng(SEED + 3)
        for name, (xs, ks, has_bias, params) in KERAS_JAX_ONLY.items():
            x, k = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, ks)
            layer = keras.layers.Conv2DTranspose(ks[2], ks[:2], use_bias=False, dtype="float64", **params)
            layer.build(xs)
            layer.set_weights([k])
            y = np.asarray(layer(x))
            arrays[f"{name}.x"], arrays[f"{name}.w"], arrays[f"{name}.y"] = x, k, y
            index.append({"name": name, "framework": "keras", "backend": backend, "bias": False,
                          "params": {p: _jsonable(v) for p, v in params.items()}, "y_shape": list(y.shape),
                          "tensorflow_backend": "refused"})
    if backend == "tensorflow":
        for name, (xs, ks, params) in KERAS_REJECTED.items():
            x, k = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, ks)
            try:
                layer = keras.layers.Conv2DTranspose(ks[2], ks[:2], use_bias=False, dtype="float64", **params)
                layer.build(xs)
                layer.set_weights([k])
                layer(x)
            except Exception as err:        # Keras raises ValueError; TensorFlow InvalidArgumentError
                index.append({"name": name, "framework": "keras", "backend": backend, "x_shape": list(xs),
                              "w_shape": list(ks), "params": {p: _jsonable(v) for p, v in params.items()},
                              "error": _msg(err)})
            else:
                sys.exit(f"{name}: Keras accepted it; the grid is wrong")
    return arrays, index


def keras_jax_child():
    """Child process: the Keras cases that need the JAX backend, written to the file named in argv."""
    os.environ["KERAS_BACKEND"] = "jax"
    import jax

    jax.config.update("jax_enable_x64", True)
    arrays, index = keras_entries(np.random.default_rng(SEED), "jax")
    np.savez(sys.argv[2], **arrays)
    Path(sys.argv[2] + ".json").write_text(json.dumps(index))


def jax_entries(rng):
    import jax

    jax.config.update("jax_enable_x64", True)
    from jax import lax

    arrays, index = {}, []
    for name, (xs, ks, strides, padding, extra) in JAX.items():
        x, k = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, ks)
        y = np.asarray(lax.conv_transpose(x, k, strides, padding, **extra))
        assert y.dtype == np.float64
        arrays[f"{name}.x"], arrays[f"{name}.w"], arrays[f"{name}.y"] = x, k, y
        index.append({"name": name, "framework": "jax", "strides": list(strides), "padding": _jsonable(padding),
                      "extra": {p: _jsonable(v) for p, v in extra.items()}, "y_shape": list(y.shape)})
    for name, (xs, ks, strides, padding, extra) in JAX_REJECTED.items():
        x, k = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, ks)
        try:
            lax.conv_transpose(x, k, strides, padding, **extra)
        except Exception as err:
            index.append({"name": name, "framework": "jax", "x_shape": list(xs), "w_shape": list(ks),
                          "strides": _jsonable(strides), "padding": _jsonable(padding),
                          "extra": {p: _jsonable(v) for p, v in extra.items()}, "error": _msg(err)})
        else:
            sys.exit(f"{name}: JAX accepted it; the grid is wrong")
    return arrays, index, jax.__version__


def _onnx_model(x_shape, w_shape, has_bias, attrs, dtype, opset=17):
    from onnx import TensorProto, helper

    t = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
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
    from onnx.reference import ReferenceEvaluator

    options = ort.SessionOptions()
    options.log_severity_level = 4

    def run_both(xs, ws, has_bias, attrs, feeds):
        got = {}
        try:
            model = _onnx_model(xs, ws, has_bias, attrs, np.float32)
            session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
            got["ort"] = session.run(None, {k: v.astype(np.float32) for k, v in feeds.items()})[0]
        except Exception as err:
            got["ort"] = _msg(err)
        try:
            got["ref"] = ReferenceEvaluator(_onnx_model(xs, ws, has_bias, attrs, np.float64)).run(None, feeds)[0]
        except Exception as err:
            got["ref"] = _msg(err)
        return got

    arrays, index = {}, []
    grid = [(n, c, True) for n, c in ONNX.items()] + [(n, (c[0], c[1], False, c[2]), False)
                                                        for n, c in ONNX_REJECTED.items()]
    for name, (xs, ws, has_bias, attrs), accepted in grid:
        # float32 values, so that onnxruntime (float32) and the reference evaluator (float64) read the same numbers
        x = rng.uniform(-1, 1, xs).astype(np.float32).astype(np.float64)
        w = rng.uniform(-1, 1, ws).astype(np.float32).astype(np.float64)
        group = attrs.get("group", 1)
        b = rng.uniform(-1, 1, ws[1] * group).astype(np.float32).astype(np.float64) if has_bias else None
        feeds = {"X": x, "W": w} | ({} if b is None else {"B": b})
        got = run_both(xs, ws, has_bias, attrs, feeds)
        entry = {"name": name, "framework": "onnx", "x_shape": list(xs), "w_shape": list(ws), "bias": has_bias,
                 "attrs": attrs}
        if isinstance(got["ort"], str):
            if accepted:
                sys.exit(f"{name}: onnxruntime refused it: {got['ort']}")
            entry["error"] = got["ort"]
        else:
            if not accepted:
                sys.exit(f"{name}: onnxruntime accepted it; the grid is wrong")
            arrays[f"{name}.x"], arrays[f"{name}.w"], arrays[f"{name}.y32"] = x, w, got["ort"]
            if b is not None:
                arrays[f"{name}.b"] = b
            entry["y_shape"] = list(got["ort"].shape)
        if isinstance(got["ref"], str):
            entry["reference"] = got["ref"]
        else:
            ref = got["ref"]
            agrees = (not isinstance(got["ort"], str) and ref.shape == got["ort"].shape
                      and np.allclose(ref, got["ort"], atol=1e-4))
            entry["reference"] = "agrees" if agrees else f"differs: shape {list(ref.shape)}"
            if agrees:
                arrays[f"{name}.y"] = ref
            else:
                arrays[f"{name}.yref"] = ref
        index.append(entry)
    return arrays, index, onnx.__version__, ort.__version__


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--keras-jax":
        keras_jax_child()
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras
    import tensorflow as tf

    DATA.mkdir(exist_ok=True)
    arrays, index = {}, []
    k_arrays, k_index = keras_entries(np.random.default_rng(SEED), "tensorflow")
    child = DATA / "_keras_jax.npz"
    subprocess.run([sys.executable, __file__, "--keras-jax", str(child)], check=True,
                   env={**os.environ, "KERAS_BACKEND": "jax"})
    with np.load(child) as loaded:
        k_arrays.update({k: loaded[k] for k in loaded.files})
    k_index += json.loads(Path(str(child) + ".json").read_text())
    child.unlink()
    Path(str(child) + ".json").unlink()
    j_arrays, j_index, jax_version = jax_entries(np.random.default_rng(SEED + 1))
    o_arrays, o_index, onnx_version, ort_version = onnx_entries(np.random.default_rng(SEED + 2))
    for part in (k_arrays, j_arrays, o_arrays):
        arrays.update(part)
    for k, v in arrays.items():
        assert v.dtype == (np.float32 if k.endswith(".y32") else np.float64), (k, v.dtype)
    np.savez_compressed(DATA / "golden_frameworks.npz", **arrays)
    import jaxlib

    index = {"made_by": "scripts/make_golden_frameworks.py", "seed": SEED,
             "versions": {"keras": keras.__version__, "tensorflow": tf.__version__, "jax": jax_version,
                          "jaxlib": jaxlib.__version__, "onnx": onnx_version, "onnxruntime": ort_version,
                          "numpy": np.__version__, "onnx_opset": 17},
             "keras": k_index, "jax": j_index, "onnx": o_index}
    (DATA / "golden_frameworks.json").write_text(json.dumps(index, indent=1) + "\n")
    size = (DATA / "golden_frameworks.npz").stat().st_size
    print(f"{len(k_index)} keras, {len(j_index)} jax, {len(o_index)} onnx; {size} bytes")


if __name__ == "__main__":
    main()
