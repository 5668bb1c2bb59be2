/*
 * test_topn_experiment.c - unit tests of the top-N experiment (bookrec_topn_train, src/topn_experiment.c) and of
 * the compact iALS pairs (br_ials_data, src/ials.c): the experiment gives the same EASE and iALS models as the
 * public fits on a copy of the fit's ratings, holds the asked readers out, empties the dataset's triples, runs the
 * curve; the EASE-to-iALS rule; the pairs keep 4-byte book indices past 65,536 books and float confidences past 256
 * distinct values, with the same factors.
 */
#include "bookrec.h"
#include "internal.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 400 readers of three tastes over 60 books: each reads 24 books, mostly of its taste (high), a few others (low). */
static bookrec_ratings *make_ratings(void) {
    size_t cap = 400 * 40 * 16 + 64, n = 0;
    char *csv = malloc(cap);
    n += (size_t)snprintf(csv + n, cap - n, "user_id,book_id,rating\n");
    br_rng r;
    br_rng_seed(&r, 11);
    for (int u = 0; u < 400; u++) {
        unsigned char seen[60] = {0};
        for (int k = 0; k < 24;) {
            int own = br_rng_below(&r, 5) != 0, b = own ? 3 * (int)br_rng_below(&r, 20) + u % 3 : (int)br_rng_below(&r, 60);
            if (seen[b]) continue;
            seen[b] = 1, k++;
            int stars = b % 3 == u % 3 ? 4 + (int)br_rng_below(&r, 2) : 1 + (int)br_rng_below(&r, 3);
            n += (size_t)snprintf(csv + n, cap - n, "%d,%d,%d\n", u + 1, b + 1, stars);
        }
    }
    bookrec_ratings *out = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_ratings_parse(csv, n, NULL, &out, &err) == BOOKREC_OK, "parse: %s", err.msg);
    free(csv);
    return out;
}

/* Saves m whole; the caller frees. */
static uint8_t *save(const bookrec_model *m, size_t *n) {
    uint8_t *b = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_model_save(m, NULL, &b, n, &err) == BOOKREC_OK, "save: %s", err.msg);
    return b;
}

/* The same fit through the public functions on a copy of the fit's ratings. */
static bookrec_model *reference(const bookrec_ratings *r, bookrec_arch arch, int dim, const bookrec_ials_options *io,
                                const bookrec_triples *fold, const bookrec_triples *target) {
    bookrec_error err = {0};
    bookrec_newreader_options no = {0};
    no.n_readers = 50;
    no.seed = 7;
    bookrec_triples fit = {0}, f2 = {0}, t2 = {0};
    int n_users = bookrec_ids_count(r->users), n_items = bookrec_ids_count(r->items);
    CHECK(bookrec_split_new_readers(&r->all, n_users, &no, &fit, &f2, &t2, NULL, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(f2.n == fold->n && t2.n == target->n, "the same held-out readers: %zu/%zu and %zu/%zu", f2.n, fold->n, t2.n,
          target->n);
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = arch, cfg.n_users = n_users, cfg.n_items = n_items, cfg.dim = dim, cfg.hidden = 0;
    cfg.min_rating = r->min_rating, cfg.max_rating = r->max_rating;
    cfg.n_entries = arch == BOOKREC_ARCH_EASE ? (int64_t)r->all.n : 0;
    bookrec_model *m = NULL;
    CHECK(bookrec_model_create(&cfg, &m, &err) == BOOKREC_OK, "%s", err.msg);
    bookrec_model_set_ids(m, r->users, r->items, &err);
    if (arch == BOOKREC_ARCH_IALS) {
        CHECK(bookrec_ials_fit_model(m, &fit, io, &err) == BOOKREC_OK, "%s", err.msg);
    } else {
        float *B = malloc((size_t)n_items * n_items * sizeof *B);
        CHECK(bookrec_ease_dense(&fit, n_items, r->min_rating, r->max_rating, NULL, B, &err) == BOOKREC_OK, "%s",
              err.msg);
        CHECK(bookrec_ease_fit_from(m, B, &fit, &r->all, NULL, &err) == BOOKREC_OK, "%s", err.msg);
        free(B);
    }
    bookrec_triples_free(&fit), bookrec_triples_free(&f2), bookrec_triples_free(&t2);
    return m;
}

/* A writer into a growing buffer that fails after `limit` calls (0: never). */
typedef struct sink { uint8_t *p; size_t n; int calls, limit; } sink;

static int sink_write(void *ctx, const void *p, size_t n) {
    sink *s = ctx;
    if (s->limit && ++s->calls > s->limit) return -1;
    s->p = realloc(s->p, s->n + n);
    memcpy(s->p + s->n, p, n);
    s->n += n;
    return 0;
}

/* bookrec_model_save_to writes bookrec_model_save's bytes, whole and as the item part in Q8; a failing writer stops
   it. */
static void test_save_to(const bookrec_model *m) {
    bookrec_save_options q8 = {BOOKREC_PART_ITEMS, BOOKREC_Q8};
    const bookrec_save_options *opts[2] = {NULL, &q8};
    bookrec_error err = {0};
    for (int k = 0; k < 2; k++) {
        uint8_t *a = NULL;
        size_t na = 0, nb = 0;
        CHECK(bookrec_model_save(m, opts[k], &a, &na, &err) == BOOKREC_OK, "%s", err.msg);
        sink s = {NULL, 0, 0, 0};
        CHECK(bookrec_model_save_to(m, opts[k], sink_write, &s, &nb, &err) == BOOKREC_OK, "%s", err.msg);
        CHECK(nb == na && s.n == na && memcmp(a, s.p, na) == 0, "save_to: the same %zu bytes (%zu)", na, s.n);
        free(a), free(s.p);
    }
    sink s = {NULL, 0, 0, 1};
    CHECK(bookrec_model_save_to(m, NULL, sink_write, &s, NULL, &err) == BOOKREC_E_STATE, "a failing writer stops it");
    free(s.p);
}

typedef struct seen { int stages[3], ks[8]; } seen;

static void on_progress(void *ctx, bookrec_topn_stage stage, const bookrec_topn_result *res) {
    seen *s = ctx;
    if (stage == BOOKREC_TOPN_POINT && s->stages[2] < 8) s->ks[s->stages[2]] = res->point.k;
    s->stages[stage]++;
}

/* The experiment's model is byte for byte the public fit's (before calibration: both calibrated alike after). */
static void test_same_model(bookrec_arch arch) {
    bookrec_ratings *r = make_ratings(), *copy = make_ratings();
    size_t n_all = r->all.n;
    bookrec_topn_options o;
    memset(&o, 0, sizeof o);
    o.arch = arch;
    o.dim = arch == BOOKREC_ARCH_EASE ? 8 : 6;
    o.held_out = 50;
    o.ials.iters = 3;
    seen s = {{0}, {0}};
    o.progress = on_progress;
    o.progress_ctx = &s;
    bookrec_model *m = NULL;
    bookrec_topn_result res;
    bookrec_error err = {0};
    CHECK(bookrec_topn_train(r, &o, &m, &res, &err) == BOOKREC_OK, "topn train: %s", err.msg);
    CHECK(r->all.n == 0 && !r->all.user && !r->users && !r->items, "the triples and ids are taken");
    CHECK(bookrec_ids_count(bookrec_model_users(m)) == 400 && bookrec_ids_count(bookrec_model_items(m)) == 60,
          "the model has the dataset's ids");
    CHECK(res.n_held == 50 && res.arch == arch && res.dim == o.dim, "50 readers held out (%d)", res.n_held);
    CHECK(s.stages[0] == 1 && s.stages[1] == 1 && s.stages[2] == 0, "progress: fitting, fitted");
    CHECK(res.ranking.n_users > 40 && res.ranking.ndcg > 0.3, "three clean tastes rank well: NDCG %g over %d",
          res.ranking.ndcg, res.ranking.n_users);
    CHECK(res.calibrated && res.reliability, "calibrated and checked: %s", res.calibration_error);
    /* the reference from the public functions, calibrated on the same readers */
    bookrec_newreader_options no = {0};
    no.n_readers = 50;
    no.seed = 7;
    bookrec_triples fit = {0}, fold = {0}, target = {0};
    int n_users = bookrec_ids_count(copy->users);
    CHECK(bookrec_split_new_readers(&copy->all, n_users, &no, &fit, &fold, &target, NULL, &err) == BOOKREC_OK, "split");
    CHECK(res.n_fit == fit.n && fit.n + fold.n + target.n == n_all, "fitted %zu ratings, expected %zu", res.n_fit, fit.n);
    bookrec_ials_options io;
    memset(&io, 0, sizeof io);
    io.iters = 3;
    bookrec_model *ref = reference(copy, arch, o.dim, &io, &fold, &target);
    memcpy(ref->topn_meta + BR_META_CAL_A, m->topn_meta + BR_META_CAL_A, 2 * sizeof(float));
    size_t na = 0, nb = 0;
    uint8_t *a = save(m, &na), *b = save(ref, &nb);
    CHECK(na == nb && memcmp(a, b, na) == 0, "%s: the same model file as the public fit (%zu and %zu bytes)",
          bookrec_arch_name(arch), na, nb);
    free(a), free(b);
    test_save_to(m);
    bookrec_triples_free(&fit), bookrec_triples_free(&fold), bookrec_triples_free(&target);
    bookrec_model_free(ref);
    bookrec_model_free(m);
    bookrec_ratings_free(r);
    bookrec_ratings_free(copy);
}

static void test_curve_and_rules(void) {
    bookrec_ratings *r = make_ratings();
    int ks[] = {2, 8, 20};
    bookrec_topn_options o;
    memset(&o, 0, sizeof o);
    o.arch = BOOKREC_ARCH_EASE;
    o.held_out = 50;
    o.curve = ks;
    o.n_curve = 3;
    seen s = {{0}, {0}};
    o.progress = on_progress;
    o.progress_ctx = &s;
    bookrec_topn_result res;
    bookrec_error err = {0};
    CHECK(bookrec_topn_train(r, &o, NULL, &res, &err) == BOOKREC_OK, "curve: %s", err.msg);
    CHECK(s.stages[2] == 3 && s.ks[0] == 2 && s.ks[1] == 8 && s.ks[2] == 20, "one point per K, in order");
    CHECK(res.point.k == 20 && res.point.ndcg > 0.3 && res.point.items_bytes > 0, "the last point's figures");
    o.arch = BOOKREC_ARCH_IALS;
    CHECK(bookrec_topn_train(r, &o, NULL, &res, &err) == BOOKREC_E_ARG, "the curve is for EASE");
    bookrec_ratings_free(r);
    CHECK(bookrec_topn_arch_for(BOOKREC_ARCH_EASE, 30000, 0) == BOOKREC_ARCH_EASE, "EASE up to 30,000 books");
    CHECK(bookrec_topn_arch_for(BOOKREC_ARCH_EASE, 30001, 0) == BOOKREC_ARCH_IALS, "iALS past 30,000 books");
    CHECK(bookrec_topn_arch_for(BOOKREC_ARCH_EASE, 30001, 1) == BOOKREC_ARCH_EASE, "unless forced");
    CHECK(bookrec_topn_arch_for(BOOKREC_ARCH_IALS, 10, 0) == BOOKREC_ARCH_IALS, "iALS stays iALS");
}

/* Exact solves and L2 on the observed pairs only: books nobody rated solve to exactly 0 and do not move the readers,
   so a catalogue of 70,000 books (4-byte indices) gives the same factors as one of 100 (2-byte indices). */
static void test_wide_catalogue(void) {
    bookrec_triples t = {0};
    bookrec_triples_alloc(&t, 600);
    br_rng r;
    br_rng_seed(&r, 3);
    for (size_t k = 0; k < t.n; k++) {
        t.user[k] = (int32_t)(k / 12);
        t.item[k] = (int32_t)((k % 12) * 8 + br_rng_below(&r, 8));
        t.rating[k] = (float)(1 + br_rng_below(&r, 5));
    }
    bookrec_ials_options o;
    memset(&o, 0, sizeof o);
    o.dim = 4, o.iters = 3, o.cg_steps = -1, o.reg_observed_only = 1, o.lambda = 0.1f;
    br_ials_data narrow, wide;
    br_rsrc src = {&t, NULL};
    bookrec_error err = {0};
    CHECK(br_ials_data_build(&src, NULL, 50, 100, &o, &narrow, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(br_ials_data_build(&src, NULL, 50, 70000, &o, &wide, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(narrow.by_user.idx16 && !narrow.by_user.idx32 && wide.by_user.idx32 && !wide.by_user.idx16,
          "2-byte book indices up to 65,536 books, 4-byte past");
    CHECK(narrow.by_user.code && narrow.n_tab == 2 && narrow.n == wide.n,
          "2 confidences (3 stars; 4 and 5 stars) as codes");
    float *u1 = malloc(50 * 4 * sizeof *u1), *u2 = malloc(50 * 4 * sizeof *u2);
    float *i1 = malloc(100 * 4 * sizeof *i1), *i2 = malloc((size_t)70000 * 4 * sizeof *i2);
    CHECK(br_ials_run(&narrow, &o, u1, i1, &err) == BOOKREC_OK && br_ials_run(&wide, &o, u2, i2, &err) == BOOKREC_OK,
          "%s", err.msg);
    CHECK(memcmp(u1, u2, 50 * 4 * sizeof *u1) == 0 && memcmp(i1, i2, 100 * 4 * sizeof *i1) == 0,
          "the same factors with 2- and 4-byte indices");
    int zero = 1;
    for (size_t k = 100 * 4; k < (size_t)70000 * 4; k++) zero &= i2[k] == 0.0f;
    CHECK(zero, "unrated books solve to 0");
    /* more than 256 distinct confidences: floats, the same factors as bookrec_ials_fit */
    for (size_t k = 0; k < t.n; k++) t.rating[k] = 1.0f + 4.0f * (float)k / (float)t.n;
    br_ials_data fl;
    CHECK(br_ials_data_build(&src, NULL, 50, 100, &o, &fl, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(fl.by_user.conf && !fl.by_user.code && fl.by_item.conf, "float confidences past 256 values");
    CHECK(br_ials_run(&fl, &o, u1, i1, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_ials_fit(&t, 50, 100, &o, u2, i2, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(memcmp(u1, u2, 50 * 4 * sizeof *u1) == 0, "float confidences: the same factors");
    /* skipped readers leave no pairs */
    unsigned char skip[50] = {0};
    skip[0] = skip[49] = 1;
    br_ials_data sk;
    CHECK(br_ials_data_build(&src, skip, 50, 100, &o, &sk, &err) == BOOKREC_OK, "%s", err.msg);
    size_t gone = fl.by_user.off[1] + fl.by_user.off[50] - fl.by_user.off[49];
    CHECK(gone > 0 && sk.by_user.off[1] == 0 && sk.by_user.off[50] == sk.by_user.off[49] && sk.n + gone == fl.n,
          "skipped readers: no pairs (%zu of %zu)", sk.n, fl.n);
    br_ials_data_free(&narrow), br_ials_data_free(&wide), br_ials_data_free(&fl), br_ials_data_free(&sk);
    free(u1), free(u2), free(i1), free(i2);
    bookrec_triples_free(&t);
}

int main(void) {
    test_same_model(BOOKREC_ARCH_EASE);
    test_same_model(BOOKREC_ARCH_IALS);
    test_curve_and_rules();
    test_wide_catalogue();
    if (failures) fprintf(stderr, "test_topn_experiment: %d failure(s)\n", failures);
    return failures != 0;
}
