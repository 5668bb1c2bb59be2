/*
 * data.c - the CLI's data: the data directory search (--data, the project's data/, ../shared), the ratings, books
 * and tag files read from it and handed to the core's parsers (ratings mapped and given back page by page as the
 * parser goes), models loaded from files, mapping a model's id tables onto a dataset's, the test error worded for
 * the commands, and the split a model's history records. Not here: parsing itself (the core's src/ratings.c,
 * src/items.c, src/tags.c) and the evaluation (src/dataset.c).
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

int cli_map_ids(const bookrec_model *m, const bookrec_ratings *r, int32_t **user_map, int32_t **item_map) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int iu = 0, ii = 0;
    bookrec_error err = {0};
    cli_check(bookrec_ids_map(r->users, bookrec_model_users(m), c->n_users, user_map, &iu, &err), &err, "id map");
    cli_check(bookrec_ids_map(r->items, bookrec_model_items(m), c->n_items, item_map, &ii, &err), &err, "id map");
    return iu && ii;
}

size_t cli_eval_model(const bookrec_model *m, const bookrec_ratings *r, const bookrec_triples *test,
                      double *rmse, double *mae) {
    bookrec_test_error te;
    bookrec_error err = {0};
    cli_check(bookrec_evaluate_ratings(m, r, test, &te, &err), &err, "evaluate");
    if (te.dropped) cli_warn("%zu test ratings name users or %s the model does not know; left out", te.dropped, cli_noun(1));
    if (te.used == 0) cli_die("no test ratings the model can score (is this the model of this data?)");
    *rmse = te.rmse;
    *mae = te.mae;
    return te.used;
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

/* ------------------------------------------------------------------ tags */

void cli_read_tag_files(const char *dir, const bookrec_items *books, const bookrec_ids *items, bookrec_tag_files *f) {
    memset(f, 0, sizeof *f);
    char *btp = cli_join(dir, "book_tags.csv"), *tp = cli_join(dir, "tags.csv");
    f->book_tags = cli_read_file_or_die(btp, &f->book_tags_len);
    f->book_tags_source = btp;
    f->tags = cli_read_file_or_die(tp, &f->tags_len);
    f->tags_source = tp;
    f->books = books;
    f->items = items;
}

void cli_tag_files_free(bookrec_tag_files *f) {
    free((char *)f->book_tags);
    free((char *)f->book_tags_source);
    free((char *)f->tags);
    free((char *)f->tags_source);
    memset(f, 0, sizeof *f);
}

int cli_split_settings(const char *model_path, uint64_t *split_seed, double *test_fraction) {
    uint64_t hs = BOOKREC_SPLIT_SEED;
    double hf = BOOKREC_TEST_FRACTION;
    int from_history = model_path && cli_history_split(model_path, &hs, &hf);
    if (*split_seed == UINT64_MAX) *split_seed = hs;
    if (*test_fraction < 0) *test_fraction = hf;
    return from_history;
}
