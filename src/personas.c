/*
 * personas.c - the persona suite of bookrec's evaluation: for each taste (a shelf tag), a new reader who loves the
 * best-known books of that shelf is folded in through any scorer, and the share of its recommendations on the same
 * shelf is set beside the shelf's share of the catalogue, so a person can read whether a model follows a taste.
 * It is not a metric over held-out data (src/eval.c, src/protocol.c) and it reads no files: the CLI turns
 * book_tags.csv into per-book tag lists and prints the titles.
 */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Does book i carry tag t? */
static int has_tag(const bookrec_book_tags *bt, int i, int32_t t) {
    for (int32_t j = bt->off[i]; j < bt->off[i + 1]; j++)
        if (bt->tags[j] == t) return 1;
    return 0;
}

/* Checks the CSR: offsets start at 0, never decrease. */
static int check_tags(const bookrec_book_tags *bt, bookrec_error *err) {
    if (!bt || bt->n_items <= 0 || !bt->off || (bt->off[bt->n_items] > 0 && !bt->tags))
        return br_fail(err, BOOKREC_E_ARG, "personas: bad book tags (NULL arrays or no books)");
    if (bt->off[0] != 0) return br_fail(err, BOOKREC_E_ARG, "personas: book tags offsets must start at 0");
    for (int i = 0; i < bt->n_items; i++)
        if (bt->off[i + 1] < bt->off[i])
            return br_fail(err, BOOKREC_E_ARG, "personas: book tags offsets decrease at book %d", i);
    return BOOKREC_OK;
}

/* The n most popular books carrying tag t into seed[]; returns how many were found. */
static int pick_seeds(const bookrec_book_tags *bt, const float *pop, int32_t t, int n, int32_t *seed) {
    int m = 0;
    for (int i = 0; i < bt->n_items; i++) {
        if (!has_tag(bt, i, t)) continue;
        if (m == n && !(pop[i] > pop[seed[m - 1]])) continue; /* ties keep the lower index */
        int p = m < n ? m++ : n - 1;
        while (p > 0 && pop[i] > pop[seed[p - 1]]) { seed[p] = seed[p - 1]; p--; }
        seed[p] = i;
    }
    return m;
}

/* One taste through the scorer; scores is n_items floats of scratch space. */
static int run_taste(const bookrec_book_tags *bt, const float *pop, int32_t t, bookrec_score_fn score, void *ctx,
                     int n_seed, int k, float rating, float *scores, bookrec_persona_result *r, bookrec_error *err) {
    int n = bt->n_items;
    memset(r, 0, sizeof *r);
    r->tag = t;
    for (int i = 0; i < n; i++) r->n_tagged += has_tag(bt, i, t);
    r->base = (double)r->n_tagged / n;
    r->share = NAN;
    r->n_seed = pick_seeds(bt, pop, t, n_seed, r->seed);
    if (r->n_seed == 0) return BOOKREC_OK;
    float ratings[BOOKREC_PERSONA_MAX];
    for (int j = 0; j < r->n_seed; j++) ratings[j] = rating;
    bookrec_reader rd = {-1, r->seed, ratings, r->n_seed};
    int st = score(ctx, &rd, scores, n, err);
    if (st != BOOKREC_OK) return st;
    r->n_top = bookrec_topk(scores, n, r->seed, r->n_seed, k, r->top, NULL);
    if (r->n_top < 0) return br_fail(err, BOOKREC_E_ARG, "personas: tag %d: ranking failed", (int)t);
    for (int p = 0; p < r->n_top; p++) {
        r->top_has_tag[p] = (unsigned char)has_tag(bt, r->top[p], t);
        r->hits += r->top_has_tag[p];
    }
    r->share = r->n_top > 0 ? (double)r->hits / r->n_top : NAN;
    return BOOKREC_OK;
}

int bookrec_personas(const bookrec_book_tags *bt, const float *popularity, const int32_t *tastes, int n_tastes,
                     bookrec_score_fn score, void *score_ctx, const bookrec_persona_options *opt,
                     bookrec_persona_result *out, bookrec_error *err) {
    int st = check_tags(bt, err);
    if (st != BOOKREC_OK) return st;
    if (!popularity || !tastes || n_tastes <= 0 || !score || !out)
        return br_fail(err, BOOKREC_E_ARG, "personas: bad arguments (%d tastes, NULL pointer?)", n_tastes);
    bookrec_persona_options o;
    if (opt) o = *opt; else memset(&o, 0, sizeof o);
    if (o.n_seed == 0) o.n_seed = 5;
    if (o.k == 0) o.k = 10;
    if (o.rating == 0.0f) o.rating = 5.0f;
    if (o.n_seed < 1 || o.n_seed > BOOKREC_PERSONA_MAX || o.k < 1 || o.k > BOOKREC_PERSONA_MAX || !isfinite(o.rating))
        return br_fail(err, BOOKREC_E_ARG, "personas: need 1..%d seed books (got %d), k 1..%d (got %d), a finite "
                       "rating", BOOKREC_PERSONA_MAX, o.n_seed, BOOKREC_PERSONA_MAX, o.k);
    for (int i = 0; i < bt->n_items; i++)
        if (!isfinite(popularity[i]))
            return br_fail(err, BOOKREC_E_ARG, "personas: book %d's popularity is not finite", i);
    float *scores = malloc((size_t)bt->n_items * sizeof *scores);
    if (!scores) return br_fail(err, BOOKREC_E_NOMEM, "personas: out of memory");
    for (int t = 0; t < n_tastes && st == BOOKREC_OK; t++)
        st = run_taste(bt, popularity, tastes[t], score, score_ctx, o.n_seed, o.k, o.rating, scores, &out[t], err);
    free(scores);
    return st == BOOKREC_OK ? br_ok(err) : st;
}
