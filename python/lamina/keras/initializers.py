"""tf.keras.initializers: callables (shape, dtype) -> a tensor of initial values."""
import math

import numpy as np

import lamina
from lamina import _core
from lamina._core import as_dtype
from lamina.keras import backend
from lamina.keras.saving import serialization as _serialization


def _dtype(dtype):
    return as_dtype(dtype if dtype is not None else backend.floatx())


def _shape(shape):
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(shape)
    for d in shape:
        if d is None:
            raise ValueError(f"initializer: shape {shape} has an unknown (None) dimension")
    return shape


def _float_only(name, dtype):
    if not dtype.is_floating:
        raise ValueError(f"{name}: expected a floating point dtype, got {dtype.name}")


class Initializer:
    """Base class: subclasses implement __call__(shape, dtype=None, **kwargs)."""

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError("Initializer subclasses must implement __call__")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} {self.get_config()}>"


class Zeros(Initializer):
    def __call__(self, shape, dtype=None, **kwargs):
        return _core.zeros(_shape(shape), _dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None, **kwargs):
        return _core.ones(_shape(shape), _dtype(dtype))


class Constant(Initializer):
    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None, **kwargs):
        shape, dt = _shape(shape), _dtype(dtype)
        v = np.asarray(self.value.numpy() if hasattr(self.value, "numpy") else self.value)
        if v.size != 1 and v.shape != shape:
            if v.size != int(np.prod(shape)):
                raise TypeError(f"Constant initializer: a value of shape {v.shape} cannot fill "
                                f"a tensor of shape {shape}")
        a = np.broadcast_to(v.reshape(()) if v.size == 1 else v.reshape(shape), shape)
        return _core.constant(np.ascontiguousarray(a), dtype=dt)

    def get_config(self):
        v = self.value
        if hasattr(v, "numpy"):
            v = v.numpy()
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
        return {"value": v}


class _Random(Initializer):
    def __init__(self, seed=None):
        self.seed = seed

    def _draw(self, shape, dtype):
        """Seeded: the same values on every call; unseeded: fresh values (lamina.random)."""
        raise NotImplementedError

    def __call__(self, shape, dtype=None, **kwargs):
        shape, dt = _shape(shape), _dtype(dtype)
        _float_only(type(self).__name__, dt)
        t = self._draw(shape, dt)
        return t if t.dtype == dt else _core.cast(t, dt)


def _cast_np(a, dt):
    return _core.cast(_core.constant(np.asarray(a, np.float32 if dt.name != "float64" else np.float64)), dt)


def _np_truncated(rng, shape, mean, stddev):
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out * stddev + mean


class RandomNormal(_Random):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def _draw(self, shape, dt):
        if self.seed is not None:
            rng = np.random.default_rng(self.seed)
            return _cast_np(rng.standard_normal(shape) * self.stddev + self.mean, dt)
        gen = dt if dt.name in ("float32", "float64") else lamina.float32
        return lamina.random.normal(shape, self.mean, self.stddev, dtype=gen)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Random):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None, **kwargs):
        shape, dt = _shape(shape), _dtype(dtype)
        if dt.is_integer:   # tf.keras allows integer uniform
            rng = np.random.default_rng(self.seed)
            return _core.constant(rng.integers(self.minval, self.maxval, shape), dtype=dt)
        return super().__call__(shape, dt)

    def _draw(self, shape, dt):
        if self.seed is not None:
            rng = np.random.default_rng(self.seed)
            return _cast_np(rng.uniform(self.minval, self.maxval, shape), dt)
        gen = dt if dt.name in ("float32", "float64") else lamina.float32
        return lamina.random.uniform(shape, self.minval, self.maxval, dtype=gen)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(_Random):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def _draw(self, shape, dt):
        if self.seed is not None:
            return _cast_np(_np_truncated(np.random.default_rng(self.seed), shape, self.mean,
                                          self.stddev), dt)
        gen = dt if dt.name in ("float32", "float64") else lamina.float32
        return lamina.random.truncated_normal(shape, self.mean, self.stddev, dtype=gen)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def _compute_fans(shape):
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = 1
    for d in shape[:-2]:
        receptive *= d
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Random):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive float. Received: scale={scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode!r}; expected fan_in, fan_out or "
                             f"fan_avg")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def _draw(self, shape, dt):
        fan_in, fan_out = _compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return TruncatedNormal(0.0, math.sqrt(scale) / 0.87962566103423978, self.seed)._draw(shape, dt)
        if self.distribution == "untruncated_normal":
            return RandomNormal(0.0, math.sqrt(scale), self.seed)._draw(shape, dt)
        limit = math.sqrt(3.0 * scale)
        return RandomUniform(-limit, limit, self.seed)._draw(shape, dt)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _vs(name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    def from_config(cls, config):
        return cls(**{k: v for k, v in config.items() if k == "seed"})
    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "from_config": classmethod(from_config)})


GlorotUniform = _vs("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _vs("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeNormal = _vs("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _vs("HeUniform", 2.0, "fan_in", "uniform")
LecunNormal = _vs("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _vs("LecunUniform", 1.0, "fan_in", "uniform")


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None, **kwargs):
        shape, dt = _shape(shape), _dtype(dtype)
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return _cast_np(self.gain * np.eye(*shape), dt)

    def get_config(self):
        return {"gain": self.gain}


class Orthogonal(_Random):
    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def _draw(self, shape, dt):
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        rng = np.random.default_rng(self.seed)
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return _cast_np(self.gain * q.reshape(shape), dt)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


# lower-case aliases, as tf.keras.initializers has them
zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
identity = Identity
orthogonal = Orthogonal
variance_scaling = VarianceScaling

_TABLE = {c.__name__: c for c in (Zeros, Ones, Constant, RandomNormal, RandomUniform,
                                  TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal,
                                  HeNormal, HeUniform, LecunNormal, LecunUniform, Identity,
                                  Orthogonal)}
_TABLE.update({"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
               "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
               "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
               "he_normal": HeNormal, "he_uniform": HeUniform, "lecun_normal": LecunNormal,
               "lecun_uniform": LecunUniform, "identity": Identity, "orthogonal": Orthogonal,
               "variance_scaling": VarianceScaling, "uniform": RandomUniform,
               "normal": RandomNormal, "zero": Zeros, "one": Ones})


def serialize(initializer):
    return _serialization.serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    return _serialization.deserialize_keras_object(config, _TABLE, custom_objects, "initializer")


def get(identifier):
    """None, a name ('glorot_uniform'), a config dict, a class or a callable."""
    return _serialization.get(identifier, _TABLE, "initializer")


# TF's own initializer names (tf.random_normal_initializer, ...)
class random_normal_initializer(RandomNormal):
    _keras_class_name = "RandomNormal"


class random_uniform_initializer(RandomUniform):
    _keras_class_name = "RandomUniform"


class truncated_normal_initializer(TruncatedNormal):
    _keras_class_name = "TruncatedNormal"


class zeros_initializer(Zeros):
    _keras_class_name = "Zeros"


class ones_initializer(Ones):
    _keras_class_name = "Ones"


class constant_initializer(Constant):
    _keras_class_name = "Constant"


class glorot_uniform_initializer(GlorotUniform):
    _keras_class_name = "GlorotUniform"


class glorot_normal_initializer(GlorotNormal):
    _keras_class_name = "GlorotNormal"
