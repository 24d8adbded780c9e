"""lamina against NumPy (and PyTorch when importable), in one process, on the issue's goal shapes.

Prints, per case and thread count, the median time of each library and the ratio
lamina time / NumPy time (below 1: lamina is faster), next to the issue's goal.

Run NumPy at its best: these machines pin OpenBLAS to older kernels through the environment,
so unset that for this command only:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/compare.py [--quick] [--threads 1,2]
        [--only 16M]

NumPy's threads are set with threadpoolctl when it is installed; otherwise each thread count
runs in a child process started with OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) set.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np


def median_time(fn, budget=0.15, reps=7):
    """Median seconds per call: each repeat runs enough calls to last budget / reps."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    calls = max(1, int(budget / reps / max(one, 1e-9)))
    times = []
    for _ in range(reps if one < 0.1 else 3):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    times.sort()
    return times[len(times) // 2]


def sigmoid_np(x):
    try:
        from scipy.special import expit
        return expit(x)
    except ImportError:
        return 1.0 / (1.0 + np.exp(-x))


def erf_np():
    """NumPy has no erf: SciPy's (a NumPy ufunc) when installed, else None (case skipped)."""
    try:
        from scipy.special import erf
        return erf
    except ImportError:
        return None


def cases(quick):
    """(name, goal, make) where make() returns (lamina_fn, numpy_fn, torch_fn or None)."""
    import lamina as tf
    try:
        import torch
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    out = []

    def gemm(m, n, k, goal):
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)

        def make():
            ta, tb = tf.constant(a), tf.constant(b)
            pt = None
            if torch is not None:
                xa, xb = torch.from_numpy(a), torch.from_numpy(b)
                pt = lambda: torch.matmul(xa, xb)
            return (lambda: tf.matmul(ta, tb)), (lambda: a @ b), pt
        out.append((f"matmul {m}x{k} @ {k}x{n}", goal, make))

    sizes = [32, 64, 128, 256, 512] + ([] if quick else [1024, 2048])
    for s in sizes:
        gemm(s, s, s, "<= 0.9" if s <= 128 else "<= 1.0")
    gemm(1, 512, 784, "<= 0.6 (2 thr)")
    gemm(32, 512, 784, "<= 0.9")
    gemm(256, 512, 784, "<= 0.9")

    x = rng.standard_normal((1, 784), dtype=np.float32)
    w = rng.standard_normal((784, 128), dtype=np.float32)
    bias = rng.standard_normal(128, dtype=np.float32)

    def dense(act):
        def make():
            tx, tw, tb = tf.constant(x), tf.constant(w), tf.constant(bias)
            dense_fn = getattr(tf, "dense", None)
            if dense_fn is not None:
                lam = lambda: dense_fn(tx, tw, tb, activation=act)
            elif act == "relu":
                lam = lambda: tf.nn.relu(tf.matmul(tx, tw) + tb)
            else:
                lam = lambda: tf.matmul(tx, tw) + tb
            pt = None
            if torch is not None:
                px, pw, pb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias)
                pt = (lambda: torch.relu(torch.addmm(pb, px, pw))) if act == "relu" else \
                    (lambda: torch.addmm(pb, px, pw))
            return lam, (lambda: x @ w + bias), pt
        return make
    out.append(("act(x@W+b) (1,784)x(784,128) identity vs np x@W+b", "<= 0.7", dense(None)))
    out.append(("act(x@W+b) (1,784)x(784,128) relu vs np x@W+b", "<= 0.7", dense("relu")))

    a4 = np.arange(4, dtype=np.float32)
    b4 = np.ones(4, dtype=np.float32)

    def add4():
        t1, t2 = tf.constant(a4), tf.constant(b4)
        pt = None
        if torch is not None:
            p1, p2 = torch.from_numpy(a4), torch.from_numpy(b4)
            pt = lambda: torch.add(p1, p2)
        return (lambda: tf.add(t1, t2)), (lambda: np.add(a4, b4)), pt
    out.append(("add (4,) + (4,)", "<= 1.5", add4))

    big = rng.uniform(-4, 4, 16 << 20).astype(np.float32)
    big2 = rng.uniform(-4, 4, 16 << 20).astype(np.float32)
    pos = np.abs(big) + np.float32(1e-3)  # log's input: positive
    erf = erf_np()

    def elementwise(name):
        def make():
            t1, t2, tp = tf.constant(big), tf.constant(big2), tf.constant(pos)
            lam = {"exp": lambda: tf.exp(t1), "tanh": lambda: tf.tanh(t1),
                   "sigmoid": lambda: tf.sigmoid(t1), "log": lambda: tf.math.log(tp),
                   "erf": lambda: tf.math.erf(t1), "add": lambda: tf.add(t1, t2),
                   "reduce_sum": lambda: tf.reduce_sum(t1)}[name]
            npf = {"exp": lambda: np.exp(big), "tanh": lambda: np.tanh(big),
                   "sigmoid": lambda: sigmoid_np(big), "log": lambda: np.log(pos),
                   "erf": lambda: erf(big), "add": lambda: np.add(big, big2),
                   "reduce_sum": lambda: np.sum(big)}[name]
            pt = None
            if torch is not None:
                p1, p2, pp = torch.from_numpy(big), torch.from_numpy(big2), torch.from_numpy(pos)
                pt = {"exp": lambda: torch.exp(p1), "tanh": lambda: torch.tanh(p1),
                      "sigmoid": lambda: torch.sigmoid(p1), "log": lambda: torch.log(pp),
                      "erf": lambda: torch.erf(p1), "add": lambda: torch.add(p1, p2),
                      "reduce_sum": lambda: torch.sum(p1)}[name]
            return lam, npf, pt
        return make
    for name, goal in [("exp", "<= 0.56 (2 thr)"), ("tanh", "<= 0.56 (2 thr)"),
                       ("sigmoid", "<= 0.56 (2 thr)"), ("log", "-"), ("erf", "- (vs scipy)"),
                       ("add", "<= 1.0"), ("reduce_sum", "<= 1.0")]:
        if name == "erf" and erf is None:
            continue  # nothing to compare with
        out.append((f"{name} 16M float32", goal, elementwise(name)))
    return out


def run(threads, quick, header, only=""):
    import lamina as tf
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        torch = None
    tf.set_num_threads(threads)
    limiter = None
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=threads)
    except ImportError:
        pass  # the parent set OPENBLAS_NUM_THREADS for this process
    if header:
        print(f"lamina {tf.version()} isa {tf.isa()} (available {','.join(tf.isa_available())}), "
              f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
              + (", numpy threads via threadpoolctl" if limiter else
                 ", numpy threads via OPENBLAS_NUM_THREADS"))
        print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} "
              f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}")
        cols = f"{'case':<52} {'thr':>3} {'lamina us':>11} {'numpy us':>11} {'ratio':>6}"
        if torch is not None:
            cols += f" {'torch us':>11} {'l/torch':>7}"
        print(cols + "  goal (lamina/numpy)")
    for name, goal, make in cases(quick):
        if only and not any(w in name for w in only.split(",")):
            continue
        lam, npf, pt = make()
        tn = median_time(npf)
        # OpenBLAS's workers spin for ~0.1 s after a call and would take the cores from
        # lamina's: let them go to sleep first (lamina's own spin for only ~50 us).
        time.sleep(0.3)
        try:
            tl = median_time(lam)
        except Exception as e:  # an op this build does not have yet
            print(f"{name:<52} {threads:>3} {'n/a':>11} {tn * 1e6:>11.2f}   n/a  {goal}  "
                  f"({type(e).__name__}: {e})", flush=True)
            continue
        line = f"{name:<52} {threads:>3} {tl * 1e6:>11.2f} {tn * 1e6:>11.2f} {tl / tn:>6.2f}"
        if torch is not None:
            time.sleep(0.3)
            tp = median_time(pt) if pt else float("nan")
            line += f" {tp * 1e6:>11.2f} {tl / tp:>7.2f}"
        print(line + f"  {goal}", flush=True)
    if limiter is not None:
        limiter.restore_original_limits()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--quick", action="store_true", help="skip the 1024 and 2048 squares")
    ap.add_argument("--only", default="", help="comma-separated words: run only the cases "
                    "whose name contains one, e.g. --only 16M for the elementwise part")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--header", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run(args.child, args.quick, header=args.header, only=args.only)
        return
    try:
        import threadpoolctl  # noqa: F401
        have_tpc = True
    except ImportError:
        have_tpc = False
    for i, t in enumerate(int(t) for t in args.threads.split(",")):
        if have_tpc:
            run(t, args.quick, header=i == 0, only=args.only)
            continue
        # no threadpoolctl: OpenBLAS reads its thread count at load, so one child per count
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
        cmd = [sys.executable, os.path.abspath(__file__), "--child", str(t)]
        cmd += ["--quick"] if args.quick else []
        cmd += ["--header"] if i == 0 else []
        cmd += ["--only", args.only] if args.only else []
        subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
