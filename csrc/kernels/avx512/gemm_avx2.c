/* The AVX-512 table's GEMM kernel set: for now the AVX2 + FMA kernels (gemm_avx2.inc), built with
 * this folder's flags. No AVX-512 micro-kernel is the default until one has been tested on an
 * AVX-512 machine. */
#define LM_GEMM_ISA avx512
#include "../avx2/gemm_avx2.inc"
