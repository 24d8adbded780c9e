/* lamina.h — the public C API of liblamina.
 *
 * Conventions (every function follows them):
 *   - Functions that can fail return an lm_status; LM_OK is 0. On failure a thread-local message
 *     (lm_last_error) says what went wrong, naming the op, the shapes and the dtypes.
 *   - Functions that make a tensor write it to `out` with one reference owned by the caller;
 *     on failure `*out` is left NULL. Inputs are borrowed, never consumed.
 *   - Strides count elements, not bytes. Shapes and strides are int64_t.
 *   - Nothing aborts, nothing prints, nothing calls back into Python.
 */
#ifndef LAMINA_H
#define LAMINA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LM_MAX_NDIM 8

typedef enum lm_status {
    LM_OK = 0,
    LM_EVALUE = 1,    /* bad shape, bad argument value        -> ValueError */
    LM_ETYPE = 2,     /* unsupported or mismatched dtype      -> TypeError */
    LM_EINDEX = 3,    /* index or axis out of range           -> IndexError */
    LM_ENOMEM = 4,    /* allocation failed or size overflows  -> MemoryError */
    LM_ERUNTIME = 5,  /* misuse of state                      -> RuntimeError */
    LM_ENOTIMPL = 6,  /* not implemented yet                  -> NotImplementedError */
} lm_status;

/* Order matters: the float dtypes are the range float16 .. float64 (core/dtype.c asserts it). */
typedef enum lm_dtype {
    LM_BOOL = 0,
    LM_INT32 = 1,
    LM_INT64 = 2,
    LM_FLOAT16 = 3,
    LM_BFLOAT16 = 4,
    LM_FLOAT32 = 5,
    LM_FLOAT64 = 6,
    LM_NDTYPE = 7,
} lm_dtype;

const char *lm_dtype_name(lm_dtype dt);  /* "float32", ...; "invalid" for a bad value */
size_t lm_dtype_size(lm_dtype dt);       /* bytes per element; 0 for a bad value */
int lm_dtype_is_float(lm_dtype dt);      /* float16, bfloat16, float32, float64 */
int lm_dtype_is_int(lm_dtype dt);        /* int32, int64 */

/* float16 / bfloat16 <-> float32, round to nearest even, NaN and inf preserved. */
uint16_t lm_f32_to_f16(float f);
float lm_f16_to_f32(uint16_t h);
uint16_t lm_f32_to_bf16(float f);
float lm_bf16_to_f32(uint16_t h);

/* ---- errors ---------------------------------------------------------------------------------- */
const char *lm_last_error(void);  /* message of the last failure on this thread */
lm_status lm_last_status(void);
void lm_clear_error(void);

/* ---- storage: a refcounted, 64-byte-aligned block of bytes ----------------------------------- */
typedef struct lm_storage {
    char *data;
    size_t nbytes;
    long refcount;                   /* atomic */
    void (*deleter)(void *ctx);      /* external memory: called once when the last ref goes */
    void *deleter_ctx;
    long exports;                    /* live buffer-protocol / DLPack exports (atomic) */
} lm_storage;

/* Live storages and bytes allocated by lamina itself (external memory is not counted). */
int64_t lm_live_storages(void);
int64_t lm_live_bytes(void);

/* ---- tensors: strided views over a storage --------------------------------------------------- */
enum { LM_FLAG_CONTIGUOUS = 1u, LM_FLAG_READONLY = 2u };

typedef struct lm_tensor {
    lm_storage *storage;
    char *data;                      /* storage->data + offset * itemsize: the first element */
    int64_t offset;                  /* in elements from storage->data */
    int32_t ndim;
    lm_dtype dtype;
    int64_t shape[LM_MAX_NDIM];
    int64_t strides[LM_MAX_NDIM];    /* in elements */
    int64_t numel;
    uint32_t flags;
    long refcount;                   /* atomic */
    uint64_t id;                     /* unique per tensor, for the gradient tape */
} lm_tensor;

/* A new C-contiguous tensor of uninitialised memory. Sizes are checked for overflow. */
lm_status lm_empty(lm_dtype dt, int ndim, const int64_t *shape, lm_tensor **out);
lm_status lm_zeros(lm_dtype dt, int ndim, const int64_t *shape, lm_tensor **out);
/* A view of `base`'s storage with its own shape, strides (elements) and offset (elements).
 * The view is checked to stay inside the storage. */
lm_status lm_view(const lm_tensor *base, int ndim, const int64_t *shape, const int64_t *strides,
                  int64_t offset, lm_tensor **out);
/* Wrap memory lamina does not own. `data` points at element 0 (strides may be negative; NULL
 * strides mean C-contiguous). `deleter(ctx)` runs when the last reference goes; on failure the
 * caller keeps ownership. */
lm_status lm_from_external(void *data, lm_dtype dt, int ndim, const int64_t *shape,
                           const int64_t *strides, void (*deleter)(void *), void *ctx,
                           int readonly, lm_tensor **out);
lm_tensor *lm_retain(lm_tensor *t);
void lm_release(lm_tensor *t);   /* NULL is fine */

int lm_is_contiguous(const lm_tensor *t);
/* `x` itself (retained) when C-contiguous, otherwise a contiguous copy. */
lm_status lm_contiguous(const lm_tensor *x, lm_tensor **out);
/* A contiguous copy, always. */
lm_status lm_clone(const lm_tensor *x, lm_tensor **out);
/* Write src (broadcast to dst's shape, same dtype) into dst, element by element.
 * dst must not be read-only. Used by Variable.assign. */
lm_status lm_copy_into(lm_tensor *dst, const lm_tensor *src);
/* A 0-d tensor holding one value converted to dt. */
lm_status lm_scalar_f64(lm_dtype dt, double v, lm_tensor **out);
lm_status lm_scalar_i64(lm_dtype dt, int64_t v, lm_tensor **out);
/* Read element 0 of a one-element tensor. */
lm_status lm_item_f64(const lm_tensor *x, double *v);
lm_status lm_item_i64(const lm_tensor *x, int64_t *v);

/* Broadcast two shapes with NumPy's rules. `op` names the caller in the error message. */
lm_status lm_broadcast_shapes(const char *op, int na, const int64_t *a, int nb, const int64_t *b,
                              int *nout, int64_t *out);

/* ---- elementwise ------------------------------------------------------------------------------ */
/* Inputs must share a dtype (TypeError otherwise). float16/bfloat16 compute in float32.
 * The ops are the rows of csrc/ops/ops.def (the op registry), in its order: LM_ADD, LM_SUB,
 * LM_MUL, LM_DIV (true division: int32/int64 give float64, as tf.math.truediv), LM_FLOORDIV
 * and LM_MOD (floor division and modulo with the divisor's sign; integer division by zero is an
 * error), LM_POW (integer pow with a negative exponent is an error), LM_MAXIMUM, LM_MINIMUM,
 * comparisons LM_EQ .. LM_GE (-> bool), LM_LOGICAL_AND/OR/XOR (bool only). */
typedef enum lm_binop {
#define LM_BINARY(ID, ...) LM_##ID,
#include "../../ops/ops.def"
    LM_NBINOP
} lm_binop;
const char *lm_binop_name(lm_binop op);   /* TF's name: "add", "floordiv", "greater_equal", ... */
lm_status lm_binary(lm_binop op, const lm_tensor *a, const lm_tensor *b, lm_tensor **out);

/* LM_NEG, LM_ABS, LM_EXP, ...: the unary rows of csrc/ops/ops.def, which say which dtypes each
 * takes (numbers keeping their dtype, floats only, or bool only). */
typedef enum lm_unop {
#define LM_UNARY(ID, ...) LM_##ID,
#include "../../ops/ops.def"
    LM_NUNOP
} lm_unop;
const char *lm_unop_name(lm_unop op);
lm_status lm_unary(lm_unop op, const lm_tensor *x, lm_tensor **out);

lm_status lm_where(const lm_tensor *cond, const lm_tensor *a, const lm_tensor *b, lm_tensor **out);
lm_status lm_clip(const lm_tensor *x, const lm_tensor *lo, const lm_tensor *hi, lm_tensor **out);
lm_status lm_cast(const lm_tensor *x, lm_dtype dt, lm_tensor **out);

/* ---- reductions ------------------------------------------------------------------------------- */
typedef enum lm_redop {
    LM_RSUM, LM_RMEAN, LM_RMAX, LM_RMIN, LM_RPROD, LM_RANY, LM_RALL, LM_NREDOP
} lm_redop;
/* naxes < 0 reduces over every axis. Axes may be negative; repeats are an error. */
lm_status lm_reduce(lm_redop op, const lm_tensor *x, int naxes, const int64_t *axes, int keepdims,
                    lm_tensor **out);
/* Index of the first max (is_max=1) or min along `axis`; out_dtype is LM_INT32 or LM_INT64. */
lm_status lm_argreduce(int is_max, const lm_tensor *x, int64_t axis, lm_dtype out_dtype,
                       lm_tensor **out);
/* Softmax (log=0) or log-softmax (log=1) over one axis; stable for large inputs. */
lm_status lm_softmax(const lm_tensor *x, int64_t axis, int log, lm_tensor **out);

/* ---- shape and indexing ------------------------------------------------------------------------ */
/* One -1 allowed. A view when the strides allow it, a copy otherwise. */
lm_status lm_reshape(const lm_tensor *x, int ndim, const int64_t *shape, lm_tensor **out);
lm_status lm_transpose(const lm_tensor *x, const int64_t *perm, lm_tensor **out);  /* view */
lm_status lm_expand_dims(const lm_tensor *x, int64_t axis, lm_tensor **out);       /* view */
/* naxes < 0 squeezes every size-1 axis; squeezing an axis whose size is not 1 is an error. */
lm_status lm_squeeze(const lm_tensor *x, int naxes, const int64_t *axes, lm_tensor **out);
lm_status lm_broadcast_to(const lm_tensor *x, int ndim, const int64_t *shape, lm_tensor **out);
lm_status lm_concat(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out);
lm_status lm_stack(int n, const lm_tensor *const *xs, int64_t axis, lm_tensor **out);
/* tf.gather(params, indices, axis, batch_dims=0); indices int32/int64, out of range is an error. */
lm_status lm_gather(const lm_tensor *params, const lm_tensor *indices, int64_t axis,
                    lm_tensor **out);
/* tf.one_hot: out-of-range (and negative) indices give an all-off row, as TF does. */
lm_status lm_one_hot(const lm_tensor *indices, int64_t depth, const lm_tensor *on_value,
                     const lm_tensor *off_value, int64_t axis, lm_tensor **out);

/* Basic indexing (__getitem__): always a view. */
typedef enum lm_index_kind { LM_IDX_INT, LM_IDX_SLICE, LM_IDX_NEWAXIS, LM_IDX_ELLIPSIS } lm_index_kind;
typedef struct lm_index {
    lm_index_kind kind;
    int64_t start, stop, step;   /* INT uses start; SLICE uses all three */
    int has_start, has_stop;     /* SLICE: 0 means the bound was None */
} lm_index;
lm_status lm_getitem(const lm_tensor *x, int n, const lm_index *idx, lm_tensor **out);

/* ---- linear algebra ---------------------------------------------------------------------------- */
/* tf.linalg.matmul: rank >= 2 (a rank-1 operand is an error, as in TF), batch dims broadcast. */
lm_status lm_matmul(const lm_tensor *a, const lm_tensor *b, int transpose_a, int transpose_b,
                    lm_tensor **out);

/* ---- creation ---------------------------------------------------------------------------------- */
/* tf.fill: `value` (any shape that broadcasts, usually 0-d) repeated to `shape`, value's dtype. */
lm_status lm_fill(int ndim, const int64_t *shape, const lm_tensor *value, lm_tensor **out);
/* tf.range with float or integer arithmetic according to dt. delta == 0 is an error. */
lm_status lm_range(double start, double limit, double delta, lm_dtype dt, lm_tensor **out);
lm_status lm_eye(int64_t rows, int64_t cols, lm_dtype dt, lm_tensor **out);

/* ---- random: counter-based (Philox-4x32-10) ------------------------------------------------- */
/* Element i of the result depends only on (key, counter + i): the same for every run and every
 * thread count. Float dtypes only. */
typedef enum lm_random_kind { LM_RAND_UNIFORM, LM_RAND_NORMAL, LM_RAND_TRUNCATED_NORMAL } lm_random_kind;
/* uniform: [a, b); normal / truncated_normal: mean a, stddev b (truncated at 2 stddev). */
lm_status lm_random(lm_random_kind kind, lm_dtype dt, int ndim, const int64_t *shape, double a,
                    double b, uint64_t key, uint64_t counter, lm_tensor **out);
/* Integers in [lo, hi) (int32 or int64; lo < hi, both in dt's range), from the float64 uniform
 * at each position: lo + floor(u * (hi - lo)). */
lm_status lm_random_int(lm_dtype dt, int ndim, const int64_t *shape, int64_t lo, int64_t hi,
                        uint64_t key, uint64_t counter, lm_tensor **out);

/* ---- runtime ------------------------------------------------------------------------------------ */
/* Threads lamina's kernels may use, the caller included. Starts from LAMINA_NUM_THREADS, then
 * OMP_NUM_THREADS, then the CPU count; can be changed at any time (a running job finishes first). */
int lm_get_num_threads(void);
lm_status lm_set_num_threads(int n);
/* NULL, or why LAMINA_NUM_THREADS / OMP_NUM_THREADS was ignored (not a positive integer) or
 * capped (more than 4 threads per CPU); the Python module warns with it once, at import. */
const char *lm_threads_env_note(void);
const char *lm_version(void);
const char *lm_isa(void);          /* "ref", "avx2" or "avx512": the kernel set in use */
const char *lm_isa_available(void); /* comma-separated list the CPU supports, best last */
/* The GEMM kernel set the active table uses for a dtype ("avx512-12x32", "avx2-6x16", ...). */
const char *lm_gemm_kernel_name(lm_dtype dt);
/* Force a kernel set ("ref", "avx2", "avx512"); LM_EVALUE if unknown or unsupported here. */
lm_status lm_set_isa(const char *name);

/* ---- fused dense layer ------------------------------------------------------------------------ */
/* Activations lm_dense fuses into its GEMM. GELU is the exact one, x * Phi(x) (erf), as
 * tf.nn.gelu(approximate=False) and Keras's "gelu". */
typedef enum lm_act {
    LM_ACT_NONE = 0, LM_ACT_RELU = 1, LM_ACT_SIGMOID = 2, LM_ACT_TANH = 3, LM_ACT_GELU = 4,
    LM_NACT
} lm_act;
/* act(x @ w + bias), the Dense layer's forward pass in one pass over the output: x (..., K) of
 * rank >= 1, w (K, N), bias (N,) or NULL, one float dtype for all (float16 / bfloat16 compute in
 * float32). The result has shape x.shape[:-1] + (N,). Bias and activation are applied to each
 * tile of the product while it is still in cache. */
lm_status lm_dense(const lm_tensor *x, const lm_tensor *w, const lm_tensor *bias, lm_act act,
                   lm_tensor **out);

/* ---- convolution and pooling (csrc/ops/conv*.c, pool.c) ----------------------------------------
 * Channels last: x is (batch, spatial..., channels) with nsp = 1, 2 or 3 spatial dims; a filter
 * is (spatial..., in_channels / groups, out_channels) (tf's HWIO); groups = channels /
 * filter in_channels. Padding is explicit (tf's "SAME" split is computed by the caller):
 * out = (in + before + after - ((k - 1) * dilation + 1)) / stride + 1. Float dtypes (float16 and
 * bfloat16 compute in float32). All are recorded on the tape; their gradients are each other. */
typedef struct lm_window {
    int nsp;                           /* spatial dims: 1, 2 or 3 */
    int64_t size[3];                   /* pooling window (convolutions take it from the filter) */
    int64_t strides[3], dilations[3];  /* >= 1 */
    int64_t pad_before[3], pad_after[3];
} lm_window;
/* act(conv(x, w) + bias); bias (out_channels,) or NULL. Under a tape that tracks an input, the
 * bias and activation are applied by recorded ops. */
lm_status lm_conv(const lm_tensor *x, const lm_tensor *w, const lm_tensor *bias, lm_act act,
                  const lm_window *win, lm_tensor **out);
/* The gradient of conv with respect to x (the transposed convolution): x's shape is given. */
lm_status lm_conv_backprop_input(const lm_tensor *g, const lm_tensor *w, int ndim,
                                 const int64_t *input_shape, const lm_window *win, lm_tensor **out);
/* The gradient of conv with respect to w: w's shape is given. */
lm_status lm_conv_backprop_filter(const lm_tensor *x, const lm_tensor *g, int ndim,
                                  const int64_t *filter_shape, const lm_window *win,
                                  lm_tensor **out);
/* Max or average pooling over win->size windows; padded positions never count (the average
 * divides by the number of real elements in each window). */
lm_status lm_pool(int is_max, const lm_tensor *x, const lm_window *win, lm_tensor **out);
/* Gradients of pooling: max sends g to the first maximum of each window of x; average spreads
 * g / count over the window. max_pool_gradgrad(x, h) reads h at those maxima (the gradient of
 * max_pool_grad with respect to g). */
lm_status lm_max_pool_grad(const lm_tensor *x, const lm_tensor *g, const lm_window *win,
                           lm_tensor **out);
lm_status lm_max_pool_gradgrad(const lm_tensor *x, const lm_tensor *h, const lm_window *win,
                               lm_tensor **out);
lm_status lm_avg_pool_grad(int ndim, const int64_t *input_shape, const lm_tensor *g,
                           const lm_window *win, lm_tensor **out);

/* ---- int8 dense layer (csrc/quant/) ------------------------------------------------------------
 * Keras 3's Dense after quantize("int8"): the kernel as per-column int8 (K, N), row-major, values
 * in [-127, 127], with kernel_scale (N,) > 0 (w ~ w_q / scale), packed once; each call quantizes
 * every row of x (float32, (..., K)) to int8 by its absolute maximum, multiplies in int32 and
 * returns act(x_q @ w_q / (sx * scale) + bias) in float32. `kernel`: NULL for the one that suits
 * the active kernel table (lm_qdense_kernel), or a name of lm_qdense_kernels() (tests). */
typedef struct lm_qweight lm_qweight;
lm_status lm_qweight_pack(const int8_t *w, int64_t k, int64_t n, const float *scale,
                          lm_qweight **out);
void lm_qweight_free(lm_qweight *w);  /* NULL is fine */
lm_status lm_qdense(const lm_tensor *x, const lm_qweight *w, const lm_tensor *bias, lm_act act,
                    const char *kernel, lm_tensor **out);
const char *lm_qdense_kernel(void);   /* the kernel the active table uses: "avx512vnni", ... */
const char *lm_qdense_kernels(void);  /* comma-separated names of the kernels this CPU can run */

/* bfloat16 weights packed for AVX512_BF16 (vdpbf16ps): w (K, N) bfloat16 bits, row-major. lm_bf16dense
 * gives act(x @ w + bias) for bfloat16 x (..., K), summed in float32 and rounded to bfloat16
 * once (bias bfloat16 or float32). `kernel`: NULL for lm_bf16dense_kernel() ("avx512bf16" on
 * the avx512 table of a CPU with AVX512_BF16, else "ref"), or one of lm_bf16dense_kernels(). */
typedef struct lm_bf16w lm_bf16w;
lm_status lm_bf16w_pack(const uint16_t *w, int64_t k, int64_t n, lm_bf16w **out);
void lm_bf16w_free(lm_bf16w *w);
lm_status lm_bf16dense(const lm_tensor *x, const lm_bf16w *w, const lm_tensor *bias, lm_act act,
                       const char *kernel, lm_tensor **out);
const char *lm_bf16dense_kernel(void);
const char *lm_bf16dense_kernels(void);

/* ---- gradient tape (csrc/autodiff/) ----------------------------------------------------------
 * Reverse-mode gradients with tf.GradientTape's semantics. A tape records while it is active on a
 * thread (lm_tape_push .. lm_tape_pop; tapes are per thread and may nest). An op is recorded onto
 * an active tape when one of its inputs is tracked by it: watched (lm_tape_watch) or the output
 * of an op it recorded. Only float tensors are tracked. Backward rules run the same ops, so an
 * outer tape records them: nested tapes give higher derivatives. */
typedef struct lm_tape lm_tape;
lm_status lm_tape_new(int persistent, lm_tape **out);
void lm_tape_free(lm_tape *tape);          /* NULL is fine; pops it if active */
lm_status lm_tape_push(lm_tape *tape);     /* start recording on this thread */
lm_status lm_tape_pop(lm_tape *tape);      /* stop recording (the tape keeps what it holds) */
void lm_tape_pause(lm_tape *tape, int paused);  /* stop_recording(): 1 pauses, 0 resumes */
int lm_tape_active(const lm_tape *tape);   /* pushed and not popped: on a thread's stack */
int lm_tape_paused(const lm_tape *tape);   /* paused by lm_tape_pause (or its own gradient) */
/* A persistent tape keeps what it saved after lm_tape_gradient (jacobians need several passes). */
void lm_tape_set_persistent(lm_tape *tape, int persistent);
/* Track x (float dtypes only; other dtypes are ignored, as they cannot have a gradient). */
lm_status lm_tape_watch(lm_tape *tape, const lm_tensor *x);
int lm_tape_tracks(const lm_tape *tape, const lm_tensor *x);
void lm_tape_reset(lm_tape *tape);         /* forget every node and watched tensor */
int64_t lm_tape_num_nodes(const lm_tape *tape);
/* d(sum of targets)/d(source) for each source. seeds[i] (or NULL: ones) is the gradient flowing
 * into targets[i] and must have its shape and dtype; seeds itself may be NULL. grads[j] is NULL
 * when source j is not connected to any target. A non-persistent tape gives one set of gradients:
 * it frees what it saved and a second call is LM_ERUNTIME. While it runs, the tape records its own
 * backward ops only when it is persistent and recording (tf: gradients of gradients on one tape);
 * other tapes recording on this thread record them when they track their inputs. */
lm_status lm_tape_gradient(lm_tape *tape, int ntargets, const lm_tensor *const *targets,
                           const lm_tensor *const *seeds, int nsources,
                           const lm_tensor *const *sources, lm_tensor **grads);
/* tf.identity (recorded: the gradient passes through) and tf.stop_gradient (a view that no tape
 * tracks). Both share x's memory. */
lm_status lm_identity(const lm_tensor *x, lm_tensor **out);
lm_status lm_stop_gradient(const lm_tensor *x, lm_tensor **out);

#ifdef __cplusplus
}
#endif
#endif
