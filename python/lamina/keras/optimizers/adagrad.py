"""Accumulator optimizers: Adagrad, Adadelta, Ftrl (tf.keras 2.11+ update rules)."""
from lamina import _core
from lamina.keras.optimizers.optimizer import Optimizer


def _init(opt, name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
          ema_overwrite_frequency, jit_compile, kwargs):
    Optimizer.__init__(opt, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                       clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                       ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                       jit_compile=jit_compile, **kwargs)


class Adagrad(Optimizer):
    """accumulator += g^2; v <- v - lr * g / sqrt(accumulator + eps)."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name="Adagrad", **kwargs):
        _init(self, name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
              ema_momentum, ema_overwrite_frequency, jit_compile, kwargs)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_variable_from_reference(
                v, "accumulator", initial_value=_core.fill(tuple(v.shape),
                                                           _core.constant(
                                                               self.initial_accumulator_value,
                                                               dtype=v.dtype)))

    def update_step(self, gradient, variable):
        lr = self._lr(variable)
        acc = self._slot(variable, "accumulator")
        acc.assign_add(gradient * gradient)
        variable.assign_sub(lr * gradient / _core.sqrt(acc.value() + self.epsilon))

    def get_config(self):
        return self._hyper_config(initial_accumulator_value=self.initial_accumulator_value,
                                  epsilon=self.epsilon)


class Adadelta(Optimizer):
    """Adadelta: step = -sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g, scaled by lr."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, jit_compile=True,
                 name="Adadelta", **kwargs):
        _init(self, name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
              ema_momentum, ema_overwrite_frequency, jit_compile, kwargs)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.rho, self.epsilon = rho, epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_variable_from_reference(v, "accumulated_grad")
            self.add_variable_from_reference(v, "accumulated_delta_var")

    def update_step(self, gradient, variable):
        lr, rho = self._lr(variable), float(self.rho)
        ag = self._slot(variable, "accumulated_grad")
        ad = self._slot(variable, "accumulated_delta_var")
        ag.assign(rho * ag.value() + (1 - rho) * gradient * gradient)
        delta = -_core.sqrt(ad.value() + self.epsilon) * gradient / \
            _core.sqrt(ag.value() + self.epsilon)
        ad.assign(rho * ad.value() + (1 - rho) * delta * delta)
        variable.assign_add(lr * delta)

    def get_config(self):
        return self._hyper_config(rho=self.rho, epsilon=self.epsilon)


class Ftrl(Optimizer):
    """Follow The Regularized Leader (with L1 / L2 / L2-shrinkage regularization)."""

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="Ftrl", **kwargs):
        _init(self, name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
              ema_momentum, ema_overwrite_frequency, jit_compile, kwargs)
        for arg, val, sign in (("initial_accumulator_value", initial_accumulator_value, 1),
                               ("learning_rate_power", learning_rate_power, -1),
                               ("l1_regularization_strength", l1_regularization_strength, 1),
                               ("l2_regularization_strength", l2_regularization_strength, 1),
                               ("l2_shrinkage_regularization_strength",
                                l2_shrinkage_regularization_strength, 1)):
            if val * sign < 0:
                raise ValueError(f"`{arg}` needs to be {'positive' if sign > 0 else 'negative'}"
                                 f" or zero. Received: {arg}={val}.")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_variable_from_reference(
                v, "accumulator", initial_value=_core.fill(
                    tuple(v.shape), _core.constant(self.initial_accumulator_value,
                                                   dtype=v.dtype)))
            self.add_variable_from_reference(v, "linear")

    def update_step(self, gradient, variable):
        dt = variable.dtype
        lr = self._lr(variable)
        acc, linear = self._slot(variable, "accumulator"), self._slot(variable, "linear")
        p = _core.constant(-self.learning_rate_power, dtype=dt)
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        grad = gradient + 2 * self.l2_shrinkage_regularization_strength * variable.value()
        new_acc = acc.value() + _core.square(gradient)
        linear.assign_add(grad - (_core.pow_(new_acc, p) - _core.pow_(acc.value(), p)) / lr *
                          variable.value())
        quadratic = _core.pow_(new_acc, p) / lr + 2 * l2
        l1 = self.l1_regularization_strength
        clipped = _core.clip_by_value(linear.value(), -l1, l1)
        variable.assign((clipped - linear.value()) / quadratic)
        acc.assign(new_acc)

    def get_config(self):
        return self._hyper_config(
            learning_rate_power=self.learning_rate_power,
            initial_accumulator_value=self.initial_accumulator_value,
            l1_regularization_strength=self.l1_regularization_strength,
            l2_regularization_strength=self.l2_regularization_strength,
            l2_shrinkage_regularization_strength=self.l2_shrinkage_regularization_strength,
            beta=self.beta)
