/*
 * scale.h - the command-line pieces that keep large ratings files cheap: training on packed ratings
 * (train_packed.c) and the binary ratings cache beside a ratings CSV (ratings_cache.c).
 * Not here: the commands themselves (cmd_*.c), or anything the core or the web build needs.
 */
#ifndef BOOKREC_CLI_SCALE_H
#define BOOKREC_CLI_SCALE_H

#include "bookrec.h"

/* bookrec_train, on fit packed first (5-8 bytes per rating instead of 12) when may_pack and the model and options
   allow it; fit's arrays are then gone afterwards and fit->n keeps the count. */
int cli_train_compact(bookrec_model *m, bookrec_triples *fit, int may_pack, const bookrec_triples *valid,
                      const bookrec_train_options *to, bookrec_epoch_stats *history, int max_history, int *n_history,
                      bookrec_error *err);

#endif /* BOOKREC_CLI_SCALE_H */
