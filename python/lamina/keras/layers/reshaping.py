"""Spatial reshaping layers with tf.keras 2's arguments and get_config: UpSampling1D/2D/3D
(nearest; bilinear for 2-D through lamina.image.resize), ZeroPadding1D/2D/3D, Cropping1D/2D/3D,
and SpatialDropout1D/2D/3D (whole feature maps dropped). All are compositions of recorded ops
(gather, concat, slicing, where), so the tape differentiates them."""
import numpy as np

from lamina import _core
from lamina.tensor_shape import TensorShape
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine.input_spec import InputSpec
from lamina.keras.layers.convolutional import normalize_tuple, normalize_data_format


def _spatial_axes(rank, data_format):
    return list(range(1, rank + 1)) if data_format == "channels_last" else \
        list(range(2, rank + 2))


class UpSampling(Layer):
    def __init__(self, rank, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.size = int(size) if rank == 1 else normalize_tuple(size, rank, "size")
        self.data_format = normalize_data_format(data_format)
        self.interpolation = interpolation
        if interpolation not in ("nearest", "bilinear") or (rank != 2 and interpolation != "nearest"):
            raise ValueError(f"`interpolation` argument should be one of `\"nearest\"` or "
                             f"`\"bilinear\"`. Received: \"{interpolation}\".")
        self.input_spec = InputSpec(ndim=rank + 2)

    def _sizes(self):
        return (self.size,) if self.rank == 1 else self.size

    def call(self, inputs):
        x = _core.convert_to_tensor(inputs)
        axes = _spatial_axes(self.rank, self.data_format)
        if self.interpolation == "bilinear":
            from lamina import image
            last = self.data_format == "channels_last"
            if not last:
                x = _core.transpose(x, [0, 2, 3, 1])
            h, w = x.shape[1], x.shape[2]
            y = image.resize(x, (h * self.size[0], w * self.size[1]), method="bilinear")
            if y.dtype != x.dtype:
                y = _core.cast(y, x.dtype)
            return y if last else _core.transpose(y, [0, 3, 1, 2])
        for ax, s in zip(axes, self._sizes()):
            if s != 1:
                x = _core.gather(x, np.repeat(np.arange(x.shape[ax]), s), axis=ax)
        return x

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        for ax, s in zip(_spatial_axes(self.rank, self.data_format), self._sizes()):
            shape[ax] = None if shape[ax] is None else shape[ax] * s
        return TensorShape(shape)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        if self.rank > 1:
            config["data_format"] = self.data_format
        if self.rank == 2:
            config["interpolation"] = self.interpolation
        return config


class UpSampling1D(UpSampling):
    def __init__(self, size=2, **kwargs):
        super().__init__(1, size, "channels_last", **kwargs)


class UpSampling2D(UpSampling):
    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(2, size, data_format, interpolation, **kwargs)


class UpSampling3D(UpSampling):
    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(3, size, data_format, **kwargs)


def _pairs(value, rank, name):
    """An int, a pair per dim, or (before, after) pairs per dim as ((b, a), ...)."""
    if isinstance(value, int):
        return ((value, value),) * rank
    value = tuple(value)
    if rank == 1:
        if len(value) != 2:
            raise ValueError(f"`{name}` should have two elements. Received: {value}.")
        return (tuple(int(v) for v in value),)
    if len(value) != rank:
        raise ValueError(f"`{name}` should have {rank} elements. Received: {value}.")
    out = []
    for v in value:
        out.append((int(v), int(v)) if isinstance(v, int) else normalize_tuple(v, 2, name))
    return tuple(out)


class ZeroPadding(Layer):
    def __init__(self, rank, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.padding = _pairs(padding, rank, "padding")
        if any(v < 0 for p in self.padding for v in p):
            raise ValueError(f"`padding` must be non-negative. Received: {padding}")
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        x = _core.convert_to_tensor(inputs)
        for ax, (b, a) in zip(_spatial_axes(self.rank, self.data_format), self.padding):
            parts = []
            for n in (b, None, a):
                if n is None:
                    parts.append(x)
                elif n:
                    shape = list(x.shape)
                    shape[ax] = n
                    parts.append(_core.zeros(shape, dtype=x.dtype))
            if len(parts) > 1:
                x = _core.concat(parts, axis=ax)
        return x

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        for ax, (b, a) in zip(_spatial_axes(self.rank, self.data_format), self.padding):
            shape[ax] = None if shape[ax] is None else shape[ax] + b + a
        return TensorShape(shape)

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding[0] if self.rank == 1 else self.padding
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class ZeroPadding1D(ZeroPadding):
    def __init__(self, padding=1, **kwargs):
        super().__init__(1, padding, "channels_last", **kwargs)


class ZeroPadding2D(ZeroPadding):
    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(2, padding, data_format, **kwargs)


class ZeroPadding3D(ZeroPadding):
    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(3, padding, data_format, **kwargs)


class Cropping(Layer):
    def __init__(self, rank, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.cropping = _pairs(cropping, rank, "cropping")
        if any(v < 0 for p in self.cropping for v in p):
            raise ValueError(f"`cropping` must be non-negative. Received: {cropping}")
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        x = _core.convert_to_tensor(inputs)
        idx = [slice(None)] * x.ndim
        for ax, (b, a) in zip(_spatial_axes(self.rank, self.data_format), self.cropping):
            n = x.shape[ax]
            if b + a >= n:
                raise ValueError(f"cropping {self.cropping} is too large for an input of shape "
                                 f"{tuple(x.shape)} (nothing would be left on axis {ax})")
            idx[ax] = slice(b, n - a)
        return x[tuple(idx)]

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        for ax, (b, a) in zip(_spatial_axes(self.rank, self.data_format), self.cropping):
            shape[ax] = None if shape[ax] is None else shape[ax] - b - a
        return TensorShape(shape)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping[0] if self.rank == 1 else self.cropping
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class Cropping1D(Cropping):
    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(1, cropping, "channels_last", **kwargs)


class Cropping2D(Cropping):
    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(2, cropping, data_format, **kwargs)


class Cropping3D(Cropping):
    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, cropping, data_format, **kwargs)


class SpatialDropout(Layer):
    """Dropout of whole feature maps: one keep/drop draw per (batch, channel), kept ones scaled
    by 1 / (1 - rate)."""

    def __init__(self, rank, rate, data_format=None, **kwargs):
        seed = kwargs.pop("seed", None)
        noise_shape = kwargs.pop("noise_shape", None)
        super().__init__(**kwargs)
        if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
            raise ValueError(f"Invalid value {rate} received for `rate`, expected a value "
                             f"between 0 and 1.")
        self.rank, self.rate, self.seed, self.noise_shape = rank, rate, seed, noise_shape
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        import lamina
        x = _core.convert_to_tensor(inputs)
        shape = [1] * x.ndim
        shape[0] = x.shape[0]
        ch = -1 if self.data_format == "channels_last" else 1
        shape[ch] = x.shape[ch]
        keep = lamina.random.uniform(shape, dtype=x.dtype, seed=self.seed) >= self.rate
        scale = _core.cast(keep, x.dtype) / (1.0 - self.rate)
        return _core.multiply(x, scale)

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config


class SpatialDropout1D(SpatialDropout):
    def __init__(self, rate, **kwargs):
        super().__init__(1, rate, "channels_last", **kwargs)


class SpatialDropout2D(SpatialDropout):
    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(2, rate, data_format, **kwargs)


class SpatialDropout3D(SpatialDropout):
    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(3, rate, data_format, **kwargs)
