"""tf.nn convolution, pooling and normalisation functions with tf's arguments.

The computation is in C (csrc/ops/conv.c, pool.c: channels last, explicit padding); this file
turns tf's arguments into that form: ints or lists for strides / dilations / ksize, "SAME"
(tf's split: the odd extra row or column goes after), "VALID" or an explicit padding list,
channels-first data formats (by transposing), and extra leading batch dims.
"""
import math as _math

from lamina import _core
from lamina._core import (InvalidArgumentError, UnimplementedError, convert_to_tensor, reshape,
                          transpose, reduce_mean, reduce_sum, square, subtract, multiply, add,
                          maximum, stop_gradient, cast, squeeze)


def _ints(value, name, nsp, full, op):
    """tf's int-or-list argument (strides, dilations, ksize) as nsp spatial values. `full` is the
    length of the list form that also names the batch and channel dims (nsp + 2)."""
    if isinstance(value, int) or (hasattr(value, "__index__") and not hasattr(value, "__len__")):
        vals = [int(value)] * nsp
    else:
        vals = [int(v) for v in value]
        if len(vals) == 1:
            vals = vals * nsp
        elif len(vals) == full:
            if vals[0] != 1 or vals[-1] != 1:
                if name == "ksize":
                    raise UnimplementedError(
                        f"{op}: pooling across the batch or depth dimension is not supported, "
                        f"got ksize={list(value)}")
                raise UnimplementedError(
                    f"{op}: Current implementation does not yet support {name} in the batch and "
                    f"depth dimensions (got {name}={list(value)})")
            vals = vals[1:-1]
        elif len(vals) != nsp:
            lens = sorted({1, nsp, full})
            raise ValueError(f"{name} should be of length {', '.join(map(str, lens[:-1]))} or "
                             f"{lens[-1]}. Received: {name}={list(value)} of length {len(vals)}")
    for v in vals:
        if v <= 0:
            what = {"strides": "Stride must be > 0", "dilations": "Dilated rates must be > 0",
                    "ksize": "Sliding window ksize must be positive"}[name]
            raise InvalidArgumentError(f"{op}: {what}, but got {name}={list(vals)}")
    return tuple(vals)


def _same_pads(sizes, ks, strides, dilations):
    """tf's SAME: out = ceil(in / stride); the total padding split with the extra after."""
    before, after = [], []
    for n, k, s, d in zip(sizes, ks, strides, dilations):
        eff = (k - 1) * d + 1
        out = -(-n // s)
        total = max((out - 1) * s + eff - n, 0)
        before.append(total // 2)
        after.append(total - total // 2)
    return tuple(before), tuple(after)


def _pads(padding, sizes, ks, strides, dilations, nsp, channels_last, op, explicit=True):
    """(before, after) per spatial dim from "SAME", "VALID" or an explicit list."""
    if isinstance(padding, str):
        if padding == "VALID":
            return (0,) * nsp, (0,) * nsp
        if padding == "SAME":
            return _same_pads(sizes, ks, strides, dilations)
        allowed = '"SAME", "VALID", "EXPLICIT"' if explicit else '"SAME", "VALID"'
        raise InvalidArgumentError(f"{op}: Value for attr 'padding' of \"{padding}\" is not in "
                                   f"the list of allowed values: {allowed}")
    if not explicit:
        raise TypeError(f"{op}: Expected string for argument 'padding' not {padding!r}.")
    try:
        pairs = [list(p) for p in padding]
    except TypeError:
        raise ValueError(f"{op}: padding must be 'SAME', 'VALID' or a list of pairs, got "
                         f"{padding!r}") from None
    if len(pairs) != nsp + 2:
        raise ValueError(f"When padding is a list, it must be of size {nsp + 2}. Received: "
                         f"padding={padding!r} of size {len(pairs)}")
    for i, p in enumerate(pairs):
        if len(p) != 2:
            raise ValueError(f"When `padding` is a list, each element of `padding` must be a "
                             f"list/tuple of size 2. Received: padding={padding!r} with element "
                             f"at index {i} of size {len(p)}")
        if p[0] < 0 or p[1] < 0:
            raise ValueError(f"{op}: padding must be >= 0, got {padding!r}")
    spatial = pairs[1:-1] if channels_last else pairs[2:]
    other = [pairs[0], pairs[-1]] if channels_last else pairs[:2]
    if any(v != 0 for p in other for v in p):
        raise ValueError(f"{op}: padding in the batch and depth dimensions must be 0, got "
                         f"padding={padding!r}")
    return tuple(int(p[0]) for p in spatial), tuple(int(p[1]) for p in spatial)


def _layout(data_format, nsp, op):
    """True for channels last (NWC, NHWC, NDHWC), False for channels first."""
    last = {1: "NWC", 2: "NHWC", 3: "NDHWC"}[nsp]
    first = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[nsp]
    if data_format is None or data_format == last or (nsp == 1 and data_format == "NHWC"):
        return True
    if data_format == first or (nsp == 1 and data_format == "NCHW"):
        return False
    raise ValueError(f"{op}: data_format must be {last!r} or {first!r}, got {data_format!r}")


def _to_last(x, nsp):
    return transpose(x, [0] + list(range(2, nsp + 2)) + [1])


def _to_first(x, nsp):
    return transpose(x, [0, nsp + 1] + list(range(1, nsp + 1)))


def _float_input(x, op):
    x = convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise TypeError(f"{op}: input must be a float tensor (float16, bfloat16, float32, "
                        f"float64), got {x.dtype.name}")
    return x


def _fold_batch(x, nsp, op):
    """x of rank nsp + 2, or more (extra leading batch dims, folded into one); rank checked."""
    if x.ndim < nsp + 2:
        raise ValueError(f"{op}: input must have rank at least {nsp + 2} (batch, {nsp} spatial, "
                         f"channels), got shape {tuple(x.shape)}")
    lead = tuple(x.shape[:x.ndim - nsp - 1])
    if len(lead) == 1:
        return x, None
    return reshape(x, (-1,) + tuple(x.shape[-nsp - 1:])), lead


def _conv_nd(input, filters, strides, padding, data_format, dilations, nsp, op, bias=None,
             activation=None):
    x = _float_input(input, op)
    w = convert_to_tensor(filters, dtype=x.dtype) if not hasattr(filters, "dtype") else \
        convert_to_tensor(filters)
    if w.dtype != x.dtype:   # tf: InvalidArgumentError; also a TypeError here
        raise _core._DTypeError(f"{op}: input and filters must have one dtype, got "
                                f"{x.dtype.name} and {w.dtype.name}")
    last = _layout(data_format, nsp, op)
    if not last:
        x = _to_last(x, nsp)
    x, lead = _fold_batch(x, nsp, op)
    if w.ndim != nsp + 2:
        raise InvalidArgumentError(f"{op}: filter must be {nsp + 2}-dimensional (spatial..., "
                                   f"in_channels, out_channels): {list(w.shape)}")
    s = _ints(1 if strides is None else strides, "strides", nsp, nsp + 2, op)
    d = _ints(1 if dilations is None else dilations, "dilations", nsp, nsp + 2, op)
    ks = tuple(w.shape[:nsp])
    lo, hi = _pads(padding, tuple(x.shape[1:nsp + 1]), ks, s, d, nsp, True, op)
    y = _core._conv(x, w, bias, activation, s, d, lo, hi)
    if lead is not None:
        y = reshape(y, lead + tuple(y.shape[1:]))
    return y if last else _to_first(y, nsp)


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    """tf.nn.conv1d: input (batch, width, in_channels), filters (width, in_channels, out)."""
    return _conv_nd(input, filters, stride, padding, data_format, dilations, 1, "conv1d")


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """tf.nn.conv2d: input NHWC, filters HWIO; groups = in_channels / filters' in_channels."""
    return _conv_nd(input, filters, strides, padding, data_format, dilations, 2, "conv2d")


def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None, name=None):
    """tf.nn.conv3d: input NDHWC, filters DHWIO."""
    if isinstance(strides, int):
        raise TypeError(f"Expected list for 'strides' argument to 'conv3d' Op, not {strides}.")
    return _conv_nd(input, filters, strides, padding, data_format, dilations, 3, "conv3d")


def convolution(input, filters, strides=None, padding="VALID", data_format=None, dilations=None,
                name=None):
    """tf.nn.convolution: conv1d / 2d / 3d chosen by the filters' rank."""
    nsp = len(convert_to_tensor(filters).shape) - 2
    if nsp not in (1, 2, 3):
        raise ValueError(f"convolution: filters must have rank 3, 4 or 5, got "
                         f"{len(convert_to_tensor(filters).shape)}")
    s = _ints(1 if strides is None else strides, "strides", nsp, nsp + 2, "convolution")
    d = _ints(1 if dilations is None else dilations, "dilations", nsp, nsp + 2, "convolution")
    if max(s) > 1 and max(d) > 1:
        raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={list(s)} and dilation_rate={list(d)}")
    return _conv_nd(input, filters, s, padding, data_format, d, nsp, "convolution")


conv = convolution


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):
    """tf.nn.depthwise_conv2d: filter (h, w, in_channels, multiplier); output channel c*M + m
    convolves input channel c with filter[:, :, c, m]."""
    x = _float_input(input, "depthwise_conv2d")
    f = convert_to_tensor(filter, dtype=x.dtype)
    if f.ndim != 4:
        raise ValueError(f"depthwise_conv2d: filter must be 4-D (height, width, in_channels, "
                         f"channel_multiplier), got shape {tuple(f.shape)}")
    if isinstance(strides, int) or len(strides) != 4:
        raise InvalidArgumentError(f"depthwise_conv2d: Sliding window strides field must specify "
                                   f"4 or 5 dimensions, got strides={strides!r}")
    chan = x.shape[-1] if data_format in (None, "NHWC") else x.shape[1]
    if chan != f.shape[2]:
        raise InvalidArgumentError(f"depthwise_conv2d: input depth must be evenly divisible by "
                                   f"filter depth: {chan} vs {f.shape[2]} (input shape "
                                   f"{tuple(x.shape)}, filter shape {tuple(f.shape)})")
    kh, kw, c, m = f.shape
    w = reshape(f, (kh, kw, 1, c * m))
    return _conv_nd(x, w, strides, padding, data_format, dilations, 2, "depthwise_conv2d")


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,
                     data_format=None, dilations=None, name=None):
    """tf.nn.separable_conv2d: a depthwise conv, then a 1x1 conv with pointwise_filter
    (1, 1, in_channels * multiplier, out_channels)."""
    y = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return conv2d(y, pointwise_filter, 1, "VALID", data_format or "NHWC")


def _conv_transpose(input, filters, output_shape, strides, padding, data_format, dilations, nsp,
                    op):
    g = _float_input(input, op)
    w = convert_to_tensor(filters, dtype=g.dtype)
    last = _layout(data_format, nsp, op)
    out_shape = [int(v) for v in (output_shape.numpy() if hasattr(output_shape, "numpy")
                                  else output_shape)]
    if len(out_shape) != nsp + 2:
        raise ValueError(f"{op}: output_shape must have length {nsp + 2}, got {out_shape}")
    if not last:
        g = _to_last(g, nsp)
        out_shape = [out_shape[0]] + out_shape[2:] + [out_shape[1]]
    if w.ndim != nsp + 2:
        raise ValueError(f"{op}: filters must be {nsp + 2}-dimensional (spatial..., "
                         f"out_channels, in_channels), got shape {tuple(w.shape)}")
    if w.shape[-1] != g.shape[-1]:
        raise InvalidArgumentError(f"{op}: input depth {g.shape[-1]} (shape {tuple(g.shape)}) "
                                   f"does not match the filters' last dim {w.shape[-1]} (filters "
                                   f"shape {tuple(w.shape)})")
    if w.shape[-2] != out_shape[-1]:
        raise InvalidArgumentError(f"{op}: output_shape's depth {out_shape[-1]} does not match "
                                   f"the filters' out_channels {w.shape[-2]} (filters shape "
                                   f"{tuple(w.shape)})")
    s = _ints(strides, "strides", nsp, nsp + 2, op)
    d = _ints(1 if dilations is None else dilations, "dilations", nsp, nsp + 2, op)
    lo, hi = _pads(padding, tuple(out_shape[1:nsp + 1]), tuple(w.shape[:nsp]), s, d, nsp, True, op)
    y = _core._conv_backprop_input(g, w, out_shape, s, d, lo, hi)
    return y if last else _to_first(y, nsp)


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",
                     dilations=None, name=None):
    """tf.nn.conv2d_transpose: the gradient of conv2d with respect to its input; filters are
    (height, width, output_channels, in_channels)."""
    return _conv_transpose(input, filters, output_shape, strides, padding, data_format,
                           dilations, 2, "conv2d_transpose")


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",
                     dilations=None, name=None):
    return _conv_transpose(input, filters, output_shape, strides, padding, data_format,
                           dilations, 1, "conv1d_transpose")


def conv3d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NDHWC",
                     dilations=None, name=None):
    return _conv_transpose(input, filters, output_shape, strides, padding, data_format,
                           dilations, 3, "conv3d_transpose")


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,
                   dilations=None, name=None):
    """tf.nn.conv_transpose: 1-, 2- or 3-d by the length of output_shape."""
    n = len(output_shape.numpy() if hasattr(output_shape, "numpy") else output_shape) - 2
    if n not in (1, 2, 3):
        raise ValueError(f"conv_transpose: output_shape must have length 3, 4 or 5, got "
                         f"{list(output_shape)}")
    fmt = data_format or {1: "NWC", 2: "NHWC", 3: "NDHWC"}[n]
    return _conv_transpose(input, filters, output_shape, strides, padding, fmt, dilations, n,
                           "conv_transpose")


def _pool_nd(is_max, input, ksize, strides, padding, data_format, nsp, op):
    x = _float_input(input, op)
    last = _layout(data_format, nsp, op)
    if not last:
        x = _to_last(x, nsp)
    x, lead = _fold_batch(x, nsp, op)
    k = _ints(ksize, "ksize", nsp, nsp + 2, op)
    s = _ints(strides, "strides", nsp, nsp + 2, op)
    lo, hi = _pads(padding, tuple(x.shape[1:nsp + 1]), k, s, (1,) * nsp, nsp, True, op,
                   explicit=is_max)
    y = _core._pool(is_max, x, k, s, lo, hi)
    if lead is not None:
        y = reshape(y, lead + tuple(y.shape[1:]))
    return y if last else _to_first(y, nsp)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    return _pool_nd(True, input, ksize, strides, padding, data_format, 1, "max_pool1d")


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    return _pool_nd(True, input, ksize, strides, padding, data_format, 2, "max_pool2d")


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    return _pool_nd(True, input, ksize, strides, padding, data_format, 3, "max_pool3d")


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    return _pool_nd(False, input, ksize, strides, padding, data_format, 1, "avg_pool1d")


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    return _pool_nd(False, input, ksize, strides, padding, data_format, 2, "avg_pool2d")


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    return _pool_nd(False, input, ksize, strides, padding, data_format, 3, "avg_pool3d")


def _rank_nsp(input, op):
    n = len(convert_to_tensor(input).shape) - 2
    if n not in (1, 2, 3):
        raise ValueError(f"{op}: input must have rank 3, 4 or 5, got "
                         f"{len(convert_to_tensor(input).shape)}")
    return n


def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    """tf.nn.max_pool: 1-, 2- or 3-d by the input's rank."""
    nsp = _rank_nsp(input, "max_pool")
    return _pool_nd(True, input, ksize, strides, padding, data_format, nsp, "max_pool")


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    nsp = _rank_nsp(input, "avg_pool")
    return _pool_nd(False, input, ksize, strides, padding, data_format, nsp, "avg_pool")


def pool(input, window_shape, pooling_type, strides=None, padding="VALID", data_format=None,
         dilations=None, name=None):
    """tf.nn.pool: "MAX" or "AVG" over len(window_shape) spatial dims."""
    nsp = len(window_shape)
    if pooling_type not in ("MAX", "AVG"):
        raise ValueError(f"{nsp}-D {pooling_type} pooling is not supported.")
    s = _ints(1 if strides is None else strides, "strides", nsp, nsp + 2, "pool")
    d = _ints(1 if dilations is None else dilations, "dilations", nsp, nsp + 2, "pool")
    if max(d) > 1:
        if max(s) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > "
                             f"1`. Received: strides={list(s)} and dilation_rate={list(d)}")
        if padding == "SAME":
            raise ValueError(f"pooling with 'SAME' padding is not implemented for "
                             f"`dilation_rate` > 1. Received: padding=SAME and "
                             f"dilation_rate={list(d)}")
        raise NotImplementedError("pool: dilation_rate > 1 is not supported by lamina yet")
    return _pool_nd(pooling_type == "MAX", input, tuple(window_shape), s, padding, data_format,
                    nsp, "pool")


# ---- normalisation -----------------------------------------------------------------------------


def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and variance over `axes` (tf's formula: the variance of x about a mean the gradient
    does not flow through twice)."""
    x = convert_to_tensor(x)
    y = cast(x, "float32") if x.dtype.name in ("float16", "bfloat16") else x
    axes = list(axes) if not isinstance(axes, int) else [axes]
    mean = reduce_mean(y, axis=axes, keepdims=True)
    variance = reduce_mean(square(subtract(y, stop_gradient(mean))), axis=axes, keepdims=True)
    if not keepdims:
        mean = squeeze(mean, axes)
        variance = squeeze(variance, axes)
    if y is not x:
        mean, variance = cast(mean, x.dtype), cast(variance, x.dtype)
    return mean, variance


def weighted_moments(x, axes, frequency_weights, keepdims=False, name=None):
    """The frequency-weighted mean and variance of x over `axes`."""
    x = convert_to_tensor(x)
    w = convert_to_tensor(frequency_weights, dtype=x.dtype)
    axes = list(axes) if not isinstance(axes, int) else [axes]
    total = reduce_sum(multiply(w, x), axis=axes, keepdims=True)
    count = reduce_sum(multiply(w, _core.ones_like(x)), axis=axes, keepdims=True)
    mean = _core.divide(total, count)
    var = _core.divide(reduce_sum(multiply(w, square(subtract(x, mean))), axis=axes,
                                  keepdims=True), count)
    if not keepdims:
        mean, var = squeeze(mean, axes), squeeze(var, axes)
    return mean, var


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + eps) + offset, as tf computes it:
    x * inv + (offset - mean * inv) with inv = scale * rsqrt(variance + eps)."""
    x = convert_to_tensor(x)
    inv = _core.rsqrt(add(convert_to_tensor(variance, dtype=x.dtype), variance_epsilon))
    if scale is not None:
        inv = multiply(inv, convert_to_tensor(scale, dtype=x.dtype))
    mean = convert_to_tensor(mean, dtype=x.dtype)
    shift = subtract(convert_to_tensor(offset, dtype=x.dtype), multiply(mean, inv)) \
        if offset is not None else multiply(mean, multiply(inv, -1))
    return add(multiply(x, inv), shift)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2, axis), epsilon))."""
    if dim is not None:
        axis = dim
    x = convert_to_tensor(x)
    square_sum = reduce_sum(square(x), axis=axis, keepdims=True)
    return multiply(x, _core.rsqrt(maximum(square_sum, epsilon)))
