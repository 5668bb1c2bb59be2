/*
 * runner.c - the thread pool behind the trainer's bookrec_parallel_fn. The core splits every batch into
 * n_tasks slices and calls the parallel function once per batch (about 25,000 times per epoch on
 * goodbooks), so waking threads with a condition variable each time would cost more than the work.
 * Instead the workers stay alive and spin on one atomic "ticket" (C11 stdatomic): a short busy spin,
 * then sched_yield, and after a long idle spell short sleeps so an idle pool does not burn a core.
 *
 * The ticket packs the call's generation (32 bits), its task count (16 bits) and the next unclaimed
 * task (16 bits); every thread, the caller included, claims a task with a compare-and-swap on it. A
 * claim can only succeed for the current call, so a worker that wakes late can never run a task of a
 * finished call, and the caller never waits for a worker that has not claimed anything: when the
 * workers are descheduled (a busy machine) the caller simply runs every slice itself. The caller
 * returns once all tasks are done. The core's result does not depend on which thread ran which slice.
 *
 * Adaptive: the core's result depends only on the number of slices, not on where they run, so the pool
 * may also run every slice on the caller's thread. On some machines handing small slices (a batch of 64
 * ratings is ~30 us of work) to another core costs more than it saves: measured here, two threads
 * trained an epoch in 0.25 s at times and in 0.65 s at others, one thread always in about 0.40 s. The
 * pool therefore times the calls of each task function both ways now and then (PROBE calls each way,
 * the time inside the call only) and runs that function's next EXPLOIT calls the faster way.
 * BOOKREC_POOL=parallel or =inline fixes the choice (benchmarks, tests).
 * Not a general-purpose pool: one caller at a time, no nesting.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_ITERS 4000   /* busy polls before yielding */
#define YIELD_ITERS 20000 /* sched_yield polls before sleeping */
#define MAX_TASKS 0xFFFF
#define PROBE 256         /* calls timed each way */
#define EXPLOIT 8192      /* calls run the chosen way before timing both ways again */
#define ADAPT_FNS 8       /* task functions tracked */

/* The adaptive state of one task function. */
typedef struct adapt {
    bookrec_task_fn fn;
    long calls;                   /* calls in the current phase */
    int phase;                    /* 0 timing parallel, 1 timing inline, 2 running the choice, 3 warming up */
    int inline_choice;            /* phase 2: run inline */
    double t_par, t_inl;          /* seconds inside the timed calls */
} adapt;

#define T_GEN(t) ((uint32_t)((t) >> 32))
#define T_N(t) ((int)(((t) >> 16) & 0xFFFF))
#define T_IDX(t) ((int)((t)&0xFFFF))

struct cli_runner {
    int n_threads;                /* including the caller */
    pthread_t *threads;
    _Atomic uint64_t ticket;      /* generation << 32 | n_tasks << 16 | next task */
    atomic_int done;              /* tasks finished in the current call */
    atomic_int stop;
    uint32_t gen;                 /* the caller's generation counter */
    bookrec_task_fn fn;           /* written before the ticket is published (release) */
    void *arg;
    /* adaptive choice between running the slices in parallel and running them all on the caller */
    int policy;                   /* 0 adaptive, 1 always parallel, 2 always inline */
    adapt fns[ADAPT_FNS];
    long n_calls, n_inline;       /* totals, for cli_runner_inline_share */
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The adaptive state of fn (a free slot, or the last one when all are taken). */
static adapt *adapt_of(cli_runner *r, bookrec_task_fn fn) {
    for (int k = 0; k < ADAPT_FNS; k++) {
        if (r->fns[k].fn == fn) return &r->fns[k];
        if (!r->fns[k].fn) {
            r->fns[k].fn = fn;
            r->fns[k].phase = 3; /* the first calls wake the workers and fault pages in: not timed */
            return &r->fns[k];
        }
    }
    return &r->fns[ADAPT_FNS - 1];
}

/* Whether the next call of a should run inline. */
static int adapt_inline(const adapt *a) {
    return a->phase == 1 || (a->phase == 2 && a->inline_choice);
}

/* Books a call of `dt` seconds and moves a to its next phase when the current one is over. */
static void adapt_after(adapt *a, double dt) {
    if (a->phase == 0) a->t_par += dt;
    else if (a->phase == 1) a->t_inl += dt;
    if (++a->calls < (a->phase == 2 ? EXPLOIT : PROBE)) return;
    a->calls = 0;
    if (a->phase == 3) {
        a->phase = 0;
        return;
    }
    if (a->phase == 1) a->inline_choice = a->t_inl < a->t_par;
    if (a->phase == 1 && getenv("BOOKREC_POOL_DEBUG")) fprintf(stderr, "pool: fn %p parallel %.1f us, inline %.1f us per call\n", (void *)a, 1e6 * a->t_par / PROBE, 1e6 * a->t_inl / PROBE);
    if (a->phase == 2) a->t_par = a->t_inl = 0.0;
    a->phase = (a->phase + 1) % 3;
}

double cli_runner_inline_share(const cli_runner *r) {
    return r && r->n_calls ? (double)r->n_inline / (double)r->n_calls : 0.0;
}

int cli_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 2) n = 2;
    if (n > 8) n = 8;
    return (int)n;
}

/* One idle poll: spin at first, then yield, then sleep briefly. */
static void idle_wait(unsigned long *polls) {
    unsigned long p = ++*polls;
    if (p < SPIN_ITERS) {
        CPU_RELAX();
    } else if (p < SPIN_ITERS + YIELD_ITERS) {
        sched_yield();
    } else {
        struct timespec ts = {0, 100000}; /* 0.1 ms */
        nanosleep(&ts, NULL);
    }
}

/* Claims and runs tasks of generation g until none is left or a new call started. */
static void run_tasks(cli_runner *r, uint32_t g) {
    uint64_t t = atomic_load_explicit(&r->ticket, memory_order_acquire);
    while (T_GEN(t) == g && T_IDX(t) < T_N(t)) {
        if (atomic_compare_exchange_weak_explicit(&r->ticket, &t, t + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            /* the call cannot finish before this task does, so fn/arg are this call's */
            r->fn(r->arg, T_IDX(t));
            atomic_fetch_add_explicit(&r->done, 1, memory_order_release);
            t = atomic_load_explicit(&r->ticket, memory_order_acquire);
        }
    }
}

static void *worker(void *p) {
    cli_runner *r = p;
    uint32_t seen = 0; /* the generation at creation; calls start at 1 */
    unsigned long polls = 0;
    for (;;) {
        uint64_t t = atomic_load_explicit(&r->ticket, memory_order_acquire);
        if (T_GEN(t) == seen) {
            idle_wait(&polls);
            continue;
        }
        if (atomic_load_explicit(&r->stop, memory_order_acquire)) return NULL;
        polls = 0;
        seen = T_GEN(t);
        run_tasks(r, seen);
    }
}

cli_runner *cli_runner_start(int n) {
    if (n <= 1) return NULL;
    cli_runner *r = calloc(1, sizeof *r);
    if (!r) cli_die("out of memory");
    r->threads = calloc((size_t)n, sizeof(pthread_t));
    if (!r->threads) cli_die("out of memory");
    atomic_init(&r->ticket, 0);
    atomic_init(&r->done, 0);
    atomic_init(&r->stop, 0);
    r->n_threads = 1;
    const char *pol = getenv("BOOKREC_POOL");
    r->policy = pol && !strcmp(pol, "parallel") ? 1 : pol && !strcmp(pol, "inline") ? 2 : 0;
    for (int i = 1; i < n; i++) {
        if (pthread_create(&r->threads[i], NULL, worker, r) != 0) {
            cli_warn("could not start thread %d; training with %d", i + 1, r->n_threads);
            break;
        }
        r->n_threads++;
    }
    return r;
}

void cli_runner_stop(cli_runner *r) {
    if (!r) return;
    atomic_store(&r->stop, 1);
    r->gen++;
    atomic_store_explicit(&r->ticket, (uint64_t)r->gen << 32, memory_order_release);
    for (int i = 1; i < r->n_threads; i++) pthread_join(r->threads[i], NULL);
    free(r->threads);
    free(r);
}

void cli_runner_parallel(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks) {
    cli_runner *r = ctx;
    if (n_tasks <= 0) return;
    if (!r || r->n_threads <= 1 || n_tasks == 1 || n_tasks > MAX_TASKS) {
        for (int t = 0; t < n_tasks; t++) fn(arg, t);
        return;
    }
    r->n_calls++;
    adapt *a = r->policy == 0 ? adapt_of(r, fn) : NULL;
    double t0 = a && a->phase < 2 ? now_s() : 0.0;
    if (a ? adapt_inline(a) : r->policy == 2) {
        r->n_inline++;
        for (int t = 0; t < n_tasks; t++) fn(arg, t);
        if (a) adapt_after(a, a->phase < 2 ? now_s() - t0 : 0.0);
        return;
    }
    r->fn = fn;
    r->arg = arg;
    atomic_store_explicit(&r->done, 0, memory_order_relaxed);
    if (++r->gen == 0) r->gen = 1; /* 0 is the workers' "nothing yet" */
    atomic_store_explicit(&r->ticket, (uint64_t)r->gen << 32 | (uint64_t)n_tasks << 16, memory_order_release);
    run_tasks(r, r->gen);
    unsigned long polls = 0;
    while (atomic_load_explicit(&r->done, memory_order_acquire) < n_tasks) idle_wait(&polls);
    if (a) adapt_after(a, a->phase < 2 ? now_s() - t0 : 0.0);
}
