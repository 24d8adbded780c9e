/* The avx512 kernel table: avx2's, with the float32 loops compiled for AVX-512, the 16-lane
 * vector math (unary_avx512.c) and the AVX-512 GEMM (gemm_avx512.c). */
#include "../binary_f32.inc"

void lm_kernels_init_avx512(lm_kernel_table *t) {
    lm_kernels_init_avx2(t);
    t->name = "avx512";
    binary_f32_fill(t);
    t->f32_unary[LM_EXP] = lm_avx512_f32_exp;
    t->f32_unary[LM_LOG] = lm_avx512_f32_log;
    t->f32_unary[LM_LOG1P] = lm_avx512_f32_log1p;
    t->f32_unary[LM_TANH] = lm_avx512_f32_tanh;
    t->f32_unary[LM_SIGMOID] = lm_avx512_f32_sigmoid;
    t->f32_unary[LM_ERF] = lm_avx512_f32_erf;
    t->f32_unary[LM_SOFTPLUS] = lm_avx512_f32_softplus;
    t->f32_unary[LM_RELU] = lm_avx512_f32_relu;
    t->gemm_f32 = &lm_gemm_avx512_f32;
    t->gemm_f64 = &lm_gemm_avx512_f64;
    t->f32_dw_row = lm_avx512_dw_row_f32;
    t->f32_conv_row = lm_avx512_conv_row_f32;
    t->f32_conv_tile = lm_avx512_conv_tile_f32;
    t->f32_conv_wgrad = lm_avx512_conv_wgrad_f32;
}
