/*
 * dataset.c - a model against a parsed ratings file whose ids it shares by name, not by index: the test error of
 * ratings held out of it (bookrec_evaluate_ratings: ids mapped onto the model's tables, ratings of users or books it
 * does not know left out and counted), and the model's books one dataset reader rated anywhere in the file
 * (bookrec_ratings_user_books: what recommendations for that reader leave out, the training part or not). Also what
 * a ratings file holds, for `bookrec stats`: the histogram of its kept ratings in half-star bins and the empty
 * fields of its columns (bookrec_ratings_histogram, bookrec_csv_count_empty); and a new reader's ratings given as a
 * CSV of book_id,rating (bookrec_reader_parse), in a model's books.
 * Not here: parsing (src/ratings.c), the id maps themselves (src/ids.c), the error measure (bookrec_evaluate).
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bookrec_evaluate_ratings(const bookrec_model *m, const bookrec_ratings *r, const bookrec_triples *test,
                             bookrec_test_error *out, bookrec_error *err) {
    if (!m || !r || !test || !out) return br_fail(err, BOOKREC_E_ARG, "evaluate: NULL argument");
    out->rmse = out->mae = NAN;
    out->used = out->dropped = 0;
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int32_t *um = NULL, *im = NULL;
    int same = 0;
    bookrec_triples mapped = {0};
    int st = bookrec_ids_map(r->users, bookrec_model_users(m), c->n_users, &um, &same, err);
    if (st == BOOKREC_OK) st = bookrec_ids_map(r->items, bookrec_model_items(m), c->n_items, &im, &same, err);
    if (st == BOOKREC_OK) st = bookrec_triples_map(test, um, im, &mapped, &out->dropped, err);
    bookrec_free(um);
    bookrec_free(im);
    out->used = mapped.n;
    if (st == BOOKREC_OK && mapped.n) {
        double mse = 0, mae = 0;
        st = bookrec_evaluate(m, &mapped, &mse, &mae, err);
        if (st == BOOKREC_OK) {
            out->rmse = sqrt(mse);
            out->mae = mae;
        }
    }
    bookrec_triples_free(&mapped);
    return st;
}

int bookrec_ratings_user_books(const bookrec_ratings *r, const char *user, const bookrec_ids *items, int32_t **out,
                               int *n, bookrec_error *err) {
    if (!r || !user || !out || !n) return br_fail(err, BOOKREC_E_ARG, "user books: NULL argument");
    *out = NULL;
    *n = -1;
    int du = bookrec_ids_find(r->users, user, -1);
    if (du < 0) return BOOKREC_OK;
    int n_items = items ? bookrec_ids_count(items) : 0;
    int32_t *ex = malloc(sizeof(int32_t) * (size_t)(n_items + 1));
    if (!ex) return br_fail(err, BOOKREC_E_NOMEM, "user books: out of memory");
    int k = 0;
    for (size_t q = 0; q < r->all.n; q++) {
        if (r->all.user[q] != du) continue;
        int j = items ? bookrec_ids_find(items, bookrec_ids_get(r->items, r->all.item[q]), -1) : -1;
        if (j >= 0 && k <= n_items) ex[k++] = j;
    }
    *out = ex;
    *n = k;
    return BOOKREC_OK;
}

/* ------------------------------------------------------------------ what a ratings file holds */

void bookrec_histogram_free(bookrec_histogram *h) {
    if (!h) return;
    free(h->count);
    free(h);
}

int bookrec_ratings_histogram(const bookrec_ratings *r, bookrec_histogram **out, bookrec_error *err) {
    if (!r || !out) return br_fail(err, BOOKREC_E_ARG, "histogram: NULL argument");
    *out = NULL;
    int nb = (int)floor((r->max_rating - r->min_rating) * 2.0f + 0.5f) + 1;
    if (nb < 1) nb = 1;
    if (nb > 200) nb = 200;
    bookrec_histogram *h = calloc(1, sizeof *h);
    if (!h || !(h->count = calloc((size_t)nb, sizeof *h->count))) {
        free(h);
        return br_fail(err, BOOKREC_E_NOMEM, "histogram: out of memory");
    }
    h->n_bins = nb;
    double sum = 0;
    for (size_t k = 0; k < r->all.n; k++) {
        int bin = (int)floor((r->all.rating[k] - r->min_rating) * 2.0f + 0.5f);
        if (bin < 0) bin = 0;
        if (bin >= nb) bin = nb - 1;
        h->count[bin]++;
        sum += r->all.rating[k];
    }
    h->max = 1;
    for (int k = 0; k < nb; k++)
        if (h->count[k] > h->max) h->max = h->count[k];
    h->mean = r->all.n ? sum / (double)r->all.n : 0.0;
    *out = h;
    return BOOKREC_OK;
}

int bookrec_csv_count_empty(const char *buf, size_t len, const char *const *names, int n, size_t *empty,
                            bookrec_error *err) {
    if (!buf || !names || !empty || n < 0) return br_fail(err, BOOKREC_E_ARG, "count empty: NULL argument");
    memset(empty, 0, (size_t)n * sizeof *empty);
    int *col_of = malloc(sizeof(int) * (size_t)(n + 1));
    bookrec_csv *c = NULL;
    bookrec_error quiet = {0}; /* a malformed record ends the count; the ratings parser names it */
    if (!col_of) return br_fail(err, BOOKREC_E_NOMEM, "count empty: out of memory");
    if (bookrec_csv_create(buf, len, NULL, &c, &quiet) != BOOKREC_OK) {
        free(col_of);
        return br_fail(err, BOOKREC_E_NOMEM, "count empty: out of memory");
    }
    for (int k = 0; k < n; k++) col_of[k] = -1;
    if (bookrec_csv_next(c, &quiet) > 0)
        for (int k = 0; k < n; k++) col_of[k] = bookrec_csv_column(c, names[k]);
    while (bookrec_csv_next(c, &quiet) > 0)
        for (int k = 0; k < n; k++) {
            size_t l = 0;
            if (col_of[k] >= 0 && (!bookrec_csv_field(c, col_of[k], &l) || l == 0)) empty[k]++;
        }
    bookrec_csv_free(c);
    free(col_of);
    return BOOKREC_OK;
}

/* ------------------------------------------------------------------ a new reader's ratings */

int bookrec_reader_parse(const char *buf, size_t len, const char *source, const bookrec_ids *items,
                         bookrec_unknown_fn unknown, void *ctx, int32_t **item, float **rating, int *n,
                         bookrec_error *err) {
    if (!item || !rating || !n) return br_fail(err, BOOKREC_E_ARG, "reader: NULL argument");
    const char *src = source ? source : "<buffer>";
    *item = NULL;
    *rating = NULL;
    *n = 0;
    bookrec_csv *c = NULL;
    int st = bookrec_csv_create(buf, len, source, &c, err);
    if (st != BOOKREC_OK) return st;
    int k = 0, cap = 64, fi = 0, fr = 1, more;
    int32_t *it = malloc(sizeof(int32_t) * (size_t)cap);
    float *rt = malloc(sizeof(float) * (size_t)cap);
    if (!it || !rt) st = br_fail(err, BOOKREC_E_NOMEM, "reader: out of memory");
    for (int first = 1; st == BOOKREC_OK && (more = bookrec_csv_next(c, err)) != 0; first = 0) {
        if (more < 0) { st = err && err->code ? err->code : BOOKREC_E_PARSE; break; }
        if (first && bookrec_csv_column(c, "rating") >= 0) { /* a header: the columns by name */
            fr = bookrec_csv_column(c, "rating");
            fi = bookrec_csv_column(c, "book_id") >= 0 ? bookrec_csv_column(c, "book_id") : fr == 0;
            continue;
        }
        size_t il = 0, rl = 0;
        const char *id = bookrec_csv_field(c, fi, &il), *rv = bookrec_csv_field(c, fr, &rl);
        if (!id || !rv || !il) {
            st = br_fail(err, BOOKREC_E_PARSE, "%s:%ld: expected book_id,rating", src, bookrec_csv_line(c));
            break;
        }
        char num[64], idz[128];
        snprintf(num, sizeof num, "%.*s", (int)(rl < 63 ? rl : 63), rv);
        snprintf(idz, sizeof idz, "%.*s", (int)(il < 127 ? il : 127), id);
        char *end;
        double v = strtod(num, &end);
        while (*end == ' ') end++;
        if (end == num || *end) {
            st = br_fail(err, BOOKREC_E_PARSE, "%s:%ld: the rating of book '%s' is not a number: '%s'", src,
                         bookrec_csv_line(c), idz, num);
            break;
        }
        int j = items ? bookrec_ids_find(items, idz, -1) : -1;
        if (j < 0) {
            if (unknown) unknown(ctx, bookrec_csv_line(c), idz);
            continue;
        }
        if (k == cap) {
            cap *= 2;
            int32_t *ni = realloc(it, sizeof(int32_t) * (size_t)cap);
            if (ni) it = ni;
            float *nr = realloc(rt, sizeof(float) * (size_t)cap);
            if (nr) rt = nr;
            if (!ni || !nr) { st = br_fail(err, BOOKREC_E_NOMEM, "reader: out of memory"); break; }
        }
        it[k] = j;
        rt[k++] = (float)v;
    }
    bookrec_csv_free(c);
    if (st != BOOKREC_OK) {
        free(it);
        free(rt);
        return st;
    }
    *item = it;
    *rating = rt;
    *n = k;
    return BOOKREC_OK;
}
