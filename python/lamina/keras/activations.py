"""tf.keras.activations: elementwise functions by name."""
import math

from lamina import _core

_core_relu, _core_sigmoid, _core_tanh = _core.relu, _core.sigmoid, _core.tanh


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return _core_relu(x)
    x = _core.convert_to_tensor(x)
    neg = alpha * (x - threshold) if alpha else None
    y = _core.where(_core.greater(x, threshold), x, neg if neg is not None else _core.zeros_like(x))
    if max_value is not None:
        y = _core.minimum(y, float(max_value))
    return y


def _remember_logits(out, x):
    # as tf.keras's activations do: crossentropy losses then work from the logits (exact where
    # the probabilities saturate)
    try:
        out._keras_logits = x
    except AttributeError:
        pass
    return out


def sigmoid(x):
    x = _core.convert_to_tensor(x)
    return _remember_logits(_core_sigmoid(x), x)


def tanh(x):
    return _core_tanh(x)


def linear(x):
    return x


def softmax(x, axis=-1):
    x = _core.convert_to_tensor(x)
    if x.ndim <= 1 and x.ndim != 1:
        raise ValueError(f"Cannot apply softmax to a tensor that is 1D or less. Received input "
                         f"of shape {tuple(x.shape)}")
    return _remember_logits(_core.softmax(x, axis=axis), x)


def log_softmax(x, axis=-1):
    return _core.log_softmax(x, axis=axis)


def exponential(x):
    return _core.exp(x)


def softplus(x):
    return _core.softplus(x)


def softsign(x):
    x = _core.convert_to_tensor(x)
    return x / (_core.abs_(x) + 1.0)


def elu(x, alpha=1.0):
    x = _core.convert_to_tensor(x)
    return _core.where(_core.greater(x, 0.0), x, alpha * (_core.exp(_core.minimum(x, 0.0)) - 1.0))


def selu(x):
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def gelu(x, approximate=False):
    x = _core.convert_to_tensor(x)
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + _core.tanh(c * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + _core.erf(x * (1.0 / math.sqrt(2.0))))


def swish(x):
    x = _core.convert_to_tensor(x)
    return x * _core.sigmoid(x)


silu = swish


def hard_sigmoid(x):
    x = _core.convert_to_tensor(x)
    return _core.clip_by_value(0.2 * x + 0.5, 0.0, 1.0)


def mish(x):
    x = _core.convert_to_tensor(x)
    return x * _core.tanh(_core.softplus(x))


_TABLE = {f.__name__: f for f in (relu, sigmoid, tanh, linear, softmax, log_softmax,
                                   exponential, softplus, softsign, elu, selu, gelu, swish,
                                   hard_sigmoid, mish)}
_TABLE["silu"] = swish
# activations the fused C dense kernel applies itself
# (not keras's sigmoid: its output remembers its logits for the losses, see _remember_logits)
FUSED = {relu: "relu", tanh: "tanh", linear: None, gelu: "gelu",
         _core_relu: "relu", _core_sigmoid: "sigmoid", _core_tanh: "tanh"}


def serialize(activation):
    name = getattr(activation, "__name__", None)
    if name in _TABLE and _TABLE[name] is activation:
        return name
    if hasattr(activation, "get_config"):
        return {"module": None, "class_name": type(activation).__name__,
                "config": activation.get_config(), "registered_name": type(activation).__name__}
    if name is not None:
        return name
    raise ValueError(f"Cannot serialize activation {activation!r}")


def deserialize(name, custom_objects=None):
    if isinstance(name, dict):
        name = name.get("config", name.get("class_name"))
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _TABLE:
        return _TABLE[name]
    from lamina.keras.utils import get_registered_object
    found = get_registered_object(name, custom_objects)   # custom_object_scope, registered
    if found is not None:
        return found
    raise ValueError(f"Unknown activation function: {name!r}. Please ensure you are using a "
                     f"`keras.utils.custom_object_scope` and that this object is included in "
                     f"the scope.")


def get(identifier):
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")
