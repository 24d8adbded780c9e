"""Exhaustive accuracy of the float32 vector math: every one of the 2^32 float32 inputs through
each ISA's kernel, against float64 NumPy (SciPy's erf for erf), largest error in ulp (the
spacing of float32 at the exact result, 2^-149 for subnormal results). Also checks that the
avx512 loops give the avx2 bits wherever both exist (they are written operation for operation
alike). Run by hand (a few minutes per op on one core):

    python bench/ulp_exhaustive.py [--isa avx512] [op ...]

The bounds tests/test_simd_unary.py asserts on its sweep come from this script's output."""
import argparse
import sys

import numpy as np

import lamina as tf

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/tests")
import test_simd_unary  # noqa: E402
from test_simd_unary import lamina_fn, ulp_error  # noqa: E402


def exact(op, x):
    if op == "erf":  # math.erf one element at a time would take hours
        from scipy.special import erf
        return erf(x.astype(np.float64))
    return test_simd_unary.exact(op, x)

CHUNK = 1 << 24


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--isa", default=tf.isa())
    p.add_argument("ops", nargs="*", default=["exp", "log", "log1p", "tanh", "sigmoid", "erf",
                                              "softplus"])
    args = p.parse_args()
    twin = "avx2" if args.isa == "avx512" and "avx2" in tf.isa_available() else None
    for op in args.ops:
        worst, at, same = 0.0, None, True
        for lo in range(0, 1 << 32, CHUNK):
            x = np.arange(lo, lo + CHUNK, dtype=np.uint64).astype(np.uint32).view(np.float32)
            t = tf.constant(x)
            tf.set_isa(args.isa)
            got = lamina_fn(op)(t).numpy()
            if twin and op not in ("log1p", "softplus"):
                tf.set_isa(twin)
                other = lamina_fn(op)(t).numpy()
                same &= bool(np.array_equal(got.view(np.uint32), other.view(np.uint32)))
            err = ulp_error(got, exact(op, x))
            i = int(np.argmax(err))
            if err[i] > worst:
                worst, at = float(err[i]), float(x[i])
        print(f"{op:9s} {args.isa}: max {worst:.3f} ulp at x={at!r}"
              + (f"; bits equal to {twin}: {same}" if twin and op not in ("log1p", "softplus")
                 else ""), flush=True)


if __name__ == "__main__":
    main()
