/*
 * csv.c - the one CSV tokenizer of the core (RFC 4180 over a memory buffer) and the small field
 * helpers the ratings and items parsers share: trimming, a hand-written decimal number parser
 * (strtod per field is slow and locale-dependent), UTF-8 validation, message-safe quoting of bad
 * values, and the rules for reading an id column. It knows nothing about ratings or books and does
 * no file I/O: callers hand in bytes and a name to use in "FILE:LINE: what" messages. The tokenizer is
 * also public (bookrec_csv_*, an opaque wrapper) for front-ends that read other CSV files.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void br_csv_init(br_csv *c, const char *buf, size_t len, const char *source) {
    memset(c, 0, sizeof *c);
    c->buf = buf ? buf : "";
    c->len = buf ? len : 0;
    c->source = source ? source : "<buffer>";
    c->line = 1;
    c->next_line = 1;
    if (c->len >= 3 && (uint8_t)c->buf[0] == 0xEF && (uint8_t)c->buf[1] == 0xBB && (uint8_t)c->buf[2] == 0xBF)
        c->pos = 3;
}

void br_csv_free(br_csv *c) {
    if (!c) return;
    free(c->field);
    free(c->scratch);
    c->field = NULL;
    c->scratch = NULL;
    c->cap = c->nf = 0;
    c->scratch_cap = c->scratch_len = 0;
}

int br_csv_fail(const br_csv *c, bookrec_error *err, int code, const char *fmt, ...) {
    if (!err) return code;
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return br_fail(err, code, "%s:%ld: %s", c->source, c->line, msg);
}

const char *br_csv_show(const char *s, size_t len, char *out, size_t cap) {
    size_t shown = len > 40 ? 40 : len, j = 0;
    if (cap < 48) { if (cap) out[0] = '\0'; return out; }
    /* do not cut a UTF-8 sequence in half */
    while (shown < len && shown > 0 && ((uint8_t)s[shown] & 0xC0) == 0x80) shown--;
    for (size_t i = 0; i < shown; i++) {
        uint8_t b = (uint8_t)s[i];
        out[j++] = (b < 0x20 || b == 0x7f) ? '?' : (char)b;
    }
    if (shown < len) { out[j++] = '.'; out[j++] = '.'; out[j++] = '.'; }
    out[j] = '\0';
    return out;
}

/* Appends a field to the current record, growing the array. */
static int csv_push(br_csv *c, const char *s, size_t len, int quoted, size_t off) {
    if (c->nf == c->cap) {
        int nc = c->cap ? c->cap * 2 : 16;
        if (nc > (1 << 20)) return -1; /* a million columns: refuse rather than grow forever */
        br_csv_field *f = realloc(c->field, (size_t)nc * sizeof *f);
        if (!f) return -1;
        c->field = f;
        c->cap = nc;
    }
    br_csv_field *f = &c->field[c->nf++];
    f->s = s;
    f->len = len;
    f->quoted = quoted;
    f->off = off;
    return 0;
}

/* Makes room for n more scratch bytes. */
static int csv_scratch(br_csv *c, size_t n) {
    if (c->scratch_len + n <= c->scratch_cap) return 0;
    size_t nc = c->scratch_cap ? c->scratch_cap : 256;
    while (nc < c->scratch_len + n) {
        if (nc > ((size_t)-1) / 2) return -1;
        nc *= 2;
    }
    char *p = realloc(c->scratch, nc);
    if (!p) return -1;
    c->scratch = p;
    c->scratch_cap = nc;
    return 0;
}

/* Skips to just after the end of the current line (LF, CRLF or CR), counting it. */
static void csv_skip_line(br_csv *c) {
    const char *b = c->buf;
    size_t p = c->pos, n = c->len;
    while (p < n && b[p] != '\n' && b[p] != '\r') p++;
    if (p < n) {
        if (b[p] == '\r' && p + 1 < n && b[p + 1] == '\n') p++;
        p++;
        c->next_line++;
    }
    c->pos = p;
}

int br_csv_next(br_csv *c, bookrec_error *err) {
    const char *b = c->buf;
    const size_t n = c->len;
    for (;;) {
        c->nf = 0;
        c->scratch_len = 0;
        c->line = c->next_line;
        if (c->pos >= n) return 0;
        size_t p = c->pos;
        int has_scratch = 0;
        for (;;) { /* one field per turn */
            if (p < n && b[p] == '"') {
                long open_line = c->next_line;
                size_t start = ++p, run = p, off = 0;
                int escaped = 0;
                for (;;) {
                    /* find the next quote, counting line breaks on the way */
                    while (p < n && b[p] != '"') {
                        if (b[p] == '\n') c->next_line++;
                        else if (b[p] == '\r' && !(p + 1 < n && b[p + 1] == '\n')) c->next_line++;
                        p++;
                    }
                    if (p >= n) {
                        c->pos = n;
                        c->line = open_line;
                        br_csv_fail(c, err, BOOKREC_E_PARSE, "quoted field is never closed (the quote opens here)");
                        return -1;
                    }
                    if (p + 1 < n && b[p + 1] == '"') { /* "" -> one quote: copy the run to scratch */
                        if (!escaped) {
                            if (csv_scratch(c, p + 1 - start)) goto nomem;
                            off = c->scratch_len;
                            escaped = 1;
                            has_scratch = 1;
                        } else if (csv_scratch(c, p + 1 - run)) goto nomem;
                        memcpy(c->scratch + c->scratch_len, b + run, p + 1 - run);
                        c->scratch_len += p + 1 - run;
                        p += 2;
                        run = p;
                        continue;
                    }
                    break; /* the closing quote */
                }
                if (escaped) {
                    if (csv_scratch(c, p - run)) goto nomem;
                    memcpy(c->scratch + c->scratch_len, b + run, p - run);
                    c->scratch_len += p - run;
                    if (csv_push(c, NULL, c->scratch_len - off, 1, off)) goto nomem;
                } else if (csv_push(c, b + start, p - start, 1, 0)) goto nomem;
                p++; /* past the closing quote */
                if (p < n && b[p] != ',' && b[p] != '\n' && b[p] != '\r') {
                    char shown[48];
                    c->pos = p;
                    c->line = c->next_line;
                    size_t e = p;
                    while (e < n && b[e] != ',' && b[e] != '\n' && b[e] != '\r') e++;
                    br_csv_fail(c, err, BOOKREC_E_PARSE, "unexpected text \"%s\" after a closing quote",
                                br_csv_show(b + p, e - p, shown, sizeof shown));
                    csv_skip_line(c);
                    return -1;
                }
            } else {
                size_t start = p;
                while (p < n && b[p] != ',' && b[p] != '\n' && b[p] != '\r') p++;
                if (csv_push(c, b + start, p - start, 0, 0)) goto nomem;
            }
            /* after a field: a separator, a line break, or the end */
            if (p < n && b[p] == ',') { p++; continue; }
            if (p < n) {
                if (b[p] == '\r' && p + 1 < n && b[p + 1] == '\n') p++;
                p++;
                c->next_line++;
            }
            break;
        }
        c->pos = p;
        if (has_scratch)
            for (int i = 0; i < c->nf; i++)
                if (!c->field[i].s) c->field[i].s = c->scratch + c->field[i].off;
        if (c->nf == 1 && c->field[0].len == 0 && !c->field[0].quoted) continue; /* blank line */
        return 1;
    }
nomem:
    br_fail(err, BOOKREC_E_NOMEM, "%s:%ld: out of memory while reading a record", c->source, c->line);
    c->pos = c->len;
    return -1;
}

const char *br_trim(const char *s, size_t *len) {
    size_t n = *len;
    while (n && (*s == ' ' || *s == '\t')) { s++; n--; }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    *len = n;
    return s;
}

static int ascii_ieq(const char *a, size_t alen, const char *b) {
    size_t blen = strlen(b);
    if (alen != blen) return 0;
    for (size_t i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
    }
    return 1;
}

/* Looks for each header field equal to name (ASCII case and outer spaces ignored): returns the
   first index and counts all matches into *count. */
static int csv_find(const br_csv *c, const char *name, int *count) {
    size_t nl = strlen(name);
    const char *nm = br_trim(name, &nl);
    char want[256];
    *count = 0;
    if (nl >= sizeof want) return -1;
    memcpy(want, nm, nl);
    want[nl] = '\0';
    int first = -1;
    for (int i = 0; i < c->nf; i++) {
        size_t l = c->field[i].len;
        const char *s = br_trim(c->field[i].s, &l);
        if (ascii_ieq(s, l, want)) {
            if (first < 0) first = i;
            (*count)++;
        }
    }
    return first;
}

int br_csv_column(const br_csv *c, const char *name) {
    int count;
    return csv_find(c, name, &count);
}

int br_csv_column_count(const br_csv *c, const char *name) {
    int count;
    csv_find(c, name, &count);
    return count;
}

static const double br_pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int br_parse_number(const char *s, size_t len, double *out) {
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
    uint64_t mant = 0;
    int digits = 0, sig = 0, exp10 = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (sig < 19) { mant = mant * 10 + (uint64_t)(s[i] - '0'); if (mant) sig++; }
        else exp10++;
        digits++;
        i++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (sig < 19) { mant = mant * 10 + (uint64_t)(s[i] - '0'); if (mant) sig++; exp10--; }
            digits++;
            i++;
        }
    }
    if (!digits) return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0, e = 0, ed = 0;
        if (i < len && (s[i] == '+' || s[i] == '-')) { eneg = s[i] == '-'; i++; }
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (e < 10000) e = e * 10 + (s[i] - '0');
            ed++;
            i++;
        }
        if (!ed) return -1;
        exp10 += eneg ? -e : e;
    }
    if (i != len) return -1;
    double v = (double)mant;
    if (mant == 0) v = 0.0;
    else if (exp10 < 0) {
        if (exp10 >= -22) v /= br_pow10[-exp10];
        else v = v * pow(10.0, exp10);
    } else if (exp10 > 0) {
        if (exp10 <= 22) v *= br_pow10[exp10];
        else v = v * pow(10.0, exp10);
    }
    if (!isfinite(v)) return -1;
    *out = neg ? -v : v;
    return 0;
}

int br_utf8_seq(const uint8_t *s, size_t len, size_t i) {
    uint8_t b = s[i];
    if (b < 0x80) return 1;
    int need;
    uint32_t cp;
    if (b >= 0xC2 && b <= 0xDF) { need = 1; cp = b & 0x1F; }
    else if (b >= 0xE0 && b <= 0xEF) { need = 2; cp = b & 0x0F; }
    else if (b >= 0xF0 && b <= 0xF4) { need = 3; cp = b & 0x07; }
    else return 0;
    if (len - i <= (size_t)need) return 0;
    for (int k = 1; k <= need; k++) {
        if ((s[i + k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    return need + 1;
}

int br_utf8_valid(const char *str, size_t len) {
    const uint8_t *s = (const uint8_t *)str;
    for (size_t i = 0; i < len;) {
        int n = br_utf8_seq(s, len, i);
        if (n == 0) return 0;
        i += (size_t)n;
    }
    return 1;
}

/* Reads s as a plain integer (optional sign, 1..10 digits); returns 0 and *v, or -1. Sets *lead0 when
   it has a leading zero (other than "0" itself). */
static int id_integer(const char *s, size_t len, long long *v, int *lead0) {
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
    if (i == len || len - i > 10) return -1;
    *lead0 = (s[i] == '0' && len - i > 1);
    long long x = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = neg ? -x : x;
    return 0;
}

int br_idcol_read(br_idcol *col, const char *s, size_t len, char tmp[16], const char **out, int *out_len,
                  long *num, char *why, size_t why_cap) {
    char shown[48];
    const char *what = col->what ? col->what : "id";
    s = br_trim(s, &len);
    *num = -1;
    if (len == 0) { snprintf(why, why_cap, "%s is empty", what); return -1; }
    int max_len = col->max_len > 0 ? col->max_len : 64;
    long long v = 0;
    int lead0 = 0;
    int is_int = id_integer(s, len, &v, &lead0) == 0;
    if (col->mode == 0) col->mode = (is_int && !lead0) ? 1 : 2;
    if (col->mode == 1) {
        if (!is_int) {
            if (len > 10 && len <= 64) {
                int all = 1;
                for (size_t i = (s[0] == '-' || s[0] == '+'); i < len; i++) all &= (s[i] >= '0' && s[i] <= '9');
                if (all) {
                    snprintf(why, why_cap, "%s %s is out of range (expected 1..2147483647)", what,
                             br_csv_show(s, len, shown, sizeof shown));
                    return -1;
                }
            }
            snprintf(why, why_cap, "%s \"%s\" is not a whole number (this column's ids are numeric)", what,
                     br_csv_show(s, len, shown, sizeof shown));
            return -1;
        }
        if (v <= 0 || v > 2147483647LL) {
            snprintf(why, why_cap, "%s %lld is out of range (expected 1..2147483647)", what, v);
            return -1;
        }
        if (s[0] >= '1' && s[0] <= '9') { /* already canonical: no sign, no leading zero */
            *out = s;
            *out_len = (int)len;
        } else {
            *out = tmp;
            *out_len = snprintf(tmp, 16, "%lld", v);
        }
        *num = (long)v;
        return 0;
    }
    if (len > (size_t)max_len) {
        snprintf(why, why_cap, "%s \"%s\" is too long (%zu bytes, at most %d)", what,
                 br_csv_show(s, len, shown, sizeof shown), len, max_len);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)s[i];
        if (b < 0x20 || b == 0x7f) {
            snprintf(why, why_cap, "%s \"%s\" contains a control character", what,
                     br_csv_show(s, len, shown, sizeof shown));
            return -1;
        }
    }
    if (!br_utf8_valid(s, len)) {
        snprintf(why, why_cap, "%s \"%s\" is not valid UTF-8", what, br_csv_show(s, len, shown, sizeof shown));
        return -1;
    }
    *out = s;
    *out_len = (int)len;
    return 0;
}

/* ---------------------------------------------------------------- the public tokenizer (bookrec.h) */

struct bookrec_csv {
    br_csv c;
};

int bookrec_csv_create(const char *buf, size_t len, const char *source, bookrec_csv **out, bookrec_error *err) {
    if (!out) return br_fail(err, BOOKREC_E_ARG, "bookrec_csv_create: out is NULL");
    *out = NULL;
    if (!buf && len) return br_fail(err, BOOKREC_E_ARG, "bookrec_csv_create: NULL buffer of %zu bytes", len);
    bookrec_csv *t = malloc(sizeof *t);
    if (!t) return br_fail(err, BOOKREC_E_NOMEM, "out of memory for a CSV tokenizer");
    br_csv_init(&t->c, buf, len, source);
    *out = t;
    return br_ok(err);
}

void bookrec_csv_free(bookrec_csv *c) {
    if (!c) return;
    br_csv_free(&c->c);
    free(c);
}

int bookrec_csv_next(bookrec_csv *c, bookrec_error *err) {
    if (!c) {
        br_fail(err, BOOKREC_E_ARG, "bookrec_csv_next: NULL tokenizer");
        return -1;
    }
    return br_csv_next(&c->c, err);
}

int bookrec_csv_count(const bookrec_csv *c) { return c ? c->c.nf : 0; }

const char *bookrec_csv_field(const bookrec_csv *c, int f, size_t *len) {
    if (len) *len = 0;
    if (!c || f < 0 || f >= c->c.nf) return NULL;
    if (len) *len = c->c.field[f].len;
    return c->c.field[f].s;
}

long bookrec_csv_line(const bookrec_csv *c) { return c ? c->c.line : 0; }

int bookrec_csv_column(const bookrec_csv *c, const char *name) { return c && name ? br_csv_column(&c->c, name) : -1; }

int bookrec_csv_integer(const bookrec_csv *c, int f, const char *what, long lo, long hi, long *out,
                        bookrec_error *err) {
    if (!c || !what || !out) return br_fail(err, BOOKREC_E_ARG, "bookrec_csv_integer: NULL argument");
    if (f < 0 || f >= c->c.nf) return br_csv_fail(&c->c, err, BOOKREC_E_PARSE, "missing %s", what);
    size_t len = c->c.field[f].len;
    const char *s = br_trim(c->c.field[f].s, &len);
    double v;
    char show[48];
    if (br_parse_number(s, len, &v) != 0 || v != floor(v) || v < (double)lo || v > (double)hi)
        return br_csv_fail(&c->c, err, BOOKREC_E_PARSE, "%s must be an integer in %ld..%ld, got \"%s\"", what, lo, hi,
                           br_csv_show(s, len, show, sizeof show));
    *out = (long)v;
    return br_ok(err);
}
