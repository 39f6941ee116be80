"""notebooks/cheatsheet.md, checked: every number and recipe on it against tconv_edu, and its page.

The sheet is read as units: each table row, each list item, each line of a code block. A table row is checked by
its table's checker (found by the header), a list item by the one claim in CLAIMS whose text matches it (the
item's exact text, with ``{slots}`` for the parts the check reads, numbers and formulas, which it computes with the
library and compares), a ``text`` code line by evaluating its formula over a grid against the library, a
``python`` code line by running it (``expr  # result``: the result must be what the library returns). A unit no
check covers fails, so does a claim that matches no item, and prose outside the units may hold no digit: a number
can only appear where something checks it.
"""
from __future__ import annotations

import ast
import importlib.util
import itertools
import math
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import tconv_edu as te
from tconv_edu import artifacts, porting, shapes
from tconv_edu.frameworks import FRAMEWORKS, WEIGHT_LAYOUTS, keras_output_size
from tconv_edu.frameworks.keras import keras_crops
from tconv_edu.frameworks.tf import tf_output_size_range, tf_padding
from tconv_edu.shapes import ArgumentError

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "notebooks" / "cheatsheet.md"
BUILD = ROOT / "scripts" / "build_cheatsheet.py"


# ----------------------------------------------------------------------------------------------- reading the sheet

@dataclass(frozen=True)
class Unit:
    kind: str           # "row", "item" or "code"
    text: str
    line: int
    context: str = ""   # a row's table header ("|"-joined) or a code line's language

    @property
    def cells(self):
        return _cells(self.text)

    def __str__(self):
        return f"cheatsheet.md:{self.line}: {self.text}"


def _cells(row: str):
    return [c.strip() for c in row.strip().strip("|").split("|")]


#: a python block that imports a framework is framework code, run by tests/test_course_snippets.py, not here
FRAMEWORKS_IMPORTED = {"torch", "tensorflow", "keras", "jax", "onnx", "onnxruntime"}
FRAMEWORK_CODE = "python, frameworks"


def imports_a_framework(code: str) -> bool:
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return bool(names & FRAMEWORKS_IMPORTED)


def read(text: str):
    """The sheet's units, and its prose lines and headings as (line number, text)."""
    units, prose, headings = [], [], []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            lang, i, first = line[3:].strip(), i + 1, i + 1
            while not lines[i].startswith("```"):
                i += 1
            if lang == "python" and imports_a_framework("\n".join(lines[first:i])):
                lang = FRAMEWORK_CODE     # tests/test_course_snippets.py runs it in the real frameworks
            units += [Unit("code", lines[j], j + 1, lang) for j in range(first, i) if lines[j].strip()]
        elif line.startswith("|"):
            start = i
            while i + 1 < len(lines) and lines[i + 1].startswith("|"):
                i += 1
            header = "|".join(_cells(lines[start]))
            assert set(lines[start + 1]) <= set("|-: "), f"cheatsheet.md:{start + 2}: expected a table separator"
            units += [Unit("row", lines[j], j + 1, header) for j in range(start + 2, i + 1)]
        elif line.startswith("- "):
            start, item = i, line[2:]
            # the item goes on to the next blank line or block (markdown's continuation, lazy or indented)
            while i + 1 < len(lines) and lines[i + 1].strip() and not lines[i + 1].startswith(("- ", "|", "#", "```")):
                i += 1
                item += " " + lines[i].strip()
            units.append(Unit("item", item, start + 1))
        elif line.startswith("#"):
            headings.append((i + 1, line))
        elif line.strip():
            prose.append((i + 1, line))
        i += 1
    return units, prose, headings


UNITS, PROSE, HEADINGS = read(SHEET.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------------ helpers

def ints(cell: str):
    """The whole numbers of a cell, in order: "7, 8" and "7 or 8" -> [7, 8]."""
    return [int(v) for v in re.findall(r"\d+", cell)]


def code(cell: str) -> str:
    """The text of a cell's one inline code span."""
    m = re.fullmatch(r"`([^`]*)`", cell.strip())
    assert m, f"expected one `code` span, got {cell!r}"
    return m.group(1)


def kwargs(text: str) -> dict:
    """``"k=3, strides=(2, 2), padding='SAME'"`` -> a dict of Python literals."""
    call = ast.parse(f"f({text})", mode="eval").body
    assert not call.args, f"{text!r}: only keyword arguments"
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def formula(expr: str):
    """The sheet's notation (·, ⌊⌋, 2p, in) as a function of keyword values, computed on exact fractions."""
    py = expr.replace("·", "*").replace("⌊", "floor(").replace("⌋", ")")
    py = re.sub(r"(\d)([A-Za-z(])", r"\1*\2", py)                     # 2p -> 2*p
    py = re.sub(r"\bin\b", "in_", py)
    compiled = compile(py, "<cheatsheet>", "eval")
    return lambda **v: eval(compiled, {"floor": math.floor, "max": max},
                            {("in_" if k == "in" else k): Fraction(x) for k, x in v.items()})


def raises(f, *args, **kw) -> bool:
    try:
        f(*args, **kw)
    except ArgumentError:
        return True
    return False


# the grid the general rules are checked on
GRID = dict(n=range(1, 6), k=range(1, 5), s=range(1, 4), p=range(0, 3), d=range(1, 3))


def grid():
    for n, k, s, p, d in itertools.product(*GRID.values()):
        yield n, k, s, p, d


# ------------------------------------------------------------------------------------------- formulas (```text)

def check_transposed(f):
    for n, k, s, p, d in grid():
        for op in range(max(s, d)):
            try:
                want = te.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)[0]
            except ArgumentError:
                continue
            assert f(**{"in": n, "k": k, "s": s, "p": p, "d": d, "op": op}) == want, (n, k, s, p, op, d)


def check_inverse(f):
    for out, k, s, p, d in grid():
        for op in range(max(s, d)):
            n = f(out=out, k=k, s=s, p=p, d=d, op=op)
            whole = n.denominator == 1 and n >= 1
            try:
                got = shapes.input_size(out, k, stride=s, padding=p, output_padding=op, dilation=d)[0]
            except ArgumentError:
                assert not whole, (out, k, s, p, op, d)     # no input: the formula is not a whole number >= 1
                continue
            assert whole and n == got, (out, k, s, p, op, d)


def check_forward(f):
    for n, k, s, p, d in grid():
        try:
            want = te.conv_output_size(n, k, stride=s, padding=p, dilation=d)[0]
        except ArgumentError:
            continue
        assert f(**{"in": n, "k": k, "s": s, "p": p, "d": d}) == want, (n, k, s, p, d)


FORMULAS = {
    "transposed conv:  out = {f}": check_transposed,
    "its inverse:      in = {f}": check_inverse,
    "forward conv:     out = {f}": check_forward,
}


def run_python(line: str, ns: dict):
    """``expr  # result``: the result (a Python literal, up to a ': ' that starts a remark) must equal expr;
    a line without a result is a statement, run."""
    src, _, result = line.partition("  # ")
    if not result:
        exec(src, ns)
        return
    try:
        want = ast.literal_eval(result)
    except (ValueError, SyntaxError):
        want = ast.literal_eval(result.split(": ")[0])
    assert eval(src, ns) == want, f"{src} is {eval(src, ns)!r}, the sheet says {want!r}"


# ---------------------------------------------------------------------------------------------------- tables

def sizes_row(cells):
    """| layer | in | k | s | p | op | d | out |: PyTorch's size rule, both ways, and the forward conv."""
    layer, n_cell, k, s, p, op_cell, d, out_cell = cells
    k, s, p, d = int(k), int(s), int(p), int(d)
    kind, _, note = layer.partition(", ")
    if kind == "transposed":
        n = int(n_cell)
        if note == "every valid op":
            ops, outs = ints(op_cell), ints(out_cell)
            assert ops == list(range(s)), "op runs from 0 to s - 1"
            assert outs == [te.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)[0]
                            for op in ops]
            assert te.output_size_range(n, k, stride=s, padding=p, dilation=d)[0] == (outs[0], outs[-1])
            return
        op, out = int(op_cell), int(out_cell)
        assert te.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)[0] == out
        if note == "exactly ×2":
            assert out == 2 * n
        elif note == "op < d":
            assert s <= op < d
        elif note.startswith("back from "):
            assert ints(note) == [n]
        else:
            assert note == "", f"unknown note {note!r}"
    elif kind == "inverse":
        op, out = int(op_cell), int(out_cell)
        if n_cell == "none":
            assert note == "not a whole number"
            assert (out - 1 - op + 2 * p - d * (k - 1)) % s
            assert raises(shapes.input_size, out, k, stride=s, padding=p, output_padding=op, dilation=d)
        else:
            assert note == ""
            assert shapes.input_size(out, k, stride=s, padding=p, output_padding=op, dilation=d)[0] == int(n_cell)
    elif kind == "forward":
        assert op_cell == "" and note == "", "the forward conv has no op"
        out = int(out_cell)
        found = [m for m in range(1, (out + 1) * s + k * d + 1)
                 if not raises(te.conv_output_size, m, k, stride=s, padding=p, dilation=d)
                 and te.conv_output_size(m, k, stride=s, padding=p, dilation=d)[0] == out]
        assert ints(n_cell) == found, f"the inputs of size {out}: {found}"
    else:
        raise AssertionError(f"unknown layer {layer!r}")


def framework_sizes_row(cells):
    """| framework | k | arguments | in | out |: Keras' size rule, TensorFlow's accepted output_shape."""
    fw, k, args, n, out = cells
    k, n, args = int(k), int(n), kwargs(code(args))
    if fw == "Keras":
        assert keras_output_size(n, k, **args)[0] == int(out)
    elif fw == "TF":
        lo, hi = tf_output_size_range(n, k, stride=args.pop("strides"), **args)[0]
        assert re.fullmatch(r"\d+ or \d+", out) and ints(out) == [lo, hi]
    else:
        raise AssertionError(f"unknown framework {fw!r}")


# the shape each layout names, with channels, groups and kernel sides that all differ
SYMBOLS = {"C_in": 6, "C_out": 4, "groups": 2, "kH": 3, "kW": 5, "C": 6, "M": 4, "group": 2}


def _shape(layout: str):
    dims = [Fraction(eval(item, {}, dict(SYMBOLS))) for item in layout.strip("()").split(",")]
    assert all(v.denominator == 1 for v in dims), layout
    return tuple(int(v) for v in dims)


def layouts_row(cells):
    """| layer | weight |: the text of WEIGHT_LAYOUTS, and the shape each framework's layer takes."""
    layer, weight = cells
    assert layer in WEIGHT_LAYOUTS, f"{layer!r} is not a layer the library knows"
    assert " ".join(weight.replace("`", "").split()) == " ".join(WEIGHT_LAYOUTS[layer].split())
    code_span = re.match(r"`(\([^)]*\))`", weight).group(1)
    shape = _shape(code_span)
    c_in, c_out, kh, kw = (SYMBOLS[s] for s in ("C_in", "C_out", "kH", "kW"))
    if layer.startswith("PyTorch Conv2d"):       # the forward conv: C_out channels from C_in, in groups
        y = te.conv2d(np.ones((1, c_in, 8, 8)), np.ones(shape), groups=SYMBOLS["groups"])
        assert y.shape[1] == c_out
        return
    fw = next(f for f in FRAMEWORKS.values() if layer in f.layouts)
    if layer == next(iter(fw.layouts)):          # the framework's own transposed conv: its .weight
        assert fw.weight.startswith(code_span), (fw.weight, code_span)
    params = {"torch": {"groups": 2}, "onnx": {"group": 2}, "tf": {"output_shape": (8, 8)},
              "jax": {"strides": (1, 1), "padding": "VALID", "transpose_kernel": "transpose_kernel=True" in layer}}
    lay = te.Layer(fw.name, c_in, c_out, (kh, kw), params.get(fw.name, {}), input_size=(4, 4))
    assert fw.weight_shape(lay) == shape


def recipes_row(cells):
    """| from | to | weight | then |: port() agrees, the weight expression is port's, and the outputs match."""
    src_cell, dst_cell, weight_cell, then = cells
    names = {f.title: f.name for f in FRAMEWORKS.values()} | {"TF": "tf"}
    m = re.fullmatch(r"(\w+) `([^`]*)`, (\d+) → (\d+)", src_cell)
    assert m, src_cell
    params, n, out = kwargs(m.group(2)), int(m.group(3)), int(m.group(4))
    k = params.pop("k")
    fw = names[m.group(1)]
    if fw == "tf":
        params["output_shape"] = (out, out)
    src = te.Layer(fw, 3, 5, (k, k), params, input_size=(n, n))
    assert porting.layer_crops(src).out_size == (out, out)
    m = re.fullmatch(r"(\w+) `([^`]*)`", dst_cell)
    to, dst_params = names[m.group(1)], kwargs(m.group(2))
    if to == "tf":
        dst_params.setdefault("output_shape", (out, out))
    dst = te.Layer(to, 3, 5, (k, k), dst_params, input_size=(n, n))
    p = te.port(src, to)

    rng = np.random.default_rng(0)
    w = rng.standard_normal(src.rules.weight_shape(src))
    expr = code(weight_cell)
    w_dst = eval(expr, {"w": w})
    assert np.array_equal(w_dst, p.weight(w)), f"{expr} is not port's weight rule: {p.weight_rule}"
    assert ("::-1" in expr) == ("flip kH and kW" in p.weight_rule), p.weight_rule

    x = rng.standard_normal((2, n, n, 3))                        # NHWC
    nchw = lambda y, layer: y if layer.rules.nchw else y.transpose(0, 3, 1, 2)
    as_input = lambda layer: x.transpose(0, 3, 1, 2) if layer.rules.nchw else x
    y_src = nchw(porting.run(src, as_input(src), w), src)
    y_dst = porting.run(dst, as_input(dst), w_dst)
    crop = re.fullmatch(r"crop `(.+)`", then)
    if then == "exact":
        assert p.exact, p.note
        assert porting.layer_crops(dst) == porting.layer_crops(p.layer)
        np.testing.assert_allclose(nchw(y_dst, dst), y_src, atol=1e-12)
    elif crop:
        assert not p.exact
        assert porting.layer_crops(dst) == porting.layer_crops(p.layer)
        cropped = eval(crop.group(1), {"y": y_dst})
        assert np.array_equal(cropped, p.finish(y_dst)), f"port crops {p.residual}"
        np.testing.assert_allclose(nchw(cropped, dst), y_src, atol=1e-12)
    elif then == "one pixel off: never exact":
        assert porting.layer_crops(dst).crops != porting.layer_crops(src).crops
        y = nchw(y_dst, dst)
        assert y.shape == y_src.shape and not np.allclose(y, y_src)
        np.testing.assert_allclose(y_src[..., 1:, 1:], y[..., :-1, :-1], atol=1e-12)
    else:
        raise AssertionError(f"unknown outcome {then!r}")


def interior(a, k):
    m = k - 1
    return a[tuple(slice(m, n - m) for n in a.shape)]


def checkerboard_row(cells):
    """| k | s | 1-D counts | 2-D counts | even |: the library's overlap counts, away from the borders."""
    k, s, one_d, two_d, even = cells
    k, s = int(k), int(s)
    c1, c2 = interior(artifacts.overlap_1d(12, k, s), k), interior(artifacts.overlap_2d(12, k, s), k)
    assert ints(one_d) == sorted(set(c1.tolist())) and ints(two_d) == sorted(set(c2.ravel().tolist()))
    alternating = len(set(c1.tolist())) == 2 and bool(np.all(c1[1:] != c1[:-1]))
    assert one_d.endswith(" alternating") == alternating, c1
    uniform = artifacts.uniform(k, s)
    assert even.startswith("yes") == uniform and (uniform or even.startswith("no"))
    assert (even == "yes: no overlap") == (uniform and c2.max() == 1)
    if even == "no: gaps that get only the bias":
        y = te.conv_transpose2d(np.ones((1, 12, 12)), np.ones((1, 1, k, k)), np.array([0.5]), stride=s)[0]
        assert np.all(y[interior(artifacts.overlap_2d(12, k, s), 1) == 0] == 0.5)
    else:
        assert even in ("no", "yes", "yes: no overlap")


TABLES = {
    "layer|in|k|s|p|op|d|out": sizes_row,
    "framework|k|arguments|in|out": framework_sizes_row,
    "layer|weight": layouts_row,
    "from|to|weight|then": recipes_row,
    "k|s|1-D counts (interior)|2-D counts (interior)|even": checkerboard_row,
}


# -------------------------------------------------------------------------------------------- list items: claims

def op_rule(rule, accepts):
    """``rule`` (the sheet's text, in op, s, d) says exactly which output_paddings ``accepts`` takes."""
    for s, d, op in itertools.product(range(1, 5), range(1, 5), range(0, 6)):
        assert eval(rule, {}, {"op": op, "s": s, "d": d}) == accepts(s, d, op), (rule, s, d, op)


def claim_valid_outputs(k, s, p, a, b, c, back):
    for n, k_, s_, p_, d in grid():
        try:
            lo, hi = te.output_size_range(n, k_, stride=s_, padding=p_, dilation=d)[0]
        except ArgumentError:
            continue
        if lo > 1:          # s sizes, one per op, each convolving back to n
            assert hi - lo + 1 == s_
            assert all(te.conv_output_size(m, k_, stride=s_, padding=p_, dilation=d)[0] == n for m in range(lo, hi + 1))
    k, s, p = int(k), int(s), int(p)
    forward = lambda n: te.conv_output_size(n, k, stride=s, padding=p)[0]
    assert forward(int(a)) == forward(int(b)) == int(c)
    assert int(back) == int(a) == te.output_size(int(c), k, stride=s, padding=p)[0]


def claim_keras_none(same, valid):
    f_same, f_valid = formula(same), formula(valid)
    for n, k, s in itertools.product(range(1, 6), range(1, 6), range(1, 4)):
        assert keras_output_size(n, k, strides=s, padding="same")[0] == f_same(**{"in": n, "s": s, "k": k})
        assert keras_output_size(n, k, strides=s, padding="valid")[0] == f_valid(**{"in": n, "s": s, "k": k})
        if s > 1:           # an int, even 0, gives the formula (padding k // 2 for 'same')
            assert keras_output_size(n, k, strides=s, padding="valid", output_padding=0)[0] == \
                te.output_size(n, k, stride=s)[0]


def claim_tf_output_shape():
    rng = np.random.default_rng(0)
    x, f = rng.standard_normal((1, 4, 4, 3)), rng.standard_normal((3, 3, 5, 3))
    lo, hi = tf_output_size_range(4, 3, stride=2, padding="SAME")[0]
    for size in range(1, 12):
        ok = not raises(te.conv2d_transpose, x, f, (1, size, size, 5), 2)
        assert ok == (lo <= size <= hi)
    with pytest.raises(ArgumentError, match="Size of out_backprop doesn't match computed"):
        te.conv2d_transpose(x, f, (1, hi + 1, hi + 1, 5), 2)


def claim_torch_op(rule, s, d, op):
    op_rule(rule, lambda s, d, op: not raises(shapes.transpose_params, s, 0, op, d))
    assert not raises(te.output_size, 4, 3, stride=int(s), dilation=int(d), output_padding=int(op))


def claim_keras_op(rule, s, d, op):
    op_rule(rule, lambda s, d, op: not raises(keras_output_size, 4, 3, strides=s, output_padding=op, dilation_rate=d))
    assert raises(keras_output_size, 4, 3, strides=int(s), dilation_rate=int(d), output_padding=int(op))
    assert raises(keras_crops, 4, 3, strides=2, dilation_rate=2)
    assert not raises(keras_crops, 4, 3, strides=2) and not raises(keras_crops, 4, 3, dilation_rate=2)


def claim_op_rows(row):
    y = te.conv_transpose2d(np.ones((4, 4)), np.ones((3, 3)), stride=2, padding=1, output_padding=1)
    full = te.conv_transpose2d(np.ones((4, 4)), np.ones((3, 3)), stride=2)
    assert y.shape == (8, 8) and np.array_equal(y, full[1:, 1:])       # the kept rows of the full output
    assert [int(v) for v in y[-1]] == ints(row) and y[-1].min() > 0


def claim_padding(full):
    f = formula(full)
    rng = np.random.default_rng(1)
    for n, k, s, p, d in [(4, 3, 2, 1, 1), (5, 4, 3, 2, 1), (3, 3, 1, 2, 2)]:
        x, w = rng.standard_normal((n, n)), rng.standard_normal((k, k))
        whole = te.conv_transpose2d(x, w, stride=s, dilation=d)
        assert whole.shape[0] == f(**{"in": n, "s": s, "d": d, "k": k})
        assert whole.shape[0] == shapes.full_size(n, k, stride=s, dilation=d)[0]
        np.testing.assert_allclose(te.conv_transpose2d(x, w, stride=s, padding=p, dilation=d), whole[p:-p, p:-p])


def claim_groups():
    w = np.ones((6, 4, 3, 3))       # C_in 6, groups 2: C_out = 4 * 2
    y = te.conv_transpose2d(np.ones((1, 6, 4, 4)), w, np.zeros(8), groups=2)
    assert y.shape[1] == w.shape[1] * 2 == 8
    assert raises(te.conv_transpose2d, np.ones((1, 6, 4, 4)), w, np.zeros(6), groups=2)


def claim_same(total, top, pad, k, s, pad_value, k_odd, s_odd, pad_odd):
    f_total, f_top, f_pad = formula(total), formula(top), formula(pad)
    for k_, s_, n in itertools.product(range(1, 8), range(1, 5), range(1, 6)):
        if k_ < s_:
            continue
        v = {"k": k_, "s": s_}
        for layer in (te.Layer("tf", 2, 3, (k_, k_), {"strides": s_, "padding": "SAME", "output_shape": (n * s_,) * 2},
                               input_size=(n, n)),
                      te.Layer("keras", 2, 3, (k_, k_), {"strides": s_, "padding": "same"}, input_size=(n, n))):
            crops = porting.layer_crops(layer).crops[0]
            assert crops == (f_top(**v), f_total(**v) - f_top(**v)), (layer, crops)
            if layer.framework == "tf":     # the crops are the padding of TF's forward conv
                assert tf_padding((n * s_,) * 2, n, k_, stride=s_)[0] == crops
            p = te.port(layer, "torch")
            even = (k_ - s_) % 2 == 0
            assert p.exact == even, layer
            assert p.layer.params["padding"][0] == (f_pad(**v) if even else formula(pad_odd)(**v))
            if not even:    # the rest: the last row and column
                assert p.residual == ((0, 1), (0, 1))
    assert f_pad(k=int(k), s=int(s)) == int(pad_value) and (int(k) - int(s)) % 2 == 0
    assert (int(k_odd) - int(s_odd)) % 2 == 1
    tf = te.Layer("tf", 2, 3, (int(k_odd),) * 2, {"strides": int(s_odd), "padding": "SAME", "output_shape": (8, 8)},
                  input_size=(4, 4))
    shifted = te.Layer("torch", 2, 3, (int(k_odd),) * 2, {"stride": int(s_odd), "padding": 1, "output_padding": 1},
                       input_size=(4, 4))
    a, b = porting.layer_crops(tf), porting.layer_crops(shifted)
    assert a.out_size == b.out_size and a.crops[0][0] == 0 < b.crops[0][0]     # torch crops the top instead


def claim_jax():
    default = te.Layer("jax", 3, 5, (3, 3), {"strides": (2, 2), "padding": "SAME"}, input_size=(4, 4))
    tk = te.Layer("jax", 3, 5, (3, 3), {"strides": (2, 2), "padding": "SAME", "transpose_kernel": True},
                  input_size=(4, 4))
    assert "flip kH and kW" in te.port(default, "torch").weight_rule
    assert "flip kH and kW" not in te.port(tk, "torch").weight_rule
    assert FRAMEWORKS["jax"].weight_shape(tk) == FRAMEWORKS["tf"].weight_shape(
        te.Layer("tf", 3, 5, (3, 3), {"strides": 2, "output_shape": (8, 8)}, input_size=(4, 4)))
    assert not FRAMEWORKS["jax"].has_bias
    assert "has no bias" in te.port(te.Layer("torch", 3, 5, (3, 3), {"stride": 2}), "jax").note


def claim_uneven():
    for k, s in itertools.product(range(1, 7), range(1, 4)):
        assert artifacts.uniform(k, s) == (k % s == 0)
        c1 = interior(artifacts.overlap_1d(10, k, s), k)
        assert (len(set(c1.tolist())) == 1) == (k % s == 0)
        assert np.array_equal(artifacts.overlap_2d(10, k, s), np.outer(*[artifacts.overlap_1d(10, k, s)] * 2))


FLAT = np.ones((12, 12))


def claim_divisible(k, s, p, n, out, kk):
    k, s, p = int(k), int(s), int(p)
    assert artifacts.uniform(k, s) and te.output_size(int(n), k, stride=s, padding=p)[0] == int(out) == 2 * int(n)
    assert int(kk) == k
    for seed in range(5):
        w = np.random.default_rng(seed).standard_normal((k, k))
        y = te.conv_transpose2d(FLAT, w, stride=s, padding=p)
        assert artifacts.unevenness(y, s, margin=k) > 0.05, seed


def claim_resize(k3, k, s, p, taps, free):
    assert (int(k3), int(k), int(s), int(p)) == (3, 4, 2, 1), "the layers this check builds"
    one = np.zeros((3, 3))
    one[1, 1] = 1
    stamp = lambda w3: artifacts.resize_conv(one, w3, 2)[1:5, 1:5]
    rng = np.random.default_rng(0)
    w3 = rng.standard_normal((3, 3))
    for hw in [(1, 1), (2, 3), (5, 4)]:
        x = rng.standard_normal(hw)
        np.testing.assert_allclose(te.conv_transpose2d(x, stamp(w3), stride=2, padding=1),
                                   artifacts.resize_conv(x, w3, 2), atol=1e-12)
    stamps = np.array([stamp(e.reshape(3, 3)).ravel() for e in np.eye(9)])
    assert stamps.shape[1] == int(taps) and np.linalg.matrix_rank(stamps) == int(free)
    assert artifacts.unevenness(artifacts.resize_conv(FLAT, w3, 2), 2, margin=4) < 1e-12


def claim_subpixel():
    s = 2
    independent = np.random.default_rng(2).standard_normal((s * s, 1, 3, 3))
    icnr = np.repeat(independent[:1], s * s, axis=0)
    sub = lambda x, w: te.pixel_shuffle(te.conv2d(x[None], w, padding=1), s)[0]
    img = np.random.default_rng(3).standard_normal((6, 6))
    assert np.allclose(sub(img, icnr), artifacts.upsample_nearest(te.conv2d(img, icnr[0, 0], padding=1), s))
    assert artifacts.unevenness(sub(FLAT, icnr), s, margin=4) < 1e-12
    assert artifacts.unevenness(sub(FLAT, independent), s, margin=4) > 0.05


CLAIMS = {
    "With `s > 1` the forward conv maps `s` input sizes to one output, so a transposed conv has `s` valid outputs: "
    "`op` from 0 to `s - 1` picks one (k {k}, s {s}, p {p}: {a} and {b} both go to {c}, which comes back as {back}).":
        claim_valid_outputs,
    "Keras `output_padding=None` gives `{same}` for `'same'` and `{valid}` for `'valid'`; an int `output_padding`, "
    "even 0, gives the formula instead.": claim_keras_none,
    "TensorFlow's `tf.nn.conv2d_transpose` computes no size: `output_shape` is required and must be one of the sizes "
    "listed (\"Size of out_backprop doesn't match computed\" otherwise).": claim_tf_output_shape,
    "**PyTorch**: `{rule}`, per axis (so `stride={s}, dilation={d}, output_padding={op}` is accepted).":
        claim_torch_op,
    "**Keras**: `{rule}` only (`strides={s}, dilation_rate={d}, output_padding={op}` is refused), and no "
    "`strides > 1` together with `dilation_rate > 1`.": claim_keras_op,
    "`output_padding` adds computed rows and columns at the bottom/right, not zeros: an all-ones 4 × 4 input and "
    "3 × 3 kernel with `stride=2, padding=1, output_padding=1` give an 8 × 8 whose last row is `{row}`.":
        claim_op_rows,
    "`padding` crops `p` rows and columns at each end of the full output, `{full}` wide; it never pads the input.":
        claim_padding,
    "**groups**: dim 1 holds `C_out / groups`, so `C_out = weight.shape[1]·groups`, and the bias has `C_out` "
    "entries, not `C_in`.": claim_groups,
    "TF `'SAME'` (and Keras `'same'` with `output_padding=None`) with `out = in·s` crops `{total}` rows: `{top}` at "
    "the top, the rest at the bottom. PyTorch matches it exactly when `k - s` is even (`padding={pad}`: k {k}, "
    "s {s} → {pad_value}); when `k - s` is odd (k {k_odd}, s {s_odd}), `padding={pad_odd}` plus a crop of the last "
    "row and column is exact, while `padding=1, output_padding=1` has the right size but crops the top instead: one "
    "pixel off.": claim_same,
    "JAX correlates with the kernel as stored: flip `kH` and `kW` (or pass `transpose_kernel=True`, which takes "
    "TensorFlow's layout); JAX has no bias: add it after.": claim_jax,
    "A `k`-wide kernel stamped every `s` pixels covers interior pixels unevenly when `k % s != 0`; in 2-D the count "
    "at a pixel is the product of the two 1-D counts.": claim_uneven,
    "**k divisible by s** (k {k}, s {s}, p {p} doubles: {n} → {out}) evens the counts, not the values: a random "
    "{kk} × {kk} kernel still checkerboards a flat image, and a learned one can.": claim_divisible,
    "**Resize-convolution** ([Odena et al.](https://distill.pub/2016/deconv-checkerboard/)): nearest ×2, then a "
    "{k3} × {k3} conv with padding 1. It is a transposed conv with k {k}, s {s}, p {p} whose {taps} taps are tied "
    "to {free} numbers, and a flat image stays flat.": claim_resize,
    "**Sub-pixel convolution** ([Shi et al.](https://arxiv.org/abs/1609.05158)): a conv to `s²·C` channels, then "
    "`pixel_shuffle(·, s)`. Initialise its s² kernels as copies of one (ICNR, Aitken et al. 2017) and it starts as "
    "a conv followed by nearest ×2: no checkerboard at the start.": claim_subpixel,
}


def pattern(template: str):
    """A claim's text as a regex: the text exact, each ``{slot}`` a named group (a slot named twice: the same text)."""
    parts, seen, out = re.split(r"\{(\w+)\}", template), set(), []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        else:
            out.append(f"(?P={part})" if part in seen else f"(?P<{part}>.+?)")
            seen.add(part)
    return re.compile("".join(out))


def matches(unit: Unit):
    """The checks that cover ``unit``: (check, slot values)."""
    if unit.kind == "row":
        return [(TABLES[unit.context], {"cells": unit.cells})] if unit.context in TABLES else []
    table = FORMULAS if unit.kind == "code" and unit.context == "text" else CLAIMS if unit.kind == "item" else {}
    found = []
    for template, check in table.items():
        m = pattern(template).fullmatch(unit.text)
        if m:
            found.append((check, m.groupdict()))
    return found


# ------------------------------------------------------------------------------------------------------ tests

def test_every_unit_has_exactly_one_check():
    assert UNITS, "cheatsheet.md has no tables, lists or code"
    unchecked = [str(u) for u in UNITS
                 if not (u.kind == "code" and u.context in ("python", FRAMEWORK_CODE)) and len(matches(u)) != 1]
    assert not unchecked, "units no check covers (add a check in tests/test_cheatsheet.py):\n" + "\n".join(unchecked)
    assert all(u.context in ("text", "python", FRAMEWORK_CODE) for u in UNITS if u.kind == "code")


def test_every_claim_is_on_the_sheet():
    items = [u.text for u in UNITS if u.kind == "item"]
    lines = [u.text for u in UNITS if u.kind == "code" and u.context == "text"]
    for table, texts in ((CLAIMS, items), (FORMULAS, lines)):
        for template in table:
            assert any(pattern(template).fullmatch(t) for t in texts), f"not on the sheet: {template!r}"
    headers = {u.context for u in UNITS if u.kind == "row"}
    assert headers == set(TABLES), headers ^ set(TABLES)


def test_no_number_outside_a_check():
    """Prose and headings hold no digit (links, the sources' addresses and titles, aside): numbers live in units."""
    for line, text in PROSE + HEADINGS:
        bare = re.sub(r"\[[^\]]*\]\([^)]*\)", "", text)
        assert not re.search(r"\d", bare), f"cheatsheet.md:{line}: a number outside a checked unit: {text}"


@pytest.mark.parametrize("unit", [u for u in UNITS if u.kind != "code"], ids=str)
def test_claim(unit):
    for check, slots in matches(unit):
        check(**slots)


def test_python_lines_run_and_print_what_they_say():
    ns = {"te": te}
    lines = [u for u in UNITS if u.kind == "code" and u.context == "python"]
    assert lines
    for unit in lines:
        run_python(unit.text, ns)


def test_framework_code_is_run_by_the_snippet_test():
    """The sheet's framework code is one block, with a claim on every framework, that the snippet test collects."""
    import test_course_snippets as snippets

    lines = [u.text for u in UNITS if u.kind == "code" and u.context == FRAMEWORK_CODE]
    collected = [s for s in snippets.SNIPPETS if s.where == SHEET.name]
    assert lines and len(collected) == 1
    assert [line for line in collected[0].code.splitlines() if line.strip()] == lines
    assert collected[0].frameworks == {"PyTorch", "TensorFlow", "Keras", "JAX", "ONNX"}
    assert sum(" # -> " in line for line in lines) >= 4      # TensorFlow, Keras, JAX, ONNX, each against PyTorch


def test_formulas_are_the_libraries():
    """The formula lines, read from the sheet, evaluate to the library's sizes."""
    for unit in UNITS:
        if unit.kind == "code" and unit.context == "text":
            (check, slots), = matches(unit)
            check(formula(slots["f"]))


def test_layouts_cover_every_framework():
    rows = {u.cells[0] for u in UNITS if u.kind == "row" and u.context == "layer|weight"}
    transposed = {name for f in FRAMEWORKS.values() for name in f.layouts if "forward conv" not in name}
    assert transposed <= rows, transposed - rows


def test_recipes_cover_every_framework_to_and_from_torch():
    rows = [u.cells for u in UNITS if u.kind == "row" and u.context == "from|to|weight|then"]
    titles = {"TF" if f.name == "tf" else f.title for f in FRAMEWORKS.values() if f.name != "torch"}
    assert titles <= {r[0].split()[0] for r in rows if r[1].startswith("PyTorch")}
    assert {"TF", "Keras", "JAX", "ONNX"} <= {r[1].split()[0] for r in rows if r[0].startswith("PyTorch")}


# ------------------------------------------------------------------------------------------------------- the page

@pytest.fixture(scope="module")
def html_page(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("build_cheatsheet", BUILD)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    out = build.build(SHEET, tmp_path_factory.mktemp("cheatsheet") / "cheatsheet.html")
    return out.read_text(encoding="utf-8")


def test_page_is_self_contained(html_page):
    page = html_page
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert re.search(r"<title>Transposed convolution: a cheat sheet</title>", page)
    assert "<style>" in page and '<meta charset="utf-8">' in page
    assert "out = (in - 1)·s - 2p + d·(k - 1) + op + 1" in page
    assert "<table>" in page and "<td>(C_in, C_out / groups, kH, kW)</td>" not in page      # code kept as code
    assert "<code>(C_in, C_out / groups, kH, kW)</code>" in page
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, re.I), "the page loads nothing"
    assert not re.search(r"\bsrc\s*=|@import|url\(", page, re.I)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith(("https://arxiv.org/", "https://distill.pub/")) for h in hrefs), hrefs


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_page_prints_on_one_page_and_requests_nothing(html_page, tmp_path):
    """In Chromium: one A4 landscape page in print, and no request beyond the file itself."""
    import browser_util as bu

    missing = bu.chromium_missing_reason()
    if missing and os.environ.get("TCONV_EDU_REQUIRE_BROWSER"):    # .ci/run installed chromium: fail, not skip
        raise AssertionError(f"TCONV_EDU_REQUIRE_BROWSER is set but {missing}")
    if missing:
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    path = tmp_path / "cheatsheet.html"
    path.write_text(html_page, encoding="utf-8")
    requests = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=bu.CHROMIUM, args=bu.CHROMIUM_ARGS, headless=True)
        try:
            tab = browser.new_page()
            tab.on("request", lambda r: requests.append(r.url))
            tab.goto(path.as_uri())
            pdf = tab.pdf(prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    assert requests == [path.as_uri()], requests
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, "the sheet no longer prints on one page"
