# Reductions, arg-reductions and softmax (included by _core.pyx).
#
# TF semantics where TF and NumPy differ: reduce_mean of integers stays integer (truncating);
# reduce_max / reduce_min of an empty set give the dtype's lowest / highest value; axis=[] reduces
# nothing; argmax / argmin with axis=None use axis 0; softmax with axis=None uses the last axis.

cdef Tensor _reduce(lm_redop op, object input_tensor, object axis, object keepdims, str opname):
    cdef Tensor x = input_tensor if type(input_tensor) is Tensor else convert_to_tensor(input_tensor)
    cdef int64_t axes[LM_MAX_NDIM]
    cdef int naxes
    cdef int kd = 1 if keepdims else 0
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if type(axis) is Tensor and (<Tensor>axis).t.dtype not in (LM_INT32, LM_INT64):
        raise TypeError(f"{opname}: axis must be an int32 or int64 tensor, got "
                        f"{(<Tensor>axis).dtype.name}")
    naxes = parse_axes(axis, axes, opname)
    if x.t.numel < BIG_WORK:
        st = lm_reduce(op, x.t, naxes, axes, kd, &out)
    else:
        with nogil:
            st = lm_reduce(op, x.t, naxes, axes, kd, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_sum: the sum over `axis` (every axis when None). Integer sums wrap."""
    return _reduce(LM_RSUM, input_tensor, axis, keepdims, "reduce_sum")

def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_mean: integer inputs give the integer mean, truncated toward zero, as TF does."""
    return _reduce(LM_RMEAN, input_tensor, axis, keepdims, "reduce_mean")

def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_max: NaN propagates; an empty set gives the dtype's lowest value (-inf)."""
    return _reduce(LM_RMAX, input_tensor, axis, keepdims, "reduce_max")

def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_min: NaN propagates; an empty set gives the dtype's highest value (+inf)."""
    return _reduce(LM_RMIN, input_tensor, axis, keepdims, "reduce_min")

def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_prod: the product over `axis`; 1 for an empty set. Integer products wrap."""
    return _reduce(LM_RPROD, input_tensor, axis, keepdims, "reduce_prod")

def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_any: logical or over `axis` (bool tensors only)."""
    return _reduce(LM_RANY, input_tensor, axis, keepdims, "reduce_any")

def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_all: logical and over `axis` (bool tensors only)."""
    return _reduce(LM_RALL, input_tensor, axis, keepdims, "reduce_all")


cdef Tensor _argreduce(int is_max, object input, object axis, object output_type, str opname):
    cdef Tensor x = input if type(input) is Tensor else convert_to_tensor(input)
    cdef int64_t ax = 0 if axis is None else parse_int(axis, "axis", opname)
    cdef lm_dtype odt = dtype_code(output_type)
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if x.t.numel < BIG_WORK:
        st = lm_argreduce(is_max, x.t, ax, odt, &out)
    else:
        with nogil:
            st = lm_argreduce(is_max, x.t, ax, odt, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)


def argmax(input, axis=None, output_type=int64, name=None):
    """tf.math.argmax: the index of the first largest value along `axis` (0 when None); a NaN
    counts as the largest, at its first position (as np.argmax)."""
    return _argreduce(1, input, axis, output_type, "argmax")

def argmin(input, axis=None, output_type=int64, name=None):
    """tf.math.argmin: the index of the first smallest value along `axis` (0 when None)."""
    return _argreduce(0, input, axis, output_type, "argmin")


cdef Tensor _softmax(object logits, object axis, int log, str opname):
    cdef Tensor x = logits if type(logits) is Tensor else convert_to_tensor(logits)
    cdef int64_t ax = -1 if axis is None else parse_int(axis, "axis", opname)
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if x.t.numel < BIG_WORK:
        st = lm_softmax(x.t, ax, log, &out)
    else:
        with nogil:
            st = lm_softmax(x.t, ax, log, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)


def softmax(logits, axis=None, name=None):
    """tf.nn.softmax over `axis` (the last when None), computed stably: exp(x - max) / sum."""
    return _softmax(logits, axis, 0, "softmax")

def log_softmax(logits, axis=None, name=None):
    """tf.nn.log_softmax over `axis` (the last when None): (x - max) - log(sum(exp(x - max)))."""
    return _softmax(logits, axis, 1, "log_softmax")
