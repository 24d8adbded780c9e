"""Layers under a GradientTape: gradients of Dense (composed under the tape, fused otherwise,
same values), regularization losses, mixed precision, and the main job's training loop."""
import numpy as np

import lamina as tf
from lamina import keras
from _keras_session import fresh_keras_session  # noqa: F401  (autouse fixture)


def test_dense_gradients_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    for act in ("relu", "tanh", "sigmoid", None):
        d = keras.layers.Dense(3, activation=act)
        eager = d(x).numpy()                 # fused kernel
        with tf.GradientTape() as tape:
            out = d(x)                       # composed ops under the tape
            loss = tf.reduce_sum(out * out)
        np.testing.assert_allclose(out.numpy(), eager, rtol=1e-5, atol=1e-6)
        gk, gb = tape.gradient(loss, [d.kernel, d.bias])
        k, b = d.kernel.numpy(), d.bias.numpy()
        z = x @ k + b
        if act == "relu":
            y, dz = np.maximum(z, 0), (z > 0).astype(np.float32)
        elif act == "tanh":
            y = np.tanh(z)
            dz = 1 - y * y
        elif act == "sigmoid":
            y = 1 / (1 + np.exp(-z))
            dz = y * (1 - y)
        else:
            y, dz = z, np.ones_like(z)
        g = 2 * y * dz
        np.testing.assert_allclose(gk.numpy(), x.T @ g, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(gb.numpy(), g.sum(0), rtol=1e-4, atol=1e-5)


def test_frozen_layer_weights_and_losses_differentiate():
    model = keras.Sequential([keras.layers.Dense(4, input_shape=(3,),
                                                 kernel_regularizer=keras.regularizers.l2(0.1)),
                              keras.layers.Dense(1)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2
    x = tf.ones((2, 3))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x)) + tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_weights + model.non_trainable_weights)
    assert grads[0] is not None and grads[1] is not None
    # as in tf: freezing the layer leaves its variables trainable, so a tape still sees them
    assert grads[2].shape == (3, 4) and model.layers[0].kernel.trainable
    with tf.GradientTape() as tape:
        reg = tf.add_n(model.losses)
    (gk,) = tape.gradient(reg, [model.layers[0].kernel])
    np.testing.assert_allclose(gk.numpy(), 0.2 * model.layers[0].kernel.numpy(), rtol=1e-5)


def test_mixed_precision_gradients_reach_float32_variables():
    keras.mixed_precision.set_global_policy("mixed_float16")
    d = keras.layers.Dense(2)
    with tf.GradientTape() as tape:
        out = d(np.ones((1, 3)))
        loss = tf.reduce_sum(tf.cast(out, tf.float32))
    assert out.dtype == tf.float16
    gk = tape.gradient(loss, d.kernel)
    assert gk.dtype == tf.float32 and gk.shape == (3, 2)
    np.testing.assert_allclose(gk.numpy(), np.ones((3, 2)), rtol=1e-3)


def test_main_job_trains_to_high_accuracy():
    from lamina.__main__ import train_mlp
    assert train_mlp(seed=1, epochs=150, verbose=False) > 0.9
