/* The avx512 kernel table. */
#include "../binary_f32.inc"

const lm_kernel_table lm_kernels_avx512 = {
    .name = "avx512",
    .f32_add = k_add,
    .f32_sub = k_sub,
    .f32_mul = k_mul,
    .f32_div = k_div,

    /* ---- GEMM ---- */
    .gemm_f32 = &lm_gemm_avx512_f32,
    .gemm_f64 = &lm_gemm_avx512_f64,
};
