"""tf.data.Dataset: an input pipeline as a chain of Python iterators over NumPy arrays.

Each Dataset is one node: it knows its input(s), how to iterate (`_iter`, a fresh generator on every
call, so iterating a dataset twice gives two full passes), its cardinality and its element_spec.
User functions (map, filter, ...) and iteration see lamina tensors; inside the chain elements stay
NumPy arrays, which slice and stack cheaply. prefetch runs its input on a background thread and map
with num_parallel_calls on a thread pool (lamina's kernels and NumPy release the GIL)."""
import numpy as np

from lamina import _core
from lamina.data import structure as S

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2


class Dataset:
    """The base of every dataset; build one with a from_* / range / zip constructor."""

    # ---- what each node provides ---------------------------------------------------------------
    def _iter(self):
        raise NotImplementedError

    def _cardinality(self):
        return UNKNOWN

    def _spec(self):
        raise NotImplementedError

    def _iter_tensors(self):
        """The elements as iteration hands them out (lamina tensors)."""
        return (S.to_tensors(e) for e in self._iter())

    # ---- the public face -----------------------------------------------------------------------
    @property
    def element_spec(self):
        spec = self.__dict__.get("_element_spec")
        if spec is None:
            spec = self._spec()
            self._element_spec = spec
        return spec

    def __iter__(self):
        return Iterator(self)

    def as_numpy_iterator(self):
        """Iterates the elements as NumPy arrays (and NumPy scalars for rank-0 components)."""
        return (S.to_numpy(e) for e in self._iter())

    def cardinality(self):
        """The number of elements: an int64 scalar tensor; INFINITE_CARDINALITY (-1) for a
        repeat-forever dataset, UNKNOWN_CARDINALITY (-2) where it cannot be known in advance
        (filter, from_generator, unbatch, flat_map)."""
        return _core.constant(self._cardinality(), dtype="int64")

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):
        return True

    def __repr__(self):
        return f"<_{type(self).__name__} element_spec={self.element_spec}>"

    # ---- constructors --------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        from lamina.data.sources import TensorSliceDataset
        return TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        from lamina.data.sources import TensorDataset
        return TensorDataset(tensors)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        from lamina.data.sources import GeneratorDataset
        return GeneratorDataset(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def range(*args, dtype="int64", name=None):
        from lamina.data.sources import RangeDataset
        return RangeDataset(*args, dtype=dtype)

    @staticmethod
    def zip(*datasets, name=None):
        from lamina.data.transforms import ZipDataset
        if len(datasets) == 1 and not isinstance(datasets[0], Dataset):
            datasets = datasets[0]
        return ZipDataset(datasets)

    # ---- transformations -----------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        from lamina.data.transforms import MapDataset
        return MapDataset(self, map_func, num_parallel_calls)

    def filter(self, predicate, name=None):
        from lamina.data.transforms import FilterDataset
        return FilterDataset(self, predicate)

    def flat_map(self, map_func, name=None):
        from lamina.data.transforms import InterleaveDataset
        return InterleaveDataset(self, map_func, 1, 1)

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        from lamina.data.transforms import InterleaveDataset
        return InterleaveDataset(self, map_func, cycle_length, block_length)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        from lamina.data.transforms import BatchDataset
        return BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        from lamina.data.transforms import BatchDataset
        return BatchDataset(self, batch_size, drop_remainder, padded=True,
                            padded_shapes=padded_shapes, padding_values=padding_values)

    def unbatch(self, name=None):
        from lamina.data.transforms import UnbatchDataset
        return UnbatchDataset(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        from lamina.data.transforms import ShuffleDataset
        return ShuffleDataset(self, buffer_size, seed,
                              True if reshuffle_each_iteration is None else
                              reshuffle_each_iteration)

    def repeat(self, count=None, name=None):
        from lamina.data.transforms import RepeatDataset
        return RepeatDataset(self, count)

    def take(self, count, name=None):
        from lamina.data.transforms import TakeDataset
        return TakeDataset(self, count)

    def skip(self, count, name=None):
        from lamina.data.transforms import SkipDataset
        return SkipDataset(self, count)

    def shard(self, num_shards, index, name=None):
        from lamina.data.transforms import ShardDataset
        return ShardDataset(self, num_shards, index)

    def enumerate(self, start=0, name=None):
        from lamina.data.transforms import ZipDataset
        from lamina.data.sources import RangeDataset
        return ZipDataset((RangeDataset(start, np.iinfo(np.int64).max), self))

    def concatenate(self, dataset, name=None):
        from lamina.data.transforms import ConcatenateDataset
        return ConcatenateDataset(self, dataset)

    def cache(self, filename="", name=None):
        from lamina.data.transforms import CacheDataset
        if filename:
            raise NotImplementedError("Dataset.cache(filename): lamina caches in memory only; "
                                      "call cache() without a file name.")
        return CacheDataset(self)

    def prefetch(self, buffer_size, name=None):
        from lamina.data.threads import PrefetchDataset
        return PrefetchDataset(self, buffer_size)

    def apply(self, transformation_func):
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError(f"apply: the transformation must return a Dataset, got "
                            f"{type(out).__name__}")
        return out

    def reduce(self, initial_state, reduce_func, name=None):
        state = S.element_to_arrays(initial_state)
        for e in self._iter():
            state = S.element_to_arrays(_call(reduce_func, (S.to_tensors(state),
                                                             S.to_tensors(e)), unpack=True))
        return S.to_tensors(state)

    def scan(self, initial_state, scan_func, name=None):
        """Like map, with a state threaded through: scan_func(state, element) -> (new state,
        output element)."""
        from lamina.data.transforms import ScanDataset
        return ScanDataset(self, initial_state, scan_func)

    def take_while(self, predicate, name=None):
        from lamina.data.transforms import TakeWhileDataset
        return TakeWhileDataset(self, predicate)

    def unique(self, name=None):
        from lamina.data.transforms import UniqueDataset
        return UniqueDataset(self)

    def get_single_element(self, name=None):
        it = self._iter()
        first = next(it, None)
        if first is None:
            raise ValueError("Dataset was empty.")
        if next(it, None) is not None:
            raise ValueError("Dataset had more than one element.")
        return S.to_tensors(first)

    @staticmethod
    def counter(start=0, step=1, dtype="int64", name=None):
        from lamina.data.sources import RangeDataset
        return RangeDataset(start, np.iinfo(np.int64).max, step, dtype=dtype)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        """Elements drawn from the datasets at random (in proportion to weights)."""
        from lamina.data.transforms import SampleDataset
        return SampleDataset(list(datasets), weights, seed, stop_on_empty_dataset)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        """Element i comes from datasets[choice_dataset's element i]."""
        from lamina.data.transforms import ChooseDataset
        return ChooseDataset(list(datasets), choice_dataset, stop_on_empty_dataset)

    def with_options(self, options, name=None):
        return self      # lamina's pipeline has no tuning options; results do not depend on them


def _call(fn, elem, unpack=True):
    """Calls a user function on an element as tf.data does: a tuple is spread over positional
    arguments, anything else is one argument."""
    if unpack and isinstance(elem, tuple) and not hasattr(elem, "_fields"):
        return fn(*elem)
    return fn(elem)


class Iterator:
    """iter(dataset): yields elements as lamina tensors; next() / get_next()."""

    def __init__(self, dataset):
        self._dataset = dataset
        self._it = dataset._iter_tensors()

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._it)

    def get_next(self):
        return self.__next__()

    next = __next__
