"""tf.GradientTape's semantics: targets, sources and structures, unconnected gradients,
persistence, stop_gradient / stop_recording / reset, jacobians, threads, and what the tape keeps."""
import collections
import threading

import numpy as np
import pytest

import lamina as tf


def c(v, dt=tf.float32):
    return tf.constant(v, dtype=dt)


def test_non_scalar_target_gives_the_gradient_of_its_sum():
    x = c([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x  # shape (3,)
    np.testing.assert_allclose(t.gradient(y, x), [2.0, 4.0, 6.0])


def test_list_of_targets_adds_their_gradients():
    x = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y1, y2 = x * x, x * 3.0
    assert float(t.gradient([y1, y2], x)) == 7.0


def test_output_gradients_weight_the_target():
    x = c([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    np.testing.assert_allclose(t.gradient(y, x, output_gradients=c([10.0, 0.5])), [20.0, 2.0])


def test_output_gradients_of_the_wrong_shape_is_a_value_error():
    x = c([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    with pytest.raises(ValueError, match=r"output_gradients\[0\] has shape \(3,\).*\(2,\)"):
        t.gradient(y, x, output_gradients=c([1.0, 2.0, 3.0]))


def test_sources_keep_their_structure():
    a, b, d = c(1.0), c(2.0), c(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch([a, b, d])
        y = a * b * d
    g = t.gradient(y, {"x": a, "rest": [b, (d,)]})
    assert set(g) == {"x", "rest"}
    assert float(g["x"]) == 6.0 and float(g["rest"][0]) == 3.0 and float(g["rest"][1][0]) == 2.0
    assert isinstance(g["rest"][1], tuple)
    Pair = collections.namedtuple("Pair", "p q")
    g = t.gradient(y, Pair(a, b))
    assert isinstance(g, Pair) and float(g.q) == 3.0
    single = t.gradient(y, a)
    assert isinstance(single, tf.Tensor) and float(single) == 6.0


def test_unconnected_sources_give_none_or_zeros():
    x, z = c([1.0, 2.0]), c([[5.0]])
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, z])
        y = tf.reduce_sum(x * 2.0)
    assert t.gradient(y, [x, z])[1] is None
    gz = t.gradient(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert tuple(gz.shape) == (1, 1) and float(gz[0, 0]) == 0.0
    assert t.gradient(y, z, unconnected_gradients="zero") is not None
    with pytest.raises(ValueError):
        t.gradient(y, z, unconnected_gradients="sometimes")


def test_unwatched_tensor_gets_no_gradient():
    x = c(3.0)
    with tf.GradientTape() as t:
        y = x * x
    assert t.gradient(y, x) is None


def test_a_non_persistent_tape_gives_one_set_of_gradients():
    x = c(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    assert float(t.gradient(y, x)) == 6.0
    with pytest.raises(RuntimeError, match="non-persistent GradientTape can only be used to compute one set"):
        t.gradient(y, x)


def test_a_persistent_tape_gives_many():
    x = c(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
        z = y * y
    assert float(t.gradient(y, x)) == 6.0
    assert float(t.gradient(z, x)) == 108.0
    assert float(t.gradient(z, y)) == 18.0


def test_integer_and_bool_tensors_are_not_differentiable():
    i = tf.constant([1, 2, 3])
    b = tf.constant([True, False])
    with tf.GradientTape() as t:
        t.watch(i)
        t.watch(b)
        y = i * i
    assert t.gradient(y, [i, b]) == [None, None]


def test_stop_gradient_blocks():
    x = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * tf.stop_gradient(x * x)
    assert float(t.gradient(y, x)) == 4.0


def test_stop_recording():
    x = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
        with t.stop_recording():
            z = y * x
        w = y * 1.0
    assert t.gradient([z, w], x) is not None
    x2 = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x2)
        with t.stop_recording():
            z = x2 * x2
    assert t.gradient(z, x2) is None
    with pytest.raises(RuntimeError, match="not recording"):
        with t.stop_recording():
            pass


def test_reset_forgets_what_was_recorded():
    x = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
        t.reset()
        t.watch(x)
        z = x * 5.0
    assert t.gradient(y, x) is None
    x3 = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x3)
        z = x3 * 5.0
    assert float(t.gradient(z, x3)) == 5.0


def test_entering_an_active_tape_again_is_an_error():
    t = tf.GradientTape()
    with t:
        with pytest.raises(ValueError, match="still recording"):
            t.__enter__()


def test_gradient_inside_a_non_persistent_context_stops_recording():
    x = c(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
        g = t.gradient(y, x)
        assert float(g) == 6.0


def test_a_persistent_tape_records_its_own_gradient_inside_its_context():
    x = c(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x * x
        g = t.gradient(y, x)  # 3x^2, recorded on t
    assert float(g) == 27.0
    assert float(t.gradient(g, x)) == 18.0  # 6x


def test_nested_tapes_give_higher_derivatives():
    x = c(2.0)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = x ** 4.0
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert (float(d1), float(d2), float(d3)) == (32.0, 48.0, 48.0)


def test_the_target_as_its_own_source():
    x = c([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
    np.testing.assert_array_equal(t.gradient(x, x), [1.0, 1.0])


def test_watch_rejects_non_tensors():
    with tf.GradientTape() as t:
        with pytest.raises(ValueError, match="expected a Tensor or a Variable, got ndarray"):
            t.watch(np.ones(3))


def test_sources_must_be_tensors():
    x = c(1.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError, match="sources must be Tensors or Variables"):
        t.gradient(y, [x, 3.0])


def test_jacobian():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 2))
    x = tf.constant(rng.standard_normal(2))
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.linalg.matmul(tf.constant(a), tf.reshape(x, (2, 1)))[:, 0]
    j = t.jacobian(y, x)
    assert tuple(j.shape) == (3, 2)
    np.testing.assert_allclose(j, a)
    with pytest.raises(RuntimeError):
        t.jacobian(y, x)


def test_jacobian_of_a_matrix_target_and_unconnected_source():
    x, z = c([[1.0, 2.0], [3.0, 4.0]], tf.float64), c([1.0], tf.float64)
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, z])
        y = x * x
    j = t.jacobian(y, x)
    assert tuple(j.shape) == (2, 2, 2, 2)
    expected = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for k in range(2):
            expected[i, k, i, k] = 2 * x.numpy()[i, k]
    np.testing.assert_allclose(j, expected)
    assert t.jacobian(y, z) is None
    jz = t.jacobian(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert tuple(jz.shape) == (2, 2, 1)


def test_tapes_are_per_thread():
    x = c(2.0)
    seen = {}
    with tf.GradientTape() as t:
        t.watch(x)

        def other():
            # ops on another thread are not recorded by this thread's tape ...
            seen["y"] = x * x
            # ... and that thread can run its own tape
            with tf.GradientTape() as t2:
                t2.watch(x)
                z = x * x * x
            seen["g"] = t2.gradient(z, x)

        th = threading.Thread(target=other)
        th.start()
        th.join()
    assert t.gradient(seen["y"], x) is None
    assert float(seen["g"]) == 12.0


def test_nothing_is_recorded_without_a_watched_input():
    x = c([1.0, 2.0])
    with tf.GradientTape(persistent=True) as t:
        y = tf.exp(x) * x
        assert t._tape.num_nodes == 0
        t.watch(x)
        z = tf.exp(x) * x
        assert t._tape.num_nodes == 2
        w = tf.constant([3.0]) + 1.0  # constants are never recorded
        assert t._tape.num_nodes == 2


def test_a_non_persistent_tape_frees_what_it_saved():
    import gc
    gc.collect()
    x = tf.constant(np.ones((64, 64), np.float32))
    base = tf._core.live_storages()
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(tf.tanh(x) * tf.exp(x))
    held = tf._core.live_storages()
    assert held > base + 1  # the tape keeps tanh and exp outputs for the backward pass
    g = t.gradient(y, x)
    del y
    gc.collect()
    assert tf._core.live_storages() == base + 1  # only the gradient remains
    del g


def test_variables_through_the_tape_hooks():
    """A stand-in with the Variable protocol the tape relies on (lamina.Variable implements it):
    reads go through __lamina_tensor__, which reports them with _tape_hooks.variable_accessed."""
    from lamina import _tape_hooks

    class Var:
        def __init__(self, v, trainable=True):
            self._v, self.trainable = tf.constant(v), trainable

        def __lamina_tensor__(self):
            _tape_hooks.variable_accessed(self, self._v)
            return self._v

        def assign(self, v):
            self._v = tf.constant(v)

    w, frozen = Var([1.0, 2.0]), Var(3.0, trainable=False)
    with tf.GradientTape(persistent=True) as t:
        y = tf.reduce_sum(tf.multiply(w, w)) * tf.convert_to_tensor(frozen)
    np.testing.assert_allclose(t.gradient(y, w), [6.0, 12.0])
    assert t.gradient(y, frozen) is None
    assert t.watched_variables() == (w,)
    with tf.GradientTape(watch_accessed_variables=False) as t:
        y = tf.multiply(w, w)
    assert t.gradient(y, w) is None and t.watched_variables() == ()
    with tf.GradientTape(watch_accessed_variables=False) as t:
        t.watch(frozen)
        y = tf.multiply(frozen, frozen)
    assert float(t.gradient(y, frozen)) == 6.0
    with tf.GradientTape() as t:
        y = tf.multiply(w, 2.0)
        w.assign([5.0, 5.0])  # a second read gives another tensor: gradients add up
        y = y + tf.multiply(w, 3.0)
    np.testing.assert_allclose(t.gradient(y, w), [5.0, 5.0])


def test_batch_jacobian():
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((4, 3))
    w = rng.standard_normal((3, 2))
    x = tf.constant(xv)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.tanh(x @ tf.constant(w))  # (4, 2)
    j = t.batch_jacobian(y, x)
    assert tuple(j.shape) == (4, 2, 3)
    d = 1 - np.tanh(xv @ w) ** 2
    np.testing.assert_allclose(j, d[:, :, None] * w.T[None], rtol=1e-12)
    with pytest.raises(RuntimeError):
        t.batch_jacobian(y, x)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError, match="Need first dimension of target shape"):
        t.batch_jacobian(y, tf.constant(np.ones((3, 3))))


@pytest.mark.parametrize("target", [None, object(), "abc"])
def test_junk_targets_are_type_errors(target):
    x = c([1.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * 2.0
    with pytest.raises(TypeError, match="Cannot convert"):
        t.gradient(target, x)


def test_gradients_from_several_threads_on_one_persistent_tape_are_safe():
    """Concurrent gradient() calls on one tape either succeed with the right value or are refused
    with a RuntimeError; never a crash or a wrong answer."""
    x = tf.constant(np.random.default_rng(0).standard_normal((64, 64)), tf.float64)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = tf.reduce_sum(tf.tanh(x @ x))
    expected = t.gradient(y, x).numpy()
    results, errors = [], []

    def work():
        for _ in range(20):
            try:
                results.append(t.gradient(y, x).numpy())
            except RuntimeError as e:
                errors.append(str(e))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results and all(np.allclose(r, expected) for r in results)
    assert all("another gradient() is running" in e for e in errors)
