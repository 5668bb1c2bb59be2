/*
 * util.c - the CLI's messages and small formatting helpers: error printing and exit codes (cli_die, cli_usage_die,
 * cli_check with the failing step named), notes and warnings, formatted strings, digit grouping, byte sizes, the
 * clock, and the model's shape as JSON. Not here: flags (flags.c), files and places (files.c), loading data and
 * models (data.c); no command logic, each command lives in its own cmd_*.c file.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ errors */

/* Prints "bookrec: <prefix><message>" on stderr, after flushing what stdout holds. */
static void say(const char *prefix, const char *fmt, va_list ap) {
    fflush(stdout);
    fprintf(stderr, "bookrec: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say("", fmt, ap);
    va_end(ap);
    exit(CLI_EXIT_ERROR);
}

void cli_usage_die(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say("", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'bookrec %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    exit(CLI_EXIT_USAGE);
}

void cli_note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say("note: ", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say("warning: ", fmt, ap);
    va_end(ap);
}

/* Copies s[0..n) into out (cap bytes) as a comparable name: lower case, '_' as ' ', without a leading
   "bookrec_", "model_" or "bookrec_model_" (so "bookrec_model_recommend" reads "recommend"). */
static void step_name(const char *s, size_t n, char *out, size_t cap) {
    static const char *const lead[] = {"bookrec_model_", "bookrec_", "model_"};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(lead[k]);
        if (n > l && !strncmp(s, lead[k], l)) {
            s += l;
            n -= l;
            break;
        }
    }
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        char c = s[i] == '_' ? ' ' : s[i];
        out[j++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[j] = '\0';
}

/* 1 when msg already starts with a prefix naming the step `what` ("bias baseline: ..." for "bias baseline",
   "model_save: ..." for "save", "model config: ..." for "model"), so that prefixing it again would repeat it. */
static int names_step(const char *msg, const char *what) {
    const char *colon = strstr(msg, ": ");
    if (!colon || colon - msg > 60) return 0;
    char a[64], b[64];
    step_name(msg, (size_t)(colon - msg), a, sizeof a);
    step_name(what, strlen(what), b, sizeof b);
    return strlen(b) >= 3 && strstr(a, b) != NULL;
}

void cli_check(int status, const bookrec_error *err, const char *what) {
    if (status == BOOKREC_OK) return;
    const char *msg = (err && err->msg[0]) ? err->msg : bookrec_strerror(status);
    if (what && *what && !names_step(msg, what)) cli_die("%s: %s", what, msg);
    cli_die("%s", msg);
}

char *cli_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) cli_die("out of memory");
    return s;
}

char *cli_group(size_t n, char buf[32]) {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%zu", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

char *cli_bytes(long long n, char buf[32]) {
    if (n < 0) snprintf(buf, 32, "?");
    else if (n < 1024) snprintf(buf, 32, "%lld B", n);
    else if (n < 1024 * 1024) snprintf(buf, 32, "%.1f KB", (double)n / 1024.0);
    else snprintf(buf, 32, "%.1f MB", (double)n / (1024.0 * 1024.0));
    return buf;
}

double cli_f32(double x) {
    if (!isfinite(x) || x == 0) return x;
    char b[32];
    snprintf(b, sizeof b, "%.7g", x);
    return strtod(b, NULL);
}

char *cli_join(const char *a, const char *b) {
    if (b[0] == '/' || !a || !*a) return cli_fmt("%s", b);
    size_t la = strlen(a);
    return cli_fmt("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

char *cli_replace_ext(const char *path, const char *ext) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t keep = dot && dot != base ? (size_t)(dot - path) : strlen(path);
    return cli_fmt("%.*s%s", (int)keep, path, ext);
}


double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *cli_arch_name(bookrec_arch a) { return bookrec_arch_name(a); }

void cli_json_model_shape(cJSON *o, const bookrec_model_config *c) {
    cJSON_AddStringToObject(o, "arch", cli_arch_name(c->arch));
    cJSON_AddNumberToObject(o, "n_users", c->n_users);
    cJSON_AddNumberToObject(o, "n_items", c->n_items);
    cJSON_AddNumberToObject(o, "dim", c->dim);
    cJSON_AddNumberToObject(o, "hidden", c->hidden);
    cJSON_AddBoolToObject(o, "implicit", c->implicit);
    cJSON_AddNumberToObject(o, "global_mean", cli_f32(c->global_mean));
}


void cli_write_json_or_die(const char *path, cJSON *root) {
    char *json = cJSON_Print(root);
    cJSON_Delete(root);
    if (!json) cli_die("out of memory");
    cli_write_atomic_or_die(path, json, strlen(json));
    free(json);
}
