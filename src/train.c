/*
 * train.c - training and evaluation: mini-batch Adam on the mean squared error, as the tutorial trains
 * with Keras (lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-7, batch 64, a seeded shuffle every epoch).
 *
 * Threads stay outside: each batch is cut into opt->n_tasks equal slices whose forward and backward
 * passes br_trainer_run through the caller's parallel-for callback into per-task gradient buffers; a second
 * callback round reduces them in a fixed order and applies Adam, the dense layers split by rows and
 * the touched embedding rows split by row, so the same seed and n_tasks give a bit-identical model.
 * Embedding rows and biases get lazy Adam by default (only the rows a batch touches are updated, their
 * moments too, as TensorFlow Addons' LazyAdam; a row that occurs twice in a batch has its gradients
 * summed first); the dense layers get plain Adam. With reader_lr > 0 the readers' rows instead get row-wise
 * Adagrad (one accumulator per reader, as large-scale embedding trainers keep for their biggest tables), so
 * Adam's moments of those rows are never written and millions of readers cost a row and one float each.
 * Gradients and Adam moments are blocks parallel to the model's parameter block, allocated only here, never in
 * the batch loop.
 *
 * The loss of one batch of n examples is (1/n) sum_e [(y_e - r_e)^2 + l2 (|q_i|^2 + |p_u|^2 + b_i^2 + b_u^2)]
 * + l2_dense (|dense1_w|^2 + |dense2_w|^2): L2 on embedding rows and biases counts once per occurrence in
 * the batch, like the data term. Implicit (SVD++) models train p_u and the factors y_j of the items in
 * N(u) (each (example, j) pair is one occurrence of row j, L2 included); while training, user_emb holds p_u,
 * and the implicit sums are folded back into it when training ends. Tag models (n_tags > 0) train the book
 * vector q_i and bias b_i together with the tag rows g_t, c_t of the book's tags (the effective book is
 * q_i + sum_t w_it g_t, b_i + sum_t w_it c_t; each (example, tag) pair is one occurrence of the tag row, its
 * L2 weighted by w_it); while training item_emb / item_bias hold q_i / b_i, and the tag sums are folded into
 * them for validation and when training ends.
 * The epoch loop of bookrec_train (shuffling, early stopping, the callbacks) is in train_loop.c, which drives
 * the batch machinery here through trainer.h.
 * Not here: the model's structure (model.c), threads, printing.
 */
#include "internal.h"
#include "trainer.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Fills o with the tutorial's training setup. */
void bookrec_train_options_default(bookrec_train_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->epochs = 5;
    o->batch = 64;
    o->lr = 1e-3f;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-7f;
    o->lazy_adam = 1;
    o->seed = 1;
    o->n_tasks = 1;
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* out = p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j, with p_u as the parameter block holds it. */
static void effective_user(const trainer *tr, int u, float *out) {
    const bookrec_model *m = tr->m;
    int a = tr->imp_off[u], b = tr->imp_off[u + 1];
    br_model_implicit_sum(m, tr->imp_items + a, b - a, out);
    br_axpy(out, 1.0f, m->user_emb + (size_t)u * tr->d, tr->d);
}

/* The parameter row of unit k (and its bias, or NULL). */
float *br_trainer_unit_ptr(const trainer *tr, int k, float **bias) {
    bookrec_model *m = tr->m;
    int row = tr->unit_row[k];
    *bias = NULL;
    if (k >= tr->n_ut) { *bias = m->tag_bias + row; return m->tag_emb + (size_t)row * tr->d; }
    if (k >= tr->n_uy) return m->item_imp + (size_t)row * tr->d;
    int user = k >= tr->n_ui;
    if (tr->bias) *bias = (user ? m->user_bias : m->item_bias) + row;
    return (user ? m->user_emb : m->item_emb) + (size_t)row * tr->d;
}

/* ------------------------------------------------------------------ phase 1: forward + backward */

/* Loads one float of every cache line that examples will touch (parameters, gradient, Adam moments), so
   the misses overlap here instead of stalling the passes one by one. Plain loads, not prefetch hints:
   measured here (a VM), software prefetches of these rows were dropped and gained nothing. */
static float touch_rows(const trainer *tr, const int32_t *users, const int32_t *items, int n) {
    const bookrec_model *m = tr->m;
    size_t d = (size_t)tr->d;
    const float *base[4] = {m->params, tr->am, tr->av, tr->grad}; /* the gradient last: not read when sparse */
    int nb = tr->ugrad ? 3 : 4;
    size_t ue = (size_t)(m->user_emb - m->params), ie = (size_t)(m->item_emb - m->params);
    size_t ub = tr->bias ? (size_t)(m->user_bias - m->params) : 0, ib = tr->bias ? (size_t)(m->item_bias - m->params) : 0;
    float acc = 0.0f;
    for (int e = 0; e < n; e++) {
        size_t ou = ue + (size_t)users[e] * d, oi = ie + (size_t)items[e] * d;
        for (int k = 0; k < nb; k++) {
            const float *b = base[k];
            acc += b[ou] + b[ou + d - 1] + b[oi] + b[oi + d - 1];
            if (tr->bias) acc += b[ub + (size_t)users[e]] + b[ib + (size_t)items[e]];
        }
    }
    return acc;
}


void br_trainer_forward_backward(void *arg, int t) {
    trainer *tr = arg;
    bookrec_model *m = tr->m;
    task_buf *b = &tr->tb[t];
    int d = tr->d, H = tr->H, in_pad = tr->in_pad, egs = tr->egs;
    int lo = (int)((long long)tr->B * t / tr->T), hi = (int)((long long)tr->B * (t + 1) / tr->T);
    float *dW = b->dg, *db1 = dW + (size_t)H * in_pad, *dw2 = db1 + H, *db2 = dw2 + H;
    double sq = 0.0, ab = 0.0;
    if (tr->dense) memset(b->dg, 0, tr->dg_size * sizeof(float));
    for (int e = lo; e < hi; e++) {
        uint32_t k = tr->idx[e];
        int u = tr->data->user[k], i = tr->data->item[k];
        float r = tr->data->rating[k];
        const float *q = m->item_emb + (size_t)i * d, *p = m->user_emb + (size_t)u * d;
        float *ge = tr->eg + (size_t)e * egs;
        if (tr->imp) { /* p' = p_u + |N(u)|^-1/2 sum_j y_j, the sum computed once per batch and user */
            const float *us = tr->usum + (size_t)(tr->slot_u[u] - tr->n_ui) * d;
            for (int c = 0; c < d; c++) b->pe[c] = p[c] + us[c];
            p = b->pe;
        }
        float bi = tr->bias ? m->item_bias[i] : 0.0f;
        if (tr->tags) { /* q' = q_i + sum_t w_it g_t, b' = b_i + sum_t w_it c_t */
            float tb;
            br_model_tag_sum(m, i, b->qe, &tb);
            br_axpy(b->qe, 1.0f, q, d);
            q = b->qe;
            bi += tb;
        }
        float o = 0.0f, y, dy;
        float *h = b->h;
        if (tr->dense) {
            for (int k = 0; k < d; k++) { b->x[k] = q[k]; b->x[d + k] = p[k]; }
            br_dense_relu(h, tr->w1t, m->b1, b->x, tr->in, H);
            o = br_dot(m->w2, h, H) + m->b2[0];
        }
        if (tr->arch == BOOKREC_ARCH_SEED) {
            y = o > 0.0f ? o : 0.0f;
            dy = o > 0.0f ? 2.0f * (y - r) * tr->inv_b : 0.0f;
        } else {
            y = o + tr->mu + m->user_bias[u] + bi + br_dot(p, q, d);
            dy = 2.0f * (y - r) * tr->inv_b;
        }
        float er = y - r;
        sq += (double)er * er;
        ab += fabs((double)er);
        memset(ge, 0, (size_t)egs * sizeof(float));
        if (tr->dense && dy != 0.0f) {
            db2[0] += dy;
            float *dh = b->dh;
            br_relu_grad(dh, db1, dw2, h, m->w2, dy, H);
            memset(b->dx, 0, (size_t)in_pad * sizeof(float));
            br_relu_bwd(b->dx, dW, tr->w1p, b->x, dh, H, in_pad);
            for (int k = 0; k < 2 * d; k++) ge[k] = b->dx[k];
        }
        if (tr->bias) {
            br_axpy(ge, dy, p, d);
            br_axpy(ge + d, dy, q, d);
            ge[2 * d] = dy;
            ge[2 * d + 1] = dy;
        }
    }
    b->sq = sq;
    b->ab = ab;
    if (tr->next_n > 0) {
        int a0 = (int)((long long)tr->next_n * t / tr->T), a1 = (int)((long long)tr->next_n * (t + 1) / tr->T);
        b->sink = touch_rows(tr, tr->next_users + a0, tr->next_items + a0, a1 - a0);
    }
}

/* Implicit models, between the two phases: sums each distinct user's user-vector gradients over its examples. */
void br_trainer_sum_user_grads(trainer *tr) {
    if (!tr->imp) return;
    int d = tr->d;
    for (int k = tr->n_ui; k < tr->n_uy; k++) {
        int ku = k - tr->n_ui;
        float *gs = tr->gsum + (size_t)ku * d;
        memset(gs, 0, (size_t)d * sizeof *gs);
        float cnt = 0.0f;
        for (int e = tr->unit_first[k]; e >= 0; e = tr->next_u[e]) {
            br_axpy(gs, 1.0f, tr->eg + (size_t)e * tr->egs + d, d);
            cnt += 1.0f;
        }
        tr->ucnt[ku] = cnt;
    }
}

/* ------------------------------------------------------------------ phase 2: reduce + Adam */

static void adam1(trainer *tr, float *p, const float *g, int n) {
    size_t off = (size_t)(p - tr->m->params);
    br_adam(p, tr->am + off, tr->av + off, g, n, tr->lr_t, tr->b1, tr->b2, tr->eps);
}

/* Row-wise Adagrad on reader u's row P [d] and bias pb (may be NULL) with gradients G and gb: the reader's
   accumulator grows by the mean squared gradient over the row and its bias, and every weight of the row steps by
   reader_lr / (sqrt(accumulator) + eps) times its gradient. */
static void reader_adagrad(trainer *tr, int u, float *P, const float *G, float *pb, const float *gb) {
    int d = tr->d;
    double g2 = 0.0;
    for (int c = 0; c < d; c++) g2 += (double)G[c] * G[c];
    if (pb) g2 += (double)*gb * *gb;
    tr->racc[u] += (float)(g2 / (double)(d + (pb != NULL)));
    float step = tr->reader_lr / (sqrtf(tr->racc[u]) + tr->eps);
    br_axpy(P, -step, G, d);
    if (pb) *pb -= step * *gb;
}

void br_trainer_reduce_update(void *arg, int t) {
    trainer *tr = arg;
    bookrec_model *m = tr->m;
    int d = tr->d, T = tr->T;
    if (tr->dense) {
        int H = tr->H, in = tr->in, in_pad = tr->in_pad;
        int j0 = (int)((long long)H * t / T), j1 = (int)((long long)H * (t + 1) / T);
        float *gw1 = tr->grad + (m->w1 - m->params), *gb1 = tr->grad + (m->b1 - m->params);
        float *gw2 = tr->grad + (m->w2 - m->params);
        float l2d = 2.0f * tr->l2_dense;
        for (int j = j0; j < j1; j++) {
            float *g = gw1 + (size_t)j * in;
            const float *w = m->w1 + (size_t)j * in;
            for (int k = 0; k < in; k++) g[k] = l2d * w[k];
            gb1[j] = 0.0f;
            gw2[j] = l2d * m->w2[j];
            for (int s = 0; s < T; s++) {
                const float *dg = tr->tb[s].dg;
                const float *dW = dg + (size_t)j * in_pad, *db1 = dg + (size_t)H * in_pad, *dw2 = db1 + H;
                for (int k = 0; k < in; k++) g[k] += dW[k];
                gb1[j] += db1[j];
                gw2[j] += dw2[j];
            }
        }
        if (t == T - 1) {
            float *gb2 = tr->grad + (m->b2 - m->params);
            gb2[0] = 0.0f;
            for (int s = 0; s < T; s++) gb2[0] += tr->tb[s].dg[(size_t)H * in_pad + 2 * (size_t)H];
            if (tr->do_adam) adam1(tr, m->b2, gb2, 1);
        }
        if (tr->do_adam && j1 > j0) {
            adam1(tr, m->w1 + (size_t)j0 * in, gw1 + (size_t)j0 * in, (j1 - j0) * in);
            adam1(tr, m->b1 + j0, gb1 + j0, j1 - j0);
            adam1(tr, m->w2 + j0, gw2 + j0, j1 - j0);
            for (int j = j0; j < j1; j++)
                for (int k = 0; k < in; k++) {
                    float w = m->w1[(size_t)j * in + k];
                    tr->w1p[(size_t)j * in_pad + k] = w;
                    tr->w1t[(size_t)k * H + j] = w;
                }
        }
    }
    int u0 = (int)((long long)tr->n_units * t / T), u1 = (int)((long long)tr->n_units * (t + 1) / T);
    for (int k = u0; k < u1; k++) {
        int user = k >= tr->n_ui;
        float *pb, *P = br_trainer_unit_ptr(tr, k, &pb);
        const float *ca = k >= tr->n_ut ? NULL : k >= tr->n_uy ? tr->coef_y : user ? tr->coef_u : tr->coef_i;
        float l2s = 2.0f * (ca ? ca[tr->unit_row[k]] : tr->l2) * tr->inv_b;
        float *G = tr->ugrad ? tr->ugrad + (size_t)k * (size_t)(d + 1) : tr->grad + (P - m->params);
        float *gb = !pb ? NULL : tr->ugrad ? G + d : tr->grad + (pb - m->params);
        memset(G, 0, (size_t)d * sizeof(float));
        if (gb) *gb = 0.0f;
        if (k >= tr->n_ut) { /* tag t: each (example, t) pair adds w_it times the example's book gradient, and
                                 w_it times the L2 gradient */
            for (int a = tr->unit_first[k]; a >= 0; a = tr->tpair_next[a]) {
                const float *ge = tr->eg + (size_t)tr->tpair_e[a] * tr->egs;
                float w = tr->tpair_w[a];
                for (int c = 0; c < d; c++) G[c] += w * (ge[c] + l2s * P[c]);
                *gb += w * (ge[2 * d] + l2s * *pb);
            }
        } else if (k >= tr->n_uy) { /* y_j: each (user, j) pair adds |N(u)|^-1/2 times the user's summed vector
                                gradient, and L2 once per example of that user */
            for (int a = tr->unit_first[k]; a >= 0; a = tr->pair_next[a]) {
                int ku = tr->pair_e[a];
                const float *gs = tr->gsum + (size_t)ku * d;
                float c = tr->ec[ku], l = l2s * tr->ucnt[ku];
                for (int j = 0; j < d; j++) G[j] += c * gs[j] + l * P[j];
            }
        } else {
            const int32_t *next = user ? tr->next_u : tr->next_i;
            int off = user ? d : 0;
            for (int e = tr->unit_first[k]; e >= 0; e = next[e]) {
                const float *ge = tr->eg + (size_t)e * tr->egs;
                for (int c = 0; c < d; c++) G[c] += ge[off + c] + l2s * P[c];
                if (gb) *gb += ge[2 * d + user] + l2s * *pb;
            }
        }
        if (tr->do_adam && tr->lazy && user && k < tr->n_uy && tr->racc) {
            reader_adagrad(tr, tr->unit_row[k], P, G, pb, gb);
        } else if (tr->do_adam && tr->lazy) {
            adam1(tr, P, G, d);
            if (pb) adam1(tr, pb, gb, 1);
        }
    }
}

/* Dense (not lazy) Adam over every embedding row, split by range. */
void br_trainer_full_embedding_adam(void *arg, int t) {
    trainer *tr = arg;
    bookrec_model *m = tr->m;
    const bookrec_model_config *c = &m->cfg;
    float *ten[7] = {m->item_emb, m->user_emb, m->item_bias, m->user_bias, m->item_imp, m->tag_emb, m->tag_bias};
    size_t len[7] = {(size_t)c->n_items * c->dim, (size_t)c->n_users * c->dim, (size_t)c->n_items,
                     (size_t)c->n_users, (size_t)c->n_items * c->dim, (size_t)c->n_tags * c->dim, (size_t)c->n_tags};
    for (int k = 0; k < 7; k++) {
        if (!ten[k]) continue;
        size_t a = len[k] * (size_t)t / (size_t)tr->T, b = len[k] * (size_t)(t + 1) / (size_t)tr->T;
        if (b > a) adam1(tr, ten[k] + a, tr->grad + (ten[k] + a - m->params), (int)(b - a));
    }
}

/* ------------------------------------------------------------------ setup */

void br_trainer_run(const bookrec_train_options *o, bookrec_task_fn fn, trainer *tr) {
    if (o && o->parallel && tr->T > 1) o->parallel(o->parallel_ctx, fn, tr, tr->T);
    else for (int t = 0; t < tr->T; t++) fn(tr, t);
}

void br_trainer_free(trainer *tr) {
    free(tr->w1p); free(tr->w1t); free(tr->grad); free(tr->ugrad); free(tr->am); free(tr->av); free(tr->racc);
    free(tr->tb); free(tr->dg_mem); free(tr->scratch_mem); free(tr->eg);
    free(tr->mark_i); free(tr->mark_u); free(tr->slot_i); free(tr->slot_u);
    free(tr->unit_row); free(tr->unit_first); free(tr->unit_last); free(tr->next_i); free(tr->next_u);
    free(tr->mark_y); free(tr->slot_y); free(tr->pair_e); free(tr->pair_next); free(tr->ec);
    free(tr->usum); free(tr->gsum); free(tr->ucnt);
    free(tr->eval_sums); free(tr->coef_mem);
    free(tr->mark_t); free(tr->slot_t); free(tr->tpair_e); free(tr->tpair_next); free(tr->tpair_w);
}

/* Allocates everything the batch loop needs, as flags (BR_TRAINER_*) say. */
int br_trainer_init(trainer *tr, bookrec_model *m, int T, int max_batch, int flags, bookrec_error *err) {
    int with_moments = flags & BR_TRAINER_MOMENTS;
    const bookrec_model_config *c = &m->cfg;
    memset(tr, 0, sizeof *tr);
    tr->m = m;
    tr->arch = c->arch;
    tr->d = c->dim;
    tr->dense = c->arch != BOOKREC_ARCH_MF;
    tr->bias = c->arch != BOOKREC_ARCH_SEED;
    tr->H = tr->dense ? c->hidden : 0;
    tr->in = 2 * c->dim;
    tr->in_pad = (int)((tr->in + 7) & ~7);
    tr->egs = 2 * c->dim + 2;
    tr->mu = c->global_mean;
    tr->T = T;
    tr->lazy = 1;
    if (c->implicit) {
        if (!m->imp_off) return br_fail(err, BOOKREC_E_STATE, "implicit model without implicit sets N(u)");
        tr->imp = 1;
        tr->imp_off = m->imp_off;
        tr->imp_items = m->imp_items;
        int32_t max_n = 0;
        for (int u = 0; u < c->n_users; u++)
            if (m->imp_off[u + 1] - m->imp_off[u] > max_n) max_n = m->imp_off[u + 1] - m->imp_off[u];
        tr->max_pairs = (size_t)max_batch * (size_t)max_n;
    }
    if (c->n_tags > 0) {
        if (!m->tag_off) return br_fail(err, BOOKREC_E_STATE, "tag model without item tags (bookrec_model_set_tags)");
        tr->tags = 1;
        int32_t max_n = 0;
        for (int i = 0; i < c->n_items; i++)
            if (m->tag_off[i + 1] - m->tag_off[i] > max_n) max_n = m->tag_off[i + 1] - m->tag_off[i];
        tr->max_tpairs = (size_t)max_batch * (size_t)max_n;
    }
    size_t np = m->n_params, H = (size_t)tr->H, in = (size_t)tr->in, in_pad = (size_t)tr->in_pad;
    tr->dg_size = tr->dense ? H * in_pad + 2 * H + 1 : 0;
    size_t scr = round16(in_pad) * 2 + round16(H) * 2 + round16((size_t)tr->d) * 2;
    tr->grad = calloc(np, sizeof(float));
    if (with_moments) {
        tr->am = calloc(np, sizeof(float));
        tr->av = calloc(np, sizeof(float));
    }
    tr->tb = calloc((size_t)T, sizeof *tr->tb);
    tr->dg_mem = calloc(round16(tr->dg_size + 1) * T, sizeof(float));
    tr->scratch_mem = calloc(scr * T, sizeof(float));
    tr->eg = calloc((size_t)max_batch * tr->egs, sizeof(float));
    tr->mark_i = malloc((size_t)c->n_items * sizeof(int32_t));
    tr->mark_u = malloc((size_t)c->n_users * sizeof(int32_t));
    tr->slot_i = malloc((size_t)c->n_items * sizeof(int32_t));
    tr->slot_u = malloc((size_t)c->n_users * sizeof(int32_t));
    size_t mb = (size_t)max_batch;
    size_t mu = 2 * mb + tr->max_pairs + tr->max_tpairs;
    tr->unit_row = malloc(mu * sizeof(int32_t));
    tr->unit_first = malloc(mu * sizeof(int32_t));
    tr->unit_last = malloc(mu * sizeof(int32_t));
    if (flags & BR_TRAINER_SPARSE_GRAD) tr->ugrad = malloc(mu * ((size_t)c->dim + 1) * sizeof(float));
    if (flags & BR_TRAINER_READER_ROWWISE) tr->racc = calloc((size_t)c->n_users, sizeof(float));
    if (tr->imp) {
        tr->mark_y = malloc((size_t)c->n_items * sizeof(int32_t));
        tr->slot_y = malloc((size_t)c->n_items * sizeof(int32_t));
        tr->pair_e = malloc((tr->max_pairs + 1) * sizeof(int32_t));
        tr->pair_next = malloc((tr->max_pairs + 1) * sizeof(int32_t));
        tr->ec = malloc(mb * sizeof(float));
        tr->usum = malloc(mb * (size_t)c->dim * sizeof(float));
        tr->gsum = malloc(mb * (size_t)c->dim * sizeof(float));
        tr->ucnt = malloc(mb * sizeof(float));
    }
    if (tr->tags) {
        tr->mark_t = malloc((size_t)c->n_tags * sizeof(int32_t));
        tr->slot_t = malloc((size_t)c->n_tags * sizeof(int32_t));
        tr->tpair_e = malloc((tr->max_tpairs + 1) * sizeof(int32_t));
        tr->tpair_next = malloc((tr->max_tpairs + 1) * sizeof(int32_t));
        tr->tpair_w = malloc((tr->max_tpairs + 1) * sizeof(float));
    }
    tr->next_i = malloc(mb * sizeof(int32_t));
    tr->next_u = malloc(mb * sizeof(int32_t));
    tr->eval_sums = calloc(2 * (size_t)T, sizeof(double));
    if (tr->dense) {
        tr->w1p = calloc(H * in_pad, sizeof(float));
        tr->w1t = malloc(H * in * sizeof(float));
    }
    if (!tr->grad || (with_moments && (!tr->am || !tr->av)) || ((flags & BR_TRAINER_SPARSE_GRAD) && !tr->ugrad) ||
        ((flags & BR_TRAINER_READER_ROWWISE) && !tr->racc) || !tr->tb || !tr->dg_mem || !tr->scratch_mem ||
        !tr->eg || !tr->mark_i || !tr->mark_u || !tr->slot_i || !tr->slot_u || !tr->unit_row || !tr->unit_first ||
        !tr->unit_last || !tr->next_i || !tr->next_u || !tr->eval_sums || (tr->dense && (!tr->w1p || !tr->w1t)) ||
        (tr->imp && (!tr->mark_y || !tr->slot_y || !tr->pair_e || !tr->pair_next || !tr->ec || !tr->usum || !tr->gsum ||
                     !tr->ucnt)) ||
        (tr->tags && (!tr->mark_t || !tr->slot_t || !tr->tpair_e || !tr->tpair_next || !tr->tpair_w))) {
        br_trainer_free(tr);
        return br_fail(err, BOOKREC_E_NOMEM, "out of memory for training buffers");
    }
    memset(tr->mark_i, 0xff, (size_t)c->n_items * sizeof(int32_t));
    memset(tr->mark_u, 0xff, (size_t)c->n_users * sizeof(int32_t));
    if (tr->imp) memset(tr->mark_y, 0xff, (size_t)c->n_items * sizeof(int32_t));
    if (tr->tags) memset(tr->mark_t, 0xff, (size_t)c->n_tags * sizeof(int32_t));
    for (int t = 0; t < T; t++) {
        task_buf *b = &tr->tb[t];
        b->dg = tr->dg_mem + round16(tr->dg_size + 1) * t;
        float *s = tr->scratch_mem + scr * t;
        b->x = s;
        b->dx = s + round16(in_pad);
        b->h = s + 2 * round16(in_pad);
        b->dh = b->h + round16(H);
        b->pe = b->dh + round16(H);
        b->qe = b->pe + round16((size_t)tr->d);
    }
    if (tr->dense)
        for (size_t j = 0; j < H; j++)
            for (size_t k = 0; k < in; k++) {
                tr->w1p[j * in_pad + k] = m->w1[j * in + k];
                tr->w1t[k * H + j] = m->w1[j * in + k];
            }
    return BOOKREC_OK;
}

/* Points the trainer at examples idx[0..B) of data and lists the rows they touch. */
void br_trainer_set_batch(trainer *tr, const bookrec_triples *data, const uint32_t *idx, int B) {
    tr->data = data;
    tr->idx = idx;
    tr->B = B;
    tr->inv_b = 1.0f / (float)B;
    tr->stamp++;
    int n = 0;
    for (int side = 0; side < 2; side++) {
        int32_t *mark = side ? tr->mark_u : tr->mark_i, *slot = side ? tr->slot_u : tr->slot_i;
        int32_t *next = side ? tr->next_u : tr->next_i;
        const int32_t *rows = side ? data->user : data->item;
        for (int e = 0; e < B; e++) {
            int r = rows[idx[e]];
            next[e] = -1;
            if (mark[r] != tr->stamp) {
                mark[r] = tr->stamp;
                slot[r] = n;
                tr->unit_row[n] = r;
                tr->unit_first[n] = tr->unit_last[n] = e;
                n++;
            } else {
                int s = slot[r];
                next[tr->unit_last[s]] = e;
                tr->unit_last[s] = e;
            }
        }
        if (!side) tr->n_ui = n;
    }
    tr->n_uy = n;
    if (tr->imp) { /* pairs (distinct user of the batch, j in N(u)) */
        int np = 0;
        for (int ku = 0; ku < tr->n_uy - tr->n_ui; ku++) {
            int u = tr->unit_row[tr->n_ui + ku], a = tr->imp_off[u], b = tr->imp_off[u + 1];
            tr->ec[ku] = b > a ? 1.0f / sqrtf((float)(b - a)) : 0.0f;
            for (int k = a; k < b; k++, np++) {
                int r = tr->imp_items[k];
                tr->pair_e[np] = ku;
                tr->pair_next[np] = -1;
                if (tr->mark_y[r] != tr->stamp) {
                    tr->mark_y[r] = tr->stamp;
                    tr->slot_y[r] = n;
                    tr->unit_row[n] = r;
                    tr->unit_first[n] = tr->unit_last[n] = np;
                    n++;
                } else {
                    int sl = tr->slot_y[r];
                    tr->pair_next[tr->unit_last[sl]] = np;
                    tr->unit_last[sl] = np;
                }
            }
        }
        /* each distinct user's implicit sum, once for the batch */
        for (int ku = 0; ku < tr->n_uy - tr->n_ui; ku++) {
            int u = tr->unit_row[tr->n_ui + ku], a = tr->imp_off[u];
            br_model_implicit_sum(tr->m, tr->imp_items + a, tr->imp_off[u + 1] - a, tr->usum + (size_t)ku * tr->d);
        }
    }
    tr->n_ut = n;
    if (tr->tags) { /* pairs (example, tag of its book) */
        const bookrec_model *m = tr->m;
        int np = 0;
        for (int e = 0; e < B; e++) {
            int i = data->item[idx[e]];
            for (int k = m->tag_off[i]; k < m->tag_off[i + 1]; k++, np++) {
                int r = m->tag_idx[k];
                tr->tpair_e[np] = e;
                tr->tpair_w[np] = m->tag_w[k];
                tr->tpair_next[np] = -1;
                if (tr->mark_t[r] != tr->stamp) {
                    tr->mark_t[r] = tr->stamp;
                    tr->slot_t[r] = n;
                    tr->unit_row[n] = r;
                    tr->unit_first[n] = tr->unit_last[n] = np;
                    n++;
                } else {
                    int sl = tr->slot_t[r];
                    tr->tpair_next[tr->unit_last[sl]] = np;
                    tr->unit_last[sl] = np;
                }
            }
        }
    }
    tr->n_units = n;
}

int br_check_triples(const bookrec_model *m, const bookrec_triples *t, const char *what, bookrec_error *err) {
    if (t->n && (!t->user || !t->item || !t->rating))
        return br_fail(err, BOOKREC_E_ARG, "%s triples: NULL arrays", what);
    for (size_t k = 0; k < t->n; k++) {
        if (t->user[k] < 0 || t->user[k] >= m->cfg.n_users)
            return br_fail(err, BOOKREC_E_ARG, "%s triple %zu: user index %d out of range 0..%d", what, k,
                           (int)t->user[k], m->cfg.n_users - 1);
        if (t->item[k] < 0 || t->item[k] >= m->cfg.n_items)
            return br_fail(err, BOOKREC_E_ARG, "%s triple %zu: item index %d out of range 0..%d", what, k,
                           (int)t->item[k], m->cfg.n_items - 1);
        if (!isfinite(t->rating[k]))
            return br_fail(err, BOOKREC_E_ARG, "%s triple %zu: rating is not a finite number", what, k);
    }
    return BOOKREC_OK;
}

/* ------------------------------------------------------------------ gradient of one batch (tests) */

int br_model_loss_grad(bookrec_model *m, const int32_t *users, const int32_t *items, const float *ratings, int n,
                       float l2, float l2_dense, int n_tasks, float *grad, double *loss, bookrec_error *err) {
    br_reg reg = {l2, l2_dense, NULL, NULL, NULL};
    return br_model_loss_grad_ex(m, users, items, ratings, n, &reg, n_tasks, grad, loss, err);
}

int br_model_loss_grad_ex(bookrec_model *m, const int32_t *users, const int32_t *items, const float *ratings, int n,
                          const br_reg *rg, int n_tasks, float *grad, double *loss, bookrec_error *err) {
    if (!m || !users || !items || !ratings || n <= 0 || !grad || n_tasks < 1 || !rg)
        return br_fail(err, BOOKREC_E_ARG, "br_model_loss_grad: bad arguments");
    bookrec_triples t = {(int32_t *)users, (int32_t *)items, (float *)ratings, (size_t)n};
    int rc = br_check_triples(m, &t, "batch", err);
    if (rc) return rc;
    trainer tr;
    if ((rc = br_trainer_init(&tr, m, n_tasks, n, 0, err))) return rc;
    uint32_t *idx = malloc((size_t)n * sizeof *idx);
    if (!idx) { br_trainer_free(&tr); return br_fail(err, BOOKREC_E_NOMEM, "out of memory"); }
    for (int k = 0; k < n; k++) idx[k] = (uint32_t)k;
    float l2 = rg->l2, l2_dense = rg->l2_dense;
    tr.l2 = l2;
    tr.l2_dense = l2_dense;
    tr.coef_i = rg->coef_i;
    tr.coef_u = rg->coef_u;
    tr.coef_y = rg->coef_y;
    br_trainer_set_batch(&tr, &t, idx, n);
    br_trainer_run(NULL, br_trainer_forward_backward, &tr);
    br_trainer_sum_user_grads(&tr);
    br_trainer_run(NULL, br_trainer_reduce_update, &tr);
    memset(grad, 0, m->n_params * sizeof(float));
    double sq = 0.0, reg = 0.0;
    for (int s = 0; s < n_tasks; s++) sq += tr.tb[s].sq;
    /* copy the gradient of what the batch touched */
    int d = m->cfg.dim;
    for (int k = 0; k < tr.n_units; k++) {
        float *pb, *P = br_trainer_unit_ptr(&tr, k, &pb);
        size_t off = (size_t)(P - m->params);
        memcpy(grad + off, tr.grad + off, (size_t)d * sizeof(float));
        if (pb) grad[pb - m->params] = tr.grad[pb - m->params];
    }
    if (tr.dense) {
        size_t a = (size_t)(m->w1 - m->params), b = (size_t)(m->b2 - m->params) + 1;
        memcpy(grad + a, tr.grad + a, (b - a) * sizeof(float));
        for (size_t k = 0; k < (size_t)m->cfg.hidden * 2 * d; k++) reg += (double)l2_dense * m->w1[k] * m->w1[k];
        for (int k = 0; k < m->cfg.hidden; k++) reg += (double)l2_dense * m->w2[k] * m->w2[k];
    }
    for (int e = 0; e < n; e++) {
        int u = users[e], i = items[e];
        const float *q = m->item_emb + (size_t)i * d, *p = m->user_emb + (size_t)u * d;
        double si = 0.0, su = 0.0, sy = 0.0;
        for (int c = 0; c < d; c++) { si += (double)q[c] * q[c]; su += (double)p[c] * p[c]; }
        if (tr.bias) {
            si += (double)m->item_bias[i] * m->item_bias[i];
            su += (double)m->user_bias[u] * m->user_bias[u];
        }
        if (tr.imp)
            for (int k = m->imp_off[u]; k < m->imp_off[u + 1]; k++) {
                int j = m->imp_items[k];
                const float *y = m->item_imp + (size_t)j * d;
                double s2 = 0.0;
                for (int c = 0; c < d; c++) s2 += (double)y[c] * y[c];
                sy += (rg->coef_y ? rg->coef_y[j] : l2) * s2;
            }
        if (tr.tags)
            for (int k = m->tag_off[i]; k < m->tag_off[i + 1]; k++) {
                int t = m->tag_idx[k];
                const float *g = m->tag_emb + (size_t)t * d;
                double s2 = (double)m->tag_bias[t] * m->tag_bias[t];
                for (int c = 0; c < d; c++) s2 += (double)g[c] * g[c];
                sy += (double)l2 * m->tag_w[k] * s2;
            }
        reg += ((rg->coef_i ? rg->coef_i[i] : l2) * si + (rg->coef_u ? rg->coef_u[u] : l2) * su + sy) / n;
    }
    if (loss) *loss = sq / n + reg;
    free(idx);
    br_trainer_free(&tr);
    return br_ok(err);
}

/* Per-occurrence L2 coefficients l2 + l2_row / occurrences of the row in one epoch over t (items, users and, for
   implicit models, the factors y_j, which occur once per rating of every user whose N(u) holds j). */
int br_trainer_row_coefficients(trainer *tr, const bookrec_triples *t, const bookrec_packed *pk, float l2,
                                float l2_row, bookrec_error *err) {
    bookrec_model *m = tr->m;
    size_t ni = (size_t)m->cfg.n_items, nu = (size_t)m->cfg.n_users;
    size_t total = ni + nu + (tr->imp ? ni : 0);
    double *occ = calloc(total, sizeof *occ);
    tr->coef_mem = malloc(total * sizeof(float));
    if (!occ || !tr->coef_mem) { free(occ); return br_fail(err, BOOKREC_E_NOMEM, "out of memory for L2 weights"); }
    double *oi = occ, *ou = occ + ni, *oy = occ + ni + nu;
    if (t)
        for (size_t k = 0; k < t->n; k++) { oi[t->item[k]] += 1.0; ou[t->user[k]] += 1.0; }
    else
        for (size_t k = 0; k < pk->n; k++) {
            int32_t u, i;
            float v;
            bookrec_packed_get(pk, k, &u, &i, &v);
            oi[i] += 1.0;
            ou[u] += 1.0;
        }
    if (tr->imp)
        for (size_t u = 0; u < nu; u++)
            for (int a = m->imp_off[u]; a < m->imp_off[u + 1]; a++) oy[m->imp_items[a]] += ou[u];
    for (size_t k = 0; k < total; k++) tr->coef_mem[k] = l2 + (occ[k] > 0.0 ? (float)(l2_row / occ[k]) : 0.0f);
    tr->coef_i = tr->coef_mem;
    tr->coef_u = tr->coef_mem + ni;
    tr->coef_y = tr->imp ? tr->coef_mem + ni + nu : NULL;
    free(occ);
    return BOOKREC_OK;
}

/* ------------------------------------------------------------------ evaluation */

void br_trainer_eval_task(void *arg, int t) {
    trainer *tr = arg;
    const bookrec_triples *v = tr->eval;
    const bookrec_packed *pk = tr->eval_pk;
    bookrec_model *m = tr->m;
    size_t lo = v->n * (size_t)t / (size_t)tr->T, hi = v->n * (size_t)(t + 1) / (size_t)tr->T;
    double sq = 0.0, ab = 0.0;
    int d = m->cfg.dim;
    for (size_t k = lo; k < hi; k++) {
        int32_t u, item;
        float rating;
        if (pk) bookrec_packed_get(pk, k, &u, &item, &rating);
        else u = v->user[k], item = v->item[k], rating = v->rating[k];
        float bu = m->user_bias ? m->user_bias[u] : 0.0f;
        const float *p = m->user_emb + (size_t)u * d;
        if (tr->imp) { effective_user(tr, u, tr->tb[t].pe); p = tr->tb[t].pe; }
        float y = br_model_clamp(m, br_model_raw(m, tr->w1t, p, bu, item));
        double e = (double)y - rating;
        sq += e * e;
        ab += fabs(e);
    }
    tr->eval_sums[2 * t] = sq;
    tr->eval_sums[2 * t + 1] = ab;
}

/* Mean squared and absolute error of m on t. */
int bookrec_evaluate(const bookrec_model *m, const bookrec_triples *t, double *mse, double *mae, bookrec_error *err) {
    if (!m || !t) return br_fail(err, BOOKREC_E_ARG, "bookrec_evaluate: NULL argument");
    if (br_is_topn(&m->cfg))
        return br_fail(err, BOOKREC_E_STATE, "bookrec_evaluate: a top-N model ranks books and predicts no ratings");
    if (!m->has_users) return br_fail(err, BOOKREC_E_STATE, "the model's users part is not loaded");
    if (t->n == 0) return br_fail(err, BOOKREC_E_EMPTY, "bookrec_evaluate: no triples to evaluate");
    int rc = br_check_triples(m, t, "evaluation", err);
    if (rc) return rc;
    double sq = 0.0, ab = 0.0;
    int d = m->cfg.dim;
    for (size_t k = 0; k < t->n; k++) {
        int u = t->user[k];
        float bu = m->user_bias ? m->user_bias[u] : 0.0f;
        float y = br_model_clamp(m, br_model_raw(m, m->prepared ? m->w1t : NULL, m->user_emb + (size_t)u * d, bu,
                                                 t->item[k]));
        double e = (double)y - t->rating[k];
        sq += e * e;
        ab += fabs(e);
    }
    if (mse) *mse = sq / (double)t->n;
    if (mae) *mae = ab / (double)t->n;
    return br_ok(err);
}

/* ------------------------------------------------------------------ training */

/* N(u) = the items each user rated in t (CSR), for implicit models trained without explicit sets. */
int br_implicit_from_triples(bookrec_model *m, const bookrec_triples *t, bookrec_error *err) {
    int nu = m->cfg.n_users;
    if (t->n > 0x7FFFFFFF) return br_fail(err, BOOKREC_E_ARG, "too many ratings for implicit sets");
    int32_t *off = calloc((size_t)nu + 1, sizeof *off), *items = malloc((t->n ? t->n : 1) * sizeof *items);
    int32_t *fill = calloc((size_t)nu, sizeof *fill);
    if (!off || !items || !fill) {
        free(off); free(items); free(fill);
        return br_fail(err, BOOKREC_E_NOMEM, "out of memory for implicit sets");
    }
    for (size_t k = 0; k < t->n; k++) off[t->user[k] + 1]++;
    for (int u = 0; u < nu; u++) off[u + 1] += off[u];
    for (size_t k = 0; k < t->n; k++) items[off[t->user[k]] + fill[t->user[k]]++] = t->item[k];
    int rc = bookrec_model_set_implicit(m, off, items, err);
    free(off); free(items); free(fill);
    return rc;
}
