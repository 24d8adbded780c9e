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

/* One output row of a float32 depthwise convolution with channel multiplier 1 (ops/conv.c):
 * y[o, c] = bias[c] + sum over tap rows r and taps k of rows[r][(o*s2 - lo2 + k*d2) * C + c] *
 * w[(r*k2 + k) * C + c], skipping taps outside [0, in2) and NULL rows (padding). */
typedef struct lm_dw_row_args {
    const float *const *rows;   /* ntaprows input rows (in2 x C) or NULL */
    int64_t ntaprows;
    const float *w, *bias;      /* w: (ntaprows * k2, C); bias (C,) or NULL */
    float *y;                   /* (out2, C) */
    int64_t out2, C, k2, s2, d2, lo2, in2;
} lm_dw_row_args;
typedef void (*lm_dw_row_f32_fn)(const lm_dw_row_args *a);

/* One output row of a float32 convolution with one group, read straight from a zero-padded
 * input (ops/conv.c): y[o, co] = bias[co] + sum over taps (i, j) and channels c of
 * x[i*dh*row + (o*sw + j*dw)*C + c] * W[(i*kw + j)*C + c, co], then relu if asked. The filter W
 * (K = kh*kw*C rows) comes packed in panels of 32 columns: W[k, co] at
 * w[(co / 32) * K * 32 + k * 32 + co % 32], zero past cout. */
typedef struct lm_conv_row_args {
    const float *x;             /* the padded input at the first tap row of this output row */
    int64_t row;                /* elements between padded input rows */
    const float *w, *bias;      /* w: the packed panels; bias (cout,) or NULL */
    float *y;                   /* (ow, cout): row stride cout */
    int64_t ow, C, cout, kh, kw, dh, dw, sw;
    int64_t ncols;              /* columns to compute from w's first panel on (<= cout) */
    int relu;
} lm_conv_row_args;
typedef void (*lm_conv_row_f32_fn)(const lm_conv_row_args *a);
/* The same for 12 output pixels anywhere (px[p]: pixel p's input at tap (0, 0); y: their 12
 * consecutive output rows); a->ow and a->sw are unused. */
typedef void (*lm_conv_tile_f32_fn)(const lm_conv_row_args *a, const float *const *px);

/* A tile of a float32 filter gradient (ops/conv.c): nq (12, 8, 4 or 1) consecutive input channels
 * of one tap by ncols (<= 32) output channels, dw[q * ldw + co] = sum over the n x oh x ow output
 * pixels r of x[b * img + h * rstep + w * pstep + q] * g[r * gstride + co]. */
typedef struct lm_conv_wgrad_args {
    const float *x;             /* the padded input at this tap and first channel */
    const float *g;             /* the output gradient at the first column */
    float *dw;
    int64_t n, oh, ow, img, rstep, pstep, gstride, ldw, ncols, nq;
} lm_conv_wgrad_args;
typedef void (*lm_conv_wgrad_f32_fn)(const lm_conv_wgrad_args *a);

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

    /* ---- convolution ---- */
    lm_dw_row_f32_fn f32_dw_row;
    lm_conv_row_f32_fn f32_conv_row;   /* NULL: convolutions go through patches and the GEMM */
    lm_conv_tile_f32_fn f32_conv_tile;
    lm_conv_wgrad_f32_fn f32_conv_wgrad;
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

void lm_ref_dw_row_f32(const lm_dw_row_args *a);
void lm_avx2_dw_row_f32(const lm_dw_row_args *a);
void lm_avx512_dw_row_f32(const lm_dw_row_args *a);
void lm_avx512_conv_row_f32(const lm_conv_row_args *a);
void lm_avx512_conv_tile_f32(const lm_conv_row_args *a, const float *const *px);
void lm_avx512_conv_wgrad_f32(const lm_conv_wgrad_args *a);

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
