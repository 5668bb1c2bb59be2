/* test_rank.c - ranking: bookrec_topk against a brute-force sort (ties by lower index, NaN skipped,
   exclusions honoured, k larger than what is eligible), score_all against predict for every arch,
   recommend and similar against brute force, and their bad-argument and no-users cases. */
#include "check.h"
#include "internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Brute force: eligible indices sorted by score desc, index asc. */
static const float *g_s;
static int cmp_rank(const void *a, const void *b) {
    int i = *(const int32_t *)a, j = *(const int32_t *)b;
    if (g_s[i] > g_s[j]) return -1;
    if (g_s[i] < g_s[j]) return 1;
    return i < j ? -1 : i > j;
}
static int brute_topk(const float *s, int n, const int32_t *ex, int nex, int k, int32_t *out) {
    int32_t *all = malloc((size_t)(n + 1) * sizeof *all);
    int m = 0;
    for (int i = 0; i < n; i++) {
        int skip = isnan(s[i]);
        for (int e = 0; e < nex; e++) if (ex[e] == i) skip = 1;
        if (!skip) all[m++] = i;
    }
    g_s = s;
    qsort(all, (size_t)m, sizeof *all, cmp_rank);
    int c = m < k ? m : k;
    memcpy(out, all, (size_t)c * sizeof *out);
    free(all);
    return c;
}

static void test_topk(void) {
    float s[6] = {1, 3, 3, 2, NAN, 3};
    int32_t idx[10];
    float sc[10];
    int n = bookrec_topk(s, 6, NULL, 0, 3, idx, sc);
    CHECK(n == 3 && idx[0] == 1 && idx[1] == 2 && idx[2] == 5 && sc[0] == 3.0f,
          "topk ties: %d [%d %d %d]", n, idx[0], idx[1], idx[2]);
    int32_t ex[3] = {2, 99, -4}; /* out-of-range entries are ignored */
    n = bookrec_topk(s, 6, ex, 3, 3, idx, NULL);
    CHECK(n == 3 && idx[0] == 1 && idx[1] == 5 && idx[2] == 3,
          "topk exclude: %d [%d %d %d]", n, idx[0], idx[1], idx[2]);
    n = bookrec_topk(s, 6, NULL, 0, 10, idx, sc);
    CHECK(n == 5 && idx[4] == 0 && sc[4] == 1.0f, "topk k > n: %d", n);
    CHECK(bookrec_topk(s, 6, NULL, 0, 0, idx, sc) == 0, "topk k = 0");
    CHECK(bookrec_topk(s, 6, NULL, 0, -1, idx, sc) == -1, "topk k < 0 accepted");
    CHECK(bookrec_topk(NULL, 6, NULL, 0, 3, idx, sc) == -1, "topk NULL scores accepted");
    CHECK(bookrec_topk(s, 6, NULL, 2, 3, idx, sc) == -1, "topk NULL exclude with n_exclude accepted");
    CHECK(bookrec_topk(s, 0, NULL, 0, 3, idx, sc) == 0, "topk n = 0");
    /* random cases with many ties */
    br_rng r;
    br_rng_seed(&r, 5);
    for (int trial = 0; trial < 300; trial++) {
        int nn = 1 + (int)br_rng_below(&r, 200), k = (int)br_rng_below(&r, 60), nex = (int)br_rng_below(&r, 20);
        float *v = malloc((size_t)nn * sizeof *v);
        int32_t e[20], a[260], b[260];
        for (int i = 0; i < nn; i++) v[i] = br_rng_below(&r, 10) == 0 ? NAN : (float)br_rng_below(&r, 7);
        for (int i = 0; i < nex; i++) e[i] = (int32_t)br_rng_below(&r, (uint32_t)nn);
        int ca = bookrec_topk(v, nn, e, nex, k, a, NULL), cb = brute_topk(v, nn, e, nex, k, b);
        if (ca != cb || memcmp(a, b, (size_t)cb * sizeof *a)) { CHECK(0, "topk random trial %d: %d vs %d", trial, ca, cb); free(v); break; }
        free(v);
    }
}

static bookrec_model *random_model(bookrec_arch arch) {
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = arch;
    cfg.n_users = 20;
    cfg.n_items = 150;
    cfg.dim = 7;
    cfg.hidden = 24;
    cfg.init_scale = 0.8f;
    cfg.global_mean = 3.5f;
    bookrec_model *m;
    bookrec_error err;
    if (bookrec_model_create(&cfg, &m, &err)) { CHECK(0, "create: %s", err.msg); exit(1); }
    br_rng r;
    br_rng_seed(&r, 11 + arch);
    if (m->item_bias) for (int i = 0; i < 150; i++) m->item_bias[i] = 2.0f * br_rng_float(&r) - 1.0f;
    if (m->user_bias) for (int i = 0; i < 20; i++) m->user_bias[i] = 2.0f * br_rng_float(&r) - 1.0f;
    if (m->b2) m->b2[0] = 1.0f;
    return m;
}

static void test_model_ranking(bookrec_arch arch, const char *name) {
    bookrec_model *m = random_model(arch);
    bookrec_error err;
    int ni = m->cfg.n_items, S = bookrec_model_user_state_size(m);
    CHECK(S == m->cfg.dim + (arch == BOOKREC_ARCH_SEED ? 0 : 1), "%s: user state size %d", name, S);
    float *scores = malloc((size_t)ni * sizeof *scores), state[16];
    for (int u = 0; u < m->cfg.n_users; u++) {
        if (bookrec_model_user_state(m, u, state, &err)) { CHECK(0, "%s: user_state: %s", name, err.msg); break; }
        if (bookrec_model_score_all(m, state, scores, &err)) { CHECK(0, "%s: score_all: %s", name, err.msg); break; }
        for (int i = 0; i < ni; i++) {
            float p = bookrec_model_predict(m, u, i), s = br_model_clamp(m, scores[i]);
            if (fabsf(p - s) > 1e-4f * (1.0f + fabsf(p))) { CHECK(0, "%s: user %d item %d: score %g predict %g", name, u, i, s, p); u = 99; break; }
        }
    }
    /* recommend = brute force on score_all, with exclusions, scores clamped for display */
    int32_t ex[4] = {3, 10, 11, 149}, got[200], want[200];
    float gs[200];
    bookrec_model_user_state(m, 4, state, &err);
    bookrec_model_score_all(m, state, scores, &err);
    int n = bookrec_model_recommend(m, 4, ex, 4, 10, got, gs, &err);
    int nw = brute_topk(scores, ni, ex, 4, 10, want);
    CHECK(n == 10 && nw == 10 && !memcmp(got, want, 10 * sizeof *got), "%s: recommend differs from brute force", name);
    for (int j = 0; j < n; j++) {
        for (int e = 0; e < 4; e++) CHECK(got[j] != ex[e], "%s: recommend returned excluded item %d", name, got[j]);
        CHECK(!(fabsf(gs[j] - bookrec_model_predict(m, 4, got[j])) > 1e-4f),
              "%s: recommend score is not the prediction", name);
    }
    n = bookrec_model_recommend(m, 4, ex, 4, 1000, got, gs, &err);
    CHECK(n == ni - 4, "%s: recommend k > n gave %d, expected %d", name, n, ni - 4);
    CHECK(bookrec_model_recommend(m, 20, NULL, 0, 5, got, gs, &err) == -1 && err.code == BOOKREC_E_ARG,
          "%s: recommend for an out-of-range user not rejected", name);
    /* similar: cosine of item embeddings, the item itself never listed */
    int item = 7;
    float *cs = malloc((size_t)ni * sizeof *cs);
    const float *q0 = m->item_emb + (size_t)item * m->cfg.dim;
    for (int i = 0; i < ni; i++) {
        const float *q = m->item_emb + (size_t)i * m->cfg.dim;
        double dq = 0, n0 = 0, n1 = 0;
        for (int k = 0; k < m->cfg.dim; k++) { dq += (double)q[k] * q0[k]; n0 += (double)q0[k] * q0[k]; n1 += (double)q[k] * q[k]; }
        cs[i] = i == item ? NAN : (float)(dq / sqrt(n0 * n1));
    }
    int32_t sex[2] = {20, 30};
    n = bookrec_model_similar(m, item, sex, 2, 12, got, gs, &err);
    nw = brute_topk(cs, ni, sex, 2, 12, want);
    CHECK(n == 12 && nw == 12, "%s: similar returned %d", name, n);
    for (int j = 0; j < n && j < nw; j++) {
        CHECK(!(got[j] == item || got[j] == 20 || got[j] == 30), "%s: similar returned excluded item %d", name, got[j]);
        CHECK(!(fabsf(gs[j] - cs[want[j]]) > 1e-5f),
              "%s: similar rank %d: cosine %g, brute force %g", name, j, gs[j], cs[want[j]]);
    }
    CHECK(!(gs[0] > 1.0001f || gs[0] < gs[n - 1]), "%s: similar scores not descending cosines", name);
    n = bookrec_model_similar(m, item, NULL, 0, 100000, got, NULL, &err);
    CHECK(n == ni - 1, "%s: similar with k > n gave %d", name, n);
    CHECK(bookrec_model_similar(m, ni, NULL, 0, 5, got, NULL, &err) == -1 && err.code == BOOKREC_E_ARG,
          "%s: similar for an out-of-range item not rejected", name);
    /* without the users part */
    br_model_set_has_users(m, 0);
    CHECK(bookrec_model_recommend(m, 1, NULL, 0, 5, got, gs, &err) == -1 && err.code == BOOKREC_E_STATE,
          "%s: recommend without users did not fail with E_STATE", name);
    CHECK(isnan(bookrec_model_predict(m, 1, 1)), "%s: predict without users is not NaN", name);
    free(cs);
    free(scores);
    bookrec_model_free(m);
}

int main(void) {
    test_topk();
    test_model_ranking(BOOKREC_ARCH_SEED, "seed");
    test_model_ranking(BOOKREC_ARCH_MF, "mf");
    test_model_ranking(BOOKREC_ARCH_NCF, "ncf");
    if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
    printf("ranking ok\n");
    return 0;
}
