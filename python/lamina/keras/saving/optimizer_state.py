"""An optimizer's state (iterations, then its slot variables in the order of the trainable
variables) to and from a list of arrays, through tf.keras's optimizer API: `variables`,
`build(var_list)`. tf_keras 2 writes [iterations, slots...]; Keras 3 writes [iterations,
learning_rate, slots...]."""
import warnings

import numpy as np


def _variables(opt):
    v = getattr(opt, "variables", None)
    if callable(v):
        v = v()
    return None if v is None else list(v)


def values(opt):
    """The optimizer's variables as arrays, or None when it has none to save (never built, or
    an optimizer without the tf.keras variables API)."""
    variables = _variables(opt)
    if not variables or not getattr(opt, "built", getattr(opt, "_built", True)):
        return None     # (never built: no state beyond its config)
    return [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in variables]


def restore(opt, var_list, arrays, filename):
    """Build the optimizer for var_list and set its variables from arrays; warns and leaves
    the optimizer fresh when the saved state does not fit it (as Keras does)."""
    if not arrays:
        return False
    if not hasattr(opt, "build") or _variables(opt) is None:
        warnings.warn(f"{filename}: the optimizer state in the file was not restored: "
                      f"{type(opt).__name__} has no tf.keras variables / build() API")
        return False
    opt.build(var_list)
    variables = _variables(opt)
    if len(arrays) == len(variables) + 1 and np.ndim(arrays[1]) == 0:
        arrays = [arrays[0]] + list(arrays[2:])     # Keras 3's learning_rate variable
    if len(arrays) != len(variables) or any(tuple(np.shape(a)) != tuple(v.shape.as_list())
                                            for a, v in zip(arrays, variables)):
        warnings.warn(f"{filename}: skipping the optimizer state in the file: it has "
                      f"{len(arrays)} variables, the optimizer {len(variables)} (or their "
                      f"shapes differ)")
        return False
    for v, a in zip(variables, arrays):
        v.assign(np.asarray(a))
    return True
