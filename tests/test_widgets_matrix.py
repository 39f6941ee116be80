"""The matrix explorer, driven headlessly, and the figures of notebooks 03, 04, 06 and 07."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import tconv_edu as te
from tconv_edu import matrix, viz, widgets

pytest.importorskip("scipy")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------------------------- matrix explorer

def test_explorer_sends_C_and_names_the_column():
    ex = widgets.matrix_explorer()                       # 3x3 input, k=3, stride 2: a 7x7 output
    e = np.frombuffer(ex.entries, "<i4").reshape(-1, 3)
    C = matrix.conv_matrix((7, 7), np.arange(1.0, 10).reshape(3, 3), stride=2).toarray()
    dense = np.zeros_like(C)
    dense[e[:, 0], e[:, 1]] = e[:, 2] + 1                # (x pixel, output pixel, tap)
    assert np.array_equal(dense, C)
    assert "column 0 of C" in ex.message and "y[0,0] = x[0,0]·w[0,0]" in ex.message
    assert [(c["name"], c["max"]) for c in ex.controls][:2] == [("row", 6), ("col", 6)]


def test_picking_a_pixel_moves_within_what_was_sent():
    ex = widgets.matrix_explorer()
    rev = ex.rev
    ex.row, ex.col = 2, 3
    # output (2, 3) = 17: x[0, 1] with tap (2, 1) and x[1, 1] with tap (0, 1) (stride 2)
    assert "column 17 of C" in ex.message and "row 17 of Cᵀ" in ex.message
    assert "x[0,1]·w[2,1] + x[1,1]·w[0,1]" in ex.message
    assert ex.rev == rev, "picking a pixel must not recompute"


def test_an_entry_of_C_names_its_input_pixel_output_pixel_and_tap():
    ex = widgets.matrix_explorer()
    assert ex.entry(1, 17) == ("Cᵀ[17,1] = C[1,17] = w[2,1] = 8: input pixel x[0,1], output pixel y[2,3], "
                               "kernel tap w[2,1]")
    assert ex.entry(0, 17).endswith("= 0: input pixel x[0,0] does not reach output pixel y[2,3]")


def test_the_products_are_the_transposed_conv():
    # every output pixel's listed products (the explorer's text), evaluated on a random x, give conv_transpose2d
    rng = np.random.default_rng(0)
    for n, k, s, p in [(3, 3, 2, 1), (2, 3, 1, 0), (3, 4, 2, 1), (2, 2, 3, 0)]:
        x, kern = rng.standard_normal((n, n)), np.arange(1.0, k * k + 1).reshape(k, k)
        y = te.conv_transpose2d(x, kern, stride=s, padding=p)
        for (r, c), want in np.ndenumerate(y):
            text = widgets.matrix_report(n, k, s, p, (r, c)).split(" = ", 1)[1].split("\n")[0]
            code = text.replace("·", "*").replace("[", "[(").replace("]", ")]")
            got = 0.0 if text.startswith("0 ") else eval(code, {"x": x, "w": kern})
            assert np.isclose(got, want), (n, k, s, p, r, c, text)


def test_the_pixel_boxes_follow_the_output_size():
    ex = widgets.matrix_explorer()
    ex.row = 6
    ex.stride = 1                                        # 5x5 output: the picked row is pulled inside
    assert ex.control("row")["max"] == 4 and ex.row == 4
    assert "of 5 x 5" in ex.message
    ex.kernel_size = 1
    ex.input_size = 1                                    # a 1x1 output: the boxes have one value
    assert ex.control("row")["max"] == 0 and "of 1 x 1" in ex.message


def test_rejected_combination_shows_the_library_error():
    ex = widgets.matrix_explorer(input_size=1, kernel_size=1, stride=1)
    ex.padding = 1
    assert ex.message.startswith("Not allowed") and "padding=1" in ex.message
    ex.padding = 0
    assert not ex.error and "column 0 of C" in ex.message


# ------------------------------------------------------------------------------------------------------ figures

def test_plot_matrix_labels_nonzeros_and_outlines():
    C = matrix.conv_matrix((4, 4), np.arange(1.0, 10).reshape(3, 3))
    ax = viz.plot_matrix(C, rows=[1], cols=[5])
    assert isinstance(ax, Axes) and ax.get_title() == "4 x 16, 36 non-zeros"
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for v in list(range(1, 10)) * 4)
    assert len(ax.patches) == 2


def test_plot_matrix_pick_outlines_the_feeding_pixels():
    fig = viz.plot_matrix_pick((3, 3), np.arange(1.0, 10).reshape(3, 3), (2, 3), stride=2)
    x_ax, c_ax, y_ax = fig.axes[:3]
    assert "column 17" in c_ax.get_title() and "pixel 17" in y_ax.get_title()
    outlined = sorted((round(p.get_y() + 0.5), round(p.get_x() + 0.5)) for p in x_ax.patches)
    assert outlined == [(0, 1), (1, 1)]
    with pytest.raises(te.ArgumentError, match="outside the 7 x 7 output"):
        viz.plot_matrix_pick((3, 3), np.ones((3, 3)), (7, 0), stride=2)
    with pytest.raises(TypeError, match="pixel=0.5: expected an int"):
        viz.plot_matrix_pick((3, 3), np.ones((3, 3)), (0.5, 1), stride=2)


def test_plot_pixel_shuffle_places_channel_values():
    fig = viz.plot_pixel_shuffle(np.arange(16.0).reshape(4, 2, 2), 2)
    assert isinstance(fig, Figure) and len(fig.axes) == 5
    assert [t.get_text() for t in fig.axes[-1].texts][:4] == ["0", "4", "1", "5"]    # row 0: ch 0, ch 1, ch 0, ch 1
    with pytest.raises(te.ArgumentError, match="channels"):
        viz.plot_pixel_shuffle(np.ones((3, 2, 2)), 2)


def test_plot_grids_curves_bars_benchmark():
    fig = viz.plot_grids({"x": (np.ones((2, 3)), "input"), "K": (np.eye(2), "kernel", [(0, 0)])})
    assert [a.get_title() for a in fig.axes] == ["x", "K"]
    ax = viz.plot_curves(np.arange(5), {"loss": np.arange(5.0) + 1}, logy=True, xlabel="step")
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step"
    with pytest.raises(te.ArgumentError, match="loss"):
        viz.plot_curves(np.arange(5), {"loss": np.ones(4)})
    ax = viz.plot_bars({"scatter": 2.0, "zero insertion": 8.0})
    assert [t.get_text() for t in ax.texts] == ["2", "8"]
    rows = [dict(workload=w, contender=c, x_strict=v) for w in ("W1", "W5") for c, v in (("a", 1.0), ("b", 2.0))]
    ax = viz.plot_benchmark(rows)
    assert len(ax.patches) == 4 and [t.get_text() for t in ax.get_xticklabels()] == ["W1", "W5"]
