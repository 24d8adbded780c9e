"""The tf.keras 2.11+ optimizer base class: an `iterations` variable, a learning rate (a
variable or a schedule), slot variables per model variable (named like tf.keras's:
'<optimizer>/<slot>/<variable>'), gradient clipping, decoupled weight decay, constraints.

Slots are keyed by the variable's never-reused `_unique_id` and dropped when the variable dies
(a weakref finalizer), so a new variable never inherits a dead one's state."""
import math
import re
import weakref

import numpy as np

from lamina import _core
from lamina.variables import Variable
from lamina.keras import backend
from lamina.keras.optimizers.schedules import LearningRateSchedule, deserialize as _deser_lr


def _t(x):
    return _core.convert_to_tensor(x)


def _norm(g):
    return math.sqrt(float(_core.reduce_sum(_core.square(_core.cast(g, "float32")))))


def _base_name(var):
    name = getattr(var, "name", "variable") or "variable"
    return name[:-2] if name.endswith(":0") else name


class Optimizer:
    """Base class: subclasses define _create_slots(var_list) (in tf.keras's build order) and
    update_step(gradient, variable)."""

    def __init__(self, name, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, **kwargs):
        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.jit_compile = False   # tf.keras reports False on a machine without XLA devices
        if use_ema:
            raise NotImplementedError("use_ema=True (a moving average of the model weights) "
                                      "is not implemented in lamina's optimizers")
        kwargs.pop("is_legacy_optimizer", None)
        lr = kwargs.pop("lr", None)
        if kwargs:
            k = next(iter(kwargs))
            raise TypeError(f"{k} is not a valid argument, kwargs should be empty  for "
                            f"`optimizer_experimental.Optimizer`.")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"At most one of `clipnorm` and `global_clipnorm` can be set. "
                             f"Received: clipnorm={clipnorm}, global_clipnorm={global_clipnorm}.")
        self._variables = []
        self._slots = {}           # variable _unique_id -> {slot name: slot Variable}
        self._finalizers = {}
        self._exclude_ids, self._exclude_names = set(), []
        self._built = False
        self._iterations = Variable(0, name="iteration", dtype="int64", trainable=False)
        self._variables.append(self._iterations)
        self._pending_lr = lr

    # ---- learning rate ------------------------------------------------------------------------
    def _build_learning_rate(self, learning_rate):
        if self._pending_lr is not None:
            learning_rate = self._pending_lr
        if isinstance(learning_rate, LearningRateSchedule):
            self._current_learning_rate = Variable(
                learning_rate(self.iterations), name="current_learning_rate",
                trainable=False)
            return learning_rate
        if isinstance(learning_rate, dict):
            return self._build_learning_rate(_deser_lr(learning_rate))
        return Variable(_core.cast(_t(learning_rate), backend.floatx()), name="learning_rate",
                        trainable=False)

    @property
    def learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return self._current_learning_rate
        return lr

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule):
            self._learning_rate = value
            self._current_learning_rate = Variable(value(self.iterations),
                                                   name="current_learning_rate", trainable=False)
            return
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable. If you need the learning rate to be settable, "
                            "you should instantiate the optimizer with a float "
                            "`learning_rate` argument.")
        self._learning_rate.assign(_core.cast(_t(value), self._learning_rate.dtype))

    lr = learning_rate

    def _compute_current_learning_rate(self):
        if isinstance(self._learning_rate, LearningRateSchedule):
            self._current_learning_rate.assign(
                _core.cast(_t(self._learning_rate(self.iterations)),
                           self._current_learning_rate.dtype))

    def _lr(self, variable):
        return _core.cast(self.learning_rate.value(), variable.dtype)

    @property
    def iterations(self):
        return self._iterations

    @iterations.setter
    def iterations(self, variable):
        if self._built:
            raise RuntimeError("Cannot set `iterations` to a new Variable after the Optimizer "
                               "weights have been created.")
        if not isinstance(variable, Variable):
            self._iterations.assign(int(variable))
            return
        self._variables[self._variables.index(self._iterations)] = variable
        self._iterations = variable

    # ---- slots ----------------------------------------------------------------------------------
    def add_variable_from_reference(self, model_variable, variable_name, shape=None,
                                    initial_value=None):
        """A slot variable shaped like model_variable (zeros unless initial_value)."""
        if initial_value is None:
            shape = tuple(model_variable.shape) if shape is None else tuple(shape)
            initial_value = _core.zeros(shape, model_variable.dtype)
        slot = Variable(initial_value, name=f"{self.name}/{variable_name}/"
                        f"{_base_name(model_variable)}", dtype=model_variable.dtype,
                        trainable=False)
        self._slots[model_variable._unique_id][variable_name] = slot
        self._variables.append(slot)
        return slot

    def add_variable(self, shape, dtype=None, initializer="zeros", name=None):
        from lamina.keras import initializers
        init = initializers.get(initializer)
        v = Variable(init(tuple(shape or ()), dtype=dtype or backend.floatx()), name=name,
                     trainable=False)
        self._variables.append(v)
        return v

    def _create_slots(self, var_list):
        """Create each variable's slots (subclasses; the base has none)."""

    def build(self, var_list):
        """Create the slots of the variables not seen yet (all of them on the first call)."""
        new = []
        for v in var_list:
            key = v._unique_id
            if key in self._slots:
                continue
            self._slots[key] = {}
            self._finalizers[key] = weakref.finalize(v, _drop_slots, weakref.ref(self), key)
            new.append(v)
        if new:
            self._create_slots(new)
        self._built = True

    def _slot(self, variable, name):
        return self._slots[variable._unique_id][name]

    # ---- applying gradients -------------------------------------------------------------------
    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            out = []
            for g in grads:
                n = _norm(g)
                out.append(g * (self.clipnorm / n) if n > self.clipnorm else g)
            return out
        if self.global_clipnorm and self.global_clipnorm > 0:
            norms = [_norm(g) for g in grads]
            gnorm = math.sqrt(sum(n * n for n in norms))
            if not math.isfinite(gnorm):
                return [g * float("nan") for g in grads]
            scale = self.global_clipnorm / max(gnorm, self.global_clipnorm)
            return [g * scale for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [_core.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        if self._built:
            raise ValueError("`exclude_from_weight_decay()` can only be configued before the "
                             "optimizer is built.")
        self._exclude_ids = {v._unique_id for v in (var_list or [])}
        self._exclude_names = list(var_names or [])

    def _use_weight_decay(self, variable):
        if variable._unique_id in self._exclude_ids:
            return False
        return not any(re.search(n, variable.name) for n in self._exclude_names)

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        for v in variables:
            if self._use_weight_decay(v):
                v.assign_sub(v.value() * (self._lr(v) * float(self.weight_decay)))

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False,
                        **kwargs):
        """Apply (gradient, variable) pairs; returns the iterations variable."""
        self._compute_current_learning_rate()
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        for _, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"apply_gradients expects (gradient, Variable) pairs; got a "
                                f"{type(v).__name__} in place of a variable: {v!r}")
        self.build([v for _, v in pairs])
        kept = [(g, v) for g, v in pairs if g is not None]
        if not kept:
            raise ValueError(f"No gradients provided for any variable: "
                             f"{tuple(v.name for _, v in pairs)}.")
        grads = [_t(g) for g, _ in kept]
        grads = [g if g.dtype == v.dtype else _core.cast(g, v.dtype)
                 for g, (_, v) in zip(grads, kept)]
        variables = [v for _, v in kept]
        for g, v in zip(grads, variables):
            if tuple(g.shape) != tuple(v.shape):
                raise ValueError(f"Gradient of shape {tuple(g.shape)} for variable {v.name} of "
                                 f"shape {tuple(v.shape)}")
        grads = self._clip_gradients(grads)
        self._var_index, self._n_step_vars = 0, len(variables)
        self._apply_weight_decay(variables)
        for g, v in zip(grads, variables):
            self.update_step(g, v)
        self._iterations.assign_add(1)
        for v in variables:
            if getattr(v, "constraint", None) is not None:
                v.assign(v.constraint(v))
        return self._iterations

    def update_step(self, gradient, variable):
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    def compute_gradients(self, loss, var_list, tape=None):
        import lamina
        if not callable(loss) and tape is None:
            raise ValueError(f"`tape` is required when a `Tensor` loss is passed. Received: "
                             f"loss={loss}, tape={tape}.")
        if tape is None:
            tape = lamina.GradientTape()
        if callable(loss):
            with tape:
                if not callable(var_list):
                    tape.watch(var_list)
                loss = loss()
                if callable(var_list):
                    var_list = var_list()
        var_list = var_list() if callable(var_list) else list(var_list)
        grads = tape.gradient(loss, var_list)
        return list(zip(grads, var_list))

    def minimize(self, loss, var_list, tape=None):
        grads_and_vars = self.compute_gradients(loss, var_list, tape)
        return self.apply_gradients(grads_and_vars)

    def finalize_variable_values(self, var_list):
        """Nothing to do without use_ema (tf.keras calls this at the end of fit)."""

    # ---- state ----------------------------------------------------------------------------------
    @property
    def variables(self):
        return list(self._variables)

    def get_weights(self):
        return [v.numpy() for v in self._variables]

    def set_weights(self, weights):
        if not self._built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet "
                             "been built. Please call `optimizer.build(trainable_variables)` "
                             "to create the optimizer weights before calling `set_weights()`.")
        if len(weights) != len(self._variables):
            raise ValueError(f"set_weights: the optimizer has {len(self._variables)} variables, "
                             f"got {len(weights)} values")
        for v, w in zip(self._variables, weights):
            w = np.asarray(w)
            if tuple(v.shape) != w.shape:
                raise ValueError(f"Optimizer variable {v.name} has shape {tuple(v.shape)} not "
                                 f"compatible with provided weight shape {w.shape}.")
            v.assign(w.astype(v.dtype.name))

    def _serialize_hyperparameter(self, value):
        if isinstance(value, LearningRateSchedule):
            from lamina.keras.optimizers.schedules import serialize
            return serialize(value)
        if isinstance(value, Variable):
            return np.float32(value.numpy()) if value.dtype.name == "float32" else value.numpy()
        if callable(value):
            return value()
        return value

    def get_config(self):
        return {"name": self.name, "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "jit_compile": self.jit_compile, "is_legacy_optimizer": False}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _deser_lr(config["learning_rate"], custom_objects)
        return cls(**config)

    def _hyper_config(self, **values):
        config = self.get_config_base()
        config["learning_rate"] = self._serialize_hyperparameter(self._learning_rate)
        config.update(values)
        return config

    get_config_base = get_config


def _drop_slots(opt_ref, key):
    """A model variable died: forget its slots and their place in `variables`."""
    opt = opt_ref()
    if opt is None:
        return
    slots = opt._slots.pop(key, None) or {}
    opt._finalizers.pop(key, None)
    dead = {id(s) for s in slots.values()}
    opt._variables = [v for v in opt._variables if id(v) not in dead]
