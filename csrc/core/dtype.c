/* dtype.c — dtype facts and the half-precision conversions. */
#include "internal.h"

#include <string.h>

static const char *const NAMES[LM_NDTYPE] = {"bool",     "int32",   "int64",  "float16",
                                             "bfloat16", "float32", "float64"};
static const size_t SIZES[LM_NDTYPE] = {1, 4, 8, 2, 2, 4, 8};

const char *lm_dtype_name(lm_dtype dt) {
    return (unsigned)dt < LM_NDTYPE ? NAMES[dt] : "invalid";
}
size_t lm_dtype_size(lm_dtype dt) { return (unsigned)dt < LM_NDTYPE ? SIZES[dt] : 0; }
_Static_assert(LM_INT64 < LM_FLOAT16 && LM_FLOAT16 < LM_BFLOAT16 && LM_BFLOAT16 < LM_FLOAT32 &&
                   LM_FLOAT32 < LM_FLOAT64 && LM_FLOAT64 + 1 == LM_NDTYPE,
               "lm_dtype_is_float takes the float dtypes to be the range float16..float64");
int lm_dtype_is_float(lm_dtype dt) { return dt >= LM_FLOAT16 && dt <= LM_FLOAT64; }
int lm_dtype_is_int(lm_dtype dt) { return dt == LM_INT32 || dt == LM_INT64; }

lm_status lm_check_dtype(const char *op, lm_dtype dt) {
    if ((unsigned)dt >= LM_NDTYPE) return lm_fail(LM_ETYPE, "%s: invalid dtype code %d", op, (int)dt);
    return LM_OK;
}

static inline uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* IEEE binary16 from binary32, round to nearest even (handles subnormals, inf, NaN). */
uint16_t lm_f32_to_f16(float f) {
    uint32_t x = f2u(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u)                       /* inf or NaN (keep NaN quiet) */
        return sign | (ax > 0x7f800000u ? 0x7e00u : 0x7c00u);
    if (ax >= 0x477ff000u) return sign | 0x7c00u; /* rounds to >= 65520: overflow to inf */
    if (ax < 0x38800000u) {                       /* below the smallest normal half: subnormal */
        /* Adding 0.5 makes the FPU round the mantissa into the low bits. */
        float r = u2f(ax) + 0.5f;
        return sign | (uint16_t)(f2u(r) - 0x3f000000u);
    }
    uint32_t mant_odd = (ax >> 13) & 1u;
    ax += 0xc8000fffu + mant_odd;                 /* rebias exponent (-112 << 23) and round */
    return sign | (uint16_t)(ax >> 13);
}

float lm_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0x1f) return u2f(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {                               /* zero or subnormal: mant * 2^-24 */
        float v = (float)mant * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    return u2f(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t lm_f32_to_bf16(float f) {
    uint32_t x = f2u(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u); /* quiet NaN */
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

float lm_bf16_to_f32(uint16_t h) { return u2f((uint32_t)h << 16); }
