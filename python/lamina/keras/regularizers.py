"""tf.keras.regularizers: callables weight -> a scalar penalty added to a layer's losses."""
from lamina import _core
from lamina.keras.saving import serialization as _serialization


def _check(name, v):
    if v is None:
        return 0.0
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"Value {v!r} of {name!r} is not a valid regularization penalty: "
                         f"expected a float") from None
    if v < 0 or v != v:
        raise ValueError(f"Value {v} of {name!r} is not a valid regularization penalty: "
                         f"expected a non-negative float")
    return v


class Regularizer:
    def __call__(self, x):
        return _core.constant(0.0)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _as_tensor(x):
    return x.value() if hasattr(x, "_is_variable") else _core.convert_to_tensor(x)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check("l1", l1)
        self.l2 = _check("l2", l2)

    def __call__(self, x):
        x = _as_tensor(x)
        r = _core.zeros((), x.dtype)
        if self.l1:
            r = r + self.l1 * _core.reduce_sum(_core.abs_(x))
        if self.l2:
            r = r + self.l2 * _core.reduce_sum(_core.square(x))
        return r

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1=0.01, **kwargs):
        l1 = kwargs.pop("l", l1)
        if kwargs:
            raise TypeError(f"Argument(s) not recognized: {kwargs}")
        self.l1 = _check("l1", l1)

    def __call__(self, x):
        x = _as_tensor(x)
        return self.l1 * _core.reduce_sum(_core.abs_(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2=0.01, **kwargs):
        l2 = kwargs.pop("l", l2)
        if kwargs:
            raise TypeError(f"Argument(s) not recognized: {kwargs}")
        self.l2 = _check("l2", l2)

    def __call__(self, x):
        x = _as_tensor(x)
        return self.l2 * _core.reduce_sum(_core.square(x))

    def get_config(self):
        return {"l2": self.l2}


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2

_TABLE = {"L1L2": L1L2, "L1": L1, "L2": L2, "l1": L1, "l2": L2, "l1_l2": l1_l2,
          "Regularizer": Regularizer}


def serialize(regularizer):
    return _serialization.serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    return _serialization.deserialize_keras_object(config, _TABLE, custom_objects, "regularizer")


def get(identifier):
    return _serialization.get(identifier, _TABLE, "regularizer")
