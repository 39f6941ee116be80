"""The scatter picture one stamp at a time: what the stepper and the scatter figures draw.

By linearity, the running sum after ``t`` stamps is the transposed conv of ``x`` with every pixel after the
``t``-th (row-major order) set to zero, so every number here comes from the library's scatter form.

>>> import numpy as np
>>> st = scatter_step(np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]]), 1)
>>> st.pixel, st.value, st.canvas_size
((0, 1), 2.0, (3, 3))
>>> st.total
array([[0., 1., 2.],
       [1., 2., 0.],
       [0., 0., 0.]])

One 1-D channel steps the same way (x (L,), k (k,)):

>>> scatter_step(np.array([1, 2, 3]), np.array([1, 1, 1]), 1, stride=2).total
array([1., 1., 3., 2., 2., 0., 0.])
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import scatter, shapes

__all__ = ["ScatterStep", "scatter_step"]


class ScatterStep(NamedTuple):
    """One step of the scatter: canvas arrays are the uncropped output (extended where output_padding > padding).
    In 1-D every tuple has one entry and the arrays one axis."""
    pixel: tuple        #: (i, j) of the input pixel stamped at this step
    value: float        #: x[i, j]
    origin: tuple       #: (i * stride, j * stride): where the stamp's top-left tap lands on the canvas
    stamp: np.ndarray   #: x[i, j] * K placed on the canvas, (Hc, Wc)
    total: np.ndarray   #: running sum of stamps 0..step, (Hc, Wc)
    offset: tuple       #: (top, left) = padding: the output is total[top:top + H_out, left:left + W_out]
    out_size: tuple     #: (H_out, W_out)
    n_steps: int        #: number of input pixels

    @property
    def canvas_size(self):
        return self.total.shape

    @property
    def output(self):
        """The cropped running sum (equals ``conv_transpose2d``, or ``conv_transpose1d``, after the last step)."""
        return self.total[tuple(slice(o, o + n) for o, n in zip(self.offset, self.out_size))]


def scatter_step(x, k, step, *, stride=1, padding=0, output_padding=0, dilation=1) -> ScatterStep:
    """Stamp number ``step`` (row-major over x's pixels) of the transposed conv of one channel x (H, W) by k (kH, kW),
    or of one 1-D channel x (L,) by k (k,).

    Arguments are checked by ``shapes`` first (the same ArgumentError as the transposed conv itself).
    """
    rank = 1 if np.ndim(x) == 1 else 2
    spec = shapes.transpose_spec(x, k, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, rank=rank)
    if spec.input_ndim != rank:
        raise shapes.ArgumentError(f"x: the stepper takes one 2-D channel (H, W) or one 1-D channel (L,), "
                                   f"got shape {np.shape(x)}")
    X, K = spec.x[0, 0], spec.weight[0, 0]
    n = X.size
    step = shapes.integer("step", step)
    if not 0 <= step < n:
        raise shapes.ArgumentError(f"step={step}: must be in 0..{n - 1} (one step per input pixel)")
    op = shapes.ntuple("output_padding", output_padding, rank)
    # the canvas: padding 0 keeps every stamp; it reaches past the full output only where output_padding > padding
    extend = tuple(max(0, o - c) for o, c in zip(op, spec.offset))
    ct = dict(stride=spec.stride, dilation=spec.dilation, output_padding=extend)
    where = tuple(int(v) for v in np.unravel_index(step, X.shape))
    only = np.zeros_like(X)
    only[where] = X[where]
    upto = np.where(np.arange(n).reshape(X.shape) <= step, X, 0)
    fn = scatter.conv_transpose1d if rank == 1 else scatter.conv_transpose2d
    return ScatterStep(pixel=where, value=float(X[where]), origin=tuple(i * s for i, s in zip(where, spec.stride)),
                       stamp=fn(only, K, **ct), total=fn(upto, K, **ct), offset=spec.offset,
                       out_size=spec.out_size, n_steps=n)
