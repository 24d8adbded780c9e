/* gemm.c — the portable reference micro-kernels, their blocking, and the driver instantiated for
 * float, double, uint32_t and uint64_t (see gemm.h and gemm_driver.inc). */
#include "gemm/gemm.h"

#include "internal.h"

#include <stdlib.h>

void *lm_gemm_alloc(size_t nbytes) {
    if (nbytes == 0 || nbytes > SIZE_MAX - 63) return NULL;
    return aligned_alloc(64, (nbytes + 63) & ~(size_t)63);
}

void lm_gemm_free(void *p) { free(p); }

/* A register-tiled micro-kernel in plain C: the MR x NR accumulators are a local array with
 * compile-time bounds, which GCC and Clang fully unroll into vector registers at -O3 (the j loop
 * becomes SIMD lanes, the i loop separate registers). Per k step it loads MR values of A and NR
 * of B, both packed contiguously, and does MR * NR multiply-adds. */
#define DEFINE_UKERNEL(NAME, T, MR, NR)                                                          \
    static void NAME(int64_t kc, const T *restrict a, const T *restrict b, T *restrict c,       \
                     int64_t ldc, int accumulate) {                                             \
        T ab[MR][NR];                                                                           \
        for (int i = 0; i < MR; i++)                                                            \
            for (int j = 0; j < NR; j++) ab[i][j] = 0;                                          \
        for (int64_t p = 0; p < kc; p++, a += MR, b += NR)                                      \
            for (int i = 0; i < MR; i++) {                                                      \
                T ai = a[i];                                                                    \
                for (int j = 0; j < NR; j++) ab[i][j] += ai * b[j];                             \
            }                                                                                   \
        if (accumulate) {                                                                       \
            for (int i = 0; i < MR; i++)                                                        \
                for (int j = 0; j < NR; j++) c[i * ldc + j] += ab[i][j];                        \
        } else {                                                                                \
            for (int i = 0; i < MR; i++)                                                        \
                for (int j = 0; j < NR; j++) c[i * ldc + j] = ab[i][j];                         \
        }                                                                                       \
    }

/* Tiles sized for the baseline x86-64 target (16 SSE registers) and similar 128-bit SIMD:
 * accumulators + a row of B + one broadcast value must fit without spilling. */
DEFINE_UKERNEL(ukernel_ref_f32, float, 4, 8)
DEFINE_UKERNEL(ukernel_ref_f64, double, 4, 4)
DEFINE_UKERNEL(ukernel_ref_u32, uint32_t, 4, 8)
DEFINE_UKERNEL(ukernel_ref_u64, uint64_t, 4, 4)

/* Blocking: the mc x kc block of A (f32: 128 KiB) stays in L2 while the micro-kernel streams
 * kc x nr slivers of B (8 KiB) from L1; the kc x nc panel of B (2 MiB) is shared by all row
 * blocks from L3. */
static const lm_gemm_kernel_f32 gemm_ref_f32 = {"ref", 4, 8, 128, 256, 2048, 16, ukernel_ref_f32};
static const lm_gemm_kernel_f64 gemm_ref_f64 = {"ref", 4, 4, 96, 256, 1024, 16, ukernel_ref_f64};
static const lm_gemm_kernel_u32 gemm_ref_u32 = {"ref", 4, 8, 128, 256, 2048, 16, ukernel_ref_u32};
static const lm_gemm_kernel_u64 gemm_ref_u64 = {"ref", 4, 4, 96, 256, 1024, 16, ukernel_ref_u64};

/* The per-ISA choice goes here (see kernels/kernels.h); today every ISA uses the reference. */
const lm_gemm_kernel_f32 *lm_gemm_select_f32(void) { return &gemm_ref_f32; }
const lm_gemm_kernel_f64 *lm_gemm_select_f64(void) { return &gemm_ref_f64; }
const lm_gemm_kernel_u32 *lm_gemm_select_u32(void) { return &gemm_ref_u32; }
const lm_gemm_kernel_u64 *lm_gemm_select_u64(void) { return &gemm_ref_u64; }

#define S f32
#define T float
#include "gemm_driver.inc"
#undef S
#undef T

#define S f64
#define T double
#include "gemm_driver.inc"
#undef S
#undef T

#define S u32
#define T uint32_t
#include "gemm_driver.inc"
#undef S
#undef T

#define S u64
#define T uint64_t
#include "gemm_driver.inc"
#undef S
#undef T
