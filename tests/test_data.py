"""lamina.data (tf.data) against tf.data: element_spec, cardinality, the order and values of the
elements each transformation gives (constants recorded from tensorflow 2.21), shuffle's buffer
semantics, prefetch's background thread, parallel map."""
import threading
import time

import numpy as np
import pytest

import lamina as tf

D = tf.data.Dataset
X = np.arange(10, dtype="float32").reshape(5, 2)
Y = np.arange(5)


def ds_xy():
    return D.from_tensor_slices((X, Y))


def spec(shape, dtype):
    return tf.TensorSpec(shape, dtype)


def values(ds):
    return [np.asarray(e).tolist() if not isinstance(e, tuple) else
            tuple(np.asarray(v).tolist() for v in e) for e in ds.as_numpy_iterator()]


# ---- element_spec ------------------------------------------------------------------------------
def test_element_spec_of_sources():
    assert ds_xy().element_spec == (spec([2], tf.float32), spec([], tf.int64))
    assert D.from_tensor_slices({"a": X, "b": [1, 2, 3, 4, 5]}).element_spec == \
        {"a": spec([2], tf.float32), "b": spec([], tf.int32)}
    # Python floats and ints take tf's dtypes (float32, int32); NumPy arrays keep theirs
    assert D.from_tensor_slices([1.0, 2.0]).element_spec == spec([], tf.float32)
    assert D.from_tensor_slices([1, 2]).element_spec == spec([], tf.int32)
    assert D.from_tensor_slices(np.array([1., 2.])).element_spec == spec([], tf.float64)
    assert D.from_tensors(X).element_spec == spec([5, 2], tf.float32)
    assert D.range(3).element_spec == spec([], tf.int64)


def test_element_spec_of_batch_and_map():
    assert ds_xy().batch(2).element_spec == (spec([None, 2], tf.float32), spec([None], tf.int64))
    assert ds_xy().batch(2, drop_remainder=True).element_spec == \
        (spec([2, 2], tf.float32), spec([2], tf.int64))
    assert ds_xy().batch(2).map(lambda a, b: (a * 2, b)).element_spec == \
        (spec([None, 2], tf.float32), spec([None], tf.int64))
    assert D.range(2).map(lambda v: {"a": v, "b": tf.cast(v, tf.float32)}).element_spec == \
        {"a": spec([], tf.int64), "b": spec([], tf.float32)}
    assert D.range(6).batch(4).unbatch().element_spec == spec([], tf.int64)
    assert ds_xy().map(lambda a, b: a).element_spec == spec([2], tf.float32)


def test_repr_names_the_dataset_and_its_spec():
    assert repr(D.range(3)) == \
        "<_RangeDataset element_spec=TensorSpec(shape=(), dtype=lamina.int64, name=None)>"
    assert repr(ds_xy().batch(2)).startswith("<_BatchDataset element_spec=(TensorSpec(shape=(None, 2)")


# ---- cardinality -------------------------------------------------------------------------------
def test_cardinality_matches_tf():
    ds = ds_xy()
    c = lambda d: int(d.cardinality())
    got = [c(ds.repeat()), c(ds.repeat(3)), c(ds.filter(lambda a, b: True)),
           c(ds.repeat().take(7)), c(ds.skip(2)), c(ds.skip(9)), c(ds.take(-1)),
           c(ds.repeat().batch(2)), c(ds.batch(2).unbatch()), c(D.range(0)),
           c(D.range(0).repeat()), c(ds.shuffle(3)), c(ds.map(lambda a, b: a)),
           c(D.zip((ds, D.range(3)))), c(ds.concatenate(ds)), c(ds.enumerate()), c(ds.cache()),
           c(ds.prefetch(1)), c(ds.repeat().skip(3)), c(ds.filter(lambda a, b: True).repeat()),
           c(ds.flat_map(lambda a, b: D.from_tensors(a)))]
    # tensorflow 2.21, the same expressions
    assert got == [-1, 15, -2, 7, 3, 0, 5, -1, -2, 0, 0, 5, 5, 3, 10, 5, 5, 5, -1, -1, -2]
    assert c(ds.batch(2)) == 3 and c(ds.batch(2, drop_remainder=True)) == 2
    card = tf.data.experimental.cardinality(ds)
    assert card.dtype == tf.int64 and int(card) == 5
    assert (tf.data.AUTOTUNE, tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY) == \
        (-1, -1, -2)
    assert tf.data.experimental.INFINITE_CARDINALITY == -1


def test_len_of_infinite_and_unknown_raise_as_tf():
    assert len(ds_xy()) == 5
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(ds_xy().repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(ds_xy().filter(lambda a, b: True))


# ---- elements ----------------------------------------------------------------------------------
def test_iteration_yields_tensors_and_numpy_iterator_numpy():
    a, b = next(iter(ds_xy()))
    assert isinstance(a, tf.Tensor) and a.shape == (2,) and a.dtype == tf.float32
    assert isinstance(b, tf.Tensor) and b.shape == () and int(b) == 0
    first = next(D.range(3).as_numpy_iterator())
    assert isinstance(first, np.int64)
    d = next(D.from_tensor_slices({"a": X}).as_numpy_iterator())
    np.testing.assert_array_equal(d["a"], [0., 1.])
    it = iter(D.range(2))
    assert int(it.get_next()) == 0 and int(next(it)) == 1
    with pytest.raises(StopIteration):
        next(it)


def test_iterating_twice_gives_a_fresh_pass():
    ds = D.range(4).map(lambda v: v + 1).batch(3)
    assert values(ds) == values(ds) == [[1, 2, 3], [4]]


def test_batch_values():
    assert [b[1].numpy().tolist() for b in ds_xy().batch(2)] == [[0, 1], [2, 3], [4]]
    assert [b[1].numpy().tolist() for b in ds_xy().batch(2, drop_remainder=True)] == \
        [[0, 1], [2, 3]]
    # the general path (batch after map) and the slice fast path agree
    direct = [b.numpy().tolist() for b in D.from_tensor_slices(X).batch(3)]
    via_map = [b.numpy().tolist() for b in D.from_tensor_slices(X).map(lambda v: v).batch(3)]
    assert direct == via_map == [X[:3].tolist(), X[3:].tolist()]


def test_padded_batch_matches_tf():
    gen = D.from_generator(lambda: iter([[1], [2, 3], [4, 5, 6]]),
                           output_signature=tf.TensorSpec([None], tf.int32))
    assert gen.element_spec == spec([None], tf.int32) and int(gen.cardinality()) == -2
    p = gen.padded_batch(2)
    assert p.element_spec == spec([None, None], tf.int32)
    assert [e.numpy().tolist() for e in p] == [[[1, 0], [2, 3]], [[4, 5, 6]]]
    assert [e.numpy().tolist() for e in gen.padded_batch(2, padded_shapes=[4],
                                                         padding_values=-1)] == \
        [[[1, -1, -1, -1], [2, 3, -1, -1]], [[4, 5, 6, -1]]]
    with pytest.raises(ValueError, match="padded"):
        list(gen.padded_batch(3, padded_shapes=[2]))


def test_padded_batch_of_tuples():
    ds = D.range(1, 4).map(lambda n: (tf.fill([n], n), n))
    out = [(a.numpy().tolist(), b.numpy().tolist()) for a, b in ds.padded_batch(3)]
    assert out == [([[1, 0, 0], [2, 2, 0], [3, 3, 3]], [1, 2, 3])]


def test_map_enumerate_unbatch_zip_range_shard_reduce():
    assert values(D.range(5).map(lambda v: v * 2)) == [0, 2, 4, 6, 8]
    assert values(D.range(3).enumerate(start=1)) == [(1, 0), (2, 1), (3, 2)]
    assert values(D.range(6).batch(4).unbatch()) == [0, 1, 2, 3, 4, 5]
    assert values(D.zip((D.range(3), D.range(5, 9)))) == [(0, 5), (1, 6), (2, 7)]
    assert values(D.range(1, 10, 3)) == [1, 4, 7]
    assert values(D.range(10).shard(3, 1)) == [1, 4, 7]
    assert int(D.range(10).reduce(np.int64(0), lambda s, v: s + v)) == 45
    assert values(D.range(6).filter(lambda v: v % 2 == 0)) == [0, 2, 4]
    assert values(D.range(3).concatenate(D.range(7, 9))) == [0, 1, 2, 7, 8]
    assert values(D.range(5).skip(2).take(2)) == [2, 3]
    assert values(D.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert values(D.range(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert values(D.range(0).repeat()) == []


def test_interleave_order_matches_tf():
    ds = D.range(8).interleave(lambda v: D.from_tensors(v).repeat(2), cycle_length=2,
                               block_length=1)
    assert values(ds) == [0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7]
    assert values(D.range(3).flat_map(lambda v: D.range(v))) == [0, 0, 1]


def test_map_on_dicts_and_list_results():
    ds = D.from_tensor_slices({"a": X, "b": Y}).map(lambda d: (d["a"], d["b"] * 2))
    assert values(ds)[1] == ([2.0, 3.0], 2)
    ds = D.range(2).map(lambda v: [v, v + 1])          # a list result becomes a tuple
    assert values(ds) == [(0, 1), (1, 2)]


def test_from_generator_calls_the_generator_each_pass_and_checks_signature():
    calls = []

    def gen(n):
        calls.append(n)
        for i in range(int(n)):
            yield i, [float(i)] * 2
    ds = D.from_generator(gen, args=(3,), output_signature=(
        tf.TensorSpec([], tf.int32), tf.TensorSpec([2], tf.float32)))
    assert values(ds) == values(ds) == [(0, [0., 0.]), (1, [1., 1.]), (2, [2., 2.])]
    assert len(calls) == 2
    assert next(iter(ds))[1].dtype == tf.float32
    bad = D.from_generator(lambda: iter([[1, 2, 3]]),
                           output_signature=tf.TensorSpec([2], tf.int32))
    with pytest.raises(ValueError, match="shape"):
        list(bad)
    old = D.from_generator(lambda: iter([1, 2]), output_types=tf.int64)
    assert old.element_spec.dtype == tf.int64 and values(old) == [1, 2]
    with pytest.raises(TypeError, match="output_signature"):
        D.from_generator(lambda: iter([1]))


def test_cache_replays_the_first_pass():
    seen = []

    def f(v):
        seen.append(int(v))
        return v
    ds = D.range(3).map(f).cache()
    assert values(ds) == values(ds) == [0, 1, 2]
    assert seen == [0, 1, 2]
    with pytest.raises(NotImplementedError, match="memory"):
        D.range(3).cache("/tmp/somefile")


def test_bad_arguments_raise_clearly():
    with pytest.raises(ValueError, match="same size"):
        D.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="positive"):
        D.range(3).batch(0)
    with pytest.raises(ValueError, match="different shapes"):
        list(D.from_generator(lambda: iter([[1], [1, 2]]),
                              output_signature=tf.TensorSpec([None], tf.int32)).batch(2))
    with pytest.raises(TypeError, match="Dataset"):
        list(D.range(2).flat_map(lambda v: v))
    with pytest.raises(ValueError, match="buffer_size"):
        D.range(2).shuffle(0)


# ---- shuffle -----------------------------------------------------------------------------------
def test_shuffle_is_a_permutation_and_reshuffles_each_pass():
    ds = D.range(100).shuffle(100)
    a, b = values(ds), values(ds)
    assert sorted(a) == sorted(b) == list(range(100))
    assert a != b


def test_shuffle_buffer_bounds_how_far_an_element_moves_forward():
    # with a buffer of k, output i is one of the first i + k input elements
    k = 5
    for _ in range(20):
        out = values(D.range(50).shuffle(k))
        assert sorted(out) == list(range(50))
        assert all(v < i + k for i, v in enumerate(out))
    assert values(D.range(10).shuffle(1)) == list(range(10))


def test_shuffle_seed_and_reshuffle_each_iteration():
    fixed = D.range(20).shuffle(20, seed=3, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    assert values(D.range(20).shuffle(20, seed=3)) == values(D.range(20).shuffle(20, seed=3))
    unseeded_fixed = D.range(20).shuffle(20, reshuffle_each_iteration=False)
    assert values(unseeded_fixed) == values(unseeded_fixed)
    tf.random.set_seed(7)
    try:
        a = values(D.range(20).shuffle(20))
        tf.random.set_seed(7)
        assert values(D.range(20).shuffle(20)) == a
    finally:
        tf.random.set_seed(None)


# ---- threads -----------------------------------------------------------------------------------
def test_prefetch_runs_the_input_on_a_background_thread():
    producers = []

    def produce(v):
        producers.append(threading.current_thread().name)
        return v
    ds = D.range(6).map(produce).prefetch(2)
    assert values(ds) == list(range(6))
    assert set(producers) == {"lamina-data-prefetch"}
    assert values(D.range(4).prefetch(tf.data.AUTOTUNE)) == [0, 1, 2, 3]


def test_prefetch_works_ahead_of_the_consumer():
    made = []
    ds = D.range(10).map(lambda v: made.append(int(v)) or v).prefetch(3)
    it = iter(ds)
    next(it)
    deadline = time.time() + 5
    while len(made) < 4 and time.time() < deadline:
        time.sleep(0.01)
    assert len(made) >= 4      # the thread filled the buffer while we waited


def test_prefetch_passes_errors_and_stops_when_abandoned():
    def boom(v):
        if int(v) == 2:
            raise RuntimeError("bad element 2")
        return v
    with pytest.raises(RuntimeError, match="bad element 2"):
        list(D.range(5).map(boom).prefetch(1))
    before = threading.active_count()
    for _ in range(5):
        it = iter(D.range(1000).prefetch(1))
        next(it)
        del it
    deadline = time.time() + 5
    while threading.active_count() > before and time.time() < deadline:
        time.sleep(0.02)
    assert threading.active_count() <= before


def test_parallel_map_keeps_order_and_uses_threads():
    names = set()

    def slow(v):
        names.add(threading.current_thread().name)
        time.sleep(0.002 * (5 - int(v) % 5))
        return v * 10
    ds = D.range(20).map(slow, num_parallel_calls=4)
    assert values(ds) == [v * 10 for v in range(20)]
    assert all(n.startswith("lamina-data-map") for n in names) and len(names) > 1
    assert values(D.range(5).map(lambda v: v + 1, num_parallel_calls=tf.data.AUTOTUNE)) == \
        [1, 2, 3, 4, 5]


def test_a_guide_style_pipeline():
    images = np.random.default_rng(0).integers(0, 255, (50, 4, 4), dtype=np.uint8)
    labels = np.arange(50) % 10
    ds = (D.from_tensor_slices((images, labels))
          .map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, y),
               num_parallel_calls=tf.data.AUTOTUNE)
          .cache().shuffle(50).batch(16).prefetch(tf.data.AUTOTUNE))
    assert ds.element_spec[0] == spec([None, 4, 4], tf.float32)
    batches = list(ds)
    assert [int(b[0].shape[0]) for b in batches] == [16, 16, 16, 2]
    got = np.concatenate([b[0].numpy() for b in batches])
    want = images.astype(np.float32) / 255.0
    order = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(order.tolist()) == sorted(labels.tolist())
    assert np.allclose(np.sort(got.ravel()), np.sort(want.ravel()))


def test_scan_take_while_unique_single_counter():
    # tensorflow 2.21 gives the same lists for these expressions
    assert values(D.range(5).scan(np.int64(0), lambda s, v: (s + v, s + v))) == [0, 1, 3, 6, 10]
    assert values(D.range(10).take_while(lambda v: v < 4)) == [0, 1, 2, 3]
    assert values(D.from_tensor_slices([1, 2, 2, 3, 1]).unique()) == [1, 2, 3]
    assert int(D.from_tensors(7).get_single_element()) == 7
    with pytest.raises(ValueError, match="more than one"):
        D.range(2).get_single_element()
    assert values(D.counter(3, 2).take(3)) == [3, 5, 7]


def test_sample_and_choose_from_datasets():
    a, b = D.range(0, 50), D.range(100, 150)
    out = values(D.sample_from_datasets([a, b], weights=[0.5, 0.5], seed=1))
    assert sorted(out) == list(range(50)) + list(range(100, 150))
    assert [v for v in out if v < 100] == list(range(50))      # each input keeps its order
    out = values(D.choose_from_datasets([D.range(3), D.range(10, 13)],
                                        D.from_tensor_slices(np.array([0, 1, 1, 0], np.int64))))
    assert out == [0, 10, 11, 1]


def test_py_function_and_numpy_function_in_map():
    def upper(v):
        return v.numpy() * 10

    ds = D.range(3).map(lambda v: tf.py_function(upper, [v], tf.int64))
    assert values(ds) == [0, 10, 20]
    ds = D.range(3).map(lambda v: tf.numpy_function(lambda a: (a + 1.5, a), [v],
                                                    [tf.float32, tf.int64]))
    assert values(ds) == [(1.5, 0), (2.5, 1), (3.5, 2)]
    with pytest.raises(ValueError, match="Tout"):
        tf.py_function(lambda: (1, 2), [], [tf.int32])
