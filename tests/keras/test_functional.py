"""Input / KerasTensor, tracing of lamina ops, functional Model, Sequential, subclassed Model."""
import numpy as np
import pytest

import lamina as tf
from lamina import keras
from lamina.keras import layers
from _keras_session import fresh_keras_session  # noqa: F401  (autouse fixture)


def test_input_and_keras_tensor():
    x = keras.Input(shape=(4,), name="x", dtype="float64")
    assert x.shape.as_list() == [None, 4] and x.dtype == tf.float64 and x.ndim == 2
    assert "KerasTensor" in repr(x) and "'x'" in repr(x)
    assert keras.Input(shape=(3,), batch_size=8).shape.as_list() == [8, 3]
    assert keras.layers.Input(batch_shape=(2, 5)).shape.as_list() == [2, 5]
    assert keras.backend.is_keras_tensor(x) and not keras.backend.is_keras_tensor(tf.ones(1))
    with pytest.raises(ValueError, match="shape"):
        keras.Input()
    with pytest.raises(TypeError, match="symbolic KerasTensor"):
        tf.convert_to_tensor(x)
    with pytest.raises(TypeError, match="NumPy"):
        np.asarray(x)
    with pytest.raises(TypeError, match="bool"):
        bool(x)
    names = [layers.InputLayer(input_shape=(1,)).name for _ in range(2)]
    assert names[1].startswith("input_") and names[0] != names[1]


def test_ops_and_operators_trace_with_shapes():
    x = keras.Input(shape=(None, 3))
    assert tf.abs(x).shape.as_list() == [None, None, 3]
    assert tf.reduce_mean(x).shape.as_list() == []
    assert tf.reduce_sum(x, axis=1).shape.as_list() == [None, 3]
    assert tf.math.reduce_max(x, axis=-1, keepdims=True).shape.as_list() == [None, None, 1]
    assert tf.matmul(x, tf.ones((3, 5))).shape.as_list() == [None, None, 5]
    assert tf.linalg.matmul(x, tf.ones((3, 2))).shape.as_list() == [None, None, 2]
    assert tf.nn.relu(x).shape.as_list() == [None, None, 3]
    assert (1.0 - x).shape.as_list() == [None, None, 3]
    assert (x * x + 2).shape.as_list() == [None, None, 3]
    assert (x @ tf.ones((3, 4))).shape.as_list() == [None, None, 4]
    assert x[:, 0].shape.as_list() == [None, 3]
    assert (-x).shape.as_list() == [None, None, 3] and (x > 0).dtype == tf.bool
    assert tf.concat([x, x], axis=-1).shape.as_list() == [None, None, 6]
    assert tf.cast(x, tf.float64).dtype == tf.float64
    assert tf.reshape(x, (-1, 3)).shape.as_list() == [None, 3]
    assert tf.identity(x).shape.as_list() == [None, None, 3]
    assert tf.shape(x).shape.as_list() == [3] and tf.shape(x).dtype == tf.int32
    assert tf.stop_gradient(x).shape.as_list() == [None, None, 3]
    assert tf.math.abs(x)._keras_history.layer.name.startswith("tf.math.abs")
    with pytest.raises(TypeError):     # non-symbolic TypeErrors still propagate
        tf.add("a", 1)


def test_dispatch_leaves_plain_ops_alone():
    keras.Input(shape=(1,))
    a = tf.constant([1.0, 2.0])
    assert tf.add(a, a).numpy().tolist() == [2.0, 4.0]
    assert tf.reduce_sum(a, axis=0, keepdims=True).numpy().tolist() == [3.0]
    assert tf.math.abs(-a).numpy().tolist() == [1.0, 2.0]


def build_model():
    inp = keras.Input(shape=(4,), name="x")
    h = layers.Dense(3, activation="relu", name="h")(inp)
    y = tf.nn.softmax(h * 2.0 + 1.0)
    z = tf.concat([y, h], axis=-1)
    return keras.Model(inp, [z[:, :2], tf.reduce_mean(h, axis=1)], name="m")


def test_functional_model_runs_like_its_layers():
    m = build_model()
    assert m.name == "m" and m.built
    assert [l.name for l in m.layers][:2] == ["x", "h"]
    data = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    out = m(data)
    d = m.get_layer("h")
    h = np.maximum(data @ d.kernel.numpy() + d.bias.numpy(), 0)
    e = np.exp(h * 2 + 1)
    y = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(out[0].numpy(), np.concatenate([y, h], 1)[:, :2], rtol=1e-5)
    np.testing.assert_allclose(out[1].numpy(), h.mean(1), rtol=1e-5)
    assert len(m.weights) == 2 and m.trainable_weights[0] is d.kernel
    assert m.get_layer(index=1) is d
    with pytest.raises(ValueError, match="No such layer"):
        m.get_layer("nope")
    np.testing.assert_allclose(m.predict(data)[1], out[1].numpy())
    assert m.inputs[0].shape.as_list() == [None, 4] and len(m.outputs) == 2
    with pytest.raises(ValueError, match="incompatible"):
        m(np.ones((2, 5), np.float32))


def test_functional_config_roundtrip():
    m = build_model()
    conf = m.get_config()
    assert conf["name"] == "m" and conf["input_layers"] == ["x", 0, 0]
    assert [l["class_name"] for l in conf["layers"]][:2] == ["InputLayer", "Dense"]
    m2 = keras.Model.from_config(conf)
    m2.set_weights(m.get_weights())
    data = np.ones((2, 4), np.float32)
    for a, b in zip(m(data), m2(data)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_layer_reuse_and_nested_models():
    shared = layers.Dense(2)
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    m = keras.Model([a, b], shared(a) + shared(b))
    assert len(m.weights) == 2 and len(shared.inbound_nodes) == 2
    out = m([np.ones((1, 3), np.float32), np.zeros((1, 3), np.float32)])
    k, bias = shared.kernel.numpy(), shared.bias.numpy()
    np.testing.assert_allclose(out.numpy(), np.ones((1, 3)) @ k + 2 * bias, rtol=1e-6)
    i2 = keras.Input(shape=(3,))
    outer = keras.Model(i2, layers.Dense(1)(m([i2, i2])))
    assert outer(np.ones((4, 3), np.float32)).shape == (4, 1)
    assert len(outer.weights) == 4
    # tf.keras 2 reads node 0 for `output` (only input_shape / output_shape refuse a layer
    # with several inbound nodes)
    assert shared.output is shared.get_output_at(0)
    assert shared.output is not shared.get_output_at(1)
    d = layers.Dense(2)
    d(keras.Input(shape=(7,)))
    assert d.input_shape == (None, 7) and d.output_shape == (None, 2)
    with pytest.raises(AttributeError, match="not connected"):
        layers.Dense(1).input


def test_graph_disconnected_and_bad_outputs():
    x = keras.Input(shape=(2,))
    y = layers.Dense(1)(x)
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(keras.Input(shape=(2,)), y)
    with pytest.raises(ValueError, match="must come from `keras.Input`"):
        keras.Model(tf.ones((1, 2)), y)
    m = keras.Model(x, y)
    with pytest.raises(ValueError, match="cannot be traced back"):
        m.add_loss(tf.reduce_sum(keras.Input(shape=(1,))))


def test_symbolic_call_does_not_change_state_and_records_losses():
    class Counter(layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight("count", shape=(), initializer="zeros",
                                         trainable=False)

        def call(self, x):
            self.count.assign_add(1.0)
            self.add_loss(tf.reduce_sum(x))
            return x
    c = Counter()
    x = keras.Input(shape=(2,))
    m = keras.Model(x, c(x))
    assert float(c.count) == 0.0 and len(m.losses) == 1
    m(np.ones((3, 2), np.float32))
    assert float(c.count) == 1.0 and float(m.losses[0]) == 6.0


def test_model_training_flag_reaches_layers():
    seen = []

    class T(layers.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x
    x = keras.Input(shape=(1,))
    m = keras.Model(x, T()(x))
    seen.clear()
    m(np.ones((1, 1), np.float32), training=True)
    m(np.ones((1, 1), np.float32))
    assert seen == [True, None]


def test_sequential():
    seq = keras.Sequential([layers.Dense(4, input_shape=(3,), activation="tanh"),
                            layers.Dense(2)], name="seq")
    assert seq.name == "seq" and len(seq.weights) == 4 and len(seq.layers) == 2
    assert seq.inputs[0].shape.as_list() == [None, 3]
    data = np.ones((2, 3), np.float32)
    a, b = seq.layers
    want = np.tanh(data @ a.kernel.numpy() + a.bias.numpy()) @ b.kernel.numpy() + b.bias.numpy()
    np.testing.assert_allclose(seq(data).numpy(), want, rtol=1e-5)
    s2 = keras.Sequential.from_config(seq.get_config())
    s2.set_weights(seq.get_weights())
    np.testing.assert_allclose(s2(data).numpy(), want, rtol=1e-5)
    lazy = keras.Sequential()
    lazy.add(layers.Dense(2))
    with pytest.raises(ValueError, match="Weights for model .* have not yet been created"):
        lazy.weights   # tf.keras 2 (sequential_test: deferred build)
    lazy(np.ones((1, 5), np.float32))
    assert len(lazy.weights) == 2
    lazy.pop()
    assert lazy.layers == []
    with pytest.raises(TypeError, match="instance of class Layer"):
        keras.Sequential([3])
    s3 = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1, name="same")])
    with pytest.raises(ValueError, match="unique names"):
        s3.add(layers.Dense(1, name="same"))
    lines = []
    seq.summary(print_fn=lines.append)
    assert lines[0] == 'Model: "seq"' and any("Total params: 26" in l for l in lines)


def test_subclassed_model():
    class MyModel(keras.Model):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.d1 = layers.Dense(units)
            self.d2 = layers.Dense(1)

        def call(self, x, training=None):
            return self.d2(self.d1(x))
    m = MyModel(units=4)
    assert m.name == "my_model"
    assert m(np.ones((2, 3), np.float32)).shape == (2, 1)
    assert [l.name for l in m.layers] == ["dense", "dense_1"] and len(m.weights) == 4
    conf = m.get_config()           # constructor arguments as passed (tf.keras: no defaults)
    assert conf["units"] == 4 and "units" not in MyModel().get_config()
    assert MyModel.from_config(conf).units == 4
    with pytest.raises(NotImplementedError, match="call"):
        keras.Model()(tf.ones((1,)))


def test_intermediate_inputs_dict_inputs_and_node_accessors():
    from lamina.keras.engine import input_spec
    i = keras.Input((3,))
    h = layers.Dense(4)(i)
    o = layers.Dense(2)(h)
    sub = keras.Model(h, o)                      # a sub-graph from an intermediate tensor
    assert [l.name for l in sub.layers] == ["dense_1"] and len(sub.weights) == 2
    assert sub(np.ones((1, 4), np.float32)).shape == (1, 2)
    m = keras.Model({"a": i}, o)
    assert m({"a": np.ones((1, 3), np.float32)}).shape == (1, 2)
    single = keras.Model([i], [o])               # one-element lists are unwrapped
    assert isinstance(single(np.ones((1, 3), np.float32)), tf.Tensor)
    assert single.input is i and single.output is o
    d = layers.Dense(2)
    d(i)
    assert d.get_input_shape_at(0) == (None, 3) and d.get_output_shape_at(0) == (None, 2)
    assert d.apply(np.ones((1, 3), np.float32)).shape == (1, 2)
    assert input_spec.to_tensor_shape(layers.InputSpec(ndim=3, axes={1: 3, -1: 2})).as_list() \
        == [None, 3, 2]
    with pytest.raises(ValueError, match="unknown TensorShape"):
        input_spec.to_tensor_shape(layers.InputSpec(max_ndim=5)).as_list()
    with pytest.raises(TypeError, match="Argument `axes` must be a dict"):
        layers.InputSpec(shape=[1, None, 2, 3], axes={"string": 5})


def test_config_roundtrip_keeps_symbolic_losses_and_metrics():
    inputs = keras.Input(shape=(10,))
    x = layers.Dense(10)(inputs)
    model = keras.Model(inputs, layers.Dense(1)(x))
    model.add_loss(tf.abs(tf.reduce_mean(x)))
    model.add_metric(tf.reduce_sum(x), name="s")
    clone = keras.Model.from_config(model.get_config())
    assert len(clone.losses) == 1 and [m.name for m in clone.metrics] == ["s"]
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    clone.set_weights(model.get_weights())
    data = np.ones((2, 10), np.float32)
    model(data)
    clone(data)
    assert float(clone.losses[0]) == pytest.approx(float(model.losses[0]))
    assert float(clone.metrics[0].result()) == pytest.approx(float(model.metrics[0].result()))


def test_output_specs_from_compute_output_shape_and_dynamic_layers():
    from lamina.keras.engine.keras_tensor import KerasTensor

    class Stated(layers.Layer):
        def call(self, x):
            raise RuntimeError("Should never be called.")

        def compute_output_shape(self, s):
            return {"1": s, "2": {"11": s, "22": (s, s)}}
    out = Stated().compute_output_spec(KerasTensor((2, 3)))
    assert out["1"].shape == (2, 3) and isinstance(out["2"]["22"], tuple)
    assert out["2"]["22"][1].shape == (2, 3)

    class Dynamic(layers.Layer):
        def __init__(self):
            super().__init__(dynamic=True)
            self.calls = 0

        def call(self, x):
            self.calls += 1
            return x * 2

        def compute_output_shape(self, s):
            return s
    i = keras.Input((3,))
    layer = Dynamic()
    model = keras.Model(i, layer(i))
    assert model.dynamic and layer.calls == 0            # not traced: the stated shape is used
    assert model(np.ones((1, 3), np.float32)).numpy().tolist() == [[2.0, 2.0, 2.0]]

    class Invalid(layers.Layer):
        def call(self, x):
            raise ValueError("You did something wrong!")
    with pytest.raises(ValueError, match="You did something wrong!"):
        Invalid()(keras.Input((3,)))
