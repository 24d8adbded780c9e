/* gemm.c — the choice of kernel set, the thread policy, the scratch allocator, and the driver
 * (gemm_driver.inc) instantiated for float, double, uint32_t and uint64_t. The kernel sets live
 * in kernels/<isa>/gemm_*.c, each compiled with its folder's flags. */
#include "gemm/gemm.h"

#include "internal.h"
#include "kernels/kernels.h"
#include "gemm/ukernel_ref.inc"
#include "ops/scalar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* malloc + manual alignment (aligned_alloc costs ~140 ns a call here); the pointer malloc gave
 * is kept just below the aligned block. */
void *lm_gemm_alloc(size_t nbytes) {
    if (nbytes == 0 || nbytes > SIZE_MAX - 128) return NULL;
    char *raw = malloc(nbytes + 64 + sizeof(void *));
    if (!raw) return NULL;
    uintptr_t p = ((uintptr_t)raw + sizeof(void *) + 63) & ~(uintptr_t)63;
    memcpy((char *)p - sizeof(void *), &raw, sizeof raw);
    return (void *)p;
}

void lm_gemm_free(void *p) {
    if (!p) return;
    void *raw;
    memcpy(&raw, (char *)p - sizeof(void *), sizeof raw);
    free(raw);
}

/* A packed product is split over threads only when each thread gets at least this many flops:
 * about 50 us of work on one core, well above the cost of handing work to a worker and of
 * packing a second copy of the shared operand. A skinny product (no packing, bound by reading
 * B) is split sooner: each thread then streams its own part of B. */
#define LM_GEMM_FLOPS_PER_THREAD (2.0 * 1024 * 1024)
#define LM_GEMM_SKINNY_FLOPS_PER_THREAD (64.0 * 1024)

int lm_gemm_threads(int64_t m, int64_t n, int64_t k, int skinny, int threads) {
    if (threads <= 1) return 1;
    double flops = 2.0 * (double)m * (double)n * (double)k;
    double t = flops / (skinny ? LM_GEMM_SKINNY_FLOPS_PER_THREAD : LM_GEMM_FLOPS_PER_THREAD);
    if (t < 2) return 1;
    return t < threads ? (int)t : threads;
}

/* The integer GEMMs always use the portable kernels (no ISA set has its own). */
DEFINE_UKERNEL(ukernel_ref_u32, uint32_t, 4, 8)
DEFINE_UKERNEL(ukernel_ref_u64, uint64_t, 4, 4)
static const lm_gemm_kernel_u32 gemm_ref_u32 = {
    .name = "ref-4x8", .mr = 4, .nr = 8, .mc = 128, .kc = 256, .nc = 2048, .small = 16,
    .ukernel = ukernel_ref_u32,
};
static const lm_gemm_kernel_u64 gemm_ref_u64 = {
    .name = "ref-4x4", .mr = 4, .nr = 4, .mc = 96, .kc = 256, .nc = 1024, .small = 16,
    .ukernel = ukernel_ref_u64,
};

const lm_gemm_kernel_f32 *lm_gemm_select_f32(void) {
    const lm_gemm_kernel_f32 *k = lm_kernels()->gemm_f32;
    return k ? k : &lm_gemm_ref_f32;
}
const lm_gemm_kernel_f64 *lm_gemm_select_f64(void) {
    const lm_gemm_kernel_f64 *k = lm_kernels()->gemm_f64;
    return k ? k : &lm_gemm_ref_f64;
}
const char *lm_gemm_kernel_name(lm_dtype dt) {
    if (dt == LM_FLOAT64) return lm_gemm_select_f64()->name;
    if (lm_dtype_is_float(dt)) return lm_gemm_select_f32()->name;  /* half dtypes widen */
    return dt == LM_INT64 ? gemm_ref_u64.name : gemm_ref_u32.name;
}
const lm_gemm_kernel_u32 *lm_gemm_select_u32(void) { return &gemm_ref_u32; }
const lm_gemm_kernel_u64 *lm_gemm_select_u64(void) { return &gemm_ref_u64; }

#define S f32
#define T float
#define LM_GEMM_FLOAT
#define TANH tanhf
#include "gemm_driver.inc"
#undef S
#undef T
#undef TANH

#define S f64
#define T double
#define TANH tanh
#include "gemm_driver.inc"
#undef S
#undef T
#undef TANH
#undef LM_GEMM_FLOAT

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

/* ---- the GEMM of each dtype behind one type-erased entry (gemm.h: lm_gemm_of) --------------- */
#define LM_GEMM_ENTRY(S, T)                                                                   \
    static const void *select_##S(void) { return lm_gemm_select_##S(); }                     \
    static size_t workspace_##S(const void *kr, int64_t m, int64_t n, int64_t k, int64_t rsa, \
                                int64_t csa, int64_t rsb, int64_t csb, int threads) {         \
        return lm_gemm_workspace_##S(kr, m, n, k, rsa, csa, rsb, csb, threads);               \
    }                                                                                         \
    static void run_##S(const void *kr, int64_t m, int64_t n, int64_t k, const void *a,       \
                        int64_t rsa, int64_t csa, const void *b, int64_t rsb, int64_t csb,    \
                        void *c, int64_t rsc, int64_t csc, const void *bias, int act,         \
                        void *work, int threads) {                                            \
        lm_gemm_##S##_ws(kr, m, n, k, (const T *)a, rsa, csa, (const T *)b, rsb, csb, (T *)c, \
                         rsc, csc, (const T *)bias, act, work, threads);                      \
    }                                                                                         \
    static const lm_gemm_entry entry_##S = {select_##S, workspace_##S, run_##S};
LM_GEMM_ENTRY(f32, float)
LM_GEMM_ENTRY(f64, double)
LM_GEMM_ENTRY(u32, uint32_t)
LM_GEMM_ENTRY(u64, uint64_t)

const lm_gemm_entry *lm_gemm_of(lm_dtype dt) {
    /* int32 / int64 run the unsigned GEMMs: the same bits, and products wrap without UB */
    static const lm_gemm_entry *const ENTRIES[LM_NDTYPE] = {
        [LM_INT32] = &entry_u32, [LM_INT64] = &entry_u64,
        [LM_FLOAT32] = &entry_f32, [LM_FLOAT64] = &entry_f64,
    };
    return (unsigned)dt < LM_NDTYPE ? ENTRIES[dt] : NULL;
}
