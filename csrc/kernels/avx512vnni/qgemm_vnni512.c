/* qgemm_vnni512.c — the AVX512_VNNI int8 kernel (quant/qgemm.h's contract) with vpdpbusd.
 *
 * vpdpbusd sums four unsigned x signed byte products into each int32 lane with no
 * intermediate saturation. x_q in [-127, 127] becomes unsigned as x_q + 128 (a flip of the
 * top bit), and 128 * colsum[j] comes back off the sum: exact. Tiles: up to 8 rows x 32
 * columns (16 accumulators; two vpdpbusd per row share one broadcast of 4 bytes of x); a lone
 * row takes 64 columns so that 4 independent chains hide vpdpbusd's latency. */
#include <immintrin.h>
#include <string.h>

#include "quant/qgemm.h"

static inline __m512i bcast4u(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v ^ (int32_t)0x80808080);
}

/* R rows x V blocks of 16 columns, starting at block jb. */
#define QTILE(R, V)                                                                           \
    static void tile##R##x##V(int64_t jb, const int8_t *xq, int64_t ldx, const float *sx,     \
                              const lm_qpacked *w, float *y, int64_t ldy) {                    \
        const int64_t k4 = w->k4;                                                             \
        const int8_t *blk = w->data + jb * k4 * 64;                                           \
        __m512i acc[R][V];                                                                    \
        _Pragma("GCC unroll 8") for (int r = 0; r < R; r++)                                   \
            _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) acc[r][v] =                   \
                _mm512_setzero_si512();                                                       \
        for (int64_t g = 0; g < k4; g++) {                                                    \
            __m512i wv[V];                                                                    \
            _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) wv[v] =                       \
                _mm512_load_si512((const void *)(blk + (v * k4 + g) * 64));                   \
            _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) {                             \
                __m512i xb = bcast4u(xq + r * ldx + 4 * g);                                   \
                _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) acc[r][v] =               \
                    _mm512_dpbusd_epi32(acc[r][v], xb, wv[v]);                                \
            }                                                                                 \
        }                                                                                     \
        _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) {                                 \
            int64_t j0 = (jb + v) * 16;                                                       \
            if (j0 >= w->n) break;                                                            \
            __mmask16 k = w->n - j0 >= 16 ? 0xffff : (__mmask16)((1u << (w->n - j0)) - 1);    \
            __m512i corr = _mm512_slli_epi32(_mm512_loadu_si512(w->colsum + j0), 7);          \
            __m512 sc = _mm512_loadu_ps(w->scale + j0);                                       \
            _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) {                             \
                __m512 a = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][v], corr));             \
                __m512 d = _mm512_mul_ps(sc, _mm512_set1_ps(sx[r]));                          \
                _mm512_mask_storeu_ps(y + r * ldy + j0, k, _mm512_div_ps(a, d));              \
            }                                                                                 \
        }                                                                                     \
    }
QTILE(1, 4)
QTILE(1, 1)
QTILE(8, 2)
QTILE(4, 2)
QTILE(1, 2)

void lm_qgemm_avx512vnni(int64_t m, int64_t jb0, int64_t jb1, const int8_t *xq,
                         const float *sx, const lm_qpacked *w, float *y, int64_t ldy) {
    const int64_t ldx = 4 * w->k4;
    if (m == 1) {
        int64_t jb = jb0;
        for (; jb + 4 <= jb1; jb += 4) tile1x4(jb, xq, ldx, sx, w, y, ldy);
        for (; jb < jb1; jb++) tile1x1(jb, xq, ldx, sx, w, y, ldy);
        return;
    }
    for (int64_t jb = jb0; jb < jb1; jb += 2) {
        if (jb + 2 > jb1) { /* a last single block: one column block at a time */
            for (int64_t i = 0; i < m; i++)
                tile1x1(jb, xq + i * ldx, ldx, sx + i, w, y + i * ldy, ldy);
            break;
        }
        int64_t i = 0;
        for (; i + 8 <= m; i += 8) tile8x2(jb, xq + i * ldx, ldx, sx + i, w, y + i * ldy, ldy);
        for (; i + 4 <= m; i += 4) tile4x2(jb, xq + i * ldx, ldx, sx + i, w, y + i * ldy, ldy);
        for (; i < m; i++) tile1x2(jb, xq + i * ldx, ldx, sx + i, w, y + i * ldy, ldy);
    }
}

/* quant/qgemm.h's row quantization, 16 lanes at a time (the same operations as the portable
 * loop of quant/qdense.c, so the same bytes). */
void lm_qquant_avx512(int64_t m, int64_t k, int64_t k4, const float *x, int8_t *xq, float *sx) {
    const __m512 magic = _mm512_set1_ps(12582912.0f), hi = _mm512_set1_ps(127.0f),
                 lo = _mm512_set1_ps(-127.0f);
    for (int64_t i = 0; i < m; i++) {
        const float *xi = x + i * k;
        __m512 amax = _mm512_setzero_ps();
        for (int64_t p = 0; p < k; p += 16) {
            __mmask16 msk = k - p >= 16 ? 0xffff : (__mmask16)((1u << (k - p)) - 1);
            __m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(msk, xi + p));
            amax = _mm512_max_ps(a, amax); /* a NaN keeps amax, as the scalar a > amax ? : */
        }
        float s = 127.0f / (_mm512_reduce_max_ps(amax) + 1e-7f);
        sx[i] = s;
        __m512 vs = _mm512_set1_ps(s);
        int8_t *qi = xq + i * 4 * k4;
        for (int64_t p = 0; p < 4 * k4; p += 16) {
            __mmask16 msk = k - p >= 16 ? 0xffff : k - p <= 0 ? 0 : (__mmask16)((1u << (k - p)) - 1);
            __mmask16 out = 4 * k4 - p >= 16 ? 0xffff : (__mmask16)((1u << (4 * k4 - p)) - 1);
            __m512 x0 = _mm512_maskz_loadu_ps(msk, xi + p);
            __m512 v = _mm512_max_ps(_mm512_min_ps(_mm512_mul_ps(x0, vs), hi), lo);
            v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x0, x0, _CMP_ORD_Q), v); /* NaN -> 0 */
            v = _mm512_sub_ps(_mm512_add_ps(v, magic), magic);
            _mm_mask_storeu_epi8(qi + p, out, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(v)));
        }
    }
}
