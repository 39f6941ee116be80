"""What every explorer shares: an ``anywidget`` whose page module draws what the kernel computed.

The kernel side holds the controls' values as synced traits (``step``, ``stride``, ...), recomputes with the
library when one of ``PARAMS`` changes, and sends the result in one message: arrays as ``Bytes`` (binary buffers:
float64 or int32, little-endian, row-major), their shapes and the text lines in ``meta`` (small JSON), a library
error in ``error``, and ``rev`` (one more per recomputation, which the page waits for). Controls that only move
within what was sent (the stepper's stamp, the matrix explorer's pixel) are not in ``PARAMS``: the page moves on its
own and the kernel only records the value.

Right after each answer the kernel sends, in a second message (``ahead``), the answers for each control's
neighbouring values (one up, one down, the next option), computed by the same code: an arrow key then draws at once
from what the page holds, and the kernel's answer to the change only confirms it. An answer is keyed by its
parameters' values (``key``), so the page can tell which answer belongs to what it shows.
"""
from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import anywidget
import numpy as np
import traitlets as T

from .. import shapes, viz

HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def esm(name: str) -> str:
    """The page module of explorer ``name``: the shared helpers (``_common.js``) followed by ``name``.js, one
    self-contained ES module (a module anywidget loads from a string cannot import its neighbours)."""
    return (HERE / "_common.js").read_text(encoding="utf-8") + "\n" + (HERE / f"{name}.js").read_text(encoding="utf-8")


def f64(a) -> bytes:
    """float64 little-endian bytes of ``a`` (row-major): what the page reads as a Float64Array."""
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


def i32(a) -> bytes:
    """int32 little-endian bytes of ``a`` (row-major): what the page reads as an Int32Array."""
    return np.ascontiguousarray(a, dtype="<i4").tobytes()


def scatter_links(canvas, kshape, stride, dilation, in_shape) -> np.ndarray:
    """(input pixel, kernel tap, canvas pixel) of every product of the scatter onto the uncropped canvas, as flat
    (row-major) indices in one or two dimensions, read off ``tconv_edu.matrix.conv_matrix`` of the conv over the
    canvas (its entries hold tap numbers 1 .. taps): C's row q is input pixel q, its column the canvas pixel, its
    value the tap plus one. Rows in input order, then canvas order."""
    from .. import matrix

    canvas, kshape, in_shape = tuple(canvas), tuple(kshape), tuple(in_shape)
    taps = np.arange(1.0, int(np.prod(kshape)) + 1).reshape(kshape)
    C = matrix.conv_matrix(canvas, taps, stride=stride, dilation=dilation).tocsr()
    conv = shapes.conv_output_size(canvas, kshape, stride=stride, dilation=dilation)
    at = np.unravel_index(np.repeat(np.arange(C.shape[0]), np.diff(C.indptr)), conv)
    keep = np.logical_and.reduce([i < n for i, n in zip(at, in_shape)])   # conv rows past x: output_padding's
    q = np.ravel_multi_index(tuple(i[keep] for i in at), in_shape)
    out = np.stack([q, np.rint(C.data[keep]).astype(int) - 1, C.indices[keep]], axis=1)
    return out[np.lexsort((out[:, 2], out[:, 0]))]


def key(values: dict, names) -> str:
    """The answer key of parameter values: a compact JSON list in ``names``' order, as the page writes it
    (``JSON.stringify``)."""
    return json.dumps([values[n] for n in names], separators=(",", ":"), ensure_ascii=False)


def number(name, label, lo, hi) -> dict:
    """A labelled ``<input type=number>`` in the page: Tab reaches it, the arrow keys step it."""
    return {"name": name, "label": label, "kind": "number", "min": int(lo), "max": int(hi)}


def select(name, label, options) -> dict:
    """A labelled ``<select>`` in the page (the arrow keys move through the options)."""
    return {"name": name, "label": label, "kind": "select", "options": list(options)}


class Explorer(anywidget.AnyWidget):
    """Base of the explorers. ``message`` is the text description of the current state (what the page shows in its
    ``aria-live`` region); ``controls`` lists the page's inputs in focus order; ``error`` is the library's message
    for a rejected combination ("" otherwise); ``ahead`` holds the answers for the neighbouring values."""

    _esm = ""
    palette = T.Dict().tag(sync=True)
    title = T.Unicode("").tag(sync=True)
    controls = T.List().tag(sync=True)
    params = T.List().tag(sync=True)
    meta = T.Dict().tag(sync=True)
    error = T.Unicode("").tag(sync=True)
    rev = T.Int(0).tag(sync=True)
    ahead = T.Dict().tag(sync=True)
    #: the traits whose change asks the kernel to recompute
    PARAMS: tuple = ()
    #: the traits whose change the page handles alone (the kernel only records them)
    LOCAL: tuple = ()
    #: a short name for the text form (repr, nbval)
    TITLE = "explorer"

    def __init__(self, **kwargs):
        super().__init__(palette=dict(viz.COLORS, negative=viz.NEGATIVE), params=list(self.PARAMS), title=self.TITLE,
                         **kwargs)
        self.compute_ms = self.ahead_ms = 0.0
        self.observe(lambda change: self.update(), names=list(self.PARAMS))
        self.update()

    # --- the kernel's part of a step
    def compute(self, p: SimpleNamespace) -> tuple[dict, dict]:
        """(trait values by name: the arrays as bytes, anything else that moves with them; meta) for the parameter
        values ``p`` (attributes named as ``PARAMS``); raise ArgumentError for a bad one. Reads no parameter from
        ``self``: it also answers for values the page does not show yet."""
        raise NotImplementedError

    def values(self) -> dict:
        """The current values of ``PARAMS``."""
        return {name: getattr(self, name) for name in self.PARAMS}

    def answer(self, values: dict) -> tuple[dict, dict, str]:
        """(arrays, meta, error) for parameter values ``values``; meta carries their ``key``."""
        try:
            arrays, meta = self.compute(SimpleNamespace(**values))
            error = ""
        except (shapes.ArgumentError, TypeError) as err:
            arrays, meta, error = {}, {}, str(err)
        meta["key"] = key(values, self.PARAMS)
        return arrays, meta, error

    def neighbours(self, values: dict):
        """The parameter values one arrow key away: each number control one up and one down within its bounds,
        each select the option before and after."""
        for c in self.controls:
            name = c["name"]
            if name not in self.PARAMS:
                continue
            v = values[name]
            if c["kind"] == "select":
                i = c["options"].index(v) if v in c["options"] else None
                near = [] if i is None else [c["options"][j] for j in (i - 1, i + 1) if 0 <= j < len(c["options"])]
            else:
                near = [u for u in (v - 1, v + 1) if c["min"] <= u <= c["max"]]
            for u in near:
                yield dict(values, **{name: u})

    def update(self) -> None:
        """Recompute with the library and send everything in one message; then the neighbours' answers."""
        values = self.values()
        start = time.perf_counter()
        arrays, meta, error = self.answer(values)
        here = meta["key"]
        self.compute_ms = (time.perf_counter() - start) * 1e3
        meta["compute_ms"] = round(self.compute_ms, 3)
        with self.hold_sync():                      # one message: the page draws once
            for name, value in arrays.items():
                setattr(self, name, value)
            self.meta, self.error = meta, error
            self.rev += 1
        start = time.perf_counter()
        answers = {}
        for near in self.neighbours(values):
            arrays, meta, error = self.answer(near)
            answers[meta["key"]] = dict({n: v for n, v in arrays.items() if n not in self.LOCAL}, meta=meta,
                                        error=error)
        self.ahead_ms = (time.perf_counter() - start) * 1e3
        self.ahead = {"of": here, "ms": round(self.ahead_ms, 3), "answers": answers}

    # --- text
    def describe(self) -> str:
        """The text description of the state (lines joined by newlines)."""
        return "\n".join(self.meta.get("lines", []))

    @property
    def message(self) -> str:
        """What the page's description reads: the library's error, or the state in words."""
        return f"Not allowed: {self.error}" if self.error else self.describe()

    def control(self, name: str) -> dict:
        """The page input of trait ``name`` (its label, kind and bounds)."""
        return next(c for c in self.controls if c["name"] == name)

    def __repr__(self) -> str:
        # the text/plain form of the displayed widget: stable across runs (nbval compares it)
        first = self.message.split("\n", 1)[0]
        return f"{self.TITLE} (drawn in the page): {first}"
