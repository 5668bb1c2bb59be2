/*
 * cmd_train.c - `bookrec train`: reads the ratings, makes the seeded 80/20 split, trains a model with the
 * core (threads from runner.c), and writes three files: the model (atomically, only after training
 * succeeded, so a failed run never replaces an existing model), its training history as JSON (config,
 * options, split, data statistics, per-epoch figures and timings) and the loss curves as an SVG picture.
 * Progress goes to stderr: a bar with rate and ETA on a terminal, plain per-epoch lines otherwise.
 * The training itself is the core's; this file only wires flags, files and output.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "scale.h"
#include "tags.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_EPOCHS 10000

typedef struct train_ctx {
    bookrec_model *model;
    const bookrec_triples *test; /* evaluated here when the core validates on another part */
    int test_is_valid;
    int epochs;
    int tty;
    double epoch_start, last_draw;
    int cur_epoch;
    bookrec_epoch_stats *hist; /* with seconds and test figures filled by us */
    int n_hist;
} train_ctx;

static void draw_bar(train_ctx *c, int epoch, size_t done, size_t total, double mse, int final) {
    double now = cli_now(), el = now - c->epoch_start;
    if (!final && now - c->last_draw < 0.1) return;
    c->last_draw = now;
    double frac = total ? (double)done / (double)total : 0;
    if (frac > 1) frac = 1;
    int w = 28, fill = (int)(frac * w + 0.5);
    char bar[64];
    for (int i = 0; i < w; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
    bar[w] = '\0';
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r\033[Kepoch %d/%d [%s] %3.0f%%  %.2fM ratings/s  ETA %4.1fs  mse %.4f", epoch, c->epochs,
            bar, frac * 100, rate / 1e6, eta, mse);
    fflush(stderr);
}

static int on_progress(void *ctx, int epoch, size_t done, size_t total, double running_mse) {
    train_ctx *c = ctx;
    if (epoch != c->cur_epoch) {
        c->cur_epoch = epoch;
        c->epoch_start = cli_now();
    }
    if (c->tty) draw_bar(c, epoch, done, total, running_mse, done >= total);
    return 0;
}

static int on_epoch(void *ctx, const bookrec_epoch_stats *s) {
    train_ctx *c = ctx;
    double now = cli_now();
    if (c->n_hist >= MAX_EPOCHS) return 1;
    bookrec_epoch_stats e = *s;
    e.seconds = now - c->epoch_start;
    if (!c->test_is_valid && c->test) {
        double mse = NAN, mae = NAN;
        bookrec_error err = {0};
        if (bookrec_evaluate(c->model, c->test, &mse, &mae, &err) == BOOKREC_OK) {
            e.test_mse = mse;
            e.test_rmse = sqrt(mse);
            e.test_mae = mae;
        }
    }
    c->hist[c->n_hist++] = e;
    if (c->tty) fprintf(stderr, "\r\033[K");
    fprintf(stderr,
            "epoch %d/%d  train mse %.4f rmse %.4f mae %.4f | test mse %.4f rmse %.4f mae %.4f | %.2f s\n",
            s->epoch, c->epochs, e.train_mse, e.train_rmse, e.train_mae,
            e.test_mse, e.test_rmse, e.test_mae, e.seconds);
    if (!c->test_is_valid)
        fprintf(stderr, "           validation (carved from training) mse %.4f rmse %.4f mae %.4f\n", s->test_mse,
                s->test_rmse, s->test_mae);
    /* the next epoch starts now (its first progress call may come late) */
    c->cur_epoch = s->epoch + 1;
    c->epoch_start = cli_now();
    return 0;
}

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

/* ------------------------------------------------------------------ implicit sets */

/* Reads a want-to-read CSV (header with user_id and book_id columns, any order, more columns ignored): the pairs
   whose user and book the model knows go into *pu and *pi (dense indices); returns the count kept, and *n_rows the
   data rows read. Exits with FILE:LINE on a malformed row. */
static size_t read_to_read(const char *path, const bookrec_ids *users, const bookrec_ids *items, int32_t **pu,
                           int32_t **pi, size_t *n_rows) {
    size_t len = 0;
    char *buf = cli_read_file_or_die(path, &len);
    size_t cap = 1024, n = 0, rows = 0;
    int32_t *U = malloc(cap * sizeof *U), *I = malloc(cap * sizeof *I);
    if (!U || !I) cli_die("out of memory");
    int ucol = -1, icol = -1, ncol = 0;
    long line = 0;
    size_t pos = 0;
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF)
        pos = 3;
    while (pos < len) {
        size_t end = pos;
        while (end < len && buf[end] != '\n') end++;
        line++;
        size_t le = end;
        if (le > pos && buf[le - 1] == '\r') le--;
        if (le > pos) {
            /* split into at most 64 fields */
            const char *f[64];
            int fl[64], nf = 0;
            size_t a = pos;
            for (size_t k = pos; k <= le && nf < 64; k++)
                if (k == le || buf[k] == ',') {
                    size_t s0 = a, s1 = k;
                    while (s0 < s1 && (buf[s0] == ' ' || buf[s0] == '"')) s0++;
                    while (s1 > s0 && (buf[s1 - 1] == ' ' || buf[s1 - 1] == '"')) s1--;
                    f[nf] = buf + s0;
                    fl[nf++] = (int)(s1 - s0);
                    a = k + 1;
                }
            if (ucol < 0) {
                for (int k = 0; k < nf; k++) {
                    if (fl[k] == 7 && !strncmp(f[k], "user_id", 7)) ucol = k;
                    if (fl[k] == 7 && !strncmp(f[k], "book_id", 7)) icol = k;
                }
                if (ucol < 0 || icol < 0)
                    cli_die("%s:%ld: expected a header with user_id and book_id columns", path, line);
                ncol = nf;
            } else {
                if (nf < ncol || fl[ucol] == 0 || fl[icol] == 0)
                    cli_die("%s:%ld: expected %d fields with a user_id and a book_id", path, line, ncol);
                rows++;
                int u = bookrec_ids_find(users, f[ucol], fl[ucol]), i = bookrec_ids_find(items, f[icol], fl[icol]);
                if (u >= 0 && i >= 0) {
                    if (n == cap) {
                        cap *= 2;
                        U = realloc(U, cap * sizeof *U);
                        I = realloc(I, cap * sizeof *I);
                        if (!U || !I) cli_die("out of memory");
                    }
                    U[n] = u;
                    I[n++] = i;
                }
            }
        }
        pos = end + 1;
    }
    if (ucol < 0) cli_die("%s: empty file, expected a header with user_id and book_id", path);
    free(buf);
    *pu = U;
    *pi = I;
    *n_rows = rows;
    return n;
}

/* N(u) = the books u rated in `fit` plus its want-to-read books (tr_u/tr_i, n_tr pairs) that are not among its
   test ratings (the test part never reaches training), each book once; sets them on the model. */
static size_t set_implicit_sets(bookrec_model *m, const bookrec_triples *fit, const bookrec_triples *test,
                                const int32_t *tr_u, const int32_t *tr_i, size_t n_tr) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int nu = c->n_users, ni = c->n_items;
    /* CSR of the three sources per user */
    const bookrec_triples *src[2] = {fit, test};
    int32_t *off[3], *val[3];
    size_t cnt[3] = {fit->n, test->n, n_tr};
    for (int s = 0; s < 3; s++) {
        off[s] = calloc((size_t)nu + 1, sizeof(int32_t));
        val[s] = malloc((cnt[s] ? cnt[s] : 1) * sizeof(int32_t));
        if (!off[s] || !val[s]) cli_die("out of memory");
        const int32_t *us = s < 2 ? src[s]->user : tr_u, *is = s < 2 ? src[s]->item : tr_i;
        for (size_t k = 0; k < cnt[s]; k++) off[s][us[k] + 1]++;
        for (int u = 0; u < nu; u++) off[s][u + 1] += off[s][u];
        int32_t *fill = calloc((size_t)nu, sizeof *fill);
        if (!fill) cli_die("out of memory");
        for (size_t k = 0; k < cnt[s]; k++) val[s][off[s][us[k]] + fill[us[k]]++] = is[k];
        free(fill);
    }
    int32_t *mark = malloc((size_t)ni * sizeof *mark), *o = malloc(((size_t)nu + 1) * sizeof *o);
    int32_t *items = malloc((fit->n + n_tr + 1) * sizeof *items);
    if (!mark || !o || !items) cli_die("out of memory");
    memset(mark, 0xff, (size_t)ni * sizeof *mark);
    size_t n = 0, added = 0;
    o[0] = 0;
    for (int u = 0; u < nu; u++) {
        for (int k = off[1][u]; k < off[1][u + 1]; k++) mark[val[1][k]] = u; /* test books: never implicit */
        for (int s = 0; s < 3; s += 2)
            for (int k = off[s][u]; k < off[s][u + 1]; k++) {
                int32_t i = val[s][k];
                if (mark[i] == u && s == 2) continue;
                if (mark[i] == u && s == 0) continue; /* duplicate (cannot happen for merged ratings) */
                mark[i] = u;
                items[n++] = i;
                if (s == 2) added++;
            }
        o[u + 1] = (int32_t)n;
    }
    bookrec_error err = {0};
    cli_check(bookrec_model_set_implicit(m, o, items, &err), &err, "implicit sets");
    for (int s = 0; s < 3; s++) { free(off[s]); free(val[s]); }
    free(mark); free(o); free(items);
    return added;
}

/* ------------------------------------------------------------------ --rank: ranking figures */

typedef struct rank_figs {
    double ndcg, hr, coverage, pop_ndcg; /* the model, and popularity (training ratings >= the relevance threshold) */
    int n_users;
} rank_figs;

static rank_figs rank_run(bookrec_model *m, const bookrec_ratings *r, const bookrec_triples *known,
                          const bookrec_triples *target, const bookrec_triples *pop_data, int is_new,
                          cli_runner *runner, int threads) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    bookrec_error err = {0};
    bookrec_rank_options ro = {0};
    ro.min_rating = r->min_rating;
    ro.max_rating = r->max_rating;
    ro.n_tasks = runner ? threads : 1;
    ro.parallel = runner ? cli_runner_parallel : NULL;
    ro.parallel_ctx = runner;
    cli_check(bookrec_model_prepare(m, &err), &err, "prepare");
    bookrec_model_scorer sc = {m, {0, 0, 0}};
    bookrec_rank_result res, pop;
    int (*ev)(int, int, const bookrec_triples *, const bookrec_triples *, bookrec_score_fn, void *,
              const bookrec_rank_options *, bookrec_rank_result *, bookrec_error *) =
        is_new ? bookrec_rank_evaluate_new : bookrec_rank_evaluate;
    cli_check(ev(c->n_users, c->n_items, known, target, bookrec_score_model, &sc, &ro, &res, &err), &err, "ranking");
    float *ps = malloc((size_t)c->n_items * sizeof *ps);
    if (!ps) cli_die("out of memory");
    /* popularity counts the training ratings of everyone else (for new readers, the second model's data) */
    cli_check(bookrec_popularity_min(pop_data, c->n_items,
                                     bookrec_relevance_threshold(r->min_rating, r->max_rating), ps, &err), &err, "popularity");
    bookrec_fixed_scorer fs = {ps, c->n_items};
    cli_check(ev(c->n_users, c->n_items, known, target, bookrec_score_fixed, &fs, &ro, &pop, &err), &err, "ranking");
    free(ps);
    rank_figs f = {res.ndcg, res.hr, res.coverage, pop.ndcg, res.n_users};
    return f;
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

/* Returns 1 when the command line asks for a top-N arch (--arch ease|ials / --arch=ease|ials). */
static int wants_topn(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--arch") && i + 1 < argc) v = argv[i + 1];
        else if (!strncmp(argv[i], "--arch=", 7)) v = argv[i] + 7;
        if (v && (!strcmp(v, "ease") || !strcmp(v, "ials"))) return 1;
    }
    return 0;
}

int cmd_train(int argc, char **argv) {
    if (wants_topn(argc, argv)) return cmd_train_topn(argc, argv);
    cli_data_opts d = {0};
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    bookrec_train_options to;
    bookrec_train_options_default(&to);
    const char *arch = "mf", *out = cli_default_model();
    /* per-architecture defaults: flags left unset (sentinels) are filled after parsing */
    cfg.dim = 0;
    to.epochs = 0;
    to.lr = 0.0f;
    to.l2 = -1.0f;
    to.patience = -1;
    uint64_t seed = to.seed, split_seed = 1;
    double test_fraction = 0.2, valid_fraction = 0.1;
    int threads = cli_default_threads(), dense_adam = 0;
    const char *to_read = NULL, *tags_dir = NULL;
    int rank = 0, n_tags = 1000;
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"arch", 0, CLI_STR, &arch, "seed|mf|ncf",
         "model: the tutorial's network (faithful reproduction), biased MF (the default, what npm start trains "
         "and the site ships: best for new readers, docs/models.md), or NCF", "mf"},
        {"dim", 0, CLI_INT, &cfg.dim, "N", "embedding size (mf/ncf: 32 unless given)", "15"},
        {"hidden", 0, CLI_INT, &cfg.hidden, "N", "width of the dense layer (seed, ncf)", NULL},
        {"implicit", 0, CLI_FLAG, &cfg.implicit, NULL, "add implicit feedback to user vectors (SVD++ style)", NULL},
        {"init-scale", 0, CLI_FLOAT, &cfg.init_scale, "X", "embeddings start uniform in +-X", NULL},
        {"epochs", 0, CLI_INT, &to.epochs, "N", "passes over the training part, at most with --patience (mf/ncf: 40 unless given)", "5"},
        {"batch", 0, CLI_INT, &to.batch, "N", "ratings per Adam step", NULL},
        {"lr", 0, CLI_FLOAT, &to.lr, "X", "Adam learning rate (mf/ncf: 0.003 unless given)", "0.001"},
        {"beta1", 0, CLI_FLOAT, &to.beta1, "X", "Adam beta1", NULL},
        {"beta2", 0, CLI_FLOAT, &to.beta2, "X", "Adam beta2", NULL},
        {"eps", 0, CLI_FLOAT, &to.eps, "X", "Adam epsilon", NULL},
        {"l2", 0, CLI_FLOAT, &to.l2, "X", "L2 on the embedding rows and biases a batch touches (mf/ncf: 0.1 unless given)", "0"},
        {"l2-row", 0, CLI_FLOAT, &to.l2_row, "X",
         "per-row L2: each user, book (and implicit factor) row is penalised X |row|^2 once per epoch, spread over "
         "its ratings (shrinks rarely seen rows most)", NULL},
        {"l2-dense", 0, CLI_FLOAT, &to.l2_dense, "X", "L2 on the dense layers", NULL},
        {"to-read", 0, CLI_STR, &to_read, "FILE",
         "with --implicit: add each user's want-to-read books (CSV with user_id, book_id; 'auto' = DIR/to_read.csv) "
         "to the books they rated", NULL},
        {"tags", 0, CLI_STR, &tags_dir, "DIR|auto",
         "mf/ncf: book features from DIR/book_tags.csv + DIR/tags.csv ('auto' = the data directory), joined through "
         "the books file's goodreads_book_id; each book's vector gains a learned sum of its tags' vectors", NULL},
        {"n-tags", 0, CLI_INT, &n_tags, "N", "with --tags: keep the N tags found on most books (shelf names dropped)",
         "1000"},
        {"group-users", 0, CLI_FLAG, &to.group_users, NULL,
         "batches hold each user's ratings together (users shuffled): much faster implicit training", NULL},
        {"dense-adam", 0, CLI_FLAG, &dense_adam, NULL, "update every embedding row each step (default: lazy Adam)", NULL},
        {"patience", 0, CLI_INT, &to.patience, "N",
         "stop when validation RMSE has not improved for N epochs (0: off; mf/ncf: 2 unless given); validation is "
         "carved from training", "0"},
        {"valid-fraction", 0, CLI_DOUBLE, &valid_fraction, "F", "part of training held for validation when --patience > 0", NULL},
        {"rank", 0, CLI_FLAG, &rank, NULL,
         "also report NDCG@10 for dataset users (test part) and for 1000 new readers (held out of a second model "
         "trained the same way, each folded in from 10 ratings; as bookrec eval), beside popularity", NULL},
        {"seed", 0, CLI_U64, &seed, "N", "initialisation and shuffling seed", NULL},
        {"split-seed", 0, CLI_U64, &split_seed, "N", "seed of the train/test split", NULL},
        {"test-fraction", 0, CLI_DOUBLE, &test_fraction, "F", "part of the ratings held out for testing", NULL},
        {"threads", 0, CLI_INT, &threads, "N", "threads (batch slices); default = cores, 2..8", NULL},
        {"out", 'o', CLI_STR, &out, "FILE", "model file to write (history .json and .svg go beside it)",
         "<project>/models/model.bkr"},
    };
    cli_parse("train", "bookrec train [OPTIONS]", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    cli_set_noun(&d);

    if (!strcmp(arch, "seed")) cfg.arch = BOOKREC_ARCH_SEED;
    else if (!strcmp(arch, "mf")) cfg.arch = BOOKREC_ARCH_MF;
    else if (!strcmp(arch, "ncf")) cfg.arch = BOOKREC_ARCH_NCF;
    else cli_usage_die("train", "train: --arch expects seed, mf, ncf, ease or ials, got '%s'", arch);
    {
        int seedarch = cfg.arch == BOOKREC_ARCH_SEED; /* the tutorial's values; mf/ncf: chosen on validation */
        if (cfg.dim == 0) cfg.dim = seedarch ? 15 : 32;
        if (to.epochs == 0) to.epochs = seedarch ? 5 : 40;
        if (to.lr == 0.0f) to.lr = seedarch ? 1e-3f : 3e-3f;
        if (to.l2 < 0.0f) to.l2 = seedarch ? 0.0f : 0.1f;
        if (to.patience < 0) to.patience = seedarch ? 0 : 2;
    }
    if (to.epochs < 1 || to.epochs > MAX_EPOCHS) cli_usage_die("train", "train: --epochs must be in 1..%d", MAX_EPOCHS);
    if (to.batch < 1) cli_usage_die("train", "train: --batch must be at least 1");
    if (cfg.dim < 1 || cfg.hidden < 1) cli_usage_die("train", "train: --dim and --hidden must be at least 1");
    if (!(test_fraction > 0 && test_fraction < 1)) cli_usage_die("train", "train: --test-fraction must be in (0, 1)");
    if (!(valid_fraction > 0 && valid_fraction < 1)) cli_usage_die("train", "train: --valid-fraction must be in (0, 1)");
    if (threads < 1 || threads > 256) cli_usage_die("train", "train: --threads must be in 1..256");
    if (to.patience < 0) cli_usage_die("train", "train: --patience must be >= 0");
    cfg.seed = seed;
    to.seed = seed;
    to.lazy_adam = !dense_adam;

    /* data */
    double read_s = 0, parse_s = 0;
    bookrec_ratings *r = cli_load_ratings(&d, &read_s, &parse_s);
    char g1[32], g2[32], g3[32];
    fprintf(stderr, "read %s: %s ratings, %s users, %s %s (%zu duplicate pairs merged)\n", cli_ratings_path(&d),
            cli_group(r->all.n, g1), cli_group((size_t)bookrec_ids_count(r->users), g2),
            cli_group((size_t)bookrec_ids_count(r->items), g3), cli_noun(1), r->duplicates);
    fprintf(stderr, "CSV read %.3f s, parse %.3f s\n", read_s, parse_s);

    bookrec_error err = {0};
    double t_split = cli_now();
    bookrec_triples train = {0}, test = {0}, fit = {0}, valid = {0};
    size_t n_ratings = r->all.n;
    if (rank) /* the new-reader split needs every rating later, in file order */
        cli_check(bookrec_split(r, test_fraction, split_seed, &train, &test, &err), &err, "split");
    else /* memory: the training part is the dataset's own arrays */
        cli_check(bookrec_split_take(r, test_fraction, split_seed, &train, &test, &err), &err, "split");
    const bookrec_triples *fit_p = &train, *valid_p = &test;
    if (to.patience > 0) {
        cli_check(bookrec_triples_split(&train, valid_fraction, split_seed + 1, &fit, &valid, &err), &err,
                  "validation split");
        fit_p = &fit;
        valid_p = &valid;
    }
    t_split = cli_now() - t_split;
    if (!rank && fit_p != &train) bookrec_triples_free(&train); /* only --rank needs it beside fit/valid */
    to.shuffle_in_place = 1; /* fit_p's order is not needed after training (the ranking only counts and excludes) */

    cfg.n_users = bookrec_ids_count(r->users);
    cfg.n_items = bookrec_ids_count(r->items);
    cfg.min_rating = r->min_rating;
    cfg.max_rating = r->max_rating;
    cli_tags tg = {0};
    if (tags_dir) {
        if (cfg.arch == BOOKREC_ARCH_SEED) cli_usage_die("train", "train: --tags needs --arch mf or ncf");
        if (n_tags < 1 || n_tags > 100000) cli_usage_die("train", "train: --n-tags must be in 1..100000");
        const char *dir = !strcmp(tags_dir, "auto") ? cli_data_dir(&d) : tags_dir;
        char *btp = cli_join(dir, "book_tags.csv"), *tp = cli_join(dir, "tags.csv");
        bookrec_items *books = cli_load_books(&d);
        cli_read_tags(btp, tp, books, r->items, n_tags, 20, &tg);
        fprintf(stderr, "tags: %d kept from %s (%s rows), %d of %d books tagged, %d shelf-name tags dropped (%s, ...)\n",
                tg.n_tags, btp, cli_group(tg.rows, g1), tg.books_with_tags, cfg.n_items, tg.dropped, tg.dropped_list);
        if (tg.n_tags < 1) cli_die("%s: no usable tags for the books of the ratings", btp);
        cfg.n_tags = tg.n_tags;
        bookrec_items_free(books);
        free(btp);
        free(tp);
    }
    bookrec_model *m = NULL;
    cli_check(bookrec_model_create(&cfg, &m, &err), &err, "model");
    cli_check(bookrec_model_set_ids(m, r->users, r->items, &err), &err, "model ids");
    if (tags_dir) cli_check(bookrec_model_set_tags(m, tg.off, tg.idx, tg.w, &err), &err, "item tags");
    size_t tr_rows = 0, tr_kept = 0, tr_added = 0;
    int32_t *tu = NULL, *ti = NULL;
    if (to_read && !cfg.implicit) cli_usage_die("train", "train: --to-read needs --implicit");
    if (cfg.implicit) {
        char *tr_path = NULL;
        if (to_read) {
            tr_path = !strcmp(to_read, "auto") ? cli_fmt("%s/to_read.csv", cli_data_dir(&d)) : strdup(to_read);
            if (!tr_path) cli_die("out of memory");
            tr_kept = read_to_read(tr_path, r->users, r->items, &tu, &ti, &tr_rows);
        }
        tr_added = set_implicit_sets(m, fit_p, &test, tu, ti, tr_kept);
        if (to_read)
            fprintf(stderr, "implicit sets: rated %s + %s want-to-read pairs from %s (%s rows, %s of known users and "
                    "%s)\n", cli_noun(1), cli_group(tr_added, g1), tr_path, cli_group(tr_rows, g2), cli_group(tr_kept, g3),
                    cli_noun(1));
        free(tr_path);
    }

    cli_runner *runner = threads > 1 ? cli_runner_start(threads) : NULL;
    train_ctx c = {0};
    c.model = m;
    c.test = &test;
    c.test_is_valid = valid_p == &test;
    c.epochs = to.epochs;
    c.tty = isatty(2);
    c.hist = calloc((size_t)to.epochs, sizeof *c.hist);
    if (!c.hist) cli_die("out of memory");
    c.cur_epoch = 1;
    to.n_tasks = runner ? threads : 1;
    to.parallel = runner ? cli_runner_parallel : NULL;
    to.parallel_ctx = runner;
    if (c.tty) {
        to.progress = on_progress;
        to.progress_ctx = &c;
        to.progress_every = 512;
    }
    to.on_epoch = on_epoch;
    to.on_epoch_ctx = &c;
    char hid[32] = "";
    if (cfg.arch != BOOKREC_ARCH_MF) snprintf(hid, sizeof hid, ", hidden %d", cfg.hidden);
    fprintf(stderr, "training %s (dim %d%s) on %s ratings, testing on %s, %d thread%s, kernels %s\n", arch, cfg.dim,
            hid, cli_group(fit_p->n, g1),
            cli_group(test.n, g2), to.n_tasks, to.n_tasks == 1 ? "" : "s", bookrec_kernel_name());

    int n_core_hist = 0;
    bookrec_epoch_stats *core_hist = calloc((size_t)to.epochs, sizeof *core_hist);
    if (!core_hist) cli_die("out of memory");
    c.epoch_start = cli_now();
    double t_train = cli_now();
    int st = cli_train_compact(m, fit_p == &fit ? &fit : &train, !rank, valid_p == &test ? &test : &valid, &to,
                               core_hist, to.epochs, &n_core_hist, &err);
    t_train = cli_now() - t_train;
    if (runner)
        fprintf(stderr, "thread pool: %.0f%% of the parallel calls ran on one thread (timed both ways, the faster "
                        "chosen; the model does not depend on it)\n", 100.0 * cli_runner_inline_share(runner));
    cli_runner_stop(runner);
    cli_check(st, &err, "training failed (no model written)");
    int best_epoch = n_core_hist;
    if (to.patience > 0) { /* the core keeps the epoch with the best validation RMSE */
        for (int i = 0; i < n_core_hist; i++)
            if (core_hist[i].test_rmse < core_hist[best_epoch - 1].test_rmse) best_epoch = i + 1;
    }
    free(core_hist);

    /* final figures on the test part (the best epoch's model when early stopping restored it) */
    double fmse = NAN, fmae = NAN;
    cli_check(bookrec_evaluate(m, &test, &fmse, &fmae, &err), &err, "evaluate");

    rank_figs rk_user = {0}, rk_new = {0};
    if (rank) {
        cli_runner *rr = threads > 1 ? cli_runner_start(threads) : NULL;
        rk_user = rank_run(m, r, &train, &test, &train, 0, rr, threads);
        fprintf(stderr, "dataset users: NDCG@10 %.4f (popularity %.4f, x%.2f), HR@10 %.4f, coverage %.3f, %d users\n",
                rk_user.ndcg, rk_user.pop_ndcg, rk_user.ndcg / rk_user.pop_ndcg, rk_user.hr, rk_user.coverage,
                rk_user.n_users);
        /* new readers: held out of the data entirely, a second model trained the same way without them */
        bookrec_triples nrt = {0}, fold = {0}, target = {0}, nfit = {0}, nval = {0}, none = {0};
        bookrec_newreader_options nro = {0};
        int n_readers = 0;
        cli_check(bookrec_split_new_readers(&r->all, cfg.n_users, &nro, &nrt, &fold, &target, &n_readers, &err), &err,
                  "new-reader split");
        const bookrec_triples *nfit_p = &nrt, *nval_p = NULL;
        if (to.patience > 0) {
            cli_check(bookrec_triples_split(&nrt, valid_fraction, split_seed + 2, &nfit, &nval, &err), &err,
                      "validation split");
            nfit_p = &nfit;
            nval_p = &nval;
        }
        bookrec_model *m2 = NULL;
        bookrec_model_config cfg2 = cfg;
        cfg2.global_mean = 0.0f;
        cli_check(bookrec_model_create(&cfg2, &m2, &err), &err, "model");
        if (cfg.implicit) set_implicit_sets(m2, nfit_p, &none, tu, ti, tr_kept);
        if (tags_dir) cli_check(bookrec_model_set_tags(m2, tg.off, tg.idx, tg.w, &err), &err, "item tags");
        bookrec_train_options to2 = to;
        to2.progress = NULL;
        to2.on_epoch = NULL;
        to2.n_tasks = rr ? threads : 1;
        to2.parallel = rr ? cli_runner_parallel : NULL;
        to2.parallel_ctx = rr;
        fprintf(stderr, "training a second model without %d new readers\n", n_readers);
        cli_check(bookrec_train(m2, nfit_p, nval_p, &to2, NULL, 0, NULL, &err), &err, "training (new readers)");
        rk_new = rank_run(m2, r, &fold, &target, &nrt, 1, rr, threads);
        fprintf(stderr, "new readers: NDCG@10 %.4f (popularity %.4f, x%.2f), HR@10 %.4f, coverage %.3f, %d readers\n",
                rk_new.ndcg, rk_new.pop_ndcg, rk_new.ndcg / rk_new.pop_ndcg, rk_new.hr, rk_new.coverage,
                rk_new.n_users);
        bookrec_model_free(m2);
        bookrec_triples_free(&nrt); bookrec_triples_free(&fold); bookrec_triples_free(&target);
        bookrec_triples_free(&nfit); bookrec_triples_free(&nval);
        cli_runner_stop(rr);
    }
    free(tu);
    free(ti);

    /* model first, atomically; nothing else is written when this fails */
    double t_save = cli_now();
    uint8_t *bytes = NULL;
    size_t n_bytes = 0;
    bookrec_save_options so = {0};
    cli_check(bookrec_model_save(m, &so, &bytes, &n_bytes, &err), &err, "save");
    cli_write_atomic_or_die(out, bytes, n_bytes);
    bookrec_free(bytes);
    t_save = cli_now() - t_save;

    /* history */
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "bookrec_version", BOOKREC_VERSION_STRING);
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(root, "created", when);
    cJSON_AddStringToObject(root, "model_file", out);
    cJSON_AddStringToObject(root, "kernels", bookrec_kernel_name());
    const bookrec_model_config *mc = bookrec_model_get_config(m);
    cJSON *jc = cJSON_AddObjectToObject(root, "config");
    cli_json_model_shape(jc, mc);
    cJSON_AddNumberToObject(jc, "init_scale", cli_f32(mc->init_scale));
    cJSON_AddNumberToObject(jc, "min_rating", cli_f32(mc->min_rating));
    cJSON_AddNumberToObject(jc, "max_rating", cli_f32(mc->max_rating));
    cJSON_AddNumberToObject(jc, "seed", (double)mc->seed);
    cJSON *jo = cJSON_AddObjectToObject(root, "options");
    cJSON_AddNumberToObject(jo, "epochs", to.epochs);
    cJSON_AddNumberToObject(jo, "batch", to.batch);
    cJSON_AddNumberToObject(jo, "lr", cli_f32(to.lr));
    cJSON_AddNumberToObject(jo, "beta1", cli_f32(to.beta1));
    cJSON_AddNumberToObject(jo, "beta2", cli_f32(to.beta2));
    cJSON_AddNumberToObject(jo, "eps", cli_f32(to.eps));
    cJSON_AddNumberToObject(jo, "l2", cli_f32(to.l2));
    cJSON_AddNumberToObject(jo, "l2_dense", cli_f32(to.l2_dense));
    cJSON_AddNumberToObject(jo, "l2_row", cli_f32(to.l2_row));
    cJSON_AddBoolToObject(jo, "group_users", to.group_users);
    if (to_read) cJSON_AddStringToObject(jo, "to_read", to_read);
    cJSON_AddNumberToObject(jo, "to_read_pairs", (double)tr_added);
    if (tags_dir) cJSON_AddStringToObject(jo, "tags", tags_dir);
    cJSON_AddNumberToObject(jo, "n_tags", tg.n_tags);
    cJSON_AddBoolToObject(jo, "lazy_adam", to.lazy_adam);
    cJSON_AddNumberToObject(jo, "patience", to.patience);
    cJSON_AddNumberToObject(jo, "seed", (double)to.seed);
    cJSON_AddNumberToObject(jo, "threads", to.n_tasks);
    cJSON *js = cJSON_AddObjectToObject(root, "split");
    cJSON_AddNumberToObject(js, "seed", (double)split_seed);
    char seedtxt[32];
    snprintf(seedtxt, sizeof seedtxt, "%llu", (unsigned long long)split_seed);
    cJSON_AddStringToObject(js, "seed_text", seedtxt);
    cJSON_AddNumberToObject(js, "test_fraction", test_fraction);
    cJSON_AddNumberToObject(js, "train", (double)fit_p->n);
    cJSON_AddNumberToObject(js, "valid", to.patience > 0 ? (double)valid.n : 0);
    cJSON_AddNumberToObject(js, "test", (double)test.n);
    cJSON_AddStringToObject(js, "validation", to.patience > 0 ? "carved from training" : "test part (as the tutorial)");
    cJSON *jd = cJSON_AddObjectToObject(root, "data");
    cJSON_AddStringToObject(jd, "ratings", cli_ratings_path(&d));
    cJSON_AddNumberToObject(jd, "rows_read", (double)r->rows_read);
    cJSON_AddNumberToObject(jd, "rows_skipped", (double)r->rows_skipped);
    cJSON_AddNumberToObject(jd, "ratings", (double)n_ratings);
    cJSON_AddNumberToObject(jd, "users", bookrec_ids_count(r->users));
    cJSON_AddNumberToObject(jd, "books", bookrec_ids_count(r->items));
    cJSON_AddNumberToObject(jd, "duplicates", (double)r->duplicates);
    cJSON_AddNumberToObject(jd, "conflicting", (double)r->conflicting);
    cJSON_AddNumberToObject(jd, "min_rating", r->min_rating);
    cJSON_AddNumberToObject(jd, "max_rating", r->max_rating);
    cJSON *jt = cJSON_AddObjectToObject(root, "timings");
    cJSON_AddNumberToObject(jt, "read_seconds", read_s);
    cJSON_AddNumberToObject(jt, "parse_seconds", parse_s);
    cJSON_AddNumberToObject(jt, "split_seconds", t_split);
    cJSON_AddNumberToObject(jt, "train_seconds", t_train);
    cJSON_AddNumberToObject(jt, "save_seconds", t_save);
    cJSON *je = cJSON_AddArrayToObject(root, "epochs");
    for (int i = 0; i < c.n_hist; i++) add_epoch(je, &c.hist[i]);
    cJSON *jf = cJSON_AddObjectToObject(root, "final");
    cJSON_AddNumberToObject(jf, "test_mse", fmse);
    cJSON_AddNumberToObject(jf, "test_rmse", sqrt(fmse));
    cJSON_AddNumberToObject(jf, "test_mae", fmae);
    cJSON_AddNumberToObject(jf, "epochs_run", c.n_hist);
    cJSON_AddNumberToObject(jf, "best_epoch", best_epoch);
    cJSON_AddNumberToObject(jf, "model_bytes", (double)n_bytes);
    if (rank) {
        cJSON_AddNumberToObject(jf, "ndcg10", rk_user.ndcg);
        cJSON_AddNumberToObject(jf, "ndcg10_popularity", rk_user.pop_ndcg);
        cJSON_AddNumberToObject(jf, "new_reader_ndcg10", rk_new.ndcg);
        cJSON_AddNumberToObject(jf, "new_reader_ndcg10_popularity", rk_new.pop_ndcg);
    }
    char *json = cJSON_Print(root);
    cJSON_Delete(root);
    if (!json) cli_die("out of memory");
    char *hist_path = cli_history_path(out);
    cli_write_atomic_or_die(hist_path, json, strlen(json));
    free(json);

    char *svg_path = cli_replace_ext(out, ".loss.svg");
    char *title = cli_fmt("bookrec %s: training and test loss per epoch", cli_arch_name(mc->arch));
    char *svg = loss_svg(c.hist, c.n_hist, title);
    cli_write_atomic_or_die(svg_path, svg, strlen(svg));
    free(svg);
    free(title);

    double sum_epoch = 0;
    for (int i = 0; i < c.n_hist; i++) sum_epoch += c.hist[i].seconds;
    char b1[32];
    printf("test mse %.4f rmse %.4f mae %.4f after %d epoch%s", fmse, sqrt(fmse), fmae, c.n_hist,
           c.n_hist == 1 ? "" : "s");
    if (to.patience > 0) printf(" (kept epoch %d, the best on validation)", best_epoch);
    printf("\n");
    printf("CSV parse %.3f s; training %.2f s (%.2f s per epoch)\n", parse_s, t_train,
           c.n_hist ? sum_epoch / c.n_hist : 0.0);
    printf("wrote %s (%s)\n      %s\n      %s\n", out, cli_bytes((long long)n_bytes, b1), hist_path, svg_path);
    free(hist_path);
    free(svg_path);
    free(c.hist);
    bookrec_triples_free(&train);
    bookrec_triples_free(&test);
    bookrec_triples_free(&fit);
    bookrec_triples_free(&valid);
    bookrec_model_free(m);
    cli_tags_free(&tg);
    bookrec_ratings_free(r);
    return 0;
}
