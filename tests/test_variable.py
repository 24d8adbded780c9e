"""lamina.Variable: construction, validation, functional assignment, reads, operators, tape."""
import numpy as np
import pytest

import lamina as tf
from lamina import _tape_hooks


def test_initial_value_kinds():
    assert tf.Variable(tf.ones((2,))).numpy().tolist() == [1.0, 1.0]
    assert tf.Variable(np.arange(3)).dtype == tf.int64
    assert tf.Variable([1.0, 2.0]).dtype == tf.float32
    assert tf.Variable(3).dtype == tf.int32 and tf.Variable(3).shape == ()
    v = tf.Variable(lambda: tf.zeros((2, 3)))
    assert v.shape == (2, 3) and v.numpy().sum() == 0
    assert tf.Variable(np.zeros(3), dtype="float32").dtype == tf.float32
    assert tf.Variable(tf.ones(2), dtype=tf.float64).dtype == tf.float64


def test_defaults_and_names():
    v = tf.Variable(1.0)
    assert v.name == "Variable:0" and v.trainable is True
    assert tf.Variable(1.0, name="w").name == "w:0"
    assert v.synchronization == tf.VariableSynchronization.AUTO
    assert v.aggregation == tf.VariableAggregation.NONE
    assert v.constraint is None
    assert tf.Variable(1.0, trainable=False).trainable is False


def test_bad_construction():
    with pytest.raises(ValueError, match="initial_value"):
        tf.Variable()
    with pytest.raises(ValueError, match="ON_READ"):
        tf.Variable(1.0, trainable=True, synchronization=tf.VariableSynchronization.ON_READ)
    v = tf.Variable(1.0, synchronization=tf.VariableSynchronization.ON_READ)
    assert v.trainable is False
    with pytest.raises(ValueError, match="constraint"):
        tf.Variable(1.0, constraint=3)
    with pytest.raises(ValueError, match="incompatible"):
        tf.Variable(tf.ones(3), shape=(2,))
    with pytest.raises(TypeError, match="unexpected keyword"):
        tf.Variable(1.0, bogus=1)
    with pytest.raises(ValueError, match="synchronization"):
        tf.Variable(1.0, synchronization="sometimes")
    with pytest.raises(TypeError):
        tf.Variable(tf.ones(2, dtype=tf.int32), dtype=tf.float32)


def test_value_is_same_tensor_between_assignments():
    v = tf.Variable([1.0, 2.0])
    a = v.value()
    assert v.value() is a and v.read_value() is a
    v.assign([5.0, 6.0])
    b = v.value()
    assert b is not a
    assert a.numpy().tolist() == [1.0, 2.0]          # earlier reads keep their values
    assert b.numpy().tolist() == [5.0, 6.0]
    v.assign_add([1.0, 1.0])
    v.assign_sub(tf.constant([0.5, 0.5]))
    assert v.numpy().tolist() == [5.5, 6.5]
    assert b.numpy().tolist() == [5.0, 6.0]
    assert v.assign(v.numpy()) is v


def test_assign_checks_shape_and_dtype():
    v = tf.Variable(tf.zeros((2, 3)), name="w")
    with pytest.raises(ValueError, match=r"shape \(3,\).*'w:0'.*\(2, 3\)"):
        v.assign(tf.zeros((3,)))
    with pytest.raises(TypeError, match="int32.*float32"):
        v.assign(tf.zeros((2, 3), dtype=tf.int32))
    with pytest.raises(ValueError, match="shape"):
        v.assign_add(np.ones((3, 2), np.float32))
    with pytest.raises(TypeError, match="float64.*float32"):
        v.assign_sub(tf.zeros((2, 3), dtype=tf.float64))
    assert v.numpy().sum() == 0


def test_numpy_array_and_operators():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    a = v.numpy()
    assert isinstance(a, np.ndarray) and a.tolist() == [[1, 2], [3, 4]]
    assert np.asarray(v).tolist() == a.tolist()
    assert np.asarray(v, dtype=np.float64).dtype == np.float64
    np.testing.assert_allclose((v + 1).numpy(), a + 1)
    np.testing.assert_allclose((1 + v).numpy(), 1 + a)
    np.testing.assert_allclose((v - v).numpy(), 0 * a)
    np.testing.assert_allclose((2 - v).numpy(), 2 - a)
    np.testing.assert_allclose((v * v).numpy(), a * a)
    np.testing.assert_allclose((v / 2).numpy(), a / 2)
    np.testing.assert_allclose((2 / v).numpy(), 2 / a)
    np.testing.assert_allclose((v // 2).numpy(), a // 2)
    np.testing.assert_allclose((v % 2).numpy(), a % 2)
    np.testing.assert_allclose((v ** 2).numpy(), a ** 2)
    np.testing.assert_allclose((v @ v).numpy(), a @ a)
    np.testing.assert_allclose((a @ v).numpy(), a @ a)
    np.testing.assert_allclose((-v).numpy(), -a)
    np.testing.assert_allclose(abs(-v).numpy(), a)
    assert (v > 2).numpy().tolist() == [[False, False], [True, True]]
    assert (v == a).numpy().all()
    np.testing.assert_allclose((np.ones((2, 2), np.float32) + v).numpy(), a + 1)
    assert v[1, 0].numpy() == 3.0
    assert float(tf.Variable(2.5)) == 2.5 and int(tf.Variable(3)) == 3
    assert len(v) == 2
    with pytest.raises(TypeError):
        hash(v)
    assert v.ref() == v.ref() and hash(v.ref()) == hash(v.ref())


def test_usable_in_ops():
    v = tf.Variable([1.0, -2.0])
    np.testing.assert_allclose(tf.abs(v).numpy(), [1, 2])
    np.testing.assert_allclose(tf.reduce_sum(v).numpy(), -1.0)
    np.testing.assert_allclose(tf.matmul(tf.ones((1, 2)), tf.reshape(v, (2, 1))).numpy(), [[-1]])
    assert tf.convert_to_tensor(v) is v.value()


def test_reads_reported_to_tape_hook():
    seen = []

    class Spy:
        def _variable_accessed(self, var, tensor):
            seen.append((var, tensor))
    tapes = _tape_hooks.active_tapes()
    tapes.append(Spy())
    try:
        v = tf.Variable(1.0)
        t = v.value()
        tf.add(v, 1.0)
        v + 1.0
    finally:
        tapes.pop()
    # under a tape each read is a view of its own (one read is not another's source)
    assert len(seen) == 3 and all(var is v and tensor._data_ptr == t._data_ptr
                                  for var, tensor in seen)
    assert len({id(tensor) for _, tensor in seen}) == 3


def test_gradient_through_variable():
    v = tf.Variable([1.0, 2.0, 3.0])
    frozen = tf.Variable([1.0, 1.0, 1.0], trainable=False)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v * frozen)
    gv, gf = tape.gradient(y, [v, frozen])
    np.testing.assert_allclose(gv.numpy(), [2, 4, 6])
    assert gf is None


def test_enums():
    assert tf.VariableSynchronization.ON_READ.value == 3
    assert tf.VariableAggregation.MEAN.value == 2
    assert {tf.VariableAggregation.SUM: 1}[tf.VariableAggregation.SUM] == 1


def test_repr_and_deepcopy():
    import copy
    v = tf.Variable([1.0], name="x")
    assert "x:0" in repr(v) and "float32" in repr(v)
    w = copy.deepcopy(v)
    w.assign([5.0])
    assert v.numpy().tolist() == [1.0] and w.numpy().tolist() == [5.0]
