"""The structure of a dataset element: tuples, named tuples and dicts of leaves, as tf.data nests
them (a list is a leaf: it becomes one tensor). Inside a pipeline leaves are NumPy arrays (cheap to
slice and stack); they become lamina tensors where user code sees them (map/filter functions and
iteration)."""
import numpy as np

from lamina import _core
from lamina.tensor_shape import TensorShape
from lamina.tensor_spec import TensorSpec


def is_struct(x):
    return isinstance(x, (tuple, dict))


def map_struct(fn, *elems):
    """fn applied to the leaves of one or more elements of the same structure."""
    first = elems[0]
    if isinstance(first, dict):
        return {k: map_struct(fn, *(e[k] for e in elems)) for k in first}
    if isinstance(first, tuple):
        items = [map_struct(fn, *parts) for parts in zip(*elems)]
        return type(first)(*items) if hasattr(first, "_fields") else tuple(items)
    return fn(*elems)


def leaves(x):
    if isinstance(x, dict):
        return [l for k in x for l in leaves(x[k])]
    if isinstance(x, tuple):
        return [l for v in x for l in leaves(v)]
    return [x]


def same_structure(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and \
            all(same_structure(a[k], b[k]) for k in a)
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and \
            all(same_structure(x, y) for x, y in zip(a, b))
    return True


def to_array(v, dtype=None):
    """One leaf as a NumPy array, with tf's dtypes for Python values (int32, float32)."""
    if isinstance(v, np.ndarray):
        a = v
    elif isinstance(v, np.generic):
        a = np.asarray(v)
    elif isinstance(v, _core.Tensor) or hasattr(v, "read_value"):
        a = np.asarray(v)
    else:
        try:
            a = np.asarray(_core.convert_to_tensor(v))
        except (TypeError, ValueError):
            a = np.asarray(v)   # strings and other values lamina has no dtype for
            if a.dtype.kind == "U":
                a = np.char.encode(a, "utf-8") if a.size else a.astype(bytes)
    if dtype is not None:
        want = np.dtype(_core.as_dtype(dtype).as_numpy_dtype)
        if a.dtype != want:
            a = a.astype(want)
    return a


def element_to_arrays(elem):
    """A user value (tensors, arrays, Python numbers, lists) as an element of NumPy leaves."""
    if isinstance(elem, dict):
        return {k: element_to_arrays(v) for k, v in elem.items()}
    if isinstance(elem, tuple):
        items = [element_to_arrays(v) for v in elem]
        return type(elem)(*items) if hasattr(elem, "_fields") else tuple(items)
    return to_array(elem)


def _leaf_to_tensor(a):
    if a.dtype.kind in "SUO":
        return a            # lamina has no string dtype: strings stay NumPy arrays
    return _core.convert_to_tensor(a)


def to_tensors(elem):
    return map_struct(_leaf_to_tensor, elem)


def to_numpy(elem):
    """as_numpy_iterator's values: arrays, and NumPy scalars for rank-0 leaves (as tf gives)."""
    return map_struct(lambda a: a[()] if a.ndim == 0 else a, elem)


def spec_of_array(a, batch_dim=False):
    shape = a.shape[1:] if batch_dim else a.shape
    try:
        dtype = _core.as_dtype(_core.convert_to_tensor(np.zeros((0,), a.dtype)).dtype)
    except TypeError:
        dtype = a.dtype      # strings: the NumPy dtype stands in
    return TensorSpec(shape, dtype)


def spec_of(elem):
    return map_struct(spec_of_array, elem)


def with_batch_dim(spec, n):
    return map_struct(lambda s: TensorSpec(TensorShape([n]).concatenate(s.shape), s.dtype), spec)


def dims_of(spec):
    return [None if d is None else int(d) for d in spec.shape.as_list()]


def common_dims(a, b):
    """The shape two shapes share: equal dimensions kept, others unknown (None)."""
    a, b = TensorShape(a), TensorShape(b)
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_list(), b.as_list())])


def spec_probe(spec, unknown):
    """A stand-in element for a spec: zeros, with every unknown dimension of size `unknown`."""
    def one(s):
        dims = [unknown if d is None else d for d in s.shape.as_list()] \
            if s.shape.rank is not None else [unknown]
        dtype = s.dtype.as_numpy_dtype if hasattr(s.dtype, "as_numpy_dtype") else s.dtype
        return np.zeros(dims, dtype)
    return map_struct(one, spec)


def stack(elems):
    """A batch: the leaves of several elements stacked along a new first axis."""
    def one(*leaves_):
        shape = leaves_[0].shape
        for l in leaves_[1:]:
            if l.shape != shape:
                raise ValueError(f"Cannot batch tensors with different shapes in a component: "
                                 f"first element had shape {list(shape)} and another element "
                                 f"had shape {list(l.shape)}. Use padded_batch for elements of "
                                 f"varying shape.")
        return np.stack(leaves_)
    return map_struct(one, *elems)


def pack_like(like, flat):
    """The leaves in `flat` (a list, consumed in order) put back in the structure of `like`."""
    it = iter(flat)
    return map_struct(lambda _: next(it), like)


def _leaf_shapes(shapes, like):
    """padded_shapes as a flat list, one entry per leaf of `like` (a shape is a list, so it
    is one leaf)."""
    if isinstance(like, dict):
        return [s for k in like for s in _leaf_shapes(shapes[k], like[k])]
    if isinstance(like, tuple):
        return [s for sh, l in zip(shapes, like) for s in _leaf_shapes(sh, l)]
    return [shapes]


def pad_stack(elems, padded_shapes, padding_values):
    """A padded batch: each leaf padded (at the end of every axis) to `padded_shapes` or to the
    largest shape in the batch where that is None."""
    first = elems[0]
    n_leaves = len(leaves(first))
    shapes = [None] * n_leaves if padded_shapes is None else _leaf_shapes(padded_shapes, first)
    if padding_values is None:
        values = [None] * n_leaves
    elif is_struct(padding_values):
        values = leaves(padding_values)
    else:
        values = [padding_values] * n_leaves
    columns = list(zip(*(leaves(e) for e in elems)))
    return pack_like(first, [_pad_one(s, v, col) for s, v, col in zip(shapes, values, columns)])


def _pad_one(shape_spec, pad_value, leaves_):
    rank = leaves_[0].ndim
    for l in leaves_:
        if l.ndim != rank:
            raise ValueError(f"padded_batch: elements of one component have ranks "
                             f"{rank} and {l.ndim}")
    biggest = [max(l.shape[i] for l in leaves_) for i in range(rank)]
    target = biggest
    if shape_spec is not None:
        dims = TensorShape(shape_spec).as_list()
        if len(dims) != rank:
            raise ValueError(f"padded_batch: padded shape {dims} has rank {len(dims)} but "
                             f"the component has rank {rank}")
        for d, b in zip(dims, biggest):
            if d is not None and b > d:
                raise ValueError(f"padded_batch: an element has size {b} in a dimension whose "
                                 f"padded size is {d} (padded shape {dims})")
        target = [b if d is None else d for d, b in zip(dims, biggest)]
    if pad_value is None:
        pad_value = b"" if leaves_[0].dtype.kind == "S" else 0
    out = np.full([len(leaves_)] + target, to_array(pad_value)[()], dtype=leaves_[0].dtype)
    for i, l in enumerate(leaves_):
        out[(i,) + tuple(slice(0, s) for s in l.shape)] = l
    return out
