/*
 * eval_rank.c - the ranking rows of `bookrec eval`, and the progress lines and flags of spec training shared with
 * `bookrec train --rank` and `bookrec tune`.
 * `bookrec eval` fills one table from a table of rankers (popularity, book bias, liked popularity, one trained
 * model per --all architecture): each is fitted on the 80/20 split's training part for test RMSE/MAE (models) and
 * HR/NDCG/Recall/coverage@k and mean popularity rank for dataset users, then handed to the core's new-reader
 * protocol (src/protocol.c), which fits it again without the held-out readers for each reader seed and ranks
 * them folded in from 5 or 10 ratings or from the loved ones only. This file wires data, rankers and the table;
 * the presets, spec training, the metrics, the splits and the rule that rankers learn only from bookrec_fit_data
 * are the core's (src/experiment.c, src/eval.c, src/protocol.c).
 */
#define _GNU_SOURCE
#include "eval_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ specs */

char *evr_spec_flags(const bookrec_spec *s) {
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
                   bookrec_arch_name(c->arch), c->dim, hidden, c->implicit ? " --implicit" : "",
                   o->group_users ? " --group-users" : "", o->epochs, o->batch, (double)o->lr, (double)o->l2,
                   l2row, l2dense, pat, (unsigned long long)c->seed);
}

/* ------------------------------------------------------------------ training */

static int evr_on_epoch(void *ctx, const bookrec_epoch_stats *s) {
    evr_fit_log *c = ctx;
    fprintf(stderr, "  %s epoch %d/%d: train rmse %.4f, valid rmse %.4f (%.1f s)\n", c->label, s->epoch, c->epochs,
            s->train_rmse, s->test_rmse, cli_now() - c->t0);
    return 0;
}

void evr_spec_threads(bookrec_spec *s, cli_runner *runner, int threads) {
    s->to.n_tasks = runner ? threads : 1;
    s->to.parallel = runner ? cli_runner_parallel : NULL;
    s->to.parallel_ctx = runner;
    s->to.progress = NULL;
}

/* bookrec_spec_row.before_fit: the first progress line, and the clock of the fit. */
static void evr_before_fit(void *ctx, const bookrec_spec *s, const bookrec_fit_data *d) {
    evr_fit_log *c = ctx;
    char g[32];
    fprintf(stderr, "training %s on %s ratings\n", bookrec_arch_name(s->cfg.arch), cli_group(d->train->n, g));
    c->t0 = cli_now();
}

void evr_log_fits(bookrec_spec_row *row, evr_fit_log *log) {
    log->label = bookrec_arch_name(row->spec.cfg.arch);
    log->epochs = row->spec.to.epochs;
    row->spec.to.on_epoch = evr_on_epoch;
    row->spec.to.on_epoch_ctx = log;
    row->before_fit = evr_before_fit;
    row->ctx = log;
}


/* ------------------------------------------------------------------ ranking */

void evr_eval_opts_default(evr_eval_opts *o) {
    memset(o, 0, sizeof *o);
    o->archs = EVR_ARCHS;
    o->k = 10;
    o->threads = cli_default_threads();
    o->new_readers = 1000;
    o->nr_min_ratings = 20;
    o->nr_foldin = 10;
    o->nr_foldin_few = 5;
    o->seeds = 3;
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

/* An architecture of --all as a row of the ranker table: the core's spec ranker and its progress lines. */
typedef struct model_row {
    bookrec_spec_row row;
    evr_fit_log log;
} model_row;

/* ------------------------------------------------------------------ bookrec eval */

#define EVR_MAX_RANKERS 32

/* The ranker table of `bookrec eval`: one entry per table row that is fitted on each training part (the
   baselines, the --all architectures). Adding a model family is adding an entry. */
typedef struct evr_table {
    bookrec_ranker rk[EVR_MAX_RANKERS];
    int row[EVR_MAX_RANKERS];
    model_row *model[EVR_MAX_RANKERS]; /* NULL for rankers without RMSE */
    int n;
} evr_table;

static void table_add(evr_table *t, bookrec_ranker rk, int row, model_row *mr) {
    if (t->n >= EVR_MAX_RANKERS) cli_die("eval: too many rows (at most %d)", EVR_MAX_RANKERS);
    t->rk[t->n] = rk;
    t->row[t->n] = row;
    t->model[t->n] = mr;
    t->n++;
}

/* The variants of the new-reader protocol and their column prefixes. */
typedef struct evr_variants {
    bookrec_foldin_variant v[3];
    char key[3][16], title[3][16];
} evr_variants;

static void variants_of(const evr_eval_opts *o, evr_variants *vs) {
    vs->v[0] = (bookrec_foldin_variant){o->nr_foldin_few, 0};
    vs->v[1] = (bookrec_foldin_variant){o->nr_foldin, 0};
    vs->v[2] = (bookrec_foldin_variant){o->nr_foldin, 1};
    snprintf(vs->key[0], sizeof vs->key[0], "new%d_", o->nr_foldin_few);
    snprintf(vs->title[0], sizeof vs->title[0], "new%d ", o->nr_foldin_few);
    snprintf(vs->key[1], sizeof vs->key[1], "new_");
    snprintf(vs->title[1], sizeof vs->title[1], "new ");
    snprintf(vs->key[2], sizeof vs->key[2], "loved_");
    snprintf(vs->title[2], sizeof vs->title[2], "loved ");
}

static const char *fig_keys[5] = {"hr", "ndcg", "recall", "coverage", "poprank"};
static const char *fig_titles[5] = {"HR", "NDCG", "Recall", "coverage", "pop rank"};

/* Column keys and titles live as long as the table: one static store. */
static const char *keep_str(const char *s) {
    static char store[64][40];
    static int n;
    for (int j = 0; j < n; j++)
        if (!strcmp(store[j], s)) return store[j];
    if (n == 64) cli_die("eval: internal: too many column names");
    snprintf(store[n], sizeof store[n], "%s", s);
    return store[n++];
}

static void add_columns(const evr_sink *sk, const char *key_prefix, const char *title_prefix, int k) {
    for (int f = 0; f < 5; f++) {
        char key[40], title[40];
        snprintf(key, sizeof key, "%s%s", key_prefix, fig_keys[f]);
        if (f == 4) snprintf(title, sizeof title, "%s%s", title_prefix, fig_titles[f]);
        else snprintf(title, sizeof title, "%s%s@%d", title_prefix, fig_titles[f], k);
        sk->add_col(sk->ctx, keep_str(key), keep_str(title), f == 4 ? 1 : 4);
    }
}

static void put_dataset(const evr_sink *sk, int row, const bookrec_rank_result *res, double pop_rank) {
    double v[5] = {res->hr, res->ndcg, res->recall, res->coverage, pop_rank};
    for (int f = 0; f < 5; f++) sk->set(sk->ctx, row, fig_keys[f], v[f]);
}

static void put_cell(const evr_sink *sk, int row, const char *prefix, const bookrec_protocol_cell *c) {
    const bookrec_stat *s[5] = {&c->hr, &c->ndcg, &c->recall, &c->coverage, &c->pop_rank};
    for (int f = 0; f < 5; f++) {
        char key[40];
        snprintf(key, sizeof key, "%s%s", prefix, fig_keys[f]);
        sk->set_stat(sk->ctx, row, keep_str(key), s[f]->mean, s[f]->sd, s[f]->min, s[f]->max);
    }
}

/* What the progress lines of the dataset run need: the table, the sink, and when the last ranker ended. */
typedef struct dataset_log {
    const evr_table *t;
    const evr_sink *sk;
    int no_rank;
    double t0;
} dataset_log;

/* Writes a ranker's figures into its row and prints them. */
static void on_dataset(void *ctx, int j, const bookrec_dataset_cell *c) {
    dataset_log *lg = ctx;
    const evr_sink *sk = lg->sk;
    int row = lg->t->row[j];
    model_row *mr = lg->t->model[j];
    if (mr) {
        sk->set(sk->ctx, row, "rmse", c->rmse);
        sk->set(sk->ctx, row, "mae", c->mae);
        char *fl = evr_spec_flags(&mr->row.spec), stopped[48] = "";
        if (mr->row.spec.to.patience > 0)
            snprintf(stopped, sizeof stopped, " (stopped at epoch %d)", mr->row.info.best_epoch);
        char *note = cli_fmt("trained here: %s%s", fl, stopped);
        sk->set_note(sk->ctx, row, note);
        fprintf(stderr, "  test rmse %.4f mae %.4f (%.1f s)\n", c->rmse, c->mae, cli_now() - mr->log.t0);
        free(fl);
        free(note);
    }
    if (!lg->no_rank) {
        put_dataset(sk, row, &c->rank, c->pop_rank);
        fprintf(stderr, "ranked dataset users with %s: ndcg@%d %.4f, %d users (%.1f s)\n", lg->t->rk[j].name,
                c->rank.k, c->rank.ndcg, c->rank.n_users, cli_now() - lg->t0);
    }
    lg->t0 = cli_now();
}

/* Fits every ranker of the table on the 80/20 split's training part (a validation part carved from it with seed
   split_seed + 1), writes RMSE/MAE for models and the dataset-user ranking columns. */
static void run_dataset(const evr_table *t, const evr_eval_opts *o, const bookrec_ratings *r,
                        const bookrec_triples *train, const bookrec_triples *test, uint64_t split_seed,
                        cli_runner *runner, const float *pop_rank, const evr_sink *sk) {
    bookrec_error err = {0};
    dataset_log lg = {t, sk, o->no_rank, cli_now()};
    bookrec_dataset_options dop = {0};
    rank_opts(r, o->k, o->max_users, runner, o->threads, &dop.rank);
    dop.no_rank = o->no_rank;
    dop.valid_fraction = BOOKREC_VALID_FRACTION;
    dop.seed = split_seed + 1;
    dop.pop_rank = pop_rank;
    dop.progress = on_dataset;
    dop.progress_ctx = &lg;
    bookrec_dataset_cell *cells = calloc((size_t)t->n, sizeof *cells);
    if (!cells) cli_die("out of memory");
    cli_check(bookrec_dataset_run(train, test, bookrec_ids_count(r->users), bookrec_ids_count(r->items),
                                  r->min_rating, r->max_rating, t->rk, t->n, &dop, cells, &err), &err, "evaluation");
    free(cells);
}

/* Loaded models (--model): dataset users only, since their training saw every reader. */
static void run_loaded(bookrec_model **models, int n_models, int row_models, const evr_eval_opts *o,
                       const bookrec_ratings *r, const bookrec_triples *train, const bookrec_triples *test,
                       cli_runner *runner, const float *pop_rank, const evr_sink *sk) {
    bookrec_error err = {0};
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
        cli_check(bookrec_model_prepare(models[j], &err), &err, "prepare model");
        bookrec_model_scorer sc = {models[j], {0}};
        bookrec_rank_options ro;
        rank_opts(r, o->k, o->max_users, runner, o->threads, &ro);
        const bookrec_model_config *c = bookrec_model_get_config(models[j]);
        bookrec_rank_result res;
        double pr = NAN;
        cli_check(bookrec_rank_evaluate_ex(c->n_users, c->n_items, train, test, 0, bookrec_score_model, &sc, &ro,
                                           pop_rank, &pr, &res, &err), &err, "ranking evaluation");
        put_dataset(sk, row_models + j, &res, pr);
        fprintf(stderr, "ranked a loaded model: ndcg@%d %.4f (%.1f s)\n", res.k, res.ndcg, cli_now() - t1);
    }
}

typedef struct progress_ctx {
    const evr_table *t;
    const evr_variants *vs;
    int n_seeds;
    double t0;
} progress_ctx;

static void on_protocol(void *ctx, int si, int r, int v, const bookrec_rank_result *res, double pop_rank) {
    progress_ctx *p = ctx;
    fprintf(stderr, "new readers, seed %d/%d, %s, %sfold-in: ndcg@%d %.4f, coverage %.3f, pop rank %.0f, %d readers "
            "(%.1f s)\n", si + 1, p->n_seeds, p->t->rk[r].name, p->vs->title[v], res->k, res->ndcg, res->coverage,
            pop_rank, res->n_users, cli_now() - p->t0);
}

/* Runs the new-reader protocol over the table and writes its columns; returns what it did. */
static bookrec_protocol_info run_protocol(const evr_table *t, const evr_eval_opts *o, const bookrec_ratings *r,
                                          const evr_variants *vs, cli_runner *runner, const evr_sink *sk) {
    bookrec_error err = {0};
    int n_users = bookrec_ids_count(r->users), n_items = bookrec_ids_count(r->items);
    bookrec_protocol_options po;
    memset(&po, 0, sizeof po);
    po.readers = (bookrec_newreader_options){o->new_readers, o->nr_min_ratings, 0, o->nr_seed, 0.0};
    po.n_seeds = o->seeds;
    po.variants = vs->v;
    po.n_variants = 3;
    rank_opts(r, o->k, 0, runner, o->threads, &po.rank);
    progress_ctx pc = {t, vs, o->seeds, cli_now()};
    po.progress = on_protocol;
    po.progress_ctx = &pc;
    bookrec_protocol_cell *cells = calloc((size_t)t->n * 3, sizeof *cells);
    if (!cells) cli_die("out of memory");
    bookrec_protocol_info info;
    cli_check(bookrec_protocol_run(&r->all, n_users, n_items, t->rk, t->n, &po, cells, &info, &err), &err,
              "new-reader protocol");
    for (int j = 0; j < t->n; j++)
        for (int v = 0; v < 3; v++) put_cell(sk, t->row[j], vs->key[v], &cells[j * 3 + v]);
    free(cells);
    if (info.n_held < o->new_readers)
        cli_warn("%d new readers held out, not %d: only users with %d or more ratings qualify, and at most 20%% of "
                 "the %d users are held out so that the others train", info.n_held, o->new_readers,
                 o->nr_min_ratings, n_users);
    return info;
}

/* NDCG relative to the better of the two popularity rankings, for every row that has it. */
static void put_ratios(const evr_sink *sk, int n_rows, int row_pop, int row_liked) {
    double best[2];
    const char *keys[2] = {"ndcg", "new_ndcg"}, *ratio[2] = {"ndcg_vs_pop", "new_ndcg_vs_pop"};
    for (int s = 0; s < 2; s++) {
        double a = sk->get(sk->ctx, row_pop, keys[s]), b = sk->get(sk->ctx, row_liked, keys[s]);
        best[s] = isnan(b) || a > b ? a : b;
    }
    if (!(best[0] > 0 && best[1] > 0)) return;
    sk->add_col(sk->ctx, "ndcg_vs_pop", "NDCG/pop", 2);
    sk->add_col(sk->ctx, "new_ndcg_vs_pop", "new NDCG/pop", 2);
    for (int row = 0; row < n_rows; row++)
        for (int s = 0; s < 2; s++) {
            double v = sk->get(sk->ctx, row, keys[s]);
            if (!isnan(v)) sk->set(sk->ctx, row, ratio[s], v / best[s]);
        }
}

static char *caption_of(const evr_eval_opts *o, const bookrec_ratings *r, const bookrec_protocol_info *pi,
                        int n_items) {
    float thr = bookrec_relevance_threshold(r->min_rating, r->max_rating);
    int k = o->k;
    return cli_fmt(
        "Ranking: top-%d lists. Dataset users (HR, NDCG, Recall, coverage, pop rank): the test ratings >= %g are "
        "relevant, every book not rated in training is ranked%s. New readers: %d readers with >= %d ratings (at most "
        "20%% of the users) held out of the training data entirely, every row fitted again on the %d other users' "
        "ratings, each reader folded in with the book side frozen and ranked for the rest of its books; \"new%d\" "
        "folds in %d random ratings of the reader, \"new\" %d, \"loved\" only those >= %g among the same %d (as a "
        "site visitor names the books they loved; %.1f readers per seed had none and are left out). Fold-in books "
        "are never ranked; other ratings >= %g are relevant. Each new-reader figure is mean ± sample standard "
        "deviation over %d reader seeds (%llu..%llu; the JSON also has min and max). HR: a relevant book in the top "
        "%d; NDCG: binary relevance, ideal DCG over min(%d, #relevant); Recall: hits / #relevant; coverage: distinct "
        "books in all top-%d lists / %d books; pop rank: mean popularity rank of the recommended books (1 = the book "
        "with most training ratings, ties share their mean rank; %d books: %.0f is the middle). The global-mean row "
        "ranks by popularity (training ratings per book), the bias row by book bias, the \"popularity (liked)\" row "
        "by training ratings >= %g per book; NDCG/pop divides a row's NDCG by the better popularity's. Rows train on "
        "their training part only and choose epochs on a validation part carved from it, never on the test part.",
        k, (double)thr, o->max_users ? " (evenly spaced sample of users)" : "", pi->n_held, o->nr_min_ratings,
        pi->n_train_users, o->nr_foldin_few, o->nr_foldin_few, o->nr_foldin, (double)thr, o->nr_foldin,
        pi->loved_left_out, (double)thr, pi->n_seeds, (unsigned long long)o->nr_seed,
        (unsigned long long)(o->nr_seed + (uint64_t)pi->n_seeds - 1), k, k, k, n_items, n_items,
        (n_items + 1) / 2.0, (double)thr);
}

char *evr_extend_eval(const evr_eval_opts *o, const bookrec_ratings *r, const bookrec_triples *train,
                      const bookrec_triples *test, uint64_t split_seed, bookrec_model **models, int n_models,
                      int row_mean, int row_bias, int row_models, const evr_sink *sk) {
    if (o->no_rank && !o->all) return strdup("");
    if (o->k < 1) cli_usage_die("eval", "eval: -k must be at least 1");
    if (o->max_users < 0 || o->new_readers < 1 || o->nr_foldin_few < 1 || o->nr_foldin_few >= o->nr_foldin ||
        o->nr_min_ratings <= o->nr_foldin)
        cli_usage_die("eval", "eval: need --max-users >= 0, --new-readers >= 1, 1 <= --foldin-few < --foldin-ratings "
                      "< --new-reader-min");
    if (o->seeds < 1 || o->seeds > 100) cli_usage_die("eval", "eval: --seeds must be in 1..100");
    if (o->threads < 1 || o->threads > 256) cli_usage_die("eval", "eval: --threads must be in 1..256");
    bookrec_error err = {0};
    int n_items = bookrec_ids_count(r->items);
    evr_variants vs;
    variants_of(o, &vs);
    if (!o->no_rank) {
        add_columns(sk, "", "", o->k);
        for (int v = 0; v < 3; v++) add_columns(sk, vs.key[v], vs.title[v], o->k);
    }
    cli_runner *runner = o->threads > 1 ? cli_runner_start(o->threads) : NULL;

    /* the ranker table: baselines, then one row per --all architecture */
    evr_table t = {0};
    static float liked_thr;
    liked_thr = bookrec_relevance_threshold(r->min_rating, r->max_rating);
    char liked_note[64];
    snprintf(liked_note, sizeof liked_note, "training ratings >= %g per book", (double)liked_thr);
    int row_liked = -1;
    if (!o->no_rank) {
        /* popularity by count is nearly flat on goodbooks' 981k file (3 books in 4 have exactly 100 ratings), so the
           count of ratings >= the relevance threshold ("liked by many") is shown too: a stronger yardstick */
        row_liked = sk->add_row(sk->ctx, "popularity (liked)", liked_note);
        bookrec_ranker pop = {"popularity", bookrec_fit_popularity, bookrec_score_fixed, bookrec_release_fixed, NULL};
        table_add(&t, pop, row_mean, NULL);
        bookrec_ranker bias = {"book bias", bookrec_fit_book_bias, bookrec_score_fixed, bookrec_release_fixed, NULL};
        table_add(&t, bias, row_bias, NULL);
        bookrec_ranker liked = {"popularity (liked)", bookrec_fit_popularity, bookrec_score_fixed,
                                bookrec_release_fixed, &liked_thr};
        table_add(&t, liked, row_liked, NULL);
    }
    model_row *mrows = calloc(EVR_MAX_RANKERS, sizeof *mrows);
    static char names[EVR_MAX_RANKERS][64];
    char *list = strdup(o->all && o->archs ? o->archs : "");
    if (!mrows || !list) cli_die("out of memory");
    int n_mrows = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        model_row *mr = &mrows[n_mrows];
        bookrec_ranker trk;
        if (evr_topn_ranker(tok, &trk)) { /* a ranking-only row: no RMSE */
            snprintf(names[n_mrows], sizeof names[n_mrows], "%s (--all)", tok);
            trk.name = names[n_mrows];
            int row = sk->add_row(sk->ctx, names[n_mrows], "top-N: ranks books, predicts no rating");
            table_add(&t, trk, row, NULL);
            n_mrows++;
            continue;
        }
        if (bookrec_preset_row(tok, &mr->row.spec, NULL) != BOOKREC_OK) {
            char bad[64];
            snprintf(bad, sizeof bad, "%s", tok);
            free(list);
            cli_usage_die("eval", "eval: --archs: unknown architecture '%s' (expected seed, mf, ncf, mf-implicit, "
                          "ncf-implicit, ease, easeK, ials or ialsD)", bad);
        }
        if (n_mrows + 3 >= EVR_MAX_RANKERS) cli_usage_die("eval", "eval: --archs: too many architectures");
        mr->row.spec.users = r->users;
        mr->row.spec.items = r->items;
        mr->row.foldin.iters = o->foldin_iters;
        mr->row.foldin.l2 = o->foldin_l2;
        evr_spec_threads(&mr->row.spec, runner, o->threads);
        evr_log_fits(&mr->row, &mr->log);
        snprintf(names[n_mrows], sizeof names[n_mrows], "%s (--all)", tok);
        int row = sk->add_row(sk->ctx, names[n_mrows], "");
        table_add(&t, bookrec_spec_ranker(names[n_mrows], &mr->row), row, mr);
        n_mrows++;
    }
    free(list);

    float *pop = malloc((size_t)n_items * sizeof *pop), *pop_rank = malloc((size_t)n_items * sizeof *pop_rank);
    if (!pop || !pop_rank) cli_die("out of memory");
    cli_check(bookrec_popularity(train, n_items, pop, &err), &err, "popularity");
    cli_check(bookrec_popularity_ranks(pop, n_items, pop_rank, &err), &err, "popularity");
    run_dataset(&t, o, r, train, test, split_seed, runner, pop_rank, sk);
    char *caption = strdup("");
    if (!o->no_rank) {
        run_loaded(models, n_models, row_models, o, r, train, test, runner, pop_rank, sk);
        bookrec_protocol_info pi = run_protocol(&t, o, r, &vs, runner, sk);
        put_ratios(sk, sk->n_rows(sk->ctx), row_mean, row_liked);
        free(caption);
        caption = caption_of(o, r, &pi, n_items);
    }
    cli_runner_stop(runner);
    evr_topn_done();
    free(pop);
    free(pop_rank);
    free(mrows);
    return caption;
}
