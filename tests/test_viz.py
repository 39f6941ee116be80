"""Every plot function runs, returns Axes (or a Figure where documented) and draws the numbers of the library."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import tconv_edu as te
from tconv_edu import artifacts, steps, viz

X = np.array([[1, 2], [3, 4]])
K = np.array([[0, 1], [1, 0]])


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _numbers(ax):
    return [t.get_text() for t in ax.texts]


def test_backend_is_headless():
    assert matplotlib.get_backend().lower() == "agg"


def test_plot_grid_labels_values_and_outlines_highlight():
    ax = viz.plot_grid(X, "input", highlight=[(1, 0)], frame=(0, 0, 2, 2), title="x")
    assert isinstance(ax, Axes)
    assert _numbers(ax) == ["1", "2", "3", "4"]
    assert len(ax.patches) == 2 and ax.get_title() == "x"


def test_plot_grid_reuses_given_axes_and_accepts_masks():
    fig, ax = plt.subplots()
    assert viz.plot_grid(np.array([[0.5, -1.25]]), "kernel", ax, highlight=np.array([[True, False]])) is ax
    assert _numbers(ax) == ["0.5", "-1.25"]


def test_signed_grids_are_white_at_zero_and_tell_the_signs_apart():
    """A diverging map centred on 0: 0 white (never the role's pale shade), -2 as dark as +2 but another colour."""
    from matplotlib.colors import to_hex

    ax = viz.plot_grid(np.array([[-2.0, 0.0, 1.0, 2.0]]), "kernel")
    im = ax.images[0]
    shade = [to_hex(im.cmap(im.norm(v))) for v in (-2.0, 0.0, 2.0)]
    assert im.norm.vmin == -2 and im.norm.vmax == 2
    assert shade == [viz.NEGATIVE.lower(), "#ffffff", viz.COLORS["kernel"].lower()]
    assert [t.get_color() for t in ax.texts][0] == "white"           # text readable on the dark negative end
    unsigned = viz.plot_grid(np.array([[0.0, 2.0]]), "kernel").images[0]
    assert unsigned.norm.vmin == 0 and to_hex(unsigned.cmap(unsigned.norm(0.0))) == "#ffffff"


def test_plot_grid_rejects_unknown_role_and_3d():
    with pytest.raises(te.ArgumentError, match="role='weights'"):
        viz.plot_grid(X, "weights")
    with pytest.raises(te.ArgumentError, match="1-D or 2-D"):
        viz.plot_grid(np.ones((2, 2, 2)))


def test_roles_have_one_colour_each():
    assert len({viz.COLORS[r] for r in ("input", "kernel", "output")}) == 3


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1), dict(dilation=2)])
def test_scatter_step_figure_draws_the_running_sum(kw):
    x, k = np.arange(1, 10).reshape(3, 3), np.arange(1, 5).reshape(2, 2)
    fig = viz.plot_scatter_step(x, k, 8, **kw)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    full = steps.scatter_step(x, k, 8, **kw)
    assert np.array_equal(full.output, te.conv_transpose2d(x, k, **kw))
    total_panel = fig.axes[3]
    assert _numbers(total_panel) == [viz.format_number(v) for v in full.total.ravel()]


def test_scatter_step_reuses_figure_and_checks_step():
    fig = plt.figure()
    assert viz.plot_scatter_step(X, K, 0, fig=fig) is fig
    with pytest.raises(te.ArgumentError, match="step=4"):
        viz.plot_scatter_step(X, K, 4)


def test_scatter_sum_last_panel_is_the_seed_example_worked_correctly():
    fig = viz.plot_scatter_sum(X, K)
    assert len(fig.axes) == 5
    assert _numbers(fig.axes[-1]) == ["0", "1", "2", "1", "5", "4", "3", "4", "0"]


def test_plot_shape_titles_the_formula_and_frames_the_output():
    ax = viz.plot_shape(4, 3, stride=2, padding=1, output_padding=1)
    assert isinstance(ax, Axes)
    assert ax.get_title() == "(4 - 1)*2 - 2*1 + 1*(3 - 1) + 1 + 1 = 8"
    frame = ax.patches[-1]
    assert (frame.get_x(), frame.get_y(), frame.get_width(), frame.get_height()) == (1, 1, 8, 8)
    assert ax.images[0].get_array().shape[:2] == (9, 9)     # the full 9 x 9 canvas
    strips = [(q.get_x(), q.get_y(), q.get_width(), q.get_height()) for q in ax.patches if q.get_hatch() == "///"]
    assert strips == [(1, 8, 8, 1), (8, 1, 1, 8)]              # the last row and column of the output
    assert {q.get_hatch() for q in ax.patches if q.get_hatch()} == {"///", viz.CROP_HATCH}  # crop: a pattern too


def test_plot_shape_raises_the_library_error():
    with pytest.raises(te.ArgumentError, match="output_padding=2"):
        viz.plot_shape(4, 3, stride=2, output_padding=2)


def test_overlap_plots_report_unevenness():
    ax = viz.plot_overlap_1d(8, 3, 2)
    assert isinstance(ax, Axes) and "unevenness 0.67" in ax.get_title()
    assert [round(b.get_height()) for b in ax.containers[0]] == list(artifacts.overlap_1d(8, 3, 2))
    assert "unevenness 0.00" in viz.plot_overlap_1d(8, 4, 2).get_title()
    ax = viz.plot_overlap_2d(5, 3, 2)
    assert isinstance(ax, Axes) and "unevenness 1.33" in ax.get_title()
    assert "too small" in viz.plot_overlap_2d(1, 3, 2).get_title()


def test_plot_images_and_profiles():
    fig = viz.plot_images({"a": np.eye(4), "b": np.ones((3, 5))}, suptitle="s")
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    with pytest.raises(te.ArgumentError):
        viz.plot_images({})
    ax = viz.plot_profiles({"row": np.arange(5)})
    assert isinstance(ax, Axes) and len(ax.lines) == 1


def _grid_lines(ax):
    return any(t.gridline.get_visible() for t in ax.xaxis.get_minor_ticks())


def test_small_images_carry_their_values_in_a_readable_colour_over_grid_lines():
    impulse = np.zeros((4, 4))
    impulse[1, 1] = 1
    fig = viz.plot_images({"small": impulse, "also small": 9 * impulse})
    ax = fig.axes[1]
    assert len(ax.texts) == 16 and _grid_lines(ax)
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours == {"0": "white", "9": "black"}                   # white on the black 0, black on the white 9
    assert not viz.plot_images({"big": np.ones((16, 16)), "small": impulse}).axes[1].texts
    floats = viz.plot_images({"3-digit floats": np.random.default_rng(0).standard_normal((8, 8))}).axes[0]
    assert not floats.texts and _grid_lines(floats)   # too long to fit: grid alone


def test_benchmark_chart_has_readable_ticks():
    rows = [{"workload": "w", "contender": c, "x_strict": v} for c, v in (("a", 1.0), ("b", 0.2), ("c", 4.8))]
    ax = viz.plot_benchmark(rows)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.125", "0.25", "0.5", "1", "2", "4", "8"]


def test_figure_png_gives_png_bytes():
    fig = Figure()
    viz.plot_grid(X, "output", fig.add_subplot())
    assert viz.figure_png(fig).startswith(b"\x89PNG")


def test_plot_shape_canvas_grows_only_where_output_padding_exceeds_padding():
    ax = viz.plot_shape(3, 2, stride=2, output_padding=1)         # full 6, output 7: one row past every stamp
    assert ax.images[0].get_array().shape[:2] == (7, 7)
    assert viz.plot_shape(4, 3, stride=2, padding=1).images[0].get_array().shape[:2] == (9, 9)
