"""tf.keras.backend: floatx, epsilon, unique names (get_uid) and clear_session."""
import collections
import re
import threading

_FLOATX = "float32"
_EPSILON = 1e-7
_uids = collections.defaultdict(int)
_lock = threading.Lock()
_learning_phase = None


def floatx():
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}; expected float16, bfloat16, float32 "
                         f"or float64")
    _FLOATX = str(value)


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def get_uid(prefix=""):
    """1, 2, ... per prefix: the counter tf.keras names objects with."""
    with _lock:
        _uids[prefix] += 1
        return _uids[prefix]


_observed_names = set()


def observe_name(name):
    _observed_names.add(name)


def reset_uids():
    with _lock:
        _uids.clear()
        _observed_names.clear()


def clear_session():
    """Forget the names handed out so far (the next Dense is 'dense' again); as in tf.keras 2
    the global dtype policy stays, and a learning phase set with set_learning_phase is
    forgotten."""
    global _learning_phase
    reset_uids()
    _learning_phase = None


def to_snake_case(name):
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


def unique_object_name(name, zero_based=True, avoid_observed_names=False):
    """'dense', 'dense_1', 'dense_2', ... (tf.keras.backend.unique_object_name); with
    avoid_observed_names, names already given to layers are skipped."""
    while True:
        with _lock:
            key = ("__name__", name)
            n = _uids[key]
            _uids[key] += 1
        if zero_based:
            proposed = name if n == 0 else f"{name}_{n}"
        else:
            proposed = f"{name}_{n + 1}"
        if not avoid_observed_names or proposed not in _observed_names:
            return proposed


def learning_phase():
    return 0 if _learning_phase is None else _learning_phase


def set_learning_phase(value):
    global _learning_phase
    if value not in (0, 1):
        raise ValueError("Expected learning phase to be 0 or 1.")
    _learning_phase = value


class learning_phase_scope:
    """Set the global learning phase (0 or 1) inside the block (tf.keras 2); the previous
    value, set or not, comes back on exit."""

    def __init__(self, value):
        if value not in (0, 1):
            raise ValueError("Expected learning phase to be 0 or 1.")
        self.value = value

    def __enter__(self):
        global _learning_phase
        self.prev = _learning_phase
        _learning_phase = self.value

    def __exit__(self, *exc):
        global _learning_phase
        _learning_phase = self.prev


def is_keras_tensor(x):
    return getattr(x, "_is_symbolic_tensor", False) and hasattr(x, "_keras_history")


def int_shape(x):
    return tuple(x.shape)


def dtype(x):
    return x.dtype.name


def get_value(x):
    return x.numpy()


def set_value(x, value):
    x.assign(value)


def batch_get_value(tensors):
    return [t.numpy() for t in tensors]


def batch_set_value(tuples):
    for x, v in tuples:
        x.assign(v)


def cast_to_floatx(x):
    import numpy as np
    return np.asarray(x, dtype=_FLOATX)


def variable(value, dtype=None, name=None, constraint=None):
    import lamina
    return lamina.Variable(value, dtype=dtype or _FLOATX, name=name, constraint=constraint)


def set_keras_mask(x, mask):
    """Attach (or with None, remove) the Keras mask of a tensor."""
    if mask is None:
        if hasattr(x, "_keras_mask"):
            try:
                del x._keras_mask
            except AttributeError:
                x._keras_mask = None
        return
    x._keras_mask = mask


def get_keras_mask(x):
    return getattr(x, "_keras_mask", None)


# a few tf.keras.backend functions layer code reaches for
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    from lamina.keras import activations
    return activations.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def sigmoid(x):
    from lamina import _core
    return _core.sigmoid(x)


def tanh(x):
    from lamina import _core
    return _core.tanh(x)


def softmax(x, axis=-1):
    from lamina import _core
    return _core.softmax(x, axis=axis)


def ones(shape, dtype=None, name=None):
    from lamina import _core
    return _core.ones(shape, dtype or _FLOATX)


def zeros(shape, dtype=None, name=None):
    from lamina import _core
    return _core.zeros(shape, dtype or _FLOATX)


def concatenate(tensors, axis=-1):
    from lamina import _core
    return _core.concat(list(tensors), axis=axis)


def in_train_phase(x, alt, training=None):
    if training is None:
        training = learning_phase()
    chosen = x if training else alt     # only the chosen branch is evaluated
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


# ---- random tensors (tf.keras.backend.random_*): lamina.random with floatx as the default dtype
def _rdtype(dtype):
    return dtype or floatx()


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    from lamina import random
    return random.normal(shape, mean=mean, stddev=stddev, dtype=_rdtype(dtype), seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    from lamina import random
    return random.uniform(shape, minval=minval, maxval=maxval, dtype=_rdtype(dtype), seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    from lamina import random
    return random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=_rdtype(dtype),
                                   seed=seed)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """1 with probability p, else 0."""
    from lamina import random, _core
    dt = _rdtype(dtype)
    return _core.cast(_core.less(random.uniform(shape, dtype=dt, seed=seed), p), dt)


random_binomial = random_bernoulli   # tf.keras 2's deprecated name for the same thing


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    from lamina.variables import Variable
    return Variable(random_normal(shape, mean, scale, dtype, seed), name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    from lamina.variables import Variable
    return Variable(random_uniform(shape, low, high, dtype, seed), name=name)


def dropout(x, level, noise_shape=None, seed=None):
    from lamina import nn
    return nn.dropout(x, level, noise_shape=noise_shape, seed=seed)
