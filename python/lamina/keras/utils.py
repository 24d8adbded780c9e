"""tf.keras.utils: (de)serialization of Keras objects and custom-object registration (see
keras/saving/), to_categorical, set_random_seed."""
from lamina.keras.saving.object_registration import (register_keras_serializable,  # noqa: F401
                                                     get_registered_name, get_registered_object,
                                                     custom_object_scope, CustomObjectScope,
                                                     get_custom_objects)
from lamina.keras.saving.serialization import (serialize_keras_object,  # noqa: F401
                                               deserialize_keras_object)


def set_random_seed(seed):
    import random
    import numpy as np
    import lamina
    random.seed(seed)
    np.random.seed(seed)
    lamina.random.set_seed(seed)


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from a batch as train_step receives it."""
    from lamina.keras.engine.training_arrays import unpack_x_y_sample_weight as unpack
    return unpack(data)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    from lamina.keras.engine.training_arrays import pack_x_y_sample_weight as pack
    return pack(x, y, sample_weight)


from lamina.keras.progbar import Progbar  # noqa: E402
from lamina.keras.data_utils import Sequence, PyDataset, pad_sequences, to_categorical  # noqa
