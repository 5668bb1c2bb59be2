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
    evr_train_info info;
    double ndcg, hr;
    int rank_users;
} trial;

int cmd_tune(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *arch = "mf", *lr_s = NULL, *l2_s = NULL, *dim_s = NULL, *hidden_s = NULL, *l2d_s = NULL;
    const char *metric = "rmse", *out = NULL;
    int epochs = 40, patience = 2, trials = 0, threads = cli_default_threads(), k = 10, max_users = 5000, batch = 0;
    int implicit = 0, group_users = 0;
    float l2_row = 0;
    uint64_t seed = 1, split_seed = 1, trial_seed = 1;
    double test_fraction = 0.2, valid_fraction = 0.1;
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"arch", 0, CLI_STR, &arch, "seed|mf|ncf", "architecture to tune", NULL},
        {"lr", 0, CLI_STR, &lr_s, "LIST", "Adam learning rates to try", "seed 0.001,0.003; mf/ncf 0.001,0.003,0.01"},
        {"l2", 0, CLI_STR, &l2_s, "LIST", "L2 strengths to try", "seed 0,0.01; mf/ncf 0.01,0.03,0.1"},
        {"dim", 0, CLI_STR, &dim_s, "LIST", "embedding sizes to try", "seed 15; mf/ncf 16,32,64"},
        {"hidden", 0, CLI_STR, &hidden_s, "LIST", "dense widths to try (seed, ncf)", "the architecture's default"},
        {"l2-dense", 0, CLI_STR, &l2d_s, "LIST", "L2 strengths of the dense layers to try (seed, ncf)", "0"},
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
    bookrec_arch a;
    if (evr_parse_arch(arch, &a) != 0) cli_usage_die("tune", "tune: --arch expects seed, mf or ncf, got '%s'", arch);
    if (strcmp(metric, "rmse") && strcmp(metric, "ndcg"))
        cli_usage_die("tune", "tune: --metric expects rmse or ndcg, got '%s'", metric);
    if (epochs < 1 || epochs > 10000) cli_usage_die("tune", "tune: --epochs must be in 1..10000");
    if (patience < 1) cli_usage_die("tune", "tune: --patience must be at least 1 (it picks the epochs)");
    if (!(test_fraction > 0 && test_fraction < 1)) cli_usage_die("tune", "tune: --test-fraction must be in (0, 1)");
    if (!(valid_fraction > 0 && valid_fraction < 1)) cli_usage_die("tune", "tune: --valid-fraction must be in (0, 1)");
    if (threads < 1 || threads > 256) cli_usage_die("tune", "tune: --threads must be in 1..256");
    if (k < 1) cli_usage_die("tune", "tune: -k must be at least 1");
    if (trials < 0 || max_users < 0 || batch < 0) cli_usage_die("tune", "tune: --trials, --max-users and --batch must be >= 0");

    evr_spec base;
    evr_spec_default(a, &base);
    base.to.epochs = epochs;
    base.to.patience = patience;
    base.valid_fraction = valid_fraction;
    base.cfg.seed = seed;
    base.to.seed = seed;
    if (batch > 0) base.to.batch = batch;
    if (!(l2_row >= 0)) cli_usage_die("tune", "tune: --l2-row must be >= 0");
    base.to.l2_row = l2_row;
    base.cfg.implicit = implicit;
    base.to.group_users = group_users || implicit;

    double lr[MAX_LIST], l2[MAX_LIST], dim[MAX_LIST], hid[MAX_LIST], l2d[MAX_LIST];
    int seed_arch = a == BOOKREC_ARCH_SEED;
    int n_lr = parse_list("lr", lr_s ? lr_s : seed_arch ? "0.001,0.003" : "0.001,0.003,0.01", lr);
    int n_l2 = parse_list("l2", l2_s ? l2_s : seed_arch ? "0,0.01" : "0.01,0.03,0.1", l2);
    int n_dim = parse_list("dim", dim_s ? dim_s : seed_arch ? "15" : "16,32,64", dim);
    char hdef[32];
    snprintf(hdef, sizeof hdef, "%d", base.cfg.hidden);
    int n_hid = a == BOOKREC_ARCH_MF ? 1 : parse_list("hidden", hidden_s ? hidden_s : hdef, hid);
    if (a == BOOKREC_ARCH_MF) hid[0] = base.cfg.hidden;
    int n_l2d = a == BOOKREC_ARCH_MF ? 1 : parse_list("l2-dense", l2d_s ? l2d_s : "0", l2d);
    if (a == BOOKREC_ARCH_MF) l2d[0] = 0;
    for (int i = 0; i < n_l2d; i++) if (!(l2d[i] >= 0)) cli_usage_die("tune", "tune: --l2-dense values must be >= 0");
    for (int i = 0; i < n_lr; i++) if (!(lr[i] > 0)) cli_usage_die("tune", "tune: --lr values must be > 0");
    for (int i = 0; i < n_l2; i++) if (!(l2[i] >= 0)) cli_usage_die("tune", "tune: --l2 values must be >= 0");
    for (int i = 0; i < n_dim; i++) if (!(dim[i] >= 1 && dim[i] <= 4096)) cli_usage_die("tune", "tune: --dim values must be in 1..4096");
    for (int i = 0; i < n_hid; i++) if (!(hid[i] >= 1 && hid[i] <= 4096)) cli_usage_die("tune", "tune: --hidden values must be in 1..4096");

    int n_grid = n_lr * n_l2 * n_dim * n_hid * n_l2d;
    int *pick = malloc((size_t)n_grid * sizeof *pick);
    trial *runs = calloc((size_t)n_grid, sizeof *runs);
    if (!pick || !runs) cli_die("out of memory");
    for (int g = 0; g < n_grid; g++) pick[g] = g;
    int n_runs = n_grid;
    if (trials > 0 && trials < n_grid) { /* seeded partial Fisher-Yates, then back to grid order */
        uint64_t x = trial_seed * 0x9E3779B97F4A7C15ull + 1;
        for (int j = 0; j < trials; j++) {
            x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
            int r = j + (int)((x * 0x2545F4914F6CDD1Dull >> 33) % (uint64_t)(n_grid - j));
            int t = pick[j]; pick[j] = pick[r]; pick[r] = t;
        }
        n_runs = trials;
        for (int i = 1; i < n_runs; i++)
            for (int j = i; j > 0 && pick[j - 1] > pick[j]; j--) { int t = pick[j]; pick[j] = pick[j - 1]; pick[j - 1] = t; }
    }

    /* data: the 80/20 split of `bookrec train`; the test part is freed unread */
    bookrec_ratings *r = cli_load_ratings(&d, NULL, NULL);
    bookrec_error err = {0};
    bookrec_triples train = {0}, test = {0}, fit = {0}, valid = {0};
    cli_check(bookrec_split(r, test_fraction, split_seed, &train, &test, &err), &err, "split");
    bookrec_triples_free(&test);
    cli_check(bookrec_triples_split(&train, valid_fraction, split_seed + 1, &fit, &valid, &err), &err, "validation split");
    char g1[32], g2[32];
    fprintf(stderr, "tune %s: %d run%s on %s ratings, validating on %s carved from the training part (test part unused)\n",
            arch, n_runs, n_runs == 1 ? "" : "s", cli_group(fit.n, g1), cli_group(valid.n, g2));

    cli_runner *runner = threads > 1 ? cli_runner_start(threads) : NULL;

    int best = -1;
    for (int j = 0; j < n_runs; j++) {
        int g = pick[j];
        trial *t = &runs[j];
        t->lr = (float)lr[g % n_lr];
        t->l2 = (float)l2[(g / n_lr) % n_l2];
        t->dim = (int)dim[(g / (n_lr * n_l2)) % n_dim];
        t->hidden = (int)hid[(g / (n_lr * n_l2 * n_dim)) % n_hid];
        t->l2_dense = (float)l2d[g / (n_lr * n_l2 * n_dim * n_hid)];
        evr_spec s = base;
        s.to.lr = t->lr;
        s.to.l2 = t->l2;
        s.cfg.dim = t->dim;
        s.cfg.hidden = t->hidden;
        s.to.l2_dense = t->l2_dense;
        fprintf(stderr, "[%d/%d] lr %g l2 %g dim %d%s ...\n", j + 1, n_runs, (double)t->lr, (double)t->l2, t->dim,
                a == BOOKREC_ARCH_MF ? "" : cli_fmt(" hidden %d l2-dense %g", t->hidden, (double)t->l2_dense));
        bookrec_model *m = evr_train(&s, r, &fit, &valid, 0, runner, threads, 0, &t->info);
        bookrec_rank_result rr = evr_rank_model(m, &fit, &valid, r, k, max_users, runner, threads);
        t->ndcg = rr.ndcg;
        t->hr = rr.hr;
        t->rank_users = rr.n_users;
        bookrec_model_free(m);
        fprintf(stderr, "       valid rmse %.4f mae %.4f at epoch %d/%d, ndcg@%d %.4f, %.1f s\n", t->info.best_valid_rmse,
                t->info.best_valid_mae, t->info.best_epoch, t->info.epochs_run, k, t->ndcg, t->info.seconds);
        int better = best < 0 || (!strcmp(metric, "rmse") ? t->info.best_valid_rmse < runs[best].info.best_valid_rmse
                                                          : t->ndcg > runs[best].ndcg);
        if (better) best = j;
    }
    cli_runner_stop(runner);

    printf("| lr | l2 | dim |%s best epoch | epochs run | valid RMSE | valid MAE | valid HR@%d | valid NDCG@%d | seconds |\n",
           a == BOOKREC_ARCH_MF ? "" : " hidden | l2-dense |", k, k);
    printf("|---:|---:|---:|%s---:|---:|---:|---:|---:|---:|---:|\n", a == BOOKREC_ARCH_MF ? "" : "---:|---:|");
    for (int j = 0; j < n_runs; j++) {
        const trial *t = &runs[j];
        printf("| %g | %g | %d |%s %d | %d | %.4f | %.4f | %.4f | %.4f | %.1f |%s\n", (double)t->lr, (double)t->l2, t->dim,
               a == BOOKREC_ARCH_MF ? "" : cli_fmt(" %d | %g |", t->hidden, (double)t->l2_dense), t->info.best_epoch, t->info.epochs_run,
               t->info.best_valid_rmse, t->info.best_valid_mae, t->hr, t->ndcg, t->info.seconds,
               j == best ? " best" : "");
    }
    const trial *b = &runs[best];
    evr_spec bs = base;
    bs.to.lr = b->lr;
    bs.to.l2 = b->l2;
    bs.cfg.dim = b->dim;
    bs.cfg.hidden = b->hidden;
    bs.to.l2_dense = b->l2_dense;
    char *with_patience = evr_spec_flags(&bs);
    bs.to.epochs = b->info.best_epoch > 0 ? b->info.best_epoch : epochs;
    bs.to.patience = 0;
    char *fixed = evr_spec_flags(&bs);
    printf("\nbest by validation %s: bookrec train %s\n", metric, with_patience);
    printf("  (or, with the epoch count fixed and no validation carve: bookrec train %s)\n", fixed);

    if (out) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "arch", arch);
        cJSON_AddStringToObject(root, "metric", metric);
        cJSON_AddNumberToObject(root, "split_seed", (double)split_seed);
        cJSON_AddNumberToObject(root, "test_fraction", test_fraction);
        cJSON_AddNumberToObject(root, "valid_fraction", valid_fraction);
        cJSON_AddNumberToObject(root, "patience", patience);
        cJSON_AddNumberToObject(root, "max_epochs", epochs);
        cJSON *ja = cJSON_AddArrayToObject(root, "runs");
        for (int j = 0; j < n_runs; j++) {
            const trial *t = &runs[j];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "lr", t->lr);
            cJSON_AddNumberToObject(o, "l2", t->l2);
            cJSON_AddNumberToObject(o, "dim", t->dim);
            if (a != BOOKREC_ARCH_MF) cJSON_AddNumberToObject(o, "hidden", t->hidden);
            if (a != BOOKREC_ARCH_MF) cJSON_AddNumberToObject(o, "l2_dense", t->l2_dense);
            cJSON_AddNumberToObject(o, "best_epoch", t->info.best_epoch);
            cJSON_AddNumberToObject(o, "epochs_run", t->info.epochs_run);
            cJSON_AddNumberToObject(o, "valid_rmse", t->info.best_valid_rmse);
            cJSON_AddNumberToObject(o, "valid_mae", t->info.best_valid_mae);
            cJSON_AddNumberToObject(o, "valid_hr", t->hr);
            cJSON_AddNumberToObject(o, "valid_ndcg", t->ndcg);
            cJSON_AddNumberToObject(o, "rank_users", t->rank_users);
            cJSON_AddNumberToObject(o, "seconds", t->info.seconds);
            cJSON_AddItemToArray(ja, o);
        }
        cJSON_AddStringToObject(root, "best_flags", with_patience);
        cJSON_AddStringToObject(root, "best_flags_fixed_epochs", fixed);
        char *json = cJSON_Print(root);
        cJSON_Delete(root);
        if (!json) cli_die("out of memory");
        cli_write_atomic_or_die(out, json, strlen(json));
        free(json);
        fprintf(stderr, "wrote %s\n", out);
    }
    free(with_patience);
    free(fixed);
    free(pick);
    free(runs);
    bookrec_triples_free(&train);
    bookrec_triples_free(&fit);
    bookrec_triples_free(&valid);
    bookrec_ratings_free(r);
    return 0;
}
