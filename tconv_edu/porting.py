"""Port one transposed-conv layer between PyTorch, TensorFlow, Keras, JAX and ONNX: parameters and weight.

A layer is its framework's arguments (``Layer``); ``port(layer, to)`` says what the same layer is in another
framework's terms: the arguments, how the weight is permuted (and flipped, for JAX), and whether the port is exact.
Where no exact equivalent exists, the nearest one comes with the crops still to remove (``Ported.residual``), e.g.
TF 'SAME' with k=3, s=2 is PyTorch padding 0 plus one row and column cropped at the bottom/right.

Every framework's layer is the full scatter output cropped: porting maps crops to crops. Each framework's rules,
layouts and nearest layer live in its module of ``tconv_edu.frameworks``; this module only loops over them. A
layer's rank is its kernel's: ``kernel_size`` (k,) is a 1-D layer (ConvTranspose1d, Conv1DTranspose, ...),
(kD, kH, kW) a 3-D one; the same weight transposes move it, with one or three spatial axes.

>>> tf = Layer("tf", 8, 4, (3, 3), {"strides": 2, "padding": "SAME", "output_shape": (8, 8)}, input_size=(4, 4))
>>> p = port(tf, "torch")
>>> p.exact, p.layer.params["padding"], p.layer.params["output_padding"], p.residual
(False, (0, 0), (0, 0), ((0, 1), (0, 1)))
>>> p.weight(np.ones((3, 3, 4, 8))).shape
(8, 4, 3, 3)
>>> k1 = port(Layer("keras", 8, 4, (16,), {"strides": 8, "padding": "same"}), "torch")
>>> k1.exact, k1.layer.params["padding"], k1.layer.params["output_padding"], k1.weight(np.ones((16, 4, 8))).shape
(True, (4,), (0,), (8, 4, 16))
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import shapes
from .frameworks import FRAMEWORKS, LayerCrops, crop, dilated
from .frameworks._base import RANKS, channels_first, channels_last, no_residual
from .shapes import ArgumentError

__all__ = ["FRAMEWORKS", "Layer", "Ported", "port", "run", "layer_crops", "ArgumentError"]

#: the input size assumed, per axis, where a layer's output size does not depend on it (it only checks the output
#: is >= 1)
DEFAULT_INPUT_SIZE = (16, 16)


@dataclass(frozen=True)
class Layer:
    """One transposed-conv layer in ``framework``'s own terms.

    params: that framework's argument names (``FRAMEWORKS[framework].params``; torch: stride, padding,
    output_padding, dilation, groups; tf: strides, padding, output_shape (H, W), dilations; keras: strides,
    padding, output_padding, dilation_rate; jax: strides, padding, rhs_dilation, transpose_kernel; onnx: strides,
    dilations, auto_pad, pads, output_padding, output_shape, group). input_size (H, W): needed where the size
    depends on it (TF's output_shape, ONNX's output_shape); elsewhere it only checks that the output is at least
    1 pixel.
    """
    framework: str
    in_channels: int
    out_channels: int
    kernel_size: tuple
    params: dict = field(default_factory=dict)
    input_size: tuple | None = None

    def __post_init__(self):
        if self.framework not in FRAMEWORKS:
            raise ArgumentError(f"framework={self.framework!r}: expected one of {tuple(FRAMEWORKS)}")
        takes = FRAMEWORKS[self.framework].params
        unknown = set(self.params) - set(takes)
        if unknown:
            raise ArgumentError(f"params: {sorted(unknown)} are not {self.framework} arguments; it takes {takes}")
        for name in ("in_channels", "out_channels"):
            shapes.positive_int(name, getattr(self, name))
        if isinstance(self.kernel_size, (tuple, list)) and len(self.kernel_size) not in RANKS:
            raise ArgumentError(f"kernel_size={self.kernel_size!r}: one size per spatial axis, 1, 2 or 3 of them")
        shapes.ntuple("kernel_size", self.kernel_size, self.rank, 1)

    @property
    def rank(self) -> int:
        """The number of spatial axes: 1, 2 or 3 (the length of ``kernel_size``)."""
        return len(self.kernel_size) if isinstance(self.kernel_size, (tuple, list)) else 2

    @property
    def kernel(self) -> tuple:
        """``kernel_size`` as one int >= 1 per axis."""
        return shapes.ntuple("kernel_size", self.kernel_size, self.rank, 1)

    @property
    def rules(self):
        """The framework object that holds this layer's rules."""
        return FRAMEWORKS[self.framework]


@dataclass(frozen=True)
class Ported:
    """``port``'s answer: ``layer`` in the target's terms, and what else the port needs.

    exact: the target computes the source's output as is; otherwise ``residual`` ((top, bottom), (left, right); one
    pair per axis in any rank) must still be cropped from its output (a negative crop adds rows holding only the
    bias): ``finish`` does it.
    weight(w) turns the source's weight into the target's; weight_rule says how, note says why.
    """
    source: Layer
    layer: Layer
    exact: bool
    residual: tuple
    weight_rule: str
    note: str
    dilate_kernel: tuple | None = None

    def weight(self, w):
        """The source's weight ``w`` (its framework's layout) in the target's layout."""
        w = shapes.as_array("w", w, np)
        src = self.source.rules
        want = src.weight_shape(self.source)
        if w.shape != want:
            raise ArgumentError(f"w: expected the {src.name} weight {src.weight_layout(self.source)} = {want}, got "
                                f"shape {w.shape}")
        wt, g = src.to_torch(w, self.source)
        out = self.layer.rules.from_torch(dilated(wt, self.dilate_kernel or (1,) * self.source.rank), g, self.layer)
        return out.copy() if min(out.strides, default=0) < 0 else out   # a fresh array torch.from_numpy takes

    def finish(self, y, bias=None):
        """Remove ``residual`` from the target's output ``y`` (its layout); new rows get ``bias`` (or 0)."""
        if self.exact:
            return y
        nchw = self.layer.rules.nchw
        yc = y if nchw else channels_first(y)
        out = crop(yc, self.residual, None if bias is None else np.asarray(bias), biased=True)
        return out if nchw else channels_last(out)


def _input_size(layer):
    r = layer.rank
    return shapes.ntuple("input_size", layer.input_size if layer.input_size is not None else DEFAULT_INPUT_SIZE[0], r)


def layer_crops(layer: Layer) -> LayerCrops:
    """``layer`` as (stride, dilation, groups, crops, out_size), from its framework's rule (checked)."""
    lc = layer.rules.layer_crops(layer, _input_size(layer), layer.kernel)
    shapes.check_groups(lc.groups, {"in_channels": layer.in_channels, "out_channels": layer.out_channels})
    return lc


def _weight_rule(source, target, g, dilate):
    a, b = source.rules, target.rules
    names = shapes.spatial_layout(source.rank)[1].split(", ")
    kernel_axes = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    steps = [f"from {a.name} {a.weight_layout(source)}"]
    if a.flips(source.params):
        steps.append(f"flip {kernel_axes} ({a.flip_reason})")
    if dilate is not None and max(dilate) > 1:
        names = shapes.spatial_layout(len(dilate))[1].split(", ")
        steps.append(f"insert zeros between the taps (dilation {shapes.show(dilate)} -> a kernel of "
                     + " by ".join(f"{di} * ({kn} - 1) + 1" for di, kn in zip(dilate, names)) + ")")
    if g > 1 and not b.has_groups:
        steps.append(f"expand groups={g} to a dense block-diagonal weight ({b.name} has no groups)")
    if b.flips(target.params):
        steps.append(f"flip {kernel_axes}")
    steps.append(f"to {b.name} {b.weight_layout(target)}")
    return "; ".join(steps)


def port(layer: Layer, to: str) -> Ported:
    """``layer`` in framework ``to``'s terms: parameters, weight permutation/flip, exactness and what is left.

    >>> p = port(Layer("torch", 4, 2, (3, 3), {"stride": 2, "padding": 1, "output_padding": 1}), "jax")
    >>> p.exact, p.layer.params["padding"], p.weight(np.ones((4, 2, 3, 3))).shape
    (True, ((1, 2), (1, 2)), (3, 3, 4, 2))
    >>> p3 = port(Layer("torch", 64, 32, (2, 2, 2), {"stride": 2}), "onnx")
    >>> p3.exact, p3.layer.params["auto_pad"], p3.weight(np.ones((64, 32, 2, 2, 2))).shape
    (True, 'SAME_UPPER', (64, 32, 2, 2, 2))
    """
    if to not in FRAMEWORKS:
        raise ArgumentError(f"to={to!r}: expected one of {tuple(FRAMEWORKS)}")
    dst = FRAMEWORKS[to]
    lc = layer_crops(layer)
    if min(lc.out_size) < 1:
        raise ArgumentError(f"layer: its output is {' x '.join(map(str, lc.out_size))} (empty): nothing to port")
    if dst.needs_input_size and layer.input_size is None:
        raise ArgumentError(f"porting to {to} needs layer.input_size: {dst.needs_input_size}")
    k, r = layer.kernel, layer.rank
    t = dst.target(lc, _input_size(layer), k)
    residual = no_residual(r) if t.residual is None else tuple(t.residual)
    dilate = (1,) * r if t.dilate is None else tuple(t.dilate)
    exact = residual == no_residual(r)
    kernel = tuple(shapes.kernel_span(k[i], dilate[i]) for i in range(r))
    target = Layer(to, layer.in_channels, layer.out_channels, kernel, t.params, input_size=layer.input_size)
    notes = []
    if not exact:
        done = tuple(tuple(c[j] - residual[i][j] for j in range(2)) for i, c in enumerate(lc.crops))
        counted = ("((top, bottom), (left, right)) rows and columns" if r == 2 else
                   f"one (start, end) pair per axis ({', '.join(shapes.axes(r))})")
        notes.append(f"no exact {to} equivalent: the nearest {to} layer removes {done} of the full output instead "
                     f"of the {lc.crops} this layer removes; remove {residual} more from its output, counted as "
                     f"{counted} (a negative number adds rows holding only the bias)")
    if lc.groups > 1 and not dst.has_groups:
        notes.append(f"groups={lc.groups}: {to} has none; the dense block-diagonal weight computes the same")
    if t.note:
        notes.append(t.note)
    if not dst.has_bias:
        notes.append(f"{dst.title} has no bias: add it after")
    return Ported(layer, target, exact, residual, _weight_rule(layer, target, lc.groups, dilate),
                  "; ".join(notes), dilate)


def run(layer: Layer, x, weight, bias=None):
    """Compute ``layer`` with its framework's entry point; x and weight in that framework's default layouts.

    torch and onnx take x (N, C_in, H, W), the others (N, H, W, C_in) (one, two or three spatial axes, as the
    layer's kernel). Where a framework has no bias (JAX), it is added after.
    """
    return layer.rules.run(layer, x, weight, bias)
