/* The avx512 kernel table: avx2's, with the float32 loops compiled for AVX-512 and the AVX-512
 * GEMM. */
#include "../binary_f32.inc"

void lm_kernels_init_avx512(lm_kernel_table *t) {
    lm_kernels_init_avx2(t);
    t->name = "avx512";
    binary_f32_fill(t);
    t->gemm_f32 = &lm_gemm_avx512_f32;
    t->gemm_f64 = &lm_gemm_avx512_f64;
    t->f32_dw_row = lm_avx512_dw_row_f32;
    t->f32_conv_row = lm_avx512_conv_row_f32;
    t->f32_conv_tile = lm_avx512_conv_tile_f32;
    t->f32_conv_wgrad = lm_avx512_conv_wgrad_f32;
}
