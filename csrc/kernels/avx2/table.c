/* The avx2 kernel table. */
#include "../binary_f32.inc"

const lm_kernel_table lm_kernels_avx2 = {
    .name = "avx2",
    .f32_add = k_add,
    .f32_sub = k_sub,
    .f32_mul = k_mul,
    .f32_div = k_div,

    /* ---- GEMM ---- */
    .gemm_f32 = &lm_gemm_avx2_f32,
    .gemm_f64 = &lm_gemm_avx2_f64,
};
