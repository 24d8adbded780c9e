/* unary.c — lm_unary: negation, abs, sign, square, relu on numbers; exp, log, ... on floats;
 * logical_not on bool. Results match NumPy (integer negation, abs and square wrap like NumPy:
 * abs(INT_MIN) is INT_MIN). float32 exp, log, tanh, sigmoid, erf and relu run the per-ISA kernel
 * table's loops (vector polynomials within a few ulp on avx2; libm under LAMINA_ISA=ref). */
#include "elementwise.h"
#include "autodiff/record.h"
#include "kernels/kernels.h"

#include <math.h>

/* ---- scalar helpers ------------------------------------------------------------------------- */

/* Stable for large |x|: exp only ever sees -|x|, so it cannot overflow. */
#define FLOAT_HELPERS(SFX, T, F)                                                              \
    static inline T sigmoid1_##SFX(T x) {                                                     \
        T e = exp##F(-fabs##F(x));                                                            \
        return x >= 0 ? (T)1 / ((T)1 + e) : e / ((T)1 + e);                                   \
    }                                                                                         \
    /* log(1 + exp(x)) = log1p(exp(-|x|)) + max(x, 0); NaN stays NaN. */                      \
    static inline T softplus1_##SFX(T x) {                                                    \
        return log1p##F(exp##F(-fabs##F(x))) + (x > 0 ? x : (T)0);                            \
    }                                                                                         \
    /* np.sign: -1, 0 or 1, NaN for NaN (and +0 for -0). */                                   \
    static inline T sign1_##SFX(T x) {                                                        \
        return x > 0 ? (T)1 : x < 0 ? (T)-1 : x == 0 ? (T)0 : x;                              \
    }
FLOAT_HELPERS(f32, float, f)
FLOAT_HELPERS(f64, double, )

/* ---- loops ---------------------------------------------------------------------------------- */

#define INT_LOOPS(SFX, T, UT)                                                                 \
    LM_EW_UNARY_LOOP(neg_##SFX, T, T, (UT)0 - (UT)x)                                          \
    LM_EW_UNARY_LOOP(abs_##SFX, T, T, x < 0 ? (T)((UT)0 - (UT)x) : x)                         \
    LM_EW_UNARY_LOOP(sign_##SFX, T, T, (x > 0) - (x < 0))                                     \
    LM_EW_UNARY_LOOP(square_##SFX, T, T, (UT)x * (UT)x)                                       \
    LM_EW_UNARY_LOOP(relu_##SFX, T, T, x > 0 ? x : 0)
INT_LOOPS(i32, int32_t, uint32_t)
INT_LOOPS(i64, int64_t, uint64_t)

#define FLOAT_LOOPS(SFX, T, F)                                                                \
    LM_EW_UNARY_LOOP(neg_##SFX, T, T, -x)                                                     \
    LM_EW_UNARY_LOOP(abs_##SFX, T, T, fabs##F(x))                                             \
    LM_EW_UNARY_LOOP(sign_##SFX, T, T, sign1_##SFX(x))                                        \
    LM_EW_UNARY_LOOP(square_##SFX, T, T, x * x)                                               \
    LM_EW_UNARY_LOOP(relu_##SFX, T, T, (x > 0) | (x != x) ? x : (T)0) /* NaN stays NaN */     \
    LM_EW_UNARY_LOOP(exp_##SFX, T, T, exp##F(x))                                              \
    LM_EW_UNARY_LOOP(log_##SFX, T, T, log##F(x))                                              \
    LM_EW_UNARY_LOOP(log1p_##SFX, T, T, log1p##F(x))                                          \
    LM_EW_UNARY_LOOP(sqrt_##SFX, T, T, sqrt##F(x))                                            \
    LM_EW_UNARY_LOOP(rsqrt_##SFX, T, T, (T)1 / sqrt##F(x))                                    \
    LM_EW_UNARY_LOOP(reciprocal_##SFX, T, T, (T)1 / x)                                        \
    LM_EW_UNARY_LOOP(tanh_##SFX, T, T, tanh##F(x))                                            \
    LM_EW_UNARY_LOOP(sigmoid_##SFX, T, T, sigmoid1_##SFX(x))                                  \
    LM_EW_UNARY_LOOP(erf_##SFX, T, T, erf##F(x))                                              \
    LM_EW_UNARY_LOOP(softplus_##SFX, T, T, softplus1_##SFX(x))
FLOAT_LOOPS(f32, float, f)
FLOAT_LOOPS(f64, double, )

LM_EW_UNARY_LOOP(not_b8, uint8_t, uint8_t, x == 0)

/* LOOPS[op][dtype]; NULL means the dtype is not accepted. float16/bfloat16 use the float32 entry
 * through lm_ew_half_loop. */
#define NUMERIC(NAME)                                                                         \
    {[LM_INT32] = NAME##_i32, [LM_INT64] = NAME##_i64, [LM_FLOAT32] = NAME##_f32,             \
     [LM_FLOAT64] = NAME##_f64}
#define FLOATS(NAME) {[LM_FLOAT32] = NAME##_f32, [LM_FLOAT64] = NAME##_f64}
static const lm_loop_fn LOOPS[LM_NUNOP][LM_NDTYPE] = {
    [LM_NEG] = NUMERIC(neg),
    [LM_ABS] = NUMERIC(abs),
    [LM_SIGN] = NUMERIC(sign),
    [LM_SQUARE] = NUMERIC(square),
    [LM_RELU] = NUMERIC(relu),
    [LM_EXP] = FLOATS(exp),
    [LM_LOG] = FLOATS(log),
    [LM_LOG1P] = FLOATS(log1p),
    [LM_SQRT] = FLOATS(sqrt),
    [LM_RSQRT] = FLOATS(rsqrt),
    [LM_RECIPROCAL] = FLOATS(reciprocal),
    [LM_TANH] = FLOATS(tanh),
    [LM_SIGMOID] = FLOATS(sigmoid),
    [LM_ERF] = FLOATS(erf),
    [LM_SOFTPLUS] = FLOATS(softplus),
    [LM_LOGICAL_NOT] = {[LM_BOOL] = not_b8},
};

/* float32 through the per-ISA kernel table (kernels/kernels.h): the ops it has a loop for. */
static lm_f32_unary_fn f32_kernel(lm_unop op) {
    const lm_kernel_table *k = lm_kernels();
    switch (op) {
    case LM_EXP: return k->f32_exp;
    case LM_LOG: return k->f32_log;
    case LM_TANH: return k->f32_tanh;
    case LM_SIGMOID: return k->f32_sigmoid;
    case LM_ERF: return k->f32_erf;
    case LM_RELU: return k->f32_relu;
    case LM_LOG1P: return k->f32_log1p;
    case LM_SOFTPLUS: return k->f32_softplus;
    default: return NULL;
    }
}

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
    if (op == LM_LOGICAL_NOT)
        return lm_fail(LM_ETYPE, "%s: dtype %s is not supported; %s takes a bool tensor (shape %s)",
                       name, LM_DT(x), name, LM_SHAPE(x));
    if (op <= LM_RELU)
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
    table_ctx tctx = {dt == LM_FLOAT32 ? f32_kernel(op) : NULL};
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
