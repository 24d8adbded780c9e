/* rules_conv.c — the gradients of convolution (ops/conv.c) and pooling (ops/pool.c). Each is
 * written with the ops themselves: conv, its input gradient and its filter gradient are each
 * other's rules (all three are bilinear), max_pool_grad and max_pool_gradgrad are each other's,
 * and avg_pool and avg_pool_grad likewise, so nested tapes give derivatives of any order. */
#include "tape_internal.h"

void lm_rule_conv(lm_scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    const lm_node_input *in = nd->in;
    const lm_window *w = &nd->attrs.win;
    lm_tensor *a = NULL, *b = NULL;
    switch (nd->kind) {
    case LM_G_CONV:  /* y = conv(x, w) */
        if (need[0]) lm_conv_backprop_input(g, in[1].saved, in[0].ndim, in[0].shape, w, &a);
        if (need[1]) lm_conv_backprop_filter(in[0].saved, g, in[1].ndim, in[1].shape, w, &b);
        break;
    case LM_G_CONV_BWD_INPUT:  /* dx = conv^T(dy, w) */
        if (need[0]) lm_conv(g, in[1].saved, NULL, LM_ACT_NONE, w, &a);
        if (need[1]) lm_conv_backprop_filter(g, in[0].saved, in[1].ndim, in[1].shape, w, &b);
        break;
    default:  /* LM_G_CONV_BWD_FILTER: dw of (x, dy) */
        if (need[0]) lm_conv_backprop_input(in[1].saved, g, in[0].ndim, in[0].shape, w, &a);
        if (need[1]) lm_conv(in[0].saved, g, NULL, LM_ACT_NONE, w, &b);
        break;
    }
    gin[0] = lm_keep(s, a);
    if (nd->nin > 1) gin[1] = lm_keep(s, b);
}

/* Max pooling's gradients do not depend on x's values away from ties: 0 for x. */
void lm_rule_pool(lm_scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    const lm_node_input *in = nd->in;
    const lm_window *w = &nd->attrs.win;
    lm_tensor *a = NULL, *b = NULL;
    switch (nd->kind) {
    case LM_G_POOL:
        if (nd->attrs.code) lm_max_pool_grad(in[0].saved, g, w, &a);
        else lm_avg_pool_grad(in[0].ndim, in[0].shape, g, w, &a);
        break;
    case LM_G_AVGPOOL_GRAD: lm_pool(0, g, w, &a); break;
    default:  /* MAXPOOL_GRAD (x, g) and MAXPOOL_GRADGRAD (x, h) */
        if (need[0]) lm_zeros(g->dtype, in[0].ndim, in[0].shape, &a);
        if (need[1]) {
            if (nd->kind == LM_G_MAXPOOL_GRAD) lm_max_pool_gradgrad(in[0].saved, g, w, &b);
            else lm_max_pool_grad(in[0].saved, g, w, &b);
        }
        break;
    }
    gin[0] = lm_keep(s, a);
    if (nd->nin > 1) gin[1] = lm_keep(s, b);
}
