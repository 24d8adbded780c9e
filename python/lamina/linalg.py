"""tf.linalg: matrix products."""
from lamina._core import matmul, eye  # noqa: F401
