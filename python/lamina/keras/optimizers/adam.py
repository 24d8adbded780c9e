"""The Adam family: Adam (amsgrad), AdamW (decoupled weight decay), Adamax, Nadam —
tf.keras 2.11+ update rules."""
from lamina import _core
from lamina.keras.optimizers.optimizer import Optimizer


def _step(opt, variable):
    """(iterations + 1) in the variable's dtype, for the bias corrections."""
    return float(opt.iterations.numpy()) + 1.0


class Adam(Optimizer):
    """m, v moving averages of g and g^2; v <- v - lr_t * m / (sqrt(v) + eps)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="Adam", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_variable_from_reference(v, "m")
            self.add_variable_from_reference(v, "v")
        if self.amsgrad:
            for v in var_list:
                self.add_variable_from_reference(v, "vhat")

    def update_step(self, gradient, variable):
        dt = variable.dtype
        lr = self._lr(variable)
        t = _step(self, variable)
        b1p = _core.pow_(_core.constant(self.beta_1, dtype=dt), _core.constant(t, dtype=dt))
        b2p = _core.pow_(_core.constant(self.beta_2, dtype=dt), _core.constant(t, dtype=dt))
        alpha = lr * _core.sqrt(1.0 - b2p) / (1.0 - b1p)
        m, v = self._slot(variable, "m"), self._slot(variable, "v")
        m.assign_add((gradient - m.value()) * (1 - self.beta_1))
        v.assign_add((_core.square(gradient) - v.value()) * (1 - self.beta_2))
        vv = v.value()
        if self.amsgrad:
            vhat = self._slot(variable, "vhat")
            vhat.assign(_core.maximum(vhat.value(), vv))
            vv = vhat.value()
        variable.assign_sub((m.value() * alpha) / (_core.sqrt(vv) + self.epsilon))

    def get_config(self):
        return self._hyper_config(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                                  amsgrad=self.amsgrad)


class AdamW(Adam):
    """Adam with decoupled weight decay (variable -= lr * weight_decay * variable first)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="AdamW", **kwargs):
        if weight_decay is None:
            raise ValueError("Missing value of `weight_decay` which is required and must be a "
                             "float value.")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, name=name, **kwargs)


class Adamax(Optimizer):
    """Adam with the infinity norm: u <- max(beta_2 * u, |g|)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name="Adamax", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_variable_from_reference(v, "m")
            self.add_variable_from_reference(v, "u")

    def update_step(self, gradient, variable):
        dt = variable.dtype
        lr = self._lr(variable)
        b1p = _core.pow_(_core.constant(self.beta_1, dtype=dt),
                         _core.constant(_step(self, variable), dtype=dt))
        m, u = self._slot(variable, "m"), self._slot(variable, "u")
        m.assign_add((gradient - m.value()) * (1 - self.beta_1))
        u.assign(_core.maximum(self.beta_2 * u.value(), _core.abs_(gradient)))
        variable.assign_sub((lr * m.value()) / ((1 - b1p) * (u.value() + self.epsilon)))

    def get_config(self):
        return self._hyper_config(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)


class Nadam(Optimizer):
    """Adam with Nesterov momentum and tf.keras's momentum-decay schedule (0.96 ** t)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name="Nadam", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = None
        self._u_product_counter = 1
        self._traced_counter = None   # see update_step
        self._var_index = 0

    def _create_slots(self, var_list):
        if self._u_product is None:
            from lamina.variables import Variable
            self._u_product = Variable(1.0, dtype=var_list[0].dtype, trainable=False)
        for v in var_list:
            self.add_variable_from_reference(v, "m")
            self.add_variable_from_reference(v, "v")

    def update_step(self, gradient, variable):
        dt = variable.dtype
        c = lambda x: _core.constant(x, dtype=dt)   # noqa: E731
        lr = self._lr(variable)
        it = int(self.iterations.numpy())
        decay, b1, b2 = c(0.96), c(self.beta_1), c(self.beta_2)
        u_t = b1 * (1.0 - 0.5 * _core.pow_(decay, c(it + 1.0)))
        u_t_1 = b1 * (1.0 - 0.5 * _core.pow_(decay, c(it + 2.0)))
        # the running product of u_t is advanced once per step, by the first variable updated.
        # Inside tf.keras's fit (a traced function, traced twice) the Python counter is frozen
        # at trace time: variable j of a step compares (counter after the first trace + j) with
        # iterations + 2 instead; each trace advanced the counter once per variable.
        if getattr(self, "_graph_step", False):
            if self._traced_counter is None:
                n = self._n_step_vars
                self._traced_counter = self._u_product_counter + n
                self._u_product_counter += 2 * n
            cached = self._traced_counter + self._var_index == it + 2
            self._var_index += 1
        else:
            cached = self._u_product_counter == it + 2
        if cached:
            u_product_t = _core.cast(self._u_product.value(), dt)
        else:
            u_product_t = _core.cast(self._u_product.value(), dt) * u_t
            self._u_product.assign(_core.cast(u_product_t, self._u_product.dtype))
            self._u_product_counter += 1
        u_product_t_1 = u_product_t * u_t_1
        b2p = _core.pow_(b2, c(it + 1.0))
        m, v = self._slot(variable, "m"), self._slot(variable, "v")
        m.assign_add((gradient - m.value()) * (1 - self.beta_1))
        v.assign_add((_core.square(gradient) - v.value()) * (1 - self.beta_2))
        m_hat = u_t_1 * m.value() / (1.0 - u_product_t_1) + \
            (1.0 - u_t) * gradient / (1.0 - u_product_t)
        v_hat = v.value() / (1.0 - b2p)
        variable.assign_sub((m_hat * lr) / (_core.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        return self._hyper_config(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
