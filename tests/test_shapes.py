"""The small helpers of ``tconv_edu.shapes`` that every module checks its scalar arguments with."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tconv_edu import ArgumentError, shapes
from tconv_edu.frameworks import tf

NOT_INTS = [True, False, np.bool_(True), 2.0, 1.5, np.float64(3.0), np.float32(1.0), "2", None, [2], 1 + 0j]
NUMPY_INTS = [np.int8(3), np.int32(3), np.int64(3), np.uint16(3)]


# ------------------------------------------------------------------------------------------------ positive_int

@pytest.mark.parametrize("value", NOT_INTS, ids=repr)
def test_positive_int_refuses_non_integers_with_a_type_error_naming_the_argument_and_value(value):
    with pytest.raises(TypeError) as err:
        shapes.positive_int("groups", value)
    assert f"groups={value!r}" in str(err.value) and "expected an int" in str(err.value)


@pytest.mark.parametrize("value", [0, -1, -7, np.int64(0), np.int32(-2)], ids=repr)
def test_positive_int_refuses_zero_and_negatives_naming_argument_value_and_rule(value):
    with pytest.raises(ArgumentError) as err:
        shapes.positive_int("stride", value)
    assert str(err.value) == f"stride={int(value)}: must be >= 1"


@pytest.mark.parametrize("value", NUMPY_INTS + [1, 5], ids=repr)
def test_positive_int_accepts_python_and_numpy_integers_as_a_plain_int(value):
    got = shapes.positive_int("k", value)
    assert got == int(value) and type(got) is int


def test_positive_int_adds_the_reason():
    with pytest.raises(ArgumentError, match=r'^group=0: must be >= 1 \(ONNX: "Attribute group must be > 0"\)$'):
        shapes.positive_int("group", 0, ' (ONNX: "Attribute group must be > 0")')


def test_int_at_least_takes_any_lower_bound():
    assert shapes.int_at_least("margin", 0, 0) == 0
    with pytest.raises(ArgumentError, match=r"^margin=-1: must be >= 0$"):
        shapes.int_at_least("margin", -1, 0)
    with pytest.raises(TypeError, match=r"margin=0\.5"):
        shapes.int_at_least("margin", 0.5, 0)


# ------------------------------------------------------------------------------------------------- real_scalar

@pytest.mark.parametrize("value", [1, 0, -2.5, np.float64(0.25), np.float32(0.5), np.int64(3)], ids=repr)
def test_real_scalar_accepts_real_numbers_as_a_float(value):
    got = shapes.real_scalar("lr", value)
    assert got == float(value) and type(got) is float


@pytest.mark.parametrize("value", [True, np.bool_(False), "0.1", None, 1j, np.ones(1), [0.1]], ids=repr)
def test_real_scalar_refuses_bools_strings_and_containers(value):
    with pytest.raises(TypeError) as err:
        shapes.real_scalar("momentum", value)
    assert f"momentum={value!r}" in str(err.value) and "real number" in str(err.value)


# ---------------------------------------------------------------------------------------------------- ceil_div

@given(st.integers(-10 ** 6, 10 ** 6), st.integers(1, 1000))
def test_ceil_div_is_the_ceiling_of_the_quotient(a, b):
    assert shapes.ceil_div(a, b) == math.ceil(a / b)
    assert (shapes.ceil_div(a, b) - 1) * b < a <= shapes.ceil_div(a, b) * b


def test_ceil_div_is_exact_beyond_float_precision():
    a = 2 ** 60 + 1
    assert shapes.ceil_div(a, 2) == 2 ** 59 + 1 != math.ceil(a / 2)


# -------------------------------------------------------------------------------------------------------- pair

@pytest.mark.parametrize("value, want", [(2, (2, 2)), ((2, 3), (2, 3)), ([1, 4], (1, 4)), (np.int64(2), (2, 2)),
                                         (np.array([3, 1]), (3, 1)), ((np.int32(1), 2), (1, 2))])
def test_pair_normalises_ints_and_pairs(value, want):
    assert shapes.pair("stride", value) == want
    assert all(type(v) is int for v in shapes.pair("stride", value))


@pytest.mark.parametrize("value", [1.0, True, "2", None, (1, 0.5), (True, 1), (1, np.float64(2.0))], ids=repr)
def test_pair_refuses_non_integers(value):
    with pytest.raises(TypeError, match="dilation"):
        shapes.pair("dilation", value)


@pytest.mark.parametrize("value", [(), (1,), (1, 2, 3), np.ones((2, 2), int)], ids=repr)
def test_pair_refuses_other_lengths(value):
    with pytest.raises(ArgumentError) as err:
        shapes.pair("padding", value)
    assert str(err.value).startswith("padding=") and "pair (h, w)" in str(err.value)


def test_pair_with_a_minimum_names_the_axis_and_the_rule():
    assert shapes.pair("stride", (1, 2), 1) == (1, 2)
    assert shapes.pair("padding", 0, 0) == (0, 0)
    with pytest.raises(ArgumentError, match=r"^stride=0: must be >= 1 \(the height is 0\)$"):
        shapes.pair("stride", 0, 1)
    with pytest.raises(ArgumentError, match=r"^padding=\(0, -1\): must be >= 0 \(the width is -1\)$"):
        shapes.pair("padding", (0, -1), 0)
    with pytest.raises(ArgumentError, match=r"scale=\(2, 0\): must be >= 1 \(why\)"):
        shapes.pair("scale", (2, 0), 1, " (why)")


# ------------------------------------------------------------------------------------------ transpose_params

def test_transpose_params_normalises_and_checks_the_four_parameters():
    assert shapes.transpose_params() == ((1, 1), (0, 0), (0, 0), (1, 1))
    assert shapes.transpose_params((2, 3), 1, (1, 2), np.int64(1)) == ((2, 3), (1, 1), (1, 2), (1, 1))
    assert shapes.transpose_params(1, 0, 1, 2) == ((1, 1), (0, 0), (1, 1), (2, 2))     # op < dilation is enough


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(stride=0), ArgumentError, ["stride=0", ">= 1"]),
    (dict(dilation=(1, 0)), ArgumentError, ["dilation=(1, 0)", ">= 1", "width"]),
    (dict(padding=-1), ArgumentError, ["padding=-1", ">= 0", "crops"]),
    (dict(output_padding=-1), ArgumentError, ["output_padding=-1", ">= 0"]),
    (dict(stride=2, output_padding=2), ArgumentError, ["output_padding=2", "stride (2)", "dilation (1)"]),
    (dict(stride=2.0), TypeError, ["stride=2.0"]),
    (dict(padding=True), TypeError, ["padding=True"]),
])
def test_transpose_params_errors(kwargs, exc, words):
    with pytest.raises(exc) as err:
        shapes.transpose_params(**kwargs)
    for word in words:
        assert word in str(err.value)


# ------------------------------------------------------------------------------------------------------ sizes

def test_sizes_checks_length_types_and_minimum():
    assert shapes.sizes("x_shape", (1, np.int64(2), 3, 0), (4,), "4 sizes (N, C, H, W)") == (1, 2, 3, 0)
    with pytest.raises(ArgumentError, match=r"x_shape=\(1, 2\): expected 4 sizes"):
        shapes.sizes("x_shape", (1, 2), (4,), "4 sizes (N, C, H, W)")
    with pytest.raises(ArgumentError, match=r"input_shape='4x4': expected \(C, H, W\)"):
        shapes.sizes("input_shape", "4x4", (2, 3), "(C, H, W) or (H, W)")
    with pytest.raises(ArgumentError, match=r"input_shape=\(2, 0\): every size must be >= 1"):
        shapes.sizes("input_shape", (2, 0), (2, 3), "(C, H, W) or (H, W)", minimum=1)
    with pytest.raises(TypeError, match=r"input_shape=4\.0"):
        shapes.sizes("input_shape", (4.0, 4), (2, 3), "(C, H, W) or (H, W)")


# ------------------------------------------------------------------------------------ TensorFlow's argument forms

@pytest.mark.parametrize("value, fmt, want", [(2, "NHWC", (2, 2)), ([3], "NHWC", (3, 3)), ((2, 1), "NHWC", (2, 1)),
                                              ([1, 2, 3, 1], "NHWC", (2, 3)), ([1, 1, 2, 3], "NCHW", (2, 3))])
def test_tf_pair_reads_1_2_or_4_entries(value, fmt, want):
    assert tf.tf_pair("strides", value, fmt) == want


def test_tf_pair_refuses_batch_or_channel_strides():
    with pytest.raises(ArgumentError, match="strides=.*batch and channel entries must be 1"):
        tf.tf_pair("strides", [2, 2, 2, 1])


def test_tf_explicit_padding_takes_the_spatial_pairs_in_data_format_order():
    assert tf.tf_explicit_padding("SAME") == "SAME"
    assert tf.tf_explicit_padding([[0, 0], [1, 2], [3, 4], [0, 0]]) == [(1, 2), (3, 4)]
    assert tf.tf_explicit_padding([[0, 0], [0, 0], [1, 2], [3, 4]], "NCHW") == [(1, 2), (3, 4)]
    with pytest.raises(ArgumentError, match="batch and channel pairs must be"):
        tf.tf_explicit_padding([[1, 0], [1, 2], [3, 4], [0, 0]])
    with pytest.raises(ArgumentError, match="needs 4"):
        tf.tf_explicit_padding([[0, 0], [1, 2], [3, 4]])


def test_check_bias_names_the_expected_shape():
    shapes.check_bias(None, 3)
    shapes.check_bias(np.ones(3), 3)
    with pytest.raises(ArgumentError, match=r"bias: expected shape \(3,\) .* got \(4,\)"):
        shapes.check_bias(np.ones(4), 3)


def test_check_groups_is_the_one_groups_rule():
    assert shapes.check_groups(np.int64(2), {"C_in": 4, "C_out": 6}) == 2
    with pytest.raises(ArgumentError, match=r"^groups=4: must divide C_in=4 and C_out=6$"):
        shapes.check_groups(4, {"C_in": 4, "C_out": 6})
    with pytest.raises(ArgumentError, match=r"^group=0: must be >= 1$"):
        shapes.check_groups(0, {"C": 4}, name="group")
    with pytest.raises(TypeError, match="groups=2.0"):
        shapes.check_groups(2.0, {"C": 4})


@given(st.integers(1, 9), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3),
       st.integers(0, 3))
def test_input_size_inverts_output_size(n, k, s, p, d, op):
    op = op % max(s, d)
    try:
        out = shapes.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)
    except ArgumentError:
        return
    assert shapes.input_size(out, k, stride=s, padding=p, output_padding=op, dilation=d) == (n, n)
    if s > 1:                                    # one row more is no output of any input at this stride
        with pytest.raises(ArgumentError, match="output_size"):
            shapes.input_size((out[0] + 1, out[1]), k, stride=s, padding=p, output_padding=op, dilation=d)


def test_kernel_span_is_the_dilated_kernel_size():
    assert [shapes.kernel_span(k, d) for k, d in ((1, 5), (3, 1), (3, 2), (4, 3))] == [1, 3, 5, 10]


# ------------------------------------------------------------------------------------ any number of axes (ranks)

@pytest.mark.parametrize("rank", [1, 2, 3, 4])
def test_ntuple_takes_an_int_or_exactly_rank_values(rank):
    assert shapes.ntuple("stride", 2, rank) == (2,) * rank
    assert shapes.ntuple("stride", list(range(1, rank + 1)), rank) == tuple(range(1, rank + 1))
    assert shapes.ntuple("stride", np.arange(1, rank + 1), rank, 1) == tuple(range(1, rank + 1))
    with pytest.raises(ArgumentError, match=rf"^padding=\(1,\) \* {rank + 1}|^padding=\(1(, 1)*\): expected an int or"):
        shapes.ntuple("padding", (1,) * (rank + 1), rank)
    with pytest.raises(TypeError, match="^dilation=1.5"):
        shapes.ntuple("dilation", 1.5, rank)
    with pytest.raises(ArgumentError, match=r"^stride=0: must be >= 1 \(the "):
        shapes.ntuple("stride", 0, rank, 1)


def test_ntuple_messages_name_the_axes():
    with pytest.raises(ArgumentError, match=r"^stride=\(2, 0, 1\): must be >= 1 \(the height is 0\)$"):
        shapes.ntuple("stride", (2, 0, 1), 3, 1)
    with pytest.raises(ArgumentError, match=r"^stride=0: must be >= 1 \(the length is 0\)$"):
        shapes.ntuple("stride", 0, 1, 1)
    with pytest.raises(ArgumentError, match=r"expected an int or a triple \(d, h, w\), got 2 values"):
        shapes.ntuple("stride", (1, 2), 3)
    with pytest.raises(ArgumentError, match=r"expected an int or a pair \(h, w\), got 3 values"):
        shapes.pair("stride", (1, 2, 3))                    # the 2-D message is unchanged
    assert shapes.axes(1) == ("length",) and shapes.axes(3) == ("depth", "height", "width")
    assert shapes.show((2, 2, 2)) == 2 and shapes.show((1, 2, 1)) == (1, 2, 1) and shapes.show((3,)) == 3


def test_rank_of_reads_the_first_tuple_else_two():
    assert shapes.rank_of(None, a=4, b=3) == 2
    assert shapes.rank_of(None, a=4, b=(3,)) == 1
    assert shapes.rank_of(None, a=(4, 4, 4), b=(3,)) == 3        # the first tuple decides; the others are checked
    assert shapes.rank_of(3, a=4) == 3
    with pytest.raises(ArgumentError, match="^kernel_size=\\(3,\\): expected an int or a triple"):
        shapes.output_size((4, 4, 4), (3,))
    with pytest.raises(ArgumentError, match="^rank=0: must be >= 1"):
        shapes.output_size(4, 3, rank=0)


@given(st.integers(1, 3), st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2),
       st.integers(1, 2))
def test_size_helpers_agree_per_axis_with_the_2d_ones(rank, n, k, s, p, d):
    """In any rank each axis follows the 2-D rule on that axis alone."""
    try:
        want = shapes.output_size(n, k, stride=s, padding=p, dilation=d)[0]
    except ArgumentError:
        with pytest.raises(ArgumentError):
            shapes.output_size((n,) * rank, k, stride=s, padding=p, dilation=d)
        return
    assert shapes.output_size((n,) * rank, k, stride=s, padding=p, dilation=d) == (want,) * rank
    full = shapes.full_size(n, k, stride=s, dilation=d)[0]
    assert shapes.full_size((n,) * rank, k, stride=s, dilation=d) == (full,) * rank
    assert shapes.input_size((want,) * rank, k, stride=s, padding=p, dilation=d) == (n,) * rank


def test_transpose_spec_in_1d_and_3d():
    spec = shapes.transpose_spec(np.ones((3, 7)), np.ones((3, 2, 4)), stride=2, padding=1, rank=1)
    assert spec.rank == 1 and spec.x.shape == (1, 3, 7) and spec.out_shape == (1, 2, 14) and spec.input_ndim == 2
    spec = shapes.transpose_spec(np.ones((2, 2, 2)), np.ones((2, 2, 2)), stride=2, rank=3)
    assert spec.rank == 3 and spec.x.shape == (1, 1, 2, 2, 2) and spec.finish(np.ones(spec.out_shape)).shape == (4,) * 3
    with pytest.raises(ArgumentError, match=r"^x: expected \(N, C_in, L\), \(C_in, L\) or \(L,\), got shape"):
        shapes.transpose_spec(np.ones((1, 1, 1, 4)), np.ones((1, 1, 3)), rank=1)
    with pytest.raises(ArgumentError, match=r"^weight: a 3-D x \(D, H, W\) takes a 3-D kernel \(kD, kH, kW\)"):
        shapes.transpose_spec(np.ones((2, 2, 2)), np.ones((1, 1, 2, 2, 2)), rank=3)
