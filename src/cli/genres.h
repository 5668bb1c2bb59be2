/*
 * genres.h - the genre shelves `bookrec export` writes into books.json for the site's genre filter: a small
 * vocabulary of the most common content shelves of book_tags.csv (shelf names such as to-read and generic labels
 * such as fiction left out, spelling variants folded together) and each book's strongest few of them.
 * Only the CLI includes it.
 */
#ifndef BOOKREC_CLI_GENRES_H
#define BOOKREC_CLI_GENRES_H

#include "bookrec.h"

typedef struct cli_genres {
    int n_names;       /* the vocabulary, most common first */
    char **name;       /* [n_names]: the most used spelling of each folded shelf */
    int32_t *off;      /* [n_items + 1]: book i's genres are idx[off[i] .. off[i+1]), strongest first */
    int32_t *idx;
    int books_with;    /* books with at least one genre */
} cli_genres;

/* Reads DIR/book_tags.csv and DIR/tags.csv, keeps the max_names folded content shelves found among most books'
   strongest tags, and gives each of the model's books up to per_book of them. */
void cli_read_genres(const char *dir, const bookrec_items *books, const bookrec_ids *items, int max_names,
                     int per_book, cli_genres *out);

void cli_genres_free(cli_genres *g);

#endif
