"""The course's colours survive colour-vision deficiency.

Distances are CAM02-UCS ΔE (``colorspacious.deltaE`` on colours converted to "CAM02-UCS"); deficiencies are
simulated with colorspacious' "sRGB1+CVD" model (Machado et al. 2009) at severity 100. Greyscale keeps lightness
alone, so its ΔE is the difference of the CAM02-UCS lightness J'.
"""
import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from tconv_edu import viz

colorspacious = pytest.importorskip("colorspacious", reason="colorspacious is in the [test] extra")

BOUND = 20.0
DEFICIENCIES = ["protanomaly", "deuteranomaly", "tritanomaly"]


def ucs(hex_colour, cvd=None):
    rgb = np.array(to_rgb(hex_colour))
    if cvd:
        space = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
        rgb = np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)
    return colorspacious.cspace_convert(rgb, "sRGB1", "CAM02-UCS")


def distance(a, b, vision):
    if vision == "greyscale":
        return abs(float(ucs(a)[0] - ucs(b)[0]))
    cvd = None if vision == "normal" else vision
    return float(colorspacious.deltaE(ucs(a, cvd), ucs(b, cvd), input_space="CAM02-UCS"))


def closest_pair(colours: dict, vision: str, pairs=None):
    pairs = pairs or itertools.combinations(colours, 2)
    return min((distance(colours[a], colours[b], vision), a, b) for a, b in pairs)


def figure_pairs():
    return sorted({tuple(sorted(p)) for roles in viz.FIGURE_ROLES.values() for p in itertools.combinations(roles, 2)})


@pytest.mark.parametrize("vision", ["normal", *DEFICIENCIES, "greyscale"])
def test_roles_drawn_together_stay_apart(vision):
    d, a, b = closest_pair(viz.COLORS, vision, figure_pairs())
    assert d >= BOUND, f"{vision}: {a} {viz.COLORS[a]} and {b} {viz.COLORS[b]} are only ΔE {d:.1f} apart"


@pytest.mark.parametrize("vision", ["normal", *DEFICIENCIES, "greyscale"])
def test_the_four_phases_of_a_x2_pixel_shuffle_stay_apart(vision):
    d, a, b = closest_pair(dict(enumerate(viz.PHASE_COLORS[:4])), vision)
    assert d >= BOUND, f"{vision}: phases {a} and {b} are only ΔE {d:.1f} apart"


def test_the_phases_are_shades_of_the_output_colour():
    """pixel_shuffle's channel maps are output values: they keep the output's colour, told apart by
    lightness, hatch and number, never by the input's blue or the kernel's gold."""
    base = np.array(to_rgb(viz.COLORS["output"]))
    for c in map(np.array, map(to_rgb, viz.PHASE_COLORS)):
        darker, lighter = c / base, (1 - c) / (1 - base)
        assert np.allclose(darker, darker[0], atol=1e-6) or np.allclose(lighter, lighter[0], atol=1e-6), c
    assert not {viz.COLORS["input"], viz.COLORS["kernel"]} & set(map(str, viz.PHASE_COLORS))


def test_every_phase_has_its_own_hatch():
    assert len(set(viz.PHASE_HATCHES)) == len(viz.PHASE_HATCHES) == len(viz.PHASE_COLORS)


@pytest.mark.parametrize("vision", ["normal", *DEFICIENCIES])
def test_the_negative_end_of_a_signed_grid_stays_apart_from_every_role(vision):
    """A signed grid is shaded NEGATIVE - white - its role's colour: the negative end must not pass for a role
    colour (or the highlight drawn over it) in any vision."""
    d, _, b = min((distance(viz.NEGATIVE, c, vision), "negative", r) for r, c in viz.COLORS.items() if r != "crop")
    assert d >= BOUND, f"{vision}: NEGATIVE {viz.NEGATIVE} and {b} {viz.COLORS[b]} are only ΔE {d:.1f} apart"


def test_the_negative_end_is_darker_than_every_role_in_greyscale():
    """In greyscale the two ends of a signed grid's map differ by lightness: NEGATIVE is darker than the positive
    end whatever the role (the minus sign printed in each cell says the rest)."""
    for role in ("input", "kernel", "output"):
        assert ucs(viz.COLORS[role])[0] - ucs(viz.NEGATIVE)[0] >= BOUND, role


def test_every_role_of_a_figure_has_a_colour():
    assert {r for roles in viz.FIGURE_ROLES.values() for r in roles} <= set(viz.COLORS)
    assert ("highlight", "input") in figure_pairs() and ("crop", "output") in figure_pairs()


def _luminance(hex_colour):
    c = np.array(to_rgb(hex_colour))
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def test_highlight_is_readable_as_text_on_white():
    # the explorers write "Not allowed: ..." in the highlight colour: WCAG AA asks 4.5:1 for body text
    assert (1.05) / (_luminance(viz.COLORS["highlight"]) + 0.05) >= 4.5


def test_the_old_palette_failed():
    """The course's first palette, measured the same way: the test would have caught its clashes."""
    old = {"input": "#3b75af", "kernel": "#e1812c", "output": "#3a923a", "crop": "#8c8c8c", "highlight": "#c03d3e"}
    assert closest_pair(old, "deuteranomaly", figure_pairs())[0] < 5


def explorer_roles():
    """The palette roles each explorer's page module draws with (``pal.<role>`` and ``shade(pal, "<role>", ...)``
    in tconv_edu/widgets/NAME.js)."""
    import re

    from tconv_edu.widgets import _base

    found = {p.stem: re.findall(r'\bpal\.(\w+)|shade\(pal, "(\w+)"', p.read_text())
             for p in sorted(_base.HERE.glob("[a-z]*.js"))}
    return {name: {a or b for a, b in hits} for name, hits in found.items()}


def test_the_explorers_draw_with_palette_roles_only():
    """The page modules take their colours from the palette the kernel sends (viz.COLORS and NEGATIVE), by role."""
    roles = explorer_roles()
    assert set(roles) >= {"scatter", "shape", "matrix", "checkerboard", "groups", "porting"}
    assert set().union(*roles.values()) <= set(viz.COLORS) | {"negative"}
    assert roles["scatter"] >= {"input", "kernel", "output", "highlight"}


@pytest.mark.parametrize("vision", ["normal", *DEFICIENCIES, "greyscale"])
def test_roles_an_explorer_draws_together_stay_apart(vision):
    pairs = sorted({tuple(sorted(p)) for roles in explorer_roles().values()
                    for p in itertools.combinations(roles - {"negative"}, 2)})
    d, a, b = closest_pair(viz.COLORS, vision, pairs)
    assert d >= BOUND, f"{vision}: {a} and {b}, drawn together by an explorer, are only ΔE {d:.1f} apart"
