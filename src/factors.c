/*
 * factors.c - an iALS model made of factor tables trained elsewhere (what `bookrec import-als` reads from Spark's
 * ALS): the join of a table's rows with a catalogue's ids (bookrec_factors_join: the catalogue's order, its ids
 * without a row counted, rows outside it found), the model built from the joined rows with the fold-in settings
 * (bookrec_ials_from_factors), and the text form "w1,w2,w3,w4,w5" of the rating weights w(r) that import-als and
 * train's flags take (bookrec_parse_weights).
 * Not here: reading the tables' JSON (the CLI), the iALS model and its fold-in (src/ials.c).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int bookrec_parse_weights(const char *s, float w[BOOKREC_WEIGHT_KNOTS], bookrec_error *err) {
    if (!s || !w) return br_fail(err, BOOKREC_E_ARG, "weights: NULL argument");
    const char *text = s;
    char *end;
    for (int k = 0; k < BOOKREC_WEIGHT_KNOTS; k++) {
        w[k] = strtof(s, &end);
        if (end == s || !isfinite(w[k])) break;
        s = end;
        if (k == BOOKREC_WEIGHT_KNOTS - 1) {
            if (!*s) return br_ok(err);
        } else if (*s == ',') {
            s++;
        } else {
            break;
        }
    }
    return br_fail(err, BOOKREC_E_ARG, "weights: expected %d numbers separated by commas, got '%s'",
                   BOOKREC_WEIGHT_KNOTS, text);
}

void bookrec_factors_join_free(bookrec_factors_join *j) {
    if (!j) return;
    free(j->rows);
    free(j->missing);
    bookrec_ids_free(j->ids);
    free(j);
}

int bookrec_factors_join_create(const bookrec_ids *row_ids, const bookrec_ids *cat, bookrec_factors_join **out,
                                bookrec_error *err) {
    if (!out) return br_fail(err, BOOKREC_E_ARG, "join: NULL out");
    *out = NULL;
    if (!row_ids) return br_fail(err, BOOKREC_E_ARG, "join: no row ids");
    int n_rows = bookrec_ids_count(row_ids), n_cat = cat ? bookrec_ids_count(cat) : n_rows;
    bookrec_factors_join *j = calloc(1, sizeof *j);
    unsigned char *used = calloc((size_t)n_rows + 1, 1);
    if (j) {
        j->rows = malloc((size_t)(n_cat ? n_cat : 1) * sizeof *j->rows);
        j->missing = malloc((size_t)(n_cat ? n_cat : 1) * sizeof *j->missing);
        j->ids = bookrec_ids_create();
    }
    int st = BOOKREC_OK;
    if (!j || !used || !j->rows || !j->missing || !j->ids) st = br_fail(err, BOOKREC_E_NOMEM, "join: out of memory");
    else j->n_catalogue = n_cat, j->first_extra = -1;
    for (int i = 0; i < n_cat && st == BOOKREC_OK; i++) {
        const char *id = bookrec_ids_get(cat ? cat : row_ids, i);
        int k = bookrec_ids_find(row_ids, id, -1);
        if (k < 0) {
            j->missing[j->n_missing++] = i;
            continue;
        }
        used[k] = 1;
        j->rows[j->n++] = k;
        if (bookrec_ids_add(j->ids, id, (int)strlen(id)) < 0) st = br_fail(err, BOOKREC_E_NOMEM, "join: out of memory");
    }
    for (int k = 0; k < n_rows && st == BOOKREC_OK; k++)
        if (!used[k] && j->n_extra++ == 0) j->first_extra = k;
    free(used);
    if (st != BOOKREC_OK) bookrec_factors_join_free(j);
    else *out = j;
    return st;
}

/* Copies the joined rows of v (dim floats each) into the model's tensor (its own memory, written before any use). */
static int fill(bookrec_model *m, const char *tensor, const float *v, int dim, const bookrec_factors_join *j,
                bookrec_error *err) {
    int r = 0, c = 0;
    float *t = (float *)bookrec_model_tensor(m, tensor, &r, &c);
    if (!t || r != j->n || c != dim)
        return br_fail(err, BOOKREC_E_STATE, "internal: tensor %s is %d x %d, expected %d x %d", tensor, r, c, j->n, dim);
    for (int i = 0; i < j->n; i++)
        memcpy(t + (size_t)i * (size_t)dim, v + (size_t)j->rows[i] * (size_t)dim, (size_t)dim * sizeof *t);
    return BOOKREC_OK;
}

int bookrec_ials_from_factors(const float *item_v, const bookrec_factors_join *items, const float *user_v,
                              const bookrec_factors_join *users, int dim, float min_rating, float max_rating,
                              const bookrec_ials_options *fold_in, bookrec_model **out, bookrec_error *err) {
    if (!out) return br_fail(err, BOOKREC_E_ARG, "factors: NULL out");
    *out = NULL;
    if (!item_v || !items || !user_v || !users || !fold_in || dim < 1)
        return br_fail(err, BOOKREC_E_ARG, "factors: bad arguments");
    bookrec_model *m = NULL;
    int st = bookrec_topn_model_create(BOOKREC_ARCH_IALS, users->n, items->n, dim, 0, min_rating, max_rating, &m, err);
    if (st == BOOKREC_OK) st = bookrec_model_set_ids(m, users->ids, items->ids, err);
    if (st == BOOKREC_OK) st = fill(m, "item_emb", item_v, dim, items, err);
    if (st == BOOKREC_OK) st = fill(m, "user_emb", user_v, dim, users, err);
    if (st == BOOKREC_OK) st = bookrec_ials_set_options(m, fold_in, err); /* after the factors: drops caches */
    if (st != BOOKREC_OK) bookrec_model_free(m);
    else *out = m;
    return st;
}
