"""tf.linalg.matmul against NumPy: every small size, the GEMM's block edges, broadcasting batches,
transposes, strided operands, every dtype, wrapping integer overflow and bad inputs."""
import itertools

import numpy as np
import pytest
from conftest import NUMERIC_DTYPES, random_array, strided, to_tensor

import lamina as tf

EPS = {"float16": 2.0 ** -11, "bfloat16": 2.0 ** -8, "float32": 2.0 ** -24, "float64": 2.0 ** -53}


def np_matmul(a, b, ta=False, tb=False):
    a = np.swapaxes(a, -1, -2) if ta else a
    b = np.swapaxes(b, -1, -2) if tb else b
    return a, b, np.matmul(a, b)


def check(got, a, b, ta=False, tb=False, dtype=None):
    """Compare a lamina product with NumPy's: exact for integers, else within a bound that
    scales with K and the magnitudes summed (rounding of every product and partial sum)."""
    dtype = dtype or got.dtype.name
    assert got.dtype.name == dtype
    a, b, _ = np_matmul(np.asarray(a), np.asarray(b), ta, tb)
    g = got.numpy()
    if dtype in ("int32", "int64"):
        want = np.matmul(a.astype(np.int64), b.astype(np.int64)).astype(dtype)
        assert g.shape == want.shape
        np.testing.assert_array_equal(g, want)
        return
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    want = np.matmul(a64, b64)
    assert g.shape == want.shape, (g.shape, want.shape)
    k = a.shape[-1]
    # accumulation happens in float32 for the half types, then one rounding to the half type
    acc_eps = EPS["float64" if dtype == "float64" else "float32"]
    bound = 2 * (k + 2) * acc_eps * np.matmul(np.abs(a64), np.abs(b64))
    bound += EPS.get(dtype, 0) * np.abs(want) + 1e-300
    err = np.abs(g.astype(np.float64) - want)
    assert (err <= bound).all(), f"max excess {np.max(err - bound)}"


def operands(rng, ashape, bshape, dtype):
    return random_array(rng, ashape, dtype), random_array(rng, bshape, dtype)


def shapes_for(m, n, k, ta, tb, batch_a=(), batch_b=()):
    ashape = tuple(batch_a) + ((k, m) if ta else (m, k))
    bshape = tuple(batch_b) + ((n, k) if tb else (k, n))
    return ashape, bshape


# ---- every small size -------------------------------------------------------------------------

def test_every_size_up_to_17_float64(rng):
    """All M, N, K in 0..17: the skinny paths (M or N <= 16), the packed path's edge tiles and
    the empty cases, with exact-ish float64 comparisons."""
    big_a = rng.standard_normal((17, 17))
    big_b = rng.standard_normal((17, 17))
    for m, n, k in itertools.product(range(18), repeat=3):
        a, b = big_a[:m, :k].copy(), big_b[:k, :n].copy()
        got = tf.matmul(tf.constant(a), tf.constant(b))
        assert got.shape == (m, n)
        np.testing.assert_allclose(got.numpy(), a @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ta,tb", list(itertools.product([False, True], repeat=2)))
def test_every_size_up_to_20_transposed_float32(rng, ta, tb):
    """All M, N in 1..20 with several K, under each transpose combination: with transposes the
    skinny paths switch between axpy, dot and packed forms."""
    for m, n in itertools.product(range(1, 21), repeat=2):
        for k in (1, 3, 8, 19):
            ashape, bshape = shapes_for(m, n, k, ta, tb)
            a, b = operands(rng, ashape, bshape, "float32")
            got = tf.matmul(tf.constant(a), tf.constant(b), transpose_a=ta, transpose_b=tb)
            check(got, a, b, ta, tb)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
@pytest.mark.parametrize("m,n,k", [
    (17, 17, 255), (17, 17, 256), (18, 19, 257), (33, 40, 513),     # kc = 256 edges
    (95, 17, 5), (96, 17, 5), (97, 18, 7), (127, 20, 3), (128, 21, 3), (129, 22, 3),  # mc
    (17, 1023, 3), (17, 1025, 3), (17, 2047, 2), (17, 2049, 2),      # nc = 1024 / 2048 edges
    (130, 70, 300),                                                   # several blocks at once
])
def test_block_edges(rng, dtype, m, n, k):
    for ta, tb in itertools.product([False, True], repeat=2):
        ashape, bshape = shapes_for(m, n, k, ta, tb)
        a, b = operands(rng, ashape, bshape, dtype)
        check(tf.matmul(to_tensor(a, dtype), to_tensor(b, dtype), transpose_a=ta,
                        transpose_b=tb), a, b, ta, tb, dtype)


@pytest.mark.parametrize("m,n,k", [(1, 3000, 300), (8, 700, 600), (16, 513, 40), (600, 1, 500),
                                   (700, 8, 90), (300, 16, 33), (1, 1, 5000), (4, 5, 9)])
def test_skinny_shapes(rng, m, n, k):
    """Batch-1 inference shapes (M or N tiny, big other dims) in every layout."""
    for ta, tb in itertools.product([False, True], repeat=2):
        ashape, bshape = shapes_for(m, n, k, ta, tb)
        a, b = operands(rng, ashape, bshape, "float32")
        check(tf.matmul(tf.constant(a), tf.constant(b), transpose_a=ta, transpose_b=tb),
              a, b, ta, tb)


# ---- empty ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
@pytest.mark.parametrize("ashape,bshape,out", [
    ((0, 3), (3, 4), (0, 4)), ((2, 3), (3, 0), (2, 0)), ((2, 0), (0, 4), (2, 4)),
    ((0, 0), (0, 0), (0, 0)), ((0, 2, 3), (3, 4), (0, 2, 4)), ((5, 2, 3), (0, 1, 3, 4), (0, 5, 2, 4)),
    ((3, 20, 0), (3, 0, 30), (3, 20, 30)), ((1, 0), (0, 1), (1, 1)),
])
def test_size_zero(rng, dtype, ashape, bshape, out):
    a, b = operands(rng, ashape, bshape, dtype)
    got = tf.matmul(to_tensor(a, dtype), to_tensor(b, dtype))
    assert got.shape == out and got.dtype.name == dtype
    np.testing.assert_array_equal(got.numpy(), np.zeros(out))  # K = 0 sums nothing: zeros


def test_k_zero_with_transposes():
    for ta, tb in itertools.product([False, True], repeat=2):
        ashape, bshape = shapes_for(3, 4, 0, ta, tb)
        got = tf.matmul(tf.zeros(ashape), tf.zeros(bshape), transpose_a=ta, transpose_b=tb)
        np.testing.assert_array_equal(got.numpy(), np.zeros((3, 4), np.float32))


# ---- batches ----------------------------------------------------------------------------------

def random_batch_shapes(rng):
    """Two batch shapes that broadcast, of rank 0 to 3, with 1s, and sometimes a 0."""
    nd = int(rng.integers(0, 4))
    full = [int(rng.integers(1, 4)) for _ in range(nd)]
    if nd and rng.random() < 0.1:
        full[int(rng.integers(nd))] = 0
    def take():
        r = int(rng.integers(0, nd + 1))
        return tuple(d if rng.random() < 0.7 else 1 for d in full[nd - r:])
    return take(), take()


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_random_broadcast_batches(rng, dtype):
    for _ in range(40):
        ba, bb = random_batch_shapes(rng)
        m, n, k = (int(v) for v in rng.integers(1, 24, size=3))
        ta, tb = bool(rng.integers(2)), bool(rng.integers(2))
        ashape, bshape = shapes_for(m, n, k, ta, tb, ba, bb)
        a, b = operands(rng, ashape, bshape, dtype)
        got = tf.matmul(to_tensor(a, dtype), to_tensor(b, dtype), transpose_a=ta, transpose_b=tb)
        assert got.shape == np.broadcast_shapes(ba, bb) + (m, n)
        check(got, a, b, ta, tb, dtype)


@pytest.mark.parametrize("ashape,bshape", [
    ((4, 30, 20), (20, 25)),          # b shared: batches fold into one tall product
    ((2, 3, 30, 20), (20, 25)),
    ((2, 3, 1, 20), (1, 20, 25)),     # M = 1 rows fold across batches
    ((3, 1, 7, 20), (1, 20, 25)),
    ((30, 20), (4, 20, 25)),          # a shared
    ((2, 1, 30, 20), (1, 3, 20, 25)),
    ((5, 40, 64), (5, 64, 48)),
])
def test_batch_layouts(rng, ashape, bshape):
    a, b = operands(rng, ashape, bshape, "float32")
    check(tf.matmul(tf.constant(a), tf.constant(b)), a, b)
    # the same operands as transposed views of other memory
    at = tf.from_dlpack(np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2))
    check(tf.matmul(at, strided(b)), a, b)


def test_batch_of_strided_slices_does_not_fold(rng):
    """A sliced batch axis (stride 2 over batches) next to shared b must not be folded."""
    base = rng.standard_normal((6, 9, 10))
    a = base[::2, 1:8, :7]         # (3, 7, 7), batch stride 180, row stride 10
    b = rng.standard_normal((7, 5))
    check(tf.matmul(tf.from_dlpack(a), tf.constant(b)), a, b)
    a2 = base[:, ::3, ::2]         # rows stride 30: (6, 3, 5), still one batch step of 90
    b2 = rng.standard_normal((5, 4))
    check(tf.matmul(tf.from_dlpack(a2), tf.constant(b2)), a2, b2)


# ---- non-contiguous operands -----------------------------------------------------------------

VIEWS = {
    "transposed": lambda x: np.ascontiguousarray(np.swapaxes(x, -1, -2)).swapaxes(-1, -2),
    "every_other": lambda x: np.repeat(x, 2, axis=-1)[..., ::2],
    "reversed": lambda x: np.ascontiguousarray(x[..., ::-1, ::-1])[..., ::-1, ::-1],
    "column_slice": lambda x: np.concatenate([x, x, x], axis=-2)[..., x.shape[-2]:2 * x.shape[-2], :],
}


def make_view(kind, x):
    if kind == "both_strided":
        big = np.zeros(x.shape[:-2] + (2 * x.shape[-2], 3 * x.shape[-1]), x.dtype)
        big[..., ::2, ::3] = x
        v = big[..., ::2, ::3]
    else:
        v = VIEWS[kind](x)
    np.testing.assert_array_equal(v, x)
    return tf.from_dlpack(v)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64"])
@pytest.mark.parametrize("kind", ["transposed", "every_other", "reversed", "column_slice",
                                  "both_strided"])
def test_non_contiguous(rng, dtype, kind):
    for m, n, k in [(1, 1, 1), (1, 40, 9), (40, 1, 9), (5, 6, 7), (23, 31, 37), (3, 70, 17)]:
        for ta, tb in itertools.product([False, True], repeat=2):
            ashape, bshape = shapes_for(m, n, k, ta, tb, (2,), ())
            a, b = operands(rng, ashape, bshape, dtype)
            got = tf.matmul(make_view(kind, a), make_view(kind, b), transpose_a=ta, transpose_b=tb)
            check(got, a, b, ta, tb, dtype)
            got = tf.matmul(strided(a), tf.constant(b), transpose_a=ta, transpose_b=tb)
            check(got, a, b, ta, tb, dtype)


def test_broadcast_view_operand(rng):
    """An operand whose rows all alias (stride 0, e.g. a NumPy broadcast view)."""
    row = rng.standard_normal((1, 12))
    a = np.broadcast_to(row, (20, 12))
    b = rng.standard_normal((12, 30))
    check(tf.matmul(tf.from_dlpack(a), tf.constant(b)), a, b)
    a3 = np.broadcast_to(rng.standard_normal((5, 12)), (4, 5, 12))
    check(tf.matmul(tf.from_dlpack(a3), tf.constant(b)), a3, b)


# ---- dtypes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_every_dtype(rng, dtype):
    for m, n, k in [(1, 1, 1), (2, 3, 4), (17, 19, 23), (40, 33, 300), (8, 100, 64)]:
        a, b = operands(rng, (3, m, k), (k, n), dtype)
        got = tf.matmul(to_tensor(a, dtype), to_tensor(b, dtype))
        check(got, a, b, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_accumulates_in_float32(dtype):
    """2048 products of 1 * 1 sum to 2048 exactly when accumulated in float32 (a float16
    accumulator would stop at 2048 anyway, bfloat16 at 256)."""
    a = tf.cast(tf.ones((1, 2048)), dtype)
    b = tf.cast(tf.ones((2048, 1)), dtype)
    got = tf.matmul(a, b)
    assert got.dtype.name == dtype and float(got.numpy()[0, 0]) == 2048.0
    # 1 + 2^-9 * 512 = 2 needs the small terms to add up before rounding
    x = np.full((1, 513), 2.0 ** -9, np.float32)
    x[0, 0] = 1.0
    got = tf.matmul(tf.cast(tf.constant(x), dtype), tf.cast(tf.ones((513, 1)), dtype))
    assert float(got.numpy()[0, 0]) == 2.0


@pytest.mark.parametrize("dtype,bits", [("int32", 32), ("int64", 64)])
def test_integer_overflow_wraps(rng, dtype, bits):
    """Products and sums that overflow wrap modulo 2**bits, as NumPy's integer matmul does."""
    info = np.iinfo(dtype)
    for m, n, k in [(1, 1, 3), (3, 4, 5), (20, 30, 40), (1, 50, 300)]:
        a = rng.integers(info.min, info.max, size=(m, k), dtype=dtype, endpoint=True)
        b = rng.integers(info.min, info.max, size=(k, n), dtype=dtype, endpoint=True)
        got = tf.matmul(tf.constant(a), tf.constant(b)).numpy()
        exact = np.matmul(a.astype(object), b.astype(object))
        mod = 1 << bits
        want = np.vectorize(lambda v: (v + mod // 2) % mod - mod // 2, otypes=[object])(exact)
        np.testing.assert_array_equal(got, want.astype(dtype))


def test_special_float_values():
    a = np.array([[np.inf, 1.0], [np.nan, 0.0], [1.0, 2.0]], np.float32)
    b = np.array([[1.0, 0.0, -1.0], [2.0, 3.0, np.inf]], np.float32)
    with np.errstate(invalid="ignore"):
        want = a @ b
    np.testing.assert_array_equal(tf.matmul(a, b).numpy(), want)


# ---- the Python API ---------------------------------------------------------------------------

def test_matmul_operator(rng):
    a, b = operands(rng, (4, 5), (5, 3), "float32")
    ta, tb = tf.constant(a), tf.constant(b)
    check(ta @ tb, a, b)
    check(ta @ b, a, b)               # ndarray operand
    check(a @ tb, a, b)               # __rmatmul__
    check(ta @ b.tolist(), a, b)      # a list adapts to the tensor's dtype
    check(b.T.tolist() @ tf.constant(a.T), b.T, a.T)
    got = tf.constant([[1, 2], [3, 4]]) @ [[5], [6]]
    assert got.dtype == tf.int32 and got.numpy().tolist() == [[17], [39]]
    got = tf.constant([[1.0, 2.0]], tf.float64) @ [[1], [2]]   # int list adapts to float64
    assert got.dtype == tf.float64 and got.numpy().tolist() == [[5.0]]


def test_adjoint_and_keywords(rng):
    a, b = operands(rng, (2, 6, 4), (2, 5, 6), "float64")
    check(tf.matmul(a, b, adjoint_a=True, adjoint_b=True), a, b, True, True)
    check(tf.linalg.matmul(a, b, transpose_a=True, adjoint_b=True), a, b, True, True)
    check(tf.matmul(a, b, adjoint_a=True, transpose_b=True, a_is_sparse=True, b_is_sparse=True,
                    name="mm"), a, b, True, True)
    got = tf.matmul(tf.constant([[1, 2]]), tf.constant([[3], [4]]), output_type=tf.float32)
    assert got.dtype == tf.float32 and got.numpy().tolist() == [[11.0]]
    with pytest.raises(ValueError, match="transpose_a and adjoint_a"):
        tf.matmul(a, b, transpose_a=True, adjoint_a=True)
    with pytest.raises(ValueError, match="transpose_b and adjoint_b"):
        tf.matmul(a, b, transpose_b=True, adjoint_b=True)


def test_large_product_releases_gil_and_is_right(rng):
    """Big enough to run without the GIL; also checked from two threads at once."""
    import threading
    a, b = operands(rng, (2, 150, 160), (160, 170), "float32")
    results = {}

    def run(i):
        results[i] = tf.matmul(tf.constant(a), tf.constant(b))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):
        check(results[i], a, b)


# ---- bad inputs -------------------------------------------------------------------------------

def test_rank_below_two():
    m = tf.ones((3, 3))
    for bad, shape in ((tf.ones(3), r"\(3,\)"), (tf.constant(1.0), r"\(\)")):
        with pytest.raises(ValueError, match=r"rank >= 2.*got shapes " + shape + r" and \(3, 3\)"):
            tf.matmul(bad, m)
        with pytest.raises(ValueError, match="rank >= 2"):
            tf.matmul(m, bad)
    with pytest.raises(ValueError, match=r"rank >= 2"):
        tf.ones((3,)) @ tf.ones((3,))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(tf.ones(3), tf.ones(3))


def test_inner_dimension_mismatch():
    with pytest.raises(ValueError, match=r"inner dimensions do not match: \(2, 3\) @ \(4, 5\) "
                                         r"with transpose_a=0, transpose_b=0"):
        tf.matmul(tf.ones((2, 3)), tf.ones((4, 5)))
    with pytest.raises(ValueError, match=r"\(3, 2\) @ \(3, 5\) with transpose_a=0, transpose_b=1"):
        tf.matmul(tf.ones((3, 2)), tf.ones((3, 5)), transpose_b=True)
    with pytest.raises(ValueError, match=r"\(7, 2, 3\) @ \(4, 2\) with transpose_a=1"):
        tf.matmul(tf.ones((7, 2, 3)), tf.ones((4, 2)), transpose_a=True)
    # zero-size dims still have to agree
    with pytest.raises(ValueError, match=r"\(0, 3\) @ \(0, 5\)"):
        tf.matmul(tf.ones((0, 3)), tf.ones((0, 5)))


def test_batch_mismatch():
    with pytest.raises(ValueError, match=r"batch dimensions \(2,\) and \(3,\).*\(2, 4, 5\)"):
        tf.matmul(tf.ones((2, 4, 5)), tf.ones((3, 5, 6)))
    with pytest.raises(ValueError, match=r"cannot be broadcast"):
        tf.matmul(tf.ones((2, 2, 4, 5)), tf.ones((3, 1, 5, 6)))


def test_dtype_mismatch():
    with pytest.raises(TypeError, match=r"same dtype.*float32.*float64"):
        tf.matmul(tf.ones((2, 2)), tf.ones((2, 2), tf.float64))
    with pytest.raises(TypeError, match=r"int32.*float32"):
        tf.matmul(tf.ones((2, 2), tf.int32), tf.ones((2, 2)))
    with pytest.raises(TypeError):
        tf.ones((2, 2)) @ tf.ones((2, 2), tf.float16)
    with pytest.raises(TypeError):   # a float list does not silently become int
        tf.ones((2, 2), tf.int32) @ [[0.5, 1.0], [1.0, 2.0]]


def test_bool_rejected():
    b = tf.constant([[True, False], [False, True]])
    with pytest.raises(TypeError, match=r"bool.*not supported"):
        tf.matmul(b, b)
    with pytest.raises(TypeError, match="bool"):
        b @ b
