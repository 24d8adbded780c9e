/* The ref kernel table. */
#include "../binary_f32.inc"

#include <math.h>

/* The float32 unary loops: the libm formulas of ops/unary.c, so that the ref ISA gives the
 * scalar results exactly (sigmoid: exp(-|x|) never overflows; relu keeps NaN). */
static inline float sigmoid1(float x) {
    float e = expf(-fabsf(x));
    return x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
}
#define LM_UN_LOOP(NAME, EXPR)                                                                 \
    static void NAME(int64_t n, const float *x, float *out) {                                  \
        for (int64_t i = 0; i < n; i++) {                                                      \
            const float v = x[i];                                                              \
            out[i] = EXPR;                                                                     \
        }                                                                                      \
    }
LM_UN_LOOP(k_exp, expf(v))
LM_UN_LOOP(k_log, logf(v))
LM_UN_LOOP(k_tanh, tanhf(v))
LM_UN_LOOP(k_sigmoid, sigmoid1(v))
LM_UN_LOOP(k_erf, erff(v))
LM_UN_LOOP(k_relu, (v > 0) | (v != v) ? v : 0.0f)

const lm_kernel_table lm_kernels_ref = {
    .name = "ref",
    .f32_add = k_add,
    .f32_sub = k_sub,
    .f32_mul = k_mul,
    .f32_div = k_div,
    .f32_exp = k_exp,
    .f32_log = k_log,
    .f32_tanh = k_tanh,
    .f32_sigmoid = k_sigmoid,
    .f32_erf = k_erf,
    .f32_relu = k_relu,

    /* ---- GEMM ---- */
    .gemm_f32 = &lm_gemm_ref_f32,
    .gemm_f64 = &lm_gemm_ref_f64,

    /* ---- convolution ---- */
    .f32_dw_row = lm_ref_dw_row_f32,
};
