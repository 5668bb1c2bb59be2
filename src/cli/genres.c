/*
 * genres.c - the genre shelves of `bookrec export` (see genres.h): each book's 20 strongest shelves of
 * book_tags.csv (the core's src/tags.c), without shelf names (to-read, owned, ...) and generic labels (fiction, adult, ...),
 * folded so spelling variants meet (classic, classics, Clàssics) and a few synonyms too (ya, young-adult); the vocabulary is the max_names folded shelves
 * that most books carry among their 8 strongest content shelves, each named by its most used spelling.
 * Not here: parsing the CSVs (src/tags.c), writing books.json (cmd_export.c), the filter itself (web/app.js).
 */
#define _POSIX_C_SOURCE 200809L
#include "genres.h"
#include "cli.h"

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

void cli_read_genres(const char *dir, const bookrec_items *books, const bookrec_ids *items, int max_names,
                     int per_book, cli_genres *out) {
    memset(out, 0, sizeof *out);
    bookrec_tag_files tf;
    cli_read_tag_files(dir, books, items, &tf);
    bookrec_shelves *shp = NULL;
    bookrec_error err = {0};
    cli_check(bookrec_shelves_create(&tf, TOP_READ, &shp, &err), &err, "genre shelves");
    cli_tag_files_free(&tf);
    const bookrec_shelves *shv = shp;
    int ni = shv->n_items;
    size_t cap = (size_t)shv->off[ni] + 1, n = 0;
    row *rows = malloc(cap * sizeof *rows);
    char **key_of = calloc((size_t)(shv->n_names > 0 ? shv->n_names : 1), sizeof *key_of); /* tag id -> folded, or NULL */
    if (!rows || !key_of) cli_die("out of memory");
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
        key_of[t] = strdup(f);
        if (!key_of[t]) cli_die("out of memory");
    }
    for (int i = 0; i < ni; i++) {
        int rank = 0;
        for (int32_t a = shv->off[i]; a < shv->off[i + 1] && rank < TOP_USED; a++) {
            long t = shv->tag[a];
            if (t < 0 || t >= shv->n_names || !key_of[t]) continue;
            rows[n++] = (row){key_of[t], t, shv->count[a], i, rank++};
        }
    }
    qsort(rows, n, sizeof *rows, cmp_key);
    /* one group per folded key: how many books carry it, and its most used spelling */
    group *groups = malloc((n + 1) * sizeof *groups);
    if (!groups) cli_die("out of memory");
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
                tags = realloc(tags, (nt + 1) * sizeof *tags);
                by_tag = realloc(by_tag, (nt + 1) * sizeof *by_tag);
                if (!tags || !by_tag) cli_die("out of memory");
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
    if ((size_t)max_names > ng) max_names = (int)ng;
    out->n_names = max_names;
    out->name = calloc((size_t)(max_names > 0 ? max_names : 1), sizeof *out->name);
    if (!out->name) cli_die("out of memory");
    for (int k = 0; k < max_names; k++) {
        out->name[k] = strdup(groups[k].best);
        if (!out->name[k]) cli_die("out of memory");
    }
    /* each book's genres, strongest first: its content shelves in order, mapped through the vocabulary */
    out->off = calloc((size_t)ni + 1, sizeof *out->off);
    out->idx = malloc(((size_t)ni * (size_t)(per_book > 0 ? per_book : 1) + 1) * sizeof *out->idx);
    if (!out->off || !out->idx) cli_die("out of memory");
    size_t w = 0;
    for (int i = 0; i < ni; i++) {
        size_t start = w;
        for (int32_t a = shv->off[i]; a < shv->off[i + 1] && (int)(w - start) < per_book; a++) {
            long t = shv->tag[a];
            if (t < 0 || t >= shv->n_names || !key_of[t]) continue;
            int v = -1;
            for (int k = 0; k < max_names && v < 0; k++)
                if (!strcmp(groups[k].key, key_of[t])) v = k;
            if (v < 0) continue;
            int dup = 0;
            for (size_t c = start; c < w; c++) dup |= out->idx[c] == v;
            if (!dup) out->idx[w++] = v;
        }
        if (w > start) out->books_with++;
        out->off[i + 1] = (int32_t)w;
    }
    free(groups);
    free(rows);
    for (long t = 0; t < shv->n_names; t++) free(key_of[t]);
    free(key_of);
    bookrec_shelves_free(shp);
}

void cli_genres_free(cli_genres *g) {
    if (!g) return;
    for (int k = 0; k < g->n_names; k++) free(g->name[k]);
    free(g->name);
    free(g->off);
    free(g->idx);
    memset(g, 0, sizeof *g);
}
