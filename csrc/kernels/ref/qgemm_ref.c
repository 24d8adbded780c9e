/* qgemm_ref.c — the portable int8 kernel (quant/qgemm.h's contract): plain C over the packed
 * blocks, the oracle the vector kernels are tested against. */
#include "quant/qgemm.h"

void lm_qgemm_ref(int64_t m, int64_t jb0, int64_t jb1, const int8_t *xq, const float *sx,
                  const lm_qpacked *w, float *y, int64_t ldy) {
    const int64_t k4 = w->k4;
    for (int64_t jb = jb0; jb < jb1; jb++) {
        const int8_t *blk = w->data + jb * k4 * 64;
        for (int64_t i = 0; i < m; i++) {
            const int8_t *xi = xq + i * 4 * k4;
            int32_t acc[16] = {0};
            for (int64_t g = 0; g < k4; g++)
                for (int c = 0; c < 16; c++)
                    for (int t = 0; t < 4; t++)
                        acc[c] += (int32_t)xi[4 * g + t] * blk[g * 64 + c * 4 + t];
            for (int c = 0; c < 16 && jb * 16 + c < w->n; c++) {
                int64_t j = jb * 16 + c;
                y[i * ldy + j] = (float)acc[c] / (w->scale[j] * sx[i]);
            }
        }
    }
}
