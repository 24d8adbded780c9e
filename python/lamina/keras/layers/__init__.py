"""tf.keras.layers: the base Layer, InputSpec, Input / InputLayer and the core layers."""
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine.input_spec import InputSpec
from lamina.keras.engine.input_layer import InputLayer, Input
from lamina.keras.layers.core import (Dense, Activation, Flatten, Dropout, Lambda,
                                      TFOpLambda, Masking)
from lamina.keras.engine.functional import AddLoss, AddMetric
from lamina.keras.layers.more import (BatchNormalization, Add, Subtract, Multiply, Average,
                                      Maximum, Minimum, Concatenate, add, subtract, multiply,
                                      average, maximum, minimum, concatenate, ReLU, Softmax,
                                      Reshape, Embedding, ActivityRegularization)


def serialize(layer):
    from lamina.keras.utils import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    from lamina.keras.utils import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)
