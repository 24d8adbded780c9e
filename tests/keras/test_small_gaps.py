"""The small gaps of issue 10: tf.nn.dropout, tf.nn.embedding_lookup, keras.backend random
functions, dtype as tf's enum value, Sequential starting with Input, Activation(custom_fn)
through custom_object_scope, a mask reaching a custom layer in a functional model."""
import numpy as np
import pytest

import lamina as tf
from lamina import keras


def test_dtype_given_as_tf_enum_value():
    assert tf.zeros(1, 1).dtype == tf.float32 and tf.zeros(1, 1).shape == (1,)
    assert [tf.as_dtype(i).name for i in (1, 2, 3, 9, 10, 14, 19)] == \
        ["float32", "float64", "int32", "int64", "bool", "bfloat16", "float16"]
    with pytest.raises(TypeError, match="DataType enum"):
        tf.zeros(1, 7)   # uint8: not a lamina dtype


def test_nn_dropout_scales_kept_values_and_its_gradient():
    x = tf.ones((4000,))
    y = tf.nn.dropout(x, 0.25, seed=3).numpy()
    assert set(np.unique(y).tolist()) == {0.0, float(np.float32(4 / 3))}
    assert abs((y == 0).mean() - 0.25) < 0.03
    v = tf.Variable(tf.ones((100,)))
    with tf.GradientTape() as g:
        z = tf.reduce_sum(tf.nn.dropout(v, 0.5, seed=1) * 3.0)
    grad = g.gradient(z, v).numpy()
    assert set(np.unique(grad).tolist()) <= {0.0, 6.0}
    np.testing.assert_array_equal(tf.nn.dropout(x, 0.0).numpy(), x.numpy())
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match="rate"):
            tf.nn.dropout(x, bad)
    kept = tf.nn.dropout(tf.ones((3, 5)), 0.5, noise_shape=(3, 1), seed=2).numpy()
    assert all(len(set(row.tolist())) == 1 for row in kept)   # one draw per row


def test_nn_embedding_lookup():
    params = tf.constant([[1.0, 2.0], [3.0, 4.0], [0.0, 5.0]])
    np.testing.assert_array_equal(tf.nn.embedding_lookup(params, [[1, 0]]).numpy(),
                                  [[[3.0, 4.0], [1.0, 2.0]]])
    np.testing.assert_allclose(tf.nn.embedding_lookup(params, [1, 2], max_norm=1.0).numpy(),
                               [[0.6, 0.8], [0.0, 1.0]], rtol=1e-6)
    with pytest.raises(TypeError, match="integers"):
        tf.nn.embedding_lookup(params, [0.5])


def test_backend_random_functions():
    B = keras.backend
    assert B.random_normal((3, 2)).shape == (3, 2) and B.random_normal((2,)).dtype == tf.float32
    u = B.random_uniform((1000,), 2.0, 3.0).numpy()
    assert u.min() >= 2.0 and u.max() < 3.0
    t = B.truncated_normal((1000,), stddev=1.0).numpy()
    assert np.abs(t).max() <= 2.0
    b = B.random_bernoulli((2000,), p=0.3).numpy()
    assert set(np.unique(b).tolist()) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.05
    v = B.random_uniform_variable((2, 2), 0.0, 1.0)
    assert isinstance(v, tf.Variable) and v.shape == (2, 2)


def test_sequential_starting_with_input_has_output_shape_and_survives_from_config():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert model.output_shape == (None, 2) and model.input_shape == (None, 3)
    again = keras.Sequential.from_config(model.get_config())
    assert again.built and again.output_shape == (None, 2) and len(again.weights) == 2


def test_activation_with_a_custom_function_restored_in_custom_object_scope():
    def twice(x):
        return x * 2.0
    config = keras.layers.Activation(twice).get_config()
    assert config["activation"] == "twice"
    with keras.utils.custom_object_scope({"twice": twice}):
        layer = keras.layers.Activation.from_config(config)
    np.testing.assert_array_equal(layer(tf.ones((2,))).numpy(), [2.0, 2.0])
    with pytest.raises((ValueError, TypeError), match="twice"):
        keras.layers.Activation.from_config(config)


def test_mask_reaches_a_custom_layers_call_in_a_functional_model():
    class Seen(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.masks = []

        def call(self, x, mask=None):
            self.masks.append(mask)
            return x
    inp = keras.Input((4,))
    seen = Seen()
    out = seen(keras.layers.Embedding(5, 2, mask_zero=True)(inp))
    model = keras.Model(inp, out)
    model(np.array([[1, 0, 2, 0]]))
    assert seen.masks[-1].numpy().tolist() == [[True, False, True, False]]
