"""tf.py_function / tf.numpy_function: run Python code inside a pipeline (a Dataset.map function,
say). lamina runs everything eagerly, so they call the function at once and convert its results
to the dtypes given in Tout."""
import numpy as np

from lamina import _core


def _result(value, tout):
    if tout is None:
        return None
    t = _core.convert_to_tensor(np.asarray(value) if not _core.is_tensor(value) else value)
    return t if t.dtype == _core.as_dtype(tout) else _core.cast(t, tout)


def _call(func, inp, tout, as_numpy):
    args = [np.asarray(v) if as_numpy else v for v in inp]
    out = func(*args)
    if isinstance(tout, (list, tuple)):
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if len(outs) != len(tout):
            raise ValueError(f"The function returned {len(outs)} values but Tout lists "
                             f"{len(tout)} dtypes")
        return [_result(o, t) for o, t in zip(outs, tout)]
    return _result(out, tout)


def py_function(func, inp, Tout, name=None):
    """Calls func(*inp) with tensors; returns its results as tensors of the dtypes in Tout."""
    return _call(func, inp, Tout, as_numpy=False)


def numpy_function(func, inp, Tout, stateful=True, name=None):
    """Calls func(*inp) with NumPy arrays; returns its results as tensors of the dtypes in Tout."""
    return _call(func, inp, Tout, as_numpy=True)
