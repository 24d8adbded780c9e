"""Tensor creation against NumPy: fill, zeros, ones, *_like, range, eye — every dtype, every way of
writing a shape, and bad shapes."""
import numpy as np
import pytest
from conftest import ALL_DTYPES, FLOAT_DTYPES, np_dtype, random_array, strided, to_tensor

import lamina as tf

SHAPES = [(), (0,), (1,), (5,), (2, 3), (3, 0, 2), (1, 1, 1, 1), (2, 1, 3, 2), (4, 5, 6)]


def shape_forms(shape):
    """Every way a shape can be written: list, tuple, TensorShape, int32/int64 tensors, ndarray,
    and a plain int for rank 1."""
    forms = [list(shape), tuple(shape), tf.TensorShape(shape),
             tf.constant(np.array(shape, np.int32)), tf.constant(np.array(shape, np.int64)),
             np.array(shape, np.int64), [np.int64(d) for d in shape]]
    if len(shape) == 1:
        forms.append(shape[0])
    return forms


def assert_same(t, want, dtype):
    assert t.dtype.name == dtype
    got = t.numpy()
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want.astype(np_dtype(dtype)))


def sample_value(rng, dtype):
    return random_array(rng, (), dtype)


# ---- fill -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_fill_every_dtype(rng, dtype, shape):
    v = sample_value(rng, dtype)
    for form in shape_forms(shape):
        t = tf.fill(form, to_tensor(v, dtype))
        assert_same(t, np.full(shape, v), dtype)
        assert t._is_contiguous


def test_fill_python_values_infer_dtype():
    assert_same(tf.fill([2, 2], 1.5), np.full((2, 2), 1.5), "float32")
    assert_same(tf.fill([3], 7), np.full(3, 7), "int32")
    assert_same(tf.fill([3], True), np.full(3, True), "bool")
    assert_same(tf.fill((2,), 2 ** 40), np.full(2, 2 ** 40), "int64")
    assert_same(tf.fill([2], np.float64(0.25)), np.full(2, 0.25), "float64")
    assert_same(tf.fill([2, 1], tf.constant(3, tf.int64)), np.full((2, 1), 3), "int64")


def test_fill_broadcasts_a_value(rng):
    row = rng.standard_normal(4)
    assert_same(tf.fill([3, 4], tf.constant(row)), np.broadcast_to(row, (3, 4)), "float64")
    assert_same(tf.fill([2, 3, 4], strided(row.reshape(1, 4))),
                np.broadcast_to(row, (2, 3, 4)), "float64")
    with pytest.raises(ValueError, match=r"fill: a value of shape \(4,\) cannot be broadcast to "
                                         r"shape \(3, 5\)"):
        tf.fill([3, 5], tf.constant(row))
    with pytest.raises(ValueError, match=r"shape \(2, 4\) cannot be broadcast to shape \(4,\)"):
        tf.fill([4], tf.ones((2, 4)))


def test_fill_large_releases_gil():
    t = tf.fill([300, 400], 2.5)
    assert t.shape == (300, 400) and float(t.numpy().sum()) == 2.5 * 120000


# ---- zeros / ones -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_zeros_ones_every_dtype(dtype, shape):
    for form in shape_forms(shape):
        assert_same(tf.zeros(form, dtype), np.zeros(shape), dtype)
        assert_same(tf.ones(form, dtype=dtype), np.ones(shape), dtype)


def test_zeros_ones_default_and_dtype_spellings():
    assert_same(tf.zeros([2, 3]), np.zeros((2, 3)), "float32")
    assert_same(tf.ones(4), np.ones(4), "float32")
    assert_same(tf.ones([], None), np.ones(()), "float32")
    assert_same(tf.zeros(2, "int64"), np.zeros(2), "int64")
    assert_same(tf.ones([2], np.float16), np.ones(2), "float16")
    assert_same(tf.ones([2], tf.bfloat16), np.ones(2), "bfloat16")
    assert_same(tf.zeros([1], bool), np.zeros(1), "bool")
    assert float(tf.zeros(1, "float32").numpy()[0]) == 0.0
    assert not np.signbit(tf.zeros(3, tf.float64).numpy()).any()   # +0, not -0


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_zeros_like_ones_like(rng, dtype):
    for shape in [(), (3,), (2, 0), (2, 3, 4)]:
        x = random_array(rng, shape, dtype)
        t = to_tensor(x, dtype)
        assert_same(tf.zeros_like(t), np.zeros(shape), dtype)
        assert_same(tf.ones_like(t), np.ones(shape), dtype)
        for other in ("int64", "float32", "bool", "bfloat16"):
            assert_same(tf.zeros_like(t, dtype=other), np.zeros(shape), other)
            assert_same(tf.ones_like(t, other), np.ones(shape), other)
    if dtype != "bfloat16":   # a non-contiguous input gives a contiguous result
        x = random_array(rng, (3, 4), dtype)
        t = tf.ones_like(strided(x))
        assert t._is_contiguous
        assert_same(t, np.ones((3, 4)), dtype)


def test_like_of_python_data():
    assert_same(tf.zeros_like([[1, 2], [3, 4]]), np.zeros((2, 2)), "int32")
    assert_same(tf.ones_like([1.5, 2.5]), np.ones(2), "float32")
    assert_same(tf.ones_like([1, 2], dtype=tf.float64), np.ones(2), "float64")
    assert_same(tf.zeros_like(np.zeros((2, 1), np.float64)), np.zeros((2, 1)), "float64")
    assert_same(tf.ones_like(3), np.ones(()), "int32")
    assert_same(tf.zeros_like([True]), np.zeros(1), "bool")


# ---- range ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    (5,), (0,), (-3,), (2, 9), (9, 2), (2, 9, 3), (2, 10, 4), (10, 2, -3), (10, 2, -4),
    (-7, 7, 2), (5, 5), (5, 5, -1), (-1, -10, -1), (0, 1000, 7), (3, 4, 100), (3, 2, 100),
    (-(2 ** 31), -(2 ** 31) + 3), (2 ** 31 - 3, 2 ** 31 - 1),
])
def test_range_ints(args):
    t = tf.range(*args)
    assert_same(t, np.arange(*args), "int32")
    for dtype in ("int64", "float32", "float64"):
        assert_same(tf.range(*args, dtype=dtype), np.arange(*args).astype(dtype), dtype)


@pytest.mark.parametrize("args", [
    (0.0, 1.0, 0.1), (1, 2, 0.25), (0.5,), (2.5, -1.0, -0.5), (0, 1, 0.3), (1.0, 1.0),
    (1.0, 0.0), (-1.0, 1.0, 0.125), (0.0, 10.0, 3.0), (1e-3, 2e-3, 1e-4), (0.0, -0.9, -0.3),
])
@pytest.mark.parametrize("dtype", [None] + FLOAT_DTYPES)
def test_range_floats(args, dtype):
    """start + i * delta in double from the exact arguments, rounded once to the dtype; the
    length is NumPy's (ceil((limit - start) / delta))."""
    if len(args) == 1:
        start, limit, delta = 0.0, float(args[0]), 1.0
    else:
        start, limit, delta = (tuple(float(a) for a in args) + (1.0,))[:3]
    n = len(np.arange(start, limit, delta))
    want = start + np.arange(n, dtype=np.float64) * delta
    t = tf.range(*args, dtype=dtype)
    dtype = dtype or "float32"
    assert t.dtype.name == dtype and t.shape == (n,)
    want = tf.cast(tf.constant(want), dtype).numpy()  # lamina's double -> dtype rounding
    np.testing.assert_array_equal(t.numpy(), want)
    if dtype in ("float32", "float64"):
        np.testing.assert_array_equal(t.numpy(), (start + np.arange(n) * delta).astype(dtype))


def test_range_float_arguments_are_not_prerounded():
    # 0.1 as a double: ten values below 1.0, the last one 0.9 rounded once to float32
    t = tf.range(0.0, 1.0, 0.1)
    assert t.shape == (10,) and t.numpy()[-1] == np.float32(0.9000000000000001)
    t = tf.range(0.0, 1.0, 0.1, dtype=tf.float16)
    assert t.shape == (10,) and t.numpy().max() < 1.0


def test_range_dtype_inference():
    assert tf.range(3).dtype == tf.int32
    assert tf.range(0, 3.0).dtype == tf.float32
    assert tf.range(0, 3, 0.5).dtype == tf.float32
    assert tf.range(2 ** 40, 2 ** 40 + 2).dtype == tf.int64
    assert tf.range(tf.constant(4, tf.int64)).dtype == tf.int64
    assert tf.range(tf.constant(4.0, tf.float64)).dtype == tf.float64
    assert tf.range(tf.constant(1, tf.int64), 4.0).dtype == tf.float32   # float32 > int64
    assert tf.range(tf.constant(1.0, tf.float16), 3).dtype == tf.float16
    assert tf.range(1, tf.constant(3.0, tf.float64), tf.constant(0.5, tf.float32)).dtype == tf.float64
    assert_same(tf.range(np.int64(2), np.int64(6)), np.arange(2, 6), "int64")
    assert_same(tf.range(tf.constant([3])), np.arange(3), "int32")  # a one-element tensor
    assert_same(tf.range(start=1, limit=4, delta=2), np.arange(1, 4, 2), "int32")


def test_range_tensor_args_cast_to_dtype():
    assert_same(tf.range(tf.constant(1.7), 5, dtype=tf.int32), np.arange(1, 5), "int32")
    assert_same(tf.range(tf.constant(0, tf.int64), tf.constant(2, tf.int32), 0.5, dtype="float64"),
                np.arange(0, 2, 0.5), "float64")


def test_range_int64_beyond_double_precision():
    start = 2 ** 62 + 1
    t = tf.range(start, start + 10, 3, dtype=tf.int64)
    assert t.numpy().tolist() == list(range(start, start + 10, 3))
    t = tf.range(2 ** 60 + 5, 2 ** 60 - 5, -2)
    assert t.dtype == tf.int64 and t.numpy().tolist() == list(range(2 ** 60 + 5, 2 ** 60 - 5, -2))
    ext = tf.range(-(2 ** 63), -(2 ** 63) + 3, dtype=tf.int64)
    assert ext.numpy().tolist() == [-(2 ** 63), -(2 ** 63) + 1, -(2 ** 63) + 2]


def test_range_bad_arguments():
    with pytest.raises(ValueError, match=r"range: delta must not be 0"):
        tf.range(0, 5, 0)
    with pytest.raises(ValueError, match=r"delta must not be 0"):
        tf.range(0.0, 5.0, 0.0)
    with pytest.raises(ValueError, match=r"delta must not be 0"):
        tf.range(2 ** 60, 2 ** 61, 0)
    with pytest.raises(TypeError, match="bool"):
        tf.range(3, dtype=tf.bool)
    with pytest.raises(TypeError, match=r"start 0.5 is a float"):
        tf.range(0.5, 3, dtype=tf.int32)          # a lossy conversion, as in tf
    with pytest.raises(TypeError, match=r"delta 0.5 is a float"):
        tf.range(0, 3, 0.5, dtype=tf.int64)
    with pytest.raises(TypeError, match="number"):
        tf.range(True)
    with pytest.raises(TypeError, match="bool"):
        tf.range(tf.constant(True))
    with pytest.raises(TypeError, match="number"):
        tf.range(0, np.bool_(True))
    with pytest.raises(ValueError, match="out of range for int64"):
        tf.range(2 ** 64)
    with pytest.raises(ValueError, match="scalar"):
        tf.range(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="finite"):
        tf.range(0.0, float("inf"), 1.0)
    with pytest.raises(ValueError, match="finite"):
        tf.range(float("nan"))
    with pytest.raises(ValueError, match="int32"):
        tf.range(2 ** 31 - 2, 2 ** 31 + 5, dtype=tf.int32)
    with pytest.raises(ValueError, match="int32"):
        tf.range(2 ** 62, 2 ** 62 + 4, dtype=tf.int32)
    with pytest.raises((MemoryError, ValueError)):
        tf.range(0.0, 1e30, 1.0)
    with pytest.raises((MemoryError, ValueError)):
        tf.range(-(2 ** 62), 2 ** 62, 1, dtype=tf.int64)


# ---- eye --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_eye_every_dtype(dtype):
    for rows, cols in [(0, 0), (1, 1), (3, 3), (2, 5), (5, 2), (0, 3), (4, 0)]:
        assert_same(tf.eye(rows, cols, dtype=dtype), np.eye(rows, cols), dtype)
    assert_same(tf.eye(4, dtype=dtype), np.eye(4), dtype)


@pytest.mark.parametrize("batch", [[], [2], (3, 1), tf.TensorShape([2, 2]),
                                   tf.constant([2, 3], tf.int64), [0], [2, 0, 3]])
def test_eye_batch_shape(batch):
    want_batch = tuple(int(d) for d in np.asarray(batch, dtype=np.int64).reshape(-1)) \
        if not isinstance(batch, tf.TensorShape) else tuple(batch.as_list())
    for rows, cols in [(3, None), (2, 4), (4, 1), (0, 2)]:
        t = tf.eye(rows, cols, batch_shape=batch, dtype=tf.int32)
        want = np.broadcast_to(np.eye(rows, cols if cols is not None else rows), want_batch +
                               (rows, cols if cols is not None else rows))
        assert_same(t, want, "int32")
        assert t._is_contiguous


def test_eye_defaults_and_scalar_tensors():
    assert_same(tf.eye(2), np.eye(2), "float32")
    assert_same(tf.linalg.eye(3, 2), np.eye(3, 2), "float32")
    assert_same(tf.eye(tf.constant(3), tf.constant(2, tf.int64)), np.eye(3, 2), "float32")
    assert_same(tf.eye(np.int64(2), dtype="float16"), np.eye(2), "float16")


def test_eye_bad_arguments():
    with pytest.raises(ValueError, match="eye: num_rows and num_columns must be >= 0"):
        tf.eye(-1)
    with pytest.raises(ValueError, match=">= 0, got 2 and -3"):
        tf.eye(2, -3)
    with pytest.raises(TypeError, match="num_rows must be an int"):
        tf.eye(2.0)
    with pytest.raises(TypeError, match="num_columns must be an int"):
        tf.eye(2, 1.5)
    with pytest.raises(ValueError, match="negative dimension -2"):
        tf.eye(2, batch_shape=[-2])
    with pytest.raises(ValueError, match="rank 9"):
        tf.eye(2, batch_shape=[1] * 7)
    with pytest.raises((MemoryError, ValueError)):
        tf.eye(2 ** 40, 2 ** 40)
    with pytest.raises((MemoryError, ValueError)):
        tf.eye(2, batch_shape=[2 ** 62, 4])


# ---- bad shapes -------------------------------------------------------------------------------

CREATORS = {
    "fill": lambda s: tf.fill(s, 1.0),
    "zeros": lambda s: tf.zeros(s),
    "ones": lambda s: tf.ones(s, tf.int64),
}


@pytest.mark.parametrize("op", list(CREATORS))
def test_negative_dimension(op):
    with pytest.raises(ValueError, match=rf"{op}: negative dimension -1 in shape \(2, -1\)"):
        CREATORS[op]([2, -1])
    with pytest.raises(ValueError, match="negative dimension"):
        CREATORS[op](tf.constant([-3]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        CREATORS[op]((-5,))


@pytest.mark.parametrize("op", list(CREATORS))
def test_non_integer_dimension(op):
    with pytest.raises(TypeError, match="ints"):
        CREATORS[op]([2, 1.5])
    with pytest.raises(TypeError, match="ints"):
        CREATORS[op]([2.0])
    with pytest.raises(TypeError, match="ints"):
        CREATORS[op]([True, 2])
    with pytest.raises(TypeError):
        CREATORS[op]("abc")
    with pytest.raises(TypeError, match="int32/int64"):
        CREATORS[op](tf.constant([2.0, 3.0]))
    with pytest.raises(TypeError):
        CREATORS[op](tf.constant([[2, 3]]))
    with pytest.raises(ValueError, match="None"):
        CREATORS[op]([2, None])


@pytest.mark.parametrize("op", list(CREATORS))
def test_overflowing_shape(op):
    for shape in ([2 ** 32, 2 ** 32], [2 ** 62, 2 ** 62], [2 ** 63 - 1, 2], [2 ** 40] * 3,
                  [2 ** 61]):
        with pytest.raises((MemoryError, ValueError)):
            CREATORS[op](shape)
    # a zero anywhere makes even a huge shape empty
    t = CREATORS[op]([2 ** 62, 0, 2 ** 62])
    assert t.shape == (2 ** 62, 0, 2 ** 62)
    with pytest.raises((OverflowError, ValueError, TypeError)):
        CREATORS[op]([2 ** 64])


@pytest.mark.parametrize("op", list(CREATORS))
def test_rank_too_high(op):
    with pytest.raises(ValueError, match="rank 9"):
        CREATORS[op]([1] * 9)
    assert CREATORS[op]([1] * 8).shape == (1,) * 8


def test_created_tensors_are_independent():
    a = tf.zeros([3])
    b = tf.zeros([3])
    assert a._data_ptr != b._data_ptr
    live = tf._core.live_storages()
    for _ in range(20):
        tf.ones([10, 10])
        tf.eye(3, batch_shape=[2])
        tf.range(50)
        tf.fill([4], 2)
        tf.range(2 ** 60, 2 ** 60 + 3)
    assert tf._core.live_storages() == live
