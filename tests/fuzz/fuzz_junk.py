"""Hostile-input fuzzer: every public callable of lamina, lamina.math, lamina.nn, lamina.linalg
and lamina.random, called with random junk (None, huge ints, NaN, strings, ragged lists, objects,
tensors of odd shapes and dtypes, variables), sometimes under a GradientTape whose gradient is
then taken. Each call must return or raise ValueError / TypeError / IndexError / MemoryError /
NotImplementedError / RuntimeError; anything else (another exception, a crash, a hang) is a bug.

    python -m fuzz.fuzz_junk --seed 3 --calls 100000      (from tests/)
"""
import argparse
import inspect
import random

import numpy as np

import lamina as tf

ALLOWED = (ValueError, TypeError, IndexError, MemoryError, NotImplementedError, RuntimeError)
SKIP = {"set_num_threads", "set_isa", "set_seed"}  # process-wide state, checked elsewhere
KEYWORDS = ["axis", "dtype", "shape", "keepdims", "name", "seed", "transpose_a", "perm", "depth",
            "alpha", "approximate", "output_type", "data_format"]


def public_callables():
    out = []
    for m in (tf, tf.math, tf.nn, tf.linalg, tf.random):
        for name in sorted(dir(m)):
            f = getattr(m, name)
            if name.startswith("_") or name in SKIP or inspect.isclass(f) or inspect.ismodule(f):
                continue
            if callable(f):
                out.append((f"{m.__name__}.{name}", f))
    return out


class Junk:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.np = np.random.default_rng(seed)

    def shape(self):
        return [self.r.randrange(0, 4) for _ in range(self.r.randrange(0, 4))]

    def value(self):
        r = self.r
        return r.choice([
            lambda: None,
            lambda: r.choice([0, 1, -1, 2, 3, -7, 2**31, 2**63, -2**63 - 1, 10**30]),
            lambda: r.choice([0.0, -1.5, float("nan"), float("inf"), 1e308]),
            lambda: r.choice(["", "float32", "relu", "xxxxx", "int64"]),
            lambda: [r.randrange(-3, 4) for _ in range(r.randrange(0, 4))],
            lambda: tf.constant(self.np.standard_normal(self.shape()).astype(np.float32)),
            lambda: tf.constant(np.arange(r.randrange(0, 7))),
            lambda: tf.zeros([r.randrange(0, 3), r.randrange(0, 3)]),
            lambda: tf.constant([True, False]),
            lambda: object(),
            lambda: (r.randrange(-2, 5), r.randrange(-2, 5)),
            lambda: np.ones((2, 3)),
            lambda: r.choice([tf.float32, tf.int32, tf.float16]),
            lambda: {"a": 1},
            lambda: slice(None),
            lambda: tf.constant(self.np.standard_normal((2, 3, 4))),
            lambda: [[1.0, 2.0], [3.0]],
            lambda: tf.Variable(np.ones((2, 2), np.float32)),
            lambda: [0.5, 1.5],
            lambda: tf.constant(3.0),
        ])()


def run(seed, calls):
    """(calls that returned, calls that raised an allowed exception); raises on anything else."""
    junk, fns = Junk(seed), public_callables()
    ok = raised = 0
    for _ in range(calls):
        name, f = junk.r.choice(fns)
        args = [junk.value() for _ in range(junk.r.randrange(0, 5))]
        kw = {junk.r.choice(KEYWORDS): junk.value()} if junk.r.random() < 0.3 else {}
        try:
            if junk.r.random() < 0.2:
                with tf.GradientTape(persistent=True) as tape:
                    for a in args:
                        if isinstance(a, tf.Tensor):
                            tape.watch(a)
                    res = f(*args, **kw)
                if isinstance(res, tf.Tensor) and res.dtype.is_floating:
                    tape.gradient(res, [a for a in args if isinstance(a, tf.Tensor)])
            else:
                f(*args, **kw)
            ok += 1
        except ALLOWED:
            raised += 1
        except Exception as e:  # the bug this fuzzer looks for
            raise AssertionError(f"{name}(*{args!r}, **{kw!r}) raised {type(e).__name__}: {e}") from e
    return ok, raised


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calls", type=int, default=20000)
    a = p.parse_args()
    ok, raised = run(a.seed, a.calls)
    print(f"{ok} calls returned, {raised} raised an allowed exception; no other outcome")


if __name__ == "__main__":
    main()
