/*
 * cmd_tune.c - `bookrec tune`: a small, documented hyper-parameter search for one architecture, run by the core
 * (bookrec_tune_run, src/tune.c). The core makes the same seeded 80/20 split as `bookrec train`, sets the test part
 * aside untouched, carves the validation part `bookrec train --patience` uses, and for every combination of --lr x
 * --l2 x --dim (x --hidden x --l2-dense for seed/ncf; the default lists are the core's) trains on the rest with early
 * stopping on the validation part (--epochs is the cap, --patience the stop rule, so the number of epochs is searched
 * too), scoring each run on the validation part only: RMSE and MAE, and NDCG@10/HR@10 for validation users (their
 * fitted books excluded). --trials N samples N combinations (seeded) instead of the full grid. This file parses the
 * flags, prints the progress lines, the table and the best flags (by --metric) to pass to `bookrec train`, and writes
 * the JSON. The test part is never read: choices made here stay honest for `bookrec eval`.
 */
#define _GNU_SOURCE
#include "eval_rank.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void print_runs(const bookrec_tune_trial *runs, int n_runs, int best, int k, int mf) {
    printf("| lr | l2 | dim |%s best epoch | epochs run | valid RMSE | valid MAE | valid HR@%d | valid NDCG@%d | seconds |\n",
           mf ? "" : " hidden | l2-dense |", k, k);
    printf("|---:|---:|---:|%s---:|---:|---:|---:|---:|---:|---:|\n", mf ? "" : "---:|---:|");
    for (int j = 0; j < n_runs; j++) {
        const bookrec_tune_trial *t = &runs[j];
        char dense[64] = "";
        if (!mf) snprintf(dense, sizeof dense, " %d | %g |", t->hidden, (double)t->l2_dense);
        printf("| %g | %g | %d |%s %d | %d | %.4f | %.4f | %.4f | %.4f | %.1f |%s\n", (double)t->lr, (double)t->l2, t->dim,
               dense, t->info.best_epoch, t->info.epochs_run, t->info.best_valid_rmse, t->info.best_valid_mae, t->hr,
               t->ndcg, t->seconds, j == best ? " best" : "");
    }
}

/* The search as JSON: its settings, the runs and the best flags (with patience, and with the epochs fixed). */
static void write_json(const char *out, const char *arch, const char *metric, const bookrec_tune_options *tr,
                       const bookrec_tune_result *res, const char *best_flags, const char *best_fixed) {
    int mf = tr->base.cfg.arch == BOOKREC_ARCH_MF;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "arch", arch);
    cJSON_AddStringToObject(root, "metric", metric);
    cJSON_AddNumberToObject(root, "split_seed", (double)tr->split_seed);
    cJSON_AddNumberToObject(root, "test_fraction", tr->test_fraction);
    cJSON_AddNumberToObject(root, "valid_fraction", tr->settings.valid_fraction);
    cJSON_AddNumberToObject(root, "patience", tr->settings.patience);
    cJSON_AddNumberToObject(root, "max_epochs", tr->settings.epochs);
    cJSON *ja = cJSON_AddArrayToObject(root, "runs");
    for (int j = 0; j < res->n_runs; j++) {
        const bookrec_tune_trial *t = &res->runs[j];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "lr", t->lr);
        cJSON_AddNumberToObject(o, "l2", t->l2);
        cJSON_AddNumberToObject(o, "dim", t->dim);
        if (!mf) cJSON_AddNumberToObject(o, "hidden", t->hidden);
        if (!mf) cJSON_AddNumberToObject(o, "l2_dense", t->l2_dense);
        cJSON_AddNumberToObject(o, "best_epoch", t->info.best_epoch);
        cJSON_AddNumberToObject(o, "epochs_run", t->info.epochs_run);
        cJSON_AddNumberToObject(o, "valid_rmse", t->info.best_valid_rmse);
        cJSON_AddNumberToObject(o, "valid_mae", t->info.best_valid_mae);
        cJSON_AddNumberToObject(o, "valid_hr", t->hr);
        cJSON_AddNumberToObject(o, "valid_ndcg", t->ndcg);
        cJSON_AddNumberToObject(o, "rank_users", t->rank_users);
        cJSON_AddNumberToObject(o, "seconds", t->seconds);
        cJSON_AddItemToArray(ja, o);
    }
    cJSON_AddStringToObject(root, "best_flags", best_flags);
    cJSON_AddStringToObject(root, "best_flags_fixed_epochs", best_fixed);
    cli_write_json_or_die(out, root);
    fprintf(stderr, "wrote %s\n", out);
}

/* The progress lines of a search. */
typedef struct tune_log {
    const char *arch;
    int k, mf;
    double t0;
} tune_log;

static void on_start(void *ctx, int n_runs, const bookrec_fit_data *fd) {
    const tune_log *l = ctx;
    char g1[32], g2[32];
    fprintf(stderr, "tune %s: %d run%s on %s ratings, validating on %s carved from the training part (test part unused)\n",
            l->arch, n_runs, n_runs == 1 ? "" : "s", cli_group(fd->fit.n, g1), cli_group(fd->valid.n, g2));
}

static void before_trial(void *ctx, int j, int n_runs, const bookrec_tune_trial *t) {
    tune_log *l = ctx;
    char dense[64] = "";
    if (!l->mf) snprintf(dense, sizeof dense, " hidden %d l2-dense %g", t->hidden, (double)t->l2_dense);
    fprintf(stderr, "[%d/%d] lr %g l2 %g dim %d%s ...\n", j + 1, n_runs, (double)t->lr, (double)t->l2, t->dim, dense);
    l->t0 = cli_now();
}

static void after_trial(void *ctx, int j, int n_runs, bookrec_tune_trial *t) {
    (void)j, (void)n_runs;
    tune_log *l = ctx;
    t->seconds = cli_now() - l->t0;
    fprintf(stderr, "       valid rmse %.4f mae %.4f at epoch %d/%d, ndcg@%d %.4f, %.1f s\n", t->info.best_valid_rmse,
            t->info.best_valid_mae, t->info.best_epoch, t->info.epochs_run, l->k, t->ndcg, t->seconds);
}

int cmd_tune(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *arch = BOOKREC_ARCH_DEFAULT, *lists[5] = {NULL, NULL, NULL, NULL, NULL}; /* lr, l2, dim, hidden, l2-dense */
    const char *metric = "rmse", *out = NULL;
    int threads = cli_default_threads();
    bookrec_tune_options o;
    bookrec_tune_options_default(&o);
    bookrec_tune_settings *ts = &o.settings;
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"arch", 0, CLI_STR, &arch, "seed|mf|ncf", "architecture to tune", NULL},
        {"lr", 0, CLI_STR, &lists[0], "LIST", "Adam learning rates to try",
         "seed " BOOKREC_TUNE_LR_SEED "; mf/ncf " BOOKREC_TUNE_LR_MF},
        {"l2", 0, CLI_STR, &lists[1], "LIST", "L2 strengths to try",
         "seed " BOOKREC_TUNE_L2_SEED "; mf/ncf " BOOKREC_TUNE_L2_MF},
        {"dim", 0, CLI_STR, &lists[2], "LIST", "embedding sizes to try",
         "seed " BOOKREC_TUNE_DIM_SEED "; mf/ncf " BOOKREC_TUNE_DIM_MF},
        {"hidden", 0, CLI_STR, &lists[3], "LIST", "dense widths to try (seed, ncf)", "the architecture's default"},
        {"l2-dense", 0, CLI_STR, &lists[4], "LIST", "L2 strengths of the dense layers to try (seed, ncf)", "0"},
        {"batch", 0, CLI_INT, &ts->batch, "N", "ratings per Adam step", "the architecture's default"},
        {"l2-row", 0, CLI_FLOAT, &ts->l2_row, "X", "per-row L2 of every run (see bookrec train --help)", NULL},
        {"implicit", 0, CLI_FLAG, &ts->implicit, NULL, "tune the implicit-feedback (SVD++) variant (mf, ncf)", NULL},
        {"group-users", 0, CLI_FLAG, &ts->group_users, NULL, "batches hold each user's ratings together", NULL},
        {"epochs", 0, CLI_INT, &ts->epochs, "N", "most epochs per run (early stopping picks fewer)", NULL},
        {"patience", 0, CLI_INT, &ts->patience, "N", "stop a run when validation RMSE has not improved for N epochs", NULL},
        {"trials", 0, CLI_INT, &o.trials, "N", "sample N combinations of the grid (seeded); 0: the whole grid", NULL},
        {"trial-seed", 0, CLI_U64, &o.trial_seed, "N", "seed of the --trials sample", NULL},
        {"metric", 0, CLI_STR, &metric, "rmse|ndcg", "what picks the best run (validation RMSE, or NDCG@k)", NULL},
        {"k", 'k', CLI_INT, &o.rank.k, "N", "list length of the validation ranking", NULL},
        {"max-users", 0, CLI_INT, &o.rank.max_users, "N", "validation users ranked per run (evenly spaced; 0: all)", NULL},
        {"seed", 0, CLI_U64, &ts->seed, "N", "initialisation and shuffling seed", NULL},
        {"split-seed", 0, CLI_U64, &o.split_seed, "N", "seed of the train/test split (as bookrec train)", NULL},
        {"test-fraction", 0, CLI_DOUBLE, &o.test_fraction, "F", "part of the ratings set aside for testing (never read)", NULL},
        {"valid-fraction", 0, CLI_DOUBLE, &ts->valid_fraction, "F", "part of training held for validation", NULL},
        {"threads", 0, CLI_INT, &threads, "N", "threads; default = cores, 2..8", NULL},
        {"out", 'o', CLI_STR, &out, "FILE", "also write the runs as JSON", "none"},
    };
    cli_parse("tune", "bookrec tune [--arch mf] [--lr 0.001,0.003] [--l2 0.01,0.1] [--dim 16,32] [--trials N]", opts,
              (int)(sizeof opts / sizeof opts[0]), argc, argv);
    if (bookrec_tune_base(&o, arch, NULL) != BOOKREC_OK) /* the evaluation row's preset of the architecture */
        cli_usage_die("tune", "tune: --arch expects seed, mf or ncf, got '%s'", arch);
    int mf = o.base.cfg.arch == BOOKREC_ARCH_MF;
    if (strcmp(metric, "rmse") && strcmp(metric, "ndcg"))
        cli_usage_die("tune", "tune: --metric expects rmse or ndcg, got '%s'", metric);
    if (ts->epochs < 1 || ts->epochs > BOOKREC_MAX_EPOCHS)
        cli_usage_die("tune", "tune: --epochs must be in 1..%d", BOOKREC_MAX_EPOCHS);
    if (ts->patience < 1) cli_usage_die("tune", "tune: --patience must be at least 1 (it picks the epochs)");
    if (!(o.test_fraction > 0 && o.test_fraction < 1)) cli_usage_die("tune", "tune: --test-fraction must be in (0, 1)");
    if (!(ts->valid_fraction > 0 && ts->valid_fraction < 1))
        cli_usage_die("tune", "tune: --valid-fraction must be in (0, 1)");
    if (threads < 1 || threads > 256) cli_usage_die("tune", "tune: --threads must be in 1..256");
    if (o.rank.k < 1) cli_usage_die("tune", "tune: -k must be at least 1");
    if (o.trials < 0 || o.rank.max_users < 0 || ts->batch < 0)
        cli_usage_die("tune", "tune: --trials, --max-users and --batch must be >= 0");
    if (!(ts->l2_row >= 0)) cli_usage_die("tune", "tune: --l2-row must be >= 0");
    bookrec_grid_lists gl;
    bookrec_error err = {0};
    if (bookrec_grid_parse(lists, &o.base, &gl, &o.grid, &err) != BOOKREC_OK) cli_usage_die("tune", "tune: --%s", err.msg);
    o.metric = strcmp(metric, "rmse") ? BOOKREC_TUNE_NDCG : BOOKREC_TUNE_RMSE;
    tune_log log = {arch, o.rank.k, mf, 0};
    o.on_start = on_start;
    o.before_trial = before_trial;
    o.after_trial = after_trial;
    o.ctx = &log;

    bookrec_ratings *r = cli_load_ratings(&d, NULL, NULL);
    cli_runner *runner = threads > 1 ? cli_runner_start(threads) : NULL;
    evr_spec_threads(&o.base, runner, threads);
    bookrec_tune_result res;
    cli_check(bookrec_tune_run(r, &o, &res, &err), &err, NULL); /* the core's message names its step */
    cli_runner_stop(runner);

    print_runs(res.runs, res.n_runs, res.best, o.rank.k, mf);
    char *with_patience = evr_spec_flags(&res.best_spec), *fixed = evr_spec_flags(&res.best_fixed);
    printf("\nbest by validation %s: bookrec train %s\n", metric, with_patience);
    printf("  (or, with the epoch count fixed and no validation carve: bookrec train %s)\n", fixed);
    if (out) write_json(out, arch, metric, &o, &res, with_patience, fixed);
    free(with_patience);
    free(fixed);
    bookrec_tune_result_free(&res);
    bookrec_ratings_free(r);
    return 0;
}
