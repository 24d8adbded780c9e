/* pool.c — max and average pooling over 1 to 3 spatial dims (channels last) and their gradients.
 * Padding never counts: max ignores padded positions and the average divides by the number of
 * real elements in each window (tf's SAME). The innermost loops run over the channels of one
 * pixel (contiguous), so they vectorise.
 *
 * Max pooling's gradient goes to the first maximum of each window (tf's MaxPoolGrad); it is
 * linear in g, and its own gradient with respect to g reads h at the same maxima
 * (max_pool_gradgrad), whose gradient is max_pool_grad again: all orders are closed. Forward
 * passes split over output pixels, the scatters over channel ranges (each thread owns its
 * channels of dx). */
/* GCC if-converts (and so vectorises) the float compares and selects of the max loops only when
 * FP operations may be assumed not to trap; lamina never reads FP exception flags. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "conv.h"
#include "autodiff/record.h"

#include <math.h>
#include <string.h>

/* Channels per argmax pass (its running max and index live on the stack). */
#define CBLOCK 256

typedef struct pool_ctx {
    const lm_cgeo *G;
    const void *x, *g;   /* input pixels; the gradient or h (one value per output pixel) */
    void *out;
    int is_max;
} pool_ctx;

/* The window of output pixel r: its batch, first input coordinate and clipped tap ranges. */
typedef struct win_rng {
    int64_t b, start[3], kb[3], ke[3], count;
} win_rng;

static inline void window_of(const lm_cgeo *G, int64_t r, win_rng *w) {
    int64_t o[3];
    lm__out_pos(G, r, &w->b, o);
    w->count = 1;
    for (int i = 0; i < 3; i++) {
        int64_t s = o[i] * G->s[i] - G->lo[i];
        w->start[i] = s;
        w->kb[i] = s < 0 ? -s : 0;
        w->ke[i] = G->in[i] - s < G->k[i] ? G->in[i] - s : G->k[i];
        if (w->ke[i] < w->kb[i]) w->ke[i] = w->kb[i];
        w->count *= w->ke[i] - w->kb[i];
    }
}

/* The input pixel of the t-th real pixel of window w (in WINDOW_PIXELS order); see
 * window_pixels for the common small windows. */
static inline int64_t tap_pixel(const lm_cgeo *G, const win_rng *w, int64_t t) {
    int64_t e2 = w->ke[2] - w->kb[2], e1 = w->ke[1] - w->kb[1];
    int64_t k2 = w->kb[2] + t % e2, k1 = w->kb[1] + t / e2 % e1, k0 = w->kb[0] + t / e2 / e1;
    return ((w->b * G->in[0] + w->start[0] + k0) * G->in[1] + w->start[1] + k1) * G->in[2] +
           w->start[2] + k2;
}

#define WINDOW_LIST 64

#define WINDOW_PIXELS(G, w)                                                                      \
    for (int64_t k0 = (w).kb[0]; k0 < (w).ke[0]; k0++)                                          \
    for (int64_t k1 = (w).kb[1]; k1 < (w).ke[1]; k1++)                                          \
    for (int64_t k2 = (w).kb[2], p = (((w).b * (G)->in[0] + (w).start[0] + k0) * (G)->in[1] +    \
                                      (w).start[1] + k1) * (G)->in[2] + (w).start[2] + k2;       \
         k2 < (w).ke[2]; k2++, p++)

/* The window's pixels listed once per output pixel (small windows), so that turning an argmax
 * ordinal into a pixel is a load rather than divisions. */
#define LIST_PIXELS                                                                              \
    int64_t pix[WINDOW_LIST], npix = 0;                                                          \
    if (w.count <= WINDOW_LIST) WINDOW_PIXELS(G, w) pix[npix++] = p;
#define PIXEL(t) (npix ? pix[t] : tap_pixel(G, &w, (t)))

#define POOL_KERNELS(T, LOWEST)                                                                  \
    static void fwd_##T(void *vctx, int64_t r0, int64_t r1) {                                    \
        const pool_ctx *c = vctx;                                                                \
        const lm_cgeo *G = c->G;                                                                 \
        int64_t C = G->c;                                                                        \
        for (int64_t r = r0; r < r1; r++) {                                                      \
            win_rng w;                                                                           \
            window_of(G, r, &w);                                                                 \
            T *restrict y = (T *)c->out + r * C;                                                 \
            for (int64_t ch = 0; ch < C; ch++) y[ch] = c->is_max ? LOWEST : 0;                  \
            WINDOW_PIXELS(G, w) {                                                                \
                const T *restrict xr = (const T *)c->x + p * C;                                  \
                if (c->is_max)                                                                   \
                    for (int64_t ch = 0; ch < C; ch++) y[ch] = xr[ch] > y[ch] ? xr[ch] : y[ch];  \
                else                                                                             \
                    for (int64_t ch = 0; ch < C; ch++) y[ch] += xr[ch];                          \
            }                                                                                    \
            if (!c->is_max && w.count > 0) {                                                     \
                T inv = (T)1 / (T)w.count;                                                       \
                for (int64_t ch = 0; ch < C; ch++) y[ch] *= inv;                                 \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
    /* The first maximum of window w in channels [c0, c1): idx gets its ordinal among the      \
     * window's real pixels (-1 for a window with none; tap_pixel turns it into a pixel). float \
     * and int32 lanes of one width and no branches, so the channel loop vectorises. */         \
    static void argmax_##T(const lm_cgeo *G, const T *x, const win_rng *w, int64_t c0, int64_t c1, \
                           T *restrict best, int32_t *restrict idx) {                            \
        int64_t C = G->c, n = c1 - c0;                                                           \
        int32_t t = 0;                                                                           \
        WINDOW_PIXELS(G, (*w)) {                                                                 \
            const T *restrict xr = x + p * C + c0;                                               \
            if (t == 0) {                                                                        \
                for (int64_t ch = 0; ch < n; ch++) {                                             \
                    best[ch] = xr[ch];                                                           \
                    idx[ch] = 0;                                                                 \
                }                                                                                \
            } else {                                                                             \
                for (int64_t ch = 0; ch < n; ch++) { /* selects, not branches */               \
                    T v = xr[ch], b = best[ch];                                                  \
                    int32_t m = -(int32_t)(v > b);                                               \
                    best[ch] = v > b ? v : b;                                                    \
                    idx[ch] = (idx[ch] & ~m) | (t & m);                                          \
                }                                                                                \
            }                                                                                    \
            t++;                                                                                 \
        }                                                                                        \
        if (t == 0)                                                                              \
            for (int64_t ch = 0; ch < n; ch++) idx[ch] = -1;                                     \
    }                                                                                            \
    /* dx over channels [c0, c1): max sends g to the argmax, average spreads g / count. */       \
    static void bwd_##T(void *vctx, int64_t c0, int64_t c1) {                                    \
        const pool_ctx *c = vctx;                                                                \
        const lm_cgeo *G = c->G;                                                                 \
        int64_t C = G->c;                                                                        \
        T *dx = c->out, best[CBLOCK];                                                            \
        int32_t idx[CBLOCK];                                                                     \
        for (int64_t r = 0; r < G->rows; r++) {                                                  \
            win_rng w;                                                                           \
            window_of(G, r, &w);                                                                 \
            const T *gr = (const T *)c->g + r * C;                                               \
            if (c->is_max) {                                                                     \
                LIST_PIXELS                                                                      \
                for (int64_t cb = c0; cb < c1; cb += CBLOCK) {                                   \
                    int64_t ce = c1 - cb < CBLOCK ? c1 : cb + CBLOCK;                            \
                    argmax_##T(G, c->x, &w, cb, ce, best, idx);                                  \
                    for (int64_t ch = cb; ch < ce; ch++)                                         \
                        if (idx[ch - cb] >= 0) dx[PIXEL(idx[ch - cb]) * C + ch] += gr[ch];     \
                }                                                                                \
            } else if (w.count > 0) {                                                            \
                T inv = (T)1 / (T)w.count;                                                       \
                WINDOW_PIXELS(G, w) {                                                            \
                    T *d = dx + p * C;                                                           \
                    for (int64_t ch = c0; ch < c1; ch++) d[ch] += gr[ch] * inv;                  \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
    /* out[r, ch] = h[argmax, ch] for output pixels [r0, r1). */                                 \
    static void gg_##T(void *vctx, int64_t r0, int64_t r1) {                                     \
        const pool_ctx *c = vctx;                                                                \
        const lm_cgeo *G = c->G;                                                                 \
        int64_t C = G->c;                                                                        \
        T best[CBLOCK];                                                                          \
        int32_t idx[CBLOCK];                                                                     \
        for (int64_t r = r0; r < r1; r++) {                                                      \
            win_rng w;                                                                           \
            window_of(G, r, &w);                                                                 \
            T *o = (T *)c->out + r * C;                                                          \
            LIST_PIXELS                                                                          \
            for (int64_t cb = 0; cb < C; cb += CBLOCK) {                                         \
                int64_t ce = C - cb < CBLOCK ? C : cb + CBLOCK;                                  \
                argmax_##T(G, c->x, &w, cb, ce, best, idx);                                      \
                for (int64_t ch = cb; ch < ce; ch++)                                             \
                    o[ch] = idx[ch - cb] >= 0                                                    \
                                ? ((const T *)c->g)[PIXEL(idx[ch - cb]) * C + ch] : 0;   \
            }                                                                                    \
        }                                                                                        \
    }
POOL_KERNELS(float, -INFINITY)
POOL_KERNELS(double, -INFINITY)

typedef enum { P_FWD, P_BWD, P_GG } pool_kind;

static const char *pool_name(int is_max, int nsp) {
    static const char *names[2][3] = {{"avg_pool1d", "avg_pool2d", "avg_pool3d"},
                                      {"max_pool1d", "max_pool2d", "max_pool3d"}};
    return nsp >= 1 && nsp <= 3 ? names[is_max != 0][nsp - 1] : "pool";
}

static lm_status widen_c(const lm_tensor *x, lm_tensor **out) {
    *out = NULL;
    if (!x) return LM_OK;
    lm_tensor *w = NULL;
    lm_status st = lm_widen(x, &w);
    if (st || lm_is_contiguous(w)) {
        *out = w;
        return st;
    }
    st = lm_contiguous(w, out);
    lm_release(w);
    return st;
}

/* Validate, compute on float32/float64 copies, cast back to x's dtype. */
static lm_status pool_run(pool_kind kind, int is_max, const char *op, const lm_tensor *x,
                          int xnd, const int64_t *xshape, const lm_tensor *g, const lm_window *win,
                          lm_tensor **out) {
    *out = NULL;
    lm_status st;
    const lm_tensor *ref = x ? x : g;
    if ((x && (st = lm_check_tensor(op, x))) || (g && (st = lm_check_tensor(op, g)))) return st;
    if (!lm_dtype_is_float(ref->dtype) || (x && g && x->dtype != g->dtype))
        return lm_fail(LM_ETYPE, "%s: float operands of one dtype only, got %s%s%s", op, LM_DT(ref),
                       x && g ? " and " : "", x && g ? LM_DT(g) : "");
    lm_cgeo G;
    if ((st = lm__window_geo(op, win, xnd, xshape, win->size, &G))) return st;
    int64_t yshape[5];
    lm__window_out_shape(&G, G.c, yshape);
    if (kind != P_FWD && (g->ndim != xnd || memcmp(g->shape, kind == P_BWD ? yshape : xshape,
                                                   sizeof(int64_t) * (size_t)xnd)))
        return lm_fail(LM_EVALUE, "%s: the gradient has shape %s; input %s gives pooled shape %s",
                       op, LM_SHAPE(g), LM_SHAPE_N(xnd, xshape), LM_SHAPE_N(xnd, yshape));
    lm_tensor *cx = NULL, *cg = NULL, *res = NULL;
    if ((st = widen_c(x, &cx)) || (st = widen_c(g, &cg))) goto done;
    lm_dtype dt = (cx ? cx : cg)->dtype;
    if ((st = (kind == P_BWD ? lm_zeros : lm_empty)(dt, xnd, kind == P_BWD ? xshape : yshape, &res)))
        goto done;
    pool_ctx c = {&G, cx ? cx->data : NULL, cg ? cg->data : NULL, res->data, is_max};
    int f32 = dt == LM_FLOAT32;
    int64_t taps = G.k[0] * G.k[1] * G.k[2], per = 16384 / (taps * G.c + 1) + 1;
    if (kind == P_FWD) lm_parallel_for(G.rows, per, f32 ? fwd_float : fwd_double, &c);
    else if (kind == P_GG) lm_parallel_for(G.rows, per, f32 ? gg_float : gg_double, &c);
    else lm_parallel_for(G.c, 16, f32 ? bwd_float : bwd_double, &c);
    if (res->dtype != ref->dtype) {
        st = lm_cast(res, ref->dtype, out);
    } else {
        *out = res;
        res = NULL;
    }
done:
    lm_release(cx);
    lm_release(cg);
    lm_release(res);
    return st;
}

static lm_status record(lm_gkind kind, int code, const lm_window *win, int n, const lm_tensor *a,
                        const lm_tensor *b, lm_tensor **out) {
    if (!lm_tape_recording()) return LM_OK;
    const lm_tensor *in[2] = {a, b};
    return lm_record(kind, &(lm_gattrs){.code = code, .win = *win}, n, in, out);
}

lm_status lm_pool(int is_max, const lm_tensor *x, const lm_window *win, lm_tensor **out) {
    is_max = is_max != 0;
    lm_status st = pool_run(P_FWD, is_max, pool_name(is_max, win->nsp), x, x->ndim, x->shape, NULL,
                            win, out);
    return st ? st : record(LM_G_POOL, is_max, win, 1, x, NULL, out);
}

lm_status lm_max_pool_grad(const lm_tensor *x, const lm_tensor *g, const lm_window *win,
                           lm_tensor **out) {
    lm_status st = pool_run(P_BWD, 1, "max_pool_grad", x, x->ndim, x->shape, g, win, out);
    return st ? st : record(LM_G_MAXPOOL_GRAD, 0, win, 2, x, g, out);
}

lm_status lm_max_pool_gradgrad(const lm_tensor *x, const lm_tensor *h, const lm_window *win,
                               lm_tensor **out) {
    lm_status st = pool_run(P_GG, 1, "max_pool_gradgrad", x, x->ndim, x->shape, h, win, out);
    return st ? st : record(LM_G_MAXPOOL_GRADGRAD, 0, win, 2, x, h, out);
}

lm_status lm_avg_pool_grad(int ndim, const int64_t *input_shape, const lm_tensor *g,
                           const lm_window *win, lm_tensor **out) {
    *out = NULL;
    if (ndim < 0 || ndim > LM_MAX_NDIM)
        return lm_fail(LM_EVALUE, "avg_pool_grad: input shape of rank %d", ndim);
    for (int d = 0; d < ndim; d++)
        if (input_shape[d] < 0)
            return lm_fail(LM_EVALUE, "avg_pool_grad: input shape %s has a negative size",
                           LM_SHAPE_N(ndim, input_shape));
    lm_status st = pool_run(P_BWD, 0, "avg_pool_grad", NULL, ndim, input_shape, g, win, out);
    return st ? st : record(LM_G_AVGPOOL_GRAD, 0, win, 1, g, NULL, out);
}
