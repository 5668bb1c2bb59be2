/*
 * scale.h - the command-line pieces that keep large ratings files cheap: training on packed ratings
 * (train_packed.c) and the binary ratings cache beside a ratings CSV (ratings_cache.c).
 * Not here: the commands themselves (cmd_*.c), or anything the core or the web build needs.
 */
#ifndef BOOKREC_CLI_SCALE_H
#define BOOKREC_CLI_SCALE_H

#include "bookrec.h"
#include "cli.h"

/* bookrec_train, on fit and valid packed first (5-8 bytes per rating instead of 12) when may_pack and the model and
   options allow it; fit's arrays are then gone afterwards (fit->n keeps the count), valid is unpacked back as it was. */
int cli_train_compact(bookrec_model *m, bookrec_triples *fit, int may_pack, bookrec_triples *valid,
                      const bookrec_train_options *to, bookrec_epoch_stats *history, int max_history, int *n_history,
                      bookrec_error *err);

/* Where a ratings CSV's cache is, what it must match, and whether it is in use. */
typedef struct cli_ratings_cache {
    int on;                /* 1: the cache is used for this file (BOOKREC_RATINGS_CACHE, or a large CSV) */
    char *file;            /* the cache file */
    const char *csv;       /* the CSV it is for */
    bookrec_cache_key key; /* the CSV as it was just before it was read */
} cli_ratings_cache;

/* The dataset of csv from its cache when the cache is fresh and sound (with a note saying so), else NULL with c set
   up for cli_ratings_cache_store (a stale or damaged cache is named in a note or warning and will be rebuilt). */
bookrec_ratings *cli_ratings_cache_load(const cli_data_opts *d, const char *csv, cli_ratings_cache *c,
                                        double *read_seconds, double *parse_seconds);

/* Writes r to c's cache file when the cache is in use (a failure is a warning, never fatal), and frees c's strings. */
void cli_ratings_cache_store(cli_ratings_cache *c, const bookrec_ratings *r);

#endif /* BOOKREC_CLI_SCALE_H */
