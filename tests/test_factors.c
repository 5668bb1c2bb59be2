/*
 * test_factors.c - an iALS model from factor tables trained elsewhere (src/factors.c): the rating weights' text form
 * (five finite numbers, any sign, nothing else), the join of a table's rows with a catalogue (the catalogue's order,
 * its ids without a row, the table's rows outside it, every row in order without a catalogue), and the model built
 * from the joined rows (rows, ids, rating scale and the fold-in's settings as given).
 */
#include "bookrec.h"
#include "check.h"
#include <string.h>

static bookrec_ids *ids_of(const char *const *names, int n) {
    bookrec_ids *ids = bookrec_ids_create();
    for (int k = 0; k < n; k++) bookrec_ids_add(ids, names[k], -1);
    return ids;
}

static void test_weights(void) {
    float w[BOOKREC_WEIGHT_KNOTS];
    bookrec_error err = {0};
    CHECK(bookrec_parse_weights("0,0.5,1,-2,1e1", w, &err) == BOOKREC_OK && w[1] == 0.5f && w[3] == -2 && w[4] == 10,
          "%s", err.msg);
    CHECK(bookrec_parse_weights("1,2,3,4", w, &err) == BOOKREC_E_ARG && strstr(err.msg, "'1,2,3,4'"), "%s", err.msg);
    CHECK(bookrec_parse_weights("1,2,3,4,5,6", w, &err) == BOOKREC_E_ARG, "six numbers");
    CHECK(bookrec_parse_weights("1,2,3,4,5x", w, &err) == BOOKREC_E_ARG, "trailing text");
    CHECK(bookrec_parse_weights("1,2,inf,4,5", w, &err) == BOOKREC_E_ARG, "not finite");
    CHECK(bookrec_parse_weights("1;2;3;4;5", w, &err) == BOOKREC_E_ARG, "other separators");
}

static void test_join_and_model(void) {
    const char *const rows[4] = {"b3", "b1", "zz", "b2"}, *const cat[4] = {"b1", "b2", "b4", "b3"};
    bookrec_ids *rid = ids_of(rows, 4), *cid = ids_of(cat, 4);
    bookrec_factors_join *j = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_factors_join_create(rid, cid, &j, &err) == BOOKREC_OK && j, "%s", err.msg);
    if (j) {
        CHECK(j->n == 3 && j->rows[0] == 1 && j->rows[1] == 3 && j->rows[2] == 0, "b1, b2, b3 in the catalogue's order");
        CHECK(j->n_catalogue == 4 && j->n_missing == 1 && j->missing[0] == 2, "b4 has no row");
        CHECK(j->n_extra == 1 && j->first_extra == 2, "zz is not in the catalogue");
        CHECK(bookrec_ids_count(j->ids) == 3 && !strcmp(bookrec_ids_get(j->ids, 2), "b3"));
    }
    const char *const users[2] = {"u1", "u2"};
    bookrec_ids *uid = ids_of(users, 2);
    bookrec_factors_join *ju = NULL;
    CHECK(bookrec_factors_join_create(uid, NULL, &ju, &err) == BOOKREC_OK && ju && ju->n == 2 && ju->rows[1] == 1 &&
          ju->n_missing == 0 && ju->n_extra == 0 && ju->first_extra == -1, "no catalogue: every row");

    const float iv[8] = {1, 2, 3, 4, 5, 6, 7, 8}, uv[4] = {-1, -2, -3, -4};
    bookrec_ials_options io = {0};
    io.lambda = 0.1f;
    io.reg_exp = 1.0f;
    io.reg_observed_only = 1;
    io.unobserved = 1.0f;
    for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) io.rating_weight[k] = (float)(k + 1);
    bookrec_model *m = NULL;
    if (j && ju) {
        CHECK(bookrec_ials_from_factors(iv, j, uv, ju, 2, 0, 10, &io, &m, &err) == BOOKREC_OK && m, "%s", err.msg);
    }
    if (m) {
        const bookrec_model_config *c = bookrec_model_get_config(m);
        CHECK(c->arch == BOOKREC_ARCH_IALS && c->n_items == 3 && c->n_users == 2 && c->dim == 2 && c->min_rating == 0 &&
              c->max_rating == 10);
        int r = 0, k = 0;
        const float *t = bookrec_model_tensor(m, "item_emb", &r, &k);
        CHECK(t && r == 3 && k == 2 && t[0] == 3 && t[1] == 4 && t[2] == 7 && t[3] == 8 && t[4] == 1 && t[5] == 2,
              "item rows b1 (row 1), b2 (row 3), b3 (row 0)");
        t = bookrec_model_tensor(m, "user_emb", &r, &k);
        CHECK(t && r == 2 && t[3] == -4, "user rows as they are");
        CHECK(!strcmp(bookrec_ids_get(bookrec_model_items(m), 1), "b2") &&
              !strcmp(bookrec_ids_get(bookrec_model_users(m), 0), "u1"), "ids");
    }
    bookrec_model_free(m);
    m = NULL;
    if (j && ju)
        CHECK(bookrec_ials_from_factors(iv, j, uv, ju, 0, 1, 5, &io, &m, &err) == BOOKREC_E_ARG && !m, "dim 0 refused");
    bookrec_factors_join_free(j);
    bookrec_factors_join_free(ju);
    bookrec_factors_join_free(NULL);
    CHECK(bookrec_factors_join_create(NULL, cid, &j, &err) == BOOKREC_E_ARG && !j, "no row ids refused");
    bookrec_ids_free(rid);
    bookrec_ids_free(cid);
    bookrec_ids_free(uid);
}

int main(void) {
    test_weights();
    test_join_and_model();
    if (!failures) printf("test_factors: ok\n");
    return failures != 0;
}
