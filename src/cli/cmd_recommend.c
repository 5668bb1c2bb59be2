/*
 * cmd_recommend.c - `bookrec recommend` (top-k books for a dataset user, leaving out every book the user
 * rated anywhere in the ratings file, not only in the training part) and `bookrec similar` (nearest books
 * by cosine of the book embeddings). Ids on the command line and in the output are external ids, as in
 * the CSV; titles and authors come from the books file when it is there. Ranking is the core's.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct shown_book {
    const char *title, *authors;
} shown_book;

static shown_book book_of(const bookrec_items *books, const char *id) {
    shown_book s = {"", ""};
    if (!books || !id) return s;
    int j = bookrec_ids_find(books->ids, id, -1);
    if (j >= 0 && j < books->n) {
        s.title = books->item[j].title ? books->item[j].title : "";
        s.authors = books->item[j].authors ? books->item[j].authors : "";
    }
    return s;
}

static void print_list(const bookrec_model *m, const bookrec_items *books, const int32_t *idx, const float *score,
                       int n, const char *score_name) {
    const bookrec_ids *items = bookrec_model_items(m);
    char id_head[80];
    snprintf(id_head, sizeof id_head, "%s_id", cli_noun(0));
    printf("%3s  %8s  %6s  %s\n", "#", id_head, score_name, "title / authors");
    for (int k = 0; k < n; k++) {
        const char *id = bookrec_ids_get(items, idx[k]);
        char fallback[16];
        if (!id) {
            snprintf(fallback, sizeof fallback, "#%d", idx[k]);
            id = fallback;
        }
        shown_book b = book_of(books, id);
        if (*b.title)
            printf("%3d  %8s  %6.3f  %s%s%s\n", k + 1, id, (double)score[k], b.title, *b.authors ? " / " : "", b.authors);
        else
            printf("%3d  %8s  %6.3f  %s%s%s\n", k + 1, id, (double)score[k], books ? "(not in the " : "",
                   books ? cli_noun(1) : "", books ? " file)" : "");
    }
}

static int model_item(const bookrec_model *m, const char *id) {
    const bookrec_ids *items = bookrec_model_items(m);
    if (items) return bookrec_ids_find(items, id, -1);
    return -1;
}

int cmd_recommend(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *model_path = cli_default_model(), *user = NULL;
    int k = 10;
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"model", 'm', CLI_STR, &model_path, "FILE", "model file", "<project>/models/model.bkr"},
        {"user", 'u', CLI_STR, &user, "ID", "user id as in the ratings CSV (required)", "none"},
        {"k", 'k', CLI_INT, &k, "N", "how many books (items) to list", NULL},
    };
    cli_parse("recommend", "bookrec recommend --user ID [-k 10]", opts, (int)(sizeof opts / sizeof opts[0]), argc,
              argv);
    if (!user) cli_usage_die("recommend", "recommend: --user ID is required");
    if (k < 1 || k > 100000) cli_usage_die("recommend", "recommend: -k must be in 1..100000, got %d", k);
    cli_set_noun(&d);

    bookrec_model *m = cli_load_model(model_path);
    if (!bookrec_model_has_users(m))
        cli_die("%s: the model has no user part (an export's model-items.bkr?); use the full model file", model_path);
    const bookrec_ids *mu = bookrec_model_users(m);
    int u = mu ? bookrec_ids_find(mu, user, -1) : -1;
    if (u < 0) cli_die("user '%s' is not in the model (it knows %d users)", user, bookrec_ids_count(mu));

    /* every item the user rated in the data file */
    bookrec_ratings *r = cli_load_ratings(&d, NULL, NULL);
    int du = bookrec_ids_find(r->users, user, -1);
    int n_ex = 0;
    int32_t *ex = NULL;
    if (du >= 0) {
        size_t cnt = 0;
        for (size_t q = 0; q < r->all.n; q++)
            if (r->all.user[q] == du) cnt++;
        ex = malloc(sizeof(int32_t) * (cnt + 1));
        if (!ex) cli_die("out of memory");
        for (size_t q = 0; q < r->all.n; q++) {
            if (r->all.user[q] != du) continue;
            int j = model_item(m, bookrec_ids_get(r->items, r->all.item[q]));
            if (j >= 0) ex[n_ex++] = j;
        }
    } else {
        cli_warn("user '%s' has no ratings in %s; nothing to leave out", user, cli_ratings_path(&d));
    }
    bookrec_items *books = cli_load_books(&d);

    int32_t *idx = malloc(sizeof(int32_t) * (size_t)k);
    float *score = malloc(sizeof(float) * (size_t)k);
    if (!idx || !score) cli_die("out of memory");
    bookrec_error err = {0};
    int n = bookrec_model_recommend(m, u, ex, n_ex, k, idx, score, &err);
    if (n < 0) cli_check(err.code ? err.code : BOOKREC_E_ARG, &err, "recommend");
    printf("Top %d %s for user %s (who rated %d %s; those are left out)\n", n, cli_noun(1), user, n_ex,
           cli_noun(n_ex != 1));
    print_list(m, books, idx, score, n, "rating");
    free(idx);
    free(score);
    free(ex);
    bookrec_items_free(books);
    bookrec_ratings_free(r);
    bookrec_model_free(m);
    return 0;
}

int cmd_similar(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *model_path = cli_default_model(), *book = NULL;
    int k = 10;
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"model", 'm', CLI_STR, &model_path, "FILE", "model file", "<project>/models/model.bkr"},
        {"book", 'b', CLI_STR, &book, "ID", "book (item) id as in the ratings CSV (required)", "none"},
        {"item", 'i', CLI_STR, &book, "ID", "the same as --book, for catalogues of other things", "none"},
        {"k", 'k', CLI_INT, &k, "N", "how many books (items) to list", NULL},
    };
    cli_parse("similar", "bookrec similar --book ID [-k 10]", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    cli_set_noun(&d);
    if (!book) cli_usage_die("similar", "similar: --book ID (or --item ID) is required");
    if (k < 1 || k > 100000) cli_usage_die("similar", "similar: -k must be in 1..100000, got %d", k);

    bookrec_model *m = cli_load_model(model_path);
    int i = model_item(m, book);
    if (i < 0)
        cli_die("%s '%s' is not in the model (it knows %d %s)", cli_noun(0), book,
                bookrec_ids_count(bookrec_model_items(m)), cli_noun(1));
    bookrec_items *books = cli_load_books(&d);

    int32_t *idx = malloc(sizeof(int32_t) * (size_t)k);
    float *score = malloc(sizeof(float) * (size_t)k);
    if (!idx || !score) cli_die("out of memory");
    bookrec_error err = {0};
    int n = bookrec_model_similar(m, i, NULL, 0, k, idx, score, &err);
    if (n < 0) cli_check(err.code ? err.code : BOOKREC_E_ARG, &err, "similar");
    shown_book b = book_of(books, book);
    char head[80];
    snprintf(head, sizeof head, "%s", cli_noun(1));
    if (head[0] >= 'a' && head[0] <= 'z') head[0] = (char)(head[0] - 'a' + 'A');
    printf("%s most similar to %s%s%s%s (cosine of %s embeddings)\n", head, book, *b.title ? " (" : "", b.title,
           *b.title ? ")" : "", cli_noun(0));
    print_list(m, books, idx, score, n, "cosine");
    free(idx);
    free(score);
    bookrec_items_free(books);
    bookrec_model_free(m);
    return 0;
}
