/*
 * test_packed.c - bookrec_packed: packing round-trips (rating codes for a star scale, float bits otherwise), bad
 * triples refused and left as they were, and bookrec_train_packed giving the same model, bit for bit, as
 * bookrec_train with shuffle_in_place on the same ratings, and the same epoch figures with packed validation
 * ratings (seed, mf and ncf, one and two tasks, lazy and dense Adam). Not a test of the training's quality (test_train.c).
 */
#include "check.h"
#include "internal.h"

#include <math.h>
#include <string.h>

#define NU 300
#define NI 120

static void make(bookrec_triples *t, size_t n, int stars, uint64_t seed) {
    if (bookrec_triples_alloc(t, n)) { fprintf(stderr, "out of memory\n"); exit(1); }
    br_rng r;
    br_rng_seed(&r, seed);
    for (size_t k = 0; k < n; k++) {
        t->user[k] = (int32_t)br_rng_below(&r, NU);
        t->item[k] = (int32_t)br_rng_below(&r, NI);
        t->rating[k] = stars ? 0.5f * (float)(2 + br_rng_below(&r, 9)) : 1.0f + 4.0f * br_rng_float(&r);
    }
}

static void copy(bookrec_triples *dst, const bookrec_triples *src) {
    if (bookrec_triples_alloc(dst, src->n)) { fprintf(stderr, "out of memory\n"); exit(1); }
    memcpy(dst->user, src->user, src->n * sizeof *dst->user);
    memcpy(dst->item, src->item, src->n * sizeof *dst->item);
    memcpy(dst->rating, src->rating, src->n * sizeof *dst->rating);
}

static void round_trip(int stars) {
    bookrec_triples t, keep;
    make(&t, 5000, stars, 7);
    copy(&keep, &t);
    bookrec_packed p;
    bookrec_error err;
    CHECK(bookrec_packed_from_triples(&t, NU, NI, &p, &err) == BOOKREC_OK, "pack: %s", err.msg);
    CHECK(t.n == 0 && !t.user, "the triples were not taken");
    CHECK(p.n == keep.n && p.ubits == 9 && p.ibits == 7, "n %zu, bits %d/%d", p.n, p.ubits, p.ibits);
    CHECK(stars ? (p.cbits == 4 && p.n_values == 9 && p.width == 3) : (p.cbits == 32 && p.width == 6),
          "stars %d: cbits %d, %d values, width %d", stars, p.cbits, p.n_values, p.width);
    size_t bad = 0;
    for (size_t k = 0; k < p.n; k++) {
        int32_t u, i;
        float v;
        bookrec_packed_get(&p, k, &u, &i, &v);
        if (u != keep.user[k] || i != keep.item[k] || memcmp(&v, &keep.rating[k], sizeof v)) bad++;
    }
    CHECK(bad == 0, "stars %d: %zu records differ after packing", stars, bad);
    br_packed_swap(&p, 0, p.n - 1);
    int32_t u, i;
    float v;
    bookrec_packed_get(&p, 0, &u, &i, &v);
    CHECK(u == keep.user[p.n - 1] && i == keep.item[p.n - 1] && v == keep.rating[p.n - 1], "swap");
    bookrec_packed_get(&p, p.n - 1, &u, &i, &v);
    CHECK(u == keep.user[0] && i == keep.item[0] && v == keep.rating[0], "swap back");
    bookrec_packed_free(&p);
    bookrec_triples_free(&keep);
}

static void refusals(void) {
    bookrec_triples t;
    make(&t, 100, 1, 3);
    bookrec_packed p;
    bookrec_error err;
    t.item[50] = NI;
    CHECK(bookrec_packed_from_triples(&t, NU, NI, &p, &err) == BOOKREC_E_ARG && strstr(err.msg, "triple 50"),
          "an item out of range: %s", err.msg);
    CHECK(t.n == 100 && t.user, "a refused pack must leave the triples");
    t.item[50] = 0;
    t.rating[7] = NAN;
    CHECK(bookrec_packed_from_triples(&t, NU, NI, &p, &err) == BOOKREC_E_ARG && strstr(err.msg, "finite"),
          "a NaN rating: %s", err.msg);
    t.rating[7] = 1.0f;
    CHECK(bookrec_packed_from_triples(&t, 0x7fffffff, 0x7fffffff, &p, &err) == BOOKREC_E_ARG &&
          strstr(err.msg, "64"), "fields wider than 64 bits: %s", err.msg);
    bookrec_triples_free(&t);
}

/* bookrec_train with shuffle_in_place and bookrec_train_packed on the same ratings: the same parameters. */
static void same_model(int arch, int n_tasks, int lazy, int stars) {
    bookrec_triples tr, va, cp;
    make(&tr, 6000, stars, 11);
    make(&va, 800, stars, 12);
    copy(&cp, &tr);
    bookrec_model *ms[2] = {NULL, NULL};
    bookrec_epoch_stats hist[2][3];
    memset(hist, 0, sizeof hist);
    for (int packed = 0; packed < 2; packed++) {
        bookrec_model_config cfg;
        bookrec_model_config_default(&cfg);
        cfg.arch = (bookrec_arch)arch;
        cfg.n_users = NU; cfg.n_items = NI; cfg.dim = 8; cfg.hidden = 16;
        bookrec_error err;
        if (bookrec_model_create(&cfg, &ms[packed], &err)) { CHECK(0, "create: %s", err.msg); return; }
        bookrec_train_options o;
        bookrec_train_options_default(&o);
        o.epochs = 3; o.batch = 32; o.n_tasks = n_tasks; o.shuffle_in_place = 1; o.lazy_adam = lazy;
        o.patience = 1; o.l2_row = arch ? 0.01f : 0.0f;
        if (!packed) {
            CHECK(bookrec_train(ms[0], &cp, &va, &o, hist[0], 3, NULL, &err) == BOOKREC_OK, "train: %s", err.msg);
        } else {
            bookrec_packed p, vp;
            bookrec_triples vc;
            copy(&vc, &va);
            CHECK(bookrec_packed_from_triples(&tr, NU, NI, &p, &err) == BOOKREC_OK, "pack: %s", err.msg);
            CHECK(bookrec_packed_from_triples(&vc, NU, NI, &vp, &err) == BOOKREC_OK, "pack: %s", err.msg);
            CHECK(bookrec_train_packed(ms[1], &p, &vp, &o, hist[1], 3, NULL, &err) == BOOKREC_OK, "train: %s", err.msg);
            CHECK(bookrec_packed_to_triples(&vp, &vc, &err) == BOOKREC_OK && vc.n == va.n &&
                  !memcmp(vc.rating, va.rating, va.n * sizeof *va.rating) && !memcmp(vc.user, va.user, va.n * 4),
                  "unpacked validation ratings differ");
            bookrec_packed_free(&p);
            bookrec_triples_free(&vc);
        }
    }
    CHECK(!memcmp(ms[0]->params, ms[1]->params, ms[0]->n_params * sizeof(float)),
          "arch %d, %d tasks, lazy %d, stars %d: the packed training made another model", arch, n_tasks, lazy, stars);
    for (int e = 0; e < 3; e++)
        CHECK(hist[0][e].test_rmse == hist[1][e].test_rmse && hist[0][e].train_rmse == hist[1][e].train_rmse,
              "arch %d: epoch %d figures differ (valid RMSE %.9f vs %.9f)", arch, e + 1, hist[0][e].test_rmse,
              hist[1][e].test_rmse);
    bookrec_model_free(ms[0]);
    bookrec_model_free(ms[1]);
    bookrec_triples_free(&tr);
    bookrec_triples_free(&va);
    bookrec_triples_free(&cp);
}

int main(void) {
    round_trip(1);
    round_trip(0);
    refusals();
    for (int arch = 0; arch < 3; arch++)
        for (int tasks = 1; tasks <= 2; tasks++) {
            same_model(arch, tasks, 1, 1);
            same_model(arch, tasks, 0, arch == 1);
        }
    same_model(1, 2, 1, 0);
    printf("test_packed: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
