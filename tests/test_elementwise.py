"""Elementwise ops (lm_binary, lm_unary, lm_where, lm_clip, lm_cast) against NumPy as the oracle."""
import math
import operator
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import lamina as tf
import op_oracles
from lamina import _core
from conftest import (ALL_DTYPES, FLOAT_DTYPES, NUMERIC_DTYPES, RTOL, assert_close, np_dtype,
                      random_array, strided, to_tensor)

INT_DTYPES = ["int32", "int64"]
EXACT_FLOATS = ["float16", "float32", "float64"]  # float dtypes NumPy has natively


def _np_ref(fn, *arrays):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*arrays)


def round_to(a, dtype):
    """NumPy values rounded to a lamina dtype, as a NumPy array (bfloat16 kept in float32)."""
    a = np.asarray(a)
    with np.errstate(all="ignore"):
        if dtype == "bfloat16":
            return tf.cast(tf.constant(a.astype(np.float32)), "bfloat16").numpy()
        return a.astype(np_dtype(dtype))


def compute_dtype(dtype):
    """The NumPy dtype the oracle computes a lamina dtype in (halves in float32, as lamina)."""
    return np.float32 if dtype in ("float16", "bfloat16") else np.dtype(dtype)


# ------------------------------------------------------------------------------------------------
# binary ops: every op x every dtype it accepts
# ------------------------------------------------------------------------------------------------

# name -> (lamina function, NumPy function, accepted dtypes): every binary op of the registry
ARITH = ["add", "subtract", "multiply", "truediv", "floordiv", "floormod", "pow", "maximum",
         "minimum"]
BINARY = {op.name: (op.fn, op_oracles.BINARY[op.name], list(op.dtypes))
          for op in op_oracles.ops("binary")}
BINARY_CASES = [(op, dt) for op, (_, _, dts) in BINARY.items() for dt in dts]
BINARY_REJECTS = [(op, dt) for op, (_, _, dts) in BINARY.items() for dt in ALL_DTYPES
                  if dt not in dts]


def binary_inputs(rng, op, dtype, shape_a, shape_b):
    """Random operands for op: no integer zero divisors, small non-negative integer exponents."""
    a = random_array(rng, shape_a, dtype)
    b = random_array(rng, shape_b, dtype)
    if dtype in INT_DTYPES and op in ("floordiv", "floormod"):
        b = np.where(b == 0, 1, b).astype(dtype)
    if dtype in INT_DTYPES and op == "pow":
        a = rng.integers(-4, 5, size=shape_a).astype(dtype)
        b = rng.integers(0, 7, size=shape_b).astype(dtype)
    if dtype in FLOAT_DTYPES and op in ("floordiv", "floormod") and rng.random() < 0.5:
        b = np.where(np.abs(b) < 0.25, 0.5, b).astype(b.dtype)  # also test without zero divisors
    return a, b


def binary_expected(op, a, b, dtype):
    """The NumPy result, computed in the dtype lamina computes in, in the result dtype."""
    fn = BINARY[op][1]
    cd = compute_dtype(dtype)
    r = _np_ref(fn, a.astype(cd), b.astype(cd))
    if r.dtype == np.bool_:
        return r, "bool"
    if op == "truediv" and dtype in INT_DTYPES:
        return r.astype(np.float64), "float64"
    return round_to(r, dtype), dtype


def check_binary(op, ta, tb, a, b, dtype):
    out = BINARY[op][0](ta, tb)
    expected, odt = binary_expected(op, a, b, dtype)
    assert isinstance(out, tf.Tensor)
    if odt in ("float32", "float64") and op in ("floordiv", "floormod", "maximum", "minimum"):
        # exact algorithms: bit-for-bit equal to NumPy
        assert out.dtype.name == odt
        np.testing.assert_array_equal(out.numpy(), expected)
    else:
        assert_close(out, expected, odt)
    return out


@pytest.mark.parametrize("op,dtype", BINARY_CASES)
def test_binary_every_op_and_dtype(rng, op, dtype):
    a, b = binary_inputs(rng, op, dtype, (3, 5), (3, 5))
    check_binary(op, to_tensor(a, dtype), to_tensor(b, dtype), a, b, dtype)
    # a scalar on either side, and a longer run (past the float16 chunk size)
    a, b = binary_inputs(rng, op, dtype, (700,), ())
    check_binary(op, to_tensor(a, dtype), to_tensor(b, dtype), a, b, dtype)
    b2, a2 = binary_inputs(rng, op, dtype, (), (2, 300))
    if op == "pow" and dtype in INT_DTYPES:
        a2, b2 = np.abs(a2), np.abs(b2)  # here a2 is the exponent
    check_binary(op, to_tensor(b2, dtype), to_tensor(a2, dtype), b2, a2, dtype)


@pytest.mark.parametrize("op,dtype", BINARY_REJECTS)
def test_binary_rejects_dtype(op, dtype):
    x = to_tensor(np.zeros((2,), np_dtype(dtype)), dtype)
    with pytest.raises(TypeError, match=rf"{op}: dtype {dtype} is not supported.*\(2,\)"):
        BINARY[op][0](x, x)


@pytest.mark.parametrize("op,dtype", [
    (op, dt) for op in ["add", "multiply", "truediv", "floordiv", "floormod", "pow", "maximum",
                        "less", "equal", "logical_or"]
    for dt in ["bool", "int32", "int64", "float16", "float32", "float64"] if dt in BINARY[op][2]])
def test_binary_non_contiguous(rng, op, dtype):
    a, b = binary_inputs(rng, op, dtype, (4, 6), (4, 6))
    # every other element of a bigger buffer, against a transposed view
    bt = np.ascontiguousarray(b.T)
    ta, tb = strided(a), tf.from_dlpack(bt.T)
    assert not ta._is_contiguous and not tb._is_contiguous
    check_binary(op, ta, tb, a, b, dtype)
    # negative steps, broadcast against a strided row
    big = np.ascontiguousarray(a[::-1, ::-1])
    ta = tf.from_dlpack(big[::-1, ::-1])
    assert ta._strides == (-6, -1)
    check_binary(op, ta, strided(b[:1]), a, b[:1], dtype)
    c, d = binary_inputs(rng, op, dtype, (4, 1), (4, 6))
    big = np.ascontiguousarray(d[::-1])
    check_binary(op, strided(c), tf.from_dlpack(big[::-1]), c, d, dtype)


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0,
                                            max_side=4),
       op=st.sampled_from(["add", "subtract", "floordiv", "floormod", "maximum", "less", "equal",
                           "logical_xor", "truediv"]),
       dtype=st.sampled_from(ALL_DTYPES), seed=st.integers(0, 2**32 - 1),
       layout=st.sampled_from(["contiguous", "strided"]))
def test_binary_broadcasting(shapes, op, dtype, seed, layout):
    if dtype not in BINARY[op][2]:
        dtype = BINARY[op][2][-1]
    rng = np.random.default_rng(seed)
    (sa, sb), out_shape = shapes
    a, b = binary_inputs(rng, op, dtype, sa, sb)
    if layout == "strided" and dtype != "bfloat16":
        ta, tb = strided(a), strided(b)
    else:
        ta, tb = to_tensor(a, dtype), to_tensor(b, dtype)
    out = check_binary(op, ta, tb, a, b, dtype)
    assert tuple(out.shape) == out_shape


@pytest.mark.parametrize("op", ["add", "floordiv", "less", "logical_and"])
def test_binary_bad_broadcast(op):
    dtype = BINARY[op][2][0]
    a = to_tensor(np.zeros((2, 3), np_dtype(dtype)), dtype)
    b = to_tensor(np.zeros((4,), np_dtype(dtype)), dtype)
    with pytest.raises(ValueError, match=rf"{op}: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        BINARY[op][0](a, b)
    with pytest.raises(ValueError, match=r"\(0,\) and \(2, 3\)"):
        BINARY[op][0](to_tensor(np.zeros((0,), np_dtype(dtype)), dtype), a)


@pytest.mark.parametrize("op", ["add", "truediv", "pow", "equal", "logical_and", "less"])
def test_binary_dtype_mismatch(op):
    a = tf.constant([1.0, 2.0])
    b = tf.constant([1, 2, 3])
    with pytest.raises(TypeError, match=rf"{op}: dtype mismatch: float32 and int32 "
                                        r"\(shapes \(2,\) and \(3,\)\)"):
        BINARY[op][0](a, b)
    with pytest.raises(TypeError, match="dtype mismatch: float16 and float64"):
        BINARY[op][0](tf.cast(a, "float16"), tf.cast(a, "float64"))


def test_binary_result_dtypes():
    for dt in NUMERIC_DTYPES:
        x = to_tensor([1, 2], dt)
        assert tf.add(x, x).dtype.name == dt
        assert tf.pow(x, x).dtype.name == dt
        assert tf.less(x, x).dtype.name == "bool"
        assert tf.divide(x, x).dtype.name == ("float64" if dt in INT_DTYPES else dt)
    b = tf.constant([True, False])
    assert tf.equal(b, b).dtype.name == "bool"
    assert tf.logical_and(b, b).dtype.name == "bool"


# ------------------------------------------------------------------------------------------------
# integer corner cases: wrapping, division by zero, INT_MIN // -1, negative powers
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_wraparound(dtype):
    info = np.iinfo(dtype)
    a = np.array([info.max, info.min, info.max, info.min, 12345, -7], dtype)
    b = np.array([1, -1, info.max, 2, 99999, info.min], dtype)
    ta, tb = tf.constant(a), tf.constant(b)
    for fn, nfn in [(tf.add, np.add), (tf.subtract, np.subtract), (tf.multiply, np.multiply)]:
        np.testing.assert_array_equal(fn(ta, tb).numpy(), _np_ref(nfn, a, b))
    m = np.array([info.min, info.min + 1, -1, 0, info.max], dtype)
    tm = tf.constant(m)
    np.testing.assert_array_equal(tf.negative(tm).numpy(), _np_ref(np.negative, m))
    np.testing.assert_array_equal(tf.abs(tm).numpy(), _np_ref(np.abs, m))
    np.testing.assert_array_equal(tf.square(tm).numpy(), _np_ref(np.square, m))
    assert tf.abs(tm).numpy()[0] == info.min  # as NumPy: abs(INT_MIN) wraps


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_floor_division(rng, dtype):
    info = np.iinfo(dtype)
    vals = np.array([info.min, info.min + 1, -7, -6, -1, 0, 1, 6, 7, info.max], dtype)
    divs = np.array([info.min, -7, -2, -1, 1, 2, 7, info.max], dtype)
    a, b = np.meshgrid(vals, divs)
    a, b = a.astype(dtype), b.astype(dtype)
    ta, tb = tf.constant(a), tf.constant(b)
    np.testing.assert_array_equal(tf.math.floordiv(ta, tb).numpy(), _np_ref(np.floor_divide, a, b))
    np.testing.assert_array_equal(tf.math.floormod(ta, tb).numpy(), _np_ref(np.remainder, a, b))
    # INT_MIN // -1 does not trap: NumPy's wrapped result
    mn, m1 = tf.constant(np.array([info.min], dtype)), tf.constant(np.array([-1], dtype))
    assert (mn // m1).numpy()[0] == info.min
    assert (mn % m1).numpy()[0] == 0


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("op", ["floordiv", "floormod"])
def test_integer_division_by_zero(dtype, op):
    a = tf.constant(np.array([[5, 6, 7]], dtype))
    b = tf.constant(np.array([[1, 0, 2]], dtype))
    fn = BINARY[op][0]
    with pytest.raises(ValueError, match=rf"{op}: integer division by zero"):
        fn(a, b)
    with pytest.raises(ValueError, match="integer division by zero"):
        fn(strided(np.array([[5, 6], [7, 8]], dtype)), tf.constant(np.array([3, 0], dtype)))
    with pytest.raises(ValueError, match="integer division by zero"):
        a // 0 if op == "floordiv" else a % 0
    before = _core.live_storages()
    for _ in range(3):
        with pytest.raises(ValueError):
            fn(a, b)
    assert _core.live_storages() == before  # the output is released on the error path
    # true division by an integer zero is not an error: float64 inf / nan, as tf.math.truediv
    r = tf.math.truediv(a, b).numpy()
    np.testing.assert_array_equal(r, [[5.0, np.inf, 3.5]])


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_pow(rng, dtype):
    base = np.array([0, 1, -1, 2, -2, 3, -3, 7, 0], dtype)
    exp = np.array([0, 63, 64, 10, 11, 40, 41, 30, 5], dtype)
    got = tf.pow(tf.constant(base), tf.constant(exp)).numpy()
    np.testing.assert_array_equal(got, _np_ref(np.power, base, exp))  # wraps like NumPy
    assert (tf.constant(np.array([3], dtype)) ** 2).numpy()[0] == 9
    with pytest.raises(ValueError, match="pow: Integers to negative integer powers are not allowed"):
        tf.pow(tf.constant(base), tf.constant(np.array([1, 2, 3, -1, 2, 3, 4, 5, 6], dtype)))
    with pytest.raises(ValueError, match="negative integer powers"):
        tf.constant(np.array([2, 3], dtype)) ** -1
    with pytest.raises(ValueError, match="negative integer powers"):
        tf.pow(strided(np.array([2, 3], dtype)), tf.constant(np.array(-2, dtype)))


# ------------------------------------------------------------------------------------------------
# float corner cases: inf, nan, signed zeros, zero divisors
# ------------------------------------------------------------------------------------------------

def special_floats(dtype):
    if dtype == "bfloat16":
        big, tiny = 3.3895313892515355e38, 1.1754943508222875e-38
    else:
        info = np.finfo(np_dtype(dtype))
        big, tiny = float(info.max), float(info.tiny)
    return np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.0,
                     -7.25, 1e3 if dtype != "float16" else 1e2, tiny, -tiny, big, -big])


def _same_bits(got, expected):
    got, expected = np.asarray(got), np.asarray(expected)
    np.testing.assert_array_equal(got, expected)  # NaN matches NaN
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.signbit(got)[~nan], np.signbit(expected)[~nan])


@pytest.mark.parametrize("dtype", EXACT_FLOATS)
@pytest.mark.parametrize("op", ["floordiv", "floormod"])
def test_float_floordiv_mod_special_values_match_numpy(dtype, op):
    v = special_floats(dtype).astype(dtype)
    a, b = np.meshgrid(v, v)
    got = BINARY[op][0](tf.constant(a), tf.constant(b))
    assert got.dtype.name == dtype
    _same_bits(got.numpy(), _np_ref(BINARY[op][1], a, b))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "truediv", "pow", "maximum",
                                "minimum", "equal", "not_equal", "less", "less_equal", "greater",
                                "greater_equal", "floordiv", "floormod"])
def test_float_special_values(dtype, op):
    v = round_to(special_floats(dtype), dtype)
    a, b = np.meshgrid(v, v)
    a, b = a.astype(np_dtype(dtype)), b.astype(np_dtype(dtype))
    got = BINARY[op][0](to_tensor(a, dtype), to_tensor(b, dtype))
    expected, odt = binary_expected(op, a, b, dtype)
    assert got.dtype.name == odt
    if op in ("maximum", "minimum"):  # NaN propagates from either side
        assert np.isnan(got.numpy()[np.isnan(a) | np.isnan(b)]).all()
    if odt == "bool" or op in ("maximum", "minimum"):
        np.testing.assert_array_equal(got.numpy(), expected)
    else:
        assert_close(got, expected, odt)


# ------------------------------------------------------------------------------------------------
# Python scalars and NumPy arrays through the Tensor operators
# ------------------------------------------------------------------------------------------------

def test_operators_with_python_scalars():
    t = tf.constant([1.0, 2.0, 4.0])
    cases = [
        (t + 1, [2, 3, 5]), (2.0 * t, [2, 4, 8]), (1 - t, [0, -1, -3]), (t ** 2, [1, 4, 16]),
        (t / 2, [0.5, 1, 2]), (2 / t, [2, 1, 0.5]), (t // 1.5, [0, 1, 2]), (7 % t, [0, 1, 3]),
        (2 ** t, [2, 4, 16]), (t - 0.5, [0.5, 1.5, 3.5]), (-t, [-1, -2, -4]), (abs(-t), [1, 2, 4]),
        (+t, [1, 2, 4]),
    ]
    for got, want in cases:
        assert isinstance(got, tf.Tensor)
        assert_close(got, np.array(want, np.float32), "float32")
    i = tf.constant([1, 2, 3])
    assert_close(i + 1, np.array([2, 3, 4], np.int32), "int32")
    assert_close(i * 2, np.array([2, 4, 6], np.int32), "int32")
    assert_close(i / 2, np.array([0.5, 1, 1.5]), "float64")
    assert_close(10 // i, np.array([10, 5, 3], np.int32), "int32")
    assert_close(i ** 2, np.array([1, 4, 9], np.int32), "int32")
    h = tf.cast(t, "float16")
    assert_close(h * 3, np.array([3, 6, 12], np.float16), "float16")
    assert_close(t < 2, np.array([True, False, False]), "bool")
    assert_close(2 <= t, np.array([False, True, True]), "bool")
    assert_close(t == 2, np.array([False, True, False]), "bool")
    assert_close(t != 2, np.array([True, False, True]), "bool")
    assert (t == None) is False and (t != None) is True  # noqa: E711


def test_operators_reject_lossy_scalars():
    i = tf.constant([1, 2, 3])
    with pytest.raises(TypeError, match="1.5"):
        i + 1.5
    with pytest.raises(TypeError):
        1.5 * i
    with pytest.raises(TypeError):
        tf.constant([True, False]) + 1
    with pytest.raises(TypeError, match="dtype mismatch: int32 and float32"):
        i + tf.constant([1.0, 2.0, 3.0])


def test_operators_with_numpy_arrays():
    t = tf.constant([1.0, 2.0])
    for got in (np.array([1.0, 2.0], np.float32) + t, t + np.array([1.0, 2.0]),
                np.float32(1.0) + t + 1.0):
        assert isinstance(got, tf.Tensor) and got.dtype.name == "float32"
    assert_close(np.array([[1.0], [2.0]]) * t, np.array([[1, 2], [2, 4]], np.float32), "float32")
    assert_close(np.array([3.0, 4.0], np.float32) - t, np.array([2, 2], np.float32), "float32")
    assert_close(np.array([1, 2], np.int32) + tf.constant([1, 1]), np.array([2, 3], np.int32))


def test_logical_operators():
    a = tf.constant([True, True, False, False])
    b = tf.constant([True, False, True, False])
    assert_close(a & b, np.array([True, False, False, False]), "bool")
    assert_close(a | b, np.array([True, True, True, False]), "bool")
    assert_close(a ^ b, np.array([False, True, True, False]), "bool")
    assert_close(~a, np.array([False, False, True, True]), "bool")
    assert_close(a & True, np.array([True, True, False, False]), "bool")
    assert_close(False | b, np.array([True, False, True, False]), "bool")
    i = tf.constant([1, 2, 3, 4])
    with pytest.raises(TypeError, match="logical"):
        i & i
    with pytest.raises(TypeError, match="logical_not"):
        ~i
    with pytest.raises(TypeError, match=r"logical_and: dtype int32 is not supported.*bool"):
        tf.logical_and(i, i)
    with pytest.raises(TypeError, match=r"logical_not: dtype float32 is not supported.*bool"):
        tf.logical_not(tf.constant([1.0]))


# ------------------------------------------------------------------------------------------------
# unary ops
# ------------------------------------------------------------------------------------------------

# name -> (lamina function, NumPy oracle computed in float64): every unary op of the registry
UNARY = {op.name: (op.fn, op_oracles.UNARY[op.name].fn) for op in op_oracles.ops("unary")}
NUMERIC_UNARY = [op.name for op in op_oracles.ops("unary") if "int32" in op.dtypes]
FLOAT_UNARY = [op.name for op in op_oracles.ops("unary") if op.dtypes == tuple(FLOAT_DTYPES)]
UNARY_CASES = [(op.name, dt) for op in op_oracles.ops("unary") for dt in op.dtypes]


def unary_expected(op, x, dtype):
    fn = UNARY[op][1]
    if dtype in INT_DTYPES:
        return _np_ref(fn, x).astype(dtype)
    # The oracle in float64 on the same input values, rounded once to the result dtype.
    return round_to(_np_ref(fn, x.astype(np.float64)), dtype)


def check_unary(op, t, x, dtype):
    got = UNARY[op][0](t)
    expected = unary_expected(op, x, dtype)
    assert_close(got, expected, dtype)
    return got


@pytest.mark.parametrize("op,dtype", UNARY_CASES)
def test_unary_every_op_and_dtype(rng, op, dtype):
    low, high = (0.01, 10.0) if op_oracles.UNARY[op].positive else (-8.0, 8.0)
    x = random_array(rng, (3, 7), dtype, low, high)
    check_unary(op, to_tensor(x, dtype), x, dtype)
    x = random_array(rng, (700,), dtype, low, high)  # longer than one float16 chunk
    check_unary(op, to_tensor(x, dtype), x, dtype)
    x = random_array(rng, (), dtype, low, high)
    assert check_unary(op, to_tensor(x, dtype), x, dtype).shape == ()


@pytest.mark.parametrize("op,dtype", [c for c in UNARY_CASES if c[1] != "bfloat16"])
def test_unary_non_contiguous(rng, op, dtype):
    x = random_array(rng, (5, 4, 3), dtype, 0.1 if op_oracles.UNARY[op].positive else -3, 3)
    check_unary(op, strided(x), x, dtype)
    xt = np.ascontiguousarray(np.transpose(x, (2, 0, 1)))
    check_unary(op, tf.from_dlpack(np.transpose(xt, (1, 2, 0))), x, dtype)
    big = np.ascontiguousarray(x[::-1])
    check_unary(op, tf.from_dlpack(big[::-1, :, ::2]), x[:, :, ::2], dtype)
    check_unary(op, to_tensor(x[:0], dtype), x[:0], dtype)  # size 0


@pytest.mark.parametrize("op,dtype", [c for c in UNARY_CASES if c[1] in FLOAT_DTYPES])
def test_unary_special_values(op, dtype):
    v = special_floats(dtype)
    v = np.concatenate([v, [20.0, -20.0, 50.0, -50.0, 88.0, -88.0, 89.0, -89.0, 700.0, -700.0,
                            710.0, -710.0, 1e-8, -1e-8]])
    x = round_to(v, dtype)
    got = check_unary(op, to_tensor(x, dtype), x, dtype).numpy()
    expected = unary_expected(op, x, dtype)
    # exact where the answer is exact: infinities, NaNs, zeros and their signs
    exact = np.isinf(expected) | np.isnan(expected) | (expected == 0)
    np.testing.assert_array_equal(got[exact], expected[exact])
    if op in ("negative", "abs", "sign", "square", "sqrt", "reciprocal", "tanh"):
        np.testing.assert_array_equal(np.signbit(got[exact & ~np.isnan(expected)]),
                                      np.signbit(expected[exact & ~np.isnan(expected)]))
    if op in ("sigmoid", "softplus", "tanh", "erf"):
        assert np.isfinite(got[np.isfinite(x)]).all()  # large |x| does not overflow


def test_unary_large_magnitudes():
    x = np.array([-1e4, -800.0, -100.0, -40.0, 40.0, 100.0, 800.0, 1e4])
    for dtype in ("float32", "float64"):
        t = to_tensor(x, dtype)
        s = tf.sigmoid(t).numpy()
        assert np.all((s >= 0) & (s <= 1)) and s[0] == 0 and s[-1] == 1
        sp = tf.nn.softplus(t).numpy()
        np.testing.assert_allclose(sp, np.logaddexp(0, x).astype(dtype), rtol=RTOL[dtype])
        np.testing.assert_array_equal(tf.tanh(t).numpy(), np.sign(x))


@pytest.mark.parametrize("op", list(FLOAT_UNARY))
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64"])
def test_unary_float_ops_reject_int_and_bool(op, dtype):
    x = to_tensor(np.ones((2, 2), np_dtype(dtype)), dtype)
    with pytest.raises(TypeError, match=rf"{op}: dtype {dtype} is not supported.*cast it to a "
                                        r"float dtype.*\(2, 2\)"):
        UNARY[op][0](x)


@pytest.mark.parametrize("op", list(NUMERIC_UNARY))
def test_numeric_unary_rejects_bool(op):
    with pytest.raises(TypeError, match=rf"{op}: dtype bool is not supported"):
        UNARY[op][0](tf.constant([True, False]))


def test_logical_not():
    a = np.array([[True, False, True]])
    assert_close(tf.logical_not(tf.constant(a)), ~a, "bool")
    assert_close(tf.logical_not(strided(a)), ~a, "bool")


def test_unary_result_is_new_and_keeps_input():
    x = tf.constant([1.0, -2.0])
    y = tf.abs(x)
    assert_close(x, np.array([1.0, -2.0], np.float32))
    assert y._data_ptr != x._data_ptr


# ------------------------------------------------------------------------------------------------
# where
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_where_every_dtype(rng, dtype):
    c = rng.random((4, 5)) < 0.5
    a = random_array(rng, (4, 5), dtype)
    b = random_array(rng, (4, 5), dtype)
    assert_close(tf.where(tf.constant(c), to_tensor(a, dtype), to_tensor(b, dtype)),
                 np.where(c, a, b), dtype)
    # broadcasting: a column condition, a row x and a scalar y
    c1 = rng.random((4, 1)) < 0.5
    assert_close(tf.where(tf.constant(c1), to_tensor(a[:1], dtype), to_tensor(b[0, 0], dtype)),
                 np.where(c1, a[:1], b[0, 0]), dtype)
    if dtype != "bfloat16":
        assert_close(tf.where(strided(c), strided(a), tf.from_dlpack(b.T.copy().T)),
                     np.where(c, a, b), dtype)


@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, min_side=0,
                                            max_side=3),
       dtype=st.sampled_from(ALL_DTYPES), seed=st.integers(0, 2**32 - 1))
def test_where_broadcasting(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    (sc, sa, sb), out_shape = shapes
    c = rng.random(sc) < 0.5
    a, b = random_array(rng, sa, dtype), random_array(rng, sb, dtype)
    got = tf.where(tf.constant(c), to_tensor(a, dtype), to_tensor(b, dtype))
    assert tuple(got.shape) == out_shape
    assert_close(got, np.where(c, a, b), dtype)


def test_where_with_python_scalars():
    c = tf.constant([True, False, True])
    x = tf.constant([1.0, 2.0, 3.0])
    assert_close(tf.where(c, x, 0.0), np.array([1, 0, 3], np.float32), "float32")
    assert_close(tf.where(c, -1, tf.constant([7, 8, 9])), np.array([-1, 8, -1], np.int32), "int32")


def test_where_errors():
    c = tf.constant([True, False])
    x = tf.constant([1.0, 2.0])
    with pytest.raises(TypeError, match="condition must be a bool tensor, got int32"):
        tf.where(tf.constant([1, 0]), x, x)
    with pytest.raises(TypeError, match=r"where: dtype mismatch: x is float32 but y is int32"):
        tf.where(c, x, tf.constant([1, 2]))
    with pytest.raises(ValueError, match=r"where: shapes \(2,\) \(condition\), \(2,\) \(x\) and "
                                         r"\(3,\) \(y\) cannot be broadcast together"):
        tf.where(c, x, tf.constant([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"\(4, 1\) \(condition\), \(3,\) \(x\)"):
        tf.where(tf.constant(np.zeros((4, 1), bool)), tf.constant([1.0, 2.0, 3.0]),
                 tf.constant(np.zeros((2, 3), np.float32)))
    with pytest.raises(ValueError, match="x and y must both be given"):
        tf.where(c, x)


# ------------------------------------------------------------------------------------------------
# clip_by_value
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_clip_every_dtype(rng, dtype):
    x = random_array(rng, (3, 4, 5), dtype)
    tx = to_tensor(x, dtype)
    cd = compute_dtype(dtype)
    # Python scalar bounds
    got = tf.clip_by_value(tx, -1, 2)
    assert_close(got, round_to(np.clip(x.astype(cd), -1, 2), dtype), dtype)
    # broadcast tensor bounds: per-column low, per-row high
    lo = random_array(rng, (5,), dtype, -3, 0)
    hi = random_array(rng, (4, 1), dtype, 0, 3)
    got = tf.clip_by_value(tx, to_tensor(lo, dtype), to_tensor(hi, dtype))
    assert_close(got, round_to(np.minimum(np.maximum(x, lo), hi), dtype), dtype)
    # full-shape bounds, and lo > hi gives hi (as NumPy)
    lo = random_array(rng, x.shape, dtype)
    hi = random_array(rng, x.shape, dtype)
    got = tf.clip_by_value(tx, to_tensor(lo, dtype), to_tensor(hi, dtype))
    assert_close(got, round_to(np.minimum(np.maximum(x, lo), hi), dtype), dtype)
    if dtype != "bfloat16":
        got = tf.clip_by_value(strided(x), strided(lo[0]), tf.from_dlpack(hi[:, :1].copy()))
        assert_close(got, np.minimum(np.maximum(x, lo[0]), hi[:, :1]), dtype)


def test_clip_special_values():
    x = np.array([np.nan, -np.inf, np.inf, -0.5, 0.5, 7.0], np.float32)
    got = tf.clip_by_value(tf.constant(x), -1.0, 1.0).numpy()
    np.testing.assert_array_equal(got, np.clip(x, -1, 1))
    got = tf.clip_by_value(tf.constant(x), np.nan, 1.0).numpy()  # NaN bound: NaN, as NumPy
    assert np.isnan(got).all()
    got = tf.clip_by_value(tf.constant([1, 5, 9]), 6, 4).numpy()  # lo > hi: hi
    np.testing.assert_array_equal(got, [4, 4, 4])


def test_clip_errors():
    x = tf.constant([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    with pytest.raises(ValueError, match=r"clip_by_value: clip_value_min of shape \(3,\) does not "
                                         r"broadcast to the shape \(2, 4\)"):
        tf.clip_by_value(x, tf.constant([0.0, 1.0, 2.0]), 5.0)
    with pytest.raises(ValueError, match=r"clip_value_max of shape \(3, 2, 4\) does not broadcast "
                                         r"to the shape \(2, 4\)"):
        tf.clip_by_value(x, 0.0, tf.constant(np.ones((3, 2, 4), np.float32)))
    with pytest.raises(TypeError, match="clip_by_value: dtype mismatch: t is float32 but "
                                        "clip_value_min is int32"):
        tf.clip_by_value(x, tf.constant(1), 2.0)
    with pytest.raises(TypeError, match="clip_by_value: dtype bool is not supported"):
        tf.clip_by_value(tf.constant([True]), True, False)
    with pytest.raises(TypeError):
        tf.clip_by_value(tf.constant([1, 2]), 0.5, 2)  # a float bound for an int tensor


# ------------------------------------------------------------------------------------------------
# cast between every pair of dtypes
# ------------------------------------------------------------------------------------------------

CAST_VALUES = np.array([0.0, -0.0, 1.0, -1.0, 2.7, -2.7, 0.5, -0.5, 100.9, -100.9, 1e4, 3.0,
                        -65000.0, 6.0e4])


def cast_source(dtype):
    if dtype == "bool":
        return np.array([True, False, True, True, False])
    if dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        return np.array([0, 1, -1, 2, -7, 300, 65504, info.max, info.min, 1 << 20], dtype)
    return round_to(CAST_VALUES, dtype)


@pytest.mark.parametrize("src", ALL_DTYPES)
@pytest.mark.parametrize("dst", ALL_DTYPES)
def test_cast_every_pair(src, dst):
    x = cast_source(src)
    got = tf.cast(to_tensor(x, src), dst)
    assert got.dtype.name == dst
    if dst == "bfloat16":
        expected = round_to(x.astype(np.float64), dst)
    else:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = x.astype(np_dtype(dst))  # float -> int truncates toward zero
    if src in INT_DTYPES and dst == "float16":
        with np.errstate(over="ignore"):  # lamina rounds via float32; INT_MAX overflows to inf
            expected = x.astype(np.float32).astype(np.float16)
    assert_close(got, expected, dst)
    if src in FLOAT_DTYPES and dst in INT_DTYPES:
        np.testing.assert_array_equal(got.numpy()[:6], [0, 0, 1, -1, 2, -2])


def test_cast_same_dtype_and_non_contiguous():
    t = tf.constant([1.5, 2.5])
    assert tf.cast(t, tf.float32) is t
    x = np.array([[1.9, -1.9], [3.5, -0.2]])
    assert_close(tf.cast(strided(x), "int32"), np.array([[1, -1], [3, 0]], np.int32), "int32")


# ------------------------------------------------------------------------------------------------
# large inputs (the GIL-free path) and the float32 kernel path under every kernel set
# ------------------------------------------------------------------------------------------------

def test_large_inputs(rng):
    a = rng.standard_normal(40000).astype(np.float32)
    b = rng.standard_normal(40000).astype(np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    assert_close(ta + tb, a + b)
    assert_close(ta * 3.0, a * np.float32(3))
    assert_close(tf.maximum(ta, tb), np.maximum(a, b))
    assert_close(tf.exp(ta), np.exp(a.astype(np.float64)).astype(np.float32))
    assert_close(tf.where(ta > 0, ta, tb), np.where(a > 0, a, b))


def test_f32_kernels_under_every_isa(rng):
    a = rng.standard_normal(1000).astype(np.float32)
    b = rng.standard_normal(1000).astype(np.float32) + 3
    start = tf.isa()
    try:
        for isa in tf.isa_available():
            tf.set_isa(isa)
            ta, tb = tf.constant(a), tf.constant(b)
            for fn, nfn in [(tf.add, np.add), (tf.subtract, np.subtract),
                            (tf.multiply, np.multiply), (tf.divide, np.divide)]:
                np.testing.assert_array_equal(fn(ta, tb).numpy(), nfn(a, b))
    finally:
        tf.set_isa(start)


def test_tensor_operator_table():
    """Each operator reaches the op it names (a wrong mapping would still give a float32)."""
    a, b = np.array([7.0, -7.0, 2.0], np.float32), np.array([2.0, 3.0, -0.5], np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    ops = [(operator.add, np.add), (operator.sub, np.subtract), (operator.mul, np.multiply),
           (operator.truediv, np.true_divide), (operator.floordiv, np.floor_divide),
           (operator.mod, np.remainder), (operator.pow, np.power), (operator.lt, np.less),
           (operator.le, np.less_equal), (operator.gt, np.greater), (operator.ge, np.greater_equal)]
    for op, nfn in ops:
        assert_close(op(ta, tb), _np_ref(nfn, a, b))
        assert_close(op(a, tb), _np_ref(nfn, a, b))   # the reflected form
