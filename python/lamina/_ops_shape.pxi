# Shape ops and indexing (included by _core.pyx).
# Views (reshape when possible, transpose, expand_dims, squeeze, broadcast_to, t[...], unstack)
# share the input's storage; concat, stack, gather and one_hot make new tensors.

cdef object INT64_MAX_PY = (1 << 63) - 1

cdef str _INDEX_HELP = ("Only integers, slices (`:`), ellipsis (`...`), lamina.newaxis (`None`) and "
                        "scalar int32/int64 tensors are valid indices, got ")


cdef object _index_int(object v):
    """An index or slice bound as a Python int; TypeError for anything that is not one."""
    cdef Tensor t
    tp = type(v)
    if tp is int:
        return v
    if tp is not bool:
        if isinstance(v, _np.integer):
            return int(v)
        if tp is not Tensor and hasattr(v, "__lamina_tensor__"):
            v = convert_to_tensor(v)
        if type(v) is Tensor:
            t = <Tensor>v
            if t.t.ndim == 0 and (t.t.dtype == LM_INT32 or t.t.dtype == LM_INT64):
                return int(t)
    raise TypeError(_INDEX_HELP + _short_repr(v))


cdef str _short_repr(object v):
    r = repr(v)
    return r if len(r) <= 200 else r[:200] + "..."


cdef inline int64_t _clamp64(object v):
    """Slice bounds beyond int64 clamp, as Python clamps them to the sequence."""
    if v > INT64_MAX_PY:
        return INT64_MAX_PY
    if v < -INT64_MAX_PY:
        return -INT64_MAX_PY
    return v


cdef int _fill_index(lm_index *ix, object k, Tensor x) except -1:
    cdef slice s
    if k is None:
        ix.kind = LM_IDX_NEWAXIS
    elif k is Ellipsis:
        ix.kind = LM_IDX_ELLIPSIS
    elif type(k) is slice:
        s = <slice>k
        ix.kind = LM_IDX_SLICE
        ix.has_start = s.start is not None
        ix.start = _clamp64(_index_int(s.start)) if ix.has_start else 0
        ix.has_stop = s.stop is not None
        ix.stop = _clamp64(_index_int(s.stop)) if ix.has_stop else 0
        ix.step = 1 if s.step is None else _clamp64(_index_int(s.step))
    else:
        v = _index_int(k)
        if not (-INT64_MAX_PY <= v <= INT64_MAX_PY):
            raise _OutOfRangeIndexError(f"getitem: index {v} is out of bounds for a tensor of "
                                        f"shape {shape_tuple(x.t)}")
        ix.kind = LM_IDX_INT
        ix.start = v
        ix.has_start = 1
    return 0


def _getitem(x, key):
    """t[key]: basic indexing (ints, slices, None, ...) as a view of t's storage."""
    cdef Tensor t = x if type(x) is Tensor else convert_to_tensor(x)
    cdef lm_index buf[16]
    cdef lm_index *ix = buf
    cdef lm_tensor *out = NULL
    cdef lm_status st
    cdef int n, i
    if type(key) is not tuple:
        _fill_index(buf, key, t)
        st = lm_getitem(t.t, 1, buf, &out)
    else:
        n = len(<tuple>key)
        if n > 16:
            ix = <lm_index *>malloc(sizeof(lm_index) * n)
            if ix == NULL:
                raise MemoryError()
        try:
            for i in range(n):
                _fill_index(&ix[i], (<tuple>key)[i], t)
            st = lm_getitem(t.t, n, ix, &out)
        finally:
            if ix != buf:
                free(ix)
    check(st)
    return wrap(out)


def reshape(tensor, shape, name=None):
    """tf.reshape: the same elements in a new shape (one -1 is inferred); a view when possible."""
    cdef Tensor x = convert_to_tensor(tensor)
    cdef int64_t dims[LM_MAX_NDIM]
    cdef int nd = parse_shape(shape, dims, "reshape")
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if x.t.numel < BIG_WORK or lm_is_contiguous(x.t):
        st = lm_reshape(x.t, nd, dims, &out)
    else:
        with nogil:
            st = lm_reshape(x.t, nd, dims, &out)
    check(st)
    return wrap(out)


def transpose(a, perm=None, conjugate=False, name="transpose"):
    """tf.transpose: a view with permuted axes (perm=None reverses them)."""
    cdef Tensor x = convert_to_tensor(a)
    cdef int64_t p[LM_MAX_NDIM]
    cdef int nd = x.t.ndim, n, i
    cdef lm_tensor *out = NULL
    if perm is None:
        for i in range(nd):
            p[i] = nd - 1 - i
    else:
        n = parse_axes(perm, p, "transpose")
        if n != nd:
            raise InvalidArgumentError(
                f"transpose: perm {tuple([p[i] for i in range(n)])} has {n} entries but the "
                f"tensor of shape {shape_tuple(x.t)} has rank {nd}")
    check(lm_transpose(x.t, p, &out))
    return wrap(out)


def expand_dims(input, axis, name=None):
    """tf.expand_dims: a view with a size-1 axis inserted at `axis` (in [-rank-1, rank])."""
    cdef Tensor x = convert_to_tensor(input)
    cdef int64_t ax = parse_int(axis, "axis", "expand_dims")
    cdef lm_tensor *out = NULL
    check(lm_expand_dims(x.t, ax, &out))
    return wrap(out)


def squeeze(input, axis=None, name=None):
    """tf.squeeze: a view without size-1 axes (all of them when axis is None or [], as in TF)."""
    cdef Tensor x = convert_to_tensor(input)
    cdef int64_t axes[LM_MAX_NDIM]
    cdef int n = parse_axes(axis, axes, "squeeze")
    cdef lm_tensor *out = NULL
    check(lm_squeeze(x.t, n if n > 0 else -1, axes, &out))
    return wrap(out)


def broadcast_to(input, shape, name=None):
    """tf.broadcast_to: a view of `input` repeated (stride 0) to `shape`."""
    cdef Tensor x = convert_to_tensor(input)
    cdef int64_t dims[LM_MAX_NDIM]
    cdef int nd = parse_shape(shape, dims, "broadcast_to")
    cdef lm_tensor *out = NULL
    check(lm_broadcast_to(x.t, nd, dims, &out))
    return wrap(out)


cdef list _convert_list(object values):
    """Tensors of a list: non-tensor items adapt to the first tensor's dtype, as tf converts them."""
    cdef list vals = list(values)
    cdef lm_dtype dt = LM_NDTYPE
    for v in vals:
        if type(v) is Tensor or hasattr(v, "__lamina_tensor__"):
            dt = (<Tensor>convert_to_tensor(v)).t.dtype
            break
    if dt == LM_NDTYPE:
        return [convert_to_tensor(v) for v in vals]
    return [v if type(v) is Tensor else _as_tensor_like(v, dt) for v in vals]


cdef Tensor _join(list ts, int64_t axis, bint is_stack):
    cdef int n = len(ts), i
    cdef int64_t work = 0
    cdef lm_tensor **xs = <lm_tensor **>malloc(sizeof(lm_tensor *) * (n if n > 0 else 1))
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if xs == NULL:
        raise MemoryError()
    try:
        for i in range(n):
            xs[i] = (<Tensor>ts[i]).t
            work += xs[i].numel
        if work < BIG_WORK:
            st = lm_stack(n, xs, axis, &out) if is_stack else lm_concat(n, xs, axis, &out)
        else:
            with nogil:
                st = lm_stack(n, xs, axis, &out) if is_stack else lm_concat(n, xs, axis, &out)
    finally:
        free(xs)
    check(st)
    return wrap(out)


def concat(values, axis, name="concat"):
    """tf.concat: tensors joined along an existing axis. A single tensor counts as a list of one."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    return _join(_convert_list(values), parse_int(axis, "axis", "concat"), False)


def stack(values, axis=0, name="stack"):
    """tf.stack: tensors of one shape joined along a new axis."""
    return _join(_convert_list(values), parse_int(axis, "axis", "stack"), True)


def unstack(value, num=None, axis=0, name="unstack"):
    """tf.unstack: the slices of `value` along `axis`, as a list of views."""
    cdef Tensor x = convert_to_tensor(value)
    cdef int nd = x.t.ndim, i
    cdef int64_t a = parse_int(axis, "axis", "unstack"), count, k
    cdef lm_index ix[LM_MAX_NDIM]
    cdef lm_tensor *out = NULL
    if nd == 0:
        raise InvalidArgumentError("unstack: cannot unstack a scalar (a tensor of shape ())")
    if a < -nd or a >= nd:
        raise _OutOfRangeIndexError(f"unstack: axis {a} is out of range [{-nd}, {nd}) for a "
                                    f"tensor of shape {shape_tuple(x.t)}")
    if a < 0:
        a += nd
    count = x.t.shape[a]
    if num is not None and parse_int(num, "num", "unstack") != count:
        raise InvalidArgumentError(f"unstack: num={num} but axis {a} of a tensor of shape "
                                   f"{shape_tuple(x.t)} has size {count}")
    for i in range(a):
        ix[i].kind = LM_IDX_SLICE
        ix[i].has_start = 0
        ix[i].has_stop = 0
        ix[i].start = ix[i].stop = 0
        ix[i].step = 1
    ix[a].kind = LM_IDX_INT
    result = []
    for k in range(count):
        ix[a].start = k
        check(lm_getitem(x.t, a + 1, ix, &out))
        result.append(wrap(out))
    return result


cdef Tensor _index_tensor(object indices):
    """Indices as a tensor; an empty Python list is int32 (not float32) here."""
    if type(indices) is Tensor:
        return <Tensor>indices
    if not hasattr(indices, "__lamina_tensor__") and isinstance(indices, (list, tuple)):
        a = _np.asarray(indices)
        if a.size == 0 and a.dtype.kind == "f":
            return convert_to_tensor(a.astype(_np.int32))
    return convert_to_tensor(indices)


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """tf.gather: slices of params along `axis` picked by int32/int64 indices (any shape).

    out.shape = params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis+1:].
    Indices outside [0, params.shape[axis]) are an error (negative ones too), as in TF on CPU.
    """
    cdef Tensor p = convert_to_tensor(params)
    cdef Tensor ind = _index_tensor(indices)
    cdef int64_t b = parse_int(batch_dims, "batch_dims", "gather")
    cdef int64_t ax
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if b != 0:
        return _gather_batched(p, ind, axis, b)
    ax = 0 if axis is None else parse_int(axis, "axis", "gather")
    if ind.t.numel < BIG_WORK:
        st = lm_gather(p.t, ind.t, ax, &out)
    else:
        with nogil:
            st = lm_gather(p.t, ind.t, ax, &out)
    check(st)
    return wrap(out)


cdef Tensor _gather_batched(Tensor p, Tensor ind, object axis, int64_t b0):
    """gather with batch_dims=b: out[i..., j..., :] = params[i..., idx[i..., j...], :] per batch
    position i. Done as one plain gather on params with the batch dims flattened into the axis,
    and the indices offset by batch position (so each batch only reaches its own rows)."""
    cdef int rp = p.t.ndim, ri = ind.t.ndim
    cdef int64_t b = b0, ax
    pshape = shape_tuple(p.t)
    ishape = shape_tuple(ind.t)
    if ind.t.dtype != LM_INT32 and ind.t.dtype != LM_INT64:
        raise _DTypeError(f"gather: indices must be int32 or int64, got {ind.dtype.name}")
    if b < 0:
        b += ri
    if b < 0 or b > ri:
        raise InvalidArgumentError(f"gather: batch_dims={b0} is out of range for indices of "
                                   f"rank {ri} (it must be in [{-ri}, {ri}])")
    if b >= rp:
        raise InvalidArgumentError(f"gather: batch_dims={b0} must be less than the rank of params "
                                   f"of shape {pshape} ({rp})")
    ax = b if axis is None else parse_int(axis, "axis", "gather")
    if ax < -rp or ax >= rp:
        raise _OutOfRangeIndexError(f"gather: axis {ax} is out of range [{-rp}, {rp}) for params "
                                    f"of shape {pshape}")
    if ax < 0:
        ax += rp
    if ax < b:
        raise InvalidArgumentError(f"gather: batch_dims={b0} must be <= axis ({ax})")
    if pshape[:b] != ishape[:b]:
        raise InvalidArgumentError(f"gather: params of shape {pshape} and indices of shape "
                                   f"{ishape} must agree on the first {b} (batch) dimensions")
    nrow = pshape[ax]
    idx = _np.asarray(ind).astype(_np.int64)
    bad = (idx < 0) | (idx >= nrow)
    if bad.any():
        pos = tuple(int(i) for i in _np.argwhere(bad)[0])
        raise _OutOfRangeIndexError(f"gather: indices{list(pos)} = {idx[pos]} is out of range "
                                    f"[0, {nrow}) for axis {ax} of params of shape {pshape}")
    nbatch = 1
    for d in pshape[:b]:
        nbatch *= d
    # Bring the gather axis right after the batch dims, then merge the two.
    perm = list(range(b)) + [ax] + [d for d in range(b, rp) if d != ax]
    q = transpose(p, perm) if ax != b else p
    rest = tuple(pshape[d] for d in perm[b + 1:])
    q = reshape(q, (nbatch * nrow,) + rest)
    off = (_np.arange(nbatch, dtype=_np.int64) * nrow).reshape(pshape[:b] + (1,) * (ri - b))
    g = gather(q, convert_to_tensor(idx + off), axis=0)
    # g: batch + indices[b:] + params[b:ax] + params[ax+1:]; move params[b:ax] before the indices.
    nind, nmid = ri - b, ax - b
    if nmid and nind:
        gperm = (list(range(b)) + [b + nind + j for j in range(nmid)] + [b + j for j in range(nind)]
                 + list(range(b + nind + nmid, g.ndim)))
        g = transpose(g, gperm)
    return g


cdef Tensor _one_hot_value(object v, object dt, str which):
    cdef Tensor t
    if type(v) is Tensor or hasattr(v, "__lamina_tensor__"):
        t = convert_to_tensor(v)
        if dt is not None and t.t.dtype != dtype_code(dt):
            raise TypeError(f"one_hot: {which} has dtype {t.dtype.name} but dtype={as_dtype(dt).name}"
                            f" was requested")
        return t
    return convert_to_tensor(v, dtype=dt)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """tf.one_hot: on_value where the new axis' position equals the index, else off_value.

    dtype: `dtype` if given, else on_value's or off_value's dtype, else float32. Indices outside
    [0, depth) give an all-off row."""
    cdef Tensor ind = _index_tensor(indices)
    cdef int64_t d = parse_int(depth, "depth", "one_hot")
    cdef int64_t ax = -1 if axis is None else parse_int(axis, "axis", "one_hot")
    cdef Tensor on, off
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if dtype is None:
        on = None if on_value is None else _one_hot_value(on_value, None, "on_value")
        off = None if off_value is None else _one_hot_value(off_value, None, "off_value")
        if on is not None and off is not None and on.t.dtype != off.t.dtype:
            raise TypeError(f"one_hot: on_value has dtype {on.dtype.name} but off_value has "
                            f"{off.dtype.name}; they must agree")
        dtype = on.dtype if on is not None else (off.dtype if off is not None else float32)
    else:
        dtype = as_dtype(dtype)
        on = None if on_value is None else _one_hot_value(on_value, dtype, "on_value")
        off = None if off_value is None else _one_hot_value(off_value, dtype, "off_value")
    if on is None:
        on = _scalar(1, dtype_code(dtype))
    if off is None:
        off = _scalar(0, dtype_code(dtype))
    if ind.t.numel < BIG_WORK // 8:
        st = lm_one_hot(ind.t, d, on.t, off.t, ax, &out)
    else:
        with nogil:
            st = lm_one_hot(ind.t, d, on.t, off.t, ax, &out)
    check(st)
    return wrap(out)


cdef lm_dtype _shape_dtype(object out_type, str op) except LM_NDTYPE:
    cdef lm_dtype dt = dtype_code(out_type)
    if dt != LM_INT32 and dt != LM_INT64:
        raise TypeError(f"{op}: out_type must be int32 or int64, got {DTYPES[dt].name}")
    return dt


def shape(input, out_type=int32, name=None):
    """tf.shape: the dimensions of `input` as a 1-D int32 (or int64) tensor."""
    cdef Tensor x = convert_to_tensor(input)
    cdef lm_dtype dt = _shape_dtype(out_type, "shape")
    dims = shape_tuple(x.t)
    if dt == LM_INT32 and any([v > INT32_MAX for v in dims]):
        raise InvalidArgumentError(f"shape: the shape {dims} does not fit in int32; use "
                                   f"out_type=int64")
    return _from_buffer(_np.array(dims, dtype=_np.int32 if dt == LM_INT32 else _np.int64))


def rank(input, name=None):
    """tf.rank: the number of dimensions, as a 0-d int32 tensor."""
    cdef Tensor x = convert_to_tensor(input)
    return _scalar(x.t.ndim, LM_INT32)


def size(input, out_type=int32, name=None):
    """tf.size: the number of elements, as a 0-d int32 (or int64) tensor."""
    cdef Tensor x = convert_to_tensor(input)
    cdef lm_dtype dt = _shape_dtype(out_type, "size")
    if dt == LM_INT32 and x.t.numel > INT32_MAX:
        raise InvalidArgumentError(f"size: {x.t.numel} elements do not fit in int32; use "
                                   f"out_type=int64")
    return _scalar(x.t.numel, dt)
