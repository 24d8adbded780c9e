# Tensor creation and the random generator's binding (included by _core.pyx).
# Names that shadow Python builtins end in "_" here (range_): Cython would otherwise call them in
# place of the builtin; the lamina namespace exports them under their tf names.

cdef int _new_shape(object shape, int64_t *out, str op, size_t itemsize) except -1:
    """A shape for a new tensor: parse_shape, then no negative dimension and a byte size that
    fits in memory's address range (checked here with Python ints, so nothing overflows)."""
    cdef int n = parse_shape(shape, out, op)
    cdef int i
    total = 1
    for i in range(n):
        if out[i] < 0:
            raise InvalidArgumentError(f"{op}: negative dimension {out[i]} in shape "
                                       f"{tuple([out[j] for j in range(n)])}")
        total *= out[i]
    if total * max(itemsize, 1) >= (1 << 63):
        raise ResourceExhaustedError(f"{op}: shape {tuple([out[j] for j in range(n)])} has "
                                     f"{total} elements, too many to allocate")
    return n


cdef inline int64_t _numel(int n, const int64_t *shape) noexcept:
    """The element count of a validated shape: a non-empty one's fits, but an empty one's
    partial products may not (its other dims can be huge), so a zero answers first."""
    cdef int64_t total = 1
    cdef int i
    for i in range(n):
        if shape[i] == 0:
            return 0
    for i in range(n):
        total *= shape[i]
    return total


cdef Tensor _fill_c(int nd, const int64_t *shape, Tensor v):
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if _numel(nd, shape) < BIG_WORK:
        st = lm_fill(nd, shape, v.t, &out)
    else:
        with nogil:
            st = lm_fill(nd, shape, v.t, &out)
    check(st)
    return wrap(out)


def fill(dims, value, name=None):
    """tf.fill: a tensor of shape `dims` with every element `value` (and value's dtype: a Python
    float gives float32, an int int32). A non-scalar value broadcasts to dims."""
    cdef int64_t shape[LM_MAX_NDIM]
    cdef Tensor v = convert_to_tensor(value)
    cdef int nd = _new_shape(dims, shape, "fill", lm_dtype_size(v.t.dtype))
    return _fill_c(nd, shape, v)


cdef Tensor _zeros_c(int nd, const int64_t *shape, lm_dtype dt):
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if _numel(nd, shape) < BIG_WORK:
        st = lm_zeros(dt, nd, shape, &out)
    else:
        with nogil:
            st = lm_zeros(dt, nd, shape, &out)
    check(st)
    return wrap(out)


cdef Tensor _ones_c(int nd, const int64_t *shape, lm_dtype dt):
    cdef lm_tensor *one = NULL
    check(lm_scalar_f64(dt, 1.0, &one))
    return _fill_c(nd, shape, wrap(one))


def zeros(shape, dtype=float32, name=None):
    """tf.zeros: a tensor of `shape` filled with 0 of `dtype` (float32 by default)."""
    cdef int64_t dims[LM_MAX_NDIM]
    cdef lm_dtype dt = dtype_code(float32 if dtype is None else dtype)
    cdef int nd = _new_shape(shape, dims, "zeros", lm_dtype_size(dt))
    return _zeros_c(nd, dims, dt)


def ones(shape, dtype=float32, name=None):
    """tf.ones: a tensor of `shape` filled with 1 of `dtype` (float32 by default)."""
    cdef int64_t dims[LM_MAX_NDIM]
    cdef lm_dtype dt = dtype_code(float32 if dtype is None else dtype)
    cdef int nd = _new_shape(shape, dims, "ones", lm_dtype_size(dt))
    return _ones_c(nd, dims, dt)


cdef Tensor _like(object input, object dtype, bint one):
    cdef Tensor t = input if type(input) is Tensor else convert_to_tensor(input, dtype=dtype)
    cdef lm_dtype dt = t.t.dtype if dtype is None else dtype_code(dtype)
    if one:
        return _ones_c(t.t.ndim, t.t.shape, dt)
    return _zeros_c(t.t.ndim, t.t.shape, dt)


def zeros_like(input, dtype=None, name=None):
    """tf.zeros_like: zeros of input's shape, and of input's dtype unless `dtype` is given."""
    return _like(input, dtype, False)


def ones_like(input, dtype=None, name=None):
    """tf.ones_like: ones of input's shape, and of input's dtype unless `dtype` is given."""
    return _like(input, dtype, True)


# tf.range's inference order: the result has the "largest" dtype of its arguments.
cdef tuple _RANGE_HIERARCHY = (LM_INT32, LM_INT64, LM_FLOAT16, LM_BFLOAT16, LM_FLOAT32, LM_FLOAT64)


cdef tuple _range_arg(object v, str what):
    """A range argument as (value, dtype code, is a Python/NumPy scalar). Scalars keep their
    exact value (a Python float is not rounded to float32 first) and infer tf's dtype: float ->
    float32, int -> int32 (int64 if it does not fit), NumPy scalars their own; tensors give their
    value and dtype."""
    if isinstance(v, (bool, _np.bool_)):
        raise TypeError(f"range: {what} must be a number, got {v!r}")
    if isinstance(v, float):
        return float(v), LM_FLOAT32, True
    if isinstance(v, int):
        if not -(1 << 63) <= v < (1 << 63):
            raise ValueError(f"range: {what} {v} is out of range for int64")
        return int(v), (LM_INT32 if INT32_MIN <= v <= INT32_MAX else LM_INT64), True
    if isinstance(v, _np.floating):
        return float(v), (LM_FLOAT64 if v.dtype == _np.float64 else LM_FLOAT32), True
    if isinstance(v, _np.integer):
        return int(v), (LM_INT32 if v.dtype.itemsize <= 4 and v.dtype.kind == "i" else LM_INT64), True
    t = convert_to_tensor(v)
    if t.t.numel != 1 or t.t.ndim > 1:
        raise InvalidArgumentError(f"range: {what} must be a scalar, got shape {t.shape}")
    if t.t.dtype == LM_BOOL:
        raise TypeError(f"range: {what} must be a number, got a bool tensor")
    return (int(t) if lm_dtype_is_int(t.t.dtype) else float(t)), <int>t.t.dtype, False


def range_(start, limit=None, delta=1, dtype=None, name="range"):
    """tf.range: start, start + delta, ... up to but not including limit.

    range_(n) counts 0..n-1. The dtype is `dtype`, else the largest of the arguments' (Python
    floats count as float32, ints as int32). Float results are start + i * delta computed in
    double from the arguments' exact values, then rounded once to the dtype (NumPy's arange then
    astype). An empty result when limit is not in delta's direction (NumPy's and Python's rule;
    tf raises there). delta 0 is an error.
    """
    cdef lm_tensor *out = NULL
    cdef lm_status st
    cdef lm_dtype dt
    cdef double fs, fl, fd
    if limit is None:
        start, limit = 0, start
    args = [_range_arg(start, "start"), _range_arg(limit, "limit"), _range_arg(delta, "delta")]
    if dtype is not None:
        dt = dtype_code(dtype)
    else:
        dt = <lm_dtype><int>max([a[1] for a in args], key=_RANGE_HIERARCHY.index)
    if dt == LM_BOOL:
        raise TypeError("range: dtype bool is not supported")
    if lm_dtype_is_int(dt):
        for (v, _, scalar), what in zip(args, ("start", "limit", "delta")):
            if scalar and isinstance(v, float):   # tf refuses the lossy conversion 0.5 -> int
                raise TypeError(f"range: {what} {v!r} is a float; it does not convert to "
                                f"{DTYPES[dt].name}")
        vs = [int(a[0]) for a in args]
        if any(abs(v) > (1 << 53) for v in vs):
            # beyond doubles' exact integers: let NumPy count in int64 exactly
            if vs[2] == 0:
                raise InvalidArgumentError(f"range: delta must not be 0 (start={vs[0]}, "
                                           f"limit={vs[1]})")
            n = max(0, -((vs[0] - vs[1]) // vs[2]))
            if n * 8 >= (1 << 62):
                raise ResourceExhaustedError(f"range: {n} elements are too many")
            a = _np.arange(vs[0], vs[1], vs[2], dtype=_np.int64)
            if dt == LM_INT32 and a.size and (a.min() < INT32_MIN or a.max() > INT32_MAX):
                raise InvalidArgumentError(f"range: values from {a[0]} to {a[a.size - 1]} do not fit "
                                           f"in int32")
            return convert_to_tensor(a.astype(_NUMPY_TYPES[dt]))
        fs, fl, fd = vs[0], vs[1], vs[2]
    else:
        fs, fl, fd = float(args[0][0]), float(args[1][0]), float(args[2][0])
    with nogil:
        st = lm_range(fs, fl, fd, dt, &out)
    check(st)
    return wrap(out)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=float32, name=None):
    """tf.eye: a num_rows x num_columns identity matrix (square by default), repeated over
    batch_shape when given."""
    cdef lm_tensor *base = NULL
    cdef lm_tensor *view = NULL
    cdef lm_tensor *out = NULL
    cdef int64_t shape[LM_MAX_NDIM]
    cdef int64_t strides[LM_MAX_NDIM]
    cdef int64_t rows, cols
    cdef int nb = 0, i
    cdef lm_status st
    cdef lm_dtype dt = dtype_code(float32 if dtype is None else dtype)
    rows = parse_int(num_rows, "num_rows", "eye")
    cols = rows if num_columns is None else parse_int(num_columns, "num_columns", "eye")
    if rows < 0 or cols < 0:
        raise InvalidArgumentError(f"eye: num_rows and num_columns must be >= 0, got {rows} "
                                   f"and {cols}")
    if batch_shape is not None:
        nb = _new_shape(batch_shape, shape, "eye", lm_dtype_size(dt))
        if nb + 2 > LM_MAX_NDIM:
            raise ValueError(f"eye: batch_shape {tuple([shape[j] for j in range(nb)])} makes "
                             f"rank {nb + 2}; lamina supports up to {LM_MAX_NDIM} dimensions")
    shape[nb] = rows
    shape[nb + 1] = cols
    _new_shape([shape[j] for j in range(nb + 2)], shape, "eye", lm_dtype_size(dt))
    check(lm_eye(rows, cols, dt, &base))
    if nb == 0:
        return wrap(base)
    # the matrix seen with stride 0 over the batch dimensions, then made contiguous
    for i in range(nb):
        strides[i] = 0
    strides[nb] = cols
    strides[nb + 1] = 1
    st = lm_view(base, nb + 2, shape, strides, 0, &view)
    lm_release(base)
    check(st)
    if _numel(nb + 2, shape) < BIG_WORK:
        st = lm_clone(view, &out)
    else:
        with nogil:
            st = lm_clone(view, &out)
    lm_release(view)
    check(st)
    return wrap(out)


cdef dict _RANDOM_KINDS = {"uniform": LM_RAND_UNIFORM, "normal": LM_RAND_NORMAL,
                           "truncated_normal": LM_RAND_TRUNCATED_NORMAL}


def _random(kind, shape, a, b, dtype, key, counter):
    """kind: "uniform", "normal" or "truncated_normal"; see lm_random in lamina.h.

    Element i is a function of (key, counter + i) alone. a, b: [minval, maxval) for uniform,
    mean and stddev otherwise. key and counter are taken modulo 2**64."""
    cdef int64_t dims[LM_MAX_NDIM]
    cdef lm_tensor *out = NULL
    cdef lm_status st
    cdef lm_random_kind k
    cdef lm_dtype dt = dtype_code(dtype)
    cdef double fa = float(a), fb = float(b)
    cdef uint64_t ukey = int(key) & 0xFFFFFFFFFFFFFFFF
    cdef uint64_t uctr = int(counter) & 0xFFFFFFFFFFFFFFFF
    if kind not in _RANDOM_KINDS:
        raise ValueError(f"random: kind must be 'uniform', 'normal' or 'truncated_normal', "
                         f"got {kind!r}")
    k = _RANDOM_KINDS[kind]
    cdef int nd = _new_shape(shape, dims, "random", lm_dtype_size(dt))
    if _numel(nd, dims) < BIG_WORK // 8:
        st = lm_random(k, dt, nd, dims, fa, fb, ukey, uctr, &out)
    else:
        with nogil:
            st = lm_random(k, dt, nd, dims, fa, fb, ukey, uctr, &out)
    check(st)
    return wrap(out)


def _random_int(shape, lo, hi, dtype, key, counter):
    """Integers in [lo, hi) of an int dtype; see lm_random_int in lamina.h."""
    cdef int64_t dims[LM_MAX_NDIM]
    cdef lm_tensor *out = NULL
    cdef lm_status st
    cdef lm_dtype dt = dtype_code(dtype)
    cdef int64_t ilo = lo, ihi = hi
    cdef uint64_t ukey = int(key) & 0xFFFFFFFFFFFFFFFF
    cdef uint64_t uctr = int(counter) & 0xFFFFFFFFFFFFFFFF
    cdef int nd = _new_shape(shape, dims, "random", lm_dtype_size(dt))
    with nogil:
        st = lm_random_int(dt, nd, dims, ilo, ihi, ukey, uctr, &out)
    check(st)
    return wrap(out)
