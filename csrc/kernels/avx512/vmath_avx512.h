/* vmath_avx512.h — float32 vector math, 16 lanes (AVX-512 F/DQ), for the avx512 folder only.
 *
 * exp, log, tanh, sigmoid and erf are kernels/avx2/unary_avx2.c operation for operation (the
 * same reductions, polynomials, constants and rounding order; blends become mask blends), so
 * each lane gives the AVX2 result bit for bit and the AVX2 file's exhaustive ulp bounds hold;
 * tests/test_simd_unary.py checks the equality over every float32 (test_avx512_equals_avx2).
 * log1p and softplus are new here; their largest errors over all 2^32 float32 inputs against
 * float64 NumPy (bench/ulp_exhaustive.py), and the bounds tests/test_simd_unary.py asserts:
 *
 *              log1p   softplus
 *   measured   1.437   2.058     ulp
 *   asserted   2       2.5
 *
 * gelu (the GEMM epilogue's exact x * Phi(x)) is checked against float64 in
 * tests/test_gemm_isa.py with the tolerance of the other tables' erf form.
 *
 * Everything is static inline: nothing compiled with these flags leaks into baseline code. */
#ifndef LAMINA_VMATH_AVX512_H
#define LAMINA_VMATH_AVX512_H

#include <immintrin.h>

#include "lamina/lamina.h"

#define V5INLINE static inline __attribute__((always_inline))
#define S5(c) _mm512_set1_ps(c)
#define F5(a, b, c) _mm512_fmadd_ps(a, b, c)

V5INLINE __m512 lm512_abs(__m512 x) { return _mm512_andnot_ps(S5(-0.0f), x); }
V5INLINE __m512 lm512_signed(__m512 y, __m512 s) {
    return _mm512_or_ps(y, _mm512_and_ps(s, S5(-0.0f)));
}
V5INLINE __m512 lm512_keep_nan(__m512 y, __m512 x) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
}

/* exp: unary_avx2.c's v_exp (x = n ln2 + r, degree-4 P, 2^n applied in two halves). */
V5INLINE __m512 lm512_exp(__m512 x) {
    const __m512 shifter = S5(12582912.0f);
    __m512 xc = _mm512_min_ps(_mm512_max_ps(x, S5(-104.0f)), S5(89.0f));
    __m512 t = F5(xc, S5(1.44269502163f), shifter);
    __m512 n = _mm512_sub_ps(t, shifter);
    __m512 r = F5(n, S5(-0x1.62e430p-1f), xc);
    r = F5(n, S5(0x1.05c610p-29f), r);
    __m512 p = S5(0x1.6a4154p-10f);
    p = F5(p, r, S5(0x1.1239c6p-7f));
    p = F5(p, r, S5(0x1.5558bcp-5f));
    p = F5(p, r, S5(0x1.555492p-3f));
    p = F5(p, r, S5(0x1.fffffcp-2f));
    __m512 y = _mm512_add_ps(F5(p, _mm512_mul_ps(r, r), r), S5(1.0f));
    __m512i ni = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_castps_si512(shifter));
    __m512i n1 = _mm512_srai_epi32(ni, 1), n2 = _mm512_sub_epi32(ni, n1);
    const __m512i bias = _mm512_set1_epi32(127);
    __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
    __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
    y = _mm512_mul_ps(_mm512_mul_ps(y, s1), s2);
    return lm512_keep_nan(y, x);
}

/* log: unary_avx2.c's v_log (subnormals scaled by 2^23, m in [sqrt(1/2), sqrt(2)), degree-7 Q). */
V5INLINE __m512 lm512_log(__m512 x) {
    const __m512i sqrt_half = _mm512_set1_epi32(0x3f3504f3);
    __mmask16 tiny = _mm512_cmp_ps_mask(x, S5(0x1p-126f), _CMP_LT_OQ);
    __m512 xs = _mm512_mask_mul_ps(x, tiny, x, S5(0x1p23f));
    __m512i ix = _mm512_sub_epi32(_mm512_castps_si512(xs), sqrt_half);
    __m512i e = _mm512_srai_epi32(ix, 23);
    e = _mm512_mask_sub_epi32(e, tiny, e, _mm512_set1_epi32(23));
    __m512i mi = _mm512_add_epi32(_mm512_and_si512(ix, _mm512_set1_epi32(0x7fffff)), sqrt_half);
    __m512 f = _mm512_sub_ps(_mm512_castsi512_ps(mi), S5(1.0f));
    __m512 q = S5(-0x1.38c9dep-4f);
    q = F5(q, f, S5(0x1.055ec6p-3f));
    q = F5(q, f, S5(-0x1.0d8242p-3f));
    q = F5(q, f, S5(0x1.22d92ep-3f));
    q = F5(q, f, S5(-0x1.54728ap-3f));
    q = F5(q, f, S5(0x1.99a01cp-3f));
    q = F5(q, f, S5(-0x1.000226p-2f));
    q = F5(q, f, S5(0x1.555554p-2f));
    __m512 y = F5(_mm512_mul_ps(f, f), F5(q, f, S5(-0.5f)), f);
    __m512 ef = _mm512_cvtepi32_ps(e);
    y = F5(ef, S5(-0x1.05c610p-29f), y);
    y = F5(ef, S5(0x1.62e430p-1f), y);
    y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, S5(__builtin_inff()), _CMP_NLT_UQ), y, x);
    const __m512 zero = _mm512_setzero_ps();
    y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_EQ_OQ), y, S5(-__builtin_inff()));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), y,
                                S5(__builtin_nanf("")));
}

/* tanh: unary_avx2.c's v_tanh (odd polynomial below 0.625, 1 - 2 / (exp(2a) + 1) above). */
V5INLINE __m512 lm512_tanh(__m512 x) {
    __m512 a = lm512_abs(x);
    __m512 z = _mm512_mul_ps(a, a);
    __m512 p = S5(-0x1.750ce2p-8f);
    p = F5(p, z, S5(0x1.51f8cep-6f));
    p = F5(p, z, S5(-0x1.b835a4p-5f));
    p = F5(p, z, S5(0x1.1106f6p-3f));
    p = F5(p, z, S5(-0x1.555532p-2f));
    __m512 small = F5(_mm512_mul_ps(a, z), p, a);
    __m512 e = lm512_exp(_mm512_add_ps(a, a));
    __m512 big = _mm512_sub_ps(S5(1.0f), _mm512_div_ps(S5(2.0f), _mm512_add_ps(e, S5(1.0f))));
    __m512 y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, S5(0.625f), _CMP_LT_OQ), big, small);
    return lm512_signed(y, x);
}

/* sigmoid: e = exp(-|x|); 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0. */
V5INLINE __m512 lm512_sigmoid(__m512 x) {
    const __m512 one = S5(1.0f);
    __m512 e = lm512_exp(_mm512_or_ps(x, S5(-0.0f)));
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_div_ps(_mm512_mask_blend_ps(neg, one, e), _mm512_add_ps(one, e));
}

/* erfc(a) = exp(-a^2 + S(a)) for a in [0.9, 4] (a clamped to 4): unary_avx2.c's large branch. */
V5INLINE __m512 lm512_erfc_big(__m512 a) {
    __m512 t = _mm512_min_ps(a, S5(4.0f));
    __m512 s = S5(0x1.9d82eap-13f);
    s = F5(s, t, S5(-0x1.908054p-9f));
    s = F5(s, t, S5(0x1.6cfca2p-6f));
    s = F5(s, t, S5(-0x1.aa2304p-4f));
    s = F5(s, t, S5(0x1.73a69ap-2f));
    s = F5(s, t, S5(-0x1.20b432p+0f));
    s = F5(s, t, S5(-0x1.743ae4p-13f));
    return lm512_exp(_mm512_fnmadd_ps(t, t, s));
}

/* erf(|x|) - |x| ... as a + a Q(a^2) below 0.9: unary_avx2.c's small branch. */
V5INLINE __m512 lm512_erf_small(__m512 a) {
    __m512 z = _mm512_mul_ps(a, a);
    __m512 q = S5(0x1.4bacd0p-14f);
    q = F5(q, z, S5(-0x1.a521e2p-11f));
    q = F5(q, z, S5(0x1.543652p-8f));
    q = F5(q, z, S5(-0x1.b7ffbcp-6f));
    q = F5(q, z, S5(0x1.ce2d5cp-4f));
    q = F5(q, z, S5(-0x1.812740p-2f));
    q = F5(q, z, S5(0x1.06eba8p-3f));
    return F5(a, q, a);
}

/* erf: unary_avx2.c's v_erf. */
V5INLINE __m512 lm512_erf(__m512 x) {
    __m512 a = lm512_abs(x);
    __m512 small = lm512_erf_small(a);
    __m512 big = _mm512_sub_ps(S5(1.0f), lm512_erfc_big(a));
    __m512 y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, S5(0.9f), _CMP_LT_OQ), big, small);
    return lm512_keep_nan(lm512_signed(y, x), x);
}

/* log1p: u = 1 + x rounded; log1p(x) = log(u) + (x - (u - 1)) / u, the second term putting
 * back what the rounding of u lost (exact to first order; u - 1 is exact). For |x| < 2^-25
 * the result is x itself. x = -1 gives -inf, x < -1 NaN, +inf inf, NaN NaN (log and
 * the correction keep them: the correction is masked off where u is not finite and positive). */
V5INLINE __m512 lm512_log1p(__m512 x) {
    __m512 u = _mm512_add_ps(x, S5(1.0f));
    __m512 c = _mm512_div_ps(_mm512_sub_ps(x, _mm512_sub_ps(u, S5(1.0f))), u);
    __mmask16 ok = _mm512_cmp_ps_mask(u, S5(0.0f), _CMP_GT_OQ) &
                   _mm512_cmp_ps_mask(u, S5(__builtin_inff()), _CMP_LT_OQ);
    __m512 y = _mm512_mask_add_ps(lm512_log(u), ok, lm512_log(u), c);
    /* |x| < 2^-25: x itself (what the formula gives, but also keeping -0 as -0) */
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(lm512_abs(x), S5(0x1p-25f), _CMP_LT_OQ), y, x);
}

/* softplus = log1p(exp(-|x|)) + max(x, 0), as the scalar loop of ops/unary.c; NaN stays NaN. */
V5INLINE __m512 lm512_softplus(__m512 x) {
    __m512 y = lm512_log1p(lm512_exp(_mm512_or_ps(x, S5(-0.0f))));
    __m512 pos = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), x);
    return lm512_keep_nan(_mm512_add_ps(y, pos), x);
}

/* relu: x where x > 0 or x is NaN, else +0. */
V5INLINE __m512 lm512_relu(__m512 x) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NLE_UQ), x);
}

/* gelu, exact: x * Phi(x) = x / 2 * erfc(-x / sqrt 2). With a = |x| / sqrt 2: below a = 0.9,
 * x / 2 * (1 + erf(x / sqrt 2)) from the small-argument erf; above, x < 0 takes x / 2 * erfc(a)
 * directly (no cancellation: the negative tail keeps its relative accuracy down to where
 * erfc's fit ends, x = -4 sqrt 2; below that the result is -0, within 4e-8 of the exact one)
 * and x > 0 takes x - x / 2 * erfc(a). */
V5INLINE __m512 lm512_gelu(__m512 x) {
    __m512 h = _mm512_mul_ps(x, S5(0.5f));
    __m512 z = _mm512_mul_ps(x, S5(0.70710678118654752440f));
    __m512 a = lm512_abs(z);
    __m512 small = F5(h, lm512_signed(lm512_erf_small(a), z), h);
    __m512 ec = _mm512_mul_ps(h, lm512_erfc_big(a));
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 big = _mm512_mask_blend_ps(neg, _mm512_sub_ps(x, ec), ec);
    /* |x| >= 4 sqrt 2, where erfc's fit is clamped: x itself above, h * 0 below (TF's form
     * x / 2 * (1 + erf) there: -0 for finite x, NaN for -inf; +inf stays inf) */
    __mmask16 far = _mm512_cmp_ps_mask(a, S5(4.0f), _CMP_NLT_UQ);
    big = _mm512_mask_blend_ps(far, big,
                               _mm512_mask_blend_ps(neg, x, _mm512_mul_ps(h, _mm512_setzero_ps())));
    __m512 y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, S5(0.9f), _CMP_LT_OQ), big, small);
    return lm512_keep_nan(y, x);
}

/* The GEMM epilogue's activations (lamina.h's lm_act). */
V5INLINE __m512 lm512_act(__m512 v, int act) {
    switch (act) {
    case LM_ACT_RELU: return lm512_relu(v);
    case LM_ACT_SIGMOID: return lm512_sigmoid(v);
    case LM_ACT_TANH: return lm512_tanh(v);
    case LM_ACT_GELU: return lm512_gelu(v);
    default: return v;
    }
}

#endif
