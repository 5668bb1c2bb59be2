/*
 * cli.h - shared helpers of the `bookrec` command-line front-end: a table-driven flag parser that also
 * prints `--help` with every default, error reporting (`bookrec: <message>`, exit 1, or 2 for usage
 * errors), whole-file reads and atomic writes, locating the project root and the goodbooks-10k data,
 * loading ratings/books/models with the core, and the thread pool handed to the trainer.
 * It is not part of the core: the core never sees these functions, and nothing here is compiled to wasm.
 */
#ifndef BOOKREC_CLI_H
#define BOOKREC_CLI_H

#include "bookrec.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2

/* ------------------------------------------------------------------ errors */

/* Prints "bookrec: <message>" on stderr and exits with status 1. */
void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Prints "bookrec: <message>" and a hint to use --help on stderr, and exits with status 2. */
void cli_usage_die(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Prints "bookrec: note: <message>" on stderr (something the user should know, not a problem). */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "bookrec: warning: <message>" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "bookrec: <what>: <core message>" and exits 1 when status is not BOOKREC_OK; `what` is left out when the
   core message already starts by naming that step ("bias baseline: no training ratings"), so no prefix repeats. */
void cli_check(int status, const bookrec_error *err, const char *what);

/* ------------------------------------------------------------------ flags */

typedef enum cli_opt_type {
    CLI_STR,    /* const char * */
    CLI_INT,    /* int */
    CLI_FLOAT,  /* float */
    CLI_DOUBLE, /* double */
    CLI_U64,    /* uint64_t */
    CLI_FLAG    /* int set to 1, takes no value */
} cli_opt_type;

/* One flag: --name (and -s when short_name is not 0) storing into *ptr. The default shown by --help is
   `def` when not NULL, else the value *ptr holds before parsing. */
typedef struct cli_opt {
    const char *name;
    char short_name;
    cli_opt_type type;
    void *ptr;
    const char *metavar;
    const char *help;
    const char *def;
} cli_opt;

/* A command: its name, a one-line summary, an example, and its flags. */
typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage;    /* e.g. "bookrec recommend --user ID [-k 10]" */
    int (*run)(int argc, char **argv);
} cli_command;

/* Parses argv[1..argc) (argv[0] is the command name) against opts[0..n). Prints help and exits 0 on
   -h/--help; on a usage error prints it and exits 2. */
void cli_parse(const char *cmd, const char *usage, const cli_opt *opts, int n, int argc, char **argv);

/* ------------------------------------------------------------------ files */

/* Reads a whole file into a new NUL-terminated buffer; returns NULL (errno set) on failure. */
char *cli_read_file(const char *path, size_t *len);

/* Like cli_read_file but exits with "bookrec: PATH: reason" on failure. */
char *cli_read_file_or_die(const char *path, size_t *len);

/* Writes buf atomically: temp file in the same directory, fsync, rename over path, fsync of the directory.
   Creates missing parent directories. Returns 0, or -1 with errno set (the old file is left intact). */
int cli_write_atomic(const char *path, const void *buf, size_t len);

/* A file written atomically in pieces, as cli_write_atomic in one go: cli_atomic_open (NULL and errno on failure),
   cli_atomic_write (a sink for the core's writers: 0, or -1 and later writes ignored), then cli_atomic_commit (0, or
   -1 and errno; the temp file removed) or cli_atomic_abort. */
typedef struct cli_atomic cli_atomic;
cli_atomic *cli_atomic_open(const char *path);
int cli_atomic_write(void *a, const void *p, size_t n);
int cli_atomic_commit(cli_atomic *a);
void cli_atomic_abort(cli_atomic *a);

/* Saves m (bookrec_model_save_to) atomically to path a megabyte at a time, so the file is never whole in memory;
   returns its bytes; exits 1 on failure. */
size_t cli_save_model_or_die(const char *path, const bookrec_model *m, const bookrec_save_options *so);

/* cli_write_atomic or exit 1 with a message naming the path. */
void cli_write_atomic_or_die(const char *path, const void *buf, size_t len);

/* Creates a directory and its parents (like mkdir -p); returns 0 or -1. */
int cli_mkdirs(const char *dir);

/* Returns 1 when path names an existing regular file. */
int cli_is_file(const char *path);

/* Returns 1 when path names an existing directory. */
int cli_is_dir(const char *path);

/* Size of a file in bytes, or -1. */
long long cli_file_size(const char *path);

/* Joins a and b with '/' into a new string (b absolute: a copy of b). */
char *cli_join(const char *a, const char *b);

/* Returns a new string: path with its extension (after the last '.' of the base name) replaced by ext
   (ext includes its dot, e.g. ".history.json"). */
char *cli_replace_ext(const char *path, const char *ext);

/* Formats n with thousands separators into buf (e.g. 981,756); returns buf. */
char *cli_group(size_t n, char buf[32]);

/* Formats a byte count for people (e.g. "1.2 MB") into buf; returns buf. */
char *cli_bytes(long long n, char buf[32]);

/* x rounded to 7 significant digits, so a float shows as 0.001 rather than 0.0010000000474974513 in JSON. */
double cli_f32(double x);

/* printf into a new string. */
char *cli_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------------ places */

/* The project root: $BOOKREC_ROOT, else the directory above the binary's build directory (found from
   /proc/self/exe) when it holds CMakeLists.txt, else the current directory. Never NULL. */
const char *cli_project_root(void);

/* The default model path: <root>/models/model.bkr. */
const char *cli_default_model(void);

/* ------------------------------------------------------------------ data */

/* Where the ratings and books come from, and how their columns are named. */
typedef struct cli_data_opts {
    const char *data_dir;
    const char *ratings, *books;
    const char *user_col, *item_col, *rating_col;
    const char *item_id_col, *title_col, *author_col, *image_col;
    const char *small_image_col, *year_col, *avg_col;
    int skip_bad;
    const char *min_rating, *max_rating; /* the rating scale (both or neither); NULL: 1..5 for whole stars, else inferred */
    const char *noun;                    /* what an item is: NOUN or SINGULAR/PLURAL; NULL: book(s) or item(s) */
} cli_data_opts;

/* The data flags as cli_opt initialisers, for a command's flag table. */
#define CLI_DATA_FLAGS(d)                                                                                    \
    {"data", 0, CLI_STR, &(d)->data_dir, "DIR", "goodbooks-10k directory (else $BOOKREC_DATA, "              \
     "../shared/data/goodbooks-10k, data/)", "auto"},                                                        \
    {"ratings", 0, CLI_STR, &(d)->ratings, "FILE", "ratings CSV", "DIR/ratings.csv"},                        \
    {"books", 0, CLI_STR, &(d)->books, "FILE", "books (items) CSV", "DIR/books.csv"},                        \
    {"user-col", 0, CLI_STR, &(d)->user_col, "NAME", "user column of the ratings CSV", "user_id"},           \
    {"item-col", 0, CLI_STR, &(d)->item_col, "NAME", "item column of the ratings CSV", "book_id"},           \
    {"rating-col", 0, CLI_STR, &(d)->rating_col, "NAME", "rating column of the ratings CSV", "rating"},      \
    {"item-id-col", 0, CLI_STR, &(d)->item_id_col, "NAME", "id column of the books CSV", "book_id"},         \
    {"title-col", 0, CLI_STR, &(d)->title_col, "NAME", "title column of the books CSV", "title"},            \
    {"author-col", 0, CLI_STR, &(d)->author_col, "NAME", "author column of the books CSV", "authors"},       \
    {"image-col", 0, CLI_STR, &(d)->image_col, "NAME", "image URL column of the books CSV", "image_url"},    \
    {"small-image-col", 0, CLI_STR, &(d)->small_image_col, "NAME", "small image URL column of the books CSV",  \
     "small_image_url"},                                                                                     \
    {"year-col", 0, CLI_STR, &(d)->year_col, "NAME", "publication year column of the books CSV",              \
     "original_publication_year"},                                                                           \
    {"avg-col", 0, CLI_STR, &(d)->avg_col, "NAME", "average rating column of the books CSV", "average_rating"}, \
    {"skip-bad", 0, CLI_FLAG, &(d)->skip_bad, NULL, "skip and count malformed ratings and books CSV rows instead of "  \
     "failing with FILE:LINE", "off"},                                                                          \
    {"min-rating", 0, CLI_STR, &(d)->min_rating, "X", "lowest rating of the scale (with --max-rating)",         \
     "1 for whole stars, else the data's"},                                                                   \
    {"max-rating", 0, CLI_STR, &(d)->max_rating, "X", "highest rating of the scale (with --min-rating)",        \
     "5 for whole stars, else the data's"},                                                                   \
    {"noun", 0, CLI_STR, &(d)->noun, "WORD[/PLURAL]", "what the items are, in messages (e.g. movie)",             \
     "book for item column book_id, else item"}

/* The resolved data directory, or exits 1 with a message saying how to get the data. */
const char *cli_data_dir(const cli_data_opts *d);

/* The resolved data directory, or NULL when none is found (a wrong explicit --data still exits 1). */
const char *cli_data_dir_try(const cli_data_opts *d);

/* The ratings path (--ratings, else DIR/ratings.csv). */
const char *cli_ratings_path(const cli_data_opts *d);

/* The books path (--books, else DIR/books.csv when a data directory is found), or NULL when none. */
const char *cli_books_path(const cli_data_opts *d);

/* Remembers the data flags' noun for cli_noun (the commands call it once their flags are parsed; loading
   ratings or books does too). */
void cli_set_noun(const cli_data_opts *d);

/* What the items are called in messages: --noun (NOUN, plural NOUN+s, or SINGULAR/PLURAL), else "book(s)" when the
   item column is goodbooks' book_id (the default), else "item(s)". plural: 0 singular, 1 plural. */
const char *cli_noun(int plural);

/* Fills the core's CSV options from the flags (source = path). */
void cli_csv_options(const cli_data_opts *d, const char *path, bookrec_csv_options *o);

/* Reads and parses the ratings, exiting 1 on error. *parse_seconds (may be NULL) gets the parse time. */
bookrec_ratings *cli_load_ratings(const cli_data_opts *d, double *read_seconds, double *parse_seconds);

/* Parses ratings already read from path with the data flags: a malformed row fails with FILE:LINE unless
   --skip-bad, as in every command; exits 1 on error, warns about skipped rows. */
bookrec_ratings *cli_parse_ratings(const cli_data_opts *d, const char *path, const char *buf, size_t len);

/* Reads and parses the books; returns NULL (after a warning) when the file is absent and was not named
   explicitly; exits 1 on a parse error. */
bookrec_items *cli_load_books(const cli_data_opts *d);

/* Reads DIR/book_tags.csv and DIR/tags.csv into f (sources: the paths) for the core's tag parsers, joined through
   books to items (both the caller's); exits 1 naming the file when one cannot be read. Free with cli_tag_files_free. */
void cli_read_tag_files(const char *dir, const bookrec_items *books, const bookrec_ids *items, bookrec_tag_files *f);

/* Frees the bytes and paths cli_read_tag_files gave f. */
void cli_tag_files_free(bookrec_tag_files *f);

/* Reads and loads a model file, exiting 1 with the core's message on error. */
bookrec_model *cli_load_model(const char *path);

/* ------------------------------------------------------------------ model <-> data mapping */

/* Maps dataset dense indices to the model's: user_map[u] / item_map[i] (-1 when the model does not know
   the id). Returns 1 when both maps are the identity. The caller frees the maps with free(). */
int cli_map_ids(const bookrec_model *m, const bookrec_ratings *r, int32_t **user_map, int32_t **item_map);

/* ------------------------------------------------------------------ split settings */

/* Reads split_seed and test_fraction from the history JSON next to a model (<model>.history.json);
   returns 1 when found. */
int cli_history_split(const char *model_path, uint64_t *split_seed, double *test_fraction);

/* Fills the split settings a flag left unset (split_seed UINT64_MAX, test_fraction < 0): from the history JSON next
   to model_path (may be NULL), else the core's BOOKREC_SPLIT_SEED / BOOKREC_TEST_FRACTION; returns 1 when the
   history was found. */
int cli_split_settings(const char *model_path, uint64_t *split_seed, double *test_fraction);

/* A numeric macro as a string literal, for --help defaults ("0.2"). */
#define CLI_NUM_(x) #x
#define CLI_NUM(x) CLI_NUM_(x)

/* The history JSON path next to a model file (new string). */
char *cli_history_path(const char *model_path);

/* ------------------------------------------------------------------ time and threads */

/* Monotonic seconds. */
double cli_now(void);

/* A pool of persistent worker threads serving bookrec_parallel_fn calls. */
typedef struct cli_runner cli_runner;

/* Default thread count: the number of cores, capped to 2..8. */
int cli_default_threads(void);

/* Starts n-1 workers (the caller's thread is the n-th); NULL when n <= 1. */
cli_runner *cli_runner_start(int n);

/* Stops and joins the workers and frees the pool (NULL is a no-op). */
void cli_runner_stop(cli_runner *r);

/* The bookrec_parallel_fn to hand to the core with the runner as its context. */
void cli_runner_parallel(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks);

/* The share of parallel calls the runner ran on the caller's thread alone (its adaptive choice), 0..1. */
double cli_runner_inline_share(const cli_runner *r);

/* The architecture's name as the --arch flag spells it: the core's bookrec_arch_name (kept for the commands that call it). */
const char *cli_arch_name(bookrec_arch a);

/* Adds the model's shape to JSON object o: arch, n_users, n_items, dim, hidden, implicit, global_mean. */
struct cJSON;
void cli_json_model_shape(struct cJSON *o, const bookrec_model_config *c);

/* Prints root as JSON to path atomically and deletes root; exits 1 on failure. */
void cli_write_json_or_die(const char *path, struct cJSON *root);

/* ------------------------------------------------------------------ reports (report.c) */

/* What `bookrec train` ran and got, for its history JSON and loss picture (everything is the caller's). */
typedef struct cli_train_report {
    const char *out;                  /* the model file */
    const bookrec_train_run *run;     /* the model, its parts, history (seconds filled), figures and rankings */
    const bookrec_train_options *to;
    const char *to_read, *tags;       /* the flags as given, NULL when not */
    int n_tags;
    uint64_t split_seed;
    double test_fraction;
    const char *ratings_path;
    const bookrec_ratings *r;
    double read_s, parse_s, split_s, train_s, save_s;
    size_t model_bytes;
    int rank;                         /* 1: the run's rankings were measured */
} cli_train_report;

/* Writes the history JSON of a top-N fit beside its model file `out` (report.c); returns its path (caller frees). */
char *cli_write_topn_history(const char *out, bookrec_model *m, const bookrec_topn_options *o,
                             const bookrec_ratings *r, const bookrec_topn_result *res, double t_fit, size_t n_bytes);

/* Writes the history JSON to hist_path and the loss curves SVG to svg_path, atomically; exits 1 on failure. */
void cli_write_train_report(const cli_train_report *t, const char *hist_path, const char *svg_path);

/* ------------------------------------------------------------------ commands */

int cmd_stats(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_train_topn(int argc, char **argv); /* cmd_train_topn.c: --arch ease */
int cmd_eval(int argc, char **argv);
int cmd_recommend(int argc, char **argv);
int cmd_similar(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import_als(int argc, char **argv); /* cmd_import_als.c: factors trained by Spark's ALS */
int cmd_predict(int argc, char **argv);
int cmd_tune(int argc, char **argv); /* cmd_tune.c (ranking/tuning engineer) */

/* Evaluates a model on a dataset's test part, mapping ids (shared by eval and export); returns the
   number of test triples used. */
size_t cli_eval_model(const bookrec_model *m, const bookrec_ratings *r, const bookrec_triples *test,
                      double *rmse, double *mae);

#endif /* BOOKREC_CLI_H */
