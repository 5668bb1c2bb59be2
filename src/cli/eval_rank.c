/*
 * eval_rank.c - the ranking rows of `bookrec eval` and the training helper of `bookrec tune`.
 * For every row of the evaluation table (global mean / popularity, user+book bias, seed, mf, ncf) it
 * measures test RMSE/MAE on the 80/20 split, HR/NDCG/Recall/coverage@k for dataset users on the same
 * split, and the same four for new readers: readers held out of training entirely (a second model is
 * trained without them), folded in from a few ratings with the book side frozen, ranked for the rest.
 * It writes the table as Markdown and JSON. The metrics are the core's (src/eval.c); this file only wires
 * data, training runs and output, and never looks at the test part to choose anything.
 */
#define _GNU_SOURCE
#include "eval_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ specs */

int evr_parse_arch(const char *name, bookrec_arch *out) {
    if (!strcmp(name, "seed")) *out = BOOKREC_ARCH_SEED;
    else if (!strcmp(name, "mf")) *out = BOOKREC_ARCH_MF;
    else if (!strcmp(name, "ncf")) *out = BOOKREC_ARCH_NCF;
    else return -1;
    return 0;
}

void evr_spec_default(bookrec_arch arch, evr_spec *s) {
    memset(s, 0, sizeof *s);
    bookrec_model_config_default(&s->cfg);
    bookrec_train_options_default(&s->to);
    s->cfg.arch = arch;
    s->valid_fraction = 0.1;
    switch (arch) {
    case BOOKREC_ARCH_SEED:
        break; /* the tutorial: dim 15, hidden 128, Adam 1e-3, batch 64, 5 epochs, no regularisation */
    case BOOKREC_ARCH_MF:
        /* chosen by `bookrec tune --arch mf` on the validation part (docs/evaluation.md): L2 0.1 beat 0.02..0.8,
           and larger embeddings kept helping (valid RMSE 0.8372 at dim 16, 0.8314 at 64, 0.8259 at 128, 0.8234 at
           256); 128 is the compromise with size and time */
        s->cfg.dim = 128;
        s->to.lr = 0.003f;
        s->to.l2 = 0.1f;
        s->to.epochs = 60;
        s->to.patience = 2;
        break;
    case BOOKREC_ARCH_NCF:
        /* `bookrec tune --arch ncf`: without L2 on the dense layers it overfits after 2 epochs (valid 0.8415);
           with --l2-dense 0.1 it trains 18 epochs to 0.8266 at dim 128, hidden 64 */
        s->cfg.dim = 128;
        s->cfg.hidden = 64;
        s->to.lr = 0.003f;
        s->to.l2 = 0.1f;
        s->to.l2_dense = 0.1f;
        s->to.epochs = 60;
        s->to.patience = 2;
        break;
    }
}

int evr_spec_named(const char *name, evr_spec *s) {
    char base[32];
    size_t n = strlen(name), suf = strlen("-implicit");
    int implicit = n > suf && !strcmp(name + n - suf, "-implicit");
    if (implicit) n -= suf;
    if (n >= sizeof base) return -1;
    memcpy(base, name, n);
    base[n] = '\0';
    bookrec_arch a;
    if (evr_parse_arch(base, &a) != 0 || (implicit && a == BOOKREC_ARCH_SEED)) return -1;
    evr_spec_default(a, s);
    if (implicit) {
        /* `bookrec tune --arch mf --implicit --lr 0.003 --l2 0.1 --dim 128`: valid RMSE 0.8333 (worse than plain
           mf's 0.8259) but valid NDCG@10 0.0102 (plain: 0.0029) */
        s->cfg.implicit = 1;
        s->to.group_users = 1;
    }
    return 0;
}

char *evr_spec_flags(const evr_spec *s) {
    const bookrec_model_config *c = &s->cfg;
    const bookrec_train_options *o = &s->to;
    char hidden[32] = "";
    if (c->arch != BOOKREC_ARCH_MF) snprintf(hidden, sizeof hidden, " --hidden %d", c->hidden);
    char pat[64] = "";
    if (o->patience > 0) snprintf(pat, sizeof pat, " --patience %d --valid-fraction %g", o->patience, s->valid_fraction);
    char l2row[48] = "", l2dense[48] = "";
    if (o->l2_row != 0) snprintf(l2row, sizeof l2row, " --l2-row %g", (double)o->l2_row);
    if (o->l2_dense != 0) snprintf(l2dense, sizeof l2dense, " --l2-dense %g", (double)o->l2_dense);
    return cli_fmt("--arch %s --dim %d%s%s%s --epochs %d --batch %d --lr %g --l2 %g%s%s%s --seed %llu",
                   cli_arch_name(c->arch), c->dim, hidden, c->implicit ? " --implicit" : "",
                   o->group_users ? " --group-users" : "", o->epochs, o->batch, (double)o->lr, (double)o->l2,
                   l2row, l2dense, pat, (unsigned long long)c->seed);
}

/* ------------------------------------------------------------------ training */

typedef struct evr_epoch_ctx {
    int verbose, epochs;
    const char *label;
    double t0;
} evr_epoch_ctx;

static int evr_on_epoch(void *ctx, const bookrec_epoch_stats *s) {
    evr_epoch_ctx *c = ctx;
    if (c->verbose)
        fprintf(stderr, "  %s epoch %d/%d: train rmse %.4f, valid rmse %.4f (%.1f s)\n", c->label, s->epoch, c->epochs,
                s->train_rmse, s->test_rmse, cli_now() - c->t0);
    return 0;
}

bookrec_model *evr_train(const evr_spec *s, const bookrec_ratings *r, const bookrec_triples *train,
                         const bookrec_triples *valid, uint64_t valid_seed, cli_runner *runner, int threads,
                         int verbose, evr_train_info *info) {
    bookrec_error err = {0};
    bookrec_model_config cfg = s->cfg;
    bookrec_train_options to = s->to;
    cfg.n_users = bookrec_ids_count(r->users);
    cfg.n_items = bookrec_ids_count(r->items);
    cfg.min_rating = r->min_rating;
    cfg.max_rating = r->max_rating;
    bookrec_model *m = NULL;
    cli_check(bookrec_model_create(&cfg, &m, &err), &err, "model");
    cli_check(bookrec_model_set_ids(m, r->users, r->items, &err), &err, "model ids");
    bookrec_triples fit = {0}, val = {0};
    const bookrec_triples *fit_p = train, *valid_p = valid;
    if (to.patience > 0 && !valid) {
        cli_check(bookrec_triples_split(train, s->valid_fraction, valid_seed, &fit, &val, &err), &err,
                  "validation split");
        fit_p = &fit;
        valid_p = &val;
    }
    to.n_tasks = runner ? threads : 1;
    to.parallel = runner ? cli_runner_parallel : NULL;
    to.parallel_ctx = runner;
    evr_epoch_ctx ec = {verbose, to.epochs, cli_arch_name(cfg.arch), cli_now()};
    to.on_epoch = evr_on_epoch;
    to.on_epoch_ctx = &ec;
    to.progress = NULL;
    bookrec_epoch_stats *hist = calloc((size_t)to.epochs, sizeof *hist);
    if (!hist) cli_die("out of memory");
    int n_hist = 0;
    double t0 = cli_now();
    cli_check(bookrec_train(m, fit_p, valid_p, &to, hist, to.epochs, &n_hist, &err), &err, "training");
    if (info) {
        memset(info, 0, sizeof *info);
        info->seconds = cli_now() - t0;
        info->epochs_run = n_hist;
        info->best_valid_rmse = NAN;
        info->best_valid_mae = NAN;
        for (int e = 0; e < n_hist; e++)
            if (valid_p && (info->best_epoch == 0 || hist[e].test_rmse < info->best_valid_rmse)) {
                info->best_epoch = hist[e].epoch;
                info->best_valid_rmse = hist[e].test_rmse;
                info->best_valid_mae = hist[e].test_mae;
            }
    }
    free(hist);
    bookrec_triples_free(&fit);
    bookrec_triples_free(&val);
    return m;
}

/* ------------------------------------------------------------------ ranking */

void evr_eval_opts_default(evr_eval_opts *o) {
    memset(o, 0, sizeof *o);
    o->archs = "seed,mf,ncf,mf-implicit";
    o->k = 10;
    o->threads = cli_default_threads();
    o->new_readers = 1000;
    o->nr_min_ratings = 20;
    o->nr_foldin = 10;
    o->nr_seed = 1;
}

static void rank_opts(const bookrec_ratings *r, int k, int max_users, cli_runner *runner, int threads,
                      bookrec_rank_options *o) {
    memset(o, 0, sizeof *o);
    o->k = k;
    o->min_rating = r->min_rating;
    o->max_rating = r->max_rating;
    o->max_users = max_users;
    if (runner && threads > 1) {
        o->n_tasks = threads;
        o->parallel = cli_runner_parallel;
        o->parallel_ctx = runner;
    }
}

bookrec_rank_result evr_rank_model(bookrec_model *m, const bookrec_triples *train, const bookrec_triples *test,
                                   const bookrec_ratings *r, int k, int max_users, cli_runner *runner, int threads) {
    bookrec_error err = {0};
    /* after prepare, score_all / user_state / fold_in only read the model: safe from several threads */
    cli_check(bookrec_model_prepare(m, &err), &err, "prepare model");
    bookrec_model_scorer sc = {m, {0}};
    bookrec_rank_options o;
    rank_opts(r, k, max_users, runner, threads, &o);
    const bookrec_model_config *c = bookrec_model_get_config(m);
    bookrec_rank_result res;
    cli_check(bookrec_rank_evaluate(c->n_users, c->n_items, train, test, bookrec_score_model, &sc, &o, &res, &err),
              &err, "ranking evaluation");
    return res;
}

/* The fold-in L2 that matches training with per-rating L2 `train_l2`: the core's mf fold-in is a ridge
   regression over the sum of the n squared errors (so lambda = n * train_l2), the Adam fold-in of seed/ncf
   minimises their mean plus l2 |state|^2 (so l2 = train_l2). 0 (no L2 in training) keeps the core's default. */
static float matched_foldin_l2(const bookrec_model *m, float train_l2, int n_foldin) {
    if (!(train_l2 > 0)) return 0.0f;
    return bookrec_model_get_config(m)->arch == BOOKREC_ARCH_MF ? train_l2 * (float)n_foldin : train_l2;
}

static bookrec_rank_result rank_model_new(bookrec_model *m, const bookrec_triples *fold, const bookrec_triples *target,
                                          const bookrec_ratings *r, const evr_eval_opts *eo, cli_runner *runner,
                                          float train_l2) {
    bookrec_error err = {0};
    cli_check(bookrec_model_prepare(m, &err), &err, "prepare model");
    float l2 = eo->foldin_l2 > 0 ? eo->foldin_l2 : matched_foldin_l2(m, train_l2, eo->nr_foldin);
    bookrec_model_scorer sc = {m, {eo->foldin_iters, 0.0f, l2}};
    bookrec_rank_options o;
    rank_opts(r, eo->k, 0, runner, eo->threads, &o);
    const bookrec_model_config *c = bookrec_model_get_config(m);
    bookrec_rank_result res;
    cli_check(bookrec_rank_evaluate_new(c->n_users, c->n_items, fold, target, bookrec_score_model, &sc, &o, &res, &err),
              &err, "new-reader evaluation");
    return res;
}

static bookrec_rank_result rank_fixed(const float *scores, const bookrec_ratings *r, const bookrec_triples *known,
                                      const bookrec_triples *target, int is_new, const evr_eval_opts *eo,
                                      cli_runner *runner) {
    bookrec_error err = {0};
    int n_users = bookrec_ids_count(r->users), n_items = bookrec_ids_count(r->items);
    bookrec_fixed_scorer fs = {scores, n_items};
    bookrec_rank_options o;
    rank_opts(r, eo->k, is_new ? 0 : eo->max_users, runner, eo->threads, &o);
    bookrec_rank_result res;
    int st = is_new ? bookrec_rank_evaluate_new(n_users, n_items, known, target, bookrec_score_fixed, &fs, &o, &res, &err)
                    : bookrec_rank_evaluate(n_users, n_items, known, target, bookrec_score_fixed, &fs, &o, &res, &err);
    cli_check(st, &err, "ranking evaluation");
    return res;
}

/* ------------------------------------------------------------------ bookrec eval */

static const char *rank_keys[2][4] = {{"hr", "ndcg", "recall", "coverage"},
                                      {"new_hr", "new_ndcg", "new_recall", "new_coverage"}};

/* The NDCG of every row written, to divide by popularity's at the end. */
typedef struct ndcg_track {
    int row[64];
    double v[64][2];
    int n;
} ndcg_track;

static void put_rank(const evr_sink *sk, ndcg_track *tr, int row, int is_new, const bookrec_rank_result *res) {
    if (res->n_users == 0) return;
    double v[4] = {res->hr, res->ndcg, res->recall, res->coverage};
    for (int j = 0; j < 4; j++) sk->set(sk->ctx, row, rank_keys[is_new][j], v[j]);
    int at = 0;
    while (at < tr->n && tr->row[at] != row) at++;
    if (at == tr->n) {
        if (tr->n == 64) return;
        tr->row[tr->n] = row;
        tr->v[tr->n][0] = tr->v[tr->n][1] = NAN;
        tr->n++;
    }
    tr->v[at][is_new] = res->ndcg;
}

static void bias_scores(const bookrec_triples *t, int n_users, int n_items, float *scores) {
    bookrec_error err = {0};
    bookrec_bias_model *b = NULL;
    cli_check(bookrec_bias_fit(t, n_users, n_items, NULL, &b, &err), &err, "bias baseline");
    /* mu + b_u + b_i ranks a reader's books by b_i: b_u is the same for all of them */
    for (int i = 0; i < n_items; i++) scores[i] = b->mu + b->item_bias[i];
    bookrec_bias_free(b);
}

char *evr_extend_eval(const evr_eval_opts *o, const bookrec_ratings *r, const bookrec_triples *train,
                      const bookrec_triples *test, uint64_t split_seed, bookrec_model **models, int n_models,
                      int row_mean, int row_bias, int row_models, const evr_sink *sk) {
    if (o->no_rank && !o->all) return strdup("");
    if (o->k < 1) cli_usage_die("eval", "eval: -k must be at least 1");
    if (o->max_users < 0 || o->new_readers < 1 || o->nr_foldin < 1 || o->nr_min_ratings <= o->nr_foldin)
        cli_usage_die("eval", "eval: need --max-users >= 0, --new-readers >= 1, 1 <= --foldin-ratings < --new-reader-min");
    if (o->threads < 1 || o->threads > 256) cli_usage_die("eval", "eval: --threads must be in 1..256");
    bookrec_error err = {0};
    int n_users = bookrec_ids_count(r->users), n_items = bookrec_ids_count(r->items);
    int k = o->k;
    static char title[4][2][48]; /* the table keeps the pointers */
    const char *names[4] = {"HR", "NDCG", "Recall", "coverage"};
    if (!o->no_rank)
        for (int j = 0; j < 4; j++) {
            snprintf(title[j][0], sizeof title[j][0], "%s@%d", names[j], k);
            snprintf(title[j][1], sizeof title[j][1], "new %s@%d", names[j], k);
            sk->add_col(sk->ctx, rank_keys[0][j], title[j][0], 4);
        }
    if (!o->no_rank)
        for (int j = 0; j < 4; j++) sk->add_col(sk->ctx, rank_keys[1][j], title[j][1], 4);
    ndcg_track track;
    track.n = 0;
    cli_runner *runner = o->threads > 1 ? cli_runner_start(o->threads) : NULL;
    float *scores = malloc((size_t)n_items * sizeof *scores);
    if (!scores) cli_die("out of memory");

    /* the new-reader split: readers held out of all the data; everyone else's ratings train the second model */
    bookrec_newreader_options nro = {o->new_readers, o->nr_min_ratings, o->nr_foldin, o->nr_seed, 0.0};
    bookrec_triples nr_train = {0}, fold = {0}, target = {0};
    int n_readers = 0;
    cli_check(bookrec_split_new_readers(&r->all, n_users, &nro, &nr_train, &fold, &target, &n_readers, &err), &err,
              "new-reader split");
    if (n_readers < o->new_readers)
        cli_warn("%d new readers held out, not %d: only users with %d or more ratings qualify, and at most 20%% of "
                 "the %d users are held out so that the others train", n_readers, o->new_readers, o->nr_min_ratings,
                 n_users);

    bookrec_rank_result pop_ds = {0}, pop_nr = {0};
    double best_pop[2] = {0, 0}; /* the better popularity's NDCG: the yardstick of the NDCG ratios */
    if (!o->no_rank) {
        double t0 = cli_now();
        cli_check(bookrec_popularity(train, n_items, scores, &err), &err, "popularity");
        pop_ds = rank_fixed(scores, r, train, test, 0, o, runner);
        put_rank(sk, &track, row_mean, 0, &pop_ds);
        cli_check(bookrec_popularity(&nr_train, n_items, scores, &err), &err, "popularity");
        pop_nr = rank_fixed(scores, r, &fold, &target, 1, o, runner);
        put_rank(sk, &track, row_mean, 1, &pop_nr);
        best_pop[0] = pop_ds.ndcg;
        best_pop[1] = pop_nr.ndcg;
        bias_scores(train, n_users, n_items, scores);
        bookrec_rank_result b = rank_fixed(scores, r, train, test, 0, o, runner);
        put_rank(sk, &track, row_bias, 0, &b);
        bias_scores(&nr_train, n_users, n_items, scores);
        b = rank_fixed(scores, r, &fold, &target, 1, o, runner);
        put_rank(sk, &track, row_bias, 1, &b);
        /* popularity by count is nearly flat on goodbooks' 981k file (3 books in 4 have exactly 100 ratings), so
           the count of ratings >= the relevance threshold ("liked by many") is shown too: a stronger yardstick */
        float thr = bookrec_relevance_threshold(r->min_rating, r->max_rating);
        char liked_note[64];
        snprintf(liked_note, sizeof liked_note, "training ratings >= %g per book", (double)thr);
        int row_liked = sk->add_row(sk->ctx, "popularity (liked)", liked_note);
        cli_check(bookrec_popularity_min(train, n_items, thr, scores, &err), &err, "popularity");
        b = rank_fixed(scores, r, train, test, 0, o, runner);
        put_rank(sk, &track, row_liked, 0, &b);
        if (b.ndcg > best_pop[0]) best_pop[0] = b.ndcg;
        cli_check(bookrec_popularity_min(&nr_train, n_items, thr, scores, &err), &err, "popularity");
        b = rank_fixed(scores, r, &fold, &target, 1, o, runner);
        put_rank(sk, &track, row_liked, 1, &b);
        if (b.ndcg > best_pop[1]) best_pop[1] = b.ndcg;
        fprintf(stderr, "ranked popularity and book bias: %d dataset users, %d new readers (%.1f s)\n", pop_ds.n_users,
                pop_nr.n_users, cli_now() - t0);
        /* loaded models: dataset users only (their training saw the held-out readers) */
        for (int j = 0; j < n_models; j++) {
            int32_t *um = NULL, *im = NULL;
            int same = cli_map_ids(models[j], r, &um, &im);
            free(um);
            free(im);
            if (!same) {
                cli_warn("a model's id tables differ from the data's: its ranking columns are left empty");
                continue;
            }
            double t1 = cli_now();
            bookrec_rank_result res = evr_rank_model(models[j], train, test, r, k, o->max_users, runner, o->threads);
            put_rank(sk, &track, row_models + j, 0, &res);
            fprintf(stderr, "ranked a loaded model: ndcg@%d %.4f (%.1f s)\n", k, res.ndcg, cli_now() - t1);
        }
    }

    /* --all: each architecture trained twice with its default (tuned) flags */
    if (o->all) {
        char *list = strdup(o->archs ? o->archs : "seed,mf,ncf,mf-implicit");
        if (!list) cli_die("out of memory");
        for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            evr_spec spec;
            if (evr_spec_named(tok, &spec) != 0) {
                char bad[64];
                snprintf(bad, sizeof bad, "%s", tok);
                free(list);
                cli_usage_die("eval", "eval: --archs: unknown architecture '%s' (expected seed, mf, ncf, mf-implicit "
                              "or ncf-implicit)", bad);
            }
            char *fl = evr_spec_flags(&spec);
            fprintf(stderr, "training %s on the training part: %s\n", tok, fl);
            evr_train_info info;
            bookrec_model *m = evr_train(&spec, r, train, NULL, split_seed + 1, runner, o->threads, 1, &info);
            double mse = 0, mae = 0;
            cli_check(bookrec_evaluate(m, test, &mse, &mae, &err), &err, "evaluate");
            char stopped[48] = "";
            if (spec.to.patience > 0) snprintf(stopped, sizeof stopped, " (stopped at epoch %d)", info.best_epoch);
            char *note = cli_fmt("trained here: %s%s", fl, stopped);
            char name[64];
            snprintf(name, sizeof name, "%s (--all)", tok);
            int row = sk->add_row(sk->ctx, name, note);
            sk->set(sk->ctx, row, "rmse", sqrt(mse));
            sk->set(sk->ctx, row, "mae", mae);
            if (!o->no_rank) {
                bookrec_rank_result res = evr_rank_model(m, train, test, r, k, o->max_users, runner, o->threads);
                put_rank(sk, &track, row, 0, &res);
            }
            bookrec_model_free(m);
            fprintf(stderr, "  test rmse %.4f mae %.4f (%.1f s)\n", sqrt(mse), mae, info.seconds);
            if (!o->no_rank) {
                fprintf(stderr, "training %s without the %d held-out readers\n", tok, n_readers);
                m = evr_train(&spec, r, &nr_train, NULL, split_seed + 2, runner, o->threads, 1, &info);
                bookrec_rank_result res = rank_model_new(m, &fold, &target, r, o, runner, spec.to.l2);
                put_rank(sk, &track, row, 1, &res);
                bookrec_model_free(m);
            }
            free(fl);
            free(note);
        }
        free(list);
    }
    if (!o->no_rank && best_pop[0] > 0 && best_pop[1] > 0) {
        /* NDCG relative to the better of the two popularity rankings, for every row that has it */
        sk->add_col(sk->ctx, "ndcg_vs_pop", "NDCG/pop", 2);
        sk->add_col(sk->ctx, "new_ndcg_vs_pop", "new NDCG/pop", 2);
        for (int j = 0; j < track.n; j++) {
            if (!isnan(track.v[j][0])) sk->set(sk->ctx, track.row[j], "ndcg_vs_pop", track.v[j][0] / best_pop[0]);
            if (!isnan(track.v[j][1])) sk->set(sk->ctx, track.row[j], "new_ndcg_vs_pop", track.v[j][1] / best_pop[1]);
        }
    }
    cli_runner_stop(runner);
    free(scores);
    float thr = bookrec_relevance_threshold(r->min_rating, r->max_rating);
    char *caption = o->no_rank ? strdup("")
        : cli_fmt("Ranking: top-%d lists. Dataset users: the test ratings >= %g are relevant, every book not rated in "
                  "training is ranked, averaged over %d users with a relevant test book%s. New readers: %d readers "
                  "with >= %d ratings held out of the training data entirely (rows trained with --all train a second "
                  "model without them), each folded in from %d of its ratings with the book side frozen; those %d "
                  "are never ranked and its other ratings >= %g are relevant (%d readers have one). HR: a relevant "
                  "book in the top %d; NDCG: binary relevance, ideal DCG over min(%d, #relevant); Recall: hits / "
                  "#relevant; coverage: distinct books in all top-%d lists / %d books. The global-mean row ranks by "
                  "popularity (training ratings per book), the bias row by book bias, the \"popularity (liked)\" row by "
                  "training ratings >= %g per book; NDCG/pop divides a row's NDCG by the better popularity's.",
                  k, (double)thr, pop_ds.n_users, o->max_users ? " (evenly spaced sample)" : "", n_readers,
                  o->nr_min_ratings, o->nr_foldin, o->nr_foldin, (double)thr, pop_nr.n_users, k, k, k, n_items,
                  (double)thr);
    bookrec_triples_free(&nr_train);
    bookrec_triples_free(&fold);
    bookrec_triples_free(&target);
    return caption;
}
