"""The exercises of ``ex5_layers.ipynb``: bilinear initialisation, porting TF's 'SAME', grouped layers, and the
kernel of a resize-convolution."""
from __future__ import annotations

import numpy as np

import tconv_edu as te
from tconv_edu import artifacts, frameworks, learn

from .._cases import Case, Exercise, Mistake
from ._common import N_RANDOM, flip, floats, random_values

__all__ = ["BILINEAR_KERNEL", "PORT_TF_SAME", "GROUPED", "RESIZE_CONV_KERNEL"]


# -------------------------------------------------------------------------------------------- 9. bilinear_kernel

def _bilinear_cases(rng):
    cases = [Case("bilinear_kernel", {"k": k, "channels": c}) for k, c in [(4, 1), (4, 3), (3, 2), (1, 1), (6, 2),
                                                                          (5, 1)]]
    for _ in range(N_RANDOM):
        cases.append(Case("bilinear_kernel", {"k": int(rng.integers(1, 9)), "channels": int(rng.integers(1, 5))},
                          random=True))
    return cases


def _bilinear_variant(k, channels, centre, factor):
    """The (C, C, k, k) weight a learner builds with this centre and this factor (matching pairs only)."""
    taps = 1 - np.abs(np.arange(k) - centre) / factor
    w = np.zeros((channels, channels, k, k))
    w[np.arange(channels), np.arange(channels)] = np.outer(taps, taps)
    return w


def _same_array(got, candidates):
    """Whether ``got`` is an array equal to one of the candidates (None ones left out)."""
    return isinstance(got, np.ndarray) and any(
        v is not None and got.shape == v.shape and np.allclose(got, v) for v in candidates)


def _all_pairs(c):
    """The kernel on every channel pair w[c, o], not only on w[c, c] (None for one channel)."""
    k, channels = c.args["k"], c.args["channels"]
    return None if channels == 1 else np.broadcast_to(learn.bilinear_weight(k, 1), (channels,) * 2 + (k,) * 2).copy()


def _off_centre(c, got, exp):
    """The triangle centred at k / 2 or k / 2 - 1 instead of (k - 1) / 2."""
    k, channels = c.args["k"], c.args["channels"]
    return _same_array(got, [_bilinear_variant(k, channels, centre, (k + 1) // 2) for centre in (k / 2, k / 2 - 1)])


def _factor(c, got, exp):
    """The triangle's width k / 2, k // 2 or k instead of the upsampling factor (k + 1) // 2."""
    k, channels = c.args["k"], c.args["channels"]
    return k > 1 and _same_array(got, [_bilinear_variant(k, channels, (k - 1) / 2, factor)
                                       for factor in (k / 2, k // 2, k)])


BILINEAR_KERNEL = Exercise(
    id="bilinear_kernel", points=2,
    signature="bilinear_kernel(k, channels) -> (channels, channels, k, k) array",
    statement="FCN's bilinear initialisation of a transposed conv's weight: the k x k bilinear kernel on the "
              "matching channel pairs w[c, c], zero elsewhere.",
    functions={"bilinear_kernel": "array"},
    cases=_bilinear_cases,
    reference=lambda c: learn.bilinear_weight(c.args["k"], c.args["channels"]),
    mistakes=(
        Mistake("all_pairs", "you filled every channel pair w[c, o] with the kernel: then every output channel sums "
                "all C input channels, and a flat image comes out C times too bright; bilinear upsampling treats "
                "each channel on its own, so only w[c, c] holds the kernel and the other pairs are zero (or use "
                "groups=C with a (C, 1, k, k) weight).",
                result=_all_pairs),
        Mistake("off_centre", "your kernel is off by half a pixel: its centre is c = (k - 1) / 2 (between the two "
                "middle taps when k is even, e.g. 1.5 for k = 4: taps 1, 3, 3, 1 over 4), not k / 2 or k / 2 - 1.",
                matches=_off_centre),
        Mistake("factor", "your triangle has the wrong width: the taps are 1 - |i - c| / f with the upsampling "
                "factor f = (k + 1) // 2 (2 for k = 3 and 4, 3 for k = 5 and 6), so they reach 0 one factor away "
                "from the centre; not k / 2, k // 2 or k.",
                matches=_factor),
    ),
    hints={"IndexError": "an index ran past the end of the weight: it is (channels, channels, k, k), and "
                         "w[c, c] is the (k, k) kernel of channel c.",
           "ZeroDivisionError": "the taps divide by the upsampling factor f = (k + 1) // 2, which is at least 1."},
)


# ----------------------------------------------------------------------------------------------- 10. port_tf_same

def _port_cases(rng):
    cases = [Case("port_tf_same", {"h": h, "k": k, "stride": s}) for h, k, s in [
        (4, 3, 2),      # TF pads (0, 1): the classic k=3, s=2 layer
        (4, 4, 2),      # (1, 1): PyTorch's padding=1 is exact
        (3, 1, 2),      # k < stride: output_padding adds a row of zeros
        (5, 5, 2), (4, 2, 1), (3, 6, 3), (2, 7, 2), (3, 3, 1)]]
    for _ in range(N_RANDOM):
        cases.append(Case("port_tf_same", {"h": int(rng.integers(1, 9)), "k": int(rng.integers(1, 8)),
                                           "stride": int(rng.integers(1, 5))}, random=True))
    return cases


def _tf_pads(h, k, stride):
    """TF's 'SAME' (top, bottom) for an h x h input and an (h * stride) x (h * stride) output."""
    return frameworks.tf.tf_padding((h * stride,) * 2, (h, h), k, stride=stride, padding="SAME")[0]


def _port(h, k, stride):
    """[padding, output_padding, top, bottom]: PyTorch takes the symmetric part of TF's padding; the rest is cropped."""
    top, bottom = _tf_pads(h, k, stride)
    padding = min(top, bottom)
    size = te.output_size(h, k, stride=stride, padding=padding)[0]
    output_padding = max(0, h * stride - size)      # k < stride: TF's output is longer than the full output
    crop_top = top - padding
    return np.array([padding, output_padding, crop_top, size + output_padding - h * stride - crop_top])


def _usual_recipe(h, k, stride):
    """padding = (k - 1) // 2, output_padding = stride - 1, nothing cropped."""
    return np.array([(k - 1) // 2, stride - 1, 0, 0])


def _larger_pad(h, k, stride):
    """padding = the larger pad; output_padding puts the lost row back at the bottom (None if TF pads evenly)."""
    top, bottom = _tf_pads(h, k, stride)
    return None if top == bottom else np.array([bottom, _port(h, k, stride)[1] + 1, 0, 0])


def _unless_same(mine, other, c):
    """``mine``'s port, None where it is also ``other``'s (for s = 2 the usual recipe is the larger padding): each
    mistake is then named from the cases that tell them apart."""
    a, b = mine(**c.args), other(**c.args)
    return None if a is None or (b is not None and np.array_equal(a, b)) else a


def _usual_port(c):
    """The usual recipe, right for odd k only and one pixel off wherever TF pads unevenly."""
    return _unless_same(_usual_recipe, _larger_pad, c)


def _crop_wrong_side(c):
    """The odd row cropped at the top instead of the bottom (None where there is none)."""
    return None if _port(**c.args)[3] == 0 else _port(**c.args)[[0, 1, 3, 2]]


def _larger_padding(c):
    """padding = the larger of TF's two pads, which shifts the result by one pixel."""
    return _unless_same(_larger_pad, _usual_recipe, c)


def _no_output_padding(c, got, exp):
    """output_padding 0 where k < stride needs stride - k."""
    return c.args["k"] < c.args["stride"] and np.shape(got) == (4,) and got[0] == exp[0] and got[1] == 0


def _tf_pads_as_crop(c):
    """An exact port that crops all of TF's padding instead of taking its even part as padding (None for none)."""
    return None if _port(**c.args)[0] == 0 else np.array([0, _port(**c.args)[1], *_tf_pads(**c.args)])


PORT_TF_SAME = Exercise(
    id="port_tf_same", points=3,
    signature="port_tf_same(h, k, stride) -> int array [padding, output_padding, top, bottom]",
    statement="The PyTorch padding and output_padding (largest padding, smallest output_padding), and the rows "
              "to crop at the top and bottom, that reproduce TF's conv2d_transpose with 'SAME' and output h * stride.",
    functions={"port_tf_same": "counts"},
    cases=_port_cases,
    reference=lambda c: _port(**c.args),
    mistakes=(
        Mistake("usual_port", "you used the usual recipe padding = (k - 1) // 2, output_padding = stride - 1: it "
                "gives TF's size only for odd k, and sits one pixel away from TF wherever TF pads unevenly (k - "
                "stride odd: the extra row of padding is at the bottom, need // 2 at the top). Take padding = "
                "need // 2, the part that is the same at both ends, and crop the rest.",
                result=_usual_port),
        Mistake("crop_wrong_side", "you cropped the odd row at the top: TF's 'SAME' puts the extra pixel of "
                "padding at the bottom/right (need // 2 at the top), so the row PyTorch has too many is the last "
                "one: crop it at the bottom (and the right).",
                result=_crop_wrong_side),
        Mistake("larger_padding", "your padding is the larger of TF's two pads: PyTorch's padding crops the same "
                "number of rows at both ends, so it removes a row at the top that TF keeps (and output_padding "
                "adds one at the bottom that TF does not have): the result is shifted by one pixel. Use the smaller "
                "one, need // 2.",
                result=_larger_padding),
        Mistake("no_output_padding", "with k < stride TF's output (h * stride rows) is longer than the full "
                "scatter output ((h - 1) * stride + k rows); PyTorch gets those last stride - k rows (zeros, as in "
                "TF) only from output_padding = stride - k.",
                matches=_no_output_padding),
        Mistake("tf_pads_as_crop", "your port is exact, but not the one asked for: PyTorch's padding can already "
                "remove the part of TF's padding that is the same at both ends (padding = need // 2, the top pad), "
                "which leaves only the odd row to crop, at the bottom.",
                result=_tf_pads_as_crop),
    ),
    hints={"TypeError": "return the four numbers as an int array: np.array([padding, output_padding, top, bottom])."},
)


# --------------------------------------------------------------------------------------------------- 11. grouped

def _grouped_case(rng, n, groups, cg_in, cg_out, hw, k, stride, random=True):
    c_in, c_out = groups * cg_in, groups * cg_out
    return Case("grouped", {"x": random_values(rng, (n, c_in) + hw), "w": random_values(rng, (c_in, cg_out) + k),
                            "bias": random_values(rng, (c_out,)), "stride": stride, "groups": groups}, random=random)


def _grouped_cases(rng):
    fixed = np.random.default_rng(11)
    cases = [_grouped_case(fixed, *v, random=False) for v in [
        (1, 2, 2, 2, (2, 2), (2, 2), 1),      # two groups of two channels each
        (1, 3, 1, 1, (3, 2), (3, 3), 2),      # depthwise: one channel per group
        (2, 2, 2, 3, (2, 3), (2, 2), 2),      # 4 channels in, 6 out
        (1, 3, 2, 2, (2, 2), (1, 2), 1),
        (1, 1, 2, 3, (2, 2), (2, 2), 2)]]     # groups=1: an ordinary layer
    for _ in range(N_RANDOM):
        cases.append(_grouped_case(rng, int(rng.integers(1, 3)), *(int(v) for v in rng.integers(1, 4, size=3)),
                                   tuple(int(v) for v in rng.integers(1, 5, size=2)),
                                   tuple(int(v) for v in rng.integers(1, 4, size=2)), int(rng.integers(1, 4))))
    return cases


def _grouped(x, w, bias, stride, groups):
    return te.conv_transpose2d(x, w, bias, stride=stride, groups=groups)


def _out_channels(c, got, exp):
    """w.shape[1] output channels, one group's (C_out / groups), instead of C_out."""
    w, one_group = c.args["w"], (exp.shape[0], c.args["w"].shape[1]) + exp.shape[2:]
    return c.args["groups"] > 1 and w.shape[1] != w.shape[0] and np.shape(got) == one_group


def _weight_layout(c, got, exp):
    """w read as Conv2d's (C_out, C_in/groups, kH, kW): within each group the (C_in/g, C_out/g) block transposed."""
    x, w, bias, stride, groups = c.args.values()
    (c_in, cg_out), cg_in = w.shape[:2], w.shape[0] // groups
    if cg_in != cg_out:    # C_out read from dim 0 (told by the shape where w.shape[1] is not C_in too)
        return c_in != cg_out and np.ndim(got) == 4 and np.shape(got)[1] == c_in != exp.shape[1]
    swapped = w.reshape((groups, cg_in, cg_in) + w.shape[2:]).transpose(0, 2, 1, 3, 4).reshape(w.shape)
    return _same_array(got, [_grouped(x, swapped, bias, stride, groups)])


def _bias_per_group(c, got, exp):
    """The bias added per group: the first group's entries, one entry per group, or all of it in every group."""
    x, w, bias, stride, groups = c.args.values()
    if groups == 1:
        return False
    y0, cg_out = _grouped(x, w, None, stride, groups), w.shape[1]
    return _same_array(got, [y0 + b.reshape(1, -1, 1, 1) for b in (
        np.tile(bias[:cg_out], groups),              # the first group's entries for every group
        np.repeat(bias[:groups], cg_out),            # one entry per group
        groups * bias)])                             # the whole bias added once per group


def _interleaved(c, got, exp):
    """Groups taken as every groups-th channel (x[:, g::groups]) instead of contiguous blocks."""
    x, w, bias, stride, groups = c.args.values()
    cg_in, cg_out = w.shape[0] // groups, w.shape[1]
    if groups == 1:
        return False
    every_in = [g + groups * i for g in range(groups) for i in range(cg_in)]
    every_out = [g + groups * o for g in range(groups) for o in range(cg_out)]
    candidates = [_grouped(x[:, every_in], w, bias, stride, groups),
                  _grouped(x[:, every_in], w[every_in], bias, stride, groups)]
    blocks = _grouped(x[:, every_in], w[every_in], None, stride, groups)
    out = np.empty_like(blocks)
    out[:, every_out] = blocks
    candidates.append(out + bias.reshape(1, -1, 1, 1))
    return _same_array(got, candidates)


GROUPED = Exercise(
    id="grouped", points=3,
    signature="grouped(x, w, bias, stride, groups) -> (N, w.shape[1] * groups, H_out, W_out) array",
    statement="A grouped transposed convolution by a loop over the groups: weight (C_in, C_out/groups, kH, kW), "
              "C_out = w.shape[1] * groups output channels, bias (C_out,).",
    functions={"grouped": "array"},
    cases=_grouped_cases,
    reference=lambda c: _grouped(**c.args),
    mistakes=(
        Mistake("out_channels", "your output has w.shape[1] channels: that is C_out / groups, the output channels "
                "of ONE group; the layer has C_out = w.shape[1] * groups, group g writing channels "
                "g * w.shape[1] to (g + 1) * w.shape[1] - 1.",
                matches=_out_channels),
        Mistake("weight_layout", "you read the weight as (C_out, C_in/groups, kH, kW), the layout of a Conv2d "
                "weight; a transposed convolution's weight is (C_in, C_out/groups, kH, kW): group g's weight is "
                "the rows w[g * C_in/groups:(g + 1) * C_in/groups], and w[c, o] links input channel c to output "
                "channel o of that group.", matches=_weight_layout),
        Mistake("bias_per_group", "your bias is added per group: it has C_out entries, one per output channel "
                "(group g's channels take bias[g * C_out/groups:(g + 1) * C_out/groups]); add each entry once.",
                matches=_bias_per_group),
        Mistake("interleaved", "your groups are every groups-th channel; a group is a contiguous block: group g "
                "takes input channels g * C_in/groups to (g + 1) * C_in/groups - 1 and writes output channels "
                "g * C_out/groups to (g + 1) * C_out/groups - 1.", matches=_interleaved),
    ),
    hints={"ArgumentError": "the library refused one group's arrays: group g is x[:, g*ci:(g+1)*ci] with the "
                            "weight rows w[g*ci:(g+1)*ci] (ci = C_in // groups), a (ci, C_out/groups, kH, kW) "
                            "weight, and bias[g*co:(g+1)*co] (co = w.shape[1]).",
           "IndexError": "an index ran past the end of an array: x has C_in = w.shape[0] channels, the output "
                         "C_out = w.shape[1] * groups."},
)


# ---------------------------------------------------------------------------------------- 12. resize_conv_kernel

def _resize_cases(rng):
    centre = np.zeros((3, 3))
    centre[1, 1] = 1
    cases = [Case("resize_conv_kernel", {"k3": k3}) for k3 in (
        centre,                                             # the conv does nothing: nearest x2 itself
        floats([[1, 2, 0], [0, 0, 0], [0, 0, -1]]), floats([[0, 1, 0], [0, 0, 2], [0, 0, 0]]),
        floats([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))]
    for _ in range(N_RANDOM):
        cases.append(Case("resize_conv_kernel", {"k3": random_values(rng, (3, 3))}, random=True))
    return cases


def _resize_conv_kernel(k3):
    """The library's resize-conv of an impulse: a 1 at (1, 1) stamps the k=4, s=2, p=1 kernel at rows 1..4."""
    impulse = np.zeros((3, 3))
    impulse[1, 1] = 1
    return artifacts.resize_conv(impulse, k3, 2)[1:5, 1:5]


def _box_sums(k3):
    """Each 2x2 box of the 3x3 kernel padded with zeros, summed: (3, 3) -> (4, 4), no flip."""
    return te.conv_transpose2d(k3, np.ones((2, 2)))


def _in_zeros(k3):
    """The 3x3 kernel, flipped or not, placed at each corner of a 4x4 of zeros."""
    out = []
    for f in (k3, flip(k3)):
        for top in (0, 1):
            for left in (0, 1):
                z = np.zeros((4, 4))
                z[top:top + 3, left:left + 3] = f
                out.append(z)
    return out


def _no_flip(c, got, exp):
    """The 3x3 kernel as it is, or flipped along one axis only, instead of rotated by 180 degrees."""
    k3 = c.args["k3"]
    return _same_array(got, [_box_sums(v) for v in (k3, k3[::-1], k3[:, ::-1])])


def _transposed(c, got, exp):
    """The kernel transposed (rows and columns swapped)."""
    return _same_array(got, [_box_sums(c.args["k3"].T), exp.T])


def _zero_stuffed(c, got, exp):
    """The 3x3 kernel placed in a 4x4 of zeros instead of summed over 2x2 boxes."""
    return _same_array(got, _in_zeros(c.args["k3"]))


def _box_mean(c):
    """The 2x2 boxes averaged instead of summed."""
    return _resize_conv_kernel(c.args["k3"]) / 4


RESIZE_CONV_KERNEL = Exercise(
    id="resize_conv_kernel", points=2,
    signature="resize_conv_kernel(k3) -> (4, 4) array",
    statement="The 4x4 kernel of the transposed conv (stride 2, padding 1) that equals nearest-neighbour x2 "
              "upsampling followed by a 3x3 conv2d with padding 1 and the kernel k3.",
    functions={"resize_conv_kernel": "array"},
    cases=_resize_cases,
    reference=lambda c: _resize_conv_kernel(c.args["k3"]),
    mistakes=(
        Mistake("no_flip", "your kernel is built from k3 as it is (or flipped along one axis only): conv2d is a "
                "correlation and the transposed conv a scatter, so the 3x3 kernel enters rotated by 180 degrees, "
                "k3[::-1, ::-1], rows and columns reversed.",
                matches=_no_flip),
        Mistake("transposed", "your kernel is transposed (rows and columns swapped): a transposed convolution "
                "does not transpose its kernel; the 3x3 kernel is rotated by 180 degrees, k3[::-1, ::-1].",
                matches=_transposed),
        Mistake("zero_stuffed", "you placed the 3x3 kernel in a 4x4 of zeros: nearest x2 repeats every pixel on a "
                "2x2 block, so each tap of the 4x4 kernel collects the (flipped) 3x3 taps of a 2x2 box: pad the "
                "flipped kernel with one zero on every side (5x5) and sum each of its 16 2x2 boxes.",
                matches=_zero_stuffed),
        Mistake("box_mean", "you averaged the 2x2 boxes: nearest upsampling copies each pixel (it does not "
                "split it in four), so the taps of a box add up: sum them, do not divide by 4.",
                result=_box_mean),
    ),
    hints={"ValueError": "the answer is one (4, 4) array: entry (a, b) is the sum of the flipped kernel "
                         "k3[::-1, ::-1], padded with one zero on every side, over the 2x2 box at (a, b)."},
)
