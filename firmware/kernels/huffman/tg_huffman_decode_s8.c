/*
 * tg_huffman_decode_s8: one block of entropy-coded weights to int8 (tg_kernels_huffman.h).
 * Per symbol one 32-bit load at the bit position's byte (the stream is padded so that it
 * may read past the end), byte-swapped so the next bits come MSB first; one lookup of its
 * top peek (at most 8) bits gives symbol and length for the common codes (13 instructions
 * a weight in the M7 loop). Numpy twin: tinygen/quant/huffman.py (decode).
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

/*
 * Decode count symbols from bit position pos into out, through table (NULL: the symbols
 * are the int8 values); returns the bit position after them.
 */
static inline __attribute__((always_inline)) uint32_t tg_huffman_run(const tg_huffman_t *h, uint32_t pos,
                                                               int32_t count, const int8_t *table,
                                                               int8_t *restrict out)
{
    const uint16_t *restrict fast = h->fast;
    const uint8_t *restrict stream = h->stream;
    const uint32_t drop = 32 - h->peek;
    int8_t *const end = out + count;

    while (out < end) {
        const uint32_t bits = tg_huffman_peek(stream, pos);
        uint32_t entry = fast[bits >> drop];
        uint32_t len = entry >> 8;
        if (__builtin_expect(len == 0, 0)) {
            entry = tg_huffman_long(h, bits);
            len = entry >> 8;
        }
        pos += len;
        *out++ = table != NULL ? table[entry & 0xFFu] : (int8_t)entry;
    }
    return pos;
}

void tg_huffman_decode_s8(const tg_huffman_t *h, int32_t b, int32_t out_c, int32_t depth, int8_t *out)
{
    const int32_t first = b * h->block;
    const int32_t last = first + h->block < out_c ? first + h->block : out_c;
    uint32_t pos = h->offsets[b];
    int32_t o;

    if (h->tables == NULL) {
        (void)tg_huffman_run(h, pos, (last - first) * depth, NULL, out);
    } else if (h->groups == 1) {
        (void)tg_huffman_run(h, pos, (last - first) * depth, h->tables, out);
    } else {
        /* a table per output channel: row by row, each run going on where the last ended */
        for (o = first; o < last; ++o) {
            pos = tg_huffman_run(h, pos, depth, &h->tables[o * h->width], &out[(o - first) * depth]);
        }
    }
}
