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

typedef lm_scratch scratch;

/* Keep `t` until the rule ends; returns it. A full list is a programming error caught by tests. */
lm_tensor *lm_keep(scratch *s, lm_tensor *t) {
    if (!t) return NULL;
    if (s->n == (int)(sizeof s->t / sizeof s->t[0])) {  /* a rule outgrew the list: a bug */
        lm_release(t);
        lm_fail(LM_ERUNTIME, "GradientTape: a backward rule needs more than %d temporaries", s->n);
        return NULL;
    }
    return s->t[s->n++] = t;
}

#define keep lm_keep

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

/* ---- rules ------------------------------------------------------------------------------------
 * One lm_rule_fn per LM_TAPE_OP row of ops/ops.def: it sets gin[i] for the inputs it has a
 * gradient for (the caller drops those not needed). */

/* The vocabulary of ops.def's grad columns. */
#define ADD(p, q) bin(s, LM_ADD, p, q)
#define SUB(p, q) bin(s, LM_SUB, p, q)
#define MUL(p, q) bin(s, LM_MUL, p, q)
#define DIV(p, q) bin(s, LM_DIV, p, q)
#define B(op, p, q) bin(s, LM_##op, p, q)
#define U(op, p) un(s, LM_##op, p)
#define SEL(c, p, q) sel(s, c, p, q)
#define C(v) num(s, dt, v)
#define NOGRAD NULL

void lm_rule_binary(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    const lm_tensor *a = nd->in[0].saved, *b = nd->in[1].saved, *y = nd->out;
    const lm_dtype dt = g->dtype;
    switch ((lm_binop)nd->attrs.code) {
#define LM_BINARY(ID, name, dtypes, bad, ib, fb, saves, kslot, grad_a, grad_b, ...)             \
    case LM_##ID:                                                                             \
        gin[0] = need[0] ? (grad_a) : NULL;                                                   \
        gin[1] = need[1] ? (grad_b) : NULL;                                                   \
        break;
#include "ops/ops.def"
    default: break;
    }
    gin[0] = need[0] ? unbroadcast(s, gin[0], &nd->in[0]) : NULL;
    gin[1] = need[1] ? unbroadcast(s, gin[1], &nd->in[1]) : NULL;
}

void lm_rule_unary(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    const lm_tensor *x = nd->in[0].saved, *y = nd->out;
    const lm_dtype dt = g->dtype;
    (void)need;
    switch ((lm_unop)nd->attrs.code) {
#define LM_UNARY(ID, name, dtypes, ib, fb, saves, kslot, grad, ...)                            \
    case LM_##ID: gin[0] = (grad); break;
#include "ops/ops.def"
    default: break;
    }
}

#undef ADD
#undef SUB
#undef MUL
#undef DIV
#undef B
#undef U
#undef SEL
#undef C
#undef NOGRAD

static lm_tensor *reduce_grad(scratch *s, const lm_node *nd, lm_tensor *g) {
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

void lm_rule_reduce(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    gin[0] = reduce_grad(s, nd, g);
}

void lm_rule_softmax(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    const lm_tensor *y = nd->out;
    int64_t axis = nd->attrs.axis;
    if (nd->attrs.code)  /* log_softmax: g - exp(y) * sum(g) */
        gin[0] = bin(s, LM_SUB, g, bin(s, LM_MUL, un(s, LM_EXP, y), sum(s, g, 1, &axis, 1)));
    else
        gin[0] = bin(s, LM_MUL, bin(s, LM_SUB, g, sum(s, bin(s, LM_MUL, g, y), 1, &axis, 1)), y);
}

/* d(op(a, b)) for matmul with transposes, then batch dims summed back to each input's shape. */
void lm_rule_matmul(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    const lm_tensor *a = nd->in[0].saved, *b = nd->in[1].saved;
    int ta = nd->attrs.code & 1, tb = nd->attrs.code >> 1 & 1;
    if (need[0])
        gin[0] = unbroadcast(s, !ta ? mm(s, g, b, 0, !tb) : !tb ? mm(s, b, g, 0, 1) : mm(s, b, g, 1, 1),
                          &nd->in[0]);
    if (need[1])
        gin[1] = unbroadcast(s, !tb ? mm(s, a, g, !ta, 0) : !ta ? mm(s, g, a, 1, 0) : mm(s, g, a, 1, 1),
                          &nd->in[1]);
}

/* Slices of g along `axis` for each concatenated (or stacked) input. */
void lm_rule_split(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
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

void lm_rule_where(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    const lm_node_input *in = nd->in;
    lm_tensor *zero = num(s, g->dtype, 0);
    if (need[1]) gin[1] = unbroadcast(s, sel(s, in[0].saved, g, zero), &in[1]);
    if (need[2]) gin[2] = unbroadcast(s, sel(s, in[0].saved, zero, g), &in[2]);
}

/* The gradient passes where lo <= x <= hi, else goes to the bound. */
void lm_rule_clip(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    const lm_node_input *in = nd->in;
    lm_tensor *zero = num(s, g->dtype, 0);
    lm_tensor *lo = bin(s, LM_LT, in[0].saved, in[1].saved);
    lm_tensor *hi = bin(s, LM_GT, in[0].saved, in[2].saved);
    if (need[0]) gin[0] = unbroadcast(s, sel(s, bin(s, LM_LOGICAL_OR, lo, hi), zero, g), &in[0]);
    if (need[1]) gin[1] = unbroadcast(s, sel(s, lo, g, zero), &in[1]);
    if (need[2]) gin[2] = unbroadcast(s, sel(s, hi, g, zero), &in[2]);
}

void lm_rule_cast(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    lm_tensor *r = NULL;
    lm_cast(g, nd->in[0].dtype, &r);
    gin[0] = keep(s, r);
}

void lm_rule_reshape(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    gin[0] = reshape(s, g, nd->in[0].ndim, nd->in[0].shape);
}

void lm_rule_transpose(scratch *s, const lm_node *nd, lm_tensor *g, const int *need,
                       lm_tensor **gin) {
    int64_t perm[LM_MAX_NDIM];
    for (int d = 0; d < nd->in[0].ndim; d++) perm[nd->attrs.axes[d]] = d;
    lm_tensor *r = NULL;
    lm_transpose(g, perm, &r);
    gin[0] = keep(s, r);
}

void lm_rule_broadcast(scratch *s, const lm_node *nd, lm_tensor *g, const int *need,
                       lm_tensor **gin) {
    gin[0] = unbroadcast(s, g, &nd->in[0]);
}

void lm_rule_gather(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    const lm_node_input *in = nd->in;
    lm_tensor *r = NULL;
    lm_scatter_add(in[0].ndim, in[0].shape, in[1].saved, g, nd->attrs.axis, &r);
    gin[0] = keep(s, r);
}

void lm_rule_scatter(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    lm_tensor *r = NULL;
    lm_gather(g, nd->in[1].saved, nd->attrs.axis, &r);
    gin[0] = keep(s, r);
}

void lm_rule_getitem(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    lm_tensor *r = NULL;
    lm_setitem_zeros(nd->in[0].ndim, nd->in[0].shape, nd->attrs.nindex, nd->attrs.index, g, &r);
    gin[0] = keep(s, r);
}

void lm_rule_setitem(scratch *s, const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    lm_tensor *r = NULL;
    lm_getitem(g, nd->attrs.nindex, nd->attrs.index, &r);
    gin[0] = keep(s, r);
}

void lm_rule_identity(scratch *s, const lm_node *nd, lm_tensor *g, const int *need,
                      lm_tensor **gin) {
    gin[0] = g;
}

/* The rule of each tape kind, indexed by it: the LM_TAPE_OP rows of ops/ops.def. */
static lm_rule_fn *const RULES[LM_NGKIND] = {
#define LM_TAPE_OP(KIND, saves, rule) [LM_G_##KIND] = rule,
#include "ops/ops.def"
};

lm_status lm_node_backward(const lm_node *nd, lm_tensor *g, const int *need, lm_tensor **gin) {
    scratch s = {.n = 0};
    lm_clear_error();
    const lm_node_input *in = nd->in;
    for (int i = 0; i < nd->nin; i++) gin[i] = NULL;
    if ((unsigned)nd->kind < LM_NGKIND) RULES[nd->kind](&s, nd, g, need, gin);
    for (int i = 0; i < nd->nin; i++)
        if (!need[i]) gin[i] = NULL;
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
