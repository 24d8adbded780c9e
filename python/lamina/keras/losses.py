"""tf.keras.losses: loss functions and classes (mean over the batch)."""
from lamina import _core
from lamina.keras import backend


def _t(x):
    return _core.convert_to_tensor(x)


def _pair(y_true, y_pred):
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = _core.cast(y_true, y_pred.dtype)
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return _core.reduce_mean(_core.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return _core.reduce_mean(_core.abs_(y_pred - y_true), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred)
    if from_logits:
        return -_core.reduce_sum(y_true * _core.log_softmax(y_pred, axis=axis), axis=axis)
    y_pred = y_pred / _core.reduce_sum(y_pred, axis=axis, keepdims=True)
    eps = backend.epsilon()
    y_pred = _core.clip_by_value(y_pred, eps, 1.0 - eps)
    return -_core.reduce_sum(y_true * _core.log(y_pred), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    y_pred = _t(y_pred)
    y_true = _core.cast(_core.reshape(_t(y_true), (-1,)), "int32")
    onehot = _core.one_hot(y_true, y_pred.shape[-1], dtype=y_pred.dtype)
    onehot = _core.reshape(onehot, tuple(y_pred.shape.as_list()))
    return categorical_crossentropy(onehot, y_pred, from_logits=from_logits, axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    y_true, y_pred = _pair(y_true, y_pred)
    if from_logits:
        # max(x, 0) - x * z + log(1 + exp(-|x|))
        loss = _core.maximum(y_pred, 0.0) - y_pred * y_true + \
            _core.softplus(-_core.abs_(y_pred))
    else:
        eps = backend.epsilon()
        p = _core.clip_by_value(y_pred, eps, 1.0 - eps)
        loss = -(y_true * _core.log(p) + (1.0 - y_true) * _core.log(1.0 - p))
    return _core.reduce_mean(loss, axis=-1)


class Loss:
    def __init__(self, reduction="auto", name=None):
        self.reduction = reduction
        self.name = name

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        if sample_weight is not None:
            losses = losses * _core.cast(_t(sample_weight), losses.dtype)
        if self.reduction == "none":
            return losses
        if self.reduction == "sum":
            return _core.reduce_sum(losses)
        return _core.reduce_mean(losses)

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _Wrapper(Loss):
    fn = None

    def __init__(self, reduction="auto", name=None, **kwargs):
        super().__init__(reduction, name or self.default_name)
        self._kwargs = kwargs

    def call(self, y_true, y_pred):
        return type(self).fn(y_true, y_pred, **self._kwargs)

    def get_config(self):
        c = super().get_config()
        c.update(self._kwargs)
        return c


class MeanSquaredError(_Wrapper):
    fn = staticmethod(mean_squared_error)
    default_name = "mean_squared_error"


class MeanAbsoluteError(_Wrapper):
    fn = staticmethod(mean_absolute_error)
    default_name = "mean_absolute_error"


class CategoricalCrossentropy(_Wrapper):
    fn = staticmethod(categorical_crossentropy)
    default_name = "categorical_crossentropy"

    def __init__(self, from_logits=False, reduction="auto", name=None):
        super().__init__(reduction, name, from_logits=from_logits)


class SparseCategoricalCrossentropy(_Wrapper):
    fn = staticmethod(sparse_categorical_crossentropy)
    default_name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False, reduction="auto", name=None):
        super().__init__(reduction, name, from_logits=from_logits)


class BinaryCrossentropy(_Wrapper):
    fn = staticmethod(binary_crossentropy)
    default_name = "binary_crossentropy"

    def __init__(self, from_logits=False, reduction="auto", name=None):
        super().__init__(reduction, name, from_logits=from_logits)


def _traceable(fn):
    """fn, which on symbolic (KerasTensor) arguments adds an op node to the functional graph
    being built, as tf.keras's loss functions (made of tf ops) do: model.add_loss(
    losses.binary_crossentropy(targets, outputs))."""
    import functools
    from lamina.keras.engine.keras_tensor import any_symbolic, symbolic_op
    path = "keras.losses." + fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if any_symbolic(args) or (kwargs and any_symbolic(kwargs)):
            return symbolic_op(fn, path, args, kwargs)
        return fn(*args, **kwargs)
    return wrapper


mean_squared_error = _traceable(mean_squared_error)
mean_absolute_error = _traceable(mean_absolute_error)
categorical_crossentropy = _traceable(categorical_crossentropy)
sparse_categorical_crossentropy = _traceable(sparse_categorical_crossentropy)
binary_crossentropy = _traceable(binary_crossentropy)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


def get(identifier):
    """A loss function or Loss object from a name, a config dict, a class or a callable."""
    from lamina.keras.saving import serialization
    table = {k: v for k, v in globals().items() if callable(v) and not k.startswith("_")}
    return serialization.get(identifier, table, "loss function")
