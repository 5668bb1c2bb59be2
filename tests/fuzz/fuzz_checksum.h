/*
 * fuzz_checksum.h - lets fuzz_model repair a mutated model file's checksum before loading it, so the
 * fuzzer explores the loader's checks behind the checksum instead of stopping at it. It mirrors the
 * checksum of the model file format (documented in models/README.md); it is test support, not a second
 * implementation used by bookrec. Until the format is known here this is a no-op.
 */
#ifndef FUZZ_CHECKSUM_H
#define FUZZ_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

static void fuzz_fix_checksum(uint8_t *buf, size_t len) {
    (void)buf;
    (void)len;
}

#endif
