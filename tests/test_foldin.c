/* test_foldin.c - folding a new reader in with the book side frozen. mf: ratings generated from a known
   factor model; the closed-form fit must recover the reader's vector (cosine > 0.95) and bias. seed and
   ncf: trained on synthetic low-rank data, a held-out reader folded in from some of their ratings must be
   fitted better than the zero (average) reader, on those ratings and on the reader's other ratings.
   The same for implicit (SVD++) mf and ncf, whose reader state includes the implicit sum of the folded items.
   Bad input (NaN or out-of-scale rating, out-of-range item, n <= 0) gives BOOKREC_E_ARG naming the pair. */
#include "check.h"
#include "internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static float urand(br_rng *r) { return 2.0f * br_rng_float(r) - 1.0f; }

static void test_mf_recovery(void) {
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = BOOKREC_ARCH_MF;
    cfg.n_users = 1;
    cfg.n_items = 200;
    cfg.dim = 8;
    cfg.global_mean = 3.0f;
    bookrec_model *m;
    bookrec_error err;
    if (bookrec_model_create(&cfg, &m, &err)) { CHECK(0, "create: %s", err.msg); return; }
    br_rng r;
    br_rng_seed(&r, 21);
    for (int i = 0; i < 200 * 8; i++) m->item_emb[i] = 0.5f * urand(&r);
    for (int i = 0; i < 200; i++) m->item_bias[i] = 0.3f * urand(&r);
    float p[8], b = 0.25f;
    for (int k = 0; k < 8; k++) p[k] = 0.6f * urand(&r);
    int32_t items[30];
    float ratings[30];
    for (int e = 0; e < 30; e++) {
        items[e] = e * 6 + 1;
        const float *q = m->item_emb + (size_t)items[e] * 8;
        float y = 3.0f + b + m->item_bias[items[e]];
        for (int k = 0; k < 8; k++) y += p[k] * q[k];
        ratings[e] = y + 0.02f * urand(&r);
    }
    float st[9];
    bookrec_foldin_options o = {0, 0.0f, 0.001f};
    if (bookrec_model_fold_in(m, items, ratings, 30, &o, st, &err)) { CHECK(0, "mf fold-in: %s", err.msg); return; }
    double dot = 0, n0 = 0, n1 = 0;
    for (int k = 0; k < 8; k++) { dot += (double)st[k] * p[k]; n0 += (double)st[k] * st[k]; n1 += (double)p[k] * p[k]; }
    double cosv = dot / sqrt(n0 * n1);
    printf("mf fold-in: cosine to the true vector %.4f, bias %.3f (true %.3f)\n", cosv, st[8], b);
    CHECK(cosv > 0.95, "mf fold-in cosine %.4f <= 0.95", cosv);
    CHECK(!(fabsf(st[8] - b) > 0.1f), "mf fold-in bias %.3f far from %.3f", st[8], b);
    bookrec_model_free(m);
}

enum { NU = 300, NI = 120, K = 4 };
static float P[NU + 1][K], Q[NI][K];

static float true_rating(int u, int i) {
    float y = 3.2f;
    for (int k = 0; k < K; k++) y += P[u][k] * Q[i][k];
    return y < 1.0f ? 1.0f : y > 5.0f ? 5.0f : y;
}

/* Mean squared error of state st (user_state layout) on pairs [a, b) of the reader. */
static double state_mse(bookrec_model *m, const float *st, const int32_t *items, const float *ratings, int a, int b) {
    float *sc = malloc((size_t)m->cfg.n_items * sizeof *sc);
    bookrec_error err;
    bookrec_model_score_all(m, st, sc, &err);
    double s = 0;
    for (int e = a; e < b; e++) {
        double d = br_model_clamp(m, sc[items[e]]) - ratings[e];
        s += d * d;
    }
    free(sc);
    return s / (b - a);
}

static void test_nonlinear(bookrec_arch arch, int implicit, const char *name) {
    br_rng r;
    br_rng_seed(&r, 77);
    for (int u = 0; u <= NU; u++) for (int k = 0; k < K; k++) P[u][k] = 1.2f * urand(&r);
    for (int i = 0; i < NI; i++) for (int k = 0; k < K; k++) Q[i][k] = 1.2f * urand(&r);
    size_t n = NU * 40;
    bookrec_triples t = {malloc(n * sizeof(int32_t)), malloc(n * sizeof(int32_t)), malloc(n * sizeof(float)), n};
    for (size_t k = 0; k < n; k++) {
        t.user[k] = (int32_t)(k / 40);
        t.item[k] = (int32_t)br_rng_below(&r, NI);
        t.rating[k] = true_rating(t.user[k], t.item[k]);
    }
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = arch;
    cfg.n_users = NU;
    cfg.n_items = NI;
    cfg.dim = 8;
    cfg.hidden = 32;
    cfg.implicit = implicit;
    bookrec_model *m;
    bookrec_error err;
    bookrec_model_create(&cfg, &m, &err);
    bookrec_train_options o;
    bookrec_train_options_default(&o);
    o.epochs = 10;
    o.lr = 0.01f;
    o.batch = 32;
    CHECK(bookrec_train(m, &t, NULL, &o, NULL, 0, NULL, &err) == BOOKREC_OK, "%s train: %s", name, err.msg);
    /* the new reader is user NU of the factor model: 20 ratings to fold in, 40 held out */
    int32_t items[60];
    float ratings[60];
    for (int e = 0; e < 60; e++) { items[e] = (int32_t)((e * 7 + 3) % NI); ratings[e] = true_rating(NU, items[e]); }
    float st[16], zero[16];
    memset(zero, 0, sizeof zero);
    if (arch == BOOKREC_ARCH_SEED) memset(st, 0, sizeof st);
    bookrec_foldin_options fo = {300, 0.05f, 0.01f};
    if (bookrec_model_fold_in(m, items, ratings, 20, &fo, st, &err)) { CHECK(0, "%s fold-in: %s", name, err.msg); return; }
    double fit0 = state_mse(m, zero, items, ratings, 0, 20), fit1 = state_mse(m, st, items, ratings, 0, 20);
    double held0 = state_mse(m, zero, items, ratings, 20, 60), held1 = state_mse(m, st, items, ratings, 20, 60);
    printf("%s fold-in: MSE on its 20 ratings %.4f -> %.4f, on 40 held-out %.4f -> %.4f\n", name, fit0, fit1, held0, held1);
    CHECK(fit1 < 0.7 * fit0, "%s: fold-in did not improve the fit enough (%.4f vs %.4f)", name, fit1, fit0);
    CHECK(held1 < held0, "%s: fold-in did not improve held-out ratings (%.4f vs %.4f)", name, held1, held0);
    /* determinism */
    float st2[16];
    bookrec_model_fold_in(m, items, ratings, 20, &fo, st2, &err);
    CHECK(!memcmp(st, st2, (size_t)bookrec_model_user_state_size(m) * sizeof(float)),
          "%s: fold-in not deterministic", name);
    free(t.user); free(t.item); free(t.rating);
    bookrec_model_free(m);
}

static void expect_arg(bookrec_model *m, const int32_t *items, const float *ratings, int n, const char *needle,
                       const char *what) {
    bookrec_error err;
    float st[32];
    int rc = bookrec_model_fold_in(m, items, ratings, n, NULL, st, &err);
    CHECK(rc == BOOKREC_E_ARG, "%s: fold-in returned %d, expected BOOKREC_E_ARG", what, rc);
    CHECK(rc != BOOKREC_E_ARG || !needle || strstr(err.msg, needle), "%s: message \"%s\" does not name \"%s\"", what,
          err.msg, needle);
}

static void test_bad_input(void) {
    for (int a = 0; a < 3; a++) {
        bookrec_model_config cfg;
        bookrec_model_config_default(&cfg);
        cfg.arch = (bookrec_arch)a;
        cfg.n_users = 3;
        cfg.n_items = 10;
        cfg.global_mean = 3.0f;
        bookrec_model *m;
        bookrec_error err;
        bookrec_model_create(&cfg, &m, &err);
        int32_t items[3] = {1, 2, 3};
        float ok[3] = {4, 5, 3}, nanr[3] = {4, 5, NAN}, big[3] = {4, 6, 3}, inf[3] = {INFINITY, 4, 4};
        int32_t badi[3] = {1, 10, 3}, negi[3] = {-1, 1, 2};
        expect_arg(m, items, nanr, 3, "pair 2", "NaN rating");
        expect_arg(m, items, big, 3, "pair 1", "rating above the scale");
        expect_arg(m, items, inf, 3, "pair 0", "infinite rating");
        expect_arg(m, badi, ok, 3, "pair 1", "item out of range");
        expect_arg(m, negi, ok, 3, "pair 0", "negative item");
        expect_arg(m, items, ok, 0, "n = 0", "no ratings");
        expect_arg(m, items, ok, -2, NULL, "negative n");
        expect_arg(m, NULL, ok, 3, NULL, "NULL items");
        float st[32];
        CHECK(bookrec_model_fold_in(m, items, ok, 3, NULL, st, &err) == BOOKREC_OK,
              "valid fold-in failed: %s", err.msg);
        for (int k = 0; k < bookrec_model_user_state_size(m); k++)
            if (!isfinite(st[k])) { CHECK(0, "fold-in state not finite"); break; }
        bookrec_model_free(m);
    }
}

int main(void) {
    test_mf_recovery();
    test_nonlinear(BOOKREC_ARCH_SEED, 0, "seed");
    test_nonlinear(BOOKREC_ARCH_NCF, 0, "ncf");
    test_nonlinear(BOOKREC_ARCH_MF, 1, "mf+implicit");
    test_nonlinear(BOOKREC_ARCH_NCF, 1, "ncf+implicit");
    test_bad_input();
    if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
    printf("fold-in ok\n");
    return 0;
}
