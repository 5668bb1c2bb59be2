/*
 * ratings_cache.c - the binary ratings cache: a parsed dataset (id tables, counts, the ratings as user and item
 * indices and a one-byte rating code where the scale allows) written once, and read back on later runs in a
 * fraction of the parse's time. The cache names what it was made from (bookrec_cache_key: the CSV's size, mtime,
 * a hash of its header and sampled rows, and the parse options), so a changed CSV is refused as stale, and ends
 * with a checksum of every byte before it, so a truncated or damaged cache is refused as corrupt; every section is
 * bounds-checked as well, so no input crashes the reader.
 * Layout (native little-endian): a 128-byte header (magic, key, counts, section sizes), the rating values, the
 * user ids and item ids (NUL-terminated strings back to back), the users (4 bytes each), the items (2 or 4 bytes),
 * the ratings (1-byte codes or 4-byte floats), then the 8-byte checksum.
 * Not here: where the cache lives, file I/O or the messages (src/cli/ratings_cache.c): the core takes the bytes.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAGIC "BKRRC\x01\x00\x00"
#define HEADER_SIZE 128
#define CHUNK ((size_t)1 << 20)

typedef struct cache_header {
    char magic[8];
    uint64_t size, sample_hash, options_hash;
    int64_t mtime_ns;
    uint64_t n, rows_read, rows_skipped, duplicates, conflicting;
    uint64_t user_bytes, item_bytes; /* the two id sections */
    uint32_t n_users, n_items, n_values, item_width;
    float min_rating, max_rating;
    uint32_t integral, scale_from_data;
} cache_header;

uint64_t bookrec_hash64(const void *p, size_t n, uint64_t seed) {
    const unsigned char *b = p;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) { /* each step is a bijection of h and of w: one changed word always shows */
        uint64_t w;
        memcpy(&w, b + k, 8);
        h ^= w;
        h = (h << 29 | h >> 35) * 0xbf58476d1ce4e5b9ull;
    }
    uint64_t w = 0;
    for (size_t j = 0; k < n; k++, j++) w |= (uint64_t)b[k] << (8 * j);
    h ^= w ^ (uint64_t)n << 56;
    h = (h << 29 | h >> 35) * 0x94d049bb133111ebull;
    return h ^ h >> 31;
}

static uint64_t hash_str(uint64_t h, const char *s) {
    const char *v = s ? s : "";
    return bookrec_hash64(v, strlen(v) + 1, h);
}

uint64_t bookrec_ratings_options_hash(const bookrec_csv_options *o) {
    bookrec_csv_options z;
    if (!o) { memset(&z, 0, sizeof z); o = &z; }
    uint64_t h = hash_str(0, o->user_col);
    h = hash_str(h, o->item_col);
    h = hash_str(h, o->rating_col);
    int32_t ints[3] = {o->skip_bad, o->max_id_len, o->infer_range};
    float fl[2] = {o->min_rating, o->max_rating};
    h = bookrec_hash64(ints, sizeof ints, h);
    return bookrec_hash64(fl, sizeof fl, h);
}

/* ------------------------------------------------------------------ writing */

/* A buffered writer that hashes what it passes on. */
typedef struct sink {
    int (*write)(void *ctx, const void *p, size_t n);
    void *ctx;
    unsigned char *buf;
    size_t used;
    uint64_t sum;
    int failed;
} sink;

/* Hashes and passes on the buffer: whole CHUNKs, then the rest once at the end, as checksum() reads them. */
static void sink_flush(sink *s) {
    if (s->failed) return;
    s->sum = bookrec_hash64(s->buf, s->used, s->sum);
    if (s->write(s->ctx, s->buf, s->used)) s->failed = 1;
    s->used = 0;
}

static void sink_put(sink *s, const void *p, size_t n) {
    const unsigned char *b = p;
    while (n && !s->failed) {
        size_t k = CHUNK - s->used < n ? CHUNK - s->used : n;
        memcpy(s->buf + s->used, b, k);
        s->used += k;
        b += k;
        n -= k;
        if (s->used == CHUNK) sink_flush(s);
    }
}

static uint64_t ids_bytes(const bookrec_ids *ids) {
    uint64_t b = 0;
    for (int k = 0; k < bookrec_ids_count(ids); k++) b += strlen(bookrec_ids_get(ids, k)) + 1;
    return b;
}

static void put_ids(sink *s, const bookrec_ids *ids) {
    for (int k = 0; k < bookrec_ids_count(ids); k++) {
        const char *v = bookrec_ids_get(ids, k);
        sink_put(s, v, strlen(v) + 1);
    }
}

/* The header of r for key; its value table (codes) in values when the ratings take at most 256 values. */
static void make_header(const bookrec_ratings *r, const bookrec_cache_key *key, cache_header *h, float *values) {
    memset(h, 0, sizeof *h);
    memcpy(h->magic, CACHE_MAGIC, 8);
    h->size = key->size;
    h->mtime_ns = key->mtime_ns;
    h->sample_hash = key->sample_hash;
    h->options_hash = key->options_hash;
    h->n = r->all.n;
    h->rows_read = r->rows_read;
    h->rows_skipped = r->rows_skipped;
    h->duplicates = r->duplicates;
    h->conflicting = r->conflicting;
    h->n_users = (uint32_t)bookrec_ids_count(r->users);
    h->n_items = (uint32_t)bookrec_ids_count(r->items);
    h->user_bytes = ids_bytes(r->users);
    h->item_bytes = ids_bytes(r->items);
    h->item_width = h->n_items <= 65536 ? 2 : 4;
    h->min_rating = r->min_rating;
    h->max_rating = r->max_rating;
    h->integral = (uint32_t)r->integral;
    h->scale_from_data = (uint32_t)r->scale_from_data;
    uint32_t nv = 0;
    for (size_t k = 0; k < r->all.n && nv <= 256; k++) {
        uint32_t j = 0;
        while (j < nv && memcmp(&values[j], &r->all.rating[k], sizeof(float))) j++;
        if (j == nv) {
            if (nv == 256) { nv = 257; break; }
            values[nv++] = r->all.rating[k];
        }
    }
    h->n_values = nv > 256 ? 0 : nv;
}

int bookrec_ratings_cache_write(const bookrec_ratings *r, const bookrec_cache_key *key,
                                int (*write)(void *ctx, const void *p, size_t n), void *ctx, bookrec_error *err) {
    if (!r || !key || !write) return br_fail(err, BOOKREC_E_ARG, "ratings cache: NULL argument");
    if (sizeof(cache_header) > HEADER_SIZE) return br_fail(err, BOOKREC_E_STATE, "ratings cache: header too large");
    float values[256];
    cache_header h;
    make_header(r, key, &h, values);
    sink s = {write, ctx, malloc(CHUNK), 0, 0, 0};
    if (!s.buf) return br_fail(err, BOOKREC_E_NOMEM, "out of memory writing the ratings cache");
    unsigned char head[HEADER_SIZE] = {0};
    memcpy(head, &h, sizeof h);
    sink_put(&s, head, sizeof head);
    sink_put(&s, values, h.n_values * sizeof(float));
    put_ids(&s, r->users);
    put_ids(&s, r->items);
    const bookrec_triples *t = &r->all;
    sink_put(&s, t->user, t->n * sizeof *t->user);
    for (size_t k = 0; k < t->n; k++) {
        if (h.item_width == 2) { uint16_t v = (uint16_t)t->item[k]; sink_put(&s, &v, 2); }
        else sink_put(&s, &t->item[k], 4);
    }
    for (size_t k = 0; k < t->n; k++) {
        if (!h.n_values) { sink_put(&s, &t->rating[k], 4); continue; }
        uint8_t c = 0;
        while (memcmp(&values[c], &t->rating[k], sizeof(float))) c++;
        sink_put(&s, &c, 1);
    }
    sink_flush(&s);
    if (!s.failed && write(ctx, &s.sum, sizeof s.sum)) s.failed = 1;
    free(s.buf);
    return s.failed ? br_fail(err, BOOKREC_E_STATE, "ratings cache: the write failed") : br_ok(err);
}

/* ------------------------------------------------------------------ reading */

/* The checksum of buf[0..n) a chunk at a time, telling done_reading as it goes. */
static uint64_t checksum(const unsigned char *buf, size_t n, const bookrec_csv_options *o) {
    uint64_t h = 0;
    size_t k = 0;
    for (; k + CHUNK <= n; k += CHUNK) {
        h = bookrec_hash64(buf + k, CHUNK, h);
        if (o && o->done_reading) o->done_reading(o->done_reading_ctx, k + CHUNK);
    }
    return bookrec_hash64(buf + k, n - k, h);
}

/* Checks the header against key and len; fills the section sizes. */
static int check_header(const unsigned char *buf, size_t len, const bookrec_cache_key *key, cache_header *h,
                        bookrec_error *err) {
    if (len < HEADER_SIZE + 8) return br_fail(err, BOOKREC_E_FORMAT, "truncated (%zu bytes, no header)", len);
    memcpy(h, buf, sizeof *h);
    if (memcmp(h->magic, CACHE_MAGIC, 8)) return br_fail(err, BOOKREC_E_FORMAT, "not a bookrec ratings cache (magic)");
    if (h->size != key->size || h->mtime_ns != key->mtime_ns)
        return br_fail(err, BOOKREC_E_STATE, "stale: the CSV's size or modification time changed");
    if (h->sample_hash != key->sample_hash)
        return br_fail(err, BOOKREC_E_STATE, "stale: the CSV's header or sampled rows changed");
    if (h->options_hash != key->options_hash)
        return br_fail(err, BOOKREC_E_STATE, "stale: made with other column names, rating range or --skip-bad");
    uint64_t n = h->n, lim = (uint64_t)1 << 40;
    if (n > lim || h->user_bytes > lim || h->item_bytes > lim || h->n_values > 256 || h->n_users > 0x7fffffffu ||
        h->n_items > 0x7fffffffu || (h->item_width != 2 && h->item_width != 4))
        return br_fail(err, BOOKREC_E_FORMAT, "corrupt header");
    uint64_t want = HEADER_SIZE + 4ull * h->n_values + h->user_bytes + h->item_bytes +
                    n * (4 + h->item_width + (h->n_values ? 1 : 4)) + 8;
    if ((uint64_t)len != want)
        return br_fail(err, BOOKREC_E_FORMAT, "%s (%zu bytes, the header says %llu)",
                       (uint64_t)len < want ? "truncated" : "trailing bytes", len, (unsigned long long)want);
    return BOOKREC_OK;
}

/* Reads `count` NUL-terminated ids from p[0..bytes) into a new table. */
static int read_ids(const char *p, uint64_t bytes, uint32_t count, bookrec_ids **out, const char *what,
                    bookrec_error *err) {
    bookrec_ids *ids = br_ids_create();
    if (!ids) return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    uint64_t at = 0;
    for (uint32_t k = 0; k < count; k++) {
        const char *z = at < bytes ? memchr(p + at, '\0', (size_t)(bytes - at)) : NULL;
        int len = z ? (int)(z - (p + at)) : -1;
        if (!z || len == 0 || br_ids_intern(ids, p + at, len) != (int)k) {
            br_ids_free(ids);
            return br_fail(err, BOOKREC_E_FORMAT, "corrupt %s id table at id %u", what, k);
        }
        at += (uint64_t)len + 1;
    }
    if (at != bytes) { br_ids_free(ids); return br_fail(err, BOOKREC_E_FORMAT, "corrupt %s id table (length)", what); }
    *out = ids;
    return BOOKREC_OK;
}

/* Fills r->all from the ratings sections at buf + at, one section after the other, checking every index and
   rating, and telling done_reading as each section is done. */
static int read_triples(const unsigned char *buf, size_t at, const cache_header *h, const float *values,
                        const bookrec_csv_options *o, bookrec_ratings *r, bookrec_error *err) {
    size_t n = (size_t)h->n, iw = h->item_width;
    if (bookrec_triples_alloc(&r->all, n)) return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    const unsigned char *pu = buf + at, *pi = pu + 4 * n, *pr = pi + iw * n;
    int report = o && o->done_reading;
    memcpy(r->all.user, pu, n * 4);
    for (size_t k = 0; k < n; k++)
        if (r->all.user[k] < 0 || (uint32_t)r->all.user[k] >= h->n_users)
            return br_fail(err, BOOKREC_E_FORMAT, "corrupt rating %zu (user index out of range)", k);
    if (report) o->done_reading(o->done_reading_ctx, at + 4 * n);
    for (size_t k = 0; k < n; k++) {
        uint32_t it = 0;
        if (iw == 2) { uint16_t v; memcpy(&v, pi + 2 * k, 2); it = v; }
        else memcpy(&it, pi + 4 * k, 4);
        if (it >= h->n_items) return br_fail(err, BOOKREC_E_FORMAT, "corrupt rating %zu (item index out of range)", k);
        r->all.item[k] = (int32_t)it;
    }
    if (report) o->done_reading(o->done_reading_ctx, at + (4 + iw) * n);
    for (size_t k = 0; k < n; k++) {
        if (h->n_values) {
            if (pr[k] >= h->n_values) return br_fail(err, BOOKREC_E_FORMAT, "corrupt rating code at %zu", k);
            r->all.rating[k] = values[pr[k]];
        } else {
            memcpy(&r->all.rating[k], pr + 4 * k, 4);
        }
        if (!isfinite(r->all.rating[k])) return br_fail(err, BOOKREC_E_FORMAT, "corrupt rating %zu (not finite)", k);
    }
    return BOOKREC_OK;
}

int bookrec_ratings_cache_read(const void *buf, size_t len, const bookrec_cache_key *key,
                               const bookrec_csv_options *opt, bookrec_ratings **out, bookrec_error *err) {
    if (!buf || !key || !out) return br_fail(err, BOOKREC_E_ARG, "ratings cache: NULL argument");
    *out = NULL;
    const unsigned char *b = buf;
    cache_header h;
    int rc = check_header(b, len, key, &h, err);
    if (rc) return rc;
    uint64_t stored;
    memcpy(&stored, b + len - 8, 8);
    if (checksum(b, len - 8, opt) != stored)
        return br_fail(err, BOOKREC_E_FORMAT, "checksum mismatch (the cache is damaged)");
    bookrec_ratings *r = calloc(1, sizeof *r);
    if (!r) return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    float values[256];
    const unsigned char *p = b + HEADER_SIZE;
    memcpy(values, p, 4 * (size_t)h.n_values);
    p += 4 * (size_t)h.n_values;
    if ((rc = read_ids((const char *)p, h.user_bytes, h.n_users, &r->users, "user", err)) ||
        (rc = read_ids((const char *)p + h.user_bytes, h.item_bytes, h.n_items, &r->items, "item", err)) ||
        (rc = read_triples(b, (size_t)(p - b) + h.user_bytes + h.item_bytes, &h, values, opt, r, err))) {
        bookrec_ratings_free(r);
        return rc;
    }
    if (opt && opt->done_reading) opt->done_reading(opt->done_reading_ctx, len);
    r->rows_read = (size_t)h.rows_read;
    r->rows_skipped = (size_t)h.rows_skipped;
    r->duplicates = (size_t)h.duplicates;
    r->conflicting = (size_t)h.conflicting;
    r->min_rating = h.min_rating;
    r->max_rating = h.max_rating;
    r->integral = (int)h.integral;
    r->scale_from_data = (int)h.scale_from_data;
    *out = r;
    return br_ok(err);
}
