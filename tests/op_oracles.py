"""The NumPy oracle of every elementwise op of the registry (lamina._core.OPS, the rows of
csrc/ops/ops.def), and where its inputs should come from.

test_elementwise.py (values, dtypes, layouts, special values), test_tape_grad.py (gradients
against finite differences) and fuzz/fuzz_ops.py iterate over the registry and read the oracle
here, so an op declared in ops.def with its entry here is tested everywhere at once;
test_registry.py fails for an op that has none.
"""
import math
from dataclasses import dataclass

import numpy as np

from lamina import _core


@dataclass(frozen=True)
class Oracle:
    fn: object                   # the NumPy function (unary ops: computed in float64)
    positive: bool = False       # values test inputs in (0.01, 10): log, sqrt, ...
    grad_lo: float = -2.0        # gradient checks draw inputs from (grad_lo, 2.5)
    kinks: tuple = ()            # ... at least `margin` away from these points
    margin: float = 0.1


def _sigmoid(x):
    x = x.astype(np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(np.asarray(x, np.float64))


UNARY = {
    "negative": Oracle(np.negative),
    "abs": Oracle(np.abs, kinks=(0.0,)),
    "sign": Oracle(np.sign),
    "square": Oracle(np.square),
    "relu": Oracle(lambda x: np.where(np.isnan(x), x, np.maximum(x, 0)), kinks=(0.0,)),
    "exp": Oracle(np.exp),
    "log": Oracle(np.log, positive=True, grad_lo=0.2),
    "log1p": Oracle(np.log1p, grad_lo=-0.7),
    "sqrt": Oracle(np.sqrt, positive=True, grad_lo=0.2),
    "rsqrt": Oracle(lambda x: 1 / np.sqrt(x), positive=True, grad_lo=0.3),
    "reciprocal": Oracle(lambda x: 1 / x, kinks=(0.0,), margin=0.3),
    "tanh": Oracle(np.tanh),
    "sigmoid": Oracle(_sigmoid),
    "erf": Oracle(_erf),
    "softplus": Oracle(lambda x: np.logaddexp(0, x)),
    "cos": Oracle(np.cos),
    "sin": Oracle(np.sin),
    "logical_not": Oracle(np.logical_not),
}

BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "truediv": np.true_divide,
    "floordiv": np.floor_divide, "floormod": np.remainder, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum, "equal": np.equal, "not_equal": np.not_equal,
    "less": np.less, "less_equal": np.less_equal, "greater": np.greater,
    "greater_equal": np.greater_equal, "logical_and": np.logical_and,
    "logical_or": np.logical_or, "logical_xor": np.logical_xor,
}


def ops(kind):
    """The registry's ops of one kind ("unary" or "binary"), in ops.def's order."""
    return [op for op in _core.OPS if op.kind == kind]


def fn(name):
    """The registry's Python function of op `name`."""
    return next(op.fn for op in _core.OPS if op.name == name)
