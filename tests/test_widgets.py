"""Explorers driven without a browser: set slider values, check the image bytes and the text they produce."""
import time

import numpy as np
import pytest

import tconv_edu as te
from tconv_edu import artifacts, widgets


def _png(box):
    return box.png


def test_stepper_steps_through_every_pixel_and_redraws():
    box = widgets.scatter_stepper()
    c = box.controls
    assert set(c) == {"step", "play", "kernel_size", "stride", "padding", "output_padding", "dilation"}
    seen = {_png(box)}
    assert "stamp 1 of 4: x[0, 0] = 1" in box.message.value and "output <b>3 x 3</b>" in box.message.value
    for t in range(1, 4):
        c["step"].value = t
        seen.add(_png(box))
    assert "stamp 4 of 4: x[1, 1] = 4" in box.message.value
    assert len(seen) == 4 and all(p.startswith(b"\x89PNG") for p in seen)


def test_stepper_play_drives_the_step():
    box = widgets.scatter_stepper()
    play, step = box.controls["play"], box.controls["step"]
    assert play.description == "play" and step.description == "stamp"     # names a screen reader reads
    play.value = True
    deadline = time.monotonic() + 20
    while "stamp 1 of 4" in box.message.value and time.monotonic() < deadline:   # the timer moves the step
        time.sleep(0.05)
    play.value = False
    assert step.value >= 1 and "stamp 1 of 4" not in box.message.value, box.message.value


def test_stepper_sizes_follow_the_library():
    box = widgets.scatter_stepper(np.arange(9).reshape(3, 3), np.ones((3, 3)))
    c = box.controls
    for name, v in dict(stride=2, padding=1, output_padding=1, dilation=1).items():
        c[name].value = v
    h, w = te.output_size(3, 3, stride=2, padding=1, output_padding=1)
    assert f"output <b>{h} x {w}</b>" in box.message.value and "placed at (0, 0)" in box.message.value
    c["step"].value = 4
    assert "placed at (2, 2)" in box.message.value
    c["kernel_size"].value = 4
    assert f"output <b>{te.output_size(3, 4, stride=2, padding=1, output_padding=1)[0]} x" in box.message.value


def test_stepper_shows_the_library_error_for_invalid_combinations():
    box = widgets.scatter_stepper()
    box.controls["output_padding"].value = 1          # stride 1, dilation 1: not allowed
    assert "Not allowed" in box.message.value
    assert "output_padding=1: along the height, output_padding 1 must be smaller than the stride (1) or the dilation (1)" \
        in box.message.value
    assert _png(box) == b""
    box.controls["dilation"].value = 2                # now allowed (smaller than dilation)
    assert "Not allowed" not in box.message.value and _png(box).startswith(b"\x89PNG")


def test_stepper_rejects_non_square_kernels():
    with pytest.raises(te.ArgumentError, match="square"):
        widgets.scatter_stepper(np.ones((2, 2)), np.ones((2, 3)))


def test_shape_explorer_reports_library_numbers():
    box = widgets.shape_explorer()
    c = box.controls
    assert set(c) == {"input_size", "kernel_size", "stride", "padding", "output_padding", "dilation"}
    first = _png(box)
    c["stride"].value = 2
    text = box.message.value
    assert "output <b>7 x 7</b>" in text and "convolve back to 4 with this stride: <b>7..8</b>" in text
    assert "turns 7 into 4" in text
    assert "'SAME' 7..8, 'VALID' 9..10" in text and "Keras with output_padding=None picks 'same' 8, 'valid' 9" in text
    assert _png(box) != first
    c["output_padding"].value = 1
    assert "output <b>8 x 8</b>" in box.message.value and "turns 8 into 4" in box.message.value
    c["padding"].value = 0
    assert "output <b>10 x 10</b>" in box.message.value


def test_shape_explorer_output_padding_range_where_padding_crops_the_smallest_size_away():
    """n=1, k=1, s=4, p=1: sizes 1..2 need output_padding 2..3 (the size with output_padding 0 would be -1)."""
    text = widgets.shape_report(1, 1, 4, 1, 3, 1)
    assert "output <b>2 x 2</b>" in text and "<b>1..2</b> (output_padding 2..3 picks one" in text
    assert "output_size=N sets output_padding = N + 1)" in text
    assert "(output_padding 0..1 picks one; PyTorch's output_size=N sets output_padding = N - 7)" in \
        widgets.shape_report(4, 3, 2, 1, 0, 1)


def test_shape_explorer_every_reachable_setting_agrees_with_shapes():
    box = widgets.shape_explorer()
    c = box.controls
    for n, k, s, p, op, d in [(5, 2, 3, 0, 2, 1), (3, 4, 2, 2, 0, 2), (8, 7, 4, 4, 3, 3), (1, 1, 1, 0, 0, 1)]:
        for name, v in zip(c, (n, k, s, p, op, d)):
            c[name].value = v
        try:
            out = te.output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)[0]
        except te.ArgumentError as err:
            assert "Not allowed" in box.message.value and str(err)[:30] in box.message.value
            continue
        assert f"output <b>{out} x {out}</b>" in box.message.value


def test_shape_explorer_error_is_cleared_when_fixed():
    box = widgets.shape_explorer()
    box.controls["padding"].value = 4                 # 4 -> 4 with k=3, s=1: output 4 - 8 + 2 < 1
    assert "Not allowed" in box.message.value and "padding=4" in box.message.value
    assert _png(box) == b""
    box.controls["padding"].value = 0
    assert "output <b>6 x 6</b>" in box.message.value


def test_checkerboard_explorer_unevenness_numbers():
    box = widgets.checkerboard_explorer()
    c = box.controls
    u1 = artifacts.unevenness(artifacts.overlap_1d(6, 3, 2), 2, margin=2)
    assert f"<b>{u1:.2f}</b> (1-D)" in box.message.value and "uneven: 3 % 2 = 1" in box.message.value
    before = _png(box)
    c["kernel_size"].value = 4
    assert "<b>0.00</b> (1-D), <b>0.00</b> (2-D): even" in box.message.value
    assert _png(box) != before
    c["stride"].value = 1
    assert "<b>0.00</b>" in box.message.value
    c["kernel_size"].value, c["stride"].value = 8, 1
    assert "too small" in box.message.value


@pytest.mark.parametrize("make", [widgets.scatter_stepper, widgets.shape_explorer, widgets.checkerboard_explorer])
def test_callbacks_never_print(make, capsys):
    box = make()
    for c in (c for c in box.controls.values() if hasattr(c, "max")):    # the play button is not a number
        c.value = c.max                       # valid or not: the message changes, nothing is printed
        c.value = c.min
    out, err = capsys.readouterr()
    assert (out, err) == ("", "")
    assert box.message.value
