/* conv.c — convolution (1 to 3 spatial dims, channels last, tf's HWIO filters, groups) and its
 * two gradients, lowered onto the packed GEMM (gemm/gemm.h).
 *
 *   forward:         y[r, co]   = sum_k patch(x)[r, k] * w[k, co]     (r: output positions)
 *   backprop input:  dx         = col2im(g @ w^T)                      (the transposed conv)
 *   backprop filter: dw         = sum_r patch(x)[r, :]^T g[r, :]
 *
 * The patch matrix is never built whole: it is packed `chunk` output rows at a time (a few MB),
 * each chunk multiplied at once, so memory stays bounded for any image. A 1x1 convolution with
 * stride 1 and no padding is a plain GEMM on x itself; a depthwise convolution (one input channel
 * per group) runs its own loops (conv_depthwise.c). Bias and activation are applied in the GEMM's
 * epilogue, on each tile while it is in cache. Where the active ISA has them (AVX-512), float32
 * one-group convolutions with enough output pixels skip patches altogether: the forward pass and
 * the filter gradient run tile kernels that read the zero-padded input in place (direct_*,
 * wgrad_*); the stride-1 input gradient is a forward convolution and so uses them too.
 *
 * The three ops are recorded on the tape; each one's gradient is written with the others, so
 * second derivatives come for free. */
#include "conv.h"
#include "autodiff/record.h"
#include "gemm/gemm.h"
#include "kernels/kernels.h"

#include <string.h>

/* ---- geometry ----------------------------------------------------------------------------------- */

lm_status lm__window_geo(const char *op, const lm_window *win, int ndim, const int64_t *xshape,
                         const int64_t *k, lm_cgeo *G) {
    memset(G, 0, sizeof *G);
    int nsp = win->nsp;
    if (nsp < 1 || nsp > 3)
        return lm_fail(LM_EVALUE, "%s: %d spatial dims; 1, 2 or 3 are supported", op, nsp);
    if (ndim != nsp + 2)
        return lm_fail(LM_EVALUE, "%s: input must be %d-dimensional (batch, %d spatial, channels), "
                       "got shape %s", op, nsp + 2, nsp, LM_SHAPE_N(ndim, xshape));
    G->nsp = nsp;
    G->n = xshape[0];
    G->c = xshape[ndim - 1];
    G->rows = G->n;
    for (int i = 0; i < 3; i++) {
        int j = i - (3 - nsp);  /* the caller's spatial index, < 0 for the leading 1s */
        int64_t in = j < 0 ? 1 : xshape[1 + j], kk = j < 0 ? 1 : k[j];
        int64_t s = j < 0 ? 1 : win->strides[j], d = j < 0 ? 1 : win->dilations[j];
        int64_t lo = j < 0 ? 0 : win->pad_before[j], hi = j < 0 ? 0 : win->pad_after[j];
        if (s < 1) return lm_fail(LM_EVALUE, "%s: Stride must be > 0, but got %lld", op, (long long)s);
        if (d < 1)
            return lm_fail(LM_EVALUE, "%s: Dilated rates must be > 0, but got %lld", op, (long long)d);
        if (lo < 0 || hi < 0)
            return lm_fail(LM_EVALUE, "%s: padding must be >= 0, got %lld before and %lld after "
                           "spatial dim %d", op, (long long)lo, (long long)hi, j);
        if (kk < 1)
            return lm_fail(LM_EVALUE, "%s: window size must be > 0, got %lld in spatial dim %d",
                           op, (long long)kk, j);
        if (in > ((int64_t)1 << 40) || kk > ((int64_t)1 << 30) || d > ((int64_t)1 << 30) ||
            lo > ((int64_t)1 << 40) || hi > ((int64_t)1 << 40))
            return lm_fail(LM_EVALUE, "%s: sizes too large (input %lld, window %lld, dilation "
                           "%lld)", op, (long long)in, (long long)kk, (long long)d);
        int64_t eff = (kk - 1) * d + 1, span = in + lo + hi - eff;
        if (span < 0)
            return lm_fail(LM_EVALUE, "%s: Computed output size would be negative: %lld "
                           "[input_size: %lld, effective_filter_size: %lld, stride: %lld] (input "
                           "shape %s)", op, (long long)((span + s) / s),
                           (long long)in, (long long)eff, (long long)s, LM_SHAPE_N(ndim, xshape));
        G->in[i] = in;
        G->k[i] = kk;
        G->s[i] = s;
        G->d[i] = d;
        G->lo[i] = lo;
        G->out[i] = span / s + 1;
        G->rows *= G->out[i];
    }
    return LM_OK;
}

void lm__window_out_shape(const lm_cgeo *G, int64_t channels, int64_t *shape) {
    shape[0] = G->n;
    for (int j = 0; j < G->nsp; j++) shape[1 + j] = G->out[3 - G->nsp + j];
    shape[G->nsp + 1] = channels;
}

static const char *conv_name(int nsp) {
    return nsp == 1 ? "conv1d" : nsp == 2 ? "conv2d" : "conv3d";
}

/* The full conv geometry from x's and w's shapes. */
static lm_status conv_geo(const char *op, const lm_window *win, int xnd, const int64_t *xs,
                          int wnd, const int64_t *ws, lm_cgeo *G) {
    int nsp = win->nsp;
    if (nsp >= 1 && nsp <= 3 && wnd != nsp + 2)
        return lm_fail(LM_EVALUE, "%s: filter must be %d-dimensional (spatial..., in_channels, "
                       "out_channels): %s", op, nsp + 2, LM_SHAPE_N(wnd, ws));
    lm_status st = lm__window_geo(op, win, xnd, xs, ws, G);
    if (st) return st;
    G->cg = ws[wnd - 2];
    G->cout = ws[wnd - 1];
    if (G->cg < 1 || G->c % G->cg)
        return lm_fail(LM_EVALUE, "%s: input depth must be evenly divisible by filter depth: "
                       "%lld vs %lld (input %s, filter %s)", op, (long long)G->c, (long long)G->cg,
                       LM_SHAPE_N(xnd, xs), LM_SHAPE_N(wnd, ws));
    G->groups = G->c / G->cg;
    if (G->cout % G->groups)
        return lm_fail(LM_EVALUE, "%s: output depth must be evenly divisible by number of groups: "
                       "%lld vs %lld (input %s, filter %s)", op, (long long)G->cout,
                       (long long)G->groups, LM_SHAPE_N(xnd, xs), LM_SHAPE_N(wnd, ws));
    G->coutg = G->cout / G->groups;
    G->K = G->k[0] * G->k[1] * G->k[2] * G->cg;
    return LM_OK;
}

static lm_status check_float(const char *op, const lm_tensor *a, const lm_tensor *b) {
    lm_status st;
    if ((st = lm_check_tensor(op, a)) || (st = lm_check_tensor(op, b))) return st;
    if (a->dtype != b->dtype)
        return lm_fail(LM_ETYPE, "%s: operands must have one dtype, got %s %s and %s %s", op,
                       LM_DT(a), LM_SHAPE(a), LM_DT(b), LM_SHAPE(b));
    if (!lm_dtype_is_float(a->dtype))
        return lm_fail(LM_ETYPE, "%s: float dtypes only (float16, bfloat16, float32, float64), got "
                       "%s", op, LM_DT(a));
    return LM_OK;
}

/* A contiguous float32/float64 copy of x (x itself, retained, when it already is one). */
static lm_status prepare(const lm_tensor *x, lm_tensor **out) {
    *out = NULL;
    if (!x) return LM_OK;
    lm_tensor *w = NULL;
    lm_status st = lm_widen(x, &w);
    if (st) return st;
    if (lm_is_contiguous(w)) {
        *out = w;
        return LM_OK;
    }
    st = lm_contiguous(w, out);
    lm_release(w);
    return st;
}

/* ---- GEMM with a reusable scratch ----------------------------------------------------------------- */

typedef struct gemm_ws {
    void *p;
    size_t n;
} gemm_ws;

static lm_status gemm(gemm_ws *ws, lm_dtype dt, int64_t m, int64_t n, int64_t k, const void *a,
                      int64_t rsa, int64_t csa, const void *b, int64_t rsb, int64_t csb, void *c,
                      int64_t rsc, const void *bias, int act) {
    int th = lm_get_num_threads();
    const lm_gemm_kernel_f32 *k32 = dt == LM_FLOAT32 ? lm_gemm_select_f32() : NULL;
    const lm_gemm_kernel_f64 *k64 = dt == LM_FLOAT32 ? NULL : lm_gemm_select_f64();
    size_t need = k32 ? lm_gemm_workspace_f32(k32, m, n, k, rsa, csa, rsb, csb, th)
                      : lm_gemm_workspace_f64(k64, m, n, k, rsa, csa, rsb, csb, th);
    if (need > ws->n) {
        lm_gemm_free(ws->p);
        ws->n = 0;
        if (!(ws->p = lm_gemm_alloc(need)))
            return lm_fail(LM_ENOMEM, "conv: cannot allocate %zu bytes of GEMM scratch", need);
        ws->n = need;
    }
    if (k32)
        lm_gemm_f32_ws(k32, m, n, k, a, rsa, csa, b, rsb, csb, c, rsc, 1, bias, act, ws->p, th);
    else
        lm_gemm_f64_ws(k64, m, n, k, a, rsa, csa, b, rsb, csb, c, rsc, 1, bias, act, ws->p, th);
    return LM_OK;
}

/* Output rows per chunk: the chunk's patch matrix stays within `budget` bytes, and at least 64
 * rows long (the GEMM wants height). */
static int64_t chunk_rows(const lm_cgeo *G, size_t es, size_t budget) {
    int64_t r = (int64_t)(budget / ((size_t)G->K * es + 1));
    if (r < 64) r = 64;
    return r < G->rows ? r : G->rows;
}

/* ---- patches -------------------------------------------------------------------------------------- */

typedef struct patch_ctx {
    const lm_cgeo *G;
    const char *x;     /* the input image batch */
    char *cols;        /* (r1 - r0) x K */
    int64_t gi, r0;
    size_t es;
} patch_ctx;

/* Rows [lo, hi) of the chunk: each row is one patch, k0 k1 k2 cg in the filter's order. With
 * one group and no dilation along the last dim, a whole k2 x c run is contiguous in x: one copy
 * per (k0, k1). Padding reads as zeros. */
static void patch_rows(void *vctx, int64_t lo, int64_t hi) {
    const patch_ctx *P = vctx;
    const lm_cgeo *G = P->G;
    size_t es = P->es;
    int64_t C = G->c, cg = G->cg, K2 = G->k[2];
    int run = G->groups == 1 && G->d[2] == 1;
    for (int64_t r = lo; r < hi; r++) {
        int64_t b, o[3];
        lm__out_pos(G, P->r0 + r, &b, o);
        char *dst = P->cols + (size_t)(r * G->K) * es;
        const char *xb = P->x + (size_t)((b * G->in[0] * G->in[1] * G->in[2]) * C + P->gi * cg) * es;
        for (int64_t k0 = 0; k0 < G->k[0]; k0++) {
            int64_t i0 = o[0] * G->s[0] - G->lo[0] + k0 * G->d[0];
            for (int64_t k1 = 0; k1 < G->k[1]; k1++, dst += (size_t)(K2 * cg) * es) {
                int64_t i1 = o[1] * G->s[1] - G->lo[1] + k1 * G->d[1];
                if (i0 < 0 || i0 >= G->in[0] || i1 < 0 || i1 >= G->in[1]) {
                    memset(dst, 0, (size_t)(K2 * cg) * es);
                    continue;
                }
                const char *xr = xb + (size_t)((i0 * G->in[1] + i1) * G->in[2] * C) * es;
                int64_t i2s = o[2] * G->s[2] - G->lo[2];
                if (run) {
                    int64_t kb = i2s < 0 ? -i2s : 0, ke = G->in[2] - i2s;
                    if (ke > K2) ke = K2;
                    if (kb > K2) kb = K2;
                    if (ke < kb) ke = kb;
                    memset(dst, 0, (size_t)(kb * C) * es);
                    if (ke > kb)
                        memcpy(dst + (size_t)(kb * C) * es, xr + (size_t)((i2s + kb) * C) * es,
                               (size_t)((ke - kb) * C) * es);
                    memset(dst + (size_t)(ke * C) * es, 0, (size_t)((K2 - ke) * C) * es);
                    continue;
                }
                for (int64_t k2 = 0; k2 < K2; k2++) {
                    int64_t i2 = i2s + k2 * G->d[2];
                    char *dd = dst + (size_t)(k2 * cg) * es;
                    if (i2 < 0 || i2 >= G->in[2]) memset(dd, 0, (size_t)cg * es);
                    else memcpy(dd, xr + (size_t)(i2 * C) * es, (size_t)cg * es);
                }
            }
        }
    }
}

static void pack_patches(const lm_cgeo *G, const void *x, int64_t gi, int64_t r0, int64_t nr,
                         void *cols, size_t es) {
    patch_ctx P = {G, x, cols, gi, r0, es};
    int64_t per = (int64_t)(65536 / ((size_t)G->K * es + 1)) + 1;  /* ~64 KB per thread hand-off */
    lm_parallel_for(nr, per, patch_rows, &P);
}

/* The transpose of pack_patches: add each patch of `cols` back into dx (group gi). Serial:
 * neighbouring patches overlap. */
#define COL2IM(NAME, T)                                                                           \
    static void NAME(const lm_cgeo *G, const T *cols, int64_t gi, int64_t r0, int64_t nr, T *dx) { \
        int64_t C = G->c, cg = G->cg;                                                            \
        for (int64_t r = 0; r < nr; r++) {                                                       \
            int64_t b, o[3];                                                                     \
            lm__out_pos(G, r0 + r, &b, o);                                                           \
            const T *src = cols + r * G->K;                                                      \
            T *xb = dx + (b * G->in[0] * G->in[1] * G->in[2]) * C + gi * cg;                    \
            for (int64_t k0 = 0; k0 < G->k[0]; k0++) {                                           \
                int64_t i0 = o[0] * G->s[0] - G->lo[0] + k0 * G->d[0];                           \
                for (int64_t k1 = 0; k1 < G->k[1]; k1++) {                                       \
                    int64_t i1 = o[1] * G->s[1] - G->lo[1] + k1 * G->d[1];                       \
                    int ok01 = i0 >= 0 && i0 < G->in[0] && i1 >= 0 && i1 < G->in[1];            \
                    for (int64_t k2 = 0; k2 < G->k[2]; k2++, src += cg) {                        \
                        int64_t i2 = o[2] * G->s[2] - G->lo[2] + k2 * G->d[2];                   \
                        if (!ok01 || i2 < 0 || i2 >= G->in[2]) continue;                         \
                        T *d = xb + ((i0 * G->in[1] + i1) * G->in[2] + i2) * C;                  \
                        for (int64_t c = 0; c < cg; c++) d[c] += src[c];                         \
                    }                                                                            \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }
COL2IM(col2im_f32, float)
COL2IM(col2im_f64, double)

static int is_pointwise(const lm_cgeo *G) {
    for (int i = 0; i < 3; i++)
        if (G->k[i] != 1 || G->s[i] != 1 || G->lo[i] != 0 || G->out[i] != G->in[i]) return 0;
    return G->groups == 1;
}

/* ---- direct convolution (an ISA row kernel reading the padded input) ------------------------------ */

typedef struct direct_ctx {
    const lm_cgeo *G;
    const float *x, *w, *bias;   /* x: zero-padded images of hp x wp pixels (or the input itself) */
    float *y;
    int64_t hp, wp;
    int act;
    int tile_major;              /* units ordered tile by tile (the whole filter stays in L2) */
} direct_ctx;

/* Output pixels [r0, r0 + n) of one output row, through the ISA's row kernel; a->w, a->bias
 * and a->ncols select the panel; co0 is its first column. */
static void direct_run(const direct_ctx *c, lm_conv_row_args *a, int64_t r0, int64_t n,
                       int64_t co0) {
    const lm_cgeo *G = c->G;
    int64_t ow = r0 % G->out[2], u = r0 / G->out[2], b = u / G->out[1], oh = u % G->out[1];
    a->x = c->x + ((b * c->hp + oh * G->s[1]) * c->wp + ow * G->s[2]) * G->c;
    a->y = c->y + r0 * G->cout + co0;
    a->ow = n;
    lm_kernels()->f32_conv_row(a);
}

/* Units [u0, u1) of (filter panel of 32 columns, tile of 12 output pixels in (batch, row,
 * column) order): tile-major when the packed filter fits in L2 (the input is read once), else
 * panel-major so that a thread's panels stay in its L2 while it sweeps the pixels. A tile that crosses output rows goes to the ISA's pixel-pointer kernel, so small maps
 * keep full tiles. */
static void direct_tiles(void *vctx, int64_t u0, int64_t u1) {
    const direct_ctx *c = vctx;
    const lm_cgeo *G = c->G;
    int64_t ntiles = (G->rows + 11) / 12, npanel = (G->cout + 31) / 32;
    lm_conv_row_args a = {.row = c->wp * G->c, .C = G->c, .cout = G->cout, .kh = G->k[1],
                          .kw = G->k[2], .dh = G->d[1], .dw = G->d[2], .sw = G->s[2],
                          .relu = c->act == LM_ACT_RELU};
    for (int64_t u = u0; u < u1; u++) {
        int64_t t = c->tile_major ? u / npanel : u % ntiles;
        int64_t co0 = (c->tile_major ? u % npanel : u / ntiles) * 32;
        a.w = c->w + co0 * G->K;
        a.bias = c->bias ? c->bias + co0 : NULL;
        a.ncols = G->cout - co0 < 32 ? G->cout - co0 : 32;
        int64_t r0 = t * 12, n = G->rows - r0 < 12 ? G->rows - r0 : 12;
        if (r0 % G->out[2] + n <= G->out[2]) {
            direct_run(c, &a, r0, n, co0);
        } else if (n == 12) {
            const float *px[12];
            for (int p = 0; p < 12; p++) {
                int64_t r = r0 + p, ow = r % G->out[2], u = r / G->out[2];
                int64_t b = u / G->out[1], oh = u % G->out[1];
                px[p] = c->x + ((b * c->hp + oh * G->s[1]) * c->wp + ow * G->s[2]) * G->c;
            }
            a.y = c->y + r0 * G->cout + co0;
            lm_kernels()->f32_conv_tile(&a, px);
        } else {  /* the last, partial tile: one run per output row */
            for (int64_t r = r0; r < r0 + n;) {
                int64_t m = G->out[2] - r % G->out[2];
                if (m > r0 + n - r) m = r0 + n - r;
                direct_run(c, &a, r, m, co0);
                r += m;
            }
        }
        if (c->act != LM_ACT_NONE && c->act != LM_ACT_RELU)
            for (int64_t r = r0; r < r0 + n; r++)
                lm__bias_act(LM_FLOAT32, 1, a.ncols, c->y + r * G->cout + co0, NULL, c->act);
    }
}

/* Whether the active ISA has a direct kernel for this float32 problem: one group, 1 or 2
 * spatial dims, patches long enough to be worth it, and enough output pixels to pay for packing
 * the filter (7x7 maps under a 3x3x512 filter go faster through the GEMM). */
static int direct_fits(const lm_cgeo *G, lm_dtype dt) {
    return dt == LM_FLOAT32 && G->groups == 1 && G->nsp <= 2 && G->K >= 32 && G->rows >= 128 &&
           lm_kernels()->f32_conv_row != NULL && lm_kernels()->f32_conv_tile != NULL;
}

/* The input with its padding made real (zeros), as (n, hp, wp, C), the rows and columns the
 * output reaches; *pad is NULL (and x is used as it is) when no padding is needed. Nonzero when
 * the copy cannot be allocated. */
static int padded_input(const lm_cgeo *G, const float *x, float **pad, int64_t *hp_, int64_t *wp_) {
    int64_t hp = (G->out[1] - 1) * G->s[1] + (G->k[1] - 1) * G->d[1] + 1;
    int64_t wp = (G->out[2] - 1) * G->s[2] + (G->k[2] - 1) * G->d[2] + 1;
    int64_t C = G->c;
    *pad = NULL;
    if (!G->lo[1] && !G->lo[2] && hp <= G->in[1] && wp <= G->in[2]) {
        *hp_ = G->in[1];
        *wp_ = G->in[2];
        return 0;
    }
    float *p = lm_gemm_alloc(sizeof(float) * (size_t)(G->n * hp * wp * C));
    if (!p) return 1;
    for (int64_t b = 0; b < G->n; b++)
        for (int64_t h = 0; h < hp; h++) {
            float *dst = p + (b * hp + h) * wp * C;
            int64_t ih = h - G->lo[1];
            if (ih < 0 || ih >= G->in[1]) {
                memset(dst, 0, sizeof(float) * (size_t)(wp * C));
                continue;
            }
            int64_t w0 = G->lo[2], n = G->in[2] < wp - w0 ? G->in[2] : wp - w0;
            memset(dst, 0, sizeof(float) * (size_t)(w0 * C));
            memcpy(dst + w0 * C, x + ((b * G->in[1] + ih) * G->in[2]) * C,
                   sizeof(float) * (size_t)(n * C));
            memset(dst + (w0 + n) * C, 0, sizeof(float) * (size_t)((wp - w0 - n) * C));
        }
    *pad = p;
    *hp_ = hp;
    *wp_ = wp;
    return 0;
}

static lm_status conv_direct(const lm_cgeo *G, const float *x, const float *w, const float *bias,
                             int act, float *y) {
    int64_t npanel = (G->cout + 31) / 32;
    float *panels = lm_gemm_alloc(sizeof(float) * (size_t)(npanel * G->K * 32));
    if (!panels) return lm_fail(LM_ENOMEM, "conv: cannot allocate the packed filter");
    for (int64_t p = 0; p < npanel; p++) {  /* 32-column panels, k-major, zero past cout */
        int64_t n = G->cout - p * 32 < 32 ? G->cout - p * 32 : 32;
        for (int64_t k = 0; k < G->K; k++) {
            float *dst = panels + (p * G->K + k) * 32;
            memcpy(dst, w + k * G->cout + p * 32, sizeof(float) * (size_t)n);
            if (n < 32) memset(dst + n, 0, sizeof(float) * (size_t)(32 - n));
        }
    }
    direct_ctx c = {G, x, panels, bias, y, G->in[1], G->in[2], act,
                    npanel * G->K * 32 * (int64_t)sizeof(float) <= (1 << 20)};
    float *pad = NULL;
    if (padded_input(G, x, &pad, &c.hp, &c.wp)) {
        lm_gemm_free(panels);
        return lm_fail(LM_ENOMEM, "conv: cannot allocate the padded input");
    }
    if (pad) c.x = pad;
    int64_t per = 12 * 32 * G->K;
    lm_parallel_for(npanel * ((G->rows + 11) / 12), per >= 65536 ? 1 : 65536 / (per + 1) + 1,
                    direct_tiles, &c);
    lm_gemm_free(pad);
    lm_gemm_free(panels);
    return LM_OK;
}

/* The float32 filter gradient on the ISA's tile kernel: units of (tap, run of 12 / 4 / 1 input
 * channels, 32 output channels), each summing over every output pixel of the padded input. */
typedef struct wgrad_ctx {
    const lm_cgeo *G;
    const float *x, *g;
    float *dw;
    int64_t hp, wp, nct, npanel;
} wgrad_ctx;

/* The t-th channel run of C: runs of 12, then at most one of 8 and one of 4, then single
 * channels (nruns of them in all). */
static void channel_run(int64_t C, int64_t t, int64_t *c0, int64_t *nq) {
    int64_t n12 = C / 12, n8 = C % 12 / 8, n4 = C % 12 % 8 / 4, at = 0;
    const int64_t count[3] = {n12, n8, n4}, size[3] = {12, 8, 4};
    for (int i = 0; i < 3; i++) {
        if (t < count[i]) {
            *c0 = at + t * size[i];
            *nq = size[i];
            return;
        }
        t -= count[i];
        at += count[i] * size[i];
    }
    *c0 = at + t;
    *nq = 1;
}

static int64_t channel_runs(int64_t C) { return C / 12 + C % 12 / 8 + C % 12 % 8 / 4 + C % 4; }

static void wgrad_units(void *vctx, int64_t u0, int64_t u1) {
    const wgrad_ctx *c = vctx;
    const lm_cgeo *G = c->G;
    int64_t C = G->c;
    for (int64_t u = u0; u < u1; u++) {
        int64_t p = u % c->npanel, t = u / c->npanel % c->nct, tap = u / c->npanel / c->nct;
        int64_t i = tap / G->k[2], j = tap % G->k[2], c0, nq;
        channel_run(C, t, &c0, &nq);
        lm_conv_wgrad_args a = {
            .x = c->x + (i * G->d[1] * c->wp + j * G->d[2]) * C + c0,
            .g = c->g + p * 32,
            .dw = c->dw + (tap * C + c0) * G->cout + p * 32,
            .n = G->n, .oh = G->out[1], .ow = G->out[2], .img = c->hp * c->wp * C,
            .rstep = G->s[1] * c->wp * C, .pstep = G->s[2] * C, .gstride = G->cout,
            .ldw = G->cout, .ncols = G->cout - p * 32 < 32 ? G->cout - p * 32 : 32, .nq = nq};
        lm_kernels()->f32_conv_wgrad(&a);
    }
}

static int wgrad_fits(const lm_cgeo *G, lm_dtype dt) {
    return dt == LM_FLOAT32 && G->groups == 1 && G->nsp <= 2 && G->c >= 4 && G->rows >= 128 &&
           lm_kernels()->f32_conv_wgrad != NULL;
}

static lm_status conv_wgrad_direct(const lm_cgeo *G, const float *x, const float *g, float *dw) {
    wgrad_ctx c = {G, x, g, dw, 0, 0, channel_runs(G->c), (G->cout + 31) / 32};
    float *pad = NULL;
    if (padded_input(G, x, &pad, &c.hp, &c.wp))
        return lm_fail(LM_ENOMEM, "conv: cannot allocate the padded input");
    if (pad) c.x = pad;
    int64_t units = G->k[1] * G->k[2] * c.nct * c.npanel;
    int64_t per = 12 * 32 * G->rows;
    lm_parallel_for(units, per >= 65536 ? 1 : 65536 / (per + 1) + 1, wgrad_units, &c);
    lm_gemm_free(pad);
    return LM_OK;
}

/* ---- the three computations (float32 / float64, contiguous operands) ------------------------------- */

static lm_status conv_forward(const lm_cgeo *G, lm_dtype dt, const void *x, const void *w,
                              const void *bias, int act, void *y) {
    size_t es = lm_dtype_size(dt);
    gemm_ws ws = {0};
    lm_status st = LM_OK;
    if (G->rows == 0 || G->cout == 0) return LM_OK;
    if (G->K == 0) {  /* no input channels: the sum is empty */
        memset(y, 0, (size_t)(G->rows * G->cout) * es);
        lm__bias_act(dt, G->rows, G->cout, y, bias, act);
        return LM_OK;
    }
    if (direct_fits(G, dt)) return conv_direct(G, x, w, bias, act, y);
    if (is_pointwise(G)) {
        st = gemm(&ws, dt, G->rows, G->cout, G->c, x, G->c, 1, w, G->cout, 1, y, G->cout, bias, act);
        lm_gemm_free(ws.p);
        return st;
    }
    if (G->cg == 1 && G->groups > 1) {
        lm__dw_forward(G, dt, x, w, bias, act, y);
        return LM_OK;
    }
    int64_t R = chunk_rows(G, es, 4u << 20);
    char *cols = lm_gemm_alloc((size_t)(R * G->K) * es);
    if (!cols) return lm_fail(LM_ENOMEM, "conv: cannot allocate a %lld x %lld patch buffer",
                              (long long)R, (long long)G->K);
    for (int64_t r0 = 0; r0 < G->rows && !st; r0 += R) {
        int64_t nr = G->rows - r0 < R ? G->rows - r0 : R;
        for (int64_t gi = 0; gi < G->groups && !st; gi++) {
            pack_patches(G, x, gi, r0, nr, cols, es);
            st = gemm(&ws, dt, nr, G->coutg, G->K, cols, G->K, 1,
                      (const char *)w + (size_t)(gi * G->coutg) * es, G->cout, 1,
                      (char *)y + (size_t)(r0 * G->cout + gi * G->coutg) * es, G->cout,
                      bias ? (const char *)bias + (size_t)(gi * G->coutg) * es : NULL, act);
        }
    }
    lm_gemm_free(cols);
    lm_gemm_free(ws.p);
    return st;
}

/* With stride 1 the input gradient is itself a convolution: g, padded by (k - 1) * d - before,
 * convolved with the filter flipped in space and with in/out channels swapped per group. It then
 * runs on the forward path (patches packed in parallel, no serial scatter-add). *done = 0 when
 * the geometry does not fit (strides, or padding wider than the filter). */
static lm_status bwd_input_as_conv(const lm_cgeo *G, lm_dtype dt, const void *g, const void *w,
                                   void *dx, int *done) {
    *done = 0;
    lm_cgeo T = *G;
    for (int i = 0; i < 3; i++) {
        int64_t eff = (G->k[i] - 1) * G->d[i] + 1, lo = eff - 1 - G->lo[i];
        int64_t hi = G->in[i] - G->out[i] - lo + eff - 1;
        if (G->s[i] != 1 || lo < 0 || hi < 0) return LM_OK;
        T.in[i] = G->out[i];
        T.out[i] = G->in[i];
        T.lo[i] = lo;
    }
    T.c = G->cout;
    T.cg = G->coutg;
    T.cout = G->c;
    T.coutg = G->cg;
    T.K = G->k[0] * G->k[1] * G->k[2] * T.cg;
    T.rows = G->n * G->in[0] * G->in[1] * G->in[2];
    size_t es = lm_dtype_size(dt);
    int64_t taps = G->k[0] * G->k[1] * G->k[2];
    char *wt = lm_gemm_alloc((size_t)(taps * G->cg * G->cout) * es);
    if (!wt) return lm_fail(LM_ENOMEM, "conv: cannot allocate the flipped filter");
    /* wt[tap', j, gi*cg + i] = w[taps-1-tap', i, gi*coutg + j] */
    for (int64_t t = 0; t < taps; t++)
        for (int64_t gi = 0; gi < G->groups; gi++)
            for (int64_t i = 0; i < G->cg; i++)
                for (int64_t j = 0; j < G->coutg; j++)
                    memcpy(wt + (size_t)((t * G->coutg + j) * G->c + gi * G->cg + i) * es,
                           (const char *)w + (size_t)(((taps - 1 - t) * G->cg + i) * G->cout +
                                                      gi * G->coutg + j) * es, es);
    lm_status st = conv_forward(&T, dt, g, wt, NULL, 0, dx);
    lm_gemm_free(wt);
    *done = 1;
    return st;
}

static lm_status conv_bwd_input(const lm_cgeo *G, lm_dtype dt, const void *g, const void *w,
                                void *dx) {
    size_t es = lm_dtype_size(dt);
    int64_t nx = G->n * G->in[0] * G->in[1] * G->in[2] * G->c;
    gemm_ws ws = {0};
    lm_status st = LM_OK;
    if (is_pointwise(G)) {  /* dx = g @ w^T */
        st = gemm(&ws, dt, G->rows, G->c, G->cout, g, G->cout, 1, w, 1, G->cout, dx, G->c, NULL, 0);
        lm_gemm_free(ws.p);
        return st;
    }
    if (G->rows > 0 && G->K > 0 && G->cout > 0 && !(G->cg == 1 && G->groups > 1)) {
        int done = 0;
        lm_status st2 = bwd_input_as_conv(G, dt, g, w, dx, &done);
        if (st2 || done) return st2;
    }
    memset(dx, 0, (size_t)nx * es);
    if (G->rows == 0 || G->K == 0 || G->cout == 0) return LM_OK;
    if (G->cg == 1 && G->groups > 1) {
        lm__dw_backprop_input(G, dt, g, w, dx);
        return LM_OK;
    }
    int64_t R = chunk_rows(G, es, 4u << 20);
    char *cols = lm_gemm_alloc((size_t)(R * G->K) * es);
    if (!cols) return lm_fail(LM_ENOMEM, "conv: cannot allocate a %lld x %lld patch buffer",
                              (long long)R, (long long)G->K);
    for (int64_t r0 = 0; r0 < G->rows && !st; r0 += R) {
        int64_t nr = G->rows - r0 < R ? G->rows - r0 : R;
        for (int64_t gi = 0; gi < G->groups && !st; gi++) {
            /* cols (nr x K) = g rows (nr x coutg) @ w_g^T (coutg x K) */
            st = gemm(&ws, dt, nr, G->K, G->coutg,
                      (const char *)g + (size_t)(r0 * G->cout + gi * G->coutg) * es, G->cout, 1,
                      (const char *)w + (size_t)(gi * G->coutg) * es, 1, G->cout, cols, G->K,
                      NULL, 0);
            if (st) break;
            if (dt == LM_FLOAT32) col2im_f32(G, (const float *)cols, gi, r0, nr, dx);
            else col2im_f64(G, (const double *)cols, gi, r0, nr, dx);
        }
    }
    lm_gemm_free(cols);
    lm_gemm_free(ws.p);
    return st;
}

static lm_status conv_bwd_filter(const lm_cgeo *G, lm_dtype dt, const void *x, const void *g,
                                 void *dw) {
    size_t es = lm_dtype_size(dt);
    int64_t nw = G->K * G->cout;
    gemm_ws ws = {0};
    lm_status st = LM_OK;
    if (G->rows == 0 || nw == 0) {
        memset(dw, 0, (size_t)nw * es);
        return LM_OK;
    }
    if (wgrad_fits(G, dt)) return conv_wgrad_direct(G, x, g, dw);
    if (is_pointwise(G)) {  /* dw = x^T @ g */
        st = gemm(&ws, dt, G->c, G->cout, G->rows, x, 1, G->c, g, G->cout, 1, dw, G->cout, NULL, 0);
        lm_gemm_free(ws.p);
        return st;
    }
    if (G->cg == 1 && G->groups > 1) {
        lm__dw_backprop_filter(G, dt, x, g, dw);
        return LM_OK;
    }
    memset(dw, 0, (size_t)nw * es);
    int64_t R = chunk_rows(G, es, 32u << 20);
    char *cols = lm_gemm_alloc((size_t)(R * G->K) * es);
    char *tmp = lm_gemm_alloc((size_t)(G->K * G->coutg) * es);
    if (!cols || !tmp) {
        lm_gemm_free(cols);
        lm_gemm_free(tmp);
        return lm_fail(LM_ENOMEM, "conv: cannot allocate a %lld x %lld patch buffer",
                       (long long)R, (long long)G->K);
    }
    for (int64_t r0 = 0; r0 < G->rows && !st; r0 += R) {
        int64_t nr = G->rows - r0 < R ? G->rows - r0 : R;
        for (int64_t gi = 0; gi < G->groups && !st; gi++) {
            pack_patches(G, x, gi, r0, nr, cols, es);
            /* tmp (K x coutg) = cols^T (K x nr) @ g rows (nr x coutg), added into dw's group */
            st = gemm(&ws, dt, G->K, G->coutg, nr, cols, 1, G->K,
                      (const char *)g + (size_t)(r0 * G->cout + gi * G->coutg) * es, G->cout, 1,
                      tmp, G->coutg, NULL, 0);
            for (int64_t k = 0; k < G->K && !st; k++)
                for (int64_t j = 0; j < G->coutg; j++) {
                    int64_t o = k * G->cout + gi * G->coutg + j, t = k * G->coutg + j;
                    if (dt == LM_FLOAT32) ((float *)dw)[o] += ((float *)tmp)[t];
                    else ((double *)dw)[o] += ((double *)tmp)[t];
                }
        }
    }
    lm_gemm_free(cols);
    lm_gemm_free(tmp);
    lm_gemm_free(ws.p);
    return st;
}

/* ---- entry points ----------------------------------------------------------------------------------- */

/* Run one of the three on float32/float64 copies and cast the result back to dt. */
typedef enum { FWD, BWD_IN, BWD_W } conv_kind;

static lm_status conv_run(conv_kind kind, const lm_cgeo *G, lm_dtype dt, const lm_tensor *a,
                          const lm_tensor *b, const lm_tensor *bias, int act, int ndim,
                          const int64_t *oshape, lm_tensor **out) {
    lm_tensor *ca = NULL, *cb = NULL, *cbias = NULL, *res = NULL;
    lm_status st;
    if ((st = prepare(a, &ca)) || (st = prepare(b, &cb)) || (st = prepare(bias, &cbias))) goto done;
    if ((st = lm_empty(ca->dtype, ndim, oshape, &res))) goto done;
    if (kind == FWD)
        st = conv_forward(G, ca->dtype, ca->data, cb->data, cbias ? cbias->data : NULL, act, res->data);
    else if (kind == BWD_IN)
        st = conv_bwd_input(G, ca->dtype, ca->data, cb->data, res->data);
    else
        st = conv_bwd_filter(G, ca->dtype, ca->data, cb->data, res->data);
    if (st) goto done;
    if (res->dtype != dt) {
        st = lm_cast(res, dt, out);
    } else {
        *out = res;
        res = NULL;
    }
done:
    lm_release(ca);
    lm_release(cb);
    lm_release(cbias);
    lm_release(res);
    return st;
}

static lm_status record2(lm_gkind kind, const lm_window *win, const lm_tensor *a,
                         const lm_tensor *b, lm_tensor **out) {
    const lm_tensor *in[2] = {a, b};
    return lm_record(kind, &(lm_gattrs){.win = *win}, 2, in, out);
}

/* bias and activation as recorded ops (when a tape watches the convolution). */
static lm_status bias_act_recorded(lm_tensor *y, const lm_tensor *bias, lm_act act,
                                   lm_tensor **out) {
    lm_tensor *t[6] = {lm_retain(y)}, *c[3] = {0};
    int n = 1;
    lm_status st = LM_OK;
    if (bias && !(st = lm_binary(LM_ADD, t[0], bias, &t[1]))) n = 2;
    lm_tensor *z = t[n - 1];
    if (!st && act == LM_ACT_GELU) {  /* z/2 (1 + erf(z / sqrt 2)) */
        if (!(st = lm_scalar_f64(z->dtype, 0.5, &c[0])) &&
            !(st = lm_scalar_f64(z->dtype, 0.7071067811865476, &c[1])) &&
            !(st = lm_scalar_f64(z->dtype, 1.0, &c[2])) && !(st = lm_binary(LM_MUL, z, c[1], &t[n])) &&
            !(st = lm_unary(LM_ERF, t[n], &t[n + 1])) && !(st = lm_binary(LM_ADD, t[n + 1], c[2], &t[n + 2])) &&
            !(st = lm_binary(LM_MUL, z, c[0], &t[n + 3])))
            st = lm_binary(LM_MUL, t[n + 3], t[n + 2], &t[n + 4]);
        n += 5;
    } else if (!st && act != LM_ACT_NONE) {
        lm_unop op = act == LM_ACT_RELU ? LM_RELU : act == LM_ACT_SIGMOID ? LM_SIGMOID : LM_TANH;
        if (!(st = lm_unary(op, z, &t[n]))) n++;
    }
    if (!st) {
        *out = t[n - 1];
        t[n - 1] = NULL;
    }
    for (int i = 0; i < 6; i++) lm_release(t[i]);
    for (int i = 0; i < 3; i++) lm_release(c[i]);
    return st;
}

lm_status lm_conv(const lm_tensor *x, const lm_tensor *w, const lm_tensor *bias, lm_act act,
                  const lm_window *win, lm_tensor **out) {
    *out = NULL;
    const char *op = conv_name(win->nsp);
    lm_status st;
    lm_cgeo G;
    if ((st = check_float(op, x, w))) return st;
    if (bias && (st = check_float(op, x, bias))) return st;
    if ((int)act < 0 || act >= LM_NACT)
        return lm_fail(LM_EVALUE, "%s: activation %d is not one of none, relu, sigmoid, tanh, gelu",
                       op, (int)act);
    if ((st = conv_geo(op, win, x->ndim, x->shape, w->ndim, w->shape, &G))) return st;
    if (bias && (bias->ndim != 1 || bias->shape[0] != G.cout))
        return lm_fail(LM_EVALUE, "%s: bias must have shape (%lld,), got %s", op,
                       (long long)G.cout, LM_SHAPE(bias));
    int64_t oshape[5];
    lm__window_out_shape(&G, G.cout, oshape);
    const lm_tensor *args[3] = {x, w, bias};
    if ((bias || act) && lm_tape_recording() && lm_tape_tracks_any(3, args)) {
        lm_tensor *y = NULL;
        if ((st = lm_conv(x, w, NULL, LM_ACT_NONE, win, &y))) return st;
        st = bias_act_recorded(y, bias, act, out);
        lm_release(y);
        return st;
    }
    if ((st = conv_run(FWD, &G, x->dtype, x, w, bias, act, x->ndim, oshape, out))) return st;
    if (!lm_tape_recording()) return LM_OK;
    return record2(LM_G_CONV, win, x, w, out);
}

/* A shape given as an argument (rank and sizes). */
static lm_status check_shape_arg(const char *op, const char *what, int ndim, const int64_t *shape) {
    if (ndim < 0 || ndim > LM_MAX_NDIM)
        return lm_fail(LM_EVALUE, "%s: %s shape of rank %d", op, what, ndim);
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0)
            return lm_fail(LM_EVALUE, "%s: %s shape %s has a negative size", op, what,
                           LM_SHAPE_N(ndim, shape));
    return LM_OK;
}

/* The output gradient must have the shape the forward convolution gives. */
static lm_status check_grad_shape(const char *op, const lm_cgeo *G, const lm_tensor *g, int xnd,
                                  const int64_t *xs, int wnd, const int64_t *ws) {
    int64_t gshape[5];
    lm__window_out_shape(G, G->cout, gshape);
    if (g->ndim == xnd && !memcmp(g->shape, gshape, sizeof(int64_t) * (size_t)xnd)) return LM_OK;
    return lm_fail(LM_EVALUE, "%s: the gradient (out_backprop) has shape %s but input %s and "
                   "filter %s give outputs of shape %s", op, LM_SHAPE(g), LM_SHAPE_N(xnd, xs),
                   LM_SHAPE_N(wnd, ws), LM_SHAPE_N(xnd, gshape));
}

lm_status lm_conv_backprop_input(const lm_tensor *g, const lm_tensor *w, int ndim,
                                 const int64_t *input_shape, const lm_window *win,
                                 lm_tensor **out) {
    *out = NULL;
    const char *op = "conv_backprop_input";
    lm_status st;
    lm_cgeo G;
    if ((st = check_float(op, g, w))) return st;
    if ((st = check_shape_arg(op, "input", ndim, input_shape))) return st;
    if ((st = conv_geo(op, win, ndim, input_shape, w->ndim, w->shape, &G))) return st;
    if ((st = check_grad_shape(op, &G, g, ndim, input_shape, w->ndim, w->shape))) return st;
    if ((st = conv_run(BWD_IN, &G, g->dtype, g, w, NULL, 0, ndim, input_shape, out))) return st;
    if (!lm_tape_recording()) return LM_OK;
    return record2(LM_G_CONV_BWD_INPUT, win, g, w, out);
}

lm_status lm_conv_backprop_filter(const lm_tensor *x, const lm_tensor *g, int ndim,
                                  const int64_t *filter_shape, const lm_window *win,
                                  lm_tensor **out) {
    *out = NULL;
    const char *op = "conv_backprop_filter";
    lm_status st;
    lm_cgeo G;
    if ((st = check_float(op, x, g))) return st;
    if ((st = check_shape_arg(op, "filter", ndim, filter_shape))) return st;
    if ((st = conv_geo(op, win, x->ndim, x->shape, ndim, filter_shape, &G))) return st;
    if ((st = check_grad_shape(op, &G, g, x->ndim, x->shape, ndim, filter_shape))) return st;
    if ((st = conv_run(BWD_W, &G, x->dtype, x, g, NULL, 0, ndim, filter_shape, out))) return st;
    if (!lm_tape_recording()) return LM_OK;
    return record2(LM_G_CONV_BWD_FILTER, win, x, g, out);
}
