/*
 * genres.c - the genre shelves of the site's genre filter (bookrec_genres_create): each book's 20 strongest shelves
 * of book_tags.csv (bookrec_shelves_create, src/tags.c), without shelf names (to-read, owned, ...) and generic labels
 * (fiction, adult, ...), folded so spelling variants meet (classic, classics, Clàssics) and a few synonyms too (ya,
 * young-adult); the vocabulary is the max_names folded shelves that most books carry among their 8 strongest content
 * shelves, each named by its most used spelling, and each book gets up to per_book of them, strongest first.
 * Not here: parsing the CSVs (src/tags.c), reading the files and writing books.json (the CLI's `bookrec export`),
 * the filter itself (web/app.js).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define TOP_READ 20  /* tags read per book */
#define TOP_USED 8   /* content shelves per book counted for the vocabulary */

static const char *const generic[] = {"fiction", "adult", "adultfiction", "bookclub", "literature", "nonfiction",
                                      "other", "misc", "school", "childhood", "american", NULL};

/* Folded names that mean the same shelf as another: {from, to}. */
static const char *const alias[][2] = {{"ya", "youngadult"},           {"scifi", "sciencefiction"},
                                       {"childrensbook", "children"}, {"kid", "children"},
                                       {"historical", "historicalfiction"}, {"graphicnovel", "comic"}, {"dystopia", "dystopian"},
                                       {NULL, NULL}};

typedef struct row { char *key; long tag; long count; int item; int rank; } row;

static int cmp_key(const void *a, const void *b) {
    const row *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return x->item != y->item ? (x->item < y->item ? -1 : 1) : (x->tag < y->tag ? -1 : x->tag > y->tag);
}

typedef struct group { char *key; long books; const char *best; long best_count; } group;

static int cmp_group(const void *a, const void *b) {
    const group *x = a, *y = b;
    if (x->books != y->books) return x->books > y->books ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Each tag id's folded key (NULL for shelf names, generic labels and names that fold to nothing); NULL when out of
   memory. */
static char **fold_keys(const bookrec_shelves *shv) {
    char **key_of = calloc((size_t)(shv->n_names > 0 ? shv->n_names : 1), sizeof *key_of);
    if (!key_of) return NULL;
    for (long t = 0; t < shv->n_names; t++) {
        const char *nm = shv->name[t];
        if (!nm || bookrec_tag_is_shelf(nm)) continue;
        char f[128];
        bookrec_tag_fold(nm, f, sizeof f);
        int skip = !*f;
        for (int g = 0; generic[g] && !skip; g++) skip = !strcmp(f, generic[g]);
        if (skip) continue;
        for (int a = 0; alias[a][0]; a++)
            if (!strcmp(f, alias[a][0])) { strcpy(f, alias[a][1]); break; }
        if (!(key_of[t] = malloc(strlen(f) + 1))) { br_free_strings(key_of, t); return NULL; }
        strcpy(key_of[t], f);
    }
    return key_of;
}

/* One group per folded key of the sorted rows[0..n): how many books carry it, and its most used spelling; sorted
   by books, most first. Returns the group count, or -1 when out of memory. */
static long make_groups(const bookrec_shelves *shv, const row *rows, size_t n, group *groups) {
    size_t ng = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a;
        group g = {rows[a].key, 0, NULL, -1};
        long *by_tag = NULL; /* counts per spelling: few per key, so a linear scan is enough */
        long *tags = NULL;
        size_t nt = 0;
        int last_item = -1;
        for (; b < n && !strcmp(rows[b].key, rows[a].key); b++) {
            if (rows[b].item != last_item) g.books++;
            last_item = rows[b].item;
            size_t k = 0;
            while (k < nt && tags[k] != rows[b].tag) k++;
            if (k == nt) {
                long *nt_tags = realloc(tags, (nt + 1) * sizeof *tags);
                if (nt_tags) tags = nt_tags;
                long *nt_by = realloc(by_tag, (nt + 1) * sizeof *by_tag);
                if (nt_by) by_tag = nt_by;
                if (!nt_tags || !nt_by) { free(tags); free(by_tag); return -1; }
                tags[nt] = rows[b].tag;
                by_tag[nt++] = 0;
            }
            by_tag[k] += rows[b].count;
        }
        for (size_t k = 0; k < nt; k++)
            if (by_tag[k] > g.best_count) { g.best_count = by_tag[k]; g.best = shv->name[tags[k]]; }
        free(tags);
        free(by_tag);
        groups[ng++] = g;
        a = b;
    }
    qsort(groups, ng, sizeof *groups, cmp_group);
    return (long)ng;
}

/* Each book's genres, strongest first: its content shelves in order, mapped through the vocabulary groups[0..nv). */
static void assign(const bookrec_shelves *shv, char **key_of, const group *groups, int nv, int per_book,
                   bookrec_genres *g) {
    size_t w = 0;
    for (int i = 0; i < shv->n_items; i++) {
        size_t start = w;
        for (int32_t a = shv->off[i]; a < shv->off[i + 1] && (int)(w - start) < per_book; a++) {
            long t = shv->tag[a];
            if (t < 0 || t >= shv->n_names || !key_of[t]) continue;
            int v = -1;
            for (int k = 0; k < nv && v < 0; k++)
                if (!strcmp(groups[k].key, key_of[t])) v = k;
            if (v < 0) continue;
            int dup = 0;
            for (size_t c = start; c < w; c++) dup |= g->idx[c] == v;
            if (!dup) g->idx[w++] = v;
        }
        if (w > start) g->books_with++;
        g->off[i + 1] = (int32_t)w;
    }
}

/* The vocabulary and each book's genres from the shelves; 0, or -1 when out of memory. */
static int build(const bookrec_shelves *shv, char **key_of, int max_names, int per_book, bookrec_genres *g) {
    int ni = shv->n_items;
    size_t n = 0;
    row *rows = malloc(((size_t)shv->off[ni] + 1) * sizeof *rows);
    group *groups = malloc(((size_t)shv->off[ni] + 1) * sizeof *groups);
    if (!rows || !groups) { free(rows); free(groups); return -1; }
    for (int i = 0; i < ni; i++) {
        int rank = 0;
        for (int32_t a = shv->off[i]; a < shv->off[i + 1] && rank < TOP_USED; a++) {
            long t = shv->tag[a];
            if (t < 0 || t >= shv->n_names || !key_of[t]) continue;
            rows[n++] = (row){key_of[t], t, shv->count[a], i, rank++};
        }
    }
    qsort(rows, n, sizeof *rows, cmp_key);
    long ng = make_groups(shv, rows, n, groups);
    int ok = ng >= 0;
    if (ok && max_names > ng) max_names = (int)ng;
    g->n_items = ni;
    if (ok && (g->name = calloc((size_t)(max_names > 0 ? max_names : 1), sizeof *g->name))) {
        for (int k = 0; k < max_names && ok; k++)
            if ((ok = (g->name[k] = malloc(strlen(groups[k].best) + 1)) != NULL)) {
                strcpy(g->name[k], groups[k].best);
                g->n_names = k + 1;
            }
    } else {
        ok = 0;
    }
    g->off = calloc((size_t)ni + 1, sizeof *g->off);
    g->idx = malloc(((size_t)ni * (size_t)per_book + 1) * sizeof *g->idx);
    ok = ok && g->off && g->idx;
    if (ok) assign(shv, key_of, groups, max_names, per_book, g);
    free(groups);
    free(rows);
    return ok ? 0 : -1;
}

int bookrec_genres_create(const bookrec_tag_files *f, int max_names, int per_book, bookrec_genres **out,
                          bookrec_error *err) {
    if (!out) return br_fail(err, BOOKREC_E_ARG, "genres: NULL out");
    *out = NULL;
    if (max_names < 1 || per_book < 1) return br_fail(err, BOOKREC_E_ARG, "genres: max_names and per_book must be >= 1");
    bookrec_shelves *shv = NULL;
    int st = bookrec_shelves_create(f, TOP_READ, &shv, err);
    if (st != BOOKREC_OK) return st;
    bookrec_genres *g = calloc(1, sizeof *g);
    char **key_of = fold_keys(shv);
    if (!g || !key_of || build(shv, key_of, max_names, per_book, g) != 0) {
        bookrec_genres_free(g);
        st = br_fail(err, BOOKREC_E_NOMEM, "genres: out of memory");
    } else {
        *out = g;
    }
    if (key_of) br_free_strings(key_of, shv->n_names);
    bookrec_shelves_free(shv);
    return st;
}

void bookrec_genres_free(bookrec_genres *g) {
    if (!g) return;
    br_free_strings(g->name, g->n_names);
    free(g->off);
    free(g->idx);
    free(g);
}
