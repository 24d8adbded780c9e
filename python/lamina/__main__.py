"""python -m lamina: what this lamina is, what it runs on, and a self-check against NumPy."""
import sys
import time

import numpy as np

import lamina as tf


def _checks(rng):
    """(name, lamina result, NumPy result, rtol) for a short tour of the op families."""
    a = rng.standard_normal((7, 5)).astype(np.float32)
    b = rng.standard_normal((5,)).astype(np.float32)
    m = rng.standard_normal((5, 3)).astype(np.float32)
    i = rng.integers(-9, 9, (4, 6)).astype(np.int32)
    ta, tb, tm, ti = tf.constant(a), tf.constant(b), tf.constant(m), tf.constant(i)
    sm = np.exp(a - a.max(1, keepdims=True))
    yield "add (broadcast)", ta + tb, a + b, 1e-6
    yield "multiply", ta * 2.0, a * 2, 1e-6
    yield "floordiv (int)", ti // 4, i // 4, 0
    yield "maximum", tf.maximum(ta, 0.0), np.maximum(a, 0), 0
    yield "exp", tf.exp(ta), np.exp(a), 1e-6
    yield "tanh", tf.tanh(ta), np.tanh(a), 1e-6
    yield "sigmoid", tf.sigmoid(ta), 1 / (1 + np.exp(-a)), 1e-6
    yield "where", tf.where(ta > 0, ta, -ta), np.abs(a), 0
    yield "reduce_sum", tf.reduce_sum(ta, axis=0), a.sum(0), 1e-5
    yield "reduce_max", tf.reduce_max(ti, axis=[0, 1]), i.max(), 0
    yield "argmax", tf.argmax(ta, axis=1), a.argmax(1), 0
    yield "softmax", tf.nn.softmax(ta), sm / sm.sum(1, keepdims=True), 1e-5
    yield "matmul", ta @ tm, a.astype(np.float64) @ m, 1e-5
    yield "transpose", tf.transpose(ta), a.T, 0
    yield "slice", ta[1:5:2, ::-1], a[1:5:2, ::-1], 0
    yield "reshape", tf.reshape(ta, [5, -1]), a.reshape(5, -1), 0
    yield "concat", tf.concat([ta, ta], axis=1), np.concatenate([a, a], 1), 0
    yield "gather", tf.gather(ta, [3, 0, 3]), a[[3, 0, 3]], 0
    yield "one_hot", tf.one_hot([0, 2], 3), np.eye(3, dtype=np.float32)[[0, 2]], 0
    yield "cast", tf.cast(ta, tf.int32), a.astype(np.int32), 0


def _spirals(rng, n=600, classes=3):
    """Interleaved 2-D spirals, one per class: not linearly separable."""
    k = np.repeat(np.arange(classes), n // classes)
    r = rng.uniform(0.1, 1.0, k.size)
    theta = k * (2 * np.pi / classes) + 4.0 * r + rng.normal(0, 0.15, k.size)
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], 1).astype(np.float32)
    return x, k.astype(np.int32)


def train_mlp(seed=0, epochs=300, verbose=True):
    """The main job: a Keras-style MLP (Dense layers), trained with GradientTape and plain SGD
    on generated spirals. Returns the training accuracy."""
    rng = np.random.default_rng(seed)
    tf.random.set_seed(seed)
    x_np, y_np = _spirals(rng)
    x, y = tf.constant(x_np), tf.constant(y_np)
    model = tf.keras.Sequential([tf.keras.layers.Dense(64, activation="relu", input_shape=(2,)),
                                 tf.keras.layers.Dense(64, activation="relu"),
                                 tf.keras.layers.Dense(3)])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = tf.keras.optimizers.SGD(learning_rate=0.5)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights))
    dt = time.perf_counter() - t0
    acc = float(np.mean(np.argmax(model.predict(x), 1) == y_np))
    if verbose:
        print(f"training: MLP 2-64-64-3 (lamina.keras Dense, GradientTape, SGD) on {len(y_np)} "
              f"spiral points, {epochs} full-batch steps")
        print(f"  final loss {float(loss):.3f}, accuracy {acc:.1%}, {dt:.2f} s "
              f"({dt / epochs * 1e3:.1f} ms/step), ISA {tf.isa()}")
    return acc


def main():
    print(f"lamina {tf.__version__}")
    print(f"  ISA in use: {tf.isa()} (available: {', '.join(tf.isa_available())})")
    print(f"  threads: {tf.get_num_threads()} (LAMINA_NUM_THREADS or lamina.set_num_threads to change)")
    print(f"  numpy {np.__version__}, python {sys.version.split()[0]}")
    print("self-check against NumPy:")
    rng = np.random.default_rng(0)
    failures = 0
    t0 = time.perf_counter()
    for name, got, want, rtol in _checks(rng):
        try:
            np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                                       rtol=rtol, atol=rtol)
            status = "ok"
        except AssertionError as e:
            failures += 1
            status = "MISMATCH " + str(e).strip().splitlines()[-1]
        print(f"  {name:<18} {status}")
    dt = (time.perf_counter() - t0) * 1e3
    print(f"{'all checks passed' if not failures else f'{failures} checks FAILED'} ({dt:.1f} ms)")
    train_mlp()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
