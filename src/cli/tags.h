/*
 * tags.h - goodbooks' book_tags.csv and tags.csv for the CLI: the per-book tag weights `bookrec train --tags`
 * trains on (bookrec_model_set_tags; shelf names such as to-read dropped), and each book's strongest shelves as they
 * are (genre and shelf names alike, with counts) for `bookrec eval --personas`, with the shelf-name test and the
 * folding of spelling variants its tastes use. Only the CLI includes it.
 */
#ifndef BOOKREC_CLI_TAGS_H
#define BOOKREC_CLI_TAGS_H

#include "bookrec.h"

/* Per-book tags as CSR over the model's items, ready for bookrec_model_set_tags. */
typedef struct cli_tags {
    int n_tags;            /* tags kept */
    int32_t *off;          /* [n_items + 1] */
    int32_t *idx;          /* tag index 0..n_tags-1 */
    float *w;              /* weight: log(1 + count) / sum over the book's kept tags */
    int books_with_tags;   /* model books that got at least one tag */
    size_t rows;           /* data rows of book_tags.csv */
    int dropped;           /* tags dropped as shelf names (to-read, owned, ...) */
    char dropped_list[512];/* the most frequent dropped ones, comma-separated */
} cli_tags;

/* Reads book_tags_path (goodreads_book_id,tag_id,count) and tags_path (tag_id,tag_name), joins through the
   books table's goodreads_book_id (the items' `extra` field) to the model's items, drops shelf-name tags,
   keeps the max_tags tags found on most books and each book's per_book strongest of them; exits 1 with
   file:line on malformed input. */
void cli_read_tags(const char *book_tags_path, const char *tags_path, const bookrec_items *books,
                   const bookrec_ids *items, int max_tags, int per_book, cli_tags *out);

/* Frees the arrays of t. */
void cli_tags_free(cli_tags *t);

/* Each book's strongest shelves, every tag kept (to-read and favorites as well as fantasy or poetry). */
typedef struct cli_shelves {
    int n_items;
    int32_t *off;        /* [n_items + 1]: book i's tags are tag[off[i] .. off[i+1]), strongest first */
    int32_t *tag;        /* tag ids as in tags.csv */
    int32_t *count;      /* their counts (how many readers gave the book the tag), parallel to tag */
    char **name;         /* [n_names]: tag id -> name (NULL when tags.csv has no such id) */
    long n_names;
    size_t rows;         /* data rows of book_tags.csv */
    int books_with_tags;
} cli_shelves;

/* Reads book_tags_path and tags_path (RFC 4180, CRLF or LF, columns found by name) and gives each of the n items of
   `items` its per_book tags with the highest counts (ties by lower tag id), joined through the books table's
   goodreads_book_id; exits 1 naming file and line on malformed input. */
void cli_read_shelves(const char *book_tags_path, const char *tags_path, const bookrec_items *books,
                      const bookrec_ids *items, int per_book, cli_shelves *out);

/* The id of the tag named `name` (exact), or -1. */
long cli_shelves_find(const cli_shelves *s, const char *name);

/* Frees the arrays of s. */
void cli_shelves_free(cli_shelves *s);

/* 1 when a tag name is a shelf name that says nothing about content (to-read, favorites, owned, kindle, read-2015,
   ...), the names `train --tags` drops. */
int cli_tag_is_shelf(const char *name);

/* Folds a tag name into out (cap bytes, NUL-terminated) so spelling variants meet: lowercase, Latin accents dropped
   ("clàssics" -> "classics"), everything but letters and digits dropped ("sci-fi" -> "scifi"), then a final plural
   folded ("classics" -> "classic", "mysteries" -> "mystery"). */
void cli_tag_fold(const char *name, char *out, size_t cap);

#endif
