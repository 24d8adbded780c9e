/* dispatch.c — CPU feature detection (CPUID and XCR0) and the choice of kernel table. */
#include "internal.h"
#include "kernels/kernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
static void detect(bool *avx2, bool *avx512) {
    unsigned a, b, c, d;
    *avx2 = *avx512 = false;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return;
    uint64_t xcr0 = xgetbv0();
    bool ymm_os = (xcr0 & 0x6) == 0x6;           /* XMM and YMM state saved by the OS */
    bool zmm_os = (xcr0 & 0xe6) == 0xe6;         /* plus opmask and ZMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    bool has_avx2 = (b >> 5) & 1;
    bool f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    *avx2 = ymm_os && has_avx2 && fma;
    *avx512 = *avx2 && zmm_os && f && dq && bw && vl;
}
/* The int8 / bf16 extensions (CPUID leaf 7: AVX512_VNNI in ecx of subleaf 0; AVX-VNNI and
 * AVX512_BF16 in eax of subleaf 1), on top of the register state detect() found usable. */
static unsigned features(void) {
    bool avx2, avx512;
    detect(&avx2, &avx512);
    unsigned a, b, c, d, f = 0;
    if (avx2) f |= LM_CPU_AVX2;
    if (avx512) f |= LM_CPU_AVX512;
    if (!avx2 || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    if (avx512 && ((c >> 11) & 1)) f |= LM_CPU_AVX512VNNI;
    if (a >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        if ((a >> 4) & 1) f |= LM_CPU_AVXVNNI;
        if (avx512 && ((a >> 5) & 1)) f |= LM_CPU_AVX512BF16;
    }
    return f;
}
#else
static void detect(bool *avx2, bool *avx512) { *avx2 = *avx512 = false; }
static unsigned features(void) { return 0; }
#endif

/* The tables, filled once by init (each from the one below it: kernels/kernels.h). */
static lm_kernel_table g_ref;
#ifdef LAMINA_HAVE_AVX2
static lm_kernel_table g_avx2;
#endif
#ifdef LAMINA_HAVE_AVX512
static lm_kernel_table g_avx512;
#endif
static const lm_kernel_table *g_active = &g_ref;
static const lm_kernel_table *g_best = &g_ref;
static char g_available[64] = "ref";
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static unsigned g_features;  /* CPUID is read once: in a VM each one traps to the hypervisor */

static const lm_kernel_table *by_name(const char *name) {
    if (!strcmp(name, "ref")) return &g_ref;
    bool avx2, avx512;
    detect(&avx2, &avx512);
#ifdef LAMINA_HAVE_AVX2
    if (!strcmp(name, "avx2") && avx2) return &g_avx2;
#endif
#ifdef LAMINA_HAVE_AVX512
    if (!strcmp(name, "avx512") && avx512) return &g_avx512;
#endif
    return NULL;
}

static void init(void) {
    g_features = features();
    bool avx2, avx512;
    detect(&avx2, &avx512);
    lm_kernels_init_ref(&g_ref);
#ifdef LAMINA_HAVE_AVX2
    if (avx2) {
        lm_kernels_init_avx2(&g_avx2);
        g_best = &g_avx2;
        strcat(g_available, ",avx2");
    }
#endif
#ifdef LAMINA_HAVE_AVX512
    if (avx512) {
        lm_kernels_init_avx512(&g_avx512);
        g_best = &g_avx512;
        strcat(g_available, ",avx512");
    }
#endif
    g_active = g_best;
    const char *env = getenv("LAMINA_ISA");
    if (env && *env) {
        const lm_kernel_table *t = by_name(env);
        if (t) g_active = t;  /* an unknown or unsupported name keeps the best: never crash */
    }
}

const lm_kernel_table *lm_kernels(void) {
    pthread_once(&g_once, init);
    return __atomic_load_n(&g_active, __ATOMIC_ACQUIRE);
}

const char *lm_isa(void) { return lm_kernels()->name; }

unsigned lm_cpu_features(void) {
    pthread_once(&g_once, init);
    return g_features;
}

const char *lm_isa_available(void) {
    pthread_once(&g_once, init);
    return g_available;
}

lm_status lm_set_isa(const char *name) {
    pthread_once(&g_once, init);
    const lm_kernel_table *t = name ? by_name(name) : NULL;
    if (!t) return lm_fail(LM_EVALUE, "set_isa: '%s' is not one of the kernel sets available here (%s)",
                           name ? name : "(null)", g_available);
    __atomic_store_n(&g_active, t, __ATOMIC_RELEASE);
    return LM_OK;
}

const char *lm_version(void) { return LAMINA_VERSION; }
