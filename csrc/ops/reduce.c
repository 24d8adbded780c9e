/* STUB — to be written: lm_reduce, lm_argreduce, lm_softmax. */
#include "internal.h"
#define TODO(name) return lm_fail(LM_ENOTIMPL, "%s is not implemented yet", name)
lm_status lm_reduce(lm_redop op, const lm_tensor *x, int naxes, const int64_t *axes, int keepdims, lm_tensor **out) { *out = NULL; TODO("reduce"); }
lm_status lm_argreduce(int is_max, const lm_tensor *x, int64_t axis, lm_dtype out_dtype, lm_tensor **out) { *out = NULL; TODO("argmax"); }
lm_status lm_softmax(const lm_tensor *x, int64_t axis, int log, lm_tensor **out) { *out = NULL; TODO("softmax"); }
