/*
 * errors.c - status codes to text and the detailed error helper used by every core function.
 * Not a logger: the core never prints; callers decide what to show.
 */
#include "internal.h"
#include <stdio.h>
#include <string.h>

const char *bookrec_strerror(int code) {
    switch (code) {
    case BOOKREC_OK: return "ok";
    case BOOKREC_E_NOMEM: return "out of memory";
    case BOOKREC_E_ARG: return "bad argument";
    case BOOKREC_E_PARSE: return "malformed CSV input";
    case BOOKREC_E_FORMAT: return "malformed or incompatible model file";
    case BOOKREC_E_STATE: return "call not allowed in the object's state";
    case BOOKREC_E_EMPTY: return "no usable data";
    default: return "unknown error";
    }
}

int br_fail(bookrec_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int br_ok(bookrec_error *err) {
    if (err) {
        err->code = BOOKREC_OK;
        err->msg[0] = '\0';
    }
    return BOOKREC_OK;
}
