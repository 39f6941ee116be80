"""The 1-D stepper of notebook 09 without a browser: what the kernel sends (stamps, counts, products) against the
library, the readout's text, steps that stay in the page. tests/test_browser.py drives its page module."""
import numpy as np
import pytest

import tconv_edu as te
from tconv_edu import steps, viz, widgets


def _stamps(ex):
    m = ex.meta
    return np.frombuffer(ex.stamps, "<f8").reshape(m["n"], m["canvas"])


def test_controls_are_labelled_inputs_in_focus_order():
    ex = widgets.line_stepper()
    assert [c["name"] for c in ex.controls] == ["step", "kernel_size", "stride", "padding", "output_padding",
                                                "dilation"]
    assert all(c["kind"] == "number" and c["min"] <= getattr(ex, c["name"]) <= c["max"] for c in ex.controls)


def test_stamps_sum_to_the_library_and_steps_stay_in_the_page():
    ex = widgets.line_stepper(stride=2, padding=1)
    m = ex.meta
    for t in range(m["n"]):
        assert np.array_equal(_stamps(ex)[t], steps.scatter_step([1, 2, 3, 4], [1, 2, 2, 1], t, stride=2,
                                                                 padding=1).stamp)
    o = m["offset"]
    y = te.conv_transpose1d(np.array([1.0, 2, 3, 4]), np.array([1.0, 2, 2, 1]), stride=2, padding=1)
    assert np.array_equal(_stamps(ex).sum(axis=0)[o:o + m["out"]], y)
    rev = ex.rev
    ex.step = 3                                     # the page's stamp box: drawn from what was sent
    assert ex.rev == rev and "stamp 4 of 4: x[3] = 4" in ex.message
    ex.stride = 3
    assert ex.rev == rev + 1 and "output length 11" in ex.message


@pytest.mark.parametrize("k, s, d, counts", [(4, 2, 1, [1, 1, 2, 2, 2, 2, 2, 2, 1, 1]),
                                             (3, 2, 1, [1, 1, 2, 1, 2, 1, 2, 1, 1]),
                                             (2, 3, 1, [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1])])
def test_counts_are_the_stamps_on_each_sample(k, s, d, counts):
    ex = widgets.line_stepper(kernel_size=k, stride=s, dilation=d)
    got = np.frombuffer(ex.counts, "<i4")
    assert got.tolist() == counts
    ones = te.conv_transpose1d(np.ones(4), np.ones(k), stride=s, dilation=d)
    assert np.array_equal(got, ones)


def test_readout_names_every_product_its_value_and_count():
    assert widgets.line_readout([1, 2, 3, 4], [1, 2, 2, 1], 2, stride=2, padding=1) == \
        "y[2] = x[0]·w[3] + x[1]·w[1] = 5 (2 stamps)"
    ex = widgets.line_stepper(kernel_size=2, stride=3)
    assert ex.readout(2) == "y[2] = 0 (no stamp reaches it)"
    ex = widgets.line_stepper(padding=1)
    assert ex.readout(0) == "canvas[0] (cropped by padding) = x[0]·w[0] = 1 (1 stamp)"


@pytest.mark.parametrize("seed", range(4))
def test_readouts_are_the_library_numbers_for_a_random_case(seed):
    rng = np.random.default_rng(seed)
    x, k = rng.integers(-3, 4, rng.integers(2, 6)).astype(float), rng.integers(-3, 4, rng.integers(1, 5)).astype(float)
    s, d = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    op = int(rng.integers(0, max(s, d)))
    y = te.conv_transpose1d(x, k, stride=s, output_padding=op, dilation=d)
    ex = widgets.line_stepper(x, k, stride=s, output_padding=op, dilation=d)
    for j in range(y.size):
        text = ex.readout(j)
        assert text.startswith(f"y[{j}] = ")
        terms = [(int(t.split("]")[0][2:]), int(t.split("w[")[1][:-1])) for t in text.split(" = ")[1].split(" + ")] \
            if "no stamp" not in text else []
        assert sum(x[i] * k[a] for i, a in terms) == pytest.approx(y[j])
        if terms:
            assert text.split(" = ")[-1].split(" (")[0] == viz.format_number(y[j])


def test_a_rejected_combination_shows_the_librarys_message():
    ex = widgets.line_stepper()
    ex.padding = 9
    assert ex.message.startswith("Not allowed: padding=9")
    with pytest.raises(te.ArgumentError):
        widgets.line_readout([1, 2], [1, 1], 0, padding=5)
