/* iter.c — the N-d loop engine every elementwise op runs on, and strided copies. */
#include "internal.h"

#include <string.h>

/* A loop nest after coalescing: `m` dims (the last is the inner run) and byte steps per operand. */
typedef struct {
    int m, nargs;
    int64_t dims[LM_MAX_NDIM + 1];
    int64_t steps[LM_MAX_NDIM + 1][LM_MAX_ARGS];
    char *base[LM_MAX_ARGS];
    lm_loop_fn loop;
    void *ctx;
} nest;

/* Drop size-1 dims and merge neighbours that every operand walks as one run. Returns 0 when the
 * index space is empty. */
static int coalesce(nest *L, int ndim, const int64_t *shape, int nargs, char *const *base,
                    const int64_t *const *strides, const size_t *size) {
    int nd = 0;
    L->nargs = nargs;
    for (int k = 0; k < nargs; k++) L->base[k] = base[k];
    /* empty first: an empty space's other dims may be huge, and their steps would overflow */
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0) return 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 1) continue;
        if (nd > 0) {
            bool merge = true;
            for (int k = 0; k < nargs && merge; k++)
                merge = L->steps[nd - 1][k] == strides[k][i] * (int64_t)size[k] * shape[i];
            if (merge) {
                L->dims[nd - 1] *= shape[i];
                for (int k = 0; k < nargs; k++) L->steps[nd - 1][k] = strides[k][i] * (int64_t)size[k];
                continue;
            }
        }
        L->dims[nd] = shape[i];
        for (int k = 0; k < nargs; k++) L->steps[nd][k] = strides[k][i] * (int64_t)size[k];
        nd++;
    }
    if (nd == 0) {  /* a single element */
        L->dims[0] = 1;
        for (int k = 0; k < nargs; k++) L->steps[0][k] = 0;
        nd = 1;
    }
    L->m = nd;
    return 1;
}

/* Run the inner loop for outer rows [r0, r1) (rows index every dim but the last). */
static void run_rows(const nest *L, int64_t r0, int64_t r1) {
    int m = L->m, nargs = L->nargs;
    int64_t inner = L->dims[m - 1];
    const int64_t *istep = L->steps[m - 1];
    char *p[LM_MAX_ARGS];
    int64_t idx[LM_MAX_NDIM] = {0};
    int64_t r = r0;
    for (int d = m - 2; d >= 0; d--) {  /* the multi-index of row r0 */
        idx[d] = r % L->dims[d];
        r /= L->dims[d];
    }
    for (int k = 0; k < nargs; k++) {
        p[k] = L->base[k];
        for (int d = 0; d < m - 1; d++) p[k] += idx[d] * L->steps[d][k];
    }
    for (int64_t row = r0; row < r1; row++) {
        L->loop(inner, p, istep, L->ctx);
        for (int d = m - 2; d >= 0; d--) {
            for (int k = 0; k < nargs; k++) p[k] += L->steps[d][k];
            if (++idx[d] < L->dims[d]) break;
            for (int k = 0; k < nargs; k++) p[k] -= L->steps[d][k] * L->dims[d];
            idx[d] = 0;
        }
    }
}

/* Coalesce and attach the loop; returns the number of outer rows, 0 for an empty space. */
static int64_t prepare(nest *L, int ndim, const int64_t *shape, int nargs, char *const *base,
                       const int64_t *const *strides, const size_t *size, lm_loop_fn loop,
                       void *ctx) {
    if (!coalesce(L, ndim, shape, nargs, base, strides, size)) return 0;
    L->loop = loop;
    L->ctx = ctx;
    int64_t rows = 1;
    for (int d = 0; d < L->m - 1; d++) rows *= L->dims[d];
    return rows;
}

void lm_iterate(int ndim, const int64_t *shape, int nargs, char *const *base,
                const int64_t *const *strides, const size_t *size, lm_loop_fn loop, void *ctx) {
    nest L;
    int64_t rows = prepare(&L, ndim, shape, nargs, base, strides, size, loop, ctx);
    if (rows) run_rows(&L, 0, rows);
}

/* ---- the parallel form: outer rows, or pieces of one long run, split over the pool ---------- */
#define PAR_PIECE 16384       /* a long single run is cut into pieces of this many elements */

static void par_rows(void *ctx, int64_t r0, int64_t r1) { run_rows((const nest *)ctx, r0, r1); }

void lm_iterate_par(int ndim, const int64_t *shape, int nargs, char *const *base,
                    const int64_t *const *strides, const size_t *size, lm_loop_fn loop, void *ctx) {
    nest L;
    int64_t rows = prepare(&L, ndim, shape, nargs, base, strides, size, loop, ctx);
    if (!rows) return;
    int64_t total = rows * L.dims[L.m - 1];
    if (total < LM_PAR_MIN_ELEMS) {
        run_rows(&L, 0, rows);
        return;
    }
    if (L.m == 1 || rows < 4) {
        /* Few rows: cut the inner run into pieces and make them the rows. */
        int64_t inner = L.dims[L.m - 1];
        if (inner % PAR_PIECE == 0 && L.m < LM_MAX_NDIM + 1) {
            L.dims[L.m - 1] = inner / PAR_PIECE;
            L.dims[L.m] = PAR_PIECE;
            for (int k = 0; k < nargs; k++) {
                L.steps[L.m][k] = L.steps[L.m - 1][k];
                L.steps[L.m - 1][k] *= PAR_PIECE;
            }
            L.m++;
            rows *= inner / PAR_PIECE;
        } else if (L.m == 1) {
            /* A ragged single run: split into even ranges by hand. */
            int64_t pieces = (inner + PAR_PIECE - 1) / PAR_PIECE;
            nest P = L;
            P.m = 2;
            P.dims[0] = pieces;
            P.dims[1] = PAR_PIECE;
            for (int k = 0; k < nargs; k++) {
                P.steps[1][k] = L.steps[0][k];
                P.steps[0][k] = L.steps[0][k] * PAR_PIECE;
            }
            /* all full pieces in parallel, the ragged tail here */
            lm_parallel_for(pieces - 1, 2, par_rows, &P);
            char *p[LM_MAX_ARGS];
            for (int k = 0; k < nargs; k++) p[k] = L.base[k] + (pieces - 1) * P.steps[0][k];
            loop(inner - (pieces - 1) * PAR_PIECE, p, L.steps[0], ctx);
            return;
        }
    }
    int64_t row_len = total / rows;
    lm_parallel_for(rows, (PAR_PIECE + row_len - 1) / row_len, par_rows, &L);
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
    lm_iterate_par(ndim, shape, 2, base, strides, size, fn, NULL);
}
