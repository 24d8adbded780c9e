"""tf.keras.metrics: stateful aggregations (Mean, Sum) as layers with non-trainable weights."""
from lamina import _core
from lamina._core import Tensor, as_dtype
from lamina.variables import VariableSynchronization, VariableAggregation
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine import keras_tensor as _kt


class Metric(Layer):
    """Base class: update_state(...), result(), reset_state(); calling updates and returns result."""

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
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


class Reduce(Metric):
    def __init__(self, reduction, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reduction = reduction
        self.total = self.add_weight("total", initializer="zeros")
        if reduction == "mean":
            self.count = self.add_weight("count", initializer="zeros")

    def update_state(self, values, sample_weight=None):
        dt = as_dtype(self.dtype)
        values = _core.convert_to_tensor(values)
        if values.dtype != dt:
            values = _core.cast(values, dt)
        if sample_weight is not None:
            sw = _core.convert_to_tensor(sample_weight)
            sw = _core.cast(sw, dt) if sw.dtype != dt else sw
            sw = _core.broadcast_to(sw, values.shape) if sw.ndim <= values.ndim else sw
            self.total.assign_add(_core.reduce_sum(values * sw))
            if self.reduction == "mean":
                self.count.assign_add(_core.reduce_sum(sw))
            return
        self.total.assign_add(_core.reduce_sum(values))
        if self.reduction == "mean":
            n = 1
            for d in values.shape.as_list():
                n *= d
            self.count.assign_add(_core.constant(float(n), dtype=dt))

    def result(self):
        if self.reduction == "sum":
            return _core.convert_to_tensor(self.total)
        t, c = self.total.value(), self.count.value()
        return _core.where(_core.equal(c, 0.0), _core.zeros_like(t), t / _core.maximum(c, 1e-30))


class Mean(Reduce):
    """The (weighted) mean of the values seen: Mean(name='mean', dtype=None)."""

    def __init__(self, name="mean", dtype=None):
        super().__init__("mean", name=name, dtype=dtype)


class Sum(Reduce):
    def __init__(self, name="sum", dtype=None):
        super().__init__("sum", name=name, dtype=dtype)


class Accuracy(Mean):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _core.convert_to_tensor(y_true)
        y_pred = _core.convert_to_tensor(y_pred)
        if y_true.dtype != y_pred.dtype:
            y_true = _core.cast(y_true, y_pred.dtype)
        super().update_state(_core.cast(_core.equal(y_true, y_pred), self.dtype), sample_weight)


class SparseCategoricalAccuracy(Mean):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _core.convert_to_tensor(y_true)
        pred = _core.argmax(y_pred, axis=-1)
        y_true = _core.reshape(_core.cast(y_true, pred.dtype), pred.shape)
        super().update_state(_core.cast(_core.equal(y_true, pred), self.dtype), sample_weight)


def get(identifier):
    table = {"mean": Mean, "sum": Sum, "accuracy": Accuracy,
             "sparse_categorical_accuracy": SparseCategoricalAccuracy}
    if isinstance(identifier, str):
        return table[identifier]()
    return identifier
