/*
 * test_topn.c - the top-N model family's EASE: the dense solution satisfies its closed form, LAPACK and the
 * built-in inverse agree, the kept rows are each row's largest entries, a dataset reader is scored exactly as
 * the same ratings folded in, explanations are the exact per-book terms of the score, similar books, the
 * match calibration, and the model file (version 2) round trip with its checks on corrupt indices.
 */
#include "bookrec.h"
#include "internal.h"
#include "check.h"

#include <math.h>
#include <string.h>

/* A small catalogue with two tastes: readers 0..29 read books 0..9 (mostly high), readers 30..59 books 10..19;
   a few cross over. Ratings are deterministic. */
static bookrec_triples make_data(int *n_users, int *n_items) {
    bookrec_triples t = {0};
    bookrec_triples_alloc(&t, 60 * 8 + 40);
    size_t n = 0;
    br_rng r;
    br_rng_seed(&r, 7);
    for (int u = 0; u < 60; u++) {
        int base = u < 30 ? 0 : 10;
        unsigned char used[24] = {0};
        for (int k = 0; k < 8; k++) {
            int i = base + (int)br_rng_below(&r, 10);
            if (used[i]) continue;
            used[i] = 1;
            t.user[n] = u; t.item[n] = i; t.rating[n] = (float)(3 + br_rng_below(&r, 3)); n++;
        }
        if (u % 3 == 0) {
            int i = 20 + (int)br_rng_below(&r, 4);
            t.user[n] = u; t.item[n] = i; t.rating[n] = 1.0f + (float)br_rng_below(&r, 2); n++;
        }
    }
    t.n = n;
    *n_users = 60;
    *n_items = 24;
    return t;
}

/* (G + lambda I)(I - B) must be diagonal: B = I - P diag(P)^-1 with P = (G + lambda I)^-1. */
static void test_closed_form(const bookrec_triples *t, int ni) {
    float *B = malloc(sizeof(float) * ni * ni), *B2 = malloc(sizeof(float) * ni * ni);
    double *G = calloc((size_t)ni * ni, sizeof *G);
    bookrec_error err = {0};
    bookrec_ease_options o = {0};
    o.lambda = 5.0f;
    CHECK(bookrec_ease_dense(t, ni, 1, 5, &o, B, &err) == BOOKREC_OK, "dense: %s", err.msg);
    o.builtin_solver = 1;
    CHECK(bookrec_ease_dense(t, ni, 1, 5, &o, B2, &err) == BOOKREC_OK, "dense builtin: %s", err.msg);
    double worst = 0;
    for (int k = 0; k < ni * ni; k++) worst = fmax(worst, fabs(B[k] - B2[k]));
    CHECK(worst < 1e-4, "LAPACK and built-in inverses differ by %g", worst);
    /* Gram of the binary matrix (fit weights default to 1) */
    for (size_t a = 0; a < t->n; a++)
        for (size_t b = 0; b < t->n; b++)
            if (t->user[a] == t->user[b]) G[t->item[a] * ni + t->item[b]] += 1.0;
    double off = 0;
    for (int i = 0; i < ni; i++) {
        CHECK(B[i * ni + i] == 0.0f, "diagonal %d is %g", i, (double)B[i * ni + i]);
        for (int j = 0; j < ni; j++) {
            if (i == j) continue;
            double s = 0;
            for (int k = 0; k < ni; k++) s += (G[i * ni + k] + (i == k ? 5.0 : 0.0)) * ((k == j) - (double)B[k * ni + j]);
            off = fmax(off, fabs(s));
        }
    }
    CHECK(off < 1e-3, "(G + lambda I)(I - B) has off-diagonal %g", off);
    free(B); free(B2); free(G);
}

static bookrec_model *fit(const bookrec_triples *t, int nu, int ni, int K) {
    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = BOOKREC_ARCH_EASE;
    c.n_users = nu; c.n_items = ni; c.dim = K; c.n_entries = (int64_t)t->n;
    bookrec_model *m = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_model_create(&c, &m, &err) == BOOKREC_OK, "create: %s", err.msg);
    bookrec_ease_options o = {0};
    o.lambda = 5.0f;
    CHECK(bookrec_ease_fit(m, t, &o, &err) == BOOKREC_OK, "fit: %s", err.msg);
    return m;
}

static void test_model(const bookrec_triples *t, int nu, int ni) {
    bookrec_error err = {0};
    int K = 5;
    bookrec_model *m = fit(t, nu, ni, K);
    CHECK(bookrec_model_user_state_size(m) == ni, "state size %d", bookrec_model_user_state_size(m));
    /* kept rows: the K largest positive entries of the dense B, ordered by column */
    float *B = malloc(sizeof(float) * ni * ni);
    bookrec_ease_options o = {0};
    o.lambda = 5.0f;
    bookrec_ease_dense(t, ni, 1, 5, &o, B, &err);
    for (int i = 0; i < ni; i++) {
        int32_t *col = m->topn_col + i * K;
        float *val = m->item_emb + i * K;
        for (int k = 0; k < K; k++) {
            if (val[k] == 0.0f) continue;
            CHECK(val[k] == B[i * ni + col[k]], "row %d entry %d: %g vs dense %g", i, k, (double)val[k],
                  (double)B[i * ni + col[k]]);
            if (k) CHECK(col[k] > col[k - 1], "row %d not ordered by column", i);
            int dropped = 0; /* larger entries of the dense row that were not kept */
            for (int j = 0; j < ni; j++) {
                int kept = 0;
                for (int q = 0; q < K; q++) kept |= col[q] == j && val[q] != 0.0f;
                dropped += j != i && B[i * ni + j] > val[k] && !kept;
            }
            CHECK(dropped == 0, "row %d entry %d: %d larger entries were dropped", i, k, dropped);
        }
    }
    /* a dataset reader is their ratings folded in */
    float *s1 = malloc(sizeof(float) * ni), *s2 = malloc(sizeof(float) * ni), *sc = malloc(sizeof(float) * ni);
    int32_t items[16];
    float ratings[16];
    int n = 0;
    for (size_t e = 0; e < t->n; e++)
        if (t->user[e] == 3) { items[n] = t->item[e]; ratings[n] = t->rating[e]; n++; }
    CHECK(bookrec_model_user_state(m, 3, s1, &err) == BOOKREC_OK, "user_state: %s", err.msg);
    CHECK(bookrec_model_fold_in(m, items, ratings, n, NULL, s2, &err) == BOOKREC_OK, "fold_in: %s", err.msg);
    CHECK(memcmp(s1, s2, sizeof(float) * ni) == 0, "user state differs from fold-in");
    CHECK(bookrec_model_score_all(m, s2, sc, &err) == BOOKREC_OK, "score: %s", err.msg);
    /* the score is the prior plus the sum of the per-book terms; explain returns the positive ones exactly */
    int32_t top[3], ex[24];
    float topv[3], contrib[24];
    int got = bookrec_topk(sc, ni, items, n, 3, top, topv);
    CHECK(got == 3, "topk %d", got);
    CHECK(top[0] < 10, "a reader of books 0..9 gets book %d first", (int)top[0]);
    for (int r = 0; r < got; r++) {
        int j = top[r];
        int ne = bookrec_model_explain(m, s2, j, 24, ex, contrib, &err);
        CHECK(ne >= 1, "explain %d: %d (%s)", j, ne, err.msg);
        double pos = 0, all = m->item_bias[j];
        for (int i = 0; i < ni; i++) {
            if (s2[i] == 0.0f) continue;
            double v = 0;
            for (int k = 0; k < K; k++)
                if (m->topn_col[i * K + k] == j) v = m->item_emb[i * K + k];
            all += s2[i] * v;
            if (s2[i] * v > 0) pos += s2[i] * v;
        }
        double sum = 0;
        for (int q = 0; q < ne; q++) {
            sum += contrib[q];
            CHECK(s2[ex[q]] != 0.0f, "explanation names unrated book %d", (int)ex[q]);
            if (q) CHECK(contrib[q] <= contrib[q - 1], "explanations not sorted");
        }
        CHECK(fabs(sum - pos) < 1e-5, "explanations sum %g, positive terms %g", sum, pos);
        CHECK(fabs(all - sc[j]) < 1e-5, "score %g is not prior + terms %g", (double)sc[j], all);
    }
    /* no ratings: the prior alone ranks, most read first */
    CHECK(bookrec_model_fold_in(m, NULL, NULL, 0, NULL, s2, &err) == BOOKREC_OK, "empty fold-in: %s", err.msg);
    CHECK(bookrec_model_score_all(m, s2, sc, &err) == BOOKREC_OK, "score: %s", err.msg);
    for (int j = 0; j < ni; j++) CHECK(sc[j] == m->item_bias[j], "empty reader score %d", j);
    /* similar books of book 2 are from its own taste */
    got = bookrec_model_similar(m, 2, NULL, 0, 3, top, topv, &err);
    CHECK(got >= 1, "similar: %d (%s)", got, err.msg);
    for (int r = 0; r < got; r++) CHECK(top[r] != 2 && top[r] < 10, "similar to 2: %d", (int)top[r]);
    /* rating models cannot explain */
    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = BOOKREC_ARCH_MF; c.n_users = 2; c.n_items = 3; c.dim = 2;
    bookrec_model *mf = NULL;
    bookrec_model_create(&c, &mf, &err);
    CHECK(bookrec_model_explain(mf, s2, 0, 3, ex, contrib, &err) == -1 && err.code == BOOKREC_E_STATE,
          "mf explain should fail with E_STATE");
    bookrec_model_free(mf);
    free(B); free(s1); free(s2); free(sc);
    bookrec_model_free(m);
}

static void fix_crc(uint8_t *b, size_t n) {
    uint32_t c = br_crc32(b, n - 4);
    b[n - 4] = (uint8_t)c; b[n - 3] = (uint8_t)(c >> 8); b[n - 2] = (uint8_t)(c >> 16); b[n - 1] = (uint8_t)(c >> 24);
}

static void test_file(const bookrec_triples *t, int nu, int ni) {
    bookrec_error err = {0};
    bookrec_model *m = fit(t, nu, ni, 4);
    float *a = malloc(sizeof(float) * ni), *b = malloc(sizeof(float) * ni), *st = malloc(sizeof(float) * ni);
    bookrec_model_user_state(m, 5, st, &err);
    bookrec_model_score_all(m, st, a, &err);
    for (int dt = BOOKREC_F32; dt <= BOOKREC_Q8; dt++) {
        uint8_t *items = NULL, *users = NULL;
        size_t ni_b = 0, nu_b = 0;
        bookrec_save_options so = {BOOKREC_PART_ITEMS, (bookrec_dtype)dt};
        CHECK(bookrec_model_save(m, &so, &items, &ni_b, &err) == BOOKREC_OK, "save items: %s", err.msg);
        so.parts = BOOKREC_PART_USERS;
        CHECK(bookrec_model_save(m, &so, &users, &nu_b, &err) == BOOKREC_OK, "save users: %s", err.msg);
        CHECK(ni_b > 16 && items[8] == 2, "version byte %d", ni_b > 16 ? items[8] : -1);
        bookrec_model *l = NULL;
        CHECK(bookrec_model_load(items, ni_b, &l, &err) == BOOKREC_OK, "load dt %d: %s", dt, err.msg);
        CHECK(l && bookrec_model_load_users(l, users, nu_b, &err) == BOOKREC_OK, "load users dt %d: %s", dt, err.msg);
        if (l) {
            float *st2 = malloc(sizeof(float) * ni);
            bookrec_model_user_state(l, 5, st2, &err);
            bookrec_model_score_all(l, st2, b, &err);
            double worst = 0;
            for (int j = 0; j < ni; j++) worst = fmax(worst, fabs(a[j] - b[j]));
            CHECK(worst < (dt == BOOKREC_F32 ? 1e-7 : 0.02), "dt %d: scores change by %g after the round trip", dt, worst);
            free(st2);
            bookrec_model_free(l);
        }
        if (dt == BOOKREC_F32) {
            /* an out-of-range book index in ease_col is refused, naming the tensor */
            const char key[] = "ease_col";
            uint8_t *p = NULL;
            for (size_t o = 0; o + sizeof key < ni_b; o++)
                if (!memcmp(items + o, key, sizeof key - 1)) { p = items + o; break; }
            CHECK(p != NULL, "ease_col record not found");
            if (p) {
                uint8_t *data = p + (sizeof key - 1) + 18; /* after dtype, reserved, rows, cols, bytes */
                data[0] = 0xff; data[1] = 0x7f;
                fix_crc(items, ni_b);
                bookrec_model *bad = NULL;
                CHECK(bookrec_model_load(items, ni_b, &bad, &err) == BOOKREC_E_FORMAT && strstr(err.msg, "ease_col"),
                      "corrupt index: %s", err.msg);
                bookrec_model_free(bad);
            }
        }
        bookrec_free(items);
        bookrec_free(users);
    }
    free(a); free(b); free(st);
    bookrec_model_free(m);
}

static void test_calibration(const bookrec_triples *t, int nu, int ni) {
    bookrec_error err = {0};
    bookrec_model *m = fit(t, nu, ni, 6);
    CHECK(isnan(bookrec_model_match(m, 0.3f)), "uncalibrated match should be NaN");
    bookrec_triples fold = {0}, target = {0};
    bookrec_triples_split(t, 0.5, 3, &fold, &target, &err);
    CHECK(bookrec_model_calibrate(m, &fold, &target, 3.0f, &err) == BOOKREC_OK, "calibrate: %s", err.msg);
    float lo = bookrec_model_match(m, 0.0f), hi = bookrec_model_match(m, 1.0f);
    CHECK(lo >= 0 && hi <= 1 && hi > lo, "match(0) %g, match(1) %g", (double)lo, (double)hi);
    bookrec_triples_free(&fold);
    bookrec_triples_free(&target);
    bookrec_model_free(m);
}

static void test_bad_input(const bookrec_triples *t) {
    bookrec_error err = {0};
    float B[4];
    bookrec_ease_options o = {0};
    o.lambda = -1.0f;
    CHECK(bookrec_ease_dense(t, 24, 1, 5, &o, NULL, &err) == BOOKREC_E_ARG, "NULL output accepted");
    float *Bb = malloc(sizeof(float) * 24 * 24);
    CHECK(bookrec_ease_dense(t, 24, 1, 5, &o, Bb, &err) == BOOKREC_E_ARG && strstr(err.msg, "lambda"),
          "negative lambda: %s", err.msg);
    free(Bb);
    o.lambda = 1.0f;
    CHECK(bookrec_ease_dense(t, 2, 1, 5, &o, B, &err) == BOOKREC_E_ARG && strstr(err.msg, "item index"),
          "item out of range: %s", err.msg);
    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = BOOKREC_ARCH_EASE; c.n_users = 60; c.n_items = 24; c.dim = 30; c.n_entries = 1;
    bookrec_model *m = NULL;
    CHECK(bookrec_model_create(&c, &m, &err) == BOOKREC_E_ARG, "K > items accepted");
    c.dim = 4;
    CHECK(bookrec_model_create(&c, &m, &err) == BOOKREC_OK, "create: %s", err.msg);
    CHECK(bookrec_ease_fit(m, t, NULL, &err) == BOOKREC_E_ARG && strstr(err.msg, "created for"),
          "wrong n_entries: %s", err.msg);
    double mse, mae;
    CHECK(bookrec_evaluate(m, t, &mse, &mae, &err) == BOOKREC_E_STATE, "RMSE of a top-N model accepted");
    CHECK(bookrec_train(m, t, NULL, NULL, NULL, 0, NULL, &err) == BOOKREC_E_ARG, "bookrec_train of a top-N model accepted");
    bookrec_model_free(m);
}

/* B from some readers, the readers' part from all: a reader left out of B is still ranked from all their ratings. */
static void test_readers_apart(const bookrec_triples *t, int nu, int ni) {
    bookrec_error err = {0};
    bookrec_triples fit = {0};
    bookrec_triples_alloc(&fit, t->n);
    fit.n = 0;
    for (size_t e = 0; e < t->n; e++)
        if (t->user[e] != 4) { fit.user[fit.n] = t->user[e]; fit.item[fit.n] = t->item[e]; fit.rating[fit.n++] = t->rating[e]; }
    float *B = malloc(sizeof(float) * ni * ni), *s1 = malloc(sizeof(float) * ni), *s2 = malloc(sizeof(float) * ni);
    bookrec_ease_options o = {0};
    o.lambda = 5.0f;
    CHECK(bookrec_ease_dense(&fit, ni, 1, 5, &o, B, &err) == BOOKREC_OK, "dense: %s", err.msg);
    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = BOOKREC_ARCH_EASE; c.n_users = nu; c.n_items = ni; c.dim = 4; c.n_entries = (int64_t)t->n;
    bookrec_model *m = NULL;
    bookrec_model_create(&c, &m, &err);
    CHECK(bookrec_ease_fit_from(m, B, &fit, t, &o, &err) == BOOKREC_OK, "fit_from: %s", err.msg);
    int32_t items[16];
    float ratings[16];
    int n = 0;
    for (size_t e = 0; e < t->n; e++)
        if (t->user[e] == 4) { items[n] = t->item[e]; ratings[n++] = t->rating[e]; }
    CHECK(n > 0, "reader 4 has ratings");
    bookrec_model_user_state(m, 4, s1, &err);
    bookrec_model_fold_in(m, items, ratings, n, NULL, s2, &err);
    CHECK(memcmp(s1, s2, sizeof(float) * ni) == 0, "a reader left out of B is not their ratings");
    c.n_entries = (int64_t)fit.n; /* the readers' part must hold exactly n_entries ratings */
    bookrec_model *m2 = NULL;
    bookrec_model_create(&c, &m2, &err);
    CHECK(bookrec_ease_fit_from(m2, B, &fit, t, &o, &err) == BOOKREC_E_ARG, "readers of the wrong size accepted");
    bookrec_model_free(m2);
    bookrec_model_free(m);
    free(B); free(s1); free(s2);
    bookrec_triples_free(&fit);
}

/* bookrec_topn_model_create: the shapes of an EASE and an iALS model, and a rating arch refused. */
static void test_model_create(void) {
    bookrec_model *m = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_topn_model_create(BOOKREC_ARCH_EASE, 7, 20, 5, 33, 1.0f, 5.0f, &m, &err) == BOOKREC_OK, "%s", err.msg);
    const bookrec_model_config *c = m ? bookrec_model_get_config(m) : NULL;
    CHECK(c && c->arch == BOOKREC_ARCH_EASE && c->n_users == 7 && c->n_items == 20 && c->dim == 5 &&
          c->n_entries == 33 && c->min_rating == 1.0f && c->max_rating == 5.0f, "EASE config not as asked");
    bookrec_model_free(m);
    m = NULL;
    CHECK(bookrec_topn_model_create(BOOKREC_ARCH_IALS, 7, 20, 8, 33, 0.5f, 10.0f, &m, &err) == BOOKREC_OK, "%s", err.msg);
    c = m ? bookrec_model_get_config(m) : NULL;
    CHECK(c && c->arch == BOOKREC_ARCH_IALS && c->dim == 8 && c->n_entries == 0 && c->max_rating == 10.0f,
          "iALS config not as asked (n_entries must be ignored)");
    bookrec_model_free(m);
    m = NULL;
    CHECK(bookrec_topn_model_create(BOOKREC_ARCH_MF, 7, 20, 8, 0, 1.0f, 5.0f, &m, &err) == BOOKREC_E_ARG && !m &&
          strstr(err.msg, "mf"), "a rating arch accepted as top-N (%s)", err.msg);
}

int main(void) {
    test_model_create();
    int nu, ni;
    bookrec_triples t = make_data(&nu, &ni);
    test_closed_form(&t, ni);
    test_model(&t, nu, ni);
    test_file(&t, nu, ni);
    test_calibration(&t, nu, ni);
    test_bad_input(&t);
    test_readers_apart(&t, nu, ni);
    bookrec_triples_free(&t);
    if (failures) fprintf(stderr, "test_topn: %d failure(s)\n", failures);
    return failures != 0;
}
