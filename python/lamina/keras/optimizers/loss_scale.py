"""LossScaleOptimizer: dynamic loss scaling for float16 training (tf.keras.mixed_precision).
The loss is multiplied by `loss_scale` before differentiation and the gradients divided by it;
a step whose gradients are not all finite is skipped and halves the scale; every
`dynamic_growth_steps` finite steps double it."""
import numpy as np

from lamina import _core
from lamina.variables import Variable
from lamina.keras.optimizers.optimizer import Optimizer


class LossScaleOptimizer:
    def __init__(self, inner_optimizer, dynamic=True, initial_scale=None,
                 dynamic_growth_steps=None):
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f'"inner_optimizer" must be an instance of '
                            f'`tf.keras.optimizers.Optimizer`, but got: {inner_optimizer}.')
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError("LossScaleOptimizer cannot wrap another LossScaleOptimizer")
        if not isinstance(dynamic, bool):
            raise TypeError(f'"dynamic" argument to LossScaleOptimizer.__init__ must be a bool, '
                            f'but got: {dynamic!r}')
        self._optimizer = inner_optimizer
        self.dynamic = dynamic
        if dynamic:
            initial_scale = 2.0 ** 15 if initial_scale is None else initial_scale
            self.dynamic_growth_steps = 2000 if dynamic_growth_steps is None \
                else dynamic_growth_steps
        else:
            if initial_scale is None:
                raise ValueError('"initial_scale" must be specified if "dynamic" is False')
            if dynamic_growth_steps is not None:
                raise ValueError(f'"dynamic_growth_steps" must be None if "dynamic" is False, '
                                 f'but got: {dynamic_growth_steps}')
            self.dynamic_growth_steps = None
        self.initial_scale = float(initial_scale)
        self._loss_scale = Variable(float(initial_scale), name="current_loss_scale",
                                    dtype="float32", trainable=False)
        self._counter = Variable(0, name="good_steps", dtype="int64", trainable=False)

    @property
    def inner_optimizer(self):
        return self._optimizer

    @property
    def loss_scale(self):
        return _core.convert_to_tensor(self._loss_scale)

    @property
    def dynamic_counter(self):
        return _core.convert_to_tensor(self._counter) if self.dynamic else None

    def get_scaled_loss(self, loss):
        if callable(loss):
            return lambda: self.get_scaled_loss(loss())
        loss = _core.convert_to_tensor(loss)
        return loss * _core.cast(self.loss_scale, loss.dtype)

    def get_unscaled_gradients(self, grads):
        inv = 1.0 / float(self._loss_scale.numpy())
        return [None if g is None else g * _core.cast(_core.constant(inv), g.dtype)
                for g in grads]

    def compute_gradients(self, loss, var_list, tape=None):
        import lamina
        if tape is None:
            tape = lamina.GradientTape()
            with tape:
                if not callable(var_list):
                    tape.watch(var_list)
                loss = loss()
        with tape:
            scaled = self.get_scaled_loss(loss)
        var_list = var_list() if callable(var_list) else list(var_list)
        grads = self.get_unscaled_gradients(tape.gradient(scaled, var_list))
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, name=None, **kwargs):
        pairs = list(grads_and_vars)
        finite = all(g is None or bool(np.all(np.isfinite(np.asarray(
            _core.convert_to_tensor(g).numpy(), dtype=np.float64)))) for g, _ in pairs)
        if not self.dynamic:
            return self._optimizer.apply_gradients(pairs, name=name, **kwargs)
        if not finite:
            self._counter.assign(0)
            self._loss_scale.assign(max(float(self._loss_scale.numpy()) / 2.0, 1.0))
            return self._optimizer.iterations
        result = self._optimizer.apply_gradients(pairs, name=name, **kwargs)
        count = int(self._counter.numpy()) + 1
        if count >= self.dynamic_growth_steps:
            scale = float(self._loss_scale.numpy()) * 2.0
            if np.isfinite(np.float32(scale)):
                self._loss_scale.assign(scale)
            count = 0
        self._counter.assign(count)
        return result

    def minimize(self, loss, var_list, tape=None):
        return self.apply_gradients(self.compute_gradients(loss, var_list, tape))

    @property
    def variables(self):
        return self._optimizer.variables

    def get_config(self):
        from lamina.keras.optimizers import serialize
        return {"inner_optimizer": serialize(self._optimizer), "dynamic": self.dynamic,
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from lamina.keras.optimizers import deserialize
        config = dict(config)
        config["inner_optimizer"] = deserialize(config["inner_optimizer"], custom_objects)
        return cls(**config)

    def __getattr__(self, name):
        # everything else (learning_rate, iterations, name, build, ...) is the inner optimizer's
        if name.startswith("__") or name == "_optimizer":
            raise AttributeError(name)
        return getattr(self._optimizer, name)

    def __setattr__(self, name, value):
        if name in ("learning_rate", "lr", "iterations") and "_optimizer" in self.__dict__:
            setattr(self._optimizer, name, value)
        else:
            object.__setattr__(self, name, value)
