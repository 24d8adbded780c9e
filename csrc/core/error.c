/* error.c — the thread-local error message behind every failing lm_status. */
#include "internal.h"

#include <stdio.h>

static _Thread_local char g_msg[1024];
static _Thread_local lm_status g_status;

lm_status lm_fail(lm_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_msg, sizeof g_msg, fmt, ap);
    va_end(ap);
    g_status = s;
    return s;
}

const char *lm_last_error(void) { return g_msg; }
lm_status lm_last_status(void) { return g_status; }
void lm_clear_error(void) {
    g_msg[0] = 0;
    g_status = LM_OK;
}

const char *lm_fmt_shape(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "(");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < n) k += (size_t)snprintf(buf + k, n - k, ndim == 1 ? ",)" : ")");
    return buf;
}
