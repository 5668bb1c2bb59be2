/*
 * modelfile.c - the parts of the bookrec model file (format version 1 and 2, specified in models/README.md) that
 * its writer and reader share: IEEE half floats, per-row Q8, the CRC-32 over the file, the rule of which tensor is
 * stored in which dtype, stored sizes, and the model identity hash both part files carry (its FNV-1a 64 also hashes
 * whole files: bookrec_fnv1a64).
 * Not here: writing (modelfile_write.c), reading (modelfile_read.c), file paths (the CLI).
 */
#include "modelfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Quantises one row to int8 with one scale (max |x| / 127); non-finite values become 0 (only br_mf_identity() hashes
   such rows: bookrec_model_save refuses non-finite weights before writing). */
float br_mf_q8_row(const float *x, int n, int8_t *q) {
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

uint32_t br_crc32_update(uint32_t crc, const uint8_t *p, size_t n) {
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t c = crc ^ 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

uint32_t br_crc32(const uint8_t *p, size_t n) { return br_crc32_update(0, p, n); }

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

uint64_t bookrec_fnv1a64(const void *p, size_t n) {
    fnv f = {0xcbf29ce484222325ull};
    fnv_bytes(&f, p, n);
    return f.h;
}

/* Embedding tables (name ends in "_emb") take the chosen dtype; every other tensor is F32. */
static int is_embedding(const char *name) {
    size_t l = strlen(name);
    return l >= 4 && strcmp(name + l - 4, "_emb") == 0;
}

/* How a tensor is stored for embedding dtype dt: embeddings take dt; the per-row biases ("_bias") are
   F16 whenever dt is not F32 (one value per row, where F16's 3 significant digits are plenty); the dense
   layers and everything else stay F32. */
int br_mf_stored_dtype(const char *name, int dt) {
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
int br_mf_int_dtype(const br_tensor *t) {
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
uint64_t br_mf_identity(bookrec_model *m, int dt) {
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
        int mode = br_mf_stored_dtype(t[k].name, dt);
        for (int r = 0; r < t[k].rows; r++) {
            const float *x = t[k].data + (size_t)r * (size_t)t[k].cols;
            if (mode == BOOKREC_Q8 && t[k].cols <= 1024) {
                float s = br_mf_q8_row(x, t[k].cols, q);
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


/* Bytes of a stored tensor of rows x cols in dtype dt. */
size_t br_mf_tensor_bytes(int dt, size_t rows, size_t cols) {
    if (dt == BOOKREC_F16 || dt == MF_U16 || dt == MF_D16) return rows * cols * 2;
    if (dt == BOOKREC_Q8) return rows * 4 + rows * cols;
    return rows * cols * 4;
}

/* How a non-finite value is named in messages. */
const char *br_mf_nonfinite_name(float x) { return isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf"; }
