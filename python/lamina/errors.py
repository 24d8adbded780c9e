"""tf.errors: the exceptions lamina's ops raise. Each is also the matching Python builtin
(InvalidArgumentError is a ValueError, ...), so plain `except ValueError` works too."""
from lamina._core import (OpError, InvalidArgumentError, ResourceExhaustedError,  # noqa: F401
                          UnimplementedError)
