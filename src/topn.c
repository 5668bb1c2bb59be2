/*
 * topn.c - the top-N models once fitted: EASE (sparse rows of B, a popularity prior, the dataset readers'
 * ratings) and iALS (book and reader factors). A reader state, folding a new reader in, scoring every
 * book, similar books, exact explanations ("because you liked ..."), the rating weights w(r), and the
 * match calibration that turns a ranking score into a chance a reader understands.
 * model.c dispatches to the br_topn_* functions here for the top-N archs.
 * Not here: fitting B (ease.c), the model file (modelfile.c), the rating models (model.c).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CALIB_TOP 50    /* books per reader that the match calibration looks at */
#define MAX_FACTORS 256 /* iALS dim limit (the model config's) */

/* ------------------------------------------------------------------ weights */

static float weight(const bookrec_model *m, float r) {
    return br_knot_weight(m->topn_meta + BR_META_WEIGHTS, r, m->cfg.min_rating, m->cfg.max_rating);
}

/* Returns the weight w(r) a top-N model gives a rating r (NaN when m is not a top-N model). */
float bookrec_model_rating_weight(const bookrec_model *m, float rating) {
    if (!m || !br_is_topn(&m->cfg) || !isfinite(rating)) return NAN;
    return weight(m, rating);
}

/* ------------------------------------------------------------------ fitting helpers */

int bookrec_topn_model_create(bookrec_arch arch, int n_users, int n_items, int dim, int64_t n_entries,
                              float min_rating, float max_rating, bookrec_model **out, bookrec_error *err) {
    if (arch != BOOKREC_ARCH_EASE && arch != BOOKREC_ARCH_IALS)
        return br_fail(err, BOOKREC_E_ARG, "top-N model: arch %s is not ease or ials", bookrec_arch_name(arch));
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = arch;
    cfg.n_users = n_users;
    cfg.n_items = n_items;
    cfg.dim = dim;
    cfg.hidden = 0;
    cfg.n_entries = arch == BOOKREC_ARCH_EASE ? n_entries : 0;
    cfg.min_rating = min_rating;
    cfg.max_rating = max_rating;
    return bookrec_model_create(&cfg, out, err);
}

/* The dataset readers' part of an EASE model: its training ratings grouped by reader. */
int br_topn_set_readers(bookrec_model *m, const bookrec_triples *train, bookrec_error *err) {
    const bookrec_model_config *c = &m->cfg;
    if ((int64_t)train->n != c->n_entries)
        return br_fail(err, BOOKREC_E_ARG, "EASE readers: %zu ratings, expected %lld", train->n, (long long)c->n_entries);
    br_csr g;
    int rc = br_csr_build(train, c->n_users, c->n_items, "EASE readers", &g, err);
    if (rc) return rc;
    memcpy(m->user_off, g.off, ((size_t)c->n_users + 1) * sizeof *g.off);
    memcpy(m->user_item, g.item, train->n * sizeof *g.item);
    memcpy(m->user_rating, g.rating, train->n * sizeof *g.rating);
    br_csr_free(&g);
    return BOOKREC_OK;
}

/* item_bias[j] = prior * log(1 + ratings of j) / log(1 + the most ratings of a book). */
void br_topn_set_prior(bookrec_model *m, const bookrec_triples *train, float prior) {
    memset(m->item_bias, 0, (size_t)m->cfg.n_items * sizeof *m->item_bias);
    for (size_t e = 0; e < train->n; e++) m->item_bias[train->item[e]] += 1.0f;
    br_topn_finish_prior(m, prior);
}

void br_topn_finish_prior(bookrec_model *m, float prior) {
    int ni = m->cfg.n_items;
    float top = 0.0f;
    for (int j = 0; j < ni; j++) {
        m->item_bias[j] = logf(1.0f + m->item_bias[j]);
        if (m->item_bias[j] > top) top = m->item_bias[j];
    }
    for (int j = 0; j < ni; j++) m->item_bias[j] = top > 0.0f ? prior * m->item_bias[j] / top : 0.0f;
}

/* ------------------------------------------------------------------ states */

int br_topn_check(const bookrec_model *m, int parts, bookrec_error *err) {
    if (m->cfg.arch != BOOKREC_ARCH_EASE || !(parts & BOOKREC_PART_USERS)) return BOOKREC_OK;
    const int32_t *off = m->user_off;
    int nu = m->cfg.n_users;
    if (off[0] != 0 || off[nu] != (int32_t)m->cfg.n_entries)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: tensor \"user_off\" runs from %d to %d, expected 0 to %lld",
                       (int)off[0], (int)off[nu], (long long)m->cfg.n_entries);
    for (int u = 0; u < nu; u++)
        if (off[u + 1] < off[u])
            return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: tensor \"user_off\" row %d goes down (%d after %d)",
                           u + 1, (int)off[u + 1], (int)off[u]);
    return BOOKREC_OK;
}

int br_topn_state_size(const bookrec_model *m) {
    return m->cfg.arch == BOOKREC_ARCH_EASE ? m->cfg.n_items : m->cfg.dim;
}

int br_topn_user_state(const bookrec_model *m, int user, float *out, bookrec_error *err) {
    if (m->cfg.arch == BOOKREC_ARCH_IALS) {
        memcpy(out, m->user_emb + (size_t)user * m->cfg.dim, (size_t)m->cfg.dim * sizeof *out);
        return br_ok(err);
    }
    memset(out, 0, (size_t)m->cfg.n_items * sizeof *out);
    for (int32_t e = m->user_off[user]; e < m->user_off[user + 1]; e++)
        out[m->user_item[e]] = weight(m, m->user_rating[e]);
    return br_ok(err);
}

/* The iALS options a model was fitted with, from its topn_meta. */
static void ials_options_of(const bookrec_model *m, bookrec_ials_options *o) {
    memset(o, 0, sizeof *o);
    const float *t = m->topn_meta;
    o->dim = m->cfg.dim;
    o->alpha = t[BR_META_ALPHA] > 0 ? t[BR_META_ALPHA] : -1.0f;
    o->lambda = t[BR_META_LAMBDA];
    o->unobserved = t[BR_META_UNOBS];
    o->reg_exp = t[BR_META_REGEXP] > 0 ? t[BR_META_REGEXP] : -1.0f;
    o->reg_observed_only = t[BR_META_REGOBS] != 0;
    memcpy(o->rating_weight, t + BR_META_WEIGHTS, sizeof o->rating_weight);
    o->min_rating = m->cfg.min_rating;
    o->max_rating = m->cfg.max_rating;
}

/* iALS fold-in: one exact dim x dim solve with the books frozen (bookrec_ials_fold_in) and the cached Gramian. */
static int ials_fold_in(bookrec_model *m, const int32_t *items, const float *ratings, int n, float *x,
                        bookrec_error *err) {
    int rc = bookrec_model_prepare(m, err);
    if (rc) return rc;
    bookrec_ials_options o;
    ials_options_of(m, &o);
    return bookrec_ials_fold_in(m->item_emb, m->gram, m->cfg.n_items, m->cfg.dim, items, ratings, n, &o, x, err);
}

/* Keeps the settings the fold-in must repeat in topn_meta, defaults resolved (o's scale is the model's). */
static void keep_ials_options(bookrec_model *m, const bookrec_ials_options *o) {
    float *t = m->topn_meta;
    for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) {
        float r = o->min_rating + (o->max_rating - o->min_rating) * (float)k / (BOOKREC_WEIGHT_KNOTS - 1);
        t[BR_META_WEIGHTS + k] = bookrec_ials_rating_weight(o, r);
    }
    t[BR_META_ALPHA] = o->alpha == 0 ? 10.0f : o->alpha < 0 ? 0.0f : o->alpha;
    t[BR_META_LAMBDA] = o->lambda ? o->lambda : 1e-3f;
    t[BR_META_UNOBS] = o->unobserved ? o->unobserved : 1.0f;
    t[BR_META_REGEXP] = o->reg_exp == 0 ? 1.0f : o->reg_exp < 0 ? 0.0f : o->reg_exp;
    t[BR_META_REGOBS] = o->reg_observed_only ? 1.0f : 0.0f;
    br_model_invalidate(m);
}

/* The options of an iALS fit of m: opt with m's dim and rating scale. */
static int ials_options(const bookrec_model *m, const bookrec_ials_options *opt, bookrec_ials_options *o,
                        bookrec_error *err) {
    if (m->cfg.arch != BOOKREC_ARCH_IALS)
        return br_fail(err, BOOKREC_E_ARG, "bookrec_ials_fit_model: the model is not an iALS model (arch %d)",
                       (int)m->cfg.arch);
    if (opt) *o = *opt;
    else memset(o, 0, sizeof *o);
    if (o->dim && o->dim != m->cfg.dim)
        return br_fail(err, BOOKREC_E_ARG, "bookrec_ials_fit_model: options dim %d, model dim %d", o->dim, m->cfg.dim);
    o->dim = m->cfg.dim;
    o->min_rating = m->cfg.min_rating;
    o->max_rating = m->cfg.max_rating;
    return BOOKREC_OK;
}

/* Fits a model created with arch BOOKREC_ARCH_IALS (see bookrec.h). */
int bookrec_ials_fit_model(bookrec_model *m, const bookrec_triples *train, const bookrec_ials_options *opt,
                           bookrec_error *err) {
    if (!m || !train) return br_fail(err, BOOKREC_E_ARG, "bookrec_ials_fit_model: NULL argument");
    bookrec_ials_options o;
    int rc = ials_options(m, opt, &o, err);
    if (!rc) rc = bookrec_ials_fit(train, m->cfg.n_users, m->cfg.n_items, &o, m->user_emb, m->item_emb, err);
    if (rc) return rc;
    keep_ials_options(m, &o);
    return br_ok(err);
}

int br_topn_ials_fit(bookrec_model *m, const br_ials_data *d, const bookrec_ials_options *opt, bookrec_error *err) {
    bookrec_ials_options o;
    int rc = ials_options(m, opt, &o, err);
    if (!rc) rc = br_ials_run(d, &o, m->user_emb, m->item_emb, err);
    if (rc) return rc;
    keep_ials_options(m, &o);
    return br_ok(err);
}

/* Sets the fold-in options of an iALS model without fitting it (see bookrec.h). */
int bookrec_ials_set_options(bookrec_model *m, const bookrec_ials_options *opt, bookrec_error *err) {
    if (!m || !opt) return br_fail(err, BOOKREC_E_ARG, "bookrec_ials_set_options: NULL argument");
    if (m->cfg.arch != BOOKREC_ARCH_IALS)
        return br_fail(err, BOOKREC_E_ARG, "bookrec_ials_set_options: the model is not an iALS model (arch %d)",
                       (int)m->cfg.arch);
    bookrec_ials_options o = *opt;
    o.dim = 0;
    o.min_rating = m->cfg.min_rating;
    o.max_rating = m->cfg.max_rating;
    /* bookrec_ials_rating_weight is NaN exactly when bookrec_ials_fit would refuse the options */
    if (isnan(bookrec_ials_rating_weight(&o, o.min_rating)))
        return br_fail(err, BOOKREC_E_ARG, "bookrec_ials_set_options: bad options (rating weights must be finite and "
                       ">= 0, lambda and the unobserved weight finite and >= 0, alpha and reg_exp finite)");
    keep_ials_options(m, &o);
    return br_ok(err);
}

int br_topn_fold_in(bookrec_model *m, const int32_t *items, const float *ratings, int n, float *state,
                    bookrec_error *err) {
    if (m->cfg.arch == BOOKREC_ARCH_IALS) return ials_fold_in(m, items, ratings, n, state, err);
    memset(state, 0, (size_t)m->cfg.n_items * sizeof *state);
    for (int e = 0; e < n; e++) state[items[e]] = weight(m, ratings[e]); /* a book given twice keeps the last */
    return br_ok(err);
}

/* ------------------------------------------------------------------ scoring */

int br_topn_prepare(bookrec_model *m, bookrec_error *err) {
    if (m->cfg.arch != BOOKREC_ARCH_IALS) return BOOKREC_OK;
    int d = m->cfg.dim;
    if (!m->gram) m->gram = malloc((size_t)d * d * sizeof *m->gram);
    if (!m->gram) return br_fail(err, BOOKREC_E_NOMEM, "out of memory for the iALS Gramian");
    return bookrec_ials_gram(m->item_emb, m->cfg.n_items, d, m->gram, err);
}

void br_topn_score_all(const bookrec_model *m, const float *state, float *scores) {
    int ni = m->cfg.n_items, K = m->cfg.dim;
    if (m->cfg.arch == BOOKREC_ARCH_IALS) {
        for (int j = 0; j < ni; j++) scores[j] = br_dot(state, m->item_emb + (size_t)j * K, K);
        return;
    }
    memcpy(scores, m->item_bias, (size_t)ni * sizeof *scores);
    for (int i = 0; i < ni; i++) {
        float w = state[i];
        if (w == 0.0f) continue;
        const int32_t *col = m->topn_col + (size_t)i * K;
        const float *val = m->item_emb + (size_t)i * K;
        for (int k = 0; k < K; k++) scores[col[k]] += w * val[k];
    }
}

/* B[i, j] as kept (0 when row i does not keep column j). */
static float ease_entry(const bookrec_model *m, int i, int j) {
    int K = m->cfg.dim;
    const int32_t *col = m->topn_col + (size_t)i * K;
    for (int k = 0; k < K; k++)
        if (col[k] == j && j != i) return m->item_emb[(size_t)i * K + k];
    return 0.0f;
}

/* EASE similar books of `item`: B[item, j] + B[j, item] for the books either row keeps, NaN elsewhere. */
int br_topn_similar_scores(bookrec_model *m, int item, float *scores, bookrec_error *err) {
    int ni = m->cfg.n_items, K = m->cfg.dim;
    for (int j = 0; j < ni; j++) scores[j] = NAN;
    const int32_t *col = m->topn_col + (size_t)item * K;
    const float *val = m->item_emb + (size_t)item * K;
    for (int k = 0; k < K; k++)
        if (col[k] != item && val[k] > 0.0f) scores[col[k]] = val[k];
    for (int i = 0; i < ni; i++) {
        if (i == item) continue;
        const int32_t *c = m->topn_col + (size_t)i * K;
        for (int k = 0; k < K; k++) {
            if (c[k] != item) continue;
            float v = m->item_emb[(size_t)i * K + k];
            if (v > 0.0f) scores[i] = (isnan(scores[i]) ? 0.0f : scores[i]) + v;
            break;
        }
    }
    return br_ok(err);
}

float br_topn_predict(const bookrec_model *m, int user, int item) {
    if (m->cfg.arch == BOOKREC_ARCH_IALS)
        return br_dot(m->user_emb + (size_t)user * m->cfg.dim, m->item_emb + (size_t)item * m->cfg.dim, m->cfg.dim);
    float s = m->item_bias[item];
    for (int32_t e = m->user_off[user]; e < m->user_off[user + 1]; e++)
        s += weight(m, m->user_rating[e]) * ease_entry(m, m->user_item[e], item);
    return s;
}

/* ------------------------------------------------------------------ explanations */

/* Writes the rated books that contributed most to item's score for a top-N state (see bookrec.h). */
int bookrec_model_explain(bookrec_model *m, const float *state, int item, int k, int32_t *out_idx,
                          float *out_contrib, bookrec_error *err) {
    if (!m || !state || (k > 0 && !out_idx) || k < 0) {
        br_fail(err, BOOKREC_E_ARG, "bookrec_model_explain: NULL argument or k %d", k);
        return -1;
    }
    if (m->cfg.arch != BOOKREC_ARCH_EASE) {
        br_fail(err, BOOKREC_E_STATE, "explanations need an EASE model (this one is %s)",
                m->cfg.arch == BOOKREC_ARCH_IALS ? "ials" : "a rating model");
        return -1;
    }
    int ni = m->cfg.n_items;
    if (item < 0 || item >= ni) {
        br_fail(err, BOOKREC_E_ARG, "item index %d out of range 0..%d", item, ni - 1);
        return -1;
    }
    float *contrib = malloc((size_t)ni * sizeof *contrib);
    if (!contrib) { br_fail(err, BOOKREC_E_NOMEM, "out of memory explaining"); return -1; }
    for (int i = 0; i < ni; i++) {
        float c = NAN;
        if (state[i] != 0.0f && i != item) {
            float v = state[i] * ease_entry(m, i, item);
            if (v > 0.0f) c = v;
        }
        contrib[i] = c;
    }
    float *tmp = out_contrib;
    int n = bookrec_topk(contrib, ni, NULL, 0, k, out_idx, tmp);
    free(contrib);
    if (n < 0) { br_fail(err, BOOKREC_E_NOMEM, "out of memory explaining"); return -1; }
    br_ok(err);
    return n;
}

/* ------------------------------------------------------------------ match calibration */

/* The calibration's input: asinh(20 s), close to the score near 0 and logarithmic for large scores, so that the
   few very high scores do not all read as certainties. */
static float calib_feature(float s) { return asinhf(20.0f * s); }

/* Calibrated chance that a book with ranking score `score` is one the reader reads and rates highly. */
float bookrec_model_match(const bookrec_model *m, float score) {
    if (!m || !br_is_topn(&m->cfg) || !isfinite(score)) return NAN;
    float a = m->topn_meta[BR_META_CAL_A], b = m->topn_meta[BR_META_CAL_B];
    if (a == 0.0f) return NAN;
    return 1.0f / (1.0f + expf(-(a * calib_feature(score) + b)));
}

/* Fits a, b of p = 1 / (1 + e^-(a s + b)) to (s, y) pairs by Newton's method on the log-likelihood (with a
   tiny ridge so that separable data still gives finite values). */
static int logistic_fit(const float *s, const unsigned char *y, size_t n, double *a_out, double *b_out) {
    double a = 0.0, b = 0.0;
    for (int it = 0; it < 50; it++) {
        double ga = 0, gb = 0, haa = 1e-6, hab = 0, hbb = 1e-6;
        for (size_t e = 0; e < n; e++) {
            double p = 1.0 / (1.0 + exp(-(a * s[e] + b))), r = p - y[e], w = p * (1.0 - p);
            ga += r * s[e]; gb += r;
            haa += w * s[e] * s[e]; hab += w * s[e]; hbb += w;
        }
        double det = haa * hbb - hab * hab;
        if (!(det > 0.0)) return -1;
        double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
        a -= da; b -= db;
        if (fabs(da) < 1e-9 && fabs(db) < 1e-9) break;
    }
    if (!isfinite(a) || !isfinite(b) || a <= 0.0) return -1;
    *a_out = a;
    *b_out = b;
    return 0;
}

/* Scores one calibration reader (fold-in ratings items/ratings[0..nf), target ratings t_item/t_rating[0..nt)) and
   appends its top books' (score, relevant) pairs. */
static int calib_reader(bookrec_model *m, const int32_t *items, const float *ratings, int nf, const int32_t *t_item,
                        const float *t_rating, int nt, float thr, float *state, float *scores, int32_t *top,
                        unsigned char *rel_mark, float *s_out, unsigned char *y_out, size_t *n_out, bookrec_error *err) {
    int rc = bookrec_model_fold_in(m, items, ratings, nf, NULL, state, err);
    if (!rc) rc = bookrec_model_score_all(m, state, scores, err);
    if (rc) return rc;
    int got = bookrec_topk(scores, m->cfg.n_items, items, nf, CALIB_TOP, top, NULL);
    if (got < 0) return br_fail(err, BOOKREC_E_NOMEM, "out of memory calibrating");
    for (int e = 0; e < nt; e++)
        if (t_rating[e] >= thr) rel_mark[t_item[e]] = 1;
    for (int r = 0; r < got; r++) {
        s_out[*n_out] = calib_feature(scores[top[r]]);
        y_out[(*n_out)++] = rel_mark[top[r]];
    }
    for (int e = 0; e < nt; e++) rel_mark[t_item[e]] = 0;
    return BOOKREC_OK;
}

/* The top books' (score, relevant) pairs of every reader of foldin, into *s_out / *y_out (n of them, caller frees). */
static int collect_pairs(bookrec_model *m, const bookrec_triples *foldin, const bookrec_triples *target,
                         float threshold, float **s_out, unsigned char **y_out, size_t *n_out, bookrec_error *err) {
    *s_out = NULL;
    *y_out = NULL;
    *n_out = 0;
    int nu = 0, ni = m->cfg.n_items;
    const bookrec_triples *parts[2] = {foldin, target};
    for (int p = 0; p < 2; p++)
        for (size_t e = 0; e < parts[p]->n; e++) {
            if (parts[p]->user[e] < 0 || parts[p]->item[e] < 0 || parts[p]->item[e] >= ni)
                return br_fail(err, BOOKREC_E_ARG, "calibration rating %zu has user %d, item %d (expected item 0..%d)",
                               e, (int)parts[p]->user[e], (int)parts[p]->item[e], ni - 1);
            if (parts[p]->user[e] >= nu) nu = parts[p]->user[e] + 1;
        }
    br_csr fo, to;
    int rc = br_csr_build(foldin, nu, ni, "calibration fold-in", &fo, err);
    if (rc) return rc;
    if ((rc = br_csr_build(target, nu, ni, "calibration target", &to, err))) {
        br_csr_free(&fo);
        return rc;
    }
    size_t S = (size_t)bookrec_model_user_state_size(m), cap = (size_t)nu * CALIB_TOP;
    float *state = malloc((S + (size_t)ni) * sizeof *state), *s = malloc((cap ? cap : 1) * sizeof *s);
    int32_t *top = malloc(CALIB_TOP * sizeof *top);
    unsigned char *y = malloc(cap ? cap : 1), *mark = calloc((size_t)ni, 1);
    size_t n = 0;
    if (!state || !s || !top || !y || !mark) rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory calibrating");
    for (int u = 0; u < nu && !rc; u++) {
        int32_t f0 = fo.off[u], nf = fo.off[u + 1] - f0, t0 = to.off[u], nt = to.off[u + 1] - t0;
        if (nf == 0 || nt == 0) continue;
        rc = calib_reader(m, fo.item + f0, fo.rating + f0, nf, to.item + t0, to.rating + t0, nt, threshold, state,
                          state + S, top, mark, s, y, &n, err);
    }
    br_csr_free(&fo);
    br_csr_free(&to);
    free(state); free(top); free(mark);
    if (rc) {
        free(s);
        free(y);
        return rc;
    }
    *s_out = s;
    *y_out = y;
    *n_out = n;
    return BOOKREC_OK;
}

/* Fits the model's match calibration on held-out readers (see bookrec.h). */
int bookrec_model_calibrate(bookrec_model *m, const bookrec_triples *foldin, const bookrec_triples *target,
                            float threshold, bookrec_error *err) {
    if (!m || !foldin || !target) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_calibrate: NULL argument");
    if (!br_is_topn(&m->cfg))
        return br_fail(err, BOOKREC_E_STATE, "match calibration is for top-N models (ease, ials)");
    float *s = NULL;
    unsigned char *y = NULL;
    size_t n = 0, pos = 0;
    int rc = collect_pairs(m, foldin, target, threshold, &s, &y, &n, err);
    if (rc) return rc;
    double a = 0, b = 0;
    for (size_t e = 0; e < n; e++) pos += y[e];
    if (pos == 0 || pos == n)
        rc = br_fail(err, BOOKREC_E_EMPTY, "calibration: %zu of %zu top books are relevant; nothing to fit", pos, n);
    else if (logistic_fit(s, y, n, &a, &b))
        rc = br_fail(err, BOOKREC_E_ARG, "calibration: the scores do not separate relevant books (%zu pairs)", n);
    if (!rc) {
        m->topn_meta[BR_META_CAL_A] = (float)a;
        m->topn_meta[BR_META_CAL_B] = (float)b;
        rc = br_ok(err);
    }
    free(s);
    free(y);
    return rc;
}

/* How well the model's match holds on readers it was not calibrated on (see bookrec.h). */
int bookrec_model_reliability(bookrec_model *m, const bookrec_triples *foldin, const bookrec_triples *target,
                              float threshold, int n_bins, int *count, double *mean_match, double *observed,
                              bookrec_error *err) {
    if (!m || !foldin || !target || n_bins < 1 || n_bins > 1000 || !count || !mean_match || !observed)
        return br_fail(err, BOOKREC_E_ARG, "bookrec_model_reliability: NULL argument or n_bins %d", n_bins);
    if (isnan(bookrec_model_match(m, 0.0f)))
        return br_fail(err, BOOKREC_E_STATE, "the model has no match calibration");
    float *s = NULL;
    unsigned char *y = NULL;
    size_t n = 0;
    int rc = collect_pairs(m, foldin, target, threshold, &s, &y, &n, err);
    if (rc) return rc;
    for (int b = 0; b < n_bins; b++) { count[b] = 0; mean_match[b] = 0; observed[b] = 0; }
    for (size_t e = 0; e < n; e++) {
        double p = 1.0 / (1.0 + exp(-(m->topn_meta[BR_META_CAL_A] * s[e] + m->topn_meta[BR_META_CAL_B])));
        int b = (int)(p * n_bins);
        if (b >= n_bins) b = n_bins - 1;
        if (b < 0) b = 0;
        count[b]++;
        mean_match[b] += p;
        observed[b] += y[e];
    }
    for (int b = 0; b < n_bins; b++)
        if (count[b]) { mean_match[b] /= count[b]; observed[b] /= count[b]; }
    free(s);
    free(y);
    return br_ok(err);
}
