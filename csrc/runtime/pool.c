/* pool.c — lamina's own thread pool.
 *
 * The calling thread always takes part; workers are started lazily on the first parallel job and
 * spin briefly before sleeping (waking a sleeping thread costs ~23 us here, more than a small
 * kernel). Work is split statically into one contiguous range per thread, so a result never
 * depends on scheduling. A second caller that finds the pool busy (another Python thread) runs
 * its job inline instead of waiting. Nested calls from inside a job run inline. The pool is
 * fork-safe: the child starts with no workers and restarts them when it needs them. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define MAX_THREADS 256
#define SPIN_ROUNDS 20000  /* ~50 us of pause instructions before a worker sleeps */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake;      /* workers wait here for a new generation */
    pthread_cond_t done;      /* the caller waits here for pending == 0 */
    pthread_cond_t idle;      /* set_num_threads waits here for busy == 0 */
    int target;               /* threads a job may use, the caller included */
    int started;              /* worker threads alive */
    int shutdown;
    int busy;
    pthread_t tids[MAX_THREADS];
    /* the current job */
    uint64_t generation;
    lm_range_fn fn;
    void *ctx;
    int64_t n;
    int nparts;
    int next;                 /* next part to take (atomic) */
    int pending;              /* parts not finished (atomic) */
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
       PTHREAD_COND_INITIALIZER};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static _Thread_local int t_in_job;
static void init(void);

static void run_parts(void) {
    for (;;) {
        int p = __atomic_fetch_add(&P.next, 1, __ATOMIC_ACQ_REL);
        if (p >= P.nparts) return;
        int64_t begin = P.n * p / P.nparts, end = P.n * (p + 1) / P.nparts;
        P.fn(P.ctx, begin, end);
        if (__atomic_sub_fetch(&P.pending, 1, __ATOMIC_ACQ_REL) == 0) {
            pthread_mutex_lock(&P.mu);
            pthread_cond_signal(&P.done);
            pthread_mutex_unlock(&P.mu);
        }
    }
}

/* arg: the generation before the job that started this worker, so that it takes part in that
 * job (it is created under the lock, and the job's generation is published before it runs). */
static void *worker(void *arg) {
    t_in_job = 1;
    uint64_t seen = (uint64_t)(uintptr_t)arg;
    for (;;) {
        for (int i = 0; i < SPIN_ROUNDS && __atomic_load_n(&P.generation, __ATOMIC_ACQUIRE) == seen &&
                        !__atomic_load_n(&P.shutdown, __ATOMIC_ACQUIRE); i++)
            CPU_RELAX();
        pthread_mutex_lock(&P.mu);
        while (P.generation == seen && !P.shutdown) pthread_cond_wait(&P.wake, &P.mu);
        if (P.shutdown) {
            pthread_mutex_unlock(&P.mu);
            return NULL;
        }
        seen = P.generation;
        pthread_mutex_unlock(&P.mu);
        run_parts();
    }
}

/* Why a thread-count variable was ignored or capped, for lm_threads_env_note (once, at start). */
static char g_env_note[320];

/* A thread count from the environment: a positive decimal integer (OMP_NUM_THREADS may be a
 * list of counts per nesting level: its first is used). 0 when the value is anything else. */
static long parse_threads(const char *name, const char *v) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end != v && *end == ',' && name[0] == 'O') end += strlen(end);  /* inner levels */
    while (*end == ' ' || *end == '\t' || *end == '\n') end++;
    return end == v || *end || errno || n < 1 ? 0 : n;
}

static int default_threads(void) {
    const char *names[] = {"LAMINA_NUM_THREADS", "OMP_NUM_THREADS"};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) cpus = 1;
    /* more threads than this only slow kernels down (they time-share the cores) */
    long cap = 4 * cpus < MAX_THREADS ? 4 * cpus : MAX_THREADS;
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        if (!v || !*v) continue;
        long n = parse_threads(names[i], v);
        if (n < 1) {
            snprintf(g_env_note, sizeof g_env_note, "%s=%.40s is not a positive integer; "
                     "ignored", names[i], v);
            continue;
        }
        if (n > cap) {
            snprintf(g_env_note, sizeof g_env_note, "%s=%ld is more than %ld threads (4 per "
                     "CPU, %ld CPUs); using %ld", names[i], n, cap, cpus, cap);
            n = cap;
        }
        return (int)n;
    }
    return (int)(cpus < MAX_THREADS ? cpus : MAX_THREADS);
}

const char *lm_threads_env_note(void) {
    pthread_once(&g_once, init);
    return g_env_note[0] ? g_env_note : NULL;
}

/* fork: hold the lock across fork so the child's copy is consistent; the child has no workers. */
static void atfork_prepare(void) { pthread_mutex_lock(&P.mu); }
static void atfork_parent(void) { pthread_mutex_unlock(&P.mu); }
static void atfork_child(void) {
    pthread_mutex_init(&P.mu, NULL);
    pthread_cond_init(&P.wake, NULL);
    pthread_cond_init(&P.done, NULL);
    pthread_cond_init(&P.idle, NULL);
    P.started = 0;
    P.shutdown = 0;
    P.busy = 0;
    t_in_job = 0;
}

static void init(void) {
    P.target = default_threads();
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* With the lock held and the pool marked busy by the caller (so that no job starts and no
 * other resizer joins the same threads while the lock is dropped): stop every worker. */
static void stop_workers(void) {
    P.shutdown = 1;
    pthread_cond_broadcast(&P.wake);
    int n = P.started;
    pthread_mutex_unlock(&P.mu);
    for (int i = 0; i < n; i++) pthread_join(P.tids[i], NULL);
    pthread_mutex_lock(&P.mu);
    P.started = 0;
    P.shutdown = 0;
}

int lm_get_num_threads(void) {
    pthread_once(&g_once, init);
    return __atomic_load_n(&P.target, __ATOMIC_RELAXED);
}

lm_status lm_set_num_threads(int n) {
    pthread_once(&g_once, init);
    if (n < 1 || n > MAX_THREADS)
        return lm_fail(LM_EVALUE, "set_num_threads: %d is outside 1..%d", n, MAX_THREADS);
    if (t_in_job) return lm_fail(LM_ERUNTIME, "set_num_threads: cannot resize from inside a job");
    pthread_mutex_lock(&P.mu);
    while (P.busy) pthread_cond_wait(&P.idle, &P.mu);
    if (P.started > n - 1) {  /* growing starts workers lazily at the next job */
        P.busy = 1;           /* jobs meanwhile run inline; other resizers wait */
        stop_workers();
        P.busy = 0;
        pthread_cond_broadcast(&P.idle);
    }
    __atomic_store_n(&P.target, n, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&P.mu);
    return LM_OK;
}

void lm_parallel_for(int64_t n, int64_t min_chunk, lm_range_fn fn, void *ctx) {
    if (n <= 0) return;
    pthread_once(&g_once, init);
    int64_t parts = min_chunk > 0 ? n / min_chunk : n;
    int threads = __atomic_load_n(&P.target, __ATOMIC_RELAXED);
    if (parts > threads) parts = threads;
    if (parts < 2 || t_in_job) {
        fn(ctx, 0, n);
        return;
    }
    pthread_mutex_lock(&P.mu);
    if (P.busy) {  /* another thread's job is running: do ours here rather than wait */
        pthread_mutex_unlock(&P.mu);
        fn(ctx, 0, n);
        return;
    }
    P.busy = 1;
    while (P.started < parts - 1) {
        if (pthread_create(&P.tids[P.started], NULL, worker, (void *)(uintptr_t)P.generation) != 0)
            break;
        P.started++;
    }
    if (P.started == 0) {  /* no thread could be started: run inline */
        P.busy = 0;
        pthread_cond_broadcast(&P.idle);
        pthread_mutex_unlock(&P.mu);
        fn(ctx, 0, n);
        return;
    }
    if (parts > P.started + 1) parts = P.started + 1;
    P.fn = fn;
    P.ctx = ctx;
    P.n = n;
    P.nparts = (int)parts;
    __atomic_store_n(&P.next, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&P.pending, (int)parts, __ATOMIC_RELAXED);
    __atomic_add_fetch(&P.generation, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.mu);

    t_in_job = 1;
    run_parts();
    t_in_job = 0;
    for (int i = 0; i < SPIN_ROUNDS && __atomic_load_n(&P.pending, __ATOMIC_ACQUIRE); i++) CPU_RELAX();
    pthread_mutex_lock(&P.mu);
    while (__atomic_load_n(&P.pending, __ATOMIC_ACQUIRE)) pthread_cond_wait(&P.done, &P.mu);
    P.busy = 0;
    pthread_cond_broadcast(&P.idle);
    pthread_mutex_unlock(&P.mu);
}
