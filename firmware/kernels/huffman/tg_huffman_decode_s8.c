/*
 * tg_huffman_decode_s8: one block of entropy-coded weights to int8 (tg_kernels_huffman.h).
 * A 32-bit buffer holds the next bits MSB first, refilled two bytes at a time; one lookup
 * of its top 8 bits gives symbol and length for the common codes. Numpy twin:
 * tinygen/quant/huffman.py (decode).
 */
#include <stddef.h>

#include "tg_kernels_huffman.h"

typedef struct {
    uint32_t buf;          /* the next bits, MSB first */
    int32_t n;             /* valid bits in buf */
    const uint8_t *s;      /* the next byte to load */
} tg_bits_t;

static inline __attribute__((always_inline)) uint32_t tg_huffman_next(const tg_huffman_t *h, tg_bits_t *r)
{
    uint32_t entry, len, sym;
    if (r->n <= 16) {
        r->buf |= ((uint32_t)r->s[0] << (24 - r->n)) | ((uint32_t)r->s[1] << (16 - r->n));
        r->s += 2;
        r->n += 16;
    }
    entry = h->fast[r->buf >> (32 - TG_HUFFMAN_PEEK)];
    len = entry >> 8;
    sym = entry & 0xFFu;
    if (len == 0) {
        for (len = TG_HUFFMAN_PEEK + 1; len <= TG_HUFFMAN_MAX_LEN; ++len) {
            const uint32_t c = r->buf >> (32 - len);
            if (c < h->limit[len - TG_HUFFMAN_PEEK - 1]) {
                sym = h->longs[(int32_t)c + h->delta[len - TG_HUFFMAN_PEEK - 1]];
                break;
            }
        }
    }
    r->buf <<= len;
    r->n -= (int32_t)len;
    return sym;
}

void tg_huffman_decode_s8(const tg_huffman_t *h, int32_t b, int32_t out_c, int32_t depth, int8_t *out)
{
    const uint32_t off = h->offsets[b];
    const int32_t first = b * h->block;
    const int32_t last = first + h->block < out_c ? first + h->block : out_c;
    tg_bits_t r;
    int32_t o, k;

    r.s = h->stream + (off >> 3);
    r.buf = ((uint32_t)r.s[0] << 24) | ((uint32_t)r.s[1] << 16) | ((uint32_t)r.s[2] << 8) | r.s[3];
    r.buf <<= off & 7u;
    r.n = 32 - (int32_t)(off & 7u);
    r.s += 4;
    if (h->tables == NULL) {
        const int32_t count = (last - first) * depth;
        for (k = 0; k < count; ++k) {
            out[k] = (int8_t)tg_huffman_next(h, &r);
        }
        return;
    }
    for (o = first; o < last; ++o) {
        const int8_t *table = h->tables + (h->groups > 1 ? o * h->width : 0);
        for (k = 0; k < depth; ++k) {
            *out++ = table[tg_huffman_next(h, &r)];
        }
    }
}
