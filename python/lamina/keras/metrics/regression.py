"""Metrics that average a loss function (tf.keras's regression, hinge and probabilistic
metrics), and RootMeanSquaredError."""
from lamina import _core
from lamina.keras import losses
from lamina.keras.losses_utils import squeeze_or_expand_dimensions
from lamina.keras.metrics.base import Mean, wrapper_class


def cosine_similarity(y_true, y_pred, axis=-1):
    """The metric's cosine similarity (the loss is its negative)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


MeanSquaredError = wrapper_class("MeanSquaredError", losses.mean_squared_error,
                                 "mean_squared_error")
MeanAbsoluteError = wrapper_class("MeanAbsoluteError", losses.mean_absolute_error,
                                  "mean_absolute_error")
MeanAbsolutePercentageError = wrapper_class("MeanAbsolutePercentageError",
                                            losses.mean_absolute_percentage_error,
                                            "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = wrapper_class("MeanSquaredLogarithmicError",
                                            losses.mean_squared_logarithmic_error,
                                            "mean_squared_logarithmic_error")
CosineSimilarity = wrapper_class("CosineSimilarity", cosine_similarity, "cosine_similarity",
                                 (("axis", -1),))
LogCoshError = wrapper_class("LogCoshError", losses.log_cosh, "logcosh")
Hinge = wrapper_class("Hinge", losses.hinge, "hinge")
SquaredHinge = wrapper_class("SquaredHinge", losses.squared_hinge, "squared_hinge")
CategoricalHinge = wrapper_class("CategoricalHinge", losses.categorical_hinge,
                                 "categorical_hinge")
Poisson = wrapper_class("Poisson", losses.poisson, "poisson")
KLDivergence = wrapper_class("KLDivergence", losses.kl_divergence, "kullback_leibler_divergence")
BinaryCrossentropy = wrapper_class("BinaryCrossentropy", losses.binary_crossentropy,
                                   "binary_crossentropy",
                                   (("from_logits", False), ("label_smoothing", 0)))
CategoricalCrossentropy = wrapper_class("CategoricalCrossentropy",
                                        losses.categorical_crossentropy,
                                        "categorical_crossentropy",
                                        (("from_logits", False), ("label_smoothing", 0),
                                         ("axis", -1)))
SparseCategoricalCrossentropy = wrapper_class("SparseCategoricalCrossentropy",
                                              losses.sparse_categorical_crossentropy,
                                              "sparse_categorical_crossentropy",
                                              (("from_logits", False), ("ignore_class", None),
                                               ("axis", -1)))


class RootMeanSquaredError(Mean):
    """sqrt of the (weighted) mean of the squared errors."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self._cast(y_true), self._cast(y_pred)
        y_pred, y_true, _ = squeeze_or_expand_dimensions(y_pred, y_true)
        return super().update_state(_core.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return _core.sqrt(super().result())
