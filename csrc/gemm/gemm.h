/* gemm.h — a portable blocked GEMM: C = A * B for strided operands (internal to liblamina).
 *
 * Element (i, p) of A is a[i * rsa + p * csa], element (p, j) of B is b[p * rsb + j * csb] and
 * element (i, j) of C is c[i * rsc + j * csc]: transposed, sliced and negative-step operands are
 * all just strides, and the packing step reads them in place (no copy of a whole operand).
 * C is overwritten (never read), so it needs no initialisation; K = 0 gives zeros.
 *
 * Four element types share one driver (gemm_driver.inc): float, double, and the integer types,
 * which are computed in uint32_t / uint64_t so that overflow wraps (two's complement, as NumPy's
 * results) without undefined behaviour.
 *
 * The seam for per-ISA code is lm_gemm_kernel_<T>: the micro-kernel and its tile (mr x nr) and
 * the cache blocking (mc, kc, nc) are data, chosen by lm_gemm_select_<T>(). Only the portable
 * reference set exists today.
 */
#ifndef LAMINA_GEMM_H
#define LAMINA_GEMM_H

#include "lamina/lamina.h"

/* A micro-kernel computes one full mr x nr tile from packed panels:
 *     c[i * ldc + j] (=, or += when accumulate) sum_{p < kc} a[p * mr + i] * b[p * nr + j]
 * a: kc x mr, k-major (mr values per k); b: kc x nr, k-major. Edge tiles never reach it: the
 * driver zero-pads the panels and lets it write a scratch tile. It must not read c when
 * accumulate is 0. Pointers into the packed panels are element-aligned only. */
#define LM_GEMM_DECLARE(S, T)                                                                  \
    typedef void (*lm_ukernel_##S)(int64_t kc, const T *a, const T *b, T *c, int64_t ldc,     \
                                   int accumulate);                                            \
    typedef struct lm_gemm_kernel_##S {                                                        \
        const char *name;                                                                      \
        int mr, nr;          /* the micro-kernel's tile */                                    \
        int64_t mc, kc, nc;  /* blocks: A mc x kc (stays in L2), B kc x nc (L3); mc % mr ==   \
                                0 and nc % nr == 0 */                                          \
        int64_t small;       /* M or N up to this: the unpacked skinny paths (0: never) */    \
        lm_ukernel_##S ukernel;                                                                \
    } lm_gemm_kernel_##S;                                                                      \
    const lm_gemm_kernel_##S *lm_gemm_select_##S(void);                                       \
    /* Bytes of scratch lm_gemm_##S##_ws needs for this problem with these operand strides    \
     * (0 when none: a skinny path that packs nothing); C's layout does not matter. */        \
    size_t lm_gemm_workspace_##S(int64_t m, int64_t n, int64_t k, int64_t rsa, int64_t csa,    \
                                 int64_t rsb, int64_t csb);                                    \
    /* C = A * B with scratch `work` of lm_gemm_workspace_##S bytes, 64-byte aligned. */       \
    void lm_gemm_##S##_ws(int64_t m, int64_t n, int64_t k, const T *a, int64_t rsa,            \
                          int64_t csa, const T *b, int64_t rsb, int64_t csb, T *c, int64_t rsc, \
                          int64_t csc, void *work);                                            \
    /* The same, allocating (and freeing) its scratch; C row-major with row stride ldc.        \
     * LM_ENOMEM if the scratch cannot be allocated. */                                        \
    lm_status lm_gemm_##S(int64_t m, int64_t n, int64_t k, const T *a, int64_t rsa,            \
                          int64_t csa, const T *b, int64_t rsb, int64_t csb, T *c, int64_t ldc);

LM_GEMM_DECLARE(f32, float)
LM_GEMM_DECLARE(f64, double)
LM_GEMM_DECLARE(u32, uint32_t)
LM_GEMM_DECLARE(u64, uint64_t)

/* Scratch for the GEMM: 64-byte aligned, NULL on failure (also for size 0: check the size). */
void *lm_gemm_alloc(size_t nbytes);
void lm_gemm_free(void *p);

#endif
