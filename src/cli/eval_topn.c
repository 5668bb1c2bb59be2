/*
 * eval_topn.c - the top-N rows of `bookrec eval --all`: "ease" (the shipped settings), "easeK" (K entries kept per
 * row of B, e.g. ease16, ease256) and "ials" / "ialsD" (iALS with D factors) as rankers of the core's protocol. Each fit computes the dense B once per training
 * part and keeps it while the other EASE rows of the same part are fitted, so a K curve costs one solve per seed.
 * Not here: the fit and the scoring (src/ease.c, src/topn.c), the protocol (src/protocol.c).
 */
#include "eval_rank.h"

#include <stdlib.h>
#include <string.h>

/* The dense B of the last training part an EASE row was fitted on (rows of one part come one after another). */
static struct {
    const bookrec_triples *train;
    size_t n;
    float *B;
    int n_items;
} cache;

/* The rows' settings, freed by evr_topn_done. */
static void *rows_made[64];
static int n_rows_made;

static void *row_alloc(size_t size) {
    if (n_rows_made == (int)(sizeof rows_made / sizeof rows_made[0])) cli_die("eval: too many top-N rows");
    void *p = calloc(1, size);
    if (!p) cli_die("out of memory");
    rows_made[n_rows_made++] = p;
    return p;
}

typedef struct topn_row {
    int K;                    /* EASE: entries kept per row; iALS: factors */
    bookrec_ease_options eo;
    bookrec_ials_options io;
} topn_row;

typedef struct topn_ctx {
    bookrec_model *m;
    bookrec_model_scorer sc;
} topn_ctx;

/* Creates a top-N model of `arch` and `dim` for the fit data, fits it with fit(m, row, d), prepares it for scoring
   from several threads and wraps it as a scorer context in *out. */
static int make_ctx(bookrec_arch arch, int dim, const bookrec_fit_data *d, topn_row *row,
                    int (*fit)(bookrec_model *, topn_row *, const bookrec_fit_data *, bookrec_error *), void **out,
                    bookrec_error *err) {
    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = arch;
    c.n_users = d->n_users;
    c.n_items = d->n_items;
    c.dim = dim;
    c.min_rating = d->min_rating;
    c.max_rating = d->max_rating;
    c.n_entries = arch == BOOKREC_ARCH_EASE ? (int64_t)d->train->n : 0;
    topn_ctx *t = calloc(1, sizeof *t);
    if (!t) return BOOKREC_E_NOMEM;
    int rc = bookrec_model_create(&c, &t->m, err);
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
    return bookrec_ease_fit_from(m, cache.B, d->train, NULL, &row->eo, err);
}

static int topn_fit(void *arg, const bookrec_fit_data *d, void **out, bookrec_error *err) {
    topn_row *row = arg;
    size_t N = (size_t)d->n_items;
    if (cache.train != d->train || cache.n != d->train->n || cache.n_items != d->n_items) {
        free(cache.B);
        cache.train = NULL;
        cache.B = malloc(N * N * sizeof *cache.B);
        if (!cache.B) return BOOKREC_E_NOMEM;
        char g[32];
        fprintf(stderr, "fitting EASE on %s ratings\n", cli_group(d->train->n, g));
        int rc = bookrec_ease_dense(d->train, d->n_items, d->min_rating, d->max_rating, &row->eo, cache.B, err);
        if (rc) return rc;
        cache.train = d->train;
        cache.n = d->train->n;
        cache.n_items = d->n_items;
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
    char g[32];
    fprintf(stderr, "fitting iALS (dim %d) on %s ratings\n", row->K, cli_group(d->train->n, g));
    return make_ctx(BOOKREC_ARCH_IALS, row->K, d, row, ials_of_row, out, err);
}

/* A blend of an EASE row and an iALS row: score = EASE score + beta * iALS score (both fitted on the same part). */
typedef struct blend_row {
    topn_row ease, ials;
    float beta;
} blend_row;

typedef struct blend_ctx {
    topn_ctx *e, *i;
    float beta;
} blend_ctx;

static int blend_fit(void *arg, const bookrec_fit_data *d, void **out, bookrec_error *err) {
    blend_row *row = arg;
    blend_ctx *b = calloc(1, sizeof *b);
    if (!b) return BOOKREC_E_NOMEM;
    void *e = NULL, *i = NULL;
    int rc = topn_fit(&row->ease, d, &e, err);
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
    if (!tmp) return BOOKREC_E_NOMEM;
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
static int blend_ranker(const char *name, bookrec_ranker *rk) {
    int K = BOOKREC_EASE_K, D = BOOKREC_IALS_DIM;
    float beta = 0;
    if (sscanf(name, "ease+ials%d@%f", &D, &beta) != 2 || D < 1 || D > BOOKREC_IALS_MAX_DIM || !(beta >= 0))
        cli_usage_die("eval", "eval: --archs: '%s' is not ease+ialsD@BETA", name);
    blend_row *row = row_alloc(sizeof *row);
    row->ease.K = K;
    row->ials.K = D;
    row->beta = beta;
    *rk = (bookrec_ranker){name, blend_fit, blend_score, blend_release, row};
    return 1;
}

/* Returns 1 and fills *rk for a top-N row name ("ease", "easeK", "ials", "ialsD"), 0 for other names, and exits on
   a bad number. */
int evr_topn_ranker(const char *name, bookrec_ranker *rk) {
    if (!strncmp(name, "ease+", 5)) return blend_ranker(name, rk);
    int ials = !strncmp(name, "ials", 4);
    if (!ials && strncmp(name, "ease", 4) != 0) return 0;
    int K = ials ? BOOKREC_IALS_DIM : BOOKREC_EASE_K, max = ials ? BOOKREC_IALS_MAX_DIM : 1024;
    if (name[4]) {
        char *end;
        long v = strtol(name + 4, &end, 10);
        if (*end || v < 1 || v > max)
            cli_usage_die("eval", "eval: --archs: '%s' is not %s with a number in 1..%d", name, ials ? "ialsD" : "easeK",
                          max);
        K = (int)v;
    }
    topn_row *row = row_alloc(sizeof *row); /* lives until evr_topn_done */
    row->K = K;
    *rk = (bookrec_ranker){name, ials ? ials_fit : topn_fit, topn_score, topn_release, row};
    return 1;
}

/* Frees the dense B kept between EASE rows and the rows' settings. */
void evr_topn_done(void) {
    free(cache.B);
    cache.B = NULL;
    cache.train = NULL;
    while (n_rows_made > 0) free(rows_made[--n_rows_made]);
}
