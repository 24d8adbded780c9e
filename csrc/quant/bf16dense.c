/* bf16dense.c — a dense layer on bfloat16 weights packed for AVX512_BF16's vdpbf16ps
 * (quant/qgemm.h's layout): act(x @ w + bias) for bfloat16 x, summed in float32, bias and
 * activation in float32, rounded to bfloat16 once, as lm_dense's bfloat16 path (which widens
 * every operand to float32 and is what runs on CPUs without AVX512_BF16). */
#include "internal.h"
#include "gemm/gemm.h"
#include "kernels/kernels.h"
#include "quant/qgemm.h"

#include <stdlib.h>
#include <string.h>

struct lm_bf16w {
    lm_bpacked p;
    void *mem;
};

void lm_bf16w_free(lm_bf16w *w) {
    if (!w) return;
    lm_gemm_free(w->mem);
    free(w);
}

lm_status lm_bf16w_pack(const uint16_t *w, int64_t k, int64_t n, lm_bf16w **out) {
    *out = NULL;
    if (k < 1 || n < 1 || k > ((int64_t)1 << 30) || n > ((int64_t)1 << 30))
        return lm_fail(LM_EVALUE, "bfloat16 dense: kernel shape (%lld, %lld) must be at least "
                       "(1, 1)", (long long)k, (long long)n);
    lm_bf16w *b = calloc(1, sizeof *b);
    int64_t k2 = (k + 1) / 2, nb = (n + 15) / 16;
    size_t bytes = (size_t)(nb * k2 * 32) * 2;
    if (!b || !(b->mem = lm_gemm_alloc(bytes))) {
        free(b);
        return lm_fail(LM_ENOMEM, "bfloat16 dense: cannot allocate %zu bytes", bytes);
    }
    uint16_t *d = b->mem;
    memset(d, 0, bytes);
    for (int64_t p = 0; p < k; p++)
        for (int64_t j = 0; j < n; j++)
            d[((j / 16) * k2 + p / 2) * 32 + (j % 16) * 2 + p % 2] = w[p * n + j];
    b->p = (lm_bpacked){k, n, k2, nb, d};
    *out = b;
    return LM_OK;
}

const char *lm_bf16dense_kernels(void) {
#ifdef LAMINA_HAVE_AVX512VNNI
    if (lm_cpu_features() & LM_CPU_AVX512BF16) return "ref,avx512bf16";
#endif
    return "ref";
}

const char *lm_bf16dense_kernel(void) {
    return strcmp(lm_isa(), "avx512") == 0 && strstr(lm_bf16dense_kernels(), "avx512bf16")
               ? "avx512bf16" : "ref";
}

typedef struct {
    lm_bgemm_fn fn;
    const lm_bpacked *w;
    int64_t m;
    const uint16_t *x;
    float *y;
} bjob;

static void brange(void *ctx, int64_t b, int64_t e) {
    const bjob *J = ctx;
    J->fn(J->m, b, e, J->x, J->w, J->y, J->w->n);
}

lm_status lm_bf16dense(const lm_tensor *x, const lm_bf16w *w, const lm_tensor *bias, lm_act act,
                       const char *kernel, lm_tensor **out) {
    *out = NULL;
    lm_status st;
    if ((st = lm_check_tensor("bfloat16 dense", x)) ||
        (bias && (st = lm_check_tensor("bfloat16 dense", bias))))
        return st;
    if ((int)act < 0 || act >= LM_NACT)
        return lm_fail(LM_EVALUE, "bfloat16 dense: activation %d is not one of none, relu, "
                       "sigmoid, tanh, gelu", (int)act);
    if (x->dtype != LM_BFLOAT16 || (bias && bias->dtype != LM_BFLOAT16 && bias->dtype != LM_FLOAT32))
        return lm_fail(LM_ETYPE, "bfloat16 dense: x must be bfloat16 and bias bfloat16 or "
                       "float32, got %s and %s", LM_DT(x), bias ? LM_DT(bias) : "no bias");
    const int64_t K = w->p.k, N = w->p.n, k2 = w->p.k2;
    if (x->ndim < 1 || x->shape[x->ndim - 1] != K)
        return lm_fail(LM_EVALUE, "bfloat16 dense: x must have %lld features on its last axis, "
                       "got shape %s", (long long)K, LM_SHAPE(x));
    if (bias && (bias->ndim != 1 || bias->shape[0] != N))
        return lm_fail(LM_EVALUE, "bfloat16 dense: bias must have shape (%lld,), got %s",
                       (long long)N, LM_SHAPE(bias));
    if (!kernel) kernel = lm_bf16dense_kernel();
    lm_bgemm_fn fn = NULL;
    if (!strcmp(kernel, "ref")) fn = lm_bgemm_ref;
#ifdef LAMINA_HAVE_AVX512VNNI
    else if (!strcmp(kernel, "avx512bf16") && strstr(lm_bf16dense_kernels(), "avx512bf16"))
        fn = lm_bgemm_avx512bf16;
#endif
    if (!fn)
        return lm_fail(LM_EVALUE, "bfloat16 dense: kernel '%s' is not available here (%s)",
                       kernel, lm_bf16dense_kernels());
    int64_t shape[LM_MAX_NDIM];
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[x->ndim - 1] = N;
    const int64_t M = x->numel / K;
    lm_tensor *xc = NULL, *o = NULL, *bf = NULL;
    float *y = NULL;
    uint16_t *xp = NULL;
    if ((st = lm_contiguous(x, &xc)) || (st = lm_empty(LM_BFLOAT16, x->ndim, shape, &o)) ||
        (bias && (st = lm_cast(bias, LM_FLOAT32, &bf))))
        goto done;
    if (M > 0) {
        const uint16_t *xs = (const uint16_t *)xc->data;
        y = lm_gemm_alloc((size_t)(M * N) * sizeof(float));
        if (K % 2) { /* rows padded to pairs */
            xp = lm_gemm_alloc((size_t)(M * 2 * k2) * 2);
            if (xp)
                for (int64_t i = 0; i < M; i++) {
                    memcpy(xp + i * 2 * k2, xs + i * K, (size_t)K * 2);
                    xp[i * 2 * k2 + K] = 0;
                }
            xs = xp;
        }
        if (!y || !xs) {
            st = lm_fail(LM_ENOMEM, "bfloat16 dense: out of memory");
            goto done;
        }
        bjob J = {fn, &w->p, M, xs, y};
        int t = lm_gemm_threads(M, N, K, 1, lm_get_num_threads());
        if (t > 1 && w->p.nb >= 8) lm_parallel_for(w->p.nb, (w->p.nb + t - 1) / t, brange, &J);
        else brange(&J, 0, w->p.nb);
        lm_gemm_epilogue_f32(lm_gemm_select_f32(), M, N, y, N, 1,
                             bf ? (const float *)bf->data : NULL, act);
        uint16_t *od = (uint16_t *)o->data;
#ifdef LAMINA_HAVE_AVX512VNNI
        if (fn == lm_bgemm_avx512bf16) lm_f32_to_bf16_avx512(M * N, y, od);
        else
#endif
            for (int64_t i = 0; i < M * N; i++) od[i] = lm_f32_to_bf16(y[i]);
    }
done:
    lm_gemm_free(y);
    lm_gemm_free(xp);
    lm_release(xc);
    lm_release(bf);
    if (st) lm_release(o);
    else *out = o;
    return st;
}
