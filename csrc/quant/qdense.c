/* qdense.c — the int8 dense layer: act(dequant(quant(x) @ w_q) + bias) with per-row dynamic
 * quantization of x and per-column int8 weights (quant/qgemm.h has the formulas), as Keras 3's
 * Dense after quantize("int8") computes it.
 *
 * The kernel follows the active table: ref -> ref; avx2 -> AVX-VNNI where the CPU has it, else
 * vpmaddubsw; avx512 -> AVX512_VNNI where the CPU has it, else as avx2. Every kernel gives the
 * same bits (exact int32 sums, the same float32 de-scaling), so the choice never changes a
 * result; a name can force one (tests). */
#include "internal.h"
#include "gemm/gemm.h"
#include "kernels/kernels.h"
#include "quant/qgemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct lm_qweight {
    lm_qpacked p;
    void *mem;  /* data, colsum and scale in one 64-byte aligned block */
};

void lm_qweight_free(lm_qweight *w) {
    if (!w) return;
    lm_gemm_free(w->mem);
    free(w);
}

lm_status lm_qweight_pack(const int8_t *w, int64_t k, int64_t n, const float *scale,
                          lm_qweight **out) {
    *out = NULL;
    if (k < 1 || n < 1 || k > 100000 || n > ((int64_t)1 << 40))
        return lm_fail(LM_EVALUE, "quantized dense: kernel shape (%lld, %lld) must have 1 to "
                       "100000 input features and at least 1 unit", (long long)k, (long long)n);
    for (int64_t i = 0; i < k * n; i++)
        if (w[i] == -128)
            return lm_fail(LM_EVALUE, "quantized dense: int8 kernel values must lie in [-127, "
                           "127] (Keras's symmetric range); found -128 at (%lld, %lld)",
                           (long long)(i / n), (long long)(i % n));
    for (int64_t j = 0; j < n; j++)
        if (!(scale[j] > 0) || isinf(scale[j]))
            return lm_fail(LM_EVALUE, "quantized dense: kernel_scale must be positive and finite;"
                           " kernel_scale[%lld] = %g", (long long)j, (double)scale[j]);
    lm_qweight *q = calloc(1, sizeof *q);
    if (!q) return lm_fail(LM_ENOMEM, "quantized dense: out of memory");
    int64_t k4 = (k + 3) / 4, nb = (n + 15) / 16;
    size_t data = (size_t)(nb * k4 * 64), extra = (size_t)nb * 16 * 4;
    q->mem = lm_gemm_alloc(data + 2 * extra);
    if (!q->mem) {
        free(q);
        return lm_fail(LM_ENOMEM, "quantized dense: cannot allocate %zu bytes", data + 2 * extra);
    }
    int8_t *d = q->mem;
    int32_t *cs = (int32_t *)(d + data);
    float *sc = (float *)(d + data + extra);
    memset(d, 0, data);
    for (int64_t j = 0; j < nb * 16; j++) {
        cs[j] = 0;
        sc[j] = j < n ? scale[j] : 1.0f;
    }
    for (int64_t p = 0; p < k; p++)
        for (int64_t j = 0; j < n; j++) {
            int8_t v = w[p * n + j];
            d[((j / 16) * k4 + p / 4) * 64 + (j % 16) * 4 + p % 4] = v;
            cs[j] += v;
        }
    q->p = (lm_qpacked){k, n, k4, nb, d, cs, sc};
    *out = q;
    return LM_OK;
}

/* ---- kernels --------------------------------------------------------------------------------- */

typedef struct { const char *name; lm_qgemm_fn fn; lm_qquant_fn quant; unsigned needs; } qkernel;
static const qkernel KERNELS[] = {
    {"ref", lm_qgemm_ref, lm_qquant_ref, 0},
#ifdef LAMINA_HAVE_AVX2
    {"avx2", lm_qgemm_avx2, lm_qquant_ref, LM_CPU_AVX2},
#endif
#ifdef LAMINA_HAVE_AVXVNNI
    {"avxvnni", lm_qgemm_avxvnni, lm_qquant_ref, LM_CPU_AVX2 | LM_CPU_AVXVNNI},
#endif
#ifdef LAMINA_HAVE_AVX512VNNI
    {"avx512vnni", lm_qgemm_avx512vnni, lm_qquant_avx512, LM_CPU_AVX512 | LM_CPU_AVX512VNNI},
#endif
};
#define NKERNELS (sizeof KERNELS / sizeof KERNELS[0])

static const qkernel *by_name(const char *name) {
    unsigned f = lm_cpu_features();
    for (size_t i = 0; i < NKERNELS; i++)
        if (!strcmp(KERNELS[i].name, name) && (KERNELS[i].needs & f) == KERNELS[i].needs)
            return &KERNELS[i];
    return NULL;
}

const char *lm_qdense_kernels(void) {
    static char names[128];
    static int done;
    if (!done) {
        char buf[128] = "";
        for (size_t i = 0; i < NKERNELS; i++)
            if (by_name(KERNELS[i].name)) {
                if (buf[0]) strcat(buf, ",");
                strcat(buf, KERNELS[i].name);
            }
        memcpy(names, buf, sizeof buf);
        done = 1;
    }
    return names;
}

/* The kernel for the active table (see the file comment). */
const char *lm_qdense_kernel(void) {
    const char *isa = lm_isa();
    if (!strcmp(isa, "ref")) return "ref";
    if (!strcmp(isa, "avx512") && by_name("avx512vnni")) return "avx512vnni";
    if (by_name("avxvnni")) return "avxvnni";
    return by_name("avx2") ? "avx2" : "ref";
}

/* ---- the op ---------------------------------------------------------------------------------- */

typedef struct {
    lm_qgemm_fn fn;
    const lm_qpacked *w;
    int64_t m;
    const int8_t *xq;
    const float *sx;
    float *y;
} qjob;

static void qrange(void *ctx, int64_t b, int64_t e) {
    const qjob *J = ctx;
    J->fn(J->m, b, e, J->xq, J->sx, J->w, J->y, J->w->n);
}

/* x_q and sx for m rows of K contiguous floats (Keras's AbsMaxQuantizer on the last axis).
 * round(clip(v)) = clip(round(v)) for integer bounds; the rounding is half to even, as np.round
 * and tf.round, done by adding and subtracting 1.5 * 2^23 (exact for |v| <= 127 in the default
 * rounding mode) so that the loop vectorizes instead of calling nearbyintf per element. A NaN
 * input quantizes to 0 (its row's scale is taken over the other values). */
void lm_qquant_ref(int64_t m, int64_t k, int64_t k4, const float *x, int8_t *xq, float *sx) {
    const float magic = 12582912.0f;
    for (int64_t i = 0; i < m; i++) {
        const float *xi = x + i * k;
        float amax = 0;
        for (int64_t p = 0; p < k; p++) {
            float a = fabsf(xi[p]);
            amax = a > amax ? a : amax;
        }
        float s = 127.0f / (amax + 1e-7f);
        sx[i] = s;
        int8_t *qi = xq + i * 4 * k4;
        for (int64_t p = 0; p < k; p++) {
            float v = xi[p] * s;
            v = v > 127.0f ? 127.0f : v;
            v = v < -127.0f ? -127.0f : v;
            v = v == v ? v : 0.0f;
            qi[p] = (int8_t)(int32_t)((v + magic) - magic);
        }
        for (int64_t p = k; p < 4 * k4; p++) qi[p] = 0;
    }
}

lm_status lm_qdense(const lm_tensor *x, const lm_qweight *w, const lm_tensor *bias, lm_act act,
                    const char *kernel, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("quantized dense", x)) ||
        (bias && (st = lm_check_tensor("quantized dense", bias))))
        return st;
    if ((int)act < 0 || act >= LM_NACT)
        return lm_fail(LM_EVALUE, "quantized dense: activation %d is not one of none, relu, "
                       "sigmoid, tanh, gelu", (int)act);
    if (x->dtype != LM_FLOAT32 || (bias && bias->dtype != LM_FLOAT32))
        return lm_fail(LM_ETYPE, "quantized dense: x and bias must be float32, got %s and %s",
                       LM_DT(x), bias ? LM_DT(bias) : "no bias");
    const int64_t K = w->p.k, N = w->p.n;
    if (x->ndim < 1 || x->shape[x->ndim - 1] != K)
        return lm_fail(LM_EVALUE, "quantized dense: x must have %lld features on its last axis, "
                       "got shape %s", (long long)K, LM_SHAPE(x));
    if (bias && (bias->ndim != 1 || bias->shape[0] != N))
        return lm_fail(LM_EVALUE, "quantized dense: bias must have shape (%lld,), got %s",
                       (long long)N, LM_SHAPE(bias));
    const qkernel *kr = by_name(kernel ? kernel : lm_qdense_kernel());
    if (!kr)
        return lm_fail(LM_EVALUE, "quantized dense: kernel '%s' is not available here (%s)",
                       kernel, lm_qdense_kernels());
    int64_t shape[LM_MAX_NDIM];
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[x->ndim - 1] = N;
    const int64_t M = K ? x->numel / K : 0;
    lm_tensor *xc = NULL, *o = NULL;
    if ((st = lm_contiguous(x, &xc)) || (st = lm_empty(LM_FLOAT32, x->ndim, shape, &o))) {
        lm_release(xc);
        return st;
    }
    lm_tensor *bc = NULL;
    if (bias && (st = lm_contiguous(bias, &bc))) goto fail;
    if (M > 0) {
        const int64_t k4 = w->p.k4;
        size_t xbytes = ((size_t)(M * 4 * k4) + 63) & ~(size_t)63;
        char *scratch = lm_gemm_alloc(xbytes + (size_t)M * sizeof(float));
        if (!scratch) {
            st = lm_fail(LM_ENOMEM, "quantized dense: cannot allocate the quantized input");
            goto fail;
        }
        int8_t *xq = (int8_t *)scratch;
        float *sx = (float *)(scratch + xbytes);
        kr->quant(M, K, k4, (const float *)xc->data, xq, sx);
        qjob J = {kr->fn, &w->p, M, xq, sx, (float *)o->data};
        /* column blocks over the pool when the product is worth it (4 multiply-adds a byte) */
        int t = lm_gemm_threads(M, N, K, 1, lm_get_num_threads());
        if (t > 1 && w->p.nb >= 8) lm_parallel_for(w->p.nb, (w->p.nb + t - 1) / t, qrange, &J);
        else qrange(&J, 0, w->p.nb);
        lm_gemm_free(scratch);
        lm_gemm_epilogue_f32(lm_gemm_select_f32(), M, N, (float *)o->data, N, 1,
                             bc ? (const float *)bc->data : NULL, act);
    }
    lm_release(xc);
    lm_release(bc);
    *out = o;
    return LM_OK;
fail:
    lm_release(xc);
    lm_release(bc);
    lm_release(o);
    return st;
}
