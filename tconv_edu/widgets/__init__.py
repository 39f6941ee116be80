"""Explorers: ``anywidget`` front ends fed with arrays the library computes.

Each explorer is a widget whose page module (an ES module shipped in this package: ``scatter.js``, ``shape.js``,
``matrix.js``, ``checkerboard.js``, ``groups.js``, ``porting.js``, ``line.js``) draws in the page, as SVG in the
course's palette (``tconv_edu.viz.COLORS``), what the kernel sent: every number comes from ``tconv_edu``, the arrays as binary
buffers. The page's controls are labelled native inputs (``<input type=number>``, ``<select>``) that Tab reaches
and the arrow keys step; a step that stays within what was sent (the stepper's stamp, the matrix explorer's pixel)
is drawn by the page alone. Hovering a cell, or focusing a picture and moving over it with the arrow keys, writes
where its number comes from in an ``aria-live`` readout; the description below the pictures says the state in words
(``explorer.message``, the same text). The controls are the widget's traits: ``explorer.stride = 2`` is what the
page's stride box does. A combination the library rejects shows the library's ``ArgumentError``.

>>> ex = shape_explorer()
>>> ex.stride = 2
>>> "output 8 x 8" in ex.message
False
>>> ex.output_padding = 1
>>> ex.padding, ex.input_size
(1, 4)
>>> "output 8 x 8" in ex.message
True
"""
from __future__ import annotations

__all__ = ["Explorer", "PADDINGS", "ScatterStepper", "ShapeExplorer", "MatrixExplorer", "CheckerboardExplorer",
           "GroupsExplorer", "PortingExplorer", "scatter_stepper", "shape_explorer", "shape_report",
           "checkerboard_explorer", "matrix_explorer", "matrix_report", "groups_explorer", "groups_report",
           "porting_explorer", "porting_report", "source_layer", "scatter_readout", "LineStepper", "line_stepper",
           "line_readout"]

from ._base import Explorer
from ._explorers import (PADDINGS, CheckerboardExplorer, GroupsExplorer, MatrixExplorer, PortingExplorer,
                         ScatterStepper, ShapeExplorer, checkerboard_explorer, groups_explorer, groups_report,
                         matrix_explorer, matrix_report, porting_explorer, porting_report, scatter_readout,
                         scatter_stepper, shape_explorer, shape_report, source_layer)
from ._line import LineStepper, line_readout, line_stepper
