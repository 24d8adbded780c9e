/* random.c — lm_random: uniform, normal and truncated normal values from Philox-4x32-10, a
 * counter-based generator (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
 *
 * Element i of a result is a pure function of (key, p) with p = counter + i, its position: so a
 * value never depends on the shape it was drawn in, on the order elements are computed in, or on
 * a thread split, and a draw at counter + k continues one at counter. A Philox block (counter
 * words lo32(b), hi32(b), 0, 0; key words lo32(key), hi32(key)) gives four 32-bit words, shared
 * by neighbouring positions:
 *   uniform float32/16:  block p / 4, word p % 4, top 24 bits;
 *   uniform float64:     block p / 2, words 2 (p % 2) and 2 (p % 2) + 1, top 53 bits;
 *   normal float32/16:   Box-Muller of the word pair (p / 2) % 2 of block p / 4, cosine output
 *                        for even p, sine for odd p;
 *   normal float64:      Box-Muller of block p / 2 (53-bit uniforms from words 0-1 and 2-3),
 *                        cosine for even p, sine for odd p.
 * The truncated normal takes the normal at p and, when it lies beyond 2, redraws it from blocks
 * (lo32(p), hi32(p), attempt, 0), attempt = 1, 2, ...: no other value uses those (word 2 is 0
 * everywhere else).
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

/* Many consecutive blocks: indices (b0 + j) & mask for j < nb, words of block j at
 * out[4j .. 4j + 3]. Four independent blocks go through the rounds side by side, which keeps
 * the multiplier busy (one block alone is a chain of dependent multiplies): 2.5x faster than one
 * at a time. The lane loops have fixed trip counts so the state stays in registers. `out` has
 * room for nb rounded up to a multiple of PHILOX_LANES blocks: the last group is stored whole. */
#define PHILOX_LANES 4
static void philox_blocks(uint64_t key, uint64_t b0, uint64_t mask, int64_t nb, uint32_t *out) {
    for (int64_t s = 0; s < nb; s += PHILOX_LANES) {
        uint32_t c0[PHILOX_LANES], c1[PHILOX_LANES], c2[PHILOX_LANES], c3[PHILOX_LANES];
        for (int i = 0; i < PHILOX_LANES; i++) {
            uint64_t b = (b0 + (uint64_t)(s + i)) & mask;
            c0[i] = (uint32_t)b;
            c1[i] = (uint32_t)(b >> 32);
            c2[i] = 0;
            c3[i] = 0;
        }
        uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
        for (int r = 0; r < 10; r++) {
            for (int i = 0; i < PHILOX_LANES; i++) {
                uint64_t p0 = (uint64_t)PHILOX_M0 * c0[i];
                uint64_t p1 = (uint64_t)PHILOX_M1 * c2[i];
                uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[i] ^ k0;
                uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[i] ^ k1;
                c0[i] = n0;
                c1[i] = (uint32_t)p1;
                c2[i] = n2;
                c3[i] = (uint32_t)p0;
            }
            k0 += PHILOX_W0;  /* the key for the next round (unused after the last) */
            k1 += PHILOX_W1;
        }
        for (int i = 0; i < PHILOX_LANES; i++) {  /* fixed trip count: c* stay in registers */
            uint32_t *o = out + 4 * (s + i);
            o[0] = c0[i];
            o[1] = c1[i];
            o[2] = c2[i];
            o[3] = c3[i];
        }
    }
}

/* Uniform in [0, 1) from the top 24 bits (float) or 53 bits (double) — every value exact. */
static inline float u24(uint32_t w) { return (float)(w >> 8) * 0x1p-24f; }
static inline double u53(uint32_t hi, uint32_t lo) {
    return (double)((((uint64_t)hi << 32) | lo) >> 11) * 0x1p-53;
}

/* Box-Muller from uniforms u1 in (0, 1] and u2 in [0, 1): two independent standard normals. */
static inline void box_muller(double u1, double u2, double *zc, double *zs) {
    double r = sqrt(-2.0 * log(u1));
    double t = 6.283185307179586 * u2;
    *zc = r * cos(t);
    *zs = r * sin(t);
}

/* float-precision normals use 32-bit uniforms, double ones 53-bit (tails reach 6.7 and 8.6
 * sigma); u1 is shifted into (0, 1] so the log stays finite. */
static inline void pair_f32(const uint32_t w[2], double *zc, double *zs) {
    box_muller(((double)w[0] + 1.0) * 0x1p-32, (double)w[1] * 0x1p-32, zc, zs);
}
static inline void pair_f64(const uint32_t w[4], double *zc, double *zs) {
    box_muller(u53(w[0], w[1]) + 0x1p-53, u53(w[2], w[3]), zc, zs);
}

/* A rejected truncated normal at position p, redrawn from its own blocks (attempt 1, 2, ...).
 * P(reject) is 4.6% per candidate, so 128 all failing (2^-570) does not happen; the mean is
 * returned then so the loop is bounded. */
static double truncated_redraw(uint64_t key, uint64_t p, int dbl) {
    uint32_t w[4];
    double zc, zs;
    for (uint32_t attempt = 1; attempt <= 64; attempt++) {
        block(key, p, attempt, w);
        if (dbl)
            pair_f64(w, &zc, &zs);
        else
            pair_f32(w, &zc, &zs);
        if (fabs(zc) <= 2.0) return zc;
        if (fabs(zs) <= 2.0) return zs;
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

/* Values are made CHUNK positions at a time from the blocks that cover them. */
#define CHUNK 512
/* words for CHUNK positions at 2 a block (plus a partial block each end), whole lane groups */
#define WORDS (4 * (CHUNK / 2 + 2 + PHILOX_LANES))
#define MASK_4 (UINT64_MAX >> 2)  /* block indices p / 4 */
#define MASK_2 (UINT64_MAX >> 1)  /* block indices p / 2 */

/* The blocks covering positions p0 .. p0 + m - 1 at `per` (4 or 2) positions a block, into
 * words. Returns o, p0's index among its block's positions: position p0 + k is the (o + k)-th
 * position counted from the first block's start, i.e. words [(o + k) * 4 / per, ...). */
static int64_t chunk_words(uint64_t key, uint64_t p0, int64_t m, int per, uint32_t *words) {
    int shift = per == 4 ? 2 : 1;
    int64_t o = (int64_t)(p0 & (uint64_t)(per - 1));
    philox_blocks(key, p0 >> shift, per == 4 ? MASK_4 : MASK_2, (o + m + per - 1) / per, words);
    return o;
}

/* Uniform values: lo + (hi - lo) * u rounded to the dtype, with lo and hi the bounds as the dtype
 * holds them; rounding up to hi is pulled back below it, so results stay in [lo, hi). */
static void fill_uniform(const gen *g, char *data, int64_t n) {
    uint32_t words[WORDS];
    if (g->dt == LM_FLOAT64) {
        double lo = g->a, hi = g->b, *p = (double *)data;
        double top = nextafter(hi, -INFINITY);
        int wide = !isfinite(hi - lo);  /* e.g. [-1e308, 1e308): interpolate without overflow */
        for (int64_t i0 = 0; i0 < n; i0 += CHUNK) {
            int64_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
            int64_t o = chunk_words(g->key, g->counter + (uint64_t)i0, m, 2, words);
            for (int64_t k = 0; k < m; k++) {
                const uint32_t *w = words + 2 * (o + k);
                double u = u53(w[0], w[1]);
                double x = wide ? lo * (1.0 - u) + hi * u : lo + (hi - lo) * u;
                if (x > top) x = top;
                p[i0 + k] = x < lo ? lo : x;
            }
        }
        return;
    }
    if (g->dt == LM_FLOAT32) {
        float lo = (float)g->a, hi = (float)g->b, *p = (float *)data;
        float top = nextafterf(hi, -INFINITY);
        double dlo = lo, span = (double)hi - (double)lo;
        for (int64_t i0 = 0; i0 < n; i0 += CHUNK) {
            int64_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
            int64_t o = chunk_words(g->key, g->counter + (uint64_t)i0, m, 4, words);
            for (int64_t k = 0; k < m; k++) {
                float x = (float)(dlo + span * (double)u24(words[o + k]));
                if (x > top) x = top;
                p[i0 + k] = x < lo ? lo : x;
            }
        }
        return;
    }
    /* float16 / bfloat16: a float32 value, rounded, kept in [lo, hi) */
    int bf = g->dt == LM_BFLOAT16;
    uint16_t hlo = bf ? lm_f32_to_bf16((float)g->a) : lm_f32_to_f16((float)g->a);
    uint16_t hhi = bf ? lm_f32_to_bf16((float)g->b) : lm_f32_to_f16((float)g->b);
    float lo = bf ? lm_bf16_to_f32(hlo) : lm_f16_to_f32(hlo);
    float hi = bf ? lm_bf16_to_f32(hhi) : lm_f16_to_f32(hhi);
    double dlo = lo, span = (double)hi - (double)lo;
    uint16_t htop = half_below(hhi);
    uint16_t *p = (uint16_t *)data;
    for (int64_t i0 = 0; i0 < n; i0 += CHUNK) {
        int64_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        int64_t o = chunk_words(g->key, g->counter + (uint64_t)i0, m, 4, words);
        for (int64_t k = 0; k < m; k++) {
            float x = (float)(dlo + span * (double)u24(words[o + k]));
            uint16_t h = bf ? lm_f32_to_bf16(x) : lm_f32_to_f16(x);
            float back = bf ? lm_bf16_to_f32(h) : lm_f16_to_f32(h);
            if (back >= hi) {
                h = htop;
                back = bf ? lm_bf16_to_f32(h) : lm_f16_to_f32(h);
            }
            p[i0 + k] = back < lo ? hlo : h;
        }
    }
}

static inline void store(lm_dtype dt, char *data, int64_t i, double x) {
    switch (dt) {
    case LM_FLOAT64: ((double *)data)[i] = x; break;
    case LM_FLOAT32: ((float *)data)[i] = (float)x; break;
    case LM_FLOAT16: ((uint16_t *)data)[i] = lm_f32_to_f16((float)x); break;
    default: ((uint16_t *)data)[i] = lm_f32_to_bf16((float)x); break;
    }
}

/* Normal and truncated normal values: one Box-Muller pair per two positions (p even: cosine,
 * p odd: sine), from 2 words (float precision, 2 pairs a block) or 4 (double, 1 pair). */
static void fill_normal(const gen *g, char *data, int64_t n) {
    uint32_t words[WORDS];
    int dbl = g->dt == LM_FLOAT64;
    int per = dbl ? 2 : 4;                   /* positions per block */
    int wpp = dbl ? 4 : 2;                   /* words per pair */
    int trunc = g->kind == LM_RAND_TRUNCATED_NORMAL;
    for (int64_t i0 = 0; i0 < n; i0 += CHUNK) {
        int64_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        uint64_t p0 = g->counter + (uint64_t)i0;
        int64_t o = chunk_words(g->key, p0, m, per, words);
        /* position p0 + k sits at index r = o + k among the chunk's positions; its pair is r/2 */
        for (int64_t q = o / 2; 2 * q < o + m; q++) {
            double z[2];
            if (dbl)
                pair_f64(words + wpp * q, &z[0], &z[1]);
            else
                pair_f32(words + wpp * q, &z[0], &z[1]);
            for (int h = 0; h < 2; h++) {
                int64_t k = 2 * q + h - o;
                if (k < 0 || k >= m) continue;
                double v = z[h];
                if (trunc && fabs(v) > 2.0)
                    v = truncated_redraw(g->key, p0 + (uint64_t)k, dbl);
                store(g->dt, data, i0 + k, g->a + g->b * v);
            }
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

/* ---- integers ---------------------------------------------------------------------------------- */

/* lo + floor(u * span) for the float64 uniform u at each position (the u a float64 uniform draw
 * gives there): exact for spans up to 2^53, coarser beyond; never reaches lo + span. */
static void fill_uniform_int(lm_dtype dt, int64_t lo, uint64_t span, uint64_t key,
                             uint64_t counter, char *data, int64_t n) {
    uint32_t words[WORDS];
    for (int64_t i0 = 0; i0 < n; i0 += CHUNK) {
        int64_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        int64_t o = chunk_words(key, counter + (uint64_t)i0, m, 2, words);
        for (int64_t k = 0; k < m; k++) {
            const uint32_t *w = words + 2 * (o + k);
            double f = floor(u53(w[0], w[1]) * (double)span);
            uint64_t off = f < 0x1p64 ? (uint64_t)f : span - 1;
            if (off > span - 1) off = span - 1;
            uint64_t v = (uint64_t)lo + off;  /* lo + off < hi: in range, so exact once signed */
            if (dt == LM_INT32) ((int32_t *)data)[i0 + k] = (int32_t)(int64_t)v;
            else ((int64_t *)data)[i0 + k] = (int64_t)v;
        }
    }
}

lm_status lm_random_int(lm_dtype dt, int ndim, const int64_t *shape, int64_t lo, int64_t hi,
                        uint64_t key, uint64_t counter, lm_tensor **out) {
    *out = NULL;
    if (dt != LM_INT32 && dt != LM_INT64)
        return lm_fail(LM_ETYPE, "random_uniform_int: dtype %s is not supported; random "
                       "integers are int32 or int64", lm_dtype_name(dt));
    if (!(lo < hi))
        return lm_fail(LM_EVALUE, "random_uniform_int: need minval < maxval, got minval=%lld, "
                       "maxval=%lld", (long long)lo, (long long)hi);
    if (dt == LM_INT32 && (lo < INT32_MIN || hi > INT32_MAX))
        return lm_fail(LM_EVALUE, "random_uniform_int: minval %lld and maxval %lld must be in "
                       "int32's range", (long long)lo, (long long)hi);
    lm_status st = lm_empty(dt, ndim, shape, out);
    if (st) return st;
    fill_uniform_int(dt, lo, (uint64_t)hi - (uint64_t)lo, key, counter, (*out)->data,
                     (*out)->numel);
    return LM_OK;
}
