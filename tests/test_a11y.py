"""Text alternatives and labels, checked without a browser (tests/test_browser.py runs axe-core).

Every figure the course displays carries an alt text made from its data: the committed notebooks' outputs are
checked here (strict nbval proves they are what a fresh run gives), every plot function's figure has one, a
DescribedFigure displays as ``<img alt>`` plus that text, and every explorer's image has one and every control a
name.
"""
import re
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest

from tconv_edu import viz, widgets

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
IMG = re.compile(r'<img\b[^>]*\balt="([^"]*)"')


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_a_notebook_displays_has_alt_text(path):
    for cell in nbformat.read(path, as_version=4).cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            images = [m for m in data if m.startswith("image/")]
            assert not images, f"{path.name} cell {cell.id}: a bare {images} output has no alt text (use tconv_edu.viz)"
            html = data.get("text/html", "")
            if "<img" in html:
                alts = IMG.findall(html)
                assert len(alts) == html.count("<img") and all(a.strip() for a in alts), \
                    f"{path.name} cell {cell.id}: an <img> without alt text"
                assert data.get("text/plain", "").strip(), f"{path.name} cell {cell.id}: no text/plain alternative"


X, K = np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]])
FIGURES = {
    "plot_grid": lambda: viz.plot_grid(X, "input", highlight=[(0, 1)]),
    "plot_scatter_step": lambda: viz.plot_scatter_step(X, K, 1),
    "plot_scatter_sum": lambda: viz.plot_scatter_sum(X, K),
    "plot_shape": lambda: viz.plot_shape(4, 3, stride=2, padding=1, output_padding=1),
    "plot_overlap_1d": lambda: viz.plot_overlap_1d(8, 3, 2),
    "plot_overlap_2d": lambda: viz.plot_overlap_2d(6, 3, 2),
    "plot_images": lambda: viz.plot_images({"a": np.eye(4), "b": np.ones((4, 4))}),
    "plot_profiles": lambda: viz.plot_profiles({"a": np.arange(5), "b": np.ones(5)}),
    "plot_matrix": lambda: viz.plot_matrix(np.eye(3), rows=[1]),
    "plot_grids": lambda: viz.plot_grids({"x": (X, "input"), "k": (K, "kernel")}),
    "plot_matrix_pick": lambda: viz.plot_matrix_pick(2, np.ones((2, 2)), (1, 1)),
    "plot_pixel_shuffle": lambda: viz.plot_pixel_shuffle(np.arange(16.0).reshape(4, 2, 2), 2),
    "plot_curves": lambda: viz.plot_curves([1, 2, 3], {"loss": [3, 2, 1]}, xlabel="step"),
    "plot_bars": lambda: viz.plot_bars({"a": 1.0, "b": 2.0}),
    "plot_benchmark": lambda: viz.plot_benchmark([{"workload": "w", "contender": "c", "x_strict": 1.5}]),
    "plot_groups": lambda: viz.plot_groups(4, 6, 2),
}


def test_every_plot_function_is_covered():
    assert sorted(FIGURES) == sorted(n for n in viz.__all__ if n.startswith("plot_"))


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_figure_describes_itself(name):
    drawn = FIGURES[name]()
    fig = drawn.figure if hasattr(drawn, "figure") and not isinstance(drawn, plt.Figure) else drawn
    assert isinstance(fig, viz.DescribedFigure)
    assert len(viz.alt_text(fig)) > 20, viz.alt_text(fig)


def test_the_stepper_figure_says_which_stamp_it_draws():
    text = viz.alt_text(viz.plot_scatter_step(X, K, 1))
    assert text.startswith("stamp 2 of 4: x[0, 1] = 2 times K 2 x 2 placed at (0, 1);") and "output 3 x 3" in text


def test_a_described_figure_displays_as_img_with_alt(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.append((objs, kw)))
    fig = viz.plot_scatter_sum(X, K)
    fig._ipython_display_()
    (bundle,), kw = shown[0]
    assert kw == {"raw": True} and set(bundle) == {"text/html", "text/plain"}
    assert IMG.findall(bundle["text/html"]) == [viz.alt_text(fig).replace("'", "&#x27;")]
    assert bundle["text/html"].startswith('<img src="data:image/png;base64,iVBOR')
    assert bundle["text/plain"] == viz.alt_text(fig)


EXPLORERS = [widgets.scatter_stepper, widgets.shape_explorer, widgets.checkerboard_explorer, widgets.matrix_explorer,
             widgets.groups_explorer, widgets.porting_explorer]


@pytest.mark.parametrize("make", EXPLORERS, ids=lambda f: f.__name__)
def test_explorers_describe_their_state_and_label_every_control(make):
    """The page draws no image: its text description (``message``, the page's aria-live paragraph) says the state,
    every control is a native input with a label, and the displayed widget's text form says what it shows."""
    ex = make()
    assert len(ex.message) > 40 and not ex.error, ex.message
    names = [c["name"] for c in ex.controls]
    assert len(set(names)) == len(names) and all(hasattr(ex, n) for n in names)
    for c in ex.controls:
        assert c["label"].strip() and c["kind"] in ("number", "select"), c
    bundle = ex._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert bundle["text/plain"].startswith(ex.TITLE) and "application/vnd.jupyter.widget-view+json" in bundle


def test_the_page_modules_give_every_picture_a_name_and_a_live_readout():
    """What axe checks in the browser, checked in the source too: pictures are role=img with an aria-label, the
    description and the readout are aria-live, every input sits in its <label>."""
    from tconv_edu.widgets import _base

    common = (_base.HERE / "_common.js").read_text()
    for needle in ('setAttribute("role", "img")', 'setAttribute("aria-label", label)', '"aria-live": "polite"',
                   'h("label", { for: `${id}-${c.name}` }'):
        assert needle in common, needle
    for path in sorted(_base.HERE.glob("[a-z]*.js")):
        text = path.read_text()
        assert "ui.description.textContent" in text, f"{path.name} leaves its description empty"
