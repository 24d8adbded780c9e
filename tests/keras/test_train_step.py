"""fit / evaluate / predict run train_step / test_step / predict_step per batch (the
"Customizing what happens in fit()" contract)."""
import numpy as np
import pytest

import lamina as tf
from lamina import keras


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], "float32"))[:, None]
    return x, y


def test_fit_calls_overridden_train_step_and_logs_what_it_returns():
    calls = []

    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            calls.append(int(x.shape[0]))
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            calls.append("test")
            return {"custom": tf.constant(7.0)}

        def predict_step(self, data):
            calls.append("predict")
            return self(data, training=False) * 0.0 + 1.0

    x, y = _data(40)
    model = Custom()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    hist = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert calls == [16, 16, 8, 16, 16, 8]
    assert set(hist.history) == {"loss", "mae"} and len(hist.history["loss"]) == 2
    assert hist.params == {"verbose": 0, "epochs": 2, "steps": 3}
    assert model.history is hist
    assert model.evaluate(x, y, verbose=0) == 7.0
    np.testing.assert_array_equal(model.predict(x, batch_size=32), np.ones((40, 1)))
    assert calls[-3:] == ["test", "predict", "predict"]


def test_model_compiled_without_loss_whose_train_step_computes_its_own_loss_trains():
    class Own(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.loss_tracker = keras.metrics.Mean(name="loss")

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = tf.reduce_mean(tf.square(y - y_pred))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

        @property
        def metrics(self):
            return [self.loss_tracker]

    x, y = _data(64)
    model = Own()
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    hist = model.fit(x, y, epochs=20, batch_size=16, verbose=0, shuffle=False)
    assert hist.history["loss"][-1] < 0.05 * hist.history["loss"][0]


def test_gan_style_model_with_two_optimizers_and_no_call_fits():
    class GAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.discriminator = keras.Sequential([keras.layers.Dense(1)])
            self.generator = keras.Sequential([keras.layers.Dense(4)])
            self.discriminator.build((None, 4))
            self.generator.build((None, 2))

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        def train_step(self, real):
            n = int(real.shape[0])
            z = tf.random.normal((n, 2))
            fake = self.generator(z)
            both = tf.concat([fake, real], axis=0)
            labels = tf.concat([tf.ones((n, 1)), tf.zeros((n, 1))], axis=0)
            with tf.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(both))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            with tf.GradientTape() as tape:
                g_loss = self.loss_fn(tf.zeros((n, 1)), self.discriminator(self.generator(z)))
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            return {"d_loss": d_loss, "g_loss": g_loss}

    gan = GAN()
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                keras.losses.BinaryCrossentropy(from_logits=True))
    before = [w.numpy().copy() for w in gan.generator.weights]
    hist = gan.fit(np.random.default_rng(0).normal(size=(32, 4)).astype("float32"),
                   batch_size=8, epochs=2, verbose=0)
    assert set(hist.history) == {"d_loss", "g_loss"} and len(hist.history["d_loss"]) == 2
    assert gan.d_optimizer.iterations.numpy() == 8 and gan.g_optimizer.iterations.numpy() == 8
    assert any(not np.allclose(b, w.numpy()) for b, w in zip(before, gan.generator.weights))


def test_default_train_step_uses_unpack_compute_loss_and_compute_metrics():
    seen = []

    class Spy(keras.Sequential):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            seen.append(("loss", sample_weight is not None))
            return super().compute_loss(x, y, y_pred, sample_weight)

        def compute_metrics(self, x, y, y_pred, sample_weight):
            seen.append("metrics")
            return super().compute_metrics(x, y, y_pred, sample_weight)

    model = Spy([keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = _data(8)
    model.fit(x, y, sample_weight=np.ones(8), batch_size=8, verbose=0)
    assert seen == [("loss", True), "metrics"]
    assert keras.utils.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert keras.utils.unpack_x_y_sample_weight(5) == (5, None, None)
    assert keras.utils.unpack_x_y_sample_weight((1, 2, 3)) == (1, 2, 3)


def test_no_loss_and_missing_targets_raise_tf_keras_errors():
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile("sgd")
    with pytest.raises(ValueError, match="No loss found"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="Target data is missing"):
        model.fit(np.ones((4, 2)), verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        keras.Sequential([keras.layers.Dense(1)]).evaluate(np.ones((2, 2)), np.ones((2, 1)))


def test_metrics_reset_each_epoch_and_model_metrics_lists_compiled_ones():
    model = keras.Sequential([keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(keras.optimizers.SGD(0.0), "mse", metrics=["mae"])
    assert model.metrics == []
    x, y = _data(16)
    hist = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert model.metrics_names == ["loss", "mae"]
    # learning rate 0: both epochs see the same data and report the same means
    assert hist.history["loss"][0] == pytest.approx(hist.history["loss"][1])
    assert hist.history["loss"][0] == pytest.approx(float(np.mean(y ** 2)), rel=1e-5)


def test_bad_input_gets_clear_errors():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(np.ones((4, 2)), np.ones((3, 1)), verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), batch_size=0, verbose=0)
    with pytest.raises(NotImplementedError, match="generator"):
        model.fit((b for b in [np.ones((4, 2))]), verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(np.ones((1, 2)), np.ones((1, 1)), validation_split=0.5, verbose=0)
