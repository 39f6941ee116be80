"""PyTorch's ``ConvTranspose2d`` / ``F.conv_transpose2d``: the semantics the library itself follows.

Its size rule and argument checks are ``tconv_edu.shapes`` (what notebook 02 teaches); here they are said in the
vocabulary of crops: padding p and output_padding op crop ``(p, p - op)`` rows per axis.

>>> torch_crops(1, 1)
((1, 0), (1, 0))
"""
from __future__ import annotations

from .. import shapes
from ..gemm import conv_transpose2d
from ._base import GroupedFramework, LayerCrops, Target, param

__all__ = ["torch_crops", "torch_params_for", "PyTorch", "FRAMEWORK"]


def torch_crops(padding=0, output_padding=0) -> tuple:
    """PyTorch's (padding, output_padding) as crops: ``(p, p - op)`` per axis.

    >>> torch_crops((1, 2), 0)
    ((1, 1), (2, 2))
    """
    p, op = shapes.pair("padding", padding), shapes.pair("output_padding", output_padding)
    return tuple((p[i], p[i] - op[i]) for i in range(2))


def torch_params_for(crops, *, stride=1, dilation=1):
    """PyTorch's (padding, output_padding) that make ``crops``, or None where no pair does.

    PyTorch crops the same p at both ends and gives back op < max(stride, dilation) rows at the bottom/right, so
    it reaches only crops with ``top >= 0`` and ``0 <= top - bottom < max(stride, dilation)``.

    >>> torch_params_for(((1, 0), (1, 0)), stride=2), torch_params_for(((0, 1), (0, 1)), stride=2)
    (((1, 1), (1, 1)), None)
    """
    s, d = shapes.pair("stride", stride), shapes.pair("dilation", dilation)
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

    def layer_crops(self, layer, n, k):
        s, d = shapes.pair("stride", param(layer, "stride", 1)), shapes.pair("dilation", param(layer, "dilation", 1))
        pad, op = param(layer, "padding", 0), param(layer, "output_padding", 0)
        out = shapes.output_size(n, k, stride=s, padding=pad, output_padding=op, dilation=d)
        return LayerCrops(s, d, self.groups(layer), torch_crops(pad, op), out)

    def target(self, lc, n, k):
        exact = torch_params_for(lc.crops, stride=lc.stride, dilation=lc.dilation)
        if exact:
            pad, op = exact
            residual = ((0, 0), (0, 0))
        else:
            pad = tuple(max(0, min(c)) for c in lc.crops)
            op = (0, 0)
            residual = tuple((c[0] - p, c[1] - p) for c, p in zip(lc.crops, pad))
        return Target({"stride": lc.stride, "padding": pad, "output_padding": op, "dilation": lc.dilation,
                       "groups": lc.groups}, residual)

    def explorer_params(self, n, k, s, padding, op, d, g):
        if not padding.isdigit():
            raise shapes.ArgumentError(f"padding={padding!r}: PyTorch's ConvTranspose2d takes integer padding "
                                       f"only (padding='same' fails at forward time)")
        return {"stride": s, "padding": int(padding), "output_padding": op, "dilation": d, "groups": g}

    def run(self, layer, x, w, bias=None):
        return conv_transpose2d(x, w, bias, **layer.params)


FRAMEWORK = PyTorch()
