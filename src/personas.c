/*
 * personas.c - the persona suite of bookrec's evaluation: for each taste, a new reader who loves the best-known books
 * that may seed the taste is folded in through any scorer, and the share of its recommendations carrying the taste is
 * set beside the taste's share of the catalogue, so a person can read whether a model follows a taste; the suite of
 * a model runs every taste through the model and through the popularity ranking (which books seed and carry a taste
 * from the shelves, src/tastes.c), and the mean share over the tastes.
 * It is not a metric over held-out data (src/eval.c, src/protocol.c) and it reads no files: the shelves come in
 * built (the CLI reads book_tags.csv and prints the titles).
 */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Checks one taste's arrays: present, and every entry 0 or 1. */
static int check_taste(int n, const bookrec_taste_books *tb, int t, bookrec_error *err) {
    if (!tb->seedable || !tb->carries)
        return br_fail(err, BOOKREC_E_ARG, "personas: taste %d: NULL seedable or carries array", t);
    for (int i = 0; i < n; i++) {
        if (tb->seedable[i] > 1) return br_fail(err, BOOKREC_E_ARG, "personas: taste %d: seedable[%d] is %d, not 0 "
                                               "or 1", t, i, tb->seedable[i]);
        if (tb->carries[i] > 1) return br_fail(err, BOOKREC_E_ARG, "personas: taste %d: carries[%d] is %d, not 0 "
                                              "or 1", t, i, tb->carries[i]);
    }
    return BOOKREC_OK;
}

/* The n most popular seedable books into seed[]; returns how many were found. */
static int pick_seeds(int n_items, const unsigned char *seedable, const float *pop, int n, int32_t *seed) {
    int m = 0;
    for (int i = 0; i < n_items; i++) {
        if (!seedable[i]) continue;
        if (m == n && !(pop[i] > pop[seed[m - 1]])) continue; /* ties keep the lower index */
        int p = m < n ? m++ : n - 1;
        while (p > 0 && pop[i] > pop[seed[p - 1]]) { seed[p] = seed[p - 1]; p--; }
        seed[p] = i;
    }
    return m;
}

/* One taste through the scorer; scores is n floats of scratch space. */
static int run_taste(int n, const bookrec_taste_books *tb, const float *pop, bookrec_score_fn score, void *ctx,
                     const bookrec_persona_options *o, float *scores, bookrec_persona_result *r, bookrec_error *err) {
    memset(r, 0, sizeof *r);
    for (int i = 0; i < n; i++) {
        r->n_carrying += tb->carries[i];
        r->n_seedable += tb->seedable[i];
    }
    r->base = (double)r->n_carrying / n;
    r->share = NAN;
    r->n_seed = pick_seeds(n, tb->seedable, pop, o->n_seed, r->seed);
    if (r->n_seed == 0) return BOOKREC_OK;
    float ratings[BOOKREC_PERSONA_MAX];
    for (int j = 0; j < r->n_seed; j++) ratings[j] = o->rating;
    bookrec_reader rd = {-1, r->seed, ratings, r->n_seed};
    int st = score(ctx, &rd, scores, n, err);
    if (st != BOOKREC_OK) return st;
    r->n_top = bookrec_topk(scores, n, r->seed, r->n_seed, o->k, r->top, NULL);
    if (r->n_top < 0) return br_fail(err, BOOKREC_E_ARG, "personas: ranking failed");
    for (int p = 0; p < r->n_top; p++) {
        r->top_carries[p] = tb->carries[r->top[p]];
        r->hits += r->top_carries[p];
    }
    r->share = r->n_top > 0 ? (double)r->hits / r->n_top : NAN;
    return BOOKREC_OK;
}

int bookrec_personas(int n_items, const float *popularity, const bookrec_taste_books *tastes, int n_tastes,
                     bookrec_score_fn score, void *score_ctx, const bookrec_persona_options *opt,
                     bookrec_persona_result *out, bookrec_error *err) {
    if (n_items <= 0 || !popularity || !tastes || n_tastes <= 0 || !score || !out)
        return br_fail(err, BOOKREC_E_ARG, "personas: bad arguments (%d books, %d tastes, NULL pointer?)", n_items,
                       n_tastes);
    bookrec_persona_options o;
    if (opt) o = *opt; else memset(&o, 0, sizeof o);
    if (o.n_seed == 0) o.n_seed = 5;
    if (o.k == 0) o.k = 10;
    if (o.rating == 0.0f) o.rating = 5.0f;
    if (o.n_seed < 1 || o.n_seed > BOOKREC_PERSONA_MAX || o.k < 1 || o.k > BOOKREC_PERSONA_MAX || !isfinite(o.rating))
        return br_fail(err, BOOKREC_E_ARG, "personas: need 1..%d seed books (got %d), k 1..%d (got %d), a finite "
                       "rating", BOOKREC_PERSONA_MAX, o.n_seed, BOOKREC_PERSONA_MAX, o.k);
    for (int i = 0; i < n_items; i++)
        if (!isfinite(popularity[i]))
            return br_fail(err, BOOKREC_E_ARG, "personas: book %d's popularity is not finite", i);
    int st = BOOKREC_OK;
    for (int t = 0; t < n_tastes && st == BOOKREC_OK; t++) st = check_taste(n_items, &tastes[t], t, err);
    if (st != BOOKREC_OK) return st;
    float *scores = malloc((size_t)n_items * sizeof *scores);
    if (!scores) return br_fail(err, BOOKREC_E_NOMEM, "personas: out of memory");
    for (int t = 0; t < n_tastes && st == BOOKREC_OK; t++)
        st = run_taste(n_items, &tastes[t], popularity, score, score_ctx, &o, scores, &out[t], err);
    free(scores);
    return st == BOOKREC_OK ? br_ok(err) : st;
}

double bookrec_persona_mean_share(const bookrec_persona_result *res, int n) {
    double sum = 0;
    int m = 0;
    for (int t = 0; t < n; t++)
        if (!isnan(res[t].share)) {
            sum += res[t].share;
            m++;
        }
    return m ? sum / m : NAN;
}

/* Ratings of r per model book into pop[0..n_items) (0 for books the data does not have). */
static int model_popularity(const bookrec_model *m, const bookrec_ratings *r, float *pop, bookrec_error *err) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int32_t *im = NULL;
    int identity = 0, st = bookrec_ids_map(r->items, bookrec_model_items(m), c->n_items, &im, &identity, err);
    if (st != BOOKREC_OK) return st;
    memset(pop, 0, (size_t)c->n_items * sizeof *pop);
    for (size_t j = 0; j < r->all.n; j++) {
        int32_t i = im[r->all.item[j]];
        if (i >= 0) pop[i] += 1.0f;
    }
    bookrec_free(im);
    return BOOKREC_OK;
}

int bookrec_persona_suite(bookrec_model *m, const bookrec_ratings *r, const bookrec_shelves *sh, bookrec_taste *ts,
                          int n, const char *const *titles, const bookrec_persona_options *po,
                          const bookrec_foldin_options *fo, bookrec_persona_result *res,
                          bookrec_persona_result *pop_res, bookrec_error *err) {
    if (!m || !r || !sh || !ts || n < 1 || n > BOOKREC_PERSONA_MAX || !res || !pop_res)
        return br_fail(err, BOOKREC_E_ARG, "personas: bad arguments (1..%d tastes, NULL pointer?)",
                       BOOKREC_PERSONA_MAX);
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int ni = c->n_items;
    if (sh->n_items != ni)
        return br_fail(err, BOOKREC_E_ARG, "personas: shelves of %d books, the model has %d", sh->n_items, ni);
    float *pop = malloc((size_t)ni * sizeof *pop);
    unsigned char *seedable = malloc((size_t)n * ni), *carries = malloc((size_t)n * ni);
    int st = pop && seedable && carries ? BOOKREC_OK : br_fail(err, BOOKREC_E_NOMEM, "personas: out of memory");
    if (st == BOOKREC_OK) st = model_popularity(m, r, pop, err);
    if (st == BOOKREC_OK) st = bookrec_tastes_books(sh, ts, n, titles, pop, seedable, carries, err);
    if (st == BOOKREC_OK) st = bookrec_model_prepare(m, err);
    if (st == BOOKREC_OK) {
        bookrec_taste_books tb[BOOKREC_PERSONA_MAX];
        for (int t = 0; t < n; t++)
            tb[t] = (bookrec_taste_books){seedable + (size_t)t * ni, carries + (size_t)t * ni};
        bookrec_model_scorer sc = {m, {0}};
        if (fo) sc.foldin = *fo;
        bookrec_fixed_scorer fs = {pop, ni};
        st = bookrec_personas(ni, pop, tb, n, bookrec_score_model, &sc, po, res, err);
        if (st == BOOKREC_OK) st = bookrec_personas(ni, pop, tb, n, bookrec_score_fixed, &fs, po, pop_res, err);
    }
    free(pop);
    free(seedable);
    free(carries);
    return st;
}
