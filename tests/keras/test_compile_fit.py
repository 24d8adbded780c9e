"""Model.compile / fit / evaluate / train_on_batch / test_on_batch / predict, and the
tf.keras behaviours that depend on them (training flag, add_loss / add_metric in call)."""
import numpy as np
import pytest

import lamina as tf
from lamina import keras
from lamina.keras import layers
from _keras_session import fresh_keras_session  # noqa: F401  (autouse fixture)


def functional(layer, shape=(3,)):
    inputs = keras.Input(shape)
    return keras.Model(inputs, layer(inputs))


def test_training_flag_in_train_and_test_steps():
    class Out(layers.Layer):
        def call(self, inputs, training=None):
            return inputs * 1.0 if training else inputs * 0.0
    model = functional(Out())
    model.compile("sgd", "mse")
    assert model.train_on_batch(np.ones((2, 3)), np.ones((2, 3))) == 0.0
    assert model.test_on_batch(np.ones((2, 3)), np.ones((2, 3))) == 1.0


def test_losses_and_metrics_added_in_call():
    class Loss(layers.Layer):
        def call(self, inputs, training=None):
            self.add_loss(tf.reduce_sum(inputs) if training else 0.0)
            return inputs
    model = functional(Loss())
    model.compile("sgd", "mse")
    assert model.train_on_batch(np.ones((2, 3)), np.ones((2, 3))) == 6.0
    assert model.test_on_batch(np.ones((2, 3)), np.ones((2, 3))) == 0.0

    class Metric(layers.Layer):
        def call(self, inputs, training=None):
            self.add_metric(tf.reduce_sum(inputs) if training else 0.0, name="my_metric",
                            aggregation="mean")
            return inputs
    model = functional(Metric())
    model.compile("sgd", "mse")
    for _ in range(3):
        assert model.train_on_batch(np.ones((2, 3)), np.ones((2, 3)))[1] == 6.0
        assert model.test_on_batch(np.ones((2, 3)), np.ones((2, 3)))[1] == 0.0
    history = model.fit(np.ones((2, 3)), np.ones((2, 3)))
    assert history.history == {"loss": [0.0], "my_metric": [6.0]}
    assert model.metrics_names == ["loss", "my_metric"]
    assert model.train_on_batch(np.ones((2, 3)), np.ones((2, 3)), return_dict=True) == \
        {"loss": 0.0, "my_metric": 6.0}


def test_fit_learns_and_evaluate_predict():
    tf.random.set_seed(3)                      # initial weights
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)).astype(np.float32)
    y = ((x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0)).astype(np.int32)
    model = keras.Sequential([layers.Dense(16, activation="relu", input_shape=(4,)),
                              layers.Dense(3)])
    model.compile(keras.optimizers.Adam(0.02),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0, validation_split=0.1,
                        shuffle=False)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y)
    assert acc > 0.8 and loss < 0.6
    assert model.predict(x[:5]).shape == (5, 3)
    assert model.predict(x, batch_size=64).shape == (200, 3)


@pytest.mark.parametrize("opt", [keras.optimizers.SGD(0.1), keras.optimizers.RMSprop(0.05),
                                 keras.optimizers.Adam(0.05),
                                 keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True)])
def test_optimizers_reduce_a_quadratic(opt):
    v = tf.Variable([3.0, -2.0])
    o = keras.optimizers.get(opt)
    assert [type(keras.optimizers.get(n)).__name__ for n in ("sgd", "rmsprop", "adam")] == \
        ["SGD", "RMSprop", "Adam"]
    for _ in range(50):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(v * v)
        o.apply_gradients(zip(tape.gradient(loss, [v]), [v]))
    assert float(tf.reduce_sum(v * v)) < 13.0 * 0.5


def test_raw_variables_and_initial_weights_train():
    class Raw(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.var_list = [tf.Variable(1.0), {"a": tf.Variable(2.0)}]

        def call(self, inputs):
            return inputs * self.var_list[0] * self.var_list[1]["a"]
    model = functional(Raw(), (10,))
    model.compile("sgd", "mse")
    model.fit(np.ones((10, 10)), np.ones((10, 10)), batch_size=2, epochs=2)
    assert abs(float(model.weights[0]) * float(model.weights[1]) - 1.0) < 1.0
    kernel = np.random.random((10, 2))
    model = functional(layers.Dense(2, use_bias=False, weights=[kernel]), (10,))
    model.compile("sgd", "mse")
    data = np.random.random((3, 10))
    np.testing.assert_allclose(model.predict(data), data @ kernel, rtol=1e-5)
    np.testing.assert_allclose(model.layers[-1].get_weights()[0], kernel, rtol=1e-6)


def test_not_compiled_and_counter_update():
    model = functional(layers.Dense(1))
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((1, 3)), np.ones((1, 1)))

    class Counter(layers.Layer):
        def build(self, input_shape):
            self.counter = self.add_weight(shape=(), trainable=False, initializer="zeros")

        def call(self, inputs, training=None):
            self.counter.assign_add(1.0 if training else 0.0)
            return inputs
    layer = Counter()
    model = functional(layer)
    model.compile("sgd", "mse")
    model.train_on_batch(np.ones((2, 3)), np.ones((2, 3)))
    assert keras.backend.get_value(layer.counter) == 1.0


def test_masks_reach_call_outputs_and_the_loss():
    class Masked(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True
            self.seen = []

        def call(self, x, mask=None):
            self.seen.append(mask)
            return x
    layer = Masked()
    x = tf.ones((4, 4))
    keras.backend.set_keras_mask(x, tf.ones((4,)))
    layer(x)
    y = layer(tf.ones((4, 4)), mask=tf.constant([True, True, False, False]))
    assert layer.seen[0] is not None and keras.backend.get_keras_mask(y).numpy().tolist() == \
        [True, True, False, False]
    model = keras.Sequential([layers.Embedding(2, 2, mask_zero=True,
                                               embeddings_initializer="ones")])
    model.compile(loss="mse")
    targets = np.array([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [1.0, 1.0]]])
    assert model.evaluate(np.array([[1, 0, 0, 1]]), targets, verbose=0) == 0.0
