"""Sizes near the int64 limits: ops on empty tensors whose other dimensions are huge (their
strides and offsets overflow if computed carelessly), and shapes, axes, depths and indices near
2**31, 2**62 and 2**63. Each call must return (an empty result keeps an exact shape) or raise
ValueError / TypeError / IndexError / MemoryError. Run under the sanitizer build (.ci/sanitize),
a signed overflow anywhere in C aborts the process (issue 11 item 11).

    python -m fuzz.fuzz_huge --seed 3 --calls 20000      (from tests/)
"""
import argparse
import random

import lamina as tf

ALLOWED = (ValueError, TypeError, IndexError, MemoryError)
HUGE = [2 ** 31 - 1, 2 ** 31, 2 ** 32 + 1, 2 ** 40, 2 ** 61, 2 ** 62, 2 ** 62 + 1, 2 ** 63 - 1]
SMALL = [0, 1, 2, 3]


class Huge:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dim(self):
        return self.r.choice(HUGE if self.r.random() < 0.5 else SMALL)

    def empty_shape(self):
        """A shape with a 0 and (usually) huge other dims: holds no element."""
        dims = [self.dim() for _ in range(self.r.randint(1, 4))]
        dims[self.r.randrange(len(dims))] = 0
        return dims

    def tensor(self):
        r = self.r
        if r.random() < 0.15:
            return tf.ones([r.choice(SMALL) for _ in range(r.randint(0, 3))])
        return tf.zeros(self.empty_shape(), dtype=r.choice(["float32", "int32", "float16", "bool"]))

    def big(self):
        return self.r.choice([-1, 1]) * self.r.choice(HUGE + [2 ** 63 - 2, 3])

    def index(self, t):
        r = self.r
        idx = []
        for d in t.shape:
            k = r.random()
            if k < 0.5:
                idx.append(slice(r.choice([None, self.big(), 0, 1, -1]),
                                 r.choice([None, self.big(), 0, -1]),
                                 r.choice([None, self.big(), 2, -1, -3, 1])))
            elif k < 0.7 and d:
                idx.append(r.randrange(-min(d, 2 ** 62), min(d, 2 ** 62)))
            elif k < 0.8:
                idx.append(None)
            else:
                idx.append(Ellipsis if Ellipsis not in idx else slice(None))
        return tuple(idx)

    def call(self):
        r = self.r
        x = self.tensor()
        nd = x.ndim
        ax = r.randrange(-nd, nd) if nd else 0
        ops = [
            lambda: x[self.index(x)],
            lambda: tf.reshape(x, self.empty_shape() if r.random() < 0.7 else [self.dim(), -1]),
            lambda: tf.transpose(x, r.sample(range(nd), nd)),
            lambda: tf.expand_dims(x, r.randrange(-nd - 1, nd + 1)),
            lambda: tf.broadcast_to(x, self.empty_shape()),
            lambda: tf.concat([x, x], axis=ax),
            lambda: tf.stack([x, x], axis=r.randrange(-nd - 1, nd + 1)),
            lambda: tf.reduce_sum(x, axis=ax) if x.dtype != tf.bool else tf.reduce_any(x, axis=ax),
            lambda: tf.reduce_max(tf.cast(x, tf.float32), axis=ax, keepdims=True),
            lambda: tf.argmax(tf.cast(x, tf.float32), axis=ax),
            lambda: tf.cast(x, tf.float64) + tf.zeros(self.empty_shape()[-2:], tf.float64),
            lambda: tf.matmul(tf.zeros([self.dim(), 0]), tf.zeros([0, self.dim()])),
            lambda: tf.matmul(tf.zeros([0, self.dim()]), tf.zeros([self.dim(), 0])),
            lambda: tf.nn.softmax(tf.cast(x, tf.float32), axis=ax),
            lambda: tf.where(tf.cast(x, tf.bool), tf.cast(x, tf.float32), 1.0),
            lambda: tf.gather(tf.cast(x, tf.float32), tf.zeros([0], tf.int32), axis=ax),
            lambda: tf.gather(tf.ones([2, 3]), [self.big()], axis=r.choice([0, 1])),
            lambda: tf.zeros([self.dim() for _ in range(r.randint(1, 3))]),
            lambda: tf.fill(self.empty_shape(), 1.5),
            lambda: tf.random.normal(self.empty_shape()),
            lambda: tf.random.uniform([self.dim()], 0, 5, dtype=tf.int32),
            lambda: tf.one_hot([0, 1], self.big()),
            lambda: tf.range(0, self.big(), r.choice([1, 2 ** 40, -1])),
            lambda: tf.eye(self.dim(), self.dim()),
            lambda: tf.ones((2, 3))[self.big():self.big():self.big()],
            lambda: tf.clip_by_value(tf.cast(x, tf.float32), -1.0, 1.0),
            lambda: tf.squeeze(x),
            lambda: tf.identity(x),
        ]
        return ops[r.randrange(len(ops))]()


def run(seed, calls):
    h = Huge(seed)
    ok = raised = 0
    for i in range(calls):
        try:
            out = h.call()
        except ALLOWED:
            raised += 1
            continue
        except Exception as e:  # noqa: BLE001 - the fuzzer reports any other exception
            raise AssertionError(f"seed {seed} call {i}: {type(e).__name__}: {e}") from e
        dims = tuple(out.shape)
        assert len(dims) <= 8 and all(d >= 0 for d in dims), (seed, i, dims)
        if 0 in dims and out.dtype != tf.bool:   # (and more ops on the empty result)
            assert float(tf.reduce_sum(tf.cast(out, tf.float32))) == 0.0
        ok += 1
    return ok, raised


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calls", type=int, default=5000)
    a = p.parse_args()
    ok, raised = run(a.seed, a.calls)
    print(f"{ok} returned, {raised} raised a clean error")


if __name__ == "__main__":
    main()
