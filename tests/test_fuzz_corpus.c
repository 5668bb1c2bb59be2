/*
 * test_fuzz_corpus.c - replays every committed fuzz seed and regression input (tests/fuzz/corpus/) through
 * the same checks as the libFuzzer targets, in the ordinary build (and in the ASan/UBSan build of CI), so
 * every crash ever found stays fixed without needing clang or libFuzzer. Also asserts that the model
 * seeds named ok-* load: what gen_model_seeds wrote as valid must stay loadable (if the model format
 * changes on purpose, regenerate them with `npm run fuzz -- --seeds-only`).
 * Not a fuzzer itself: tools/fuzz.mjs runs the real targets.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLVMFuzzerTestOneInput fuzz_ratings_one
#include "fuzz/fuzz_ratings.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_items_one
#include "fuzz/fuzz_items.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_model_one
#include "fuzz/fuzz_model.c"
#undef LLVMFuzzerTestOneInput

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; }
            else buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Replays every file of dir through fn; returns the number of files, or -1 when the directory is missing. */
static int replay(const char *dir, int (*fn)(const uint8_t *, size_t), int check_ok_models, int *failures) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t k = 0; k < n; k++) {
        char path[4096];
        int w = snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        if (w < 0 || (size_t)w >= sizeof path) { fprintf(stderr, "FAIL path too long: %s\n", names[k]); (*failures)++; free(names[k]); continue; }
        size_t len = 0;
        uint8_t *buf = slurp(path, &len);
        if (!buf) { fprintf(stderr, "FAIL cannot read %s\n", path); (*failures)++; continue; }
        fprintf(stderr, "  %s\n", path); /* printed first: a crash names its input */
        fn(buf, len);
        if (check_ok_models && strncmp(names[k], "ok-", 3) == 0 && len >= 1) {
            bookrec_model *m = NULL;
            bookrec_error err;
            if (bookrec_model_load(buf + 1, len - 1, &m, &err) != BOOKREC_OK) {
                fprintf(stderr, "FAIL %s is a valid model seed but does not load: %s\n", path, err.msg);
                (*failures)++;
            }
            bookrec_model_free(m);
        }
        free(buf);
        free(names[k]);
    }
    free(names);
    return (int)n;
}

int main(void) {
    const char *src = getenv("BOOKREC_SOURCE_DIR");
    char dir[4096];
    int failures = 0;
    static const struct { const char *sub; int (*fn)(const uint8_t *, size_t); int models; int min; } t[] = {
        {"ratings", fuzz_ratings_one, 0, 20}, {"items", fuzz_items_one, 0, 10}, {"model", fuzz_model_one, 1, 20}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", src ? src : "..", t[i].sub);
        int n = replay(dir, t[i].fn, t[i].models, &failures);
        if (n < t[i].min) {
            fprintf(stderr, "FAIL %s: %d inputs, expected at least %d\n", dir, n, t[i].min);
            failures++;
        } else {
            fprintf(stderr, "ok %s: %d inputs replayed\n", t[i].sub, n);
        }
    }
    return failures ? 1 : 0;
}
