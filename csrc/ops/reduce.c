/* reduce.c — reductions (sum, mean, max, min, prod, any, all) and arg-reductions (argmax, argmin).
 *
 * How a reduction runs: the result is accumulated in a C-contiguous buffer `acc` with the output's
 * shape. The input's index space is walked by lm_iterate with two operands, acc and x, where acc
 * has stride 0 on every reduced axis. The dims are first sorted by the input's stride (largest
 * outside), so the innermost run is the input's densest dimension. The inner loop then sees one of
 * two cases:
 *   - acc step 0: the run is reduced into one accumulator: 8 independent lanes that GCC
 *     vectorises (float max/min: explicit 16-byte vector code), and for float sums and products
 *     128-element blocks combined pairwise, as NumPy's sum does;
 *   - acc step != 0: the run is a row of independent outputs, combined elementwise into acc
 *     (a contiguous row loop GCC vectorises: the leading-axis reduction case).
 * Accumulators are wider than the data where it matters: float32 sums and products accumulate in
 * double, integer sums and products in uint64 (wrapping, never signed overflow) and are truncated
 * to the output dtype at the end, which gives the same bits as wrapping in the narrow type.
 * float16/bfloat16 are widened to float32 first and the result is cast back.
 *
 * TF semantics where TF and NumPy differ: the mean of integers is an integer (the int64 sum
 * divided by the count, truncated toward zero; 0 for an empty set); the max/min of an empty set is
 * the dtype's lowest/highest value (-inf/+inf for floats); reducing over no axes returns the input.
 */
/* GCC only if-converts (and so vectorises) float compares and selects, as in the NaN-aware max
 * and min lanes, when it may assume FP operations do not trap; lamina never reads FP exception
 * flags, so this changes no result. (Clang assumes it by default.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "internal.h"
#include "autodiff/record.h"

#include <math.h>
#include <string.h>

static const char *const RED_NAMES[LM_NREDOP] = {
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_any",
    "reduce_all",
};

/* ---- inner loops ----------------------------------------------------------------------------- *
 * RED_KERNEL(NAME, T, A, LOAD, COMB, INIT, CONTIG) defines NAME_run (reduce a strided run to one
 * value) and NAME_loop, an lm_loop_fn with p[0] = acc (type A) and p[1] = input (type T). LOAD
 * converts a T value to A, COMB(a, v) combines an accumulator with a loaded value, INIT is the
 * identity of COMB, and CONTIG(x, n) reduces a contiguous block of at most BLOCK values. */
#define PW_BLOCK 128
#define LANES 8

#define LD_SAME(v) (v)
#define LD_F64(v) ((double)(v))
#define LD_U64(v) ((uint64_t)(int64_t)(v)) /* sign-extend, then wrap */
#define LD_BOOL(v) ((uint8_t)((v) != 0))

#define C_ADD(a, v) ((a) + (v))
#define C_MUL(a, v) ((a) * (v))
/* NaN wins and stays: once a is NaN, neither test replaces it. */
#define C_MAXF(a, v) ((((v) > (a)) | ((v) != (v))) ? (v) : (a))
#define C_MINF(a, v) ((((v) < (a)) | ((v) != (v))) ? (v) : (a))
#define C_MAXI(a, v) ((v) > (a) ? (v) : (a))
#define C_MINI(a, v) ((v) < (a) ? (v) : (a))
#define C_OR(a, v) ((uint8_t)((a) | (v)))
#define C_AND(a, v) ((uint8_t)((a) & (v)))

/* LANES independent accumulators (GCC vectorises the adds and products), combined pairwise. */
#define LANE_CONTIG(NAME, T, A, LOAD, COMB, INIT)                                                \
    static A NAME##_contig(const T *x, int64_t n) {                                            \
        A a[LANES];                                                                            \
        for (int j = 0; j < LANES; j++) a[j] = (INIT);                                         \
        int64_t i = 0;                                                                         \
        for (; i + LANES <= n; i += LANES)                                                     \
            for (int j = 0; j < LANES; j++) a[j] = COMB(a[j], LOAD(x[i + j]));                 \
        A s01 = COMB(a[0], a[1]), s23 = COMB(a[2], a[3]);                                      \
        A s45 = COMB(a[4], a[5]), s67 = COMB(a[6], a[7]);                                      \
        A s0123 = COMB(s01, s23), s4567 = COMB(s45, s67);                                      \
        A s = COMB(s0123, s4567);                                                              \
        for (; i < n; i++) s = COMB(s, LOAD(x[i]));                                            \
        return s;                                                                              \
    }

/* Float max/min with NaN propagation. GCC does not vectorise the NaN-aware compare-and-select
 * lanes by itself (and turns a mask made of two compares into scalar code for 64-bit lanes), so
 * the contiguous case is written with vector extensions (16-byte vectors: the SSE2 / NEON
 * baseline): each lane keeps a plain compare-and-select extreme, and NaNs are counted on the side
 * (compare masks or-ed into an integer vector); any NaN makes the result NaN. */
typedef float v4f __attribute__((vector_size(16)));
typedef double v2d __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
typedef int64_t v2l __attribute__((vector_size(16)));

#define VEC_CONTIG(NAME, T, VT, VI, W, CMP, COMB, INIT)                                          \
    static T NAME##_contig(const T *x, int64_t n) {                                            \
        VT a0 = (VT){0} + (T)(INIT), a1 = a0;                                                  \
        VI nan0 = (VI){0}, nan1 = nan0;                                                        \
        int64_t i = 0;                                                                         \
        for (; i + 2 * W <= n; i += 2 * W) {                                                   \
            VT v0, v1;                                                                         \
            memcpy(&v0, x + i, sizeof v0);                                                     \
            memcpy(&v1, x + i + W, sizeof v1);                                                 \
            VI m0 = (VI)(v0 CMP a0), m1 = (VI)(v1 CMP a1);                                     \
            a0 = (VT)(((VI)v0 & m0) | ((VI)a0 & ~m0));                                         \
            a1 = (VT)(((VI)v1 & m1) | ((VI)a1 & ~m1));                                         \
            nan0 |= (VI)(v0 != v0);                                                            \
            nan1 |= (VI)(v1 != v1);                                                            \
        }                                                                                      \
        VI nan = nan0 | nan1;                                                                  \
        T s = (T)(INIT);                                                                       \
        for (int j = 0; j < W; j++) {                                                          \
            if (nan[j]) return (T)NAN;                                                         \
            s = COMB(s, a0[j]);                                                                \
            s = COMB(s, a1[j]);                                                                \
        }                                                                                      \
        for (; i < n; i++) s = COMB(s, x[i]);                                                  \
        return s;                                                                              \
    }

#define RED_KERNEL(NAME, T, A, LOAD, COMB, INIT, CONTIG, BLOCK)                                  \
    /* Reduce n elements starting at p with byte step `step`: blocks of BLOCK reduced by       \
     * LANES accumulators, blocks combined pairwise (as NumPy's sum). */                       \
    static A NAME##_run(const char *p, int64_t n, int64_t step) {                              \
        if (n > (BLOCK)) {                                                                     \
            int64_t h = (n / 2) & ~(int64_t)(LANES - 1);                                       \
            A l = NAME##_run(p, h, step);                                                      \
            A r = NAME##_run(p + h * step, n - h, step);                                       \
            return COMB(l, r);                                                                 \
        }                                                                                      \
        if (step == (int64_t)sizeof(T)) return CONTIG((const T *)p, n);                        \
        A a[LANES];                                                                            \
        for (int j = 0; j < LANES; j++) a[j] = (INIT);                                         \
        int64_t i = 0;                                                                         \
        for (; i + LANES <= n; i += LANES)                                                     \
            for (int j = 0; j < LANES; j++)                                                    \
                a[j] = COMB(a[j], LOAD(*(const T *)(p + (i + j) * step)));                     \
        A s01 = COMB(a[0], a[1]), s23 = COMB(a[2], a[3]);                                      \
        A s45 = COMB(a[4], a[5]), s67 = COMB(a[6], a[7]);                                      \
        A s0123 = COMB(s01, s23), s4567 = COMB(s45, s67);                                      \
        A s = COMB(s0123, s4567);                                                              \
        for (; i < n; i++) s = COMB(s, LOAD(*(const T *)(p + i * step)));                      \
        return s;                                                                              \
    }                                                                                          \
    static void NAME##_loop(int64_t n, char **p, const int64_t *st, void *ctx) {               \
        (void)ctx;                                                                             \
        if (st[0] == 0) {                                                                      \
            A *o = (A *)p[0];                                                                  \
            A r = NAME##_run(p[1], n, st[1]);                                                  \
            *o = COMB(*o, r);                                                                  \
            return;                                                                            \
        }                                                                                      \
        if (st[0] == (int64_t)sizeof(A) && st[1] == (int64_t)sizeof(T)) {                      \
            A *restrict o = (A *)p[0];                                                         \
            const T *restrict x = (const T *)p[1];                                             \
            for (int64_t i = 0; i < n; i++) o[i] = COMB(o[i], LOAD(x[i]));                     \
            return;                                                                            \
        }                                                                                      \
        char *o = p[0];                                                                        \
        const char *x = p[1];                                                                  \
        for (int64_t i = 0; i < n; i++, o += st[0], x += st[1])                                \
            *(A *)o = COMB(*(A *)o, LOAD(*(const T *)x));                                      \
    }

/* Only float sums and products gain accuracy from pairwise blocks; the rest run in one piece. */
#define NO_BLOCKS INT64_MAX
#define LANE_KERNEL(NAME, T, A, LOAD, COMB, INIT, BLOCK)                                         \
    LANE_CONTIG(NAME, T, A, LOAD, COMB, INIT)                                                  \
    RED_KERNEL(NAME, T, A, LOAD, COMB, INIT, NAME##_contig, BLOCK)
#define VEC_KERNEL(NAME, T, VT, VI, W, CMP, COMB, INIT)                                          \
    VEC_CONTIG(NAME, T, VT, VI, W, CMP, COMB, INIT)                                            \
    RED_KERNEL(NAME, T, T, LD_SAME, COMB, INIT, NAME##_contig, NO_BLOCKS)

LANE_KERNEL(sum_f32, float, double, LD_F64, C_ADD, 0.0, PW_BLOCK)
LANE_KERNEL(sum_f64, double, double, LD_SAME, C_ADD, 0.0, PW_BLOCK)
LANE_KERNEL(sum_i32, int32_t, uint64_t, LD_U64, C_ADD, 0u, NO_BLOCKS)
LANE_KERNEL(sum_i64, int64_t, uint64_t, LD_U64, C_ADD, 0u, NO_BLOCKS)
LANE_KERNEL(prod_f32, float, double, LD_F64, C_MUL, 1.0, PW_BLOCK)
LANE_KERNEL(prod_f64, double, double, LD_SAME, C_MUL, 1.0, PW_BLOCK)
LANE_KERNEL(prod_i32, int32_t, uint64_t, LD_U64, C_MUL, 1u, NO_BLOCKS)
LANE_KERNEL(prod_i64, int64_t, uint64_t, LD_U64, C_MUL, 1u, NO_BLOCKS)
VEC_KERNEL(max_f32, float, v4f, v4i, 4, >, C_MAXF, -INFINITY)
VEC_KERNEL(max_f64, double, v2d, v2l, 2, >, C_MAXF, -INFINITY)
LANE_KERNEL(max_i32, int32_t, int32_t, LD_SAME, C_MAXI, INT32_MIN, NO_BLOCKS)
LANE_KERNEL(max_i64, int64_t, int64_t, LD_SAME, C_MAXI, INT64_MIN, NO_BLOCKS)
VEC_KERNEL(min_f32, float, v4f, v4i, 4, <, C_MINF, INFINITY)
VEC_KERNEL(min_f64, double, v2d, v2l, 2, <, C_MINF, INFINITY)
LANE_KERNEL(min_i32, int32_t, int32_t, LD_SAME, C_MINI, INT32_MAX, NO_BLOCKS)
LANE_KERNEL(min_i64, int64_t, int64_t, LD_SAME, C_MINI, INT64_MAX, NO_BLOCKS)
LANE_KERNEL(any_b8, uint8_t, uint8_t, LD_BOOL, C_OR, 0u, NO_BLOCKS)
LANE_KERNEL(all_b8, uint8_t, uint8_t, LD_BOOL, C_AND, 1u, NO_BLOCKS)

/* The accumulator's dtype for (op, compute dtype): sums and products widen, the rest keep. */
static lm_dtype acc_dtype(lm_redop op, lm_dtype dt) {
    if (op == LM_RSUM || op == LM_RMEAN || op == LM_RPROD)
        return dt == LM_FLOAT32 || dt == LM_FLOAT64 ? LM_FLOAT64 : LM_INT64;
    return dt;
}

static lm_loop_fn kernel_for(lm_redop op, lm_dtype dt) {
    switch (op) {
    case LM_RSUM:
    case LM_RMEAN:
        return dt == LM_FLOAT32 ? sum_f32_loop : dt == LM_FLOAT64 ? sum_f64_loop
             : dt == LM_INT32 ? sum_i32_loop : sum_i64_loop;
    case LM_RPROD:
        return dt == LM_FLOAT32 ? prod_f32_loop : dt == LM_FLOAT64 ? prod_f64_loop
             : dt == LM_INT32 ? prod_i32_loop : prod_i64_loop;
    case LM_RMAX:
        return dt == LM_FLOAT32 ? max_f32_loop : dt == LM_FLOAT64 ? max_f64_loop
             : dt == LM_INT32 ? max_i32_loop : max_i64_loop;
    case LM_RMIN:
        return dt == LM_FLOAT32 ? min_f32_loop : dt == LM_FLOAT64 ? min_f64_loop
             : dt == LM_INT32 ? min_i32_loop : min_i64_loop;
    case LM_RANY: return any_b8_loop;
    default: return all_b8_loop;
    }
}

/* Fill the accumulator with the identity of `op`. */
static void fill_identity(lm_redop op, lm_tensor *acc) {
    int64_t n = acc->numel;
    switch (acc->dtype) {
    case LM_FLOAT64: {
        double v = op == LM_RPROD ? 1.0 : op == LM_RMAX ? -INFINITY : op == LM_RMIN ? INFINITY : 0.0;
        double *a = (double *)acc->data;
        for (int64_t i = 0; i < n; i++) a[i] = v;
        break;
    }
    case LM_FLOAT32: {
        float v = op == LM_RMAX ? -INFINITY : INFINITY;
        float *a = (float *)acc->data;
        for (int64_t i = 0; i < n; i++) a[i] = v;
        break;
    }
    case LM_INT64: {
        int64_t v = op == LM_RPROD ? 1 : op == LM_RMAX ? INT64_MIN : op == LM_RMIN ? INT64_MAX : 0;
        int64_t *a = (int64_t *)acc->data;
        for (int64_t i = 0; i < n; i++) a[i] = v;
        break;
    }
    case LM_INT32: {
        int32_t v = op == LM_RMAX ? INT32_MIN : INT32_MAX;
        int32_t *a = (int32_t *)acc->data;
        for (int64_t i = 0; i < n; i++) a[i] = v;
        break;
    }
    default:
        memset(acc->data, op == LM_RALL ? 1 : 0, (size_t)n);
        break;
    }
}

/* The mean from the sum, in place: float sums divide (0/0 is NaN for an empty set, as TF); integer
 * sums divide truncating toward zero, 0 for an empty set. */
static void finish_mean(lm_tensor *acc, int64_t count) {
    int64_t n = acc->numel;
    if (acc->dtype == LM_FLOAT64) {
        double *a = (double *)acc->data;
        double c = (double)count;
        for (int64_t i = 0; i < n; i++) a[i] = a[i] / c;
    } else {
        int64_t *a = (int64_t *)acc->data;
        for (int64_t i = 0; i < n; i++) a[i] = count ? a[i] / count : 0;
    }
}

/* Validate the axes into a mask of reduced dims. naxes < 0 reduces every axis. */
static lm_status parse_axes(const char *op, const lm_tensor *x, int naxes, const int64_t *axes,
                            bool *reduced) {
    int nd = x->ndim;
    for (int d = 0; d < nd; d++) reduced[d] = naxes < 0;
    for (int i = 0; i < naxes; i++) {
        int64_t a = axes[i];
        if (a < -(int64_t)nd || a >= nd)
            return lm_fail(LM_EINDEX, "%s: axis %lld is out of range for a tensor of rank %d (shape %s)",
                           op, (long long)a, nd, LM_SHAPE(x));
        if (a < 0) a += nd;
        if (reduced[a])
            return lm_fail(LM_EVALUE, "%s: axis %lld is repeated in axes %s (a tensor of rank %d)",
                           op, (long long)axes[i], LM_SHAPE_N(naxes, axes), nd);
        reduced[a] = true;
    }
    return LM_OK;
}

/* Walk x into acc: acc holds the kept dims contiguously and is not advanced over reduced dims. */
static void run_reduction(lm_loop_fn fn, const lm_tensor *x, const bool *reduced, lm_tensor *acc) {
    if (x->numel == 0) return;  /* acc keeps the identity; an empty x's strides may be huge */
    int64_t shape[LM_MAX_NDIM], xs[LM_MAX_NDIM], as[LM_MAX_NDIM];
    int nd = 0;
    int64_t s = 1;
    int64_t kept_stride[LM_MAX_NDIM];
    for (int d = x->ndim - 1; d >= 0; d--) {  /* acc's contiguous strides over the kept dims */
        kept_stride[d] = reduced[d] ? 0 : s;
        if (!reduced[d]) s *= x->shape[d];
    }
    for (int d = 0; d < x->ndim; d++) {
        if (x->shape[d] == 1) continue;
        /* Insertion sort by |input stride|, largest first; stable, so a contiguous input keeps
         * its order and the output's layout decides among equal strides. */
        int64_t key = x->strides[d] < 0 ? -x->strides[d] : x->strides[d];
        int k = nd;
        while (k > 0) {
            int64_t prev = xs[k - 1] < 0 ? -xs[k - 1] : xs[k - 1];
            if (prev >= key) break;
            shape[k] = shape[k - 1];
            xs[k] = xs[k - 1];
            as[k] = as[k - 1];
            k--;
        }
        shape[k] = x->shape[d];
        xs[k] = x->strides[d];
        as[k] = kept_stride[d];
        nd++;
    }
    char *base[2] = {acc->data, x->data};
    const int64_t *strides[2] = {as, xs};
    size_t size[2] = {lm_dtype_size(acc->dtype), lm_dtype_size(x->dtype)};
    lm_iterate(nd, shape, 2, base, strides, size, fn, NULL);
}

/* ---- big reductions of everything: fixed blocks over the thread pool ------------------------
 * The input is cut into blocks of PAR_RED_BLOCK elements whatever the thread count; each block
 * is reduced into its own accumulator (in parallel), then the partials are reduced in order. The
 * result is therefore the same for every thread count. */
#define PAR_RED_MIN ((int64_t)1 << 20)
#define PAR_RED_BLOCK ((int64_t)1 << 18)

typedef struct {
    lm_loop_fn fn;
    const char *x;
    size_t isz, asz;
    int64_t n;
    char *partials;
} red_blocks;

static void red_block_range(void *vctx, int64_t b0, int64_t b1) {
    const red_blocks *c = (const red_blocks *)vctx;
    for (int64_t b = b0; b < b1; b++) {
        int64_t lo = b * PAR_RED_BLOCK, len = c->n - lo < PAR_RED_BLOCK ? c->n - lo : PAR_RED_BLOCK;
        char *p[2] = {c->partials + b * (int64_t)c->asz, (char *)c->x + lo * (int64_t)c->isz};
        const int64_t step[2] = {0, (int64_t)c->isz};
        c->fn(len, p, step, NULL);
    }
}

static lm_status reduce_all_blocked(lm_redop op, const lm_tensor *w, lm_tensor *acc) {
    int64_t nblocks = (w->numel + PAR_RED_BLOCK - 1) / PAR_RED_BLOCK;
    lm_tensor *part;
    lm_status st = lm_empty(acc->dtype, 1, &nblocks, &part);
    if (st) return st;
    fill_identity(op, part);
    red_blocks c = {kernel_for(op, w->dtype), w->data, lm_dtype_size(w->dtype),
                    lm_dtype_size(acc->dtype), w->numel, part->data};
    lm_parallel_for(nblocks, 1, red_block_range, &c);
    /* Combine the partials (already of the accumulator type) into acc, in order. */
    char *p[2] = {acc->data, part->data};
    const int64_t step[2] = {0, (int64_t)lm_dtype_size(acc->dtype)};
    kernel_for(op == LM_RMEAN ? LM_RSUM : op, acc->dtype)(nblocks, p, step, NULL);
    lm_release(part);
    return LM_OK;
}

static lm_status reduce_impl(lm_redop op, const lm_tensor *x, int naxes, const int64_t *axes, int keepdims,
                    lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((unsigned)op >= LM_NREDOP) return lm_fail(LM_EVALUE, "reduce: invalid op code %d", (int)op);
    const char *name = RED_NAMES[op];
    if ((st = lm_check_tensor(name, x))) return st;
    if (naxes > 0 && !axes) return lm_fail(LM_EVALUE, "%s: axes is NULL", name);
    if (op == LM_RANY || op == LM_RALL) {
        if (x->dtype != LM_BOOL)
            return lm_fail(LM_ETYPE, "%s: expected a bool tensor, got %s of shape %s", name,
                           LM_DT(x), LM_SHAPE(x));
    } else if (x->dtype == LM_BOOL || (unsigned)x->dtype >= LM_NDTYPE) {
        return lm_fail(LM_ETYPE, "%s: expected a numeric tensor (int32, int64, float16, bfloat16, "
                       "float32 or float64), got %s of shape %s; cast bool to an int first",
                       name, LM_DT(x), LM_SHAPE(x));
    }
    bool reduced[LM_MAX_NDIM];
    if ((st = parse_axes(name, x, naxes, axes, reduced))) return st;
    if (naxes == 0) {  /* TF: reducing over no axes gives the values unchanged */
        *out = lm_retain((lm_tensor *)x);
        return LM_OK;
    }

    int64_t oshape[LM_MAX_NDIM];
    int ond = 0;
    int64_t count = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (reduced[d]) {
            count = lm_sat_mul(count, x->shape[d]);
            if (keepdims) oshape[ond++] = 1;
        } else {
            oshape[ond++] = x->shape[d];
        }
    }

    lm_tensor *w = NULL, *acc = NULL, *res = NULL;
    if ((st = lm_widen(x, &w))) return st;
    lm_dtype cdt = w->dtype;
    lm_dtype adt = acc_dtype(op, cdt);
    if ((st = lm_empty(adt, ond, oshape, &acc))) goto done;
    fill_identity(op, acc);
    if (acc->numel == 1 && lm_is_contiguous(w) && w->numel >= PAR_RED_MIN)
        st = reduce_all_blocked(op, w, acc);
    else
        run_reduction(kernel_for(op, cdt), w, reduced, acc);
    if (st) goto done;
    if (op == LM_RMEAN) finish_mean(acc, count);
    /* acc -> the input's dtype: narrows double to float32/half and uint64 sums to int32, keeping
     * the low bits (wrapping as NumPy and TF do). */
    if ((st = lm_cast(acc, x->dtype, &res))) goto done;
    *out = res;
done:
    lm_release(acc);
    lm_release(w);
    return st;
}

/* ---- argmax / argmin ---------------------------------------------------------------------------
 * Two strategies. When the reduced axis is the input's densest dim, each output scans its run:
 * the extreme first (NaN if the run has one: NaN counts as the extreme, as in np.argmax), then
 * the first index holding it. Otherwise the axis is
 * walked slice by slice: slice k is compared elementwise against running best values and indices
 * kept for every output, which reads the input in its memory order. */

typedef struct {
    int64_t len, step;   /* the reduced axis: length and byte step */
    int64_t k;           /* slice strategy: the slice index */
} arg_ctx;

#define ISNAN_F(v) ((v) != (v))
#define ISNAN_I(v) 0
#define ARG_KERNEL(NAME, T, ISNAN, RUN, EQ)                                                      \
    /* Scan strategy: p[0] = int64 out, p[1] = x at the start of each run. Two passes over the  \
     * run, both fast: the extreme by the vectorised reduction RUN (NaN if any), then the first  \
     * index holding it (the first NaN when it is NaN). */                                     \
    static void NAME##_scan(int64_t n, char **p, const int64_t *st, void *vctx) {               \
        const arg_ctx *c = vctx;                                                                \
        char *o = p[0];                                                                         \
        const char *x = p[1];                                                                   \
        for (int64_t i = 0; i < n; i++, o += st[0], x += st[1]) {                               \
            __typeof__(RUN(x, 1, 0)) m = RUN(x, c->len, c->step);                               \
            int64_t bi = 0;                                                                     \
            const char *q = x;                                                                  \
            if (ISNAN(m)) {                                                                     \
                for (int64_t k = 0; k < c->len; k++, q += c->step)                              \
                    if (ISNAN(*(const T *)q)) { bi = k; break; }                                \
            } else {                                                                            \
                for (int64_t k = 0; k < c->len; k++, q += c->step)                              \
                    if (EQ(*(const T *)q, m)) { bi = k; break; }                                \
            }                                                                                   \
            *(int64_t *)o = bi;                                                                 \
        }                                                                                       \
    }                                                                                           \
    /* Slice strategy: p[0] = best values (T), p[1] = int64 indices, p[2] = slice k of x. */      \
    static void NAME##_slice(int64_t n, char **p, const int64_t *st, void *vctx) {              \
        const arg_ctx *c = vctx;                                                                \
        int64_t k = c->k;                                                                       \
        char *b = p[0], *ix = p[1];                                                             \
        const char *x = p[2];                                                                   \
        for (int64_t i = 0; i < n; i++, b += st[0], ix += st[1], x += st[2]) {                  \
            T v = *(const T *)x, cur = *(T *)b;                                                 \
            if (CMP(v, cur) || (ISNAN(v) && !ISNAN(cur))) {                                     \
                *(T *)b = v;                                                                    \
                *(int64_t *)ix = k;                                                             \
            }                                                                                   \
        }                                                                                       \
    }

#define EQ_SAME(v, m) ((v) == (m))
#define EQ_BOOL(v, m) (((v) != 0) == (m))
#define CMP(v, b) ((v) > (b))
ARG_KERNEL(amax_b8, uint8_t, ISNAN_I, any_b8_run, EQ_BOOL)
ARG_KERNEL(amax_i32, int32_t, ISNAN_I, max_i32_run, EQ_SAME)
ARG_KERNEL(amax_i64, int64_t, ISNAN_I, max_i64_run, EQ_SAME)
ARG_KERNEL(amax_f32, float, ISNAN_F, max_f32_run, EQ_SAME)
ARG_KERNEL(amax_f64, double, ISNAN_F, max_f64_run, EQ_SAME)
#undef CMP
#define CMP(v, b) ((v) < (b))
ARG_KERNEL(amin_b8, uint8_t, ISNAN_I, all_b8_run, EQ_BOOL)
ARG_KERNEL(amin_i32, int32_t, ISNAN_I, min_i32_run, EQ_SAME)
ARG_KERNEL(amin_i64, int64_t, ISNAN_I, min_i64_run, EQ_SAME)
ARG_KERNEL(amin_f32, float, ISNAN_F, min_f32_run, EQ_SAME)
ARG_KERNEL(amin_f64, double, ISNAN_F, min_f64_run, EQ_SAME)
#undef CMP

/* Indexed by [is_max][compute dtype]; half types never reach here (widened to float32). */
static const lm_loop_fn ARG_SCAN[2][LM_NDTYPE] = {
    {amin_b8_scan, amin_i32_scan, amin_i64_scan, NULL, NULL, amin_f32_scan, amin_f64_scan},
    {amax_b8_scan, amax_i32_scan, amax_i64_scan, NULL, NULL, amax_f32_scan, amax_f64_scan},
};
static const lm_loop_fn ARG_SLICE[2][LM_NDTYPE] = {
    {amin_b8_slice, amin_i32_slice, amin_i64_slice, NULL, NULL, amin_f32_slice, amin_f64_slice},
    {amax_b8_slice, amax_i32_slice, amax_i64_slice, NULL, NULL, amax_f32_slice, amax_f64_slice},
};


lm_status lm_argreduce(int is_max, const lm_tensor *x, int64_t axis, lm_dtype out_dtype,
                       lm_tensor **out) {
    *out = NULL;
    const char *name = is_max ? "argmax" : "argmin";
    lm_status st;
    if ((st = lm_check_tensor(name, x))) return st;
    if (out_dtype != LM_INT32 && out_dtype != LM_INT64)
        return lm_fail(LM_ETYPE, "%s: output_type must be int32 or int64, got %s", name,
                       lm_dtype_name(out_dtype));
    if ((unsigned)x->dtype >= LM_NDTYPE) return lm_check_dtype(name, x->dtype);
    if (x->ndim == 0)
        return lm_fail(LM_EVALUE, "%s: the input is a scalar (shape ()); it needs rank >= 1", name);
    int64_t ax;
    if ((st = lm_norm_axis(name, axis, x->ndim, &ax))) return st;
    int a = (int)ax;
    int64_t len = x->shape[a];
    if (len == 0)
        return lm_fail(LM_EVALUE, "%s: axis %lld of shape %s is empty; the %s of an empty set "
                       "is undefined", name, (long long)axis, LM_SHAPE(x), is_max ? "max" : "min");

    lm_tensor *w = NULL, *idx = NULL, *best = NULL, *res = NULL;
    if ((st = lm_widen(x, &w))) return st;  /* a half input becomes a contiguous float32 copy */
    int64_t oshape[LM_MAX_NDIM], xs[LM_MAX_NDIM];
    int ond = 0;
    for (int d = 0; d < w->ndim; d++)
        if (d != a) { oshape[ond] = w->shape[d]; xs[ond] = w->strides[d]; ond++; }
    if ((st = lm_empty(LM_INT64, ond, oshape, &idx))) goto done;
    if (idx->numel > 0) {
        size_t wsz = lm_dtype_size(w->dtype);
        arg_ctx c = {len, w->strides[a] * (int64_t)wsz, 0};
        if (lm_axis_is_densest(w, a)) {
            char *base[2] = {idx->data, w->data};
            const int64_t *strides[2] = {idx->strides, xs};
            size_t size[2] = {8, wsz};
            lm_iterate(ond, oshape, 2, base, strides, size, ARG_SCAN[is_max != 0][w->dtype], &c);
        } else {
            /* best starts as slice 0 with index 0; later slices replace it where they win. */
            if ((st = lm_empty(w->dtype, ond, oshape, &best))) goto done;
            lm_copy_strided(ond, oshape, best->data, best->strides, w->data, xs, wsz);
            memset(idx->data, 0, (size_t)idx->numel * 8);
            lm_loop_fn fn = ARG_SLICE[is_max != 0][w->dtype];
            size_t size[3] = {wsz, 8, wsz};
            const int64_t *strides[3] = {best->strides, idx->strides, xs};
            for (int64_t k = 1; k < len; k++) {
                c.k = k;
                char *base[3] = {best->data, idx->data, w->data + k * c.step};
                lm_iterate(ond, oshape, 3, base, strides, size, fn, &c);
            }
        }
    }
    if ((st = lm_cast(idx, out_dtype, &res))) goto done;
    *out = res;
done:
    lm_release(best);
    lm_release(idx);
    lm_release(w);
    return st;
}

/* ---- helpers for softmax.c (no header: internal.h is shared) ------------------------------------
 * The vectorised run reductions: max with NaN propagation, and sums accumulated in double. */
float lm__red_max_f32(const char *p, int64_t n, int64_t step) { return max_f32_run(p, n, step); }
double lm__red_max_f64(const char *p, int64_t n, int64_t step) { return max_f64_run(p, n, step); }
double lm__red_sum_f32(const char *p, int64_t n, int64_t step) { return sum_f32_run(p, n, step); }
double lm__red_sum_f64(const char *p, int64_t n, int64_t step) { return sum_f64_run(p, n, step); }

lm_status lm_reduce(lm_redop op, const lm_tensor *x, int naxes, const int64_t *axes, int keepdims,
                    lm_tensor **out) {
    lm_status st = reduce_impl(op, x, naxes, axes, keepdims, out);
    if (st || !lm_tape_recording()) return st;
    lm_gattrs at = {.code = op, .naxes = naxes < 0 ? -1 : naxes};
    for (int k = 0; k < naxes; k++) at.axes[k] = axes[k];
    return lm_record(LM_G_REDUCE, &at, 1, &x, out);
}
