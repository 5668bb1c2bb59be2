/*
 * fuzz_ratings.c - libFuzzer target for the ratings CSV parser (bookrec_ratings_parse).
 *
 * The first two input bytes choose the parser options (skip_bad, two sets of custom column names, an explicit
 * rating range, a short max_id_len); the rest is the CSV text. When a parse succeeds the target checks
 * the dataset's invariants (indices in range, finite ratings inside the scale, id tables consistent)
 * and runs the train/test split on it, so a parser that returns a bad dataset fails here too; it also writes the
 * dataset's ratings cache, reads it back (the same dataset), and checks that the cache truncated or with a flipped
 * byte is refused, never read.
 * Not a test of parsing results for valid files: tests/test_*.c do that.
 */
#include "bookrec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_ABORTS 1 /* a failed check is a crash, which is what libFuzzer reports */
#include "../check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads len bytes of cache from an exactly-sized copy (so ASan sees any read past the end). */
static int cache_read_copy(const uint8_t *c, size_t len, const bookrec_cache_key *key, bookrec_ratings **out) {
    uint8_t *b = malloc(len ? len : 1);
    if (!b) return -1;
    if (len) memcpy(b, c, len);
    bookrec_error err;
    int rc = bookrec_ratings_cache_read(b, len, key, NULL, out, &err);
    free(b);
    return rc;
}

/* The dataset's cache round trip, then refusals of a truncated and of a damaged copy. */
static void cache_round_trip(const bookrec_ratings *r, uint8_t f1) {
    bookrec_cache_key key = {12345, 678, 0x1234, f1};
    membuf m = {0};
    bookrec_error err;
    if (bookrec_ratings_cache_write(r, &key, mem_write, &m, &err) != BOOKREC_OK) { free(m.p); return; }
    bookrec_ratings *b = NULL;
    CHECK(cache_read_copy(m.p, m.n, &key, &b) == BOOKREC_OK && b);
    if (b) {
        CHECK(b->all.n == r->all.n && b->rows_read == r->rows_read && b->duplicates == r->duplicates);
        CHECK(!memcmp(b->all.user, r->all.user, r->all.n * 4) && !memcmp(b->all.item, r->all.item, r->all.n * 4));
        CHECK(!memcmp(b->all.rating, r->all.rating, r->all.n * 4));
        CHECK(bookrec_ids_count(b->users) == bookrec_ids_count(r->users));
        for (int k = 0; k < bookrec_ids_count(r->users); k++)
            CHECK(!strcmp(bookrec_ids_get(b->users, k), bookrec_ids_get(r->users, k)));
        bookrec_ratings_free(b);
    }
    bookrec_ratings *t = NULL;
    CHECK(cache_read_copy(m.p, m.n - 1 - (f1 % m.n), &key, &t) != BOOKREC_OK && !t);
    size_t at = ((size_t)f1 * 2654435761u) % m.n;
    m.p[at] ^= (uint8_t)(1u << (f1 & 7));
    CHECK(cache_read_copy(m.p, m.n, &key, &t) != BOOKREC_OK && !t);
    free(m.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint8_t f0 = data[0], f1 = data[1];
    data += 2;
    size -= 2;

    bookrec_csv_options opt;
    memset(&opt, 0, sizeof opt);
    opt.source = "fuzz.csv";
    opt.skip_bad = f0 & 1;
    if (f0 & 2) { opt.user_col = "u"; opt.item_col = "i"; opt.rating_col = "r"; }
    if (f0 & 4) { opt.min_rating = 0.5f; opt.max_rating = 5.0f; }
    if (f0 & 8) { opt.min_rating = (float)(f1 & 15); opt.max_rating = (float)(f1 >> 4); }
    if (f0 & 16) opt.max_id_len = 1 + (f1 & 7);
    if (f0 & 32) { opt.user_col = "member"; opt.item_col = "item"; opt.rating_col = "score"; } /* the catalogue fixture */

    /* copy into an exactly-sized heap buffer so ASan sees any read past len */
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);

    bookrec_ratings *r = NULL;
    bookrec_error err;
    int rc = bookrec_ratings_parse(buf, size, &opt, &r, &err);
    if (rc == BOOKREC_OK) {
        CHECK(r != NULL);
        int nu = bookrec_ids_count(r->users), ni = bookrec_ids_count(r->items);
        CHECK(r->all.n > 0 || nu == 0);
        for (size_t k = 0; k < r->all.n; k++) {
            CHECK(r->all.user[k] >= 0 && r->all.user[k] < nu);
            CHECK(r->all.item[k] >= 0 && r->all.item[k] < ni);
            CHECK(isfinite(r->all.rating[k]));
            CHECK(r->all.rating[k] >= r->min_rating && r->all.rating[k] <= r->max_rating);
        }
        for (int k = 0; k < nu; k++) {
            const char *id = bookrec_ids_get(r->users, k);
            CHECK(id != NULL);
            CHECK(bookrec_ids_find(r->users, id, -1) == k);
        }
        for (int k = 0; k < ni; k++) {
            const char *id = bookrec_ids_get(r->items, k);
            CHECK(id != NULL);
            CHECK(bookrec_ids_find(r->items, id, -1) == k);
        }
        cache_round_trip(r, f1);
        bookrec_triples tr, te;
        memset(&tr, 0, sizeof tr);
        memset(&te, 0, sizeof te);
        if (bookrec_split(r, 0.2, f1, &tr, &te, &err) == BOOKREC_OK) {
            CHECK(tr.n + te.n == r->all.n);
            bookrec_triples_free(&tr);
            bookrec_triples_free(&te);
        }
        bookrec_ratings_free(r);
    } else {
        CHECK(r == NULL);
        CHECK(err.code == rc);
        CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL);
        CHECK(err.msg[0] != 0);
    }
    free(buf);
    return 0;
}
