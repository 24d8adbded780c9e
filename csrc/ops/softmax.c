/* softmax.c — softmax and log-softmax over one axis, in the numerically stable form
 *   softmax(x)     = exp(x - max) / sum(exp(x - max))
 *   log_softmax(x) = (x - max) - log(sum(exp(x - max)))
 * so large inputs (1e4, -1e4) neither overflow nor lose everything to underflow. Sums accumulate
 * in double. Rows holding NaN or an infinite max give NaN, exactly as the same formula in NumPy.
 *
 * Two strategies, as for argmax: when the axis is the input's densest dim, each row is handled on
 * its own (passes over a run that stays in cache: max, exp into the output, sum, scale); otherwise
 * the axis is walked slice by slice with per-output running max and sum buffers, so the input is
 * read in memory order and the inner loops run elementwise over contiguous rows. float16/bfloat16
 * compute in float32 and are cast back. */

/* GCC only if-converts (and so vectorises) float compares and selects, as in sm_expf and the max
 * loops, when it may assume FP operations do not trap; lamina never reads FP exception flags, so
 * this changes no result. (Clang assumes it by default.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "internal.h"
#include "autodiff/record.h"

#include <math.h>
#include <string.h>

/* Vectorised run reductions from reduce.c. */
float lm__red_max_f32(const char *p, int64_t n, int64_t step);
double lm__red_max_f64(const char *p, int64_t n, int64_t step);
double lm__red_sum_f32(const char *p, int64_t n, int64_t step);
double lm__red_sum_f64(const char *p, int64_t n, int64_t step);

/* exp for float32, branch-free so that loops over it vectorise (libm's expf is a call per
 * element). Cephes' method: x = n ln2 + r with |r| <= ln2/2, exp(r) by a degree-7 polynomial,
 * 2^n put into the exponent bits. Error within 2 ulp; results below FLT_MIN flush to 0 (softmax
 * adds them to a sum >= 1); NaN passes through. */
static inline float sm_expf(float x) {
    float xc = x < -88.0f ? -88.0f : x;
    xc = xc > 88.0f ? 88.0f : xc;
    const float magic = 12582912.0f;  /* 1.5 * 2^23: adding it rounds to an integer */
    float t = xc * 1.44269504088896341f + magic;
    float n = t - magic;
    uint32_t ti;
    memcpy(&ti, &t, 4);
    /* The integer n (-127..127) is t's mantissa; unsigned arithmetic so a NaN x, whose bits are
     * garbage here and replaced at the end, cannot overflow. */
    uint32_t ni = ti - 0x4B400000u;
    float r = xc - n * 0.693359375f;  /* ln2 split in two for an exact-ish reduction */
    r = r - n * -2.12194440e-4f;
    float z = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * z + r + 1.0f;
    uint32_t bits = (ni + 127u) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    float e = p * scale;
    e = x < -87.33654f ? 0.0f : e;
    e = x > 88.72283f ? INFINITY : e;
    return x != x ? x : e;
}

typedef struct {
    int64_t len;          /* length of the softmax axis */
    int64_t xstep, ostep; /* its byte steps in x and in out */
    int log;
} sm_ctx;

#define SM_MAX(a, v) ((((v) > (a)) | ((v) != (v))) ? (v) : (a))

#define SM_KERNELS(NAME, T, EXP_T, RED_MAX, RED_SUM)                                            \
    /* One row: max, exp(x - max) into out (a scratch for log-softmax), its sum, then the       \
     * result. x and o are contiguous when xs == os == 1 (inlined with constants). */            \
    static inline __attribute__((always_inline)) void NAME##_row1(                              \
        const T *x, int64_t xs, T *o, int64_t os, int64_t len, int lg) {                       \
        T m = RED_MAX((const char *)x, len, xs * (int64_t)sizeof(T));                           \
        for (int64_t k = 0; k < len; k++) o[k * os] = EXP_T(x[k * xs] - m);                     \
        double s = RED_SUM((const char *)o, len, os * (int64_t)sizeof(T));                      \
        if (lg) {                                                                               \
            double ls = log(s);                                                                 \
            for (int64_t k = 0; k < len; k++) o[k * os] = (T)((double)(x[k * xs] - m) - ls);    \
        } else {                                                                                \
            double inv = 1.0 / s;                                                               \
            for (int64_t k = 0; k < len; k++) o[k * os] = (T)((double)o[k * os] * inv);         \
        }                                                                                       \
    }                                                                                           \
    /* Row strategy: p[0] = out, p[1] = x, each at the start of a row. */                        \
    static void NAME##_rows(int64_t n, char **p, const int64_t *st, void *vctx) {               \
        const sm_ctx *c = vctx;                                                                 \
        int64_t xs = c->xstep / (int64_t)sizeof(T), os = c->ostep / (int64_t)sizeof(T);         \
        for (int64_t i = 0; i < n; i++) {                                                       \
            T *o = (T *)(p[0] + i * st[0]);                                                     \
            const T *x = (const T *)(p[1] + i * st[1]);                                         \
            if (xs == 1 && os == 1)                                                             \
                NAME##_row1(x, 1, o, 1, c->len, c->log);                                        \
            else                                                                                \
                NAME##_row1(x, xs, o, os, c->len, c->log);                                      \
        }                                                                                       \
    }                                                                                           \
    /* Slice strategy, pass 1: p[0] = running max (T), p[1] = x slice. */                        \
    static void NAME##_smax(int64_t n, char **p, const int64_t *st, void *vctx) {               \
        (void)vctx;                                                                             \
        if (st[0] == (int64_t)sizeof(T) && st[1] == (int64_t)sizeof(T)) {                       \
            T *restrict m = (T *)p[0];                                                          \
            const T *restrict x = (const T *)p[1];                                              \
            for (int64_t i = 0; i < n; i++) m[i] = SM_MAX(m[i], x[i]);                          \
            return;                                                                             \
        }                                                                                       \
        for (int64_t i = 0; i < n; i++) {                                                       \
            T *m = (T *)(p[0] + i * st[0]);                                                     \
            T v = *(const T *)(p[1] + i * st[1]);                                               \
            *m = SM_MAX(*m, v);                                                                 \
        }                                                                                       \
    }                                                                                           \
    /* Pass 2: p[0] = out slice, p[1] = x slice, p[2] = max (T), p[3] = running sum (double);    \
     * exp(x - max) goes into out (softmax keeps it for pass 3). */                             \
    static void NAME##_ssum(int64_t n, char **p, const int64_t *st, void *vctx) {               \
        (void)vctx;                                                                             \
        if (st[0] == (int64_t)sizeof(T) && st[1] == (int64_t)sizeof(T) &&                       \
            st[2] == (int64_t)sizeof(T) && st[3] == 8) {                                        \
            T *restrict o = (T *)p[0];                                                          \
            const T *restrict x = (const T *)p[1];                                              \
            const T *restrict m = (const T *)p[2];                                              \
            double *restrict s = (double *)p[3];                                                \
            for (int64_t i = 0; i < n; i++) o[i] = EXP_T(x[i] - m[i]);                          \
            for (int64_t i = 0; i < n; i++) s[i] += (double)o[i];                               \
            return;                                                                             \
        }                                                                                       \
        for (int64_t i = 0; i < n; i++) {                                                       \
            T v = *(const T *)(p[1] + i * st[1]);                                               \
            T m = *(const T *)(p[2] + i * st[2]);                                               \
            T e = EXP_T(v - m);                                                                 \
            *(T *)(p[0] + i * st[0]) = e;                                                       \
            *(double *)(p[3] + i * st[3]) += (double)e;                                         \
        }                                                                                       \
    }                                                                                           \
    /* Pass 3: p[3] now holds 1/sum (softmax) or log(sum) (log-softmax). */                      \
    static void NAME##_sout(int64_t n, char **p, const int64_t *st, void *vctx) {               \
        const sm_ctx *c = vctx;                                                                 \
        if (st[0] == (int64_t)sizeof(T) && st[1] == (int64_t)sizeof(T) &&                       \
            st[2] == (int64_t)sizeof(T) && st[3] == 8) {                                        \
            T *restrict o = (T *)p[0];                                                          \
            const T *restrict x = (const T *)p[1];                                              \
            const T *restrict m = (const T *)p[2];                                              \
            const double *restrict f = (const double *)p[3];                                    \
            if (c->log)                                                                         \
                for (int64_t i = 0; i < n; i++) o[i] = (T)((double)(x[i] - m[i]) - f[i]);       \
            else                                                                                \
                for (int64_t i = 0; i < n; i++) o[i] = (T)((double)o[i] * f[i]);                \
            return;                                                                             \
        }                                                                                       \
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

SM_KERNELS(sm_f32, float, sm_expf, lm__red_max_f32, lm__red_sum_f32)
SM_KERNELS(sm_f64, double, exp, lm__red_max_f64, lm__red_sum_f64)


/* The slice strategy: three passes over the axis with per-output max and sum buffers. */
static lm_status softmax_slices(const lm_tensor *w, lm_tensor *res, sm_ctx *c, int ond,
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
    const int64_t *strides[4] = {os, xs, mb->strides, sb->strides};
    size_t size[4] = {isz, isz, isz, 8};
    lm_loop_fn fmax = f32 ? sm_f32_smax : sm_f64_smax;
    lm_loop_fn fsum = f32 ? sm_f32_ssum : sm_f64_ssum;
    lm_loop_fn fout = f32 ? sm_f32_sout : sm_f64_sout;
    for (int64_t k = 0; k < c->len; k++) {
        char *base[2] = {mb->data, w->data + k * c->xstep};
        const int64_t *s2[2] = {mb->strides, xs};
        size_t z2[2] = {isz, isz};
        lm_iterate(ond, oshape, 2, base, s2, z2, fmax, c);
    }
    for (int64_t k = 0; k < c->len; k++) {
        char *base[4] = {res->data + k * c->ostep, w->data + k * c->xstep, mb->data, sb->data};
        lm_iterate(ond, oshape, 4, base, strides, size, fsum, c);
    }
    double *s = (double *)sb->data;
    for (int64_t i = 0; i < n; i++) s[i] = c->log ? log(s[i]) : 1.0 / s[i];
    for (int64_t k = 0; k < c->len; k++) {
        char *base[4] = {res->data + k * c->ostep, w->data + k * c->xstep, mb->data, sb->data};
        lm_iterate(ond, oshape, 4, base, strides, size, fout, c);
    }
    lm_release(mb);
    lm_release(sb);
    return LM_OK;
}

static lm_status softmax_impl(const lm_tensor *x, int64_t axis, int want_log, lm_tensor **out) {
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
        size_t isz = lm_dtype_size(w->dtype);
        sm_ctx c = {w->shape[a], w->strides[a] * (int64_t)isz, res->strides[a] * (int64_t)isz,
                    want_log != 0};
        if (lm_axis_is_densest(w, a)) {
            char *base[2] = {res->data, w->data};
            const int64_t *strides[2] = {os, xs};
            size_t size[2] = {isz, isz};
            lm_iterate(ond, oshape, 2, base, strides, size,
                       w->dtype == LM_FLOAT32 ? sm_f32_rows : sm_f64_rows, &c);
        } else if ((st = softmax_slices(w, res, &c, ond, oshape, xs, os))) {
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

lm_status lm_softmax(const lm_tensor *x, int64_t axis, int want_log, lm_tensor **out) {
    lm_status st = softmax_impl(x, axis, want_log, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_SOFTMAX, &(lm_gattrs){.code = want_log != 0, .axis = axis}, 1, &x, out);
}
