"""Every example of the reference page (keras-base-layer-api.md), run as written after
`import lamina as tf`, compared with what the page shows."""
import contextlib
import io
import textwrap

import numpy as np
import pytest

import lamina as tf
from _keras_session import fresh_keras_session  # noqa: F401  (autouse fixture)


def run(code, **extra):
    ns = {"tf": tf, "np": np, "Layer": tf.keras.layers.Layer}
    ns.update(extra)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(textwrap.dedent(code), ns)
    return ns, out.getvalue()


SIMPLE_DENSE_VARIABLES = '''
class SimpleDense(Layer):

    def __init__(self, units=32):
        super(SimpleDense, self).__init__()
        self.units = units

    def build(self, input_shape): # Create the state of the layer (weights)
        w_init = tf.random_normal_initializer()
        self.w = tf.Variable(
            initial_value=w_init(shape=(input_shape[-1], self.units),
                                dtype='float32'),
            trainable=True)
        b_init = tf.zeros_initializer()
        self.b = tf.Variable(
            initial_value=b_init(shape=(self.units,), dtype='float32'),
            trainable=True)

    def call(self, inputs): # Defines the computation from inputs to outputs
        return tf.matmul(inputs, self.w) + self.b

# Instantiates the layer.
linear_layer = SimpleDense(4)

# This will also call `build(input_shape)` and create the weights.
y = linear_layer(tf.ones((2, 2)))
assert len(linear_layer.weights) == 2

# These weights are trainable, so they're listed in `trainable_weights`:
assert len(linear_layer.trainable_weights) == 2
'''


def test_simple_dense_with_variables():
    ns, _ = run(SIMPLE_DENSE_VARIABLES)
    layer, y = ns["linear_layer"], ns["y"]
    w, b = layer.w.numpy(), layer.b.numpy()
    np.testing.assert_allclose(y.numpy(), np.ones((2, 2)) @ w + b, rtol=1e-6)
    assert y.shape == (2, 4) and w.shape == (2, 4) and b.shape == (4,)
    assert np.all(b == 0) and 0 < w.std() < 0.2   # random_normal_initializer: stddev 0.05
    assert layer.built and layer.weights[0] is layer.w and layer.weights[1] is layer.b


def test_simple_dense_with_add_weight():
    ns, _ = run('''
class SimpleDense(Layer):

    def __init__(self, units=32):
        super(SimpleDense, self).__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                initializer='random_normal',
                                trainable=True)
        self.b = self.add_weight(shape=(self.units,),
                                initializer='random_normal',
                                trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b
layer = SimpleDense(3)
y = layer(tf.ones((5, 2)))
''')
    layer, y = ns["layer"], ns["y"]
    assert [w.shape for w in layer.weights] == [(2, 3), (3,)]
    assert layer.trainable_weights == layer.weights and layer.non_trainable_weights == []
    np.testing.assert_allclose(y.numpy(), np.ones((5, 2)) @ layer.w.numpy() + layer.b.numpy(),
                               rtol=1e-6)
    assert ns["SimpleDense"]().units == 32


def test_compute_sum_prints_running_total():
    ns, out = run('''
class ComputeSum(Layer):

    def __init__(self, input_dim):
        super(ComputeSum, self).__init__()
        # Create a non-trainable weight.
        self.total = tf.Variable(initial_value=tf.zeros((input_dim,)),
                                trainable=False)

    def call(self, inputs):
        self.total.assign_add(tf.reduce_sum(inputs, axis=0))
        return self.total

my_sum = ComputeSum(2)
x = tf.ones((2, 2))

y = my_sum(x)
print(y.numpy()) # [2. 2.]

y = my_sum(x)
print(y.numpy()) # [4. 4.]

assert my_sum.weights == [my_sum.total]
assert my_sum.non_trainable_weights == [my_sum.total]
assert my_sum.trainable_weights == []
''')
    assert out == "[2. 2.]\n[4. 4.]\n"


GET_SET_WEIGHTS = '''
layer_a = tf.keras.layers.Dense(1,
  kernel_initializer=tf.constant_initializer(1.))
a_out = layer_a(tf.convert_to_tensor([[1., 2., 3.]]))
print(repr(layer_a.get_weights()))
layer_b = tf.keras.layers.Dense(1,
  kernel_initializer=tf.constant_initializer(2.))
b_out = layer_b(tf.convert_to_tensor([[10., 20., 30.]]))
print(repr(layer_b.get_weights()))
layer_b.set_weights(layer_a.get_weights())
print(repr(layer_b.get_weights()))
'''


def test_get_set_weights_prints_page_output():
    ns, out = run(GET_SET_WEIGHTS)
    ones = "[array([[1.],\n       [1.],\n       [1.]], dtype=float32), array([0.], dtype=float32)]"
    twos = ones.replace("1.", "2.")
    assert out == f"{ones}\n{twos}\n{ones}\n"
    np.testing.assert_allclose(ns["a_out"].numpy(), [[6.0]])
    np.testing.assert_allclose(ns["b_out"].numpy(), [[120.0]])


def test_add_loss_in_call_and_losses_property():
    ns, _ = run('''
class MyLayer(tf.keras.layers.Layer):
    def call(self, inputs):
        self.add_loss(tf.abs(tf.reduce_mean(inputs)))
        return inputs
l = MyLayer()
l(np.ones((10, 1)))
losses = l.losses
''')
    assert [float(v) for v in ns["losses"]] == [1.0]


def test_add_loss_symbolic_on_functional_model():
    ns, out = run('''
inputs = tf.keras.Input(shape=(10,))
x = tf.keras.layers.Dense(10)(inputs)
outputs = tf.keras.layers.Dense(1)(x)
model = tf.keras.Model(inputs, outputs)
# Activity regularization.
print(len(model.losses))
model.add_loss(tf.abs(tf.reduce_mean(x)))
print(len(model.losses))
''')
    assert out == "0\n1\n"
    model = ns["model"]
    data = np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32)
    model(data)
    (loss,) = model.losses
    d0 = model.layers[1]
    hidden = data @ d0.kernel.numpy() + d0.bias.numpy()
    np.testing.assert_allclose(float(loss), abs(hidden.mean()), rtol=1e-5, atol=1e-6)  # a mean near 0 cancels


def test_add_loss_callable_weight_regularization():
    ns, _ = run('''
inputs = tf.keras.Input(shape=(10,))
d = tf.keras.layers.Dense(10, kernel_initializer='ones')
x = d(inputs)
outputs = tf.keras.layers.Dense(1)(x)
model = tf.keras.Model(inputs, outputs)
# Weight regularization.
model.add_loss(lambda: tf.reduce_mean(d.kernel))
losses = model.losses
''')
    (loss,) = ns["losses"]
    assert isinstance(loss, tf.Tensor) and loss.shape == () and loss.dtype == tf.float32
    assert float(loss) == 1.0


def test_add_metric_in_call():
    ns, _ = run('''
class MyMetricLayer(tf.keras.layers.Layer):
    def __init__(self):
        super(MyMetricLayer, self).__init__(name='my_metric_layer')
        self.mean = tf.keras.metrics.Mean(name='metric_1')

    def call(self, inputs):
        self.add_metric(self.mean(inputs))
        self.add_metric(tf.reduce_sum(inputs), name='metric_2')
        return inputs
layer = MyMetricLayer()
layer(tf.ones((2, 3)))
layer(tf.constant([[3.0, 3.0, 3.0]]))
''')
    layer = ns["layer"]
    assert layer.name == "my_metric_layer"
    assert [m.name for m in layer.metrics] == ["metric_1", "metric_2"]
    assert float(layer.metrics[0].result()) == pytest.approx(15.0 / 9.0)
    assert float(layer.metrics[1].result()) == pytest.approx((6.0 + 9.0) / 2)
    assert layer.weights == []     # metric variables are not layer weights


def test_add_metric_symbolic_on_functional_model():
    ns, _ = run('''
inputs = tf.keras.Input(shape=(10,))
x = tf.keras.layers.Dense(10)(inputs)
outputs = tf.keras.layers.Dense(1)(x)
model = tf.keras.Model(inputs, outputs)
model.add_metric(math_ops.reduce_sum(x), name='metric_1')
''', math_ops=tf.math)
    model = ns["model"]
    assert [m.name for m in model.metrics] == ["metric_1"]
    model(np.ones((2, 10), np.float32))
    d = model.layers[1]
    expect = (np.ones((2, 10)) @ d.kernel.numpy() + d.bias.numpy()).sum()
    assert float(model.metrics[0].result()) == pytest.approx(expect, rel=1e-5)


def test_add_metric_with_metric_result_on_functional_model_is_refused():
    with pytest.raises(ValueError, match="not supported"):
        run('''
inputs = tf.keras.Input(shape=(10,))
x = tf.keras.layers.Dense(10)(inputs)
outputs = tf.keras.layers.Dense(1)(x)
model = tf.keras.Model(inputs, outputs)
model.add_metric(tf.keras.metrics.Mean()(x), name='metric_1')
''')


def test_metrics_property_example():
    _, out = run('''
input = tf.keras.layers.Input(shape=(3,))
d = tf.keras.layers.Dense(2)
output = d(input)
d.add_metric(tf.reduce_max(output), name='max')
d.add_metric(tf.reduce_min(output), name='min')
print([m.name for m in d.metrics])
''')
    assert out == "['max', 'min']\n"


def test_dynamic_property():
    assert tf.keras.layers.Layer().dynamic is False
    assert tf.keras.layers.Layer(dynamic=True).dynamic is True
