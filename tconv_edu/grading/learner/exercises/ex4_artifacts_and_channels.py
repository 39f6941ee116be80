"""The exercises of ``ex4_artifacts_and_channels.ipynb``: overlap counts, and a multi-channel layer with a bias."""
from __future__ import annotations

import numpy as np

import tconv_edu as te
from tconv_edu import artifacts

from .._cases import Case, Exercise, Mistake
from ._common import N_RANDOM, random_values

__all__ = ["OVERLAP", "MULTI_CHANNEL"]


# ---------------------------------------------------------------------------------------------------- 7. overlap

def _overlap_cases(rng):
    cases = [Case("overlap", {"n": 4, "k": 3, "stride": 2}), Case("overlap", {"n": 3, "k": 4, "stride": 2}),
             Case("overlap", {"n": 1, "k": 3, "stride": 2}), Case("overlap", {"n": 3, "k": 2, "stride": 3})]
    cases += [Case("uniform", {"k": k, "stride": s}) for k, s in [(3, 2), (4, 2), (2, 3), (3, 1), (5, 3), (6, 3)]]
    for i in range(N_RANDOM):
        if i % 2:
            cases.append(Case("overlap", {"n": int(rng.integers(1, 7)), "k": int(rng.integers(1, 6)),
                                          "stride": int(rng.integers(1, 5))}, random=True))
        else:
            cases.append(Case("uniform", {"k": int(rng.integers(1, 9)), "stride": int(rng.integers(1, 5))},
                              random=True))
    return cases


def _overlap_reference(c):
    if c.func == "overlap":
        return artifacts.overlap_1d(**c.args)
    return artifacts.uniform(**c.args)


def _k_ge_stride(c):
    """uniform taken as k >= stride (the stamps overlap) instead of k % stride == 0 (they overlap evenly)."""
    return (c.args["k"] >= c.args["stride"]) if c.func == "uniform" else None


OVERLAP = Exercise(
    id="overlap", points=2,
    signature="overlap(n, k, stride) -> int array of length (n - 1) * stride + k; uniform(k, stride) -> bool",
    statement="In 1-D, how many kernel taps land on each output position, and whether that count is the same "
              "everywhere away from the borders. Answer with the pair (overlap, uniform).",
    functions={"overlap": "counts", "uniform": "bool"},
    cases=_overlap_cases,
    reference=_overlap_reference,
    mistakes=(
        Mistake("k_ge_stride", "with k >= stride the stamps do overlap, but evenly only when k is a multiple of the "
                "stride: uniform is k % stride == 0 (look at overlap(8, 3, 2): 1, 1, 2, 1, 2, ...).",
                result=_k_ge_stride),
    ),
)


# ---------------------------------------------------------------------------------------------- 8. multi_channel

def _multi_case(rng, n, c_in, c_out, hw, k, stride, random=True):
    return Case("multi_channel", {"x": random_values(rng, (n, c_in) + hw), "w": random_values(rng, (c_in, c_out) + k),
                                  "bias": random_values(rng, (c_out,)), "stride": stride}, random=random)


def _multi_cases(rng):
    fixed = np.random.default_rng(8)
    cases = [_multi_case(fixed, 1, 2, 2, (2, 2), (2, 2), 1, random=False),
             _multi_case(fixed, 2, 1, 3, (2, 3), (2, 2), 2, random=False),
             _multi_case(fixed, 2, 3, 2, (3, 2), (3, 2), 2, random=False)]
    for _ in range(N_RANDOM):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 4, size=3))
        cases.append(_multi_case(rng, min(n, 2), c_in, c_out, tuple(int(v) for v in rng.integers(1, 5, size=2)),
                                 tuple(int(v) for v in rng.integers(1, 4, size=2)), int(rng.integers(1, 4))))
    return cases


def _weight_layout(c, got, exp):
    """The weight read as Conv2d's (C_out, C_in, kH, kW)."""
    x, w, bias, s = c.args.values()
    if w.shape[0] == w.shape[1]:
        return np.allclose(got, te.conv_transpose2d(x, w.transpose(1, 0, 2, 3), bias, stride=s))
    return np.ndim(got) == 4 and np.shape(got)[1] == w.shape[0]   # C_out read from dim 0


def _bias_per_input(c):
    """The bias added once per input channel (None for one input channel)."""
    x, w, bias, s = c.args.values()
    return None if x.shape[1] == 1 else te.conv_transpose2d(x, w, stride=s) + x.shape[1] * bias.reshape(1, -1, 1, 1)


def _sum_channels_first(c, got, exp):
    """The input channels (or the weights) summed before stamping, one kernel for all."""
    x, w, bias, s = c.args.values()
    if x.shape[1] == 1:
        return False
    xs = x.sum(axis=1, keepdims=True)
    b = bias.reshape(1, -1, 1, 1)
    candidates = [te.conv_transpose2d(xs, w.sum(axis=0, keepdims=True), stride=s) + b,
                  te.conv_transpose2d(xs, w.mean(axis=0, keepdims=True), stride=s) + b]
    candidates += [te.conv_transpose2d(xs, w[[i]], stride=s) + b for i in (0, -1)]
    return any(np.shape(got) == v.shape and np.allclose(got, v) for v in candidates)


def _no_bias(c):
    """The bias left out."""
    return te.conv_transpose2d(c.args["x"], c.args["w"], stride=c.args["stride"])


MULTI_CHANNEL = Exercise(
    id="multi_channel", points=3,
    signature="multi_channel(x, w, bias, stride) -> (N, C_out, H_out, W_out) array",
    statement="A batch of multi-channel images: x (N, C_in, H, W), weight w (C_in, C_out, kH, kW), bias (C_out,).",
    functions={"multi_channel": "array"},
    cases=_multi_cases,
    reference=lambda c: te.conv_transpose2d(c.args["x"], c.args["w"], c.args["bias"], stride=c.args["stride"]),
    mistakes=(
        Mistake("weight_layout", "you read the weight as (C_out, C_in, kH, kW), the layout of a Conv2d weight; a "
                "transposed convolution's weight is (C_in, C_out, kH, kW): w[c, o] links input channel c to output "
                "channel o.", matches=_weight_layout),
        Mistake("bias_per_input", "your bias is added once per input channel (C_in times): add bias[o] once to each "
                "output channel o, outside the loop over input channels.",
                result=_bias_per_input),
        Mistake("sum_channels_first", "you summed the input channels (or the weights) before stamping: each input "
                "channel c stamps its own kernel w[c, o], so sum the stamps, sum over c of x[:, c] * w[c, o], not "
                "(sum over c of x[:, c]) times one kernel.",
                matches=_sum_channels_first),
        Mistake("no_bias", "you left out the bias: add bias[o] to every pixel of output channel o.",
                result=_no_bias),
    ),
    hints={"IndexError": "an index ran past the end of an array: the weight is (C_in, C_out, kH, kW), "
                         "and the output has C_out = w.shape[1] channels."},
    no_library=True,
)
