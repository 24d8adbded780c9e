/* STUB — to be written: lm_matmul. */
#include "internal.h"
#define TODO(name) return lm_fail(LM_ENOTIMPL, "%s is not implemented yet", name)
lm_status lm_matmul(const lm_tensor *a, const lm_tensor *b, int transpose_a, int transpose_b, lm_tensor **out) { *out = NULL; TODO("matmul"); }
