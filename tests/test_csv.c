/*
 * test_csv.c - the CSV tokenizer, the ratings parser, id tables and the train/test split: quoting,
 * embedded line breaks, CRLF, BOM, blank lines, columns found by name in any order, every kind of bad
 * row with the exact FILE:LINE message, skip_bad counts, empty file / header only / missing column,
 * string ids and half stars, the rating scale rules (the out-of-scale message names how to set the scale,
 * infer_range takes it from the data), the item noun of the messages, the keep-last duplicate rule, the split
 * (and split_take, which gives the same parts from the dataset's own arrays), and the two
 * committed fixtures (tests/fixtures/, made by tools/gen-fixture.mjs) against their recorded figures.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* ------------------------------------------------------------------ tokenizer */

static int field_is(const br_csv *c, int i, const char *want) {
    return i < c->nf && c->field[i].len == strlen(want) && memcmp(c->field[i].s, want, c->field[i].len) == 0;
}

static void test_tokenizer(void) {
    br_csv c;
    bookrec_error err;
    const char *a = "a,b,c\n1,2,3\n";
    br_csv_init(&c, a, strlen(a), "t.csv");
    CHECK(br_csv_next(&c, &err) == 1 && c.nf == 3 && field_is(&c, 0, "a") && field_is(&c, 2, "c") && c.line == 1, "simple header");
    CHECK(br_csv_next(&c, &err) == 1 && c.nf == 3 && field_is(&c, 1, "2") && c.line == 2, "simple row");
    CHECK(br_csv_next(&c, &err) == 0, "end");
    CHECK(br_csv_next(&c, &err) == 0, "end again");
    br_csv_free(&c);

    /* quotes, doubled quotes, embedded separators and line breaks, empty fields */
    const char *b = "\"a,b\",\"c\"\"d\",e,\n\"x\ny\r\nz\",,\"\"\nlast,\"q\"\"\"";
    br_csv_init(&c, b, strlen(b), "t.csv");
    CHECK(br_csv_next(&c, &err) == 1 && c.nf == 4 && field_is(&c, 0, "a,b") && field_is(&c, 1, "c\"d") &&
              field_is(&c, 2, "e") && field_is(&c, 3, "") && c.field[0].quoted && !c.field[2].quoted,
          "quoted record: nf %d", c.nf);
    CHECK(br_csv_next(&c, &err) == 1 && c.nf == 3 && field_is(&c, 0, "x\ny\r\nz") && field_is(&c, 1, "") &&
              field_is(&c, 2, "") && c.field[2].quoted && c.line == 2,
          "embedded line breaks: nf %d line %ld", c.nf, c.line);
    CHECK(br_csv_next(&c, &err) == 1 && c.line == 5 && field_is(&c, 0, "last") && field_is(&c, 1, "q\""),
          "line after embedded breaks: line %ld", c.line);
    CHECK(br_csv_next(&c, &err) == 0, "end without final newline");
    br_csv_free(&c);

    /* BOM, CRLF, blank lines, lone CR */
    const char *d = "\xEF\xBB\xBFid,v\r\n\r\n1,x\r\n\n\n2,y\r3,z";
    br_csv_init(&c, d, strlen(d), "t.csv");
    CHECK(br_csv_next(&c, &err) == 1 && field_is(&c, 0, "id") && field_is(&c, 1, "v"), "BOM skipped");
    CHECK(br_csv_next(&c, &err) == 1 && field_is(&c, 0, "1") && field_is(&c, 1, "x") && c.line == 3,
          "CRLF and blank line: line %ld", c.line);
    CHECK(br_csv_next(&c, &err) == 1 && field_is(&c, 1, "y") && c.line == 6, "blank lines: line %ld", c.line);
    CHECK(br_csv_next(&c, &err) == 1 && field_is(&c, 1, "z") && c.line == 7, "lone CR: line %ld", c.line);
    CHECK(br_csv_next(&c, &err) == 0, "end");
    br_csv_free(&c);

    /* a lone CR inside quotes is a line break too, for line numbers */
    br_csv_init(&c, "\"a\rb\",c\nnext\n", 12, "t.csv");
    CHECK(br_csv_next(&c, &err) == 1 && field_is(&c, 0, "a\rb"), "CR in quotes");
    CHECK(br_csv_next(&c, &err) == 1 && field_is(&c, 0, "next") && c.line == 3, "line after CR in quotes: %ld", c.line);
    br_csv_free(&c);

    /* a quoted empty field alone on a line is a record, not a blank line */
    br_csv_init(&c, "\"\"\n", 3, "t.csv");
    CHECK(br_csv_next(&c, &err) == 1 && c.nf == 1 && c.field[0].quoted, "quoted empty record");
    br_csv_free(&c);

    /* errors: text after a closing quote (recoverable), unterminated quote */
    const char *e = "a,b\n\"x\"y,2\n3,4\n\"open,5\n6,7\n";
    br_csv_init(&c, e, strlen(e), "bad.csv");
    CHECK(br_csv_next(&c, &err) == 1, "header");
    CHECK(br_csv_next(&c, &err) == -1 && err.code == BOOKREC_E_PARSE &&
              strcmp(err.msg, "bad.csv:2: unexpected text \"y\" after a closing quote") == 0,
          "junk after quote: %s", err.msg);
    CHECK(br_csv_next(&c, &err) == 1 && field_is(&c, 0, "3") && c.line == 3, "recovers on the next line: line %ld", c.line);
    CHECK(br_csv_next(&c, &err) == -1 && strstr(err.msg, "bad.csv:4: quoted field is never closed"), "unterminated: %s",
          err.msg);
    CHECK(br_csv_next(&c, &err) == 0, "end after unterminated quote");
    br_csv_free(&c);

    /* empty buffer, BOM only */
    br_csv_init(&c, "", 0, NULL);
    CHECK(br_csv_next(&c, &err) == 0 && strcmp(c.source, "<buffer>") == 0, "empty");
    br_csv_free(&c);
    br_csv_init(&c, "\xEF\xBB\xBF", 3, NULL);
    CHECK(br_csv_next(&c, &err) == 0, "BOM only");
    br_csv_free(&c);

    /* numbers */
    double v;
    CHECK(br_parse_number("4", 1, &v) == 0 && v == 4, "4");
    CHECK(br_parse_number("-3.5", 4, &v) == 0 && v == -3.5, "-3.5");
    CHECK(br_parse_number(".5", 2, &v) == 0 && v == 0.5, ".5");
    CHECK(br_parse_number("2008.0", 6, &v) == 0 && v == 2008, "2008.0");
    CHECK(br_parse_number("1e2", 3, &v) == 0 && v == 100, "1e2");
    CHECK(br_parse_number("4.34", 4, &v) == 0 && (float)v == 4.34f, "4.34");
    CHECK(br_parse_number("0.1", 3, &v) == 0 && v == 0.1, "0.1 exact double");
    const char *bad[] = {"", "abc", "5x", "-", ".", "1e", "nan", "inf", "1..2", "1e999", "0x10", " 4"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        CHECK(br_parse_number(bad[k], strlen(bad[k]), &v) == -1, "\"%s\" should not parse", bad[k]);
    CHECK(br_utf8_valid("h\xC3\xA9", 3) && !br_utf8_valid("\xC3", 1) && !br_utf8_valid("\xED\xA0\x80", 3) &&
              !br_utf8_valid("\xC0\xAF", 2),
          "utf8");
}

/* ------------------------------------------------------------------ ids */

static void test_ids(void) {
    bookrec_ids *t = br_ids_create();
    CHECK(bookrec_ids_count(t) == 0 && bookrec_ids_count(NULL) == 0 && bookrec_ids_get(t, 0) == NULL, "empty table");
    CHECK(br_ids_intern(t, "b", 1) == 0 && br_ids_intern(t, "a", 1) == 1 && br_ids_intern(t, "b", 1) == 0, "intern order");
    CHECK(br_ids_intern(t, "ab", 1) == 1, "intern uses len");
    CHECK(bookrec_ids_find(t, "a", -1) == 1 && bookrec_ids_find(t, "zz", -1) == -1 && bookrec_ids_find(t, "bx", 1) == 0,
          "find");
    char buf[32];
    for (int i = 0; i < 100000; i++) br_ids_intern(t, buf, snprintf(buf, sizeof buf, "id-%d", i));
    CHECK(bookrec_ids_count(t) == 100002, "count %d", bookrec_ids_count(t));
    bookrec_ids *c = br_ids_clone(t);
    br_ids_free(t);
    CHECK(c && bookrec_ids_find(c, "id-99999", -1) == 100001 && strcmp(bookrec_ids_get(c, 2), "id-0") == 0 &&
              bookrec_ids_get(c, 100002) == NULL && bookrec_ids_get(c, -1) == NULL,
          "clone");
    CHECK(br_ids_intern(c, "new", 3) == 100002 && bookrec_ids_find(c, "new", 3) == 100002, "clone grows");
    br_ids_free(c);
    br_ids_free(NULL);
    CHECK(br_ids_clone(NULL) == NULL, "clone NULL");
}

/* ------------------------------------------------------------------ ratings */

static bookrec_ratings *parse(const char *csv, const bookrec_csv_options *opt, bookrec_error *err) {
    bookrec_ratings *r = NULL;
    int rc = bookrec_ratings_parse(csv, strlen(csv), opt, &r, err);
    CHECK(rc == 0 && r, "parse failed: %s", err->msg);
    return rc == 0 ? r : NULL;
}

/* Expects parsing to fail with `code` and exactly `msg` (or containing it when prefix_only). */
static void parse_fails(const char *csv, const bookrec_csv_options *opt, int code, const char *msg, int exact) {
    bookrec_ratings *r = (bookrec_ratings *)1;
    bookrec_error err;
    bookrec_csv_options o;
    if (opt) o = *opt;
    else memset(&o, 0, sizeof o);
    if (!o.source) o.source = "ratings.csv";
    int rc = bookrec_ratings_parse(csv, strlen(csv), &o, &r, &err);
    CHECK(rc == code, "expected code %d, got %d (%s) for:\n%s", code, rc, rc ? err.msg : "ok", csv);
    CHECK(r == NULL, "out not NULL on failure");
    CHECK(exact ? strcmp(err.msg, msg) == 0 : strstr(err.msg, msg) != NULL, "message \"%s\", expected %s\"%s\"", err.msg,
          exact ? "" : "to contain ", msg);
    if (rc == 0) bookrec_ratings_free(r);
}

static float rating_of(const bookrec_ratings *r, const char *user, const char *item) {
    int u = bookrec_ids_find(r->users, user, -1), i = bookrec_ids_find(r->items, item, -1);
    for (size_t k = 0; k < r->all.n; k++)
        if (r->all.user[k] == u && r->all.item[k] == i) return r->all.rating[k];
    return NAN;
}

static void test_ratings_basic(void) {
    bookrec_error err;
    /* goodbooks order and the other order read the same */
    bookrec_ratings *a = parse("book_id,user_id,rating\n1,314,5\n1,439,3\n2,314,4\n", NULL, &err);
    bookrec_ratings *b = parse("user_id,book_id,rating\n314,1,5\n439,1,3\n314,2,4\n", NULL, &err);
    if (a && b) {
        CHECK(a->all.n == 3 && b->all.n == 3 && a->rows_read == 3, "n");
        CHECK(bookrec_ids_count(a->users) == 2 && bookrec_ids_count(a->items) == 2, "counts");
        CHECK(rating_of(a, "314", "2") == 4 && rating_of(b, "314", "2") == 4 && rating_of(b, "439", "1") == 3, "values");
        CHECK(strcmp(bookrec_ids_get(a->items, 0), "1") == 0 && strcmp(bookrec_ids_get(a->users, 1), "439") == 0,
              "ids in order of first appearance");
        CHECK(a->min_rating == 1 && a->max_rating == 5 && a->integral == 1, "goodbooks scale");
        CHECK(a->duplicates == 0 && a->conflicting == 0 && a->rows_skipped == 0, "no dups");
    }
    bookrec_ratings_free(a);
    bookrec_ratings_free(b);

    /* extra columns, any order, header case and spaces ignored, BOM, CRLF, quoted values, blank lines */
    a = parse("\xEF\xBB\xBFtimestamp, Rating ,\"USER_ID\",book_id,extra\r\n"
              "100,\"4\",7,\"12\",\"x,y\"\r\n\r\n200, 2 , 8 ,12,\r\n",
              NULL, &err);
    if (a) {
        CHECK(a->all.n == 2 && rating_of(a, "7", "12") == 4 && rating_of(a, "8", "12") == 2, "extra columns");
        bookrec_ratings_free(a);
    }
    /* configurable names, string ids, half stars: the scale comes from the data */
    bookrec_csv_options o = {0};
    o.user_col = "member";
    o.item_col = "item";
    o.rating_col = "score";
    a = parse("item,score,member\nisbn-978-0,3.5,u-7f3a\nisbn-978-1,0.5,u-7f3a\nisbn-978-0,4,u-0001\n", &o, &err);
    if (a) {
        CHECK(a->integral == 0 && a->min_rating == 0.5f && a->max_rating == 4.0f, "data scale %g..%g int %d",
              a->min_rating, a->max_rating, a->integral);
        CHECK(rating_of(a, "u-7f3a", "isbn-978-0") == 3.5f, "half star");
        CHECK(bookrec_ids_find(a->users, "u-0001", -1) == 1, "string id kept byte for byte");
        bookrec_ratings_free(a);
    }
    /* explicit range overrides, and rejects values outside it */
    o.min_rating = 1;
    o.max_rating = 5;
    parse_fails("item,score,member\na,3.5,u\nb,0.5,u\n", &o, BOOKREC_E_PARSE,
                "ratings.csv:3: rating 0.5 is outside the accepted range 1..5", 1);
    o.min_rating = 0;
    o.max_rating = 10;
    a = parse("item,score,member\na,7,u\nb,10,u\n", &o, &err);
    if (a) {
        CHECK(a->min_rating == 0 && a->max_rating == 10 && a->integral, "explicit 0..10");
        bookrec_ratings_free(a);
    }
    o.min_rating = 5;
    o.max_rating = 1;
    parse_fails("item,score,member\na,3,u\n", &o, BOOKREC_E_ARG, "not valid", 0);
    /* numeric ids are canonical: 007 is 7 */
    a = parse("book_id,user_id,rating\n7,1,3\n007,+1,4\n", NULL, &err);
    if (a) {
        CHECK(bookrec_ids_count(a->items) == 1 && bookrec_ids_count(a->users) == 1 && a->duplicates == 1 &&
                  rating_of(a, "1", "7") == 4,
              "canonical numeric ids");
        bookrec_ratings_free(a);
    }
    /* a column whose first id has a leading zero holds strings: 007 and 7 differ */
    a = parse("book_id,user_id,rating\n007,1,3\n7,1,4\n", NULL, &err);
    if (a) {
        CHECK(bookrec_ids_count(a->items) == 2 && a->duplicates == 0, "string ids with leading zero");
        bookrec_ratings_free(a);
    }
}

static void test_duplicates(void) {
    bookrec_error err;
    bookrec_ratings *r = parse("book_id,user_id,rating\n"
                               "1,10,3\n" /* line 2: pair (10,1) first */
                               "1,20,4\n" /* line 3 */
                               "2,10,2\n" /* line 4: pair (10,2) */
                               "1,10,5\n" /* line 5: (10,1) again, different */
                               "2,10,2\n" /* line 6: (10,2) again, same */
                               "1,10,5\n" /* line 7: (10,1) a third time */
                               "3,30,1\n",
                               NULL, &err);
    if (!r) return;
    CHECK(r->rows_read == 7 && r->all.n == 4, "rows %zu kept %zu", r->rows_read, r->all.n);
    CHECK(r->duplicates == 2, "duplicated pairs %zu", r->duplicates);
    CHECK(r->conflicting == 1, "conflicting pairs %zu", r->conflicting);
    CHECK(rating_of(r, "10", "1") == 5 && rating_of(r, "10", "2") == 2, "keep last");
    /* kept rows are in file order of the kept (last) occurrence: lines 3, 6, 7, 8 */
    const char *want_user[] = {"20", "10", "10", "30"}, *want_item[] = {"1", "2", "1", "3"};
    for (int k = 0; k < 4 && (size_t)k < r->all.n; k++)
        CHECK(strcmp(bookrec_ids_get(r->users, r->all.user[k]), want_user[k]) == 0 &&
                  strcmp(bookrec_ids_get(r->items, r->all.item[k]), want_item[k]) == 0,
              "order at %d", k);
    bookrec_ratings_free(r);
    /* same rating repeated is a duplicate but not a conflict; a conflict that returns counts once */
    r = parse("book_id,user_id,rating\n1,1,3\n1,1,4\n1,1,3\n2,2,5\n2,2,5\n", NULL, &err);
    if (r) {
        CHECK(r->duplicates == 2 && r->conflicting == 1 && r->all.n == 2 && rating_of(r, "1", "1") == 3, "dups %zu conf %zu",
              r->duplicates, r->conflicting);
        bookrec_ratings_free(r);
    }
}

static void test_bad_rows(void) {
    const char *H = "book_id,user_id,rating\n";
    char csv[1024];
    struct { const char *row; const char *msg; } cases[] = {
        {"1,2", "row has 2 fields, expected 3 (book_id,user_id,rating in some order): missing fields"},
        {"1", "row has 1 field, expected 3 (book_id,user_id,rating in some order): missing fields"},
        {"1,2,3,4", "row has 4 fields, expected 3: extra data after the last column"},
        {"1,2,abc", "rating \"abc\" is not a number"},
        {"1,2,5x", "rating \"5x\" is not a number"},
        {"1,2,", "rating is empty"},
        {"1,2,nan", "rating \"nan\" is not a number"},
        {"1,2,1e30", "rating 1e30 is out of range"},
        {",2,3", "book id is empty"},
        {"1, ,3", "user id is empty"},
        {"0,2,3", "book id 0 is out of range (expected 1..2147483647)"},
        {"1,-4,3", "user id -4 is out of range (expected 1..2147483647)"},
        {"2147483648,2,3", "book id 2147483648 is out of range (expected 1..2147483647)"},
        {"99999999999999,2,3", "book id 99999999999999 is out of range (expected 1..2147483647)"},
        {"1,abc,3", "user id \"abc\" is not a whole number (this column's ids are numeric)"},
        {"1.5,2,3", "book id \"1.5\" is not a whole number (this column's ids are numeric)"},
        {"\"1\"x,2,3", "unexpected text \"x\" after a closing quote"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        /* the bad row is line 17, as in "ratings.csv:17: ..." */
        size_t n = (size_t)snprintf(csv, sizeof csv, "%s", H);
        for (int l = 2; l < 17; l++) n += (size_t)snprintf(csv + n, sizeof csv - n, "%d,%d,%d\n", l, 100 + l, 1 + l % 5);
        snprintf(csv + n, sizeof csv - n, "%s\n3,4,5\n", cases[k].row);
        char want[300];
        snprintf(want, sizeof want, "ratings.csv:17: %s", cases[k].msg);
        parse_fails(csv, NULL, BOOKREC_E_PARSE, want, 1);
        /* with skip_bad the row is skipped and counted */
        bookrec_csv_options o = {0};
        o.skip_bad = 1;
        bookrec_ratings *r = NULL;
        bookrec_error err;
        int rc = bookrec_ratings_parse(csv, strlen(csv), &o, &r, &err);
        CHECK(rc == 0 && r && r->rows_skipped == 1 && r->rows_read == 17 && r->all.n == 16, "skip_bad %s: rc %d %s", cases[k].row,
              rc, rc ? err.msg : "");
        bookrec_ratings_free(r);
    }
    /* the exact example from the spec */
    parse_fails("book_id,user_id,rating\n1,2,abc\n", NULL, BOOKREC_E_PARSE, "ratings.csv:2: rating \"abc\" is not a number", 1);
    /* whole-number ratings outside 1..5 */
    parse_fails("book_id,user_id,rating\n1,2,3\n1,3,6\n", NULL, BOOKREC_E_PARSE, "ratings.csv:3: rating 6 is outside 1..5", 0);
    parse_fails("book_id,user_id,rating\n1,2,0\n", NULL, BOOKREC_E_PARSE, "ratings.csv:2: rating 0 is outside 1..5", 0);
    /* an unterminated quote, reported on the line where it opens */
    parse_fails("book_id,user_id,rating\n1,2,3\n1,\"2,3\n4,5,1\n", NULL, BOOKREC_E_PARSE,
                "ratings.csv:3: quoted field is never closed", 0);
    /* string ids: too long, control characters, invalid UTF-8 */
    bookrec_csv_options o = {0};
    o.max_id_len = 8;
    parse_fails("book_id,user_id,rating\nabc,u1,3\nabcdefghi,u1,3\n", &o, BOOKREC_E_PARSE,
                "ratings.csv:3: book id \"abcdefghi\" is too long (9 bytes, at most 8)", 1);
    char longid[100];
    memset(longid, 'x', 65);
    longid[65] = '\0';
    snprintf(csv, sizeof csv, "book_id,user_id,rating\nb,u,3\n%s,u,3\n", longid);
    parse_fails(csv, NULL, BOOKREC_E_PARSE, "is too long (65 bytes, at most 64)", 0);
    parse_fails("book_id,user_id,rating\nb,u,3\n\"a\tb\",u,3\n", NULL, BOOKREC_E_PARSE,
                "ratings.csv:3: book id \"a?b\" contains a control character", 1);
    parse_fails("book_id,user_id,rating\nb,u,3\nb\xff,u,3\n", NULL, BOOKREC_E_PARSE, "is not valid UTF-8", 0);

    /* skip_bad: count several bad kinds at once; rows of whole-number ratings outside 1..5 drop their ids */
    o.max_id_len = 0;
    o.skip_bad = 1;
    bookrec_ratings *r = NULL;
    bookrec_error err;
    const char *mixed = "book_id,user_id,rating\n1,1,5\n1,2\n1,3,abc\n0,4,3\n2,5,9\n\"3\"z,6,1\n2,1,4\n2,7,\n";
    int rc = bookrec_ratings_parse(mixed, strlen(mixed), &o, &r, &err);
    CHECK(rc == 0 && r, "skip_bad mixed: %s", err.msg);
    if (r) {
        CHECK(r->rows_read == 8 && r->rows_skipped == 6 && r->all.n == 2, "read %zu skipped %zu kept %zu", r->rows_read,
              r->rows_skipped, r->all.n);
        CHECK(bookrec_ids_count(r->users) == 1 && bookrec_ids_count(r->items) == 2, "ids of skipped rows dropped: %d users %d items",
              bookrec_ids_count(r->users), bookrec_ids_count(r->items));
        CHECK(bookrec_ids_find(r->users, "5", -1) < 0, "user of the out-of-range row is gone");
        bookrec_ratings_free(r);
    }
    /* skip_bad keeps the last GOOD rating of a pair */
    r = NULL;
    const char *late = "book_id,user_id,rating\n1,1,4\n1,1,7\n";
    rc = bookrec_ratings_parse(late, strlen(late), &o, &r, &err);
    CHECK(rc == 0 && r && r->all.n == 1 && r->all.rating[0] == 4 && r->duplicates == 0, "skip_bad keep-last: %s", err.msg);
    bookrec_ratings_free(r);
    /* every row bad */
    r = (bookrec_ratings *)1;
    rc = bookrec_ratings_parse("book_id,user_id,rating\n1,2\n", 25, &o, &r, &err);
    CHECK(rc == BOOKREC_E_EMPTY && r == NULL && strstr(err.msg, "no usable rows (1 of 1 rows were malformed and skipped)"),
          "all bad: %d %s", rc, err.msg);
}

static void test_empty_and_header(void) {
    parse_fails("", NULL, BOOKREC_E_EMPTY, "ratings.csv: the file is empty (expected a header line such as book_id,user_id,rating)", 1);
    parse_fails("\xEF\xBB\xBF", NULL, BOOKREC_E_EMPTY, "the file is empty", 0);
    parse_fails("\n\r\n\n", NULL, BOOKREC_E_EMPTY, "the file is empty", 0);
    parse_fails("book_id,user_id,rating\n", NULL, BOOKREC_E_EMPTY, "ratings.csv: no data rows after the header", 1);
    parse_fails("book_id,user_id,rating", NULL, BOOKREC_E_EMPTY, "no data rows", 0);
    parse_fails("book_id,user,rating\n1,2,3\n", NULL, BOOKREC_E_PARSE,
                "ratings.csv:1: missing column \"user_id\" (the header has: book_id,user,rating)", 1);
    parse_fails("\n\nbook_id,user_id\n1,2\n", NULL, BOOKREC_E_PARSE, "ratings.csv:3: missing column \"rating\"", 0);
    parse_fails("book_id,user_id,rating,rating\n1,2,3,4\n", NULL, BOOKREC_E_PARSE,
                "column \"rating\" appears more than once", 0);
    bookrec_csv_options o = {0};
    o.user_col = "book_id";
    parse_fails("book_id,user_id,rating\n1,2,3\n", &o, BOOKREC_E_PARSE, "must be different columns", 0);
    bookrec_ratings *r = (bookrec_ratings *)1;
    CHECK(bookrec_ratings_parse(NULL, 5, NULL, &r, NULL) == BOOKREC_E_ARG, "NULL buffer");
    CHECK(bookrec_ratings_parse("a", 1, NULL, NULL, NULL) == BOOKREC_E_ARG, "NULL out");
    bookrec_ratings_free(NULL);
}

static void test_split(void) {
    bookrec_error err;
    char *csv = malloc(200000);
    size_t n = (size_t)sprintf(csv, "user_id,book_id,rating\n");
    for (int k = 0; k < 1003; k++) n += (size_t)sprintf(csv + n, "%d,%d,%d\n", 1 + k % 37, 1 + k / 37, 1 + k % 5);
    bookrec_ratings *r = parse(csv, NULL, &err);
    free(csv);
    if (!r) return;
    bookrec_triples tr, te, tr2, te2, tr3, te3;
    CHECK(bookrec_split(r, 0.2, 42, &tr, &te, &err) == 0, "split: %s", err.msg);
    CHECK(te.n == 201 && tr.n == 802, "sizes %zu %zu (test = ceil(0.2 n))", tr.n, te.n);
    CHECK(bookrec_split(r, 0.2, 42, &tr2, &te2, &err) == 0, "split again");
    CHECK(tr2.n == tr.n && memcmp(tr.user, tr2.user, tr.n * 4) == 0 && memcmp(te.item, te2.item, te.n * 4) == 0 &&
              memcmp(te.rating, te2.rating, te.n * 4) == 0,
          "same seed, same split");
    CHECK(bookrec_split(r, 0.2, 43, &tr3, &te3, &err) == 0, "other seed");
    CHECK(memcmp(te.user, te3.user, te.n * 4) != 0 || memcmp(te.item, te3.item, te.n * 4) != 0, "other seed, other split");
    /* train + test is exactly the dataset: every (user, item) once */
    int *seen = calloc(37 * 28, sizeof *seen), ok = 1;
    for (size_t k = 0; k < tr.n; k++) seen[tr.user[k] * 28 + tr.item[k]]++;
    for (size_t k = 0; k < te.n; k++) seen[te.user[k] * 28 + te.item[k]]++;
    for (size_t k = 0; k < r->all.n; k++) ok &= seen[r->all.user[k] * 28 + r->all.item[k]] == 1;
    CHECK(ok, "train + test is a partition of the dataset");
    free(seen);
    bookrec_triples_free(&tr); bookrec_triples_free(&te); bookrec_triples_free(&tr2);
    bookrec_triples_free(&te2); bookrec_triples_free(&tr3); bookrec_triples_free(&te3);
    CHECK(tr.user == NULL && tr.n == 0, "triples_free zeroes");
    CHECK(bookrec_split(r, 1.0, 1, &tr, &te, &err) == BOOKREC_E_ARG, "fraction 1");
    CHECK(bookrec_split(r, -0.1, 1, &tr, &te, &err) == BOOKREC_E_ARG, "fraction < 0");
    CHECK(bookrec_split(r, NAN, 1, &tr, &te, &err) == BOOKREC_E_ARG, "fraction NaN");
    CHECK(bookrec_split(r, 0.0, 1, &tr, &te, &err) == 0 && te.n == 0 && tr.n == r->all.n, "fraction 0");
    bookrec_triples_free(&tr);
    bookrec_triples_free(&te);
    CHECK(bookrec_triples_alloc(&tr, 5) == 0 && tr.n == 5 && tr.user && tr.item && tr.rating, "alloc");
    bookrec_triples_free(&tr);
    /* split_take: the same parts as split, made from the dataset's own arrays (left empty) */
    static const double fr[3] = {0.2, 0.0, 0.5};
    for (int f = 0; f < 3; f++) {
        bookrec_ratings *c = parse("user_id,book_id,rating\n1,1,1\n1,2,2\n2,1,3\n2,3,4\n3,3,5\n3,1,2\n4,2,1\n", NULL, &err);
        if (!c) break;
        CHECK(bookrec_split(c, fr[f], 7, &tr, &te, &err) == 0, "split: %s", err.msg);
        CHECK(bookrec_split_take(c, fr[f], 7, &tr2, &te2, &err) == 0, "split_take: %s", err.msg);
        CHECK(tr2.n == tr.n && te2.n == te.n && !memcmp(tr.user, tr2.user, tr.n * 4) && !memcmp(tr.item, tr2.item, tr.n * 4) &&
                  !memcmp(tr.rating, tr2.rating, tr.n * 4) && !memcmp(te.user, te2.user, te.n * 4) &&
                  !memcmp(te.item, te2.item, te.n * 4) && !memcmp(te.rating, te2.rating, te.n * 4),
              "split_take differs from split at fraction %g", fr[f]);
        CHECK(c->all.n == 0 && c->all.user == NULL, "split_take left the dataset's arrays");
        CHECK(bookrec_split_take(c, 0.2, 7, &tr3, &te3, &err) == BOOKREC_E_EMPTY, "split_take of a taken dataset");
        bookrec_triples_free(&tr); bookrec_triples_free(&te); bookrec_triples_free(&tr2); bookrec_triples_free(&te2);
        bookrec_ratings_free(c);
    }
    bookrec_ratings_free(r);
}

/* ------------------------------------------------------------------ fixtures */

/* The number after "key": inside the "expect" object of a fixture's small metadata file. */
static long json_num(const char *json, const char *key, double *real) {
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *e = json ? strstr(json, "\"expect\":") : NULL;
    const char *p = e ? strstr(e, k) : NULL;
    if (!p) return -1;
    double v = strtod(p + strlen(k), NULL);
    if (real) *real = v;
    return (long)v;
}

static void test_fixtures(void) {
    const char *root = getenv("BOOKREC_SOURCE_DIR");
    char path[1024];
    size_t len, jl;
    if (!root) root = "..";
    snprintf(path, sizeof path, "%s/tests/fixtures/goodbooks-mini/ratings.csv", root);
    char *csv = slurp(path, &len);
    snprintf(path, sizeof path, "%s/tests/fixtures/goodbooks-mini/genres.json", root);
    char *json = slurp(path, &jl);
    CHECK(csv && json, "fixture goodbooks-mini not found under %s (run node tools/gen-fixture.mjs)", root);
    if (csv && json) {
        bookrec_csv_options o = {0};
        o.source = "goodbooks-mini/ratings.csv";
        bookrec_ratings *r = NULL;
        bookrec_error err;
        int rc = bookrec_ratings_parse(csv, len, &o, &r, &err);
        CHECK(rc == 0, "goodbooks-mini: %s", err.msg);
        if (r) {
            CHECK((long)r->rows_read == json_num(json, "rows", NULL), "rows %zu", r->rows_read);
            CHECK((long)r->duplicates == json_num(json, "duplicates", NULL) && r->duplicates > 0, "dups %zu", r->duplicates);
            CHECK((long)r->conflicting == json_num(json, "conflicting", NULL) && r->conflicting > 0, "conf %zu", r->conflicting);
            CHECK(bookrec_ids_count(r->users) == json_num(json, "users", NULL), "users %d", bookrec_ids_count(r->users));
            CHECK(bookrec_ids_count(r->items) == json_num(json, "items", NULL), "items %d", bookrec_ids_count(r->items));
            CHECK(r->integral && r->min_rating == 1 && r->max_rating == 5, "scale");
            bookrec_ratings_free(r);
        }
    }
    free(csv);
    free(json);

    snprintf(path, sizeof path, "%s/tests/fixtures/catalogue/ratings.csv", root);
    csv = slurp(path, &len);
    snprintf(path, sizeof path, "%s/tests/fixtures/catalogue/fixture.json", root);
    json = slurp(path, &jl);
    CHECK(csv && json, "fixture catalogue not found");
    if (csv && json) {
        bookrec_csv_options o = {0};
        o.source = "catalogue/ratings.csv";
        bookrec_ratings *r = (bookrec_ratings *)1;
        bookrec_error err;
        /* zero config does not find its columns */
        int rc = bookrec_ratings_parse(csv, len, &o, &r, &err);
        CHECK(rc == BOOKREC_E_PARSE && strstr(err.msg, "catalogue/ratings.csv:1: missing column \"user_id\""), "%s", err.msg);
        o.user_col = "member";
        o.item_col = "item";
        o.rating_col = "score";
        rc = bookrec_ratings_parse(csv, len, &o, &r, &err);
        CHECK(rc == 0, "catalogue: %s", err.msg);
        if (rc == 0) {
            double lo = 0, hi = 0;
            json_num(json, "min_rating", &lo);
            json_num(json, "max_rating", &hi);
            CHECK((long)r->rows_read == json_num(json, "rows", NULL) && r->all.n == r->rows_read, "rows %zu", r->rows_read);
            CHECK(bookrec_ids_count(r->users) == json_num(json, "users", NULL), "users %d", bookrec_ids_count(r->users));
            CHECK(bookrec_ids_count(r->items) == json_num(json, "items", NULL), "items %d", bookrec_ids_count(r->items));
            CHECK(!r->integral && r->min_rating == (float)lo && r->max_rating == (float)hi && lo == 0.5, "scale %g..%g",
                  r->min_rating, r->max_rating);
            CHECK(strncmp(bookrec_ids_get(r->users, 0), "u-", 2) == 0 && strncmp(bookrec_ids_get(r->items, 0), "isbn-978", 8) == 0,
                  "string ids %s %s", bookrec_ids_get(r->users, 0), bookrec_ids_get(r->items, 0));
            bookrec_ratings_free(r);
        }
    }
    free(csv);
    free(json);
}

/* done_reading: the parser never reads buf[0..upto) again once told (the callback scribbles over it), says so every
   megabyte or so and finally with upto = len, and the dataset is the one parsed without the callback. */
typedef struct scribble { char *buf; size_t len, last; int calls, backwards; } scribble;
static void scribble_over(void *ctx, size_t upto) {
    scribble *s = ctx;
    s->calls++;
    if (upto < s->last || upto > s->len) s->backwards++;
    memset(s->buf, '#', upto);
    s->last = upto;
}

static void test_done_reading(void) {
    size_t cap = 4u << 20, len = 0;
    char *csv = malloc(cap), *buf = malloc(cap);
    if (!csv || !buf) { free(csv); free(buf); return; }
    len += (size_t)snprintf(csv, cap, "book_id,user_id,rating\n");
    br_rng g;
    br_rng_seed(&g, 5);
    for (int k = 0; len + 64 < cap - 64 && k < 240000; k++) /* about 3 MB, with repeated pairs */
        len += (size_t)snprintf(csv + len, cap - len, "%u,\"u%u\",%u\n", 1 + br_rng_below(&g, 500), br_rng_below(&g, 3000),
                                1 + br_rng_below(&g, 5));
    memcpy(buf, csv, len);
    bookrec_error err;
    bookrec_ratings *a = NULL, *b = NULL;
    CHECK(bookrec_ratings_parse(csv, len, NULL, &a, &err) == 0, "parse: %s", err.msg);
    scribble sc = {buf, len, 0, 0, 0};
    bookrec_csv_options o = {0};
    o.done_reading = scribble_over;
    o.done_reading_ctx = &sc;
    CHECK(bookrec_ratings_parse(buf, len, &o, &b, &err) == 0, "parse with done_reading: %s", err.msg);
    CHECK(sc.calls >= 3 && sc.last == len && !sc.backwards, "done_reading: %d calls, last %zu of %zu, %d backwards",
          sc.calls, sc.last, len, sc.backwards);
    if (a && b) {
        int same = a->all.n == b->all.n && a->duplicates == b->duplicates && a->duplicates > 0 &&
                   bookrec_ids_count(a->users) == bookrec_ids_count(b->users) &&
                   !memcmp(a->all.user, b->all.user, a->all.n * 4) && !memcmp(a->all.item, b->all.item, a->all.n * 4) &&
                   !memcmp(a->all.rating, b->all.rating, a->all.n * 4);
        for (int u = 0; same && u < bookrec_ids_count(a->users); u++)
            same = !strcmp(bookrec_ids_get(a->users, u), bookrec_ids_get(b->users, u));
        CHECK(same, "the dataset parsed with done_reading differs");
    }
    bookrec_ratings_free(a);
    bookrec_ratings_free(b);
    free(csv);
    free(buf);
}

/* The rating scale and the words of the messages: whole-number ratings outside 1..5 name how to set the scale
   (range_hint) and the data's span, or set the scale from the data with infer_range (scale_from_data says so,
   as it does for half stars); an item id is called by the caller's noun. */
static void test_scale_and_noun(void) {
    bookrec_error err;
    bookrec_csv_options o = {0};
    const char *ten = "book_id,user_id,rating\n1,2,3\n1,3,10\n2,3,1\n";
    parse_fails(ten, NULL, BOOKREC_E_PARSE,
                "ratings.csv:3: rating 10 is outside 1..5 (whole-number ratings are read on the 1..5 scale; this file's "
                "ratings span 1..10: set another scale with min_rating and max_rating)", 1);
    o.range_hint = "--min-rating/--max-rating";
    parse_fails(ten, &o, BOOKREC_E_PARSE, "span 1..10: set another scale with --min-rating/--max-rating)", 0);
    o.infer_range = 1;
    bookrec_ratings *r = parse(ten, &o, &err);
    if (r) {
        CHECK(r->min_rating == 1 && r->max_rating == 10 && r->scale_from_data && r->integral && r->all.n == 3,
              "inferred scale %g..%g (from data %d)", (double)r->min_rating, (double)r->max_rating, r->scale_from_data);
        bookrec_ratings_free(r);
    }
    r = parse("book_id,user_id,rating\n1,2,0\n1,3,4\n", &o, &err); /* 0..4 */
    if (r) {
        CHECK(r->min_rating == 0 && r->max_rating == 4 && r->scale_from_data, "0..4: %g..%g", (double)r->min_rating,
              (double)r->max_rating);
        bookrec_ratings_free(r);
    }
    /* whole numbers inside 1..5 stay on 1..5 even with infer_range; a given range is never inferred */
    r = parse("book_id,user_id,rating\n1,2,3\n1,3,4\n", &o, &err);
    if (r) {
        CHECK(r->min_rating == 1 && r->max_rating == 5 && !r->scale_from_data, "1..5: %g..%g", (double)r->min_rating,
              (double)r->max_rating);
        bookrec_ratings_free(r);
    }
    o.min_rating = 0;
    o.max_rating = 10;
    r = parse(ten, &o, &err);
    if (r) {
        CHECK(r->min_rating == 0 && r->max_rating == 10 && !r->scale_from_data, "given 0..10: %g..%g",
              (double)r->min_rating, (double)r->max_rating);
        bookrec_ratings_free(r);
    }
    memset(&o, 0, sizeof o);
    r = parse("book_id,user_id,rating\n1,2,3.5\n1,3,4\n", &o, &err); /* half stars: the data's range */
    if (r) {
        CHECK(r->min_rating == 3.5f && r->max_rating == 4 && r->scale_from_data, "half stars: %g..%g",
              (double)r->min_rating, (double)r->max_rating);
        bookrec_ratings_free(r);
    }
    /* nouns */
    parse_fails("book_id,user_id,rating\n1,2,3\nx,2,3\n", NULL, BOOKREC_E_PARSE, "ratings.csv:3: book id \"x\"", 0);
    o.item_col = "movieId";
    parse_fails("movieId,user_id,rating\n1,2,3\nx,2,3\n", &o, BOOKREC_E_PARSE, "ratings.csv:3: item id \"x\"", 0);
    o.noun = "movie";
    parse_fails("movieId,user_id,rating\n1,2,3\nx,2,3\n", &o, BOOKREC_E_PARSE,
                "ratings.csv:3: movie id \"x\" is not a whole number (this column's ids are numeric)", 1);
}

/* The public tokenizer (bookrec_csv_*): fields, columns, lines and whole-number fields with their messages. */
static void test_public_tokenizer(void) {
    static const char text[] = "\xEF\xBB\xBFtag_id, Tag_Name \r\n1,\"a, \"\"b\"\"\"\r\n\r\n 7 ,x\n2.5,y\n9\n";
    bookrec_csv *c = NULL;
    bookrec_error err;
    CHECK(bookrec_csv_create(text, sizeof text - 1, "tags.csv", &c, &err) == BOOKREC_OK && c, "create: %s", err.msg);
    if (!c) return;
    CHECK(bookrec_csv_next(c, &err) == 1 && bookrec_csv_count(c) == 2 && bookrec_csv_line(c) == 1, "header");
    CHECK(bookrec_csv_column(c, "tag_name") == 1 && bookrec_csv_column(c, "count") == -1, "columns");
    size_t len = 9;
    CHECK(bookrec_csv_field(c, 2, &len) == NULL && len == 0, "field out of range");
    long v = 0;
    CHECK(bookrec_csv_next(c, &err) == 1 && bookrec_csv_integer(c, 0, "tag_id", 0, 10, &v, &err) == 0 && v == 1,
          "first id %ld", v);
    const char *f = bookrec_csv_field(c, 1, &len);
    CHECK(f && len == 6 && !memcmp(f, "a, \"b\"", 6), "quoted field");
    CHECK(bookrec_csv_next(c, &err) == 1 && bookrec_csv_line(c) == 4 &&
              bookrec_csv_integer(c, 0, "tag_id", 0, 10, &v, &err) == 0 && v == 7, "trimmed id after a blank line");
    CHECK(bookrec_csv_integer(c, 0, "tag_id", 0, 5, &v, &err) == BOOKREC_E_PARSE &&
              !strcmp(err.msg, "tags.csv:4: tag_id must be an integer in 0..5, got \"7\""), "range: %s", err.msg);
    CHECK(bookrec_csv_next(c, &err) == 1 && bookrec_csv_integer(c, 0, "tag_id", 0, 10, &v, &err) == BOOKREC_E_PARSE &&
              !strcmp(err.msg, "tags.csv:5: tag_id must be an integer in 0..10, got \"2.5\""), "fraction: %s", err.msg);
    CHECK(bookrec_csv_next(c, &err) == 1 && bookrec_csv_integer(c, 1, "tag_name", 0, 10, &v, &err) == BOOKREC_E_PARSE &&
              !strcmp(err.msg, "tags.csv:6: missing tag_name"), "missing: %s", err.msg);
    CHECK(bookrec_csv_next(c, &err) == 0, "end");
    bookrec_csv_free(c);
    bookrec_csv_free(NULL);
    CHECK(bookrec_csv_create(NULL, 3, NULL, &c, &err) == BOOKREC_E_ARG && c == NULL, "NULL buffer: %s", err.msg);
}

int main(void) {
    test_tokenizer();
    test_public_tokenizer();
    test_ids();
    test_ratings_basic();
    test_duplicates();
    test_bad_rows();
    test_empty_and_header();
    test_split();
    test_fixtures();
    test_scale_and_noun();
    test_done_reading();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_csv: all checks passed\n");
    return 0;
}
