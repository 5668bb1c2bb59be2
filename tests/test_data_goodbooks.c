/*
 * test_data_goodbooks.c - the real goodbooks-10k files, when this machine has them
 * ($BOOKREC_SHARED_DATA/ratings.csv and books.csv; skipped with 77 otherwise): the 981,756-row ratings
 * file gives exactly the figures the dataset is known for (2,209 repeated pairs, 633 of them with
 * different ratings, 10,000 books, 53,424 readers), and books.csv gives 10,000 books whose ids match.
 * It also prints the parse time (a figure for the README; speed is benchmarked, not asserted here).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

int main(void) {
    const char *dir = getenv("BOOKREC_SHARED_DATA");
    char path[1024];
    size_t len = 0;
    if (!dir) dir = "../shared/data/goodbooks-10k";
    snprintf(path, sizeof path, "%s/ratings.csv", dir);
    char *csv = slurp(path, &len);
    if (!csv) {
        printf("skipped: %s not found\n", path);
        return 77;
    }
    bookrec_csv_options o = {0};
    o.source = "ratings.csv";
    bookrec_ratings *r = NULL;
    bookrec_error err;
    clock_t t0 = clock();
    int rc = bookrec_ratings_parse(csv, len, &o, &r, &err);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    free(csv);
    CHECK(rc == 0, "parse: %s", err.msg);
    if (rc) return 1;
    printf("ratings.csv: %zu rows parsed in %.3f s CPU\n", r->rows_read, secs);
    CHECK(r->rows_read == 981756, "rows read %zu", r->rows_read);
    CHECK(r->duplicates == 2209, "duplicated pairs %zu", r->duplicates);
    CHECK(r->conflicting == 633, "conflicting pairs %zu", r->conflicting);
    CHECK(r->all.n == 979478, "kept ratings %zu", r->all.n);
    CHECK(r->rows_skipped == 0, "skipped %zu", r->rows_skipped);
    CHECK(bookrec_ids_count(r->items) == 10000, "items %d", bookrec_ids_count(r->items));
    CHECK(bookrec_ids_count(r->users) == 53424, "users %d", bookrec_ids_count(r->users));
    CHECK(r->integral && r->min_rating == 1 && r->max_rating == 5, "scale %g..%g", r->min_rating, r->max_rating);
    /* the file is ordered by book: dense item i is book i+1 */
    CHECK(strcmp(bookrec_ids_get(r->items, 0), "1") == 0 && strcmp(bookrec_ids_get(r->items, 9999), "10000") == 0,
          "item order");
    /* the tutorial's 80/20 split */
    bookrec_triples tr, te;
    CHECK(bookrec_split(r, 0.2, 1, &tr, &te, &err) == 0 && tr.n + te.n == r->all.n && te.n == 195896, "split %zu/%zu",
          tr.n, te.n);
    bookrec_triples_free(&tr);
    bookrec_triples_free(&te);

    snprintf(path, sizeof path, "%s/books.csv", dir);
    char *books = slurp(path, &len);
    CHECK(books != NULL, "%s missing next to ratings.csv", path);
    if (books) {
        bookrec_items_options io = {0};
        io.source = "books.csv";
        bookrec_items *it = NULL;
        rc = bookrec_items_parse(books, len, &io, &it, &err);
        CHECK(rc == 0, "books: %s", err.msg);
        if (it) {
            CHECK(it->n == 10000 && it->rows_skipped == 0, "books %d", it->n);
            CHECK(strcmp(it->item[0].title, "The Hunger Games (The Hunger Games, #1)") == 0 && it->item[0].year == 2008 &&
                      strcmp(it->item[0].extra, "2767052") == 0,
                  "book 1: %s", it->item[0].title);
            int missing = 0;
            for (int i = 0; i < bookrec_ids_count(r->items); i++)
                missing += bookrec_ids_find(it->ids, bookrec_ids_get(r->items, i), -1) < 0;
            CHECK(missing == 0, "%d rated books are not in books.csv", missing);
            bookrec_items_free(it);
        }
        free(books);
    }
    bookrec_ratings_free(r);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_data_goodbooks: all checks passed\n");
    return 0;
}
