/*
 * cmd_recommend.c - `bookrec recommend` (top-k books for a dataset user, leaving out every book the user
 * rated anywhere in the ratings file, not only in the training part; or for a new reader given with --rate or
 * --rated, folded in exactly as the site does, or given as a Goodreads library export with --goodreads, matched to
 * the books file by the core as the site matches it; top-N models show a match percentage and, with --explain, the
 * rated books behind each book) and `bookrec similar` (nearest books by cosine of the book embeddings, or by
 * EASE's weights). Ids on the command line and in the output are external ids, as in
 * the CSV; titles and authors come from the books file when it is there. Ranking is the core's, and so are the
 * dataset reader's rated books, the --rated CSV and the Goodreads reader (src/dataset.c, src/goodreads.c).
 */
#include "cli.h"

#include <math.h>
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

/* Parses "ID:RATING,ID:RATING" (--rate) into the reader's pairs. */
static int parse_rate(const bookrec_model *m, const char *txt, int32_t *items, float *ratings, int cap) {
    int n = 0;
    const char *p = txt;
    while (*p) {
        const char *colon = strchr(p, ':'), *comma = strchr(p, ',');
        if (!comma) comma = p + strlen(p);
        if (!colon || colon > comma)
            cli_usage_die("recommend", "--rate: '%.*s' is not ID:RATING (e.g. --rate 1:5,27:4)", (int)(comma - p), p);
        char id[128];
        size_t il = (size_t)(colon - p);
        if (il == 0 || il >= sizeof id) cli_usage_die("recommend", "--rate: empty or too long book id in '%s'", txt);
        memcpy(id, p, il);
        id[il] = '\0';
        char *end;
        double v = strtod(colon + 1, &end);
        if (end != comma || end == colon + 1)
            cli_usage_die("recommend", "--rate: rating of book %s is not a number: '%.*s'", id, (int)(comma - colon - 1),
                          colon + 1);
        int j = model_item(m, id);
        if (j < 0) cli_die("--rate: book '%s' is not in the model", id);
        if (n == cap) cli_usage_die("recommend", "--rate: more than %d books", cap);
        items[n] = j;
        ratings[n++] = (float)v;
        p = *comma ? comma + 1 : comma;
    }
    return n;
}

/* --rated: a book the model does not know is left out with a warning. */
static void warn_unknown(void *ctx, long line, const char *id) {
    cli_warn("%s:%ld: book '%s' is not in the model; left out", (const char *)ctx, line, id);
}

/* Reads a CSV of book_id,rating (bookrec_reader_parse) into the reader's pairs; errors name FILE:LINE. */
static int read_rated(const bookrec_model *m, const char *path, int32_t **items, float **ratings) {
    size_t len = 0;
    char *buf = cli_read_file_or_die(path, &len);
    bookrec_error err = {0};
    int n = 0;
    cli_check(bookrec_reader_parse(buf, len, path, bookrec_model_items(m), warn_unknown, (void *)path, items, ratings, &n, &err), &err,
              NULL);
    free(buf);
    return n;
}

/* Reads, parses and matches the export at path against the books file, prints "matched N of M" and the
   unmatched books (with `list`, every match too); the reader's books are the model's. */
static bookrec_gr_reader *read_goodreads(const bookrec_model *m, const bookrec_items *books, const char *path,
                                         int list) {
    if (!books) cli_die("--goodreads needs the books file (books.csv with goodreads_book_id and isbn) to match against");
    size_t len = 0;
    char *buf = cli_read_file_or_die(path, &len);
    bookrec_goodreads *gr = NULL;
    bookrec_gr_reader *g = NULL;
    bookrec_error err = {0};
    cli_check(bookrec_goodreads_parse(buf, len, path, &gr, &err), &err, NULL);
    free(buf);
    cli_check(bookrec_gr_reader_create(gr, books, bookrec_model_items(m), &g, &err), &err, NULL);
    int n = gr->n;
    printf("Goodreads library %s: matched %d of %d books (%d by Goodreads id, %d by ISBN, %d by title and author)\n",
           path, g->matched, n, g->by[BOOKREC_GR_ID], g->by[BOOKREC_GR_ISBN], g->by[BOOKREC_GR_TITLE]);
    if (g->matched < n) printf("Not in the catalogue (%d):\n", n - g->matched);
    for (int r = 0; r < n; r++)
        if (g->at[r] < 0) printf("  line %ld: %s%s%s\n", gr->row[r].line, gr->row[r].title,
                                 *gr->row[r].author ? " / " : "", gr->row[r].author);
    static const char *const how_name[] = {"", "id", "isbn", "title"};
    for (int r = 0; list && r < n; r++)
        if (g->at[r] >= 0) printf("  matched line %ld: book %s by %s: %s\n", gr->row[r].line, books->item[g->at[r]].id,
                                  how_name[g->how[r] & 3], books->item[g->at[r]].title);
    if (g->not_in_model) printf("(%d matched %s not in the model: neither folded in nor left out)\n", g->not_in_model,
                                g->not_in_model == 1 ? "book is" : "books are");
    bookrec_goodreads_free(gr);
    return g;
}

/* Prints a top-N list with match percentages and, with `explain`, the rated books behind each one. */
static void print_topn(bookrec_model *m, const bookrec_items *books, const float *state, const int32_t *idx,
                       const float *score, int n, int explain) {
    const bookrec_ids *items = bookrec_model_items(m);
    int cal = !isnan(bookrec_model_match(m, 0.0f));
    printf("%3s  %8s  %6s  %s\n", "#", "book_id", cal ? "match" : "score", "title / authors");
    for (int k = 0; k < n; k++) {
        const char *id = bookrec_ids_get(items, idx[k]);
        shown_book b = book_of(books, id);
        if (cal) printf("%3d  %8s  %5.0f%%  %s / %s\n", k + 1, id, 100.0 * bookrec_model_match(m, score[k]), b.title, b.authors);
        else printf("%3d  %8s  %6.3f  %s / %s\n", k + 1, id, (double)score[k], b.title, b.authors);
        if (!explain) continue;
        int32_t why[3];
        float c[3];
        bookrec_error err = {0};
        int nw = bookrec_model_explain(m, state, idx[k], 3, why, c, &err);
        if (nw < 0) cli_check(err.code, &err, "explain");
        if (nw == 0) { printf("               (no rated book points here: popular with all readers)\n"); continue; }
        printf("               because you liked ");
        for (int q = 0; q < nw; q++) {
            shown_book w = book_of(books, bookrec_ids_get(items, why[q]));
            printf("%s%s (%+.3f)", q ? (q == nw - 1 ? " and " : ", ") : "", *w.title ? w.title : bookrec_ids_get(items, why[q]),
                   (double)c[q]);
        }
        printf("\n");
    }
}

int cmd_recommend(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *model_path = cli_default_model(), *user = NULL, *rate = NULL, *rated = NULL, *goodreads = NULL;
    int k = 10, explain = 0, matches = 0;
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"model", 'm', CLI_STR, &model_path, "FILE", "model file", "<project>/models/model.bkr"},
        {"user", 'u', CLI_STR, &user, "ID", "a dataset reader: user id as in the ratings CSV", "none"},
        {"rate", 0, CLI_STR, &rate, "ID:R,...", "a new reader's ratings, e.g. 1:5,27:4 (folded in as the site does)",
         "none"},
        {"rated", 0, CLI_STR, &rated, "FILE", "a new reader's ratings as a CSV of book_id,rating", "none"},
        {"goodreads", 0, CLI_STR, &goodreads, "FILE",
         "a new reader's Goodreads library export (goodreads_library_export.csv): rated books folded in, every "
         "matched book left out", "none"},
        {"matches", 0, CLI_FLAG, &matches, NULL, "with --goodreads, list every matched row and its book", NULL},
        {"explain", 0, CLI_FLAG, &explain, NULL, "name the rated books behind each recommendation (EASE models)", NULL},
        {"k", 'k', CLI_INT, &k, "N", "how many books (items) to list", NULL},
    };
    cli_parse("recommend",
              "bookrec recommend (--user ID | --rate ID:R,... | --rated FILE | --goodreads FILE) [-k 10] [--explain]", opts,
              (int)(sizeof opts / sizeof opts[0]), argc, argv);
    if (!!user + !!rate + !!rated + !!goodreads != 1)
        cli_usage_die("recommend",
                      "recommend: give exactly one of --user ID, --rate ID:R,... , --rated FILE or --goodreads FILE");
    if (matches && !goodreads) cli_usage_die("recommend", "recommend: --matches goes with --goodreads FILE");
    if (k < 1 || k > 100000) cli_usage_die("recommend", "recommend: -k must be in 1..100000, got %d", k);
    cli_set_noun(&d);

    bookrec_model *m = cli_load_model(model_path);
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int topn = c->arch == BOOKREC_ARCH_EASE || c->arch == BOOKREC_ARCH_IALS;
    if (explain && c->arch != BOOKREC_ARCH_EASE)
        cli_usage_die("recommend", "recommend: --explain needs an EASE model (this one is %s)", cli_arch_name(c->arch));
    bookrec_error err = {0};
    int n_ex = 0, S = bookrec_model_user_state_size(m);
    int32_t *ex = NULL;
    float *state = malloc(sizeof(float) * (size_t)S), *ratings = NULL;
    if (!state) cli_die("out of memory");
    bookrec_items *books = cli_load_books(&d);
    bookrec_gr_reader *g = NULL;
    if (user) {
        if (!bookrec_model_has_users(m))
            cli_die("%s: the model has no user part (an export's model-items.bkr?); use the full model file", model_path);
        const bookrec_ids *mu = bookrec_model_users(m);
        int u = mu ? bookrec_ids_find(mu, user, -1) : -1;
        if (u < 0) cli_die("user '%s' is not in the model (it knows %d users)", user, bookrec_ids_count(mu));
        cli_check(bookrec_model_user_state(m, u, state, &err), &err, "reader state");
        /* every book the user rated in the data file */
        bookrec_ratings *r = cli_load_ratings(&d, NULL, NULL);
        cli_check(bookrec_ratings_user_books(r, user, bookrec_model_items(m), &ex, &n_ex, &err), &err, NULL);
        if (n_ex < 0) {
            cli_warn("user '%s' has no ratings in %s; nothing to leave out", user, cli_ratings_path(&d));
            n_ex = 0;
        }
        bookrec_ratings_free(r);
    } else if (goodreads) {
        g = read_goodreads(m, books, goodreads, matches);
        if (g->n_rated == 0 && !topn) cli_die("%s: no rated books of the model to fold in", goodreads);
        cli_check(bookrec_model_fold_in(m, g->rated, g->ratings, g->n_rated, NULL, state, &err), &err, "fold-in");
        n_ex = g->n_seen;
    } else {
        if (rated) {
            n_ex = read_rated(m, rated, &ex, &ratings);
        } else {
            int cap = (int)strlen(rate) / 2 + 1;
            ex = malloc(sizeof(int32_t) * (size_t)cap);
            ratings = malloc(sizeof(float) * (size_t)cap);
            if (!ex || !ratings) cli_die("out of memory");
            n_ex = parse_rate(m, rate, ex, ratings, cap);
        }
        if (n_ex == 0 && !topn) cli_die("no ratings of books in the model to fold in");
        cli_check(bookrec_model_fold_in(m, ex, ratings, n_ex, NULL, state, &err), &err, "fold-in");
    }
    float *scores = malloc(sizeof(float) * (size_t)c->n_items), *score = malloc(sizeof(float) * (size_t)k);
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)k);
    if (!idx || !score || !scores) cli_die("out of memory");
    cli_check(bookrec_model_score_all(m, state, scores, &err), &err, "scores");
    int n = bookrec_topk(scores, c->n_items, g ? g->seen : ex, n_ex, k, idx, score);
    if (n < 0) cli_die("out of memory ranking");
    if (user)
        printf("Top %d %s for user %s (who rated %d %s; those are left out)\n", n, cli_noun(1), user, n_ex,
               cli_noun(n_ex != 1));
    else if (goodreads)
        printf("Top %d %s for your Goodreads library: %d rated %s folded in; all %d matched %s left out (%d of them "
               "want to read)\n", n, cli_noun(1), g->n_rated, cli_noun(g->n_rated != 1), n_ex, cli_noun(n_ex != 1), g->n_want);
    else
        printf("Top %d %s for a new reader who rated %d %s (left out)\n", n, cli_noun(1), n_ex, cli_noun(n_ex != 1));
    if (topn) {
        print_topn(m, books, state, idx, score, n, explain);
    } else {
        for (int j = 0; j < n; j++) score[j] = score[j] < c->min_rating ? c->min_rating : score[j] > c->max_rating ? c->max_rating : score[j];
        print_list(m, books, idx, score, n, "rating");
    }
    free(idx);
    free(score);
    free(scores);
    free(state);
    free(ratings);
    free(ex);
    bookrec_gr_reader_free(g);
    bookrec_items_free(books);
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
    int ease = bookrec_model_get_config(m)->arch == BOOKREC_ARCH_EASE;
    char head[80];
    snprintf(head, sizeof head, "%s", cli_noun(1));
    if (head[0] >= 'a' && head[0] <= 'z') head[0] = (char)(head[0] - 'a' + 'A');
    printf("%s most similar to %s%s%s%s (%s%s%s)\n", head, book, *b.title ? " (" : "", b.title, *b.title ? ")" : "",
           ease ? "EASE weights between the two, both ways" : "cosine of ", ease ? "" : cli_noun(0),
           ease ? "" : " embeddings");
    print_list(m, books, idx, score, n, ease ? "weight" : "cosine");
    free(idx);
    free(score);
    bookrec_items_free(books);
    bookrec_model_free(m);
    return 0;
}
