/*
 * test_genres.c - the site's genre shelves from buffers of book_tags.csv and tags.csv (src/genres.c): shelf names and
 * generic labels left out, spelling variants and synonyms folded into one shelf named by its most used spelling,
 * the vocabulary ordered by how many books carry a shelf, each book's genres strongest first and capped, and bad
 * arguments refused.
 */
#include "bookrec.h"
#include "check.h"
#include <string.h>

static const char books_csv[] = "book_id,goodreads_book_id,title\n1,101,A\n2,102,B\n3,103,C\n4,104,D\n";
static const char tags_csv[] = "tag_id,tag_name\n0,to-read\n1,classics\n2,Classic\n3,ya\n4,young-adult\n5,fiction\n"
                               "6,poetry\n7,fantasy\n";
/* 101: to-read, classics 9, ya 5, fiction 4, poetry 1; 102: Classic 20, young-adult 3, fantasy 2;
   103: young-adult 7, fantasy 1; 104: to-read only */
static const char book_tags_csv[] = "goodreads_book_id,tag_id,count\n101,0,50\n101,1,9\n101,3,5\n101,5,4\n101,6,1\n"
                                    "102,2,20\n102,4,3\n102,7,2\n103,4,7\n103,7,1\n104,0,8\n";

int main(void) {
    bookrec_error err = {0};
    bookrec_items *books = NULL;
    CHECK(bookrec_items_parse(books_csv, strlen(books_csv), NULL, &books, &err) == BOOKREC_OK, "%s", err.msg);
    bookrec_ids *items = bookrec_ids_create();
    const char *const ids[4] = {"1", "2", "3", "4"};
    for (int k = 0; k < 4; k++) bookrec_ids_add(items, ids[k], -1);
    bookrec_tag_files f = {book_tags_csv, strlen(book_tags_csv), "book_tags.csv", tags_csv, strlen(tags_csv),
                           "tags.csv", books, items};
    bookrec_genres *g = NULL;
    CHECK(bookrec_genres_create(&f, 3, 2, &g, &err) == BOOKREC_OK && g, "%s", err.msg);
    if (g) {
        /* young-adult on 3 books (ya folded in, its spelling the most counted), Classic and fantasy on 2 each (by
           key: classic before fantasy), poetry on 1 left out of a vocabulary of 3; fiction and to-read never */
        CHECK(g->n_names == 3 && g->n_items == 4, "%d names", g->n_names);
        CHECK(g->n_names == 3 && !strcmp(g->name[0], "young-adult") && !strcmp(g->name[1], "Classic") &&
              !strcmp(g->name[2], "fantasy"), "%s %s %s", g->name[0], g->name[1], g->name[2]);
        CHECK(g->off[1] - g->off[0] == 2 && g->idx[0] == 1 && g->idx[1] == 0, "book 1: Classic, young-adult");
        CHECK(g->off[2] - g->off[1] == 2 && g->idx[2] == 1 && g->idx[3] == 0, "book 2: Classic, young-adult (capped)");
        CHECK(g->off[3] - g->off[2] == 2 && g->idx[4] == 0 && g->idx[5] == 2, "book 3: young-adult, fantasy");
        CHECK(g->off[4] == g->off[3] && g->books_with == 3, "book 4 (to-read only) has none");
    }
    bookrec_genres_free(g);
    g = NULL;
    CHECK(bookrec_genres_create(&f, 10, 5, &g, &err) == BOOKREC_OK && g && g->n_names == 4 &&
          !strcmp(g->name[3], "poetry") && g->off[1] == 3, "the whole vocabulary: 4 names, book 1 gets poetry too");
    bookrec_genres_free(g);
    g = NULL;
    CHECK(bookrec_genres_create(&f, 0, 3, &g, &err) == BOOKREC_E_ARG && !g, "max_names 0 is refused");
    static const char bad[] = "goodreads_book_id,tag_id,count\n101,1,x\n";
    f.book_tags = bad;
    f.book_tags_len = strlen(bad);
    CHECK(bookrec_genres_create(&f, 3, 2, &g, &err) == BOOKREC_E_PARSE && strstr(err.msg, "book_tags.csv:2:"), "%s",
          err.msg);
    bookrec_genres_free(NULL);
    bookrec_ids_free(items);
    bookrec_items_free(books);
    if (!failures) printf("test_genres: ok\n");
    return failures != 0;
}
