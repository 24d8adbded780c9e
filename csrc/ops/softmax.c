/* softmax.c — softmax and log-softmax over one axis, in the numerically stable form
 *   softmax(x)     = exp(x - max) / sum(exp(x - max))
 *   log_softmax(x) = (x - max) - log(sum(exp(x - max)))
 * so large inputs (1e4, -1e4) neither overflow nor lose everything to underflow. Sums accumulate
 * in double. Rows holding NaN or an infinite max give NaN, exactly as the same formula in NumPy.
 *
 * Two strategies, as for argmax: when the axis is the input's densest dim, each row is handled on
 * its own (three passes over a run that stays in cache); otherwise the axis is walked slice by
 * slice with per-output running max and sum buffers, so the input is read in memory order and the
 * inner loops run over contiguous rows. float16/bfloat16 compute in float32 and are cast back. */
#include "internal.h"

#include <math.h>

typedef struct {
    int64_t len;          /* length of the softmax axis */
    int64_t xstep, ostep; /* its element strides in x and in out */
    int log;
} sm_ctx;

#define SM_MAX(a, v) (((v) > (a) || (v) != (v)) ? (v) : (a))

/* EXP_T computes exp of a T difference; the float version keeps to float (expf is within one ulp
 * and x - max is exact or nearly so: both are values of the same row). */
#define SM_KERNELS(NAME, T, EXP_T)                                                              \
    static inline __attribute__((always_inline)) void NAME##_row1(                              \
        const T *x, int64_t xs, T *o, int64_t os, int64_t len, int lg) {                       \
        T m = -INFINITY;                                                                        \
        for (int64_t k = 0; k < len; k++) m = SM_MAX(m, x[k * xs]);                             \
        double s = 0.0;                                                                         \
        if (lg) {                                                                               \
            for (int64_t k = 0; k < len; k++) s += (double)EXP_T(x[k * xs] - m);                \
            double ls = log(s);                                  \
            for (int64_t k = 0; k < len; k++) o[k * os] = (T)((double)(x[k * xs] - m) - ls);    \
        } else {                                                                                \
            for (int64_t k = 0; k < len; k++) {                                                 \
                T e = EXP_T(x[k * xs] - m);                                                     \
                o[k * os] = e;                                                                  \
                s += (double)e;                                                                 \
            }                                                                                   \
            double inv = 1.0 / s;                                                               \
            for (int64_t k = 0; k < len; k++) o[k * os] = (T)((double)o[k * os] * inv);         \
        }                                                                                       \
    }                                                                                           \
    /* Row strategy: p[0] = out, p[1] = x, each at the start of a row. */                        \
    static void NAME##_rows(int64_t n, char **p, const int64_t *st, void *vctx) {               \
        const sm_ctx *c = vctx;                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                       \
            T *o = (T *)(p[0] + i * st[0]);                                                     \
            const T *x = (const T *)(p[1] + i * st[1]);                                         \
            if (c->xstep == 1 && c->ostep == 1)                                                 \
                NAME##_row1(x, 1, o, 1, c->len, c->log);                                        \
            else                                                                                \
                NAME##_row1(x, c->xstep, o, c->ostep, c->len, c->log);                          \
        }                                                                                       \
    }                                                                                           \
    /* Slice strategy, pass 1: p[0] = running max (T), p[1] = x slice. */                        \
    static void NAME##_smax(int64_t n, char **p, const int64_t *st, void *vctx) {               \
        (void)vctx;                                                                             \
        for (int64_t i = 0; i < n; i++) {                                                       \
            T *m = (T *)(p[0] + i * st[0]);                                                     \
            T v = *(const T *)(p[1] + i * st[1]);                                               \
            *m = SM_MAX(*m, v);                                                                 \
        }                                                                                       \
    }                                                                                           \
    /* Pass 2: p[0] = out slice, p[1] = x slice, p[2] = max (T), p[3] = running sum (double);    \
     * softmax keeps exp(x - max) in out for pass 3. */                                         \
    static void NAME##_ssum(int64_t n, char **p, const int64_t *st, void *vctx) {               \
        const sm_ctx *c = vctx;                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                       \
            T v = *(const T *)(p[1] + i * st[1]);                                               \
            T m = *(const T *)(p[2] + i * st[2]);                                               \
            T e = EXP_T(v - m);                                                                 \
            if (!c->log) *(T *)(p[0] + i * st[0]) = e;                                          \
            *(double *)(p[3] + i * st[3]) += (double)e;                                         \
        }                                                                                       \
    }                                                                                           \
    /* Pass 3: p[3] now holds 1/sum (softmax) or log(sum) (log-softmax). */                      \
    static void NAME##_sout(int64_t n, char **p, const int64_t *st, void *vctx) {               \
        const sm_ctx *c = vctx;                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                       \
            T *o = (T *)(p[0] + i * st[0]);                                                     \
            double f = *(const double *)(p[3] + i * st[3]);                                     \
            if (c->log) {                                                                       \
                T v = *(const T *)(p[1] + i * st[1]);                                           \
                T m = *(const T *)(p[2] + i * st[2]);                                           \
                *o = (T)((double)(v - m) - f);                                                  \
            } else {                                                                            \
                *o = (T)((double)*o * f);                                                       \
            }                                                                                   \
        }                                                                                       \
    }

SM_KERNELS(sm_f32, float, expf)
SM_KERNELS(sm_f64, double, exp)

static bool axis_is_densest(const lm_tensor *x, int axis) {
    int64_t sa = x->strides[axis] < 0 ? -x->strides[axis] : x->strides[axis];
    for (int d = 0; d < x->ndim; d++) {
        if (d == axis || x->shape[d] == 1) continue;
        int64_t s = x->strides[d] < 0 ? -x->strides[d] : x->strides[d];
        if (s < sa) return false;
    }
    return true;
}

/* The slice strategy: three passes over the axis with per-output max and sum buffers. */
static lm_status softmax_slices(const lm_tensor *w, int a, lm_tensor *res, sm_ctx *c, int ond,
                                const int64_t *oshape, const int64_t *xs, const int64_t *os) {
    lm_status st;
    lm_tensor *mb = NULL, *sb = NULL;
    bool f32 = w->dtype == LM_FLOAT32;
    if ((st = lm_empty(w->dtype, ond, oshape, &mb)) || (st = lm_zeros(LM_FLOAT64, ond, oshape, &sb))) {
        lm_release(mb);
        return st;
    }
    int64_t n = mb->numel;
    for (int64_t i = 0; i < n; i++) {
        if (f32) ((float *)mb->data)[i] = -INFINITY;
        else ((double *)mb->data)[i] = -INFINITY;
    }
    size_t isz = lm_dtype_size(w->dtype);
    int64_t xstep = w->strides[a] * (int64_t)isz, ostep = res->strides[a] * (int64_t)isz;
    const int64_t *strides[4] = {os, xs, mb->strides, sb->strides};
    size_t size[4] = {isz, isz, isz, 8};
    lm_loop_fn fmax = f32 ? sm_f32_smax : sm_f64_smax;
    lm_loop_fn fsum = f32 ? sm_f32_ssum : sm_f64_ssum;
    lm_loop_fn fout = f32 ? sm_f32_sout : sm_f64_sout;
    for (int64_t k = 0; k < c->len; k++) {
        char *base[2] = {mb->data, w->data + k * xstep};
        const int64_t *s2[2] = {mb->strides, xs};
        size_t z2[2] = {isz, isz};
        lm_iterate(ond, oshape, 2, base, s2, z2, fmax, c);
    }
    for (int64_t k = 0; k < c->len; k++) {
        char *base[4] = {res->data + k * ostep, w->data + k * xstep, mb->data, sb->data};
        lm_iterate(ond, oshape, 4, base, strides, size, fsum, c);
    }
    double *s = (double *)sb->data;
    for (int64_t i = 0; i < n; i++) s[i] = c->log ? log(s[i]) : 1.0 / s[i];
    for (int64_t k = 0; k < c->len; k++) {
        char *base[4] = {res->data + k * ostep, w->data + k * xstep, mb->data, sb->data};
        lm_iterate(ond, oshape, 4, base, strides, size, fout, c);
    }
    lm_release(mb);
    lm_release(sb);
    return LM_OK;
}

lm_status lm_softmax(const lm_tensor *x, int64_t axis, int want_log, lm_tensor **out) {
    *out = NULL;
    const char *name = want_log ? "log_softmax" : "softmax";
    lm_status st;
    if ((st = lm_check_tensor(name, x))) return st;
    if (!lm_dtype_is_float(x->dtype))
        return lm_fail(LM_ETYPE, "%s: expected a float tensor (float16, bfloat16, float32 or "
                       "float64), got %s of shape %s", name, LM_DT(x), LM_SHAPE(x));
    if (x->ndim == 0)
        return lm_fail(LM_EVALUE, "%s: the logits are a scalar (shape ()); they need rank >= 1",
                       name);
    int64_t ax;
    if ((st = lm_norm_axis(name, axis, x->ndim, &ax))) return st;
    int a = (int)ax;

    lm_tensor *w = NULL, *res = NULL;
    if ((st = lm_widen(x, &w))) return st;
    if ((st = lm_empty(w->dtype, w->ndim, w->shape, &res))) goto fail;
    if (res->numel > 0) {
        int64_t oshape[LM_MAX_NDIM], xs[LM_MAX_NDIM], os[LM_MAX_NDIM];
        int ond = 0;
        for (int d = 0; d < w->ndim; d++) {
            if (d == a) continue;
            oshape[ond] = w->shape[d];
            xs[ond] = w->strides[d];
            os[ond] = res->strides[d];
            ond++;
        }
        sm_ctx c = {w->shape[a], w->strides[a], res->strides[a], want_log != 0};
        size_t isz = lm_dtype_size(w->dtype);
        if (axis_is_densest(w, a)) {
            char *base[2] = {res->data, w->data};
            const int64_t *strides[2] = {os, xs};
            size_t size[2] = {isz, isz};
            lm_iterate(ond, oshape, 2, base, strides, size,
                       w->dtype == LM_FLOAT32 ? sm_f32_rows : sm_f64_rows, &c);
        } else if ((st = softmax_slices(w, a, res, &c, ond, oshape, xs, os))) {
            goto fail;
        }
    }
    lm_release(w);
    w = NULL;
    if (lm_is_half(x->dtype)) {
        st = lm_cast(res, x->dtype, out);
        lm_release(res);
        return st;
    }
    *out = res;
    return LM_OK;
fail:
    lm_release(res);
    lm_release(w);
    return st;
}
