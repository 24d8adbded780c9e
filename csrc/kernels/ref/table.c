/* The ref kernel table: portable C, the oracle of the others. Its float32 unary loops are the
 * float bodies of ops/ops.def's rows with a kernel slot, so the ref ISA gives the scalar results
 * exactly. */
#include "../binary_f32.inc"
#include "ops/scalar.h"

#include <tgmath.h>

#define LM_KSLOT_UN__(ID, BODY)
#define LM_KSLOT_UN_K(ID, BODY)                                                                \
    static void k_##ID(int64_t n, const float *x_, float *out) {                               \
        for (int64_t i = 0; i < n; i++) {                                                      \
            const float x = x_[i];                                                             \
            out[i] = BODY;                                                                     \
        }                                                                                      \
    }
#define LM_UNARY(ID, name, dtypes, ib, fb, saves, kslot, ...) LM_KSLOT_UN_##kslot(ID, fb)
#include "ops/ops.def"

void lm_kernels_init_ref(lm_kernel_table *t) {
    *t = (lm_kernel_table){.name = "ref", .gemm_f32 = &lm_gemm_ref_f32, .gemm_f64 = &lm_gemm_ref_f64};
    binary_f32_fill(t);
#define LM_KSLOT_SET__(ID)
#define LM_KSLOT_SET_K(ID) t->f32_unary[LM_##ID] = k_##ID;
#define LM_UNARY(ID, name, dtypes, ib, fb, saves, kslot, ...) LM_KSLOT_SET_##kslot(ID)
#include "ops/ops.def"
}
