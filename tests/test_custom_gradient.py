"""lamina.custom_gradient (tf.custom_gradient): gradients given by a Python function, with
tapes, variables, several inputs and outputs, nesting and higher derivatives."""
import numpy as np
import pytest

import lamina as tf


@tf.custom_gradient
def log1pexp(x):
    e = tf.exp(x)

    def grad(upstream):
        return upstream * (1 - 1 / (1 + e))
    return tf.math.log(1 + e), grad


def test_the_numerically_stable_log1pexp_of_tf_docs():
    x = tf.constant(100.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = log1pexp(x)
    assert float(t.gradient(y, x)) == 1.0  # the naive formula gives nan here


def test_grad_fn_replaces_the_recorded_ops():
    @tf.custom_gradient
    def f(x):
        def grad(dy):
            return 4 * dy
        return x * x, grad

    c = tf.constant(1.0)
    with tf.GradientTape() as t:
        t.watch(c)
        g = f(c)
        assert t._tape.num_nodes == 0  # the body is not recorded
    assert float(t.gradient(g, c)) == 4.0


def test_custom_gradient_inside_a_computation_and_several_inputs():
    @tf.custom_gradient
    def my_mul(x, y):
        def grad(dr):
            return [dr * y, dr * x]
        return x * y, grad

    x, y = tf.constant([1.0, 2.0]), tf.constant([3.0, 5.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, y])
        z = tf.reduce_sum(tf.exp(my_mul(x * 2.0, y)) * 0.5)
    gx, gy = t.gradient(z, [x, y])
    e = np.exp(np.array([1.0, 2.0]) * 2 * np.array([3.0, 5.0]))
    np.testing.assert_allclose(gx, 0.5 * e * 2 * np.array([3.0, 5.0]), rtol=1e-6)
    np.testing.assert_allclose(gy, 0.5 * e * 2 * np.array([1.0, 2.0]), rtol=1e-6)


def test_identity_with_a_doubled_gradient_and_none_for_an_input():
    @tf.custom_gradient
    def f(x, k):
        def grad(dy):
            return 2 * dy, None
        return tf.identity(x), grad

    x, k = tf.constant(1.0), tf.constant(7.0)
    with tf.GradientTape() as t:
        t.watch([x, k])
        y = f(x, k)
    gx, gk = t.gradient(y, [x, k])
    assert float(gx) == 2.0 and gk is None


def test_two_custom_nodes_in_a_chain():
    @tf.custom_gradient
    def triple_grad(x):
        return x * 1.0, lambda dy: 3 * dy

    x = tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = triple_grad(triple_grad(x) * x)  # d/dx (x * x) with the 3s: 3 * (3x + x)
    assert float(t.gradient(y, x)) == 3 * (3 * 2.0 + 2.0)


def test_multiple_outputs():
    @tf.custom_gradient
    def split(x):
        def grad(da, db):
            return da + 10 * db
        return [x * 1.0, x * 1.0], grad

    x = tf.constant(1.0)
    with tf.GradientTape() as t:
        t.watch(x)
        a, b = split(x)
        y = a + b * 2.0
    assert float(t.gradient(y, x)) == 21.0


def test_variables_read_in_the_body():
    v = tf.Variable(2.0)

    @tf.custom_gradient
    def scale(x):
        def grad(dy, variables=None):
            return [dy * v], [dy * x * 100.0]
        return x * v, grad

    x = tf.constant(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = scale(x)
    gx, gv = t.gradient(y, [x, v])
    assert (float(gx), float(gv)) == (2.0, 300.0)
    assert v in t.watched_variables()

    @tf.custom_gradient
    def bad(x):
        return x * v, lambda dy: dy

    with pytest.raises(TypeError, match="must accept a keyword argument 'variables'"):
        with tf.GradientTape():
            bad(x)


def test_training_with_custom_gradient_and_assign_sub():
    @tf.custom_gradient
    def my_mul(x, y):
        return x * y, lambda dr: [dr * y, dr * x]

    x = tf.Variable(2.0)
    losses = []
    for _ in range(5):
        with tf.GradientTape() as t:
            loss = my_mul(2.0, x.read_value())
        losses.append(float(loss))
        x.assign_sub(0.25 * t.gradient(loss, x))
    assert losses == [4.0, 3.0, 2.0, 1.0, 0.0]


def test_second_order_through_a_custom_gradient():
    @tf.custom_gradient
    def cube(x):
        def grad(dy):
            return dy * 3.0 * x * x  # ops on x: recorded by an outer tape
        return x * x * x, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = cube(x)
        g = inner.gradient(y, x)
    assert float(g) == 12.0
    assert float(outer.gradient(g, x)) == 12.0


def test_without_a_tape_it_just_computes():
    assert float(log1pexp(tf.constant(0.0))) == pytest.approx(np.log(2.0))


def test_bad_grad_fn_results_are_value_errors():
    @tf.custom_gradient
    def wrong_count(x):
        return x * 1.0, lambda dy: [dy, dy]

    @tf.custom_gradient
    def wrong_shape(x):
        return x * 1.0, lambda dy: tf.constant([1.0, 2.0, 3.0])

    x = tf.constant([1.0, 2.0])
    for f, msg in ((wrong_count, "returned 2 gradients for 1 inputs"),
                   (wrong_shape, r"shape \(3,\).*shape \(2,\)")):
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        with pytest.raises(ValueError, match=msg):
            t.gradient(y, x)


def test_jacobian_through_a_custom_gradient():
    @tf.custom_gradient
    def sq(x):
        return x * x, lambda dy: dy * 2.0 * x

    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = sq(x)
    np.testing.assert_allclose(t.jacobian(y, x), np.diag([2.0, 4.0, 6.0]))
