"""tf.keras.losses: loss functions (per-sample values) and Loss classes that weight and reduce
them exactly as tf.keras 2 does (see losses_utils)."""
import functools

from lamina import _core
from lamina.keras import backend
from lamina.keras.losses_utils import (ReductionV2, squeeze_or_expand_dimensions, get_mask,
                                       apply_valid_mask, compute_weighted_loss)

Reduction = ReductionV2


def _t(x):
    return _core.convert_to_tensor(x)


def _pair(y_true, y_pred):
    """y_pred as a tensor, y_true cast to its dtype (the first lines of every tf.keras loss)."""
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    if not y_pred.dtype.is_floating:
        y_pred = _core.cast(y_pred, backend.floatx())
    if y_true.dtype != y_pred.dtype:
        y_true = _core.cast(y_true, y_pred.dtype)
    return y_true, y_pred


def _is_tensor(x):
    from lamina.variables import Variable
    return isinstance(x, (_core.Tensor, Variable))


def _mean(x, axis=-1):
    return _core.reduce_mean(x, axis=axis)


def _logits_of(y_pred):
    """tf.keras's softmax/sigmoid activations remember their input; crossentropy losses then work
    from the logits, which is exact where the probabilities saturate."""
    return getattr(y_pred, "_keras_logits", None)


# ---- loss functions: (y_true, y_pred) -> one value per sample ------------------------------------
def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return _mean(_core.square(y_pred - y_true))


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return _mean(_core.abs_(y_pred - y_true))


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    diff = _core.abs_((y_true - y_pred) / _core.maximum(_core.abs_(y_true), backend.epsilon()))
    return 100.0 * _mean(diff)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    first = _core.log(_core.maximum(y_pred, backend.epsilon()) + 1.0)
    second = _core.log(_core.maximum(y_true, backend.epsilon()) + 1.0)
    return _mean(_core.square(first - second))


def _maybe_convert_labels(y_true):
    """Labels that are all 0 or 1 become -1 / 1 (hinge losses)."""
    is01 = _core.reduce_all(_core.logical_or(_core.equal(y_true, 0.0), _core.equal(y_true, 1.0)))
    return 2.0 * y_true - 1.0 if bool(is01) else y_true


def hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return _mean(_core.maximum(1.0 - y_true * y_pred, 0.0))


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return _mean(_core.square(_core.maximum(1.0 - y_true * y_pred, 0.0)))


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    pos = _core.reduce_sum(y_true * y_pred, axis=-1)
    neg = _core.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return _core.maximum(neg - pos + 1.0, 0.0)


def huber(y_true, y_pred, delta=1.0):
    y_pred = _core.cast(_t(y_pred), backend.floatx())
    y_true = _core.cast(_t(y_true), backend.floatx())
    error = y_pred - y_true
    abs_error = _core.abs_(error)
    delta = float(delta)
    return _mean(_core.where(abs_error <= delta, 0.5 * _core.square(error),
                             delta * abs_error - 0.5 * delta * delta))


def log_cosh(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    # log(cosh(x)) = x + softplus(-2x) - log(2), without overflow for large |x|
    return _mean(x + _core.softplus(-2.0 * x) - 0.6931471805599453)


def kl_divergence(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _core.clip_by_value(y_true, backend.epsilon(), 1.0)
    y_pred = _core.clip_by_value(y_pred, backend.epsilon(), 1.0)
    return _core.reduce_sum(y_true * _core.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return _mean(y_pred - y_true * _core.log(y_pred + backend.epsilon()))


def _l2_normalize(x, axis):
    sq = _core.reduce_sum(_core.square(x), axis=axis, keepdims=True)
    return x * _core.rsqrt(_core.maximum(sq, 1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    for name, v in (("y_true", y_true), ("y_pred", y_pred)):
        if not _t(v).dtype.is_floating:
            raise TypeError(f"cosine_similarity: {name} must be floating point (tf's "
                            f"l2_normalize), got {_t(v).dtype.name}")
    y_true, y_pred = _pair(y_true, y_pred)
    return -_core.reduce_sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis!r} of type "
                         f"{type(axis)}")


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    _check_axis(axis)
    logits = None if from_logits else _logits_of(y_pred)
    y_true, y_pred = _pair(y_true, y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"Shapes {tuple(y_true.shape)} and {tuple(y_pred.shape)} are "
                         f"incompatible (categorical_crossentropy needs one-hot targets shaped "
                         f"like the predictions; use sparse_categorical_crossentropy for "
                         f"integer labels)")
    if label_smoothing:
        n = float(y_true.shape[axis])
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    if logits is not None:
        y_pred, from_logits = _t(logits), True
    if from_logits:
        return -_core.reduce_sum(y_true * _core.log_softmax(y_pred, axis=axis), axis=axis)
    y_pred = y_pred / _core.reduce_sum(y_pred, axis=axis, keepdims=True)
    eps = backend.epsilon()
    y_pred = _core.clip_by_value(y_pred, eps, 1.0 - eps)
    return -_core.reduce_sum(y_true * _core.log(y_pred), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1,
                                    ignore_class=None):
    _check_axis(axis)
    logits = None if from_logits else _logits_of(y_pred)
    y_pred = _t(y_pred)
    if logits is not None:
        y_pred, from_logits = _t(logits), True
    if not y_pred.dtype.is_floating:
        y_pred = _core.cast(y_pred, backend.floatx())
    rank = y_pred.ndim
    axis %= rank
    if axis != rank - 1:
        y_pred = _core.transpose(y_pred, list(range(axis)) + list(range(axis + 1, rank)) + [axis])
    if not from_logits:
        eps = backend.epsilon()
        y_pred = _core.log(_core.clip_by_value(y_pred, eps, 1.0 - eps))
    k = y_pred.shape[-1]
    out_shape = tuple(y_pred.shape.as_list()[:-1])
    labels = _core.reshape(_core.cast(_t(y_true), "int64"), (-1,))
    n_out = 1
    for d in out_shape:
        n_out *= d
    if labels.shape[0] != n_out:
        raise ValueError(f"sparse_categorical_crossentropy: {labels.shape[0]} labels (y_true of "
                         f"shape {tuple(_t(y_true).shape)}) for predictions of shape "
                         f"{tuple(y_pred.shape)}; expected {n_out} labels")
    valid = None
    if ignore_class is not None:
        valid = _core.not_equal(labels, ignore_class)
        labels = _core.where(valid, labels, _core.zeros_like(labels))
    bad = _core.logical_or(labels < 0, labels >= k)
    if bool(_core.reduce_any(bad)):
        raise ValueError(f"Received a label value outside the valid range of [0, {k}) in "
                         f"sparse_categorical_crossentropy: labels "
                         f"{sorted(set(labels.numpy()[bad.numpy()].tolist()))}")
    onehot = _core.one_hot(labels, k, dtype=y_pred.dtype)
    flat = _core.reshape(y_pred, (-1, k))
    res = -_core.reduce_sum(onehot * _core.log_softmax(flat, axis=-1), axis=-1)
    if valid is not None:
        res = res * _core.cast(valid, res.dtype)
    res = _core.reshape(res, out_shape)
    if valid is not None:
        res._keras_mask = _core.reshape(valid, out_shape)
    return res


def _bce_elementwise(y_true, y_pred, from_logits):
    if from_logits:
        if tuple(y_true.shape) != tuple(y_pred.shape):
            raise ValueError(f"`logits` and `labels` must have the same shape, received "
                             f"({tuple(y_pred.shape)} vs {tuple(y_true.shape)}).")
        # max(x, 0) - x * z + log(1 + exp(-|x|))
        return _core.maximum(y_pred, 0.0) - y_pred * y_true + _core.softplus(-_core.abs_(y_pred))
    eps = backend.epsilon()
    p = _core.clip_by_value(y_pred, eps, 1.0 - eps)
    return -(y_true * _core.log(p + eps) + (1.0 - y_true) * _core.log(1.0 - p + eps))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    logits = None if from_logits else _logits_of(y_pred)
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if logits is not None:
        y_pred, from_logits = _t(logits), True
    return _mean(_bce_elementwise(y_true, y_pred, from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    p = _core.sigmoid(y_pred) if from_logits else y_pred
    p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
    focal = _core.pow_(1.0 - p_t, _core.constant(gamma, dtype=p_t.dtype)) * \
        _bce_elementwise(y_true, y_pred, from_logits)
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return _mean(focal, axis=axis)


# ---- Loss classes --------------------------------------------------------------------------------
class Loss:
    """Base class: call(y_true, y_pred) gives per-sample losses; __call__ weights and reduces."""

    def __init__(self, reduction=ReductionV2.AUTO, name=None):
        ReductionV2.validate(reduction)
        self.reduction = reduction
        self.name = name
        self._allow_sum_over_batch_size = False

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        in_mask, out_mask = get_mask(y_pred), get_mask(losses)
        if in_mask is not None and out_mask is not None:
            mask = _core.logical_and(_core.cast(_t(in_mask), "bool"),
                                     _core.cast(_t(out_mask), "bool"))
        else:
            mask = in_mask if in_mask is not None else out_mask
        reduction = self._get_reduction()
        sample_weight = apply_valid_mask(losses, sample_weight, mask, reduction)
        return compute_weighted_loss(losses, sample_weight, reduction=reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError("Must be implemented in subclasses.")

    def _get_reduction(self):
        return ReductionV2.SUM_OVER_BATCH_SIZE if self.reduction == ReductionV2.AUTO \
            else self.reduction

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss whose per-sample values come from fn(y_true, y_pred, **kwargs)."""

    def __init__(self, fn, reduction=ReductionV2.AUTO, name=None, **kwargs):
        super().__init__(reduction=reduction, name=name)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        # tf.keras lines the ranks up only when both are tensors: NumPy arrays broadcast as
        # they are (a (N, 1) target against a (N,) prediction gives an (N, N) loss)
        if _is_tensor(y_pred) and _is_tensor(y_true):
            y_pred, y_true, _ = squeeze_or_expand_dimensions(_t(y_pred), _t(y_true))
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = {"reduction": self.reduction, "name": self.name}
        config.update(self._fn_kwargs)
        config["fn"] = getattr(self.fn, "__name__", None)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn", None)
        if cls is LossFunctionWrapper:
            return cls(get(fn), **config)
        return cls(**config)


def _loss_class(name, fn, default_name, params=()):
    """A LossFunctionWrapper subclass with tf.keras's constructor (params: (name, default))."""
    def __init__(self, *args, **kwargs):
        names = [p for p, _ in params] + ["reduction", "name"]
        if len(args) > len(names):
            raise TypeError(f"{name}() takes at most {len(names)} positional arguments")
        values = dict(params, reduction=ReductionV2.AUTO, name=default_name)
        for k, v in zip(names, args):
            values[k] = v
        for k, v in kwargs.items():
            if k == "fn":
                continue
            if k not in values:
                raise TypeError(f"{name}.__init__() got an unexpected keyword argument {k!r}")
            values[k] = v
        reduction, lname = values.pop("reduction"), values.pop("name")
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=lname, **values)
    return type(name, (LossFunctionWrapper,), {"__init__": __init__, "__module__": __name__,
                                                "__doc__": f"tf.keras.losses.{name}"})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _loss_class("MeanAbsolutePercentageError",
                                          mean_absolute_percentage_error,
                                          "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _loss_class("MeanSquaredLogarithmicError",
                                          mean_squared_logarithmic_error,
                                          "mean_squared_logarithmic_error")
BinaryCrossentropy = _loss_class("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                                 (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
BinaryFocalCrossentropy = _loss_class(
    "BinaryFocalCrossentropy", binary_focal_crossentropy, "binary_focal_crossentropy",
    (("apply_class_balancing", False), ("alpha", 0.25), ("gamma", 2.0), ("from_logits", False),
     ("label_smoothing", 0.0), ("axis", -1)))
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy", (("from_logits", False), ("ignore_class", None)))
Hinge = _loss_class("Hinge", hinge, "hinge")
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
Poisson = _loss_class("Poisson", poisson, "poisson")
LogCosh = _loss_class("LogCosh", log_cosh, "log_cosh")
KLDivergence = _loss_class("KLDivergence", kl_divergence, "kl_divergence")
Huber = _loss_class("Huber", huber, "huber_loss", (("delta", 1.0),))
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, "cosine_similarity",
                               (("axis", -1),))


def _traceable(fn):
    """fn, which on symbolic (KerasTensor) arguments adds an op node to the functional graph
    being built, as tf.keras's loss functions (made of tf ops) do: model.add_loss(
    losses.binary_crossentropy(targets, outputs))."""
    from lamina.keras.engine.keras_tensor import any_symbolic, symbolic_op
    path = "keras.losses." + fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if any_symbolic(args) or (kwargs and any_symbolic(kwargs)):
            return symbolic_op(fn, path, args, kwargs)
        return fn(*args, **kwargs)
    return wrapper


_FUNCTIONS = ("mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
              "mean_squared_logarithmic_error", "hinge", "squared_hinge", "categorical_hinge",
              "huber", "log_cosh", "kl_divergence", "poisson", "cosine_similarity",
              "categorical_crossentropy", "sparse_categorical_crossentropy",
              "binary_crossentropy", "binary_focal_crossentropy")
for _name in _FUNCTIONS:
    globals()[_name] = _traceable(globals()[_name])

bce = BCE = binary_crossentropy
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber


def _table():
    return {k: v for k, v in globals().items()
            if not k.startswith("_") and (k in _ALIASES or k in _FUNCTIONS or
                                          (isinstance(v, type) and issubclass(v, Loss)))}


_ALIASES = ("bce", "BCE", "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld",
            "KLD", "kullback_leibler_divergence", "logcosh", "huber_loss")


def serialize(loss):
    """A Loss object as its {'module','class_name','config','registered_name'} dict; a loss
    function as its name."""
    from lamina.keras import _serial
    if isinstance(loss, Loss):
        return _serial.serialize(loss, "keras.losses")
    name = getattr(loss, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize loss {loss!r}")
    return name


def deserialize(name, custom_objects=None, use_legacy_format=False):
    from lamina.keras import _serial
    from lamina.keras.utils import get_registered_object
    if isinstance(name, dict) and name.get("class_name") == "function":
        name = name.get("config")
    if isinstance(name, str):
        found = get_registered_object(name, custom_objects)
        if found is not None:
            return found() if isinstance(found, type) else found
        table = _table()
        if name not in table:
            raise ValueError(f"Unknown loss function: '{name}'. Please ensure you are using a "
                             f"`keras.utils.custom_object_scope` and that this object is "
                             f"included in the scope.")
        obj = table[name]
        return obj() if isinstance(obj, type) else obj
    if isinstance(name, dict):
        reg = name.get("registered_name")
        if reg and get_registered_object(reg, custom_objects) is not None:
            cls = get_registered_object(reg, custom_objects)
            return cls.from_config(name.get("config") or {})
    return _serial.deserialize(name, _table(), custom_objects, "loss function")


def get(identifier):
    """keras.losses.get: None, a name ('mse', 'MeanSquaredError'), a config dict, a class,
    or a callable (returned as it is)."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss function identifier: {identifier}")
