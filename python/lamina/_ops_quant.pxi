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
    const char *lm_gemm_kernel_name(lm_dtype dt)


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


# ---- bfloat16 weights (csrc/quant/bf16dense.c) ------------------------------------------------

cdef extern from "lamina/lamina.h" nogil:
    ctypedef struct lm_bf16w:
        pass
    lm_status lm_bf16w_pack(const uint16_t *w, int64_t k, int64_t n, lm_bf16w **out)
    void lm_bf16w_free(lm_bf16w *w)
    lm_status lm_bf16dense(const lm_tensor *x, const lm_bf16w *w, const lm_tensor *bias,
                           lm_act act, const char *kernel, lm_tensor **out)
    const char *lm_bf16dense_kernel()
    const char *lm_bf16dense_kernels()


def bf16dense_kernel():
    """The bfloat16-weight kernel the active table uses: "avx512bf16" (AVX512_BF16's
    vdpbf16ps) or "ref"."""
    return lm_bf16dense_kernel().decode()


def bf16dense_kernels():
    return lm_bf16dense_kernels().decode().split(",")


cdef class BF16Kernel:
    """A (in_features, units) kernel rounded to bfloat16 and packed for vdpbf16ps."""
    cdef lm_bf16w *w
    cdef readonly tuple shape

    def __cinit__(self, kernel):
        cdef Tensor t = convert_to_tensor(kernel)
        cdef lm_tensor *c = NULL
        cdef lm_tensor *b = NULL
        if t.t.ndim != 2 or not lm_dtype_is_float(t.t.dtype):
            raise ValueError(f"BF16Kernel: kernel must be a float matrix, got shape "
                             f"{tuple(t.shape)} of {t.dtype.name}")
        check(lm_cast(t.t, LM_BFLOAT16, &b))
        cdef lm_status st = lm_contiguous(b, &c)
        lm_release(b)
        if st != LM_OK:
            raise_status(st)
        st = lm_bf16w_pack(<const uint16_t *>c.data, c.shape[0], c.shape[1], &self.w)
        self.shape = (int(c.shape[0]), int(c.shape[1]))
        lm_release(c)
        if st != LM_OK:
            raise_status(st)

    def __dealloc__(self):
        lm_bf16w_free(self.w)


def bf16dense(x, BF16Kernel w not None, bias=None, activation=None, kernel=None):
    """act(x @ w + bias) for bfloat16 x (..., in_features): float32 sums, one rounding to
    bfloat16. kernel: one of bf16dense_kernels() (default: bf16dense_kernel())."""
    cdef Tensor tx = _as_tensor_like(x, LM_BFLOAT16)
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
        raise ValueError(f"bf16dense: activation must be None or one of 'linear', 'relu', "
                         f"'sigmoid', 'tanh', 'gelu', got {activation!r}") from None
    if bias is not None:
        tb = _as_tensor_like(bias, LM_BFLOAT16)
        bp = tb.t
    if kname is not None:
        kp = kname
    if tx.t.numel * w.shape[1] < BIG_WORK:
        st = lm_bf16dense(tx.t, w.w, bp, act, kp, &out)
    else:
        with nogil:
            st = lm_bf16dense(tx.t, w.w, bp, act, kp, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)
