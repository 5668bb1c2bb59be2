/*
 * test_ials.c - iALS (src/ials.c) on small generated data: conjugate gradient with enough steps gives the
 * exact solve; the objective reported after each epoch is the real one (checked by brute force over every
 * pair) and never goes up; folding a training reader in reproduces that reader's row; results are
 * bit-identical for 1, 2, 3 and 11 tasks (real threads); a zero rating weight is the same as leaving the rating
 * out; the scorer; bad arguments give clear errors; and the fold-in solves Spark MLlib's implicit ALS normal
 * equations when given its settings (reg_observed_only), also through bookrec_ials_set_options.
 */
#include "bookrec.h"
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

enum { NU = 240, NI = 90 };

/* ---------------------------------------------------------------- data */

static uint64_t rng_state = 12345;
static double urand(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

/* Readers with 3..25 ratings drawn from 4 taste groups; ratings 1..5, higher within the reader's group. */
static void make_data(bookrec_triples *t) {
    static int32_t u[NU * 30], it[NU * 30];
    static float r[NU * 30];
    size_t n = 0;
    for (int a = 0; a < NU; a++) {
        int g = a % 4, k = 3 + (int)(urand() * 23);
        unsigned char seen[NI] = {0};
        while (k > 0) {
            int i = urand() < 0.7 ? (int)(urand() * (NI / 4)) * 4 + g : (int)(urand() * NI);
            if (i >= NI || seen[i]) continue;
            seen[i] = 1;
            u[n] = a, it[n] = i;
            r[n] = i % 4 == g ? (float)(3 + (int)(urand() * 3)) : (float)(1 + (int)(urand() * 3));
            n++, k--;
        }
    }
    t->user = u, t->item = it, t->rating = r, t->n = n;
}

/* ---------------------------------------------------------------- helpers */

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t k = 0; k < n; k++) m = fmax(m, fabs((double)a[k] - b[k]));
    return m;
}

static double max_abs(const float *a, size_t n) {
    double m = 0;
    for (size_t k = 0; k < n; k++) m = fmax(m, fabs((double)a[k]));
    return m;
}

typedef struct losses {
    double v[64];
    int n;
} losses;

static int record(void *ctx, int epoch, double loss) {
    losses *l = ctx;
    if (l->n < 64) l->v[l->n++] = loss;
    (void)epoch;
    return 0;
}

/* The objective of bookrec.h summed over every (user, item) pair. */
static double brute_objective(const bookrec_triples *t, const bookrec_ials_options *o, const float *X,
                              const float *Y, int d) {
    static float conf[NU][NI];
    static int nu[NU], ni[NI];
    memset(conf, 0, sizeof conf), memset(nu, 0, sizeof nu), memset(ni, 0, sizeof ni);
    for (size_t k = 0; k < t->n; k++) {
        float w = bookrec_ials_rating_weight(o, t->rating[k]);
        if (w > 0) {
            conf[t->user[k]][t->item[k]] = 1 + o->alpha * w;
            nu[t->user[k]]++, ni[t->item[k]]++;
        }
    }
    double L = 0, w0 = o->unobserved;
    for (int u = 0; u < NU; u++)
        for (int i = 0; i < NI; i++) {
            double yh = 0;
            for (int a = 0; a < d; a++) yh += (double)X[u * d + a] * Y[i * d + a];
            L += conf[u][i] > 0 ? conf[u][i] * (1 - yh) * (1 - yh) : w0 * yh * yh;
        }
    for (int u = 0; u < NU; u++) {
        double xx = 0;
        for (int a = 0; a < d; a++) xx += (double)X[u * d + a] * X[u * d + a];
        L += o->lambda * pow(nu[u] + w0 * NI, o->reg_exp) * xx;
    }
    for (int i = 0; i < NI; i++) {
        double yy = 0;
        for (int a = 0; a < d; a++) yy += (double)Y[i * d + a] * Y[i * d + a];
        L += o->lambda * pow(ni[i] + w0 * NU, o->reg_exp) * yy;
    }
    return L;
}

/* A real parallel-for: one thread per task beyond the first, the caller runs task 0. */
typedef struct targ {
    bookrec_task_fn fn;
    void *arg;
    int t;
} targ;
static void *thread_main(void *p) {
    targ *a = p;
    a->fn(a->arg, a->t);
    return NULL;
}
static int n_parallel_calls = 0;
static void threads_parallel(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks) {
    (void)ctx;
    pthread_t th[16];
    targ a[16];
    n_parallel_calls++;
    for (int t = 1; t < n_tasks; t++) {
        a[t] = (targ){fn, arg, t};
        pthread_create(&th[t], NULL, thread_main, &a[t]);
    }
    fn(arg, 0);
    for (int t = 1; t < n_tasks; t++) pthread_join(th[t], NULL);
}

static bookrec_ials_options base_opts(int d) {
    bookrec_ials_options o;
    memset(&o, 0, sizeof o);
    o.dim = d;
    o.iters = 6;
    o.lambda = 0.002f;
    o.reg_exp = 1.0f;
    o.alpha = 4.0f;
    o.unobserved = 0.5f;
    o.seed = 7;
    for (int k = 0; k < BOOKREC_IALS_N_WEIGHTS; k++) o.rating_weight[k] = 0.25f * (float)(k + 1);
    return o;
}

/* ---------------------------------------------------------------- tests */

static void test_cg_matches_exact(const bookrec_triples *t) {
    enum { D = 8 };
    static float X1[NU * D], Y1[NI * D], X2[NU * D], Y2[NI * D];
    bookrec_ials_options o = base_opts(D);
    bookrec_error err;
    o.iters = 3;
    o.cg_steps = -1;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X1, Y1, &err) == BOOKREC_OK, "%s", err.msg);
    o.cg_steps = 4 * D;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X2, Y2, &err) == BOOKREC_OK, "%s", err.msg);
    double dx = max_abs_diff(X1, X2, NU * D), dy = max_abs_diff(Y1, Y2, NI * D);
    double sx = max_abs(X1, NU * D), sy = max_abs(Y1, NI * D);
    CHECK(dx < 1e-3 * sx && dy < 1e-3 * sy, "CG (%d steps) vs exact: users differ by %g (scale %g), books by %g (%g)",
          o.cg_steps, dx, sx, dy, sy);
    /* and 3 steps is a different, approximate result */
    o.cg_steps = 0;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X2, Y2, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(max_abs_diff(X1, X2, NU * D) > 0, "3 CG steps should not equal the exact solve bit for bit");
}

static void test_objective(const bookrec_triples *t, int cg_steps) {
    enum { D = 6 };
    static float X[NU * D], Y[NI * D];
    bookrec_ials_options o = base_opts(D);
    bookrec_error err;
    losses l = {{0}, 0};
    o.iters = 12;
    o.cg_steps = cg_steps;
    o.on_epoch = record;
    o.on_epoch_ctx = &l;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X, Y, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(l.n == 12, "on_epoch called %d times, expected 12", l.n);
    for (int e = 1; e < l.n; e++)
        CHECK(l.v[e] <= l.v[e - 1] * (1 + 1e-9), "cg_steps %d: objective went up at epoch %d: %.9g -> %.9g",
              cg_steps, e + 1, l.v[e - 1], l.v[e]);
    CHECK(l.v[l.n - 1] < 0.9 * l.v[0], "cg_steps %d: objective barely moved: %g -> %g", cg_steps, l.v[0],
          l.v[l.n - 1]);
    double b = brute_objective(t, &o, X, Y, D);
    CHECK(fabs(b - l.v[l.n - 1]) < 1e-6 * b, "cg_steps %d: reported objective %.9g, brute force %.9g", cg_steps,
          l.v[l.n - 1], b);
}

/* A stop request from on_epoch ends training. */
static int stop_at_2(void *ctx, int epoch, double loss) {
    (void)loss;
    *(int *)ctx = epoch;
    return epoch >= 2;
}

static void test_stop(const bookrec_triples *t) {
    enum { D = 4 };
    static float X[NU * D], Y[NI * D];
    bookrec_ials_options o = base_opts(D);
    bookrec_error err;
    int last = 0;
    o.on_epoch = stop_at_2;
    o.on_epoch_ctx = &last;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X, Y, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(last == 2, "training went on to epoch %d after on_epoch asked to stop at 2", last);
}

/* Fold-in of a training reader's ratings = the reader's row (readers are solved last in each epoch). */
static void test_fold_in(const bookrec_triples *t, int cg_steps, double tol) {
    enum { D = 8 };
    static float X[NU * D], Y[NI * D], G[D * D];
    bookrec_ials_options o = base_opts(D);
    bookrec_error err;
    o.cg_steps = cg_steps;
    o.iters = 8;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X, Y, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_ials_gram(Y, NI, D, G, &err) == BOOKREC_OK, "%s", err.msg);
    double worst = 0, scale = max_abs(X, NU * D);
    for (int u = 0; u < NU; u += 7) {
        int32_t items[64];
        float ratings[64];
        int n = 0;
        for (size_t k = 0; k < t->n; k++)
            if (t->user[k] == u) items[n] = t->item[k], ratings[n++] = t->rating[k];
        float x[D], x2[D];
        CHECK(bookrec_ials_fold_in(Y, G, NI, D, items, ratings, n, &o, x, &err) == BOOKREC_OK, "%s", err.msg);
        CHECK(bookrec_ials_fold_in(Y, NULL, NI, D, items, ratings, n, &o, x2, &err) == BOOKREC_OK, "%s", err.msg);
        CHECK(max_abs_diff(x, x2, D) < 1e-5 * scale, "fold-in with and without a given Gramian differ for user %d", u);
        worst = fmax(worst, max_abs_diff(x, X + u * D, D));
    }
    CHECK(worst < tol * scale, "cg_steps %d: fold-in differs from the trained row by %g (factor scale %g, tol %g)",
          cg_steps, worst, scale, tol);
    printf("fold-in vs trained row, cg_steps %d: max diff %.3g (factor scale %.3g)\n", cg_steps, worst, scale);
    /* no ratings: the zero vector; ratings NULL: every item has weight 1 */
    float x[D];
    int32_t one = 3;
    CHECK(bookrec_ials_fold_in(Y, G, NI, D, NULL, NULL, 0, &o, x, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(max_abs(x, D) == 0, "fold-in of nothing should be the zero vector");
    float r4 = 4, xa[D]; /* base_opts: 4 stars weigh 1 */
    CHECK(bookrec_ials_fold_in(Y, G, NI, D, &one, NULL, 1, &o, x, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_ials_fold_in(Y, G, NI, D, &one, &r4, 1, &o, xa, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(max_abs_diff(x, xa, D) == 0, "ratings NULL should weigh every item 1");
}

static void test_tasks(const bookrec_triples *t, int cg_steps) {
    enum { D = 8 };
    static float X1[NU * D], Y1[NI * D], X2[NU * D], Y2[NI * D];
    bookrec_ials_options o = base_opts(D);
    bookrec_error err;
    losses l1 = {{0}, 0}, l2 = {{0}, 0};
    o.cg_steps = cg_steps;
    o.on_epoch = record;
    o.on_epoch_ctx = &l1;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X1, Y1, &err) == BOOKREC_OK, "%s", err.msg);
    static const int tasks[] = {2, 3, 11}; /* 11: more tasks than Gramian rows */
    for (int j = 0; j < 3; j++) {
        int T = tasks[j];
        o.n_tasks = T;
        o.parallel = threads_parallel;
        o.on_epoch_ctx = &l2;
        l2.n = 0;
        int calls = n_parallel_calls;
        CHECK(bookrec_ials_fit(t, NU, NI, &o, X2, Y2, &err) == BOOKREC_OK, "%s", err.msg);
        CHECK(n_parallel_calls > calls, "the parallel callback was never called");
        CHECK(!memcmp(X1, X2, sizeof X1) && !memcmp(Y1, Y2, sizeof Y1),
              "cg_steps %d: n_tasks %d differs from n_tasks 1 (users %g, books %g)", cg_steps, T,
              max_abs_diff(X1, X2, NU * D), max_abs_diff(Y1, Y2, NI * D));
        CHECK(l2.n == l1.n && !memcmp(l1.v, l2.v, sizeof(double) * (size_t)l1.n),
              "n_tasks %d: the reported objective differs", T);
    }
    /* same seed twice: same result; another seed: another result */
    o.n_tasks = 1;
    o.on_epoch = NULL;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X2, Y2, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(!memcmp(X1, X2, sizeof X1), "same options twice gave different factors");
    o.seed = 8;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X2, Y2, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(memcmp(X1, X2, sizeof X1) != 0, "another seed gave the same factors");
}

/* Weight 0 for 1 and 2 stars = those ratings left out of the data. */
static void test_zero_weight(const bookrec_triples *t) {
    enum { D = 6 };
    static float X1[NU * D], Y1[NI * D], X2[NU * D], Y2[NI * D];
    static int32_t u[NU * 30], it[NU * 30];
    static float r[NU * 30];
    bookrec_ials_options o = base_opts(D);
    bookrec_error err;
    const float tab[5] = {0, 0, 1, 2, 3};
    memcpy(o.rating_weight, tab, sizeof tab);
    bookrec_triples kept = {u, it, r, 0};
    for (size_t k = 0; k < t->n; k++)
        if (t->rating[k] >= 3) u[kept.n] = t->user[k], it[kept.n] = t->item[k], r[kept.n++] = t->rating[k];
    CHECK(kept.n < t->n, "the generated data should have low ratings");
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X1, Y1, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_ials_fit(&kept, NU, NI, &o, X2, Y2, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(!memcmp(X1, X2, sizeof X1) && !memcmp(Y1, Y2, sizeof Y1),
          "ratings of weight 0 should be the same as ratings left out");
    /* the table is read at the scale's five positions, linearly in between */
    CHECK(bookrec_ials_rating_weight(&o, 1) == 0 && bookrec_ials_rating_weight(&o, 2) == 0, "weights of 1, 2 stars");
    CHECK(bookrec_ials_rating_weight(&o, 4) == 2 && bookrec_ials_rating_weight(&o, 4.5f) == 2.5f, "4, 4.5 stars");
    CHECK(bookrec_ials_rating_weight(&o, 9) == 3 && bookrec_ials_rating_weight(&o, -1) == 0, "clamped to the scale");
    o.min_rating = 1, o.max_rating = 10; /* 1..10: positions 1, 3.25, 5.5, 7.75, 10 */
    CHECK(fabsf(bookrec_ials_rating_weight(&o, 7.75f) - 2) < 1e-6f, "7.75 on 1..10 is the fourth position");
    bookrec_ials_options z;
    memset(&z, 0, sizeof z);
    CHECK(bookrec_ials_rating_weight(&z, 1) == 0 && bookrec_ials_rating_weight(&z, 2) == 0 &&
              bookrec_ials_rating_weight(&z, 3) == 0.5f && bookrec_ials_rating_weight(&z, 4) == 1 &&
              bookrec_ials_rating_weight(&z, 5) == 1,
          "the default weights: 1-2 stars left out, 3 stars half, 4-5 stars full");
    CHECK(isnan(bookrec_ials_rating_weight(&z, NAN)), "a NaN rating has a NaN weight");
}

static void test_scorer(const bookrec_triples *t) {
    enum { D = 5 };
    static float X[NU * D], Y[NI * D], G[D * D];
    bookrec_ials_options o = base_opts(D);
    bookrec_error err;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X, Y, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_ials_gram(Y, NI, D, G, &err) == BOOKREC_OK, "%s", err.msg);
    bookrec_ials_scorer s = {X, Y, G, NU, NI, D, &o};
    float sc[NI];
    bookrec_reader rd = {5, NULL, NULL, 0};
    CHECK(bookrec_ials_score(&s, &rd, sc, NI, &err) == BOOKREC_OK, "%s", err.msg);
    double e = 0;
    for (int i = 0; i < NI; i++) {
        double dot = 0;
        for (int a = 0; a < D; a++) dot += (double)X[5 * D + a] * Y[i * D + a];
        e = fmax(e, fabs(dot - sc[i]));
    }
    CHECK(e < 1e-5, "dataset user scores are not dot(x_u, y_i): %g", e);
    int32_t items[2] = {4, 8};
    float ratings[2] = {5, 4}, x[D];
    rd = (bookrec_reader){-1, items, ratings, 2};
    CHECK(bookrec_ials_score(&s, &rd, sc, NI, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_ials_fold_in(Y, G, NI, D, items, ratings, 2, &o, x, &err) == BOOKREC_OK, "%s", err.msg);
    e = 0;
    for (int i = 0; i < NI; i++) {
        double dot = 0;
        for (int a = 0; a < D; a++) dot += (double)x[a] * Y[i * D + a];
        e = fmax(e, fabs(dot - sc[i]));
    }
    CHECK(e < 1e-5, "new reader scores are not dot(fold_in, y_i): %g", e);
    /* and books the reader liked rank high */
    CHECK(sc[4] > sc[5] && sc[8] > sc[9], "a folded-in reader should score their own group's books higher");
    rd.user = NU;
    CHECK(bookrec_ials_score(&s, &rd, sc, NI, &err) == BOOKREC_E_ARG, "user out of range accepted");
    rd.user = 0;
    CHECK(bookrec_ials_score(&s, &rd, sc, NI - 1, &err) == BOOKREC_E_ARG, "wrong n_items accepted");
}

static int has(const bookrec_error *e, const char *what) { return strstr(e->msg, what) != NULL; }

/* Spark MLlib's implicit ALS solves each reader's row from (Y^T Y + sum_{r>0} alpha r y y^T + regParam n I) x =
   sum_{r>0} (1 + alpha r) y with n the reader's ratings > 0; the fold-in with weights = the ratings themselves,
   w0 = 1, lambda = regParam, reg_exp 1 and reg_observed_only must be that solve. Also through a model whose
   options were set by bookrec_ials_set_options (what bookrec import-als does). */
static void test_spark_foldin(const bookrec_triples *t) {
    enum { D = 5 };
    static float X[NU * D], Y[NI * D];
    bookrec_ials_options o = base_opts(D);
    bookrec_error err;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X, Y, &err) == BOOKREC_OK, "%s", err.msg);
    const double alpha = 0.7, reg = 0.05;
    bookrec_ials_options s;
    memset(&s, 0, sizeof s);
    s.alpha = (float)alpha, s.lambda = (float)reg, s.reg_exp = 1, s.reg_observed_only = 1, s.unobserved = 1;
    for (int k = 0; k < BOOKREC_IALS_N_WEIGHTS; k++) s.rating_weight[k] = (float)(k + 1);
    int32_t items[4] = {3, 10, 17, 40};
    float ratings[4] = {5, 2, 4, 3.5f}, x[D], xm[D];
    double A[D][D + 1];
    memset(A, 0, sizeof A);
    for (int i = 0; i < NI; i++)
        for (int a = 0; a < D; a++)
            for (int b = 0; b < D; b++) A[a][b] += (double)Y[i * D + a] * Y[i * D + b];
    for (int e = 0; e < 4; e++) {
        const float *y = Y + items[e] * D;
        double c1 = alpha * ratings[e];
        for (int a = 0; a < D; a++) {
            for (int b = 0; b < D; b++) A[a][b] += c1 * y[a] * y[b];
            A[a][D] += (1 + c1) * y[a];
        }
    }
    for (int a = 0; a < D; a++) A[a][a] += reg * 4;
    for (int p = 0; p < D; p++) /* Gauss-Jordan (A is positive definite: no pivoting needed) */
        for (int q = 0; q < D; q++) {
            if (q == p) continue;
            double f = A[q][p] / A[p][p];
            for (int b = p; b <= D; b++) A[q][b] -= f * A[p][b];
        }
    CHECK(bookrec_ials_fold_in(Y, NULL, NI, D, items, ratings, 4, &s, x, &err) == BOOKREC_OK, "%s", err.msg);
    double worst = 0, scale = 0;
    for (int a = 0; a < D; a++) {
        worst = fmax(worst, fabs(x[a] - A[a][D] / A[a][a]));
        scale = fmax(scale, fabs(A[a][D] / A[a][a]));
    }
    CHECK(worst < 1e-5 * scale, "fold-in vs Spark's normal equations: differ by %g (scale %g)", worst, scale);

    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = BOOKREC_ARCH_IALS, cfg.n_users = NU, cfg.n_items = NI, cfg.dim = D, cfg.hidden = 0;
    bookrec_model *m = NULL;
    CHECK(bookrec_model_create(&cfg, &m, &err) == BOOKREC_OK, "%s", err.msg);
    if (!m) return;
    int rows, cols;
    float *emb = (float *)bookrec_model_tensor(m, "item_emb", &rows, &cols);
    CHECK(emb && rows == NI && cols == D, "item_emb %d x %d", rows, cols);
    if (emb) memcpy(emb, Y, sizeof Y);
    CHECK(bookrec_ials_set_options(m, &s, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_model_fold_in(m, items, ratings, 4, NULL, xm, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(max_abs_diff(x, xm, D) < 1e-6 * scale, "a model with the options set folds in differently (%g)",
          max_abs_diff(x, xm, D));
    CHECK(fabsf(bookrec_model_rating_weight(m, 3.5f) - 3.5f) < 1e-6f, "weight of 3.5 stars: %g",
          bookrec_model_rating_weight(m, 3.5f));
    s.rating_weight[1] = -1;
    CHECK(bookrec_ials_set_options(m, &s, &err) == BOOKREC_E_ARG, "a negative weight was set");
    bookrec_model_free(m);
    cfg.arch = BOOKREC_ARCH_MF;
    m = NULL;
    CHECK(bookrec_model_create(&cfg, &m, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_ials_set_options(m, &s, &err) == BOOKREC_E_ARG && has(&err, "not an iALS"), "mf model: %s", err.msg);
    bookrec_model_free(m);
}


static void test_bad_args(const bookrec_triples *t) {
    enum { D = 4 };
    static float X[NU * D], Y[NI * D], G[D * D];
    static int32_t u[4] = {0, 1, 2, 3}, it[4] = {0, 1, 2, 3};
    static float r[4] = {5, 4, 3, 5};
    bookrec_ials_options o = base_opts(D);
    bookrec_error err;
    bookrec_triples small = {u, it, r, 4};

    o.dim = -1;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "dim"), "dim -1: %s", err.msg);
    o.dim = BOOKREC_IALS_MAX_DIM + 1;
    CHECK(bookrec_ials_fit(t, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "dim"), "dim 257: %s", err.msg);
    o.dim = D;
    CHECK(bookrec_ials_gram(Y, NI, 0, G, &err) == BOOKREC_E_ARG && has(&err, "dim"), "gram dim 0: %s", err.msg);
    float x[D];
    int32_t items[2] = {1, 2};
    float ratings[2] = {4, 5};
    CHECK(bookrec_ials_fold_in(Y, NULL, NI, 0, items, ratings, 2, &o, x, &err) == BOOKREC_E_ARG && has(&err, "dim"),
          "fold-in dim 0: %s", err.msg);

    it[2] = NI;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "rating 2"),
          "item out of range: %s", err.msg);
    it[2] = 2, u[1] = -1;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "user -1"),
          "negative user: %s", err.msg);
    u[1] = 1, r[3] = NAN;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "not finite"),
          "NaN rating: %s", err.msg);
    r[3] = 5;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_OK, "the repaired data: %s", err.msg);
    CHECK(bookrec_ials_fit(&small, 0, NI, &o, X, Y, &err) == BOOKREC_E_ARG, "n_users 0 accepted");
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, NULL, Y, &err) == BOOKREC_E_ARG, "NULL factors accepted");
    CHECK(bookrec_ials_fit(NULL, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG, "NULL train accepted");

    o.rating_weight[2] = NAN;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "rating_weight[2]"),
          "NaN weight: %s", err.msg);
    CHECK(bookrec_ials_fold_in(Y, NULL, NI, D, items, ratings, 2, &o, x, &err) == BOOKREC_E_ARG &&
              has(&err, "rating_weight[2]"),
          "NaN weight in fold-in: %s", err.msg);
    o.rating_weight[2] = -1;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG, "negative weight accepted");
    o.rating_weight[2] = 0.5f;
    o.lambda = -1;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "lambda"), "lambda -1: %s",
          err.msg);
    o.lambda = NAN;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG, "lambda NaN accepted");
    o.lambda = 0.01f, o.unobserved = -1;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "unobserved"),
          "unobserved -1: %s", err.msg);
    o.unobserved = 0.5f, o.alpha = INFINITY;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "alpha"), "alpha inf: %s",
          err.msg);
    o.alpha = 1;
    o.min_rating = 5, o.max_rating = 1;
    CHECK(bookrec_ials_fit(&small, NU, NI, &o, X, Y, &err) == BOOKREC_E_ARG && has(&err, "scale"), "scale 5..1: %s",
          err.msg);
    o.min_rating = o.max_rating = 0;

    items[1] = NI;
    CHECK(bookrec_ials_fold_in(Y, NULL, NI, D, items, ratings, 2, &o, x, &err) == BOOKREC_E_ARG &&
              has(&err, "out of range"),
          "fold-in item out of range: %s", err.msg);
    items[1] = -3;
    CHECK(bookrec_ials_fold_in(Y, NULL, NI, D, items, ratings, 2, &o, x, &err) == BOOKREC_E_ARG, "item -3 accepted");
    items[1] = 2, ratings[0] = NAN;
    CHECK(bookrec_ials_fold_in(Y, NULL, NI, D, items, ratings, 2, &o, x, &err) == BOOKREC_E_ARG &&
              has(&err, "not finite"),
          "fold-in NaN rating: %s", err.msg);
    ratings[0] = 4;
    CHECK(bookrec_ials_fold_in(Y, NULL, NI, D, items, ratings, -1, &o, x, &err) == BOOKREC_E_ARG, "n -1 accepted");
    CHECK(bookrec_ials_fold_in(NULL, NULL, NI, D, items, ratings, 2, &o, x, &err) == BOOKREC_E_ARG,
          "NULL item factors accepted");
    CHECK(bookrec_ials_fold_in(Y, NULL, NI, D, items, ratings, 2, &o, x, &err) == BOOKREC_OK, "%s", err.msg);
    /* a Gramian that is not positive semi-definite is reported, not solved */
    for (int k = 0; k < D * D; k++) G[k] = k % (D + 1) == 0 ? -1e6f : 0;
    CHECK(bookrec_ials_fold_in(Y, G, NI, D, items, ratings, 2, &o, x, &err) == BOOKREC_E_ARG &&
              has(&err, "positive definite"),
          "negative Gramian: %s", err.msg);
}

int main(void) {
    bookrec_triples t;
    make_data(&t);
    printf("generated %zu ratings of %d readers on %d books\n", t.n, NU, NI);
    test_cg_matches_exact(&t);
    test_objective(&t, 0);
    test_objective(&t, -1);
    test_stop(&t);
    test_fold_in(&t, -1, 1e-4);
    test_fold_in(&t, 0, 0.05);
    test_tasks(&t, 0);
    test_tasks(&t, -1);
    test_zero_weight(&t);
    test_scorer(&t);
    test_bad_args(&t);
    test_spark_foldin(&t);
    printf("%s: %d failed checks\n", failures ? "FAIL" : "ok", failures);
    return failures != 0;
}
