/* scalar.h — the one scalar definition of each elementwise function that libm lacks, for float
 * and double (type-generic: lm_sigmoid1(x) picks the float or the double one). The loops of
 * ops.def's rows, the ref kernel table and the GEMM's portable epilogue all use these, so every
 * path gives the same results. */
#ifndef LAMINA_OPS_SCALAR_H
#define LAMINA_OPS_SCALAR_H

#include <math.h>

#define LM_SCALAR_HELPERS(SFX, T, F)                                                          \
    /* Stable for large |x|: exp only ever sees -|x|, so it cannot overflow; NaN gives NaN. */ \
    static inline T lm_sigmoid1_##SFX(T x) {                                                  \
        const T e = exp##F(-fabs##F(x));                                                      \
        return x >= 0 ? (T)1 / ((T)1 + e) : e / ((T)1 + e);                                   \
    }                                                                                         \
    /* log(1 + exp(x)) = log1p(exp(-|x|)) + max(x, 0); NaN stays NaN. */                      \
    static inline T lm_softplus1_##SFX(T x) {                                                 \
        return log1p##F(exp##F(-fabs##F(x))) + (x > 0 ? x : (T)0);                            \
    }                                                                                         \
    /* np.sign: -1, 0 or 1, NaN for NaN (and +0 for -0). */                                   \
    static inline T lm_sign1_##SFX(T x) {                                                     \
        return x > 0 ? (T)1 : x < 0 ? (T)-1 : x == 0 ? (T)0 : x;                              \
    }                                                                                         \
    /* max(x, 0) that keeps NaN (written so that GCC vectorizes it). */                       \
    static inline T lm_relu1_##SFX(T x) { return (x > 0) | (x != x) ? x : (T)0; }             \
    /* The exact GELU, x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)), as tf.nn.gelu(approximate=  \
     * False) and Keras's "gelu". */                                                          \
    static inline T lm_gelu1_##SFX(T x) {                                                     \
        return (T)0.5 * x * ((T)1 + erf##F(x * (T)0.70710678118654752440));                   \
    }                                                                                         \
    /* np.maximum / np.minimum: a NaN in either operand wins (x >= NaN is false, so y = NaN   \
     * is picked; a NaN x is kept by the second select). Two plain selects: GCC vectorizes    \
     * them, also chained as in clip, where one combined condition defeats its if-conversion. */ \
    static inline T lm_fmax1_##SFX(T x, T y) {                                                \
        const T m = x >= y ? x : y;                                                           \
        return x != x ? x : m;                                                                \
    }                                                                                         \
    static inline T lm_fmin1_##SFX(T x, T y) {                                                \
        const T m = x <= y ? x : y;                                                           \
        return x != x ? x : m;                                                                \
    }
LM_SCALAR_HELPERS(f32, float, f)
LM_SCALAR_HELPERS(f64, double, )
#undef LM_SCALAR_HELPERS

#define LM_SCALAR_GENERIC(fn, x) _Generic((x), float: fn##_f32, double: fn##_f64)
#define lm_sigmoid1(x) LM_SCALAR_GENERIC(lm_sigmoid1, x)(x)
#define lm_softplus1(x) LM_SCALAR_GENERIC(lm_softplus1, x)(x)
#define lm_sign1(x) LM_SCALAR_GENERIC(lm_sign1, x)(x)
#define lm_relu1(x) LM_SCALAR_GENERIC(lm_relu1, x)(x)
#define lm_gelu1(x) LM_SCALAR_GENERIC(lm_gelu1, x)(x)
#define lm_fmax1(x, y) LM_SCALAR_GENERIC(lm_fmax1, x)(x, y)
#define lm_fmin1(x, y) LM_SCALAR_GENERIC(lm_fmin1, x)(x, y)

#endif
