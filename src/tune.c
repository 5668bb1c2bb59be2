/*
 * tune.c - the hyper-parameter search of the rating models (`bookrec tune`): the grid (value lists parsed from
 * text, with the architectures' default lists; all of its points, or a seeded sample of them) and the search
 * itself. A search makes the seeded train/test split, sets the test part aside unread, carves the validation part
 * from the training part (the carve `bookrec train --patience` makes), trains every point of the grid on the rest
 * with early stopping on the validation part, ranks the validation users with each model (HR/NDCG@k, their fitted
 * books excluded) and keeps the best run by validation RMSE or NDCG. Progress goes through callbacks.
 * Not here: the presets and spec training (src/experiment.c), the metrics (src/eval.c), flags, clocks, tables and
 * files (the CLI); it never reads the test part.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the grid */

int bookrec_grid_size(const bookrec_grid *g) {
    return g->n_lr * g->n_l2 * g->n_dim * g->n_hidden * g->n_l2_dense;
}

int bookrec_grid_sample(const bookrec_grid *g, int trials, uint64_t seed, int32_t **picks, int *n_picks,
                        bookrec_error *err) {
    int n_grid = g ? bookrec_grid_size(g) : 0;
    if (!picks || !n_picks || n_grid < 1) return br_fail(err, BOOKREC_E_ARG, "grid: empty grid or NULL argument");
    int32_t *pick = malloc((size_t)n_grid * sizeof *pick);
    if (!pick) return br_fail(err, BOOKREC_E_NOMEM, "grid: out of memory");
    for (int k = 0; k < n_grid; k++) pick[k] = k;
    int n = n_grid;
    if (trials > 0 && trials < n_grid) { /* seeded partial Fisher-Yates, then back to grid order */
        uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
        for (int j = 0; j < trials; j++) {
            x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
            int r = j + (int)((x * 0x2545F4914F6CDD1Dull >> 33) % (uint64_t)(n_grid - j));
            int32_t t = pick[j]; pick[j] = pick[r]; pick[r] = t;
        }
        n = trials;
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && pick[j - 1] > pick[j]; j--) { int32_t t = pick[j]; pick[j] = pick[j - 1]; pick[j - 1] = t; }
    }
    *picks = pick;
    *n_picks = n;
    return br_ok(err);
}

void bookrec_grid_spec(const bookrec_grid *g, int k, const bookrec_spec *base, bookrec_spec *out) {
    *out = *base;
    out->to.lr = (float)g->lr[k % g->n_lr];
    out->to.l2 = (float)g->l2[(k / g->n_lr) % g->n_l2];
    out->cfg.dim = (int)g->dim[(k / (g->n_lr * g->n_l2)) % g->n_dim];
    out->cfg.hidden = (int)g->hidden[(k / (g->n_lr * g->n_l2 * g->n_dim)) % g->n_hidden];
    out->to.l2_dense = (float)g->l2_dense[k / (g->n_lr * g->n_l2 * g->n_dim * g->n_hidden)];
}

/* Parses a comma-separated list of numbers into v[0..BOOKREC_GRID_MAX); returns the count, or -1 with err set. */
static int parse_list(const char *name, const char *txt, double *v, bookrec_error *err) {
    int n = 0;
    const char *p = txt;
    while (*p) {
        char *end;
        double x = strtod(p, &end);
        if (end == p || !isfinite(x)) break;
        if (n == BOOKREC_GRID_MAX) return br_fail(err, BOOKREC_E_ARG, "%s takes at most %d values", name, BOOKREC_GRID_MAX), -1;
        v[n++] = x;
        p = end;
        if (*p == ',') p++;
        else if (*p) break;
    }
    if (*p) return br_fail(err, BOOKREC_E_ARG, "%s expects numbers separated by commas, got '%s'", name, txt), -1;
    if (n == 0) return br_fail(err, BOOKREC_E_ARG, "%s is empty", name), -1;
    return n;
}

/* Fails naming the list when one of v[0..n) is outside lo..hi (hi NaN: no upper bound; lo excluded when open). */
static int check_range(const char *what, const double *v, int n, double lo, int open, double hi, bookrec_error *err) {
    for (int i = 0; i < n; i++)
        if (!(open ? v[i] > lo : v[i] >= lo) || v[i] > hi) return br_fail(err, BOOKREC_E_ARG, "%s", what);
    return BOOKREC_OK;
}

int bookrec_grid_parse(const char *const lists[5], const bookrec_spec *base, bookrec_grid_lists *v, bookrec_grid *g,
                       bookrec_error *err) {
    if (!lists || !base || !v || !g) return br_fail(err, BOOKREC_E_ARG, "grid: NULL argument");
    int seed_arch = base->cfg.arch == BOOKREC_ARCH_SEED, mf = base->cfg.arch == BOOKREC_ARCH_MF;
    *g = (bookrec_grid){v->lr, v->l2, v->dim, v->hidden, v->l2_dense, 0, 0, 0, 1, 1};
    char hdef[32];
    snprintf(hdef, sizeof hdef, "%d", base->cfg.hidden);
    v->hidden[0] = base->cfg.hidden;
    v->l2_dense[0] = 0;
    const char *txt[5] = {lists[0] ? lists[0] : seed_arch ? BOOKREC_TUNE_LR_SEED : BOOKREC_TUNE_LR_MF,
                          lists[1] ? lists[1] : seed_arch ? BOOKREC_TUNE_L2_SEED : BOOKREC_TUNE_L2_MF,
                          lists[2] ? lists[2] : seed_arch ? BOOKREC_TUNE_DIM_SEED : BOOKREC_TUNE_DIM_MF,
                          lists[3] ? lists[3] : hdef, lists[4] ? lists[4] : "0"};
    static const char *const names[5] = {"lr", "l2", "dim", "hidden", "l2-dense"};
    double *vals[5] = {v->lr, v->l2, v->dim, v->hidden, v->l2_dense};
    int *counts[5] = {&g->n_lr, &g->n_l2, &g->n_dim, &g->n_hidden, &g->n_l2_dense};
    for (int k = 0; k < (mf ? 3 : 5); k++) /* mf has no dense layer: base's hidden and no dense L2 */
        if ((*counts[k] = parse_list(names[k], txt[k], vals[k], err)) < 0) return BOOKREC_E_ARG;
    int st = check_range("l2-dense values must be >= 0", v->l2_dense, g->n_l2_dense, 0, 0, INFINITY, err);
    if (!st) st = check_range("lr values must be > 0", v->lr, g->n_lr, 0, 1, INFINITY, err);
    if (!st) st = check_range("l2 values must be >= 0", v->l2, g->n_l2, 0, 0, INFINITY, err);
    if (!st) st = check_range("dim values must be in 1..4096", v->dim, g->n_dim, 1, 0, 4096, err);
    if (!st) st = check_range("hidden values must be in 1..4096", v->hidden, g->n_hidden, 1, 0, 4096, err);
    return st ? st : br_ok(err);
}

/* ------------------------------------------------------------------ the search */

void bookrec_tune_options_default(bookrec_tune_options *o) {
    memset(o, 0, sizeof *o);
    bookrec_spec mf;
    bookrec_preset(BOOKREC_ARCH_DEFAULT, &mf, NULL);
    o->settings.epochs = mf.to.epochs;
    o->settings.patience = mf.to.patience;
    o->settings.seed = mf.to.seed;
    o->settings.valid_fraction = BOOKREC_VALID_FRACTION;
    o->trial_seed = 1;
    o->metric = BOOKREC_TUNE_RMSE;
    o->test_fraction = BOOKREC_TEST_FRACTION;
    o->split_seed = BOOKREC_SPLIT_SEED;
    o->rank.k = 10;
    o->rank.max_users = 5000;
}

int bookrec_tune_base(bookrec_tune_options *o, const char *row, bookrec_error *err) {
    bookrec_spec *b = &o->base;
    const bookrec_tune_settings *t = &o->settings;
    int st = bookrec_preset_row(row, b, err);
    if (st != BOOKREC_OK) return st;
    if (b->cfg.implicit) return br_fail(err, BOOKREC_E_ARG, "tune: '%s' is an implicit row (use settings.implicit)", row);
    b->to.epochs = t->epochs;
    b->to.patience = t->patience;
    b->valid_fraction = t->valid_fraction;
    b->cfg.seed = t->seed;
    b->to.seed = t->seed;
    if (t->batch > 0) b->to.batch = t->batch;
    b->to.l2_row = t->l2_row;
    b->cfg.implicit = t->implicit;
    b->to.group_users = t->group_users || t->implicit;
    return br_ok(err);
}

/* Trains point `k` on d's fit part (stopping early on its validation part) and ranks d's validation users. */
static int run_trial(const bookrec_tune_options *o, const bookrec_fit_data *d, const bookrec_rank_options *ro,
                     bookrec_tune_trial *t, bookrec_error *err) {
    bookrec_spec_row row = {0};
    bookrec_grid_spec(&o->grid, t->point, &o->base, &row.spec);
    bookrec_ranker rk = bookrec_spec_ranker("tune", &row);
    void *ctx = NULL;
    int st = rk.fit(rk.arg, d, &ctx, err);
    if (st != BOOKREC_OK) return st;
    t->info = row.info;
    bookrec_rank_result rr;
    st = bookrec_rank_evaluate(d->n_users, d->n_items, &d->fit, &d->valid, rk.score, ctx, ro, &rr, err);
    rk.release(rk.arg, ctx);
    if (st != BOOKREC_OK) return st;
    t->ndcg = rr.ndcg;
    t->hr = rr.hr;
    t->rank_users = rr.n_users;
    return BOOKREC_OK;
}

/* Runs the sampled points on d into res (allocated), the best by o->metric. */
static int search(const bookrec_tune_options *o, const bookrec_fit_data *d, const bookrec_rank_options *ro,
                  const int32_t *pick, int n_runs, bookrec_tune_result *res, bookrec_error *err) {
    res->runs = calloc((size_t)n_runs, sizeof *res->runs);
    if (!res->runs) return br_fail(err, BOOKREC_E_NOMEM, "tune: out of memory");
    res->n_runs = n_runs;
    res->best = -1;
    if (o->on_start) o->on_start(o->ctx, n_runs, d);
    for (int j = 0; j < n_runs; j++) {
        bookrec_tune_trial *t = &res->runs[j], *b = res->best >= 0 ? &res->runs[res->best] : NULL;
        bookrec_spec s;
        bookrec_grid_spec(&o->grid, pick[j], &o->base, &s);
        t->point = pick[j];
        t->lr = s.to.lr;
        t->l2 = s.to.l2;
        t->dim = s.cfg.dim;
        t->hidden = s.cfg.hidden;
        t->l2_dense = s.to.l2_dense;
        if (o->before_trial) o->before_trial(o->ctx, j, n_runs, t);
        int st = run_trial(o, d, ro, t, err);
        if (st != BOOKREC_OK) return st;
        if (o->after_trial) o->after_trial(o->ctx, j, n_runs, t);
        if (!b || (o->metric == BOOKREC_TUNE_NDCG ? t->ndcg > b->ndcg : t->info.best_valid_rmse < b->info.best_valid_rmse))
            res->best = j;
    }
    const bookrec_tune_trial *b = &res->runs[res->best];
    bookrec_grid_spec(&o->grid, b->point, &o->base, &res->best_spec);
    res->best_fixed = res->best_spec;
    res->best_fixed.to.epochs = b->info.best_epoch > 0 ? b->info.best_epoch : o->base.to.epochs;
    res->best_fixed.to.patience = 0;
    return br_ok(err);
}

int bookrec_tune_run(const bookrec_ratings *r, const bookrec_tune_options *o, bookrec_tune_result *res,
                     bookrec_error *err) {
    if (!r || !o || !res) return br_fail(err, BOOKREC_E_ARG, "tune: NULL argument");
    memset(res, 0, sizeof *res);
    int32_t *pick = NULL;
    int n_runs = 0;
    int st = bookrec_grid_sample(&o->grid, o->trials, o->trial_seed, &pick, &n_runs, err);
    if (st != BOOKREC_OK) return st;
    bookrec_triples train = {0}, test = {0};
    bookrec_fit_data d = {0};
    st = bookrec_split(r, o->test_fraction, o->split_seed, &train, &test, err);
    bookrec_triples_free(&test); /* set aside unread */
    if (st == BOOKREC_OK)
        st = bookrec_fit_data_init(&d, &train, bookrec_ids_count(r->users), bookrec_ids_count(r->items),
                                   r->min_rating, r->max_rating, o->base.valid_fraction,
                                   br_valid_seed(o->split_seed), err);
    if (st == BOOKREC_OK) {
        bookrec_rank_options ro = o->rank;
        ro.min_rating = r->min_rating;
        ro.max_rating = r->max_rating;
        br_rank_threads(&ro, &o->base.to);
        st = search(o, &d, &ro, pick, n_runs, res, err);
    }
    if (st != BOOKREC_OK) bookrec_tune_result_free(res);
    bookrec_fit_data_free(&d);
    bookrec_triples_free(&train);
    free(pick);
    return st;
}

void bookrec_tune_result_free(bookrec_tune_result *res) {
    if (!res) return;
    free(res->runs);
    memset(res, 0, sizeof *res);
}
