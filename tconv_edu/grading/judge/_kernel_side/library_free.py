"""``tconv_edu`` as a learner's sandbox sees it in an exercise to be written without the library.

Only the forward convolution (``conv2d``, the zero-insertion picture needs it) and the size rules are here; no form
of the transposed convolution. The judge mounts ``conv.py`` and ``shapes.py`` beside this file, unchanged.
"""
from . import shapes
from .conv import conv2d
from .shapes import ArgumentError, conv_output_size, output_padding_for, output_size

__all__ = ["conv2d", "shapes", "ArgumentError", "conv_output_size", "output_padding_for", "output_size"]


def __getattr__(name):
    raise AttributeError(f"tconv_edu.{name} is not available in this exercise: it asks you to write the transposed "
                         f"convolution yourself (te.conv2d, numpy and loops are fine)")
