"""What other frameworks do with the same layer: Keras' size rule and each framework's weight layout.

Keras (``keras.layers.Conv2DTranspose``, ``keras.ops.conv_transpose``; the rule is ``deconv_output_length`` in
Keras' ``conv_utils``, and its docs say "The amount of output padding along a given dimension must be lower than
the stride along that same dimension. If set to None (default), the output shape is inferred."):

- ``output_padding=None``: 'same' gives ``in * stride``; 'valid' gives ``in * stride + max(k_eff - stride, 0)``;
- ``output_padding=op`` (an int): ``(in - 1) * stride + k_eff - 2 * pad + op`` with pad ``k_eff // 2`` for
  'same' and 0 for 'valid';

with ``k_eff = dilation * (k - 1) + 1``. So None and 0 are different requests:

>>> keras_output_size(4, 3, strides=2, padding="same"), keras_output_size(4, 3, strides=2, padding="same", output_padding=0)
((8, 8), (7, 7))
"""
from __future__ import annotations

from . import shapes

__all__ = ["keras_output_size", "WEIGHT_LAYOUTS"]

#: framework -> (layer, weight shape), for a transposed conv from C_in to C_out channels (and its forward conv)
WEIGHT_LAYOUTS = {
    "PyTorch ConvTranspose2d / F.conv_transpose2d": "(C_in, C_out / groups, kH, kW)",
    "PyTorch Conv2d / F.conv2d (the forward conv)": "(C_out, C_in / groups, kH, kW)",
    "TensorFlow tf.nn.conv2d_transpose": "(kH, kW, C_out, C_in)",
    "TensorFlow tf.nn.conv2d (the forward conv)": "(kH, kW, C_in, C_out)",
    "Keras Conv2DTranspose": "(kH, kW, C_out, C_in)",
    "tconv_edu.conv_transpose2d": "(C_in, C_out / groups, kH, kW)  (PyTorch's)",
    "tconv_edu.conv2d_transpose": "(kH, kW, C_out, C_in)  (TensorFlow's)",
}


def keras_output_size(input_size, kernel_size, *, strides=1, padding="valid", output_padding=None,
                      dilation_rate=1) -> tuple[int, int]:
    """Output (H, W) of Keras' ``Conv2DTranspose`` (rule above); ``output_padding`` None, an int or a pair.

    Keras requires ``output_padding < strides`` (PyTorch also accepts ``< dilation``).

    >>> keras_output_size(4, 3, strides=2, padding="valid"), keras_output_size(4, 3, strides=2, padding="valid", output_padding=0)
    ((9, 9), (9, 9))
    >>> keras_output_size(4, 1, strides=2, padding="valid")
    (8, 8)
    """
    n, k = shapes.pair("input_size", input_size), shapes.pair("kernel_size", kernel_size)
    s, d = shapes.pair("strides", strides), shapes.pair("dilation_rate", dilation_rate)
    shapes.at_least("input_size", n, 1)
    shapes.at_least("kernel_size", k, 1)
    shapes.at_least("strides", s, 1)
    shapes.at_least("dilation_rate", d, 1)
    if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
        raise shapes.ArgumentError(f"padding={padding!r}: Keras takes 'same' or 'valid'")
    mode = padding.lower()
    op = None if output_padding is None else shapes.pair("output_padding", output_padding)
    if op is not None:
        shapes.at_least("output_padding", op, 0)
        for axis, o, si in zip(shapes.AXES, op, s):
            if o >= si:
                raise shapes.ArgumentError(f"output_padding={shapes.show(op)}: Keras requires it to be lower than "
                                           f"the stride ({si}) (the {axis} has {o})")
    out = []
    for i in range(2):
        k_eff = d[i] * (k[i] - 1) + 1
        if op is None:
            out.append(n[i] * s[i] if mode == "same" else n[i] * s[i] + max(k_eff - s[i], 0))
        else:
            pad = k_eff // 2 if mode == "same" else 0
            out.append((n[i] - 1) * s[i] + k_eff - 2 * pad + op[i])
    return tuple(out)
