"""tf.image.resize (nearest and bilinear, tf 2's half-pixel centres), written with gather and
elementwise ops so that the tape differentiates it (the gradient of a gather is a scatter-add).
"""
import numpy as np

from lamina._core import convert_to_tensor, gather, cast, add, multiply, subtract, reshape, constant


class ResizeMethod:
    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


def _nearest_index(n_in, n_out):
    scale = n_in / n_out
    return np.minimum(np.floor((np.arange(n_out) + 0.5) * scale), n_in - 1).astype(np.int64)


def _linear_taps(n_in, n_out):
    """Lower and upper source rows and the weight of the upper one (half-pixel centres)."""
    scale = n_in / n_out
    src = (np.arange(n_out) + 0.5) * scale - 0.5
    fl = np.floor(src)
    lo = np.clip(fl, 0, n_in - 1).astype(np.int64)
    hi = np.clip(np.ceil(src), 0, n_in - 1).astype(np.int64)
    return lo, hi, (src - fl).astype(np.float64)


def _lerp_axis(x, axis, n_out):
    n_in = x.shape[axis]
    lo, hi, w = _linear_taps(n_in, n_out)
    a, b = gather(x, lo, axis=axis), gather(x, hi, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = n_out
    wt = constant(w.reshape(shape).astype(x.dtype.name))
    return add(a, multiply(subtract(b, a), wt))


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """tf.image.resize for images (batch, height, width, channels) or (height, width, channels).
    bilinear returns float32 (float64 stays float64), nearest keeps the dtype."""
    x = convert_to_tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"'images' must have either 3 or 4 dimensions, got shape "
                         f"{tuple(x.shape)}")
    size = [int(v) for v in (size.numpy() if hasattr(size, "numpy") else size)]
    if len(size) != 2:
        raise ValueError(f"'size' must be a 1-D Tensor of 2 elements: new_height, new_width, "
                         f"got {size}")
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"resize: the new size must be positive, got {size}")
    if preserve_aspect_ratio:
        h, w = x.shape[-3], x.shape[-2]
        scale = min(size[0] / h, size[1] / w)
        size = [max(int(round(h * scale)), 1), max(int(round(w * scale)), 1)]
    if antialias:
        raise NotImplementedError("tf.image.resize: antialias=True is not supported by lamina")
    squeeze = x.ndim == 3
    if squeeze:
        x = reshape(x, (1,) + tuple(x.shape))
    m = method.lower() if isinstance(method, str) else method
    if m == "nearest":
        y = gather(gather(x, _nearest_index(x.shape[1], size[0]), axis=1),
                   _nearest_index(x.shape[2], size[1]), axis=2)
    elif m == "bilinear":
        if x.dtype.name != "float64":
            x = cast(x, "float32")
        y = _lerp_axis(_lerp_axis(x, 1, size[0]), 2, size[1])
    else:
        raise NotImplementedError(f"tf.image.resize: method {method!r} is not supported by "
                                  f"lamina (nearest and bilinear are)")
    return reshape(y, tuple(y.shape[1:])) if squeeze else y
