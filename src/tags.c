/*
 * tags.c - goodbooks' book tags as book features, parsed from memory buffers of book_tags.csv
 * (goodreads_book_id,tag_id,count) and tags.csv (tag_id,tag_name) with the core's RFC 4180 tokenizer (columns found
 * by name, CRLF and quoted names handled as everywhere else) and joined through the books table's goodreads_book_id
 * (the items' `extra` field) to a model's items. Two results: the per-book tag weights a model trains on
 * (bookrec_model_set_tags): tags that are shelf names rather than content (to-read, currently-reading, favorites,
 * owned, kindle, read-in-2015, ...) dropped, of the rest the max_tags found on most books kept, and each book's
 * per_book strongest (highest count) with weights log(1 + count) normalised to sum 1; and each book's strongest
 * shelves as they are (nothing dropped, with counts) for the persona suite, with the shelf-name test and the
 * folding of tag names' spelling variants its tastes are built with (and the site's genre shelves, src/genres.c).
 * Not here: reading the files (the front-end hands their bytes over) and the tag model itself (src/model.c,
 * src/train.c).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ shelf names */

/* Shelf names: exact names, then substrings. */
static const char *const junk_exact[] = {
    "to-read", "currently-reading", "favorites", "favourites", "favorite", "favourite", "owned", "books-i-own",
    "owned-books", "i-own", "own-it", "own", "my-books", "my-library", "library", "to-buy", "wish-list", "wishlist",
    "default", "books", "book", "maybe", "have", "borrowed", "abandoned", "did-not-finish", "dnf", "re-read",
    "reread", "kindle", "ebook", "ebooks", "e-book", "e-books", "audiobook", "audiobooks", "audio", "audible",
    "audio-books", "audio-book", "tbr", "on-hold", "unfinished", "home-library", "bookshelf", "read", "have-read",
    "books-read", "read-books", "i-have", "my-bookshelf", "own-to-read", "stand-alone", "standalone", "english",
    "to-re-read", "series", "novels", "novel", "general", "all-time-favorites", "shelfari-favorites", "favs",
    "faves", "library-books", "physical-tbr", "didn-t-finish", "couldn-t-finish", "not-finished", "nook", "kobo",
    "books-owned", "owned-tbr", "my-shelf", "favorite-books", "favourite-books", "5-stars", "five-stars",
    "4-stars", "3-stars", "2-stars", "1-star", "must-read", "ya-to-read", "to-read-fiction", NULL};
static const char *const junk_sub[] = {"to-read", "currently", "favori", "favour", "kindle", "ebook", "e-book", "audio",
                                       "wish", "to-buy", "owned", "i-own", "shelfari", "bookshelf", "did-not",
                                       "read-in-", "read-20", "read-19", "-read-", "library", "borrow", "own-it",
                                       "my-books", "tbr", "dnf", "stars", NULL};

int bookrec_tag_is_shelf(const char *s) {
    for (int k = 0; junk_exact[k]; k++)
        if (!strcmp(s, junk_exact[k])) return 1;
    for (int k = 0; junk_sub[k]; k++)
        if (strstr(s, junk_sub[k])) return 1;
    size_t l = strlen(s); /* years and numbers ("2015", "2014-reads") are when, not what */
    return l >= 4 && s[0] >= '1' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
           s[3] >= '0' && s[3] <= '9';
}

/* ------------------------------------------------------------------ the two files */

typedef struct tag_row { int32_t item, tag, count; } tag_row;
typedef struct gid_map { long gid; int32_t item; } gid_map;

/* What both results are built from: tag names by id, and the rows of known books with a positive count, sorted by
   book, then count descending, then tag. */
typedef struct tag_data {
    char **name;   /* [n_names] */
    long n_names;
    tag_row *rows;
    size_t n, total; /* rows kept, data rows read */
} tag_data;

static int cmp_gid(const void *a, const void *b) {
    long x = ((const gid_map *)a)->gid, y = ((const gid_map *)b)->gid;
    return x < y ? -1 : x > y;
}

static int cmp_row(const void *a, const void *b) {
    const tag_row *x = a, *y = b;
    if (x->item != y->item) return x->item < y->item ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->tag < y->tag ? -1 : x->tag > y->tag;
}

void br_free_strings(char **s, long n) {
    if (!s) return;
    for (long k = 0; k < n; k++) free(s[k]);
    free(s);
}

static void data_free(tag_data *d) {
    br_free_strings(d->name, d->n_names);
    free(d->rows);
    memset(d, 0, sizeof *d);
}

/* Starts a tokenizer on buf and finds the named columns of its header. */
static int csv_open(const char *buf, size_t len, const char *source, const char *const *cols, int n_cols, int *idx,
                    bookrec_csv **c, bookrec_error *err) {
    const char *src = source ? source : "<buffer>";
    if (bookrec_csv_create(buf, len, source, c, err) != BOOKREC_OK) return err ? err->code : BOOKREC_E_NOMEM;
    int st = bookrec_csv_next(*c, err);
    if (st < 0) return err ? err->code : BOOKREC_E_PARSE;
    if (st == 0) return br_fail(err, BOOKREC_E_PARSE, "%s: empty file (expected a header with %s)", src, cols[0]);
    for (int j = 0; j < n_cols; j++)
        if ((idx[j] = bookrec_csv_column(*c, cols[j])) < 0)
            return br_fail(err, BOOKREC_E_PARSE, "%s:%ld: no column %s in the header", src, bookrec_csv_line(*c),
                           cols[j]);
    return BOOKREC_OK;
}

static int read_names(const bookrec_tag_files *f, tag_data *d, bookrec_error *err) {
    static const char *const cols[2] = {"tag_id", "tag_name"};
    int idx[2] = {0, 0}, st;
    bookrec_csv *c = NULL;
    if ((st = csv_open(f->tags, f->tags_len, f->tags_source, cols, 2, idx, &c, err)) != BOOKREC_OK) goto done;
    while ((st = bookrec_csv_next(c, err)) > 0) {
        long id = 0;
        if ((st = bookrec_csv_integer(c, idx[0], "tag_id", 0, 10000000, &id, err)) != BOOKREC_OK) goto done;
        size_t name_len = 0;
        const char *name = bookrec_csv_field(c, idx[1], &name_len);
        if (!name) {
            st = br_fail(err, BOOKREC_E_PARSE, "%s:%ld: missing tag_name", f->tags_source ? f->tags_source : "<buffer>",
                         bookrec_csv_line(c));
            goto done;
        }
        if (id >= d->n_names) {
            long nc = d->n_names ? d->n_names : 1024;
            while (nc <= id) nc *= 2;
            char **n = realloc(d->name, (size_t)nc * sizeof *n);
            if (!n) { st = br_fail(err, BOOKREC_E_NOMEM, "tags: out of memory"); goto done; }
            memset(n + d->n_names, 0, (size_t)(nc - d->n_names) * sizeof *n);
            d->name = n;
            d->n_names = nc;
        }
        free(d->name[id]);
        if (!(d->name[id] = malloc(name_len + 1))) { st = br_fail(err, BOOKREC_E_NOMEM, "tags: out of memory"); goto done; }
        memcpy(d->name[id], name, name_len);
        d->name[id][name_len] = '\0';
    }
    st = st < 0 ? (err ? err->code : BOOKREC_E_PARSE) : BOOKREC_OK;
done:
    bookrec_csv_free(c);
    return st;
}

static int read_rows(const bookrec_tag_files *f, const gid_map *map, size_t nm, tag_data *d, bookrec_error *err) {
    static const char *const cols[3] = {"goodreads_book_id", "tag_id", "count"};
    int idx[3] = {0, 0, 0}, st;
    size_t cap = 0;
    bookrec_csv *c = NULL;
    if ((st = csv_open(f->book_tags, f->book_tags_len, f->book_tags_source, cols, 3, idx, &c, err)) != BOOKREC_OK)
        goto done;
    while ((st = bookrec_csv_next(c, err)) > 0) {
        long gid = 0, tag = 0, count = 0;
        if ((st = bookrec_csv_integer(c, idx[0], "goodreads_book_id", 0, 2147483647L, &gid, err)) != BOOKREC_OK ||
            (st = bookrec_csv_integer(c, idx[1], "tag_id", 0, 10000000, &tag, err)) != BOOKREC_OK ||
            (st = bookrec_csv_integer(c, idx[2], "count", -2147483647L, 2147483647L, &count, err)) != BOOKREC_OK)
            goto done;
        d->total++;
        if (count <= 0) continue; /* a few rows have negative counts: no evidence */
        gid_map key = {gid, 0};
        const gid_map *hit = bsearch(&key, map, nm, sizeof *map, cmp_gid);
        if (!hit) continue; /* a book the model does not know */
        if (d->n == cap) {
            cap = cap ? 2 * cap : 4096;
            tag_row *n = realloc(d->rows, cap * sizeof *n);
            if (!n) { st = br_fail(err, BOOKREC_E_NOMEM, "tags: out of memory"); goto done; }
            d->rows = n;
        }
        d->rows[d->n++] = (tag_row){hit->item, (int32_t)tag, (int32_t)count};
    }
    st = st < 0 ? (err ? err->code : BOOKREC_E_PARSE) : BOOKREC_OK;
done:
    bookrec_csv_free(c);
    return st;
}

/* Joins the books table to the model's items, reads both files, sorts the rows. */
static int load(const bookrec_tag_files *f, tag_data *d, bookrec_error *err) {
    memset(d, 0, sizeof *d);
    if (!f || !f->books || !f->items || !f->book_tags || !f->tags)
        return br_fail(err, BOOKREC_E_ARG, "tags: need book_tags.csv, tags.csv, the books table and the model's items");
    gid_map *map = malloc(((size_t)f->books->n + 1) * sizeof *map);
    if (!map) return br_fail(err, BOOKREC_E_NOMEM, "tags: out of memory");
    size_t nm = 0;
    for (int k = 0; k < f->books->n; k++) {
        const bookrec_item *b = &f->books->item[k];
        if (!b->extra || !*b->extra) continue;
        char *e;
        long gid = strtol(b->extra, &e, 10);
        if (*e) continue;
        int i = bookrec_ids_find(f->items, b->id, -1);
        if (i >= 0) map[nm++] = (gid_map){gid, i};
    }
    int st = BOOKREC_OK;
    if (nm == 0) st = br_fail(err, BOOKREC_E_ARG, "no book of the model has a goodreads_book_id in the books file");
    else {
        qsort(map, nm, sizeof *map, cmp_gid);
        if ((st = read_names(f, d, err)) == BOOKREC_OK) st = read_rows(f, map, nm, d, err);
    }
    free(map);
    if (st != BOOKREC_OK) data_free(d);
    else if (d->n) qsort(d->rows, d->n, sizeof *d->rows, cmp_row);
    return st;
}

/* ------------------------------------------------------------------ tag weights for training */

/* Walks the rows book by book (they are sorted by book): take(ctx, row, start, w) stores the row at entry w (book's
   entries from start) and returns 1, or returns 0 to skip it. Fills off; returns the books with an entry. */
static int csr_fill(const tag_data *d, int ni, int32_t *off, int (*take)(void *, const tag_row *, size_t, size_t),
                    void *ctx) {
    size_t w = 0, k = 0;
    int books = 0;
    for (int i = 0; i < ni; i++) {
        size_t start = w;
        for (; k < d->n && d->rows[k].item == i; k++) w += (size_t)take(ctx, &d->rows[k], start, w);
        books += w > start;
        off[i + 1] = (int32_t)w;
    }
    return books;
}

/* A CSR result's arrays for ni books and up to n entries: offsets (zeroed), and two parallel entry arrays. */
static int csr_alloc(int ni, size_t n, int32_t **off, int32_t **a, void **b, size_t b_size) {
    *off = calloc((size_t)ni + 1, sizeof **off);
    *a = malloc((n ? n : 1) * sizeof **a);
    *b = malloc((n ? n : 1) * b_size);
    return *off && *a && *b;
}

typedef struct tag_freq { long freq, tag; } tag_freq;

static int cmp_freq(const void *a, const void *b) {
    const tag_freq *x = a, *y = b;
    if (x->freq != y->freq) return x->freq > y->freq ? -1 : 1;
    return x->tag < y->tag ? -1 : x->tag > y->tag;
}

/* The kept tags' new indices (-1: not kept), the max_tags found on most books that are no shelf names. */
static int32_t *keep_tags(const tag_data *d, int max_tags, bookrec_tag_weights *t) {
    long nt = 1;
    for (size_t k = 0; k < d->n; k++)
        if (d->rows[k].tag + 1 > nt) nt = d->rows[k].tag + 1;
    tag_freq *order = calloc((size_t)nt, sizeof *order);
    int32_t *newidx = malloc((size_t)nt * sizeof *newidx);
    if (!order || !newidx) { free(order); free(newidx); return NULL; }
    for (long i = 0; i < nt; i++) { order[i].tag = i; newidx[i] = -1; }
    for (size_t k = 0; k < d->n; k++) order[d->rows[k].tag].freq++;
    qsort(order, (size_t)nt, sizeof *order, cmp_freq);
    size_t dl = 0;
    for (long k = 0; k < nt && order[k].freq > 0; k++) {
        long tg = order[k].tag;
        const char *name = tg < d->n_names && d->name[tg] ? d->name[tg] : NULL;
        if (name && bookrec_tag_is_shelf(name)) {
            t->dropped++;
            size_t l = strlen(name);
            if (dl + l + 3 < sizeof t->dropped_list - 4) {
                if (dl) { memcpy(t->dropped_list + dl, ", ", 2); dl += 2; }
                memcpy(t->dropped_list + dl, name, l);
                dl += l;
                t->dropped_list[dl] = '\0';
            }
            continue;
        }
        if (t->n_tags < max_tags) newidx[tg] = t->n_tags++;
    }
    free(order);
    return newidx;
}

typedef struct weights_ctx { bookrec_tag_weights *t; const int32_t *newidx; int per_book; } weights_ctx;

static int take_weight(void *vc, const tag_row *row, size_t start, size_t w) {
    weights_ctx *c = vc;
    int32_t tg = c->newidx[row->tag];
    if (tg < 0 || (int)(w - start) >= c->per_book) return 0;
    c->t->idx[w] = tg;
    c->t->w[w] = (float)log1p((double)row->count);
    return 1;
}

int bookrec_tag_weights_create(const bookrec_tag_files *f, int max_tags, int per_book, bookrec_tag_weights **out,
                               bookrec_error *err) {
    if (!out) return br_fail(err, BOOKREC_E_ARG, "tags: NULL out");
    *out = NULL;
    if (max_tags < 1 || per_book < 1) return br_fail(err, BOOKREC_E_ARG, "tags: max_tags and per_book must be >= 1");
    tag_data d;
    int st = load(f, &d, err);
    if (st != BOOKREC_OK) return st;
    int ni = bookrec_ids_count(f->items);
    bookrec_tag_weights *t = calloc(1, sizeof *t);
    int32_t *newidx = t ? keep_tags(&d, max_tags, t) : NULL;
    if (newidx && csr_alloc(ni, d.n, &t->off, &t->idx, (void **)&t->w, sizeof *t->w)) {
        weights_ctx c = {t, newidx, per_book};
        t->n_items = ni;
        t->rows = d.total;
        t->books_with_tags = csr_fill(&d, ni, t->off, take_weight, &c);
        for (int i = 0; i < ni; i++) { /* each book's weights sum to 1 */
            double sum = 0;
            for (int32_t k = t->off[i]; k < t->off[i + 1]; k++) sum += t->w[k];
            for (int32_t k = t->off[i]; k < t->off[i + 1]; k++) t->w[k] = (float)(t->w[k] / sum);
        }
        *out = t;
    } else {
        bookrec_tag_weights_free(t);
        st = br_fail(err, BOOKREC_E_NOMEM, "tags: out of memory");
    }
    free(newidx);
    data_free(&d);
    return st;
}

void bookrec_tag_weights_free(bookrec_tag_weights *t) {
    if (!t) return;
    free(t->off);
    free(t->idx);
    free(t->w);
    free(t);
}

/* ------------------------------------------------------------------ shelves for personas */

typedef struct shelves_ctx { bookrec_shelves *s; int per_book; } shelves_ctx;

static int take_shelf(void *vc, const tag_row *row, size_t start, size_t w) {
    shelves_ctx *c = vc;
    for (size_t a = start; a < w; a++) /* a tag listed twice for a book counts once */
        if (c->s->tag[a] == row->tag) return 0;
    if ((int)(w - start) >= c->per_book) return 0;
    c->s->tag[w] = row->tag;
    c->s->count[w] = row->count;
    return 1;
}

int bookrec_shelves_create(const bookrec_tag_files *f, int per_book, bookrec_shelves **out, bookrec_error *err) {
    if (!out) return br_fail(err, BOOKREC_E_ARG, "shelves: NULL out");
    *out = NULL;
    if (per_book < 1) return br_fail(err, BOOKREC_E_ARG, "shelves: per_book must be >= 1");
    tag_data d;
    int st = load(f, &d, err);
    if (st != BOOKREC_OK) return st;
    int ni = bookrec_ids_count(f->items);
    bookrec_shelves *s = calloc(1, sizeof *s);
    if (s && csr_alloc(ni, d.n, &s->off, &s->tag, (void **)&s->count, sizeof *s->count)) {
        shelves_ctx c = {s, per_book};
        s->n_items = ni;
        s->rows = d.total;
        s->books_with_tags = csr_fill(&d, ni, s->off, take_shelf, &c);
        s->name = d.name; /* the names move to the result */
        s->n_names = d.n_names;
        d.name = NULL;
        d.n_names = 0;
        *out = s;
    } else {
        bookrec_shelves_free(s);
        st = br_fail(err, BOOKREC_E_NOMEM, "shelves: out of memory");
    }
    data_free(&d);
    return st;
}

long bookrec_shelves_find(const bookrec_shelves *s, const char *name) {
    for (long t = 0; t < s->n_names; t++)
        if (s->name[t] && !strcmp(s->name[t], name)) return t;
    return -1;
}

void bookrec_shelves_free(bookrec_shelves *s) {
    if (!s) return;
    br_free_strings(s->name, s->n_names);
    free(s->off);
    free(s->tag);
    free(s->count);
    free(s);
}

/* ------------------------------------------------------------------ folding tag names */

/* Base letters of U+00C0..U+00FF and U+0100..U+017F ('\0': kept as it is). */
static const char latin1[64 + 1] = "aaaaaaaceeeeiiiidnooooo\0ouuuuy\0saaaaaaaceeeeiiiidnooooo\0ouuuuy\0y";
static const char latin_ext_a[128 + 1] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnn"
                                         "oooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

void bookrec_tag_fold(const char *name, char *out, size_t cap) {
    if (!cap) return;
    size_t w = 0;
    const unsigned char *s = (const unsigned char *)name;
    while (*s && w + 1 < cap) {
        int keep = 0;  /* 1: copy the sequence's bytes as they are */
        char c = 0;    /* else the ASCII letter or digit it folds to, or 0 to drop it */
        size_t used = 1;
        if (*s < 0x80) {
            c = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) c = 0; /* '-', '_', ' ', punctuation */
        } else if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
            unsigned cp = ((unsigned)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
            used = 2;
            if (cp >= 0xC0 && cp <= 0xFF && latin1[cp - 0xC0]) c = latin1[cp - 0xC0];
            else if (cp >= 0x100 && cp <= 0x17F) c = latin_ext_a[cp - 0x100];
            else keep = !(cp >= 0x300 && cp <= 0x36F); /* a combining accent is dropped */
        } else {
            keep = 1; /* other scripts, longer sequences and stray bytes */
        }
        if (keep) out[w++] = (char)*s, used = 1; /* byte by byte: continuation bytes are kept the same way */
        else if (c) out[w++] = c;
        s += used;
    }
    out[w] = '\0';
    if (w > 4 && !strcmp(out + w - 3, "ies")) strcpy(out + w - 3, "y");     /* mysteries -> mystery */
    else if (w > 3 && out[w - 1] == 's' && out[w - 2] != 's') out[w - 1] = '\0'; /* classics -> classic */
}
