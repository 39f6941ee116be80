"""The thirteen exercises, one module per exercise notebook (``ex1_scatter`` ... ``ex6_one_and_three_dimensions``, as
in ``solutions/``),
gathered in ``EXERCISES`` in the course's order; the case makers they share are in ``_common``.

Every expected value comes from the library (``tconv_edu``); each recognised mistake is a small function that
computes what the mistaken code returns, or tells the mistake from the answer's shape.
"""
from __future__ import annotations

from .ex1_scatter import SCATTER_2D, SCATTER_STRIDED
from .ex2_shapes import INPUT_GRADIENT, OUTPUT_SIZE
from .ex3_matrix_and_views import CONV_MATRIX, ZERO_INSERTION
from .ex4_artifacts_and_channels import MULTI_CHANNEL, OVERLAP
from .ex5_layers import BILINEAR_KERNEL, GROUPED, PORT_TF_SAME, RESIZE_CONV_KERNEL
from .ex6_one_and_three_dimensions import SCATTER_1D

__all__ = ["EXERCISES", "SCATTER_2D", "SCATTER_STRIDED", "OUTPUT_SIZE", "CONV_MATRIX", "ZERO_INSERTION",
           "INPUT_GRADIENT", "OVERLAP", "MULTI_CHANNEL", "BILINEAR_KERNEL", "PORT_TF_SAME", "GROUPED",
           "RESIZE_CONV_KERNEL", "SCATTER_1D"]

EXERCISES = {e.id: e for e in (SCATTER_2D, SCATTER_STRIDED, OUTPUT_SIZE, CONV_MATRIX, ZERO_INSERTION, INPUT_GRADIENT,
                                OVERLAP, MULTI_CHANNEL, BILINEAR_KERNEL, PORT_TF_SAME, GROUPED, RESIZE_CONV_KERNEL,
                                SCATTER_1D)}
