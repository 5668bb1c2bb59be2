/*
 * test_personas.c - the persona suite (src/personas.c) on a generated catalogue whose shares are known: a scorer
 * that returns exactly the taste's books gives share 1, its opposite 0, popularity gives the share among the most
 * popular books outside the seeds (computed here independently), the base rate is the tag's share of the catalogue,
 * seeds are the best-known tagged books, a tag on few or no books is handled, and bad tag lists are refused.
 * No model is trained: the scorers are small callbacks.
 */
#include "bookrec.h"
#include "check.h"
#include <math.h>
#include <string.h>

#define N 200

/* tag 1 on every 5th book, tag 2 on every 3rd, tag 7 on books 10, 20, 30 only, tag 99 (a shelf like to-read) on all */
static int32_t off[N + 1], tags[N * 4];
static float pop[N];

static void build(void) {
    int m = 0;
    for (int i = 0; i < N; i++) {
        off[i] = m;
        if (i % 5 == 0) tags[m++] = 1;
        if (i % 3 == 0) tags[m++] = 2;
        if (i == 10 || i == 20 || i == 30) tags[m++] = 7;
        tags[m++] = 99;
        uint32_t h = (uint32_t)i * 2654435761u;
        h ^= h >> 15;
        pop[i] = (float)(h % 100000) + (float)i * 1e-3f; /* distinct */
    }
    off[N] = m;
}

static int carries(int i, int32_t t) {
    for (int j = off[i]; j < off[i + 1]; j++)
        if (tags[j] == t) return 1;
    return 0;
}

/* The tag every seed carries apart from 99 (the fixture makes it unique). */
static int32_t seed_tag(const bookrec_reader *rd) {
    const int32_t cand[3] = {7, 1, 2};
    for (int c = 0; c < 3; c++) {
        int all = 1;
        for (int j = 0; j < rd->n; j++) all &= carries(rd->items[j], cand[c]);
        if (all) return cand[c];
    }
    return -1;
}

typedef struct oracle { int invert, calls; } oracle;

static int score_oracle(void *ctx, const bookrec_reader *rd, float *scores, int n_items, bookrec_error *err) {
    oracle *o = ctx;
    (void)err;
    o->calls++;
    int32_t t = seed_tag(rd);
    for (int i = 0; i < n_items; i++) scores[i] = (float)(carries(i, t) != o->invert) + pop[i] * 1e-9f;
    return BOOKREC_OK;
}

int main(void) {
    build();
    bookrec_book_tags bt = {N, off, tags};
    bookrec_error err;
    int32_t tastes[4] = {1, 2, 7, 42};
    bookrec_persona_result res[4];
    oracle o = {0, 0};
    CHECK(bookrec_personas(&bt, pop, tastes, 4, score_oracle, &o, NULL, res, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(o.calls == 3, "scorer called %d times (the tag on no book needs no call)", o.calls);
    CHECK(res[0].share == 1.0 && res[0].hits == 10 && res[0].n_top == 10, "tag 1: share %g", res[0].share);
    CHECK(res[1].share == 1.0, "tag 2: share %g", res[1].share);
    CHECK(res[0].n_tagged == 40 && res[0].base == 40.0 / N, "tag 1: base %g of %d", res[0].base, res[0].n_tagged);
    CHECK(res[1].n_tagged == 67 && fabs(res[1].base - 67.0 / N) < 1e-12, "tag 2: base %g", res[1].base);
    CHECK(res[2].n_seed == 3 && res[2].n_top == 10 && res[2].hits == 0 && res[2].share == 0.0,
          "tag 7 (3 books, all seeds): %d seeds, share %g", res[2].n_seed, res[2].share);
    CHECK(res[3].n_seed == 0 && res[3].n_top == 0 && isnan(res[3].share) && res[3].n_tagged == 0,
          "a tag on no book: %d seeds, share %g", res[3].n_seed, res[3].share);
    /* seeds: the 5 most popular books carrying tag 1, most popular first; never in the list */
    int32_t want[5];
    int nw = 0;
    for (int p = 0; p < 5; p++) {
        int best = -1;
        for (int i = 0; i < N; i++) {
            if (!carries(i, 1)) continue;
            int used = 0;
            for (int q = 0; q < nw; q++) used |= want[q] == i;
            if (!used && (best < 0 || pop[i] > pop[best])) best = i;
        }
        want[nw++] = best;
    }
    CHECK(res[0].n_seed == 5 && memcmp(res[0].seed, want, sizeof want) == 0, "tag 1: wrong seeds");
    for (int p = 0; p < res[0].n_top; p++)
        for (int q = 0; q < 5; q++) CHECK(res[0].top[p] != want[q], "a seed book was recommended");

    /* the opposite scorer finds none; popularity finds the share among the most popular non-seed books */
    o.invert = 1;
    CHECK(bookrec_personas(&bt, pop, tastes, 2, score_oracle, &o, NULL, res, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(res[0].share == 0.0 && res[1].share == 0.0, "inverted: shares %g %g", res[0].share, res[1].share);
    bookrec_fixed_scorer fs = {pop, N};
    bookrec_persona_options po = {5, 20, 4.0f};
    CHECK(bookrec_personas(&bt, pop, tastes, 2, bookrec_score_fixed, &fs, &po, res, &err) == BOOKREC_OK, "%s", err.msg);
    for (int t = 0; t < 2; t++) {
        int hits = 0, n = 0;
        unsigned char used[N] = {0};
        for (int q = 0; q < res[t].n_seed; q++) used[res[t].seed[q]] = 1;
        while (n < 20) { /* the next most popular book outside the seeds */
            int best = -1;
            for (int i = 0; i < N; i++)
                if (!used[i] && (best < 0 || pop[i] > pop[best])) best = i;
            used[best] = 1;
            hits += carries(best, tastes[t]);
            n++;
        }
        CHECK(res[t].n_top == 20 && res[t].share == hits / 20.0, "popularity, tag %d: share %g, expected %g",
              (int)tastes[t], res[t].share, hits / 20.0);
        CHECK(fabs(res[t].share - res[t].base) < 0.25, "popularity, tag %d: share %g far from base %g", (int)tastes[t],
              res[t].share, res[t].base);
    }

    /* bad input */
    off[5] = off[4] - 1;
    CHECK(bookrec_personas(&bt, pop, tastes, 1, bookrec_score_fixed, &fs, NULL, res, &err) == BOOKREC_E_ARG &&
              strstr(err.msg, "book 4") != NULL,
          "decreasing offsets: %s", err.msg);
    build();
    po.k = BOOKREC_PERSONA_MAX + 1;
    CHECK(bookrec_personas(&bt, pop, tastes, 1, bookrec_score_fixed, &fs, &po, res, &err) == BOOKREC_E_ARG, "k too big");
    pop[3] = NAN;
    CHECK(bookrec_personas(&bt, pop, tastes, 1, bookrec_score_fixed, &fs, NULL, res, &err) == BOOKREC_E_ARG &&
              strstr(err.msg, "book 3") != NULL,
          "NaN popularity: %s", err.msg);
    if (failures) {
        fprintf(stderr, "test_personas: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_personas: all checks passed\n");
    return 0;
}
