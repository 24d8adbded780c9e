# Matrix products (included by _core.pyx).

def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """tf.linalg.matmul: a @ b over the last two dimensions, batch dimensions broadcast.

    Both operands need rank >= 2 and one dtype (a Python list or scalar adapts to the other's).
    adjoint_* is transpose_* for lamina's real dtypes; the *_is_sparse hints are ignored.
    output_type, when given and different, casts the result.
    """
    cdef Tensor x, y
    cdef lm_tensor *out = NULL
    cdef lm_status st
    cdef int ta, tb
    cdef double work
    if transpose_a and adjoint_a:
        raise ValueError("matmul: only one of transpose_a and adjoint_a can be True")
    if transpose_b and adjoint_b:
        raise ValueError("matmul: only one of transpose_b and adjoint_b can be True")
    ta = 1 if (transpose_a or adjoint_a) else 0
    tb = 1 if (transpose_b or adjoint_b) else 0
    if type(a) is Tensor and type(b) is Tensor:
        x = <Tensor>a
        y = <Tensor>b
    else:
        x, y = _pair(a, b)
    # multiply-adds, roughly: every element of a meets a row (or column) of b
    work = <double>x.t.numel * (y.t.shape[y.t.ndim - 1 - tb] if y.t.ndim >= 2 else 1)
    if work < BIG_WORK:
        st = lm_matmul(x.t, y.t, ta, tb, &out)
    else:
        with nogil:
            st = lm_matmul(x.t, y.t, ta, tb, &out)
    if st != LM_OK:
        raise_status(st)
    r = wrap(out)
    if output_type is not None and dtype_code(output_type) != (<Tensor>r).t.dtype:
        r = cast(r, output_type)
    return r
