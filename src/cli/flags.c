/*
 * flags.c - the CLI's flag parser: each command declares its flags as a cli_opt table (cli.h), and cli_parse reads
 * argv against it (--name value, --name=value, short -x, flags without a value), prints --help from the same table
 * and exits 2 with a usage message on a bad or unknown flag. Not here: what the flags mean (the cmd_*.c files).
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

/* ------------------------------------------------------------------ flags */

static void print_default(const cli_opt *o) {
    if (o->def) {
        printf("%s", o->def);
        return;
    }
    switch (o->type) {
    case CLI_STR: {
        const char *s = *(const char *const *)o->ptr;
        printf("%s", s ? s : "none");
        break;
    }
    case CLI_INT: printf("%d", *(const int *)o->ptr); break;
    case CLI_FLOAT: printf("%g", (double)*(const float *)o->ptr); break;
    case CLI_DOUBLE: printf("%g", *(const double *)o->ptr); break;
    case CLI_U64: printf("%llu", (unsigned long long)*(const uint64_t *)o->ptr); break;
    case CLI_FLAG: printf("%s", *(const int *)o->ptr ? "on" : "off"); break;
    }
}

static void print_help(const char *cmd, const char *usage, const cli_opt *opts, int n) {
    printf("Usage: %s\n\nOptions (default in brackets):\n", usage);
    for (int i = 0; i < n; i++) {
        const cli_opt *o = &opts[i];
        char left[64];
        int w;
        if (o->short_name)
            w = snprintf(left, sizeof left, "-%c, --%s", o->short_name, o->name);
        else
            w = snprintf(left, sizeof left, "    --%s", o->name);
        if (o->metavar && w > 0 && (size_t)w < sizeof left)
            snprintf(left + w, sizeof left - (size_t)w, " %s", o->metavar);
        printf("  %-28s %s [", left, o->help);
        print_default(o);
        printf("]\n");
    }
    printf("  %-28s %s\n", "-h, --help", "show this help");
    (void)cmd;
}

static int parse_value(const cli_opt *o, const char *v) {
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case CLI_STR: *(const char **)o->ptr = v; return 0;
    case CLI_INT: {
        long x = strtol(v, &end, 10);
        if (!*v || *end || errno || x < INT_MIN || x > INT_MAX) return -1;
        *(int *)o->ptr = (int)x;
        return 0;
    }
    case CLI_FLOAT: {
        float x = strtof(v, &end);
        if (!*v || *end || errno || !isfinite(x)) return -1;
        *(float *)o->ptr = x;
        return 0;
    }
    case CLI_DOUBLE: {
        double x = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(x)) return -1;
        *(double *)o->ptr = x;
        return 0;
    }
    case CLI_U64: {
        if (*v == '-') return -1;
        unsigned long long x = strtoull(v, &end, 10);
        if (!*v || *end || errno) return -1;
        *(uint64_t *)o->ptr = (uint64_t)x;
        return 0;
    }
    case CLI_FLAG: *(int *)o->ptr = 1; return 0;
    }
    return -1;
}

static const char *type_word(cli_opt_type t) {
    switch (t) {
    case CLI_INT: return "an integer";
    case CLI_FLOAT:
    case CLI_DOUBLE: return "a number";
    case CLI_U64: return "a non-negative integer";
    default: return "a value";
    }
}

void cli_parse(const char *cmd, const char *usage, const cli_opt *opts, int n, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            print_help(cmd, usage, opts, n);
            exit(0);
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const cli_opt *o = NULL;
        const char *val = NULL;
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            for (int j = 0; j < n; j++)
                if (strlen(opts[j].name) == len && !strncmp(opts[j].name, name, len)) o = &opts[j];
            if (!o) cli_usage_die(cmd, "%s: unknown option '--%.*s'", cmd, (int)len, name);
            if (eq) val = eq + 1;
        } else if (a[0] == '-' && a[1] && !a[2]) {
            for (int j = 0; j < n; j++)
                if (opts[j].short_name == a[1]) o = &opts[j];
            if (!o) cli_usage_die(cmd, "%s: unknown option '%s'", cmd, a);
        } else {
            cli_usage_die(cmd, "%s: unexpected argument '%s'", cmd, a);
        }
        if (o->type == CLI_FLAG) {
            if (val) cli_usage_die(cmd, "%s: option --%s takes no value", cmd, o->name);
            *(int *)o->ptr = 1;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) cli_usage_die(cmd, "%s: option --%s needs %s", cmd, o->name, o->metavar ? o->metavar : "a value");
            val = argv[++i];
        }
        if (parse_value(o, val) != 0)
            cli_usage_die(cmd, "%s: option --%s expects %s, got '%s'", cmd, o->name, type_word(o->type), val);
    }
}

