"""Regression tests for the wrong answers of issue 10 (items 1, 3, 4, 5, 8) and issue 11
item 2, with the numbers real tf.keras 2 gives."""
import gc

import numpy as np
import pytest

import lamina as tf
from lamina import keras


def test_flat_targets_against_a_dense_1_output_are_not_broadcast():
    # issue 10 item 1: tf.keras evaluates to [0.4532, 0.75] (lamina gave [0.8719, 0.5])
    model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid",
                                                 kernel_initializer="ones")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    x = np.array([[2], [-1.5], [1], [-0.8]], "float32")
    loss, acc = model.evaluate(x, np.array([1, 0, 1, 1]), verbose=0)
    assert loss == pytest.approx(0.4531759023666382, rel=1e-6) and acc == 0.75


def test_class_weight_weights_the_reported_and_trained_loss():
    # issue 10 item 3: zero weights give p = 0.5, so each sample's loss is log 2; class weights
    # [3, 1, 1, 3] make the mean 8 log 2 / 4 (as tf.keras reports)
    x = np.array([[1.0], [2.0], [-1.0], [0.5]], "float32")
    y = np.array([1, 0, 0, 1])
    losses = []
    for cw in (None, {0: 1.0, 1: 3.0}):
        model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid",
                                                     kernel_initializer="zeros")])
        model.compile(keras.optimizers.SGD(0.0), "binary_crossentropy")
        losses.append(model.fit(x, y, class_weight=cw, verbose=0).history["loss"][0])
    np.testing.assert_allclose(losses, [np.log(2), np.log(2) * 8 / 4], rtol=1e-6)
    with pytest.raises(ValueError, match="keys from 0"):
        model.fit(x, y, class_weight={1: 2.0}, verbose=0)


@pytest.mark.parametrize("kw,step", [({"clipnorm": 1}, [-0.6, -0.8]),
                                     ({"clipvalue": 1}, [-1.0, -1.0]),
                                     ({"global_clipnorm": 2.5}, [-1.5, -2.0]),
                                     ({"weight_decay": 0.5}, [-3.0 - 0.5, -4.0 - 1.0])])
def test_clipping_and_weight_decay_are_applied(kw, step):
    # issue 10 item 4: SGD(learning_rate=1, clipnorm=1) on gradient [3, 4] steps by [-0.6, -0.8]
    v = tf.Variable([1.0, 2.0])
    keras.optimizers.SGD(learning_rate=1.0, **kw).apply_gradients([(tf.constant([3.0, 4.0]), v)])
    np.testing.assert_allclose(v.numpy() - [1.0, 2.0], step, rtol=1e-6)


def test_metrics_on_integer_inputs():
    # issue 10 item 5 (tf.keras gives 0.5: the mean of (1-0)^2 and (1-1)^2)
    assert float(keras.metrics.MeanSquaredError()([0, 1], [1, 1])) == 0.5
    assert float(keras.metrics.MeanAbsoluteError()([0, 2], [1, 1])) == 1.0
    assert float(keras.metrics.Accuracy()([1, 2, 3], [1, 2, 4])) == pytest.approx(2 / 3)
    assert float(keras.metrics.BinaryAccuracy()([1, 0], [1, 1])) == 0.5


def test_add_weight_string_dtype_without_initializer_is_tf_keras_value_error():
    # issue 10 item 8
    with pytest.raises(ValueError, match="An initializer for variable s of type "
                                         "<dtype: 'string'> is required"):
        keras.layers.Layer().add_weight(name="s", shape=(), dtype="string")


def _momentum_run(keep_alive):
    """Variables created and dropped in a loop, each trained two steps with SGD momentum."""
    opt = keras.optimizers.SGD(0.1, momentum=0.9)
    results, alive = [], []
    for _ in range(20):
        v = tf.Variable([1.0])
        for _ in range(2):
            opt.apply_gradients([(tf.constant([1.0]), v)])
        results.append(float(v.numpy()[0]))
        if keep_alive:
            alive.append(v)
        del v
        gc.collect(0)
    return opt, results, alive


def test_optimizer_state_is_never_inherited_by_a_new_variable_and_is_freed():
    # issue 11 item 2: with id(variable) keys a new variable reused a dead one's momentum
    opt, results, _ = _momentum_run(keep_alive=False)
    # every fresh variable: 1 - 0.1 - (0.9 * 0.1 + 0.1) = 0.71
    np.testing.assert_allclose(results, [0.71] * 20, rtol=1e-6)
    assert len(opt.variables) == 1          # only `iterations`: dead variables' slots freed
    assert opt._slots == {}
    opt2, results2, alive = _momentum_run(keep_alive=True)
    assert results2 == results and len(opt2.variables) == 21 and len(alive) == 20


def test_adam_state_follows_the_variable_not_its_id():
    opt = keras.optimizers.Adam(0.1)
    for shape in [(2,), (3, 3), (1,), (4,)] * 5:
        v = tf.Variable(tf.ones(shape))
        opt.apply_gradients([(tf.ones(shape), v)])
        del v
        gc.collect(0)
    assert int(opt.iterations.numpy()) == 20


def test_saturated_sigmoid_outputs_use_their_logits_like_tf_keras():
    # tf.keras's sigmoid/softmax outputs remember their logits; crossentropy then uses them.
    # tf_keras 2.21: [17.57831573486328, 0.5, 17.57831573486328] (clipping would give ~8.06)
    x = np.array([[30.0], [-40.0], [1.0], [25.0]], "float32")
    model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid",
                                                 kernel_initializer="ones")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy", "binary_crossentropy"])
    np.testing.assert_allclose(model.evaluate(x, np.array([0, 1, 1, 1]), verbose=0),
                               [17.57831573486328, 0.5, 17.57831573486328], rtol=1e-6)
    assert float(keras.losses.binary_crossentropy(
        [1.0], keras.activations.sigmoid(tf.constant([-40.0])))) == 40.0
