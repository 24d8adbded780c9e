"""keras.optimizers.schedules: learning rates as functions of the step, computed in float32 as
tf.keras computes them (the step is the optimizer's iteration count)."""
import math

import numpy as np

from lamina import _core

_f = np.float32


def _step(step):
    if hasattr(step, "numpy"):
        step = step.numpy()
    return _f(step)


def _out(x):
    return _core.constant(np.asarray(x, dtype=np.float32))


class LearningRateSchedule:
    """Base class: __call__(step) -> learning rate; get_config / from_config."""

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  f"override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  f"override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """initial * decay_rate ** (step / decay_steps) (floored with staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        p = _step(step) / _f(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _out(_f(self.initial_learning_rate) * np.power(_f(self.decay_rate), p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[i] for boundaries[i-1] < step <= boundaries[i]."""

    def __init__(self, boundaries, values, name=None):
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"The length of boundaries should be 1 less than the length of "
                             f"values. Received: boundaries={boundaries} of length "
                             f"{len(boundaries)}, and values={values} of length {len(values)}.")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        s = _step(step)
        for b, v in zip(self.boundaries, self.values):
            if s <= b:
                return _out(v)
        return _out(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """(initial - end) * (1 - step / decay_steps) ** power + end, optionally cycling."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle, self.name = (end_learning_rate, power,
                                                                     cycle, name)

    def __call__(self, step):
        s, steps = _step(step), _f(self.decay_steps)
        if self.cycle:
            steps = steps * (_f(1.0) if s == 0 else np.ceil(s / steps))
        else:
            s = min(s, steps)
        p = s / steps
        init, end = _f(self.initial_learning_rate), _f(self.end_learning_rate)
        return _out((init - end) * np.power(_f(1) - p, _f(self.power)) + end)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """initial / (1 + decay_rate * step / decay_steps)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        p = _step(step) / _f(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _out(_f(self.initial_learning_rate) / (_f(1) + _f(self.decay_rate) * p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial rate (or from warmup_target after a linear warmup) to
    alpha times it over decay_steps."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate, self.decay_steps, self.alpha = (initial_learning_rate,
                                                                    decay_steps, alpha)
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def _decay(self, s, steps, start):
        cos = _f(0.5) * (_f(1) + np.cos(_f(math.pi) * (s / steps)))
        return start * ((_f(1) - _f(self.alpha)) * cos + _f(self.alpha))

    def __call__(self, step):
        s, steps = _step(step), _f(self.decay_steps)
        init = _f(self.initial_learning_rate)
        if self.warmup_target is None:
            return _out(self._decay(min(s, steps), steps, init))
        target, warm = _f(self.warmup_target), _f(self.warmup_steps)
        s = min(s, steps + warm)
        if s < warm:
            return _out((target - init) * (s / warm) + init)
        return _out(self._decay(s - warm, steps, target))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods grow by t_mul, peaks by m_mul."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name=None):
        self.initial_learning_rate, self.first_decay_steps = (initial_learning_rate,
                                                              first_decay_steps)
        self._t_mul, self._m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        frac = _step(step) / _f(self.first_decay_steps)
        t_mul, m_mul = _f(self._t_mul), _f(self._m_mul)
        if t_mul == 1.0:
            i = np.floor(frac)
            frac = frac - i
        else:
            i = np.floor(np.log(_f(1) - frac * (_f(1) - t_mul)) / np.log(t_mul))
            sum_r = (_f(1) - t_mul ** i) / (_f(1) - t_mul)
            frac = (frac - sum_r) / t_mul ** i
        cos = _f(0.5) * m_mul ** i * (_f(1) + np.cos(_f(math.pi) * frac))
        alpha = _f(self.alpha)
        return _out(_f(self.initial_learning_rate) * ((_f(1) - alpha) * cos + alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


def serialize(schedule):
    from lamina.keras import _serial
    return _serial.serialize(schedule, "keras.optimizers.schedules")


def deserialize(config, custom_objects=None):
    from lamina.keras import _serial
    table = {c.__name__: c for c in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                     InverseTimeDecay, CosineDecay, CosineDecayRestarts)}
    return _serial.deserialize(config, table, custom_objects, "learning rate schedule")
