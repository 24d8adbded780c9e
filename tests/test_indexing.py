"""Basic indexing (t[...]) against NumPy: random index tuples of ints, slices, None and Ellipsis on
random tensors of rank 0-4 and every dtype and layout, chained indexing of views, iteration, len(),
and every bad index."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as npst

import lamina as tf
from conftest import ALL_DTYPES, random_array, to_tensor, np_dtype

LAYOUTS = ["contiguous", "strided", "transposed", "reversed"]


def make(rng, shape, dtype, layout="contiguous"):
    """(NumPy array, lamina tensor equal to it) with the requested memory layout."""
    a = np.asarray(random_array(rng, shape, dtype), dtype=np_dtype(dtype))
    if layout == "contiguous" or a.ndim == 0:
        t = to_tensor(a, dtype)
    elif layout == "strided":      # every other element of a bigger lamina tensor
        t = to_tensor(np.repeat(a, 2, axis=-1), dtype)[..., ::2]
    elif layout == "transposed":
        t = tf.transpose(to_tensor(np.ascontiguousarray(a.T), dtype))
    else:                          # negative strides on every axis, shared from NumPy
        sl = (slice(None, None, -1),) * a.ndim
        if dtype == "bfloat16":
            t = to_tensor(np.ascontiguousarray(a[sl]), dtype)[sl]
        else:
            t = tf.from_dlpack(np.ascontiguousarray(a[sl])[sl])
    np.testing.assert_array_equal(t.numpy(), a)
    return a, t


def assert_same(t, expected, dtype):
    expected = np.asarray(expected)
    assert t.dtype.name == dtype
    got = t.numpy()
    assert np.shape(got) == expected.shape, f"shape {np.shape(got)} != {expected.shape}"
    np.testing.assert_array_equal(np.asarray(got), expected)


@st.composite
def index_keys(draw, shape):
    """(lamina key, NumPy key): ints (negative too), slices with any bounds and steps (bounds
    out of range too), None and at most one Ellipsis; ints are sometimes NumPy ints or 0-d int
    tensors in the lamina key."""
    ndim = len(shape)
    nconsume = draw(st.integers(0, ndim))
    ellipsis_at = draw(st.none() | st.integers(0, nconsume))
    if ellipsis_at is None:
        dims = list(range(nconsume))
    else:
        dims = list(range(ellipsis_at)) + list(range(ndim - (nconsume - ellipsis_at), ndim))
    items = []
    for d in dims:
        size = shape[d]
        if size > 0 and draw(st.booleans()):
            items.append(("int", draw(st.integers(-size, size - 1))))
        else:
            bound = st.none() | st.integers(-2 * size - 3, 2 * size + 3)
            step = st.none() | st.integers(-4, 4).filter(bool)
            items.append(("slice", slice(draw(bound), draw(bound), draw(step))))
    if ellipsis_at is not None:
        items.insert(ellipsis_at, ("ellipsis", Ellipsis))
    for _ in range(draw(st.integers(0, min(2, 8 - ndim)))):  # the result keeps rank <= 8
        items.insert(draw(st.integers(0, len(items))), ("none", None))

    def wrap_int(v):
        kind = draw(st.sampled_from(["int", "int", "np64", "np32", "t32", "t64"]))
        if kind == "np64":
            return np.int64(v)
        if kind == "np32":
            return np.int32(v)
        if kind == "t32":
            return tf.constant(v, dtype=tf.int32)
        if kind == "t64":
            return tf.constant(v, dtype=tf.int64)
        return v

    lm_items, np_items = [], []
    for kind, v in items:
        np_items.append(v)
        if kind == "int":
            lm_items.append(wrap_int(v))
        elif kind == "slice" and draw(st.booleans()):
            lm_items.append(slice(*[None if b is None else wrap_int(b)
                                    for b in (v.start, v.stop, v.step)]))
        else:
            lm_items.append(v)
    if len(items) == 1 and draw(st.booleans()):
        return lm_items[0], np_items[0]
    return tuple(lm_items), tuple(np_items)


shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
seeds = st.integers(0, 2**32 - 1)


@given(shape=shapes, dtype=st.sampled_from(ALL_DTYPES), layout=st.sampled_from(LAYOUTS),
       seed=seeds, data=st.data())
def test_random_indices_match_numpy(shape, dtype, layout, seed, data):
    a, t = make(np.random.default_rng(seed), shape, dtype, layout)
    key, np_key = data.draw(index_keys(shape))
    r = t[key]
    assert r._storage_ptr == t._storage_ptr  # basic indexing is always a view
    assert_same(r, a[np_key], dtype)


@given(shape=shapes, seed=seeds, data=st.data())
def test_hypothesis_basic_indices_match_numpy(shape, seed, data):
    a, t = make(np.random.default_rng(seed), shape, "float64", "strided")
    key = data.draw(npst.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    assert_same(t[key], a[key], "float64")


@given(shape=shapes, dtype=st.sampled_from(ALL_DTYPES), layout=st.sampled_from(LAYOUTS),
       seed=seeds, data=st.data())
def test_chained_indexing_of_views(shape, dtype, layout, seed, data):
    a, t = make(np.random.default_rng(seed), shape, dtype, layout)
    for _ in range(3):
        key, np_key = data.draw(index_keys(a.shape))
        a, u = a[np_key], t[key]
        assert u._storage_ptr == t._storage_ptr
        assert_same(u, a, dtype)
        t = u


def test_indexing_a_broadcast_view():
    a = np.arange(3.0)
    t = tf.broadcast_to(tf.constant(a), (4, 3))
    r = t[1:, ::-1]
    assert r._strides == (0, -1)
    assert_same(r, np.broadcast_to(a, (4, 3))[1:, ::-1], "float64")


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_every_dtype(rng, dtype):
    a, t = make(rng, (3, 4, 5), dtype, "transposed")
    for key in [1, -1, (slice(None), 2), (Ellipsis, slice(None, None, -2)), (None, 0, None),
                (slice(1, None), Ellipsis, 4), ()]:
        assert_same(t[key], a[key], dtype)


def test_huge_slice_bounds_clamp_like_python():
    a = np.arange(10)
    t = tf.constant(a)
    for key in [slice(2**70, None), slice(None, -2**70), slice(-2**70, 2**70),
                slice(None, None, 2**70), slice(None, None, -2**70), slice(2**64, -2**64, -1),
                slice(np.int64(-2**63), None), slice(None, None, -(2**63))]:
        assert_same(t[key], a[key], "int64")


def test_scalar_tensor_indexing():
    s = tf.constant(7.5)
    assert s[()].shape == () and float(s[()]) == 7.5
    assert s[...].shape == ()
    assert s[None].shape == (1,)
    assert s[None, ..., None].numpy().tolist() == [[7.5]]
    with pytest.raises(IndexError, match="too many indices"):
        s[0]


def test_index_types():
    a = np.arange(24).reshape(2, 3, 4)
    t = tf.constant(a)
    assert_same(t[np.int32(1)], a[1], "int64")
    assert_same(t[tf.constant(-1)], a[-1], "int64")
    assert_same(t[tf.constant(np.int64(1)), np.int64(2)], a[1, 2], "int64")
    assert_same(t[tf.constant(0):tf.constant(2), :np.int16(2)], a[0:2, :2], "int64")
    assert_same(t[tf.newaxis, 1], a[None, 1], "int64")


@pytest.mark.parametrize("shape", [(0, 2), (1,), (3, 2), (4, 0, 3), (2, 3, 4)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_iteration_and_len(rng, shape, layout):
    a, t = make(rng, shape, "int32", layout)
    assert len(t) == shape[0]
    items = list(t)
    assert len(items) == shape[0]
    for item, row in zip(items, a):
        assert item._storage_ptr == t._storage_ptr
        assert_same(item, row, "int32")


def test_len_and_iter_of_a_scalar():
    s = tf.constant(1)
    with pytest.raises(TypeError, match=r"Scalar tensor has no `len\(\)`"):
        len(s)
    with pytest.raises(TypeError, match="Cannot iterate over a scalar tensor"):
        iter(s).__next__()


def test_view_keeps_storage_alive():
    t = tf.constant(np.arange(6.0).reshape(2, 3))
    v = t[1, ::2]
    del t
    assert v._strides == (2,)
    assert v.numpy().tolist() == [3.0, 5.0]


BAD_TYPE_KEYS = [[0, 1], [True], 0.5, True, np.bool_(True), np.array([0]), np.array(1), "a",
                 (0, [1]), slice(0, 1.5), slice(None, None, 1.0), {0: 1}]


@pytest.mark.parametrize("key", BAD_TYPE_KEYS, ids=repr)
def test_bad_index_types(key):
    t = tf.constant(np.zeros((3, 4)))
    with pytest.raises(TypeError, match=r"Only integers, slices \(`:`\), ellipsis \(`...`\), "
                                        r"lamina.newaxis \(`None`\) and scalar int32/int64 "
                                        r"tensors are valid indices, got "):
        t[key]


def test_bad_index_tensors():
    t = tf.constant(np.zeros((3, 4)))
    for key in [tf.constant([0]), tf.constant(1.0), tf.constant(True), tf.constant([[0]])]:
        with pytest.raises(TypeError, match="valid indices, got <lamina.Tensor"):
            t[key]
    with pytest.raises(TypeError, match="valid indices"):
        t[tf.constant(0.0):]


def test_out_of_range_indices():
    t = tf.constant(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"index 3 is out of bounds for axis 0 with size 3"):
        t[3]
    with pytest.raises(IndexError, match=r"index -5 is out of bounds for axis 1 with size 4"):
        t[:, -5]
    with pytest.raises(IndexError, match=r"index 4 is out of bounds for axis 1 with size 4"):
        t[..., 4]
    with pytest.raises(IndexError, match=r"index 0 is out of bounds for axis 1 with size 0"):
        t[:, 4:][0, 0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):  # TF's error type
        t[tf.constant(7)]
    with pytest.raises(IndexError, match=r"index 1180591620717411303424 is out of bounds"):
        t[2**70]
    with pytest.raises(IndexError, match=r"index -1180591620717411303424 is out of bounds"):
        t[1, -2**70]


def test_bad_index_structure():
    t = tf.constant(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        t[::0]
    with pytest.raises(ValueError, match=r"slice step cannot be zero \(axis 1\)"):
        t[1:, 0:2:np.int64(0)]
    with pytest.raises(IndexError, match=r"too many indices for a tensor of shape \(3, 4\): it is "
                                         r"2-dimensional, but 3 were indexed"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match="too many indices"):
        t[:, None, :, 1:]
    with pytest.raises(IndexError, match=r"an index can only have a single ellipsis \('...'\)"):
        t[..., 0, ...]
    with pytest.raises(ValueError, match="more than 8 dimensions"):
        t[(None,) * 7]
    assert t[(None,) * 6].shape == (1,) * 6 + (3, 4)
    # The longest valid key: 8 ints, 8 newaxes and an ellipsis (more than fit on the stack).
    a = np.arange(256).reshape((2,) * 8)
    key = (None, 1, None, 0, Ellipsis) + (1, None) * 6
    assert len(key) == 17
    assert_same(tf.constant(a)[key], a[key], "int64")
    with pytest.raises(IndexError, match="too many indices"):
        t[(0,) * 20]
