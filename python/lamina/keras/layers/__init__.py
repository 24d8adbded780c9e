"""tf.keras.layers: the base Layer, InputSpec, Input / InputLayer and the core layers."""
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine.input_spec import InputSpec
from lamina.keras.engine.input_layer import InputLayer, Input
from lamina.keras.layers.core import (Dense, Activation, Flatten, Dropout, Lambda,
                                      TFOpLambda, Masking)
from lamina.keras.engine.functional import AddLoss, AddMetric
from lamina.keras.layers.batch_normalization import BatchNormalization
from lamina.keras.layers.merging import (Add, Subtract, Multiply, Average, Maximum, Minimum,
                                         Concatenate, add, subtract, multiply, average, maximum,
                                         minimum, concatenate)
from lamina.keras.layers.activation_layers import ReLU, Softmax
from lamina.keras.layers.reshape import Reshape
from lamina.keras.layers.embedding import Embedding
from lamina.keras.layers.activity_regularization import ActivityRegularization


def serialize(layer):
    from lamina.keras.utils import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """(as tf.keras 2's layers.deserialize: Lambda bytecode is refused only inside a load in
    safe mode)"""
    from lamina.keras.saving.serialization import deserialize_nested
    return deserialize_nested(config, custom_objects)
