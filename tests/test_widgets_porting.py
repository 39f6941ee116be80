"""The groups and porting explorers: every number they show comes from the library, and every port
they report is checked by computing the layer in both frameworks' conventions."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from tconv_edu import porting, viz, widgets  # noqa: E402


def test_groups_explorer_shows_the_weight_and_bias_shapes():
    box = widgets.groups_explorer(4, 6, 2)
    assert "weight <b>(4, 3, 3, 3)</b>" in box.message.value and "bias <b>(6,)</b>" in box.message.value
    assert "= <b>6</b>" in box.message.value
    box.controls["groups"].value = 4                 # 4 does not divide 6
    assert "Not allowed" in box.message.value and box.png == b""


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
    box = widgets.porting_explorer("tf", "torch")
    assert "no exact port" in box.message.value and "crop ((0, 1), (0, 1))" in box.message.value
    box.controls["target"].value = "keras"
    assert "exact port" in box.message.value and "no exact" not in box.message.value
    box.controls["source"].value = "torch"            # padding 'SAME' is no PyTorch argument
    assert "Not allowed" in box.message.value and "padding=&#x27;same&#x27;" in box.message.value
    for name, c in box.controls.items():
        assert c.description.strip(), name


def test_a_dilated_stamp_is_drawn_with_its_taps_apart():
    import numpy as np

    fig = viz.plot_scatter_step(np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]]), 1, dilation=2)
    stamp_ax = fig.axes[2]
    assert "dilation 2" in stamp_ax.get_title() and "taps 2 apart (dilation)" in viz.alt_text(fig)
    box = widgets.scatter_stepper()
    box.controls["dilation"].value = 2
    assert "taps 2 apart (dilation)" in box.message.value and box.png.startswith(b"\x89PNG")
