/*
 * packed.c - ratings packed for training (bookrec_packed): one little-endian record of 1..8 bytes per rating
 * holding the user index, the item index and the rating (a code into a table of at most 256 distinct values, or
 * the float's own bits), with field widths just large enough for the counts. Packing takes the triples' arrays
 * and gives their memory back as it goes (it fills the records from the end and shrinks the triples behind it),
 * so the two forms are never whole in memory at once. Also the in-place swap that the epochs' shuffle uses.
 * Not here: the training loop itself (train_loop.c), and any file format (ratings_cache.c).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PACK_CHUNK ((size_t)1 << 20) /* triples given back per step while packing */

static int bits_for(uint64_t count) { /* bits to hold 0..count-1 (at least 1) */
    int b = 1;
    while (b < 63 && ((uint64_t)1 << b) < count) b++;
    return b;
}

static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The rating values of t (at most 256, sorted by bit pattern) into p->values; 0 when there are more. */
static int value_table(const bookrec_triples *t, bookrec_packed *p) {
    uint32_t seen[257];
    int n = 0;
    for (size_t k = 0; k < t->n; k++) {
        uint32_t b = fbits(t->rating[k]);
        int found = 0;
        for (int j = 0; j < n; j++)
            if (seen[j] == b) { found = 1; break; }
        if (found) continue;
        if (n == 256) return 0;
        seen[n++] = b;
    }
    qsort(seen, (size_t)n, sizeof *seen, cmp_u32);
    for (int j = 0; j < n; j++) memcpy(&p->values[j], &seen[j], sizeof(float));
    p->n_values = n;
    return 1;
}

static uint32_t code_of(const bookrec_packed *p, float r) { /* binary search in values' bit patterns */
    uint32_t b = fbits(r);
    int lo = 0, hi = p->n_values - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (fbits(p->values[mid]) < b) lo = mid + 1;
        else hi = mid;
    }
    return (uint32_t)lo;
}

static uint64_t load(const bookrec_packed *p, size_t k) {
    uint64_t w;
    memcpy(&w, p->rec + k * (size_t)p->width, sizeof w);
    return p->width == 8 ? w : w & (((uint64_t)1 << (8 * p->width)) - 1);
}

static void store(bookrec_packed *p, size_t k, uint64_t v) {
    unsigned char *at = p->rec + k * (size_t)p->width;
    if (p->width == 8) { memcpy(at, &v, sizeof v); return; }
    uint64_t w, mask = ((uint64_t)1 << (8 * p->width)) - 1;
    memcpy(&w, at, sizeof w);
    w = (w & ~mask) | v;
    memcpy(at, &w, sizeof w);
}

void br_packed_swap(bookrec_packed *p, size_t a, size_t b) {
    uint64_t x = load(p, a), y = load(p, b);
    store(p, a, y);
    store(p, b, x);
}

void bookrec_packed_get(const bookrec_packed *p, size_t k, int32_t *user, int32_t *item, float *rating) {
    uint64_t v = load(p, k);
    uint32_t c = (uint32_t)(v & (p->cbits == 32 ? 0xffffffffu : ((1u << p->cbits) - 1)));
    v >>= p->cbits;
    *item = (int32_t)(v & (((uint64_t)1 << p->ibits) - 1));
    *user = (int32_t)(v >> p->ibits);
    if (p->cbits == 32) memcpy(rating, &c, sizeof *rating);
    else *rating = p->values[c];
}

void bookrec_packed_free(bookrec_packed *p) {
    if (!p) return;
    free(p->rec);
    memset(p, 0, sizeof *p);
}

/* Checks t's indices and ratings and settles p's field widths (p->rec untouched). */
static int pack_layout(const bookrec_triples *t, int n_users, int n_items, bookrec_packed *p, bookrec_error *err) {
    if (n_users < 1 || n_items < 1)
        return br_fail(err, BOOKREC_E_ARG, "pack: %d users and %d items (need at least one of each)", n_users, n_items);
    for (size_t k = 0; k < t->n; k++) {
        if (t->user[k] < 0 || t->user[k] >= n_users || t->item[k] < 0 || t->item[k] >= n_items)
            return br_fail(err, BOOKREC_E_ARG, "pack: triple %zu has user %d / item %d outside 0..%d / 0..%d", k,
                           (int)t->user[k], (int)t->item[k], n_users - 1, n_items - 1);
        if (!isfinite(t->rating[k]))
            return br_fail(err, BOOKREC_E_ARG, "pack: triple %zu: rating is not a finite number", k);
    }
    p->ubits = bits_for((uint64_t)n_users);
    p->ibits = bits_for((uint64_t)n_items);
    p->cbits = value_table(t, p) ? bits_for((uint64_t)(p->n_values > 1 ? p->n_values : 2)) : 32;
    if (p->cbits == 32) p->n_values = 0;
    int bits = p->ubits + p->ibits + p->cbits;
    if (bits > 64)
        return br_fail(err, BOOKREC_E_ARG, "pack: %d users, %d items and the ratings need %d bits, more than 64",
                       n_users, n_items, bits);
    p->width = (bits + 7) / 8;
    return BOOKREC_OK;
}

int bookrec_packed_from_triples(bookrec_triples *t, int n_users, int n_items, bookrec_packed *p, bookrec_error *err) {
    if (!t || !p) return br_fail(err, BOOKREC_E_ARG, "bookrec_packed_from_triples: NULL argument");
    memset(p, 0, sizeof *p);
    if (t->n && (!t->user || !t->item || !t->rating))
        return br_fail(err, BOOKREC_E_ARG, "bookrec_packed_from_triples: NULL arrays");
    int rc = pack_layout(t, n_users, n_items, p, err);
    if (rc) { memset(p, 0, sizeof *p); return rc; }
    size_t n = t->n;
    if (n > ((size_t)-1 - 8) / (size_t)p->width) return br_fail(err, BOOKREC_E_NOMEM, "pack: too many ratings");
    p->rec = calloc(n * (size_t)p->width + 8, 1); /* untouched pages cost nothing until filled below */
    if (!p->rec) { memset(p, 0, sizeof *p); return br_fail(err, BOOKREC_E_NOMEM, "out of memory packing ratings"); }
    p->n = n;
    int sh_i = p->cbits, sh_u = p->cbits + p->ibits;
    size_t k = n;
    while (k > 0) { /* from the end, giving the triples' tail back every PACK_CHUNK records */
        size_t lo = k > PACK_CHUNK ? k - PACK_CHUNK : 0;
        for (size_t j = k; j-- > lo;) {
            uint64_t c = p->cbits == 32 ? fbits(t->rating[j]) : code_of(p, t->rating[j]);
            store(p, j, c | (uint64_t)(uint32_t)t->item[j] << sh_i | (uint64_t)(uint32_t)t->user[j] << sh_u);
        }
        k = lo;
        if (k > 0) { /* shrinking: a failure keeps the larger block, which is only a missed saving */
            int32_t *a = realloc(t->user, k * sizeof *a);
            if (a) t->user = a;
            int32_t *b = realloc(t->item, k * sizeof *b);
            if (b) t->item = b;
            float *c = realloc(t->rating, k * sizeof *c);
            if (c) t->rating = c;
        }
    }
    bookrec_triples_free(t);
    return br_ok(err);
}

int bookrec_packed_to_triples(bookrec_packed *p, bookrec_triples *t, bookrec_error *err) {
    if (!p || !t) return br_fail(err, BOOKREC_E_ARG, "bookrec_packed_to_triples: NULL argument");
    if (bookrec_triples_alloc(t, p->n)) return br_fail(err, BOOKREC_E_NOMEM, "out of memory unpacking ratings");
    for (size_t k = 0; k < p->n; k++) bookrec_packed_get(p, k, &t->user[k], &t->item[k], &t->rating[k]);
    bookrec_packed_free(p);
    return br_ok(err);
}
