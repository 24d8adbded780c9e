"""tf.keras.models: Model, Sequential, and the model file / config functions."""
from lamina.keras.engine.training import Model  # noqa: F401
from lamina.keras.engine.sequential import Sequential  # noqa: F401
from lamina.keras.saving.saving_api import save_model, load_model  # noqa: F401
from lamina.keras.saving.model_config import (model_from_json, model_from_config,  # noqa: F401
                                              clone_model)
