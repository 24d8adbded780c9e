# DLPack exchange (included by _core.pyx): versioned __dlpack__ export and lamina.from_dlpack.
# The struct layouts are the DLPack 1.x ABI (dlpack.h); strides count elements.

cdef extern from *:
    """
    typedef struct { int32_t device_type; int32_t device_id; } LmDLDevice;
    typedef struct { uint8_t code; uint8_t bits; uint16_t lanes; } LmDLDataType;
    typedef struct {
        void *data; LmDLDevice device; int32_t ndim; LmDLDataType dtype;
        int64_t *shape; int64_t *strides; uint64_t byte_offset;
    } LmDLTensor;
    typedef struct LmDLManagedTensor {
        LmDLTensor dl_tensor; void *manager_ctx; void (*deleter)(struct LmDLManagedTensor *);
    } LmDLManagedTensor;
    typedef struct { uint32_t major; uint32_t minor; } LmDLPackVersion;
    typedef struct LmDLManagedTensorVersioned {
        LmDLPackVersion version; void *manager_ctx;
        void (*deleter)(struct LmDLManagedTensorVersioned *); uint64_t flags; LmDLTensor dl_tensor;
    } LmDLManagedTensorVersioned;
    """
    ctypedef struct LmDLDevice:
        int32_t device_type
        int32_t device_id
    ctypedef struct LmDLDataType:
        uint8_t code
        uint8_t bits
        uint16_t lanes
    ctypedef struct LmDLTensor:
        void *data
        LmDLDevice device
        int32_t ndim
        LmDLDataType dtype
        int64_t *shape
        int64_t *strides
        uint64_t byte_offset
    ctypedef struct LmDLManagedTensor:
        LmDLTensor dl_tensor
        void *manager_ctx
        void (*deleter)(LmDLManagedTensor *) noexcept nogil
    ctypedef struct LmDLPackVersion:
        uint32_t major
        uint32_t minor
    ctypedef struct LmDLManagedTensorVersioned:
        LmDLPackVersion version
        void *manager_ctx
        void (*deleter)(LmDLManagedTensorVersioned *) noexcept nogil
        uint64_t flags
        LmDLTensor dl_tensor

DEF DL_CPU = 1
DEF DL_CPU_PINNED = 3
DEF DL_INT = 0
DEF DL_UINT = 1
DEF DL_FLOAT = 2
DEF DL_BFLOAT = 4
DEF DL_BOOL = 6
DEF DL_FLAG_READ_ONLY = 1
DEF DL_FLAG_IS_COPIED = 2

# (code, bits) of each lamina dtype, in lm_dtype order.
cdef uint8_t _DL_CODES[7]
cdef uint8_t _DL_BITS[7]
_DL_CODES[:] = [DL_BOOL, DL_INT, DL_INT, DL_FLOAT, DL_BFLOAT, DL_FLOAT, DL_FLOAT]
_DL_BITS[:] = [8, 32, 64, 16, 16, 32, 64]


# ---- export -----------------------------------------------------------------------------------
# One malloc holds the managed tensor plus its shape and strides; manager_ctx is the lm_tensor,
# retained. The deleters need no GIL: releasing a C tensor touches no Python object.

cdef void _dl_delete_versioned(LmDLManagedTensorVersioned *m) noexcept nogil:
    lm_release(<lm_tensor *>m.manager_ctx)
    free(m)

cdef void _dl_delete_legacy(LmDLManagedTensor *m) noexcept nogil:
    lm_release(<lm_tensor *>m.manager_ctx)
    free(m)

cdef void _capsule_versioned(object cap) noexcept:
    cdef LmDLManagedTensorVersioned *m
    if PyCapsule_IsValid(cap, "dltensor_versioned"):  # never consumed
        m = <LmDLManagedTensorVersioned *>PyCapsule_GetPointer(cap, "dltensor_versioned")
        if m.deleter != NULL:
            m.deleter(m)

cdef void _capsule_legacy(object cap) noexcept:
    cdef LmDLManagedTensor *m
    if PyCapsule_IsValid(cap, "dltensor"):
        m = <LmDLManagedTensor *>PyCapsule_GetPointer(cap, "dltensor")
        if m.deleter != NULL:
            m.deleter(m)


cdef void _fill_dl(LmDLTensor *d, lm_tensor *t, int64_t *dims) noexcept:
    cdef int i
    d.data = t.data
    d.device.device_type = DL_CPU
    d.device.device_id = 0
    d.ndim = t.ndim
    d.dtype.code = _DL_CODES[<int>t.dtype]
    d.dtype.bits = _DL_BITS[<int>t.dtype]
    d.dtype.lanes = 1
    d.shape = dims
    d.strides = dims + t.ndim
    d.byte_offset = 0
    for i in range(t.ndim):
        dims[i] = t.shape[i]
        dims[t.ndim + i] = t.strides[i]


cdef object _to_dlpack(Tensor self, object stream, object max_version, object dl_device, object copy):
    cdef lm_tensor *t
    cdef LmDLManagedTensorVersioned *mv
    cdef LmDLManagedTensor *ml
    cdef bint copied = False
    if stream is not None:
        raise ValueError("__dlpack__: lamina tensors live on the CPU; stream must be None")
    if dl_device is not None and tuple(dl_device) not in ((DL_CPU, 0),):
        raise BufferError(f"__dlpack__: cannot export to device {dl_device}; lamina is CPU-only")
    # Tensors are immutable: a shared export carries DLPack 1.x's read-only flag. A legacy
    # (unversioned) capsule cannot say so and its consumers may write, so it gets a copy, and is
    # refused when the consumer asked for no copy.
    versioned = max_version is not None and tuple(max_version)[0] >= 1
    if not versioned and copy is False:
        raise BufferError("__dlpack__: lamina tensors are immutable and a DLPack 0.x capsule "
                          "cannot mark its data read-only; without copying, export needs a "
                          "consumer that passes max_version >= (1, 0)")
    if copy or not versioned:
        check(lm_clone(self.t, &t))
        copied = True
    else:
        t = lm_retain(self.t)
    if versioned:
        mv = <LmDLManagedTensorVersioned *>malloc(sizeof(LmDLManagedTensorVersioned)
                                                  + sizeof(int64_t) * 2 * (t.ndim + 1))
        if mv == NULL:
            lm_release(t)
            raise MemoryError()
        mv.version.major = 1
        mv.version.minor = 0
        mv.manager_ctx = t
        mv.deleter = _dl_delete_versioned
        mv.flags = DL_FLAG_IS_COPIED if copied else DL_FLAG_READ_ONLY
        _fill_dl(&mv.dl_tensor, t, <int64_t *>(mv + 1))
        return PyCapsule_New(mv, "dltensor_versioned", _capsule_versioned)
    ml = <LmDLManagedTensor *>malloc(sizeof(LmDLManagedTensor) + sizeof(int64_t) * 2 * (t.ndim + 1))
    if ml == NULL:
        lm_release(t)
        raise MemoryError()
    ml.manager_ctx = t
    ml.deleter = _dl_delete_legacy
    _fill_dl(&ml.dl_tensor, t, <int64_t *>(ml + 1))
    return PyCapsule_New(ml, "dltensor", _capsule_legacy)


# ---- import -----------------------------------------------------------------------------------

cdef struct _DLHold:
    void *managed
    int versioned

cdef void _dl_release_import(void *ctx) noexcept nogil:
    cdef _DLHold *h = <_DLHold *>ctx
    cdef LmDLManagedTensorVersioned *mv
    cdef LmDLManagedTensor *ml
    if h.versioned:
        mv = <LmDLManagedTensorVersioned *>h.managed
        if mv.deleter != NULL:
            mv.deleter(mv)
    else:
        ml = <LmDLManagedTensor *>h.managed
        if ml.deleter != NULL:
            ml.deleter(ml)
    free(h)


cdef int _dl_dtype(LmDLDataType d) except -2:
    if d.lanes != 1:
        return -1
    if d.code == DL_BOOL and d.bits == 8:
        return LM_BOOL
    if d.code == DL_INT and d.bits == 32:
        return LM_INT32
    if d.code == DL_INT and d.bits == 64:
        return LM_INT64
    if d.code == DL_FLOAT and d.bits == 16:
        return LM_FLOAT16
    if d.code == DL_BFLOAT and d.bits == 16:
        return LM_BFLOAT16
    if d.code == DL_FLOAT and d.bits == 32:
        return LM_FLOAT32
    if d.code == DL_FLOAT and d.bits == 64:
        return LM_FLOAT64
    return -1


def from_dlpack(x, *, copy=None):
    """A tensor sharing memory with a DLPack producer (NumPy, PyTorch, JAX, ...).

    copy=True always copies; copy=False refuses to copy; None shares memory when possible.
    """
    cdef LmDLTensor *d
    cdef LmDLManagedTensorVersioned *mv = NULL
    cdef LmDLManagedTensor *ml = NULL
    cdef _DLHold *hold
    cdef lm_tensor *t = NULL
    cdef lm_tensor *c = NULL
    cdef int64_t shape[8]
    cdef int64_t strides[8]
    cdef int i, dt, readonly = 0
    cdef size_t isz
    cdef char *data
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"from_dlpack: {type(x).__name__} does not implement __dlpack__")
    try:
        cap = x.__dlpack__(max_version=(1, 0))
    except TypeError:
        cap = x.__dlpack__()
    if PyCapsule_IsValid(cap, "dltensor_versioned"):
        mv = <LmDLManagedTensorVersioned *>PyCapsule_GetPointer(cap, "dltensor_versioned")
        if mv.version.major != 1:
            raise BufferError(f"from_dlpack: DLPack version {mv.version.major}.{mv.version.minor} "
                              f"is not supported (1.x is)")
        d = &mv.dl_tensor
        readonly = (mv.flags & DL_FLAG_READ_ONLY) != 0
    elif PyCapsule_IsValid(cap, "dltensor"):
        ml = <LmDLManagedTensor *>PyCapsule_GetPointer(cap, "dltensor")
        d = &ml.dl_tensor
    else:
        raise ValueError("from_dlpack: __dlpack__ did not return an unused DLPack capsule")
    if d.device.device_type not in (DL_CPU, DL_CPU_PINNED):
        raise BufferError(f"from_dlpack: the data is on device type {d.device.device_type}; "
                          f"lamina reads CPU memory only")
    dt = _dl_dtype(d.dtype)
    if dt < 0:
        raise TypeError(f"from_dlpack: DLPack dtype (code={d.dtype.code}, bits={d.dtype.bits}, "
                        f"lanes={d.dtype.lanes}) is not supported by lamina")
    if d.ndim < 0 or d.ndim > LM_MAX_NDIM:
        raise ValueError(f"from_dlpack: rank {d.ndim} is outside 0..{LM_MAX_NDIM}")
    isz = lm_dtype_size(<lm_dtype>dt)
    data = <char *>d.data + d.byte_offset
    if (<size_t>data) % isz:
        raise ValueError("from_dlpack: the data is not aligned to its element size")
    for i in range(d.ndim):
        shape[i] = d.shape[i]
    hold = <_DLHold *>malloc(sizeof(_DLHold))
    if hold == NULL:
        raise MemoryError()
    hold.managed = <void *>mv if mv != NULL else <void *>ml
    hold.versioned = mv != NULL
    if d.strides != NULL:
        for i in range(d.ndim):
            strides[i] = d.strides[i]
    st = lm_from_external(data, <lm_dtype>dt, d.ndim, shape, strides if d.strides != NULL else NULL,
                          _dl_release_import, hold, readonly, &t)
    if st != LM_OK:
        free(hold)
        raise_status(st)
    # From here the tensor owns the producer's memory: mark the capsule consumed.
    PyCapsule_SetName(cap, "used_dltensor_versioned" if mv != NULL else "used_dltensor")
    if copy:
        st = lm_clone(t, &c)
        lm_release(t)
        check(st)
        return wrap(c)
    return wrap(t)
