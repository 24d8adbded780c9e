"""Datasets that start a pipeline: slices of arrays, one element, a Python generator, a range."""
import numpy as np

from lamina import _core
from lamina.data import structure as S
from lamina.data.dataset import Dataset, UNKNOWN
from lamina.tensor_shape import TensorShape
from lamina.tensor_spec import TensorSpec


class TensorSliceDataset(Dataset):
    """from_tensor_slices: element i is the i-th slice along the first axis of every component."""

    def __init__(self, tensors):
        self._data = S.element_to_arrays(tensors)
        lengths = []
        for a in S.leaves(self._data):
            if a.ndim == 0:
                raise ValueError(f"from_tensor_slices: a component is a scalar (shape ()); every "
                                 f"component needs a first dimension to slice along")
            lengths.append(a.shape[0])
        if len(set(lengths)) > 1:
            raise ValueError(f"from_tensor_slices: all components must have the same size in "
                             f"their first dimension; got sizes {lengths}")
        self._n = lengths[0]

    def _cardinality(self):
        return self._n

    def _spec(self):
        return S.map_struct(lambda a: S.spec_of_array(a, batch_dim=True), self._data)

    def _iter(self):
        data = self._data
        if not S.is_struct(data):
            yield from data       # iterating an array yields its slices, fast
            return
        for i in range(self._n):
            yield S.map_struct(lambda a: a[i], data)

    def _iter_batches(self, size, drop_remainder):
        """batch() over slices: contiguous ranges, no per-element stacking."""
        stop = self._n - self._n % size if drop_remainder else self._n
        for start in range(0, stop, size):
            yield S.map_struct(lambda a: a[start:start + size], self._data)


class TensorDataset(Dataset):
    """from_tensors: the whole structure as one element."""

    def __init__(self, tensors):
        self._elem = S.element_to_arrays(tensors)

    def _cardinality(self):
        return 1

    def _spec(self):
        return S.spec_of(self._elem)

    def _iter(self):
        yield self._elem


class RangeDataset(Dataset):
    def __init__(self, *args, dtype="int64"):
        if not 1 <= len(args) <= 3:
            raise TypeError(f"range takes 1 to 3 arguments (stop | start, stop[, step]); got "
                            f"{len(args)}")
        self._range = range(*(int(a) for a in args))
        self._dtype = np.dtype(_core.as_dtype(dtype).as_numpy_dtype)

    def _cardinality(self):
        return len(self._range)

    def _spec(self):
        return TensorSpec([], _core.as_dtype(self._dtype))

    def _iter(self):
        dt = self._dtype
        for v in self._range:
            yield np.asarray(v, dt)


class GeneratorDataset(Dataset):
    """from_generator: calls generator(*args) afresh for every pass; each value it yields is
    converted to the dtypes of output_signature and checked against its shapes."""

    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        if not callable(generator):
            raise TypeError(f"from_generator: `generator` must be a callable that returns an "
                            f"iterator (e.g. a generator function), got {type(generator).__name__}")
        if output_signature is None:
            if output_types is None:
                raise TypeError("from_generator: give `output_signature` (a structure of "
                                "tf.TensorSpec), or the deprecated `output_types`.")
            if output_shapes is None:
                output_shapes = S.map_struct(lambda _: None, output_types)
            output_signature = S.map_struct(
                lambda t, s: TensorSpec(TensorShape(s), t), output_types,
                _like(output_shapes, output_types))
        for spec in S.leaves(output_signature):
            if not isinstance(spec, TensorSpec):
                raise TypeError(f"from_generator: output_signature must hold tf.TensorSpec "
                                f"objects, got {spec!r}")
        self._generator = generator
        self._args = tuple(args) if args is not None else ()
        self._signature = output_signature

    def _cardinality(self):
        return UNKNOWN

    def _spec(self):
        return self._signature

    def _iter(self):
        sig = self._signature
        for value in self._generator(*self._args):
            if isinstance(value, list) and S.is_struct(sig):
                value = tuple(value)
            if not S.same_structure(value, sig) and S.is_struct(sig):
                raise TypeError(f"from_generator: the generator yielded {value!r}, which does "
                                f"not match the structure of output_signature {sig}")
            yield S.map_struct(_conform, sig, value) if S.is_struct(sig) else _conform(sig, value)


def _conform(spec, value):
    a = S.to_array(value, spec.dtype if isinstance(spec.dtype, _core.DType) else None)
    if not spec.shape.is_compatible_with(TensorShape(a.shape)):
        raise ValueError(f"from_generator: the generator yielded an element of shape "
                         f"{list(a.shape)} where an element compatible with "
                         f"{spec.shape} was expected.")
    return a


def _like(shapes, types):
    """output_shapes given as one shape for a single-component signature."""
    if S.is_struct(types):
        return shapes
    return S.map_struct(lambda _: shapes, types) if S.is_struct(shapes) else shapes
