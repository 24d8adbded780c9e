/* bgemm_ref.c — the portable bfloat16 kernel (quant/qgemm.h's lm_bgemm contract): each bf16
 * widened to float32 (exact), products summed in float32 pair by pair, the order vdpbf16ps
 * uses (the hardware rounds slightly differently: no bit-for-bit promise between the two). */
#include <string.h>

#include "quant/qgemm.h"

static inline float widen(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void lm_bgemm_ref(int64_t m, int64_t jb0, int64_t jb1, const uint16_t *x, const lm_bpacked *w,
                  float *y, int64_t ldy) {
    const int64_t k2 = w->k2;
    for (int64_t jb = jb0; jb < jb1; jb++) {
        const uint16_t *blk = w->data + jb * k2 * 32;
        for (int64_t i = 0; i < m; i++) {
            const uint16_t *xi = x + i * 2 * k2;
            float acc[16] = {0};
            for (int64_t g = 0; g < k2; g++) {
                float x0 = widen(xi[2 * g]), x1 = widen(xi[2 * g + 1]);
                for (int c = 0; c < 16; c++)
                    acc[c] += x0 * widen(blk[g * 32 + c * 2]) + x1 * widen(blk[g * 32 + c * 2 + 1]);
            }
            for (int c = 0; c < 16 && jb * 16 + c < w->n; c++) y[i * ldy + jb * 16 + c] = acc[c];
        }
    }
}
