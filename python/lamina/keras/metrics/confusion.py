"""Confusion-matrix metrics: TruePositives/FalsePositives/TrueNegatives/FalseNegatives,
Precision, Recall, AUC (ROC / PR) and MeanIoU. Their state is counts, not gradients, so the
update is NumPy on the batch, in the metric's dtype, following tf.keras's metrics_utils."""
import numpy as np

from lamina import _core
from lamina.keras import backend
from lamina.keras.losses_utils import squeeze_or_expand_dimensions
from lamina.keras.metrics.base import Metric

NEG_INF = -1e10


def _parse_thresholds(thresholds, default=0.5):
    if thresholds is None:
        return [default]
    if isinstance(thresholds, (list, tuple, np.ndarray)):
        ths = [float(t) for t in thresholds]
    else:
        ths = [float(thresholds)]
    for t in ths:
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {thresholds}")
    return ths


def _aligned(metric, y_true, y_pred, sample_weight):
    """y_true, y_pred (and the weight) as NumPy arrays in the metric's dtype, lined up with
    tf.keras's squeeze_or_expand_dimensions."""
    y_true, y_pred = metric._cast(y_true), metric._cast(y_pred)
    sw = None if sample_weight is None else metric._cast(sample_weight)
    y_pred, y_true, sw = squeeze_or_expand_dimensions(y_pred, y_true, sw)
    yp, yt = y_pred.numpy(), y_true.numpy()
    if yp.shape != yt.shape:
        raise ValueError(f"Shapes {yt.shape} (y_true) and {yp.shape} (y_pred) are incompatible")
    return yt, yp, None if sw is None else sw.numpy()


def _check_range(yp):
    if yp.size and (np.nanmin(yp) < 0 or np.nanmax(yp) > 1):
        raise ValueError(f"predictions must be in the range [0, 1]; got values from "
                         f"{np.nanmin(yp)} to {np.nanmax(yp)}")


def _weights(sw, yp):
    if sw is None:
        return np.ones_like(yp)
    try:
        return np.broadcast_to(sw, yp.shape).astype(yp.dtype)
    except ValueError:
        raise ValueError(f"sample_weight of shape {np.shape(sw)} does not broadcast to the "
                         f"predictions of shape {yp.shape}") from None


def _filter_top_k(yp, k):
    idx = np.argsort(-yp, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(yp.shape, bool)
    np.put_along_axis(keep, idx, True, axis=-1)
    return np.where(keep, yp, NEG_INF).astype(yp.dtype)


def confusion_counts(yt, yp, w, thresholds):
    """{tp, fp, tn, fn}: one count per threshold (a prediction is positive when > threshold)."""
    yt, yp, w = yt.reshape(-1), yp.reshape(-1), w.reshape(-1)
    pos = yt != 0
    pred = yp[None, :] > np.asarray(thresholds, yp.dtype)[:, None]
    wt = w[None, :]
    return {"tp": ((pred & pos) * wt).sum(1), "fp": ((pred & ~pos) * wt).sum(1),
            "tn": ((~pred & ~pos) * wt).sum(1), "fn": ((~pred & pos) * wt).sum(1)}


def bucket_counts(yt, yp, w, num_thresholds):
    """tf.keras's evenly-spaced-thresholds update (AUC): predictions fall into buckets and the
    counts are reverse cumulative sums. yt, yp, w: (N, L); returns (T, L) arrays."""
    yp = np.clip(yp, 0.0, 1.0)
    pos = (yt != 0).astype(yp.dtype)
    true_l, false_l = pos * w, (1.0 - pos) * w
    b = np.maximum(np.ceil(yp * np.asarray(num_thresholds - 1, yp.dtype)) - 1, 0).astype(np.int64)
    L = yp.shape[1]
    tp = np.zeros((num_thresholds, L), yp.dtype)
    fp = np.zeros((num_thresholds, L), yp.dtype)
    for j in range(L):
        tp[:, j] = np.bincount(b[:, j], true_l[:, j], minlength=num_thresholds)
        fp[:, j] = np.bincount(b[:, j], false_l[:, j], minlength=num_thresholds)
    tp = np.cumsum(tp[::-1], axis=0)[::-1]
    fp = np.cumsum(fp[::-1], axis=0)[::-1]
    return {"tp": tp, "fp": fp, "tn": false_l.sum(0) - fp, "fn": true_l.sum(0) - tp}


class _ThresholdMetric(Metric):
    """Shared by the confusion metrics: thresholds, top_k, class_id, and the count update."""
    _counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = NEG_INF if top_k is not None else 0.5
        self.thresholds = _parse_thresholds(thresholds, default)
        n = len(self.thresholds)
        for key, var in self._counts:
            setattr(self, var, self.add_weight(var, shape=(n,), initializer="zeros"))

    def update_state(self, y_true, y_pred, sample_weight=None):
        yt, yp, sw = _aligned(self, y_true, y_pred, sample_weight)
        _check_range(yp)
        w = _weights(sw, yp)
        if self.top_k is not None:
            yp = _filter_top_k(yp, self.top_k)
        if self.class_id is not None:
            yt, yp, w = yt[..., self.class_id], yp[..., self.class_id], w[..., self.class_id]
        counts = confusion_counts(yt, yp, w, self.thresholds)
        for key, var in self._counts:
            v = getattr(self, var)
            v.assign_add(_core.constant(counts[key].astype(v.dtype.name)))

    def _one(self, x):
        return x[0] if len(self.thresholds) == 1 else x

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


def _div_no_nan(a, b):
    return _core.where(_core.equal(b, 0.0), _core.zeros_like(a),
                       a / _core.where(_core.equal(b, 0.0), _core.ones_like(b), b))


def _count_class(cls_name, key, var_name, default_name):
    class Count(_ThresholdMetric):
        _counts = ((key, "accumulator"),)

        def __init__(self, thresholds=None, name=None, dtype=None):
            super().__init__(thresholds=thresholds, name=name, dtype=dtype)

        def result(self):
            return _core.identity(self._one(self.accumulator.value()))

        def get_config(self):
            return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}
    Count.__name__ = Count.__qualname__ = cls_name
    Count.__module__ = "lamina.keras.metrics"
    Count.__doc__ = f"The weighted count of {default_name.replace('_', ' ')}."
    return Count


TruePositives = _count_class("TruePositives", "tp", "accumulator", "true_positives")
FalsePositives = _count_class("FalsePositives", "fp", "accumulator", "false_positives")
TrueNegatives = _count_class("TrueNegatives", "tn", "accumulator", "true_negatives")
FalseNegatives = _count_class("FalseNegatives", "fn", "accumulator", "false_negatives")


class Precision(_ThresholdMetric):
    """true_positives / (true_positives + false_positives)."""
    _counts = (("tp", "true_positives"), ("fp", "false_positives"))

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        tp, fp = self.true_positives.value(), self.false_positives.value()
        return self._one(_div_no_nan(tp, tp + fp))


class Recall(_ThresholdMetric):
    """true_positives / (true_positives + false_negatives)."""
    _counts = (("tp", "true_positives"), ("fn", "false_negatives"))

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        tp, fn = self.true_positives.value(), self.false_negatives.value()
        return self._one(_div_no_nan(tp, tp + fn))


class AUC(Metric):
    """Area under the ROC or PR curve, from counts at num_thresholds thresholds."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)   # None: auc, auc_1, ...
        curve = str(curve).upper()
        if curve == "PR_GAIN":
            raise NotImplementedError("AUC(curve='PR_GAIN') is not implemented in lamina")
        if curve not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                             f'["ROC", "PR"]')
        summation_method = str(summation_method).lower()
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             f'Expected values are ["interpolation", "majoring", "minoring"]')
        self.curve, self.summation_method = curve, summation_method
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            ths = sorted(_parse_thresholds(thresholds))
            spacing = np.linspace(0, 1, self.num_thresholds)[1:-1]
            self._evenly = bool(np.allclose(ths, spacing, atol=backend.epsilon()))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            ths = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        eps = backend.epsilon()
        self._thresholds = np.array([0.0 - eps] + ths + [1.0 + eps])
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights,
                                                                           np.float32)
        self._from_logits = from_logits
        self._built = False
        if not multi_label or num_labels:
            self._build(num_labels if multi_label else None)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds,
                                                                    num_labels)
        self.num_labels = num_labels if self.multi_label else None
        for var in ("true_positives", "true_negatives", "false_positives", "false_negatives"):
            setattr(self, var, self.add_weight(var, shape=shape, initializer="zeros"))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        yt, yp, sw = _aligned(self, y_true, y_pred, sample_weight)
        if self._from_logits:
            yp = (1.0 / (1.0 + np.exp(-yp))).astype(yp.dtype)
        _check_range(yp)
        if self.multi_label and not self._built:
            self._build(yp.shape[-1])
        w = _weights(sw, yp)
        if self.multi_label:
            L = yp.shape[-1]
            yt, yp, w = yt.reshape(-1, L), yp.reshape(-1, L), w.reshape(-1, L)
        else:
            yt, yp, w = yt.reshape(-1, 1), yp.reshape(-1, 1), w.reshape(-1, 1)
            if self.label_weights is not None:
                w = w * self.label_weights.reshape(1, -1).mean()
        if self._evenly:
            c = bucket_counts(yt, yp, w, self.num_thresholds)
        else:
            c = {k: np.stack([confusion_counts(yt[:, j], yp[:, j], w[:, j],
                                               self._thresholds)[k]
                              for j in range(yt.shape[1])], axis=1)
                 for k in ("tp", "fp", "tn", "fn")}
        for key, var in (("tp", "true_positives"), ("fp", "false_positives"),
                         ("tn", "true_negatives"), ("fn", "false_negatives")):
            v = getattr(self, var)
            val = c[key] if self.multi_label else c[key][:, 0]
            v.assign_add(_core.constant(np.asarray(val, dtype=v.dtype.name)))

    def _by_label(self, per_label):
        if not self.multi_label:
            return float(per_label)
        if self.label_weights is None:
            return float(np.mean(per_label))
        lw = self.label_weights
        return float(np.sum(per_label * lw) / np.sum(lw)) if np.sum(lw) else 0.0

    def result(self):
        if not self._built:
            return _core.constant(0.0, dtype=self.dtype)
        dt = np.dtype(self.dtype)
        tp, fp = self.true_positives.numpy().astype(dt), self.false_positives.numpy().astype(dt)
        tn, fn = self.true_negatives.numpy().astype(dt), self.false_negatives.numpy().astype(dt)
        n = self.num_thresholds

        def div(a, b):
            return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b)).astype(dt)
        if self.curve == "PR" and self.summation_method == "interpolation":
            dtp = tp[:n - 1] - tp[1:]
            p = tp + fp
            dp = p[:n - 1] - p[1:]
            slope = div(dtp, np.maximum(dp, 0))
            intercept = tp[1:] - slope * p[1:]
            both = (p[:n - 1] > 0) & (p[1:] > 0)
            ratio = np.where(both, div(p[:n - 1], np.maximum(p[1:], 0)), 1.0).astype(dt)
            inc = div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
            return _core.constant(np.asarray(self._by_label(inc.sum(0)), dtype=dt))
        recall = div(tp, tp + fn)
        if self.curve == "ROC":
            x, y = div(fp, fp + tn), recall
        else:
            x, y = recall, div(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:n - 1], y[1:])
        else:
            heights = np.maximum(y[:n - 1], y[1:])
        area = ((x[:n - 1] - x[1:]) * heights).sum(0)
        return _core.constant(np.asarray(self._by_label(area), dtype=dt))

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None
                  else self.label_weights.tolist(), "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self._thresholds[1:-1]]
        return config


class MeanIoU(Metric):
    """The mean over classes of intersection / union, from a confusion matrix."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_weight("total_confusion_matrix",
                                        shape=(num_classes, num_classes), initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        yt, yp = _core.convert_to_tensor(y_true), _core.convert_to_tensor(y_pred)
        if not self.sparse_y_pred:
            yp = _core.argmax(yp, axis=self.axis)
        if not self.sparse_y_true:
            yt = _core.argmax(yt, axis=self.axis)
        dt = np.dtype(self.dtype)
        yt = yt.numpy().astype(dt).reshape(-1).astype(np.int64)
        yp = yp.numpy().astype(dt).reshape(-1).astype(np.int64)
        w = np.ones(yt.shape, dt) if sample_weight is None else \
            np.asarray(_core.convert_to_tensor(sample_weight).numpy(), dt).reshape(-1)
        if w.shape != yt.shape:
            w = np.broadcast_to(w, yt.shape)
        if self.ignore_class is not None:
            keep = yt != self.ignore_class
            yt, yp, w = yt[keep], yp[keep], w[keep]
        k = self.num_classes
        for name, v in (("labels", yt), ("predictions", yp)):
            if v.size and (v.min() < 0 or v.max() >= k):
                raise ValueError(f"MeanIoU: `{name}` out of bound: values must be in "
                                 f"[0, {k}), got {sorted(set(v[(v < 0) | (v >= k)].tolist()))}")
        cm = np.zeros((k, k), np.float64)
        np.add.at(cm, (yt, yp), w)
        self.total_cm.assign_add(_core.constant(cm.astype(dt)))

    def result(self):
        cm = self.total_cm.numpy().astype(np.dtype(self.dtype))
        pred_sum, true_sum, tp = cm.sum(0), cm.sum(1), np.diag(cm)
        denom = pred_sum + true_sum - tp
        valid = np.count_nonzero(denom)
        iou = np.where(denom == 0, 0.0, tp / np.where(denom == 0, 1, denom))
        return _core.constant(np.asarray(iou.sum() / valid if valid else 0.0,
                                         dtype=self.dtype))

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}
