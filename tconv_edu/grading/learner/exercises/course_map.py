"""Where the course teaches each exercise and each recognised mistake: a notebook and a section (its ``##`` title).

The class report and the learners' feedback point to these sections; a test checks that every exercise and mistake
has one and that each section exists in its notebook.

>>> where("scatter_strided", "crop_minus_p")
'02_shapes.ipynb, section "Padding crops the output"'
"""
from __future__ import annotations

__all__ = ["SECTIONS", "where"]

_SCATTER = ("01_scatter.ipynb", "The scatter formula")
_STRIDE = ("01_scatter.ipynb", "What the stride does")
_CHANNELS = ("01_scatter.ipynb", "Channels")
_GROUPS = ("01_scatter.ipynb", "Groups")
_FORMULA = ("02_shapes.ipynb", "The formula, term by term")
_PADDING = ("02_shapes.ipynb", "Padding crops the output")
_OUTPUT_PADDING = ("02_shapes.ipynb", "output_padding adds computed rows, not zeros")
_LAYOUTS = ("02_shapes.ipynb", "Weight layouts")
_TF_SAME = ("08_porting.ipynb", "Porting TF 'SAME': the one-pixel shift")
_MATRIX = ("03_matrix.ipynb", "A convolution is a matrix")
_GRADIENT = ("03_matrix.ipynb", "The gradient of conv2d is a transposed convolution")
_ZERO_INSERTION = ("04_views.ipynb", "Zero insertion, padding and a flipped kernel")
_OVERLAP = ("05_checkerboard.ipynb", "Counting stamps in 1-D")
_RESIZE = ("05_checkerboard.ipynb", "Resize-convolution is a transposed convolution")
_BILINEAR = ("07_learned_upsampling.ipynb", "Initialising a layer with channels")
_LINE = ("09_one_and_three_dimensions.ipynb", "Stamps on a line")
_DILATION = ("02_shapes.ipynb", "Dilation is not the upsampling factor")

#: exercise id -> (notebook, section) of the exercise itself, and mistake name -> (notebook, section)
SECTIONS = {
    "scatter_2d": (_SCATTER, {"assign": _SCATTER, "flipped": ("01_scatter.ipynb", "One stamp at a time"),
                              "size": ("01_scatter.ipynb", "Why the seed article's 4 x 4 cannot be right")}),
    "scatter_strided": (_STRIDE, {"pad_input": _PADDING, "crop_one_side": _PADDING, "crop_minus_p": _PADDING,
                                  "stride_on_kernel": _STRIDE}),
    "output_size": (_FORMULA, {"plus_one": _FORMULA, "output_padding_rule": _OUTPUT_PADDING,
                               "dilation": ("02_shapes.ipynb", "Dilation is not the upsampling factor"),
                               "no_checks": ("02_shapes.ipynb", "The valid range, and PyTorch's `output_size`"),
                               "keras_rule": ("08_porting.ipynb",
                                              "Keras: `output_padding=None` is not `output_padding=0`")}),
    "conv_matrix": (_MATRIX, {"flipped": _MATRIX,
                              "transposed": ("03_matrix.ipynb", "Cᵀ is the transposed convolution")}),
    "zero_insertion": (_ZERO_INSERTION, {"no_flip": _ZERO_INSERTION, "stride_zeros": _ZERO_INSERTION,
                                         "pad_k_minus_1": _ZERO_INSERTION}),
    "input_gradient": (_GRADIENT, {"output_padding": _OUTPUT_PADDING, "zero_rows": _GRADIENT}),
    "overlap": (_OVERLAP, {"k_ge_stride": _OVERLAP}),
    "multi_channel": (_CHANNELS, {"weight_layout": _LAYOUTS, "bias_per_input": _CHANNELS,
                                  "sum_channels_first": _CHANNELS, "no_bias": _CHANNELS}),
    "bilinear_kernel": (_BILINEAR, {"all_pairs": _BILINEAR, "off_centre": _BILINEAR, "factor": _BILINEAR}),
    "port_tf_same": (_TF_SAME, {"usual_port": _TF_SAME, "crop_wrong_side": _TF_SAME, "larger_padding": _TF_SAME,
                                "no_output_padding": _TF_SAME, "tf_pads_as_crop": _TF_SAME}),
    "grouped": (_GROUPS, {"out_channels": _GROUPS, "weight_layout": _LAYOUTS, "bias_per_group": _GROUPS,
                          "interleaved": _GROUPS}),
    "resize_conv_kernel": (_RESIZE, {"no_flip": _RESIZE, "transposed": _RESIZE, "zero_stuffed": _RESIZE,
                                     "box_mean": _RESIZE}),
    "scatter_1d": (_LINE, {"assign": _LINE, "no_dilation": _DILATION, "stride_on_kernel": _LINE,
                           "pad_input": _PADDING, "crop_one_side": _PADDING, "output_padding_zeros": _OUTPUT_PADDING,
                           "size": ("09_one_and_three_dimensions.ipynb", "The size rule, per axis")}),
}


def where(exercise: str, mistake: str | None = None) -> str:
    """The notebook and section that teach ``exercise`` (or its ``mistake``), as text; "" where none is known."""
    own, mistakes = SECTIONS.get(exercise, (None, {}))
    notebook_section = mistakes.get(mistake, own) if mistake else own
    if notebook_section is None:
        return ""
    notebook, section = notebook_section
    return f'{notebook}, section "{section}"'
