/*
 * cmd_import_als.c - `bookrec import-als`: turns the factor tables of an implicit ALS model trained elsewhere
 * (Spark MLlib's ALS with implicitPrefs=true, written with model.itemFactors.write.json(...) and
 * model.userFactors.write.json(...)) into a bookrec iALS model file that `bookrec export`, `recommend` and the
 * site take as they are. Each table is one JSON-lines file or a directory of part-* files (_SUCCESS, .crc and
 * other hidden files are skipped), one {"id": 123, "features": [0.1, ...]} per line; ids are integers or strings.
 * The books are joined by the books file's id column: the model holds, in the books file's order, every book with
 * factors; a book without factors (one nobody rated in the data the factors were trained on) is left out with a
 * warning and a count (--strict: an error), and factors of a book not in the books file are an error. Readers are
 * taken in the factor files' order, or with --ratings in the ratings' own order, checked the same way. The model
 * carries the fold-in settings given by the flags: Spark's alpha and regParam (lambda = regParam times the reader's
 * ratings, reg_observed_only) with weights equal to the ratings, or bookrec's own (--lambda, --reg-exp).
 * Reading the files and the flags only: the join, the model and its fold-in are the core's (src/factors.c).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ID_LEN 64
#define MAX_LISTED 5 /* missing ids named in a warning */

/* One factor table as read: ids in file order, their rows, and where each row came from. */
typedef struct factors {
    const char *what;  /* "book", "reader": in messages */
    bookrec_ids *ids;
    float *v;          /* rows x dim */
    size_t n, cap;
    int dim;
    char **files;      /* the files read, for messages */
    int n_files;
    int32_t *file_of, *line_of;
    char dim_where[600]; /* "FILE:LINE" of the row that set dim */
} factors;

/* "FILE:LINE" of row k, in a static buffer (one at a time). */
static const char *where_of(const factors *f, size_t k) {
    static char buf[600];
    snprintf(buf, sizeof buf, "%s:%d", f->files[f->file_of[k]], (int)f->line_of[k]);
    return buf;
}

/* The id of a factor line into id[MAX_ID_LEN + 1]: an integral number or a non-empty string. */
static void line_id(const cJSON *o, const char *path, size_t line, char *id) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, "id");
    if (!j) cli_die("%s:%zu: no \"id\"", path, line);
    if (cJSON_IsNumber(j)) {
        double v = j->valuedouble;
        if (!(v == floor(v)) || fabs(v) > 9007199254740992.0)
            cli_die("%s:%zu: id %g is not an integer", path, line, v);
        snprintf(id, MAX_ID_LEN + 1, "%lld", (long long)v);
    } else if (cJSON_IsString(j) && j->valuestring[0]) {
        if (strlen(j->valuestring) > MAX_ID_LEN)
            cli_die("%s:%zu: id is longer than %d bytes", path, line, MAX_ID_LEN);
        strcpy(id, j->valuestring);
    } else {
        cli_die("%s:%zu: \"id\" is neither a number nor a non-empty string", path, line);
    }
}

/* Parses one JSON line of a factor table and appends its row. */
static void parse_line(factors *f, int file, size_t line, const char *text, size_t len) {
    const char *path = f->files[file];
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!o || !cJSON_IsObject(o))
        cli_die("%s:%zu: not a JSON object (expected {\"id\": ..., \"features\": [...]}): %.60s", path, line, text);
    char id[MAX_ID_LEN + 1];
    line_id(o, path, line, id);
    const cJSON *feat = cJSON_GetObjectItemCaseSensitive(o, "features");
    if (!cJSON_IsArray(feat)) cli_die("%s:%zu: no \"features\" array", path, line);
    int n = cJSON_GetArraySize(feat);
    if (f->dim == 0) {
        if (n < 1 || n > BOOKREC_IALS_MAX_DIM)
            cli_die("%s:%zu: features has %d values; a model takes 1..%d", path, line, n, BOOKREC_IALS_MAX_DIM);
        f->dim = n;
        snprintf(f->dim_where, sizeof f->dim_where, "%s:%zu", path, line);
    } else if (n != f->dim) {
        cli_die("%s:%zu: features has %d values, expected %d (as at %s)", path, line, n, f->dim, f->dim_where);
    }
    int k = bookrec_ids_find(f->ids, id, -1);
    if (k >= 0) cli_die("%s:%zu: %s %s appears twice (first at %s)", path, line, f->what, id, where_of(f, (size_t)k));
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 1024;
        f->v = realloc(f->v, f->cap * (size_t)f->dim * sizeof *f->v);
        f->file_of = realloc(f->file_of, f->cap * sizeof *f->file_of);
        f->line_of = realloc(f->line_of, f->cap * sizeof *f->line_of);
        if (!f->v || !f->file_of || !f->line_of) cli_die("out of memory reading %s", path);
    }
    float *row = f->v + f->n * (size_t)f->dim;
    int a = 0;
    for (const cJSON *x = feat->child; x; x = x->next, a++) {
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || fabs(x->valuedouble) > FLT_MAX)
            cli_die("%s:%zu: features[%d] is not a finite number", path, line, a);
        row[a] = (float)x->valuedouble;
    }
    if (bookrec_ids_add(f->ids, id, (int)strlen(id)) != (int)f->n) cli_die("out of memory reading %s", path);
    f->file_of[f->n] = file;
    f->line_of[f->n] = line > INT32_MAX ? INT32_MAX : (int32_t)line;
    f->n++;
    cJSON_Delete(o);
}

/* Reads one JSON-lines file into f. */
static void read_file(factors *f, int file) {
    const char *path = f->files[file];
    FILE *in = fopen(path, "r");
    if (!in) cli_die("%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, line = 0;
    ssize_t got;
    while ((got = getline(&buf, &cap, in)) >= 0) {
        line++;
        size_t len = (size_t)got;
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
            len--;
        size_t s = 0;
        while (s < len && (buf[s] == ' ' || buf[s] == '\t')) s++;
        if (s == len) continue; /* blank line */
        parse_line(f, file, line, buf + s, len - s);
    }
    if (ferror(in)) cli_die("%s: read error", path);
    free(buf);
    fclose(in);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The files of a table: PATH itself, or PATH's part-* files in name order (Spark's bookkeeping skipped). */
static void list_files(factors *f, const char *path) {
    if (!cli_is_dir(path)) {
        if (!cli_is_file(path)) cli_die("%s: no such file or directory (the %s factors)", path, f->what);
        f->files = malloc(sizeof *f->files);
        if (!f->files) cli_die("out of memory");
        f->files[0] = cli_fmt("%s", path);
        f->n_files = 1;
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) cli_die("%s: %s", path, strerror(errno));
    struct dirent *e;
    int cap = 0;
    while ((e = readdir(dir))) {
        const char *nm = e->d_name;
        size_t len = strlen(nm);
        if (nm[0] == '.' || nm[0] == '_' || (len > 4 && !strcmp(nm + len - 4, ".crc"))) continue; /* _SUCCESS, .crc */
        if (strncmp(nm, "part-", 5)) {
            cli_warn("%s/%s: not a part-* file; ignored", path, nm);
            continue;
        }
        const char *dot = strrchr(nm, '.');
        if (dot && (!strcmp(dot, ".gz") || !strcmp(dot, ".bz2") || !strcmp(dot, ".snappy") || !strcmp(dot, ".lz4") ||
                    !strcmp(dot, ".zst") || !strcmp(dot, ".deflate")))
            cli_die("%s/%s: compressed part files are not read; write the factors with .option(\"compression\", "
                    "\"none\")", path, nm);
        if (f->n_files == cap) {
            cap = cap ? 2 * cap : 16;
            f->files = realloc(f->files, (size_t)cap * sizeof *f->files);
            if (!f->files) cli_die("out of memory");
        }
        f->files[f->n_files++] = cli_join(path, nm);
    }
    closedir(dir);
    if (f->n_files == 0) cli_die("%s: no part-* files in the directory (the %s factors)", path, f->what);
    qsort(f->files, (size_t)f->n_files, sizeof *f->files, cmp_str);
}

/* Reads a factor table from a file or a directory of part files. */
static void read_factors(factors *f, const char *what, const char *path) {
    memset(f, 0, sizeof *f);
    f->what = what;
    f->ids = bookrec_ids_create();
    if (!f->ids) cli_die("out of memory");
    list_files(f, path);
    for (int k = 0; k < f->n_files; k++) read_file(f, k);
    if (f->n == 0) cli_die("%s: no factor rows (the %s factors)", path, what);
}

static void free_factors(factors *f) {
    for (int k = 0; k < f->n_files; k++) free(f->files[k]);
    free(f->files);
    free(f->v);
    free(f->file_of);
    free(f->line_of);
    bookrec_ids_free(f->ids);
}

/* The model's rows of one side (bookrec_factors_join_create): the catalogue's ids (NULL: every factor row in file
   order) that have factors. A catalogue id without factors is counted (an error with strict), factors of an id
   outside the catalogue are an error naming where. */
static bookrec_factors_join *join(const factors *f, const bookrec_ids *cat, const char *cat_name, int strict) {
    bookrec_factors_join *j = NULL;
    bookrec_error err = {0};
    cli_check(bookrec_factors_join_create(f->ids, cat, &j, &err), &err, NULL);
    char listed[MAX_LISTED * (MAX_ID_LEN + 2) + 1] = "";
    for (int k = 0; k < j->n_missing && k < MAX_LISTED; k++)
        snprintf(listed + strlen(listed), sizeof listed - strlen(listed), "%s%s", k ? ", " : "",
                 bookrec_ids_get(cat, j->missing[k]));
    int missing = j->n_missing, n = j->n;
    if (j->n_extra)
        cli_die("%s: %s %s has factors but is not in %s (%d such %ss); the factors and %s must describe the same "
                "catalogue", where_of(f, (size_t)j->first_extra), f->what, bookrec_ids_get(f->ids, j->first_extra),
                cat_name, j->n_extra, f->what, cat_name);
    if (missing && (strict || n == 0))
        cli_die("%d of the %d %ss in %s have no factors (%s%s)%s", missing, j->n_catalogue, f->what, cat_name, listed,
                missing > MAX_LISTED ? ", ..." : "",
                n == 0 ? "; is the id column right (--item-id-col, --user-col)?" : " (--strict)");
    if (missing)
        cli_warn("%d of the %d %ss in %s have no factors and are left out of the model (%s%s); --strict makes "
                 "this an error", missing, j->n_catalogue, f->what, cat_name, listed, missing > MAX_LISTED ? ", ..." : "");
    return j;
}

/* The rating scale: the ratings' when given, else --min-rating/--max-rating, else 1..5. */
static void rating_scale(const cli_data_opts *d, const bookrec_ratings *r, float *lo, float *hi) {
    *lo = 1, *hi = 5;
    if (r) {
        *lo = r->min_rating, *hi = r->max_rating;
        return;
    }
    if (!d->min_rating != !d->max_rating) cli_usage_die("import-als", "give both --min-rating and --max-rating");
    if (!d->min_rating) return;
    char *e1, *e2;
    *lo = strtof(d->min_rating, &e1);
    *hi = strtof(d->max_rating, &e2);
    if (*e1 || *e2 || !isfinite(*lo) || !isfinite(*hi) || !(*lo < *hi))
        cli_usage_die("import-als", "--min-rating %s --max-rating %s is not a scale", d->min_rating, d->max_rating);
}

/* The fold-in settings from the flags: Spark's (alpha, regParam) or bookrec's (--lambda, --reg-exp). */
static void fold_in_options(bookrec_ials_options *o, float alpha, float reg_param, float lambda, float reg_exp,
                            const char *weights, float lo, float hi) {
    memset(o, 0, sizeof *o);
    if (!(alpha >= 0) || !isfinite(alpha)) cli_usage_die("import-als", "--alpha must be finite and >= 0");
    o->alpha = alpha > 0 ? alpha : -1.0f; /* 0 means "none" to the core, not its default */
    o->unobserved = 1.0f;
    if (lambda > 0) {
        if (reg_param >= 0) cli_usage_die("import-als", "give --reg-param (Spark) or --lambda (bookrec), not both");
        o->lambda = lambda;
        if (reg_exp > 0 && !isfinite(reg_exp)) cli_usage_die("import-als", "--reg-exp must be finite");
        o->reg_exp = reg_exp < 0 ? 1.0f : reg_exp > 0 ? reg_exp : -1.0f; /* unset: 1; 0: plain lambda */
    } else {
        if (lambda < 0 || reg_exp >= 0) cli_usage_die("import-als", "--lambda must be > 0; --reg-exp goes with --lambda");
        if (reg_param < 0) reg_param = 0.1f; /* Spark's default regParam */
        if (!(reg_param > 0) || !isfinite(reg_param)) cli_usage_die("import-als", "--reg-param must be > 0");
        o->lambda = reg_param;
        o->reg_exp = 1.0f;
        o->reg_observed_only = 1;
    }
    if (weights) {
        bookrec_error err = {0};
        int bad = bookrec_parse_weights(weights, o->rating_weight, &err) != BOOKREC_OK;
        for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) bad |= o->rating_weight[k] < 0;
        if (bad)
            cli_usage_die("import-als", "--weights expects 5 numbers >= 0 separated by commas, got '%s'", weights);
        float s = 0;
        for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) s += o->rating_weight[k];
        if (s == 0) cli_usage_die("import-als", "--weights are all 0: every rating would be left out");
    } else { /* Spark: confidence 1 + alpha r, the rating itself */
        for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) o->rating_weight[k] = lo + (hi - lo) * (float)k / 4;
        if (lo <= 0)
            cli_usage_die("import-als", "the scale %g..%g has ratings <= 0, which Spark does not count as read: give "
                          "--weights", (double)lo, (double)hi);
    }
}

int cmd_import_als(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *items_path = NULL, *users_path = NULL, *out = cli_default_model(), *weights = NULL;
    float alpha = 1.0f, reg_param = -1.0f, lambda = 0.0f, reg_exp = -1.0f;
    int strict = 0;
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"items", 0, CLI_STR, &items_path, "PATH", "book factors: model.itemFactors.write.json's directory or one file",
         NULL},
        {"users", 0, CLI_STR, &users_path, "PATH", "reader factors: model.userFactors.write.json's directory or one file",
         NULL},
        {"alpha", 0, CLI_FLOAT, &alpha, "X", "Spark's alpha: a rated book's confidence is 1 + alpha w(r)", "1"},
        {"reg-param", 0, CLI_FLOAT, &reg_param, "X",
         "Spark's regParam: a reader's L2 is regParam x their ratings (Spark's ALS-WR scaling)", "0.1"},
        {"lambda", 0, CLI_FLOAT, &lambda, "X",
         "instead of --reg-param, bookrec's L2: lambda (n + n_books)^reg_exp (factors trained by bookrec)", "none"},
        {"reg-exp", 0, CLI_FLOAT, &reg_exp, "X", "with --lambda: its exponent (0: plain lambda)", "1"},
        {"weights", 0, CLI_STR, &weights, "W1,..,W5",
         "w(r) at the min, 1/4, 1/2, 3/4 and max of the scale (>= 0; 0 leaves a rating out)",
         "the ratings themselves, as Spark"},
        {"strict", 0, CLI_FLAG, &strict, NULL, "a book of the books file (or reader of --ratings) without factors is "
         "an error, not a warning", NULL},
        {"out", 'o', CLI_STR, &out, "FILE", "model file to write", "<project>/models/model.bkr"},
    };
    cli_parse("import-als", "bookrec import-als --items DIR --users DIR [--books FILE] [--alpha X --reg-param X] -o FILE",
              opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    cli_set_noun(&d);
    if (!items_path || !users_path) cli_usage_die("import-als", "import-als needs --items PATH and --users PATH");
    bookrec_ratings *r = d.ratings ? cli_load_ratings(&d, NULL, NULL) : NULL;
    float lo, hi;
    rating_scale(&d, r, &lo, &hi);
    bookrec_ials_options io;
    fold_in_options(&io, alpha, reg_param, lambda, reg_exp, weights, lo, hi);
    bookrec_items *books = cli_load_books(&d);
    if (!books) cli_die("import-als needs the %s file to join the factors with (--books FILE or --data DIR)", cli_noun(1));

    factors fi, fu;
    read_factors(&fi, cli_noun(0), items_path);
    read_factors(&fu, "reader", users_path);
    if (fi.dim != fu.dim)
        cli_die("the %s factors have %d values (%s), the reader factors %d (%s)", cli_noun(0), fi.dim, fi.dim_where,
                fu.dim, fu.dim_where);
    const char *books_path = cli_books_path(&d);
    bookrec_factors_join *ji = join(&fi, books->ids, books_path, strict);
    bookrec_factors_join *ju = join(&fu, r ? r->users : NULL, r ? d.ratings : "", strict);
    int ni = ji->n, nu = ju->n;
    bookrec_model *m = NULL;
    bookrec_error err = {0};
    cli_check(bookrec_ials_from_factors(fi.v, ji, fu.v, ju, fi.dim, lo, hi, &io, &m, &err), &err, "model");
    size_t n_bytes = cli_save_model_or_die(out, m, NULL);

    char g1[32], g2[32], b1[32];
    printf("imported %s %s and %s readers, %d factors each, from %d + %d files\n", cli_group((size_t)ni, g1),
           cli_noun(1), cli_group((size_t)nu, g2), fi.dim, fi.n_files, fu.n_files);
    char scaling[64];
    if (io.reg_observed_only) snprintf(scaling, sizeof scaling, "the reader's ratings (Spark)");
    else if (io.reg_exp > 0) snprintf(scaling, sizeof scaling, "(ratings + books)^%g (bookrec)", (double)io.reg_exp);
    else snprintf(scaling, sizeof scaling, "1 (plain)");
    printf("fold-in: confidence 1 + %g w(r), w = %g,%g,%g,%g,%g on %g..%g; L2 %g x %s\n", (double)(io.alpha > 0 ? io.alpha : 0),
           (double)io.rating_weight[0], (double)io.rating_weight[1], (double)io.rating_weight[2],
           (double)io.rating_weight[3], (double)io.rating_weight[4], (double)lo, (double)hi, (double)io.lambda, scaling);
    printf("wrote %s (%s; no match calibration: the site shows scores only)\n", out, cli_bytes((long long)n_bytes, b1));
    bookrec_model_free(m);
    bookrec_factors_join_free(ji);
    bookrec_factors_join_free(ju);
    free_factors(&fi);
    free_factors(&fu);
    bookrec_items_free(books);
    bookrec_ratings_free(r);
    return 0;
}
