/*
 * test_modelfile.c - the model file format: save/load round trips for every arch and dtype (F32 exact,
 * F16 and Q8 within their precision), the items/users parts and load_users, the half-float conversion,
 * the size of the browser's items file, and every corruption case: truncation at every byte length,
 * flipped bytes, wrong magic, wrong version, inconsistent shapes, unknown/duplicate/missing tensors,
 * absurd dimensions, trailing bytes, and a users file from another model. A trained tag model (n_tags > 0,
 * its tag sums folded into the books when training ends) round-trips to the same predictions, scores and
 * similar books, and bookrec_model_set_tags refuses bad tags. Non-finite weights (NaN, +-Inf in F32, F16,
 * Q8 values or scales) are refused by the loader, load_users and the writer.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *arch_name(int a) { return a == 0 ? "seed" : a == 1 ? "mf" : "ncf"; }

/* A small model with random parameters (biases too) and id tables: numeric items, string users. */
static bookrec_model *make_model(int arch, int nu, int ni, int dim, int hidden, uint64_t seed) {
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = (bookrec_arch)arch;
    cfg.n_users = nu;
    cfg.n_items = ni;
    cfg.dim = dim;
    cfg.hidden = hidden;
    cfg.seed = seed;
    cfg.global_mean = 3.75f;
    bookrec_model *m = NULL;
    bookrec_error err;
    if (bookrec_model_create(&cfg, &m, &err)) {
        fprintf(stderr, "create %s: %s\n", arch_name(arch), err.msg);
        return NULL;
    }
    br_tensor t[32];
    int nt = br_model_tensors(m, t, 32);
    br_rng rng;
    br_rng_seed(&rng, seed * 7 + 3);
    for (int k = 0; k < nt; k++)
        for (size_t j = 0; j < (size_t)t[k].rows * (size_t)t[k].cols; j++)
            t[k].data[j] = (br_rng_float(&rng) - 0.5f) * (k + 1) * 0.7f;
    bookrec_ids *u = br_ids_create(), *it = br_ids_create();
    char b[32];
    for (int i = 0; i < nu; i++) br_ids_intern(u, b, snprintf(b, sizeof b, "u-%x", 0x7f3a + i * 13));
    for (int i = 0; i < ni; i++) br_ids_intern(it, b, snprintf(b, sizeof b, "%d", i + 1));
    bookrec_model_set_ids(m, u, it, &err);
    br_ids_free(u);
    br_ids_free(it);
    return m;
}

/* Compares the tensors of `parts`; tol_kind 0 exact, 1 F16, 2 Q8 (embedding tables; the biases are F16 unless F32;
   the dense layers exact). */
static int compare(bookrec_model *a, bookrec_model *b, int parts, int dt, const char *what) {
    br_tensor ta[32], tb[32];
    int na = br_model_tensors(a, ta, 32), nb = br_model_tensors(b, tb, 32), bad = 0;
    CHECK(na == nb, "%s: %d vs %d tensors", what, na, nb);
    for (int k = 0; k < na && k < nb; k++) {
        if (!(ta[k].part & parts)) continue;
        CHECK(strcmp(ta[k].name, tb[k].name) == 0 && ta[k].rows == tb[k].rows && ta[k].cols == tb[k].cols,
              "%s: tensor %d differs in name/shape", what, k);
        size_t len = strlen(ta[k].name);
        int emb = len >= 4 && strcmp(ta[k].name + len - 4, "_emb") == 0;
        int bias = len >= 5 && strcmp(ta[k].name + len - 5, "_bias") == 0;
        int mode = emb ? dt : (bias && dt != BOOKREC_F32) ? BOOKREC_F16 : BOOKREC_F32;
        for (int r = 0; r < ta[k].rows; r++) {
            const float *x = ta[k].data + (size_t)r * ta[k].cols, *y = tb[k].data + (size_t)r * tb[k].cols;
            float mx = 0;
            for (int j = 0; j < ta[k].cols; j++) mx = fmaxf(mx, fabsf(x[j]));
            for (int j = 0; j < ta[k].cols; j++) {
                float d = fabsf(x[j] - y[j]);
                float tol = mode == BOOKREC_F32 ? 0.0f : mode == BOOKREC_F16 ? fabsf(x[j]) * (1.0f / 2048) + 6e-8f
                                                                              : mx / 127.0f * 0.5f + 1e-6f;
                if (mode == BOOKREC_F32 ? memcmp(&x[j], &y[j], 4) != 0 : d > tol) {
                    if (bad++ < 3)
                        fprintf(stderr, "%s: %s[%d][%d] %.9g vs %.9g\n", what, ta[k].name, r, j, x[j], y[j]);
                }
            }
        }
    }
    CHECK(bad == 0, "%s: %d values out of tolerance", what, bad);
    return bad == 0;
}

static int same_ids(const bookrec_ids *a, const bookrec_ids *b) {
    if (bookrec_ids_count(a) != bookrec_ids_count(b)) return 0;
    for (int i = 0; i < bookrec_ids_count(a); i++)
        if (strcmp(bookrec_ids_get(a, i), bookrec_ids_get(b, i)) != 0) return 0;
    return 1;
}

static uint8_t *save(bookrec_model *m, int parts, int dt, size_t *len) {
    bookrec_save_options o = {parts, (bookrec_dtype)dt};
    uint8_t *buf = NULL;
    bookrec_error err;
    int rc = bookrec_model_save(m, &o, &buf, len, &err);
    CHECK(rc == 0, "save parts %d dtype %d: %s", parts, dt, err.msg);
    return buf;
}

/* Loads and expects failure with a message containing `want` (NULL: any message). */
static void expect_fail(const uint8_t *buf, size_t len, const char *want, const char *what) {
    bookrec_model *m = (bookrec_model *)1;
    bookrec_error err;
    int rc = bookrec_model_load(buf, len, &m, &err);
    CHECK(rc == BOOKREC_E_FORMAT, "%s: rc %d (%s)", what, rc, rc ? err.msg : "loaded");
    CHECK(m == NULL, "%s: out not NULL on failure", what);
    CHECK(err.code == rc, "%s: err.code %d", what, err.code);
    if (want) CHECK(strstr(err.msg, want) != NULL, "%s: message \"%s\" lacks \"%s\"", what, err.msg, want);
    if (rc == 0) bookrec_model_free(m);
}

static void fix_crc(uint8_t *buf, size_t len) {
    uint32_t c = br_crc32(buf, len - 4);
    buf[len - 4] = (uint8_t)c; buf[len - 3] = (uint8_t)(c >> 8);
    buf[len - 2] = (uint8_t)(c >> 16); buf[len - 1] = (uint8_t)(c >> 24);
}

/* Offset of the tensor record named `name` (its name-length field), or 0. */
static size_t find_record(const uint8_t *buf, size_t len, const char *name) {
    size_t nl = strlen(name);
    for (size_t p = 0; p + 2 + nl <= len; p++)
        if (buf[p] == nl && buf[p + 1] == 0 && memcmp(buf + p + 2, name, nl) == 0) return p;
    return 0;
}

static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }

static void test_half(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = br_f16_to_f32((uint16_t)h);
        uint16_t back = br_f32_to_f16(f);
        if (isnan(f) ? !((back & 0x7c00) == 0x7c00 && (back & 0x3ff)) : back != h) bad++;
    }
    CHECK(bad == 0, "%d half values do not round-trip", bad);
    CHECK(br_f32_to_f16(1.0f) == 0x3c00, "1.0 -> %04x", br_f32_to_f16(1.0f));
    CHECK(br_f32_to_f16(-2.0f) == 0xc000, "-2 -> %04x", br_f32_to_f16(-2.0f));
    CHECK(br_f32_to_f16(0.1f) == 0x2e66, "0.1 -> %04x", br_f32_to_f16(0.1f));
    CHECK(br_f32_to_f16(65504.0f) == 0x7bff, "65504 -> %04x", br_f32_to_f16(65504.0f));
    CHECK(br_f32_to_f16(65520.0f) == 0x7c00, "65520 -> %04x", br_f32_to_f16(65520.0f));
    CHECK(br_f32_to_f16(ldexpf(1, -24)) == 0x0001, "2^-24 -> %04x", br_f32_to_f16(ldexpf(1, -24)));
    CHECK(br_f32_to_f16(ldexpf(1, -26)) == 0x0000, "2^-26 -> %04x", br_f32_to_f16(ldexpf(1, -26)));
    CHECK(br_f32_to_f16(1.0f + ldexpf(1, -11)) == 0x3c00, "tie to even -> %04x", br_f32_to_f16(1.0f + ldexpf(1, -11)));
    CHECK(br_f32_to_f16(1.0f + 3 * ldexpf(1, -11)) == 0x3c02, "tie to even up -> %04x",
          br_f32_to_f16(1.0f + 3 * ldexpf(1, -11)));
    CHECK(br_crc32((const uint8_t *)"123456789", 9) == 0xCBF43926u, "CRC-32 check value 0x%08x",
          br_crc32((const uint8_t *)"123456789", 9));
}

static void test_round_trips(void) {
    for (int arch = 0; arch <= 2; arch++) {
        bookrec_model *m = make_model(arch, 9, 7, 5, 6, 11 + arch);
        CHECK(m != NULL, "create %s", arch_name(arch));
        if (!m) continue;
        for (int dt = 0; dt <= 2; dt++) {
            char what[64];
            snprintf(what, sizeof what, "%s/%s", arch_name(arch), dt == 0 ? "f32" : dt == 1 ? "f16" : "q8");
            size_t len;
            uint8_t *buf = save(m, 0, dt, &len);
            if (!buf) continue;
            bookrec_model *l = NULL;
            bookrec_error err;
            int rc = bookrec_model_load(buf, len, &l, &err);
            CHECK(rc == 0, "%s: load: %s", what, err.msg);
            if (rc == 0) {
                const bookrec_model_config *a = bookrec_model_get_config(m), *b = bookrec_model_get_config(l);
                CHECK(a->arch == b->arch && a->n_users == b->n_users && a->n_items == b->n_items && a->dim == b->dim &&
                          a->hidden == b->hidden && a->global_mean == b->global_mean && a->seed == b->seed &&
                          a->min_rating == b->min_rating && a->max_rating == b->max_rating &&
                          a->init_scale == b->init_scale,
                      "%s: config differs", what);
                CHECK(bookrec_model_has_users(l), "%s: users not loaded", what);
                CHECK(same_ids(bookrec_model_items(m), bookrec_model_items(l)), "%s: item ids differ", what);
                CHECK(same_ids(bookrec_model_users(m), bookrec_model_users(l)), "%s: user ids differ", what);
                compare(m, l, 3, dt, what);
                if (dt == BOOKREC_F32) {
                    for (int u = 0; u < 9; u++)
                        for (int i = 0; i < 7; i++) {
                            float p = bookrec_model_predict(m, u, i), q = bookrec_model_predict(l, u, i);
                            CHECK(p == q, "%s: predict(%d,%d) %g vs %g", what, u, i, p, q);
                        }
                    /* saving the loaded model gives the same bytes */
                    size_t len2;
                    uint8_t *buf2 = save(l, 0, dt, &len2);
                    CHECK(buf2 && len2 == len && memcmp(buf, buf2, len) == 0, "%s: re-save differs", what);
                    bookrec_free(buf2);
                }
                bookrec_model_free(l);
            }
            bookrec_free(buf);
        }
        bookrec_model_free(m);
    }
}

static void test_parts(void) {
    for (int arch = 0; arch <= 2; arch++) {
        bookrec_model *m = make_model(arch, 12, 8, 4, 5, 21 + arch);
        if (!m) continue;
        for (int dt = 0; dt <= 2; dt++) {
            char what[64];
            snprintf(what, sizeof what, "parts %s dtype %d", arch_name(arch), dt);
            size_t li, lu;
            uint8_t *bi = save(m, BOOKREC_PART_ITEMS, dt, &li), *bu = save(m, BOOKREC_PART_USERS, BOOKREC_F32, &lu);
            bookrec_model *l = NULL;
            bookrec_error err;
            int rc = bookrec_model_load(bi, li, &l, &err);
            CHECK(rc == 0, "%s: load items: %s", what, err.msg);
            if (rc == 0) {
                CHECK(!bookrec_model_has_users(l), "%s: users claimed after items-only load", what);
                CHECK(bookrec_model_users(l) == NULL, "%s: user ids present after items-only load", what);
                CHECK(isnan(bookrec_model_predict(l, 0, 0)), "%s: predict without users should be NaN", what);
                compare(m, l, BOOKREC_PART_ITEMS, dt, what);
                rc = bookrec_model_load_users(l, bu, lu, &err);
                CHECK(rc == 0, "%s: load_users: %s", what, err.msg);
                CHECK(bookrec_model_has_users(l), "%s: users not marked loaded", what);
                CHECK(same_ids(bookrec_model_users(m), bookrec_model_users(l)), "%s: user ids differ", what);
                compare(m, l, BOOKREC_PART_USERS, BOOKREC_F32, what);
                /* loading the items file as a users file fails */
                rc = bookrec_model_load_users(l, bi, li, &err);
                CHECK(rc == BOOKREC_E_FORMAT && strstr(err.msg, "no users part"), "%s: items as users: %d %s", what, rc,
                      err.msg);
                bookrec_model_free(l);
            }
            /* a users-only file is not a model on its own */
            l = NULL;
            rc = bookrec_model_load(bu, lu, &l, &err);
            CHECK(rc == BOOKREC_E_FORMAT && l == NULL && strstr(err.msg, "only the users part"), "%s: users alone: %s",
                  what, err.msg);
            bookrec_free(bi);
            bookrec_free(bu);
        }
        /* a users file from another model is refused: other config, and same config with other values */
        bookrec_model *other_cfg = make_model(arch, 13, 8, 4, 5, 21 + arch);
        bookrec_model *other_val = make_model(arch, 12, 8, 4, 5, 21 + arch);
        br_tensor t[16];
        br_model_tensors(other_val, t, 16);
        t[0].data[3] += 0.25f; /* item_emb differs */
        size_t li, l1, l2;
        uint8_t *bi = save(m, BOOKREC_PART_ITEMS, BOOKREC_Q8, &li);
        uint8_t *b1 = save(other_cfg, BOOKREC_PART_USERS, BOOKREC_F32, &l1);
        uint8_t *b2 = save(other_val, BOOKREC_PART_USERS, BOOKREC_F32, &l2);
        bookrec_model *l = NULL;
        bookrec_error err;
        if (bookrec_model_load(bi, li, &l, &err) == 0) {
            int rc = bookrec_model_load_users(l, b1, l1, &err);
            CHECK(rc == BOOKREC_E_FORMAT && strstr(err.msg, "different model") && strstr(err.msg, "n_users 13, expected 12"),
                  "%s: other config: %d %s", arch_name(arch), rc, err.msg);
            rc = bookrec_model_load_users(l, b2, l2, &err);
            CHECK(rc == BOOKREC_E_FORMAT && strstr(err.msg, "different model") && strstr(err.msg, "identity"),
                  "%s: other values: %d %s", arch_name(arch), rc, err.msg);
            CHECK(!bookrec_model_has_users(l), "%s: users marked loaded after refusals", arch_name(arch));
            bookrec_model_free(l);
        } else CHECK(0, "load q8 items: %s", err.msg);
        bookrec_free(bi); bookrec_free(b1); bookrec_free(b2);
        bookrec_model_free(other_cfg);
        bookrec_model_free(other_val);
        bookrec_model_free(m);
    }
}

static void test_corruption(void) {
    bookrec_model *m = make_model(BOOKREC_ARCH_NCF, 5, 4, 3, 4, 5);
    if (!m) { CHECK(0, "create"); return; }
    size_t len;
    uint8_t *buf = save(m, 0, BOOKREC_F32, &len);
    if (!buf) return;
    uint8_t *c = malloc(len + 16);

    /* truncation at every length */
    int trunc_ok = 0;
    for (size_t n = 0; n < len; n++) {
        memcpy(c, buf, n);
        bookrec_model *l = NULL;
        bookrec_error err;
        int rc = bookrec_model_load(c, n, &l, &err);
        if (rc == BOOKREC_E_FORMAT && l == NULL && (strstr(err.msg, "truncated") || strstr(err.msg, "empty"))) trunc_ok++;
        else fprintf(stderr, "truncated to %zu: rc %d %s\n", n, rc, err.msg);
        if (rc == 0) bookrec_model_free(l);
    }
    CHECK(trunc_ok == (int)len, "%d of %zu truncations gave a truncation error", trunc_ok, len);
    {
        bookrec_error err;
        bookrec_model *l = NULL;
        bookrec_model_load(buf, len - 9, &l, &err);
        CHECK(strstr(err.msg, "model file truncated: ") && strstr(err.msg, "only"), "message: %s", err.msg);
        size_t at = find_record(buf, len, "item_emb");
        bookrec_model_load(buf, at + 2 + 8 + 18 + 5, &l, &err);
        char want[160];
        snprintf(want, sizeof want, "tensor \"item_emb\" needs 48 bytes at offset %zu, only 5 remain", at + 28);
        CHECK(strstr(err.msg, want) != NULL, "message \"%s\" lacks \"%s\"", err.msg, want);
    }

    /* every single flipped byte fails; flips in tensor data are checksum errors */
    size_t data_from = find_record(buf, len, "item_emb") + 28;
    int flips_ok = 0, crc_msgs = 0, crc_expected = 0;
    for (size_t p = 0; p < len; p++) {
        memcpy(c, buf, len);
        c[p] ^= 0x5a;
        bookrec_model *l = NULL;
        bookrec_error err;
        int rc = bookrec_model_load(c, len, &l, &err);
        if (rc != 0 && l == NULL) flips_ok++;
        else bookrec_model_free(l);
        if (p >= data_from && p < data_from + 48) {
            crc_expected++;
            crc_msgs += strstr(err.msg, "checksum mismatch") != NULL;
        }
    }
    CHECK(flips_ok == (int)len, "%d of %zu flipped files were refused", flips_ok, len);
    CHECK(crc_msgs == crc_expected && crc_expected == 48, "%d of %d data flips gave a checksum error", crc_msgs, crc_expected);

    /* magic, version */
    memcpy(c, buf, len);
    c[0] = 'X';
    expect_fail(c, len, "not a bookrec model file", "magic");
    memcpy(c, buf, len);
    put32(c + 8, 7);
    expect_fail(c, len, "model format version 7 is not supported (this build reads versions 1 and 2)", "version");
    expect_fail(NULL, 0, "empty", "empty");
    expect_fail((const uint8_t *)"BOOKREC", 7, "truncated", "7 bytes");

    /* trailing bytes */
    memcpy(c, buf, len);
    memset(c + len, 0, 8);
    expect_fail(c, len + 8, "expected the file to end", "trailing bytes");

    /* header dim changed, checksum fixed: the tensors no longer fit the config */
    memcpy(c, buf, len);
    put32(c + 16 + 12, 2);
    fix_crc(c, len);
    expect_fail(c, len, "has shape 4x3, expected 4x2", "shape");

    /* absurd dimensions are refused before anything is allocated */
    memcpy(c, buf, len);
    put32(c + 16 + 4, 0x7fffffff);
    fix_crc(c, len);
    expect_fail(c, len, "expected 1..", "absurd users");
    memcpy(c, buf, len);
    put32(c + 16 + 12, 1u << 20);
    fix_crc(c, len);
    expect_fail(c, len, "dim", "absurd dim");

    /* tensor byte length that disagrees with the shape */
    memcpy(c, buf, len);
    size_t at = find_record(c, len, "item_emb");
    put32(c + at + 2 + 8 + 10, 49);
    fix_crc(c, len);
    expect_fail(c, len, "says 49 data bytes, expected 48", "nbytes");

    /* unknown and duplicate tensor names */
    memcpy(c, buf, len);
    at = find_record(c, len, "item_bias");
    c[at + 2 + 8] = 'z';
    fix_crc(c, len);
    expect_fail(c, len, "unknown tensor \"item_biaz\"", "unknown name");
    memcpy(c, buf, len);
    at = find_record(c, len, "user_bias");
    memcpy(c + at + 2, "item_bias", 9);
    fix_crc(c, len);
    expect_fail(c, len, "\"item_bias\" appears twice", "duplicate name");

    /* a missing tensor: drop the last record (user_bias, 5 floats) and lower the count */
    {
        size_t rec = 2 + 9 + 18 + 5 * 4, n2 = len - rec;
        memcpy(c, buf, len - 4 - rec);
        uint32_t nt = (uint32_t)c[16 + 56] | (uint32_t)c[16 + 57] << 8;
        put32(c + 16 + 56, nt - 1);
        fix_crc(c, n2);
        expect_fail(c, n2, "missing tensor \"user_bias\"", "missing tensor");
    }
    free(c);
    bookrec_free(buf);
    bookrec_model_free(m);
}

/* The browser's first download: the tutorial-sized seed model's item side, F16 and Q8. */
static void test_items_file_size(void) {
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.n_users = 53424;
    cfg.n_items = 10000;
    bookrec_model *m = NULL;
    bookrec_error err;
    if (bookrec_model_create(&cfg, &m, &err)) { CHECK(0, "create: %s", err.msg); return; }
    bookrec_ids *it = br_ids_create();
    char b[16];
    for (int i = 0; i < 10000; i++) br_ids_intern(it, b, snprintf(b, sizeof b, "%d", i + 1));
    bookrec_model_set_ids(m, NULL, it, &err);
    br_ids_free(it);
    for (int dt = 1; dt <= 2; dt++) {
        size_t len;
        uint8_t *buf = save(m, BOOKREC_PART_ITEMS, dt, &len);
        CHECK(len <= 400 * 1024, "items file with dtype %d is %zu bytes", dt, len);
        printf("tutorial seed model, items part, %s: %zu bytes\n", dt == 1 ? "F16" : "Q8", len);
        bookrec_free(buf);
    }
    bookrec_model_free(m);
}

/* Trains a small mf/ncf model with tag features, then checks that what training validated is what the trained
   model predicts (the tag sums are folded in), and that the saved model (no tag tensors) loads to the same
   predictions, rankings and similar books. */
static void test_tag_model(int arch) {
    const int nu = 30, ni = 12, nt = 5, dim = 4;
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = (bookrec_arch)arch;
    cfg.n_users = nu;
    cfg.n_items = ni;
    cfg.dim = dim;
    cfg.hidden = 6;
    cfg.n_tags = nt;
    cfg.seed = 5;
    bookrec_model *m = NULL;
    bookrec_error err;
    CHECK(bookrec_model_create(&cfg, &m, &err) == 0, "create tag model: %s", err.msg);
    if (!m) return;
    int32_t off[13], tags[40];
    float w[40];
    int n = 0;
    off[0] = 0;
    for (int i = 0; i < ni; i++) { /* item i: tags i % 5 and (i + 2) % 5 for even i */
        tags[n] = i % nt; w[n++] = i % 2 ? 1.0f : 0.6f;
        if (i % 2 == 0) { tags[n] = (i + 2) % nt; w[n++] = 0.4f; }
        off[i + 1] = n;
    }
    /* bad tags are refused */
    int32_t bad_tags[40];
    memcpy(bad_tags, tags, sizeof bad_tags);
    bad_tags[3] = nt;
    CHECK(bookrec_model_set_tags(m, off, bad_tags, w, &err) == BOOKREC_E_ARG && strstr(err.msg, "out of range"),
          "tag index %d accepted (%s)", nt, err.msg);
    float bad_w[40];
    memcpy(bad_w, w, sizeof bad_w);
    bad_w[1] = NAN;
    CHECK(bookrec_model_set_tags(m, off, tags, bad_w, &err) == BOOKREC_E_ARG, "NaN tag weight accepted");
    /* data: ratings from a rule on the tags, so the tag rows get real gradients */
    bookrec_triples tr = {0}, va = {0};
    bookrec_triples_alloc(&tr, 240);
    bookrec_triples_alloc(&va, 60);
    br_rng r;
    br_rng_seed(&r, 11);
    for (size_t k = 0; k < 300; k++) {
        bookrec_triples *t = k < 240 ? &tr : &va;
        size_t j = k < 240 ? k : k - 240;
        int u = (int)br_rng_below(&r, (uint32_t)nu), i = (int)br_rng_below(&r, (uint32_t)ni);
        t->user[j] = u;
        t->item[j] = i;
        t->rating[j] = (float)(1 + ((u + i % nt) % 5));
    }
    bookrec_train_options to;
    bookrec_train_options_default(&to);
    to.epochs = 3;
    to.batch = 8;
    to.lr = 0.01f;
    to.l2 = 0.05f;
    bookrec_epoch_stats hist[3];
    int nh = 0;
    CHECK(bookrec_train(m, &tr, &va, &to, hist, 3, &nh, &err) == BOOKREC_E_STATE && strstr(err.msg, "tags"),
          "training a tag model without tags: %s", err.msg);
    CHECK(bookrec_model_set_tags(m, off, tags, w, &err) == 0, "set_tags: %s", err.msg);
    CHECK(bookrec_train(m, &tr, &va, &to, hist, 3, &nh, &err) == 0 && nh == 3, "train tag model: %s", err.msg);
    double mse = 0, mae = 0;
    CHECK(bookrec_evaluate(m, &va, &mse, &mae, &err) == 0, "evaluate: %s", err.msg);
    CHECK(fabs(mse - hist[2].test_mse) < 1e-6, "%s+tags: validation mse %.9g in training, %.9g after (tag sums not "
          "folded in?)", arch_name(arch), hist[2].test_mse, mse);
    float tnorm = 0;
    for (int k = 0; k < nt * dim; k++) tnorm += fabsf(m->tag_emb[k]);
    CHECK(tnorm > 0.0f, "%s+tags: the tag rows did not move", arch_name(arch));
    /* save (F32) and load: same predictions, scores, similar books; the loaded model has no tag rows */
    size_t len = 0;
    uint8_t *buf = save(m, (BOOKREC_PART_ITEMS | BOOKREC_PART_USERS), BOOKREC_F32, &len);
    bookrec_model *l = NULL;
    CHECK(buf && bookrec_model_load(buf, len, &l, &err) == 0, "load tag model: %s", err.msg);
    if (l) {
        CHECK(bookrec_model_get_config(l)->n_tags == 0, "loaded n_tags %d", bookrec_model_get_config(l)->n_tags);
        compare(m, l, (BOOKREC_PART_ITEMS | BOOKREC_PART_USERS), BOOKREC_F32, "tag model round trip");
        int diff = 0;
        for (int u = 0; u < nu; u++)
            for (int i = 0; i < ni; i++) diff += bookrec_model_predict(m, u, i) != bookrec_model_predict(l, u, i);
        CHECK(diff == 0, "%s+tags: %d predictions differ after the round trip", arch_name(arch), diff);
        float st[8], s1[12], s2[12];
        int32_t a1[3], a2[3];
        bookrec_model_user_state(m, 3, st, &err);
        CHECK(bookrec_model_score_all(m, st, s1, &err) == 0 && bookrec_model_score_all(l, st, s2, &err) == 0 &&
              memcmp(s1, s2, sizeof s1) == 0, "%s+tags: score_all differs after the round trip", arch_name(arch));
        CHECK(bookrec_model_similar(m, 2, NULL, 0, 3, a1, NULL, &err) == 3 &&
              bookrec_model_similar(l, 2, NULL, 0, 3, a2, NULL, &err) == 3 && memcmp(a1, a2, sizeof a1) == 0,
              "%s+tags: similar books differ after the round trip", arch_name(arch));
        bookrec_model_free(l);
    }
    bookrec_free(buf);
    /* a seed model cannot have tags, a model without n_tags refuses them */
    bookrec_model_config c2 = cfg;
    c2.arch = BOOKREC_ARCH_SEED;
    bookrec_model *s = NULL;
    CHECK(bookrec_model_create(&c2, &s, &err) == BOOKREC_E_ARG && s == NULL, "seed model with tags created");
    c2.arch = BOOKREC_ARCH_MF;
    c2.n_tags = 0;
    CHECK(bookrec_model_create(&c2, &s, &err) == 0, "create: %s", err.msg);
    CHECK(bookrec_model_set_tags(s, off, tags, w, &err) == BOOKREC_E_STATE, "set_tags on a model without n_tags");
    bookrec_model_free(s);
    bookrec_triples_free(&tr);
    bookrec_triples_free(&va);
    bookrec_model_free(m);
}

/* Non-finite weights: the loader refuses NaN and +-Inf in every storage (F32, F16, Q8 values and Q8 row
   scales) naming the tensor and row, load_users refuses them without touching the model, and the writer
   refuses to write what could not be loaded back (non-finite weights, F16 overflow). */
static void test_nonfinite(void) {
    const int dim = 3;
    bookrec_model *m = make_model(BOOKREC_ARCH_MF, 5, 20, dim, 0, 9);
    if (!m) { CHECK(0, "create"); return; }
    static const uint32_t f32_bad[3] = {0x7fc00000u, 0x7f800000u, 0xff800000u}; /* NaN, +Inf, -Inf */
    static const uint16_t f16_bad[3] = {0x7e00u, 0x7c00u, 0xfc00u};
    for (int dt = BOOKREC_F32; dt <= BOOKREC_Q8; dt++) {
        size_t len;
        uint8_t *buf = save(m, 0, dt, &len);
        if (!buf) continue;
        size_t at = find_record(buf, len, "item_emb");
        CHECK(at > 0, "dtype %d: no item_emb record", dt);
        uint8_t *data = buf + at + 2 + 8 + 18;
        uint8_t *c = malloc(len);
        for (int v = 0; v < 3; v++) {
            char what[64];
            memcpy(c, buf, len);
            if (dt == BOOKREC_F32) put32(data - buf + c + 4 * (12 * dim + 1), f32_bad[v]);
            else if (dt == BOOKREC_F16) {
                uint8_t *p = data - buf + c + 2 * (12 * dim + 1);
                p[0] = (uint8_t)f16_bad[v];
                p[1] = (uint8_t)(f16_bad[v] >> 8);
            } else put32(data - buf + c + 4 * 12, f32_bad[v]); /* row 12's scale */
            fix_crc(c, len);
            snprintf(what, sizeof what, "dtype %d value %d", dt, v);
            expect_fail(c, len, "tensor \"item_emb\" row 12 holds a non-finite value", what);
        }
        if (dt == BOOKREC_Q8) { /* a finite scale whose products overflow */
            memcpy(c, buf, len);
            put32(data - buf + c + 4 * 12, 0x7f7fffffu); /* FLT_MAX */
            fix_crc(c, len);
            expect_fail(c, len, "tensor \"item_emb\" row 12 holds a non-finite value", "Q8 scale FLT_MAX");
        }
        free(c);
        bookrec_free(buf);
    }

    /* load_users: a NaN user vector is refused and the model keeps its users part unloaded */
    {
        size_t li, lu;
        uint8_t *items = save(m, BOOKREC_PART_ITEMS, BOOKREC_F32, &li);
        uint8_t *users = save(m, BOOKREC_PART_USERS, BOOKREC_F32, &lu);
        bookrec_model *l = NULL;
        bookrec_error err;
        if (items && users && bookrec_model_load(items, li, &l, &err) == 0) {
            size_t at = find_record(users, lu, "user_emb");
            put32(users + at + 2 + 8 + 18 + 4 * (2 * dim), f32_bad[0]);
            fix_crc(users, lu);
            int rc = bookrec_model_load_users(l, users, lu, &err);
            CHECK(rc == BOOKREC_E_FORMAT, "load_users with a NaN: rc %d", rc);
            CHECK(strstr(err.msg, "tensor \"user_emb\" row 2 holds a non-finite value (NaN at column 0)") != NULL,
                  "load_users message: %s", err.msg);
            CHECK(!bookrec_model_has_users(l), "load_users failed but the model says it has users");
        } else {
            CHECK(0, "items part did not load");
        }
        bookrec_model_free(l);
        bookrec_free(items);
        bookrec_free(users);
    }

    /* tensors by position name the same views as by name, and end with a NULL name */
    const char *tname = "";
    int trows = 0, tcols = 0, tpart = 0, seen = 0;
    for (int t = 0; t < 64; t++) {
        const float *d = bookrec_model_tensor_at(m, t, &tname, &trows, &tcols, &tpart);
        if (!tname) break;
        int r2, c2;
        const float *byname = bookrec_model_tensor(m, tname, &r2, &c2);
        CHECK(d == byname && trows == r2 && tcols == c2, "tensor %d (%s) differs by name", t, tname);
        CHECK(tpart == BOOKREC_PART_ITEMS || tpart == BOOKREC_PART_USERS, "tensor %s part %d", tname, tpart);
        seen += !strcmp(tname, "item_emb");
    }
    CHECK(seen == 1 && !tname, "tensor listing: item_emb seen %d times", seen);
    CHECK(bookrec_model_tensor_at(m, -1, &tname, NULL, NULL, NULL) == NULL && !tname, "tensor -1");

    /* the writer refuses what the loader would refuse */
    int rows, cols;
    float *emb = (float *)bookrec_model_tensor(m, "item_emb", &rows, &cols);
    float *ub = (float *)bookrec_model_tensor(m, "user_bias", &rows, &cols);
    if (emb && ub) {
        static const float bad[3] = {NAN, INFINITY, -INFINITY};
        for (int v = 0; v < 3; v++)
            for (int dt = BOOKREC_F32; dt <= BOOKREC_Q8; dt++) {
                float keep = emb[12 * dim + 1];
                emb[12 * dim + 1] = bad[v];
                bookrec_save_options o = {0, (bookrec_dtype)dt};
                uint8_t *out = (uint8_t *)1;
                size_t n = 1;
                bookrec_error err;
                int rc = bookrec_model_save(m, &o, &out, &n, &err);
                CHECK(rc == BOOKREC_E_ARG && out == NULL && n == 0, "save with a non-finite weight: rc %d", rc);
                CHECK(strstr(err.msg, "tensor \"item_emb\" row 12 holds a non-finite value") != NULL, "save message: %s",
                      err.msg);
                /* the items part alone does not hold user_bias, so a bad user bias does not stop it */
                emb[12 * dim + 1] = keep;
                ub[3] = bad[v];
                bookrec_save_options oi = {BOOKREC_PART_ITEMS, (bookrec_dtype)dt};
                rc = bookrec_model_save(m, &oi, &out, &n, &err);
                CHECK(rc == 0, "items part with a NaN user bias: %s", err.msg);
                bookrec_free(out);
                rc = bookrec_model_save(m, &o, &out, &n, &err);
                CHECK(rc == BOOKREC_E_ARG && strstr(err.msg, "tensor \"user_bias\" row 3 holds a non-finite value"),
                      "save with a non-finite user bias: rc %d %s", rc, err.msg);
                ub[3] = 0.25f;
            }
        /* F16 holds at most 65504: a larger weight fits F32 and Q8 but not F16 */
        emb[5] = 1e5f;
        size_t n;
        uint8_t *out = NULL;
        bookrec_error err;
        bookrec_save_options o16 = {0, BOOKREC_F16}, o8 = {0, BOOKREC_Q8};
        CHECK(bookrec_model_save(m, &o16, &out, &n, &err) == BOOKREC_E_ARG && strstr(err.msg, "F16"),
              "F16 overflow saved: %s", err.msg);
        CHECK(bookrec_model_save(m, &o8, &out, &n, &err) == 0, "Q8 with 1e5: %s", err.msg);
        bookrec_free(out);
    } else {
        CHECK(0, "no item_emb / user_bias tensor");
    }
    bookrec_model_free(m);
}

int main(void) {
    test_half();
    test_tag_model(BOOKREC_ARCH_MF);
    test_tag_model(BOOKREC_ARCH_NCF);
    test_round_trips();
    test_parts();
    test_corruption();
    test_items_file_size();
    test_nonfinite();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_modelfile: all checks passed\n");
    return 0;
}
