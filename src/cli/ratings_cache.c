/*
 * ratings_cache.c - the command line's side of the binary ratings cache: where a ratings CSV's cache lives
 * (BOOKREC_RATINGS_CACHE=DIR, or ~/.cache/bookrec for a CSV of 32 MB or more; BOOKREC_RATINGS_CACHE=off turns it
 * off), the key that ties it to the CSV (size, mtime, a hash of the first 64 kB and of 16 rows-sized samples, and
 * the parse options), mapping the cache and handing its bytes to the core, and writing it atomically after a
 * parse. Every use, rebuild and refusal is said on stderr. Not here: the format and its checks (src/ratings_cache.c),
 * the parse itself (util.c).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "scale.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MIN_CSV ((off_t)32 << 20) /* the default cache is for CSVs at least this large */
#define SAMPLES 16
#define SAMPLE_LEN 4096

/* The cache directory, or NULL when the cache is off for a CSV of csv_size bytes (malloc'd). */
static char *cache_dir(off_t csv_size) {
    const char *env = getenv("BOOKREC_RATINGS_CACHE");
    if (env && (!strcmp(env, "off") || !strcmp(env, "0") || !*env)) return NULL;
    if (env) return strdup(env);
    if (csv_size < CACHE_MIN_CSV) return NULL;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) return cli_fmt("%s/bookrec", xdg);
    if (home && *home) return cli_fmt("%s/.cache/bookrec", home);
    return NULL;
}

/* Hashes the first 64 kB of fd and SAMPLES slices spread over the rest (the header and a sample of the rows). */
static uint64_t sample_hash(int fd, off_t size) {
    static char buf[65536];
    ssize_t k = pread(fd, buf, sizeof buf, 0);
    uint64_t h = bookrec_hash64(buf, k > 0 ? (size_t)k : 0, 0);
    for (int s = 1; s <= SAMPLES && size > (off_t)sizeof buf; s++) {
        off_t at = (off_t)((double)(size - SAMPLE_LEN) * s / SAMPLES);
        k = pread(fd, buf, SAMPLE_LEN, at);
        h = bookrec_hash64(buf, k > 0 ? (size_t)k : 0, h);
    }
    return h;
}

/* Sets c up for csv: whether the cache is on, its file and the key of the CSV as it is now. */
static void cache_setup(const cli_data_opts *d, const char *csv, cli_ratings_cache *c) {
    memset(c, 0, sizeof *c);
    c->csv = csv;
    int fd = open(csv, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) { if (fd >= 0) close(fd); return; }
    char *dir = cache_dir(st.st_size);
    if (!dir) { close(fd); return; }
    c->key.size = (uint64_t)st.st_size;
    c->key.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    c->key.sample_hash = sample_hash(fd, st.st_size);
    close(fd);
    bookrec_csv_options o;
    cli_csv_options(d, csv, &o);
    c->key.options_hash = bookrec_ratings_options_hash(&o);
    char real[PATH_MAX];
    const char *name = realpath(csv, real) ? real : csv;
    const char *base = strrchr(name, '/');
    c->file = cli_fmt("%s/%s-%016llx.bkrc", dir, base ? base + 1 : name,
                      (unsigned long long)bookrec_hash64(name, strlen(name), 0));
    free(dir);
    c->on = 1;
}

/* done_reading for a mapped cache: gives back the pages before upto (they are the page cache's, not ours). */
static void drop_pages(void *ctx, size_t upto) {
    char *map = ctx;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), to = upto / page * page;
    if (to) madvise(map, to, MADV_DONTNEED);
}

bookrec_ratings *cli_ratings_cache_load(const cli_data_opts *d, const char *csv, cli_ratings_cache *c,
                                        double *read_seconds, double *parse_seconds) {
    cache_setup(d, csv, c);
    if (!c->on) return NULL;
    double t0 = cli_now();
    int fd = open(c->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) cli_note("ratings cache: none yet for %s; it will be written to %s", csv, c->file);
        else cli_warn("ratings cache %s: %s; parsing %s", c->file, strerror(errno), csv);
        return NULL;
    }
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        cli_warn("ratings cache %s is empty or cannot be mapped: parsing %s again and rewriting it", c->file, csv);
        return NULL;
    }
    bookrec_csv_options o = {0};
    o.done_reading = drop_pages;
    o.done_reading_ctx = map;
    bookrec_ratings *r = NULL;
    bookrec_error err = {0};
    int rc = bookrec_ratings_cache_read(map, (size_t)st.st_size, &c->key, &o, &r, &err);
    munmap(map, (size_t)st.st_size);
    double t1 = cli_now();
    if (rc == BOOKREC_E_STATE) {
        cli_note("ratings cache %s is %s: parsing %s again and rewriting it", c->file, err.msg, csv);
        return NULL;
    }
    if (rc) {
        cli_warn("ratings cache %s refused: %s; parsing %s again and rewriting it", c->file, err.msg, csv);
        return NULL;
    }
    cli_note("ratings cache: read %s from %s in %.3f s instead of parsing it (BOOKREC_RATINGS_CACHE=off parses)",
             csv, c->file, t1 - t0);
    if (r->rows_skipped) cli_warn("%s: skipped %zu malformed rows (--skip-bad)", csv, r->rows_skipped);
    if (r->scale_from_data)
        cli_note("%s: rating scale %g..%g inferred from the data (%s; --min-rating/--max-rating set another)", csv,
                 (double)r->min_rating, (double)r->max_rating,
                 r->integral ? "whole-number ratings outside 1..5" : "ratings that are not all whole numbers");
    if (read_seconds) *read_seconds = t1 - t0;
    if (parse_seconds) *parse_seconds = 0.0;
    free(c->file);
    c->file = NULL;
    c->on = 0;
    return r;
}

static int write_out(void *ctx, const void *p, size_t n) { return fwrite(p, 1, n, ctx) == n ? 0 : -1; }

/* mkdir -p of dir (a failure shows when the file is opened). */
static void make_dirs(const char *dir) {
    char *p = strdup(dir);
    if (!p) return;
    for (char *s = p + 1; *s; s++)
        if (*s == '/') { *s = '\0'; mkdir(p, 0755); *s = '/'; }
    mkdir(p, 0755);
    free(p);
}

void cli_ratings_cache_store(cli_ratings_cache *c, const bookrec_ratings *r) {
    if (!c->on || !r) { free(c->file); c->file = NULL; return; }
    char *dir = strdup(c->file), *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash) { *slash = '\0'; make_dirs(dir); }
    free(dir);
    char *tmp = cli_fmt("%s.tmp.%ld", c->file, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    bookrec_error err = {0};
    int rc = f ? bookrec_ratings_cache_write(r, &c->key, write_out, f, &err) : BOOKREC_E_STATE;
    if (f && fclose(f) && !rc) rc = BOOKREC_E_STATE;
    struct stat st;
    if (!rc && rename(tmp, c->file) == 0 && stat(c->file, &st) == 0) {
        cli_note("ratings cache: wrote %s (%.1f MB); later runs read it instead of parsing %s", c->file,
                 (double)st.st_size / 1e6, c->csv);
    } else {
        cli_warn("ratings cache: could not write %s (%s); later runs parse %s again", c->file,
                 f ? (rc ? err.msg : strerror(errno)) : strerror(errno), c->csv);
        unlink(tmp);
    }
    free(tmp);
    free(c->file);
    c->file = NULL;
    c->on = 0;
}
