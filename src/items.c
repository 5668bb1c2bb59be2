/*
 * items.c - reading an items CSV (goodbooks' books.csv, or any catalogue with configurable column
 * names) into a table of display fields: id, title, authors, cover urls, year, average rating, one
 * extra column (goodreads_book_id, used to join book_tags.csv) and the columns a Goodreads library is
 * matched by (best_book_id, isbn, isbn13, original_title; each may be missing). Strings are cleaned for display:
 * invalid UTF-8 becomes U+FFFD, control characters become spaces, outer spaces are trimmed. The data
 * is kept as text, never interpreted (a title that looks like HTML stays that text; escaping is the
 * front-end's job). No file I/O; the bytes come from the caller.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_TITLE, F_AUTHORS, F_IMAGE, F_SMALL, F_EXTRA, F_BEST, F_ISBN, F_ISBN13, F_ORIG, F_ID, N_STR };

typedef struct item_row {
    size_t off[N_STR]; /* arena offsets; 0 is the shared "" */
    int year;
    float avg;
    long line;
} item_row;

typedef struct arena {
    char *p;
    size_t n, cap;
} arena;

static int arena_room(arena *a, size_t more) {
    if (a->n + more <= a->cap) return 0;
    size_t nc = a->cap ? a->cap : 4096;
    while (nc < a->n + more) {
        if (nc > ((size_t)-1) / 2) return -1;
        nc *= 2;
    }
    char *q = realloc(a->p, nc);
    if (!q) return -1;
    a->p = q;
    a->cap = nc;
    return 0;
}

/* Appends a cleaned, trimmed, NUL-terminated copy of s to the arena; returns its offset (0 for ""), or
   (size_t)-1 on allocation failure. */
static size_t arena_text(arena *a, const char *str, size_t len) {
    str = br_trim(str, &len);
    if (len == 0) return 0;
    if (len > ((size_t)-1) / 4 || arena_room(a, len * 3 + 1)) return (size_t)-1;
    const uint8_t *s = (const uint8_t *)str;
    size_t at = a->n, j = at;
    for (size_t i = 0; i < len;) {
        int k = br_utf8_seq(s, len, i);
        if (k == 1) {
            a->p[j++] = (s[i] < 0x20 || s[i] == 0x7f) ? ' ' : (char)s[i];
            i++;
        } else if (k > 1) {
            memcpy(a->p + j, s + i, (size_t)k);
            j += (size_t)k;
            i += (size_t)k;
        } else {
            a->p[j++] = (char)0xEF; a->p[j++] = (char)0xBF; a->p[j++] = (char)0xBD;
            i++;
        }
    }
    a->p[j++] = '\0';
    a->n = j;
    return at;
}

/* The public table plus the string arena its pointers point into. */
typedef struct items_impl {
    bookrec_items pub; /* first member: a bookrec_items * is an items_impl * */
    char *arena;
} items_impl;

void bookrec_items_free(bookrec_items *it) {
    if (!it) return;
    items_impl *im = (items_impl *)it;
    free(im->arena);
    free(it->item);
    br_ids_free(it->ids);
    free(im);
}

const bookrec_item *bookrec_items_find(const bookrec_items *it, const char *id) {
    int j = it && id ? bookrec_ids_find(it->ids, id, -1) : -1;
    return j >= 0 && j < it->n ? &it->item[j] : NULL;
}

/* Finds a column: required ones must exist; optional ones must exist only when named explicitly. */
static int find_col(br_csv *c, const char *given, const char *dflt, int required, int *ix, bookrec_error *err) {
    const char *name = given ? given : dflt;
    *ix = br_csv_column(c, name);
    if (*ix < 0 && (required || given)) {
        char have[256], shown[48];
        size_t hl = 0;
        have[0] = '\0';
        for (int f = 0; f < c->nf && hl < 200; f++)
            hl += (size_t)snprintf(have + hl, sizeof have - hl, "%s%s", f ? "," : "",
                                   br_csv_show(c->field[f].s, c->field[f].len, shown, sizeof shown));
        return br_csv_fail(c, err, BOOKREC_E_PARSE, "missing column \"%s\" (the header has: %s)", name, have);
    }
    if (*ix >= 0 && br_csv_column_count(c, name) > 1)
        return br_csv_fail(c, err, BOOKREC_E_PARSE, "column \"%s\" appears more than once in the header", name);
    return BOOKREC_OK;
}

/* Reads the optional year and average rating fields of the current record into row; returns 1 with the reason in
   why when one is malformed. */
static int row_numbers(const br_csv *c, int cyear, int cavg, item_row *row, char *why, size_t why_cap) {
    char shown[48];
    if (cyear >= 0) {
        size_t l = c->field[cyear].len;
        const char *s = br_trim(c->field[cyear].s, &l);
        double v;
        if (l) {
            if (br_parse_number(s, l, &v) || v != floor(v)) {
                snprintf(why, why_cap, "year \"%s\" is not a whole number", br_csv_show(s, l, shown, sizeof shown));
                return 1;
            }
            if (v < -9999 || v > 9999) {
                snprintf(why, why_cap, "year %s is out of range (-9999..9999)", br_csv_show(s, l, shown, sizeof shown));
                return 1;
            }
            row->year = (int)v;
        }
    }
    if (cavg >= 0) {
        size_t l = c->field[cavg].len;
        const char *s = br_trim(c->field[cavg].s, &l);
        double v;
        if (l) {
            if (br_parse_number(s, l, &v) || fabs(v) > 1e6) {
                snprintf(why, why_cap, "average rating \"%s\" is not a number", br_csv_show(s, l, shown, sizeof shown));
                return 1;
            }
            row->avg = (float)v;
        }
    }
    return 0;
}

/* Copies the record's string fields (the id as normalised: ids[0..idl)) into the arena, their offsets into row;
   -1 on allocation failure. */
static int row_strings(arena *a, const br_csv *c, const int strcol[N_STR], const char *ids, int idl, item_row *row) {
    for (int k = 0; k < N_STR; k++) {
        if (strcol[k] < 0) continue;
        size_t off;
        if (k == F_ID) {
            if (arena_room(a, (size_t)idl + 1)) return -1;
            off = a->n;
            memcpy(a->p + a->n, ids, (size_t)idl);
            a->n += (size_t)idl;
            a->p[a->n++] = '\0';
        } else {
            off = arena_text(a, c->field[strcol[k]].s, c->field[strcol[k]].len);
            if (off == (size_t)-1) return -1;
        }
        row->off[k] = off;
    }
    return 0;
}

/* Points the public items (im->pub.item, allocated for nrows) into the arena im->arena. */
static void items_publish(items_impl *im, const item_row *rows, size_t nrows) {
    for (size_t k = 0; k < nrows; k++) {
        bookrec_item *it = &im->pub.item[k];
        it->id = im->arena + rows[k].off[F_ID];
        it->title = im->arena + rows[k].off[F_TITLE];
        it->authors = im->arena + rows[k].off[F_AUTHORS];
        it->image_url = im->arena + rows[k].off[F_IMAGE];
        it->small_image_url = im->arena + rows[k].off[F_SMALL];
        it->extra = im->arena + rows[k].off[F_EXTRA];
        it->best_id = im->arena + rows[k].off[F_BEST];
        it->isbn = im->arena + rows[k].off[F_ISBN];
        it->isbn13 = im->arena + rows[k].off[F_ISBN13];
        it->original_title = im->arena + rows[k].off[F_ORIG];
        it->year = rows[k].year;
        it->avg_rating = rows[k].avg;
    }
    im->pub.n = (int)nrows;
}

int bookrec_items_parse(const char *buf, size_t len, const bookrec_items_options *opt,
                        bookrec_items **out, bookrec_error *err) {
    bookrec_items_options o;
    if (opt) o = *opt;
    else memset(&o, 0, sizeof o);
    if (!out || (!buf && len)) return br_fail(err, BOOKREC_E_ARG, "items_parse: NULL argument");
    *out = NULL;
    const char *src = o.source ? o.source : "<buffer>";
    br_csv c;
    br_csv_init(&c, buf, len, src);
    items_impl *im = calloc(1, sizeof *im);
    arena a = {0};
    item_row *rows = NULL;
    size_t nrows = 0, caprows = 0, rows_read = 0;
    int rc = BOOKREC_OK;
    if (!im || !(im->pub.ids = br_ids_create()) || arena_room(&a, 1)) {
        rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory");
        goto fail;
    }
    a.p[a.n++] = '\0'; /* offset 0: the shared empty string */

    int t = br_csv_next(&c, err);
    if (t < 0) { rc = err ? err->code : BOOKREC_E_PARSE; goto fail; }
    if (t == 0) {
        rc = br_fail(err, BOOKREC_E_EMPTY, "%s: the file is empty (expected a header line with %s and %s columns)",
                     src, o.id_col ? o.id_col : "book_id", o.title_col ? o.title_col : "title");
        goto fail;
    }
    int cid, ctitle, cauth, cimg, csmall, cyear, cavg, cextra, cbest, cisbn, cisbn13, corig;
    if ((rc = find_col(&c, o.id_col, "book_id", 1, &cid, err)) ||
        (rc = find_col(&c, o.title_col, "title", 1, &ctitle, err)) ||
        (rc = find_col(&c, o.author_col, "authors", 0, &cauth, err)) ||
        (rc = find_col(&c, o.image_col, "image_url", 0, &cimg, err)) ||
        (rc = find_col(&c, o.small_image_col, "small_image_url", 0, &csmall, err)) ||
        (rc = find_col(&c, o.year_col, "original_publication_year", 0, &cyear, err)) ||
        (rc = find_col(&c, o.avg_col, "average_rating", 0, &cavg, err)) ||
        (rc = find_col(&c, o.extra_col, "goodreads_book_id", 0, &cextra, err)) ||
        (rc = find_col(&c, o.best_col, "best_book_id", 0, &cbest, err)) ||
        (rc = find_col(&c, o.isbn_col, "isbn", 0, &cisbn, err)) ||
        (rc = find_col(&c, o.isbn13_col, "isbn13", 0, &cisbn13, err)) ||
        (rc = find_col(&c, o.original_title_col, "original_title", 0, &corig, err)))
        goto fail;
    const int nh = c.nf;
    const int strcol[N_STR] = {ctitle, cauth, cimg, csmall, cextra, cbest, cisbn, cisbn13, corig, cid};
    char id_what[80];
    snprintf(id_what, sizeof id_what, "%s id",
             o.noun && *o.noun ? o.noun : (!o.id_col || strcmp(o.id_col, "book_id") == 0) ? "book" : "item");
    br_idcol idc = {0, 0, id_what};
    char why[320], shown[48], tid[16];

    for (;;) {
        t = br_csv_next(&c, err);
        if (t == 0) break;
        rows_read++;
        if (t < 0) {
            if (err && err->code == BOOKREC_E_NOMEM) { rc = BOOKREC_E_NOMEM; goto fail; }
            if (o.skip_bad) { im->pub.rows_skipped++; continue; }
            rc = BOOKREC_E_PARSE;
            goto fail;
        }
        item_row row;
        memset(&row, 0, sizeof row);
        row.line = c.line;
        const char *ids;
        int idl;
        long num;
        if (c.nf != nh) {
            if (c.nf < nh) snprintf(why, sizeof why, "row has %d field%s, expected %d: missing fields", c.nf,
                                    c.nf == 1 ? "" : "s", nh);
            else snprintf(why, sizeof why, "row has %d fields, expected %d: extra data after the last column", c.nf, nh);
            goto bad;
        }
        if (br_idcol_read(&idc, c.field[cid].s, c.field[cid].len, tid, &ids, &idl, &num, why, sizeof why)) goto bad;
        {
            int known = bookrec_ids_find(im->pub.ids, ids, idl);
            if (known >= 0) {
                snprintf(why, sizeof why, "%s \"%s\" appears twice (first on line %ld)", idc.what,
                         br_csv_show(ids, (size_t)idl, shown, sizeof shown), rows[known].line);
                goto bad;
            }
        }
        if (row_numbers(&c, cyear, cavg, &row, why, sizeof why)) goto bad;
        if (row_strings(&a, &c, strcol, ids, idl, &row)) goto nomem;
        if (nrows == caprows) {
            size_t nc = caprows ? caprows * 2 : 256;
            item_row *q = realloc(rows, nc * sizeof *q);
            if (!q) goto nomem;
            rows = q;
            caprows = nc;
        }
        if (nrows >= 0x7fffffff || br_ids_intern(im->pub.ids, ids, idl) != (int)nrows) goto nomem;
        rows[nrows++] = row;
        continue;
    bad:
        if (o.skip_bad) { im->pub.rows_skipped++; continue; }
        rc = br_csv_fail(&c, err, BOOKREC_E_PARSE, "%s", why);
        goto fail;
    }
    if (rows_read == 0) {
        rc = br_fail(err, BOOKREC_E_EMPTY, "%s: no data rows after the header", src);
        goto fail;
    }
    if (nrows == 0) {
        rc = br_fail(err, BOOKREC_E_EMPTY, "%s: no usable rows (%zu of %zu rows were malformed and skipped)", src,
                     im->pub.rows_skipped, rows_read);
        goto fail;
    }
    im->pub.item = calloc(nrows, sizeof *im->pub.item);
    if (!im->pub.item) goto nomem;
    {
        char *shrunk = realloc(a.p, a.n);
        if (shrunk) a.p = shrunk;
    }
    im->arena = a.p;
    a.p = NULL;
    items_publish(im, rows, nrows);
    free(rows);
    br_csv_free(&c);
    *out = &im->pub;
    return br_ok(err);

nomem:
    rc = br_fail(err, BOOKREC_E_NOMEM, "%s:%ld: out of memory", src, c.line);
fail:
    free(rows);
    free(a.p);
    br_csv_free(&c);
    if (im) bookrec_items_free(&im->pub);
    return rc ? rc : BOOKREC_E_PARSE;
}
