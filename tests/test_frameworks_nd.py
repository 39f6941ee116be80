"""Every framework's entry point in 1-D and 3-D against golden arrays from the real frameworks
(scripts/make_golden_frameworks_nd.py; these tests import no framework): accepted cases equal in float64 and
float32, refused cases refused by name before any work, and the grid covers every argument."""
import json
from pathlib import Path

import numpy as np
import pytest

import tconv_edu as te
from tconv_edu import frameworks as fw
from tconv_edu import porting
from tconv_cases import close

DATA = Path(__file__).resolve().parent / "data"
INDEX = json.loads((DATA / "golden_frameworks_nd.json").read_text())
GOLD = np.load(DATA / "golden_frameworks_nd.npz")
NAMES = ("torch", "tf", "keras", "jax", "onnx")


def _tup(v):
    return tuple(_tup(i) for i in v) if isinstance(v, list) else v


def _cases(framework, rejected):
    """Accepted or refused cases; a case only Keras' JAX backend computes counts as refused (the library follows
    the TensorFlow backend)."""
    return [e for e in INDEX[framework] if ("error" in e or "tensorflow_backend" in e) == rejected]


def _arrays(e, dtype=np.float64):
    n = e["name"]
    b = GOLD[f"{n}.b"].astype(dtype) if e.get("bias") else None
    return GOLD[f"{n}.x"].astype(dtype), GOLD[f"{n}.w"].astype(dtype), b


def _torch(e, x, w, b):
    r = x.ndim - 2
    params = {k: _tup(v) for k, v in e["params"].items()}
    k = w.shape[2:]
    c_out = w.shape[1] * params.get("groups", 1)
    return porting.run(porting.Layer("torch", x.shape[1], c_out, k, params, input_size=x.shape[2:]), x, w, b) \
        if r else None


def _tf(e, x, w, b=None):
    fn = {1: te.conv1d_transpose, 3: te.conv3d_transpose}[e["rank"]]
    return fn(x, w, e["output_shape"], _tup(e["strides"]), _tup(e["padding"]), **e["extra"])


def _keras(e, x, w, b):
    fn = {1: fw.keras_conv1d_transpose, 3: fw.keras_conv3d_transpose}[e["rank"]]
    return fn(x, w, b, **{k: _tup(v) for k, v in e["params"].items()})


def _jax(e, x, w, b=None):
    return fw.jax_conv_transpose(x, w, _tup(e["strides"]), _tup(e["padding"]),
                                 **{k: _tup(v) for k, v in e["extra"].items()})


def _onnx(e, x, w, b):
    return fw.onnx_conv_transpose(x, w, b, **e["attrs"])


CALL = {"torch": _torch, "tf": _tf, "keras": _keras, "jax": _jax, "onnx": _onnx}
ACCEPTED = [(f, e) for f in NAMES for e in _cases(f, False)]
REJECTED = [(f, e) for f in NAMES for e in _cases(f, True)]


def _rank(e):
    shape = e.get("x_shape") or list(GOLD[f"{e['name']}.x"].shape)
    return len(shape) - 2


def test_grid_covers_every_argument_in_1d_and_3d():
    for f in NAMES:
        assert {_rank(e) for e in _cases(f, False)} == {1, 3}, f
        assert {_rank(e) for e in _cases(f, True)} == {1, 3}, f
    assert {k for e in _cases("torch", False) for k in e["params"]} == {"stride", "padding", "output_padding",
                                                                        "dilation", "groups"}
    tf = _cases("tf", False)
    assert {e["padding"] for e in tf} == {"SAME", "VALID"}
    assert {len(e["strides"]) if isinstance(e["strides"], list) else 0 for e in tf} == {0, 1, 3, 5}
    assert {e["extra"].get("dilations", 1) for e in tf if e.get("op") == "atrous"} == {2, 3}   # TF's dilated 1-D
    keras = _cases("keras", False)
    assert {k for e in keras for k in e["params"]} == {"strides", "padding", "output_padding", "dilation_rate",
                                                       "data_format"}
    assert None in [e["params"].get("output_padding") for e in keras]
    jax = _cases("jax", False)
    assert {k for e in jax for k in e["extra"]} == {"rhs_dilation", "transpose_kernel", "dimension_numbers"}
    assert {e["padding"] if isinstance(e["padding"], str) else "explicit" for e in jax} == {"SAME", "VALID",
                                                                                           "explicit"}
    onnx = _cases("onnx", False)
    assert {k for e in onnx for k in e["attrs"]} == {"strides", "auto_pad", "output_padding", "dilations", "pads",
                                                    "output_shape", "group", "kernel_shape"}
    assert {e["attrs"].get("auto_pad", "NOTSET") for e in onnx} == set(fw.onnx.ONNX_AUTO_PADS)


@pytest.mark.parametrize("framework, entry", ACCEPTED, ids=[e["name"] for _, e in ACCEPTED])
def test_matches_the_framework_in_float64_and_float32(framework, entry):
    name = entry["name"]
    if framework == "onnx":                    # onnxruntime runs float32; the inputs are float32 values
        want = GOLD[f"{name}.y32"].astype(np.float64)
        close(CALL[framework](entry, *_arrays(entry)), want, 1e-5)
    else:
        want = GOLD[f"{name}.y"]
        got = CALL[framework](entry, *_arrays(entry))
        assert got.dtype == np.float64
        close(got, want, 1e-10)
    got32 = CALL[framework](entry, *_arrays(entry, np.float32))
    assert got32.dtype == np.float32 and got32.shape == tuple(entry["y_shape"])
    close(got32.astype(np.float64), want, 1e-5)


@pytest.fixture
def no_work(monkeypatch):
    def reached(*args, **kwargs):
        raise AssertionError("the computation ran before the bad argument was reported")

    monkeypatch.setattr(fw._base, "transpose", reached)     # every entry point computes through it
    return reached


def test_the_guard_fires_on_a_good_call_in_1d_and_3d(no_work):
    with pytest.raises(AssertionError, match="computation ran"):
        fw.keras_conv1d_transpose(np.ones((1, 3, 1)), np.ones((3, 1, 1)))
    with pytest.raises(AssertionError, match="computation ran"):
        fw.onnx_conv_transpose(np.ones((1, 1, 2, 2, 2)), np.ones((1, 1, 2, 2, 2)))


def _names(framework, entry):
    names = set(entry.get("params", {})) | set(entry.get("attrs", {})) | set(entry.get("extra", {}))
    names |= {"kernel", "rhs", "W", "weight", "filters", "x", "input"}
    if framework in ("jax", "tf"):
        names |= {"strides", "padding", "output_shape"}
    if framework == "tf":
        names |= set(entry["extra"])
    return names


@pytest.mark.parametrize("framework, entry", REJECTED, ids=[e["name"] for _, e in REJECTED])
def test_refuses_what_the_framework_refuses(framework, entry, no_work):
    if "error" in entry:
        x = np.ones(entry["x_shape"])
        w = np.ones(entry.get("w_shape") or entry["f_shape"])
    else:
        x, w, _ = _arrays(entry)
    with pytest.raises((te.ArgumentError, TypeError)) as info:
        CALL[framework](entry, x, w, None)
    msg = str(info.value)
    assert any(name in msg for name in _names(framework, entry)), msg
    last = Path(str(info.traceback[-1].path))
    assert last.name == "shapes.py" or last.parent.name == "frameworks", last


def test_tf_conv1d_transpose_runs_a_2d_kernel_and_says_so():
    """A list of 3 strides is the 2-D call's (row, column, channel): TensorFlow accepts any row stride."""
    e = next(e for e in INDEX["tf"] if e["name"] == "tf1d_strides_list3_row_stride")
    assert e["strides"] == [3, 1, 1] and e["output_shape"][1] == 4         # the row's stride 3 changes nothing
    bad = next(e for e in INDEX["tf"] if e["name"] == "tf1d_bad_strides_channel")
    assert "Conv2DBackpropInput" in bad["error"]
    with pytest.raises(te.ArgumentError, match="2-D kernel"):
        te.conv1d_transpose(np.ones((1, 4, 1)), np.ones((3, 1, 1)), (1, 8, 1), [1, 2, 2])


def test_keras_refuses_stride_with_dilation_in_1d_and_3d_and_the_port_dilates_by_hand():
    for name in ("keras1d_bad_stride_and_dilation", "keras3d_bad_stride_and_dilation_other_axes"):
        assert "`strides > 1` not supported in conjunction with `dilation_rate > 1`" in \
            next(e for e in INDEX["keras"] if e["name"] == name)["error"]
    p = porting.port(porting.Layer("torch", 2, 3, (3,), {"stride": 2, "dilation": 2}), "keras")
    assert p.exact and p.layer.kernel_size == (5,) and "dilated by hand" in p.note
    assert p.weight(np.ones((2, 3, 3))).shape == (5, 3, 2)


def test_the_keras_backends_part_on_an_even_kernel_with_same_and_output_padding_0_in_1d():
    e = next(e for e in INDEX["keras"] if e["name"] == "keras1d_jaxbackend_even_kernel_same_op0")
    assert e["backend"] == "jax" and e["y_shape"] == [1, 6, 2]
    with pytest.raises(te.ArgumentError, match="out_backprop"):
        _keras(e, *_arrays(e))


def test_jax_default_dimension_numbers_per_rank():
    assert fw.jax.JAX_DEFAULT_DIMENSION_NUMBERS_BY_RANK == {1: ("NHC", "HIO", "NHC"), 2: ("NHWC", "HWIO", "NHWC"),
                                                            3: ("NHWDC", "HWDIO", "NHWDC")}


@pytest.mark.parametrize("name", ["tf1d_same_k3_s2_7", "tf3d_same_odd", "tf3d_valid_rect"])
def test_tf_channels_first_is_channels_last_transposed(name):
    """NCW and NCDHW (refused by TensorFlow's CPU kernels, run on its GPU ones) compute what NWC and NDHWC do."""
    e = next(e for e in INDEX["tf"] if e["name"] == name)
    x, f, _ = _arrays(e)
    r = e["rank"]
    shape = e["output_shape"]
    first = [shape[0], shape[-1], *shape[1:-1]]
    strides = _tup(e["strides"])
    if isinstance(strides, tuple) and len(strides) == r + 2:
        strides = strides[1:-1]
    fn = {1: te.conv1d_transpose, 3: te.conv3d_transpose}[r]
    got = fn(fw._base.channels_first(x), f, first, strides, e["padding"], data_format=fw.tf.TF_DATA_FORMATS[r][1])
    close(fw._base.channels_last(got), GOLD[f"{name}.y"], 1e-10)


def test_the_1d_and_3d_entry_points_and_port_need_numpy_only():
    """Running every 1-D and 3-D entry point and port loads no framework and no scipy."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, tconv_edu as te\n"
            "te.conv1d_transpose(np.ones((1, 3, 1)), np.ones((3, 2, 1)), (1, 6, 2), 2)\n"
            "te.conv3d_transpose(np.ones((1, 2, 2, 2, 1)), np.ones((2, 2, 2, 2, 1)), (1, 4, 4, 4, 2), 2)\n"
            "te.frameworks.keras_conv1d_transpose(np.ones((1, 3, 1)), np.ones((3, 2, 1)), strides=2)\n"
            "te.frameworks.keras_conv3d_transpose(np.ones((1, 2, 2, 2, 1)), np.ones((2, 2, 2, 2, 1)), strides=2)\n"
            "te.jax_conv_transpose(np.ones((1, 3, 1)), np.ones((3, 1, 2)), (2,), 'SAME')\n"
            "te.onnx_conv_transpose(np.ones((1, 1, 2, 2, 2)), np.ones((1, 2, 2, 2, 2)), strides=[2, 2, 2])\n"
            "te.port(te.Layer('keras', 1, 2, (16,), {'strides': 8, 'padding': 'same'}), 'torch')\n"
            "heavy = {'scipy', 'matplotlib', 'ipywidgets', 'torch', 'tensorflow', 'keras', 'jax', 'onnx', 'cupy'}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
