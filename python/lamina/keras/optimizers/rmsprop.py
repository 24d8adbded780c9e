"""RMSprop, plain, with momentum, or centered (tf.keras 2.11+ update rule)."""
from lamina import _core
from lamina.keras.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """velocity <- rho * velocity + (1 - rho) * g^2; v <- v - lr * g / sqrt(velocity + eps)
    (centered: velocity - average_gradient^2 in the denominator)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=100, jit_compile=True,
                 name="RMSprop", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_variable_from_reference(v, "velocity")
        if self.momentum > 0:
            for v in var_list:
                self.add_variable_from_reference(v, "momentum")
        if self.centered:
            for v in var_list:
                self.add_variable_from_reference(v, "average_gradient")

    def update_step(self, gradient, variable):
        lr, rho = self._lr(variable), float(self.rho)
        velocity = self._slot(variable, "velocity")
        velocity.assign(rho * velocity.value() + (1 - rho) * _core.square(gradient))
        if self.centered:
            avg = self._slot(variable, "average_gradient")
            avg.assign(rho * avg.value() + (1 - rho) * gradient)
            denominator = velocity.value() - _core.square(avg.value()) + self.epsilon
        else:
            denominator = velocity.value() + self.epsilon
        increment = lr * gradient * _core.rsqrt(denominator)
        if self.momentum > 0:
            mom = self._slot(variable, "momentum")
            mom.assign(float(self.momentum) * mom.value() + increment)
            variable.assign_add(-mom.value())
        else:
            variable.assign_add(-increment)

    def get_config(self):
        return self._hyper_config(rho=self.rho, momentum=self.momentum, epsilon=self.epsilon,
                                  centered=self.centered)
