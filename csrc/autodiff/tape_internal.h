/* tape_internal.h — the tape's data structures, shared by tape.c (recording, the backward walk)
 * and rules.c (the vector-Jacobian product of each op). */
#ifndef LAMINA_TAPE_INTERNAL_H
#define LAMINA_TAPE_INTERNAL_H

#include "record.h"

/* An open-addressing map from tensor id (never 0) to a pointer; a set when values are unused. */
typedef struct lm_idmap {
    uint64_t *keys;
    void **vals;
    size_t cap, n;   /* cap is 0 or a power of two */
} lm_idmap;

void **lm_idmap_find(const lm_idmap *m, uint64_t id);           /* NULL when absent */
lm_status lm_idmap_put(lm_idmap *m, uint64_t id, void *val);     /* insert or overwrite */
void lm_idmap_clear(lm_idmap *m);                                /* empty it, keep nothing */

/* What a node remembers of one input: its id and type always; the tensor only when the rule
 * needs its values (see `saves` in tape.c). */
typedef struct lm_node_input {
    uint64_t id;
    lm_dtype dtype;
    int ndim;
    int64_t shape[LM_MAX_NDIM];
    lm_tensor *saved;
} lm_node_input;

typedef struct lm_node {
    lm_gkind kind;
    lm_gattrs attrs;          /* attrs.index points into this node's own allocation */
    uint64_t out_id;
    lm_tensor *out;           /* the output, when the rule needs it */
    int nin;
    lm_node_input in[];       /* followed by attrs.nindex lm_index entries */
} lm_node;

/* The gradient of each input of `node` given `g`, the gradient of its output. need[i] says which
 * inputs want one; grads[i] is set (a new reference) for those, or left NULL when the input gets
 * no gradient from this op. The rules call the public op entry points, so a tape that is still
 * recording sees them (higher derivatives). */
lm_status lm_node_backward(const lm_node *node, lm_tensor *g, const int *need, lm_tensor **grads);

/* A rule (the `rule` column of ops/ops.def's LM_TAPE_OP rows): sets gin[i], for the inputs with
 * need[i], to the gradient of input i given g, or leaves it NULL when the input gets none. The
 * tensors it makes go into the scratch list with lm_keep (it releases them when the rule is done:
 * gin[i] may point into it); a NULL passed along means an op failed, its message is the thread's
 * last error. */
typedef struct lm_scratch {
    lm_tensor *t[32];
    int n;
} lm_scratch;
lm_tensor *lm_keep(lm_scratch *s, lm_tensor *t);  /* returns t; NULL stays NULL */
typedef void lm_rule_fn(lm_scratch *s, const lm_node *nd, lm_tensor *g, const int *need,
                        lm_tensor **gin);
#define LM_TAPE_OP(KIND, saves, rule) lm_rule_fn rule;
#include "ops/ops.def"

#endif
