"""The op registry (csrc/ops/ops.def, lamina._core.OPS): every op has its NumPy oracle, its C name,
its exports, and its kernel-table slot gives the ref answer under every ISA."""
import numpy as np
import pytest

import lamina as tf
import op_oracles
from lamina import _core

NAMESPACES = {"tf": tf, "math": tf.math, "nn": tf.nn}


@pytest.mark.parametrize("op", _core.OPS, ids=lambda op: op.name)
def test_every_op_has_an_oracle(op):
    oracles = op_oracles.UNARY if op.kind == "unary" else op_oracles.BINARY
    assert op.name in oracles, (f"{op.name} is declared in csrc/ops/ops.def but has no NumPy "
                                f"oracle in tests/op_oracles.py")


def test_oracles_name_only_registered_ops():
    names = {op.name for op in _core.OPS}
    assert set(op_oracles.UNARY) | set(op_oracles.BINARY) <= names


@pytest.mark.parametrize("op", _core.OPS, ids=lambda op: op.name)
def test_exports_and_c_name(op):
    for where in op.exports:
        fn = getattr(NAMESPACES[where], op.name)
        assert getattr(fn, "__wrapped__", fn) is op.fn
    # the C name table (lm_unop_name / lm_binop_name) is the row's name: errors name the op
    bad = next((dt for dt in ("bool", "int32", "float32") if dt not in op.dtypes), None)
    if bad is None:  # takes every dtype: mix two
        with pytest.raises(TypeError, match=rf"^{op.name}: dtype mismatch: int32 and float32"):
            op.fn(tf.constant([1]), tf.constant([1.0]))
        return
    t = tf.cast(tf.constant([1, 0]), bad)
    with pytest.raises(TypeError, match=rf"^{op.name}: dtype {bad} is not supported"):
        op.fn(t) if op.kind == "unary" else op.fn(t, t)


@pytest.mark.parametrize("op", [op for op in _core.OPS if op.kslot], ids=lambda op: op.name)
def test_kernel_slots_agree_with_ref(op, rng):
    """Each ISA's table inherits ref's slots and may override them: every slot gives ref's
    answer within a few float32 ulp (vector polynomials) on every ISA this CPU has."""
    a = rng.uniform(-4, 4, 1003).astype(np.float32)
    if op_oracles.UNARY.get(op.name, op_oracles.Oracle(None)).positive:
        a = np.abs(a) + 0.01
    b = rng.uniform(0.5, 4, 1003).astype(np.float32)
    args = (tf.constant(a),) if op.kind == "unary" else (tf.constant(a), tf.constant(b))
    before = tf.isa()
    try:
        tf.set_isa("ref")
        want = op.fn(*args).numpy()
        for isa in tf.isa_available():
            tf.set_isa(isa)
            np.testing.assert_allclose(op.fn(*args).numpy(), want, rtol=2e-6, atol=1e-7,
                                       err_msg=f"{op.name} on {isa}")
    finally:
        tf.set_isa(before)
