"""The 1-D explorer's kernel side (notebook 09): stamps on a line, one row each, their sum and their count."""
from __future__ import annotations

import numpy as np
import traitlets as T

from .. import shapes, steps, viz
from ._base import Explorer, esm, f64, i32, number, scatter_links


class LineStepper(Explorer):
    """Step through the samples of a 1-D input: each stamp x[i]·w drawn on its own row, their running sum and how
    many stamps reach each output sample."""

    _esm = esm("line")
    TITLE = "1-D stepper"
    step = T.Int(0).tag(sync=True)
    kernel_size = T.Int(4).tag(sync=True)
    stride = T.Int(2).tag(sync=True)
    padding = T.Int(0).tag(sync=True)
    output_padding = T.Int(0).tag(sync=True)
    dilation = T.Int(1).tag(sync=True)
    x = T.Bytes(b"").tag(sync=True)
    k = T.Bytes(b"").tag(sync=True)
    stamps = T.Bytes(b"").tag(sync=True)
    counts = T.Bytes(b"").tag(sync=True)
    links = T.Bytes(b"").tag(sync=True)
    PARAMS = ("kernel_size", "stride", "padding", "output_padding", "dilation")
    LOCAL = ("step",)

    def __init__(self, x=None, k=None, **kwargs):
        x = np.array([1.0, 2.0, 3.0, 4.0]) if x is None else np.asarray(x, dtype=float)
        k = np.array([1.0, 2.0, 2.0, 1.0]) if k is None else np.asarray(k, dtype=float)
        if x.ndim != 1 or k.ndim != 1 or not x.size or not k.size:
            raise shapes.ArgumentError(f"x, k: expected a 1-D x and a 1-D k, got shapes {x.shape}, {k.shape}")
        self._x, self._k = x, k
        controls = [number("step", "stamp", 0, x.size - 1), number("kernel_size", "kernel size", 1, 8),
                    number("stride", "stride", 1, 4), number("padding", "padding", 0, 4),
                    number("output_padding", "output_padding", 0, 3), number("dilation", "dilation", 1, 3)]
        super().__init__(controls=controls, kernel_size=kwargs.pop("kernel_size", k.size), **kwargs)

    def kernel(self, size) -> np.ndarray:
        """k at ``size`` taps: its values repeated (cut or extended)."""
        return self._k if size == self._k.size else np.resize(self._k, size)

    def compute(self, p):
        x, kern = self._x, self.kernel(p.kernel_size)
        params = dict(stride=p.stride, padding=p.padding, output_padding=p.output_padding, dilation=p.dilation)
        n = x.size
        stamps = [steps.scatter_step(x, kern, t, **params) for t in range(n)]
        last = stamps[-1]
        (canvas,), (offset,), (out,) = last.canvas_size, last.offset, last.out_size
        links = scatter_links((canvas,), kern.shape, p.stride, p.dilation, x.shape)
        counts = np.bincount(links[:, 2], minlength=canvas)      # the products landing on each canvas sample
        texts = [f"stamp {t + 1} of {n}: x[{t}] = {viz.format_number(s.value)} times w, placed at {s.origin[0]}"
                 + (f" with its taps {p.dilation} apart (dilation)" if p.dilation > 1 else "")
                 for t, s in enumerate(stamps)]
        inner = counts[offset:offset + out]
        lines = [f"output length {out} (the dashed frame) on the canvas of {canvas} samples every stamp covers",
                 f"stamps per output sample: {int(inner.min())} to {int(inner.max())}" if out else "no output"]
        meta = dict(n=n, K=int(kern.size), canvas=int(canvas), offset=int(offset), out=int(out), steps=texts,
                    lines=lines)
        arrays = dict(x=f64(x), k=f64(kern), stamps=f64(np.stack([s.stamp for s in stamps])), counts=i32(counts),
                      links=i32(links))
        return arrays, meta

    def describe(self):
        m = self.meta
        return f"{m['steps'][min(self.step, m['n'] - 1)]}; " + "; ".join(m["lines"])

    def readout(self, j: int) -> str:
        """The page's readout for canvas sample j, from the arrays sent (see ``line_readout``)."""
        m = self.meta
        links = np.frombuffer(self.links, "<i4").reshape(-1, 3)
        total = np.frombuffer(self.stamps, "<f8").reshape(m["n"], m["canvas"]).sum(axis=0)
        name = f"y[{j - m['offset']}]" if 0 <= j - m["offset"] < m["out"] else f"canvas[{j}] (cropped by padding)"
        terms = [f"x[{i}]·w[{a}]" for i, a, at in links if at == j]
        if not terms:
            return f"{name} = 0 (no stamp reaches it)"
        many = f"{len(terms)} stamp" + ("" if len(terms) == 1 else "s")
        return f"{name} = {' + '.join(terms)} = {viz.format_number(total[j])} ({many})"


def line_readout(x, k, j, *, stride=1, padding=0, output_padding=0, dilation=1) -> str:
    """The 1-D stepper's readout for output sample ``j``: its products, its value and how many stamps reach it.

    >>> line_readout([1, 2, 3, 4], [1, 2, 2, 1], 2, stride=2, padding=1)
    'y[2] = x[0]·w[3] + x[1]·w[1] = 5 (2 stamps)'
    """
    ex = LineStepper(x, k, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    if ex.error:
        raise shapes.ArgumentError(ex.error)
    return ex.readout(j + ex.meta["offset"])


def line_stepper(x=None, k=None, **params):
    """Stamps on a line (notebook 09): x, the kernel w, every stamp x[i]·w on its own row at i * stride, their
    running sum (the output framed, what padding crops crossed) and how many stamps reach each sample. A stamp box
    and a play button step through the inputs. Hover an output sample (or focus the picture and use the arrow keys)
    for its sum and its count, an input sample for its stamp, a tap for what it multiplies.

    x: (L,), default [1, 2, 3, 4]; k: (K,), default [1, 2, 2, 1] (a vocoder's k = 2 * stride). The kernel-size box
    repeats k's values to the new size. Controls (traits): step, kernel_size, stride, padding, output_padding,
    dilation (keyword arguments set them).
    """
    return LineStepper(x, k, **params)
