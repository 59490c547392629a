/*
 * tg_lut_decode_weights: a convolution's or fully connected layer's shared weights (LUT.md)
 * decoded into out, int8 [rows][count] (the int8 layout), for a specialized int8 kernel to run
 * on (tinygen/codegen/lut_decode.py emits the call before the kernel's inline body). Indices of
 * 2, 4 or 8 bits, which never straddle a word, are read a word at a time, each field with a
 * constant shift (4 bits: the values assembled into words); 1 and 3 bits 8 indices at a time from
 * the bytes that hold them; 5, 6 and 7 bits one at a time through the reader.
 * tg_lut_decode_rows decodes some rows only (a block of a fully connected layer).
 * numpy twin: tinygen.quant.pack_lut.unpack_lut.
 */
#include <string.h>

#include "tg_kernels_lut.h"
#include "tg_lut.h"

/* table[(w >> sh) & 15] as the low byte of a word */
#define TG_LUT_NIBBLE(table, w, sh) ((uint32_t)(uint8_t)(table)[((w) >> (sh)) & 15u])

/* `count` 4-bit indices from row: on a little-endian core, 8 a word, their values stored as two
   words (4 loads of a table byte, 3 ORs and a store per 4 weights) */
static void tg_lut_decode_nibbles(const uint32_t *row, int32_t count, const int8_t *table, int8_t *out)
{
    int32_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 8 <= count; i += 8) {
        const uint32_t w = *row++;
        const uint32_t lo = TG_LUT_NIBBLE(table, w, 0) | (TG_LUT_NIBBLE(table, w, 4) << 8) |
                            (TG_LUT_NIBBLE(table, w, 8) << 16) | (TG_LUT_NIBBLE(table, w, 12) << 24);
        const uint32_t hi = TG_LUT_NIBBLE(table, w, 16) | (TG_LUT_NIBBLE(table, w, 20) << 8) |
                            (TG_LUT_NIBBLE(table, w, 24) << 16) | (TG_LUT_NIBBLE(table, w, 28) << 24);
        memcpy(&out[i], &lo, 4);
        memcpy(&out[i + 4], &hi, 4);
    }
#endif
    for (; i < count; i += 8) {
        const uint32_t w = *row++;
        int32_t j;
        for (j = 0; j < 8 && i + j < count; ++j) {
            out[i + j] = table[(w >> (4 * j)) & 15u];
        }
    }
}

/* `count` indices of `bits` bits (2, 4 or 8: a divisor of 32) from row, looked up in table. */
static inline void tg_lut_decode_words(const uint32_t *row, int32_t count, const int8_t *table, int8_t *out,
                                       const int32_t bits)
{
    const int32_t per_word = 32 / bits;
    const uint32_t mask = (1u << bits) - 1u;
    int32_t i = 0;
    int32_t j;

    for (; i + per_word <= count; i += per_word) {
        const uint32_t w = *row++;
        for (j = 0; j < per_word; ++j) {
            out[i + j] = table[(w >> (j * bits)) & mask];
        }
    }
    if (i < count) {
        const uint32_t w = *row;
        for (j = 0; i + j < count; ++j) {
            out[i + j] = table[(w >> (j * bits)) & mask];
        }
    }
}

/* `count` indices of `bits` bits (1 or 3: 8 of them fill whole bytes, and a 32-bit register) from
   row: on a little-endian core, 8 at a time from the `bits` bytes that hold them; the last few
   through the reader. */
static inline void tg_lut_decode_octets(const uint32_t *row, int32_t count, const int8_t *table, int8_t *out,
                                        const int32_t bits)
{
    const uint32_t mask = (1u << bits) - 1u;
    int32_t i = 0;
    int32_t j;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint8_t *bytes = (const uint8_t *)(const void *)row;
    for (; i + 8 <= count; i += 8) {
        uint32_t v = 0u;
        for (j = 0; j < bits; ++j) {
            v |= (uint32_t)bytes[j] << (8 * j);
        }
        bytes += bits;
        for (j = 0; j < 8; ++j) {
            out[i + j] = table[(v >> (j * bits)) & mask];
        }
    }
#endif
    if (i < count) {
        tg_lut_reader_t r = tg_lut_reader(row, i, bits);
        for (; i < count; ++i) {
            out[i] = table[tg_lut_read(&r)];
        }
    }
}

void tg_lut_decode_rows(const uint32_t *packed, int32_t first, int32_t rows, int32_t count, int8_t *out)
{
    const tg_lut_t lut = tg_lut_open(packed);
    int32_t o;

    for (o = 0; o < rows; ++o) {
        const uint32_t *row = tg_lut_row(&lut, first + o);
        const int8_t *table = tg_lut_table(&lut, first + o);
        int8_t *dst = &out[o * count];
        if (lut.bits == 4) {
            tg_lut_decode_nibbles(row, count, table, dst);
        } else if (lut.bits == 2) {
            tg_lut_decode_words(row, count, table, dst, 2);
        } else if (lut.bits == 8) {
            tg_lut_decode_words(row, count, table, dst, 8);
        } else if (lut.bits == 3) {
            tg_lut_decode_octets(row, count, table, dst, 3);
        } else if (lut.bits == 1) {
            tg_lut_decode_octets(row, count, table, dst, 1);
        } else {
            tg_lut_reader_t r = tg_lut_reader(row, 0, lut.bits);
            int32_t i;
            for (i = 0; i < count; ++i) {
                dst[i] = table[tg_lut_read(&r)];
            }
        }
    }
}

void tg_lut_decode_weights(const uint32_t *packed, int32_t rows, int32_t count, int8_t *out)
{
    tg_lut_decode_rows(packed, 0, rows, count, out);
}
