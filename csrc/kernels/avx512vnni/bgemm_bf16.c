/* bgemm_bf16.c — the AVX512_BF16 kernel (quant/qgemm.h's lm_bgemm contract) with vdpbf16ps:
 * per pair of k, one 32-bit broadcast of x (two bf16) against 16 columns x 2 k of packed W,
 * summed into float32 lanes. Tiles: up to 8 rows x 32 columns (16 accumulators); a lone row
 * takes 64 columns (4 independent chains). */
#include <immintrin.h>
#include <string.h>

#include "quant/qgemm.h"

static inline __m512bh bcast2(const uint16_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return (__m512bh)_mm512_set1_epi32(v);
}

#define BTILE(R, V)                                                                           \
    static void btile##R##x##V(int64_t jb, const uint16_t *x, int64_t ldx, const lm_bpacked *w, \
                               float *y, int64_t ldy) {                                        \
        const int64_t k2 = w->k2;                                                             \
        const uint16_t *blk = w->data + jb * k2 * 32;                                         \
        __m512 acc[R][V];                                                                     \
        _Pragma("GCC unroll 8") for (int r = 0; r < R; r++)                                   \
            _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps(); \
        for (int64_t g = 0; g < k2; g++) {                                                    \
            __m512bh wv[V];                                                                   \
            _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) wv[v] =                       \
                (__m512bh)_mm512_load_si512((const void *)(blk + (v * k2 + g) * 32));         \
            _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) {                             \
                __m512bh xb = bcast2(x + r * ldx + 2 * g);                                    \
                _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) acc[r][v] =               \
                    _mm512_dpbf16_ps(acc[r][v], xb, wv[v]);                                   \
            }                                                                                 \
        }                                                                                     \
        _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) {                                 \
            int64_t j0 = (jb + v) * 16;                                                       \
            if (j0 >= w->n) break;                                                            \
            __mmask16 k = w->n - j0 >= 16 ? 0xffff : (__mmask16)((1u << (w->n - j0)) - 1);    \
            _Pragma("GCC unroll 8") for (int r = 0; r < R; r++)                               \
                _mm512_mask_storeu_ps(y + r * ldy + j0, k, acc[r][v]);                        \
        }                                                                                     \
    }
BTILE(1, 4)
BTILE(1, 1)
BTILE(8, 2)
BTILE(4, 2)
BTILE(1, 2)

void lm_bgemm_avx512bf16(int64_t m, int64_t jb0, int64_t jb1, const uint16_t *x,
                         const lm_bpacked *w, float *y, int64_t ldy) {
    const int64_t ldx = 2 * w->k2;
    if (m == 1) {
        int64_t jb = jb0;
        for (; jb + 4 <= jb1; jb += 4) btile1x4(jb, x, ldx, w, y, ldy);
        for (; jb < jb1; jb++) btile1x1(jb, x, ldx, w, y, ldy);
        return;
    }
    for (int64_t jb = jb0; jb < jb1; jb += 2) {
        if (jb + 2 > jb1) {
            for (int64_t i = 0; i < m; i++) btile1x1(jb, x + i * ldx, ldx, w, y + i * ldy, ldy);
            break;
        }
        int64_t i = 0;
        for (; i + 8 <= m; i += 8) btile8x2(jb, x + i * ldx, ldx, w, y + i * ldy, ldy);
        for (; i + 4 <= m; i += 4) btile4x2(jb, x + i * ldx, ldx, w, y + i * ldy, ldy);
        for (; i < m; i++) btile1x2(jb, x + i * ldx, ldx, w, y + i * ldy, ldy);
    }
}

/* float32 -> bfloat16, round to nearest even, NaN kept quiet: core/dtype.c's lm_f32_to_bf16 on
 * 16 lanes with integer operations (vcvtneps2bf16 would flush subnormals). */
void lm_f32_to_bf16_avx512(int64_t n, const float *src, uint16_t *dst) {
    const __m512i one = _mm512_set1_epi32(1), r = _mm512_set1_epi32(0x7fff),
                  abs = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000),
                  q = _mm512_set1_epi32(0x40);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512i x = _mm512_maskz_loadu_epi32(k, src + i);
        __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, abs), inf);
        __m512i rounded = _mm512_srli_epi32(
            _mm512_add_epi32(x, _mm512_add_epi32(r, _mm512_and_si512(_mm512_srli_epi32(x, 16), one))), 16);
        __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(x, 16), q);
        __m512i h = _mm512_mask_blend_epi32(nan, rounded, quiet);
        _mm256_mask_storeu_epi16(dst + i, k, _mm512_cvtepi32_epi16(h));
    }
}
