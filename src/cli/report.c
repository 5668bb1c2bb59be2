/*
 * report.c - what `bookrec train` writes beside the model: its training history as JSON (config, options, split,
 * data statistics, per-epoch figures and timings, final figures) and the loss curves as an SVG picture (per-epoch
 * train and test MSE with axes, ticks and a legend), both from the core's training run (bookrec_train_run), and the
 * history of a top-N fit (`train --arch ease|ials`: its options, held-out readers' figures and match reliability,
 * from bookrec_topn_train's result). Not here: training (the core) and the progress lines (cmd_train.c,
 * cmd_train_topn.c); the files are written atomically only after the model was.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ SVG loss curves */

static double nice_step(double range, int target) {
    double raw = range / target, mag = pow(10, floor(log10(raw))), r = raw / mag;
    double step = r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10;
    return step * mag;
}

/* Writes the per-epoch train and test MSE as an SVG line chart (axes, ticks, labels, legend). */
static char *loss_svg(const bookrec_epoch_stats *h, int n, const char *title) {
    const int W = 720, H = 440, L = 80, R = 30, T = 50, B = 60;
    double ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < n; i++) {
        double v[2] = {h[i].train_mse, h[i].test_mse};
        for (int k = 0; k < 2; k++)
            if (isfinite(v[k])) {
                if (v[k] < ymin) ymin = v[k];
                if (v[k] > ymax) ymax = v[k];
            }
    }
    if (!isfinite(ymin)) ymin = 0, ymax = 1;
    if (ymax - ymin < 1e-6) ymin -= 0.05, ymax += 0.05;
    double pad = (ymax - ymin) * 0.08;
    ymin -= pad;
    ymax += pad;
    double step = nice_step(ymax - ymin, 6);
    ymin = floor(ymin / step) * step;
    ymax = ceil(ymax / step) * step;
    double x0 = n > 1 ? 1 : 0.5, x1 = n > 1 ? n : 1.5;
    int pw = W - L - R, ph = H - T - B;
#define PX(x) (L + ((x) - x0) / (x1 - x0) * pw)
#define PY(y) (T + (ymax - (y)) / (ymax - ymin) * ph)
    size_t cap = 65536 + (size_t)n * 400;
    char *s = malloc(cap);
    if (!s) cli_die("out of memory");
    size_t o = 0;
#define OUT(...) (o += (size_t)snprintf(s + o, cap - o, __VA_ARGS__), o = o < cap ? o : cap - 1)
    OUT("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
        "font-family=\"sans-serif\" font-size=\"13\">\n",
        W, H, W, H);
    OUT("<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    OUT("<text x=\"%d\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">%s</text>\n", W / 2, title);
    /* grid and y ticks */
    for (double y = ymin; y <= ymax + step * 0.5; y += step) {
        double py = PY(y);
        OUT("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", L, py, W - R, py);
        OUT("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">%.*f</text>\n", L - 8, py,
            step < 0.01 ? 3 : step < 0.1 ? 2 : 1, y);
    }
    /* x ticks: every epoch, or about 10 of them */
    int xs = n > 12 ? (int)ceil(n / 10.0) : 1;
    for (int e = 1; e <= (n > 0 ? n : 1); e += xs) {
        double px = PX((double)e);
        OUT("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n", px, H - B, px, H - B + 5);
        OUT("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", px, H - B + 20, e);
    }
    /* axes */
    OUT("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", L, T, L, H - B);
    OUT("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", L, H - B, W - R, H - B);
    OUT("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>\n", L + pw / 2, H - 18);
    OUT("<text x=\"20\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 20 %d)\">loss (MSE)</text>\n",
        T + ph / 2, T + ph / 2);
    /* lines */
    const char *color[2] = {"#1f77b4", "#ff7f0e"};
    const char *name[2] = {"train", "test"};
    for (int k = 0; k < 2; k++) {
        OUT("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color[k]);
        for (int i = 0; i < n; i++) {
            double v = k == 0 ? h[i].train_mse : h[i].test_mse;
            if (isfinite(v)) OUT("%.1f,%.1f ", PX((double)(i + 1)), PY(v));
        }
        OUT("\"/>\n");
        for (int i = 0; i < n; i++) {
            double v = k == 0 ? h[i].train_mse : h[i].test_mse;
            if (isfinite(v))
                OUT("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s epoch %d: %.4f</title></circle>\n",
                    PX((double)(i + 1)), PY(v), color[k], name[k], i + 1, v);
        }
    }
    /* legend */
    OUT("<rect x=\"%d\" y=\"%d\" width=\"120\" height=\"50\" fill=\"#ffffff\" stroke=\"#999\"/>\n", W - R - 130, T + 10);
    for (int k = 0; k < 2; k++) {
        int y = T + 28 + k * 20;
        OUT("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>\n", W - R - 120, y,
            W - R - 95, y, color[k]);
        OUT("<text x=\"%d\" y=\"%d\" dominant-baseline=\"middle\">%s loss</text>\n", W - R - 88, y, name[k]);
    }
    OUT("</svg>\n");
#undef OUT
#undef PX
#undef PY
    return s;
}

/* ------------------------------------------------------------------ history JSON */

static void add_epoch(cJSON *arr, const bookrec_epoch_stats *e) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "epoch", e->epoch);
    cJSON_AddNumberToObject(o, "train_mse", e->train_mse);
    cJSON_AddNumberToObject(o, "train_rmse", e->train_rmse);
    cJSON_AddNumberToObject(o, "train_mae", e->train_mae);
    cJSON_AddNumberToObject(o, "test_mse", e->test_mse);
    cJSON_AddNumberToObject(o, "test_rmse", e->test_rmse);
    cJSON_AddNumberToObject(o, "test_mae", e->test_mae);
    cJSON_AddNumberToObject(o, "seconds", e->seconds);
    cJSON_AddItemToArray(arr, o);
}

/* ------------------------------------------------------------------ the report */

static void add_options(cJSON *root, const cli_train_report *t) {
    const bookrec_train_options *to = t->to;
    cJSON *jo = cJSON_AddObjectToObject(root, "options");
    cJSON_AddNumberToObject(jo, "epochs", to->epochs);
    cJSON_AddNumberToObject(jo, "batch", to->batch);
    cJSON_AddNumberToObject(jo, "lr", cli_f32(to->lr));
    cJSON_AddNumberToObject(jo, "beta1", cli_f32(to->beta1));
    cJSON_AddNumberToObject(jo, "beta2", cli_f32(to->beta2));
    cJSON_AddNumberToObject(jo, "eps", cli_f32(to->eps));
    cJSON_AddNumberToObject(jo, "l2", cli_f32(to->l2));
    cJSON_AddNumberToObject(jo, "l2_dense", cli_f32(to->l2_dense));
    cJSON_AddNumberToObject(jo, "l2_row", cli_f32(to->l2_row));
    cJSON_AddBoolToObject(jo, "group_users", to->group_users);
    if (t->to_read) cJSON_AddStringToObject(jo, "to_read", t->to_read);
    cJSON_AddNumberToObject(jo, "to_read_pairs", (double)t->run->to_read_added);
    if (t->tags) cJSON_AddStringToObject(jo, "tags", t->tags);
    cJSON_AddNumberToObject(jo, "n_tags", t->n_tags);
    cJSON_AddBoolToObject(jo, "lazy_adam", to->lazy_adam);
    if (to->reader_lr > 0.0f) cJSON_AddNumberToObject(jo, "reader_lr", cli_f32(to->reader_lr)); /* row-wise Adagrad */
    cJSON_AddNumberToObject(jo, "patience", to->patience);
    cJSON_AddNumberToObject(jo, "seed", (double)to->seed);
    cJSON_AddNumberToObject(jo, "threads", to->n_tasks);
}

static void add_split_data(cJSON *root, const cli_train_report *t) {
    int early = t->to->patience > 0;
    cJSON *js = cJSON_AddObjectToObject(root, "split");
    cJSON_AddNumberToObject(js, "seed", (double)t->split_seed);
    char seedtxt[32];
    snprintf(seedtxt, sizeof seedtxt, "%llu", (unsigned long long)t->split_seed);
    cJSON_AddStringToObject(js, "seed_text", seedtxt);
    cJSON_AddNumberToObject(js, "test_fraction", t->test_fraction);
    cJSON_AddNumberToObject(js, "train", (double)t->run->n_fit);
    cJSON_AddNumberToObject(js, "valid", early ? (double)t->run->n_valid : 0);
    cJSON_AddNumberToObject(js, "test", (double)t->run->n_test);
    cJSON_AddStringToObject(js, "validation", early ? "carved from training" : "test part (as the tutorial)");
    const bookrec_ratings *r = t->r;
    cJSON *jd = cJSON_AddObjectToObject(root, "data");
    cJSON_AddStringToObject(jd, "ratings", t->ratings_path);
    cJSON_AddNumberToObject(jd, "rows_read", (double)r->rows_read);
    cJSON_AddNumberToObject(jd, "rows_skipped", (double)r->rows_skipped);
    cJSON_AddNumberToObject(jd, "ratings", (double)t->run->n_ratings);
    cJSON_AddNumberToObject(jd, "users", bookrec_ids_count(r->users));
    cJSON_AddNumberToObject(jd, "books", bookrec_ids_count(r->items));
    cJSON_AddNumberToObject(jd, "duplicates", (double)r->duplicates);
    cJSON_AddNumberToObject(jd, "conflicting", (double)r->conflicting);
    cJSON_AddNumberToObject(jd, "min_rating", r->min_rating);
    cJSON_AddNumberToObject(jd, "max_rating", r->max_rating);
}

void cli_write_train_report(const cli_train_report *t, const char *hist_path, const char *svg_path) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "bookrec_version", BOOKREC_VERSION_STRING);
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(root, "created", when);
    cJSON_AddStringToObject(root, "model_file", t->out);
    cJSON_AddStringToObject(root, "kernels", bookrec_kernel_name());
    const bookrec_model_config *mc = bookrec_model_get_config(t->run->model);
    const bookrec_train_run *run = t->run;
    cJSON *jc = cJSON_AddObjectToObject(root, "config");
    cli_json_model_shape(jc, mc);
    cJSON_AddNumberToObject(jc, "init_scale", cli_f32(mc->init_scale));
    cJSON_AddNumberToObject(jc, "min_rating", cli_f32(mc->min_rating));
    cJSON_AddNumberToObject(jc, "max_rating", cli_f32(mc->max_rating));
    cJSON_AddNumberToObject(jc, "seed", (double)mc->seed);
    add_options(root, t);
    add_split_data(root, t);
    cJSON *jt = cJSON_AddObjectToObject(root, "timings");
    cJSON_AddNumberToObject(jt, "read_seconds", t->read_s);
    cJSON_AddNumberToObject(jt, "parse_seconds", t->parse_s);
    cJSON_AddNumberToObject(jt, "split_seconds", t->split_s);
    cJSON_AddNumberToObject(jt, "train_seconds", t->train_s);
    cJSON_AddNumberToObject(jt, "save_seconds", t->save_s);
    cJSON *je = cJSON_AddArrayToObject(root, "epochs");
    for (int i = 0; i < run->n_history; i++) add_epoch(je, &run->history[i]);
    cJSON *jf = cJSON_AddObjectToObject(root, "final");
    cJSON_AddNumberToObject(jf, "test_mse", run->test_mse);
    cJSON_AddNumberToObject(jf, "test_rmse", sqrt(run->test_mse));
    cJSON_AddNumberToObject(jf, "test_mae", run->test_mae);
    cJSON_AddNumberToObject(jf, "epochs_run", run->n_history);
    cJSON_AddNumberToObject(jf, "best_epoch", run->best_epoch);
    cJSON_AddNumberToObject(jf, "model_bytes", (double)t->model_bytes);
    if (t->rank) {
        cJSON_AddNumberToObject(jf, "ndcg10", run->users.ndcg);
        cJSON_AddNumberToObject(jf, "ndcg10_popularity", run->users.pop_ndcg);
        cJSON_AddNumberToObject(jf, "new_reader_ndcg10", run->new_readers.ndcg);
        cJSON_AddNumberToObject(jf, "new_reader_ndcg10_popularity", run->new_readers.pop_ndcg);
    }
    cli_write_json_or_die(hist_path, root);

    char *title = cli_fmt("bookrec %s: training and test loss per epoch", bookrec_arch_name(mc->arch));
    char *svg = loss_svg(run->history, run->n_history, title);
    cli_write_atomic_or_die(svg_path, svg, strlen(svg));
    free(svg);
    free(title);
}

char *cli_write_topn_history(const char *out, bookrec_model *m, const bookrec_topn_options *o,
                             const bookrec_ratings *r, const bookrec_topn_result *res, double t_fit, size_t n_bytes) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "bookrec_version", BOOKREC_VERSION_STRING);
    cJSON_AddStringToObject(root, "model_file", out);
    cli_json_model_shape(cJSON_AddObjectToObject(root, "config"), bookrec_model_get_config(m));
    cJSON *jo = cJSON_AddObjectToObject(root, "options");
    if (res->arch == BOOKREC_ARCH_IALS) {
        cJSON_AddNumberToObject(jo, "epochs", o->ials.iters);
        cJSON_AddNumberToObject(jo, "alpha", cli_f32(o->ials.alpha ? o->ials.alpha : 10.0f));
        cJSON_AddNumberToObject(jo, "lambda", cli_f32(o->ials.lambda ? o->ials.lambda : 1e-3f));
    } else {
        cJSON_AddNumberToObject(jo, "lambda", cli_f32(o->ease.lambda ? o->ease.lambda : 300.0f));
    }
    cJSON *jw = cJSON_AddArrayToObject(jo, "rating_weights");
    for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) {
        float rk = r->min_rating + (r->max_rating - r->min_rating) * (float)k / (BOOKREC_WEIGHT_KNOTS - 1);
        cJSON_AddItemToArray(jw, cJSON_CreateNumber(cli_f32(bookrec_model_rating_weight(m, rk))));
    }
    cJSON *jf = cJSON_AddObjectToObject(root, "final");
    cJSON_AddNumberToObject(jf, "held_out_readers", res->n_held);
    cJSON_AddNumberToObject(jf, "new_reader_hr10", res->ranking.hr);
    cJSON_AddNumberToObject(jf, "new_reader_ndcg10", res->ranking.ndcg);
    cJSON_AddNumberToObject(jf, "fit_seconds", t_fit);
    cJSON_AddNumberToObject(jf, "model_bytes", (double)n_bytes);
    cJSON_AddBoolToObject(jf, "calibrated", res->calibrated);
    cJSON *bins = res->reliability ? cJSON_AddArrayToObject(jf, "match_reliability") : NULL;
    for (int b = 0; bins && b < BOOKREC_TOPN_BINS; b++) {
        if (!res->count[b]) continue;
        cJSON *jb = cJSON_CreateObject();
        cJSON_AddNumberToObject(jb, "books", res->count[b]);
        cJSON_AddNumberToObject(jb, "mean_match", res->mean_match[b]);
        cJSON_AddNumberToObject(jb, "observed", res->observed[b]);
        cJSON_AddItemToArray(bins, jb);
    }
    char *hist_path = cli_history_path(out);
    cli_write_json_or_die(hist_path, root);
    return hist_path;
}
