"""bfloat16 weights on AVX512_BF16 (vdpbf16ps, csrc/kernels/avx512vnni/bgemm_bf16.c) against
the portable kernel and against lm_dense's float32-widening bfloat16 path, on every kernel this
CPU can run; the Keras mixed_bfloat16 / bfloat16 Dense that uses them."""
import warnings

import numpy as np
import pytest

import lamina as tf
from lamina import _core

KERNELS = _core.bf16dense_kernels()


@pytest.fixture(params=["ref", "avx512bf16"])
def kernel(request):
    if request.param not in KERNELS:
        pytest.skip(f"bfloat16 kernel {request.param!r} needs AVX512_BF16, which this machine "
                    f"lacks (it runs {KERNELS})")
    return request.param


def bf16(a):
    return tf.cast(tf.constant(np.asarray(a, np.float32)), "bfloat16")


def f32(t):
    return tf.cast(t, "float32").numpy()


def test_matches_the_widening_path(kernel, rng):
    """Random shapes (odd K: a padded pair; N not a multiple of 16; every row tile), leading
    dims, bias, each activation: within one bfloat16 rounding of lm_dense's result (float32
    sums in another order, one rounding at the end)."""
    for i in range(40):
        lead = tuple(int(d) for d in rng.integers(1, 6, size=rng.integers(1, 3)))
        k, n = int(rng.integers(1, 200)), int(rng.integers(1, 90))
        x = bf16(rng.standard_normal(lead + (k,)))
        w = bf16(rng.standard_normal((k, n)) / np.sqrt(k))
        b = bf16(rng.standard_normal(n))
        act = [None, "relu", "sigmoid", "tanh", "gelu"][i % 5]
        want = f32(tf.dense(x, w, b, act))
        got = _core.bf16dense(x, _core.BF16Kernel(w), b, act, kernel=kernel)
        assert got.dtype.name == "bfloat16" and got.shape == want.shape
        np.testing.assert_allclose(f32(got), want, rtol=2 ** -7, atol=2 ** -7 * np.abs(want).max())


def test_exact_where_sums_are_exact(kernel, rng):
    """Small integers: every product and sum is exact in float32, so all paths agree bit for
    bit (also the identity kernel: the bfloat16 values come back unchanged, NaN and inf too)."""
    x = bf16(rng.integers(-8, 9, (37, 70)))
    w = bf16(rng.integers(-8, 9, (70, 45)))
    np.testing.assert_array_equal(f32(_core.bf16dense(x, _core.BF16Kernel(w), kernel=kernel)),
                                  f32(tf.dense(x, w)))
    v = np.array([[1.5, -2.0, 3e38, 0.0, -3e38, 1e-30, 7.0, -0.5]], np.float32)
    eye = _core.BF16Kernel(np.eye(8, dtype=np.float32))
    np.testing.assert_array_equal(f32(_core.bf16dense(bf16(v), eye, kernel=kernel)), f32(bf16(v)))
    v[0, 1] = np.inf   # inf in its own column, inf * 0 = NaN in the others
    got = f32(_core.bf16dense(bf16(v), eye, kernel=kernel))[0]
    assert got[1] == np.inf and np.isnan(np.delete(got, 1)).all()


def test_kernel_follows_the_isa():
    before = tf.isa()
    try:
        for isa in tf.isa_available():
            tf.set_isa(isa)
            want = "avx512bf16" if isa == "avx512" and "avx512bf16" in KERNELS else "ref"
            assert _core.bf16dense_kernel() == want
    finally:
        tf.set_isa(before)


def test_bad_inputs():
    w = _core.BF16Kernel(np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match=r"3 features on its last axis, got shape \(2, 4\)"):
        _core.bf16dense(bf16(np.zeros((2, 4))), w)
    with pytest.raises(TypeError, match="x must be bfloat16"):
        _core.bf16dense(tf.constant(np.zeros((2, 3), np.float64)), w)
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        _core.bf16dense(bf16(np.zeros((2, 3))), w, bf16(np.zeros(3)))
    with pytest.raises(ValueError, match="not available here"):
        _core.bf16dense(bf16(np.zeros((2, 3))), w, kernel="amx")
    with pytest.raises(ValueError, match="float matrix"):
        _core.BF16Kernel(np.ones(3, np.float32))


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "bfloat16"])
def test_keras_dense_same_under_every_isa(policy, rng):
    """A Dense model under the policy gives the same numbers on every kernel table (the packed
    AVX512_BF16 path on avx512, the widening path elsewhere), and re-packs after set_weights."""
    x = rng.uniform(-1, 1, (33, 40)).astype(np.float32)
    before, prev = tf.isa(), tf.keras.mixed_precision.global_policy()
    tf.keras.mixed_precision.set_global_policy(policy)
    try:
        m = tf.keras.Sequential([tf.keras.Input((40,)),
                                 tf.keras.layers.Dense(50, activation="relu"),
                                 tf.keras.layers.Dense(7)])
        weights = m.get_weights()
        outs = {}
        for isa in tf.isa_available():
            tf.set_isa(isa)
            outs[isa] = f32(m(x))
            outs[isa + "1"] = f32(m(x[:1]))
        for isa in tf.isa_available():
            np.testing.assert_allclose(outs[isa], outs["ref"], rtol=2 ** -7,
                                       atol=2 ** -7 * np.abs(outs["ref"]).max())
            np.testing.assert_allclose(outs[isa + "1"], outs["ref"][:1], rtol=2 ** -7,
                                       atol=2 ** -7 * np.abs(outs["ref"]).max())
        tf.set_isa(before)
        y = f32(m(x))
        m.set_weights([w * 2 for w in weights])
        assert not np.allclose(f32(m(x)), y)
    finally:
        tf.set_isa(before)
        tf.keras.mixed_precision.set_global_policy(prev)
