/* matmul.c — tf.linalg.matmul: batched, broadcasting matrix products on the blocked GEMM
 * (gemm/gemm.c). Operands are never copied for their layout: a transpose or any strides are just
 * the strides the GEMM's packing reads. float16 / bfloat16 compute in float32; int32 / int64
 * compute in unsigned arithmetic, so overflow wraps as NumPy's does. */
#include "internal.h"
#include "gemm/gemm.h"

/* One matrix operand as the GEMM sees it: rows x cols, element (i, j) at data[i*rs + j*cs]. */
typedef struct mat {
    int64_t rows, cols, rs, cs;
} mat;

static mat matrix_of(const lm_tensor *t, int transpose) {
    int n = t->ndim;
    mat m = {t->shape[n - 2], t->shape[n - 1], t->strides[n - 2], t->strides[n - 1]};
    if (transpose) {
        int64_t r = m.rows, s = m.rs;
        m.rows = m.cols, m.rs = m.cs;
        m.cols = r, m.cs = s;
    }
    return m;
}

/* Strides (elements) of t's batch dimensions seen as broadcast to the output batch shape. */
static void batch_strides(const lm_tensor *t, int nbd, int64_t *st) {
    int tb = t->ndim - 2;
    for (int d = 0; d < nbd; d++) {
        int i = d - (nbd - tb);
        st[d] = (i >= 0 && t->shape[i] != 1) ? t->strides[i] : 0;
    }
}

/* Can the batch dimensions of A fold into its row dimension, making one tall GEMM? Yes when
 * walking (batch..., row) in order is a single stride (B must be the same for every batch).
 * On success *rows and *rs describe the folded row dimension. */
static bool fold_rows(int nbd, const int64_t *bshape, const int64_t *sa, int64_t m, int64_t rsa,
                      int64_t *rows, int64_t *rs) {
    int64_t n = m, st = rsa;
    for (int d = nbd - 1; d >= 0; d--) {
        if (bshape[d] == 1) continue;
        if (n == 1) {        /* nothing inner yet: this dimension becomes the block */
            n = bshape[d];
            st = sa[d];
            continue;
        }
        if (sa[d] != n * st) return false;
        n *= bshape[d];
    }
    *rows = n;
    *rs = st;
    return true;
}

/* The kernel set of one dtype's GEMM, selected once per call (a concurrent set_isa must not
 * change the blocking between sizing the scratch and using it). */
typedef union kern {
    const lm_gemm_kernel_f32 *f32;
    const lm_gemm_kernel_f64 *f64;
    const lm_gemm_kernel_u32 *u32;
    const lm_gemm_kernel_u64 *u64;
} kern;

static kern select_kernel(lm_dtype dt) {
    kern k;
    switch (dt) {
    case LM_FLOAT32: k.f32 = lm_gemm_select_f32(); break;
    case LM_FLOAT64: k.f64 = lm_gemm_select_f64(); break;
    case LM_INT32: k.u32 = lm_gemm_select_u32(); break;
    default: k.u64 = lm_gemm_select_u64(); break;
    }
    return k;
}

static size_t workspace(lm_dtype dt, kern kr, int64_t m, int64_t n, int64_t k, const mat *a,
                        const mat *b, int threads) {
    switch (dt) {
    case LM_FLOAT32: return lm_gemm_workspace_f32(kr.f32, m, n, k, a->rs, a->cs, b->rs, b->cs, threads);
    case LM_FLOAT64: return lm_gemm_workspace_f64(kr.f64, m, n, k, a->rs, a->cs, b->rs, b->cs, threads);
    case LM_INT32: return lm_gemm_workspace_u32(kr.u32, m, n, k, a->rs, a->cs, b->rs, b->cs, threads);
    default: return lm_gemm_workspace_u64(kr.u64, m, n, k, a->rs, a->cs, b->rs, b->cs, threads);
    }
}

/* C (row-major, row stride n) = A * B in the compute dtype. */
static void gemm(lm_dtype dt, kern kr, int64_t m, int64_t n, int64_t k, const char *a,
                 int64_t rsa, int64_t csa, const char *b, int64_t rsb, int64_t csb, char *c,
                 void *work, int threads) {
    switch (dt) {
    case LM_FLOAT32:
        lm_gemm_f32_ws(kr.f32, m, n, k, (const float *)a, rsa, csa, (const float *)b, rsb, csb,
                       (float *)c, n, 1, NULL, LM_GEMM_ACT_NONE, work, threads);
        return;
    case LM_FLOAT64:
        lm_gemm_f64_ws(kr.f64, m, n, k, (const double *)a, rsa, csa, (const double *)b, rsb,
                       csb, (double *)c, n, 1, NULL, LM_GEMM_ACT_NONE, work, threads);
        return;
    case LM_INT32:  /* int32_t and uint32_t may alias; unsigned products wrap */
        lm_gemm_u32_ws(kr.u32, m, n, k, (const uint32_t *)a, rsa, csa, (const uint32_t *)b, rsb,
                       csb, (uint32_t *)c, n, 1, NULL, LM_GEMM_ACT_NONE, work, threads);
        return;
    default:
        lm_gemm_u64_ws(kr.u64, m, n, k, (const uint64_t *)a, rsa, csa, (const uint64_t *)b, rsb,
                       csb, (uint64_t *)c, n, 1, NULL, LM_GEMM_ACT_NONE, work, threads);
        return;
    }
}

/* The product of two operands of the compute dtype into a new tensor `*res`. */
static lm_status compute(const lm_tensor *a, const lm_tensor *b, int ta, int tb, int nbd,
                         const int64_t *bshape, lm_tensor **res) {
    lm_dtype dt = a->dtype;
    mat A = matrix_of(a, ta), B = matrix_of(b, tb);
    int64_t M = A.rows, K = A.cols, N = B.cols;
    int64_t shape[LM_MAX_NDIM];
    for (int d = 0; d < nbd; d++) shape[d] = bshape[d];
    shape[nbd] = M;
    shape[nbd + 1] = N;
    lm_status st = K == 0 ? lm_zeros(dt, nbd + 2, shape, res) : lm_empty(dt, nbd + 2, shape, res);
    if (st) return st;
    lm_tensor *c = *res;
    if (c->numel == 0 || K == 0) return LM_OK;

    int64_t sa[LM_MAX_NDIM], sb[LM_MAX_NDIM];
    batch_strides(a, nbd, sa);
    batch_strides(b, nbd, sb);
    int64_t nbatch = c->numel / (M * N);
    size_t isz = lm_dtype_size(dt);

    /* B shared by every batch and A's batches laid out as more rows: one tall product. */
    bool b_shared = true;
    for (int d = 0; d < nbd; d++) b_shared = b_shared && sb[d] == 0;
    int64_t rows, rs;
    if (nbatch > 1 && b_shared && fold_rows(nbd, bshape, sa, M, A.rs, &rows, &rs)) {
        M = rows;
        A.rs = rs;
        nbatch = 1;
    }

    kern kr = select_kernel(dt);
    int threads = lm_get_num_threads();
    size_t bytes = workspace(dt, kr, M, N, K, &A, &B, threads);
    void *work = NULL;
    if (bytes && !(work = lm_gemm_alloc(bytes))) {
        lm_release(c);
        *res = NULL;
        return lm_fail(LM_ENOMEM, "matmul: cannot allocate %zu bytes of packing scratch", bytes);
    }
    int64_t idx[LM_MAX_NDIM] = {0};
    int64_t offa = 0, offb = 0;  /* elements */
    char *cp = c->data;
    for (int64_t t = 0; t < nbatch; t++) {
        gemm(dt, kr, M, N, K, a->data + offa * (int64_t)isz, A.rs, A.cs,
             b->data + offb * (int64_t)isz, B.rs, B.cs, cp, work, threads);
        cp += M * N * (int64_t)isz;
        for (int d = nbd - 1; d >= 0; d--) {  /* next batch index, odometer style */
            offa += sa[d];
            offb += sb[d];
            if (++idx[d] < bshape[d]) break;
            offa -= sa[d] * bshape[d];
            offb -= sb[d] * bshape[d];
            idx[d] = 0;
        }
    }
    lm_gemm_free(work);
    return LM_OK;
}

lm_status lm_matmul(const lm_tensor *a, const lm_tensor *b, int transpose_a, int transpose_b,
                    lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("matmul", a)) || (st = lm_check_tensor("matmul", b))) return st;
    if (a->ndim < 2 || b->ndim < 2)
        return lm_fail(LM_EVALUE,
                       "matmul: both operands need rank >= 2 (matrices or batches of matrices), "
                       "got shapes %s and %s",
                       LM_SHAPE(a), LM_SHAPE(b));
    if (a->dtype != b->dtype)
        return lm_fail(LM_ETYPE,
                       "matmul: both operands must have the same dtype, got %s (shape %s) and "
                       "%s (shape %s)",
                       LM_DT(a), LM_SHAPE(a), LM_DT(b), LM_SHAPE(b));
    if (a->dtype == LM_BOOL)
        return lm_fail(LM_ETYPE,
                       "matmul: bool operands are not supported (shapes %s and %s); cast them "
                       "to int32 or a float dtype",
                       LM_SHAPE(a), LM_SHAPE(b));
    transpose_a = transpose_a != 0;
    transpose_b = transpose_b != 0;
    mat A = matrix_of(a, transpose_a), B = matrix_of(b, transpose_b);
    if (A.cols != B.rows)
        return lm_fail(LM_EVALUE,
                       "matmul: inner dimensions do not match: %s @ %s with transpose_a=%d, "
                       "transpose_b=%d (%lld vs %lld)",
                       LM_SHAPE(a), LM_SHAPE(b), transpose_a, transpose_b, (long long)A.cols,
                       (long long)B.rows);
    int nbd;
    int64_t bshape[LM_MAX_NDIM];
    if (lm_broadcast_shapes("matmul", a->ndim - 2, a->shape, b->ndim - 2, b->shape, &nbd, bshape))
        return lm_fail(LM_EVALUE,
                       "matmul: batch dimensions %s and %s cannot be broadcast together "
                       "(shapes %s and %s)",
                       LM_SHAPE_N(a->ndim - 2, a->shape), LM_SHAPE_N(b->ndim - 2, b->shape),
                       LM_SHAPE(a), LM_SHAPE(b));
    if (!lm_is_half(a->dtype)) return compute(a, b, transpose_a, transpose_b, nbd, bshape, out);

    /* float16 / bfloat16: products and sums in float32, rounded once at the end. */
    lm_tensor *wa = NULL, *wb = NULL, *res = NULL;
    if (!(st = lm_widen(a, &wa)) && !(st = lm_widen(b, &wb)) &&
        !(st = compute(wa, wb, transpose_a, transpose_b, nbd, bshape, &res)))
        st = lm_cast(res, a->dtype, out);
    lm_release(wa);
    lm_release(wb);
    lm_release(res);
    return st;
}
