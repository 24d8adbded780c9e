"""Property test: random chains of differentiable ops on random shapes (broadcasting, size-1 axes,
negative axes, keepdims, transposed views), the tape's gradient against central differences."""
import numpy as np
from hypothesis import given, settings, strategies as st

import lamina as tf
from test_tape_grad import numeric_grad

UNARY = [tf.tanh, tf.sigmoid, tf.math.softplus, tf.math.erf, lambda x: x * x,
         lambda x: tf.exp(x * 0.3), lambda x: tf.math.log(x * x + 1.0), tf.negative]


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(tuple(a), tuple(b))
        return True
    except ValueError:
        return False


def build(ops, x, y):
    """Apply the op codes in `ops` to (x, y), keeping one running value."""
    v = x
    for kind, arg in ops:
        if kind == "unary":
            v = UNARY[arg % len(UNARY)](v)
        elif kind == "binary" and _broadcasts(v.shape, y.shape):  # (a transpose may not)
            v = [tf.add, tf.subtract, tf.multiply, tf.maximum][arg % 4](v, y)
        elif kind == "reduce" and v.ndim:
            axis = arg % v.ndim - v.ndim  # a negative axis
            v = [tf.reduce_sum, tf.reduce_mean, tf.reduce_max][arg % 3](v, axis=axis, keepdims=True)
        elif kind == "transpose" and v.ndim >= 2:
            v = tf.transpose(v)
        elif kind == "slice" and v.ndim and v.shape[0] > 1:
            v = v[::-1]
        elif kind == "softmax" and v.ndim:
            v = tf.nn.softmax(v, axis=-1)
    return v


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
op = st.tuples(st.sampled_from(["unary", "binary", "reduce", "transpose", "slice", "softmax"]),
               st.integers(0, 11))


@settings(max_examples=60, deadline=None)
@given(xs=shapes, ys_drop=st.integers(0, 3), ops=st.lists(op, min_size=1, max_size=5),
       seed=st.integers(0, 2**16))
def test_random_op_chains(xs, ys_drop, ops, seed):
    rng = np.random.default_rng(seed)
    ys = tuple(1 if rng.random() < 0.3 else d for d in xs[min(ys_drop, len(xs)):])  # broadcastable
    a = np.array(rng.uniform(-1.5, 1.5, xs))
    b = np.array(rng.uniform(-1.5, 1.5, ys))
    f = lambda x, y: build(ops, x, y)
    x, y = tf.constant(a), tf.constant(b)
    with tf.GradientTape() as t:
        t.watch([x, y])
        out = f(x, y)
    w = rng.standard_normal(tuple(out.shape))
    gx, gy = t.gradient(out, [x, y], output_gradients=tf.constant(w))
    for i, g in enumerate((gx, gy)):
        num = numeric_grad(f, [a.copy(), b.copy()], i, w)
        got = np.zeros_like(num) if g is None else np.asarray(g)
        close = np.isclose(got, num, rtol=1e-4, atol=1e-5)
        # maximum and reduce_max are not differentiable at ties, where finite differences
        # straddle the kink: those chains may miss at a few points, the others nowhere
        kinks = any(k == "binary" and a_ % 4 == 3 or k == "reduce" and a_ % 3 == 2 for k, a_ in ops)
        assert close.all() or (kinks and close.mean() >= 0.75), (ops, xs, ys, got, num)
