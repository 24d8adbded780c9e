/* getitem.c — basic indexing (ints, slices, newaxis, ellipsis) as a view, with Python's rules. */
#include "internal.h"
#include "autodiff/record.h"

/* Python's PySlice_AdjustIndices: clamp start/stop into the dim, return the length. */
static int64_t adjust_slice(int64_t len, const lm_index *ix, int64_t *start_out, int64_t *step_out) {
    int64_t step = ix->step < -INT64_MAX ? -INT64_MAX : ix->step;  /* so -step cannot overflow */
    int64_t lower = step < 0 ? -1 : 0, upper = step < 0 ? len - 1 : len;
    int64_t start, stop;
    if (!ix->has_start) start = step < 0 ? upper : lower;
    else if (ix->start < 0) start = ix->start + len < lower ? lower : ix->start + len;
    else start = ix->start > upper ? upper : ix->start;
    if (!ix->has_stop) stop = step < 0 ? lower : upper;
    else if (ix->stop < 0) stop = ix->stop + len < lower ? lower : ix->stop + len;
    else stop = ix->stop > upper ? upper : ix->stop;
    *start_out = start;
    *step_out = step;
    if (step < 0) return stop < start ? (start - stop - 1) / -step + 1 : 0;
    return start < stop ? (stop - start - 1) / step + 1 : 0;
}

static lm_status getitem_impl(const lm_tensor *x, int n, const lm_index *idx, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("getitem", x))) return st;
    if (n < 0 || (n > 0 && !idx)) return lm_fail(LM_EVALUE, "getitem: bad index count %d", n);
    int consumed = 0, ellipses = 0;
    for (int k = 0; k < n; k++) {
        switch (idx[k].kind) {
        case LM_IDX_INT:
        case LM_IDX_SLICE: consumed++; break;
        case LM_IDX_NEWAXIS: break;
        case LM_IDX_ELLIPSIS: ellipses++; break;
        default: return lm_fail(LM_EVALUE, "getitem: index %d has an unknown kind %d", k, (int)idx[k].kind);
        }
    }
    if (ellipses > 1)
        return lm_fail(LM_EINDEX, "getitem: an index can only have a single ellipsis ('...'), got %d",
                       ellipses);
    if (consumed > x->ndim)
        return lm_fail(LM_EINDEX, "getitem: too many indices for a tensor of shape %s: it is "
                       "%d-dimensional, but %d were indexed", LM_SHAPE(x), x->ndim, consumed);
    int64_t shape[LM_MAX_NDIM], strides[LM_MAX_NDIM];
    int64_t offset = x->offset;
    int in = 0, m = 0;
    /* Output rank is only known after ints are counted; check before every write. */
#define PUSH(sz, sd)                                                                              \
    do {                                                                                          \
        if (m == LM_MAX_NDIM)                                                                     \
            return lm_fail(LM_EVALUE, "getitem: the result of indexing a tensor of shape %s has " \
                           "more than %d dimensions", LM_SHAPE(x), LM_MAX_NDIM);                  \
        shape[m] = (sz);                                                                          \
        strides[m] = (sd);                                                                        \
        m++;                                                                                      \
    } while (0)
    for (int k = 0; k < n; k++) {
        const lm_index *ix = &idx[k];
        switch (ix->kind) {
        case LM_IDX_INT: {
            int64_t len = x->shape[in], i = ix->start;
            if (i < -len || i >= len)
                return lm_fail(LM_EINDEX, "getitem: index %lld is out of bounds for axis %d with size "
                               "%lld (tensor of shape %s)", (long long)i, in, (long long)len,
                               LM_SHAPE(x));
            if (i < 0) i += len;
            if (x->numel) offset += i * x->strides[in];  /* (an empty x: see the slice case) */
            in++;
            break;
        }
        case LM_IDX_SLICE: {
            if (ix->step == 0)
                return lm_fail(LM_EVALUE, "getitem: slice step cannot be zero (axis %d)", in);
            int64_t start, step, len = adjust_slice(x->shape[in], ix, &start, &step);
            /* An empty x's strides may be huge (its other dims are): its views address nothing,
             * so they keep its offset and strides rather than overflow computing new ones. With
             * fewer than 2 elements the stride is never used: keep it rather than risk
             * overflowing a huge step. */
            if (len > 0 && x->numel) offset += start * x->strides[in];
            PUSH(len, len > 1 && x->numel ? x->strides[in] * step : x->strides[in]);
            in++;
            break;
        }
        case LM_IDX_NEWAXIS:
            PUSH(1, 0);
            break;
        case LM_IDX_ELLIPSIS:
            for (int r = x->ndim - consumed; r > 0; r--, in++) PUSH(x->shape[in], x->strides[in]);
            break;
        }
    }
    for (; in < x->ndim; in++) PUSH(x->shape[in], x->strides[in]);
#undef PUSH
    return lm_view(x, m, shape, strides, offset, out);
}

lm_status lm_getitem(const lm_tensor *x, int n, const lm_index *idx, lm_tensor **out) {
    lm_status st = getitem_impl(x, n, idx, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_GETITEM, &(lm_gattrs){.nindex = n, .index = idx}, 1, &x, out);
}
