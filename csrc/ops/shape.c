/* shape.c — ops that only change how a storage is viewed: reshape, transpose, expand_dims,
 * squeeze, broadcast_to. All of them return views (no copy), except reshape of a tensor whose
 * strides cannot express the new shape, which copies once. */
#include "internal.h"
#include "autodiff/record.h"

#include <string.h>

/* ---- reshape ----------------------------------------------------------------------------------- */

/* Resolve a requested shape (possibly with one -1) against x's element count. */
static lm_status resolve_shape(const lm_tensor *x, int ndim, const int64_t *req, int64_t *shape) {
    if (ndim < 0 || ndim > LM_MAX_NDIM)
        return lm_fail(LM_EVALUE, "reshape: rank %d is outside 0..%d", ndim, LM_MAX_NDIM);
    int infer = -1;
    int64_t known[LM_MAX_NDIM];
    for (int i = 0; i < ndim; i++) {
        if (req[i] == -1) {
            if (infer >= 0)
                return lm_fail(LM_EVALUE, "reshape: shape %s has more than one -1 (unknown) dimension",
                               LM_SHAPE_N(ndim, req));
            infer = i;
            known[i] = 1;
        } else if (req[i] < 0) {
            return lm_fail(LM_EVALUE, "reshape: shape %s has a negative dimension %lld (only -1, "
                           "to infer one dimension, is allowed)", LM_SHAPE_N(ndim, req),
                           (long long)req[i]);
        } else {
            known[i] = req[i];
        }
    }
    int64_t n;
    lm_status st = lm_checked_numel("reshape", ndim, known, &n);
    if (st) return st;
    memcpy(shape, req, sizeof(int64_t) * (size_t)ndim);
    if (infer >= 0) {
        /* With the other dims multiplying to 0, any size fits: TF and NumPy refuse to guess. */
        if (n == 0)
            return lm_fail(LM_EVALUE, "reshape: cannot infer the -1 dimension of shape %s for a "
                           "tensor of shape %s (%lld elements): the other dimensions multiply to 0",
                           LM_SHAPE_N(ndim, req), LM_SHAPE(x), (long long)x->numel);
        if (x->numel % n != 0)
            return lm_fail(LM_EVALUE, "reshape: cannot reshape a tensor of shape %s (%lld elements) "
                           "into shape %s: %lld elements are not a multiple of %lld",
                           LM_SHAPE(x), (long long)x->numel, LM_SHAPE_N(ndim, req),
                           (long long)x->numel, (long long)n);
        shape[infer] = x->numel / n;
        return LM_OK;
    }
    if (n != x->numel)
        return lm_fail(LM_EVALUE, "reshape: cannot reshape a tensor of shape %s (%lld elements) into "
                       "shape %s (%lld elements)", LM_SHAPE(x), (long long)x->numel,
                       LM_SHAPE_N(ndim, req), (long long)n);
    return LM_OK;
}

/* Strides that view x's elements, in C order, with shape (nd, shape) — NumPy's
 * _attempt_nocopy_reshape. Groups of old dims whose product equals a group of new dims map onto
 * each other when the old group is one contiguous run (each stride = next stride * next size).
 * Returns false when no such strides exist. x->numel > 0. */
static bool nocopy_strides(const lm_tensor *x, int nd, const int64_t *shape, int64_t *strides) {
    int64_t od[LM_MAX_NDIM], os[LM_MAX_NDIM];
    int ond = 0;
    for (int i = 0; i < x->ndim; i++) {  /* size-1 dims have no say in the layout */
        if (x->shape[i] == 1) continue;
        od[ond] = x->shape[i];
        os[ond] = x->strides[i];
        ond++;
    }
    int oi = 0, oj = 1, ni = 0, nj = 1;
    while (ni < nd && oi < ond) {
        int64_t np = shape[ni], op = od[oi];
        while (np != op) {  /* the totals agree, so both indexes stay in range */
            if (np < op) np *= shape[nj++];
            else op *= od[oj++];
        }
        for (int k = oi; k < oj - 1; k++)
            if (os[k] != od[k + 1] * os[k + 1]) return false;
        strides[nj - 1] = os[oj - 1];
        for (int k = nj - 1; k > ni; k--) strides[k - 1] = strides[k] * shape[k];
        ni = nj++;
        oi = oj++;
    }
    /* Trailing size-1 dims: any stride works; take the last one for tidy contiguity. */
    int64_t last = ni > 0 ? strides[ni - 1] : 1;
    for (int k = ni; k < nd; k++) strides[k] = last;
    return true;
}

static lm_status reshape_impl(const lm_tensor *x, int ndim, const int64_t *req, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("reshape", x))) return st;
    int64_t shape[LM_MAX_NDIM], strides[LM_MAX_NDIM];
    if ((st = resolve_shape(x, ndim, req, shape))) return st;
    if (x->numel == 0) {
        lm_contiguous_strides(ndim, shape, strides);
        return lm_view(x, ndim, shape, strides, x->offset, out);
    }
    if (nocopy_strides(x, ndim, shape, strides))
        return lm_view(x, ndim, shape, strides, x->offset, out);
    lm_tensor *c;
    if ((st = lm_clone(x, &c))) return st;
    lm_contiguous_strides(ndim, shape, strides);
    st = lm_view(c, ndim, shape, strides, 0, out);
    lm_release(c);
    return st;
}

/* ---- transpose ---------------------------------------------------------------------------------- */

static lm_status transpose_impl(const lm_tensor *x, const int64_t *perm, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("transpose", x))) return st;
    int nd = x->ndim;
    bool seen[LM_MAX_NDIM] = {false};
    int64_t shape[LM_MAX_NDIM], strides[LM_MAX_NDIM];
    for (int i = 0; i < nd; i++) {
        int64_t p = perm[i];
        if (p < 0 || p >= nd || seen[p])
            return lm_fail(LM_EVALUE, "transpose: perm %s is not a permutation of 0..%d for a tensor "
                           "of shape %s (rank %d)", LM_SHAPE_N(nd, perm), nd - 1, LM_SHAPE(x), nd);
        seen[p] = true;
        shape[i] = x->shape[p];
        strides[i] = x->strides[p];
    }
    return lm_view(x, nd, shape, strides, x->offset, out);
}

/* ---- expand_dims / squeeze ------------------------------------------------------------------- */

static lm_status expand_dims_impl(const lm_tensor *x, int64_t axis, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("expand_dims", x))) return st;
    int nd = x->ndim;
    if (axis < -nd - 1 || axis > nd)
        return lm_fail(LM_EINDEX, "expand_dims: axis %lld is out of range [%d, %d] for a tensor of "
                       "shape %s", (long long)axis, -nd - 1, nd, LM_SHAPE(x));
    if (nd == LM_MAX_NDIM)
        return lm_fail(LM_EVALUE, "expand_dims: a tensor of shape %s already has the maximum rank %d",
                       LM_SHAPE(x), LM_MAX_NDIM);
    int a = (int)(axis < 0 ? axis + nd + 1 : axis);
    int64_t shape[LM_MAX_NDIM], strides[LM_MAX_NDIM];
    for (int i = 0, j = 0; i <= nd; i++) {
        if (i == a) {
            shape[i] = 1;
            /* The stride of a size-1 dim is never used; this one keeps layouts recognisable
             * (computed wrapping: an empty x's dims and strides may be huge). */
            strides[i] = a < nd ? (int64_t)((uint64_t)x->shape[a] * (uint64_t)x->strides[a]) : 1;
            continue;
        }
        shape[i] = x->shape[j];
        strides[i] = x->strides[j];
        j++;
    }
    return lm_view(x, nd + 1, shape, strides, x->offset, out);
}

static lm_status squeeze_impl(const lm_tensor *x, int naxes, const int64_t *axes, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("squeeze", x))) return st;
    int nd = x->ndim;
    bool drop[LM_MAX_NDIM] = {false};
    if (naxes < 0) {
        for (int i = 0; i < nd; i++) drop[i] = x->shape[i] == 1;
    } else {
        for (int k = 0; k < naxes; k++) {
            int64_t a = axes[k];
            if (a < -nd || a >= nd)
                return lm_fail(LM_EINDEX, "squeeze: axis %lld is out of range [%d, %d) for a tensor "
                               "of shape %s", (long long)a, -nd, nd, LM_SHAPE(x));
            if (a < 0) a += nd;
            if (x->shape[a] != 1)
                return lm_fail(LM_EVALUE, "squeeze: cannot squeeze axis %lld of a tensor of shape %s: "
                               "its size is %lld, not 1", (long long)axes[k], LM_SHAPE(x),
                               (long long)x->shape[a]);
            drop[a] = true;  /* a repeated axis is squeezed once, as in TF */
        }
    }
    int64_t shape[LM_MAX_NDIM], strides[LM_MAX_NDIM];
    int m = 0;
    for (int i = 0; i < nd; i++) {
        if (drop[i]) continue;
        shape[m] = x->shape[i];
        strides[m] = x->strides[i];
        m++;
    }
    return lm_view(x, m, shape, strides, x->offset, out);
}

/* ---- broadcast_to ----------------------------------------------------------------------------- */

static lm_status broadcast_to_impl(const lm_tensor *x, int ndim, const int64_t *shape, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("broadcast_to", x))) return st;
    int64_t n;
    if ((st = lm_checked_numel("broadcast_to", ndim, shape, &n))) return st;
    bool ok = ndim >= x->ndim;
    for (int i = 0; ok && i < x->ndim; i++) {
        int64_t d = x->shape[x->ndim - 1 - i], t = shape[ndim - 1 - i];
        ok = d == t || d == 1;
    }
    if (!ok)
        return lm_fail(LM_EVALUE, "broadcast_to: cannot broadcast a tensor of shape %s to shape %s",
                       LM_SHAPE(x), LM_SHAPE_N(ndim, shape));
    int64_t strides[LM_MAX_NDIM];
    lm_broadcast_strides(x, ndim, shape, strides);
    return lm_view(x, ndim, shape, strides, x->offset, out);
}

lm_status lm_reshape(const lm_tensor *x, int ndim, const int64_t *req, lm_tensor **out) {
    lm_status st = reshape_impl(x, ndim, req, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_RESHAPE, &(lm_gattrs){0}, 1, &x, out);
}

lm_status lm_transpose(const lm_tensor *x, const int64_t *perm, lm_tensor **out) {
    lm_status st = transpose_impl(x, perm, out);
    if (st || !lm_tape_recording()) return st;
    lm_gattrs at = {.naxes = x->ndim};
    for (int d = 0; d < x->ndim; d++) at.axes[d] = perm[d] < 0 ? perm[d] + x->ndim : perm[d];
    return lm_record(LM_G_TRANSPOSE, &at, 1, &x, out);
}

lm_status lm_expand_dims(const lm_tensor *x, int64_t axis, lm_tensor **out) {
    lm_status st = expand_dims_impl(x, axis, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_RESHAPE, &(lm_gattrs){0}, 1, &x, out);
}

lm_status lm_squeeze(const lm_tensor *x, int naxes, const int64_t *axes, lm_tensor **out) {
    lm_status st = squeeze_impl(x, naxes, axes, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_RESHAPE, &(lm_gattrs){0}, 1, &x, out);
}

lm_status lm_broadcast_to(const lm_tensor *x, int ndim, const int64_t *shape, lm_tensor **out) {
    lm_status st = broadcast_to_impl(x, ndim, shape, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_BROADCAST, &(lm_gattrs){0}, 1, &x, out);
}
