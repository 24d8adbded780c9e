"""The composite nn / math functions (activations, losses, logsumexp, moments) against NumPy, and
their gradients (which come from the recorded ops they are built of) against finite differences."""
import numpy as np
import pytest
from math import erf as _erf

import lamina as tf
from test_tape_grad import check

erf = np.vectorize(_erf)


def sig(x):
    return 1 / (1 + np.exp(-x))


def np_logsoftmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


ACTS = {
    "relu6": (tf.nn.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    "selu": (tf.nn.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))),
    "gelu": (tf.nn.gelu, lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2)))),
    "gelu_tanh": (lambda x: tf.nn.gelu(x, approximate=True),
                  lambda x: 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))),
    "silu": (tf.nn.silu, lambda x: x * sig(x)),
    "swish": (tf.nn.swish, lambda x: x * sig(x)),
    "softsign": (tf.nn.softsign, lambda x: x / (1 + np.abs(x))),
    "log_sigmoid": (tf.math.log_sigmoid, lambda x: -np.logaddexp(0, -x)),
}


@pytest.mark.parametrize("name", sorted(ACTS))
def test_activations(name):
    f, ref = ACTS[name]
    rng = np.random.default_rng(0)
    x = rng.uniform(-8, 8, size=(3, 5))
    x[np.abs(x) < 0.1] = 0.5  # away from kinks
    x[np.abs(x - 6) < 0.1] = 5.5
    for dt in (np.float32, np.float64):
        np.testing.assert_allclose(f(tf.constant(x.astype(dt))), ref(x), rtol=2e-6 if dt == np.float32 else 1e-12, atol=1e-6)
    check(f, x)


def test_log_sigmoid_is_stable():
    np.testing.assert_allclose(tf.math.log_sigmoid(tf.constant([-200.0, 200.0])), [-200.0, 0.0])


def test_softmax_cross_entropy_with_logits():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((4, 5)) * 3
    labels = rng.dirichlet(np.ones(5), size=4)
    got = tf.nn.softmax_cross_entropy_with_logits(labels, logits)
    np.testing.assert_allclose(got, -(labels * np_logsoftmax(logits)).sum(-1), rtol=1e-12)
    check(lambda z: tf.nn.softmax_cross_entropy_with_logits(labels, z), logits)
    with pytest.raises(ValueError, match=r"labels of shape \(4, 4\).*\(4, 5\)"):
        tf.nn.softmax_cross_entropy_with_logits(labels[:, :4], logits)


def test_sparse_softmax_cross_entropy_with_logits():
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    got = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    np.testing.assert_allclose(got, -np_logsoftmax(logits)[np.arange(6), labels], rtol=1e-12)
    check(lambda z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels, z), logits)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 4\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([0, 4, 1, 1, 1, 1], logits)
    with pytest.raises(TypeError, match="int32 or int64 class indices"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels.astype(np.float64), logits)


def test_sigmoid_cross_entropy_with_logits():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4)) * 5
    z = rng.random((3, 4))
    ref = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x), ref, rtol=1e-12)
    check(lambda t: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=t), x + 0.05)


def test_l2_loss_and_bias_add():
    x = np.arange(6.0).reshape(2, 3)
    assert float(tf.nn.l2_loss(tf.constant(x))) == (x ** 2).sum() / 2
    np.testing.assert_array_equal(tf.nn.bias_add(tf.constant(x), tf.constant([1.0, 2.0, 3.0], tf.float64)), x + [1, 2, 3])
    x4 = np.zeros((1, 2, 3, 3))
    np.testing.assert_array_equal(tf.nn.bias_add(tf.constant(x4), tf.constant([1.0, 2.0], tf.float64), data_format="NCHW"),
                                  x4 + np.array([1.0, 2.0])[:, None, None])
    with pytest.raises(ValueError, match="bias must be 1-D"):
        tf.nn.bias_add(tf.constant(x), tf.constant(x))


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), (-1, False), ([0, 1], True)])
def test_reduce_logsumexp(axis, keepdims):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4)) * 50
    ax = tuple(axis) if isinstance(axis, list) else axis
    m = x.max(axis=ax, keepdims=True)
    ref = np.log(np.exp(x - m).sum(axis=ax, keepdims=True)) + m
    if not keepdims:
        ref = ref.squeeze(axis=ax) if ax is not None else ref.reshape(())
    np.testing.assert_allclose(tf.math.reduce_logsumexp(tf.constant(x), axis=axis, keepdims=keepdims), ref, rtol=1e-12)
    check(lambda t: tf.math.reduce_logsumexp(t, axis=axis, keepdims=keepdims), x / 50)


def test_reduce_logsumexp_of_infinities():
    got = tf.math.reduce_logsumexp(tf.constant([[-np.inf, -np.inf], [np.inf, 1.0]]), axis=1).numpy()
    assert got[0] == -np.inf and got[1] == np.inf


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_moments_and_norm(axis):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4))
    np.testing.assert_allclose(tf.math.reduce_variance(tf.constant(x), axis=axis), x.var(axis=axis), rtol=1e-12)
    np.testing.assert_allclose(tf.math.reduce_std(tf.constant(x), axis=axis), x.std(axis=axis), rtol=1e-12)
    np.testing.assert_allclose(tf.math.reduce_euclidean_norm(tf.constant(x), axis=axis),
                               np.sqrt((x ** 2).sum(axis=axis)), rtol=1e-12)
    check(lambda t: tf.math.reduce_variance(t, axis=axis), x)
    check(lambda t: tf.math.reduce_std(t, axis=axis), x)
    with pytest.raises(TypeError, match="float tensor"):
        tf.math.reduce_variance(tf.constant([1, 2]))


def test_is_finite_nan_inf_and_squared_difference():
    x = tf.constant([1.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(tf.math.is_finite(x), [True, False, False, False])
    np.testing.assert_array_equal(tf.math.is_inf(x), [False, True, True, False])
    np.testing.assert_array_equal(tf.math.is_nan(x), [False, False, False, True])
    np.testing.assert_array_equal(tf.math.squared_difference(tf.constant([1.0, 5.0]), 2.0), [1.0, 9.0])


def test_activations_reject_integer_input():
    with pytest.raises(TypeError, match="gelu: features must be a float tensor, got int32"):
        tf.nn.gelu(tf.constant([1, 2]))
