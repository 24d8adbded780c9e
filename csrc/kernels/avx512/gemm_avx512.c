/* The AVX-512 table's GEMM kernel sets.
 *
 * lm_gemm_avx512_f32 / _f64, which the table uses, are the AVX2 + FMA kernels of
 * kernels/avx2/gemm_avx2.inc built with this folder's flags: the only kernels tested so far (the
 * development machine has no AVX-512).
 *
 * lm_gemm_avx512_12x32_f32 below is BLIS's skx 32 x 12 tile transposed for row-major C: 12 rows
 * of A broadcast against two zmm of B, 24 accumulators, masked stores for edge tiles. It compiles
 * here but has never run: to adopt it, point `.gemm_f32` of kernels/avx512/table.c at it and run
 * tests/test_gemm_isa.py (and bench/ for the blocking) on an AVX-512 machine. */
#define LM_GEMM_ISA avx512
#include "../avx2/gemm_avx2.inc"

/* Packing for 12-row panels of A and 32-column panels of B (gemm/gemm.h's layout). */
DEFINE_PACK(pack12_f32, float, 12)
DEFINE_PACK(pack32_f32, float, 32)

static void ukernel_12x32_f32(int64_t m, int64_t n, int64_t kc, const float *restrict a,
                              const float *restrict b, int64_t ldb, float *restrict c,
                              int64_t rsc, int64_t csc, int accumulate) {
    __m512 acc[12][2];
    _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) acc[i][0] = acc[i][1] =
        _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; p++, a += 12, b += ldb) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    if (csc == 1) {  /* rows of C: masked to the tile's n columns */
        __mmask16 k0 = n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1);
        __mmask16 k1 = n >= 32 ? 0xffff : n <= 16 ? 0 : (__mmask16)((1u << (n - 16)) - 1);
        _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) {
            if (i >= m) break;
            float *ci = c + i * rsc;
            __m512 v0 = acc[i][0], v1 = acc[i][1];
            if (accumulate) {
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(k0, ci));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(k1, ci + 16));
            }
            _mm512_mask_storeu_ps(ci, k0, v0);
            _mm512_mask_storeu_ps(ci + 16, k1, v1);
        }
        return;
    }
    _Alignas(64) float t[32];
    for (int64_t i = 0; i < m; i++) {
        _mm512_store_ps(t, acc[i][0]);
        _mm512_store_ps(t + 16, acc[i][1]);
        for (int64_t j = 0; j < n; j++) {
            float *dst = c + i * rsc + j * csc;
            *dst = accumulate ? *dst + t[j] : t[j];
        }
    }
}

/* BLIS zen4 / zen5 sgemm blocking (MC 512, KC 480, NC 6144 for its column-major 32 x 12 tile)
 * adapted to this driver's loop order (B panel outer, A block inner): mc 480 (a 12-row multiple;
 * A's 480 x 480 block, 900 KiB, in a 1 MiB L2), kc 480 (a 12 x 480 sliver of A, 22.5 KiB, and a
 * 480 x 32 sliver of B, 60 KiB, stream from L1/L2), nc 6144 (B's 480 x 6144 panel, 11 MiB, in
 * L3). Untested: sweep with bench/ before use. */
const lm_gemm_kernel_f32 lm_gemm_avx512_12x32_f32 = {
    .name = "avx512-12x32", .mr = 12, .nr = 32, .mc = 480, .kc = 480, .nc = 6144, .small = 8,
    .direct_b = 0, .ukernel = ukernel_12x32_f32, .pack_a = pack12_f32, .pack_b = pack32_f32,
    .skinny = skinny_f32, .epilogue = epilogue_f32,
};
