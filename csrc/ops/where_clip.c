/* where_clip.c — lm_where (select by a bool condition, three operands broadcast together) and
 * lm_clip (tf.clip_by_value: minimum(maximum(x, lo), hi) with lo and hi broadcast to x). */
#include "elementwise.h"
#include "autodiff/record.h"

#include <string.h>

/* ---- where: it copies one of two elements, so one loop per element size serves every dtype */

/* A bit-mask select over a contiguous run; A(i) and B(i) read the operands (an array or a
 * broadcast scalar, e.g. where(mask, g, 0) in the gradient of relu). GCC vectorizes it. */
#define WHERE_RUN(T, A, B)                                                                    \
    for (int64_t i = 0; i < n; i++) {                                                         \
        const T m = (T)((T)0 - (T)(c[i] != 0));                                               \
        o[i] = (T)((A & m) | (B & (T)~m));                                                    \
    }

#define WHERE_LOOP(NAME, T)                                                                   \
    static void NAME(int64_t n, char **p, const int64_t *st, void *ctx) {                     \
        (void)ctx;                                                                            \
        const int64_t sz = (int64_t)sizeof(T);                                                \
        if (st[0] == sz && st[1] == 1 && (st[2] == sz || st[2] == 0) &&                       \
            (st[3] == sz || st[3] == 0)) {                                                    \
            T *restrict o = (T *)p[0];                                                        \
            const uint8_t *restrict c = (const uint8_t *)p[1];                                \
            const T *restrict a = (const T *)p[2], *restrict b = (const T *)p[3];             \
            const T a0 = a[0], b0 = b[0];                                                     \
            if (st[2] && st[3]) WHERE_RUN(T, a[i], b[i])                                      \
            else if (st[2]) WHERE_RUN(T, a[i], b0)                                            \
            else if (st[3]) WHERE_RUN(T, a0, b[i])                                            \
            else WHERE_RUN(T, a0, b0)                                                         \
            return;                                                                           \
        }                                                                                     \
        char *o = p[0];                                                                       \
        const char *c = p[1], *a = p[2], *b = p[3];                                           \
        for (int64_t i = 0; i < n; i++, o += st[0], c += st[1], a += st[2], b += st[3])       \
            *(T *)o = *(const uint8_t *)c ? *(const T *)a : *(const T *)b;                    \
    }
WHERE_LOOP(where1, uint8_t)
WHERE_LOOP(where2, uint16_t)
WHERE_LOOP(where4, uint32_t)
WHERE_LOOP(where8, uint64_t)

static lm_status where_impl(const lm_tensor *cond, const lm_tensor *a, const lm_tensor *b, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("where", cond)) || (st = lm_check_tensor("where", a)) ||
        (st = lm_check_tensor("where", b)))
        return st;
    if (cond->dtype != LM_BOOL)
        return lm_fail(LM_ETYPE, "where: condition must be a bool tensor, got %s of shape %s",
                       LM_DT(cond), LM_SHAPE(cond));
    if (a->dtype != b->dtype)
        return lm_fail(LM_ETYPE, "where: dtype mismatch: x is %s but y is %s (shapes %s and %s)",
                       LM_DT(a), LM_DT(b), LM_SHAPE(a), LM_SHAPE(b));
    if ((st = lm_check_dtype("where", a->dtype))) return st;
    int n1, nd;
    int64_t s1[LM_MAX_NDIM], shape[LM_MAX_NDIM];
    if (lm_broadcast_shapes("where", cond->ndim, cond->shape, a->ndim, a->shape, &n1, s1) ||
        lm_broadcast_shapes("where", n1, s1, b->ndim, b->shape, &nd, shape))
        return lm_fail(LM_EVALUE, "where: shapes %s (condition), %s (x) and %s (y) cannot be "
                       "broadcast together", LM_SHAPE(cond), LM_SHAPE(a), LM_SHAPE(b));
    lm_tensor *o;
    if ((st = lm_empty(a->dtype, nd, shape, &o))) return st;
    int64_t sc[LM_MAX_NDIM], sa[LM_MAX_NDIM], sb[LM_MAX_NDIM];
    lm_broadcast_strides(cond, nd, shape, sc);
    lm_broadcast_strides(a, nd, shape, sa);
    lm_broadcast_strides(b, nd, shape, sb);
    const size_t isz = lm_dtype_size(a->dtype);
    char *base[4] = {o->data, cond->data, a->data, b->data};
    const int64_t *strides[4] = {o->strides, sc, sa, sb};
    const size_t size[4] = {isz, 1, isz, isz};
    lm_loop_fn fn = isz == 1 ? where1 : isz == 2 ? where2 : isz == 4 ? where4 : where8;
    lm_iterate(nd, shape, 4, base, strides, size, fn, NULL);
    *out = o;
    return LM_OK;
}

/* ---- clip ----------------------------------------------------------------------------------- */

/* NumPy's clip: minimum(maximum(x, lo), hi), NaN in any operand giving NaN for floats; lo > hi
 * gives hi. */
#define CLIP_LOOP(NAME, T, MAX, MIN)                                                          \
    static void NAME(int64_t n, char **p, const int64_t *st, void *ctx) {                     \
        (void)ctx;                                                                            \
        const int64_t s = (int64_t)sizeof(T);                                                 \
        if (st[0] == s && st[1] == s) {                                                       \
            T *restrict o = (T *)p[0];                                                        \
            const T *restrict x_ = (const T *)p[1];                                           \
            if (st[2] == 0 && st[3] == 0) { /* scalar bounds: the usual case */               \
                const T lo = *(const T *)p[2], hi = *(const T *)p[3];                         \
                for (int64_t i = 0; i < n; i++) {                                             \
                    const T x = x_[i], m = MAX(x, lo);                                        \
                    o[i] = MIN(m, hi);                                                        \
                }                                                                             \
                return;                                                                       \
            }                                                                                 \
            if (st[2] == s && st[3] == s) {                                                   \
                const T *restrict l_ = (const T *)p[2], *restrict h_ = (const T *)p[3];       \
                for (int64_t i = 0; i < n; i++) {                                             \
                    const T x = x_[i], lo = l_[i], hi = h_[i], m = MAX(x, lo);                \
                    o[i] = MIN(m, hi);                                                        \
                }                                                                             \
                return;                                                                       \
            }                                                                                 \
        }                                                                                     \
        char *o = p[0];                                                                       \
        const char *px = p[1], *pl = p[2], *ph = p[3];                                        \
        for (int64_t i = 0; i < n; i++, o += st[0], px += st[1], pl += st[2], ph += st[3]) {  \
            const T x = *(const T *)px, lo = *(const T *)pl, hi = *(const T *)ph;             \
            const T m = MAX(x, lo);                                                           \
            *(T *)o = MIN(m, hi);                                                             \
        }                                                                                     \
    }
#define IMAX(x, y) ((x) > (y) ? (x) : (y))
#define IMIN(x, y) ((x) < (y) ? (x) : (y))
CLIP_LOOP(clip_i32, int32_t, IMAX, IMIN)
CLIP_LOOP(clip_i64, int64_t, IMAX, IMIN)
CLIP_LOOP(clip_f32, float, lm_fmax1, lm_fmin1)
CLIP_LOOP(clip_f64, double, lm_fmax1, lm_fmin1)

/* Whether (n, shape) broadcasts to exactly t's shape. */
static bool fits(int n, const int64_t *shape, const lm_tensor *t) {
    if (n > t->ndim) return false;
    for (int i = 0; i < n; i++) {
        int64_t d = shape[i], want = t->shape[t->ndim - n + i];
        if (d != want && d != 1) return false;
    }
    return true;
}

static lm_status clip_impl(const lm_tensor *x, const lm_tensor *lo, const lm_tensor *hi, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    const char *op = "clip_by_value";
    if ((st = lm_check_tensor(op, x)) || (st = lm_check_tensor(op, lo)) ||
        (st = lm_check_tensor(op, hi)) || (st = lm_check_dtype(op, x->dtype)))
        return st;
    if (lo->dtype != x->dtype || hi->dtype != x->dtype)
        return lm_fail(LM_ETYPE, "%s: dtype mismatch: t is %s but clip_value_min is %s and "
                       "clip_value_max is %s", op, LM_DT(x), LM_DT(lo), LM_DT(hi));
    const lm_dtype dt = x->dtype;
    if (dt == LM_BOOL)
        return lm_fail(LM_ETYPE, "%s: dtype bool is not supported; %s takes int32, int64, float16, "
                       "bfloat16, float32 or float64 (shape %s)", op, op, LM_SHAPE(x));
    if (!fits(lo->ndim, lo->shape, x))
        return lm_fail(LM_EVALUE, "%s: clip_value_min of shape %s does not broadcast to the shape "
                       "%s of t", op, LM_SHAPE(lo), LM_SHAPE(x));
    if (!fits(hi->ndim, hi->shape, x))
        return lm_fail(LM_EVALUE, "%s: clip_value_max of shape %s does not broadcast to the shape "
                       "%s of t", op, LM_SHAPE(hi), LM_SHAPE(x));
    const bool half = lm_is_half(dt);
    const lm_dtype cdt = half ? LM_FLOAT32 : dt;
    lm_loop_fn fn = cdt == LM_INT32 ? clip_i32 : cdt == LM_INT64 ? clip_i64
                    : cdt == LM_FLOAT32 ? clip_f32 : clip_f64;
    lm_tensor *o;
    if ((st = lm_empty(dt, x->ndim, x->shape, &o))) return st;
    lm_ew_half hctx = {fn, NULL, 4, dt, 0};
    int64_t sl[LM_MAX_NDIM], sh[LM_MAX_NDIM];
    lm_broadcast_strides(lo, x->ndim, x->shape, sl);
    lm_broadcast_strides(hi, x->ndim, x->shape, sh);
    const size_t isz = lm_dtype_size(dt);
    char *base[4] = {o->data, x->data, lo->data, hi->data};
    const int64_t *strides[4] = {o->strides, x->strides, sl, sh};
    const size_t size[4] = {isz, isz, isz, isz};
    lm_iterate(x->ndim, x->shape, 4, base, strides, size, half ? lm_ew_half_loop : fn,
               half ? (void *)&hctx : NULL);
    *out = o;
    return LM_OK;
}

lm_status lm_where(const lm_tensor *cond, const lm_tensor *a, const lm_tensor *b, lm_tensor **out) {
    lm_status st = where_impl(cond, a, b, out);
    if (st || !lm_tape_recording()) return st;
    const lm_tensor *in[3] = {cond, a, b};
    return lm_record(LM_G_WHERE, &(lm_gattrs){0}, 3, in, out);
}

lm_status lm_clip(const lm_tensor *x, const lm_tensor *lo, const lm_tensor *hi, lm_tensor **out) {
    lm_status st = clip_impl(x, lo, hi, out);
    if (st || !lm_tape_recording()) return st;
    const lm_tensor *in[3] = {x, lo, hi};
    return lm_record(LM_G_CLIP, &(lm_gattrs){0}, 3, in, out);
}
