/* unary.c — lm_unary: the unary rows of ops.def (negation, abs, ... on numbers; exp, log, ... on
 * floats; logical_not on bool). Results match NumPy (integer negation, abs and square wrap like
 * NumPy: abs(INT_MIN) is INT_MIN). float32 runs the kernel table's slot of the op when it has
 * one (vector polynomials within a few ulp on avx2; ref: the same body as the float loop). */
#include "elementwise.h"
#include "autodiff/record.h"
#include "kernels/kernels.h"

#include <tgmath.h>

/* ---- loops: one per row of ops.def and accepted dtype ------------------------------------- */

/* Each dtype class of ops.def (NUM, FLT, BOOL) defines its loops <name>_<sfx> and its LOOPS
 * entry. The float bodies use <tgmath.h>: exp(x) is expf for a float x. */
#define INT_LOOP(NAME, SFX, T_, UT_, IB)                                                      \
    static inline T_ NAME##1_##SFX(T_ x) {                                                    \
        typedef T_ T;                                                                         \
        typedef UT_ UT;                                                                       \
        (void)sizeof(UT);                                                                     \
        return (T)(IB);                                                                       \
    }                                                                                         \
    LM_EW_UNARY_LOOP(loop_##NAME##_##SFX, T_, T_, NAME##1_##SFX(x))
#define FLT_LOOPS(NAME, IB, FB)                                                               \
    LM_EW_UNARY_LOOP(loop_##NAME##_f32, float, float, FB)                                            \
    LM_EW_UNARY_LOOP(loop_##NAME##_f64, double, double, FB)
#define NUM_LOOPS(NAME, IB, FB)                                                               \
    INT_LOOP(NAME, i32, int32_t, uint32_t, IB)                                                \
    INT_LOOP(NAME, i64, int64_t, uint64_t, IB)                                                \
    FLT_LOOPS(NAME, IB, FB)
#define BOOL_LOOPS(NAME, IB, FB) LM_EW_UNARY_LOOP(loop_##NAME##_b8, uint8_t, uint8_t, IB)
#define LM_UNARY(ID, name, dtypes, ib, fb, ...) dtypes##_LOOPS(name, ib, fb)
#include "ops.def"

/* LOOPS[op][dtype]; NULL means the dtype is not accepted. float16/bfloat16 use the float32 entry
 * through lm_ew_half_loop. */
#define NUM_ENTRY(NAME)                                                                       \
    {[LM_INT32] = loop_##NAME##_i32, [LM_INT64] = loop_##NAME##_i64, [LM_FLOAT32] = loop_##NAME##_f32,             \
     [LM_FLOAT64] = loop_##NAME##_f64}
#define FLT_ENTRY(NAME) {[LM_FLOAT32] = loop_##NAME##_f32, [LM_FLOAT64] = loop_##NAME##_f64}
#define BOOL_ENTRY(NAME) {[LM_BOOL] = loop_##NAME##_b8}
static const lm_loop_fn LOOPS[LM_NUNOP][LM_NDTYPE] = {
#define LM_UNARY(ID, name, dtypes, ...) [LM_##ID] = dtypes##_ENTRY(name),
#include "ops.def"
};

/* What each op takes, for the error message. */
enum { NUM, FLT, BOOL };
static const unsigned char TAKES[LM_NUNOP] = {
#define LM_UNARY(ID, name, dtypes, ...) [LM_##ID] = dtypes,
#include "ops.def"
};

/* The lm_loop_fn over a table loop (ctx: a table_ctx). Runs with 4-byte steps go straight to it;
 * other runs are gathered into a stack buffer and scattered back, so every layout gets the same
 * (vector) results. */
typedef struct table_ctx { lm_f32_unary_fn f; } table_ctx;
static void table_loop(int64_t n, char **p, const int64_t *st, void *ctx) {
    const lm_f32_unary_fn f = ((const table_ctx *)ctx)->f;
    if (st[0] == (int64_t)sizeof(float) && st[1] == (int64_t)sizeof(float)) {
        f(n, (const float *)p[1], (float *)p[0]);
        return;
    }
    float buf[256];
    char *po = p[0];
    const char *px = p[1];
    for (int64_t i = 0; i < n; i += 256) {
        const int64_t m = n - i < 256 ? n - i : 256;
        for (int64_t j = 0; j < m; j++, px += st[1]) buf[j] = *(const float *)px;
        f(m, buf, buf);
        for (int64_t j = 0; j < m; j++, po += st[0]) *(float *)po = buf[j];
    }
}

static lm_status unsupported(lm_unop op, const lm_tensor *x) {
    const char *name = lm_unop_name(op);
    if (TAKES[op] == BOOL)
        return lm_fail(LM_ETYPE, "%s: dtype %s is not supported; %s takes a bool tensor (shape %s)",
                       name, LM_DT(x), name, LM_SHAPE(x));
    if (TAKES[op] == NUM)
        return lm_fail(LM_ETYPE, "%s: dtype %s is not supported; %s takes int32, int64, float16, "
                       "bfloat16, float32 or float64 (shape %s)", name, LM_DT(x), name,
                       LM_SHAPE(x));
    return lm_fail(LM_ETYPE, "%s: dtype %s is not supported; %s takes a float tensor (float16, "
                   "bfloat16, float32 or float64): cast it to a float dtype first, e.g. "
                   "cast(x, float32) (shape %s)", name, LM_DT(x), name, LM_SHAPE(x));
}

static lm_status unary_impl(lm_unop op, const lm_tensor *x, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((unsigned)op >= LM_NUNOP) return lm_fail(LM_EVALUE, "unary: invalid op code %d", (int)op);
    const char *name = lm_unop_name(op);
    if ((st = lm_check_tensor(name, x)) || (st = lm_check_dtype(name, x->dtype))) return st;
    const lm_dtype dt = x->dtype;
    const bool half = lm_is_half(dt);
    const lm_loop_fn fn = LOOPS[op][half ? LM_FLOAT32 : dt];
    if (!fn) return unsupported(op, x);
    lm_tensor *o;
    if ((st = lm_empty(dt, x->ndim, x->shape, &o))) return st;
    lm_ew_half hctx = {fn, NULL, 2, dt, 0};
    table_ctx tctx = {dt == LM_FLOAT32 ? lm_kernels()->f32_unary[op] : NULL};
    lm_loop_fn run = half ? lm_ew_half_loop : tctx.f ? table_loop : fn;
    void *ctx = half ? (void *)&hctx : tctx.f ? (void *)&tctx : NULL;
    const int64_t isz = (int64_t)lm_dtype_size(dt);
    const size_t size[2] = {(size_t)isz, (size_t)isz};
    char *base[2] = {o->data, x->data};
    if (lm_is_contiguous(x)) {  /* one run: no need for the N-d engine */
        if (x->numel < LM_PAR_MIN_ELEMS) {
            const int64_t step[2] = {isz, isz};
            run(o->numel, base, step, ctx);
        } else {  /* big: pieces of the run over the thread pool */
            const int64_t one[1] = {1}, *strides[2] = {one, one};
            lm_iterate_par(1, &x->numel, 2, base, strides, size, run, ctx);
        }
    } else {
        const int64_t *strides[2] = {o->strides, x->strides};
        lm_iterate_par(x->ndim, x->shape, 2, base, strides, size, run, ctx);
    }
    *out = o;
    return LM_OK;
}

lm_status lm_unary(lm_unop op, const lm_tensor *x, lm_tensor **out) {
    lm_status st = unary_impl(op, x, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_UNARY, &(lm_gattrs){.code = op}, 1, &x, out);
}
