"""Core layers: Dense (on the fused C kernel), Activation, Lambda, Flatten, Dropout, and the
op layer (TFOpLambda) that records a lamina op applied to symbolic tensors."""
import numpy as np

from lamina import _core, _tape_hooks
from lamina._core import Tensor, as_dtype
from lamina.tensor_shape import TensorShape
from lamina.keras import activations, initializers, regularizers, constraints, backend
from lamina.keras.engine.base_layer import Layer, fast_call
from lamina.keras.engine.input_spec import InputSpec

_dense = _core.dense
_tape_local = _tape_hooks._local


class Dense(Layer):
    """activation(inputs @ kernel + bias): tf.keras.layers.Dense."""

    _fast_spec_axes_checked_by_call = True   # the C kernel rejects a wrong last dimension

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        try:
            u = int(units)
        except (TypeError, ValueError):
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units!r}") from None
        if isinstance(units, bool) or u != units or u < 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units!r}")
        self.units = u
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        dtype = as_dtype(self.dtype or backend.floatx())
        if not dtype.is_floating:
            raise TypeError(f"A Dense layer can only be built with a floating-point dtype. "
                            f"Received: dtype={dtype.name}")
        input_shape = TensorShape(input_shape)
        if input_shape.rank is None or input_shape.rank == 0:
            raise ValueError(f"The input of a Dense layer must have rank >= 1. Received: "
                             f"input_shape={input_shape}")
        last_dim = input_shape[-1]
        if last_dim is None:
            raise ValueError(f"The last dimension of the inputs to a Dense layer should be "
                             f"defined. Found None. Full input shape received: {input_shape}")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last_dim})
        self.kernel = self.add_weight("kernel", shape=[last_dim, self.units],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, dtype=self.dtype,
                                      trainable=True)
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=[self.units],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, dtype=self.dtype,
                                        trainable=True)
        else:
            self.bias = None
        self.built = True

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name == "activation":
            # The fused kernel applies relu / sigmoid / tanh / gelu itself.
            fused = activations.FUSED.get(value, False) if value is not None else None
            object.__setattr__(self, "_fused_act", fused)

    @fast_call
    def call(self, inputs):
        try:
            tapes = _tape_local.tapes
        except AttributeError:
            tapes = _tape_hooks.active_tapes()
        bias = self.bias
        if tapes or self._mixed:   # reads the tape sees / cast to the compute dtype
            kernel = self.kernel.value()
            bias = bias.value() if bias is not None else None
        else:
            kernel = self.kernel._value
            bias = bias._value if bias is not None else None
        if type(inputs) is not Tensor:
            inputs = _core.convert_to_tensor(inputs)
        if inputs.dtype is not kernel.dtype:
            inputs = _core.cast(inputs, kernel.dtype)
        fused = self._fused_act
        if tapes:
            # Under a gradient tape: compose from ops the tape differentiates.
            out = _core.matmul(inputs, kernel) if inputs.ndim == 2 else \
                _core.reshape(_core.matmul(_core.reshape(inputs, (-1, kernel.shape[0])), kernel),
                              tuple(inputs.shape.as_list()[:-1]) + (self.units,))
            if bias is not None:
                out = out + bias
            return self.activation(out) if self.activation is not None else out
        if fused is not False:
            return _dense(inputs, kernel, bias, fused)
        return self.activation(_dense(inputs, kernel, bias, None))

    def _fast_forward(self, x):
        # The short path has checked: x is a Tensor of the (unmixed) compute dtype = the
        # weights' dtype, of rank >= 2. With no tape recording, one fused kernel call.
        fused = self._fused_act
        try:
            tapes = _tape_local.tapes
        except AttributeError:
            tapes = _tape_hooks.active_tapes()
        if tapes or fused is False:
            return self.call(x)
        b = self.bias
        return _dense(x, self.kernel._value, None if b is None else b._value, fused)

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"The last dimension of the input shape of a Dense layer should "
                             f"be defined. Found None. Received: input_shape={input_shape}")
        return TensorShape(input_shape.as_list()[:-1] + [self.units])

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
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


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Flatten(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        inputs = _core.convert_to_tensor(inputs)
        if inputs.ndim == 1:
            return _core.expand_dims(inputs, 1)
        return _core.reshape(inputs, (inputs.shape[0], -1))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Dropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
            raise ValueError(f"Invalid value {rate} received for `rate`, expected a value "
                             f"between 0 and 1.")
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        import lamina
        x = _core.convert_to_tensor(inputs)
        keep = lamina.random.uniform(tuple(x.shape.as_list()), dtype=x.dtype, seed=self.seed) >= self.rate
        return _core.where(keep, x / (1.0 - self.rate), _core.zeros_like(x))

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config


class Lambda(Layer):
    """Wrap a function of the inputs as a layer: Lambda(function, output_shape, mask, arguments)."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self.arguments = arguments or {}
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        import inspect
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_mask = "mask" in params
        self._fn_training = "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_mask:
            kwargs["mask"] = mask
        if self._fn_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        config = super().get_config()
        fn = self.function
        config.update({"function": getattr(fn, "__name__", repr(fn)),
                       "output_shape": self._output_shape, "arguments": self.arguments})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        fn = config.pop("function")
        if isinstance(fn, str):
            from lamina.keras import activations as acts
            if custom_objects and fn in custom_objects:
                fn = custom_objects[fn]
            else:
                fn = acts.get(fn)
        return cls(fn, **config)


class TFOpLambda(Layer):
    """A lamina op applied to symbolic tensors in a functional model (tf.keras' TFOpLambda)."""

    _convert_input_types = False

    def __init__(self, function, path=None, **kwargs):
        path = path or getattr(function, "__name__", "op")
        kwargs.setdefault("name", backend.unique_object_name("tf." + path,
                                                             avoid_observed_names=True))
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.function = function
        self.symbol = path

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["function"] = self.symbol
        return config

    @classmethod
    def from_config(cls, config):
        from lamina.keras.engine.keras_tensor import resolve_op
        config = dict(config)
        path = config.pop("function")
        return cls(resolve_op(path), path, **config)
