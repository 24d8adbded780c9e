/* The avx512 kernel table. */
#include "../binary_f32.inc"

const lm_kernel_table lm_kernels_avx512 = {
    .name = "avx512",
    .f32_add = k_add,
    .f32_sub = k_sub,
    .f32_mul = k_mul,
    .f32_div = k_div,
    .f32_exp = lm_avx512_f32_exp,
    .f32_log = lm_avx512_f32_log,
    .f32_tanh = lm_avx512_f32_tanh,
    .f32_sigmoid = lm_avx512_f32_sigmoid,
    .f32_erf = lm_avx512_f32_erf,
    .f32_relu = lm_avx512_f32_relu,
    .f32_log1p = lm_avx512_f32_log1p,
    .f32_softplus = lm_avx512_f32_softplus,

    /* ---- GEMM ---- */
    .gemm_f32 = &lm_gemm_avx512_f32,
    .gemm_f64 = &lm_gemm_avx512_f64,
};
