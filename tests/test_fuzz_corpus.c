/*
 * test_fuzz_corpus.c - replays every committed fuzz seed and regression input (tests/fuzz/corpus/) through
 * the same checks as the libFuzzer targets, in the ordinary build (and in the ASan/UBSan build of CI), so
 * every crash ever found stays fixed without needing clang or libFuzzer. Also asserts that the model
 * seeds named ok-* load: what gen_model_seeds wrote as valid must stay loadable (if the model format
 * changes on purpose, regenerate them with `npm run fuzz -- --seeds-only`).
 * Its checks are the targets' own (check.h with CHECK_ABORTS: the first failure aborts the run).
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
#define LLVMFuzzerTestOneInput fuzz_goodreads_one
#include "fuzz/fuzz_goodreads.c"
#undef LLVMFuzzerTestOneInput

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every file of dir through fn; returns the number of files, or -1 when the directory is missing. */
static int replay(const char *dir, int (*fn)(const uint8_t *, size_t), int check_ok_models) {
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
        if (w < 0 || (size_t)w >= sizeof path) { CHECK(0, "path too long: %s", names[k]); free(names[k]); continue; }
        size_t len = 0;
        uint8_t *buf = (uint8_t *)slurp(path, &len);
        if (!buf) { CHECK(0, "cannot read %s", path); continue; }
        fprintf(stderr, "  %s\n", path); /* printed first: a crash names its input */
        fn(buf, len);
        if (check_ok_models && strncmp(names[k], "ok-", 3) == 0 && len >= 1) {
            bookrec_model *m = NULL;
            bookrec_error err;
            CHECK(bookrec_model_load(buf + 1, len - 1, &m, &err) == BOOKREC_OK,
                  "%s is a valid model seed but does not load: %s", path, err.msg);
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
    static const struct { const char *sub; int (*fn)(const uint8_t *, size_t); int models; int min; } t[] = {
        {"ratings", fuzz_ratings_one, 0, 20}, {"items", fuzz_items_one, 0, 10}, {"model", fuzz_model_one, 1, 20},
        {"goodreads", fuzz_goodreads_one, 0, 10}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", src ? src : "..", t[i].sub);
        int n = replay(dir, t[i].fn, t[i].models);
        CHECK(n >= t[i].min, "%s: %d inputs, expected at least %d", dir, n, t[i].min);
        if (n >= t[i].min) fprintf(stderr, "ok %s: %d inputs replayed\n", t[i].sub, n);
    }
    return failures ? 1 : 0;
}
