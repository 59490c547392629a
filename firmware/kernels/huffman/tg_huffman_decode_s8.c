/*
 * tg_huffman_decode_s8: one block of entropy-coded weights to int8 (tg_kernels_huffman.h).
 * Per step one 32-bit load at the bit position's byte (the stream is padded so that it may
 * read past the end), byte-swapped so the next bits come MSB first. Where a symbol has a
 * 1-bit code, '0' (a sparse layer's zero), a step takes a run of it by CLZ and the code after
 * it (tg_huffman_zero_runs), the block filled with its weight first and each other weight
 * mapped as it is stored. Else a step serves up to three
 * codes (tg_huffman_three): three lookups of the fast table (its entries give weight and
 * length for the codes of at most peek <= 8 bits), or one of the multi-symbol table. Where
 * the block has its halves' starts, the two halves are decoded side by side
 * (tg_huffman_pair): two independent chains of loads and lookups, which a dual-issue core
 * overlaps. The symbols are the weights (a layer with one table has its values in the
 * code's tables), or indices into a table per output channel, mapped when the block is
 * decoded. Numpy twin: tinygen/quant/huffman.py (decode).
 */
#include <stddef.h>
#include <string.h>

#include "tg_kernels_huffman.h"

/* The code at pos alone: the fast table, else the canonical limits; returns the position after it. */
static inline __attribute__((always_inline)) uint32_t tg_huffman_one(const tg_huffman_t *h, uint32_t pos,
                                                               int8_t *out)
{
    const uint32_t bits = tg_huffman_peek(h->stream, pos);
    uint32_t entry = h->fast[bits >> (32 - h->peek)];
    if (__builtin_expect(entry == 0, 0)) {
        entry = tg_huffman_long(h, bits);
    }
    *out = (int8_t)entry;
    return pos + (entry >> 8);
}

/* What the loops read, held in registers (the int8 stores could alias the struct's fields). */
typedef struct {
    const uint8_t *stream;
    const uint16_t *fast;
    const uint32_t *multi_table;
    uint32_t drop;                /* 32 - the bits of the table looked up */
} tg_huffman_loop_t;

static inline __attribute__((always_inline)) tg_huffman_loop_t tg_huffman_loop(const tg_huffman_t *h, int multi)
{
    tg_huffman_loop_t l;
    l.stream = h->stream;
    l.fast = h->fast;
    l.multi_table = h->multi_table;
    l.drop = 32 - (multi ? h->multi : h->peek);
    return l;
}

/*
 * Up to three codes from one load at *pos, their symbols written to out[0..2] whatever
 * their number (the caller has room for three); returns how many there were and moves *pos
 * past them. multi: one lookup of the multi-symbol table. Else three lookups of the fast
 * table: the load keeps at least 25 bits, and after two codes of at most peek <= 8 bits the
 * third lookup's bits are among them; a zero entry (a long code) repeats to the end (the
 * lookups after it see the same bits), so the whole codes are the nonzero entries.
 */
static inline __attribute__((always_inline)) uint32_t tg_huffman_three(const tg_huffman_loop_t *l, int multi,
                                                                 uint32_t *pos, int8_t *out)
{
    uint32_t bits = tg_huffman_peek(l->stream, *pos), e0, e1, e2;
    if (multi) {
        e0 = l->multi_table[bits >> l->drop];
        out[0] = (int8_t)e0;
        out[1] = (int8_t)(e0 >> 8);
        out[2] = (int8_t)(e0 >> 16);
        *pos += e0 >> 26;
        return (e0 >> 24) & 3u;
    }
    e0 = l->fast[bits >> l->drop];
    bits <<= e0 >> 8;
    e1 = l->fast[bits >> l->drop];
    bits <<= e1 >> 8;
    e2 = l->fast[bits >> l->drop];
    out[0] = (int8_t)e0;
    out[1] = (int8_t)e1;
    out[2] = (int8_t)e2;
    *pos += (e0 >> 8) + (e1 >> 8) + (e2 >> 8);
    return (uint32_t)(e0 != 0) + (uint32_t)(e1 != 0) + (uint32_t)(e2 != 0);
}

/* count symbols from pos into out, three a step while three remain; returns the position
   after them. Fewer than three fast codes in a step: a long one is next, decoded alone; no
   code from the multi-symbol table: one longer than its bits. */
static inline __attribute__((always_inline)) uint32_t tg_huffman_run(const tg_huffman_t *h, int multi, uint32_t pos,
                                                               int32_t count, int8_t *out)
{
    const tg_huffman_loop_t l = tg_huffman_loop(h, multi);
    int8_t *const end = out + count;
    uint32_t n;
    while (end - out >= 3) {
        n = tg_huffman_three(&l, multi, &pos, out);
        out += n;
        if (__builtin_expect(multi ? n == 0 : n < 3, 0)) {
            pos = tg_huffman_one(h, pos, out++);
        }
    }
    while (out < end) {
        pos = tg_huffman_one(h, pos, out++);
    }
    return pos;
}

/* After a step of three fast lookups whose last entry is zero: the whole codes it took (the
   nonzero entries e0, e1), then the long code after them decoded alone; returns where out
   goes on (the caller had room for three). */
static inline __attribute__((always_inline)) int8_t *tg_huffman_settle(const tg_huffman_t *h, uint32_t *pos,
                                                                 uint32_t e0, uint32_t e1, int8_t *out)
{
    out += (uint32_t)(e0 != 0) + (uint32_t)(e1 != 0);
    *pos = tg_huffman_one(h, *pos, out);
    return out + 1;
}

/*
 * Two runs side by side (count_a symbols from pos_a into a, count_b from pos_b into b): the
 * steps of one are independent of the other's, written interleaved so that their loads and
 * lookups overlap on a dual-issue core. The ends of the runs go on alone (tg_huffman_run).
 */
static inline __attribute__((always_inline)) void tg_huffman_pair(const tg_huffman_t *h, int multi,
                                                            uint32_t pos_a, int32_t count_a, int8_t *a,
                                                            uint32_t pos_b, int32_t count_b, int8_t *b)
{
    const tg_huffman_loop_t l = tg_huffman_loop(h, multi);
    int8_t *const last_a = a + count_a - 3, *const last_b = b + count_b - 3;
    uint32_t ba, bb, a0, b0, a1, b1, a2, b2;
    while (a <= last_a && b <= last_b) {
        ba = tg_huffman_peek(l.stream, pos_a);
        bb = tg_huffman_peek(l.stream, pos_b);
        if (multi) {
            a0 = l.multi_table[ba >> l.drop];
            b0 = l.multi_table[bb >> l.drop];
            a[0] = (int8_t)a0;
            b[0] = (int8_t)b0;
            a[1] = (int8_t)(a0 >> 8);
            b[1] = (int8_t)(b0 >> 8);
            a[2] = (int8_t)(a0 >> 16);
            b[2] = (int8_t)(b0 >> 16);
            pos_a += a0 >> 26;
            pos_b += b0 >> 26;
            a1 = (a0 >> 24) & 3u;
            b1 = (b0 >> 24) & 3u;
            a += a1;
            b += b1;
            if (__builtin_expect(a1 == 0, 0)) {
                pos_a = tg_huffman_one(h, pos_a, a++);
            }
            if (__builtin_expect(b1 == 0, 0)) {
                pos_b = tg_huffman_one(h, pos_b, b++);
            }
            continue;
        }
        a0 = l.fast[ba >> l.drop];
        b0 = l.fast[bb >> l.drop];
        ba <<= a0 >> 8;
        bb <<= b0 >> 8;
        a1 = l.fast[ba >> l.drop];
        b1 = l.fast[bb >> l.drop];
        ba <<= a1 >> 8;
        bb <<= b1 >> 8;
        a2 = l.fast[ba >> l.drop];
        b2 = l.fast[bb >> l.drop];
        a[0] = (int8_t)a0;
        b[0] = (int8_t)b0;
        a[1] = (int8_t)a1;
        b[1] = (int8_t)b1;
        a[2] = (int8_t)a2;
        b[2] = (int8_t)b2;
        pos_a += (a0 >> 8) + (a1 >> 8) + (a2 >> 8);
        pos_b += (b0 >> 8) + (b1 >> 8) + (b2 >> 8);
        if (__builtin_expect(a2 != 0 && b2 != 0, 1)) {
            a += 3;
            b += 3;
        } else {
            a = a2 != 0 ? a + 3 : tg_huffman_settle(h, &pos_a, a0, a1, a);
            b = b2 != 0 ? b + 3 : tg_huffman_settle(h, &pos_b, b0, b1, b);
        }
    }
    (void)tg_huffman_run(h, multi, pos_a, (int32_t)(last_a + 3 - a), a);
    (void)tg_huffman_run(h, multi, pos_b, (int32_t)(last_b + 3 - b), b);
}

/* n bytes at out set to v: 32 a step in 8-byte stores once out is 8-byte aligned (a block's fill
   is most of its zeros' cost: newlib's memset takes about twice the instructions). */
static inline __attribute__((always_inline)) void tg_huffman_fill(int8_t *out, int8_t v, int32_t n)
{
    int8_t *const end = out + n;
    const uint32_t word = (uint32_t)(uint8_t)v * 0x01010101u;
    const uint64_t dword = ((uint64_t)word << 32) | word;
    while (out < end && ((uintptr_t)out & 7u) != 0u) {
        *out++ = v;
    }
    for (; end - out >= 32; out += 32) {
        uint64_t *const d = (uint64_t *)__builtin_assume_aligned(out, 8);
        d[0] = dword;
        d[1] = dword;
        d[2] = dword;
        d[3] = dword;
    }
    while (out < end) {
        *out++ = v;
    }
}

/* Where the symbols go: the next one at out, the rows' tables (NULL: the symbols are the
   weights; else table maps the row ending at row_end, then the next row's is step bytes on). */
typedef struct {
    int8_t *out;
    int8_t *row_end;
    const int8_t *table;
    int32_t step, depth;
} tg_huffman_sink_t;

/* Symbol sym written at s->out through its row's table (mapped: a constant after inlining). */
static inline __attribute__((always_inline)) void tg_huffman_put(tg_huffman_sink_t *s, int mapped, uint32_t sym)
{
    if (mapped) {
        while (s->out >= s->row_end) {
            s->row_end += s->depth;
            s->table += s->step;
        }
        *s->out = s->table[sym & 0xffu];
    } else {
        *s->out = (int8_t)sym;
    }
    ++s->out;
}

/*
 * count symbols from pos into s where the code has a 1-bit code, '0' (canonical: the first,
 * the symbol fast[0] gives): the weights are filled with that symbol's (each row's through its
 * table) first, then each step takes the run of '0' bits at pos (CLZ, at most
 * TG_HUFFMAN_RUN_MAX: those weights are written already) and the code after it by the fast
 * table, one load for both; a long code by the canonical limits. A sparse layer's zeros (a
 * pruned weight, a shared layer's zero centroid) cost a bit each and no store, and a shared
 * layer's other symbols are mapped as they are stored (no pass over the block). Within the
 * last TG_HUFFMAN_RUN_MAX weights a run stops at the last one. Returns the position after them.
 */
static inline __attribute__((always_inline)) uint32_t tg_huffman_zero_runs(const tg_huffman_t *h, int mapped,
                                                                     uint32_t pos, int32_t count,
                                                                     tg_huffman_sink_t *s)
{
    const uint8_t *const stream = h->stream;
    const uint16_t *const fast = h->fast;
    const uint32_t drop = 32 - h->peek, zero = fast[0] & 0xffu;
    int8_t *const end = s->out + count;
    uint32_t bits, run, e, used;
    if (mapped) {
        int8_t *at = s->out, *row_end = s->row_end;
        const int8_t *table = s->table;
        while (at < end) {
            int8_t *const stop = row_end < end ? row_end : end;
            if (at < stop) {
                tg_huffman_fill(at, table[zero], (int32_t)(stop - at));
                at = stop;
            }
            row_end += s->depth;
            table += s->step;
        }
    } else {
        tg_huffman_fill(s->out, (int8_t)zero, count);
    }
    if (h->peek < 8u) {
        /* every code is in the fast table (peek is the longest code's length, below 8): two steps a load */
        while (end - s->out > 2 * TG_HUFFMAN_RUN_MAX + 1) {
            /* a step, then a second from the same load where the first took at most
               TG_HUFFMAN_RUN_MAX bits (its run at most the rest of those, its code's peek bits
               still among the 25) */
            bits = tg_huffman_peek(stream, pos);
            run = (uint32_t)__builtin_clz(bits | (1u << (31 - TG_HUFFMAN_RUN_MAX)));
            e = fast[(bits << run) >> drop];
            s->out += run;
            pos += run;
            if (__builtin_expect(e == 0, 0)) {
                e = tg_huffman_long(h, tg_huffman_peek(stream, pos));
                tg_huffman_put(s, mapped, e);
                pos += e >> 8;
                continue;
            }
            tg_huffman_put(s, mapped, e);
            pos += e >> 8;
            used = run + (e >> 8);
            if (used <= TG_HUFFMAN_RUN_MAX) {
                bits <<= used;
                run = (uint32_t)__builtin_clz(bits | (1u << (31 - TG_HUFFMAN_RUN_MAX + used)));
                e = fast[(bits << run) >> drop];
                if (e != 0) {               /* a long code: the next step's, from its own load */
                    s->out += run;
                    tg_huffman_put(s, mapped, e);
                    pos += run + (e >> 8);
                }
            }
        }
    }
    while (end - s->out > TG_HUFFMAN_RUN_MAX) {
        bits = tg_huffman_peek(stream, pos);
        run = (uint32_t)__builtin_clz(bits | (1u << (31 - TG_HUFFMAN_RUN_MAX)));
        e = fast[(bits << run) >> drop];
        s->out += run;
        pos += run;
        if (__builtin_expect(e == 0, 0)) {
            e = tg_huffman_long(h, tg_huffman_peek(stream, pos));
        }
        tg_huffman_put(s, mapped, e);
        pos += e >> 8;
    }
    while (s->out < end) {
        /* the last ones: a run at most up to the last weight, the code after it */
        bits = tg_huffman_peek(stream, pos);
        run = (uint32_t)__builtin_clz(bits | (1u << (31 - (uint32_t)(end - s->out - 1))));
        e = fast[(bits << run) >> drop];
        s->out += run;
        pos += run;
        if (e == 0) {
            e = tg_huffman_long(h, tg_huffman_peek(stream, pos));
        }
        tg_huffman_put(s, mapped, e);
        pos += e >> 8;
    }
    return pos;
}

/* The symbols of block rows first.. (depth each) at block: the first row's table. */
static inline tg_huffman_sink_t tg_huffman_sink(const tg_huffman_t *h, int8_t *block, int32_t first, int32_t depth)
{
    tg_huffman_sink_t s;
    s.out = block;
    s.row_end = &block[depth];
    s.depth = depth;
    s.step = h->groups > 1 ? h->width : 0;
    s.table = h->groups > 0 ? &h->tables[(h->groups > 1 ? first : 0) * h->width] : 0;
    return s;
}

/* The block's symbols (count, from first's row on) by tg_huffman_zero_runs, in one run: its second
   half's codes follow the first's in the stream, so its start (mids) is not needed. */
static void tg_huffman_zero_block(const tg_huffman_t *h, int32_t b, int32_t first, int32_t depth, int32_t count,
                                  int8_t *out)
{
    tg_huffman_sink_t s = tg_huffman_sink(h, out, first, depth);
    if (h->groups > 0) {
        (void)tg_huffman_zero_runs(h, 1, h->offsets[b], count, &s);
    } else {
        (void)tg_huffman_zero_runs(h, 0, h->offsets[b], count, &s);
    }
}

/* A row's n symbols (indices) through its table, in place: four a word (a load, four table
   lookups, a store; each byte stays where it was, whatever the byte order), the rest alone. */
static inline __attribute__((always_inline)) void tg_huffman_map_row(const uint8_t *table, uint8_t *row, int32_t n)
{
    uint8_t *const end = row + n;
    uint32_t w;
    for (; end - row >= 4; row += 4) {
        memcpy(&w, row, sizeof w);                /* unaligned where depth is not a multiple of 4 */
        w = (uint32_t)table[w & 0xffu] | ((uint32_t)table[(w >> 8) & 0xffu] << 8) |
            ((uint32_t)table[(w >> 16) & 0xffu] << 16) | ((uint32_t)table[w >> 24] << 24);
        memcpy(row, &w, sizeof w);
    }
    for (; row < end; ++row) {
        *row = table[*row];
    }
}

void tg_huffman_decode_s8(const tg_huffman_t *h, int32_t b, int32_t out_c, int32_t depth, int8_t *out)
{
    const int32_t first = b * h->block;
    const int32_t last = first + h->block < out_c ? first + h->block : out_c;
    const int32_t count = (last - first) * depth, half = count / 2;
    const uint32_t pos = h->offsets[b];
    int32_t o;

    if (h->fast[0] >> 8 == 1u) {
        /* a 1-bit code: its runs by CLZ, the symbols mapped as they are stored */
        tg_huffman_zero_block(h, b, first, depth, count, out);
        return;
    }
    if (h->mids == NULL) {
        (void)(h->multi != 0 ? tg_huffman_run(h, 1, pos, count, out) : tg_huffman_run(h, 0, pos, count, out));
    } else if (h->multi != 0) {
        tg_huffman_pair(h, 1, pos, half, out, pos + h->mids[b], count - half, &out[half]);
    } else {
        tg_huffman_pair(h, 0, pos, half, out, pos + h->mids[b], count - half, &out[half]);
    }
    if (h->groups > 0) {
        /* the symbols are indices: each row's through its table */
        for (o = first; o < last; ++o) {
            tg_huffman_map_row((const uint8_t *)&h->tables[(h->groups > 1 ? o : 0) * h->width],
                               (uint8_t *)&out[(o - first) * depth], depth);
        }
    }
}
