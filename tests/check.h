/*
 * check.h - the one assertion header of the C tests (test_*.c) and of the fuzz targets (fuzz/fuzz_*.c):
 * CHECK(cond) or CHECK(cond, fmt, ...) counts a failure and prints FILE:LINE with the condition and the
 * message, and lets the test go on, so one run reports every failing check; a test's main returns
 * `failures != 0`. A file that defines CHECK_ABORTS before including it (the fuzz targets, where a crash is
 * what libFuzzer reports) aborts at the first failed check instead. Also slurp(), which reads a whole file
 * for the tests that parse the committed fixtures or the goodbooks data, and a memory buffer with a writer
 * callback (membuf, mem_write) for the tests that save to memory, and check_str for strings a parser hands back.
 * Not a framework.
 */
#ifndef BOOKREC_TEST_CHECK_H
#define BOOKREC_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#ifdef CHECK_ABORTS
#define CHECK_STOP_() abort()
#else
#define CHECK_STOP_() ((void)0)
#endif

/* CHECK(cond) and CHECK(cond, fmt, ...): the message is optional (picked by the number of arguments, up to 20). */
#define CHECK(...)                                                                                           \
    CHECK_PICK_(__VA_ARGS__, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, \
                CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_,  \
                CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_MSG_, CHECK_BARE_, CHECK_NONE_)(__VA_ARGS__)
#define CHECK_PICK_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, \
                    name, ...)                                                                             \
    name

#define CHECK_BARE_(cond)                                                                     \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            failures++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);          \
            CHECK_STOP_();                                                                    \
        }                                                                                     \
    } while (0)

#define CHECK_MSG_(cond, ...)                                                         \
    do {                                                                              \
        if (!(cond)) {                                                                \
            failures++;                                                               \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                             \
            fprintf(stderr, "\n");                                                    \
            CHECK_STOP_();                                                            \
        }                                                                             \
    } while (0)

/* The length of a string a check needs to be there (CHECK(s)); reading it whole lets ASan flag one that is not
   terminated inside its allocation (the fuzz targets read every string a parser hands back). */
static inline size_t check_str(const char *s) {
    CHECK(s != NULL);
    return s ? strlen(s) : 0;
}

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

/* A growing memory buffer and a writer callback into it, for the tests that save to memory. */
typedef struct membuf { uint8_t *p; size_t n, cap; } membuf;

static inline int mem_write(void *ctx, const void *p, size_t n) {
    membuf *m = ctx;
    if (m->n + n > m->cap) {
        size_t nc = (m->n + n) * 2;
        uint8_t *q = realloc(m->p, nc);
        if (!q) return -1;
        m->p = q;
        m->cap = nc;
    }
    memcpy(m->p + m->n, p, n);
    m->n += n;
    return 0;
}

#endif /* BOOKREC_TEST_CHECK_H */
