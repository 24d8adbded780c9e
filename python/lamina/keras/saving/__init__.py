"""tf.keras.saving: model files (.keras, .h5, .weights.h5), configs, custom objects."""
from lamina.keras.saving.object_registration import (register_keras_serializable,
                                                     custom_object_scope, CustomObjectScope,
                                                     get_registered_object, get_registered_name,
                                                     get_custom_objects)
from lamina.keras.saving.serialization import serialize_keras_object, deserialize_keras_object
from lamina.keras.saving.saving_api import save_model, load_model, save_weights, load_weights
