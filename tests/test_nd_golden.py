"""Every CPU form in 1-D and 3-D against golden arrays from PyTorch (scripts/make_golden_nd.py, float64); no torch."""
import json
from pathlib import Path

import numpy as np
import pytest

import tconv_edu as te
from tconv_cases import close

DATA = Path(__file__).resolve().parent / "data"
INDEX = json.loads((DATA / "golden_torch_nd.json").read_text())["entries"]
GOLD = np.load(DATA / "golden_torch_nd.npz")
CPU_FORMS = [m for m in te.FORMS if m != "gpu"]
TRANSPOSED = [e for e in INDEX if e["kind"].startswith("conv_transpose")]
CONV = [e for e in INDEX if not e["kind"].startswith("conv_transpose")]


def _ids(entries):
    return [e["name"] for e in entries]


def _params(entry):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in entry["params"].items()}


def _arrays(entry):
    name = entry["name"]
    return GOLD[f"{name}.x"], GOLD[f"{name}.w"], GOLD[f"{name}.b"] if entry["bias"] else None, GOLD[f"{name}.y"]


def test_grid_covers_both_ranks_every_parameter_and_layout():
    for kind in ("conv_transpose1d", "conv_transpose3d"):
        entries = [e for e in TRANSPOSED if e["kind"] == kind]
        rank = int(kind[-2])
        seen = {}
        for e in entries:
            for k, v in e["params"].items():
                seen.setdefault(k, set()).add("tuple" if isinstance(v, list) else "int")
        assert {"stride", "padding", "output_padding", "dilation", "groups"} <= set(seen), kind
        assert all(seen[k] >= {"tuple"} for k in ("stride", "padding", "output_padding", "dilation")), kind
        assert {GOLD[f"{e['name']}.x"].ndim for e in entries} == {rank, rank + 1, rank + 2}, kind
    assert {e["kind"] for e in CONV} == {"conv1d", "conv3d"}


@pytest.mark.parametrize("method", CPU_FORMS)
@pytest.mark.parametrize("entry", TRANSPOSED, ids=_ids(TRANSPOSED))
def test_forms_match_torch_float64(method, entry):
    x, w, b, want = _arrays(entry)
    fn = getattr(te, entry["kind"])
    close(fn(x, w, b, method=method, **_params(entry)), want, 1e-12)


@pytest.mark.parametrize("method", CPU_FORMS)
@pytest.mark.parametrize("entry", TRANSPOSED, ids=_ids(TRANSPOSED))
def test_forms_match_torch_in_float32(method, entry):
    x, w, b, want = _arrays(entry)
    f32 = [None if a is None else a.astype(np.float32) for a in (x, w, b)]
    got = getattr(te, entry["kind"])(*f32, method=method, **_params(entry))
    assert got.dtype == np.float32
    close(got, want, 1e-5)


@pytest.mark.parametrize("entry", CONV, ids=_ids(CONV))
def test_conv_matches_torch(entry):
    x, w, b, want = _arrays(entry)
    close(getattr(te, entry["kind"])(x, w, b, **_params(entry)), want, 1e-12)
