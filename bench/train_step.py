"""One training step of an MLP 784-512-512-10 at batch 128 (forward, softmax cross-entropy,
backward, SGD update) in lamina and in PyTorch eager, same process, same thread count; and the
tape's recording overhead per op.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/train_step.py [--threads 1 2]

Prints medians. PyTorch is optional: without it only lamina's times are printed.
"""
import argparse
import statistics
import time

import numpy as np

import lamina as tf

try:
    import torch
except ImportError:
    torch = None

SIZES = [784, 512, 512, 10]
BATCH = 128
LR = 0.01


def median_time(fn, reps=15, warm=3):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    ws = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        ws.append((rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(np.float32))
        ws.append(np.zeros(b, np.float32))
    return x, y, ws


def lamina_step_fn():
    x, y, ws = data()
    x = tf.constant(x)
    onehot = tf.one_hot(tf.constant(y), SIZES[-1])
    params = [tf.constant(w) for w in ws]

    def step():
        with tf.GradientTape() as tape:
            tape.watch(params)
            h = x
            for i in range(0, len(params) - 2, 2):
                h = tf.nn.relu(h @ params[i] + params[i + 1])
            logits = h @ params[-2] + params[-1]
            loss = -tf.reduce_mean(tf.reduce_sum(onehot * tf.nn.log_softmax(logits), axis=1))
        grads = tape.gradient(loss, params)
        params[:] = [p - LR * g for p, g in zip(params, grads)]
        return loss
    return step


def torch_step_fn():
    x, y, ws = data()
    x = torch.from_numpy(x)
    y = torch.from_numpy(y)
    params = [torch.from_numpy(w.copy()).requires_grad_() for w in ws]

    def step():
        h = x
        for i in range(0, len(params) - 2, 2):
            h = torch.relu(h @ params[i] + params[i + 1])
        logits = h @ params[-2] + params[-1]
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss
    return step


def recording_overhead():
    """Per-op cost of lamina.add on (4,) tensors: no tape; a tape whose inputs are unwatched
    (the op checks and skips); a tape that records it. A fresh tape per 1,000 ops, as in a
    training step."""
    a, b = tf.constant([1.0, 2.0, 3.0, 4.0]), tf.constant([1.0, 1.0, 1.0, 1.0])
    n = 1000

    def loop(mode):
        def run():
            if mode == "bare":
                for _ in range(n):
                    tf.add(a, b)
                return
            with tf.GradientTape() as t:
                if mode == "recorded":
                    t.watch(a)
                for _ in range(n):
                    tf.add(a, b)
        return run
    return [median_time(loop(m), reps=31) / n for m in ("bare", "unwatched", "recorded")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    print(f"lamina {tf.version()} isa={tf.isa()}; torch {torch.__version__ if torch else 'absent'}")
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}: one SGD step, median ms")
    for th in args.threads:
        tf.set_num_threads(th)
        lm = median_time(lamina_step_fn()) * 1e3
        line = f"  {th} thread{'s' if th > 1 else ' '}: lamina {lm:7.3f}"
        if torch:
            torch.set_num_threads(th)
            pt = median_time(torch_step_fn()) * 1e3
            line += f"   torch {pt:7.3f}   ratio lamina/torch {lm / pt:.2f}  (goal <= 0.8)"
        print(line)
    bare, unwatched, recorded = recording_overhead()
    print(f"tf.add on (4,) tensors: {bare * 1e9:.0f} ns bare, {unwatched * 1e9:.0f} ns under a tape "
          f"with unwatched inputs, {recorded * 1e9:.0f} ns recorded "
          f"(recording costs {(recorded - bare) * 1e9:.0f} ns per op)")


if __name__ == "__main__":
    main()
