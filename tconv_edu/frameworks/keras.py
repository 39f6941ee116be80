"""Keras 3's ``Conv1DTranspose``, ``Conv2DTranspose`` and ``Conv3DTranspose`` (TensorFlow backend): their size
rule, their refusals, and what they compute.

Keras computes the output size itself (``keras_output_size``) and hands it to ``tf.nn.conv{1,2,3}d_transpose``; the
trap: ``output_padding=None`` and ``output_padding=0`` give different sizes. The three layers share one rule, per
axis: ``strides``, ``output_padding`` and ``dilation_rate`` are an int or one int per axis, ``output_padding <
strides``, and no strides > 1 together with dilation_rate > 1 (in 1-D too).

>>> import numpy as np
>>> keras_conv2d_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 3)), strides=2, padding="same").shape
(1, 8, 8, 2)
>>> keras_conv1d_transpose(np.ones((1, 64, 8)), np.ones((16, 4, 8)), strides=8, padding="same").shape
(1, 512, 4)
"""
from __future__ import annotations

import itertools

import numpy as np

from ..shapes import (ArgumentError, as_array, axes, check_bias, full_size, kernel_span, ntuple, rank_of, show,
                      spatial_layout)
from ._base import (Framework, LayerCrops, Target, channels_first, channels_last, compute, n_d, named_padding_only,
                    param)

__all__ = ["keras_output_size", "keras_crops", "keras_conv1d_transpose", "keras_conv2d_transpose",
           "keras_conv3d_transpose", "Keras", "FRAMEWORK"]


def _keras_mode(padding) -> str:
    if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
        raise ArgumentError(f"padding={padding!r}: Keras takes 'same' or 'valid' (any case)")
    return padding.lower()


def _keras_ints(name, value, rank, minimum):
    """Keras' int-or-tuple argument: an int, or exactly ``rank`` ints (Keras: "The `strides` argument must be a
    tuple of 1 integers")."""
    if isinstance(value, (tuple, list)) and len(value) != rank:
        raise ArgumentError(f"{name}={value!r}: Keras takes an int or a tuple of {rank} integers here (\"The "
                            f"`{name}` argument must be a tuple of {rank} integers\"), got {len(value)}")
    return ntuple(name, value, rank, minimum)


def keras_output_size(input_size, kernel_size, *, strides=1, padding="valid", output_padding=None,
                      dilation_rate=1, rank=None) -> tuple:
    """Output (H, W) of Keras 3's ``Conv2DTranspose`` ((L,) of ``Conv1DTranspose``, (D, H, W) of
    ``Conv3DTranspose``: ``rank``, else the length of a tuple argument, else 2); ``output_padding`` None, an int or
    one int per axis.

    ``output_padding=None``: 'same' gives ``in * stride``, 'valid' ``(in - 1) * stride + max(k_eff, stride)``;
    ``output_padding=op``: ``(in - 1) * stride + k_eff - 2 * pad + op``, pad ``k_eff // 2`` ('same') or 0
    ('valid'); ``k_eff = dilation * (k - 1) + 1``. Keras requires ``output_padding < strides`` (PyTorch also
    accepts ``< dilation``). The size rule alone: the layer also refuses strides > 1 with dilation_rate > 1
    (``keras_crops``).

    >>> keras_output_size(4, 3, strides=2, padding="valid"), keras_output_size(4, 3, strides=2, output_padding=0)
    ((9, 9), (9, 9))
    >>> keras_output_size(4, 1, strides=2, padding="valid"), keras_output_size((64,), 16, strides=8, padding="same")
    ((8, 8), (512,))
    """
    r = rank_of(rank, input_size=input_size, kernel_size=kernel_size, strides=strides,
                output_padding=output_padding, dilation_rate=dilation_rate)
    n, k = ntuple("input_size", input_size, r, 1), _keras_ints("kernel_size", kernel_size, r, 1)
    s, d = _keras_ints("strides", strides, r, 1), _keras_ints("dilation_rate", dilation_rate, r, 1)
    mode = _keras_mode(padding)
    op = None if output_padding is None else _keras_ints("output_padding", output_padding, r, 0)
    if op is not None:
        for axis, o, si in zip(axes(r), op, s):
            if o >= si:
                raise ArgumentError(f"output_padding={show(op)}: along the {axis}, output_padding {o} "
                                    f"must be lower than the stride ({si}) (Keras' rule)")
    out = []
    for i in range(r):
        k_eff = kernel_span(k[i], d[i])
        if op is None:
            out.append(n[i] * s[i] if mode == "same" else n[i] * s[i] + max(k_eff - s[i], 0))
        else:
            pad = k_eff // 2 if mode == "same" else 0
            out.append((n[i] - 1) * s[i] + k_eff - 2 * pad + op[i])
    return tuple(out)


def keras_crops(input_size, kernel_size, *, strides=1, padding="valid", output_padding=None, dilation_rate=1,
                rank=None):
    """Keras 3 ``Conv1DTranspose``/``Conv2DTranspose``/``Conv3DTranspose`` (TensorFlow backend): ``(out_size,
    crops)``, with Keras' refusals (``rank`` as in ``keras_output_size``).

    Keras computes the size (``keras_output_size``) and hands it to ``tf.nn.conv2d_transpose`` as output_shape:
    'same' then crops ``need // 2`` at the top/left, ``need = (in - 1) * s + k_eff - out`` (the odd one at the
    bottom/right), 'valid' crops nothing and adds ``out - full`` rows at the bottom/right. An even kernel with
    'same' and output_padding=0 asks for a size TensorFlow refuses (the JAX and PyTorch backends compute it).

    >>> keras_crops(4, 3, strides=2, padding="same"), keras_crops((4,), 3, strides=2, padding="same")
    (((8, 8), ((0, 1), (0, 1))), ((8,), ((0, 1),)))
    """
    r = rank_of(rank, input_size=input_size, kernel_size=kernel_size, strides=strides,
                output_padding=output_padding, dilation_rate=dilation_rate)
    s, d = _keras_ints("strides", strides, r, None), _keras_ints("dilation_rate", dilation_rate, r, None)
    out = keras_output_size(input_size, kernel_size, strides=s, padding=padding, output_padding=output_padding,
                            dilation_rate=d, rank=r)
    if max(s) > 1 and max(d) > 1:
        raise ArgumentError(f"strides={show(s)}, dilation_rate={show(d)}: Keras refuses strides > 1 together "
                            f"with dilation_rate > 1 (on any axes, in every rank; PyTorch accepts them)")
    n, k = ntuple("input_size", input_size, r), ntuple("kernel_size", kernel_size, r)
    full = full_size(n, k, stride=s, dilation=d, rank=r)
    mode = _keras_mode(padding)
    crops = []
    for i, axis in enumerate(axes(r)):
        if mode == "same" and not (n[i] - 1) * s[i] + 1 <= out[i] <= n[i] * s[i]:
            raise ArgumentError(
                f"output_padding={output_padding!r}: Keras asks TensorFlow for a {axis} of {out[i]} "
                f"((in - 1) * strides + k_eff % 2 + output_padding), which 'SAME' does not convolve back to the "
                f"input's {n[i]} (TensorFlow: \"Size of out_backprop doesn't match computed\"); valid {axis}s: "
                f"{(n[i] - 1) * s[i] + 1}..{n[i] * s[i]} (an even kernel needs output_padding >= 1 or None)")
        top = max(0, full[i] - out[i]) // 2 if mode == "same" else 0
        crops.append((top, full[i] - out[i] - top))
    return out, tuple(crops)


def _keras_conv_transpose(rank, x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format):
    """What ``keras.layers.Conv{rank}DTranspose`` computes: Keras' checks, then the full output cropped."""
    fmt = "channels_last" if data_format is None else data_format
    if not isinstance(fmt, str) or fmt.lower() not in ("channels_last", "channels_first"):
        raise ArgumentError(f"data_format={data_format!r}: Keras takes 'channels_last' or 'channels_first'")
    fmt = fmt.lower()
    sp, kn = spatial_layout(rank)
    x, k = as_array("x", x, np), as_array("kernel", kernel, np)
    bias = as_array("bias", bias, np, optional=True)
    n_d("x", x, rank + 2, f"(N, {sp}, C_in)" if fmt == "channels_last" else f"(N, C_in, {sp})")
    n_d("kernel", k, rank + 2, f"({kn}, C_out, C_in)")
    xc = x if fmt == "channels_first" else channels_first(x)
    if k.shape[-1] != xc.shape[1]:
        raise ArgumentError(f"kernel: shape {k.shape} is ({kn}, C_out, C_in), so its last dim must match the "
                            f"input channels {xc.shape[1]} (Keras: \"The number of input channels must match the "
                            f"kernel's input channels\"), got {k.shape[-1]}")
    check_bias(bias, k.shape[-2])
    _, crops = keras_crops(xc.shape[2:], k.shape[:rank], strides=strides, padding=padding,
                           output_padding=output_padding, dilation_rate=dilation_rate, rank=rank)
    y = compute(xc, k.transpose((rank + 1, rank) + tuple(range(rank))), bias,
                stride=ntuple("strides", strides, rank), dilation=ntuple("dilation_rate", dilation_rate, rank),
                groups=1, crops=crops)
    return y if fmt == "channels_first" else channels_last(y)


def keras_conv2d_transpose(x, kernel, bias=None, *, strides=1, padding="valid", output_padding=None,
                           dilation_rate=1, data_format="channels_last"):
    """What ``keras.layers.Conv2DTranspose`` (Keras 3, TensorFlow backend) computes with ``kernel`` and ``bias``.

    x: (N, H, W, C_in) ('channels_last') or (N, C_in, H, W) ('channels_first'); kernel: (kH, kW, C_out, C_in);
    bias: (C_out,) or None. Output size ``keras_output_size``: 'same' with ``output_padding=None`` gives
    ``in * strides``, with an int ``(in - 1) * strides + k_eff % 2 + output_padding``; 'valid' gives
    ``(in - 1) * strides + max(k_eff, strides)`` or ``(in - 1) * strides + k_eff + output_padding``.
    Keras refuses ``output_padding >= strides`` and strides > 1 together with dilation_rate > 1.

    >>> import numpy as np
    >>> x, k = np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 3))
    >>> keras_conv2d_transpose(x, k, strides=2, padding="same").shape
    (1, 8, 8, 2)
    >>> keras_conv2d_transpose(x, k, strides=2, padding="same", output_padding=0).shape
    (1, 7, 7, 2)
    """
    return _keras_conv_transpose(2, x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format)


def keras_conv1d_transpose(x, kernel, bias=None, *, strides=1, padding="valid", output_padding=None,
                           dilation_rate=1, data_format="channels_last"):
    """What ``keras.layers.Conv1DTranspose`` (Keras 3, TensorFlow backend) computes with ``kernel`` and ``bias``.

    x: (N, L, C_in) ('channels_last') or (N, C_in, L); kernel: (k, C_out, C_in); bias: (C_out,) or None. The size
    rule and refusals of ``keras_conv2d_transpose`` on one axis: Keras refuses strides > 1 with dilation_rate > 1
    here too.

    >>> import numpy as np
    >>> x, k = np.ones((1, 4, 2)), np.ones((3, 5, 2))
    >>> keras_conv1d_transpose(x, k, strides=2, padding="same", output_padding=0).shape
    (1, 7, 5)
    """
    return _keras_conv_transpose(1, x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format)


def keras_conv3d_transpose(x, kernel, bias=None, *, strides=1, padding="valid", output_padding=None,
                           dilation_rate=1, data_format="channels_last"):
    """What ``keras.layers.Conv3DTranspose`` (Keras 3, TensorFlow backend) computes with ``kernel`` and ``bias``.

    x: (N, D, H, W, C_in) ('channels_last') or (N, C_in, D, H, W); kernel: (kD, kH, kW, C_out, C_in); bias:
    (C_out,) or None. The size rule and refusals of ``keras_conv2d_transpose`` on three axes.

    >>> import numpy as np
    >>> keras_conv3d_transpose(np.ones((1, 2, 3, 4, 2)), np.ones((2, 2, 2, 3, 2)), strides=2).shape
    (1, 4, 6, 8, 3)
    """
    return _keras_conv_transpose(3, x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format)


#: the entry point of each rank
CONV_TRANSPOSE = {1: keras_conv1d_transpose, 2: keras_conv2d_transpose, 3: keras_conv3d_transpose}


class Keras(Framework):
    name, title = "keras", "Keras"
    params = ("strides", "padding", "output_padding", "dilation_rate")
    layouts = {"Keras Conv2DTranspose": "(kH, kW, C_out, C_in)"}
    layouts_nd = {"Keras Conv1DTranspose / Conv3DTranspose": ("(k, C_out, C_in)", "(kD, kH, kW, C_out, C_in)")}

    def layer_crops(self, layer, n, k):
        r = len(k)
        s = _keras_ints("strides", param(layer, "strides", 1), r, None)
        d = _keras_ints("dilation_rate", param(layer, "dilation_rate", 1), r, None)
        out, crops = keras_crops(n, k, strides=s, padding=param(layer, "padding", "valid"),
                                 output_padding=layer.params.get("output_padding"), dilation_rate=d, rank=r)
        return LayerCrops(s, d, 1, crops, out)

    def target(self, lc, n, k):
        s, d, crops, dilate, note, r = lc.stride, lc.dilation, tuple(lc.crops), None, "", len(k)
        if max(s) > 1 and max(d) > 1:          # Keras refuses the pair: dilate the kernel by hand instead
            dilate, k, d = d, tuple(kernel_span(k[i], d[i]) for i in range(r)), (1,) * r
            note = (f"Keras refuses strides {show(s)} with dilation {show(dilate)}: the kernel is dilated by hand "
                    f"(zeros between taps)")
        ops = [None] + list(itertools.product(*(range(si) for si in s)))
        for mode in ("same", "valid"):
            for op in ops:
                try:
                    _, c2 = keras_crops(n, k, strides=s, padding=mode, output_padding=op, dilation_rate=d, rank=r)
                except ArgumentError:
                    continue
                if c2 == crops:
                    return Target({"strides": s, "padding": mode, "output_padding": op, "dilation_rate": d},
                                  dilate=dilate, note=note)
        op = tuple(min(max(0, -c[1]), si - 1) for c, si in zip(crops, s))
        residual = tuple((c[0], c[1] + o) for c, o in zip(crops, op))
        return Target({"strides": s, "padding": "valid", "output_padding": op, "dilation_rate": d}, residual,
                      dilate, note)

    def explorer_params(self, n, k, s, padding, op, d, g):
        named_padding_only(self, padding, g)
        return {"strides": s, "padding": padding.lower(), "output_padding": op or None, "dilation_rate": d}

    def run(self, layer, x, w, bias=None):
        return CONV_TRANSPOSE[layer.rank](np.asarray(x), w, bias, **layer.params)


FRAMEWORK = Keras()
