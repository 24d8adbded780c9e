"""The tape with lamina.Variable: trainable variables read in a tape are watched, non-trainable
ones are not, and gradients come back per variable."""
import numpy as np
import pytest

import lamina as tf


def test_trainable_variables_are_watched_when_read():
    w = tf.Variable([1.0, 2.0])
    frozen = tf.Variable(3.0, trainable=False)
    with tf.GradientTape() as t:
        y = tf.reduce_sum(w * w) * frozen
    gw, gf = t.gradient(y, [w, frozen])
    np.testing.assert_allclose(gw, [6.0, 12.0])
    assert gf is None
    assert t.watched_variables() == (w,)


def test_watched_variables_in_order_of_creation():
    a, b, c = tf.Variable(1.0), tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = c * b + a * c
    assert t.watched_variables() == (a, b, c)  # tf: in order of creation


def test_watch_accessed_variables_false_and_explicit_watch():
    w = tf.Variable(2.0)
    frozen = tf.Variable(5.0, trainable=False)
    with tf.GradientTape(watch_accessed_variables=False) as t:
        y = w * w
    assert t.gradient(y, w) is None
    with tf.GradientTape(watch_accessed_variables=False) as t:
        t.watch(frozen)
        y = w * frozen * frozen
    assert float(t.gradient(y, frozen)) == 20.0
    assert t.watched_variables() == (frozen,)


def test_a_variable_unused_by_the_target_is_unconnected():
    w, v = tf.Variable([1.0]), tf.Variable([[2.0]])
    with tf.GradientTape() as t:
        y = w * 3.0
    g = t.gradient(y, {"w": w, "v": v}, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert float(g["w"][0]) == 3.0
    assert tuple(g["v"].shape) == (1, 1) and float(g["v"][0, 0]) == 0.0


def test_variables_in_every_op_and_matmul():
    rng = np.random.default_rng(0)
    wv, xv = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    w = tf.Variable(wv)
    x = tf.constant(xv)
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.tanh(tf.matmul(x, w)))
    np.testing.assert_allclose(t.gradient(y, w), xv.T @ (1 - np.tanh(xv @ wv) ** 2), rtol=1e-12)


def test_sgd_with_assign_sub_fits_a_line():
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((64, 1)).astype(np.float32)
    yv = 3.0 * xv - 1.0
    x, y = tf.constant(xv), tf.constant(yv)
    w, b = tf.Variable([[0.0]]), tf.Variable([0.0])
    for _ in range(200):
        with tf.GradientTape() as t:
            loss = tf.reduce_mean(tf.square(x @ w + b - y))
        gw, gb = t.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
    assert abs(float(w[0, 0]) - 3.0) < 1e-3 and abs(float(b[0]) + 1.0) < 1e-3


def test_assign_inside_a_tape_keeps_earlier_reads():
    w = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = w * w           # reads 2.0
        w.assign(10.0)
        z = y + w           # reads 10.0
    # both reads are watched; gradients of the two add up (2*2 + 1)
    assert float(t.gradient(z, w)) == 5.0
    assert float(y) == 4.0


def test_nested_tapes_with_a_variable():
    w = tf.Variable(3.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = w * w * w
        g = inner.gradient(y, w)
    assert float(g) == 27.0
    assert float(outer.gradient(g, w)) == 18.0
