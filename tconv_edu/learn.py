"""Learned upsampling: the gradients of a transposed conv, and fitting its kernel by gradient descent.

For ``y = conv_transpose2d(x, w, stride=s, padding=p, ...)`` and a loss L with gradient ``g = dL/dy``:

- ``dL/dx = conv2d(g, w, stride=s, padding=p, dilation=d, groups=groups)``: the forward convolution, same weight
  (the transposed conv is the adjoint of conv2d, so its adjoint is conv2d again);
- ``dL/dw[c, o, a, b] = sum_{n,i,j} x[n, c, i, j] * g_pad[n, o, i*s + a*d, j*s + b*d]``: a correlation of the
  input with the output gradient (``g`` padded back by ``p``), one number per kernel tap.

``fit_upsampler`` uses ``grad_weight`` to learn a k=4, s=2, p=1 kernel that undoes 2x2 average pooling;
``bilinear_kernel`` and ``upsample_nearest`` are the hand-made kernels it is compared with; ``bilinear_weight``
is the same kernel as a multi-channel layer's initial weight (FCN).

Notebook 07's module (the package maps notebooks to modules by name).

>>> import numpy as np
>>> bilinear_kernel(2)[0] * 16
array([1., 3., 3., 1.])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import shapes
from .conv import conv2d
from .gemm import conv_transpose2d
from .artifacts import upsample_nearest

__all__ = ["grad_input", "grad_weight", "bilinear_kernel", "bilinear_weight", "upsample_nearest", "downsample_mean",
           "upsample", "fit_upsampler", "Fit", "best_upsampler", "mse", "psnr", "sample_image",
           "train_decoder", "Decoder", "decoder_loss_and_grads"]


# ------------------------------------------------------------------------------------------------- gradients

def _check_grad(x, grad_output, weight, stride, padding, output_padding, dilation, groups):
    """The checked spec of the forward call, and the 4-D output gradient (its shape must be the forward's output)."""
    spec = shapes.transpose_spec(x, weight, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups)
    g = shapes.as_array("grad_output", grad_output, np)
    want = spec.out_shape[4 - x.ndim:]
    if g.shape != tuple(want):
        raise shapes.ArgumentError(f"grad_output: expected the forward output's shape {tuple(want)}, got {g.shape}")
    return spec, g.reshape(spec.out_shape)


def grad_input(grad_output, weight, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """dL/dx of ``y = conv_transpose2d(x, weight, ...)``: ``conv2d(grad_output, weight, same stride/padding/...)``.

    grad_output: dL/dy, the forward output's shape (N, C_out, H_out, W_out) (or 3-D / 2-D as the forward's);
    weight: (C_in, C_out/groups, kH, kW), which is exactly a conv2d weight from C_out to C_in channels.
    Returns dL/dx with the input's shape (N, C_in, H, W).

    >>> g = np.ones((1, 2, 8, 8)); w = np.ones((3, 2, 3, 3))
    >>> grad_input(g, w, stride=2, padding=1, output_padding=1).shape
    (1, 3, 4, 4)
    """
    w = shapes.as_array("weight", weight, np)
    g = shapes.as_array("grad_output", grad_output, np)
    s, p, op, d = shapes.transpose_params(stride, padding, output_padding, dilation)
    if g.ndim < 2 or w.ndim < 2:
        raise shapes.ArgumentError(f"grad_output, weight: expected at least 2-D arrays, got {g.shape} and {w.shape}")
    # the input size the forward call had (op rows are computed, not free)
    try:
        n = shapes.input_size(g.shape[-2:], w.shape[-2:], stride=s, padding=p, output_padding=op, dilation=d)
    except shapes.ArgumentError as err:
        raise shapes.ArgumentError(f"grad_output: shape {g.shape} is no output of this transposed conv: {err}") \
            from None
    x_shape = g.shape[:-3] + (w.shape[0],) + tuple(n) if g.ndim > 2 else tuple(n)
    spec, g4 = _check_grad(np.zeros(x_shape, dtype=g.dtype), g, w, s, p, op, d, groups)
    dx = conv2d(g4, spec.weight, stride=s, padding=p, dilation=d, groups=spec.groups)
    # output_padding >= stride (allowed when < dilation) leaves one more row than the input had: no pixel's
    # gradient lives there
    return spec.finish(dx[:, :, :n[0], :n[1]])


def grad_weight(x, grad_output, kernel_size, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """dL/dweight of ``y = conv_transpose2d(x, weight, ...)``: correlate the input with the output gradient.

    ``dw[c, o, a, b] = sum_{n, i, j} x[n, c, i, j] * g_pad[n, o, i*s + a*d, j*s + b*d]``, where ``g_pad`` is
    grad_output put back on the full scatter canvas (``padding`` rows in from the top/left). It is also a conv2d
    with the roles of stride and dilation swapped (see the tests). x: (N, C_in, H, W) (or 3-D / 2-D);
    grad_output: the forward output's shape; kernel_size: (kH, kW). Returns (C_in, C_out/groups, kH, kW)
    ((kH, kW) for 2-D x).

    >>> grad_weight(np.ones((2, 2)), np.ones((3, 3)), 2)
    array([[4., 4.],
           [4., 4.]])
    """
    x = shapes.as_array("x", x, np)
    g = shapes.as_array("grad_output", grad_output, np)
    kh, kw = shapes.pair("kernel_size", kernel_size, 1)
    if x.ndim not in (2, 3, 4) or g.ndim != x.ndim:
        raise shapes.ArgumentError(f"x, grad_output: expected both (N, C, H, W), (C, H, W) or (H, W), got shapes "
                                   f"{x.shape} and {g.shape}")
    if x.ndim == 2:
        w_shape = (kh, kw)
    else:
        c_out = g.shape[-3]
        groups = shapes.check_groups(groups, {"grad_output's C_out": c_out})
        w_shape = (x.shape[-3], c_out // groups, kh, kw)
    spec, g4 = _check_grad(x, g, np.zeros(w_shape, dtype=g.dtype), stride, padding, output_padding, dilation,
                           groups)
    x4 = spec.x
    n, c_in, h, wd = x4.shape
    (sh, sw), (dh, dw), (ph, pw) = spec.stride, spec.dilation, spec.offset
    cg_in, cg_out = c_in // spec.groups, spec.weight.shape[1]
    # the output gradient on the canvas of the full output (room for every tap of every input pixel)
    rows, cols = (max(full, crop + size) for full, crop, size in zip(spec.full_size, spec.offset, g4.shape[2:]))
    gp = np.zeros((n, g4.shape[1], rows, cols), dtype=spec.dtype)
    gp[:, :, ph:ph + g4.shape[2], pw:pw + g4.shape[3]] = g4
    xg = x4.reshape(n, spec.groups, cg_in, h, wd)
    gg = gp.reshape(n, spec.groups, cg_out, rows, cols)
    dwt = np.zeros((spec.groups, cg_in, cg_out, kh, kw), dtype=spec.dtype)
    for a in range(kh):
        for b in range(kw):
            window = gg[:, :, :, a * dh:a * dh + (h - 1) * sh + 1:sh, b * dw:b * dw + (wd - 1) * sw + 1:sw]
            dwt[:, :, :, a, b] = np.einsum("ngcij,ngoij->gco", xg, window)
    dwt = dwt.reshape(c_in, cg_out, kh, kw)
    return dwt[0, 0] if x.ndim == 2 else dwt


# ------------------------------------------------------------------------------------- hand-made upsamplers

def bilinear_kernel(stride):
    """The kernel with which ``upsample(x, K, s)`` (a transposed conv, stride s) interpolates bilinearly.

    Size ``k = 2s`` for even s (k = 2s - 1 for odd s, so that it stays centred); 1-D taps
    ``1 - |i - c| / s`` around the centre c = (k - 1) / 2 (the FCN initialisation), 2-D as the outer product.
    Every output pixel's taps sum to 1 (away from the border), so flat stays flat.

    >>> bilinear_kernel(2) * 16
    array([[1., 3., 3., 1.],
           [3., 9., 9., 3.],
           [3., 9., 9., 3.],
           [1., 3., 3., 1.]])
    """
    s = shapes.positive_int("stride", stride)
    f = _bilinear_taps(2 * s - s % 2)
    return np.outer(f, f)


def _bilinear_taps(k):
    """1-D taps ``1 - |i - c| / f`` of size k, centre c = (k - 1) / 2, factor f = (k + 1) // 2 (FCN's rule)."""
    return 1 - np.abs(np.arange(k) - (k - 1) / 2) / ((k + 1) // 2)


def bilinear_weight(k, channels):
    """FCN's bilinear initialisation of a ConvTranspose2d weight (channels, channels, k, k).

    Only the matching channel pairs hold the kernel: ``w[c, c]`` is the outer product of the 1-D taps
    ``1 - |i - (k - 1) / 2| / f``, f = (k + 1) // 2 the upsampling factor; every other pair is zero, so each
    channel is upsampled on its own (filling every pair would sum the C channels into each output: C times a
    flat input). x2 is k=4 with stride 2, padding 1; in general ``k = 2f - f % 2``, stride f, padding f // 2,
    which equals bilinear interpolation (half-pixel centres) away from the border; at the border the zeros
    outside the image dim it (x2 of a flat image: edges 0.75, corners 0.5625).

    >>> w = bilinear_weight(4, 2)
    >>> w.shape, w[0, 0, 0] * 16, float(w[0, 1].max())
    ((2, 2, 4, 4), array([1., 3., 3., 1.]), 0.0)
    >>> conv_transpose2d(np.ones((1, 2, 3, 3)), w, stride=2, padding=1)[0, 0, :2, :3]
    array([[0.5625, 0.75  , 0.75  ],
           [0.75  , 1.    , 1.    ]])
    """
    k, c = shapes.positive_int("k", k), shapes.positive_int("channels", channels)
    taps = _bilinear_taps(k)
    w = np.zeros((c, c, k, k))
    w[np.arange(c), np.arange(c)] = np.outer(taps, taps)
    return w


def downsample_mean(x, factor=2):
    """Average-pool non-overlapping factor x factor blocks: (..., H, W) -> (..., H // f, W // f).

    Rows and columns past a multiple of ``factor`` are dropped.

    >>> downsample_mean(np.arange(16.).reshape(4, 4))
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    x = shapes.as_array("x", x, np)
    f = shapes.positive_int("factor", factor)
    if x.ndim < 2 or min(x.shape[-2:]) < f:
        raise shapes.ArgumentError(f"x: expected (..., H, W) with H, W >= factor={f}, got shape {x.shape}")
    h, w = x.shape[-2] // f, x.shape[-1] // f
    x = x[..., :h * f, :w * f].astype(float)
    return x.reshape(x.shape[:-2] + (h, f, w, f)).mean(axis=(-3, -1))


def upsample(x, kernel, stride=2):
    """Upsample (..., H, W) images by ``stride`` with a transposed conv: padding ``(k - s) // 2``, size (H*s, W*s).

    kernel: (k, k) with ``k - s`` even and >= 0, e.g. ``bilinear_kernel(s)`` or a learned k=4 kernel for s=2
    (padding 1). Leading axes are treated as a batch.

    >>> upsample(np.ones((3, 3)), bilinear_kernel(2))[1:-1, 1:-1]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """
    x = shapes.image_array("x", x)
    k = shapes.as_array("kernel", kernel, np)
    s = shapes.positive_int("stride", stride)
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] < s or (k.shape[0] - s) % 2:
        raise shapes.ArgumentError(f"kernel: expected a square (k, k) with k >= stride={s} and k - stride even "
                                   f"(e.g. ({2 * s - s % 2}, {2 * s - s % 2})), got shape {k.shape}")
    flat = x.reshape((-1, 1) + x.shape[-2:])
    y = conv_transpose2d(flat, k[None, None], stride=s, padding=(k.shape[0] - s) // 2)
    return y.reshape(x.shape[:-2] + y.shape[-2:])


# ---------------------------------------------------------------------------------------------------- fitting

@dataclass(frozen=True)
class Fit:
    """Result of ``fit_upsampler``: the learned (4, 4) kernel, the loss before each step and after the last, the
    step size used."""
    weight: np.ndarray
    losses: np.ndarray
    lr: float


def _loss_and_grad(w, low, high):
    pred = upsample(low, w)
    r = pred - high
    loss = float(np.mean(r * r))
    g = 2 * r / r.size
    return loss, grad_weight(low[:, None], g[:, None], 4, stride=2, padding=1)[0, 0]


def fit_upsampler(images, *, steps=200, lr=None, momentum=0.7, seed=0, init_scale=0.1):
    """Learn a k=4, s=2, p=1 transposed-conv kernel that undoes 2x2 average pooling, by gradient descent.

    images: (H, W) or (N, H, W) high-resolution training images (even H, W). Each step upsamples the pooled
    images with the current kernel, measures the mean squared error against the originals and moves the kernel
    along ``-grad_weight`` (heavy-ball momentum). ``lr=None`` takes ``1 / L``, L the largest curvature of the
    (quadratic) loss, found by power iteration with the same gradients. The start is seeded: ``init_scale`` times
    a standard normal (4, 4). Returns a ``Fit``.

    >>> img = np.add.outer(np.arange(8.), np.arange(8.)) / 14
    >>> fit = fit_upsampler(img, steps=50)
    >>> fit.weight.shape, fit.losses.shape, bool(fit.losses[-1] < fit.losses[0] / 10)
    ((4, 4), (51,), True)
    """
    high = shapes.as_array("images", images, np).astype(float)
    if high.ndim == 2:
        high = high[None]
    if high.ndim != 3 or high.shape[1] % 2 or high.shape[2] % 2 or min(high.shape[1:]) < 4:
        raise shapes.ArgumentError(f"images: expected (H, W) or (N, H, W) with even H, W >= 4, got {high.shape}")
    steps, seed = shapes.int_at_least("steps", steps, 0), shapes.integer("seed", seed)
    momentum, init_scale = shapes.real_scalar("momentum", momentum), shapes.real_scalar("init_scale", init_scale)
    if not 0 <= momentum < 1:
        raise shapes.ArgumentError(f"momentum={momentum}: must be in [0, 1)")
    low = downsample_mean(high, 2)
    if lr is None:
        lr = 1.0 / _curvature(low)
    elif not shapes.real_scalar("lr", lr) > 0:
        raise shapes.ArgumentError(f"lr={lr}: must be > 0")
    w = init_scale * np.random.default_rng(seed).standard_normal((4, 4))
    v = np.zeros_like(w)
    losses = []
    for _ in range(steps):
        loss, g = _loss_and_grad(w, low, high)
        losses.append(loss)
        v = momentum * v - lr * g
        w = w + v
    losses.append(_loss_and_grad(w, low, high)[0])
    return Fit(weight=w, losses=np.array(losses), lr=float(lr))


def _curvature(low, iters=30):
    """Largest eigenvalue of the loss's Hessian (2/size) A^T A, A: kernel -> upsampled images; power iteration."""
    v = np.ones((4, 4)) / 4
    lam = 0.0
    for _ in range(iters):
        _, hv = _loss_and_grad(v, low, np.zeros(low.shape[:-2] + (2 * low.shape[-2], 2 * low.shape[-1])))
        lam = float(np.linalg.norm(hv))
        v = hv / lam
    return lam


def best_upsampler(images):
    """The least-squares optimum of ``fit_upsampler``'s loss, solved directly: the target gradient descent heads for.

    The upsampled images are linear in the 16 kernel taps: stack the 16 upsampled images of one-hot kernels as
    columns and solve with ``numpy.linalg.lstsq``. Returns the (4, 4) kernel.
    """
    high = shapes.as_array("images", images, np).astype(float)
    high = high[None] if high.ndim == 2 else high
    low = downsample_mean(high, 2)
    cols = np.stack([upsample(low, np.eye(16)[t].reshape(4, 4)).ravel() for t in range(16)], axis=1)
    return np.linalg.lstsq(cols, high[:, :2 * low.shape[1], :2 * low.shape[2]].ravel(), rcond=None)[0].reshape(4, 4)


# ------------------------------------------------------------------------------------------- measures, data

def _crop(a, margin):
    return a[..., margin:a.shape[-2] - margin, margin:a.shape[-1] - margin] if margin else a


def mse(a, b, margin=0):
    """Mean squared error of two arrays of the same shape, leaving out ``margin`` pixels at every border.

    a, b: any shape; with ``margin > 0``, (..., H, W) images (the last two axes are cropped).
    """
    a, b = shapes.as_array("a", a, np), shapes.as_array("b", b, np)
    if a.shape != b.shape:
        raise shapes.ArgumentError(f"a, b: expected the same shape, got {a.shape} and {b.shape}")
    margin = shapes.int_at_least("margin", margin, 0)
    if margin and a.ndim < 2:
        raise shapes.ArgumentError(f"margin={margin}: crops the borders of (..., H, W) images; a, b have shape "
                                   f"{a.shape}")
    if a.ndim >= 2 and 2 * margin >= min(a.shape[-2:]):
        raise shapes.ArgumentError(f"margin={margin}: must leave pixels of the {a.shape[-2:]} images")
    d = _crop(a.astype(float), margin) - _crop(b.astype(float), margin)
    return float(np.mean(d * d))


def psnr(a, b, data_range=1.0, margin=0):
    """Peak signal-to-noise ratio in dB: ``10 log10(data_range**2 / mse)`` (higher is better; inf when equal).

    >>> round(psnr(np.zeros((4, 4)), np.full((4, 4), 0.1)), 6)
    20.0
    """
    data_range = shapes.real_scalar("data_range", data_range)
    if not data_range > 0:
        raise shapes.ArgumentError(f"data_range={data_range}: must be > 0 (the largest possible pixel value)")
    e = mse(a, b, margin)
    return float("inf") if e == 0 else float(10 * np.log10(data_range ** 2 / e))


def sample_image(name="grace_hopper.jpg", shrink=4):
    """A grey-level image in [0, 1] from matplotlib's bundled sample data (no download), box-averaged by ``shrink``.

    The default is the 600 x 512 portrait of Grace Hopper: ``shrink=4`` gives (150, 128).
    """
    import matplotlib.cbook as cbook
    import matplotlib.image as mimage

    shrink = shapes.positive_int("shrink", shrink)
    raw = mimage.imread(cbook.get_sample_data(name, asfileobj=False))
    img = raw / 255.0 if raw.dtype.kind in "ui" else np.asarray(raw, dtype=float)   # JPEG: 8-bit; PNG: [0, 1]
    if img.ndim == 3:
        img = img[..., :3] @ np.array([0.299, 0.587, 0.114])
    return downsample_mean(img, shrink) if shrink > 1 else img


# ---------------------------------------------------------------------------------- a decoder that checkerboards

@dataclass(frozen=True)
class Decoder:
    """Result of ``train_decoder``: the two layers' weights, the loss before each step and after the last, the
    checkerboard measure (``artifacts.unevenness`` of the output on a flat input) at the same moments, the output."""
    weights: tuple
    losses: np.ndarray
    checkerboard: np.ndarray
    output: np.ndarray
    kernel_size: int
    remedy: str | None


def _tie(v):
    """The (.., 4, 4) transposed-conv kernel (stride 2, padding 1) equal to nearest x2 then a 'same' 3x3 conv2d.

    ``conv_transpose2d(x, _tie(v), stride=2, padding=1) == artifacts.resize_conv(x, v.swapaxes(0, 1), 2)``:
    the conv's kernel flipped and summed over each 2 x 2 block (16 taps, 9 free).
    """
    f = v[..., ::-1, ::-1]
    k = np.zeros(v.shape[:-2] + (4, 4))
    for a in (0, 1):
        for b in (0, 1):
            k[..., a:a + 3, b:b + 3] += f
    return k


def _untie(dk):
    """The adjoint of ``_tie``: a gradient with respect to the 4 x 4 kernel, as one for the 3 x 3 weights."""
    df = sum(dk[..., a:a + 3, b:b + 3] for a in (0, 1) for b in (0, 1))
    return df[..., ::-1, ::-1]


def _decoder_layers(kernel_size, remedy):
    """The stride-2, exactly-x2 call of each layer, and the maps between trained weights and the kernel used."""
    if remedy == "resize":
        return dict(stride=2, padding=1), _tie, _untie, 4
    return dict(stride=2, padding=1, output_padding=kernel_size % 2), (lambda v: v), (lambda d: d), kernel_size


def _decoder_forward(x, params, kernel_size, remedy):
    call, tie, _, k = _decoder_layers(kernel_size, remedy)
    a = conv_transpose2d(x, tie(params[0]), **call)
    h = np.maximum(a, 0)
    return a, h, conv_transpose2d(h, tie(params[1]), **call)


def decoder_loss_and_grads(params, x, target, kernel_size, remedy=None):
    """MSE of the decoder ``ct(relu(ct(x, W1)), W2)`` against target, and its gradients: (loss, (dW1, dW2)).

    Backpropagation with the library's gradients only: ``grad_weight`` for each layer, ``grad_input`` through the
    second layer, the ReLU's mask between them.
    """
    call, tie, untie, k = _decoder_layers(kernel_size, remedy)
    a, h, y = _decoder_forward(x, params, kernel_size, remedy)
    r = y - target
    g = 2 * r / r.size                                            # dL/dy
    dw2 = grad_weight(h, g, k, **call)
    dh = grad_input(g, tie(params[1]), **call)
    dw1 = grad_weight(x, dh * (a > 0), k, **call)                 # the ReLU passes the gradient where it was on
    return float(np.mean(r * r)), (untie(dw1), untie(dw2))


def train_decoder(images, kernel_size=3, *, channels=4, steps=300, lr=0.01, seed=0, remedy=None):
    """Train a two-layer decoder (transposed conv, ReLU, transposed conv; stride 2 each) to undo 4x average pooling.

    images: (H, W) or (N, H, W), H and W multiples of 4. Input: ``downsample_mean(images, 4)``, (N, 1, H/4, W/4);
    layer 1 weight (1, channels, k, k), layer 2 weight (channels, 1, k, k), no bias; padding 1 (and
    ``output_padding = k % 2``), so each layer doubles H and W exactly. ``remedy="resize"`` makes each layer nearest
    x2 then a 3 x 3 conv (resize-convolution; its weights are (C_in, C_out, 3, 3), trained through the equivalent
    4 x 4 kernel). Adam on the mean squared error, gradients from ``decoder_loss_and_grads``; the start is seeded
    (positive weights, ``|N(0, 1)| / (k * sqrt(C_in))``, a quarter of that for the resize remedy, so the ReLU
    starts on).

    The checkerboard measure is ``artifacts.unevenness`` (period 4, margin 8) of the decoder's output on a flat
    16 x 16 input: 0 for a decoder that keeps flat flat. Returns a ``Decoder``.

    >>> img = np.add.outer(np.arange(16.), np.arange(16.)) / 30
    >>> d = train_decoder(img, 3, steps=5)
    >>> d.weights[0].shape, d.weights[1].shape, d.output.shape, d.losses.shape, bool(d.losses[-1] < d.losses[0])
    ((1, 4, 3, 3), (4, 1, 3, 3), (16, 16), (6,), True)
    """
    from .artifacts import unevenness

    high = shapes.as_array("images", images, np).astype(float)
    high = high[None] if high.ndim == 2 else high
    if high.ndim != 3 or high.shape[1] % 4 or high.shape[2] % 4 or min(high.shape[1:]) < 8:
        raise shapes.ArgumentError(f"images: expected (H, W) or (N, H, W) with H, W multiples of 4 and >= 8, "
                                   f"got {high.shape}")
    k = shapes.int_at_least("kernel_size", kernel_size, 2)
    channels, steps = shapes.positive_int("channels", channels), shapes.int_at_least("steps", steps, 0)
    if remedy not in (None, "resize"):
        raise shapes.ArgumentError(f"remedy={remedy!r}: expected None or 'resize'")
    kw = 3 if remedy == "resize" else k
    x = downsample_mean(high, 4)[:, None]
    target = high[:, None]
    rng = np.random.default_rng(shapes.integer("seed", seed))
    scale = 4 if remedy == "resize" else 1                    # each 3 x 3 weight is in 4 taps of the 4 x 4 kernel
    params = [np.abs(rng.standard_normal(shape)) / (scale * kw * np.sqrt(shape[0]))
              for shape in ((1, channels, kw, kw), (channels, 1, kw, kw))]
    flat = np.ones((1, 1, 16, 16))
    check = lambda: unevenness(_decoder_forward(flat, params, k, remedy)[2][0, 0], 4, margin=8)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    losses, boards = [], []
    for t in range(1, steps + 2):
        loss, grads = decoder_loss_and_grads(params, x, target, k, remedy)
        losses.append(loss)
        boards.append(check())
        if t > steps:
            break
        for i, g in enumerate(grads):                         # Adam (Kingma & Ba), betas 0.9 and 0.999
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] = params[i] - lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    out = _decoder_forward(x, params, k, remedy)[2][:, 0]
    return Decoder(weights=tuple(params), losses=np.array(losses), checkerboard=np.array(boards),
                   output=out[0] if np.ndim(images) == 2 else out, kernel_size=k, remedy=remedy)
