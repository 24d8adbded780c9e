"""tf.GradientTape behaviours as TensorFlow's own eager tests state them (our own tests, written
after reading tensorflow/python/eager/backprop_test.py), run after `import lamina as tf`."""
import numpy as np
import pytest

import lamina as tf


def test_no_op_behaviour_is_consistent():
    x = tf.constant(10.0)
    x1, x2, x3, x4 = tf.identity(x), tf.add(x, 0.0), tf.subtract(x, 0.0), tf.multiply(x, 1.0)
    with tf.GradientTape() as t:
        for v in (x, x1, x2, x3, x4):
            t.watch(v)
        loss = x * 2.0 + x1 * 3.0 + x2 * 3.0 + x3 * 3.0 + x4 * 3.0
    np.testing.assert_allclose(t.gradient(loss, [x, x1, x2, x3, x4]), [2.0, 3.0, 3.0, 3.0, 3.0])


def test_where_gradient_picks_the_branch():
    for v, want in ((5.0, 1.0), (50.0, 100.0)):
        x = tf.constant(v)
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.where(x < 10.0, x, x * x)
        assert float(t.gradient(y, x)) == want


def test_output_gradients_as_python_numbers_with_a_target_that_is_a_source():
    x, y = tf.constant(3.0), tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch([x, y])
        loss = x * y
    (dx,) = t.gradient([loss, x], [x], output_gradients=[1.0, 2.0])
    assert float(dx) == 4.0


def test_no_op_targets():
    x, y = tf.constant(3.0), tf.constant(5.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, y])
        z = y * y
    assert float(t.gradient(x, x)) == 1.0
    assert float(t.gradient([x, x], x)) == 2.0
    np.testing.assert_allclose(t.gradient([x, y, z], [x, y]), [1.0, 11.0])
    a = tf.constant(2.0, shape=[2, 2])
    with tf.GradientTape() as t:
        t.watch(a)
    np.testing.assert_array_equal(t.gradient([a, a], [a])[0], np.full((2, 2), 2.0))


def test_variable_read_is_identity():
    v = tf.Variable(1.0)
    with tf.GradientTape() as t:
        y = v.read_value()
    assert float(t.gradient(y, v)) == 1.0


def test_stop_recording_with_a_variable_created_inside():
    with tf.GradientTape(persistent=True) as t:
        x = tf.Variable(1.0)
        x2 = x * 2.0
        with t.stop_recording():
            y = x2 * x2
        z = x2 * x2
    assert t.gradient(y, x2) is None
    assert float(t.gradient(z, x2)) == 4.0


def test_reset_then_record_again():
    with tf.GradientTape() as t:
        v = tf.Variable(1.0)
        loss = v * v
        t.reset()
        loss += v * v
    assert float(t.gradient(loss, v)) == 2.0


def test_python_max_of_variables():
    xs = [tf.Variable(2.0), tf.Variable(3.0), tf.Variable(5.0)]
    with tf.GradientTape() as t:
        f = max(xs)
    grads = t.gradient(f, xs)
    assert grads[0] is None and grads[1] is None and float(grads[2]) == 1.0


def test_watched_variables_follow_reset_and_watch():
    with tf.GradientTape() as t:
        assert len(t.watched_variables()) == 0
        v = tf.Variable(1.0)
        loss = v * v
        assert list(t.watched_variables()) == [v]
        t.reset()
        assert len(t.watched_variables()) == 0
        loss += v * v
        assert list(t.watched_variables()) == [v]
    with tf.GradientTape() as t:
        w = tf.Variable(1.0)
        t.watch(w)
        assert list(t.watched_variables()) == [w]


def test_softmax_cross_entropy_gradient_and_second_gradient():
    logits, labels = tf.constant([[0.0, 0.0]]), tf.constant([[1.0, 0.0]])
    with tf.GradientTape() as t:
        t.watch(logits)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    np.testing.assert_allclose(t.gradient(loss, logits), [[-0.5, 0.5]])
    f = tf.constant([[0.1]])
    with tf.GradientTape() as outer:
        outer.watch(f)
        with tf.GradientTape() as inner:
            inner.watch(f)
            y = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=tf.constant([[0.0]]), logits=f))
        g = tf.reduce_sum(inner.gradient(y, f))
    np.testing.assert_allclose(outer.gradient(g, f), [[0.0]])


@pytest.mark.parametrize("persistent", [False, True])
def test_gradient_inside_the_tape_block(persistent):
    v = tf.Variable(1.0)
    with tf.GradientTape(persistent=persistent) as t:
        loss = 2 * v
        grad = t.gradient(loss, v)
    assert float(grad) == 2.0


def test_nested_self_context_is_a_value_error():
    with tf.GradientTape() as t:
        with pytest.raises(ValueError):
            with t:
                pass


def test_watching_is_tape_local():
    x1, x2 = tf.Variable(2.0, trainable=False), tf.Variable(2.0, trainable=False)
    with tf.GradientTape() as tape1:
        with tf.GradientTape() as tape2:
            tape1.watch(x1)
            tape2.watch([x1, x2])
            y = x1 ** 3
            z = x2 ** 2
            dy, dz = tape2.gradient([y, z], [x1, x2])
        d2y, d2z = tape1.gradient([dy, dz], [x1, x2])
    assert float(d2y) == 12.0 and d2z is None


def test_grad_grad_of_square_and_exp():
    x = tf.constant(3.0)
    with tf.GradientTape() as o:
        o.watch(x)
        with tf.GradientTape() as i:
            i.watch(x)
            y = x * x
        g = i.gradient(y, x)
    assert float(o.gradient(g, x)) == 2.0
    x = tf.constant(0.0)
    with tf.GradientTape() as o:
        o.watch(x)
        with tf.GradientTape() as i:
            i.watch(x)
            y = tf.exp(x)
        g = i.gradient(y, x)
    assert float(o.gradient(g, x)) == 1.0


def test_argmax_has_no_gradient():
    x = tf.constant([0.0])
    with tf.GradientTape() as t:
        t.watch(x)
        i = tf.stop_gradient(tf.argmax(x))
    assert t.gradient(i, x) is None


def test_re_entering_a_tape_continues_recording():
    g = tf.GradientTape()
    with g:
        x = tf.constant(3.0)
        g.watch(x)
        y = 2 * x
    with g:
        z = 2 * y
    assert [float(v) for v in g.gradient(target=z, sources=[x])] == [4.0]


def test_repeated_sources():
    with tf.GradientTape() as g:
        x = tf.constant(3.0)
        g.watch(x)
        y = 2 * x
    assert [float(v) for v in g.gradient(target=y, sources=[x, x])] == [2.0, 2.0]
    with tf.GradientTape(persistent=True) as g:
        x, y = tf.constant(3.0), tf.constant(5.0)
        g.watch(x)
        g.watch(y)
        z = x * x + x * y
    assert [float(v) for v in g.gradient(target=z, sources=[x, x])] == [11.0, 11.0]
    assert [float(v) for v in g.gradient(target=z, sources=[y, x])] == [3.0, 11.0]


def test_structure_of_sources():
    with tf.GradientTape(persistent=True) as g:
        x1, x2, x3 = tf.constant(3.0), tf.constant(3.1), tf.constant(3.2)
        g.watch(x1)
        g.watch(x2)
        g.watch(x3)
        y = x1 + 2 * x2 + 3 * x3

    def ev(s):
        if isinstance(s, (list, tuple)):
            return type(s)(ev(v) for v in s)
        if isinstance(s, dict):
            return {k: ev(v) for k, v in s.items()}
        return float(s)
    assert ev(g.gradient(y, x1)) == 1.0
    assert ev(g.gradient(y, (x1,))) == (1.0,)
    assert ev(g.gradient(y, [(x1, x2), (x2, x3)])) == [(1.0, 2.0), (2.0, 3.0)]
    assert ev(g.gradient(y, (x1, x2, [x1, x3]))) == (1.0, 2.0, [1.0, 3.0])
    assert ev(g.gradient(y, [x1, {"x2": x2, "x3": x3}])) == [1.0, {"x2": 2.0, "x3": 3.0}]


def test_inner_gradient_is_a_constant_for_the_outer_tape():
    with tf.GradientTape() as g:
        x = tf.constant(3.0)
        g.watch(x)
        y = x * x
        with tf.GradientTape() as gg:
            gg.watch(y)
            z = 2 * y
        inner = gg.gradient(z, [y])[0]
        assert float(inner) == 2.0
        y += inner
    assert float(g.gradient(y, [x])[0]) == 6.0


def test_constant_target_gives_none():
    with tf.GradientTape() as g:
        x = tf.Variable([3.0])
        y = tf.Variable([2.0])
    assert g.gradient(x, y) is None


def test_second_call_message():
    with tf.GradientTape() as g:
        x = tf.constant(3.0)
        g.watch(x)
        y = x * x
        z = y * y
    g.gradient(z, [x])
    with pytest.raises(RuntimeError, match="GradientTape.gradient can only be called once"):
        g.gradient(y, [x])


def test_higher_order_on_one_persistent_tape():
    with tf.GradientTape(persistent=True) as g:
        x = tf.constant(3.0)
        g.watch(x)
        y = x ** 3
        dy_dx = g.gradient(y, x)
        d2y_dx2 = g.gradient(dy_dx, x)
    d3y_dx3 = g.gradient(d2y_dx2, x)
    assert (float(y), float(dy_dx), float(d2y_dx2), float(d3y_dx3)) == (27.0, 27.0, 18.0, 6.0)


def test_persistent_nested_tape():
    with tf.GradientTape(persistent=True) as g:
        x = tf.constant(3.0)
        g.watch(x)
        y = x * x
        with tf.GradientTape(persistent=True) as gg:
            gg.watch(y)
            z = 2 * y
        for _ in range(2):
            inner = gg.gradient(z, [y])[0]
            assert float(inner) == 2.0
        y += inner
        del gg
    assert float(g.gradient(y, [x])[0]) == 6.0
    assert float(g.gradient(z, [x])[0]) == 12.0


def test_unconnected_zeros_for_variables_and_unknown_value():
    x = tf.Variable(tf.constant(1.0, shape=[2, 2]))
    y = tf.Variable(tf.constant(3.0))
    with tf.GradientTape() as g:
        g.watch([x, y])
        z = y * 2
    np.testing.assert_array_equal(g.gradient(z, x, unconnected_gradients="zero"), np.zeros((2, 2)))
    a, b = tf.constant(1.0), tf.constant(1.0)
    with tf.GradientTape() as g:
        g.watch([a, b])
        z = b * 2
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'nonsense'"):
        g.gradient(z, a, unconnected_gradients="nonsense")


def test_watched_variables_survive_a_non_persistent_gradient_and_reset():
    with tf.GradientTape() as tape:
        x = tf.Variable(1.0)
        tape.watch(x)
    tape.gradient(x, x)
    assert tape.watched_variables() == (x,)
    with tf.GradientTape() as tape:
        x = tf.Variable(1.0)
        tape.watch(x)
        assert tape.watched_variables() == (x,)
        tape.reset()
        z = tf.Variable(2.0)
        tape.watch(z)
        assert tape.watched_variables() == (z,)
    tape.gradient(z, z)
    assert tape.watched_variables() == (z,)


def test_jacobian_of_two_sources_and_the_pfor_rule():
    for pfor in (True, False):
        with tf.GradientTape(persistent=not pfor) as g:
            x, y = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
            g.watch(x)
            g.watch(y)
            z = x * x * y
        jx, jy = g.jacobian(z, [x, y], experimental_use_pfor=pfor)
        np.testing.assert_array_equal(jx, np.diag([6.0, 16.0]))
        np.testing.assert_array_equal(jy, np.diag([1.0, 4.0]))
    with tf.GradientTape() as g:
        x = tf.constant([1.0, 2.0])
        g.watch(x)
        y = x * x
    with pytest.raises(RuntimeError, match="persistent"):
        g.jacobian(y, x, experimental_use_pfor=False)
    with pytest.raises(RuntimeError, match="persistent"):
        g.batch_jacobian(tf.reshape(y, (2, 1)), tf.reshape(x, (2, 1)), experimental_use_pfor=False)


def test_nested_jacobian_then_batch_jacobian():
    x = tf.ones((10, 2))
    with tf.GradientTape() as g:
        g.watch(x)
        with tf.GradientTape() as gg:
            gg.watch(x)
            y = tf.reduce_sum(tf.square(x))
        dy_x = gg.jacobian(y, x)
    dy_xx = g.batch_jacobian(dy_x, x)
    np.testing.assert_allclose(dy_xx, [[[2.0, 0.0], [0.0, 2.0]]] * 10)


def test_batch_jacobian_values_and_bad_shapes():
    with tf.GradientTape() as g:
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        y = tf.constant([[3.0, 4.0], [5.0, 6.0]])
        g.watch(x)
        z = x * x * y
    np.testing.assert_array_equal(g.batch_jacobian(z, x), [np.diag([6.0, 16.0]), np.diag([30.0, 48.0])])
    x = tf.random.uniform([2, 3])
    with tf.GradientTape() as g:
        y = tf.concat([x, x], axis=0)
    with pytest.raises(ValueError, match="Need first dimension"):
        g.batch_jacobian(y, x)
    with tf.GradientTape() as g:
        y = tf.random.uniform([2, 2])
    with pytest.raises(ValueError, match="must have rank at least 2"):
        g.batch_jacobian(y, tf.random.uniform([2]))
    with pytest.raises(ValueError, match="must have rank at least 2"):
        g.batch_jacobian(tf.random.uniform([2]), tf.random.uniform([2, 2]))


def test_degenerate_jacobian_shapes():
    x = tf.zeros([1, 0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x ** 2
    assert tuple(tape.batch_jacobian(y, x).shape) == (1, 0, 0)
    assert tuple(tape.jacobian(y, x).shape) == (1, 0, 1, 0)
