"""tf.custom_gradient: a function whose gradient is given by a Python function.

    @lamina.custom_gradient
    def log1pexp(x):
        e = lamina.exp(x)
        def grad(upstream):
            return upstream * (1 - 1 / (1 + e))
        return lamina.math.log(1 + e), grad

The body runs with every tape paused, so none of its ops is recorded. Its outputs become leaves
that the active tapes watch, and each tape that tracks an input (or would watch a variable the body
reads) records a node: the inputs, the outputs and grad_fn. GradientTape.gradient then walks the C
tape in segments around these nodes (backprop.GradientTape._run_custom). Ops grad_fn runs are
recorded by outer tapes like any others, so higher derivatives go through it.
"""
import functools
import inspect

from lamina import _core, _tape_hooks
from lamina._core import Tensor, convert_to_tensor


class _VariableCollector:
    """Stands in the list of active tapes while the body runs, to learn which variables it reads."""

    def __init__(self):
        self.variables = []

    def _variable_accessed(self, var, tensor):
        if not any(v is var for v in self.variables):
            self.variables.append(var)


class _CustomNode:
    def __init__(self, inputs, outputs, grad_fn, variables):
        self.inputs, self.outputs, self.grad_fn, self.variables = inputs, outputs, grad_fn, variables

    def call_grad_fn(self, dys):
        """(input gradients, variable gradients), checked against the inputs' shapes."""
        if self.variables:
            res = self.grad_fn(*dys, variables=self.variables)
            if not (isinstance(res, (list, tuple)) and len(res) == 2):
                raise ValueError("custom_gradient: a grad_fn given variables must return a pair "
                                 "(gradients of the inputs, gradients of the variables)")
            in_grads, var_grads = res
            var_grads = list(var_grads)
            if len(var_grads) != len(self.variables):
                raise ValueError(f"custom_gradient: grad_fn returned {len(var_grads)} variable "
                                 f"gradients for {len(self.variables)} variables")
        else:
            in_grads, var_grads = self.grad_fn(*dys), []
        in_grads = list(in_grads) if isinstance(in_grads, (list, tuple)) else [in_grads]
        if len(in_grads) != len(self.inputs):
            raise ValueError(f"custom_gradient: grad_fn returned {len(in_grads)} gradients for "
                             f"{len(self.inputs)} inputs")
        out = []
        for x, g in zip(self.inputs, in_grads):
            if g is not None:
                g = convert_to_tensor(g, dtype=x.dtype) if not isinstance(g, Tensor) else g
                if tuple(g.shape) != tuple(x.shape) or g.dtype != x.dtype:
                    raise ValueError(f"custom_gradient: grad_fn returned a gradient of shape "
                                     f"{tuple(g.shape)} and dtype {g.dtype.name} for an input of "
                                     f"shape {tuple(x.shape)} and dtype {x.dtype.name}")
            out.append(g)
        return out, var_grads


def _flatten_outputs(y):
    if isinstance(y, (list, tuple)):
        return [convert_to_tensor(v) for v in y], type(y)
    return [convert_to_tensor(y)], None


def _wants_tape(tape, inputs, variables):
    if not tape._recording or tape._paused:
        return False
    if any(tape._tape.tracks(x) for x in inputs):
        return True
    return any(tape._watches(v) for v in variables)


def custom_gradient(f=None):
    """Decorate f(*args) -> (y, grad_fn): y a tensor or a list/tuple of tensors; grad_fn(*dys)
    returns one gradient per positional argument (None for no gradient), or, when f reads
    variables, grad_fn(*dys, variables=None) returns (input gradients, variable gradients)."""
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        inputs = [convert_to_tensor(a) for a in args]
        tapes = list(_tape_hooks.active_tapes())
        collector = _VariableCollector()
        paused = []
        for t in tapes:
            if t._recording and not t._paused:
                t._tape.pause(True)
                paused.append(t)
        _tape_hooks.active_tapes().append(collector)
        try:
            y, grad_fn = f(*inputs, **kwargs)
        finally:
            _tape_hooks.active_tapes().remove(collector)
            for t in paused:
                if t._tape is not None:
                    t._tape.pause(False)
        if not callable(grad_fn):
            raise TypeError(f"custom_gradient: {f.__name__} must return (outputs, grad_fn), got "
                            f"a {type(grad_fn).__name__} as grad_fn")
        variables = collector.variables
        if variables and "variables" not in inspect.signature(grad_fn).parameters and not any(
                p.kind is p.VAR_KEYWORD for p in inspect.signature(grad_fn).parameters.values()):
            raise TypeError("If using @custom_gradient with a function that uses variables, then "
                            "grad_fn must accept a keyword argument 'variables'.")
        flat, kind = _flatten_outputs(y)
        users = [t for t in tapes if _wants_tape(t, inputs, variables)]
        if not users:
            return y
        # fresh views: leaves of the tapes, so that nothing recorded in the body is reused
        outs = [_core.stop_gradient(o) for o in flat]
        node = _CustomNode(inputs, outs, grad_fn, variables)
        for t in users:
            for o in outs:
                t._live_tape().watch(o)
            for v in variables:  # watched through this node: listed, their gradients come from it
                if t._watches(v):
                    t._variables.setdefault(id(v), v)
                    t._reads.setdefault(id(v), [])
            t._customs.append(node)
        return outs[0] if kind is None else kind(outs)

    return wrapped
