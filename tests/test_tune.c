/*
 * test_tune.c - the experiment entry points `bookrec train` and `bookrec tune` hand their work to: the split with
 * its validation carve (one shuffle whether the dataset's arrays are taken or copied; the carve is the fit data's),
 * the grid parsed from text (defaults per architecture, errors naming the list), the search (the same runs and
 * the same best as training and ranking each point by hand, by RMSE or NDCG), training with or without packed
 * ratings (the same model), a spec's model (implicit sets never hold a test book), and a trained model's rankings
 * (dataset users beside popularity, new readers through the protocol); `bookrec train`'s whole run (the model
 * made by hand from the same parts, its history's test figures from the test part, callbacks in order, the failed
 * step named). The data is a small generated catalogue.
 */
#include "bookrec.h"
#include "check.h"
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NU 80
#define NI 40

/* A catalogue with structure: user u likes books of its parity; every user rates 25 books. */
static bookrec_ratings *make_ratings(void) {
    size_t cap = 64 + (size_t)NU * 25 * 16, n = 0;
    char *csv = malloc(cap);
    n += (size_t)snprintf(csv + n, cap - n, "user_id,book_id,rating\n");
    for (int u = 0; u < NU; u++)
        for (int k = 0; k < 25; k++) {
            int i = (u * 7 + k * 3) % NI, like = (i % 2) == (u % 2);
            n += (size_t)snprintf(csv + n, cap - n, "%d,%d,%d\n", u + 1, i + 1, like ? 4 + (k % 2) : 1 + (k % 3));
        }
    bookrec_csv_options o = {0};
    bookrec_ratings *r = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_ratings_parse(csv, n, &o, &r, &err) == BOOKREC_OK, "%s", err.msg);
    free(csv);
    return r;
}

static int same_triples(const bookrec_triples *a, const bookrec_triples *b) {
    return a->n == b->n && (a->n == 0 || (!memcmp(a->user, b->user, a->n * sizeof *a->user) &&
                                          !memcmp(a->item, b->item, a->n * sizeof *a->item) &&
                                          !memcmp(a->rating, b->rating, a->n * sizeof *a->rating)));
}

static void test_split(void) {
    bookrec_error err = {0};
    bookrec_ratings *r = make_ratings(), *r2 = make_ratings();
    size_t n = r->all.n;
    bookrec_split_parts full, lean;
    CHECK(bookrec_split_parts_make(r, 0.2, 9, 0.1, 0, &full, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(r->all.n == n, "a full split copies");
    CHECK(bookrec_split_parts_make(r2, 0.2, 9, 0.1, 1, &lean, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(r2->all.n == 0 && lean.train.n == 0, "a lean split takes the dataset and drops train once carved");
    CHECK(same_triples(&full.test, &lean.test) && same_triples(&full.fit, &lean.fit) &&
          same_triples(&full.valid, &lean.valid), "taking or copying: the same parts");
    CHECK(full.test.n == (size_t)ceil(0.2 * (double)n) && full.fit.n + full.valid.n == full.train.n &&
          full.train.n + full.test.n == n);
    bookrec_fit_data fd;
    CHECK(bookrec_fit_data_init(&fd, &full.train, NU, NI, 1, 5, 0.1, br_valid_seed(9), &err) == BOOKREC_OK);
    CHECK(same_triples(&fd.fit, &full.fit) && same_triples(&fd.valid, &full.valid), "the fit data's carve");
    bookrec_fit_data_free(&fd);
    bookrec_triples train = {0}, test = {0};
    CHECK(bookrec_split(r, 0.2, 9, &train, &test, &err) == BOOKREC_OK && same_triples(&train, &full.train) &&
          same_triples(&test, &full.test), "bookrec_split is the parts' split");
    bookrec_triples_free(&train);
    bookrec_triples_free(&test);
    bookrec_split_parts none;
    CHECK(bookrec_split_parts_make(r, 0.2, 9, 0, 0, &none, &err) == BOOKREC_OK && none.fit.n == 0 &&
          none.valid.n == 0 && same_triples(&none.train, &full.train), "no validation: no carve");
    bookrec_split_parts_free(&none);
    CHECK(bookrec_split_parts_make(r, 1.5, 9, 0, 0, &none, &err) == BOOKREC_E_ARG && none.test.n == 0);
    bookrec_split_parts_free(&full);
    bookrec_split_parts_free(&lean);
    bookrec_split_parts_free(&none);
    bookrec_ratings_free(r);
    bookrec_ratings_free(r2);
}

static void test_preset_fill(void) {
    bookrec_error err = {0};
    bookrec_spec s, mf, seed;
    bookrec_preset("mf", &mf, NULL);
    bookrec_preset("seed", &seed, NULL);
    bookrec_spec_unset(&s);
    CHECK(s.cfg.dim == 0 && s.to.epochs == 0 && s.to.l2 < 0 && s.to.patience < 0 && s.cfg.hidden == seed.cfg.hidden &&
          s.to.batch == seed.to.batch && s.valid_fraction == BOOKREC_VALID_FRACTION, "unset, the rest the tutorial's");
    s.to.lr = 0.5f; /* given */
    CHECK(bookrec_preset_fill("mf", &s, &err) == BOOKREC_OK && s.cfg.arch == BOOKREC_ARCH_MF && s.cfg.dim == mf.cfg.dim &&
          s.to.epochs == mf.to.epochs && s.to.l2 == mf.to.l2 && s.to.patience == mf.to.patience && s.to.lr == 0.5f,
          "the unset fields from the preset, the given ones kept");
    bookrec_spec_unset(&s);
    s.to.l2 = 0;
    s.to.patience = 0;
    CHECK(bookrec_preset_fill("seed", &s, &err) == BOOKREC_OK && s.cfg.dim == seed.cfg.dim && s.to.lr == seed.to.lr &&
          s.to.l2 == 0 && s.cfg.arch == BOOKREC_ARCH_SEED);
    CHECK(bookrec_preset_fill("svd", &s, &err) == BOOKREC_E_ARG && s.cfg.arch == BOOKREC_ARCH_SEED, "unknown: untouched");
}

static void test_grid_parse(void) {
    bookrec_error err = {0};
    bookrec_spec mf, ncf, seed;
    bookrec_preset("mf", &mf, NULL);
    bookrec_preset_row("ncf", &ncf, NULL);
    bookrec_preset("seed", &seed, NULL);
    bookrec_grid_lists v;
    bookrec_grid g;
    const char *none[5] = {NULL, NULL, NULL, NULL, NULL};
    CHECK(bookrec_grid_parse(none, &mf, &v, &g, &err) == BOOKREC_OK && g.n_lr == 3 && g.n_l2 == 3 && g.n_dim == 3 &&
          g.n_hidden == 1 && g.n_l2_dense == 1 && v.lr[2] == 0.01 && v.dim[0] == 16 && g.dim == v.dim, "mf's lists");
    CHECK(bookrec_grid_parse(none, &seed, &v, &g, &err) == BOOKREC_OK && g.n_lr == 2 && g.n_dim == 1 &&
          v.dim[0] == 15 && v.hidden[0] == seed.cfg.hidden, "the tutorial's lists");
    const char *nl[5] = {"0.01", "0.1", "8", "16,32", "0,0.1"};
    CHECK(bookrec_grid_parse(nl, &ncf, &v, &g, &err) == BOOKREC_OK && bookrec_grid_size(&g) == 4 && v.hidden[1] == 32 &&
          v.l2_dense[1] == 0.1);
    CHECK(bookrec_grid_parse(nl, &mf, &v, &g, &err) == BOOKREC_OK && bookrec_grid_size(&g) == 1 &&
          v.hidden[0] == mf.cfg.hidden, "mf ignores the dense lists");
    struct { const char *lists[5]; const char *msg; } bad[] = {
        {{"0.01,abc"}, "lr expects numbers separated by commas, got '0.01,abc'"},
        {{NULL, ""}, "l2 is empty"},
        {{"0"}, "lr values must be > 0"},
        {{NULL, NULL, "0"}, "dim values must be in 1..4096"},
        {{NULL, NULL, NULL, "5000"}, "hidden values must be in 1..4096"},
        {{NULL, NULL, NULL, NULL, "-1"}, "l2-dense values must be >= 0"},
        {{"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"}, "lr takes at most 16 values"},
        {{"inf"}, "lr expects numbers"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        CHECK(bookrec_grid_parse(bad[k].lists, &ncf, &v, &g, &err) == BOOKREC_E_ARG &&
              !strncmp(err.msg, bad[k].msg, strlen(bad[k].msg)), "%zu: %s", k, err.msg);
}

static void test_tune_base(void) {
    bookrec_error err = {0};
    bookrec_tune_options o;
    bookrec_tune_options_default(&o);
    bookrec_spec mf;
    bookrec_preset("mf", &mf, NULL);
    CHECK(o.settings.epochs == mf.to.epochs && o.settings.patience == mf.to.patience && o.rank.k == 10 &&
          o.rank.max_users == 5000 && o.test_fraction == BOOKREC_TEST_FRACTION && o.trials == 0, "the defaults");
    o.settings.batch = 128;
    o.settings.implicit = 1;
    o.settings.seed = 9;
    CHECK(bookrec_tune_base(&o, "ncf", &err) == BOOKREC_OK && o.base.cfg.arch == BOOKREC_ARCH_NCF &&
          o.base.cfg.hidden == 64 && o.base.to.batch == 128 && o.base.to.group_users && o.base.cfg.implicit &&
          o.base.cfg.seed == 9 && o.base.to.epochs == mf.to.epochs, "the row's preset with the settings");
    o.settings.batch = 0;
    CHECK(bookrec_tune_base(&o, "seed", &err) == BOOKREC_OK && o.base.to.batch == mf.to.batch, "batch 0: the preset's");
    CHECK(bookrec_tune_base(&o, "mf-implicit", &err) == BOOKREC_E_ARG && bookrec_tune_base(&o, "x", &err) == BOOKREC_E_ARG);
}

typedef struct calls {
    int started, before, after, n_runs;
    size_t n_fit;
} calls;

static void on_start(void *ctx, int n_runs, const bookrec_fit_data *d) {
    calls *c = ctx;
    c->started++;
    c->n_runs = n_runs;
    c->n_fit = d->fit.n;
}
static void before_trial(void *ctx, int run, int n_runs, const bookrec_tune_trial *t) {
    calls *c = ctx;
    CHECK(run == c->before && n_runs == c->n_runs && t->dim > 0);
    c->before++;
}
static void after_trial(void *ctx, int run, int n_runs, bookrec_tune_trial *t) {
    calls *c = ctx;
    CHECK(run == c->after && n_runs == c->n_runs && t->info.epochs_run > 0);
    t->seconds = 1.5;
    c->after++;
}

static void test_search(void) {
    bookrec_error err = {0};
    bookrec_ratings *r = make_ratings();
    bookrec_tune_options o = {0};
    bookrec_preset("mf", &o.base, NULL);
    o.base.to.epochs = 6;
    o.base.to.patience = 1;
    const char *lists[5] = {"0.003,0.03", "0,0.3", "4", NULL, NULL};
    bookrec_grid_lists v;
    CHECK(bookrec_grid_parse(lists, &o.base, &v, &o.grid, &err) == BOOKREC_OK);
    o.test_fraction = 0.2;
    o.split_seed = 4;
    o.rank.k = 5;
    calls c = {0};
    o.on_start = on_start;
    o.before_trial = before_trial;
    o.after_trial = after_trial;
    o.ctx = &c;
    bookrec_tune_result res;
    CHECK(bookrec_tune_run(r, &o, &res, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(res.n_runs == 4 && c.started == 1 && c.before == 4 && c.after == 4 && res.runs[3].seconds == 1.5);

    /* by hand: the same split and carve, each point trained with early stopping and its validation users ranked */
    bookrec_triples train = {0}, test = {0};
    bookrec_split(r, 0.2, 4, &train, &test, &err);
    bookrec_fit_data fd;
    bookrec_fit_data_init(&fd, &train, NU, NI, r->min_rating, r->max_rating, o.base.valid_fraction, br_valid_seed(4),
                          &err);
    CHECK(c.n_fit == fd.fit.n, "the search's fit part");
    int best_rmse = -1, best_ndcg = -1;
    double ndcg[4];
    for (int k = 0; k < 4; k++) {
        bookrec_spec s;
        bookrec_grid_spec(&o.grid, k, &o.base, &s);
        bookrec_model *m = NULL;
        bookrec_train_info info;
        CHECK(bookrec_spec_train(&s, &fd, &m, &info, &err) == BOOKREC_OK, "%s", err.msg);
        bookrec_model_prepare(m, &err);
        bookrec_model_scorer sc = {m, {0, 0, 0}};
        bookrec_rank_options ro = o.rank;
        ro.min_rating = r->min_rating;
        ro.max_rating = r->max_rating;
        bookrec_rank_result rr;
        CHECK(bookrec_rank_evaluate(NU, NI, &fd.fit, &fd.valid, bookrec_score_model, &sc, &ro, &rr, &err) == BOOKREC_OK);
        const bookrec_tune_trial *t = &res.runs[k];
        CHECK(t->point == k && t->lr == s.to.lr && t->l2 == s.to.l2 && t->info.best_epoch == info.best_epoch &&
              t->info.best_valid_rmse == info.best_valid_rmse && t->ndcg == rr.ndcg && t->hr == rr.hr &&
              t->rank_users == rr.n_users, "run %d as by hand", k);
        ndcg[k] = rr.ndcg;
        if (best_rmse < 0 || info.best_valid_rmse < res.runs[best_rmse].info.best_valid_rmse) best_rmse = k;
        if (best_ndcg < 0 || rr.ndcg > ndcg[best_ndcg]) best_ndcg = k;
        bookrec_model_free(m);
    }
    CHECK(res.best == best_rmse && res.best_spec.to.lr == res.runs[best_rmse].lr, "the best by RMSE");
    CHECK(res.best_fixed.to.epochs == res.runs[best_rmse].info.best_epoch && res.best_fixed.to.patience == 0 &&
          res.best_fixed.to.lr == res.best_spec.to.lr && res.best_spec.to.patience == 1, "the best with fixed epochs");
    bookrec_tune_result_free(&res);
    o.metric = BOOKREC_TUNE_NDCG;
    o.on_start = NULL;
    o.before_trial = NULL;
    o.after_trial = NULL;
    o.trials = 2;
    o.trial_seed = 3;
    CHECK(bookrec_tune_run(r, &o, &res, &err) == BOOKREC_OK && res.n_runs == 2, "%s", err.msg);
    int32_t *pick = NULL;
    int n_pick = 0;
    bookrec_grid_sample(&o.grid, 2, 3, &pick, &n_pick, &err);
    int want = ndcg[pick[1]] > ndcg[pick[0]] ? 1 : 0;
    CHECK(res.runs[0].point == pick[0] && res.runs[1].point == pick[1] && res.best == want, "a sample, best by NDCG");
    bookrec_free(pick);
    bookrec_tune_result_free(&res);
    bookrec_tune_result_free(NULL);
    o.test_fraction = 1.5;
    CHECK(bookrec_tune_run(r, &o, &res, &err) == BOOKREC_E_ARG && res.runs == NULL, "a bad split fails");
    bookrec_fit_data_free(&fd);
    bookrec_triples_free(&train);
    bookrec_triples_free(&test);
    bookrec_ratings_free(r);
}

static void on_pack(void *ctx, const bookrec_packed *pk, const char *why_not) {
    *(int *)ctx = pk && !why_not ? (int)pk->n : -1;
}

/* The model's bytes. */
static uint8_t *saved(bookrec_model *m, size_t *n) {
    bookrec_save_options so = {0};
    uint8_t *b = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_model_save(m, &so, &b, n, &err) == BOOKREC_OK, "%s", err.msg);
    return b;
}

static void test_train_fit(void) {
    bookrec_error err = {0};
    bookrec_ratings *r = make_ratings();
    bookrec_split_parts a, b;
    bookrec_split_parts_make(r, 0.2, 1, 0.1, 0, &a, &err);
    bookrec_split_parts_make(r, 0.2, 1, 0.1, 0, &b, &err);
    bookrec_spec s;
    bookrec_preset("mf", &s, NULL);
    s.cfg.dim = 4;
    s.to.epochs = 5;
    s.to.patience = 1;
    s.to.shuffle_in_place = 1;
    bookrec_model *m1 = NULL, *m2 = NULL;
    bookrec_spec_model(&s, NU, NI, 1, 5, &a.fit, &a.test, &m1, NULL, &err);
    bookrec_spec_model(&s, NU, NI, 1, 5, &b.fit, &b.test, &m2, NULL, &err);
    bookrec_train_info i1, i2;
    int packed = 0;
    size_t n_fit = a.fit.n;
    CHECK(bookrec_train_fit(m1, &a.fit, &a.valid, &s.to, 1, on_pack, &packed, &i1, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(packed == (int)n_fit && a.fit.n == n_fit && a.fit.user == NULL, "packed: fit consumed, its count kept");
    CHECK(same_triples(&a.valid, &b.valid), "valid unpacked back as it was");
    CHECK(bookrec_train_fit(m2, &b.fit, &b.valid, &s.to, 0, NULL, NULL, &i2, &err) == BOOKREC_OK && b.fit.user);
    CHECK(i1.epochs_run == i2.epochs_run && i1.best_epoch == i2.best_epoch && i1.best_epoch >= 1 &&
          i1.best_valid_rmse == i2.best_valid_rmse, "the same run");
    size_t n1 = 0, n2 = 0;
    uint8_t *b1 = saved(m1, &n1), *b2 = saved(m2, &n2);
    CHECK(n1 == n2 && !memcmp(b1, b2, n1), "packed or not: the same model");
    bookrec_free(b1);
    bookrec_free(b2);

    /* rankings of the trained model: popularity as its own ranking, new readers through the protocol */
    bookrec_rank_options ro = {0};
    ro.k = 5;
    ro.min_rating = 1;
    ro.max_rating = 5;
    bookrec_rank_result mr, pr, by_hand;
    CHECK(bookrec_rank_trained(m2, &b.train, &b.test, &ro, &mr, &pr, &err) == BOOKREC_OK, "%s", err.msg);
    float ps[NI];
    bookrec_popularity_min(&b.train, NI, 4, ps, &err);
    bookrec_fixed_scorer fs = {ps, NI};
    bookrec_rank_evaluate(NU, NI, &b.train, &b.test, bookrec_score_fixed, &fs, &ro, &by_hand, &err);
    CHECK(mr.n_users > 0 && mr.n_users == pr.n_users && pr.ndcg == by_hand.ndcg && pr.hr == by_hand.hr,
          "popularity of liked books");
    bookrec_spec_row row = {0};
    row.spec = s;
    row.spec.to.shuffle_in_place = 0;
    bookrec_protocol_cell cell[2];
    bookrec_protocol_info info;
    CHECK(bookrec_spec_new_readers(&r->all, NU, NI, &row, &ro, cell, &info, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(info.n_held > 0 && info.n_seeds == 1 && cell[0].n_readers.mean > 0 && row.info.epochs_run > 0 &&
          cell[1].n_readers.mean == cell[0].n_readers.mean, "held-out readers ranked by both");
    bookrec_model_free(m1);
    bookrec_model_free(m2);
    bookrec_split_parts_free(&a);
    bookrec_split_parts_free(&b);
    bookrec_ratings_free(r);
}

static void test_spec_model(void) {
    bookrec_error err = {0};
    /* u0 rated b0 and b1 in fit, b2 in test; b2 and b3 are on its want-to-read list */
    int32_t fu[] = {0, 0, 1}, fi[] = {0, 1, 1}, tu[] = {0}, ti[] = {2}, pu[] = {0, 0}, pi[] = {2, 3};
    float fr[] = {4, 5, 3}, tr[] = {4};
    bookrec_triples fit = {fu, fi, fr, 3}, test = {tu, ti, tr, 1};
    bookrec_pairs pairs = {0};
    pairs.user = pu;
    pairs.item = pi;
    pairs.n = 2;
    bookrec_spec s;
    bookrec_preset("mf", &s, NULL);
    s.cfg.dim = 2;
    s.cfg.implicit = 1;
    s.to_read = &pairs;
    bookrec_model *m = NULL;
    size_t added = 0;
    CHECK(bookrec_spec_model(&s, 2, 4, 1, 5, &fit, &test, &m, &added, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(added == 1 && m->imp_off[1] == 3, "b3 added, b2 (a test book) not: %zu", added);
    for (int k = m->imp_off[0]; k < m->imp_off[2]; k++) CHECK(m->imp_items[k] != 2, "no test book in N(u)");
    CHECK(bookrec_model_get_config(m)->n_items == 4 && bookrec_model_get_config(m)->implicit);
    bookrec_model_free(m);
    CHECK(bookrec_spec_model(&s, 2, 4, 1, 5, &fit, NULL, &m, &added, &err) == BOOKREC_OK && added == 2,
          "without a test part the want-to-read book enters");
    bookrec_model_free(m);
    s.cfg.dim = 0;
    CHECK(bookrec_spec_model(&s, 2, 4, 1, 5, &fit, NULL, &m, NULL, &err) != BOOKREC_OK && m == NULL);
}

/* The order of a run's callbacks, as letters: s(plit) m(odel) e(poch) t(rained) u(sers) n(ew readers). */
typedef struct trace {
    char seq[64];
    int n;
    const bookrec_split_parts *by_hand;
} trace;

static void tr_add(trace *t, char ch) {
    if (t->n < 63) t->seq[t->n++] = ch;
}
static void tr_split(void *ctx) { tr_add(ctx, 's'); }
static void tr_model(void *ctx, const bookrec_model *m, const bookrec_train_run *run) {
    trace *t = ctx;
    CHECK(m && run->n_fit == t->by_hand->fit.n && run->n_valid == t->by_hand->valid.n &&
          run->n_test == t->by_hand->test.n, "the part sizes before training");
    tr_add(ctx, 'm');
}
static int tr_epoch(void *ctx, bookrec_epoch_stats *e, const bookrec_epoch_stats *valid) {
    CHECK(valid && valid->epoch == e->epoch && e->test_rmse != valid->test_rmse, "test and validation figures");
    e->seconds = 0.25;
    tr_add(ctx, 'e');
    return 0;
}
static void tr_trained(void *ctx) { tr_add(ctx, 't'); }
static void tr_ranked(void *ctx, int new_readers, const bookrec_train_ranking *f) {
    CHECK(f->n_users > 0 && (new_readers ? f->n_held > 0 : f->n_held == 0) && f->pop_ndcg >= 0);
    tr_add(ctx, new_readers ? 'n' : 'u');
}

static void test_train_run(void) {
    bookrec_error err = {0};
    bookrec_ratings *r = make_ratings();
    bookrec_spec s;
    bookrec_preset("mf", &s, NULL);
    s.cfg.dim = 4;
    s.to.epochs = 3;
    s.to.patience = 2;
    /* by hand: the same parts, model and training */
    bookrec_split_parts sp;
    bookrec_split_parts_make(r, 0.2, 6, s.valid_fraction, 0, &sp, &err);
    bookrec_model *m = NULL;
    bookrec_spec ms = s;
    ms.users = r->users;
    ms.items = r->items;
    bookrec_spec_model(&ms, NU, NI, 1, 5, &sp.fit, &sp.test, &m, NULL, &err);
    bookrec_train_options to = s.to;
    to.shuffle_in_place = 1;
    bookrec_train_info info;
    CHECK(bookrec_train_fit(m, &sp.fit, &sp.valid, &to, 0, NULL, NULL, &info, &err) == BOOKREC_OK, "%s", err.msg);
    double mse = 0, mae = 0;
    bookrec_evaluate(m, &sp.test, &mse, &mae, &err);

    bookrec_spec_row row = {0};
    row.spec = s;
    trace t = {{0}, 0, &sp};
    bookrec_train_run_options o = {0.2, 6, 1, {0}, &row, tr_split, tr_model, NULL, tr_epoch, tr_trained, tr_ranked, &t};
    o.rank_options.k = 5;
    bookrec_train_run run;
    CHECK(bookrec_train_run_make(r, &s, &o, &run, &err) == BOOKREC_OK && run.failed == NULL, "%s", err.msg);
    CHECK(!strcmp(t.seq, "smeeetun"), "callbacks in order: %s", t.seq);
    CHECK(run.n_ratings == r->all.n && run.n_history == info.epochs_run && run.best_epoch == info.best_epoch &&
          run.test_mse == mse && run.test_mae == mae, "the run is the one made by hand");
    size_t n1 = 0, n2 = 0;
    uint8_t *b1 = saved(m, &n1), *b2 = saved(run.model, &n2);
    CHECK(n1 == n2 && !memcmp(b1, b2, n1), "the same model");
    bookrec_free(b1);
    bookrec_free(b2);
    CHECK(run.history[0].seconds == 0.25, "the caller's seconds");
    CHECK(run.users.n_users > 0 && run.new_readers.n_held > 0 && isfinite(run.users.ndcg));
    bookrec_train_run_free(&run);
    bookrec_train_run_free(NULL);

    o.rank = 0;
    o.test_fraction = 1.5;
    CHECK(bookrec_train_run_make(r, &s, &o, &run, &err) == BOOKREC_E_ARG && !strcmp(run.failed, "split") &&
          run.model == NULL, "the failed step is named");
    bookrec_train_run_free(&run);
    o.test_fraction = 0.2;
    s.cfg.dim = 0;
    CHECK(bookrec_train_run_make(r, &s, &o, &run, &err) != BOOKREC_OK && !strcmp(run.failed, "model"));
    bookrec_train_run_free(&run);
    bookrec_model_free(m);
    bookrec_split_parts_free(&sp);
    bookrec_ratings_free(r);
}

int main(void) {
    test_split();
    test_preset_fill();
    test_grid_parse();
    test_tune_base();
    test_search();
    test_train_fit();
    test_spec_model();
    test_train_run();
    if (!failures) printf("test_tune: ok\n");
    return failures != 0;
}
