/*
 * bench_split.c - benchmark helper: writes bookrec's own 80/20 train/test split of a ratings CSV as two
 * CSV files (user_id,book_id,rating with the external ids), so that tools/bench_torch.py trains PyTorch
 * on exactly the rows bookrec trains on and is tested on exactly the rows bookrec is tested on.
 * It parses with the core's bookrec_ratings_parse (duplicates merged, keeping the last) and splits with
 * bookrec_split, as `bookrec train` does. Compiled and run by tools/bench-train.mjs; not part of bookrec.
 * Usage: bench_split RATINGS.csv TEST_FRACTION SEED TRAIN_OUT.csv TEST_OUT.csv
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime (bench_util.h) under -std=c11 */
#include "bookrec.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>


static int dump(const char *path, const bookrec_ratings *r, const bookrec_triples *t) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs("user_id,book_id,rating\n", f);
    for (size_t k = 0; k < t->n; k++)
        fprintf(f, "%s,%s,%g\n", bookrec_ids_get(r->users, t->user[k]), bookrec_ids_get(r->items, t->item[k]),
                (double)t->rating[k]);
    return fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: bench_split RATINGS.csv TEST_FRACTION SEED TRAIN_OUT.csv TEST_OUT.csv\n");
        return 2;
    }
    bookrec_ratings *r = bench_load_ratings(argv[1]);
    if (!r) return 1;
    bookrec_error err;
    bookrec_triples tr = {0}, te = {0};
    if (bookrec_split(r, atof(argv[2]), strtoull(argv[3], NULL, 10), &tr, &te, &err) != BOOKREC_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    if (dump(argv[4], r, &tr) != 0 || dump(argv[5], r, &te) != 0) { perror("write"); return 1; }
    printf("{\"rows\": %zu, \"duplicates\": %zu, \"train\": %zu, \"test\": %zu}\n", r->all.n, r->duplicates, tr.n, te.n);
    bookrec_triples_free(&tr);
    bookrec_triples_free(&te);
    bookrec_ratings_free(r);
    return 0;
}
