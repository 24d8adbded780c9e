/* iter.c — the N-d loop engine every elementwise op runs on, and strided copies. */
#include "internal.h"

#include <string.h>

void lm_iterate(int ndim, const int64_t *shape, int nargs, char *const *base,
                const int64_t *const *strides, const size_t *size, lm_loop_fn loop, void *ctx) {
    int64_t dims[LM_MAX_NDIM + 1];
    int64_t steps[LM_MAX_NDIM + 1][LM_MAX_ARGS]; /* bytes */
    int nd = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0) return;
        if (shape[i] == 1) continue;  /* size-1 dims contribute nothing */
        dims[nd] = shape[i];
        for (int k = 0; k < nargs; k++) steps[nd][k] = strides[k][i] * (int64_t)size[k];
        nd++;
    }
    /* Merge dim i-1 into dim i when every operand steps over it as one longer run. */
    int m = 0;
    for (int i = 0; i < nd; i++) {
        if (m > 0) {
            bool merge = true;
            for (int k = 0; k < nargs && merge; k++)
                merge = steps[m - 1][k] == steps[i][k] * dims[i];
            if (merge) {
                dims[m - 1] *= dims[i];
                for (int k = 0; k < nargs; k++) steps[m - 1][k] = steps[i][k];
                continue;
            }
        }
        dims[m] = dims[i];
        for (int k = 0; k < nargs; k++) steps[m][k] = steps[i][k];
        m++;
    }
    if (m == 0) {  /* a single element */
        dims[0] = 1;
        for (int k = 0; k < nargs; k++) steps[0][k] = 0;
        m = 1;
    }
    char *p[LM_MAX_ARGS];
    for (int k = 0; k < nargs; k++) p[k] = base[k];
    int64_t inner = dims[m - 1];
    const int64_t *istep = steps[m - 1];
    if (m == 1) {
        loop(inner, p, istep, ctx);
        return;
    }
    int64_t idx[LM_MAX_NDIM] = {0};
    for (;;) {
        loop(inner, p, istep, ctx);
        int d = m - 2;
        for (; d >= 0; d--) {
            for (int k = 0; k < nargs; k++) p[k] += steps[d][k];
            if (++idx[d] < dims[d]) break;
            for (int k = 0; k < nargs; k++) p[k] -= steps[d][k] * dims[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

#define COPY_LOOP(NAME, T)                                                        \
    static void NAME(int64_t n, char **p, const int64_t *st, void *ctx) {         \
        (void)ctx;                                                                \
        char *d = p[0];                                                           \
        const char *s = p[1];                                                     \
        if (st[0] == (int64_t)sizeof(T) && st[1] == (int64_t)sizeof(T)) {         \
            memcpy(d, s, (size_t)n * sizeof(T));                                  \
            return;                                                               \
        }                                                                         \
        for (int64_t i = 0; i < n; i++, d += st[0], s += st[1]) *(T *)d = *(const T *)s; \
    }
COPY_LOOP(copy1, uint8_t)
COPY_LOOP(copy2, uint16_t)
COPY_LOOP(copy4, uint32_t)
COPY_LOOP(copy8, uint64_t)

void lm_copy_strided(int ndim, const int64_t *shape, char *dst, const int64_t *dst_strides,
                     const char *src, const int64_t *src_strides, size_t itemsize) {
    char *base[2] = {dst, (char *)src};
    const int64_t *strides[2] = {dst_strides, src_strides};
    size_t size[2] = {itemsize, itemsize};
    lm_loop_fn fn = itemsize == 1 ? copy1 : itemsize == 2 ? copy2 : itemsize == 4 ? copy4 : copy8;
    lm_iterate(ndim, shape, 2, base, strides, size, fn, NULL);
}
