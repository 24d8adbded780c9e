"""More layers tf.keras code commonly uses: BatchNormalization, merging (Add, Concatenate, ...),
ReLU, Softmax, Reshape, Embedding."""
from lamina import _core
from lamina.tensor_shape import TensorShape
from lamina.keras import activations, initializers, regularizers, constraints
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine.input_spec import InputSpec


class BatchNormalization(Layer):
    """Normalize with batch statistics when training (updating moving averages), with the
    moving averages otherwise. Weights: gamma, beta, moving_mean, moving_variance."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.momentum, self.epsilon = momentum, epsilon
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        ndim = input_shape.rank
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        axes = [a % ndim for a in axes]
        for a in axes:
            if input_shape[a] is None:
                raise ValueError(f"Axis {a} of input tensor should have a defined dimension but "
                                 f"the layer received an input with shape {input_shape}.")
        self._axes = axes
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in axes})
        shape = tuple(input_shape[a] for a in axes)
        dt = "float32" if self.dtype in ("float16", "bfloat16") else self.dtype
        self.gamma = self.add_weight("gamma", shape=shape, dtype=dt,
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint,
                                     experimental_autocast=False) if self.scale else None
        self.beta = self.add_weight("beta", shape=shape, dtype=dt,
                                    initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint,
                                    experimental_autocast=False) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", shape=shape, dtype=dt,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False, experimental_autocast=False)
        self.moving_variance = self.add_weight("moving_variance", shape=shape, dtype=dt,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, experimental_autocast=False)
        self._ndim = ndim
        self.built = True

    def _bshape(self):
        shape = [1] * self._ndim
        for a in self._axes:
            shape[a] = self.moving_mean.shape[self._axes.index(a)]
        return shape

    def call(self, inputs, training=None, mask=None):
        x = _core.convert_to_tensor(inputs)
        in_dtype = x.dtype
        if in_dtype.name in ("float16", "bfloat16"):
            x = _core.cast(x, "float32")
        if not self.trainable:
            training = False
        bshape = self._bshape()
        reduce_axes = [i for i in range(self._ndim) if i not in self._axes]
        if training:
            mean = _core.reduce_mean(x, axis=reduce_axes, keepdims=True)
            var = _core.reduce_mean(_core.square(x - mean), axis=reduce_axes, keepdims=True)
            m = self.momentum
            flat_mean = _core.reshape(mean, tuple(self.moving_mean.shape.as_list()))
            flat_var = _core.reshape(var, tuple(self.moving_variance.shape.as_list()))
            self.moving_mean.assign(self.moving_mean.value() * m + flat_mean * (1.0 - m))
            self.moving_variance.assign(self.moving_variance.value() * m + flat_var * (1.0 - m))
        else:
            mean = _core.reshape(self.moving_mean.value(), bshape)
            var = _core.reshape(self.moving_variance.value(), bshape)
        y = (x - mean) / _core.sqrt(var + self.epsilon)
        if self.gamma is not None:
            y = y * _core.reshape(self.gamma.value(), bshape)
        if self.beta is not None:
            y = y + _core.reshape(self.beta.value(), bshape)
        return _core.cast(y, in_dtype) if y.dtype != in_dtype else y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint)})
        return config


class _Merge(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 1:
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"input_shape={input_shape} (not a list of shapes)")
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"inputs={inputs} (not a list of tensors)")
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return self._finish(out, len(inputs))

    def _finish(self, out, n):
        return out

    def compute_mask(self, inputs, mask=None):
        return None


class Add(_Merge):
    def _merge(self, a, b):
        return _core.add(a, b)


class Subtract(_Merge):
    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: input_shape={input_shape}")
        self.built = True

    def _merge(self, a, b):
        return _core.subtract(a, b)


class Multiply(_Merge):
    def _merge(self, a, b):
        return _core.multiply(a, b)


class Average(_Merge):
    def _merge(self, a, b):
        return _core.add(a, b)

    def _finish(self, out, n):
        return out / float(n)


class Maximum(_Merge):
    def _merge(self, a, b):
        return _core.maximum(a, b)


class Minimum(_Merge):
    def _merge(self, a, b):
        return _core.minimum(a, b)


class Concatenate(_Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return _core.concat(list(inputs), axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


class ReLU(Layer):
    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: "
                             f"{max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be a negative value. "
                             f"Received: {negative_slope}")
        self.supports_masking = True
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return activations.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class Softmax(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = axis

    def call(self, inputs, mask=None):
        return _core.softmax(inputs, axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Reshape(Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs):
        x = _core.convert_to_tensor(inputs)
        return _core.reshape(x, (x.shape[0],) + self.target_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Embedding(Layer):
    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        if input_dim <= 0 or output_dim <= 0:
            raise ValueError(f"Both `input_dim` and `output_dim` should be positive, Received "
                             f"input_dim = {input_dim} and output_dim = {output_dim}")
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        kwargs.setdefault("autocast", False)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.input_length = input_length

    def build(self, input_shape=None):
        self.embeddings = self.add_weight("embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        x = _core.convert_to_tensor(inputs)
        if not x.dtype.is_integer:
            x = _core.cast(x, "int32")
        return _core.gather(self.embeddings, x)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return _core.not_equal(inputs, 0)

    def get_config(self):
        config = super().get_config()
        config.update({"input_dim": self.input_dim, "output_dim": self.output_dim,
                       "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                       "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                       "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                       "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                       "mask_zero": self.mask_zero, "input_length": self.input_length})
        return config


class ActivityRegularization(Layer):
    """The identity, adding an L1 / L2 penalty on its output as an activity-regularization loss
    (tf.keras.layers.ActivityRegularization)."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config
