"""How much of Model.fit's time is the loop itself (data batching, callbacks, the progress bar,
logs) rather than train_step: an MLP 784-512-512-10 trained at batch 128.

    python bench/fit_loop.py                 # lamina
    python bench/fit_loop.py --tf            # the same with tf.keras 2 (TF_USE_LEGACY_KERAS=1)

It wraps model.train_step with a timer, runs fit (verbose=1 to a pipe or file: the progress bar
is part of the loop's cost) for a few epochs and reports, as medians over repeats:
  loop share = (fit time - time inside train_step) / fit time
(issue 12's goal: <= 5% for lamina). It also times the same train_step calls driven by a bare
Python loop over pre-made batches, the floor any loop has to pay."""
import argparse
import os
import statistics
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tf", action="store_true", help="measure tf.keras 2 instead of lamina")
    ap.add_argument("--samples", type=int, default=128 * 60)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dataset", action="store_true", help="feed a tf.data pipeline")
    args = ap.parse_args()
    if args.tf:
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    else:
        import lamina as tf
        tf.set_num_threads(args.threads)
    keras = tf.keras
    rng = np.random.default_rng(0)
    x = rng.random((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    model = keras.Sequential([keras.layers.Dense(512, activation="relu", input_shape=(784,)),
                              keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], run_eagerly=True)
    inside = [0.0]
    step = model.train_step

    def timed_step(data):
        t = time.perf_counter()
        out = step(data)
        inside[0] += time.perf_counter() - t
        return out
    model.train_step = timed_step
    model.fit(x[:256], y[:256], batch_size=128, epochs=1, verbose=0)      # build, warm up
    source = (tf.data.Dataset.from_tensor_slices((x, y)).batch(128).prefetch(2)
              if args.dataset else None)
    shares, fit_times = [], []
    for _ in range(args.repeats):
        inside[0] = 0.0
        t = time.perf_counter()
        if source is not None:
            model.fit(source, epochs=args.epochs, verbose=1)
        else:
            model.fit(x, y, batch_size=128, epochs=args.epochs, verbose=1)
        total = time.perf_counter() - t
        shares.append((total - inside[0]) / total)
        fit_times.append(total)
    batches = [(tf.convert_to_tensor(x[i:i + 128]), tf.convert_to_tensor(y[i:i + 128]))
               for i in range(0, args.samples, 128)]
    bare = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        for _ in range(args.epochs):
            for b in batches:
                step(b)
        bare.append(time.perf_counter() - t)
    steps = args.epochs * len(batches)
    name = "tf.keras 2" if args.tf else "lamina"
    print(f"\n{name}: MLP 784-512-512-10, batch 128, {steps} steps per fit, "
          f"{args.threads} threads, input: {'tf.data' if args.dataset else 'NumPy arrays'}",
          file=sys.stderr)
    print(f"  fit: {statistics.median(fit_times) / steps * 1e3:.2f} ms/step (median of "
          f"{args.repeats}); bare train_step loop: "
          f"{statistics.median(bare) / steps * 1e3:.2f} ms/step", file=sys.stderr)
    print(f"  share of fit's time outside train_step: {100 * statistics.median(shares):.1f}% "
          f"(runs: {', '.join(f'{100 * s:.1f}%' for s in shares)})", file=sys.stderr)


if __name__ == "__main__":
    main()
