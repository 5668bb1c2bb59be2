/*
 * runner.c - the thread pool behind the trainer's bookrec_parallel_fn. The core splits every batch into
 * n_tasks slices and calls the parallel function once per batch (about 25,000 times per epoch on
 * goodbooks), so waking threads with a condition variable each time would cost more than the work.
 * Instead the workers stay alive and spin on an atomic generation counter (C11 stdatomic): a short busy
 * spin, then sched_yield, and after a long idle spell short sleeps so an idle pool does not burn a core.
 * The caller's thread works too. Tasks are claimed with an atomic counter, so any thread may run any
 * slice; the core's result does not depend on which thread ran which slice. Every worker checks in once
 * per call after its last claim, and the call returns only when all have, so no worker can wander into
 * the next call's counters with the previous call's task count.
 * Not a general-purpose pool: one caller at a time, no nesting.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
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

struct cli_runner {
    int n_threads;          /* including the caller */
    pthread_t *threads;
    atomic_uint_fast64_t generation; /* bumped once per parallel call */
    atomic_int next_task;   /* next slice to claim */
    atomic_int checked_in;  /* workers done with this call */
    atomic_int stop;
    bookrec_task_fn fn;     /* published before the generation bump (release) */
    void *arg;
    int n_tasks;
};

int cli_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 2) n = 2;
    if (n > 8) n = 8;
    return (int)n;
}

static void run_tasks(cli_runner *r) {
    int n = r->n_tasks;
    for (;;) {
        int t = atomic_fetch_add_explicit(&r->next_task, 1, memory_order_relaxed);
        if (t >= n) break;
        r->fn(r->arg, t);
    }
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

static void *worker(void *p) {
    cli_runner *r = p;
    uint_fast64_t seen = 0; /* the generation at creation: the first call may bump it before this thread runs */
    for (;;) {
        unsigned long polls = 0;
        uint_fast64_t g;
        while ((g = atomic_load_explicit(&r->generation, memory_order_acquire)) == seen) {
            if (atomic_load_explicit(&r->stop, memory_order_relaxed)) return NULL;
            idle_wait(&polls);
        }
        seen = g;
        if (atomic_load_explicit(&r->stop, memory_order_relaxed)) return NULL;
        run_tasks(r);
        atomic_fetch_add_explicit(&r->checked_in, 1, memory_order_release);
    }
}

cli_runner *cli_runner_start(int n) {
    if (n <= 1) return NULL;
    cli_runner *r = calloc(1, sizeof *r);
    if (!r) cli_die("out of memory");
    r->threads = calloc((size_t)n, sizeof(pthread_t));
    if (!r->threads) cli_die("out of memory");
    atomic_init(&r->generation, 0);
    atomic_init(&r->next_task, 0);
    atomic_init(&r->checked_in, 0);
    atomic_init(&r->stop, 0);
    r->n_threads = 1;
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
    atomic_fetch_add(&r->generation, 1);
    for (int i = 1; i < r->n_threads; i++) pthread_join(r->threads[i], NULL);
    free(r->threads);
    free(r);
}

void cli_runner_parallel(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks) {
    cli_runner *r = ctx;
    if (n_tasks <= 0) return;
    if (!r || r->n_threads <= 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++) fn(arg, t);
        return;
    }
    r->fn = fn;
    r->arg = arg;
    r->n_tasks = n_tasks;
    atomic_store_explicit(&r->checked_in, 0, memory_order_relaxed);
    atomic_store_explicit(&r->next_task, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->generation, 1, memory_order_release); /* publishes fn/arg/n_tasks */
    run_tasks(r);
    unsigned long polls = 0;
    int workers = r->n_threads - 1;
    while (atomic_load_explicit(&r->checked_in, memory_order_acquire) < workers) idle_wait(&polls);
}
