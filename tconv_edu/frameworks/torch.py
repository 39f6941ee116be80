"""PyTorch's ``ConvTranspose1d/2d/3d`` / ``F.conv_transpose1d/2d/3d``: the semantics the library itself follows.

Its size rule and argument checks are ``tconv_edu.shapes`` (what notebook 02 teaches); here they are said in the
vocabulary of crops: padding p and output_padding op crop ``(p, p - op)`` rows per axis, in any rank.

>>> torch_crops(1, 1)
((1, 0), (1, 0))
"""
from __future__ import annotations

from .. import shapes
from ..gemm import conv_transpose1d, conv_transpose2d, conv_transpose3d
from ._base import GroupedFramework, LayerCrops, Target, param

__all__ = ["torch_crops", "torch_params_for", "PyTorch", "FRAMEWORK"]


def torch_crops(padding=0, output_padding=0, rank=2) -> tuple:
    """PyTorch's (padding, output_padding) as crops: ``(p, p - op)`` per axis (``rank`` axes).

    >>> torch_crops((1, 2), 0), torch_crops(4, 0, rank=1)
    (((1, 1), (2, 2)), ((4, 4),))
    """
    p, op = shapes.ntuple("padding", padding, rank), shapes.ntuple("output_padding", output_padding, rank)
    return tuple((p[i], p[i] - op[i]) for i in range(rank))


def torch_params_for(crops, *, stride=1, dilation=1):
    """PyTorch's (padding, output_padding) that make ``crops``, or None where no pair does.

    PyTorch crops the same p at both ends and gives back op < max(stride, dilation) rows at the bottom/right, so
    it reaches only crops with ``top >= 0`` and ``0 <= top - bottom < max(stride, dilation)``.

    >>> torch_params_for(((1, 0), (1, 0)), stride=2), torch_params_for(((0, 1), (0, 1)), stride=2)
    (((1, 1), (1, 1)), None)
    """
    s, d = shapes.ntuple("stride", stride, len(crops)), shapes.ntuple("dilation", dilation, len(crops))
    p, op = [], []
    for (top, bottom), si, di in zip(crops, s, d):
        if top < 0 or not 0 <= top - bottom < max(si, di):
            return None
        p.append(top)
        op.append(top - bottom)
    return tuple(p), tuple(op)


class PyTorch(GroupedFramework):
    name, title, nchw = "torch", "PyTorch", True
    params = ("stride", "padding", "output_padding", "dilation", "groups")
    weight = "(C_in, C_out / groups, kH, kW)"
    layouts = {"PyTorch ConvTranspose2d / F.conv_transpose2d": "(C_in, C_out / groups, kH, kW)",
               "PyTorch Conv2d / F.conv2d (the forward conv)": "(C_out, C_in / groups, kH, kW)"}
    layouts_nd = {"PyTorch ConvTranspose1d / ConvTranspose3d": ("(C_in, C_out / groups, k)",
                                                                "(C_in, C_out / groups, kD, kH, kW)")}

    def layer_crops(self, layer, n, k):
        r = len(k)
        s = shapes.ntuple("stride", param(layer, "stride", 1), r)
        d = shapes.ntuple("dilation", param(layer, "dilation", 1), r)
        pad, op = param(layer, "padding", 0), param(layer, "output_padding", 0)
        out = shapes.output_size(n, k, stride=s, padding=pad, output_padding=op, dilation=d, rank=r)
        return LayerCrops(s, d, self.groups(layer), torch_crops(pad, op, r), out)

    def target(self, lc, n, k):
        exact = torch_params_for(lc.crops, stride=lc.stride, dilation=lc.dilation)
        if exact:
            pad, op = exact
            residual = None
        else:
            pad = tuple(max(0, min(c)) for c in lc.crops)
            op = (0,) * len(pad)
            residual = tuple((c[0] - p, c[1] - p) for c, p in zip(lc.crops, pad))
        return Target({"stride": lc.stride, "padding": pad, "output_padding": op, "dilation": lc.dilation,
                       "groups": lc.groups}, residual)

    def explorer_params(self, n, k, s, padding, op, d, g):
        if not padding.isdigit():
            raise shapes.ArgumentError(f"padding={padding!r}: PyTorch's ConvTranspose2d takes integer padding "
                                       f"only (padding='same' fails at forward time)")
        return {"stride": s, "padding": int(padding), "output_padding": op, "dilation": d, "groups": g}

    def run(self, layer, x, w, bias=None):
        return CONV_TRANSPOSE[layer.rank](x, w, bias, **layer.params)


#: the entry point of each rank: the default form's
CONV_TRANSPOSE = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}


FRAMEWORK = PyTorch()
