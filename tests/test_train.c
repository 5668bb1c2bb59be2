/* test_train.c - training on synthetic ratings drawn from a known low-rank model: the loss falls for every
   arch, same seed and n_tasks give a bit-identical parameter block (serially and through a real pthread
   parallel-for, which must also equal the serial run with the same slicing), callbacks are honoured,
   early stopping keeps the best epoch's parameters, and shuffling the training arrays in place gives the
   same model as shuffling a copy. */
#include "check.h"
#include "internal.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum { NU = 300, NI = 120, K = 4 };

static void alloc_triples(bookrec_triples *t, size_t n) {
    t->user = malloc(n * sizeof *t->user);
    t->item = malloc(n * sizeof *t->item);
    t->rating = malloc(n * sizeof *t->rating);
    t->n = n;
    if (!t->user || !t->item || !t->rating) { fprintf(stderr, "out of memory\n"); exit(1); }
}

static void free_triples(bookrec_triples *t) {
    free(t->user); free(t->item); free(t->rating);
    memset(t, 0, sizeof *t);
}

static void make_data(bookrec_triples *train, bookrec_triples *valid) {
    static float P[NU][K], Q[NI][K];
    br_rng r;
    br_rng_seed(&r, 99);
    for (int u = 0; u < NU; u++) for (int k = 0; k < K; k++) P[u][k] = 1.2f * (2.0f * br_rng_float(&r) - 1.0f);
    for (int i = 0; i < NI; i++) for (int k = 0; k < K; k++) Q[i][k] = 1.2f * (2.0f * br_rng_float(&r) - 1.0f);
    size_t n = 0, cap = NU * 40;
    bookrec_triples all;
    alloc_triples(&all, cap);
    for (int u = 0; u < NU; u++)
        for (int c = 0; c < 40; c++) {
            int i = (int)br_rng_below(&r, NI);
            float y = 3.3f + 0.4f * (float)((u % 5) - 2) * 0.5f;
            for (int k = 0; k < K; k++) y += P[u][k] * Q[i][k];
            y += 0.2f * (2.0f * br_rng_float(&r) - 1.0f);
            y = y < 1.0f ? 1.0f : y > 5.0f ? 5.0f : y;
            all.user[n] = u; all.item[n] = i; all.rating[n] = y;
            n++;
        }
    size_t nv = n / 5;
    alloc_triples(train, n - nv);
    alloc_triples(valid, nv);
    for (size_t k = 0, a = 0, b = 0; k < n; k++) {
        bookrec_triples *t = (k % 5 == 0 && b < nv) ? valid : train;
        size_t *j = t == valid ? &b : &a;
        t->user[*j] = all.user[k]; t->item[*j] = all.item[k]; t->rating[*j] = all.rating[k];
        (*j)++;
    }
    free_triples(&all);
}

/* A real parallel-for: one thread per task beyond the first, joined before returning. */
typedef struct job { bookrec_task_fn fn; void *arg; int t; } job;
static void *job_main(void *p) { job *j = p; j->fn(j->arg, j->t); return NULL; }
static void real_parallel(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks) {
    int *calls = ctx;
    (*calls)++;
    pthread_t th[16];
    job jobs[16];
    for (int t = 1; t < n_tasks; t++) {
        jobs[t] = (job){fn, arg, t};
        if (pthread_create(&th[t], NULL, job_main, &jobs[t])) { fn(arg, t); th[t] = 0; }
    }
    fn(arg, 0);
    for (int t = 1; t < n_tasks; t++) if (th[t]) pthread_join(th[t], NULL);
}

static int n_epoch_calls, n_progress_calls;
/* What on_epoch sees: the model as a caller would evaluate it (implicit and tag sums included). */
typedef struct epoch_view { bookrec_model *m; const bookrec_triples *va; double rmse; } epoch_view;
static int on_epoch(void *ctx, const bookrec_epoch_stats *s) {
    (void)s;
    epoch_view *v = ctx;
    double mse = -1.0;
    bookrec_error err;
    CHECK(!(v && v->m && bookrec_evaluate(v->m, v->va, &mse, NULL, &err)), "on_epoch evaluate: %s", err.msg);
    if (v) v->rmse = sqrt(mse);
    n_epoch_calls++;
    return 0;
}
static epoch_view g_view;
static int on_progress(void *ctx, int epoch, size_t done, size_t total, double mse) {
    (void)ctx; (void)epoch;
    CHECK(!(done > total || !(mse >= 0)), "progress: done %zu total %zu mse %g", done, total, mse);
    n_progress_calls++;
    return 0;
}

static int g_implicit; /* train_one makes implicit (SVD++) models when set */
static float g_reader_lr; /* train_one's reader_lr (row-wise Adagrad for the readers' rows when > 0) */

static bookrec_model *train_one(bookrec_arch arch, const bookrec_triples *tr, const bookrec_triples *va, int n_tasks,
                                int threads, int epochs, bookrec_epoch_stats *hist, int *nh) {
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = arch;
    cfg.n_users = NU;
    cfg.n_items = NI;
    cfg.dim = 8;
    cfg.hidden = 32;
    cfg.implicit = g_implicit;
    bookrec_model *m;
    bookrec_error err;
    if (bookrec_model_create(&cfg, &m, &err)) { CHECK(0, "create: %s", err.msg); return NULL; }
    bookrec_train_options o;
    bookrec_train_options_default(&o);
    o.epochs = epochs;
    o.lr = arch == BOOKREC_ARCH_SEED ? 0.01f : 0.02f;
    o.batch = 32;
    o.n_tasks = n_tasks;
    o.reader_lr = g_reader_lr;
    static int calls;
    if (threads) { o.parallel = real_parallel; o.parallel_ctx = &calls; }
    o.on_epoch = on_epoch;
    g_view = (epoch_view){m, va, -1.0};
    o.on_epoch_ctx = &g_view;
    o.progress = on_progress;
    o.progress_every = 50;
    CHECK(bookrec_train(m, tr, va, &o, hist, 64, nh, &err) == BOOKREC_OK, "train: %s", err.msg);
    return m;
}

int main(void) {
    bookrec_triples tr, va;
    make_data(&tr, &va);
    double mean = 0.0, base = 0.0;
    for (size_t k = 0; k < tr.n; k++) mean += tr.rating[k];
    mean /= (double)tr.n;
    for (size_t k = 0; k < va.n; k++) base += (va.rating[k] - mean) * (va.rating[k] - mean);
    base = sqrt(base / (double)va.n);
    printf("synthetic: %zu train, %zu valid, global-mean RMSE %.4f\n", tr.n, va.n, base);

    const char *names[5] = {"seed", "mf", "ncf", "mf+implicit", "ncf+implicit"};
    for (int a = 0; a < 5; a++) {
        g_implicit = a >= 3;
        bookrec_epoch_stats h[64];
        int nh = 0;
        n_epoch_calls = n_progress_calls = 0;
        bookrec_model *m1 = train_one((bookrec_arch)(a >= 3 ? a - 2 : a), &tr, &va, 1, 0, 8, h, &nh);
        if (!m1) continue;
        printf("%s: train RMSE %.4f -> %.4f, valid RMSE %.4f -> %.4f\n", names[a], h[0].train_rmse,
               h[nh - 1].train_rmse, h[0].test_rmse, h[nh - 1].test_rmse);
        CHECK(nh == 8 && n_epoch_calls == 8,
              "%s: %d history records, %d on_epoch calls, expected 8", names[a], nh, n_epoch_calls);
        CHECK(n_progress_calls >= 8, "%s: only %d progress calls", names[a], n_progress_calls);
        CHECK(h[nh - 1].train_mse < 0.7 * h[0].train_mse, "%s: training loss did not fall enough", names[a]);
        CHECK(h[nh - 1].test_rmse < h[0].test_rmse, "%s: validation RMSE did not fall", names[a]);
        CHECK(!(a != 0 && !(h[nh - 1].test_rmse < 0.8 * base)),
              "%s: valid RMSE %.4f not clearly below the global mean's %.4f", names[a], h[nh - 1].test_rmse, base);
        double mse, mae;
        bookrec_error err;
        CHECK(!(bookrec_evaluate(m1, &va, &mse, &mae, &err) || fabs(sqrt(mse) - h[nh - 1].test_rmse) > 1e-6),
              "%s: bookrec_evaluate %.6f differs from the epoch's valid RMSE %.6f", names[a], sqrt(mse),
              h[nh - 1].test_rmse);
        /* on_epoch saw the model as it is saved */
        CHECK(!(fabs(g_view.rmse - sqrt(mse)) > 1e-6),
              "%s: on_epoch's evaluate %.6f differs from the trained model's %.6f", names[a], g_view.rmse, sqrt(mse));

        /* determinism: same seed and n_tasks -> identical bytes */
        bookrec_model *m2 = train_one((bookrec_arch)(a >= 3 ? a - 2 : a), &tr, &va, 1, 0, 8, NULL, NULL);
        bookrec_model *t1 = train_one((bookrec_arch)(a >= 3 ? a - 2 : a), &tr, &va, 2, 1, 3, NULL, NULL);
        bookrec_model *t2 = train_one((bookrec_arch)(a >= 3 ? a - 2 : a), &tr, &va, 2, 1, 3, NULL, NULL);
        bookrec_model *s2 = train_one((bookrec_arch)(a >= 3 ? a - 2 : a), &tr, &va, 2, 0, 3, NULL, NULL);
        if (!m2 || !t1 || !t2 || !s2) continue;
        size_t np = m1->n_params * sizeof(float);
        CHECK(!memcmp(m1->params, m2->params, np), "%s: two serial runs differ", names[a]);
        CHECK(!memcmp(t1->params, t2->params, np), "%s: two 2-thread runs differ", names[a]);
        CHECK(!memcmp(t1->params, s2->params, np), "%s: 2-thread run differs from 2 slices run serially", names[a]);
        CHECK(!(m1->cfg.arch != BOOKREC_ARCH_SEED && fabs(m1->cfg.global_mean - mean) > 1e-4),
              "%s: global mean %g not set from the data (%g)", names[a], (double)m1->cfg.global_mean, mean);
        bookrec_model_free(m1); bookrec_model_free(m2); bookrec_model_free(t1); bookrec_model_free(t2);
        bookrec_model_free(s2);
    }

    /* row-wise Adagrad for the readers' rows (reader_lr): it learns as well, is deterministic across threads, and
       is another optimiser than Adam; it needs lazy Adam and a finite rate >= 0 */
    for (int a = 0; a < 2; a++) {
        g_implicit = 0;
        bookrec_epoch_stats h[64];
        int nh = 0;
        g_reader_lr = 0.05f;
        bookrec_model *r1 = train_one((bookrec_arch)a, &tr, &va, 1, 0, 8, h, &nh);
        bookrec_model *r2 = train_one((bookrec_arch)a, &tr, &va, 2, 1, 8, NULL, NULL);
        bookrec_model *r3 = train_one((bookrec_arch)a, &tr, &va, 2, 0, 8, NULL, NULL);
        g_reader_lr = 0.0f;
        bookrec_model *ad = train_one((bookrec_arch)a, &tr, &va, 1, 0, 8, NULL, NULL);
        if (!r1 || !r2 || !r3 || !ad) continue;
        printf("%s, readers by row-wise Adagrad: train RMSE %.4f -> %.4f, valid RMSE %.4f -> %.4f\n", names[a],
               h[0].train_rmse, h[nh - 1].train_rmse, h[0].test_rmse, h[nh - 1].test_rmse);
        CHECK(nh == 8 && h[nh - 1].train_mse < 0.7 * h[0].train_mse, "%s reader_lr: training loss did not fall enough",
              names[a]);
        CHECK(!(a == 1 && !(h[nh - 1].test_rmse < 0.8 * base)), "%s reader_lr: valid RMSE %.4f not below 0.8 x %.4f",
              names[a], h[nh - 1].test_rmse, base);
        size_t np = r1->n_params * sizeof(float);
        CHECK(!memcmp(r2->params, r3->params, np), "%s reader_lr: the 2-thread run differs from its serial run", names[a]);
        CHECK(memcmp(r1->params, ad->params, np) != 0, "%s reader_lr: the model is the Adam one", names[a]);
        bookrec_model_free(r1); bookrec_model_free(r2); bookrec_model_free(r3); bookrec_model_free(ad);
    }
    {
        bookrec_model_config cfg;
        bookrec_model_config_default(&cfg);
        cfg.n_users = NU; cfg.n_items = NI; cfg.dim = 4; cfg.hidden = 8;
        bookrec_model *m;
        bookrec_error err;
        bookrec_model_create(&cfg, &m, &err);
        bookrec_train_options o;
        bookrec_train_options_default(&o);
        o.epochs = 1;
        o.reader_lr = 0.05f;
        o.lazy_adam = 0;
        CHECK(bookrec_train(m, &tr, &va, &o, NULL, 0, NULL, &err) == BOOKREC_E_ARG && strstr(err.msg, "reader_lr"),
              "reader_lr without lazy Adam accepted (%s)", err.msg);
        o.lazy_adam = 1;
        o.reader_lr = -1.0f;
        CHECK(bookrec_train(m, &tr, &va, &o, NULL, 0, NULL, &err) == BOOKREC_E_ARG && strstr(err.msg, "reader_lr"),
              "reader_lr -1 accepted (%s)", err.msg);
        bookrec_model_free(m);
    }

    /* early stopping keeps the best epoch: mf with a large rate overfits */
    {
        bookrec_model_config cfg;
        bookrec_model_config_default(&cfg);
        cfg.arch = BOOKREC_ARCH_MF;
        cfg.n_users = NU; cfg.n_items = NI; cfg.dim = 32; cfg.init_scale = 0.3f;
        bookrec_model *m;
        bookrec_error err;
        bookrec_model_create(&cfg, &m, &err);
        bookrec_train_options o;
        bookrec_train_options_default(&o);
        o.epochs = 40; o.lr = 0.05f; o.patience = 2; o.batch = 16;
        bookrec_epoch_stats h[64];
        int nh = 0;
        CHECK(bookrec_train(m, &tr, &va, &o, h, 64, &nh, &err) == BOOKREC_OK, "train: %s", err.msg);
        double best = INFINITY, mse;
        for (int e = 0; e < nh; e++) best = fmin(best, h[e].test_rmse);
        bookrec_evaluate(m, &va, &mse, NULL, &err);
        printf("early stopping: %d epochs, best valid RMSE %.4f, kept %.4f\n", nh, best, sqrt(mse));
        CHECK(nh < 40, "early stopping never stopped");
        CHECK(!(fabs(sqrt(mse) - best) > 1e-9), "early stopping kept RMSE %.6f, best was %.6f", sqrt(mse), best);
        bookrec_model_free(m);
    }
    /* shuffle_in_place: the same model as with a copy; train's arrays end as a permutation of themselves (a copy
       leaves them untouched) */
    for (int a = 0; a < 3; a++) {
        bookrec_triples cp;
        alloc_triples(&cp, tr.n);
        memcpy(cp.user, tr.user, tr.n * sizeof *cp.user);
        memcpy(cp.item, tr.item, tr.n * sizeof *cp.item);
        memcpy(cp.rating, tr.rating, tr.n * sizeof *cp.rating);
        bookrec_model *ms[2] = {NULL, NULL};
        for (int inplace = 0; inplace < 2; inplace++) {
            bookrec_model_config cfg;
            bookrec_model_config_default(&cfg);
            cfg.arch = (bookrec_arch)a;
            cfg.n_users = NU; cfg.n_items = NI; cfg.dim = 8; cfg.hidden = 16;
            bookrec_error err;
            if (bookrec_model_create(&cfg, &ms[inplace], &err)) { CHECK(0, "create: %s", err.msg); break; }
            bookrec_train_options o;
            bookrec_train_options_default(&o);
            o.epochs = 3; o.batch = 32; o.n_tasks = 2; o.shuffle_in_place = inplace;
            CHECK(bookrec_train(ms[inplace], &cp, &va, &o, NULL, 0, NULL, &err) == BOOKREC_OK, "train: %s", err.msg);
            int same = !memcmp(cp.user, tr.user, tr.n * sizeof *cp.user) && !memcmp(cp.item, tr.item, tr.n * sizeof *cp.item);
            CHECK(inplace != same, "%s: shuffle_in_place %d %s train's order", names[a], inplace,
                  same ? "kept" : "changed");
        }
        CHECK(!(ms[0] && ms[1] && memcmp(ms[0]->params, ms[1]->params, ms[0]->n_params * sizeof(float))),
              "%s: shuffle_in_place changed the model", names[a]);
        /* a permutation: the (user, item, rating) multiset is unchanged */
        double s0 = 0, s1 = 0;
        long long k0 = 0, k1 = 0;
        for (size_t k = 0; k < tr.n; k++) {
            s0 += (double)tr.rating[k] * (tr.user[k] + 1) * (tr.item[k] + 7);
            s1 += (double)cp.rating[k] * (cp.user[k] + 1) * (cp.item[k] + 7);
            k0 += (long long)tr.user[k] * NI + tr.item[k];
            k1 += (long long)cp.user[k] * NI + cp.item[k];
        }
        CHECK(!(k0 != k1 || fabs(s0 - s1) > 1e-6 * fabs(s0)), "%s: shuffle_in_place lost or changed ratings", names[a]);
        bookrec_model_free(ms[0]);
        bookrec_model_free(ms[1]);
        free_triples(&cp);
    }
    /* bad input */
    {
        bookrec_model_config cfg;
        bookrec_model_config_default(&cfg);
        cfg.n_users = NU; cfg.n_items = NI;
        bookrec_model *m;
        bookrec_error err;
        bookrec_model_create(&cfg, &m, &err);
        int32_t u = NU, i = 0;
        float r = 3.0f;
        bookrec_triples bad = {&u, &i, &r, 1};
        CHECK(bookrec_train(m, &bad, NULL, NULL, NULL, 0, NULL, &err) == BOOKREC_E_ARG && strstr(err.msg, "user index"),
              "out-of-range user not rejected: %s", err.msg);
        u = 0; r = NAN;
        CHECK(bookrec_train(m, &bad, NULL, NULL, NULL, 0, NULL, &err) == BOOKREC_E_ARG, "NaN rating not rejected");
        bookrec_model_free(m);
    }
    free_triples(&tr);
    free_triples(&va);
    if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
    printf("training ok\n");
    return 0;
}
