/*
 * eval_personas.c - `bookrec eval --personas`: the persona suite on a model file. For each taste (a shelf of
 * book_tags.csv such as fantasy or poetry) a new reader gives the top rating to the 5 best-known books (most
 * ratings in the ratings file) having that shelf among their 20 strongest tags, is folded into the model, and the
 * share of its top-10 (those 5 excluded) on the same shelf is printed beside the shelf's share of the catalogue and
 * the share the popularity ranking gets, with the titles, so a person can read the lists. --report FILE also
 * writes FILE.md and FILE.json. The figures are the core's (src/personas.c); this file reads files and prints.
 */
#define _GNU_SOURCE
#include "eval_rank.h"
#include "tags.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PERSONA_SHELVES 20 /* a book carries a shelf when it is among its 20 strongest tags */

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

/* Ratings per model book in the ratings file (0 for books the data does not have). */
static float *model_popularity(const bookrec_model *m, const bookrec_ratings *r) {
    int32_t *um = NULL, *im = NULL;
    cli_map_ids(m, r, &um, &im);
    int n = bookrec_model_get_config(m)->n_items;
    float *pop = calloc((size_t)n, sizeof *pop);
    if (!pop) cli_die("out of memory");
    for (size_t j = 0; j < r->all.n; j++) {
        int32_t i = im[r->all.item[j]];
        if (i >= 0) pop[i] += 1.0f;
    }
    free(um);
    free(im);
    return pop;
}

static cJSON *book_json(const book_info *b, int on_shelf) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "book_id", b->id);
    cJSON_AddStringToObject(o, "title", b->title);
    cJSON_AddStringToObject(o, "authors", b->authors);
    if (on_shelf >= 0) cJSON_AddBoolToObject(o, "on_shelf", on_shelf);
    return o;
}

/* Prints the table and the lists to f (Markdown when md). */
static void print_personas(FILE *f, int md, const char *caption, char **names, const bookrec_persona_result *res,
                           const bookrec_persona_result *pop_res, int n, const bookrec_model *m,
                           const bookrec_items *books) {
    fprintf(f, "%s\n\n", caption);
    if (md) fprintf(f, "| taste | share@%d | popularity | base | books on the shelf |\n|---|---:|---:|---:|---:|\n",
                    res[0].n_top > 0 ? res[0].n_top : 10);
    else fprintf(f, "%-20s  %8s  %10s  %6s  %6s\n", "taste", "share", "popularity", "base", "books");
    for (int t = 0; t < n; t++) {
        char sh[16] = "-", ps[16] = "-";
        if (!isnan(res[t].share)) snprintf(sh, sizeof sh, "%.2f", res[t].share);
        if (!isnan(pop_res[t].share)) snprintf(ps, sizeof ps, "%.2f", pop_res[t].share);
        if (md) fprintf(f, "| %s | %s | %s | %.3f | %d |\n", names[t], sh, ps, res[t].base, res[t].n_tagged);
        else fprintf(f, "%-20s  %8s  %10s  %6.3f  %6d\n", names[t], sh, ps, res[t].base, res[t].n_tagged);
    }
    for (int t = 0; t < n; t++) {
        fprintf(f, md ? "\n**%s**: loved " : "\n%s: loved ", names[t]);
        for (int j = 0; j < res[t].n_seed; j++) {
            book_info b = book_of(m, books, res[t].seed[j]);
            fprintf(f, "%s%s", j ? "; " : "", b.title);
        }
        fprintf(f, md ? "\n\n" : "\n");
        if (res[t].n_seed == 0) fprintf(f, "  (no book has this shelf among its %d strongest tags)\n", PERSONA_SHELVES);
        for (int p = 0; p < res[t].n_top; p++) {
            book_info b = book_of(m, books, res[t].top[p]);
            if (md) fprintf(f, "%d. %s%s — %s\n", p + 1, res[t].top_has_tag[p] ? "✓ " : "", b.title, b.authors);
            else fprintf(f, "  %2d. [%c] %s — %s\n", p + 1, res[t].top_has_tag[p] ? 'x' : ' ', b.title, b.authors);
        }
    }
}

static void write_report(const char *report, const char *caption, char **names, const long *tag_ids,
                         const bookrec_persona_result *res, const bookrec_persona_result *pop_res, int n,
                         const bookrec_model *m, const bookrec_items *books, const char *model_path) {
    char *base = strdup(report);
    size_t bl = strlen(base);
    if (bl > 3 && !strcmp(base + bl - 3, ".md")) base[bl - 3] = '\0';
    else if (bl > 5 && !strcmp(base + bl - 5, ".json")) base[bl - 5] = '\0';
    char *md_path = cli_fmt("%s.md", base), *json_path = cli_fmt("%s.json", base);
    char *md = NULL;
    size_t md_len = 0;
    FILE *f = open_memstream(&md, &md_len);
    if (!f) cli_die("out of memory");
    print_personas(f, 1, caption, names, res, pop_res, n, m, books);
    fclose(f);
    cli_write_atomic_or_die(md_path, md, md_len);
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    cJSON_AddStringToObject(root, "model", model_path);
    cJSON_AddStringToObject(root, "caption", caption);
    for (int t = 0; t < n; t++) {
        cJSON *o = cJSON_CreateObject(), *seeds = cJSON_CreateArray(), *top = cJSON_CreateArray();
        cJSON_AddStringToObject(o, "taste", names[t]);
        cJSON_AddNumberToObject(o, "tag_id", (double)tag_ids[t]);
        if (isnan(res[t].share)) cJSON_AddNullToObject(o, "share");
        else cJSON_AddNumberToObject(o, "share", res[t].share);
        cJSON_AddNumberToObject(o, "hits", res[t].hits);
        if (isnan(pop_res[t].share)) cJSON_AddNullToObject(o, "popularity_share");
        else cJSON_AddNumberToObject(o, "popularity_share", pop_res[t].share);
        cJSON_AddNumberToObject(o, "base", res[t].base);
        cJSON_AddNumberToObject(o, "books_on_shelf", res[t].n_tagged);
        for (int j = 0; j < res[t].n_seed; j++) {
            book_info b = book_of(m, books, res[t].seed[j]);
            cJSON_AddItemToArray(seeds, book_json(&b, -1));
        }
        for (int p = 0; p < res[t].n_top; p++) {
            book_info b = book_of(m, books, res[t].top[p]);
            cJSON_AddItemToArray(top, book_json(&b, res[t].top_has_tag[p]));
        }
        cJSON_AddItemToObject(o, "seeds", seeds);
        cJSON_AddItemToObject(o, "top", top);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddItemToObject(root, "personas", arr);
    char *json = cJSON_Print(root);
    cJSON_Delete(root);
    cli_write_atomic_or_die(json_path, json, strlen(json));
    printf("\nwrote %s and %s\n", md_path, json_path);
    free(json); free(md); free(md_path); free(json_path); free(base);
}

int evr_personas(const cli_data_opts *d, const char *model_path, const char *tags_dir, const char *tastes,
                 const evr_eval_opts *o, const char *report) {
    if (o->k < 1 || o->k > BOOKREC_PERSONA_MAX) cli_usage_die("eval", "eval: -k must be in 1..%d with --personas",
                                                              BOOKREC_PERSONA_MAX);
    bookrec_error err = {0};
    bookrec_model *m = cli_load_model(model_path);
    bookrec_ratings *r = cli_load_ratings(d, NULL, NULL);
    bookrec_items *books = cli_load_books(d);
    const char *dir = tags_dir ? tags_dir : cli_data_dir(d);
    char *btp = cli_join(dir, "book_tags.csv"), *tp = cli_join(dir, "tags.csv");
    cli_shelves sh;
    cli_read_shelves(btp, tp, books, bookrec_model_items(m), PERSONA_SHELVES, &sh);
    char *list = strdup(tastes);
    char *names[BOOKREC_PERSONA_MAX];
    long tag_ids[BOOKREC_PERSONA_MAX];
    int32_t tag32[BOOKREC_PERSONA_MAX];
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == BOOKREC_PERSONA_MAX) cli_usage_die("eval", "eval: --tastes: at most %d", BOOKREC_PERSONA_MAX);
        long id = cli_shelves_find(&sh, tok);
        if (id < 0) cli_die("%s: no tag named '%s' (--tastes)", tp, tok);
        names[n] = tok;
        tag_ids[n] = id;
        tag32[n] = (int32_t)id;
        n++;
    }
    if (n == 0) cli_usage_die("eval", "eval: --tastes needs at least one shelf name");
    const bookrec_model_config *c = bookrec_model_get_config(m);
    float *pop = model_popularity(m, r);
    bookrec_book_tags bt = {c->n_items, sh.off, sh.tag};
    bookrec_persona_options po = {5, o->k, c->max_rating};
    cli_check(bookrec_model_prepare(m, &err), &err, "prepare model");
    bookrec_model_scorer sc = {m, {o->foldin_iters, 0.0f, o->foldin_l2}};
    bookrec_persona_result *res = calloc((size_t)n, sizeof *res), *pres = calloc((size_t)n, sizeof *pres);
    if (!res || !pres) cli_die("out of memory");
    cli_check(bookrec_personas(&bt, pop, tag32, n, bookrec_score_model, &sc, &po, res, &err), &err, "personas");
    bookrec_fixed_scorer fs = {pop, c->n_items};
    cli_check(bookrec_personas(&bt, pop, tag32, n, bookrec_score_fixed, &fs, &po, pres, &err), &err, "personas");
    char g[32];
    char *caption = cli_fmt(
        "Personas of %s (%s, dim %d): for each taste a new reader gives %g stars to the 5 best-known books (most "
        "ratings in %s) having that shelf among their %d strongest tags in book_tags.csv, and is folded in with the "
        "book side frozen. share: books of its top-%d (those 5 excluded) having the shelf among their %d strongest "
        "tags; popularity: the same share when the most rated books are recommended (those 5 excluded); base: the "
        "shelf's share of the %d books (%s book_tags rows, %d books tagged).",
        model_path, cli_arch_name(c->arch), c->dim, (double)c->max_rating, cli_ratings_path(d), PERSONA_SHELVES, o->k,
        PERSONA_SHELVES, c->n_items, cli_group(sh.rows, g), sh.books_with_tags);
    print_personas(stdout, 0, caption, names, res, pres, n, m, books);
    if (report) write_report(report, caption, names, tag_ids, res, pres, n, m, books, model_path);
    free(caption);
    free(res);
    free(pres);
    free(pop);
    free(list);
    free(btp);
    free(tp);
    cli_shelves_free(&sh);
    bookrec_items_free(books);
    bookrec_ratings_free(r);
    bookrec_model_free(m);
    return 0;
}
