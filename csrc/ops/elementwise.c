/* STUB — to be written: lm_binary, lm_unary, lm_where, lm_clip, lm_binop_name, lm_unop_name. */
#include "internal.h"
#define TODO(name) return lm_fail(LM_ENOTIMPL, "%s is not implemented yet", name)
lm_status lm_binary(lm_binop op, const lm_tensor *a, const lm_tensor *b, lm_tensor **out) { *out = NULL; TODO("binary"); }
lm_status lm_unary(lm_unop op, const lm_tensor *x, lm_tensor **out) { *out = NULL; TODO("unary"); }
lm_status lm_where(const lm_tensor *cond, const lm_tensor *a, const lm_tensor *b, lm_tensor **out) { *out = NULL; TODO("where"); }
lm_status lm_clip(const lm_tensor *x, const lm_tensor *lo, const lm_tensor *hi, lm_tensor **out) { *out = NULL; TODO("clip_by_value"); }
const char *lm_binop_name(lm_binop op) { return "binary"; }
const char *lm_unop_name(lm_unop op) { return "unary"; }
