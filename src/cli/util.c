/*
 * util.c - the CLI's shared plumbing: error printing and exit codes, the flag parser with --help,
 * whole-file reads, atomic writes (temp file + fsync + rename), the project root and the data
 * directory search, and loading ratings/books/models through the core with readable errors.
 * It holds no command logic; each command lives in its own cmd_*.c file.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "scale.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ errors */

/* Prints "bookrec: <prefix><message>" on stderr, after flushing what stdout holds. */
static void say(const char *prefix, const char *fmt, va_list ap) {
    fflush(stdout);
    fprintf(stderr, "bookrec: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say("", fmt, ap);
    va_end(ap);
    exit(CLI_EXIT_ERROR);
}

void cli_usage_die(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say("", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'bookrec %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    exit(CLI_EXIT_USAGE);
}

void cli_note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say("note: ", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say("warning: ", fmt, ap);
    va_end(ap);
}

/* Copies s[0..n) into out (cap bytes) as a comparable name: lower case, '_' as ' ', without a leading
   "bookrec_", "model_" or "bookrec_model_" (so "bookrec_model_recommend" reads "recommend"). */
static void step_name(const char *s, size_t n, char *out, size_t cap) {
    static const char *const lead[] = {"bookrec_model_", "bookrec_", "model_"};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(lead[k]);
        if (n > l && !strncmp(s, lead[k], l)) {
            s += l;
            n -= l;
            break;
        }
    }
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        char c = s[i] == '_' ? ' ' : s[i];
        out[j++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[j] = '\0';
}

/* 1 when msg already starts with a prefix naming the step `what` ("bias baseline: ..." for "bias baseline",
   "model_save: ..." for "save", "model config: ..." for "model"), so that prefixing it again would repeat it. */
static int names_step(const char *msg, const char *what) {
    const char *colon = strstr(msg, ": ");
    if (!colon || colon - msg > 60) return 0;
    char a[64], b[64];
    step_name(msg, (size_t)(colon - msg), a, sizeof a);
    step_name(what, strlen(what), b, sizeof b);
    return strlen(b) >= 3 && strstr(a, b) != NULL;
}

void cli_check(int status, const bookrec_error *err, const char *what) {
    if (status == BOOKREC_OK) return;
    const char *msg = (err && err->msg[0]) ? err->msg : bookrec_strerror(status);
    if (what && *what && !names_step(msg, what)) cli_die("%s: %s", what, msg);
    cli_die("%s", msg);
}

/* ------------------------------------------------------------------ flags */

static void print_default(const cli_opt *o) {
    if (o->def) {
        printf("%s", o->def);
        return;
    }
    switch (o->type) {
    case CLI_STR: {
        const char *s = *(const char *const *)o->ptr;
        printf("%s", s ? s : "none");
        break;
    }
    case CLI_INT: printf("%d", *(const int *)o->ptr); break;
    case CLI_FLOAT: printf("%g", (double)*(const float *)o->ptr); break;
    case CLI_DOUBLE: printf("%g", *(const double *)o->ptr); break;
    case CLI_U64: printf("%llu", (unsigned long long)*(const uint64_t *)o->ptr); break;
    case CLI_FLAG: printf("%s", *(const int *)o->ptr ? "on" : "off"); break;
    }
}

static void print_help(const char *cmd, const char *usage, const cli_opt *opts, int n) {
    printf("Usage: %s\n\nOptions (default in brackets):\n", usage);
    for (int i = 0; i < n; i++) {
        const cli_opt *o = &opts[i];
        char left[64];
        int w;
        if (o->short_name)
            w = snprintf(left, sizeof left, "-%c, --%s", o->short_name, o->name);
        else
            w = snprintf(left, sizeof left, "    --%s", o->name);
        if (o->metavar && w > 0 && (size_t)w < sizeof left)
            snprintf(left + w, sizeof left - (size_t)w, " %s", o->metavar);
        printf("  %-28s %s [", left, o->help);
        print_default(o);
        printf("]\n");
    }
    printf("  %-28s %s\n", "-h, --help", "show this help");
    (void)cmd;
}

static int parse_value(const cli_opt *o, const char *v) {
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case CLI_STR: *(const char **)o->ptr = v; return 0;
    case CLI_INT: {
        long x = strtol(v, &end, 10);
        if (!*v || *end || errno || x < INT_MIN || x > INT_MAX) return -1;
        *(int *)o->ptr = (int)x;
        return 0;
    }
    case CLI_FLOAT: {
        float x = strtof(v, &end);
        if (!*v || *end || errno || !isfinite(x)) return -1;
        *(float *)o->ptr = x;
        return 0;
    }
    case CLI_DOUBLE: {
        double x = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(x)) return -1;
        *(double *)o->ptr = x;
        return 0;
    }
    case CLI_U64: {
        if (*v == '-') return -1;
        unsigned long long x = strtoull(v, &end, 10);
        if (!*v || *end || errno) return -1;
        *(uint64_t *)o->ptr = (uint64_t)x;
        return 0;
    }
    case CLI_FLAG: *(int *)o->ptr = 1; return 0;
    }
    return -1;
}

static const char *type_word(cli_opt_type t) {
    switch (t) {
    case CLI_INT: return "an integer";
    case CLI_FLOAT:
    case CLI_DOUBLE: return "a number";
    case CLI_U64: return "a non-negative integer";
    default: return "a value";
    }
}

void cli_parse(const char *cmd, const char *usage, const cli_opt *opts, int n, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            print_help(cmd, usage, opts, n);
            exit(0);
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const cli_opt *o = NULL;
        const char *val = NULL;
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            for (int j = 0; j < n; j++)
                if (strlen(opts[j].name) == len && !strncmp(opts[j].name, name, len)) o = &opts[j];
            if (!o) cli_usage_die(cmd, "%s: unknown option '--%.*s'", cmd, (int)len, name);
            if (eq) val = eq + 1;
        } else if (a[0] == '-' && a[1] && !a[2]) {
            for (int j = 0; j < n; j++)
                if (opts[j].short_name == a[1]) o = &opts[j];
            if (!o) cli_usage_die(cmd, "%s: unknown option '%s'", cmd, a);
        } else {
            cli_usage_die(cmd, "%s: unexpected argument '%s'", cmd, a);
        }
        if (o->type == CLI_FLAG) {
            if (val) cli_usage_die(cmd, "%s: option --%s takes no value", cmd, o->name);
            *(int *)o->ptr = 1;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) cli_usage_die(cmd, "%s: option --%s needs %s", cmd, o->name, o->metavar ? o->metavar : "a value");
            val = argv[++i];
        }
        if (parse_value(o, val) != 0)
            cli_usage_die(cmd, "%s: option --%s expects %s, got '%s'", cmd, o->name, type_word(o->type), val);
    }
}

/* ------------------------------------------------------------------ files */

char *cli_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(f);
        errno = EISDIR;
        return NULL;
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        errno = e ? e : EIO;
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

char *cli_read_file_or_die(const char *path, size_t *len) {
    char *b = cli_read_file(path, len);
    if (!b) cli_die("%s: %s", path, strerror(errno));
    return b;
}

int cli_mkdirs(const char *dir) {
    char *p = strdup(dir);
    if (!p) return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = '/';
        }
    }
    int rc = (mkdir(p, 0777) != 0 && errno != EEXIST) ? -1 : 0;
    free(p);
    return rc;
}

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int cli_write_atomic(const char *path, const void *buf, size_t len) {
    char *dir = dir_of(path);
    if (!dir) return -1;
    if (cli_mkdirs(dir) != 0) {
        free(dir);
        return -1;
    }
    char *tmp = cli_fmt("%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        free(dir);
        return -1;
    }
    const char *p = buf;
    size_t left = len;
    int e = 0;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            e = errno;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!e && fchmod(fd, 0644) != 0) e = errno;
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        free(tmp);
        free(dir);
        errno = e;
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(tmp);
    free(dir);
    return 0;
}

void cli_write_atomic_or_die(const char *path, const void *buf, size_t len) {
    if (cli_write_atomic(path, buf, len) != 0) cli_die("%s: cannot write: %s", path, strerror(errno));
}

int cli_is_file(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int cli_is_dir(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

long long cli_file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (long long)st.st_size;
}

char *cli_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) cli_die("out of memory");
    return s;
}

char *cli_group(size_t n, char buf[32]) {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%zu", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

char *cli_bytes(long long n, char buf[32]) {
    if (n < 0) snprintf(buf, 32, "?");
    else if (n < 1024) snprintf(buf, 32, "%lld B", n);
    else if (n < 1024 * 1024) snprintf(buf, 32, "%.1f KB", (double)n / 1024.0);
    else snprintf(buf, 32, "%.1f MB", (double)n / (1024.0 * 1024.0));
    return buf;
}

double cli_f32(double x) {
    if (!isfinite(x) || x == 0) return x;
    char b[32];
    snprintf(b, sizeof b, "%.7g", x);
    return strtod(b, NULL);
}

char *cli_join(const char *a, const char *b) {
    if (b[0] == '/' || !a || !*a) return cli_fmt("%s", b);
    size_t la = strlen(a);
    return cli_fmt("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

char *cli_replace_ext(const char *path, const char *ext) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t keep = dot && dot != base ? (size_t)(dot - path) : strlen(path);
    return cli_fmt("%.*s%s", (int)keep, path, ext);
}

/* ------------------------------------------------------------------ places */

const char *cli_project_root(void) {
    static char *root = NULL;
    if (root) return root;
    const char *env = getenv("BOOKREC_ROOT");
    if (env && *env) return root = strdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *bindir = dir_of(exe);     /* .../build */
        char *up = dir_of(bindir);      /* project root */
        char *marker = cli_join(up, "CMakeLists.txt");
        char *marker2 = cli_join(up, "include/bookrec.h");
        int ok = cli_is_file(marker) && cli_is_file(marker2);
        free(marker);
        free(marker2);
        free(bindir);
        if (ok) return root = up;
        free(up);
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd)) return root = strdup(cwd);
    return root = strdup(".");
}

const char *cli_default_model(void) {
    static char *p = NULL;
    if (!p) p = cli_join(cli_project_root(), "models/model.bkr");
    return p;
}

/* ------------------------------------------------------------------ data */

static int has_ratings(const char *dir) {
    char *p = cli_join(dir, "ratings.csv");
    int ok = cli_is_file(p);
    free(p);
    return ok;
}

/* Finds the data directory; NULL when none is found and must is 0 (an explicit --data that is wrong is
   always an error). */
static const char *find_data_dir(const cli_data_opts *d, int must) {
    static char *found = NULL;
    if (found) return found;
    if (d->data_dir) {
        if (!cli_is_dir(d->data_dir))
            cli_die("--data %s: no such directory (give --data DIR with ratings.csv and books.csv in it)", d->data_dir);
        if (!d->ratings && !has_ratings(d->data_dir))
            cli_die("--data %s: the directory has no ratings.csv (give --data DIR with the goodbooks-10k files, "
                    "or --ratings FILE)", d->data_dir);
        return found = strdup(d->data_dir);
    }
    const char *env = getenv("BOOKREC_DATA");
    if (env && *env) {
        if (!has_ratings(env)) cli_die("$BOOKREC_DATA=%s has no ratings.csv (fix it, or pass --data DIR)", env);
        return found = strdup(env);
    }
    const char *rel = "../shared/data/goodbooks-10k";
    char *cand[3];
    char cwd[PATH_MAX];
    cand[0] = getcwd(cwd, sizeof cwd) ? cli_join(cwd, rel) : strdup(rel);
    cand[1] = cli_join(cli_project_root(), rel);
    cand[2] = cli_join(cli_project_root(), "data");
    for (int i = 0; i < 3; i++) {
        if (!found && has_ratings(cand[i])) {
            char real[PATH_MAX];
            found = realpath(cand[i], real) ? strdup(real) : strdup(cand[i]);
        }
        free(cand[i]);
    }
    if (found || !must) return found;
    cli_die("no goodbooks-10k data found (looked in $BOOKREC_DATA, ./%s, <project>/%s and <project>/data).\n"
            "  Run `npm start` to download it into data/, or pass --data DIR (a directory with ratings.csv and "
            "books.csv), or --ratings FILE.", rel, rel);
}

const char *cli_data_dir(const cli_data_opts *d) { return find_data_dir(d, 1); }

const char *cli_data_dir_try(const cli_data_opts *d) { return find_data_dir(d, 0); }

const char *cli_ratings_path(const cli_data_opts *d) {
    static char *path = NULL; /* one dataset per process: computed once, kept */
    if (d->ratings) return d->ratings;
    if (!path) path = cli_join(cli_data_dir(d), "ratings.csv");
    return path;
}

const char *cli_books_path(const cli_data_opts *d) {
    if (d->books) return d->books;
    if (d->ratings && !d->data_dir) return NULL; /* a custom catalogue without a books file */
    const char *dir = find_data_dir(d, 0);
    if (!dir) {
        cli_warn("no data directory found (--data DIR or --books FILE): %s go without titles", cli_noun(1));
        return NULL;
    }
    static char *path = NULL;
    if (!path) path = cli_join(dir, "books.csv");
    return path;
}

static char noun_one[64] = "book", noun_many[72] = "books";

void cli_set_noun(const cli_data_opts *d) {
    const char *n = d->noun;
    if (n && *n) {
        const char *slash = strchr(n, '/');
        size_t l = slash ? (size_t)(slash - n) : strlen(n);
        if (l == 0 || l >= sizeof noun_one || (slash && (!slash[1] || strlen(slash + 1) >= sizeof noun_many)))
            cli_usage_die(NULL, "--noun expects WORD or SINGULAR/PLURAL of at most %d bytes each, got '%s'",
                          (int)sizeof noun_one - 1, n);
        memcpy(noun_one, n, l);
        noun_one[l] = '\0';
        if (slash) snprintf(noun_many, sizeof noun_many, "%s", slash + 1);
        else snprintf(noun_many, sizeof noun_many, "%ss", noun_one);
    } else if (!d->item_col || !strcmp(d->item_col, "book_id")) {
        strcpy(noun_one, "book");
        strcpy(noun_many, "books");
    } else {
        strcpy(noun_one, "item");
        strcpy(noun_many, "items");
    }
}

const char *cli_noun(int plural) { return plural ? noun_many : noun_one; }

/* Reads a --min-rating/--max-rating value. */
static float rating_flag(const char *flag, const char *v) {
    char *end = NULL;
    float x = strtof(v, &end);
    if (!*v || *end || !isfinite(x)) cli_usage_die(NULL, "--%s expects a number, got '%s'", flag, v);
    return x;
}

void cli_csv_options(const cli_data_opts *d, const char *path, bookrec_csv_options *o) {
    cli_set_noun(d);
    memset(o, 0, sizeof *o);
    o->user_col = d->user_col;
    o->item_col = d->item_col;
    o->rating_col = d->rating_col;
    o->source = path;
    o->skip_bad = d->skip_bad;
    o->noun = cli_noun(0);
    o->range_hint = "--min-rating/--max-rating";
    if (!d->min_rating != !d->max_rating)
        cli_usage_die(NULL, "--%s needs --%s too (the rating scale is both ends)", d->min_rating ? "min-rating" : "max-rating",
                      d->min_rating ? "max-rating" : "min-rating");
    if (d->min_rating) {
        o->min_rating = rating_flag("min-rating", d->min_rating);
        o->max_rating = rating_flag("max-rating", d->max_rating);
        if (!(o->min_rating < o->max_rating))
            cli_usage_die(NULL, "--min-rating %s must be below --max-rating %s", d->min_rating, d->max_rating);
    }
    /* goodbooks' scale is 1..5, so a whole-number rating outside it is a bad row there; another catalogue's
       whole-number scale (0..10, 1..10, ...) is taken from its data */
    o->infer_range = d->item_col && strcmp(d->item_col, "book_id") != 0;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A ratings file in memory: read into pages of its own (a regular, non-empty file) or into the heap. */
typedef struct ratings_file {
    char *map;       /* the pages, NULL when in the heap or once unmapped */
    size_t len;
    size_t dropped;  /* map[0..dropped) given back to the kernel */
    char *heap;      /* the read copy, NULL when mapped or once freed */
} ratings_file;

/* done_reading: gives back the pages the parser has finished with, and the whole file once it has read it all, so
   the file and the dataset are never in memory whole at once. */
static void release_read(void *ctx, size_t upto) {
    ratings_file *f = ctx;
    if (f->map) {
        if (upto >= f->len) {
            munmap(f->map, f->len);
            f->map = NULL;
            return;
        }
        size_t page = (size_t)sysconf(_SC_PAGESIZE), to = upto / page * page;
        if (to > f->dropped) {
            madvise(f->map + f->dropped, to - f->dropped, MADV_DONTNEED);
            f->dropped = to;
        }
    } else if (f->heap && upto >= f->len) {
        free(f->heap);
        f->heap = NULL;
    }
}

/* cli_parse_ratings; with f (the file buf belongs to), what has been read is released while the parser goes on. */
static bookrec_ratings *parse_ratings(const cli_data_opts *d, const char *path, const char *buf, size_t len,
                                      ratings_file *f) {
    bookrec_csv_options o;
    cli_csv_options(d, path, &o);
    if (f) {
        o.done_reading = release_read;
        o.done_reading_ctx = f;
    }
    bookrec_ratings *r = NULL;
    bookrec_error err = {0};
    int st = bookrec_ratings_parse(buf, len, &o, &r, &err);
    cli_check(st, &err, NULL);
    if (r->rows_skipped) cli_warn("%s: skipped %zu malformed rows (--skip-bad)", path, r->rows_skipped);
    if (r->scale_from_data)
        cli_note("%s: rating scale %g..%g inferred from the data (%s; --min-rating/--max-rating set another)", path,
                 (double)r->min_rating, (double)r->max_rating,
                 r->integral ? "whole-number ratings outside 1..5" : "ratings that are not all whole numbers");
    return r;
}

bookrec_ratings *cli_load_ratings(const cli_data_opts *d, double *read_seconds, double *parse_seconds) {
    const char *path = cli_ratings_path(d);
    cli_ratings_cache cache;
    bookrec_ratings *cached = cli_ratings_cache_load(d, path, &cache, read_seconds, parse_seconds);
    if (cached) return cached;
    double t0 = cli_now();
    ratings_file f = {0};
    /* a regular file is read into pages of its own (not a mapping of the file, which a writer truncating it
       would turn into SIGBUS), which release_read gives back as the parser moves on */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        size_t want = (size_t)st.st_size, got = 0;
        void *p = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            while (got < want) {
                ssize_t k = read(fd, (char *)p + got, want - got);
                if (k < 0 && errno == EINTR) continue;
                if (k <= 0) break;
                got += (size_t)k;
            }
            if (got == want) {
                f.map = p;
                f.len = want;
            } else {
                munmap(p, want); /* changed while read, or a read error: the plain reader below says why */
            }
        }
    }
    if (fd >= 0) close(fd);
    const char *buf = f.map;
    if (!f.map) { /* not a regular file (a pipe), empty, or unreadable: read it the plain way */
        f.heap = cli_read_file(path, &f.len);
        if (!f.heap) {
            if (errno == ENOENT)
                cli_die("%s: no such file (give --data DIR with ratings.csv in it, or --ratings FILE; `npm start` "
                        "downloads goodbooks-10k)", path);
            cli_die("%s: %s", path, strerror(errno));
        }
        buf = f.heap;
    }
    double t1 = cli_now();
    bookrec_ratings *r = parse_ratings(d, path, buf, f.len, &f);
    double t2 = cli_now();
    release_read(&f, f.len); /* a no-op unless the parser stopped early */
    if (read_seconds) *read_seconds = t1 - t0;
    if (parse_seconds) *parse_seconds = t2 - t1;
    cli_ratings_cache_store(&cache, r);
    return r;
}

bookrec_ratings *cli_parse_ratings(const cli_data_opts *d, const char *path, const char *buf, size_t len) {
    return parse_ratings(d, path, buf, len, NULL);
}

bookrec_items *cli_load_books(const cli_data_opts *d) {
    cli_set_noun(d);
    const char *path = cli_books_path(d);
    if (!path) return NULL;
    size_t len = 0;
    char *buf = cli_read_file(path, &len);
    if (!buf) {
        if (d->books) cli_die("%s: %s", path, strerror(errno));
        cli_warn("%s: %s; %s go without titles", path, strerror(errno), cli_noun(1));
        return NULL;
    }
    bookrec_items_options o;
    memset(&o, 0, sizeof o);
    o.noun = cli_noun(0);
    o.id_col = d->item_id_col;
    o.title_col = d->title_col;
    o.author_col = d->author_col;
    o.image_col = d->image_col;
    o.small_image_col = d->small_image_col;
    o.year_col = d->year_col;
    o.avg_col = d->avg_col;
    o.source = path;
    o.skip_bad = d->skip_bad;
    bookrec_items *it = NULL;
    bookrec_error err = {0};
    int st = bookrec_items_parse(buf, len, &o, &it, &err);
    free(buf);
    cli_check(st, &err, NULL);
    return it;
}

bookrec_model *cli_load_model(const char *path) {
    size_t len = 0;
    char *buf = cli_read_file(path, &len);
    if (!buf) {
        if (errno == ENOENT)
            cli_die("%s: no such model file (train one with `bookrec train`, or pass --model FILE)", path);
        cli_die("%s: %s", path, strerror(errno));
    }
    bookrec_model *m = NULL;
    bookrec_error err = {0};
    int st = bookrec_model_load((const uint8_t *)buf, len, &m, &err);
    free(buf);
    cli_check(st, &err, path);
    return m;
}

/* ------------------------------------------------------------------ mapping */

static int32_t *map_table(const bookrec_ids *from, const bookrec_ids *to, int n_to, int *identity) {
    int n = bookrec_ids_count(from);
    int32_t *map = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (!map) cli_die("out of memory");
    *identity = 1;
    for (int i = 0; i < n; i++) {
        int j;
        if (to) {
            const char *id = bookrec_ids_get(from, i);
            j = id ? bookrec_ids_find(to, id, -1) : -1;
        } else {
            j = i < n_to ? i : -1; /* a model without id tables: dense indices are shared */
        }
        map[i] = j;
        if (j != i) *identity = 0;
    }
    return map;
}

int cli_map_ids(const bookrec_model *m, const bookrec_ratings *r, int32_t **user_map, int32_t **item_map) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int iu, ii;
    *user_map = map_table(r->users, bookrec_model_users(m), c->n_users, &iu);
    *item_map = map_table(r->items, bookrec_model_items(m), c->n_items, &ii);
    return iu && ii;
}

size_t cli_map_triples(const bookrec_triples *t, const int32_t *user_map, const int32_t *item_map,
                       bookrec_triples *out) {
    size_t keep = 0;
    for (size_t k = 0; k < t->n; k++)
        if (user_map[t->user[k]] >= 0 && item_map[t->item[k]] >= 0) keep++;
    if (bookrec_triples_alloc(out, keep) != BOOKREC_OK) cli_die("out of memory");
    size_t j = 0;
    for (size_t k = 0; k < t->n; k++) {
        int32_t u = user_map[t->user[k]], i = item_map[t->item[k]];
        if (u < 0 || i < 0) continue;
        out->user[j] = u;
        out->item[j] = i;
        out->rating[j] = t->rating[k];
        j++;
    }
    out->n = keep;
    return t->n - keep;
}

size_t cli_eval_model(const bookrec_model *m, const bookrec_ratings *r, const bookrec_triples *test,
                      double *rmse, double *mae) {
    int32_t *um, *im;
    bookrec_triples mapped = {0};
    cli_map_ids(m, r, &um, &im);
    size_t dropped = cli_map_triples(test, um, im, &mapped);
    free(um);
    free(im);
    if (dropped) cli_warn("%zu test ratings name users or %s the model does not know; left out", dropped, cli_noun(1));
    if (mapped.n == 0) cli_die("no test ratings the model can score (is this the model of this data?)");
    double mse = 0, ma = 0;
    bookrec_error err = {0};
    cli_check(bookrec_evaluate(m, &mapped, &mse, &ma, &err), &err, "evaluate");
    *rmse = sqrt(mse);
    *mae = ma;
    size_t n = mapped.n;
    bookrec_triples_free(&mapped);
    return n;
}

/* ------------------------------------------------------------------ history */

char *cli_history_path(const char *model_path) { return cli_replace_ext(model_path, ".history.json"); }

int cli_history_split(const char *model_path, uint64_t *split_seed, double *test_fraction) {
    char *hp = cli_history_path(model_path);
    size_t len;
    char *txt = cli_read_file(hp, &len);
    free(hp);
    if (!txt) return 0;
    cJSON *root = cJSON_Parse(txt);
    free(txt);
    if (!root) return 0;
    int ok = 0;
    const cJSON *split = cJSON_GetObjectItemCaseSensitive(root, "split");
    const cJSON *s = split ? cJSON_GetObjectItemCaseSensitive(split, "seed") : NULL;
    const cJSON *st = split ? cJSON_GetObjectItemCaseSensitive(split, "seed_text") : NULL;
    const cJSON *f = split ? cJSON_GetObjectItemCaseSensitive(split, "test_fraction") : NULL;
    if (cJSON_IsString(st) && cJSON_IsNumber(f)) { /* exact for seeds above 2^53 */
        *split_seed = (uint64_t)strtoull(st->valuestring, NULL, 10);
        *test_fraction = f->valuedouble;
        ok = 1;
    } else if (cJSON_IsNumber(s) && cJSON_IsNumber(f) && s->valuedouble >= 0) {
        *split_seed = (uint64_t)s->valuedouble;
        *test_fraction = f->valuedouble;
        ok = 1;
    }
    cJSON_Delete(root);
    return ok;
}

const char *cli_arch_name(bookrec_arch a) {
    static const char *const names[] = {"seed", "mf", "ncf", "ease", "ials"};
    return a >= BOOKREC_ARCH_SEED && a <= BOOKREC_ARCH_IALS ? names[a] : "unknown";
}

void cli_json_model_shape(cJSON *o, const bookrec_model_config *c) {
    cJSON_AddStringToObject(o, "arch", cli_arch_name(c->arch));
    cJSON_AddNumberToObject(o, "n_users", c->n_users);
    cJSON_AddNumberToObject(o, "n_items", c->n_items);
    cJSON_AddNumberToObject(o, "dim", c->dim);
    cJSON_AddNumberToObject(o, "hidden", c->hidden);
    cJSON_AddBoolToObject(o, "implicit", c->implicit);
    cJSON_AddNumberToObject(o, "global_mean", cli_f32(c->global_mean));
}
