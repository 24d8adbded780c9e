"""lamina.Variable: a named, mutable holder of a lamina Tensor (tf.Variable).

A Variable holds one immutable Tensor (a view of its own, whatever it was made from). Reads
(`value()`, `read_value()`, ops, operators) return that same Tensor object until the next
assignment; while a tape records on the thread, each read is a new view instead, and tells the
tapes about it (`_tape_hooks.variable_accessed`), so a tape watches trainable variables it sees
used and sums their gradient over the reads.
`assign`, `assign_add` and `assign_sub` are functional: they check shape and dtype and then
REPLACE the held Tensor by a new one, so tensors read before keep their values.

Inside a Keras layer's call with a mixed dtype policy, variables created by `add_weight` with
autocasting are read in the layer's compute dtype (`_autocast_dtype`); they stay stored in their
own dtype.
"""
import enum
import itertools
import os
import threading

import numpy as np

from lamina import _core
from lamina import _tape_hooks
from lamina._core import Tensor, convert_to_tensor, as_dtype
from lamina.tensor_shape import TensorShape

__all__ = ["Variable", "VariableSynchronization", "VariableAggregation"]


class VariableSynchronization(enum.Enum):
    """When a distributed variable is synchronized (tf.VariableSynchronization)."""
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How a distributed variable's updates are combined (tf.VariableAggregation)."""
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3  # tf 1 alias

    def __hash__(self):
        return self.value


_state = threading.local()   # .autocast: the compute dtype floating variables are read in, or None
_state.autocast = None       # (main thread; other threads see the getattr default)
_tape_hooks.active_tapes()   # creates this thread's (empty) tape list: reads test it cheaply
_hook = _tape_hooks.variable_accessed
_tape_local = _tape_hooks._local


def _autocast_dtype():
    return getattr(_state, "autocast", None)


class autocast_scope:
    """Read autocasting variables as `dtype` (None: no casting) inside the block."""
    __slots__ = ("dtype", "prev")

    def __init__(self, dtype):
        self.dtype = dtype

    def __enter__(self):
        self.prev = getattr(_state, "autocast", None)
        _state.autocast = self.dtype
        return self

    def __exit__(self, *exc):
        _state.autocast = self.prev


# name scopes (tf.name_scope for variable names: layers build inside their own scope)
def _scope_stack():
    s = getattr(_state, "scopes", None)
    if s is None:
        s = _state.scopes = []
    return s


class name_scope:
    """Prefix the names of variables created inside with `name/` (tf.name_scope)."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        _scope_stack().append(self.name)
        return self.name

    def __exit__(self, *exc):
        _scope_stack().pop()


def _check_sync(synchronization, aggregation, trainable, name):
    if synchronization is None:
        synchronization = VariableSynchronization.AUTO
    elif not isinstance(synchronization, VariableSynchronization):
        try:
            synchronization = VariableSynchronization(synchronization)
        except ValueError:
            raise ValueError(f"Invalid `synchronization` value {synchronization!r} for variable "
                             f"{name!r}: expected a lamina.VariableSynchronization") from None
    if aggregation is None:
        aggregation = VariableAggregation.NONE
    elif isinstance(aggregation, VariableSynchronization) and \
            aggregation.name in VariableAggregation.__members__:
        # the reference page's add_weight signature shows aggregation=VariableSynchronization.NONE
        aggregation = VariableAggregation[aggregation.name]
    elif not isinstance(aggregation, VariableAggregation):
        try:
            aggregation = VariableAggregation(aggregation)
        except ValueError:
            raise ValueError(f"Invalid `aggregation` value {aggregation!r} for variable "
                             f"{name!r}: expected a lamina.VariableAggregation") from None
    if synchronization == VariableSynchronization.ON_READ:
        if trainable:
            raise ValueError(f"Synchronization value can be set to VariableSynchronization."
                             f"ON_READ only for non-trainable variables. You have specified "
                             f"trainable=True and synchronization=VariableSynchronization."
                             f"ON_READ (variable {name!r}).")
        trainable = False
    elif trainable is None:
        trainable = True
    return synchronization, aggregation, bool(trainable)


_creation_order = itertools.count()


# assign/assign_add/assign_sub hold one of these locks (chosen by the variable) around their
# read-modify-write, so that concurrent updates of one variable are not lost (tf's are atomic per
# variable). A fixed set of locks rather than one per variable, so that a forked child can get
# fresh ones: a lock held by another thread at fork would never be released in the child.
_N_LOCKS = 64
_update_locks = [threading.Lock() for _ in range(_N_LOCKS)]


def _reset_locks_after_fork():
    global _update_locks
    _update_locks = [threading.Lock() for _ in range(_N_LOCKS)]


os.register_at_fork(after_in_child=_reset_locks_after_fork)


def _own(t):
    """The value a variable holds: a view of `t` with a tape identity of its own (no copy).
    Tapes key gradients by tensor, so a value shared with a constant, with another variable
    (`assign(other)`, `Variable(tensor)`, `copy.deepcopy`) or with a recorded op's output (the
    result of assign_add under a tape) would sum the gradients of different sources."""
    return _core.stop_gradient(t)


class Variable:
    """A mutable tensor-valued state (tf.Variable); see the module docstring."""

    _is_variable = True
    __array_priority__ = 200

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # as for tensors: ndarray <op> variable gives a tensor, np.sum(variable) a NumPy value
        return _core._array_ufunc(ufunc, method, inputs, kwargs)

    def __init__(self, initial_value=None, trainable=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None,
                 import_scope=None, constraint=None,
                 synchronization=VariableSynchronization.AUTO,
                 aggregation=VariableAggregation.NONE, shape=None,
                 experimental_enable_variable_lifting=True, **kwargs):
        # Keras passes these through add_weight's getter; accepted and ignored here.
        for k in kwargs:
            if k not in ("use_resource", "collections", "experimental_autocast", "getter",
                         "caching_device", "distribute_strategy", "partitioner"):
                raise TypeError(f"Variable got an unexpected keyword argument {k!r}")
        if variable_def is not None:
            raise ValueError("variable_def (graph-mode tf 1 variables) is not supported")
        if initial_value is None:
            raise ValueError("The `initial_value` arg (the value the variable starts with) "
                             "must be specified.")
        base = "Variable" if name is None else str(name)
        if base.endswith(":0"):
            base = base[:-2]
        scopes = getattr(_state, "scopes", None)
        if scopes:
            base = "/".join(scopes) + "/" + base
        self._shared_name = base
        self._synchronization, self._aggregation, self._trainable = _check_sync(
            synchronization, aggregation, trainable, base)
        if constraint is not None and not callable(constraint):
            raise ValueError(f"The `constraint` argument must be a callable, got {constraint!r} "
                             f"(variable {base!r})")
        self._constraint = constraint
        if callable(initial_value) and not isinstance(initial_value, (Tensor, Variable)) \
                and not hasattr(initial_value, "__lamina_tensor__"):
            initial_value = initial_value()
        if isinstance(initial_value, Variable):
            initial_value = initial_value.read_value()
        if dtype is not None:
            dtype = as_dtype(dtype)
            if isinstance(initial_value, Tensor) and initial_value.dtype != dtype:
                # tf casts (through convert_to_tensor) only Python / NumPy data; allow float
                # widening/narrowing of tensors as tf.Variable(tensor, dtype=...) in Keras code.
                if initial_value.dtype.is_floating and dtype.is_floating:
                    initial_value = _core.cast(initial_value, dtype)
                else:
                    raise TypeError(f"Variable {base!r}: initial_value has dtype "
                                    f"{initial_value.dtype.name} but dtype={dtype.name} was "
                                    f"requested")
        value = convert_to_tensor(initial_value, dtype=dtype)
        if shape is not None:
            want = TensorShape(shape)
            if not want.is_compatible_with(value.shape):
                raise ValueError(f"Variable {base!r}: initial_value has shape "
                                 f"{tuple(value.shape)} which is incompatible with shape={want}")
            self._shape = want
        else:
            self._shape = value.shape if validate_shape else TensorShape(None)
        self._value = _own(value)
        self._initial_value = value
        self._dtype = value.dtype
        self._autocast = False   # set by Keras' add_weight for floating weights
        self._unique_id = next(_creation_order)  # GradientTape.watched_variables sorts by it

    # -- facts -----------------------------------------------------------------------------------
    @property
    def name(self):
        return self._shared_name + ":0"

    @property
    def path(self):
        return self._shared_name

    @property
    def dtype(self):
        """The dtype a read gives: inside a mixed-precision layer call, an autocasting
        (floating, Keras-created) variable reports the compute dtype, as tf.keras's
        AutoCastVariable does; `true_dtype` is always the stored dtype."""
        if self._autocast:
            dt = getattr(_state, "autocast", None)
            if dt is not None:
                return dt
        return self._dtype

    @property
    def true_dtype(self):
        return self._dtype

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        if value and self._synchronization == VariableSynchronization.ON_READ:
            raise ValueError("A variable with synchronization ON_READ cannot be trainable")
        self._trainable = bool(value)

    @property
    def constraint(self):
        return self._constraint

    @property
    def synchronization(self):
        return self._synchronization

    @property
    def aggregation(self):
        return self._aggregation

    @property
    def initial_value(self):
        return self._initial_value

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    @property
    def handle(self):
        return self

    # -- reading ---------------------------------------------------------------------------------
    def value(self):
        """The current value: the same Tensor object between assignments (cast to the compute
        dtype inside a mixed-precision layer call)."""
        t = self._value
        try:
            tapes = _tape_local.tapes
        except AttributeError:   # first read on this thread (getattr's default path is slow)
            tapes = _tape_hooks.active_tapes()
        if tapes:
            # Under a tape each read is a tensor of its own, as tf's reads are ops: the tape sums
            # a variable's gradient over its reads, and one read is not another's source.
            t = _core.stop_gradient(t)
            _hook(self, t)
        if self._autocast:
            dt = getattr(_state, "autocast", None)
            if dt is not None and dt is not self._dtype:
                return _core.cast(t, dt)
        return t

    read_value = value

    def __lamina_tensor__(self):
        return self.value()

    def numpy(self):
        return self._value.numpy()

    def __array__(self, dtype=None, copy=None):
        a = np.array(self._value._as_array_view(), copy=True)
        return a if dtype is None else a.astype(dtype)

    def eval(self, session=None):
        return self.numpy()

    def ref(self):
        return _core._TensorRef(self) if hasattr(_core, "_TensorRef") else _Ref(self)

    experimental_ref = ref

    # -- writing (functional: a new Tensor replaces the held one) ---------------------------------
    def _coerce(self, value, what):
        if isinstance(value, Variable):
            value = value.value()
        if isinstance(value, Tensor) or hasattr(value, "__lamina_tensor__"):
            t = convert_to_tensor(value)
            if t.dtype != self._dtype:
                raise TypeError(f"{what}: cannot assign a value of dtype {t.dtype.name} to "
                                f"variable {self.name!r} of dtype {self._dtype.name}")
        else:
            try:
                t = convert_to_tensor(value, dtype=self._dtype)
            except (TypeError, ValueError) as e:   # (out of range stays a ValueError)
                raise (ValueError if isinstance(e, ValueError) else TypeError)(
                    f"{what}: cannot convert {value!r} to the dtype {self._dtype.name} of "
                    f"variable {self.name!r}: {e}") from None
        if self._shape.rank is not None and not self._shape.is_compatible_with(t.shape) \
                and not getattr(_state, "tracing", False):
            # (while tracing, values stand in for unknown dims: a (None, 1) batch may update a
            # (1, 1) variable, as a tf.keras graph allows; tracing changes no state anyway)
            raise ValueError(f"{what}: cannot assign a value of shape {tuple(t.shape)} to "
                             f"variable {self.name!r} of shape {tuple(self._shape)}: shape "
                             f"mismatch")
        return t

    def _set(self, t, read_value):
        if not getattr(_state, "tracing", False):   # symbolic tracing never changes state
            self._value = _own(t)
        return self if read_value else None

    def assign(self, value, use_locking=None, name=None, read_value=True):
        t = self._coerce(value, "assign")
        with _update_locks[id(self) % _N_LOCKS]:
            return self._set(t, read_value)

    def _update(self, op, delta, what, read_value):
        d = self._coerce(delta, what)
        if getattr(_state, "tracing", False):
            return self if read_value else None
        with _update_locks[id(self) % _N_LOCKS]:   # atomic: no update is lost to another thread
            return self._set(op(self._value, d), read_value)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return self._update(_core.add, delta, "assign_add", read_value)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return self._update(_core.subtract, delta, "assign_sub", read_value)

    # -- Python protocol ------------------------------------------------------------------------
    def __repr__(self):
        r = repr(self._value._as_array_view())
        return (f"<lamina.Variable '{self.name}' shape={tuple(self._value.shape)} "
                f"dtype={self._dtype.name}, numpy={r}>")

    def __str__(self):
        return self.__repr__()

    def __float__(self):
        return float(self.value())

    def __int__(self):
        return int(self.value())

    def __index__(self):
        return self.value().__index__()

    def __bool__(self):
        return bool(self.value())

    def __len__(self):
        return len(self._value)

    def __iter__(self):
        return iter(self.value())

    def __getitem__(self, key):
        return self.value()[key]

    def __format__(self, spec):
        return format(self.value(), spec)

    __hash__ = None   # as tf.Variable: == is elementwise; use v.ref() as a key

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        v = Variable.__new__(Variable)
        v.__dict__.update(self.__dict__)
        v._value = _own(self._value)   # the copy's reads are its own on a tape
        memo[id(self)] = v
        return v

    def __neg__(self):
        return -self.value()

    def __pos__(self):
        return self.value()

    def __abs__(self):
        return abs(self.value())

    def __invert__(self):
        return ~self.value()

    def __matmul__(self, other):
        return _core.matmul(self.value(), other)

    def __rmatmul__(self, other):
        return _core.matmul(other, self.value())


class _Ref:
    __slots__ = ("_v",)

    def __init__(self, v):
        self._v = v

    def deref(self):
        return self._v

    def __hash__(self):
        return id(self._v)

    def __eq__(self, other):
        return isinstance(other, _Ref) and other._v is self._v


def _make_binop(name):
    def op(self, other):
        if isinstance(other, Variable):
            other = other.value()
        return getattr(self.value(), name)(other)
    op.__name__ = name
    return op


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "lt", "le", "gt", "ge",
           "eq", "ne", "and", "or", "xor"):
    setattr(Variable, f"__{_n}__", _make_binop(f"__{_n}__"))
    if _n not in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(Variable, f"__r{_n}__", _make_binop(f"__r{_n}__"))
del _n


class Module:
    """tf.Module: a named container whose variables and submodules are found by walking its
    attributes (lists, tuples and dicts included), attributes in sorted order as tf does."""

    def __init__(self, name=None):
        if name is None:
            import re
            n = type(self).__name__
            n = re.sub("([a-z0-9])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", n))
            name = n.lower()
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def name_scope(self):
        return name_scope(self._name)

    def _walk(self, want):
        out, seen = [], {id(self)}

        def visit(v):
            if id(v) in seen:
                return
            if isinstance(v, Variable):
                seen.add(id(v))
                if want is Variable:
                    out.append(v)
            elif isinstance(v, Module) or hasattr(v, "_flatten_layers"):
                seen.add(id(v))
                if want is Module:
                    out.append(v)
                items = vars(v)
                for k in sorted(items):
                    if k not in ("_name",):
                        visit(items[k])
            elif isinstance(v, (list, tuple)):
                seen.add(id(v))
                for x in v:
                    visit(x)
            elif isinstance(v, dict):
                seen.add(id(v))
                for k in sorted(v, key=str):
                    visit(v[k])
        items = vars(self)
        for k in sorted(items):
            visit(items[k])
        return out

    @property
    def variables(self):
        return self._walk(Variable)

    @property
    def trainable_variables(self):
        return [v for v in self.variables if v.trainable]

    @property
    def non_trainable_variables(self):
        return [v for v in self.variables if not v.trainable]

    @property
    def submodules(self):
        return self._walk(Module)

    # the Layer-side names, so a Keras layer can gather a Module's weights like a sublayer's
    weights = variables
    trainable_weights = trainable_variables
    non_trainable_weights = non_trainable_variables
