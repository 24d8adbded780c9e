"""tf.nn: activations, softmax and the losses built on them.

The functions below the imports are compositions of lamina's C ops, so a GradientTape
differentiates them with no rule of their own.
"""
from lamina._core import (  # noqa: F401
    relu, sigmoid, tanh, softplus, softmax, log_softmax,
    add, subtract, multiply, divide, maximum, minimum, where, greater, exp, log, erf,
    negative, reduce_sum, reduce_mean, cast, convert_to_tensor, one_hot, abs_, square,
    clip_by_value, reshape, expand_dims, stop_gradient,
)
from lamina import _core

_core.export_ops(globals(), "nn")  # relu, sigmoid, ...: the rows of csrc/ops/ops.def

_SQRT1_2 = 0.7071067811865476


def _float(x, name, op):
    t = convert_to_tensor(x)
    if not t.dtype.is_floating:
        raise TypeError(f"{op}: {name} must be a float tensor, got {t.dtype.name}")
    return t


def relu6(features, name=None):
    """min(max(features, 0), 6)."""
    return minimum(relu(features), 6)


def leaky_relu(features, alpha=0.2, name=None):
    """features where positive, alpha * features elsewhere."""
    x = convert_to_tensor(features)
    return where(greater(x, 0), x, multiply(x, alpha))


def elu(features, name=None):
    """features where positive, exp(features) - 1 elsewhere."""
    x = _float(features, "features", "elu")
    return where(greater(x, 0), x, subtract(exp(minimum(x, 0)), 1))


def selu(features, name=None):
    """scale * elu with alpha, the self-normalising constants."""
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    x = _float(features, "features", "selu")
    return multiply(where(greater(x, 0), x, multiply(elu(x), alpha)), scale)


def gelu(features, approximate=False, name=None):
    """x * Phi(x); the tanh approximation when approximate=True."""
    x = _float(features, "features", "gelu")
    if approximate:
        inner = multiply(add(x, multiply(multiply(square(x), x), 0.044715)), 0.7978845608028654)
        return multiply(multiply(x, 0.5), add(tanh(inner), 1))
    return multiply(multiply(x, 0.5), add(erf(multiply(x, _SQRT1_2)), 1))


def silu(features, beta=1.0, name=None):
    """features * sigmoid(beta * features) (swish)."""
    x = _float(features, "features", "silu")
    return multiply(x, sigmoid(x if beta == 1.0 else multiply(x, beta)))


swish = silu


def softsign(features, name=None):
    x = _float(features, "features", "softsign")
    return divide(x, add(abs_(x), 1))


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return negative(softplus(negative(_float(x, "x", "log_sigmoid"))))


def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the last axis (NHWC) or axis 1 (NC...)."""
    if data_format is not None and not isinstance(data_format, str):
        raise TypeError(f"bias_add: data_format must be a string such as 'NHWC' or 'NCHW', got "
                        f"{data_format!r}")
    value, bias = convert_to_tensor(value), convert_to_tensor(bias)
    if bias.ndim != 1:
        raise ValueError(f"bias_add: bias must be 1-D, got shape {tuple(bias.shape)}")
    if data_format is not None and data_format.startswith("NC") and value.ndim > 2:
        bias = reshape(bias, (-1,) + (1,) * (value.ndim - 2))
    return add(value, bias)


def l2_loss(t, name=None):
    """sum(t ** 2) / 2."""
    return divide(reduce_sum(square(_float(t, "t", "l2_loss"))), 2)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """-sum(labels * log_softmax(logits), axis): one loss per example."""
    logits = _float(logits, "logits", "softmax_cross_entropy_with_logits")
    labels = convert_to_tensor(labels, dtype=logits.dtype)
    if tuple(labels.shape) != tuple(logits.shape):
        raise ValueError(f"softmax_cross_entropy_with_logits: labels of shape "
                         f"{tuple(labels.shape)} and logits of shape {tuple(logits.shape)} must match")
    return negative(reduce_sum(multiply(labels, log_softmax(logits, axis=axis)), axis=axis))


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """-log_softmax(logits)[label] per example; labels are class indices."""
    logits = _float(logits, "logits", "sparse_softmax_cross_entropy_with_logits")
    labels = convert_to_tensor(labels)
    if labels.dtype.is_floating or labels.dtype.name == "bool":
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels must be int32 or "
                        f"int64 class indices, got {labels.dtype.name}")
    if tuple(labels.shape) != tuple(logits.shape)[:-1]:
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels of shape "
                         f"{tuple(labels.shape)} must be logits' shape {tuple(logits.shape)} "
                         f"without its last axis")
    depth = logits.shape[-1]
    lab = labels.numpy()
    if lab.size and (lab.min() < 0 or lab.max() >= depth):
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels must be in "
                         f"[0, {depth}), got values in [{lab.min()}, {lab.max()}]")
    onehot = one_hot(labels, depth, dtype=logits.dtype)
    return negative(reduce_sum(multiply(onehot, log_softmax(logits)), axis=-1))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """max(x, 0) - x * z + log(1 + exp(-|x|)) elementwise: stable for large |x|."""
    logits = _float(logits, "logits", "sigmoid_cross_entropy_with_logits")
    labels = convert_to_tensor(labels, dtype=logits.dtype)
    if tuple(labels.shape) != tuple(logits.shape):
        raise ValueError(f"sigmoid_cross_entropy_with_logits: labels of shape "
                         f"{tuple(labels.shape)} and logits of shape {tuple(logits.shape)} must match")
    return add(subtract(relu(logits), multiply(logits, labels)), softplus(negative(abs_(logits))))


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """tf.nn.dropout: each element kept with probability 1 - rate and scaled by 1 / (1 - rate)
    (the mask is a constant, so the gradient flows through the kept elements only)."""
    import numpy as _np
    from lamina import random as _random
    x = _float(x, "x", "nn.dropout")
    r = float(_np.asarray(rate.numpy() if hasattr(rate, "numpy") else rate))
    if not 0.0 <= r < 1.0:
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). "
                         f"Received: rate={rate}")
    if r == 0.0:
        return x
    shape = tuple(x.shape.as_list()) if noise_shape is None else tuple(
        int(d) if d is not None else x.shape[i] for i, d in enumerate(noise_shape))
    # u uniform in [0, 1): keep where u >= rate (tf's rule)
    keep = cast(_core.greater_equal(_random.uniform(shape, dtype=x.dtype, seed=seed), r),
                x.dtype)
    return x * (keep * (1.0 / (1.0 - r)))


def embedding_lookup(params, ids, max_norm=None, name=None):
    """tf.nn.embedding_lookup: the rows of params at ids (any shape of ids); max_norm clips each
    looked-up row to that L2 norm."""
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("embedding_lookup over a list of sharded params is not "
                                      "supported by lamina; pass one tensor")
        params = params[0]
    ids = convert_to_tensor(ids)
    if not ids.dtype.is_integer:
        raise TypeError(f"nn.embedding_lookup: ids must be integers, got {ids.dtype.name}")
    out = _core.gather(params, ids)
    if max_norm is not None:
        norm = _core.sqrt(reduce_sum(square(out), axis=-1, keepdims=True))
        out = out * where(greater(norm, max_norm), max_norm / maximum(norm, 1e-30),
                          _core.ones_like(norm))
    return out
