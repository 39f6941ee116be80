"""Explorers: ipywidgets built on ``tconv_edu.viz``.

Each explorer is a function returning a ``VBox`` whose callbacks only set widget values (HTML text) and never
print, so notebooks stay reproducible under nbval and behave the same in JupyterLab and Voila. The controls stay
reachable for tests and for code: ``box.controls[name]`` (a dict of the number boxes and buttons), ``box.image``
(an ``HTML`` widget showing the figure as ``<img alt=...>``, the alt being ``viz.alt_text`` of the figure:
ipywidgets' ``Image`` has no alt), ``box.png`` (that figure's PNG bytes) and ``box.message``. Every control is
reached with Tab, changed with the arrow keys and named by its description. A combination the library rejects
shows the library's ``ArgumentError``.

>>> box = shape_explorer()
>>> box.controls["stride"].value = 2
>>> "output <b>8 x 8</b>" in box.message.value
False
>>> box.controls["output_padding"].value = 1
>>> box.controls["padding"].value, box.controls["input_size"].value
(1, 4)
>>> "output <b>8 x 8</b>" in box.message.value
True
"""
from __future__ import annotations

import html
import threading

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from . import artifacts, frameworks, shapes, viz

__all__ = ["Explorer", "PADDINGS", "scatter_stepper", "shape_explorer", "shape_report", "checkerboard_explorer",
           "matrix_explorer", "matrix_report", "groups_explorer", "groups_report", "porting_explorer", "porting_report",
           "source_layer"]

_NUMBER = dict(continuous_update=True, style={"description_width": "110px"}, layout=W.Layout(width="230px"))


def _number(description, value, lo, hi):
    """A bounded integer box: an ``<input type="number">`` that its ``<label>`` names for screen readers, reached
    with Tab and moved with the up and down arrow keys. (ipywidgets' ``IntSlider`` handle has no accessible name.)"""
    return W.BoundedIntText(value=value, min=lo, max=hi, step=1, description=description, **_NUMBER)


def _player(target, interval=0.9):
    """A "play" toggle button that moves ``target`` one step every ``interval`` seconds (a kernel-side timer) and
    stops at its maximum. Replaces ipywidgets' ``Play``, whose icon-only buttons have no name a screen reader reads."""
    button = W.ToggleButton(value=False, description="play", icon="play",
                            tooltip=f"step through the stamps, one every {interval} s")

    runs = [0]                          # one timer chain at a time: a chain stops when a newer one starts

    def tick(run):
        if button.value and run == runs[0]:
            if target.value >= target.max:
                button.value = False
            else:
                target.value += 1
                start(run)

    def start(run):
        timer = threading.Timer(interval, tick, args=(run,))
        timer.daemon = True
        timer.start()

    def toggled(change):
        button.description, button.icon = ("pause", "pause") if change.new else ("play", "play")
        runs[0] += 1
        if change.new:
            if target.value >= target.max:
                target.value = target.min
            start(runs[0])

    button.observe(toggled, names="value")
    return button


def _error(err) -> str:
    return f'<p style="color:{viz.COLORS["highlight"]}"><b>Not allowed:</b> {html.escape(str(err))}</p>'


class _Picture:
    """The explorer's figure: an ``HTML`` widget holding ``<img alt=...>`` (``widget``) and its PNG bytes (``png``)."""

    def __init__(self):
        self.widget, self.png = W.HTML(), b""
        self.widget.layout.align_self = "flex-start"   # natural size: a VBox would stretch (and blur) a narrow PNG

    def show(self, fig):
        self.png = viz.figure_png(fig)
        self.widget.value = viz.png_html(self.png, viz.alt_text(fig))

    def clear(self):
        self.png, self.widget.value = b"", ""


class Explorer(W.VBox):
    """The VBox of an explorer: ``controls``, ``image``, ``message`` and ``png`` (the bytes of the figure shown)."""

    @property
    def png(self) -> bytes:
        return self._picture.png


def _box(rows, controls, picture, message, update):
    """Assemble the VBox, wire every control to ``update`` and draw once."""
    box = Explorer(rows + [message, picture.widget])
    box.controls, box.image, box.message, box._picture = controls, picture.widget, message, picture
    for c in controls.values():
        if not isinstance(c, W.ToggleButton):   # the play button moves the step box; one redraw per tick
            c.observe(lambda change: update(), names="value")
    update()
    return box


def _one_panel(picture, message, figsize, report, draw):
    """One explorer update with a single Axes: ``message`` gets ``report()`` and ``picture`` the figure that
    ``draw(ax)`` makes; a combination the library rejects shows its message and no picture."""
    fig = Figure(figsize=figsize)
    try:
        text = report()
        draw(fig.add_subplot())
    except (shapes.ArgumentError, TypeError) as err:
        message.value = _error(err)
        picture.clear()
        return
    fig.tight_layout()
    message.value = text
    picture.show(fig)


def _tile(k, size):
    """A size x size kernel filled with k's values repeated row by row (so the stepper keeps the chosen values)."""
    return np.resize(np.asarray(k, dtype=float), (size, size))


def scatter_stepper(x=None, k=None):
    """Step through the input pixels of a transposed conv (a number box and a play button): each step draws the
    scaled kernel stamped into the output and the running sum (``viz.plot_scatter_step``).

    x: (H, W), default the seed article's [[1, 2], [3, 4]]; k: (kH, kW) square, default [[0, 1], [1, 0]]. The
    kernel-size box fills the new size with k's values repeated row by row.
    Controls: step, play, kernel_size, stride, padding, output_padding, dilation.
    """
    x = np.array([[1, 2], [3, 4]]) if x is None else np.asarray(x)
    k = np.array([[0, 1], [1, 0]]) if k is None else np.asarray(k)
    if x.ndim != 2 or k.ndim != 2 or k.shape[0] != k.shape[1]:
        raise shapes.ArgumentError(f"x, k: expected a 2-D x and a square 2-D k, got shapes {x.shape}, {k.shape}")
    n = x.size
    controls = {
        "step": _number("stamp", 0, 0, n - 1),
        "play": None,
        "kernel_size": _number("kernel size", k.shape[0], 1, 5),
        "stride": _number("stride", 1, 1, 3),
        "padding": _number("padding", 0, 0, 3),
        "output_padding": _number("output_padding", 0, 0, 2),
        "dilation": _number("dilation", 1, 1, 3),
    }
    controls["play"] = _player(controls["step"])
    image, message = _Picture(), W.HTML()
    c = controls

    def update():
        size = c["kernel_size"].value
        kern = k.astype(float) if size == k.shape[0] else _tile(k, size)
        params = dict(stride=c["stride"].value, padding=c["padding"].value,
                      output_padding=c["output_padding"].value, dilation=c["dilation"].value)
        fig = Figure(figsize=(13, 3.6))
        try:
            viz.plot_scatter_step(x, kern, c["step"].value, fig=fig, **params)
            out = shapes.output_size(x.shape, kern.shape, **params)
        except (shapes.ArgumentError, TypeError) as err:
            message.value = _error(err)
            image.clear()
            return
        i, j = divmod(c["step"].value, x.shape[1])
        message.value = (f"stamp {c['step'].value + 1} of {n}: x[{i}, {j}] = {viz.format_number(x[i, j])} times K, placed at "
                         f"({i * params['stride']}, {j * params['stride']})"
                         + (f" with its taps {params['dilation']} apart (dilation)" if params["dilation"] > 1 else "")
                         + f"; output <b>{out[0]} x {out[1]}</b> (the dashed frame)")
        image.show(fig)

    rows = [W.HBox([c["play"], c["step"]]), W.HBox([c["kernel_size"], c["stride"]]),
            W.HBox([c["padding"], c["output_padding"], c["dilation"]])]
    return _box(rows, controls, image, message, update)


def shape_report(n, k, s, p, op, d) -> str:
    """HTML lines of the shape explorer: every number from ``tconv_edu.shapes`` and ``tconv_edu.frameworks``."""
    out = shapes.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)[0]
    lo, hi = shapes.output_size_range(n, k, stride=s, padding=p, dilation=d)[0]
    op_lo = shapes.output_padding_for(n, lo, k, stride=s, padding=p, dilation=d)[0]   # > 0 where padding crops all
    back = shapes.conv_output_size(out, k, stride=s, padding=p, dilation=d)[0]
    same = frameworks.tf.tf_output_size_range(n, k, stride=s, padding="SAME", dilation=d)[0]
    valid = frameworks.tf.tf_output_size_range(n, k, stride=s, padding="VALID", dilation=d)[0]
    ks = frameworks.keras_output_size(n, k, strides=s, padding="same", dilation_rate=d)[0]
    kv = frameworks.keras_output_size(n, k, strides=s, padding="valid", dilation_rate=d)[0]
    rng = lambda a, b: f"{a}" if a == b else f"{a}..{b}"  # noqa: E731
    return "<br>".join([
        f"PyTorch: ({n} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 = output <b>{out} x {out}</b>",
        f"sizes that convolve back to {n} with this stride: <b>{rng(lo, hi)}</b> "
        f"(output_padding {op_lo}..{op_lo + hi - lo} picks one; PyTorch's output_size=N sets output_padding = "
        f"N {'-' if lo >= op_lo else '+'} {abs(lo - op_lo)})",
        f"the conv2d that maps back: conv2d(kernel {k}, stride {s}, padding {p}, dilation {d}) turns {out} into {back}",
        f"TensorFlow output_shape accepted: 'SAME' {rng(*same)}, 'VALID' {rng(*valid)}; "
        f"Keras with output_padding=None picks 'same' {ks}, 'valid' {kv}",
    ])


def shape_explorer():
    """Sliders for input size, kernel, stride, padding, output_padding and dilation; shows the output size, the
    valid range for the stride, the conv2d that maps back, what PyTorch, TensorFlow and Keras give, and the shape
    picture (``viz.plot_shape``)."""
    controls = {
        "input_size": _number("input size", 4, 1, 8),
        "kernel_size": _number("kernel size", 3, 1, 7),
        "stride": _number("stride", 1, 1, 4),
        "padding": _number("padding", 1, 0, 4),
        "output_padding": _number("output_padding", 0, 0, 3),
        "dilation": _number("dilation", 1, 1, 3),
    }
    image, message = _Picture(), W.HTML()
    c = controls

    def update():
        n, k, s, p, op, d = (c[name].value for name in controls)
        _one_panel(image, message, (5, 5.5), lambda: shape_report(n, k, s, p, op, d),
                   lambda ax: viz.plot_shape(n, k, stride=s, padding=p, output_padding=op, dilation=d, ax=ax))

    rows = [W.HBox([c["input_size"], c["kernel_size"], c["stride"]]),
            W.HBox([c["padding"], c["output_padding"], c["dilation"]])]
    return _box(rows, controls, image, message, update)


def checkerboard_explorer(n=6):
    """Kernel size and stride: the 2-D overlap map and the 1-D profile of stamps per output pixel, with the
    unevenness as a number (0 exactly when the kernel size is divisible by the stride). n: input size."""
    n = shapes.positive_int("n", n)
    controls = {"kernel_size": _number("kernel size", 3, 1, 8), "stride": _number("stride", 2, 1, 4)}
    image, message = _Picture(), W.HTML()
    c = controls

    def update():
        k, s = c["kernel_size"].value, c["stride"].value
        counts = artifacts.overlap_1d(n, k, s)
        fig = Figure(figsize=(11, 4.2))
        ax2, ax1 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
        viz.plot_overlap_2d(n, k, s, ax2, values=counts.size <= 14)      # numbers only where they fit
        viz.plot_overlap_1d(n, k, s, ax1)
        fig.tight_layout()
        margin = k - 1
        if counts.size - 2 * margin >= s:
            u1 = artifacts.unevenness(counts, s, margin=margin)
            u2 = artifacts.unevenness(artifacts.overlap_2d(n, k, s), s, margin=margin)
            verdict = "even: k is divisible by s" if artifacts.uniform(k, s) else \
                f"uneven: {k} % {s} = {k % s}, a checkerboard"
            message.value = f"unevenness <b>{u1:.2f}</b> (1-D), <b>{u2:.2f}</b> (2-D): {verdict}"
        else:
            message.value = "the output is too small to have an interior; use a smaller kernel or a larger stride"
        image.show(fig)

    rows = [W.HBox([c["kernel_size"], c["stride"]])]
    return _box(rows, controls, image, message, update)


# --- matrix, sub-pixel and learning figures ---

def matrix_report(input_size, k, stride, padding, pixel) -> str:
    """HTML of the matrix explorer: output pixel ``pixel`` of the transposed conv of an (n x n) x with the kernel
    K = 1 .. k*k (so that each entry of C names its tap), read off column p of ``tconv_edu.matrix.conv_matrix``."""
    from . import matrix

    kern = np.arange(1.0, k * k + 1).reshape(k, k)
    out = shapes.output_size(input_size, k, stride=stride, padding=padding)
    r, c = pixel
    p = r * out[1] + c
    col = matrix.conv_matrix(out, kern, stride=stride, padding=padding).tocsc()[:, [p]]
    terms = []
    for q, v in sorted(zip(col.indices, col.data)):
        i, j = divmod(int(q), input_size)
        a, b = divmod(int(v) - 1, k)
        terms.append(f"x[{i}, {j}]·K[{a}, {b}]")
    total = " + ".join(terms) if terms else "0 (no input pixel reaches it)"
    return (f"output pixel ({r}, {c}) of {out[0]} x {out[1]} is <b>column {p} of C</b> (row {p} of Cᵀ): "
            f"{len(terms)} non-zero{'s' if len(terms) != 1 else ''}, so y[{r}, {c}] = {total}<br>"
            f"C is {input_size * input_size} x {out[0] * out[1]} (conv2d maps {out[0]} x {out[1]} to "
            f"{input_size} x {input_size}); Cᵀ maps x back up: conv_transpose2d(x, K) = Cᵀ x")


def matrix_explorer(input_size=3, kernel_size=3, stride=2, padding=0):
    """Pick an output pixel of the transposed conv (row and column boxes): the picture outlines its column of C
    (its row of Cᵀ, ``viz.plot_matrix_pick``) and the input pixels that feed it; the text lists the products.

    The kernel holds 1 .. k*k so that each entry of C shows which tap it is. Controls: input_size, kernel_size,
    stride, padding, row, col (the row and column boxes follow the output size).
    """
    controls = {
        "input_size": _number("input size", shapes.integer("input_size", input_size), 1, 5),
        "kernel_size": _number("kernel size", shapes.integer("kernel_size", kernel_size), 1, 4),
        "stride": _number("stride", shapes.integer("stride", stride), 1, 3),
        "padding": _number("padding", shapes.integer("padding", padding), 0, 2),
        "row": _number("output row", 0, 0, 1),
        "col": _number("output column", 0, 0, 1),
    }
    image, message = _Picture(), W.HTML()
    c = controls
    busy = []                                   # set while update() moves the row/col boxes itself

    def update():
        if busy:
            return
        n, k, s, p = (c[name].value for name in ("input_size", "kernel_size", "stride", "padding"))
        try:
            out = shapes.output_size(n, k, stride=s, padding=p)
        except (shapes.ArgumentError, TypeError) as err:
            message.value = _error(err)
            image.clear()
            return
        busy.append(True)
        try:                                    # keep the picked pixel inside the output
            for name, size in (("row", out[0]), ("col", out[1])):
                c[name].max = max(size - 1, 1)
                c[name].value = min(c[name].value, size - 1)
                c[name].disabled = size == 1
        finally:
            busy.clear()
        pixel = (c["row"].value, c["col"].value)
        fig = Figure(figsize=(11, 4))      # 880 px at 80 dpi: fits JupyterLab's output area without scrolling
        viz.plot_matrix_pick(n, np.arange(1.0, k * k + 1).reshape(k, k), pixel, stride=s, padding=p, fig=fig)
        message.value = matrix_report(n, k, s, p, pixel)
        image.show(fig)

    rows = [W.HBox([c["row"], c["col"]]), W.HBox([c["input_size"], c["kernel_size"]]),
            W.HBox([c["stride"], c["padding"]])]
    return _box(rows, controls, image, message, update)


# --- groups and porting ---

def groups_report(c_in, c_out, g, k) -> str:
    """HTML of the groups explorer: the weight and bias shapes ``conv_transpose2d`` accepts, proved by a call."""
    from . import conv_transpose2d

    shape = (c_in, c_out // g, k, k)
    y = conv_transpose2d(np.zeros((c_in, 3, 3)), np.zeros(shape), np.zeros(c_out), groups=g)
    return (f"weight <b>{shape}</b> = (C_in, C_out/groups, kH, kW), bias <b>({c_out},)</b>; "
            f"out_channels = weight.shape[1] * groups = {shape[1]} * {g} = <b>{y.shape[0]}</b> "
            f"(a 3 x 3 input gives {y.shape}); the matching Conv2d's weight is "
            f"({c_out}, {c_in // g}, {k}, {k}) = (C_out, C_in/groups, kH, kW)"
            + (f"; groups={g} = C_in = C_out: depthwise, one kernel per channel" if g == c_in == c_out else ""))


def groups_explorer(in_channels=4, out_channels=4, groups=2):
    """In and out channels, groups and kernel size: which input channels stamp into which output channels
    (``viz.plot_groups``), the weight and bias shapes (checked by a call to ``conv_transpose2d``) and the matching
    Conv2d's weight. Controls: in_channels, out_channels, groups, kernel_size."""
    controls = {
        "in_channels": _number("in channels", shapes.integer("in_channels", in_channels), 1, 8),
        "out_channels": _number("out channels", shapes.integer("out_channels", out_channels), 1, 8),
        "groups": _number("groups", shapes.integer("groups", groups), 1, 8),
        "kernel_size": _number("kernel size", 3, 1, 5),
    }
    image, message = _Picture(), W.HTML()
    c = controls

    def update():
        c_in, c_out, g, k = (c[name].value for name in controls)
        _one_panel(image, message, (4.6, 0.9 + 0.42 * max(c_in, c_out)), lambda: groups_report(c_in, c_out, g, k),
                   lambda ax: viz.plot_groups(c_in, c_out, g, k, ax=ax))

    rows = [W.HBox([c["in_channels"], c["out_channels"]]), W.HBox([c["groups"], c["kernel_size"]])]
    return _box(rows, controls, image, message, update)


#: the padding choices of the porting explorer, and what each means in each framework's own terms
PADDINGS = ("0", "1", "2", "SAME", "VALID", "SAME_LOWER")


def source_layer(framework, n, k, s, padding, op, d, g, c_in=2, c_out=2):
    """The porting explorer's layer in ``framework``'s own arguments (an ``ArgumentError`` where it has none)."""
    from .porting import Layer

    params = frameworks.FRAMEWORKS[framework].explorer_params(n, k, s, padding, op, d, g)
    return Layer(framework, c_in, c_out, (k, k), params, input_size=(n, n))


def _to_layout(a, src, dst):
    """The data of framework ``src``'s default layout in framework ``dst``'s (NCHW <-> NHWC)."""
    nchw = frameworks.FRAMEWORKS[src].nchw
    if nchw == frameworks.FRAMEWORKS[dst].nchw:
        return a
    return a.transpose(0, 2, 3, 1) if nchw else a.transpose(0, 3, 1, 2)


def porting_report(framework, target, n, k, s, padding, op, d, g, seed=0) -> str:
    """HTML of the porting explorer: the target's arguments, the weight transform, exactness, and the check that
    both frameworks' entry points (``porting.run``) give the same numbers after the port."""
    from .porting import port, run

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
    verdict = "<b>exact port</b>" if p.exact else f"<b>no exact port</b>: crop {p.residual} of the target's output"
    return "<br>".join([
        f"{framework}: {html.escape(show(layer.params))}",
        f"{target}: {html.escape(show(p.layer.params))}",
        f"weight: {html.escape(p.weight_rule)}",
        f"{verdict}{'; ' + html.escape(p.note) if p.note else ''}",
        f"computed both ways on a random {n} x {n} input: "
        f"{'the same numbers' if same else 'they differ'} (output {want.shape})",
    ])


def porting_explorer(source="tf", target="torch"):
    """Pick the source and target frameworks and the layer's parameters: the target's arguments, the weight
    transform, whether an exact port exists, and a check computed in both conventions (``tconv_edu.port``).
    Controls: source, target, input_size, kernel_size, stride, padding, output_padding, dilation, groups."""
    pick = lambda name, value, options: W.Dropdown(options=options, value=value, description=name,  # noqa: E731
                                                   style={"description_width": "110px"},
                                                   layout=W.Layout(width="230px"))
    controls = {
        "source": pick("source", source, tuple(frameworks.FRAMEWORKS)),
        "target": pick("target", target, tuple(frameworks.FRAMEWORKS)),
        "input_size": _number("input size", 4, 1, 8),
        "kernel_size": _number("kernel size", 3, 1, 5),
        "stride": _number("stride", 2, 1, 4),
        "padding": pick("padding", "SAME", PADDINGS),
        "output_padding": _number("output_padding", 0, 0, 3),
        "dilation": _number("dilation", 1, 1, 3),
        "groups": _number("groups", 1, 1, 2),
    }
    message = W.HTML()
    c = controls

    def update():
        args = [c[name].value for name in controls]
        try:
            message.value = porting_report(*args)
        except (shapes.ArgumentError, TypeError) as err:
            message.value = _error(err)

    box = Explorer([W.HBox([c["source"], c["target"], c["input_size"]]),
                    W.HBox([c["kernel_size"], c["stride"], c["padding"]]),
                    W.HBox([c["output_padding"], c["dilation"], c["groups"]]), message])
    box.controls, box.image, box.message, box._picture = controls, None, message, _Picture()
    for ctl in controls.values():
        ctl.observe(lambda change: update(), names="value")
    update()
    return box
