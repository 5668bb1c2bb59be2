/*
 * test_export.c - the encodings of `bookrec export`'s files (src/export.c): map.bin's header and 16-bit grid against
 * the layout it encodes, Spark ALS's JSON lines (integer ids as numbers, other ids as escaped strings, floats in
 * their shortest exact text), the Embedding Projector's vecs.tsv and meta.tsv (titles made one line, the id for a
 * book without one), the top-N agreement of a model with a copy of itself and with a changed copy, the FNV-1a 64
 * of a file's bytes and the books table's lookup by id. Peeks at the model's book vectors through internal.h.
 */
#include "../src/internal.h"
#include "check.h"
#include <math.h>
#include <string.h>

#define NI 12

static bookrec_model *mf_model(int n_users) {
    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = BOOKREC_ARCH_MF;
    c.n_users = n_users;
    c.n_items = NI;
    c.dim = 4;
    bookrec_model *m = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_model_create(&c, &m, &err) == BOOKREC_OK, "create: %s", err.msg);
    br_rng r;
    br_rng_seed(&r, 3);
    for (int k = 0; k < NI * c.dim; k++) m->item_emb[k] = br_rng_float(&r) - 0.5f + (k % 4 == 0 ? (float)(k / 4) : 0);
    for (int k = 0; k < n_users * c.dim; k++) m->user_emb[k] = br_rng_float(&r) - 0.5f;
    return m;
}

static void test_map(void) {
    bookrec_model *m = mf_model(3);
    bookrec_error err = {0};
    float xy[2 * NI];
    CHECK(bookrec_model_layout2d(m, xy, &err) == BOOKREC_OK, "%s", err.msg);
    uint8_t *mb = NULL;
    size_t len = 0;
    CHECK(bookrec_map_encode(m, &mb, &len, &err) == BOOKREC_OK && mb, "%s", err.msg);
    CHECK(len == 32 + 4 * NI, "%zu bytes", len);
    if (mb && len == 32 + 4 * NI) {
        uint32_t head[4];
        float range[4];
        memcpy(head, mb, 16);
        memcpy(range, mb + 16, 16);
        CHECK(!memcmp(mb, "BKMP", 4) && head[1] == 1 && head[2] == NI && head[3] == 0);
        float lo[2] = {1e9f, 1e9f}, hi[2] = {-1e9f, -1e9f};
        for (int k = 0; k < 2 * NI; k++) {
            float v = xy[k] < -4 ? -4 : xy[k] > 4 ? 4 : xy[k];
            lo[k & 1] = fminf(lo[k & 1], v);
            hi[k & 1] = fmaxf(hi[k & 1], v);
        }
        CHECK(range[0] == lo[0] && range[1] == hi[0] && range[2] == lo[1] && range[3] == hi[1], "ranges");
        int near = 1;
        for (int k = 0; k < 2 * NI; k++) {
            uint16_t u;
            memcpy(&u, mb + 32 + 2 * k, 2);
            double back = range[2 * (k & 1)] + u / 65535.0 * (range[2 * (k & 1) + 1] - range[2 * (k & 1)]);
            near &= fabs(back - xy[k]) < 1e-3;
        }
        CHECK(near, "the grid decodes to the layout");
    }
    bookrec_free(mb);
    bookrec_model_free(m);

    bookrec_model_config c;
    bookrec_model_config_default(&c);
    c.arch = BOOKREC_ARCH_MF;
    c.n_users = 1;
    c.n_items = 2;
    CHECK(bookrec_model_create(&c, &m, &err) == BOOKREC_OK);
    mb = (uint8_t *)&len;
    CHECK(bookrec_map_encode(m, &mb, &len, &err) == BOOKREC_E_ARG && !mb && len == 0 && strstr(err.msg, "3 or more"),
          "two books make no map: %s", err.msg);
    bookrec_model_free(m);
}

static void test_text(void) {
    bookrec_ids *ids = bookrec_ids_create();
    const char *const names[3] = {"7", "007", "a\"b\n\x01"};
    for (int k = 0; k < 3; k++) bookrec_ids_add(ids, names[k], -1);
    const float v[6] = {1.5f, 0.1f, 1.0f / 3.0f, -2e-7f, 0, 100};
    char *out = NULL;
    size_t len = 0;
    bookrec_error err = {0};
    CHECK(bookrec_als_json(ids, v, 3, 2, &out, &len, &err) == BOOKREC_OK && out, "%s", err.msg);
    const char *want = "{\"id\":7,\"features\":[1.5,0.1]}\n{\"id\":\"007\",\"features\":[0.33333334,-2e-07]}\n"
                       "{\"id\":\"a\\\"b\\n\\u0001\",\"features\":[0,100]}\n";
    CHECK(out && !strcmp(out, want) && len == strlen(want), "got %s", out ? out : "(null)");
    bookrec_free(out);
    CHECK(bookrec_als_json(ids, v, 0, 2, &out, &len, &err) == BOOKREC_OK && out && !*out && len == 0, "no rows");
    bookrec_free(out);
    CHECK(bookrec_als_json(NULL, v, 3, 2, &out, &len, &err) == BOOKREC_E_ARG, "no ids refused");

    static const char csv[] = "book_id,title\n007,\"Tab\there\nand there\"\n7,\n";
    bookrec_items *books = NULL;
    CHECK(bookrec_items_parse(csv, strlen(csv), NULL, &books, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(bookrec_items_find(books, "007") == &books->item[0] && !bookrec_items_find(books, "8") &&
          !bookrec_items_find(NULL, "7") && !bookrec_items_find(books, NULL), "lookup by id");
    char *vecs = NULL, *meta = NULL;
    size_t vl = 0, ml = 0;
    CHECK(bookrec_projector_tsv(v, 3, 2, books, ids, &vecs, &vl, &meta, &ml, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(vecs && !strcmp(vecs, "1.5\t0.1\n0.33333334\t-2e-07\n0\t100\n") && vl == strlen(vecs), "vecs %s", vecs);
    CHECK(meta && !strcmp(meta, "7\nTab here and there\na\"b \x01\n") && ml == strlen(meta), "meta %s", meta);
    bookrec_free(vecs);
    bookrec_free(meta);
    bookrec_items_free(books);
    bookrec_ids_free(ids);

    CHECK(bookrec_fnv1a64("", 0) == 0xcbf29ce484222325ull && bookrec_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull,
          "FNV-1a 64 test vectors");
}

static void test_agreement(void) {
    bookrec_model *a = mf_model(5);
    bookrec_error err = {0};
    uint8_t *bytes = NULL;
    size_t n = 0;
    bookrec_save_options so = {0};
    CHECK(bookrec_model_save(a, &so, &bytes, &n, &err) == BOOKREC_OK, "%s", err.msg);
    bookrec_model *b = NULL;
    CHECK(bookrec_model_load(bytes, n, &b, &err) == BOOKREC_OK, "%s", err.msg);
    bookrec_free(bytes);
    bookrec_list_agreement ag;
    CHECK(bookrec_topn_agreement(a, b, 3, 4, &ag, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(ag.readers == 3 && ag.same == 12 && ag.total == 12 && ag.worst == 0, "a copy: %d %ld/%ld %g", ag.readers,
          ag.same, ag.total, ag.worst);
    for (int k = 0; k < 4; k++) b->item_emb[(NI - 1) * 4 + k] = 50.0f * a->user_emb[k]; /* book 11 first for reader 0 */
    CHECK(bookrec_topn_agreement(a, b, 100, 4, &ag, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(ag.readers == 5 && ag.total == 20 && ag.same < 20 && ag.worst > 1, "changed: %d %ld/%ld %g", ag.readers,
          ag.same, ag.total, ag.worst);
    CHECK(bookrec_topn_agreement(a, b, 3, 0, &ag, &err) == BOOKREC_E_ARG, "k 0 refused");
    bookrec_model_free(a);
    bookrec_model_free(b);
}

int main(void) {
    test_map();
    test_text();
    test_agreement();
    if (!failures) printf("test_export: ok\n");
    return failures != 0;
}
