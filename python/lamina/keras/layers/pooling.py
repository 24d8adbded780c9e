"""Pooling layers with tf.keras 2's arguments and get_config: MaxPooling1D/2D/3D,
AveragePooling1D/2D/3D (lamina's C pooling, csrc/ops/pool.c) and the global poolings
(reductions; keepdims; GlobalAveragePooling1D honours a mask)."""
from lamina import _core
from lamina import _nn_conv
from lamina.tensor_shape import TensorShape
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine.input_spec import InputSpec
from lamina.keras.layers.convolutional import (normalize_tuple, normalize_padding,
                                               normalize_data_format, conv_output_length)


class Pooling(Layer):
    def __init__(self, rank, is_max, pool_size, strides=None, padding="valid",
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        if strides is None:
            strides = pool_size
        self.rank, self._is_max = rank, is_max
        self.pool_size = normalize_tuple(pool_size, rank, "pool_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        for name, v in (("pool_size", self.pool_size), ("strides", self.strides)):
            if min(v) <= 0:
                raise ValueError(f"The `{name}` argument must be positive. Received: {v}")
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        x = _core.convert_to_tensor(inputs)
        last = self.data_format == "channels_last"
        if not last:
            x = _nn_conv._to_last(x, self.rank)
        spatial = tuple(x.shape[1:self.rank + 1])
        if self.padding == "same":
            lo, hi = _nn_conv._same_pads(spatial, self.pool_size, self.strides, (1,) * self.rank)
        else:
            lo = hi = (0,) * self.rank
        y = _core._pool(self._is_max, x, self.pool_size, self.strides, lo, hi)
        return y if last else _nn_conv._to_first(y, self.rank)

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        last = self.data_format == "channels_last"
        spatial = shape[1:-1] if last else shape[2:]
        out = [conv_output_length(n, k, self.padding, s) for n, k, s in
               zip(spatial, self.pool_size, self.strides)]
        return TensorShape([shape[0]] + out + [shape[-1]] if last else shape[:2] + out)

    def get_config(self):
        config = super().get_config()
        if self.rank == 1:
            config.update({"strides": self.strides, "pool_size": self.pool_size})
        else:
            config.update({"pool_size": self.pool_size, "padding": self.padding,
                           "strides": self.strides})
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


def _pool_class(name, rank, is_max):
    default = (2,) * rank if rank > 1 else 2

    def __init__(self, pool_size=default, strides=None, padding="valid", data_format=None,
                 **kwargs):
        if rank == 1 and data_format is None:
            data_format = "channels_last"
        Pooling.__init__(self, rank, is_max, pool_size, strides, padding, data_format, **kwargs)
    return type(name, (Pooling,), {"__init__": __init__, "__doc__": f"tf.keras.layers.{name}"})


MaxPooling1D = _pool_class("MaxPooling1D", 1, True)
MaxPooling2D = _pool_class("MaxPooling2D", 2, True)
MaxPooling3D = _pool_class("MaxPooling3D", 3, True)
AveragePooling1D = _pool_class("AveragePooling1D", 1, False)
AveragePooling2D = _pool_class("AveragePooling2D", 2, False)
AveragePooling3D = _pool_class("AveragePooling3D", 3, False)
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D


class GlobalPooling(Layer):
    def __init__(self, rank, is_max, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.rank, self._is_max = rank, is_max
        self.data_format = normalize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=rank + 2)
        if rank == 1 and not is_max:
            self.supports_masking = True

    def _axes(self):
        return list(range(1, self.rank + 1)) if self.data_format == "channels_last" else \
            list(range(2, self.rank + 2))

    def call(self, inputs, mask=None):
        x = _core.convert_to_tensor(inputs)
        axes = self._axes()
        if self._is_max:
            return _core.reduce_max(x, axis=axes, keepdims=self.keepdims)
        if mask is not None:   # GlobalAveragePooling1D: the mean over unmasked steps
            m = _core.cast(mask, x.dtype)
            m = _core.expand_dims(m, 2 if self.data_format == "channels_last" else 1)
            total = _core.reduce_sum(_core.multiply(x, m), axis=axes, keepdims=self.keepdims)
            return _core.divide(total, _core.reduce_sum(m, axis=axes, keepdims=self.keepdims))
        return _core.reduce_mean(x, axis=axes, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        axes = self._axes()
        if self.keepdims:
            return TensorShape([1 if i in axes else d for i, d in enumerate(shape)])
        return TensorShape([d for i, d in enumerate(shape) if i not in axes])

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


def _global_class(name, rank, is_max):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        GlobalPooling.__init__(self, rank, is_max, data_format, keepdims, **kwargs)
    return type(name, (GlobalPooling,), {"__init__": __init__,
                                         "__doc__": f"tf.keras.layers.{name}"})


GlobalAveragePooling1D = _global_class("GlobalAveragePooling1D", 1, False)
GlobalAveragePooling2D = _global_class("GlobalAveragePooling2D", 2, False)
GlobalAveragePooling3D = _global_class("GlobalAveragePooling3D", 3, False)
GlobalMaxPooling1D = _global_class("GlobalMaxPooling1D", 1, True)
GlobalMaxPooling2D = _global_class("GlobalMaxPooling2D", 2, True)
GlobalMaxPooling3D = _global_class("GlobalMaxPooling3D", 3, True)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D,
                                                     GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
