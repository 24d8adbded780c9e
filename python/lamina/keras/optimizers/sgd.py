"""SGD with momentum and Nesterov momentum (tf.keras 2.11+ update rule)."""
from lamina.keras.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """m <- momentum * m - lr * g; v <- v + m (Nesterov: v <- v + momentum * m - lr * g)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, jit_compile=True, name="SGD",
                 **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        self._learning_rate = self._build_learning_rate(learning_rate)
        if isinstance(momentum, (int, float)) and (momentum < 0 or momentum > 1):
            raise ValueError("`momentum` must be between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_variable_from_reference(v, "m")

    def update_step(self, gradient, variable):
        lr = self._lr(variable)
        m = self._slot(variable, "m")
        step = -gradient * lr
        m.assign(step + m.value() * float(self.momentum))
        if self.nesterov:
            variable.assign_add(step + m.value() * float(self.momentum))
        else:
            variable.assign_add(m.value())

    def get_config(self):
        return self._hyper_config(momentum=self.momentum, nesterov=self.nesterov)
