/*
 * ials.c - implicit alternating least squares (iALS): the top-N model for catalogues too large for an
 * item-item model. Hu, Koren & Volinsky's (2008) weighted matrix factorisation of "the reader rated the
 * book" with the frequency-scaled L2 of Rendle et al. (2021); the objective is written out in bookrec.h.
 * Training alternates a book half-step and a reader half-step; each row's d x d normal equations
 *   (w0 Y^T Y + sum_obs (c - w0) y y^T + lambda_r I) x = sum_obs c y
 * use the Gramian trick (Y^T Y once per half-step, plus the row's own observed pairs) and are solved by a
 * few conjugate-gradient steps warm-started from the row's current value, or exactly (Cholesky in double).
 * The observed pairs are gathered once into CSR by reader and by book (br_ials_data: a 2-byte book index up to
 * 65,536 books and a 1-byte confidence code, so 3 + 5 bytes per pair for millions of readers), from triples or packed
 * ratings, so memory and time grow linearly with them.
 * Each row is solved on its own and the Gramian is split by its rows, so the result does not depend on how
 * many tasks the caller's parallel-for runs. Also here: the exact fold-in of a new reader (what the browser
 * runs), the Gramian helper and a scorer for the ranking evaluators.
 * Not here: file I/O, threads, the model file, rating prediction (iALS scores only rank).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Defaults, tuned on goodbooks-10k with tools/ials_probe.c (new-reader protocol, NDCG@10 on the held-out
   readers of seeds 2 and 3; seed 1 is kept for the reported figures). Rating weights: 1 and 2 stars are
   left out (a pair the reader did not like is no evidence for recommending it, and counting it as a
   positive cost about 0.02 NDCG@10), 3 stars count half, 4 and 5 stars fully; confidence 1 + 10 w against
   1 for every unobserved pair; lambda 1e-3 scaled by (n + n_other) per row (Rendle et al.'s nu = 1). */
#define IALS_DEF_DIM 64
#define IALS_DEF_ITERS 16
#define IALS_DEF_LAMBDA 1e-3f
#define IALS_DEF_REG_EXP 1.0f
#define IALS_DEF_ALPHA 10.0f
#define IALS_DEF_UNOBSERVED 1.0f
#define IALS_DEF_CG 3
#define IALS_DEF_INIT 0.1f
static const float IALS_DEF_WEIGHTS[BOOKREC_IALS_N_WEIGHTS] = {0, 0, 0.5f, 1, 1};

/* The options with every default filled in. */
typedef struct ials_cfg {
    int dim, iters, cg_steps; /* cg_steps < 0: exact */
    int reg_obs;              /* lambda scales with the observed pairs only */
    double lambda, reg_exp, alpha, w0, init_scale;
    uint64_t seed;
    float weight[BOOKREC_IALS_N_WEIGHTS];
    float lo, hi;
} ials_cfg;

static int resolve(const bookrec_ials_options *o, int need_dim, ials_cfg *c, bookrec_error *err) {
    static const bookrec_ials_options zero;
    if (!o) o = &zero;
    c->dim = o->dim ? o->dim : IALS_DEF_DIM;
    if (need_dim && (c->dim < 1 || c->dim > BOOKREC_IALS_MAX_DIM))
        return br_fail(err, BOOKREC_E_ARG, "ials: dim must be 1..%d, got %d", BOOKREC_IALS_MAX_DIM, o->dim);
    c->iters = o->iters ? o->iters : IALS_DEF_ITERS;
    if (c->iters < 0) return br_fail(err, BOOKREC_E_ARG, "ials: iters must be >= 0, got %d", o->iters);
    c->cg_steps = o->cg_steps ? o->cg_steps : IALS_DEF_CG;
    if (c->cg_steps < 0) c->cg_steps = -1;
    if (!isfinite(o->lambda) || o->lambda < 0)
        return br_fail(err, BOOKREC_E_ARG, "ials: lambda must be finite and > 0, got %g", (double)o->lambda);
    c->lambda = o->lambda ? o->lambda : IALS_DEF_LAMBDA;
    if (!isfinite(o->reg_exp)) return br_fail(err, BOOKREC_E_ARG, "ials: reg_exp is not finite");
    c->reg_exp = o->reg_exp == 0 ? IALS_DEF_REG_EXP : o->reg_exp < 0 ? 0.0 : o->reg_exp;
    c->reg_obs = o->reg_observed_only != 0;
    if (!isfinite(o->alpha)) return br_fail(err, BOOKREC_E_ARG, "ials: alpha is not finite");
    c->alpha = o->alpha == 0 ? IALS_DEF_ALPHA : o->alpha < 0 ? 0.0 : o->alpha;
    if (!isfinite(o->unobserved) || o->unobserved < 0)
        return br_fail(err, BOOKREC_E_ARG, "ials: unobserved weight must be finite and > 0, got %g",
                       (double)o->unobserved);
    c->w0 = o->unobserved ? o->unobserved : IALS_DEF_UNOBSERVED;
    if (!isfinite(o->init_scale) || o->init_scale < 0)
        return br_fail(err, BOOKREC_E_ARG, "ials: init_scale must be finite and >= 0, got %g", (double)o->init_scale);
    c->init_scale = o->init_scale ? o->init_scale : IALS_DEF_INIT;
    c->seed = o->seed ? o->seed : 1;
    int any = 0;
    for (int k = 0; k < BOOKREC_IALS_N_WEIGHTS; k++) {
        float w = o->rating_weight[k];
        if (!isfinite(w) || w < 0)
            return br_fail(err, BOOKREC_E_ARG, "ials: rating_weight[%d] must be finite and >= 0, got %g", k, (double)w);
        if (w > 0) any = 1;
    }
    memcpy(c->weight, any ? o->rating_weight : IALS_DEF_WEIGHTS, sizeof c->weight);
    if (!isfinite(o->min_rating) || !isfinite(o->max_rating) || o->min_rating > o->max_rating)
        return br_fail(err, BOOKREC_E_ARG, "ials: bad rating scale %g..%g", (double)o->min_rating,
                       (double)o->max_rating);
    c->lo = o->min_rating;
    c->hi = o->max_rating;
    if (c->lo == 0 && c->hi == 0) c->lo = 1, c->hi = 5;
    return BOOKREC_OK;
}

/* Weight of rating r (finite) under the table: linear between the scale's five positions. */
static float weight_of(const ials_cfg *c, float r) { return br_knot_weight(c->weight, r, c->lo, c->hi); }

float bookrec_ials_rating_weight(const bookrec_ials_options *opt, float rating) {
    ials_cfg c;
    if (resolve(opt, 0, &c, NULL) != BOOKREC_OK || isnan(rating)) return NAN;
    return weight_of(&c, rating);
}

/* Row r's L2: lambda (n_obs + w0 n_other)^nu, or lambda n_obs^nu with reg_obs. */
static double row_lambda(const ials_cfg *c, size_t n_obs, int n_other) {
    if (c->reg_exp == 0) return c->lambda;
    return c->lambda * pow((double)n_obs + (c->reg_obs ? 0.0 : c->w0 * (double)n_other), c->reg_exp);
}

/* ---------------------------------------------------------------- dense linear algebra */

/* In-place Cholesky of the symmetric positive definite a [d x d] (lower triangle used and overwritten with L);
   returns -1 when a pivot is not positive. */
static int cholesky(double *a, int d) {
    for (int j = 0; j < d; j++) {
        double *aj = a + (size_t)j * d;
        double s = aj[j];
        for (int k = 0; k < j; k++) s -= aj[k] * aj[k];
        if (!(s > 0)) return -1;
        double l = sqrt(s);
        aj[j] = l;
        double inv = 1.0 / l;
        for (int i = j + 1; i < d; i++) {
            double *ai = a + (size_t)i * d;
            double t = ai[j];
            for (int k = 0; k < j; k++) t -= ai[k] * aj[k];
            ai[j] = t * inv;
        }
    }
    return 0;
}

/* Solves L L^T x = b (L from cholesky) in place in b. */
static void chol_solve(const double *l, int d, double *b) {
    for (int i = 0; i < d; i++) {
        const double *li = l + (size_t)i * d;
        double s = b[i];
        for (int k = 0; k < i; k++) s -= li[k] * b[k];
        b[i] = s / li[i];
    }
    for (int i = d - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < d; k++) s -= l[(size_t)k * d + i] * b[k];
        b[i] = s / l[(size_t)i * d + i];
    }
}

/* Adds w y y^T to the lower triangle of a [d x d] (double). */
static void add_outer_lower(double *a, int d, double w, const float *y) {
    for (int i = 0; i < d; i++) {
        double wyi = w * y[i];
        double *ai = a + (size_t)i * d;
        for (int k = 0; k <= i; k++) ai[k] += wyi * y[k];
    }
}

/* Upper triangle rows [a0, a1) of the Gramian of f [n x d] into g (double), each entry summed over the rows of
   f in order, so any split of the rows of g gives the same numbers. */
static void gram_rows(const float *f, size_t n, int d, int a0, int a1, double *g) {
    for (int a = a0; a < a1; a++) memset(g + (size_t)a * d + a, 0, (size_t)(d - a) * sizeof *g);
    for (size_t i = 0; i < n; i++) {
        const float *y = f + i * (size_t)d;
        for (int a = a0; a < a1; a++) {
            double ya = y[a];
            if (ya == 0) continue;
            double *ga = g + (size_t)a * d;
            for (int b = a; b < d; b++) ga[b] += ya * y[b];
        }
    }
}

static void gram_mirror(double *g, int d) {
    for (int a = 0; a < d; a++)
        for (int b = 0; b < a; b++) g[(size_t)a * d + b] = g[(size_t)b * d + a];
}

int bookrec_ials_gram(const float *factors, int n, int dim, float *gram, bookrec_error *err) {
    if (!gram || (!factors && n > 0)) return br_fail(err, BOOKREC_E_ARG, "ials gram: NULL argument");
    if (n < 0) return br_fail(err, BOOKREC_E_ARG, "ials gram: n must be >= 0, got %d", n);
    if (dim < 1 || dim > BOOKREC_IALS_MAX_DIM)
        return br_fail(err, BOOKREC_E_ARG, "ials gram: dim must be 1..%d, got %d", BOOKREC_IALS_MAX_DIM, dim);
    double *g = malloc((size_t)dim * dim * sizeof *g);
    if (!g) return br_fail(err, BOOKREC_E_NOMEM, "ials gram: out of memory");
    gram_rows(factors, (size_t)n, dim, 0, dim, g);
    gram_mirror(g, dim);
    for (size_t k = 0; k < (size_t)dim * dim; k++) gram[k] = (float)g[k];
    free(g);
    return br_ok(err);
}

/* ---------------------------------------------------------------- one row's solve */

/* The fixed side of a half-step: the other factors Y [n_other x d], its Gramian, and the rows' CSR. */
typedef struct half {
    const ials_cfg *c;
    int d, n_rows, n_other;
    const float *other;      /* Y */
    float *rows;             /* X, updated */
    const br_ials_side *csr; /* the observed pairs grouped by these rows */
    const float *tab;        /* confidence of each code (csr->code) */
    const float *gf;         /* w0 Y^T Y as floats (CG) */
    const double *gd;        /* Y^T Y as doubles (exact solves) */
} half;

/* Observed pair k of a half-step: its other-side index and its confidence. */
static inline const float *other_of(const half *h, size_t k) {
    const br_ials_side *c = h->csr;
    return h->other + (size_t)(c->idx16 ? c->idx16[k] : c->idx32[k]) * (size_t)h->d;
}
static inline float conf_of(const half *h, size_t k) { return h->csr->code ? h->tab[h->csr->code[k]] : h->csr->conf[k]; }

/* Per-task scratch. */
typedef struct scratch {
    float *r, *p, *ap, *b;
    double *a, *x;
} scratch;

/* q = A p for row `row`: w0 G p + lambda_r p + sum_obs (c - w0) (y.p) y. */
static void apply_a(const half *h, size_t k0, size_t k1, double lam, const float *p, float *q) {
    int d = h->d;
    br_matvec(q, h->gf, p, d, d);
    br_axpy(q, (float)lam, p, d);
    float w0 = (float)h->c->w0;
    for (size_t k = k0; k < k1; k++) {
        const float *y = other_of(h, k);
        br_axpy(q, (conf_of(h, k) - w0) * br_dot(y, p, d), y, d);
    }
}

static void solve_row(const half *h, int row, scratch *s) {
    int d = h->d;
    size_t k0 = h->csr->off[row], k1 = h->csr->off[row + 1];
    double lam = row_lambda(h->c, k1 - k0, h->n_other);
    float *x = h->rows + (size_t)row * d;
    if (h->c->cg_steps < 0) {
        double *a = s->a, *b = s->x, w0 = h->c->w0;
        for (int i = 0; i < d; i++) {
            for (int k = 0; k <= i; k++) a[(size_t)i * d + k] = w0 * h->gd[(size_t)i * d + k];
            a[(size_t)i * d + i] += lam;
            b[i] = 0;
        }
        for (size_t k = k0; k < k1; k++) {
            const float *y = other_of(h, k);
            float ck = conf_of(h, k);
            add_outer_lower(a, d, ck - w0, y);
            for (int i = 0; i < d; i++) b[i] += (double)ck * y[i];
        }
        if (cholesky(a, d) != 0) return; /* cannot happen with lambda > 0; keep the old row */
        chol_solve(a, d, b);
        for (int i = 0; i < d; i++) x[i] = (float)b[i];
        return;
    }
    float *r = s->r, *p = s->p, *ap = s->ap, *b = s->b;
    memset(b, 0, (size_t)d * sizeof *b);
    for (size_t k = k0; k < k1; k++) br_axpy(b, conf_of(h, k), other_of(h, k), d);
    apply_a(h, k0, k1, lam, x, ap);
    for (int i = 0; i < d; i++) r[i] = p[i] = b[i] - ap[i];
    double rs = br_dot(r, r, d);
    for (int step = 0; step < h->c->cg_steps && rs > 0; step++) {
        apply_a(h, k0, k1, lam, p, ap);
        double pap = br_dot(p, ap, d);
        if (!(pap > 0)) break;
        float step_len = (float)(rs / pap);
        br_axpy(x, step_len, p, d);
        br_axpy(r, -step_len, ap, d);
        double rs2 = br_dot(r, r, d);
        float beta = (float)(rs2 / rs);
        for (int i = 0; i < d; i++) p[i] = r[i] + beta * p[i];
        rs = rs2;
    }
}

/* ---------------------------------------------------------------- fit */

typedef struct fit_state {
    ials_cfg c;
    int T;
    const bookrec_ials_options *o;
    scratch *sc;
    /* current job */
    int job;                 /* 0 solve rows, 1 Gramian rows, 2 per-row loss */
    half h;
    int *bound;              /* T + 1 row boundaries of the current half */
    const float *gram_src;   /* Gramian job: the factors [gram_n x d] */
    size_t gram_n;
    double *gram_out;
    double *row_loss;        /* loss job: one sum per user */
} fit_state;

/* Observed pairs' part of the loss for row u, plus its L2: sum c (1 - yhat)^2 - w0 yhat^2 + lambda_u |x|^2. */
static double row_loss(const half *h, int row) {
    int d = h->d;
    size_t k0 = h->csr->off[row], k1 = h->csr->off[row + 1];
    const float *x = h->rows + (size_t)row * d;
    double s = 0, w0 = h->c->w0;
    for (size_t k = k0; k < k1; k++) {
        double yh = br_dot(x, other_of(h, k), d);
        s += conf_of(h, k) * (1 - yh) * (1 - yh) - w0 * yh * yh;
    }
    double xx = 0;
    for (int i = 0; i < d; i++) xx += (double)x[i] * x[i];
    return s + row_lambda(h->c, k1 - k0, h->n_other) * xx;
}

/* First Gramian row of task t of T: the upper triangle cut into T parts of about equal area (row a has d - a
   entries). */
static int tri_bound(int d, int T, int t) {
    double want = (double)d * (d + 1) / 2 * t / T, acc = 0;
    int a = 0;
    while (a < d && acc + 0.5 * (d - a) < want) acc += d - a++;
    return t >= T ? d : a;
}

static void fit_task(void *arg, int t) {
    fit_state *f = arg;
    if (f->job == 1) {
        int d = f->c.dim;
        gram_rows(f->gram_src, f->gram_n, d, tri_bound(d, f->T, t), tri_bound(d, f->T, t + 1), f->gram_out);
        return;
    }
    for (int row = f->bound[t]; row < f->bound[t + 1]; row++) {
        if (f->job == 0) solve_row(&f->h, row, &f->sc[t]);
        else f->row_loss[row] = row_loss(&f->h, row);
    }
}

static void run(fit_state *f) {
    if (f->T > 1 && f->o && f->o->parallel) f->o->parallel(f->o->parallel_ctx, fit_task, f, f->T);
    else
        for (int t = 0; t < f->T; t++) fit_task(f, t);
}

/* Gramian of src [n x d] into gd (double, full) with the tasks. */
static void run_gram(fit_state *f, const float *src, size_t n, double *gd) {
    f->job = 1;
    f->gram_src = src;
    f->gram_n = n;
    f->gram_out = gd;
    run(f);
    gram_mirror(gd, f->c.dim);
}

/* Cuts rows 0..n into T chunks of about equal cost (observed pairs + dim per row). */
static void balance(const size_t *off, int n, int d, int T, int *bound) {
    double total = (double)off[n] + (double)n * d, acc = 0;
    int t = 1;
    bound[0] = 0;
    for (int r = 0; r < n && t < T; r++) {
        acc += (double)(off[r + 1] - off[r]) + d;
        while (t < T && acc >= total * t / T) bound[t++] = r + 1;
    }
    while (t <= T) bound[t++] = n;
}

/* Code of confidence c in d's table (added when new); -1 when the table is full. */
static int conf_code(br_ials_data *d, float c, int *last) {
    if (*last >= 0 && memcmp(&d->tab[*last], &c, sizeof c) == 0) return *last;
    for (int j = 0; j < d->n_tab; j++)
        if (memcmp(&d->tab[j], &c, sizeof c) == 0) return *last = j;
    if (d->n_tab == 256) return -1;
    d->tab[d->n_tab] = c;
    return *last = d->n_tab++;
}

/* Allocates side s for n_rows rows (off already counted) of n pairs against n_other rows, codes or floats. */
static int side_alloc(br_ials_side *s, size_t n, int n_other, int floats) {
    size_t m = n ? n : 1;
    if (n_other <= 65536) s->idx16 = malloc(m * sizeof *s->idx16);
    else s->idx32 = malloc(m * sizeof *s->idx32);
    if (floats) s->conf = malloc(m * sizeof *s->conf);
    else s->code = malloc(m);
    return (s->idx16 || s->idx32) && (s->conf || s->code) ? 0 : -1;
}

/* Puts pair (other, code or conf) at row key's cursor (off[key], moved on). */
static void side_put(br_ials_side *s, int32_t key, int32_t other, int code, float conf) {
    size_t at = s->off[key]++;
    if (s->idx16) s->idx16[at] = (uint16_t)other;
    else s->idx32[at] = other;
    if (s->code) s->code[at] = (uint8_t)code;
    else s->conf[at] = conf;
}

/* Turns the cursors back into row starts (each cursor ended on the next row's start). */
static void side_rewind(br_ials_side *s, int n_rows) {
    memmove(s->off + 1, s->off, (size_t)n_rows * sizeof *s->off);
    s->off[0] = 0;
}

static void side_free(br_ials_side *s) {
    free(s->off), free(s->idx16), free(s->idx32), free(s->code), free(s->conf);
    memset(s, 0, sizeof *s);
}

void br_ials_data_free(br_ials_data *d) {
    if (!d) return;
    side_free(&d->by_user);
    side_free(&d->by_item);
    memset(d, 0, sizeof *d);
}

int br_ials_data_build(const br_rsrc *src, const unsigned char *skip_user, int n_users, int n_items,
                       const bookrec_ials_options *opt, br_ials_data *d, bookrec_error *err) {
    memset(d, 0, sizeof *d);
    ials_cfg c;
    int st = resolve(opt, 0, &c, err);
    if (st) return st;
    d->n_users = n_users, d->n_items = n_items;
    d->by_user.off = calloc((size_t)n_users + 1, sizeof *d->by_user.off);
    d->by_item.off = calloc((size_t)n_items + 1, sizeof *d->by_item.off);
    if (!d->by_user.off || !d->by_item.off) {
        br_ials_data_free(d);
        return br_fail(err, BOOKREC_E_NOMEM, "ials fit: out of memory");
    }
    size_t n = br_rsrc_n(src);
    int floats = 0, last = -1;
    for (size_t k = 0; k < n; k++) { /* count the kept pairs per row, and settle the confidence codes */
        int32_t u, i;
        float r;
        br_rsrc_get(src, k, &u, &i, &r);
        if (u < 0 || u >= n_users || i < 0 || i >= n_items) {
            br_ials_data_free(d);
            return br_fail(err, BOOKREC_E_ARG, "ials fit: rating %zu has user %d / item %d, expected below %d / %d",
                           k, u, i, n_users, n_items);
        }
        if (!isfinite(r)) {
            br_ials_data_free(d);
            return br_fail(err, BOOKREC_E_ARG, "ials fit: rating %zu (user %d, item %d) is not finite", k, u, i);
        }
        float w = weight_of(&c, r);
        if (!(w > 0) || (skip_user && skip_user[u])) continue;
        d->by_user.off[u + 1]++, d->by_item.off[i + 1]++, d->n++;
        if (!floats && conf_code(d, (float)(1.0 + c.alpha * w), &last) < 0) floats = 1;
    }
    for (int u = 0; u < n_users; u++) d->by_user.off[u + 1] += d->by_user.off[u];
    for (int i = 0; i < n_items; i++) d->by_item.off[i + 1] += d->by_item.off[i];
    if (side_alloc(&d->by_user, d->n, n_items, floats) || side_alloc(&d->by_item, d->n, n_users, floats)) {
        br_ials_data_free(d);
        return br_fail(err, BOOKREC_E_NOMEM, "ials fit: out of memory");
    }
    if (floats) d->n_tab = 0;
    for (size_t k = 0; k < n; k++) { /* fill both sides in the ratings' order (off[] as cursors) */
        int32_t u, i;
        float r;
        br_rsrc_get(src, k, &u, &i, &r);
        float w = weight_of(&c, r);
        if (!(w > 0) || (skip_user && skip_user[u])) continue;
        float conf = (float)(1.0 + c.alpha * w);
        int code = floats ? 0 : conf_code(d, conf, &last);
        side_put(&d->by_user, u, i, code, conf);
        side_put(&d->by_item, i, u, code, conf);
    }
    side_rewind(&d->by_user, n_users);
    side_rewind(&d->by_item, n_items);
    return br_ok(err);
}

static void init_factors(float *f, size_t n, int d, double sd, br_rng *rng) {
    /* uniform in +-a has standard deviation a / sqrt(3) */
    float a = (float)(sd * sqrt(3.0) / sqrt((double)d));
    for (size_t k = 0; k < n * (size_t)d; k++) f[k] = a * (2.0f * br_rng_float(rng) - 1.0f);
}

int bookrec_ials_fit(const bookrec_triples *train, int n_users, int n_items, const bookrec_ials_options *opt,
                     float *user_factors, float *item_factors, bookrec_error *err) {
    ials_cfg c;
    int st = resolve(opt, 1, &c, err);
    if (st) return st;
    if (!train) return br_fail(err, BOOKREC_E_ARG, "ials fit: train is NULL");
    if (train->n && (!train->user || !train->item || !train->rating))
        return br_fail(err, BOOKREC_E_ARG, "ials fit: train has NULL arrays");
    if (n_users < 1 || n_items < 1)
        return br_fail(err, BOOKREC_E_ARG, "ials fit: expected n_users and n_items > 0, got %d and %d", n_users,
                       n_items);
    if (!user_factors || !item_factors) return br_fail(err, BOOKREC_E_ARG, "ials fit: factor arrays are NULL");
    br_ials_data d;
    br_rsrc src = {train, NULL};
    st = br_ials_data_build(&src, NULL, n_users, n_items, opt, &d, err);
    if (!st) st = br_ials_run(&d, opt, user_factors, item_factors, err);
    br_ials_data_free(&d);
    return st;
}

int br_ials_run(const br_ials_data *data, const bookrec_ials_options *opt, float *user_factors, float *item_factors,
                bookrec_error *err) {
    fit_state f;
    memset(&f, 0, sizeof f);
    int st = resolve(opt, 1, &f.c, err);
    if (st) return st;
    int d = f.c.dim, n_users = data->n_users, n_items = data->n_items;
    f.o = opt;
    f.T = opt && opt->n_tasks > 1 ? (opt->n_tasks > 256 ? 256 : opt->n_tasks) : 1;
    float *gf = NULL;
    double *gd = NULL, *gx = NULL, *loss = NULL;
    int *bu = NULL, *bi = NULL;
    f.sc = calloc((size_t)f.T, sizeof *f.sc);
    gf = malloc((size_t)d * d * sizeof *gf);
    gd = malloc((size_t)d * d * sizeof *gd);
    bu = malloc(((size_t)f.T + 1) * sizeof *bu);
    bi = malloc(((size_t)f.T + 1) * sizeof *bi);
    int want_loss = opt && opt->on_epoch;
    if (want_loss) {
        gx = malloc((size_t)d * d * sizeof *gx);
        loss = malloc((size_t)n_users * sizeof *loss);
    }
    int ok = f.sc && gf && gd && bu && bi && (!want_loss || (gx && loss));
    for (int t = 0; ok && t < f.T; t++) {
        scratch *s = &f.sc[t];
        s->r = malloc((size_t)4 * d * sizeof(float));
        s->a = malloc(((size_t)d * d + d) * sizeof(double));
        if (!s->r || !s->a) ok = 0;
        else s->p = s->r + d, s->ap = s->r + 2 * d, s->b = s->r + 3 * d, s->x = s->a + (size_t)d * d;
    }
    if (!ok) {
        st = br_fail(err, BOOKREC_E_NOMEM, "ials fit: out of memory (%zu ratings, dim %d)", data->n, d);
        goto done;
    }

    br_rng rng;
    br_rng_seed(&rng, f.c.seed);
    init_factors(user_factors, (size_t)n_users, d, f.c.init_scale, &rng);
    init_factors(item_factors, (size_t)n_items, d, f.c.init_scale, &rng);
    const size_t *uoff = data->by_user.off, *ioff = data->by_item.off;
    balance(uoff, n_users, d, f.T, bu);
    balance(ioff, n_items, d, f.T, bi);

    half hu = {&f.c, d, n_users, n_items, item_factors, user_factors, &data->by_user, data->tab, gf, gd};
    half hi = {&f.c, d, n_items, n_users, user_factors, item_factors, &data->by_item, data->tab, gf, gd};
    for (int ep = 1; ep <= f.c.iters; ep++) {
        for (int side = 0; side < 2; side++) {
            const half *h = side == 0 ? &hi : &hu;
            run_gram(&f, h->other, (size_t)h->n_other, gd);
            for (size_t k = 0; k < (size_t)d * d; k++) gf[k] = (float)(f.c.w0 * gd[k]);
            f.job = 0;
            f.h = *h;
            f.bound = side == 0 ? bi : bu;
            run(&f);
        }
        if (!want_loss) continue;
        /* gd still holds the books' Gramian (the books have not moved since the reader half-step) */
        f.job = 2;
        f.h = hu;
        f.bound = bu;
        f.row_loss = loss;
        run(&f);
        double total = 0;
        for (int u = 0; u < n_users; u++) total += loss[u];
        for (int i = 0; i < n_items; i++) {
            const float *y = item_factors + (size_t)i * d;
            double yy = 0;
            for (int a = 0; a < d; a++) yy += (double)y[a] * y[a];
            total += row_lambda(&f.c, ioff[i + 1] - ioff[i], n_users) * yy;
        }
        run_gram(&f, user_factors, (size_t)n_users, gx);
        double tr = 0; /* sum over all pairs of yhat^2 = trace(X^T X Y^T Y) */
        for (size_t k = 0; k < (size_t)d * d; k++) tr += gx[k] * gd[k];
        total += f.c.w0 * tr;
        if (opt->on_epoch(opt->on_epoch_ctx, ep, total)) break;
    }
    st = br_ok(err);
done:
    if (f.sc)
        for (int t = 0; t < f.T; t++) free(f.sc[t].r), free(f.sc[t].a);
    free(f.sc);
    free(gf), free(gd), free(gx), free(loss), free(bu), free(bi);
    return st;
}

/* ---------------------------------------------------------------- fold-in and scoring */

int bookrec_ials_fold_in(const float *item_factors, const float *gram, int n_items, int dim, const int32_t *items,
                         const float *ratings, int n, const bookrec_ials_options *opt, float *user_out,
                         bookrec_error *err) {
    ials_cfg c;
    int st = resolve(opt, 0, &c, err);
    if (st) return st;
    if (dim < 1 || dim > BOOKREC_IALS_MAX_DIM)
        return br_fail(err, BOOKREC_E_ARG, "ials fold-in: dim must be 1..%d, got %d", BOOKREC_IALS_MAX_DIM, dim);
    if (n_items < 1) return br_fail(err, BOOKREC_E_ARG, "ials fold-in: n_items must be > 0, got %d", n_items);
    if (n < 0) return br_fail(err, BOOKREC_E_ARG, "ials fold-in: n must be >= 0, got %d", n);
    if (!item_factors || !user_out || (n > 0 && !items))
        return br_fail(err, BOOKREC_E_ARG, "ials fold-in: NULL argument");
    size_t n_obs = 0;
    for (int k = 0; k < n; k++) {
        if (items[k] < 0 || items[k] >= n_items)
            return br_fail(err, BOOKREC_E_ARG, "ials fold-in: item %d (pair %d) is out of range 0..%d", items[k], k,
                           n_items - 1);
        if (ratings && !isfinite(ratings[k]))
            return br_fail(err, BOOKREC_E_ARG, "ials fold-in: rating %d (item %d) is not finite", k, items[k]);
        if (!ratings || weight_of(&c, ratings[k]) > 0) n_obs++;
    }
    int d = dim;
    double *a = malloc((size_t)d * d * sizeof *a);
    if (!a) return br_fail(err, BOOKREC_E_NOMEM, "ials fold-in: out of memory");
    double b[BOOKREC_IALS_MAX_DIM];
    if (gram) {
        for (size_t k = 0; k < (size_t)d * d; k++) a[k] = c.w0 * gram[k];
    } else {
        gram_rows(item_factors, (size_t)n_items, d, 0, d, a);
        gram_mirror(a, d);
        for (size_t k = 0; k < (size_t)d * d; k++) a[k] *= c.w0;
    }
    double lam = row_lambda(&c, n_obs, n_items);
    for (int i = 0; i < d; i++) a[(size_t)i * d + i] += lam, b[i] = 0;
    for (int k = 0; k < n; k++) {
        double w = ratings ? weight_of(&c, ratings[k]) : 1.0;
        if (!(w > 0)) continue;
        double conf = (double)(float)(1.0 + c.alpha * w); /* as fit stores it */
        const float *y = item_factors + (size_t)items[k] * d;
        add_outer_lower(a, d, conf - c.w0, y);
        for (int i = 0; i < d; i++) b[i] += conf * y[i];
    }
    if (cholesky(a, d) != 0) {
        free(a);
        return br_fail(err, BOOKREC_E_ARG, "ials fold-in: the system is not positive definite (bad gram?)");
    }
    chol_solve(a, d, b);
    free(a);
    for (int i = 0; i < d; i++) user_out[i] = (float)b[i];
    return br_ok(err);
}

int bookrec_ials_score(void *ctx, const bookrec_reader *reader, float *scores, int n_items, bookrec_error *err) {
    const bookrec_ials_scorer *s = ctx;
    if (!s || !s->item_factors || !reader || !scores) return br_fail(err, BOOKREC_E_ARG, "ials scorer: NULL argument");
    if (s->n_items != n_items)
        return br_fail(err, BOOKREC_E_ARG, "ials scorer: the model has %d items, the evaluation %d", s->n_items,
                       n_items);
    int d = s->dim;
    if (d < 1 || d > BOOKREC_IALS_MAX_DIM)
        return br_fail(err, BOOKREC_E_ARG, "ials scorer: dim must be 1..%d, got %d", BOOKREC_IALS_MAX_DIM, d);
    float local[BOOKREC_IALS_MAX_DIM];
    const float *x = local;
    if (reader->user >= 0) {
        if (!s->user_factors || reader->user >= s->n_users)
            return br_fail(err, BOOKREC_E_ARG, "ials scorer: no factors for user %d", reader->user);
        x = s->user_factors + (size_t)reader->user * d;
    } else {
        int st = bookrec_ials_fold_in(s->item_factors, s->gram, n_items, d, reader->items, reader->ratings,
                                      reader->n, s->opt, local, err);
        if (st) return st;
    }
    for (int i = 0; i < n_items; i++) scores[i] = br_dot(x, s->item_factors + (size_t)i * d, d);
    return BOOKREC_OK;
}
