"""tf.keras.constraints: projections applied to a weight after each optimizer update."""
from lamina import _core
from lamina.keras import backend
from lamina.keras.saving import serialization as _serialization


def _t(w):
    return w.value() if hasattr(w, "_is_variable") else _core.convert_to_tensor(w)


class Constraint:
    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class NonNeg(Constraint):
    """Weights >= 0."""

    def __call__(self, w):
        w = _t(w)
        return w * _core.cast(_core.greater_equal(w, 0.0), w.dtype)


def _norms(w, axis):
    return _core.sqrt(_core.reduce_sum(_core.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Norms along `axis` at most `max_value`."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = _t(w)
        norms = _norms(w, self.axis)
        desired = _core.clip_by_value(norms, 0.0, float(self.max_value))
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms along `axis` moved (at `rate`) into [min_value, max_value]."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = _t(w)
        norms = _norms(w, self.axis)
        clipped = _core.clip_by_value(norms, float(self.min_value), float(self.max_value))
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class UnitNorm(Constraint):
    """Norms along `axis` equal to 1."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _t(w)
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_TABLE = {"NonNeg": NonNeg, "MaxNorm": MaxNorm, "MinMaxNorm": MinMaxNorm, "UnitNorm": UnitNorm,
          "non_neg": NonNeg, "max_norm": MaxNorm, "min_max_norm": MinMaxNorm,
          "unit_norm": UnitNorm, "Constraint": Constraint}


def serialize(constraint):
    return _serialization.serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    return _serialization.deserialize_keras_object(config, _TABLE, custom_objects, "constraint")


def get(identifier):
    return _serialization.get(identifier, _TABLE, "constraint")
