# Declarations of liblamina's public C API (csrc/include/lamina/lamina.h) for the binding.
from libc.stdint cimport int64_t, uint64_t, uint16_t, uint32_t, int32_t

# lm_binop and lm_unop: generated from the op registry, csrc/ops/ops.def (tools/gen_ops.py)
include "_ops_decl.pxi"

cdef extern from "lamina/lamina.h" nogil:
    enum: LM_MAX_NDIM
    ctypedef enum lm_status:
        LM_OK, LM_EVALUE, LM_ETYPE, LM_EINDEX, LM_ENOMEM, LM_ERUNTIME, LM_ENOTIMPL
    ctypedef enum lm_dtype:
        LM_BOOL, LM_INT32, LM_INT64, LM_FLOAT16, LM_BFLOAT16, LM_FLOAT32, LM_FLOAT64, LM_NDTYPE

    const char *lm_dtype_name(lm_dtype dt)
    size_t lm_dtype_size(lm_dtype dt)
    int lm_dtype_is_float(lm_dtype dt)
    int lm_dtype_is_int(lm_dtype dt)
    uint16_t lm_f32_to_f16(float f)
    float lm_f16_to_f32(uint16_t h)
    uint16_t lm_f32_to_bf16(float f)
    float lm_bf16_to_f32(uint16_t h)

    const char *lm_last_error()
    lm_status lm_last_status()
    void lm_clear_error()

    ctypedef struct lm_storage:
        char *data
        size_t nbytes
        long refcount
        long exports

    int64_t lm_live_storages()
    int64_t lm_live_bytes()

    enum: LM_FLAG_CONTIGUOUS, LM_FLAG_READONLY
    ctypedef struct lm_tensor:
        lm_storage *storage
        char *data
        int64_t offset
        int32_t ndim
        lm_dtype dtype
        int64_t shape[8]
        int64_t strides[8]
        int64_t numel
        uint32_t flags
        long refcount
        uint64_t id

    lm_status lm_empty(lm_dtype dt, int ndim, const int64_t *shape, lm_tensor **out)
    lm_status lm_zeros(lm_dtype dt, int ndim, const int64_t *shape, lm_tensor **out)
    lm_status lm_view(const lm_tensor *base, int ndim, const int64_t *shape, const int64_t *strides,
                      int64_t offset, lm_tensor **out)
    lm_status lm_from_external(void *data, lm_dtype dt, int ndim, const int64_t *shape,
                               const int64_t *strides, void (*deleter)(void *) noexcept nogil, void *ctx,
                               int readonly, lm_tensor **out)
    lm_tensor *lm_retain(lm_tensor *t)
    void lm_release(lm_tensor *t)
    int lm_is_contiguous(const lm_tensor *t)
    lm_status lm_contiguous(const lm_tensor *x, lm_tensor **out)
    lm_status lm_clone(const lm_tensor *x, lm_tensor **out)
    lm_status lm_copy_into(lm_tensor *dst, const lm_tensor *src)
    lm_status lm_scalar_f64(lm_dtype dt, double v, lm_tensor **out)
    lm_status lm_scalar_i64(lm_dtype dt, int64_t v, lm_tensor **out)
    lm_status lm_item_f64(const lm_tensor *x, double *v)
    lm_status lm_item_i64(const lm_tensor *x, int64_t *v)
    lm_status lm_broadcast_shapes(const char *op, int na, const int64_t *a, int nb, const int64_t *b,
                                  int *nout, int64_t *out)

    const char *lm_binop_name(lm_binop op)
    lm_status lm_binary(lm_binop op, const lm_tensor *a, const lm_tensor *b, lm_tensor **out)
    const char *lm_unop_name(lm_unop op)
    lm_status lm_unary(lm_unop op, const lm_tensor *x, lm_tensor **out)
    lm_status lm_where(const lm_tensor *cond, const lm_tensor *a, const lm_tensor *b, lm_tensor **out)
    lm_status lm_clip(const lm_tensor *x, const lm_tensor *lo, const lm_tensor *hi, lm_tensor **out)
    lm_status lm_cast(const lm_tensor *x, lm_dtype dt, lm_tensor **out)

    ctypedef enum lm_redop:
        LM_RSUM, LM_RMEAN, LM_RMAX, LM_RMIN, LM_RPROD, LM_RANY, LM_RALL, LM_NREDOP
    lm_status lm_reduce(lm_redop op, const lm_tensor *x, int naxes, const int64_t *axes, int keepdims,
                        lm_tensor **out)
    lm_status lm_argreduce(int is_max, const lm_tensor *x, int64_t axis, lm_dtype out_dtype,
                           lm_tensor **out)
    lm_status lm_softmax(const lm_tensor *x, int64_t axis, int log, lm_tensor **out)

    lm_status lm_reshape(const lm_tensor *x, int ndim, const int64_t *shape, lm_tensor **out)
    lm_status lm_transpose(const lm_tensor *x, const int64_t *perm, lm_tensor **out)
    lm_status lm_expand_dims(const lm_tensor *x, int64_t axis, lm_tensor **out)
    lm_status lm_squeeze(const lm_tensor *x, int naxes, const int64_t *axes, lm_tensor **out)
    lm_status lm_broadcast_to(const lm_tensor *x, int ndim, const int64_t *shape, lm_tensor **out)
    lm_status lm_concat(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out)
    lm_status lm_stack(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out)
    lm_status lm_gather(const lm_tensor *params, const lm_tensor *indices, int64_t axis,
                        lm_tensor **out)
    lm_status lm_one_hot(const lm_tensor *indices, int64_t depth, const lm_tensor *on_value,
                         const lm_tensor *off_value, int64_t axis, lm_tensor **out)
    ctypedef enum lm_index_kind:
        LM_IDX_INT, LM_IDX_SLICE, LM_IDX_NEWAXIS, LM_IDX_ELLIPSIS
    ctypedef struct lm_index:
        lm_index_kind kind
        int64_t start, stop, step
        int has_start, has_stop
    lm_status lm_getitem(const lm_tensor *x, int n, const lm_index *idx, lm_tensor **out)

    lm_status lm_matmul(const lm_tensor *a, const lm_tensor *b, int transpose_a, int transpose_b,
                        lm_tensor **out)

    lm_status lm_fill(int ndim, const int64_t *shape, const lm_tensor *value, lm_tensor **out)
    lm_status lm_range(double start, double limit, double delta, lm_dtype dt, lm_tensor **out)
    lm_status lm_eye(int64_t rows, int64_t cols, lm_dtype dt, lm_tensor **out)

    ctypedef enum lm_random_kind:
        LM_RAND_UNIFORM, LM_RAND_NORMAL, LM_RAND_TRUNCATED_NORMAL
    lm_status lm_random(lm_random_kind kind, lm_dtype dt, int ndim, const int64_t *shape, double a,
                        double b, uint64_t key, uint64_t counter, lm_tensor **out)

    const char *lm_version()
    const char *lm_isa()
    const char *lm_isa_available()
    lm_status lm_set_isa(const char *name)

    int lm_get_num_threads()
    lm_status lm_set_num_threads(int n)
