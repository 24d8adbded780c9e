"""What fit/evaluate/predict iterate: x/y/sample_weight arrays, a tf.data Dataset, a Python generator
or a keras.utils.Sequence, turned into per-epoch iterators of batches as tf.keras 2's DataHandler
does it:

- arrays: batches of batch_size (32 by default), reshuffled every epoch when shuffle=True;
- a Dataset: one pass per epoch (a fresh iterator each time); a repeat-forever dataset needs
  steps_per_epoch;
- a generator: read on and on (it cannot be restarted);
- a Sequence: its len() batches per epoch in order (or shuffled), on_epoch_end after each epoch.

When steps_per_epoch is given and differs from the size of one pass, the iterator is not
restarted between epochs: epochs continue where the last one stopped, and if the data runs out,
training stops with tf.keras's warning. Batches are tuples (x, y) / (x, y, sample_weight) or x
alone, of lamina tensors (float64 arrays become floatx, as tf.keras's array adapter does)."""
import logging
import math
import types

import numpy as np

from lamina import _core
from lamina.keras import backend

_log = logging.getLogger("lamina")


# tf.keras's names for packing a batch (train_step unpacks with the same function)
from lamina.keras.engine.training_arrays import (  # noqa: E402
    pack_x_y_sample_weight, unpack_x_y_sample_weight, class_weights_to_sample_weights,
    num_samples, _as_numpy)


def _map(fn, x):
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _map(fn, v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_map(fn, v) for v in x) if not hasattr(x, "_fields") else \
            type(x)(*(_map(fn, v) for v in x))
    return fn(x)


def _leaves(x):
    if x is None:
        return []
    if isinstance(x, dict):
        return [l for v in x.values() for l in _leaves(v)]
    if isinstance(x, (list, tuple)):
        return [l for v in x for l in _leaves(v)]
    return [x]


def _to_tensor(v):
    if isinstance(v, np.ndarray) and v.dtype == np.float64:
        v = v.astype(backend.floatx())
    if isinstance(v, np.ndarray) and v.dtype.kind in "SUO":
        return v
    return _core.convert_to_tensor(v) if not _core.is_tensor(v) and not \
        hasattr(v, "read_value") else v


def to_tensors(batch):
    return _map(_to_tensor, batch)


def _fresh_to_tensor(a):
    """A batch array made for this step (a gather or a copy nobody else holds) becomes a tensor
    without a second copy: lamina takes its memory over DLPack (convert_to_tensor copies)."""
    if a.dtype == np.float64:
        a = a.astype(backend.floatx())
    if a.dtype.kind in "fb" or a.dtype in (np.int32, np.int64):
        try:
            return _core.from_dlpack(a)
        except (TypeError, ValueError, BufferError, RuntimeError):
            pass
    return _to_tensor(a)


def _as_array(v):
    if isinstance(v, np.ndarray):
        return v
    return np.asarray(v)


def _is_array_like(x):
    return all(isinstance(l, (np.ndarray, list, float, int)) or _core.is_tensor(l)
               or hasattr(l, "__array__") for l in _leaves(x)) and bool(_leaves(x))


def _is_dataset(x):
    from lamina.data import Dataset
    return isinstance(x, Dataset)


def _is_sequence(x):
    from lamina.keras.data_utils import Sequence
    return isinstance(x, Sequence)


def _is_generator(x):
    return isinstance(x, types.GeneratorType) or (hasattr(x, "__next__") and
                                                  hasattr(x, "__iter__"))


def _with_class_weight(batch, class_weight):
    if not class_weight:
        return batch
    x, y, sw = unpack_x_y_sample_weight(batch)
    if y is None:
        raise ValueError("`class_weight` needs targets `y`.")
    w = class_weights_to_sample_weights(class_weight, _map(np.asarray, y),
                                        None if sw is None else np.asarray(sw))
    return (x, y, _core.convert_to_tensor(w))


# ---- adapters: one per kind of input -------------------------------------------------------------
class _ArrayAdapter:
    def __init__(self, x, y, sample_weight, batch_size, shuffle, epochs):
        # lists of numbers become arrays, lists of arrays stay inputs (training_arrays's rule)
        x, y, sample_weight = (_as_numpy(v) for v in (x, y, sample_weight))
        if any(a.ndim == 0 for a in _leaves((x, y, sample_weight))):
            raise ValueError("fit/evaluate/predict: every input array needs a batch dimension; "
                             "got a scalar")
        self.num_samples = num_samples(x)
        for what, v in (("y", y), ("sample_weight", sample_weight)):
            if v is not None and num_samples(v) != self.num_samples:
                raise ValueError(f"Data cardinality is ambiguous: x sizes: {self.num_samples}, "
                                 f"{what} sizes: {num_samples(v)}. Make sure all arrays contain "
                                 f"the same number of samples.")
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or
                                       batch_size <= 0):
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = batch_size or 32
        self._data = (x, y, sample_weight)
        self._shuffle = shuffle
        self._epochs = epochs

    def size(self):
        return math.ceil(self.num_samples / self.batch_size)

    def _one_epoch(self):
        n, bs = self.num_samples, self.batch_size
        x, y, sw = self._data
        if self._shuffle and self._shuffle != "batch":
            order = np.random.permutation(n)
        else:
            order = None
        starts = np.arange(0, n, bs)
        if self._shuffle == "batch":
            np.random.shuffle(starts)
        for s in starts:
            if order is None:
                pick = (lambda a: _fresh_to_tensor(a[s:s + bs].copy()))
            else:
                idx = order[s:s + bs]
                pick = (lambda a: _fresh_to_tensor(a[idx]))
            yield pack_x_y_sample_weight(_map(pick, x), _map(pick, y), _map(pick, sw))

    def iterator(self, all_epochs):
        if not all_epochs:
            return self._one_epoch()
        return (b for _ in range(self._epochs) for b in self._one_epoch())

    def on_epoch_end(self):
        pass


class _DatasetAdapter:
    def __init__(self, dataset):
        self._ds = dataset

    def size(self):
        n = self._ds._cardinality()
        return n if n >= 0 else (math.inf if n == -1 else None)

    def iterator(self, all_epochs):
        return iter(self._ds)

    def on_epoch_end(self):
        pass


class _GeneratorAdapter:
    def __init__(self, generator):
        self._gen = generator

    def size(self):
        return None

    def iterator(self, all_epochs):
        return (to_tensors(b) for b in self._gen)

    def on_epoch_end(self):
        pass


class _SequenceAdapter:
    def __init__(self, seq, shuffle):
        self._seq = seq
        self._shuffle = shuffle

    def size(self):
        return len(self._seq)

    def _one_epoch(self):
        order = np.arange(len(self._seq))
        if self._shuffle:
            np.random.shuffle(order)
        for i in order:
            yield to_tensors(self._seq[int(i)])

    def iterator(self, all_epochs):
        if not all_epochs:
            return self._one_epoch()

        def forever():
            while True:
                yield from self._one_epoch()
        return forever()

    def on_epoch_end(self):
        self._seq.on_epoch_end()


def _adapter(x, y, sample_weight, batch_size, shuffle, epochs):
    if _is_dataset(x) or _is_generator(x) or _is_sequence(x):
        kind = "dataset" if _is_dataset(x) else "a generator" if _is_generator(x) else \
            "a keras.utils.Sequence"
        if y is not None:
            raise ValueError(f"`y` argument is not supported when using {kind} as input.")
        if sample_weight is not None:
            raise ValueError(f"`sample_weight` argument is not supported when using {kind} as "
                             f"input.")
        if _is_dataset(x):
            return _DatasetAdapter(x)
        if _is_sequence(x):
            return _SequenceAdapter(x, shuffle)
        return _GeneratorAdapter(x)
    if x is None:
        raise ValueError("Expected input data `x`; got None.")
    if not _is_array_like(x):
        raise ValueError(f"Failed to find data adapter that can handle input: "
                         f"{type(x)}, {type(y)}")
    return _ArrayAdapter(x, y, sample_weight, batch_size, shuffle, epochs)


class DataHandler:
    """Epochs and steps over one input, as the fit/evaluate/predict loops use them:

        for epoch, iterator in handler.enumerate_epochs():
            for step in handler.steps():
                batch = handler.next_batch(iterator)   # None: the data ran out
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 initial_epoch=0, epochs=1, shuffle=False, class_weight=None, model=None,
                 **unused):
        if steps_per_epoch is not None and steps_per_epoch != -1 and int(steps_per_epoch) < 1:
            raise ValueError(f"steps_per_epoch must be a positive integer or None, got "
                             f"{steps_per_epoch}")
        if steps_per_epoch == -1:
            steps_per_epoch = None
        self._initial_epoch = initial_epoch
        self._epochs = epochs
        self._class_weight = class_weight
        self._adapter = _adapter(x, y, sample_weight, batch_size, shuffle,
                                 max(epochs - initial_epoch, 1))
        self._user_steps = None if steps_per_epoch is None else int(steps_per_epoch)
        size = self._adapter.size()
        if size == math.inf and self._user_steps is None:
            raise ValueError("When providing an infinite dataset, you must specify the number of "
                             "steps to run (if you did not intend to create an infinite dataset, "
                             "make sure to not call `repeat()` on the dataset).")
        self._size = size
        self._inferred_steps = self._user_steps if self._user_steps is not None else size
        # A fresh iterator every epoch unless the epochs are cut from one stream
        self._recreate = self._user_steps is None or self._user_steps == size
        self._insufficient_data = False
        self._current_step = 0

    @property
    def inferred_steps(self):
        return self._inferred_steps

    @property
    def batch_size(self):
        return getattr(self._adapter, "batch_size", None)

    def enumerate_epochs(self):
        iterator = None if self._recreate else self._adapter.iterator(all_epochs=True)
        for epoch in range(self._initial_epoch, self._epochs):
            if self._insufficient_data:
                break
            if self._recreate or iterator is None:
                iterator = self._adapter.iterator(all_epochs=False)
            self._current_step = 0
            yield epoch, iterator
            self._adapter.on_epoch_end()

    def steps(self):
        step = 0
        while self._inferred_steps is None or step < self._inferred_steps:
            if self._insufficient_data:
                return
            yield step
            step += 1

    def next_batch(self, iterator):
        """The next batch, or None when the data ran out (which ends the epoch; where more
        steps were expected it sets the flag that ends training, with tf.keras's warning)."""
        try:
            batch = next(iterator)
        except StopIteration:
            if self._inferred_steps is None:
                self._inferred_steps = self._current_step
            else:
                self._insufficient_data = True
                total = self._inferred_steps * (self._epochs - self._initial_epoch)
                _log.warning(f"Your input ran out of data; interrupting training. Make sure that "
                             f"your dataset or generator can generate at least `steps_per_epoch "
                             f"* epochs` batches (in this case, {total} batches). You may need "
                             f"to use the repeat() function when building your dataset.")
            return None
        self._current_step += 1
        return _with_class_weight(batch, self._class_weight)


def train_validation_split(arrays, validation_split):
    """Splits arrays (x, y, sample_weight; None kept) at int((1 - split) * n) samples."""
    leaves = _leaves(arrays)
    if not all(isinstance(a, np.ndarray) or _core.is_tensor(a) for a in leaves):
        kinds = sorted({str(type(a)) for a in leaves if not isinstance(a, np.ndarray)})
        raise ValueError(f"`validation_split` is only supported for Tensors or NumPy arrays, "
                         f"found following types in the input: {kinds}")
    n = int(_as_array(leaves[0]).shape[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to split "
                         f"it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`. Either provide more data, or a "
                         f"different value for the `validation_split` argument.")
    train = _map(lambda a: _as_array(a)[:split_at], arrays)
    val = _map(lambda a: _as_array(a)[split_at:], arrays)
    return train, val


def is_iterator_input(x):
    """A Dataset, generator or Sequence (as opposed to arrays)."""
    return _is_dataset(x) or _is_generator(x) or _is_sequence(x)
