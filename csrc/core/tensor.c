/* tensor.c — tensors as strided views over refcounted storage. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t g_next_id = 1;

lm_status lm_check_tensor(const char *op, const lm_tensor *t) {
    if (!t) return lm_fail(LM_EVALUE, "%s: got a NULL tensor", op);
    return LM_OK;
}

lm_status lm_checked_numel(const char *op, int ndim, const int64_t *shape, int64_t *numel) {
    if (ndim < 0 || ndim > LM_MAX_NDIM)
        return lm_fail(LM_EVALUE, "%s: rank %d is outside 0..%d", op, ndim, LM_MAX_NDIM);
    int64_t n = 1;
    bool overflow = false;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return lm_fail(LM_EVALUE, "%s: negative dimension %lld in shape %s", op,
                           (long long)shape[i], LM_SHAPE_N(ndim, shape));
        if (!overflow && __builtin_mul_overflow(n, shape[i], &n)) overflow = true;
    }
    /* A zero anywhere makes the product 0 even if a partial product overflowed. */
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0) { *numel = 0; return LM_OK; }
    if (overflow || n > INT64_MAX / 8)
        return lm_fail(LM_ENOMEM, "%s: shape %s has too many elements", op, LM_SHAPE_N(ndim, shape));
    *numel = n;
    return LM_OK;
}

lm_status lm_norm_axis(const char *op, int64_t axis, int ndim, int64_t *out) {
    if (axis < -ndim || axis >= ndim || (ndim == 0 && axis != 0 && axis != -1))
        return lm_fail(LM_EINDEX, "%s: axis %lld is out of range for a tensor of rank %d", op,
                       (long long)axis, ndim);
    if (ndim == 0) return lm_fail(LM_EINDEX, "%s: axis %lld is out of range for a tensor of rank 0",
                                  op, (long long)axis);
    *out = axis < 0 ? axis + ndim : axis;
    return LM_OK;
}

void lm_tensor_refresh(lm_tensor *t) {
    uint64_t n = 1, expect = 1;  /* unsigned: an empty tensor's other dims may be huge */
    bool contig = true;
    for (int i = t->ndim - 1; i >= 0; i--) {
        n *= (uint64_t)t->shape[i];
        if (t->shape[i] != 1 && (uint64_t)t->strides[i] != expect) contig = false;
        expect *= (uint64_t)t->shape[i];
    }
    for (int i = 0; i < t->ndim; i++)
        if (t->shape[i] == 0) n = 0;
    t->numel = (int64_t)n;
    if (n == 0) contig = true;
    t->flags = contig ? (t->flags | LM_FLAG_CONTIGUOUS) : (t->flags & ~LM_FLAG_CONTIGUOUS);
    t->data = t->storage->data + t->offset * (int64_t)lm_dtype_size(t->dtype);
}

static lm_tensor *tensor_alloc(lm_storage *s, lm_dtype dt, int ndim, const int64_t *shape,
                               const int64_t *strides, int64_t offset, uint32_t flags) {
    lm_tensor *t = malloc(sizeof *t);
    if (!t) return NULL;
    t->storage = s;
    t->offset = offset;
    t->ndim = ndim;
    t->dtype = dt;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->strides[i] = strides[i];
    }
    t->flags = flags;
    t->refcount = 1;
    t->id = __atomic_fetch_add(&g_next_id, 1, __ATOMIC_RELAXED);
    lm_tensor_refresh(t);
    return t;
}

/* Row-major strides. For an empty tensor whose other dims are huge the product may wrap; such
 * strides are never used to address memory, so unsigned (defined) wrapping is enough. */
void lm_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides) {
    uint64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = (int64_t)s;
        s *= (uint64_t)(shape[i] ? shape[i] : 1);
    }
}

lm_status lm_empty(lm_dtype dt, int ndim, const int64_t *shape, lm_tensor **out) {
    *out = NULL;
    lm_status st = lm_check_dtype("empty", dt);
    if (st) return st;
    int64_t n;
    if ((st = lm_checked_numel("empty", ndim, shape, &n))) return st;
    size_t nbytes = (size_t)n * lm_dtype_size(dt);
    lm_storage *s = lm_storage_new(nbytes);
    if (!s) return lm_fail(LM_ENOMEM, "empty: cannot allocate %zu bytes for shape %s %s", nbytes,
                           LM_SHAPE_N(ndim, shape), lm_dtype_name(dt));
    int64_t strides[LM_MAX_NDIM];
    lm_contiguous_strides(ndim, shape, strides);
    *out = tensor_alloc(s, dt, ndim, shape, strides, 0, 0);
    if (!*out) {
        lm_storage_release(s);
        return lm_fail(LM_ENOMEM, "empty: out of memory");
    }
    return LM_OK;
}

lm_status lm_zeros(lm_dtype dt, int ndim, const int64_t *shape, lm_tensor **out) {
    lm_status st = lm_empty(dt, ndim, shape, out);
    if (!st) memset((*out)->data, 0, (size_t)(*out)->numel * lm_dtype_size(dt));
    return st;
}

/* Widen [lo, hi] by the reach of one dim (size n > 0, stride sd); nonzero on overflow. */
static int extend(int64_t n, int64_t sd, int64_t *lo, int64_t *hi) {
    int64_t span;
    if (__builtin_mul_overflow(n - 1, sd, &span)) return 1;
    return span < 0 ? __builtin_add_overflow(*lo, span, lo) : __builtin_add_overflow(*hi, span, hi);
}

/* Check that every element of the view lies inside the storage. */
static lm_status check_bounds(const char *op, const lm_storage *s, lm_dtype dt, int ndim,
                              const int64_t *shape, const int64_t *strides, int64_t offset) {
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0) return LM_OK;  /* addresses nothing, whatever its (huge) strides */
    int64_t lo = offset, hi = offset;
    for (int i = 0; i < ndim; i++)
        if (extend(shape[i], strides[i], &lo, &hi))
            return lm_fail(LM_EVALUE, "%s: strides overflow", op);
    int64_t cap = (int64_t)(s->nbytes / lm_dtype_size(dt));
    if (lo < 0 || hi >= cap)
        return lm_fail(LM_EVALUE, "%s: view of shape %s reaches elements %lld..%lld outside a storage of %lld",
                       op, LM_SHAPE_N(ndim, shape), (long long)lo, (long long)hi, (long long)cap);
    return LM_OK;
}

lm_status lm_view(const lm_tensor *base, int ndim, const int64_t *shape, const int64_t *strides,
                  int64_t offset, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    int64_t n;
    if ((st = lm_checked_numel("view", ndim, shape, &n))) return st;
    if ((st = check_bounds("view", base->storage, base->dtype, ndim, shape, strides, offset))) return st;
    lm_storage_retain(base->storage);
    *out = tensor_alloc(base->storage, base->dtype, ndim, shape, strides, offset,
                        base->flags & LM_FLAG_READONLY);
    if (!*out) {
        lm_storage_release(base->storage);
        return lm_fail(LM_ENOMEM, "view: out of memory");
    }
    return LM_OK;
}

lm_status lm_from_external(void *data, lm_dtype dt, int ndim, const int64_t *shape,
                           const int64_t *strides, void (*deleter)(void *), void *ctx,
                           int readonly, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    int64_t n;
    if ((st = lm_check_dtype("from_external", dt))) return st;
    if ((st = lm_checked_numel("from_external", ndim, shape, &n))) return st;
    int64_t cstrides[LM_MAX_NDIM];
    if (!strides) {
        lm_contiguous_strides(ndim, shape, cstrides);
        strides = cstrides;
    }
    /* The storage spans the lowest to the highest element the strides reach. */
    int64_t lo = 0, hi = 0;
    int64_t range = 0;
    for (int i = 0; i < ndim && n > 0; i++)
        if (extend(shape[i], strides[i], &lo, &hi))
            return lm_fail(LM_EVALUE, "from_external: strides overflow");
    if (__builtin_sub_overflow(hi, lo, &range) || range > INT64_MAX / 16)
        return lm_fail(LM_EVALUE, "from_external: strides reach beyond the address space");
    size_t isz = lm_dtype_size(dt);
    size_t nbytes = n > 0 ? (size_t)(range + 1) * isz : 0;
    lm_storage *s = lm_storage_external((char *)data + lo * (int64_t)isz, nbytes, deleter, ctx);
    if (!s) return lm_fail(LM_ENOMEM, "from_external: out of memory");
    *out = tensor_alloc(s, dt, ndim, shape, strides, -lo, readonly ? LM_FLAG_READONLY : 0);
    if (!*out) {
        free(s);  /* without running the deleter: the caller keeps ownership */
        return lm_fail(LM_ENOMEM, "from_external: out of memory");
    }
    return LM_OK;
}

lm_tensor *lm_retain(lm_tensor *t) {
    if (t) __atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED);
    return t;
}

void lm_release(lm_tensor *t) {
    if (!t || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    lm_storage_release(t->storage);
    free(t);
}

int lm_is_contiguous(const lm_tensor *t) { return (t->flags & LM_FLAG_CONTIGUOUS) != 0; }

lm_status lm_clone(const lm_tensor *x, lm_tensor **out) {
    lm_status st = lm_empty(x->dtype, x->ndim, x->shape, out);
    if (st) return st;
    lm_copy_strided(x->ndim, x->shape, (*out)->data, (*out)->strides, x->data, x->strides,
                    lm_dtype_size(x->dtype));
    return LM_OK;
}

lm_status lm_contiguous(const lm_tensor *x, lm_tensor **out) {
    if (lm_is_contiguous(x)) {
        *out = lm_retain((lm_tensor *)x);
        return LM_OK;
    }
    return lm_clone(x, out);
}

lm_status lm_broadcast_shapes(const char *op, int na, const int64_t *a, int nb, const int64_t *b,
                              int *nout, int64_t *out) {
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int64_t da = i < n - na ? 1 : a[i - (n - na)];
        int64_t db = i < n - nb ? 1 : b[i - (n - nb)];
        if (da != db && da != 1 && db != 1)
            return lm_fail(LM_EVALUE, "%s: shapes %s and %s cannot be broadcast together", op,
                           LM_SHAPE_N(na, a), LM_SHAPE_N(nb, b));
        out[i] = da == 1 ? db : da;
    }
    *nout = n;
    return LM_OK;
}

void lm_broadcast_strides(const lm_tensor *t, int ndim, const int64_t *shape, int64_t *strides) {
    int lead = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
        int j = i - lead;
        strides[i] = (j < 0 || (t->shape[j] == 1 && shape[i] != 1)) ? 0 : t->strides[j];
    }
}

lm_status lm_copy_into(lm_tensor *dst, const lm_tensor *src) {
    if (dst->flags & LM_FLAG_READONLY) return lm_fail(LM_EVALUE, "assign: the destination is read-only");
    if (dst->dtype != src->dtype)
        return lm_fail(LM_ETYPE, "assign: cannot assign a %s tensor to a %s tensor", LM_DT(src), LM_DT(dst));
    int n;
    int64_t shape[LM_MAX_NDIM];
    lm_status st = lm_broadcast_shapes("assign", dst->ndim, dst->shape, src->ndim, src->shape, &n, shape);
    if (st) return st;
    if (n != dst->ndim || memcmp(shape, dst->shape, sizeof(int64_t) * (size_t)n))
        return lm_fail(LM_EVALUE, "assign: value of shape %s does not fit a tensor of shape %s",
                       LM_SHAPE(src), LM_SHAPE(dst));
    int64_t sstr[LM_MAX_NDIM];
    lm_broadcast_strides(src, dst->ndim, dst->shape, sstr);
    /* src may alias dst (e.g. assigning a transpose of itself): copy through a temporary. */
    if (src->storage == dst->storage) {
        lm_tensor *tmp;
        if ((st = lm_clone(src, &tmp))) return st;
        lm_broadcast_strides(tmp, dst->ndim, dst->shape, sstr);
        lm_copy_strided(dst->ndim, dst->shape, dst->data, dst->strides, tmp->data, sstr,
                        lm_dtype_size(dst->dtype));
        lm_release(tmp);
        return LM_OK;
    }
    lm_copy_strided(dst->ndim, dst->shape, dst->data, dst->strides, src->data, sstr,
                    lm_dtype_size(dst->dtype));
    return LM_OK;
}

lm_status lm_scalar_f64(lm_dtype dt, double v, lm_tensor **out) {
    lm_tensor *tmp;
    lm_status st = lm_empty(LM_FLOAT64, 0, NULL, &tmp);
    if (st) { *out = NULL; return st; }
    *(double *)tmp->data = v;
    st = lm_cast(tmp, dt, out);
    lm_release(tmp);
    return st;
}

lm_status lm_scalar_i64(lm_dtype dt, int64_t v, lm_tensor **out) {
    lm_tensor *tmp;
    lm_status st = lm_empty(LM_INT64, 0, NULL, &tmp);
    if (st) { *out = NULL; return st; }
    *(int64_t *)tmp->data = v;
    st = lm_cast(tmp, dt, out);
    lm_release(tmp);
    return st;
}

static lm_status item_as(const lm_tensor *x, lm_dtype dt, void *v) {
    if (x->numel != 1)
        return lm_fail(LM_EVALUE, "item: only a tensor with one element converts to a scalar, got shape %s",
                       LM_SHAPE(x));
    lm_tensor *c;
    lm_status st = lm_cast(x, dt, &c);
    if (st) return st;
    memcpy(v, c->data, 8);
    lm_release(c);
    return LM_OK;
}
lm_status lm_item_f64(const lm_tensor *x, double *v) { return item_as(x, LM_FLOAT64, v); }
lm_status lm_item_i64(const lm_tensor *x, int64_t *v) { return item_as(x, LM_INT64, v); }

bool lm_axis_is_densest(const lm_tensor *x, int axis) {
    int64_t sa = x->strides[axis] < 0 ? -x->strides[axis] : x->strides[axis];
    for (int d = 0; d < x->ndim; d++) {
        if (d == axis || x->shape[d] == 1) continue;
        int64_t s = x->strides[d] < 0 ? -x->strides[d] : x->strides[d];
        if (s < sa) return false;
    }
    return true;
}
