/*
 * test_features.c - book features from buffers: book_tags.csv / tags.csv (src/tags.c) give per-book tag weights
 * (shelf names dropped, the tags on most books kept, each book's strongest, weights summing to 1) and each book's
 * strongest shelves (nothing dropped, a tag listed twice once); pair files (src/features.c) give the pairs of known
 * users and books (to_read.csv), or, strict and with the header optional as for predict, refuse an unknown id
 * naming it; the implicit sets never hold a user's test books. Bad rows are refused naming source and line. Also
 * the shelf-name test, the folding of tag names, the persona suite's tastes (src/tastes.c: a book carries a taste
 * among its strongest tags, seeds it when the taste holds half its strongest content tags' count, one book per
 * series), and the id maps that join a dataset to a model's tables (src/ids.c). Peeks at the model's implicit sets
 * through internal.h.
 */
#include "../src/internal.h"
#include "check.h"
#include <math.h>
#include <string.h>

static bookrec_ids *ids_of(const char *const *names, int n) {
    bookrec_ids *ids = bookrec_ids_create();
    for (int k = 0; k < n; k++) bookrec_ids_add(ids, names[k], -1);
    return ids;
}

static const char books_csv[] = "book_id,goodreads_book_id,title\n1,101,A\n2,102,B\n3,103,C\n";
static const char tags_csv[] = "tag_id,tag_name\r\n0,to-read\r\n1,fantasy\r\n2,\"mystery\"\r\n3,poetry\r\n";
/* book 1: to-read 50, fantasy 9, mystery 3; book 2: fantasy 4, fantasy again 2, poetry 1; book 3: to-read only;
   goodreads id 999 is no model book; a negative count is no evidence */
static const char book_tags_csv[] = "goodreads_book_id,tag_id,count\r\n101,0,50\r\n101,1,9\r\n101,2,3\r\n"
                                    "102,1,4\r\n102,1,2\r\n102,3,1\r\n103,0,7\r\n999,1,5\r\n102,2,-1\r\n";

static void test_tags(void) {
    bookrec_error err = {0};
    bookrec_items *books = NULL;
    CHECK(bookrec_items_parse(books_csv, strlen(books_csv), NULL, &books, &err) == BOOKREC_OK, "%s", err.msg);
    const char *const item_names[3] = {"3", "1", "2"}; /* the model's order differs from the books table's */
    bookrec_ids *items = ids_of(item_names, 3);
    bookrec_tag_files f = {book_tags_csv, strlen(book_tags_csv), "book_tags.csv", tags_csv, strlen(tags_csv),
                           "tags.csv", books, items};
    bookrec_tag_weights *tw = NULL;
    CHECK(bookrec_tag_weights_create(&f, 2, 20, &tw, &err) == BOOKREC_OK, "%s", err.msg);
    if (tw) {
        CHECK(tw->n_tags == 2 && tw->dropped == 1 && !strcmp(tw->dropped_list, "to-read"), "%d %d %s", tw->n_tags,
              tw->dropped, tw->dropped_list);
        CHECK(tw->rows == 9 && tw->books_with_tags == 2);
        CHECK(tw->off[1] == 0, "item 0 (book 3) has only to-read");
        CHECK(tw->off[2] - tw->off[1] == 2 && tw->idx[0] == 0 && tw->idx[1] == 1, "book 1: fantasy, then mystery");
        CHECK(fabsf(tw->w[0] - (float)(log1p(9) / (log1p(9) + log1p(3)))) < 1e-6f);
        double sum = 0;
        for (int k = tw->off[2]; k < tw->off[3]; k++) sum += tw->w[k];
        CHECK(tw->off[3] - tw->off[2] == 2 && fabs(sum - 1) < 1e-6, "book 2: fantasy twice (poetry not kept)");
    }
    bookrec_tag_weights_free(tw);

    bookrec_shelves *sh = NULL;
    CHECK(bookrec_shelves_create(&f, 2, &sh, &err) == BOOKREC_OK, "%s", err.msg);
    if (sh) {
        CHECK(sh->off[1] - sh->off[0] == 1 && sh->tag[0] == 0 && sh->count[0] == 7, "book 3: to-read kept");
        CHECK(sh->tag[sh->off[1]] == 0 && sh->tag[sh->off[1] + 1] == 1, "book 1: to-read, fantasy (2 per book)");
        CHECK(sh->off[3] - sh->off[2] == 2 && sh->tag[sh->off[2]] == 1 && sh->tag[sh->off[2] + 1] == 3,
              "book 2: fantasy once, then poetry");
        CHECK(bookrec_shelves_find(sh, "mystery") == 2 && bookrec_shelves_find(sh, "nope") == -1);
    }
    bookrec_shelves_free(sh);

    static const char bad[] = "goodreads_book_id,tag_id,count\n101,1,9\n101,x,3\n";
    f.book_tags = bad;
    f.book_tags_len = strlen(bad);
    CHECK(bookrec_shelves_create(&f, 2, &sh, &err) == BOOKREC_E_PARSE && strstr(err.msg, "book_tags.csv:3:"), "%s",
          err.msg);
    static const char nocol[] = "goodreads_book_id,tag\n101,1\n";
    f.book_tags = nocol;
    f.book_tags_len = strlen(nocol);
    CHECK(bookrec_tag_weights_create(&f, 2, 20, &tw, &err) == BOOKREC_E_PARSE && strstr(err.msg, "no column tag_id"),
          "%s", err.msg);
    bookrec_ids_free(items);
    bookrec_items_free(books);
}

static void test_names(void) {
    CHECK(bookrec_tag_is_shelf("to-read") && bookrec_tag_is_shelf("my-kindle-books") && bookrec_tag_is_shelf("2015"));
    CHECK(!bookrec_tag_is_shelf("fantasy") && !bookrec_tag_is_shelf("science-fiction"));
    char out[32];
    bookrec_tag_fold("Cl\xc3\xa0ssics", out, sizeof out);
    CHECK(!strcmp(out, "classic"), "%s", out);
    bookrec_tag_fold("mysteries", out, sizeof out);
    CHECK(!strcmp(out, "mystery"), "%s", out);
    bookrec_tag_fold("sci-fi", out, sizeof out);
    CHECK(!strcmp(out, "scifi"), "%s", out);
}

static void test_implicit(void) {
    bookrec_error err = {0};
    const char *const un[2] = {"u1", "u2"}, *const in[4] = {"b1", "b2", "b3", "b4"};
    bookrec_ids *users = ids_of(un, 2), *items = ids_of(in, 4);
    static const char tr[] = "\xef\xbb\xbf" "book_id,user_id,extra\r\nb3, u1 ,x\r\nb4,u1,y\r\nb2,u2,z\r\nb9,u1,w\r\n";
    bookrec_pairs *p = NULL;
    CHECK(bookrec_pairs_parse(tr, strlen(tr), "to_read.csv", users, items, NULL, &p, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(p && p->rows == 4 && p->n == 3, "b9 is unknown");
    CHECK(p && p->user[0] == 0 && p->item[0] == 2, "spaces trimmed, columns by name");

    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = BOOKREC_ARCH_MF;
    cfg.implicit = 1;
    cfg.n_users = 2;
    cfg.n_items = 4;
    bookrec_model *m = NULL;
    CHECK(bookrec_model_create(&cfg, &m, &err) == BOOKREC_OK, "%s", err.msg);
    /* u1 rated b1 in fit and b3 in test (b3 is also on its to-read list); u2 rated b2 in fit */
    int32_t fu[2] = {0, 1}, fi[2] = {0, 1}, tu[1] = {0}, ti[1] = {2};
    float fr[2] = {4, 5}, trr[1] = {3};
    bookrec_triples fit = {fu, fi, fr, 2}, test = {tu, ti, trr, 1};
    size_t added = 99;
    CHECK(bookrec_model_set_implicit_sets(m, &fit, &test, p, &added, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(added == 1, "only b4 is added (b3 is u1's test book, b2 is rated by u2 already): %zu", added);
    if (m && m->imp_off) {
        CHECK(m->imp_off[1] == 2 && m->imp_items[0] == 0 && m->imp_items[1] == 3, "u1: b1, b4");
        CHECK(m->imp_off[2] == 3 && m->imp_items[2] == 1, "u2: b2 once");
        for (int k = 0; k < m->imp_off[2]; k++) CHECK(!(k < m->imp_off[1] && m->imp_items[k] == 2), "no test book");
    }
    CHECK(bookrec_model_set_implicit_sets(m, &fit, NULL, p, &added, &err) == BOOKREC_OK && added == 2,
          "without a test part b3 enters too");
    bookrec_model_free(m);
    bookrec_pairs_free(p);

    static const char bad[] = "user_id,book_id\nu1,b1\nu2,\n";
    CHECK(bookrec_pairs_parse(bad, strlen(bad), "tr.csv", users, items, NULL, &p, &err) == BOOKREC_E_PARSE &&
          strstr(err.msg, "tr.csv:3:"), "%s", err.msg);
    static const char nohead[] = "user,book_id\nu1,b1\n";
    CHECK(bookrec_pairs_parse(nohead, strlen(nohead), "tr.csv", users, items, NULL, &p, &err) == BOOKREC_E_PARSE &&
          strstr(err.msg, "user_id and book_id"), "%s", err.msg);
    static const char plain[] = "u2,b1\n\"u1\", b4\n";
    bookrec_pairs_options strict = {1, 1, "movie"};
    CHECK(bookrec_pairs_parse(plain, strlen(plain), "p.csv", users, items, &strict, &p, &err) == BOOKREC_OK &&
          p->n == 2 && !p->header && p->user[0] == 1 && p->item[1] == 3, "header optional: user,book");
    bookrec_pairs_free(p);
    static const char unknown[] = "user_id,book_id\nu1,b1\nu1,b9\n";
    CHECK(bookrec_pairs_parse(unknown, strlen(unknown), "p.csv", users, items, &strict, &p, &err) == BOOKREC_E_ARG &&
          strstr(err.msg, "p.csv:3: unknown movie id 'b9'"), "%s", err.msg);
    bookrec_ids_free(users);
    bookrec_ids_free(items);
}

static void test_tastes(void) {
    bookrec_error err = {0};
    /* tags: 0 to-read, 1 Fantasy, 2 epic-fantasy, 3 romance, 4 fiction */
    char *names[5] = {"to-read", "Fantasy", "epic-fantasy", "romance", "fiction"};
    /* book 0: to-read 90, fiction 50, romance 12, fantasy 10 (fantasy holds less than half of 22: no seed);
       books 1 and 2: fantasy 30, epic-fantasy 20, romance 5, same series; book 3: romance 40, fantasy 2 */
    int32_t off[5] = {0, 4, 7, 10, 12};
    int32_t tag[12] = {0, 4, 3, 1, 1, 2, 3, 1, 2, 3, 3, 1};
    int32_t count[12] = {90, 50, 12, 10, 30, 20, 5, 30, 20, 5, 40, 2};
    bookrec_shelves sh = {4, off, tag, count, names, 5, 12, 4};
    char e1[] = "fantasy=fantasy/epic-fantasy", e2[] = "romance", e3[] = "nope", e4[] = "=x";
    bookrec_taste ts[3];
    CHECK(bookrec_taste_parse(e1, &ts[0], &err) == BOOKREC_OK && ts[0].n_fold == 2, "%s", err.msg);
    CHECK(bookrec_taste_parse(e2, &ts[1], &err) == BOOKREC_OK && !strcmp(ts[1].fold[0], "romance"), "built-in");
    CHECK(bookrec_taste_parse(e4, &ts[2], &err) == BOOKREC_E_ARG && strstr(err.msg, "no name"), "%s", err.msg);
    const char *titles[4] = {"A", "The One (Saga, #1)", "The Two (Saga, #2)", "B"};
    float pop[4] = {100, 50, 60, 10};
    unsigned char seed[3 * 4], carry[3 * 4]; /* the last call names 3 tastes */
    CHECK(bookrec_tastes_books(&sh, ts, 2, titles, pop, seed, carry, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(carry[0] && carry[1] && carry[2] && carry[3], "every book has a fantasy shelf");
    CHECK(!seed[0] && !seed[1] && seed[2] && !seed[3], "fantasy seeds: book 2 (book 1 is the same saga, fewer ratings)");
    CHECK(ts[0].n_tags == 2 && ts[1].n_tags == 1);
    CHECK(seed[4 + 0] && !seed[4 + 1] && !seed[4 + 2] && seed[4 + 3], "romance seeds books 0 and 3");
    CHECK(bookrec_taste_parse(e3, &ts[2], &err) == BOOKREC_OK);
    CHECK(bookrec_tastes_books(&sh, ts, 3, titles, pop, seed, carry, &err) == BOOKREC_E_ARG &&
          strstr(err.msg, "no tag named 'nope'"), "%s", err.msg);
}

static void test_mapping(void) {
    bookrec_error err = {0};
    const char *const a[3] = {"x", "y", "z"}, *const b[2] = {"z", "x"};
    bookrec_ids *from = ids_of(a, 3), *to = ids_of(b, 2);
    int32_t *um = NULL, *im = NULL;
    int same = 1;
    CHECK(bookrec_ids_map(from, to, 2, &im, &same, &err) == BOOKREC_OK && !same, "%s", err.msg);
    CHECK(im && im[0] == 1 && im[1] == -1 && im[2] == 0);
    CHECK(bookrec_ids_map(from, NULL, 2, &um, &same, &err) == BOOKREC_OK && !same && um[1] == 1 && um[2] == -1);
    int32_t tu[3] = {0, 1, 1}, ti[3] = {2, 0, 1};
    float tr[3] = {1, 2, 3};
    bookrec_triples t = {tu, ti, tr, 3}, out = {0};
    size_t dropped = 0;
    CHECK(bookrec_triples_map(&t, um, im, &out, &dropped, &err) == BOOKREC_OK && out.n == 2 && dropped == 1);
    CHECK(out.item[0] == 0 && out.item[1] == 1 && out.user[1] == 1 && out.rating[1] == 2.0f);
    bookrec_triples_free(&out);
    bookrec_free(um);
    bookrec_free(im);
    bookrec_ids_free(from);
    bookrec_ids_free(to);
}

int main(void) {
    test_mapping();
    test_tastes();
    test_tags();
    test_names();
    test_implicit();
    if (!failures) printf("test_features: ok\n");
    return failures != 0;
}
