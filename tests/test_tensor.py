"""The Tensor type: conversion from Python and NumPy, exchange back (buffer protocol, DLPack,
__array__), dtypes, shapes, repr, scalar conversion and the error mapping."""
import pickle

import numpy as np
import pytest

import lamina as tf
from conftest import ALL_DTYPES, np_dtype, random_array, strided, to_tensor


# ---- conversion: tf's dtype inference ----------------------------------------------------------

@pytest.mark.parametrize("value, dtype", [
    (1, "int32"), (2**31, "int64"), (-2**31, "int32"), (1.5, "float32"), (True, "bool"),
    ([1, 2], "int32"), ([1.0, 2], "float32"), ([[True, False]], "bool"), ([1, 2**40], "int64"),
    (np.float64(1.0), "float64"), (np.int64(3), "int64"), (np.arange(3.0), "float64"),
    (np.arange(3, dtype=np.int32), "int32"), (np.ones(2, np.float16), "float16"),
    (np.zeros(2, np.uint8), "int32"), (np.zeros(2, np.int16), "int32"), ((1.0, 2.0), "float32"),
    ([], "float32"),
])
def test_constant_infers_tf_dtypes(value, dtype):
    t = tf.constant(value)
    assert t.dtype.name == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(value).astype(np_dtype(dtype)))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_constant_with_dtype_roundtrips_every_dtype(rng, dtype):
    a = random_array(rng, (3, 4), dtype)
    t = tf.constant(a, dtype=dtype)
    assert t.dtype == getattr(tf, dtype) and t.shape == (3, 4) and t.ndim == 2
    np.testing.assert_array_equal(t.numpy(), a)


def test_constant_copies_numpy_data():
    a = np.arange(4.0)
    t = tf.constant(a)
    a[0] = 100
    assert t.numpy()[0] == 0


def test_constant_shape_argument_fills_and_reshapes():
    np.testing.assert_array_equal(tf.constant(7, shape=(2, 3)).numpy(), np.full((2, 3), 7, np.int32))
    np.testing.assert_array_equal(tf.constant([1, 2, 3, 4], shape=[2, 2]).numpy(), [[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="shape"):
        tf.constant([1, 2, 3], shape=[2, 2])


@pytest.mark.parametrize("value, dtype", [(1.5, "int32"), (2**31, "int32"), ([1.5], "int64"),
                                          (1, "bool"), ("a", None), ([[1, 2], [3]], None),
                                          ([1 + 2j], None), (2**64, None), (object(), None)])
def test_bad_conversions_raise(value, dtype):
    with pytest.raises((TypeError, ValueError)):
        tf.constant(value, dtype=dtype)


def test_convert_to_tensor_passes_tensors_and_checks_dtype():
    t = tf.constant([1.0])
    assert tf.convert_to_tensor(t) is t
    assert tf.convert_to_tensor(t, dtype=tf.float32) is t
    with pytest.raises(ValueError, match="requested dtype int32 for Tensor with dtype float32"):
        tf.convert_to_tensor(t, dtype=tf.int32)
    assert tf.convert_to_tensor([1, 2], dtype_hint=tf.float32).dtype == tf.float32
    assert tf.convert_to_tensor([1.5], dtype_hint=tf.int32).dtype == tf.float32


def test_objects_with_lamina_tensor_hook_convert():
    class Box:
        def __lamina_tensor__(self):
            return tf.constant([1.0, 2.0])
    assert tf.convert_to_tensor(Box()).numpy().tolist() == [1.0, 2.0]


def test_rank_limit():
    with pytest.raises(ValueError, match="up to 8"):
        tf.constant(np.zeros((1,) * 9))


# ---- dtypes ---------------------------------------------------------------------------------

def test_dtype_objects():
    assert tf.float32.name == "float32" and tf.float32.is_floating and not tf.int32.is_floating
    assert tf.int64.is_integer and tf.bool.is_bool and tf.float16.size == 2
    assert tf.as_dtype("float") is tf.float32 and tf.as_dtype(np.float64) is tf.float64
    assert tf.as_dtype(float) is tf.float32 and tf.as_dtype(bool) is tf.bool
    assert tf.float32 == "float32" and tf.float32 == np.float32 and tf.float32 != tf.float64
    assert tf.dtypes.half is tf.float16 and tf.double is tf.float64
    assert tf.float32.as_numpy_dtype is np.float32
    assert tf.int32.max == 2**31 - 1 and tf.float16.max == 65504
    assert len({tf.float32, tf.as_dtype("float32")}) == 1
    assert pickle.loads(pickle.dumps(tf.int64)) is tf.int64
    with pytest.raises(TypeError, match="complex"):
        tf.as_dtype(np.complex64)
    with pytest.raises(TypeError):
        tf.as_dtype("float8")


def test_half_conversions_round_to_nearest_even():
    a = np.array([0.0, -0.0, 1.0, 65504.0, 65520.0, 1e-8, 6e-8, 2.0**-24, np.inf, -np.inf, np.nan,
                  1.0009765625, 1.00048828125, 3.14159], np.float32)
    got = tf.cast(tf.constant(a), tf.float16).numpy()
    with np.errstate(over="ignore"):
        want = a.astype(np.float16)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_bfloat16_conversion_rounds_to_nearest_even(rng):
    a = rng.standard_normal(1000).astype(np.float32) * 1e3
    bits = a.view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).view(np.float32)
    got = tf.cast(tf.cast(tf.constant(a), tf.bfloat16), tf.float32).numpy()
    np.testing.assert_array_equal(got, rounded)
    assert np.isnan(tf.cast(tf.cast(tf.constant(np.nan), tf.bfloat16), tf.float32).numpy())


# ---- exchange with NumPy ----------------------------------------------------------------------

def test_buffer_protocol_is_zero_copy_and_read_only():
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    a = np.asarray(t)
    assert a.ctypes.data == t._data_ptr
    assert not a.flags.writeable
    m = memoryview(t)
    assert m.format == "f" and m.shape == (2, 2) and m.readonly
    import ctypes
    with pytest.raises((BufferError, TypeError)):
        (ctypes.c_char * 16).from_buffer(t)  # asks for a writable buffer


def test_numpy_returns_a_copy_and_scalars_for_rank_0():
    t = tf.constant([1, 2])
    a = t.numpy()
    a[0] = 5
    assert t.numpy()[0] == 1
    s = tf.constant(2.5).numpy()
    assert isinstance(s, np.float32) and s == 2.5


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_array_protocol(rng, dtype):
    a = random_array(rng, (2, 3), dtype)
    t = to_tensor(a, dtype)
    np.testing.assert_array_equal(np.array(t), a)
    b = t.__array__(dtype=np.float64)
    assert b.dtype == np.float64
    np.testing.assert_array_equal(b, a.astype(np.float64))
    assert t.__array__(copy=True).flags.writeable


def test_strided_tensors_export_their_strides():
    base = np.arange(24.0).reshape(4, 6)
    t = tf.from_dlpack(base[:, ::2].T)
    assert not t._is_contiguous
    np.testing.assert_array_equal(np.asarray(t), base[:, ::2].T)
    np.testing.assert_array_equal(t.numpy(), base[:, ::2].T)


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float16", "float32", "float64"])
def test_dlpack_roundtrip_with_numpy(rng, dtype):
    a = random_array(rng, (3, 5), dtype)
    t = tf.from_dlpack(a)
    assert t._data_ptr == a.ctypes.data            # zero copy in
    b = np.from_dlpack(t)
    assert b.ctypes.data == a.ctypes.data          # and out
    np.testing.assert_array_equal(b, a)
    c = tf.from_dlpack(a, copy=True)
    assert c._data_ptr != a.ctypes.data
    np.testing.assert_array_equal(c.numpy(), a)


def test_dlpack_keeps_producer_alive_and_views_negative_strides():
    a = np.arange(10.0)
    t = tf.from_dlpack(a[::-2])
    del a
    np.testing.assert_array_equal(t.numpy(), np.arange(10.0)[::-2])
    assert t.__dlpack_device__() == (1, 0)


def test_dlpack_between_lamina_tensors_and_bfloat16():
    t = tf.cast(tf.constant([1.0, 2.5]), tf.bfloat16)
    u = tf.from_dlpack(t)
    assert u.dtype == tf.bfloat16 and u._data_ptr == t._data_ptr
    np.testing.assert_array_equal(tf.cast(u, tf.float32).numpy(), [1.0, 2.5])


def test_dlpack_legacy_capsule_and_bad_arguments():
    t = tf.constant([1, 2, 3])
    cap = t.__dlpack__()
    assert "dltensor" in repr(cap)
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=(2, 0))
    with pytest.raises(ValueError):
        t.__dlpack__(stream=1)
    with pytest.raises(TypeError, match="__dlpack__"):
        tf.from_dlpack([1, 2])
    with pytest.raises(TypeError, match="not supported"):
        tf.from_dlpack(np.zeros(3, np.uint8))


def test_unconsumed_capsules_do_not_leak():
    before = tf._core.live_storages()
    for _ in range(100):
        tf.constant(np.zeros(1000)).__dlpack__(max_version=(1, 0))
    assert tf._core.live_storages() == before


# ---- Python protocol --------------------------------------------------------------------------

def test_shape_is_a_tensorshape():
    t = tf.constant(np.zeros((2, 3, 0)))
    assert isinstance(t.shape, tf.TensorShape)
    assert t.shape == (2, 3, 0) and t.shape.as_list() == [2, 3, 0] and t.shape.rank == 3
    assert t.shape[1] == 3 and t.shape[1:] == tf.TensorShape([3, 0]) and len(t.shape) == 3
    assert t.shape.num_elements() == 0 and t.get_shape() == [2, 3, 0]
    assert repr(t.shape) == "TensorShape([2, 3, 0])" and str(t.shape) == "(2, 3, 0)"
    s = tf.TensorShape([None, 4])
    assert not s.is_fully_defined() and s.is_compatible_with([7, 4]) and s.merge_with([7, 4]) == [7, 4]
    assert tf.TensorShape(None).rank is None


def test_len_and_scalar_conversions():
    assert len(tf.constant([[1, 2], [3, 4], [5, 6]])) == 3
    with pytest.raises(TypeError, match="len"):
        len(tf.constant(1))
    assert float(tf.constant(2.5)) == 2.5 and int(tf.constant(3.9)) == 3
    assert int(tf.constant(7, dtype=tf.int64)) == 7 and bool(tf.constant(0.0)) is False
    assert [10, 20, 30][tf.constant(1)] == 20
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="one element"):
        float(tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="index"):
        [1][tf.constant(0.0)]


def test_repr_and_str_look_like_tf():
    assert repr(tf.constant([1, 2, 3])) == \
        "<lamina.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>"
    assert repr(tf.constant([[1.0, 2.0], [3.0, 4.0]])) == (
        "<lamina.Tensor: shape=(2, 2), dtype=float32, numpy=\n"
        "array([[1., 2.],\n       [3., 4.]], dtype=float32)>")
    assert str(tf.constant(5)) == "lamina.Tensor(5, shape=(), dtype=int32)"
    assert repr(tf.constant(1.0)) == "<lamina.Tensor: shape=(), dtype=float32, numpy=1.0>"
    assert f"{tf.constant(2.0):.2f}" == "2.00"


def test_tensors_are_unhashable_but_have_refs():
    t = tf.constant(1)
    with pytest.raises(TypeError):
        hash(t)
    d = {t.ref(): "x"}
    assert d[t.ref()] == "x" and t.ref().deref() is t


def test_pickle_and_copy():
    import copy
    t = tf.constant([[1.5, 2.0]], dtype=tf.float64)
    u = pickle.loads(pickle.dumps(t))
    assert u.dtype == tf.float64 and u.numpy().tolist() == [[1.5, 2.0]]
    assert copy.copy(t) is t and copy.deepcopy(t) is t


def test_tensor_cannot_be_constructed_directly():
    with pytest.raises(TypeError, match="constant"):
        tf.Tensor([1, 2])


def test_error_classes_are_builtin_and_tf_shaped():
    assert issubclass(tf.errors.InvalidArgumentError, ValueError)
    assert issubclass(tf.errors.InvalidArgumentError, tf.errors.OpError)
    assert issubclass(tf.errors.ResourceExhaustedError, MemoryError)
    assert issubclass(tf.errors.UnimplementedError, NotImplementedError)


def test_runtime_facts():
    assert tf.__version__ == tf.version()
    assert tf.isa() in tf.isa_available() and tf.isa_available()[0] == "ref"
    with pytest.raises(ValueError, match="not one of"):
        tf.set_isa("sse9")


def test_is_tensor():
    assert tf.is_tensor(tf.constant(1)) and not tf.is_tensor(np.ones(2)) and not tf.is_tensor(1)


def test_numpy_functions_on_tensors_and_variables():
    """ndarray <op> tensor gives a tensor (the operator's ufunc runs lamina's op); NumPy's other
    functions (reductions, np.exp, out=) take the tensor's values, as they do for tf tensors."""
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    a = np.ones((2, 2), np.float32)
    for r in (a + t, a - t, a * t, a / t, a @ t, a ** t, a // t, a % t, a == t, a < t,
              np.float32(2.0) * t, np.add(a, t)):
        assert isinstance(r, tf.Tensor)
    np.testing.assert_array_equal(a - t, [[0.0, -1.0], [-2.0, -3.0]])
    assert np.sum(t) == 10.0 and np.mean(t) == 2.5 and np.max(t) == 4.0 and np.argmax(t) == 3
    assert isinstance(np.exp(t), np.ndarray) and np.allclose(t, t)
    out = np.empty((2, 2), np.float32)
    np.add(t, t, out=out)
    np.testing.assert_array_equal(out, [[2.0, 4.0], [6.0, 8.0]])
    with pytest.raises(TypeError, match="out= must be NumPy arrays"):
        np.add(a, a, out=(t,))
    v = tf.Variable([1.0, 2.0])
    assert np.sum(v) == 3.0 and isinstance(np.ones(2, np.float32) + v, tf.Tensor)
