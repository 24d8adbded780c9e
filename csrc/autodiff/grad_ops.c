/* grad_ops.c — the ops that gradients of indexing need: scatter-add (the gradient of gather)
 * and write-into-zeros (the gradient of basic indexing). Both are recorded like any other op,
 * with each other's forward op as their rule, so second derivatives through indexing work. */
#include "tape_internal.h"

#include <stdlib.h>

#define SCATTER_LOOP(T)                                                                       \
    static void scatter_##T(T *z, const T *u, const int64_t *idx, int64_t outer, int64_t nidx, \
                            int64_t len, int64_t inner) {                                     \
        for (int64_t o = 0; o < outer; o++)                                                   \
            for (int64_t j = 0; j < nidx; j++) {                                              \
                T *dst = z + (o * len + idx[j]) * inner;                                      \
                const T *src = u + (o * nidx + j) * inner;                                    \
                for (int64_t i = 0; i < inner; i++) dst[i] += src[i];                         \
            }                                                                                 \
    }
SCATTER_LOOP(float)
SCATTER_LOOP(double)

lm_status lm_scatter_add(int ndim, const int64_t *shape, const lm_tensor *indices,
                         const lm_tensor *updates, int64_t axis, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    int64_t ax;
    if ((st = lm_norm_axis("scatter_add", axis, ndim, &ax))) return st;
    if (indices->dtype != LM_INT32 && indices->dtype != LM_INT64)
        return lm_fail(LM_ETYPE, "scatter_add: indices must be int32 or int64, got %s", LM_DT(indices));
    int64_t outer = 1, inner = 1, len = shape[ax], nidx = indices->numel;
    for (int d = 0; d < ax; d++) outer *= shape[d];
    for (int d = (int)ax + 1; d < ndim; d++) inner *= shape[d];
    if (updates->numel != outer * nidx * inner || !lm_dtype_is_float(updates->dtype))
        return lm_fail(LM_EVALUE, "scatter_add: updates of shape %s and dtype %s do not match "
                       "indices %s into a float tensor of shape %s", LM_SHAPE(updates),
                       LM_DT(updates), LM_SHAPE(indices), LM_SHAPE_N(ndim, shape));
    lm_tensor *ic = NULL, *i64 = NULL, *u = NULL, *z = NULL;
    lm_dtype work = updates->dtype == LM_FLOAT64 ? LM_FLOAT64 : LM_FLOAT32;
    if ((st = lm_cast(indices, LM_INT64, &i64)) || (st = lm_contiguous(i64, &ic))) goto done;
    const int64_t *idx = (const int64_t *)ic->data;
    for (int64_t j = 0; j < nidx; j++)
        if (idx[j] < 0 || idx[j] >= len) {
            st = lm_fail(LM_EINDEX, "scatter_add: index %lld is out of range [0, %lld)",
                         (long long)idx[j], (long long)len);
            goto done;
        }
    lm_tensor *w = NULL;
    if ((st = lm_cast(updates, work, &w))) goto done;
    st = lm_contiguous(w, &u);
    lm_release(w);
    if (st || (st = lm_zeros(work, ndim, shape, &z))) goto done;
    if (work == LM_FLOAT64)
        scatter_double((double *)z->data, (const double *)u->data, idx, outer, nidx, len, inner);
    else
        scatter_float((float *)z->data, (const float *)u->data, idx, outer, nidx, len, inner);
    if ((st = lm_cast(z, updates->dtype, out))) goto done;
    if (lm_tape_recording()) {
        const lm_tensor *in[2] = {updates, indices};
        st = lm_record(LM_G_SCATTER, &(lm_gattrs){.axis = ax}, 2, in, out);
    }
done:
    lm_release(i64);
    lm_release(ic);
    lm_release(u);
    lm_release(z);
    return st;
}

lm_status lm_setitem_zeros(int ndim, const int64_t *shape, int n, const lm_index *index,
                           const lm_tensor *g, lm_tensor **out) {
    *out = NULL;
    lm_tensor *z, *view = NULL;
    lm_status st = lm_zeros(g->dtype, ndim, shape, &z);
    if (st) return st;
    if ((st = lm_getitem(z, n, index, &view)) || (st = lm_copy_into(view, g))) {
        lm_release(view);
        lm_release(z);
        return st;
    }
    lm_release(view);
    *out = z;
    if (!lm_tape_recording()) return LM_OK;
    return lm_record(LM_G_SETITEM, &(lm_gattrs){.nindex = n, .index = index}, 1, &g, out);
}
