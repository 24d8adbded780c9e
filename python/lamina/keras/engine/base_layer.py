"""The base Layer (tf.keras.layers.Layer), following the reference page and tf.keras 2.

State is tracked by attribute assignment (variables, layers, and lists / dicts of them);
`weights` lists trainable before non-trainable, own before sublayers', in creation order.
`__call__` converts NumPy / Python inputs, builds on first use (inside a name scope, so weight
names are 'dense/kernel:0'), checks `input_spec`, autocasts floating inputs to the compute dtype,
passes `training` / `mask` to `call` when it takes them, clears eager losses at each outermost
call, and on symbolic (KerasTensor) inputs adds a node to a functional graph instead.
A built layer whose call needs none of that takes a short path (see `_update_fast_path`).
"""
import inspect
import textwrap
import threading

import numpy as np

from lamina import _core
from lamina._core import Tensor, as_dtype
from lamina.tensor_shape import TensorShape
from lamina import variables as _vars
from lamina.variables import Variable, VariableSynchronization, VariableAggregation, Module
from lamina.keras import backend, initializers, regularizers, constraints
from lamina.keras import mixed_precision as _mp
from lamina.keras.engine import input_spec as _input_spec
from lamina.keras.engine.input_spec import InputSpec
from lamina.keras.engine import keras_tensor as _kt
from lamina.keras.engine.keras_tensor import (KerasTensor, Node, flatten, map_structure,
                                              any_symbolic, is_symbolic)
from lamina.keras.engine.tracking import (_is_metric, _flat_values, _wrap_container,
                                          _init_tracking, dedup)

_ALLOWED_KWARGS = {"input_dim", "input_shape", "batch_input_shape", "batch_size", "weights",
                   "activity_regularizer", "autocast", "implementation"}


class _CallContext(threading.local):
    def __init__(self):
        self.depth = 0
        self.training = None
        self.extra = {}     # registered call-context arguments other than training


_ctx = _CallContext()


def call_context():
    return _ctx


# ---- the signature of `call`, computed once per function -------------------------------------------
class _CallSpec:
    __slots__ = ("arg_names", "param_names", "expects_training", "expects_mask", "varkw", "varargs",
                 "default_training", "training_pos", "mask_pos", "first_arg")

    def __init__(self, fn, kwargs_take_context=True):
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())[1:]   # drop self
        self.arg_names = [p.name for p in params
                          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        names = {p.name for p in params}
        self.param_names = names
        self.varkw = any(p.kind == p.VAR_KEYWORD for p in params)
        self.varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
        # a call taking **kwargs is given `training` (and an implicit `mask`) there, as in
        # tf.keras 2 (whose CallFunctionSpec counts **kwargs as expecting them)
        ctx_kw = self.varkw and kwargs_take_context
        self.expects_training = "training" in names or ctx_kw
        self.expects_mask = "mask" in names or ctx_kw
        self.training_pos = self.arg_names.index("training") if "training" in self.arg_names else None
        self.mask_pos = self.arg_names.index("mask") if "mask" in self.arg_names else None
        d = sig.parameters.get("training")
        self.default_training = None if d is None or d.default is d.empty else d.default
        self.first_arg = self.arg_names[0] if self.arg_names else None


_CALL_SPECS = {}


def _call_spec(fn, kwargs_take_context=True):
    key = (fn, kwargs_take_context)
    spec = _CALL_SPECS.get(key)
    if spec is None:
        spec = _CALL_SPECS[key] = _CallSpec(fn, kwargs_take_context)
    return spec


_INIT_ARGSPECS = {}


def _init_argspec(cls):
    r = _INIT_ARGSPECS.get(cls)
    if r is None:
        try:
            sig = inspect.signature(cls.__init__)
            params = list(sig.parameters.values())[1:]
        except (TypeError, ValueError):
            params = []
        r = _INIT_ARGSPECS[cls] = params
    return r


def _serializable(v):
    if v is None or isinstance(v, (str, int, float, bool)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_serializable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _serializable(x) for k, x in v.items())
    return False



class Layer:
    """The base class of layers: see the reference page (keras-base-layer-api.md)."""

    _fast_dtype = None        # class defaults, so a layer whose __init__ skipped super()
    _fast_min_ndim = 0        # still reaches the general path (and its clear error)
    _call_context_args = ("training",)

    _TRACKABLE = (Variable, list, tuple, dict)
    # Layers whose `call` is known to add no losses / metrics and need no context may be
    # called through the short path once built (see _update_fast_path).
    # The fast path may leave `axes` of the input spec to call (which must then reject a
    # wrong size itself; the spec check then runs to give the layer's own error).
    _fast_spec_axes_checked_by_call = False
    _convert_input_types = True
    _kwargs_take_context = True   # False: **kwargs of call get no training / mask

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        # Capture the constructor arguments for the automatic get_config (tf.keras >= 2.13).
        auto = _serializable(list(args)) and _serializable(dict(kwargs))
        object.__setattr__(obj, "_auto_get_config", auto)
        if auto:
            params = _init_argspec(cls)
            pos = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            config = dict(kwargs)
            config.update({p.name: v for p, v in zip(pos, args)})
            object.__setattr__(obj, "_auto_config", config)
        return obj

    def __init__(self, trainable=True, name=None, dtype=None, dynamic=False, **kwargs):
        s = object.__setattr__
        for kwarg in kwargs:
            if kwarg not in _ALLOWED_KWARGS:
                raise TypeError(f"Keyword argument not understood: {kwarg!r} (layer class "
                                f"{type(self).__name__}; accepted: trainable, name, dtype, "
                                f"dynamic, {', '.join(sorted(_ALLOWED_KWARGS))})")
        if not (isinstance(trainable, (bool, np.bool_)) or (
                hasattr(trainable, "dtype") and getattr(trainable, "ndim", None) == 0
                and as_dtype(trainable.dtype).is_bool)):
            raise TypeError(f"Expected `trainable` argument to be a boolean, but got: "
                            f"{trainable!r}")
        if not isinstance(dynamic, (bool, np.bool_)):
            raise TypeError(f"Expected `dynamic` argument to be a boolean, but got: {dynamic!r}")
        s(self, "_trainable", bool(trainable))
        s(self, "_stateful", False)
        s(self, "built", False)
        s(self, "_input_spec", None)
        s(self, "_build_input_shape", None)
        s(self, "_supports_masking", type(self).compute_mask is not Layer.compute_mask)
        _init_tracking(self)   # (state may have been assigned before Layer.__init__)
        s(self, "_losses", [])              # symbolic losses (and losses added in build)
        s(self, "_eager_losses", [])
        s(self, "_callable_losses", [])
        s(self, "_inbound_nodes", [])
        s(self, "_outbound_nodes", [])
        s(self, "_fast_dtype", None)
        s(self, "_fast_min_ndim", 0)
        s(self, "_dynamic", bool(dynamic))
        s(self, "_autocast", kwargs.get("autocast", True))
        s(self, "_initial_weights", kwargs.get("weights"))
        self._set_dtype_policy(dtype)
        self._init_set_name(name)
        s(self, "_activity_regularizer", regularizers.get(kwargs.get("activity_regularizer")))
        if "input_dim" in kwargs and "input_shape" not in kwargs:
            kwargs["input_shape"] = (kwargs["input_dim"],)
        if "input_shape" in kwargs or "batch_input_shape" in kwargs:
            if "batch_input_shape" in kwargs:
                batch_input_shape = tuple(kwargs["batch_input_shape"])
            else:
                shape = kwargs["input_shape"]
                shape = (shape,) if isinstance(shape, int) else tuple(shape)
                batch_input_shape = (kwargs.get("batch_size"),) + shape
            s(self, "_batch_input_shape", batch_input_shape)
        spec = _call_spec(type(self).call, type(self)._kwargs_take_context)
        s(self, "_call_spec", spec)

    # ---- names and dtypes -----------------------------------------------------------------------
    def _init_set_name(self, name, zero_based=True):
        if name is None:
            name = backend.unique_object_name(backend.to_snake_case(type(self).__name__),
                                              zero_based=zero_based)
        elif not isinstance(name, str):
            raise TypeError(f"Expected `name` argument to be a string, but got: {name!r}")
        backend.observe_name(name)
        object.__setattr__(self, "_name", name)

    @property
    def name(self):
        return self._name

    def _set_dtype_policy(self, dtype):
        if isinstance(dtype, _mp.Policy):
            policy = dtype
        elif isinstance(dtype, dict):
            policy = _mp.deserialize(dtype)
        elif isinstance(dtype, str) and dtype in ("mixed_float16", "mixed_bfloat16"):
            policy = _mp.Policy(dtype)
        elif dtype:
            policy = _mp.Policy(as_dtype(dtype).name)
        else:
            policy = _mp.global_policy()
        object.__setattr__(self, "_dtype_policy", policy)
        cd = policy.compute_dtype
        object.__setattr__(self, "_compute_dtype_object", as_dtype(cd) if cd else None)
        object.__setattr__(self, "_mixed", policy.compute_dtype != policy.variable_dtype)
        if "_call_spec" in self.__dict__:
            self._update_fast_path()

    @property
    def dtype_policy(self):
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._set_dtype_policy(value if not isinstance(value, str) else _mp.Policy(value))

    @property
    def dtype(self):
        """The dtype of the layer's weights (the policy's variable dtype), as a string."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self._dtype_policy.compute_dtype

    @property
    def _compute_dtype(self):
        return self._dtype_policy.compute_dtype

    @property
    def _dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def _expects_training_arg(self):
        """Whether call takes `training` (by name, or through **kwargs), as in tf.keras 2."""
        return self._call_spec.expects_training

    @property
    def _expects_mask_arg(self):
        return self._call_spec.expects_mask

    # ---- simple properties ------------------------------------------------------------------------
    @property
    def dynamic(self):
        return any(layer._dynamic for layer in self._flatten_layers())

    @property
    def stateful(self):
        return any(layer._stateful for layer in self._flatten_layers())

    @stateful.setter
    def stateful(self, value):
        object.__setattr__(self, "_stateful", value)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freeze (False) or unfreeze the layer and every layer inside it."""
        value = bool(value)
        for layer in self._flatten_layers():
            object.__setattr__(layer, "_trainable", value)

    @property
    def input_spec(self):
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        for v in flatten(value):
            if v is not None and not isinstance(v, InputSpec):
                raise TypeError(f"Layer input_spec must be an instance of InputSpec. Got: {v!r}")
        object.__setattr__(self, "_input_spec", value)
        self._update_fast_path()

    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, regularizer):
        object.__setattr__(self, "_activity_regularizer", regularizer)
        self._update_fast_path()

    @property
    def supports_masking(self):
        return self._supports_masking

    @supports_masking.setter
    def supports_masking(self, value):
        object.__setattr__(self, "_supports_masking", value)
        self._update_fast_path()

    @property
    def updates(self):
        return []

    @property
    def inbound_nodes(self):
        return self._inbound_nodes

    @property
    def outbound_nodes(self):
        return self._outbound_nodes

    def _node_at(self, node_index, what):
        """The inbound node `node_index` (tf.keras's _get_node_attribute_at_index errors)."""
        nodes = self._inbound_nodes
        if not nodes:
            raise RuntimeError(f"The layer {self.name} has never been called and thus has no "
                               f"defined {what}.")
        if not len(nodes) > node_index:
            raise ValueError(f"Asked to get {what} at node {node_index}, but the layer has only "
                             f"{len(nodes)} inbound nodes.")
        return nodes[node_index]

    @property
    def input(self):
        """The input of the layer's first call on symbolic tensors (tf.keras 2 reads node 0
        even when the layer was called several times)."""
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no input to return.")
        return self.get_input_at(0)

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has no inbound nodes.")
        return self.get_output_at(0)

    @property
    def input_shape(self):
        if not self._inbound_nodes:
            raise AttributeError(f'The layer "{self.name}" has never been called and thus has '
                                 f'no defined input shape. Note that the `input_shape` property '
                                 f'is only available for Functional and Sequential models.')
        shapes = {str(n.input_shapes) for n in self._inbound_nodes}
        if len(shapes) == 1:
            return self._inbound_nodes[0].input_shapes
        raise AttributeError(f'The layer "{self.name}" has multiple inbound nodes, with '
                             f'different input shapes. Hence the notion of "input shape" is '
                             f'ill-defined for the layer. Use `get_input_shape_at(node_index)` '
                             f'instead.')

    @property
    def output_shape(self):
        if not self._inbound_nodes:
            raise AttributeError(f'The layer "{self.name}" has never been called and thus has '
                                 f'no defined output shape.')
        shapes = {str(n.output_shapes) for n in self._inbound_nodes}
        if len(shapes) == 1:
            return self._inbound_nodes[0].output_shapes
        raise AttributeError(f'The layer "{self.name}" has multiple inbound nodes, with '
                             f'different output shapes. Hence the notion of "output shape" is '
                             f'ill-defined for the layer. Use `get_output_shape_at(node_index)` '
                             f'instead.')

    def get_input_at(self, node_index):
        ins = self._node_at(node_index, "input").keras_inputs
        return ins[0] if len(ins) == 1 else ins

    def get_output_at(self, node_index):
        return self._node_at(node_index, "output").outputs

    def get_input_shape_at(self, node_index):
        return self._node_at(node_index, "input shape").input_shapes

    def get_output_shape_at(self, node_index):
        return self._node_at(node_index, "output shape").output_shapes

    @property
    def input_mask(self):
        return _masks_of(self.input)

    @property
    def output_mask(self):
        return _masks_of(self.output)

    def get_input_mask_at(self, node_index):
        return _masks_of(self.get_input_at(node_index))

    def get_output_mask_at(self, node_index):
        return _masks_of(self.get_output_at(node_index))

    # ---- the Keras-v3 saving hooks of tf.keras 2 (a store is a dict of arrays) -------------------
    def save_own_variables(self, store):
        """Put this layer's own variables (not its sublayers') in `store` as '0', '1', ..."""
        for i, v in enumerate(self._trainable_weights + self._non_trainable_weights):
            store[f"{i}"] = v.numpy()

    def load_own_variables(self, store):
        """Assign this layer's own variables from a store written by save_own_variables."""
        all_vars = self._trainable_weights + self._non_trainable_weights
        if len(store.keys()) != len(all_vars):
            raise ValueError(f"Layer '{self.name}' expected {len(all_vars)} variables, but "
                             f"received {len(store.keys())} variables during loading. "
                             f"Expected: {[v.name for v in all_vars]}")
        for i, v in enumerate(all_vars):
            v.assign(_core.constant(np.array(store[f"{i}"], order="C"), dtype=v.dtype))

    def apply(self, inputs, *args, **kwargs):
        """Deprecated alias of __call__ (tf.keras 1)."""
        return self.__call__(inputs, *args, **kwargs)

    def get_losses_for(self, inputs):
        return self.losses if inputs is None else []

    def get_updates_for(self, inputs):
        return []

    # ---- attribute tracking -----------------------------------------------------------------------
    def __setattr__(self, name, value):
        if hasattr(type(self), name) and name != "_layers":
            # class attributes and @property setters are not tracked (as tf.keras)
            try:
                object.__setattr__(self, name, value)
            except AttributeError:
                raise AttributeError(
                    f'Can\'t set the attribute "{name}", likely because it conflicts with an '
                    f'existing read-only @property of the object. Please choose a different '
                    f'name.') from None
            return
        d = self.__dict__
        if isinstance(value, _TRACKED_TYPES) or _is_metric(value):
            if "_self_tracked" not in d:
                # state assigned before Layer.__init__ is tracked (as tf.keras 2 does); a
                # layer that never calls Layer.__init__ fails when it is called
                _init_tracking(self)
            position = None
            old = d.get(name)
            if isinstance(value, Variable) and isinstance(old, Variable):
                # a variable replacing a variable keeps its place in the weights
                lst = self._trainable_weights if old.trainable else self._non_trainable_weights
                position = next((i for i, w in enumerate(lst) if w is old), None)
            if name in d:
                self.__delattr__(name)
            value = _wrap_container(self, value)
            rc = self._ref_counts
            rc[id(value)] = rc.get(id(value), 0) + 1
            object.__setattr__(self, name, value)
            self._track_value(value, position)
            return
        if name in d and isinstance(d[name], _TRACKED_TYPES) and "_ref_counts" in d:
            self.__delattr__(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        existing = self.__dict__.get(name, None)
        rc = self._ref_counts if "_ref_counts" in self.__dict__ else {}
        key = id(existing)
        if existing is None or key not in rc:
            object.__delattr__(self, name)
            return
        if rc[key] > 1:
            rc[key] -= 1
            object.__delattr__(self, name)
            return
        del rc[key]
        object.__delattr__(self, name)
        if isinstance(existing, _CONTAINED):
            object.__setattr__(self, "_self_tracked",
                               [x for x in self._self_tracked if x is not existing])
        if isinstance(existing, Variable):
            object.__setattr__(self, "_trainable_weights",
                               [w for w in self._trainable_weights if w is not existing])
            object.__setattr__(self, "_non_trainable_weights",
                               [w for w in self._non_trainable_weights if w is not existing])
        if _is_metric(existing):
            object.__setattr__(self, "_metrics", [m for m in self._metrics if m is not existing])

    def _track_value(self, value, position=None):
        if _is_metric(value):
            if not any(m is value for m in self._metrics):
                self._metrics.append(value)
            return
        if isinstance(value, _CONTAINED):
            if not any(x is value for x in self._self_tracked):
                self._self_tracked.append(value)
        self._track_variables(_flat_values(value), position)

    def _track_variables(self, values, position=None):
        """Own variables (and metrics) among `values`; layers are found through _self_tracked."""
        for v in _flat_values(list(values)):
            if isinstance(v, Variable):
                lst = self._trainable_weights if v.trainable else self._non_trainable_weights
                if not any(w is v for w in lst):
                    if position is None:
                        lst.append(v)
                    else:
                        lst.insert(position, v)
            elif _is_metric(v):
                if not any(m is v for m in self._metrics):
                    self._metrics.append(v)

    def _flatten_modules(self, recursive=True, include_self=True):
        """Self, then sublayers (and tf.Module-style modules) depth first, through lists and
        dicts, each once; metrics are not part of the topology."""
        if include_self:
            yield self
        seen = set()
        stack = list(reversed(self.__dict__.get("_self_tracked", ())))
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, Layer):
                if _is_metric(obj):
                    continue
                yield obj
                if recursive:
                    stack.extend(reversed(obj._self_tracked))
            elif isinstance(obj, Module):
                yield obj
            elif isinstance(obj, (list, tuple)):
                stack.extend(reversed([x for x in obj if isinstance(x, _CONTAINED)]))
            elif isinstance(obj, dict):
                stack.extend(reversed([x for x in obj.values() if isinstance(x, _CONTAINED)]))

    def _flatten_layers(self, recursive=True, include_self=True):
        for m in self._flatten_modules(recursive, include_self):
            if isinstance(m, Layer):
                yield m

    _layers = None   # replaced below by _DirectSublayers (a subclass may assign its own)

    @property
    def metrics_variables(self):
        out = []
        for m in self.metrics:
            out.extend(m.variables)
        return out

    @property
    def _self_tracked_trackables(self):
        return self._self_tracked

    def add_update(self, updates, inputs=None):
        """tf.keras 1 compatibility: eager updates have already run; callables are run now,
        unless the layer is frozen (trainable=False) or a functional model is being built,
        as in tf.keras 2."""
        if not self.trainable or _kt.is_tracing():
            return
        for u in flatten(updates):
            if callable(u) and not isinstance(u, (Tensor, Variable)):
                u()

    def __deepcopy__(self, memo):
        import copy
        cls = type(self)
        new = object.__new__(cls)
        memo[id(self)] = new
        old_rc = self.__dict__.get("_ref_counts", {})
        rc = {}
        for k, v in self.__dict__.items():
            if k == "_ref_counts":
                continue
            nv = copy.deepcopy(v, memo)
            object.__setattr__(new, k, nv)
            if id(v) in old_rc:
                rc[id(nv)] = old_rc[id(v)]
        object.__setattr__(new, "_ref_counts", rc)
        return new


    @property
    def submodules(self):
        return list(self._flatten_layers(include_self=False))

    # ---- weights ----------------------------------------------------------------------------------
    _dedup = staticmethod(dedup)

    def _gather_children(self, attr):
        out = []
        for layer in self._flatten_modules(include_self=False, recursive=False):
            out.extend(getattr(layer, attr))
        return out

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return self._dedup(self._trainable_weights + self._gather_children("trainable_weights"))

    @property
    def non_trainable_weights(self):
        if self._trainable:
            w = self._non_trainable_weights + self._gather_children("non_trainable_weights")
        else:
            w = self._trainable_weights + self._non_trainable_weights + \
                self._gather_children("weights")
        return self._dedup(w)

    @property
    def weights(self):
        return self._dedup(self.trainable_weights + self.non_trainable_weights)

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=None, constraint=None, use_resource=None,
                   synchronization=VariableSynchronization.AUTO,
                   aggregation=VariableAggregation.NONE, **kwargs):
        """Create a variable of this layer, tracked in its weights (see the reference page)."""
        if shape is None:
            shape = ()
        kwargs.pop("partitioner", None)
        for kwarg in kwargs:
            if kwarg not in ("collections", "autocast", "experimental_autocast", "caching_device",
                             "getter",
                             "layout", "experimental_enable_variable_lifting"):
                raise TypeError(f"Unknown keyword argument: {kwarg!r} (add_weight of layer "
                                f"{self.name!r})")
        autocast = kwargs.pop("autocast", None)
        if autocast is None:
            autocast = kwargs.pop("experimental_autocast", None)
        if autocast is None:
            autocast = True
        getter = kwargs.pop("getter", None)
        if dtype is None:
            dtype = self.dtype or backend.floatx()
        try:
            dtype = as_dtype(dtype)
        except TypeError:
            # tf.keras: a dtype with no default initializer (string, ...) needs one
            if initializer is None and getter is None:
                shown = f"<dtype: '{dtype}'>" if isinstance(dtype, str) else dtype
                raise ValueError(f"An initializer for variable {name} of type {shown} is "
                                 f"required for layer {self.name}. Received: None.") from None
            raise
        if self._dtype_policy.variable_dtype is None:
            self._set_dtype_policy(_mp.Policy(dtype.name))
        if isinstance(initializer, (Tensor, np.ndarray, list, float, int)) and \
                not isinstance(initializer, bool):
            value = initializer   # a value (Keras 3 accepts it) rather than a callable

            def initializer(shape, dtype=None, _v=value):
                return _core.constant(np.broadcast_to(np.asarray(_v), tuple(shape)).copy(),
                                      dtype=dtype)
        initializer = initializers.get(initializer)
        regularizer = regularizers.get(regularizer)
        constraint = constraints.get(constraint)
        if synchronization is not None and not isinstance(synchronization, VariableSynchronization):
            synchronization = VariableSynchronization(synchronization)
        if synchronization == VariableSynchronization.ON_READ:
            if trainable:
                raise ValueError("Synchronization value can be set to VariableSynchronization."
                                 "ON_READ only for non-trainable variables. You have specified "
                                 f"trainable=True and synchronization=VariableSynchronization."
                                 f"ON_READ (weight {name!r} of layer {self.name!r}).")
            trainable = False
        elif trainable is None:
            trainable = True
        if initializer is None:
            if dtype.is_floating:
                initializer = initializers.get("glorot_uniform")
            elif dtype.is_integer or dtype.is_bool:
                initializer = initializers.get("zeros")
            elif getter is None:
                raise ValueError(f"An initializer for variable {name} of type {dtype.name} is "
                                 f"required for layer {self.name}. Received: {initializer}.")
        if getter is not None:
            variable = getter(name=name, shape=shape, dtype=dtype, initializer=initializer,
                              trainable=trainable, constraint=constraint)
        else:
            init_val = initializer(shape, dtype=dtype) if initializer is not None else None
            if isinstance(init_val, Tensor) and init_val.dtype != dtype and dtype.is_floating:
                init_val = _core.cast(init_val, dtype)
            variable = Variable(init_val, trainable=trainable, name=name or "Variable",
                                dtype=dtype, constraint=constraint, shape=shape,
                                synchronization=synchronization, aggregation=aggregation)
        if autocast and self._mixed and dtype.is_floating and isinstance(variable, Variable):
            # only a mixed policy makes AutoCastVariables (tf.keras 2's add_weight)
            variable._autocast = True
        if regularizer is not None:
            def _loss(v=variable, r=regularizer):
                return r(v)
            self._callable_losses.append(_loss)
        if trainable:
            if not any(w is variable for w in self._trainable_weights):
                self._trainable_weights.append(variable)
        else:
            if not any(w is variable for w in self._non_trainable_weights):
                self._non_trainable_weights.append(variable)
        return variable

    add_variable = add_weight

    def quantize(self, mode=None, **kwargs):
        """Keras 3's quantize: a model quantizes its layers (keras/layers/quantized.py); a
        layer with no quantized form raises NotImplementedError."""
        from lamina.keras.engine.training import Model
        if isinstance(self, Model):
            from lamina.keras.layers.quantized import quantize_layers
            return quantize_layers(self, mode)
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` "
                                  f"method implemented.")

    def get_weights(self):
        """The values of `weights`, as NumPy copies, in the same order."""
        return [np.array(w.numpy(), copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Set `weights` from NumPy arrays (same count, order and shapes as get_weights())."""
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(f'You called `set_weights(weights)` on layer "{self.name}" with a '
                             f'weight list of length {len(weights)}, but the layer was '
                             f'expecting {len(params)} weights. Provided weights: '
                             f'{str(weights)[:50]}...')
        values = []
        for i, (p, w) in enumerate(zip(params, weights)):
            a = np.asarray(w.numpy() if hasattr(w, "numpy") else w)
            if not p.shape.is_compatible_with(TensorShape(a.shape)):
                raise ValueError(f"Layer {self.name} weight shape {tuple(p.shape)} is not "
                                 f"compatible with provided weight shape {a.shape} (weight {i}, "
                                 f"{p.name!r}).")
            values.append(a)
        for p, a in zip(params, values):
            if hasattr(p, "_set_from_numpy"):   # a weight with no lamina dtype (int8)
                p._set_from_numpy(a)
                continue
            # (np.ascontiguousarray would turn a 0-d value into shape (1,))
            p.assign(_core.constant(np.array(a, order="C"), dtype=p.dtype))

    def count_params(self):
        if not self.built:
            if type(self).build is Layer.build or self._build_input_shape is None:
                raise ValueError(f"You tried to call `count_params` on layer {self.name}, but "
                                 f"the layer isn't built. You can build it manually via: "
                                 f"`{self.name}.build(batch_input_shape)`.")
        return int(sum(int(np.prod(w.shape.as_list())) for w in self.weights))

    # ---- build / call ----------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights that depend on the input shape (subclasses); marks built."""
        object.__setattr__(self, "_build_input_shape", input_shape)
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    def _maybe_build(self, inputs):
        if self.built:
            return
        shapes = map_structure(lambda t: TensorShape(t.shape) if hasattr(t, "shape") else None,
                               inputs)
        if isinstance(shapes, list):
            shapes = list(shapes)
        if self._dtype_policy.compute_dtype is None:   # "_infer"
            for t in flatten(inputs):
                if hasattr(t, "dtype"):
                    self._set_dtype_policy(_mp.Policy(as_dtype(t.dtype).name))
                    break
        if type(self).build is not Layer.build or not getattr(self.build, "_is_default", False):
            with _vars.name_scope(self.name):
                self.build(shapes)
        object.__setattr__(self, "_build_input_shape", shapes)
        object.__setattr__(self, "built", True)
        if self._initial_weights is not None:
            w = self._initial_weights
            object.__setattr__(self, "_initial_weights", None)
            self.set_weights(w)
        self._update_fast_path()

    def _update_fast_path(self):
        """Whether a call may skip the general machinery: a built layer whose `call` is marked
        pure (`fast_call`: adds no losses or metrics, calls no other layer, needs no context),
        with no activity regularizer, no training / mask arguments, no mixed policy, and an
        input spec of at most `min_ndim` (plus `axes` when the call itself rejects a wrong
        size). Then __call__ is: check type, dtype, rank and mask of one tensor; call."""
        d = self.__dict__
        spec = d.get("_call_spec")
        ok = (d.get("built", False) and getattr(type(self).call, "_lamina_fast_call", False)
              and d.get("_activity_regularizer") is None
              and spec is not None and not spec.expects_training and not spec.expects_mask
              and not spec.varkw and not d.get("_mixed") and not d.get("_dynamic")
              and d.get("_compute_dtype_object") is not None)
        min_ndim = 0
        ispec = d.get("_input_spec")
        if ok and ispec is not None:
            if not isinstance(ispec, InputSpec) or ispec.shape is not None or ispec.dtype \
                    or ispec.ndim is not None or ispec.max_ndim is not None \
                    or (ispec.axes and not type(self)._fast_spec_axes_checked_by_call):
                ok = False
            elif ispec.min_ndim is not None:
                min_ndim = ispec.min_ndim
        object.__setattr__(self, "_fast_min_ndim", min_ndim)
        object.__setattr__(self, "_fast_dtype", d.get("_compute_dtype_object") if ok else None)

    def __call__(self, *args, **kwargs):
        # The short path (see _update_fast_path): one concrete tensor of the compute dtype.
        fd = self._fast_dtype
        if fd is not None and not kwargs and len(args) == 1:
            x = args[0]
            if type(x) is Tensor and x.dtype is fd and x.ndim >= self._fast_min_ndim and \
                    (not self._supports_masking or getattr(x, "_keras_mask", None) is None):
                try:
                    return self.call(x)
                except Exception:
                    pass   # a pure call: the general path redoes it and raises the layer's error
        return self._call_general(args, kwargs)

    def _check_spec_after_failure(self, x):
        if self._input_spec is not None:
            _input_spec.assert_input_compatibility(self._input_spec, x, self.name)

    def _split_first_arg(self, args, kwargs):
        if args:
            return args[0], args[1:], kwargs
        name = self._call_spec.first_arg
        if name is not None and name in kwargs:
            kwargs = dict(kwargs)
            return kwargs.pop(name), (), kwargs
        if "inputs" in kwargs:
            kwargs = dict(kwargs)
            return kwargs.pop("inputs"), (), kwargs
        raise ValueError(f"The first argument to `Layer.call` must always be passed (layer "
                         f"{self.name!r}).")

    def _call_general(self, args, kwargs):
        if "_call_spec" not in self.__dict__:
            raise RuntimeError(f"You must call `super().__init__()` in the constructor of "
                               f"{type(self).__name__} before using the layer.")
        object.__setattr__(self, "_called", True)
        inputs, args, kwargs = self._split_first_arg(args, kwargs)
        if self._convert_input_types:
            inputs = _convert_inputs(inputs)
        if any_symbolic(inputs) or (args and any_symbolic(args)) or (kwargs and any_symbolic(kwargs)):
            return self._functional_call(inputs, args, kwargs)
        ctx = _ctx
        outer = ctx.depth == 0
        if outer:
            self._clear_losses()
        args, kwargs, training = self._resolve_training(args, kwargs, ctx)
        mask_given = "mask" in kwargs or (self._call_spec.mask_pos is not None
                                          and len(args) >= self._call_spec.mask_pos)
        input_masks = None
        if not mask_given and (self._call_spec.expects_mask or self._supports_masking):
            masks = [getattr(t, "_keras_mask", None) for t in flatten(inputs)]
            if any(m is not None for m in masks):
                input_masks = masks[0] if len(masks) == 1 else masks
                if self._call_spec.expects_mask:
                    kwargs["mask"] = input_masks
        elif mask_given:
            if "mask" in kwargs:
                input_masks = kwargs["mask"]
            else:
                input_masks = args[self._call_spec.mask_pos - 1]
        if self._input_spec is not None:
            _input_spec.assert_input_compatibility(self._input_spec, inputs, self.name)
        prev_training, prev_extra = ctx.training, ctx.extra
        if len(self._call_context_args) > 1:
            kwargs = self._resolve_context_args(kwargs, ctx)
        ctx.depth += 1
        ctx.training = training
        first = not self.built
        try:
            if first:
                self._maybe_build(inputs)
            inputs = self._maybe_cast_inputs(inputs)
            if self._mixed:
                with _vars.autocast_scope(self._compute_dtype_object):
                    outputs = self._call_body(inputs, args, kwargs, first)
            else:
                with _vars.autocast_scope(None):
                    outputs = self._call_body(inputs, args, kwargs, first)
            if self._activity_regularizer is not None:
                self._handle_activity_regularization(inputs, outputs)
        finally:
            ctx.depth -= 1
            ctx.training, ctx.extra = prev_training, prev_extra
        if self._supports_masking:
            self._set_mask_metadata(inputs, outputs, input_masks)
        if self._fast_dtype is None and self.built:
            self._update_fast_path()
        return outputs

    def _call_body(self, inputs, args, kwargs, first):
        if first:
            with _vars.name_scope(self.name):
                return self.call(inputs, *args, **kwargs)
        return self.call(inputs, *args, **kwargs)

    def _register_call_context_args(self, *names):
        """Declare call arguments that, like `training`, propagate from an outer call to the
        layers called inside it (which declare them too)."""
        if self.__dict__.get("_called", False):
            raise RuntimeError("Cannot add call-context args after the layer has been called.")
        args = list(self._call_context_args)
        for n in names:
            if n not in args:
                args.append(n)
        object.__setattr__(self, "_call_context_args", tuple(args))

    def _resolve_context_args(self, kwargs, ctx):
        spec = self._call_spec
        extra = dict(ctx.extra)
        kwargs = dict(kwargs)
        for name in self._call_context_args:
            if name == "training":
                continue
            value = kwargs.get(name)
            if value is None:
                value = ctx.extra.get(name)
            if name in spec.param_names:
                if value is not None or name in kwargs:
                    kwargs[name] = value
            else:
                kwargs.pop(name, None)
            if value is not None:
                extra[name] = value
        ctx.extra = extra
        return kwargs

    def _resolve_training(self, args, kwargs, ctx):
        spec = self._call_spec
        if spec.expects_training:
            training = None
            pos = spec.training_pos
            passed_pos = pos is not None and len(args) >= pos  # args excludes inputs
            if passed_pos:
                training = args[pos - 1]
            elif "training" in kwargs:
                training = kwargs["training"]
            if training is None:
                if ctx.training is not None:
                    training = ctx.training
                elif backend._learning_phase is not None:
                    training = bool(backend._learning_phase)
                else:
                    training = spec.default_training
                if passed_pos:
                    args = args[:pos - 1] + (training,) + args[pos:]
                else:
                    kwargs = dict(kwargs)
                    kwargs["training"] = training
            return args, kwargs, training
        if "training" in kwargs:
            # not given to call; it sets the mode of the layers called inside
            kwargs = dict(kwargs)
            training = kwargs.pop("training")
            if training is None:
                training = ctx.training
            return args, kwargs, training
        return args, kwargs, ctx.training

    def _maybe_cast_inputs(self, inputs):
        cd = self._compute_dtype_object
        if cd is None or not self._autocast or not cd.is_floating:
            return inputs

        def cast(t):
            if type(t) is Tensor and t.dtype.is_floating and t.dtype != cd:
                return _core.cast(t, cd)
            return t
        if type(inputs) is Tensor:
            return cast(inputs)
        return map_structure(cast, inputs)

    def _handle_activity_regularization(self, inputs, outputs):
        for out in flatten(outputs):
            if not hasattr(out, "shape"):
                continue
            loss = self._activity_regularizer(out)
            shape = out.shape.as_list() if hasattr(out.shape, "as_list") else list(out.shape)
            batch = shape[0] if shape and shape[0] else 1
            self.add_loss(loss / float(batch))

    def _set_mask_metadata(self, inputs, outputs, previous_mask):
        flat_outputs = flatten(outputs)
        if all(getattr(x, "_keras_mask", None) is not None for x in flat_outputs):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for t, m in zip(flat_outputs, flatten(masks)):
            try:
                t._keras_mask = m
            except AttributeError:
                pass

    def compute_mask(self, inputs, mask=None):
        if not self._supports_masking:
            if any(m is not None for m in flatten(mask)):
                raise TypeError(f"Layer {self.name} does not support masking, but was passed "
                                f"an input_mask: {mask}")
            return None
        return mask

    # ---- symbolic (functional API) calls ----------------------------------------------------------
    def _functional_call(self, inputs, args, kwargs):
        ctx = _ctx
        # The node records `training` only when given a value: one the framework chose (the
        # outer mode or call's default) is chosen again when the model runs (tf.keras 2).
        node_args, node_kwargs = args, kwargs
        if "training" in kwargs and (kwargs["training"] is None or
                                     not self._call_spec.expects_training):
            node_kwargs = dict(kwargs)
            del node_kwargs["training"]
        args, kwargs, training = self._resolve_training(args, kwargs, ctx)
        if self._input_spec is not None:
            _input_spec.assert_input_compatibility(self._input_spec, inputs, self.name)
        if not self.built:
            prev = ctx.depth
            ctx.depth += 1
            try:
                self._maybe_build(inputs)
            finally:
                ctx.depth = prev
        if self._dynamic and type(self).compute_output_shape is not Layer.compute_output_shape:
            outputs = self._specs_from_output_shape(inputs)
        else:
            outputs = self._infer_outputs(inputs, args, kwargs, training)
        if self._supports_masking:
            self._set_symbolic_masks(inputs, outputs)
        Node(self, (inputs,) + tuple(node_args), node_kwargs, outputs)
        return outputs

    def _set_symbolic_masks(self, inputs, outputs):
        """Symbolic outputs carry `_keras_mask` (a KerasTensor) as in tf.keras 2: compute_mask
        runs on stand-ins of the inputs and their masks. (Functional models apply masks on
        the eager tensors when they run; these are for inspection: input_mask, output_mask.)"""
        flat_out = flatten(outputs)
        if not flat_out or not all(is_symbolic(t) for t in flat_out):
            return
        in_masks = [getattr(t, "_keras_mask", None) for t in flatten(inputs)]
        results = []
        try:
            for fill in (2, 3):
                mask = None
                if any(m is not None for m in in_masks):
                    mask = [_kt.concretize(m, fill) if m is not None else None
                            for m in in_masks]
                    mask = mask[0] if len(mask) == 1 else mask
                with _kt.tracing(True), _vars.autocast_scope(None):
                    results.append(self.compute_mask(_kt.concretize(inputs, fill), mask))
        except Exception:       # a compute_mask that cannot run on stand-ins leaves no mask
            return
        if results[0] is None:
            return
        fa, fb = flatten(results[0]), flatten(results[1])
        for t, x, y in zip(flat_out, fa, fb):
            if x is not None and getattr(t, "_keras_mask", None) is None:
                try:
                    t._keras_mask = _kt.spec_of(x, y)
                except Exception:
                    pass

    def _run_standin(self, inputs, args, kwargs, training, fill, quiet):
        ctx = _ctx
        ci = _kt.concretize(inputs, fill)
        ca = _kt.concretize(args, fill)
        ck = _kt.concretize(kwargs, fill)
        prev_depth, prev_training = ctx.depth, ctx.training
        ctx.depth += 1
        ctx.training = training
        try:
            with _kt.tracing(quiet), _vars.name_scope(self.name):
                ci = self._maybe_cast_inputs(ci)
                with _vars.autocast_scope(self._compute_dtype_object if self._mixed else None):
                    out = self.call(ci, *ca, **ck)
                if self._activity_regularizer is not None:
                    self._handle_activity_regularization(ci, out)
        finally:
            ctx.depth, ctx.training = prev_depth, prev_training
        return out

    def _infer_outputs(self, inputs, args, kwargs, training):
        try:
            a = self._run_standin(inputs, args, kwargs, training, 2, False)
            b = self._run_standin(inputs, args, kwargs, training, 3, True)
        except Exception:
            # call cannot run on stand-ins; a layer that states its output shape still works
            if type(self).compute_output_shape is Layer.compute_output_shape:
                out = self._infer_with_known_fill(inputs, args, kwargs, training)
                if out is None:
                    raise
                return out
            return self._specs_from_output_shape(inputs)
        return _kt.spec_of(a, b)

    def _infer_with_known_fill(self, inputs, args, kwargs, training):
        """Unknown dims that must match a known one (tf.matmul of two (None, 3) inputs): fill
        them with a known dim size; output dims of that size are then reported unknown."""
        sizes = sorted({d for t in flatten((inputs, args, kwargs)) if is_symbolic(t)
                        and t.shape.rank is not None for d in t.shape.as_list()
                        if d is not None and d > 1})
        for d in sizes:
            try:
                a = self._run_standin(inputs, args, kwargs, training, d, False)
            except Exception:
                continue
            return map_structure(
                lambda t: KerasTensor([None if x == d else x for x in t.shape.as_list()],
                                      t.dtype) if is_symbolic(t) and t.shape.rank is not None
                else t, _kt.spec_of(a, a))
        return None

    def _specs_from_output_shape(self, inputs):
        shapes = map_structure(lambda t: TensorShape(t.shape) if hasattr(t, "shape") else t,
                               inputs)
        dt = self._compute_dtype_object or as_dtype("float32")
        return _shapes_to_specs(self.compute_output_shape(shapes), dt)

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensors for the outputs of a call on these (symbolic) arguments (Keras 3): from
        compute_output_shape when the layer defines it, else by running call on stand-ins."""
        inputs, args, kwargs = self._split_first_arg(args, kwargs)
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            return self._specs_from_output_shape(inputs)
        if not self.built:
            self._maybe_build(inputs)
        return self._infer_outputs(inputs, args, kwargs, None)

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape`, found by running call on stand-in inputs."""
        def to_kt(s):
            return KerasTensor(s, self._compute_dtype_object or "float32")
        shapes = _shape_structure(input_shape)
        kin = map_structure(to_kt, shapes)
        if not self.built:
            self._maybe_build(kin)
        out = self._infer_outputs(kin, (), {}, None)
        return map_structure(lambda t: t.shape, out)

    def compute_output_signature(self, input_signature):
        """Specs (shape and dtype) of the outputs for input specs (objects with shape, dtype)."""
        def to_kt(spec):
            return KerasTensor(spec.shape, getattr(spec, "dtype", None) or
                               self._compute_dtype_object or "float32")
        kin = map_structure(to_kt, input_signature)
        if not self.built:
            self._maybe_build(kin)
        return self._infer_outputs(kin, (), {}, None)

    # ---- losses -----------------------------------------------------------------------------------
    def _clear_losses(self):
        if not self._self_tracked:
            if self._eager_losses:
                object.__setattr__(self, "_eager_losses", [])
            return
        for layer in self._flatten_layers():
            if layer._eager_losses:
                object.__setattr__(layer, "_eager_losses", [])

    def add_loss(self, losses, **kwargs):
        """Add loss tensor(s) (in call), symbolic losses (on a functional model), or zero-
        argument callables (re-evaluated each time `losses` is read)."""
        kwargs.pop("inputs", None)
        if kwargs:
            raise TypeError(f"Unknown keyword arguments: {list(kwargs)}")
        in_call = _ctx.depth > 0
        tracing = _kt.is_tracing()
        if tracing and _kt.is_tracing_quiet():
            return
        eager, symbolic = [], []
        for loss in flatten(losses):
            if loss is None:
                continue
            if callable(loss) and not isinstance(loss, (Tensor, Variable)) and not is_symbolic(loss):
                self._callable_losses.append(loss)
                continue
            if is_symbolic(loss):
                symbolic.append(loss)
                continue
            if not isinstance(loss, Tensor):
                loss = _core.convert_to_tensor(
                    loss, dtype=None if hasattr(loss, "__lamina_tensor__") else backend.floatx())
            if tracing:
                symbolic.append(KerasTensor(loss.shape, loss.dtype))
            else:
                eager.append(loss)
        if eager and not in_call:
            raise ValueError("Expected a symbolic Tensors or a callable for the loss value. "
                             "Please wrap your loss computation in a zero argument `lambda`.")
        self._eager_losses.extend(eager)
        if in_call:
            self._losses.extend(symbolic)
        else:
            for loss in symbolic:
                if getattr(self, "_is_graph_network", False) and hasattr(loss, "_keras_history"):
                    self._graph_network_add_loss(loss)
                else:
                    self._losses.append(loss)

    @property
    def losses(self):
        """Losses added with add_loss by this layer and those inside it; callables and weight
        regularizers are evaluated now (so a GradientTape sees them)."""
        out = []
        for layer in self._flatten_layers():
            if layer._eager_losses:
                out.extend(layer._eager_losses)
            else:
                out.extend(layer._losses)
            for fn in layer._callable_losses:
                with _vars.autocast_scope(None):
                    v = fn()
                if v is None:
                    continue
                if not isinstance(v, Tensor) and not is_symbolic(v):
                    v = _core.convert_to_tensor(
                        v, dtype=None if hasattr(v, "__lamina_tensor__") else backend.floatx())
                out.append(v)
        return out

    # ---- metrics ----------------------------------------------------------------------------------
    @property
    def metrics(self):
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._metrics)
        return out

    def add_metric(self, value, name=None, **kwargs):
        """Track a metric tensor (aggregated by a Mean metric of that name) or the result of
        calling a Metric object."""
        keys = list(kwargs)
        if len(keys) > 1 or (len(keys) == 1 and keys[0] != "aggregation"):
            raise TypeError(f"Unknown keyword arguments: {keys}. Expected `aggregation`.")
        from lamina.keras import metrics as metrics_mod
        metric_obj = getattr(value, "_metric_obj", None)
        symbolic = is_symbolic(value)
        in_call = _ctx.depth > 0
        if name is None and metric_obj is None:
            raise ValueError("Please provide a name for your metric like "
                             "`self.add_metric(tf.reduce_sum(inputs), name='mean_activation')`")
        if metric_obj is not None:
            name = metric_obj.name
        if not in_call and not symbolic:
            raise ValueError(f"Expected a symbolic Tensor for the metric value, received: "
                             f"{value!r}")
        if _kt.is_tracing_quiet():
            return
        if in_call or not getattr(self, "_is_graph_network", False):
            matches = [m for m in self._metrics if m.name == name]
            if len(matches) > 1:
                raise ValueError(f"Please provide different names for the metrics you have "
                                 f'added. We found {len(matches)} metrics with the name: '
                                 f'"{name}"')
            match = matches[0] if matches else None
            if match is not None:
                obj = match
            elif metric_obj is not None:
                obj = metric_obj
                self._metrics.append(obj)
            else:
                dt = getattr(value, "dtype", None)
                obj = metrics_mod.Mean(name=name, dtype=dt.name if dt is not None and
                                       as_dtype(dt).is_floating else None)
                self._metrics.append(obj)
            if metric_obj is None and not symbolic and not _kt.is_tracing():
                obj(value)
        else:
            if metric_obj is not None:
                raise ValueError("Using the result of calling a `Metric` object when calling "
                                 "`add_metric` on a Functional Model is not supported. Please "
                                 "pass the Tensor to monitor directly.")
            self._graph_network_add_metric(value, name)

    # ---- config -----------------------------------------------------------------------------------
    def get_config(self):
        """{'name', 'trainable', 'dtype'} (+ 'batch_input_shape'); a subclass with other
        constructor arguments gets them captured automatically when they are plain values,
        else must override get_config."""
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": _mp.serialize(self._dtype_policy)}
        if hasattr(self, "_batch_input_shape"):
            config["batch_input_shape"] = self._batch_input_shape
        cls = type(self)
        if not getattr(cls.get_config, "_is_default", False):
            return config
        extra = [p.name for p in _init_argspec(cls)
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                 and p.name not in ("name", "trainable", "dtype", "dynamic", "self")]
        if not extra and cls.__init__ is Layer.__init__:
            return config
        if getattr(self, "_auto_get_config", False):
            base_keys = set(config)
            config.update(self._auto_config)
            params = _init_argspec(cls)
            accepts_kwargs = any(p.kind == p.VAR_KEYWORD for p in params)
            if not accepts_kwargs:
                names = {p.name for p in params}
                for key in base_keys - names:
                    config.pop(key, None)
            return config
        raise NotImplementedError(textwrap.dedent(f"""
            Layer {cls.__name__} was created by passing non-serializable argument values in
            `__init__()`, and therefore the layer must override `get_config()` in order to be
            serializable. Please implement `get_config()`.

            Example:

            class CustomLayer(keras.layers.Layer):
                def __init__(self, arg1, arg2, **kwargs):
                    super().__init__(**kwargs)
                    self.arg1 = arg1
                    self.arg2 = arg2

                def get_config(self):
                    config = super().get_config()
                    config.update({{
                        "arg1": self.arg1,
                        "arg2": self.arg2,
                    }})
                    return config"""))

    get_config._is_default = True

    @classmethod
    def from_config(cls, config):
        """cls(**config) (the dtype entry may be a serialized Policy)."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = _mp.deserialize(config["dtype"])
        try:
            return cls(**config)
        except Exception as e:
            raise TypeError(f"Error when deserializing class '{cls.__name__}' using config="
                            f"{config}.\n\nException encountered: {e}") from e

    def save_own_variables(self, store):
        """Keras's hook for a file's `vars` group: store["0"], store["1"], ... = the layer's own
        weights, trainable then non-trainable (override to save other state)."""
        for i, v in enumerate(self._trainable_weights + self._non_trainable_weights):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store):
        """The reverse of save_own_variables."""
        own = self._trainable_weights + self._non_trainable_weights
        if len(store) != len(own):
            raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but received "
                             f"{len(store)} variables during loading.")
        for i, v in enumerate(own):
            v.assign(store[str(i)])

    def get_build_config(self):
        if self._build_input_shape is not None:
            def conv(s):
                return tuple(s.as_list()) if isinstance(s, TensorShape) else s
            return {"input_shape": map_structure(conv, self._build_input_shape)
                    if not isinstance(self._build_input_shape, TensorShape)
                    else conv(self._build_input_shape)}
        return None

    def build_from_config(self, config):
        shape = config["input_shape"]
        if shape is not None:
            self.build(_shape_structure(shape))
            self.built = True

    def finalize_state(self):
        pass

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} name={self.name}, built={self.built}>"


class _DirectSublayers:
    """`layer._layers` (Keras 3): the direct sublayers. A non-data descriptor, so that a
    subclass may assign its own tracked `self._layers = [...]` as tf.keras 2 code does (tf.keras
    2 has no such attribute of its own)."""

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        return list(obj._flatten_layers(include_self=False, recursive=False))


Layer._layers = _DirectSublayers()

_TRACKED_TYPES = (Variable, Layer, Module, list, tuple, dict)
_CONTAINED = (Layer, Module, list, tuple, dict)


def fast_call(fn):
    """Mark a `call` as pure: it adds no losses or metrics and calls no other layer, so a
    built layer may be called through the short path (Dense.call is one)."""
    fn._lamina_fast_call = True
    return fn


def _overrides(cls, method, base):
    for klass in cls.__mro__:
        if klass is base:
            return False
        if method in klass.__dict__:
            return True
    return False


def _shapes_to_specs(shapes, dtype):
    """KerasTensors for a structure of shapes (a tuple of ints / None is one shape)."""
    if isinstance(shapes, TensorShape) or (isinstance(shapes, (list, tuple)) and all(
            d is None or isinstance(d, int) for d in shapes)):
        return KerasTensor(shapes, dtype)
    if isinstance(shapes, dict):
        return {k: _shapes_to_specs(v, dtype) for k, v in shapes.items()}
    return (tuple if isinstance(shapes, tuple) else list)(_shapes_to_specs(v, dtype)
                                                          for v in shapes)


def _shape_structure(s):
    """TensorShape for a shape (tuple of ints / None); lists of shapes stay lists."""
    if isinstance(s, TensorShape):
        return s
    if isinstance(s, dict):
        return {k: _shape_structure(v) for k, v in s.items()}
    if isinstance(s, (list, tuple)) and s and all(
            isinstance(x, (list, tuple, TensorShape, dict)) for x in s):
        return type(s)(_shape_structure(x) for x in s) if type(s) in (list, tuple) else \
            [_shape_structure(x) for x in s]
    return TensorShape(s)


def _masks_of(tensors):
    """The _keras_mask of a tensor, or of each tensor of a list (tf.keras's input_mask)."""
    if isinstance(tensors, list):
        return [getattr(t, "_keras_mask", None) for t in tensors]
    return getattr(tensors, "_keras_mask", None)


def _convert_inputs(x):
    """NumPy arrays and Python scalars among the inputs become tensors (as tf.keras does)."""
    t = type(x)
    if t is Tensor:
        return x
    if t is np.ndarray or t in (float, int) or isinstance(x, np.generic):
        return _core.convert_to_tensor(x)
    if t in (list, tuple, dict):
        return map_structure(lambda v: _core.convert_to_tensor(v)
                             if type(v) is np.ndarray or type(v) in (float, int) else v, x)
    return x
