"""Every CPU form against golden arrays from PyTorch and TensorFlow (made by scripts/make_golden.py, float64)."""
import json
from pathlib import Path

import numpy as np
import pytest

import tconv_edu as te
from tconv_cases import close

DATA = Path(__file__).resolve().parent / "data"
INDEX = json.loads((DATA / "golden_index.json").read_text())
TORCH = np.load(DATA / "golden_torch.npz")
TF = np.load(DATA / "golden_tf.npz")

CPU_FORMS = [m for m in te.FORMS if m != "gpu"]
TRANSPOSE = [e for e in INDEX["torch"] if e["kind"] == "conv_transpose2d"]
CONV = [e for e in INDEX["torch"] if e["kind"] == "conv2d"]
TF_CASES = INDEX["tf"]
TF_REJECTED = INDEX["tf_rejected"]
_close = close          # tests/test_gpu.py imports it under this name


def _ids(entries):
    return [e["name"] for e in entries]


def _params(entry):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in entry["params"].items()}


def _torch_arrays(entry):
    name = entry["name"]
    b = TORCH[f"{name}.b"] if entry["bias"] else None
    return TORCH[f"{name}.x"], TORCH[f"{name}.w"], b, TORCH[f"{name}.y"]


def test_grid_covers_every_parameter():
    """The golden grid is only worth its name if every parameter appears as an int and as an asymmetric pair."""
    seen = {}
    for e in TRANSPOSE:
        for k, v in e["params"].items():
            seen.setdefault(k, set()).add("pair" if isinstance(v, list) and v[0] != v[1] else "int")
    for k in ("stride", "padding", "output_padding", "dilation"):
        assert seen[k] == {"int", "pair"}, k
    assert {e["params"].get("groups", 1) for e in TRANSPOSE} >= {1, 2, 3, 4}
    ndims = {TORCH[f"{e['name']}.x"].ndim for e in TRANSPOSE}
    assert ndims == {2, 3, 4}
    assert {TORCH[f"{e['name']}.x"].shape[0] for e in TRANSPOSE if TORCH[f"{e['name']}.x"].ndim == 4} >= {1, 2, 3}
    assert any(e["bias"] for e in TRANSPOSE) and any(not e["bias"] for e in TRANSPOSE)
    layouts = {e["data_format"] for e in TF_CASES}
    pads = {e["padding"] if isinstance(e["padding"], str) else "explicit" for e in TF_CASES}
    assert layouts == {"NHWC", "NCHW"} and pads == {"SAME", "VALID", "explicit"}


@pytest.mark.parametrize("method", CPU_FORMS)
@pytest.mark.parametrize("entry", TRANSPOSE, ids=_ids(TRANSPOSE))
def test_forms_match_torch_float64(method, entry):
    x, w, b, want = _torch_arrays(entry)
    got = te.conv_transpose2d(x, w, b, method=method, **_params(entry))
    assert got.dtype == np.float64
    close(got, want, 1e-10)


@pytest.mark.parametrize("method", CPU_FORMS)
@pytest.mark.parametrize("entry", TRANSPOSE, ids=_ids(TRANSPOSE))
def test_forms_match_torch_float32(method, entry):
    x, w, b, want = _torch_arrays(entry)
    f32 = [None if a is None else a.astype(np.float32) for a in (x, w, b)]
    got = te.FORMS[method](*f32, **_params(entry))
    assert got.dtype == np.float32
    close(got.astype(np.float64), want, 1e-5)


@pytest.mark.parametrize("entry", CONV, ids=_ids(CONV))
def test_conv2d_matches_torch(entry):
    x, w, b, want = _torch_arrays(entry)
    got = te.conv2d(x, w, b, **_params(entry))
    assert got.dtype == np.float64
    close(got, want, 1e-10)
    got32 = te.conv2d(x.astype(np.float32), w.astype(np.float32), None if b is None else b.astype(np.float32),
                      **_params(entry))
    assert got32.dtype == np.float32
    close(got32.astype(np.float64), want, 1e-5)


def _tf_call(entry, x, f, dtype=np.float64):
    kw = {"data_format": entry["data_format"]}
    if entry["op"] == "atrous":           # tf.nn.atrous_conv2d_transpose: stride 1, dilation = rate
        kw["dilations"] = entry["dilations"]
    padding = entry["padding"]
    return te.conv2d_transpose(x.astype(dtype), f.astype(dtype), entry["output_shape"], entry["strides"],
                               padding=padding, **kw)


@pytest.mark.parametrize("entry", TF_CASES, ids=_ids(TF_CASES))
def test_conv2d_transpose_matches_tensorflow(entry):
    name = entry["name"]
    x, f, want = TF[f"{name}.x"], TF[f"{name}.f"], TF[f"{name}.y"]
    got = _tf_call(entry, x, f)
    assert got.dtype == np.float64
    assert list(got.shape) == entry["output_shape"]
    close(got, want, 1e-10)
    got32 = _tf_call(entry, x, f, np.float32)
    assert got32.dtype == np.float32
    close(got32.astype(np.float64), want, 1e-5)


def test_every_size_tensorflow_accepts_is_accepted():
    """For stride > 1 several sizes are valid; the grid holds arrays for all of them, per axis."""
    probes = {}
    for r in TF_REJECTED:
        if r["axis"]:
            prefix, size = r["name"].rsplit("_", 1)
            probes[prefix, size[0]] = r["tf_valid"]
    assert len(probes) >= 8
    for (prefix, axis), valid in probes.items():
        assert len(valid) >= 2, prefix      # stride > 1 everywhere in the probes
        have = sorted(int(e["name"].rsplit("_", 1)[1][1:]) for e in TF_CASES
                      if e["name"].rsplit("_", 1)[0] == prefix and e["name"].rsplit("_", 1)[1][0] == axis)
        assert have == valid, (prefix, axis)


@pytest.mark.parametrize("case", TF_REJECTED, ids=_ids(TF_REJECTED))
def test_conv2d_transpose_rejects_what_tensorflow_rejects(case):
    rng = np.random.default_rng(0)
    x, f = rng.standard_normal(case["x_shape"]), rng.standard_normal(case["f_shape"])
    with pytest.raises(te.ArgumentError) as info:
        te.conv2d_transpose(x, f, case["output_shape"], case["strides"], padding=case["padding"])
    msg = str(info.value)
    assert "output_shape" in msg
    if case["axis"]:
        valid = case["tf_valid"]
        # the message lists the valid sizes of the offending axis, as a range lo..hi
        assert f"valid {case['axis']}s: {valid[0]}..{valid[-1]}" in msg, msg
        bad = case["output_shape"][1 if case["axis"] == "height" else 2]
        assert str(bad) in msg


def test_no_valid_size_is_said_plainly():
    """Explicit padding can crop so much that no height convolves back (TF rejects every one, see tf_no_valid_*):
    the message must not offer an empty range such as '1..0' as the valid sizes."""
    cases = [r for r in TF_REJECTED if r["name"].startswith("tf_no_valid_height")]
    assert cases
    for case in cases:
        with pytest.raises(te.ArgumentError) as info:
            te.conv2d_transpose(np.ones(case["x_shape"]), np.ones(case["f_shape"]), case["output_shape"],
                                case["strides"], padding=case["padding"])
        msg = str(info.value)
        assert "1..0" not in msg, msg
        assert "no height" in msg or "valid heights: none" in msg, msg


@pytest.mark.parametrize("strides", [2, [2], (2, 2), [1, 2, 2, 1]])
def test_tf_strides_spellings_tensorflow_accepts(strides):
    """tf.nn.conv2d_transpose takes strides as an int or a list of 1, 2 or 4 ints (4: data_format order)."""
    entry = next(e for e in TF_CASES if e["name"] == "tf_same_k4_s2_dcgan")
    x, f, want = (TF[f"{entry['name']}.{k}"] for k in "xfy")
    close(te.conv2d_transpose(x, f, entry["output_shape"], strides), want, 1e-10)
    if isinstance(strides, list) and len(strides) == 4:     # the same spelling in NCHW order
        nchw = te.conv2d_transpose(x.transpose(0, 3, 1, 2), f, [2, 2, 8, 8], [1, 1, 2, 2], data_format="NCHW")
        close(nchw, want.transpose(0, 3, 1, 2), 1e-10)
