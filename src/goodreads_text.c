/*
 * goodreads_text.c - the text side of the Goodreads matcher (goodreads.c): a growable buffer, UTF-8 decoding, the
 * Unicode folding (Latin, Greek, Cyrillic and Arabic letters, common punctuation; other scripts kept), the title and
 * author normalisation that web/goodreads.js also makes, and ISBN clean-up (ISBN-10 to ISBN-13, books.csv's lossy
 * isbn13 floats). No file I/O; not the parser or the matcher.
 */
#include "internal.h"
#include "goodreads_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ growable text */

void br_gr_sb_put(sbuf *b, const char *s, size_t len) {
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

void br_gr_sb_clear(sbuf *b) {
    b->n = 0;
    if (b->p) b->p[0] = '\0';
}

/* ------------------------------------------------------------------ UTF-8 and folding */

/* Decodes the code point at s[*i] (invalid bytes come out as U+FFFD, one byte each) and moves *i past it. */
uint32_t br_gr_utf8_next(const char *str, size_t len, size_t *i) {
    const uint8_t *s = (const uint8_t *)str;
    int k = br_utf8_seq(s, len, *i);
    if (k <= 0) { (*i)++; return 0xFFFD; }
    uint32_t cp = k == 1 ? s[*i] : k == 2 ? s[*i] & 0x1Fu : k == 3 ? s[*i] & 0x0Fu : s[*i] & 0x07u;
    for (int j = 1; j < k; j++) cp = (cp << 6) | (s[*i + (size_t)j] & 0x3Fu);
    *i += (size_t)k;
    return cp;
}

void br_gr_put_cp(sbuf *b, uint32_t cp) {
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
    br_gr_sb_put(b, u, n);
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
    if (b->n && b->p[b->n - 1] != ' ') br_gr_sb_put(b, " ", 1);
}

/* Whether the code point after s[i] is a letter (for the final sigma). */
static int next_is_letter(const char *s, size_t len, size_t i) {
    if (i >= len) return 0;
    uint32_t cp = br_gr_utf8_next(s, len, &i);
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    return !is_separator(cp) && !is_mark(cp);
}

/* Folds one code point into b: lower case, no diacritics, '&' as " and ", apostrophes removed, every
   character that is neither letter nor digit a separator. */
static void fold_cp(sbuf *b, uint32_t cp, const char *s, size_t len, size_t next) {
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0; /* full-width ASCII */
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z') br_gr_put_cp(b, cp + 32);
        else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) br_gr_put_cp(b, cp);
        else if (cp == '\'' || cp == '`') return;
        else if (cp == '&') { put_sep(b); br_gr_sb_put(b, "and", 3); put_sep(b); }
        else put_sep(b);
        return;
    }
    if (cp == 0x2018 || cp == 0x2019) return;
    if (is_mark(cp)) return;
    switch (cp) {
    case 0xAA: br_gr_put_cp(b, 'a'); return;
    case 0xBA: br_gr_put_cp(b, 'o'); return;
    case 0xB2: br_gr_put_cp(b, '2'); return;
    case 0xB3: br_gr_put_cp(b, '3'); return;
    case 0xB9: br_gr_put_cp(b, '1'); return;
    case 0xB5: br_gr_put_cp(b, 0x3BC); return;
    case 0xBC: br_gr_sb_put(b, "1 4", 3); return;
    case 0xBD: br_gr_sb_put(b, "1 2", 3); return;
    case 0xBE: br_gr_sb_put(b, "3 4", 3); return;
    case 0x622: case 0x623: case 0x625: br_gr_put_cp(b, 0x627); return; /* Arabic alef with madda or hamza */
    case 0x624: br_gr_put_cp(b, 0x648); return;
    case 0x626: br_gr_put_cp(b, 0x64A); return;
    case 0x6C0: br_gr_put_cp(b, 0x6D5); return;
    case 0x6C2: br_gr_put_cp(b, 0x6C1); return;
    case 0x6D3: br_gr_put_cp(b, 0x6D2); return;
    case 0x218: case 0x219: br_gr_put_cp(b, 's'); return;
    case 0x21A: case 0x21B: br_gr_put_cp(b, 't'); return;
    default: break;
    }
    if (cp >= 0xC0 && cp <= 0x17F) {
        char c = latin_base[cp - 0xC0];
        if (c >= 'a' && c <= 'z') br_gr_put_cp(b, (uint32_t)c);
        else if (c == '1') br_gr_put_cp(b, 'i');
        else if (c == '2') br_gr_sb_put(b, "ij", 2);
        else if (c == '3') { br_gr_put_cp(b, 'l'); put_sep(b); }
        else if (c == ' ') put_sep(b);
        else if (cp >= 0xC0 && cp <= 0xDE) br_gr_put_cp(b, cp + 0x20);
        else if (cp == 0x110 || cp == 0x126 || cp == 0x141 || cp == 0x14A || cp == 0x152 || cp == 0x166)
            br_gr_put_cp(b, cp + 1);
        else br_gr_put_cp(b, cp);
        return;
    }
    if (cp >= 0x386 && cp <= 0x3CE) {
        uint32_t g = greek_base(cp);
        if (g) { br_gr_put_cp(b, g); return; }
        if (cp == 0x3A3) {
            int after_letter = b->n && b->p[b->n - 1] != ' ';
            br_gr_put_cp(b, after_letter && !next_is_letter(s, len, next) ? 0x3C2 : 0x3C3);
            return;
        }
        if (cp >= 0x391 && cp <= 0x3A9) { br_gr_put_cp(b, cp + 0x20); return; }
    }
    if (cp >= 0x400 && cp <= 0x45F) { br_gr_put_cp(b, cyrillic_fold(cp)); return; }
    if (is_separator(cp)) { put_sep(b); return; }
    br_gr_put_cp(b, cp);
}

/* The site's plain(): text[0..len) folded (fold_cp), one space between words, none at the ends, into b. */
static void plain(sbuf *b, const char *s, size_t len) {
    br_gr_sb_clear(b);
    br_gr_sb_put(b, "", 0);
    for (size_t i = 0; i < len;) {
        uint32_t cp = br_gr_utf8_next(s, len, &i);
        fold_cp(b, cp, s, len, i);
    }
    if (b->n && b->p[b->n - 1] == ' ') b->p[--b->n] = '\0';
}

/* ------------------------------------------------------------------ titles and authors */

/* Length of the JavaScript \s character at s[i] (ASCII spaces, NBSP, the Unicode spaces), or 0. */
size_t br_gr_space_at(const char *s, size_t len, size_t i) {
    uint8_t c = (uint8_t)s[i];
    if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
    if (c < 0x80) return 0;
    size_t j = i;
    uint32_t cp = br_gr_utf8_next(s, len, &j);
    if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
        cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
        return j - i;
    return 0;
}

/* Start of the run of spaces that ends at s[end] (not before `floor`). */
size_t br_gr_spaces_before(const char *s, size_t len, size_t floor, size_t end) {
    size_t start = end;
    for (;;) {
        size_t k = start;
        size_t back = 0;
        while (k > floor && back < 3 && ((uint8_t)s[k - 1] & 0xC0) == 0x80) { k--; back++; }
        if (k == floor) break;
        k--;
        if (br_gr_space_at(s, len, k) != start - k) break;
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
        while (q < b && (w = br_gr_space_at(s, len, q)) > 0) q += w;
        if (q < b && ((s[q] >= '0' && s[q] <= '9') || s[q] == '.')) return 1;
    }
    return 0;
}

/* The site's normTitle: title[0..len) without its trailing bracket group and any series-mark group, without a
   subtitle when !full, then plain() and no leading article, into out. */
void br_gr_norm_title(sbuf *out, sbuf *tmp, const char *t, size_t len, int full) {
    /* a trailing bracket group, with the spaces around it */
    size_t end = br_gr_spaces_before(t, len, 0, len);
    for (size_t i = 0; i < end; i++) {
        if ((t[i] == '(' || t[i] == '[') && group_end(t, len, i) == end) {
            len = br_gr_spaces_before(t, len, 0, i);
            break;
        }
    }
    /* series marks anywhere, each with the spaces before it, become one space */
    br_gr_sb_clear(tmp);
    br_gr_sb_put(tmp, "", 0);
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] != '(' && t[i] != '[') continue;
        size_t e = group_end(t, len, i);
        if (!e || e > len || !has_series_mark(t, len, i + 1, e - 1)) continue;
        size_t st = br_gr_spaces_before(t, len, from, i);
        br_gr_sb_put(tmp, t + from, st - from);
        br_gr_sb_put(tmp, " ", 1);
        from = e;
        i = e - 1;
    }
    br_gr_sb_put(tmp, t + from, len - from);
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
            if (after >= n || !br_gr_space_at(s, n, after)) continue;
            if (dash && br_gr_spaces_before(s, n, 0, i) == i) continue;
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
void br_gr_author_key(sbuf *out, sbuf *tmp, const char *s, size_t len, int last_first) {
    const char *comma = memchr(s, ',', len);
    plain(tmp, s, comma ? (size_t)(comma - s) : len);
    br_gr_sb_clear(out);
    br_gr_sb_put(out, "", 0);
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
            br_gr_sb_put(out, tmp->p + st, wl);
            return;
        }
        end = st - 1;
    }
}

/* ------------------------------------------------------------------ ISBNs */

/* The site's cleanIsbn: the digits of s[0..len) and a final X (x upper-cased), into out (cap >= 2). */
size_t br_gr_clean_isbn(const char *s, size_t len, char *out, size_t cap) {
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
int br_gr_isbn10_to_13(const char *s, size_t n, char out[14]) {
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
void br_gr_to_isbn13(const char *s, size_t len, char out[14]) {
    char c[32];
    size_t n = br_gr_clean_isbn(s, len, c, sizeof c);
    out[0] = '\0';
    if (n == 13) {
        for (size_t i = 0; i < 13; i++)
            if (c[i] == 'X') return;
        memcpy(out, c, 14);
    } else if (n >= 9 && n <= 10) {
        br_gr_isbn10_to_13(c, n, out);
    }
}

/* The site's isbn13Lossy: the number in s rounded to 12 significant digits (half up), as the key books.csv's
   float isbn13 (9.78043902348e+12) and a reader's ISBN-13 share; "" when it is not a number of at least 1e9. */
void br_gr_isbn13_lossy(const char *s, size_t len, char out[32]) {
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
