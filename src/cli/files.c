/*
 * files.c - the CLI's file plumbing: whole-file reads, directories, atomic writes (temp file + fsync + rename, so a
 * failed run never leaves a half-written file), sizes and path helpers, and the places the CLI starts from: the
 * project root and the default model path. Not here: what the files hold (data.c parses through the core).
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

/* ------------------------------------------------------------------ files */

char *cli_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(f);
        errno = EISDIR;
        return NULL;
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        errno = e ? e : EIO;
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

char *cli_read_file_or_die(const char *path, size_t *len) {
    char *b = cli_read_file(path, len);
    if (!b) cli_die("%s: %s", path, strerror(errno));
    return b;
}

int cli_mkdirs(const char *dir) {
    char *p = strdup(dir);
    if (!p) return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = '/';
        }
    }
    int rc = (mkdir(p, 0777) != 0 && errno != EEXIST) ? -1 : 0;
    free(p);
    return rc;
}

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

struct cli_atomic {
    char *path, *tmp, *dir;
    int fd, err;
};

cli_atomic *cli_atomic_open(const char *path) {
    cli_atomic *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->path = strdup(path);
    a->dir = dir_of(path);
    if (!a->path || !a->dir || cli_mkdirs(a->dir) != 0) goto fail;
    a->tmp = cli_fmt("%s.tmp.XXXXXX", path);
    if (!a->tmp || (a->fd = mkstemp(a->tmp)) < 0) goto fail;
    return a;
fail:;
    int e = errno;
    free(a->path), free(a->dir), free(a->tmp), free(a);
    errno = e;
    return NULL;
}

int cli_atomic_write(void *ctx, const void *buf, size_t len) {
    cli_atomic *a = ctx;
    const char *p = buf;
    while (len > 0 && !a->err) {
        ssize_t w = write(a->fd, p, len);
        if (w < 0) {
            if (errno != EINTR) a->err = errno;
            continue;
        }
        p += w;
        len -= (size_t)w;
    }
    return a->err ? -1 : 0;
}

static void atomic_free(cli_atomic *a) {
    free(a->path), free(a->dir), free(a->tmp), free(a);
}

void cli_atomic_abort(cli_atomic *a) {
    if (!a) return;
    close(a->fd);
    unlink(a->tmp);
    atomic_free(a);
}

int cli_atomic_commit(cli_atomic *a) {
    int e = a->err;
    if (!e && fchmod(a->fd, 0644) != 0) e = errno;
    if (!e && fsync(a->fd) != 0) e = errno;
    if (close(a->fd) != 0 && !e) e = errno;
    if (!e && rename(a->tmp, a->path) != 0) e = errno;
    if (e) {
        unlink(a->tmp);
        atomic_free(a);
        errno = e;
        return -1;
    }
    int dfd = open(a->dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    atomic_free(a);
    return 0;
}

size_t cli_save_model_or_die(const char *path, const bookrec_model *m, const bookrec_save_options *so) {
    cli_atomic *a = cli_atomic_open(path);
    if (!a) cli_die("%s: cannot write: %s", path, strerror(errno));
    size_t n = 0;
    bookrec_error err = {0};
    int st = bookrec_model_save_to(m, so, cli_atomic_write, a, &n, &err), e = a->err;
    if (st) {
        cli_atomic_abort(a);
        if (e) cli_die("%s: cannot write: %s", path, strerror(e));
        cli_check(st, &err, "save");
    }
    if (cli_atomic_commit(a) != 0) cli_die("%s: cannot write: %s", path, strerror(errno));
    return n;
}

int cli_write_atomic(const char *path, const void *buf, size_t len) {
    cli_atomic *a = cli_atomic_open(path);
    if (!a) return -1;
    cli_atomic_write(a, buf, len);
    return cli_atomic_commit(a);
}

void cli_write_atomic_or_die(const char *path, const void *buf, size_t len) {
    if (cli_write_atomic(path, buf, len) != 0) cli_die("%s: cannot write: %s", path, strerror(errno));
}

int cli_is_file(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int cli_is_dir(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

long long cli_file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (long long)st.st_size;
}

/* ------------------------------------------------------------------ places */

const char *cli_project_root(void) {
    static char *root = NULL;
    if (root) return root;
    const char *env = getenv("BOOKREC_ROOT");
    if (env && *env) return root = strdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *bindir = dir_of(exe);     /* .../build */
        char *up = dir_of(bindir);      /* project root */
        char *marker = cli_join(up, "CMakeLists.txt");
        char *marker2 = cli_join(up, "include/bookrec.h");
        int ok = cli_is_file(marker) && cli_is_file(marker2);
        free(marker);
        free(marker2);
        free(bindir);
        if (ok) return root = up;
        free(up);
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd)) return root = strdup(cwd);
    return root = strdup(".");
}

const char *cli_default_model(void) {
    static char *p = NULL;
    if (!p) p = cli_join(cli_project_root(), "models/model.bkr");
    return p;
}

