"""tf.keras.optimizers: SGD (with momentum and Nesterov) applying gradients to variables."""
from lamina import _core


class Optimizer:
    def __init__(self, name="Optimizer", **kwargs):
        self.name = name
        self.iterations = 0
        for k in kwargs:
            if k not in ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay",
                         "use_ema", "jit_compile"):
                raise TypeError(f"Unexpected keyword argument passed to optimizer: {k!r}")

    def apply_gradients(self, grads_and_vars, name=None, **kwargs):
        pairs = [(g, v) for g, v in grads_and_vars]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        for g, v in pairs:
            if g is None:
                continue
            self._apply_one(_core.convert_to_tensor(g), v)
            if v.constraint is not None:
                v.assign(v.constraint(v))
        self.iterations += 1
        return self.iterations

    def minimize(self, loss, var_list, tape=None):
        import lamina
        if tape is None:
            if not callable(loss):
                raise ValueError("`tape` is required when a `Tensor` loss is passed.")
            with lamina.GradientTape() as tape:
                value = loss()
        else:
            value = loss
        var_list = var_list() if callable(var_list) else var_list
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))


class SGD(Optimizer):
    """v <- v - learning_rate * g (with momentum: m <- momentum*m - lr*g; v <- v + m)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(name, **kwargs)
        if momentum < 0 or momentum > 1:
            raise ValueError(f"`momentum` must be between [0, 1]. Received: momentum={momentum}")
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self._slots = {}

    def _apply_one(self, g, v):
        lr = self.learning_rate() if callable(self.learning_rate) else self.learning_rate
        if g.dtype != v.dtype:
            g = _core.cast(g, v.dtype)
        if not self.momentum:
            v.assign_sub(g * lr)
            return
        m = self._slots.get(id(v))
        m = (-lr) * g if m is None else m * self.momentum - g * lr
        self._slots[id(v)] = m
        if self.nesterov:
            v.assign_add(m * self.momentum - g * lr)
        else:
            v.assign_add(m)

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate,
                "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name="RMSprop", **kwargs):
        super().__init__(name, **kwargs)
        self.learning_rate, self.rho, self.momentum = learning_rate, rho, momentum
        self.epsilon, self.centered = epsilon, centered
        self._slots = {}

    def _apply_one(self, g, v):
        lr = self.learning_rate() if callable(self.learning_rate) else self.learning_rate
        if g.dtype != v.dtype:
            g = _core.cast(g, v.dtype)
        ms, mg, mom = self._slots.get(id(v), (None, None, None))
        ms = (1 - self.rho) * g * g if ms is None else self.rho * ms + (1 - self.rho) * g * g
        denom = ms
        if self.centered:
            mg = (1 - self.rho) * g if mg is None else self.rho * mg + (1 - self.rho) * g
            denom = ms - mg * mg
        step = lr * g / (_core.sqrt(denom) + self.epsilon)
        if self.momentum:
            mom = step if mom is None else self.momentum * mom + step
            step = mom
        self._slots[id(v)] = (ms, mg, mom)
        v.assign_sub(step)

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate, "rho": self.rho,
                "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class Adam(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="Adam", **kwargs):
        super().__init__(name, **kwargs)
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon, self.amsgrad = epsilon, amsgrad
        self._slots = {}

    def _apply_one(self, g, v):
        import math
        lr = self.learning_rate() if callable(self.learning_rate) else self.learning_rate
        if g.dtype != v.dtype:
            g = _core.cast(g, v.dtype)
        m, s, t = self._slots.get(id(v), (None, None, 0))
        t += 1
        m = (1 - self.beta_1) * g if m is None else self.beta_1 * m + (1 - self.beta_1) * g
        s = (1 - self.beta_2) * g * g if s is None else self.beta_2 * s + (1 - self.beta_2) * g * g
        self._slots[id(v)] = (m, s, t)
        alpha = lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        v.assign_sub(alpha * m / (_core.sqrt(s) + self.epsilon))

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate, "beta_1": self.beta_1,
                "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}


legacy = type("legacy", (), {"SGD": SGD, "RMSprop": RMSprop, "Adam": Adam})
experimental = legacy


def get(identifier):
    """An Optimizer as it is; a name ('adam', any case) or a config dict deserialized."""
    from lamina.keras.saving import serialization
    if isinstance(identifier, Optimizer):
        return identifier
    table = {c.__name__: c for c in (SGD, RMSprop, Adam)}
    table.update({k.lower(): c for k, c in table.items()})
    if isinstance(identifier, str):
        identifier = identifier.lower()
    return serialization.get(identifier, table, "optimizer")
