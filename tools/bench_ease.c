/*
 * bench_ease.c - benchmark helper: parses a ratings CSV with the core (duplicates merged, keeping the last),
 * writes every rating as dense indices (user,item,rating) for tools/bench_ease.py, computes the dense EASE
 * matrix B with bookrec_ease_dense (LAPACK's Cholesky when the core links it, the core's own inverse otherwise),
 * and writes rows 0..ROWS-1 of B as raw little-endian float32, so that numpy's B can be compared with it.
 * Prints one JSON line with the timings. Compiled and run by tools/bench-train.mjs; not part of bookrec.
 * Usage: bench_ease RATINGS.csv LAMBDA TRIPLES_OUT.csv ROWS_OUT.f32 ROWS
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c11 */
#include "bookrec.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>



int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: bench_ease RATINGS.csv LAMBDA TRIPLES_OUT.csv ROWS_OUT.f32 ROWS\n");
        return 2;
    }
    bookrec_ratings *r = bench_load_ratings(argv[1]);
    if (!r) return 1;
    bookrec_error err;
    FILE *f = fopen(argv[3], "w");
    if (!f) { perror(argv[3]); return 1; }
    for (size_t k = 0; k < r->all.n; k++) fprintf(f, "%d,%d,%g\n", r->all.user[k], r->all.item[k], (double)r->all.rating[k]);
    if (fclose(f)) { perror(argv[3]); return 1; }
    int n = bookrec_ids_count(r->items), rows = atoi(argv[5]);
    if (rows < 1 || rows > n) rows = n < 20 ? n : 20;
    float *B = malloc(sizeof(float) * (size_t)n * (size_t)n);
    if (!B) { fprintf(stderr, "out of memory\n"); return 1; }
    bookrec_ease_options eo = {0};
    eo.lambda = (float)atof(argv[2]);
    double t0 = bench_now();
    if (bookrec_ease_dense(&r->all, n, r->min_rating, r->max_rating, &eo, B, &err) != BOOKREC_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double secs = bench_now() - t0;
    f = fopen(argv[4], "wb");
    if (!f || fwrite(B, sizeof(float), (size_t)rows * (size_t)n, f) != (size_t)rows * (size_t)n || fclose(f)) {
        perror(argv[4]);
        return 1;
    }
    printf("{\"ratings\": %zu, \"users\": %d, \"items\": %d, \"rows\": %d, \"seconds\": %.3f}\n", r->all.n,
           bookrec_ids_count(r->users), n, rows, secs);
    free(B);
    bookrec_ratings_free(r);
    return 0;
}
