/*
 * evaluation.c - the evaluation experiment of bookrec (what `bookrec eval` shows): the table of rankers (popularity,
 * book bias, liked popularity, one trained row per architecture of a list), each fitted on the 80/20 split's
 * training part for test RMSE/MAE (rating models) and HR/NDCG/Recall/coverage@k and mean popularity rank for the
 * dataset users, loaded models ranked for the dataset users, then the new-reader protocol over the table for each
 * reader seed, NDCG relative to the better popularity row, the baselines' RMSE rows and the caption describing it.
 * Figures go to the caller's table through a bookrec_eval_sink, progress through callbacks.
 * Not here: the protocol, the metrics, spec training and the top-N rows themselves (src/protocol.c, src/eval.c,
 * src/experiment.c, src/rankers_topn.c); flags, threads, files and printing (the CLI).
 */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANKERS 32

void bookrec_eval_options_default(bookrec_eval_options *o) {
    *o = (bookrec_eval_options){.k = 10, .new_readers = 1000, .new_reader_min = 20, .foldin_ratings = 10,
                                .foldin_few = 5, .seeds = 3, .reader_seed = 1, .split_seed = BOOKREC_SPLIT_SEED,
                                .row_bias = 1, .row_models = 2, .n_tasks = 1};
}

/* The ranker table: one entry per table row fitted on each training part. */
typedef struct table {
    bookrec_ranker rk[MAX_RANKERS];
    int row[MAX_RANKERS];
    bookrec_spec_row *spec[MAX_RANKERS]; /* NULL for rankers without RMSE */
    int n;
    bookrec_spec_row specs[MAX_RANKERS];
    char names[MAX_RANKERS][64];
    float liked_thr;
    br_topn_rankers *topn;
} table;

static int table_add(table *t, bookrec_ranker rk, int row, bookrec_spec_row *sr, bookrec_error *err) {
    if (t->n >= MAX_RANKERS) return br_fail(err, BOOKREC_E_ARG, "evaluation: too many rows (at most %d)", MAX_RANKERS);
    t->rk[t->n] = rk;
    t->row[t->n] = row;
    t->spec[t->n] = sr;
    t->n++;
    return BOOKREC_OK;
}

/* Walks o->archs: with t NULL only checks the names; else adds a table row and a ranker per name. */
static int add_archs(const bookrec_eval_options *o, const bookrec_ratings *r, table *t, const bookrec_eval_sink *sk,
                     bookrec_error *err) {
    int n = 0, rc = BOOKREC_OK;
    for (const char *p = o->archs ? o->archs : "", *end; !rc && *p; p = end + (*end == ',')) {
        end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        if (end == p) continue;
        char tok[64];
        snprintf(tok, sizeof tok, "%.*s", (int)(end - p), p);
        if (n + 3 >= MAX_RANKERS) return br_fail(err, BOOKREC_E_ARG, "archs: too many architectures");
        bookrec_ranker rk;
        int topn = 0;
        rc = br_topn_ranker(t ? t->topn : NULL, tok, &rk, &topn, err);
        if (rc) break;
        bookrec_spec_row *sr = t ? &t->specs[n] : NULL;
        bookrec_spec spec;
        if (!topn && bookrec_preset_row(tok, sr ? &sr->spec : &spec, NULL) != BOOKREC_OK)
            return br_fail(err, BOOKREC_E_ARG, "archs: unknown architecture '%s' (expected seed, mf, ncf, "
                           "mf-implicit, ncf-implicit, ease, easeK, ials or ialsD)", tok);
        if (t) {
            snprintf(t->names[n], sizeof t->names[n], "%.40s%s", tok, o->row_suffix ? o->row_suffix : "");
            int row = sk->add_row(sk->ctx, t->names[n], topn ? "top-N: ranks books, predicts no rating" : "");
            if (topn) {
                rk.name = t->names[n];
                rc = table_add(t, rk, row, NULL, err);
            } else {
                sr->spec.users = r->users;
                sr->spec.items = r->items;
                sr->foldin = o->foldin;
                sr->spec.to.n_tasks = o->parallel ? o->n_tasks : 1;
                sr->spec.to.parallel = o->parallel;
                sr->spec.to.parallel_ctx = o->parallel_ctx;
                sr->spec.to.progress = NULL;
                if (o->progress.spec_row) o->progress.spec_row(o->progress.ctx, row, sr);
                rc = table_add(t, bookrec_spec_ranker(t->names[n], sr), row, sr, err);
            }
        }
        n++;
    }
    return rc;
}

int bookrec_eval_check(const bookrec_eval_options *o, bookrec_error *err) {
    if (!o) return br_fail(err, BOOKREC_E_ARG, "evaluation: NULL options");
    if (o->k < 1 || o->max_users < 0 || o->new_readers < 1 || o->foldin_few < 1 ||
        o->foldin_few >= o->foldin_ratings || o->new_reader_min <= o->foldin_ratings || o->seeds < 1 ||
        o->seeds > 100 || o->n_tasks < 1)
        return br_fail(err, BOOKREC_E_ARG, "evaluation: need k >= 1, max_users >= 0, new_readers >= 1, 1 <= "
                       "foldin_few < foldin_ratings < new_reader_min, seeds in 1..100, n_tasks >= 1");
    return add_archs(o, NULL, NULL, NULL, err);
}

/* ------------------------------------------------------------------ columns */

/* The variants of the new-reader protocol and their column prefixes. */
typedef struct variants {
    bookrec_foldin_variant v[3];
    char key[3][16], title[3][16];
} variants;

static void variants_of(const bookrec_eval_options *o, variants *vs) {
    vs->v[0] = (bookrec_foldin_variant){o->foldin_few, 0};
    vs->v[1] = (bookrec_foldin_variant){o->foldin_ratings, 0};
    vs->v[2] = (bookrec_foldin_variant){o->foldin_ratings, 1};
    snprintf(vs->key[0], sizeof vs->key[0], "new%d_", o->foldin_few);
    snprintf(vs->title[0], sizeof vs->title[0], "new%d ", o->foldin_few);
    snprintf(vs->key[1], sizeof vs->key[1], "new_");
    snprintf(vs->title[1], sizeof vs->title[1], "new ");
    snprintf(vs->key[2], sizeof vs->key[2], "loved_");
    snprintf(vs->title[2], sizeof vs->title[2], "loved ");
}

static const char *fig_keys[5] = {"hr", "ndcg", "recall", "coverage", "poprank"};
static const char *fig_titles[5] = {"HR", "NDCG", "Recall", "coverage", "pop rank"};

static void add_columns(const bookrec_eval_sink *sk, const char *key_prefix, const char *title_prefix, int k) {
    for (int f = 0; f < 5; f++) {
        char key[40], title[40];
        snprintf(key, sizeof key, "%s%s", key_prefix, fig_keys[f]);
        if (f == 4) snprintf(title, sizeof title, "%s%s", title_prefix, fig_titles[f]);
        else snprintf(title, sizeof title, "%s%s@%d", title_prefix, fig_titles[f], k);
        sk->add_col(sk->ctx, key, title, f == 4 ? 1 : 4);
    }
}

static void put_dataset(const bookrec_eval_sink *sk, int row, const bookrec_rank_result *res, double pop_rank) {
    double v[5] = {res->hr, res->ndcg, res->recall, res->coverage, pop_rank};
    for (int f = 0; f < 5; f++) sk->set(sk->ctx, row, fig_keys[f], v[f]);
}

static void put_cell(const bookrec_eval_sink *sk, int row, const char *prefix, const bookrec_protocol_cell *c) {
    const bookrec_stat *s[5] = {&c->hr, &c->ndcg, &c->recall, &c->coverage, &c->pop_rank};
    for (int f = 0; f < 5; f++) {
        char key[40];
        snprintf(key, sizeof key, "%s%s", prefix, fig_keys[f]);
        sk->set_stat(sk->ctx, row, key, s[f]->mean, s[f]->sd, s[f]->min, s[f]->max);
    }
}

/* ------------------------------------------------------------------ the runs */

/* What a run shares: options, data, sink, table. */
typedef struct run {
    const bookrec_eval_options *o;
    const bookrec_ratings *r;
    const bookrec_eval_sink *sk;
    table *t;
    const variants *vs;
    int n_users, n_items;
} run;

static void rank_opts(const run *u, int max_users, bookrec_rank_options *ro) {
    memset(ro, 0, sizeof *ro);
    ro->k = u->o->k;
    ro->min_rating = u->r->min_rating;
    ro->max_rating = u->r->max_rating;
    ro->max_users = max_users;
    if (u->o->parallel && u->o->n_tasks > 1) {
        ro->n_tasks = u->o->n_tasks;
        ro->parallel = u->o->parallel;
        ro->parallel_ctx = u->o->parallel_ctx;
    }
}

/* Writes a ranker's figures into its row and reports them. */
static void on_dataset(void *ctx, int j, const bookrec_dataset_cell *c) {
    const run *u = ctx;
    const bookrec_eval_sink *sk = u->sk;
    int row = u->t->row[j];
    if (u->t->spec[j]) {
        sk->set(sk->ctx, row, "rmse", c->rmse);
        sk->set(sk->ctx, row, "mae", c->mae);
    }
    if (!u->o->no_rank) put_dataset(sk, row, &c->rank, c->pop_rank);
    if (u->o->progress.dataset) u->o->progress.dataset(u->o->progress.ctx, row, u->t->rk[j].name, u->t->spec[j], c);
}

/* Fits every ranker of the table on the training part (a validation part carved from it with seed split_seed + 1),
   writes RMSE/MAE for models and the dataset-user ranking columns. */
static int run_dataset(const run *u, const bookrec_triples *train, const bookrec_triples *test, const float *pop_rank,
                       bookrec_error *err) {
    bookrec_dataset_options dop = {0};
    rank_opts(u, u->o->max_users, &dop.rank);
    dop.no_rank = u->o->no_rank;
    dop.valid_fraction = BOOKREC_VALID_FRACTION;
    dop.seed = u->o->split_seed + 1;
    dop.pop_rank = pop_rank;
    dop.progress = on_dataset;
    dop.progress_ctx = (void *)u;
    bookrec_dataset_cell *cells = calloc((size_t)u->t->n, sizeof *cells);
    if (!cells) return br_fail(err, BOOKREC_E_NOMEM, "evaluation: out of memory");
    int rc = bookrec_dataset_run(train, test, u->n_users, u->n_items, u->r->min_rating, u->r->max_rating, u->t->rk,
                                 u->t->n, &dop, cells, err);
    free(cells);
    return rc;
}

/* Whether model m's id tables are the data's. */
static int same_ids(const bookrec_model *m, const bookrec_ratings *r, bookrec_error *err, int *same) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int32_t *um = NULL, *im = NULL;
    int iu = 0, ii = 0;
    int rc = bookrec_ids_map(r->users, bookrec_model_users(m), c->n_users, &um, &iu, err);
    if (!rc) rc = bookrec_ids_map(r->items, bookrec_model_items(m), c->n_items, &im, &ii, err);
    bookrec_free(um);
    bookrec_free(im);
    *same = iu && ii;
    return rc;
}

/* Loaded models: dataset users only, since their training saw every reader. */
static int run_loaded(const run *u, bookrec_model **models, int n_models, const bookrec_triples *train,
                      const bookrec_triples *test, const float *pop_rank, bookrec_error *err) {
    const bookrec_eval_progress *p = &u->o->progress;
    for (int j = 0; j < n_models; j++) {
        int same = 0, rc = same_ids(models[j], u->r, err, &same);
        if (rc) return rc;
        if (!same) {
            if (p->warn) p->warn(p->ctx, "a model's id tables differ from the data's: its ranking columns are left "
                                         "empty");
            continue;
        }
        if ((rc = bookrec_model_prepare(models[j], err))) return rc;
        bookrec_model_scorer sc = {models[j], {0}};
        bookrec_rank_options ro;
        rank_opts(u, u->o->max_users, &ro);
        const bookrec_model_config *c = bookrec_model_get_config(models[j]);
        bookrec_rank_result res;
        double pr = NAN;
        rc = bookrec_rank_evaluate_ex(c->n_users, c->n_items, train, test, 0, bookrec_score_model, &sc, &ro,
                                      pop_rank, &pr, &res, err);
        if (rc) return rc;
        put_dataset(u->sk, u->o->row_models + j, &res, pr);
        if (p->loaded) p->loaded(p->ctx, j, &res);
    }
    return BOOKREC_OK;
}

static void on_protocol(void *ctx, int si, int r, int v, const bookrec_rank_result *res, double pop_rank) {
    const run *u = ctx;
    u->o->progress.protocol(u->o->progress.ctx, si, u->t->rk[r].name, u->vs->title[v], res, pop_rank);
}

/* Runs the new-reader protocol over the table and writes its columns. */
static int run_protocol(const run *u, bookrec_protocol_info *info, bookrec_error *err) {
    const bookrec_eval_options *o = u->o;
    bookrec_protocol_options po;
    memset(&po, 0, sizeof po);
    po.readers = (bookrec_newreader_options){o->new_readers, o->new_reader_min, 0, o->reader_seed, 0.0};
    po.n_seeds = o->seeds;
    po.variants = u->vs->v;
    po.n_variants = 3;
    rank_opts(u, 0, &po.rank);
    po.progress = o->progress.protocol ? on_protocol : NULL;
    po.progress_ctx = (void *)u;
    bookrec_protocol_cell *cells = calloc((size_t)u->t->n * 3, sizeof *cells);
    if (!cells) return br_fail(err, BOOKREC_E_NOMEM, "evaluation: out of memory");
    int rc = bookrec_protocol_run(&u->r->all, u->n_users, u->n_items, u->t->rk, u->t->n, &po, cells, info, err);
    for (int j = 0; j < u->t->n && !rc; j++)
        for (int v = 0; v < 3; v++) put_cell(u->sk, u->t->row[j], u->vs->key[v], &cells[j * 3 + v]);
    free(cells);
    return rc;
}

/* NDCG relative to the better of the two popularity rankings, for every row that has it. */
static void put_ratios(const bookrec_eval_sink *sk, int row_pop, int row_liked) {
    double best[2];
    const char *keys[2] = {"ndcg", "new_ndcg"}, *ratio[2] = {"ndcg_vs_pop", "new_ndcg_vs_pop"};
    for (int s = 0; s < 2; s++) {
        double a = sk->get(sk->ctx, row_pop, keys[s]), b = sk->get(sk->ctx, row_liked, keys[s]);
        best[s] = isnan(b) || a > b ? a : b;
    }
    if (!(best[0] > 0 && best[1] > 0)) return;
    sk->add_col(sk->ctx, "ndcg_vs_pop", "NDCG/pop", 2);
    sk->add_col(sk->ctx, "new_ndcg_vs_pop", "new NDCG/pop", 2);
    for (int row = 0, n_rows = sk->n_rows(sk->ctx); row < n_rows; row++)
        for (int s = 0; s < 2; s++) {
            double v = sk->get(sk->ctx, row, keys[s]);
            if (!isnan(v)) sk->set(sk->ctx, row, ratio[s], v / best[s]);
        }
}

/* ------------------------------------------------------------------ the caption */

static char *fmt_new(const char *fmt, ...) {
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) vsnprintf(s, (size_t)n + 1, fmt, aq);
    va_end(aq);
    return s;
}

static char *caption_of(const bookrec_eval_options *o, const bookrec_ratings *r, const bookrec_protocol_info *pi,
                        int n_items) {
    float thr = bookrec_relevance_threshold(r->min_rating, r->max_rating);
    int k = o->k;
    return fmt_new(
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
        k, (double)thr, o->max_users ? " (evenly spaced sample of users)" : "", pi->n_held, o->new_reader_min,
        pi->n_train_users, o->foldin_few, o->foldin_few, o->foldin_ratings, (double)thr, o->foldin_ratings,
        pi->loved_left_out, (double)thr, pi->n_seeds, (unsigned long long)o->reader_seed,
        (unsigned long long)(o->reader_seed + (uint64_t)pi->n_seeds - 1), k, k, k, n_items, n_items,
        (n_items + 1) / 2.0, (double)thr);
}

/* ------------------------------------------------------------------ entry points */

int bookrec_eval_baselines(const bookrec_triples *train, const bookrec_triples *test, int n_users, int n_items,
                           const bookrec_bias_options *bo, const bookrec_eval_sink *sk, bookrec_error *err) {
    if (!train || !test || !sk) return br_fail(err, BOOKREC_E_ARG, "baselines: NULL argument");
    bookrec_bias_options b = bo ? *bo : (bookrec_bias_options){0};
    sk->add_col(sk->ctx, "rmse", "RMSE", 4);
    sk->add_col(sk->ctx, "mae", "MAE", 4);
    double mu = 0, mse = 0, mae = 0;
    int rc = bookrec_global_mean(train, &mu, err);
    if (!rc) rc = bookrec_constant_evaluate(mu, test, &mse, &mae, err);
    if (rc) return rc;
    char note[160];
    snprintf(note, sizeof note, "mu = %.4f", mu);
    int row = sk->add_row(sk->ctx, "global mean / popularity", note);
    sk->set(sk->ctx, row, "rmse", sqrt(mse));
    sk->set(sk->ctx, row, "mae", mae);
    bookrec_bias_model *bias = NULL;
    rc = bookrec_bias_fit(train, n_users, n_items, &b, &bias, err);
    if (!rc) rc = bookrec_bias_evaluate(bias, test, &mse, &mae, err);
    bookrec_bias_free(bias);
    if (rc) return rc;
    snprintf(note, sizeof note, "mu + b_u + b_i, %d ALS rounds, lambda %g/%g", b.iters ? b.iters : 10,
             (double)(b.lambda_item ? b.lambda_item : 5), (double)(b.lambda_user ? b.lambda_user : 5));
    row = sk->add_row(sk->ctx, "user+book bias", note);
    sk->set(sk->ctx, row, "rmse", sqrt(mse));
    sk->set(sk->ctx, row, "mae", mae);
    return br_ok(err);
}

/* The ranker table: the baselines (unless no_rank), then one row per architecture. */
static int build_table(const bookrec_eval_options *o, const bookrec_ratings *r, const bookrec_eval_sink *sk, table *t,
                       int *row_liked, bookrec_error *err) {
    t->liked_thr = bookrec_relevance_threshold(r->min_rating, r->max_rating);
    *row_liked = -1;
    int rc = BOOKREC_OK;
    if (!o->no_rank) {
        /* popularity by count is nearly flat on goodbooks' 981k file (3 books in 4 have exactly 100 ratings), so the
           count of ratings >= the relevance threshold ("liked by many") is shown too: a stronger yardstick */
        char liked_note[64];
        snprintf(liked_note, sizeof liked_note, "training ratings >= %g per book", (double)t->liked_thr);
        *row_liked = sk->add_row(sk->ctx, "popularity (liked)", liked_note);
        bookrec_ranker pop = {"popularity", bookrec_fit_popularity, bookrec_score_fixed, bookrec_release_fixed, NULL};
        bookrec_ranker bias = {"book bias", bookrec_fit_book_bias, bookrec_score_fixed, bookrec_release_fixed, NULL};
        bookrec_ranker liked = {"popularity (liked)", bookrec_fit_popularity, bookrec_score_fixed,
                                bookrec_release_fixed, &t->liked_thr};
        rc = table_add(t, pop, o->row_mean, NULL, err);
        if (!rc) rc = table_add(t, bias, o->row_bias, NULL, err);
        if (!rc) rc = table_add(t, liked, *row_liked, NULL, err);
    }
    return rc ? rc : add_archs(o, r, t, sk, err);
}

/* The runs after the table is built: dataset users, loaded models, the protocol, the ratios and the caption. */
static int run_all(const run *u, const bookrec_triples *train, const bookrec_triples *test, bookrec_model **models,
                   int n_models, int row_liked, bookrec_protocol_info *info, char **caption, bookrec_error *err) {
    float *pop = malloc((size_t)u->n_items * sizeof *pop), *pop_rank = malloc((size_t)u->n_items * sizeof *pop_rank);
    int rc = pop && pop_rank ? BOOKREC_OK : br_fail(err, BOOKREC_E_NOMEM, "evaluation: out of memory");
    if (!rc) rc = bookrec_popularity(train, u->n_items, pop, err);
    if (!rc) rc = bookrec_popularity_ranks(pop, u->n_items, pop_rank, err);
    if (!rc) rc = run_dataset(u, train, test, pop_rank, err);
    if (!rc && !u->o->no_rank) {
        rc = run_loaded(u, models, n_models, train, test, pop_rank, err);
        if (!rc) rc = run_protocol(u, info, err);
        if (!rc) put_ratios(u->sk, u->o->row_mean, row_liked);
        if (!rc && caption && !(*caption = caption_of(u->o, u->r, info, u->n_items)))
            rc = br_fail(err, BOOKREC_E_NOMEM, "evaluation: out of memory");
    }
    free(pop);
    free(pop_rank);
    return rc;
}

int bookrec_eval_run(const bookrec_ratings *r, const bookrec_triples *train, const bookrec_triples *test,
                     bookrec_model **models, int n_models, const bookrec_eval_options *o,
                     const bookrec_eval_sink *sk, bookrec_protocol_info *info, char **caption, bookrec_error *err) {
    if (caption) *caption = NULL;
    if (!r || !train || !test || !sk || (n_models > 0 && !models))
        return br_fail(err, BOOKREC_E_ARG, "evaluation: NULL argument");
    if (o && o->no_rank && !(o->archs && *o->archs)) return br_ok(err);
    int rc = bookrec_eval_check(o, err);
    if (rc) return rc;
    variants vs;
    variants_of(o, &vs);
    if (!o->no_rank) {
        add_columns(sk, "", "", o->k);
        for (int v = 0; v < 3; v++) add_columns(sk, vs.key[v], vs.title[v], o->k);
    }
    table *t = calloc(1, sizeof *t);
    if (!t || !(t->topn = br_topn_rankers_create(o->progress.topn_fit, o->progress.ctx))) {
        free(t);
        return br_fail(err, BOOKREC_E_NOMEM, "evaluation: out of memory");
    }
    bookrec_protocol_info pi;
    memset(&pi, 0, sizeof pi);
    int row_liked = -1;
    rc = build_table(o, r, sk, t, &row_liked, err);
    run u = {o, r, sk, t, &vs, bookrec_ids_count(r->users), bookrec_ids_count(r->items)};
    if (!rc) rc = run_all(&u, train, test, models, n_models, row_liked, &pi, caption, err);
    if (info) *info = pi;
    br_topn_rankers_free(t->topn);
    free(t);
    return rc ? rc : br_ok(err);
}
