"""The float32 unary kernels of every ISA table (exp, log, tanh, sigmoid, erf, relu): accuracy in
ulp against float64 NumPy over the whole float range, special values bit for bit, every tail
length and alignment, non-contiguous inputs, and 16M elements over the thread pool.

ulp here is the spacing of float32 at the exact (float64) result, 2^-149 for subnormal results.
The vector bounds are the ones kernels/avx2/unary_avx2.c documents; the ref table runs libm."""
import math

import numpy as np
import pytest

import lamina as tf

OPS = ["exp", "log", "log1p", "tanh", "sigmoid", "erf", "softplus", "relu"]
# Largest error allowed per table, in ulp (bench/ulp_exhaustive.py measures them over every
# float32). avx512's exp ... erf are avx2's bits; log1p and softplus run libm loops on avx2 and
# ref. ref is the C library's float functions (glibc documents <= 2 ulp for tanhf and erff;
# sigmoid and softplus add roundings of their own).
BOUND = {
    "avx2": {"exp": 1.5, "log": 1.5, "log1p": 1.0, "tanh": 2.0, "sigmoid": 3.0, "erf": 1.5,
             "softplus": 2.0, "relu": 0.0},
    "ref": {"exp": 1.0, "log": 1.0, "log1p": 1.0, "tanh": 3.0, "sigmoid": 3.0, "erf": 2.0,
            "softplus": 2.0, "relu": 0.0},
}
BOUND["avx512"] = dict(BOUND["avx2"], log1p=2.0, softplus=2.5)

F32_MAX = float(np.finfo(np.float32).max)
TINY = float(np.finfo(np.float32).smallest_subnormal)


def lamina_fn(op):
    return tf.nn.relu if op == "relu" else getattr(tf.math, op)


def run(op, a):
    return lamina_fn(op)(tf.constant(np.asarray(a, np.float32))).numpy()


_erf = np.frompyfunc(math.erf, 1, 1)


def exact(op, x):
    """The float64 result for float32 inputs x."""
    with np.errstate(all="ignore"):
        x = np.asarray(x, np.float64)
        if op == "exp":
            return np.exp(x)
        if op == "log":
            return np.log(x)
        if op == "log1p":
            return np.log1p(x)
        if op == "softplus":
            return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)
        if op == "tanh":
            return np.tanh(x)
        if op == "sigmoid":
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        if op == "erf":
            return _erf(x).astype(np.float64)
        return np.where((x > 0) | np.isnan(x), x, 0.0)


def ulp_error(got, want):
    """|got - want| in float32 ulp at want. Agreeing NaNs and infinities count 0; a NaN or an
    infinity on one side only counts inf."""
    with np.errstate(all="ignore"):
        got = np.asarray(got, np.float32).astype(np.float64)
        want = np.asarray(want, np.float64)
        want32 = want.astype(np.float32).astype(np.float64)  # beyond FLT_MAX: inf
        e = np.maximum(np.frexp(np.abs(want))[1] - 1, -126)
        err = np.abs(got - want) / np.ldexp(1.0, e - 23)
    agree = (np.isnan(got) & np.isnan(want)) | (np.isinf(want32) & (got == want32)) | (got == want)
    return np.where(agree, 0.0, np.where(np.isnan(err), np.inf, err))


def sweep():
    """Every 4096th float32 bit pattern (both signs, subnormals, inf and NaNs included), plus
    dense runs over the kernels' edges: exp's overflow and underflow, tanh's and erf's switch
    points, the subnormal range and values near 1 for log."""
    bits = np.arange(0, 1 << 32, 4096, dtype=np.uint64).astype(np.uint32)
    edges = [np.linspace(lo, hi, 20001) for lo, hi in [
        (-110, -85), (85, 95), (-1, 1), (0.6, 0.65), (-0.65, -0.6), (0.85, 0.95),
        (-0.95, -0.85), (3.5, 4.5), (-4.5, -3.5), (0.9, 1.1), (-12, 12)]]
    small = [np.ldexp(np.linspace(1, 2, 4001), k) for k in (-149, -140, -127, -126, -100, -20)]
    return np.concatenate([bits.view(np.float32)] + [np.asarray(v, np.float32)
                                                     for v in edges + small])


SWEEP = sweep()
_EXACT = {}


def exact_sweep(op):
    if op not in _EXACT:
        _EXACT[op] = exact(op, SWEEP)
    return _EXACT[op]


@pytest.mark.parametrize("op", OPS)
def test_whole_float_range_within_bound(isa, op):
    got = run(op, SWEEP)
    err = ulp_error(got, exact_sweep(op))
    i = int(np.argmax(err))
    assert err[i] <= BOUND[isa][op], (
        f"{op} isa={isa}: {err[i]:.3f} ulp at x={SWEEP[i]!r} (got {got[i]!r}, "
        f"want {exact_sweep(op)[i]!r})")


@pytest.mark.parametrize("op", OPS)
def test_agrees_with_ref_table(isa, op):
    """Same NaNs, infinities and zero signs as the portable kernel; finite values within both
    bounds of each other."""
    mine = run(op, SWEEP)
    before = tf.isa()
    tf.set_isa("ref")
    try:
        ref = run(op, SWEEP)
    finally:
        tf.set_isa(before)
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(ref))
    special = (np.isinf(SWEEP) | (SWEEP == 0)) & ~np.isnan(ref)  # NaN payloads may differ
    np.testing.assert_array_equal(mine[special].view(np.uint32), ref[special].view(np.uint32))
    # distance in ulp of the ref result (both are within their bounds of the exact value)
    ok = np.isfinite(ref) & (ref != 0)
    e = np.maximum(np.frexp(np.abs(ref[ok].astype(np.float64)))[1] - 1, -126)
    dist = np.abs(mine[ok].astype(np.float64) - ref[ok]) / np.ldexp(1.0, e - 23)
    assert dist.max(initial=0) <= BOUND[isa][op] + BOUND["ref"][op] + 1


@pytest.mark.parametrize("op", ["exp", "log", "tanh", "sigmoid", "erf", "relu"])
def test_avx512_gives_the_avx2_bits(op):
    """The avx512 loops are the avx2 ones operation for operation (vmath_avx512.h), so the avx2
    bounds measured over every float32 hold for them: same bits on the sweep (and on all 2^32
    inputs: bench/ulp_exhaustive.py)."""
    if not {"avx2", "avx512"} <= set(tf.isa_available()):
        pytest.skip(f"needs avx2 and avx512 kernels; this machine has {tf.isa_available()}")
    got = {}
    before = tf.isa()
    try:
        for name in ("avx2", "avx512"):
            tf.set_isa(name)
            got[name] = run(op, SWEEP)
    finally:
        tf.set_isa(before)
    np.testing.assert_array_equal(got["avx512"].view(np.uint32), got["avx2"].view(np.uint32))


nan, inf = float("nan"), float("inf")
SPECIAL = {  # (input, exact float32 output): NaN, infinities, signed zeros, limits
    "exp": [(nan, nan), (inf, inf), (-inf, 0.0), (0.0, 1.0), (-0.0, 1.0), (88.8, inf),
            (89.0, inf), (1e30, inf), (-104.0, 0.0), (-110.0, 0.0), (-1e30, 0.0),
            (-103.28, TINY)],
    "log": [(nan, nan), (inf, inf), (-inf, nan), (0.0, -inf), (-0.0, -inf), (-1.0, nan),
            (-TINY, nan), (1.0, 0.0), (F32_MAX, np.float32(np.log(F32_MAX)))],
    "log1p": [(nan, nan), (inf, inf), (-inf, nan), (0.0, 0.0), (-0.0, -0.0), (-1.0, -inf),
              (-2.0, nan), (TINY, TINY), (-TINY, -TINY), (1e-30, 1e-30), (-1e-30, -1e-30),
              (F32_MAX, np.float32(np.log(F32_MAX)))],
    "softplus": [(nan, nan), (inf, inf), (-inf, 0.0), (0.0, np.float32(np.log(2))),
                 (-0.0, np.float32(np.log(2))), (100.0, 100.0), (-200.0, 0.0),
                 (F32_MAX, F32_MAX)],
    "tanh": [(nan, nan), (inf, 1.0), (-inf, -1.0), (0.0, 0.0), (-0.0, -0.0), (10.0, 1.0),
             (-10.0, -1.0), (50.0, 1.0), (TINY, TINY), (-TINY, -TINY), (1e-30, 1e-30)],
    "sigmoid": [(nan, nan), (inf, 1.0), (-inf, 0.0), (0.0, 0.5), (-0.0, 0.5), (20.0, 1.0),
                (-200.0, 0.0), (F32_MAX, 1.0), (-F32_MAX, 0.0)],
    "erf": [(nan, nan), (inf, 1.0), (-inf, -1.0), (0.0, 0.0), (-0.0, -0.0), (4.0, 1.0),
            (-4.0, -1.0), (1e30, 1.0), (-1e30, -1.0),
            (TINY, TINY), (-TINY, -TINY)],
    "relu": [(nan, nan), (inf, inf), (-inf, 0.0), (0.0, 0.0), (-0.0, 0.0), (-TINY, 0.0),
             (TINY, TINY), (-F32_MAX, 0.0), (F32_MAX, F32_MAX)],
}


@pytest.mark.parametrize("op", OPS)
def test_special_values_bit_for_bit(isa, op):
    x = np.array([v for v, _ in SPECIAL[op]], np.float32)
    want = np.array([w for _, w in SPECIAL[op]], np.float32)
    for reps in (1, 9):  # alone (the tail path) and inside full vectors
        got = run(op, np.tile(x, reps))
        np.testing.assert_array_equal(np.isnan(got), np.isnan(np.tile(want, reps)))
        keep = ~np.isnan(np.tile(want, reps))
        np.testing.assert_array_equal(got[keep].view(np.uint32),
                                      np.tile(want, reps)[keep].view(np.uint32),
                                      err_msg=f"{op} isa={isa} x={x}")


def test_exp_runs_smoothly_into_the_subnormals(isa):
    """No flush to zero: exp of -87.4 .. -103.9 is subnormal, accurate to the subnormal ulp and
    never increasing."""
    x = np.linspace(-87.4, -103.9, 50001).astype(np.float32)
    got = run("exp", x)
    assert (got > 0).all() and (got < np.finfo(np.float32).tiny).all()
    assert (np.diff(got.astype(np.float64)) <= 0).all()
    assert ulp_error(got, exact("exp", x)).max() <= BOUND[isa]["exp"]


@pytest.mark.parametrize("op", OPS)
def test_every_length_and_alignment(isa, op, rng):
    """Lengths 0..70 (vector bodies and every tail) at unaligned starts give the same bits as the
    same values inside one long run."""
    pool = rng.standard_normal(300).astype(np.float32) * 4
    pool[::7] = SPECIAL[op][0][0]  # some NaNs
    pool[::11] = np.abs(pool[::11])
    whole = run(op, pool)
    t = tf.constant(pool)
    for n in range(71):
        for off in (0, 1, 3, 5):
            got = lamina_fn(op)(t[off:off + n]).numpy()
            np.testing.assert_array_equal(got.view(np.uint32), whole[off:off + n].view(np.uint32),
                                          err_msg=f"{op} isa={isa} n={n} offset={off}")
    err = ulp_error(whole, exact(op, pool))
    assert err.max() <= BOUND[isa][op]


@pytest.mark.parametrize("op", OPS)
def test_non_contiguous_inputs(isa, op, rng):
    """Strided runs go through the same kernel: the result is bit-identical to the contiguous
    one, for every-other-element views, transposes, negative steps and sliced rows (step 4 inner
    runs with gaps between them)."""
    from conftest import strided
    a = (rng.standard_normal((37, 45)) * 5).astype(np.float32)
    if op in ("log", "log1p"):
        a = np.abs(a)
    a[3, ::4] = np.nan
    want = run(op, a)
    views = {
        "every other": (strided(a), want),
        "transpose": (tf.from_dlpack(np.ascontiguousarray(a.T).T), want),
        "negative step": (tf.from_dlpack(a[::-1, ::-1]), want[::-1, ::-1]),
        "sliced rows": (tf.constant(a)[:, 3:40], want[:, 3:40]),
        "column": (tf.constant(a)[:, 7], want[:, 7]),
        "broadcast row": (tf.from_dlpack(np.broadcast_to(a[5], (600, 45))),
                          np.broadcast_to(want[5], (600, 45))),
    }
    for name, (t, w) in views.items():
        got = lamina_fn(op)(t).numpy()
        assert got.shape == w.shape, name
        np.testing.assert_array_equal(got.view(np.uint32), np.ascontiguousarray(w).view(np.uint32),
                                      err_msg=f"{op} isa={isa} {name}")


@pytest.mark.parametrize("op", OPS)
def test_16m_elements_over_threads(isa, op):
    """16M elements split over the pool give the one-thread bits, and are right (checked on a
    sample of positions against float64)."""
    n = 1 << 24
    x = np.linspace(-30, 30, n, dtype=np.float32)
    if op in ("log", "log1p"):
        x = np.abs(x)
    m = len(x[::1000])  # specials and the whole range, spread out
    x[::1000] = SWEEP[np.linspace(0, len(SWEEP) - 1, m).astype(np.int64)]
    t = tf.constant(x)
    before = tf.get_num_threads()
    try:
        tf.set_num_threads(1)
        one = lamina_fn(op)(t).numpy()
        tf.set_num_threads(2)
        two = lamina_fn(op)(t).numpy()
    finally:
        tf.set_num_threads(before)
    np.testing.assert_array_equal(one.view(np.uint32), two.view(np.uint32))
    sample = np.r_[0:n:997, n - 70:n]
    assert ulp_error(two[sample], exact(op, x[sample])).max() <= BOUND[isa][op]


@pytest.mark.parametrize("op", ["exp", "tanh", "sigmoid"])
def test_other_float_dtypes_keep_their_loops(op, rng):
    """float64 keeps its double loops (a float32 kernel would miss rtol 1e-14); float16 stays
    within its own rounding of the exact result."""
    a = rng.standard_normal(1000) * 3
    np.testing.assert_allclose(lamina_fn(op)(tf.constant(a)).numpy(), exact(op, a), rtol=1e-14)
    h = tf.cast(tf.constant(a.astype(np.float32)), "float16")
    want = exact(op, tf.cast(h, "float32").numpy()).astype(np.float16)
    np.testing.assert_allclose(tf.cast(lamina_fn(op)(h), "float32").numpy(), want, rtol=1e-3,
                               atol=1e-7)  # float16 subnormals: absolute spacing 6e-8
