/* bench.c — lamina's C benchmark harness: times the GEMM, elementwise ops and reductions with no
 * Python in the way, and reports each figure next to this machine's peak, measured by an FMA
 * loop in the same run (machines are shared: compare figures from one run only).
 *
 *   lamina_bench [options] suite                 the goal shapes (default)
 *   lamina_bench [options] peak                  FMA peak and triad bandwidth, 1 and T threads
 *   lamina_bench [options] gemm M N K            one product (f32 unless --f64)
 *   lamina_bench [options] sweep M N K           MC x KC x NC blocking grid for the active ISA
 *   lamina_bench [options] unary OP N            OP: exp log tanh sigmoid relu erf neg sqrt
 *   lamina_bench [options] binary OP N           OP: add sub mul div maximum
 *   lamina_bench [options] reduce OP N           OP: sum max min mean
 * options: --threads T  --isa ref|avx2|avx512  --f64  --ta  --tb (transposed operands)
 *          --mc X --kc Y --nc Z (blocking override)  --reps R (median of R, default 7)
 *          --direct D (blocks of up to D rows read a row-major B in place, unless its rows are
 *          a multiple of 128 bytes apart; 0: always pack)
 *
 * Build: cmake -S . -B build/bench -DLAMINA_BENCH=ON -G Ninja && cmake --build build/bench
 */
#define _POSIX_C_SOURCE 200809L
#include "lamina/lamina.h"
#include "gemm/gemm.h"
#include "internal.h"

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
    int threads, reps, f64, ta, tb;
    int64_t mc, kc, nc, direct;
    const char *isa;
} opt = {0, 7, 0, 0, 0, 0, 0, 0, -1, NULL};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median seconds per call of fn(ctx): each repeat runs enough calls to last >= 2 ms. */
static double time_it(void (*fn)(void *), void *ctx) {
    fn(ctx);  /* warm up: caches, pool threads, page faults */
    int calls = 1;
    for (;;) {
        double t0 = now();
        for (int i = 0; i < calls; i++) fn(ctx);
        double dt = now() - t0;
        if (dt > 2e-3 || calls >= 1 << 20) break;
        calls *= dt < 2e-4 ? 10 : 2;
    }
    double t[64];
    int reps = opt.reps < 1 ? 1 : opt.reps > 64 ? 64 : opt.reps;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int i = 0; i < calls; i++) fn(ctx);
        t[r] = (now() - t0) / calls;
    }
    qsort(t, reps, sizeof t[0], cmp_double);
    return t[reps / 2];
}

/* ---- peak: independent FMA chains, enough to cover latency x pipes ---------------------------- */

#define PEAK_ITERS 200000
__attribute__((target("avx2,fma"))) static double fma_loop_avx2(int64_t iters) {
    __m256 x = _mm256_set1_ps(1.0f), y = _mm256_set1_ps(1e-7f);
    __m256 c0 = x, c1 = x, c2 = x, c3 = x, c4 = x, c5 = x, c6 = x, c7 = x, c8 = x, c9 = x,
           c10 = x, c11 = x;
    for (int64_t i = 0; i < iters; i++) {
        c0 = _mm256_fmadd_ps(c0, y, x); c1 = _mm256_fmadd_ps(c1, y, x);
        c2 = _mm256_fmadd_ps(c2, y, x); c3 = _mm256_fmadd_ps(c3, y, x);
        c4 = _mm256_fmadd_ps(c4, y, x); c5 = _mm256_fmadd_ps(c5, y, x);
        c6 = _mm256_fmadd_ps(c6, y, x); c7 = _mm256_fmadd_ps(c7, y, x);
        c8 = _mm256_fmadd_ps(c8, y, x); c9 = _mm256_fmadd_ps(c9, y, x);
        c10 = _mm256_fmadd_ps(c10, y, x); c11 = _mm256_fmadd_ps(c11, y, x);
        /* opaque to the optimiser, or it merges the twelve identical chains */
        __asm__ volatile("" : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5));
        __asm__ volatile("" : "+x"(c6), "+x"(c7), "+x"(c8), "+x"(c9), "+x"(c10), "+x"(c11));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

__attribute__((target("avx512f"))) static double fma_loop_avx512(int64_t iters) {
    __m512 x = _mm512_set1_ps(1.0f), y = _mm512_set1_ps(1e-7f);
    __m512 c0 = x, c1 = x, c2 = x, c3 = x, c4 = x, c5 = x, c6 = x, c7 = x, c8 = x, c9 = x,
           c10 = x, c11 = x;
    for (int64_t i = 0; i < iters; i++) {
        c0 = _mm512_fmadd_ps(c0, y, x); c1 = _mm512_fmadd_ps(c1, y, x);
        c2 = _mm512_fmadd_ps(c2, y, x); c3 = _mm512_fmadd_ps(c3, y, x);
        c4 = _mm512_fmadd_ps(c4, y, x); c5 = _mm512_fmadd_ps(c5, y, x);
        c6 = _mm512_fmadd_ps(c6, y, x); c7 = _mm512_fmadd_ps(c7, y, x);
        c8 = _mm512_fmadd_ps(c8, y, x); c9 = _mm512_fmadd_ps(c9, y, x);
        c10 = _mm512_fmadd_ps(c10, y, x); c11 = _mm512_fmadd_ps(c11, y, x);
        __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5));
        __asm__ volatile("" : "+v"(c6), "+v"(c7), "+v"(c8), "+v"(c9), "+v"(c10), "+v"(c11));
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    return _mm512_reduce_add_ps(s);
}

static volatile double g_sink;
static int g_wide;  /* 1: the AVX-512 loop */

static void peak_part(void *ctx, int64_t begin, int64_t end) {
    (void)ctx;
    for (int64_t i = begin; i < end; i++)
        g_sink += g_wide ? fma_loop_avx512(PEAK_ITERS) : fma_loop_avx2(PEAK_ITERS);
}

typedef struct peak_ctx { int parts; } peak_ctx;
static void peak_call(void *p) {
    peak_ctx *c = p;
    if (c->parts == 1) peak_part(NULL, 0, 1);
    else lm_parallel_for(c->parts, 1, peak_part, NULL);
}

/* float32 GFLOP/s of the widest FMA the CPU has, on `threads` threads. */
static double peak_gflops(int threads) {
    static double cache[2][257];
    __builtin_cpu_init();
    g_wide = __builtin_cpu_supports("avx512f") != 0; /* a feature bit, not 0 or 1 */
    if (!g_wide && !__builtin_cpu_supports("fma")) return NAN;
    if (threads > 256) threads = 256;
    if (cache[g_wide][threads] > 0) return cache[g_wide][threads];
    int saved = lm_get_num_threads();
    lm_set_num_threads(threads);
    peak_ctx c = {threads};
    double t = time_it(peak_call, &c);
    lm_set_num_threads(saved);
    double flops = (double)threads * PEAK_ITERS * 12 * (g_wide ? 16 : 8) * 2;
    return cache[g_wide][threads] = flops / t * 1e-9;
}

/* ---- memory bandwidth: a STREAM triad over arrays well beyond the caches ---------------------- */

#define TRIAD_N (8 << 20) /* floats per array: 3 x 32 MiB */
typedef struct triad_ctx { float *a, *b, *c; } triad_ctx;

static void triad_part(void *ctx, int64_t begin, int64_t end) {
    triad_ctx *t = ctx;
    for (int64_t i = begin; i < end; i++) t->a[i] = t->b[i] + 3.0f * t->c[i];
}

static void triad_call(void *p) { lm_parallel_for(TRIAD_N, TRIAD_N / 256, triad_part, p); }

/* GB/s of a triad (12 bytes per element: two reads, one write) on `threads` threads. */
static double bandwidth_gbs(int threads) {
    static double cache[257];
    if (threads > 256) threads = 256;
    if (cache[threads] > 0) return cache[threads];
    triad_ctx t = {lm_gemm_alloc(TRIAD_N * 4), lm_gemm_alloc(TRIAD_N * 4),
                   lm_gemm_alloc(TRIAD_N * 4)};
    double r = NAN;
    if (t.a && t.b && t.c) {
        for (int64_t i = 0; i < TRIAD_N; i++) t.a[i] = 0, t.b[i] = 1, t.c[i] = 2;
        int saved = lm_get_num_threads();
        lm_set_num_threads(threads);
        r = cache[threads] = 12.0 * TRIAD_N / time_it(triad_call, &t) * 1e-9;
        lm_set_num_threads(saved);
    }
    lm_gemm_free(t.a);
    lm_gemm_free(t.b);
    lm_gemm_free(t.c);
    return r;
}

static int threads_now(void) { return opt.threads > 0 ? opt.threads : lm_get_num_threads(); }

/* ---- GEMM ------------------------------------------------------------------------------------- */

typedef struct gemm_ctx {
    int64_t m, n, k, rsa, csa, rsb, csb;
    void *a, *b, *c, *work;
    int f64, threads;
    lm_gemm_kernel_f32 k32;
    lm_gemm_kernel_f64 k64;
} gemm_ctx;

static void gemm_call(void *p) {
    gemm_ctx *g = p;
    if (g->f64)
        lm_gemm_f64_ws(&g->k64, g->m, g->n, g->k, g->a, g->rsa, g->csa, g->b, g->rsb, g->csb,
                       g->c, g->n, 1, NULL, LM_ACT_NONE, g->work, g->threads);
    else
        lm_gemm_f32_ws(&g->k32, g->m, g->n, g->k, g->a, g->rsa, g->csa, g->b, g->rsb, g->csb,
                       g->c, g->n, 1, NULL, LM_ACT_NONE, g->work, g->threads);
}

/* Seconds per product, or a negative value when memory runs out. */
static double gemm_time(int64_t m, int64_t n, int64_t k, int64_t mc, int64_t kc, int64_t nc,
                        const char **name) {
    gemm_ctx g = {.m = m, .n = n, .k = k, .f64 = opt.f64, .threads = threads_now()};
    size_t isz = opt.f64 ? 8 : 4;
    /* A is m x k (stored k x m when transposed), B is k x n (stored n x k when transposed) */
    g.rsa = opt.ta ? 1 : k, g.csa = opt.ta ? m : 1;
    g.rsb = opt.tb ? 1 : n, g.csb = opt.tb ? k : 1;
    g.k32 = *lm_gemm_select_f32();
    g.k64 = *lm_gemm_select_f64();
    if (mc) g.k32.mc = g.k64.mc = mc;
    if (kc) g.k32.kc = g.k64.kc = kc;
    if (nc) g.k32.nc = g.k64.nc = nc;
    if (opt.direct >= 0) g.k32.direct_b = g.k64.direct_b = opt.direct;
    *name = opt.f64 ? g.k64.name : g.k32.name;
    size_t ws = opt.f64 ? lm_gemm_workspace_f64(&g.k64, m, n, k, g.rsa, g.csa, g.rsb, g.csb, g.threads)
                        : lm_gemm_workspace_f32(&g.k32, m, n, k, g.rsa, g.csa, g.rsb, g.csb, g.threads);
    g.a = lm_gemm_alloc((size_t)(m * k) * isz);
    g.b = lm_gemm_alloc((size_t)(k * n) * isz);
    g.c = lm_gemm_alloc((size_t)(m * n) * isz);
    g.work = ws ? lm_gemm_alloc(ws) : NULL;
    double t = -1;
    if (g.a && g.b && g.c && (g.work || !ws)) {
        for (int64_t i = 0; i < m * k; i++) {
            double v = (double)((i * 7919) % 1000) / 1000 - 0.5;
            if (opt.f64) ((double *)g.a)[i] = v; else ((float *)g.a)[i] = (float)v;
        }
        for (int64_t i = 0; i < k * n; i++) {
            double v = (double)((i * 104729) % 997) / 997 - 0.5;
            if (opt.f64) ((double *)g.b)[i] = v; else ((float *)g.b)[i] = (float)v;
        }
        int saved = lm_get_num_threads();
        lm_set_num_threads(g.threads);
        t = time_it(gemm_call, &g);
        lm_set_num_threads(saved);
    }
    lm_gemm_free(g.a);
    lm_gemm_free(g.b);
    lm_gemm_free(g.c);
    lm_gemm_free(g.work);
    return t;
}

static void report_gemm(int64_t m, int64_t n, int64_t k) {
    const char *name;
    double t = gemm_time(m, n, k, opt.mc, opt.kc, opt.nc, &name);
    if (t < 0) {
        printf("gemm %lldx%lldx%lld: out of memory\n", (long long)m, (long long)n, (long long)k);
        return;
    }
    int th = threads_now();
    double gf = 2.0 * m * n * k / t * 1e-9, pk = peak_gflops(th);
    /* the peak is measured at float32 width; float64 has half of it */
    double frac = gf / (opt.f64 ? pk / 2 : pk);
    printf("gemm %-4s %-10s %5lld x %5lld x %5lld%s%s  threads %d  %10.2f us  %7.1f GFLOP/s  "
           "%5.1f%% of peak\n",
           opt.f64 ? "f64" : "f32", name, (long long)m, (long long)n, (long long)k,
           opt.ta ? " ta" : "", opt.tb ? " tb" : "", th, t * 1e6, gf, 100 * frac);
}

static void sweep(int64_t m, int64_t n, int64_t k) {
    static const int64_t mcs[] = {72, 96, 144, 192, 240, 288};
    static const int64_t kcs[] = {128, 192, 256, 320, 384, 512};
    static const int64_t ncs[] = {1024, 2048, 4080};
    const lm_gemm_kernel_f32 *kr = lm_gemm_select_f32();
    int th = threads_now();
    double pk = peak_gflops(th);
    printf("sweep %s %lldx%lldx%lld threads %d (peak %.1f GFLOP/s)\n", kr->name, (long long)m,
           (long long)n, (long long)k, th, pk);
    for (size_t a = 0; a < sizeof mcs / sizeof *mcs; a++)
        for (size_t b = 0; b < sizeof kcs / sizeof *kcs; b++)
            for (size_t c = 0; c < sizeof ncs / sizeof *ncs; c++) {
                const char *name;
                if (mcs[a] % kr->mr || ncs[c] % kr->nr) continue;
                double t = gemm_time(m, n, k, mcs[a], kcs[b], ncs[c], &name);
                double gf = 2.0 * m * n * k / t * 1e-9;
                printf("  mc %4lld kc %4lld nc %5lld  %7.1f GFLOP/s  %5.1f%%\n", (long long)mcs[a],
                       (long long)kcs[b], (long long)ncs[c], gf, 100 * gf / pk);
            }
}

/* ---- elementwise and reductions --------------------------------------------------------------- */

typedef struct op_ctx {
    int kind;  /* 0 unary, 1 binary, 2 reduce */
    int op;
    lm_tensor *x, *y;
    lm_status st;
} op_ctx;

static void op_call(void *p) {
    op_ctx *o = p;
    lm_tensor *out = NULL;
    if (o->kind == 0) o->st = lm_unary((lm_unop)o->op, o->x, &out);
    else if (o->kind == 1) o->st = lm_binary((lm_binop)o->op, o->x, o->y, &out);
    else o->st = lm_reduce((lm_redop)o->op, o->x, -1, NULL, 0, &out);
    lm_release(out);
}

static int lookup(const char *name, const char *const *names, const int *codes, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(name, names[i])) return codes[i];
    return -1;
}

static const char *const UN_NAMES[] = {"exp", "log", "tanh", "sigmoid", "relu", "erf", "neg", "sqrt"};
static const int UN_CODES[] = {LM_EXP, LM_LOG, LM_TANH, LM_SIGMOID, LM_RELU, LM_ERF, LM_NEG, LM_SQRT};
static const char *const BIN_NAMES[] = {"add", "sub", "mul", "div", "maximum"};
static const int BIN_CODES[] = {LM_ADD, LM_SUB, LM_MUL, LM_DIV, LM_MAXIMUM};
static const char *const RED_NAMES[] = {"sum", "max", "min", "mean"};
static const int RED_CODES[] = {LM_RSUM, LM_RMAX, LM_RMIN, LM_RMEAN};

static lm_tensor *filled(int64_t n, double lo, double hi) {
    lm_tensor *t = NULL;
    if (lm_empty(LM_FLOAT32, 1, &n, &t)) return NULL;
    float *d = (float *)t->data;
    for (int64_t i = 0; i < n; i++) d[i] = (float)(lo + (hi - lo) * (double)((i * 7919) % 10007) / 10007);
    return t;
}

static void report_op(int kind, const char *name, int64_t n) {
    op_ctx o = {kind, -1, NULL, NULL, LM_OK};
    if (kind == 0) o.op = lookup(name, UN_NAMES, UN_CODES, 8);
    else if (kind == 1) o.op = lookup(name, BIN_NAMES, BIN_CODES, 5);
    else o.op = lookup(name, RED_NAMES, RED_CODES, 4);
    if (o.op < 0) {
        fprintf(stderr, "unknown op '%s'\n", name);
        return;
    }
    o.x = filled(n, 0.01, 4.0);
    o.y = kind == 1 ? filled(n, 0.5, 2.0) : NULL;
    if (!o.x || (kind == 1 && !o.y)) {
        printf("%s %lld: out of memory\n", name, (long long)n);
        lm_release(o.x);
        return;
    }
    int th = threads_now(), saved = lm_get_num_threads();
    lm_set_num_threads(th);
    op_call(&o);
    double t = o.st ? 0 : time_it(op_call, &o);
    lm_set_num_threads(saved);
    if (o.st) {
        printf("%-7s %-8s n %10lld  %s\n", kind == 0 ? "unary" : kind == 1 ? "binary" : "reduce",
               name, (long long)n, lm_last_error());
        lm_release(o.x);
        lm_release(o.y);
        return;
    }
    double bytes = (double)n * 4 * (kind == 0 ? 2 : kind == 1 ? 3 : 1);
    double gbs = bytes / t * 1e-9;
    /* data beyond the caches: against the triad's bandwidth; in cache: no memory limit */
    if (bytes > 64e6)
        printf("%-7s %-8s n %10lld  threads %d  %10.2f us  %7.2f GB/s (%3.0f%% of triad)  "
               "%7.3f Gelem/s\n",
               kind == 0 ? "unary" : kind == 1 ? "binary" : "reduce", name, (long long)n, th,
               t * 1e6, gbs, 100 * gbs / bandwidth_gbs(th), n / t * 1e-9);
    else
        printf("%-7s %-8s n %10lld  threads %d  %10.2f us  %7.2f GB/s  %7.3f Gelem/s\n",
               kind == 0 ? "unary" : kind == 1 ? "binary" : "reduce", name, (long long)n, th,
               t * 1e6, gbs, n / t * 1e-9);
    lm_release(o.x);
    lm_release(o.y);
}

/* ---- the suite: the goal shapes ------------------------------------------------------- */

static void suite(void) {
    int maxth = threads_now();
    printf("lamina %s, isa %s (available %s), threads up to %d\n", lm_version(), lm_isa(),
           lm_isa_available(), maxth);
    for (int th = 1; th <= maxth && th <= 2; th++)
        printf("peak float32 FMA, %d thread%s: %.1f GFLOP/s; triad %.1f GB/s\n", th,
               th > 1 ? "s" : "", peak_gflops(th), bandwidth_gbs(th));
    int saved = opt.threads;
    for (int th = 1; th <= maxth && th <= 2; th++) {
        opt.threads = th;
        for (int64_t s = 32; s <= 2048; s *= 2) report_gemm(s, s, s);
        report_gemm(1, 512, 784);
        report_gemm(32, 512, 784);
        report_gemm(256, 512, 784);
        report_gemm(1, 128, 784);
    }
    opt.threads = saved;
    int64_t big = 16 << 20;
    const char *un[] = {"exp", "log", "tanh", "sigmoid", "erf", "relu"};
    for (int i = 0; i < 6; i++) report_op(0, un[i], big);
    report_op(1, "add", big);
    report_op(2, "sum", big);
}

/* ---- a training step with the tape: MLP 784-512-512-10, batch B, softmax cross-entropy, SGD ---- */

#define NLAYER 3
typedef struct train_ctx {
    lm_tensor *x, *onehot, *p[2 * NLAYER], *lr;
} train_ctx;

/* Check a status inside the step: the harness has nothing sensible to do but stop. */
#define OK(call)                                                                 \
    do {                                                                         \
        if ((call) != LM_OK) {                                                   \
            fprintf(stderr, "train step: %s\n", lm_last_error());                \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

static void train_call(void *p) {
    train_ctx *c = p;
    lm_tape *tape;
    lm_tensor *t[16] = {0}, *h = c->x, *loss;
    int n = 0;
    OK(lm_tape_new(0, &tape));
    OK(lm_tape_push(tape));
    for (int i = 0; i < 2 * NLAYER; i++) OK(lm_tape_watch(tape, c->p[i]));
    for (int l = 0; l < NLAYER; l++) {
        OK(lm_matmul(h, c->p[2 * l], 0, 0, &t[n]));
        n++;
        OK(lm_binary(LM_ADD, t[n - 1], c->p[2 * l + 1], &t[n]));
        n++;
        if (l < NLAYER - 1) {
            OK(lm_unary(LM_RELU, t[n - 1], &t[n]));
            n++;
        }
        h = t[n - 1];
    }
    int64_t one = 1;
    OK(lm_softmax(h, -1, 1, &t[n]));
    n++;
    OK(lm_binary(LM_MUL, t[n - 1], c->onehot, &t[n]));
    n++;
    OK(lm_reduce(LM_RSUM, t[n - 1], 1, &one, 0, &t[n]));
    n++;
    OK(lm_reduce(LM_RMEAN, t[n - 1], -1, NULL, 0, &t[n]));
    n++;
    OK(lm_unary(LM_NEG, t[n - 1], &loss));
    OK(lm_tape_pop(tape));
    lm_tensor *g[2 * NLAYER];
    OK(lm_tape_gradient(tape, 1, (const lm_tensor *const *)&loss, NULL, 2 * NLAYER,
                        (const lm_tensor *const *)c->p, g));
    for (int i = 0; i < 2 * NLAYER; i++) {
        lm_tensor *step, *np;
        OK(lm_binary(LM_MUL, g[i], c->lr, &step));
        OK(lm_binary(LM_SUB, c->p[i], step, &np));
        lm_release(step);
        lm_release(g[i]);
        lm_release(c->p[i]);
        c->p[i] = np;
    }
    lm_release(loss);
    for (int i = 0; i < n; i++) lm_release(t[i]);
    lm_tape_free(tape);
}

typedef struct add_ctx {
    lm_tensor *a, *b;
    int record;
} add_ctx;

static void add_call(void *p) {
    add_ctx *c = p;
    lm_tape *tape = NULL;
    if (c->record) {
        OK(lm_tape_new(0, &tape));
        OK(lm_tape_push(tape));
        OK(lm_tape_watch(tape, c->a));
    }
    for (int i = 0; i < 1000; i++) {
        lm_tensor *o;
        OK(lm_binary(LM_ADD, c->a, c->b, &o));
        lm_release(o);
    }
    lm_tape_free(tape);
}

static void report_train(int64_t batch) {
    static const int64_t sizes[NLAYER + 1] = {784, 512, 512, 10};
    if (opt.threads > 0) lm_set_num_threads(opt.threads);
    train_ctx c;
    int64_t xs[2] = {batch, sizes[0]};
    OK(lm_random(LM_RAND_NORMAL, LM_FLOAT32, 2, xs, 0, 1, 1, 0, &c.x));
    lm_tensor *labels, *on, *off;
    OK(lm_range(0, (double)batch, 1, LM_INT32, &labels));
    OK(lm_scalar_f64(LM_FLOAT32, 1, &on));
    OK(lm_scalar_f64(LM_FLOAT32, 0, &off));
    OK(lm_one_hot(labels, sizes[NLAYER], on, off, -1, &c.onehot));  /* labels past 9: all-off rows */
    OK(lm_scalar_f64(LM_FLOAT32, 0.01, &c.lr));
    for (int l = 0; l < NLAYER; l++) {
        int64_t ws[2] = {sizes[l], sizes[l + 1]};
        OK(lm_random(LM_RAND_NORMAL, LM_FLOAT32, 2, ws, 0, sqrt(2.0 / (double)sizes[l]), 2 + l, 0,
                     &c.p[2 * l]));
        OK(lm_zeros(LM_FLOAT32, 1, &sizes[l + 1], &c.p[2 * l + 1]));
    }
    double flops = 0;
    for (int l = 0; l < NLAYER; l++) flops += 2.0 * (double)batch * (double)(sizes[l] * sizes[l + 1]);
    flops *= 3;  /* forward, and the two products of each layer's backward (less the input's) */
    flops -= 2.0 * (double)batch * (double)(sizes[0] * sizes[1]);
    double t = time_it(train_call, &c);
    printf("train step MLP 784-512-512-10 batch %lld, %d threads: %.3f ms (%.1f GFLOP/s in its "
           "products)\n", (long long)batch, threads_now(), t * 1e3, flops / t * 1e-9);
    add_ctx a = {NULL, NULL, 0};
    int64_t four = 4;
    OK(lm_random(LM_RAND_UNIFORM, LM_FLOAT32, 1, &four, 0, 1, 9, 0, &a.a));
    OK(lm_random(LM_RAND_UNIFORM, LM_FLOAT32, 1, &four, 0, 1, 10, 0, &a.b));
    double bare = time_it(add_call, &a) / 1000;
    a.record = 1;
    double rec = time_it(add_call, &a) / 1000;
    printf("add on (4,): %.0f ns bare, %.0f ns recorded (recording %.0f ns per op)\n", bare * 1e9,
           rec * 1e9, (rec - bare) * 1e9);
    lm_release(a.a);
    lm_release(a.b);
    for (int i = 0; i < 2 * NLAYER; i++) lm_release(c.p[i]);
    lm_release(c.x);
    lm_release(c.onehot);
    lm_release(c.lr);
    lm_release(labels);
    lm_release(on);
    lm_release(off);
}

static void usage(void) {
    fprintf(stderr,
            "usage: lamina_bench [--threads T] [--isa NAME] [--f64] [--ta] [--tb] [--reps R]\n"
            "                    [--mc X] [--kc Y] [--nc Z] [--direct D]\n"
            "                    suite | peak | gemm M N K | sweep M N K | unary OP N |\n"
            "                    binary OP N | reduce OP N | train [BATCH]\n");
}

int main(int argc, char **argv) {
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        const char *o = argv[i] + 2;
        int has = i + 1 < argc;
        if (!strcmp(o, "threads") && has) opt.threads = atoi(argv[++i]);
        else if (!strcmp(o, "isa") && has) opt.isa = argv[++i];
        else if (!strcmp(o, "reps") && has) opt.reps = atoi(argv[++i]);
        else if (!strcmp(o, "mc") && has) opt.mc = atoll(argv[++i]);
        else if (!strcmp(o, "kc") && has) opt.kc = atoll(argv[++i]);
        else if (!strcmp(o, "nc") && has) opt.nc = atoll(argv[++i]);
        else if (!strcmp(o, "direct") && has) opt.direct = atoll(argv[++i]);
        else if (!strcmp(o, "f64")) opt.f64 = 1;
        else if (!strcmp(o, "ta")) opt.ta = 1;
        else if (!strcmp(o, "tb")) opt.tb = 1;
        else {
            usage();
            return 2;
        }
    }
    if (opt.isa && lm_set_isa(opt.isa)) {
        fprintf(stderr, "%s\n", lm_last_error());
        return 2;
    }
    const char *what = i < argc ? argv[i++] : "suite";
    int rest = argc - i;
    if (!strcmp(what, "suite")) suite();
    else if (!strcmp(what, "peak")) {
        double p1 = peak_gflops(1), pt = peak_gflops(threads_now());
        printf("peak float32 FMA (%s): 1 thread %.1f GFLOP/s, %d threads %.1f GFLOP/s\n",
               g_wide ? "avx512" : "avx2", p1, threads_now(), pt);
        printf("memory bandwidth (triad): 1 thread %.1f GB/s, %d threads %.1f GB/s\n",
               bandwidth_gbs(1), threads_now(), bandwidth_gbs(threads_now()));
    } else if ((!strcmp(what, "gemm") || !strcmp(what, "sweep")) && rest == 3) {
        int64_t m = atoll(argv[i]), n = atoll(argv[i + 1]), k = atoll(argv[i + 2]);
        if (m < 1 || n < 1 || k < 1) {
            usage();
            return 2;
        }
        if (what[0] == 'g') report_gemm(m, n, k);
        else sweep(m, n, k);
    } else if (!strcmp(what, "unary") && rest == 2) report_op(0, argv[i], atoll(argv[i + 1]));
    else if (!strcmp(what, "binary") && rest == 2) report_op(1, argv[i], atoll(argv[i + 1]));
    else if (!strcmp(what, "reduce") && rest == 2) report_op(2, argv[i], atoll(argv[i + 1]));
    else if (!strcmp(what, "train") && rest <= 1) report_train(rest ? atoll(argv[i]) : 128);
    else {
        usage();
        return 2;
    }
    return 0;
}
