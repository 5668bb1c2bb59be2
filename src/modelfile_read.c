/*
 * modelfile_read.c - loading a model from a memory buffer in the bookrec model file format (models/README.md),
 * whole or the users part onto a loaded item side. The loader trusts nothing: every count and size is checked
 * against the bytes that remain, the checksum is verified before any model is allocated, and dimensions are
 * capped. Files written by earlier versions of the format still load.
 * Not here: saving (modelfile_write.c), file paths (the CLI), the model maths (model.c).
 */
#include "modelfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static float rdf32(const uint8_t *p) {
    uint32_t x = rd32(p);
    float f;
    memcpy(&f, &x, 4);
    return f;
}


/* ------------------------------------------------------------------ reader */

typedef struct rbuf {
    const uint8_t *p;
    size_t len, pos;
    bookrec_error *err;
} rbuf;

/* Checks that n bytes remain for `what`; fills err when they do not. */
static int need(rbuf *r, size_t n, const char *what) {
    if (r->len - r->pos >= n) return 0;
    br_fail(r->err, BOOKREC_E_FORMAT, "model file truncated: %s needs %zu bytes at offset %zu, only %zu remain", what,
            n, r->pos, r->len - r->pos);
    return -1;
}

typedef struct mf_tensor {
    char name[MF_MAX_NAME + 1];
    int dtype;
    uint32_t rows, cols;
    const uint8_t *data;
    size_t nbytes;
    int used;
} mf_tensor;

typedef struct mf_ids {
    int kind;
    uint32_t count, first;
    const uint8_t *list; /* start of the length-prefixed strings */
    size_t list_bytes;
} mf_ids;

typedef struct mf_file {
    bookrec_model_config cfg;
    uint32_t parts, dtype, ntensors;
    uint64_t idh[3];
    mf_ids items, users;
    mf_tensor t[MF_MAX_TENSORS];
} mf_file;

static int read_varint(rbuf *r, uint32_t *v, const char *what) {
    uint32_t x = 0;
    for (int k = 0; k < 3; k++) {
        if (need(r, 1, what)) return -1;
        uint8_t b = r->p[r->pos++];
        x |= (uint32_t)(b & 0x7f) << (7 * k);
        if (!(b & 0x80)) { *v = x; return 0; }
    }
    return br_fail(r->err, BOOKREC_E_FORMAT, "model file corrupt: %s at offset %zu is longer than 3 bytes", what,
                   r->pos - 3);
}

static int parse_ids(rbuf *r, mf_ids *ids, uint32_t expect, const char *which) {
    char what[64];
    snprintf(what, sizeof what, "the %s id table", which);
    if (need(r, 1, what)) return -1;
    ids->kind = r->p[r->pos++];
    if (ids->kind == IDS_NONE) return 0;
    if (ids->kind != IDS_LIST && ids->kind != IDS_RANGE)
        return br_fail(r->err, BOOKREC_E_FORMAT, "model file corrupt: %s has kind %d at offset %zu, expected 0, 1 or 2",
                       what, ids->kind, r->pos - 1);
    if (need(r, 4, what)) return -1;
    ids->count = rd32(r->p + r->pos);
    r->pos += 4;
    if (ids->count != expect)
        return br_fail(r->err, BOOKREC_E_FORMAT, "model file corrupt: %s holds %u ids, expected %u from the header",
                       what, ids->count, expect);
    if (ids->kind == IDS_RANGE) {
        if (need(r, 4, what)) return -1;
        ids->first = rd32(r->p + r->pos);
        r->pos += 4;
        if (ids->first < 1 || (uint64_t)ids->first + ids->count - 1 > 0x7fffffffu)
            return br_fail(r->err, BOOKREC_E_FORMAT, "model file corrupt: %s starts at %u, expected 1..2147483647",
                           what, ids->first);
        return 0;
    }
    ids->list = r->p + r->pos;
    for (uint32_t i = 0; i < ids->count; i++) {
        uint32_t l = 0;
        if (read_varint(r, &l, what)) return -1;
        if (l == 0 || l > MF_MAX_ID_LEN)
            return br_fail(r->err, BOOKREC_E_FORMAT, "model file corrupt: id %u of %s has length %u, expected 1..%u", i,
                           what, l, MF_MAX_ID_LEN);
        if (need(r, l, what)) return -1;
        if (memchr(r->p + r->pos, 0, l))
            return br_fail(r->err, BOOKREC_E_FORMAT, "model file corrupt: id %u of %s at offset %zu holds a NUL byte, expected text",
                           i, what, r->pos);
        r->pos += l;
    }
    ids->list_bytes = (size_t)(r->p + r->pos - ids->list);
    return 0;
}

static const char *dtype_name(int dt) {
    return dt == BOOKREC_F32 ? "F32" : dt == BOOKREC_F16 ? "F16" : dt == BOOKREC_Q8 ? "Q8" : dt == MF_U16 ? "U16"
         : dt == MF_I32 ? "I32" : dt == MF_D16 ? "D16" : "?";
}

/* Parses and checks the whole structure and the checksum; allocates nothing. */
static int parse_file(const uint8_t *buf, size_t len, mf_file *f, bookrec_error *err) {
    rbuf r = {buf, len, 0, err};
    memset(f, 0, sizeof *f);
    if (!buf || len == 0) return br_fail(err, BOOKREC_E_FORMAT, "model file is empty (expected at least 16 bytes)");
    if (need(&r, 8, "the magic")) return BOOKREC_E_FORMAT;
    if (memcmp(buf, MF_MAGIC, 8) != 0) {
        char shown[48];
        return br_fail(err, BOOKREC_E_FORMAT, "not a bookrec model file: magic \"%s\", expected \"BOOKREC\\0\"",
                       br_csv_show((const char *)buf, 8, shown, sizeof shown));
    }
    r.pos = 8;
    if (need(&r, 8, "the format version")) return BOOKREC_E_FORMAT;
    uint32_t version = rd32(buf + 8), hb = rd32(buf + 12);
    if (version != MF_VERSION && version != MF_VERSION_TOPN)
        return br_fail(err, BOOKREC_E_FORMAT, "model format version %u is not supported (this build reads versions %u and %u)",
                       version, MF_VERSION, MF_VERSION_TOPN);
    uint32_t hb_want = version == MF_VERSION ? MF_HEADER_BYTES : MF_HEADER_BYTES_V2;
    if (hb != hb_want)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: header size %u, expected %u", hb, hb_want);
    r.pos = 16;
    if (need(&r, hb_want, "the header")) return BOOKREC_E_FORMAT;
    const uint8_t *h = buf + 16;
    bookrec_model_config *c = &f->cfg;
    uint32_t arch = rd32(h), nu = rd32(h + 4), ni = rd32(h + 8), dim = rd32(h + 12), hid = rd32(h + 16);
    uint32_t impl = rd32(h + 20);
    c->init_scale = rdf32(h + 24);
    c->global_mean = rdf32(h + 28);
    c->min_rating = rdf32(h + 32);
    c->max_rating = rdf32(h + 36);
    c->seed = rd64(h + 40);
    f->parts = rd32(h + 48);
    f->dtype = rd32(h + 52);
    f->ntensors = rd32(h + 56);
    f->idh[0] = rd64(h + 64);
    f->idh[1] = rd64(h + 72);
    f->idh[2] = rd64(h + 80);
    uint64_t n_entries = version == MF_VERSION ? 0 : rd64(h + 88);
    r.pos = 16 + hb_want;
    if (version == MF_VERSION && arch > BOOKREC_ARCH_NCF)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: arch %u, expected 0 (seed), 1 (mf) or 2 (ncf)", arch);
    if (version == MF_VERSION_TOPN && arch != BOOKREC_ARCH_EASE && arch != BOOKREC_ARCH_IALS)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: arch %u in a version 2 file, expected 3 (ease) or 4 (ials)",
                       arch);
    if (n_entries > MF_MAX_FLOATS || (n_entries && arch != BOOKREC_ARCH_EASE))
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: %llu reader entries, expected at most %zu (EASE only)",
                       (unsigned long long)n_entries, MF_MAX_FLOATS);
    c->n_entries = (int64_t)n_entries;
    if (nu < 1 || nu > MF_MAX_ENTITIES || ni < 1 || ni > MF_MAX_ENTITIES)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: %u users and %u items, expected 1..%u each", nu, ni,
                       MF_MAX_ENTITIES);
    if (dim < 1 || dim > 1024 || hid > 8192)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: dim %u and hidden %u, expected dim 1..1024, hidden 0..8192",
                       dim, hid);
    if (((size_t)nu + ni) * ((size_t)dim + 1) > MF_MAX_FLOATS)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: %u users + %u items of dim %u exceed the limit of %zu values",
                       nu, ni, dim, MF_MAX_FLOATS);
    if (impl > 1) return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: implicit flag %u, expected 0 or 1", impl);
    if (f->parts < 1 || f->parts > 3)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: parts %u, expected 1 (items), 2 (users) or 3 (both)",
                       f->parts);
    if (f->dtype > BOOKREC_Q8)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: embedding dtype %u, expected 0 (F32), 1 (F16) or 2 (Q8)",
                       f->dtype);
    if (f->ntensors > MF_MAX_TENSORS)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: %u tensors, expected at most %u", f->ntensors,
                       MF_MAX_TENSORS);
    c->arch = (bookrec_arch)arch;
    c->n_users = (int)nu;
    c->n_items = (int)ni;
    c->dim = (int)dim;
    c->hidden = (int)hid;
    c->implicit = (int)impl;
    if ((f->parts & BOOKREC_PART_ITEMS) && parse_ids(&r, &f->items, ni, "item")) return BOOKREC_E_FORMAT;
    if ((f->parts & BOOKREC_PART_USERS) && parse_ids(&r, &f->users, nu, "user")) return BOOKREC_E_FORMAT;
    for (uint32_t k = 0; k < f->ntensors; k++) {
        mf_tensor *t = &f->t[k];
        char what[96];
        snprintf(what, sizeof what, "tensor record %u", k);
        if (need(&r, 2, what)) return BOOKREC_E_FORMAT;
        uint32_t nl = buf[r.pos] | (uint32_t)buf[r.pos + 1] << 8;
        r.pos += 2;
        if (nl < 1 || nl > MF_MAX_NAME)
            return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: tensor record %u has a name of %u bytes at offset %zu, expected 1..%u",
                           k, nl, r.pos - 2, MF_MAX_NAME);
        if (need(&r, nl, what)) return BOOKREC_E_FORMAT;
        for (uint32_t j = 0; j < nl; j++) {
            uint8_t ch = buf[r.pos + j];
            if (ch < 0x21 || ch > 0x7e)
                return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: tensor record %u has a name with byte 0x%02x at offset %zu",
                               k, ch, r.pos + j);
            t->name[j] = (char)ch;
        }
        t->name[nl] = '\0';
        r.pos += nl;
        for (uint32_t j = 0; j < k; j++)
            if (strcmp(f->t[j].name, t->name) == 0)
                return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: tensor \"%s\" appears twice", t->name);
        snprintf(what, sizeof what, "the header of tensor \"%s\"", t->name);
        if (need(&r, 18, what)) return BOOKREC_E_FORMAT;
        t->dtype = buf[r.pos];
        t->rows = rd32(buf + r.pos + 2);
        t->cols = rd32(buf + r.pos + 6);
        uint64_t nb = rd64(buf + r.pos + 10);
        r.pos += 18;
        if (t->dtype > (version == MF_VERSION ? BOOKREC_Q8 : MF_D16))
            return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: tensor \"%s\" has dtype %d, expected 0 (F32), 1 (F16), 2 (Q8)%s",
                           t->name, t->dtype, version == MF_VERSION ? "" : ", 3 (U16), 4 (I32) or 5 (D16)");
        if (t->rows > MF_MAX_ENTITIES || t->cols > 65536)
            return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: tensor \"%s\" has shape %ux%u, too large", t->name,
                           t->rows, t->cols);
        size_t expect = br_mf_tensor_bytes(t->dtype, t->rows, t->cols);
        if (nb != expect)
            return br_fail(err, BOOKREC_E_FORMAT,
                           "model file corrupt: tensor \"%s\" (%s %ux%u) says %llu data bytes, expected %zu", t->name,
                           dtype_name(t->dtype), t->rows, t->cols, (unsigned long long)nb, expect);
        snprintf(what, sizeof what, "tensor \"%s\"", t->name);
        if (need(&r, expect, what)) return BOOKREC_E_FORMAT;
        t->data = buf + r.pos;
        t->nbytes = expect;
        r.pos += expect;
    }
    if (need(&r, 4, "the checksum")) return BOOKREC_E_FORMAT;
    if (len - r.pos != 4)
        return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: expected the file to end at offset %zu, got %zu more bytes",
                       r.pos + 4, len - r.pos - 4);
    uint32_t stored = rd32(buf + r.pos), actual = br_crc32(buf, r.pos);
    if (stored != actual)
        return br_fail(err, BOOKREC_E_FORMAT, "model file checksum mismatch: stored CRC-32 0x%08x, computed 0x%08x (the file is corrupt)",
                       stored, actual);
    return BOOKREC_OK;
}

/* Builds an id table from a parsed record; *out stays NULL for IDS_NONE. */
static int build_ids(const mf_ids *s, bookrec_ids **out, const char *which, bookrec_error *err) {
    *out = NULL;
    if (s->kind == IDS_NONE) return BOOKREC_OK;
    bookrec_ids *ids = br_ids_create();
    if (!ids) return br_fail(err, BOOKREC_E_NOMEM, "out of memory for the %s ids", which);
    char tmp[16];
    const uint8_t *p = s->list;
    for (uint32_t i = 0; i < s->count; i++) {
        int k;
        const char *str;
        uint32_t l = 0;
        if (s->kind == IDS_RANGE) {
            l = (uint32_t)snprintf(tmp, sizeof tmp, "%u", s->first + i);
            str = tmp;
        } else {
            l = 0;
            for (int b = 0;; b++) { /* the varint was checked by parse_ids */
                l |= (uint32_t)(*p & 0x7f) << (7 * b);
                if (!(*p++ & 0x80)) break;
            }
            str = (const char *)p;
            p += l;
        }
        k = br_ids_intern(ids, str, (int)l);
        if (k < 0) {
            br_ids_free(ids);
            return br_fail(err, BOOKREC_E_NOMEM, "out of memory for the %s ids", which);
        }
        if ((uint32_t)k != i) {
            char shown[48];
            br_ids_free(ids);
            return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: %s id \"%s\" appears twice (entries %d and %u)",
                           which, br_csv_show(str, l, shown, sizeof shown), k, i);
        }
    }
    *out = ids;
    return BOOKREC_OK;
}

/* Decodes a stored integer tensor into dst, checking every value against 0..imax. */
static int decode_ints(const mf_tensor *t, int32_t *dst, int32_t imax, bookrec_error *err) {
    size_t n = (size_t)t->rows * t->cols;
    for (size_t k = 0; k < n; k++) {
        int64_t v = t->dtype == MF_I32 ? (int64_t)(int32_t)rd32(t->data + 4 * k)
                                       : (int64_t)(t->data[2 * k] | t->data[2 * k + 1] << 8);
        if (t->dtype == MF_D16 && k % t->cols) v += dst[k - 1];
        if (v < 0 || v > imax)
            return br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: tensor \"%s\" row %zu holds %lld, expected 0..%d",
                           t->name, k / t->cols, (long long)v, (int)imax);
        dst[k] = (int32_t)v;
    }
    return BOOKREC_OK;
}

/* Decodes a stored tensor into dst (rows x cols floats). */
static void decode(const mf_tensor *t, float *dst) {
    size_t rows = t->rows, cols = t->cols, n = rows * cols;
    if (t->dtype == BOOKREC_F32) {
        for (size_t k = 0; k < n; k++) dst[k] = rdf32(t->data + 4 * k);
    } else if (t->dtype == BOOKREC_F16) {
        for (size_t k = 0; k < n; k++) dst[k] = br_f16_to_f32((uint16_t)(t->data[2 * k] | t->data[2 * k + 1] << 8));
    } else {
        const uint8_t *vals = t->data + rows * 4;
        for (size_t r = 0; r < rows; r++) {
            float s = rdf32(t->data + 4 * r);
            for (size_t j = 0; j < cols; j++) dst[r * cols + j] = (float)(int8_t)vals[r * cols + j] * s;
        }
    }
}

/* Refuses a stored tensor holding a value that does not decode to a finite number (F32 and F16 NaN or
   +-Inf, a Q8 row scale that is not finite or whose products overflow): such weights would make NaN scores
   that rankings skip without a word. Checked before anything is copied into the model. */
static int check_finite(const mf_tensor *t, bookrec_error *err) {
    if (t->dtype == MF_U16 || t->dtype == MF_I32 || t->dtype == MF_D16) return BOOKREC_OK; /* ranges: decode_ints */
    size_t rows = t->rows, cols = t->cols;
    for (size_t r = 0; r < rows; r++) {
        float s = 1.0f;
        if (t->dtype == BOOKREC_Q8) {
            s = rdf32(t->data + 4 * r);
            if (!isfinite(s))
                return br_fail(err, BOOKREC_E_FORMAT, "model file tensor \"%s\" row %zu holds a non-finite value (Q8 row scale %s)",
                               t->name, r, br_mf_nonfinite_name(s));
        }
        for (size_t j = 0; j < cols; j++) {
            size_t k = r * cols + j;
            float x = t->dtype == BOOKREC_F32   ? rdf32(t->data + 4 * k)
                      : t->dtype == BOOKREC_F16 ? br_f16_to_f32((uint16_t)(t->data[2 * k] | t->data[2 * k + 1] << 8))
                                                : (float)(int8_t)t->data[rows * 4 + k] * s;
            if (!isfinite(x))
                return br_fail(err, BOOKREC_E_FORMAT, "model file tensor \"%s\" row %zu holds a non-finite value (%s at column %zu)",
                               t->name, r, br_mf_nonfinite_name(x), j);
        }
    }
    return BOOKREC_OK;
}

/* Matches the file's tensors of `parts` against the model's, checks names and shapes, and copies the data in. */
static int fill_tensors(bookrec_model *m, mf_file *f, int parts, bookrec_error *err) {
    br_tensor t[MF_MAX_TENSORS];
    int nt = br_model_tensors(m, t, (int)MF_MAX_TENSORS);
    if (nt > (int)MF_MAX_TENSORS) return br_fail(err, BOOKREC_E_STATE, "the model lists %d tensors", nt);
    /* every record must be a tensor of this model, in a part the file holds */
    for (uint32_t k = 0; k < f->ntensors; k++) {
        int found = -1;
        for (int j = 0; j < nt; j++)
            if (strcmp(t[j].name, f->t[k].name) == 0) found = j;
        if (found < 0)
            return br_fail(err, BOOKREC_E_FORMAT, "model file has an unknown tensor \"%s\" (not part of a %s model)",
                           f->t[k].name, bookrec_arch_name((bookrec_arch)f->cfg.arch));
        if (!(t[found].part & (int)f->parts))
            return br_fail(err, BOOKREC_E_FORMAT, "model file has tensor \"%s\" of the %s part, but its header says parts %u",
                           f->t[k].name, t[found].part == BOOKREC_PART_USERS ? "users" : "items", f->parts);
        if ((uint32_t)t[found].rows != f->t[k].rows || (uint32_t)t[found].cols != f->t[k].cols)
            return br_fail(err, BOOKREC_E_FORMAT, "model file tensor \"%s\" has shape %ux%u, expected %dx%d from the header",
                           f->t[k].name, f->t[k].rows, f->t[k].cols, t[found].rows, t[found].cols);
        int is_int = f->t[k].dtype == MF_U16 || f->t[k].dtype == MF_I32 || f->t[k].dtype == MF_D16;
        if (is_int != (t[found].idata != NULL))
            return br_fail(err, BOOKREC_E_FORMAT, "model file tensor \"%s\" is stored as %s, expected %s values",
                           f->t[k].name, dtype_name(f->t[k].dtype), t[found].idata ? "integer (U16 or I32)" : "float");
        f->t[k].used = found;
    }
    /* every tensor of the parts must be in the file */
    for (int j = 0; j < nt; j++) {
        if (!(t[j].part & (int)f->parts)) continue;
        uint32_t k;
        for (k = 0; k < f->ntensors; k++)
            if (strcmp(t[j].name, f->t[k].name) == 0) break;
        if (k == f->ntensors)
            return br_fail(err, BOOKREC_E_FORMAT, "model file is missing tensor \"%s\" (%dx%d)", t[j].name, t[j].rows,
                           t[j].cols);
    }
    for (uint32_t k = 0; k < f->ntensors; k++)
        if ((t[f->t[k].used].part & parts) && check_finite(&f->t[k], err)) return BOOKREC_E_FORMAT;
    for (uint32_t k = 0; k < f->ntensors; k++) {
        const br_tensor *dst = &t[f->t[k].used];
        if (!(dst->part & parts)) continue;
        if (dst->idata) {
            int rc = decode_ints(&f->t[k], dst->idata, dst->imax, err);
            if (rc) return rc;
        } else {
            decode(&f->t[k], dst->data);
        }
    }
    return br_topn_check(m, parts, err);
}

static int same_config(const bookrec_model_config *a, const bookrec_model_config *b, char *why, size_t cap) {
#define DIFF_I(field) if (a->field != b->field) { snprintf(why, cap, #field " %d, expected %d", (int)b->field, (int)a->field); return 0; }
#define DIFF_F(field) if (memcmp(&a->field, &b->field, sizeof a->field)) { snprintf(why, cap, #field " %g, expected %g", (double)b->field, (double)a->field); return 0; }
    DIFF_I(arch) DIFF_I(n_users) DIFF_I(n_items) DIFF_I(dim) DIFF_I(hidden) DIFF_I(implicit) DIFF_I(n_entries)
    DIFF_F(init_scale) DIFF_F(global_mean) DIFF_F(min_rating) DIFF_F(max_rating)
    if (a->seed != b->seed) {
        snprintf(why, cap, "seed %llu, expected %llu", (unsigned long long)b->seed, (unsigned long long)a->seed);
        return 0;
    }
#undef DIFF_I
#undef DIFF_F
    return 1;
}

int bookrec_model_load(const uint8_t *buf, size_t len, bookrec_model **out, bookrec_error *err) {
    if (!out) return br_fail(err, BOOKREC_E_ARG, "model_load: NULL argument");
    *out = NULL;
    mf_file *f = malloc(sizeof *f);
    if (!f) return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    bookrec_model *m = NULL;
    bookrec_ids *items = NULL, *users = NULL;
    int rc = parse_file(buf, len, f, err);
    if (rc) goto done;
    if (!(f->parts & BOOKREC_PART_ITEMS)) {
        rc = br_fail(err, BOOKREC_E_FORMAT,
                     "this model file holds only the users part; load the items file first and add it with load_users");
        goto done;
    }
    if ((rc = bookrec_model_create(&f->cfg, &m, err))) {
        if (rc == BOOKREC_E_ARG) rc = BOOKREC_E_FORMAT;
        if (err) err->code = rc;
        goto done;
    }
    if ((rc = fill_tensors(m, f, (int)f->parts, err))) goto done;
    if ((rc = build_ids(&f->items, &items, "item", err))) goto done;
    if ((rc = build_ids(&f->users, &users, "user", err))) goto done;
    if ((rc = bookrec_model_set_ids(m, users, items, err))) goto done;
    br_model_set_has_users(m, (f->parts & BOOKREC_PART_USERS) != 0);
    br_model_invalidate(m);
    {
        uint64_t got = br_mf_identity(m, -1);
        if (got != f->idh[f->dtype]) {
            rc = br_fail(err, BOOKREC_E_FORMAT, "model file corrupt: identity hash 0x%016llx, expected 0x%016llx",
                         (unsigned long long)got, (unsigned long long)f->idh[f->dtype]);
            goto done;
        }
    }
    *out = m;
    m = NULL;
    rc = br_ok(err);
done:
    bookrec_model_free(m);
    br_ids_free(items);
    br_ids_free(users);
    free(f);
    return rc;
}

int bookrec_model_load_users(bookrec_model *m, const uint8_t *buf, size_t len, bookrec_error *err) {
    if (!m) return br_fail(err, BOOKREC_E_ARG, "model_load_users: NULL model");
    mf_file *f = malloc(sizeof *f);
    if (!f) return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    bookrec_ids *users = NULL;
    char why[160];
    int rc = parse_file(buf, len, f, err);
    if (rc) goto done;
    if (!(f->parts & BOOKREC_PART_USERS)) {
        rc = br_fail(err, BOOKREC_E_FORMAT, "this model file holds no users part (parts %u)", f->parts);
        goto done;
    }
    if (!same_config(bookrec_model_get_config(m), &f->cfg, why, sizeof why)) {
        rc = br_fail(err, BOOKREC_E_FORMAT, "the users file belongs to a different model: it has %s", why);
        goto done;
    }
    uint64_t mine = br_mf_identity(m, -1);
    if (mine != f->idh[0] && mine != f->idh[1] && mine != f->idh[2]) {
        rc = br_fail(err, BOOKREC_E_FORMAT,
                     "the users file belongs to a different model: its identity 0x%016llx does not match this model's 0x%016llx",
                     (unsigned long long)f->idh[0], (unsigned long long)mine);
        goto done;
    }
    /* check everything before changing the model: build the ids first, then copy tensors */
    if ((rc = build_ids(&f->users, &users, "user", err))) goto done;
    if ((rc = fill_tensors(m, f, BOOKREC_PART_USERS, err))) goto done;
    if (users && (rc = bookrec_model_set_ids(m, users, NULL, err))) goto done;
    br_model_set_has_users(m, 1);
    br_model_invalidate(m);
    rc = br_ok(err);
done:
    br_ids_free(users);
    free(f);
    return rc;
}

