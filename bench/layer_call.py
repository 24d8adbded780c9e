"""Call overhead of a built Keras Dense layer (issue 5, item 5), as ratios from one run.

    python bench/layer_call.py [--quick]

Times a built lamina.keras.layers.Dense(128) on a (1, 784) and a (256, 784) float32 input
against: the bare fused kernel (lamina.dense), the bare matmul + bias (lamina), NumPy's
x @ W + b, and torch.nn.Linear when torch is installed. Also times tf.add on two (4,) tensors
before and after the symbolic-op dispatcher is installed (it is installed by the first
keras.Input). Goals: Dense at batch 1 <= 1.0x torch.nn.Linear; at batch 256 <= 1.1x matmul+bias.
"""
import sys
import timeit

import numpy as np

import lamina as tf


def best(fn, number, repeat=7):
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6   # us


def main(quick=False):
    scale = 0.2 if quick else 1.0
    rng = np.random.default_rng(0)
    a4 = tf.ones((4,))
    raw_add = tf.add
    tf.keras.Input(shape=(1,))    # installs the dispatcher: tf.add is now the wrapper
    wrapped_add = tf.add
    assert wrapped_add is not raw_add
    n = int(200000 * scale)
    before, after = [], []
    for _ in range(5):            # alternate, so both see the same machine load
        before.append(best(lambda: raw_add(a4, a4), n, repeat=3))
        after.append(best(lambda: wrapped_add(a4, a4), n, repeat=3))
    add_before, add_after = min(before) * 1e3, min(after) * 1e3
    print(f"lamina {tf.__version__}, ISA {tf.isa()}, threads {tf.get_num_threads()}")
    print(f"tf.add (4,)+(4,): {add_before:.0f} ns before the op dispatcher, {add_after:.0f} ns "
          f"after ({add_after / add_before:.2f}x)")
    try:
        import torch
    except ImportError:
        torch = None
    for batch, number in ((1, int(20000 * scale)), (256, int(400 * scale))):
        x_np = rng.standard_normal((batch, 784)).astype(np.float32)
        x = tf.constant(x_np)
        layer = tf.keras.layers.Dense(128)
        layer(x)
        k, b = layer.kernel.value(), layer.bias.value()
        kn, bn = k.numpy(), b.numpy()
        rows = [("lamina Dense layer", best(lambda: layer(x), number)),
                ("lamina.dense (fused kernel)", best(lambda: tf.dense(x, k, b), number)),
                ("lamina matmul + bias", best(lambda: tf.matmul(x, k) + b, number)),
                ("numpy x @ W + b", best(lambda: x_np @ kn + bn, number))]
        if torch is not None:
            torch.set_num_threads(tf.get_num_threads())
            lin = torch.nn.Linear(784, 128)
            xt = torch.from_numpy(x_np)
            with torch.no_grad():
                rows.append(("torch.nn.Linear (no_grad)", best(lambda: lin(xt), number)))
        base = rows[0][1]
        print(f"\nDense(128) on ({batch}, 784):")
        for name, us in rows:
            print(f"  {name:<28} {us:9.2f} us   layer / this = {base / us:5.2f}")
    if torch is None:
        print("\n(torch is not installed: the torch.nn.Linear comparison is skipped)")


if __name__ == "__main__":
    main("--quick" in sys.argv)
