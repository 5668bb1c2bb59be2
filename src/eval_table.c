/*
 * eval_table.c - the table of figures of bookrec's evaluation (rows by columns, a figure or mean ± sd over seeds per
 * cell), the sink through which src/evaluation.c fills it, and its text and Markdown renderings as strings.
 * Not here: the figures (src/evaluation.c), writing or printing them, the JSON (front-ends).
 */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bookrec_eval_table_init(bookrec_eval_table *t) { memset(t, 0, sizeof *t); }

static int col_find(const bookrec_eval_table *t, const char *key) {
    for (int c = 0; c < t->n_cols; c++)
        if (!strcmp(t->col[c].key, key)) return c;
    return -1;
}

/* Adds (or finds) a column; returns its index, -1 when full. */
static int add_col(void *ctx, const char *key, const char *title, int decimals) {
    bookrec_eval_table *t = ctx;
    int c = col_find(t, key);
    if (c >= 0) return c;
    if (t->n_cols >= BOOKREC_EVAL_MAX_COLS) return t->overflow = 1, -1;
    bookrec_eval_col *col = &t->col[t->n_cols];
    snprintf(col->key, sizeof col->key, "%s", key);
    snprintf(col->title, sizeof col->title, "%s", title);
    col->decimals = decimals;
    return t->n_cols++;
}

/* Adds a row with every value unmeasured; returns its index, -1 when full. */
static int add_row(void *ctx, const char *name, const char *note) {
    bookrec_eval_table *t = ctx;
    if (t->n_rows >= BOOKREC_EVAL_MAX_ROWS) return t->overflow = 1, -1;
    bookrec_eval_row *r = &t->row[t->n_rows];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->note, sizeof r->note, "%s", note ? note : "");
    for (int c = 0; c < BOOKREC_EVAL_MAX_COLS; c++) r->v[c] = r->sd[c] = r->lo[c] = r->hi[c] = NAN;
    return t->n_rows++;
}

static void set_stat(void *ctx, int row, const char *key, double mean, double sd, double lo, double hi) {
    bookrec_eval_table *t = ctx;
    int c = col_find(t, key);
    if (c < 0 || row < 0 || row >= t->n_rows) return;
    bookrec_eval_row *r = &t->row[row];
    r->v[c] = mean;
    r->sd[c] = sd;
    r->lo[c] = lo;
    r->hi[c] = hi;
}

static void set(void *ctx, int row, const char *key, double v) { set_stat(ctx, row, key, v, NAN, NAN, NAN); }

static double get(void *ctx, int row, const char *key) {
    const bookrec_eval_table *t = ctx;
    int c = col_find(t, key);
    return c < 0 || row < 0 || row >= t->n_rows ? NAN : t->row[row].v[c];
}

static int n_rows(void *ctx) { return ((const bookrec_eval_table *)ctx)->n_rows; }

bookrec_eval_sink bookrec_eval_table_sink(bookrec_eval_table *t) {
    return (bookrec_eval_sink){t, add_col, add_row, set, set_stat, get, n_rows};
}

/* ------------------------------------------------------------------ renderings */

/* A growing string; oom is set once an allocation failed. */
typedef struct strbuf {
    char *s;
    size_t n, cap;
    int oom;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (n < 0 || b->oom) return;
    if (!b->s || b->n + (size_t)n >= b->cap) {
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
        va_start(ap, fmt);
        vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
    }
    b->n += (size_t)n;
}

static int sb_done(strbuf *b, char **out, bookrec_error *err) {
    if (b->oom || !b->s) {
        free(b->s);
        return br_fail(err, BOOKREC_E_NOMEM, "evaluation table: out of memory");
    }
    *out = b->s;
    return br_ok(err);
}

static void fmt_cell(const bookrec_eval_table *t, int r, int c, char *buf, size_t cap) {
    double v = t->row[r].v[c], sd = t->row[r].sd[c];
    int d = t->col[c].decimals;
    if (isnan(v)) snprintf(buf, cap, "-");
    else if (isnan(sd)) snprintf(buf, cap, "%.*f", d, v);
    else snprintf(buf, cap, "%.*f±%.*f", d, v, d, sd);
}

/* The width of a cell: ± is 2 bytes, one column. */
static int cell_width(const char *cell) { return (int)strlen(cell) - (strstr(cell, "±") ? 1 : 0); }

/* One block of columns c0..c1 (at most 6) of the text rendering. */
static void text_block(const bookrec_eval_table *t, int c0, int c1, int wn, strbuf *b) {
    int w[6], last = c1 == t->n_cols;
    char cell[64];
    for (int c = c0; c < c1; c++) {
        w[c - c0] = (int)strlen(t->col[c].title);
        for (int r = 0; r < t->n_rows; r++) {
            fmt_cell(t, r, c, cell, sizeof cell);
            if (cell_width(cell) > w[c - c0]) w[c - c0] = cell_width(cell);
        }
    }
    if (c0 > 0) sb_printf(b, "\n");
    sb_printf(b, "%-*s", wn, "model");
    for (int c = c0; c < c1; c++) sb_printf(b, "  %*s", w[c - c0], t->col[c].title);
    sb_printf(b, last ? "  notes\n" : "\n");
    for (int r = 0; r < t->n_rows; r++) {
        sb_printf(b, "%-*s", wn, t->row[r].name);
        for (int c = c0; c < c1; c++) {
            fmt_cell(t, r, c, cell, sizeof cell);
            sb_printf(b, "  %*s", w[c - c0] + (int)strlen(cell) - cell_width(cell), cell);
        }
        if (last) sb_printf(b, "  %s", t->row[r].note);
        sb_printf(b, "\n");
    }
}

int bookrec_eval_table_text(const bookrec_eval_table *t, char **out, bookrec_error *err) {
    if (!t || !out) return br_fail(err, BOOKREC_E_ARG, "evaluation table: NULL argument");
    strbuf b = {0};
    sb_printf(&b, "%s", "");
    int wn = 5;
    for (int r = 0; r < t->n_rows; r++)
        if ((int)strlen(t->row[r].name) > wn) wn = (int)strlen(t->row[r].name);
    for (int c0 = 0; c0 < t->n_cols; c0 += 6) text_block(t, c0, c0 + 6 < t->n_cols ? c0 + 6 : t->n_cols, wn, &b);
    return sb_done(&b, out, err);
}

int bookrec_eval_table_markdown(const bookrec_eval_table *t, const char *caption, char **out, bookrec_error *err) {
    if (!t || !out) return br_fail(err, BOOKREC_E_ARG, "evaluation table: NULL argument");
    strbuf b = {0};
    sb_printf(&b, "%s\n\n| model |", caption ? caption : "");
    for (int c = 0; c < t->n_cols; c++) sb_printf(&b, " %s |", t->col[c].title);
    sb_printf(&b, " notes |\n|---|");
    for (int c = 0; c < t->n_cols; c++) sb_printf(&b, "---:|");
    sb_printf(&b, "---|\n");
    for (int r = 0; r < t->n_rows; r++) {
        sb_printf(&b, "| %s |", t->row[r].name);
        for (int c = 0; c < t->n_cols; c++) {
            char cell[64];
            fmt_cell(t, r, c, cell, sizeof cell);
            sb_printf(&b, " %s |", cell);
        }
        sb_printf(&b, " %s |\n", t->row[r].note);
    }
    return sb_done(&b, out, err);
}
