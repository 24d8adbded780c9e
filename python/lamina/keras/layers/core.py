"""Core layers: Dense (on the fused C kernel), Activation, Lambda, Flatten, Dropout, and the
op layer (TFOpLambda) that records a lamina op applied to symbolic tensors."""
from lamina import _core
from lamina._core import Tensor, as_dtype
from lamina.tensor_shape import TensorShape
from lamina.keras import activations, initializers, regularizers, constraints, backend
from lamina.keras.engine.base_layer import Layer, fast_call
from lamina.keras.engine.input_spec import InputSpec
from lamina.keras.layers import quantized as _quantized

_dense = _core.dense
_BF16 = as_dtype("bfloat16")


class Dense(Layer):
    """activation(inputs @ kernel + bias): tf.keras.layers.Dense."""

    _fast_spec_axes_checked_by_call = True   # the C kernel rejects a wrong last dimension
    _int8 = None              # after quantize("int8"): the int8 path (layers/quantized.py)
    quantization_mode = None

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

    def quantize(self, mode=None, **kwargs):
        """Keras 3's Dense.quantize: "int8" stores the kernel as per-unit int8 with
        kernel_scale and runs the int8 kernels (keras/layers/quantized.py)."""
        _quantized.quantize_dense(self, mode)

    @fast_call
    def call(self, inputs):
        if self._int8 is not None:
            return self._int8.forward(_quantized.to_float32(inputs))
        if self._mixed or self.kernel.dtype is _BF16:
            bf16 = _quantized.bf16_path(self, inputs)   # AVX512_BF16 on packed weights
            if bf16 is not None:
                return bf16.forward(self, inputs)
        # value(): the reads a recording tape sees, cast to the compute dtype in a mixed layer
        kernel = self.kernel.value()
        bias = self.bias
        if bias is not None:
            bias = bias.value()
        if type(inputs) is not Tensor:
            inputs = _core.convert_to_tensor(inputs)
        if inputs.dtype is not kernel.dtype:
            inputs = _core.cast(inputs, kernel.dtype)
        fused = self._fused_act
        # Under a tape that watches the weights, lamina.dense itself runs as recorded matmul,
        # add and activation (csrc/ops/matmul.c), so one call serves both cases.
        if fused is not False:
            return _dense(inputs, kernel, bias, fused)
        return self.activation(_dense(inputs, kernel, bias, None))

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


def func_dump(func):
    """(base64 marshal of the code, defaults, closure values): how tf.keras stores a lambda."""
    import codecs
    import marshal
    code = codecs.encode(marshal.dumps(func.__code__), "base64").decode("ascii")
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def func_load(code, defaults=None, closure=None, globs=None):
    import codecs
    import marshal
    import types
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
        if isinstance(defaults, list):
            defaults = tuple(defaults)

    def cell(value):
        def dummy():
            return value   # noqa: B023
        return dummy.__closure__[0]
    if closure is not None:
        closure = tuple(cell(c) for c in closure)
    raw = codecs.decode(code.encode("ascii"), "base64")
    code = marshal.loads(raw)
    return types.FunctionType(code, globs if globs is not None else globals(),
                              name=code.co_name, argdefs=defaults, closure=closure)


def _is_shape(x):
    return isinstance(x, TensorShape) or (isinstance(x, (list, tuple)) and
                                          all(d is None or isinstance(d, int) for d in x))


def _to_shapes(x):
    if _is_shape(x):
        return TensorShape(x)
    if isinstance(x, dict):
        return {k: _to_shapes(v) for k, v in x.items()}
    return (tuple if isinstance(x, tuple) else list)(_to_shapes(v) for v in x)


class Lambda(Layer):
    """Wrap a function of the inputs as a layer: Lambda(function, output_shape, mask, arguments)."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, got {function!r}")
        self.function = function
        self.arguments = arguments or {}
        if mask is not None:
            self.supports_masking = True
        object.__setattr__(self, "mask", mask)             # plain values, not tracked state
        object.__setattr__(self, "_output_shape", output_shape)
        import inspect
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_mask_arg = "mask" in params
        self._fn_expects_training_arg = "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return _to_shapes(self._output_shape(input_shape))
        first = input_shape
        while not _is_shape(first):
            first = next(iter(first.values())) if isinstance(first, dict) else first[0]
        batch = TensorShape(first)[0] if len(TensorShape(first)) else None
        return self._map_batch(_to_shapes(self._output_shape), batch)

    def _map_batch(self, shapes, batch):
        if isinstance(shapes, TensorShape):
            return TensorShape([batch] + shapes.as_list())
        if isinstance(shapes, dict):
            return {k: self._map_batch(v, batch) for k, v in shapes.items()}
        return (tuple if isinstance(shapes, tuple) else list)(
            self._map_batch(v, batch) for v in shapes)

    @staticmethod
    def _serialize_function(fn, allow_raw=False):
        import types
        if isinstance(fn, types.LambdaType):
            return func_dump(fn), "lambda", fn.__module__
        if callable(fn):
            return fn.__name__, "function", getattr(fn, "__module__", None)
        if allow_raw:
            return fn, "raw", None
        raise ValueError(f"Invalid input for serialization, type: {type(fn)} ")

    def get_config(self):
        f = self._serialize_function(self.function)
        o = self._serialize_function(self._output_shape, allow_raw=True)
        config = {"function": f[0], "function_type": f[1], "module": f[2],
                  "output_shape": o[0], "output_shape_type": o[1], "output_shape_module": o[2]}
        if self.mask is not None:
            m = self._serialize_function(self.mask)
            config.update({"mask": m[0], "mask_type": m[1], "mask_module": m[2]})
        config["arguments"] = self.arguments
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))

    @classmethod
    def _parse_function(cls, config, custom_objects, attr, module_attr, type_attr, safe_mode):
        import sys
        from lamina.keras.saving import object_registration
        globs = dict(globals())
        module = config.pop(module_attr, None)
        # (in safe mode a file may name functions of Keras / lamina modules only)
        if module in sys.modules and not (safe_mode and not str(module).startswith(
                ("keras", "tf_keras", "lamina", "tensorflow"))):
            globs.update(sys.modules[module].__dict__)
        if custom_objects:
            globs.update(custom_objects)
        kind = config.pop(type_attr, "raw")
        value = config.get(attr)
        if isinstance(value, dict) and value.get("class_name") == "__lambda__":
            c = value.get("config") or {}    # Keras 3's form of a lambda's bytecode
            kind, value = "lambda", (c.get("code"), c.get("defaults"), c.get("closure"))
        elif isinstance(value, dict) and "class_name" in value:
            from lamina.keras.saving.serialization import deserialize_nested
            return deserialize_nested(value, custom_objects, "function")
        if kind == "function":
            found = object_registration.get_registered_object(value, custom_objects)
            if found is not None:
                return found
            if value in globs and not str(value).startswith("_"):
                return globs[value]
            from lamina.keras import activations
            return activations.get(value)
        if kind == "lambda":
            if safe_mode:
                raise ValueError(
                    "Requested the deserialization of a Lambda layer whose function is Python "
                    "bytecode stored in the file. Loading it would run code from the file, so "
                    "it is refused in safe mode. If you trust the source of the file, pass "
                    "`safe_mode=False` to the loading function to allow Lambda loading.")
            return func_load(value, globs=globs)
        if kind == "raw":
            return value
        raise TypeError(f"Unsupported value for `function_type` argument. Received: "
                        f"function_type={kind}. Expected one of ['function', 'lambda', 'raw']")

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """safe_mode (default: that of the load in progress; off for a direct call, as in
        tf.keras 2) refuses functions stored as bytecode."""
        from lamina.keras.saving import serialization
        safe = serialization.in_safe_mode() if safe_mode is None else safe_mode
        config = dict(config)
        function = cls._parse_function(config, custom_objects, "function", "module",
                                       "function_type", safe)
        output_shape = cls._parse_function(config, custom_objects, "output_shape",
                                           "output_shape_module", "output_shape_type", safe)
        mask = cls._parse_function(config, custom_objects, "mask", "mask_module",
                                   "mask_type", safe) if "mask" in config else None
        config["function"], config["output_shape"], config["mask"] = function, output_shape, mask
        if isinstance(output_shape, list) and _is_shape(output_shape):
            config["output_shape"] = tuple(output_shape)
        return cls(**config)


class Masking(Layer):
    """Mask the timesteps whose features all equal mask_value (and zero them)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        x = _core.convert_to_tensor(inputs)
        return _core.reduce_any(_core.not_equal(x, self.mask_value), axis=-1)

    def call(self, inputs):
        x = _core.convert_to_tensor(inputs)
        keep = _core.reduce_any(_core.not_equal(x, self.mask_value), axis=-1, keepdims=True)
        out = x * _core.cast(keep, x.dtype)
        out._keras_mask = _core.squeeze(keep, axis=-1)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


class TFOpLambda(Layer):
    """A lamina op applied to symbolic tensors in a functional model (tf.keras' TFOpLambda)."""

    _convert_input_types = False
    _kwargs_take_context = False   # the op's keyword arguments are its own

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
