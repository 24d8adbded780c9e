"""tf.keras.metrics base classes: Metric (a Layer holding non-trainable state), Reduce/Sum/Mean
and MeanMetricWrapper (the mean of fn(y_true, y_pred)), with tf.keras 2's dtype casts and its
target/prediction/sample-weight alignment."""
import numpy as np

from lamina import _core
from lamina._core import as_dtype
from lamina.variables import VariableSynchronization, VariableAggregation
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine import keras_tensor as _kt
from lamina.keras.losses_utils import (squeeze_or_expand_dimensions, get_mask, apply_valid_mask,
                                       ReductionV2)


def _t(x):
    return _core.convert_to_tensor(x)


class Metric(Layer):
    """Base class: update_state(...), result(), reset_state(); calling updates and returns
    the result. A metric computes in float32 unless given another dtype."""

    def __init__(self, name=None, dtype=None, **kwargs):
        from lamina.keras import backend
        super().__init__(name=name, dtype=dtype or backend.floatx(), **kwargs)
        self.stateful = True
        self.built = True

    def __call__(self, *args, **kwargs):
        if _kt.any_symbolic(args) or _kt.any_symbolic(kwargs):
            result = _kt.KerasTensor((), self.dtype or "float32")
            result._metric_obj = self
            return result
        self.update_state(*args, **kwargs)
        result = self.result()
        try:
            result._metric_obj = self
        except AttributeError:
            pass
        return result

    def update_state(self, *args, **kwargs):
        raise NotImplementedError("Metric subclasses must implement update_state")

    def result(self):
        raise NotImplementedError("Metric subclasses must implement result")

    def reset_state(self):
        for v in self.variables:
            v.assign(_core.zeros(tuple(v.shape), v.dtype))

    reset_states = reset_state

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def add_weight(self, name, shape=(), aggregation=VariableAggregation.SUM,
                   synchronization=VariableSynchronization.ON_READ, initializer=None,
                   dtype=None):
        return super().add_weight(name=name, shape=shape, dtype=dtype or self.dtype,
                                  trainable=False, initializer=initializer or "zeros",
                                  synchronization=synchronization, aggregation=aggregation,
                                  experimental_autocast=False)

    def _cast(self, x):
        x = _t(x)
        dt = as_dtype(self.dtype)
        return x if x.dtype == dt else _core.cast(x, dt)


def _broadcast_weights(sw, values):
    """tf's broadcast_weights: the weight broadcast to the values' shape, or None when it
    cannot be (the caller then reduces the values to the weight's rank)."""
    try:
        return _core.broadcast_to(sw, tuple(values.shape)) if tuple(sw.shape) != \
            tuple(values.shape) else sw
    except ValueError:
        return None


class Reduce(Metric):
    """The (weighted) sum or mean of the values seen."""

    def __init__(self, reduction, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reduction = reduction
        self.total = self.add_weight("total", initializer="zeros")
        if reduction in ("weighted_mean", "sum_over_batch_size"):
            self.count = self.add_weight("count", initializer="zeros")

    def update_state(self, values, sample_weight=None):
        values = self._cast(values)
        if sample_weight is not None:
            sample_weight = self._cast(sample_weight)
            values, _, sample_weight = squeeze_or_expand_dimensions(
                values, sample_weight=sample_weight)
            b = _broadcast_weights(sample_weight, values)
            if b is None:
                axes = list(range(sample_weight.ndim, values.ndim))
                red = _core.reduce_sum if self.reduction == "sum" else _core.reduce_mean
                values = red(values, axis=axes) if axes else values
            else:
                sample_weight = b
            values = values * sample_weight
        self.total.assign_add(_core.reduce_sum(values))
        if self.reduction == "sum":
            return
        if self.reduction == "weighted_mean" and sample_weight is not None:
            n = _core.reduce_sum(sample_weight)
        else:
            n = _core.constant(float(np.prod(values.shape.as_list(), dtype=np.int64)),
                               dtype=self.total.dtype)
        self.count.assign_add(_core.cast(n, self.count.dtype))

    def result(self):
        if self.reduction == "sum":
            return _core.identity(self.total.value())
        t, c = self.total.value(), self.count.value()
        return _core.where(_core.equal(c, 0.0), _core.zeros_like(t), t / _core.where(
            _core.equal(c, 0.0), _core.ones_like(c), c))


class Sum(Reduce):
    """The (weighted) sum of the values seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__("sum", name=name, dtype=dtype)


class Mean(Reduce):
    """The (weighted) mean of the values seen: Mean(name='mean', dtype=None)."""

    def __init__(self, name="mean", dtype=None):
        super().__init__("weighted_mean", name=name, dtype=dtype)


class MeanMetricWrapper(Mean):
    """The mean of fn(y_true, y_pred, **kwargs) over what it has seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or "mean_metric_wrapper", dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = self._cast(y_true)
        y_pred = self._cast(y_pred)
        y_pred, y_true, _ = squeeze_or_expand_dimensions(y_pred, y_true)
        matches = _t(self._fn(y_true, y_pred, **self._fn_kwargs))
        mask = get_mask(matches)
        sample_weight = apply_valid_mask(matches, sample_weight, mask, ReductionV2.AUTO)
        return super().update_state(matches, sample_weight=sample_weight)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype}
        if type(self) is MeanMetricWrapper:
            config["fn"] = self._fn
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is MeanMetricWrapper:
            from lamina.keras.metrics import get
            fn = get(config.pop("fn"))
            return cls(fn, **config)
        return cls(**config)


def wrapper_class(name, fn, default_name, params=(), doc=None):
    """A MeanMetricWrapper subclass with tf.keras's constructor: name, dtype, then params."""
    def __init__(self, name=default_name, dtype=None, **kwargs):
        values = dict(params)
        for k, v in kwargs.items():
            if k not in values:
                raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                                f"argument {k!r}")
            values[k] = v
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **values)
    return type(name, (MeanMetricWrapper,), {"__init__": __init__,
                                              "__module__": "lamina.keras.metrics",
                                              "__doc__": doc or f"tf.keras.metrics.{name}"})
