/*
 * tg_huffman_decode_s8: one block of entropy-coded weights to int8 (tg_kernels_huffman.h).
 * Per symbol one 32-bit load at the bit position's byte (the stream is padded so that it
 * may read past the end), byte-swapped so the next bits come MSB first; one lookup of its
 * top peek (at most 8) bits gives symbol and length for the common codes; the load serves
 * up to three codes (tg_huffman_run). Numpy twin: tinygen/quant/huffman.py (decode).
 */
#include <stddef.h>
#include <string.h>

#include "tg_kernels_huffman.h"

/* The next 32 bits of the stream from bit position pos, MSB first. */
static inline __attribute__((always_inline)) uint32_t tg_huffman_peek(const uint8_t *stream, uint32_t pos)
{
    uint32_t w;
    memcpy(&w, &stream[pos >> 3], sizeof w);      /* one unaligned load where the core has them */
    return __builtin_bswap32(w) << (pos & 7u);
}

/* The slow path: a code longer than peek bits, found by the canonical limits; returns
   (length << 8) | symbol, as a fast entry. Out of line: the loop keeps its registers. */
static __attribute__((noinline, cold)) uint32_t tg_huffman_long(const tg_huffman_t *h, uint32_t bits)
{
    uint32_t n;
    for (n = h->peek + 1; n < TG_HUFFMAN_MAX_LEN; ++n) {
        if ((bits >> (32 - n)) < h->limit[n - h->peek - 1]) {
            break;
        }
    }
    return (n << 8) | h->longs[(int32_t)(bits >> (32 - n)) + h->delta[n - h->peek - 1]];
}

/* A fast entry's (or a long code's) weight: its symbol through table (NULL: the symbol is the int8 value). */
static inline __attribute__((always_inline)) int8_t tg_huffman_value(uint32_t entry, const int8_t *table)
{
    return table != NULL ? table[entry & 0xFFu] : (int8_t)entry;
}

/* The code at pos alone: the fast table, else the canonical limits; returns the position after it. */
static inline __attribute__((always_inline)) uint32_t tg_huffman_one(const tg_huffman_t *h, uint32_t pos,
                                                               const int8_t *table, int8_t *out)
{
    const uint32_t bits = tg_huffman_peek(h->stream, pos);
    uint32_t entry = h->fast[bits >> (32 - h->peek)];
    if (__builtin_expect(entry == 0, 0)) {
        entry = tg_huffman_long(h, bits);
    }
    *out = tg_huffman_value(entry, table);
    return pos + (entry >> 8);
}

/*
 * Decode count symbols from bit position pos into out, through table (NULL: the symbols
 * are the int8 values); returns the bit position after them. While three symbols remain,
 * one load serves up to three codes by up to three lookups of the fast table (the load
 * keeps at least 25 bits: after two codes of at most peek <= 8 bits the next lookup's bits
 * are still among them). A code the fast table does not hold ends the group and is decoded
 * alone.
 */
static inline __attribute__((always_inline)) uint32_t tg_huffman_run(const tg_huffman_t *h, uint32_t pos,
                                                               int32_t count, const int8_t *table,
                                                               int8_t *restrict out)
{
    const uint16_t *restrict fast = h->fast;
    const uint8_t *restrict stream = h->stream;
    const uint32_t drop = 32 - h->peek;
    int8_t *const end = out + count;
    uint32_t bits, entry, len;
    int32_t n;

    while (end - out >= 3) {
        bits = tg_huffman_peek(stream, pos);
        entry = fast[bits >> drop];
        if (__builtin_expect(entry == 0, 0)) {
            pos = tg_huffman_one(h, pos, table, out++);
            continue;
        }
#pragma GCC unroll 3
        for (n = 0; n < 3; ++n) {
            len = entry >> 8;
            pos += len;
            bits <<= len;
            *out++ = tg_huffman_value(entry, table);
            entry = n < 2 ? fast[bits >> drop] : 0u;
            if (entry == 0) {
                break;
            }
        }
    }
    while (out < end) {
        pos = tg_huffman_one(h, pos, table, out++);
    }
    return pos;
}

/*
 * tg_huffman_run with the multi-symbol table: while three symbols remain, one lookup gives
 * up to three weights (a table per output channel: their indices); a code longer than the
 * table's bits is decoded alone.
 */
static inline __attribute__((always_inline)) uint32_t tg_huffman_run_multi(const tg_huffman_t *h, uint32_t pos,
                                                                     int32_t count, const int8_t *table,
                                                                     int8_t *restrict out)
{
    const int8_t *mapped = h->groups > 1 ? table : NULL;
    const uint32_t *restrict multi = h->multi_table;
    const uint8_t *restrict stream = h->stream;
    const uint32_t drop = 32 - h->multi;
    int8_t *const end = out + count;

    while (end - out >= 3) {
        const uint32_t entry = multi[tg_huffman_peek(stream, pos) >> drop];
        const uint32_t n = (entry >> 24) & 3u;
        if (__builtin_expect(n == 0, 0)) {
            pos = tg_huffman_one(h, pos, table, out++);
            continue;
        }
        out[0] = tg_huffman_value(entry, mapped);
        out[1] = tg_huffman_value(entry >> 8, mapped);
        out[2] = tg_huffman_value(entry >> 16, mapped);
        out += n;
        pos += entry >> 26;
    }
    while (out < end) {
        pos = tg_huffman_one(h, pos, table, out++);
    }
    return pos;
}

/* One run of count symbols, by the multi-symbol table where the layer has one. */
static uint32_t tg_huffman_any(const tg_huffman_t *h, uint32_t pos, int32_t count, const int8_t *table,
                               int8_t *out)
{
    if (h->multi != 0) {
        return table != NULL ? tg_huffman_run_multi(h, pos, count, table, out)
                             : tg_huffman_run_multi(h, pos, count, NULL, out);
    }
    return table != NULL ? tg_huffman_run(h, pos, count, table, out) : tg_huffman_run(h, pos, count, NULL, out);
}

void tg_huffman_decode_s8(const tg_huffman_t *h, int32_t b, int32_t out_c, int32_t depth, int8_t *out)
{
    const int32_t first = b * h->block;
    const int32_t last = first + h->block < out_c ? first + h->block : out_c;
    uint32_t pos = h->offsets[b];
    int32_t o;

    if (h->groups <= 1) {
        (void)tg_huffman_any(h, pos, (last - first) * depth, h->tables, out);
    } else {
        /* a table per output channel: row by row, each run going on where the last ended */
        for (o = first; o < last; ++o) {
            pos = tg_huffman_any(h, pos, depth, &h->tables[o * h->width], &out[(o - first) * depth]);
        }
    }
}
