/*
 * export.c - the encodings of `bookrec export`'s files into memory buffers: map.bin (the site's book map, 16-bit
 * positions from bookrec_model_layout2d), the Embedding Projector's vecs.tsv and meta.tsv, Spark ALS's factor tables
 * as JSON lines (what `bookrec import-als` reads back), and what quantising costs a top-N model measured on its own
 * readers (how much of their top lists the re-loaded export keeps).
 * Not here: the model file format (src/modelfile*.c), books.json and manifest.json (JSON documents the CLI builds
 * with its JSON library), writing the files (the CLI, atomically).
 */
#include "goodreads_text.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ map.bin */

int bookrec_map_encode(bookrec_model *m, uint8_t **out, size_t *len, bookrec_error *err) {
    if (!m || !out || !len) return br_fail(err, BOOKREC_E_ARG, "map: NULL argument");
    *out = NULL;
    *len = 0;
    int n_items = bookrec_model_get_config(m)->n_items;
    float *xy = malloc(sizeof(float) * 2 * (size_t)(n_items > 0 ? n_items : 1));
    if (!xy) return br_fail(err, BOOKREC_E_NOMEM, "map: out of memory");
    int st = bookrec_model_layout2d(m, xy, err);
    if (st != BOOKREC_OK) {
        free(xy);
        return st;
    }
    float lo[2] = {4, 4}, hi[2] = {-4, -4};
    for (size_t k = 0; k < 2 * (size_t)n_items; k++) {
        float v = xy[k] < -4 ? -4 : xy[k] > 4 ? 4 : xy[k];
        xy[k] = v;
        if (v < lo[k & 1]) lo[k & 1] = v;
        if (v > hi[k & 1]) hi[k & 1] = v;
    }
    size_t n = 32 + 4 * (size_t)n_items;
    uint8_t *mb = calloc(1, n);
    if (!mb) {
        free(xy);
        return br_fail(err, BOOKREC_E_NOMEM, "map: out of memory");
    }
    uint32_t head[4] = {0x504d4b42u /* "BKMP" */, 1, (uint32_t)n_items, 0};
    float range[4] = {lo[0], hi[0], lo[1], hi[1]};
    memcpy(mb, head, 16); /* the formats are little-endian, as every target of bookrec is */
    memcpy(mb + 16, range, 16);
    for (size_t k = 0; k < 2 * (size_t)n_items; k++) {
        float span = hi[k & 1] - lo[k & 1];
        double q = span > 0 ? (xy[k] - lo[k & 1]) / span * 65535.0 + 0.5 : 0;
        uint16_t u = (uint16_t)(q < 0 ? 0 : q > 65535 ? 65535 : q);
        memcpy(mb + 32 + 2 * k, &u, 2);
    }
    free(xy);
    *out = mb;
    *len = n;
    return BOOKREC_OK;
}

/* ------------------------------------------------------------------ text */

/* Shortest %g text that reads back as the same float (like Python's repr of a float32). */
static int short_float(char *buf, size_t cap, float x) {
    int n = 0;
    for (int prec = 6; prec <= 9; prec++) {
        n = snprintf(buf, cap, "%.*g", prec, (double)x);
        if (strtof(buf, NULL) == x) break;
    }
    return n;
}

static void put_float(sbuf *b, float x) {
    char num[32];
    int w = short_float(num, sizeof num, x);
    br_gr_sb_put(b, num, (size_t)w);
}

/* s as a JSON string, escaped as the CLI's JSON library escapes it (", \, \b \f \n \r \t, other bytes below 32 as
   \u00XX, everything else as it is). */
static void put_json_string(sbuf *b, const char *s) {
    br_gr_sb_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[8];
        const char *named = *p == '"' ? "\\\"" : *p == '\\' ? "\\\\" : *p == '\b' ? "\\b" : *p == '\f' ? "\\f"
                            : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : *p == '\t' ? "\\t" : NULL;
        if (named) br_gr_sb_put(b, named, 2);
        else if (*p < 32) br_gr_sb_put(b, e, (size_t)snprintf(e, sizeof e, "\\u%04x", *p));
        else br_gr_sb_put(b, (const char *)p, 1);
    }
    br_gr_sb_put(b, "\"", 1);
}

/* Hands b over as *out (never NULL) and *len, or frees it and fails when it ran out of memory. */
static int take_text(sbuf *b, char **out, size_t *len, bookrec_error *err) {
    if (!b->oom && !b->p) b->p = calloc(1, 1);
    if (b->oom || !b->p) {
        free(b->p);
        return br_fail(err, BOOKREC_E_NOMEM, "export: out of memory");
    }
    *out = b->p;
    *len = b->n;
    return BOOKREC_OK;
}

int bookrec_als_json(const bookrec_ids *ids, const float *v, int rows, int cols, char **out, size_t *len,
                     bookrec_error *err) {
    if (!out || !len || rows < 0 || cols < 0 || (rows && (!ids || !v)))
        return br_fail(err, BOOKREC_E_ARG, "als json: bad arguments");
    *out = NULL;
    *len = 0;
    sbuf b = {0};
    char num[64];
    for (int i = 0; i < rows; i++) {
        const char *id = bookrec_ids_get(ids, i);
        char *end = NULL;
        long long n = id && *id && strlen(id) < 16 ? strtoll(id, &end, 10) : 0;
        int w = end && !*end ? snprintf(num, sizeof num, "%lld", n) : 0;
        br_gr_sb_put(&b, "{\"id\":", 6);
        if (w && !strcmp(num, id)) br_gr_sb_put(&b, num, (size_t)w); /* an integer id is a number, as Spark's */
        else put_json_string(&b, id ? id : "");
        br_gr_sb_put(&b, ",\"features\":[", 13);
        for (int k = 0; k < cols; k++) {
            if (k) br_gr_sb_put(&b, ",", 1);
            put_float(&b, v[(size_t)i * (size_t)cols + (size_t)k]);
        }
        br_gr_sb_put(&b, "]}\n", 3);
    }
    return take_text(&b, out, len, err);
}

int bookrec_projector_tsv(const float *emb, int rows, int cols, const bookrec_items *books, const bookrec_ids *items,
                          char **vecs, size_t *vecs_len, char **meta, size_t *meta_len, bookrec_error *err) {
    if (!vecs || !vecs_len || !meta || !meta_len || rows < 0 || cols < 0 || (rows && !emb))
        return br_fail(err, BOOKREC_E_ARG, "projector: bad arguments");
    *vecs = *meta = NULL;
    *vecs_len = *meta_len = 0;
    sbuf v = {0}, t = {0};
    for (int i = 0; i < rows; i++) {
        for (int k = 0; k < cols; k++) {
            if (k) br_gr_sb_put(&v, "\t", 1);
            put_float(&v, emb[(size_t)i * (size_t)cols + (size_t)k]);
        }
        br_gr_sb_put(&v, "\n", 1);
        const char *id = items ? bookrec_ids_get(items, i) : NULL;
        const bookrec_item *b = bookrec_items_find(books, id);
        const char *title = b && b->title && *b->title ? b->title : (id ? id : "");
        /* one title per line: tabs and line breaks inside a title would break the format */
        for (const char *c = title; *c; c++) {
            char ch = (*c == '\t' || *c == '\n' || *c == '\r') ? ' ' : *c;
            br_gr_sb_put(&t, &ch, 1);
        }
        br_gr_sb_put(&t, "\n", 1);
    }
    if (take_text(&v, vecs, vecs_len, err) != BOOKREC_OK) {
        free(t.p);
        return BOOKREC_E_NOMEM;
    }
    if (take_text(&t, meta, meta_len, err) != BOOKREC_OK) {
        free(*vecs);
        *vecs = NULL;
        *vecs_len = 0;
        return BOOKREC_E_NOMEM;
    }
    return BOOKREC_OK;
}

/* ------------------------------------------------------------------ what quantising costs a top-N model */

int bookrec_topn_agreement(bookrec_model *a, bookrec_model *b, int max_readers, int k, bookrec_list_agreement *out,
                           bookrec_error *err) {
    if (!a || !b || !out || k < 1) return br_fail(err, BOOKREC_E_ARG, "agreement: bad arguments");
    memset(out, 0, sizeof *out);
    int nu = bookrec_model_get_config(a)->n_users, ni = bookrec_model_get_config(a)->n_items;
    if (bookrec_model_get_config(b)->n_items != ni || bookrec_model_user_state_size(b) != bookrec_model_user_state_size(a))
        return br_fail(err, BOOKREC_E_ARG, "agreement: the two models differ in shape");
    int S = bookrec_model_user_state_size(a), n = nu < max_readers ? nu : max_readers, st = BOOKREC_OK;
    float *state = malloc(sizeof(float) * (size_t)(S > 0 ? S : 1)), *sa = malloc(sizeof(float) * (size_t)(ni + 1)),
          *sb = malloc(sizeof(float) * (size_t)(ni + 1));
    int32_t *ta = malloc(sizeof(int32_t) * (size_t)k), *tb = malloc(sizeof(int32_t) * (size_t)k);
    if (!state || !sa || !sb || !ta || !tb) st = br_fail(err, BOOKREC_E_NOMEM, "agreement: out of memory");
    for (int u = 0; u < n && st == BOOKREC_OK; u++) {
        if ((st = bookrec_model_user_state(a, u, state, err)) != BOOKREC_OK ||
            (st = bookrec_model_score_all(a, state, sa, err)) != BOOKREC_OK ||
            (st = bookrec_model_user_state(b, u, state, err)) != BOOKREC_OK ||
            (st = bookrec_model_score_all(b, state, sb, err)) != BOOKREC_OK)
            break;
        for (int j = 0; j < ni; j++) out->worst = fmax(out->worst, fabs(sa[j] - sb[j]));
        int ka = bookrec_topk(sa, ni, NULL, 0, k, ta, NULL), kb = bookrec_topk(sb, ni, NULL, 0, k, tb, NULL);
        if (ka < 0 || kb < 0) { st = br_fail(err, BOOKREC_E_NOMEM, "agreement: out of memory"); break; }
        for (int x = 0; x < ka; x++)
            for (int y = 0; y < kb; y++) out->same += ta[x] == tb[y];
        out->total += ka;
        out->readers = u + 1;
    }
    free(state); free(sa); free(sb); free(ta); free(tb);
    return st;
}
