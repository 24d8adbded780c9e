/* kernels.h — the per-ISA kernel table. Each folder under kernels/ (ref, avx2, avx512) is
 * compiled with its own flags and fills one table; runtime/dispatch.c fills them once and picks
 * one. A table starts from the one below it and overrides what it does differently, as BLIS's
 * bli_cntx_init_<arch> starts from the reference context: ref fills every slot, avx2 starts from
 * ref, avx512 from avx2. */
#ifndef LAMINA_KERNELS_H
#define LAMINA_KERNELS_H

#include <stdint.h>

#include "lamina/lamina.h"

/* Contiguous float32 loops: out[i] = a[i] op b[i]. out may alias a or b. */
typedef void (*lm_f32_binary_fn)(int64_t n, const float *a, const float *b, float *out);
/* Contiguous float32 loops: out[i] = f(x[i]). out may be x itself (in place) or not overlap it. */
typedef void (*lm_f32_unary_fn)(int64_t n, const float *x, float *out);

typedef struct lm_kernel_table {
    const char *name;
    /* The float32 loop of each op with a kernel slot (kslot K in ops/ops.def), indexed by its op
     * code; NULL for the others. ref makes them from the rows' float bodies (the scalar
     * results); avx2 has vector polynomials (kernels/avx2/unary_avx2.c states their ulp bounds). */
    lm_f32_binary_fn f32_binary[LM_NBINOP];
    lm_f32_unary_fn f32_unary[LM_NUNOP];

    /* ---- GEMM (gemm/gemm.h): micro-kernel, packing, skinny path, epilogue, blocking ---- */
    const struct lm_gemm_kernel_f32 *gemm_f32;
    const struct lm_gemm_kernel_f64 *gemm_f64;
} lm_kernel_table;

/* Fill a table: each calls the one below it first (avx512 -> avx2 -> ref). */
void lm_kernels_init_ref(lm_kernel_table *t);
void lm_kernels_init_avx2(lm_kernel_table *t);
void lm_kernels_init_avx512(lm_kernel_table *t);

/* ---- GEMM kernel sets (kernels/<isa>/gemm_*.c; the types are in gemm/gemm.h) ---- */
extern const struct lm_gemm_kernel_f32 lm_gemm_ref_f32, lm_gemm_avx2_f32, lm_gemm_avx512_f32;
extern const struct lm_gemm_kernel_f64 lm_gemm_ref_f64, lm_gemm_avx2_f64, lm_gemm_avx512_f64;

/* ---- float32 unary loops of the avx2 folder (kernels/avx2/unary_avx2.c) ---- */
void lm_avx2_f32_exp(int64_t n, const float *x, float *out);
void lm_avx2_f32_log(int64_t n, const float *x, float *out);
void lm_avx2_f32_tanh(int64_t n, const float *x, float *out);
void lm_avx2_f32_sigmoid(int64_t n, const float *x, float *out);
void lm_avx2_f32_erf(int64_t n, const float *x, float *out);
void lm_avx2_f32_relu(int64_t n, const float *x, float *out);

/* ---- float32 unary loops of the avx512 folder (kernels/avx512/unary_avx512.c) ---- */
void lm_avx512_f32_exp(int64_t n, const float *x, float *out);
void lm_avx512_f32_log(int64_t n, const float *x, float *out);
void lm_avx512_f32_log1p(int64_t n, const float *x, float *out);
void lm_avx512_f32_tanh(int64_t n, const float *x, float *out);
void lm_avx512_f32_sigmoid(int64_t n, const float *x, float *out);
void lm_avx512_f32_erf(int64_t n, const float *x, float *out);
void lm_avx512_f32_softplus(int64_t n, const float *x, float *out);
void lm_avx512_f32_relu(int64_t n, const float *x, float *out);

/* CPU features beyond the table's ISA (runtime/dispatch.c), for the int8 and bf16 kernels. */
enum {
    LM_CPU_AVX2 = 1, LM_CPU_AVX512 = 2, LM_CPU_AVX512VNNI = 4, LM_CPU_AVXVNNI = 8,
    LM_CPU_AVX512BF16 = 16,
};
unsigned lm_cpu_features(void);

/* The active table, chosen once (CPU features, then LAMINA_ISA). */
const lm_kernel_table *lm_kernels(void);

#endif
