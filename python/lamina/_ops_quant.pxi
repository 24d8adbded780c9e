# int8 dense layers (included by _core.pyx): Keras 3's Dense after quantize("int8") in one C call
# (csrc/quant/qdense.c).

cdef extern from "lamina/lamina.h" nogil:
    ctypedef struct lm_qweight:
        pass
    lm_status lm_qweight_pack(const int8_t *w, int64_t k, int64_t n, const float *scale,
                              lm_qweight **out)
    void lm_qweight_free(lm_qweight *w)
    lm_status lm_qdense(const lm_tensor *x, const lm_qweight *w, const lm_tensor *bias,
                        lm_act act, const char *kernel, lm_tensor **out)
    const char *lm_qdense_kernel()
    const char *lm_qdense_kernels()


def qdense_kernel():
    """The int8 kernel the active kernel table uses ("ref", "avx2", "avxvnni", "avx512vnni")."""
    return lm_qdense_kernel().decode()


def qdense_kernels():
    """Names of the int8 kernels this CPU can run (every one gives the same bits)."""
    return lm_qdense_kernels().decode().split(",")


cdef class QuantizedKernel:
    """An int8 kernel (in_features, units) with its per-unit float32 scale, packed for the int8
    kernels: w ~ kernel / scale (Keras 3's `_kernel` and `kernel_scale`)."""
    cdef lm_qweight *w
    cdef readonly tuple shape

    def __cinit__(self, kernel, scale):
        k = _np.ascontiguousarray(kernel)
        s = _np.ascontiguousarray(scale, dtype=_np.float32)
        if k.dtype != _np.int8 or k.ndim != 2:
            raise TypeError(f"QuantizedKernel: kernel must be a 2-D int8 array, got "
                            f"{k.dtype} of shape {k.shape}")
        if s.shape != (k.shape[1],):
            raise ValueError(f"QuantizedKernel: scale must have shape ({k.shape[1]},) for a "
                             f"kernel of shape {k.shape}, got {s.shape}")
        cdef const int8_t[:, ::1] kv = k
        cdef const float[::1] sv = s
        cdef lm_status st = lm_qweight_pack(&kv[0, 0], k.shape[0], k.shape[1], &sv[0], &self.w)
        if st != LM_OK:
            raise_status(st)
        self.shape = (int(k.shape[0]), int(k.shape[1]))

    def __dealloc__(self):
        lm_qweight_free(self.w)


def qdense(x, QuantizedKernel w not None, bias=None, activation=None, kernel=None):
    """act(quantize(x) @ w + bias) for float32 x (..., in_features): each row of x quantized to
    int8 by its absolute maximum, an exact int32 product, Keras's float32 de-scaling, then the
    bias and activation (None, "linear", "relu", "sigmoid", "tanh", "gelu"). kernel: force one
    of qdense_kernels() (default: the one the active kernel table uses)."""
    cdef Tensor tx = _as_tensor_like(x, LM_FLOAT32)
    cdef Tensor tb = None
    cdef lm_tensor *bp = NULL
    cdef lm_tensor *out = NULL
    cdef lm_status st
    cdef lm_act act
    cdef bytes kname = kernel.encode() if kernel is not None else None
    cdef const char *kp = NULL
    key = activation.lower() if isinstance(activation, str) else activation
    try:
        act = _DENSE_ACTIVATIONS[key]
    except (KeyError, TypeError):
        raise ValueError(f"qdense: activation must be None or one of 'linear', 'relu', "
                         f"'sigmoid', 'tanh', 'gelu', got {activation!r}") from None
    if bias is not None:
        tb = _as_tensor_like(bias, LM_FLOAT32)
        bp = tb.t
    if kname is not None:
        kp = kname
    if tx.t.numel * w.shape[1] < BIG_WORK:
        st = lm_qdense(tx.t, w.w, bp, act, kp, &out)
    else:
        with nogil:
            st = lm_qdense(tx.t, w.w, bp, act, kp, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)
