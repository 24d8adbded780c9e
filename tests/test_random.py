"""The random generator: Philox-4x32-10 bit-exactness against a reference written from the
published algorithm, index independence, TF's seed semantics, statistics, dtypes, bad inputs."""
import subprocess
import sys

import numpy as np
import pytest
from conftest import FLOAT_DTYPES

import lamina as tf
from lamina import _core

M32 = 0xFFFFFFFF
KINDS = ["uniform", "normal", "truncated_normal"]


# ---- a reference Philox-4x32-10 (Salmon et al. 2011), vectorised over counters ----------------

def philox(c0, c1, c2, c3, k0, k1):
    """Philox-4x32 with 10 rounds; counter words are uint64 arrays holding 32-bit values."""
    c = [np.asarray(x, np.uint64) for x in (c0, c1, c2, c3)]
    k0, k1 = np.uint64(k0), np.uint64(k1)
    for r in range(10):
        if r:
            k0 = (k0 + np.uint64(0x9E3779B9)) & np.uint64(M32)
            k1 = (k1 + np.uint64(0xBB67AE85)) & np.uint64(M32)
        p0 = np.uint64(0xD2511F53) * c[0]
        p1 = np.uint64(0xCD9E8D57) * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ k0, p1 & np.uint64(M32),
             (p0 >> np.uint64(32)) ^ c[3] ^ k1, p0 & np.uint64(M32)]
    return c


def position_words(key, counter, n, per):
    """For positions p = counter + i (mod 2**64): the words of block p // per, as an (n, 4)
    array, and p % per."""
    p = np.uint64(counter) + np.arange(n, dtype=np.uint64)
    blk = p // np.uint64(per)
    w = philox(blk & np.uint64(M32), blk >> np.uint64(32), np.zeros(n, np.uint64),
               np.zeros(n, np.uint64), key & M32, key >> 32)
    return np.stack(w, axis=1), (p % np.uint64(per)).astype(np.int64)


@pytest.mark.parametrize("ctr,key,want", [
    ((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
    ((M32, M32, M32, M32), (M32, M32), (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
    ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
     (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
])
def test_reference_philox_known_answers(ctr, key, want):
    """The reference reproduces Random123's published known-answer vectors."""
    got = philox(*[[c] for c in ctr], *key)
    assert [int(w[0]) for w in got] == list(want)


KEYS = [(0, 0), (0x0123456789ABCDEF, 5), (2 ** 64 - 1, 2 ** 32 - 3), (42, 2 ** 64 - 2)]


@pytest.mark.parametrize("key,counter", KEYS)
def test_uniform_bits_are_philox(key, counter):
    """The C generator is bit-exact Philox-4x32-10 with the documented layout (lamina's
    random.c): float32 uniforms at position p are the top 24 bits of word p % 4 of block p // 4,
    float64 ones the top 53 bits of words 2 (p % 2), 2 (p % 2) + 1 of block p // 2 (the keys and
    counters cross the 32- and 64-bit carries)."""
    n = 700
    w, j = position_words(key, counter, n, 4)
    got = _core._random("uniform", [n], 0.0, 1.0, tf.float32, key, counter).numpy()
    want = (w[np.arange(n), j] >> np.uint64(8)).astype(np.float64) * 2.0 ** -24
    np.testing.assert_array_equal(got, want.astype(np.float32))
    w, j = position_words(key, counter, n, 2)
    hi, lo = w[np.arange(n), 2 * j], w[np.arange(n), 2 * j + 1]
    got = _core._random("uniform", [n], 0.0, 1.0, tf.float64, key, counter).numpy()
    bits = ((hi << np.uint64(32)) | lo) >> np.uint64(11)
    np.testing.assert_array_equal(got, bits.astype(np.float64) * 2.0 ** -53)


@pytest.mark.parametrize("key,counter", KEYS)
def test_normal_is_box_muller_of_the_block(key, counter):
    """Normals: Box-Muller pairs, the cosine output at even positions and the sine at odd ones;
    float32 from the word pair (p // 2) % 2 of block p // 4, float64 from block p // 2."""
    n = 2000
    idx = np.arange(n)
    w, j = position_words(key, counter, n, 4)
    pair = (j // 2) * 2
    u1 = (w[idx, pair].astype(np.float64) + 1.0) * 2.0 ** -32
    u2 = w[idx, pair + 1].astype(np.float64) * 2.0 ** -32
    odd = (j % 2).astype(bool)
    trig = np.where(odd, np.sin(2 * np.pi * u2), np.cos(2 * np.pi * u2))
    z = np.sqrt(-2.0 * np.log(u1)) * trig
    got = _core._random("normal", [n], 1.5, 2.0, tf.float32, key, counter).numpy()
    np.testing.assert_allclose(got, (1.5 + 2.0 * z).astype(np.float32), rtol=1e-6, atol=1e-6)
    w, j = position_words(key, counter, n, 2)
    u1 = ((((w[:, 0] << np.uint64(32)) | w[:, 1]) >> np.uint64(11)).astype(np.float64) + 1.0) * 2.0 ** -53
    u2 = (((w[:, 2] << np.uint64(32)) | w[:, 3]) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    trig = np.where(j == 1, np.sin(2 * np.pi * u2), np.cos(2 * np.pi * u2))
    z = np.sqrt(-2.0 * np.log(u1)) * trig
    got = _core._random("normal", [n], 0.0, 1.0, tf.float64, key, counter).numpy()
    np.testing.assert_allclose(got, z, rtol=1e-12, atol=1e-12)


def test_truncated_redraws_come_from_the_elements_own_blocks():
    """A rejected value at position p is the first accepted output (cosine, then sine) of the
    blocks (lo32(p), hi32(p), attempt, 0), attempt = 1, 2, ..."""
    key, counter, n = 0xABCDEF, 10, 3000
    z = _core._random("normal", [n], 0.0, 1.0, tf.float32, key, counter).numpy()
    t = _core._random("truncated_normal", [n], 0.0, 1.0, tf.float32, key, counter).numpy()
    rejected = np.flatnonzero(np.abs(z.astype(np.float64)) > 2)
    assert len(rejected) > 50
    for i in rejected[:40]:
        p = counter + int(i)
        for attempt in range(1, 65):
            w = [int(x[0]) for x in philox([p & M32], [p >> 32], [attempt], [0], key & M32, key >> 32)]
            r = np.sqrt(-2.0 * np.log((w[0] + 1.0) * 2.0 ** -32))
            c, s = r * np.cos(2 * np.pi * w[1] * 2.0 ** -32), r * np.sin(2 * np.pi * w[1] * 2.0 ** -32)
            if abs(c) <= 2 or abs(s) <= 2:
                want = c if abs(c) <= 2 else s
                break
        assert t[i] == pytest.approx(want, rel=1e-6, abs=1e-6)


def test_truncated_normal_keeps_accepted_normals_and_redraws_the_rest():
    """Where the plain normal is within 2 stddev the truncated one is the same value; elsewhere
    it is redrawn (from the sine output, then further blocks of that element)."""
    n = 20000
    z = _core._random("normal", [n], 0.0, 1.0, tf.float64, 7, 99).numpy()
    t = _core._random("truncated_normal", [n], 0.0, 1.0, tf.float64, 7, 99).numpy()
    inside = np.abs(z) <= 2
    assert 0.03 < 1 - inside.mean() < 0.06
    np.testing.assert_array_equal(t[inside], z[inside])
    assert (np.abs(t) <= 2).all() and not np.array_equal(t[~inside], z[~inside])


# ---- element i depends only on (key, counter + i) ---------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_values_do_not_depend_on_the_split(kind, dtype):
    key, ctr = 0xDEADBEEF12345678, 1000
    whole = _core._random(kind, [1000], 0.5, 2.0, dtype, key, ctr).numpy()
    first = _core._random(kind, [100], 0.5, 2.0, dtype, key, ctr).numpy()
    np.testing.assert_array_equal(first, whole[:100])
    later = _core._random(kind, (7, 50), 0.5, 2.0, dtype, key, ctr + 300).numpy()
    np.testing.assert_array_equal(later.reshape(-1), whole[300:650])
    shaped = _core._random(kind, tf.TensorShape([10, 10, 10]), 0.5, 2.0, dtype, key, ctr).numpy()
    np.testing.assert_array_equal(shaped.reshape(-1), whole)
    one = _core._random(kind, [], 0.5, 2.0, dtype, key, ctr + 999).numpy()
    np.testing.assert_array_equal(one, whole[999])
    assert _core._random(kind, [0, 3], 0.5, 2.0, dtype, key, ctr).shape == (0, 3)


def test_key_and_counter_matter():
    a = _core._random("uniform", [64], 0, 1, tf.float32, 1, 0).numpy()
    assert not np.array_equal(a, _core._random("uniform", [64], 0, 1, tf.float32, 2, 0).numpy())
    assert not np.array_equal(a, _core._random("uniform", [64], 0, 1, tf.float32, 1, 64).numpy())
    assert np.array_equal(a, _core._random("uniform", [64], 0, 1, tf.float32, 1 + 2 ** 64, 0).numpy())
    assert np.array_equal(a, _core._random("uniform", [64], 0, 1, tf.float32, 1, 2 ** 64).numpy())


def test_large_draw_matches_small_draws():
    """A draw big enough to run without the GIL equals its pieces drawn separately."""
    big = _core._random("normal", [50000], 0.0, 1.0, tf.float32, 3, 5).numpy()
    np.testing.assert_array_equal(big[49000:],
                                  _core._random("normal", [1000], 0.0, 1.0, tf.float32, 3, 49005).numpy())


# ---- seed semantics ---------------------------------------------------------------------------

@pytest.fixture
def fresh_seed():
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)


OPS = [lambda **k: tf.random.uniform([5], **k), lambda **k: tf.random.normal([5], **k),
       lambda **k: tf.random.truncated_normal([5], **k),
       lambda **k: tf.random.uniform([5], maxval=1000, dtype=tf.int32, **k)]


@pytest.mark.parametrize("op", OPS)
def test_unseeded_is_fresh_each_call(fresh_seed, op):
    assert not np.array_equal(op().numpy(), op().numpy())


@pytest.mark.parametrize("op", OPS)
def test_global_seed_makes_the_sequence_reproducible(fresh_seed, op):
    tf.random.set_seed(1234)
    first = [op().numpy() for _ in range(3)]
    assert not np.array_equal(first[0], first[1])       # successive calls differ
    tf.random.set_seed(1234)
    again = [op().numpy() for _ in range(3)]
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)
    tf.random.set_seed(1235)
    assert not np.array_equal(op().numpy(), first[0])


@pytest.mark.parametrize("op", OPS)
def test_op_seed(fresh_seed, op):
    tf.random.set_seed(7)
    a1, a2 = op(seed=3).numpy(), op(seed=3).numpy()
    b1 = op(seed=4).numpy()
    assert not np.array_equal(a1, a2)                  # same (g, s): the stream moves on
    assert not np.array_equal(a1, b1)                  # different op seeds differ
    tf.random.set_seed(7)
    np.testing.assert_array_equal(op(seed=3).numpy(), a1)
    np.testing.assert_array_equal(op(seed=3).numpy(), a2)
    np.testing.assert_array_equal(op(seed=4).numpy(), b1)
    tf.random.set_seed(8)
    assert not np.array_equal(op(seed=3).numpy(), a1)  # the global seed matters too


def test_streams_are_independent_of_each_other(fresh_seed):
    """Draws on one stream do not shift another: (g, s=1) values are the same whether or not
    unseeded-op or other-seed draws happen in between."""
    tf.random.set_seed(11)
    plain = [tf.random.normal([4], seed=1).numpy() for _ in range(2)]
    tf.random.set_seed(11)
    x = tf.random.normal([4], seed=1).numpy()
    tf.random.normal([100])
    tf.random.uniform([9], seed=2)
    y = tf.random.normal([4], seed=1).numpy()
    np.testing.assert_array_equal(x, plain[0])
    np.testing.assert_array_equal(y, plain[1])


def test_op_seed_without_global_seed_is_reproducible(fresh_seed):
    a = [tf.random.uniform([4], seed=9).numpy() for _ in range(2)]
    assert not np.array_equal(a[0], a[1])
    tf.random.set_seed(None)
    np.testing.assert_array_equal(tf.random.uniform([4], seed=9).numpy(), a[0])
    # TF pairs it with a default global seed: the same as set_seed(87654321)
    tf.random.set_seed(tf.random.DEFAULT_GLOBAL_SEED)
    np.testing.assert_array_equal(tf.random.uniform([4], seed=9).numpy(), a[0])


def test_reproducible_across_processes(fresh_seed):
    code = ("import lamina as tf; tf.random.set_seed(5); a = tf.random.normal([3]).numpy(); "
            "tf.random.set_seed(None); b = tf.random.uniform([3], seed=2).numpy(); "
            "print(a.tolist(), b.tolist())")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    tf.random.set_seed(5)
    a = tf.random.normal([3]).numpy()
    tf.random.set_seed(None)
    b = tf.random.uniform([3], seed=2).numpy()
    assert runs[0].strip() == f"{a.tolist()} {b.tolist()}"


def test_seed_arguments(fresh_seed):
    tf.random.set_seed(np.int64(3))
    x = tf.random.uniform([2], seed=np.int32(1)).numpy()
    tf.random.set_seed(3)
    np.testing.assert_array_equal(tf.random.uniform([2], seed=1).numpy(), x)
    tf.random.set_seed(-1)       # negative seeds are fine (taken modulo 2**64)
    tf.random.uniform([2], seed=-5)
    with pytest.raises(TypeError, match="seed"):
        tf.random.set_seed(1.5)
    with pytest.raises(TypeError, match="seed"):
        tf.random.uniform([2], seed="a")


# ---- statistics -------------------------------------------------------------------------------

N = 100_000


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_uniform_statistics(fresh_seed, dtype):
    tf.random.set_seed(1)
    for lo, hi in [(0.0, 1.0), (-3.0, 5.0), (10.0, 10.5)]:
        x = tf.random.uniform([N], lo, hi, dtype=dtype)
        assert x.dtype.name == dtype
        v = x.numpy().astype(np.float64)
        assert v.min() >= lo and v.max() < hi
        w = hi - lo
        assert abs(v.mean() - (lo + hi) / 2) < 0.01 * w
        assert abs(v.std() - w / np.sqrt(12)) < 0.01 * w
        counts = np.histogram(v, bins=10, range=(lo, hi))[0]
        assert (np.abs(counts - N / 10) < 0.05 * N / 10).all() or dtype in ("float16", "bfloat16")


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_normal_statistics(fresh_seed, dtype):
    tf.random.set_seed(2)
    x = tf.random.normal([N], mean=3.0, stddev=2.0, dtype=dtype)
    assert x.dtype.name == dtype
    v = x.numpy().astype(np.float64)
    assert abs(v.mean() - 3.0) < 0.03 and abs(v.std() - 2.0) < 0.03
    z = (v - 3.0) / 2.0
    assert abs(np.mean(np.abs(z) < 1) - 0.6827) < 0.01
    assert abs(np.mean(np.abs(z) < 2) - 0.9545) < 0.005
    assert np.abs(z).max() > 3.5   # tails are there


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_truncated_normal_statistics(fresh_seed, dtype):
    tf.random.set_seed(3)
    x = tf.random.truncated_normal([N], mean=-1.0, stddev=0.5, dtype=dtype)
    assert x.dtype.name == dtype
    v = x.numpy().astype(np.float64)
    slack = 0.5 * 2 * 2 ** -7 if dtype == "bfloat16" else 1e-3   # rounding of the bound itself
    assert v.min() >= -2.0 - slack and v.max() <= 0.0 + slack
    assert abs(v.mean() + 1.0) < 0.01
    assert abs(v.std() - 0.5 * 0.87962566) < 0.01      # stddev of N(0,1) truncated at +-2
    assert abs(np.mean(np.abs(v + 1.0) < 0.5) - 0.6827 / 0.9545) < 0.01


def test_standard_normal_defaults(fresh_seed):
    x = tf.random.normal([N])
    assert x.dtype == tf.float32 and x.shape == (N,)
    assert abs(float(x.numpy().mean())) < 0.02 and abs(float(x.numpy().std()) - 1) < 0.02
    x = tf.random.uniform((3, 4))
    assert x.dtype == tf.float32 and x.shape == (3, 4)
    x = tf.random.truncated_normal(tf.constant([2, 5]), dtype=None)
    assert x.dtype == tf.float32 and x.shape == (2, 5)


def test_zero_stddev_and_degenerate_interval(fresh_seed):
    np.testing.assert_array_equal(tf.random.normal([5], 2.0, 0.0).numpy(), np.full(5, 2.0, np.float32))
    np.testing.assert_array_equal(tf.random.truncated_normal([5], -1.0, 0.0).numpy(),
                                  np.full(5, -1.0, np.float32))
    np.testing.assert_array_equal(tf.random.uniform([5], 4.0, 4.0).numpy(), np.full(5, 4.0, np.float32))


# ---- dtypes and bounds ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_uniform_stays_below_maxval_after_rounding(dtype):
    """Values that would round up to maxval in the dtype are pulled back below it."""
    for lo, hi in [(1.0, 1.001), (1.0, 2.0), (0.0, 1e-3), (-1.0, -0.999), (1000.0, 1001.0),
                   (-2.0, 0.0), (0.0, 0.0)]:
        v = _core._random("uniform", [20000], lo, hi, dtype, 77, 0).numpy().astype(np.float64)
        hi_d = tf.cast(tf.constant(hi, tf.float64), dtype).numpy().astype(np.float64)
        lo_d = tf.cast(tf.constant(lo, tf.float64), dtype).numpy().astype(np.float64)
        assert v.min() >= lo_d
        assert v.max() < hi_d or lo_d == hi_d
        if lo_d == hi_d:
            assert (v == lo_d).all()


@pytest.mark.parametrize("dtype,lo", [("float64", 2.0 ** 53), ("float32", 2.0 ** 24),
                                      ("float16", 2048.0), ("bfloat16", 256.0)])
def test_uniform_interval_of_one_representable_value(dtype, lo):
    """[lo, lo + 2) holds only lo in the dtype (its spacing there is 2): half the draws land on
    lo + 1, a tie that rounds up to maxval, and must be pulled back to lo."""
    v = _core._random("uniform", [1000], lo, lo + 2.0, dtype, 3, 0).numpy().astype(np.float64)
    np.testing.assert_array_equal(v, np.full(1000, lo))


def test_uniform_float32_rounding_up_case():
    """1 + (2 - 1) * (1 - 2^-24) rounds to 2 in float32; the top value must stay below 2."""
    v = _core._random("uniform", [200000], 1.0, 2.0, tf.float32, 5, 0).numpy()
    assert v.max() < 2.0 and v.min() >= 1.0


def test_uniform_huge_float64_interval():
    v = _core._random("uniform", [1000], -1e308, 1e308, tf.float64, 1, 0).numpy()
    assert np.isfinite(v).all() and v.min() >= -1e308 and v.max() < 1e308
    assert v.min() < -1e307 and v.max() > 1e307


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_uniform_integers(fresh_seed, dtype):
    tf.random.set_seed(4)
    x = tf.random.uniform([N], minval=-3, maxval=7, dtype=dtype)
    assert x.dtype.name == dtype
    v = x.numpy()
    assert v.min() == -3 and v.max() == 6
    counts = np.bincount(v + 3, minlength=10)
    assert (np.abs(counts - N / 10) < 0.05 * N / 10).all()
    one = tf.random.uniform([100], 5, 6, dtype=dtype).numpy()
    assert (one == 5).all()
    info = np.iinfo(dtype)
    wide = tf.random.uniform([N], info.min, info.max, dtype=dtype).numpy()
    assert wide.min() >= info.min and wide.max() < info.max
    assert wide.min() < info.min // 2 and wide.max() > info.max // 2
    assert (wide < 0).mean() == pytest.approx(0.5, abs=0.01)
    y = tf.random.uniform([3], maxval=tf.constant(10, tf.int32), dtype=dtype)
    assert y.dtype.name == dtype and ((0 <= y.numpy()) & (y.numpy() < 10)).all()


def test_uniform_integers_reproducible(fresh_seed):
    tf.random.set_seed(9)
    a = tf.random.uniform([50], 0, 100, dtype=tf.int64, seed=1).numpy()
    tf.random.set_seed(9)
    np.testing.assert_array_equal(tf.random.uniform([50], 0, 100, dtype=tf.int64, seed=1).numpy(), a)


def test_uniform_integer_errors():
    with pytest.raises(ValueError, match="maxval must be given for dtype int32"):
        tf.random.uniform([3], dtype=tf.int32)
    with pytest.raises(ValueError, match="minval < maxval"):
        tf.random.uniform([3], 5, 5, dtype=tf.int32)
    with pytest.raises(ValueError, match="minval < maxval"):
        tf.random.uniform([3], 5, 2, dtype=tf.int64)
    with pytest.raises(TypeError, match="maxval must be an int"):
        tf.random.uniform([3], 0, 2.5, dtype=tf.int32)
    with pytest.raises(ValueError, match="out of range for int32"):
        tf.random.uniform([3], 0, 2 ** 40, dtype=tf.int32)
    with pytest.raises(TypeError, match="bool"):
        tf.random.uniform([3], dtype=tf.bool)


def test_tensor_parameters_broadcast(fresh_seed):
    tf.random.set_seed(12)
    mean = np.array([0.0, 100.0, -100.0])
    x = tf.random.normal([20000, 3], mean=tf.constant(mean), stddev=[1.0, 2.0, 0.5]).numpy()
    assert x.dtype == np.float32
    np.testing.assert_allclose(x.mean(axis=0), mean, atol=0.1)
    np.testing.assert_allclose(x.std(axis=0), [1.0, 2.0, 0.5], rtol=0.05)
    u = tf.random.uniform([10000, 2], minval=[0.0, 10.0], maxval=[1.0, 20.0], dtype=tf.float64).numpy()
    assert (u[:, 0] >= 0).all() and (u[:, 0] < 1).all() and (u[:, 1] >= 10).all() and (u[:, 1] < 20).all()
    t = tf.random.truncated_normal([5000, 2], mean=[0.0, 5.0], stddev=tf.constant([1.0, 1.0])).numpy()
    assert (np.abs(t - [0.0, 5.0]) <= 2.0 + 1e-5).all()
    np.testing.assert_array_equal(tf.random.normal([3], mean=tf.constant(1.0), stddev=0.0).numpy(),
                                  np.ones(3, np.float32))
    with pytest.raises(ValueError, match="broadcast"):
        tf.random.normal([4], mean=[1.0, 2.0])
    with pytest.raises(ValueError, match="stddev"):
        tf.random.normal([2], stddev=[1.0, -1.0])
    with pytest.raises(ValueError, match="maxval"):
        tf.random.uniform([2], minval=[0.0, 3.0], maxval=[1.0, 2.0])


# ---- bad inputs -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_non_float_dtype_in_c(kind, dtype):
    with pytest.raises(TypeError, match=rf"dtype {dtype} is not supported"):
        _core._random(kind, [3], 0.0, 1.0, dtype, 0, 0)


def test_non_float_dtypes_in_python():
    with pytest.raises(TypeError, match="float dtype"):
        tf.random.normal([3], dtype=tf.int32)
    with pytest.raises(TypeError, match="float dtype"):
        tf.random.truncated_normal([3], dtype="int64")


def test_bad_parameters():
    with pytest.raises(ValueError, match=r"stddev must be >= 0, got -1"):
        tf.random.normal([3], stddev=-1.0)
    with pytest.raises(ValueError, match=r"stddev must be >= 0"):
        tf.random.truncated_normal([3], stddev=-0.5)
    with pytest.raises(ValueError, match=r"maxval 1 is less than minval 2"):
        tf.random.uniform([3], minval=2.0, maxval=1.0)
    with pytest.raises(ValueError, match="finite"):
        tf.random.uniform([3], maxval=float("inf"))
    with pytest.raises(ValueError, match="finite"):
        tf.random.normal([3], mean=float("nan"))
    with pytest.raises(ValueError, match="finite in float16"):
        tf.random.uniform([3], 0.0, 1e6, dtype=tf.float16)
    with pytest.raises(ValueError, match="kind must be"):
        _core._random("gamma", [3], 0.0, 1.0, tf.float32, 0, 0)


def test_bad_shapes():
    with pytest.raises(ValueError, match="negative dimension"):
        tf.random.normal([2, -1])
    with pytest.raises(TypeError, match="ints"):
        tf.random.uniform([2.5])
    with pytest.raises((MemoryError, ValueError)):
        tf.random.uniform([2 ** 40, 2 ** 40])
    with pytest.raises(ValueError, match="rank 9"):
        tf.random.normal([1] * 9)
