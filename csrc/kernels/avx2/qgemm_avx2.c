/* qgemm_avx2.c — the AVX2 int8 kernel (quant/qgemm.h's contract) with vpmaddubsw.
 *
 * vpmaddubsw multiplies unsigned by signed bytes and adds pairs into int16 with saturation:
 * with x and w both in [-127, 127] a pair could reach 2 * 255 * 127 if x were offset to
 * unsigned. Instead the sign of x moves onto w (vpsignb: w * sign(x), never -(-128) since
 * w >= -127) and |x| <= 127 is the unsigned operand, so a pair is at most 2 * 127 * 127 =
 * 32258 < 32767: no saturation, exact. vpmaddwd against ones widens the pairs to int32.
 * Tiles: up to 4 rows x 16 columns (8 accumulators). */
#include <immintrin.h>
#include <string.h>

#include "quant/qgemm.h"

static inline __m256i bcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

static inline void store_row(int64_t j0, int64_t n, __m256i a0, __m256i a1, float sxi,
                             const float *scale, float *yi) {
    __m256 s = _mm256_set1_ps(sxi);
    __m256 y0 = _mm256_div_ps(_mm256_cvtepi32_ps(a0),
                              _mm256_mul_ps(_mm256_loadu_ps(scale + j0), s));
    __m256 y1 = _mm256_div_ps(_mm256_cvtepi32_ps(a1),
                              _mm256_mul_ps(_mm256_loadu_ps(scale + j0 + 8), s));
    if (j0 + 16 <= n) {
        _mm256_storeu_ps(yi + j0, y0);
        _mm256_storeu_ps(yi + j0 + 8, y1);
        return;
    }
    _Alignas(32) float t[16];
    _mm256_store_ps(t, y0);
    _mm256_store_ps(t + 8, y1);
    for (int64_t c = 0; c < n - j0; c++) yi[j0 + c] = t[c];
}

#define QROWS(R)                                                                              \
    static void rows##R(int64_t jb, const int8_t *xq, int64_t ldx, const float *sx,           \
                        const lm_qpacked *w, float *y, int64_t ldy) {                          \
        const int64_t k4 = w->k4;                                                             \
        const int8_t *blk = w->data + jb * k4 * 64;                                           \
        const __m256i ones = _mm256_set1_epi16(1);                                            \
        __m256i acc[R][2];                                                                    \
        for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();           \
        for (int64_t g = 0; g < k4; g++) {                                                    \
            __m256i w0 = _mm256_load_si256((const __m256i *)(blk + g * 64));                  \
            __m256i w1 = _mm256_load_si256((const __m256i *)(blk + g * 64 + 32));             \
            for (int r = 0; r < R; r++) {                                                     \
                __m256i xb = bcast4(xq + r * ldx + 4 * g), ax = _mm256_abs_epi8(xb);          \
                __m256i p0 = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(w0, xb));              \
                __m256i p1 = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(w1, xb));              \
                acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(p0, ones));         \
                acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(p1, ones));         \
            }                                                                                 \
        }                                                                                     \
        for (int r = 0; r < R; r++)                                                           \
            store_row(jb * 16, w->n, acc[r][0], acc[r][1], sx[r], w->scale, y + r * ldy);     \
    }
QROWS(1)
QROWS(4)

void lm_qgemm_avx2(int64_t m, int64_t jb0, int64_t jb1, const int8_t *xq, const float *sx,
                   const lm_qpacked *w, float *y, int64_t ldy) {
    const int64_t ldx = 4 * w->k4;
    for (int64_t jb = jb0; jb < jb1; jb++) {
        int64_t i = 0;
        for (; i + 4 <= m; i += 4) rows4(jb, xq + i * ldx, ldx, sx + i, w, y + i * ldy, ldy);
        for (; i < m; i++) rows1(jb, xq + i * ldx, ldx, sx + i, w, y + i * ldy, ldy);
    }
}
