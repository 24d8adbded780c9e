/* record.h — what op entry points need from the gradient tape (csrc/autodiff/).
 *
 * Every differentiable op ends with
 *     if (st == LM_OK && lm_tape_recording()) st = lm_record(kind, &attrs, nin, inputs, out);
 * lm_tape_recording() is one thread-local load, so ops cost nothing extra when no tape is active
 * on this thread. lm_record appends a node to each active tape that tracks one of the inputs
 * (a watched tensor, or the output of an op it recorded); on failure it releases *out. */
#ifndef LAMINA_RECORD_H
#define LAMINA_RECORD_H

#include "internal.h"

/* The ops the tape knows a backward rule for: the LM_TAPE_OP rows of ops/ops.def, which say
 * what each records in lm_gattrs. */
typedef enum lm_gkind {
#define LM_TAPE_OP(KIND, ...) LM_G_##KIND,
#include "ops/ops.def"
    LM_NGKIND
} lm_gkind;

typedef struct lm_gattrs {
    int code;
    int64_t axis;
    int naxes;                       /* reduce: -1 for all axes */
    int64_t axes[LM_MAX_NDIM];       /* reduce axes or transpose perm */
    int nindex;                      /* GETITEM / SETITEM */
    const lm_index *index;           /* copied by lm_record */
} lm_gattrs;

extern _Thread_local int lm_tape_depth;  /* tapes recording on this thread */

static inline int lm_tape_recording(void) { return LM_UNLIKELY(lm_tape_depth != 0); }

/* Whether an active tape on this thread tracks one of the n tensors (NULLs are skipped). */
int lm_tape_tracks_any(int n, const lm_tensor *const *xs);

lm_status lm_record(lm_gkind kind, const lm_gattrs *attrs, int nin, const lm_tensor *const *in,
                    lm_tensor **out);

/* The gradient ops (differentiable themselves, so that tapes can record them: higher order). */
/* A zero tensor of `shape` with `updates` added at `indices` along `axis` (repeats add up). */
lm_status lm_scatter_add(int ndim, const int64_t *shape, const lm_tensor *indices,
                         const lm_tensor *updates, int64_t axis, lm_tensor **out);
/* A zero tensor of `shape` with `g` written at x[index]. */
lm_status lm_setitem_zeros(int ndim, const int64_t *shape, int n, const lm_index *index,
                           const lm_tensor *g, lm_tensor **out);

#endif
