/*
 * cmd_eval.c - `bookrec eval`: one table of figures on one split. Rows are predictors (the global-mean and
 * user+book-bias baselines, each model given with --model, with --all one trained row per --archs architecture),
 * columns are metrics (test RMSE and MAE, HR/NDCG/Recall/coverage@k and popularity rank for dataset users and for
 * new readers). The split is the training run's (seed and fraction from the model's history JSON) unless flags say
 * otherwise. `--report FILE` writes the same table as Markdown and JSON (FILE.md, FILE.json).
 * Not the experiment: the rankers, the runs, the table and the caption are the core's (src/evaluation.c,
 * src/eval_table.c); this parses flags, loads files, prints progress and the table. Never changes a model.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "eval_rank.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static cJSON *table_json(const bookrec_eval_table *t) {
    cJSON *cols = cJSON_CreateArray();
    for (int c = 0; c < t->n_cols; c++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "key", t->col[c].key);
        cJSON_AddStringToObject(o, "title", t->col[c].title);
        cJSON_AddItemToArray(cols, o);
    }
    cJSON *rows = cJSON_CreateArray();
    for (int r = 0; r < t->n_rows; r++) {
        const bookrec_eval_row *row = &t->row[r];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", row->name);
        cJSON_AddStringToObject(o, "note", row->note);
        for (int c = 0; c < t->n_cols; c++) {
            if (isnan(row->v[c])) cJSON_AddNullToObject(o, t->col[c].key);
            else cJSON_AddNumberToObject(o, t->col[c].key, row->v[c]);
            if (isnan(row->v[c]) || isnan(row->sd[c])) continue;
            const char *suffix[3] = {"_sd", "_min", "_max"};
            double w[3] = {row->sd[c], row->lo[c], row->hi[c]};
            for (int j = 0; j < 3; j++) {
                char key[64];
                snprintf(key, sizeof key, "%s%s", t->col[c].key, suffix[j]);
                cJSON_AddNumberToObject(o, key, w[j]);
            }
        }
        cJSON_AddItemToArray(rows, o);
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "columns", cols);
    cJSON_AddItemToObject(root, "rows", rows);
    return root;
}

/* ------------------------------------------------------------------ progress */

/* What the progress lines need: the table (for the trained rows' notes), the fit clocks, when the last row ended. */
typedef struct eval_log {
    bookrec_eval_table *t;
    int no_rank, n_seeds;
    evr_fit_log fits[BOOKREC_EVAL_MAX_ROWS];
    double t0;
} eval_log;

static void on_spec_row(void *ctx, int row, bookrec_spec_row *sr) {
    eval_log *lg = ctx;
    if (row >= 0) evr_log_fits(sr, &lg->fits[row]);
}

static void on_topn_fit(void *ctx, bookrec_arch arch, int dim, size_t n) {
    (void)ctx;
    char g[32];
    if (arch == BOOKREC_ARCH_EASE) fprintf(stderr, "fitting EASE on %s ratings\n", cli_group(n, g));
    else fprintf(stderr, "fitting iALS (dim %d) on %s ratings\n", dim, cli_group(n, g));
}

static void on_dataset(void *ctx, int row, const char *name, const bookrec_spec_row *sr,
                       const bookrec_dataset_cell *c) {
    eval_log *lg = ctx;
    if (sr && row >= 0) {
        char *fl = evr_spec_flags(&sr->spec), stopped[48] = "";
        if (sr->spec.to.patience > 0) snprintf(stopped, sizeof stopped, " (stopped at epoch %d)", sr->info.best_epoch);
        snprintf(lg->t->row[row].note, sizeof lg->t->row[row].note, "trained here: %s%s", fl, stopped);
        fprintf(stderr, "  test rmse %.4f mae %.4f (%.1f s)\n", c->rmse, c->mae, cli_now() - lg->fits[row].t0);
        free(fl);
    }
    if (!lg->no_rank)
        fprintf(stderr, "ranked dataset users with %s: ndcg@%d %.4f, %d users (%.1f s)\n", name, c->rank.k,
                c->rank.ndcg, c->rank.n_users, cli_now() - lg->t0);
    lg->t0 = cli_now();
}

static void on_loaded(void *ctx, int j, const bookrec_rank_result *res) {
    eval_log *lg = ctx;
    (void)j;
    fprintf(stderr, "ranked a loaded model: ndcg@%d %.4f (%.1f s)\n", res->k, res->ndcg, cli_now() - lg->t0);
    lg->t0 = cli_now();
}

static void on_protocol(void *ctx, int si, const char *name, const char *variant, const bookrec_rank_result *res,
                        double pop_rank) {
    eval_log *lg = ctx;
    fprintf(stderr, "new readers, seed %d/%d, %s, %sfold-in: ndcg@%d %.4f, coverage %.3f, pop rank %.0f, %d readers "
            "(%.1f s)\n", si + 1, lg->n_seeds, name, variant, res->k, res->ndcg, res->coverage, pop_rank,
            res->n_users, cli_now() - lg->t0);
}

static void on_warn(void *ctx, const char *msg) {
    eval_log *lg = ctx;
    cli_warn("%s", msg);
    lg->t0 = cli_now();
}

/* ------------------------------------------------------------------ the command */

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Runs the core's experiment into t with the flags' options; returns the caption's ranking part (a new string). */
static char *run_experiment(bookrec_eval_options *e, int all, const char *archs, int threads, const bookrec_ratings *r,
                            const bookrec_triples *train, const bookrec_triples *test, bookrec_model **m,
                            int n_models, bookrec_eval_table *t) {
    if (e->no_rank && !all) return strdup("");
    if (e->k < 1) cli_usage_die("eval", "eval: -k must be at least 1");
    if (e->max_users < 0 || e->new_readers < 1 || e->foldin_few < 1 || e->foldin_few >= e->foldin_ratings ||
        e->new_reader_min <= e->foldin_ratings)
        cli_usage_die("eval", "eval: need --max-users >= 0, --new-readers >= 1, 1 <= --foldin-few < --foldin-ratings "
                      "< --new-reader-min");
    if (e->seeds < 1 || e->seeds > 100) cli_usage_die("eval", "eval: --seeds must be in 1..100");
    if (threads < 1 || threads > 256) cli_usage_die("eval", "eval: --threads must be in 1..256");
    e->archs = all ? archs : NULL;
    e->row_suffix = " (--all)";
    bookrec_error err = {0};
    if (bookrec_eval_check(e, &err) != BOOKREC_OK) cli_usage_die("eval", "eval: --%s", err.msg);
    cli_runner *runner = threads > 1 ? cli_runner_start(threads) : NULL;
    e->n_tasks = runner ? threads : 1;
    e->parallel = runner ? cli_runner_parallel : NULL;
    e->parallel_ctx = runner;
    eval_log *lg = calloc(1, sizeof *lg);
    if (!lg) cli_die("out of memory");
    *lg = (eval_log){.t = t, .no_rank = e->no_rank, .n_seeds = e->seeds, .t0 = cli_now()};
    e->progress = (bookrec_eval_progress){lg, on_spec_row, on_topn_fit, on_dataset, on_loaded, on_protocol, on_warn};
    bookrec_eval_sink sink = bookrec_eval_table_sink(t);
    bookrec_protocol_info pi;
    char *caption = NULL;
    cli_check(bookrec_eval_run(r, train, test, m, n_models, e, &sink, &pi, &caption, &err), &err, "evaluation");
    if (t->overflow) cli_die("eval: too many rows");
    if (!e->no_rank && pi.n_held < e->new_readers)
        cli_warn("%d new readers held out, not %d: only users with %d or more ratings qualify, and at most 20%% of "
                 "the %d users are held out so that the others train", pi.n_held, e->new_readers, e->new_reader_min,
                 bookrec_ids_count(r->users));
    cli_runner_stop(runner);
    free(lg);
    return caption ? caption : strdup("");
}

/* Writes FILE.md and FILE.json of --report. */
static void write_report(const char *report, const bookrec_eval_table *t, const char *caption, uint64_t split_seed,
                         double test_fraction, const bookrec_triples *train, const bookrec_triples *test,
                         const cli_data_opts *d) {
    char *md_path, *json_path, *md = NULL;
    evr_report_paths(report, &md_path, &json_path);
    bookrec_error err = {0};
    cli_check(bookrec_eval_table_markdown(t, caption, &md, &err), &err, "report");
    cli_write_atomic_or_die(md_path, md, strlen(md));
    cJSON *root = table_json(t);
    cJSON *js = cJSON_CreateObject();
    cJSON_AddNumberToObject(js, "seed", (double)split_seed);
    cJSON_AddNumberToObject(js, "test_fraction", test_fraction);
    cJSON_AddNumberToObject(js, "train", (double)train->n);
    cJSON_AddNumberToObject(js, "test", (double)test->n);
    cJSON_AddStringToObject(js, "ratings", cli_ratings_path(d));
    cJSON_AddItemToObject(root, "split", js);
    cli_write_json_or_die(json_path, root);
    printf("\nwrote %s and %s\n", md_path, json_path);
    bookrec_free(md);
    free(md_path);
    free(json_path);
}

int cmd_eval(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *models = cli_default_model(), *report = NULL, *tags_dir = NULL, *tastes = EVR_TASTES;
    const char *archs = "seed,mf,ncf,mf-implicit"; /* the presets' evaluation rows */
    int all = 0, personas = 0, threads = cli_default_threads();
    double min_share = -1;
    uint64_t split_seed = UINT64_MAX;
    double test_fraction = -1;
    bookrec_bias_options bo = {0};
    bookrec_eval_options e;
    bookrec_eval_options_default(&e);
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"model", 'm', CLI_STR, &models, "FILE[,FILE...]", "model file(s) to evaluate, one row each",
         "<project>/models/model.bkr"},
        {"split-seed", 0, CLI_U64, &split_seed, "N", "seed of the train/test split",
         "from the model's history JSON, else " CLI_NUM(BOOKREC_SPLIT_SEED)},
        {"test-fraction", 0, CLI_DOUBLE, &test_fraction, "F", "test part of the split",
         "from the model's history JSON, else " CLI_NUM(BOOKREC_TEST_FRACTION)},
        {"bias-iters", 0, CLI_INT, &bo.iters, "N", "ALS rounds of the user+book bias baseline", "10"},
        {"lambda-item", 0, CLI_FLOAT, &bo.lambda_item, "X", "shrinkage of the book biases", "5"},
        {"lambda-user", 0, CLI_FLOAT, &bo.lambda_user, "X", "shrinkage of the user biases", "5"},
        {"report", 0, CLI_STR, &report, "FILE", "also write the table to FILE.md and FILE.json", "none"},
        {"all", 0, CLI_FLAG, &all, NULL, "train one row per --archs architecture on the same split (default or tuned "
         "flags, early stopping on a part of training; a second model without the new readers); models are evaluated "
         "too only when named with --model", "off"},
        {"archs", 0, CLI_STR, &archs, "LIST", "rows trained by --all: seed, mf, ncf, mf-implicit, ncf-implicit, ease, "
         "easeK (K kept per row), ials, ialsD (D factors)", NULL},
        {"no-rank", 0, CLI_FLAG, &e.no_rank, NULL, "RMSE/MAE only: skip the ranking columns", "off"},
        {"k", 'k', CLI_INT, &e.k, "N", "length of the ranked lists (HR/NDCG/Recall/coverage@k)", NULL},
        {"max-users", 0, CLI_INT, &e.max_users, "N", "dataset users ranked, evenly spaced (0: all)", NULL},
        {"new-readers", 0, CLI_INT, &e.new_readers, "N", "readers held out of training for the new-reader columns",
         NULL},
        {"new-reader-min", 0, CLI_INT, &e.new_reader_min, "N", "ratings a held-out reader has at least", NULL},
        {"foldin-ratings", 0, CLI_INT, &e.foldin_ratings, "N", "ratings each new reader is folded in from (\"new\"; "
         "\"loved\": the ones >= the relevance threshold among them)", NULL},
        {"foldin-few", 0, CLI_INT, &e.foldin_few, "N", "the smaller fold-in of the new-reader columns (\"newN\")",
         NULL},
        {"seeds", 0, CLI_INT, &e.seeds, "N", "reader seeds of the new-reader protocol (figures: mean ± sd)", NULL},
        {"new-reader-seed", 0, CLI_U64, &e.reader_seed, "N", "first seed choosing the new readers and their fold-in",
         NULL},
        {"foldin-l2", 0, CLI_FLOAT, &e.foldin.l2, "X", "L2 of the fold-in (pull toward the mean reader)",
         "matched to the row's training L2"},
        {"threads", 0, CLI_INT, &threads, "N", "threads for training and ranking", NULL},
        {"personas", 0, CLI_FLAG, &personas, NULL, "the persona suite of one --model instead of the table: for each "
         "--tastes taste, the share of the top-k carrying it after loving 5 best-known books of it", "off"},
        {"tastes", 0, CLI_STR, &tastes, "LIST", "with --personas: tastes, comma-separated: a built-in name, or "
         "name=shelf/shelf/... (shelf names of tags.csv)", EVR_TASTES},
        {"min-share", 0, CLI_DOUBLE, &min_share, "X", "with --personas: exit 1, naming the tastes below X, when the "
         "mean share over the tastes is below X", "off"},
        {"tags", 0, CLI_STR, &tags_dir, "DIR", "with --personas: where book_tags.csv and tags.csv are",
         "the data directory"},
    };
    cli_parse("eval", "bookrec eval [--model FILE[,FILE...]] [--report FILE]", opts,
              (int)(sizeof opts / sizeof opts[0]), argc, argv);

    if (personas) {
        if (strchr(models, ',')) cli_usage_die("eval", "eval: --personas takes one --model file");
        if (all) cli_usage_die("eval", "eval: --personas and --all do not go together");
        return evr_personas(&d, models, tags_dir, tastes, min_share, e.k, &e.foldin, report);
    }

    /* model paths */
    char *list = strdup(models);
    char *paths[BOOKREC_EVAL_MAX_ROWS];
    int n_models = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!*tok) continue;
        if (n_models >= BOOKREC_EVAL_MAX_ROWS - 4) cli_usage_die("eval", "eval: too many models");
        paths[n_models++] = tok;
    }
    if (n_models == 0) cli_usage_die("eval", "eval: --model needs at least one file");
    if (all && !strcmp(models, cli_default_model())) n_models = 0; /* --all: only models named with --model */

    int from_history = cli_split_settings(n_models > 0 ? paths[0] : NULL, &split_seed, &test_fraction);
    if (!(test_fraction > 0 && test_fraction < 1)) cli_usage_die("eval", "eval: --test-fraction must be in (0, 1)");
    e.split_seed = split_seed;

    bookrec_model **m = calloc((size_t)n_models, sizeof *m);
    for (int k = 0; k < n_models; k++) m[k] = cli_load_model(paths[k]);

    bookrec_ratings *r = cli_load_ratings(&d, NULL, NULL);
    bookrec_triples train = {0}, test = {0};
    bookrec_error err = {0};
    cli_check(bookrec_split(r, test_fraction, split_seed, &train, &test, &err), &err, "split");

    bookrec_eval_table *t = malloc(sizeof *t);
    if (!t) cli_die("out of memory");
    bookrec_eval_table_init(t);
    bookrec_eval_sink sink = bookrec_eval_table_sink(t);
    cli_check(bookrec_eval_baselines(&train, &test, bookrec_ids_count(r->users), bookrec_ids_count(r->items), &bo,
                                     &sink, &err), &err, "baselines");
    for (int k = 0; k < n_models; k++) {
        double rmse = 0, ma = 0;
        size_t used = cli_eval_model(m[k], r, &test, &rmse, &ma);
        const bookrec_model_config *c = bookrec_model_get_config(m[k]);
        char name[96], hid[32] = "", note[160];
        snprintf(name, sizeof name, "%s (%s)", bookrec_arch_name(c->arch), base_name(paths[k]));
        if (c->arch != BOOKREC_ARCH_MF) snprintf(hid, sizeof hid, ", hidden %d", c->hidden);
        snprintf(note, sizeof note, "dim %d%s, %zu test ratings", c->dim, hid, used);
        int row = sink.add_row(t, name, note);
        sink.set(t, row, "rmse", rmse);
        sink.set(t, row, "mae", ma);
    }
    char *rank_caption = run_experiment(&e, all, archs, threads, r, &train, &test, m, n_models, t);

    char g1[32], g2[32], *text = NULL;
    char *caption = cli_fmt("Test split: %s of %s ratings (seed %llu, test fraction %g%s). %s", cli_group(test.n, g1),
                            cli_group(r->all.n, g2), (unsigned long long)split_seed, test_fraction,
                            from_history ? ", from the training history" : "", rank_caption);
    cli_check(bookrec_eval_table_text(t, &text, &err), &err, "evaluation");
    printf("%s\n\n%s", caption, text);
    if (report) write_report(report, t, caption, split_seed, test_fraction, &train, &test, &d);
    bookrec_free(text);
    bookrec_free(rank_caption);
    free(caption);
    free(t);
    for (int k = 0; k < n_models; k++) bookrec_model_free(m[k]);
    free(m);
    free(list);
    bookrec_triples_free(&train);
    bookrec_triples_free(&test);
    bookrec_ratings_free(r);
    return 0;
}
