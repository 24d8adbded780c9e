"""lamina.keras: the tf.keras-shaped API (Layer, Model, Sequential, Input, ...) on lamina."""
import types as _types

from lamina.keras import backend, mixed_precision, initializers, regularizers, constraints
from lamina.keras import activations
from lamina.keras import layers
from lamina.keras.engine.input_layer import Input
from lamina.keras.engine.training import Model
from lamina.keras.engine.sequential import Sequential
from lamina.keras import metrics, losses, optimizers, utils, saving, models, callbacks

preprocessing = _types.SimpleNamespace(sequence=_types.SimpleNamespace(
    pad_sequences=utils.pad_sequences))
__version__ = "2.15.0-lamina"
