/*
 * fuzz_checksum.h - lets fuzz_model repair a mutated model file's checksum before loading it, so the
 * fuzzer explores the loader's checks behind the checksum instead of stopping at it. Format version 1
 * (models/README.md) ends with a little-endian CRC-32 (IEEE, reflected, as zlib) of every byte before
 * it. This is test support written from that description, not code bookrec uses.
 */
#ifndef FUZZ_CHECKSUM_H
#define FUZZ_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

static void fuzz_fix_checksum(uint8_t *buf, size_t len) {
    if (len < 20) return;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len - 4; i++) {
        c ^= buf[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    c ^= 0xffffffffu;
    for (int k = 0; k < 4; k++) buf[len - 4 + k] = (uint8_t)(c >> (8 * k));
}

#endif
