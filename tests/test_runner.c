/*
 * test_runner.c - white-box test of the CLI's thread pool (src/cli/runner.c, included here): over many
 * back-to-back parallel calls with varying task counts and pool sizes, every task of every call runs
 * exactly once, its writes are visible when the call returns, and stopping the pool joins every worker.
 */
#include "../src/cli/runner.c" /* first: it sets _GNU_SOURCE before any system header */

#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* runner.c reports through these CLI helpers; the test has no CLI around it. */
void cli_die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    exit(2);
}
void cli_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

#define MAX_T 16

typedef struct job {
    int ran[MAX_T];       /* plain ints: the pool must publish them by the time the call returns */
    atomic_int total;
    long call;
    long stamp[MAX_T];
} job;

static void task(void *arg, int t) {
    job *j = arg;
    j->ran[t]++;
    j->stamp[t] = j->call;
    atomic_fetch_add_explicit(&j->total, 1, memory_order_relaxed);
}

int main(void) {
    const int sizes[] = {2, 3, 4};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        cli_runner *r = cli_runner_start(sizes[s]);
        if (!r) {
            CHECK(0, "no pool of %d", sizes[s]);
            return 1;
        }
        job j;
        memset(&j, 0, sizeof j);
        long calls = 20000;
        for (long c = 1; c <= calls && failures < 10; c++) {
            int n = 1 + (int)(c * 7 % MAX_T);
            j.call = c;
            atomic_store(&j.total, 0);
            for (int t = 0; t < MAX_T; t++) j.ran[t] = 0;
            cli_runner_parallel(r, task, &j, n);
            for (int t = 0; t < MAX_T; t++) {
                int want = t < n ? 1 : 0;
                CHECK(j.ran[t] == want && (!want || j.stamp[t] == c),
                      "pool %d, call %ld (%d tasks): task %d ran %d times (stamp %ld)", sizes[s], c, n, t, j.ran[t],
                      j.stamp[t]);
            }
            CHECK(atomic_load(&j.total) == n, "pool %d, call %ld: %d tasks counted, expected %d", sizes[s], c,
                  atomic_load(&j.total), n);
        }
        cli_runner_stop(r);
    }
    /* n <= 1: no pool, the calls run in the caller */
    CHECK(cli_runner_start(1) == NULL, "a pool of 1 thread should be NULL");
    job j;
    memset(&j, 0, sizeof j);
    j.call = 1;
    cli_runner_parallel(NULL, task, &j, 3);
    CHECK(j.ran[0] == 1 && j.ran[1] == 1 && j.ran[2] == 1, "NULL pool did not run the tasks in turn");
    CHECK(!(cli_default_threads() < 2 || cli_default_threads() > 8), "default threads %d outside 2..8",
          cli_default_threads());
    printf(failures ? "%d failure(s)\n" : "runner tests passed\n", failures);
    return failures ? 1 : 0;
}
