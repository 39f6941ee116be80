"""Make the golden arrays the tests compare every form against: PyTorch and TensorFlow, float64.

Regenerate (needs torch and tensorflow-cpu; the tests themselves never import TensorFlow)::

    /tmp/goldvenv/bin/python scripts/make_golden.py

Made with torch 2.13.0+cpu, tensorflow-cpu 2.21.0, numpy 2.4.6 (the script records the versions it ran with in
``tests/data/golden_index.json``; torch and tensorflow are imported inside the functions, so importing this file
needs numpy only). Output, all seeded and deterministic (a rerun rewrites identical files):

- ``tests/data/golden_torch.npz``: ``<name>.x``, ``<name>.w``, ``<name>.b`` (when there is a bias) and ``<name>.y``
  from ``torch.nn.functional.conv_transpose2d`` (kind ``conv_transpose2d``) or ``torch.nn.functional.conv2d``
  (kind ``conv2d``). Entries with a 2-D ``x`` (H, W) and 2-D ``w`` (kH, kW) were computed by torch on the
  ``[None, None]`` views and stored in the 2-D teaching layout; 3-D entries went to torch unbatched.
- ``tests/data/golden_tf.npz``: ``<name>.x``, ``<name>.f``, ``<name>.y`` from ``tf.nn.conv2d_transpose``
  (filters (kH, kW, C_out, C_in)).
- ``tests/data/golden_index.json``: the parameters of every entry, and ``tf_rejected``: output shapes that
  ``tf.nn.conv2d_transpose`` rejects (with TF's message), beside the sizes it accepts, found by asking TF about
  every height and width in a range.

What TensorFlow's CPU build cannot do, recorded rather than faked:

- ``dilations > 1``: ``tf.nn.conv2d_transpose`` on CPU raises "Current CPU implementations do not yet support
  dilation rates larger than 1". The dilated TF entries (``op: atrous``) come from ``tf.nn.atrous_conv2d_transpose``
  (stride 1, ``rate`` = dilation), TF's own dilated transposed convolution, which does run on CPU; the tests feed
  them to ``tconv_edu.conv2d_transpose(..., strides=1, dilations=rate)``. Dilated output-shape *rejections* are not
  probed (TF's CPU kernel refuses before it checks the shape).
- ``data_format="NCHW"``: the CPU kernel raises "Conv2DCustomBackpropInputOp only supports NHWC". NCHW entries
  (``layout: NCHW``) store TF's NHWC result with input and output transposed to NCHW; they check our NCHW
  reading of the same operation, not a separate TF kernel.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SEED = 20261126

# --------------------------------------------------------------------------------------------------- PyTorch grid
# name: (x shape, w shape, bias, params). w is (C_in, C_out/groups, kH, kW) for conv_transpose2d,
# (C_out, C_in/groups, kH, kW) for conv2d. Every parameter appears as an int and as an asymmetric pair.
TRANSPOSE = {
    "seed_2d": ((2, 2), (2, 2), False, {}),
    "s1_k3_one_channel": ((1, 1, 5, 5), (1, 1, 3, 3), False, {}),
    "s2_k3": ((2, 3, 4, 5), (3, 2, 3, 3), False, {"stride": 2}),
    "s2_k4_p1_dcgan": ((2, 4, 4, 4), (4, 3, 4, 4), True, {"stride": 2, "padding": 1}),
    "s2_k3_p1_op1": ((1, 2, 4, 4), (2, 2, 3, 3), False, {"stride": 2, "padding": 1, "output_padding": 1}),
    "s3_k3_p2_op2": ((1, 2, 3, 4), (2, 1, 3, 3), False, {"stride": 3, "padding": 2, "output_padding": 2}),
    "stride_pair": ((1, 2, 3, 4), (2, 3, 3, 3), False, {"stride": (2, 3)}),
    "padding_pair": ((1, 2, 5, 5), (2, 2, 3, 3), False, {"padding": (2, 0)}),
    "output_padding_pair": ((1, 1, 3, 3), (1, 2, 3, 3), False,
                            {"stride": (2, 3), "padding": (1, 1), "output_padding": (1, 2)}),
    "dilation2": ((1, 2, 4, 4), (2, 2, 3, 3), False, {"dilation": 2}),
    "dilation_pair": ((1, 1, 4, 5), (1, 2, 3, 2), False, {"dilation": (2, 3), "padding": (1, 2)}),
    "op_below_dilation_only": ((1, 1, 4, 4), (1, 1, 3, 3), False, {"dilation": 2, "output_padding": 1}),
    "groups2": ((2, 4, 4, 4), (4, 3, 3, 3), True, {"groups": 2, "stride": 2}),
    "groups3": ((1, 6, 3, 3), (6, 2, 2, 2), False, {"groups": 3}),
    "depthwise": ((2, 4, 4, 4), (4, 1, 3, 3), True, {"groups": 4, "stride": 2, "padding": 1, "output_padding": 1}),
    "depthwise_x2": ((1, 3, 3, 3), (3, 2, 3, 3), False, {"groups": 3, "stride": 2}),
    "bias_only": ((1, 2, 3, 3), (2, 3, 3, 3), True, {}),
    "batch3": ((3, 2, 3, 3), (2, 2, 3, 3), True, {"stride": 2, "padding": 1}),
    "kernel_1x1_s2": ((1, 3, 3, 4), (3, 2, 1, 1), False, {"stride": 2, "output_padding": 1}),
    "kernel_1x1_s1": ((2, 3, 3, 3), (3, 4, 1, 1), True, {}),
    "kernel_rect_2x5": ((1, 2, 4, 3), (2, 2, 2, 5), False, {"stride": (1, 2), "padding": (0, 2)}),
    "kernel_rect_4x1": ((1, 1, 3, 5), (1, 3, 4, 1), False, {"stride": 2, "output_padding": (1, 0)}),
    "kernel_larger_than_input": ((1, 1, 2, 2), (1, 1, 5, 5), False, {"stride": 2}),
    "stride_gt_kernel": ((1, 2, 3, 3), (2, 1, 2, 2), False, {"stride": 3}),
    "stride_eq_kernel": ((1, 1, 3, 4), (1, 2, 2, 2), False, {"stride": 2}),
    "padding_gt_dk": ((1, 1, 5, 5), (1, 1, 3, 3), False, {"stride": 3, "padding": 3}),
    "padding_gt_dk_pair": ((1, 2, 4, 4), (2, 1, 2, 3), False, {"stride": (3, 2), "padding": (2, 3)}),
    "padding_to_one_pixel": ((1, 1, 3, 3), (1, 1, 3, 3), False, {"padding": 2}),
    "input_3d": ((3, 4, 4), (3, 2, 3, 3), True, {"stride": 2, "padding": 1, "output_padding": 1}),
    "input_3d_groups": ((4, 3, 3), (4, 1, 2, 2), False, {"groups": 2, "stride": 2}),
    "input_2d_s2_p1_op1": ((4, 4), (3, 3), False, {"stride": 2, "padding": 1, "output_padding": 1}),
    "input_2d_dilation": ((3, 4), (2, 3), False, {"dilation": (2, 1), "stride": (1, 2)}),
    "everything": ((2, 4, 3, 4), (4, 3, 3, 2), True,
                   {"stride": (2, 3), "padding": (1, 2), "output_padding": (1, 0), "dilation": (2, 1), "groups": 2}),
    "everything_int": ((3, 6, 3, 3), (6, 2, 3, 3), True,
                       {"stride": 2, "padding": 1, "output_padding": 1, "dilation": 2, "groups": 3}),
}

CONV = {
    "conv_basic": ((1, 1, 5, 5), (1, 1, 3, 3), False, {}),
    "conv_s2_p1": ((2, 3, 7, 8), (4, 3, 3, 3), True, {"stride": 2, "padding": 1}),
    "conv_pairs": ((1, 2, 9, 8), (3, 2, 3, 2), False, {"stride": (2, 3), "padding": (1, 0), "dilation": (1, 2)}),
    "conv_dilation2": ((1, 2, 7, 7), (2, 2, 3, 3), False, {"dilation": 2, "padding": 2}),
    "conv_groups2": ((2, 4, 6, 6), (6, 2, 3, 3), True, {"groups": 2, "stride": 2}),
    "conv_depthwise": ((1, 3, 5, 5), (3, 1, 3, 3), False, {"groups": 3, "padding": 1}),
    "conv_1x1": ((3, 4, 4, 4), (2, 4, 1, 1), True, {}),
    "conv_rect": ((1, 1, 6, 7), (2, 1, 2, 4), False, {"stride": (1, 2)}),
    "conv_3d_input": ((2, 5, 5), (3, 2, 3, 3), True, {"stride": 2}),
    "conv_2d_input": ((6, 5), (3, 2), False, {"padding": (1, 0)}),
}

# -------------------------------------------------------------------------------------------------- TF grid
# name: (x NHWC shape, filters (kH, kW, C_out, C_in), output (H, W), strides, padding, layout)
TF = {
    "tf_same_s1": ((1, 5, 5, 2), (3, 3, 2, 2), (5, 5), 1, "SAME", "NHWC"),
    "tf_valid_s1": ((2, 4, 5, 3), (3, 2, 2, 3), (6, 6), 1, "VALID", "NHWC"),
    "tf_same_k4_s2_dcgan": ((2, 4, 4, 3), (4, 4, 2, 3), (8, 8), 2, "SAME", "NHWC"),
    "tf_valid_k1_s2": ((1, 3, 3, 2), (1, 1, 3, 2), (5, 5), 2, "VALID", "NHWC"),
    "tf_valid_k1_s2_plus1": ((1, 3, 3, 2), (1, 1, 3, 2), (6, 6), 2, "VALID", "NHWC"),
    "tf_same_stride_pair": ((1, 3, 4, 2), (3, 3, 2, 2), (6, 12), (2, 3), "SAME", "NHWC"),
    "tf_valid_rect_kernel": ((1, 3, 4, 2), (2, 5, 1, 2), (7, 12), (2, 2), "VALID", "NHWC"),
    "tf_explicit": ((1, 4, 4, 2), (3, 3, 2, 2), (9, 9), 2, [[0, 0], [1, 0], [0, 1], [0, 0]], "NHWC"),
    "tf_explicit_big": ((1, 3, 4, 1), (3, 2, 2, 1), (4, 6), (2, 2), [[0, 0], [2, 2], [1, 1], [0, 0]], "NHWC"),
    "tf_same_batch3": ((3, 3, 3, 1), (3, 3, 2, 1), (6, 6), 2, "SAME", "NHWC"),
    "tf_nchw_same": ((2, 4, 4, 3), (3, 3, 2, 3), (8, 7), 2, "SAME", "NCHW"),
    "tf_nchw_valid": ((1, 3, 4, 2), (2, 3, 3, 2), (7, 13), (2, 3), "VALID", "NCHW"),
    "tf_nchw_explicit": ((2, 3, 3, 2), (3, 2, 3, 2), (6, 5), 2, [[0, 0], [0, 1], [1, 0], [0, 0]], "NCHW"),
}
# every valid output size for stride > 1: name prefix -> the sizes probed (all of TF's accepted sizes get arrays)
TF_ALL_SIZES = {  # (x NHWC, filters, strides, padding)
    "tf_allsizes_same_k3_s2": ((1, 4, 4, 1), (3, 3, 1, 1), 2, "SAME"),
    "tf_allsizes_valid_k3_s3": ((1, 3, 3, 1), (3, 3, 2, 1), 3, "VALID"),
    "tf_allsizes_same_k2_s3": ((1, 3, 2, 2), (2, 2, 1, 2), 3, "SAME"),
    "tf_allsizes_explicit_k3_s2": ((1, 3, 3, 1), (3, 3, 1, 1), 2, [[0, 0], [1, 2], [2, 0], [0, 0]]),
    "tf_allsizes_valid_k4_s2": ((1, 3, 3, 1), (4, 4, 1, 1), 2, "VALID"),
    "tf_allsizes_valid_k1_s3": ((1, 2, 3, 1), (1, 2, 1, 1), 3, "VALID"),
}
# dilated: tf.nn.atrous_conv2d_transpose (stride 1), output (H, W)
TF_ATROUS = {
    "tf_atrous_same_r2": ((1, 4, 5, 2), (3, 2, 2, 2), (4, 5), 2, "SAME"),
    "tf_atrous_valid_r2": ((1, 4, 5, 2), (3, 2, 3, 2), (8, 7), 2, "VALID"),
    "tf_atrous_valid_r3": ((2, 3, 3, 1), (2, 2, 1, 1), (6, 6), 3, "VALID"),
}
# rejected output shapes beyond the size probes: (x NHWC, filters, output_shape NHWC, strides, padding)
TF_BAD_SHAPES = {
    "tf_bad_batch": ((2, 4, 4, 1), (3, 3, 2, 1), (1, 8, 8, 2), 2, "SAME"),
    "tf_bad_channels": ((1, 4, 4, 1), (3, 3, 2, 1), (1, 8, 8, 3), 2, "SAME"),
    # explicit padding that crops more than the output holds: no height at all convolves back to 1 row
    "tf_no_valid_height_1": ((1, 1, 3, 1), (3, 3, 1, 1), (1, 1, 7, 1), 2, [[0, 0], [2, 2], [0, 0], [0, 0]]),
    "tf_no_valid_height_2": ((1, 1, 3, 1), (3, 3, 1, 1), (1, 2, 7, 1), 2, [[0, 0], [2, 2], [0, 0], [0, 0]]),
}


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def torch_entries(rng):
    import torch
    import torch.nn.functional as F

    arrays, index = {}, []
    for kind, grid in (("conv_transpose2d", TRANSPOSE), ("conv2d", CONV)):
        for name, (xs, ws, has_bias, params) in grid.items():
            x = rng.uniform(-1, 1, xs)
            w = rng.uniform(-1, 1, ws)
            c_out = (ws[1] * params.get("groups", 1)) if kind == "conv_transpose2d" else ws[0]
            b = rng.uniform(-1, 1, (c_out,)) if has_bias else None
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            if x.ndim == 2:
                tx, tw = tx[None, None], tw[None, None]
            tp = {k: _pair(v) if k != "groups" else v for k, v in params.items()}
            fn = F.conv_transpose2d if kind == "conv_transpose2d" else F.conv2d
            y = fn(tx, tw, None if b is None else torch.from_numpy(b), **tp).numpy()
            if x.ndim == 2:
                y = y[0, 0]
            arrays[f"{name}.x"], arrays[f"{name}.w"], arrays[f"{name}.y"] = x, w, y
            if b is not None:
                arrays[f"{name}.b"] = b
            index.append({"name": name, "kind": kind, "bias": has_bias,
                          "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}})
    return arrays, index


def tf_entries(rng):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    arrays, index, rejected = {}, [], []

    def call(x, f, shape, strides, padding):
        return tf.nn.conv2d_transpose(x, f, shape, strides, padding=padding, data_format="NHWC").numpy()

    def store(name, x, f, y, layout, **meta):
        if layout == "NCHW":
            x, y = x.transpose(0, 3, 1, 2), y.transpose(0, 3, 1, 2)
        arrays[f"{name}.x"], arrays[f"{name}.f"], arrays[f"{name}.y"] = x, f, y
        index.append({"name": name, "data_format": layout, **meta})

    for name, (xs, fs, hw, strides, padding, layout) in TF.items():
        x, f = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, fs)
        shape = (xs[0],) + tuple(hw) + (fs[2],)
        y = call(x, f, shape, strides, padding)
        oshape = list(shape) if layout == "NHWC" else [shape[0], shape[3], shape[1], shape[2]]
        store(name, x, f, y, layout, op="conv2d_transpose", output_shape=oshape, strides=strides,
              padding=_tf_padding_for(padding, layout))

    for name, (xs, fs, strides, padding) in TF_ALL_SIZES.items():
        x, f = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, fs)
        s = _pair(strides)
        ok = {}
        for axis in (0, 1):      # probe one axis with the other held at a size TF accepts
            ok[axis] = []
            for size in range(1, xs[1 + axis] * s[axis] + fs[axis] + 3):
                hw = [None, None]
                hw[axis] = size
                hw[1 - axis] = _first_ok(tf, x, f, strides, padding, 1 - axis)
                shape = (xs[0], hw[0], hw[1], fs[2])
                try:
                    y = call(x, f, shape, strides, padding)
                except Exception as err:  # TF raises InvalidArgumentError (or ValueError from shape inference)
                    rejected.append({"name": f"{name}_{'hw'[axis]}{size}", "x_shape": list(xs), "f_shape": list(fs),
                                     "output_shape": list(shape), "strides": strides, "padding": padding,
                                     "axis": ["height", "width"][axis],
                                     "tf_error": f"{type(err).__name__}: {_first_line(err)}"})
                    continue
                ok[axis].append(size)
                store(f"{name}_{'hw'[axis]}{size}", x, f, y, "NHWC", op="conv2d_transpose", output_shape=list(shape),
                      strides=strides, padding=padding)
        for axis in (0, 1):
            for r in rejected:
                if r["name"].startswith(name + "_" + "hw"[axis]):
                    r["tf_valid"] = ok[axis]

    for name, (xs, fs, hw, rate, padding) in TF_ATROUS.items():
        x, f = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, fs)
        shape = (xs[0],) + tuple(hw) + (fs[2],)
        y = tf.nn.atrous_conv2d_transpose(x, f, shape, rate, padding).numpy()
        store(name, x, f, y, "NHWC", op="atrous", output_shape=list(shape), strides=1, dilations=rate,
              padding=padding)

    for name, (xs, fs, shape, strides, padding) in TF_BAD_SHAPES.items():
        x, f = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, fs)
        try:
            call(x, f, shape, strides, padding)
        except Exception as err:
            rejected.append({"name": name, "x_shape": list(xs), "f_shape": list(fs), "output_shape": list(shape),
                             "strides": strides, "padding": padding, "axis": None,
                             "tf_error": f"{type(err).__name__}: {_first_line(err)}"})
        else:
            sys.exit(f"{name}: TensorFlow accepted output_shape {shape}; the grid is wrong")
    return arrays, index, rejected, tf.__version__


def _tf_padding_for(padding, layout):
    """Explicit NHWC padding pairs reordered for NCHW."""
    if isinstance(padding, str) or layout == "NHWC":
        return padding
    return [padding[0], padding[3], padding[1], padding[2]]


def _first_ok(tf, x, f, strides, padding, axis):
    """Smallest size on ``axis`` that TF accepts (the other axis set to the same probe)."""
    for size in range(1, 64):
        for other in range(1, 64):
            hw = [other, other]
            hw[axis] = size
            try:
                tf.nn.conv2d_transpose(x, f, (x.shape[0], hw[0], hw[1], f.shape[2]), strides, padding=padding)
            except Exception:
                continue
            return size
    raise RuntimeError("no output size accepted")


def _first_line(err):
    text = str(err).strip().splitlines()[0]
    return text.split("}} ", 1)[-1][:300]


def main():
    import torch

    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(SEED)
    t_arrays, t_index = torch_entries(rng)
    tf_arrays, tf_index, rejected, tf_version = tf_entries(rng)
    for arrays in (t_arrays, tf_arrays):
        for k, v in arrays.items():
            assert v.dtype == np.float64, (k, v.dtype)
    np.savez_compressed(DATA / "golden_torch.npz", **t_arrays)
    np.savez_compressed(DATA / "golden_tf.npz", **tf_arrays)
    index = {"made_by": "scripts/make_golden.py", "seed": SEED,
             "versions": {"torch": torch.__version__, "tensorflow": tf_version, "numpy": np.__version__},
             "torch": t_index, "tf": tf_index, "tf_rejected": rejected}
    (DATA / "golden_index.json").write_text(json.dumps(index, indent=1) + "\n")
    sizes = {p.name: p.stat().st_size for p in DATA.glob("golden_*")}
    print(f"{len(t_index)} torch, {len(tf_index)} tf, {len(rejected)} rejected; bytes: {sizes}")


if __name__ == "__main__":
    main()
