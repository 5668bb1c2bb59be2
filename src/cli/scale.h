/*
 * scale.h - the command-line piece that keeps large ratings files cheap: the binary ratings cache beside a ratings
 * CSV (ratings_cache.c); training on packed ratings is the core's (bookrec_train_fit).
 * Not here: the commands themselves (cmd_*.c), or anything the core or the web build needs.
 */
#ifndef BOOKREC_CLI_SCALE_H
#define BOOKREC_CLI_SCALE_H

#include "bookrec.h"
#include "cli.h"

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
