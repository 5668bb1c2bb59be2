/*
 * fuzz_ratings.c - libFuzzer target for the ratings CSV parser (bookrec_ratings_parse).
 *
 * The first two input bytes choose the parser options (skip_bad, two sets of custom column names, an explicit
 * rating range, a short max_id_len); the rest is the CSV text. When a parse succeeds the target checks
 * the dataset's invariants (indices in range, finite ratings inside the scale, id tables consistent)
 * and runs the train/test split on it, so a parser that returns a bad dataset fails here too.
 * Not a test of parsing results for valid files: tests/test_*.c do that.
 */
#include "bookrec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_ABORTS 1 /* a failed check is a crash, which is what libFuzzer reports */
#include "../check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
