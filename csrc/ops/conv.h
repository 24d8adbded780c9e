/* conv.h — the window geometry shared by the convolution and pooling files (internal).
 *
 * Every op works on three spatial dims: 1-d and 2-d problems put 1s in front (k = 1, stride 1,
 * no padding), so one set of loops serves conv1d, conv2d and conv3d. */
#ifndef LAMINA_CONV_H
#define LAMINA_CONV_H

#include "internal.h"

typedef struct lm_cgeo {
    int nsp;                       /* the caller's spatial dims (1..3) */
    int64_t n, c;                  /* batch, input channels */
    int64_t in[3], k[3], out[3];   /* spatial sizes */
    int64_t s[3], d[3], lo[3];     /* strides, dilations, padding before */
    int64_t groups, cg, cout, coutg;  /* conv only: channels per group in and out */
    int64_t K;                     /* one patch: k0 k1 k2 cg */
    int64_t rows;                  /* output positions: n out0 out1 out2 */
} lm_cgeo;

/* Output position r (in batch, out0, out1, out2 order) as its batch and output coordinates. */
static inline void lm__out_pos(const lm_cgeo *G, int64_t r, int64_t *b, int64_t *o) {
    o[2] = r % G->out[2];
    r /= G->out[2];
    o[1] = r % G->out[1];
    r /= G->out[1];
    o[0] = r % G->out[0];
    *b = r / G->out[0];
}

/* Fill the spatial part of G from x's shape (ndim = nsp + 2), the window sizes k (nsp of them)
 * and win's strides, dilations and padding; checks them all. */
lm_status lm__window_geo(const char *op, const lm_window *win, int ndim, const int64_t *xshape,
                         const int64_t *k, lm_cgeo *G);

/* The output shape (n, out..., channels) in the caller's rank. */
void lm__window_out_shape(const lm_cgeo *G, int64_t channels, int64_t *shape);

/* Depthwise convolution (cg == 1: one input channel per group), direct loops (conv_depthwise.c);
 * dtype float32 or float64, contiguous operands; y fully written; dx and dw are overwritten. */
void lm__dw_forward(const lm_cgeo *G, lm_dtype dt, const void *x, const void *w, const void *bias,
                    int act, void *y);
void lm__dw_backprop_input(const lm_cgeo *G, lm_dtype dt, const void *g, const void *w, void *dx);
void lm__dw_backprop_filter(const lm_cgeo *G, lm_dtype dt, const void *x, const void *g, void *dw);

/* y = act(y + bias) over a rows x n row-major block (bias may be NULL). */
void lm__bias_act(lm_dtype dt, int64_t rows, int64_t n, void *y, const void *bias, int act);

#endif
