/* tape.c — the gradient tape: the per-thread stack of recording tapes, recording (a C append per
 * op), and the reverse walk that accumulates gradients. The rules themselves are in rules.c. */
#include "tape_internal.h"

#include <stdlib.h>
#include <string.h>

#define LM_MAX_TAPES 64  /* nesting depth per thread */

struct lm_tape {
    long refcount;       /* the owner, plus one while on a thread's stack */
    int persistent;
    int paused;          /* stop_recording(), or computing its own gradient */
    int used;            /* a non-persistent tape that gave its gradients */
    int active;          /* on a thread's stack */
    int walking;         /* a gradient() is running (atomic): a second one at once is refused */
    lm_idmap tracked;    /* ids of watched tensors and of recorded outputs */
    lm_node **nodes;     /* in execution order */
    int64_t n, cap;
};

_Thread_local int lm_tape_depth;
static _Thread_local lm_tape *t_stack[LM_MAX_TAPES];

/* ---- lifetime --------------------------------------------------------------------------------- */

static void node_free(lm_node *nd) {
    for (int i = 0; i < nd->nin; i++) lm_release(nd->in[i].saved);
    lm_release(nd->out);
    free(nd);
}

static void drop_nodes(lm_tape *t) {
    for (int64_t i = 0; i < t->n; i++) node_free(t->nodes[i]);
    free(t->nodes);
    t->nodes = NULL;
    t->n = t->cap = 0;
}

lm_status lm_tape_new(int persistent, lm_tape **out) {
    *out = calloc(1, sizeof **out);
    if (!*out) return lm_fail(LM_ENOMEM, "GradientTape: out of memory");
    (*out)->refcount = 1;
    (*out)->persistent = persistent != 0;
    return LM_OK;
}

static void tape_release(lm_tape *t) {
    if (!t || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    drop_nodes(t);
    lm_idmap_clear(&t->tracked);
    free(t);
}

void lm_tape_free(lm_tape *t) {
    if (!t) return;
    /* Still recording on this thread (the owner skipped pop): take it off the stack. A tape left
     * active on another thread keeps itself alive through that stack's reference. */
    for (int i = 0; i < lm_tape_depth; i++)
        if (t_stack[i] == t) lm_tape_pop(t);
    tape_release(t);
}

lm_status lm_tape_push(lm_tape *t) {
    if (t->active)
        return lm_fail(LM_ERUNTIME, "GradientTape: this tape is already recording; a tape can be "
                                    "entered only once at a time");
    if (lm_tape_depth == LM_MAX_TAPES)
        return lm_fail(LM_ERUNTIME, "GradientTape: more than %d tapes nested on one thread",
                       LM_MAX_TAPES);
    __atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED);
    t->active = 1;
    t_stack[lm_tape_depth++] = t;
    return LM_OK;
}

lm_status lm_tape_pop(lm_tape *t) {
    for (int i = lm_tape_depth - 1; i >= 0; i--) {
        if (t_stack[i] != t) continue;
        memmove(&t_stack[i], &t_stack[i + 1], sizeof(lm_tape *) * (size_t)(lm_tape_depth - 1 - i));
        lm_tape_depth--;
        t->active = 0;
        tape_release(t);
        return LM_OK;
    }
    return lm_fail(LM_ERUNTIME, "GradientTape: this tape is not recording on this thread");
}

void lm_tape_pause(lm_tape *t, int paused) { t->paused = paused != 0; }

int lm_tape_active(const lm_tape *t) { return t->active; }

int lm_tape_paused(const lm_tape *t) { return t->paused; }

void lm_tape_set_persistent(lm_tape *t, int persistent) { t->persistent = persistent != 0; }

lm_status lm_tape_watch(lm_tape *t, const lm_tensor *x) {
    if (!lm_dtype_is_float(x->dtype)) return LM_OK;
    return lm_idmap_put(&t->tracked, x->id, NULL);
}

int lm_tape_tracks(const lm_tape *t, const lm_tensor *x) {
    return lm_idmap_find(&t->tracked, x->id) != NULL;
}

void lm_tape_reset(lm_tape *t) {
    drop_nodes(t);
    lm_idmap_clear(&t->tracked);
    t->used = 0;
}

int64_t lm_tape_num_nodes(const lm_tape *t) { return t->n; }

/* ---- recording -------------------------------------------------------------------------------- */

enum { SAVE_OUT = 1u << 31 };

/* Which inputs (bit i) and whether the output (SAVE_OUT) the rule reads: a tape keeps only
 * those alive. Everything else it needs is the inputs' shapes and dtypes. The `saves` column of
 * ops/ops.def says it, next to the rule that reads them. */
#define IN(i) (1u << (i))
#define X IN(0)
#define A IN(0)
#define B IN(1)
#define Y SAVE_OUT
static const uint32_t UNOP_SAVES[LM_NUNOP] = {
#define LM_UNARY(ID, name, dtypes, ib, fb, saves, ...) [LM_##ID] = saves,
#include "ops/ops.def"
};
static const uint32_t BINOP_SAVES[LM_NBINOP] = {
#define LM_BINARY(ID, name, dtypes, bad, ib, fb, saves, ...) [LM_##ID] = saves,
#include "ops/ops.def"
};
#define lm_unop_saves(code) ((unsigned)(code) < LM_NUNOP ? UNOP_SAVES[code] : 0)
#define lm_binop_saves(code) ((unsigned)(code) < LM_NBINOP ? BINOP_SAVES[code] : 0)

static uint32_t saves(lm_gkind kind, int code) {
    switch (kind) {
#define LM_TAPE_OP(KIND, saves, rule) case LM_G_##KIND: return saves;
#include "ops/ops.def"
    default: return 0;
    }
}
#undef IN
#undef X
#undef A
#undef B
#undef Y

/* Ops with no gradient (grad NOGRAD in ops/ops.def): TF registers none for these (their outputs
 * are not float, or the function is piecewise constant). LM_HAS_GRAD(grad) is 0 for the token
 * NOGRAD and 1 for any expression (the probe idiom: only NOGRAD pastes into a macro that adds an
 * argument). */
#define LM_PROBE_NOGRAD ~, 0
#define LM_SECOND_(a, b, ...) b
#define LM_SECOND(...) LM_SECOND_(__VA_ARGS__)
#define LM_HAS_GRAD_(probe) LM_SECOND(probe, 1, ~)
#define LM_HAS_GRAD(grad) LM_HAS_GRAD_(LM_PROBE_##grad)
static const unsigned char UNOP_GRAD[LM_NUNOP] = {
#define LM_UNARY(ID, name, dtypes, ib, fb, saves, kslot, grad, ...) [LM_##ID] = LM_HAS_GRAD(grad),
#include "ops/ops.def"
};
static const unsigned char BINOP_GRAD[LM_NBINOP] = {
#define LM_BINARY(ID, name, dtypes, bad, ib, fb, saves, kslot, grad_a, ...)                     \
    [LM_##ID] = LM_HAS_GRAD(grad_a),
#include "ops/ops.def"
};

static int differentiable(lm_gkind kind, int code) {
    if (kind == LM_G_BINARY) return (unsigned)code < LM_NBINOP && BINOP_GRAD[code];
    if (kind == LM_G_UNARY) return (unsigned)code < LM_NUNOP && UNOP_GRAD[code];
    return 1;
}

static lm_node *node_new(lm_gkind kind, const lm_gattrs *attrs, int nin,
                         const lm_tensor *const *in, const lm_tensor *out) {
    int nindex = (kind == LM_G_GETITEM || kind == LM_G_SETITEM) ? attrs->nindex : 0;
    size_t bytes = sizeof(lm_node) + sizeof(lm_node_input) * (size_t)nin +
                   sizeof(lm_index) * (size_t)nindex;
    lm_node *nd = malloc(bytes);
    if (!nd) return NULL;
    nd->kind = kind;
    nd->attrs = *attrs;
    if (nindex) {
        lm_index *copy = (lm_index *)&nd->in[nin];
        memcpy(copy, attrs->index, sizeof(lm_index) * (size_t)nindex);
        nd->attrs.index = copy;
    } else {
        nd->attrs.index = NULL;
    }
    uint32_t keep = saves(kind, attrs->code);
    nd->out_id = out->id;
    nd->out = keep & SAVE_OUT ? lm_retain((lm_tensor *)out) : NULL;
    nd->nin = nin;
    for (int i = 0; i < nin; i++) {
        lm_node_input *ni = &nd->in[i];
        ni->id = in[i]->id;
        ni->dtype = in[i]->dtype;
        ni->ndim = in[i]->ndim;
        memcpy(ni->shape, in[i]->shape, sizeof(int64_t) * (size_t)in[i]->ndim);
        ni->saved = i < 31 && (keep >> i & 1) ? lm_retain((lm_tensor *)in[i]) : NULL;
    }
    return nd;
}

static lm_status append(lm_tape *t, lm_node *nd) {
    if (t->n == t->cap) {
        int64_t cap = t->cap ? t->cap * 2 : 64;
        lm_node **nodes = realloc(t->nodes, sizeof(lm_node *) * (size_t)cap);
        if (!nodes) return lm_fail(LM_ENOMEM, "GradientTape: out of memory recording op %lld",
                                   (long long)t->n);
        t->nodes = nodes;
        t->cap = cap;
    }
    lm_status st = lm_idmap_put(&t->tracked, nd->out_id, NULL);
    if (st) return st;
    t->nodes[t->n++] = nd;
    return LM_OK;
}

/* Whether tape t tracks one of the n tensors (NULLs are skipped). */
static int tracks_one_of(const lm_tape *t, int n, const lm_tensor *const *xs) {
    for (int i = 0; i < n; i++)
        if (xs[i] && lm_idmap_find(&t->tracked, xs[i]->id)) return 1;
    return 0;
}

int lm_tape_tracks_any(int n, const lm_tensor *const *xs) {
    for (int k = 0; k < lm_tape_depth; k++)
        if (!t_stack[k]->paused && tracks_one_of(t_stack[k], n, xs)) return 1;
    return 0;
}

lm_status lm_record(lm_gkind kind, const lm_gattrs *attrs, int nin, const lm_tensor *const *in,
                    lm_tensor **out) {
    const lm_tensor *o = *out;
    if (!lm_dtype_is_float(o->dtype) || !differentiable(kind, attrs->code)) return LM_OK;
    for (int i = 0; i < nin; i++)
        if (in[i]->id == o->id) return LM_OK;  /* the op gave back its input: nothing to record */
    for (int k = 0; k < lm_tape_depth; k++) {
        lm_tape *t = t_stack[k];
        if (t->paused || !tracks_one_of(t, nin, in)) continue;
        lm_node *nd = node_new(kind, attrs, nin, in, o);
        lm_status st = nd ? append(t, nd)
                          : lm_fail(LM_ENOMEM, "GradientTape: out of memory recording an op");
        if (st) {
            if (nd) node_free(nd);
            lm_release(*out);
            *out = NULL;
            return st;
        }
    }
    return LM_OK;
}

lm_status lm_identity(const lm_tensor *x, lm_tensor **out) {
    lm_status st = lm_view(x, x->ndim, x->shape, x->strides, x->offset, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_IDENTITY, &(lm_gattrs){0}, 1, &x, out);
}

lm_status lm_stop_gradient(const lm_tensor *x, lm_tensor **out) {
    return lm_view(x, x->ndim, x->shape, x->strides, x->offset, out);
}

/* ---- the backward walk ------------------------------------------------------------------------ */

/* Add g (a new reference, consumed) to the gradient accumulated for id. */
static lm_status accumulate(lm_idmap *grads, uint64_t id, lm_tensor *g) {
    void **slot = lm_idmap_find(grads, id);
    if (slot && *slot) {
        lm_tensor *sum;
        lm_status st = lm_binary(LM_ADD, (lm_tensor *)*slot, g, &sum);
        lm_release(g);
        if (st) return st;
        lm_release((lm_tensor *)*slot);
        *slot = sum;
        return LM_OK;
    }
    lm_status st = lm_idmap_put(grads, id, g);
    if (st) lm_release(g);
    return st;
}

static lm_status ones_like(const lm_tensor *x, lm_tensor **out) {
    lm_tensor *one;
    lm_status st = lm_scalar_f64(x->dtype, 1.0, &one);
    if (st) return st;
    st = lm_fill(x->ndim, x->shape, one, out);
    lm_release(one);
    return st;
}

static lm_status check_seed(int i, const lm_tensor *target, const lm_tensor *seed) {
    if (seed->dtype != target->dtype)
        return lm_fail(LM_ETYPE, "GradientTape.gradient: output_gradients[%d] has dtype %s but "
                       "target %d has %s", i, LM_DT(seed), i, LM_DT(target));
    if (seed->ndim != target->ndim ||
        memcmp(seed->shape, target->shape, sizeof(int64_t) * (size_t)seed->ndim))
        return lm_fail(LM_EVALUE, "GradientTape.gradient: output_gradients[%d] has shape %s but "
                       "target %d has shape %s; they must match", i, LM_SHAPE(seed), i,
                       LM_SHAPE(target));
    return LM_OK;
}

static void release_all(lm_idmap *m) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) lm_release((lm_tensor *)m->vals[i]);
    lm_idmap_clear(m);
}

/* The walk itself. Nodes the rules append to this same tape (a persistent tape recording its
 * own gradient) come after t->n at the start and are not walked. */
static lm_status walk(lm_tape *t, int ntargets, const lm_tensor *const *targets,
                      const lm_tensor *const *seeds, int nsources,
                      const lm_tensor *const *sources, lm_tensor **grads) {
    lm_idmap reach = {0}, acc = {0};
    lm_status st = LM_OK;
    const int64_t nwalk = t->n;
    /* ids that depend on a source: only their gradients are worth computing */
    for (int j = 0; j < nsources && !st; j++)
        if (lm_dtype_is_float(sources[j]->dtype)) st = lm_idmap_put(&reach, sources[j]->id, NULL);
    for (int64_t k = 0; k < t->n && !st; k++) {
        const lm_node *nd = t->nodes[k];
        for (int i = 0; i < nd->nin; i++) {
            if (lm_idmap_find(&reach, nd->in[i].id)) {
                st = lm_idmap_put(&reach, nd->out_id, NULL);
                break;
            }
        }
    }
    for (int i = 0; i < ntargets && !st; i++) {
        const lm_tensor *tg = targets[i];
        if (!lm_dtype_is_float(tg->dtype) || !lm_idmap_find(&reach, tg->id)) continue;
        lm_tensor *seed = NULL;
        if (seeds && seeds[i]) {
            if (!(st = check_seed(i, tg, seeds[i]))) seed = lm_retain((lm_tensor *)seeds[i]);
        } else {
            st = ones_like(tg, &seed);
        }
        if (!st) st = accumulate(&acc, tg->id, seed);
    }
    for (int64_t k = nwalk - 1; k >= 0 && !st && acc.n; k--) {
        const lm_node *nd = t->nodes[k];
        void **slot = lm_idmap_find(&acc, nd->out_id);
        if (!slot || !*slot) continue;
        int need[nd->nin > 0 ? nd->nin : 1], any = 0;
        for (int i = 0; i < nd->nin; i++) any |= need[i] = lm_idmap_find(&reach, nd->in[i].id) != NULL;
        if (!any) continue;
        lm_tensor *gin_small[4] = {0}, **gin = gin_small;
        if (nd->nin > 4 && !(gin = calloc((size_t)nd->nin, sizeof *gin))) {
            st = lm_fail(LM_ENOMEM, "GradientTape: out of memory");
            break;
        }
        st = lm_node_backward(nd, (lm_tensor *)*slot, need, gin);
        for (int i = 0; i < nd->nin; i++) {
            if (!gin[i]) continue;
            if (st) lm_release(gin[i]);
            else st = accumulate(&acc, nd->in[i].id, gin[i]);
        }
        if (gin != gin_small) free(gin);
        /* Each id has one producer, so the output's gradient is final and no longer needed,
         * unless it is asked for as a source (look it up again: accumulate may have grown the map). */
        int is_source = 0;
        for (int j = 0; j < nsources; j++) is_source |= sources[j]->id == nd->out_id;
        if (!is_source && (slot = lm_idmap_find(&acc, nd->out_id))) {
            lm_release((lm_tensor *)*slot);
            *slot = NULL;
        }
    }
    for (int j = 0; j < nsources && !st; j++) {
        void **slot = lm_idmap_find(&acc, sources[j]->id);
        grads[j] = slot && *slot ? lm_retain((lm_tensor *)*slot) : NULL;
    }
    if (st)
        for (int j = 0; j < nsources; j++) {
            lm_release(grads[j]);
            grads[j] = NULL;
        }
    release_all(&acc);
    lm_idmap_clear(&reach);
    return st;
}

lm_status lm_tape_gradient(lm_tape *t, int ntargets, const lm_tensor *const *targets,
                           const lm_tensor *const *seeds, int nsources,
                           const lm_tensor *const *sources, lm_tensor **grads) {
    for (int j = 0; j < nsources; j++) grads[j] = NULL;
    if (t->used)
        return lm_fail(LM_ERUNTIME, "A non-persistent GradientTape can only be used to compute one "
                       "set of gradients (or jacobians); create it with persistent=True to call "
                       "gradient() more than once");
    if (__atomic_exchange_n(&t->walking, 1, __ATOMIC_ACQUIRE))
        return lm_fail(LM_ERUNTIME, "GradientTape.gradient: another gradient() is running on this "
                       "tape (in another thread); a tape computes one set of gradients at a time");
    int was_paused = t->paused;
    if (!(t->persistent && t->active)) t->paused = 1;
    lm_status st = walk(t, ntargets, targets, seeds, nsources, sources, grads);
    t->paused = was_paused;
    __atomic_store_n(&t->walking, 0, __ATOMIC_RELEASE);
    if (!st && !t->persistent) {  /* one set of gradients: free what the tape saved */
        drop_nodes(t);
        lm_idmap_clear(&t->tracked);
        t->used = 1;
    }
    return st;
}
