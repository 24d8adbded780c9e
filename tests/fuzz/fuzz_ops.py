"""Random sequences of lamina calls, checked against NumPy.

Every call must either return what NumPy returns (same shape, dtype family and values) or raise
an ordinary Python exception. A crash, a hang or a silent mismatch is a failure. Seeded and
reproducible:

    python -m tests.fuzz.fuzz_ops --seed 7 --seconds 600     # as long as you like
"""
import argparse
import itertools
import time

import numpy as np

import lamina as tf

try:
    from tests import op_oracles  # python -m tests.fuzz.fuzz_ops
except ImportError:
    import op_oracles  # under pytest, from tests/

DTYPES = ["bool", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
OK_ERRORS = (TypeError, ValueError, IndexError, NotImplementedError, MemoryError, OverflowError,
             BufferError)
TOL = {"float16": 4e-3, "bfloat16": 3e-2, "float32": 1e-5, "float64": 1e-12}


class Mismatch(AssertionError):
    pass


def np_of(dtype):
    return np.float32 if dtype == "bfloat16" else np.dtype(dtype)


class Fuzzer:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.calls = 0
        self.raised = 0
        self.tape = None      # the GradientTape of the current call, when it runs under one
        self.watched = []     # tensors made for this call, watched by that tape
        self.results = []     # tensors this call checked

    # ---- random inputs -------------------------------------------------------------------------
    def shape(self, rank=None):
        rank = int(self.rng.integers(0, 5)) if rank is None else rank
        return tuple(int(d) for d in self.rng.choice([0, 1, 1, 2, 3, 4, 5], size=rank))

    def values(self, shape, dtype):
        r = self.rng
        if dtype == "bool":
            return r.random(shape) < 0.5
        if dtype in ("int32", "int64"):
            return r.integers(-20, 20, size=shape).astype(dtype)
        a = r.standard_normal(shape) * r.choice([1, 3, 100])
        if r.random() < 0.1 and a.size:
            a.flat[r.integers(a.size)] = r.choice([np.inf, -np.inf, np.nan, 0.0, -0.0])
        if dtype == "bfloat16":
            return tf.cast(tf.cast(tf.constant(a.astype(np.float32)), "bfloat16"), "float32").numpy()
        return a.astype(dtype)

    def tensor(self, shape=None, dtype=None):
        """(lamina tensor, NumPy array of its values, dtype name); sometimes non-contiguous."""
        dtype = dtype or str(self.rng.choice(DTYPES))
        shape = self.shape() if shape is None else shape
        a = self.values(shape, dtype)
        kind = self.rng.integers(3)
        if kind == 1 and a.ndim and dtype != "bfloat16":      # every other element
            big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
            big[..., ::2] = a
            t = tf.from_dlpack(big[..., ::2])
        elif kind == 2 and a.ndim >= 2 and dtype != "bfloat16":  # a transposed view
            t = tf.from_dlpack(np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2))
        else:
            t = tf.cast(tf.constant(a.astype(np_of(dtype))), dtype)
        if self.tape is not None:
            self.tape.watch(t)
            self.watched.append(t)
        return t, a, dtype

    def junk(self):
        return self.rng.choice(np.array([None, "x", 1.5, -3, 2**70, [1, [2]], object(), (), -1],
                                        dtype=object))

    def axis(self, ndim):
        r = self.rng.random()
        if r < 0.1:
            return self.junk()
        if r < 0.2:
            return int(self.rng.integers(-ndim - 3, ndim + 3))
        if r < 0.3 or ndim == 0:
            return None
        k = int(self.rng.integers(0, ndim + 1))
        return [int(v) for v in self.rng.permutation(ndim)[:k] - self.rng.integers(0, 2) * ndim]

    # ---- comparison ----------------------------------------------------------------------------
    def check(self, name, got, want, dtype, scale=None):
        """scale: the size of the terms that made each value (rounding error grows with it)."""
        want = np.asarray(want)
        if isinstance(got, tf.Tensor):
            self.results.append(got)
        g = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
        if np.shape(g) != want.shape:
            raise Mismatch(f"{name}: shape {np.shape(g)} != NumPy's {want.shape}")
        if want.dtype.kind == "f" or np.asarray(g).dtype.kind == "f":
            tol = TOL.get(dtype, 1e-5)
            with np.errstate(all="ignore"):
                gg, ww = np.asarray(g, np.float64), want.astype(np.float64)
                bad = ~((gg == ww) | (np.isnan(gg) & np.isnan(ww)) |
                        (np.abs(gg - ww) <= tol * (1 + np.abs(ww if scale is None else scale))))
            if bad.any():
                i = np.argwhere(bad)[0]
                raise Mismatch(f"{name}: value at {tuple(i)} is {gg[tuple(i)]}, NumPy {ww[tuple(i)]}")
        elif not np.array_equal(g, want):
            raise Mismatch(f"{name}: values differ from NumPy\n{g}\n{want}")

    # ---- one random call -------------------------------------------------------------------------
    def step(self):
        op = self.rng.choice(OPS)
        self.calls += 1
        self.watched, self.results = [], []
        try:
            if self.rng.random() < 0.3:  # under a tape: record, then differentiate the results
                with tf.GradientTape(persistent=True) as self.tape:
                    op(self)
                self.tape, tape = None, self.tape
                self.check_gradients(tape)
            else:
                op(self)
        except Mismatch:
            raise
        except OK_ERRORS:
            self.raised += 1
        finally:
            self.tape = None

    def check_gradients(self, tape):
        """Every gradient is None or has its source's shape and dtype; the finite-difference
        values are checked by tests/test_tape_grad.py."""
        floats = [r for r in self.results if r.dtype.is_floating]
        if not floats:
            return
        grads = tape.gradient(floats, self.watched)
        for src, g in zip(self.watched, grads):
            if g is None:
                continue
            if tuple(g.shape) != tuple(src.shape) or g.dtype != src.dtype:
                raise Mismatch(f"gradient of shape {tuple(g.shape)} {g.dtype.name} for a source "
                               f"of shape {tuple(src.shape)} {src.dtype.name}")


# Every elementwise op of the registry (csrc/ops/ops.def), with its NumPy oracle.
BINARY = {op.name: (op.fn, op_oracles.BINARY[op.name]) for op in op_oracles.ops("binary")}
UNARY = {op.name: (op.fn, op_oracles.UNARY[op.name].fn) for op in op_oracles.ops("unary")}


def op_binary(f):
    name = str(f.rng.choice(list(BINARY)))
    dtype = str(f.rng.choice(DTYPES))
    shape = f.shape()
    other = tuple(d if f.rng.random() < 0.7 else int(f.rng.choice([1, 2, 3])) for d in shape)
    other = other[int(f.rng.integers(0, len(other) + 1)):]
    x, a, _ = f.tensor(shape, dtype)
    y, b, _ = f.tensor(other, dtype if f.rng.random() < 0.9 else None)
    fn, oracle = BINARY[name]
    got = fn(x, y)
    if (dtype in ("int32", "int64") and name in ("floordiv", "floormod") and (b == 0).any()
            and np.prod(np.broadcast_shapes(a.shape, b.shape)) > 0):
        raise Mismatch(f"{name} by integer zero returned instead of raising")
    with np.errstate(all="ignore"):
        want = oracle(a, b)
    if dtype in ("float16", "bfloat16") and want.dtype.kind == "f":
        want = tf.cast(tf.constant(want.astype(np.float32)), dtype).numpy().astype(np.float32)
    f.check(name, got, want, dtype)


def op_unary(f):
    name = str(f.rng.choice(list(UNARY)))
    x, a, dtype = f.tensor()
    fn, oracle = UNARY[name]
    got = fn(x)
    with np.errstate(all="ignore"):
        want = oracle(a.astype(np.float32) if dtype in ("float16", "bfloat16") else a)
    if dtype in ("float16", "bfloat16") and want.dtype.kind == "f":
        want = tf.cast(tf.constant(want.astype(np.float32)), dtype).numpy().astype(np.float32)
    f.check(name, got, want, dtype)


def op_reduce(f):
    name, npf = [("reduce_sum", np.sum), ("reduce_max", np.max), ("reduce_min", np.min),
                 ("reduce_prod", np.prod), ("reduce_any", np.any)][f.rng.integers(5)]
    x, a, dtype = f.tensor(dtype=str(f.rng.choice(["float32", "float64", "int32", "bool"])))
    axis = f.axis(a.ndim)
    keep = bool(f.rng.integers(2))
    got = getattr(tf, name)(x, axis=axis, keepdims=keep)
    ax = tuple(a_ % max(a.ndim, 1) for a_ in axis) if isinstance(axis, list) else axis
    if name in ("reduce_max", "reduce_min") and a.size == 0 or name == "reduce_prod" and dtype != "float64":
        return  # TF's empty-max semantics and product overflow: covered by tests/test_reduce.py
    want = npf(a, axis=ax, keepdims=keep)
    if name == "reduce_sum" and dtype == "bool":
        raise Mismatch("reduce_sum of bool returned instead of raising")
    f.check(name, got, want.astype(got.dtype.name) if dtype != "bool" else want, dtype)


def op_reshape(f):
    x, a, dtype = f.tensor()
    n = a.size
    cands = [(-1,), (n,), (1, -1), (n, 1), tuple(reversed(a.shape)), f.shape(), (-1, -1), (-2,)]
    new = cands[f.rng.integers(len(cands))]
    got = tf.reshape(x, list(new))
    f.check("reshape", got, a.reshape(new), dtype)


def op_transpose(f):
    x, a, dtype = f.tensor()
    perm = list(f.rng.permutation(a.ndim)) if f.rng.random() < 0.8 else f.axis(a.ndim)
    got = tf.transpose(x, perm)
    f.check("transpose", got, np.transpose(a, perm), dtype)


def rand_index(f, ndim):
    parts = []
    for _ in range(int(f.rng.integers(0, ndim + 2))):
        r = f.rng.random()
        if r < 0.35:
            parts.append(int(f.rng.integers(-6, 6)))
        elif r < 0.8:
            b = [None if f.rng.random() < 0.3 else int(f.rng.integers(-7, 7)) for _ in range(2)]
            step = None if f.rng.random() < 0.3 else int(f.rng.choice([-3, -2, -1, 1, 2, 3, 0]))
            parts.append(slice(b[0], b[1], step))
        elif r < 0.9:
            parts.append(None)
        else:
            parts.append(Ellipsis)
    return tuple(parts)


def op_getitem(f):
    x, a, dtype = f.tensor()
    key = rand_index(f, a.ndim)
    got = x[key]
    try:
        want = a[key]
    except (IndexError, ValueError, TypeError):
        raise Mismatch(f"getitem {key} on shape {a.shape}: lamina returned, NumPy raised")
    f.check(f"getitem {key}", got, want, dtype)


def op_matmul(f):
    dtype = str(f.rng.choice(["float32", "float64", "int32", "float16"]))
    m, k, n = (int(v) for v in f.rng.integers(0, 9, size=3))
    batch = f.shape(int(f.rng.integers(0, 2)))
    x, a, _ = f.tensor(batch + (m, k), dtype)
    y, b, _ = f.tensor((k if f.rng.random() < 0.9 else k + 1, n), dtype)
    got = x @ y
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    scale = np.matmul(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64))
    if dtype == "float16":
        with np.errstate(over="ignore"):
            want = want.astype(np.float16)  # overflow to inf is the right float16 answer
    f.check("matmul", got, want, dtype, scale=scale)


def op_concat(f):
    dtype = str(f.rng.choice(DTYPES))
    shape = f.shape(int(f.rng.integers(1, 4)))
    axis = int(f.rng.integers(-len(shape), len(shape)))
    parts = []
    for _ in range(int(f.rng.integers(1, 4))):
        s = list(shape)
        s[axis] = int(f.rng.integers(0, 4))
        parts.append(f.tensor(tuple(s), dtype))
    got = tf.concat([p[0] for p in parts], axis)
    f.check("concat", got, np.concatenate([p[1] for p in parts], axis), dtype)


def op_gather(f):
    x, a, dtype = f.tensor(f.shape(int(f.rng.integers(1, 4))))
    axis = int(f.rng.integers(0, a.ndim))
    idx = f.rng.integers(-1, a.shape[axis] + 1, size=f.shape(int(f.rng.integers(0, 3))))
    got = tf.gather(x, tf.constant(idx.astype(np.int32)), axis=axis)
    if (idx < 0).any() or (idx >= a.shape[axis]).any():
        raise Mismatch(f"gather with out-of-range indices {idx} returned")
    f.check("gather", got, np.take(a, idx, axis=axis), dtype)


def op_cast(f):
    x, a, dtype = f.tensor()
    to = str(f.rng.choice(DTYPES))
    got = tf.cast(x, to)
    if dtype in ("float16", "bfloat16", "float32", "float64") and to in ("int32", "int64"):
        a = np.where(np.isfinite(a), a, 0)
        x = tf.cast(tf.constant(a.astype(np_of(dtype))), dtype)
        got = tf.cast(x, to)
        a = np.clip(a, -1e9, 1e9)
        got = tf.cast(tf.clip_by_value(x, -1e9, 1e9), to) if dtype != "float16" else got
    want = a.astype(np_of(to)) if to != "bfloat16" else None
    if want is not None:
        f.check(f"cast {dtype}->{to}", got, want, to)


def op_softmax(f):
    x, a, dtype = f.tensor(dtype=str(f.rng.choice(["float32", "float64"])))
    if a.ndim == 0:
        return
    axis = int(f.rng.integers(-a.ndim, a.ndim))
    got = tf.nn.softmax(x, axis=axis)
    with np.errstate(all="ignore"):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        want = e / e.sum(axis=axis, keepdims=True)
    if np.isfinite(a).all():
        f.check("softmax", got, want, dtype)


def op_junk(f):
    fn = f.rng.choice([tf.reshape, tf.transpose, tf.reduce_sum, tf.expand_dims, tf.squeeze,
                       tf.one_hot, tf.gather, tf.matmul, tf.concat, tf.stack, tf.cast, tf.zeros,
                       tf.fill, tf.range, tf.broadcast_to, tf.where, tf.clip_by_value])
    x, _, _ = f.tensor()
    args = [x if f.rng.random() < 0.5 else f.junk() for _ in range(int(f.rng.integers(0, 4)))]
    fn(*args)


OPS = [op_binary, op_binary, op_unary, op_reduce, op_reshape, op_transpose, op_getitem,
       op_getitem, op_matmul, op_concat, op_gather, op_cast, op_softmax, op_junk]


def run(seed, seconds=None, steps=None):
    f = Fuzzer(seed)
    end = time.monotonic() + seconds if seconds else None
    for i in itertools.count():
        if (steps is not None and i >= steps) or (end and time.monotonic() > end):
            break
        f.step()
    return f


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seconds", type=float, default=60)
    a = p.parse_args()
    f = run(a.seed, seconds=a.seconds)
    print(f"{f.calls} calls, {f.raised} raised an exception, no mismatch, no crash")


if __name__ == "__main__":
    main()
