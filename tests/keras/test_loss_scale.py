"""LossScaleOptimizer (dynamic loss scaling) and compile's wrapping under mixed_float16."""
import numpy as np
import pytest

import lamina as tf
from lamina import keras


def test_dynamic_loss_scale_skips_non_finite_steps_and_grows():
    opt = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(1.0),
                                                   dynamic_growth_steps=2)
    assert float(opt.loss_scale) == 2.0 ** 15 and opt.dynamic
    v = tf.Variable([1.0])
    assert float(opt.get_scaled_loss(tf.constant(2.0))) == 2.0 ** 16
    grads = opt.get_unscaled_gradients([tf.constant([2.0 ** 15])])
    assert grads[0].numpy().tolist() == [1.0]
    opt.apply_gradients([(tf.constant([np.inf]), v)])          # skipped, scale halves
    assert v.numpy().tolist() == [1.0] and float(opt.loss_scale) == 2.0 ** 14
    assert int(opt.iterations.numpy()) == 0
    opt.apply_gradients([(tf.constant([0.5]), v)])
    opt.apply_gradients([(tf.constant([0.5]), v)])             # 2 good steps: scale doubles
    assert v.numpy().tolist() == [0.0] and float(opt.loss_scale) == 2.0 ** 15
    assert int(opt.dynamic_counter.numpy()) == 0


def test_minimize_scales_inside_the_tape():
    opt = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.5))
    v = tf.Variable([2.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(v * v)
    opt.minimize(loss, [v], tape=tape)
    assert v.numpy().tolist() == [0.0]


def test_constructor_errors_and_config():
    with pytest.raises(TypeError, match="inner_optimizer"):
        keras.mixed_precision.LossScaleOptimizer("sgd")
    with pytest.raises(ValueError, match="initial_scale"):
        keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(), dynamic=False)
    opt = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.Adam(0.1), initial_scale=8.0)
    again = keras.mixed_precision.LossScaleOptimizer.from_config(opt.get_config())
    assert again.initial_scale == 8.0 and isinstance(again.inner_optimizer, keras.optimizers.Adam)
    assert float(again.learning_rate.numpy()) == pytest.approx(0.1)


def test_compile_wraps_the_optimizer_under_mixed_float16():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        assert isinstance(model.optimizer, keras.mixed_precision.LossScaleOptimizer)
        x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
        hist = model.fit(x, x[:, :1], epochs=3, verbose=0)
        assert np.isfinite(hist.history["loss"]).all()
        assert model.layers[0].kernel.dtype == tf.float32
    finally:
        keras.mixed_precision.set_global_policy(None)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    assert isinstance(model.optimizer, keras.optimizers.SGD)
