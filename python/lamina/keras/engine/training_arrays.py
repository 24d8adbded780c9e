"""In-memory input for fit / evaluate / predict: NumPy arrays, tensors, lists and dicts of them,
cut into (x, y, sample_weight) batches the way tf.keras's array adapter cuts them (float64
arrays become floatx, class_weight becomes per-sample weights)."""
import numpy as np

from lamina import _core
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


def _to_tensor(a):
    if a is None:
        return None
    if isinstance(a, dict):
        return {k: _to_tensor(v) for k, v in a.items()}
    if isinstance(a, list):
        return [_to_tensor(v) for v in a]
    if isinstance(a, np.ndarray) and a.dtype == np.float64:
        a = a.astype(backend.floatx())
    return _core.convert_to_tensor(a)


def _take(x, idx):
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _take(v, idx) for k, v in x.items()}
    if isinstance(x, list):
        return [_take(v, idx) for v in x]
    return x[idx]


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


class ArrayData:
    """x / y / sample_weight held in memory, batched per epoch (shuffled when asked)."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 class_weight=None, steps=None):
        for what, v in (("x", x), ("y", y)):
            if v is not None and not isinstance(v, (np.ndarray, list, tuple, dict)) and \
                    not hasattr(v, "shape") and hasattr(v, "__iter__"):
                raise NotImplementedError(f"fit/evaluate/predict: `{what}` of type "
                                          f"{type(v).__name__} (a dataset, generator or "
                                          f"iterator) is not supported yet; pass arrays or "
                                          f"tensors")
        self.x, self.y = _as_numpy(x), _as_numpy(y)
        self.sample_weight = _as_numpy(sample_weight)
        if class_weight is not None:
            if self.y is None:
                raise ValueError("`class_weight` needs targets `y`")
            self.sample_weight = class_weights_to_sample_weights(class_weight, self.y,
                                                                 self.sample_weight)
        self.n = num_samples(self.x)
        for what, v in (("y", self.y), ("sample_weight", self.sample_weight)):
            if v is not None and num_samples(v) != self.n:
                raise ValueError(f"Data cardinality is ambiguous: x sizes: {self.n}, {what} "
                                 f"sizes: {num_samples(v)}. Make sure all arrays contain the "
                                 f"same number of samples.")
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or
                                       batch_size <= 0):
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = int(batch_size or 32)
        self.shuffle = shuffle
        self.steps = steps

    def split(self, validation_split):
        """(x, y, sample_weight) of the last validation_split fraction; keep the rest."""
        if not 0.0 < validation_split < 1.0:
            raise ValueError(f"`validation_split` must be in [0, 1), got {validation_split}")
        cut = int(np.floor(self.n * (1.0 - validation_split)))
        if cut == 0 or cut == self.n:
            raise ValueError(f"Training data contains {self.n} samples, which is not "
                             f"sufficient to split it into a validation and training set as "
                             f"specified by `validation_split={validation_split}`.")
        val = tuple(_take(a, slice(cut, self.n)) for a in (self.x, self.y, self.sample_weight))
        self.x, self.y, self.sample_weight = (_take(a, slice(0, cut)) for a in
                                              (self.x, self.y, self.sample_weight))
        self.n = cut
        return val

    @property
    def steps_per_epoch(self):
        if self.steps is not None:
            return int(self.steps)
        return int(np.ceil(self.n / self.batch_size))

    def batches(self):
        """One epoch of packed batches, as tensors."""
        if self.shuffle == "batch":
            starts = np.random.permutation(np.arange(0, self.n, self.batch_size))
            order = np.concatenate([np.random.permutation(np.arange(s, min(s + self.batch_size,
                                                                           self.n)))
                                    for s in starts]) if self.n else np.arange(0)
        elif self.shuffle:
            order = np.random.permutation(self.n)
        else:
            order = np.arange(self.n)
        for step in range(self.steps_per_epoch):
            start = (step * self.batch_size) % max(self.n, 1)
            idx = order[start:start + self.batch_size]
            yield pack_x_y_sample_weight(_to_tensor(_take(self.x, idx)),
                                         _to_tensor(_take(self.y, idx)),
                                         _to_tensor(_take(self.sample_weight, idx)))


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
