/*
 * bench_util.h - what the benchmark helpers in tools/ (bench_split.c, bench_ease.c, ials_probe.c) share: reading a
 * whole file, a ratings CSV parsed by the core, and a monotonic clock. Header-only, for those programs alone; not part of bookrec.
 */
#ifndef BOOKREC_BENCH_UTIL_H
#define BOOKREC_BENCH_UTIL_H

#include "bookrec.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Seconds on a monotonic clock. */
static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Reads a whole file into a new buffer (the caller frees it) and its length into *len; NULL when it cannot. */
static inline char *bench_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    *len = n >= 0 ? (size_t)n : 0;
    return buf;
}

/* The ratings CSV at path parsed by the core with its default options (duplicates merged, the last kept); prints
   what went wrong and returns NULL when it cannot. */
static inline bookrec_ratings *bench_load_ratings(const char *path) {
    size_t len = 0;
    char *buf = bench_slurp(path, &len);
    if (!buf) { perror(path); return NULL; }
    bookrec_csv_options opt = {0};
    opt.source = path;
    bookrec_ratings *r = NULL;
    bookrec_error err;
    int st = bookrec_ratings_parse(buf, len, &opt, &r, &err);
    free(buf);
    if (st != BOOKREC_OK) { fprintf(stderr, "%s\n", err.msg); return NULL; }
    return r;
}

#endif /* BOOKREC_BENCH_UTIL_H */
