"""Bad input: every error case of the contract, each its own test, for every CPU form.

Each case checks the exception type (``ArgumentError``, a ``ValueError``, or ``TypeError``), that the message
names the argument and the value, that it was raised by the rules module (``tconv_edu/shapes.py``, or
``frameworks/tf.py`` for the TF entry point) rather than from deep inside numpy, and that no form's computation
(its module's ``transpose``) was reached.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import tconv_edu as te
from tconv_edu import ArgumentError

CPU_FORMS = [m for m in te.FORMS if m != "gpu"]
X = np.ones((2, 4, 5, 5))            # N=2, C_in=4, 5x5
W = np.ones((4, 3, 3, 3))            # (C_in, C_out/groups, kH, kW): C_out=3 with groups=1
B = np.ones(3)


# the functions that do a form's work, where its public function does not go through ``transpose(spec)``
WORK = {"tconv_edu.matrix": ("_transposed", "_apply")}


@pytest.fixture
def no_work(monkeypatch):
    """Make every form's computation (and conv2d's) fail loudly if an error case ever reaches it."""
    def reached(*args, **kwargs):
        raise AssertionError("the computation ran before the bad argument was reported")

    modules = {sys.modules[fn.__module__] for fn in te.FORMS.values()} | {te.frameworks.tf, sys.modules["tconv_edu.frameworks._base"]}
    for module in modules:
        for name in ("transpose",) + WORK.get(module.__name__, ()):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, reached)
    monkeypatch.setattr(te.conv, "_conv2d", reached)
    return reached


def test_every_cpu_form_has_its_work_guarded():
    for m in CPU_FORMS:
        module = sys.modules[te.FORMS[m].__module__]
        for name in ("transpose",) + WORK.get(module.__name__, ()):
            assert callable(getattr(module, name, None)), (m, name)


def test_the_guard_fires_on_a_good_call(no_work):
    """Without this, a guard that patched the wrong name would let every 'before any work' check pass."""
    for m in CPU_FORMS:
        with pytest.raises(AssertionError, match="computation ran"):
            te.FORMS[m](X, W)
    with pytest.raises(AssertionError, match="computation ran"):
        te.conv2d(X, np.ones((3, 4, 3, 3)))
    with pytest.raises(AssertionError, match="computation ran"):
        te.conv2d_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 3)), (1, 8, 8, 2), 2)


def raised_by_the_rules(info, allowed=("shapes.py",)):
    """The last traceback frame is in tconv_edu's rules module (or a framework's), not numpy or a computation."""
    last = Path(str(info.traceback[-1].path))
    assert last.parent.name in ("tconv_edu", "frameworks") and last.name in allowed, f"raised from {last}"
    assert not any("numpy" in str(entry.path) for entry in info.traceback)


# id: (changes to the call x=X, weight=W, bias=None, params={}), exception, words the message must hold
CASES = {
    "x_1d": ({"x": np.ones(5)}, ArgumentError, ["x", "(5,)"]),
    "x_5d": ({"x": np.ones((1, 2, 4, 5, 5))}, ArgumentError, ["x", "(1, 2, 4, 5, 5)"]),
    "x_0d": ({"x": np.float64(3.0)}, ArgumentError, ["x", "()"]),
    "x_empty_spatial": ({"x": np.ones((2, 4, 0, 5))}, ArgumentError, ["x", "(2, 4, 0, 5)"]),
    "weight_3d": ({"weight": np.ones((4, 3, 3))}, ArgumentError, ["weight", "(4, 3, 3)"]),
    "weight_empty_kernel": ({"weight": np.ones((4, 3, 0, 3))}, ArgumentError, ["weight", "(4, 3, 0, 3)"]),
    "weight_2d_with_4d_x": ({"weight": np.ones((3, 3))}, ArgumentError, ["weight", "(3, 3)", "2-D"]),
    "weight_2d_with_3d_x": ({"x": np.ones((4, 5, 5)), "weight": np.ones((3, 3))}, ArgumentError,
                            ["weight", "(3, 3)", "2-D"]),
    "weight_4d_with_2d_x": ({"x": np.ones((5, 5))}, ArgumentError, ["weight", "(4, 3, 3, 3)", "2-D"]),
    "channel_mismatch": ({"weight": np.ones((3, 4, 3, 3))}, ArgumentError, ["weight", "(3, 4, 3, 3)", "C_in=4"]),
    "channel_mismatch_3d_x": ({"x": np.ones((2, 5, 5))}, ArgumentError, ["weight", "C_in=2"]),
    "groups_not_dividing_c_in": ({"params": {"groups": 3}}, ArgumentError, ["groups=3", "C_in=4"]),
    "groups_zero": ({"params": {"groups": 0}}, ArgumentError, ["groups=0", ">= 1"]),
    "groups_negative": ({"params": {"groups": -2}}, ArgumentError, ["groups=-2", ">= 1"]),
    "stride_zero": ({"params": {"stride": 0}}, ArgumentError, ["stride=0", ">= 1"]),
    "stride_pair_negative": ({"params": {"stride": (1, -1)}}, ArgumentError, ["stride=(1, -1)", ">= 1"]),
    "dilation_zero": ({"params": {"dilation": 0}}, ArgumentError, ["dilation=0", ">= 1"]),
    "dilation_pair_zero": ({"params": {"dilation": (0, 2)}}, ArgumentError, ["dilation=(0, 2)", ">= 1"]),
    "padding_negative": ({"params": {"padding": -1}}, ArgumentError, ["padding=-1", ">= 0"]),
    "padding_pair_negative": ({"params": {"padding": (0, -2)}}, ArgumentError, ["padding=(0, -2)", ">= 0"]),
    "output_padding_negative": ({"params": {"output_padding": -1}}, ArgumentError, ["output_padding=-1", ">= 0"]),
    "output_padding_equal_to_stride": ({"params": {"stride": 2, "output_padding": 2}}, ArgumentError,
                                       ["output_padding=2", "stride (2)", "dilation (1)", "smaller"]),
    "output_padding_with_stride_1": ({"params": {"output_padding": 1}}, ArgumentError,
                                     ["output_padding=1", "stride (1)", "dilation (1)"]),
    "output_padding_pair_too_big": ({"params": {"stride": (2, 3), "dilation": (1, 2), "output_padding": (1, 3)}},
                                    ArgumentError, ["output_padding=(1, 3)", "stride (3)", "dilation (2)"]),
    "output_size_below_1": ({"params": {"padding": 4}}, ArgumentError, ["padding=4", "-1 < 1"]),
    "output_size_below_1_width": ({"params": {"padding": (0, 4)}}, ArgumentError, ["padding=(0, 4)", "width"]),
    "bias_wrong_length": ({"bias": np.ones(4)}, ArgumentError, ["bias", "(3,)", "(4,)"]),
    "bias_2d": ({"bias": np.ones((3, 1))}, ArgumentError, ["bias", "(3,)", "(3, 1)"]),
    "bias_groups_length": ({"bias": np.ones(3), "params": {"groups": 2}}, ArgumentError, ["bias", "(6,)", "(3,)"]),
    "x_complex": ({"x": X.astype(complex)}, TypeError, ["x", "complex"]),
    "weight_complex": ({"weight": W.astype(np.complex64)}, TypeError, ["weight", "complex"]),
    "bias_complex": ({"bias": B.astype(complex)}, TypeError, ["bias", "complex"]),
    "x_object": ({"x": X.astype(object)}, TypeError, ["x", "object"]),
    "weight_object": ({"weight": W.astype(object)}, TypeError, ["weight", "object"]),
    "x_strings": ({"x": np.full((2, 4, 5, 5), "1")}, TypeError, ["x", "<U1"]),
    "x_a_string": ({"x": "12"}, TypeError, ["x", "<U2"]),
    "bias_strings": ({"bias": ["a", "b", "c"]}, TypeError, ["bias", "<U1"]),
    "x_ragged_list": ({"x": [[1.0, 2.0], [3.0]]}, TypeError, ["x", "list"]),
    "x_none": ({"x": None}, TypeError, ["x", "None"]),
    "weight_none": ({"weight": None}, TypeError, ["weight", "None"]),
    "pair_too_long": ({"params": {"stride": (1, 2, 3)}}, ArgumentError, ["stride=(1, 2, 3)", "pair", "3 values"]),
    "pair_too_short": ({"params": {"padding": (1,)}}, ArgumentError, ["padding=(1,)", "pair", "1 values"]),
    "pair_as_list_too_long": ({"params": {"dilation": [1, 1, 1]}}, ArgumentError, ["dilation=[1, 1, 1]", "pair"]),
    "pair_empty": ({"params": {"output_padding": ()}}, ArgumentError, ["output_padding=()", "pair"]),
}
# non-integer parameters: a TypeError naming the parameter and showing the value, never a silent conversion
for _name in ("stride", "padding", "output_padding", "dilation", "groups"):
    for _label, _value in (("float", 1.5), ("whole_float", 2.0), ("bool", True), ("str", "2"), ("none", None),
                           ("numpy_float", np.float64(1.0)), ("numpy_bool", np.bool_(True))):
        CASES[f"{_name}_{_label}"] = ({"params": {_name: _value}}, TypeError, [f"{_name}={_value!r}"])
    if _name != "groups":
        CASES[f"{_name}_pair_with_float"] = ({"params": {_name: (1, 0.5)}}, TypeError, [_name, "0.5"])


def _call(fn, changes):
    args = {"x": X, "weight": W, "bias": None, "params": {}}
    args.update(changes)
    return fn(args["x"], args["weight"], args["bias"], **args["params"])


@pytest.mark.parametrize("method", CPU_FORMS)
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_error(case, method, no_work):
    changes, exc, words = CASES[case]
    with pytest.raises(exc) as info:
        _call(te.FORMS[method], changes)
    assert info.type is exc          # ArgumentError for shapes and values, TypeError for types; nothing else
    msg = str(info.value)
    for word in words:
        assert word in msg, f"{word!r} missing from: {msg}"
    raised_by_the_rules(info)


def test_argument_error_is_a_value_error():
    assert issubclass(ArgumentError, ValueError) and not issubclass(ArgumentError, TypeError)
    assert te.shapes.ArgumentError is ArgumentError


@pytest.mark.parametrize("case", ["channel_mismatch", "stride_zero", "output_padding_equal_to_stride",
                                  "x_complex", "stride_float", "pair_too_long"])
def test_errors_through_the_dispatcher(case, no_work):
    changes, exc, words = CASES[case]
    for method in CPU_FORMS:
        with pytest.raises(exc) as info:
            _call(lambda *a, **k: te.conv_transpose2d(*a, method=method, **k), changes)
        assert all(w in str(info.value) for w in words)
        raised_by_the_rules(info)


def test_numpy_integer_parameters_are_accepted():
    y = te.conv_transpose2d(X, W, stride=np.int64(2), padding=(np.int32(1), 1), groups=np.int8(1))
    assert y.shape == (2, 3, 9, 9)


def test_parameters_after_bias_are_keyword_only():
    with pytest.raises(TypeError):
        te.conv_transpose2d(X, W, None, 2)
    for method in CPU_FORMS:
        with pytest.raises(TypeError):
            te.FORMS[method](X, W, None, 2)


@pytest.mark.parametrize("method", ["fft", "Scatter", "", None, 1, "gpu " ])
def test_method_must_name_a_form(method, no_work):
    with pytest.raises(ArgumentError) as info:
        te.conv_transpose2d(X, W, method=method)
    msg = str(info.value)
    assert f"method={method!r}" in msg and "scatter" in msg and "direct" in msg
    raised_by_the_rules(info, allowed=("__init__.py",))


# ------------------------------------------------------------------------------------------------- conv2d

CONV_CASES = {
    "channel_mismatch": ({"weight": np.ones((3, 3, 3, 3))}, ArgumentError, ["weight", "(3, 3, 3, 3)", "C_in=4"]),
    "groups_not_dividing_c_out": ({"weight": np.ones((3, 2, 3, 3)), "params": {"groups": 2}}, ArgumentError,
                                  ["groups=2", "C_out=3"]),
    "kernel_larger_than_padded_input": ({"weight": np.ones((3, 4, 7, 3))}, ArgumentError,
                                        ["kernel_size", "7", "5"]),
    "stride_zero": ({"weight": np.ones((3, 4, 3, 3)), "params": {"stride": 0}}, ArgumentError, ["stride=0"]),
    "padding_negative": ({"weight": np.ones((3, 4, 3, 3)), "params": {"padding": -1}}, ArgumentError,
                         ["padding=-1"]),
    "bias_wrong_length": ({"weight": np.ones((3, 4, 3, 3)), "bias": np.ones(4)}, ArgumentError,
                          ["bias", "(3,)", "(4,)"]),
    "dilation_float": ({"weight": np.ones((3, 4, 3, 3)), "params": {"dilation": 1.5}}, TypeError,
                       ["dilation=1.5"]),
    "x_complex": ({"x": X.astype(complex), "weight": np.ones((3, 4, 3, 3))}, TypeError, ["x", "complex"]),
}


@pytest.mark.parametrize("case", list(CONV_CASES), ids=list(CONV_CASES))
def test_conv2d_error(case, no_work):
    changes, exc, words = CONV_CASES[case]
    with pytest.raises(exc) as info:
        _call(te.conv2d, changes)
    assert info.type is exc
    assert all(w in str(info.value) for w in words), str(info.value)
    raised_by_the_rules(info)


# ---------------------------------------------------------------------------------------------- size helpers

def test_output_padding_for_unreachable_size_lists_the_valid_ones():
    with pytest.raises(ArgumentError) as info:
        te.output_padding_for(4, (9, 8), 3, stride=2, padding=1)
    assert "output_size=(9, 8)" in str(info.value) and "7..8" in str(info.value)
    raised_by_the_rules(info)


def test_output_size_below_1_is_reported_by_output_size():
    with pytest.raises(ArgumentError, match=r"padding=2: the output height would be -2 < 1"):
        te.output_size(1, 2, padding=2)


# ------------------------------------------------------------------------------------------ TF entry point
XT = np.ones((1, 4, 4, 3))              # NHWC
FT = np.ones((3, 3, 2, 3))              # (kH, kW, C_out, C_in)

TF_CASES = {
    "output_shape_height_inconsistent": ({"output_shape": (1, 9, 8, 2)}, ArgumentError,
                                         ["output_shape", "height 9", "valid heights: 7..8"]),
    "output_shape_width_inconsistent": ({"output_shape": (1, 8, 6, 2)}, ArgumentError,
                                        ["output_shape", "width 6", "valid widths: 7..8"]),
    "output_shape_valid_padding": ({"output_shape": (1, 8, 8, 2), "padding": "VALID"}, ArgumentError,
                                   ["output_shape", "height 8", "valid heights: 9..10"]),
    "output_shape_batch": ({"output_shape": (2, 8, 8, 2)}, ArgumentError, ["output_shape", "batch 2"]),
    "output_shape_channels": ({"output_shape": (1, 8, 8, 3)}, ArgumentError, ["output_shape", "channels 3"]),
    "output_shape_length": ({"output_shape": (8, 8, 2)}, ArgumentError, ["output_shape=(8, 8, 2)", "4"]),
    "output_shape_float": ({"output_shape": (1, 8.0, 8, 2)}, TypeError, ["output_shape", "8.0"]),
    "filters_channel_mismatch": ({"filters": np.ones((3, 3, 2, 4))}, ArgumentError, ["filters", "4", "3"]),
    "filters_3d": ({"filters": np.ones((3, 3, 2))}, ArgumentError, ["filters", "(3, 3, 2)"]),
    "input_3d": ({"input": np.ones((4, 4, 3))}, ArgumentError, ["input", "(4, 4, 3)"]),
    "padding_word": ({"padding": "FULL"}, ArgumentError, ["padding='FULL'"]),
    "padding_lower_case": ({"padding": "same"}, ArgumentError, ["padding='same'", "upper case"]),   # as TF
    "padding_int": ({"padding": 1}, TypeError, ["padding=1", "(before, after) pairs"]),
    "padding_flat_pair": ({"padding": [1, 2]}, ArgumentError, ["padding=[1, 2]", "(before, after) pair"]),  # as TF
    "padding_flat_four": ({"padding": [0, 1, 1, 0]}, ArgumentError, ["padding=[0, 1, 1, 0]", "(before, after)"]),
    "padding_two_pairs": ({"padding": [[1, 0], [1, 0]]}, ArgumentError, ["padding=[[1, 0], [1, 0]]", "size 4"]),
    "padding_explicit_batch_nonzero": ({"padding": [[1, 0], [1, 1], [1, 1], [0, 0]]}, ArgumentError,
                                       ["padding", "batch"]),
    "padding_explicit_negative": ({"padding": [[0, 0], [-1, 1], [1, 1], [0, 0]], "output_shape": (1, 8, 8, 2)},
                                  ArgumentError, ["padding", ">= 0"]),
    "strides_zero": ({"strides": 0}, ArgumentError, ["strides=0"]),
    "strides_float": ({"strides": 1.5}, TypeError, ["strides=1.5"]),
    "strides_batch_entry": ({"strides": [2, 2, 2, 2]}, ArgumentError, ["strides=[2, 2, 2, 2]", "batch"]),
    "data_format": ({"data_format": "NWHC"}, ArgumentError, ["data_format='NWHC'"]),
    "input_complex": ({"input": XT.astype(complex)}, TypeError, ["input", "complex"]),
}


@pytest.mark.parametrize("case", list(TF_CASES), ids=list(TF_CASES))
def test_tf_error(case, no_work):
    changes, exc, words = TF_CASES[case]
    args = {"input": XT, "filters": FT, "output_shape": (1, 8, 8, 2), "strides": 2}
    args.update(changes)
    with pytest.raises(exc) as info:
        te.conv2d_transpose(**args)
    assert info.type is exc
    assert all(w in str(info.value) for w in words), str(info.value)
    raised_by_the_rules(info, allowed=("shapes.py", "tf.py", "_base.py"))


# ---------------------------------------------------------------------------------- empty batch and dtypes

@pytest.mark.parametrize("method", CPU_FORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_batch_returns_an_empty_array_of_the_right_shape(method, dtype):
    x = np.ones((0, 4, 5, 5), dtype=dtype)
    w = np.ones((4, 3, 3, 3), dtype=dtype)
    y = te.conv_transpose2d(x, w, np.ones(6, dtype=dtype), stride=2, padding=1, output_padding=1, groups=2,
                            method=method)
    assert y.shape == (0, 6, 10, 10) and y.dtype == dtype
    assert te.conv_transpose2d(x, w, method=method).shape == (0, 3, 7, 7)


def test_empty_batch_conv2d_and_tf():
    assert te.conv2d(np.ones((0, 4, 5, 5)), np.ones((2, 4, 3, 3))).shape == (0, 2, 3, 3)
    assert te.conv2d_transpose(np.ones((0, 4, 4, 3)), FT, (0, 8, 8, 2), 2).shape == (0, 8, 8, 2)


@pytest.mark.parametrize("method", CPU_FORMS)
@pytest.mark.parametrize("x_dtype, w_dtype, out_dtype", [
    (np.float32, np.float32, np.float32),
    (np.float64, np.float64, np.float64),
    (np.int64, np.int64, np.float64),
    (np.int32, np.int8, np.float64),
    (np.uint8, np.int64, np.float64),
    (np.int64, np.float64, np.float64),
    (np.float32, np.float64, np.float64),
])
def test_dtype_rules(method, x_dtype, w_dtype, out_dtype):
    x = np.arange(2 * 4 * 3 * 3).reshape(2, 4, 3, 3).astype(x_dtype) % 5
    w = np.arange(4 * 3 * 2 * 2).reshape(4, 3, 2, 2).astype(w_dtype) % 3
    y = te.conv_transpose2d(x, w, stride=2, method=method)
    assert y.dtype == out_dtype
    want = te.conv_transpose2d(x.astype(np.float64), w.astype(np.float64), stride=2)
    np.testing.assert_allclose(y, want, rtol=1e-6 if out_dtype == np.float32 else 1e-12)


def test_dtype_rules_conv2d_and_tf():
    assert te.conv2d(np.ones((1, 2, 4, 4), np.float32), np.ones((3, 2, 3, 3), np.float32)).dtype == np.float32
    assert te.conv2d(np.ones((1, 2, 4, 4), int), np.ones((3, 2, 3, 3), int)).dtype == np.float64
    assert te.conv2d_transpose(XT.astype(np.float32), FT.astype(np.float32), (1, 8, 8, 2), 2).dtype == np.float32
    assert te.conv2d_transpose(XT.astype(int), FT.astype(int), (1, 8, 8, 2), 2).dtype == np.float64


@pytest.mark.parametrize("stride", [0, (2, 0), -1])
def test_zero_insert_rejects_strides_below_one(stride):
    """Not numpy's 'slice step cannot be zero' (or a silently reversed image for a negative step)."""
    with pytest.raises(ArgumentError, match=r"stride=.*must be >= 1"):
        te.direct.zero_insert(np.ones((2, 2)), stride)
