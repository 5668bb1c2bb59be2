/*
 * test_goodreads.c - the Goodreads library export parser and matcher (src/goodreads.c) on rows of every kind,
 * written here as Goodreads writes them: a BOM, CRLF, columns in another order, quoted commas, quotes and line
 * breaks, `="..."` ISBNs, a row matched by its Goodreads id, by best_book_id, by ISBN-10 (leading zero lost in
 * books.csv), by ISBN-13 only (derived from the catalogue's ISBN-10, or its float isbn13 that lost a digit),
 * other editions matched by title and author (a subtitle, an edition bracket, the original title with and
 * without diacritics), to-read (from Exclusive Shelf or Bookshelves), rating 0, an unknown book, an empty row;
 * and the errors: a bad rating and a file that is not an export, with FILE:LINE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bookrec.h"
#include "check.h"

static const char *const BOOKS =
    "book_id,goodreads_book_id,best_book_id,isbn,isbn13,authors,original_title,title\n"
    "1,2767052,2767052,439023483,9.78043902348e+12,Suzanne Collins,The Hunger Games,\"The Hunger Games (The Hunger Games, #1)\"\n"
    "2,3,3,439554934,9.78043955493e+12,\"J.K. Rowling, Mary GrandPr\xC3\xA9\",Harry Potter and the Philosopher's Stone,"
    "\"Harry Potter and the Sorcerer's Stone (Harry Potter, #1)\"\n"
    "3,41865,41865,316015849,9.78031601584e+12,Stephenie Meyer,Twilight,\"Twilight (Twilight, #1)\"\n"
    "4,2657,2657,61120081,9.78006112008e+12,Harper Lee,To Kill a Mockingbird,To Kill a Mockingbird\n"
    "5,4671,4671,743273567,9.78074327356e+12,F. Scott Fitzgerald,The Great Gatsby,The Great Gatsby\n"
    "6,11870085,11870085,525478817,9.78052547881e+12,John Green,The Fault in Our Stars,The Fault in Our Stars\n"
    "7,320,320,,9.78000000012e+12,Gabriel Garc\xC3\xAD" "a M\xC3\xA1rquez,Cien a\xC3\xB1os de soledad,One Hundred Years of Solitude\n"
    "8,500,501,,,Jane Austen,,Pride and Prejudice\n";

/* Columns in another order than Goodreads writes them (the parser goes by name), CRLF, a BOM. */
static const char *const EXPORT =
    "\xEF\xBB\xBF" "Title,Author,Author l-f,Book Id,ISBN,ISBN13,My Rating,Exclusive Shelf,Bookshelves,My Review\r\n"
    /* line 2: by Goodreads id; quoted commas */
    "\"The Hunger Games (The Hunger Games, #1)\",Suzanne Collins,\"Collins, Suzanne\",2767052,\"=\"\"0439023483\"\"\",\"=\"\"\"\"\",5,read,,\r\n"
    /* line 3: by best_book_id */
    "Pride and Prejudice,Jane Austen,\"Austen, Jane\",501,\"=\"\"\"\"\",\"=\"\"\"\"\",4,read,,\r\n"
    /* line 4: another id, the ISBN-10 with its leading zero; to-read, not rated */
    "Harry Potter and the Sorcerer's Stone,J.K. Rowling,\"Rowling, J.K.\",999,\"=\"\"0439554934\"\"\",,0,to-read,to-read,\r\n"
    /* line 5: another id, only an ISBN-13 */
    "Twilight,Stephenie Meyer,\"Meyer, Stephenie\",888,\"=\"\"\"\"\",\"=\"\"9780316015844\"\"\",3,read,,\r\n"
    /* line 6: only an ISBN-13 that meets books.csv's float isbn13 */
    "Solitude,Nobody,\"Nobody, A\",887,,\"=\"\"9780000000124\"\"\",2,read,,\r\n"
    /* line 7: another edition (subtitle); a review with a line break, commas and quotes (ends on line 8) */
    "The Great Gatsby: A Novel,F. Scott Fitzgerald,\"Fitzgerald, F. Scott\",77777777,\"=\"\"\"\"\",\"=\"\"9791234567896\"\"\",5,read,,"
    "\"Loved it, \"\"truly\"\".\r\nRead twice.\"\r\n"
    /* line 9: the original title without diacritics, the author only in Author l-f */
    "Cien Anos de Soledad,,\"Garcia Marquez, Gabriel\",77777778,,,4,read,,\r\n"
    /* line 10: an edition bracket, upper case */
    "THE FAULT IN OUR STARS (Anniversary Edition),John Green,\"Green, John\",77777779,,,1,read,,\r\n"
    /* line 11: not in the catalogue */
    "A Book Nobody Wrote,Nobody,\"Nobody, A\",66666666,\"=\"\"1234567890\"\"\",,5,read,,\r\n"
    /* line 12: currently reading, rating 0 */
    "To Kill a Mockingbird,Harper Lee,\"Lee, Harper\",2657,,,0,currently-reading,currently-reading,\r\n"
    /* line 13: neither title nor id: left out */
    ",,,,,,,,,\r\n"
    /* line 14: no Exclusive Shelf, to-read among the shelves */
    "Unknown Thing,Someone,\"Someone, X\",55555555,,,,,\"favourites, To-Read\",\r\n";

static void test_parse_and_match(void) {
    bookrec_items *items = NULL;
    bookrec_goodreads *g = NULL;
    bookrec_gr_matcher *m = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_items_parse(BOOKS, strlen(BOOKS), NULL, &items, &err) == 0, "books: %s", err.msg);
    CHECK(bookrec_goodreads_parse(EXPORT, strlen(EXPORT), "export.csv", &g, &err) == 0, "export: %s", err.msg);
    if (!items || !g) goto done;
    CHECK(bookrec_gr_matcher_create(items, &m, &err) == 0, "matcher: %s", err.msg);
    if (!m) goto done;
    CHECK(g->n == 11 && g->skipped == 1, "rows %d, skipped %d", g->n, g->skipped);
    if (g->n != 11) goto done;
    static const struct {
        long line;
        const char *book; /* NULL: no match */
        bookrec_gr_how how;
        int rating;
        const char *shelf;
    } want[11] = {
        {2, "1", BOOKREC_GR_ID, 5, "read"},         {3, "8", BOOKREC_GR_ID, 4, "read"},
        {4, "2", BOOKREC_GR_ISBN, 0, "to-read"},    {5, "3", BOOKREC_GR_ISBN, 3, "read"},
        {6, "7", BOOKREC_GR_ISBN, 2, "read"},       {7, "5", BOOKREC_GR_TITLE, 5, "read"},
        {9, "7", BOOKREC_GR_TITLE, 4, "read"},      {10, "6", BOOKREC_GR_TITLE, 1, "read"},
        {11, NULL, BOOKREC_GR_NONE, 5, "read"},     {12, "4", BOOKREC_GR_ID, 0, "currently-reading"},
        {14, NULL, BOOKREC_GR_NONE, 0, "to-read"},
    };
    for (int r = 0; r < 11; r++) {
        const bookrec_gr_row *row = &g->row[r];
        bookrec_gr_how how;
        int i = bookrec_gr_match(m, row, &how);
        const char *got = i >= 0 ? items->item[i].id : NULL;
        CHECK(row->line == want[r].line, "row %d: line %ld, expected %ld", r, row->line, want[r].line);
        CHECK((got == NULL) == (want[r].book == NULL) && (!got || !strcmp(got, want[r].book)) && how == want[r].how,
              "line %ld (%s): book %s by %d, expected %s by %d", row->line, row->title, got ? got : "none", (int)how,
              want[r].book ? want[r].book : "none", (int)want[r].how);
        CHECK(row->rating == want[r].rating && !strcmp(row->shelf, want[r].shelf), "line %ld: rating %d shelf %s",
              row->line, row->rating, row->shelf);
    }
    /* the fields as read */
    CHECK(!strcmp(g->row[0].title, "The Hunger Games (The Hunger Games, #1)") && !strcmp(g->row[0].book_id, "2767052") &&
              !strcmp(g->row[0].isbn13[0], "9780439023481") && !g->row[0].isbn13[1][0],
          "row 2 fields: %s %s %s", g->row[0].title, g->row[0].book_id, g->row[0].isbn13[0]);
    CHECK(!strcmp(g->row[2].isbn13[0], "9780439554930"), "ISBN-10 as ISBN-13: %s", g->row[2].isbn13[0]);
    CHECK(!strcmp(g->row[5].isbn13[0], "9791234567896") && !strcmp(g->row[6].author_lf, "Garcia Marquez, Gabriel") &&
              !g->row[6].author[0],
          "row 7/9 fields");
    bookrec_gr_how how;
    CHECK(bookrec_gr_match(m, NULL, &how) == -1 && how == BOOKREC_GR_NONE, "NULL row");
done:
    bookrec_gr_matcher_free(m);
    bookrec_goodreads_free(g);
    bookrec_items_free(items);
}

static void fails(const char *csv, int code, const char *msg) {
    bookrec_goodreads *g = (bookrec_goodreads *)1;
    bookrec_error err = {0};
    int rc = bookrec_goodreads_parse(csv, strlen(csv), "lib.csv", &g, &err);
    CHECK(rc == code && g == NULL, "expected %d, got %d (%s)", code, rc, err.msg);
    CHECK(strncmp(err.msg, msg, strlen(msg)) == 0, "message \"%s\", expected \"%s...\"", err.msg, msg);
    if (rc == 0) bookrec_goodreads_free(g);
}

static void test_errors(void) {
    fails("Book Id,Title,My Rating\n1,A,5\n2,B,6\n", BOOKREC_E_PARSE,
          "lib.csv:3: My Rating must be a whole number 0..5 (0: not rated), got \"6\"");
    fails("Book Id,Title,My Rating\n1,A,\"four\nstars\"\n", BOOKREC_E_PARSE, "lib.csv:2: My Rating must be a whole number");
    fails("Book Id,Title,My Rating\n1,A,4.5\n", BOOKREC_E_PARSE, "lib.csv:2: My Rating");
    fails("book_id,user_id,rating\n1,2,3\n", BOOKREC_E_PARSE,
          "lib.csv:1: not a Goodreads library export: no 'Book Id' or 'Title' column");
    fails("Book Id,Author\n1,A\n", BOOKREC_E_PARSE, "lib.csv:1: not a Goodreads library export");
    fails("", BOOKREC_E_EMPTY, "lib.csv: the file is empty");
    fails("Title,Book Id\n\"unterminated,1\n", BOOKREC_E_PARSE, "lib.csv:2:");
    /* a header only, missing optional columns, short rows: fine */
    bookrec_goodreads *g = NULL;
    bookrec_error err = {0};
    const char *ok = "Title\nA Book\n";
    CHECK(bookrec_goodreads_parse(ok, strlen(ok), NULL, &g, &err) == BOOKREC_E_PARSE, "Title alone is not enough");
    ok = "Title,ISBN13,My Rating\nA Book\n\"B, the book\",=\"9780439023481\",2.0\n";
    CHECK(bookrec_goodreads_parse(ok, strlen(ok), NULL, &g, &err) == 0 && g && g->n == 2 && g->row[1].rating == 2 &&
              !strcmp(g->row[1].isbn13[0], "9780439023481") && !g->row[0].book_id[0] && !strcmp(g->row[0].shelf, "read"),
          "short rows: %s", err.msg);
    bookrec_goodreads_free(g);
    CHECK(bookrec_goodreads_parse(NULL, 3, NULL, &g, &err) == BOOKREC_E_ARG, "NULL buffer");
    bookrec_gr_matcher *m = NULL;
    CHECK(bookrec_gr_matcher_create(NULL, &m, &err) == BOOKREC_E_ARG && m == NULL, "NULL items");
}

int main(void) {
    test_parse_and_match();
    test_errors();
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}
