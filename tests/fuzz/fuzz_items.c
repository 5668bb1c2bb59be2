/*
 * fuzz_items.c - libFuzzer target for the items CSV parser (bookrec_items_parse).
 *
 * The first input byte chooses the options (skip_bad, custom column names); the rest is the CSV text
 * (RFC 4180 quoting, BOM, CRLF are all reachable). On success the target walks every item and checks
 * that each string field is a readable NUL-terminated string and that the id table agrees with the
 * items. Not a test of parsing results for valid files: tests/test_*.c do that.
 */
#include "bookrec.h"

#include <stdlib.h>
#include <string.h>

#define CHECK_ABORTS 1 /* a failed check is a crash, which is what libFuzzer reports */
#include "../check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t f0 = data[0];
    data += 1;
    size -= 1;

    bookrec_items_options opt;
    memset(&opt, 0, sizeof opt);
    opt.source = "fuzz-books.csv";
    opt.skip_bad = f0 & 1;
    if (f0 & 2) { opt.id_col = "id"; opt.title_col = "name"; opt.author_col = "by"; }
    if (f0 & 4) { opt.image_col = "cover"; opt.year_col = "y"; opt.avg_col = "avg"; opt.extra_col = "x"; }
    if (f0 & 8) { /* the catalogue fixture's columns */
        opt.id_col = "item"; opt.title_col = "name"; opt.author_col = "writer"; opt.image_col = "cover";
        opt.year_col = "published";
    }

    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);

    bookrec_items *it = NULL;
    bookrec_error err;
    int rc = bookrec_items_parse(buf, size, &opt, &it, &err);
    if (rc == BOOKREC_OK) {
        CHECK(it != NULL && it->n >= 0);
        size_t total = 0;
        for (int k = 0; k < it->n; k++) {
            const bookrec_item *b = &it->item[k];
            total += check_str(b->id) + check_str(b->title) + check_str(b->authors) + check_str(b->image_url) +
                     check_str(b->small_image_url) + check_str(b->extra);
            CHECK(bookrec_ids_find(it->ids, b->id, -1) >= 0);
        }
        CHECK(bookrec_ids_count(it->ids) <= it->n);
        (void)total;
        bookrec_items_free(it);
    } else {
        CHECK(it == NULL);
        CHECK(err.code == rc);
        CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL && err.msg[0] != 0);
    }
    free(buf);
    return 0;
}
