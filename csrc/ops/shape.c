/* STUB — to be written: reshape, transpose, expand_dims, squeeze, broadcast_to, concat, stack,
 * gather, one_hot, getitem. */
#include "internal.h"
#define TODO(name) return lm_fail(LM_ENOTIMPL, "%s is not implemented yet", name)
lm_status lm_reshape(const lm_tensor *x, int ndim, const int64_t *shape, lm_tensor **out) { *out = NULL; TODO("reshape"); }
lm_status lm_transpose(const lm_tensor *x, const int64_t *perm, lm_tensor **out) { *out = NULL; TODO("transpose"); }
lm_status lm_expand_dims(const lm_tensor *x, int64_t axis, lm_tensor **out) { *out = NULL; TODO("expand_dims"); }
lm_status lm_squeeze(const lm_tensor *x, int naxes, const int64_t *axes, lm_tensor **out) { *out = NULL; TODO("squeeze"); }
lm_status lm_broadcast_to(const lm_tensor *x, int ndim, const int64_t *shape, lm_tensor **out) { *out = NULL; TODO("broadcast_to"); }
lm_status lm_concat(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out) { *out = NULL; TODO("concat"); }
lm_status lm_stack(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out) { *out = NULL; TODO("stack"); }
lm_status lm_gather(const lm_tensor *params, const lm_tensor *indices, int64_t axis, lm_tensor **out) { *out = NULL; TODO("gather"); }
lm_status lm_one_hot(const lm_tensor *indices, int64_t depth, const lm_tensor *on_value, const lm_tensor *off_value, int64_t axis, lm_tensor **out) { *out = NULL; TODO("one_hot"); }
lm_status lm_getitem(const lm_tensor *x, int n, const lm_index *idx, lm_tensor **out) { *out = NULL; TODO("getitem"); }
