"""tf.math: elementwise math, comparisons and reductions."""
from lamina import _core
from lamina._core import (  # noqa: F401
    # the registry's elementwise ops exported to tf.math are added below
    add, subtract, divide, floormod as mod, abs_ as abs, square, exp, log, sqrt, less, equal,
    not_equal, softmax, log_softmax,
    reduce_sum, reduce_mean, reduce_max, reduce_min, reduce_prod, reduce_any, reduce_all,
    argmax, argmin, convert_to_tensor, stop_gradient, where, zeros_like, squeeze,
)
from lamina.nn import log_sigmoid  # noqa: F401

_core.export_ops(globals(), "math")  # the rows of csrc/ops/ops.def


def add_n(inputs, name=None):
    import lamina
    return lamina.add_n(inputs)


def squared_difference(x, y, name=None):
    """(x - y) ** 2 elementwise."""
    return square(subtract(x, y))


def is_finite(x, name=None):
    """True where x is neither inf nor NaN."""
    return less(abs(convert_to_tensor(x)), float("inf"))


def is_nan(x, name=None):
    x = convert_to_tensor(x)
    return not_equal(x, x)


def is_inf(x, name=None):
    return equal(abs(convert_to_tensor(x)), float("inf"))


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) over the axes, stable: the max is taken out first (as a constant, which
    leaves the gradient unchanged); a slice whose max is infinite is shifted by 0 instead."""
    x = convert_to_tensor(input_tensor)
    m = stop_gradient(reduce_max(x, axis=axis, keepdims=True))
    m = where(is_finite(m), m, zeros_like(m))
    r = add(log(reduce_sum(exp(subtract(x, m)), axis=axis, keepdims=True)), m)
    if keepdims or x.ndim == 0:
        return r
    return squeeze(r, list(range(x.ndim)) if axis is None else axis)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """The mean of squared deviations from the mean over the axes."""
    x = convert_to_tensor(input_tensor)
    if not x.dtype.is_floating:
        raise TypeError(f"reduce_variance: a float tensor is needed, got {x.dtype.name}")
    mean = reduce_mean(x, axis=axis, keepdims=True)
    return reduce_mean(square(subtract(x, mean)), axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    return sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    return sqrt(reduce_sum(square(convert_to_tensor(input_tensor)), axis=axis, keepdims=keepdims))
