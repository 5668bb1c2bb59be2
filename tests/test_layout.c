/*
 * test_layout.c - bookrec_model_layout2d, the 2-D map of the books: for an EASE model (spectral layout of its kept
 * rows) and an mf model (principal components of its book vectors) the map is deterministic, finite, spread out
 * (unit standard deviation, many distinct points), and books of one planted taste land closer together than
 * books of different tastes. Not a test of how the site draws it (tests/browser/map.test.mjs).
 */
#include "bookrec.h"
#include "internal.h"
#include "check.h"

#include <math.h>
#include <string.h>

#define NI 40
#define NU 120

/* Readers 0..59 read books 0..19, readers 60..119 books 20..39; a few cross over. */
static bookrec_triples planted(void) {
    bookrec_triples t = {0};
    bookrec_triples_alloc(&t, NU * 10);
    size_t n = 0;
    br_rng r;
    br_rng_seed(&r, 11);
    for (int u = 0; u < NU; u++) {
        int base = u < NU / 2 ? 0 : NI / 2;
        unsigned char used[NI] = {0};
        for (int k = 0; k < 10; k++) {
            int i = (k == 9 && u % 7 == 0) ? (int)br_rng_below(&r, NI) : base + (int)br_rng_below(&r, NI / 2);
            if (used[i]) continue;
            used[i] = 1;
            t.user[n] = u; t.item[n] = i; t.rating[n] = (float)(3 + br_rng_below(&r, 3)); n++;
        }
    }
    t.n = n;
    return t;
}

/* Checks one map: finite, unit spread, distinct points, the planted tastes (books 0..19 and 20..39) closer within
   than across. */
static void check_map(const float *xy, const char *what) {
    double mx = 0, my = 0, vx = 0, vy = 0;
    int finite = 1;
    for (int i = 0; i < NI; i++) {
        finite &= isfinite(xy[2 * i]) && isfinite(xy[2 * i + 1]);
        mx += xy[2 * i]; my += xy[2 * i + 1];
    }
    CHECK(finite, "%s: non-finite coordinates", what);
    mx /= NI; my /= NI;
    for (int i = 0; i < NI; i++) { vx += (xy[2 * i] - mx) * (xy[2 * i] - mx); vy += (xy[2 * i + 1] - my) * (xy[2 * i + 1] - my); }
    CHECK(fabs(mx) < 1e-4 && fabs(my) < 1e-4, "%s: not centred (%g, %g)", what, mx, my);
    CHECK(fabs(vx / NI - 1) < 1e-3 && fabs(vy / NI - 1) < 1e-3, "%s: spread %g, %g (expected 1)", what, vx / NI, vy / NI);
    int distinct = 0;
    for (int i = 0; i < NI; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++) dup |= hypot(xy[2 * i] - xy[2 * j], xy[2 * i + 1] - xy[2 * j + 1]) < 1e-4;
        distinct += !dup;
    }
    CHECK(distinct > NI / 2, "%s: only %d distinct points of %d", what, distinct, NI);
    double within = 0, across = 0;
    int nw = 0, na = 0;
    for (int i = 0; i < NI; i++)
        for (int j = i + 1; j < NI; j++) {
            double d = hypot(xy[2 * i] - xy[2 * j], xy[2 * i + 1] - xy[2 * j + 1]);
            if ((i < NI / 2) == (j < NI / 2)) { within += d; nw++; } else { across += d; na++; }
        }
    double random = (within + across) / (nw + na); /* the mean over all pairs: a random pair */
    within /= nw; across /= na;
    printf("%s: mean distance within a taste %.3f, across %.3f, of a random pair %.3f\n", what, within, across, random);
    CHECK(within < 0.8 * random, "%s: a taste's books are not closer together than random pairs (%.3f vs %.3f)", what,
          within, random);
    CHECK(within < 0.7 * across, "%s: a taste's books are not closer together than across tastes (%.3f vs %.3f)", what,
          within, across);
}

static void test_ease(void) {
    bookrec_triples t = planted();
    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = BOOKREC_ARCH_EASE;
    c.n_users = NU; c.n_items = NI; c.dim = 6; c.n_entries = (int64_t)t.n;
    bookrec_model *m = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_model_create(&c, &m, &err) == BOOKREC_OK, "create: %s", err.msg);
    bookrec_ease_options o = {0};
    o.lambda = 5.0f;
    o.builtin_solver = 1;
    CHECK(bookrec_ease_fit(m, &t, &o, &err) == BOOKREC_OK, "fit: %s", err.msg);
    float a[2 * NI], b[2 * NI];
    CHECK(bookrec_model_layout2d(m, a, &err) == BOOKREC_OK, "layout: %s", err.msg);
    CHECK(bookrec_model_layout2d(m, b, &err) == BOOKREC_OK, "layout: %s", err.msg);
    CHECK(!memcmp(a, b, sizeof a), "EASE layout is not deterministic");
    check_map(a, "ease");
    CHECK(bookrec_model_layout2d(NULL, a, &err) == BOOKREC_E_ARG, "NULL model accepted");
    CHECK(bookrec_model_layout2d(m, NULL, &err) == BOOKREC_E_ARG, "NULL output accepted");
    bookrec_model_free(m);
    bookrec_triples_free(&t);
}

static void test_mf(void) {
    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = BOOKREC_ARCH_MF;
    c.n_users = 4; c.n_items = NI; c.dim = 8;
    bookrec_model *m = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_model_create(&c, &m, &err) == BOOKREC_OK, "create: %s", err.msg);
    br_rng r;
    br_rng_seed(&r, 5);
    for (int i = 0; i < NI; i++) /* taste A along axes 0-1, taste B along 2-3, noise on all */
        for (int k = 0; k < c.dim; k++) {
            float base = (i < NI / 2) ? (k < 2 ? 1.0f : 0) : (k == 2 || k == 3 ? 1.0f : 0);
            m->item_emb[i * c.dim + k] = base + 0.3f * (br_rng_float(&r) - 0.5f);
        }
    float a[2 * NI], b[2 * NI];
    CHECK(bookrec_model_layout2d(m, a, &err) == BOOKREC_OK, "layout: %s", err.msg);
    CHECK(bookrec_model_layout2d(m, b, &err) == BOOKREC_OK, "layout: %s", err.msg);
    CHECK(!memcmp(a, b, sizeof a), "PCA layout is not deterministic");
    check_map(a, "mf");
    bookrec_model_free(m);
}

int main(void) {
    test_ease();
    test_mf();
    return failures != 0;
}
