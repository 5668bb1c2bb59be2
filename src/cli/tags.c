/*
 * tags.c - reads goodbooks' book_tags.csv (goodreads_book_id,tag_id,count; CRLF) and tags.csv
 * (tag_id,tag_name) for `bookrec train --tags`, and turns them into per-book tag weights for the core; and, for
 * `bookrec eval --personas`, each book's strongest shelves with their counts and nothing dropped (read with the
 * core's RFC 4180 tokenizer, so quoted names and CRLF are handled as everywhere else), and the two helpers its
 * tastes are built with: the shelf-name test and the folding of tag names' spelling variants.
 * Tags that are shelf names rather than content (to-read, currently-reading, favorites, owned, kindle,
 * read-in-2015, ...) are dropped for `train --tags`; of the rest the max_tags found on most books are kept, and
 * each book keeps its per_book strongest (highest count) with weights log(1 + count) normalised to sum 1.
 * Not here: the tag model itself (the core, src/model.c and src/train.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "tags.h"
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* Is the tag name a shelf name rather than content (see tags.h)? */
int cli_tag_is_shelf(const char *s) {
    for (int k = 0; junk_exact[k]; k++)
        if (!strcmp(s, junk_exact[k])) return 1;
    for (int k = 0; junk_sub[k]; k++)
        if (strstr(s, junk_sub[k])) return 1;
    size_t l = strlen(s); /* years and numbers ("2015", "2014-reads") are when, not what */
    return l >= 4 && s[0] >= '1' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
           s[3] >= '0' && s[3] <= '9';
}

/* Calls fn for each non-blank line of the file after the header (CR stripped); checks the header's first field. */
typedef void (*line_fn)(void *ctx, const char *path, long line, char *s);
static void each_line(const char *path, const char *first_col, line_fn fn, void *ctx) {
    size_t len = 0;
    char *buf = cli_read_file_or_die(path, &len);
    long line = 0;
    size_t pos = 0;
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF)
        pos = 3;
    int header = 1;
    while (pos < len) {
        size_t end = pos;
        while (end < len && buf[end] != '\n') end++;
        line++;
        size_t le = end;
        if (le > pos && buf[le - 1] == '\r') le--;
        char save = buf[le];
        buf[le] = '\0';
        if (le > pos) {
            if (header) {
                if (strncmp(buf + pos, first_col, strlen(first_col)) != 0)
                    cli_die("%s:%ld: expected a header starting with %s", path, line, first_col);
                header = 0;
            } else {
                fn(ctx, path, line, buf + pos);
            }
        }
        buf[le] = save;
        pos = end + 1;
    }
    if (header) cli_die("%s: empty file (expected a header starting with %s)", path, first_col);
    free(buf);
}

static long parse_long(const char *path, long line, char **s, const char *what, int last) {
    char *e;
    long v = strtol(*s, &e, 10);
    if (e == *s || (last ? (*e != '\0') : (*e != ',')))
        cli_die("%s:%ld: expected an integer %s, got \"%.40s\"", path, line, what, *s);
    *s = last ? e : e + 1;
    return v;
}

typedef struct tag_name_ctx { char **name; long cap; } tag_name_ctx;

static void on_tag_name(void *vctx, const char *path, long line, char *s) {
    tag_name_ctx *c = vctx;
    long id = parse_long(path, line, &s, "tag_id", 0);
    if (id < 0 || id > 10000000) cli_die("%s:%ld: tag_id %ld out of range 0..10000000", path, line, id);
    if (id >= c->cap) {
        long nc = c->cap ? c->cap : 1024;
        while (nc <= id) nc *= 2;
        char **n = realloc(c->name, (size_t)nc * sizeof *n);
        if (!n) cli_die("out of memory");
        memset(n + c->cap, 0, (size_t)(nc - c->cap) * sizeof *n);
        c->name = n;
        c->cap = nc;
    }
    size_t l = strlen(s);
    if (l >= 2 && s[0] == '"' && s[l - 1] == '"') { s[l - 1] = '\0'; s++; }
    free(c->name[id]);
    c->name[id] = strdup(s);
    if (!c->name[id]) cli_die("out of memory");
}

typedef struct bt_row { int32_t item, tag; int32_t count; } bt_row;
typedef struct gid_map { long gid; int32_t item; } gid_map;
typedef struct bt_ctx {
    const gid_map *map;
    size_t n_map;
    bt_row *rows;
    size_t n, cap, total;
    long max_tag;
} bt_ctx;

static int cmp_gid(const void *a, const void *b) {
    long x = ((const gid_map *)a)->gid, y = ((const gid_map *)b)->gid;
    return x < y ? -1 : x > y;
}

static void on_book_tag(void *vctx, const char *path, long line, char *s) {
    bt_ctx *c = vctx;
    long gid = parse_long(path, line, &s, "goodreads_book_id", 0);
    long tag = parse_long(path, line, &s, "tag_id", 0);
    long count = parse_long(path, line, &s, "count", 1);
    if (tag < 0 || tag > 10000000) cli_die("%s:%ld: tag_id %ld out of range 0..10000000", path, line, tag);
    c->total++;
    if (count <= 0) return; /* a few rows have negative counts: no evidence */
    gid_map key = {gid, 0};
    const gid_map *f = bsearch(&key, c->map, c->n_map, sizeof *c->map, cmp_gid);
    if (!f) return; /* a book the model does not know */
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4096;
        c->rows = realloc(c->rows, c->cap * sizeof *c->rows);
        if (!c->rows) cli_die("out of memory");
    }
    if (count > 0x7FFFFFFF) count = 0x7FFFFFFF;
    c->rows[c->n++] = (bt_row){f->item, (int32_t)tag, (int32_t)count};
    if (tag > c->max_tag) c->max_tag = tag;
}

static const long *g_freq;
static int cmp_freq(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    if (g_freq[x] != g_freq[y]) return g_freq[x] > g_freq[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* item ascending, then count descending, then tag ascending */
static int cmp_row(const void *a, const void *b) {
    const bt_row *x = a, *y = b;
    if (x->item != y->item) return x->item < y->item ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->tag < y->tag ? -1 : x->tag > y->tag;
}

/* Reads the tag files and builds the per-book tag weights (see tags.h). */
void cli_read_tags(const char *book_tags_path, const char *tags_path, const bookrec_items *books,
                   const bookrec_ids *items, int max_tags, int per_book, cli_tags *out) {
    memset(out, 0, sizeof *out);
    if (!books) cli_die("--tags needs the books file (books.csv with goodreads_book_id) to join book_tags.csv");
    int ni = bookrec_ids_count(items);
    gid_map *map = malloc(((size_t)books->n + 1) * sizeof *map);
    if (!map) cli_die("out of memory");
    size_t nm = 0;
    for (int k = 0; k < books->n; k++) {
        const bookrec_item *b = &books->item[k];
        if (!b->extra || !*b->extra) continue;
        char *e;
        long gid = strtol(b->extra, &e, 10);
        if (*e) continue;
        int i = bookrec_ids_find(items, b->id, -1);
        if (i >= 0) map[nm++] = (gid_map){gid, i};
    }
    if (nm == 0) cli_die("--tags: no book of the ratings has a goodreads_book_id in the books file");
    qsort(map, nm, sizeof *map, cmp_gid);

    tag_name_ctx tn = {0};
    each_line(tags_path, "tag_id", on_tag_name, &tn);
    bt_ctx bc = {map, nm, NULL, 0, 0, 0, -1};
    each_line(book_tags_path, "goodreads_book_id", on_book_tag, &bc);
    out->rows = bc.total;
    long nt_all = bc.max_tag + 1;
    long *freq = calloc((size_t)(nt_all > 0 ? nt_all : 1), sizeof *freq);
    long *order = malloc((size_t)(nt_all > 0 ? nt_all : 1) * sizeof *order);
    int32_t *newidx = malloc((size_t)(nt_all > 0 ? nt_all : 1) * sizeof *newidx);
    if (!freq || !order || !newidx) cli_die("out of memory");
    for (size_t k = 0; k < bc.n; k++) freq[bc.rows[k].tag]++;
    long n_ord = 0;
    for (long t = 0; t < nt_all; t++) order[n_ord++] = t;
    g_freq = freq;
    qsort(order, (size_t)n_ord, sizeof *order, cmp_freq);
    for (long t = 0; t < nt_all; t++) newidx[t] = -1;
    int kept = 0;
    size_t dl = 0;
    for (long k = 0; k < n_ord && freq[order[k]] > 0; k++) {
        long t = order[k];
        const char *name = t < tn.cap && tn.name[t] ? tn.name[t] : NULL;
        if (name && cli_tag_is_shelf(name)) {
            out->dropped++;
            size_t l = strlen(name);
            if (dl + l + 3 < sizeof out->dropped_list - 4) {
                if (dl) { memcpy(out->dropped_list + dl, ", ", 2); dl += 2; }
                memcpy(out->dropped_list + dl, name, l);
                dl += l;
                out->dropped_list[dl] = '\0';
            }
            continue;
        }
        if (kept < max_tags) newidx[t] = kept++;
    }
    out->n_tags = kept;
    qsort(bc.rows, bc.n, sizeof *bc.rows, cmp_row);
    out->off = calloc((size_t)ni + 1, sizeof *out->off);
    out->idx = malloc((bc.n ? bc.n : 1) * sizeof *out->idx);
    out->w = malloc((bc.n ? bc.n : 1) * sizeof *out->w);
    if (!out->off || !out->idx || !out->w) cli_die("out of memory");
    size_t w = 0, k = 0;
    for (int i = 0; i < ni; i++) {
        size_t start = w;
        while (k < bc.n && bc.rows[k].item < i) k++;
        double sum = 0;
        for (; k < bc.n && bc.rows[k].item == i; k++) {
            int32_t t = newidx[bc.rows[k].tag];
            if (t < 0 || (int)(w - start) >= per_book) continue;
            out->idx[w] = t;
            out->w[w] = (float)log1p((double)bc.rows[k].count);
            sum += out->w[w];
            w++;
        }
        for (size_t a = start; a < w; a++) out->w[a] = (float)(out->w[a] / sum);
        if (w > start) out->books_with_tags++;
        out->off[i + 1] = (int32_t)w;
    }
    for (long t = 0; t < tn.cap; t++) free(tn.name[t]);
    free(tn.name);
    free(bc.rows);
    free(freq); free(order); free(newidx); free(map);
}

/* Frees the arrays of t. */
void cli_tags_free(cli_tags *t) {
    if (!t) return;
    free(t->off); free(t->idx); free(t->w);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------ shelves for personas */

/* Opens a CSV with the core's tokenizer and finds the named columns in its header; exits 1 naming the file when
   one is missing. Returns the file's bytes (free them after bookrec_csv_free). */
static char *csv_open(const char *path, bookrec_csv **c, const char *const *cols, int n_cols, int *idx) {
    size_t len = 0;
    char *buf = cli_read_file_or_die(path, &len);
    bookrec_error err = {0};
    if (bookrec_csv_create(buf, len, path, c, &err) != BOOKREC_OK) cli_die("%s", err.msg);
    int st = bookrec_csv_next(*c, &err);
    if (st < 0) cli_die("%s", err.msg);
    if (st == 0) cli_die("%s: empty file (expected a header with %s)", path, cols[0]);
    for (int j = 0; j < n_cols; j++)
        if ((idx[j] = bookrec_csv_column(*c, cols[j])) < 0)
            cli_die("%s:%ld: no column %s in the header", path, bookrec_csv_line(*c), cols[j]);
    return buf;
}

/* Field f of the current record as an integer in lo..hi; exits 1 naming file and line otherwise. */
static long csv_long(const bookrec_csv *c, int f, const char *what, long lo, long hi) {
    long v = 0;
    bookrec_error err = {0};
    if (bookrec_csv_integer(c, f, what, lo, hi, &v, &err) != BOOKREC_OK) cli_die("%s", err.msg);
    return v;
}

static void read_tag_names(const char *path, cli_shelves *out) {
    static const char *const cols[2] = {"tag_id", "tag_name"};
    int idx[2];
    bookrec_csv *c = NULL;
    char *buf = csv_open(path, &c, cols, 2, idx);
    bookrec_error err = {0};
    int st;
    while ((st = bookrec_csv_next(c, &err)) > 0) {
        long id = csv_long(c, idx[0], "tag_id", 0, 10000000);
        size_t name_len = 0;
        const char *name = bookrec_csv_field(c, idx[1], &name_len);
        if (!name) cli_die("%s:%ld: missing tag_name", path, bookrec_csv_line(c));
        if (id >= out->n_names) {
            long nc = out->n_names ? out->n_names : 1024;
            while (nc <= id) nc *= 2;
            char **n = realloc(out->name, (size_t)nc * sizeof *n);
            if (!n) cli_die("out of memory");
            memset(n + out->n_names, 0, (size_t)(nc - out->n_names) * sizeof *n);
            out->name = n;
            out->n_names = nc;
        }
        free(out->name[id]);
        out->name[id] = strndup(name, name_len);
        if (!out->name[id]) cli_die("out of memory");
    }
    if (st < 0) cli_die("%s", err.msg);
    bookrec_csv_free(c);
    free(buf);
}

void cli_read_shelves(const char *book_tags_path, const char *tags_path, const bookrec_items *books,
                      const bookrec_ids *items, int per_book, cli_shelves *out) {
    memset(out, 0, sizeof *out);
    if (!books) cli_die("personas need the books file (books.csv with goodreads_book_id) to join book_tags.csv");
    int ni = bookrec_ids_count(items);
    out->n_items = ni;
    gid_map *map = malloc(((size_t)books->n + 1) * sizeof *map);
    if (!map) cli_die("out of memory");
    size_t nm = 0;
    for (int k = 0; k < books->n; k++) {
        const bookrec_item *b = &books->item[k];
        char *e;
        long gid = b->extra && *b->extra ? strtol(b->extra, &e, 10) : 0;
        if (!b->extra || !*b->extra || *e) continue;
        int i = bookrec_ids_find(items, b->id, -1);
        if (i >= 0) map[nm++] = (gid_map){gid, i};
    }
    if (nm == 0) cli_die("personas: no book of the model has a goodreads_book_id in the books file");
    qsort(map, nm, sizeof *map, cmp_gid);
    read_tag_names(tags_path, out);

    static const char *const cols[3] = {"goodreads_book_id", "tag_id", "count"};
    int idx[3];
    bookrec_csv *c = NULL;
    char *buf = csv_open(book_tags_path, &c, cols, 3, idx);
    bt_ctx bc = {map, nm, NULL, 0, 0, 0, -1};
    bookrec_error err = {0};
    int st;
    while ((st = bookrec_csv_next(c, &err)) > 0) {
        long gid = csv_long(c, idx[0], "goodreads_book_id", 0, 2147483647L);
        long tag = csv_long(c, idx[1], "tag_id", 0, 10000000);
        long count = csv_long(c, idx[2], "count", -2147483647L, 2147483647L);
        bc.total++;
        if (count <= 0) continue; /* a few rows have negative counts: no evidence */
        gid_map key = {gid, 0};
        const gid_map *f = bsearch(&key, map, nm, sizeof *map, cmp_gid);
        if (!f) continue;
        if (bc.n == bc.cap) {
            bc.cap = bc.cap ? 2 * bc.cap : 4096;
            bc.rows = realloc(bc.rows, bc.cap * sizeof *bc.rows);
            if (!bc.rows) cli_die("out of memory");
        }
        bc.rows[bc.n++] = (bt_row){f->item, (int32_t)tag, (int32_t)count};
    }
    if (st < 0) cli_die("%s", err.msg);
    bookrec_csv_free(c);
    free(buf);
    out->rows = bc.total;
    qsort(bc.rows, bc.n, sizeof *bc.rows, cmp_row); /* book, then count descending, then tag */
    out->off = calloc((size_t)ni + 1, sizeof *out->off);
    out->tag = malloc((bc.n ? bc.n : 1) * sizeof *out->tag);
    out->count = malloc((bc.n ? bc.n : 1) * sizeof *out->count);
    if (!out->off || !out->tag || !out->count) cli_die("out of memory");
    size_t w = 0, k = 0;
    for (int i = 0; i < ni; i++) {
        size_t start = w;
        for (; k < bc.n && bc.rows[k].item == i; k++) {
            int dup = 0; /* a tag listed twice for a book counts once */
            for (size_t a = start; a < w; a++) dup |= out->tag[a] == bc.rows[k].tag;
            if (!dup && (int)(w - start) < per_book) {
                out->count[w] = bc.rows[k].count;
                out->tag[w++] = bc.rows[k].tag;
            }
        }
        if (w > start) out->books_with_tags++;
        out->off[i + 1] = (int32_t)w;
    }
    free(bc.rows);
    free(map);
}

long cli_shelves_find(const cli_shelves *s, const char *name) {
    for (long t = 0; t < s->n_names; t++)
        if (s->name[t] && !strcmp(s->name[t], name)) return t;
    return -1;
}

void cli_shelves_free(cli_shelves *s) {
    if (!s) return;
    for (long t = 0; t < s->n_names; t++) free(s->name[t]);
    free(s->name);
    free(s->off);
    free(s->tag);
    free(s->count);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ folding tag names */

/* Base letters of U+00C0..U+00FF and U+0100..U+017F ('\0': kept as it is). */
static const char latin1[64 + 1] = "aaaaaaaceeeeiiiidnooooo\0ouuuuy\0saaaaaaaceeeeiiiidnooooo\0ouuuuy\0y";
static const char latin_ext_a[128 + 1] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnn"
                                         "oooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

void cli_tag_fold(const char *name, char *out, size_t cap) {
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
