"""Shared test helpers: random data per dtype, NumPy comparison, non-contiguous inputs."""
import os

import numpy as np
import pytest
from hypothesis import settings

import lamina as tf

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("long", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# Every dtype lamina has, and the NumPy dtype its values are compared in.
ALL_DTYPES = ["bool", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
FLOAT_DTYPES = ["float16", "bfloat16", "float32", "float64"]
NUMERIC_DTYPES = ["int32", "int64", "float16", "bfloat16", "float32", "float64"]
# Relative tolerance for comparisons against NumPy computed in float64.
RTOL = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 2e-6, "float64": 1e-12}


def np_dtype(dtype):
    """The NumPy dtype that holds a lamina dtype's values (bfloat16 -> float32)."""
    return np.float32 if dtype == "bfloat16" else np.dtype(dtype)


def random_array(rng, shape, dtype, low=-3.0, high=3.0):
    """Random values of a lamina dtype, as a NumPy array (already rounded to bfloat16 if so)."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in ("int32", "int64"):
        return rng.integers(int(low) * 3, int(high) * 3 + 1, size=shape).astype(dtype)
    a = rng.uniform(low, high, size=shape)
    if dtype == "bfloat16":
        return tf.cast(tf.constant(a.astype(np.float32)), "bfloat16").numpy()
    return a.astype(dtype)


def to_tensor(a, dtype):
    """A lamina tensor of `dtype` holding NumPy array `a`."""
    return tf.cast(tf.constant(np.asarray(a, dtype=np_dtype(dtype))), dtype)


def strided(a):
    """A non-contiguous lamina tensor equal to NumPy array `a` (every other element of a bigger
    buffer, shared through DLPack). Needs a.dtype to be one NumPy and lamina both have."""
    a = np.asarray(a)
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],) if a.ndim else (2,), dtype=a.dtype)
    if a.ndim == 0:
        big[0] = a
        t = tf.from_dlpack(big[:1].reshape(()))
        return t
    big[..., ::2] = a
    t = tf.from_dlpack(big[..., ::2])
    assert not t._is_contiguous or a.size <= 1
    return t


def assert_close(t, expected, dtype=None, rtol=None, atol=None):
    """Compare a lamina tensor with a NumPy result: shape, dtype and values."""
    expected = np.asarray(expected)
    dtype = dtype or t.dtype.name
    assert t.dtype.name == dtype, f"dtype {t.dtype.name} != {dtype}"
    got = t.numpy()
    assert np.shape(got) == expected.shape, f"shape {np.shape(got)} != {expected.shape}"
    if dtype in RTOL:
        r = RTOL[dtype] if rtol is None else rtol
        np.testing.assert_allclose(np.asarray(got, np.float64), expected.astype(np.float64),
                                   rtol=r, atol=r if atol is None else atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.fixture
def rng(request):
    """A NumPy generator seeded from the test's name: reproducible, different per test."""
    import zlib
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(params=tf.isa_available())
def isa(request):
    """Run a test once per kernel set this CPU supports (ref always), restoring the previous one."""
    before = tf.isa()
    tf.set_isa(request.param)
    yield request.param
    tf.set_isa(before)
