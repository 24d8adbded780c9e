"""Accuracy metrics and their functions (tf.keras.metrics.*accuracy*), as tf.keras 2 computes
them: matches in floatx, the mean over the last axis for binary accuracy."""
import numpy as np

from lamina import _core
from lamina.keras import backend
from lamina.keras.metrics.base import MeanMetricWrapper, wrapper_class


def _t(x):
    return _core.convert_to_tensor(x)


def _floatx(x):
    return _core.cast(x, backend.floatx())


def accuracy(y_true, y_pred):
    y_true, y_pred = _t(y_true), _t(y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"Shapes {tuple(y_true.shape)} and {tuple(y_pred.shape)} are "
                         f"incompatible")
    if y_true.dtype != y_pred.dtype:
        y_pred = _core.cast(y_pred, y_true.dtype)
    return _floatx(_core.equal(y_true, y_pred))


def binary_matches(y_true, y_pred, threshold=0.5):
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    y_pred = _core.cast(_core.greater(y_pred, _core.cast(_t(threshold), y_pred.dtype)),
                        y_pred.dtype)
    if y_true.dtype != y_pred.dtype:
        y_true = _core.cast(y_true, y_pred.dtype)
    return _floatx(_core.equal(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    return _core.reduce_mean(binary_matches(y_true, y_pred, threshold), axis=-1)


def sparse_categorical_matches(y_true, y_pred):
    y_pred, y_true = _t(y_pred), _t(y_true)
    org_shape = tuple(y_true.shape.as_list())
    reshape = False
    if y_true.ndim == y_pred.ndim:
        y_true = _core.squeeze(y_true, axis=-1)
        reshape = True
    pred = _core.argmax(y_pred, axis=-1)
    if pred.dtype != y_true.dtype:
        pred = _core.cast(pred, y_true.dtype)
    matches = _floatx(_core.equal(y_true, pred))
    return _core.reshape(matches, org_shape) if reshape else matches


def sparse_categorical_accuracy(y_true, y_pred):
    matches = sparse_categorical_matches(y_true, y_pred)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = _core.squeeze(matches, axis=-1)
    return matches


def categorical_accuracy(y_true, y_pred):
    return sparse_categorical_matches(_core.argmax(_t(y_true), axis=-1), y_pred)


def _in_top_k(pred, labels, k):
    """tf.math.in_top_k: the label's score is among the k largest (ties count as in)."""
    p = np.asarray(pred.numpy(), dtype=np.float32).reshape(-1, pred.shape[-1])
    lab = np.asarray(labels.numpy()).reshape(-1).astype(np.int64)
    if lab.shape[0] != p.shape[0]:
        raise ValueError(f"in_top_k: {lab.shape[0]} labels for {p.shape[0]} predictions")
    ok = (lab >= 0) & (lab < p.shape[1])
    target = p[np.arange(p.shape[0]), np.clip(lab, 0, p.shape[1] - 1)]
    better = (p > target[:, None]).sum(axis=1)
    return ok & (better < k) & np.isfinite(target)


def sparse_top_k_categorical_matches(y_true, y_pred, k=5):
    y_pred, y_true = _t(y_pred), _t(y_true)
    out_shape = tuple(y_true.shape.as_list()) if y_true.ndim > 1 else (-1,)
    hits = _in_top_k(y_pred, y_true, k)
    return _core.constant(hits.reshape(out_shape).astype(backend.floatx()))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    return sparse_top_k_categorical_matches(y_true, y_pred, k)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return sparse_top_k_categorical_matches(_core.argmax(_t(y_true), axis=-1), y_pred, k)


def categorical_matches(y_true, y_pred):
    return sparse_categorical_matches(_core.argmax(_t(y_true), axis=-1), y_pred)


# the classes average per-element matches (tf.keras 2.21), the functions reduce the last axis
Accuracy = wrapper_class("Accuracy", accuracy, "accuracy")
BinaryAccuracy = wrapper_class("BinaryAccuracy", binary_matches, "binary_accuracy",
                               (("threshold", 0.5),))
CategoricalAccuracy = wrapper_class("CategoricalAccuracy", categorical_matches,
                                    "categorical_accuracy")
SparseCategoricalAccuracy = wrapper_class("SparseCategoricalAccuracy",
                                          sparse_categorical_matches,
                                          "sparse_categorical_accuracy")


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the true class is among the k highest predictions (one-hot targets)."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the k highest predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_matches, name, dtype=dtype, k=k)
