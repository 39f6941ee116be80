"""Pictures of transposed convolution: pure matplotlib functions ``plot_*(..., ax=None) -> Axes``.

One colour per role throughout the course (as in Dumoulin & Visin's conv_arithmetic figures): ``COLORS["input"]``,
``COLORS["kernel"]``, ``COLORS["output"]``; a grid of values is shaded with its role's colour map (``cmap(role)``).
Functions that draw several panels take ``fig=None`` and return the ``Figure`` (said in their docstrings).
Every number drawn comes from the library (``tconv_edu.steps``, ``tconv_edu.artifacts``, ``tconv_edu.shapes``).

Every figure also says what it shows: ``alt_text(fig_or_ax)`` is a short text made from the data drawn. Figures
made here (``ax=None``/``fig=None``) are ``DescribedFigure``s: shown in a notebook they display as an HTML ``<img>``
whose ``alt`` is that text (and the text is their ``text/plain``), so screen readers in JupyterLab and Voila read it.

>>> import numpy as np
>>> ax = plot_grid(np.array([[1, 2], [3, 4]]), "input")
>>> [t.get_text() for t in ax.texts]
['1', '2', '3', '4']
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullLocator

from . import artifacts, shapes, steps

__all__ = ["COLORS", "CROP_HATCH", "HIGHLIGHT_WIDTH", "NEGATIVE", "IMAGE_VALUES_MAX", "FIGURE_ROLES", "PHASE_COLORS",
           "PHASE_HATCHES", "SERIES_COLORS", "DescribedFigure", "describe", "alt_text", "format_number", "figure_png",
           "figure_html", "png_html", "cmap", "new_axes", "new_figure",
           "plot_grid", "plot_scatter_step", "plot_scatter_sum", "plot_shape", "plot_overlap_1d", "plot_overlap_2d",
           "plot_images", "plot_profiles", "plot_matrix", "plot_grids", "plot_matrix_pick", "plot_pixel_shuffle",
           "plot_curves", "plot_bars", "plot_benchmark", "plot_groups"]

#: role -> colour, the same in every figure of the course. Chosen for colour-vision deficiency: the roles that one
#: figure draws together (FIGURE_ROLES) stay at least CAM02-UCS ΔE 20 apart under simulated protanopia,
#: deuteranopia and tritanopia and in greyscale (lightness alone): dark highlight, mid blue, light green, lighter
#: gold (tests/test_palette.py). Colour never works alone: the highlight is a thick outline, crop is also hatched.
COLORS = {
    "input": "#2d5ae1",      # blue
    "kernel": "#ffd22d",     # gold
    "output": "#0fb478",     # green
    "crop": "#e6e6e6",       # light grey, hatched (CROP_HATCH): rows/columns that padding removes
    "highlight": "#5a0f0f",  # dark red, drawn as a thick outline: the current pixel / stamp / selection
}
CROP_HATCH = "xx"
HIGHLIGHT_WIDTH = 3.5
#: the negative end of a signed grid's colour map (``cmap(role, signed=True)``: NEGATIVE, white at 0, the role's
#: colour): a dark indigo, at least ΔE 20 from every role colour and the highlight under normal vision and the three
#: simulated deficiencies, and darker than the input, kernel and output colours by ΔE 20 in greyscale
#: (tests/test_palette.py); the sign is also printed in each cell
NEGATIVE = "#200060"

#: the roles each figure draws together: every pair within one set must stay apart (tests/test_palette.py)
FIGURE_ROLES = {
    "plot_grid": ("input", "kernel", "output", "highlight"),        # its role, the highlight, the output frame
    "plot_scatter_step": ("input", "kernel", "output", "highlight"),
    "plot_scatter_sum": ("kernel", "output", "highlight"),
    "plot_shape": ("input", "output", "crop"),
    "plot_overlap_1d": ("output", "crop"),
    "plot_matrix": ("input", "kernel", "output", "highlight"),
    "plot_grids": ("input", "kernel", "output", "highlight"),
    "plot_matrix_pick": ("input", "kernel", "output", "highlight"),
    "plot_groups": ("input", "kernel", "output", "highlight"),
}


def cmap(role: str, signed: bool = False) -> LinearSegmentedColormap:
    """White-to-role colour map for shading grids of values; ``signed``: a diverging map for values of both signs,
    ``NEGATIVE`` - white - role colour, white at its centre (drawn with limits symmetric about 0, so 0 is white)."""
    if role not in COLORS:
        raise shapes.ArgumentError(f"role={role!r}: expected one of {sorted(COLORS)}")
    if signed:
        return LinearSegmentedColormap.from_list(f"{role}_signed", [NEGATIVE, "#ffffff", COLORS[role]],
                                                 N=257)         # odd: one entry sits exactly on 0, white
    return LinearSegmentedColormap.from_list(role, ["#ffffff", COLORS[role]])


class DescribedFigure(Figure):
    """A matplotlib Figure that a notebook shows as ``<img alt="...">``, the alt being ``alt_text(self)``.

    IPython calls ``_ipython_display_`` instead of its PNG formatter, so one output carries ``text/html`` (the
    image, base64, with its alt) and ``text/plain`` (the alt text alone, which nbval compares).
    """

    def _ipython_display_(self):
        from IPython.display import display

        display({"text/html": figure_html(self, bbox_inches="tight"), "text/plain": alt_text(self)}, raw=True)


def new_axes(ax=None, figsize=(4, 4)):
    """``ax`` itself, or a new Axes on a new pyplot figure (a ``DescribedFigure``, shown inline in notebooks)."""
    if ax is not None:
        return ax
    return plt.subplots(figsize=figsize, FigureClass=DescribedFigure)[1]


def new_figure(fig=None, figsize=(10, 3)):
    """``fig`` itself (cleared), or a new pyplot figure (a ``DescribedFigure``)."""
    if fig is None:
        return plt.figure(figsize=figsize, FigureClass=DescribedFigure)
    fig.clear()
    return fig


def describe(artist, text: str):
    """Attach the text alternative ``text`` to a Figure or Axes (what ``alt_text`` returns); returns ``artist``."""
    artist._tconv_alt = " ".join(str(text).split())
    return artist


def alt_text(artist) -> str:
    """The text alternative of a Figure (its own, else its panels' joined by "; ") or of an Axes ("" if none)."""
    own = getattr(artist, "_tconv_alt", "")
    if own or not isinstance(artist, Figure):
        return own
    return "; ".join(t for t in (alt_text(ax) for ax in artist.axes) if t)


def _values_text(a, limit=36) -> str:
    """The values of a small grid row by row ("rows [1, 2], [3, 4]"), or the range of a large one."""
    a = np.atleast_2d(np.asarray(a, dtype=float))
    if a.size == 0:
        return "empty"
    if a.size <= limit:
        return "rows " + ", ".join("[" + ", ".join(format_number(v) for v in row) + "]" for row in a)
    return f"values from {format_number(float(a.min()))} to {format_number(float(a.max()))}"


def _count(n, word) -> str:
    """"1 row", "2 rows"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _side_by_side(n, word) -> str:
    return "" if n == 1 else f"{n} {word}s side by side: "


def _cells_text(cells) -> str:
    cells = list(cells)
    shown = ", ".join(f"({i}, {j})" for i, j in cells[:8])
    return shown + (f" and {len(cells) - 8} more" if len(cells) > 8 else "")


def _text_color(rgb):
    r, g, b = rgb[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def format_number(v) -> str:
    """A number as the figures and explorers print it: a whole number without decimals, else 3 significant digits."""
    return f"{v:.3g}" if abs(v - round(v)) > 1e-9 else f"{int(round(v))}"


def _cells(highlight, shape):
    if highlight is None:
        return []
    h = np.asarray(highlight)
    if h.dtype == bool:
        if h.shape != shape:
            raise shapes.ArgumentError(f"highlight: a mask must have the grid's shape {shape}, got {h.shape}")
        return [tuple(c) for c in np.argwhere(h)]
    return [tuple(int(v) for v in c) for c in h.reshape(-1, 2)]


def plot_grid(a, role="input", ax=None, *, title=None, values=True, highlight=None, frame=None, vmin=None,
              vmax=None, fontsize=None):
    """Draw a 2-D array as a grid of cells shaded with ``role``'s colours, each labelled with its value.

    a: (H, W); highlight: (i, j) cells (a list of pairs or a boolean mask) outlined in red; frame: (top, left,
    height, width) outlined in the output colour (e.g. the part of the canvas that padding keeps). Signed data (a
    negative value, or a negative ``vmin``) is shaded with ``cmap(role, signed=True)`` on limits symmetric about 0:
    0 is white, positive values take the role's colour and negative ones ``NEGATIVE``.
    """
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise shapes.ArgumentError(f"a: expected a 1-D or 2-D array, got shape {a.shape}")
    ax = new_axes(ax, figsize=(0.5 + 0.45 * a.shape[1], 0.5 + 0.45 * a.shape[0]))
    lo = min(0.0, float(a.min())) if vmin is None else vmin
    hi = max(float(a.max()), lo + 1e-12) if vmax is None else vmax
    signed = lo < 0
    if signed:                          # white at 0: -2 must not look like 0
        hi = max(-lo, hi)
        lo = -hi
    cm = cmap(role, signed=signed)
    ax.imshow(a, cmap=cm, vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_xticks(np.arange(-0.5, a.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, a.shape[0], 1), minor=True)
    ax.grid(which="minor", color="#555555", linewidth=0.6)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if values:
        fs = fontsize or (10 if max(a.shape) <= 8 else 7 if max(a.shape) <= 14 else 5)
        for (i, j), v in np.ndenumerate(a):
            shade = cm((v - lo) / (hi - lo) if hi > lo else 0.0)
            ax.text(j, i, format_number(v), ha="center", va="center", fontsize=fs, color=_text_color(shade))
    cells = _cells(highlight, a.shape)
    for i, j in cells:
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=COLORS["highlight"],
                               linewidth=HIGHLIGHT_WIDTH))
    text = f"{title + ': ' if title else ''}{role} grid {a.shape[0]} x {a.shape[1]}"
    text += f", {_values_text(a)}" if values else ""
    if cells:
        text += f"; outlined {_cells_text(cells)}"
    if frame is not None:
        t, l, h, w = frame
        ax.add_patch(Rectangle((l - 0.5, t - 0.5), w, h, fill=False, edgecolor=COLORS["output"], linewidth=3,
                               linestyle="--"))
        text += f"; dashed frame: {h} x {w} from ({t}, {l})"
    if title:
        ax.set_title(title, fontsize=10)
    return describe(ax, text)


def _taps(st, kshape, dilation):
    """Canvas cells under the kernel taps of one stamp (to outline them)."""
    d = shapes.pair("dilation", dilation)
    taps = [(st.origin[0] + a * d[0], st.origin[1] + b * d[1]) for a in range(kshape[0]) for b in range(kshape[1])]
    return [t for t in taps if t[0] < st.canvas_size[0] and t[1] < st.canvas_size[1]]


def plot_scatter_step(x, k, step, *, stride=1, padding=0, output_padding=0, dilation=1, fig=None):
    """Four panels for stamp ``step``: the input with the current pixel outlined, the kernel, the scaled stamp on
    the output canvas, and the running sum (the dashed frame is the part that ``padding`` keeps). Returns the Figure.

    x: (H, W); k: (kH, kW). Numbers from ``tconv_edu.steps.scatter_step``.
    """
    st = steps.scatter_step(x, k, step, stride=stride, padding=padding, output_padding=output_padding,
                            dilation=dilation)
    x, k = np.asarray(x, dtype=float), np.asarray(k, dtype=float)
    fig = new_figure(fig, figsize=(13, 3.6))
    axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [x.shape[1], k.shape[1]] + [st.canvas_size[1]] * 2})
    plot_grid(x, "input", axes[0], highlight=[st.pixel], title=f"input x: pixel {st.pixel} = {format_number(st.value)}")
    plot_grid(k, "kernel", axes[1], title="kernel K")
    taps = _taps(st, k.shape, dilation)
    lo, hi = min(0.0, float(st.total.min()), float(st.stamp.min())), max(float(st.total.max()), 1e-12)
    d = shapes.pair("dilation", dilation)
    dil = "" if d == (1, 1) else f", dilation {shapes.show(d)}"
    plot_grid(st.stamp, "kernel", axes[2], highlight=taps, vmin=lo, vmax=hi,
              title=f"stamp: {format_number(st.value)} x K at {st.origin}{dil}")
    frame = st.offset + tuple(st.out_size)
    t = st.pixel[0] * x.shape[1] + st.pixel[1] + 1
    plot_grid(st.total, "output", axes[3], frame=frame, vmin=lo, vmax=hi, highlight=taps,
              title=f"running sum: {t} of {st.n_steps} stamps")
    fig.tight_layout()
    return describe(fig, f"stamp {t} of {st.n_steps}: x{list(st.pixel)} = {format_number(st.value)} times K "
                         f"{k.shape[0]} x {k.shape[1]} placed at {st.origin}"
                         f"{'' if d == (1, 1) else f' with its taps {shapes.show(d)} apart (dilation)'}; running sum {_values_text(st.total)}; "
                         f"output {st.out_size[0]} x {st.out_size[1]} (the dashed frame)")


def plot_scatter_sum(x, k, *, stride=1, padding=0, output_padding=0, dilation=1, fig=None):
    """Every stamp of the scatter side by side, then their sum (the output, framed). Returns the Figure.

    x: (H, W) with at most 16 pixels (one panel each); k: (kH, kW).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.size > 16:
        raise shapes.ArgumentError(f"x: expected a 2-D array of at most 16 pixels, got shape {x.shape}")
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    all_steps = [steps.scatter_step(x, k, t, **kw) for t in range(x.size)]
    last = all_steps[-1]
    fig = new_figure(fig, figsize=(2.4 * (x.size + 1), 2.8))
    axes = fig.subplots(1, x.size + 1)
    lo, hi = min(0.0, float(last.total.min())), max(float(last.total.max()), 1e-12)
    for ax, st in zip(axes, all_steps):
        plot_grid(st.stamp, "kernel", ax, vmin=lo, vmax=hi, highlight=_taps(st, np.shape(k), dilation),
                  title=f"{format_number(st.value)} x K at {st.origin}")
    d = shapes.pair("dilation", dilation)
    if d != (1, 1):
        fig.suptitle(f"dilation {shapes.show(d)}: the kernel's taps land {shapes.show(d)} apart", fontsize=10)
    plot_grid(last.total, "output", axes[-1], frame=last.offset + tuple(last.out_size), vmin=lo, vmax=hi,
              title=f"sum = output {last.out_size[0]}x{last.out_size[1]}")
    fig.tight_layout()
    stamps = ", ".join(f"{format_number(st.value)} x K at {st.origin}" for st in all_steps)
    dil = "" if d == (1, 1) else f" with dilation {shapes.show(d)}"
    return describe(fig, f"the {x.size} stamps of the scatter{dil} ({stamps}) and their sum, the output "
                         f"{last.out_size[0]} x {last.out_size[1]}, {_values_text(last.output)}")


def plot_shape(input_size, kernel_size, *, stride=1, padding=0, output_padding=0, dilation=1, ax=None):
    """The shape picture: the full scatter canvas, where each input pixel's stamp starts (input colour), the rows
    and columns that ``padding`` crops (grey), the ``output_padding`` rows/columns (hatched) and the output (frame).

    Sizes from ``shapes.output_size``; the title spells the formula term by term.
    """
    n, k = shapes.pair("input_size", input_size), shapes.pair("kernel_size", kernel_size)
    s, p = shapes.pair("stride", stride), shapes.pair("padding", padding)
    op, d = shapes.pair("output_padding", output_padding), shapes.pair("dilation", dilation)
    out = shapes.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)
    full = shapes.output_size(n, k, stride=s, dilation=d)           # the uncropped scatter output
    canvas = tuple(max(full[i], p[i] + out[i]) for i in range(2))
    ax = new_axes(ax, figsize=(max(3.5, 0.8 + 0.32 * canvas[1]), 1.8 + 0.32 * canvas[0]))
    rows, cols = np.arange(canvas[0])[:, None], np.arange(canvas[1])[None, :]
    kept = (p[0] <= rows) & (rows < p[0] + out[0]) & (p[1] <= cols) & (cols < p[1] + out[1])
    origin = (rows % s[0] == 0) & (cols % s[1] == 0) & (rows // s[0] < n[0]) & (cols // s[1] < n[1])
    rgba = np.empty(canvas + (4,))
    rgba[...] = to_rgba(COLORS["crop"])                             # cropped by padding (hatched below)
    rgba[kept] = to_rgba(COLORS["output"], 0.25)
    rgba[origin] = to_rgba(COLORS["input"], 0.45)
    rgba[origin & kept] = to_rgba(COLORS["input"])
    ax.imshow(rgba, extent=(0, canvas[1], canvas[0], 0), interpolation="nearest")
    ax.set_xticks(np.arange(canvas[1] + 1), minor=True)
    ax.set_yticks(np.arange(canvas[0] + 1), minor=True)
    ax.grid(which="minor", color="#777777", linewidth=0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    # crop: a pattern as well as a colour, on the strips around the kept rectangle (top, bottom, left, right)
    top, bottom, left, right = p[0], p[0] + out[0], p[1], p[1] + out[1]
    for x0, y0, w, h in ((0, 0, canvas[1], top), (0, bottom, canvas[1], canvas[0] - bottom),
                         (0, top, left, out[0]), (right, top, canvas[1] - right, out[0])):
        if w > 0 and h > 0:
            ax.add_patch(Rectangle((x0, y0), w, h, fill=False, hatch=CROP_HATCH, edgecolor="#9a9a9a", lw=0))
    # output_padding: the last op rows and columns of the output (hatched strips)
    if op[0]:
        ax.add_patch(Rectangle((p[1], p[0] + out[0] - op[0]), out[1], op[0], fill=False, hatch="///",
                               edgecolor="#555555", linewidth=0))
    if op[1]:
        ax.add_patch(Rectangle((p[1] + out[1] - op[1], p[0]), op[1], out[0], fill=False, hatch="///",
                               edgecolor="#555555", linewidth=0))
    ax.add_patch(Rectangle((p[1], p[0]), out[1], out[0], fill=False, edgecolor=COLORS["output"], linewidth=3))
    ax.set_xlim(0, canvas[1])
    ax.set_ylim(canvas[0], 0)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    h = 0  # the title shows the height's arithmetic; the width follows the same formula
    ax.set_title(f"({n[h]} - 1)*{s[h]} - 2*{p[h]} + {d[h]}*({k[h]} - 1) + {op[h]} + 1 = {out[h]}"
                 + ("" if out[0] == out[1] else f"   (width {out[1]})"), fontsize=9)
    ax.set_xlabel("blue: stamp origins (one per input pixel)\ngrey, crossed: cropped by padding\n"
                  "striped: rows/columns output_padding adds\ngreen frame: the output", fontsize=8)
    one = lambda v: f"{v[0]}" if v[0] == v[1] else f"{v}"  # noqa: E731
    return describe(ax, f"shape of a transposed conv: input {n[0]} x {n[1]}, kernel {k[0]} x {k[1]}, stride {one(s)}, "
                        f"padding {one(p)}, output_padding {one(op)}, dilation {one(d)}; full scatter canvas "
                        f"{full[0]} x {full[1]}, padding crops {_count(p[0], 'row')} and {_count(p[1], 'column')} from "
                        f"each side, output_padding adds {_count(op[0], 'computed row')} and "
                        f"{_count(op[1], 'column')}; output {out[0]} x {out[1]}")


def plot_overlap_1d(n, k, stride, ax=None):
    """Bars: how many kernel stamps cover each pixel of a 1-D transposed conv's full output (n inputs, kernel k).

    The interior (``k - 1`` in from each end) is where the counts should be flat; its unevenness is in the title.
    """
    counts = artifacts.overlap_1d(n, k, stride)
    ax = new_axes(ax, figsize=(6, 2.6))
    ax.bar(np.arange(counts.size), counts, width=0.9, color=COLORS["output"], edgecolor="#333333", lw=0.5)
    m = k - 1
    if counts.size - 2 * m >= stride:       # the borders, outside the interior: grey and hatched, behind the bars
        for lo, hi in ((-0.5, m - 0.5), (counts.size - m - 0.5, counts.size - 0.5)):
            ax.axvspan(lo, hi, facecolor=COLORS["crop"], hatch=CROP_HATCH, edgecolor="#9a9a9a", lw=0, zorder=0)
        u = f"unevenness {artifacts.unevenness(counts, stride, margin=m):.2f}"
    else:
        u = "too short for an interior"
    ax.set_xlim(-0.5, counts.size - 0.5)
    ax.set_xlabel("output position")
    ax.set_ylabel("stamps")
    ax.set_yticks(range(int(counts.max()) + 1))
    ax.set_title(f"1-D overlap: kernel {k}, stride {stride}: {u}", fontsize=10)
    return describe(ax, f"bars: stamps covering each of the {counts.size} output positions of a 1-D transposed conv "
                        f"(input {n}, kernel {k}, stride {stride}): {', '.join(str(int(c)) for c in counts)}; "
                        f"borders of {m} hatched; {u}")


def plot_overlap_2d(n, k, stride, ax=None, *, values=True):
    """Heat map of the stamps covering each output pixel in 2-D (n x n input, k x k kernel); the dashed frame is
    the interior and the title carries its unevenness (0 when ``k % stride == 0``)."""
    counts = artifacts.overlap_2d(n, k, stride)
    m = k - 1
    inner = counts.shape[0] - 2 * m
    ok = inner >= stride
    u = f"unevenness {artifacts.unevenness(counts, stride, margin=m):.2f}" if ok else "too small for an interior"
    return plot_grid(counts, "output", ax, values=values, frame=(m, m, inner, inner) if ok else None,
                     vmin=0, title=f"2-D overlap: kernel {k}, stride {stride}: {u}")


#: plot_images draws grid lines, and writes the pixel values if they fit, when no image is larger than this on
#: either side
IMAGE_VALUES_MAX = 12


def plot_images(images, *, cmap_name="gray", fig=None, vmin=None, vmax=None, suptitle=None, values=None):
    """A row of images, one panel each, titled by the dict keys. Returns the Figure.

    images: {title: (H, W) array}. ``vmin``/``vmax`` default to each image's own range. values: draw grid lines and
    write each pixel's value in it, black or white (whichever reads on that grey); by default when every image is at
    most ``IMAGE_VALUES_MAX`` pixels on each side (a dark 1 on a black 0 is otherwise invisible), the values only
    where every label fits its cell at 6 points or more (short numbers: integers, not 3-digit floats).
    """
    items = list(images.items())
    if not items:
        raise shapes.ArgumentError("images: expected at least one {title: array} entry")
    arrays = [np.asarray(img, dtype=float) for _, img in items]
    grid = all(a.ndim == 2 and max(a.shape) <= IMAGE_VALUES_MAX for a in arrays) if values is None else bool(values)
    labels, fs = None, 0.0
    if grid:                    # one font size for all panels: the longest label fits its cell (panels ~2.8 in wide)
        labels = [[[format_number(v) for v in row] for row in a] for a in arrays]
        fs = min(8.0, min(72 * 2.8 / max(a.shape) / (0.62 * max(len(t) for row in lab for t in row) + 0.6)
                          for a, lab in zip(arrays, labels)))
        if values is None and fs < 6:
            labels = None       # long numbers (3-digit floats) would not fit: grid lines alone
    fig = new_figure(fig, figsize=(3.2 * len(items), 3.4))
    axes = np.atleast_1d(fig.subplots(1, len(items)))
    for q, (ax, (title, _), a) in enumerate(zip(axes, items, arrays)):
        im = ax.imshow(a, cmap=cmap_name, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if grid:
            ax.set_xticks(np.arange(-0.5, a.shape[1], 1), minor=True)
            ax.set_yticks(np.arange(-0.5, a.shape[0], 1), minor=True)
            ax.grid(which="minor", color="#808080", linewidth=0.6)     # mid grey: seen on black and on white
            ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        if labels:
            for (i, j), v in np.ndenumerate(a):
                ax.text(j, i, labels[q][i][j], ha="center", va="center", fontsize=fs,
                        color=_text_color(im.cmap(im.norm(v))))
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    panels = "; ".join(f"{title}: {np.shape(img)[0]} x {np.shape(img)[1]} greyscale image, "
                       f"{_values_text(img, limit=0)}"
                       for title, img in items)
    return describe(fig, f"{suptitle + ': ' if suptitle else ''}{_side_by_side(len(items), 'image')}{panels}")


#: line styles and markers per series, so that lines differ by more than colour
_LINES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v"), ((0, (1, 3)), "P")]


def plot_profiles(profiles, ax=None, *, xlabel="column", ylabel="value"):
    """Line plot of 1-D profiles (e.g. one row of each upsampled image): {label: (L,) array}."""
    ax = new_axes(ax, figsize=(9, 2.8))
    for q, (label, y) in enumerate(profiles.items()):
        y = np.asarray(y, dtype=float)
        ls, mk = _LINES[q % len(_LINES)]
        ax.plot(np.arange(y.size), y, linestyle=ls, marker=mk, markersize=4, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.figure.tight_layout()
    lines = "; ".join(f"{label}: {np.size(y)} values, {_values_text(y, limit=0)}" for label, y in profiles.items())
    return describe(ax, f"line plot of {ylabel} against {xlabel}: {lines}")


def figure_png(fig: Figure, dpi=80, **savefig) -> bytes:
    """PNG bytes of a figure (what the explorers show)."""
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, **savefig)
    return buf.getvalue()


def png_html(png: bytes, alt: str) -> str:
    """An ``<img>`` holding ``png`` (base64) with ``alt`` as its text alternative."""
    import base64
    import html

    return (f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" '
            f'alt="{html.escape(alt, quote=True)}">')


def figure_html(fig: Figure, dpi=None, **savefig) -> str:
    """``<img alt=...>`` of a figure, its alt being ``alt_text(fig)``."""
    return png_html(figure_png(fig, dpi=dpi or fig.dpi, **savefig), alt_text(fig))


# --- matrix, sub-pixel and learning figures ---
# Figures of notebooks 03 (matrix form), 04 (equivalent views), 06 (GPU form) and 07 (learned upsampling).

def _shade(colour, t):
    """``colour`` mixed toward black (t < 0) or white (t > 0) by |t|."""
    rgb = np.array(to_rgba(colour)[:3])
    return tuple(rgb * (1 + t) if t < 0 else rgb + (1 - rgb) * t)


#: one shade of the output colour per sub-pixel phase (i, j) -> PHASE_COLORS[i * r + j] (pixel_shuffle's channel
#: order): the channel maps a sub-pixel conv computes are output values, so they stay green (blue is the input,
#: gold the kernel). The first four (r = 2, the course's figures) differ in lightness and pass the same test as the
#: roles; every phase also has its own hatch (PHASE_HATCHES) and its number drawn in the cell, which is what tells
#: r = 3's nine phases apart (nine shades of one colour cannot all differ by ΔE 20).
PHASE_COLORS = [_shade(COLORS["output"], t) for t in (0.6, -0.05, -0.4, -0.75, 0.8, 0.3, -0.2, -0.55, 0.45)]
PHASE_HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo", "--", "**"]
#: one colour per contender of a benchmark chart (plot_benchmark), told apart by hatches too
SERIES_COLORS = ["#5a0f0f", "#2d5ae1", "#0fb478", "#ffd22d", "#9372b2", "#845b53", "#d684bd", "#7f7f7f", "#b8ba2e"]


def _dense(m):
    return np.asarray(m.toarray() if hasattr(m, "toarray") else m, dtype=float)


def plot_matrix(m, ax=None, *, rows=(), cols=(), values=None, role="kernel", title=None, xlabel=None, ylabel=None):
    """A matrix (dense or scipy.sparse) as a grid of cells: zeros white, entries shaded with ``role``'s colours.

    rows / cols: indices of whole rows / columns to outline in red (a conv output pixel's row of C; a transposed
    conv output pixel's column of C); values: label the non-zero cells (default: at most 20 x 64 cells).
    """
    a = _dense(m)
    if a.ndim != 2:
        raise shapes.ArgumentError(f"m: expected a 2-D matrix, got shape {a.shape}")
    if values is None:
        values = a.shape[0] <= 20 and a.shape[1] <= 64
    ax = new_axes(ax, figsize=(min(12, 0.6 + 0.3 * a.shape[1]), min(9, 0.8 + 0.3 * a.shape[0])))
    plot_grid(a, role, ax, values=False)
    if values:
        fs = 8 if max(a.shape) <= 20 else 6
        for (i, j), v in np.ndenumerate(a):
            if v != 0:
                ax.text(j, i, format_number(v), ha="center", va="center", fontsize=fs)
    for r in np.atleast_1d(rows):
        ax.add_patch(Rectangle((-0.5, r - 0.5), a.shape[1], 1, fill=False, edgecolor=COLORS["highlight"],
                               lw=HIGHLIGHT_WIDTH))
    for c in np.atleast_1d(cols):
        ax.add_patch(Rectangle((c - 0.5, -0.5), 1, a.shape[0], fill=False, edgecolor=COLORS["highlight"],
                               lw=HIGHLIGHT_WIDTH))
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=9)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=9)
    ax.set_title(title or f"{a.shape[0]} x {a.shape[1]}, {int(np.count_nonzero(a))} non-zeros", fontsize=10)
    text = f"{title + ': ' if title else ''}matrix {a.shape[0]} x {a.shape[1]} with {int(np.count_nonzero(a))} " \
           f"non-zeros, {_values_text(a, limit=0)}"
    for name, idx in (("rows", rows), ("columns", cols)):
        idx = [int(i) for i in np.atleast_1d(idx)]
        if idx:
            text += f"; outlined {name} {', '.join(map(str, idx))}"
            rowsof = a[idx] if name == "rows" else a[:, idx].T
            nz = [", ".join(f"{format_number(v)} at {j}" for j, v in enumerate(r) if v != 0) or "all zero" for r in rowsof]
            text += " (non-zeros " + "; ".join(nz) + ")" if len(idx) <= 2 else ""
    if xlabel:
        text += f"; columns: {xlabel}"
    if ylabel:
        text += f"; rows: {ylabel}"
    return describe(ax, text)


def plot_grids(grids, *, fig=None, suptitle=None, values=True):
    """A row of labelled grids: ``{title: (array, role)}`` or ``{title: (array, role, highlight)}``. Returns the Figure.

    The panels are as wide as their arrays, so a 3x3 kernel next to a 7x7 output keeps its cells square.
    """
    items = list(grids.items())
    if not items:
        raise shapes.ArgumentError("grids: expected at least one {title: (array, role)} entry")
    arrays = [np.atleast_2d(np.asarray(v[0], dtype=float)) for _, v in items]
    widths = [a.shape[1] for a in arrays]
    fig = new_figure(fig, figsize=(min(16, 1.2 + 0.5 * sum(widths) + 0.6 * len(items)),
                                   1.2 + 0.45 * max(a.shape[0] for a in arrays)))
    axes = np.atleast_1d(fig.subplots(1, len(items), gridspec_kw={"width_ratios": widths}))
    for ax, (title, v), a in zip(axes, items, arrays):
        plot_grid(a, v[1], ax, title=title, values=values, highlight=v[2] if len(v) > 2 else None)
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    return describe(fig, f"{suptitle + ': ' if suptitle else ''}{_side_by_side(len(items), 'grid')}"
                         + "; ".join(alt_text(ax) for ax in axes))


def plot_matrix_pick(input_size, kernel, pixel, *, stride=1, padding=0, output_padding=0, fig=None):
    """The matrix explorer's picture: output pixel ``pixel`` of ``conv_transpose2d(x, kernel)`` is column p of C
    (row p of Cᵀ, with C from ``tconv_edu.matrix.conv_matrix``); its non-zeros are the input pixels that feed it.

    input_size: (H, W) of x; kernel: (kH, kW) (its values label the entries of C); pixel: (row, col) of the output.
    Panels: x (pixel numbers = rows of C; feeding pixels outlined), C (column p outlined), the output (pixel
    numbers = columns of C; pixel p outlined). Returns the Figure.
    """
    from . import matrix

    k = np.asarray(kernel, dtype=float)
    n = shapes.pair("input_size", input_size)
    out = shapes.output_size(n, k.shape, stride=stride, padding=padding, output_padding=output_padding)
    r, c = shapes.pair("pixel", pixel)
    if not (0 <= r < out[0] and 0 <= c < out[1]):
        raise shapes.ArgumentError(f"pixel={(r, c)}: outside the {out[0]} x {out[1]} output")
    C = matrix.conv_matrix(out, k, stride=stride, padding=padding, dense=True)      # (x pixels, output pixels)
    p = r * out[1] + c
    feeds = [divmod(int(q), n[1]) for q in np.flatnonzero(C[:, p])]
    fig = new_figure(fig, figsize=(min(18, 3 + 0.28 * C.shape[1] + 0.45 * (n[1] + out[1])),
                                   max(3.0, 1.2 + 0.4 * max(out[0], C.shape[0]))))
    # the side panels are at least 5 cells wide so that their two-line titles fit (a narrow x panel cut its
    # title to ": pixel numbers" in JupyterLab); C's row label sits on its right, away from the x panel's title
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [max(n[1] + 1, 5), C.shape[1] + 1, max(out[1] + 1, 5)]})
    plot_grid(np.arange(n[0] * n[1]).reshape(n), "input", axes[0], highlight=feeds or None,
              title="input x:\npixel numbers")
    plot_matrix(C, axes[1], cols=[p], title=f"C: column {p} = row {p} of Cᵀ", xlabel="output pixel (column of C)",
                ylabel="x pixel (row of C)")
    axes[1].yaxis.set_label_position("right")
    plot_grid(np.arange(out[0] * out[1]).reshape(out), "output", axes[2], highlight=[(r, c)],
              title=f"output: pixel {p}\n= ({r}, {c})")
    fig.tight_layout(w_pad=2.0)
    taps = ", ".join(f"x{list(q)} times {format_number(C[q[0] * n[1] + q[1], p])}" for q in feeds) or "no input pixel"
    return describe(fig, f"output pixel {p} = ({r}, {c}) of {out[0]} x {out[1]} is column {p} of the "
                         f"{C.shape[0]} x {C.shape[1]} matrix C (row {p} of Cᵀ); it is fed by {taps}")


def plot_pixel_shuffle(channels, r, *, fig=None):
    """``pixel_shuffle`` drawn: the r*r channel maps (one shade of the output colour, one hatch per phase) and the
    shuffled image, where pixel (h*r + i, w*r + j) takes channel i*r + j's value at (h, w), its shade and hatch, and
    shows the phase number i*r + j in its corner. channels: (r*r, H, W). Returns the Figure.
    """
    from .subpixel import pixel_shuffle

    ch = np.asarray(channels, dtype=float)
    r = shapes.positive_int("r", r)
    if ch.ndim != 3 or ch.shape[0] != r * r or r * r > len(PHASE_COLORS):
        raise shapes.ArgumentError(f"channels: expected (r*r, H, W) with r={r} <= 3, got shape {ch.shape}")
    out = pixel_shuffle(ch, r)[0]
    phase = pixel_shuffle(np.arange(r * r).repeat(ch.shape[1] * ch.shape[2]).reshape(ch.shape), r)[0]
    h, w = ch.shape[1:]
    fig = new_figure(fig, figsize=(min(16, 2 + 0.5 * (r * r * w + r * w)), 1.4 + 0.45 * r * h))
    axes = fig.subplots(1, r * r + 1, gridspec_kw={"width_ratios": [w] * (r * r) + [r * w]})

    def draw(ax, vals, phases, title, numbers=False):
        ax.imshow(np.ones(vals.shape + (3,)))
        for (i, j), v in np.ndenumerate(vals):
            colour = PHASE_COLORS[phases[i, j]]
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=colour, edgecolor="#555555",
                                   hatch=PHASE_HATCHES[phases[i, j]]))
            ax.text(j, i, format_number(v), ha="center", va="center", fontsize=8, color=_text_color(to_rgba(colour)),
                    bbox=dict(boxstyle="round,pad=0.1", facecolor=colour, edgecolor="none"))
        if numbers:                               # after the values, so that texts[:size] stay the values
            for (i, j), q in np.ndenumerate(phases):
                ax.text(j - 0.45, i - 0.45, str(q), ha="left", va="top", fontsize=5,
                        color=_text_color(to_rgba(PHASE_COLORS[q])))
        ax.tick_params(length=0, labelbottom=False, labelleft=False)
        ax.set_title(title, fontsize=8)

    for q in range(r * r):
        draw(axes[q], ch[q], np.full(ch.shape[1:], q), f"ch {q} {divmod(q, r)}")
    draw(axes[-1], out, phase, f"pixel_shuffle: {r * h} x {r * w} (corner: phase)", numbers=True)
    fig.tight_layout()
    return describe(fig, f"pixel_shuffle with r = {r}: {r * r} channel maps of {h} x {w} (one shade of the output "
                         f"colour and one hatch per phase) become one {r * h} x {r * w} image, pixel (h*{r} + i, w*{r} + j) taking channel "
                         f"i*{r} + j at (h, w), its phase number in the corner; channels {'; '.join(_values_text(c) for c in ch)}; "
                         f"shuffled {_values_text(out, limit=64)}")


def plot_curves(x, curves, ax=None, *, xlabel="", ylabel="", title=None, logx=False, logy=False):
    """Lines of ``{label: y}`` against the shared ``x`` (e.g. a loss history, or sizes against image width)."""
    ax = new_axes(ax, figsize=(6, 3.2))
    x = np.asarray(x, dtype=float)
    for q, (label, y) in enumerate(curves.items()):
        y = np.asarray(y, dtype=float)
        if y.shape != x.shape:
            raise shapes.ArgumentError(f"curves[{label!r}]: expected {x.shape[0]} values like x, got shape {y.shape}")
        ls, mk = _LINES[q % len(_LINES)]
        ax.plot(x, y, linestyle=ls, marker=mk if x.size <= 30 else None, markersize=4, label=label,
                markevery=None if x.size <= 30 else max(1, x.size // 10))
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    if len(curves) > 1:
        ax.legend(fontsize=8)
    lines = "; ".join(f"{label}: from {format_number(float(np.asarray(y)[0]))} to {format_number(float(np.asarray(y)[-1]))}"
                      for label, y in curves.items()) if x.size else "no points"
    return describe(ax, f"{title + ': ' if title else ''}line plot of {ylabel or 'values'} against "
                        f"{xlabel or 'x'} ({x.size} points{', log scales' if logx or logy else ''}): {lines}")


def plot_bars(values, ax=None, *, ylabel="", title=None, logy=False, colors=None):
    """One bar per ``{label: value}``, the value written above it."""
    ax = new_axes(ax, figsize=(1.5 + 1.1 * len(values), 3.2))
    labels, v = list(values), np.asarray(list(values.values()), dtype=float)
    bars = ax.bar(range(len(v)), v, color=colors or COLORS["output"])
    for b, val in zip(bars, v):
        ax.annotate(f"{val:.3g}", (b.get_x() + b.get_width() / 2, val), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(v)), labels, fontsize=8, rotation=20 if max(map(len, labels)) > 10 else 0)
    ax.set_yscale("log" if logy else "linear")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    return describe(ax, f"{title + ': ' if title else ''}bar chart of {ylabel or 'values'}: "
                        + ", ".join(f"{label} {val:.3g}" for label, val in zip(labels, v)))


def plot_benchmark(rows, ax=None, *, metric="x_strict", title=None):
    """Grouped bars of recorded benchmark rows (``benchmarks/gpu.py``'s JSON ``rows``): one group per workload,
    one bar per contender, height ``metric`` (default: time / strict-float32 PyTorch, so 1 is parity; log scale)."""
    if not rows:
        raise shapes.ArgumentError("rows: no benchmark rows to draw")
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    contenders = list(dict.fromkeys(r["contender"] for r in rows))
    ax = new_axes(ax, figsize=(min(12, max(6, 0.35 * len(workloads) * len(contenders))), 3.6))
    width = 0.8 / len(contenders)
    for i, name in enumerate(contenders):
        xs = [workloads.index(r["workload"]) + (i - (len(contenders) - 1) / 2) * width
              for r in rows if r["contender"] == name]
        ax.bar(xs, [r[metric] for r in rows if r["contender"] == name], width, label=name,
               color=SERIES_COLORS[i % len(SERIES_COLORS)], hatch=PHASE_HATCHES[i % len(PHASE_HATCHES)],
               edgecolor="#333333", lw=0.5)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_yscale("log")
    # readable ticks: powers of 2 (…, 0.5, 1, 2, 4, …) over the bars' range and 1, instead of log10's one or two
    shown = [r[metric] for r in rows if r[metric] is not None and r[metric] > 0] + [1.0]
    lo, hi = int(np.floor(np.log2(min(shown)))), int(np.ceil(np.log2(max(shown))))
    ticks = [2.0 ** e for e in range(lo, hi + 1, max(1, -(-(hi - lo) // 8)))]
    ax.set_yticks(ticks, [format_number(t) for t in ticks])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xticks(range(len(workloads)), workloads)
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend(fontsize=7, ncol=2)
    if title:
        ax.set_title(title, fontsize=10)
    groups = "; ".join(w + ": " + ", ".join(f"{r['contender']} {r[metric]:.3g}" for r in rows if r["workload"] == w)
                       for w in workloads)
    return describe(ax, f"{title + ': ' if title else ''}grouped bars of {metric.replace('_', ' ')} (log scale) "
                        f"per workload: {groups}")


# --- dilation and groups ---
# Figures of notebooks 01 and 02: which input channels stamp into which output channels when groups > 1.


def plot_groups(in_channels, out_channels, groups=1, kernel_size=3, ax=None):
    """Which input channels stamp into which output channels of a grouped transposed conv, and the weight's shape.

    Input channels (blue) on the left, output channels (green) on the right, one line (the kernel's colour) per
    kernel ``w[c, o % (C_out/groups)]`` that input channel c stamps into output channel o; each group is framed.
    The weight is ``(C_in, C_out/groups, kH, kW)`` and the bias ``(C_out,)``: what ``conv_transpose2d`` accepts.
    """
    c_in, c_out = shapes.positive_int("in_channels", in_channels), shapes.positive_int("out_channels", out_channels)
    g = shapes.check_groups(groups, {"in_channels": c_in, "out_channels": c_out})
    k = shapes.pair("kernel_size", kernel_size)
    ci, co = c_in // g, c_out // g
    rows = max(c_in, c_out)
    ax = new_axes(ax, figsize=(4.6, 0.9 + 0.42 * rows))
    y_in = lambda c: (c + 0.5) * rows / c_in           # noqa: E731  (centres, spread over the same height)
    y_out = lambda o: (o + 0.5) * rows / c_out         # noqa: E731
    for grp in range(g):
        top, bottom = grp * rows / g, (grp + 1) * rows / g
        ax.add_patch(Rectangle((-0.35, top + 0.04), 3.7, bottom - top - 0.08, fill=False, linestyle="--",
                               edgecolor=COLORS["highlight"], lw=1.2))
        ax.text(1.5, top + 0.12, f"group {grp}", ha="center", va="top", fontsize=8, color=COLORS["highlight"])
        for c in range(grp * ci, (grp + 1) * ci):
            for o in range(grp * co, (grp + 1) * co):
                ax.plot([0.3, 2.7], [y_in(c), y_out(o)], color="#333333", lw=2.6, zorder=1)
                ax.plot([0.3, 2.7], [y_in(c), y_out(o)], color=COLORS["kernel"], lw=1.6, zorder=2)
    for c in range(c_in):
        ax.add_patch(Rectangle((-0.2, y_in(c) - 0.3), 0.5, 0.6, facecolor=COLORS["input"], edgecolor="#333333",
                               zorder=3))
        ax.text(0.05, y_in(c), str(c), ha="center", va="center", fontsize=8, color="white", zorder=4)
    for o in range(c_out):
        ax.add_patch(Rectangle((2.7, y_out(o) - 0.3), 0.5, 0.6, facecolor=COLORS["output"], edgecolor="#333333",
                               zorder=3))
        ax.text(2.95, y_out(o), str(o), ha="center", va="center", fontsize=8, color="black", zorder=4)
    ax.set_xlim(-0.5, 3.5)
    ax.set_ylim(rows + 0.1, -0.1)
    ax.set_axis_off()
    shape = (c_in, co) + k
    ax.set_title(f"groups={g}: weight {shape}, bias ({c_out},)", fontsize=9)
    ax.text(0.05, rows + 0.05, "input ch.", ha="center", va="top", fontsize=8)
    ax.text(2.95, rows + 0.05, "output ch.", ha="center", va="top", fontsize=8)
    pairs = "; ".join(f"group {grp}: input channels {grp * ci}..{(grp + 1) * ci - 1} stamp into output channels "
                      f"{grp * co}..{(grp + 1) * co - 1}" for grp in range(g))
    return describe(ax, f"grouped transposed conv, {c_in} input channels, {c_out} output channels, groups={g}: "
                        f"{pairs}; {ci * co * g} kernels in all, weight shape {shape} = (C_in, C_out/groups, kH, "
                        f"kW), bias ({c_out},)")
