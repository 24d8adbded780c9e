/* internal.h — helpers shared by liblamina's own files; not part of the public API. */
#ifndef LAMINA_INTERNAL_H
#define LAMINA_INTERNAL_H

#include "lamina/lamina.h"

#include <stdarg.h>
#include <stdbool.h>

#if defined(__GNUC__)
#define LM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define LM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LM_PRINTF(a, b)
#define LM_UNLIKELY(x) (x)
#endif

/* Record a failure on this thread and return `s`, so callers write `return lm_fail(...)`. */
lm_status lm_fail(lm_status s, const char *fmt, ...) LM_PRINTF(2, 3);

/* Format a shape as "(2, 3)" into buf; returns buf. LM_SHAPE(t) formats a tensor's shape into a
 * buffer that lives until the end of the enclosing full expression's block. */
const char *lm_fmt_shape(char *buf, size_t n, int ndim, const int64_t *shape);
#define LM_SHAPE_BUF 160
#define LM_SHAPE(t) lm_fmt_shape((char[LM_SHAPE_BUF]){0}, LM_SHAPE_BUF, (t)->ndim, (t)->shape)
#define LM_SHAPE_N(nd, sh) lm_fmt_shape((char[LM_SHAPE_BUF]){0}, LM_SHAPE_BUF, (nd), (sh))
#define LM_DT(t) lm_dtype_name((t)->dtype)

/* Product of a shape with overflow and negativity checks; `op` names the caller. */
lm_status lm_checked_numel(const char *op, int ndim, const int64_t *shape, int64_t *numel);
/* Normalise a possibly negative axis into [0, ndim). */
lm_status lm_norm_axis(const char *op, int64_t axis, int ndim, int64_t *out);
lm_status lm_check_dtype(const char *op, lm_dtype dt);
lm_status lm_check_tensor(const char *op, const lm_tensor *t);

lm_storage *lm_storage_new(size_t nbytes);
lm_storage *lm_storage_external(void *data, size_t nbytes, void (*deleter)(void *), void *ctx);
void lm_storage_retain(lm_storage *s);
void lm_storage_release(lm_storage *s);

/* True when no other non-trivial dim of x is denser (smaller |stride|) than `axis`. */
bool lm_axis_is_densest(const lm_tensor *x, int axis);

/* Recompute numel and the contiguity flag after shape/strides changed. */
void lm_tensor_refresh(lm_tensor *t);

/* Strides (elements) of `t` viewed as broadcast to (ndim, shape): right-aligned, 0 where
 * broadcast. The caller has checked the shapes are compatible. */
void lm_broadcast_strides(const lm_tensor *t, int ndim, const int64_t *shape, int64_t *strides);

/* ---- the N-d loop engine ------------------------------------------------------------------------
 * Runs `loop` over an index space of (ndim, shape) for `nargs` operands. Operand k starts at
 * base[k], has element strides strides[k] (0 for broadcast dimensions) and element size size[k].
 * Dimensions are coalesced where every operand allows it, so contiguous data reaches `loop` as
 * one long run. `loop` gets the run length, the operand pointers and their byte steps. */
#define LM_MAX_ARGS 4
typedef void (*lm_loop_fn)(int64_t n, char **p, const int64_t *step, void *ctx);
void lm_iterate(int ndim, const int64_t *shape, int nargs, char *const *base,
                const int64_t *const *strides, const size_t *size, lm_loop_fn loop, void *ctx);

/* Elements below which a thread hand-off costs more than it saves. */
#define LM_PAR_MIN_ELEMS 65536

/* lm_iterate over the thread pool. Only for loops whose output elements are distinct for distinct
 * indices (elementwise ops, copies, casts): never for accumulations into a broadcast output. */
void lm_iterate_par(int ndim, const int64_t *shape, int nargs, char *const *base,
                    const int64_t *const *strides, const size_t *size, lm_loop_fn loop, void *ctx);

/* Strided element copy between two tensors of equal dtype and shape (src may be a broadcast
 * view expressed by its strides). */
void lm_copy_strided(int ndim, const int64_t *shape, char *dst, const int64_t *dst_strides,
                     const char *src, const int64_t *src_strides, size_t itemsize);

/* float16 / bfloat16 are storage formats: ops compute them in float32. Returns x retained when
 * it is not a half type, else a float32 copy. */
lm_status lm_widen(const lm_tensor *x, lm_tensor **out);
static inline int lm_is_half(lm_dtype dt) { return dt == LM_FLOAT16 || dt == LM_BFLOAT16; }

/* Run fn(ctx, begin, end) over [0, n) split into contiguous ranges of at least min_chunk, one
 * per thread of the pool (runtime/pool.c); the calling thread takes part. Ranges must be
 * independent: fn may run concurrently on different ranges. Small n runs inline. */
typedef void (*lm_range_fn)(void *ctx, int64_t begin, int64_t end);
void lm_parallel_for(int64_t n, int64_t min_chunk, lm_range_fn fn, void *ctx);

#endif
