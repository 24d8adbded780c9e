"""BatchNormalization: normalize by batch moments in training, moving averages in inference."""
from lamina import _core
from lamina.tensor_shape import TensorShape
from lamina.keras import initializers, regularizers, constraints
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
