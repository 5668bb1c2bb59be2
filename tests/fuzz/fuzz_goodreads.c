/*
 * fuzz_goodreads.c - libFuzzer target for the Goodreads library export parser and matcher
 * (bookrec_goodreads_parse, bookrec_gr_matcher_create, bookrec_gr_match).
 *
 * The first input byte chooses the catalogue: with bit 0 the rest is a books CSV, a NUL byte, then the export
 * (both fuzzed: titles, authors and ISBNs of any bytes reach the normalisation on both sides); without it the rest
 * is the export, matched against a small fixed catalogue. On success the target matches every row and checks
 * that each string is a readable NUL-terminated string, each ISBN-13 is 13 digits or "", each rating 0..5 and each
 * match a book of the table. Not a test of matching results: tests/test_goodreads.c does that.
 */
#include "bookrec.h"

#include <stdlib.h>
#include <string.h>

#define CHECK_ABORTS 1 /* a failed check is a crash, which is what libFuzzer reports */
#include "../check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char FUZZ_GR_BOOKS[] =
    "book_id,goodreads_book_id,best_book_id,isbn,isbn13,authors,original_title,title\n"
    "1,2767052,2767052,439023483,9.78043902348e+12,Suzanne Collins,The Hunger Games,\"The Hunger Games (The Hunger "
    "Games, #1)\"\n"
    "2,3,4,439554934,9.78043955493e+12,\"J.K. Rowling, Mary GrandPr\xC3\xA9\",Harry Potter and the Philosopher's Stone,"
    "\"Harry Potter and the Sorcerer's Stone (Harry Potter, #1)\"\n"
    "3,320,320,,9.78000000012e+12,Gabriel Garc\xC3\xAD" "a M\xC3\xA1rquez,Cien a\xC3\xB1os de soledad,One Hundred Years "
    "of Solitude: A Novel\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t f0 = data[0];
    data += 1;
    size -= 1;
    const char *books = FUZZ_GR_BOOKS;
    size_t books_len = sizeof FUZZ_GR_BOOKS - 1;
    const uint8_t *exp = data;
    size_t exp_len = size;
    if (f0 & 1) {
        const uint8_t *nul = memchr(data, 0, size);
        if (!nul) return 0;
        books = (const char *)data;
        books_len = (size_t)(nul - data);
        exp = nul + 1;
        exp_len = size - books_len - 1;
    }
    char *buf = malloc(exp_len ? exp_len : 1); /* exactly sized: ASan sees a read past the end */
    if (!buf) return 0;
    if (exp_len) memcpy(buf, exp, exp_len);
    bookrec_items *items = NULL;
    bookrec_goodreads *g = NULL;
    bookrec_gr_matcher *m = NULL;
    bookrec_error err;
    if (bookrec_items_parse(books, books_len, NULL, &items, &err) == BOOKREC_OK) {
        CHECK(bookrec_gr_matcher_create(items, &m, &err) == BOOKREC_OK && m != NULL);
    }
    int rc = bookrec_goodreads_parse(buf, exp_len, "fuzz-library.csv", &g, &err);
    if (rc == BOOKREC_OK) {
        CHECK(g != NULL && g->n >= 0 && g->skipped >= 0);
        for (int r = 0; r < g->n; r++) {
            const bookrec_gr_row *row = &g->row[r];
            size_t total = check_str(row->book_id) + check_str(row->title) + check_str(row->author) +
                           check_str(row->author_lf) + check_str(row->shelf);
            (void)total;
            for (int k = 0; k < 2; k++) {
                size_t l = 0;
                while (l < 14 && row->isbn13[k][l]) l++;
                CHECK(l == 0 || (l == 13 && strspn(row->isbn13[k], "0123456789") == 13));
            }
            CHECK(row->rating >= 0 && row->rating <= 5 && row->line >= 2);
            if (m) {
                bookrec_gr_how how;
                int i = bookrec_gr_match(m, row, &how);
                CHECK((i < 0 && how == BOOKREC_GR_NONE) || (i >= 0 && i < items->n && how != BOOKREC_GR_NONE));
            }
        }
        bookrec_goodreads_free(g);
    } else {
        CHECK(g == NULL);
        CHECK(err.code == rc);
        CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL && err.msg[0] != 0);
    }
    bookrec_gr_matcher_free(m);
    bookrec_items_free(items);
    free(buf);
    return 0;
}
