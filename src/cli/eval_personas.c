/*
 * eval_personas.c - `bookrec eval --personas`: the persona suite on a model file. It reads the model, the ratings,
 * the books and the tag files, parses --tastes and has the core run the suite (src/personas.c, src/tastes.c): for
 * each taste a new reader gives the top rating to the 5 seedable books with most ratings, is folded into the model,
 * and the share of its top-10 (those 5 excluded) carrying the taste is printed beside the taste's share of the
 * catalogue and the share the popularity ranking gets, with the seeds and titles, so a person can read the lists,
 * and the mean share over the tastes, which --min-share turns into a floor. --report FILE also writes FILE.md and
 * FILE.json.
 * Not here: the figures and the taste rules (the core); this file reads files and prints.
 */
#define _GNU_SOURCE
#include "eval_rank.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


/* What the printers need about one model book. */
typedef struct book_info {
    const char *id, *title, *authors;
} book_info;

static book_info book_of(const bookrec_model *m, const bookrec_items *books, int i) {
    book_info b = {bookrec_ids_get(bookrec_model_items(m), i), "?", ""};
    int k = books ? bookrec_ids_find(books->ids, b.id, -1) : -1;
    if (k >= 0) { b.title = books->item[k].title; b.authors = books->item[k].authors; }
    return b;
}

static cJSON *book_json(const book_info *b, int carries) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "book_id", b->id);
    cJSON_AddStringToObject(o, "title", b->title);
    cJSON_AddStringToObject(o, "authors", b->authors);
    if (carries >= 0) cJSON_AddBoolToObject(o, "carries", carries);
    return o;
}

/* The run's outcome, for the printers. */
typedef struct persona_run {
    const char *caption;
    const bookrec_taste *ts;
    const bookrec_persona_result *res, *pop_res;
    int n;
    const bookrec_model *m;
    const bookrec_items *books;
} persona_run;

/* Prints the table, the mean share and the lists to f (Markdown when md). */
static void print_personas(FILE *f, int md, const persona_run *pr) {
    const bookrec_persona_result *res = pr->res, *pres = pr->pop_res;
    fprintf(f, "%s\n\n", pr->caption);
    if (md) fprintf(f, "| taste | share@%d | popularity | base | books carrying | seedable | shelves |\n"
                       "|---|---:|---:|---:|---:|---:|---|\n", res[0].n_top > 0 ? res[0].n_top : 10);
    else fprintf(f, "%-20s  %6s  %10s  %6s  %6s  %8s  %s\n", "taste", "share", "popularity", "base", "books",
                 "seedable", "shelves");
    for (int t = 0; t < pr->n; t++) {
        char sh[16] = "-", ps[16] = "-";
        if (!isnan(res[t].share)) snprintf(sh, sizeof sh, "%.2f", res[t].share);
        if (!isnan(pres[t].share)) snprintf(ps, sizeof ps, "%.2f", pres[t].share);
        if (md) fprintf(f, "| %s | %s | %s | %.3f | %d | %d | %s |\n", pr->ts[t].name, sh, ps, res[t].base,
                        res[t].n_carrying, res[t].n_seedable, pr->ts[t].shelves);
        else fprintf(f, "%-20s  %6s  %10s  %6.3f  %6d  %8d  %s\n", pr->ts[t].name, sh, ps, res[t].base,
                     res[t].n_carrying, res[t].n_seedable, pr->ts[t].shelves);
    }
    fprintf(f, "\nmean share over tastes: %.3f (popularity %.3f)\n", bookrec_persona_mean_share(res, pr->n), bookrec_persona_mean_share(pres, pr->n));
    for (int t = 0; t < pr->n; t++) {
        fprintf(f, md ? "\n**%s**: loved " : "\n%s: loved ", pr->ts[t].name);
        for (int j = 0; j < res[t].n_seed; j++) {
            book_info b = book_of(pr->m, pr->books, res[t].seed[j]);
            fprintf(f, "%s%s", j ? "; " : "", b.title);
        }
        fprintf(f, md ? "\n\n" : "\n");
        if (res[t].n_seed == 0)
            fprintf(f, "  (no book may seed it: none has these shelves holding half the count of its %d strongest "
                       "content tags)\n", BOOKREC_TASTE_SEED);
        for (int p = 0; p < res[t].n_top; p++) {
            book_info b = book_of(pr->m, pr->books, res[t].top[p]);
            if (md) fprintf(f, "%d. %s%s — %s\n", p + 1, res[t].top_carries[p] ? "✓ " : "", b.title, b.authors);
            else fprintf(f, "  %2d. [%c] %s — %s\n", p + 1, res[t].top_carries[p] ? 'x' : ' ', b.title, b.authors);
        }
    }
}

/* One taste's JSON object. */
static cJSON *taste_json(const persona_run *pr, int t) {
    const bookrec_persona_result *r = &pr->res[t], *p = &pr->pop_res[t];
    cJSON *o = cJSON_CreateObject(), *shelves = cJSON_CreateArray(), *seeds = cJSON_CreateArray(),
          *top = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "taste", pr->ts[t].name);
    for (int j = 0; j < pr->ts[t].n_fold; j++) cJSON_AddItemToArray(shelves, cJSON_CreateString(pr->ts[t].fold[j]));
    cJSON_AddItemToObject(o, "shelves_folded", shelves);
    cJSON_AddNumberToObject(o, "tag_names", pr->ts[t].n_tags);
    if (isnan(r->share)) cJSON_AddNullToObject(o, "share");
    else cJSON_AddNumberToObject(o, "share", r->share);
    cJSON_AddNumberToObject(o, "hits", r->hits);
    if (isnan(p->share)) cJSON_AddNullToObject(o, "popularity_share");
    else cJSON_AddNumberToObject(o, "popularity_share", p->share);
    cJSON_AddNumberToObject(o, "base", r->base);
    cJSON_AddNumberToObject(o, "books_carrying", r->n_carrying);
    cJSON_AddNumberToObject(o, "books_seedable", r->n_seedable);
    for (int j = 0; j < r->n_seed; j++) {
        book_info b = book_of(pr->m, pr->books, r->seed[j]);
        cJSON_AddItemToArray(seeds, book_json(&b, -1));
    }
    for (int q = 0; q < r->n_top; q++) {
        book_info b = book_of(pr->m, pr->books, r->top[q]);
        cJSON_AddItemToArray(top, book_json(&b, r->top_carries[q]));
    }
    cJSON_AddItemToObject(o, "seeds", seeds);
    cJSON_AddItemToObject(o, "top", top);
    return o;
}

static void write_report(const char *report, const persona_run *pr, const char *model_path) {
    char *md_path, *json_path;
    evr_report_paths(report, &md_path, &json_path);
    char *md = NULL;
    size_t md_len = 0;
    FILE *f = open_memstream(&md, &md_len);
    if (!f) cli_die("out of memory");
    print_personas(f, 1, pr);
    fclose(f);
    cli_write_atomic_or_die(md_path, md, md_len);
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    cJSON_AddStringToObject(root, "model", model_path);
    cJSON_AddStringToObject(root, "caption", pr->caption);
    double ms = bookrec_persona_mean_share(pr->res, pr->n), mp = bookrec_persona_mean_share(pr->pop_res, pr->n);
    if (isnan(ms)) cJSON_AddNullToObject(root, "mean_share");
    else cJSON_AddNumberToObject(root, "mean_share", ms);
    if (isnan(mp)) cJSON_AddNullToObject(root, "mean_popularity_share");
    else cJSON_AddNumberToObject(root, "mean_popularity_share", mp);
    for (int t = 0; t < pr->n; t++) cJSON_AddItemToArray(arr, taste_json(pr, t));
    cJSON_AddItemToObject(root, "personas", arr);
    cli_write_json_or_die(json_path, root);
    printf("\nwrote %s and %s\n", md_path, json_path);
    free(md); free(md_path); free(json_path);
}

/* With --min-share (min_share >= 0; -1 is off): exits 1 naming the tastes below the floor when the mean share is below it. */
static void check_floor(const persona_run *pr, double min_share) {
    double ms = bookrec_persona_mean_share(pr->res, pr->n);
    if (min_share < 0 || ms >= min_share) return;
    if (isnan(ms))
        cli_die("eval --personas: --min-share %g: no taste has seed books, so there is no mean share", min_share);
    char below[2048] = "";
    size_t l = 0;
    for (int t = 0; t < pr->n && l + 160 < sizeof below; t++) {
        double s = pr->res[t].share;
        if (!isnan(s) && s >= min_share) continue;
        if (isnan(s)) l += (size_t)snprintf(below + l, sizeof below - l, "%s%.100s (no seeds)", l ? ", " : "",
                                            pr->ts[t].name);
        else l += (size_t)snprintf(below + l, sizeof below - l, "%s%.100s %.2f", l ? ", " : "", pr->ts[t].name, s);
    }
    cli_die("eval --personas: the mean share over the tastes, %.3f, is below --min-share %g; tastes below it: %s",
            ms, min_share, below);
}

int evr_personas(const cli_data_opts *d, const char *model_path, const char *tags_dir, const char *tastes,
                 double min_share, int k, const bookrec_foldin_options *fo, const char *report) {
    if (k < 1 || k > BOOKREC_PERSONA_MAX) cli_usage_die("eval", "eval: -k must be in 1..%d with --personas",
                                                        BOOKREC_PERSONA_MAX);
    if (min_share != -1.0 && !(min_share >= 0 && min_share <= 1)) /* -1: off, the default */
        cli_usage_die("eval", "eval: --min-share must be in 0..1, got %g", min_share);
    char *list = strdup(tastes);
    bookrec_taste *ts = calloc(BOOKREC_PERSONA_MAX, sizeof *ts);
    bookrec_error err = {0};
    if (!list || !ts) cli_die("out of memory");
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == BOOKREC_PERSONA_MAX) cli_usage_die("eval", "eval: --tastes: at most %d", BOOKREC_PERSONA_MAX);
        if (bookrec_taste_parse(tok, &ts[n++], &err) != BOOKREC_OK) cli_usage_die("eval", "eval: --%s", err.msg);
    }
    if (n == 0) cli_usage_die("eval", "eval: --tastes needs at least one taste");
    bookrec_model *m = cli_load_model(model_path);
    bookrec_ratings *r = cli_load_ratings(d, NULL, NULL);
    bookrec_items *books = cli_load_books(d);
    const char *dir = tags_dir ? tags_dir : cli_data_dir(d);
    if (!books) cli_die("personas need the books file (books.csv with goodreads_book_id) to join book_tags.csv");
    bookrec_tag_files tf;
    cli_read_tag_files(dir, books, bookrec_model_items(m), &tf);
    bookrec_shelves *sh = NULL;
    if (bookrec_shelves_create(&tf, 1 << 20, &sh, &err) != BOOKREC_OK) /* every tag, strongest first */
        cli_die("personas: %s", err.msg);
    const bookrec_model_config *c = bookrec_model_get_config(m);
    const char **titles = calloc((size_t)c->n_items, sizeof *titles);
    bookrec_persona_result *res = calloc((size_t)n, sizeof *res), *pres = calloc((size_t)n, sizeof *pres);
    if (!titles || !res || !pres) cli_die("out of memory");
    for (int i = 0; i < c->n_items; i++) titles[i] = book_of(m, books, i).title;
    bookrec_persona_options po = {5, k, c->max_rating};
    if (bookrec_persona_suite(m, r, sh, ts, n, titles, &po, fo, res, pres, &err) != BOOKREC_OK)
        cli_die("%s: %s", tf.tags_source, err.msg);
    char g[32];
    char *caption = cli_fmt(
        "Personas of %s (%s, dim %d). A taste is a set of shelf names of book_tags.csv, folded (case, accents, "
        "punctuation, a final plural). For each taste a new reader gives %g stars to the 5 books with most ratings "
        "in %s whose taste shelves hold at least half the count of their %d strongest content tags (shelf names "
        "such as to-read and the labels fiction, adult, adult-fiction, book-club, literature left out; one book per "
        "series), and is folded in with the book side frozen. share: books of its top-%d (those 5 excluded) having "
        "one of the shelves among their %d strongest tags; popularity: the same share when the most rated books are "
        "recommended (those 5 excluded); base: the taste's share of the %d books (%s book_tags rows, %d books "
        "tagged); seedable: books that may seed the taste.",
        model_path, bookrec_arch_name(c->arch), c->dim, (double)c->max_rating, cli_ratings_path(d),
        BOOKREC_TASTE_SEED, k, BOOKREC_TASTE_CARRY, c->n_items, cli_group(sh->rows, g), sh->books_with_tags);
    persona_run pr = {caption, ts, res, pres, n, m, books};
    print_personas(stdout, 0, &pr);
    if (report) write_report(report, &pr, model_path);
    fflush(stdout);
    check_floor(&pr, min_share);
    free(caption); free(res); free(pres); free(titles); free(ts); free(list);
    cli_tag_files_free(&tf);
    bookrec_shelves_free(sh);
    bookrec_items_free(books);
    bookrec_ratings_free(r);
    bookrec_model_free(m);
    return 0;
}
