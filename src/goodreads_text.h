/*
 * goodreads_text.h - what goodreads.c's parser and matcher take from goodreads_text.c: a growable text buffer, UTF-8
 * decoding, the title and author normalisation the site's web/goodreads.js also makes, and ISBN clean-up. Private
 * to those two files, and export.c takes the text buffer.
 */
#ifndef BOOKREC_GOODREADS_TEXT_H
#define BOOKREC_GOODREADS_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

/* Appends s[0..len) to b (b->oom set when memory runs out). */
void br_gr_sb_put(sbuf *b, const char *s, size_t len);

/* Empties b, keeping its memory. */
void br_gr_sb_clear(sbuf *b);

/* Decodes the code point at s[*i] (invalid bytes come out as U+FFFD, one byte each) and moves *i past it. */
uint32_t br_gr_utf8_next(const char *str, size_t len, size_t *i);

/* Appends code point cp to b as UTF-8. */
void br_gr_put_cp(sbuf *b, uint32_t cp);

/* Length of the JavaScript \s character at s[i] (ASCII spaces, NBSP, the Unicode spaces), or 0. */
size_t br_gr_space_at(const char *s, size_t len, size_t i);

/* Start of the run of spaces that ends at s[end] (not before `floor`). */
size_t br_gr_spaces_before(const char *s, size_t len, size_t floor, size_t end);

/* The site's normTitle: title[0..len) without its trailing bracket group and any series-mark group, without a
   subtitle when !full, then plain() and no leading article, into out. */
void br_gr_norm_title(sbuf *out, sbuf *tmp, const char *t, size_t len, int full);

/* The site's authorKey: the surname of the first author of authors[0..len) ("Rowling, J.K." with last_first),
   without a Jr./Sr./II suffix unless last_first, lower case, into out ("" when there is none). */
void br_gr_author_key(sbuf *out, sbuf *tmp, const char *s, size_t len, int last_first);

/* The site's cleanIsbn: the digits of s[0..len) and a final X (x upper-cased), into out (cap >= 2). */
size_t br_gr_clean_isbn(const char *s, size_t len, char *out, size_t cap);

/* An ISBN-10 of up to 10 characters (digits, a final X; leading zeros may be lost) as an ISBN-13 into out[14];
   returns 0, or -1 (out "") when it is not one. */
int br_gr_isbn10_to_13(const char *s, size_t n, char out[14]);

/* The site's toIsbn13: any ISBN (13 digits, or 9..10 characters of an ISBN-10) in s[0..len) as an ISBN-13. */
void br_gr_to_isbn13(const char *s, size_t len, char out[14]);

/* The site's isbn13Lossy: the number in s rounded to 12 significant digits (half up), as the key books.csv's
   float isbn13 (9.78043902348e+12) and a reader's ISBN-13 share; "" when it is not a number of at least 1e9. */
void br_gr_isbn13_lossy(const char *s, size_t len, char out[32]);

#endif /* BOOKREC_GOODREADS_TEXT_H */
