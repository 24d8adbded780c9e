"""tf.keras.metrics: Metric classes (stateful, layers with non-trainable weights), metric
functions, and get / serialize / deserialize."""
from lamina.keras import losses as _losses
from lamina.keras.metrics.base import Metric, Reduce, Sum, Mean, MeanMetricWrapper
from lamina.keras.metrics.accuracy import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, accuracy, binary_accuracy,
    categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy)
from lamina.keras.metrics.regression import (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, RootMeanSquaredError, CosineSimilarity, LogCoshError, Hinge,
    SquaredHinge, CategoricalHinge, Poisson, KLDivergence, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy)
from lamina.keras.metrics.confusion import (
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall, AUC,
    MeanIoU)

# the loss functions, which are metric functions too (tf.keras.metrics.mse, ...)
mean_squared_error = mse = MSE = _losses.mean_squared_error
mean_absolute_error = mae = MAE = _losses.mean_absolute_error
mean_absolute_percentage_error = mape = MAPE = _losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = MSLE = _losses.mean_squared_logarithmic_error
kl_divergence = kld = KLD = kullback_leibler_divergence = _losses.kl_divergence
log_cosh = logcosh = _losses.log_cosh
hinge, squared_hinge = _losses.hinge, _losses.squared_hinge
categorical_hinge = _losses.categorical_hinge
poisson = _losses.poisson
binary_crossentropy = _losses.binary_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
binary_focal_crossentropy = _losses.binary_focal_crossentropy
acc = ACC = accuracy


def _table():
    return {k: v for k, v in globals().items() if not k.startswith("_") and
            k not in ("get", "serialize", "deserialize") and
            (callable(v) or isinstance(v, type))}


def serialize(metric):
    from lamina.keras import _serial
    if isinstance(metric, Metric):
        return _serial.serialize(metric, "keras.metrics")
    return getattr(metric, "__name__", metric)


def deserialize(config, custom_objects=None, use_legacy_format=False):
    from lamina.keras import _serial
    from lamina.keras.utils import get_registered_object
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects)
        if found is not None:
            return found() if isinstance(found, type) else found
    return _serial.deserialize(config, _table(), custom_objects, "metric function")


def get(identifier):
    """keras.metrics.get: a name gives the function ('mse', 'accuracy') or an instance of the
    class ('AUC'); a config dict gives an instance; a callable is returned as it is."""
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier}")
