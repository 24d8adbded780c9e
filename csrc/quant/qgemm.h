/* qgemm.h — int8 x int8 -> int32 products for dynamically quantized dense layers (internal).
 *
 * Weights: per-output-channel int8 in [-127, 127] with a float32 scale per column (Keras 3's
 * layout: w_q = round(w * scale), scale = 127 / max|w[:, j]|), packed once into blocks of 16
 * columns by 4 k:
 *     data[(j16 * k4 + g) * 64 + c * 4 + t] = w_q[4 g + t, 16 j16 + c]
 * (k4 = ceil(K / 4) groups; zero past K and past N), the layout of VNNI's vpdpbusd, which sums
 * 4 byte products per 32-bit lane. colsum[j] = sum_k w_q[k, j] for kernels that feed unsigned
 * activations (x + 128) and take 128 colsum back off.
 *
 * Activations: each row quantized at run time, x_q = clip(round(x * sx), -127, 127) with
 * sx = 127 / (max|x_row| + 1e-7) (Keras's AbsMaxQuantizer), stored row-major with a row stride
 * of 4 k4 bytes, zero past K.
 *
 * A kernel computes, for rows [0, m) and 16-column blocks [jb0, jb1):
 *     y[i, j] = (float)(sum_k x_q[i, k] w_q[k, j]) / (sx[i] * scale[j])
 * the int32 sum exact (|sum| <= 127 * 127 * K < 2^31 for K < 133000), then Keras's float32
 * de-scaling, so every kernel gives the same bits. */
#ifndef LAMINA_QGEMM_H
#define LAMINA_QGEMM_H

#include <stdint.h>

typedef struct lm_qpacked {
    int64_t k, n, k4, nb;   /* K, N, ceil(K / 4), ceil(N / 16) */
    const int8_t *data;     /* nb * k4 * 64 bytes, 64-byte aligned */
    const int32_t *colsum;  /* nb * 16 */
    const float *scale;     /* nb * 16 (1 past N) */
} lm_qpacked;

typedef void (*lm_qgemm_fn)(int64_t m, int64_t jb0, int64_t jb1, const int8_t *xq,
                            const float *sx, const lm_qpacked *w, float *y, int64_t ldy);

/* Row quantization of m rows of K contiguous floats into x_q and sx (the layout above; every
 * version gives the same bytes). */
typedef void (*lm_qquant_fn)(int64_t m, int64_t k, int64_t k4, const float *x, int8_t *xq,
                             float *sx);
void lm_qquant_ref(int64_t m, int64_t k, int64_t k4, const float *x, int8_t *xq, float *sx);
void lm_qquant_avx512(int64_t m, int64_t k, int64_t k4, const float *x, int8_t *xq, float *sx);

/* The kernels (csrc/kernels/<isa>/qgemm_*.c) and their names. */
void lm_qgemm_ref(int64_t m, int64_t jb0, int64_t jb1, const int8_t *xq, const float *sx,
                  const lm_qpacked *w, float *y, int64_t ldy);
void lm_qgemm_avx2(int64_t m, int64_t jb0, int64_t jb1, const int8_t *xq, const float *sx,
                   const lm_qpacked *w, float *y, int64_t ldy);
void lm_qgemm_avxvnni(int64_t m, int64_t jb0, int64_t jb1, const int8_t *xq, const float *sx,
                      const lm_qpacked *w, float *y, int64_t ldy);
void lm_qgemm_avx512vnni(int64_t m, int64_t jb0, int64_t jb1, const int8_t *xq,
                         const float *sx, const lm_qpacked *w, float *y, int64_t ldy);

/* ---- bfloat16 weights (quant/bf16dense.c) -------------------------------------------------
 * W (K x N, bfloat16) packed once into blocks of 16 columns by 2 k, the layout of vdpbf16ps,
 * which sums two bf16 products per float32 lane:
 *     data[(j16 * k2 + g) * 32 + c * 2 + t] = w[2 g + t, 16 j16 + c]   (zero past K and N)
 * x: rows of bfloat16 with a row stride of 2 k2 elements, zero past K. A kernel computes
 * y[i, j] = sum_k x[i, k] w[k, j] in float32 for rows [0, m) and blocks [jb0, jb1). */
typedef struct lm_bpacked {
    int64_t k, n, k2, nb;   /* K, N, ceil(K / 2), ceil(N / 16) */
    const uint16_t *data;   /* nb * k2 * 32 values, 64-byte aligned */
} lm_bpacked;

typedef void (*lm_bgemm_fn)(int64_t m, int64_t jb0, int64_t jb1, const uint16_t *x,
                            const lm_bpacked *w, float *y, int64_t ldy);
void lm_bgemm_ref(int64_t m, int64_t jb0, int64_t jb1, const uint16_t *x, const lm_bpacked *w,
                  float *y, int64_t ldy);
void lm_bgemm_avx512bf16(int64_t m, int64_t jb0, int64_t jb1, const uint16_t *x,
                         const lm_bpacked *w, float *y, int64_t ldy);
/* n floats to bfloat16 as lm_f32_to_bf16 (kernels/avx512vnni/bgemm_bf16.c) */
void lm_f32_to_bf16_avx512(int64_t n, const float *src, uint16_t *dst);

#endif
