"""Base-Layer behaviours about losses, metrics, weight sharing and ordering, taken from tf.keras
2's tests (tf_keras/tests/add_loss_correctness_test.py, tf_keras/engine/training_test.py),
restated as user code after `import lamina as tf`.

Not ported: get_losses_for in graph mode, tf.compat.v1 templates / get_variable,
add_update (lamina has no graph-mode updates), sample-weighted losses through tf.data.
"""
import numpy as np
import pytest

import lamina as tf

keras = tf.keras
layers = tf.keras.layers


def _np(t):
    return np.asarray(t)


class Bias(layers.Layer):
    def build(self, input_shape):
        self.bias = self.add_weight("bias", (1,), initializer="zeros")

    def call(self, inputs):
        return inputs + self.bias


def test_loss_on_layer_in_functional_model():
    class MyLayer(layers.Layer):
        def call(self, inputs):
            self.add_loss(tf.reduce_sum(inputs))
            return inputs

    inputs = keras.Input((3,))
    model = keras.Model(inputs, MyLayer()(inputs))
    assert len(model.losses) == 1
    model.compile("sgd", "mse")
    assert model.train_on_batch(np.ones((2, 3)), np.ones((2, 3))) == 2 * 3


def test_loss_callable_on_model_fit():
    inputs = keras.Input((1,))
    model = keras.Model(inputs, Bias()(inputs))
    model.add_loss(lambda: tf.reduce_mean(model.layers[1].bias))
    assert len(model.losses) == 1
    model.compile(keras.optimizers.SGD(0.05))
    history = model.fit(np.ones((10, 1), "float32"), batch_size=5, epochs=2, verbose=0)
    # d(bias)/dstep = -0.05 each step: 4 steps
    np.testing.assert_allclose(_np(model.layers[1].bias), [-0.2], rtol=1e-5)
    assert len(history.history["loss"]) == 2


def test_activity_regularizer_loss_value():
    layer = layers.Dense(1, kernel_initializer="zeros", bias_initializer="ones",
                         activity_regularizer="l2")
    model = keras.Sequential([keras.Input((10,)), layer])
    model.compile(keras.optimizers.RMSprop(0.001))
    loss = model.test_on_batch(np.ones((10, 10), "float32"))
    assert abs(loss - 0.01) < 1e-4


def test_activity_regularizer_batch_independent():
    inputs = keras.Input(shape=(10,))
    x = layers.Dense(10, activation="relu", activity_regularizer="l2")(inputs)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    model.compile(keras.optimizers.RMSprop(0.001))
    small = model.test_on_batch(np.ones((10, 10), "float32"))
    big = model.test_on_batch(np.ones((20, 10), "float32"))
    assert abs(small - big) < 1e-4


def test_activity_regularizer_makes_loss_larger():
    loss = {}
    for reg in (None, "l2"):
        model = keras.Sequential([
            keras.Input((10,)),
            layers.Dense(10, activation="relu", activity_regularizer=reg,
                         kernel_initializer="ones", use_bias=False),
            layers.Dense(1, activation="sigmoid", kernel_initializer="ones", use_bias=False)])
        x = np.ones((10, 10), "float32")
        y = np.zeros((10, 1), "float32")
        model.compile(keras.optimizers.RMSprop(0.001), "binary_crossentropy")
        model.fit(x, y, batch_size=2, epochs=2, verbose=0)
        loss[reg] = model.evaluate(x, y, verbose=0)
    assert loss[None] < loss["l2"]


def test_losses_with_shared_layer():
    class LayerWithLoss(layers.Layer):
        def call(self, inputs):
            self.add_loss(tf.reduce_sum(inputs))
            return inputs * 2

    shared_layer = LayerWithLoss()
    m = keras.Sequential([shared_layer])
    m2 = keras.Sequential([shared_layer, m])
    m2(tf.constant([1, 2, 3]))
    assert len(m2.losses) == 2
    assert [int(v) for v in m2.losses] == [6, 12]


def test_losses_with_shared_nested_layer():
    class LayerWithLoss(layers.Layer):
        def call(self, inputs):
            self.add_loss(tf.reduce_sum(inputs))
            return inputs * 2

    class LayerWithNestedLayerWithLoss(layers.Layer):
        def __init__(self):
            super().__init__()
            self.loss_layer = LayerWithLoss()

        def call(self, inputs):
            return self.loss_layer(inputs)

    shared_layer = LayerWithNestedLayerWithLoss()
    m = keras.Sequential([shared_layer])
    m2 = keras.Sequential([shared_layer, m])
    m2(tf.constant([1, 2, 3]))
    assert len(m2.losses) == 2
    assert [int(v) for v in m2.losses] == [6, 12]


def test_clear_losses_eager_calls():
    class LayerWithSharedNestedLossLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.loss_layer = layers.ActivityRegularization(l2=0.001)
            self.add_weight(shape=(1,), regularizer="l2")

        def call(self, x):
            x = self.loss_layer(x)
            return self.loss_layer(x)

    inputs = keras.Input(shape=(1,))
    layer = LayerWithSharedNestedLossLayer()   # weight loss + 2 activity losses
    layer(tf.ones((1, 1)))
    assert len(layer.losses) == 3
    layer(tf.ones((1, 1)))
    assert len(layer.losses) == 3
    model = keras.Model(inputs, layer(inputs))
    model(tf.ones((1, 1)))
    model(tf.ones((1, 1)))
    assert len(model.losses) == 3


def test_add_loss_constant_or_variable_on_model_is_error():
    inputs = keras.Input(shape=(1,))
    model = keras.Model(inputs, Bias()(inputs))
    with pytest.raises(ValueError,
                       match="Expected a symbolic Tensors or a callable for the loss value"):
        model.add_loss(1.0)
    with pytest.raises(ValueError,
                       match="Expected a symbolic Tensors or a callable for the loss value"):
        model.add_loss(model.weights[0])


def test_add_loss_symbolic_on_functional_model():
    inputs = keras.Input(shape=(1,))
    targets = keras.Input(shape=(1,))
    outputs = Bias()(inputs)
    model = keras.Model([inputs, targets], outputs)
    model.add_loss(tf.reduce_mean(tf.square(targets - outputs)))
    model.compile("sgd")
    loss = model.test_on_batch([np.ones((2, 1)), np.zeros((2, 1))])
    assert abs(loss - 1.0) < 1e-6


def test_callable_losses_reevaluated_and_none_skipped():
    layer = layers.Layer()
    v = layer.add_weight(shape=(), initializer="ones")
    layer.add_loss(lambda: v * 2.0)
    layer.add_loss(lambda: None)
    assert [float(x) for x in layer.losses] == [2.0]
    v.assign(3.0)
    assert [float(x) for x in layer.losses] == [6.0]


def test_regularizer_losses_recomputed_from_current_weights():
    layer = layers.Dense(1, kernel_initializer="ones", kernel_regularizer=keras.regularizers.l1(1.0))
    layer.build((None, 2))
    assert float(layer.losses[0]) == 2.0
    layer.kernel.assign(tf.zeros((2, 1)))
    assert float(layer.losses[0]) == 0.0


def test_losses_are_differentiable_in_tape():
    class L(layers.Layer):
        def build(self, s):
            self.w = self.add_weight(shape=(), initializer="ones")

        def call(self, x):
            self.add_loss(self.w * 3.0)
            return x

    layer = L()
    with tf.GradientTape() as tape:
        layer(tf.ones((1,)))
        total = tf.add_n(layer.losses)
    assert float(tape.gradient(total, layer.w)) == 3.0


# ---- weight sharing and ordering ------------------------------------------------------------------
def test_weight_deduplication_in_methods():
    inp = keras.Input(shape=(1,))
    bn = layers.BatchNormalization()
    d = layers.Dense(1)
    m0 = keras.Model(inp, d(bn(inp)))
    m1 = keras.Model(inp, d(bn(inp)))
    x = layers.Add()([m0(inp), m1(inp)])
    model = keras.Model(inp, x)
    assert len(model.trainable_weights) == 4
    assert len(model.non_trainable_weights) == 2
    assert len(model.weights) == 6


def test_weight_deduplication_in_training():
    class WatchingLayer(layers.Layer):
        def __init__(self, dense_to_track):
            self._kernel = dense_to_track.kernel
            self._bias = dense_to_track.bias
            super().__init__()

    inp = keras.Input(shape=(1,))
    dense_layer = layers.Dense(1)
    dense_output = dense_layer(inp)
    dense_layer.set_weights([np.ones((1, 1)), np.zeros((1,))])
    model = keras.Model(inp, WatchingLayer(dense_layer)(dense_output))
    assert len(model.trainable_weights) == 2
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(0.24))
    x = np.ones((64 * 2, 1), "float32")
    y = 4.5 * x - 3.0
    history = model.fit(x, y, batch_size=64, epochs=2, verbose=0)
    # a weight counted twice would take a double step: the loss would be ~0.15
    assert history.history["loss"][-1] < 1e-6


def test_weight_shared_across_layers():
    class AddWeightLayer(layers.Layer):
        def __init__(self, trainable_var, non_trainable_var):
            self.trainable_var = trainable_var
            self.non_trainable_var = non_trainable_var
            super().__init__()

        def call(self, inputs):
            return inputs + self.trainable_var

    class LayerWithWeightSharedLayers(layers.Layer):
        def __init__(self):
            super().__init__()
            shared_trainable_var = tf.Variable(1.0)
            shared_non_trainable_var = tf.Variable(1.0, trainable=False)
            self.layer1 = AddWeightLayer(shared_trainable_var, shared_non_trainable_var)
            self.layer2 = AddWeightLayer(shared_trainable_var, shared_non_trainable_var)

        def call(self, inputs):
            return self.layer2(self.layer1(inputs))

    l = LayerWithWeightSharedLayers()  # noqa: E741
    assert list(l._flatten_layers(include_self=False, recursive=False)) == [l.layer1, l.layer2]
    assert l.variables == [l.layer1.trainable_var, l.layer1.non_trainable_var]
    assert l.trainable_variables == [l.layer1.trainable_var]
    assert l.non_trainable_variables == [l.layer1.non_trainable_var]
    assert len(l.get_weights()) == 2


def test_layer_ordering_through_dicts():
    class MyLayer(layers.Layer):
        pass

    class MyModel(keras.Model):
        def __init__(self, name):
            super().__init__(name=name)
            self.weight = tf.Variable(0, name=name)
            self.direct_sublayer = MyLayer(name="direct")
            self.direct_sublayer.d = {"d": MyLayer(name="direct/dict")}
            self.dict_sublayer = {"d": MyLayer(name="dict")}
            self.dict_sublayer["d"].direct = MyLayer(name="dict/direct")

    model = MyModel("model")
    assert [l.name for l in model._flatten_layers()] == [
        "model", "direct", "direct/dict", "dict", "dict/direct"]
    assert [l.name for l in model.layers] == ["direct", "dict"]


def test_trainable_argument_freezes_in_training():
    x = np.random.random((5, 3)).astype("float32")
    y = np.random.random((5, 2)).astype("float32")
    model = keras.Sequential()
    model.add(layers.Dense(2, input_dim=3, trainable=False))
    model.compile("rmsprop", "mse")
    out = model.predict(x, verbose=0)
    model.train_on_batch(x, y)
    np.testing.assert_allclose(model.predict(x, verbose=0), out)

    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, model(inputs))
    model.compile("rmsprop", "mse")
    out = model.predict(x, verbose=0)
    model.train_on_batch(x, y)
    np.testing.assert_allclose(model.predict(x, verbose=0), out)


def test_layer_trainability_switch():
    model = keras.Sequential()
    model.add(layers.Dense(2, trainable=False, input_dim=1))
    assert model.trainable_weights == []

    model = keras.Sequential()
    layer = layers.Dense(2, input_dim=1)
    model.add(layer)
    assert model.trainable_weights == layer.trainable_weights
    layer.trainable = False
    assert model.trainable_weights == []

    x = keras.Input(shape=(1,))
    model = keras.Model(x, layers.Dense(2, trainable=False)(x))
    assert model.trainable_weights == []

    x = keras.Input(shape=(1,))
    layer = layers.Dense(2)
    model = keras.Model(x, layer(x))
    assert model.trainable_weights == layer.trainable_weights
    layer.trainable = False
    assert model.trainable_weights == []


def test_mask_argument_in_functional_layer():
    class CustomMaskedLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            assert mask is not None
            return inputs

        def compute_output_shape(self, input_shape):
            return input_shape

    inputs = keras.Input((3,))
    masked = layers.Masking(mask_value=0)(inputs)
    model = keras.Model(inputs, CustomMaskedLayer()(masked))
    model.compile(loss="mse", optimizer=keras.optimizers.RMSprop(0.001))
    model.train_on_batch(np.random.random((5, 3)), np.random.random((5, 3)))


# ---- add_metric (training_test.py) --------------------------------------------------------------
def test_add_metric_in_layer_call():
    class TestLayer(layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight("a", (1, 1), initializer="ones", trainable=False)
            self.built = True

        def call(self, inputs):
            self.add_metric(tf.reduce_sum(inputs), name="metric_1", aggregation="mean")
            return inputs + 1

    model = keras.Sequential([TestLayer(input_shape=(1,)), layers.Dense(2)])
    model.compile(loss="mse", optimizer=keras.optimizers.RMSprop(0.01))
    x = np.ones((10, 1), "float32")
    history = model.fit(x, np.ones((10, 2)), epochs=2, batch_size=5, verbose=0)
    assert [m.name for m in model.metrics][-1] == "metric_1"
    np.testing.assert_allclose(history.history["metric_1"][-1], 5, rtol=1e-6)


def test_add_metric_without_name_is_error():
    class TestLayer(layers.Layer):
        def call(self, inputs):
            self.add_metric(tf.reduce_sum(inputs))
            return inputs

    with pytest.raises(ValueError, match="Please provide a name for your metric"):
        TestLayer()(tf.ones((2, 1)))


def test_multiple_add_metric_calls_in_layer():
    class TestLayer(layers.Layer):
        def __init__(self):
            super().__init__(name="test_layer")
            self.dense1 = layers.Dense(2, kernel_initializer="ones")
            self.m1 = keras.metrics.Mean(name="m_1")
            self.m2 = [keras.metrics.Mean(name="m_2"), keras.metrics.Mean(name="m_3")]
            self.m3 = {"mean4": keras.metrics.Mean(name="m_4")}

        def call(self, x):
            self.add_metric(self.m2[0](x))
            self.add_metric(self.m2[1](x))
            self.add_metric(self.m1(x))
            self.add_metric(self.m3["mean4"](x))
            return self.dense1(x)

    layer = TestLayer()
    assert [m.name for m in layer.metrics] == ["m_1", "m_2", "m_3", "m_4"]
    layer(np.ones((10, 10)))
    assert [m.name for m in layer.metrics] == ["m_1", "m_2", "m_3", "m_4"]
    assert float(layer.metrics[0].result()) == 1.0


def test_duplicate_metric_name_in_add_metric_reuses_metric():
    class TestLayer(layers.Layer):
        def call(self, x):
            self.add_metric(tf.reduce_sum(x), name="s", aggregation="mean")
            self.add_metric(tf.reduce_sum(x) * 3.0, name="s", aggregation="mean")
            return x

    layer = TestLayer()
    layer(tf.ones((2, 1)))
    assert [m.name for m in layer.metrics] == ["s"]
    assert float(layer.metrics[0].result()) == 4.0


def test_add_metric_outside_call_with_eager_tensor_is_error():
    layer = layers.Layer()
    with pytest.raises(ValueError, match="Expected a symbolic Tensor for the metric value"):
        layer.add_metric(tf.constant(1.0), name="x")


def test_add_metric_with_tensor_on_functional_model():
    inputs = keras.Input(shape=(1,))
    outputs = layers.Dense(1, kernel_initializer="ones")(inputs)
    model = keras.Model(inputs, outputs)
    model.add_metric(tf.reduce_sum(outputs), name="metric_1", aggregation="mean")
    model.compile("sgd", loss="mse")
    history = model.fit(np.ones((10, 1), "float32"), np.ones((10, 1), "float32"),
                        batch_size=10, epochs=1, verbose=0)
    assert "metric_1" in history.history


def test_add_metric_in_model_call_with_metric_object_of_same_name():
    class TestModel(keras.Model):
        def __init__(self):
            super().__init__(name="test_model")
            self.dense1 = layers.Dense(2, kernel_initializer="ones")
            self.mean = keras.metrics.Mean(name="metric_1")

        def call(self, x):
            self.add_metric(tf.reduce_sum(x), name="metric_2", aggregation="mean")
            self.add_metric(self.mean(x), name="metric_1")
            return self.dense1(x)

    model = TestModel()
    model.compile(loss="mse", optimizer=keras.optimizers.RMSprop(0.01))
    x = np.ones((10, 1), "float32")
    y = np.ones((10, 2), "float32")
    history = model.fit(x, y, epochs=2, batch_size=5, validation_data=(x, y), verbose=0)
    assert round(history.history["metric_1"][-1]) == 1
    assert round(history.history["val_metric_1"][-1]) == 1
    assert round(history.history["metric_2"][-1]) == 5
    assert round(history.history["val_metric_2"][-1]) == 5
    eval_results = model.evaluate(x, y, batch_size=5, verbose=0)
    assert round(eval_results[1]) == 1 and round(eval_results[2]) == 5


def test_model_metrics_list_order():
    class LayerWithAddMetric(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, kernel_initializer="ones")

        def __call__(self, inputs):
            outputs = self.dense(inputs)
            self.add_metric(tf.reduce_sum(outputs), name="metric_1", aggregation="mean")
            return outputs

    class LayerWithNestedAddMetricLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.layer = LayerWithAddMetric()

        def call(self, inputs):
            outputs = self.layer(inputs)
            self.add_metric(tf.reduce_sum(outputs), name="metric_2", aggregation="mean")
            return outputs

    x = keras.Input(shape=(1,))
    y = LayerWithNestedAddMetricLayer()(x)
    model = keras.Model(x, y)
    model.add_metric(tf.reduce_sum(y), name="metric_3", aggregation="mean")
    mean_result = keras.metrics.Mean()(tf.ones((1,)))
    with pytest.raises(ValueError, match="Expected a symbolic Tensor for the metric value"):
        model.add_metric(mean_result, name="metric_4")
    model.compile("sgd", loss="mse", metrics=[keras.metrics.Accuracy("metric_4")])
    model.fit(np.ones((10, 1)), np.ones((10, 1)), batch_size=10, verbose=0)
    assert [m.name for m in model.metrics] == ["loss", "metric_4", "metric_2", "metric_1",
                                               "metric_3"]


def test_model_metrics_list_in_call():
    class TestModel(keras.Model):
        def __init__(self):
            super().__init__(name="test_model")
            self.dense1 = layers.Dense(2, kernel_initializer="ones")

        def call(self, x):
            self.add_metric(tf.reduce_sum(x), name="metric_1", aggregation="mean")
            return self.dense1(x)

    model = TestModel()
    model.compile(loss="mse", optimizer=keras.optimizers.RMSprop(0.01),
                  metrics=[keras.metrics.Accuracy("acc")])
    x = np.ones((10, 1), "float32")
    y = np.ones((10, 2), "float32")
    model.fit(x, y, epochs=2, batch_size=5, validation_data=(x, y), verbose=0)
    assert [m.name for m in model.metrics] == ["loss", "acc", "metric_1"]


def test_multiple_add_metric_calls_in_model():
    class TestModel(keras.Model):
        def __init__(self):
            super().__init__(name="test_model")
            self.dense1 = layers.Dense(2, kernel_initializer="ones")
            self.mean1 = keras.metrics.Mean(name="metric_1")
            self.mean2 = keras.metrics.Mean(name="metric_2")

        def call(self, x):
            self.add_metric(self.mean2(x), name="metric_2")
            self.add_metric(self.mean1(x), name="metric_1")
            self.add_metric(tf.reduce_sum(x), name="metric_3", aggregation="mean")
            return self.dense1(x)

    model = TestModel()
    assert [m.name for m in model.metrics] == ["metric_1", "metric_2"]
    model.compile(loss="mse", optimizer=keras.optimizers.RMSprop(0.01))
    x = np.ones((10, 1), "float32")
    y = np.ones((10, 2), "float32")
    history = model.fit(x, y, epochs=2, batch_size=5, validation_data=(x, y), verbose=0)
    assert round(history.history["metric_1"][-1]) == 1
    assert round(history.history["metric_2"][-1]) == 1
    assert round(history.history["metric_3"][-1]) == 5
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=5, verbose=0)[1:4], [1, 1, 5],
                               atol=0.1)


def test_multiple_add_metric_calls_layer_adds_named_mean_last():
    class TestLayer(layers.Layer):
        def __init__(self):
            super().__init__(name="test_layer")
            self.dense1 = layers.Dense(2, kernel_initializer="ones")
            self.m1 = keras.metrics.Mean(name="m_1")
            self.m2 = [keras.metrics.Mean(name="m_2"), keras.metrics.Mean(name="m_3")]
            self.m3 = {"mean4": keras.metrics.Mean(name="m_4"),
                       "mean5": keras.metrics.Mean(name="m_5")}

        def call(self, x):
            self.add_metric(self.m2[0](x))
            self.add_metric(self.m2[1](x))
            self.add_metric(self.m1(x))
            self.add_metric(self.m3["mean4"](x))
            self.add_metric(self.m3["mean5"](x))
            self.add_metric(tf.reduce_sum(x), name="m_6", aggregation="mean")
            return self.dense1(x)

    layer = TestLayer()
    assert [m.name for m in layer.metrics] == ["m_1", "m_2", "m_3", "m_4", "m_5"]
    layer(np.ones((10, 10)))
    assert [m.name for m in layer.metrics] == ["m_1", "m_2", "m_3", "m_4", "m_5", "m_6"]


def test_duplicate_metric_objects_with_same_name_fail_in_fit():
    class TestModel(keras.Model):
        def __init__(self):
            super().__init__(name="test_model")
            self.dense1 = layers.Dense(2, kernel_initializer="ones")
            self.mean = keras.metrics.Mean(name="metric_1")
            self.mean2 = keras.metrics.Mean(name="metric_1")

        def call(self, x):
            self.add_metric(self.mean(x), name="metric_1")
            return self.dense1(x)

    model = TestModel()
    model.compile(loss="mse", optimizer=keras.optimizers.RMSprop(0.01))
    x = np.ones((10, 1), "float32")
    y = np.ones((10, 2), "float32")
    with pytest.raises(ValueError, match="Please provide different names for the metrics you "
                                         "have added. We found 2 metrics with the name: "
                                         '"metric_1"'):
        model.fit(x, y, epochs=2, batch_size=5, verbose=0)


def test_add_metric_without_name_fails_in_fit():
    class TestModel(keras.Model):
        def __init__(self):
            super().__init__(name="test_model")
            self.dense1 = layers.Dense(2, kernel_initializer="ones")

        def call(self, x):
            self.add_metric(tf.reduce_sum(x), aggregation="mean")
            return self.dense1(x)

    model = TestModel()
    model.compile(loss="mse", optimizer=keras.optimizers.RMSprop(0.01))
    with pytest.raises(ValueError, match="Please provide a name for your metric like"):
        model.fit(np.ones((10, 1)), np.ones((10, 2)), epochs=1, batch_size=5, verbose=0)


def test_add_metric_correctness():
    inputs = keras.Input(shape=(1,))
    targets = keras.Input(shape=(1,))

    class BiasWithMetric(layers.Layer):
        def build(self, input_shape):
            self.bias = self.add_weight("bias", (1,), initializer="zeros")
            self.mae = keras.metrics.MeanAbsoluteError(name="mae_1")

        def call(self, inputs):
            inputs, targets = inputs
            outputs = inputs + self.bias
            self.add_metric(self.mae(targets, outputs), name="mae_1")
            return outputs

    outputs = BiasWithMetric()([inputs, targets])
    model = keras.Model([inputs, targets], outputs)
    model.add_metric(keras.losses.mean_absolute_error(targets, outputs), name="mae_2",
                     aggregation="mean")
    model.compile(loss="mae", optimizer=keras.optimizers.SGD(0.1),
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae_3")])
    x = np.array([[0.0], [1.0], [2.0]], "float32")
    y = np.array([[0.5], [2.0], [3.5]], "float32")
    history = model.fit([x, y], y, batch_size=3, epochs=5, verbose=0)
    for key in ["loss", "mae_1", "mae_2", "mae_3"]:
        np.testing.assert_allclose(history.history[key], [1.0, 0.9, 0.8, 0.7, 0.6], atol=1e-3)


def test_add_entropy_loss_on_functional_model():
    inputs = keras.Input(shape=(1,))
    targets = keras.Input(shape=(1,))
    outputs = Bias()(inputs)
    model = keras.Model([inputs, targets], outputs)
    model.add_loss(keras.losses.binary_crossentropy(targets, outputs))
    assert len(model.losses) == 1
    model.compile("sgd")
    history = model.fit([np.ones((4, 1), "float32") * 0.5, np.ones((4, 1), "float32")],
                        batch_size=2, epochs=1, verbose=0)
    assert history.history["loss"][0] > 0


def test_add_metric_order_in_history():
    class MyLayer(layers.Layer):
        def call(self, inputs, training=None, mask=None):
            self.add_metric(tf.ones([32]) * 2.0, name="two", aggregation="mean")
            return inputs

    class MyModel(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._sampler = MyLayer(name="sampler")

        def call(self, inputs, training=None, mask=None):
            z = self._sampler(inputs)
            self.add_metric(tf.ones([32]) * 1.0, name="one", aggregation="mean")
            self.add_metric(tf.ones([32]) * 3.0, name="three", aggregation="mean")
            return z

    xdata = np.random.uniform(size=[32, 16]).astype(np.float32)
    model = MyModel()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(xdata, xdata, batch_size=32, epochs=3, verbose=0)
    assert history.history == {"loss": [0.0, 0.0, 0.0], "three": [3.0, 3.0, 3.0],
                               "two": [2.0, 2.0, 2.0], "one": [1.0, 1.0, 1.0]}
