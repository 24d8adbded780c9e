"""tf.keras.metrics: stateful aggregations (Mean, Sum) as layers with non-trainable weights."""
from lamina import _core
from lamina._core import as_dtype
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
    """A Metric from a name ('mean', 'accuracy', ...), a config dict or a class; a callable as
    it is."""
    from lamina.keras.saving import serialization
    table = {k: v for k, v in globals().items() if isinstance(v, type) and issubclass(v, Metric)}
    table.update({"mean": Mean, "sum": Sum, "accuracy": Accuracy,
                  "sparse_categorical_accuracy": SparseCategoricalAccuracy})
    return serialization.get(identifier, table, "metric")


class MeanMetricWrapper(Mean):
    """The mean of fn(y_true, y_pred) over what it has seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        return super().update_state(values, sample_weight)


def _acc_binary(y_true, y_pred, threshold=0.5):
    y_pred = _core.convert_to_tensor(y_pred)
    y_true = _core.cast(_core.convert_to_tensor(y_true), y_pred.dtype)
    pred = _core.cast(_core.greater(y_pred, threshold), y_pred.dtype)
    return _core.cast(_core.equal(y_true, pred), "float32")


def _acc_categorical(y_true, y_pred):
    return _core.cast(_core.equal(_core.argmax(y_true, axis=-1), _core.argmax(y_pred, axis=-1)),
                      "float32")


def _acc_sparse(y_true, y_pred):
    pred = _core.argmax(y_pred, axis=-1)
    y_true = _core.convert_to_tensor(y_true)
    y_true = _core.reshape(_core.cast(y_true, pred.dtype), tuple(pred.shape.as_list()))
    return _core.cast(_core.equal(y_true, pred), "float32")


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(_acc_binary, name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_acc_categorical, name, dtype=dtype)


def _mse(y_true, y_pred):
    from lamina.keras.losses import mean_squared_error
    return mean_squared_error(y_true, y_pred)


def _mae(y_true, y_pred):
    from lamina.keras.losses import mean_absolute_error
    return mean_absolute_error(y_true, y_pred)


class MeanSquaredError(MeanMetricWrapper):
    """The mean of mean_squared_error(y_true, y_pred) (tf.keras.metrics.MeanSquaredError)."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_mse, name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of mean_absolute_error(y_true, y_pred) (tf.keras.metrics.MeanAbsoluteError)."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_mae, name, dtype=dtype)


def resolve_compiled(identifier, loss=None):
    """A compile() metric argument as a Metric object."""
    from lamina.keras import losses as losses_mod
    if isinstance(identifier, Metric):
        return identifier
    if identifier in ("accuracy", "acc"):
        lname = getattr(loss, "__name__", None) or type(loss).__name__
        lname = str(loss) if isinstance(loss, str) else lname
        if "sparse" in lname.lower():
            return MeanMetricWrapper(_acc_sparse, identifier)
        if "binary" in lname.lower():
            return MeanMetricWrapper(_acc_binary, identifier)
        return MeanMetricWrapper(_acc_categorical, identifier)
    if isinstance(identifier, str):
        table = {"binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
                 "sparse_categorical_accuracy": SparseCategoricalAccuracy}
        if identifier in table:
            return table[identifier]()
        return MeanMetricWrapper(losses_mod.get(identifier), identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier, getattr(identifier, "__name__", "metric"))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
