/*
 * layout.c - a 2-D map of a model's books for the site's in-page map (bookrec_model_layout2d): models with book
 * vectors (seed, mf, ncf, ials: item_emb) get their first two principal components by power iteration; an EASE
 * model, which has no vectors, gets a spectral layout of its kept rows of B (each positive kept entry an edge,
 * symmetrised): the two leading non-trivial eigenvectors of the normalised adjacency, by orthogonal power
 * iteration with the trivial one deflated. The adjacency is regularised with a weak link between every pair of
 * books (tau / n, tau three times the mean degree), and each axis is replaced by its ranks: on goodbooks the
 * eigenvectors are heavy-tailed (tight series take the ends of an axis), and ranks spread the rest out while
 * keeping each axis' order. Edges are unweighted for the same reason (a series' large weights cut it off). Deterministic (fixed starting vectors, fixed iteration counts, no threads).
 * Not here: quantising or writing the map (bookrec export), drawing it (web/map.js).
 */
#include "bookrec.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Orthonormalises the columns a, b (length n) against each other (Gram-Schmidt); returns 0 when one vanishes. */
static int orth2(double *a, double *b, int n) {
    double na = 0;
    for (int i = 0; i < n; i++) na += a[i] * a[i];
    if (!(na > 1e-300)) return 0;
    na = 1 / sqrt(na);
    double d = 0;
    for (int i = 0; i < n; i++) {
        a[i] *= na;
        d += a[i] * b[i];
    }
    double nb = 0;
    for (int i = 0; i < n; i++) {
        b[i] -= d * a[i];
        nb += b[i] * b[i];
    }
    if (!(nb > 1e-300)) return 0;
    nb = 1 / sqrt(nb);
    for (int i = 0; i < n; i++) b[i] *= nb;
    return 1;
}

/* Rotates the orthonormal pair (a, b), whose images under a symmetric operator are (ma, mb), onto the
   eigenvectors of the 2x2 projected operator, larger eigenvalue first (Rayleigh-Ritz). */
static void ritz2(double *a, double *b, const double *ma, const double *mb, int n) {
    double h11 = 0, h12 = 0, h22 = 0;
    for (int i = 0; i < n; i++) { h11 += a[i] * ma[i]; h12 += a[i] * mb[i]; h22 += b[i] * mb[i]; }
    double th = 0.5 * atan2(2 * h12, h11 - h22), c = cos(th), s = sin(th);
    for (int i = 0; i < n; i++) {
        double x = a[i], y = b[i];
        a[i] = c * x + s * y;
        b[i] = -s * x + c * y;
    }
}

/* A fixed sign per axis (the entry of largest magnitude positive), so the map does not flip between runs. */
static void fix_sign(double *v, int n) {
    int at = 0;
    for (int i = 1; i < n; i++) if (fabs(v[i]) > fabs(v[at])) at = i;
    if (v[at] < 0) for (int i = 0; i < n; i++) v[i] = -v[i];
}

/* Deterministic start vectors in [-1, 1). */
static void start2(double *a, double *b, int n) {
    br_rng r;
    br_rng_seed(&r, 0x6d6170u);
    for (int i = 0; i < n; i++) { a[i] = 2.0 * br_rng_float(&r) - 1; b[i] = 2.0 * br_rng_float(&r) - 1; }
}

/* PCA of the rows of emb [n, d]: writes the coordinates on the first two components into x, y. */
static int layout_pca(const float *emb, int n, int d, double *x, double *y, bookrec_error *err) {
    double *mean = calloc((size_t)d, sizeof *mean), *C = calloc((size_t)d * (size_t)d, sizeof *C);
    double *a = malloc(sizeof(double) * (size_t)d * 4), *b, *ma, *mb;
    if (!mean || !C || !a) {
        free(mean); free(C); free(a);
        return br_fail(err, BOOKREC_E_NOMEM, "layout: out of memory");
    }
    b = a + d; ma = b + d; mb = ma + d;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < d; k++) mean[k] += emb[(size_t)i * (size_t)d + (size_t)k];
    for (int k = 0; k < d; k++) mean[k] /= n;
    for (int i = 0; i < n; i++) {
        const float *e = emb + (size_t)i * (size_t)d;
        for (int p = 0; p < d; p++) {
            double vp = e[p] - mean[p];
            for (int q = p; q < d; q++) C[(size_t)p * (size_t)d + (size_t)q] += vp * (e[q] - mean[q]);
        }
    }
    for (int p = 0; p < d; p++)
        for (int q = 0; q < p; q++) C[(size_t)p * (size_t)d + (size_t)q] = C[(size_t)q * (size_t)d + (size_t)p];
    start2(a, b, d);
    if (d == 1) b[0] = 0;
    orth2(a, b, d);
    for (int it = 0; it < 200; it++) {
        for (int p = 0; p < d; p++) {
            double sa = 0, sb = 0;
            for (int q = 0; q < d; q++) { sa += C[(size_t)p * (size_t)d + (size_t)q] * a[q]; sb += C[(size_t)p * (size_t)d + (size_t)q] * b[q]; }
            ma[p] = sa; mb[p] = sb;
        }
        if (it == 199) { ritz2(a, b, ma, mb, d); break; }
        memcpy(a, ma, sizeof(double) * (size_t)d);
        memcpy(b, mb, sizeof(double) * (size_t)d);
        if (!orth2(a, b, d)) { start2(a, b, d); orth2(a, b, d); } /* rank below 2: any orthonormal pair */
    }
    fix_sign(a, d);
    fix_sign(b, d);
    for (int i = 0; i < n; i++) {
        const float *e = emb + (size_t)i * (size_t)d;
        double sx = 0, sy = 0;
        for (int k = 0; k < d; k++) { sx += (e[k] - mean[k]) * a[k]; sy += (e[k] - mean[k]) * b[k]; }
        x[i] = sx; y[i] = sy;
    }
    free(mean); free(C); free(a);
    return BOOKREC_OK;
}

/* y = W v for the symmetrised kept rows of an EASE model, W_ij = ([B_ij > 0] + [B_ji > 0]) / 2, plus tau / n
   between every pair (the regulariser). */
static void ease_apply(const bookrec_model *m, int n, int K, double tau, const double *v, double *out) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += v[i];
    for (int i = 0; i < n; i++) out[i] = tau / n * sum;
    for (int i = 0; i < n; i++) {
        const float *val = m->item_emb + (size_t)i * (size_t)K;
        const int32_t *col = m->topn_col + (size_t)i * (size_t)K;
        for (int k = 0; k < K; k++) {
            int j = col[k];
            if (j == i || j < 0 || j >= n || !(val[k] > 0)) continue;
            const double w = 0.5;
            out[i] += w * v[j];
            out[j] += w * v[i];
        }
    }
}

/* Spectral layout of an EASE model's kept rows (see the file comment). */
typedef struct ranked { double v; int i; } ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Replaces v[0..n) by its ranks (0..n-1, ties by index); 0 on allocation failure. */
static int to_ranks(double *v, int n) {
    ranked *r = malloc(sizeof *r * (size_t)n);
    if (!r) return 0;
    for (int i = 0; i < n; i++) r[i] = (ranked){v[i], i};
    qsort(r, (size_t)n, sizeof *r, cmp_ranked);
    for (int k = 0; k < n; k++) v[r[k].i] = k;
    free(r);
    return 1;
}

static int layout_ease(const bookrec_model *m, int n, double *x, double *y, bookrec_error *err) {
    int K = m->cfg.dim;
    double *buf = malloc(sizeof(double) * (size_t)n * 6);
    if (!buf) return br_fail(err, BOOKREC_E_NOMEM, "layout: out of memory");
    double *deg = buf, *isd = buf + n, *v0 = buf + 2 * (size_t)n, *a = buf + 3 * (size_t)n, *b = buf + 4 * (size_t)n,
           *t = buf + 5 * (size_t)n;
    for (int i = 0; i < n; i++) t[i] = 1;
    ease_apply(m, n, K, 0, t, deg);
    double mean_deg = 0;
    for (int i = 0; i < n; i++) mean_deg += deg[i];
    mean_deg = mean_deg > 0 ? mean_deg / n : 1;
    double tau = 3 * mean_deg;
    for (int i = 0; i < n; i++) deg[i] += tau;
    /* a small self-loop on every book keeps the operator well defined for any data */
    double loop = 1e-3 * mean_deg, norm0 = 0;
    for (int i = 0; i < n; i++) {
        deg[i] += loop;
        isd[i] = 1 / sqrt(deg[i]);
        v0[i] = sqrt(deg[i]);
        norm0 += deg[i];
    }
    norm0 = 1 / sqrt(norm0);
    for (int i = 0; i < n; i++) v0[i] *= norm0;
    double *ma = malloc(sizeof(double) * (size_t)n * 2), *mb;
    if (!ma) { free(buf); return br_fail(err, BOOKREC_E_NOMEM, "layout: out of memory"); }
    mb = ma + n;
    /* M = (I + D^-1/2 (W + loop I) D^-1/2) / 2: eigenvalues in [0, 1], the trivial one (v0) is 1 */
    start2(a, b, n);
    const int iters = 300;
    for (int it = 0; it <= iters; it++) {
        double pa = 0, pb = 0; /* deflate v0 */
        for (int i = 0; i < n; i++) { pa += a[i] * v0[i]; pb += b[i] * v0[i]; }
        for (int i = 0; i < n; i++) { a[i] -= pa * v0[i]; b[i] -= pb * v0[i]; }
        if (!orth2(a, b, n)) { free(buf); free(ma); return br_fail(err, BOOKREC_E_ARG, "layout: fewer than 3 books"); }
        double *in[2] = {a, b}, *outv[2] = {ma, mb};
        for (int s = 0; s < 2; s++) {
            for (int i = 0; i < n; i++) t[i] = in[s][i] * isd[i];
            ease_apply(m, n, K, tau, t, outv[s]);
            for (int i = 0; i < n; i++) outv[s][i] = 0.5 * (in[s][i] + isd[i] * (outv[s][i] + loop * t[i]));
        }
        if (it == iters) { ritz2(a, b, ma, mb, n); break; }
        memcpy(a, ma, sizeof(double) * (size_t)n);
        memcpy(b, mb, sizeof(double) * (size_t)n);
    }
    fix_sign(a, n);
    fix_sign(b, n);
    for (int i = 0; i < n; i++) { x[i] = a[i] * isd[i]; y[i] = b[i] * isd[i]; } /* random-walk eigenvectors */
    free(buf);
    free(ma);
    if (!to_ranks(x, n) || !to_ranks(y, n)) return br_fail(err, BOOKREC_E_NOMEM, "layout: out of memory");
    return BOOKREC_OK;
}

int bookrec_model_layout2d(bookrec_model *m, float *xy, bookrec_error *err) {
    if (!m || !xy) return br_fail(err, BOOKREC_E_ARG, "layout: NULL argument");
    int n = m->cfg.n_items;
    if (n < 3) return br_fail(err, BOOKREC_E_ARG, "layout: the model has %d books; a map needs 3 or more", n);
    double *x = malloc(sizeof(double) * (size_t)n * 2), *y;
    if (!x) return br_fail(err, BOOKREC_E_NOMEM, "layout: out of memory");
    y = x + n;
    int rc;
    if (m->cfg.arch == BOOKREC_ARCH_EASE) {
        if (!m->item_emb || !m->topn_col) { free(x); return br_fail(err, BOOKREC_E_STATE, "layout: the EASE model has no kept rows"); }
        rc = layout_ease(m, n, x, y, err);
    } else {
        if (!m->item_emb || m->cfg.dim < 1) { free(x); return br_fail(err, BOOKREC_E_STATE, "layout: the model has no book vectors"); }
        rc = layout_pca(m->item_emb, n, m->cfg.dim, x, y, err);
    }
    if (rc != BOOKREC_OK) { free(x); return rc; }
    /* centre each axis and scale it to unit standard deviation */
    double *ax[2] = {x, y};
    for (int s = 0; s < 2; s++) {
        double mu = 0, var = 0;
        for (int i = 0; i < n; i++) mu += ax[s][i];
        mu /= n;
        for (int i = 0; i < n; i++) var += (ax[s][i] - mu) * (ax[s][i] - mu);
        double sc = var > 0 ? 1 / sqrt(var / n) : 0;
        for (int i = 0; i < n; i++) {
            double v = (ax[s][i] - mu) * sc;
            xy[2 * (size_t)i + (size_t)s] = isfinite(v) ? (float)v : 0.0f;
        }
    }
    free(x);
    return BOOKREC_OK;
}
