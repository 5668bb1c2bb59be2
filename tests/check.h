/*
 * check.h - the one assertion macro of the C tests: CHECK(cond, fmt, ...) counts a failure and prints
 * FILE:LINE with the condition and a message, and lets the test go on, so one run reports every
 * failing check. A test's main returns `failures != 0`. Not a framework: nothing else lives here.
 */
#ifndef BOOKREC_TEST_CHECK_H
#define BOOKREC_TEST_CHECK_H

#include <stdio.h>

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

#endif /* BOOKREC_TEST_CHECK_H */
