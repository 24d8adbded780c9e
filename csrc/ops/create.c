/* STUB — to be written: lm_fill, lm_range, lm_eye, lm_random. */
#include "internal.h"
#define TODO(name) return lm_fail(LM_ENOTIMPL, "%s is not implemented yet", name)
lm_status lm_fill(int ndim, const int64_t *shape, const lm_tensor *value, lm_tensor **out) { *out = NULL; TODO("fill"); }
lm_status lm_range(double start, double limit, double delta, lm_dtype dt, lm_tensor **out) { *out = NULL; TODO("range"); }
lm_status lm_eye(int64_t rows, int64_t cols, lm_dtype dt, lm_tensor **out) { *out = NULL; TODO("eye"); }
lm_status lm_random(lm_random_kind kind, lm_dtype dt, int ndim, const int64_t *shape, double a, double b, uint64_t key, uint64_t counter, lm_tensor **out) { *out = NULL; TODO("random"); }
