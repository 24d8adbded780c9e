"""tf.nn: activations and softmax."""
from lamina._core import relu, sigmoid, tanh, softplus, softmax, log_softmax  # noqa: F401
