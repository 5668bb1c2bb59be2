/*
 * modelfile.c - the bookrec model file (format version 1, specified in models/README.md): saving a
 * model into a memory buffer and loading it back, whole or in two parts (the item side + network
 * that the browser loads first, and the per-user tables loaded later). Little-endian throughout,
 * a CRC-32 over everything, tensors stored as F32, F16 or per-row Q8 (embedding tables only).
 * The loader trusts nothing: every count and size is checked against the bytes that remain, the
 * checksum is verified before any model is allocated, and dimensions are capped.
 * Not here: file paths, atomic writes (the CLI does those), the model maths (model.c).
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MF_MAGIC "BOOKREC\0"
#define MF_VERSION 1u              /* seed, mf, ncf files */
#define MF_VERSION_TOPN 2u         /* ease, ials files: a longer header and integer tensors */
#define MF_HEADER_BYTES 88u        /* fixed header after magic, version and this size field (version 1) */
#define MF_HEADER_BYTES_V2 96u     /* version 2: + u64 n_entries */
#define MF_U16 3                   /* integer tensors (top-N indices), unsigned 16-bit */
#define MF_I32 4                   /*   or signed 32-bit, values 0..imax of the model's listing */
#define MF_D16 5                   /*   or, when every row is non-decreasing, U16 deltas from the previous value of
                                        the row (the first from 0): small numbers that compress well */
#define MF_MAX_TENSORS 64u
#define MF_MAX_NAME 64u
#define MF_MAX_ID_LEN 65535u
#define MF_MAX_ENTITIES (1u << 25) /* users or items */
#define MF_MAX_FLOATS ((size_t)1 << 27) /* (n_users + n_items) x (dim + 1): at most 512 MB of floats */

enum { IDS_NONE = 0, IDS_LIST = 1, IDS_RANGE = 2 };

/* ------------------------------------------------------------------ numbers */

static uint16_t f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u)); /* inf, nan */
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);                                   /* overflow */
    if (ax < 0x38800000u) {                                                                      /* subnormal */
        if (ax < 0x33000000u) return (uint16_t)sign;
        uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        int shift = 126 - (int)(ax >> 23);
        uint32_t h = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1u))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = (ax - 0x38000000u) >> 13, rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    float f;
    if (e == 0) {
        f = (float)m * (1.0f / 16777216.0f);
        memcpy(&x, &f, 4);
        x |= sign;
    } else if (e == 31) x = sign | 0x7f800000u | (m << 13);
    else x = sign | ((e + 112u) << 23) | (m << 13);
    memcpy(&f, &x, 4);
    return f;
}

/* Exposed for tests through internal.h. */
uint16_t br_f32_to_f16(float f) { return f32_to_f16(f); }
float br_f16_to_f32(uint16_t h) { return f16_to_f32(h); }

/* Quantises one row to int8 with one scale (max |x| / 127); non-finite values become 0 (only identity() hashes
   such rows: bookrec_model_save refuses non-finite weights before writing). */
static float q8_row(const float *x, int n, int8_t *q) {
    float mx = 0.0f;
    for (int k = 0; k < n; k++) {
        float a = fabsf(x[k]);
        if (isfinite(a) && a > mx) mx = a;
    }
    float s = mx / 127.0f;
    for (int k = 0; k < n; k++) {
        long v = 0;
        if (s > 0.0f && isfinite(x[k])) {
            v = lrintf(x[k] / s);
            if (v > 127) v = 127;
            if (v < -127) v = -127;
        }
        q[k] = (int8_t)v;
    }
    return s;
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

uint32_t br_crc32(const uint8_t *p, size_t n) { return crc32_of(p, n); }

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

/* ------------------------------------------------------------------ identity hash */

/* FNV-1a 64. */
typedef struct fnv { uint64_t h; } fnv;
static void fnv_bytes(fnv *f, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) { f->h ^= b[i]; f->h *= 0x100000001b3ull; }
}
static void fnv_u32(fnv *f, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fnv_bytes(f, b, 4);
}
static void fnv_f32(fnv *f, float v) {
    uint32_t x;
    memcpy(&x, &v, 4);
    fnv_u32(f, x);
}

/* Embedding tables (name ends in "_emb") take the chosen dtype; every other tensor is F32. */
static int is_embedding(const char *name) {
    size_t l = strlen(name);
    return l >= 4 && strcmp(name + l - 4, "_emb") == 0;
}

/* How a tensor is stored for embedding dtype dt: embeddings take dt; the per-row biases ("_bias") are
   F16 whenever dt is not F32 (one value per row, where F16's 3 significant digits are plenty); the dense
   layers and everything else stay F32. */
static int stored_dtype(const char *name, int dt) {
    if (dt < 0) return BOOKREC_F32;
    if (is_embedding(name) || !strcmp(name, "ease_val")) return dt;
    size_t l = strlen(name);
    if (dt != BOOKREC_F32 && ((l >= 5 && strcmp(name + l - 5, "_bias") == 0) || !strcmp(name, "item_prior") ||
                              !strcmp(name, "user_rating")))
        return BOOKREC_F16;
    return BOOKREC_F32;
}

/* How an integer tensor is stored: D16 when every value fits 16 bits and rows do not go down, U16 when they fit,
   else I32. */
static int int_dtype(const br_tensor *t) {
    if (t->imax >= 65536) return MF_I32;
    if (t->cols < 2) return MF_U16;
    for (size_t r = 0; r < (size_t)t->rows; r++)
        for (size_t c = 1; c < (size_t)t->cols; c++)
            if (t->idata[r * t->cols + c] < t->idata[r * t->cols + c - 1]) return MF_U16;
    return MF_D16;
}

/* The model identity: config, item ids and the item side's values as a loader of a file written with
   embedding dtype `dt` would see them (dt < 0: the values as they are now). Both part files store it,
   so load_users can tell that a users file belongs to the loaded item side. */
static uint64_t identity(bookrec_model *m, int dt) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    fnv f = {0xcbf29ce484222325ull};
    fnv_u32(&f, (uint32_t)c->arch);
    fnv_u32(&f, (uint32_t)c->n_users);
    fnv_u32(&f, (uint32_t)c->n_items);
    fnv_u32(&f, (uint32_t)c->dim);
    fnv_u32(&f, (uint32_t)c->hidden);
    fnv_u32(&f, (uint32_t)c->implicit);
    fnv_f32(&f, c->init_scale);
    fnv_f32(&f, c->global_mean);
    fnv_f32(&f, c->min_rating);
    fnv_f32(&f, c->max_rating);
    fnv_u32(&f, (uint32_t)c->seed);
    fnv_u32(&f, (uint32_t)(c->seed >> 32));
    if (br_is_topn(c)) { /* version 2 only, so version 1 identities stay as they were */
        fnv_u32(&f, (uint32_t)c->n_entries);
        fnv_u32(&f, (uint32_t)((uint64_t)c->n_entries >> 32));
    }
    const bookrec_ids *items = bookrec_model_items(m);
    int ni = bookrec_ids_count(items);
    fnv_u32(&f, (uint32_t)ni);
    for (int i = 0; i < ni; i++) {
        const char *s = bookrec_ids_get(items, i);
        size_t l = strlen(s);
        fnv_u32(&f, (uint32_t)l);
        fnv_bytes(&f, s, l);
    }
    br_tensor t[MF_MAX_TENSORS];
    int nt = br_model_tensors(m, t, (int)MF_MAX_TENSORS);
    int8_t q[1024];
    for (int k = 0; k < nt && k < (int)MF_MAX_TENSORS; k++) {
        if (t[k].part != BOOKREC_PART_ITEMS) continue;
        fnv_bytes(&f, t[k].name, strlen(t[k].name) + 1);
        fnv_u32(&f, (uint32_t)t[k].rows);
        fnv_u32(&f, (uint32_t)t[k].cols);
        if (t[k].idata) {
            for (size_t e = 0; e < (size_t)t[k].rows * (size_t)t[k].cols; e++) fnv_u32(&f, (uint32_t)t[k].idata[e]);
            continue;
        }
        int mode = stored_dtype(t[k].name, dt);
        for (int r = 0; r < t[k].rows; r++) {
            const float *x = t[k].data + (size_t)r * (size_t)t[k].cols;
            if (mode == BOOKREC_Q8 && t[k].cols <= 1024) {
                float s = q8_row(x, t[k].cols, q);
                for (int j = 0; j < t[k].cols; j++) fnv_f32(&f, (float)q[j] * s);
            } else if (mode == BOOKREC_F16) {
                for (int j = 0; j < t[k].cols; j++) fnv_f32(&f, f16_to_f32(f32_to_f16(x[j])));
            } else {
                for (int j = 0; j < t[k].cols; j++) fnv_f32(&f, x[j]);
            }
        }
    }
    return f.h;
}

/* ------------------------------------------------------------------ writer */

typedef struct wbuf {
    uint8_t *p; /* NULL while measuring */
    size_t n;
} wbuf;

static void w_bytes(wbuf *w, const void *src, size_t n) {
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

static size_t tensor_bytes(int dt, size_t rows, size_t cols) {
    if (dt == BOOKREC_F16 || dt == MF_U16 || dt == MF_D16) return rows * cols * 2;
    if (dt == BOOKREC_Q8) return rows * 4 + rows * cols;
    return rows * cols * 4;
}

static void w_tensor(wbuf *w, const br_tensor *t, int dt) {
    size_t rows = (size_t)t->rows, cols = (size_t)t->cols, nb = tensor_bytes(dt, rows, cols);
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
        for (size_t k = 0; k < rows * cols; k++) w_u16(w, f32_to_f16(t->data[k]));
    } else { /* Q8: all row scales, then all rows of int8 */
        uint8_t *scales = w->p + w->n, *vals = scales + rows * 4;
        int8_t q[1024];
        for (size_t r = 0; r < rows; r++) {
            float s = q8_row(t->data + r * cols, (int)cols, q);
            uint32_t x;
            memcpy(&x, &s, 4);
            scales[r * 4] = (uint8_t)x; scales[r * 4 + 1] = (uint8_t)(x >> 8);
            scales[r * 4 + 2] = (uint8_t)(x >> 16); scales[r * 4 + 3] = (uint8_t)(x >> 24);
            memcpy(vals + r * cols, q, cols);
        }
        w->n += nb;
    }
}

static const char *nonfinite_name(float x) { return isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf"; }

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
                               t->name, r, nonfinite_name(x[j]), j);
        if (dt == BOOKREC_F16) {
            for (int j = 0; j < t->cols; j++)
                if (!isfinite(f16_to_f32(f32_to_f16(x[j]))))
                    return br_fail(err, BOOKREC_E_ARG,
                                   "model_save: tensor \"%s\" row %d holds %g at column %d, beyond F16's range (65504); "
                                   "save it as F32", t->name, r, (double)x[j], j);
        } else if (dt == BOOKREC_Q8 && t->cols <= 1024) {
            float s = q8_row(x, t->cols, q);
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
        if (t[k].part & parts) w_tensor(w, &t[k], t[k].idata ? int_dtype(&t[k]) : stored_dtype(t[k].name, dt));
}

int bookrec_model_save(const bookrec_model *cm, const bookrec_save_options *opt,
                       uint8_t **out, size_t *out_len, bookrec_error *err) {
    if (!cm || !out || !out_len) return br_fail(err, BOOKREC_E_ARG, "model_save: NULL argument");
    *out = NULL;
    *out_len = 0;
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
        if (dt == BOOKREC_Q8 && stored_dtype(t[k].name, dt) == BOOKREC_Q8 && t[k].cols > 1024)
            return br_fail(err, BOOKREC_E_ARG, "model_save: Q8 supports rows of at most 1024 values");
    for (int k = 0; k < nt; k++)
        if ((t[k].part & parts) && unstorable(&t[k], stored_dtype(t[k].name, dt), err)) return BOOKREC_E_ARG;
    uint64_t idh[3] = {identity(m, BOOKREC_F32), identity(m, BOOKREC_F16), identity(m, BOOKREC_Q8)};
    wbuf w = {NULL, 0};
    write_file(&w, m, parts, dt, idh);
    size_t total = w.n + 4;
    uint8_t *buf = malloc(total);
    if (!buf) return br_fail(err, BOOKREC_E_NOMEM, "model_save: out of memory for %zu bytes", total);
    w.p = buf;
    w.n = 0;
    write_file(&w, m, parts, dt, idh);
    uint32_t crc = crc32_of(buf, w.n);
    w_u32(&w, crc);
    *out = buf;
    *out_len = w.n;
    return br_ok(err);
}

void bookrec_free(void *p) { free(p); }

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
        size_t expect = tensor_bytes(t->dtype, t->rows, t->cols);
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
    uint32_t stored = rd32(buf + r.pos), actual = crc32_of(buf, r.pos);
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

static const char *arch_name(int a) {
    static const char *const names[] = {"seed", "mf", "ncf", "ease", "ials"};
    return a >= 0 && a <= BOOKREC_ARCH_IALS ? names[a] : "unknown";
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
        for (size_t k = 0; k < n; k++) dst[k] = f16_to_f32((uint16_t)(t->data[2 * k] | t->data[2 * k + 1] << 8));
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
                               t->name, r, nonfinite_name(s));
        }
        for (size_t j = 0; j < cols; j++) {
            size_t k = r * cols + j;
            float x = t->dtype == BOOKREC_F32   ? rdf32(t->data + 4 * k)
                      : t->dtype == BOOKREC_F16 ? f16_to_f32((uint16_t)(t->data[2 * k] | t->data[2 * k + 1] << 8))
                                                : (float)(int8_t)t->data[rows * 4 + k] * s;
            if (!isfinite(x))
                return br_fail(err, BOOKREC_E_FORMAT, "model file tensor \"%s\" row %zu holds a non-finite value (%s at column %zu)",
                               t->name, r, nonfinite_name(x), j);
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
                           f->t[k].name, arch_name(f->cfg.arch));
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
        uint64_t got = identity(m, -1);
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
    uint64_t mine = identity(m, -1);
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
