"""BatchNormalization, merge layers, ReLU, Softmax, Reshape, Embedding, Activation, Lambda,
Flatten, Dropout; deepcopy, reassignment bookkeeping, name scopes of nested layers."""
import copy

import numpy as np
import pytest

import lamina as tf
from lamina import keras
from lamina.keras import layers
from _keras_session import fresh_keras_session  # noqa: F401  (autouse fixture)


def test_nested_tracking_with_batchnorm_and_freezing():
    class MyLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense1 = layers.Dense(1)
            self.dense2 = layers.BatchNormalization()

        def build(self, input_shape):
            self.v1 = self.add_weight("v1", shape=input_shape[1:].as_list())
            self.v2 = tf.Variable(name="v2", initial_value=np.zeros(input_shape[1:].as_list(),
                                                                   dtype="float32"),
                                  trainable=False)

        def call(self, inputs):
            x = self.dense1(inputs) + self.dense2(inputs)
            return x + self.v1 + self.v2
    layer = MyLayer()
    layer(keras.Input((1,)))
    counts = lambda: (len(layer.weights), len(layer.trainable_weights),   # noqa: E731
                      len(layer.non_trainable_weights))
    assert counts() == (8, 5, 3)
    layer.dense1.trainable = False
    assert counts() == (8, 3, 5)
    layer.trainable = False
    assert counts() == (8, 0, 8)


def test_batchnorm_training_and_inference():
    bn = layers.BatchNormalization(momentum=0.5)
    x = np.random.default_rng(0).standard_normal((64, 3)).astype(np.float32) * 3 + 1
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(y.std(0), 1, atol=1e-2)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean(0), rtol=1e-4)
    inf = bn(x).numpy()
    mm, mv = bn.moving_mean.numpy(), bn.moving_variance.numpy()
    np.testing.assert_allclose(inf, (x - mm) / np.sqrt(mv + 1e-3), rtol=1e-4, atol=1e-5)
    assert [w.name.split("/")[-1] for w in bn.weights] == \
        ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"]
    assert len(bn.trainable_weights) == 2
    bn.trainable = False
    before = bn.moving_mean.numpy()
    bn(x, training=True)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)


def test_operator_and_merge_layer_names():
    inputs = keras.Input(shape=[2])
    add1 = inputs + inputs
    add2 = layers.Add()([inputs, inputs])
    add3 = inputs + inputs
    add4 = layers.Add()([inputs, inputs])
    model = keras.Model(inputs=[inputs], outputs=[add1, add2, add3, add4])
    assert [l.name for l in model.layers] == \
        ["input_1", "tf.__operators__.add", "add", "tf.__operators__.add_1", "add_1"]
    outs = model(np.ones((1, 2), np.float32))
    assert all(o.numpy().tolist() == [[2.0, 2.0]] for o in outs)


def test_merge_layers():
    a, b = tf.constant([[1.0, 4.0]]), tf.constant([[3.0, 2.0]])
    assert layers.add([a, b]).numpy().tolist() == [[4, 6]]
    assert layers.subtract([a, b]).numpy().tolist() == [[-2, 2]]
    assert layers.multiply([a, b]).numpy().tolist() == [[3, 8]]
    assert layers.average([a, b]).numpy().tolist() == [[2, 3]]
    assert layers.maximum([a, b]).numpy().tolist() == [[3, 4]]
    assert layers.minimum([a, b]).numpy().tolist() == [[1, 2]]
    assert layers.concatenate([a, b]).numpy().tolist() == [[1, 4, 3, 2]]
    assert layers.Concatenate(axis=0)([a, b]).shape == (2, 2)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([a, b, a])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(a)


def test_simple_layers():
    x = tf.constant([[-1.0, 2.0]])
    assert layers.ReLU()(x).numpy().tolist() == [[0, 2]]
    assert layers.ReLU(max_value=1.0)(x).numpy().tolist() == [[0, 1]]
    with pytest.raises(ValueError, match="negative"):
        layers.ReLU(max_value=-1)
    np.testing.assert_allclose(layers.Softmax()(x).numpy().sum(), 1.0, rtol=1e-6)
    assert layers.Activation("relu")(x).numpy().tolist() == [[0, 2]]
    assert layers.Reshape((2, 1))(x).shape == (1, 2, 1)
    assert layers.Flatten()(tf.ones((2, 3, 4))).shape == (2, 12)
    assert layers.Lambda(lambda v: v * 2)(x).numpy().tolist() == [[-2, 4]]
    d = layers.Dropout(0.5)
    assert d(x).numpy().tolist() == x.numpy().tolist()
    dropped = d(tf.ones((1000,)), training=True).numpy()
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 300 < (dropped == 0).sum() < 700
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)
    e = layers.Embedding(10, 3, mask_zero=True)
    out = e(tf.constant([[0, 2, 9]]))
    assert out.shape == (1, 3, 3)
    np.testing.assert_allclose(out.numpy()[0, 1], e.embeddings.numpy()[2])
    assert out._keras_mask.numpy().tolist() == [[False, True, True]]
    with pytest.raises(ValueError, match="positive"):
        layers.Embedding(0, 2)


def test_deepcopy_layer():
    reg = lambda x: 1e-3 * tf.reduce_sum(x)   # noqa: E731
    layer = layers.Dense(3, bias_regularizer=reg)
    layer(tf.ones((1, 10)))
    new = copy.deepcopy(layer)
    assert new.bias_regularizer is reg and layer.get_config() == new.get_config()
    assert len(new.losses) == 1 and len(new.weights) == 2
    assert new.weights[0] is not layer.weights[0]
    new.kernel.assign(np.zeros((10, 3), np.float32))
    assert np.abs(layer.kernel.numpy()).sum() > 0
    assert new(tf.ones((1, 10))).numpy().tolist() == [[0.0, 0.0, 0.0]]
    new.extra = tf.Variable(1.0)
    assert len(new.weights) == 3 and len(layer.weights) == 2


def test_attribute_reassignment_bookkeeping():
    l = layers.Layer()
    l.a = layers.Layer()
    l.a = []
    l.a = tf.Variable(1.0)
    l.a = layers.Layer()
    last = layers.Layer()
    l.a = last
    l.b = l.a
    assert l._self_tracked_trackables == [last] and l.weights == []
    del l.a
    assert l._self_tracked_trackables == [last]
    del l.b
    assert l._self_tracked_trackables == []


def test_name_scopes_of_nested_layers_and_functional_calls():
    class Nested(layers.Layer):
        def __init__(self, name="OuterName"):
            super().__init__(name=name)
            self.dense = layers.Dense(10, name="InnerName")

        def call(self, inputs):
            return self.dense(inputs)
    layer = Nested()
    layer(keras.Input((3,)))
    assert layer.dense.bias.name == "OuterName/InnerName/bias:0"
    d = layers.Dense(10, name="MyName")
    d(keras.Input((3,)))
    assert d.kernel.name == "MyName/kernel:0"
    d = layers.Dense(2)
    d.build((None, 4))
    assert d.count_params() == 10 and d.kernel.name == "kernel:0"


def test_layer_class_attribute_not_tracked_and_add_update():
    class L(layers.Layer):
        def __init__(self):
            super().__init__()
            self.layer_fn = layers.Dense
            self.v = self.add_weight("v", shape=())

        def call(self, x):
            self.add_update(lambda: self.v.assign_add(1.0))
            return x
    layer = L()
    assert layer.submodules == [] and len(layer.variables) == 1
    before = float(layer.v)
    layer(tf.ones(1))
    assert float(layer.v) == pytest.approx(before + 1)
    assert keras.Sequential(layers.Dense(2, input_dim=3)).count_params() == 8


def test_tf_module_tracking_and_pickle():
    import pickle

    class MyModule(tf.Module):
        def __init__(self):
            super().__init__()
            self.v1 = tf.Variable(1.0, trainable=True, name="v1")
            self.v2 = tf.Variable(2.0, trainable=False, name="v2")

        def __call__(self, x):
            return x * self.v1 * self.v2

    class MyLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.my_modules = {}
            self.my_modules["a"] = MyModule()

        def call(self, x):
            return self.my_modules["a"](x)
    layer = MyLayer()
    assert MyModule().name == "my_module" and len(MyModule().trainable_variables) == 1
    counts = lambda: (len(layer.variables), len(layer.trainable_variables),   # noqa: E731
                      len(layer.non_trainable_variables))
    assert counts() == (2, 1, 1)
    layer.trainable = False
    assert counts() == (2, 0, 2)
    assert float(layer(tf.constant(3.0))) == 6.0

    d = layers.Dense(2)
    d(np.ones((1, 3), np.float32))
    r = pickle.loads(pickle.dumps(d))
    assert r.get_config() == d.get_config() and len(r.weights) == 2
    np.testing.assert_allclose(r(np.ones((1, 3), np.float32)).numpy(),
                               d(np.ones((1, 3), np.float32)).numpy())
    assert len(layers.Layer()._layers) == 0


def test_training_default_stays_local_and_context_resets_after_errors():
    seen = {}

    class DefaultsTrue(layers.Layer):
        def call(self, x, training=True):
            return x

    class Record(layers.Layer):
        def call(self, x, training=None):
            seen["training"] = training
            return x
    inp = keras.Input((4,))
    model = keras.Model(inp, Record()(DefaultsTrue()(inp)))
    model(np.ones((4, 4), np.float32))
    assert seen["training"] is None
    model(np.ones((4, 4), np.float32), training=True)
    assert seen["training"] is True

    class Bad(layers.Layer):
        def call(self, x, training=False):
            raise RuntimeError("oops!")
    with pytest.raises(RuntimeError, match="oops"):
        Bad()(np.ones((2,)), training=True)
    Record()(np.ones((2,)))
    assert seen["training"] is None


def test_call_context_arguments():
    class Inner(layers.Layer):
        def __init__(self):
            super().__init__()
            self._register_call_context_args("foo_mode")

        def call(self, x, foo_mode=None):
            return x + (1 if foo_mode else 0)

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self._register_call_context_args("foo_mode")
            self.inner = Inner()

        def call(self, x):
            return self.inner(x)

    class Undeclared(layers.Layer):
        def call(self, x, foo_mode=None):
            return x + (1 if foo_mode else 0)

    class Wrapper(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Undeclared()

        def call(self, x):
            return self.inner(x)
    layer = Outer()
    assert set(layer._call_context_args) == {"foo_mode", "training"}
    assert int(layer(np.array(0), foo_mode=True)) == 1 and int(layer(np.array(0))) == 0
    w = Wrapper()
    w._register_call_context_args("foo_mode")
    assert int(w(np.array(0), foo_mode=True)) == 0
    with pytest.raises(RuntimeError, match="after the layer has been called"):
        layer._register_call_context_args("bar")
    seq = keras.Sequential([Outer()])
    seq._register_call_context_args("foo_mode")
    assert int(seq(np.array([0]), foo_mode=True)[0]) == 1


def test_lambda_config_output_shapes_masks_and_training():
    def f(x):
        return x + 1
    ld = layers.deserialize({"class_name": "Lambda", "config": layers.Lambda(f).get_config()})
    assert ld.function(3) == 4
    ld = layers.Lambda(lambda x: tf.concat([tf.square(x), x], 0))
    ld = layers.Lambda.from_config(ld.get_config())          # a lambda travels as bytecode
    assert ld.function(tf.constant([3])).numpy().tolist() == [9, 3]
    ld = layers.Lambda(lambda x, a, b: x * a + b, arguments={"a": 0.6, "b": 0.4})
    np.testing.assert_allclose(ld(tf.ones((2,))).numpy(), [1.0, 1.0], rtol=1e-6)
    assert layers.Lambda(lambda x: x[0])([np.ones([3, 2], np.float32),
                                          np.ones([3, 5], np.float32)]).shape == (3, 2)
    l = layers.Lambda(lambda x: tf.matmul(x[0], x[1]), dtype=tf.float64)
    assert l.compute_output_shape([(10, 10), (10, 20)]).as_list() == [10, 20]
    assert [s.as_list() for s in layers.Lambda(lambda x: x, output_shape=[(10,), (20,)])
            .compute_output_shape([(10, 10), (10, 20)])] == [[10, 10], [10, 20]]
    assert layers.Lambda(lambda x: x, output_shape=(None, 10)).compute_output_shape(
        (5, 10, 20)).as_list() == [5, None, 10]
    nested = layers.Lambda(lambda i: (i[1]["a"], {"b": i[0]})).compute_output_shape(
        ((10, 20), {"a": (10, 5)}))
    assert nested[0].as_list() == [10, 5] and nested[1]["b"].as_list() == [10, 20]
    layer = layers.Lambda(lambda x: x + 1, output_shape=(1, 1), mask=lambda i, m: m)
    layer(keras.backend.variable(np.ones((1, 1))))
    config = layer.get_config()
    assert config["output_shape"] == (1, 1) and config["function_type"] == "lambda"
    layer = layers.Lambda.from_config(config)
    assert layer.function(1) == 2 and layer._output_shape == (1, 1) and layer.mask(1, True)
    x = np.ones([5, 4, 3])
    x[:, -1, :] = 0

    def mask_fn(inputs, previous_mask):
        return previous_mask
    out = layers.Lambda(lambda v: v + 1.0, mask=mask_fn)(layers.Masking()(x))
    assert out.numpy()[0, :, 0].tolist() == [2, 2, 2, 1]
    assert out._keras_mask.numpy()[0].tolist() == [True, True, True, False]
    assert not layers.Masking(1.0)(np.ones((10, 10)))._keras_mask.numpy().any()

    def fn(v, training=True):
        return v if training else 2 * v
    assert float(layers.Lambda(fn)(tf.ones(()), training=False)) == 2.0

    class PositionalMask(layers.Layer):
        def call(self, inputs, mask=None):
            return inputs

        def compute_mask(self, inputs, mask=None):
            return tf.ones(()) if mask is not None else tf.zeros(())
    y = PositionalMask()(tf.ones((1, 1)), tf.ones((1, 1)))
    assert float(y._keras_mask) == 1.0
