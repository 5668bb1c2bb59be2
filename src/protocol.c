/*
 * protocol.c - the new-reader protocol of bookrec's evaluation, for a table of rankers: for each reader seed,
 * readers held out of the data entirely, every ranker fitted on the other users' ratings, each held-out reader
 * folded in under every variant (a few random ratings, or only the loved ones) and ranked for the rest; figures
 * as mean, spread, minimum and maximum over the seeds, with coverage and the mean popularity rank of what was
 * recommended. Also the one place that decides what a ranker may learn from (bookrec_fit_data: the training part
 * and a validation part carved from it) and the baseline rankers (popularity, liked popularity, book bias).
 * It is not the metrics (src/eval.c), not a model or trainer (rankers come as callbacks), and it does no I/O.
 */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- what a ranker may learn from */

int bookrec_fit_data_init(bookrec_fit_data *d, const bookrec_triples *train, int n_users, int n_items,
                          float min_rating, float max_rating, double valid_fraction, uint64_t seed,
                          bookrec_error *err) {
    if (!d || !train || n_users <= 0 || n_items <= 0)
        return br_fail(err, BOOKREC_E_ARG, "fit data: bad arguments (n_users %d, n_items %d, NULL pointer?)", n_users,
                       n_items);
    memset(d, 0, sizeof *d);
    if (train->n == 0) return br_fail(err, BOOKREC_E_EMPTY, "fit data: the training part has no ratings");
    if (!(valid_fraction >= 0.0 && valid_fraction < 1.0))
        return br_fail(err, BOOKREC_E_ARG, "fit data: validation fraction must be in [0, 1), got %g", valid_fraction);
    d->train = train;
    d->n_users = n_users;
    d->n_items = n_items;
    d->min_rating = min_rating;
    d->max_rating = max_rating;
    d->seed = seed;
    /* bookrec_triples_split mixes its own constant into the seed: the same carve as the CLI's --valid-fraction */
    int st = bookrec_triples_split(train, valid_fraction, seed, &d->fit, &d->valid, err);
    if (st != BOOKREC_OK) { memset(d, 0, sizeof *d); return st; }
    if (d->fit.n == 0) {
        bookrec_fit_data_free(d);
        return br_fail(err, BOOKREC_E_EMPTY, "fit data: a validation fraction of %g leaves nothing to fit on",
                       valid_fraction);
    }
    return br_ok(err);
}

void bookrec_fit_data_free(bookrec_fit_data *d) {
    if (!d) return;
    bookrec_triples_free(&d->fit);
    bookrec_triples_free(&d->valid);
    memset(d, 0, sizeof *d);
}

/* ---------------------------------------------------------------- baseline rankers */

/* A bookrec_fixed_scorer and its score vector in one allocation. */
static bookrec_fixed_scorer *fixed_new(int n_items) {
    bookrec_fixed_scorer *f = malloc(sizeof *f + (size_t)n_items * sizeof(float));
    if (!f) return NULL;
    f->scores = (const float *)(f + 1);
    f->n_items = n_items;
    return f;
}

int bookrec_fit_popularity(void *arg, const bookrec_fit_data *d, void **score_ctx, bookrec_error *err) {
    if (!d || !d->train || !score_ctx) return br_fail(err, BOOKREC_E_ARG, "popularity ranker: NULL argument");
    bookrec_fixed_scorer *f = fixed_new(d->n_items);
    if (!f) return br_fail(err, BOOKREC_E_NOMEM, "popularity ranker: out of memory");
    float min = arg ? *(const float *)arg : -INFINITY;
    int st = bookrec_popularity_min(d->train, d->n_items, min, (float *)(f + 1), err);
    if (st != BOOKREC_OK) { free(f); return st; }
    *score_ctx = f;
    return BOOKREC_OK;
}

int bookrec_fit_book_bias(void *arg, const bookrec_fit_data *d, void **score_ctx, bookrec_error *err) {
    if (!d || !d->train || !score_ctx) return br_fail(err, BOOKREC_E_ARG, "book-bias ranker: NULL argument");
    bookrec_bias_model *b = NULL;
    int st = bookrec_bias_fit(d->train, d->n_users, d->n_items, arg, &b, err);
    if (st != BOOKREC_OK) return st;
    bookrec_fixed_scorer *f = fixed_new(d->n_items);
    if (!f) { bookrec_bias_free(b); return br_fail(err, BOOKREC_E_NOMEM, "book-bias ranker: out of memory"); }
    float *s = (float *)(f + 1);
    for (int i = 0; i < d->n_items; i++) s[i] = b->mu + b->item_bias[i]; /* b_u is the same for all of a reader's books */
    bookrec_bias_free(b);
    *score_ctx = f;
    return BOOKREC_OK;
}

void bookrec_release_fixed(void *arg, void *score_ctx) {
    (void)arg;
    free(score_ctx);
}

/* ---------------------------------------------------------------- fold-in variants */

static const bookrec_foldin_variant default_variants[3] = {{5, 0}, {10, 0}, {10, 1}};

/* One variant's parts for one seed: what each reader tells (fold) and what should be found (target). */
typedef struct variant_parts {
    bookrec_triples fold, target;
    int left_out; /* loved-only readers with no loved book among their n */
} variant_parts;

/* Builds a variant's parts from the split's per-reader fold-in blocks (each reader's n_max sampled ratings, together,
   in sampled order) and targets: a reader's first n sampled ratings fold it in (only those >= thr when loved_only),
   the rest of its sample joins its targets; readers left with no fold-in rating lose their targets too. */
static int variant_build(const bookrec_triples *fold_max, const bookrec_triples *target, int n_users, int n_max,
                         const bookrec_foldin_variant *v, float thr, variant_parts *out, bookrec_error *err) {
    memset(out, 0, sizeof *out);
    unsigned char *keep = calloc((size_t)n_users, 1);
    if (!keep || bookrec_triples_alloc(&out->fold, fold_max->n) ||
        bookrec_triples_alloc(&out->target, fold_max->n + target->n)) {
        free(keep);
        bookrec_triples_free(&out->fold);
        bookrec_triples_free(&out->target);
        return br_fail(err, BOOKREC_E_NOMEM, "new-reader protocol: out of memory");
    }
    size_t nf = 0, nt = 0;
    for (size_t b = 0; b < fold_max->n; b += (size_t)n_max) { /* one reader's block */
        int32_t u = fold_max->user[b];
        size_t f0 = nf;
        for (int q = 0; q < v->n_foldin; q++) {
            size_t j = b + (size_t)q;
            if (v->loved_only && !(fold_max->rating[j] >= thr)) continue;
            out->fold.user[nf] = u; out->fold.item[nf] = fold_max->item[j]; out->fold.rating[nf] = fold_max->rating[j];
            nf++;
        }
        if (nf == f0) { out->left_out++; continue; }
        keep[u] = 1;
        for (int q = v->n_foldin; q < n_max; q++) {
            size_t j = b + (size_t)q;
            out->target.user[nt] = u; out->target.item[nt] = fold_max->item[j];
            out->target.rating[nt] = fold_max->rating[j];
            nt++;
        }
    }
    for (size_t j = 0; j < target->n; j++)
        if (keep[target->user[j]]) {
            out->target.user[nt] = target->user[j]; out->target.item[nt] = target->item[j];
            out->target.rating[nt] = target->rating[j];
            nt++;
        }
    out->fold.n = nf;
    out->target.n = nt;
    free(keep);
    return BOOKREC_OK;
}

/* ---------------------------------------------------------------- the protocol */

enum { FIG_HR, FIG_NDCG, FIG_RECALL, FIG_COV, FIG_POP, FIG_READERS, N_FIG };

static bookrec_stat stat_of(const double *x, int n) {
    bookrec_stat s = {0, 0, x[0], x[0]};
    for (int j = 0; j < n; j++) {
        s.mean += x[j];
        if (x[j] < s.min) s.min = x[j];
        if (x[j] > s.max) s.max = x[j];
    }
    s.mean /= n;
    if (n > 1) {
        double ss = 0;
        for (int j = 0; j < n; j++) ss += (x[j] - s.mean) * (x[j] - s.mean);
        s.sd = sqrt(ss / (n - 1));
    }
    return s;
}

/* Everything one seed needs, freed together. */
typedef struct seed_parts {
    bookrec_triples train, fold, target;
    variant_parts *var;
    int n_var;
    float *pop, *pop_rank;
    bookrec_fit_data fd;
} seed_parts;

static void seed_parts_free(seed_parts *p) {
    bookrec_fit_data_free(&p->fd);
    bookrec_triples_free(&p->train);
    bookrec_triples_free(&p->fold);
    bookrec_triples_free(&p->target);
    for (int v = 0; p->var && v < p->n_var; v++) {
        bookrec_triples_free(&p->var[v].fold);
        bookrec_triples_free(&p->var[v].target);
    }
    free(p->var);
    free(p->pop);
    free(p->pop_rank);
    memset(p, 0, sizeof *p);
}

/* Splits the readers of one seed and prepares the variants, the popularity ranks and the fit data. */
static int seed_prepare(const bookrec_triples *all, int n_users, int n_items, const bookrec_protocol_options *o,
                        const bookrec_foldin_variant *vars, int n_var, int n_max, float thr, uint64_t seed,
                        double valid_fraction, seed_parts *p, int *n_held, bookrec_error *err) {
    memset(p, 0, sizeof *p);
    bookrec_newreader_options nro = o->readers;
    nro.n_foldin = n_max;
    nro.seed = seed;
    int st = bookrec_split_new_readers(all, n_users, &nro, &p->train, &p->fold, &p->target, n_held, err);
    if (st != BOOKREC_OK) return st;
    p->n_var = n_var;
    p->var = calloc((size_t)n_var, sizeof *p->var);
    p->pop = malloc((size_t)n_items * sizeof *p->pop);
    p->pop_rank = malloc((size_t)n_items * sizeof *p->pop_rank);
    if (!p->var || !p->pop || !p->pop_rank) return br_fail(err, BOOKREC_E_NOMEM, "new-reader protocol: out of memory");
    for (int v = 0; v < n_var; v++)
        if ((st = variant_build(&p->fold, &p->target, n_users, n_max, &vars[v], thr, &p->var[v], err))) return st;
    if ((st = bookrec_popularity(&p->train, n_items, p->pop, err)) ||
        (st = bookrec_popularity_ranks(p->pop, n_items, p->pop_rank, err)))
        return st;
    return bookrec_fit_data_init(&p->fd, &p->train, n_users, n_items, o->rank.min_rating, o->rank.max_rating,
                                 valid_fraction, seed, err);
}

/* Fits ranker r on the seed's data and ranks every variant, writing figures into fig[(v * N_FIG) + f]. */
static int seed_rank(const seed_parts *p, const bookrec_ranker *rk, int n_users, int n_items,
                     const bookrec_rank_options *ro, const bookrec_protocol_options *o, int si, int r, double *fig,
                     bookrec_error *err) {
    void *ctx = NULL;
    int st = rk->fit(rk->arg, &p->fd, &ctx, err);
    if (st != BOOKREC_OK) return st;
    for (int v = 0; v < p->n_var && st == BOOKREC_OK; v++) {
        bookrec_rank_result res;
        double pr = NAN;
        st = bookrec_rank_evaluate_ex(n_users, n_items, &p->var[v].fold, &p->var[v].target, 1, rk->score, ctx, ro,
                                      p->pop_rank, &pr, &res, err);
        if (st != BOOKREC_OK) break;
        double *f = fig + (size_t)v * N_FIG;
        f[FIG_HR] = res.hr; f[FIG_NDCG] = res.ndcg; f[FIG_RECALL] = res.recall; f[FIG_COV] = res.coverage;
        f[FIG_POP] = pr; f[FIG_READERS] = res.n_users;
        if (o->progress) o->progress(o->progress_ctx, si, r, v, &res, pr);
    }
    if (rk->release) rk->release(rk->arg, ctx);
    return st;
}

/* Distinct users in t (-1 when out of memory). */
static int count_users(const bookrec_triples *t, int n_users) {
    unsigned char *seen = calloc((size_t)n_users, 1);
    if (!seen) return -1;
    int n = 0;
    for (size_t j = 0; j < t->n; j++)
        if (!seen[t->user[j]]) { seen[t->user[j]] = 1; n++; }
    free(seen);
    return n;
}

int bookrec_protocol_run(const bookrec_triples *all, int n_users, int n_items, const bookrec_ranker *rankers,
                         int n_rankers, const bookrec_protocol_options *opt, bookrec_protocol_cell *out,
                         bookrec_protocol_info *info, bookrec_error *err) {
    if (!all || n_users <= 0 || n_items <= 0 || !rankers || n_rankers <= 0 || !out)
        return br_fail(err, BOOKREC_E_ARG, "new-reader protocol: bad arguments (n_users %d, n_items %d, %d rankers)",
                       n_users, n_items, n_rankers);
    bookrec_protocol_options o;
    if (opt) o = *opt; else memset(&o, 0, sizeof o);
    int n_seeds = o.n_seeds > 0 ? o.n_seeds : 3;
    const bookrec_foldin_variant *vars = o.variants ? o.variants : default_variants;
    int n_var = o.variants ? o.n_variants : 3;
    if (n_var <= 0 || n_seeds > 1000)
        return br_fail(err, BOOKREC_E_ARG, "new-reader protocol: %d variants, %d seeds (need >= 1 variant, <= 1000 "
                       "seeds)", n_var, n_seeds);
    int n_max = 0;
    for (int v = 0; v < n_var; v++) {
        if (vars[v].n_foldin < 1)
            return br_fail(err, BOOKREC_E_ARG, "new-reader protocol: variant %d folds in %d ratings (need >= 1)", v,
                           vars[v].n_foldin);
        if (vars[v].n_foldin > n_max) n_max = vars[v].n_foldin;
    }
    for (int r = 0; r < n_rankers; r++)
        if (!rankers[r].fit || !rankers[r].score)
            return br_fail(err, BOOKREC_E_ARG, "new-reader protocol: ranker %d (%s) has no fit or score function", r,
                           rankers[r].name ? rankers[r].name : "unnamed");
    double valid_fraction = o.valid_fraction == 0.0 ? 0.1 : o.valid_fraction < 0.0 ? 0.0 : o.valid_fraction;
    bookrec_rank_options ro = o.rank;
    ro.max_users = 0;
    float thr = ro.threshold != 0.0f ? ro.threshold : bookrec_relevance_threshold(ro.min_rating, ro.max_rating);
    ro.threshold = thr;
    uint64_t seed0 = o.readers.seed ? o.readers.seed : 1;

    size_t n_fig = (size_t)n_seeds * (size_t)n_rankers * (size_t)n_var * N_FIG;
    double *fig = malloc(n_fig * sizeof *fig), *col = malloc((size_t)n_seeds * sizeof *col);
    if (!fig || !col) { free(fig); free(col); return br_fail(err, BOOKREC_E_NOMEM, "new-reader protocol: out of memory"); }
    int st = BOOKREC_OK, n_held = 0, n_train_users = 0;
    double left_out = 0;
    for (int si = 0; si < n_seeds && st == BOOKREC_OK; si++) {
        seed_parts p;
        st = seed_prepare(all, n_users, n_items, &o, vars, n_var, n_max, thr, seed0 + (uint64_t)si, valid_fraction, &p,
                          &n_held, err);
        for (int v = 0; st == BOOKREC_OK && v < n_var; v++)
            if (vars[v].loved_only) { left_out += p.var[v].left_out; break; }
        for (int r = 0; r < n_rankers && st == BOOKREC_OK; r++)
            st = seed_rank(&p, &rankers[r], n_users, n_items, &ro, &o, si, r,
                           fig + (((size_t)si * n_rankers + r) * n_var) * N_FIG, err);
        if (st == BOOKREC_OK && si == 0) n_train_users = count_users(&p.train, n_users);
        seed_parts_free(&p);
    }
    if (st == BOOKREC_OK) {
        for (int r = 0; r < n_rankers; r++)
            for (int v = 0; v < n_var; v++) {
                bookrec_stat s[N_FIG];
                for (int f = 0; f < N_FIG; f++) {
                    for (int si = 0; si < n_seeds; si++)
                        col[si] = fig[(((size_t)si * n_rankers + r) * n_var + v) * N_FIG + f];
                    s[f] = stat_of(col, n_seeds);
                }
                bookrec_protocol_cell *c = &out[(size_t)r * n_var + v];
                c->hr = s[FIG_HR]; c->ndcg = s[FIG_NDCG]; c->recall = s[FIG_RECALL]; c->coverage = s[FIG_COV];
                c->pop_rank = s[FIG_POP]; c->n_readers = s[FIG_READERS];
            }
        if (info) {
            memset(info, 0, sizeof *info);
            info->n_seeds = n_seeds;
            info->n_variants = n_var;
            info->k = ro.k > 0 ? (ro.k < n_items ? ro.k : n_items) : (10 < n_items ? 10 : n_items);
            info->threshold = thr;
            info->n_held = n_held;
            info->n_train_users = n_train_users;
            info->loved_left_out = left_out / n_seeds;
        }
        st = br_ok(err);
    }
    free(fig);
    free(col);
    return st;
}
