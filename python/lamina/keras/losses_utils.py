"""How tf.keras 2 lines targets, predictions and sample weights up before a loss or a metric
(squeeze_or_expand_dimensions), applies masks, and reduces weighted losses (ReductionV2)."""
from lamina import _core


class ReductionV2:
    """tf.keras.losses.Reduction: how a Loss reduces its per-sample values."""
    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f'Invalid Reduction Key: {key}. Expected keys are "{cls.all()}"')


def _t(x):
    return _core.convert_to_tensor(x)


def remove_squeezable_dimensions(labels, predictions):
    """Squeeze the last dimension (of size 1) of whichever has one more dimension."""
    diff = predictions.ndim - labels.ndim
    if diff == 1 and predictions.shape[-1] == 1:
        predictions = _core.squeeze(predictions, axis=-1)
    elif diff == -1 and labels.shape[-1] == 1:
        labels = _core.squeeze(labels, axis=-1)
    return labels, predictions


def _squeeze_last(w):
    if w.shape[-1] != 1:
        raise ValueError(f"Can not squeeze dim[-1] of sample_weight, expected a dimension of 1, "
                         f"got {w.shape[-1]} for sample_weight of shape {tuple(w.shape)}")
    return _core.squeeze(w, axis=-1)


def squeeze_or_expand_dimensions(y_pred, y_true=None, sample_weight=None):
    """tf.keras's rule: a target with one dimension less than the prediction, or a prediction
    ending in 1, loses its size-1 last dimension; a sample weight with one dimension more or less
    than the prediction is squeezed or expanded at the end."""
    pred_rank = y_pred.ndim   # the weight is matched to the rank before any squeeze
    if y_true is not None:
        if y_pred.ndim - y_true.ndim != 1 or y_pred.shape[-1] == 1:
            y_true, y_pred = remove_squeezable_dimensions(y_true, y_pred)
    if sample_weight is None:
        return y_pred, y_true, None
    if sample_weight.ndim == 0:
        return y_pred, y_true, sample_weight
    if sample_weight.ndim - pred_rank == 1:
        sample_weight = _squeeze_last(sample_weight)
    elif pred_rank - sample_weight.ndim == 1:
        sample_weight = _core.expand_dims(sample_weight, -1)
    return y_pred, y_true, sample_weight


def get_mask(y_p):
    return getattr(y_p, "_keras_mask", None)


def apply_mask(y_p, sw, mask):
    """The sample weight times the mask (the mask alone when there is no weight)."""
    if mask is None:
        return sw
    mask = _core.cast(_t(mask), y_p.dtype)
    if sw is None:
        return mask
    sw = _core.cast(_t(sw), mask.dtype)
    mask, _, sw = squeeze_or_expand_dimensions(mask, sample_weight=sw)
    return sw * mask


def apply_valid_mask(losses, sw, mask, reduction):
    """Under a mean reduction, a masked loss is the mean over the valid entries."""
    if mask is None:
        return sw
    mask = _core.cast(_t(mask), losses.dtype)
    if reduction in (ReductionV2.AUTO, ReductionV2.SUM_OVER_BATCH_SIZE):
        total = _core.reduce_sum(mask)
        n = 1
        for d in mask.shape.as_list():
            n *= d
        mask = mask * (float(n) / total)
    return apply_mask(losses, sw, mask)


def num_elements(x):
    n = 1
    for d in x.shape.as_list():
        n *= d
    return n


def reduce_weighted_loss(weighted, reduction):
    if reduction == ReductionV2.NONE:
        return weighted
    total = _core.reduce_sum(weighted)
    if reduction == ReductionV2.SUM:
        return total
    n = num_elements(weighted)
    return total / float(n) if n else total * 0.0


def compute_weighted_loss(losses, sample_weight=None, reduction=ReductionV2.SUM_OVER_BATCH_SIZE):
    ReductionV2.validate(reduction)
    if reduction == ReductionV2.AUTO:
        reduction = ReductionV2.SUM_OVER_BATCH_SIZE
    losses = _t(losses)
    if not losses.dtype.is_floating:
        losses = _core.cast(losses, "float32")
    if sample_weight is None:
        return reduce_weighted_loss(losses, reduction)
    sample_weight = _core.cast(_t(sample_weight), losses.dtype)
    losses, _, sample_weight = squeeze_or_expand_dimensions(losses, None, sample_weight)
    try:
        weighted = losses * sample_weight
    except ValueError as e:
        raise ValueError(f"sample_weight of shape {tuple(sample_weight.shape)} does not "
                         f"broadcast to the losses of shape {tuple(losses.shape)}: {e}") from None
    return reduce_weighted_loss(weighted, reduction)


def cast_losses_to_common_dtype(losses):
    """Cast every loss to the widest floating dtype among them (tf.keras's rule)."""
    dts = [l.dtype for l in losses]
    if not dts:
        return losses
    widest = max((d for d in dts if d.is_floating), key=lambda d: d.size, default=None)
    if widest is None:
        return losses
    return [l if l.dtype == widest else _core.cast(l, widest) for l in losses]
