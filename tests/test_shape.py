"""Shape ops against NumPy: reshape, transpose, expand_dims, squeeze, broadcast_to, concat, stack,
unstack, gather, one_hot, shape, rank, size — every dtype, random shapes (rank 0-4, size-0 and
size-1 dims), non-contiguous inputs, view-ness where promised, and every bad input."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import lamina as tf
from conftest import ALL_DTYPES, random_array, to_tensor, strided, np_dtype

LAYOUTS = ["contiguous", "strided", "transposed", "reversed"]


def make(rng, shape, dtype, layout="contiguous"):
    """(NumPy array, lamina tensor equal to it) with the requested memory layout."""
    a = random_array(rng, shape, dtype)
    a = np.asarray(a, dtype=np_dtype(dtype))
    if layout == "contiguous" or a.ndim == 0:
        t = to_tensor(a, dtype)
    elif layout == "strided":
        if dtype == "bfloat16":  # NumPy has no bfloat16: stride through a lamina view instead
            big = np.repeat(a, 2, axis=-1)
            t = to_tensor(big, dtype)[..., ::2]
        else:
            t = strided(a)
    elif layout == "transposed":
        if dtype == "bfloat16":
            t = tf.transpose(to_tensor(np.ascontiguousarray(a.T), dtype))
        else:
            t = tf.from_dlpack(np.ascontiguousarray(a.T).T)
    else:  # reversed: negative strides on every axis
        sl = (slice(None, None, -1),) * a.ndim
        if dtype == "bfloat16":
            t = to_tensor(np.ascontiguousarray(a[sl]), dtype)[sl]
        else:
            t = tf.from_dlpack(np.ascontiguousarray(a[sl])[sl])
    assert t.dtype.name == dtype
    assert_same(t, a, dtype)
    return a, t


def assert_same(t, expected, dtype):
    """Exact equality of dtype, shape and values (shape ops never round)."""
    expected = np.asarray(expected)
    assert t.dtype.name == dtype, f"dtype {t.dtype.name} != {dtype}"
    got = t.numpy()
    assert np.shape(got) == expected.shape, f"shape {np.shape(got)} != {expected.shape}"
    np.testing.assert_array_equal(np.asarray(got), expected.astype(np_dtype(dtype)))


def is_view(t, x):
    return t._storage_ptr == x._storage_ptr


shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple)
dtypes = st.sampled_from(ALL_DTYPES)
layouts = st.sampled_from(LAYOUTS)
seeds = st.integers(0, 2**32 - 1)


def random_target(rng, shape):
    """A random shape with the same number of elements as `shape`."""
    n = int(np.prod(shape))
    rank = int(rng.integers(0, 5))
    if n == 0:
        out = list(rng.integers(0, 4, size=max(rank, 1)))
        out[int(rng.integers(0, len(out)))] = 0
        return tuple(int(d) for d in out)
    if n == 1 and rank == 0:
        return ()
    out = []
    rest = n
    for _ in range(max(rank, 1) - 1):
        divs = [d for d in range(1, rest + 1) if rest % d == 0]
        d = int(rng.choice(divs))
        out.append(d)
        rest //= d
    out.append(rest)
    rng.shuffle(out)
    return tuple(out)


# ================================================================================================
# reshape
# ================================================================================================

@given(shape=shapes, dtype=dtypes, layout=layouts, seed=seeds, infer=st.booleans())
def test_reshape_matches_numpy(shape, dtype, layout, seed, infer):
    rng = np.random.default_rng(seed)
    a, t = make(rng, shape, dtype, layout)
    target = random_target(rng, shape)
    req = list(target)
    if infer and req and np.prod([d for d in req]) > 0:
        req[int(rng.integers(0, len(req)))] = -1
    r = tf.reshape(t, req)
    assert_same(r, a.reshape(target), dtype)
    if t._is_contiguous:
        assert is_view(r, t) and r._is_contiguous


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_reshape_contiguous_is_a_view(rng, dtype):
    a, t = make(rng, (2, 3, 4), dtype)
    for target in [(24,), (4, 6), (2, 12), (1, 2, 1, 12, 1), (-1,), (6, -1)]:
        r = tf.reshape(t, target)
        assert is_view(r, t) and r._is_contiguous
        assert_same(r, a.reshape(target), dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_reshape_noncontiguous_view_when_strides_allow(rng, dtype):
    a, t = make(rng, (4, 3, 2), dtype, "transposed")  # strides (1, 4, 12)
    r = tf.reshape(t, (2, 2, 3, 2))                     # splits the unit-stride dim: a view
    assert is_view(r, t)
    assert_same(r, a.reshape(2, 2, 3, 2), dtype)
    r = tf.reshape(t, (4, 3, 1, 2, 1))                  # inserts size-1 dims: a view
    assert is_view(r, t)
    assert_same(r, a.reshape(4, 3, 1, 2, 1), dtype)
    a, t = make(rng, (3, 4), dtype, "strided")          # every other element of a buffer
    r = tf.reshape(t, (3, 2, 2))
    assert is_view(r, t) and not r._is_contiguous
    assert_same(r, a.reshape(3, 2, 2), dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", ["strided", "reversed"])
def test_reshape_uniformly_strided_is_a_view(rng, dtype, layout):
    a, t = make(rng, (4, 3, 2), dtype, layout)  # strides (12, 4, 2) or (-6, -2, -1): one run
    r = tf.reshape(t, (24,))
    assert is_view(r, t) and not r._is_contiguous
    assert r._strides == ((2,) if layout == "strided" else (-1,))
    assert_same(r, a.reshape(24), dtype)
    assert_same(tf.reshape(t, (2, -1, 3)), a.reshape(2, -1, 3), dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_reshape_noncontiguous_copies(rng, dtype):
    a, t = make(rng, (4, 3, 2), dtype, "transposed")
    r = tf.reshape(t, (24,))
    assert not is_view(r, t) and r._is_contiguous
    assert_same(r, a.reshape(24), dtype)
    assert_same(tf.reshape(t, (2, -1)), a.reshape(2, -1), dtype)
    b, u = make(rng, (4, 6, 2), dtype)
    a, t = b[:, :3], u[:, :3]                   # strides (12, 2, 1): rows are not one run
    r = tf.reshape(t, (4, 6))                   # merging the inner two dims: still a view
    assert is_view(r, t) and r._strides == (12, 1)
    assert_same(r, a.reshape(4, 6), dtype)
    r = tf.reshape(t, (2, 12))                  # crosses the row gap: a copy
    assert not is_view(r, t) and r._is_contiguous
    assert_same(r, a.reshape(2, 12), dtype)


def test_reshape_large_noncontiguous(rng):
    a, t = make(rng, (300, 200), "float32", "transposed")
    assert_same(tf.reshape(t, (-1,)), a.reshape(-1), "float32")


def test_reshape_size_zero_and_size_one():
    z = tf.constant(np.zeros((0, 3), np.float32))
    assert tf.reshape(z, (-1, 3)).shape == (0, 3)
    assert tf.reshape(z, (3, 0, 5)).shape == (3, 0, 5)
    assert tf.reshape(tf.constant(np.zeros((2, 0), np.int32)), (-1,)).shape == (0,)
    s = tf.constant(np.float64(7.0))
    assert tf.reshape(s, (1, 1, -1)).numpy().tolist() == [[[7.0]]]
    assert tf.reshape(tf.constant([[5]]), ()).numpy() == 5


def test_reshape_shape_argument_forms():
    t = tf.constant(np.arange(6, dtype=np.int32))
    for s in [(2, 3), [2, 3], tf.TensorShape([2, 3]), tf.constant([2, 3]),
              tf.constant(np.array([2, 3], np.int64)), np.array([2, 3]), (np.int64(2), 3)]:
        assert tf.reshape(t, s).shape == (2, 3)
    assert tf.reshape(t, 6).shape == (6,)


def test_reshape_errors():
    t = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) \(6 elements\) into shape \(4, 2\) "
                                         r"\(8 elements\)"):
        tf.reshape(t, (4, 2))
    with pytest.raises(tf.errors.InvalidArgumentError, match="more than one -1"):
        tf.reshape(t, (-1, -1))
    with pytest.raises(ValueError, match=r"negative dimension -2"):
        tf.reshape(t, (-2, -3))
    with pytest.raises(ValueError, match=r"\(6 elements\) into shape \(4, -1\): 6 elements are "
                                         r"not a multiple of 4"):
        tf.reshape(t, (4, -1))
    z = tf.constant(np.zeros((0, 3), np.float32))
    with pytest.raises(ValueError, match=r"cannot infer the -1 dimension of shape \(-1, 0\) for a "
                                         r"tensor of shape \(0, 3\)"):
        tf.reshape(z, (-1, 0))
    with pytest.raises(ValueError, match=r"\(6 elements\) into shape \(0,\) \(0 elements\)"):
        tf.reshape(t, (0,))
    with pytest.raises(TypeError, match="shape dimensions must be ints"):
        tf.reshape(t, (2.0, 3))
    with pytest.raises(TypeError, match="1-D int32/int64"):
        tf.reshape(t, tf.constant([2.0, 3.0]))
    with pytest.raises(ValueError, match="up to 8 dimensions"):
        tf.reshape(t, (1,) * 9)


# ================================================================================================
# transpose
# ================================================================================================

@given(shape=shapes, dtype=dtypes, layout=layouts, seed=seeds)
def test_transpose_matches_numpy(shape, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    a, t = make(rng, shape, dtype, layout)
    perm = [int(p) for p in rng.permutation(len(shape))]
    r = tf.transpose(t, perm)
    assert is_view(r, t)
    assert_same(r, np.transpose(a, perm), dtype)
    assert_same(tf.transpose(t), a.T, dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_transpose_is_a_view(rng, dtype):
    a, t = make(rng, (2, 3, 4), dtype)
    r = tf.transpose(t, (2, 0, 1))
    assert is_view(r, t) and not r._is_contiguous
    assert r._strides == (1, 12, 4)
    assert_same(r, a.transpose(2, 0, 1), dtype)
    assert_same(tf.transpose(r, tf.constant([1, 2, 0])), a, dtype)  # perm as a tensor


def test_transpose_errors():
    t = tf.constant(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"perm \(1, 1\) is not a permutation of 0..1 for a tensor "
                                         r"of shape \(2, 3\) \(rank 2\)"):
        tf.transpose(t, [1, 1])
    with pytest.raises(ValueError, match=r"perm \(0, 2\) is not a permutation"):
        tf.transpose(t, [0, 2])
    with pytest.raises(ValueError, match=r"perm \(-1, 0\) is not a permutation"):
        tf.transpose(t, [-1, 0])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"perm \(0,\) has 1 entries but the tensor of shape \(2, 3\) has rank 2"):
        tf.transpose(t, [0])
    with pytest.raises(TypeError, match="axis must be an int"):
        tf.transpose(t, [0.0, 1.0])


# ================================================================================================
# expand_dims / squeeze
# ================================================================================================

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (3,), (2, 0), (1, 3, 1), (2, 3, 4, 2)])
def test_expand_dims_every_axis(rng, dtype, shape):
    for layout in LAYOUTS:
        a, t = make(rng, shape, dtype, layout)
        for axis in range(-len(shape) - 1, len(shape) + 1):
            r = tf.expand_dims(t, axis)
            assert is_view(r, t)
            assert_same(r, np.expand_dims(a, axis), dtype)
            if t._is_contiguous:
                assert r._is_contiguous


def test_expand_dims_axis_forms_and_errors():
    t = tf.constant(np.zeros((2, 3), np.int32))
    assert tf.expand_dims(t, np.int64(1)).shape == (2, 1, 3)
    assert tf.expand_dims(t, tf.constant(-1)).shape == (2, 3, 1)
    with pytest.raises(IndexError, match=r"axis 3 is out of range \[-3, 2\] for a tensor of shape "
                                         r"\(2, 3\)"):
        tf.expand_dims(t, 3)
    with pytest.raises(IndexError, match=r"axis -4 is out of range"):
        tf.expand_dims(t, -4)
    with pytest.raises(TypeError, match="axis must be an int"):
        tf.expand_dims(t, 1.0)
    big = tf.reshape(tf.constant([1.0]), (1,) * 8)
    with pytest.raises(ValueError, match="maximum rank 8"):
        tf.expand_dims(big, 0)


@given(shape=st.lists(st.integers(0, 3), min_size=0, max_size=5).map(tuple), dtype=dtypes,
       layout=layouts, seed=seeds)
def test_squeeze_matches_numpy(shape, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    a, t = make(rng, shape, dtype, layout)
    r = tf.squeeze(t)
    assert is_view(r, t)
    assert_same(r, np.squeeze(a), dtype)
    ones = [i for i, d in enumerate(shape) if d == 1]
    if ones:
        pick = sorted(rng.choice(ones, size=int(rng.integers(1, len(ones) + 1)), replace=False))
        axes = [int(p) - len(shape) if rng.random() < 0.5 else int(p) for p in pick]
        assert_same(tf.squeeze(t, axes), np.squeeze(a, tuple(pick)), dtype)
        assert_same(tf.squeeze(t, axes[0]), np.squeeze(a, pick[0]), dtype)


def test_squeeze_tf_specifics():
    t = tf.constant(np.zeros((1, 2, 1, 3, 1), np.float32))
    assert tf.squeeze(t, []).shape == (2, 3)            # TF: an empty list squeezes every size-1 dim
    assert tf.squeeze(t, [0, 0, -1]).shape == (2, 1, 3)  # a repeated axis is squeezed once
    assert tf.squeeze(t, tf.constant([2])).shape == (1, 2, 3, 1)
    assert tf.squeeze(tf.constant(5.0)).shape == ()


def test_squeeze_errors():
    t = tf.constant(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"cannot squeeze axis 1 of a tensor of shape \(1, 3\): "
                                         r"its size is 3, not 1"):
        tf.squeeze(t, 1)
    with pytest.raises(ValueError, match=r"cannot squeeze axis -1 .* its size is 3"):
        tf.squeeze(t, [0, -1])
    with pytest.raises(IndexError, match=r"axis 2 is out of range \[-2, 2\) for a tensor of shape "
                                         r"\(1, 3\)"):
        tf.squeeze(t, 2)
    with pytest.raises(IndexError, match=r"axis -3 is out of range"):
        tf.squeeze(t, -3)


# ================================================================================================
# broadcast_to
# ================================================================================================

@given(target=st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple), dtype=dtypes,
       layout=layouts, seed=seeds)
def test_broadcast_to_matches_numpy(target, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    drop = int(rng.integers(0, len(target) + 1))
    src = tuple(1 if rng.random() < 0.4 else d for d in target[drop:])
    a, t = make(rng, src, dtype, layout)
    r = tf.broadcast_to(t, target)
    assert is_view(r, t)
    assert_same(r, np.broadcast_to(a, target), dtype)
    lead = len(target) - len(src)
    for i, d in enumerate(target):
        if (i < lead or src[i - lead] == 1) and d != 1:
            assert r._strides[i] == 0


def test_broadcast_to_shape_forms_and_errors():
    t = tf.constant(np.arange(3, dtype=np.int64))
    assert tf.broadcast_to(t, tf.constant([2, 3])).shape == (2, 3)
    assert tf.broadcast_to(tf.constant([1.0]), (0,)).shape == (0,)
    assert tf.broadcast_to(tf.constant(2.0), [2, 2]).numpy().tolist() == [[2, 2], [2, 2]]
    with pytest.raises(ValueError, match=r"cannot broadcast a tensor of shape \(3,\) to shape "
                                         r"\(3, 2\)"):
        tf.broadcast_to(t, (3, 2))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) to shape \(3,\)"):
        tf.broadcast_to(tf.constant(np.zeros((2, 3))), (3,))
    with pytest.raises(ValueError, match=r"shape \(0,\) to shape \(5,\)"):
        tf.broadcast_to(tf.constant(np.zeros(0)), (5,))
    with pytest.raises(ValueError, match=r"negative dimension -3"):
        tf.broadcast_to(t, (-3,))


# ================================================================================================
# concat / stack / unstack
# ================================================================================================

@given(base=st.lists(st.integers(0, 3), min_size=1, max_size=4).map(tuple), dtype=dtypes,
       n=st.integers(1, 4), seed=seeds, data=st.data())
def test_concat_matches_numpy(base, dtype, n, seed, data):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(-len(base), len(base) - 1))
    arrays, tensors = [], []
    for _ in range(n):
        shape = list(base)
        shape[axis] = int(rng.integers(0, 4))
        a, t = make(rng, tuple(shape), dtype, data.draw(layouts))
        arrays.append(a)
        tensors.append(t)
    r = tf.concat(tensors, axis)
    assert r._is_contiguous
    assert_same(r, np.concatenate(arrays, axis), dtype)


@given(shape=shapes, dtype=dtypes, n=st.integers(1, 4), seed=seeds, data=st.data())
def test_stack_matches_numpy(shape, dtype, n, seed, data):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    pairs = [make(rng, shape, dtype, data.draw(layouts)) for _ in range(n)]
    r = tf.stack([t for _, t in pairs], axis=axis)
    assert r._is_contiguous
    assert_same(r, np.stack([a for a, _ in pairs], axis), dtype)


@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=4).map(tuple), dtype=dtypes,
       layout=layouts, seed=seeds, data=st.data())
def test_unstack_matches_numpy(shape, dtype, layout, seed, data):
    rng = np.random.default_rng(seed)
    a, t = make(rng, shape, dtype, layout)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = tf.unstack(t, axis=axis)
    want = [np.take(a, i, axis=axis) for i in range(a.shape[axis])]
    assert len(parts) == len(want)
    for p, w in zip(parts, want):
        assert is_view(p, t)
        assert_same(p, w, dtype)
    assert len(tf.unstack(t, num=a.shape[axis], axis=axis)) == a.shape[axis]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_concat_stack_large_inputs(rng, dtype):
    a, t = make(rng, (150, 120), dtype)
    b, u = make(rng, (150, 120), dtype, "transposed")
    assert_same(tf.concat([t, u], 1), np.concatenate([a, b], 1), dtype)
    assert_same(tf.stack([t, u], 1), np.stack([a, b], 1), dtype)


def test_concat_conversion():
    t = tf.constant([[1.0, 2.0]])
    r = tf.concat([t, [[3, 4]]], 0)                  # Python data adapts to the tensor's dtype
    assert r.dtype == tf.float32 and r.numpy().tolist() == [[1, 2], [3, 4]]
    r = tf.concat([[[1, 2]], t], axis=tf.constant(0))
    assert r.dtype == tf.float32
    r = tf.concat(([1, 2], [3]), 0)
    assert r.dtype == tf.int32 and r.numpy().tolist() == [1, 2, 3]
    assert tf.concat(t, 0).numpy().tolist() == [[1.0, 2.0]]  # TF: one tensor is a list of one
    r = tf.stack([1.0, t[0, 0], 3.0])
    assert r.dtype == tf.float32 and r.numpy().tolist() == [1, 1, 3]
    assert tf.stack((t, t)).shape == (2, 1, 2)


def test_concat_errors():
    a = tf.constant(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="non-empty list"):
        tf.concat([], 0)
    with pytest.raises(ValueError, match=r"cannot concatenate scalars"):
        tf.concat([tf.constant(1.0), tf.constant(2.0)], 0)
    with pytest.raises(TypeError, match="tensor 1 has dtype int32 but tensor 0 has float32"):
        tf.concat([a, tf.constant(np.zeros((2, 3), np.int32))], 0)
    with pytest.raises(ValueError, match=r"tensor 2 has shape \(2, 4\) but tensor 0 has \(2, 3\); "
                                         r"they must agree except on axis 0"):
        tf.concat([a, a, tf.constant(np.zeros((2, 4), np.float32))], 0)
    with pytest.raises(ValueError, match=r"tensor 1 has shape \(6,\) \(rank 1\) but tensor 0 has "
                                         r"\(2, 3\) \(rank 2\)"):
        tf.concat([a, tf.constant(np.zeros(6, np.float32))], 0)
    with pytest.raises(IndexError, match=r"axis 2 is out of range for a tensor of rank 2"):
        tf.concat([a, a], 2)
    with pytest.raises(IndexError, match=r"axis -3 is out of range"):
        tf.concat([a, a], -3)


def test_stack_errors():
    a = tf.constant(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="non-empty list"):
        tf.stack([])
    with pytest.raises(ValueError, match=r"tensor 1 has shape \(3, 2\) but tensor 0 has \(2, 3\); "
                                         r"all must have the same shape"):
        tf.stack([a, tf.transpose(a)])
    with pytest.raises(TypeError, match="tensor 1 has dtype float64 but tensor 0 has float32"):
        tf.stack([a, tf.constant(np.zeros((2, 3)))])
    with pytest.raises(IndexError, match=r"axis 3 is out of range \[-3, 2\] for tensors of shape "
                                         r"\(2, 3\)"):
        tf.stack([a, a], axis=3)
    with pytest.raises(IndexError, match=r"axis -4 is out of range"):
        tf.stack([a], axis=-4)
    big = tf.reshape(tf.constant([1.0]), (1,) * 8)
    with pytest.raises(ValueError, match="maximum rank 8"):
        tf.stack([big, big])


def test_unstack_errors():
    a = tf.constant(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"num=2 but axis 1 of a tensor of shape \(2, 3\) has size 3"):
        tf.unstack(a, num=2, axis=1)
    with pytest.raises(ValueError, match="cannot unstack a scalar"):
        tf.unstack(tf.constant(1.0))
    with pytest.raises(IndexError, match=r"axis 2 is out of range \[-2, 2\)"):
        tf.unstack(a, axis=2)
    assert tf.unstack(tf.constant(np.zeros((0, 3)))) == []


# ================================================================================================
# gather
# ================================================================================================

@given(pshape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
       ishape=st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple), dtype=dtypes,
       idtype=st.sampled_from(["int32", "int64"]), layout=layouts, seed=seeds, data=st.data())
def test_gather_matches_numpy(pshape, ishape, dtype, idtype, layout, seed, data):
    rng = np.random.default_rng(seed)
    a, p = make(rng, pshape, dtype, layout)
    axis = data.draw(st.integers(-len(pshape), len(pshape) - 1))
    idx = rng.integers(0, pshape[axis], size=ishape).astype(idtype)
    if data.draw(st.booleans()) and idx.ndim:
        ind = strided(idx)                   # non-contiguous indices
    else:
        ind = tf.constant(idx)
    r = tf.gather(p, ind, axis=axis)
    assert_same(r, np.take(a, idx, axis=axis), dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_gather_every_dtype_and_layout(rng, dtype, layout):
    a, p = make(rng, (5, 4, 3), dtype, layout)
    for axis in (0, 1, 2, -1):
        idx = rng.integers(0, a.shape[axis], size=(2, 3))
        assert_same(tf.gather(p, idx, axis=axis), np.take(a, idx, axis=axis), dtype)
    assert_same(tf.gather(p, 4), a[4], dtype)              # scalar index drops the axis
    assert_same(tf.gather(p, [], axis=1), a[:, :0], dtype)  # an empty list is int32 indices


def test_gather_large_embedding(rng):
    a, p = make(rng, (1000, 64), "float32")
    idx = rng.integers(0, 1000, size=(50, 100))
    assert_same(tf.gather(p, tf.constant(idx)), a[idx], "float32")
    assert_same(tf.gather(p[:, ::2], tf.constant(idx)), a[:, ::2][idx], "float32")


def np_batch_gather(a, idx, axis, b):
    """Reference for batch_dims=b: loop over the batch positions."""
    if b == 0:
        return np.take(a, idx, axis=axis)
    return np.stack([np_batch_gather(a[i], idx[i], axis - 1, b - 1) for i in range(a.shape[0])])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("b,axis", [(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (-1, 2), (1, None),
                                    (1, -1)])
def test_gather_batch_dims(rng, dtype, b, axis):
    a, p = make(rng, (2, 3, 4, 5), dtype, "transposed" if dtype == "float32" else "contiguous")
    nb = b if b >= 0 else 3 + b
    ax = nb if axis is None else axis % 4
    idx = rng.integers(0, a.shape[ax], size=(2, 3, 2)[:nb] + (2, 3)[:3 - nb])
    assert idx.ndim == 3
    got = tf.gather(p, tf.constant(idx), axis=axis, batch_dims=b)
    assert_same(got, np_batch_gather(a, idx, ax, nb), dtype)


def test_gather_batch_dims_scalar_indices_per_batch(rng):
    a, p = make(rng, (3, 4), "int64")
    idx = np.array([1, 0, 3])
    assert_same(tf.gather(p, idx, batch_dims=1, axis=1), a[np.arange(3), idx], "int64")


def test_gather_errors():
    p = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
    with pytest.raises(IndexError, match=r"indices\[1\] = 5 is out of range \[0, 3\) for axis 0 of "
                                         r"params of shape \(3, 4\)"):
        tf.gather(p, [0, 5])
    with pytest.raises(IndexError, match=r"indices\[0, 1\] = -1 is out of range \[0, 4\)"):
        tf.gather(p, [[0, -1]], axis=1)
    with pytest.raises(IndexError, match=r"indices = 4 is out of range \[0, 4\)"):
        tf.gather(p, 4, axis=-1)
    with pytest.raises(TypeError, match="indices must be int32 or int64, got float32"):
        tf.gather(p, [0.0, 1.0])
    with pytest.raises(TypeError, match="indices must be int32 or int64, got bool"):
        tf.gather(p, tf.constant([True]))
    with pytest.raises(ValueError, match=r"params must have rank >= 1"):
        tf.gather(tf.constant(1.0), 0)
    with pytest.raises(IndexError, match=r"axis 2 is out of range for a tensor of rank 2"):
        tf.gather(p, [0], axis=2)
    big = tf.reshape(tf.constant([1.0]), (1,) * 8)
    with pytest.raises(ValueError, match="up to 8 dimensions"):
        tf.gather(big, [[0]])
    # batch_dims
    i2 = tf.constant([[0, 1], [1, 0], [2, 2]])
    with pytest.raises(ValueError, match=r"batch_dims=3 is out of range for indices of rank 2"):
        tf.gather(p, i2, batch_dims=3)
    with pytest.raises(ValueError, match=r"batch_dims=2 must be less than the rank of params"):
        tf.gather(p, i2, batch_dims=2)
    with pytest.raises(ValueError, match=r"batch_dims=1 must be <= axis \(0\)"):
        tf.gather(p, i2, axis=0, batch_dims=1)
    with pytest.raises(ValueError, match=r"must agree on the first 1 \(batch\) dimensions"):
        tf.gather(p, tf.constant([[0], [1]]), axis=1, batch_dims=1)
    with pytest.raises(IndexError, match=r"indices\[2, 0\] = 7 is out of range \[0, 4\)"):
        tf.gather(p, tf.constant([[0], [1], [7]]), axis=1, batch_dims=1)
    with pytest.raises(TypeError, match="indices must be int32 or int64, got float32"):
        tf.gather(p, tf.constant([[0.0]] * 3), axis=1, batch_dims=1)
    with pytest.raises(IndexError, match=r"axis 5 is out of range"):
        tf.gather(p, i2, axis=5, batch_dims=1)


# ================================================================================================
# one_hot
# ================================================================================================

def np_one_hot(idx, depth, on, off, axis, dtype):
    hot = idx[..., None] == np.arange(depth)
    hot = np.moveaxis(hot, -1, axis if axis != -1 else hot.ndim - 1)
    return np.where(hot, on, off).astype(np_dtype(dtype))


@given(ishape=st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple),
       depth=st.integers(0, 5), dtype=dtypes, idtype=st.sampled_from(["int32", "int64"]),
       seed=seeds, data=st.data())
def test_one_hot_matches_numpy(ishape, depth, dtype, idtype, seed, data):
    rng = np.random.default_rng(seed)
    idx = rng.integers(-2, depth + 2, size=ishape).astype(idtype)  # some outside [0, depth)
    axis = data.draw(st.sampled_from([-1] + list(range(len(ishape) + 1))))
    on_a, on = make(rng, (), dtype)
    off_a, off = make(rng, (), dtype)
    ind = strided(idx) if idx.ndim and data.draw(st.booleans()) else tf.constant(idx)
    r = tf.one_hot(ind, depth, on_value=on, off_value=off, axis=axis)
    assert_same(r, np_one_hot(idx, depth, on_a, off_a, axis, dtype), dtype)


def test_one_hot_large(rng):
    idx = rng.integers(-1, 100, size=(300, 20))
    r = tf.one_hot(tf.constant(idx), 100, axis=1)
    assert_same(r, np_one_hot(idx, 100, 1, 0, 1, "float32"), "float32")


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_one_hot_dtype_argument(dtype):
    r = tf.one_hot([0, 2, 3], 3, dtype=dtype)
    assert_same(r, np.eye(4, 3)[[0, 2, 3]].astype(np_dtype(dtype)), dtype)


def test_one_hot_dtype_inference():
    assert tf.one_hot([1], 2).dtype == tf.float32
    r = tf.one_hot([1], 2, on_value=5, off_value=-1)           # Python ints -> int32, as in TF
    assert r.dtype == tf.int32 and r.numpy().tolist() == [[-1, 5]]
    r = tf.one_hot([1], 2, on_value=tf.constant(2.0, dtype=tf.float64))
    assert r.dtype == tf.float64 and r.numpy().tolist() == [[0.0, 2.0]]
    r = tf.one_hot([0], 2, off_value=tf.constant(True), on_value=False)
    assert r.dtype == tf.bool and r.numpy().tolist() == [[False, True]]
    r = tf.one_hot([0], 2, on_value=3, dtype=tf.int64)
    assert r.dtype == tf.int64 and r.numpy().tolist() == [[3, 0]]
    r = tf.one_hot(tf.constant(np.int64(1)), 3, dtype="bfloat16")
    assert r.dtype == tf.bfloat16 and r.numpy().tolist() == [0, 1, 0]
    assert tf.one_hot([], 4).shape == (0, 4)


def test_one_hot_errors():
    with pytest.raises(TypeError, match="on_value has dtype float32 but off_value has int32"):
        tf.one_hot([0], 2, on_value=1.0, off_value=0)
    with pytest.raises(TypeError, match=r"on_value has dtype float64 but dtype=float32 was requested"):
        tf.one_hot([0], 2, on_value=tf.constant(np.float64(1)), dtype=tf.float32)
    with pytest.raises(TypeError, match=r"off_value has dtype int32 but dtype=float32"):
        tf.one_hot([0], 2, off_value=tf.constant(0), dtype=tf.float32)
    with pytest.raises(TypeError, match=r"Cannot convert 1.5 to a tensor of dtype int32"):
        tf.one_hot([0], 2, on_value=1.5, dtype=tf.int32)
    with pytest.raises(TypeError, match="indices must be int32 or int64, got float32"):
        tf.one_hot([0.0], 2)
    with pytest.raises(ValueError, match="depth must be >= 0, got -1"):
        tf.one_hot([0], -1)
    with pytest.raises(IndexError, match=r"axis 2 must be -1 or in \[0, 1\] for indices of shape "
                                         r"\(1,\)"):
        tf.one_hot([0], 2, axis=2)
    with pytest.raises(IndexError, match=r"axis -2 must be -1 or in \[0, 1\]"):
        tf.one_hot([0], 2, axis=-2)
    with pytest.raises(ValueError, match=r"must be scalars, got shapes \(2,\) and \(\)"):
        tf.one_hot([0], 2, on_value=[1.0, 2.0], off_value=0.0)
    with pytest.raises(TypeError, match="depth must be an int"):
        tf.one_hot([0], 2.0)
    big = tf.reshape(tf.constant([0]), (1,) * 8)
    with pytest.raises(ValueError, match="maximum rank 8"):
        tf.one_hot(big, 2)


# ================================================================================================
# shape / rank / size
# ================================================================================================

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shp", [(), (0,), (3,), (2, 0, 4), (1, 2, 3, 4)])
def test_shape_rank_size(rng, dtype, shp):
    _, t = make(rng, shp, dtype, "strided")
    s = tf.shape(t)
    assert s.dtype == tf.int32 and s.shape == (len(shp),) and s.numpy().tolist() == list(shp)
    s = tf.shape(t, out_type=tf.int64)
    assert s.dtype == tf.int64 and s.numpy().tolist() == list(shp)
    r = tf.rank(t)
    assert r.dtype == tf.int32 and r.shape == () and int(r) == len(shp)
    n = tf.size(t)
    assert n.dtype == tf.int32 and n.shape == () and int(n) == int(np.prod(shp))
    assert tf.size(t, out_type="int64").dtype == tf.int64


def test_shape_of_python_data_and_errors():
    assert tf.shape([[1, 2, 3]]).numpy().tolist() == [1, 3]
    assert int(tf.rank(5.0)) == 0 and int(tf.size([[1, 2]])) == 2
    with pytest.raises(TypeError, match="out_type must be int32 or int64, got float32"):
        tf.shape(tf.constant([1.0]), out_type=tf.float32)
    with pytest.raises(TypeError, match="out_type must be int32 or int64, got bool"):
        tf.size(tf.constant([1.0]), out_type=tf.bool)
    huge = tf.broadcast_to(tf.constant(0.0), (70000, 70000))   # a view: no memory used
    with pytest.raises(ValueError, match="4900000000 elements do not fit in int32"):
        tf.size(huge)
    assert int(tf.size(huge, out_type=tf.int64)) == 70000 * 70000
    assert tf.shape(huge).numpy().tolist() == [70000, 70000]


# ================================================================================================
# no leaks, on success and on every error path
# ================================================================================================

def _exercise_all_ops():
    rng = np.random.default_rng(0)
    _, p = make(rng, (4, 3, 2), "float32", "transposed")
    calls = [
        lambda: tf.reshape(p, (24,)), lambda: tf.reshape(p, (2, -1)), lambda: tf.reshape(p, (5,)),
        lambda: tf.transpose(p), lambda: tf.transpose(p, [0, 0, 1]),
        lambda: tf.expand_dims(p, 1), lambda: tf.expand_dims(p, 9),
        lambda: tf.squeeze(tf.expand_dims(p, 0)), lambda: tf.squeeze(p, 0),
        lambda: tf.broadcast_to(p[:1], (3, 4, 3, 2)), lambda: tf.broadcast_to(p, (5, 3, 2)),
        lambda: tf.concat([p, p], 1), lambda: tf.concat([p, p[:, :1, :1]], 1),
        lambda: tf.stack([p, p], 3), lambda: tf.stack([p, p[1:]]), lambda: tf.unstack(p, axis=2),
        lambda: tf.gather(p, [[1, 0]], axis=1), lambda: tf.gather(p, [0, 9]),
        lambda: tf.gather(p, [[0, 1]] * 4, axis=2, batch_dims=1),
        lambda: tf.gather(p, [[0, 5]] * 4, axis=2, batch_dims=1),
        lambda: tf.one_hot([[0, 3], [1, -1]], 3, axis=1), lambda: tf.one_hot([0], -1),
        lambda: p[1, ::-1, None], lambda: p[9], lambda: p[[0]],
        lambda: tf.shape(p), lambda: tf.size(p), lambda: tf.rank(p),
    ]
    for call in calls:
        try:
            call()
        except (ValueError, TypeError, IndexError):
            pass


def test_no_leaks():
    import gc
    _exercise_all_ops()  # warm-up: module-level caches
    gc.collect()
    storages, nbytes = tf._core.live_storages(), tf._core.live_bytes()
    for _ in range(3):
        _exercise_all_ops()
    gc.collect()
    assert tf._core.live_storages() == storages
    assert tf._core.live_bytes() == nbytes
