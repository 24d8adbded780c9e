/* elementwise.c — what the elementwise ops share: TF's op names (the rows of ops.def) and the
 * float16/bfloat16 loop that runs a float32 loop over converted chunks. The ops themselves are in
 * binary.c, unary.c and where_clip.c. */
#include "elementwise.h"

#include <string.h>

static const char *const BINOP_NAMES[LM_NBINOP] = {
#define LM_BINARY(ID, name, ...) [LM_##ID] = #name,
#include "ops.def"
};

static const char *const UNOP_NAMES[LM_NUNOP] = {
#define LM_UNARY(ID, name, ...) [LM_##ID] = #name,
#include "ops.def"
};

const char *lm_binop_name(lm_binop op) {
    return (unsigned)op < LM_NBINOP ? BINOP_NAMES[op] : "invalid_binary_op";
}

const char *lm_unop_name(lm_unop op) {
    return (unsigned)op < LM_NUNOP ? UNOP_NAMES[op] : "invalid_unary_op";
}

/* 256 elements per operand: 4 KiB of stack for four operands, long enough runs for the float32
 * loop to vectorize. */
#define HALF_CHUNK 256

static void load_half(float *dst, const char *src, int64_t step, int64_t m, lm_dtype dt) {
    uint16_t h;
    if (dt == LM_FLOAT16) {
        for (int64_t i = 0; i < m; i++, src += step) {
            memcpy(&h, src, 2);
            dst[i] = lm_f16_to_f32(h);
        }
    } else {
        for (int64_t i = 0; i < m; i++, src += step) {
            memcpy(&h, src, 2);
            dst[i] = lm_bf16_to_f32(h);
        }
    }
}

static void store_half(char *dst, int64_t step, const float *src, int64_t m, lm_dtype dt) {
    uint16_t h;
    if (dt == LM_FLOAT16) {
        for (int64_t i = 0; i < m; i++, dst += step) {
            h = lm_f32_to_f16(src[i]);
            memcpy(dst, &h, 2);
        }
    } else {
        for (int64_t i = 0; i < m; i++, dst += step) {
            h = lm_f32_to_bf16(src[i]);
            memcpy(dst, &h, 2);
        }
    }
}

void lm_ew_half_loop(int64_t n, char **p, const int64_t *step, void *vctx) {
    const lm_ew_half *h = (const lm_ew_half *)vctx;
    if (n <= 0) return;
    float buf[LM_MAX_ARGS][HALF_CHUNK];
    char *q[LM_MAX_ARGS];            /* what the float32 loop reads and writes */
    int64_t qstep[LM_MAX_ARGS];
    char *cur[LM_MAX_ARGS];          /* where the next chunk starts in the real operands */
    for (int k = 0; k < h->nargs; k++) {
        cur[k] = p[k];
        q[k] = (char *)buf[k];
        qstep[k] = (int64_t)sizeof(float);
        if (k > 0 && step[k] == 0) {  /* a broadcast scalar: convert it once */
            load_half(buf[k], p[k], 0, 1, h->half);
            qstep[k] = 0;
        }
    }
    if (h->out_bool) qstep[0] = 1;  /* the float32 loop writes bytes into buf[0] */
    for (int64_t done = 0; done < n;) {
        int64_t m = n - done < HALF_CHUNK ? n - done : HALF_CHUNK;
        for (int k = 1; k < h->nargs; k++) {
            if (step[k] == 0) continue;
            load_half(buf[k], cur[k], step[k], m, h->half);
            cur[k] += m * step[k];
        }
        h->f32(m, q, qstep, h->ctx);
        if (h->out_bool) {
            const uint8_t *r = (const uint8_t *)buf[0];
            char *o = cur[0];
            for (int64_t i = 0; i < m; i++, o += step[0]) *(uint8_t *)o = r[i];
        } else {
            store_half(cur[0], step[0], buf[0], m, h->half);
        }
        cur[0] += m * step[0];
        done += m;
    }
}
