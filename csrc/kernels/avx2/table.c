/* The avx2 kernel table: ref's, with the float32 loops compiled for AVX2, the vector unary
 * polynomials and the AVX2 GEMM. */
#include "../binary_f32.inc"

void lm_kernels_init_avx2(lm_kernel_table *t) {
    lm_kernels_init_ref(t);
    t->name = "avx2";
    binary_f32_fill(t);
    t->f32_unary[LM_EXP] = lm_avx2_f32_exp;
    t->f32_unary[LM_LOG] = lm_avx2_f32_log;
    t->f32_unary[LM_TANH] = lm_avx2_f32_tanh;
    t->f32_unary[LM_SIGMOID] = lm_avx2_f32_sigmoid;
    t->f32_unary[LM_ERF] = lm_avx2_f32_erf;
    t->f32_unary[LM_RELU] = lm_avx2_f32_relu;
    t->gemm_f32 = &lm_gemm_avx2_f32;
    t->gemm_f64 = &lm_gemm_avx2_f64;
}
