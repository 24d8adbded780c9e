/* kernels.h — the per-ISA kernel table. Each folder under kernels/ (ref, avx2, avx512) is
 * compiled with its own flags and defines one table; runtime/dispatch.c picks one at start. */
#ifndef LAMINA_KERNELS_H
#define LAMINA_KERNELS_H

#include <stdint.h>

/* Contiguous float32 loops: out[i] = a[i] op b[i]. out may alias a or b. */
typedef void (*lm_f32_binary_fn)(int64_t n, const float *a, const float *b, float *out);

typedef struct lm_kernel_table {
    const char *name;
    lm_f32_binary_fn f32_add, f32_sub, f32_mul, f32_div;

    /* ---- GEMM (gemm/gemm.h): micro-kernel, packing, skinny path, epilogue, blocking ---- */
    const struct lm_gemm_kernel_f32 *gemm_f32;
    const struct lm_gemm_kernel_f64 *gemm_f64;
} lm_kernel_table;

extern const lm_kernel_table lm_kernels_ref;
#ifdef LAMINA_HAVE_AVX2
extern const lm_kernel_table lm_kernels_avx2;
#endif
#ifdef LAMINA_HAVE_AVX512
extern const lm_kernel_table lm_kernels_avx512;
#endif

/* ---- GEMM kernel sets (kernels/<isa>/gemm_*.c; the types are in gemm/gemm.h) ---- */
extern const struct lm_gemm_kernel_f32 lm_gemm_ref_f32, lm_gemm_avx2_f32, lm_gemm_avx512_f32;
/* An AVX-512 12 x 32 float32 set, built but not yet used by any table (untested). */
extern const struct lm_gemm_kernel_f32 lm_gemm_avx512_12x32_f32;
extern const struct lm_gemm_kernel_f64 lm_gemm_ref_f64, lm_gemm_avx2_f64, lm_gemm_avx512_f64;

/* The active table, chosen once (CPU features, then LAMINA_ISA). */
const lm_kernel_table *lm_kernels(void);

#endif
