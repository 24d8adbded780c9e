"""ActivityRegularization: the identity, adding an L1 / L2 penalty on its output."""
from lamina.keras import regularizers
from lamina.keras.engine.base_layer import Layer


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
