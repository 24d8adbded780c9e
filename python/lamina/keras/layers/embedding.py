"""Embedding: rows of a trainable table looked up by integer ids."""
from lamina import _core
from lamina.keras import initializers, regularizers, constraints
from lamina.keras.engine.base_layer import Layer


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
