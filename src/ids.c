/*
 * ids.c - id tables: an ordered list of external id strings (as they appear in a CSV or a model
 * file) with an open-addressing hash index, so that dense index -> id and id -> dense index are
 * both O(1). The strings live in one growing arena; the table is append-only (ids are never
 * removed). Built for speed: parsing the goodbooks ratings interns about two million ids.
 * It does not know what the ids mean (users or items) and does no validation of their content.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct bookrec_ids {
    int n, cap;          /* ids stored, capacity of off/len */
    size_t *off;         /* offset of id i in arena */
    int *len;            /* length of id i (without the NUL) */
    uint32_t *hash;      /* hash of id i (saves rehashing on growth) */
    char *arena;         /* NUL-terminated strings, back to back */
    size_t arena_len, arena_cap;
    int32_t *slot;       /* hash index: -1 empty, else dense index */
    uint32_t mask;       /* slot count - 1 (a power of two) */
};

/* FNV-1a with a final avalanche; ids are short so this is cheap. */
static uint32_t ids_hash(const char *s, int len) {
    uint32_t h = 2166136261u;
    for (int i = 0; i < len; i++) { h ^= (uint8_t)s[i]; h *= 16777619u; }
    h ^= h >> 16; h *= 0x7feb352du; h ^= h >> 15; h *= 0x846ca68bu; h ^= h >> 16;
    return h;
}

bookrec_ids *br_ids_create(void) {
    bookrec_ids *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->mask = 63;
    t->slot = malloc(64 * sizeof *t->slot);
    if (!t->slot) { free(t); return NULL; }
    memset(t->slot, 0xff, 64 * sizeof *t->slot);
    return t;
}

void br_ids_free(bookrec_ids *ids) {
    if (!ids) return;
    free(ids->off); free(ids->len); free(ids->hash); free(ids->arena); free(ids->slot);
    free(ids);
}

int bookrec_ids_count(const bookrec_ids *ids) { return ids ? ids->n : 0; }

const char *bookrec_ids_get(const bookrec_ids *ids, int i) {
    if (!ids || i < 0 || i >= ids->n) return NULL;
    return ids->arena + ids->off[i];
}

/* Finds id in the index; returns the slot position where it is or where it would go. */
static uint32_t ids_probe(const bookrec_ids *t, const char *id, int len, uint32_t h, int *found) {
    uint32_t p = h & t->mask;
    for (;;) {
        int32_t k = t->slot[p];
        if (k < 0) { *found = -1; return p; }
        if (t->hash[k] == h && t->len[k] == len && memcmp(t->arena + t->off[k], id, (size_t)len) == 0) {
            *found = k; return p;
        }
        p = (p + 1) & t->mask;
    }
}

int bookrec_ids_find(const bookrec_ids *ids, const char *id, int len) {
    if (!ids || !id) return -1;
    if (len < 0) { size_t l = strlen(id); if (l > 0x7fffffff) return -1; len = (int)l; }
    if (ids->n == 0) return -1;
    int found;
    ids_probe(ids, id, len, ids_hash(id, len), &found);
    return found;
}

/* Doubles the hash index and reinserts every id. */
static int ids_rehash(bookrec_ids *t) {
    uint32_t nslots = (t->mask + 1) * 2;
    int32_t *s = malloc((size_t)nslots * sizeof *s);
    if (!s) return -1;
    memset(s, 0xff, (size_t)nslots * sizeof *s);
    uint32_t mask = nslots - 1;
    for (int i = 0; i < t->n; i++) {
        uint32_t p = t->hash[i] & mask;
        while (s[p] >= 0) p = (p + 1) & mask;
        s[p] = i;
    }
    free(t->slot);
    t->slot = s;
    t->mask = mask;
    return 0;
}

int br_ids_intern(bookrec_ids *t, const char *id, int len) {
    if (!t || !id || len < 0) return -1;
    uint32_t h = ids_hash(id, len);
    int found;
    uint32_t p = ids_probe(t, id, len, h, &found);
    if (found >= 0) return found;
    if (t->n == 0x7ffffffe) return -1;
    if (t->n == t->cap) {
        int nc = t->cap ? (t->cap > 0x3fffffff ? 0x7fffffff : t->cap * 2) : 64;
        size_t *o = realloc(t->off, (size_t)nc * sizeof *o);
        if (!o) return -1;
        t->off = o;
        int *l = realloc(t->len, (size_t)nc * sizeof *l);
        if (!l) return -1;
        t->len = l;
        uint32_t *hh = realloc(t->hash, (size_t)nc * sizeof *hh);
        if (!hh) return -1;
        t->hash = hh;
        t->cap = nc;
    }
    size_t need = t->arena_len + (size_t)len + 1;
    if (need > t->arena_cap) {
        size_t nc = t->arena_cap ? t->arena_cap * 2 : 1024;
        while (nc < need) nc *= 2;
        char *a = realloc(t->arena, nc);
        if (!a) return -1;
        t->arena = a;
        t->arena_cap = nc;
    }
    int k = t->n;
    t->off[k] = t->arena_len;
    t->len[k] = len;
    t->hash[k] = h;
    if (len) memcpy(t->arena + t->arena_len, id, (size_t)len);
    t->arena[t->arena_len + (size_t)len] = '\0';
    t->arena_len = need;
    t->n++;
    t->slot[p] = k;
    /* keep the load factor at or below 1/2 */
    if ((uint32_t)t->n * 2 > t->mask + 1 && ids_rehash(t) != 0) {
        /* the id is stored and indexed; a failed growth only makes later probes slower, but the
           index must never fill up, so report failure when it is nearly full */
        if ((uint32_t)t->n + 1 >= t->mask) { t->n--; t->slot[p] = -1; t->arena_len = t->off[k]; return -1; }
    }
    return k;
}

bookrec_ids *br_ids_clone(const bookrec_ids *ids) {
    if (!ids) return NULL;
    bookrec_ids *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->n = t->cap = ids->n;
    t->mask = ids->mask;
    t->arena_len = t->arena_cap = ids->arena_len;
    size_t n = (size_t)(ids->n ? ids->n : 1);
    t->off = malloc(n * sizeof *t->off);
    t->len = malloc(n * sizeof *t->len);
    t->hash = malloc(n * sizeof *t->hash);
    t->arena = malloc(ids->arena_len ? ids->arena_len : 1);
    t->slot = malloc(((size_t)ids->mask + 1) * sizeof *t->slot);
    if (!t->off || !t->len || !t->hash || !t->arena || !t->slot) { br_ids_free(t); return NULL; }
    if (ids->n) {
        memcpy(t->off, ids->off, (size_t)ids->n * sizeof *t->off);
        memcpy(t->len, ids->len, (size_t)ids->n * sizeof *t->len);
        memcpy(t->hash, ids->hash, (size_t)ids->n * sizeof *t->hash);
    }
    if (ids->arena_len) memcpy(t->arena, ids->arena, ids->arena_len);
    memcpy(t->slot, ids->slot, ((size_t)ids->mask + 1) * sizeof *t->slot);
    return t;
}

/* Creates an empty id table; NULL when out of memory. */
bookrec_ids *bookrec_ids_create(void) { return br_ids_create(); }

/* Frees an id table (NULL is a no-op). */
void bookrec_ids_free(bookrec_ids *ids) { br_ids_free(ids); }

/* Returns the dense index of id, adding it if new; -1 when out of memory or for an empty id. */
int bookrec_ids_add(bookrec_ids *ids, const char *id, int len) {
    if (!ids || !id) return -1;
    if (len < 0) len = (int)strlen(id);
    if (len == 0) return -1;
    return br_ids_intern(ids, id, len);
}

/* ------------------------------------------------------------------ mapping between id tables */

int bookrec_ids_map(const bookrec_ids *from, const bookrec_ids *to, int n_to, int32_t **out, int *identity,
                    bookrec_error *err) {
    if (!from || !out) return br_fail(err, BOOKREC_E_ARG, "id map: NULL argument");
    int n = bookrec_ids_count(from), same = 1;
    int32_t *map = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (!map) return br_fail(err, BOOKREC_E_NOMEM, "id map: out of memory");
    for (int i = 0; i < n; i++) {
        int j;
        if (to) {
            const char *id = bookrec_ids_get(from, i);
            j = id ? bookrec_ids_find(to, id, -1) : -1;
        } else {
            j = i < n_to ? i : -1; /* no id table: dense indices are shared */
        }
        map[i] = j;
        if (j != i) same = 0;
    }
    *out = map;
    if (identity) *identity = same;
    return br_ok(err);
}

int bookrec_triples_map(const bookrec_triples *t, const int32_t *user_map, const int32_t *item_map,
                        bookrec_triples *out, size_t *dropped, bookrec_error *err) {
    if (!t || !user_map || !item_map || !out) return br_fail(err, BOOKREC_E_ARG, "triples map: NULL argument");
    size_t keep = 0;
    for (size_t k = 0; k < t->n; k++)
        if (user_map[t->user[k]] >= 0 && item_map[t->item[k]] >= 0) keep++;
    if (bookrec_triples_alloc(out, keep) != BOOKREC_OK) return br_fail(err, BOOKREC_E_NOMEM, "triples map: out of memory");
    size_t j = 0;
    for (size_t k = 0; k < t->n; k++) {
        int32_t u = user_map[t->user[k]], i = item_map[t->item[k]];
        if (u < 0 || i < 0) continue;
        out->user[j] = u;
        out->item[j] = i;
        out->rating[j] = t->rating[k];
        j++;
    }
    out->n = keep;
    if (dropped) *dropped = t->n - keep;
    return br_ok(err);
}
