/* rules.c — the vector-Jacobian product of every recorded op, with TensorFlow's conventions
 * (relu and abs have gradient 0 at 0; maximum sends ties to its first input; reduce_max splits
 * ties evenly; clip passes the gradient at the bounds). Every rule is written with the public
 * ops, so a tape that is still recording records the rules too: nested tapes give higher
 * derivatives with no second set of rules.
 *
 * Style: each rule builds temporaries with the ops, tracked in a small scratch list released at
 * the end whatever happens. */
#include "tape_internal.h"

#include <string.h>

typedef struct scratch {
    lm_tensor *t[32];
    int n;
} scratch;

/* Keep `t` until the rule ends; returns it. A full list is a programming error caught by tests. */
static lm_tensor *keep(scratch *s, lm_tensor *t) {
    if (!t) return NULL;
    if (s->n == (int)(sizeof s->t / sizeof s->t[0])) {  /* a rule outgrew the list: a bug */
        lm_release(t);
        lm_fail(LM_ERUNTIME, "GradientTape: a backward rule needs more than %d temporaries", s->n);
        return NULL;
    }
    return s->t[s->n++] = t;
}

static void scratch_free(scratch *s) {
    for (int i = 0; i < s->n; i++) lm_release(s->t[i]);
    s->n = 0;
}

/* The helpers below return NULL on failure (the status is in lm_last_status) and keep their
 * results in the scratch list. A NULL argument propagates, so a rule reads as a formula and
 * checks once at the end. */
static lm_tensor *bin(scratch *s, lm_binop op, const lm_tensor *a, const lm_tensor *b) {
    lm_tensor *o = NULL;
    if (a && b) lm_binary(op, a, b, &o);
    return keep(s, o);
}

static lm_tensor *un(scratch *s, lm_unop op, const lm_tensor *x) {
    lm_tensor *o = NULL;
    if (x) lm_unary(op, x, &o);
    return keep(s, o);
}

static lm_tensor *num(scratch *s, lm_dtype dt, double v) {
    lm_tensor *o = NULL;
    lm_scalar_f64(dt, v, &o);
    return keep(s, o);
}

static lm_tensor *sel(scratch *s, const lm_tensor *c, const lm_tensor *a, const lm_tensor *b) {
    lm_tensor *o = NULL;
    if (c && a && b) lm_where(c, a, b, &o);
    return keep(s, o);
}

static lm_tensor *reshape(scratch *s, const lm_tensor *x, int ndim, const int64_t *shape) {
    lm_tensor *o = NULL;
    if (x) lm_reshape(x, ndim, shape, &o);
    return keep(s, o);
}

static lm_tensor *sum(scratch *s, const lm_tensor *x, int naxes, const int64_t *axes, int keepdims) {
    lm_tensor *o = NULL;
    if (x) lm_reduce(LM_RSUM, x, naxes, axes, keepdims, &o);
    return keep(s, o);
}

static lm_tensor *mm(scratch *s, const lm_tensor *a, const lm_tensor *b, int ta, int tb) {
    lm_tensor *o = NULL;
    if (a && b) lm_matmul(a, b, ta, tb, &o);
    return keep(s, o);
}

/* g summed back to an input's shape (NumPy broadcasting in reverse). */
static lm_tensor *unbroadcast(scratch *s, const lm_tensor *g, const lm_node_input *in) {
    if (!g) return NULL;
    if (g->ndim == in->ndim && !memcmp(g->shape, in->shape, sizeof(int64_t) * (size_t)g->ndim))
        return (lm_tensor *)g;
    int64_t axes[LM_MAX_NDIM];
    int n = 0, lead = g->ndim - in->ndim;
    for (int d = 0; d < g->ndim; d++)
        if (d < lead || (in->shape[d - lead] == 1 && g->shape[d] != 1)) axes[n++] = d;
    return reshape(s, sum(s, g, n, axes, 1), in->ndim, in->shape);
}

/* The input's shape with the reduced axes kept as 1s. */
static void kept_shape(const lm_node *nd, int64_t *shape) {
    const lm_node_input *x = &nd->in[0];
    int all = nd->attrs.naxes < 0;
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    for (int k = 0; k < nd->attrs.naxes; k++) {
        int64_t a = nd->attrs.axes[k];
        shape[a < 0 ? a + x->ndim : a] = 1;
    }
    if (all)
        for (int d = 0; d < x->ndim; d++) shape[d] = 1;
}

static lm_tensor *broadcast_to(scratch *s, const lm_tensor *x, const lm_node_input *in) {
    lm_tensor *o = NULL;
    if (x) lm_broadcast_to(x, in->ndim, in->shape, &o);
    return keep(s, o);
}

/* ---- rules ------------------------------------------------------------------------------------ */

static void binary_rule(scratch *s, const lm_node *nd, lm_tensor *g, const int *need,
                        lm_tensor **ga, lm_tensor **gb) {
    const lm_tensor *a = nd->in[0].saved, *b = nd->in[1].saved;
    lm_dtype dt = g->dtype;
    switch ((lm_binop)nd->attrs.code) {
    case LM_ADD: *ga = g; *gb = g; break;
    case LM_SUB: *ga = g; *gb = need[1] ? un(s, LM_NEG, g) : NULL; break;
    case LM_MUL:
        *ga = need[0] ? bin(s, LM_MUL, g, b) : NULL;
        *gb = need[1] ? bin(s, LM_MUL, g, a) : NULL;
        break;
    case LM_DIV:  /* d(a/b) = g/b, -g*a/b/b */
        *ga = need[0] ? bin(s, LM_DIV, g, b) : NULL;
        *gb = need[1] ? bin(s, LM_MUL, g, bin(s, LM_DIV, bin(s, LM_DIV, un(s, LM_NEG, a), b), b)) : NULL;
        break;
    case LM_MOD:  /* a mod b = a - floor(a/b) * b */
        *ga = g;
        *gb = need[1] ? bin(s, LM_MUL, g, un(s, LM_NEG, bin(s, LM_FLOORDIV, a, b))) : NULL;
        break;
    case LM_POW: {  /* g*b*a^(b-1); g*a^b*log(a) where a > 0, else 0 (TF's choice) */
        if (need[0])
            *ga = bin(s, LM_MUL, g, bin(s, LM_MUL, b, bin(s, LM_POW, a, bin(s, LM_SUB, b, num(s, dt, 1)))));
        if (need[1]) {
            lm_tensor *zero = num(s, dt, 0), *pos = bin(s, LM_GT, a, zero);
            lm_tensor *safe = sel(s, pos, a, num(s, dt, 1));
            lm_tensor *lg = sel(s, pos, un(s, LM_LOG, safe), zero);
            *gb = bin(s, LM_MUL, g, bin(s, LM_MUL, nd->out, lg));
        }
        break;
    }
    case LM_MAXIMUM:
    case LM_MINIMUM: {  /* ties go to a */
        lm_tensor *mask = bin(s, nd->attrs.code == LM_MAXIMUM ? LM_GE : LM_LE, a, b);
        lm_tensor *zero = num(s, dt, 0);
        *ga = need[0] ? sel(s, mask, g, zero) : NULL;
        *gb = need[1] ? sel(s, mask, zero, g) : NULL;
        break;
    }
    default: break;
    }
    *ga = need[0] ? unbroadcast(s, *ga, &nd->in[0]) : NULL;
    *gb = need[1] ? unbroadcast(s, *gb, &nd->in[1]) : NULL;
}

static lm_tensor *unary_rule(scratch *s, const lm_node *nd, lm_tensor *g) {
    const lm_tensor *x = nd->in[0].saved, *y = nd->out;
    lm_dtype dt = g->dtype;
    switch ((lm_unop)nd->attrs.code) {
    case LM_NEG: return un(s, LM_NEG, g);
    case LM_ABS: return bin(s, LM_MUL, g, un(s, LM_SIGN, x));
    case LM_SIGN: return bin(s, LM_MUL, g, num(s, dt, 0));
    case LM_SQUARE: return bin(s, LM_MUL, g, bin(s, LM_MUL, x, num(s, dt, 2)));
    case LM_RELU: return sel(s, bin(s, LM_GT, y, num(s, dt, 0)), g, num(s, dt, 0));
    case LM_EXP: return bin(s, LM_MUL, g, y);
    case LM_LOG: return bin(s, LM_DIV, g, x);
    case LM_LOG1P: return bin(s, LM_DIV, g, bin(s, LM_ADD, x, num(s, dt, 1)));
    case LM_SQRT: return bin(s, LM_DIV, bin(s, LM_MUL, g, num(s, dt, 0.5)), y);
    case LM_RSQRT:  /* -y^3 / 2 */
        return bin(s, LM_MUL, g, bin(s, LM_MUL, bin(s, LM_MUL, y, bin(s, LM_MUL, y, y)), num(s, dt, -0.5)));
    case LM_RECIPROCAL: return bin(s, LM_MUL, un(s, LM_NEG, g), bin(s, LM_MUL, y, y));
    case LM_TANH: return bin(s, LM_MUL, g, bin(s, LM_SUB, num(s, dt, 1), bin(s, LM_MUL, y, y)));
    case LM_SIGMOID: return bin(s, LM_MUL, g, bin(s, LM_MUL, y, bin(s, LM_SUB, num(s, dt, 1), y)));
    case LM_ERF:  /* 2/sqrt(pi) exp(-x^2) */
        return bin(s, LM_MUL, g, bin(s, LM_MUL, un(s, LM_EXP, un(s, LM_NEG, bin(s, LM_MUL, x, x))),
                                     num(s, dt, 1.1283791670955126)));
    case LM_SOFTPLUS: return bin(s, LM_MUL, g, un(s, LM_SIGMOID, x));
    default: return NULL;
    }
}

static lm_tensor *reduce_rule(scratch *s, const lm_node *nd, lm_tensor *g) {
    const lm_node_input *in = &nd->in[0];
    int64_t kshape[LM_MAX_NDIM], count = 1;
    kept_shape(nd, kshape);
    for (int d = 0; d < in->ndim; d++)
        if (kshape[d] != in->shape[d] || nd->attrs.naxes < 0) count *= in->shape[d];
    lm_tensor *gk = reshape(s, g, in->ndim, kshape);
    const lm_tensor *x = in->saved;
    lm_dtype dt = g->dtype;
    switch ((lm_redop)nd->attrs.code) {
    case LM_RSUM: return broadcast_to(s, gk, in);
    case LM_RMEAN: return broadcast_to(s, bin(s, LM_DIV, gk, num(s, dt, (double)count)), in);
    case LM_RMAX:
    case LM_RMIN: {  /* split evenly between ties */
        lm_tensor *ind = NULL;
        lm_tensor *eq = bin(s, LM_EQ, x, reshape(s, nd->out, in->ndim, kshape));
        if (eq) lm_cast(eq, dt, &ind);
        keep(s, ind);
        lm_tensor *cnt = sum(s, ind, nd->attrs.naxes, nd->attrs.axes, 1);
        return bin(s, LM_MUL, bin(s, LM_DIV, ind, cnt), gk);
    }
    case LM_RPROD: {
        /* product of the others: P/x without zeros; with one zero in a group, the product of
         * its non-zeros at the zero and 0 elsewhere; with more, 0. Written without dividing by
         * zero so that the rule stays differentiable. */
        lm_tensor *zero = num(s, dt, 0), *one = num(s, dt, 1);
        lm_tensor *isz = bin(s, LM_EQ, x, zero);
        lm_tensor *safe = sel(s, isz, one, x);
        lm_tensor *p = NULL, *zf = NULL;
        if (safe) lm_reduce(LM_RPROD, safe, nd->attrs.naxes, nd->attrs.axes, 1, &p);
        keep(s, p);
        if (isz) lm_cast(isz, dt, &zf);
        keep(s, zf);
        lm_tensor *nz = sum(s, zf, nd->attrs.naxes, nd->attrs.axes, 1);
        lm_tensor *others = sel(s, bin(s, LM_EQ, nz, zero), bin(s, LM_DIV, p, safe),
                                sel(s, bin(s, LM_LOGICAL_AND, isz, bin(s, LM_EQ, nz, one)),
                                    bin(s, LM_MUL, p, safe), zero));
        return bin(s, LM_MUL, others, gk);
    }
    default: return NULL;
    }
}

static lm_tensor *softmax_rule(scratch *s, const lm_node *nd, lm_tensor *g) {
    const lm_tensor *y = nd->out;
    int64_t axis = nd->attrs.axis;
    if (nd->attrs.code)  /* log_softmax: g - exp(y) * sum(g) */
        return bin(s, LM_SUB, g, bin(s, LM_MUL, un(s, LM_EXP, y), sum(s, g, 1, &axis, 1)));
    return bin(s, LM_MUL, bin(s, LM_SUB, g, sum(s, bin(s, LM_MUL, g, y), 1, &axis, 1)), y);
}

/* d(op(a, b)) for matmul with transposes, then batch dims summed back to each input's shape. */
static void matmul_rule(scratch *s, const lm_node *nd, lm_tensor *g, const int *need,
                        lm_tensor **ga, lm_tensor **gb) {
    const lm_tensor *a = nd->in[0].saved, *b = nd->in[1].saved;
    int ta = nd->attrs.code & 1, tb = nd->attrs.code >> 1 & 1;
    if (need[0])
        *ga = unbroadcast(s, !ta ? mm(s, g, b, 0, !tb) : !tb ? mm(s, b, g, 0, 1) : mm(s, b, g, 1, 1),
                          &nd->in[0]);
    if (need[1])
        *gb = unbroadcast(s, !tb ? mm(s, a, g, !ta, 0) : !ta ? mm(s, g, a, 1, 0) : mm(s, g, a, 1, 1),
                          &nd->in[1]);
}

/* Slices of g along `axis` for each concatenated (or stacked) input. */
static void split_rule(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    int stack = nd->kind == LM_G_STACK;
    int64_t axis = nd->attrs.axis;
    if (axis < 0) axis += g->ndim;
    lm_index idx[LM_MAX_NDIM];
    for (int d = 0; d <= axis; d++) idx[d] = (lm_index){.kind = LM_IDX_SLICE, .step = 1};
    int64_t off = 0;
    for (int i = 0; i < nd->nin; i++) {
        int64_t len = stack ? 1 : nd->in[i].shape[axis];
        if (need[i]) {
            idx[axis] = stack ? (lm_index){.kind = LM_IDX_INT, .start = i}
                              : (lm_index){.kind = LM_IDX_SLICE, .start = off, .stop = off + len,
                                           .step = 1, .has_start = 1, .has_stop = 1};
            lm_tensor *o = NULL;
            lm_getitem(g, (int)axis + 1, idx, &o);
            gin[i] = keep(s, o);
        }
        off += len;
    }
}

/* Convolution: the three ops are each other's gradients (conv.c). */
static void conv_rule(scratch *s, const lm_node *nd, lm_tensor *g, const int *need,
                      lm_tensor **g0, lm_tensor **g1) {
    const lm_node_input *in = nd->in;
    const lm_window *w = &nd->attrs.win;
    lm_tensor *a = NULL, *b = NULL;
    switch (nd->kind) {
    case LM_G_CONV:  /* y = conv(x, w) */
        if (need[0]) lm_conv_backprop_input(g, in[1].saved, in[0].ndim, in[0].shape, w, &a);
        if (need[1]) lm_conv_backprop_filter(in[0].saved, g, in[1].ndim, in[1].shape, w, &b);
        break;
    case LM_G_CONV_BWD_INPUT:  /* dx = conv^T(dy, w): linear in each */
        if (need[0]) lm_conv(g, in[1].saved, NULL, LM_ACT_NONE, w, &a);
        if (need[1]) lm_conv_backprop_filter(g, in[0].saved, in[1].ndim, in[1].shape, w, &b);
        break;
    case LM_G_CONV_BWD_FILTER:  /* dw = filter gradient of (x, dy) */
        if (need[0]) lm_conv_backprop_input(in[1].saved, g, in[0].ndim, in[0].shape, w, &a);
        if (need[1]) lm_conv(in[0].saved, g, NULL, LM_ACT_NONE, w, &b);
        break;
    default: break;
    }
    *g0 = keep(s, a);
    *g1 = keep(s, b);
}

/* Pooling (pool.c); max pooling's gradients do not depend on x's values away from ties (0). */
static void pool_rule(scratch *s, const lm_node *nd, lm_tensor *g, const int *need,
                      lm_tensor **g0, lm_tensor **g1) {
    const lm_node_input *in = nd->in;
    const lm_window *w = &nd->attrs.win;
    lm_tensor *a = NULL, *b = NULL;
    switch (nd->kind) {
    case LM_G_POOL:
        if (nd->attrs.code) lm_max_pool_grad(in[0].saved, g, w, &a);
        else lm_avg_pool_grad(in[0].ndim, in[0].shape, g, w, &a);
        break;
    case LM_G_AVGPOOL_GRAD: lm_pool(0, g, w, &a); break;
    case LM_G_MAXPOOL_GRAD:
    case LM_G_MAXPOOL_GRADGRAD:
        if (need[0]) lm_zeros(g->dtype, in[0].ndim, in[0].shape, &a);
        if (need[1]) {
            if (nd->kind == LM_G_MAXPOOL_GRAD) lm_max_pool_gradgrad(in[0].saved, g, w, &b);
            else lm_max_pool_grad(in[0].saved, g, w, &b);
        }
        break;
    default: break;
    }
    *g0 = keep(s, a);
    *g1 = keep(s, b);
}

lm_status lm_node_backward(const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    scratch s = {.n = 0};
    lm_clear_error();
    const lm_node_input *in = nd->in;
    lm_tensor *r = NULL, *r1 = NULL, *r2 = NULL;
    int64_t perm[LM_MAX_NDIM];
    switch (nd->kind) {
    case LM_G_BINARY: binary_rule(&s, nd, g, need, &r, &r1); break;
    case LM_G_UNARY: r = unary_rule(&s, nd, g); break;
    case LM_G_WHERE: {
        lm_tensor *zero = num(&s, g->dtype, 0);
        if (need[1]) r1 = unbroadcast(&s, sel(&s, in[0].saved, g, zero), &in[1]);
        if (need[2]) r2 = unbroadcast(&s, sel(&s, in[0].saved, zero, g), &in[2]);
        break;
    }
    case LM_G_CLIP: {  /* the gradient passes where lo <= x <= hi, else goes to the bound */
        lm_tensor *zero = num(&s, g->dtype, 0);
        lm_tensor *lo = bin(&s, LM_LT, in[0].saved, in[1].saved);
        lm_tensor *hi = bin(&s, LM_GT, in[0].saved, in[2].saved);
        if (need[0]) r = unbroadcast(&s, sel(&s, bin(&s, LM_LOGICAL_OR, lo, hi), zero, g), &in[0]);
        if (need[1]) r1 = unbroadcast(&s, sel(&s, lo, g, zero), &in[1]);
        if (need[2]) r2 = unbroadcast(&s, sel(&s, hi, g, zero), &in[2]);
        break;
    }
    case LM_G_CAST: lm_cast(g, in[0].dtype, &r); keep(&s, r); break;
    case LM_G_REDUCE: r = reduce_rule(&s, nd, g); break;
    case LM_G_SOFTMAX: r = softmax_rule(&s, nd, g); break;
    case LM_G_RESHAPE: r = reshape(&s, g, in[0].ndim, in[0].shape); break;
    case LM_G_TRANSPOSE:
        for (int d = 0; d < in[0].ndim; d++) perm[nd->attrs.axes[d]] = d;
        lm_transpose(g, perm, &r);
        keep(&s, r);
        break;
    case LM_G_BROADCAST: r = unbroadcast(&s, g, &in[0]); break;
    case LM_G_CONCAT:
    case LM_G_STACK: split_rule(&s, nd, g, need, gin); break;
    case LM_G_GATHER:
        lm_scatter_add(in[0].ndim, in[0].shape, in[1].saved, g, nd->attrs.axis, &r);
        keep(&s, r);
        break;
    case LM_G_SCATTER: lm_gather(g, in[1].saved, nd->attrs.axis, &r); keep(&s, r); break;
    case LM_G_GETITEM:
        lm_setitem_zeros(in[0].ndim, in[0].shape, nd->attrs.nindex, nd->attrs.index, g, &r);
        keep(&s, r);
        break;
    case LM_G_SETITEM: lm_getitem(g, nd->attrs.nindex, nd->attrs.index, &r); keep(&s, r); break;
    case LM_G_MATMUL: matmul_rule(&s, nd, g, need, &r, &r1); break;
    case LM_G_IDENTITY: r = g; break;
    case LM_G_CONV:
    case LM_G_CONV_BWD_INPUT:
    case LM_G_CONV_BWD_FILTER: conv_rule(&s, nd, g, need, &r, &r1); break;
    case LM_G_POOL:
    case LM_G_MAXPOOL_GRAD:
    case LM_G_MAXPOOL_GRADGRAD:
    case LM_G_AVGPOOL_GRAD: pool_rule(&s, nd, g, need, &r, &r1); break;
    default: break;
    }
    if (nd->kind != LM_G_CONCAT && nd->kind != LM_G_STACK) {
        lm_tensor *res[3] = {r, r1, r2};
        for (int i = 0; i < nd->nin && i < 3; i++) gin[i] = need[i] ? res[i] : NULL;
    }
    /* A needed gradient that came out NULL means an op in the rule failed (the helpers pass
     * NULL along); its status and message are still this thread's last error. */
    lm_status st = LM_OK;
    for (int i = 0; i < nd->nin && !st; i++)
        if (need[i] && !gin[i] && lm_dtype_is_float(in[i].dtype))
            st = lm_last_status() ? lm_last_status()
                                  : lm_fail(LM_ERUNTIME, "GradientTape: no gradient rule for op "
                                            "kind %d, input %d", (int)nd->kind, i);
    for (int i = 0; i < nd->nin; i++) {
        if (st) gin[i] = NULL;
        else lm_retain(gin[i]);  /* the caller owns them; the scratch list lets go of its copy */
    }
    scratch_free(&s);
    return st;
}
