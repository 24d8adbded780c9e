"""The GEMM under every kernel set the machine has (lamina.isa_available(), 'ref' always): every
M, N, K from 1 to 70 (all M x N for a few K, all K for a few M x N), sizes straddling each
blocking parameter of each set, transposed and strided operands, float32 and float64, several
thread counts (results must be bit-identical whatever the count), and each ISA's kernels against
the portable ones."""
import itertools

import numpy as np
import pytest

import lamina as tf

pytestmark = pytest.mark.timeout(120)

ISAS = tf.isa_available()
EPS = {"float32": 2.0 ** -24, "float64": 2.0 ** -53}
NP = {"float32": np.float32, "float64": np.float64}

# Blocking of each kernel set (csrc/kernels/*/gemm_*.c): tile mr x nr, blocks mc, kc, nc, the
# skinny-path limit `small` and `direct` (blocks of up to this many rows read B in place).
BLOCKING = {
    ("ref", "float32"): dict(mr=4, nr=8, mc=128, kc=256, nc=2048, small=16, direct=0),
    ("ref", "float64"): dict(mr=4, nr=4, mc=96, kc=256, nc=1024, small=16, direct=0),
    ("avx2", "float32"): dict(mr=6, nr=16, mc=144, kc=320, nc=4080, small=8, direct=64),
    ("avx2", "float64"): dict(mr=6, nr=8, mc=72, kc=320, nc=4080, small=8, direct=64),
    ("avx512", "float32"): dict(mr=12, nr=32, mc=384, kc=384, nc=4096, small=8, direct=0),
    ("avx512", "float64"): dict(mr=12, nr=16, mc=192, kc=384, nc=4096, small=8, direct=0),
}


@pytest.fixture(autouse=True)
def restore_runtime():
    isa, threads = tf.isa(), tf.get_num_threads()
    yield
    tf.set_isa(isa)
    tf.set_num_threads(threads)


@pytest.fixture(params=ISAS)
def isa(request):
    tf.set_isa(request.param)
    assert tf.isa() == request.param
    return request.param


def bound(a64, b64, dtype):
    """Rounding error allowed for A @ B summed in `dtype`: every product and partial sum."""
    k = a64.shape[-1]
    return 2 * (k + 2) * EPS[dtype] * (np.abs(a64) @ np.abs(b64)) + 1e-300


def check(got, a, b, dtype):
    """got (a lamina tensor) against the float64 product of the NumPy operands a and b."""
    assert got.dtype.name == dtype
    g = got.numpy()
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    want = a64 @ b64
    assert g.shape == want.shape
    err = np.abs(g.astype(np.float64) - want)
    excess = err - bound(a64, b64, dtype)
    assert (excess <= 0).all(), f"max excess {excess.max()} at {np.unravel_index(excess.argmax(), excess.shape)}"


def operands(rng, m, n, k, dtype):
    return (rng.uniform(-1, 1, (m, k)).astype(NP[dtype]),
            rng.uniform(-1, 1, (k, n)).astype(NP[dtype]))


# ---- every small size --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k,layout_b", [(1, "contiguous"), (2, "contiguous"), (5, "contiguous"),
                                        (16, "contiguous"), (33, "contiguous"),
                                        (70, "contiguous"), (5, "transposed"),
                                        (33, "transposed")])
def test_every_m_and_n(isa, rng, dtype, k, layout_b):
    """All M x N in 1..70 for a few K: skinny paths (M or N <= small; with B transposed, the dot
    products), every edge tile of the packed path. Expected values come from one float64
    product of the largest operands."""
    big_a, big_b = operands(rng, 70, 70, k, dtype)
    a64, b64 = big_a.astype(np.float64), big_b.astype(np.float64)
    want = a64 @ b64
    tol = bound(a64, b64, dtype)
    ta, tb = tf.constant(big_a), views(big_b, layout_b)
    for m in range(1, 71):
        for n in range(1, 71):
            got = tf.matmul(ta[:m], tb[:, :n]).numpy()
            err = np.abs(got.astype(np.float64) - want[:m, :n])
            assert (err <= tol[:m, :n]).all(), (m, n, k, float((err - tol[:m, :n]).max()))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("m,n", [(1, 1), (1, 70), (70, 1), (2, 45), (7, 33), (9, 17), (70, 70),
                                 (13, 64)])
def test_every_k(isa, rng, dtype, m, n):
    """All K in 1..70, plus K around the depth of the K slices (kc) and its even splits."""
    blk = BLOCKING[(isa, dtype)]
    kc = blk["kc"]
    ks = list(range(1, 71)) + [kc - 1, kc, kc + 1, 2 * kc - 8, 2 * kc + 9, 3 * kc + 16]
    big_a, big_b = operands(rng, m, n, max(ks), dtype)
    ta, tb = tf.constant(big_a), tf.constant(big_b)
    for k in ks:
        check(tf.matmul(ta[:, :k], tb[:k]), big_a[:, :k], big_b[:k], dtype)


# ---- blocking parameters -----------------------------------------------------------------------

def edge_shapes(isa, dtype):
    """(m, n, k) just below, at and above each blocking parameter of this kernel set."""
    b = BLOCKING[(isa, dtype)]
    mr, nr, mc, kc, nc, small, direct = (b[x] for x in ("mr", "nr", "mc", "kc", "nc", "small",
                                                         "direct"))
    shapes = set()
    for d in (-1, 0, 1):
        shapes.add((small + d, 3 * nr + 5, 40))           # skinny path <-> packed path
        shapes.add((mc + d, 2 * nr + 3, 24))              # row blocks
        shapes.add((2 * mc + mr + d, nr + 1, 16))
        shapes.add((small + 3, nc + d, 9))                # column blocks
        shapes.add((mr + 3, 2 * nc + nr + d, 7))
        shapes.add((2 * mr + 1, 3 * nr - 1, kc + d))      # K slices
        shapes.add((mr * 3, nr * 2, 2 * kc + d))
        if direct:
            shapes.add((direct + d, 100, 30))             # B read in place <-> packed
    # B rows a multiple of 128 bytes apart (never read in place) and not
    itemsize = 4 if dtype == "float32" else 8
    shapes.add((small + 5, 2048 // itemsize, 50))
    shapes.add((small + 5, 128 // itemsize, 50))
    shapes.add((small + 5, 2048 // itemsize + 3, 50))
    return sorted(shapes)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sizes_straddling_the_blocking(isa, rng, dtype):
    for m, n, k in edge_shapes(isa, dtype):
        a, b = operands(rng, m, n, k, dtype)
        check(tf.matmul(tf.constant(a), tf.constant(b)), a, b, dtype)


# ---- layouts -----------------------------------------------------------------------------------

def views(x, kind):
    """A lamina view equal to x in one of several layouts (via DLPack on NumPy views)."""
    if kind == "contiguous":
        return tf.constant(x)
    if kind == "transposed":  # column-major storage
        return tf.from_dlpack(np.ascontiguousarray(x.T).T)
    if kind == "strided":  # every other column and row of a bigger buffer
        big = np.zeros((2 * x.shape[0], 2 * x.shape[1]), x.dtype)
        big[::2, ::2] = x
        return tf.from_dlpack(big[::2, ::2])
    if kind == "reversed":  # negative strides both ways
        return tf.from_dlpack(np.ascontiguousarray(x[::-1, ::-1])[::-1, ::-1])
    raise ValueError(kind)


LAYOUTS = ["contiguous", "transposed", "strided", "reversed"]
LAYOUT_SHAPES = [(1, 37, 29), (3, 70, 11), (37, 1, 29), (70, 4, 13), (5, 6, 7), (23, 41, 67),
                 (64, 9, 70), (150, 37, 80), (31, 300, 45)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layouts(isa, rng, dtype):
    """Every pair of operand layouts on shapes that reach each path (axpy on A or on A's
    transpose, dot products, packed), so packing reads every stride pattern."""
    for m, n, k in LAYOUT_SHAPES:
        a, b = operands(rng, m, n, k, dtype)
        for la, lb in itertools.product(LAYOUTS, repeat=2):
            got = tf.matmul(views(a, la), views(b, lb))
            check(got, a, b, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_transpose_flags(isa, rng, dtype):
    for m, n, k in [(1, 50, 33), (50, 1, 33), (7, 19, 70), (70, 70, 70), (150, 40, 20)]:
        a, b = operands(rng, m, n, k, dtype)
        for ta, tb in itertools.product([False, True], repeat=2):
            x = tf.constant(np.ascontiguousarray(a.T) if ta else a)
            y = tf.constant(np.ascontiguousarray(b.T) if tb else b)
            check(tf.matmul(x, y, transpose_a=ta, transpose_b=tb), a, b, dtype)


# ---- threads -----------------------------------------------------------------------------------

THREAD_SHAPES = [
    (1, 3000, 200, "contiguous", "contiguous"),    # batch-1 skinny path, split by columns
    (5, 1000, 300, "contiguous", "contiguous"),    # several skinny row blocks
    (3000, 3, 200, "transposed", "contiguous"),    # skinny on the transposed problem
    (2, 900, 300, "contiguous", "transposed"),     # dot products
    (200, 230, 170, "contiguous", "contiguous"),   # packed, a grid of blocks
    (61, 700, 300, "contiguous", "contiguous"),    # packed, B read in place
    (301, 97, 520, "strided", "transposed"),       # packed, K slices, odd layouts
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_results_do_not_depend_on_thread_count(isa, rng, dtype):
    for m, n, k, la, lb in THREAD_SHAPES:
        a, b = operands(rng, m, n, k, dtype)
        x, y = views(a, la), views(b, lb)
        ref = None
        for threads in (1, 2, 3, 4):
            tf.set_num_threads(threads)
            got = tf.matmul(x, y)
            if ref is None:
                ref = got.numpy()
                check(got, a, b, dtype)
            else:
                np.testing.assert_array_equal(got.numpy(), ref, err_msg=f"{(m, n, k)} {threads}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batched_products_over_threads(isa, rng, dtype):
    """Batches of small products go to the threads one product each (scratch per thread): the
    same bits for every thread count, broadcast and strided batches included."""
    cases = [((64, 20, 30), (64, 30, 25)), ((7, 1, 33, 9), (1, 5, 9, 40)),
             ((3, 4, 16, 70), (70, 8)), ((200, 3, 5), (200, 5, 3))]
    for sa, sb in cases:
        a = rng.uniform(-1, 1, sa).astype(NP[dtype])
        b = rng.uniform(-1, 1, sb).astype(NP[dtype])
        want = np.matmul(a.astype(np.float64), b.astype(np.float64))
        k = sa[-1]
        tol = 2 * (k + 2) * EPS[dtype] * np.matmul(np.abs(a).astype(np.float64),
                                                    np.abs(b).astype(np.float64))
        x = tf.constant(a)
        y = views_nd(b)
        ref = None
        for threads in (1, 2, 3):
            tf.set_num_threads(threads)
            got = tf.matmul(x, y).numpy()
            if ref is None:
                ref = got
                assert got.shape == want.shape
                assert (np.abs(got.astype(np.float64) - want) <= tol).all(), (sa, sb)
            np.testing.assert_array_equal(got, ref, err_msg=f"{sa} @ {sb}, {threads} threads")


def views_nd(x):
    """A non-contiguous lamina view of x (any rank): the last two axes stored transposed."""
    return tf.from_dlpack(np.ascontiguousarray(np.swapaxes(x, -1, -2)).swapaxes(-1, -2))


# ---- each ISA against the portable kernels ------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_isa_kernels_agree_with_ref(rng, dtype):
    """Each kernel set's products within rounding of the portable set's (FMA and summation
    order differ, so not bit for bit), on shapes from every path."""
    shapes = [(1, 70, 70), (2, 513, 100), (8, 100, 40), (9, 100, 40), (70, 3, 50), (64, 64, 64),
              (145, 97, 257), (33, 4081, 9)]
    for m, n, k in shapes:
        a, b = operands(rng, m, n, k, dtype)
        x, y = tf.constant(a), tf.constant(b)
        tf.set_isa("ref")
        want = tf.matmul(x, y).numpy().astype(np.float64)
        tol = 2 * bound(a.astype(np.float64), b.astype(np.float64), dtype)
        for name in ISAS:
            tf.set_isa(name)
            got = tf.matmul(x, y).numpy().astype(np.float64)
            assert (np.abs(got - want) <= tol).all(), (name, m, n, k)


def test_special_values_propagate(isa):
    """inf and NaN in an operand reach exactly the outputs they touch (no C read when beta = 0:
    garbage in the output buffer never leaks in)."""
    for dtype in ("float32", "float64"):
        for m, n, k in [(1, 40, 30), (20, 40, 30), (7, 70, 300)]:
            a = np.ones((m, k), NP[dtype])
            b = np.ones((k, n), NP[dtype])
            a[m // 2, k // 3] = np.inf
            b[k // 2, n // 3] = np.nan
            got = tf.matmul(tf.constant(a), tf.constant(b)).numpy()
            want = a.astype(np.float64) @ b.astype(np.float64)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
            np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
            fin = np.isfinite(want)
            np.testing.assert_array_equal(got[fin], want[fin].astype(NP[dtype]))


# ---- the fused epilogue: lamina.dense(x, w, bias, activation) ----------------------------------

_ERF = np.vectorize(__import__("math").erf, otypes=[np.float64])


def act64(z, act):
    """The activations in float64 (NaN and inf follow IEEE)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if act is None:
            return z
        if act == "relu":
            return np.where(np.isnan(z), z, np.maximum(z, 0))
        if act == "sigmoid":
            return 1 / (1 + np.exp(-z))
        if act == "tanh":
            return np.tanh(z)
        return 0.5 * z * (1 + _ERF(z / np.sqrt(2)))


LIPSCHITZ = {None: 1, "relu": 1, "sigmoid": 0.25, "tanh": 1, "gelu": 1.13}
ACTS = [None, "relu", "sigmoid", "tanh", "gelu"]


def check_dense(got, x, w, b, act, dtype):
    """got against act(x @ w + b) in float64: the product's rounding carried through the
    activation's slope, plus a few ulp of the activation itself (and, for gelu, the erf form's
    absolute error near -1)."""
    assert got.dtype.name == dtype
    x64, w64 = np.asarray(x, np.float64), np.asarray(w, np.float64)
    z = x64 @ w64 + (0 if b is None else np.asarray(b, np.float64))
    want = act64(z, act)
    eps = EPS["float64" if dtype == "float64" else "float32"]
    tol = LIPSCHITZ[act] * (bound(x64, w64, "float64" if dtype == "float64" else "float32")
                            + 2 * eps * np.abs(z))
    tol = tol + 8 * eps * np.abs(want) + (4 * eps * np.abs(z) if act == "gelu" else 0)
    if dtype in ("float16", "bfloat16"):
        tol = tol + {"float16": 2.0 ** -11, "bfloat16": 2.0 ** -8}[dtype] * np.abs(want)
    g = got.numpy().astype(np.float64)
    assert g.shape == want.shape
    err = np.abs(g - want)
    assert (err <= tol + 1e-300).all(), f"{act}: max excess {(err - tol).max()}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("act", ACTS)
def test_dense_against_numpy(isa, rng, dtype, act):
    """Every path of the product (skinny rows, skinny columns, packed with edge tiles, K slices)
    with and without a bias."""
    for m, k, n in [(1, 784, 128), (3, 50, 70), (8, 33, 513), (70, 20, 5), (37, 300, 41),
                    (150, 70, 150), (1, 1, 1), (5, 0, 7)]:
        x = rng.uniform(-2, 2, (m, k)).astype(NP[dtype])
        w = (rng.uniform(-2, 2, (k, n)) / np.sqrt(max(k, 1))).astype(NP[dtype])
        b = rng.uniform(-1, 1, n).astype(NP[dtype])
        for bias in (b, None):
            got = tf.dense(tf.constant(x), tf.constant(w), None if bias is None else tf.constant(bias),
                           activation=act)
            check_dense(got, x, w, bias, act, dtype)


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh", "gelu"])
def test_activation_over_the_float_range(isa, act):
    """With K = 1 and w = 1 the product is x exactly, so the activation alone is tested: across
    magnitudes from subnormal to overflow, both signs, zeros, inf and NaN, on the packed path
    (37 columns) and on the skinny one (3 columns). (The sum starts from +0, so -0 comes out
    as +0, as from a BLAS.)"""
    for dtype in ("float32", "float64"):
        info = np.finfo(NP[dtype])
        mags = np.concatenate([[0.0, info.tiny / 4, info.tiny, 1e-30, 1e-8, 1e-4, 3e-4, 5e-4],
                               np.geomspace(1e-3, 200, 400), [1e3, 1e30, float(info.max)]])
        x = np.concatenate([mags, -mags, [np.inf, -np.inf, np.nan]]).astype(NP[dtype])
        for n in (37, 3):
            got = tf.dense(tf.constant(x[:, None]), tf.constant(np.ones((1, n), NP[dtype])),
                           activation=act).numpy()
            want = act64(x.astype(np.float64), act)
            for j in (0, n - 1):
                g = got[:, j].astype(np.float64)
                np.testing.assert_array_equal(np.isnan(g), np.isnan(want))
                fin = ~np.isnan(want)
                eps = EPS[dtype]
                tol = 8 * eps * np.abs(want[fin]) + info.tiny
                if act == "gelu":  # 1 + erf(x / sqrt 2) cancels for x << 0, as in TF's form
                    tol = tol + 4 * eps * np.abs(x[fin].astype(np.float64))
                with np.errstate(invalid="ignore"):  # inf - inf where both are inf
                    err = np.abs(g[fin] - want[fin])
                err[np.isinf(want[fin]) & (g[fin] == want[fin])] = 0
                assert (err <= tol).all(), (dtype, act, x[fin][err > tol][:5], g[fin][err > tol][:5])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_dense_half_dtypes(rng, dtype):
    x = rng.uniform(-2, 2, (4, 30)).astype(np.float32)
    w = rng.uniform(-0.3, 0.3, (30, 20)).astype(np.float32)
    b = rng.uniform(-1, 1, 20).astype(np.float32)
    xt, wt, bt = (tf.cast(tf.constant(v), dtype) for v in (x, w, b))
    xr, wr, br = (t.numpy().astype(np.float32) for t in (xt, wt, bt))  # the rounded operands
    for act in ACTS:
        check_dense(tf.dense(xt, wt, bt, activation=act), xr, wr, br, act, dtype)


def test_dense_layouts_and_leading_dims(isa, rng):
    """x of rank 1 and 3 (leading dims folded into rows, or copied when they do not fold),
    transposed / strided w, strided bias, Python data adapting to x's dtype."""
    x = rng.uniform(-1, 1, (2, 3, 40)).astype(np.float32)
    w = rng.uniform(-1, 1, (40, 17)).astype(np.float32)
    b = rng.uniform(-1, 1, 17).astype(np.float32)
    want_shape = (2, 3, 17)
    for xv in (tf.constant(x), tf.from_dlpack(np.ascontiguousarray(x.transpose(1, 0, 2)).transpose(1, 0, 2)),
               views(x.reshape(6, 40), "strided")):
        for wv in (tf.constant(w), views(w, "transposed"), views(w, "reversed")):
            got = tf.dense(xv, wv, views(b[None, :], "strided")[0], activation="tanh")
            flat = got.numpy().reshape(-1, 17)
            check_dense(tf.constant(flat), x.reshape(6, 40), w, b, "tanh", "float32")
            assert got.shape == (want_shape if len(xv.shape) == 3 else (6, 17))
    got = tf.dense(tf.constant(x[0, 0]), w.tolist(), b.tolist(), activation="RELU")
    assert got.shape == (17,) and got.dtype == tf.float32
    check_dense(tf.constant(got.numpy()[None]), x[0, :1], w, b, "relu", "float32")
    empty = tf.dense(tf.zeros((0, 40)), tf.constant(w), tf.constant(b))
    assert empty.shape == (0, 17)


def test_dense_thread_count_does_not_change_results(isa, rng):
    for m, k, n in [(1, 784, 3000), (300, 200, 230), (2000, 40, 3)]:
        x = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        w = rng.uniform(-0.1, 0.1, (k, n)).astype(np.float32)
        b = rng.uniform(-1, 1, n).astype(np.float32)
        xt, wt, bt = tf.constant(x), tf.constant(w), tf.constant(b)
        ref = None
        for threads in (1, 2, 3):
            tf.set_num_threads(threads)
            got = tf.dense(xt, wt, bt, activation="gelu").numpy()
            if ref is None:
                ref = got
                check_dense(tf.constant(got), x, w, b, "gelu", "float32")
            np.testing.assert_array_equal(got, ref)


def test_dense_bad_inputs():
    x, w, b = tf.zeros((2, 3)), tf.zeros((3, 4)), tf.zeros((4,))
    with pytest.raises(ValueError, match="activation must be None or one of"):
        tf.dense(x, w, b, activation="swish")
    with pytest.raises(ValueError, match="activation must be None or one of"):
        tf.dense(x, w, b, activation=3)
    with pytest.raises(ValueError, match=r"x needs rank >= 1.*\(\)"):
        tf.dense(tf.constant(1.0), w, b)
    with pytest.raises(ValueError, match=r"w must be a matrix.*\(3,\)"):
        tf.dense(x, tf.zeros((3,)), b)
    with pytest.raises(ValueError, match=r"x has 3 features.*\(2, 3\).*w has 5 rows.*\(5, 4\)"):
        tf.dense(x, tf.zeros((5, 4)), b)
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\).*got \(3,\)"):
        tf.dense(x, w, tf.zeros((3,)))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\).*got \(1, 4\)"):
        tf.dense(x, w, tf.zeros((1, 4)))
    with pytest.raises(TypeError, match="one dtype, got float32, float64 and float32"):
        tf.dense(x, tf.zeros((3, 4), dtype=tf.float64), b)
    with pytest.raises(TypeError, match="one dtype, got float32, float32 and float64"):
        tf.dense(x, w, tf.zeros((4,), dtype=tf.float64))
    with pytest.raises(TypeError, match="float dtypes only.*int32"):
        tf.dense(tf.zeros((2, 3), dtype=tf.int32), tf.zeros((3, 4), dtype=tf.int32))


def test_isa_kernels_name_what_runs(isa):
    """The kernel-set names say which code runs: each table's own GEMM tile (no table borrows
    another's code under its name)."""
    k = tf.isa_kernels()
    assert k["isa"] == isa
    b32, b64 = BLOCKING[(isa, "float32")], BLOCKING[(isa, "float64")]
    assert k["gemm_float32"] == f"{isa}-{b32['mr']}x{b32['nr']}"
    assert k["gemm_float64"] == f"{isa}-{b64['mr']}x{b64['nr']}"
    assert (k["int8"] == "ref") == (isa == "ref")
