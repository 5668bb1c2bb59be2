/*
 * test_dataset.c - a model against a dataset that shares its ids by name (src/dataset.c): the test error with the
 * ids mapped (the same numbers as bookrec_evaluate on triples mapped by hand; ratings of unknown users or books left
 * out and counted), a dataset reader's rated books in the model's indices; and the new reader a Goodreads export
 * makes for a model (src/goodreads.c: matched rows, each book once, the last rating of a book listed twice, to-read
 * books counted, books the model lacks counted); what a ratings file holds (the half-star histogram of its kept
 * ratings and its mean, the empty fields of named columns); a new reader's ratings from a CSV of book_id,rating.
 */
#include "bookrec.h"
#include "check.h"
#include <math.h>
#include <string.h>

static bookrec_ids *ids_of(const char *const *names, int n) {
    bookrec_ids *ids = bookrec_ids_create();
    for (int k = 0; k < n; k++) bookrec_ids_add(ids, names[k], -1);
    return ids;
}

static bookrec_ratings *ratings_of(const char *csv) {
    bookrec_ratings *r = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_ratings_parse(csv, strlen(csv), NULL, &r, &err) == BOOKREC_OK, "%s", err.msg);
    return r;
}

static void test_evaluate(void) {
    /* dataset order u2, u1, u3 and b2, b1, b3; the model knows u1, u2 and b1, b2 */
    bookrec_ratings *r = ratings_of("user_id,book_id,rating\nu2,b2,4\nu1,b1,5\nu3,b1,3\nu1,b3,2\nu1,b2,1\n");
    bookrec_error err = {0};
    if (!r) return;
    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = BOOKREC_ARCH_MF;
    c.n_users = 2;
    c.n_items = 2;
    c.dim = 3;
    bookrec_model *m = NULL;
    CHECK(bookrec_model_create(&c, &m, &err) == BOOKREC_OK, "%s", err.msg);
    const char *const un[2] = {"u1", "u2"}, *const in[2] = {"b1", "b2"};
    bookrec_ids *mu = ids_of(un, 2), *mi = ids_of(in, 2);
    CHECK(bookrec_model_set_ids(m, mu, mi, &err) == BOOKREC_OK, "%s", err.msg);

    bookrec_test_error te;
    CHECK(bookrec_evaluate_ratings(m, r, &r->all, &te, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(te.used == 3 && te.dropped == 2, "used %zu dropped %zu", te.used, te.dropped);
    bookrec_triples t = {0};
    bookrec_triples_alloc(&t, 3);
    const int32_t user[3] = {1, 0, 0}, item[3] = {1, 0, 1};
    const float rating[3] = {4, 5, 1};
    for (int k = 0; k < 3; k++) { t.user[k] = user[k]; t.item[k] = item[k]; t.rating[k] = rating[k]; }
    t.n = 3;
    double mse = 0, mae = 0;
    CHECK(bookrec_evaluate(m, &t, &mse, &mae, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(fabs(te.rmse - sqrt(mse)) < 1e-12 && fabs(te.mae - mae) < 1e-12 && te.rmse > 0, "rmse %g vs %g, mae %g vs %g",
          te.rmse, sqrt(mse), te.mae, mae);
    bookrec_triples_free(&t);

    int32_t *ex = NULL;
    int n = 0;
    CHECK(bookrec_ratings_user_books(r, "u1", mi, &ex, &n, &err) == BOOKREC_OK && n == 2 && ex[0] == 0 && ex[1] == 1,
          "u1 rated b1 and b2 of the model (b3 left out): %d", n);
    bookrec_free(ex);
    CHECK(bookrec_ratings_user_books(r, "nobody", mi, &ex, &n, &err) == BOOKREC_OK && n == -1 && !ex, "no such user");
    CHECK(bookrec_ratings_user_books(r, "u3", mi, &ex, &n, &err) == BOOKREC_OK && n == 1 && ex[0] == 0, "u3: b1");
    bookrec_free(ex);
    CHECK(bookrec_evaluate_ratings(m, r, NULL, &te, &err) == BOOKREC_E_ARG, "NULL test refused");
    bookrec_ids_free(mu);
    bookrec_ids_free(mi);
    bookrec_model_free(m);
    bookrec_ratings_free(r);
}

static void test_gr_reader(void) {
    static const char books_csv[] = "book_id,goodreads_book_id,title,authors\n1,101,Alpha,Ann Lee\n2,102,Beta,Bo Ray\n"
                                    "3,103,Gamma,Cy Dunn\n";
    static const char lib[] = "Book Id,Title,Author,My Rating,Exclusive Shelf\n101,Alpha,Ann Lee,4,read\n"
                              "999,Nowhere,No One,5,read\n102,Beta,Bo Ray,0,to-read\n101,Alpha,Ann Lee,2,read\n"
                              "103,Gamma,Cy Dunn,5,read\n";
    bookrec_error err = {0};
    bookrec_items *books = NULL;
    bookrec_goodreads *gr = NULL;
    CHECK(bookrec_items_parse(books_csv, strlen(books_csv), NULL, &books, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_goodreads_parse(lib, strlen(lib), "lib.csv", &gr, &err) == BOOKREC_OK, "%s", err.msg);
    if (!books || !gr) return;
    const char *const in[2] = {"2", "1"}; /* the model lacks book 3 */
    bookrec_ids *mi = ids_of(in, 2);
    bookrec_gr_reader *g = NULL;
    CHECK(bookrec_gr_reader_create(gr, books, mi, &g, &err) == BOOKREC_OK && g, "%s", err.msg);
    if (g) {
        CHECK(g->matched == 4 && g->by[BOOKREC_GR_ID] == 4 && g->at[1] == -1 && g->at[0] == 0 && g->at[4] == 2,
              "matched %d", g->matched);
        CHECK(g->how[0] == BOOKREC_GR_ID && g->how[1] == BOOKREC_GR_NONE);
        CHECK(g->n_rated == 1 && g->rated[0] == 1 && g->ratings[0] == 2.0f, "Alpha once, its last rating 2");
        CHECK(g->n_seen == 2 && g->seen[0] == 1 && g->seen[1] == 0, "Alpha and Beta left out");
        CHECK(g->n_want == 1 && g->not_in_model == 1, "want %d, not in model %d", g->n_want, g->not_in_model);
    }
    bookrec_gr_reader_free(g);
    CHECK(bookrec_gr_reader_create(gr, NULL, mi, &g, &err) == BOOKREC_E_ARG && !g, "no books table refused");
    bookrec_ids_free(mi);
    bookrec_goodreads_free(gr);
    bookrec_items_free(books);
}

static void test_summary(void) {
    bookrec_ratings *r = ratings_of("user_id,book_id,rating\nu1,b1,1\nu1,b2,2.5\nu2,b1,5\nu2,b2,4.6\nu3,b3,2.4\n");
    bookrec_error err = {0};
    if (!r) return;
    bookrec_histogram *h = NULL;
    CHECK(bookrec_ratings_histogram(r, &h, &err) == BOOKREC_OK && h, "%s", err.msg);
    if (h) { /* scale 1..5 from the data: bins 1, 1.5, ..., 5; 2.4 -> 2.5, 4.6 -> 4.5 */
        CHECK(h->n_bins == 9 && h->count[0] == 1 && h->count[3] == 2 && h->count[7] == 1 && h->count[8] == 1 &&
              h->max == 2, "%d bins", h->n_bins);
        CHECK(fabs(h->mean - (1 + 2.5 + 5 + 4.6 + 2.4) / 5) < 1e-6, "mean %g", h->mean);
    }
    bookrec_histogram_free(h);
    bookrec_ratings_free(r);

    static const char holes[] = "user_id,book_id,rating\n1,2,4\n,3,5\n2,,\n3,4\n";
    const char *const names[4] = {"user_id", "book_id", "rating", "nope"};
    size_t empty[4] = {9, 9, 9, 9};
    CHECK(bookrec_csv_count_empty(holes, strlen(holes), names, 4, empty, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(empty[0] == 1 && empty[1] == 1 && empty[2] == 2 && empty[3] == 0, "%zu %zu %zu %zu", empty[0], empty[1],
          empty[2], empty[3]);
    static const char broken[] = "user_id,book_id\n,1\n\"x,2\n,3\n";
    CHECK(bookrec_csv_count_empty(broken, strlen(broken), names, 2, empty, &err) == BOOKREC_OK && empty[0] == 1,
          "stops at the malformed record: %zu", empty[0]);
}

static long unknown_line[4];
static int n_unknown;

static void on_unknown(void *ctx, long line, const char *id) {
    CHECK(!strcmp((const char *)ctx, "me") && !strcmp(id, "b9"), "unknown %s", id);
    if (n_unknown < 4) unknown_line[n_unknown++] = line;
}

static void test_reader(void) {
    const char *const in[3] = {"b1", "b2", "b3"};
    bookrec_ids *mi = ids_of(in, 3);
    bookrec_error err = {0};
    int32_t *item = NULL;
    float *rating = NULL;
    int n = 0;
    static const char with_header[] = "rating,book_id\n4.5,b3\n2,b9\n5 ,b1\n";
    CHECK(bookrec_reader_parse(with_header, strlen(with_header), "me", mi, on_unknown, "me", &item, &rating, &n,
                               &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(n == 2 && item[0] == 2 && rating[0] == 4.5f && item[1] == 0 && rating[1] == 5, "columns by name: %d", n);
    CHECK(n_unknown == 1 && unknown_line[0] == 3, "b9 on line 3 is unknown");
    bookrec_free(item);
    bookrec_free(rating);
    static const char plain[] = "b2,3\nb1,1\n";
    CHECK(bookrec_reader_parse(plain, strlen(plain), "me", mi, NULL, NULL, &item, &rating, &n, &err) == BOOKREC_OK &&
          n == 2 && item[0] == 1 && rating[1] == 1, "no header: book_id,rating");
    bookrec_free(item);
    bookrec_free(rating);
    static const char bad[] = "b2,3\nb1,x\n";
    CHECK(bookrec_reader_parse(bad, strlen(bad), "r.csv", mi, NULL, NULL, &item, &rating, &n, &err) == BOOKREC_E_PARSE &&
          !item && !strcmp(err.msg, "r.csv:2: the rating of book 'b1' is not a number: 'x'"), "%s", err.msg);
    static const char short_row[] = "b2\n";
    CHECK(bookrec_reader_parse(short_row, strlen(short_row), "r.csv", mi, NULL, NULL, &item, &rating, &n, &err) ==
              BOOKREC_E_PARSE && !strcmp(err.msg, "r.csv:1: expected book_id,rating"), "%s", err.msg);
    bookrec_ids_free(mi);
}

int main(void) {
    test_evaluate();
    test_reader();
    test_summary();
    test_gr_reader();
    if (!failures) printf("test_dataset: ok\n");
    return failures != 0;
}
