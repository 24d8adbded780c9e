"""Nothing leaks: lamina's live-storage counter returns to where it started, and resident memory
stays flat, over many small op calls, failing calls and large allocations."""
import gc

import numpy as np
import pytest

import lamina as tf


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def tape_calls(a, b):
    """Ops under a tape, a gradient, and an exception raised half-way through a recording."""
    with tf.GradientTape() as t:
        t.watch(a)
        y = tf.reduce_sum(tf.tanh(a * b) @ tf.reshape(a, [4, 1]))
    g = t.gradient(y, [a, b])
    try:
        with tf.GradientTape(persistent=True) as t:
            t.watch(b)
            z = tf.exp(b) * a
            z + tf.constant([1.0, 2.0, 3.0])        # fails inside the tape's context
    except ValueError:
        pass
    return g


def small_calls(n):
    a = tf.constant([1.0, 2.0, 3.0, 4.0])
    b = tf.constant([[1.0], [2.0]])
    for i in range(n):
        if i % 2:
            tape_calls(a, b)
        c = a + b
        c = tf.reduce_sum(c * 2.0, axis=1)
        c = tf.reshape(tf.transpose(tf.expand_dims(c, 0)), [-1])[1:]
        c = tf.nn.softmax(tf.matmul(b, tf.reshape(a, [1, 4])))
        c = tf.concat([a, a], 0)
        c = tf.gather(a, [0, 3])
        try:
            a + tf.constant([1.0, 2.0, 3.0])      # fails half-way: bad broadcast
        except ValueError:
            pass
        try:
            tf.cast(a, tf.int32) + a              # dtype mismatch
        except TypeError:
            pass
        np.asarray(c)


def test_live_storages_return_to_start():
    gc.collect()
    before = tf._core.live_storages(), tf._core.live_bytes()
    small_calls(2000)
    gc.collect()
    assert (tf._core.live_storages(), tf._core.live_bytes()) == before


def test_resident_memory_flat_over_100k_small_calls():
    small_calls(2000)  # warm up allocator pools and caches
    gc.collect()
    start = rss_bytes()
    small_calls(12500)  # 8 ops a round, and every other round 8 more under tapes: 150,000 calls
    gc.collect()
    assert rss_bytes() - start < 8 * 2**20


def test_resident_memory_flat_over_large_allocations():
    def churn():
        for _ in range(20):
            x = tf.zeros([2048, 2048])               # 16 MiB each
            y = x + 1.0
            del x, y
    churn()
    gc.collect()
    start = rss_bytes()
    churn()
    gc.collect()
    assert rss_bytes() - start < 40 * 2**20


def test_dlpack_and_buffer_exports_release_storage():
    gc.collect()
    before = tf._core.live_storages()
    for _ in range(200):
        t = tf.ones([100])
        a = np.asarray(t)
        b = np.from_dlpack(t)
        del t
        assert a.sum() == 100 and b.sum() == 100
        del a, b
    gc.collect()
    assert tf._core.live_storages() == before


@pytest.mark.parametrize("shape", [[-1, 2], [2**40, 2**40], [2**62, 4]])
def test_impossible_allocations_fail_cleanly(shape):
    with pytest.raises((ValueError, MemoryError)):
        tf.zeros(shape)
