/*
 * features.c - (user, book) pairs parsed from a CSV buffer through id tables (user_id and book_id columns found by
 * name, more columns ignored; the want-to-read pairs of to_read.csv, the pairs `bookrec predict` scores), and the
 * implicit feedback of mf/ncf models with --implicit (SVD++): each user's implicit set N(u) built from the books it rated in the fit part plus its want-to-read
 * books, with the rule that keeps the test part out of training: a user's test books never enter its set.
 * Not here: reading the file (the front-end hands its bytes over) and what the model does with the sets
 * (bookrec_model_set_implicit, src/model.c and src/train.c).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The field with spaces trimmed into *len; NULL when missing or empty. */
static const char *trimmed(const bookrec_csv *c, int f, int *len) {
    size_t n = 0;
    const char *s = bookrec_csv_field(c, f, &n);
    while (s && n && *s == ' ') s++, n--;
    while (s && n && s[n - 1] == ' ') n--;
    *len = (int)n;
    return s && n ? s : NULL;
}

static int pairs_push(bookrec_pairs *p, size_t *cap, int32_t u, int32_t i) {
    if (p->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 1024;
        int32_t *nu = realloc(p->user, nc * sizeof *nu);
        if (!nu) return 0;
        p->user = nu;
        int32_t *ni = realloc(p->item, nc * sizeof *ni);
        if (!ni) return 0;
        p->item = ni;
        *cap = nc;
    }
    p->user[p->n] = u;
    p->item[p->n++] = i;
    return 1;
}

/* Where the user and book ids of each record are: by name in a header, or (header optional and none there) the
   first two fields. Returns 1 when the first record was a header, 0 when it is data, -1 on error. */
static int find_columns(bookrec_csv *c, const char *src, int header_optional, int *ucol, int *icol,
                        bookrec_error *err) {
    *ucol = bookrec_csv_column(c, "user_id");
    *icol = bookrec_csv_column(c, "book_id");
    if (*ucol >= 0 && *icol >= 0) return 1;
    if (header_optional && *ucol < 0 && *icol < 0) {
        *ucol = 0;
        *icol = 1;
        return 0;
    }
    br_fail(err, BOOKREC_E_PARSE, "%s:%ld: expected a header with user_id and book_id columns", src, bookrec_csv_line(c));
    return -1;
}

/* Adds the current record's pair; 0 on success, else the error code. */
static int take_pair(const bookrec_csv *c, const char *src, int ucol, int icol, const bookrec_ids *users,
                     const bookrec_ids *items, const bookrec_pairs_options *o, bookrec_pairs *p, size_t *cap,
                     bookrec_error *err) {
    int ul, il;
    const char *us = trimmed(c, ucol, &ul), *is = trimmed(c, icol, &il);
    if (!us || !is)
        return br_fail(err, BOOKREC_E_PARSE, "%s:%ld: expected a user_id and a book_id", src, bookrec_csv_line(c));
    p->rows++;
    int u = bookrec_ids_find(users, us, ul), i = bookrec_ids_find(items, is, il);
    if (o->strict && u < 0)
        return br_fail(err, BOOKREC_E_ARG, "%s:%ld: unknown user id '%.*s' (not in the model)", src,
                       bookrec_csv_line(c), ul, us);
    if (o->strict && i < 0)
        return br_fail(err, BOOKREC_E_ARG, "%s:%ld: unknown %s id '%.*s' (not in the model)", src,
                       bookrec_csv_line(c), o->noun ? o->noun : "book", il, is);
    if (u >= 0 && i >= 0 && !pairs_push(p, cap, u, i)) return br_fail(err, BOOKREC_E_NOMEM, "pairs: out of memory");
    return BOOKREC_OK;
}

int bookrec_pairs_parse(const char *buf, size_t len, const char *source, const bookrec_ids *users,
                        const bookrec_ids *items, const bookrec_pairs_options *opt, bookrec_pairs **out,
                        bookrec_error *err) {
    if (!out || !buf || !users || !items) return br_fail(err, BOOKREC_E_ARG, "pairs: NULL argument");
    *out = NULL;
    bookrec_pairs_options o = {0, 0, NULL};
    if (opt) o = *opt;
    const char *src = source ? source : "<buffer>";
    bookrec_csv *c = NULL;
    bookrec_pairs *p = calloc(1, sizeof *p);
    if (!p) return br_fail(err, BOOKREC_E_NOMEM, "pairs: out of memory");
    int st = bookrec_csv_create(buf, len, source, &c, err), ucol = -1, icol = -1;
    size_t cap = 0;
    if (st == BOOKREC_OK) {
        int first = bookrec_csv_next(c, err);
        if (first < 0) st = err && err->code ? err->code : BOOKREC_E_PARSE;
        else if (first == 0 && !o.header_optional)
            st = br_fail(err, BOOKREC_E_PARSE, "%s: empty file, expected a header with user_id and book_id", src);
        else if (first > 0 && (p->header = find_columns(c, src, o.header_optional, &ucol, &icol, err)) < 0)
            st = BOOKREC_E_PARSE;
        else if (first > 0 && !p->header)
            st = take_pair(c, src, ucol, icol, users, items, &o, p, &cap, err);
    }
    int more = 0;
    while (st == BOOKREC_OK && ucol >= 0 && (more = bookrec_csv_next(c, err)) > 0)
        st = take_pair(c, src, ucol, icol, users, items, &o, p, &cap, err);
    if (st == BOOKREC_OK && more < 0) st = err && err->code ? err->code : BOOKREC_E_PARSE;
    bookrec_csv_free(c);
    if (st != BOOKREC_OK) {
        bookrec_pairs_free(p);
        return st;
    }
    *out = p;
    return BOOKREC_OK;
}

void bookrec_pairs_free(bookrec_pairs *p) {
    if (!p) return;
    free(p->user);
    free(p->item);
    free(p);
}

/* CSR of (user, item) pairs over nu users; NULL when out of memory. */
static int csr_of(int nu, const int32_t *us, const int32_t *is, size_t n, int32_t **off, int32_t **val) {
    *off = calloc((size_t)nu + 1, sizeof **off);
    *val = malloc((n ? n : 1) * sizeof **val);
    int32_t *fill = calloc((size_t)nu + 1, sizeof *fill);
    if (!*off || !*val || !fill) { free(fill); return 0; }
    for (size_t k = 0; k < n; k++) (*off)[us[k] + 1]++;
    for (int u = 0; u < nu; u++) (*off)[u + 1] += (*off)[u];
    for (size_t k = 0; k < n; k++) (*val)[(*off)[us[k]] + fill[us[k]]++] = is[k];
    free(fill);
    return 1;
}

/* Checks that every pair is inside the model. */
static int pairs_inside(const int32_t *us, const int32_t *is, size_t n, int nu, int ni) {
    for (size_t k = 0; k < n; k++)
        if (us[k] < 0 || us[k] >= nu || is[k] < 0 || is[k] >= ni) return 0;
    return 1;
}

int bookrec_model_set_implicit_sets(bookrec_model *m, const bookrec_triples *fit, const bookrec_triples *test,
                                    const bookrec_pairs *to_read, size_t *added, bookrec_error *err) {
    if (!m || !fit) return br_fail(err, BOOKREC_E_ARG, "implicit sets: NULL model or fit part");
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int nu = c->n_users, ni = c->n_items;
    static const int32_t none = 0;
    const int32_t *us[3] = {fit->user, test ? test->user : &none, to_read ? to_read->user : &none};
    const int32_t *is[3] = {fit->item, test ? test->item : &none, to_read ? to_read->item : &none};
    size_t cnt[3] = {fit->n, test ? test->n : 0, to_read ? to_read->n : 0};
    for (int s = 0; s < 3; s++)
        if (!pairs_inside(us[s], is[s], cnt[s], nu, ni))
            return br_fail(err, BOOKREC_E_ARG, "implicit sets: a %s pair is outside the model's %d users x %d items",
                           s == 0 ? "fit" : s == 1 ? "test" : "to-read", nu, ni);
    int32_t *off[3] = {0}, *val[3] = {0};
    int32_t *mark = malloc((size_t)(ni ? ni : 1) * sizeof *mark), *o = malloc(((size_t)nu + 1) * sizeof *o);
    int32_t *items = malloc((cnt[0] + cnt[2] + 1) * sizeof *items);
    int ok = mark && o && items;
    for (int s = 0; s < 3 && ok; s++) ok = csr_of(nu, us[s], is[s], cnt[s], &off[s], &val[s]);
    int st = BOOKREC_OK;
    if (!ok) st = br_fail(err, BOOKREC_E_NOMEM, "implicit sets: out of memory");
    else {
        memset(mark, 0xff, (size_t)ni * sizeof *mark);
        size_t n = 0, add = 0;
        o[0] = 0;
        for (int u = 0; u < nu; u++) {
            for (int k = off[1][u]; k < off[1][u + 1]; k++) mark[val[1][k]] = u; /* test books: never implicit */
            for (int s = 0; s < 3; s += 2)
                for (int k = off[s][u]; k < off[s][u + 1]; k++) {
                    int32_t i = val[s][k];
                    if (mark[i] == u) continue; /* a test book, or a book already in the set */
                    mark[i] = u;
                    items[n++] = i;
                    if (s == 2) add++;
                }
            o[u + 1] = (int32_t)n;
        }
        st = bookrec_model_set_implicit(m, o, items, err);
        if (added) *added = add;
    }
    for (int s = 0; s < 3; s++) { free(off[s]); free(val[s]); }
    free(mark);
    free(o);
    free(items);
    return st;
}
