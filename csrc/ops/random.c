/* random.c — lm_random: uniform, normal and truncated normal values from Philox-4x32-10, a
 * counter-based generator (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
 *
 * Element i of a result is a pure function of (key, counter + i): its Philox block has the
 * counter words (lo32(counter + i), hi32(counter + i), attempt, 0) and the key words
 * (lo32(key), hi32(key)). So a value never depends on the shape it was drawn in, on the order
 * elements are computed in, or on a thread split; `attempt` > 0 is used only by the truncated
 * normal to redraw a rejected element from blocks no other element uses.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

/* ---- Philox-4x32-10 ---------------------------------------------------------------------------- */

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u  /* key bumps: the golden ratio and sqrt(3) - 1, as 32-bit fractions */
#define PHILOX_W1 0xBB67AE85u

static inline void philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; r++) {
        if (r) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
        uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
        c[0] = n0;
        c[1] = (uint32_t)p1;
        c[2] = n2;
        c[3] = (uint32_t)p0;
    }
}

static inline void block(uint64_t key, uint64_t pos, uint32_t attempt, uint32_t w[4]) {
    w[0] = (uint32_t)pos;
    w[1] = (uint32_t)(pos >> 32);
    w[2] = attempt;
    w[3] = 0;
    philox4x32_10(w, (uint32_t)key, (uint32_t)(key >> 32));
}

/* Uniform in [0, 1) from the top 24 bits (float) or 53 bits (double) — every value exact. */
static inline float u24(uint32_t w) { return (float)(w >> 8) * 0x1p-24f; }
static inline double u53(uint32_t hi, uint32_t lo) {
    return (double)((((uint64_t)hi << 32) | lo) >> 11) * 0x1p-53;
}

/* A standard normal by Box-Muller from one block; `second` picks the sine output. float-
 * precision results use 32-bit uniforms, double ones 53-bit (tails reach 6.7 and 8.6 sigma). */
static inline double box_muller(const uint32_t w[4], int dbl, int second) {
    double u1, u2;
    if (dbl) {
        u1 = u53(w[0], w[1]) + 0x1p-53;  /* (0, 1]: log stays finite */
        u2 = u53(w[2], w[3]);
    } else {
        u1 = ((double)w[0] + 1.0) * 0x1p-32;
        u2 = (double)w[1] * 0x1p-32;
    }
    double r = sqrt(-2.0 * log(u1));
    double t = 6.283185307179586 * u2;
    return second ? r * sin(t) : r * cos(t);
}

/* Truncated standard normal: a value beyond 2 is replaced by the block's sine output, then by
 * further blocks of the same element (attempt 1, 2, ...). P(reject) is 4.6%, so 64 attempts all
 * failing (2^-570) does not happen; the mean is returned then so the loop is bounded. */
static inline double truncated(uint64_t key, uint64_t pos, int dbl) {
    uint32_t w[4];
    for (uint32_t attempt = 0; attempt < 64; attempt++) {
        block(key, pos, attempt, w);
        double z = box_muller(w, dbl, 0);
        if (fabs(z) <= 2.0) return z;
        z = box_muller(w, dbl, 1);
        if (fabs(z) <= 2.0) return z;
    }
    return 0.0;
}

/* ---- values per dtype -------------------------------------------------------------------------- */

/* The largest half (float16 or bfloat16) bit pattern below h (h finite, sign-magnitude). */
static inline uint16_t half_below(uint16_t h) {
    if (h == 0x0000 || h == 0x8000) return 0x8001;  /* below zero: the tiniest negative */
    return (h & 0x8000) ? (uint16_t)(h + 1) : (uint16_t)(h - 1);
}

typedef struct gen {
    lm_random_kind kind;
    lm_dtype dt;
    double a, b;
    uint64_t key, counter;
} gen;

/* Uniform values: lo + (hi - lo) * u rounded to the dtype, with lo and hi the bounds as the dtype
 * holds them; rounding up to hi is pulled back below it, so results stay in [lo, hi). */
static void fill_uniform(const gen *g, char *data, int64_t n) {
    uint32_t w[4];
    switch (g->dt) {
    case LM_FLOAT64: {
        double lo = g->a, hi = g->b, *p = (double *)data;
        double top = nextafter(hi, -INFINITY);
        int wide = !isfinite(hi - lo);  /* e.g. [-1e308, 1e308): interpolate without overflow */
        for (int64_t i = 0; i < n; i++) {
            block(g->key, g->counter + (uint64_t)i, 0, w);
            double u = u53(w[0], w[1]);
            double x = wide ? lo * (1.0 - u) + hi * u : lo + (hi - lo) * u;
            if (x > top) x = top;
            p[i] = x < lo ? lo : x;
        }
        return;
    }
    case LM_FLOAT32: {
        float lo = (float)g->a, hi = (float)g->b, *p = (float *)data;
        float top = nextafterf(hi, -INFINITY);
        for (int64_t i = 0; i < n; i++) {
            block(g->key, g->counter + (uint64_t)i, 0, w);
            float x = (float)((double)lo + ((double)hi - (double)lo) * (double)u24(w[0]));
            if (x > top) x = top;
            p[i] = x < lo ? lo : x;
        }
        return;
    }
    default: {  /* float16 / bfloat16: a float32 value, rounded, kept in [lo, hi) */
        int bf = g->dt == LM_BFLOAT16;
        uint16_t hlo = bf ? lm_f32_to_bf16((float)g->a) : lm_f32_to_f16((float)g->a);
        uint16_t hhi = bf ? lm_f32_to_bf16((float)g->b) : lm_f32_to_f16((float)g->b);
        float lo = bf ? lm_bf16_to_f32(hlo) : lm_f16_to_f32(hlo);
        float hi = bf ? lm_bf16_to_f32(hhi) : lm_f16_to_f32(hhi);
        uint16_t htop = half_below(hhi);
        uint16_t *p = (uint16_t *)data;
        for (int64_t i = 0; i < n; i++) {
            block(g->key, g->counter + (uint64_t)i, 0, w);
            float x = (float)((double)lo + ((double)hi - (double)lo) * (double)u24(w[0]));
            uint16_t h = bf ? lm_f32_to_bf16(x) : lm_f32_to_f16(x);
            float back = bf ? lm_bf16_to_f32(h) : lm_f16_to_f32(h);
            if (back >= hi) {
                h = htop;
                back = bf ? lm_bf16_to_f32(h) : lm_f16_to_f32(h);
            }
            p[i] = back < lo ? hlo : h;
        }
        return;
    }
    }
}

static void fill_normal(const gen *g, char *data, int64_t n) {
    int dbl = g->dt == LM_FLOAT64;
    uint32_t w[4];
    for (int64_t i = 0; i < n; i++) {
        uint64_t pos = g->counter + (uint64_t)i;
        double z;
        if (g->kind == LM_RAND_NORMAL) {
            block(g->key, pos, 0, w);
            z = box_muller(w, dbl, 0);
        } else {
            z = truncated(g->key, pos, dbl);
        }
        double x = g->a + g->b * z;
        switch (g->dt) {
        case LM_FLOAT64: ((double *)data)[i] = x; break;
        case LM_FLOAT32: ((float *)data)[i] = (float)x; break;
        case LM_FLOAT16: ((uint16_t *)data)[i] = lm_f32_to_f16((float)x); break;
        default: ((uint16_t *)data)[i] = lm_f32_to_bf16((float)x); break;
        }
    }
}

/* Whether a uniform bound stays finite once rounded to dt. */
static bool bound_fits(lm_dtype dt, double v) {
    float f = (float)v;
    if (!isfinite(f)) return false;
    if (dt == LM_FLOAT16) return isfinite(lm_f16_to_f32(lm_f32_to_f16(f)));
    if (dt == LM_BFLOAT16) return isfinite(lm_bf16_to_f32(lm_f32_to_bf16(f)));
    return true;
}

static const char *kind_name(lm_random_kind k) {
    return k == LM_RAND_UNIFORM ? "random_uniform"
         : k == LM_RAND_NORMAL ? "random_normal" : "truncated_normal";
}

lm_status lm_random(lm_random_kind kind, lm_dtype dt, int ndim, const int64_t *shape, double a,
                    double b, uint64_t key, uint64_t counter, lm_tensor **out) {
    *out = NULL;
    lm_status st = lm_check_dtype("random", dt);
    if (st) return st;
    if (kind != LM_RAND_UNIFORM && kind != LM_RAND_NORMAL && kind != LM_RAND_TRUNCATED_NORMAL)
        return lm_fail(LM_EVALUE, "random: unknown kind %d", (int)kind);
    const char *op = kind_name(kind);
    if (!lm_dtype_is_float(dt))
        return lm_fail(LM_ETYPE, "%s: dtype %s is not supported; random values are float16, "
                       "bfloat16, float32 or float64", op, lm_dtype_name(dt));
    if (!isfinite(a) || !isfinite(b))
        return lm_fail(LM_EVALUE, "%s: %s must be finite, got %g and %g", op,
                       kind == LM_RAND_UNIFORM ? "minval and maxval" : "mean and stddev", a, b);
    if (kind == LM_RAND_UNIFORM && b < a)
        return lm_fail(LM_EVALUE, "%s: maxval %g is less than minval %g", op, b, a);
    if (kind == LM_RAND_UNIFORM && dt != LM_FLOAT64 && !(bound_fits(dt, a) && bound_fits(dt, b)))
        return lm_fail(LM_EVALUE, "%s: minval %g and maxval %g must be finite in %s", op, a, b,
                       lm_dtype_name(dt));
    if (kind != LM_RAND_UNIFORM && b < 0)
        return lm_fail(LM_EVALUE, "%s: stddev must be >= 0, got %g", op, b);
    if ((st = lm_empty(dt, ndim, shape, out))) return st;
    gen g = {kind, dt, a, b, key, counter};
    if (kind == LM_RAND_UNIFORM)
        fill_uniform(&g, (*out)->data, (*out)->numel);
    else
        fill_normal(&g, (*out)->data, (*out)->numel);
    return LM_OK;
}
