"""tf.keras.optimizers (the 2.11+ optimizers): SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta,
Adamax, Nadam, Ftrl, learning-rate schedules, get / serialize / deserialize."""
from lamina.keras.optimizers.optimizer import Optimizer
from lamina.keras.optimizers.sgd import SGD
from lamina.keras.optimizers.rmsprop import RMSprop
from lamina.keras.optimizers.adam import Adam, AdamW, Adamax, Nadam
from lamina.keras.optimizers.adagrad import Adagrad, Adadelta, Ftrl
from lamina.keras.optimizers import schedules
from lamina.keras.optimizers.loss_scale import LossScaleOptimizer

_ALL = {c.__name__: c for c in (SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam,
                                Ftrl)}
# the names tf.keras accepts for the built-in optimizers
_ALIASES = {k.lower(): v for k, v in _ALL.items()}

legacy = type("legacy", (), dict(_ALL, Optimizer=Optimizer))
experimental = legacy


def serialize(optimizer):
    from lamina.keras import _serial
    return _serial.serialize(optimizer, "keras.optimizers")


def deserialize(config, custom_objects=None, use_legacy_optimizer=False, **kwargs):
    from lamina.keras import _serial
    table = dict(_ALL, LossScaleOptimizer=LossScaleOptimizer)
    table.update(_ALIASES)
    if isinstance(config, dict) and config.get("class_name", "").lower() in _ALIASES:
        config = dict(config, class_name=_ALIASES[config["class_name"].lower()].__name__)
    obj = _serial.deserialize(config, table, custom_objects, "optimizer")
    return obj


def get(identifier, **kwargs):
    """An Optimizer, a name ('adam'), or a config dict -> an optimizer instance."""
    if isinstance(identifier, (Optimizer, LossScaleOptimizer)):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in _ALIASES:
            return _ALIASES[identifier.lower()]()
        return deserialize(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
