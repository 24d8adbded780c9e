"""Convolution layers with tf.keras 2's arguments, defaults, weight names and get_config:
Conv1D/2D/3D (groups, dilation_rate, "causal" for 1-D), DepthwiseConv1D/2D, SeparableConv1D/2D,
Conv1D/2D/3DTranspose. The work is lamina's C convolution (csrc/ops/conv.c): bias and a
relu / sigmoid / tanh / gelu activation are fused into its GEMM epilogue when no tape records."""
from lamina import _core
from lamina import _nn_conv
from lamina._core import as_dtype
from lamina.tensor_shape import TensorShape
from lamina.keras import activations, initializers, regularizers, constraints, backend
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine.input_spec import InputSpec


def normalize_tuple(value, n, name):
    """An int or an iterable of n ints as a tuple of n ints (keras conv_utils)."""
    if isinstance(value, int):
        return (value,) * n
    try:
        t = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: "
                         f"{value!r}") from None
    if len(t) != n:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: "
                         f"{value!r}")
    return t


def normalize_padding(value, allow_causal=False):
    p = value.lower() if isinstance(value, str) else value
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if p not in allowed:
        raise ValueError(f"The `padding` argument must be a list/tuple or one of {allowed}. "
                         f"Received: {value!r}")
    return p


def normalize_data_format(value):
    v = (value or "channels_last").lower()
    if v not in ("channels_first", "channels_last"):
        raise ValueError(f"The `data_format` argument must be one of \"channels_first\", "
                         f"\"channels_last\". Received: {value!r}")
    return v


def conv_output_length(n, k, padding, stride, dilation=1):
    if n is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding in ("same", "causal"):
        out = n
    else:
        out = n - eff + 1
    return (out + stride - 1) // stride


def deconv_output_length(n, k, padding, output_padding=None, stride=0, dilation=1):
    if n is None:
        return None
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return n * stride + max(k - stride, 0)
        return n * stride
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * stride + k - 2 * pad + output_padding


def _weight_value(v):
    return v.value() if hasattr(v, "value") else v


class Conv(Layer):
    """The N-d convolution layer (tf.keras.layers.Conv's arguments)."""

    _rank = 2

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        if isinstance(filters, float):
            filters = int(filters)
        if filters is not None and filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive "
                             f"value. Received filters={filters}.")
        self.filters = filters
        self.groups = groups or 1
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding, allow_causal=rank == 1)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        self._validate_init()

    def _validate_init(self):
        if self.filters is not None and self.filters % self.groups != 0:
            raise ValueError(f"The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={self.groups}, filters={self.filters}.")
        if not all(self.kernel_size):
            raise ValueError(f"The argument `kernel_size` cannot contain 0(s). Received: "
                             f"{self.kernel_size}")
        if not all(self.strides):
            raise ValueError(f"The argument `strides` cannot contains 0(s). Received: "
                             f"{self.strides}")
        if self.padding == "causal" and self.data_format == "channels_first":
            raise ValueError("Causal padding is only supported for `Conv1D` and `SeparableConv1D`"
                             " with channels_last.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > "
                             f"1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        c = input_shape[self._channel_axis]
        if c is None:
            raise ValueError(f"The channel dimension of the inputs should be defined. The input_"
                             f"shape received is {input_shape}, where axis {self._channel_axis} "
                             f"(0-based) is the channel dimension, which found to be `None`.")
        return int(c)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        dtype = as_dtype(self.dtype or backend.floatx())
        if not dtype.is_floating:
            raise TypeError(f"A convolution layer can only be built with a floating-point dtype. "
                            f"Received: dtype={dtype.name}")
        c = self._input_channels(input_shape)
        if c % self.groups != 0:
            raise ValueError(f"The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {c} channels (full input shape is {input_shape}).")
        self.kernel = self.add_weight("kernel", shape=self.kernel_size + (c // self.groups,
                                                                          self.filters),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, trainable=True,
                                      dtype=self.dtype)
        self.bias = self.add_weight("bias", shape=(self.filters,),
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint, trainable=True,
                                    dtype=self.dtype) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: c})
        self.built = True

    # ---- the computation ----

    def _pads(self, spatial, kernel_size):
        n = self.rank
        if self.padding == "valid":
            return (0,) * n, (0,) * n
        if self.padding == "causal":
            return ((kernel_size[0] - 1) * self.dilation_rate[0],), (0,)
        return _nn_conv._same_pads(spatial, kernel_size, self.strides, self.dilation_rate)

    def _prepare(self, inputs):
        x = _core.convert_to_tensor(inputs)
        compute = self.compute_dtype if hasattr(self, "compute_dtype") else None
        if compute is not None and x.dtype != compute and x.dtype.is_floating:
            x = _core.cast(x, compute)
        if self.data_format == "channels_first":
            x = _nn_conv._to_last(x, self.rank)
        lead = None
        if x.ndim > self.rank + 2:   # extra batch dims, folded as tf.keras does
            lead = tuple(x.shape[:x.ndim - self.rank - 1])
            x = _core.reshape(x, (-1,) + tuple(x.shape[-self.rank - 1:]))
        return x, lead

    def _finish(self, y, lead):
        if lead is not None:
            y = _core.reshape(y, lead + tuple(y.shape[1:]))
        if self.data_format == "channels_first":
            y = _nn_conv._to_first(y, self.rank)
        return y

    def _conv_act(self, x, kernel, bias):
        """act(conv(x, kernel) + bias), fused in C when the activation allows it."""
        lo, hi = self._pads(tuple(x.shape[1:self.rank + 1]), self.kernel_size)
        fused = activations.FUSED.get(self.activation, False) if self.activation else None
        if fused is not False:
            return _core._conv(x, kernel, bias, fused, self.strides, self.dilation_rate, lo, hi)
        y = _core._conv(x, kernel, bias, None, self.strides, self.dilation_rate, lo, hi)
        return self.activation(y)

    def call(self, inputs):
        x, lead = self._prepare(inputs)
        kernel = _weight_value(self.kernel)
        bias = _weight_value(self.bias) if self.bias is not None else None
        return self._finish(self._conv_act(x, kernel, bias), lead)

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        if self.data_format == "channels_first":
            spatial = shape[2:]
        else:
            spatial = shape[-self.rank - 1:-1]
        out = [conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
               zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        lead = shape[:len(shape) - self.rank - 1]
        if self.data_format == "channels_first":
            return TensorShape(shape[:1] + [self._out_channels(shape)] + out)
        return TensorShape(lead + out + [self._out_channels(shape)])

    def _out_channels(self, shape):
        return self.filters

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


class Conv1D(Conv):
    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv2D(Conv):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv3D(Conv):
    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


# ---- depthwise and separable ------------------------------------------------------------------


class DepthwiseConv(Conv):
    """Depthwise convolution: each input channel convolved with depth_multiplier filters of its
    own; the kernel is "depthwise_kernel" (k..., in_channels, depth_multiplier)."""

    def __init__(self, rank, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        kwargs.pop("groups", None)   # in get_config (always 1), not an argument
        super().__init__(rank, None, kernel_size, strides, padding, data_format, dilation_rate,
                         1, activation, use_bias, bias_initializer=bias_initializer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        c = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (c, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, trainable=True, dtype=self.dtype)
        self.bias = self.add_weight("bias", shape=(c * self.depth_multiplier,),
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint, trainable=True,
                                    dtype=self.dtype) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: c})
        self.built = True

    def _grouped_kernel(self, kernel):
        """(k..., C, M) as the grouped conv's (k..., 1, C*M)."""
        shape = tuple(kernel.shape)
        return _core.reshape(kernel, shape[:-2] + (1, shape[-2] * shape[-1]))

    def call(self, inputs):
        x, lead = self._prepare(inputs)
        kernel = self._grouped_kernel(_weight_value(self.depthwise_kernel))
        bias = _weight_value(self.bias) if self.bias is not None else None
        return self._finish(self._conv_act(x, kernel, bias), lead)

    def _out_channels(self, shape):
        c = shape[-1] if self.data_format == "channels_last" else shape[1]
        return None if c is None else c * self.depth_multiplier

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(key)
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        })
        return config


class DepthwiseConv1D(DepthwiseConv):
    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class DepthwiseConv2D(DepthwiseConv):
    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class SeparableConv(Conv):
    """A depthwise convolution, then a 1x1 convolution to `filters` channels; weights
    "depthwise_kernel", "pointwise_kernel", "bias"."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        kwargs.pop("groups", None)   # in get_config (always 1), not an argument
        super().__init__(rank, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, 1, activation, use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        c = self._input_channels(input_shape)
        m = self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (c, m),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, trainable=True, dtype=self.dtype)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", shape=(1,) * self.rank + (c * m, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, trainable=True, dtype=self.dtype)
        self.bias = self.add_weight("bias", shape=(self.filters,),
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint, trainable=True,
                                    dtype=self.dtype) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: c})
        self.built = True

    def call(self, inputs):
        x, lead = self._prepare(inputs)
        dk = _weight_value(self.depthwise_kernel)
        shape = tuple(dk.shape)
        dk = _core.reshape(dk, shape[:-2] + (1, shape[-2] * shape[-1]))
        lo, hi = self._pads(tuple(x.shape[1:self.rank + 1]), self.kernel_size)
        mid = _core._conv(x, dk, None, None, self.strides, self.dilation_rate, lo, hi)
        one = (1,) * self.rank
        zero = (0,) * self.rank
        bias = _weight_value(self.bias) if self.bias is not None else None
        pk = _weight_value(self.pointwise_kernel)
        fused = activations.FUSED.get(self.activation, False) if self.activation else None
        if fused is not False:
            y = _core._conv(mid, pk, bias, fused, one, one, zero, zero)
        else:
            y = self.activation(_core._conv(mid, pk, bias, None, one, one, zero, zero))
        return self._finish(y, lead)

    def get_config(self):
        config = super().get_config()   # tf.keras 2 keeps the unused kernel_* keys here
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        })
        return config


class SeparableConv1D(SeparableConv):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


class SeparableConv2D(SeparableConv):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


# ---- transposed ---------------------------------------------------------------------------------


class ConvTranspose(Conv):
    """The transposed convolution (the gradient of Conv with respect to its input); the kernel
    is (k..., filters, in_channels)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        kwargs.pop("groups", None)   # in get_config (always 1), not an argument
        super().__init__(rank, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, 1, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        self.output_padding = output_padding
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, rank, "output_padding")
            for s, p in zip(self.strides, self.output_padding):
                if p >= s:
                    raise ValueError(f"Strides must be greater than output padding. Received "
                                     f"strides={self.strides}, output_padding="
                                     f"{self.output_padding}.")

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        c = self._input_channels(input_shape)
        self.kernel = self.add_weight("kernel", shape=self.kernel_size + (self.filters, c),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, trainable=True,
                                      dtype=self.dtype)
        self.bias = self.add_weight("bias", shape=(self.filters,),
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint, trainable=True,
                                    dtype=self.dtype) if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: c})
        self.built = True

    def _out_spatial(self, spatial):
        op = self.output_padding or (None,) * self.rank
        return [deconv_output_length(n, k, self.padding, p, s, d) for n, k, p, s, d in
                zip(spatial, self.kernel_size, op, self.strides, self.dilation_rate)]

    def call(self, inputs):
        x, lead = self._prepare(inputs)
        spatial = tuple(x.shape[1:self.rank + 1])
        out = self._out_spatial(spatial)
        kernel = _weight_value(self.kernel)
        lo, hi = self._pads(tuple(out), self.kernel_size)
        y = _core._conv_backprop_input(x, kernel, [x.shape[0]] + out + [self.filters],
                                       self.strides, self.dilation_rate, lo, hi)
        if self.bias is not None:
            y = _core.add(y, _weight_value(self.bias))
        if self.activation is not None:
            y = self.activation(y)
        return self._finish(y, lead)

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        if self.data_format == "channels_first":
            return TensorShape(shape[:1] + [self.filters] + self._out_spatial(shape[2:]))
        return TensorShape(shape[:1] + self._out_spatial(shape[1:-1]) + [self.filters])

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(ConvTranspose):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv2DTranspose(ConvTranspose):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3DTranspose(ConvTranspose):
    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("dilation_rate")   # tf.keras 2's Conv3DTranspose does not list it
        return config


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose
