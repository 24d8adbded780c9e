"""Symbolic tensors (KerasTensor), graph nodes, and tracing of lamina ops on them.

A KerasTensor stands for a tensor of a known shape (None for unknown dims) and dtype inside a
functional model being built. `_keras_history` says which layer call (node) produced it. Calling
a layer, an operator or a lamina op on KerasTensors adds a node to the graph; the output spec is
found by running the computation on small concrete stand-ins (unknown dims as 2, then 3) while
state changes are switched off (`variables._state.tracing`).
"""
import collections

import lamina
from lamina import _core
from lamina._core import Tensor, as_dtype
from lamina.tensor_shape import TensorShape
from lamina import variables as _variables

KerasHistory = collections.namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])


class KerasTensor:
    _is_symbolic_tensor = True
    __array_priority__ = 300
    __array_ufunc__ = None

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self._shape = TensorShape(shape)
        self._dtype = as_dtype(dtype)
        self._name = name
        if history is not None:
            self._keras_history = history

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return self._shape.rank

    @property
    def name(self):
        return self._name

    @property
    def node(self):
        h = getattr(self, "_keras_history", None)
        return None if h is None else h.layer._inbound_nodes[h.node_index]

    def __repr__(self):
        h = getattr(self, "_keras_history", None)
        by = f" (created by layer '{h.layer.name}')" if h is not None else ""
        return f"<KerasTensor: shape={tuple(self._shape.as_list()) if self._shape.rank is not None else None} dtype={self._dtype.name}{by}>"

    __str__ = __repr__

    def __lamina_tensor__(self):
        raise TypeError(
            f"A symbolic KerasTensor ({self!r}) cannot be used as a concrete lamina tensor: it "
            f"stands for the input of a functional model being built. Use it only with Keras "
            f"layers, operators and lamina ops (which trace it), or wrap the code in a Layer.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"A symbolic KerasTensor ({self!r}) cannot be converted to a NumPy array")

    def __bool__(self):
        raise TypeError(f"Using a symbolic KerasTensor ({self!r}) as a Python bool is not allowed")

    def __len__(self):
        if self._shape.rank is None or self._shape[0] is None:
            raise TypeError(f"len() of a KerasTensor with unknown first dimension: {self!r}")
        return self._shape[0]

    def __iter__(self):
        raise TypeError(f"Iterating over a symbolic KerasTensor is not allowed: {self!r}")

    __hash__ = object.__hash__

    def __getitem__(self, key):
        return symbolic_op(_getitem, "__operators__.getitem", (self, key), {})

    def __neg__(self):
        return symbolic_op(_core.negative, "math.negative", (self,), {})

    def __abs__(self):
        return symbolic_op(_core.abs_, "math.abs", (self,), {})

    def __pos__(self):
        return self

    def __invert__(self):
        return symbolic_op(_core.logical_not, "math.logical_not", (self,), {})


def _getitem(x, key):
    return x[key]


_BINOPS = {"add": (_core.add, "__operators__.add"), "sub": (_core.subtract, "math.subtract"),
           "mul": (_core.multiply, "math.multiply"), "truediv": (_core.truediv, "math.truediv"),
           "floordiv": (_core.floordiv, "math.floordiv"), "mod": (_core.floormod, "math.floormod"),
           "pow": (_core.pow_, "math.pow"), "matmul": (_core.matmul, "linalg.matmul"),
           "lt": (_core.less, "math.less"), "le": (_core.less_equal, "math.less_equal"),
           "gt": (_core.greater, "math.greater"), "ge": (_core.greater_equal, "math.greater_equal"),
           "and": (_core.logical_and, "math.logical_and"), "or": (_core.logical_or, "math.logical_or"),
           "xor": (_core.logical_xor, "math.logical_xor")}


def _make_ops(short, fn, path):
    def op(self, other):
        return symbolic_op(fn, path, (self, other), {})

    def rop(self, other):
        return symbolic_op(fn, path, (other, self), {})
    setattr(KerasTensor, f"__{short}__", op)
    if short not in ("lt", "le", "gt", "ge"):
        setattr(KerasTensor, f"__r{short}__", rop)


for _k, (_f, _p) in _BINOPS.items():
    _make_ops(_k, _f, _p)


# ---- nested structures ----------------------------------------------------------------------------
def flatten(x):
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(flatten(v))
        return out
    if isinstance(x, dict):
        out = []
        for k in sorted(x, key=str):
            out.extend(flatten(x[k]))
        return out
    return [x]


def map_structure(fn, x):
    if isinstance(x, list):
        return [map_structure(fn, v) for v in x]
    if isinstance(x, tuple):
        vals = [map_structure(fn, v) for v in x]
        return type(x)(*vals) if hasattr(x, "_fields") else tuple(vals)
    if isinstance(x, dict):
        return type(x)((k, map_structure(fn, v)) for k, v in x.items())
    return fn(x)


def is_symbolic(x):
    return getattr(x, "_is_symbolic_tensor", False)


def any_symbolic(x):
    if getattr(x, "_is_symbolic_tensor", False):
        return True
    if isinstance(x, (list, tuple)):
        return any(any_symbolic(v) for v in x)
    if isinstance(x, dict):
        return any(any_symbolic(v) for v in x.values())
    return False


# ---- graph nodes ----------------------------------------------------------------------------------
class Node:
    """One call of a layer on symbolic arguments: the edges of a functional graph."""

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.keras_inputs = [x for x in flatten((self.call_args, self.call_kwargs))
                             if is_symbolic(x)]
        self.outputs = outputs
        self.flat_outputs = flatten(outputs) if outputs is not None else []
        layer._inbound_nodes.append(self)
        node_index = len(layer._inbound_nodes) - 1
        for i, t in enumerate(self.flat_outputs):
            t._keras_history = KerasHistory(layer, node_index, i)
        for kt in self.keras_inputs:
            h = getattr(kt, "_keras_history", None)
            if h is not None:
                h.layer._outbound_nodes.append(self)

    @property
    def is_input(self):
        return not self.keras_inputs

    @property
    def parent_nodes(self):
        out = []
        for kt in self.keras_inputs:
            h = getattr(kt, "_keras_history", None)
            if h is not None:
                out.append(h.layer._inbound_nodes[h.node_index])
        return out

    @property
    def input_shapes(self):
        shapes = [tuple(kt.shape.as_list()) for kt in self.keras_inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shapes(self):
        shapes = [tuple(kt.shape.as_list()) for kt in self.flat_outputs]
        return shapes[0] if len(shapes) == 1 else shapes


# ---- concrete stand-ins for output-shape inference ------------------------------------------------
def _standin(kt, fill):
    shape = [fill if d is None else d for d in kt.shape.as_list()]
    dt = kt.dtype
    if dt.name == "bool":
        return _core.fill(shape, True)
    return _core.ones(shape, dt)


def concretize(structure, fill):
    return map_structure(lambda v: _standin(v, fill) if is_symbolic(v) else v, structure)


def spec_of(a, b, name=None):
    """A KerasTensor for the outputs a (stand-ins 2) and b (stand-ins 3): dims that differ are None."""
    def one(x, y):
        if not (isinstance(x, Tensor) or hasattr(x, "__lamina_tensor__")):
            return x
        x = _core.convert_to_tensor(x)
        y = _core.convert_to_tensor(y)
        sa, sb = x.shape.as_list(), y.shape.as_list()
        if len(sa) != len(sb):
            dims = None
        else:
            dims = [p if p == q else None for p, q in zip(sa, sb)]
        return KerasTensor(dims, x.dtype, name=name)
    if isinstance(a, (list, tuple)):
        return type(a)(spec_of(x, y, name) for x, y in zip(a, b)) if not hasattr(a, "_fields") \
            else type(a)(*[spec_of(x, y, name) for x, y in zip(a, b)])
    if isinstance(a, dict):
        return type(a)((k, spec_of(a[k], b[k], name)) for k in a)
    return one(a, b)


class tracing:
    """Run code on stand-ins: variables do not change, losses/metrics are recorded as specs
    (quiet=True: not recorded at all, for the second stand-in run)."""

    def __init__(self, quiet=False):
        self.quiet = quiet

    def __enter__(self):
        st = _variables._state
        self.prev = (getattr(st, "tracing", False), getattr(st, "tracing_quiet", False))
        st.tracing = True
        st.tracing_quiet = self.quiet

    def __exit__(self, *exc):
        st = _variables._state
        st.tracing, st.tracing_quiet = self.prev


def is_tracing():
    return getattr(_variables._state, "tracing", False)


def is_tracing_quiet():
    return getattr(_variables._state, "tracing_quiet", False)


# ---- lamina ops on symbolic tensors ---------------------------------------------------------------
def symbolic_op(fn, path, args, kwargs):
    """Add an op-layer node computing fn(*args, **kwargs) and return its symbolic output."""
    from lamina.keras.layers.core import TFOpLambda
    layer = TFOpLambda(fn, path)
    return layer(*args, **kwargs)


_installed = False
_DISPATCH_MODULES = ("", "math", "nn", "linalg")
_SKIP = {"convert_to_tensor", "constant", "is_tensor", "as_dtype", "from_dlpack", "version",
         "isa", "isa_available", "set_isa", "get_num_threads", "set_num_threads",
         "DType", "Tensor", "TensorShape", "cast_like", "live_storages", "live_bytes",
         "Variable", "GradientTape", "zeros", "ones", "fill", "eye",
         "range", "random_normal_initializer", "zeros_initializer", "constant_initializer",
         "ones_initializer", "random_uniform_initializer", "glorot_uniform_initializer",
         "truncated_normal_initializer", "glorot_normal_initializer", "watch",
         "VariableSynchronization", "VariableAggregation", "name_scope", "function", "Module"}


def _wrap(fn, path):
    """fn with a symbolic fallback: the fast path is one try; only a TypeError looks further."""
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError:
            if any_symbolic(args) or any_symbolic(kwargs):
                return symbolic_op(fn, path, args, kwargs)
            raise
    return _specialize(fn, path, wrapper)


def _specialize(fn, path, generic):
    """A wrapper with fn's own positional signature when it has one (cheaper than *args)."""
    import inspect
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return generic
    params = list(sig.parameters.values())
    if not params or any(p.kind not in (p.POSITIONAL_OR_KEYWORD,) for p in params):
        return generic
    names = [p.name for p in params]
    if any(not n.isidentifier() for n in names):
        return generic
    defaults = {}
    parts = []
    for p in params:
        if p.default is p.empty:
            parts.append(p.name)
        else:
            defaults[f"_d_{p.name}"] = p.default
            parts.append(f"{p.name}=_d_{p.name}")
    call = ", ".join(names)
    src = (f"def {fn.__name__ if fn.__name__.isidentifier() else 'op'}({', '.join(parts)}):\n"
           f"    try:\n        return _fn({call})\n"
           f"    except TypeError:\n"
           f"        if _any(({call},)):\n"
           f"            return _sym(_fn, _path, ({call},), {{}})\n"
           f"        raise\n")
    ns = {"_fn": fn, "_any": any_symbolic, "_sym": symbolic_op, "_path": path}
    ns.update(defaults)
    exec(src, ns)
    w = ns[fn.__name__ if fn.__name__.isidentifier() else "op"]
    w.__doc__ = fn.__doc__
    w.__wrapped__ = fn
    return w


_NN_FIRST = {"softmax", "log_softmax", "relu"}


def _canonical_paths():
    """id(function) -> its tf-style path: tf.math.* when lamina.math has it (tf.nn.softmax,
    tf.nn.log_softmax, tf.nn.relu), then tf.linalg.*, then the top level."""
    import importlib
    paths = {}
    order = ("nn", "math", "linalg", "") 
    for mod_name in order:
        mod = lamina if not mod_name else importlib.import_module(f"lamina.{mod_name}")
        for name, fn in vars(mod).items():
            if name.startswith("_") or not callable(fn):
                continue
            path = f"{mod_name}.{name}" if mod_name else name
            key = id(fn)
            if key not in paths or (mod_name == "math" and name not in _NN_FIRST):
                if key in paths and mod_name == "math" and paths[key].startswith("nn.") \
                        and name in _NN_FIRST:
                    continue
                paths[key] = path
    return paths


def install_dispatch():
    """Give lamina's public ops a symbolic fallback (done once, when the first KerasTensor is
    made, so programs that never build a functional model pay nothing). A function exported
    by several modules gets one wrapper (tf.math.softmax is tf.nn.softmax stays true)."""
    global _installed
    if _installed:
        return
    _installed = True
    import importlib
    paths = _canonical_paths()
    done = {}
    for mod_name in _DISPATCH_MODULES:
        mod = lamina if not mod_name else importlib.import_module(f"lamina.{mod_name}")
        for name, fn in list(vars(mod).items()):
            if name.startswith("_") or name in _SKIP or not callable(fn) or isinstance(fn, type):
                continue
            if type(fn).__name__ not in ("builtin_function_or_method", "cython_function_or_method",
                                         "function"):
                continue
            if getattr(fn, "__module__", "") not in ("lamina._core", "lamina", "lamina.math",
                                                     "lamina.nn", "lamina.linalg"):
                continue
            if getattr(fn, "__wrapped__", None) is not None:
                continue
            key = id(fn)
            if key not in done:
                done[key] = _wrap(fn, paths.get(key, f"{mod_name}.{name}" if mod_name else name))
            setattr(mod, name, done[key])


def resolve_op(path):
    """The lamina function a TFOpLambda config names ('math.abs', '__operators__.getitem')."""
    if path == "__operators__.getitem":
        return _getitem
    if path == "__operators__.add":
        return _core.add
    obj = lamina
    for part in path.split("."):
        obj = getattr(obj, part)
    return getattr(obj, "__wrapped__", obj)
