"""Datasets made from other datasets: map, filter, batch, shuffle, repeat, take, ..."""
import itertools
import os
import secrets

import numpy as np

from lamina.data import structure as S
from lamina.data.dataset import Dataset, INFINITE, UNKNOWN, AUTOTUNE, _call
from lamina.tensor_shape import TensorShape
from lamina.tensor_spec import TensorSpec


class _OneInput(Dataset):
    """A dataset over one input, with its input's spec and cardinality unless it says otherwise."""

    def __init__(self, input_dataset):
        self._input = input_dataset

    def _cardinality(self):
        return self._input._cardinality()

    def _spec(self):
        return self._input.element_spec


class MapDataset(_OneInput):
    def __init__(self, input_dataset, map_func, num_parallel_calls=None):
        if not callable(map_func):
            raise TypeError(f"map: map_func must be callable, got {type(map_func).__name__}")
        if num_parallel_calls is not None and num_parallel_calls != AUTOTUNE \
                and num_parallel_calls < 1:
            raise ValueError(f"map: num_parallel_calls must be positive or tf.data.AUTOTUNE, "
                             f"got {num_parallel_calls}")
        self._input = input_dataset
        self._fn = map_func
        self._parallel = num_parallel_calls

    def _apply(self, elem):
        out = _call(self._fn, S.to_tensors(elem))
        if isinstance(out, list):
            out = tuple(out)    # tf.data takes a function's list result as a tuple
        return S.element_to_arrays(out)

    def _spec(self):
        # run the function on stand-in elements (unknown sizes as 2 and as 3): a dimension
        # that differs between the two results is unknown, as in a tf.function trace
        probes = [S.spec_probe(self._input.element_spec, k) for k in (2, 3)]
        outs = [self._apply(p) for p in probes]
        return S.map_struct(lambda a, b: TensorSpec(S.common_dims(a.shape, b.shape),
                                                    S.spec_of_array(a).dtype), outs[0], outs[1])

    def _iter(self):
        if self._parallel is None or self._parallel == 1:
            for e in self._input._iter():
                yield self._apply(e)
            return
        from lamina.data.threads import parallel_map
        workers = self._parallel if self._parallel != AUTOTUNE else min(os.cpu_count() or 1, 8)
        yield from parallel_map(self._apply, self._input._iter(), workers)


class FilterDataset(_OneInput):
    _cardinality = Dataset._cardinality      # unknown until iterated

    def __init__(self, input_dataset, predicate):
        self._input = input_dataset
        self._pred = predicate

    def _iter(self):
        for e in self._input._iter():
            keep = np.asarray(_call(self._pred, S.to_tensors(e)))
            if keep.shape != () or keep.dtype != np.bool_:
                raise ValueError(f"filter: the predicate must return a scalar bool tensor, got "
                                 f"dtype {keep.dtype} and shape {keep.shape}")
            if keep:
                yield e


class InterleaveDataset(_OneInput):
    """interleave (and flat_map, its cycle_length=1 case): map_func turns each element into a
    dataset; up to cycle_length of them are read in turn, block_length elements at a time."""

    _cardinality = Dataset._cardinality      # unknown until iterated

    def __init__(self, input_dataset, map_func, cycle_length, block_length):
        self._input = input_dataset
        self._fn = map_func
        if cycle_length is None or cycle_length == AUTOTUNE:
            cycle_length = os.cpu_count() or 1
        self._cycle = int(cycle_length)
        self._block = 1 if block_length is None else int(block_length)
        if self._cycle < 1 or self._block < 1:
            raise ValueError(f"interleave: cycle_length and block_length must be positive, got "
                             f"{self._cycle} and {self._block}")

    def _open(self, elem):
        ds = _call(self._fn, S.to_tensors(elem))
        if not isinstance(ds, Dataset):
            raise TypeError(f"flat_map/interleave: map_func must return a Dataset, got "
                            f"{type(ds).__name__}")
        return ds

    def _spec(self):
        return self._open(S.spec_probe(self._input.element_spec, 1)).element_spec

    def _iter(self):
        source = self._input._iter()
        slots = []
        for e in itertools.islice(source, self._cycle):
            slots.append(self._open(e)._iter())
        i = 0
        while slots:
            it = slots[i]
            done = False
            for _ in range(self._block):
                try:
                    yield next(it)
                except StopIteration:
                    done = True
                    break
            if done:
                nxt = next(source, None)
                if nxt is None:
                    del slots[i]
                    if slots:
                        i %= len(slots)
                    continue
                slots[i] = self._open(nxt)._iter()
                continue
            i = (i + 1) % len(slots)


class BatchDataset(_OneInput):
    def __init__(self, input_dataset, batch_size, drop_remainder, padded=False,
                 padded_shapes=None, padding_values=None):
        batch_size = int(np.asarray(batch_size))
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self._input = input_dataset
        self._size = batch_size
        self._drop = bool(drop_remainder)
        self._padded = padded
        self._shapes = padded_shapes
        self._values = padding_values

    def _cardinality(self):
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)

    def _spec(self):
        spec = self._input.element_spec
        n = self._size if self._drop else None
        if self._padded:
            shapes = self._shapes
            if shapes is None:
                shapes = S.map_struct(lambda s: [None] * s.shape.rank, spec)
            flat = S._leaf_shapes(shapes, spec)
            spec = S.pack_like(spec, [TensorSpec(TensorShape(sh), s.dtype)
                                      for sh, s in zip(flat, S.leaves(spec))])
        return S.with_batch_dim(spec, n)

    def _iter(self):
        size, drop = self._size, self._drop
        if not self._padded and hasattr(self._input, "_iter_batches"):
            yield from self._input._iter_batches(size, drop)
            return
        make = S.stack if not self._padded else \
            (lambda es: S.pad_stack(es, self._shapes, self._values))
        it = self._input._iter()
        while True:
            chunk = list(itertools.islice(it, size))
            if not chunk or (drop and len(chunk) < size):
                return
            yield make(chunk)


class UnbatchDataset(_OneInput):
    _cardinality = Dataset._cardinality      # unknown until iterated

    def __init__(self, input_dataset):
        self._input = input_dataset

    def _spec(self):
        return S.map_struct(lambda s: TensorSpec(s.shape[1:], s.dtype),
                            self._input.element_spec)

    def _iter(self):
        for e in self._input._iter():
            lengths = {a.shape[0] if a.ndim else None for a in S.leaves(e)}
            if None in lengths or len(lengths) != 1:
                raise ValueError(f"unbatch: every component needs the same first dimension; "
                                 f"got {sorted(lengths, key=str)}")
            for i in range(lengths.pop()):
                yield S.map_struct(lambda a: a[i], e)


class ShuffleDataset(_OneInput):
    """A buffer of buffer_size elements; each output is a uniformly chosen element of the buffer,
    whose place the next input element takes (tf.data's algorithm). With a seed (or a global
    seed set by tf.random.set_seed) the orders are reproducible; reshuffle_each_iteration=False
    repeats the first pass's order."""

    def __init__(self, input_dataset, buffer_size, seed, reshuffle):
        buffer_size = int(np.asarray(buffer_size))
        if buffer_size == AUTOTUNE:
            buffer_size = 1 << 20
        if buffer_size < 1:
            raise ValueError(f"shuffle: buffer_size must be positive, got {buffer_size}")
        from lamina import random as lrandom
        g = lrandom._global_seed
        if seed is None and g is None:
            self._seed = secrets.randbits(63)
        else:
            self._seed = hash((g, None if seed is None else int(seed))) & ((1 << 63) - 1)
        self._input = input_dataset
        self._buffer = buffer_size
        self._reshuffle = bool(reshuffle)
        self._passes = 0

    def _iter(self):
        rng = np.random.default_rng([self._seed, self._passes if self._reshuffle else 0])
        self._passes += 1
        src = self._input._iter()
        buf = list(itertools.islice(src, self._buffer))
        for e in src:
            i = int(rng.integers(len(buf)))
            yield buf[i]
            buf[i] = e
        while buf:
            i = int(rng.integers(len(buf)))
            buf[i], buf[-1] = buf[-1], buf[i]
            yield buf.pop()


class RepeatDataset(_OneInput):
    def __init__(self, input_dataset, count):
        self._input = input_dataset
        self._count = -1 if count is None else int(np.asarray(count))

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count < 0:
            return 0 if n == 0 else INFINITE
        if n < 0:
            return n
        return n * self._count

    def _iter(self):
        k = 0
        while self._count < 0 or k < self._count:
            empty = True
            for e in self._input._iter():
                empty = False
                yield e
            if empty:
                return      # repeating an empty dataset forever yields nothing, as in tf
            k += 1


class TakeDataset(_OneInput):
    def __init__(self, input_dataset, count):
        self._input = input_dataset
        self._count = int(np.asarray(count))

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == INFINITE:
            return self._count
        if n == UNKNOWN:
            return UNKNOWN
        return min(n, self._count)

    def _iter(self):
        it = self._input._iter()
        return it if self._count < 0 else itertools.islice(it, self._count)


class SkipDataset(_OneInput):
    def __init__(self, input_dataset, count):
        self._input = input_dataset
        self._count = int(np.asarray(count))

    def _cardinality(self):
        n = self._input._cardinality()
        if n < 0:
            return n
        return 0 if self._count < 0 else max(n - self._count, 0)

    def _iter(self):
        it = self._input._iter()
        if self._count < 0:
            for _ in it:
                pass
            return iter(())
        return itertools.islice(it, self._count, None)


class ShardDataset(_OneInput):
    def __init__(self, input_dataset, num_shards, index):
        num_shards, index = int(num_shards), int(index)
        if num_shards < 1 or not 0 <= index < num_shards:
            raise ValueError(f"shard: need num_shards >= 1 and 0 <= index < num_shards, got "
                             f"num_shards={num_shards}, index={index}")
        self._input, self._n, self._i = input_dataset, num_shards, index

    def _cardinality(self):
        n = self._input._cardinality()
        return n if n < 0 else n // self._n + (1 if n % self._n > self._i else 0)

    def _iter(self):
        return itertools.islice(self._input._iter(), self._i, None, self._n)


class ZipDataset(Dataset):
    """zip of a tuple (or dict) of datasets: elements side by side, as long as the shortest."""

    def __init__(self, datasets):
        for d in S.leaves(datasets):
            if not isinstance(d, Dataset):
                raise TypeError(f"zip: expected a (nested) tuple or dict of Datasets, got "
                                f"{type(d).__name__}")
        self._datasets = datasets

    def _cardinality(self):
        cards = [d._cardinality() for d in S.leaves(self._datasets)]
        finite = [c for c in cards if c >= 0]
        if finite:
            return min(finite)
        return UNKNOWN if UNKNOWN in cards else INFINITE

    def _spec(self):
        return S.map_struct(lambda d: d.element_spec, self._datasets)

    def _iter(self):
        its = [d._iter() for d in S.leaves(self._datasets)]
        for parts in zip(*its):
            yield S.pack_like(self._datasets, list(parts))


class ConcatenateDataset(Dataset):
    def __init__(self, first, second):
        if not isinstance(second, Dataset):
            raise TypeError(f"concatenate: expected a Dataset, got {type(second).__name__}")
        a, b = first.element_spec, second.element_spec
        if not S.same_structure(a, b) or any(x.dtype != y.dtype for x, y in
                                             zip(S.leaves(a), S.leaves(b))):
            raise TypeError(f"concatenate: the datasets have different element types: {a} and "
                            f"{b}")
        self._a, self._b = first, second

    def _cardinality(self):
        x, y = self._a._cardinality(), self._b._cardinality()
        if INFINITE in (x, y):
            return INFINITE
        if UNKNOWN in (x, y):
            return UNKNOWN
        return x + y

    def _spec(self):
        return S.map_struct(lambda x, y: TensorSpec(S.common_dims(x.shape, y.shape), x.dtype),
                            self._a.element_spec, self._b.element_spec)

    def _iter(self):
        yield from self._a._iter()
        yield from self._b._iter()


class CacheDataset(_OneInput):
    """cache(): the first complete pass is kept in memory; later passes replay it."""

    def __init__(self, input_dataset):
        self._input = input_dataset
        self._cache = None

    def _iter(self):
        if self._cache is not None:
            yield from self._cache
            return
        seen = []
        for e in self._input._iter():
            seen.append(e)
            yield e
        self._cache = seen


class ScanDataset(_OneInput):
    def __init__(self, input_dataset, initial_state, scan_func):
        self._input = input_dataset
        self._init = S.element_to_arrays(initial_state)
        self._fn = scan_func

    def _step(self, state, elem):
        out = self._fn(S.to_tensors(state), *(elem if isinstance(elem, tuple) and not
                                                hasattr(elem, "_fields") else (elem,)))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ValueError("scan: scan_func must return a pair (new_state, output_element)")
        new_state, value = out
        return S.element_to_arrays(new_state), S.element_to_arrays(
            tuple(value) if isinstance(value, list) else value)

    def _spec(self):
        _, value = self._step(self._init, S.spec_probe(self._input.element_spec, 1))
        return S.spec_of(value)

    def _iter(self):
        state = self._init
        for e in self._input._iter():
            state, value = self._step(state, e)
            yield value


class TakeWhileDataset(FilterDataset):
    def _iter(self):
        for e in self._input._iter():
            if not bool(np.asarray(_call(self._pred, S.to_tensors(e)))):
                return
            yield e


class UniqueDataset(_OneInput):
    _cardinality = Dataset._cardinality      # unknown until iterated

    def __init__(self, input_dataset):
        spec = input_dataset.element_spec
        if S.is_struct(spec) or spec.shape.rank != 0:
            raise TypeError("unique: the dataset's elements must be scalars (one component)")
        self._input = input_dataset

    def _iter(self):
        seen = set()
        for e in self._input._iter():
            key = np.asarray(e).item()
            if key not in seen:
                seen.add(key)
                yield e


def _rng(seed):
    from lamina import random as lrandom
    g = lrandom._global_seed
    if seed is None and g is None:
        return np.random.default_rng()
    return np.random.default_rng(hash((g, seed)) & ((1 << 63) - 1))


class SampleDataset(Dataset):
    def __init__(self, datasets, weights, seed, stop_on_empty):
        if not datasets:
            raise ValueError("sample_from_datasets: give at least one dataset")
        w = np.ones(len(datasets)) if weights is None else np.asarray(weights, np.float64)
        if w.shape != (len(datasets),) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"sample_from_datasets: weights must be {len(datasets)} "
                             f"non-negative numbers with a positive sum, got {weights}")
        self._datasets, self._w, self._seed = datasets, w / w.sum(), seed
        self._stop = stop_on_empty

    def _spec(self):
        return self._datasets[0].element_spec

    def _iter(self):
        rng = _rng(self._seed)
        its = [d._iter() for d in self._datasets]
        w = self._w.copy()
        while w.sum() > 0:
            i = int(rng.choice(len(its), p=w / w.sum()))
            try:
                yield next(its[i])
            except StopIteration:
                if self._stop:
                    return
                w[i] = 0


class ChooseDataset(Dataset):
    def __init__(self, datasets, choice_dataset, stop_on_empty):
        self._datasets, self._choice, self._stop = datasets, choice_dataset, stop_on_empty

    def _spec(self):
        return self._datasets[0].element_spec

    def _iter(self):
        its = [d._iter() for d in self._datasets]
        done = set()
        for c in self._choice._iter():
            i = int(np.asarray(c))
            if not 0 <= i < len(its):
                raise ValueError(f"choose_from_datasets: choice {i} is not an index of the "
                                 f"{len(its)} datasets")
            if i in done:
                continue
            try:
                yield next(its[i])
            except StopIteration:
                if self._stop:
                    return
                done.add(i)
