"""Helpers for in-memory input (NumPy arrays, tensors, lists and dicts of them) and for logs:
packing batches, counting samples, class weights as sample weights (data_adapter cuts the
batches)."""
import numpy as np

from lamina.keras import backend
from lamina.keras.engine.keras_tensor import flatten


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """(x,) / (x, y) / (x, y, sample_weight), as train_step receives them."""
    if y is None:
        if not isinstance(x, (list, tuple)):
            return x
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from what train_step received (y, sample_weight may be None)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data}")


def _as_numpy(x):
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _as_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and any(hasattr(v, "shape") for v in x):
        return [_as_numpy(v) for v in x]    # one array per input / output
    return np.asarray(x)


def num_samples(x):
    flat = flatten(x)
    if not flat:
        raise ValueError("No input data: `x` is empty")
    sizes = {int(np.shape(a)[0]) for a in flat if np.ndim(a)}
    if len(sizes) > 1:
        raise ValueError(f"Data cardinality is ambiguous: the arrays have different numbers of "
                         f"samples {sorted(sizes)}. Make sure all arrays contain the same number "
                         f"of samples.")
    return sizes.pop() if sizes else 1


def class_weights_to_sample_weights(class_weight, y, sample_weight):
    if isinstance(y, (dict, list)):
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    ids = sorted(class_weight.keys())
    if ids != list(range(len(ids))):
        raise ValueError(f"Expected `class_weight` to be a dict with keys from 0 to one less "
                         f"than the number of classes, found {class_weight}")
    table = np.asarray([class_weight[c] for c in ids], dtype=backend.floatx())
    y = np.asarray(y)
    if y.ndim >= 2:
        classes = np.argmax(y, axis=-1) if y.shape[-1] > 1 else \
            np.round(np.squeeze(y, -1)).astype(np.int64)
    else:
        classes = np.round(y).astype(np.int64)
    if classes.size and (classes.min() < 0 or classes.max() >= len(table)):
        raise ValueError(f"class_weight has weights for classes 0..{len(table) - 1} but the "
                         f"targets contain class {int(classes.max())}")
    cw = table[classes]
    if sample_weight is None:
        return cw
    sw = np.asarray(sample_weight, dtype=backend.floatx())
    sw = sw.reshape(sw.shape + (1,) * (cw.ndim - sw.ndim))
    return sw * cw


def to_python(logs):
    """tf.keras's sync_to_numpy_or_python_type: scalars become Python numbers."""
    out = {}
    for k, v in logs.items():
        if hasattr(v, "numpy"):
            v = v.numpy()
        out[k] = v.item() if np.ndim(v) == 0 and hasattr(v, "item") else v
    return out


def flatten_metrics_in_order(logs, metrics_names):
    results = [logs[n] for n in metrics_names if n in logs]
    results += [logs[k] for k in sorted(logs) if k not in metrics_names]
    return results[0] if len(results) == 1 else results
