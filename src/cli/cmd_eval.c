/*
 * cmd_eval.c - `bookrec eval`: one table of figures on one split. Rows are predictors (the global-mean
 * and user+book-bias baselines, then each model given with --model), columns are metrics (test RMSE and
 * MAE for now). The table is a small generic structure (eval_table) so further rows (popularity, more
 * models) and columns (ranking metrics) are added with eval_row/eval_set without touching the printers.
 * The split is the training run's (seed and fraction from the model's history JSON) unless flags say
 * otherwise. `--report FILE` writes the same table as Markdown and JSON (FILE.md, FILE.json).
 * Not a trainer: it never changes a model.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "eval_rank.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the table */

#define EVAL_MAX_COLS 40
#define EVAL_MAX_ROWS 32

typedef struct eval_col {
    const char *key;   /* JSON key, e.g. "rmse" */
    const char *title; /* column title, e.g. "RMSE" */
    int decimals;
} eval_col;

typedef struct eval_row {
    char name[96];
    char note[320];
    double v[EVAL_MAX_COLS];  /* NaN: not measured */
    double sd[EVAL_MAX_COLS], lo[EVAL_MAX_COLS], hi[EVAL_MAX_COLS]; /* over seeds; NaN: a single figure */
} eval_row;

typedef struct eval_table {
    eval_col col[EVAL_MAX_COLS];
    int n_cols;
    eval_row row[EVAL_MAX_ROWS];
    int n_rows;
} eval_table;

/* Adds (or finds) a column; returns its index. */
static int eval_col_add(eval_table *t, const char *key, const char *title, int decimals) {
    for (int c = 0; c < t->n_cols; c++)
        if (!strcmp(t->col[c].key, key)) return c;
    if (t->n_cols >= EVAL_MAX_COLS) cli_die("eval: too many columns");
    t->col[t->n_cols] = (eval_col){key, title, decimals};
    return t->n_cols++;
}

/* Adds a row with every value unmeasured; returns its index. */
static int eval_row_add(eval_table *t, const char *name, const char *note) {
    if (t->n_rows >= EVAL_MAX_ROWS) cli_die("eval: too many rows");
    eval_row *r = &t->row[t->n_rows];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->note, sizeof r->note, "%s", note ? note : "");
    for (int c = 0; c < EVAL_MAX_COLS; c++) r->v[c] = r->sd[c] = r->lo[c] = r->hi[c] = NAN;
    return t->n_rows++;
}

static int eval_col_find(const eval_table *t, const char *key) {
    for (int c = 0; c < t->n_cols; c++)
        if (!strcmp(t->col[c].key, key)) return c;
    cli_die("eval: internal: no column %s", key);
}

static void eval_set(eval_table *t, int row, const char *key, double v) { t->row[row].v[eval_col_find(t, key)] = v; }

/* A figure over seeds: the mean, shown with ± its standard deviation; min and max go to the JSON. */
static void eval_set_stat(eval_table *t, int row, const char *key, double mean, double sd, double lo, double hi) {
    int c = eval_col_find(t, key);
    eval_row *r = &t->row[row];
    r->v[c] = mean; r->sd[c] = sd; r->lo[c] = lo; r->hi[c] = hi;
}

static void fmt_cell(const eval_table *t, int r, int c, char *buf, size_t cap) {
    double v = t->row[r].v[c], sd = t->row[r].sd[c];
    int d = t->col[c].decimals;
    if (isnan(v)) snprintf(buf, cap, "-");
    else if (isnan(sd)) snprintf(buf, cap, "%.*f", d, v);
    else snprintf(buf, cap, "%.*f±%.*f", d, v, d, sd);
}

/* Prints the table in blocks of at most 6 columns (the new-reader columns are wide), notes after the last. */
static void print_text(const eval_table *t, FILE *f) {
    int wn = 5;
    for (int r = 0; r < t->n_rows; r++)
        if ((int)strlen(t->row[r].name) > wn) wn = (int)strlen(t->row[r].name);
    for (int c0 = 0; c0 < t->n_cols; c0 += 6) {
        int c1 = c0 + 6 < t->n_cols ? c0 + 6 : t->n_cols, last = c1 == t->n_cols;
        int w[6];
        for (int c = c0; c < c1; c++) {
            w[c - c0] = (int)strlen(t->col[c].title);
            for (int r = 0; r < t->n_rows; r++) {
                char cell[64];
                fmt_cell(t, r, c, cell, sizeof cell);
                int l = (int)strlen(cell) - (strstr(cell, "±") ? 1 : 0); /* ± is 2 bytes, one column */
                if (l > w[c - c0]) w[c - c0] = l;
            }
        }
        if (c0 > 0) fprintf(f, "\n");
        fprintf(f, "%-*s", wn, "model");
        for (int c = c0; c < c1; c++) fprintf(f, "  %*s", w[c - c0], t->col[c].title);
        fprintf(f, last ? "  notes\n" : "\n");
        for (int r = 0; r < t->n_rows; r++) {
            fprintf(f, "%-*s", wn, t->row[r].name);
            for (int c = c0; c < c1; c++) {
                char cell[64];
                fmt_cell(t, r, c, cell, sizeof cell);
                fprintf(f, "  %*s", w[c - c0] + (strstr(cell, "±") ? 1 : 0), cell);
            }
            if (last) fprintf(f, "  %s", t->row[r].note);
            fprintf(f, "\n");
        }
    }
}

static char *markdown(const eval_table *t, const char *caption) {
    size_t cap = 4096 + (size_t)t->n_rows * (size_t)(t->n_cols + 2) * 200, o = 0;
    char *s = malloc(cap);
    if (!s) cli_die("out of memory");
#define MD(...) (o += (size_t)snprintf(s + o, cap - o, __VA_ARGS__), o = o < cap ? o : cap - 1)
    MD("%s\n\n| model |", caption);
    for (int c = 0; c < t->n_cols; c++) MD(" %s |", t->col[c].title);
    MD(" notes |\n|---|");
    for (int c = 0; c < t->n_cols; c++) MD("---:|");
    MD("---|\n");
    for (int r = 0; r < t->n_rows; r++) {
        MD("| %s |", t->row[r].name);
        for (int c = 0; c < t->n_cols; c++) {
            char cell[64];
            fmt_cell(t, r, c, cell, sizeof cell);
            MD(" %s |", cell);
        }
        MD(" %s |\n", t->row[r].note);
    }
#undef MD
    return s;
}

static cJSON *table_json(const eval_table *t) {
    cJSON *cols = cJSON_CreateArray();
    for (int c = 0; c < t->n_cols; c++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "key", t->col[c].key);
        cJSON_AddStringToObject(o, "title", t->col[c].title);
        cJSON_AddItemToArray(cols, o);
    }
    cJSON *rows = cJSON_CreateArray();
    for (int r = 0; r < t->n_rows; r++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", t->row[r].name);
        cJSON_AddStringToObject(o, "note", t->row[r].note);
        for (int c = 0; c < t->n_cols; c++) {
            double v = t->row[r].v[c];
            if (isnan(v)) cJSON_AddNullToObject(o, t->col[c].key);
            else cJSON_AddNumberToObject(o, t->col[c].key, v);
            if (isnan(v) || isnan(t->row[r].sd[c])) continue;
            const char *suffix[3] = {"_sd", "_min", "_max"};
            double w[3] = {t->row[r].sd[c], t->row[r].lo[c], t->row[r].hi[c]};
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

/* ------------------------------------------------------------------ the command */

/* Adapters handing the table to eval_rank.c (ranking columns, --all rows). */
static int sink_col(void *t, const char *key, const char *title, int dec) { return eval_col_add(t, key, title, dec); }
static int sink_row(void *t, const char *name, const char *note) { return eval_row_add(t, name, note); }
static void sink_set(void *t, int row, const char *key, double v) { eval_set(t, row, key, v); }
static void sink_stat(void *t, int row, const char *key, double m, double sd, double lo, double hi) {
    eval_set_stat(t, row, key, m, sd, lo, hi);
}
static void sink_note(void *t, int row, const char *note) {
    eval_row *r = &((eval_table *)t)->row[row];
    snprintf(r->note, sizeof r->note, "%s", note);
}
static double sink_get(void *vt, int row, const char *key) {
    const eval_table *t = vt;
    for (int c = 0; c < t->n_cols; c++)
        if (!strcmp(t->col[c].key, key)) return t->row[row].v[c];
    return NAN;
}
static int sink_rows(void *t) { return ((eval_table *)t)->n_rows; }

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int cmd_eval(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *models = cli_default_model(), *report = NULL, *tags_dir = NULL, *tastes = EVR_TASTES;
    double min_share = -1;
    uint64_t split_seed = UINT64_MAX;
    double test_fraction = -1;
    bookrec_bias_options bo = {0};
    evr_eval_opts ro;
    evr_eval_opts_default(&ro);
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
        EVR_EVAL_FLAGS(&ro),
        {"tastes", 0, CLI_STR, &tastes, "LIST", "with --personas: tastes, comma-separated: a built-in name, or "
         "name=shelf/shelf/... (shelf names of tags.csv)", EVR_TASTES},
        {"min-share", 0, CLI_DOUBLE, &min_share, "X", "with --personas: exit 1, naming the tastes below X, when the "
         "mean share over the tastes is below X", "off"},
        {"tags", 0, CLI_STR, &tags_dir, "DIR", "with --personas: where book_tags.csv and tags.csv are",
         "the data directory"},
    };
    cli_parse("eval", "bookrec eval [--model FILE[,FILE...]] [--report FILE]", opts,
              (int)(sizeof opts / sizeof opts[0]), argc, argv);

    if (ro.personas) {
        if (strchr(models, ',')) cli_usage_die("eval", "eval: --personas takes one --model file");
        if (ro.all) cli_usage_die("eval", "eval: --personas and --all do not go together");
        return evr_personas(&d, models, tags_dir, tastes, min_share, &ro, report);
    }

    /* model paths */
    char *list = strdup(models);
    char *paths[EVAL_MAX_ROWS];
    int n_models = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!*tok) continue;
        if (n_models >= EVAL_MAX_ROWS - 4) cli_usage_die("eval", "eval: too many models");
        paths[n_models++] = tok;
    }
    if (n_models == 0) cli_usage_die("eval", "eval: --model needs at least one file");
    if (ro.all && !strcmp(models, cli_default_model())) n_models = 0; /* --all: only models named with --model */

    int from_history = cli_split_settings(n_models > 0 ? paths[0] : NULL, &split_seed, &test_fraction);
    if (!(test_fraction > 0 && test_fraction < 1)) cli_usage_die("eval", "eval: --test-fraction must be in (0, 1)");

    bookrec_model **m = calloc((size_t)n_models, sizeof *m);
    for (int k = 0; k < n_models; k++) m[k] = cli_load_model(paths[k]);

    bookrec_ratings *r = cli_load_ratings(&d, NULL, NULL);
    bookrec_triples train = {0}, test = {0};
    bookrec_error err = {0};
    cli_check(bookrec_split(r, test_fraction, split_seed, &train, &test, &err), &err, "split");
    int n_users = bookrec_ids_count(r->users), n_items = bookrec_ids_count(r->items);

    eval_table t = {0};
    eval_col_add(&t, "rmse", "RMSE", 4);
    eval_col_add(&t, "mae", "MAE", 4);

    double mu = 0, mse = 0, mae = 0;
    cli_check(bookrec_global_mean(&train, &mu, &err), &err, "global mean");
    cli_check(bookrec_constant_evaluate(mu, &test, &mse, &mae, &err), &err, "global mean");
    char note[160];
    snprintf(note, sizeof note, "mu = %.4f", mu);
    int row = eval_row_add(&t, "global mean / popularity", note);
    eval_set(&t, row, "rmse", sqrt(mse));
    eval_set(&t, row, "mae", mae);

    bookrec_bias_model *bias = NULL;
    cli_check(bookrec_bias_fit(&train, n_users, n_items, &bo, &bias, &err), &err, "bias baseline");
    cli_check(bookrec_bias_evaluate(bias, &test, &mse, &mae, &err), &err, "bias baseline");
    snprintf(note, sizeof note, "mu + b_u + b_i, %d ALS rounds, lambda %g/%g", bo.iters ? bo.iters : 10,
             (double)(bo.lambda_item ? bo.lambda_item : 5), (double)(bo.lambda_user ? bo.lambda_user : 5));
    row = eval_row_add(&t, "user+book bias", note);
    eval_set(&t, row, "rmse", sqrt(mse));
    eval_set(&t, row, "mae", mae);
    bookrec_bias_free(bias);

    for (int k = 0; k < n_models; k++) {
        double rmse = 0, ma = 0;
        size_t used = cli_eval_model(m[k], r, &test, &rmse, &ma);
        const bookrec_model_config *c = bookrec_model_get_config(m[k]);
        char name[96];
        snprintf(name, sizeof name, "%s (%s)", bookrec_arch_name(c->arch), base_name(paths[k]));
        char hid[32] = "";
        if (c->arch != BOOKREC_ARCH_MF) snprintf(hid, sizeof hid, ", hidden %d", c->hidden);
        snprintf(note, sizeof note, "dim %d%s, %zu test ratings", c->dim, hid, used);
        row = eval_row_add(&t, name, note);
        eval_set(&t, row, "rmse", rmse);
        eval_set(&t, row, "mae", ma);
    }

    evr_sink sink = {&t, sink_col, sink_row, sink_set, sink_stat, sink_note, sink_get, sink_rows};
    char *rank_caption = evr_extend_eval(&ro, r, &train, &test, split_seed, m, n_models, 0, 1, 2, &sink);

    char g1[32], g2[32];
    char *caption = cli_fmt("Test split: %s of %s ratings (seed %llu, test fraction %g%s). %s", cli_group(test.n, g1),
                            cli_group(r->all.n, g2), (unsigned long long)split_seed, test_fraction,
                            from_history ? ", from the training history" : "", rank_caption);
    free(rank_caption);
    printf("%s\n\n", caption);
    print_text(&t, stdout);

    if (report) {
        char *base = strdup(report);
        size_t bl = strlen(base);
        if (bl > 3 && !strcmp(base + bl - 3, ".md")) base[bl - 3] = '\0';
        else if (bl > 5 && !strcmp(base + bl - 5, ".json")) base[bl - 5] = '\0';
        char *md_path = cli_fmt("%s.md", base), *json_path = cli_fmt("%s.json", base);
        char *md = markdown(&t, caption);
        cli_write_atomic_or_die(md_path, md, strlen(md));
        cJSON *root = table_json(&t);
        cJSON *js = cJSON_CreateObject();
        cJSON_AddNumberToObject(js, "seed", (double)split_seed);
        cJSON_AddNumberToObject(js, "test_fraction", test_fraction);
        cJSON_AddNumberToObject(js, "train", (double)train.n);
        cJSON_AddNumberToObject(js, "test", (double)test.n);
        cJSON_AddStringToObject(js, "ratings", cli_ratings_path(&d));
        cJSON_AddItemToObject(root, "split", js);
        cli_write_json_or_die(json_path, root);
        printf("\nwrote %s and %s\n", md_path, json_path);
        free(md);
        free(md_path);
        free(json_path);
        free(base);
    }
    free(caption);
    for (int k = 0; k < n_models; k++) bookrec_model_free(m[k]);
    free(m);
    free(list);
    bookrec_triples_free(&train);
    bookrec_triples_free(&test);
    bookrec_ratings_free(r);
    return 0;
}
