/*
 * modelfile_write.c - saving a model into a memory buffer in the bookrec model file format (models/README.md),
 * whole or in two parts (the item side + network that the browser loads first, and the per-user tables loaded
 * later). Little-endian throughout, a CRC-32 over everything, tensors stored as F32, F16 or per-row Q8 (embedding
 * tables only) and integer tensors as U16, deltas or I32; values that would not load back as finite are refused.
 * A model with a large users part can also be handed to a writer a megabyte at a time (bookrec_model_save_to), so that
 * the file's bytes are never all in memory beside the model.
 * Not here: loading (modelfile_read.c), file paths and atomic writes (the CLI), the model maths (model.c).
 */
#include "modelfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ writer */

#define W_CHUNK ((size_t)1 << 20) /* bytes handed to a sink at a time */

/* Where the bytes go: nowhere while measuring (p NULL), into a whole-file buffer p, or through a chunk buffer p of
   W_CHUNK bytes to sink (the CRC kept on the way). */
typedef struct wbuf {
    uint8_t *p;
    size_t n;    /* bytes written so far */
    int (*sink)(void *ctx, const void *p, size_t n);
    void *ctx;
    size_t fill; /* sink: bytes waiting in p */
    uint32_t crc;
    int failed;
} wbuf;

static void w_flush(wbuf *w) {
    if (!w->fill) return;
    w->crc = br_crc32_update(w->crc, w->p, w->fill);
    if (!w->failed && w->sink(w->ctx, w->p, w->fill) != 0) w->failed = 1;
    w->fill = 0;
}

static void w_bytes(wbuf *w, const void *src, size_t n) {
    if (w->sink) {
        const uint8_t *s = src;
        while (n) {
            size_t k = W_CHUNK - w->fill < n ? W_CHUNK - w->fill : n;
            memcpy(w->p + w->fill, s, k);
            w->fill += k, w->n += k, s += k, n -= k;
            if (w->fill == W_CHUNK) w_flush(w);
        }
        return;
    }
    if (w->p && n) memcpy(w->p + w->n, src, n);
    w->n += n;
}
static void w_u8(wbuf *w, uint8_t v) { w_bytes(w, &v, 1); }
static void w_u16(wbuf *w, uint16_t v) {
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    w_bytes(w, b, 2);
}
static void w_u32(wbuf *w, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    w_bytes(w, b, 4);
}
static void w_u64(wbuf *w, uint64_t v) { w_u32(w, (uint32_t)v); w_u32(w, (uint32_t)(v >> 32)); }
static void w_f32(wbuf *w, float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    w_u32(w, x);
}
static void w_varint(wbuf *w, uint32_t v) {
    while (v >= 0x80) { w_u8(w, (uint8_t)(v | 0x80)); v >>= 7; }
    w_u8(w, (uint8_t)v);
}

/* Returns 1 when ids are exactly the decimal numbers first, first+1, ... in order (first >= 1). */
static int ids_are_range(const bookrec_ids *ids, uint32_t *first) {
    int n = bookrec_ids_count(ids);
    if (n == 0) return 0;
    char tmp[16];
    const char *s0 = bookrec_ids_get(ids, 0);
    if (!(s0[0] >= '1' && s0[0] <= '9') || strlen(s0) > 10) return 0;
    unsigned long long f = 0;
    for (const char *p = s0; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        f = f * 10 + (unsigned)(*p - '0');
    }
    if (f + (unsigned long long)n - 1 > 0x7fffffffull) return 0;
    for (int i = 0; i < n; i++) {
        snprintf(tmp, sizeof tmp, "%llu", f + (unsigned long long)i);
        if (strcmp(tmp, bookrec_ids_get(ids, i)) != 0) return 0;
    }
    *first = (uint32_t)f;
    return 1;
}

static void w_ids(wbuf *w, const bookrec_ids *ids) {
    uint32_t first;
    if (!ids) { w_u8(w, IDS_NONE); return; }
    int n = bookrec_ids_count(ids);
    if (ids_are_range(ids, &first)) {
        w_u8(w, IDS_RANGE);
        w_u32(w, (uint32_t)n);
        w_u32(w, first);
        return;
    }
    w_u8(w, IDS_LIST);
    w_u32(w, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        const char *s = bookrec_ids_get(ids, i);
        size_t l = strlen(s);
        w_varint(w, (uint32_t)l);
        w_bytes(w, s, l);
    }
}

static void w_tensor(wbuf *w, const br_tensor *t, int dt) {
    size_t rows = (size_t)t->rows, cols = (size_t)t->cols, nb = br_mf_tensor_bytes(dt, rows, cols);
    size_t nl = strlen(t->name);
    w_u16(w, (uint16_t)nl);
    w_bytes(w, t->name, nl);
    w_u8(w, (uint8_t)dt);
    w_u8(w, 0);
    w_u32(w, (uint32_t)rows);
    w_u32(w, (uint32_t)cols);
    w_u64(w, (uint64_t)nb);
    if (!w->p) { w->n += nb; return; }
    if (dt == MF_U16) {
        for (size_t k = 0; k < rows * cols; k++) w_u16(w, (uint16_t)t->idata[k]);
    } else if (dt == MF_D16) {
        for (size_t k = 0; k < rows * cols; k++) w_u16(w, (uint16_t)(t->idata[k] - (k % cols ? t->idata[k - 1] : 0)));
    } else if (dt == MF_I32) {
        for (size_t k = 0; k < rows * cols; k++) w_u32(w, (uint32_t)t->idata[k]);
    } else if (dt == BOOKREC_F32) {
        for (size_t k = 0; k < rows * cols; k++) w_f32(w, t->data[k]);
    } else if (dt == BOOKREC_F16) {
        for (size_t k = 0; k < rows * cols; k++) w_u16(w, br_f32_to_f16(t->data[k]));
    } else { /* Q8: all row scales, then all rows of int8 (each row quantised twice rather than held) */
        int8_t q[1024];
        for (size_t r = 0; r < rows; r++) w_f32(w, br_mf_q8_row(t->data + r * cols, (int)cols, q));
        for (size_t r = 0; r < rows; r++) {
            br_mf_q8_row(t->data + r * cols, (int)cols, q);
            w_bytes(w, q, cols);
        }
    }
}

/* Refuses a tensor whose values would not load back as finite numbers when stored as dt: NaN or +-Inf
   weights, F16 values beyond its range (65504), Q8 rows whose scale overflows. Returns 0 when storable. */
static int unstorable(const br_tensor *t, int dt, bookrec_error *err) {
    int8_t q[1024];
    if (t->idata) return 0; /* integer tensors: always storable */
    for (int r = 0; r < t->rows; r++) {
        const float *x = t->data + (size_t)r * (size_t)t->cols;
        for (int j = 0; j < t->cols; j++)
            if (!isfinite(x[j]))
                return br_fail(err, BOOKREC_E_ARG,
                               "model_save: tensor \"%s\" row %d holds a non-finite value (%s at column %d); a model with "
                               "non-finite weights cannot be saved (did training diverge? try a lower learning rate)",
                               t->name, r, br_mf_nonfinite_name(x[j]), j);
        if (dt == BOOKREC_F16) {
            for (int j = 0; j < t->cols; j++)
                if (!isfinite(br_f16_to_f32(br_f32_to_f16(x[j]))))
                    return br_fail(err, BOOKREC_E_ARG,
                                   "model_save: tensor \"%s\" row %d holds %g at column %d, beyond F16's range (65504); "
                                   "save it as F32", t->name, r, (double)x[j], j);
        } else if (dt == BOOKREC_Q8 && t->cols <= 1024) {
            float s = br_mf_q8_row(x, t->cols, q);
            for (int j = 0; j < t->cols; j++)
                if (!isfinite((float)q[j] * s))
                    return br_fail(err, BOOKREC_E_ARG,
                                   "model_save: tensor \"%s\" row %d holds %g at column %d, too large for Q8; save it as F32",
                                   t->name, r, (double)x[j], j);
        }
    }
    return 0;
}

/* Writes the whole file into w (measuring when w->p is NULL). */
static void write_file(wbuf *w, bookrec_model *m, int parts, int dt, const uint64_t idh[3]) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    br_tensor t[MF_MAX_TENSORS];
    int nt = br_model_tensors(m, t, (int)MF_MAX_TENSORS), nsel = 0;
    for (int k = 0; k < nt; k++) nsel += (t[k].part & parts) != 0;
    int v2 = br_is_topn(c);
    w_bytes(w, MF_MAGIC, 8);
    w_u32(w, v2 ? MF_VERSION_TOPN : MF_VERSION);
    w_u32(w, v2 ? MF_HEADER_BYTES_V2 : MF_HEADER_BYTES);
    w_u32(w, (uint32_t)c->arch);
    w_u32(w, (uint32_t)c->n_users);
    w_u32(w, (uint32_t)c->n_items);
    w_u32(w, (uint32_t)c->dim);
    w_u32(w, (uint32_t)c->hidden);
    w_u32(w, (uint32_t)c->implicit);
    w_f32(w, c->init_scale);
    w_f32(w, c->global_mean);
    w_f32(w, c->min_rating);
    w_f32(w, c->max_rating);
    w_u64(w, c->seed);
    w_u32(w, (uint32_t)parts);
    w_u32(w, (uint32_t)dt);
    w_u32(w, (uint32_t)nsel);
    w_u32(w, 0);
    w_u64(w, idh[0]);
    w_u64(w, idh[1]);
    w_u64(w, idh[2]);
    if (v2) w_u64(w, (uint64_t)c->n_entries);
    if (parts & BOOKREC_PART_ITEMS) w_ids(w, bookrec_model_items(m));
    if (parts & BOOKREC_PART_USERS) w_ids(w, bookrec_model_users(m));
    for (int k = 0; k < nt; k++)
        if (t[k].part & parts) w_tensor(w, &t[k], t[k].idata ? br_mf_int_dtype(&t[k]) : br_mf_stored_dtype(t[k].name, dt));
}

/* Checks a save of cm with opt and settles its parts, embedding dtype and identities. */
static int save_setup(const bookrec_model *cm, const bookrec_save_options *opt, int *parts_out, int *dt_out,
                      uint64_t idh[3], bookrec_error *err) {
    bookrec_model *m = (bookrec_model *)cm; /* br_model_tensors takes a non-const model; nothing is changed */
    int parts = opt && opt->parts ? opt->parts : (BOOKREC_PART_ITEMS | BOOKREC_PART_USERS);
    int dt = opt ? (int)opt->embeddings : BOOKREC_F32;
    if (parts & ~(BOOKREC_PART_ITEMS | BOOKREC_PART_USERS))
        return br_fail(err, BOOKREC_E_ARG, "model_save: parts %d is not a combination of 1 (items) and 2 (users)", parts);
    if (dt != BOOKREC_F32 && dt != BOOKREC_F16 && dt != BOOKREC_Q8)
        return br_fail(err, BOOKREC_E_ARG, "model_save: unknown embedding dtype %d (expected 0 F32, 1 F16, 2 Q8)", dt);
    if ((parts & BOOKREC_PART_USERS) && !bookrec_model_has_users(m))
        return br_fail(err, BOOKREC_E_STATE, "model_save: the model's users part is not loaded, it cannot be saved");
    br_tensor t[MF_MAX_TENSORS];
    int nt = br_model_tensors(m, t, (int)MF_MAX_TENSORS);
    if (nt > (int)MF_MAX_TENSORS) return br_fail(err, BOOKREC_E_ARG, "model_save: the model has %d tensors", nt);
    for (int k = 0; k < nt; k++)
        if (dt == BOOKREC_Q8 && br_mf_stored_dtype(t[k].name, dt) == BOOKREC_Q8 && t[k].cols > 1024)
            return br_fail(err, BOOKREC_E_ARG, "model_save: Q8 supports rows of at most 1024 values");
    for (int k = 0; k < nt; k++)
        if ((t[k].part & parts) && unstorable(&t[k], br_mf_stored_dtype(t[k].name, dt), err)) return BOOKREC_E_ARG;
    idh[0] = br_mf_identity(m, BOOKREC_F32);
    idh[1] = br_mf_identity(m, BOOKREC_F16);
    idh[2] = br_mf_identity(m, BOOKREC_Q8);
    *parts_out = parts;
    *dt_out = dt;
    return BOOKREC_OK;
}

int bookrec_model_save(const bookrec_model *cm, const bookrec_save_options *opt,
                       uint8_t **out, size_t *out_len, bookrec_error *err) {
    if (!cm || !out || !out_len) return br_fail(err, BOOKREC_E_ARG, "model_save: NULL argument");
    *out = NULL;
    *out_len = 0;
    int parts, dt;
    uint64_t idh[3];
    int rc = save_setup(cm, opt, &parts, &dt, idh, err);
    if (rc) return rc;
    bookrec_model *m = (bookrec_model *)cm;
    wbuf w = {NULL, 0, NULL, NULL, 0, 0, 0};
    write_file(&w, m, parts, dt, idh);
    size_t total = w.n + 4;
    uint8_t *buf = malloc(total);
    if (!buf) return br_fail(err, BOOKREC_E_NOMEM, "model_save: out of memory for %zu bytes", total);
    w.p = buf;
    w.n = 0;
    write_file(&w, m, parts, dt, idh);
    uint32_t crc = br_crc32(buf, w.n);
    w_u32(&w, crc);
    *out = buf;
    *out_len = w.n;
    return br_ok(err);
}

int bookrec_model_save_to(const bookrec_model *cm, const bookrec_save_options *opt,
                          int (*write)(void *ctx, const void *p, size_t n), void *ctx, size_t *out_len,
                          bookrec_error *err) {
    if (!cm || !write) return br_fail(err, BOOKREC_E_ARG, "model_save: NULL argument");
    if (out_len) *out_len = 0;
    int parts, dt;
    uint64_t idh[3];
    int rc = save_setup(cm, opt, &parts, &dt, idh, err);
    if (rc) return rc;
    wbuf w = {malloc(W_CHUNK), 0, write, ctx, 0, 0, 0};
    if (!w.p) return br_fail(err, BOOKREC_E_NOMEM, "model_save: out of memory");
    write_file(&w, (bookrec_model *)cm, parts, dt, idh);
    w_flush(&w);
    uint8_t crc[4] = {(uint8_t)w.crc, (uint8_t)(w.crc >> 8), (uint8_t)(w.crc >> 16), (uint8_t)(w.crc >> 24)};
    if (!w.failed && write(ctx, crc, 4) != 0) w.failed = 1;
    free(w.p);
    if (w.failed) return br_fail(err, BOOKREC_E_STATE, "model_save: the writer stopped after %zu bytes", w.n);
    if (out_len) *out_len = w.n + 4;
    return br_ok(err);
}

void bookrec_free(void *p) { free(p); }

