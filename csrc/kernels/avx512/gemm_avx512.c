/* The AVX-512 table's GEMM kernel sets: 12 x 32 float32 and 12 x 16 float64 micro-kernels.
 *
 * The tile is BLIS's skx 32 x 12 transposed for row-major C: per k step two zmm loads of packed
 * B (one row of the tile), twelve vbroadcastss of packed A, 24 FMAs into 24 accumulators; two
 * 512-bit FMA pipes of latency 4 need at least 8 independent chains, and 27 of the 32 zmm
 * registers are live, so GCC keeps the loop free of spills with plain intrinsics (checked in the
 * generated code). FMAs with an embedded {1to16} broadcast of A instead ran at half the speed on
 * the Sapphire Rapids class test machine. In L1 the kernel runs at ~85% of the FMA peak; the k
 * loop is unrolled by 4 with A and B prefetched LM512_PFA / LM512_PFB steps ahead.
 * Edge tiles (m < 12 rows, n < 32 columns) run the same loop on the zero-padded panels and store
 * only their m x n part through masks; the per-element chain is the full tile's, so where a tile
 * boundary falls changes no bit.
 *
 * The skinny, dot and epilogue paths are the AVX2 ones of kernels/avx2/gemm_avx2.inc built with
 * this folder's flags (the epilogue with the AVX-512 vector math of vmath_avx512.h). */
#define LM_GEMM_ISA avx2_in_avx512
#include "../avx2/gemm_avx2.inc"
#include "vmath_avx512.h"

#ifndef LM512_PFB
#define LM512_PFB 8
#endif
#ifndef LM512_PFA
#define LM512_PFA 8
#endif
#define LM512_MC 384
#define LM512_KC 384
#define LM512_NC 4096

/* Packing for 12-row panels of A and 32 / 16-column panels of B (gemm/gemm.h's layout). */
DEFINE_PACK(pack12_f32, float, 12)
DEFINE_PACK(pack32_f32, float, 32)
DEFINE_PACK(pack12_f64, double, 12)
DEFINE_PACK(pack16_f64, double, 16)

/* NAME: the micro-kernel for element T, W lanes per zmm (the tile is 12 x 2W). */
#define DEFINE_UK512(NAME, T, VEC, W, MASK, LOADU, SET1, FMA, ZERO, ADD, MASKZ_LOAD, MASK_STORE,   \
                     STORE)                                                                        \
    static void NAME(int64_t m, int64_t n, int64_t kc, const T *restrict a, const T *restrict b,  \
                     int64_t ldb, T *restrict c, int64_t rsc, int64_t csc, int accumulate) {      \
        VEC acc[12][2];                                                                            \
        _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) acc[i][0] = acc[i][1] = ZERO();     \
        if (csc == 1)                                                                              \
            for (int i = 0; i < m; i++) _mm_prefetch((const char *)(c + i * rsc), _MM_HINT_T0);   \
        _Pragma("GCC unroll 4") for (int64_t p = 0; p < kc; p++, a += 12, b += ldb) {             \
            _mm_prefetch((const char *)(b + LM512_PFB * ldb), _MM_HINT_T0);                        \
            _mm_prefetch((const char *)(a + LM512_PFA * 12), _MM_HINT_T0);                         \
            VEC b0 = LOADU(b), b1 = LOADU(b + W);                                                 \
            _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) {                               \
                VEC ai = SET1(a[i]);                                                               \
                acc[i][0] = FMA(ai, b0, acc[i][0]);                                                \
                acc[i][1] = FMA(ai, b1, acc[i][1]);                                                \
            }                                                                                      \
        }                                                                                          \
        if (csc == 1) { /* rows of C, masked to the tile's n columns */                           \
            MASK k0 = n >= W ? (MASK)-1 : (MASK)((1u << n) - 1);                                   \
            MASK k1 = n >= 2 * W ? (MASK)-1 : n <= W ? 0 : (MASK)((1u << (n - W)) - 1);            \
            _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) {                               \
                if (i >= m) break;                                                                 \
                T *ci = c + i * rsc;                                                               \
                VEC v0 = acc[i][0], v1 = acc[i][1];                                                \
                if (accumulate) {                                                                  \
                    v0 = ADD(v0, MASKZ_LOAD(k0, ci));                                              \
                    v1 = ADD(v1, MASKZ_LOAD(k1, ci + W));                                          \
                }                                                                                  \
                MASK_STORE(ci, k0, v0);                                                            \
                MASK_STORE(ci + W, k1, v1);                                                        \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        _Alignas(64) T t[2 * W]; /* strided C: through a buffer */                                \
        for (int64_t i = 0; i < m; i++) {                                                          \
            STORE(t, acc[i][0]);                                                                   \
            STORE(t + W, acc[i][1]);                                                               \
            for (int64_t j = 0; j < n; j++) {                                                      \
                T *dst = c + i * rsc + j * csc;                                                    \
                *dst = accumulate ? *dst + t[j] : t[j];                                            \
            }                                                                                      \
        }                                                                                          \
    }

DEFINE_UK512(ukernel_12x32_f32, float, __m512, 16, __mmask16, _mm512_loadu_ps, _mm512_set1_ps,
             _mm512_fmadd_ps, _mm512_setzero_ps, _mm512_add_ps, _mm512_maskz_loadu_ps,
             _mm512_mask_storeu_ps, _mm512_store_ps)
DEFINE_UK512(ukernel_12x16_f64, double, __m512d, 8, __mmask8, _mm512_loadu_pd, _mm512_set1_pd,
             _mm512_fmadd_pd, _mm512_setzero_pd, _mm512_add_pd, _mm512_maskz_loadu_pd,
             _mm512_mask_storeu_pd, _mm512_store_pd)

/* The epilogue c = act(c + bias) with 16-lane vector math. */
static void epilogue512_f32(int64_t m, int64_t n, float *c, int64_t rsc, int64_t csc,
                            const float *bias, int act) {
    _Alignas(64) float buf[256];
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j0 = 0; j0 < n; j0 += 256) {
            int64_t w = n - j0 < 256 ? n - j0 : 256;
            float *row = c + i * rsc + j0 * csc;
            float *v = row;
            if (csc != 1) {
                for (int64_t j = 0; j < w; j++) buf[j] = row[j * csc];
                v = buf;
            }
            const float *bj = bias ? bias + j0 : NULL;
            for (int64_t j = 0; j < w; j += 16) {
                __mmask16 k = w - j >= 16 ? 0xffff : (__mmask16)((1u << (w - j)) - 1);
                __m512 x = _mm512_maskz_loadu_ps(k, v + j);
                if (bj) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(k, bj + j));
                _mm512_mask_storeu_ps(v + j, k, lm512_act(x, act));
            }
            if (csc != 1)
                for (int64_t jj = 0; jj < w; jj++) row[jj * csc] = buf[jj];
        }
    }
}

/* Blocking on a Sapphire Rapids class Xeon (48 KiB L1d, 2 MiB L2), one thread: a sweep of mc
 * 144-1020, kc 128-512, nc 2048-4096 with `lamina_bench gemm --mc --kc --nc` at 1024^3 and 2048^3
 * was flat within the shared machine's noise (66-71% of peak); kc 384 (a 48 KiB sliver of B,
 * an 18 KiB sliver of A), mc 384 (A's block 576 KiB, a quarter of L2), nc 4096 (B's panel
 * 6 MiB in L3) sat at the top.
 * small: M up to 8 takes the AVX2 skinny kernels, which stream B once. */
const lm_gemm_kernel_f32 lm_gemm_avx512_f32 = {
    .name = "avx512-12x32", .mr = 12, .nr = 32, .mc = LM512_MC, .kc = LM512_KC, .nc = LM512_NC,
    .small = 8, .direct_b = 0, .ukernel = ukernel_12x32_f32, .pack_a = pack12_f32,
    .pack_b = pack32_f32, .skinny = skinny_f32, .dot = dot_f32, .epilogue = epilogue512_f32,
};
const lm_gemm_kernel_f64 lm_gemm_avx512_f64 = {
    .name = "avx512-12x16", .mr = 12, .nr = 16, .mc = LM512_MC / 2, .kc = LM512_KC,
    .nc = LM512_NC, .small = 8, .direct_b = 0, .ukernel = ukernel_12x16_f64,
    .pack_a = pack12_f64, .pack_b = pack16_f64, .skinny = skinny_f64, .dot = dot_f64,
};
