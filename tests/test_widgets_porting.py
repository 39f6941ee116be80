"""The groups and porting explorers: every number they show comes from the library, and every port
they report is checked by computing the layer in both frameworks' conventions."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from tconv_edu import porting, viz, widgets  # noqa: E402


def test_groups_explorer_shows_the_weight_and_bias_shapes():
    ex = widgets.groups_explorer(4, 6, 2)
    assert "weight (4, 3, 3, 3)" in ex.message and "bias (6,)" in ex.message
    assert "= 6 (a 3 x 3 input" in ex.message
    ex.groups = 4                                    # 4 does not divide 6
    assert ex.message.startswith("Not allowed") and ex.meta.get("c_in") is None


def test_groups_figure_draws_one_line_per_kernel():
    ax = viz.plot_groups(4, 4, 2)
    assert len(ax.lines) == 2 * 8                    # 2 groups x 2 x 2 pairs, each an outlined line
    assert "input channels 0..1 stamp into output channels 0..1" in viz.alt_text(ax)


@pytest.mark.parametrize("source", tuple(porting.FRAMEWORKS))
@pytest.mark.parametrize("target", tuple(porting.FRAMEWORKS))
def test_every_port_the_explorer_reports_computes_the_same(source, target):
    for pad in widgets.PADDINGS:
        try:
            text = widgets.porting_report(source, target, 4, 3, 2, pad, 0, 1, 1)
        except porting.ArgumentError:
            continue
        assert "the same numbers" in text, (source, target, pad, text)


def test_porting_explorer_tf_same_to_torch_is_not_exact_and_says_why():
    ex = widgets.porting_explorer("tf", "torch")
    assert "no exact port" in ex.message and "crop ((0, 1), (0, 1))" in ex.message
    ex.target = "keras"
    assert "exact port" in ex.message and "no exact" not in ex.message
    ex.source = "torch"                               # padding 'SAME' is no PyTorch argument
    assert ex.message.startswith("Not allowed") and "padding='same'" in ex.message
    assert [c["kind"] for c in ex.controls][:2] == ["select", "select"]
    assert ex.control("padding")["options"] == list(widgets.PADDINGS)
    for c in ex.controls:
        assert c["label"].strip(), c


def test_a_dilated_stamp_is_drawn_with_its_taps_apart():
    import numpy as np

    fig = viz.plot_scatter_step(np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]]), 1, dilation=2)
    stamp_ax = fig.axes[2]
    assert "dilation 2" in stamp_ax.get_title() and "taps 2 apart (dilation)" in viz.alt_text(fig)
    ex = widgets.scatter_stepper()
    ex.dilation = 2
    assert "taps 2 apart (dilation)" in ex.message and ex.meta["canvas"] == [4, 4]
