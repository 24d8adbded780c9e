/* gemm.h — a blocked GEMM: C = A * B for strided operands (internal to liblamina).
 *
 * Element (i, p) of A is a[i * rsa + p * csa], element (p, j) of B is b[p * rsb + j * csb] and
 * element (i, j) of C is c[i * rsc + j * csc]: transposed, sliced and negative-step operands are
 * all just strides, and the packing step reads them in place (no copy of a whole operand).
 * C is overwritten (never read), so it needs no initialisation; K = 0 gives zeros. An optional
 * epilogue (lm_gemm_epilogue) turns C = A * B into C = act(A * B + bias) while each tile of C is
 * still in cache.
 *
 * Four element types share one driver (gemm_driver.inc): float, double, and the integer types,
 * which are computed in uint32_t / uint64_t so that overflow wraps (two's complement, as NumPy's
 * results) without undefined behaviour.
 *
 * The seam for per-ISA code is lm_gemm_kernel_<T>, BLIS's context: a micro-kernel and its tile
 * (mr x nr), packing routines that fit it, a skinny-product kernel, and the cache blocking
 * (mc, kc, nc), all data. lm_gemm_select_<T>() takes them from the active kernel table
 * (kernels/kernels.h: ref, avx2, avx512), so lamina.set_isa switches the GEMM too.
 *
 * Threads: a product big enough is split over the pool (runtime/pool.c) into a grid of C blocks,
 * each packed and computed by one thread. Every C element is computed by one thread with the
 * same K order whatever the grid, so results do not depend on the thread count.
 */
#ifndef LAMINA_GEMM_H
#define LAMINA_GEMM_H

#include "lamina/lamina.h"

/* The micro-kernel contract (BLIS's, row-major):
 *     c[i * rsc + j * csc] (=, or += when accumulate) sum_{p < kc} a[p * mr + i] * b[p * ldb + j]
 * for i < m <= mr, j < n <= nr, from a packed panel a (kc x mr, k-major, zero-padded past m) and
 * nr values of B per k step: a packed panel (ldb = nr, zero-padded past n) or, for a full panel,
 * B itself read in place (ldb = B's row stride; the `direct_b` case below). The kernel handles
 * edge tiles (m < mr, n < nr) and any C strides itself; with accumulate == 0 it never reads C
 * (which may hold garbage or NaN). Every element's sum runs over p in order, the same for every
 * position in the tile, so results do not depend on where a tile boundary falls.
 *
 * A packing routine stores an mn x kc block of X (element (i, p) at x[i * s_mn + p * s_k]) as
 * ceil(mn / r) micro-panels of kc x r, k-major, zero-padded past mn; r is mr for A (s_mn = rsa,
 * s_k = csa) and nr for B (the transposed view: s_mn = csb, s_k = rsb).
 *
 * The skinny kernel computes C = A * B for any m (the driver calls it for m <= small) when B's
 * rows are contiguous (csb == 1): each C element is one fused chain over p in order, so results
 * do not depend on how columns are split between threads.
 *
 * The dot kernel computes C = A * B when A's rows (csa == 1) and B's columns (rsb == 1) are both
 * contiguous along k: c[i, j] = dot(a + i * rsa, b + j * csb), each element summed the same way
 * wherever it sits, so any split of rows or columns gives the same bits.
 *
 * The epilogue applies c[i, j] = act(c[i, j] + bias[j]) (bias may be NULL; act an lm_act of
 * lamina.h) to an m x n block; its result for an element does not depend on the block. */
#define LM_GEMM_DECLARE(S, T)                                                                  \
    typedef void (*lm_ukernel_##S)(int64_t m, int64_t n, int64_t kc, const T *a, const T *b,   \
                                   int64_t ldb, T *c, int64_t rsc, int64_t csc, int accumulate); \
    typedef void (*lm_gemm_pack_##S)(int64_t mn, int64_t kc, const T *x, int64_t s_mn,         \
                                     int64_t s_k, T *dst);                                     \
    typedef void (*lm_gemm_skinny_##S)(int64_t m, int64_t n, int64_t k, const T *a,            \
                                       int64_t rsa, int64_t csa, const T *b, int64_t rsb, T *c, \
                                       int64_t rsc, int64_t csc);                              \
    typedef void (*lm_gemm_dot_##S)(int64_t m, int64_t n, int64_t k, const T *a, int64_t rsa,  \
                                    const T *b, int64_t csb, T *c, int64_t rsc, int64_t csc);  \
    typedef void (*lm_gemm_epi_##S)(int64_t m, int64_t n, T *c, int64_t rsc, int64_t csc,      \
                                    const T *bias, int act);                                   \
    typedef struct lm_gemm_kernel_##S {                                                        \
        const char *name;                                                                      \
        int mr, nr;          /* the micro-kernel's tile */                                    \
        int64_t mc, kc, nc;  /* blocks: A mc x kc (stays in L2), B kc x nc (L3); mc % mr ==   \
                                0 and nc % nr == 0 */                                          \
        int64_t small;       /* M or N up to this: the unpacked skinny paths (0: never) */    \
        int64_t direct_b;    /* blocks of up to this many rows read a row-major B in place     \
                                instead of packing it (0: always pack) */                      \
        lm_ukernel_##S ukernel;                                                                \
        lm_gemm_pack_##S pack_a, pack_b;  /* NULL: the driver's portable packing */            \
        lm_gemm_skinny_##S skinny;        /* NULL: the driver's portable axpy form */          \
        lm_gemm_dot_##S dot;              /* NULL: the driver's portable dot products */       \
        lm_gemm_epi_##S epilogue;         /* NULL: the driver's portable epilogue */           \
    } lm_gemm_kernel_##S;                                                                      \
    const lm_gemm_kernel_##S *lm_gemm_select_##S(void);                                       \
    /* Bytes of scratch lm_gemm_##S##_ws needs for this problem with these operand strides    \
     * and this kernel set on up to `threads` threads (0 when none: a skinny path packs        \
     * nothing); C's layout does not matter. Select kr once and pass it to both calls.  */     \
    size_t lm_gemm_workspace_##S(const lm_gemm_kernel_##S *kr, int64_t m, int64_t n,           \
                                 int64_t k, int64_t rsa, int64_t csa, int64_t rsb,             \
                                 int64_t csb, int threads);                                    \
    /* C = epi(A * B) with scratch `work` of lm_gemm_workspace_##S(kr, ..., threads) bytes,    \
     * 64-byte aligned, on up to `threads` threads of the pool (1: the calling thread only).   \
     * bias and act: see the epilogue above (NULL, LM_ACT_NONE: the plain product). */         \
    void lm_gemm_##S##_ws(const lm_gemm_kernel_##S *kr, int64_t m, int64_t n, int64_t k,       \
                          const T *a, int64_t rsa, int64_t csa, const T *b, int64_t rsb,       \
                          int64_t csb, T *c, int64_t rsc, int64_t csc, const T *bias, int act, \
                          void *work, int threads);

LM_GEMM_DECLARE(f32, float)
LM_GEMM_DECLARE(f64, double)
LM_GEMM_DECLARE(u32, uint32_t)
LM_GEMM_DECLARE(u64, uint64_t)

/* The GEMM of one dtype with its element type erased, so that callers index it by dtype instead
 * of switching: select the kernel set once per call, size the scratch with it, run with it (the
 * functions above: a, b, c and bias point at elements of the dtype). */
typedef struct lm_gemm_entry {
    const void *(*select)(void);
    size_t (*workspace)(const void *kr, int64_t m, int64_t n, int64_t k, int64_t rsa,
                        int64_t csa, int64_t rsb, int64_t csb, int threads);
    void (*run)(const void *kr, int64_t m, int64_t n, int64_t k, const void *a, int64_t rsa,
                int64_t csa, const void *b, int64_t rsb, int64_t csb, void *c, int64_t rsc,
                int64_t csc, const void *bias, int act, void *work, int threads);
} lm_gemm_entry;
/* int32 and int64 (computed as uint32_t / uint64_t: wrapping), float32, float64; NULL for the
 * other dtypes (bool; float16 and bfloat16 are widened to float32 first). */
const lm_gemm_entry *lm_gemm_of(lm_dtype dt);

/* The kernel sets (csrc/kernels/<isa>/gemm_*.c), reached through the kernel tables. */
extern const lm_gemm_kernel_f32 lm_gemm_ref_f32;
extern const lm_gemm_kernel_f64 lm_gemm_ref_f64;

/* c = act(c + bias) over an m x n block with kernel set kr's epilogue (gemm.h's contract). */
void lm_gemm_epilogue_f32(const lm_gemm_kernel_f32 *kr, int64_t m, int64_t n, float *c,
                          int64_t rsc, int64_t csc, const float *bias, int act);

/* How many threads a product of this size is worth (1..threads): small products stay on the
 * calling thread, where they cost less than waking a worker. skinny: the unpacked paths. */
int lm_gemm_threads(int64_t m, int64_t n, int64_t k, int skinny, int threads);

/* Scratch for the GEMM: 64-byte aligned, NULL on failure (also for size 0: check the size). */
void *lm_gemm_alloc(size_t nbytes);
void lm_gemm_free(void *p);

#endif
