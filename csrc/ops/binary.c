/* binary.c — lm_binary: the binary rows of ops.def (arithmetic, comparisons and logical ops) on
 * two broadcast tensors.
 *
 * Semantics: NumPy broadcasting, TF dtypes (both inputs share one dtype). Integer arithmetic
 * wraps like NumPy (computed in unsigned types: no undefined behaviour). FLOORDIV and MOD follow
 * NumPy's divmod exactly for floats; an integer division by zero is an error, as in TF. */
#include "elementwise.h"
#include "autodiff/record.h"
#include "kernels/kernels.h"

#include <tgmath.h>
#include <string.h>

/* ---- scalar helpers ------------------------------------------------------------------------- */

/* Floor division and modulo for integers, y != 0. y == -1 is done apart: INT_MIN / -1 traps on
 * x86; NumPy gives INT_MIN (the wrapped negation) and 0. */
#define INT_DIVMOD(SFX, T, UT)                                                                \
    static inline T floordiv_##SFX(T x, T y) {                                                \
        if (y == -1) return (T)((UT)0 - (UT)x);                                               \
        T q = x / y, r = x % y;                                                               \
        return (r != 0 && ((r < 0) != (y < 0))) ? q - 1 : q;                                  \
    }                                                                                         \
    static inline T floormod_##SFX(T x, T y) {                                                \
        if (y == -1) return 0;                                                                \
        T r = x % y;                                                                          \
        return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;                                  \
    }                                                                                         \
    /* Exponentiation by squaring, wrapping like NumPy; y >= 0. */                            \
    static inline T ipow_##SFX(T x, T y) {                                                    \
        UT r = 1, b = (UT)x, e = (UT)y;                                                       \
        while (e) {                                                                           \
            if (e & 1u) r *= b;                                                               \
            b *= b;                                                                           \
            e >>= 1;                                                                          \
        }                                                                                     \
        return (T)r;                                                                          \
    }
INT_DIVMOD(i32, int32_t, uint32_t)
INT_DIVMOD(i64, int64_t, uint64_t)

/* NumPy's npy_divmod, npy_floor_divide and npy_remainder (numpy/_core/src/npymath), so that inf,
 * NaN, signed zeros and zero divisors give NumPy's results bit for bit. F is the libm suffix. */
#define FLOAT_DIVMOD(SFX, T, F)                                                               \
    static inline T divmod_##SFX(T a, T b, T *modulus) {                                      \
        T mod = fmod##F(a, b);                                                                \
        if (!b) {                                                                             \
            *modulus = mod;                                                                   \
            return a / b;                                                                     \
        }                                                                                     \
        T div = (a - mod) / b; /* very nearly an integer multiple of b */                     \
        if (mod) {             /* Python's remainder has the divisor's sign */                \
            if (isless(b, (T)0) != isless(mod, (T)0)) {                                       \
                mod += b;                                                                     \
                div -= (T)1;                                                                  \
            }                                                                                 \
        } else {                                                                              \
            mod = copysign##F((T)0, b);                                                       \
        }                                                                                     \
        T fl;                                                                                 \
        if (div) { /* snap the quotient to the nearest integer */                             \
            fl = floor##F(div);                                                               \
            if (isgreater(div - fl, (T)0.5)) fl += (T)1;                                      \
        } else {                                                                              \
            fl = copysign##F((T)0, a / b);                                                    \
        }                                                                                     \
        *modulus = mod;                                                                       \
        return fl;                                                                            \
    }                                                                                         \
    static inline T floordiv_##SFX(T a, T b) {                                                \
        T mod;                                                                                \
        return b ? divmod_##SFX(a, b, &mod) : a / b;                                          \
    }                                                                                         \
    static inline T floormod_##SFX(T a, T b) {                                                \
        T mod;                                                                                \
        if (!b) return fmod##F(a, b);                                                         \
        divmod_##SFX(a, b, &mod);                                                             \
        return mod;                                                                           \
    }
FLOAT_DIVMOD(f32, float, f)
FLOAT_DIVMOD(f64, double, )

/* Type-generic names for the loop bodies of ops.def. */
#define lm_floordiv1(x, y)                                                                    \
    _Generic((x), int32_t: floordiv_i32, int64_t: floordiv_i64, float: floordiv_f32,          \
             double: floordiv_f64)(x, y)
#define lm_floormod1(x, y)                                                                    \
    _Generic((x), int32_t: floormod_i32, int64_t: floormod_i64, float: floormod_f32,          \
             double: floormod_f64)(x, y)
#define lm_ipow1(x, y) _Generic((x), int32_t: ipow_i32, int64_t: ipow_i64)(x, y)

/* ---- loops: one per row of ops.def and accepted dtype ------------------------------------- */

/* Each dtype class of ops.def defines its loops <name>_<sfx> and its LOOPS entry. An integer
 * body sees T (the type) and UT (its unsigned twin); float bodies use <tgmath.h>. */
#define INT_FN(NAME, SFX, T_, UT_, U_, IB)                                                    \
    static inline U_ NAME##1_##SFX(T_ x, T_ y) {                                              \
        typedef T_ T;                                                                         \
        typedef UT_ UT;                                                                       \
        (void)sizeof(T), (void)sizeof(UT);                                                    \
        return (U_)(IB);                                                                      \
    }
#define INT_LOOP(NAME, SFX, T_, UT_, U_, IB)                                                  \
    INT_FN(NAME, SFX, T_, UT_, U_, IB)                                                        \
    LM_EW_BINARY_LOOP(loop_##NAME##_##SFX, T_, U_, NAME##1_##SFX(x, y))
#define CHECKED_INT_LOOP(NAME, SFX, T_, UT_, BAD, IB)                                         \
    INT_FN(NAME, SFX, T_, UT_, T_, IB)                                                        \
    LM_EW_CHECKED_LOOP(loop_##NAME##_##SFX, T_, BAD, NAME##1_##SFX(x, y))
#define FLT_LOOPS(NAME, U32, U64, FB)                                                         \
    LM_EW_BINARY_LOOP(loop_##NAME##_f32, float, U32, FB) LM_EW_BINARY_LOOP(loop_##NAME##_f64, double, U64, FB)

#define ARITH_LOOPS(NAME, BAD, IB, FB)                                                        \
    INT_LOOP(NAME, i32, int32_t, uint32_t, int32_t, IB)                                       \
    INT_LOOP(NAME, i64, int64_t, uint64_t, int64_t, IB)                                       \
    FLT_LOOPS(NAME, float, double, FB)
#define TRUEDIV_LOOPS(NAME, BAD, IB, FB)                                                      \
    INT_LOOP(NAME, i32, int32_t, uint32_t, double, IB)                                        \
    INT_LOOP(NAME, i64, int64_t, uint64_t, double, IB)                                        \
    FLT_LOOPS(NAME, float, double, FB)
#define CHECKED_LOOPS(NAME, BAD, IB, FB)                                                      \
    CHECKED_INT_LOOP(NAME, i32, int32_t, uint32_t, BAD, IB)                                   \
    CHECKED_INT_LOOP(NAME, i64, int64_t, uint64_t, BAD, IB)                                   \
    FLT_LOOPS(NAME, float, double, FB)
#define CMP_LOOPS(NAME, BAD, IB, FB)                                                          \
    LM_EW_BINARY_LOOP(loop_##NAME##_i32, int32_t, uint8_t, FB)                                       \
    LM_EW_BINARY_LOOP(loop_##NAME##_i64, int64_t, uint8_t, FB)                                       \
    FLT_LOOPS(NAME, uint8_t, uint8_t, FB)
#define EQ_LOOPS(NAME, BAD, IB, FB)                                                           \
    CMP_LOOPS(NAME, BAD, IB, FB) LM_EW_BINARY_LOOP(loop_##NAME##_b8, uint8_t, uint8_t, IB)
#define LOGIC_LOOPS(NAME, BAD, IB, FB) LM_EW_BINARY_LOOP(loop_##NAME##_b8, uint8_t, uint8_t, IB)
#define LM_BINARY(ID, name, dtypes, bad, ib, fb, ...) dtypes##_LOOPS(name, bad, ib, fb)
#include "ops.def"

/* LOOPS[op][dtype]; NULL means the dtype is not accepted. float16/bfloat16 use the float32 entry
 * through lm_ew_half_loop. */
#define ARITH_ENTRY(NAME)                                                                     \
    {[LM_INT32] = loop_##NAME##_i32, [LM_INT64] = loop_##NAME##_i64, [LM_FLOAT32] = loop_##NAME##_f32,             \
     [LM_FLOAT64] = loop_##NAME##_f64}
#define TRUEDIV_ENTRY ARITH_ENTRY
#define CHECKED_ENTRY ARITH_ENTRY
#define CMP_ENTRY ARITH_ENTRY
#define EQ_ENTRY(NAME)                                                                        \
    {[LM_BOOL] = loop_##NAME##_b8, [LM_INT32] = loop_##NAME##_i32, [LM_INT64] = loop_##NAME##_i64,                 \
     [LM_FLOAT32] = loop_##NAME##_f32, [LM_FLOAT64] = loop_##NAME##_f64}
#define LOGIC_ENTRY(NAME) {[LM_BOOL] = loop_##NAME##_b8}
static const lm_loop_fn LOOPS[LM_NBINOP][LM_NDTYPE] = {
#define LM_BINARY(ID, name, dtypes, ...) [LM_##ID] = dtypes##_ENTRY(name),
#include "ops.def"
};

/* What each op takes and gives: the error message and the result dtype. */
enum { ARITH, TRUEDIV, CHECKED, CMP, EQ, LOGIC };
_Static_assert(CMP < EQ && EQ < LOGIC && CHECKED < CMP && TRUEDIV < CMP,
               "result_dtype: the classes from CMP on give bool, those before keep the dtype");
static const unsigned char CLASS[LM_NBINOP] = {
#define LM_BINARY(ID, name, dtypes, ...) [LM_##ID] = dtypes,
#include "ops.def"
};

static lm_dtype result_dtype(lm_binop op, lm_dtype dt) {
    if (CLASS[op] >= CMP) return LM_BOOL;  /* comparisons and logical ops */
    if (CLASS[op] == TRUEDIV && lm_dtype_is_int(dt)) return LM_FLOAT64;  /* tf.math.truediv */
    return dt;
}

static lm_status unsupported(lm_binop op, const lm_tensor *a, const lm_tensor *b) {
    const char *name = lm_binop_name(op);
    const char *takes = CLASS[op] == LOGIC ? "bool"
                        : CLASS[op] == EQ
                            ? "bool, int32, int64, float16, bfloat16, float32 or float64"
                            : "int32, int64, float16, bfloat16, float32 or float64";
    return lm_fail(LM_ETYPE, "%s: dtype %s is not supported; %s takes %s (shapes %s and %s)", name,
                   LM_DT(a), name, takes, LM_SHAPE(a), LM_SHAPE(b));
}

static lm_status binary_impl(lm_binop op, const lm_tensor *a, const lm_tensor *b, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((unsigned)op >= LM_NBINOP) return lm_fail(LM_EVALUE, "binary: invalid op code %d", (int)op);
    const char *name = lm_binop_name(op);
    if ((st = lm_check_tensor(name, a)) || (st = lm_check_tensor(name, b))) return st;
    const lm_dtype dt = a->dtype;
    if (dt != b->dtype)
        return lm_fail(LM_ETYPE, "%s: dtype mismatch: %s and %s (shapes %s and %s)", name, LM_DT(a),
                       LM_DT(b), LM_SHAPE(a), LM_SHAPE(b));
    if ((st = lm_check_dtype(name, dt))) return st;
    const bool half = lm_is_half(dt);
    const lm_loop_fn fn = LOOPS[op][half ? LM_FLOAT32 : dt];
    if (!fn) return unsupported(op, a, b);
    const lm_dtype odt = result_dtype(op, dt);
    const bool same = lm_ew_same_shape(a, b);
    const bool flat = same && lm_is_contiguous(a) && lm_is_contiguous(b);
    /* A contiguous tensor with a one-element operand of no higher rank (t * 2.0): the result has
     * the tensor's shape and the scalar is read with step 0, again without the N-d engine. */
    const bool a_scalar = !flat && a->numel == 1 && a->ndim <= b->ndim && lm_is_contiguous(b);
    const bool b_scalar = !flat && !a_scalar && b->numel == 1 && b->ndim <= a->ndim &&
                          lm_is_contiguous(a);

    const lm_f32_binary_fn kern = flat && dt == LM_FLOAT32 ? lm_kernels()->f32_binary[op] : NULL;
    if (kern && a->numel < LM_PAR_MIN_ELEMS) {
        /* the common case, kept lean */
        if ((st = lm_empty(LM_FLOAT32, a->ndim, a->shape, out))) return st;
        kern(a->numel, (const float *)a->data, (const float *)b->data,
                       (float *)(*out)->data);
        return LM_OK;
    }

    int nd = a_scalar ? b->ndim : a->ndim;
    int64_t shape[LM_MAX_NDIM];
    if (same || b_scalar) memcpy(shape, a->shape, sizeof(int64_t) * (size_t)nd);
    else if (a_scalar) memcpy(shape, b->shape, sizeof(int64_t) * (size_t)nd);
    else if ((st = lm_broadcast_shapes(name, a->ndim, a->shape, b->ndim, b->shape, &nd, shape)))
        return st;
    lm_tensor *o;
    if ((st = lm_empty(odt, nd, shape, &o))) return st;

    int bad = 0;  /* set by the checked integer loops */
    lm_ew_half hctx = {fn, &bad, 3, dt, odt == LM_BOOL};
    lm_loop_fn run = half ? lm_ew_half_loop : fn;
    void *ctx = half ? (void *)&hctx : (void *)&bad;
    const size_t isz = lm_dtype_size(dt), osz = lm_dtype_size(odt);
    /* Integer loops report errors through `bad`, so they stay on one thread; the others split
     * big work over the pool (each output element is written by exactly one thread). */
    const bool par = !lm_dtype_is_int(dt) && o->numel >= LM_PAR_MIN_ELEMS;
    char *base[3] = {o->data, a->data, b->data};
    const size_t size[3] = {osz, isz, isz};
    if ((flat || a_scalar || b_scalar) && !par) {  /* one run: no need for the N-d engine */
        const int64_t step[3] = {(int64_t)osz, a_scalar ? 0 : (int64_t)isz,
                                 b_scalar ? 0 : (int64_t)isz};
        run(o->numel, base, step, ctx);
    } else if (flat || a_scalar || b_scalar) {
        const int64_t one[1] = {1}, zero[1] = {0};
        const int64_t *strides[3] = {one, a_scalar ? zero : one, b_scalar ? zero : one};
        lm_iterate_par(1, &o->numel, 3, base, strides, size, run, ctx);
    } else {
        int64_t sa[LM_MAX_NDIM], sb[LM_MAX_NDIM];
        lm_broadcast_strides(a, nd, shape, sa);
        lm_broadcast_strides(b, nd, shape, sb);
        const int64_t *strides[3] = {o->strides, sa, sb};
        if (par) lm_iterate_par(nd, shape, 3, base, strides, size, run, ctx);
        else lm_iterate(nd, shape, 3, base, strides, size, run, ctx);
    }
    if (bad) {
        lm_release(o);
        if (op == LM_POW)
            return lm_fail(LM_EVALUE, "pow: Integers to negative integer powers are not allowed "
                           "(%s, shapes %s and %s)", LM_DT(a), LM_SHAPE(a), LM_SHAPE(b));
        return lm_fail(LM_EVALUE, "%s: integer division by zero (%s, shapes %s and %s)", name,
                       LM_DT(a), LM_SHAPE(a), LM_SHAPE(b));
    }
    *out = o;
    return LM_OK;
}

lm_status lm_binary(lm_binop op, const lm_tensor *a, const lm_tensor *b, lm_tensor **out) {
    lm_status st = binary_impl(op, a, b, out);
    if (st || !lm_tape_recording()) return st;
    const lm_tensor *in[2] = {a, b};
    return lm_record(LM_G_BINARY, &(lm_gattrs){.code = op}, 2, in, out);
}
