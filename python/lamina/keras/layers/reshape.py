"""Reshape: the same values in another per-sample shape."""
from lamina import _core
from lamina.keras.engine.base_layer import Layer


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
