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
from lamina.keras.layers.convolutional import (  # noqa: F401
    Conv1D, Conv2D, Conv3D, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
    Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, Convolution1D, Convolution2D,
    Convolution3D, SeparableConvolution1D, SeparableConvolution2D, Convolution2DTranspose,
    Convolution3DTranspose)
from lamina.keras.layers.pooling import (  # noqa: F401
    MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D,
    AveragePooling3D, MaxPool1D, MaxPool2D, MaxPool3D, AvgPool1D, AvgPool2D, AvgPool3D,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, GlobalMaxPooling3D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
    GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D)
from lamina.keras.layers.reshaping import (  # noqa: F401
    UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
    Cropping1D, Cropping2D, Cropping3D, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)


def serialize(layer):
    from lamina.keras.utils import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """(as tf.keras 2's layers.deserialize: Lambda bytecode is refused only inside a load in
    safe mode)"""
    from lamina.keras.saving.serialization import deserialize_nested
    return deserialize_nested(config, custom_objects)
