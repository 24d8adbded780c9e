/* gather.c — tf.gather (rows picked by an index tensor) and tf.one_hot. */
#include "internal.h"
#include "autodiff/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lm_status check_index_dtype(const char *op, const lm_tensor *indices) {
    if (indices->dtype != LM_INT32 && indices->dtype != LM_INT64)
        return lm_fail(LM_ETYPE, "%s: indices must be int32 or int64, got %s", op, LM_DT(indices));
    return LM_OK;
}

/* Element i of a contiguous int32/int64 tensor (memcpy: external memory may be unaligned). */
static inline int64_t load_index(const char *base, lm_dtype dt, int64_t i) {
    if (dt == LM_INT32) {
        int32_t v;
        memcpy(&v, base + i * 4, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, base + i * 8, 8);
    return v;
}

/* "indices[1, 2]" for flat position `flat` of a tensor of shape (nd, shape); "indices" if 0-d. */
static const char *fmt_position(char *buf, size_t n, int nd, const int64_t *shape, int64_t flat) {
    int64_t pos[LM_MAX_NDIM];
    for (int d = nd - 1; d >= 0; d--) {
        pos[d] = flat % shape[d];
        flat /= shape[d];
    }
    if (nd == 0) {
        snprintf(buf, n, "indices");
        return buf;
    }
    size_t k = (size_t)snprintf(buf, n, "indices[");
    for (int d = 0; d < nd && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, d ? ", %lld" : "%lld", (long long)pos[d]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

/* ---- gather ----------------------------------------------------------------------------------- */

/* The indices as a validated int64 array (caller frees). */
static lm_status read_indices(const lm_tensor *params, const lm_tensor *indices, int64_t ax,
                              int64_t **out) {
    *out = NULL;
    lm_tensor *c;
    lm_status st = lm_contiguous(indices, &c);
    if (st) return st;
    int64_t n = c->numel, lim = params->shape[ax];
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    if (!idx) {
        lm_release(c);
        return lm_fail(LM_ENOMEM, "gather: cannot allocate %lld indices", (long long)n);
    }
    for (int64_t j = 0; j < n; j++) {
        int64_t v = load_index(c->data, c->dtype, j);
        if (v < 0 || v >= lim) {
            char buf[LM_SHAPE_BUF];
            lm_fail(LM_EINDEX, "gather: %s = %lld is out of range [0, %lld) for axis %lld of params "
                    "of shape %s", fmt_position(buf, sizeof buf, c->ndim, c->shape, j),
                    (long long)v, (long long)lim, (long long)ax, LM_SHAPE(params));
            free(idx);
            lm_release(c);
            return LM_EINDEX;
        }
        idx[j] = v;
    }
    lm_release(c);
    *out = idx;
    return LM_OK;
}

/* One element per index (inner block of one item): typed loads and stores instead of memcpy. */
#define GATHER_ITEMS(T)                                                                  \
    do {                                                                                 \
        for (int64_t o = 0; o < outer; o++) {                                            \
            const T *s = (const T *)(src + o * nax * (int64_t)sizeof(T));                \
            T *d = (T *)(dst + o * nidx * (int64_t)sizeof(T));                           \
            for (int64_t j = 0; j < nidx; j++) d[j] = s[idx[j]];                         \
        }                                                                                \
    } while (0)

/* params C-contiguous: out[o, j, :] = params[o, idx[j], :], each row one memcpy. */
static void gather_contiguous(const lm_tensor *p, int64_t ax, const int64_t *idx, int64_t nidx,
                              char *dst) {
    size_t isz = lm_dtype_size(p->dtype);
    int64_t outer = 1, inner = 1, nax = p->shape[ax];
    for (int d = 0; d < ax; d++) outer *= p->shape[d];
    for (int d = (int)ax + 1; d < p->ndim; d++) inner *= p->shape[d];
    const char *src = p->data;
    if (inner == 1 && ((uintptr_t)src % isz) == 0) {
        switch (isz) {
        case 1: GATHER_ITEMS(uint8_t); return;
        case 2: GATHER_ITEMS(uint16_t); return;
        case 4: GATHER_ITEMS(uint32_t); return;
        case 8: GATHER_ITEMS(uint64_t); return;
        default: break;
        }
    }
    size_t block = (size_t)inner * isz;
    for (int64_t o = 0; o < outer; o++) {
        const char *s = src + o * nax * (int64_t)block;
        for (int64_t j = 0; j < nidx; j++, dst += block)
            memcpy(dst, s + idx[j] * (int64_t)block, block);
    }
}

/* Any strides: one strided copy of params[..., idx[j], ...] per index. */
static void gather_strided(const lm_tensor *p, int64_t ax, const int64_t *idx, int64_t nidx,
                           const lm_tensor *o) {
    size_t isz = lm_dtype_size(p->dtype);
    int nd = p->ndim, nind = o->ndim - (nd - 1);
    int64_t shape[LM_MAX_NDIM], sstr[LM_MAX_NDIM], dstr[LM_MAX_NDIM];
    for (int d = 0, k = 0; d < nd; d++) {
        if (d == ax) continue;
        shape[k] = p->shape[d];
        sstr[k] = p->strides[d];
        /* params dims before the axis keep their place in out; those after move past the
         * indices' dims. */
        dstr[k] = o->strides[d < ax ? d : d - 1 + nind];
        k++;
    }
    int64_t inner = 1;  /* out's stride over the flattened index dims, in elements */
    for (int d = (int)ax + 1; d < nd; d++) inner *= p->shape[d];
    for (int64_t j = 0; j < nidx; j++)
        lm_copy_strided(nd - 1, shape, o->data + j * inner * (int64_t)isz, dstr,
                        p->data + idx[j] * p->strides[ax] * (int64_t)isz, sstr, isz);
}

static lm_status gather_impl(const lm_tensor *params, const lm_tensor *indices, int64_t axis,
                    lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("gather", params)) || (st = lm_check_tensor("gather", indices)))
        return st;
    if ((st = check_index_dtype("gather", indices))) return st;
    if (params->ndim == 0)
        return lm_fail(LM_EVALUE, "gather: params must have rank >= 1, got a scalar (shape ())");
    int64_t ax;
    if ((st = lm_norm_axis("gather", axis, params->ndim, &ax))) return st;
    int ond = params->ndim - 1 + indices->ndim;
    if (ond > LM_MAX_NDIM)
        return lm_fail(LM_EVALUE, "gather: params of shape %s and indices of shape %s give rank %d; "
                       "lamina supports up to %d dimensions", LM_SHAPE(params), LM_SHAPE(indices),
                       ond, LM_MAX_NDIM);
    int64_t shape[LM_MAX_NDIM];
    int k = 0;
    for (int d = 0; d < ax; d++) shape[k++] = params->shape[d];
    for (int d = 0; d < indices->ndim; d++) shape[k++] = indices->shape[d];
    for (int d = (int)ax + 1; d < params->ndim; d++) shape[k++] = params->shape[d];
    int64_t *idx;
    if ((st = read_indices(params, indices, ax, &idx))) return st;
    if ((st = lm_empty(params->dtype, ond, shape, out))) {
        free(idx);
        return st;
    }
    if ((*out)->numel > 0) {
        if (lm_is_contiguous(params))
            gather_contiguous(params, ax, idx, indices->numel, (*out)->data);
        else
            gather_strided(params, ax, idx, indices->numel, *out);
    }
    free(idx);
    return LM_OK;
}

/* ---- one_hot ------------------------------------------------------------------------------------ */

/* n copies of one item of isz bytes; dst is aligned (a fresh lm_empty). */
static void fill_items(char *dst, int64_t n, const char *val, size_t isz) {
    switch (isz) {
    case 1: memset(dst, (unsigned char)val[0], (size_t)n); return;
    case 2: { uint16_t v; memcpy(&v, val, 2); for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = v; return; }
    case 4: { uint32_t v; memcpy(&v, val, 4); for (int64_t i = 0; i < n; i++) ((uint32_t *)dst)[i] = v; return; }
    default: { uint64_t v; memcpy(&v, val, 8); for (int64_t i = 0; i < n; i++) ((uint64_t *)dst)[i] = v; return; }
    }
}

lm_status lm_one_hot(const lm_tensor *indices, int64_t depth, const lm_tensor *on_value,
                     const lm_tensor *off_value, int64_t axis, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("one_hot", indices)) || (st = lm_check_tensor("one_hot", on_value)) ||
        (st = lm_check_tensor("one_hot", off_value)))
        return st;
    if ((st = check_index_dtype("one_hot", indices))) return st;
    if (on_value->dtype != off_value->dtype)
        return lm_fail(LM_ETYPE, "one_hot: on_value has dtype %s but off_value has %s; they must "
                       "agree", LM_DT(on_value), LM_DT(off_value));
    if (on_value->numel != 1 || off_value->numel != 1)
        return lm_fail(LM_EVALUE, "one_hot: on_value and off_value must be scalars, got shapes %s "
                       "and %s", LM_SHAPE(on_value), LM_SHAPE(off_value));
    if (depth < 0)
        return lm_fail(LM_EVALUE, "one_hot: depth must be >= 0, got %lld", (long long)depth);
    int nd = indices->ndim;
    if (axis != -1 && (axis < 0 || axis > nd))
        return lm_fail(LM_EINDEX, "one_hot: axis %lld must be -1 or in [0, %d] for indices of "
                       "shape %s", (long long)axis, nd, LM_SHAPE(indices));
    if (nd == LM_MAX_NDIM)
        return lm_fail(LM_EVALUE, "one_hot: indices of shape %s already have the maximum rank %d",
                       LM_SHAPE(indices), LM_MAX_NDIM);
    int a = axis == -1 ? nd : (int)axis;
    int64_t shape[LM_MAX_NDIM];
    for (int i = 0, j = 0; i <= nd; i++) shape[i] = i == a ? depth : indices->shape[j++];
    if ((st = lm_empty(on_value->dtype, nd + 1, shape, out))) return st;
    lm_tensor *o = *out;
    if (o->numel == 0) return LM_OK;
    size_t isz = lm_dtype_size(o->dtype);
    fill_items(o->data, o->numel, off_value->data, isz);
    lm_tensor *c;
    if ((st = lm_contiguous(indices, &c))) {
        lm_release(o);
        *out = NULL;
        return st;
    }
    /* out[o, d, i] = on where indices[o, i] == d: indices split at the new axis. */
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < a; d++) outer *= indices->shape[d];
    for (int d = a; d < nd; d++) inner *= indices->shape[d];
    for (int64_t p = 0; p < outer; p++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t v = load_index(c->data, c->dtype, p * inner + i);
            if (v >= 0 && v < depth)
                memcpy(o->data + ((p * depth + v) * inner + i) * (int64_t)isz, on_value->data, isz);
        }
    lm_release(c);
    return LM_OK;
}

lm_status lm_gather(const lm_tensor *params, const lm_tensor *indices, int64_t axis,
                    lm_tensor **out) {
    lm_status st = gather_impl(params, indices, axis, out);
    if (st || !lm_tape_recording()) return st;
    const lm_tensor *in[2] = {params, indices};
    return lm_record(LM_G_GATHER, &(lm_gattrs){.axis = axis}, 2, in, out);
}
