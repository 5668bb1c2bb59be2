/*
 * train_packed.c - `bookrec train`'s call into the core's training loop, packing the training ratings first
 * (bookrec_packed: a user, item and rating code in 5-8 bytes instead of the 12 of bookrec_triples) for the rating
 * models that can train from them: no implicit sets, no tags, no grouped epochs. The model is bit for bit the one
 * bookrec_train makes. Not here: the split, the figures and the files `bookrec train` writes (cmd_train.c).
 */
#include "cli.h"
#include "scale.h"

#include <stdio.h>

int cli_train_compact(bookrec_model *m, bookrec_triples *fit, int may_pack, bookrec_triples *valid,
                      const bookrec_train_options *to, bookrec_epoch_stats *history, int max_history, int *n_history,
                      bookrec_error *err) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int packable = may_pack && to->shuffle_in_place && !to->group_users && !c->implicit && c->n_tags == 0;
    if (!packable) return bookrec_train(m, fit, valid, to, history, max_history, n_history, err);
    bookrec_packed pk;
    size_t n = fit->n;
    int st = bookrec_packed_from_triples(fit, c->n_users, c->n_items, &pk, err);
    if (st == BOOKREC_E_ARG) { /* fields too wide for 64 bits: train from the triples (left as they were) */
        cli_note("training ratings not packed (%s)", err ? err->msg : "");
        return bookrec_train(m, fit, valid, to, history, max_history, n_history, err);
    }
    cli_check(st, err, "packing the training ratings");
    bookrec_packed vpk = {0};
    if (valid && valid->n) /* the fields fit for the training part, so for this one too (E_ARG: not packed) */
        if (bookrec_packed_from_triples(valid, c->n_users, c->n_items, &vpk, err) == BOOKREC_E_NOMEM)
            cli_check(BOOKREC_E_NOMEM, err, "packing the validation ratings");
    char g[32];
    fprintf(stderr, "training ratings packed: %s ratings at %d bytes each (user %d bits, %s %d bits, rating %d bits)\n",
            cli_group(n, g), pk.width, pk.ubits, cli_noun(0), pk.ibits, pk.cbits);
    if (vpk.rec || !valid || !valid->n) {
        st = bookrec_train_packed(m, &pk, vpk.rec ? &vpk : NULL, to, history, max_history, n_history, err);
        if (vpk.rec) {
            bookrec_error e2 = {0};
            cli_check(bookrec_packed_to_triples(&vpk, valid, &e2), &e2, "unpacking the validation ratings");
        }
    } else { /* validation not packed: train from the triples, unpacked back */
        bookrec_triples back = {0};
        cli_check(bookrec_packed_to_triples(&pk, &back, err), err, "unpacking the training ratings");
        st = bookrec_train(m, &back, valid, to, history, max_history, n_history, err);
        bookrec_triples_free(&back);
    }
    bookrec_packed_free(&pk);
    fit->n = n;
    return st;
}
