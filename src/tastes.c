/*
 * tastes.c - the tastes of the persona suite built from book tags: a taste (fantasy, classics, ...) is a set of shelf
 * names of goodbooks' tags.csv, folded so spelling variants meet ("clàssics", "classic" and "classics"; "sci-fi" and
 * "scifi"). A book carries a taste when one of its shelves is among the book's 20 strongest tags. It may seed the
 * taste when the taste's shelves hold at least half the count of its 3 strongest content tags (shelf names such as
 * to-read or favorites and the labels fiction, adult, adult-fiction, book-club and literature left out; the counts of
 * variants added up), and only the most rated book of a series may (so a reader is not five volumes of one saga).
 * The result is the per-book arrays bookrec_personas takes (src/personas.c).
 * Not here: reading tags (src/tags.c parses them from buffers), the persona figures (src/personas.c), printing.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The built-in tastes: name and shelf names (as in goodbooks' tags.csv, before folding), '/'-separated. */
static const char *const known_tastes[][2] = {
    {"fantasy", "fantasy/high-fantasy/epic-fantasy/urban-fantasy"},
    {"classics", "classics/classic-literature"},
    {"mystery", "mystery/crime/mystery-thriller/crime-fiction/detective/mystery-suspense"},
    {"non-fiction", "non-fiction"},
    {"science-fiction", "science-fiction/sci-fi/sf"},
    {"romance", "romance/contemporary-romance/historical-romance/paranormal-romance"},
    {"graphic-novels", "graphic-novels/comics/manga/comics-graphic-novels/graphic-novels-comics/comic-books/"
                       "comics-and-graphic-novels"},
    {"horror", "horror"},
    {"historical-fiction", "historical-fiction/historical"},
    {"poetry", "poetry/poems"},
    {"young-adult", "young-adult/ya/teen"},
    {"biography", "biography/memoir/autobiography/biography-memoir/memoir-biography"},
    {"science", "science/popular-science"},
};

/* Labels on most books that say nothing about a taste: never a reason to seed (folded names). */
static const char *const generic_labels[] = {"fiction", "adult", "adultfiction", "bookclub", "literature"};

int bookrec_taste_parse(char *tok, bookrec_taste *t, bookrec_error *err) {
    memset(t, 0, sizeof *t);
    char *eq = strchr(tok, '=');
    if (eq) *eq = '\0';
    t->name = tok;
    t->shelves = eq ? eq + 1 : tok;
    if (!eq)
        for (size_t k = 0; k < sizeof known_tastes / sizeof known_tastes[0]; k++)
            if (!strcmp(tok, known_tastes[k][0])) t->shelves = known_tastes[k][1];
    if (!*t->name) return br_fail(err, BOOKREC_E_ARG, "tastes: an entry has no name ('=%s')", t->shelves);
    const char *p = t->shelves;
    while (*p) {
        size_t l = strcspn(p, "/");
        char raw[BOOKREC_TASTE_FOLD];
        if (l == 0 || l >= sizeof raw || t->n_fold == BOOKREC_TASTE_SHELVES)
            return br_fail(err, BOOKREC_E_ARG, "tastes: taste '%s' needs 1..%d shelf names of 1..%d bytes, "
                           "'/'-separated", t->name, BOOKREC_TASTE_SHELVES, BOOKREC_TASTE_FOLD - 1);
        memcpy(raw, p, l);
        raw[l] = '\0';
        bookrec_tag_fold(raw, t->fold[t->n_fold], BOOKREC_TASTE_FOLD);
        if (!t->fold[t->n_fold][0])
            return br_fail(err, BOOKREC_E_ARG, "tastes: taste '%s': shelf '%s' has no letters or digits", t->name, raw);
        t->n_fold++;
        p += l + (p[l] == '/');
    }
    if (t->n_fold == 0) return br_fail(err, BOOKREC_E_ARG, "tastes: taste '%s' has no shelf names", t->name);
    return br_ok(err);
}

/* Per tag id of sh: its folded name, the tastes it belongs to (bit t of mask) and whether it is content (neither a
   shelf name nor a generic label); counts each taste's tags.csv names into n_tags. */
static void tag_masks(const bookrec_shelves *sh, bookrec_taste *ts, int n, uint64_t *mask, unsigned char *content,
                      char (*folded)[BOOKREC_TASTE_FOLD]) {
    for (long id = 0; id < sh->n_names; id++) {
        mask[id] = 0;
        content[id] = 0;
        folded[id][0] = '\0';
        if (!sh->name[id]) continue;
        bookrec_tag_fold(sh->name[id], folded[id], BOOKREC_TASTE_FOLD);
        content[id] = !bookrec_tag_is_shelf(sh->name[id]) && folded[id][0];
        for (size_t g = 0; g < sizeof generic_labels / sizeof generic_labels[0]; g++)
            if (!strcmp(folded[id], generic_labels[g])) content[id] = 0;
        for (int t = 0; t < n; t++)
            for (int j = 0; j < ts[t].n_fold; j++)
                if (!strcmp(folded[id], ts[t].fold[j])) { mask[id] |= (uint64_t)1 << t; ts[t].n_tags++; break; }
    }
}

/* One content tag of a book, its spelling variants merged. */
typedef struct book_tag {
    const char *folded;
    long count;
    uint64_t mask;
} book_tag;

/* The tastes book i may seed: those whose shelves hold at least half the count of the book's BOOKREC_TASTE_SEED strongest
   content tags (the counts of names that fold together added up first). */
static uint64_t seed_mask(const bookrec_shelves *sh, int i, const uint64_t *mask, const unsigned char *content,
                          char (*folded)[BOOKREC_TASTE_FOLD]) {
    book_tag bt[64];
    int m = 0;
    for (int32_t j = sh->off[i]; j < sh->off[i + 1]; j++) {
        int32_t id = sh->tag[j];
        if (id < 0 || id >= sh->n_names || !content[id]) continue;
        int k = 0;
        while (k < m && strcmp(bt[k].folded, folded[id])) k++;
        if (k == m) {
            if (m == 64) continue; /* past the 64th distinct name: too weak to matter */
            bt[m++] = (book_tag){folded[id], 0, mask[id]};
        }
        bt[k].count += sh->count[j];
    }
    long total = 0, on[64] = {0};
    for (int r = 0; r < BOOKREC_TASTE_SEED && r < m; r++) { /* the strongest first; ties keep the stronger first tag */
        int best = r;
        for (int k = r + 1; k < m; k++)
            if (bt[k].count > bt[best].count) best = k;
        book_tag tmp = bt[r]; bt[r] = bt[best]; bt[best] = tmp;
        total += bt[r].count;
        for (int t = 0; t < 64; t++)
            if ((bt[r].mask >> t) & 1) on[t] += bt[r].count;
    }
    uint64_t seed = 0;
    for (int t = 0; t < 64; t++)
        if (total > 0 && 2 * on[t] >= total) seed |= (uint64_t)1 << t;
    return seed;
}

/* Fills seedable[t * ni + i] and carries[t * ni + i] for every taste t and book i from the books' tags. */
static int taste_books(const bookrec_shelves *sh, bookrec_taste *ts, int n, unsigned char *seedable, unsigned char *carries) {
    long nn = sh->n_names > 0 ? sh->n_names : 1;
    uint64_t *mask = malloc((size_t)nn * sizeof *mask);
    unsigned char *content = malloc((size_t)nn);
    char (*folded)[BOOKREC_TASTE_FOLD] = malloc((size_t)nn * BOOKREC_TASTE_FOLD);
    if (!mask || !content || !folded) { free(mask); free(content); free(folded); return 0; }
    tag_masks(sh, ts, n, mask, content, folded);
    int ni = sh->n_items;
    for (int i = 0; i < ni; i++) {
        uint64_t carry = 0, seed = seed_mask(sh, i, mask, content, folded);
        for (int32_t j = sh->off[i]; j < sh->off[i + 1] && j - sh->off[i] < BOOKREC_TASTE_CARRY; j++)
            if (sh->tag[j] >= 0 && sh->tag[j] < sh->n_names) carry |= mask[sh->tag[j]];
        for (int t = 0; t < n; t++) {
            carries[(size_t)t * ni + i] = (unsigned char)((carry >> t) & 1);
            seedable[(size_t)t * ni + i] = (unsigned char)((seed >> t) & 1);
        }
    }
    free(mask);
    free(content);
    free(folded);
    return 1;
}

/* The series a goodbooks title names in its last parentheses ("Mistborn" of "The Final Empire (Mistborn, #1)"),
   as a new string, or NULL when it names none. */
static char *series_of(const char *title) {
    const char *open = strrchr(title, '('), *hash = open ? strchr(open, '#') : NULL;
    if (!hash || !strchr(hash, ')')) return NULL;
    const char *a = open + 1, *e = hash;
    while (a < e && *a == ' ') a++;
    while (e > a && (e[-1] == ' ' || e[-1] == ',')) e--;
    if (e <= a) return NULL;
    char *out = malloc((size_t)(e - a) + 1);
    if (!out) return NULL;
    memcpy(out, a, (size_t)(e - a));
    out[e - a] = '\0';
    return out;
}

/* Keeps one seedable book per series (the most rated, ties to the lower index), so a reader is not five volumes of
   one saga; series[i] is book i's series or NULL. Returns 0 when out of memory. */
static int one_per_series(unsigned char *seedable, int ni, const float *pop, char *const *series) {
    int32_t *in = malloc((size_t)ni * sizeof *in);
    if (!in) return 0;
    int m = 0;
    for (int i = 0; i < ni; i++)
        if (seedable[i] && series[i]) in[m++] = i;
    for (int a = 0; a < m; a++)
        for (int b = 0; b < m; b++) {
            int i = in[a], j = in[b];
            int better = pop[j] > pop[i] || (pop[j] == pop[i] && j < i);
            if (i != j && better && !strcmp(series[i], series[j])) {
                seedable[i] = 0;
                break;
            }
        }
    free(in);
    return 1;
}


int bookrec_tastes_books(const bookrec_shelves *sh, bookrec_taste *ts, int n, const char *const *titles,
                         const float *pop, unsigned char *seedable, unsigned char *carries, bookrec_error *err) {
    if (!sh || !ts || !pop || !seedable || !carries || n < 1 || n > 64)
        return br_fail(err, BOOKREC_E_ARG, "tastes: bad arguments (1..64 tastes, NULL arrays?)");
    int ni = sh->n_items;
    char **series = calloc((size_t)(ni ? ni : 1), sizeof *series);
    int ok = series && taste_books(sh, ts, n, seedable, carries);
    for (int i = 0; ok && titles && i < ni; i++) series[i] = titles[i] ? series_of(titles[i]) : NULL;
    int st = ok ? BOOKREC_OK : br_fail(err, BOOKREC_E_NOMEM, "tastes: out of memory");
    for (int t = 0; t < n && st == BOOKREC_OK; t++) {
        if (ts[t].n_tags == 0)
            st = br_fail(err, BOOKREC_E_ARG, "no tag named '%s' or a variant of it (taste %s)", ts[t].shelves,
                         ts[t].name);
        else if (!one_per_series(seedable + (size_t)t * ni, ni, pop, series))
            st = br_fail(err, BOOKREC_E_NOMEM, "tastes: out of memory");
    }
    for (int i = 0; series && i < ni; i++) free(series[i]);
    free(series);
    return st;
}
