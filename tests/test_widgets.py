"""Explorers driven without a browser: set the traits the page's controls set, check what the kernel sends (arrays
as binary buffers, the text) against the library. tests/test_browser.py drives the page modules themselves."""
import json
import shutil
import subprocess

import numpy as np
import pytest

import tconv_edu as te
from tconv_edu import artifacts, steps, viz, widgets
from tconv_edu.widgets import _base

SEED_X, SEED_K = np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]])
SEED_READOUT = "y[1,1] = x[0,0]·w[1,1] + x[0,1]·w[1,0] + x[1,0]·w[0,1] + x[1,1]·w[0,0] = 5"
EXPLORERS = [widgets.scatter_stepper, widgets.shape_explorer, widgets.checkerboard_explorer, widgets.matrix_explorer,
             widgets.groups_explorer, widgets.porting_explorer]


def _f64(b, shape=(-1,)):
    return np.frombuffer(b, "<f8").reshape(shape)


def test_stepper_controls_are_the_pages_labelled_inputs_in_focus_order():
    ex = widgets.scatter_stepper()
    assert [c["name"] for c in ex.controls] == ["step", "kernel_size", "stride", "padding", "output_padding",
                                                "dilation"]
    assert [c["label"] for c in ex.controls][:2] == ["stamp", "kernel size"]
    assert all(c["kind"] == "number" and c["min"] <= getattr(ex, c["name"]) <= c["max"] for c in ex.controls)


def test_stepper_sends_every_running_sum_and_steps_without_recomputing():
    ex = widgets.scatter_stepper()
    m = ex.meta
    totals = _f64(ex.totals, (m["n"], *m["canvas"]))
    for t in range(4):
        assert np.array_equal(totals[t], steps.scatter_step(SEED_X, SEED_K, t).total)
    assert np.array_equal(totals[-1], te.conv_transpose2d(SEED_X, SEED_K))
    assert "stamp 1 of 4: x[0,0] = 1" in ex.message and "output 3 x 3" in ex.message
    rev = ex.rev
    for t in range(1, 4):
        ex.step = t                              # what the page's stamp box does: drawn from what was sent
    assert ex.rev == rev, "a step within the sent running sums must not recompute"
    assert "stamp 4 of 4: x[1,1] = 4" in ex.message
    ex.stride = 2
    assert ex.rev == rev + 1 and "output 4 x 4" in ex.message


def test_the_seed_examples_readout_names_every_product():
    assert widgets.scatter_readout(SEED_X, SEED_K, (1, 1)) == SEED_READOUT
    ex = widgets.scatter_stepper()
    assert ex.readout(1, 1) == SEED_READOUT
    assert ex.readout(0, 0) == "y[0,0] = x[0,0]·w[0,0] = 0"
    assert ex.readout(2, 2) == "y[2,2] = x[1,1]·w[1,1] = 0"


@pytest.mark.parametrize("seed", range(4))
def test_stepper_readouts_are_the_library_numbers_for_a_random_case(seed):
    rng = np.random.default_rng(seed)
    n, k = rng.integers(2, 4), rng.integers(1, 4)
    s, d = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    p, op = int(rng.integers(0, 2)), int(rng.integers(0, max(s, d)))
    x, w = rng.integers(-3, 4, (n, n)), rng.integers(-3, 4, (k, k))
    params = dict(stride=s, padding=p, output_padding=op, dilation=d)
    y = te.conv_transpose2d(x.astype(float), w.astype(float), **params)
    for (r, c), want in np.ndenumerate(y):
        text = widgets.scatter_readout(x, w, (r, c), **params)
        assert text.startswith(f"y[{r},{c}] = "), text
        if "no stamp" in text:
            assert want == 0
            continue
        terms, value = text.split(" = ")[1], text.split(" = ")[-1]
        got = eval(terms.replace("·", "*").replace("[", "[(").replace("]", ")]"), {"x": x, "w": w})
        assert got == want and value == viz.format_number(want), (params, r, c, text)


def test_stepper_sizes_follow_the_library():
    ex = widgets.ScatterStepper(np.arange(9).reshape(3, 3), np.ones((3, 3)))
    for name, v in dict(stride=2, padding=1, output_padding=1, dilation=1).items():
        setattr(ex, name, v)
    h, w = te.output_size(3, 3, stride=2, padding=1, output_padding=1)
    assert f"output {h} x {w}" in ex.message and "placed at (0, 0)" in ex.message
    ex.step = 4
    assert "placed at (2, 2)" in ex.message
    ex.kernel_size = 4
    assert f"output {te.output_size(3, 4, stride=2, padding=1, output_padding=1)[0]} x" in ex.message
    assert ex.meta["ks"] == [4, 4] and len(ex.k) == 16 * 8


def test_stepper_shows_the_library_error_for_invalid_combinations():
    ex = widgets.scatter_stepper()
    ex.output_padding = 1                          # stride 1, dilation 1: not allowed
    assert ex.message.startswith("Not allowed") and ex.meta.get("n") is None
    assert "output_padding=1: along the height, output_padding 1 must be smaller than the stride (1) or the " \
           "dilation (1)" in ex.message
    ex.dilation = 2                                # now allowed (smaller than dilation)
    assert not ex.error and "taps 2 apart (dilation)" in ex.message


def test_stepper_rejects_non_square_kernels():
    with pytest.raises(te.ArgumentError, match="square"):
        widgets.scatter_stepper(np.ones((2, 2)), np.ones((2, 3)))


def test_shape_explorer_reports_library_numbers():
    ex = widgets.shape_explorer()
    assert [c["name"] for c in ex.controls] == ["input_size", "kernel_size", "stride", "padding", "output_padding",
                                                "dilation"]
    ex.stride = 2
    text = ex.message
    assert "output 7 x 7" in text and "convolve back to 4 with this stride: 7..8" in text
    assert "turns 7 into 4" in text
    assert "'SAME' 7..8, 'VALID' 9..10" in text and "Keras with output_padding=None picks 'same' 8, 'valid' 9" in text
    ex.output_padding = 1
    assert "output 8 x 8" in ex.message and "turns 8 into 4" in ex.message
    ex.padding = 0
    assert "output 10 x 10" in ex.message


def test_shape_explorer_canvas_roles_and_counts_come_from_the_library():
    ex = widgets.shape_explorer()
    for name, v in dict(input_size=3, kernel_size=3, stride=2, padding=1, output_padding=1).items():
        setattr(ex, name, v)
    m = ex.meta
    roles = np.frombuffer(ex.roles, "<i4").reshape(m["size"], m["size"])
    counts = np.frombuffer(ex.counts, "<i4").reshape(m["size"], m["size"])
    out = te.output_size(3, 3, stride=2, padding=1, output_padding=1)[0]
    assert m["out"] == out and (roles & ex.KEPT).sum() == out * out
    assert (roles & ex.ORIGIN).sum() // ex.ORIGIN == 9 and (roles & ex.ADDED).sum() // ex.ADDED == 2 * out - 1
    full = te.output_size(3, 3, stride=2)[0]
    assert np.array_equal(counts[:full, :full], artifacts.overlap_2d(3, 3, 2))


def test_shape_explorer_output_padding_range_where_padding_crops_the_smallest_size_away():
    """n=1, k=1, s=4, p=1: sizes 1..2 need output_padding 2..3 (the size with output_padding 0 would be -1)."""
    text = widgets.shape_report(1, 1, 4, 1, 3, 1)
    assert "output 2 x 2" in text and ": 1..2 (output_padding 2..3 picks one" in text
    assert "output_size=N sets output_padding = N + 1)" in text
    assert "(output_padding 0..1 picks one; PyTorch's output_size=N sets output_padding = N - 7)" in \
        widgets.shape_report(4, 3, 2, 1, 0, 1)


def test_shape_explorer_every_reachable_setting_agrees_with_shapes():
    ex = widgets.shape_explorer()
    for n, k, s, p, op, d in [(5, 2, 3, 0, 2, 1), (3, 4, 2, 2, 0, 2), (8, 7, 4, 4, 3, 3), (1, 1, 1, 0, 0, 1)]:
        with ex.hold_trait_notifications():
            for name, v in zip(ex.PARAMS, (n, k, s, p, op, d)):
                setattr(ex, name, v)
        try:
            out = te.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)[0]
        except te.ArgumentError as err:
            assert ex.message.startswith("Not allowed") and str(err)[:30] in ex.message
            continue
        assert f"output {out} x {out}" in ex.message


def test_shape_explorer_error_is_cleared_when_fixed():
    ex = widgets.shape_explorer()
    ex.padding = 4                                 # 4 -> 4 with k=3, s=1: output 4 - 8 + 2 < 1
    assert ex.message.startswith("Not allowed") and "padding=4" in ex.message and ex.meta.get("size") is None
    ex.padding = 0
    assert "output 6 x 6" in ex.message


def test_checkerboard_explorer_counts_and_unevenness():
    ex = widgets.checkerboard_explorer()
    counts = np.frombuffer(ex.counts, "<i4").reshape(ex.meta["size"])
    assert np.array_equal(counts, artifacts.overlap_2d(6, 3, 2))
    u1 = artifacts.unevenness(artifacts.overlap_1d(6, 3, 2), 2, margin=2)
    assert f"unevenness {u1:.2f} (1-D)" in ex.message and "uneven: 3 % 2 = 1" in ex.message
    ex.kernel_size = 4
    assert "0.00 (1-D), 0.00 (2-D): even" in ex.message
    ex.stride = 1
    assert "0.00 (1-D)" in ex.message
    ex.kernel_size, ex.stride = 8, 1
    assert "too small" in ex.message


def test_groups_explorer_links_come_from_a_grouped_call():
    ex = widgets.groups_explorer(4, 6, 2)
    assert "weight (4, 3, 3, 3)" in ex.message and "bias (6,)" in ex.message and "= 6 " in ex.message
    links = np.frombuffer(ex.links, "<i4").reshape(4, 6)
    assert links.tolist() == [[1, 1, 1, 0, 0, 0]] * 2 + [[0, 0, 0, 1, 1, 1]] * 2
    ex.groups = 4                                   # 4 does not divide 6
    assert ex.message.startswith("Not allowed")


@pytest.mark.parametrize("make", EXPLORERS, ids=lambda f: f.__name__)
def test_arrays_travel_as_binary_buffers_and_the_json_stays_small(make):
    ex = make()
    state = ex.get_state()
    buffers = [name for name, v in state.items() if isinstance(v, (bytes, memoryview))]
    assert set(buffers) == {name for name, t in ex.traits(sync=True).items() if t.__class__.__name__ == "Bytes"}
    meta = json.dumps(ex.meta)
    numbers = [v for v in json.loads(meta).values() if isinstance(v, list) and v and not isinstance(v[0], str)]
    assert all(len(v) <= 4 for v in numbers), f"an array in the JSON meta: {numbers}"
    assert len(meta) < 4000


@pytest.mark.parametrize("make", EXPLORERS, ids=lambda f: f.__name__)
def test_callbacks_never_print_and_the_text_form_is_stable(make, capsys):
    ex = make()
    first = repr(ex)
    for c in (c for c in ex.controls if c["kind"] == "number"):
        setattr(ex, c["name"], c["max"])            # valid or not: the message changes, nothing is printed
        setattr(ex, c["name"], c["min"])
    out, err = capsys.readouterr()
    assert (out, err) == ("", "")
    assert ex.message and repr(make()) == first and "drawn in the page" in first and "0x" not in first


def test_page_modules_take_their_colours_from_viz():
    """One source of colours: the page modules draw with the palette the kernel sends (viz.COLORS), never their own
    copy of a course colour."""
    ex = widgets.scatter_stepper()
    assert ex.palette == dict(viz.COLORS, negative=viz.NEGATIVE)
    for path in _base.HERE.glob("*.js"):
        text = path.read_text().lower()
        assert not [c for c in (*viz.COLORS.values(), viz.NEGATIVE) if c.lower() in text], path.name
    for make in EXPLORERS:
        module = make()._esm
        # one self-contained ES module (a module loaded from a string cannot import its neighbours)
        assert "export default { render }" in module and not [ln for ln in module.splitlines()
                                                               if ln.startswith("import ")]


@pytest.mark.skipif(not shutil.which("node"), reason="node (Node.js) checks the page's number format")
def test_the_pages_number_format_is_viz_format_number(tmp_path):
    values = [0, -0.0, 5, -3, 2.5, 1 / 3, -2 / 3, 1234.5, 0.000123, 99.95, 1e-9, 3.0000000001, 12.345, -0.5]
    script = tmp_path / "fmt.mjs"
    common = (_base.HERE / "_common.js").read_text()
    script.write_text(common + f"\nconsole.log(JSON.stringify({json.dumps(values)}.map(fmt)));\n")
    got = json.loads(subprocess.run(["node", str(script)], capture_output=True, text=True, check=True).stdout)
    assert got == [viz.format_number(v) for v in values]


# ---------------------------------------------------------------------------------------------- answers ahead

def _without_timing(meta):
    return {k: v for k, v in meta.items() if k != "compute_ms"}


@pytest.mark.parametrize("make", EXPLORERS + [widgets.line_stepper], ids=lambda f: f.__name__)
def test_answers_sent_ahead_are_what_the_kernel_answers_at_those_values(make):
    """Every neighbour's answer in ``ahead`` is, trait for trait, what the kernel sends once the page moves there
    (the page draws it without waiting, so it must be the same numbers), and each control's neighbours are there."""
    ex = make()
    ahead = ex.ahead
    assert ahead["of"] == ex.meta["key"] == _base.key(ex.values(), ex.PARAMS)
    want_keys = set()
    for c in ex.controls:
        if c["name"] not in ex.PARAMS:
            continue
        v = getattr(ex, c["name"])
        near = ([c["options"][j] for j in (c["options"].index(v) - 1, c["options"].index(v) + 1)
                 if 0 <= j < len(c["options"])] if c["kind"] == "select" else
                [u for u in (v - 1, v + 1) if c["min"] <= u <= c["max"]])
        want_keys |= {_base.key(dict(ex.values(), **{c["name"]: u}), ex.PARAMS) for u in near}
    assert set(ahead["answers"]) == want_keys and want_keys
    for k, sent in ahead["answers"].items():
        fresh = make()
        with fresh.hold_trait_notifications():
            for name, v in zip(ex.PARAMS, json.loads(k)):
                setattr(fresh, name, v)
        assert fresh.meta["key"] == k
        assert sent["error"] == fresh.error and _without_timing(sent["meta"]) == _without_timing(fresh.meta), k
        assert not set(sent) & set(ex.LOCAL), "page-only values are the page's, never sent ahead"
        for name, value in sent.items():
            if name not in ("meta", "error"):
                assert value == getattr(fresh, name), (k, name)


def test_an_answer_ahead_carries_the_librarys_refusal():
    ex = widgets.scatter_stepper()          # x 2 x 2, kernel 2, padding 1: a 1 x 1 output; kernel 1 crops it all
    ex.padding = 1
    refused = {k: a for k, a in ex.ahead["answers"].items() if a["error"]}
    assert refused
    for k, a in refused.items():
        for name, v in zip(ex.PARAMS, json.loads(k)):
            setattr(ex, name, v)
        assert ex.error == a["error"] and "padding" in a["error"], k
