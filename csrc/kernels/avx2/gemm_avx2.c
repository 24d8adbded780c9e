/* The AVX2 + FMA GEMM kernel set for the avx2 table (see gemm_avx2.inc). */
#define LM_GEMM_ISA avx2
#include "gemm_avx2.inc"
