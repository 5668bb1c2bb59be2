/*
 * baseline.c - the reference predictors that `bookrec eval` shows beside the trained models: the
 * global mean, and the user+book bias model mu + b_u + b_i fitted by regularised alternating least
 * squares (closed-form b_i given b_u, then b_u given b_i, a few rounds). They need no training loop and
 * no randomness, so they are exact and cheap yardsticks. Not a model of the model file format: the
 * baselines are refitted on the training part whenever they are needed, never saved.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int check_triples(const bookrec_triples *t, bookrec_error *err) {
    if (!t) return br_fail(err, BOOKREC_E_ARG, "baseline: triples are NULL");
    if (t->n && (!t->user || !t->item || !t->rating))
        return br_fail(err, BOOKREC_E_ARG, "baseline: triples have NULL arrays");
    return BOOKREC_OK;
}

int bookrec_global_mean(const bookrec_triples *t, double *mu, bookrec_error *err) {
    int st = check_triples(t, err);
    if (st) return st;
    if (!mu) return br_fail(err, BOOKREC_E_ARG, "global mean: output is NULL");
    if (t->n == 0) return br_fail(err, BOOKREC_E_EMPTY, "global mean: no ratings");
    double s = 0;
    for (size_t k = 0; k < t->n; k++) s += t->rating[k];
    *mu = s / (double)t->n;
    return br_ok(err);
}

void bookrec_bias_free(bookrec_bias_model *b) {
    if (!b) return;
    free(b->user_bias);
    free(b->item_bias);
    free(b);
}

int bookrec_bias_fit(const bookrec_triples *train, int n_users, int n_items, const bookrec_bias_options *opt,
                     bookrec_bias_model **out, bookrec_error *err) {
    if (!out) return br_fail(err, BOOKREC_E_ARG, "bias baseline: output is NULL");
    *out = NULL;
    int st = check_triples(train, err);
    if (st) return st;
    if (n_users <= 0 || n_items <= 0)
        return br_fail(err, BOOKREC_E_ARG, "bias baseline: expected n_users and n_items > 0, got %d and %d", n_users,
                       n_items);
    if (train->n == 0) return br_fail(err, BOOKREC_E_EMPTY, "bias baseline: no training ratings");
    int iters = opt && opt->iters > 0 ? opt->iters : 10;
    float li = opt && opt->lambda_item != 0 ? opt->lambda_item : 5.0f;
    float lu = opt && opt->lambda_user != 0 ? opt->lambda_user : 5.0f;
    if (li < 0) li = 0;
    if (lu < 0) lu = 0;
    if (!isfinite(li) || !isfinite(lu)) return br_fail(err, BOOKREC_E_ARG, "bias baseline: lambda is not finite");

    bookrec_bias_model *b = calloc(1, sizeof *b);
    double *sum_u = calloc((size_t)n_users, sizeof(double));
    double *sum_i = calloc((size_t)n_items, sizeof(double));
    int *cnt_u = calloc((size_t)n_users, sizeof(int));
    int *cnt_i = calloc((size_t)n_items, sizeof(int));
    if (b) {
        b->user_bias = calloc((size_t)n_users, sizeof(float));
        b->item_bias = calloc((size_t)n_items, sizeof(float));
    }
    if (!b || !sum_u || !sum_i || !cnt_u || !cnt_i || !b->user_bias || !b->item_bias) {
        bookrec_bias_free(b);
        free(sum_u);
        free(sum_i);
        free(cnt_u);
        free(cnt_i);
        return br_fail(err, BOOKREC_E_NOMEM, "bias baseline: out of memory");
    }
    b->n_users = n_users;
    b->n_items = n_items;
    double mu = 0;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < train->n; k++) {
        int u = train->user[k], i = train->item[k];
        float r = train->rating[k];
        if (u < 0 || u >= n_users || i < 0 || i >= n_items || !isfinite(r)) {
            bookrec_bias_free(b);
            free(sum_u);
            free(sum_i);
            free(cnt_u);
            free(cnt_i);
            return br_fail(err, BOOKREC_E_ARG,
                           "bias baseline: triple %zu out of range (user %d of %d, item %d of %d, rating %g)", k, u,
                           n_users, i, n_items, (double)r);
        }
        mu += r;
        cnt_u[u]++;
        cnt_i[i]++;
        if (r < lo) lo = r;
        if (r > hi) hi = r;
    }
    mu /= (double)train->n;
    b->mu = (float)mu;
    b->min_rating = lo;
    b->max_rating = hi;

    for (int it = 0; it < iters; it++) {
        memset(sum_i, 0, sizeof(double) * (size_t)n_items);
        for (size_t k = 0; k < train->n; k++)
            sum_i[train->item[k]] += train->rating[k] - mu - b->user_bias[train->user[k]];
        for (int i = 0; i < n_items; i++) b->item_bias[i] = (float)(sum_i[i] / (li + cnt_i[i] + 1e-12));
        memset(sum_u, 0, sizeof(double) * (size_t)n_users);
        for (size_t k = 0; k < train->n; k++)
            sum_u[train->user[k]] += train->rating[k] - mu - b->item_bias[train->item[k]];
        for (int u = 0; u < n_users; u++) b->user_bias[u] = (float)(sum_u[u] / (lu + cnt_u[u] + 1e-12));
    }
    free(sum_u);
    free(sum_i);
    free(cnt_u);
    free(cnt_i);
    *out = b;
    return br_ok(err);
}

float bookrec_bias_predict(const bookrec_bias_model *b, int user, int item) {
    if (!b) return NAN;
    float p = b->mu;
    if (user >= 0 && user < b->n_users) p += b->user_bias[user];
    if (item >= 0 && item < b->n_items) p += b->item_bias[item];
    if (p < b->min_rating) p = b->min_rating;
    if (p > b->max_rating) p = b->max_rating;
    return p;
}

int bookrec_bias_evaluate(const bookrec_bias_model *b, const bookrec_triples *t, double *mse, double *mae,
                          bookrec_error *err) {
    if (!b) return br_fail(err, BOOKREC_E_ARG, "bias baseline: model is NULL");
    int st = check_triples(t, err);
    if (st) return st;
    if (t->n == 0) return br_fail(err, BOOKREC_E_EMPTY, "bias baseline: no ratings to evaluate");
    double se = 0, ae = 0;
    for (size_t k = 0; k < t->n; k++) {
        double d = (double)bookrec_bias_predict(b, t->user[k], t->item[k]) - t->rating[k];
        se += d * d;
        ae += fabs(d);
    }
    if (mse) *mse = se / (double)t->n;
    if (mae) *mae = ae / (double)t->n;
    return br_ok(err);
}

int bookrec_constant_evaluate(double value, const bookrec_triples *t, double *mse, double *mae, bookrec_error *err) {
    int st = check_triples(t, err);
    if (st) return st;
    if (!isfinite(value)) return br_fail(err, BOOKREC_E_ARG, "constant baseline: value is not finite");
    if (t->n == 0) return br_fail(err, BOOKREC_E_EMPTY, "constant baseline: no ratings to evaluate");
    double se = 0, ae = 0;
    for (size_t k = 0; k < t->n; k++) {
        double d = value - t->rating[k];
        se += d * d;
        ae += fabs(d);
    }
    if (mse) *mse = se / (double)t->n;
    if (mae) *mae = ae / (double)t->n;
    return br_ok(err);
}
