/* conv_depthwise.c — depthwise convolution (one input channel per group, channel multiplier M =
 * out_channels / channels) as direct loops: the innermost loop runs over the channels of one
 * pixel, contiguous in x, w and y, so it vectorises; a GEMM would see K = taps only.
 *
 *   y[p, c*M + m] = sum_taps x[p + tap, c] * w[tap, c*M + m]
 *
 * Forward is split over output rows, the two gradients over channel ranges (each thread owns its
 * channels of dx / dw, so nothing is shared). Also the bias + activation epilogue used here. */
#include "conv.h"
#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

#define ACT1(T, EXP, TANH, ERF)                                                                 \
    static inline T act1_##T(T x, int act) {                                                    \
        switch (act) {                                                                          \
        case LM_ACT_RELU: return x > 0 ? x : (x == x ? 0 : x);                                  \
        case LM_ACT_SIGMOID: return x >= 0 ? 1 / (1 + EXP(-x)) : EXP(x) / (1 + EXP(x));         \
        case LM_ACT_TANH: return TANH(x);                                                       \
        case LM_ACT_GELU: return (T)0.5 * x * (1 + ERF(x * (T)0.70710678118654752440));         \
        default: return x;                                                                      \
        }                                                                                       \
    }
ACT1(float, expf, tanhf, erff)
ACT1(double, exp, tanh, erf)

void lm__bias_act(lm_dtype dt, int64_t rows, int64_t n, void *y, const void *bias, int act) {
    if (!bias && act == LM_ACT_NONE) return;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < n; j++) {
            if (dt == LM_FLOAT32) {
                float *p = (float *)y + i * n + j;
                *p = act1_float(bias ? *p + ((const float *)bias)[j] : *p, act);
            } else {
                double *p = (double *)y + i * n + j;
                *p = act1_double(bias ? *p + ((const double *)bias)[j] : *p, act);
            }
        }
}

typedef struct dw_ctx {
    const lm_cgeo *G;
    lm_dtype dt;
    const void *a, *b, *bias;
    void *out;
    int act;
} dw_ctx;

/* The input pixel under output position o and tap (k0, k1, k2), or -1 in the padding. */
static inline int64_t tap_pixel(const lm_cgeo *G, int64_t b, const int64_t *o, int64_t k0,
                                int64_t k1, int64_t k2) {
    int64_t i0 = o[0] * G->s[0] - G->lo[0] + k0 * G->d[0];
    int64_t i1 = o[1] * G->s[1] - G->lo[1] + k1 * G->d[1];
    int64_t i2 = o[2] * G->s[2] - G->lo[2] + k2 * G->d[2];
    if (i0 < 0 || i0 >= G->in[0] || i1 < 0 || i1 >= G->in[1] || i2 < 0 || i2 >= G->in[2]) return -1;
    return ((b * G->in[0] + i0) * G->in[1] + i1) * G->in[2] + i2;
}

#define TAPS(G) for (int64_t k0 = 0; k0 < (G)->k[0]; k0++)                                      \
                for (int64_t k1 = 0; k1 < (G)->k[1]; k1++)                                      \
                for (int64_t k2 = 0; k2 < (G)->k[2]; k2++)
#define TAP_INDEX(G) ((k0 * (G)->k[1] + k1) * (G)->k[2] + k2)

#define DW_KERNELS(T)                                                                           \
    static void fwd_##T(void *vctx, int64_t r0, int64_t r1) {                                   \
        const dw_ctx *c = vctx;                                                                 \
        const lm_cgeo *G = c->G;                                                                \
        const T *x = c->a, *w = c->b;                                                           \
        int64_t C = G->c, M = G->coutg, N = G->cout;                                            \
        for (int64_t r = r0; r < r1; r++) {                                                     \
            int64_t b, o[3];                                                                    \
            lm__out_pos(G, r, &b, o);                                                                \
            T *restrict y = (T *)c->out + r * N;                                                \
            memset(y, 0, sizeof(T) * (size_t)N);                                                \
            TAPS(G) {                                                                           \
                int64_t p = tap_pixel(G, b, o, k0, k1, k2);                                     \
                if (p < 0) continue;                                                            \
                const T *restrict xr = x + p * C, *restrict wr = w + TAP_INDEX(G) * N;          \
                if (M == 1)                                                                     \
                    for (int64_t ch = 0; ch < C; ch++) y[ch] += xr[ch] * wr[ch];                \
                else                                                                            \
                    for (int64_t ch = 0; ch < C; ch++)                                          \
                        for (int64_t m = 0; m < M; m++) y[ch * M + m] += xr[ch] * wr[ch * M + m]; \
            }                                                                                   \
        }                                                                                       \
        lm__bias_act(c->dt, r1 - r0, N, (T *)c->out + r0 * N, c->bias, c->act);                 \
    }                                                                                           \
    /* dx[pixel, ch] += sum_m g[r, ch*M+m] w[tap, ch*M+m], channels [c0, c1) */                 \
    static void bwd_in_##T(void *vctx, int64_t c0, int64_t c1) {                                \
        const dw_ctx *c = vctx;                                                                 \
        const lm_cgeo *G = c->G;                                                                \
        const T *g = c->a, *w = c->b;                                                           \
        T *dx = c->out;                                                                         \
        int64_t C = G->c, M = G->coutg, N = G->cout;                                            \
        for (int64_t r = 0; r < G->rows; r++) {                                                 \
            int64_t b, o[3];                                                                    \
            lm__out_pos(G, r, &b, o);                                                                \
            const T *restrict gr = g + r * N;                                                   \
            TAPS(G) {                                                                           \
                int64_t p = tap_pixel(G, b, o, k0, k1, k2);                                     \
                if (p < 0) continue;                                                            \
                T *restrict d = dx + p * C;                                                     \
                const T *restrict wr = w + TAP_INDEX(G) * N;                                    \
                if (M == 1)                                                                     \
                    for (int64_t ch = c0; ch < c1; ch++) d[ch] += gr[ch] * wr[ch];              \
                else                                                                            \
                    for (int64_t ch = c0; ch < c1; ch++) {                                      \
                        T s = 0;                                                                \
                        for (int64_t m = 0; m < M; m++) s += gr[ch * M + m] * wr[ch * M + m];   \
                        d[ch] += s;                                                             \
                    }                                                                           \
            }                                                                                   \
        }                                                                                       \
    }                                                                                           \
    /* dw[tap, ch*M+m] = sum_r x[pixel, ch] g[r, ch*M+m], channels [c0, c1) */                  \
    static void bwd_w_##T(void *vctx, int64_t c0, int64_t c1) {                                 \
        const dw_ctx *c = vctx;                                                                 \
        const lm_cgeo *G = c->G;                                                                \
        const T *x = c->a, *g = c->b;                                                           \
        T *dw = c->out;                                                                         \
        int64_t C = G->c, M = G->coutg, N = G->cout;                                            \
        for (int64_t t = 0; t < G->k[0] * G->k[1] * G->k[2]; t++)                               \
            memset(dw + t * N + c0 * M, 0, sizeof(T) * (size_t)((c1 - c0) * M));               \
        for (int64_t r = 0; r < G->rows; r++) {                                                 \
            int64_t b, o[3];                                                                    \
            lm__out_pos(G, r, &b, o);                                                                \
            const T *restrict gr = g + r * N;                                                   \
            TAPS(G) {                                                                           \
                int64_t p = tap_pixel(G, b, o, k0, k1, k2);                                     \
                if (p < 0) continue;                                                            \
                const T *restrict xr = x + p * C;                                               \
                T *restrict d = dw + TAP_INDEX(G) * N;                                          \
                if (M == 1)                                                                     \
                    for (int64_t ch = c0; ch < c1; ch++) d[ch] += xr[ch] * gr[ch];              \
                else                                                                            \
                    for (int64_t ch = c0; ch < c1; ch++)                                        \
                        for (int64_t m = 0; m < M; m++) d[ch * M + m] += xr[ch] * gr[ch * M + m]; \
            }                                                                                   \
        }                                                                                       \
    }
DW_KERNELS(float)
DW_KERNELS(double)

/* Hand-offs of at least ~16K multiply-adds. */
static int64_t min_chunk(int64_t work_per_item) {
    return work_per_item >= 16384 ? 1 : 16384 / (work_per_item + 1) + 1;
}

/* float32, multiplier 1: the ISA's row kernel (kernels/<isa>/conv_dw.c) over output rows
 * (b, o0, o1), each given the input rows under its taps. */
#define DW_MAX_TAPROWS 256

static void fwd_rows_f32(void *vctx, int64_t u0, int64_t u1) {
    const dw_ctx *c = vctx;
    const lm_cgeo *G = c->G;
    const float *rows[DW_MAX_TAPROWS];
    lm_dw_row_args a = {rows, G->k[0] * G->k[1], c->b, c->bias, NULL, G->out[2], G->c, G->k[2],
                        G->s[2], G->d[2], G->lo[2], G->in[2]};
    lm_dw_row_f32_fn kern = lm_kernels()->f32_dw_row;
    for (int64_t u = u0; u < u1; u++) {
        int64_t o1 = u % G->out[1], o0 = u / G->out[1] % G->out[0], b = u / G->out[1] / G->out[0];
        int64_t r = 0;
        for (int64_t k0 = 0; k0 < G->k[0]; k0++)
            for (int64_t k1 = 0; k1 < G->k[1]; k1++, r++) {
                int64_t i0 = o0 * G->s[0] - G->lo[0] + k0 * G->d[0];
                int64_t i1 = o1 * G->s[1] - G->lo[1] + k1 * G->d[1];
                rows[r] = i0 < 0 || i0 >= G->in[0] || i1 < 0 || i1 >= G->in[1] ? NULL
                          : (const float *)c->a + ((b * G->in[0] + i0) * G->in[1] + i1) * G->in[2] * G->c;
            }
        a.y = (float *)c->out + u * G->out[2] * G->c;
        kern(&a);
        if (c->act) lm__bias_act(LM_FLOAT32, G->out[2], G->c, a.y, NULL, c->act);
    }
}

void lm__dw_forward(const lm_cgeo *G, lm_dtype dt, const void *x, const void *w, const void *bias,
                    int act, void *y) {
    dw_ctx c = {G, dt, x, w, bias, y, act};
    if (dt == LM_FLOAT32 && G->coutg == 1 && G->k[0] * G->k[1] <= DW_MAX_TAPROWS) {
        int64_t units = G->n * G->out[0] * G->out[1];
        int64_t per = G->out[2] * G->c * G->k[0] * G->k[1] * G->k[2];
        lm_parallel_for(units, min_chunk(per), fwd_rows_f32, &c);
        return;
    }
    int64_t per = G->cout * G->k[0] * G->k[1] * G->k[2];
    lm_parallel_for(G->rows, min_chunk(per), dt == LM_FLOAT32 ? fwd_float : fwd_double, &c);
}

void lm__dw_backprop_input(const lm_cgeo *G, lm_dtype dt, const void *g, const void *w, void *dx) {
    dw_ctx c = {G, dt, g, w, NULL, dx, 0};
    int64_t per = G->rows * G->coutg * G->k[0] * G->k[1] * G->k[2];
    int64_t mc = min_chunk(per);
    lm_parallel_for(G->c, mc < 16 ? 16 : mc, dt == LM_FLOAT32 ? bwd_in_float : bwd_in_double, &c);
}

void lm__dw_backprop_filter(const lm_cgeo *G, lm_dtype dt, const void *x, const void *g, void *dw) {
    dw_ctx c = {G, dt, x, g, NULL, dw, 0};
    int64_t per = G->rows * G->coutg * G->k[0] * G->k[1] * G->k[2];
    int64_t mc = min_chunk(per);
    lm_parallel_for(G->c, mc < 16 ? 16 : mc, dt == LM_FLOAT32 ? bwd_w_float : bwd_w_double, &c);
}
