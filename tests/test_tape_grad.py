"""Every backward rule against central finite differences, in float64, on random shapes with
broadcasting, size-1 dimensions and non-contiguous inputs; second derivatives through nested
tapes."""
import numpy as np
import pytest

import lamina as tf
import op_oracles
from conftest import strided

EPS = 1e-6


def numeric_grad(f, arrays, i, w):
    """d(sum(f(*arrays) * w)) / d(arrays[i]) by central differences."""
    a = arrays[i]
    g = np.zeros_like(a)
    it = np.nditer(a, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = a[idx]
        a[idx] = old + EPS
        hi = np.sum(np.asarray(f(*[tf.constant(x) for x in arrays])) * w)
        a[idx] = old - EPS
        lo = np.sum(np.asarray(f(*[tf.constant(x) for x in arrays])) * w)
        a[idx] = old
        g[idx] = (hi - lo) / (2 * EPS)
    return g


def check(f, *arrays, rtol=1e-5, atol=1e-6, noncontig=False, seed=0):
    """The tape's gradient of sum(f(*xs) * w) for a random w against finite differences."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    xs = [strided(a) if noncontig and a.ndim >= 1 else tf.constant(a) for a in arrays]
    with tf.GradientTape(persistent=True) as tape:
        for x in xs:
            tape.watch(x)
        y = f(*xs)
    w = np.random.default_rng(seed).standard_normal(np.shape(y))
    grads = tape.gradient(y, xs, output_gradients=tf.constant(w))
    for i, g in enumerate(grads):
        expected = numeric_grad(f, arrays, i, w)
        assert g is not None, f"input {i} got no gradient"
        assert tuple(g.shape) == arrays[i].shape
        assert g.dtype == tf.float64
        np.testing.assert_allclose(np.asarray(g), expected, rtol=rtol, atol=atol,
                                   err_msg=f"input {i}")


def rand(rng, *shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def away_from(rng, shape, points=(0.0,), margin=0.1, lo=-2.0, hi=2.0):
    """Random values at least `margin` away from each of `points` (kinks of abs, relu, ...)."""
    a = rng.uniform(lo, hi, size=shape)
    for p in points:
        near = np.abs(a - p) < margin
        a[near] = p + np.where(a[near] >= p, margin, -margin) * 2
    return a


BROADCAST_PAIRS = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((1,), (2, 3)),
                   ((), (3, 2)), ((2, 1, 3), (4, 1))]


@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS)
@pytest.mark.parametrize("op", [op.name for op in op_oracles.ops("binary") if op.grad])
def test_binary(op, sa, sb):
    rng = np.random.default_rng(hash((op, sa, sb)) % 2**32)
    a, b = rand(rng, *sa), rand(rng, *sb)
    if op == "truediv":
        b = away_from(rng, sb, margin=0.3)
    if op == "pow":
        a = rand(rng, *sa, lo=0.3, hi=2.0)
    if op in ("maximum", "minimum"):
        b = b + 0.05  # no ties: the kink is not differentiable
    if op == "floormod":
        b = away_from(rng, sb, margin=0.5)
        a = a + 0.013  # keep away from the jumps of floor(a / b)
    check(op_oracles.fn(op), a, b)


def test_binary_noncontiguous_inputs():
    rng = np.random.default_rng(1)
    check(lambda a, b: a * b + a / b, rand(rng, 3, 5), away_from(rng, (3, 5), margin=0.3),
          noncontig=True)


@pytest.mark.parametrize("shape", [(), (1,), (3, 4), (2, 1, 3)])
@pytest.mark.parametrize("op", [op for op in op_oracles.ops("unary") if op.grad],
                         ids=lambda op: op.name)
def test_unary(op, shape):
    spec = op_oracles.UNARY[op.name]
    rng = np.random.default_rng(abs(hash((op.name, shape))) % 2**32)
    x = away_from(rng, shape, spec.kinks, spec.margin, lo=spec.grad_lo, hi=2.5)
    check(op.fn, x)


def test_tf_conventions_at_kinks():
    x = tf.constant([-1.0, 0.0, 2.0, 0.0], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        r, a, s = tf.nn.relu(x), tf.abs(x), tf.sign(x)
        mx = tf.maximum(x, tf.constant(0.0, tf.float64))
        mn = tf.minimum(x, tf.constant(0.0, tf.float64))
    np.testing.assert_array_equal(t.gradient(r, x), [0, 0, 1, 0])  # relu'(0) = 0
    np.testing.assert_array_equal(t.gradient(a, x), [-1, 0, 1, 0])  # abs'(0) = 0
    np.testing.assert_array_equal(t.gradient(s, x), [0, 0, 0, 0])
    np.testing.assert_array_equal(t.gradient(mx, x), [0, 1, 1, 1])  # ties go to x
    np.testing.assert_array_equal(t.gradient(mn, x), [1, 1, 0, 1])


def test_reduce_max_splits_ties_evenly():
    x = tf.constant([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=tf.float64)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_max(x, axis=1)
    np.testing.assert_allclose(t.gradient(y, x), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_clip_gradient_passes_at_the_bounds():
    x = tf.constant([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=tf.float64)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.clip_by_value(x, -1.0, 1.0)
    np.testing.assert_array_equal(t.gradient(y, x), [0, 1, 1, 1, 0])


def test_where():
    rng = np.random.default_rng(2)
    cond = tf.constant(rng.random((3, 4)) > 0.5)
    check(lambda a, b: tf.where(cond, a, b), rand(rng, 3, 4), rand(rng, 4))
    check(lambda a, b: tf.where(cond, a, b), rand(rng, 3, 1), rand(rng, 1, 4))


def test_clip():
    rng = np.random.default_rng(3)
    x = away_from(rng, (3, 4), points=(-0.5, 0.7), margin=0.05)
    check(lambda x, lo, hi: tf.clip_by_value(x, lo, hi), x, np.full((4,), -0.5), np.array(0.7))


def test_cast_between_float_dtypes():
    x = tf.constant([1.5, -2.0], dtype=tf.float64)
    for dt in (tf.float32, tf.float16, tf.bfloat16):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.cast(tf.cast(x, dt) * 3.0, tf.float64)
        np.testing.assert_allclose(t.gradient(y, x), [3.0, 3.0])
    xi = tf.constant([1, 2])
    with tf.GradientTape() as t:
        t.watch(xi)
        y = tf.cast(xi, tf.float32) * 2.0
    assert t.gradient(y, xi) is None  # integers are not differentiable


REDUCE_CASES = [((3, 4), None, False), ((3, 4), 0, False), ((3, 4), 1, True),
                ((2, 3, 4), (0, 2), False), ((2, 3, 4), -1, True), ((5,), 0, False), ((), None, False),
                ((2, 1, 3), 1, False)]


@pytest.mark.parametrize("shape,axis,keepdims", REDUCE_CASES)
@pytest.mark.parametrize("op", ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"])
def test_reduce(op, shape, axis, keepdims):
    rng = np.random.default_rng(abs(hash((op, shape, axis))) % 2**32)
    x = rand(rng, *shape, lo=0.5, hi=1.5) * rng.choice([-1, 1], size=shape)
    check(lambda x: getattr(tf, op)(x, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("x", [[[2.0, 0.0, 3.0], [1.0, 2.0, 4.0]], [[0.0, 0.0, 3.0], [0.0, 1.0, 1.0]]])
def test_reduce_prod_with_zeros(x):
    check(lambda x: tf.reduce_prod(x, axis=1), x)
    check(lambda x: tf.reduce_prod(x), x)


@pytest.mark.parametrize("shape,axis", [((3, 5), -1), ((3, 5), 0), ((2, 3, 4), 1), ((4,), 0)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax(op, shape, axis):
    rng = np.random.default_rng(5)
    check(lambda x: getattr(tf.nn, op)(x, axis=axis), rand(rng, *shape) * 3)


def test_softmax_stable_for_large_inputs():
    x = tf.constant([[1000.0, 0.0, -1000.0]], dtype=tf.float64)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.nn.log_softmax(x)
    g = np.asarray(t.gradient(y, x, output_gradients=tf.constant([[1.0, 0.0, 0.0]], tf.float64)))
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, [[0.0, 0.0, 0.0]], atol=1e-12)


SHAPE_OPS = [
    ("reshape", lambda x: tf.reshape(x, (4, -1)), (2, 3, 2)),
    ("reshape_noncontig", lambda x: tf.reshape(tf.transpose(x), (-1,)), (3, 4)),
    ("transpose", lambda x: tf.transpose(x, (2, 0, 1)), (2, 3, 4)),
    ("transpose_default", lambda x: tf.transpose(x), (3, 4)),
    ("expand_dims", lambda x: tf.expand_dims(x, 1), (3, 4)),
    ("squeeze", lambda x: tf.squeeze(x, 1), (3, 1, 4)),
    ("broadcast_to", lambda x: tf.broadcast_to(x, (2, 3, 4)), (3, 1)),
    ("getitem", lambda x: x[1:, ::2], (4, 5)),
    ("getitem_neg_step", lambda x: x[::-1, 2], (4, 5)),
    ("getitem_newaxis_ellipsis", lambda x: x[..., None, 1:3], (2, 3, 4)),
    ("getitem_int", lambda x: x[-1], (3, 2)),
    ("unstack", lambda x: tf.unstack(x, axis=1)[1], (3, 4)),
    ("gather", lambda x: tf.gather(x, [2, 0, 2, 2]), (3, 4)),
    ("gather_axis1", lambda x: tf.gather(x, [[1, 1], [0, 3]], axis=1), (2, 4, 3)),
    ("gather_axis_last", lambda x: tf.gather(x, [0, 0], axis=-1), (3, 2)),
    ("identity", lambda x: tf.identity(x) * 2.0, (3,)),
    ("fill", lambda x: tf.fill((2, 3), x), ()),
]


@pytest.mark.parametrize("name,f,shape", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_ops(name, f, shape):
    rng = np.random.default_rng(7)
    check(f, rand(rng, *shape))


def test_shape_ops_on_noncontiguous_input():
    rng = np.random.default_rng(8)
    check(lambda x: tf.gather(tf.reshape(x, (-1,)), [0, 5, 5]) * x[0, 0], rand(rng, 3, 4), noncontig=True)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_and_stack(axis):
    rng = np.random.default_rng(9)
    check(lambda a, b, c: tf.concat([a, b, c], axis=axis), rand(rng, 2, 3), rand(rng, 2, 3),
          rand(rng, 2, 3))
    if axis == 0:
        check(lambda a, b: tf.concat([a, b], axis=0), rand(rng, 1, 3), rand(rng, 4, 3))
    check(lambda a, b: tf.stack([a, b], axis=axis), rand(rng, 2, 3), rand(rng, 2, 3))


def test_concat_same_tensor_twice():
    rng = np.random.default_rng(10)
    check(lambda a: tf.concat([a, a * 2.0, a], axis=0), rand(rng, 2, 3))


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((1, 3, 4), (2, 4, 2)),
                                   ((2, 1, 3, 4), (3, 4, 2)), ((1, 1), (1, 1))])
def test_matmul(sa, sb, ta, tb):
    rng = np.random.default_rng(11)
    sa = sa[:-2] + sa[-2:][::-1] if ta else sa
    sb = sb[:-2] + sb[-2:][::-1] if tb else sb
    check(lambda a, b: tf.matmul(a, b, transpose_a=ta, transpose_b=tb), rand(rng, *sa), rand(rng, *sb))


def test_matmul_operator_noncontiguous():
    rng = np.random.default_rng(12)
    check(lambda a, b: a @ b, rand(rng, 5, 3), rand(rng, 3, 4), noncontig=True)


@pytest.mark.parametrize("act", [None, "relu", "sigmoid", "tanh", "gelu"])
@pytest.mark.parametrize("xshape", [(3, 4), (4,), (2, 3, 4)])
def test_dense_under_a_tape(act, xshape):
    rng = np.random.default_rng(13)
    x = away_from(rng, xshape, margin=0.05)
    check(lambda x, w, b: tf.dense(x, w, b, activation=act), x, rand(rng, 4, 5) * 0.5,
          rand(rng, 5) * 0.1)


def test_dense_matches_its_unfused_forward_under_a_tape():
    rng = np.random.default_rng(14)
    x, w, b = (tf.constant(rng.standard_normal(s), tf.float32) for s in [(8, 16), (16, 4), (4,)])
    fused = tf.dense(x, w, b, activation="gelu").numpy()
    with tf.GradientTape() as t:
        t.watch(w)
        composed = tf.dense(x, w, b, activation="gelu").numpy()
    np.testing.assert_allclose(composed, fused, rtol=1e-5, atol=1e-6)


def test_mlp_softmax_cross_entropy_against_hand_derived_gradients():
    rng = np.random.default_rng(15)
    n, d, h, k = 6, 5, 7, 3
    x = rng.standard_normal((n, d))
    labels = rng.integers(0, k, n)
    w1, b1 = rng.standard_normal((d, h)) * 0.5, rng.standard_normal(h) * 0.1
    w2, b2 = rng.standard_normal((h, k)) * 0.5, rng.standard_normal(k) * 0.1
    params = [tf.constant(p) for p in (w1, b1, w2, b2)]
    with tf.GradientTape() as tape:
        for p in params:
            tape.watch(p)
        hid = tf.nn.relu(tf.constant(x) @ params[0] + params[1])
        logits = hid @ params[2] + params[3]
        onehot = tf.one_hot(tf.constant(labels), k, dtype=tf.float64)
        loss = -tf.reduce_mean(tf.reduce_sum(onehot * tf.nn.log_softmax(logits), axis=1))
    grads = [np.asarray(g) for g in tape.gradient(loss, params)]
    # by hand: dlogits = (softmax - onehot) / n, then back through the layers
    z1 = x @ w1 + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ w2 + b2
    p = np.exp(z2 - z2.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dz2 = (p - np.eye(k)[labels]) / n
    dz1 = (dz2 @ w2.T) * (z1 > 0)
    expected = [x.T @ dz1, dz1.sum(0), a1.T @ dz2, dz2.sum(0)]
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_size_zero_and_size_one_dims():
    x = tf.zeros((0, 3), dtype=tf.float64)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(x * 2.0, axis=0)
    g = t.gradient(y, x)
    assert tuple(g.shape) == (0, 3)
    rng = np.random.default_rng(16)
    check(lambda a, b: tf.reduce_sum(a * b, axis=1), rand(rng, 1, 1), rand(rng, 1, 3))


def test_float32_and_half_gradients_keep_the_dtype():
    for dt in (tf.float32, tf.float16, tf.bfloat16):
        x = tf.constant([1.0, 2.0], dtype=dt)
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(x * x)
        g = t.gradient(y, x)
        assert g.dtype == dt
        np.testing.assert_allclose(np.asarray(tf.cast(g, tf.float32)), [2.0, 4.0])


# ---- second derivatives through nested tapes --------------------------------------------------

SECOND = [
    ("tanh", lambda x: tf.tanh(x), (3,)),
    ("sigmoid", lambda x: tf.sigmoid(x), (3,)),
    ("exp_mul", lambda x: tf.exp(x) * x, (2, 2)),
    ("pow", lambda x: x ** 3.0, (3,)),
    ("div", lambda x: 1.0 / (x + 3.0), (3,)),
    ("softmax", lambda x: tf.nn.softmax(x), (2, 3)),
    ("log_softmax", lambda x: tf.nn.log_softmax(x), (2, 3)),
    ("matmul", lambda x: tf.matmul(x, x), (3, 3)),
    ("reduce_prod", lambda x: tf.reduce_prod(x, axis=0), (3, 2)),
    ("gather", lambda x: tf.gather(x, [1, 1, 0]) ** 2.0, (3,)),
    ("getitem", lambda x: x[::2] ** 3.0, (5,)),
    ("erf", lambda x: tf.math.erf(x), (3,)),
    ("sqrt", lambda x: tf.sqrt(x + 3.0), (3,)),
    ("reduce_mean_square", lambda x: tf.reduce_mean(x * x, axis=1), (2, 3)),
]


@pytest.mark.parametrize("name,f,shape", SECOND, ids=[s[0] for s in SECOND])
def test_second_derivatives(name, f, shape):
    rng = np.random.default_rng(17)
    x0 = rng.uniform(0.5, 1.5, size=shape)

    def first(x):
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        return inner.gradient(y, x)

    x = tf.constant(x0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        g = first(x)
    w = rng.standard_normal(shape)
    h = outer.gradient(g, x, output_gradients=tf.constant(w))
    expected = numeric_grad(first, [x0], 0, w)
    np.testing.assert_allclose(np.asarray(h), expected, rtol=1e-5, atol=1e-6)
