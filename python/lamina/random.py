"""tf.random: seeded random tensors from a counter-based generator (Philox-4x32-10, in C).

Seeds follow TensorFlow's eager semantics:
  - no global seed and no op seed: fresh values on every call;
  - after set_seed(g): the sequence of values a program draws is reproducible — calling
    set_seed(g) again and making the same calls gives the same values;
  - an op seed s: repeated calls with the same (g, s) give different values, and the sequence
    repeats after set_seed(g); with no global seed a default one is used, so op-seeded draws are
    reproducible across runs too.

Each (global seed, op seed) pair names a Philox key (mixed with splitmix64) and keeps a counter of
the elements drawn from it so far: a call takes the next `numel` counter values, so no two calls
share a value, and set_seed restarts every counter. Values depend only on (key, counter + i), never
on how many threads compute them.
"""
import operator as _operator
import os as _os
import secrets as _secrets
import threading as _threading

import numpy as _np

from lamina import _core
from lamina._core import float32 as _float32

__all__ = ["set_seed", "normal", "uniform", "truncated_normal"]

# TF's DEFAULT_GRAPH_SEED: the global seed an op seed is paired with when set_seed was not called.
DEFAULT_GLOBAL_SEED = 87654321
_MASK = (1 << 64) - 1

_lock = _threading.Lock()


def _reset_lock_after_fork():   # a thread drawing at fork time would leave it held forever
    global _lock
    _lock = _threading.Lock()


_os.register_at_fork(after_in_child=_reset_lock_after_fork)
_global_seed = None
_counters = {}   # (global seed, op seed or None) -> elements drawn so far


def _splitmix64(x):
    """splitmix64's output function (Steele, Lea, Flood 2014): a bijective 64-bit mix."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _derive_key(global_seed, op_seed):
    """The Philox key of a (global seed, op seed) pair; op seed None is a stream of its own."""
    tag = 1 if op_seed is None else 2
    h = _splitmix64((global_seed & _MASK) ^ tag)
    return _splitmix64(h ^ ((op_seed or 0) & _MASK))


def _seed_arg(seed, what):
    if seed is None:
        return None
    if isinstance(seed, (bool, float)) or not hasattr(seed, "__index__"):
        if hasattr(seed, "numpy") and getattr(seed, "ndim", None) == 0:
            seed = seed.numpy()
        if isinstance(seed, (bool, float)) or not hasattr(seed, "__index__"):
            raise TypeError(f"{what} must be an int or None, got {seed!r}")
    return _operator.index(seed)


def set_seed(seed):
    """tf.random.set_seed: set the global seed (None: back to unseeded) and restart every
    seeded stream, so the calls that follow repeat the values they drew after the last
    set_seed with the same seed."""
    global _global_seed
    seed = _seed_arg(seed, "set_seed: seed")
    with _lock:
        _global_seed = seed
        _counters.clear()


def _next_key(op_seed, numel):
    """(key, counter) for a draw of `numel` values, advancing the stream's counter."""
    op_seed = _seed_arg(op_seed, "seed")
    with _lock:
        g = _global_seed
        if g is None and op_seed is None:
            return _secrets.randbits(64), 0   # unseeded: fresh values on every call
        if g is None:
            g = DEFAULT_GLOBAL_SEED
        stream = (g, op_seed)
        counter = _counters.get(stream, 0)
        _counters[stream] = (counter + numel) & _MASK
    return _derive_key(g, op_seed), counter


def _shape_numel(shape):
    """The number of elements of a shape argument (validated again by the C call)."""
    if isinstance(shape, _core.Tensor) or isinstance(shape, _np.ndarray):
        dims = [int(d) for d in _np.asarray(shape).reshape(-1)]
    elif hasattr(shape, "as_list"):
        dims = shape.as_list()
    elif isinstance(shape, (list, tuple)):
        dims = list(shape)
    else:
        dims = [shape]
    n = 1
    for d in dims:
        if d is None or isinstance(d, (bool, float)) or not hasattr(d, "__index__"):
            return 0  # the C call raises the proper error
        n *= max(_operator.index(d), 0)
    return n


def _shape_dims(shape):
    """The dims of a shape argument as a tuple of ints, or None when the C call will refuse it."""
    if isinstance(shape, _core.Tensor) or isinstance(shape, _np.ndarray):
        return tuple(int(d) for d in _np.asarray(shape).reshape(-1))
    dims = shape.as_list() if hasattr(shape, "as_list") else \
        list(shape) if isinstance(shape, (list, tuple)) else [shape]
    if any(d is None or isinstance(d, (bool, float)) or not hasattr(d, "__index__") for d in dims):
        return None
    return tuple(_operator.index(d) for d in dims)


def _param(v, dtype, name, shape, what):
    """A parameter as a Python float, or as a tensor of `dtype` that broadcasts to the result
    `shape`: checked before anything is drawn, and no copy bigger than the parameter itself."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if not (isinstance(v, _core.Tensor) or hasattr(v, "__lamina_tensor__")) and \
            _np.asarray(v).dtype.kind == "b":
        raise TypeError(f"{what}: {name} must be numbers, got booleans {v!r}")
    t = _core.convert_to_tensor(v, dtype_hint=dtype)
    if t.dtype == _core.bool_:
        raise TypeError(f"{what}: {name} must be numbers, got a bool tensor")
    if t.dtype != dtype:
        t = _core.cast(t, dtype)
    if t.ndim == 0:
        return float(t)
    dims = _shape_dims(shape)
    if dims is not None:
        try:
            ok = _np.broadcast_shapes(tuple(t.shape), dims) == dims
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{what}: {name} of shape {tuple(t.shape)} does not broadcast to the "
                             f"result shape {dims}")
    return t


def _float_dtype(dtype, what):
    d = _float32 if dtype is None else _core.as_dtype(dtype)
    if not d.is_floating:
        raise TypeError(f"{what}: dtype must be a float dtype (float16, bfloat16, float32, "
                        f"float64), got {d.name}")
    return d


def _gaussian(kind, what, shape, mean, stddev, dtype, seed):
    d = _float_dtype(dtype, what)
    m = _param(mean, d, "mean", shape, what)
    s = _param(stddev, d, "stddev", shape, what)
    if not isinstance(s, float) and _np.any(_np.asarray(s) < 0):
        raise _core.InvalidArgumentError(f"{what}: stddev must be >= 0")
    key, counter = _next_key(seed, _shape_numel(shape))
    if isinstance(m, float) and isinstance(s, float):
        return _core._random(kind, shape, m, s, d, key, counter)
    # standard values drawn in C in the result dtype, then scaled and shifted as tf does
    z = _core._random(kind, shape, 0.0, 1.0, d, key, counter)
    return _core.add(_core.multiply(z, s), m)


def normal(shape, mean=0.0, stddev=1.0, dtype=_float32, seed=None, name=None):
    """tf.random.normal: values from N(mean, stddev**2), by Box-Muller."""
    return _gaussian("normal", "random.normal", shape, mean, stddev, dtype, seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_float32, seed=None, name=None):
    """tf.random.truncated_normal: N(mean, stddev**2) restricted to within 2 stddev of the
    mean (values beyond are redrawn)."""
    return _gaussian("truncated_normal", "random.truncated_normal", shape, mean, stddev, dtype,
                     seed)


def uniform(shape, minval=0, maxval=None, dtype=_float32, seed=None, name=None):
    """tf.random.uniform: values in [minval, maxval).

    Float dtypes: maxval None means 1. int32 / int64: maxval is required, minval < maxval, and
    the values are integers drawn (near-)uniformly from [minval, maxval)."""
    d = _float32 if dtype is None else _core.as_dtype(dtype)
    if d.is_integer:
        return _uniform_int(shape, minval, maxval, d, seed)
    if not d.is_floating:
        raise TypeError(f"random.uniform: dtype must be a float or int32/int64 dtype, got "
                        f"{d.name}")
    lo = _param(minval, d, "minval", shape, "random.uniform")
    hi = _param(1.0 if maxval is None else maxval, d, "maxval", shape, "random.uniform")
    if not (isinstance(lo, float) and isinstance(hi, float)) and \
            _np.any(_np.asarray(hi) < _np.asarray(lo)):
        raise _core.InvalidArgumentError("random.uniform: maxval is less than minval")
    key, counter = _next_key(seed, _shape_numel(shape))
    if isinstance(lo, float) and isinstance(hi, float):
        return _core._random("uniform", shape, lo, hi, d, key, counter)
    u = _core._random("uniform", shape, 0.0, 1.0, d, key, counter)
    return _core.add(_core.multiply(u, _core.subtract(hi, lo)), lo)


def _int_bound(v, what):
    if isinstance(v, _core.Tensor):
        if v.dtype.is_floating or v.ndim != 0:
            raise TypeError(f"random.uniform: {what} must be an integer scalar for an integer "
                            f"dtype, got {v!r}")
        return int(v)
    if isinstance(v, (bool, float)) or not hasattr(v, "__index__"):
        raise TypeError(f"random.uniform: {what} must be an int for an integer dtype, got {v!r}")
    return _operator.index(v)


def _uniform_int(shape, minval, maxval, d, seed):
    if maxval is None:
        raise ValueError(f"random.uniform: maxval must be given for dtype {d.name}")
    lo, hi = _int_bound(minval, "minval"), _int_bound(maxval, "maxval")
    info = _np.iinfo(d.as_numpy_dtype)
    for v, what in ((lo, "minval"), (hi, "maxval")):
        if not info.min <= v <= info.max:
            raise ValueError(f"random.uniform: {what} {v} is out of range for {d.name}")
    if not lo < hi:
        raise _core.InvalidArgumentError(f"random.uniform: need minval < maxval for an integer "
                                         f"dtype, got minval={lo}, maxval={hi}")
    key, counter = _next_key(seed, _shape_numel(shape))
    return _core._random_int(shape, lo, hi, d, key, counter)
