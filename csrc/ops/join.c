/* join.c — concat and stack: copy every input (any strides) into its slice of a new tensor. */
#include "internal.h"
#include "autodiff/record.h"

#include <string.h>

/* n >= 1 and all inputs non-NULL with xs[0]'s dtype. */
static lm_status check_inputs(const char *op, int n, const lm_tensor *const *xs) {
    if (n < 1 || !xs) return lm_fail(LM_EVALUE, "%s: needs a non-empty list of tensors, got %d", op, n);
    for (int i = 0; i < n; i++) {
        if (!xs[i]) return lm_fail(LM_EVALUE, "%s: tensor %d is NULL", op, i);
        if (xs[i]->dtype != xs[0]->dtype)
            return lm_fail(LM_ETYPE, "%s: tensor %d has dtype %s but tensor 0 has %s; all must have "
                           "the same dtype", op, i, LM_DT(xs[i]), LM_DT(xs[0]));
    }
    return LM_OK;
}

static lm_status concat_impl(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = check_inputs("concat", n, xs))) return st;
    const lm_tensor *x0 = xs[0];
    int nd = x0->ndim;
    if (nd == 0)
        return lm_fail(LM_EVALUE, "concat: cannot concatenate scalars (rank 0 tensors); use stack");
    int64_t ax;
    if ((st = lm_norm_axis("concat", axis, nd, &ax))) return st;
    int64_t shape[LM_MAX_NDIM];
    memcpy(shape, x0->shape, sizeof(int64_t) * (size_t)nd);
    shape[ax] = 0;
    for (int i = 0; i < n; i++) {
        const lm_tensor *x = xs[i];
        if (x->ndim != nd)
            return lm_fail(LM_EVALUE, "concat: tensor %d has shape %s (rank %d) but tensor 0 has %s "
                           "(rank %d); all must have the same rank", i, LM_SHAPE(x), x->ndim,
                           LM_SHAPE(x0), nd);
        for (int d = 0; d < nd; d++)
            if (d != ax && x->shape[d] != x0->shape[d])
                return lm_fail(LM_EVALUE, "concat: tensor %d has shape %s but tensor 0 has %s; they "
                               "must agree except on axis %lld", i, LM_SHAPE(x), LM_SHAPE(x0),
                               (long long)ax);
        if (__builtin_add_overflow(shape[ax], x->shape[ax], &shape[ax]))
            return lm_fail(LM_ENOMEM, "concat: the result has too many elements");
    }
    if ((st = lm_empty(x0->dtype, nd, shape, out))) return st;
    lm_tensor *o = *out;
    size_t isz = lm_dtype_size(o->dtype);
    int64_t pos = 0;
    for (int i = 0; i < n; i++) {
        const lm_tensor *x = xs[i];
        if (x->numel > 0)
            lm_copy_strided(nd, x->shape, o->data + pos * o->strides[ax] * (int64_t)isz, o->strides,
                            x->data, x->strides, isz);
        pos += x->shape[ax];
    }
    return LM_OK;
}

static lm_status stack_impl(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = check_inputs("stack", n, xs))) return st;
    const lm_tensor *x0 = xs[0];
    int nd = x0->ndim;
    if (axis < -nd - 1 || axis > nd)
        return lm_fail(LM_EINDEX, "stack: axis %lld is out of range [%d, %d] for tensors of shape %s",
                       (long long)axis, -nd - 1, nd, LM_SHAPE(x0));
    if (nd == LM_MAX_NDIM)
        return lm_fail(LM_EVALUE, "stack: tensors of shape %s already have the maximum rank %d",
                       LM_SHAPE(x0), LM_MAX_NDIM);
    int a = (int)(axis < 0 ? axis + nd + 1 : axis);
    for (int i = 1; i < n; i++) {
        const lm_tensor *x = xs[i];
        if (x->ndim != nd || memcmp(x->shape, x0->shape, sizeof(int64_t) * (size_t)nd))
            return lm_fail(LM_EVALUE, "stack: tensor %d has shape %s but tensor 0 has %s; all must "
                           "have the same shape", i, LM_SHAPE(x), LM_SHAPE(x0));
    }
    int64_t shape[LM_MAX_NDIM];
    for (int i = 0, j = 0; i <= nd; i++) shape[i] = i == a ? n : x0->shape[j++];
    if ((st = lm_empty(x0->dtype, nd + 1, shape, out))) return st;
    lm_tensor *o = *out;
    if (o->numel == 0) return LM_OK;
    size_t isz = lm_dtype_size(o->dtype);
    /* Input i goes to index i along the new axis: the output's strides without that axis. */
    int64_t dstr[LM_MAX_NDIM];
    for (int i = 0, j = 0; i <= nd; i++)
        if (i != a) dstr[j++] = o->strides[i];
    for (int i = 0; i < n; i++)
        lm_copy_strided(nd, x0->shape, o->data + (int64_t)i * o->strides[a] * (int64_t)isz, dstr,
                        xs[i]->data, xs[i]->strides, isz);
    return LM_OK;
}

lm_status lm_concat(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out) {
    lm_status st = concat_impl(n, xs, axis, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_CONCAT, &(lm_gattrs){.axis = axis}, n, xs, out);
}

lm_status lm_stack(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out) {
    lm_status st = stack_impl(n, xs, axis, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_STACK, &(lm_gattrs){.axis = axis}, n, xs, out);
}
