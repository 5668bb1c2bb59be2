/*
 * check.h - the one assertion macro of the C tests: CHECK(cond, fmt, ...) counts a failure and prints
 * FILE:LINE with the condition and a message, and lets the test go on, so one run reports every
 * failing check. A test's main returns `failures != 0`. Also slurp(), which reads a whole file for the
 * tests that parse the committed fixtures or the goodbooks data. Not a framework.
 */
#ifndef BOOKREC_TEST_CHECK_H
#define BOOKREC_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int failures = 0;

#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            failures++;                                                               \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                             \
            fprintf(stderr, "\n");                                                    \
        }                                                                             \
    } while (0)

/* Reads a whole file into a new NUL-terminated buffer (the caller frees it) and its length into *len;
   NULL when it cannot be read. */
static inline char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = '\0';
        *len = (size_t)n;
    }
    return b;
}

#endif /* BOOKREC_TEST_CHECK_H */
