"""The thread pool: results do not depend on the thread count, the pool can be resized at any
time (also while other threads compute), Python threads may share inputs, and a forked child
computes correctly."""
import multiprocessing as mp
import threading

import numpy as np
import pytest

import lamina as tf

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def restore_threads():
    n = tf.get_num_threads()
    yield
    tf.set_num_threads(n)


def big_work(seed=0):
    """Ops large enough to be split over the pool, on non-contiguous and ragged inputs."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((301, 1031)).astype(np.float64)
    t = tf.from_dlpack(a[:, ::2])           # strided rows
    flat = tf.constant(rng.standard_normal(1_000_003))  # one ragged run
    t32 = tf.cast(t, tf.float32)
    return [t32, tf.cast(flat, tf.float16), tf.cast(tf.cast(flat, tf.float32), tf.float64),
            tf.matmul(t32[:200], t32[:200], transpose_b=True), tf.tanh(flat) * 2.0 + flat,
            tf.reduce_sum(flat), tf.reduce_mean(tf.cast(flat, tf.float32)), tf.reduce_max(flat),
            tf.reduce_sum(tf.cast(flat * 100.0, tf.int32))]


def test_results_do_not_depend_on_thread_count():
    ref = None
    for n in (1, 2, 3, 5):
        tf.set_num_threads(n)
        got = [x.numpy() for x in big_work()]
        if ref is None:
            ref = got
        for g, r in zip(got, ref):
            np.testing.assert_array_equal(g, r)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((301, 1031))
    np.testing.assert_array_equal(ref[0], a[:, ::2].astype(np.float32))


def test_set_num_threads_validates():
    with pytest.raises(ValueError, match="outside"):
        tf.set_num_threads(0)
    with pytest.raises(TypeError):
        tf.set_num_threads(2.5)
    tf.config.threading.set_intra_op_parallelism_threads(3)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 3 == tf.get_num_threads()


def test_python_threads_running_ops_and_matmuls_match_one_thread():
    rng = np.random.default_rng(1)
    x = tf.constant(rng.standard_normal((96, 200)).astype(np.float32))
    w = tf.constant(rng.standard_normal((200, 64)).astype(np.float32))
    b = tf.constant(rng.standard_normal(64).astype(np.float32))

    def model():
        h = tf.nn.relu(tf.matmul(x, w) + b)
        return [h, tf.nn.softmax(h), tf.reduce_sum(h * h, axis=0), tf.transpose(h)[3:40:3],
                tf.gather(h, [5, 1, 5]), tf.exp(-tf.abs(h))]

    ref = [t.numpy() for t in model()]
    results, errors = [], []

    def worker():
        try:
            for _ in range(20):
                results.append([t.numpy() for t in model()])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    assert len(results) == 80
    for got in results:
        for g, r in zip(got, ref):
            np.testing.assert_array_equal(g, r)


def test_python_threads_share_inputs_and_resize_under_load():
    ref = [x.numpy() for x in big_work()]
    errors = []

    def compute():
        try:
            for _ in range(5):
                for g, r in zip(big_work(), ref):
                    np.testing.assert_array_equal(g.numpy(), r)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=compute) for _ in range(3)]
    for th in threads:
        th.start()
    for n in (1, 4, 2, 3, 1, 2):            # resize while they compute
        tf.set_num_threads(n)
    for th in threads:
        th.join(60)
    assert not any(th.is_alive() for th in threads)
    assert not errors, errors


def _child(q):
    q.put([x.numpy().sum() for x in big_work()])


def test_forked_child_computes_after_pool_was_used():
    tf.set_num_threads(2)
    ref = [x.numpy().sum() for x in big_work()]   # the pool has run in the parent
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q,))
    p.start()
    got = q.get(timeout=60)
    p.join(60)
    assert p.exitcode == 0
    np.testing.assert_allclose(got, ref)


def test_threadpoolctl_reaches_lamina():
    import threadpoolctl
    tf.set_num_threads(2)
    info = [d for d in threadpoolctl.threadpool_info() if d["internal_api"] == "lamina"]
    assert len(info) == 1 and info[0]["num_threads"] == 2 and info[0]["version"] == tf.__version__
    with threadpoolctl.threadpool_limits(limits=1, user_api="lamina"):
        assert tf.get_num_threads() == 1
    assert tf.get_num_threads() == 2


@pytest.mark.parametrize("order", ["threadpoolctl, lamina", "lamina, threadpoolctl"])
def test_threadpoolctl_sees_lamina_in_either_import_order(order):
    import subprocess
    import sys
    code = (f"import {order}\n"
            "print([d['internal_api'] for d in threadpoolctl.threadpool_info()].count('lamina'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
