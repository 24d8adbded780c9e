/* create.c — tensors made from a shape: tf.fill, tf.range, tf.eye. (The random generator is in
 * random.c.) */
#include "internal.h"
#include "autodiff/record.h"

#include <math.h>
#include <string.h>

static lm_status fill_impl(int ndim, const int64_t *shape, const lm_tensor *value, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    int64_t numel;
    if ((st = lm_check_tensor("fill", value)) || (st = lm_checked_numel("fill", ndim, shape, &numel)))
        return st;
    /* value must broadcast to exactly `shape` (it may not stretch the shape itself) */
    bool ok = value->ndim <= ndim;
    for (int i = 0; ok && i < value->ndim; i++) {
        int64_t d = value->shape[value->ndim - 1 - i];
        ok = d == 1 || d == shape[ndim - 1 - i];
    }
    if (!ok)
        return lm_fail(LM_EVALUE, "fill: a value of shape %s cannot be broadcast to shape %s",
                       LM_SHAPE(value), LM_SHAPE_N(ndim, shape));
    if ((st = lm_empty(value->dtype, ndim, shape, out))) return st;
    if (numel == 0) return LM_OK;
    int64_t strides[LM_MAX_NDIM];
    lm_broadcast_strides(value, ndim, shape, strides);
    lm_copy_strided(ndim, shape, (*out)->data, (*out)->strides, value->data, strides,
                    lm_dtype_size(value->dtype));
    return LM_OK;
}

/* ---- range ------------------------------------------------------------------------------------ */

/* An integer argument of range as int64: it must be finite and in range (truncated like a cast). */
static lm_status range_int_arg(const char *what, double v, int64_t *out) {
    /* -2^63 is exact in double; 2^63 is the first value out of range */
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
        return lm_fail(LM_EVALUE, "range: %s %g is not a valid int64", what, v);
    *out = (int64_t)v;
    return LM_OK;
}

static lm_status range_int(double fstart, double flimit, double fdelta, lm_dtype dt,
                           lm_tensor **out) {
    int64_t start = 0, limit = 0, delta = 0;
    lm_status st;
    if ((st = range_int_arg("start", fstart, &start)) || (st = range_int_arg("limit", flimit, &limit)) ||
        (st = range_int_arg("delta", fdelta, &delta)))
        return st;
    if (delta == 0)
        return lm_fail(LM_EVALUE, "range: delta must not be 0 (start=%lld, limit=%lld)",
                       (long long)start, (long long)limit);
    /* count = ceil((limit - start) / delta), in unsigned arithmetic: the difference of two int64
     * values fits in uint64 when it is positive */
    uint64_t diff = 0, step;
    if (delta > 0) {
        step = (uint64_t)delta;
        if (limit > start) diff = (uint64_t)limit - (uint64_t)start;
    } else {
        step = 0 - (uint64_t)delta;
        if (limit < start) diff = (uint64_t)start - (uint64_t)limit;
    }
    uint64_t count = diff / step + (diff % step != 0);
    if (count > (uint64_t)INT64_MAX)
        return lm_fail(LM_ENOMEM, "range: %llu elements are too many", (unsigned long long)count);
    if (dt == LM_INT32 && count > 0) {
        /* values run monotonically from start to the last one: both ends must fit */
        int64_t last = (int64_t)((uint64_t)start + (count - 1) * (uint64_t)delta);
        if (start < INT32_MIN || start > INT32_MAX || last < INT32_MIN || last > INT32_MAX)
            return lm_fail(LM_EVALUE, "range: values from %lld to %lld do not fit in int32",
                           (long long)start, (long long)last);
    }
    int64_t n = (int64_t)count;
    if ((st = lm_empty(dt, 1, &n, out))) return st;
    uint64_t v = (uint64_t)start;
    if (dt == LM_INT32) {
        int32_t *p = (int32_t *)(*out)->data;
        for (int64_t i = 0; i < n; i++, v += (uint64_t)delta) p[i] = (int32_t)(int64_t)v;
    } else {
        int64_t *p = (int64_t *)(*out)->data;
        for (int64_t i = 0; i < n; i++, v += (uint64_t)delta) p[i] = (int64_t)v;
    }
    return LM_OK;
}

static lm_status range_float(double start, double limit, double delta, lm_dtype dt,
                             lm_tensor **out) {
    if (!isfinite(start) || !isfinite(limit) || !isfinite(delta))
        return lm_fail(LM_EVALUE, "range: start, limit and delta must be finite, got %g, %g, %g",
                       start, limit, delta);
    if (delta == 0)
        return lm_fail(LM_EVALUE, "range: delta must not be 0 (start=%g, limit=%g)", start, limit);
    double count = ceil((limit - start) / delta);
    if (!(count > 0)) count = 0;  /* also when limit - start overflowed the same way as delta */
    if (count > 9.2e18)
        return lm_fail(LM_ENOMEM, "range: %g elements (start=%g, limit=%g, delta=%g) are too many",
                       count, start, limit, delta);
    int64_t n = (int64_t)count;
    lm_status st = lm_empty(dt, 1, &n, out);
    if (st) return st;
    char *p = (*out)->data;
    for (int64_t i = 0; i < n; i++) {
        double v = start + (double)i * delta;
        switch (dt) {
        case LM_FLOAT64: ((double *)p)[i] = v; break;
        case LM_FLOAT32: ((float *)p)[i] = (float)v; break;
        case LM_FLOAT16: ((uint16_t *)p)[i] = lm_f32_to_f16((float)v); break;
        default: ((uint16_t *)p)[i] = lm_f32_to_bf16((float)v); break;
        }
    }
    return LM_OK;
}

lm_status lm_range(double start, double limit, double delta, lm_dtype dt, lm_tensor **out) {
    *out = NULL;
    lm_status st = lm_check_dtype("range", dt);
    if (st) return st;
    if (dt == LM_BOOL) return lm_fail(LM_ETYPE, "range: dtype bool is not supported");
    if (lm_dtype_is_int(dt)) return range_int(start, limit, delta, dt, out);
    return range_float(start, limit, delta, dt, out);
}

/* ---- eye -------------------------------------------------------------------------------------- */

lm_status lm_eye(int64_t rows, int64_t cols, lm_dtype dt, lm_tensor **out) {
    *out = NULL;
    lm_status st = lm_check_dtype("eye", dt);
    if (st) return st;
    if (rows < 0 || cols < 0)
        return lm_fail(LM_EVALUE, "eye: num_rows and num_columns must be >= 0, got %lld and %lld",
                       (long long)rows, (long long)cols);
    int64_t shape[2] = {rows, cols};
    if ((st = lm_zeros(dt, 2, shape, out))) return st;
    /* the bytes of 1 in each dtype */
    union { uint8_t b; int32_t i32; int64_t i64; uint16_t h; float f; double d; } one;
    switch (dt) {
    case LM_BOOL: one.b = 1; break;
    case LM_INT32: one.i32 = 1; break;
    case LM_INT64: one.i64 = 1; break;
    case LM_FLOAT16: one.h = lm_f32_to_f16(1.0f); break;
    case LM_BFLOAT16: one.h = lm_f32_to_bf16(1.0f); break;
    case LM_FLOAT32: one.f = 1.0f; break;
    default: one.d = 1.0; break;
    }
    size_t isz = lm_dtype_size(dt);
    int64_t n = rows < cols ? rows : cols;
    for (int64_t i = 0; i < n; i++) memcpy((*out)->data + (size_t)(i * cols + i) * isz, &one, isz);
    return LM_OK;
}

lm_status lm_fill(int ndim, const int64_t *shape, const lm_tensor *value, lm_tensor **out) {
    lm_status st = fill_impl(ndim, shape, value, out);
    if (st || !lm_tape_recording()) return st;
    return lm_record(LM_G_BROADCAST, &(lm_gattrs){0}, 1, &value, out);
}
