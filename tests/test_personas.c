/*
 * test_personas.c - the persona suite (src/personas.c) on a generated catalogue whose shares are known: each taste
 * comes as per-book arrays (which books may seed it, which carry it), seeds are the most popular seedable books (a
 * more popular book that only carries the taste is never one), a scorer that returns exactly the taste's books gives
 * share 1, its opposite 0, popularity gives the share among the most popular books outside the seeds (computed here
 * independently), the base rate is the carrying books' share of the catalogue, a taste with few or no seedable books
 * is handled, and bad arrays are refused naming the taste and the book. No model is trained: the scorers are small
 * callbacks.
 */
#include "bookrec.h"
#include "check.h"
#include <math.h>
#include <string.h>

#define N 200
#define NT 4

/* taste 0: seeds and carries on every 5th book; taste 1: carries every 3rd book from 1, seeds only every 15th from
   1 (a subset); taste 2: seeds on books 11, 22, 33, carries those and 44; taste 3: carries 50 books, seeds none. */
static unsigned char seedable[NT][N], carries[NT][N];
static float pop[N];

static void build(void) {
    memset(seedable, 0, sizeof seedable);
    memset(carries, 0, sizeof carries);
    for (int i = 0; i < N; i++) {
        seedable[0][i] = carries[0][i] = i % 5 == 0;
        carries[1][i] = i % 3 == 1;
        seedable[1][i] = i % 15 == 1;
        seedable[2][i] = i == 11 || i == 22 || i == 33;
        carries[2][i] = seedable[2][i] || i == 44;
        carries[3][i] = i < 50;
        uint32_t h = (uint32_t)i * 2654435761u;
        h ^= h >> 15;
        pop[i] = (float)(h % 100000) + (float)i * 1e-3f; /* distinct */
    }
}

/* The taste whose seedable books hold every seed (the fixture makes it unique: 2, then 1, then 0). */
static int seed_taste(const bookrec_reader *rd) {
    for (int t = 2; t >= 0; t--) {
        int all = 1;
        for (int j = 0; j < rd->n; j++) all &= seedable[t][rd->items[j]];
        if (all) return t;
    }
    return -1;
}

typedef struct oracle { int invert, calls; } oracle;

static int score_oracle(void *ctx, const bookrec_reader *rd, float *scores, int n_items, bookrec_error *err) {
    oracle *o = ctx;
    (void)err;
    o->calls++;
    int t = seed_taste(rd);
    for (int i = 0; i < n_items; i++) scores[i] = (float)((t >= 0 && carries[t][i]) != o->invert) + pop[i] * 1e-9f;
    return BOOKREC_OK;
}

/* The n most popular books with flag[i] set, most popular first, computed independently of the core. */
static int most_popular(const unsigned char *flag, int n, int32_t *out) {
    int m = 0;
    for (; m < n; m++) {
        int best = -1;
        for (int i = 0; i < N; i++) {
            int used = 0;
            for (int q = 0; q < m; q++) used |= out[q] == i;
            if (flag[i] && !used && (best < 0 || pop[i] > pop[best])) best = i;
        }
        if (best < 0) break;
        out[m] = best;
    }
    return m;
}

int main(void) {
    build();
    bookrec_taste_books tb[NT];
    for (int t = 0; t < NT; t++) tb[t] = (bookrec_taste_books){seedable[t], carries[t]};
    bookrec_error err;
    bookrec_persona_result res[NT];
    oracle o = {0, 0};
    CHECK(bookrec_personas(N, pop, tb, NT, score_oracle, &o, NULL, res, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(o.calls == 3, "scorer called %d times (the taste nothing seeds needs no call)", o.calls);
    CHECK(res[0].share == 1.0 && res[0].hits == 10 && res[0].n_top == 10, "taste 0: share %g", res[0].share);
    CHECK(res[1].share == 1.0, "taste 1: share %g", res[1].share);
    CHECK(res[0].n_carrying == 40 && res[0].base == 40.0 / N && res[0].n_seedable == 40, "taste 0: base %g of %d",
          res[0].base, res[0].n_carrying);
    CHECK(res[1].n_carrying == 67 && fabs(res[1].base - 67.0 / N) < 1e-12 && res[1].n_seedable == 14,
          "taste 1: base %g, %d carrying, %d seedable", res[1].base, res[1].n_carrying, res[1].n_seedable);
    CHECK(res[2].n_seed == 3 && res[2].n_top == 10 && res[2].hits == 1 && res[2].top[0] == 44 && res[2].share == 0.1,
          "taste 2 (3 seedable books, a 4th carrying): %d seeds, share %g", res[2].n_seed, res[2].share);
    CHECK(res[3].n_seed == 0 && res[3].n_top == 0 && isnan(res[3].share) && res[3].n_carrying == 50 &&
              res[3].base == 0.25,
          "a taste nothing seeds: %d seeds, share %g, %d carrying", res[3].n_seed, res[3].share, res[3].n_carrying);
    /* seeds: the 5 most popular seedable books, most popular first; never in the list */
    for (int t = 0; t < 2; t++) {
        int32_t want[5];
        CHECK(most_popular(seedable[t], 5, want) == 5, "fixture: taste %d has 5 seedable books", t);
        CHECK(res[t].n_seed == 5 && memcmp(res[t].seed, want, sizeof want) == 0, "taste %d: wrong seeds", t);
        for (int p = 0; p < res[t].n_top; p++)
            for (int q = 0; q < 5; q++) CHECK(res[t].top[p] != want[q], "taste %d: a seed book was recommended", t);
    }
    /* taste 1: a book that carries the taste but may not seed it is never a seed, even when more popular */
    int32_t carrying_top[5];
    most_popular(carries[1], 5, carrying_top);
    CHECK(memcmp(res[1].seed, carrying_top, sizeof carrying_top) != 0, "fixture: carrying and seedable tops differ");
    for (int q = 0; q < res[1].n_seed; q++)
        CHECK(seedable[1][res[1].seed[q]], "taste 1: seed %d is not seedable", (int)res[1].seed[q]);

    /* the opposite scorer finds none; popularity finds the share among the most popular non-seed books */
    o.invert = 1;
    CHECK(bookrec_personas(N, pop, tb, 2, score_oracle, &o, NULL, res, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(res[0].share == 0.0 && res[1].share == 0.0, "inverted: shares %g %g", res[0].share, res[1].share);
    bookrec_fixed_scorer fs = {pop, N};
    bookrec_persona_options po = {5, 20, 4.0f};
    CHECK(bookrec_personas(N, pop, tb, 2, bookrec_score_fixed, &fs, &po, res, &err) == BOOKREC_OK, "%s", err.msg);
    for (int t = 0; t < 2; t++) {
        unsigned char rest[N];
        for (int i = 0; i < N; i++) rest[i] = 1;
        for (int q = 0; q < res[t].n_seed; q++) rest[res[t].seed[q]] = 0;
        int32_t top[20];
        int hits = 0;
        most_popular(rest, 20, top);
        for (int p = 0; p < 20; p++) hits += carries[t][top[p]];
        CHECK(res[t].n_top == 20 && res[t].share == hits / 20.0, "popularity, taste %d: share %g, expected %g", t,
              res[t].share, hits / 20.0);
    }

    /* bad input */
    seedable[1][7] = 2;
    CHECK(bookrec_personas(N, pop, tb, 2, bookrec_score_fixed, &fs, NULL, res, &err) == BOOKREC_E_ARG &&
              strstr(err.msg, "taste 1") && strstr(err.msg, "seedable[7]"),
          "a seedable entry of 2: %s", err.msg);
    build();
    tb[1].carries = NULL;
    CHECK(bookrec_personas(N, pop, tb, 2, bookrec_score_fixed, &fs, NULL, res, &err) == BOOKREC_E_ARG &&
              strstr(err.msg, "taste 1"),
          "NULL carries: %s", err.msg);
    tb[1].carries = carries[1];
    po.k = BOOKREC_PERSONA_MAX + 1;
    CHECK(bookrec_personas(N, pop, tb, 1, bookrec_score_fixed, &fs, &po, res, &err) == BOOKREC_E_ARG, "k too big");
    CHECK(bookrec_personas(0, pop, tb, 1, bookrec_score_fixed, &fs, NULL, res, &err) == BOOKREC_E_ARG, "no books");
    pop[3] = NAN;
    CHECK(bookrec_personas(N, pop, tb, 1, bookrec_score_fixed, &fs, NULL, res, &err) == BOOKREC_E_ARG &&
              strstr(err.msg, "book 3") != NULL,
          "NaN popularity: %s", err.msg);
    if (failures) {
        fprintf(stderr, "test_personas: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_personas: all checks passed\n");
    return 0;
}
