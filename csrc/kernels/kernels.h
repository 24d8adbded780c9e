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
} lm_kernel_table;

extern const lm_kernel_table lm_kernels_ref;
#ifdef LAMINA_HAVE_AVX2
extern const lm_kernel_table lm_kernels_avx2;
#endif
#ifdef LAMINA_HAVE_AVX512
extern const lm_kernel_table lm_kernels_avx512;
#endif

/* The active table, chosen once (CPU features, then LAMINA_ISA). */
const lm_kernel_table *lm_kernels(void);

#endif
