/*
 * cmd_train_topn.c - `bookrec train --arch ease|ials`: the flags of a top-N fit, then the core's experiment
 * (bookrec_topn_train: readers held out as new readers, the fit on everyone else, the match calibration and its
 * check, their HR/NDCG@10, or --curve's figures per K), its figures printed and timed, the model file and a history
 * JSON written. Flags, printing, clocks and files only: the experiment, its split and the EASE-to-iALS rule are the
 * core's (src/topn_experiment.c).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* --curve's K list (each in 1..min(books, 1024)) into a new array of *n. */
static int *parse_curve(const char *list, int n_items, int *n) {
    int *k = malloc((strlen(list) / 2 + 1) * sizeof *k);
    if (!k) cli_die("out of memory");
    *n = 0;
    for (const char *p = list; *p;) {
        char *end;
        long K = strtol(p, &end, 10);
        if (end == p || K < 1 || K > n_items || K > 1024) cli_usage_die("train", "--curve: bad K in '%s'", list);
        if (*end && *end != ',') cli_usage_die("train", "--curve expects K,K,... got '%s'", list);
        k[(*n)++] = (int)K;
        p = *end == ',' ? end + 1 : end;
    }
    return k;
}

/* The progress lines and the fit's clock. */
typedef struct topn_clock {
    int curve;
    double t0, seconds;
} topn_clock;

static void on_progress(void *ctx, bookrec_topn_stage stage, const bookrec_topn_result *res) {
    topn_clock *c = ctx;
    char b1[32];
    if (stage == BOOKREC_TOPN_FITTING) {
        if (!c->curve)
            fprintf(stderr, "fitting %s on %s ratings (%d readers held out), dim %d\n", bookrec_arch_name(res->arch),
                    cli_group(res->n_fit, b1), res->n_held, res->dim);
        c->t0 = cli_now();
    } else if (stage == BOOKREC_TOPN_FITTED) {
        c->seconds = cli_now() - c->t0;
        if (!c->curve) return;
        fprintf(stderr, "dense EASE solve %.2f s\n", c->seconds);
        printf("%6s  %8s  %8s  %12s\n", "K", "HR@10", "NDCG@10", "items part");
    } else {
        const bookrec_topn_point *p = &res->point;
        printf("%6d  %8.4f  %8.4f  %12s\n", p->k, p->hr, p->ndcg, cli_bytes((long long)p->items_bytes, b1));
        fflush(stdout);
    }
}

/* Prints how the match holds on the other half of the held-out readers. */
static void print_reliability(const bookrec_topn_result *res) {
    if (!res->calibrated) cli_warn("no match calibration (%s); the site will show scores only", res->calibration_error);
    if (!res->reliability) return;
    double thr = res->threshold;
    printf("match on the other half of the held-out readers (top 50 books each): shown -> rated %g+\n", thr);
    for (int b = 0; b < BOOKREC_TOPN_BINS; b++)
        if (res->count[b])
            printf("  %3d-%3d%%  %6d books  shown %5.1f%%  rated %g+ %5.1f%%\n", 100 * b / BOOKREC_TOPN_BINS,
                   100 * (b + 1) / BOOKREC_TOPN_BINS, res->count[b], 100 * res->mean_match[b], thr,
                   100 * res->observed[b]);
}

/* `bookrec train --arch ease|ials` (called by cmd_train when it sees a top-N arch). */
int cmd_train_topn(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *arch = "ease", *out = cli_default_model(), *weights = NULL, *fit_weights = NULL, *curve = NULL;
    int force = 0, threads = cli_default_threads();
    float lambda = 0.0f, prior = 0.0f, alpha = 0.0f;
    bookrec_topn_options o;
    memset(&o, 0, sizeof o);
    o.split_seed = 7;
    o.held_out = 500;
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"arch", 0, CLI_STR, &arch, "ease|ials",
         "top-N model: EASE, item-item (what npm start ships), or iALS factors (for catalogues too large for EASE)",
         "ease"},
        {"dim", 0, CLI_INT, &o.dim, "N", "EASE: entries kept per row of B (the book side grows with it); iALS: factors",
         "24 (ease), 64 (ials)"},
        {"lambda", 0, CLI_FLOAT, &lambda, "X", "L2 (chosen on validation readers, docs/models.md)",
         "300 (ease), 0.001 (ials)"},
        {"weights", 0, CLI_STR, &weights, "W1,..,W5",
         "weight of a rating at the min, 1/4, 1/2, 3/4 and max of the scale (EASE, when scoring: low ratings "
         "negative push similar books down; iALS: >= 0, 0 leaves a rating out)", "-0.5,-0.2,0.2,0.7,1 / 0,0,0.5,1,1"},
        {"fit-weights", 0, CLI_STR, &fit_weights, "W1,..,W5", "EASE: weight of a rating in the fitted matrix X",
         "1,1,1,1,1"},
        {"prior", 0, CLI_FLOAT, &prior, "X", "EASE: weight of the popularity tie-break (<0: none)", "0.001"},
        {"epochs", 0, CLI_INT, &o.ials.iters, "N", "iALS: alternating epochs", "16"},
        {"alpha", 0, CLI_FLOAT, &alpha, "X", "iALS: confidence 1 + alpha w(r) of a rated book", "10"},
        {"threads", 0, CLI_INT, &threads, "N", "iALS: threads (the model does not depend on them)", NULL},
        {"held-out", 0, CLI_INT, &o.held_out, "N",
         "readers with >= 20 ratings held out of the fit for the match calibration and the printed figures", NULL},
        {"split-seed", 0, CLI_U64, &o.split_seed, "N",
         "seed choosing the held-out readers (not bookrec eval's, whose test readers it should not see)", NULL},
        {"force-ease", 0, CLI_FLAG, &force, NULL, "EASE even past 30,000 books (it needs books^2 x 4 bytes)", NULL},
        {"curve", 0, CLI_STR, &curve, "K,K,...",
         "EASE, instead of writing a model: the held-out readers' HR/NDCG@10 and the book side's size for each K",
         NULL},
        {"out", 'o', CLI_STR, &out, "FILE", "model file to write (history .json goes beside it)",
         "<project>/models/model.bkr"},
    };
    cli_parse("train", "bookrec train --arch ease|ials [OPTIONS]", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    bookrec_arch which;
    if (bookrec_arch_parse(arch, &which) || (which != BOOKREC_ARCH_EASE && which != BOOKREC_ARCH_IALS))
        cli_usage_die("train", "--arch %s is not a top-N model (expected %s or %s)", arch,
                      bookrec_arch_name(BOOKREC_ARCH_EASE), bookrec_arch_name(BOOKREC_ARCH_IALS));
    o.ease.lambda = o.ials.lambda = lambda;
    o.ease.prior = prior;
    o.ials.alpha = alpha;
    float *w = which == BOOKREC_ARCH_IALS ? o.ials.rating_weight : o.ease.score_weight;
    if (weights && bookrec_parse_weights(weights, w, NULL))
        cli_usage_die("train", "--weights expects 5 numbers separated by commas, got '%s'", weights);
    if (fit_weights && bookrec_parse_weights(fit_weights, o.ease.fit_weight, NULL))
        cli_usage_die("train", "--fit-weights expects 5 numbers separated by commas, got '%s'", fit_weights);
    if (o.held_out < 1 || o.held_out > 100000) cli_usage_die("train", "--held-out must be in 1..100000");
    if (o.ials.iters < 0 || threads < 1 || threads > 256) cli_usage_die("train", "--epochs >= 0, --threads in 1..256");
    if (curve && which == BOOKREC_ARCH_IALS) cli_usage_die("train", "--curve is for EASE");

    bookrec_ratings *r = cli_load_ratings(&d, NULL, NULL);
    int n_users = bookrec_ids_count(r->users), n_items = bookrec_ids_count(r->items);
    o.arch = bookrec_topn_arch_for(which, n_items, force);
    if (o.arch != which) {
        fprintf(stderr, "%d %s: EASE would need a %d x %d matrix (%.1f GB); training iALS instead (--force-ease to "
                "insist)\n", n_items, cli_noun(1), n_items, n_items, (double)n_items * n_items * 4 / 1e9);
        if (weights) cli_usage_die("train", "--weights were given for EASE; give iALS's (>= 0) or --force-ease");
    }
    int ials = o.arch == BOOKREC_ARCH_IALS, max_dim = ials ? BOOKREC_IALS_MAX_DIM : (n_items < 1024 ? n_items : 1024);
    if (o.dim == 0) o.dim = ials ? BOOKREC_IALS_DIM : BOOKREC_EASE_K;
    if (!ials && o.dim > n_items) o.dim = n_items;
    if (o.dim < 1 || o.dim > max_dim) cli_usage_die("train", "--dim must be in 1..%d", max_dim);
    char b1[32], b2[32], b3[32];
    fprintf(stderr, "read %s: %s ratings, %s users, %s %s\n", cli_ratings_path(&d), cli_group(r->all.n, b1),
            cli_group((size_t)n_users, b2), cli_group((size_t)n_items, b3), cli_noun(1));

    int *ks = curve ? parse_curve(curve, n_items, &o.n_curve) : NULL;
    o.curve = ks;
    topn_clock clock = {curve != NULL, 0, 0};
    o.progress = on_progress;
    o.progress_ctx = &clock;
    cli_runner *runner = ials && threads > 1 ? cli_runner_start(threads) : NULL;
    o.ials.n_tasks = runner ? threads : 1;
    o.ials.parallel = runner ? cli_runner_parallel : NULL;
    o.ials.parallel_ctx = runner;
    bookrec_model *m = NULL;
    bookrec_topn_result res;
    bookrec_error err = {0};
    int st = bookrec_topn_train(r, &o, curve ? NULL : &m, &res, &err);
    cli_runner_stop(runner);
    cli_check(st, &err, res.step);
    free(ks);
    if (m) {
        print_reliability(&res);
        size_t n_bytes = cli_save_model_or_die(out, m, NULL);
        char *hist_path = cli_write_topn_history(out, m, &o, r, &res, clock.seconds, n_bytes);
        printf("held-out new readers (%d, folded in from 10 ratings each): HR@10 %.4f NDCG@10 %.4f\n",
               res.ranking.n_users, res.ranking.hr, res.ranking.ndcg);
        if (res.calibrated)
            printf("match calibration: a score of %.3f reads as %.0f%%, %.3f as %.0f%%\n", 0.1,
                   100 * bookrec_model_match(m, 0.1f), 0.5, 100 * bookrec_model_match(m, 0.5f));
        printf("%s fit %.2f s\n", ials ? "iALS" : "EASE", clock.seconds);
        printf("wrote %s (%s)\n      %s\n", out, cli_bytes((long long)n_bytes, b1), hist_path);
        free(hist_path);
        bookrec_model_free(m);
    }
    bookrec_ratings_free(r);
    return 0;
}
