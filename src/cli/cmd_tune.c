/*
 * cmd_tune.c - `bookrec tune`: a small, documented hyper-parameter search for one architecture.
 * It makes the same seeded 80/20 split as `bookrec train`, sets the test part aside untouched, carves a
 * validation part from the training part (the same one `bookrec train --patience` uses), and for every
 * combination of --lr x --l2 x --dim (x --hidden x --l2-dense for seed/ncf) trains on the rest with early stopping on
 * the validation part (--epochs is the cap, --patience the stop rule, so the number of epochs is searched
 * too). It scores each run on the validation part only: RMSE and MAE, and NDCG@10/HR@10 for validation
 * users (their fitted books excluded). --trials N samples N combinations (seeded) instead of the full grid.
 * It prints a table and the best flags (by --metric) to pass to `bookrec train`. It never reads the test
 * part: choices made here stay honest for `bookrec eval`.
 */
#define _GNU_SOURCE
#include "eval_rank.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 16

/* The default lists tried, for the tutorial's network and for mf/ncf (shown by --help as they are). */
#define LR_SEED "0.001,0.003"
#define LR_MF "0.001,0.003,0.01"
#define L2_SEED "0,0.01"
#define L2_MF "0.01,0.03,0.1"
#define DIM_SEED "15"
#define DIM_MF "16,32,64"

/* Parses a comma-separated list of numbers into v[0..MAX_LIST); returns the count or exits on a bad value. */
static int parse_list(const char *flag, const char *txt, double *v) {
    int n = 0;
    const char *p = txt;
    while (*p) {
        char *end;
        double x = strtod(p, &end);
        if (end == p || !isfinite(x)) cli_usage_die("tune", "tune: --%s expects numbers separated by commas, got '%s'", flag, txt);
        if (n == MAX_LIST) cli_usage_die("tune", "tune: --%s takes at most %d values", flag, MAX_LIST);
        v[n++] = x;
        p = end;
        if (*p == ',') p++;
        else if (*p) cli_usage_die("tune", "tune: --%s expects numbers separated by commas, got '%s'", flag, txt);
    }
    if (n == 0) cli_usage_die("tune", "tune: --%s is empty", flag);
    return n;
}

typedef struct trial {
    float lr, l2, l2_dense;
    int dim, hidden;
    bookrec_train_info info;
    double ndcg, hr, seconds;
    int rank_users;
} trial;

/* The grid's value lists (the core's bookrec_grid points into them). */
typedef struct grid_lists {
    double lr[MAX_LIST], l2[MAX_LIST], dim[MAX_LIST], hid[MAX_LIST], l2d[MAX_LIST];
} grid_lists;

/* The grid from the flags (NULL: the architecture's lists), checked. */
static bookrec_grid grid_of(grid_lists *v, bookrec_arch a, const bookrec_spec *base, const char *const lists[5]) {
    int seed_arch = a == BOOKREC_ARCH_SEED, mf = a == BOOKREC_ARCH_MF;
    bookrec_grid g = {v->lr, v->l2, v->dim, v->hid, v->l2d, 0, 0, 0, 1, 1};
    g.n_lr = parse_list("lr", lists[0] ? lists[0] : seed_arch ? LR_SEED : LR_MF, v->lr);
    g.n_l2 = parse_list("l2", lists[1] ? lists[1] : seed_arch ? L2_SEED : L2_MF, v->l2);
    g.n_dim = parse_list("dim", lists[2] ? lists[2] : seed_arch ? DIM_SEED : DIM_MF, v->dim);
    char hdef[32];
    snprintf(hdef, sizeof hdef, "%d", base->cfg.hidden);
    v->hid[0] = base->cfg.hidden;
    v->l2d[0] = 0;
    if (!mf) g.n_hidden = parse_list("hidden", lists[3] ? lists[3] : hdef, v->hid);
    if (!mf) g.n_l2_dense = parse_list("l2-dense", lists[4] ? lists[4] : "0", v->l2d);
    for (int i = 0; i < g.n_l2_dense; i++) if (!(v->l2d[i] >= 0)) cli_usage_die("tune", "tune: --l2-dense values must be >= 0");
    for (int i = 0; i < g.n_lr; i++) if (!(v->lr[i] > 0)) cli_usage_die("tune", "tune: --lr values must be > 0");
    for (int i = 0; i < g.n_l2; i++) if (!(v->l2[i] >= 0)) cli_usage_die("tune", "tune: --l2 values must be >= 0");
    for (int i = 0; i < g.n_dim; i++) if (!(v->dim[i] >= 1 && v->dim[i] <= 4096)) cli_usage_die("tune", "tune: --dim values must be in 1..4096");
    for (int i = 0; i < g.n_hidden; i++) if (!(v->hid[i] >= 1 && v->hid[i] <= 4096)) cli_usage_die("tune", "tune: --hidden values must be in 1..4096");
    return g;
}

/* A run's values from its spec. */
static void trial_of(const bookrec_spec *s, trial *t) {
    t->lr = s->to.lr;
    t->l2 = s->to.l2;
    t->dim = s->cfg.dim;
    t->hidden = s->cfg.hidden;
    t->l2_dense = s->to.l2_dense;
}

/* Trains and ranks one run on the validation part of fd. */
static void run_trial(const bookrec_spec *spec, const bookrec_fit_data *fd, const bookrec_ratings *r, int k,
                      int max_users, cli_runner *runner, int threads, trial *t) {
    bookrec_spec s = *spec;
    evr_spec_threads(&s, runner, threads);
    bookrec_error err = {0};
    bookrec_model *m = NULL;
    double t0 = cli_now();
    cli_check(bookrec_spec_train(&s, fd, &m, &t->info, &err), &err, "training");
    t->seconds = cli_now() - t0;
    bookrec_rank_result rr = evr_rank_model(m, &fd->fit, &fd->valid, r, k, max_users, runner, threads);
    t->ndcg = rr.ndcg;
    t->hr = rr.hr;
    t->rank_users = rr.n_users;
    bookrec_model_free(m);
}

static void print_runs(const trial *runs, int n_runs, int best, int k, int mf) {
    printf("| lr | l2 | dim |%s best epoch | epochs run | valid RMSE | valid MAE | valid HR@%d | valid NDCG@%d | seconds |\n",
           mf ? "" : " hidden | l2-dense |", k, k);
    printf("|---:|---:|---:|%s---:|---:|---:|---:|---:|---:|---:|\n", mf ? "" : "---:|---:|");
    for (int j = 0; j < n_runs; j++) {
        const trial *t = &runs[j];
        char dense[64] = "";
        if (!mf) snprintf(dense, sizeof dense, " %d | %g |", t->hidden, (double)t->l2_dense);
        printf("| %g | %g | %d |%s %d | %d | %.4f | %.4f | %.4f | %.4f | %.1f |%s\n", (double)t->lr, (double)t->l2, t->dim,
               dense, t->info.best_epoch, t->info.epochs_run, t->info.best_valid_rmse, t->info.best_valid_mae, t->hr,
               t->ndcg, t->seconds, j == best ? " best" : "");
    }
}

/* What the JSON report says besides the runs. */
typedef struct tune_run {
    const char *arch, *metric;
    uint64_t split_seed;
    double test_fraction, valid_fraction;
    int patience, epochs, mf;
    const char *best_flags, *best_fixed;
} tune_run;

static void write_json(const char *out, const tune_run *tr, const trial *runs, int n_runs) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "arch", tr->arch);
    cJSON_AddStringToObject(root, "metric", tr->metric);
    cJSON_AddNumberToObject(root, "split_seed", (double)tr->split_seed);
    cJSON_AddNumberToObject(root, "test_fraction", tr->test_fraction);
    cJSON_AddNumberToObject(root, "valid_fraction", tr->valid_fraction);
    cJSON_AddNumberToObject(root, "patience", tr->patience);
    cJSON_AddNumberToObject(root, "max_epochs", tr->epochs);
    cJSON *ja = cJSON_AddArrayToObject(root, "runs");
    for (int j = 0; j < n_runs; j++) {
        const trial *t = &runs[j];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "lr", t->lr);
        cJSON_AddNumberToObject(o, "l2", t->l2);
        cJSON_AddNumberToObject(o, "dim", t->dim);
        if (!tr->mf) cJSON_AddNumberToObject(o, "hidden", t->hidden);
        if (!tr->mf) cJSON_AddNumberToObject(o, "l2_dense", t->l2_dense);
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
    cJSON_AddStringToObject(root, "best_flags", tr->best_flags);
    cJSON_AddStringToObject(root, "best_flags_fixed_epochs", tr->best_fixed);
    cli_write_json_or_die(out, root);
    fprintf(stderr, "wrote %s\n", out);
}

int cmd_tune(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *arch = "mf", *lists[5] = {NULL, NULL, NULL, NULL, NULL}; /* lr, l2, dim, hidden, l2-dense */
    const char *metric = "rmse", *out = NULL;
    int epochs = 40, patience = 2, trials = 0, threads = cli_default_threads(), k = 10, max_users = 5000, batch = 0;
    int implicit = 0, group_users = 0;
    float l2_row = 0;
    uint64_t seed = 1, split_seed = BOOKREC_SPLIT_SEED, trial_seed = 1;
    double test_fraction = BOOKREC_TEST_FRACTION, valid_fraction = BOOKREC_VALID_FRACTION;
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"arch", 0, CLI_STR, &arch, "seed|mf|ncf", "architecture to tune", NULL},
        {"lr", 0, CLI_STR, &lists[0], "LIST", "Adam learning rates to try", "seed " LR_SEED "; mf/ncf " LR_MF},
        {"l2", 0, CLI_STR, &lists[1], "LIST", "L2 strengths to try", "seed " L2_SEED "; mf/ncf " L2_MF},
        {"dim", 0, CLI_STR, &lists[2], "LIST", "embedding sizes to try", "seed " DIM_SEED "; mf/ncf " DIM_MF},
        {"hidden", 0, CLI_STR, &lists[3], "LIST", "dense widths to try (seed, ncf)", "the architecture's default"},
        {"l2-dense", 0, CLI_STR, &lists[4], "LIST", "L2 strengths of the dense layers to try (seed, ncf)", "0"},
        {"batch", 0, CLI_INT, &batch, "N", "ratings per Adam step", "the architecture's default"},
        {"l2-row", 0, CLI_FLOAT, &l2_row, "X", "per-row L2 of every run (see bookrec train --help)", NULL},
        {"implicit", 0, CLI_FLAG, &implicit, NULL, "tune the implicit-feedback (SVD++) variant (mf, ncf)", NULL},
        {"group-users", 0, CLI_FLAG, &group_users, NULL, "batches hold each user's ratings together", NULL},
        {"epochs", 0, CLI_INT, &epochs, "N", "most epochs per run (early stopping picks fewer)", NULL},
        {"patience", 0, CLI_INT, &patience, "N", "stop a run when validation RMSE has not improved for N epochs", NULL},
        {"trials", 0, CLI_INT, &trials, "N", "sample N combinations of the grid (seeded); 0: the whole grid", NULL},
        {"trial-seed", 0, CLI_U64, &trial_seed, "N", "seed of the --trials sample", NULL},
        {"metric", 0, CLI_STR, &metric, "rmse|ndcg", "what picks the best run (validation RMSE, or NDCG@k)", NULL},
        {"k", 'k', CLI_INT, &k, "N", "list length of the validation ranking", NULL},
        {"max-users", 0, CLI_INT, &max_users, "N", "validation users ranked per run (evenly spaced; 0: all)", NULL},
        {"seed", 0, CLI_U64, &seed, "N", "initialisation and shuffling seed", NULL},
        {"split-seed", 0, CLI_U64, &split_seed, "N", "seed of the train/test split (as bookrec train)", NULL},
        {"test-fraction", 0, CLI_DOUBLE, &test_fraction, "F", "part of the ratings set aside for testing (never read)", NULL},
        {"valid-fraction", 0, CLI_DOUBLE, &valid_fraction, "F", "part of training held for validation", NULL},
        {"threads", 0, CLI_INT, &threads, "N", "threads; default = cores, 2..8", NULL},
        {"out", 'o', CLI_STR, &out, "FILE", "also write the runs as JSON", "none"},
    };
    cli_parse("tune", "bookrec tune [--arch mf] [--lr 0.001,0.003] [--l2 0.01,0.1] [--dim 16,32] [--trials N]", opts,
              (int)(sizeof opts / sizeof opts[0]), argc, argv);
    bookrec_spec base; /* the evaluation row's preset of the architecture */
    if (bookrec_preset_row(arch, &base, NULL) != BOOKREC_OK || base.cfg.implicit)
        cli_usage_die("tune", "tune: --arch expects seed, mf or ncf, got '%s'", arch);
    bookrec_arch a = base.cfg.arch;
    int mf = a == BOOKREC_ARCH_MF;
    if (strcmp(metric, "rmse") && strcmp(metric, "ndcg"))
        cli_usage_die("tune", "tune: --metric expects rmse or ndcg, got '%s'", metric);
    if (epochs < 1 || epochs > 10000) cli_usage_die("tune", "tune: --epochs must be in 1..10000");
    if (patience < 1) cli_usage_die("tune", "tune: --patience must be at least 1 (it picks the epochs)");
    if (!(test_fraction > 0 && test_fraction < 1)) cli_usage_die("tune", "tune: --test-fraction must be in (0, 1)");
    if (!(valid_fraction > 0 && valid_fraction < 1)) cli_usage_die("tune", "tune: --valid-fraction must be in (0, 1)");
    if (threads < 1 || threads > 256) cli_usage_die("tune", "tune: --threads must be in 1..256");
    if (k < 1) cli_usage_die("tune", "tune: -k must be at least 1");
    if (trials < 0 || max_users < 0 || batch < 0) cli_usage_die("tune", "tune: --trials, --max-users and --batch must be >= 0");
    if (!(l2_row >= 0)) cli_usage_die("tune", "tune: --l2-row must be >= 0");
    base.to.epochs = epochs;
    base.to.patience = patience;
    base.valid_fraction = valid_fraction;
    base.cfg.seed = seed;
    base.to.seed = seed;
    if (batch > 0) base.to.batch = batch;
    base.to.l2_row = l2_row;
    base.cfg.implicit = implicit;
    base.to.group_users = group_users || implicit;
    grid_lists gl;
    bookrec_grid g = grid_of(&gl, a, &base, lists);
    int32_t *pick = NULL;
    int n_runs = 0;
    bookrec_error err = {0};
    cli_check(bookrec_grid_sample(&g, trials, trial_seed, &pick, &n_runs, &err), &err, "tune");
    trial *runs = calloc((size_t)n_runs, sizeof *runs);
    if (!runs) cli_die("out of memory");

    /* data: the 80/20 split of `bookrec train`; the test part is freed unread */
    bookrec_ratings *r = cli_load_ratings(&d, NULL, NULL);
    bookrec_triples train = {0}, test = {0};
    cli_check(bookrec_split(r, test_fraction, split_seed, &train, &test, &err), &err, "split");
    bookrec_triples_free(&test);
    bookrec_fit_data fd;
    cli_check(bookrec_fit_data_init(&fd, &train, bookrec_ids_count(r->users), bookrec_ids_count(r->items),
                                    r->min_rating, r->max_rating, valid_fraction, split_seed + 1, &err), &err,
              "validation split");
    char g1[32], g2[32];
    fprintf(stderr, "tune %s: %d run%s on %s ratings, validating on %s carved from the training part (test part unused)\n",
            arch, n_runs, n_runs == 1 ? "" : "s", cli_group(fd.fit.n, g1), cli_group(fd.valid.n, g2));

    cli_runner *runner = threads > 1 ? cli_runner_start(threads) : NULL;
    int best = -1;
    for (int j = 0; j < n_runs; j++) {
        trial *t = &runs[j];
        bookrec_spec s;
        bookrec_grid_spec(&g, pick[j], &base, &s);
        trial_of(&s, t);
        char dense[64] = "";
        if (!mf) snprintf(dense, sizeof dense, " hidden %d l2-dense %g", t->hidden, (double)t->l2_dense);
        fprintf(stderr, "[%d/%d] lr %g l2 %g dim %d%s ...\n", j + 1, n_runs, (double)t->lr, (double)t->l2, t->dim,
                dense);
        run_trial(&s, &fd, r, k, max_users, runner, threads, t);
        fprintf(stderr, "       valid rmse %.4f mae %.4f at epoch %d/%d, ndcg@%d %.4f, %.1f s\n", t->info.best_valid_rmse,
                t->info.best_valid_mae, t->info.best_epoch, t->info.epochs_run, k, t->ndcg, t->seconds);
        int better = best < 0 || (!strcmp(metric, "rmse") ? t->info.best_valid_rmse < runs[best].info.best_valid_rmse
                                                          : t->ndcg > runs[best].ndcg);
        if (better) best = j;
    }
    cli_runner_stop(runner);

    print_runs(runs, n_runs, best, k, mf);
    bookrec_spec bs;
    bookrec_grid_spec(&g, pick[best], &base, &bs);
    char *with_patience = evr_spec_flags(&bs);
    bs.to.epochs = runs[best].info.best_epoch > 0 ? runs[best].info.best_epoch : epochs;
    bs.to.patience = 0;
    char *fixed = evr_spec_flags(&bs);
    printf("\nbest by validation %s: bookrec train %s\n", metric, with_patience);
    printf("  (or, with the epoch count fixed and no validation carve: bookrec train %s)\n", fixed);
    tune_run tr = {arch, metric, split_seed, test_fraction, valid_fraction, patience, epochs, mf, with_patience, fixed};
    if (out) write_json(out, &tr, runs, n_runs);
    free(with_patience);
    free(fixed);
    bookrec_free(pick);
    free(runs);
    bookrec_fit_data_free(&fd);
    bookrec_triples_free(&train);
    bookrec_ratings_free(r);
    return 0;
}
