/*
 * gen_model_seeds.c - writes the model-loader seed corpus for fuzz_model (tests/fuzz/corpus/model/).
 *
 * Builds small models of every architecture (seed, mf, ncf, and the implicit variants), saves each in
 * every embedding dtype (f32, f16, q8) as full files and as items-only / users-only parts, then derives
 * bad files from them: truncated at many lengths, single bytes flipped in the header, the tensor
 * records and the checksum, and a wrong format version. Every file starts with fuzz_model's mode byte
 * (bit 0: fix the checksum before loading) and is named ok-* when it must load, bad-* otherwise.
 * Run by `npm run fuzz` (tools/fuzz.mjs) before fuzzing; not part of bookrec itself.
 * Usage: gen_model_seeds OUTDIR
 */
#define _POSIX_C_SOURCE 200809L
#include "bookrec.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *outdir;
static int written;

static void put(const char *name, int mode, const uint8_t *buf, size_t len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    uint8_t m = (uint8_t)mode;
    fwrite(&m, 1, 1, f);
    if (len) fwrite(buf, 1, len, f);
    if (fclose(f) != 0) { perror(path); exit(1); }
    written++;
}

static bookrec_ids *make_ids(const char *prefix, int n) {
    bookrec_ids *ids = br_ids_create();
    char s[32];
    for (int i = 0; i < n; i++) {
        int len = snprintf(s, sizeof s, "%s%d", prefix, i + 1);
        if (!ids || br_ids_intern(ids, s, len) != i) { fprintf(stderr, "id table failed\n"); exit(1); }
    }
    return ids;
}

static bookrec_model *make_model(bookrec_arch arch, int implicit) {
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = arch;
    cfg.implicit = implicit;
    cfg.n_users = 6;
    cfg.n_items = 9;
    cfg.dim = 4;
    cfg.hidden = 8;
    cfg.global_mean = 3.7f;
    cfg.seed = 7;
    bookrec_model *m = NULL;
    bookrec_error err;
    if (bookrec_model_create(&cfg, &m, &err) != BOOKREC_OK) {
        /* an architecture this build does not offer yet: no seeds for it */
        fprintf(stderr, "gen_model_seeds: skipping arch %d implicit %d: %s\n", (int)arch, implicit, err.msg);
        return NULL;
    }
    bookrec_ids *u = make_ids("u", cfg.n_users), *i = make_ids("", cfg.n_items);
    if (bookrec_model_set_ids(m, u, i, &err) != BOOKREC_OK) { fprintf(stderr, "set_ids: %s\n", err.msg); exit(1); }
    br_ids_free(u);
    br_ids_free(i);
    if (implicit) {
        int32_t off[7] = {0, 2, 3, 5, 5, 8, 9}, items[9] = {0, 3, 1, 2, 8, 4, 5, 6, 7};
        if (bookrec_model_set_implicit(m, off, items, &err) != BOOKREC_OK) {
            fprintf(stderr, "set_implicit: %s\n", err.msg);
            exit(1);
        }
    }
    /* non-trivial parameters so every tensor's bytes matter */
    float *p = NULL;
    size_t n = bookrec_model_params(m, &p);
    for (size_t k = 0; k < n; k++) p[k] += 0.01f * (float)((k * 37) % 11) - 0.05f;
    br_model_invalidate(m);
    return m;
}

static uint8_t *save(bookrec_model *m, int parts, bookrec_dtype dt, size_t *len) {
    bookrec_save_options so = {parts, dt};
    uint8_t *buf = NULL;
    bookrec_error err;
    if (bookrec_model_save(m, &so, &buf, len, &err) != BOOKREC_OK) { fprintf(stderr, "save: %s\n", err.msg); exit(1); }
    bookrec_model *back = NULL;
    if (parts != BOOKREC_PART_USERS && bookrec_model_load(buf, *len, &back, &err) != BOOKREC_OK) {
        fprintf(stderr, "a freshly saved model does not load: %s\n", err.msg);
        exit(1);
    }
    bookrec_model_free(back);
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: gen_model_seeds OUTDIR\n"); return 2; }
    outdir = argv[1];
    static const struct { bookrec_arch arch; int implicit; const char *name; } archs[] = {
        {BOOKREC_ARCH_SEED, 0, "seed"}, {BOOKREC_ARCH_MF, 0, "mf"}, {BOOKREC_ARCH_NCF, 0, "ncf"},
        {BOOKREC_ARCH_MF, 1, "mf-implicit"}, {BOOKREC_ARCH_NCF, 1, "ncf-implicit"}};
    static const char *dtn[] = {"f32", "f16", "q8"};
    char name[128];
    for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++) {
        bookrec_model *m = make_model(archs[a].arch, archs[a].implicit);
        if (!m) continue;
        for (int dt = 0; dt < 3; dt++) {
            size_t len = 0;
            uint8_t *full = save(m, 0, (bookrec_dtype)dt, &len);
            snprintf(name, sizeof name, "ok-%s-%s-full", archs[a].name, dtn[dt]);
            put(name, dt == 1, full, len); /* mode 1 (fix checksum) is a no-op on a valid file */

            size_t ilen = 0, ulen = 0;
            uint8_t *items = save(m, BOOKREC_PART_ITEMS, (bookrec_dtype)dt, &ilen);
            snprintf(name, sizeof name, "ok-%s-%s-items", archs[a].name, dtn[dt]);
            put(name, 0, items, ilen);
            uint8_t *users = save(m, BOOKREC_PART_USERS, (bookrec_dtype)dt, &ulen);
            snprintf(name, sizeof name, "any-%s-%s-users", archs[a].name, dtn[dt]);
            put(name, 0, users, ulen);

            if (dt == 0 || a == 0) {
                /* truncations: header, records, data, checksum */
                size_t cuts[] = {0, 1, 4, 7, 8, 12, 16, 24, 32, 48, 64, len / 4, len / 2, len - 8, len - 4, len - 1};
                for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
                    if (cuts[c] >= len) continue;
                    snprintf(name, sizeof name, "bad-%s-%s-trunc-%zu", archs[a].name, dtn[dt], cuts[c]);
                    put(name, (int)(c & 1), full, cuts[c]);
                }
                /* single-byte corruptions, with and without a repaired checksum */
                uint8_t *bad = malloc(len);
                size_t spots[] = {0, 3, 4, 5, 8, 9, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96,
                                  len / 3, len / 2, len - 5, len - 1};
                for (size_t s = 0; s < sizeof spots / sizeof spots[0]; s++) {
                    if (spots[s] >= len) continue;
                    for (int mode = 0; mode < 2; mode++) {
                        memcpy(bad, full, len);
                        bad[spots[s]] ^= (uint8_t)(mode ? 0x80 : 0x01);
                        snprintf(name, sizeof name, "any-%s-%s-flip-%zu-m%d", archs[a].name, dtn[dt], spots[s], mode);
                        put(name, mode, bad, len);
                    }
                }
                /* huge sizes in the header fields */
                memcpy(bad, full, len);
                for (size_t k = 8; k < 40 && k + 4 <= len; k += 4) bad[k + 3] = 0x7f;
                snprintf(name, sizeof name, "any-%s-%s-huge", archs[a].name, dtn[dt]);
                put(name, 1, bad, len);
                /* trailing garbage */
                uint8_t *longer = malloc(len + 16);
                memcpy(longer, full, len);
                memset(longer + len, 0xA5, 16);
                snprintf(name, sizeof name, "any-%s-%s-trailing", archs[a].name, dtn[dt]);
                put(name, 1, longer, len + 16);
                free(longer);
                free(bad);
            }
            bookrec_free(full);
            bookrec_free(items);
            bookrec_free(users);
        }
        bookrec_model_free(m);
    }
    put("bad-empty", 0, NULL, 0);
    put("bad-text", 0, (const uint8_t *)"book_id,user_id,rating\n1,2,3\n", 29);
    printf("gen_model_seeds: wrote %d files to %s\n", written, outdir);
    return 0;
}
