/*
 * test_ratings_cache.c - the binary ratings cache (bookrec_ratings_cache_write/read) on the committed fixtures:
 * a cache reads back the very dataset the parse made (ids, counts, triples, scale), for goodbooks' 1..5 and the movie
 * fixture's 1..10 (rating codes); a cache for another CSV or other options is refused as stale (BOOKREC_E_STATE); and
 * truncations and flipped bits (three bits of every byte, or of every n/20000-th byte) are refused as corrupt (BOOKREC_E_FORMAT or
 * stale), never read and never a crash. Not a test of the CLI's cache files (tests/cli_ratings_cache.sh).
 */
#include "check.h"
#include "bookrec.h"

#include <stdlib.h>
#include <string.h>

static int same(const bookrec_ratings *a, const bookrec_ratings *b) {
    if (a->all.n != b->all.n || a->rows_read != b->rows_read || a->rows_skipped != b->rows_skipped ||
        a->duplicates != b->duplicates || a->conflicting != b->conflicting || a->min_rating != b->min_rating ||
        a->max_rating != b->max_rating || a->integral != b->integral || a->scale_from_data != b->scale_from_data)
        return 0;
    size_t n = a->all.n;
    if (memcmp(a->all.user, b->all.user, n * 4) || memcmp(a->all.item, b->all.item, n * 4) ||
        memcmp(a->all.rating, b->all.rating, n * 4))
        return 0;
    const bookrec_ids *ia[2] = {a->users, a->items}, *ib[2] = {b->users, b->items};
    for (int s = 0; s < 2; s++) {
        if (bookrec_ids_count(ia[s]) != bookrec_ids_count(ib[s])) return 0;
        for (int k = 0; k < bookrec_ids_count(ia[s]); k++)
            if (strcmp(bookrec_ids_get(ia[s], k), bookrec_ids_get(ib[s], k))) return 0;
    }
    return 1;
}

/* Reads a cache from an exactly-sized heap copy. */
static int read_copy(const uint8_t *c, size_t len, const bookrec_cache_key *key, bookrec_ratings **out,
                     bookrec_error *err) {
    uint8_t *b = malloc(len ? len : 1);
    if (len) memcpy(b, c, len);
    int rc = bookrec_ratings_cache_read(b, len, key, NULL, out, err);
    free(b);
    return rc;
}

/* Parses csv, writes its cache, reads it back; with damage, refuses every truncation and flipped bit. */
static void check_file(const char *csv, const bookrec_csv_options *o, int damage) {
    size_t len;
    char *buf = slurp(csv, &len);
    if (!buf) { CHECK(0, "cannot read %s", csv); return; }
    bookrec_ratings *r = NULL;
    bookrec_error err;
    CHECK(bookrec_ratings_parse(buf, len, o, &r, &err) == BOOKREC_OK, "%s: %s", csv, err.msg);
    free(buf);
    if (!r) return;
    bookrec_cache_key key = {len, 1700000000123456789LL, bookrec_hash64("head", 4, 0), bookrec_ratings_options_hash(o)};
    membuf m = {0};
    CHECK(bookrec_ratings_cache_write(r, &key, mem_write, &m, &err) == BOOKREC_OK, "write: %s", err.msg);
    bookrec_ratings *b = NULL;
    CHECK(read_copy(m.p, m.n, &key, &b, &err) == BOOKREC_OK, "%s: read back: %s", csv, err.msg);
    CHECK(b && same(r, b), "%s: the cache read back another dataset", csv);
    bookrec_ratings_free(b);
    printf("%s: %zu ratings, cache %zu bytes (%.2f per rating)\n", csv, r->all.n, m.n, (double)m.n / (double)r->all.n);

    bookrec_cache_key other = key;
    other.mtime_ns++;
    CHECK(read_copy(m.p, m.n, &other, &b, &err) == BOOKREC_E_STATE && strstr(err.msg, "stale"), "mtime: %s", err.msg);
    other = key;
    other.sample_hash ^= 1;
    CHECK(read_copy(m.p, m.n, &other, &b, &err) == BOOKREC_E_STATE && strstr(err.msg, "sampled"), "rows: %s", err.msg);
    other = key;
    other.options_hash ^= 1;
    CHECK(read_copy(m.p, m.n, &other, &b, &err) == BOOKREC_E_STATE, "options: %s", err.msg);
    CHECK(read_copy(m.p, m.n - 1, &key, &b, &err) == BOOKREC_E_FORMAT && strstr(err.msg, "truncated"),
          "truncated by one byte: %s", err.msg);

    if (damage) {
        size_t accepted = 0, step = m.n > 20000 ? m.n / 20000 : 1;
        for (size_t cut = 0; cut < m.n; cut += step) {
            b = NULL;
            if (read_copy(m.p, cut, &key, &b, &err) == BOOKREC_OK || b) accepted++;
            bookrec_ratings_free(b);
        }
        CHECK(accepted == 0, "%s: %zu truncated caches were read", csv, accepted);
        for (size_t at = 0; at < m.n; at += step)
            for (int bit = 0; bit < 8; bit += 3) {
                m.p[at] ^= (uint8_t)(1u << bit);
                b = NULL;
                int rc = read_copy(m.p, m.n, &key, &b, &err);
                if (rc == BOOKREC_OK || b) accepted++;
                else if (rc != BOOKREC_E_FORMAT && rc != BOOKREC_E_STATE) accepted++;
                bookrec_ratings_free(b);
                m.p[at] ^= (uint8_t)(1u << bit);
            }
        CHECK(accepted == 0, "%s: %zu damaged caches were read", csv, accepted);
    }
    free(m.p);
    bookrec_ratings_free(r);
}

int main(void) {
    const char *root = getenv("BOOKREC_SOURCE_DIR");
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s/tests/fixtures/goodbooks-mini/ratings.csv", root ? root : "..");
    snprintf(b, sizeof b, "%s/tests/fixtures/movies/ratings.csv", root ? root : "..");
    bookrec_csv_options o;
    memset(&o, 0, sizeof o);
    check_file(a, &o, 1);
    bookrec_csv_options mo;
    memset(&mo, 0, sizeof mo);
    mo.user_col = "userId";
    mo.item_col = "movieId";
    mo.min_rating = 1.0f;
    mo.max_rating = 10.0f;
    check_file(b, &mo, 0);
    bookrec_error err;
    bookrec_ratings *r = NULL;
    CHECK(bookrec_ratings_cache_read("BKRRC", 5, &(bookrec_cache_key){0}, NULL, &r, &err) == BOOKREC_E_FORMAT && !r,
          "a 5-byte cache: %s", err.msg);
    printf("test_ratings_cache: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
