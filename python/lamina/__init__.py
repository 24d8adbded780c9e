"""lamina: a small, fast CPU tensor runtime with a tf / tf.keras shaped API.

    import lamina as tf
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    tf.reduce_sum(tf.nn.relu(x @ x), axis=1)
"""
from lamina import _core
from lamina._core import (
    Tensor, DType, as_dtype, bool_ as bool, int32, int64, float16, bfloat16, float32, float64,
    constant, convert_to_tensor, from_dlpack, is_tensor,
    # elementwise (the registry's ops exported to lamina.* are added below)
    divide, where, clip_by_value, cast,
    # reductions
    reduce_sum, reduce_mean, reduce_max, reduce_min, reduce_prod, reduce_any, reduce_all,
    argmax, argmin,
    # shape and indexing
    reshape, transpose, expand_dims, squeeze, broadcast_to, concat, stack, unstack, gather,
    one_hot, shape, rank, size,
    # linear algebra
    matmul,
    # creation
    fill, zeros, ones, zeros_like, ones_like, range_ as range, eye,
    # runtime
    version, isa, isa_available, isa_kernels, set_isa, get_num_threads, set_num_threads,
)
from lamina._core import dense  # act(x @ w + bias), fused
from lamina._core import identity, stop_gradient
from lamina.backprop import GradientTape, UnconnectedGradients
from lamina.custom_gradient import custom_gradient
from lamina.script_ops import py_function, numpy_function
from lamina.tensor_shape import TensorShape
from lamina.tensor_spec import TensorSpec
from lamina import config, dtypes, errors, math, nn, linalg, nest, random
from lamina import image
from lamina.variables import Variable, VariableSynchronization, VariableAggregation, Module

_core.export_ops(globals(), "tf")  # add, exp, ...: the rows of csrc/ops/ops.def
half = float16
double = float64
newaxis = None
__version__ = version()


def add_n(inputs, name=None):
    """tf.add_n: the elementwise sum of a list of tensors of one shape and dtype."""
    inputs = list(inputs)
    if not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    total = convert_to_tensor(inputs[0])
    for x in inputs[1:]:
        total = add(total, x)
    return total

# Keras and the tf-style initializers load on first use (import lamina stays fast).
_LAZY_INITIALIZERS = ("random_normal_initializer", "random_uniform_initializer",
                      "truncated_normal_initializer", "zeros_initializer", "ones_initializer",
                      "constant_initializer", "glorot_uniform_initializer",
                      "glorot_normal_initializer")


def __getattr__(name):
    if name in ("keras", "data"):
        import importlib
        return importlib.import_module("lamina." + name)
    if name in _LAZY_INITIALIZERS:
        from lamina.keras import initializers
        return getattr(initializers, name)
    raise AttributeError(f"module 'lamina' has no attribute {name!r}")


from lamina import _threadpoolctl
_threadpoolctl.install()
del _threadpoolctl
