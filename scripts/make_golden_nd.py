"""Make the 1-D and 3-D golden arrays the tests compare every form against: PyTorch, float64 (issue 22).

Regenerate (needs torch; the tests read the arrays and never import torch)::

    .venv/bin/python scripts/make_golden_nd.py

Output, seeded and deterministic (a rerun rewrites identical arrays):

- ``tests/data/golden_torch_nd.npz``: ``<name>.x``, ``<name>.w``, ``<name>.b`` (when there is a bias) and
  ``<name>.y`` from ``torch.nn.functional.conv_transpose1d`` / ``conv_transpose3d`` (kinds ``conv_transpose1d``,
  ``conv_transpose3d``) or ``conv1d`` / ``conv3d``. Entries in a one-channel layout ((L,) with (k,), (D, H, W) with
  (kD, kH, kW)) were computed by torch on the ``[None, None]`` views; entries without a batch went to torch unbatched.
- ``tests/data/golden_torch_nd.json``: the kind and parameters of every entry, and the versions it was made with.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SEED = 20261207

# name: (kind, x shape, w shape, bias, params). w is (C_in, C_out/groups, *k) for the transposed convs,
# (C_out, C_in/groups, *k) for conv1d/conv3d. Every parameter appears as an int and as an uneven tuple.
GRID = {
    "t1_seed": ("conv_transpose1d", (3,), (3,), False, {"stride": 2}),
    "t1_k3_s1": ("conv_transpose1d", (1, 2, 6), (2, 3, 3), True, {}),
    "t1_vocoder_k16_s8_p4": ("conv_transpose1d", (2, 4, 5), (4, 2, 16), True, {"stride": 8, "padding": 4}),
    "t1_k3_s2_p1_op1": ("conv_transpose1d", (2, 3, 4), (3, 2, 3), False,
                        {"stride": 2, "padding": 1, "output_padding": 1}),
    "t1_dilation_op": ("conv_transpose1d", (1, 2, 5), (2, 2, 3), False, {"dilation": 3, "output_padding": 2}),
    "t1_groups": ("conv_transpose1d", (2, 4, 5), (4, 3, 4), True, {"groups": 2, "stride": 3, "padding": 2}),
    "t1_tuples": ("conv_transpose1d", (1, 3, 4), (3, 1, 2), False,
                  {"stride": (3,), "padding": (1,), "output_padding": (2,), "dilation": (2,), "groups": 3}),
    "t1_unbatched": ("conv_transpose1d", (3, 7), (3, 2, 5), True, {"stride": 2, "padding": 2}),
    "t1_stride_gt_kernel": ("conv_transpose1d", (1, 1, 4), (1, 2, 2), False, {"stride": 3}),
    "t3_unet_k2_s2": ("conv_transpose3d", (1, 4, 3, 3, 3), (4, 2, 2, 2, 2), True, {"stride": 2}),
    "t3_k3_s2_p1_op1": ("conv_transpose3d", (2, 3, 3, 2, 3), (3, 2, 3, 3, 3), True,
                        {"stride": 2, "padding": 1, "output_padding": 1}),
    "t3_tuples": ("conv_transpose3d", (1, 2, 2, 3, 4), (2, 2, 2, 3, 1), False,
                  {"stride": (1, 2, 3), "padding": (0, 1, 0), "output_padding": (0, 1, 2), "dilation": (2, 1, 1)}),
    "t3_groups": ("conv_transpose3d", (1, 4, 2, 2, 2), (4, 1, 3, 2, 2), True, {"groups": 4, "stride": (2, 1, 2)}),
    "t3_dilation": ("conv_transpose3d", (1, 1, 3, 3, 2), (1, 2, 2, 2, 2), False,
                    {"dilation": 2, "output_padding": 1, "padding": 1}),
    "t3_unbatched": ("conv_transpose3d", (2, 2, 3, 2), (2, 3, 3, 2, 2), True, {"padding": (1, 0, 1)}),
    "t3_one_channel": ("conv_transpose3d", (2, 2, 2), (2, 2, 2), False, {"stride": 2}),
    "c1_s2_p1": ("conv1d", (2, 3, 9), (4, 3, 3), True, {"stride": 2, "padding": 1}),
    "c1_groups_dilation": ("conv1d", (1, 4, 10), (2, 2, 3), False, {"groups": 2, "dilation": 3}),
    "c3_s2": ("conv3d", (1, 2, 5, 4, 6), (3, 2, 3, 2, 3), True, {"stride": (2, 1, 2), "padding": (1, 0, 1)}),
    "c3_dilation": ("conv3d", (1, 1, 5, 5, 5), (2, 1, 2, 2, 2), False, {"dilation": 2}),
}


def _torch_params(params):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def make() -> None:
    """Compute every entry with torch in float64 and write the .npz and its .json index."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(SEED)
    arrays, index = {}, []
    for name, (kind, xs, ws, bias, params) in GRID.items():
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        rank = int(kind[-2])
        transposed = kind.startswith("conv_transpose")
        c_out = (ws[1] * params.get("groups", 1) if transposed else ws[0]) if len(ws) > rank else 1
        b = rng.standard_normal(c_out) if bias else None
        channel = len(xs) == rank
        xt, wt = (x[None, None], w[None, None]) if channel else (x, w)
        y = getattr(F, kind)(torch.from_numpy(xt), torch.from_numpy(wt), None if b is None else torch.from_numpy(b),
                             **_torch_params(params)).numpy()
        arrays.update({f"{name}.x": x, f"{name}.w": w, f"{name}.y": y[0, 0] if channel else y})
        if b is not None:
            arrays[f"{name}.b"] = b
        index.append({"name": name, "kind": kind, "bias": bias,
                      "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}})
    DATA.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(DATA / "golden_torch_nd.npz", **arrays)
    meta = {"made_by": "scripts/make_golden_nd.py", "torch": torch.__version__, "numpy": np.__version__,
            "seed": SEED, "entries": index}
    (DATA / "golden_torch_nd.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{len(index)} entries -> {DATA / 'golden_torch_nd.npz'}")


if __name__ == "__main__":
    make()
