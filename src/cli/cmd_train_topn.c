/*
 * cmd_train_topn.c - `bookrec train --arch ease|ials`: fits a top-N model for ranking books for a reader. It holds
 * a few hundred readers out (as new readers: folded in from 10 of their ratings), fits EASE or iALS on everyone else's
 * ratings, fits the match calibration on half of the held-out readers and shows how it holds on the other half,
 * reports their HR/NDCG@10 (those readers never entered the fit), then writes the model file and a history JSON.
 * Flags, printing and files only: the fit, the split and the calibration are the core's.
 */
#include "eval_rank.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Past this many books `--arch ease` trains iALS instead (EASE's items^2 floats: 3.6 GB at 30,000). */
#define EASE_MAX_ITEMS 30000

/* Parses "a,b,c,d,e" into 5 weights; returns 0 or -1. */
static int parse_weights(const char *s, float w[BOOKREC_WEIGHT_KNOTS]) {
    char *end;
    for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) {
        w[k] = strtof(s, &end);
        if (end == s || !isfinite(w[k])) return -1;
        s = end;
        if (k < BOOKREC_WEIGHT_KNOTS - 1) {
            if (*s != ',') return -1;
            s++;
        }
    }
    return *s ? -1 : 0;
}

/* Scorer for the held-out readers' report: the model's own fold-in. */
static bookrec_rank_result held_out_ranking(bookrec_model *m, const bookrec_ratings *r, const bookrec_triples *fold,
                                            const bookrec_triples *target) {
    bookrec_model_scorer sc = {m, {0}};
    bookrec_rank_options ro = {0};
    ro.min_rating = r->min_rating;
    ro.max_rating = r->max_rating;
    bookrec_rank_result res = {0};
    bookrec_error err = {0};
    cli_check(bookrec_rank_evaluate_new(bookrec_ids_count(r->users), bookrec_ids_count(r->items), fold, target,
                                        bookrec_score_model, &sc, &ro, &res, &err),
              &err, "ranking the held-out readers");
    return res;
}

/* --curve: one dense solve, then for each K the held-out readers' NDCG@10 and the exported book side's size. */
static void k_curve(const char *list, const bookrec_model_config *base, const bookrec_ratings *r,
                    const bookrec_triples *fit, const bookrec_triples *fold, const bookrec_triples *target,
                    const bookrec_ease_options *eo) {
    size_t N = (size_t)base->n_items;
    float *B = malloc(N * N * sizeof *B);
    if (!B) cli_die("out of memory for the %zu x %zu matrix", N, N);
    bookrec_error err = {0};
    double t = cli_now();
    cli_check(bookrec_ease_dense(fit, base->n_items, base->min_rating, base->max_rating, eo, B, &err), &err, "EASE");
    fprintf(stderr, "dense EASE solve %.2f s\n", cli_now() - t);
    printf("%6s  %8s  %8s  %12s\n", "K", "HR@10", "NDCG@10", "items part");
    for (const char *p = list; *p;) {
        char *end;
        long K = strtol(p, &end, 10);
        if (end == p || K < 1 || K > (long)N || K > 1024) cli_usage_die("train", "--curve: bad K in '%s'", list);
        bookrec_model_config cfg = *base;
        cfg.dim = (int)K;
        bookrec_model *m = NULL;
        cli_check(bookrec_model_create(&cfg, &m, &err), &err, "model");
        cli_check(bookrec_ease_fit_from(m, B, fit, NULL, eo, &err), &err, "EASE");
        bookrec_rank_result res = held_out_ranking(m, r, fold, target);
        uint8_t *bytes = NULL;
        size_t nb = 0;
        bookrec_save_options so = {BOOKREC_PART_ITEMS, BOOKREC_Q8};
        cli_check(bookrec_model_save(m, &so, &bytes, &nb, &err), &err, "save");
        char b1[32];
        printf("%6ld  %8.4f  %8.4f  %12s\n", K, res.hr, res.ndcg, cli_bytes((long long)nb, b1));
        fflush(stdout);
        bookrec_free(bytes);
        bookrec_model_free(m);
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') cli_usage_die("train", "--curve expects K,K,... got '%s'", list);
    }
    free(B);
}

/* The settings of one top-N fit, from the flags. */
typedef struct topn_flags {
    int ials, dim, epochs, threads;
    bookrec_ease_options eo;
    bookrec_ials_options io;
} topn_flags;

/* Fits the model the flags name on `fit` (EASE: the readers' part from `all`); returns it and its seconds. */
static bookrec_model *fit_model(const topn_flags *f, const bookrec_ratings *r, const bookrec_triples *fit,
                                double *seconds) {
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = f->ials ? BOOKREC_ARCH_IALS : BOOKREC_ARCH_EASE;
    cfg.n_users = bookrec_ids_count(r->users);
    cfg.n_items = bookrec_ids_count(r->items);
    cfg.dim = f->dim;
    cfg.hidden = 0;
    cfg.min_rating = r->min_rating;
    cfg.max_rating = r->max_rating;
    /* EASE: B from everyone but the held-out readers; the readers' part holds every rating, so that held-out
       readers are ranked from all they read like every other dataset reader */
    cfg.n_entries = f->ials ? 0 : (int64_t)r->all.n;
    bookrec_model *m = NULL;
    bookrec_error err = {0};
    cli_check(bookrec_model_create(&cfg, &m, &err), &err, "model");
    cli_check(bookrec_model_set_ids(m, r->users, r->items, &err), &err, "model ids");
    double t = cli_now();
    if (f->ials) {
        cli_runner *runner = f->threads > 1 ? cli_runner_start(f->threads) : NULL;
        bookrec_ials_options io = f->io;
        io.n_tasks = runner ? f->threads : 1;
        io.parallel = runner ? cli_runner_parallel : NULL;
        io.parallel_ctx = runner;
        int st = bookrec_ials_fit_model(m, fit, &io, &err);
        cli_runner_stop(runner);
        cli_check(st, &err, "iALS");
    } else {
        size_t N = (size_t)cfg.n_items;
        float *B = malloc(N * N * sizeof *B);
        if (!B) cli_die("out of memory for the %zu x %zu matrix (%zu MB)", N, N, N * N * sizeof *B >> 20);
        cli_check(bookrec_ease_dense(fit, cfg.n_items, r->min_rating, r->max_rating, &f->eo, B, &err), &err, "EASE");
        cli_check(bookrec_ease_fit_from(m, B, fit, &r->all, &f->eo, &err), &err, "EASE");
        free(B);
    }
    *seconds = cli_now() - t;
    return m;
}

/* Splits the held-out readers' triples by the parity of the reader index: even readers into *a, odd into *b. */
static void split_readers(const bookrec_triples *t, bookrec_triples *a, bookrec_triples *b) {
    size_t na = 0;
    for (size_t e = 0; e < t->n; e++) na += (t->user[e] & 1) == 0;
    if (bookrec_triples_alloc(a, na) || bookrec_triples_alloc(b, t->n - na)) cli_die("out of memory");
    a->n = b->n = 0;
    for (size_t e = 0; e < t->n; e++) {
        bookrec_triples *o = (t->user[e] & 1) == 0 ? a : b;
        o->user[o->n] = t->user[e];
        o->item[o->n] = t->item[e];
        o->rating[o->n++] = t->rating[e];
    }
}

/* Calibrates the match on half of the held-out readers and prints how it holds on the other half. */
static int calibrate_and_check(bookrec_model *m, const bookrec_ratings *r, const bookrec_triples *fold,
                               const bookrec_triples *target, cJSON **reliability) {
    bookrec_triples fa = {0}, fb = {0}, ta = {0}, tb = {0};
    split_readers(fold, &fa, &fb);
    split_readers(target, &ta, &tb);
    bookrec_error err = {0};
    float thr = bookrec_relevance_threshold(r->min_rating, r->max_rating);
    int ok = bookrec_model_calibrate(m, &fa, &ta, thr, &err) == BOOKREC_OK;
    if (!ok) cli_warn("no match calibration (%s); the site will show scores only", err.msg);
    enum { BINS = 10 };
    int count[BINS];
    double mean[BINS], seen[BINS];
    if (ok && bookrec_model_reliability(m, &fb, &tb, thr, BINS, count, mean, seen, &err) == BOOKREC_OK) {
        *reliability = cJSON_CreateArray();
        printf("match on the other half of the held-out readers (top 50 books each): shown -> rated %g+\n", (double)thr);
        for (int b = 0; b < BINS; b++) {
            if (!count[b]) continue;
            printf("  %3d-%3d%%  %6d books  shown %5.1f%%  rated %g+ %5.1f%%\n", 100 * b / BINS, 100 * (b + 1) / BINS,
                   count[b], 100 * mean[b], (double)thr, 100 * seen[b]);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "books", count[b]);
            cJSON_AddNumberToObject(o, "mean_match", mean[b]);
            cJSON_AddNumberToObject(o, "observed", seen[b]);
            cJSON_AddItemToArray(*reliability, o);
        }
    }
    bookrec_triples_free(&fa);
    bookrec_triples_free(&fb);
    bookrec_triples_free(&ta);
    bookrec_triples_free(&tb);
    return ok;
}

/* Writes the history JSON beside the model. */
static char *write_history(const char *out, bookrec_model *m, const topn_flags *f, const bookrec_ratings *r,
                           int n_held, const bookrec_rank_result *res, double t_fit, size_t n_bytes, int calibrated,
                           cJSON *reliability) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "bookrec_version", BOOKREC_VERSION_STRING);
    cJSON_AddStringToObject(root, "model_file", out);
    cli_json_model_shape(cJSON_AddObjectToObject(root, "config"), bookrec_model_get_config(m));
    cJSON *jo = cJSON_AddObjectToObject(root, "options");
    if (f->ials) {
        cJSON_AddNumberToObject(jo, "epochs", f->epochs);
        cJSON_AddNumberToObject(jo, "alpha", cli_f32(f->io.alpha ? f->io.alpha : 10.0f));
        cJSON_AddNumberToObject(jo, "lambda", cli_f32(f->io.lambda ? f->io.lambda : 1e-3f));
    } else {
        cJSON_AddNumberToObject(jo, "lambda", cli_f32(f->eo.lambda ? f->eo.lambda : 300.0f));
    }
    cJSON *jw = cJSON_AddArrayToObject(jo, "rating_weights");
    for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) {
        float rk = r->min_rating + (r->max_rating - r->min_rating) * (float)k / (BOOKREC_WEIGHT_KNOTS - 1);
        cJSON_AddItemToArray(jw, cJSON_CreateNumber(cli_f32(bookrec_model_rating_weight(m, rk))));
    }
    cJSON *jf = cJSON_AddObjectToObject(root, "final");
    cJSON_AddNumberToObject(jf, "held_out_readers", n_held);
    cJSON_AddNumberToObject(jf, "new_reader_hr10", res->hr);
    cJSON_AddNumberToObject(jf, "new_reader_ndcg10", res->ndcg);
    cJSON_AddNumberToObject(jf, "fit_seconds", t_fit);
    cJSON_AddNumberToObject(jf, "model_bytes", (double)n_bytes);
    cJSON_AddBoolToObject(jf, "calibrated", calibrated);
    if (reliability) cJSON_AddItemToObject(jf, "match_reliability", reliability);
    char *json = cJSON_Print(root);
    cJSON_Delete(root);
    if (!json) cli_die("out of memory");
    char *hist_path = cli_history_path(out);
    cli_write_atomic_or_die(hist_path, json, strlen(json));
    free(json);
    return hist_path;
}

/* `bookrec train --arch ease|ials` (called by cmd_train when it sees a top-N arch). */
int cmd_train_topn(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *arch = "ease", *out = cli_default_model(), *weights = NULL, *fit_weights = NULL, *curve = NULL;
    int held = 500, force = 0;
    float lambda = 0.0f, prior = 0.0f, alpha = 0.0f;
    uint64_t split_seed = 7;
    topn_flags f = {0};
    f.threads = cli_default_threads();
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"arch", 0, CLI_STR, &arch, "ease|ials",
         "top-N model: EASE, item-item (what npm start ships), or iALS factors (for catalogues too large for EASE)",
         "ease"},
        {"dim", 0, CLI_INT, &f.dim, "N", "EASE: entries kept per row of B (the book side grows with it); iALS: factors",
         "24 (ease), 64 (ials)"},
        {"lambda", 0, CLI_FLOAT, &lambda, "X", "L2 (chosen on validation readers, docs/models.md)",
         "300 (ease), 0.001 (ials)"},
        {"weights", 0, CLI_STR, &weights, "W1,..,W5",
         "weight of a rating at the min, 1/4, 1/2, 3/4 and max of the scale (EASE, when scoring: low ratings "
         "negative push similar books down; iALS: >= 0, 0 leaves a rating out)", "-0.5,-0.2,0.2,0.7,1 / 0,0,0.5,1,1"},
        {"fit-weights", 0, CLI_STR, &fit_weights, "W1,..,W5", "EASE: weight of a rating in the fitted matrix X",
         "1,1,1,1,1"},
        {"prior", 0, CLI_FLOAT, &prior, "X", "EASE: weight of the popularity tie-break (<0: none)", "0.001"},
        {"epochs", 0, CLI_INT, &f.epochs, "N", "iALS: alternating epochs", "16"},
        {"alpha", 0, CLI_FLOAT, &alpha, "X", "iALS: confidence 1 + alpha w(r) of a rated book", "10"},
        {"threads", 0, CLI_INT, &f.threads, "N", "iALS: threads (the model does not depend on them)", NULL},
        {"held-out", 0, CLI_INT, &held, "N",
         "readers with >= 20 ratings held out of the fit for the match calibration and the printed figures", NULL},
        {"split-seed", 0, CLI_U64, &split_seed, "N",
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
    f.ials = which == BOOKREC_ARCH_IALS;
    f.eo.lambda = lambda;
    f.eo.prior = prior;
    f.io.lambda = lambda;
    f.io.alpha = alpha;
    f.io.iters = f.epochs;
    float *w = f.ials ? f.io.rating_weight : f.eo.score_weight;
    if (weights && parse_weights(weights, w))
        cli_usage_die("train", "--weights expects 5 numbers separated by commas, got '%s'", weights);
    if (fit_weights && parse_weights(fit_weights, f.eo.fit_weight))
        cli_usage_die("train", "--fit-weights expects 5 numbers separated by commas, got '%s'", fit_weights);
    if (held < 1 || held > 100000) cli_usage_die("train", "--held-out must be in 1..100000");
    if (f.epochs < 0 || f.threads < 1 || f.threads > 256) cli_usage_die("train", "--epochs >= 0, --threads in 1..256");
    if (curve && f.ials) cli_usage_die("train", "--curve is for EASE");

    bookrec_ratings *r = cli_load_ratings(&d, NULL, NULL);
    int n_users = bookrec_ids_count(r->users), n_items = bookrec_ids_count(r->items);
    if (!f.ials && n_items > EASE_MAX_ITEMS && !force) {
        /* EASE holds an items x items matrix: past this size it no longer fits a machine like this one */
        fprintf(stderr, "%d %s: EASE would need a %d x %d matrix (%.1f GB); training iALS instead (--force-ease to "
                "insist)\n", n_items, cli_noun(1), n_items, n_items, (double)n_items * n_items * 4 / 1e9);
        f.ials = 1;
        arch = bookrec_arch_name(BOOKREC_ARCH_IALS);
        if (weights) cli_usage_die("train", "--weights were given for EASE; give iALS's (>= 0) or --force-ease");
    }
    int max_dim = f.ials ? BOOKREC_IALS_MAX_DIM : (n_items < 1024 ? n_items : 1024);
    if (f.dim == 0) f.dim = f.ials ? BOOKREC_IALS_DIM : BOOKREC_EASE_K;
    if (!f.ials && f.dim > n_items) f.dim = n_items;
    if (f.dim < 1 || f.dim > max_dim) cli_usage_die("train", "--dim must be in 1..%d", max_dim);
    char g1[32], g2[32], g3[32];
    fprintf(stderr, "read %s: %s ratings, %s users, %s %s\n", cli_ratings_path(&d), cli_group(r->all.n, g1),
            cli_group((size_t)n_users, g2), cli_group((size_t)n_items, g3), cli_noun(1));

    bookrec_error err = {0};
    bookrec_newreader_options no = {0};
    no.n_readers = held;
    no.seed = split_seed;
    bookrec_triples fit = {0}, fold = {0}, target = {0};
    int n_held = 0;
    cli_check(bookrec_split_new_readers(&r->all, n_users, &no, &fit, &fold, &target, &n_held, &err), &err,
              "holding readers out");
    if (curve) {
        bookrec_model_config cfg;
        bookrec_model_config_default(&cfg);
        cfg.arch = BOOKREC_ARCH_EASE;
        cfg.n_users = n_users;
        cfg.n_items = n_items;
        cfg.hidden = 0;
        cfg.min_rating = r->min_rating;
        cfg.max_rating = r->max_rating;
        cfg.n_entries = (int64_t)fit.n;
        k_curve(curve, &cfg, r, &fit, &fold, &target, &f.eo);
    } else {
        fprintf(stderr, "fitting %s on %s ratings (%d readers held out), dim %d\n", arch, cli_group(fit.n, g1), n_held,
                f.dim);
        double t_fit = 0;
        bookrec_model *m = fit_model(&f, r, &fit, &t_fit);
        cJSON *reliability = NULL;
        int calibrated = calibrate_and_check(m, r, &fold, &target, &reliability);
        bookrec_rank_result res = held_out_ranking(m, r, &fold, &target);
        uint8_t *bytes = NULL;
        size_t n_bytes = 0;
        bookrec_save_options so = {0};
        cli_check(bookrec_model_save(m, &so, &bytes, &n_bytes, &err), &err, "save");
        cli_write_atomic_or_die(out, bytes, n_bytes);
        bookrec_free(bytes);
        char *hist_path = write_history(out, m, &f, r, n_held, &res, t_fit, n_bytes, calibrated, reliability);
        char b1[32];
        printf("held-out new readers (%d, folded in from 10 ratings each): HR@10 %.4f NDCG@10 %.4f\n", res.n_users,
               res.hr, res.ndcg);
        if (calibrated)
            printf("match calibration: a score of %.3f reads as %.0f%%, %.3f as %.0f%%\n", 0.1,
                   100 * bookrec_model_match(m, 0.1f), 0.5, 100 * bookrec_model_match(m, 0.5f));
        printf("%s fit %.2f s\n", f.ials ? "iALS" : "EASE", t_fit);
        printf("wrote %s (%s)\n      %s\n", out, cli_bytes((long long)n_bytes, b1), hist_path);
        free(hist_path);
        bookrec_model_free(m);
    }
    bookrec_triples_free(&fit);
    bookrec_triples_free(&fold);
    bookrec_triples_free(&target);
    bookrec_ratings_free(r);
    return 0;
}
