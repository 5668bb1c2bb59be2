/*
 * test_protocol.c - the new-reader protocol (src/protocol.c) on a generated dataset: rankers learn only from
 * bookrec_fit_data (no held-out reader's rating, fit + valid = train), scorers see a held-out reader only through
 * its fold-in sample (the first n of its draw, or only the loved ones), loved-only readers without a loved book
 * are left out and counted, popularity ranks (mid ranks for ties) tell a best-seller ranker from an obscure one,
 * figures over seeds have min <= mean <= max, one seed has no spread, and the result does not depend on threads.
 * It trains no model: the rankers are small callbacks.
 */
#include "bookrec.h"
#include "check.h"
#include <math.h>
#include <string.h>

#define N_USERS 400
#define N_ITEMS 120

/* User u rates 25 + u % 10 books; users with u % 5 == 0 never give more than 3 stars. */
static bookrec_triples dataset(void) {
    size_t n = 0;
    for (int u = 0; u < N_USERS; u++) n += 25 + (size_t)(u % 10);
    bookrec_triples t;
    if (bookrec_triples_alloc(&t, n) != BOOKREC_OK) exit(1);
    size_t j = 0;
    for (int u = 0; u < N_USERS; u++)
        for (int q = 0; q < 25 + u % 10; q++) {
            int i = (u * 7 + q * q + q) % N_ITEMS;
            for (size_t a = j - (size_t)q; a < j; a++) /* keep a user's books distinct */
                if (t.item[a] == i) { i = (i + 1) % N_ITEMS; a = j - (size_t)q - 1; }
            t.user[j] = u;
            t.item[j] = i;
            t.rating[j] = u % 5 == 0 ? (float)(1 + (u + q) % 3) : (float)(1 + (u * 3 + i) % 5);
            j++;
        }
    return t;
}

/* ---------------------------------------------------------------- a spy ranker */

typedef struct spy {
    const bookrec_triples *all;
    unsigned char held[N_USERS];  /* readers held out in the current seed (set by the test before each run) */
    int fits, bad_fit, bad_reader, readers;
    int loved_mode;               /* 1: every fold-in rating must be >= 4 */
    bookrec_triples fold;         /* the current seed's fold-in draw (n_max per reader) */
    int n_max, n_now, progress_calls;
} spy;

/* After the first variant: the loved ones among 10. */
static void spy_progress(void *ctx, int seed_index, int ranker, int variant, const bookrec_rank_result *res,
                         double pop_rank) {
    spy *s = ctx;
    (void)seed_index; (void)ranker; (void)res; (void)pop_rank;
    s->progress_calls++;
    if (variant == 0) { s->n_now = 10; s->loved_mode = 1; }
}

static int spy_fit(void *arg, const bookrec_fit_data *d, void **ctx, bookrec_error *err) {
    spy *s = arg;
    (void)err;
    s->fits++;
    for (size_t j = 0; j < d->train->n; j++)
        if (s->held[d->train->user[j]]) s->bad_fit++;
    if (d->fit.n + d->valid.n != d->train->n || d->valid.n != (size_t)(0.1 * (double)d->train->n + 0.5)) s->bad_fit++;
    *ctx = s;
    return BOOKREC_OK;
}

/* Scores by item index (a fixed order); checks that the reader's ratings are the first n of some held-out reader's
   draw (or its loved ones among them). */
static int spy_score(void *ctx, const bookrec_reader *rd, float *scores, int n_items, bookrec_error *err) {
    spy *s = ctx;
    (void)err;
    s->readers++;
    int found = 0;
    for (size_t b = 0; b < s->fold.n && !found; b += (size_t)s->n_max) {
        int q = 0, m = 0;
        for (; q < s->n_now; q++) {
            size_t j = b + (size_t)q;
            if (s->loved_mode && s->fold.rating[j] < 4.0f) continue;
            if (m >= rd->n || rd->items[m] != s->fold.item[j] || rd->ratings[m] != s->fold.rating[j]) break;
            m++;
        }
        if (q == s->n_now && m == rd->n) found = 1;
    }
    if (!found || rd->user != -1) s->bad_reader++;
    for (int i = 0; i < n_items; i++) scores[i] = (float)(n_items - i);
    return BOOKREC_OK;
}

static void test_spy(void) {
    bookrec_triples all = dataset();
    spy s;
    memset(&s, 0, sizeof s);
    s.all = &all;
    bookrec_foldin_variant vars[2] = {{5, 0}, {10, 1}};
    bookrec_protocol_options o;
    memset(&o, 0, sizeof o);
    o.readers.n_readers = 60;
    o.readers.seed = 9;
    o.n_seeds = 1;
    bookrec_ranker rk = {"spy", spy_fit, spy_score, NULL, &s};
    bookrec_protocol_info info;
    bookrec_error err;
    /* the draw the protocol will use: the same split with the largest variant's n */
    bookrec_newreader_options nro = o.readers;
    nro.n_foldin = 10;
    bookrec_triples tr, target;
    int n_held = 0;
    CHECK(bookrec_split_new_readers(&all, N_USERS, &nro, &tr, &s.fold, &target, &n_held, &err) == BOOKREC_OK, "%s",
          err.msg);
    for (size_t j = 0; j < s.fold.n; j++) s.held[s.fold.user[j]] = 1;
    s.n_max = 10;
    int expect_left = 0;
    for (size_t b = 0; b < s.fold.n; b += 10) {
        int loved = 0;
        for (int q = 0; q < 10; q++) loved += s.fold.rating[b + (size_t)q] >= 4.0f;
        expect_left += loved == 0;
    }
    CHECK(expect_left >= 5, "the dataset should have readers without a loved book (got %d)", expect_left);
    /* both variants in one run: 5 random ratings, then the loved ones among 10 (the progress callback says when
       the first variant is done) */
    o.variants = vars;
    o.n_variants = 2;
    o.progress = spy_progress;
    o.progress_ctx = &s;
    s.n_now = 5;
    bookrec_protocol_cell cell2[2];
    CHECK(bookrec_protocol_run(&all, N_USERS, N_ITEMS, &rk, 1, &o, cell2, &info, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(s.fits == 1 && s.bad_fit == 0, "fit saw held-out ratings or a wrong carve (%d fits, %d bad)", s.fits,
          s.bad_fit);
    CHECK(s.progress_calls == 2, "progress called %d times", s.progress_calls);
    CHECK(s.readers == (int)(cell2[0].n_readers.mean + cell2[1].n_readers.mean) && s.bad_reader == 0,
          "%d readers scored, %d not given their fold-in sample", s.readers, s.bad_reader);
    CHECK(info.n_held == n_held && n_held == 60, "held %d / %d", info.n_held, n_held);
    CHECK(info.n_train_users == N_USERS - 60, "train users %d", info.n_train_users);
    CHECK(cell2[0].ndcg.sd == 0.0 && cell2[0].ndcg.min == cell2[0].ndcg.mean, "one seed has no spread");
    CHECK(info.loved_left_out == expect_left, "left out %g, expected %d", info.loved_left_out, expect_left);
    CHECK(cell2[1].n_readers.mean <= 60 - expect_left, "%g readers evaluated", cell2[1].n_readers.mean);
    bookrec_triples_free(&tr); bookrec_triples_free(&s.fold); bookrec_triples_free(&target);
    bookrec_triples_free(&all);
}

/* ---------------------------------------------------------------- popularity ranks, seeds, threads */

static int score_obscure(void *ctx, const bookrec_reader *rd, float *scores, int n_items, bookrec_error *err) {
    const bookrec_fixed_scorer *f = ctx;
    (void)rd; (void)err;
    for (int i = 0; i < n_items; i++) scores[i] = -f->scores[i];
    return BOOKREC_OK;
}

static void reverse_parallel(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks) {
    (void)ctx;
    for (int t = n_tasks - 1; t >= 0; t--) fn(arg, t);
}

static void test_popularity_and_seeds(void) {
    float pop[] = {5, 3, 3, 3, 1, 7}, ranks[6];
    bookrec_error err;
    CHECK(bookrec_popularity_ranks(pop, 6, ranks, &err) == BOOKREC_OK, "%s", err.msg);
    float want[] = {2, 4, 4, 4, 6, 1};
    for (int i = 0; i < 6; i++) CHECK(ranks[i] == want[i], "rank of %d: %g, expected %g", i, ranks[i], want[i]);
    pop[0] = NAN;
    CHECK(bookrec_popularity_ranks(pop, 6, ranks, &err) == BOOKREC_E_ARG, "NaN popularity accepted");

    bookrec_triples all = dataset();
    float thr = 4.0f;
    bookrec_ranker rk[3] = {{"popularity", bookrec_fit_popularity, bookrec_score_fixed, bookrec_release_fixed, NULL},
                            {"obscure", bookrec_fit_popularity, score_obscure, bookrec_release_fixed, NULL},
                            {"liked", bookrec_fit_popularity, bookrec_score_fixed, bookrec_release_fixed, &thr}};
    bookrec_protocol_options o;
    memset(&o, 0, sizeof o);
    o.readers.n_readers = 50;
    bookrec_protocol_cell a[9], b[9];
    bookrec_protocol_info info;
    CHECK(bookrec_protocol_run(&all, N_USERS, N_ITEMS, rk, 3, &o, a, &info, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(info.n_seeds == 3 && info.n_variants == 3 && info.k == 10, "defaults: %d seeds, %d variants, k %d",
          info.n_seeds, info.n_variants, info.k);
    for (int c = 0; c < 9; c++) {
        const bookrec_stat *st[] = {&a[c].hr, &a[c].ndcg, &a[c].recall, &a[c].coverage, &a[c].pop_rank};
        for (int f = 0; f < 5; f++)
            CHECK(st[f]->min <= st[f]->mean + 1e-12 && st[f]->mean <= st[f]->max + 1e-12 && st[f]->sd >= 0,
                  "cell %d figure %d: min %g mean %g max %g sd %g", c, f, st[f]->min, st[f]->mean, st[f]->max,
                  st[f]->sd);
    }
    /* popularity recommends books ranked near the top, the reverse ranker books near the bottom */
    for (int v = 0; v < 3; v++) {
        CHECK(a[v].pop_rank.max <= 25, "popularity: mean popularity rank %g", a[v].pop_rank.max);
        CHECK(a[3 + v].pop_rank.min >= N_ITEMS - 25, "obscure: mean popularity rank %g", a[3 + v].pop_rank.min);
    }
    /* a different seed set moves the figures: the spread is real */
    CHECK(a[1].ndcg.sd > 0 || a[1].hr.sd > 0, "three seeds gave identical figures");
    /* threads do not change anything */
    o.rank.n_tasks = 4;
    o.rank.parallel = reverse_parallel;
    CHECK(bookrec_protocol_run(&all, N_USERS, N_ITEMS, rk, 3, &o, b, NULL, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(memcmp(a, b, sizeof a) == 0, "figures depend on the task count");
    /* bad input is refused with a message */
    bookrec_foldin_variant bad = {0, 0};
    o.variants = &bad;
    o.n_variants = 1;
    CHECK(bookrec_protocol_run(&all, N_USERS, N_ITEMS, rk, 3, &o, b, NULL, &err) == BOOKREC_E_ARG &&
              strstr(err.msg, "variant 0") != NULL,
          "a variant of 0 ratings: %s", err.msg);
    bookrec_triples_free(&all);
}

static void test_fit_data(void) {
    bookrec_triples all = dataset();
    bookrec_fit_data d;
    bookrec_error err;
    CHECK(bookrec_fit_data_init(&d, &all, N_USERS, N_ITEMS, 1, 5, 0.0, 3, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(d.valid.n == 0 && d.fit.n == all.n && d.train == &all, "fraction 0: fit is everything");
    bookrec_fit_data_free(&d);
    CHECK(bookrec_fit_data_init(&d, &all, N_USERS, N_ITEMS, 1, 5, 0.25, 3, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(d.valid.n == (size_t)(0.25 * (double)all.n + 0.5) && d.fit.n + d.valid.n == all.n, "fraction 0.25");
    bookrec_fit_data_free(&d);
    CHECK(bookrec_fit_data_init(&d, &all, N_USERS, N_ITEMS, 1, 5, 1.0, 3, &err) == BOOKREC_E_ARG, "fraction 1");
    bookrec_triples none = {0};
    CHECK(bookrec_fit_data_init(&d, &none, N_USERS, N_ITEMS, 1, 5, 0.1, 3, &err) == BOOKREC_E_EMPTY &&
              strstr(err.msg, "no ratings") != NULL,
          "empty training part: %s", err.msg);
    bookrec_triples_free(&all);
}

int main(void) {
    test_spy();
    test_popularity_and_seeds();
    test_fit_data();
    if (failures) {
        fprintf(stderr, "test_protocol: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_protocol: all checks passed\n");
    return 0;
}
