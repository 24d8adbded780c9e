/* unary_avx2.c — float32 exp, log, tanh, sigmoid, erf and relu, 8 lanes at a time (AVX2 + FMA).
 *
 * Each function is a range reduction plus a short polynomial whose coefficients were fitted for
 * this file (a weighted minimax fit, each coefficient rounded to float32 in turn and the higher
 * ones refitted; the fit's own error is at most ~0.1 of 2^-24 relative everywhere). The rest of
 * the error is float32 rounding in the reduction and evaluation. Largest errors over ALL 2^32
 * inputs (an exhaustive check against the C library's double functions, run once by hand), and
 * the bounds tests/test_simd_unary.py asserts on its sweep:
 *
 *              exp     log     tanh    sigmoid   erf
 *   measured   1.013   0.930   1.332   2.402     1.072  ulp
 *   asserted   1.5     1.5     2       3         1.5    ulp
 *
 * (ulp: the spacing of float32 at the exact result, 2^-149 for subnormal results).
 *
 * Special values follow C99 Annex F, as the libm loops of the ref table: NaN stays NaN;
 * exp(-inf) = 0, exp(inf) = inf, exp overflows to inf above ~88.72 and runs down through the
 * subnormals (no flush) to 0 below ~-103.97; log(0) = -inf, log(x < 0) = NaN, log(inf) = inf,
 * subnormal inputs are handled exactly (scaled by 2^23 first); tanh(+-inf) = +-1,
 * sigmoid(inf) = 1, sigmoid(-inf) = 0, erf(+-inf) = +-1; tanh and erf keep the sign of -0 as
 * libm does; relu(-0) = +0, like the scalar loop.
 *
 * The loops take out == x (in place) or non-overlapping buffers; n % 8 tail elements go through
 * a small stack buffer, so nothing is read or written outside [0, n). */
#include <immintrin.h>
#include <string.h>

#include "kernels/kernels.h"

#define VINLINE static inline __attribute__((always_inline))

#define SET(c) _mm256_set1_ps(c)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)

VINLINE __m256 v_abs(__m256 x) { return _mm256_andnot_ps(SET(-0.0f), x); }
/* |y| with the sign bit of s (y must be >= 0 or +0) */
VINLINE __m256 v_signed(__m256 y, __m256 s) {
    return _mm256_or_ps(y, _mm256_and_ps(s, SET(-0.0f)));
}
VINLINE __m256 v_keep_nan(__m256 y, __m256 x) {
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* ---- exp --------------------------------------------------------------------------------------
 * x = n ln2 + r, |r| <= ln2 / 2 (n rounded by the 1.5 * 2^23 shifter, whose low mantissa bits
 * are then n itself); r = x - n ln2_hi is exact under FMA (the difference needs at most 24
 * bits), then minus n ln2_lo. exp(r) = 1 + r + r^2 P(r), P of degree 4 (fit error 3.2e-9
 * relative). 2^n is applied as 2^(n/2) twice, each a normal float, so that results for
 * n in [-150, 128] round once into the subnormals or to inf. x is clamped to [-104, 89] first:
 * beyond these exp is 0 (below half the smallest subnormal) or inf, and the clamp keeps n small. */
VINLINE __m256 v_exp(__m256 x) {
    const __m256 shifter = SET(12582912.0f); /* 1.5 * 2^23 */
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, SET(-104.0f)), SET(89.0f)); /* NaN -> -104 */
    __m256 t = FMA(xc, SET(1.44269502163f), shifter);
    __m256 n = _mm256_sub_ps(t, shifter);
    __m256 r = FMA(n, SET(-0x1.62e430p-1f), xc);       /* ln2_hi = float(ln 2) */
    r = FMA(n, SET(0x1.05c610p-29f), r);                 /* -ln2_lo = -(ln 2 - ln2_hi) */
    __m256 p = SET(0x1.6a4154p-10f);
    p = FMA(p, r, SET(0x1.1239c6p-7f));
    p = FMA(p, r, SET(0x1.5558bcp-5f));
    p = FMA(p, r, SET(0x1.555492p-3f));
    p = FMA(p, r, SET(0x1.fffffcp-2f));
    __m256 y = _mm256_add_ps(FMA(p, _mm256_mul_ps(r, r), r), SET(1.0f));
    __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(shifter));
    __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    y = _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
    return v_keep_nan(y, x);
}

/* ---- log --------------------------------------------------------------------------------------
 * Subnormal x are first scaled by 2^23. x = 2^e m with m in [sqrt(1/2), sqrt(2)) (found by
 * subtracting the bits of sqrt(1/2) so that the exponent field carries over at the right
 * place); f = m - 1 exactly; log(1 + f) = f - f^2 / 2 + f^3 Q(f), Q of degree 7 (fit error
 * 5.8e-9 relative); then + e ln2 in two FMAs (ln2_lo first). */
VINLINE __m256 v_log(__m256 x) {
    const __m256i sqrt_half = _mm256_set1_epi32(0x3f3504f3);
    __m256 tiny = _mm256_cmp_ps(x, SET(0x1p-126f), _CMP_LT_OQ); /* subnormal, 0 or negative */
    __m256 xs = _mm256_blendv_ps(x, _mm256_mul_ps(x, SET(0x1p23f)), tiny);
    __m256i ix = _mm256_sub_epi32(_mm256_castps_si256(xs), sqrt_half);
    __m256i e = _mm256_srai_epi32(ix, 23);
    e = _mm256_sub_epi32(e, _mm256_and_si256(_mm256_castps_si256(tiny), _mm256_set1_epi32(23)));
    __m256i mi = _mm256_add_epi32(_mm256_and_si256(ix, _mm256_set1_epi32(0x7fffff)), sqrt_half);
    __m256 f = _mm256_sub_ps(_mm256_castsi256_ps(mi), SET(1.0f));
    __m256 q = SET(-0x1.38c9dep-4f);
    q = FMA(q, f, SET(0x1.055ec6p-3f));
    q = FMA(q, f, SET(-0x1.0d8242p-3f));
    q = FMA(q, f, SET(0x1.22d92ep-3f));
    q = FMA(q, f, SET(-0x1.54728ap-3f));
    q = FMA(q, f, SET(0x1.99a01cp-3f));
    q = FMA(q, f, SET(-0x1.000226p-2f));
    q = FMA(q, f, SET(0x1.555554p-2f));
    __m256 y = FMA(_mm256_mul_ps(f, f), FMA(q, f, SET(-0.5f)), f);
    __m256 ef = _mm256_cvtepi32_ps(e);
    y = FMA(ef, SET(-0x1.05c610p-29f), y); /* ln2_lo */
    y = FMA(ef, SET(0x1.62e430p-1f), y);   /* ln2_hi */
    /* +inf and NaN give themselves, 0 gives -inf, negatives NaN */
    y = _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, SET(__builtin_inff()), _CMP_NLT_UQ));
    const __m256 zero = _mm256_setzero_ps();
    y = _mm256_blendv_ps(y, SET(-__builtin_inff()), _mm256_cmp_ps(x, zero, _CMP_EQ_OQ));
    return _mm256_blendv_ps(y, SET(__builtin_nanf("")), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
}

/* ---- tanh -------------------------------------------------------------------------------------
 * On a = |x|, sign applied last (tanh is odd; keeps -0). a < 0.625: a + a^3 P(a^2), P of degree
 * 4 (fit error 4.5e-9 relative). a >= 0.625: 1 - 2 / (exp(2a) + 1), where tanh >= 0.55 so the
 * subtraction loses nothing; exp(2a) = inf above a ~ 44 gives exactly 1. NaN: exp keeps it. */
VINLINE __m256 v_tanh(__m256 x) {
    __m256 a = v_abs(x);
    __m256 z = _mm256_mul_ps(a, a);
    __m256 p = SET(-0x1.750ce2p-8f);
    p = FMA(p, z, SET(0x1.51f8cep-6f));
    p = FMA(p, z, SET(-0x1.b835a4p-5f));
    p = FMA(p, z, SET(0x1.1106f6p-3f));
    p = FMA(p, z, SET(-0x1.555532p-2f));
    __m256 small = FMA(_mm256_mul_ps(a, z), p, a);
    __m256 e = v_exp(_mm256_add_ps(a, a));
    __m256 big = _mm256_sub_ps(SET(1.0f), _mm256_div_ps(SET(2.0f), _mm256_add_ps(e, SET(1.0f))));
    __m256 y = _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, SET(0.625f), _CMP_LT_OQ));
    return v_signed(y, x);
}

/* ---- sigmoid ----------------------------------------------------------------------------------
 * e = exp(-|x|) never overflows: 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0, so results for
 * x << 0 keep their relative accuracy down through the subnormals (the ref loop's formula). */
VINLINE __m256 v_sigmoid(__m256 x) {
    const __m256 one = SET(1.0f);
    __m256 e = v_exp(_mm256_or_ps(x, SET(-0.0f)));
    __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_div_ps(_mm256_blendv_ps(one, e, neg), _mm256_add_ps(one, e));
}

/* ---- erf --------------------------------------------------------------------------------------
 * On a = |x|, sign applied last (erf is odd; keeps -0). a < 0.9: a + a Q(a^2), Q of degree 6
 * (Q = erf(a)/a - 1, so the leading 2/sqrt(pi) is not rounded to float; fit error 8.6e-10
 * relative; subnormal a come out as a * 2/sqrt(pi) rounded). 0.9 <= a: erf = 1 - erfc with
 * erfc(a) = exp(-a^2 + S(a)), S(a) = log(erfc(a)) + a^2 smooth, of degree 6 on [0.9, 4] (fit
 * error 1.6e-9 absolute in erf); a is clamped to 4, where 1 - erfc already rounds to 1. */
VINLINE __m256 v_erf(__m256 x) {
    __m256 a = v_abs(x);
    __m256 z = _mm256_mul_ps(a, a);
    __m256 q = SET(0x1.4bacd0p-14f);
    q = FMA(q, z, SET(-0x1.a521e2p-11f));
    q = FMA(q, z, SET(0x1.543652p-8f));
    q = FMA(q, z, SET(-0x1.b7ffbcp-6f));
    q = FMA(q, z, SET(0x1.ce2d5cp-4f));
    q = FMA(q, z, SET(-0x1.812740p-2f));
    q = FMA(q, z, SET(0x1.06eba8p-3f));
    __m256 small = FMA(a, q, a);
    __m256 t = _mm256_min_ps(a, SET(4.0f)); /* NaN -> 4; put back below */
    __m256 s = SET(0x1.9d82eap-13f);
    s = FMA(s, t, SET(-0x1.908054p-9f));
    s = FMA(s, t, SET(0x1.6cfca2p-6f));
    s = FMA(s, t, SET(-0x1.aa2304p-4f));
    s = FMA(s, t, SET(0x1.73a69ap-2f));
    s = FMA(s, t, SET(-0x1.20b432p+0f));
    s = FMA(s, t, SET(-0x1.743ae4p-13f));
    __m256 big = _mm256_sub_ps(SET(1.0f), v_exp(_mm256_fnmadd_ps(t, t, s)));
    __m256 y = _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, SET(0.9f), _CMP_LT_OQ));
    return v_keep_nan(v_signed(y, x), x);
}

/* ---- relu: x where x > 0 or x is NaN, else +0 --------------------------------------------- */
VINLINE __m256 v_relu(__m256 x) {
    return _mm256_and_ps(x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NLE_UQ));
}

/* Two vectors per step (the polynomials are latency chains: two independent ones keep both FMA
 * pipes busy), then one, then the tail through a stack buffer. */
#define V8_LOOP(NAME, VFN)                                                                     \
    void NAME(int64_t n, const float *x, float *out) {                                         \
        int64_t i = 0;                                                                         \
        for (; i + 16 <= n; i += 16) {                                                         \
            __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);                 \
            a = VFN(a);                                                                        \
            b = VFN(b);                                                                        \
            _mm256_storeu_ps(out + i, a);                                                      \
            _mm256_storeu_ps(out + i + 8, b);                                                  \
        }                                                                                      \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, VFN(_mm256_loadu_ps(x + i)));    \
        if (i < n) {                                                                           \
            float buf[8] = {0};                                                                \
            memcpy(buf, x + i, (size_t)(n - i) * sizeof(float));                               \
            _mm256_storeu_ps(buf, VFN(_mm256_loadu_ps(buf)));                                  \
            memcpy(out + i, buf, (size_t)(n - i) * sizeof(float));                             \
        }                                                                                      \
    }
V8_LOOP(lm_avx2_f32_exp, v_exp)
V8_LOOP(lm_avx2_f32_log, v_log)
V8_LOOP(lm_avx2_f32_tanh, v_tanh)
V8_LOOP(lm_avx2_f32_sigmoid, v_sigmoid)
V8_LOOP(lm_avx2_f32_erf, v_erf)
V8_LOOP(lm_avx2_f32_relu, v_relu)
