/*
 * train_run.c - the experiment of `bookrec train` for the rating models, start to end: the seeded train/test split
 * (with the validation carve when the spec stops early), the spec's model (ids, tags, implicit sets without the test
 * books), training (packed ratings when nothing afterwards needs the training part's arrays), a history whose
 * per-epoch test figures always come from the test part, the final test RMSE/MAE of the kept epoch, and on request
 * the rankings: dataset users beside popularity, then new readers through the protocol with a second model trained
 * without them. Progress and timing go through callbacks.
 * Not here: the presets, spec training and the rankings themselves (src/experiment.c), the split (src/ratings.c),
 * flags, clocks, threads, files and printing (the CLI).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct run_ctx {
    const bookrec_train_run_options *o;
    bookrec_train_run *res;
    const bookrec_model *m;
    const bookrec_triples *test; /* evaluated after each epoch when the validation part is carved (else NULL) */
    int cap;
} run_ctx;

/* bookrec_train_options.on_epoch: the history entry with the test part's figures, then the caller's callback. */
static int run_epoch(void *ctx, const bookrec_epoch_stats *s) {
    run_ctx *c = ctx;
    if (c->res->n_history >= c->cap) return 1;
    bookrec_epoch_stats *e = &c->res->history[c->res->n_history++];
    *e = *s;
    double mse = NAN, mae = NAN;
    if (c->test && bookrec_evaluate(c->m, c->test, &mse, &mae, NULL) == BOOKREC_OK) {
        e->test_mse = mse;
        e->test_rmse = sqrt(mse);
        e->test_mae = mae;
    }
    return c->o->on_epoch ? c->o->on_epoch(c->o->ctx, e, c->test ? s : NULL) : 0;
}

/* The model, its training and final figures (the step that failed named in res->failed). */
static int train_part(const bookrec_ratings *r, const bookrec_spec *spec, const bookrec_train_run_options *o,
                      bookrec_split_parts *sp, bookrec_train_run *res, bookrec_error *err) {
    int early = spec->to.patience > 0;
    bookrec_triples *fit = early ? &sp->fit : &sp->train, *valid = early ? &sp->valid : &sp->test;
    bookrec_spec ms = *spec;
    ms.users = r->users;
    ms.items = r->items;
    bookrec_train_options to = spec->to;
    to.shuffle_in_place = 1; /* fit's order is not needed after training (the rankings only count and exclude) */
    int nu = bookrec_ids_count(r->users), ni = bookrec_ids_count(r->items);
    bookrec_packed pk;
    bookrec_error why;
    res->failed = "training"; /* packed before the model is made: the triples and the readers' rows never meet */
    int st = br_train_pack(nu, ni, spec->cfg.implicit, spec->tags ? spec->tags->n_tags : 0, &to, !o->rank, fit, &pk,
                           &why, err);
    if (st != BOOKREC_OK) return st;
    res->failed = "model";
    st = bookrec_spec_model(&ms, nu, ni, r->min_rating, r->max_rating, fit, &sp->test, &res->model,
                            &res->to_read_added, err);
    if (st != BOOKREC_OK) {
        bookrec_packed_free(&pk);
        return st;
    }
    res->n_fit = fit->n;
    res->n_valid = sp->valid.n;
    res->n_test = sp->test.n;
    if (o->on_model) o->on_model(o->ctx, res->model, res);
    res->failed = "training";
    run_ctx c = {o, res, res->model, early ? &sp->test : NULL, spec->to.epochs > 0 ? spec->to.epochs : 1};
    res->history = calloc((size_t)c.cap, sizeof *res->history);
    if (!res->history) {
        bookrec_packed_free(&pk);
        return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    }
    to.on_epoch = run_epoch;
    to.on_epoch_ctx = &c;
    if (o->on_pack && (pk.rec || why.msg[0])) o->on_pack(o->ctx, pk.rec ? &pk : NULL, pk.rec ? NULL : why.msg);
    bookrec_train_info info;
    st = br_train_fit_packed(res->model, fit, &pk, valid, &to, &info, err);
    if (o->on_trained) o->on_trained(o->ctx);
    if (st != BOOKREC_OK) return st;
    res->best_epoch = early ? info.best_epoch : info.epochs_run; /* the epoch early stopping kept */
    res->failed = "evaluate";
    return bookrec_evaluate(res->model, &sp->test, &res->test_mse, &res->test_mae, err);
}

/* --rank: dataset users, then new readers. */
static int rank_part(const bookrec_ratings *r, const bookrec_train_run_options *o, const bookrec_split_parts *sp,
                     bookrec_train_run *res, bookrec_error *err) {
    bookrec_rank_options ro = o->rank_options;
    ro.min_rating = r->min_rating;
    ro.max_rating = r->max_rating;
    br_rank_threads(&ro, &o->new_readers->spec.to);
    bookrec_rank_result mr, pr;
    res->failed = "ranking";
    int st = bookrec_rank_trained(res->model, &sp->train, &sp->test, &ro, &mr, &pr, err);
    if (st != BOOKREC_OK) return st;
    res->users = (bookrec_train_ranking){mr.ndcg, pr.ndcg, mr.hr, mr.coverage, mr.n_users, 0};
    if (o->on_ranked) o->on_ranked(o->ctx, 0, &res->users);
    bookrec_protocol_cell cell[2];
    bookrec_protocol_info info;
    res->failed = "new-reader protocol";
    st = bookrec_spec_new_readers(&r->all, bookrec_ids_count(r->users), bookrec_ids_count(r->items), o->new_readers,
                                  &ro, cell, &info, err);
    if (st != BOOKREC_OK) return st;
    res->new_readers = (bookrec_train_ranking){cell[0].ndcg.mean, cell[1].ndcg.mean, cell[0].hr.mean,
                                               cell[0].coverage.mean, (int)cell[0].n_readers.mean, info.n_held};
    if (o->on_ranked) o->on_ranked(o->ctx, 1, &res->new_readers);
    return BOOKREC_OK;
}

int bookrec_train_run_make(bookrec_ratings *r, const bookrec_spec *spec, const bookrec_train_run_options *o,
                           bookrec_train_run *res, bookrec_error *err) {
    if (!r || !spec || !o || !res || (o->rank && !o->new_readers))
        return br_fail(err, BOOKREC_E_ARG, "training run: NULL argument");
    memset(res, 0, sizeof *res);
    res->n_ratings = r->all.n;
    res->failed = "split";
    bookrec_split_parts sp; /* lean (the dataset's own arrays) unless the rankings need every rating, in file order */
    int st = bookrec_split_parts_make(r, o->test_fraction, o->split_seed,
                                      spec->to.patience > 0 ? spec->valid_fraction : 0, !o->rank, &sp, err);
    if (st != BOOKREC_OK) return st;
    if (o->on_split) o->on_split(o->ctx);
    st = train_part(r, spec, o, &sp, res, err);
    if (st == BOOKREC_OK && o->rank) st = rank_part(r, o, &sp, res, err);
    bookrec_split_parts_free(&sp);
    if (st == BOOKREC_OK) res->failed = NULL;
    return st;
}

void bookrec_train_run_free(bookrec_train_run *res) {
    if (!res) return;
    bookrec_model_free(res->model);
    free(res->history);
    memset(res, 0, sizeof *res);
}
