/*
 * train_loop.c - the epoch loop of bookrec_train: argument checks, the per-epoch order of the training triples
 * (a seeded shuffle, or users grouped with --group-users), the batches through the trainer of train.c, the
 * epoch's figures with validation, the on_epoch and progress callbacks, early stopping with the best epoch's
 * parameters kept, and the implicit and tag sums folded out of the parameters while training and back in after.
 * Not here: the gradients, Adam and the per-task buffers (train.c, through trainer.h).
 */
#include "internal.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* user_emb[u] += sign * |N(u)|^-1/2 sum y_j for every user: -1 before training, +1 after. */
static void fold_implicit(trainer *tr, float sign) {
    bookrec_model *m = tr->m;
    float *s = tr->tb[0].pe;
    for (int u = 0; u < m->cfg.n_users; u++) {
        int a = m->imp_off[u], b = m->imp_off[u + 1];
        br_model_implicit_sum(m, m->imp_items + a, b - a, s);
        br_axpy(m->user_emb + (size_t)u * tr->d, sign, s, tr->d);
    }
}

/* Tag models: item_emb / item_bias += sign * the tag sums of every book: -1 before training, +1 after. */
static void fold_tags(trainer *tr, float sign) {
    bookrec_model *m = tr->m;
    float *s = tr->tb[0].qe, b;
    for (int i = 0; i < m->cfg.n_items; i++) {
        br_model_tag_sum(m, i, s, &b);
        br_axpy(m->item_emb + (size_t)i * tr->d, sign, s, tr->d);
        m->item_bias[i] += sign * b;
    }
}

/* ------------------------------------------------------------------ the epoch loop */

/* Checks bookrec_train's arguments (opt already defaulted); packed: train has a count but no arrays (packed_check
   checks the records). */
static int train_check(bookrec_model *m, const bookrec_triples *train, int packed, const bookrec_triples *valid,
                       const bookrec_train_options *opt, bookrec_error *err) {
    if (!m || !train) return br_fail(err, BOOKREC_E_ARG, "bookrec_train: NULL model or training data");
    if (br_is_topn(&m->cfg))
        return br_fail(err, BOOKREC_E_ARG, "bookrec_train: a top-N model is fitted by its own function (bookrec_ease_fit)");
    if (opt->epochs < 0 || opt->batch < 1 || opt->batch > (1 << 20))
        return br_fail(err, BOOKREC_E_ARG, "train options: epochs %d must be >= 0 and batch %d in 1..%d", opt->epochs,
                       opt->batch, 1 << 20);
    if (!(opt->lr > 0.0f) || !isfinite(opt->lr) || !(opt->beta1 >= 0.0f && opt->beta1 < 1.0f) ||
        !(opt->beta2 >= 0.0f && opt->beta2 < 1.0f) || !(opt->eps > 0.0f) || !(opt->l2 >= 0.0f) ||
        !(opt->l2_dense >= 0.0f) || !isfinite(opt->l2) || !isfinite(opt->l2_dense) || !(opt->l2_row >= 0.0f) ||
        !isfinite(opt->l2_row))
        return br_fail(err, BOOKREC_E_ARG, "train options: lr %g, beta1 %g, beta2 %g, eps %g, l2 %g, l2_dense %g "
                       "out of range", (double)opt->lr, (double)opt->beta1, (double)opt->beta2, (double)opt->eps,
                       (double)opt->l2, (double)opt->l2_dense);
    if (!(opt->reader_lr >= 0.0f) || !isfinite(opt->reader_lr) || (opt->reader_lr > 0.0f && !opt->lazy_adam))
        return br_fail(err, BOOKREC_E_ARG, "train options: reader_lr %g must be finite and >= 0, and row-wise Adagrad "
                       "for the readers needs lazy Adam", (double)opt->reader_lr);
    if (train->n == 0) return br_fail(err, BOOKREC_E_EMPTY, "no training ratings");
    if (train->n > 0xFFFFFFFFu) return br_fail(err, BOOKREC_E_ARG, "too many training ratings (%zu)", train->n);
    int rc = packed ? BOOKREC_OK : br_check_triples(m, train, "training", err);
    if (!rc && valid) rc = br_check_triples(m, valid, "validation", err);
    return rc;
}

/* One bookrec_train call: the trainer, the epoch order and what is kept aside between epochs. */
typedef struct train_run {
    trainer tr;
    bookrec_model *m;
    const bookrec_train_options *opt;
    const bookrec_triples *train, *valid;
    const bookrec_packed *vpk; /* packed validation ratings; valid is then vnone, their count without arrays */
    bookrec_triples vnone;
    int T, batch;
    size_t n, n_batches;
    /* ep: the epoch's triples in its order (sequential reads in the batch loop). Each epoch shuffles ep itself
       (Fisher-Yates from the previous epoch's order, so ep[k] = train[perm[k]] for the permutation perm the swaps
       make: no index array, no gather). ep is train's own arrays with shuffle_in_place, else a copy. Grouped
       epochs (group_users) instead gather ep through perm, an order built from per-user index lists. */
    bookrec_triples ep;
    int own_ep;
    bookrec_packed *pk;  /* packed training ratings (bookrec_train_packed): shuffled in place instead of ep */
    bookrec_triples bat[2]; /* pk: the current and the next batch unpacked (bat_mem) */
    void *bat_mem;
    uint32_t *perm, *iota;
    size_t *uoff;        /* group_users: each user's training ratings as CSR over indices, and the user order */
    uint32_t *ulist;
    int32_t *uord;
    br_rng rng;
    double p1, p2;       /* beta1^t, beta2^t */
    float *raw_items;    /* tag models: q_i and b_i kept aside while validation sees the effective books */
    float *raw_users;    /* implicit models: p_u kept aside while on_epoch sees the effective readers */
    size_t ni_d, nu_d;
    float *best;         /* early stopping: the best epoch's parameters */
    double best_rmse;
    int best_epoch, since_best;
} train_run;

/* Frees what run_alloc and train_begin allocated, and the trainer. */
static void run_free(train_run *r) {
    free(r->raw_items);
    free(r->raw_users);
    free(r->best);
    free(r->uoff); free(r->ulist); free(r->uord);
    free(r->perm); free(r->iota);
    if (r->own_ep) { free(r->ep.user); free(r->ep.item); free(r->ep.rating); }
    free(r->bat_mem);
    br_trainer_free(&r->tr);
}

/* Allocates the epoch order (ep, perm, iota and, with group_users, the per-user lists). */
static int run_alloc(train_run *r, bookrec_error *err) {
    const bookrec_train_options *opt = r->opt;
    const bookrec_triples *train = r->train;
    size_t n = r->n;
    if (r->pk) { /* two batches unpacked at a time: the one trained on, and the next one touch_rows warms */
        size_t b = (size_t)r->batch;
        r->iota = malloc(b * sizeof *r->iota);
        r->bat_mem = malloc(2 * b * (2 * sizeof(int32_t) + sizeof(float)));
        if (!r->iota || !r->bat_mem) return br_fail(err, BOOKREC_E_NOMEM, "out of memory for the batches");
        for (int s = 0; s < 2; s++) {
            char *at = (char *)r->bat_mem + (size_t)s * b * (2 * sizeof(int32_t) + sizeof(float));
            r->bat[s].user = (int32_t *)at;
            r->bat[s].item = (int32_t *)(at + b * sizeof(int32_t));
            r->bat[s].rating = (float *)(at + 2 * b * sizeof(int32_t));
        }
        for (int k = 0; k < r->batch; k++) r->iota[k] = (uint32_t)k;
        return BOOKREC_OK;
    }
    r->own_ep = !(opt->shuffle_in_place && !opt->group_users);
    r->perm = opt->group_users ? malloc(n * sizeof *r->perm) : NULL;
    r->iota = malloc((size_t)r->batch * sizeof *r->iota);
    r->ep = *train;
    if (r->own_ep) {
        r->ep.user = malloc(n * sizeof(int32_t));
        r->ep.item = malloc(n * sizeof(int32_t));
        r->ep.rating = malloc(n * sizeof(float));
    }
    if ((opt->group_users && !r->perm) || !r->iota || !r->ep.user || !r->ep.item || !r->ep.rating)
        return br_fail(err, BOOKREC_E_NOMEM, "out of memory for the shuffle");
    if (r->own_ep && !opt->group_users) {
        memcpy(r->ep.user, train->user, n * sizeof *r->ep.user);
        memcpy(r->ep.item, train->item, n * sizeof *r->ep.item);
        memcpy(r->ep.rating, train->rating, n * sizeof *r->ep.rating);
    }
    for (int k = 0; k < r->batch; k++) r->iota[k] = (uint32_t)k;
    if (opt->group_users) {
        int nu = r->m->cfg.n_users;
        r->uoff = calloc((size_t)nu + 1, sizeof *r->uoff);
        r->ulist = malloc(n * sizeof *r->ulist);
        r->uord = malloc((size_t)nu * sizeof *r->uord);
        size_t *fill = calloc((size_t)nu, sizeof *fill);
        if (!r->uoff || !r->ulist || !r->uord || !fill) {
            free(fill);
            return br_fail(err, BOOKREC_E_NOMEM, "out of memory for the grouped shuffle");
        }
        for (size_t k = 0; k < n; k++) r->uoff[train->user[k] + 1]++;
        for (int u = 0; u < nu; u++) r->uoff[u + 1] += r->uoff[u];
        for (size_t k = 0; k < n; k++) r->ulist[r->uoff[train->user[k]] + fill[train->user[k]]++] = (uint32_t)k;
        for (int u = 0; u < nu; u++) r->uord[u] = u;
        free(fill);
    }
    return BOOKREC_OK;
}

/* Switches the model to what training works on (p_u, q_i) and allocates the copies kept aside between epochs. */
static int train_begin(train_run *r, bookrec_error *err) {
    bookrec_model *m = r->m;
    int rc = BOOKREC_OK;
    if (r->tr.imp) fold_implicit(&r->tr, -1.0f); /* user_emb holds p_u + s_u: train on p_u */
    r->ni_d = (size_t)m->cfg.n_items * (size_t)m->cfg.dim;
    if (r->tr.tags) {
        fold_tags(&r->tr, -1.0f); /* item_emb holds q_i + tag sum: train on q_i */
        r->raw_items = malloc((r->ni_d + (size_t)m->cfg.n_items) * sizeof *r->raw_items);
        if (!r->raw_items) rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory for the tag model's item copy");
    }
    r->nu_d = (size_t)m->cfg.n_users * (size_t)m->cfg.dim;
    if (r->tr.imp && r->opt->on_epoch && !rc) {
        r->raw_users = malloc(r->nu_d * sizeof *r->raw_users);
        if (!r->raw_users) rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory for the implicit model's reader copy");
    }
    return rc;
}

/* Puts ep in the next epoch's order. */
static void shuffle_epoch(train_run *r) {
    bookrec_triples *ep = &r->ep;
    size_t n = r->n;
    if (r->uoff) { /* users in a shuffled order, each user's ratings (shuffled) together */
        int nu = r->m->cfg.n_users;
        for (int k = nu - 1; k > 0; k--) {
            int j = (int)br_rng_below(&r->rng, (uint32_t)(k + 1));
            int32_t t = r->uord[k]; r->uord[k] = r->uord[j]; r->uord[j] = t;
        }
        size_t w = 0;
        for (int k = 0; k < nu; k++) {
            int u = r->uord[k];
            uint32_t *g = r->ulist + r->uoff[u];
            size_t cnt = r->uoff[u + 1] - r->uoff[u];
            for (size_t a = cnt; a > 1; a--) {
                size_t j = br_rng_below(&r->rng, (uint32_t)a);
                uint32_t t = g[a - 1]; g[a - 1] = g[j]; g[j] = t;
            }
            memcpy(r->perm + w, g, cnt * sizeof *r->perm);
            w += cnt;
        }
        for (size_t k = 0; k < n; k++) {
            ep->user[k] = r->train->user[r->perm[k]];
            ep->item[k] = r->train->item[r->perm[k]];
            ep->rating[k] = r->train->rating[r->perm[k]];
        }
    } else if (r->pk) { /* the same swaps on the packed records */
        for (size_t k = n - 1; k > 0; k--) {
            size_t j = k <= 0xFFFFFFFEu ? br_rng_below(&r->rng, (uint32_t)(k + 1)) : k;
            br_packed_swap(r->pk, k, j);
        }
    } else {
        for (size_t k = n - 1; k > 0; k--) { /* Fisher-Yates on the triples themselves */
            size_t j = k <= 0xFFFFFFFEu ? br_rng_below(&r->rng, (uint32_t)(k + 1)) : k;
            int32_t u = ep->user[k], i = ep->item[k];
            float v = ep->rating[k];
            ep->user[k] = ep->user[j]; ep->item[k] = ep->item[j]; ep->rating[k] = ep->rating[j];
            ep->user[j] = u; ep->item[j] = i; ep->rating[j] = v;
        }
    }
}

/* pk: unpacks records [start, start + B) into bat[slot]. */
static void unpack_batch(train_run *r, size_t start, int B, int slot) {
    bookrec_triples *t = &r->bat[slot];
    for (int e = 0; e < B; e++) bookrec_packed_get(r->pk, start + (size_t)e, &t->user[e], &t->item[e], &t->rating[e]);
    t->n = (size_t)B;
}

/* Runs one epoch's batches in ep's order, reporting progress; sums the squared and absolute training errors
   into *sq and *ab over *done examples. Returns 1 when a progress callback asked to stop. */
static int epoch_batches(train_run *r, int epoch, double *sq, double *ab, size_t *done) {
    trainer *tr = &r->tr;
    const bookrec_train_options *opt = r->opt;
    bookrec_model *m = r->m;
    size_t n = r->n, batch = (size_t)r->batch;
    int stop = 0;
    *sq = *ab = 0.0;
    *done = 0;
    int cur = 0;
    if (r->pk) unpack_batch(r, 0, (int)(n < batch ? n : batch), 0);
    for (size_t bi = 0; bi < r->n_batches && !stop; bi++) {
        size_t start = bi * batch;
        int B = (int)(n - start < batch ? n - start : batch);
        bookrec_triples view = r->bat[cur];
        tr->next_n = start + (size_t)B >= n ? 0 : n - start - (size_t)B < batch ? (int)(n - start - (size_t)B) : (int)batch;
        if (r->pk) {
            if (tr->next_n) unpack_batch(r, start + (size_t)B, tr->next_n, 1 - cur);
            tr->next_users = r->bat[1 - cur].user;
            tr->next_items = r->bat[1 - cur].item;
            cur = 1 - cur;
        } else {
            view = (bookrec_triples){r->ep.user + start, r->ep.item + start, r->ep.rating + start, (size_t)B};
            tr->next_users = r->ep.user + start + B; /* each task warms the caches for its slice of the next batch */
            tr->next_items = r->ep.item + start + B;
        }
        br_trainer_set_batch(tr, &view, r->iota, B);
        br_trainer_run(opt, br_trainer_forward_backward, tr);
        for (int t = 0; t < r->T; t++) { *sq += tr->tb[t].sq; *ab += tr->tb[t].ab; }
        r->p1 *= opt->beta1;
        r->p2 *= opt->beta2;
        tr->lr_t = (float)(opt->lr * sqrt(1.0 - r->p2) / (1.0 - r->p1));
        br_trainer_sum_user_grads(tr);
        br_trainer_run(opt, br_trainer_reduce_update, tr);
        if (!tr->lazy) {
            br_trainer_run(opt, br_trainer_full_embedding_adam, tr);
            for (int k = 0; k < tr->n_units; k++) { /* keep untouched rows' gradients zero */
                float *pb, *P = br_trainer_unit_ptr(tr, k, &pb);
                memset(tr->grad + (P - m->params), 0, (size_t)tr->d * sizeof(float));
                if (pb) tr->grad[pb - m->params] = 0.0f;
            }
        }
        *done += (size_t)B;
        if (opt->progress && opt->progress_every > 0 && (bi + 1) % opt->progress_every == 0 && bi + 1 < r->n_batches)
            if (opt->progress(opt->progress_ctx, epoch, *done, n, *sq / (double)*done)) stop = 1;
    }
    if (opt->progress && !stop && opt->progress(opt->progress_ctx, epoch, *done, n, *sq / (double)*done)) stop = 1;
    return stop;
}

/* Fills the epoch's figures: training errors from the sums, validation errors on the effective books (tag models:
   q_i and b_i are copied aside first, and stay folded in until epoch_callback puts them back). */
static void epoch_figures(train_run *r, int epoch, double sq, double ab, size_t done, bookrec_epoch_stats *st) {
    trainer *tr = &r->tr;
    bookrec_model *m = r->m;
    const bookrec_triples *valid = r->valid;
    if (tr->tags) { /* q_i, b_i aside: validation and on_epoch see the effective books */
        memcpy(r->raw_items, m->item_emb, r->ni_d * sizeof *r->raw_items);
        memcpy(r->raw_items + r->ni_d, m->item_bias, (size_t)m->cfg.n_items * sizeof *r->raw_items);
    }
    memset(st, 0, sizeof *st);
    st->epoch = epoch;
    st->train_mse = sq / (double)done;
    st->train_rmse = sqrt(st->train_mse);
    st->train_mae = ab / (double)done;
    if (valid && valid->n) {
        tr->eval = valid;
        tr->eval_pk = r->vpk;
        if (tr->tags) fold_tags(tr, 1.0f);
        br_trainer_run(r->opt, br_trainer_eval_task, tr);
        double vs = 0.0, va = 0.0;
        for (int t = 0; t < r->T; t++) { vs += tr->eval_sums[2 * t]; va += tr->eval_sums[2 * t + 1]; }
        st->test_mse = vs / (double)valid->n;
        st->test_rmse = sqrt(st->test_mse);
        st->test_mae = va / (double)valid->n;
    } else {
        st->test_mse = st->test_rmse = st->test_mae = NAN;
    }
}

/* Calls on_epoch with the effective books and readers, then puts back what training works on; returns 1 when
   on_epoch asked to stop. */
static int epoch_callback(train_run *r, const bookrec_epoch_stats *st) {
    trainer *tr = &r->tr;
    bookrec_model *m = r->m;
    const bookrec_train_options *opt = r->opt;
    int stop = 0;
    if (tr->tags && !(r->valid && r->valid->n)) fold_tags(tr, 1.0f); /* on_epoch sees the effective books too */
    if (r->raw_users) { /* ... and the effective readers: p_u + s_u, then p_u back exactly */
        memcpy(r->raw_users, m->user_emb, r->nu_d * sizeof *r->raw_users);
        fold_implicit(tr, 1.0f);
    }
    if (opt->on_epoch && opt->on_epoch(opt->on_epoch_ctx, st)) stop = 1;
    if (r->raw_users) memcpy(m->user_emb, r->raw_users, r->nu_d * sizeof *r->raw_users);
    if (tr->tags) { /* back to q_i, b_i */
        memcpy(m->item_emb, r->raw_items, r->ni_d * sizeof *r->raw_items);
        memcpy(m->item_bias, r->raw_items + r->ni_d, (size_t)m->cfg.n_items * sizeof *r->raw_items);
    }
    return stop;
}

/* Early stopping: keeps a copy of the best epoch's parameters by validation RMSE; sets *stop after `patience`
   epochs without a better one. */
static int early_stopping(train_run *r, const bookrec_epoch_stats *st, int *stop, bookrec_error *err) {
    const bookrec_train_options *opt = r->opt;
    bookrec_model *m = r->m;
    if (!(opt->patience > 0 && r->valid && r->valid->n)) return BOOKREC_OK;
    if (st->test_rmse < r->best_rmse) {
        r->best_rmse = st->test_rmse;
        r->best_epoch = st->epoch;
        r->since_best = 0;
        if (!r->best) r->best = malloc(m->n_params * sizeof *r->best);
        if (!r->best) return br_fail(err, BOOKREC_E_NOMEM, "out of memory keeping the best epoch");
        memcpy(r->best, m->params, m->n_params * sizeof *r->best);
    } else if (++r->since_best >= opt->patience) {
        *stop = 1;
    }
    return BOOKREC_OK;
}

/* Checks packed ratings (`what`: training or validation) against m, and sums their ratings in order. */
static int packed_check(bookrec_model *m, const bookrec_packed *pk, const char *what, double *sum, bookrec_error *err) {
    if (!pk->rec) return br_fail(err, BOOKREC_E_ARG, "packed %s ratings: NULL records", what);
    if (m->cfg.implicit || m->cfg.n_tags > 0)
        return br_fail(err, BOOKREC_E_ARG, "bookrec_train_packed: implicit and tag models train from triples");
    double s = 0.0;
    for (size_t k = 0; k < pk->n; k++) {
        int32_t u, i;
        float v;
        bookrec_packed_get(pk, k, &u, &i, &v);
        if (u >= m->cfg.n_users || i >= m->cfg.n_items)
            return br_fail(err, BOOKREC_E_ARG, "packed %s rating %zu: user %d / item %d outside the model's "
                           "0..%d / 0..%d", what, k, (int)u, (int)i, m->cfg.n_users - 1, m->cfg.n_items - 1);
        s += v;
    }
    *sum = s;
    return BOOKREC_OK;
}

/* bookrec_train and bookrec_train_packed: exactly one of train and pk is set, and at most one of valid and vpk. */
static int train_main(bookrec_model *m, const bookrec_triples *train, bookrec_packed *pk, const bookrec_triples *valid,
                      const bookrec_packed *vpk, const bookrec_train_options *opt, bookrec_epoch_stats *history,
                      int max_history, int *n_history, bookrec_error *err) {
    bookrec_train_options def;
    if (!opt) { bookrec_train_options_default(&def); opt = &def; }
    bookrec_triples none = {0};
    if (pk) none.n = pk->n; /* train_check's count checks, on no arrays */
    int rc = train_check(m, pk ? &none : train, pk != NULL, valid, opt, err);
    if (rc) return rc;
    double psum = 0.0;
    if (pk && opt->group_users) return br_fail(err, BOOKREC_E_ARG, "bookrec_train_packed: group_users is not supported");
    if (pk && (rc = packed_check(m, pk, "training", &psum, err))) return rc;
    double vsum;
    if (vpk && (rc = packed_check(m, vpk, "validation", &vsum, err))) return rc;
    if (m->cfg.arch != BOOKREC_ARCH_SEED && m->cfg.global_mean == 0.0f) {
        double s = psum;
        if (!pk)
            for (size_t k = 0; k < train->n; k++) s += train->rating[k];
        m->cfg.global_mean = (float)(s / (double)(pk ? pk->n : train->n));
    }
    if (m->cfg.implicit && !m->imp_off && (rc = br_implicit_from_triples(m, train, err))) return rc;
    train_run r;
    memset(&r, 0, sizeof r);
    r.m = m;
    r.opt = opt;
    r.train = train;
    r.pk = pk;
    r.valid = valid;
    if (vpk) {
        r.vpk = vpk;
        r.vnone.n = vpk->n;
        r.valid = &r.vnone;
    }
    r.T = opt->n_tasks < 1 ? 1 : opt->n_tasks > 256 ? 256 : opt->n_tasks;
    r.batch = opt->batch;
    r.n = pk ? pk->n : train->n;
    r.n_batches = (r.n + (size_t)r.batch - 1) / (size_t)r.batch;
    r.p1 = r.p2 = 1.0;
    r.best_rmse = INFINITY;
    trainer *tr = &r.tr;
    /* lazy Adam keeps a gradient only for the rows each batch touches */
    int flags = BR_TRAINER_MOMENTS | (opt->lazy_adam ? BR_TRAINER_SPARSE_GRAD : 0) |
                (opt->reader_lr > 0.0f ? BR_TRAINER_READER_ROWWISE : 0);
    if ((rc = br_trainer_init(tr, m, r.T, r.batch, flags, err))) return rc;
    tr->mu = m->cfg.global_mean;
    tr->l2 = opt->l2;
    tr->l2_dense = opt->l2_dense;
    if ((opt->l2_row > 0.0f && (rc = br_trainer_row_coefficients(tr, train, pk, opt->l2, opt->l2_row, err))) ||
        (rc = run_alloc(&r, err))) {
        run_free(&r);
        return rc;
    }
    tr->b1 = opt->beta1;
    tr->b2 = opt->beta2;
    tr->eps = opt->eps;
    tr->lazy = opt->lazy_adam != 0;
    tr->reader_lr = opt->reader_lr;
    tr->do_adam = 1;
    br_rng_seed(&r.rng, opt->seed);
    m->has_users = 1;
    br_model_invalidate(m);
    rc = train_begin(&r, err);

    int stop = 0, nh = 0;
    for (int epoch = 1; epoch <= opt->epochs && !stop && !rc; epoch++) {
        shuffle_epoch(&r);
        double sq, ab;
        size_t done;
        stop = epoch_batches(&r, epoch, &sq, &ab, &done);
        bookrec_epoch_stats st;
        epoch_figures(&r, epoch, sq, ab, done, &st);
        if (history && nh < max_history) history[nh] = st;
        nh++;
        if (epoch_callback(&r, &st)) stop = 1;
        rc = early_stopping(&r, &st, &stop, err);
    }
    if (!rc && r.best && r.best_epoch != nh) memcpy(m->params, r.best, m->n_params * sizeof *r.best);
    if (tr->imp) fold_implicit(tr, 1.0f); /* back to the effective vectors */
    if (tr->tags) fold_tags(tr, 1.0f);
    run_free(&r);
    br_model_invalidate(m);
    if (n_history) *n_history = nh < max_history ? nh : (history ? max_history : nh);
    return rc ? rc : br_ok(err);
}

/* Trains m on `train`, evaluating on `valid` after every epoch (see bookrec.h). */
int bookrec_train(bookrec_model *m, const bookrec_triples *train, const bookrec_triples *valid,
                  const bookrec_train_options *opt, bookrec_epoch_stats *history, int max_history,
                  int *n_history, bookrec_error *err) {
    if (n_history) *n_history = 0;
    if (!m || !train) return br_fail(err, BOOKREC_E_ARG, "bookrec_train: NULL model or training data");
    return train_main(m, train, NULL, valid, NULL, opt, history, max_history, n_history, err);
}

/* Trains m on packed ratings, shuffled in place (see bookrec.h). */
int bookrec_train_packed(bookrec_model *m, bookrec_packed *train, const bookrec_packed *valid,
                         const bookrec_train_options *opt, bookrec_epoch_stats *history, int max_history,
                         int *n_history, bookrec_error *err) {
    if (n_history) *n_history = 0;
    if (!m || !train) return br_fail(err, BOOKREC_E_ARG, "bookrec_train_packed: NULL model or training data");
    return train_main(m, NULL, train, NULL, valid, opt, history, max_history, n_history, err);
}
