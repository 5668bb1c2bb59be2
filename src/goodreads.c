/*
 * goodreads.c - reading a Goodreads library export (My Books, Import and export: the
 * goodreads_library_export.csv file) and matching its rows to a books table, as the site does in
 * web/goodreads.js: columns are found by header name; a row is matched by its Goodreads book id
 * (against goodreads_book_id, then best_book_id), then by ISBN (ISBN-10 and ISBN-13 both compared as
 * ISBN-13, also against books.csv's isbn13 float that lost its last digit), then by the normalised title
 * and first author's surname (full titles first; titles without their subtitle and original titles only
 * where they point to one book). The title normalisation follows the site's (series brackets dropped,
 * lower case, no diacritics, no punctuation, no leading article); its Unicode folding covers Latin,
 * Greek, Cyrillic and Arabic letters and common punctuation, and keeps other scripts' letters as they are. The
 * matched export then makes a new reader in a model's terms (bookrec_gr_reader_create: rated books, books to leave
 * out). No file I/O: the bytes come from the caller.
 */
#include "internal.h"
#include "goodreads_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ parsing an export */

typedef struct gr_impl {
    bookrec_goodreads pub; /* first member */
    char **blob;           /* each row's strings, one block per row */
    int cap;
} gr_impl;

void bookrec_goodreads_free(bookrec_goodreads *g) {
    if (!g) return;
    gr_impl *im = (gr_impl *)g;
    for (int k = 0; k < g->n; k++) free(im->blob[k]);
    free(im->blob);
    free(g->row);
    free(im);
}

enum { C_ID, C_TITLE, C_AUTHOR, C_AUTHOR_LF, C_ISBN, C_ISBN13, C_RATING, C_SHELF, C_SHELVES, N_COL };
static const char *const gr_columns[N_COL] = {"Book Id", "Title", "Author", "Author l-f", "ISBN",
                                              "ISBN13", "My Rating", "Exclusive Shelf", "Bookshelves"};

/* Field `col` of the current record, trimmed of ASCII white space, NBSP and BOM (s "" when absent). */
static const char *gr_field(const br_csv *c, const int *at, int col, size_t *len) {
    *len = 0;
    if (at[col] < 0 || at[col] >= c->nf) return "";
    const char *s = c->field[at[col]].s;
    size_t n = c->field[at[col]].len, w;
    while (n && (w = br_gr_space_at(s, n, 0)) > 0) { s += w; n -= w; }
    while (n) {
        size_t st = br_gr_spaces_before(s, n, 0, n);
        if (st == n) break;
        n = st;
    }
    *len = n;
    return s;
}

/* Whether the comma-separated shelves in s[0..len) name to-read (any case). */
static int names_to_read(const char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && s[j] != ',') j++;
        size_t a = i, b = j;
        while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
        if (b - a == 7) {
            char w[8];
            for (int k = 0; k < 7; k++) w[k] = (char)((s[a + k] >= 'A' && s[a + k] <= 'Z') ? s[a + k] + 32 : s[a + k]);
            if (!memcmp(w, "to-read", 7)) return 1;
        }
        i = j + 1;
    }
    return 0;
}

/* Reads My Rating: "" is 0 (not rated), else a whole number 0..5; -1 when it is not one. */
static int read_rating(const char *s, size_t len) {
    double v;
    if (!len) return 0;
    if (br_parse_number(s, len, &v) || v != floor(v) || v < 0 || v > 5) return -1;
    return (int)v;
}

/* Appends a cleaned copy of s[0..len) (invalid UTF-8 as U+FFFD, control characters as spaces) to b, NUL included;
   returns its offset. */
static size_t put_text(sbuf *b, const char *s, size_t len) {
    size_t at = b->n;
    for (size_t i = 0; i < len;) {
        uint32_t cp = br_gr_utf8_next(s, len, &i);
        br_gr_put_cp(b, cp < 0x20 || cp == 0x7F ? ' ' : cp);
    }
    br_gr_sb_put(b, "", 1);
    return at;
}

/* Fills row (strings into a new block kept in im->blob[im->pub.n]) from the current record; -1 on no memory. */
static int gr_row(gr_impl *im, const br_csv *c, const int *at, int rating, bookrec_gr_row *row) {
    size_t l[N_COL];
    const char *f[N_COL];
    for (int k = 0; k < N_COL; k++) f[k] = gr_field(c, at, k, &l[k]);
    sbuf b = {0};
    size_t o_id = b.n;
    for (size_t i = 0; i < l[C_ID]; i++)
        if (f[C_ID][i] >= '0' && f[C_ID][i] <= '9') br_gr_sb_put(&b, f[C_ID] + i, 1);
    br_gr_sb_put(&b, "", 1);
    size_t o_title = put_text(&b, f[C_TITLE], l[C_TITLE]);
    size_t o_author = put_text(&b, f[C_AUTHOR], l[C_AUTHOR]);
    size_t o_lf = put_text(&b, f[C_AUTHOR_LF], l[C_AUTHOR_LF]);
    size_t o_shelf = b.n;
    if (l[C_SHELF]) {
        for (size_t i = 0; i < l[C_SHELF]; i++) {
            char ch = f[C_SHELF][i];
            if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
            if ((uint8_t)ch < 0x20) ch = ' ';
            br_gr_sb_put(&b, &ch, 1);
        }
        br_gr_sb_put(&b, "", 1);
    } else {
        const char *sh = names_to_read(f[C_SHELVES], l[C_SHELVES]) ? "to-read" : "read";
        br_gr_sb_put(&b, sh, strlen(sh) + 1);
    }
    if (b.oom) { free(b.p); return -1; }
    memset(row, 0, sizeof *row);
    row->line = c->line;
    row->book_id = b.p + o_id;
    row->title = b.p + o_title;
    row->author = b.p + o_author;
    row->author_lf = b.p + o_lf;
    row->shelf = b.p + o_shelf;
    row->rating = rating;
    br_gr_to_isbn13(f[C_ISBN13], l[C_ISBN13], row->isbn13[0]);
    br_gr_to_isbn13(f[C_ISBN], l[C_ISBN], row->isbn13[1]);
    if (!row->isbn13[0][0] || !strcmp(row->isbn13[0], row->isbn13[1])) {
        memcpy(row->isbn13[0], row->isbn13[1], 14);
        row->isbn13[1][0] = '\0';
    }
    im->blob[im->pub.n] = b.p;
    return 0;
}

int bookrec_goodreads_parse(const char *buf, size_t len, const char *source, bookrec_goodreads **out,
                            bookrec_error *err) {
    if (!out || (!buf && len)) return br_fail(err, BOOKREC_E_ARG, "goodreads_parse: NULL argument");
    *out = NULL;
    const char *src = source ? source : "<buffer>";
    br_csv c;
    br_csv_init(&c, buf, len, src);
    gr_impl *im = calloc(1, sizeof *im);
    int rc = BOOKREC_OK;
    if (!im) { rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory"); goto fail; }
    int t = br_csv_next(&c, err);
    if (t < 0) { rc = err ? err->code : BOOKREC_E_PARSE; goto fail; }
    if (t == 0) {
        rc = br_fail(err, BOOKREC_E_EMPTY, "%s: the file is empty (expected a Goodreads library export)", src);
        goto fail;
    }
    int at[N_COL];
    for (int k = 0; k < N_COL; k++) at[k] = br_csv_column(&c, gr_columns[k]);
    if (at[C_TITLE] < 0 || (at[C_ID] < 0 && at[C_ISBN] < 0 && at[C_ISBN13] < 0)) {
        rc = br_csv_fail(&c, err, BOOKREC_E_PARSE,
                         "not a Goodreads library export: no 'Book Id' or 'Title' column (export it from Goodreads: "
                         "My Books, Import and export, Export library)");
        goto fail;
    }
    while ((t = br_csv_next(&c, err)) != 0) {
        if (t < 0) { rc = err ? err->code : BOOKREC_E_PARSE; goto fail; }
        size_t tl, il, rl;
        gr_field(&c, at, C_TITLE, &tl);
        const char *id = gr_field(&c, at, C_ID, &il);
        int digits = 0;
        for (size_t i = 0; i < il; i++) digits += id[i] >= '0' && id[i] <= '9';
        if (!tl && !digits) { im->pub.skipped++; continue; }
        const char *rs = gr_field(&c, at, C_RATING, &rl);
        int rating = read_rating(rs, rl);
        if (rating < 0) {
            char shown[48];
            rc = br_csv_fail(&c, err, BOOKREC_E_PARSE,
                             "My Rating must be a whole number 0..5 (0: not rated), got \"%s\"",
                             br_csv_show(rs, rl, shown, sizeof shown));
            goto fail;
        }
        if (im->pub.n == im->cap) {
            int nc = im->cap ? im->cap * 2 : 64;
            if (nc > 0x3fffffff) goto nomem;
            bookrec_gr_row *r = realloc(im->pub.row, sizeof *r * (size_t)nc);
            if (!r) goto nomem;
            im->pub.row = r;
            char **bl = realloc(im->blob, sizeof *bl * (size_t)nc);
            if (!bl) goto nomem;
            im->blob = bl;
            im->cap = nc;
        }
        if (gr_row(im, &c, at, rating, &im->pub.row[im->pub.n])) goto nomem;
        im->pub.n++;
    }
    br_csv_free(&c);
    *out = &im->pub;
    return br_ok(err);
nomem:
    rc = br_fail(err, BOOKREC_E_NOMEM, "%s:%ld: out of memory", src, c.line);
fail:
    br_csv_free(&c);
    bookrec_goodreads_free(im ? &im->pub : NULL);
    return rc ? rc : BOOKREC_E_PARSE;
}

/* ------------------------------------------------------------------ matching */

/* A string -> book index map (first value wins, or -1 for "more than one book" in the loose map). */
typedef struct keymap {
    bookrec_ids *keys;
    int *val;
    int cap;
} keymap;

static int km_init(keymap *m) {
    m->keys = br_ids_create();
    m->val = NULL;
    m->cap = 0;
    return m->keys ? 0 : -1;
}

static void km_free(keymap *m) {
    br_ids_free(m->keys);
    free(m->val);
}

static int km_get(const keymap *m, const char *key) {
    int k = bookrec_ids_find(m->keys, key, -1);
    return k >= 0 ? m->val[k] : -1;
}

static int km_has(const keymap *m, const char *key) {
    return bookrec_ids_find(m->keys, key, -1) >= 0;
}

/* Sets key -> i unless the key is there already; loose: a key already pointing to another book points to none
   (-1) from then on. Returns -1 on no memory. */
static int km_put(keymap *m, const char *key, int i, int loose) {
    if (!*key) return 0;
    int n = bookrec_ids_count(m->keys);
    int k = br_ids_intern(m->keys, key, (int)strlen(key));
    if (k < 0) return -1;
    if (k < n) {
        if (loose && m->val[k] != i) m->val[k] = -1;
        return 0;
    }
    if (k >= m->cap) {
        int nc = m->cap ? m->cap * 2 : 1024;
        int *q = realloc(m->val, sizeof *q * (size_t)nc);
        if (!q) return -1;
        m->val = q;
        m->cap = nc;
    }
    m->val[k] = i;
    return 0;
}

struct bookrec_gr_matcher {
    keymap gr, isbn, lossy, title; /* Goodreads ids, ISBN-13s, lossy ISBN-13s, "title|surname" */
};

void bookrec_gr_matcher_free(bookrec_gr_matcher *m) {
    if (!m) return;
    km_free(&m->gr);
    km_free(&m->isbn);
    km_free(&m->lossy);
    km_free(&m->title);
    free(m);
}

/* A books.csv id ("2767052", "2767052.0") in canonical decimal into out[32] ("" when it is not a positive whole
   number of at most 20 digits). */
static void canonical_id(const char *s, char out[32]) {
    size_t n = strlen(s);
    out[0] = '\0';
    s = br_trim(s, &n);
    size_t dot = n;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '.') { dot = i; break; }
    if (dot < n) {
        if (dot + 1 == n) return; /* "12." */
        for (size_t i = dot + 1; i < n; i++)
            if (s[i] != '0') return;
        n = dot;
    }
    if (!n) return;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return;
    while (n > 1 && *s == '0') { s++; n--; }
    if (n > 20 || (n == 1 && *s == '0')) return;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* Writes "title|surname" for title[0..len) (full or without subtitle) into key; "" when the title is empty. */
static void title_key(sbuf *key, sbuf *t1, sbuf *t2, const char *title, int full, const char *surname) {
    br_gr_norm_title(t1, t2, title, strlen(title), full);
    br_gr_sb_clear(key);
    br_gr_sb_put(key, "", 0);
    if (!t1->n) return;
    br_gr_sb_put(key, t1->p, t1->n);
    br_gr_sb_put(key, "|", 1);
    br_gr_sb_put(key, surname, strlen(surname));
}

/* Adds the loose title keys of one title (its full and short forms) of book i. */
static int add_loose(const keymap *full_titles, keymap *loose, sbuf *k, sbuf *t1, sbuf *t2, const char *title,
                     const char *surname, int i) {
    for (int full = 1; full >= 0; full--) {
        title_key(k, t1, t2, title, full, surname);
        if (k->oom) return -1;
        if (!k->n || km_has(full_titles, k->p)) continue;
        if (km_put(loose, k->p, i, 1)) return -1;
    }
    return 0;
}

/* Scratch text for building keys. */
typedef struct scratch {
    sbuf k, t1, t2, a;
} scratch;

static void scratch_free(scratch *s) {
    free(s->k.p);
    free(s->t1.p);
    free(s->t2.p);
    free(s->a.p);
}

/* Adds book i's ids and ISBNs (Goodreads id only; best_book_id comes in a second pass) to the maps. */
static int add_ids(bookrec_gr_matcher *m, const bookrec_item *it, int i) {
    char id[32], c[32], i13[14], lossy[32];
    canonical_id(it->extra ? it->extra : "", id);
    if (km_put(&m->gr, id, i, 0)) return -1;
    const char *isbn = it->isbn ? it->isbn : "";
    size_t n = br_gr_clean_isbn(isbn, strlen(isbn), c, sizeof c);
    br_gr_isbn10_to_13(c, n, i13);
    if (km_put(&m->isbn, i13, i, 0)) return -1;
    if (!i13[0]) {
        const char *f = it->isbn13 ? it->isbn13 : "";
        br_gr_isbn13_lossy(f, strlen(f), lossy);
        if (km_put(&m->lossy, lossy, i, 0)) return -1;
    }
    return 0;
}

/* Adds the title keys: full titles first (first book wins), then the loose keys of titles without their subtitle
   and of original titles, kept only where they point to one book. */
static int add_titles(bookrec_gr_matcher *m, const bookrec_items *items, scratch *s) {
    keymap loose;
    if (km_init(&loose)) return -1;
    int rc = 0;
    for (int i = 0; i < items->n && !rc; i++) {
        const bookrec_item *it = &items->item[i];
        br_gr_author_key(&s->a, &s->t1, it->authors ? it->authors : "", it->authors ? strlen(it->authors) : 0, 0);
        title_key(&s->k, &s->t1, &s->t2, it->title ? it->title : "", 1, s->a.p);
        rc = s->k.oom || s->a.oom || km_put(&m->title, s->k.p, i, 0);
    }
    for (int i = 0; i < items->n && !rc; i++) {
        const bookrec_item *it = &items->item[i];
        br_gr_author_key(&s->a, &s->t1, it->authors ? it->authors : "", it->authors ? strlen(it->authors) : 0, 0);
        if (s->a.oom) { rc = -1; break; }
        rc = add_loose(&m->title, &loose, &s->k, &s->t1, &s->t2, it->title ? it->title : "", s->a.p, i);
        if (!rc && it->original_title && *it->original_title)
            rc = add_loose(&m->title, &loose, &s->k, &s->t1, &s->t2, it->original_title, s->a.p, i);
    }
    int nk = bookrec_ids_count(loose.keys);
    for (int k = 0; k < nk && !rc; k++)
        if (loose.val[k] >= 0) rc = km_put(&m->title, bookrec_ids_get(loose.keys, k), loose.val[k], 0);
    km_free(&loose);
    return rc ? -1 : 0;
}

int bookrec_gr_matcher_create(const bookrec_items *items, bookrec_gr_matcher **out, bookrec_error *err) {
    if (!out || !items || (items->n > 0 && !items->item))
        return br_fail(err, BOOKREC_E_ARG, "gr_matcher_create: NULL argument");
    *out = NULL;
    bookrec_gr_matcher *m = calloc(1, sizeof *m);
    scratch s = {{0}, {0}, {0}, {0}};
    int rc = !m || km_init(&m->gr) || km_init(&m->isbn) || km_init(&m->lossy) || km_init(&m->title);
    for (int i = 0; i < items->n && !rc; i++) rc = add_ids(m, &items->item[i], i);
    for (int i = 0; i < items->n && !rc; i++) {
        char best[32], gr[32];
        canonical_id(items->item[i].best_id ? items->item[i].best_id : "", best);
        canonical_id(items->item[i].extra ? items->item[i].extra : "", gr);
        if (strcmp(best, gr)) rc = km_put(&m->gr, best, i, 0);
    }
    if (!rc) rc = add_titles(m, items, &s);
    scratch_free(&s);
    if (rc) {
        bookrec_gr_matcher_free(m);
        return br_fail(err, BOOKREC_E_NOMEM, "out of memory building the Goodreads matcher");
    }
    *out = m;
    return br_ok(err);
}

/* Tries the title keys of row for one author surname; returns the book or -1. */
static int match_title(const bookrec_gr_matcher *m, const bookrec_gr_row *row, const char *surname, scratch *s) {
    for (int full = 1; full >= 0; full--) {
        title_key(&s->k, &s->t1, &s->t2, row->title ? row->title : "", full, surname);
        if (s->k.oom || !s->k.n) continue;
        int i = km_get(&m->title, s->k.p);
        if (i >= 0) return i;
    }
    return -1;
}

int bookrec_gr_match(const bookrec_gr_matcher *m, const bookrec_gr_row *row, bookrec_gr_how *how) {
    if (how) *how = BOOKREC_GR_NONE;
    if (!m || !row) return -1;
    int i;
    if (row->book_id && *row->book_id && (i = km_get(&m->gr, row->book_id)) >= 0) {
        if (how) *how = BOOKREC_GR_ID;
        return i;
    }
    for (int k = 0; k < 2; k++) {
        const char *s = row->isbn13[k];
        if (!*s) continue;
        char lossy[32];
        br_gr_isbn13_lossy(s, strlen(s), lossy);
        if ((i = km_get(&m->isbn, s)) >= 0 || (*lossy && (i = km_get(&m->lossy, lossy)) >= 0)) {
            if (how) *how = BOOKREC_GR_ISBN;
            return i;
        }
    }
    scratch sc = {{0}, {0}, {0}, {0}};
    sbuf a2 = {0};
    const char *au = row->author ? row->author : "", *lf = row->author_lf ? row->author_lf : "";
    br_gr_author_key(&sc.a, &sc.t1, au, strlen(au), 0);
    br_gr_author_key(&a2, &sc.t1, lf, strlen(lf), 1);
    i = -1;
    if (!sc.a.oom && !a2.oom) {
        if (sc.a.n) i = match_title(m, row, sc.a.p, &sc);
        if (i < 0 && a2.n && (!sc.a.n || strcmp(sc.a.p, a2.p))) i = match_title(m, row, a2.p, &sc);
    }
    scratch_free(&sc);
    free(a2.p);
    if (i >= 0 && how) *how = BOOKREC_GR_TITLE;
    return i;
}

/* ------------------------------------------------------------------ a new reader from an export */

void bookrec_gr_reader_free(bookrec_gr_reader *r) {
    if (!r) return;
    free(r->at);
    free(r->how);
    free(r->rated);
    free(r->ratings);
    free(r->seen);
    free(r);
}

/* The model's books of the matched rows: each once in seen, the rated ones with their last rating, the to-read
   ones without a rating counted. */
static void gr_reader_books(bookrec_gr_reader *g, const bookrec_goodreads *gr, const bookrec_items *books,
                            const bookrec_ids *model_items, int *slot, unsigned char *mark) {
    int n_items = model_items ? bookrec_ids_count(model_items) : 0;
    for (int r = 0; r < gr->n; r++) {
        if (g->at[r] < 0) continue;
        const bookrec_gr_row *row = &gr->row[r];
        int j = model_items ? bookrec_ids_find(model_items, books->item[g->at[r]].id, -1) : -1;
        if (j < 0 || j >= n_items) { g->not_in_model++; continue; }
        if (!(mark[j] & 1)) g->seen[g->n_seen++] = j;
        mark[j] |= 1;
        if (row->rating >= 1) {
            if (!(mark[j] & 2)) { slot[j] = g->n_rated; g->rated[g->n_rated++] = j; }
            mark[j] |= 2;
            g->ratings[slot[j]] = (float)row->rating;
        } else if (!strcmp(row->shelf, "to-read") && !(mark[j] & 4)) {
            mark[j] |= 4;
            g->n_want++;
        }
    }
}

int bookrec_gr_reader_create(const bookrec_goodreads *gr, const bookrec_items *books, const bookrec_ids *model_items,
                             bookrec_gr_reader **out, bookrec_error *err) {
    if (!out) return br_fail(err, BOOKREC_E_ARG, "goodreads reader: NULL out");
    *out = NULL;
    if (!gr || !books) return br_fail(err, BOOKREC_E_ARG, "goodreads reader: need the export and the books table");
    bookrec_gr_matcher *mt = NULL;
    int st = bookrec_gr_matcher_create(books, &mt, err);
    if (st != BOOKREC_OK) return st;
    int n = gr->n, n_items = model_items ? bookrec_ids_count(model_items) : 0;
    bookrec_gr_reader *g = calloc(1, sizeof *g);
    int *slot = malloc(sizeof(int) * (size_t)(n_items + 1));
    unsigned char *mark = calloc((size_t)n_items + 1, 1);
    if (g) {
        g->at = malloc(sizeof(int32_t) * (size_t)(n + 1));
        g->how = malloc((size_t)n + 1);
        g->rated = malloc(sizeof(int32_t) * (size_t)(n + 1));
        g->seen = malloc(sizeof(int32_t) * (size_t)(n + 1));
        g->ratings = malloc(sizeof(float) * (size_t)(n + 1));
    }
    if (!g || !slot || !mark || !g->at || !g->how || !g->rated || !g->seen || !g->ratings) {
        st = br_fail(err, BOOKREC_E_NOMEM, "goodreads reader: out of memory");
    } else {
        for (int r = 0; r < n; r++) {
            bookrec_gr_how hw;
            g->at[r] = bookrec_gr_match(mt, &gr->row[r], &hw);
            g->how[r] = (unsigned char)hw;
            if (g->at[r] < 0) continue;
            g->matched++;
            g->by[hw]++;
        }
        gr_reader_books(g, gr, books, model_items, slot, mark);
    }
    free(slot);
    free(mark);
    bookrec_gr_matcher_free(mt);
    if (st != BOOKREC_OK) bookrec_gr_reader_free(g);
    else *out = g;
    return st;
}
