/* elementwise.h — private helpers shared by binary.c, unary.c and where_clip.c.
 *
 * Every elementwise op runs an lm_loop_fn over lm_iterate's runs: p[0] is the output, p[1..] the
 * inputs, step[k] their byte steps. The loop macros below give each loop three shapes of inner
 * loop that GCC auto-vectorizes (all operands contiguous; one input a broadcast scalar, step 0;
 * the other way round) and one plain strided loop for everything else. */
#ifndef LAMINA_OPS_ELEMENTWISE_H
#define LAMINA_OPS_ELEMENTWISE_H

#include "internal.h"
#include "scalar.h"

/* A binary loop: out (U) = EXPR of x and y (T). The output never aliases an input (it is always
 * a fresh tensor), hence restrict. */
#define LM_EW_BINARY_LOOP(NAME, T, U, EXPR)                                                   \
    static void NAME(int64_t n, char **p, const int64_t *st, void *ctx) {                     \
        (void)ctx;                                                                            \
        const int64_t so = st[0], sa = st[1], sb = st[2];                                     \
        if (so == (int64_t)sizeof(U)) {                                                       \
            U *restrict o = (U *)p[0];                                                        \
            if (sa == (int64_t)sizeof(T) && sb == (int64_t)sizeof(T)) {                       \
                const T *restrict a_ = (const T *)p[1], *restrict b_ = (const T *)p[2];       \
                for (int64_t i = 0; i < n; i++) {                                             \
                    const T x = a_[i], y = b_[i];                                             \
                    o[i] = (U)(EXPR);                                                         \
                }                                                                             \
                return;                                                                       \
            }                                                                                 \
            if (sa == 0 && sb == (int64_t)sizeof(T)) {                                        \
                const T x = *(const T *)p[1];                                                 \
                const T *restrict b_ = (const T *)p[2];                                       \
                for (int64_t i = 0; i < n; i++) {                                             \
                    const T y = b_[i];                                                        \
                    o[i] = (U)(EXPR);                                                         \
                }                                                                             \
                return;                                                                       \
            }                                                                                 \
            if (sa == (int64_t)sizeof(T) && sb == 0) {                                        \
                const T *restrict a_ = (const T *)p[1];                                       \
                const T y = *(const T *)p[2];                                                 \
                for (int64_t i = 0; i < n; i++) {                                             \
                    const T x = a_[i];                                                        \
                    o[i] = (U)(EXPR);                                                         \
                }                                                                             \
                return;                                                                       \
            }                                                                                 \
        }                                                                                     \
        char *po = p[0];                                                                      \
        const char *pa = p[1], *pb = p[2];                                                    \
        for (int64_t i = 0; i < n; i++, po += so, pa += sa, pb += sb) {                       \
            const T x = *(const T *)pa, y = *(const T *)pb;                                   \
            *(U *)po = (U)(EXPR);                                                             \
        }                                                                                     \
    }

/* A binary loop that can meet a bad value (an integer division by zero, a negative integer
 * exponent): it stores 1 in *(int *)ctx and stops. Integer division does not vectorize, so one
 * strided loop serves every layout. */
#define LM_EW_CHECKED_LOOP(NAME, T, BAD, EXPR)                                                \
    static void NAME(int64_t n, char **p, const int64_t *st, void *ctx) {                     \
        int *bad = (int *)ctx;                                                                \
        if (*bad) return;                                                                     \
        char *po = p[0];                                                                      \
        const char *pa = p[1], *pb = p[2];                                                    \
        for (int64_t i = 0; i < n; i++, po += st[0], pa += st[1], pb += st[2]) {              \
            const T x = *(const T *)pa, y = *(const T *)pb;                                   \
            if (LM_UNLIKELY(BAD)) {                                                           \
                *bad = 1;                                                                     \
                return;                                                                       \
            }                                                                                 \
            *(T *)po = (EXPR);                                                                \
        }                                                                                     \
    }

/* A unary loop: out (U) = EXPR of x (T). */
#define LM_EW_UNARY_LOOP(NAME, T, U, EXPR)                                                    \
    static void NAME(int64_t n, char **p, const int64_t *st, void *ctx) {                     \
        (void)ctx;                                                                            \
        if (st[0] == (int64_t)sizeof(U) && st[1] == (int64_t)sizeof(T)) {                     \
            U *restrict o = (U *)p[0];                                                        \
            const T *restrict a_ = (const T *)p[1];                                           \
            for (int64_t i = 0; i < n; i++) {                                                 \
                const T x = a_[i];                                                            \
                o[i] = (U)(EXPR);                                                             \
            }                                                                                 \
            return;                                                                           \
        }                                                                                     \
        char *po = p[0];                                                                      \
        const char *pa = p[1];                                                                \
        for (int64_t i = 0; i < n; i++, po += st[0], pa += st[1]) {                           \
            const T x = *(const T *)pa;                                                       \
            *(U *)po = (U)(EXPR);                                                             \
        }                                                                                     \
    }

/* float16 / bfloat16 operands: lm_ew_half_loop converts chunks of each half input to float32 on
 * the stack, runs the float32 loop `f32` on them, and converts the float32 result back to the
 * half dtype (or copies it when the output is bool, as for comparisons). No allocation, and the
 * values equal widening with lm_widen, computing in float32 and lm_cast-ing back. Inputs with
 * step 0 (broadcast scalars) are converted once and stay step 0 for the float32 loop. */
typedef struct lm_ew_half {
    lm_loop_fn f32;   /* the float32 loop */
    void *ctx;        /* its context */
    int nargs;        /* operands, the output included */
    lm_dtype half;    /* LM_FLOAT16 or LM_BFLOAT16: the dtype of every input */
    int out_bool;     /* the output is bool, not `half` */
} lm_ew_half;
void lm_ew_half_loop(int64_t n, char **p, const int64_t *step, void *ctx);

/* Whether two tensors have the same shape. */
static inline bool lm_ew_same_shape(const lm_tensor *a, const lm_tensor *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

#endif
