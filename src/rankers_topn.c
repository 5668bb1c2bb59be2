/*
 * rankers_topn.c - the top-N rows of bookrec's evaluation as rankers of the core's protocol: "ease" (the shipped
 * settings), "easeK" (K entries kept per row of B, e.g. ease16, ease256), "ials" / "ialsD" (iALS with D factors)
 * and "ease+ialsD@BETA" (EASE's score plus BETA times iALS's). The names are parsed here and nowhere else. Each EASE
 * fit computes the dense B once per training part and keeps it in the rows' context while the other EASE rows of
 * the same part are fitted, so a K curve costs one solve per part.
 * Not here: the fit and the scoring (src/ease.c, src/ials.c, src/topn.c), the protocol (src/protocol.c), the
 * evaluation table (src/evaluation.c).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct br_topn_rankers {
    /* the dense B of the last training part an EASE row was fitted on */
    const bookrec_triples *train;
    size_t n;
    float *B;
    int n_items;
    void (*on_fit)(void *ctx, bookrec_arch arch, int dim, size_t n_ratings);
    void *ctx;
    void **rows; /* the rows' settings */
    int n_rows, cap_rows;
};

typedef struct topn_row {
    br_topn_rankers *t;
    int K; /* EASE: entries kept per row; iALS: factors */
    bookrec_ease_options eo;
    bookrec_ials_options io;
} topn_row;

/* A blend of an EASE row and an iALS row: score = EASE score + beta * iALS score (both fitted on the same part). */
typedef struct blend_row {
    topn_row ease, ials;
    float beta;
} blend_row;

br_topn_rankers *br_topn_rankers_create(void (*on_fit)(void *ctx, bookrec_arch arch, int dim, size_t n_ratings),
                                        void *ctx) {
    br_topn_rankers *t = calloc(1, sizeof *t);
    if (t) {
        t->on_fit = on_fit;
        t->ctx = ctx;
    }
    return t;
}

void br_topn_rankers_free(br_topn_rankers *t) {
    if (!t) return;
    free(t->B);
    while (t->n_rows > 0) free(t->rows[--t->n_rows]);
    free(t->rows);
    free(t);
}

static void *row_alloc(br_topn_rankers *t, size_t size) {
    if (t->n_rows == t->cap_rows) {
        int cap = t->cap_rows ? 2 * t->cap_rows : 8;
        void **p = realloc(t->rows, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        t->rows = p;
        t->cap_rows = cap;
    }
    void *p = calloc(1, size);
    if (p) t->rows[t->n_rows++] = p;
    return p;
}

typedef struct topn_ctx {
    bookrec_model *m;
    bookrec_model_scorer sc;
} topn_ctx;

/* Creates a top-N model of `arch` and `dim` for the fit data, fits it with fit(m, row, d), prepares it for scoring
   from several threads and wraps it as a scorer context in *out. */
static int make_ctx(bookrec_arch arch, int dim, const bookrec_fit_data *d, topn_row *row,
                    int (*fit)(bookrec_model *, topn_row *, const bookrec_fit_data *, bookrec_error *), void **out,
                    bookrec_error *err) {
    topn_ctx *t = calloc(1, sizeof *t);
    if (!t) return br_fail(err, BOOKREC_E_NOMEM, "top-N row: out of memory");
    int rc = bookrec_topn_model_create(arch, d->n_users, d->n_items, dim, (int64_t)d->train->n, d->min_rating,
                                       d->max_rating, &t->m, err);
    if (!rc) rc = fit(t->m, row, d, err);
    if (!rc) rc = bookrec_model_prepare(t->m, err);
    if (rc) {
        bookrec_model_free(t->m);
        free(t);
        return rc;
    }
    t->sc.model = t->m;
    *out = t;
    return BOOKREC_OK;
}

static int ease_from_cache(bookrec_model *m, topn_row *row, const bookrec_fit_data *d, bookrec_error *err) {
    return bookrec_ease_fit_from(m, row->t->B, d->train, NULL, &row->eo, err);
}

static int ease_fit(void *arg, const bookrec_fit_data *d, void **out, bookrec_error *err) {
    topn_row *row = arg;
    br_topn_rankers *t = row->t;
    size_t N = (size_t)d->n_items;
    if (t->train != d->train || t->n != d->train->n || t->n_items != d->n_items) {
        free(t->B);
        t->train = NULL;
        t->B = malloc(N * N * sizeof *t->B);
        if (!t->B) return br_fail(err, BOOKREC_E_NOMEM, "EASE: out of memory for a %d x %d matrix", d->n_items,
                                  d->n_items);
        if (t->on_fit) t->on_fit(t->ctx, BOOKREC_ARCH_EASE, row->K, d->train->n);
        int rc = bookrec_ease_dense(d->train, d->n_items, d->min_rating, d->max_rating, &row->eo, t->B, err);
        if (rc) return rc;
        t->train = d->train;
        t->n = d->train->n;
        t->n_items = d->n_items;
    }
    return make_ctx(BOOKREC_ARCH_EASE, row->K < d->n_items ? row->K : d->n_items, d, row, ease_from_cache, out, err);
}

static int topn_score(void *ctx, const bookrec_reader *rd, float *scores, int n_items, bookrec_error *err) {
    return bookrec_score_model(&((topn_ctx *)ctx)->sc, rd, scores, n_items, err);
}

static void topn_release(void *arg, void *ctx) {
    (void)arg;
    topn_ctx *t = ctx;
    if (t) bookrec_model_free(t->m);
    free(t);
}

static int ials_of_row(bookrec_model *m, topn_row *row, const bookrec_fit_data *d, bookrec_error *err) {
    return bookrec_ials_fit_model(m, d->train, &row->io, err);
}

/* iALS rows: the model fitted with the core's defaults (tuned on validation readers) at the row's dim. */
static int ials_fit(void *arg, const bookrec_fit_data *d, void **out, bookrec_error *err) {
    topn_row *row = arg;
    if (row->t->on_fit) row->t->on_fit(row->t->ctx, BOOKREC_ARCH_IALS, row->K, d->train->n);
    return make_ctx(BOOKREC_ARCH_IALS, row->K, d, row, ials_of_row, out, err);
}

typedef struct blend_ctx {
    topn_ctx *e, *i;
    float beta;
} blend_ctx;

static int blend_fit(void *arg, const bookrec_fit_data *d, void **out, bookrec_error *err) {
    blend_row *row = arg;
    blend_ctx *b = calloc(1, sizeof *b);
    if (!b) return br_fail(err, BOOKREC_E_NOMEM, "top-N row: out of memory");
    void *e = NULL, *i = NULL;
    int rc = ease_fit(&row->ease, d, &e, err);
    if (!rc) rc = ials_fit(&row->ials, d, &i, err);
    if (rc) {
        topn_release(NULL, e);
        topn_release(NULL, i);
        free(b);
        return rc;
    }
    b->e = e;
    b->i = i;
    b->beta = row->beta;
    *out = b;
    return BOOKREC_OK;
}

static int blend_score(void *ctx, const bookrec_reader *rd, float *scores, int n_items, bookrec_error *err) {
    blend_ctx *b = ctx;
    float *tmp = malloc((size_t)n_items * sizeof *tmp);
    if (!tmp) return br_fail(err, BOOKREC_E_NOMEM, "top-N row: out of memory");
    int rc = topn_score(b->e, rd, scores, n_items, err);
    if (!rc) rc = topn_score(b->i, rd, tmp, n_items, err);
    if (!rc)
        for (int j = 0; j < n_items; j++) scores[j] += b->beta * tmp[j];
    free(tmp);
    return rc;
}

static void blend_release(void *arg, void *ctx) {
    (void)arg;
    blend_ctx *b = ctx;
    if (!b) return;
    topn_release(NULL, b->e);
    topn_release(NULL, b->i);
    free(b);
}

/* "ease+ialsD@BETA": the blend row. */
static int blend_ranker(br_topn_rankers *t, const char *name, bookrec_ranker *rk, bookrec_error *err) {
    int D = BOOKREC_IALS_DIM;
    float beta = 0;
    if (sscanf(name, "ease+ials%d@%f", &D, &beta) != 2 || D < 1 || D > BOOKREC_IALS_MAX_DIM || !(beta >= 0))
        return br_fail(err, BOOKREC_E_ARG, "archs: '%s' is not ease+ialsD@BETA", name);
    if (!t) return br_ok(err);
    blend_row *row = row_alloc(t, sizeof *row);
    if (!row) return br_fail(err, BOOKREC_E_NOMEM, "top-N row: out of memory");
    row->ease.t = row->ials.t = t;
    row->ease.K = BOOKREC_EASE_K;
    row->ials.K = D;
    row->beta = beta;
    *rk = (bookrec_ranker){name, blend_fit, blend_score, blend_release, row};
    return br_ok(err);
}

int br_topn_ranker(br_topn_rankers *t, const char *name, bookrec_ranker *rk, int *is_topn, bookrec_error *err) {
    int ials = !strncmp(name, "ials", 4);
    *is_topn = ials || !strncmp(name, "ease", 4);
    if (!*is_topn) return br_ok(err);
    if (!strncmp(name, "ease+", 5)) return blend_ranker(t, name, rk, err);
    int K = ials ? BOOKREC_IALS_DIM : BOOKREC_EASE_K, max = ials ? BOOKREC_IALS_MAX_DIM : BOOKREC_EASE_MAX_K;
    if (name[4]) {
        char *end;
        long v = strtol(name + 4, &end, 10);
        if (*end || v < 1 || v > max)
            return br_fail(err, BOOKREC_E_ARG, "archs: '%s' is not %s with a number in 1..%d", name,
                           ials ? "ialsD" : "easeK", max);
        K = (int)v;
    }
    if (!t) return br_ok(err);
    topn_row *row = row_alloc(t, sizeof *row); /* lives until br_topn_rankers_free */
    if (!row) return br_fail(err, BOOKREC_E_NOMEM, "top-N row: out of memory");
    row->t = t;
    row->K = K;
    *rk = (bookrec_ranker){name, ials ? ials_fit : ease_fit, topn_score, topn_release, row};
    return br_ok(err);
}
