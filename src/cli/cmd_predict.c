/*
 * cmd_predict.c - `bookrec predict`: reads a CSV of (user_id, book_id) pairs of external ids and prints
 * `user_id,book_id,prediction` per pair with %.6f, in input order. The browser tests compare the
 * WebAssembly module against this output. A header line (user_id,book_id in either order) is optional
 * and is echoed as `user_id,book_id,prediction`. An id the model does not know is an error naming the
 * file and line. Not a bulk scorer for ranking: see recommend.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Splits line s[0..len) into up to 3 fields (quotes stripped, spaces trimmed); returns the field count. */
static int split_fields(char *s, size_t len, char *f[3]) {
    int n = 0;
    size_t i = 0;
    while (i <= len && n < 3) {
        size_t start = i;
        while (i < len && s[i] != ',') i++;
        size_t end = i;
        while (start < end && (s[start] == ' ' || s[start] == '\t')) start++;
        while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t')) end--;
        if (end - start >= 2 && s[start] == '"' && s[end - 1] == '"') {
            start++;
            end--;
        }
        s[end] = '\0';
        f[n++] = s + start;
        i++;
    }
    return n;
}

int cmd_predict(int argc, char **argv) {
    const char *model_path = cli_default_model(), *pairs = NULL;
    cli_data_opts d = {0}; /* only its noun */
    cli_opt opts[] = {
        {"model", 'm', CLI_STR, &model_path, "FILE", "model file (with its user part)", "<project>/models/model.bkr"},
        {"pairs", 'p', CLI_STR, &pairs, "FILE", "CSV of user_id,book_id pairs (external ids; '-' for stdin)", "none"},
        {"noun", 0, CLI_STR, &d.noun, "WORD[/PLURAL]", "what the items are, in messages (e.g. movie)", "book"},
    };
    cli_parse("predict", "bookrec predict --model FILE --pairs FILE", opts, (int)(sizeof opts / sizeof opts[0]), argc,
              argv);
    if (!pairs) cli_usage_die("predict", "predict: --pairs FILE is required");
    cli_set_noun(&d);

    bookrec_model *m = cli_load_model(model_path);
    if (!bookrec_model_has_users(m))
        cli_die("%s: the model has no user part; use the full model file (or one with its users loaded)", model_path);
    const bookrec_ids *users = bookrec_model_users(m), *items = bookrec_model_items(m);
    if (!users || !items) cli_die("%s: the model carries no id tables", model_path);

    size_t len = 0;
    char *buf = !strcmp(pairs, "-") ? cli_read_file("/dev/stdin", &len) : cli_read_file(pairs, &len);
    if (!buf) cli_die("%s: cannot read the pairs file", pairs);

    size_t cap = 1024, n = 0;
    int32_t *u = malloc(cap * sizeof *u), *it = malloc(cap * sizeof *it);
    char **uid = malloc(cap * sizeof *uid), **iid = malloc(cap * sizeof *iid);
    if (!u || !it || !uid || !iid) cli_die("out of memory");
    int header = 0, swap = 0;
    long line = 0;
    char *p = buf, *end = buf + len;
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        line++;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r') ll--;
        char *next = nl ? nl + 1 : end;
        if (ll == 0) {
            p = next;
            continue;
        }
        char *f[3];
        int nf = split_fields(p, ll, f);
        if (nf < 2) cli_die("%s:%ld: expected user_id,book_id, got one field", pairs, line);
        if (n == 0 && !header && (!strcmp(f[0], "user_id") || !strcmp(f[0], "book_id"))) {
            header = 1;
            swap = !strcmp(f[0], "book_id");
            p = next;
            continue;
        }
        const char *us = swap ? f[1] : f[0], *bs = swap ? f[0] : f[1];
        int ui = bookrec_ids_find(users, us, -1), bi = bookrec_ids_find(items, bs, -1);
        if (ui < 0) cli_die("%s:%ld: unknown user id '%s' (not in the model)", pairs, line, us);
        if (bi < 0) cli_die("%s:%ld: unknown %s id '%s' (not in the model)", pairs, line, cli_noun(0), bs);
        if (n == cap) {
            cap *= 2;
            u = realloc(u, cap * sizeof *u);
            it = realloc(it, cap * sizeof *it);
            uid = realloc(uid, cap * sizeof *uid);
            iid = realloc(iid, cap * sizeof *iid);
            if (!u || !it || !uid || !iid) cli_die("out of memory");
        }
        u[n] = ui;
        it[n] = bi;
        uid[n] = (char *)us;
        iid[n] = (char *)bs;
        n++;
        p = next;
    }
    float *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) cli_die("out of memory");
    bookrec_error err = {0};
    if (n) cli_check(bookrec_model_predict_many(m, u, it, n, out, &err), &err, "predict");
    if (header) fputs("user_id,book_id,prediction\n", stdout);
    for (size_t k = 0; k < n; k++) printf("%s,%s,%.6f\n", uid[k], iid[k], (double)out[k]);
    free(out);
    free(u);
    free(it);
    free(uid);
    free(iid);
    free(buf);
    bookrec_model_free(m);
    return 0;
}
