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


def get(identifier):
    if isinstance(identifier, Optimizer):
        return identifier
    if identifier in ("sgd", "SGD"):
        return SGD()
    raise ValueError(f"Unknown optimizer: {identifier!r}")
