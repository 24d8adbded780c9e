"""Reductions, argmax/argmin and softmax against NumPy (TF semantics where TF and NumPy differ)."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import lamina as tf
from conftest import (ALL_DTYPES, FLOAT_DTYPES, NUMERIC_DTYPES, RTOL, assert_close, np_dtype,
                      random_array, strided, to_tensor)

REDUCE_OPS = {
    "sum": tf.reduce_sum, "mean": tf.reduce_mean, "max": tf.reduce_max, "min": tf.reduce_min,
    "prod": tf.reduce_prod, "any": tf.reduce_any, "all": tf.reduce_all,
}
NUMERIC_OPS = ["sum", "mean", "max", "min", "prod"]
BOOL_OPS = ["any", "all"]
OP_DTYPES = [(op, dt) for op in NUMERIC_OPS for dt in NUMERIC_DTYPES] + \
            [(op, "bool") for op in BOOL_OPS]
INT_DTYPES = ["int32", "int64"]


# ---- NumPy oracles ------------------------------------------------------------------------------

def lowest(dtype):
    return -np.inf if dtype in FLOAT_DTYPES else np.iinfo(dtype).min


def highest(dtype):
    return np.inf if dtype in FLOAT_DTYPES else np.iinfo(dtype).max


def np_reduce(op, a, axis, keepdims, dtype):
    """The expected result of reducing `a` (NumPy values of lamina dtype `dtype`)."""
    ax = None if axis is None else tuple(int(v) % a.ndim for v in np.reshape(axis, -1))
    kw = dict(axis=ax, keepdims=keepdims)
    isfloat = dtype in FLOAT_DTYPES
    if op == "sum":
        return np.sum(a.astype(np.float64), **kw) if isfloat else np.sum(a, dtype=a.dtype, **kw)
    if op == "prod":
        if isfloat:  # the exact product, rounded once to the storage dtype (overflow included)
            return np.prod(a.astype(np.float64), **kw).astype(np_dtype(dtype))
        return np.prod(a, dtype=a.dtype, **kw)
    if op == "mean":
        n = a.size if ax is None else int(np.prod([a.shape[i] for i in ax]))
        if isfloat:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.sum(a.astype(np.float64), **kw) / n
        s = np.sum(a.astype(np.int64), **kw)  # TF: integer mean, truncated toward zero
        q = np.abs(s) // max(n, 1) * np.sign(s) if n else np.zeros_like(s)
        return np.asarray(q).astype(dtype)
    if op == "max":
        return np.max(a, initial=lowest(dtype), **kw)
    if op == "min":
        return np.min(a, initial=highest(dtype), **kw)
    if op == "any":
        return np.any(a, **kw)
    return np.all(a, **kw)


def np_softmax(a, axis, log):
    """The same stable formula, in float64."""
    a = a.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        m = np.max(a, axis=axis, keepdims=True)
        d = a - m
        s = np.sum(np.exp(d), axis=axis, keepdims=True)
        return d - np.log(s) if log else np.exp(d) / s


def layouts(a, dtype):
    """Tensors equal to `a` in several memory layouts: contiguous, and (where NumPy can share the
    dtype through DLPack) every-other-element, transposed and negative-step views."""
    out = [("contiguous", to_tensor(a, dtype))]
    if dtype == "bfloat16":
        return out
    a = np.asarray(a, dtype=np_dtype(dtype))
    out.append(("strided", strided(a)))
    if a.ndim >= 2:
        out.append(("transposed", tf.from_dlpack(np.ascontiguousarray(a.T).T)))
    if a.ndim >= 1:
        out.append(("negstep", tf.from_dlpack(np.ascontiguousarray(a[::-1])[::-1])))
    return out


@st.composite
def shape_and_axis(draw, min_rank=0, max_rank=4):
    rank = draw(st.integers(min_rank, max_rank))
    shape = tuple(draw(st.lists(st.sampled_from([0, 1, 1, 2, 3, 4, 5, 7]), min_size=rank,
                                max_size=rank)))
    kind = draw(st.sampled_from(["none", "int", "list", "list", "tuple"]))
    if kind == "none" or rank == 0:
        axis = None if kind == "none" or draw(st.booleans()) else []
    elif kind == "int":
        axis = draw(st.integers(-rank, rank - 1))
    else:
        axes = draw(st.permutations(range(rank)))[:draw(st.integers(0, rank))]
        axis = [a - rank if draw(st.booleans()) else a for a in axes]
        if kind == "tuple":
            axis = tuple(axis)
    return shape, axis


# ---- reductions: every op x every dtype, random shapes and axes, every layout --------------------

@pytest.mark.parametrize("op,dtype", OP_DTYPES)
@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_reduce_matches_numpy(op, dtype, sa, keepdims, seed):
    shape, axis = sa
    rng = np.random.default_rng(seed)
    low, high = (0.5, 1.5) if op == "prod" and dtype in FLOAT_DTYPES else (-3.0, 3.0)
    a = random_array(rng, shape, dtype, low, high)
    expected = np_reduce(op, a, axis, keepdims, dtype)
    for layout, t in layouts(a, dtype):
        got = REDUCE_OPS[op](t, axis=axis, keepdims=keepdims)
        assert_close(got, expected, dtype)


@pytest.mark.parametrize("op,dtype", OP_DTYPES)
def test_reduce_every_axis_subset_rank3(op, dtype, rng):
    a = random_array(rng, (3, 4, 5), dtype)
    subsets = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2], [-1], [-3, -1], [2, 0]]
    for axis in subsets + [None, 1, -2]:
        for keepdims in (False, True):
            expected = np_reduce(op, a, axis, keepdims, dtype)
            for layout, t in layouts(a, dtype):
                got = REDUCE_OPS[op](t, axis=axis, keepdims=keepdims)
                assert_close(got, expected, dtype)


@pytest.mark.parametrize("op,dtype", OP_DTYPES)
def test_reduce_rank0(op, dtype, rng):
    a = random_array(rng, (), dtype)
    for axis in (None, []):
        got = REDUCE_OPS[op](to_tensor(a, dtype), axis=axis)
        assert_close(got, np_reduce(op, a, axis, False, dtype), dtype)
    with pytest.raises(IndexError, match=r"axis 0 is out of range for a tensor of rank 0"):
        REDUCE_OPS[op](to_tensor(a, dtype), axis=0)


@pytest.mark.parametrize("op,dtype", OP_DTYPES)
def test_reduce_large_each_path(op, dtype, rng):
    """Big enough to release the GIL, run the pairwise recursion and the leading-axis row loop."""
    low, high = (0.999, 1.001) if op == "prod" else (-3.0, 3.0)
    a = random_array(rng, (300, 257), dtype, low, high)
    for axis in (None, 0, 1):
        expected = np_reduce(op, a, axis, False, dtype)
        for layout, t in layouts(a, dtype):
            assert_close(REDUCE_OPS[op](t, axis=axis), expected, dtype)


def test_reduce_stride0_broadcast_input():
    # A broadcast view (stride 0) exported by NumPy.
    a = np.broadcast_to(np.arange(5, dtype=np.float32), (4, 5))
    t = tf.from_dlpack(a)
    assert_close(tf.reduce_sum(t, 0), np.arange(5) * 4.0, "float32")
    assert_close(tf.reduce_sum(t, 1), np.full(4, 10.0), "float32")
    assert_close(tf.reduce_max(t), np.float32(4), "float32")


# ---- TF semantics and edge values ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_int_mean_is_integer_and_truncates(dtype):
    t = tf.constant(np.array([[-7, 2], [7, 2], [3, 3]], dtype=dtype))
    got = tf.reduce_mean(t, axis=1)
    assert got.dtype.name == dtype
    assert got.numpy().tolist() == [-2, 4, 3]   # -2.5 -> -2 and 4.5 -> 4 (toward zero)
    assert tf.reduce_mean(t).numpy() == 1        # 10 / 6
    assert tf.reduce_mean(tf.constant(np.zeros((0, 3), dtype)), axis=0).numpy().tolist() == [0] * 3


def test_int32_mean_does_not_overflow_in_the_sum():
    big = np.full(4, 2**31 - 1, dtype=np.int32)
    assert tf.reduce_mean(tf.constant(big)).numpy() == 2**31 - 1


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_empty_set_values(dtype):
    t = to_tensor(np.zeros((0, 3)), dtype)
    lo, hi = (-np.inf, np.inf) if dtype in FLOAT_DTYPES else (np.iinfo(dtype).min,
                                                              np.iinfo(dtype).max)
    for fn, want in [(tf.reduce_max, lo), (tf.reduce_min, hi), (tf.reduce_sum, 0),
                     (tf.reduce_prod, 1)]:
        got = fn(t, axis=0)
        assert got.dtype.name == dtype and got.shape == (3,)
        np.testing.assert_array_equal(got.numpy(), np.full(3, want))
        assert fn(t).numpy() == want
    mean = tf.reduce_mean(t, axis=0).numpy()
    if dtype in FLOAT_DTYPES:
        assert np.isnan(np.asarray(mean, np.float64)).all()
    else:
        assert mean.tolist() == [0, 0, 0]
    # Reducing a non-empty axis of an empty tensor gives an empty result.
    assert tf.reduce_max(t, axis=1).shape == (0,)
    assert tf.reduce_sum(t, axis=1, keepdims=True).shape == (0, 1)


def test_empty_bool_reductions():
    t = tf.constant(np.zeros((2, 0), bool))
    assert tf.reduce_any(t, axis=1).numpy().tolist() == [False, False]
    assert tf.reduce_all(t, axis=1).numpy().tolist() == [True, True]
    assert tf.reduce_all(t).numpy() is np.True_


@pytest.mark.parametrize("op,dtype", OP_DTYPES)
def test_no_axes_returns_values_unchanged(op, dtype, rng):
    a = random_array(rng, (2, 3), dtype)
    got = REDUCE_OPS[op](to_tensor(a, dtype), axis=[], keepdims=True)
    assert_close(got, a, dtype)


def test_integer_sum_and_prod_wrap():
    a = np.array([2**31 - 1, 2**31 - 1, 5], dtype=np.int32)
    assert tf.reduce_sum(tf.constant(a)).numpy() == np.sum(a, dtype=np.int32)
    assert tf.reduce_prod(tf.constant(a)).numpy() == np.prod(a, dtype=np.int32)
    b = np.array([2**62, 2**62, 2**62, 3], dtype=np.int64)
    assert tf.reduce_sum(tf.constant(b)).numpy() == np.sum(b)
    assert tf.reduce_prod(tf.constant(b)).numpy() == np.prod(b)
    c = np.full((40, 3), 7, dtype=np.int64)
    np.testing.assert_array_equal(tf.reduce_prod(tf.constant(c), axis=0).numpy(), np.prod(c, 0))
    np.testing.assert_array_equal(tf.reduce_prod(tf.constant(c), axis=1).numpy(), np.prod(c, 1))


def test_float32_sum_accuracy_million(rng):
    a = rng.random(10**6).astype(np.float32) * 2 - 0.9
    exact = math.fsum(a.astype(np.float64))
    for t in (tf.constant(a), strided(a)):
        got = float(tf.reduce_sum(t).numpy())
        assert abs(got - exact) <= 1e-6 * abs(exact)
        mean = float(tf.reduce_mean(t).numpy())
        assert abs(mean - exact / a.size) <= 1e-6 * abs(exact / a.size)
    m = a.reshape(1000, 1000)
    for axis in (0, 1):
        exact_rows = np.array([math.fsum(r) for r in np.moveaxis(m, axis, -1).astype(np.float64)])
        for t in (tf.constant(m), tf.from_dlpack(np.ascontiguousarray(m.T).T)):
            got = tf.reduce_sum(t, axis=axis).numpy().astype(np.float64)
            np.testing.assert_allclose(got, exact_rows, rtol=1e-6)


def test_float64_sum_is_pairwise_accurate(rng):
    a = rng.random(10**6) + 1e4
    exact = math.fsum(a)
    assert abs(float(tf.reduce_sum(tf.constant(a)).numpy()) - exact) <= 1e-14 * exact


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("pos", [0, 5, 9, 200, 299])
def test_nan_propagates(dtype, pos, rng):
    a = random_array(rng, (300,), dtype)
    a[pos] = np.nan
    t = to_tensor(a, dtype)
    for fn in (tf.reduce_max, tf.reduce_min, tf.reduce_sum, tf.reduce_mean, tf.reduce_prod):
        assert np.isnan(np.float64(fn(t).numpy())), fn.__name__
    assert tf.argmax(t).numpy() == pos
    assert tf.argmin(t).numpy() == pos
    # Along the leading axis (the row-accumulation path) and the inner axis.
    m = random_array(rng, (6, 4), dtype)
    m[3, 1] = np.nan
    for axis, want in ((0, [False, True, False, False]), (1, [False, False, False, True, False,
                                                              False])):
        for fn in (tf.reduce_max, tf.reduce_min):
            got = np.asarray(fn(to_tensor(m, dtype), axis=axis).numpy(), np.float64)
            assert np.isnan(got).tolist() == want
    assert tf.argmax(to_tensor(m, dtype), axis=0).numpy()[1] == 3
    assert tf.argmin(to_tensor(m, dtype), axis=1).numpy()[3] == 1


def test_max_min_infinities():
    a = np.array([[-np.inf, -np.inf], [np.inf, 1.0]], np.float32)
    assert tf.reduce_max(a, axis=1).numpy().tolist() == [-np.inf, np.inf]
    assert tf.reduce_min(a, axis=0).numpy().tolist() == [-np.inf, -np.inf]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_max_min_long_rows_with_infinities(dtype, rng):
    # Long contiguous and strided runs take the vectorised lanes; infinities are ordinary values.
    a = random_array(rng, (5, 301), dtype)
    a[0, 17] = -np.inf
    a[1, :] = -np.inf
    a[2, 100] = np.inf
    a[3, :] = np.inf
    a[4, 250] = -np.inf
    a[4, 251] = np.inf
    for layout, t in layouts(a, dtype):
        for axis in (1, 0, None):
            assert_close(tf.reduce_max(t, axis=axis), np.max(a, axis=axis), dtype)
            assert_close(tf.reduce_min(t, axis=axis), np.min(a, axis=axis), dtype)
        assert_close(tf.argmax(t, axis=1), np.argmax(a, axis=1), "int64")
        assert_close(tf.argmin(t, axis=1), np.argmin(a, axis=1), "int64")


# ---- Python argument forms ------------------------------------------------------------------------

def test_argument_forms():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    want = a.sum(axis=(0, 2))
    for axis in ([0, 2], (0, -1), np.array([0, 2]), tf.constant([0, 2]),
                 tf.constant(np.array([0, 2], np.int64))):
        assert_close(tf.reduce_sum(a, axis=axis), want, "float32")
    assert_close(tf.reduce_sum(a, axis=np.int64(1)), a.sum(1), "float32")
    assert_close(tf.reduce_sum(a.tolist(), axis=1), a.sum(1), "float32")
    assert_close(tf.math.reduce_prod([[1, 2], [3, 4]], axis=0), np.array([3, 8]), "int32")
    assert_close(tf.math.reduce_mean(a, 1, True), a.mean(1, keepdims=True), "float32")
    assert tf.reduce_any([True, False]).numpy() and not tf.reduce_all([True, False]).numpy()
    assert_close(tf.reduce_max(a, axis=None, keepdims=True), np.full((1, 1, 1), 23.0), "float32")
    with pytest.raises(TypeError, match="axis"):
        tf.reduce_sum(a, axis=1.0)
    with pytest.raises(TypeError, match="axis must be an int32 or int64 tensor"):
        tf.reduce_sum(a, axis=tf.constant([1.0]))


# ---- bad inputs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("op,dtype", OP_DTYPES)
def test_axis_out_of_range(op, dtype):
    t = to_tensor(np.zeros((2, 3)), dtype)
    for axis in (2, -3, [0, 5]):
        bad = axis[-1] if isinstance(axis, list) else axis
        with pytest.raises(IndexError, match=rf"reduce_{op}: axis {bad} is out of range for a "
                                             rf"tensor of rank 2 \(shape \(2, 3\)\)"):
            REDUCE_OPS[op](t, axis=axis)


@pytest.mark.parametrize("op", sorted(REDUCE_OPS))
def test_repeated_axis(op):
    t = tf.constant(np.zeros((2, 3), bool if op in BOOL_OPS else np.float32))
    for axis in ([1, 1], [0, -2], [1, 0, -1]):
        with pytest.raises(ValueError, match=rf"reduce_{op}: axis -?\d is repeated in axes"):
            REDUCE_OPS[op](t, axis=axis)


@pytest.mark.parametrize("op", NUMERIC_OPS)
def test_numeric_reduction_of_bool_is_type_error(op):
    with pytest.raises(TypeError, match=rf"reduce_{op}: expected a numeric tensor .* got bool"):
        REDUCE_OPS[op](tf.constant([True, False]))


@pytest.mark.parametrize("op", BOOL_OPS)
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_logical_reduction_of_numbers_is_type_error(op, dtype):
    with pytest.raises(TypeError, match=rf"reduce_{op}: expected a bool tensor, got {dtype}"):
        REDUCE_OPS[op](to_tensor(np.ones((2, 2)), dtype), axis=0)


# ---- argmax / argmin ---------------------------------------------------------------------------

ARG_DTYPES = ["bool"] + NUMERIC_DTYPES


@st.composite
def shape_and_one_axis(draw):
    rank = draw(st.integers(1, 4))
    shape = list(draw(st.lists(st.sampled_from([0, 1, 2, 3, 5, 8]), min_size=rank, max_size=rank)))
    axis = draw(st.integers(-rank, rank - 1))
    if shape[axis] == 0:
        shape[axis] = draw(st.sampled_from([1, 4]))
    return tuple(shape), axis


@pytest.mark.parametrize("is_max", [True, False])
@pytest.mark.parametrize("dtype", ARG_DTYPES)
@given(sa=shape_and_one_axis(), out=st.sampled_from(["int32", "int64"]),
       seed=st.integers(0, 2**32 - 1))
def test_argreduce_matches_numpy(is_max, dtype, sa, out, seed):
    shape, axis = sa
    rng = np.random.default_rng(seed)
    # Few distinct values, so ties are common: the first index must win.
    a = random_array(rng, shape, dtype, -1.0, 1.0)
    if dtype in FLOAT_DTYPES:
        a = np.round(a * 2).astype(a.dtype) / 2
    expected = (np.argmax if is_max else np.argmin)(a, axis=axis).astype(out)
    fn = tf.argmax if is_max else tf.argmin
    for layout, t in layouts(a, dtype):
        got = fn(t, axis=axis, output_type=getattr(tf, out))
        assert_close(got, expected, out)


@pytest.mark.parametrize("dtype", ARG_DTYPES)
def test_argreduce_ties_and_defaults(dtype):
    a = np.array([[1, 3, 3, 0], [0, 0, 2, 2], [3, 3, 0, 0]])
    if dtype == "bool":
        a = a > 1
    t = to_tensor(a, dtype)
    assert_close(tf.argmax(t), np.argmax(a, axis=0), "int64")  # axis None means 0, as TF
    assert_close(tf.argmin(t), np.argmin(a, axis=0), "int64")
    assert_close(tf.math.argmax(t, axis=-1, output_type=tf.int32), np.argmax(a, 1), "int32")
    assert_close(tf.argmin(t, 1, output_type="int32"), np.argmin(a, 1), "int32")
    assert_close(tf.argmax(t, axis=tf.constant(1)), np.argmax(a, 1), "int64")


def test_argreduce_both_strategies_large(rng):
    a = rng.standard_normal((257, 300)).astype(np.float32)
    for axis in (0, 1):
        for layout, t in layouts(a, "float32"):
            assert_close(tf.argmax(t, axis), np.argmax(a, axis), "int64")
            assert_close(tf.argmin(t, axis), np.argmin(a, axis), "int64")


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64", "float16"])
def test_argreduce_long_rows_with_ties(dtype, rng):
    a = rng.integers(0, 3, size=(40, 999)).astype(dtype)
    for axis in (0, 1, -1):
        for layout, t in layouts(a, dtype):
            assert_close(tf.argmax(t, axis), np.argmax(a, axis), "int64")
            assert_close(tf.argmin(t, axis), np.argmin(a, axis), "int64")


def test_argreduce_empty_output():
    t = tf.constant(np.zeros((0, 3), np.float32))
    assert tf.argmax(t, axis=1).shape == (0,)
    with pytest.raises(ValueError, match=r"argmax: axis 0 of shape \(0, 3\) is empty"):
        tf.argmax(t, axis=0)
    with pytest.raises(ValueError, match=r"argmin: axis -2 of shape \(0, 3\) is empty"):
        tf.argmin(t, axis=-2)


def test_argreduce_bad_inputs():
    t = tf.constant([[1.0, 2.0]])
    with pytest.raises(TypeError, match="argmax: output_type must be int32 or int64, got float32"):
        tf.argmax(t, output_type=tf.float32)
    with pytest.raises(TypeError, match="argmin: output_type must be int32 or int64, got bool"):
        tf.argmin(t, output_type=tf.bool)
    with pytest.raises(IndexError, match="argmax: axis 2 is out of range for a tensor of rank 2"):
        tf.argmax(t, axis=2)
    with pytest.raises(IndexError, match="argmin: axis -3 is out of range for a tensor of rank 2"):
        tf.argmin(t, axis=-3)
    with pytest.raises(ValueError, match=r"argmax: the input is a scalar"):
        tf.argmax(tf.constant(1.0))
    with pytest.raises(TypeError, match="axis must be an int"):
        tf.argmax(t, axis=[0])


# ---- softmax / log_softmax ----------------------------------------------------------------------

@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@given(sa=shape_and_one_axis(), seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1, 30]))
def test_softmax_matches_numpy(log, dtype, sa, seed, scale):
    shape, axis = sa
    rng = np.random.default_rng(seed)
    a = random_array(rng, shape, dtype, -scale, scale)
    expected = np_softmax(a, axis, log)
    fn = tf.nn.log_softmax if log else tf.nn.softmax
    for layout, t in layouts(a, dtype):
        assert_close(fn(t, axis=axis), expected, dtype)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_each_axis_and_layout(log, dtype, rng):
    a = random_array(rng, (3, 40, 5, 6), dtype, -5, 5)
    fn = tf.nn.log_softmax if log else tf.nn.softmax
    for axis in (0, 1, 2, 3, -1, -4):
        expected = np_softmax(a, axis, log)
        for layout, t in layouts(a, dtype):
            assert_close(fn(t, axis=axis), expected, dtype)
    assert_close(fn(to_tensor(a, dtype)), np_softmax(a, -1, log), dtype)  # axis None: the last


@pytest.mark.parametrize("log", [False, True])
def test_softmax_large_inputs(log):
    fn = tf.nn.log_softmax if log else tf.nn.softmax
    a = np.array([[1e4, -1e4, 0.0, 1e4 - 1], [-1e4, -1e4 + 2, -1e4, -1e4]], np.float32)
    for dtype in ("float32", "float64"):
        for axis in (0, 1):
            got = fn(to_tensor(a, dtype), axis=axis)
            assert np.isfinite(got.numpy()).all()
            assert_close(got, np_softmax(a, axis, log), dtype)
    big = np.random.default_rng(0).uniform(-1e4, 1e4, size=(64, 1000)).astype(np.float32)
    for axis in (0, 1):
        assert_close(fn(big, axis=axis), np_softmax(big, axis, log), "float32")


@pytest.mark.parametrize("log", [False, True])
def test_softmax_wide_range_exp(log, rng):
    # exp(x - max) from 0 down past float32's underflow, in every lane position.
    a = np.linspace(-120, 0, 4099).astype(np.float32)
    rng.shuffle(a)
    fn = tf.nn.log_softmax if log else tf.nn.softmax
    for t in (tf.constant(a), strided(a)):
        assert_close(fn(t), np_softmax(a, -1, log), "float32")
    m = a[:4096].reshape(64, 64)
    for axis in (0, 1):
        assert_close(fn(m, axis=axis), np_softmax(m, axis, log), "float32")


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_infinities_and_nan(log, dtype):
    a = np.array([[-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 1.0], [np.inf, 0.0, 1.0],
                  [np.nan, 0.0, 1.0]])
    fn = tf.nn.log_softmax if log else tf.nn.softmax
    for axis in (1, 0):
        expected = np_softmax(a.astype(np_dtype(dtype)), axis, log)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_close(fn(to_tensor(a, dtype), axis=axis), expected, dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_size0_and_size1(dtype):
    for shape, axis in (((0, 3), 1), ((0, 3), 0), ((2, 0), 1), ((2, 0), 0)):
        t = to_tensor(np.zeros(shape), dtype)
        for fn in (tf.nn.softmax, tf.nn.log_softmax):
            got = fn(t, axis=axis)
            assert got.shape == shape and got.dtype.name == dtype
    t = to_tensor(np.array([[3.0], [-2.0]]), dtype)
    assert_close(tf.nn.softmax(t), np.ones((2, 1)), dtype)
    assert_close(tf.nn.log_softmax(t), np.zeros((2, 1)), dtype)


def test_softmax_sums_to_one(rng):
    a = rng.standard_normal((7, 1001)).astype(np.float32) * 10
    s = tf.nn.softmax(a).numpy().astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(s, 1.0, rtol=1e-5)
    assert tf.math.softmax is tf.nn.softmax and tf.math.log_softmax is tf.nn.log_softmax


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_rejects_non_float(dtype, name):
    with pytest.raises(TypeError, match=rf"{name}: expected a float tensor .* got {dtype}"):
        getattr(tf.nn, name)(to_tensor(np.ones((2, 2)), dtype))


def test_softmax_bad_axis_and_rank():
    t = tf.constant([[1.0, 2.0]])
    with pytest.raises(IndexError, match="softmax: axis 2 is out of range for a tensor of rank 2"):
        tf.nn.softmax(t, axis=2)
    with pytest.raises(IndexError, match="log_softmax: axis -3 is out of range"):
        tf.nn.log_softmax(t, axis=-3)
    with pytest.raises(ValueError, match=r"softmax: the logits are a scalar"):
        tf.nn.softmax(tf.constant(1.0))
    with pytest.raises(TypeError, match="axis must be an int"):
        tf.nn.softmax(t, axis=1.5)


# ---- no leaks, on success and on every error path -----------------------------------------------

def test_no_leaks(rng):
    a = tf.constant(rng.standard_normal((50, 40)).astype(np.float32))
    h = tf.cast(a, "float16")
    i = tf.constant(rng.integers(-5, 5, (50, 40)).astype(np.int32))
    b = tf.constant(rng.random((50, 40)) < 0.5)

    def work():
        for t in (a, h, i):
            for fn in (tf.reduce_sum, tf.reduce_mean, tf.reduce_max, tf.reduce_prod):
                fn(t), fn(t, 0), fn(t, 1, keepdims=True), fn(t, [])
            tf.argmax(t, 0), tf.argmin(t, 1, output_type=tf.int32)
        tf.reduce_any(b, 0), tf.reduce_all(b)
        for t in (a, h):
            tf.nn.softmax(t, 0), tf.nn.log_softmax(t, 1)
        for bad in (lambda: tf.reduce_sum(a, 7), lambda: tf.reduce_sum(a, [0, 0]),
                    lambda: tf.reduce_sum(b), lambda: tf.argmax(a, output_type=tf.float32),
                    lambda: tf.nn.softmax(i), lambda: tf.argmax(np.zeros((0, 2), np.float32), 0)):
            with pytest.raises((ValueError, TypeError, IndexError)):
                bad()

    work()
    before = (tf._core.live_storages(), tf._core.live_bytes())
    work()
    assert (tf._core.live_storages(), tf._core.live_bytes()) == before


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_big_full_reductions_split_in_blocks_match_numpy(dtype):
    rng = np.random.default_rng(5)
    a = (rng.standard_normal(3_000_017) * 50).astype(dtype)
    t = tf.constant(a)
    np.testing.assert_allclose(tf.reduce_sum(t).numpy(), a.sum(dtype=np.float64 if dtype[0] == "f" else a.dtype),
                               rtol=1e-6 if dtype == "float32" else 1e-12)
    assert tf.reduce_max(t).numpy() == a.max() and tf.reduce_min(t).numpy() == a.min()
    np.testing.assert_allclose(tf.reduce_mean(t).numpy(), a.mean() if dtype[0] == "f" else int(a.sum()) // len(a) if a.sum() >= 0 else -((-int(a.sum())) // len(a)), rtol=1e-6)
    assert tf.reduce_any(tf.constant(a > 199)).numpy() == (a > 199).any()
