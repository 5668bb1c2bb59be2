/*
 * test_eval.c - the ranking evaluation (src/eval.c) on tiny hand-computed cases: HR@k, NDCG@k, Recall@k,
 * coverage, exclusion of training items, users without relevant items skipped, the default relevance
 * threshold, the popularity scorer, the validation split and the new-reader split (held-out readers have
 * no training ratings, their fold-in items are never ranked), and determinism across task counts.
 * It does not train models: the model scorer is exercised by the CLI and integration tests.
 */
#include "bookrec.h"
#include "check.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CHECK that a equals b within 1e-9, printing both (a and b are evaluated twice: plain expressions only). */
#define NEAR(a, b) \
    CHECK(fabs((double)(a) - (double)(b)) <= 1e-9, "%s = %.12f, expected %.12f", #a, (double)(a), (double)(b))

/* ---------------------------------------------------------------- helpers */

static bookrec_triples mk(const int *u, const int *i, const float *r, size_t n) {
    bookrec_triples t;
    if (bookrec_triples_alloc(&t, n) != BOOKREC_OK) { fprintf(stderr, "alloc failed\n"); exit(1); }
    for (size_t j = 0; j < n; j++) { t.user[j] = u[j]; t.item[j] = i[j]; t.rating[j] = r[j]; }
    return t;
}

/* A scorer with one fixed score row per user (row `user` of a n_users x n_items table); new readers get row
   new_row. Counts calls so tests can see which readers were scored. */
typedef struct table_scorer {
    const float *rows;
    int n_items, new_row;
    int calls, new_calls, last_new_n;
    int32_t last_new_items[16];
} table_scorer;

static int score_table(void *ctx, const bookrec_reader *rd, float *scores, int n_items, bookrec_error *err) {
    table_scorer *s = ctx;
    (void)err;
    s->calls++;
    int row = rd->user >= 0 ? rd->user : s->new_row;
    if (rd->user < 0) {
        s->new_calls++;
        s->last_new_n = rd->n;
        for (int j = 0; j < rd->n && j < 16; j++) s->last_new_items[j] = rd->items[j];
    }
    memcpy(scores, s->rows + (size_t)row * n_items, (size_t)n_items * sizeof *scores);
    return BOOKREC_OK;
}

/* A thread-safe deterministic scorer: score(u, i) from a hash, for the determinism test. */
static int score_hash(void *ctx, const bookrec_reader *rd, float *scores, int n_items, bookrec_error *err) {
    (void)ctx; (void)err;
    uint32_t salt = rd->user >= 0 ? (uint32_t)rd->user : (uint32_t)(rd->n ? rd->items[0] : 0) + 7777u;
    for (int i = 0; i < n_items; i++) {
        uint32_t h = (salt * 2654435761u) ^ ((uint32_t)i * 40503u);
        h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
        scores[i] = (float)(h % 1000) + (float)(i % 7) * 0.25f;
    }
    return BOOKREC_OK;
}

/* A parallel-for that runs tasks in reverse order (a different schedule must give the same figures). */
static void reverse_parallel(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks) {
    (void)ctx;
    for (int t = n_tasks - 1; t >= 0; t--) fn(arg, t);
}

/* ---------------------------------------------------------------- tests */

static void test_list_metrics(void) {
    bookrec_error err;
    bookrec_rank_metrics m;
    /* list [5, 3, 8, 1], relevant {3, 1, 9}, k = 4.
       hits at ranks 2 and 4 -> HR 1, hits 2, Recall = 2/3.
       DCG = 1/log2(3) + 1/log2(5) = 0.630929753571 + 0.430676558073 = 1.061606311644
       IDCG over min(4, 3) = 3 ranks = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.630929753571 + 0.5 = 2.130929753571
       NDCG = 1.061606311644 / 2.130929753571 = 0.498189364... */
    int32_t top[] = {5, 3, 8, 1}, rel[] = {3, 1, 9};
    CHECK(bookrec_rank_list_metrics(top, 4, rel, 3, 4, &m, &err) == BOOKREC_OK);
    CHECK(m.hits == 2);
    NEAR(m.hr, 1.0);
    NEAR(m.recall, 2.0 / 3.0);
    double dcg = 1.0 / log2(3.0) + 1.0 / log2(5.0), idcg = 1.0 + 1.0 / log2(3.0) + 0.5;
    NEAR(m.ndcg, dcg / idcg);
    CHECK(fabs(m.ndcg - 0.498189) < 1e-6);

    /* same list with k = 2: only [5, 3] counts: one hit at rank 2.
       DCG = 1/log2(3) = 0.630929753571; IDCG over min(2, 3) = 2 ranks = 1 + 0.630929753571;
       NDCG = 0.630929753571 / 1.630929753571 = 0.386852807...; Recall = 1/3 (hits / #relevant). */
    CHECK(bookrec_rank_list_metrics(top, 4, rel, 3, 2, &m, &err) == BOOKREC_OK);
    CHECK(m.hits == 1);
    NEAR(m.hr, 1.0);
    NEAR(m.recall, 1.0 / 3.0);
    NEAR(m.ndcg, (1.0 / log2(3.0)) / (1.0 + 1.0 / log2(3.0)));
    CHECK(fabs(m.ndcg - 0.386853) < 1e-6);

    /* a single relevant item at rank 1: NDCG 1, Recall 1. */
    int32_t top2[] = {7, 2, 4}, rel2[] = {7};
    CHECK(bookrec_rank_list_metrics(top2, 3, rel2, 1, 3, &m, &err) == BOOKREC_OK);
    NEAR(m.ndcg, 1.0); NEAR(m.recall, 1.0); NEAR(m.hr, 1.0);

    /* no hit: everything 0 */
    int32_t rel3[] = {11, 12};
    CHECK(bookrec_rank_list_metrics(top2, 3, rel3, 2, 3, &m, &err) == BOOKREC_OK);
    NEAR(m.ndcg, 0.0); NEAR(m.recall, 0.0); NEAR(m.hr, 0.0); CHECK(m.hits == 0);

    /* bad arguments are refused with a message */
    CHECK(bookrec_rank_list_metrics(top, 4, rel, 3, 0, &m, &err) == BOOKREC_E_ARG);
    CHECK(err.msg[0] != '\0');
}

static void test_rank_user(void) {
    bookrec_error err;
    bookrec_rank_metrics m;
    /* scores over 6 items; item 2 (best) and item 0 are excluded (rated in training), item 4 is NaN.
       Remaining by score: 5 (0.8), 1 (0.7, the lower index wins the tie with 3), 3 (0.7).
       top-3 = [5, 1, 3]; relevant {3} -> hit at rank 3: NDCG = (1/log2 4) / 1 = 0.5. */
    float s[] = {0.95f, 0.7f, 0.99f, 0.7f, NAN, 0.8f};
    int32_t ex[] = {2, 0}, rel[] = {3}, top[3];
    int n_top = -1;
    CHECK(bookrec_rank_user(s, 6, ex, 2, rel, 1, 3, top, &n_top, &m, &err) == BOOKREC_OK);
    CHECK(n_top == 3);
    CHECK(top[0] == 5 && top[1] == 1 && top[2] == 3);
    NEAR(m.ndcg, 0.5);
    NEAR(m.recall, 1.0);
    /* k larger than the eligible items: only 3 written (6 - 2 excluded - 1 NaN) */
    int32_t top6[6];
    CHECK(bookrec_rank_user(s, 6, ex, 2, rel, 1, 6, top6, &n_top, &m, &err) == BOOKREC_OK);
    CHECK(n_top == 3);
    /* the caller's scores are untouched */
    CHECK(s[2] == 0.99f && s[0] == 0.95f);
    /* an out-of-range excluded item is an error, not a crash */
    int32_t bad[] = {6};
    CHECK(bookrec_rank_user(s, 6, bad, 1, rel, 1, 3, top, &n_top, &m, &err) == BOOKREC_E_ARG);
}

static void test_threshold(void) {
    CHECK(bookrec_relevance_threshold(1, 5) == 4.0f);
    CHECK(bookrec_relevance_threshold(0, 0) == 4.0f);
    CHECK(fabsf(bookrec_relevance_threshold(0.5f, 5) - 3.875f) < 1e-6f); /* half stars: 4, 4.5, 5 relevant */
    CHECK(fabsf(bookrec_relevance_threshold(1, 10) - 7.75f) < 1e-6f);    /* 8, 9, 10 relevant */
}

/* 3 users x 5 items.
   train: u0 rated items 0, 1; u1 rated item 4; u2 rated item 2.
   test:  u0: item 2 (5), item 3 (2)  -> relevant {2}
          u1: item 0 (4), item 1 (4)  -> relevant {0, 1}
          u2: item 3 (3)              -> no relevant item: skipped
   scores (same for every user): item 0: 0.9, 1: 0.8, 2: 0.7, 3: 0.6, 4: 0.5.
   k = 2:
     u0: items 0, 1 excluded -> top [2, 3]: hit at rank 1: HR 1, NDCG 1, Recall 1/1.
     u1: item 4 excluded     -> top [0, 1]: hits at 1, 2: HR 1, NDCG (1 + 1/log2 3)/(1 + 1/log2 3) = 1, Recall 2/2.
   Without exclusion, u0 would get [0, 1]: no hit. So HR 1 proves training items are excluded.
   coverage: lists {2, 3} and {0, 1}: 4 distinct / 5 items = 0.8. n_users 2, n_skipped 1, relevant 3, hits 3.
   k = 1:
     u0: [2] hit: NDCG 1, Recall 1;  u1: [0] hit: IDCG over min(1, 2) = 1 rank: NDCG 1; Recall 1/2.
     means: HR 1, NDCG 1, Recall 0.75; coverage {2, 0} = 2/5 = 0.4. */
static void test_evaluate(void) {
    int tu[] = {0, 0, 1, 2}, ti[] = {0, 1, 4, 2};
    float tr[] = {4, 3, 5, 2};
    int su[] = {0, 0, 1, 1, 2}, si[] = {2, 3, 0, 1, 3};
    float sr[] = {5, 2, 4, 4, 3};
    bookrec_triples train = mk(tu, ti, tr, 4), test = mk(su, si, sr, 5);
    float row[] = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
    float rows[15];
    for (int u = 0; u < 3; u++) memcpy(rows + u * 5, row, sizeof row);
    table_scorer ts = {rows, 5, 0, 0, 0, 0, {0}};
    bookrec_rank_options o;
    memset(&o, 0, sizeof o);
    o.k = 2;
    bookrec_rank_result r;
    bookrec_error err;
    CHECK(bookrec_rank_evaluate(3, 5, &train, &test, score_table, &ts, &o, &r, &err) == BOOKREC_OK);
    CHECK(r.k == 2);
    CHECK(r.threshold == 4.0f);
    CHECK(r.n_users == 2);
    CHECK(r.n_skipped == 1);
    CHECK(ts.calls == 2); /* the skipped user is not even scored */
    CHECK(r.n_relevant == 3);
    CHECK(r.n_hits == 3);
    NEAR(r.hr, 1.0);
    NEAR(r.ndcg, 1.0);
    NEAR(r.recall, 1.0);
    NEAR(r.coverage, 0.8);

    o.k = 1;
    CHECK(bookrec_rank_evaluate(3, 5, &train, &test, score_table, &ts, &o, &r, &err) == BOOKREC_OK);
    NEAR(r.hr, 1.0);
    NEAR(r.ndcg, 1.0);
    NEAR(r.recall, 0.75);
    NEAR(r.coverage, 0.4);

    /* A worse scorer: reversed scores (item 4 best). k = 2:
       u0: excluded 0, 1 -> scores 3: 0.8? no: reversed row = {0.5, 0.6, 0.7, 0.8, 0.9}; u0 top [4, 3]: no hit.
       u1: excluded 4 -> top [3, 2]: no hit. HR 0, NDCG 0, Recall 0; coverage {4, 3, 2} = 3/5. */
    float rev[] = {0.5f, 0.6f, 0.7f, 0.8f, 0.9f};
    for (int u = 0; u < 3; u++) memcpy(rows + u * 5, rev, sizeof rev);
    o.k = 2;
    CHECK(bookrec_rank_evaluate(3, 5, &train, &test, score_table, &ts, &o, &r, &err) == BOOKREC_OK);
    NEAR(r.hr, 0.0);
    NEAR(r.ndcg, 0.0);
    NEAR(r.recall, 0.0);
    NEAR(r.coverage, 0.6);

    /* per-user rows: u1 ranks item 1 first, then 2, then 0: top-2 after excluding 4 = [1, 2]: one hit at rank 1.
       NDCG = 1 / (1 + 1/log2 3) = 0.613147..., Recall 1/2; u0 keeps the reversed row (NDCG 0).
       means: HR (0 + 1)/2 = 0.5, NDCG 0.306573..., Recall 0.25. */
    float u1row[] = {0.1f, 0.9f, 0.5f, 0.2f, 0.95f};
    memcpy(rows + 5, u1row, sizeof u1row);
    CHECK(bookrec_rank_evaluate(3, 5, &train, &test, score_table, &ts, &o, &r, &err) == BOOKREC_OK);
    NEAR(r.hr, 0.5);
    NEAR(r.ndcg, 0.5 / (1.0 + 1.0 / log2(3.0)));
    NEAR(r.recall, 0.25);

    /* a custom threshold of 5: only u0's item 2 is relevant -> u1 skipped too */
    o.threshold = 5.0f;
    CHECK(bookrec_rank_evaluate(3, 5, &train, &test, score_table, &ts, &o, &r, &err) == BOOKREC_OK);
    CHECK(r.n_users == 1);
    CHECK(r.n_skipped == 2);

    /* out-of-range indices are refused with a message naming the part and the triple */
    test.item[3] = 5;
    CHECK(bookrec_rank_evaluate(3, 5, &train, &test, score_table, &ts, &o, &r, &err) == BOOKREC_E_ARG);
    CHECK(strstr(err.msg, "test triple 3") != NULL);
    /* nothing relevant at all is an explicit "empty" error */
    test.item[3] = 1;
    o.threshold = 6.0f;
    CHECK(bookrec_rank_evaluate(3, 5, &train, &test, score_table, &ts, &o, &r, &err) == BOOKREC_E_EMPTY);
    bookrec_triples_free(&train);
    bookrec_triples_free(&test);
}

/* Popularity: training counts per item, ties by lower index.
   train: item 3 x3, item 1 x2, item 0 x2, item 2 x1, item 4 x0 -> ranking [3, 0, 1, 2, 4]. */
static void test_popularity(void) {
    int u[] = {0, 1, 2, 0, 1, 2, 3, 3};
    int i[] = {3, 3, 3, 1, 1, 0, 0, 2};
    float r[] = {5, 5, 5, 4, 4, 4, 4, 4};
    bookrec_triples t = mk(u, i, r, 8);
    float pop[5];
    bookrec_error err;
    CHECK(bookrec_popularity(&t, 5, pop, &err) == BOOKREC_OK);
    CHECK(pop[0] == 2 && pop[1] == 2 && pop[2] == 1 && pop[3] == 3 && pop[4] == 0);
    /* counting only ratings >= 5: item 3 x3, the others 0 */
    float liked[5];
    CHECK(bookrec_popularity_min(&t, 5, 5.0f, liked, &err) == BOOKREC_OK);
    CHECK(liked[3] == 3 && liked[0] == 0 && liked[1] == 0 && liked[2] == 0 && liked[4] == 0);
    CHECK(bookrec_popularity_min(&t, 5, NAN, liked, &err) == BOOKREC_E_ARG);
    int32_t top[5], rel[] = {0};
    int n_top;
    bookrec_rank_metrics m;
    CHECK(bookrec_rank_user(pop, 5, NULL, 0, rel, 1, 5, top, &n_top, &m, &err) == BOOKREC_OK);
    CHECK(top[0] == 3 && top[1] == 0 && top[2] == 1 && top[3] == 2 && top[4] == 4);
    /* the fixed scorer hands the same vector to dataset users and new readers */
    bookrec_fixed_scorer fs = {pop, 5};
    float out[5];
    bookrec_reader nr = {-1, NULL, NULL, 0};
    CHECK(bookrec_score_fixed(&fs, &nr, out, 5, &err) == BOOKREC_OK);
    CHECK(memcmp(out, pop, sizeof pop) == 0);
    CHECK(bookrec_score_fixed(&fs, &nr, out, 4, &err) == BOOKREC_E_ARG);
    bookrec_triples_free(&t);
}

/* A synthetic dataset: user u rates (u % 17) + 25 items, ratings 1..5. */
static bookrec_triples synth(int n_users, int n_items) {
    size_t n = 0;
    for (int u = 0; u < n_users; u++) n += (size_t)(u % 17) + 5;
    bookrec_triples t;
    if (bookrec_triples_alloc(&t, n) != BOOKREC_OK) exit(1);
    size_t j = 0;
    for (int u = 0; u < n_users; u++)
        for (int q = 0; q < u % 17 + 5; q++) {
            t.user[j] = u;
            t.item[j] = (u * 31 + q * 7) % n_items; /* distinct for q < n_items / gcd(7, n_items) */
            t.rating[j] = (float)(1 + (u + q) % 5);
            j++;
        }
    return t;
}

static void test_new_reader_split(void) {
    const int n_users = 300, n_items = 101;
    bookrec_triples all = synth(n_users, n_items);
    bookrec_newreader_options no = {40, 15, 10, 42, 0.0};
    bookrec_triples train, fold, target;
    int n_readers = 0;
    bookrec_error err;
    CHECK(bookrec_split_new_readers(&all, n_users, &no, &train, &fold, &target, &n_readers, &err) == BOOKREC_OK);
    CHECK(n_readers == 40);
    CHECK(train.n + fold.n + target.n == all.n);
    CHECK(fold.n == 400);
    /* held-out readers have no training ratings, each has exactly 10 fold-in ratings and >= 5 targets */
    int *cnt_train = calloc(n_users, sizeof(int)), *cnt_fold = calloc(n_users, sizeof(int));
    int *cnt_target = calloc(n_users, sizeof(int)), *cnt_all = calloc(n_users, sizeof(int));
    for (size_t j = 0; j < all.n; j++) cnt_all[all.user[j]]++;
    for (size_t j = 0; j < train.n; j++) cnt_train[train.user[j]]++;
    for (size_t j = 0; j < fold.n; j++) cnt_fold[fold.user[j]]++;
    for (size_t j = 0; j < target.n; j++) cnt_target[target.user[j]]++;
    int held = 0;
    for (int u = 0; u < n_users; u++) {
        if (cnt_fold[u] > 0) {
            held++;
            CHECK(cnt_train[u] == 0);
            CHECK(cnt_fold[u] == 10);
            CHECK(cnt_all[u] >= 15);
            CHECK(cnt_target[u] == cnt_all[u] - 10);
        } else {
            CHECK(cnt_target[u] == 0);
            CHECK(cnt_train[u] == cnt_all[u]);
        }
    }
    CHECK(held == 40);
    /* no fold-in item appears in the same reader's targets */
    for (size_t a = 0; a < fold.n; a++)
        for (size_t b = 0; b < target.n; b++)
            if (fold.user[a] == target.user[b]) CHECK(fold.item[a] != target.item[b]);

    /* the same seed gives the same split; another seed another one */
    bookrec_triples train2, fold2, target2;
    CHECK(bookrec_split_new_readers(&all, n_users, &no, &train2, &fold2, &target2, NULL, &err) == BOOKREC_OK);
    CHECK(fold2.n == fold.n && memcmp(fold2.item, fold.item, fold.n * sizeof(int32_t)) == 0 &&
          memcmp(fold2.user, fold.user, fold.n * sizeof(int32_t)) == 0);
    CHECK(target2.n == target.n && memcmp(target2.item, target.item, target.n * sizeof(int32_t)) == 0);
    bookrec_triples_free(&train2); bookrec_triples_free(&fold2); bookrec_triples_free(&target2);
    no.seed = 43;
    CHECK(bookrec_split_new_readers(&all, n_users, &no, &train2, &fold2, &target2, NULL, &err) == BOOKREC_OK);
    CHECK(memcmp(fold2.user, fold.user, fold.n * sizeof(int32_t)) != 0);
    bookrec_triples_free(&train2); bookrec_triples_free(&fold2); bookrec_triples_free(&target2);

    /* evaluation of new readers: every reader is scored as user -1 from its 10 fold-in items, and those
       items are never ranked. The scorer gives the fold-in items the highest scores: if they were not
       excluded they would fill the top 10. */
    float *rows = malloc(sizeof(float) * n_items);
    for (int i = 0; i < n_items; i++) rows[i] = 0.0f;
    table_scorer ts = {rows, n_items, 0, 0, 0, 0, {0}};
    /* make the first reader's fold-in items the top-scored ones */
    int first = fold.user[0];
    for (size_t j = 0; j < fold.n; j++) if (fold.user[j] == first) rows[fold.item[j]] = 100.0f;
    bookrec_rank_options o;
    memset(&o, 0, sizeof o);
    o.k = 10;
    bookrec_rank_result r;
    CHECK(bookrec_rank_evaluate_new(n_users, n_items, &fold, &target, score_table, &ts, &o, &r, &err) == BOOKREC_OK);
    CHECK(ts.new_calls == ts.calls && ts.calls == r.n_users);
    CHECK(ts.last_new_n == 10);
    CHECK(r.n_users + r.n_skipped == 40);
    /* the top-10 lists never contain a fold-in item: check with rank_user on the first reader */
    int32_t ex[10], reln[64], top[10];
    int nx = 0, nrel = 0, n_top;
    for (size_t j = 0; j < fold.n; j++) if (fold.user[j] == first) ex[nx++] = fold.item[j];
    for (size_t j = 0; j < target.n; j++) if (target.user[j] == first && target.rating[j] >= 4 && nrel < 64) reln[nrel++] = target.item[j];
    bookrec_rank_metrics m;
    CHECK(bookrec_rank_user(rows, n_items, ex, nx, reln, nrel, 10, top, &n_top, &m, &err) == BOOKREC_OK);
    for (int p = 0; p < n_top; p++)
        for (int q = 0; q < nx; q++) CHECK(top[p] != ex[q]);
    /* coverage: every reader got the same fixed row, but fold-in items differ; at least 10 distinct items */
    CHECK(r.coverage >= 10.0 / n_items - 1e-12);

    /* too few fold-in/minimum makes no sense: refused */
    bookrec_newreader_options bad = {10, 5, 10, 1, 0.0};
    CHECK(bookrec_split_new_readers(&all, n_users, &bad, &train2, &fold2, &target2, NULL, &err) == BOOKREC_E_ARG);
    free(rows);
    free(cnt_train); free(cnt_fold); free(cnt_target); free(cnt_all);
    bookrec_triples_free(&train); bookrec_triples_free(&fold); bookrec_triples_free(&target);
    bookrec_triples_free(&all);
}

/* New readers with a hand-computed case: 2 users x 6 items, fold-in u0 {0, 1}, u1 {2};
   targets u0 {2 (5), 5 (4), 3 (1)} -> relevant {2, 5}; u1 {0 (4)} -> relevant {0}.
   The scorer's new-reader row: 0: 0.9, 1: 0.8, 2: 0.7, 3: 0.6, 4: 0.5, 5: 0.4. k = 3.
   u0: 0, 1 excluded -> [2, 3, 4]: hit at 1: DCG 1; IDCG (min(3, 2) = 2) 1 + 1/log2 3; NDCG 0.613147; Recall 1/2.
   u1: 2 excluded -> [0, 1, 3]: hit at 1: NDCG 1, Recall 1.
   means: HR 1, NDCG (0.613147 + 1)/2, Recall 0.75; coverage {2, 3, 4, 0, 1} = 5/6. */
static void test_new_reader_hand(void) {
    int fu[] = {0, 0, 1}, fi[] = {0, 1, 2};
    float fr[] = {5, 4, 3};
    int gu[] = {0, 0, 0, 1}, gi[] = {2, 5, 3, 0};
    float gr[] = {5, 4, 1, 4};
    bookrec_triples fold = mk(fu, fi, fr, 3), target = mk(gu, gi, gr, 4);
    float rows[] = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f};
    table_scorer ts = {rows, 6, 0, 0, 0, 0, {0}};
    bookrec_rank_options o;
    memset(&o, 0, sizeof o);
    o.k = 3;
    bookrec_rank_result r;
    bookrec_error err;
    CHECK(bookrec_rank_evaluate_new(2, 6, &fold, &target, score_table, &ts, &o, &r, &err) == BOOKREC_OK);
    CHECK(r.n_users == 2);
    CHECK(ts.new_calls == 2);
    CHECK(ts.last_new_n == 1 && ts.last_new_items[0] == 2);
    NEAR(r.hr, 1.0);
    NEAR(r.ndcg, (1.0 / (1.0 + 1.0 / log2(3.0)) + 1.0) / 2.0);
    NEAR(r.recall, 0.75);
    NEAR(r.coverage, 5.0 / 6.0);
    bookrec_triples_free(&fold);
    bookrec_triples_free(&target);
}

/* The hold-out cap: a catalogue where every user qualifies (610 users, 20..29 ratings each) must keep users to
   train on. At most 20% of the users are held out by default (122 of 610), max_share sets another share, a share
   of 1 or more is refused, and too few users to hold anyone out is a clear BOOKREC_E_EMPTY. */
static void test_new_reader_cap(void) {
    const int n_users = 610, n_items = 300;
    size_t n = 0;
    for (int u = 0; u < n_users; u++) n += 20 + (size_t)(u % 10);
    bookrec_triples all;
    if (bookrec_triples_alloc(&all, n) != BOOKREC_OK) exit(1);
    size_t j = 0;
    for (int u = 0; u < n_users; u++)
        for (int q = 0; q < 20 + u % 10; q++) {
            all.user[j] = u; all.item[j] = (u * 13 + q * 11) % n_items; all.rating[j] = (float)(1 + (u + q) % 5); j++;
        }
    bookrec_newreader_options no = {1000, 20, 10, 5, 0.0};
    bookrec_triples train, fold, target;
    int n_readers = -1;
    bookrec_error err;
    CHECK(bookrec_split_new_readers(&all, n_users, &no, &train, &fold, &target, &n_readers, &err) == BOOKREC_OK);
    CHECK(n_readers == 122);
    CHECK(train.n > 0 && train.n + fold.n + target.n == all.n);
    CHECK(fold.n == 1220);
    bookrec_triples_free(&train); bookrec_triples_free(&fold); bookrec_triples_free(&target);
    no.max_share = 0.5;
    CHECK(bookrec_split_new_readers(&all, n_users, &no, &train, &fold, &target, &n_readers, &err) == BOOKREC_OK);
    CHECK(n_readers == 305);
    bookrec_triples_free(&train); bookrec_triples_free(&fold); bookrec_triples_free(&target);
    no.max_share = 1.0;
    CHECK(bookrec_split_new_readers(&all, n_users, &no, &train, &fold, &target, &n_readers, &err) == BOOKREC_E_ARG);
    CHECK(strstr(err.msg, "share") != NULL);
    no.max_share = 0.0;
    all.n = 4 * 20 + 1 + 2 + 3; /* users 0..3 only: 20% of 4 users is no reader */
    CHECK(bookrec_split_new_readers(&all, n_users, &no, &train, &fold, &target, &n_readers, &err) == BOOKREC_E_EMPTY);
    CHECK(strstr(err.msg, "too few") != NULL);
    all.n = n;
    bookrec_triples_free(&all);
}

static void test_validation_split(void) {
    bookrec_triples all = synth(200, 97), keep, held, keep2, held2;
    bookrec_error err;
    CHECK(bookrec_triples_split(&all, 0.1, 7, &keep, &held, &err) == BOOKREC_OK);
    CHECK(keep.n + held.n == all.n);
    CHECK(held.n == (size_t)(0.1 * all.n + 0.5));
    /* every triple lands in exactly one part: sums of a checksum agree */
    double s_all = 0, s_parts = 0;
    for (size_t j = 0; j < all.n; j++) s_all += all.user[j] * 1000.0 + all.item[j] + all.rating[j] / 10.0;
    for (size_t j = 0; j < keep.n; j++) s_parts += keep.user[j] * 1000.0 + keep.item[j] + keep.rating[j] / 10.0;
    for (size_t j = 0; j < held.n; j++) s_parts += held.user[j] * 1000.0 + held.item[j] + held.rating[j] / 10.0;
    CHECK(fabs(s_all - s_parts) < 1e-6);
    CHECK(bookrec_triples_split(&all, 0.1, 7, &keep2, &held2, &err) == BOOKREC_OK);
    CHECK(held2.n == held.n && memcmp(held2.item, held.item, held.n * sizeof(int32_t)) == 0 &&
          memcmp(held2.user, held.user, held.n * sizeof(int32_t)) == 0);
    bookrec_triples_free(&keep2); bookrec_triples_free(&held2);
    CHECK(bookrec_triples_split(&all, 0.1, 8, &keep2, &held2, &err) == BOOKREC_OK);
    CHECK(memcmp(held2.user, held.user, held.n * sizeof(int32_t)) != 0 ||
          memcmp(held2.item, held.item, held.n * sizeof(int32_t)) != 0);
    bookrec_triples_free(&keep2); bookrec_triples_free(&held2);
    CHECK(bookrec_triples_split(&all, 1.5, 7, &keep2, &held2, &err) == BOOKREC_E_ARG);
    bookrec_triples_free(&keep); bookrec_triples_free(&held); bookrec_triples_free(&all);
}

static void test_determinism(void) {
    const int n_users = 500, n_items = 211;
    bookrec_triples all = synth(n_users, n_items), train, test;
    bookrec_error err;
    CHECK(bookrec_triples_split(&all, 0.2, 3, &train, &test, &err) == BOOKREC_OK);
    bookrec_rank_options o;
    memset(&o, 0, sizeof o);
    bookrec_rank_result r1, r4, r7;
    CHECK(bookrec_rank_evaluate(n_users, n_items, &train, &test, score_hash, NULL, &o, &r1, &err) == BOOKREC_OK);
    o.n_tasks = 4;
    o.parallel = reverse_parallel;
    CHECK(bookrec_rank_evaluate(n_users, n_items, &train, &test, score_hash, NULL, &o, &r4, &err) == BOOKREC_OK);
    o.n_tasks = 7;
    CHECK(bookrec_rank_evaluate(n_users, n_items, &train, &test, score_hash, NULL, &o, &r7, &err) == BOOKREC_OK);
    CHECK(r1.n_users > 100);
    CHECK(r1.hr > 0.0 && r1.hr < 1.0); /* a meaningful case: some hits, some misses */
    CHECK(memcmp(&r1, &r4, sizeof r1) == 0);
    CHECK(memcmp(&r1, &r7, sizeof r1) == 0);
    /* max_users evaluates an evenly spaced subset, deterministically */
    o.max_users = 50;
    bookrec_rank_result a, b;
    CHECK(bookrec_rank_evaluate(n_users, n_items, &train, &test, score_hash, NULL, &o, &a, &err) == BOOKREC_OK);
    o.n_tasks = 1;
    CHECK(bookrec_rank_evaluate(n_users, n_items, &train, &test, score_hash, NULL, &o, &b, &err) == BOOKREC_OK);
    CHECK(a.n_users == 50);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    bookrec_triples_free(&train); bookrec_triples_free(&test); bookrec_triples_free(&all);
}

int main(void) {
    test_list_metrics();
    test_rank_user();
    test_threshold();
    test_evaluate();
    test_popularity();
    test_new_reader_split();
    test_new_reader_hand();
    test_new_reader_cap();
    test_validation_split();
    test_determinism();
    if (failures) {
        fprintf(stderr, "test_eval: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_eval: all checks passed\n");
    return 0;
}
