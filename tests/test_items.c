/*
 * test_items.c - the items (books.csv) parser: goodbooks columns, RFC 4180 quoting with commas, quotes
 * and line breaks, CRLF and BOM, optional columns absent, configurable names, years like "2008.0" and
 * negative years, text cleaning (invalid UTF-8, control characters), hostile text kept as text, and
 * bad rows / empty file / missing column with FILE:LINE messages and skip_bad counts. Also reads the
 * committed fixtures' books.csv, and names the id by the caller's noun (book, item, movie) in messages.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static bookrec_items *parse(const char *csv, const bookrec_items_options *opt) {
    bookrec_items *it = NULL;
    bookrec_error err;
    int rc = bookrec_items_parse(csv, strlen(csv), opt, &it, &err);
    CHECK(rc == 0 && it, "parse failed: %s", err.msg);
    return rc == 0 ? it : NULL;
}

static void fails(const char *csv, const bookrec_items_options *opt, int code, const char *msg) {
    bookrec_items *it = (bookrec_items *)1;
    bookrec_error err;
    bookrec_items_options o;
    if (opt) o = *opt;
    else memset(&o, 0, sizeof o);
    if (!o.source) o.source = "books.csv";
    int rc = bookrec_items_parse(csv, strlen(csv), &o, &it, &err);
    CHECK(rc == code && it == NULL, "expected %d, got %d (%s)", code, rc, rc ? err.msg : "ok");
    CHECK(strcmp(err.msg, msg) == 0, "message \"%s\", expected \"%s\"", err.msg, msg);
    if (rc == 0) bookrec_items_free(it);
}

static void test_goodbooks_shape(void) {
    const char *csv =
        "\xEF\xBB\xBF" "book_id,goodreads_book_id,authors,original_publication_year,title,average_rating,image_url,small_image_url\r\n"
        "1,2767052,Suzanne Collins,2008.0,\"The Hunger Games (The Hunger Games, #1)\",4.34,https://i/1m.jpg,https://i/1s.jpg\r\n"
        "2,3,\"J.K. Rowling, Mary GrandPr\xC3\xA9\",1997.0,\"He said \"\"hi\"\"\",4.44,,\r\n"
        "3,5,Homer,-720.0,\"Two\nlines\",,https://i/3m.jpg,\r\n"
        "4,6,<b>x</b>,,<img src=x onerror=alert(1)>,3.5,javascript:alert(1),\r\n";
    bookrec_items *it = parse(csv, NULL);
    if (!it) return;
    CHECK(it->n == 4 && it->rows_skipped == 0 && bookrec_ids_count(it->ids) == 4, "n %d", it->n);
    const bookrec_item *a = &it->item[0], *b = &it->item[1], *c = &it->item[2], *d = &it->item[3];
    CHECK(strcmp(a->id, "1") == 0 && strcmp(a->title, "The Hunger Games (The Hunger Games, #1)") == 0, "title: %s", a->title);
    CHECK(strcmp(a->authors, "Suzanne Collins") == 0 && a->year == 2008 && fabsf(a->avg_rating - 4.34f) < 1e-6f, "fields a");
    CHECK(strcmp(a->image_url, "https://i/1m.jpg") == 0 && strcmp(a->small_image_url, "https://i/1s.jpg") == 0 &&
              strcmp(a->extra, "2767052") == 0,
          "urls a");
    CHECK(strcmp(b->authors, "J.K. Rowling, Mary GrandPr\xC3\xA9") == 0 && strcmp(b->title, "He said \"hi\"") == 0, "quotes b");
    CHECK(b->image_url[0] == '\0' && b->small_image_url[0] == '\0', "empty urls are \"\"");
    CHECK(c->year == -720 && c->avg_rating == 0 && strcmp(c->title, "Two lines") == 0, "c: year %d title %s", c->year, c->title);
    CHECK(d->year == 0 && strcmp(d->title, "<img src=x onerror=alert(1)>") == 0 && strcmp(d->authors, "<b>x</b>") == 0 &&
              strcmp(d->image_url, "javascript:alert(1)") == 0,
          "hostile text kept as text");
    CHECK(bookrec_ids_find(it->ids, "3", -1) == 2 && bookrec_ids_find(it->ids, "5", -1) == -1, "ids");
    bookrec_items_free(it);
}

/* best_book_id, isbn, isbn13 and original_title, kept as text; "" when the columns are absent */
static void test_match_columns(void) {
    bookrec_items *it = parse("book_id,goodreads_book_id,best_book_id,isbn,isbn13,original_title,title\n"
                              "1,2767052,2767053,439023483,9.78043902348e+12,The Hunger Games,\"The Hunger Games (#1)\"\n",
                              NULL);
    if (it) {
        const bookrec_item *a = &it->item[0];
        CHECK(strcmp(a->best_id, "2767053") == 0 && strcmp(a->isbn, "439023483") == 0 &&
                  strcmp(a->isbn13, "9.78043902348e+12") == 0 && strcmp(a->original_title, "The Hunger Games") == 0,
              "match columns: %s %s %s %s", a->best_id, a->isbn, a->isbn13, a->original_title);
        bookrec_items_free(it);
    }
    it = parse("title,book_id\nA,10\n", NULL);
    if (it) {
        CHECK(!it->item[0].best_id[0] && !it->item[0].isbn[0] && !it->item[0].isbn13[0] && !it->item[0].original_title[0],
              "absent match columns are \"\"");
        bookrec_items_free(it);
    }
}

static void test_columns(void) {
    /* only the required columns: optional ones absent are "" / 0 */
    bookrec_items *it = parse("title,book_id\nA,10\nB,11\n", NULL);
    if (it) {
        CHECK(it->n == 2 && strcmp(it->item[1].title, "B") == 0 && strcmp(it->item[1].id, "11") == 0 &&
                  it->item[0].authors[0] == '\0' && it->item[0].image_url[0] == '\0' && it->item[0].year == 0,
              "minimal");
        bookrec_items_free(it);
    }
    /* configurable names, any order, string ids */
    bookrec_items_options o = {0};
    o.id_col = "item";
    o.title_col = "name";
    o.author_col = "writer";
    o.image_col = "cover";
    o.year_col = "published";
    it = parse("cover,name,item,writer,published\r\nhttps://c/x.png,\"Northern, Kingdom\",isbn-9781,\"Berg, Anna\",1905\r\n", &o);
    if (it) {
        CHECK(it->n == 1 && strcmp(it->item[0].id, "isbn-9781") == 0 && strcmp(it->item[0].title, "Northern, Kingdom") == 0 &&
                  strcmp(it->item[0].authors, "Berg, Anna") == 0 && it->item[0].year == 1905 &&
                  strcmp(it->item[0].image_url, "https://c/x.png") == 0,
              "custom columns");
        bookrec_items_free(it);
    }
    /* an optional column named explicitly must exist */
    o.image_col = "picture";
    fails("cover,name,item,writer,published\nx,y,z,w,1\n", &o, BOOKREC_E_PARSE,
          "books.csv:1: missing column \"picture\" (the header has: cover,name,item,writer,published)");
    fails("book_id,authors\n1,x\n", NULL, BOOKREC_E_PARSE, "books.csv:1: missing column \"title\" (the header has: book_id,authors)");
    fails("title,authors\n1,x\n", NULL, BOOKREC_E_PARSE, "books.csv:1: missing column \"book_id\" (the header has: title,authors)");
    fails("book_id,title,title\n1,x,y\n", NULL, BOOKREC_E_PARSE, "books.csv:1: column \"title\" appears more than once in the header");
}

static void test_cleaning(void) {
    /* invalid UTF-8 becomes U+FFFD, control characters spaces, outer spaces trimmed */
    bookrec_items *it = parse("book_id,title,authors\n1,\"  Bad \xff byte\tand tab  \",\"x\x01y\"\n", NULL);
    if (it) {
        CHECK(strcmp(it->item[0].title, "Bad \xEF\xBF\xBD byte and tab") == 0, "cleaned title: %s", it->item[0].title);
        CHECK(strcmp(it->item[0].authors, "x y") == 0, "cleaned authors: %s", it->item[0].authors);
        bookrec_items_free(it);
    }
}

static void test_bad_rows(void) {
    const char *H = "book_id,title,original_publication_year,average_rating\n1,A,2000.0,4\n";
    struct { const char *row, *msg; } cases[] = {
        {"2,B", "books.csv:3: row has 2 fields, expected 4: missing fields"},
        {"2,B,1,2,3", "books.csv:3: row has 5 fields, expected 4: extra data after the last column"},
        {",B,1,2", "books.csv:3: book id is empty"},
        {"0,B,1,2", "books.csv:3: book id 0 is out of range (expected 1..2147483647)"},
        {"x,B,1,2", "books.csv:3: book id \"x\" is not a whole number (this column's ids are numeric)"},
        {"1,B,1,2", "books.csv:3: book id \"1\" appears twice (first on line 2)"},
        {"2,B,abc,2", "books.csv:3: year \"abc\" is not a whole number"},
        {"2,B,2001.5,2", "books.csv:3: year \"2001.5\" is not a whole number"},
        {"2,B,99999,2", "books.csv:3: year 99999 is out of range (-9999..9999)"},
        {"2,B,1,good", "books.csv:3: average rating \"good\" is not a number"},
        {"2,\"B\"x,1,2", "books.csv:3: unexpected text \"x\" after a closing quote"},
    };
    char csv[512];
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        snprintf(csv, sizeof csv, "%s%s\n5,E,,\n", H, cases[k].row);
        fails(csv, NULL, BOOKREC_E_PARSE, cases[k].msg);
        bookrec_items_options o = {0};
        o.skip_bad = 1;
        bookrec_items *it = NULL;
        bookrec_error err;
        int rc = bookrec_items_parse(csv, strlen(csv), &o, &it, &err);
        CHECK(rc == 0 && it && it->n == 2 && it->rows_skipped == 1 && strcmp(it->item[1].id, "5") == 0, "skip_bad %s: %s",
              cases[k].row, rc ? err.msg : "");
        bookrec_items_free(it);
    }
    fails("", NULL, BOOKREC_E_EMPTY, "books.csv: the file is empty (expected a header line with book_id and title columns)");
    fails("book_id,title\r\n", NULL, BOOKREC_E_EMPTY, "books.csv: no data rows after the header");
    fails("book_id,title\n\"1,x\n", NULL, BOOKREC_E_PARSE, "books.csv:2: quoted field is never closed (the quote opens here)");
    bookrec_items_options o = {0};
    o.skip_bad = 1;
    o.source = "books.csv";
    bookrec_items *it = (bookrec_items *)1;
    bookrec_error err;
    int rc = bookrec_items_parse("book_id,title\n,x\n", 17, &o, &it, &err);
    CHECK(rc == BOOKREC_E_EMPTY && it == NULL && strstr(err.msg, "no usable rows"), "all bad: %s", err.msg);
    bookrec_items_free(NULL);
}

static void test_fixtures(void) {
    const char *root = getenv("BOOKREC_SOURCE_DIR");
    if (!root) root = "..";
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%s/tests/fixtures/goodbooks-mini/books.csv", root);
    char *csv = slurp(path, &len);
    CHECK(csv != NULL, "%s missing (run node tools/gen-fixture.mjs)", path);
    if (csv) {
        bookrec_items *it = NULL;
        bookrec_error err;
        int rc = bookrec_items_parse(csv, len, NULL, &it, &err);
        CHECK(rc == 0 && it && it->n == 300, "goodbooks-mini books: %s", rc ? err.msg : "");
        if (it) {
            int hostile = bookrec_ids_find(it->ids, "7", -1), js = bookrec_ids_find(it->ids, "13", -1);
            CHECK(hostile >= 0 && strcmp(it->item[hostile].title, "<img src=x onerror=alert(1)>") == 0, "hostile title");
            CHECK(js >= 0 && strcmp(it->item[js].image_url, "javascript:alert(1)") == 0, "javascript: url");
            int years = 0;
            for (int i = 0; i < it->n; i++) years += it->item[i].year > 1800;
            CHECK(years > 250, "years parsed from \"1952.0\": %d", years);
            bookrec_items_free(it);
        }
        free(csv);
    }
    snprintf(path, sizeof path, "%s/tests/fixtures/catalogue/books.csv", root);
    csv = slurp(path, &len);
    CHECK(csv != NULL, "%s missing", path);
    if (csv) {
        bookrec_items_options o = {0};
        o.id_col = "item";
        o.title_col = "name";
        o.author_col = "writer";
        o.image_col = "cover";
        o.year_col = "published";
        bookrec_items *it = NULL;
        bookrec_error err;
        int rc = bookrec_items_parse(csv, len, &o, &it, &err);
        CHECK(rc == 0 && it && it->n == 120 && strncmp(it->item[0].id, "isbn-978", 8) == 0, "catalogue books: %s",
              rc ? err.msg : "");
        bookrec_items_free(it);
        free(csv);
    }
}

/* The id's noun in messages: book for book_id, item for another column, or the caller's. */
static void test_noun(void) {
    fails("book_id,title\n1,A\n1,B\n", NULL, BOOKREC_E_PARSE, "books.csv:3: book id \"1\" appears twice (first on line 2)");
    bookrec_items_options o = {0};
    o.id_col = "movieId";
    fails("movieId,title\n1,A\n1,B\n", &o, BOOKREC_E_PARSE, "books.csv:3: item id \"1\" appears twice (first on line 2)");
    o.noun = "movie";
    fails("movieId,title\n1,A\n1,B\n", &o, BOOKREC_E_PARSE, "books.csv:3: movie id \"1\" appears twice (first on line 2)");
}

int main(void) {
    test_goodbooks_shape();
    test_match_columns();
    test_columns();
    test_cleaning();
    test_bad_rows();
    test_fixtures();
    test_noun();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_items: all checks passed\n");
    return 0;
}
