/* idmap.c — an open-addressing hash map from tensor id to pointer (linear probing). The tape
 * uses it as the set of tracked ids and as the map of accumulated gradients. Ids come from a
 * counter, so a multiplicative hash spreads them well. */
#include "tape_internal.h"

#include <stdlib.h>

static size_t slot_of(uint64_t id, size_t cap) {
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

void **lm_idmap_find(const lm_idmap *m, uint64_t id) {
    if (m->cap == 0) return NULL;
    for (size_t i = slot_of(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == id) return &m->vals[i];
        if (m->keys[i] == 0) return NULL;
    }
}

static lm_status grow(lm_idmap *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint64_t *keys = calloc(cap, sizeof *keys);
    void **vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return lm_fail(LM_ENOMEM, "GradientTape: out of memory for %zu tracked tensors", m->n);
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t j = slot_of(m->keys[i], cap);
        while (keys[j]) j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return LM_OK;
}

lm_status lm_idmap_put(lm_idmap *m, uint64_t id, void *val) {
    void **slot = lm_idmap_find(m, id);
    if (slot) {
        *slot = val;
        return LM_OK;
    }
    if (2 * (m->n + 1) > m->cap) {  /* keep the load at most one half */
        lm_status st = grow(m);
        if (st) return st;
    }
    size_t i = slot_of(id, m->cap);
    while (m->keys[i]) i = (i + 1) & (m->cap - 1);
    m->keys[i] = id;
    m->vals[i] = val;
    m->n++;
    return LM_OK;
}

void lm_idmap_clear(lm_idmap *m) {
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->n = 0;
}
