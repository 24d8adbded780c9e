/* convert.c — lm_cast: every dtype to every dtype.
 * Each element goes through an intermediate (int64 for bool/int sources, double for floats).
 * float -> int truncates toward zero; NaN and out-of-range values give the integer minimum, as
 * NumPy does on x86 (and with no undefined behaviour in C). */
#include "internal.h"
#include "autodiff/record.h"

#include <math.h>

static inline int32_t f_to_i32(double v) {
    return (v > -2147483649.0 && v < 2147483648.0) ? (int32_t)v : INT32_MIN;
}
static inline int64_t f_to_i64(double v) {
    return (v >= -9223372036854775808.0 && v < 9223372036854775808.0) ? (int64_t)v : INT64_MIN;
}

#define LOAD_b8(p) ((int64_t)(*(const uint8_t *)(p) != 0))
#define LOAD_i32(p) ((int64_t) * (const int32_t *)(p))
#define LOAD_i64(p) (*(const int64_t *)(p))
#define LOAD_f16(p) ((double)lm_f16_to_f32(*(const uint16_t *)(p)))
#define LOAD_bf16(p) ((double)lm_bf16_to_f32(*(const uint16_t *)(p)))
#define LOAD_f32(p) ((double)*(const float *)(p))
#define LOAD_f64(p) (*(const double *)(p))
/* "b8" is bool (the word bool is a macro from stdbool.h). Source kind: I for integer-like, F for floating. */
#define KIND_b8 I
#define KIND_i32 I
#define KIND_i64 I
#define KIND_f16 F
#define KIND_bf16 F
#define KIND_f32 F
#define KIND_f64 F

#define STORE_b8_I(p, v) (*(uint8_t *)(p) = (v) != 0)
#define STORE_b8_F(p, v) (*(uint8_t *)(p) = (v) != 0)
#define STORE_i32_I(p, v) (*(int32_t *)(p) = (int32_t)(uint32_t)(v))  /* wraps, as NumPy */
#define STORE_i32_F(p, v) (*(int32_t *)(p) = f_to_i32(v))
#define STORE_i64_I(p, v) (*(int64_t *)(p) = (v))
#define STORE_i64_F(p, v) (*(int64_t *)(p) = f_to_i64(v))
#define STORE_f16_I(p, v) (*(uint16_t *)(p) = lm_f32_to_f16((float)(v)))
#define STORE_f16_F(p, v) (*(uint16_t *)(p) = lm_f32_to_f16((float)(v)))
#define STORE_bf16_I(p, v) (*(uint16_t *)(p) = lm_f32_to_bf16((float)(v)))
#define STORE_bf16_F(p, v) (*(uint16_t *)(p) = lm_f32_to_bf16((float)(v)))
#define STORE_f32_I(p, v) (*(float *)(p) = (float)(v))
#define STORE_f32_F(p, v) (*(float *)(p) = (float)(v))
#define STORE_f64_I(p, v) (*(double *)(p) = (double)(v))
#define STORE_f64_F(p, v) (*(double *)(p) = (double)(v))

#define CAT3_(a, b, c) a##b##_##c
#define CAT3(a, b, c) CAT3_(a, b, c)
#define STORE(OUT, KIN) CAT3(STORE_, OUT, KIN)

/* p[0] = out, p[1] = in */
#define CV(IN, OUT)                                                            \
    static void cv_##IN##_##OUT(int64_t n, char **p, const int64_t *st, void *ctx) { \
        (void)ctx;                                                             \
        char *o = p[0];                                                        \
        const char *a = p[1];                                                  \
        for (int64_t i = 0; i < n; i++, o += st[0], a += st[1])                \
            STORE(OUT, KIND_##IN)(o, LOAD_##IN(a));                            \
    }
#define CV_ROW(IN) CV(IN, b8) CV(IN, i32) CV(IN, i64) CV(IN, f16) CV(IN, bf16) CV(IN, f32) CV(IN, f64)
CV_ROW(b8)
CV_ROW(i32)
CV_ROW(i64)
CV_ROW(f16)
CV_ROW(bf16)
CV_ROW(f32)
CV_ROW(f64)

#define CV_ENTRIES(IN) {cv_##IN##_b8, cv_##IN##_i32, cv_##IN##_i64, cv_##IN##_f16, cv_##IN##_bf16, cv_##IN##_f32, cv_##IN##_f64}
static const lm_loop_fn CASTS[LM_NDTYPE][LM_NDTYPE] = {
    CV_ENTRIES(b8), CV_ENTRIES(i32), CV_ENTRIES(i64), CV_ENTRIES(f16),
    CV_ENTRIES(bf16), CV_ENTRIES(f32), CV_ENTRIES(f64),
};

static lm_status cast_impl(const lm_tensor *x, lm_dtype dt, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("cast", x)) || (st = lm_check_dtype("cast", dt))) return st;
    if (x->dtype == dt) {  /* tensors are immutable: the same values need no copy */
        *out = lm_retain((lm_tensor *)x);
        return LM_OK;
    }
    if ((st = lm_empty(dt, x->ndim, x->shape, out))) return st;
    char *base[2] = {(*out)->data, x->data};
    const int64_t *strides[2] = {(*out)->strides, x->strides};
    size_t size[2] = {lm_dtype_size(dt), lm_dtype_size(x->dtype)};
    lm_iterate_par(x->ndim, x->shape, 2, base, strides, size, CASTS[x->dtype][dt], NULL);
    return LM_OK;
}

lm_status lm_widen(const lm_tensor *x, lm_tensor **out) {
    if (!lm_is_half(x->dtype)) {
        *out = lm_retain((lm_tensor *)x);
        return LM_OK;
    }
    return cast_impl(x, LM_FLOAT32, out);  /* internal: never recorded */
}

lm_status lm_cast(const lm_tensor *x, lm_dtype dt, lm_tensor **out) {
    lm_status st = cast_impl(x, dt, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_CAST, &(lm_gattrs){0}, 1, &x, out);
}
