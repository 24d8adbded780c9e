# Convolution and pooling (included by _core.pyx): thin calls into csrc/ops/conv.c and pool.c.
# The tf.nn argument handling (SAME padding, data formats, ranks) is in lamina/_nn_conv.py.

cdef extern from "lamina/lamina.h" nogil:
    ctypedef struct lm_window:
        int nsp
        int64_t size[3]
        int64_t strides[3]
        int64_t dilations[3]
        int64_t pad_before[3]
        int64_t pad_after[3]
    lm_status lm_conv(const lm_tensor *x, const lm_tensor *w, const lm_tensor *bias, lm_act act,
                      const lm_window *win, lm_tensor **out)
    lm_status lm_conv_backprop_input(const lm_tensor *g, const lm_tensor *w, int ndim,
                                     const int64_t *input_shape, const lm_window *win,
                                     lm_tensor **out)
    lm_status lm_conv_backprop_filter(const lm_tensor *x, const lm_tensor *g, int ndim,
                                      const int64_t *filter_shape, const lm_window *win,
                                      lm_tensor **out)
    lm_status lm_pool(int is_max, const lm_tensor *x, const lm_window *win, lm_tensor **out)


cdef int _window(lm_window *w, tuple size, tuple strides, tuple dilations, tuple before,
                 tuple after) except -1:
    cdef int nsp = len(strides), i
    if nsp < 1 or nsp > 3:
        raise ValueError(f"convolution / pooling: 1, 2 or 3 spatial dims, got {nsp}")
    w.nsp = nsp
    for i in range(nsp):
        w.size[i] = size[i] if size else 1
        w.strides[i] = strides[i]
        w.dilations[i] = dilations[i] if dilations else 1
        w.pad_before[i] = before[i]
        w.pad_after[i] = after[i]
    return 0


cdef int _shape_arg(object shape, int64_t *out) except -1:
    cdef int i, n = len(shape)
    if n > 8:
        raise ValueError(f"shape {tuple(shape)} has more than 8 dims")
    for i in range(n):
        out[i] = shape[i]
    return n


def _conv(x, w, bias, activation, tuple strides, tuple dilations, tuple before, tuple after):
    """act(conv(x, w) + bias), channels last, explicit padding (lamina.h lm_conv)."""
    cdef lm_window win
    cdef Tensor tx, tw
    cdef Tensor tb = None
    cdef lm_tensor *out = NULL
    cdef lm_status st
    cdef lm_act act
    try:
        act = _DENSE_ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(f"conv: activation must be None or one of 'linear', 'relu', "
                         f"'sigmoid', 'tanh', 'gelu', got {activation!r}") from None
    _window(&win, (), strides, dilations, before, after)
    tx, tw = _pair(x, w)
    if bias is not None:
        tb = _as_tensor_like(bias, tx.t.dtype)
    with nogil:
        st = lm_conv(tx.t, tw.t, tb.t if tb is not None else NULL, act, &win, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)


def _conv_backprop_input(g, w, input_shape, tuple strides, tuple dilations, tuple before,
                         tuple after):
    cdef lm_window win
    cdef int64_t shape[8]
    cdef int nd = _shape_arg(input_shape, shape)
    cdef lm_tensor *out = NULL
    cdef lm_status st
    _window(&win, (), strides, dilations, before, after)
    cdef Tensor tg, tw
    tg, tw = _pair(g, w)
    with nogil:
        st = lm_conv_backprop_input(tg.t, tw.t, nd, shape, &win, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)


def _conv_backprop_filter(x, g, filter_shape, tuple strides, tuple dilations, tuple before,
                          tuple after):
    cdef lm_window win
    cdef int64_t shape[8]
    cdef int nd = _shape_arg(filter_shape, shape)
    cdef lm_tensor *out = NULL
    cdef lm_status st
    _window(&win, (), strides, dilations, before, after)
    cdef Tensor tx, tg
    tx, tg = _pair(x, g)
    with nogil:
        st = lm_conv_backprop_filter(tx.t, tg.t, nd, shape, &win, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)


def _pool(bint is_max, x, tuple ksize, tuple strides, tuple before, tuple after):
    """Max or average pooling, channels last, explicit padding that never counts."""
    cdef lm_window win
    cdef lm_tensor *out = NULL
    cdef lm_status st
    _window(&win, ksize, strides, (), before, after)
    cdef Tensor tx = convert_to_tensor(x)
    with nogil:
        st = lm_pool(is_max, tx.t, &win, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)
