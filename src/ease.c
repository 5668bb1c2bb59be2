/*
 * ease.c - fitting EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): the Gram
 * matrix G = X^T X of the weighted who-rated-what matrix, P = (G + lambda I)^-1 and B = -P / diag(P) with a
 * zero diagonal, then each row's K largest entries kept in a BOOKREC_ARCH_EASE model with the popularity
 * prior and the dataset readers' ratings. G is formed from the ratings grouped by reader (a model's own readers'
 * part can serve, held-out readers skipped), with no copy of them. The inverse goes through LAPACK's Cholesky
 * (spotrf + spotri) when the native build links it (BOOKREC_HAVE_LAPACK), else through a built-in Gauss-Jordan
 * sweep that is fine for small catalogues. Needs n_items^2 floats at once: for large catalogues use iALS instead.
 * Not here: scoring, explanations and fold-in of the fitted model (topn.c), file I/O, threads of its own
 * (LAPACK may run its own).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef BOOKREC_HAVE_LAPACK
/* LAPACK's Fortran entry points (column-major; a symmetric matrix reads the same either way). */
extern void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
extern void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
#endif

static const float default_score_weight[BOOKREC_WEIGHT_KNOTS] = {-0.5f, -0.2f, 0.2f, 0.7f, 1.0f};

/* Resolved options: defaults filled in. */
typedef struct ease_opts {
    float lambda, prior;
    float fit_w[BOOKREC_WEIGHT_KNOTS], score_w[BOOKREC_WEIGHT_KNOTS];
    int builtin;
} ease_opts;

static int all_zero(const float *w) {
    for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++)
        if (w[k] != 0.0f) return 0;
    return 1;
}

static int resolve(const bookrec_ease_options *o, ease_opts *r, bookrec_error *err) {
    bookrec_ease_options z;
    memset(&z, 0, sizeof z);
    if (!o) o = &z;
    r->lambda = o->lambda != 0.0f ? o->lambda : 300.0f;
    r->prior = o->prior == 0.0f ? 0.001f : o->prior < 0.0f ? 0.0f : o->prior;
    r->builtin = o->builtin_solver;
    for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) {
        r->fit_w[k] = all_zero(o->fit_weight) ? 1.0f : o->fit_weight[k];
        r->score_w[k] = all_zero(o->score_weight) ? default_score_weight[k] : o->score_weight[k];
        if (!isfinite(r->fit_w[k]) || !isfinite(r->score_w[k]))
            return br_fail(err, BOOKREC_E_ARG, "EASE options: rating weight %d is not a finite number", k);
    }
    if (!isfinite(r->lambda) || r->lambda <= 0.0f)
        return br_fail(err, BOOKREC_E_ARG, "EASE options: lambda %g must be a number > 0", (double)r->lambda);
    if (!isfinite(r->prior))
        return br_fail(err, BOOKREC_E_ARG, "EASE options: prior is not a finite number");
    return BOOKREC_OK;
}

float br_knot_weight(const float *w, float r, float lo, float hi) {
    float t = hi > lo ? (r - lo) / (hi - lo) : 1.0f;
    if (!(t > 0.0f)) t = 0.0f;
    if (t > 1.0f) t = 1.0f;
    float x = t * (BOOKREC_WEIGHT_KNOTS - 1);
    int k = (int)x;
    if (k >= BOOKREC_WEIGHT_KNOTS - 1) return w[BOOKREC_WEIGHT_KNOTS - 1];
    float f = x - (float)k;
    return w[k] + f * (w[k + 1] - w[k]);
}

/* Checks that every triple's item is in range and its rating finite. */
static int check_triples(const bookrec_triples *t, int n_items, bookrec_error *err) {
    if (!t || (t->n > 0 && (!t->user || !t->item || !t->rating)))
        return br_fail(err, BOOKREC_E_ARG, "EASE: NULL ratings");
    if (t->n == 0) return br_fail(err, BOOKREC_E_EMPTY, "EASE: no training ratings");
    for (size_t e = 0; e < t->n; e++) {
        if (t->item[e] < 0 || t->item[e] >= n_items)
            return br_fail(err, BOOKREC_E_ARG, "EASE: rating %zu has item index %d, expected 0..%d", e, (int)t->item[e],
                           n_items - 1);
        if (t->user[e] < 0)
            return br_fail(err, BOOKREC_E_ARG, "EASE: rating %zu has user index %d", e, (int)t->user[e]);
        if (!isfinite(t->rating[e]))
            return br_fail(err, BOOKREC_E_ARG, "EASE: rating %zu is not a finite number", e);
    }
    return BOOKREC_OK;
}

/* G[0..n^2) = X^T X: for every reader of c not flagged in skip (may be NULL), the outer product of their weighted
   ratings (the cost is the sum over readers of their ratings squared). */
static int gram(const br_csr *c, int n_users, const unsigned char *skip, int n, const ease_opts *o, float lo, float hi,
                float *G, bookrec_error *err) {
    int32_t longest = 0;
    size_t kept = 0;
    for (int u = 0; u < n_users; u++) {
        if (skip && skip[u]) continue;
        int32_t len = c->off[u + 1] - c->off[u];
        if (len > longest) longest = len;
        kept += (size_t)len;
    }
    if (kept == 0) return br_fail(err, BOOKREC_E_EMPTY, "EASE: no training ratings");
    float *w = malloc((size_t)longest * sizeof *w);
    if (!w) return br_fail(err, BOOKREC_E_NOMEM, "EASE index: out of memory");
    memset(G, 0, (size_t)n * (size_t)n * sizeof *G);
    for (int u = 0; u < n_users; u++) {
        if (skip && skip[u]) continue;
        int32_t o0 = c->off[u], len = c->off[u + 1] - o0;
        const int32_t *item = c->item + o0;
        for (int32_t a = 0; a < len; a++) w[a] = br_knot_weight(o->fit_w, c->rating[o0 + a], lo, hi);
        for (int32_t a = 0; a < len; a++) {
            float *row = G + (size_t)item[a] * (size_t)n, wa = w[a];
            for (int32_t b = 0; b < len; b++) row[item[b]] += wa * w[b];
        }
    }
    free(w);
    return BOOKREC_OK;
}

/* In-place inverse of a symmetric positive definite n x n matrix by Gauss-Jordan without pivoting (stable for
   SPD matrices): n^3 multiply-adds over whole rows. Returns -1 when a pivot is not positive. */
static int invert_builtin(float *A, int n) {
    size_t N = (size_t)n;
    for (size_t k = 0; k < N; k++) {
        float *rk = A + k * N, piv = rk[k];
        if (!(piv > 0.0f) || !isfinite(piv)) return -1;
        rk[k] = 1.0f;
        float s = 1.0f / piv;
        for (size_t j = 0; j < N; j++) rk[j] *= s;
        for (size_t i = 0; i < N; i++) {
            if (i == k) continue;
            float *ri = A + i * N, f = ri[k];
            if (f == 0.0f) continue;
            ri[k] = 0.0f;
            br_axpy(ri, -f, rk, n);
        }
    }
    return 0;
}

/* In-place inverse of the SPD matrix A; LAPACK when linked and allowed. */
static int invert(float *A, int n, int builtin, bookrec_error *err) {
#ifdef BOOKREC_HAVE_LAPACK
    if (!builtin) {
        int info = 0;
        spotrf_("L", &n, A, &n, &info);
        if (info == 0) spotri_("L", &n, A, &n, &info);
        if (info != 0)
            return br_fail(err, BOOKREC_E_ARG, "EASE: the Gram matrix plus lambda is not positive definite (LAPACK info %d)",
                           info);
        /* column-major lower = row-major upper: mirror it into the lower half */
        size_t N = (size_t)n;
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < i; j++) A[i * N + j] = A[j * N + i];
        return BOOKREC_OK;
    }
#else
    (void)builtin;
#endif
    if (invert_builtin(A, n))
        return br_fail(err, BOOKREC_E_ARG, "EASE: the Gram matrix plus lambda is not positive definite");
    return BOOKREC_OK;
}

/* Fails unless lo..hi is a finite range. */
static int check_scale(float lo, float hi, bookrec_error *err) {
    if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
        return br_fail(err, BOOKREC_E_ARG, "EASE: rating scale %g..%g is not a range", (double)lo, (double)hi);
    return BOOKREC_OK;
}

int br_ease_dense_csr(const br_csr *c, int n_users, const unsigned char *skip, int n_items, float min_rating,
                      float max_rating, const bookrec_ease_options *opt, float *B, bookrec_error *err) {
    int rc;
    if (!B || n_items < 1) return br_fail(err, BOOKREC_E_ARG, "EASE: NULL output or %d items", n_items);
    if ((rc = check_scale(min_rating, max_rating, err))) return rc;
    ease_opts o;
    rc = resolve(opt, &o, err);
    if (!rc) rc = gram(c, n_users, skip, n_items, &o, min_rating, max_rating, B, err);
    if (rc) return rc;
    size_t N = (size_t)n_items;
    for (size_t i = 0; i < N; i++) B[i * N + i] += o.lambda;
    if ((rc = invert(B, n_items, o.builtin, err))) return rc;
    /* B[i,j] = -P[i,j] / P[j,j], zero diagonal; the diagonal of P is read before it is overwritten */
    float *inv_diag = malloc(N * sizeof *inv_diag);
    if (!inv_diag) return br_fail(err, BOOKREC_E_NOMEM, "EASE: out of memory");
    for (size_t j = 0; j < N; j++) inv_diag[j] = -1.0f / B[j * N + j];
    for (size_t i = 0; i < N; i++) {
        float *row = B + i * N;
        for (size_t j = 0; j < N; j++) row[j] *= inv_diag[j];
        row[i] = 0.0f;
    }
    free(inv_diag);
    return br_ok(err);
}

/* Computes the dense EASE matrix of ratings t into B (row-major, caller-owned, n_items^2 floats). */
int bookrec_ease_dense(const bookrec_triples *t, int n_items, float min_rating, float max_rating,
                       const bookrec_ease_options *opt, float *B, bookrec_error *err) {
    if (!B || n_items < 1) return br_fail(err, BOOKREC_E_ARG, "EASE: NULL output or %d items", n_items);
    int rc = check_scale(min_rating, max_rating, err);
    ease_opts o;
    if (!rc) rc = resolve(opt, &o, err);
    if (!rc) rc = check_triples(t, n_items, err);
    if (rc) return rc;
    int n_users = 0;
    for (size_t e = 0; e < t->n; e++)
        if (t->user[e] >= n_users) n_users = t->user[e] + 1;
    br_csr c;
    if ((rc = br_csr_build(t, n_users, n_items, "EASE", &c, err))) return rc;
    rc = br_ease_dense_csr(&c, n_users, NULL, n_items, min_rating, max_rating, opt, B, err);
    br_csr_free(&c);
    return rc;
}

/* Keeps row i's K largest positive entries, padding with (i, 0), ordered by column. */
static void keep_row(float *row, int n, int i, int K, int32_t *col, float *val, float *tmp) {
    float diag = row[i];
    row[i] = NAN; /* never the book itself */
    int got = bookrec_topk(row, n, NULL, 0, K, col, tmp);
    row[i] = diag;
    int k = 0;
    for (; k < got && tmp[k] > 0.0f; k++) val[k] = tmp[k];
    for (; k < K; k++) { col[k] = i; val[k] = 0.0f; }
    for (int a = 1; a < K; a++) { /* columns ascending: the file stores them as small deltas */
        int32_t c = col[a];
        float v = val[a];
        int b = a - 1;
        for (; b >= 0 && col[b] > c; b--) { col[b + 1] = col[b]; val[b + 1] = val[b]; }
        col[b + 1] = c;
        val[b + 1] = v;
    }
}

/* Checks that m is an EASE model made for these training ratings. */
static int check_model(const bookrec_model *m, const bookrec_triples *train, bookrec_error *err) {
    if (!m || !train) return br_fail(err, BOOKREC_E_ARG, "EASE fit: NULL argument");
    const bookrec_model_config *c = &m->cfg;
    if (c->arch != BOOKREC_ARCH_EASE)
        return br_fail(err, BOOKREC_E_ARG, "EASE fit: the model is not an EASE model (arch %d)", (int)c->arch);
    if ((int64_t)train->n != c->n_entries)
        return br_fail(err, BOOKREC_E_ARG, "EASE fit: %zu training ratings, but the model was created for %lld",
                       train->n, (long long)c->n_entries);
    int rc = check_triples(train, c->n_items, err);
    if (rc) return rc;
    for (size_t e = 0; e < train->n; e++)
        if (train->user[e] >= c->n_users)
            return br_fail(err, BOOKREC_E_ARG, "EASE: rating %zu has user index %d, expected 0..%d", e,
                           (int)train->user[e], c->n_users - 1);
    return BOOKREC_OK;
}

/* Fits an EASE model on its training ratings (see bookrec.h). */
int bookrec_ease_fit(bookrec_model *m, const bookrec_triples *train, const bookrec_ease_options *opt,
                     bookrec_error *err) {
    const bookrec_model_config *c = m ? &m->cfg : NULL;
    if (!c) return br_fail(err, BOOKREC_E_ARG, "bookrec_ease_fit: NULL model");
    int rc = check_model(m, train, err);
    if (rc) return rc;
    size_t N = (size_t)c->n_items;
    float *B = malloc(N * N * sizeof *B);
    if (!B)
        return br_fail(err, BOOKREC_E_NOMEM, "EASE: out of memory for the %zu x %zu matrix (%zu MB)", N, N,
                       N * N * sizeof(float) >> 20);
    rc = bookrec_ease_dense(train, c->n_items, c->min_rating, c->max_rating, opt, B, err);
    if (!rc) rc = bookrec_ease_fit_from(m, B, train, NULL, opt, err);
    free(B);
    return rc;
}

/* Keeps each row's dim largest entries of B in m and the score weights of o. */
static int keep_rows(bookrec_model *m, const float *B, const ease_opts *o, bookrec_error *err) {
    size_t N = (size_t)m->cfg.n_items;
    int K = m->cfg.dim;
    float *row = malloc((N + (size_t)K) * sizeof *row), *tmp = row + N;
    if (!row) return br_fail(err, BOOKREC_E_NOMEM, "EASE: out of memory");
    for (size_t i = 0; i < N; i++) {
        memcpy(row, B + i * N, N * sizeof *row);
        keep_row(row, (int)N, (int)i, K, m->topn_col + i * (size_t)K, m->item_emb + i * (size_t)K, tmp);
    }
    free(row);
    memcpy(m->topn_meta + BR_META_WEIGHTS, o->score_w, sizeof o->score_w);
    return BOOKREC_OK;
}

/* Fills an EASE model from a dense B computed by bookrec_ease_dense on the same ratings (see bookrec.h). */
int bookrec_ease_fit_from(bookrec_model *m, const float *B, const bookrec_triples *train,
                          const bookrec_triples *readers, const bookrec_ease_options *opt, bookrec_error *err) {
    if (!B) return br_fail(err, BOOKREC_E_ARG, "bookrec_ease_fit_from: NULL matrix");
    if (!readers) readers = train;
    int rc = check_model(m, readers, err);
    if (!rc && train != readers) rc = check_triples(train, m->cfg.n_items, err);
    if (rc) return rc;
    ease_opts o;
    if ((rc = resolve(opt, &o, err)) || (rc = keep_rows(m, B, &o, err))) return rc;
    if ((rc = br_topn_set_readers(m, readers, err))) return rc;
    br_topn_set_prior(m, train, o.prior);
    br_model_invalidate(m);
    return br_ok(err);
}

int br_ease_from_dense(bookrec_model *m, const float *B, const br_csr *c, int n_users, const unsigned char *skip,
                       const bookrec_ease_options *opt, bookrec_error *err) {
    ease_opts o;
    int rc = resolve(opt, &o, err);
    if (!rc) rc = keep_rows(m, B, &o, err);
    if (rc) return rc;
    memset(m->item_bias, 0, (size_t)m->cfg.n_items * sizeof *m->item_bias);
    for (int u = 0; u < n_users; u++)
        if (!skip || !skip[u])
            for (int32_t a = c->off[u]; a < c->off[u + 1]; a++) m->item_bias[c->item[a]] += 1.0f;
    br_topn_finish_prior(m, o.prior);
    br_model_invalidate(m);
    return br_ok(err);
}
