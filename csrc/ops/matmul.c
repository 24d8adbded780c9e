/* matmul.c — tf.linalg.matmul: batched, broadcasting matrix products on the blocked GEMM
 * (gemm/gemm.c). Operands are never copied for their layout: a transpose or any strides are just
 * the strides the GEMM's packing reads. float16 / bfloat16 compute in float32; int32 / int64
 * compute in unsigned arithmetic, so overflow wraps as NumPy's does. */
#include "internal.h"
#include "autodiff/record.h"
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

/* A batch of products: part p of `parts` computes products [nbatch * p / parts, ...) with
 * scratch slot p. */
typedef struct batch_job {
    const lm_gemm_entry *g;
    const void *kr;       /* the kernel set, selected once per call (a concurrent set_isa must
                             not change the blocking between sizing the scratch and using it) */
    const void *bias;     /* NULL, or N elements added to each row before act */
    int act;
    int64_t M, N, K;
    mat A, B;
    int nbd;
    const int64_t *bshape, *sa, *sb;
    const char *a, *b;
    char *c;
    size_t isz;
    char *work;
    size_t slot;
    int threads;  /* per product */
    int64_t nbatch;
    int parts;
} batch_job;

static void batch_range(void *ctx, int64_t begin, int64_t end) {
    const batch_job *J = ctx;
    int64_t t0 = J->nbatch * begin / J->parts, t1 = J->nbatch * end / J->parts;
    if (t0 >= t1) return;
    int64_t idx[LM_MAX_NDIM] = {0};
    int64_t offa = 0, offb = 0, rem = t0;  /* elements; unravel t0 into the batch index */
    for (int d = J->nbd - 1; d >= 0; d--) {
        idx[d] = rem % J->bshape[d];
        rem /= J->bshape[d];
        offa += idx[d] * J->sa[d];
        offb += idx[d] * J->sb[d];
    }
    int64_t isz = (int64_t)J->isz;
    char *cp = J->c + t0 * J->M * J->N * isz;
    void *work = J->work ? J->work + (size_t)begin * J->slot : NULL;
    for (int64_t t = t0; t < t1; t++) {
        J->g->run(J->kr, J->M, J->N, J->K, J->a + offa * isz, J->A.rs, J->A.cs,
                  J->b + offb * isz, J->B.rs, J->B.cs, cp, J->N, 1, J->bias, J->act, work,
                  J->threads);
        cp += J->M * J->N * isz;
        for (int d = J->nbd - 1; d >= 0; d--) {  /* next batch index, odometer style */
            offa += J->sa[d];
            offb += J->sb[d];
            if (++idx[d] < J->bshape[d]) break;
            offa -= J->sa[d] * J->bshape[d];
            offb -= J->sb[d] * J->bshape[d];
            idx[d] = 0;
        }
    }
}

/* act(op(a) @ op(b) + bias) of two operands of a compute dtype (lm_gemm_of) into a new tensor
 * `*res` of shape bshape + (M, N); bias is NULL or N contiguous elements of that dtype. */
static lm_status compute(const lm_tensor *a, const lm_tensor *b, int ta, int tb, int nbd,
                         const int64_t *bshape, const void *bias, lm_act act, lm_tensor **res) {
    lm_dtype dt = a->dtype;
    mat A = matrix_of(a, ta), B = matrix_of(b, tb);
    int64_t M = A.rows, K = A.cols, N = B.cols;
    int64_t shape[LM_MAX_NDIM];
    for (int d = 0; d < nbd; d++) shape[d] = bshape[d];
    shape[nbd] = M;
    shape[nbd + 1] = N;
    const bool plain = !bias && act == LM_ACT_NONE;
    lm_status st = K == 0 && plain ? lm_zeros(dt, nbd + 2, shape, res)
                                   : lm_empty(dt, nbd + 2, shape, res);
    if (st) return st;
    lm_tensor *c = *res;
    if (c->numel == 0 || (K == 0 && plain)) return LM_OK;  /* K == 0 with an epilogue: run it */

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

    const lm_gemm_entry *g = lm_gemm_of(dt);
    const void *kr = g->select();
    int threads = lm_get_num_threads();
    /* Many products each too small to split: the batches themselves go to the threads, each
     * product on one thread with its own scratch (a product's result is the same either way). */
    int per = lm_gemm_threads(M, N, K, 0, threads);
    int bthreads = 1;
    if (nbatch > 1 && per == 1 && threads > 1) {
        double t = 2.0 * (double)M * (double)N * (double)K * (double)nbatch /
                   (2.0 * 1024 * 1024);
        bthreads = t < 2 ? 1 : t < threads ? (int)t : threads;
        if (bthreads > nbatch) bthreads = (int)nbatch;
    }
    size_t slot = g->workspace(kr, M, N, K, A.rs, A.cs, B.rs, B.cs, bthreads > 1 ? 1 : threads);
    slot = (slot + 63) & ~(size_t)63;
    size_t bytes = slot * (size_t)bthreads;
    void *work = NULL;
    if (bytes && !(work = lm_gemm_alloc(bytes))) {
        lm_release(c);
        *res = NULL;
        return lm_fail(LM_ENOMEM, "matmul: cannot allocate %zu bytes of packing scratch", bytes);
    }
    batch_job J = {g, kr, bias, act, M, N, K, A, B, nbd, bshape, sa, sb, a->data, b->data,
                   c->data, isz, (char *)work, slot, bthreads > 1 ? 1 : threads, nbatch, bthreads};
    if (bthreads > 1) lm_parallel_for(bthreads, 1, batch_range, &J);
    else batch_range(&J, 0, 1);
    lm_gemm_free(work);
    return LM_OK;
}

static lm_status matmul_impl(const lm_tensor *a, const lm_tensor *b, int transpose_a, int transpose_b,
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
    if (!lm_is_half(a->dtype))
        return compute(a, b, transpose_a, transpose_b, nbd, bshape, NULL, LM_ACT_NONE, out);

    /* float16 / bfloat16: products and sums in float32, rounded once at the end. */
    lm_tensor *wa = NULL, *wb = NULL, *res = NULL;
    if (!(st = lm_widen(a, &wa)) && !(st = lm_widen(b, &wb)) &&
        !(st = compute(wa, wb, transpose_a, transpose_b, nbd, bshape, NULL, LM_ACT_NONE, &res)))
        st = lm_cast(res, a->dtype, out);
    lm_release(wa);
    lm_release(wb);
    lm_release(res);
    return st;
}

/* ---- lm_dense: act(x @ w + bias) ------------------------------------------------------------ */

/* The float32 / float64 computation; every operand already of dtype dt: the matmul's compute
 * with x's leading dimensions as the batch (w shared by all, so they fold into rows when x's
 * strides allow) and the bias and activation applied to each tile of the product in cache. */
static lm_status dense_compute(const lm_tensor *x, const lm_tensor *w, const lm_tensor *bias,
                               lm_act act, lm_tensor **out) {
    lm_tensor *x2 = NULL, *bc = NULL, *res = NULL;
    lm_status st = LM_OK;
    if (x->ndim == 1) {  /* (K,) as a (1, K) matrix, the result back to (N,) */
        const int64_t shape[2] = {1, x->shape[0]}, strides[2] = {0, x->strides[0]};
        st = lm_view(x, 2, shape, strides, x->offset, &x2);
    }
    if (!st && bias) st = lm_contiguous(bias, &bc);
    if (!st) {
        const lm_tensor *xm = x2 ? x2 : x;
        st = compute(xm, w, 0, 0, xm->ndim - 2, xm->shape, bc ? bc->data : NULL, act, &res);
    }
    if (!st && x2) {
        lm_tensor *r1 = NULL;
        const int64_t one = 1;
        st = lm_view(res, 1, &w->shape[1], &one, 0, &r1);
        lm_release(res);
        res = r1;
    }
    lm_release(x2);
    lm_release(bc);
    if (st) lm_release(res);
    else *out = res;
    return st;
}

/* Under a tape, dense is matmul, add and the activation, each recorded: the tape needs no rule
 * of its own for it (and the unfused passes cost little next to the backward GEMMs). */
static lm_status dense_composed(const lm_tensor *x, const lm_tensor *w, const lm_tensor *bias,
                                lm_act act, lm_tensor **out) {
    lm_tensor *t[10] = {0};
    int n = 0;
    lm_status st;
    int64_t row[2] = {1, x->shape[0]};
    const lm_tensor *x2 = x;
    if (x->ndim == 1) {
        if ((st = lm_reshape(x, 2, row, &t[n]))) goto done;
        x2 = t[n++];
    }
    if ((st = lm_matmul(x2, w, 0, 0, &t[n]))) goto done;
    n++;
    if (x->ndim == 1) {
        if ((st = lm_reshape(t[n - 1], 1, &w->shape[1], &t[n]))) goto done;
        n++;
    }
    if (bias) {
        if ((st = lm_binary(LM_ADD, t[n - 1], bias, &t[n]))) goto done;
        n++;
    }
    static const lm_unop UNOPS[LM_NACT] = {[LM_ACT_RELU] = LM_RELU, [LM_ACT_SIGMOID] = LM_SIGMOID,
                                           [LM_ACT_TANH] = LM_TANH};
    if (act == LM_ACT_GELU) {  /* x/2 * (1 + erf(x / sqrt 2)) */
        lm_tensor *z = t[n - 1], *half = NULL, *r2 = NULL, *one = NULL;
        if (!(st = lm_scalar_f64(z->dtype, 0.5, &half)) && !(st = lm_scalar_f64(z->dtype, 0.7071067811865476, &r2)) &&
            !(st = lm_scalar_f64(z->dtype, 1.0, &one)) && !(st = lm_binary(LM_MUL, z, r2, &t[n])) &&
            !(st = lm_unary(LM_ERF, t[n], &t[n + 1])) && !(st = lm_binary(LM_ADD, t[n + 1], one, &t[n + 2])) &&
            !(st = lm_binary(LM_MUL, z, half, &t[n + 3])))
            st = lm_binary(LM_MUL, t[n + 3], t[n + 2], &t[n + 4]);
        lm_release(half);
        lm_release(r2);
        lm_release(one);
        n += 5;
    } else if (act != LM_ACT_NONE) {
        st = lm_unary(UNOPS[act], t[n - 1], &t[n]);
        n++;
    }
    if (!st) {
        *out = t[n - 1];
        t[n - 1] = NULL;
    }
done:
    for (int i = 0; i < 10; i++) lm_release(t[i]);
    return st;
}

lm_status lm_dense(const lm_tensor *x, const lm_tensor *w, const lm_tensor *bias, lm_act act,
                   lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("dense", x)) || (st = lm_check_tensor("dense", w)) ||
        (bias && (st = lm_check_tensor("dense", bias))))
        return st;
    if ((int)act < 0 || act >= LM_NACT)
        return lm_fail(LM_EVALUE,
                       "dense: activation %d is not one of none, relu, sigmoid, tanh, gelu",
                       (int)act);
    if (x->ndim < 1)
        return lm_fail(LM_EVALUE, "dense: x needs rank >= 1 (features on the last axis), got "
                                  "shape %s", LM_SHAPE(x));
    if (w->ndim != 2)
        return lm_fail(LM_EVALUE, "dense: w must be a matrix (in_features, units), got shape %s",
                       LM_SHAPE(w));
    if (x->dtype != w->dtype || (bias && bias->dtype != x->dtype))
        return lm_fail(LM_ETYPE, "dense: x, w and bias must have one dtype, got %s, %s and %s",
                       LM_DT(x), LM_DT(w), bias ? LM_DT(bias) : "no bias");
    if (!lm_dtype_is_float(x->dtype))
        return lm_fail(LM_ETYPE, "dense: float dtypes only (float16, bfloat16, float32, "
                                 "float64), got %s", LM_DT(x));
    int64_t K = x->shape[x->ndim - 1];
    if (w->shape[0] != K)
        return lm_fail(LM_EVALUE, "dense: x has %lld features on its last axis (shape %s) but w "
                                  "has %lld rows (shape %s)",
                       (long long)K, LM_SHAPE(x), (long long)w->shape[0], LM_SHAPE(w));
    if (bias && (bias->ndim != 1 || bias->shape[0] != w->shape[1]))
        return lm_fail(LM_EVALUE, "dense: bias must have shape (%lld,) to match w %s, got %s",
                       (long long)w->shape[1], LM_SHAPE(w), LM_SHAPE(bias));
    const lm_tensor *args[3] = {x, w, bias};
    if (lm_tape_recording() && lm_tape_tracks_any(3, args)) return dense_composed(x, w, bias, act, out);
    if (!lm_is_half(x->dtype)) return dense_compute(x, w, bias, act, out);

    /* float16 / bfloat16: the product, bias and activation in float32, rounded once */
    lm_tensor *wx = NULL, *ww = NULL, *wb = NULL, *res = NULL;
    if (!(st = lm_widen(x, &wx)) && !(st = lm_widen(w, &ww)) && !(bias && (st = lm_widen(bias, &wb))) &&
        !(st = dense_compute(wx, ww, wb, act, &res)))
        st = lm_cast(res, x->dtype, out);
    lm_release(wx);
    lm_release(ww);
    lm_release(wb);
    lm_release(res);
    return st;
}

lm_status lm_matmul(const lm_tensor *a, const lm_tensor *b, int transpose_a, int transpose_b,
                    lm_tensor **out) {
    lm_status st = matmul_impl(a, b, transpose_a, transpose_b, out);
    if (st || !lm_tape_recording()) return st;
    const lm_tensor *in[2] = {a, b};
    return lm_record(LM_G_MATMUL, &(lm_gattrs){.code = (transpose_a != 0) | (transpose_b != 0) << 1},
                     2, in, out);
}
