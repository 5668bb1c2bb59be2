/*
 * ratings.c - reading a ratings CSV into a de-duplicated dataset, and the seeded train/test split (one shuffle, taking
 * the dataset's arrays or a copy of them) with the validation part `bookrec train` and `bookrec tune` carve from it.
 * Columns are found by header name (any order, names configurable); user and item ids are remapped
 * to dense indices through id tables (numeric ids go through a direct array, the rest through the
 * hash); ratings are parsed by hand in one pass. Repeated (user, item) pairs keep their last rating.
 * Bad rows stop the parse with "FILE:LINE: what", or are skipped and counted with skip_bad.
 * This file does not read files (callers hand in the bytes) and knows nothing about models.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIRECT_MAX (1L << 22) /* numeric ids below this are looked up in a plain array */

/* A numeric-id fast path in front of an id table. */
typedef struct id_map {
    bookrec_ids *ids;
    int32_t *dir;
    long dir_cap;
} id_map;

/* Returns the dense index of an id already checked by br_idcol_read; -1 on allocation failure. */
static int map_intern(id_map *m, const char *s, int len, long num) {
    if (num > 0 && num < DIRECT_MAX) {
        if (num >= m->dir_cap) {
            long nc = m->dir_cap ? m->dir_cap : 1024;
            while (nc <= num) nc *= 2;
            if (nc > DIRECT_MAX) nc = DIRECT_MAX;
            int32_t *d = realloc(m->dir, (size_t)nc * sizeof *d);
            if (!d) return -1;
            memset(d + m->dir_cap, 0xff, (size_t)(nc - m->dir_cap) * sizeof *d);
            m->dir = d;
            m->dir_cap = nc;
        }
        int32_t k = m->dir[num];
        if (k < 0) {
            k = br_ids_intern(m->ids, s, len);
            m->dir[num] = k;
        }
        return k;
    }
    return br_ids_intern(m->ids, s, len);
}

int bookrec_triples_alloc(bookrec_triples *t, size_t n) {
    if (!t) return BOOKREC_E_ARG;
    memset(t, 0, sizeof *t);
    size_t m = n ? n : 1;
    if (m > ((size_t)-1) / sizeof(float) / 4) return BOOKREC_E_NOMEM;
    t->user = malloc(m * sizeof *t->user);
    t->item = malloc(m * sizeof *t->item);
    t->rating = malloc(m * sizeof *t->rating);
    if (!t->user || !t->item || !t->rating) {
        bookrec_triples_free(t);
        return BOOKREC_E_NOMEM;
    }
    t->n = n;
    return BOOKREC_OK;
}

void bookrec_triples_free(bookrec_triples *t) {
    if (!t) return;
    free(t->user);
    free(t->item);
    free(t->rating);
    memset(t, 0, sizeof *t);
}

void bookrec_ratings_free(bookrec_ratings *r) {
    if (!r) return;
    bookrec_triples_free(&r->all);
    br_ids_free(r->users);
    br_ids_free(r->items);
    free(r);
}

/* Growable raw rows in file order. */
typedef struct raw_rows {
    int32_t *user, *item;
    float *rating;
    size_t n, cap;
} raw_rows;

static int raw_push(raw_rows *w, int32_t u, int32_t i, float v) {
    if (w->n == w->cap) {
        size_t nc = w->cap * 2;
        int32_t *a = realloc(w->user, nc * sizeof *a);
        if (!a) return -1;
        w->user = a;
        int32_t *b = realloc(w->item, nc * sizeof *b);
        if (!b) return -1;
        w->item = b;
        float *c = realloc(w->rating, nc * sizeof *c);
        if (!c) return -1;
        w->rating = c;
        w->cap = nc;
    }
    w->user[w->n] = u;
    w->item[w->n] = i;
    w->rating[w->n] = v;
    w->n++;
    return 0;
}

/* Rebuilds an id table so it holds only ids still used by rows (in order of first use); remaps idx. */
static int compact_ids(bookrec_ids **ids, int32_t *idx, size_t n) {
    int old_n = bookrec_ids_count(*ids);
    int32_t *map = malloc((size_t)(old_n ? old_n : 1) * sizeof *map);
    bookrec_ids *fresh = br_ids_create();
    if (!map || !fresh) { free(map); br_ids_free(fresh); return -1; }
    for (int k = 0; k < old_n; k++) map[k] = -1;
    for (size_t r = 0; r < n; r++) {
        int32_t o = idx[r];
        if (map[o] < 0) {
            const char *s = bookrec_ids_get(*ids, o);
            map[o] = br_ids_intern(fresh, s, (int)strlen(s));
            if (map[o] < 0) { free(map); br_ids_free(fresh); return -1; }
        }
        idx[r] = map[o];
    }
    free(map);
    br_ids_free(*ids);
    *ids = fresh;
    return 0;
}

/* Marks repeated (user, item) pairs so only the last occurrence stays; counts pairs and conflicts.
   Groups rows by user (counting sort), then finds repeated items within each user with a stamp array. */
static int dedupe(raw_rows *w, int n_users, int n_items, size_t *dups, size_t *conflicts) {
    size_t n = w->n;
    size_t *start = calloc((size_t)n_users + 1, sizeof *start);
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    int32_t *stamp = malloc((size_t)(n_items ? n_items : 1) * sizeof *stamp);
    uint32_t *last = malloc((size_t)(n_items ? n_items : 1) * sizeof *last);
    uint8_t *st = calloc(n ? n : 1, 1);
    int rc = -1;
    if (!start || !order || !stamp || !last || !st) goto done;
    for (size_t r = 0; r < n; r++) start[w->user[r] + 1]++;
    for (int u = 0; u < n_users; u++) start[u + 1] += start[u];
    for (size_t r = 0; r < n; r++) order[start[w->user[r]]++] = (uint32_t)r;
    for (int u = n_users; u > 0; u--) start[u] = start[u - 1];
    start[0] = 0;
    for (int i = 0; i < n_items; i++) stamp[i] = -1;
    size_t nd = 0, nc = 0, dropped = 0;
    for (int u = 0; u < n_users; u++) {
        for (size_t k = start[u]; k < start[u + 1]; k++) {
            uint32_t r = order[k];
            int32_t it = w->item[r];
            if (stamp[it] == u) {
                uint32_t p = last[it];
                st[p] |= 1;
                dropped++;
                if (!(st[p] & 2)) nd++;
                st[r] |= (uint8_t)(2 | (st[p] & 4));
                if (w->rating[r] != w->rating[p] && !(st[r] & 4)) { nc++; st[r] |= 4; }
            } else stamp[it] = u;
            last[it] = r;
        }
    }
    if (dropped) {
        size_t j = 0;
        for (size_t r = 0; r < n; r++) {
            if (st[r] & 1) continue;
            w->user[j] = w->user[r];
            w->item[j] = w->item[r];
            w->rating[j] = w->rating[r];
            j++;
        }
        w->n = j;
    }
    *dups = nd;
    *conflicts = nc;
    rc = 0;
done:
    free(start); free(order); free(stamp); free(last); free(st);
    return rc;
}

/* One ratings parse: the options, the header's columns, the rows read so far and what they say about the scale. */
typedef struct ratings_parse {
    bookrec_csv_options o;
    const char *ucol, *icol, *rcol, *src;
    int explicit_range;
    int colix[3];              /* user, item, rating column */
    int nh;                    /* fields in the header */
    char item_what[80];        /* "book id", "item id" or "<noun> id" */
    br_idcol ucolr, icolr;
    id_map um, im;
    raw_rows w;
    int all_integral;
    float lo, hi;
    size_t out15;              /* whole-number ratings outside 1..5 (matter only when no range is given) */
    long out15_line;
    double out15_val;
} ratings_parse;

/* Reads the header and finds the user, item and rating columns (each once, all different). */
static int parse_header(ratings_parse *p, br_csv *c, bookrec_error *err) {
    int t = br_csv_next(c, err);
    if (t < 0) return err ? err->code : BOOKREC_E_PARSE;
    if (t == 0)
        return br_fail(err, BOOKREC_E_EMPTY, "%s: the file is empty (expected a header line such as %s,%s,%s)",
                       p->src, p->icol, p->ucol, p->rcol);
    const char *names[3] = {p->ucol, p->icol, p->rcol};
    for (int k = 0; k < 3; k++) {
        p->colix[k] = br_csv_column(c, names[k]);
        if (p->colix[k] < 0) {
            char have[256];
            size_t hl = 0;
            have[0] = '\0';
            for (int f = 0; f < c->nf && hl < 200; f++) {
                char shown[48];
                hl += (size_t)snprintf(have + hl, sizeof have - hl, "%s%s", f ? "," : "",
                                       br_csv_show(c->field[f].s, c->field[f].len, shown, sizeof shown));
            }
            return br_csv_fail(c, err, BOOKREC_E_PARSE, "missing column \"%s\" (the header has: %s)", names[k], have);
        }
        if (br_csv_column_count(c, names[k]) > 1)
            return br_csv_fail(c, err, BOOKREC_E_PARSE, "column \"%s\" appears more than once in the header", names[k]);
    }
    if ((p->colix[0] == p->colix[1]) || (p->colix[0] == p->colix[2]) || (p->colix[1] == p->colix[2]))
        return br_csv_fail(c, err, BOOKREC_E_PARSE, "the user, item and rating columns must be different columns");
    p->nh = c->nf;
    snprintf(p->item_what, sizeof p->item_what, "%s id",
             p->o.noun && *p->o.noun ? p->o.noun
                                     : (!p->o.item_col || strcmp(p->o.item_col, "book_id") == 0) ? "book" : "item");
    p->ucolr = (br_idcol){0, p->o.max_id_len, "user id"};
    p->icolr = (br_idcol){0, p->o.max_id_len, p->item_what};
    return BOOKREC_OK;
}

/* Checks the rating field of the current record into *v; returns 1 with the reason in why when it is bad. */
static int read_rating(const ratings_parse *p, const br_csv_field *fr, double *v, char *why, size_t why_cap) {
    char shown[48];
    size_t rl = fr->len;
    const char *rs = br_trim(fr->s, &rl);
    if (rl == 0) { snprintf(why, why_cap, "rating is empty"); return 1; }
    if (br_parse_number(rs, rl, v)) {
        snprintf(why, why_cap, "rating \"%s\" is not a number", br_csv_show(rs, rl, shown, sizeof shown));
        return 1;
    }
    if (fabs(*v) > 1e6) {
        snprintf(why, why_cap, "rating %s is out of range", br_csv_show(rs, rl, shown, sizeof shown));
        return 1;
    }
    if (p->explicit_range && (*v < p->o.min_rating || *v > p->o.max_rating)) {
        snprintf(why, why_cap, "rating %s is outside the accepted range %g..%g",
                 br_csv_show(rs, rl, shown, sizeof shown), (double)p->o.min_rating, (double)p->o.max_rating);
        return 1;
    }
    return 0;
}

/* Reads the current data record into the rows: 0 when it was added, 1 when it is bad (the reason in why),
   -1 on allocation failure. */
static int read_row(ratings_parse *p, const br_csv *c, char *why, size_t why_cap) {
    const char *us, *is;
    int ul, il;
    long un, in;
    double v = 0;
    char tu[16], ti[16];
    if (c->nf != p->nh) {
        if (c->nf < p->nh)
            snprintf(why, why_cap, "row has %d field%s, expected %d (%s,%s,%s in some order): missing fields",
                     c->nf, c->nf == 1 ? "" : "s", p->nh, p->icol, p->ucol, p->rcol);
        else
            snprintf(why, why_cap, "row has %d fields, expected %d: extra data after the last column", c->nf, p->nh);
        return 1;
    }
    const br_csv_field *fu = &c->field[p->colix[0]], *fi = &c->field[p->colix[1]], *fr = &c->field[p->colix[2]];
    if (br_idcol_read(&p->ucolr, fu->s, fu->len, tu, &us, &ul, &un, why, why_cap)) return 1;
    if (br_idcol_read(&p->icolr, fi->s, fi->len, ti, &is, &il, &in, why, why_cap)) return 1;
    if (read_rating(p, fr, &v, why, why_cap)) return 1;
    int uix = map_intern(&p->um, us, ul, un), iix = map_intern(&p->im, is, il, in);
    if (uix < 0 || iix < 0) return -1;
    float fv = (float)v;
    if (fv != floorf(fv)) p->all_integral = 0;
    else if (!p->explicit_range && (fv < 1 || fv > 5)) {
        if (!p->out15++) { p->out15_line = c->line; p->out15_val = v; }
    }
    if (fv < p->lo) p->lo = fv;
    if (fv > p->hi) p->hi = fv;
    return raw_push(&p->w, uix, iix, fv) ? -1 : 0;
}

/* Reads every data record (skipping bad ones with skip_bad), reporting finished parts of buf to done_reading. */
static int parse_rows(ratings_parse *p, br_csv *c, bookrec_ratings *r, bookrec_error *err) {
    char why[320];
    size_t released = 0; /* buf[0..released) reported to done_reading */
    for (;;) {
        if (p->o.done_reading && c->pos - released >= ((size_t)1 << 20)) { /* the records before c->pos are done */
            released = c->pos;
            p->o.done_reading(p->o.done_reading_ctx, released);
        }
        int t = br_csv_next(c, err);
        if (t == 0) return BOOKREC_OK;
        if (t < 0) {
            if (err && err->code == BOOKREC_E_NOMEM) return BOOKREC_E_NOMEM;
            r->rows_read++;
            if (p->o.skip_bad) { r->rows_skipped++; continue; }
            return BOOKREC_E_PARSE;
        }
        r->rows_read++;
        int bad = read_row(p, c, why, sizeof why);
        if (bad < 0) return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
        if (!bad) continue;
        if (p->o.skip_bad) { r->rows_skipped++; continue; }
        return br_csv_fail(c, err, BOOKREC_E_PARSE, "%s", why);
    }
}

/* Settles the rating scale: the explicit range, the data's own (non-whole ratings, or infer_range), or 1..5 for
   whole numbers, whose rows outside 1..5 are an error, or skipped and their ids dropped with skip_bad. */
static int settle_scale(ratings_parse *p, bookrec_ratings *r, bookrec_error *err) {
    raw_rows *w = &p->w;
    if (p->explicit_range) {
        r->min_rating = p->o.min_rating;
        r->max_rating = p->o.max_rating;
    } else if (p->all_integral && p->out15 && p->o.infer_range) {
        r->min_rating = p->lo;
        r->max_rating = p->hi;
        r->scale_from_data = 1;
    } else if (p->all_integral) {
        r->min_rating = 1;
        r->max_rating = 5;
        if (p->out15) {
            if (!p->o.skip_bad)
                return br_fail(err, BOOKREC_E_PARSE,
                               "%s:%ld: rating %g is outside 1..5 (whole-number ratings are read on the 1..5 scale; "
                               "this file's ratings span %g..%g: set another scale with %s)", p->src, p->out15_line,
                               p->out15_val, (double)p->lo, (double)p->hi,
                               p->o.range_hint && *p->o.range_hint ? p->o.range_hint : "min_rating and max_rating");
            size_t j = 0;
            for (size_t k = 0; k < w->n; k++) {
                if (w->rating[k] < 1 || w->rating[k] > 5) continue;
                w->user[j] = w->user[k]; w->item[j] = w->item[k]; w->rating[j] = w->rating[k];
                j++;
            }
            w->n = j;
            r->rows_skipped += p->out15;
            if (compact_ids(&r->users, w->user, w->n) || compact_ids(&r->items, w->item, w->n))
                return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
        }
    } else {
        r->min_rating = p->lo;
        r->max_rating = p->hi;
        r->scale_from_data = 1;
    }
    r->integral = p->all_integral;
    return BOOKREC_OK;
}

int bookrec_ratings_parse(const char *buf, size_t len, const bookrec_csv_options *opt,
                          bookrec_ratings **out, bookrec_error *err) {
    ratings_parse p;
    memset(&p, 0, sizeof p);
    if (opt) p.o = *opt;
    if (!out || (!buf && len)) return br_fail(err, BOOKREC_E_ARG, "ratings_parse: NULL argument");
    *out = NULL;
    p.ucol = p.o.user_col ? p.o.user_col : "user_id";
    p.icol = p.o.item_col ? p.o.item_col : "book_id";
    p.rcol = p.o.rating_col ? p.o.rating_col : "rating";
    p.src = p.o.source ? p.o.source : "<buffer>";
    p.explicit_range = !(p.o.min_rating == 0 && p.o.max_rating == 0);
    if (p.explicit_range && !(isfinite(p.o.min_rating) && isfinite(p.o.max_rating) && p.o.min_rating < p.o.max_rating))
        return br_fail(err, BOOKREC_E_ARG, "rating range %g..%g is not valid (need min < max)",
                       (double)p.o.min_rating, (double)p.o.max_rating);
    if (p.o.max_id_len < 0) return br_fail(err, BOOKREC_E_ARG, "max_id_len %d is negative", p.o.max_id_len);
    p.all_integral = 1;
    p.lo = INFINITY;
    p.hi = -INFINITY;

    br_csv c;
    br_csv_init(&c, buf, len, p.src);
    bookrec_ratings *r = calloc(1, sizeof *r);
    raw_rows *w = &p.w;
    int rc = BOOKREC_OK;
    if (!r) { rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory"); goto fail; }
    p.um.ids = r->users = br_ids_create();
    p.im.ids = r->items = br_ids_create();
    w->cap = len / 16 + 64;
    w->user = malloc(w->cap * sizeof *w->user);
    w->item = malloc(w->cap * sizeof *w->item);
    w->rating = malloc(w->cap * sizeof *w->rating);
    if (!r->users || !r->items || !w->user || !w->item || !w->rating) {
        rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = parse_header(&p, &c, err)) || (rc = parse_rows(&p, &c, r, err))) goto fail;
    if (p.o.done_reading) p.o.done_reading(p.o.done_reading_ctx, len); /* buf is not read from here on */
    if (r->rows_read == 0) {
        rc = br_fail(err, BOOKREC_E_EMPTY, "%s: no data rows after the header", p.src);
        goto fail;
    }
    if ((rc = settle_scale(&p, r, err))) goto fail;
    if (w->n == 0) {
        rc = br_fail(err, BOOKREC_E_EMPTY, "%s: no usable rows (%zu of %zu rows were malformed and skipped)", p.src,
                     r->rows_skipped, r->rows_read);
        goto fail;
    }
    if (dedupe(w, bookrec_ids_count(r->users), bookrec_ids_count(r->items), &r->duplicates, &r->conflicting)) {
        rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory");
        goto fail;
    }
    /* hand the rows over, shrunk to size */
    int32_t *a = realloc(w->user, w->n * sizeof *a);
    if (a) w->user = a;
    int32_t *b = realloc(w->item, w->n * sizeof *b);
    if (b) w->item = b;
    float *f = realloc(w->rating, w->n * sizeof *f);
    if (f) w->rating = f;
    r->all.user = w->user;
    r->all.item = w->item;
    r->all.rating = w->rating;
    r->all.n = w->n;
    free(p.um.dir);
    free(p.im.dir);
    br_csv_free(&c);
    *out = r;
    return br_ok(err);

fail:
    free(w->user);
    free(w->item);
    free(w->rating);
    free(p.um.dir);
    free(p.im.dir);
    br_csv_free(&c);
    if (r) {
        memset(&r->all, 0, sizeof r->all);
        bookrec_ratings_free(r);
    }
    return rc ? rc : BOOKREC_E_PARSE;
}

/* The checks both splits make: zeroes train and test, and gives the ratings' count and the test part's size. */
static int split_sizes(const bookrec_ratings *r, double test_fraction, bookrec_triples *train, bookrec_triples *test,
                       size_t *n_out, size_t *n_test_out, bookrec_error *err) {
    if (!r || !train || !test) return br_fail(err, BOOKREC_E_ARG, "split: NULL argument");
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (!(test_fraction >= 0.0 && test_fraction < 1.0))
        return br_fail(err, BOOKREC_E_ARG, "test fraction %g is not in [0, 1)", test_fraction);
    size_t n = r->all.n;
    if (n == 0) return br_fail(err, BOOKREC_E_EMPTY, "split: the dataset has no ratings");
    if (n > 0xffffffffu) return br_fail(err, BOOKREC_E_ARG, "split: too many ratings (%zu)", n);
    size_t n_test = (size_t)ceil(test_fraction * (double)n);
    if (n_test >= n) return br_fail(err, BOOKREC_E_EMPTY, "split: a test fraction of %g leaves no training ratings",
                                    test_fraction);
    *n_out = n;
    *n_test_out = n_test;
    return BOOKREC_OK;
}

int bookrec_split_take(bookrec_ratings *r, double test_fraction, uint64_t seed,
                       bookrec_triples *train, bookrec_triples *test, bookrec_error *err) {
    size_t n = 0, n_test = 0;
    int rc = split_sizes(r, test_fraction, train, test, &n, &n_test, err);
    if (rc) return rc;
    bookrec_triples *a = &r->all;
    if (bookrec_triples_alloc(test, n_test)) return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    /* the swaps bookrec_split makes on its index array, made on the triples: a[k] ends as the old a[perm[k]] */
    br_rng rng;
    br_rng_seed(&rng, seed);
    for (size_t k = n - 1; k > 0; k--) {
        size_t j = br_rng_below(&rng, (uint32_t)(k + 1));
        int32_t u = a->user[k], i = a->item[k];
        float v = a->rating[k];
        a->user[k] = a->user[j]; a->item[k] = a->item[j]; a->rating[k] = a->rating[j];
        a->user[j] = u; a->item[j] = i; a->rating[j] = v;
    }
    memcpy(test->user, a->user, n_test * sizeof *a->user);
    memcpy(test->item, a->item, n_test * sizeof *a->item);
    memcpy(test->rating, a->rating, n_test * sizeof *a->rating);
    size_t nt = n - n_test;
    memmove(a->user, a->user + n_test, nt * sizeof *a->user);
    memmove(a->item, a->item + n_test, nt * sizeof *a->item);
    memmove(a->rating, a->rating + n_test, nt * sizeof *a->rating);
    *train = *a;
    train->n = nt;
    int32_t *pu = realloc(train->user, nt * sizeof *pu); /* shrinking: a failure keeps the larger block */
    if (pu) train->user = pu;
    int32_t *pi = realloc(train->item, nt * sizeof *pi);
    if (pi) train->item = pi;
    float *pr = realloc(train->rating, nt * sizeof *pr);
    if (pr) train->rating = pr;
    memset(a, 0, sizeof *a);
    return br_ok(err);
}

int bookrec_split(const bookrec_ratings *r, double test_fraction, uint64_t seed,
                  bookrec_triples *train, bookrec_triples *test, bookrec_error *err) {
    size_t n = 0, n_test = 0;
    int rc = split_sizes(r, test_fraction, train, test, &n, &n_test, err);
    if (rc) return rc;
    bookrec_ratings copy = *r; /* bookrec_split_take on a copy of the ratings: one shuffle for both */
    if (bookrec_triples_alloc(&copy.all, n)) return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    memcpy(copy.all.user, r->all.user, n * sizeof *copy.all.user);
    memcpy(copy.all.item, r->all.item, n * sizeof *copy.all.item);
    memcpy(copy.all.rating, r->all.rating, n * sizeof *copy.all.rating);
    rc = bookrec_split_take(&copy, test_fraction, seed, train, test, err);
    bookrec_triples_free(&copy.all); /* empty unless the split failed */
    return rc;
}

int bookrec_split_parts_make(bookrec_ratings *r, double test_fraction, uint64_t seed, double valid_fraction, int lean,
                             bookrec_split_parts *p, bookrec_error *err) {
    if (!p) return br_fail(err, BOOKREC_E_ARG, "split: NULL argument");
    memset(p, 0, sizeof *p);
    int rc = lean ? bookrec_split_take(r, test_fraction, seed, &p->train, &p->test, err)
                  : bookrec_split(r, test_fraction, seed, &p->train, &p->test, err);
    if (rc == BOOKREC_OK && valid_fraction > 0) {
        rc = bookrec_triples_split(&p->train, valid_fraction, br_valid_seed(seed), &p->fit, &p->valid, err);
        if (rc == BOOKREC_OK && lean) bookrec_triples_free(&p->train);
    }
    if (rc != BOOKREC_OK) bookrec_split_parts_free(p);
    return rc;
}

void bookrec_split_parts_free(bookrec_split_parts *p) {
    if (!p) return;
    bookrec_triples_free(&p->train);
    bookrec_triples_free(&p->test);
    bookrec_triples_free(&p->fit);
    bookrec_triples_free(&p->valid);
}
