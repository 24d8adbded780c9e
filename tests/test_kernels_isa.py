"""Every ISA's kernels agree with the portable (ref) ones and with NumPy, on every length and
alignment (the vector loops' main bodies, tails and unaligned starts)."""
import numpy as np
import pytest

import lamina as tf
import op_oracles

# the binary ops with a kernel-table slot (kslot K in csrc/ops/ops.def)
OPS = {op.name: op_oracles.BINARY[op.name] for op in op_oracles.ops("binary") if op.kslot}
LENGTHS = list(range(0, 71)) + [127, 128, 129, 1000, 4099, 70001]


def special_values(rng, n):
    a = rng.standard_normal(n).astype(np.float32) * rng.choice([1e-30, 1, 1e30], size=n)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3.4e38, -3.4e38],
                        np.float32)
    k = min(n, len(specials))
    a[:k] = specials[:k]
    return a


@pytest.mark.parametrize("op", list(OPS))
def test_contiguous_float32_kernels_match_ref_and_numpy(isa, op, rng):
    fn = op_oracles.fn(op)
    for n in LENGTHS:
        for offset in (0, 1, 3):  # unaligned starts: views into a bigger buffer
            a = special_values(rng, n + offset)
            b = special_values(rng, n + offset)[::-1].copy()
            x, y = tf.constant(a)[offset:], tf.constant(b)[offset:]
            got = fn(x, y).numpy()
            with np.errstate(all="ignore"):
                want = OPS[op](a[offset:], b[offset:])
            np.testing.assert_array_equal(got, want, err_msg=f"{op} isa={isa} n={n} offset={offset}")


def test_every_isa_gives_the_ref_answer_on_a_model(rng):
    x = tf.constant(rng.standard_normal((33, 77)).astype(np.float32))
    w = tf.constant(rng.standard_normal((77, 19)).astype(np.float32))

    def model():
        h = tf.tanh(x @ w) * 2.0 - 1.0
        return [h, tf.nn.softmax(h), tf.reduce_sum(h, axis=0), tf.exp(h) / (h * h + 1.0)]

    before = tf.isa()
    tf.set_isa("ref")
    ref = [t.numpy() for t in model()]
    try:
        for name in tf.isa_available():
            tf.set_isa(name)
            for g, r in zip(model(), ref):
                # FMA and blocking change float32 rounding (K=77 terms): not bit-equal, close
                np.testing.assert_allclose(g.numpy(), r, rtol=1e-4, atol=2e-5, err_msg=name)
    finally:
        tf.set_isa(before)


def test_lamina_isa_env_override(tmp_path):
    import subprocess
    import sys
    for name in tf.isa_available():
        out = subprocess.run([sys.executable, "-c", "import lamina; print(lamina.isa())"],
                             env={**__import__("os").environ, "LAMINA_ISA": name},
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == name
