/*
 * goodreads.c - reading a Goodreads library export (My Books, Import and export: the
 * goodreads_library_export.csv file) and matching its rows to a books table, as the site does in
 * web/goodreads.js: columns are found by header name; a row is matched by its Goodreads book id
 * (against goodreads_book_id, then best_book_id), then by ISBN (ISBN-10 and ISBN-13 both compared as
 * ISBN-13, also against books.csv's isbn13 float that lost its last digit), then by the normalised title
 * and first author's surname (full titles first; titles without their subtitle and original titles only
 * where they point to one book). The title normalisation follows the site's (series brackets dropped,
 * lower case, no diacritics, no punctuation, no leading article); its Unicode folding covers Latin,
 * Greek, Cyrillic and Arabic letters and common punctuation, and keeps other scripts' letters as they are.
 * No file I/O: the bytes come from the caller.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ growable text */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len) {
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 64;
        while (nc < b->n + len + 1) nc *= 2;
        char *q = realloc(b->p, nc);
        if (!q) { b->oom = 1; return; }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void sb_clear(sbuf *b) {
    b->n = 0;
    if (b->p) b->p[0] = '\0';
}

/* ------------------------------------------------------------------ UTF-8 and folding */

/* Decodes the code point at s[*i] (invalid bytes come out as U+FFFD, one byte each) and moves *i past it. */
static uint32_t utf8_next(const char *str, size_t len, size_t *i) {
    const uint8_t *s = (const uint8_t *)str;
    int k = br_utf8_seq(s, len, *i);
    if (k <= 0) { (*i)++; return 0xFFFD; }
    uint32_t cp = k == 1 ? s[*i] : k == 2 ? s[*i] & 0x1Fu : k == 3 ? s[*i] & 0x0Fu : s[*i] & 0x07u;
    for (int j = 1; j < k; j++) cp = (cp << 6) | (s[*i + (size_t)j] & 0x3Fu);
    *i += (size_t)k;
    return cp;
}

static void put_cp(sbuf *b, uint32_t cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    sb_put(b, u, n);
}

/* The base letters of U+00C0..U+017F after decomposition ('*': no decomposition, lower case only; '1': "i",
   '2': "ij", '3': "l" then a separator, ' ': a separator). */
static const char latin_base[] =
    "aaaaaa*ceeeeiiii*nooooo *uuuuy**aaaaaa*ceeeeiiii*nooooo *uuuuy*y"
    "aaaaaaccccccccdd**eeeeeeeeeegggggggghh**iiiiiiii1*22jjkk*llllll3"
    "3**nnnnnn***oooooo**rrrrrrsssssssstttt**uuuuuuuuuuuuwwyyyzzzzzzs";

/* Greek letters with accents (U+0386..U+03CE) -> their base lower-case letter, 0 when not one. */
static uint32_t greek_base(uint32_t cp) {
    switch (cp) {
    case 0x386: case 0x3AC: return 0x3B1;
    case 0x388: case 0x3AD: return 0x3B5;
    case 0x389: case 0x3AE: return 0x3B7;
    case 0x38A: case 0x3AF: case 0x390: case 0x3AA: case 0x3CA: return 0x3B9;
    case 0x38C: case 0x3CC: return 0x3BF;
    case 0x38E: case 0x3CD: case 0x3B0: case 0x3AB: case 0x3CB: return 0x3C5;
    case 0x38F: case 0x3CE: return 0x3C9;
    default: return 0;
    }
}

/* Cyrillic letters with marks -> base lower-case letter; upper case -> lower case; others unchanged. */
static uint32_t cyrillic_fold(uint32_t cp) {
    switch (cp) {
    case 0x400: case 0x401: case 0x450: case 0x451: return 0x435;
    case 0x403: case 0x453: return 0x433;
    case 0x407: case 0x457: return 0x456;
    case 0x40C: case 0x45C: return 0x43A;
    case 0x40D: case 0x419: case 0x45D: case 0x439: return 0x438;
    case 0x40E: case 0x45E: return 0x443;
    default: break;
    }
    if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
    return cp;
}

/* Whether cp is a combining mark the folding removes. */
static int is_mark(uint32_t cp) {
    return (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x483 && cp <= 0x489) || (cp >= 0x591 && cp <= 0x5C7) ||
           (cp >= 0x610 && cp <= 0x61A) || (cp >= 0x64B && cp <= 0x65F) || cp == 0x670 ||
           (cp >= 0x1AB0 && cp <= 0x1AFF) ||
           (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F);
}

/* Whether cp (not ASCII, not folded above) is neither a letter nor a digit: punctuation, symbols, spaces. */
static int is_separator(uint32_t cp) {
    if (cp >= 0xA0 && cp <= 0xBF) return 1;
    if (cp == 0xD7 || cp == 0xF7) return 1;
    if (cp >= 0x2C2 && cp <= 0x2FF && !(cp >= 0x2C6 && cp <= 0x2D1) && !(cp >= 0x2E0 && cp <= 0x2E4) && cp != 0x2EC &&
        cp != 0x2EE)
        return 1;
    if (cp == 0x37E || cp == 0x375 || cp == 0x384 || cp == 0x385 || cp == 0x387) return 1;
    if (cp >= 0x55A && cp <= 0x55F) return 1;
    if (cp == 0x589 || cp == 0x58A || cp == 0x5BE || cp == 0x5C0 || cp == 0x5C3 || cp == 0x5C6 || cp == 0x5F3 ||
        cp == 0x5F4)
        return 1;
    if (cp >= 0x1680 && cp <= 0x1680) return 1;
    if (cp >= 0x2000 && cp <= 0x206F) return 1;
    if (cp >= 0x20A0 && cp <= 0x214F) return 1;
    if (cp >= 0x2190 && cp <= 0x2BFF) return 1;
    if (cp >= 0x2E00 && cp <= 0x2E7F) return 1;
    if (cp >= 0x3000 && cp <= 0x303F && !(cp >= 0x3005 && cp <= 0x3007) && !(cp >= 0x3021 && cp <= 0x3029) &&
        !(cp >= 0x3031 && cp <= 0x3035) && !(cp >= 0x3038 && cp <= 0x303C))
        return 1;
    if (cp >= 0xD800 && cp <= 0xF8FF) return 1;
    if (cp >= 0xFE10 && cp <= 0xFE1F) return 1;
    if (cp >= 0xFE30 && cp <= 0xFE6F) return 1;
    if (cp >= 0xFF61 && cp <= 0xFF65) return 1;
    if (cp >= 0xFFF0 && cp <= 0xFFFF) return 1;
    if (cp >= 0xFEFF && cp <= 0xFEFF) return 1;
    if (cp >= 0x1F000 && cp <= 0x1FBFF) return 1;
    if (cp >= 0xE0000) return 1;
    return 0;
}

/* Appends a letter or digit run piece, or one separator (a space, collapsed with the one before). */
static void put_sep(sbuf *b) {
    if (b->n && b->p[b->n - 1] != ' ') sb_put(b, " ", 1);
}

/* Whether the code point after s[i] is a letter (for the final sigma). */
static int next_is_letter(const char *s, size_t len, size_t i) {
    if (i >= len) return 0;
    uint32_t cp = utf8_next(s, len, &i);
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    return !is_separator(cp) && !is_mark(cp);
}

/* Folds one code point into b: lower case, no diacritics, '&' as " and ", apostrophes removed, every
   character that is neither letter nor digit a separator. */
static void fold_cp(sbuf *b, uint32_t cp, const char *s, size_t len, size_t next) {
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0; /* full-width ASCII */
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z') put_cp(b, cp + 32);
        else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) put_cp(b, cp);
        else if (cp == '\'' || cp == '`') return;
        else if (cp == '&') { put_sep(b); sb_put(b, "and", 3); put_sep(b); }
        else put_sep(b);
        return;
    }
    if (cp == 0x2018 || cp == 0x2019) return;
    if (is_mark(cp)) return;
    switch (cp) {
    case 0xAA: put_cp(b, 'a'); return;
    case 0xBA: put_cp(b, 'o'); return;
    case 0xB2: put_cp(b, '2'); return;
    case 0xB3: put_cp(b, '3'); return;
    case 0xB9: put_cp(b, '1'); return;
    case 0xB5: put_cp(b, 0x3BC); return;
    case 0xBC: sb_put(b, "1 4", 3); return;
    case 0xBD: sb_put(b, "1 2", 3); return;
    case 0xBE: sb_put(b, "3 4", 3); return;
    case 0x622: case 0x623: case 0x625: put_cp(b, 0x627); return; /* Arabic alef with madda or hamza */
    case 0x624: put_cp(b, 0x648); return;
    case 0x626: put_cp(b, 0x64A); return;
    case 0x6C0: put_cp(b, 0x6D5); return;
    case 0x6C2: put_cp(b, 0x6C1); return;
    case 0x6D3: put_cp(b, 0x6D2); return;
    case 0x218: case 0x219: put_cp(b, 's'); return;
    case 0x21A: case 0x21B: put_cp(b, 't'); return;
    default: break;
    }
    if (cp >= 0xC0 && cp <= 0x17F) {
        char c = latin_base[cp - 0xC0];
        if (c >= 'a' && c <= 'z') put_cp(b, (uint32_t)c);
        else if (c == '1') put_cp(b, 'i');
        else if (c == '2') sb_put(b, "ij", 2);
        else if (c == '3') { put_cp(b, 'l'); put_sep(b); }
        else if (c == ' ') put_sep(b);
        else if (cp >= 0xC0 && cp <= 0xDE) put_cp(b, cp + 0x20);
        else if (cp == 0x110 || cp == 0x126 || cp == 0x141 || cp == 0x14A || cp == 0x152 || cp == 0x166)
            put_cp(b, cp + 1);
        else put_cp(b, cp);
        return;
    }
    if (cp >= 0x386 && cp <= 0x3CE) {
        uint32_t g = greek_base(cp);
        if (g) { put_cp(b, g); return; }
        if (cp == 0x3A3) {
            int after_letter = b->n && b->p[b->n - 1] != ' ';
            put_cp(b, after_letter && !next_is_letter(s, len, next) ? 0x3C2 : 0x3C3);
            return;
        }
        if (cp >= 0x391 && cp <= 0x3A9) { put_cp(b, cp + 0x20); return; }
    }
    if (cp >= 0x400 && cp <= 0x45F) { put_cp(b, cyrillic_fold(cp)); return; }
    if (is_separator(cp)) { put_sep(b); return; }
    put_cp(b, cp);
}

/* The site's plain(): text[0..len) folded (fold_cp), one space between words, none at the ends, into b. */
static void plain(sbuf *b, const char *s, size_t len) {
    sb_clear(b);
    sb_put(b, "", 0);
    for (size_t i = 0; i < len;) {
        uint32_t cp = utf8_next(s, len, &i);
        fold_cp(b, cp, s, len, i);
    }
    if (b->n && b->p[b->n - 1] == ' ') b->p[--b->n] = '\0';
}

/* ------------------------------------------------------------------ titles and authors */

/* Length of the JavaScript \s character at s[i] (ASCII spaces, NBSP, the Unicode spaces), or 0. */
static size_t space_at(const char *s, size_t len, size_t i) {
    uint8_t c = (uint8_t)s[i];
    if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
    if (c < 0x80) return 0;
    size_t j = i;
    uint32_t cp = utf8_next(s, len, &j);
    if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
        cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
        return j - i;
    return 0;
}

/* Start of the run of spaces that ends at s[end] (not before `floor`). */
static size_t spaces_before(const char *s, size_t len, size_t floor, size_t end) {
    size_t start = end;
    for (;;) {
        size_t k = start;
        size_t back = 0;
        while (k > floor && back < 3 && ((uint8_t)s[k - 1] & 0xC0) == 0x80) { k--; back++; }
        if (k == floor) break;
        k--;
        if (space_at(s, len, k) != start - k) break;
        start = k;
    }
    return start;
}

/* The end (one past the closer) of the bracket group opened at s[i] ('(' or '['), with no bracket inside, or 0. */
static size_t group_end(const char *s, size_t len, size_t i) {
    for (size_t j = i + 1; j < len; j++) {
        if (s[j] == ')' || s[j] == ']') return j + 1;
        if (s[j] == '(' || s[j] == '[') return 0;
    }
    return 0;
}

/* Whether s[a..b) holds '#', optional spaces, then a digit or '.'. */
static int has_series_mark(const char *s, size_t len, size_t a, size_t b) {
    for (size_t k = a; k < b; k++) {
        if (s[k] != '#') continue;
        size_t q = k + 1, w;
        while (q < b && (w = space_at(s, len, q)) > 0) q += w;
        if (q < b && ((s[q] >= '0' && s[q] <= '9') || s[q] == '.')) return 1;
    }
    return 0;
}

/* The site's normTitle: title[0..len) without its trailing bracket group and any series-mark group, without a
   subtitle when !full, then plain() and no leading article, into out. */
static void norm_title(sbuf *out, sbuf *tmp, const char *t, size_t len, int full) {
    /* a trailing bracket group, with the spaces around it */
    size_t end = spaces_before(t, len, 0, len);
    for (size_t i = 0; i < end; i++) {
        if ((t[i] == '(' || t[i] == '[') && group_end(t, len, i) == end) {
            len = spaces_before(t, len, 0, i);
            break;
        }
    }
    /* series marks anywhere, each with the spaces before it, become one space */
    sb_clear(tmp);
    sb_put(tmp, "", 0);
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] != '(' && t[i] != '[') continue;
        size_t e = group_end(t, len, i);
        if (!e || e > len || !has_series_mark(t, len, i + 1, e - 1)) continue;
        size_t st = spaces_before(t, len, from, i);
        sb_put(tmp, t + from, st - from);
        sb_put(tmp, " ", 1);
        from = e;
        i = e - 1;
    }
    sb_put(tmp, t + from, len - from);
    const char *s = tmp->p;
    size_t n = tmp->n;
    if (!full) {
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            int colon = c == ':' || c == ';';
            int dash = c == '-' || (i + 3 <= n && (uint8_t)c == 0xE2 && (uint8_t)s[i + 1] == 0x80 &&
                                    ((uint8_t)s[i + 2] == 0x93 || (uint8_t)s[i + 2] == 0x94));
            if (!colon && !dash) continue;
            size_t after = i + (c == '-' || colon ? 1 : 3);
            if (after >= n || !space_at(s, n, after)) continue;
            if (dash && spaces_before(s, n, 0, i) == i) continue;
            n = i;
            break;
        }
    }
    plain(out, s, n);
    static const char *const articles[] = {"the", "a",  "an", "le",  "la",  "les", "der",
                                           "die", "das", "el", "los", "las", "il"};
    for (size_t a = 0; a < sizeof articles / sizeof articles[0]; a++) {
        size_t al = strlen(articles[a]);
        if (out->n > al && !memcmp(out->p, articles[a], al) && out->p[al] == ' ') {
            memmove(out->p, out->p + al + 1, out->n - al);
            out->n -= al + 1;
            break;
        }
    }
}

/* The site's authorKey: the surname of the first author of authors[0..len) ("Rowling, J.K." with last_first),
   without a Jr./Sr./II suffix unless last_first, lower case, into out ("" when there is none). */
static void author_key(sbuf *out, sbuf *tmp, const char *s, size_t len, int last_first) {
    const char *comma = memchr(s, ',', len);
    plain(tmp, s, comma ? (size_t)(comma - s) : len);
    sb_clear(out);
    sb_put(out, "", 0);
    size_t end = tmp->n;
    for (;;) {
        size_t st = end;
        while (st > 0 && tmp->p[st - 1] != ' ') st--;
        size_t wl = end - st;
        int suffix = !last_first && st > 0 &&
                     ((wl == 2 && (!memcmp(tmp->p + st, "jr", 2) || !memcmp(tmp->p + st, "sr", 2) ||
                                   !memcmp(tmp->p + st, "ii", 2) || !memcmp(tmp->p + st, "iv", 2))) ||
                      (wl == 3 && !memcmp(tmp->p + st, "iii", 3)));
        if (!suffix) {
            sb_put(out, tmp->p + st, wl);
            return;
        }
        end = st - 1;
    }
}

/* ------------------------------------------------------------------ ISBNs */

/* The site's cleanIsbn: the digits of s[0..len) and a final X (x upper-cased), into out (cap >= 2). */
static size_t clean_isbn(const char *s, size_t len, char *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == 'x') c = 'X';
        if ((c >= '0' && c <= '9') || c == 'X') {
            if (n + 1 >= cap) return 0; /* too long to be an ISBN */
            out[n++] = c;
        }
    }
    out[n] = '\0';
    return n;
}

/* An ISBN-10 of up to 10 characters (digits, a final X; leading zeros may be lost) as an ISBN-13 into out[14];
   returns 0, or -1 (out "") when it is not one. */
static int isbn10_to_13(const char *s, size_t n, char out[14]) {
    out[0] = '\0';
    if (n == 0 || n > 10) return -1;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && !(s[i] == 'X' && i == n - 1 && n > 1)) return -1;
    char ten[10];
    memset(ten, '0', 10 - n);
    memcpy(ten + 10 - n, s, n);
    memcpy(out, "978", 3);
    memcpy(out + 3, ten, 9);
    int sum = 0;
    for (int k = 0; k < 12; k++) sum += (out[k] - '0') * (k % 2 ? 3 : 1);
    out[12] = (char)('0' + (10 - sum % 10) % 10);
    out[13] = '\0';
    return 0;
}

/* The site's toIsbn13: any ISBN (13 digits, or 9..10 characters of an ISBN-10) in s[0..len) as an ISBN-13. */
static void to_isbn13(const char *s, size_t len, char out[14]) {
    char c[32];
    size_t n = clean_isbn(s, len, c, sizeof c);
    out[0] = '\0';
    if (n == 13) {
        for (size_t i = 0; i < 13; i++)
            if (c[i] == 'X') return;
        memcpy(out, c, 14);
    } else if (n >= 9 && n <= 10) {
        isbn10_to_13(c, n, out);
    }
}

/* The site's isbn13Lossy: the number in s rounded to 12 significant digits (half up), as the key books.csv's
   float isbn13 (9.78043902348e+12) and a reader's ISBN-13 share; "" when it is not a number of at least 1e9. */
static void isbn13_lossy(const char *s, size_t len, char out[32]) {
    double v;
    out[0] = '\0';
    s = br_trim(s, &len);
    if (!len || br_parse_number(s, len, &v) || !(v >= 1e9)) return;
    if (v < 9007199254740992.0 && v == floor(v)) {
        unsigned long long u = (unsigned long long)v, div = 1;
        int digits = 0;
        for (unsigned long long t = u; t; t /= 10) digits++;
        for (int d = 12; d < digits; d++) div *= 10;
        unsigned long long q = u / div;
        if ((u % div) * 2 >= div && div > 1) q++;
        snprintf(out, 32, "%llu", q * div);
    } else {
        snprintf(out, 32, "%.11e", v);
    }
}

/* ------------------------------------------------------------------ parsing an export */

typedef struct gr_impl {
    bookrec_goodreads pub; /* first member */
    char **blob;           /* each row's strings, one block per row */
    int cap;
} gr_impl;

void bookrec_goodreads_free(bookrec_goodreads *g) {
    if (!g) return;
    gr_impl *im = (gr_impl *)g;
    for (int k = 0; k < g->n; k++) free(im->blob[k]);
    free(im->blob);
    free(g->row);
    free(im);
}

enum { C_ID, C_TITLE, C_AUTHOR, C_AUTHOR_LF, C_ISBN, C_ISBN13, C_RATING, C_SHELF, C_SHELVES, N_COL };
static const char *const gr_columns[N_COL] = {"Book Id", "Title", "Author", "Author l-f", "ISBN",
                                              "ISBN13", "My Rating", "Exclusive Shelf", "Bookshelves"};

/* Field `col` of the current record, trimmed of ASCII white space, NBSP and BOM (s "" when absent). */
static const char *gr_field(const br_csv *c, const int *at, int col, size_t *len) {
    *len = 0;
    if (at[col] < 0 || at[col] >= c->nf) return "";
    const char *s = c->field[at[col]].s;
    size_t n = c->field[at[col]].len, w;
    while (n && (w = space_at(s, n, 0)) > 0) { s += w; n -= w; }
    while (n) {
        size_t st = spaces_before(s, n, 0, n);
        if (st == n) break;
        n = st;
    }
    *len = n;
    return s;
}

/* Whether the comma-separated shelves in s[0..len) name to-read (any case). */
static int names_to_read(const char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && s[j] != ',') j++;
        size_t a = i, b = j;
        while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
        if (b - a == 7) {
            char w[8];
            for (int k = 0; k < 7; k++) w[k] = (char)((s[a + k] >= 'A' && s[a + k] <= 'Z') ? s[a + k] + 32 : s[a + k]);
            if (!memcmp(w, "to-read", 7)) return 1;
        }
        i = j + 1;
    }
    return 0;
}

/* Reads My Rating: "" is 0 (not rated), else a whole number 0..5; -1 when it is not one. */
static int read_rating(const char *s, size_t len) {
    double v;
    if (!len) return 0;
    if (br_parse_number(s, len, &v) || v != floor(v) || v < 0 || v > 5) return -1;
    return (int)v;
}

/* Appends a cleaned copy of s[0..len) (invalid UTF-8 as U+FFFD, control characters as spaces) to b, NUL included;
   returns its offset. */
static size_t put_text(sbuf *b, const char *s, size_t len) {
    size_t at = b->n;
    for (size_t i = 0; i < len;) {
        uint32_t cp = utf8_next(s, len, &i);
        put_cp(b, cp < 0x20 || cp == 0x7F ? ' ' : cp);
    }
    sb_put(b, "", 1);
    return at;
}

/* Fills row (strings into a new block kept in im->blob[im->pub.n]) from the current record; -1 on no memory. */
static int gr_row(gr_impl *im, const br_csv *c, const int *at, int rating, bookrec_gr_row *row) {
    size_t l[N_COL];
    const char *f[N_COL];
    for (int k = 0; k < N_COL; k++) f[k] = gr_field(c, at, k, &l[k]);
    sbuf b = {0};
    size_t o_id = b.n;
    for (size_t i = 0; i < l[C_ID]; i++)
        if (f[C_ID][i] >= '0' && f[C_ID][i] <= '9') sb_put(&b, f[C_ID] + i, 1);
    sb_put(&b, "", 1);
    size_t o_title = put_text(&b, f[C_TITLE], l[C_TITLE]);
    size_t o_author = put_text(&b, f[C_AUTHOR], l[C_AUTHOR]);
    size_t o_lf = put_text(&b, f[C_AUTHOR_LF], l[C_AUTHOR_LF]);
    size_t o_shelf = b.n;
    if (l[C_SHELF]) {
        for (size_t i = 0; i < l[C_SHELF]; i++) {
            char ch = f[C_SHELF][i];
            if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
            if ((uint8_t)ch < 0x20) ch = ' ';
            sb_put(&b, &ch, 1);
        }
        sb_put(&b, "", 1);
    } else {
        const char *sh = names_to_read(f[C_SHELVES], l[C_SHELVES]) ? "to-read" : "read";
        sb_put(&b, sh, strlen(sh) + 1);
    }
    if (b.oom) { free(b.p); return -1; }
    memset(row, 0, sizeof *row);
    row->line = c->line;
    row->book_id = b.p + o_id;
    row->title = b.p + o_title;
    row->author = b.p + o_author;
    row->author_lf = b.p + o_lf;
    row->shelf = b.p + o_shelf;
    row->rating = rating;
    to_isbn13(f[C_ISBN13], l[C_ISBN13], row->isbn13[0]);
    to_isbn13(f[C_ISBN], l[C_ISBN], row->isbn13[1]);
    if (!row->isbn13[0][0] || !strcmp(row->isbn13[0], row->isbn13[1])) {
        memcpy(row->isbn13[0], row->isbn13[1], 14);
        row->isbn13[1][0] = '\0';
    }
    im->blob[im->pub.n] = b.p;
    return 0;
}

int bookrec_goodreads_parse(const char *buf, size_t len, const char *source, bookrec_goodreads **out,
                            bookrec_error *err) {
    if (!out || (!buf && len)) return br_fail(err, BOOKREC_E_ARG, "goodreads_parse: NULL argument");
    *out = NULL;
    const char *src = source ? source : "<buffer>";
    br_csv c;
    br_csv_init(&c, buf, len, src);
    gr_impl *im = calloc(1, sizeof *im);
    int rc = BOOKREC_OK;
    if (!im) { rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory"); goto fail; }
    int t = br_csv_next(&c, err);
    if (t < 0) { rc = err ? err->code : BOOKREC_E_PARSE; goto fail; }
    if (t == 0) {
        rc = br_fail(err, BOOKREC_E_EMPTY, "%s: the file is empty (expected a Goodreads library export)", src);
        goto fail;
    }
    int at[N_COL];
    for (int k = 0; k < N_COL; k++) at[k] = br_csv_column(&c, gr_columns[k]);
    if (at[C_TITLE] < 0 || (at[C_ID] < 0 && at[C_ISBN] < 0 && at[C_ISBN13] < 0)) {
        rc = br_csv_fail(&c, err, BOOKREC_E_PARSE,
                         "not a Goodreads library export: no 'Book Id' or 'Title' column (export it from Goodreads: "
                         "My Books, Import and export, Export library)");
        goto fail;
    }
    while ((t = br_csv_next(&c, err)) != 0) {
        if (t < 0) { rc = err ? err->code : BOOKREC_E_PARSE; goto fail; }
        size_t tl, il, rl;
        gr_field(&c, at, C_TITLE, &tl);
        const char *id = gr_field(&c, at, C_ID, &il);
        int digits = 0;
        for (size_t i = 0; i < il; i++) digits += id[i] >= '0' && id[i] <= '9';
        if (!tl && !digits) { im->pub.skipped++; continue; }
        const char *rs = gr_field(&c, at, C_RATING, &rl);
        int rating = read_rating(rs, rl);
        if (rating < 0) {
            char shown[48];
            rc = br_csv_fail(&c, err, BOOKREC_E_PARSE,
                             "My Rating must be a whole number 0..5 (0: not rated), got \"%s\"",
                             br_csv_show(rs, rl, shown, sizeof shown));
            goto fail;
        }
        if (im->pub.n == im->cap) {
            int nc = im->cap ? im->cap * 2 : 64;
            if (nc > 0x3fffffff) goto nomem;
            bookrec_gr_row *r = realloc(im->pub.row, sizeof *r * (size_t)nc);
            if (!r) goto nomem;
            im->pub.row = r;
            char **bl = realloc(im->blob, sizeof *bl * (size_t)nc);
            if (!bl) goto nomem;
            im->blob = bl;
            im->cap = nc;
        }
        if (gr_row(im, &c, at, rating, &im->pub.row[im->pub.n])) goto nomem;
        im->pub.n++;
    }
    br_csv_free(&c);
    *out = &im->pub;
    return br_ok(err);
nomem:
    rc = br_fail(err, BOOKREC_E_NOMEM, "%s:%ld: out of memory", src, c.line);
fail:
    br_csv_free(&c);
    bookrec_goodreads_free(im ? &im->pub : NULL);
    return rc ? rc : BOOKREC_E_PARSE;
}

/* ------------------------------------------------------------------ matching */

/* A string -> book index map (first value wins, or -1 for "more than one book" in the loose map). */
typedef struct keymap {
    bookrec_ids *keys;
    int *val;
    int cap;
} keymap;

static int km_init(keymap *m) {
    m->keys = br_ids_create();
    m->val = NULL;
    m->cap = 0;
    return m->keys ? 0 : -1;
}

static void km_free(keymap *m) {
    br_ids_free(m->keys);
    free(m->val);
}

static int km_get(const keymap *m, const char *key) {
    int k = bookrec_ids_find(m->keys, key, -1);
    return k >= 0 ? m->val[k] : -1;
}

static int km_has(const keymap *m, const char *key) {
    return bookrec_ids_find(m->keys, key, -1) >= 0;
}

/* Sets key -> i unless the key is there already; loose: a key already pointing to another book points to none
   (-1) from then on. Returns -1 on no memory. */
static int km_put(keymap *m, const char *key, int i, int loose) {
    if (!*key) return 0;
    int n = bookrec_ids_count(m->keys);
    int k = br_ids_intern(m->keys, key, (int)strlen(key));
    if (k < 0) return -1;
    if (k < n) {
        if (loose && m->val[k] != i) m->val[k] = -1;
        return 0;
    }
    if (k >= m->cap) {
        int nc = m->cap ? m->cap * 2 : 1024;
        int *q = realloc(m->val, sizeof *q * (size_t)nc);
        if (!q) return -1;
        m->val = q;
        m->cap = nc;
    }
    m->val[k] = i;
    return 0;
}

struct bookrec_gr_matcher {
    keymap gr, isbn, lossy, title; /* Goodreads ids, ISBN-13s, lossy ISBN-13s, "title|surname" */
};

void bookrec_gr_matcher_free(bookrec_gr_matcher *m) {
    if (!m) return;
    km_free(&m->gr);
    km_free(&m->isbn);
    km_free(&m->lossy);
    km_free(&m->title);
    free(m);
}

/* A books.csv id ("2767052", "2767052.0") in canonical decimal into out[32] ("" when it is not a positive whole
   number of at most 20 digits). */
static void canonical_id(const char *s, char out[32]) {
    size_t n = strlen(s);
    out[0] = '\0';
    s = br_trim(s, &n);
    size_t dot = n;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '.') { dot = i; break; }
    if (dot < n) {
        if (dot + 1 == n) return; /* "12." */
        for (size_t i = dot + 1; i < n; i++)
            if (s[i] != '0') return;
        n = dot;
    }
    if (!n) return;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return;
    while (n > 1 && *s == '0') { s++; n--; }
    if (n > 20 || (n == 1 && *s == '0')) return;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* Writes "title|surname" for title[0..len) (full or without subtitle) into key; "" when the title is empty. */
static void title_key(sbuf *key, sbuf *t1, sbuf *t2, const char *title, int full, const char *surname) {
    norm_title(t1, t2, title, strlen(title), full);
    sb_clear(key);
    sb_put(key, "", 0);
    if (!t1->n) return;
    sb_put(key, t1->p, t1->n);
    sb_put(key, "|", 1);
    sb_put(key, surname, strlen(surname));
}

/* Adds the loose title keys of one title (its full and short forms) of book i. */
static int add_loose(const keymap *full_titles, keymap *loose, sbuf *k, sbuf *t1, sbuf *t2, const char *title,
                     const char *surname, int i) {
    for (int full = 1; full >= 0; full--) {
        title_key(k, t1, t2, title, full, surname);
        if (k->oom) return -1;
        if (!k->n || km_has(full_titles, k->p)) continue;
        if (km_put(loose, k->p, i, 1)) return -1;
    }
    return 0;
}

/* Scratch text for building keys. */
typedef struct scratch {
    sbuf k, t1, t2, a;
} scratch;

static void scratch_free(scratch *s) {
    free(s->k.p);
    free(s->t1.p);
    free(s->t2.p);
    free(s->a.p);
}

/* Adds book i's ids and ISBNs (Goodreads id only; best_book_id comes in a second pass) to the maps. */
static int add_ids(bookrec_gr_matcher *m, const bookrec_item *it, int i) {
    char id[32], c[32], i13[14], lossy[32];
    canonical_id(it->extra ? it->extra : "", id);
    if (km_put(&m->gr, id, i, 0)) return -1;
    const char *isbn = it->isbn ? it->isbn : "";
    size_t n = clean_isbn(isbn, strlen(isbn), c, sizeof c);
    isbn10_to_13(c, n, i13);
    if (km_put(&m->isbn, i13, i, 0)) return -1;
    if (!i13[0]) {
        const char *f = it->isbn13 ? it->isbn13 : "";
        isbn13_lossy(f, strlen(f), lossy);
        if (km_put(&m->lossy, lossy, i, 0)) return -1;
    }
    return 0;
}

/* Adds the title keys: full titles first (first book wins), then the loose keys of titles without their subtitle
   and of original titles, kept only where they point to one book. */
static int add_titles(bookrec_gr_matcher *m, const bookrec_items *items, scratch *s) {
    keymap loose;
    if (km_init(&loose)) return -1;
    int rc = 0;
    for (int i = 0; i < items->n && !rc; i++) {
        const bookrec_item *it = &items->item[i];
        author_key(&s->a, &s->t1, it->authors ? it->authors : "", it->authors ? strlen(it->authors) : 0, 0);
        title_key(&s->k, &s->t1, &s->t2, it->title ? it->title : "", 1, s->a.p);
        rc = s->k.oom || s->a.oom || km_put(&m->title, s->k.p, i, 0);
    }
    for (int i = 0; i < items->n && !rc; i++) {
        const bookrec_item *it = &items->item[i];
        author_key(&s->a, &s->t1, it->authors ? it->authors : "", it->authors ? strlen(it->authors) : 0, 0);
        if (s->a.oom) { rc = -1; break; }
        rc = add_loose(&m->title, &loose, &s->k, &s->t1, &s->t2, it->title ? it->title : "", s->a.p, i);
        if (!rc && it->original_title && *it->original_title)
            rc = add_loose(&m->title, &loose, &s->k, &s->t1, &s->t2, it->original_title, s->a.p, i);
    }
    int nk = bookrec_ids_count(loose.keys);
    for (int k = 0; k < nk && !rc; k++)
        if (loose.val[k] >= 0) rc = km_put(&m->title, bookrec_ids_get(loose.keys, k), loose.val[k], 0);
    km_free(&loose);
    return rc ? -1 : 0;
}

int bookrec_gr_matcher_create(const bookrec_items *items, bookrec_gr_matcher **out, bookrec_error *err) {
    if (!out || !items || (items->n > 0 && !items->item))
        return br_fail(err, BOOKREC_E_ARG, "gr_matcher_create: NULL argument");
    *out = NULL;
    bookrec_gr_matcher *m = calloc(1, sizeof *m);
    scratch s = {{0}, {0}, {0}, {0}};
    int rc = !m || km_init(&m->gr) || km_init(&m->isbn) || km_init(&m->lossy) || km_init(&m->title);
    for (int i = 0; i < items->n && !rc; i++) rc = add_ids(m, &items->item[i], i);
    for (int i = 0; i < items->n && !rc; i++) {
        char best[32], gr[32];
        canonical_id(items->item[i].best_id ? items->item[i].best_id : "", best);
        canonical_id(items->item[i].extra ? items->item[i].extra : "", gr);
        if (strcmp(best, gr)) rc = km_put(&m->gr, best, i, 0);
    }
    if (!rc) rc = add_titles(m, items, &s);
    scratch_free(&s);
    if (rc) {
        bookrec_gr_matcher_free(m);
        return br_fail(err, BOOKREC_E_NOMEM, "out of memory building the Goodreads matcher");
    }
    *out = m;
    return br_ok(err);
}

/* Tries the title keys of row for one author surname; returns the book or -1. */
static int match_title(const bookrec_gr_matcher *m, const bookrec_gr_row *row, const char *surname, scratch *s) {
    for (int full = 1; full >= 0; full--) {
        title_key(&s->k, &s->t1, &s->t2, row->title ? row->title : "", full, surname);
        if (s->k.oom || !s->k.n) continue;
        int i = km_get(&m->title, s->k.p);
        if (i >= 0) return i;
    }
    return -1;
}

int bookrec_gr_match(const bookrec_gr_matcher *m, const bookrec_gr_row *row, bookrec_gr_how *how) {
    if (how) *how = BOOKREC_GR_NONE;
    if (!m || !row) return -1;
    int i;
    if (row->book_id && *row->book_id && (i = km_get(&m->gr, row->book_id)) >= 0) {
        if (how) *how = BOOKREC_GR_ID;
        return i;
    }
    for (int k = 0; k < 2; k++) {
        const char *s = row->isbn13[k];
        if (!*s) continue;
        char lossy[32];
        isbn13_lossy(s, strlen(s), lossy);
        if ((i = km_get(&m->isbn, s)) >= 0 || (*lossy && (i = km_get(&m->lossy, lossy)) >= 0)) {
            if (how) *how = BOOKREC_GR_ISBN;
            return i;
        }
    }
    scratch sc = {{0}, {0}, {0}, {0}};
    sbuf a2 = {0};
    const char *au = row->author ? row->author : "", *lf = row->author_lf ? row->author_lf : "";
    author_key(&sc.a, &sc.t1, au, strlen(au), 0);
    author_key(&a2, &sc.t1, lf, strlen(lf), 1);
    i = -1;
    if (!sc.a.oom && !a2.oom) {
        if (sc.a.n) i = match_title(m, row, sc.a.p, &sc);
        if (i < 0 && a2.n && (!sc.a.n || strcmp(sc.a.p, a2.p))) i = match_title(m, row, a2.p, &sc);
    }
    scratch_free(&sc);
    free(a2.p);
    if (i >= 0 && how) *how = BOOKREC_GR_TITLE;
    return i;
}
