# Tensor creation and the random generator's binding (included by _core.pyx).  STUB.
# Names that shadow Python builtins end in "_" here (range_): Cython would otherwise call them in
# place of the builtin; the lamina namespace exports them under their tf names.

def fill(dims, value, name=None):
    raise NotImplementedError("fill")

def zeros(shape, dtype=float32, name=None):
    raise NotImplementedError("zeros")

def ones(shape, dtype=float32, name=None):
    raise NotImplementedError("ones")

def zeros_like(input, dtype=None, name=None):
    raise NotImplementedError("zeros_like")

def ones_like(input, dtype=None, name=None):
    raise NotImplementedError("ones_like")

def range_(start, limit=None, delta=1, dtype=None, name="range"):
    raise NotImplementedError("range")

def eye(num_rows, num_columns=None, batch_shape=None, dtype=float32, name=None):
    raise NotImplementedError("eye")

def _random(kind, shape, a, b, dtype, key, counter):
    """kind: "uniform", "normal" or "truncated_normal"; see lm_random in lamina.h."""
    raise NotImplementedError("random")
