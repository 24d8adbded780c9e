"""Convolution and pooling ops (csrc/ops/conv.c, conv_depthwise.c, pool.c; lamina/_nn_conv.py):
values against NumPy references of tf's equations, gradients by finite differences and by the
adjoint identity, second derivatives, tf's argument handling and errors; numbers tf gave are
stored as constants."""
import numpy as np
import pytest

import lamina as tf
from lamina import _core
import conv_reference as ref


def _rand_case(rng, nsp):
    """A random convolution problem: shapes, groups, strides, dilations, padding."""
    while True:
        n = int(rng.integers(1, 3))
        c = int(rng.choice([1, 2, 3, 4, 6]))
        groups = int(rng.choice([g for g in (1, 2, 3, c) if c % g == 0]))
        cout = groups * int(rng.integers(1, 3))
        k = [int(rng.integers(1, 4)) for _ in range(nsp)]
        s = [int(rng.integers(1, 3)) for _ in range(nsp)]
        d = [int(rng.integers(1, 3)) for _ in range(nsp)]
        sp = [int(rng.integers(1, 7)) for _ in range(nsp)]
        lo = [int(rng.integers(0, 2)) for _ in range(nsp)]
        hi = [int(rng.integers(0, 2)) for _ in range(nsp)]
        if all(sp[i] + lo[i] + hi[i] >= (k[i] - 1) * d[i] + 1 for i in range(nsp)):
            x = rng.standard_normal((n, *sp, c))
            w = rng.standard_normal((*k, c // groups, cout))
            return x, w, (tuple(s), tuple(d), tuple(lo), tuple(hi))


@pytest.mark.parametrize("nsp", [1, 2, 3])
def test_conv_matches_reference_and_adjoint(nsp):
    rng = np.random.default_rng(nsp)
    for _ in range(40):
        x, w, args = _rand_case(rng, nsp)
        y = ref.conv(x, w, *args)
        got = _core._conv(x, w, None, None, *args).numpy()
        np.testing.assert_allclose(got, y, rtol=1e-10, atol=1e-10)
        # <conv(x), g> = <x, conv^T(g)> = <w, dW(x, g)>
        g = rng.standard_normal(y.shape)
        dx = _core._conv_backprop_input(g, w, x.shape, *args).numpy()
        dw = _core._conv_backprop_filter(x, g, w.shape, *args).numpy()
        a = (y * g).sum()
        assert abs(a - (x * dx).sum()) <= 1e-9 * (1 + abs(a))
        assert abs(a - (w * dw).sum()) <= 1e-9 * (1 + abs(a))


def test_conv_big_enough_for_chunks_and_threads():
    """More output rows than one patch chunk, and a pointwise (plain GEMM) case."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 40, 50, 24)).astype(np.float32)
    for k, s in ((3, 1), (1, 1), (1, 2), (5, 2)):
        w = rng.standard_normal((k, k, 24, 16)).astype(np.float32)
        lo, hi = ref.same_pads((40, 50), (k, k), (s, s), (1, 1))
        y = ref.conv(x, w, (s, s), (1, 1), lo, hi)
        got = tf.nn.conv2d(x, w, s, "SAME").numpy()
        np.testing.assert_allclose(got, y, rtol=1e-4, atol=1e-4)


def test_depthwise_with_multiplier_and_bias_activation():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 9, 8, 5)).astype(np.float32)
    f = rng.standard_normal((3, 3, 5, 2)).astype(np.float32)
    w = f.reshape(3, 3, 1, 10)
    lo, hi = ref.same_pads((9, 8), (3, 3), (2, 2), (1, 1))
    y = ref.conv(x, w, (2, 2), (1, 1), lo, hi)
    got = tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME").numpy()
    np.testing.assert_allclose(got, y, rtol=1e-5, atol=1e-5)
    b = rng.standard_normal(10).astype(np.float32)
    for act, fn in (("relu", lambda v: np.maximum(v, 0)), ("tanh", np.tanh),
                    ("sigmoid", lambda v: 1 / (1 + np.exp(-v)))):
        got = _core._conv(x, w, b, act, (2, 2), (1, 1), tuple(lo), tuple(hi)).numpy()
        np.testing.assert_allclose(got, fn(y + b), rtol=1e-5, atol=1e-5)


def test_fused_bias_activation_in_gemm_epilogue():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 7, 7, 8))
    w = rng.standard_normal((3, 3, 8, 5))
    b = rng.standard_normal(5)
    y = ref.conv(x, w, (1, 1), (1, 1), (1, 1), (1, 1)) + b
    got = _core._conv(x, w, b, "relu", (1, 1), (1, 1), (1, 1), (1, 1)).numpy()
    np.testing.assert_allclose(got, np.maximum(y, 0), rtol=1e-10, atol=1e-12)


# ---- values tf gave (tf 2.21, this input) ------------------------------------------------------

def _tf_inputs():
    x = np.arange(2 * 5 * 4 * 3, dtype=np.float32).reshape(2, 5, 4, 3) / 10 - 3
    w = np.arange(3 * 2 * 3 * 2, dtype=np.float32).reshape(3, 2, 3, 2) / 7 - 1.3
    return x, w


def test_values_tf_gave():
    x, w = _tf_inputs()
    y = tf.nn.conv2d(x, w, [2, 3], "SAME").numpy()
    assert y.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(y.sum(), 770.16003, rtol=1e-5)
    np.testing.assert_allclose(y[1, 2, 1], [-4.531426, 2.497144], rtol=1e-5)
    y = tf.nn.max_pool2d(x, [2, 3], [2, 2], "SAME").numpy()
    assert y.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(y.sum(), 145.8, rtol=1e-5)
    np.testing.assert_allclose(y[0, 2, 1], [2.7, 2.8, 2.9], rtol=1e-5)
    y = tf.nn.avg_pool2d(x, [2, 3], [2, 2], "SAME").numpy()
    np.testing.assert_allclose(y.sum(), 123.30001, rtol=1e-5)
    np.testing.assert_allclose(y[0, 2, 1], [2.55, 2.65, 2.75], rtol=1e-5)
    wt = np.transpose(w, (0, 1, 3, 2))[:, :, :, :3]
    y = tf.nn.conv2d_transpose(x, wt, [2, 10, 8, 2], 2, "SAME").numpy()
    assert y.shape == (2, 10, 8, 2)
    np.testing.assert_allclose(y.sum(), 3626.4233, rtol=1e-5)
    np.testing.assert_allclose(y[1, 3, 4], [10.347144, 12.447144], rtol=1e-5)


# ---- the tf.nn functions against the references -----------------------------------------------

@pytest.mark.parametrize("padding", ["SAME", "VALID", "EXPLICIT"])
@pytest.mark.parametrize("strides,dilations", [(1, 1), (2, 1), (1, 2), ([1, 2, 3, 1], [1, 1, 1, 1])])
def test_conv2d_padding_strides_dilations(padding, strides, dilations):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 9, 10, 3))
    w = rng.standard_normal((3, 2, 3, 4))
    s = (strides,) * 2 if isinstance(strides, int) else tuple(strides[1:3])
    d = (dilations,) * 2 if isinstance(dilations, int) else tuple(dilations[1:3])
    if padding == "SAME":
        lo, hi = ref.same_pads((9, 10), (3, 2), s, d)
    elif padding == "VALID":
        lo, hi = (0, 0), (0, 0)
    else:
        lo, hi = (1, 0), (2, 1)
        padding = [[0, 0], [1, 2], [0, 1], [0, 0]]
    got = tf.nn.conv2d(x, w, strides, padding, dilations=dilations).numpy()
    np.testing.assert_allclose(got, ref.conv(x, w, s, d, lo, hi), rtol=1e-10, atol=1e-10)


def test_conv1d_conv3d_nchw_and_extra_batch_dims():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 11, 3))
    w = rng.standard_normal((4, 3, 5))
    lo, hi = ref.same_pads((11,), (4,), (2,), (1,))
    np.testing.assert_allclose(tf.nn.conv1d(x, w, 2, "SAME").numpy(),
                               ref.conv(x, w, (2,), (1,), lo, hi), rtol=1e-10)
    x3 = rng.standard_normal((1, 4, 5, 6, 2))
    w3 = rng.standard_normal((2, 3, 2, 2, 3))
    lo, hi = ref.same_pads((4, 5, 6), (2, 3, 2), (1, 2, 1), (1, 1, 1))
    np.testing.assert_allclose(tf.nn.conv3d(x3, w3, [1, 1, 2, 1, 1], "SAME").numpy(),
                               ref.conv(x3, w3, (1, 2, 1), (1, 1, 1), lo, hi), rtol=1e-10)
    x4 = rng.standard_normal((2, 3, 6, 5))
    w4 = rng.standard_normal((3, 3, 3, 2))
    y = tf.nn.conv2d(x4, w4, 1, "VALID", data_format="NCHW").numpy()
    want = ref.conv(x4.transpose(0, 2, 3, 1), w4, (1, 1), (1, 1), (0, 0), (0, 0))
    np.testing.assert_allclose(y, want.transpose(0, 3, 1, 2), rtol=1e-10)
    x5 = rng.standard_normal((2, 3, 6, 5, 3))
    y = tf.nn.conv2d(x5, w4, 1, "VALID").numpy()
    assert y.shape == (2, 3, 4, 3, 2)
    want = ref.conv(x5.reshape(6, 6, 5, 3), w4, (1, 1), (1, 1), (0, 0), (0, 0))
    np.testing.assert_allclose(y.reshape(want.shape), want, rtol=1e-10)


def test_separable_and_transpose():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 7, 6, 3))
    dw = rng.standard_normal((3, 3, 3, 2))
    pw = rng.standard_normal((1, 1, 6, 4))
    y = tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "VALID").numpy()
    mid = ref.conv(x, dw.reshape(3, 3, 1, 6), (1, 1), (1, 1), (0, 0), (0, 0))
    np.testing.assert_allclose(y, ref.conv(mid, pw, (1, 1), (1, 1), (0, 0), (0, 0)), rtol=1e-10)
    # conv2d_transpose is the adjoint of conv2d with the same geometry
    f = rng.standard_normal((3, 3, 2, 3))  # (h, w, out_channels, in_channels)
    for out_hw, pad in (((14, 12), "SAME"), ((13, 11), "SAME"), ((15, 13), "VALID")):
        g = tf.nn.conv2d_transpose(x, f, (2, *out_hw, 2), 2, pad).numpy()
        z = rng.standard_normal(g.shape)
        fwd = tf.nn.conv2d(z, f, 2, pad).numpy()
        assert fwd.shape == x.shape
        np.testing.assert_allclose((g * z).sum(), (fwd * x).sum(), rtol=1e-10)
    g1 = tf.nn.conv1d_transpose(x[:, 0], f[0], (2, 12, 2), 2, "SAME").numpy()
    assert g1.shape == (2, 12, 2)


@pytest.mark.parametrize("nsp", [1, 2, 3])
@pytest.mark.parametrize("is_max", [True, False])
def test_pool_matches_reference(nsp, is_max):
    rng = np.random.default_rng(11 + nsp)
    fn = {(1, True): tf.nn.max_pool1d, (2, True): tf.nn.max_pool2d, (3, True): tf.nn.max_pool3d,
          (1, False): tf.nn.avg_pool1d, (2, False): tf.nn.avg_pool2d,
          (3, False): tf.nn.avg_pool3d}[nsp, is_max]
    for _ in range(10):
        sp = [int(rng.integers(3, 8)) for _ in range(nsp)]
        k = [int(rng.integers(1, 4)) for _ in range(nsp)]
        s = [int(rng.integers(1, 4)) for _ in range(nsp)]
        x = rng.standard_normal((2, *sp, 3))
        for pad in ("SAME", "VALID"):
            lo, hi = ref.same_pads(sp, k, s, [1] * nsp) if pad == "SAME" else ([0] * nsp,) * 2
            np.testing.assert_allclose(fn(x, k, s, pad).numpy(), ref.pool(x, k, s, lo, hi, is_max),
                                       rtol=1e-12)


def test_pool_generic_and_data_format():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 6, 7, 3))
    want = ref.pool(x, (2, 2), (2, 2), *ref.same_pads((6, 7), (2, 2), (2, 2), (1, 1)), True)
    np.testing.assert_allclose(tf.nn.pool(x, [2, 2], "MAX", strides=[2, 2], padding="SAME").numpy(),
                               want)
    np.testing.assert_allclose(tf.nn.max_pool(x, 2, 2, "SAME").numpy(), want)
    y = tf.nn.avg_pool2d(x.transpose(0, 3, 1, 2), 2, 1, "VALID", data_format="NCHW").numpy()
    np.testing.assert_allclose(y.transpose(0, 2, 3, 1),
                               ref.pool(x, (2, 2), (1, 1), (0, 0), (0, 0), False), rtol=1e-12)
    y = tf.nn.max_pool2d(x, 2, 2, [[0, 0], [1, 1], [0, 1], [0, 0]]).numpy()
    np.testing.assert_allclose(y, ref.pool(x, (2, 2), (2, 2), (1, 0), (1, 1), True))


# ---- gradients ---------------------------------------------------------------------------------

def _fd_check(f, xs, rng, eps=1e-6, tol=1e-6):
    """Compare tape gradients of sum(f(*xs) * c) with central differences, in float64."""
    ts = [tf.constant(x) for x in xs]
    c = None
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        y = f(*ts)
        c = rng.standard_normal(y.shape)
        loss = tf.reduce_sum(y * c)
    grads = tape.gradient(loss, ts)
    for i, x in enumerate(xs):
        num = np.zeros_like(x)
        for idx in np.ndindex(*x.shape):
            xp = [v.copy() for v in xs]
            xp[i][idx] += eps
            up = (f(*[tf.constant(v) for v in xp]).numpy() * c).sum()
            xp[i][idx] -= 2 * eps
            dn = (f(*[tf.constant(v) for v in xp]).numpy() * c).sum()
            num[idx] = (up - dn) / (2 * eps)
        np.testing.assert_allclose(grads[i].numpy(), num, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", ["plain", "strided_same", "dilated", "groups", "depthwise",
                                  "pointwise", "conv1d", "conv3d"])
def test_conv_gradients_finite_differences(case):
    rng = np.random.default_rng(hash(case) % 1000)
    x = rng.standard_normal((2, 5, 4, 4))
    cfg = {"plain": ((3, 3, 4, 3), 1, "VALID", 1), "strided_same": ((3, 2, 4, 3), 2, "SAME", 1),
           "dilated": ((2, 2, 4, 2), 1, "SAME", 2), "groups": ((3, 3, 2, 4), 1, "SAME", 1),
           "depthwise": ((3, 3, 1, 8), 2, "SAME", 1), "pointwise": ((1, 1, 4, 3), 1, "VALID", 1)}
    if case == "conv1d":
        _fd_check(lambda a, b: tf.nn.conv1d(a, b, 2, "SAME"), [x[:, 0], rng.standard_normal((3, 4, 2))], rng)
        return
    if case == "conv3d":
        _fd_check(lambda a, b: tf.nn.conv3d(a, b, [1, 1, 2, 1, 1], "SAME"),
                  [x[:1, None].repeat(3, 1), rng.standard_normal((2, 2, 2, 4, 2))], rng)
        return
    shape, s, pad, d = cfg[case]
    w = rng.standard_normal(shape)
    _fd_check(lambda a, b: tf.nn.conv2d(a, b, s, pad, dilations=d), [x, w], rng)


def test_depthwise_separable_transpose_gradients():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((1, 5, 5, 2))
    _fd_check(lambda a, b: tf.nn.depthwise_conv2d(a, b, [1, 1, 1, 1], "SAME"),
              [x, rng.standard_normal((3, 3, 2, 2))], rng)
    _fd_check(lambda a, b, c: tf.nn.separable_conv2d(a, b, c, [1, 1, 1, 1], "VALID"),
              [x, rng.standard_normal((2, 2, 2, 2)), rng.standard_normal((1, 1, 4, 3))], rng)
    _fd_check(lambda a, b: tf.nn.conv2d_transpose(a, b, (1, 10, 10, 3), 2, "SAME"),
              [x, rng.standard_normal((3, 3, 3, 2))], rng)


@pytest.mark.parametrize("is_max", [True, False])
def test_pool_gradients(is_max):
    rng = np.random.default_rng(14)
    x = rng.permutation(2 * 5 * 6 * 3).reshape(2, 5, 6, 3) / 7.0  # no ties
    f = tf.nn.max_pool2d if is_max else tf.nn.avg_pool2d
    _fd_check(lambda a: f(a, [2, 3], [2, 2], "SAME"), [x], rng)
    _fd_check(lambda a: f(a, 3, 1, "VALID"), [x], rng)


def test_max_pool_gradient_goes_to_first_max_on_ties():
    x = tf.constant(np.ones((1, 2, 2, 1)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    g = tape.gradient(y, x).numpy()
    np.testing.assert_array_equal(g[0, :, :, 0], [[1, 0], [0, 0]])


def test_second_derivatives():
    """d/dx of <dL/dw, v> is linear in the conv ops: checked against finite differences of the
    first-order tape gradient."""
    rng = np.random.default_rng(15)
    x0 = rng.standard_normal((1, 4, 4, 2))
    w0 = rng.standard_normal((2, 2, 2, 3))
    v = rng.standard_normal(w0.shape)

    def first(xv):
        x, w = tf.constant(xv), tf.constant(w0)
        with tf.GradientTape() as t:
            t.watch(w)
            loss = tf.reduce_sum(tf.square(tf.nn.conv2d(x, w, 1, "SAME")))
        return (t.gradient(loss, w).numpy() * v).sum()

    x = tf.constant(x0)
    w = tf.constant(w0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(w)
            loss = tf.reduce_sum(tf.square(tf.nn.conv2d(x, w, 1, "SAME")))
        gw = inner.gradient(loss, w)
        s = tf.reduce_sum(gw * v)
    gx = outer.gradient(s, x).numpy()
    num = np.zeros_like(x0)
    for idx in np.ndindex(*x0.shape):
        xp = x0.copy()
        xp[idx] += 1e-5
        up = first(xp)
        xp[idx] -= 2e-5
        num[idx] = (up - first(xp)) / 2e-5
    np.testing.assert_allclose(gx, num, rtol=1e-5, atol=1e-6)
    # max pooling: the gradient of the gradient with respect to the upstream gradient
    xm = tf.constant(rng.permutation(32).reshape(1, 4, 4, 2) / 3.0)
    g = tf.constant(rng.standard_normal((1, 2, 2, 2)))
    with tf.GradientTape() as outer:
        outer.watch(g)
        with tf.GradientTape() as inner:
            inner.watch(xm)
            y = tf.reduce_sum(tf.nn.max_pool2d(xm, 2, 2, "VALID") * g)
        gx = inner.gradient(y, xm)
        s = tf.reduce_sum(gx * xm)
    # d/dg sum(maxpool_grad(x, g) * x) = maxpool(x)
    np.testing.assert_allclose(outer.gradient(s, g).numpy(),
                               tf.nn.max_pool2d(xm, 2, 2, "VALID").numpy())


# ---- dtypes and layouts ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype,tol", [("float16", 2e-2), ("bfloat16", 1e-1), ("float32", 1e-5)])
def test_half_and_single_precision(dtype, tol):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((1, 6, 6, 4)).astype(np.float32)
    w = rng.standard_normal((3, 3, 4, 2)).astype(np.float32)
    xt, wt = tf.cast(x, dtype), tf.cast(w, dtype)
    y = tf.nn.conv2d(xt, wt, 1, "SAME")
    assert y.dtype == dtype
    want = ref.conv(tf.cast(xt, "float64").numpy(), tf.cast(wt, "float64").numpy(), (1, 1),
                    (1, 1), (1, 1), (1, 1))
    np.testing.assert_allclose(tf.cast(y, "float32").numpy(), want, rtol=tol, atol=tol * 4)
    p = tf.nn.max_pool2d(xt, 2, 2, "VALID")
    assert p.dtype == dtype


def test_non_contiguous_inputs():
    rng = np.random.default_rng(17)
    x = rng.standard_normal((2, 8, 10, 6))
    w = rng.standard_normal((3, 3, 3, 4))
    xv = tf.constant(x)[:, ::2, 1:, ::2]
    got = tf.nn.conv2d(xv, w, 1, "SAME").numpy()
    xs = x[:, ::2, 1:, ::2]
    np.testing.assert_allclose(got, ref.conv(xs, w, (1, 1), (1, 1), (1, 1), (1, 1)), rtol=1e-10)
    np.testing.assert_allclose(tf.nn.avg_pool2d(xv, 2, 2, "VALID").numpy(),
                               ref.pool(xs, (2, 2), (2, 2), (0, 0), (0, 0), False), rtol=1e-12)


def test_size_zero_and_one():
    y = tf.nn.conv2d(np.zeros((0, 5, 5, 3)), np.ones((3, 3, 3, 2)), 1, "SAME")
    assert y.shape == (0, 5, 5, 2)
    y = tf.nn.conv2d(np.ones((1, 1, 1, 3)), np.ones((1, 1, 3, 2)), 1, "VALID")
    np.testing.assert_array_equal(y.numpy(), [[[[3, 3]]]])
    y = tf.nn.conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 0)), 1, "SAME")
    assert y.shape == (1, 4, 4, 0)
    y = tf.nn.max_pool2d(np.ones((2, 1, 1, 3)), 1, 1, "VALID")
    np.testing.assert_array_equal(y.numpy(), np.ones((2, 1, 1, 3)))


# ---- bad input ---------------------------------------------------------------------------------

def test_errors_name_the_problem():
    x = np.ones((1, 5, 5, 3), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="input depth must be evenly divisible by filter depth: 3 vs 4"):
        tf.nn.conv2d(x, np.ones((3, 3, 4, 2), np.float32), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="output depth must be evenly divisible by number of groups: 2 vs 3"):
        tf.nn.conv2d(x, np.ones((3, 3, 1, 2), np.float32), 1, "SAME")
    for s in (0, -1):
        with pytest.raises(tf.errors.InvalidArgumentError, match="Stride must be > 0"):
            tf.nn.conv2d(x, np.ones((3, 3, 3, 2), np.float32), s, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="'padding' of \"FOO\""):
        tf.nn.conv2d(x, np.ones((3, 3, 3, 2), np.float32), 1, "FOO")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Computed output size would be negative: -1 \\[input_size: 5, effective_filter_size: 7, stride: 1\\]"):
        tf.nn.conv2d(x, np.ones((7, 7, 3, 2), np.float32), 1, "VALID")
    with pytest.raises(ValueError, match="rank at least 4"):
        tf.nn.conv2d(x[0], np.ones((3, 3, 3, 2), np.float32), 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="filter must be 4-dimensional"):
        tf.nn.conv2d(x, np.ones((3, 3, 3), np.float32), 1, "VALID")
    with pytest.raises(ValueError, match="padding is a list, it must be of size 4"):
        tf.nn.conv2d(x, np.ones((3, 3, 3, 2), np.float32), 1, [[0, 0], [1, 1], [2, 2]])
    with pytest.raises(TypeError, match="one dtype"):
        tf.nn.conv2d(x, np.ones((3, 3, 3, 2), np.float64), 1, "VALID")
    with pytest.raises(TypeError, match="float"):
        tf.nn.conv2d(x.astype(np.int32), np.ones((3, 3, 3, 2), np.int32), 1, "VALID")
    with pytest.raises(tf.errors.UnimplementedError, match="batch and depth"):
        tf.nn.conv2d(x, np.ones((3, 3, 3, 2), np.float32), [2, 2, 2, 1], "SAME")
    with pytest.raises(ValueError, match="strides should be of length 1, 2 or 4"):
        tf.nn.conv2d(x, np.ones((3, 3, 3, 2), np.float32), [1, 2, 2], "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Stride must be > 0"):
        tf.nn.max_pool2d(x, 2, 0, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Computed output size would be negative"):
        tf.nn.max_pool2d(x, 7, 2, "VALID")
    with pytest.raises(TypeError, match="Expected string for argument 'padding'"):
        tf.nn.avg_pool2d(x, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match="2-D FOO pooling is not supported"):
        tf.nn.pool(x, [2, 2], "FOO", padding="SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="input depth must be evenly divisible"):
        tf.nn.depthwise_conv2d(x, np.ones((3, 3, 4, 2), np.float32), [1, 1, 1, 1], "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.conv2d_transpose(x, np.ones((3, 3, 2, 3), np.float32), [1, 12, 12, 2], 2, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.conv2d_transpose(x, np.ones((3, 3, 2, 4), np.float32), [1, 10, 10, 2], 2, "SAME")


# ---- moments, batch_normalization, l2_normalize -------------------------------------------------

def test_moments_batch_norm_l2():
    rng = np.random.default_rng(18)
    x = rng.standard_normal((4, 3, 5))
    m, v = tf.nn.moments(x, [0, 1])
    np.testing.assert_allclose(m.numpy(), x.mean((0, 1)), rtol=1e-12)
    np.testing.assert_allclose(v.numpy(), x.var((0, 1)), rtol=1e-12)
    m, v = tf.nn.moments(x, [1], keepdims=True)
    assert m.shape == (4, 1, 5)
    off, sc = rng.standard_normal(5), rng.standard_normal(5)
    mean, var = x.mean((0, 1)), x.var((0, 1))
    y = tf.nn.batch_normalization(x, mean, var, off, sc, 1e-3).numpy()
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3) * sc + off, rtol=1e-10)
    y = tf.nn.batch_normalization(x, mean, var, None, None, 1e-3).numpy()
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10)
    np.testing.assert_allclose(tf.nn.l2_normalize(x, axis=2).numpy(),
                               x / np.sqrt((x * x).sum(2, keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(tf.nn.l2_normalize(np.zeros(3)).numpy(), np.zeros(3))
    h = tf.nn.moments(tf.cast(x, "float16"), [0])[0]
    assert h.dtype == "float16"
    _fd_check(lambda a: tf.nn.batch_normalization(a, *tf.nn.moments(a, [0, 1]), None, None, 1e-3),
              [x[:2, :2, :2].copy()], rng, tol=1e-5)


@pytest.mark.parametrize("channels", [3, 16, 83])
def test_depthwise_row_kernel_every_isa(channels):
    """The float32 depthwise row kernel of each ISA folder against the float64 reference:
    channel blocks of 64, 16 and single channels, padding, strides, dilation, bias, relu."""
    rng = np.random.default_rng(channels)
    x = rng.standard_normal((2, 9, 11, channels)).astype(np.float32)
    f = rng.standard_normal((3, 3, channels, 1)).astype(np.float32)
    b = rng.standard_normal(channels).astype(np.float32)
    w = f.reshape(3, 3, 1, channels)
    before = tf.isa()
    try:
        for isa in tf.isa_available():
            tf.set_isa(isa)
            for s, d in ((1, 1), (2, 1), (1, 2)):
                lo, hi = ref.same_pads((9, 11), (3, 3), (s, s), (d, d))
                want = np.maximum(ref.conv(x, w, (s, s), (d, d), lo, hi) + b, 0)
                got = _core._conv(x, w, b, "relu", (s, s), (d, d), tuple(lo), tuple(hi)).numpy()
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=isa)
    finally:
        tf.set_isa(before)


def test_no_leaks_over_ops_gradients_and_failures():
    import gc
    x = tf.constant(np.random.default_rng(19).standard_normal((2, 6, 6, 4)))
    w = tf.constant(np.random.default_rng(20).standard_normal((3, 3, 2, 4)))

    def work():
        with tf.GradientTape(persistent=True) as t:
            t.watch([x, w])
            y = tf.nn.conv2d(x, w, 1, "SAME")
            z = tf.nn.max_pool2d(y, 2, 2, "SAME") + tf.nn.avg_pool2d(y, 3, 1, "VALID")[:, :3, :3]
            loss = tf.reduce_sum(z * z)
        t.gradient(loss, [x, w])
        _core._conv(x, w, tf.constant(np.ones(4)), "relu", (1, 1), (1, 1), (1, 1), (1, 1))
        for bad in (lambda: tf.nn.conv2d(x, tf.concat([w, w[:, :, :1]], 2), 1, "SAME"),
                    lambda: _core._conv_backprop_input(y[:, :2], w, x.shape, (1, 1), (1, 1),
                                                       (1, 1), (1, 1))):
            try:
                bad()
            except ValueError:
                pass
    work()
    gc.collect()
    start = _core.live_storages()
    for _ in range(20):
        work()
    gc.collect()
    assert _core.live_storages() == start


def test_conv_transpose_generic_and_weighted_moments():
    rng = np.random.default_rng(21)
    x = rng.standard_normal((1, 4, 4, 3))
    f = rng.standard_normal((2, 2, 2, 3))
    np.testing.assert_allclose(tf.nn.conv_transpose(x, f, (1, 8, 8, 2), 2).numpy(),
                               tf.nn.conv2d_transpose(x, f, (1, 8, 8, 2), 2).numpy())
    v = rng.standard_normal((5, 3))
    fw = rng.uniform(0.5, 2, (5, 1))
    m, var = tf.nn.weighted_moments(v, [0], fw)
    want_m = (v * fw).sum(0) / (fw * np.ones_like(v)).sum(0)
    np.testing.assert_allclose(m.numpy(), want_m, rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), (fw * (v - want_m) ** 2).sum(0) / fw.sum(), rtol=1e-12)


@pytest.mark.parametrize("cout", [16, 33, 64, 70])
def test_float32_conv_every_isa(cout):
    """float32 convolutions (the AVX-512 direct row kernel where it applies, patches + GEMM
    elsewhere) against the float64 reference on every ISA: output-channel tails, pixel tails,
    strides, dilations, padding, 1-d, fused bias with relu and with tanh."""
    rng = np.random.default_rng(cout)
    before = tf.isa()
    cases = [((2, 7, 17, 5), (3, 3), (1, 1), (1, 1), "relu"),     # >= 128 output pixels:
             ((2, 9, 30, 37), (3, 2), (2, 1), (1, 1), "tanh"),    # the direct kernel
             ((2, 8, 11, 8), (3, 3), (1, 1), (2, 2), None),
             ((16, 1, 29, 12), (1, 5), (1, 3), (1, 1), "relu"),
             ((2, 8, 10, 40), (1, 1), (1, 1), (1, 1), None),      # 1x1
             ((1, 5, 6, 9), (3, 3), (1, 1), (1, 1), "relu")]     # fewer: patches + GEMM
    try:
        for isa in tf.isa_available():
            tf.set_isa(isa)
            for shape, k, s, d, act in cases:
                x = rng.standard_normal(shape).astype(np.float32)
                w = rng.standard_normal(k + (shape[-1], cout)).astype(np.float32) / 4
                b = rng.standard_normal(cout).astype(np.float32)
                lo, hi = ref.same_pads(shape[1:3], k, s, d)
                want = ref.conv(x, w, s, d, lo, hi) + b
                want = {None: want, "relu": np.maximum(want, 0), "tanh": np.tanh(want)}[act]
                got = _core._conv(x, w, b, act, s, d, tuple(lo), tuple(hi)).numpy()
                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=isa)
                # the filter gradient (AVX-512 tile kernel) against float64 (patches + GEMM)
                g = rng.standard_normal(want.shape).astype(np.float32)
                geo = (s, d, tuple(lo), tuple(hi))
                dw = _core._conv_backprop_filter(x, g, w.shape, *geo).numpy()
                dw64 = _core._conv_backprop_filter(x.astype(np.float64), g.astype(np.float64),
                                                   w.shape, *geo).numpy()
                np.testing.assert_allclose(dw, dw64, rtol=1e-4, atol=2e-3, err_msg=isa)
                x1 = x[:, 0]
                got = tf.nn.conv1d(x1, w[0], s[1], "VALID", dilations=d[1]).numpy()
                np.testing.assert_allclose(got, ref.conv(x1, w[0], s[1:], d[1:], (0,), (0,)),
                                           rtol=1e-4, atol=1e-4, err_msg=isa)
    finally:
        tf.set_isa(before)


def test_max_pool_gradient_big_window():
    """Windows of more than 64 pixels take the slower pixel lookup in the max-pool gradient."""
    rng = np.random.default_rng(22)
    x = rng.permutation(2 * 10 * 10 * 2).reshape(2, 10, 10, 2) / 5.0
    _fd_check(lambda a: tf.nn.max_pool2d(a, 9, 1, "VALID"), [x], rng)
    _fd_check(lambda a: tf.nn.max_pool2d(a, 9, 3, "SAME"), [x], rng)
