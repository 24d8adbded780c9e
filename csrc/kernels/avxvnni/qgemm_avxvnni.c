/* qgemm_avxvnni.c — the AVX-VNNI (VEX-encoded, 256-bit) int8 kernel (quant/qgemm.h's
 * contract): kernels/avx512vnni/qgemm_vnni512.c's scheme (x + 128 unsigned, 128 * colsum taken
 * back off, exact) on ymm registers, for CPUs with AVX-VNNI but no AVX-512 (Alder Lake and
 * later client parts) and for the avx2 table on CPUs that have both. Tiles: up to 4 rows x 16
 * columns (8 accumulators); a lone row takes 32 columns. */
#include <immintrin.h>
#include <string.h>

#include "quant/qgemm.h"

static inline __m256i bcast4u(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v ^ (int32_t)0x80808080);
}

/* R rows x V blocks of 16 columns (2 ymm each), starting at block jb. */
#define QTILE(R, V)                                                                           \
    static void tile##R##x##V(int64_t jb, const int8_t *xq, int64_t ldx, const float *sx,     \
                              const lm_qpacked *w, float *y, int64_t ldy) {                    \
        const int64_t k4 = w->k4;                                                             \
        const int8_t *blk = w->data + jb * k4 * 64;                                           \
        __m256i acc[R][2 * V];                                                                \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                   \
            _Pragma("GCC unroll 4") for (int v = 0; v < 2 * V; v++) acc[r][v] =               \
                _mm256_setzero_si256();                                                       \
        for (int64_t g = 0; g < k4; g++) {                                                    \
            __m256i wv[2 * V];                                                                \
            _Pragma("GCC unroll 4") for (int v = 0; v < 2 * V; v++) wv[v] =                   \
                _mm256_load_si256((const void *)(blk + ((v / 2) * k4 + g) * 64 + (v % 2) * 32)); \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                             \
                __m256i xb = bcast4u(xq + r * ldx + 4 * g);                                   \
                _Pragma("GCC unroll 4") for (int v = 0; v < 2 * V; v++) acc[r][v] =           \
                    _mm256_dpbusd_avx_epi32(acc[r][v], xb, wv[v]);                            \
            }                                                                                 \
        }                                                                                     \
        _Pragma("GCC unroll 4") for (int v = 0; v < 2 * V; v++) {                             \
            int64_t j0 = (jb + v / 2) * 16 + (v % 2) * 8;                                     \
            if (j0 >= w->n) break;                                                            \
            __m256i corr = _mm256_slli_epi32(                                                 \
                _mm256_loadu_si256((const __m256i *)(w->colsum + j0)), 7);                    \
            __m256 sc = _mm256_loadu_ps(w->scale + j0);                                       \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                             \
                __m256 a = _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[r][v], corr));             \
                __m256 q = _mm256_div_ps(a, _mm256_mul_ps(sc, _mm256_set1_ps(sx[r])));       \
                float *dst = y + r * ldy + j0;                                                \
                if (j0 + 8 <= w->n) _mm256_storeu_ps(dst, q);                                 \
                else {                                                                        \
                    _Alignas(32) float t[8];                                                  \
                    _mm256_store_ps(t, q);                                                    \
                    for (int64_t c = 0; c < w->n - j0; c++) dst[c] = t[c];                    \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }
QTILE(1, 2)
QTILE(1, 1)
QTILE(4, 1)

void lm_qgemm_avxvnni(int64_t m, int64_t jb0, int64_t jb1, const int8_t *xq, const float *sx,
                      const lm_qpacked *w, float *y, int64_t ldy) {
    const int64_t ldx = 4 * w->k4;
    if (m == 1) {
        int64_t jb = jb0;
        for (; jb + 2 <= jb1; jb += 2) tile1x2(jb, xq, ldx, sx, w, y, ldy);
        for (; jb < jb1; jb++) tile1x1(jb, xq, ldx, sx, w, y, ldy);
        return;
    }
    for (int64_t jb = jb0; jb < jb1; jb++) {
        int64_t i = 0;
        for (; i + 4 <= m; i += 4) tile4x1(jb, xq + i * ldx, ldx, sx + i, w, y + i * ldy, ldy);
        for (; i < m; i++) tile1x1(jb, xq + i * ldx, ldx, sx + i, w, y + i * ldy, ldy);
    }
}
