/* unary_avx512.c — the avx512 table's float32 loops: exp, log, log1p, tanh, sigmoid, erf,
 * softplus, relu, 16 lanes at a time (vmath_avx512.h states their accuracy).
 *
 * Two vectors per step (the polynomials are latency chains: two independent ones keep both FMA
 * pipes busy), then masked vectors for the tail: nothing is read or written outside [0, n), and
 * out may be x itself. */
#include "kernels/kernels.h"
#include "vmath_avx512.h"

#define V16_LOOP(NAME, VFN)                                                                    \
    void NAME(int64_t n, const float *x, float *out) {                                         \
        int64_t i = 0;                                                                         \
        for (; i + 32 <= n; i += 32) {                                                         \
            __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);                \
            a = VFN(a);                                                                        \
            b = VFN(b);                                                                        \
            _mm512_storeu_ps(out + i, a);                                                      \
            _mm512_storeu_ps(out + i + 16, b);                                                 \
        }                                                                                      \
        for (; i < n; i += 16) {                                                               \
            __mmask16 k = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);             \
            _mm512_mask_storeu_ps(out + i, k, VFN(_mm512_maskz_loadu_ps(k, x + i)));           \
        }                                                                                      \
    }
V16_LOOP(lm_avx512_f32_exp, lm512_exp)
V16_LOOP(lm_avx512_f32_log, lm512_log)
V16_LOOP(lm_avx512_f32_log1p, lm512_log1p)
V16_LOOP(lm_avx512_f32_tanh, lm512_tanh)
V16_LOOP(lm_avx512_f32_sigmoid, lm512_sigmoid)
V16_LOOP(lm_avx512_f32_erf, lm512_erf)
V16_LOOP(lm_avx512_f32_softplus, lm512_softplus)
V16_LOOP(lm_avx512_f32_relu, lm512_relu)
