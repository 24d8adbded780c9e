"""initializers, regularizers, constraints, activations, losses, optimizers, backend."""
import numpy as np
import pytest

import lamina as tf
from lamina import keras
from lamina.keras import initializers, regularizers, constraints, activations
from _keras_session import fresh_keras_session  # noqa: F401  (autouse fixture)


@pytest.mark.parametrize("name,cls", [
    ("random_normal", initializers.RandomNormal), ("random_uniform", initializers.RandomUniform),
    ("truncated_normal", initializers.TruncatedNormal),
    ("glorot_uniform", initializers.GlorotUniform), ("glorot_normal", initializers.GlorotNormal),
    ("he_normal", initializers.HeNormal), ("he_uniform", initializers.HeUniform),
    ("lecun_normal", initializers.LecunNormal), ("lecun_uniform", initializers.LecunUniform),
    ("zeros", initializers.Zeros), ("ones", initializers.Ones), ("constant", initializers.Constant),
    ("identity", initializers.Identity), ("orthogonal", initializers.Orthogonal)])
def test_initializer_by_name_object_and_config(name, cls):
    init = initializers.get(name)
    assert isinstance(init, cls)
    assert getattr(initializers, name) is cls
    t = init((64, 32), dtype="float32")
    assert t.shape == (64, 32) and t.dtype == tf.float32
    clone = initializers.deserialize(initializers.serialize(init))
    assert type(clone) is cls and clone.get_config() == init.get_config()
    assert init((4, 4), dtype=tf.float64).dtype == tf.float64


def test_initializer_statistics():
    n = (200, 300)
    a = initializers.RandomNormal(mean=1.0, stddev=0.5)(n).numpy()
    assert abs(a.mean() - 1.0) < 0.02 and abs(a.std() - 0.5) < 0.02
    a = initializers.RandomUniform(-2.0, 2.0)(n).numpy()
    assert a.min() >= -2 and a.max() <= 2 and abs(a.std() - 4 / np.sqrt(12)) < 0.03
    a = initializers.TruncatedNormal(stddev=1.0)(n).numpy()
    assert np.abs(a).max() <= 2.0
    a = initializers.GlorotUniform()(n).numpy()
    limit = np.sqrt(6 / (200 + 300))
    assert np.abs(a).max() <= limit and a.std() > limit / 2
    a = initializers.HeNormal()(n).numpy()
    assert abs(a.std() - np.sqrt(2 / 200)) < 0.01
    a = initializers.LecunUniform()(n).numpy()
    assert np.abs(a).max() <= np.sqrt(3 / 200)
    assert initializers.Constant(3.0)((2,)).numpy().tolist() == [3.0, 3.0]
    assert initializers.Constant([1, 2])((2,)).numpy().tolist() == [1.0, 2.0]
    assert initializers.Identity(gain=2.0)((2, 3)).numpy().tolist() == [[2, 0, 0], [0, 2, 0]]
    q = initializers.Orthogonal(seed=1)((5, 3)).numpy()
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-5)
    s1 = initializers.GlorotNormal(seed=3)((3, 3)).numpy()
    assert np.array_equal(s1, initializers.GlorotNormal(seed=3)((3, 3)).numpy())
    assert not np.array_equal(initializers.GlorotNormal()((3, 3)).numpy(),
                              initializers.GlorotNormal()((3, 3)).numpy())
    assert initializers.Zeros()((2,), dtype="int32").dtype == tf.int32
    assert tf.constant_initializer(1.)((1,)).numpy().tolist() == [1.0]
    assert tf.zeros_initializer()((2,)).numpy().tolist() == [0.0, 0.0]
    assert tf.random_normal_initializer(stddev=0.0)((2,)).numpy().tolist() == [0.0, 0.0]


def test_initializer_errors():
    with pytest.raises(ValueError, match="Identity matrix initializer can only be used for 2D"):
        initializers.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((3,))
    with pytest.raises(ValueError, match="floating point"):
        initializers.GlorotUniform()((2,), dtype="int32")
    with pytest.raises(ValueError, match="Unknown initializer"):
        initializers.get("nope")
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=-1)
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan_x")
    with pytest.raises(ValueError, match="unknown"):
        initializers.Ones()((None, 2))
    assert initializers.get(None) is None
    fn = lambda shape, dtype=None: tf.ones(shape)   # noqa: E731
    assert initializers.get(fn) is fn


def test_regularizers():
    x = tf.constant([[1.0, -2.0], [3.0, -4.0]])
    assert float(regularizers.l1(0.1)(x)) == pytest.approx(1.0)
    assert float(regularizers.L2(0.5)(x)) == pytest.approx(15.0)
    assert float(regularizers.l1_l2(l1=0.1, l2=0.5)(x)) == pytest.approx(16.0)
    assert float(regularizers.L1L2()(x)) == 0.0
    assert float(regularizers.get("l2")(x)) == pytest.approx(0.3)
    r = regularizers.deserialize(regularizers.serialize(regularizers.L1L2(l1=0.2, l2=0.3)))
    assert r.get_config() == {"l1": pytest.approx(0.2), "l2": pytest.approx(0.3)}
    with pytest.raises(ValueError, match="not a valid regularization penalty"):
        regularizers.L2(-1.0)
    with pytest.raises(ValueError, match="Unknown regularizer"):
        regularizers.get("l3")


def test_constraints():
    w = tf.constant([[3.0, -1.0], [4.0, 1.0]])
    assert constraints.NonNeg()(w).numpy().tolist() == [[3.0, 0.0], [4.0, 1.0]]
    np.testing.assert_allclose(np.linalg.norm(constraints.UnitNorm()(w).numpy(), axis=0), 1,
                               rtol=1e-5)
    m = constraints.MaxNorm(2.0)(w).numpy()
    np.testing.assert_allclose(np.linalg.norm(m, axis=0), [2.0, np.sqrt(2)], rtol=1e-5)
    mm = constraints.MinMaxNorm(1.5, 2.0)(w).numpy()
    np.testing.assert_allclose(np.linalg.norm(mm, axis=0), [2.0, 1.5], rtol=1e-5)
    for name, cls in [("non_neg", constraints.NonNeg), ("max_norm", constraints.MaxNorm),
                      ("min_max_norm", constraints.MinMaxNorm), ("unit_norm", constraints.UnitNorm)]:
        c = constraints.get(name)
        assert isinstance(c, cls)
        assert type(constraints.deserialize(constraints.serialize(c))) is cls


def test_activations():
    x = tf.constant([-2.0, 0.0, 3.0])
    a = x.numpy()
    np.testing.assert_allclose(activations.relu(x).numpy(), np.maximum(a, 0))
    np.testing.assert_allclose(activations.relu(x, alpha=0.1).numpy(), [-0.2, 0, 3], rtol=1e-6)
    np.testing.assert_allclose(activations.relu(x, max_value=1.0).numpy(), [0, 0, 1])
    np.testing.assert_allclose(activations.sigmoid(x).numpy(), 1 / (1 + np.exp(-a)), rtol=1e-6)
    np.testing.assert_allclose(activations.tanh(x).numpy(), np.tanh(a), rtol=1e-6)
    np.testing.assert_allclose(activations.elu(x).numpy(), [np.exp(-2) - 1, 0, 3], rtol=1e-6)
    np.testing.assert_allclose(activations.softsign(x).numpy(), a / (1 + np.abs(a)), rtol=1e-6)
    np.testing.assert_allclose(activations.swish(x).numpy(), a / (1 + np.exp(-a)), rtol=1e-6)
    np.testing.assert_allclose(activations.exponential(x).numpy(), np.exp(a), rtol=1e-6)
    sm = activations.softmax(tf.constant([[1.0, 2.0]])).numpy()
    np.testing.assert_allclose(sm.sum(), 1.0, rtol=1e-6)
    assert activations.get(None) is activations.linear and activations.get("relu") is activations.relu
    assert activations.serialize(activations.gelu) == "gelu"
    with pytest.raises(ValueError, match="Unknown activation"):
        activations.get("nope")
    with pytest.raises(ValueError, match="1D or less"):
        activations.softmax(tf.constant(1.0))


def test_losses_and_sgd():
    y, p = tf.constant([[0.0, 1.0]]), tf.constant([[0.5, 0.5]])
    assert float(keras.losses.MeanSquaredError()(y, p)) == pytest.approx(0.25)
    assert float(keras.losses.CategoricalCrossentropy()(y, p)) == pytest.approx(np.log(2), rel=1e-5)
    logits = tf.constant([[2.0, 0.0], [0.0, 2.0]])
    got = keras.losses.SparseCategoricalCrossentropy(from_logits=True)([0, 1], logits)
    assert float(got) == pytest.approx(np.log(1 + np.exp(-2.0)), rel=1e-5)
    v = tf.Variable([1.0, 2.0])
    opt = keras.optimizers.SGD(learning_rate=0.1)
    opt.apply_gradients([(tf.constant([1.0, 1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [0.9, 1.9], rtol=1e-6)
    mom = keras.optimizers.SGD(0.1, momentum=0.9)
    w = tf.Variable([0.0])
    mom.apply_gradients([(tf.constant([1.0]), w)])
    mom.apply_gradients([(tf.constant([1.0]), w)])
    np.testing.assert_allclose(w.numpy(), [-0.1 - 0.19], rtol=1e-6)
    c = tf.Variable([-1.0], constraint=keras.constraints.NonNeg())
    opt.apply_gradients([(tf.constant([1.0]), c)])
    assert c.numpy().tolist() == [0.0]
    with pytest.raises(ValueError, match="momentum"):
        keras.optimizers.SGD(momentum=2.0)
    x = tf.Variable(3.0)
    opt.minimize(lambda: x * x, [x])
    assert float(x) == pytest.approx(3.0 - 0.1 * 6.0)


def test_backend():
    assert keras.backend.floatx() == "float32" and keras.backend.epsilon() == 1e-7
    keras.backend.set_floatx("float64")
    try:
        assert keras.layers.Dense(1).dtype == "float64"
    finally:
        keras.backend.set_floatx("float32")
    with pytest.raises(ValueError, match="floatx"):
        keras.backend.set_floatx("int8")
    assert keras.backend.get_uid("x") == 1 and keras.backend.get_uid("x") == 2
