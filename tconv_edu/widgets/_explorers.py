"""The explorers' kernel side: what each computes with the library and sends to its page module."""
from __future__ import annotations

import numpy as np
import traitlets as T

from .. import artifacts, frameworks, scatter, shapes, steps, viz
from ._base import Explorer, esm, f64, i32, number, scatter_links, select



def _tile(k, size):
    """A size x size kernel filled with k's values repeated row by row (so the stepper keeps the chosen values)."""
    return np.resize(np.asarray(k, dtype=float), (size, size))


def scatter_readout(x, k, cell, *, stride=1, padding=0, output_padding=0, dilation=1) -> str:
    """The stepper's readout for output pixel ``cell`` = (r, c): its products and its value, e.g.
    ``y[1,1] = x[0,0]·w[1,1] + x[0,1]·w[1,0] + x[1,0]·w[0,1] + x[1,1]·w[0,0] = 5`` (what the page writes on hover).

    >>> scatter_readout([[1, 2], [3, 4]], [[0, 1], [1, 0]], (1, 1))
    'y[1,1] = x[0,0]·w[1,1] + x[0,1]·w[1,0] + x[1,0]·w[0,1] + x[1,1]·w[0,0] = 5'
    """
    ex = ScatterStepper(x=x, k=k, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    if ex.error:
        raise shapes.ArgumentError(ex.error)
    t, l = ex.meta["offset"]
    return ex.readout(cell[0] + t, cell[1] + l)


class ScatterStepper(Explorer):
    """Step through the input pixels of a transposed conv: each stamp x[i, j]·w placed into the running sum."""

    _esm = esm("scatter")
    TITLE = "scatter stepper"
    step = T.Int(0).tag(sync=True)
    kernel_size = T.Int(2).tag(sync=True)
    stride = T.Int(1).tag(sync=True)
    padding = T.Int(0).tag(sync=True)
    output_padding = T.Int(0).tag(sync=True)
    dilation = T.Int(1).tag(sync=True)
    x = T.Bytes(b"").tag(sync=True)
    k = T.Bytes(b"").tag(sync=True)
    totals = T.Bytes(b"").tag(sync=True)
    links = T.Bytes(b"").tag(sync=True)
    PARAMS = ("kernel_size", "stride", "padding", "output_padding", "dilation")
    LOCAL = ("step",)

    def __init__(self, x=None, k=None, **kwargs):
        x = np.array([[1, 2], [3, 4]]) if x is None else np.asarray(x)
        k = np.array([[0, 1], [1, 0]]) if k is None else np.asarray(k)
        if x.ndim != 2 or k.ndim != 2 or k.shape[0] != k.shape[1]:
            raise shapes.ArgumentError(f"x, k: expected a 2-D x and a square 2-D k, got shapes {x.shape}, {k.shape}")
        self._x, self._k = x.astype(float), k.astype(float)
        controls = [number("step", "stamp", 0, x.size - 1), number("kernel_size", "kernel size", 1, 5),
                    number("stride", "stride", 1, 3), number("padding", "padding", 0, 3),
                    number("output_padding", "output_padding", 0, 2), number("dilation", "dilation", 1, 3)]
        super().__init__(controls=controls, kernel_size=kwargs.pop("kernel_size", k.shape[0]), **kwargs)

    def kernel(self, size):
        """k at ``size`` x ``size``: k itself, or its values repeated row by row."""
        return self._k if size == self._k.shape[0] else _tile(self._k, size)

    def compute(self, p):
        x, kern = self._x, self.kernel(p.kernel_size)
        params = dict(stride=p.stride, padding=p.padding, output_padding=p.output_padding, dilation=p.dilation)
        n = x.size
        totals = [steps.scatter_step(x, kern, t, **params) for t in range(n)]
        last = totals[-1]
        links = scatter_links(last.canvas_size, kern.shape, p.stride, p.dilation, x.shape)
        out = last.out_size
        stamps = []
        for t, st in enumerate(totals):
            i, j = st.pixel
            stamps.append(f"stamp {t + 1} of {n}: x[{i},{j}] = {viz.format_number(st.value)} times w, placed at "
                          f"{st.origin}" + (f" with its taps {p.dilation} apart (dilation)"
                                            if p.dilation > 1 else ""))
        meta = dict(n=n, xs=list(x.shape), ks=list(kern.shape), canvas=list(last.canvas_size),
                    offset=list(last.offset), out=list(out), steps=stamps,
                    lines=[f"output {out[0]} x {out[1]} (the dashed frame) on the {last.canvas_size[0]} x "
                           f"{last.canvas_size[1]} canvas of every stamp"])
        arrays = dict(x=f64(x), k=f64(kern), totals=f64(np.stack([st.total for st in totals])), links=i32(links))
        return arrays, meta

    def describe(self):
        m = self.meta
        return f"{m['steps'][min(self.step, m['n'] - 1)]}; " + "; ".join(m["lines"])

    def readout(self, r, c) -> str:
        """The page's readout for canvas pixel (r, c), from the arrays sent (see ``scatter_readout``)."""
        m = self.meta
        (hc, wc), (t, l), (ho, wo), w, kw = m["canvas"], m["offset"], m["out"], m["xs"][1], m["ks"][1]
        links = np.frombuffer(self.links, "<i4").reshape(-1, 3)
        totals = np.frombuffer(self.totals, "<f8").reshape(m["n"], hc, wc)
        name = f"y[{r - t},{c - l}]" if 0 <= r - t < ho and 0 <= c - l < wo else \
            f"canvas[{r},{c}] (cropped by padding)"
        terms = [f"x[{q // w},{q % w}]·w[{tap // kw},{tap % kw}]" for q, tap, at in links if at == r * wc + c]
        if not terms:
            return f"{name} = 0 (no stamp reaches it)"
        return f"{name} = {' + '.join(terms)} = {viz.format_number(totals[-1, r, c])}"


def scatter_stepper(x=None, k=None):
    """Step through the input pixels of a transposed conv (a stamp box and a play button): x, the kernel w and the
    running sum of the stamps x[i, j]·w on the uncropped canvas, the output framed. Hover an output pixel (or focus
    the picture and use the arrow keys) for its sum, an input pixel for its stamp, a tap for what it multiplies.

    x: (H, W), default the seed article's [[1, 2], [3, 4]]; k: (kH, kW) square, default [[0, 1], [1, 0]]. The
    kernel-size box fills the new size with k's values repeated row by row.
    Controls (traits): step, kernel_size, stride, padding, output_padding, dilation.
    """
    return ScatterStepper(x, k)


def shape_report(n, k, s, p, op, d) -> str:
    """The shape explorer's lines: every number from ``tconv_edu.shapes`` and ``tconv_edu.frameworks``."""
    out = shapes.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)[0]
    lo, hi = shapes.output_size_range(n, k, stride=s, padding=p, dilation=d)[0]
    op_lo = shapes.output_padding_for(n, lo, k, stride=s, padding=p, dilation=d)[0]   # > 0 where padding crops all
    back = shapes.conv_output_size(out, k, stride=s, padding=p, dilation=d)[0]
    same = frameworks.tf.tf_output_size_range(n, k, stride=s, padding="SAME", dilation=d)[0]
    valid = frameworks.tf.tf_output_size_range(n, k, stride=s, padding="VALID", dilation=d)[0]
    ks = frameworks.keras_output_size(n, k, strides=s, padding="same", dilation_rate=d)[0]
    kv = frameworks.keras_output_size(n, k, strides=s, padding="valid", dilation_rate=d)[0]
    rng = lambda a, b: f"{a}" if a == b else f"{a}..{b}"  # noqa: E731
    return "\n".join([
        f"PyTorch: ({n} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 = output {out} x {out}",
        f"sizes that convolve back to {n} with this stride: {rng(lo, hi)} "
        f"(output_padding {op_lo}..{op_lo + hi - lo} picks one; PyTorch's output_size=N sets output_padding = "
        f"N {'-' if lo >= op_lo else '+'} {abs(lo - op_lo)})",
        f"the conv2d that maps back: conv2d(kernel {k}, stride {s}, padding {p}, dilation {d}) turns {out} into {back}",
        f"TensorFlow output_shape accepted: 'SAME' {rng(*same)}, 'VALID' {rng(*valid)}; "
        f"Keras with output_padding=None picks 'same' {ks}, 'valid' {kv}",
    ])


class ShapeExplorer(Explorer):
    """Input size, kernel, stride, padding, output_padding, dilation: the output size and the canvas picture."""

    _esm = esm("shape")
    TITLE = "output shape explorer"
    input_size = T.Int(4).tag(sync=True)
    kernel_size = T.Int(3).tag(sync=True)
    stride = T.Int(1).tag(sync=True)
    padding = T.Int(1).tag(sync=True)
    output_padding = T.Int(0).tag(sync=True)
    dilation = T.Int(1).tag(sync=True)
    roles = T.Bytes(b"").tag(sync=True)
    counts = T.Bytes(b"").tag(sync=True)
    PARAMS = ("input_size", "kernel_size", "stride", "padding", "output_padding", "dilation")
    #: the canvas cells' roles (bits of ``roles``)
    KEPT, ORIGIN, ADDED = 1, 2, 4

    def __init__(self, **kwargs):
        controls = [number("input_size", "input size", 1, 8), number("kernel_size", "kernel size", 1, 7),
                    number("stride", "stride", 1, 4), number("padding", "padding", 0, 4),
                    number("output_padding", "output_padding", 0, 3), number("dilation", "dilation", 1, 3)]
        super().__init__(controls=controls, **kwargs)

    def compute(self, q):
        n, k, s, p, op, d = (getattr(q, name) for name in self.PARAMS)
        lines = shape_report(n, k, s, p, op, d).split("\n")
        out = shapes.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)[0]
        full = shapes.output_size(n, k, stride=s, dilation=d)[0]            # the uncropped scatter output
        size = max(full, p + out)
        rows, cols = np.arange(size)[:, None], np.arange(size)[None, :]
        kept = (p <= rows) & (rows < p + out) & (p <= cols) & (cols < p + out)
        origin = (rows % s == 0) & (cols % s == 0) & (rows // s < n) & (cols // s < n)
        added = kept & ((rows >= p + out - op) | (cols >= p + out - op)) & (op > 0)
        roles = kept * self.KEPT + origin * self.ORIGIN + added * self.ADDED
        counts = np.zeros((size, size), dtype=int)
        counts[:full, :full] = np.rint(scatter.conv_transpose2d(np.ones((n, n)), np.ones((k, k)), stride=s,
                                                                dilation=d))
        meta = dict(size=size, full=full, out=out, padding=p, output_padding=op, lines=lines)
        return dict(roles=i32(roles), counts=i32(counts)), meta


def shape_explorer():
    """Boxes for input size, kernel, stride, padding, output_padding and dilation; shows the output size, the
    valid range for the stride, the conv2d that maps back, what PyTorch, TensorFlow and Keras give, and the canvas:
    stamp origins, the rows and columns padding crops, those output_padding adds, the output framed. Hover a canvas
    cell: what it becomes and how many stamps overlap it."""
    return ShapeExplorer()


def matrix_report(input_size, k, stride, padding, pixel) -> str:
    """The matrix explorer's text for output pixel ``pixel`` of the transposed conv of an (n x n) x with the kernel
    w = 1 .. k*k (so that each entry of C names its tap), read off column p of ``tconv_edu.matrix.conv_matrix``."""
    from .. import matrix

    kern = np.arange(1.0, k * k + 1).reshape(k, k)
    out = shapes.output_size(input_size, k, stride=stride, padding=padding)
    r, c = pixel
    p = r * out[1] + c
    col = matrix.conv_matrix(out, kern, stride=stride, padding=padding).tocsc()[:, [p]]
    terms = []
    for q, v in sorted(zip(col.indices, col.data)):
        i, j = divmod(int(q), input_size)
        a, b = divmod(int(v) - 1, k)
        terms.append(f"x[{i},{j}]·w[{a},{b}]")
    total = " + ".join(terms) if terms else "0 (no input pixel reaches it)"
    return (f"output pixel ({r}, {c}) of {out[0]} x {out[1]} is column {p} of C (row {p} of Cᵀ): "
            f"{len(terms)} non-zero{'s' if len(terms) != 1 else ''}, so y[{r},{c}] = {total}\n"
            f"C is {input_size * input_size} x {out[0] * out[1]} (conv2d maps {out[0]} x {out[1]} to "
            f"{input_size} x {input_size}); Cᵀ maps x back up: conv_transpose2d(x, w) = Cᵀ x")


class MatrixExplorer(Explorer):
    """Pick an output pixel: its column of C (row of Cᵀ) and the input pixels and taps that feed it."""

    _esm = esm("matrix")
    TITLE = "matrix explorer"
    input_size = T.Int(3).tag(sync=True)
    kernel_size = T.Int(3).tag(sync=True)
    stride = T.Int(2).tag(sync=True)
    padding = T.Int(0).tag(sync=True)
    row = T.Int(0).tag(sync=True)
    col = T.Int(0).tag(sync=True)
    entries = T.Bytes(b"").tag(sync=True)
    PARAMS = ("input_size", "kernel_size", "stride", "padding")
    LOCAL = ("row", "col")

    def __init__(self, **kwargs):
        controls = [number("row", "output row", 0, 1), number("col", "output column", 0, 1),
                    number("input_size", "input size", 1, 5), number("kernel_size", "kernel size", 1, 4),
                    number("stride", "stride", 1, 3), number("padding", "padding", 0, 2)]
        super().__init__(controls=controls, **kwargs)

    def compute(self, q):
        from .. import matrix

        n, k, s, p = (getattr(q, name) for name in self.PARAMS)
        out = shapes.output_size(n, k, stride=s, padding=p)
        C = matrix.conv_matrix(out, np.arange(1.0, k * k + 1).reshape(k, k), stride=s, padding=p).tocoo()
        entries = np.stack([C.row, C.col, np.rint(C.data).astype(int) - 1], axis=1)   # (x pixel, y pixel, tap)
        entries = entries[np.lexsort((entries[:, 0], entries[:, 1]))]
        # keep the picked pixel inside the output (these two are the page's; the kernel moves them only here), in
        # the same message as the entries
        bounds = {"row": out[0] - 1, "col": out[1] - 1}
        controls = [dict(c, max=bounds[c["name"]]) if c["name"] in bounds else c for c in self.controls]
        meta = dict(n=n, k=k, out=list(out),
                    lines=[f"C is {n * n} x {out[0] * out[1]} (conv2d maps {out[0]} x {out[1]} to {n} x {n}); "
                           "Cᵀ maps x back up: conv_transpose2d(x, w) = Cᵀ x"])
        return dict(entries=i32(entries), controls=controls, row=min(self.row, bounds["row"]),
                    col=min(self.col, bounds["col"])), meta

    def describe(self):
        m = self.meta
        return matrix_report(m["n"], m["k"], self.stride, self.padding, (self.row, self.col))

    def entry(self, q, p) -> str:
        """The readout of entry C[q, p] (= Cᵀ[p, q]): its input pixel, output pixel and kernel tap."""
        m = self.meta
        n, k, wo = m["n"], m["k"], m["out"][1]
        e = np.frombuffer(self.entries, "<i4").reshape(-1, 3)
        hit = e[(e[:, 0] == q) & (e[:, 1] == p)]
        where = f"Cᵀ[{p},{q}] = C[{q},{p}]"
        if not len(hit):
            return f"{where} = 0: input pixel x[{q // n},{q % n}] does not reach output pixel y[{p // wo},{p % wo}]"
        a, b = divmod(int(hit[0, 2]), k)
        return (f"{where} = w[{a},{b}] = {a * k + b + 1}: input pixel x[{q // n},{q % n}], output pixel "
                f"y[{p // wo},{p % wo}], kernel tap w[{a},{b}]")


def matrix_explorer(input_size=3, kernel_size=3, stride=2, padding=0):
    """Pick an output pixel of the transposed conv (row and column boxes): the picture outlines its column of C
    (its row of Cᵀ, C from ``tconv_edu.matrix.conv_matrix``) and the input pixels that feed it; the text lists the
    products. Hover an entry of C: its input pixel, output pixel and kernel tap.

    The kernel holds 1 .. k*k so that each entry of C shows which tap it is. Controls (traits): row, col,
    input_size, kernel_size, stride, padding (the row and column boxes follow the output size).
    """
    return MatrixExplorer(input_size=shapes.integer("input_size", input_size),
                          kernel_size=shapes.integer("kernel_size", kernel_size),
                          stride=shapes.integer("stride", stride), padding=shapes.integer("padding", padding))


class CheckerboardExplorer(Explorer):
    """Kernel size and stride: stamps per output pixel in 2-D and 1-D, and the unevenness."""

    _esm = esm("checkerboard")
    TITLE = "checkerboard explorer"
    kernel_size = T.Int(3).tag(sync=True)
    stride = T.Int(2).tag(sync=True)
    counts = T.Bytes(b"").tag(sync=True)
    PARAMS = ("kernel_size", "stride")

    def __init__(self, n=6, **kwargs):
        self.n = shapes.positive_int("n", n)
        controls = [number("kernel_size", "kernel size", 1, 8), number("stride", "stride", 1, 4)]
        super().__init__(controls=controls, **kwargs)

    def compute(self, p):
        n, k, s = self.n, p.kernel_size, p.stride
        counts = artifacts.overlap_2d(n, k, s)
        c1 = artifacts.overlap_1d(n, k, s)
        margin = k - 1
        if c1.size - 2 * margin >= s:
            u1 = artifacts.unevenness(c1, s, margin=margin)
            u2 = artifacts.unevenness(counts, s, margin=margin)
            verdict = "even: k is divisible by s" if artifacts.uniform(k, s) else \
                f"uneven: {k} % {s} = {k % s}, a checkerboard"
            line = f"unevenness {u1:.2f} (1-D), {u2:.2f} (2-D): {verdict}"
        else:
            line = "the output is too small to have an interior; use a smaller kernel or a larger stride"
        meta = dict(n=n, k=k, s=s, size=list(counts.shape), margin=margin,
                    lines=[f"stamps per pixel of the full {counts.shape[0]} x {counts.shape[1]} output of a "
                           f"{n} x {n} input, kernel {k}, stride {s}: {int(counts.min())} to {int(counts.max())}",
                           line])
        return dict(counts=i32(counts)), meta


def checkerboard_explorer(n=6):
    """Kernel size and stride: the 2-D overlap map and the 1-D profile of stamps per output pixel, with the
    unevenness as a number (0 exactly when the kernel size is divisible by the stride). Hover a pixel: how many
    stamps overlap it. n: input size."""
    return CheckerboardExplorer(n)


def groups_report(c_in, c_out, g, k) -> str:
    """The groups explorer's text: the weight and bias shapes ``conv_transpose2d`` accepts, proved by a call."""
    from .. import conv_transpose2d

    shape = (c_in, c_out // g, k, k)
    y = conv_transpose2d(np.zeros((c_in, 3, 3)), np.zeros(shape), np.zeros(c_out), groups=g)
    return (f"weight {shape} = (C_in, C_out/groups, kH, kW), bias ({c_out},); "
            f"out_channels = weight.shape[1] * groups = {shape[1]} * {g} = {y.shape[0]} "
            f"(a 3 x 3 input gives {y.shape}); the matching Conv2d's weight is "
            f"({c_out}, {c_in // g}, {k}, {k}) = (C_out, C_in/groups, kH, kW)"
            + (f"; groups={g} = C_in = C_out: depthwise, one kernel per channel" if g == c_in == c_out else ""))


class GroupsExplorer(Explorer):
    """Which input channels stamp into which output channels, and the weight and bias shapes."""

    _esm = esm("groups")
    TITLE = "groups explorer"
    in_channels = T.Int(4).tag(sync=True)
    out_channels = T.Int(4).tag(sync=True)
    groups = T.Int(2).tag(sync=True)
    kernel_size = T.Int(3).tag(sync=True)
    links = T.Bytes(b"").tag(sync=True)
    PARAMS = ("in_channels", "out_channels", "groups", "kernel_size")

    def __init__(self, **kwargs):
        controls = [number("in_channels", "in channels", 1, 8), number("out_channels", "out channels", 1, 8),
                    number("groups", "groups", 1, 8), number("kernel_size", "kernel size", 1, 5)]
        super().__init__(controls=controls, **kwargs)

    def compute(self, p):
        from .. import conv_transpose2d

        c_in, c_out, g, k = (getattr(p, name) for name in self.PARAMS)
        text = groups_report(c_in, c_out, g, k)
        # which output channels each input channel reaches: one-hot inputs through a weight of ones
        y = conv_transpose2d(np.eye(c_in).reshape(c_in, c_in, 1, 1), np.ones((c_in, c_out // g, 1, 1)), groups=g)
        links = (np.abs(y[:, :, 0, 0]) > 0).astype(int)                     # (c_in, c_out)
        meta = dict(c_in=c_in, c_out=c_out, g=g, k=k, per_in=c_in // g, per_out=c_out // g, lines=[text])
        return dict(links=i32(links)), meta


def groups_explorer(in_channels=4, out_channels=4, groups=2):
    """In and out channels, groups and kernel size: which input channels stamp into which output channels, the
    weight and bias shapes (checked by a call to ``conv_transpose2d``) and the matching Conv2d's weight. Hover a
    channel: the channels it is joined to and the weight slice between them.
    Controls (traits): in_channels, out_channels, groups, kernel_size."""
    return GroupsExplorer(in_channels=shapes.integer("in_channels", in_channels),
                          out_channels=shapes.integer("out_channels", out_channels),
                          groups=shapes.integer("groups", groups))


#: the padding choices of the porting explorer, and what each means in each framework's own terms
PADDINGS = ("0", "1", "2", "SAME", "VALID", "SAME_LOWER")


def source_layer(framework, n, k, s, padding, op, d, g, c_in=2, c_out=2):
    """The porting explorer's layer in ``framework``'s own arguments (an ``ArgumentError`` where it has none)."""
    from ..porting import Layer

    params = frameworks.FRAMEWORKS[framework].explorer_params(n, k, s, padding, op, d, g)
    return Layer(framework, c_in, c_out, (k, k), params, input_size=(n, n))


def _to_layout(a, src, dst):
    """The data of framework ``src``'s default layout in framework ``dst``'s (NCHW <-> NHWC)."""
    nchw = frameworks.FRAMEWORKS[src].nchw
    if nchw == frameworks.FRAMEWORKS[dst].nchw:
        return a
    return a.transpose(0, 2, 3, 1) if nchw else a.transpose(0, 3, 1, 2)


def porting_report(framework, target, n, k, s, padding, op, d, g, seed=0) -> str:
    """The porting explorer's lines: the target's arguments, the weight transform, exactness, and the check that
    both frameworks' entry points (``porting.run``) give the same numbers after the port."""
    from ..porting import port, run

    layer = source_layer(framework, n, k, s, padding, op, d, g)
    p = port(layer, target)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, n, n) if layer.rules.nchw else (1, n, n, 2))
    w, b = rng.standard_normal(layer.rules.weight_shape(layer)), rng.standard_normal(2)
    want = run(layer, x, w, b)
    got = p.finish(run(p.layer, _to_layout(x, framework, target), p.weight(w), b), b)
    same = want.shape == _to_layout(got, target, framework).shape and \
        np.allclose(want, _to_layout(got, target, framework))
    show = lambda params: ", ".join(f"{key}={v!r}" for key, v in params.items())  # noqa: E731
    verdict = "exact port" if p.exact else f"no exact port: crop {p.residual} of the target's output"
    return "\n".join([
        f"{framework}: {show(layer.params)}",
        f"{target}: {show(p.layer.params)}",
        f"weight: {p.weight_rule}",
        f"{verdict}{'; ' + p.note if p.note else ''}",
        f"computed both ways on a random {n} x {n} input: "
        f"{'the same numbers' if same else 'they differ'} (output {want.shape})",
    ])


class PortingExplorer(Explorer):
    """A layer in one framework's terms and its port to another (text only)."""

    _esm = esm("porting")
    TITLE = "porting explorer"
    source = T.Unicode("tf").tag(sync=True)
    target = T.Unicode("torch").tag(sync=True)
    input_size = T.Int(4).tag(sync=True)
    kernel_size = T.Int(3).tag(sync=True)
    stride = T.Int(2).tag(sync=True)
    padding = T.Unicode("SAME").tag(sync=True)
    output_padding = T.Int(0).tag(sync=True)
    dilation = T.Int(1).tag(sync=True)
    groups = T.Int(1).tag(sync=True)
    PARAMS = ("source", "target", "input_size", "kernel_size", "stride", "padding", "output_padding", "dilation",
              "groups")

    def __init__(self, **kwargs):
        names = tuple(frameworks.FRAMEWORKS)
        controls = [select("source", "source", names), select("target", "target", names),
                    number("input_size", "input size", 1, 8), number("kernel_size", "kernel size", 1, 5),
                    number("stride", "stride", 1, 4), select("padding", "padding", PADDINGS),
                    number("output_padding", "output_padding", 0, 3), number("dilation", "dilation", 1, 3),
                    number("groups", "groups", 1, 2)]
        super().__init__(controls=controls, **kwargs)

    def compute(self, p):
        text = porting_report(*(getattr(p, name) for name in self.PARAMS))
        return {}, dict(lines=text.split("\n"))


def porting_explorer(source="tf", target="torch"):
    """Pick the source and target frameworks and the layer's parameters: the target's arguments, the weight
    transform, whether an exact port exists, and a check computed in both conventions (``tconv_edu.port``).
    Controls (traits): source, target, input_size, kernel_size, stride, padding, output_padding, dilation, groups."""
    return PortingExplorer(source=source, target=target)
