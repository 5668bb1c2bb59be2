/*
 * cmd_train.c - `bookrec train`: parses the flags, reads the ratings (and the tag and want-to-read files), hands the
 * experiment to the core (bookrec_train_run_make: the seeded 80/20 split, the model, training, the test figures and
 * with --rank the rankings of dataset users and of new readers) with threads from runner.c, and writes three files:
 * the model (atomically, only after training succeeded, so a failed run never replaces an existing model), its
 * training history as JSON and the loss curves as an SVG picture (report.c). Progress goes to stderr: a bar with
 * rate and ETA on a terminal, plain per-epoch lines otherwise. The defaults are the core's presets
 * (src/experiment.c); this file only wires flags, files, clocks and output.
 */
#define _GNU_SOURCE
#include "eval_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct train_ctx {
    const char *arch;
    const bookrec_pairs *to_read;
    const char *to_read_path;
    int epochs, tty, cur_epoch, threads;
    float reader_lr; /* --reader-lr: 0 when the readers' rows have Adam */
    double epoch_start, last_draw, t0, t_split, t_train;
    cli_runner *runner;
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

static int on_epoch(void *ctx, bookrec_epoch_stats *e, const bookrec_epoch_stats *valid) {
    train_ctx *c = ctx;
    e->seconds = cli_now() - c->epoch_start;
    if (c->tty) fprintf(stderr, "\r\033[K");
    fprintf(stderr,
            "epoch %d/%d  train mse %.4f rmse %.4f mae %.4f | test mse %.4f rmse %.4f mae %.4f | %.2f s\n",
            e->epoch, c->epochs, e->train_mse, e->train_rmse, e->train_mae,
            e->test_mse, e->test_rmse, e->test_mae, e->seconds);
    if (valid)
        fprintf(stderr, "           validation (carved from training) mse %.4f rmse %.4f mae %.4f\n", valid->test_mse,
                valid->test_rmse, valid->test_mae);
    /* the next epoch starts now (its first progress call may come late) */
    c->cur_epoch = e->epoch + 1;
    c->epoch_start = cli_now();
    return 0;
}

/* ------------------------------------------------------------------ --rank */

static void on_ranked(void *ctx, int new_readers, const bookrec_train_ranking *f) {
    (void)ctx;
    if (new_readers) fprintf(stderr, "(a second model, trained without %d new readers)\n", f->n_held);
    fprintf(stderr, "%s: NDCG@10 %.4f (popularity %.4f, x%.2f), HR@10 %.4f, coverage %.3f, %d %s\n",
            new_readers ? "new readers" : "dataset users", f->ndcg, f->pop_ndcg, f->ndcg / f->pop_ndcg, f->hr,
            f->coverage, f->n_users, new_readers ? "readers" : "users");
}

/* ------------------------------------------------------------------ flags */

/* Returns 1 when the command line asks for a top-N arch (--arch ease|ials / --arch=ease|ials): an architecture the
   core knows with no rating-model preset. */
static int wants_topn(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--arch") && i + 1 < argc) v = argv[i + 1];
        else if (!strncmp(argv[i], "--arch=", 7)) v = argv[i] + 7;
        bookrec_spec p;
        if (v && bookrec_arch_parse(v, NULL) == BOOKREC_OK && bookrec_preset(v, &p, NULL) != BOOKREC_OK) return 1;
    }
    return 0;
}

typedef struct train_args {
    cli_data_opts d;
    bookrec_spec spec; /* the preset of --arch with the flags given */
    const char *arch, *out, *to_read, *tags_dir;
    uint64_t split_seed;
    double test_fraction;
    int threads, rank, n_tags;
} train_args;

/* Help text of a flag whose default is the preset's: "TEXT (mf/ncf: VALUE unless given)". */
#define PRESET_HELP(buf, text, fmt, value) (snprintf(buf, sizeof buf, "%s (mf/ncf: " fmt " unless given)", text, value), buf)

static void parse_args(int argc, char **argv, train_args *a) {
    bookrec_spec seed, mf; /* the defaults shown in --help */
    bookrec_preset("seed", &seed, NULL);
    bookrec_preset(BOOKREC_ARCH_DEFAULT, &mf, NULL);
    memset(a, 0, sizeof *a);
    bookrec_spec_unset(&a->spec); /* per-architecture defaults: flags left unset are filled from the preset */
    bookrec_model_config *cfg = &a->spec.cfg;
    bookrec_train_options *to = &a->spec.to;
    uint64_t seed_v = to->seed;
    int dense_adam = 0;
    a->arch = BOOKREC_ARCH_DEFAULT;
    a->out = cli_default_model();
    a->split_seed = BOOKREC_SPLIT_SEED;
    a->test_fraction = BOOKREC_TEST_FRACTION;
    a->threads = cli_default_threads();
    a->n_tags = 1000;
    char h_dim[96], h_ep[128], h_lr[96], h_l2[128], h_pat[192], d_dim[16], d_ep[16], d_lr[16];
    snprintf(d_dim, sizeof d_dim, "%d", seed.cfg.dim);
    snprintf(d_ep, sizeof d_ep, "%d", seed.to.epochs);
    snprintf(d_lr, sizeof d_lr, "%g", (double)seed.to.lr);
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&a->d),
        {"arch", 0, CLI_STR, &a->arch, "seed|mf|ncf",
         "model: the tutorial's network (faithful reproduction), biased MF (the default, what npm start trains "
         "and the site ships: best for new readers, docs/models.md), or NCF", BOOKREC_ARCH_DEFAULT},
        {"dim", 0, CLI_INT, &cfg->dim, "N", PRESET_HELP(h_dim, "embedding size", "%d", mf.cfg.dim), d_dim},
        {"hidden", 0, CLI_INT, &cfg->hidden, "N", "width of the dense layer (seed, ncf)", NULL},
        {"implicit", 0, CLI_FLAG, &cfg->implicit, NULL, "add implicit feedback to user vectors (SVD++ style)", NULL},
        {"init-scale", 0, CLI_FLOAT, &cfg->init_scale, "X", "embeddings start uniform in +-X", NULL},
        {"epochs", 0, CLI_INT, &to->epochs, "N",
         PRESET_HELP(h_ep, "passes over the training part, at most with --patience", "%d", mf.to.epochs), d_ep},
        {"batch", 0, CLI_INT, &to->batch, "N", "ratings per Adam step", NULL},
        {"lr", 0, CLI_FLOAT, &to->lr, "X", PRESET_HELP(h_lr, "Adam learning rate", "%g", (double)mf.to.lr), d_lr},
        {"beta1", 0, CLI_FLOAT, &to->beta1, "X", "Adam beta1", NULL},
        {"beta2", 0, CLI_FLOAT, &to->beta2, "X", "Adam beta2", NULL},
        {"eps", 0, CLI_FLOAT, &to->eps, "X", "Adam epsilon", NULL},
        {"reader-lr", 0, CLI_FLOAT, &to->reader_lr, "X",
         "row-wise Adagrad with this learning rate for the readers' rows instead of Adam: one number per reader "
         "in place of Adam's two per weight, for ratings files with millions of readers (0: Adam)", "0"},
        {"l2", 0, CLI_FLOAT, &to->l2, "X",
         PRESET_HELP(h_l2, "L2 on the embedding rows and biases a batch touches", "%g", (double)mf.to.l2), "0"},
        {"l2-row", 0, CLI_FLOAT, &to->l2_row, "X",
         "per-row L2: each user, book (and implicit factor) row is penalised X |row|^2 once per epoch, spread over "
         "its ratings (shrinks rarely seen rows most)", NULL},
        {"l2-dense", 0, CLI_FLOAT, &to->l2_dense, "X", "L2 on the dense layers", NULL},
        {"to-read", 0, CLI_STR, &a->to_read, "FILE",
         "with --implicit: add each user's want-to-read books (CSV with user_id, book_id; 'auto' = DIR/to_read.csv) "
         "to the books they rated", NULL},
        {"tags", 0, CLI_STR, &a->tags_dir, "DIR|auto",
         "mf/ncf: book features from DIR/book_tags.csv + DIR/tags.csv ('auto' = the data directory), joined through "
         "the books file's goodreads_book_id; each book's vector gains a learned sum of its tags' vectors", NULL},
        {"n-tags", 0, CLI_INT, &a->n_tags, "N", "with --tags: keep the N tags found on most books (shelf names dropped)",
         "1000"},
        {"group-users", 0, CLI_FLAG, &to->group_users, NULL,
         "batches hold each user's ratings together (users shuffled): much faster implicit training", NULL},
        {"dense-adam", 0, CLI_FLAG, &dense_adam, NULL, "update every embedding row each step (default: lazy Adam)", NULL},
        {"patience", 0, CLI_INT, &to->patience, "N",
         PRESET_HELP(h_pat, "stop when validation RMSE has not improved for N epochs (0: off); validation is carved "
                     "from training", "%d", mf.to.patience), "0"},
        {"valid-fraction", 0, CLI_DOUBLE, &a->spec.valid_fraction, "F", "part of training held for validation when --patience > 0", NULL},
        {"rank", 0, CLI_FLAG, &a->rank, NULL,
         "also report NDCG@10 for dataset users (test part) and for 1000 new readers (held out of a second model "
         "trained the same way, each folded in from 10 ratings; as bookrec eval), beside popularity", NULL},
        {"seed", 0, CLI_U64, &seed_v, "N", "initialisation and shuffling seed", NULL},
        {"split-seed", 0, CLI_U64, &a->split_seed, "N", "seed of the train/test split", NULL},
        {"test-fraction", 0, CLI_DOUBLE, &a->test_fraction, "F", "part of the ratings held out for testing", NULL},
        {"threads", 0, CLI_INT, &a->threads, "N", "threads (batch slices); default = cores, 2..8", NULL},
        {"out", 'o', CLI_STR, &a->out, "FILE", "model file to write (history .json and .svg go beside it)",
         "<project>/models/model.bkr"},
    };
    cli_parse("train", "bookrec train [OPTIONS]", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    cli_set_noun(&a->d);

    if (bookrec_arch_parse(a->arch, NULL) != BOOKREC_OK || bookrec_preset_fill(a->arch, &a->spec, NULL) != BOOKREC_OK)
        cli_usage_die("train", "train: --arch expects seed, mf, ncf, ease or ials, got '%s'", a->arch);
    if (to->epochs < 1 || to->epochs > BOOKREC_MAX_EPOCHS)
        cli_usage_die("train", "train: --epochs must be in 1..%d", BOOKREC_MAX_EPOCHS);
    if (to->batch < 1) cli_usage_die("train", "train: --batch must be at least 1");
    if (cfg->dim < 1 || cfg->hidden < 1) cli_usage_die("train", "train: --dim and --hidden must be at least 1");
    if (!(a->test_fraction > 0 && a->test_fraction < 1)) cli_usage_die("train", "train: --test-fraction must be in (0, 1)");
    if (!(a->spec.valid_fraction > 0 && a->spec.valid_fraction < 1))
        cli_usage_die("train", "train: --valid-fraction must be in (0, 1)");
    if (a->threads < 1 || a->threads > 256) cli_usage_die("train", "train: --threads must be in 1..256");
    if (to->patience < 0) cli_usage_die("train", "train: --patience must be >= 0");
    if (!(to->reader_lr >= 0.0f) || (to->reader_lr > 0.0f && dense_adam))
        cli_usage_die("train", "train: --reader-lr must be >= 0, and it needs lazy Adam (not --dense-adam)");
    if (a->to_read && !cfg->implicit) cli_usage_die("train", "train: --to-read needs --implicit");
    if (a->tags_dir && cfg->arch == BOOKREC_ARCH_SEED) cli_usage_die("train", "train: --tags needs --arch mf or ncf");
    if (a->tags_dir && (a->n_tags < 1 || a->n_tags > 100000)) cli_usage_die("train", "train: --n-tags must be in 1..100000");
    cfg->seed = seed_v;
    to->seed = seed_v;
    to->lazy_adam = !dense_adam;
}

/* ------------------------------------------------------------------ features */

/* --tags: the core's tag weights from the data directory's (or the given directory's) tag files. */
static bookrec_tag_weights *load_tags(train_args *a, const bookrec_ratings *r) {
    bookrec_error err = {0};
    const char *dir = !strcmp(a->tags_dir, "auto") ? cli_data_dir(&a->d) : a->tags_dir;
    bookrec_items *books = cli_load_books(&a->d);
    if (!books) cli_die("--tags needs the books file (books.csv with goodreads_book_id) to join book_tags.csv");
    bookrec_tag_files tf;
    cli_read_tag_files(dir, books, r->items, &tf);
    bookrec_tag_weights *tg = NULL;
    if (bookrec_tag_weights_create(&tf, a->n_tags, 20, &tg, &err) != BOOKREC_OK) cli_die("--tags: %s", err.msg);
    char g1[32];
    fprintf(stderr, "tags: %d kept from %s (%s rows), %d of %d books tagged, %d shelf-name tags dropped (%s, ...)\n",
            tg->n_tags, tf.book_tags_source, cli_group(tg->rows, g1), tg->books_with_tags, tg->n_items, tg->dropped,
            tg->dropped_list);
    if (tg->n_tags < 1) cli_die("%s: no usable tags for the books of the ratings", tf.book_tags_source);
    cli_tag_files_free(&tf);
    bookrec_items_free(books);
    return tg;
}

/* --to-read: the want-to-read pairs joining N(u) (NULL without the flag); *path gets the file read (new string). */
static bookrec_pairs *load_to_read(train_args *a, const bookrec_ratings *r, char **path) {
    *path = NULL;
    if (!a->to_read) return NULL;
    bookrec_error err = {0};
    bookrec_pairs *trp = NULL;
    *path = !strcmp(a->to_read, "auto") ? cli_fmt("%s/to_read.csv", cli_data_dir(&a->d)) : strdup(a->to_read);
    if (!*path) cli_die("out of memory");
    size_t len = 0;
    char *buf = cli_read_file_or_die(*path, &len);
    if (bookrec_pairs_parse(buf, len, *path, r->users, r->items, NULL, &trp, &err) != BOOKREC_OK)
        cli_die("%s", err.msg);
    free(buf);
    return trp;
}

/* ------------------------------------------------------------------ the command */

/* bookrec_train_fit's report of the packed training ratings (5-8 bytes each instead of 12). */
static void on_pack(void *ctx, const bookrec_packed *pk, const char *why_not) {
    (void)ctx;
    char g[32];
    if (!pk) cli_note("training ratings not packed (%s)", why_not);
    else
        fprintf(stderr, "training ratings packed: %s ratings at %d bytes each (user %d bits, %s %d bits, rating %d "
                "bits)\n", cli_group(pk->n, g), pk->width, pk->ubits, cli_noun(0), pk->ibits, pk->cbits);
}

static void on_split(void *ctx) {
    train_ctx *c = ctx;
    c->t_split = cli_now() - c->t0;
}

/* The model is made: the implicit sets' line, the training line; the clocks start. */
static void on_model(void *ctx, const bookrec_model *m, const bookrec_train_run *run) {
    train_ctx *c = ctx;
    char g1[32], g2[32], g3[32], hid[32] = "";
    if (c->to_read)
        fprintf(stderr, "implicit sets: rated %s + %s want-to-read pairs from %s (%s rows, %s of known users and "
                "%s)\n", cli_noun(1), cli_group(run->to_read_added, g1), c->to_read_path, cli_group(c->to_read->rows, g2),
                cli_group(c->to_read->n, g3), cli_noun(1));
    const bookrec_model_config *cfg = bookrec_model_get_config(m);
    if (cfg->arch != BOOKREC_ARCH_MF) snprintf(hid, sizeof hid, ", hidden %d", cfg->hidden);
    fprintf(stderr, "training %s (dim %d%s) on %s ratings, testing on %s, %d thread%s, kernels %s\n", c->arch, cfg->dim,
            hid, cli_group(run->n_fit, g1), cli_group(run->n_test, g2), c->threads, c->threads == 1 ? "" : "s",
            bookrec_kernel_name());
    /* Adam's two moments per weight of the readers' rows: past a gigabyte, say that --reader-lr keeps one per reader */
    double moments = 8.0 * (double)cfg->n_users * (double)(cfg->dim + (cfg->arch != BOOKREC_ARCH_SEED));
    if (c->reader_lr <= 0.0f && moments > 1e9)
        cli_note("Adam's moments of the %s readers' rows take %s; --reader-lr 0.03 (row-wise Adagrad) keeps one "
                 "number per reader instead (docs/scale.md)", cli_group((size_t)cfg->n_users, g1),
                 cli_bytes((long long)moments, g2));
    c->epoch_start = c->t_train = cli_now();
}

static void on_trained(void *ctx) {
    train_ctx *c = ctx;
    c->t_train = cli_now() - c->t_train;
    if (c->runner)
        fprintf(stderr, "thread pool: %.0f%% of the parallel calls ran on one thread (timed both ways, the faster "
                        "chosen; the model does not depend on it)\n", 100.0 * cli_runner_inline_share(c->runner));
}

int cmd_train(int argc, char **argv) {
    if (wants_topn(argc, argv)) return cmd_train_topn(argc, argv);
    train_args a;
    parse_args(argc, argv, &a);
    bookrec_spec *spec = &a.spec;

    double read_s = 0, parse_s = 0;
    bookrec_ratings *r = cli_load_ratings(&a.d, &read_s, &parse_s);
    char g1[32], g2[32], g3[32];
    fprintf(stderr, "read %s: %s ratings, %s users, %s %s (%zu duplicate pairs merged)\n", cli_ratings_path(&a.d),
            cli_group(r->all.n, g1), cli_group((size_t)bookrec_ids_count(r->users), g2),
            cli_group((size_t)bookrec_ids_count(r->items), g3), cli_noun(1), r->duplicates);
    fprintf(stderr, "CSV read %.3f s, parse %.3f s\n", read_s, parse_s);

    train_ctx c = {.arch = a.arch, .epochs = spec->to.epochs, .tty = isatty(2), .cur_epoch = 1, .threads = a.threads,
                   .reader_lr = spec->to.reader_lr};
    bookrec_tag_weights *tg = a.tags_dir ? load_tags(&a, r) : NULL;
    char *tr_path = NULL;
    bookrec_pairs *trp = spec->cfg.implicit ? load_to_read(&a, r, &tr_path) : NULL;
    spec->tags = tg;
    spec->to_read = c.to_read = trp;
    c.to_read_path = tr_path;
    c.runner = a.threads > 1 ? cli_runner_start(a.threads) : NULL;
    bookrec_spec_row row = {0}; /* --rank's second model, with the progress lines of `bookrec eval` */
    evr_fit_log log;
    row.spec = *spec;
    evr_spec_threads(&row.spec, c.runner, a.threads);
    evr_log_fits(&row, &log);
    evr_spec_threads(spec, c.runner, a.threads);
    if (c.tty) {
        spec->to.progress = on_progress;
        spec->to.progress_ctx = &c;
        spec->to.progress_every = 512;
    }
    bookrec_train_run_options o = {a.test_fraction, a.split_seed, a.rank, {0}, &row, on_split, on_model, on_pack,
                                   on_epoch, on_trained, on_ranked, &c};
    bookrec_train_run run;
    bookrec_error err = {0};
    c.t0 = cli_now();
    int st = bookrec_train_run_make(r, spec, &o, &run, &err);
    cli_check(st, &err, run.failed && !strcmp(run.failed, "training") ? "training failed (no model written)" : run.failed);
    cli_runner_stop(c.runner);

    /* model first, atomically; nothing else is written when this fails */
    double t_save = cli_now();
    size_t n_bytes = cli_save_model_or_die(a.out, run.model, NULL); /* a megabyte at a time: no second copy */
    t_save = cli_now() - t_save;

    bookrec_train_options to = spec->to;
    to.n_tasks = a.threads > 1 ? a.threads : 1;
    cli_train_report rep = {a.out, &run, &to, a.to_read, a.tags_dir, tg ? tg->n_tags : 0, a.split_seed,
                            a.test_fraction, cli_ratings_path(&a.d), r, read_s, parse_s, c.t_split, c.t_train, t_save,
                            n_bytes, a.rank};
    char *hist_path = cli_history_path(a.out), *svg_path = cli_replace_ext(a.out, ".loss.svg");
    cli_write_train_report(&rep, hist_path, svg_path);

    double sum_epoch = 0;
    for (int i = 0; i < run.n_history; i++) sum_epoch += run.history[i].seconds;
    printf("test mse %.4f rmse %.4f mae %.4f after %d epoch%s", run.test_mse, sqrt(run.test_mse), run.test_mae,
           run.n_history, run.n_history == 1 ? "" : "s");
    if (to.patience > 0) printf(" (kept epoch %d, the best on validation)", run.best_epoch);
    printf("\n");
    printf("CSV parse %.3f s; training %.2f s (%.2f s per epoch)\n", parse_s, c.t_train,
           run.n_history ? sum_epoch / run.n_history : 0.0);
    printf("wrote %s (%s)\n      %s\n      %s\n", a.out, cli_bytes((long long)n_bytes, g1), hist_path, svg_path);
    free(hist_path);
    free(svg_path);
    free(tr_path);
    bookrec_train_run_free(&run);
    bookrec_tag_weights_free(tg);
    bookrec_pairs_free(trp);
    bookrec_ratings_free(r);
    return 0;
}
