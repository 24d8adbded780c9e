/* gemm_ref.c — the portable GEMM kernel set: plain-C micro-kernels (gemm/ukernel_ref.inc) with
 * tiles sized for the baseline x86-64 target (16 SSE registers) and similar 128-bit SIMD, and
 * the driver's portable packing, skinny path and epilogue. */
#include "gemm/gemm.h"
#include "gemm/ukernel_ref.inc"

DEFINE_UKERNEL(ukernel_ref_f32, float, 4, 8)
DEFINE_UKERNEL(ukernel_ref_f64, double, 4, 4)

/* Blocking: the mc x kc block of A (f32: 128 KiB) stays in L2 while the micro-kernel streams
 * kc x nr slivers of B (8 KiB) from L1; the kc x nc panel of B (2 MiB) is shared by all row
 * blocks from L3. */
const lm_gemm_kernel_f32 lm_gemm_ref_f32 = {
    .name = "ref-4x8", .mr = 4, .nr = 8, .mc = 128, .kc = 256, .nc = 2048, .small = 16,
    .ukernel = ukernel_ref_f32,
};
const lm_gemm_kernel_f64 lm_gemm_ref_f64 = {
    .name = "ref-4x4", .mr = 4, .nr = 4, .mc = 96, .kc = 256, .nc = 1024, .small = 16,
    .ukernel = ukernel_ref_f64,
};
