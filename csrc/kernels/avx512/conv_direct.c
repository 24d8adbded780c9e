/* A direct float32 convolution row kernel for AVX-512: an implicit GEMM whose A operand is read
 * straight from the (zero-padded) input image, so patches are never packed. One call computes one
 * output row: tiles of up to 12 output pixels x 32 output channels held in 24 zmm accumulators
 * (named variables, so they stay in registers), summed over every tap and input channel; each
 * step broadcasts one input value per pixel against two vectors of a filter panel (the caller
 * packs the filter as 32-column panels, k-major). Channel tails use masks. Bias and relu are
 * applied before the store; other activations are applied by the caller. */
#include <immintrin.h>

#include "../kernels.h"

static __mmask16 lanes(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
}

#define R1(M) M(0)
#define R4(M) M(0) M(1) M(2) M(3)
#define R8(M) R4(M) M(4) M(5) M(6) M(7)
#define R12(M) R8(M) M(8) M(9) M(10) M(11)

#define DECL(p) __m512 a##p = b0, c##p = b1;
#define STEP(p)                                                                                  \
    {                                                                                            \
        __m512 xv = _mm512_set1_ps(xp[p * ps]);                                                  \
        a##p = _mm512_fmadd_ps(xv, w0, a##p);                                                    \
        c##p = _mm512_fmadd_ps(xv, w1, c##p);                                                    \
    }
#define RELU(p) a##p = _mm512_max_ps(a##p, z), c##p = _mm512_max_ps(c##p, z);
#define STORE(p)                                                                                 \
    _mm512_mask_storeu_ps(yb + p * N, m0, a##p);                                                 \
    _mm512_mask_storeu_ps(yb + p * N + 16, m1, c##p);

#define CONV_TILE(NP, REP)                                                                       \
    static void tile_##NP(const lm_conv_row_args *a, const float *xb, const float *panel,       \
                          float *yb, const float *bias, __mmask16 m0, __mmask16 m1) {            \
        __m512 b0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();                \
        __m512 b1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();           \
        REP(DECL)                                                                                \
        const int64_t C = a->C, ps = a->sw * C, N = a->cout;                                     \
        const float *wp = panel;                                                                 \
        for (int64_t i = 0; i < a->kh; i++)                                                      \
            for (int64_t j = 0; j < a->kw; j++) {                                                \
                const float *xp = xb + i * a->dh * a->row + j * a->dw * C;                       \
                for (int64_t c = 0; c < C; c++, xp++, wp += 32) {                                \
                    __m512 w0 = _mm512_loadu_ps(wp), w1 = _mm512_loadu_ps(wp + 16);              \
                    REP(STEP)                                                                    \
                }                                                                                \
            }                                                                                    \
        if (a->relu) {                                                                           \
            __m512 z = _mm512_setzero_ps();                                                      \
            REP(RELU)                                                                            \
        }                                                                                        \
        REP(STORE)                                                                               \
    }
/* The same over 12 pixels anywhere (a tile that crosses output rows): one input pointer each. */
#define PSTEP(p)                                                                                 \
    {                                                                                            \
        __m512 xv = _mm512_set1_ps(px[p][off]);                                                  \
        a##p = _mm512_fmadd_ps(xv, w0, a##p);                                                    \
        c##p = _mm512_fmadd_ps(xv, w1, c##p);                                                    \
    }
static void ptile_12(const lm_conv_row_args *a, const float *const *px, const float *panel,
                     float *yb, const float *bias, __mmask16 m0, __mmask16 m1) {
    __m512 b0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
    __m512 b1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
    R12(DECL)
    const int64_t C = a->C, N = a->cout;
    const float *wp = panel;
    for (int64_t i = 0; i < a->kh; i++)
        for (int64_t j = 0; j < a->kw; j++) {
            int64_t off = i * a->dh * a->row + j * a->dw * C;
            for (int64_t c = 0; c < C; c++, off++, wp += 32) {
                __m512 w0 = _mm512_loadu_ps(wp), w1 = _mm512_loadu_ps(wp + 16);
                R12(PSTEP)
            }
        }
    if (a->relu) {
        __m512 z = _mm512_setzero_ps();
        R12(RELU)
    }
    R12(STORE)
}

CONV_TILE(12, R12)
CONV_TILE(8, R8)
CONV_TILE(4, R4)
CONV_TILE(1, R1)


void lm_avx512_conv_tile_f32(const lm_conv_row_args *a, const float *const *px) {
    int64_t K = a->kh * a->kw * a->C;
    for (int64_t co = 0; co < a->ncols; co += 32)
        ptile_12(a, px, a->w + (co / 32) * K * 32, a->y + co, a->bias ? a->bias + co : NULL,
                 lanes(a->ncols - co), lanes(a->ncols - co - 16));
}

void lm_avx512_conv_row_f32(const lm_conv_row_args *a) {
    int64_t K = a->kh * a->kw * a->C, step = a->sw * a->C;
    for (int64_t co = 0; co < a->ncols; co += 32) {
        __mmask16 m0 = lanes(a->ncols - co), m1 = lanes(a->ncols - co - 16);
        const float *panel = a->w + (co / 32) * K * 32;
        const float *bias = a->bias ? a->bias + co : NULL;
        float *y = a->y + co;
        int64_t o = 0;
        for (; o + 12 <= a->ow; o += 12) tile_12(a, a->x + o * step, panel, y + o * a->cout, bias, m0, m1);
        for (; o + 8 <= a->ow; o += 8) tile_8(a, a->x + o * step, panel, y + o * a->cout, bias, m0, m1);
        for (; o + 4 <= a->ow; o += 4) tile_4(a, a->x + o * step, panel, y + o * a->cout, bias, m0, m1);
        for (; o < a->ow; o++) tile_1(a, a->x + o * step, panel, y + o * a->cout, bias, m0, m1);
    }
}

/* ---- filter gradient --------------------------------------------------------------------------
 * dW[q, co] = sum over output pixels r of x[pixel(r) + q] * g[r, co] for NQ consecutive input
 * channels q of one tap and 32 output channels: the same 24-accumulator tile with the roles of
 * pixels and channels swapped (the sum now runs over the pixels). */
#define WSTEP(q)                                                                                 \
    {                                                                                            \
        __m512 xv = _mm512_set1_ps(xp[q]);                                                       \
        a##q = _mm512_fmadd_ps(xv, g0, a##q);                                                    \
        c##q = _mm512_fmadd_ps(xv, g1, c##q);                                                    \
    }
#define WSTORE(q)                                                                                \
    _mm512_mask_storeu_ps(a->dw + q * a->ldw, m0, a##q);                                         \
    _mm512_mask_storeu_ps(a->dw + q * a->ldw + 16, m1, c##q);

#define WGRAD_TILE(NQ, REP)                                                                      \
    static void wtile_##NQ(const lm_conv_wgrad_args *a, __mmask16 m0, __mmask16 m1) {            \
        __m512 b0 = _mm512_setzero_ps(), b1 = b0;                                                \
        REP(DECL)                                                                                \
        const float *gp = a->g;                                                                  \
        for (int64_t b = 0; b < a->n; b++)                                                       \
            for (int64_t h = 0; h < a->oh; h++) {                                                \
                const float *xp = a->x + b * a->img + h * a->rstep;                              \
                for (int64_t w = 0; w < a->ow; w++, xp += a->pstep, gp += a->gstride) {          \
                    __m512 g0 = _mm512_maskz_loadu_ps(m0, gp);                                   \
                    __m512 g1 = _mm512_maskz_loadu_ps(m1, gp + 16);                              \
                    REP(WSTEP)                                                                   \
                }                                                                                \
            }                                                                                    \
        REP(WSTORE)                                                                              \
    }
WGRAD_TILE(12, R12)
WGRAD_TILE(8, R8)
WGRAD_TILE(4, R4)
WGRAD_TILE(1, R1)

void lm_avx512_conv_wgrad_f32(const lm_conv_wgrad_args *a) {
    __mmask16 m0 = lanes(a->ncols), m1 = lanes(a->ncols - 16);
    if (a->nq == 12) wtile_12(a, m0, m1);
    else if (a->nq == 8) wtile_8(a, m0, m1);
    else if (a->nq == 4) wtile_4(a, m0, m1);
    else wtile_1(a, m0, m1);
}
