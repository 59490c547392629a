/*
 * tg_fully_connected_batch1_huffman_s8_dsp: a fully connected layer of one row (batch 1) with
 * entropy-coded weights (tg_kernels_huffman.h) on the DSP extension, each code decoded straight
 * into its multiply-accumulate: no decoded weight is stored.
 *
 * The input is widened once into the scratch, its offset added (int16 xo[k] = x[k] + input_offset,
 * and their sum S). Then per output feature o, with w its weights:
 *     acc_o = bias[o] + sum_k w[k] xo[k]
 * - where the code has a 1-bit code ('0', canonically the first: a pruned layer's zero, whose
 *   weight in row o is z_o), as a sparse dot product: acc_o = bias[o] + z_o S + sum over the other
 *   codes of (w[k] - z_o) xo[k]. A step takes the run of '0' bits at the bit position by CLZ (the
 *   run's weights cost no instruction each, the input pointer moves past them) and the code after
 *   it by the fast table, one load for both; a run stops at the row's last weight, and after
 *   TG_HUFFMAN_RUN_MAX zeros (the next code is then '0' again, a zero term);
 * - else three codes a load by three lookups of the fast table, each weight multiplied as it is
 *   found; a code longer than peek bits (the canonical limits) alone.
 * Rows: a block of an even number of rows with its second half's start (mids) runs row i beside
 * row n/2 + i, two independent chains of loads and lookups that a dual-issue core overlaps (where
 * the symbols are the weights, or by runs); another block (odd, or no mids) one row after another.
 * Symbols are the weights, or (tables per output channel) indices into the row's table.
 * The sums equal tg_fully_connected_s8's as integers, and go through the same requantization
 * (tg_mat_mult_out), so the outputs equal it on the decoded weights byte for byte.
 * numpy twin: fully_connected_s8, on the decoded weights (tinygen/quant/huffman.py decode).
 */
#include <stddef.h>

#include "tg_kernels_huffman.h"
#include "tg_mat_mult_s8_dsp.h"

/* The weight of fast (or long) entry e: its symbol, through the row's table where mapped. */
static inline __attribute__((always_inline)) int32_t tg_huffman_weight(int mapped, const int8_t *table, uint32_t e)
{
    return mapped ? (int32_t)table[e & 0xffu] : (int32_t)(int8_t)e;
}

/* The entry of the code at pos: the fast table, else the canonical limits. */
static inline __attribute__((always_inline)) uint32_t tg_huffman_entry(const tg_huffman_t *h, uint32_t pos)
{
    const uint32_t bits = tg_huffman_peek(h->stream, pos);
    const uint32_t e = h->fast[bits >> (32 - h->peek)];
    return __builtin_expect(e != 0, 1) ? e : tg_huffman_long(h, bits);
}

/* One step of a row with a 1-bit code from bits (the stream at *pos): the run of '0' bits (at most
   TG_HUFFMAN_RUN_MAX, by guard's bit) skips its weights, the code after it (found by the fast table;
   a zero entry, a longer code, by the canonical limits from its own load) meets the input there;
   returns the bits taken, *xo moved past the code's weight. */
static inline __attribute__((always_inline)) uint32_t tg_huffman_run_step(const tg_huffman_t *h,
                                                                          const uint16_t *fast, uint32_t drop,
                                                                          int mapped, const int8_t *table,
                                                                          int32_t zero, uint32_t bits, uint32_t guard,
                                                                          uint32_t pos, const int16_t **xo,
                                                                          int32_t *acc)
{
    const uint32_t run = (uint32_t)__builtin_clz(bits | guard);
    uint32_t e = fast[(bits << run) >> drop];
    if (__builtin_expect(e == 0, 0)) {
        e = tg_huffman_long(h, tg_huffman_peek(h->stream, pos + run));
    }
    *xo += run;
    *acc += (tg_huffman_weight(mapped, table, e) - zero) * *(*xo)++;
    return run + (e >> 8);
}

/* acc + sum_k (w[k] - zero) xo[k] over a row with a 1-bit code (zero: its weight in this row), from
   the weight at xo (the codes from *pos) to the one at last; moves *pos past the row. While more
   than 2 TG_HUFFMAN_RUN_MAX + 1 weights remain, two steps a load (the second where the first took
   at most TG_HUFFMAN_RUN_MAX bits: its run at most the rest of those, its code's peek bits still
   among the 25 the load keeps); then one a load, a run stopping at the row's last weight. */
static inline __attribute__((always_inline)) int32_t tg_huffman_runs_from(const tg_huffman_t *h, int mapped,
                                                                          const int8_t *table, int32_t zero,
                                                                          const int16_t *xo, const int16_t *last,
                                                                          uint32_t *pos_io, int32_t acc)
{
    const uint8_t *const stream = h->stream;
    const uint16_t *const fast = h->fast;
    const uint32_t drop = 32 - h->peek;
    const int16_t *const bulk = last - xo > 2 * TG_HUFFMAN_RUN_MAX + 1 ? &last[-2 * TG_HUFFMAN_RUN_MAX] : xo;
    const uint32_t guard = 1u << (31 - TG_HUFFMAN_RUN_MAX);
    uint32_t pos = *pos_io, bits, used, left;
    while (xo < bulk) {
        bits = tg_huffman_peek(stream, pos);
        used = tg_huffman_run_step(h, fast, drop, mapped, table, zero, bits, guard, pos, &xo, &acc);
        pos += used;
        if (used <= TG_HUFFMAN_RUN_MAX) {
            pos += tg_huffman_run_step(h, fast, drop, mapped, table, zero, bits << used, guard << used, pos, &xo,
                                       &acc);
        }
    }
    while (xo <= last) {
        left = (uint32_t)(last - xo);
        left = left < TG_HUFFMAN_RUN_MAX ? left : TG_HUFFMAN_RUN_MAX;
        pos += tg_huffman_run_step(h, fast, drop, mapped, table, zero, tg_huffman_peek(stream, pos),
                                   1u << (31 - left), pos, &xo, &acc);
    }
    *pos_io = pos;
    return acc;
}

/* Two rows with a 1-bit code side by side (a from pos[0], b from pos[1]; their 1-bit code's weights
   za, zb): one step of each a turn, two independent chains of loads and lookups that a dual-issue
   core overlaps, while both are more than TG_HUFFMAN_RUN_MAX weights from the end; each finishes
   alone. acc[0], acc[1]: their sums (tg_huffman_runs_from's). */
static inline __attribute__((always_inline)) void tg_huffman_runs_pair(const tg_huffman_t *h, int mapped,
                                                                       const int8_t *ta, const int8_t *tb,
                                                                       int32_t za, int32_t zb, const int16_t *xo,
                                                                       int32_t depth, uint32_t *pos, int32_t *acc)
{
    const uint8_t *const stream = h->stream;
    const uint16_t *const fast = h->fast;
    const uint32_t drop = 32 - h->peek;
    const int16_t *const last = &xo[depth - 1];
    const int16_t *const bulk = depth > TG_HUFFMAN_RUN_MAX + 1 ? &last[-TG_HUFFMAN_RUN_MAX] : xo;
    const uint32_t guard = 1u << (31 - TG_HUFFMAN_RUN_MAX);
    const int16_t *xa = xo, *xb = xo;
    uint32_t pa = pos[0], pb = pos[1];
    int32_t aa = 0, ab = 0;
    while (xa < bulk && xb < bulk) {
        const uint32_t ba = tg_huffman_peek(stream, pa), bb = tg_huffman_peek(stream, pb);
        pa += tg_huffman_run_step(h, fast, drop, mapped, ta, za, ba, guard, pa, &xa, &aa);
        pb += tg_huffman_run_step(h, fast, drop, mapped, tb, zb, bb, guard, pb, &xb, &ab);
    }
    acc[0] = tg_huffman_runs_from(h, mapped, ta, za, xa, last, &pa, aa);
    acc[1] = tg_huffman_runs_from(h, mapped, tb, zb, xb, last, &pb, ab);
    pos[0] = pa;
    pos[1] = pb;
}

/* sum_k w[k] xo[k] over a row of depth codes from *pos, three codes a load; moves *pos past the row. */
static inline __attribute__((always_inline)) int32_t tg_huffman_dot_dense(const tg_huffman_t *h, int mapped,
                                                                          const int8_t *table, const int16_t *xo,
                                                                          int32_t depth, uint32_t *pos_io)
{
    const uint8_t *const stream = h->stream;
    const uint16_t *const fast = h->fast;
    const uint32_t drop = 32 - h->peek;
    const int16_t *const end = &xo[depth];
    uint32_t pos = *pos_io, bits, e0, e1, e2;
    int32_t acc = 0;
    while (end - xo >= 3) {
        /* the load keeps at least 25 bits: three codes of at most peek <= 8 bits; a zero entry (a
           longer code) repeats to the third lookup, so e2 != 0 means all three are whole */
        bits = tg_huffman_peek(stream, pos);
        e0 = fast[bits >> drop];
        bits <<= e0 >> 8;
        e1 = fast[bits >> drop];
        bits <<= e1 >> 8;
        e2 = fast[bits >> drop];
        if (__builtin_expect(e2 == 0, 0)) {
            e0 = tg_huffman_entry(h, pos);
            acc += tg_huffman_weight(mapped, table, e0) * *xo++;
            pos += e0 >> 8;
            continue;
        }
        acc += tg_huffman_weight(mapped, table, e0) * xo[0];
        acc += tg_huffman_weight(mapped, table, e1) * xo[1];
        acc += tg_huffman_weight(mapped, table, e2) * xo[2];
        pos += (e0 >> 8) + (e1 >> 8) + (e2 >> 8);
        xo += 3;
    }
    while (xo < end) {
        e0 = tg_huffman_entry(h, pos);
        acc += tg_huffman_weight(mapped, table, e0) * *xo++;
        pos += e0 >> 8;
    }
    *pos_io = pos;
    return acc;
}

/* The codes from *pos for the weights at xo[from..2] (after the whole codes of a step of three
   lookups that met a longer code), one at a time; moves *pos past them. */
static inline __attribute__((always_inline)) int32_t tg_huffman_settle3(const tg_huffman_t *h, int mapped,
                                                                        const int8_t *table, const int16_t *xo,
                                                                        uint32_t from, uint32_t *pos)
{
    int32_t acc = 0;
    uint32_t e;
    for (; from < 3u; ++from) {
        e = tg_huffman_entry(h, *pos);
        acc += tg_huffman_weight(mapped, table, e) * xo[from];
        *pos += e >> 8;
    }
    return acc;
}

/* How many of the first two lookups from bits found whole codes (their entries nonzero). */
static inline uint32_t tg_huffman_whole2(const uint16_t *fast, uint32_t drop, uint32_t bits)
{
    const uint32_t e0 = fast[bits >> drop];
    return e0 == 0 ? 0u : fast[(bits << (e0 >> 8)) >> drop] == 0 ? 1u : 2u;
}

/* Two rows side by side (a from pos[0], b from pos[1]), in step: three codes of each a load, each
   weight multiplied as it is found, the input's values shared. A zero entry (a longer code) has
   weight 0 (the symbols are the weights) and repeats to the third lookup, so the whole codes before
   it are counted and the rest of the row's three decoded one at a time (tg_huffman_settle3).
   acc[0], acc[1]: their sums (tg_huffman_dot_dense's). */
static inline __attribute__((always_inline)) void tg_huffman_dense_pair(const tg_huffman_t *h,
                                                                        const int16_t *xo, int32_t depth,
                                                                        uint32_t *pos, int32_t *acc)
{
    const uint8_t *const stream = h->stream;
    const uint16_t *const fast = h->fast;
    const uint32_t drop = 32 - h->peek;
    const int16_t *const end = &xo[depth];
    uint32_t pa = pos[0], pb = pos[1], ba, bb, ea, eb, na, nb;
    int32_t aa = 0, ab = 0, x;
    while (end - xo >= 3) {
        ba = tg_huffman_peek(stream, pa);
        bb = tg_huffman_peek(stream, pb);
        x = xo[0];
        ea = fast[ba >> drop];
        eb = fast[bb >> drop];
        aa += (int8_t)ea * x;
        ab += (int8_t)eb * x;
        na = ea >> 8;
        nb = eb >> 8;
        x = xo[1];
        ea = fast[(ba << na) >> drop];
        eb = fast[(bb << nb) >> drop];
        aa += (int8_t)ea * x;
        ab += (int8_t)eb * x;
        na += ea >> 8;
        nb += eb >> 8;
        x = xo[2];
        ea = fast[(ba << na) >> drop];
        eb = fast[(bb << nb) >> drop];
        aa += (int8_t)ea * x;
        ab += (int8_t)eb * x;
        pa += na + (ea >> 8);
        pb += nb + (eb >> 8);
        if (__builtin_expect(ea == 0 || eb == 0, 0)) {
            /* a longer code: the whole codes are those of nonzero length (ea, eb: the third) */
            if (ea == 0) {
                aa += tg_huffman_settle3(h, 0, NULL, xo, tg_huffman_whole2(fast, drop, ba), &pa);
            }
            if (eb == 0) {
                ab += tg_huffman_settle3(h, 0, NULL, xo, tg_huffman_whole2(fast, drop, bb), &pb);
            }
        }
        xo += 3;
    }
    acc[0] = aa + tg_huffman_dot_dense(h, 0, NULL, xo, (int32_t)(end - xo), &pa);
    acc[1] = ab + tg_huffman_dot_dense(h, 0, NULL, xo, (int32_t)(end - xo), &pb);
    pos[0] = pa;
    pos[1] = pb;
}

/*
 * The sums of one row (pair 0: from pos[0] into acc[0], table ta and 1-bit code weight za) or two side
 * by side (pair 1: also from pos[1] into acc[1], tb and zb), by the loops above with their flags
 * constant (each variant compiled alone, its registers its own): dense or by runs, the symbols the
 * weights or mapped, the 1-bit code's weight 0 or as given.
 */
typedef void (*tg_huffman_rows_t)(const tg_huffman_t *h, const int8_t *ta, const int8_t *tb, int32_t za,
                                  int32_t zb, const int16_t *xo, int32_t depth, uint32_t *pos, int32_t *acc,
                                  int32_t pair);

static inline __attribute__((always_inline)) void tg_huffman_rows(const tg_huffman_t *h, int runs, int mapped,
                                                                  const int8_t *ta, const int8_t *tb, int32_t za,
                                                                  int32_t zb, const int16_t *xo, int32_t depth,
                                                                  uint32_t *pos, int32_t *acc, int32_t pair)
{
    if (runs && pair) {
        tg_huffman_runs_pair(h, mapped, ta, tb, za, zb, xo, depth, pos, acc);
    } else if (runs) {
        acc[0] = tg_huffman_runs_from(h, mapped, ta, za, xo, &xo[depth - 1], &pos[0], 0);
    } else if (pair && !mapped) {
        tg_huffman_dense_pair(h, xo, depth, pos, acc);
    } else if (pair) {
        acc[0] = tg_huffman_dot_dense(h, mapped, ta, xo, depth, &pos[0]);
        acc[1] = tg_huffman_dot_dense(h, mapped, tb, xo, depth, &pos[1]);
    } else {
        acc[0] = tg_huffman_dot_dense(h, mapped, ta, xo, depth, &pos[0]);
    }
}

static void tg_huffman_rows_dense(const tg_huffman_t *h, const int8_t *ta, const int8_t *tb, int32_t za, int32_t zb,
                                  const int16_t *xo, int32_t depth, uint32_t *pos, int32_t *acc, int32_t pair)
{
    tg_huffman_rows(h, 0, 0, ta, tb, za, zb, xo, depth, pos, acc, pair);
}

static void tg_huffman_rows_dense_mapped(const tg_huffman_t *h, const int8_t *ta, const int8_t *tb, int32_t za,
                                         int32_t zb, const int16_t *xo, int32_t depth, uint32_t *pos, int32_t *acc,
                                         int32_t pair)
{
    tg_huffman_rows(h, 0, 1, ta, tb, za, zb, xo, depth, pos, acc, pair);
}

static void tg_huffman_rows_runs0(const tg_huffman_t *h, const int8_t *ta, const int8_t *tb, int32_t za, int32_t zb,
                                  const int16_t *xo, int32_t depth, uint32_t *pos, int32_t *acc, int32_t pair)
{
    (void)za;
    (void)zb;
    tg_huffman_rows(h, 1, 0, ta, tb, 0, 0, xo, depth, pos, acc, pair);
}

static void tg_huffman_rows_runs(const tg_huffman_t *h, const int8_t *ta, const int8_t *tb, int32_t za, int32_t zb,
                                 const int16_t *xo, int32_t depth, uint32_t *pos, int32_t *acc, int32_t pair)
{
    tg_huffman_rows(h, 1, 0, ta, tb, za, zb, xo, depth, pos, acc, pair);
}

static void tg_huffman_rows_runs_mapped(const tg_huffman_t *h, const int8_t *ta, const int8_t *tb, int32_t za,
                                        int32_t zb, const int16_t *xo, int32_t depth, uint32_t *pos, int32_t *acc,
                                        int32_t pair)
{
    tg_huffman_rows(h, 1, 1, ta, tb, za, zb, xo, depth, pos, acc, pair);
}

/* What every output feature shares: the codes, the widened input's sum, the requantization. */
typedef struct {
    tg_huffman_t h;
    int32_t sum, runs;
    uint32_t zero_symbol;
    tg_mat_mult_quant_t q;
    tg_mat_mult_out_t oq;
} tg_huffman_b1_t;

/* Output feature o's table (NULL: the symbols are the weights) and its 1-bit code's weight (0: none). */
static inline const int8_t *tg_huffman_b1_table(const tg_huffman_b1_t *c, int32_t o)
{
    return c->h.groups > 0 ? &c->h.tables[(c->h.groups > 1 ? o : 0) * c->h.width] : NULL;
}

static inline int32_t tg_huffman_b1_zero(const tg_huffman_b1_t *c, int32_t o)
{
    return c->runs ? tg_huffman_weight(c->h.groups > 0, tg_huffman_b1_table(c, o), c->zero_symbol) : 0;
}

/* Output o from its sum of the codes' terms: bias + its 1-bit code's weight times the input's sum + acc. */
static inline int8_t tg_huffman_b1_out(const tg_huffman_b1_t *c, int32_t o, int32_t acc, const int32_t *bias,
                                       const int32_t *multiplier, const int8_t *shift)
{
    acc += (bias != NULL ? bias[o] : 0) + tg_huffman_b1_zero(c, o) * c->sum;
    return tg_mat_mult_out(acc, multiplier[o], shift[o], c->oq, c->q.bounded);
}

/*
 * Block b's rows: with its second half's start (mids) and an even number of rows, row i beside row
 * half + i (the second half starts at row half); else one after another from the block's start.
 */
static void tg_huffman_b1_block(const tg_huffman_b1_t *c, tg_huffman_rows_t rows, int32_t b, int32_t cols,
                                const int16_t *xo, int32_t depth, const int32_t *bias, const int32_t *multiplier,
                                const int8_t *shift, int8_t *output)
{
    const int32_t o0 = b * c->h.block;
    const int32_t n = o0 + c->h.block < cols ? c->h.block : cols - o0;
    const int32_t half = c->h.mids != NULL && n % 2 == 0 ? n / 2 : 0;
    uint32_t pos[2];
    int32_t acc[2], o;
    pos[0] = c->h.offsets[b];
    pos[1] = half ? pos[0] + c->h.mids[b] : pos[0];
    for (o = o0; o < o0 + half; ++o) {
        rows(&c->h, tg_huffman_b1_table(c, o), tg_huffman_b1_table(c, o + half), tg_huffman_b1_zero(c, o),
             tg_huffman_b1_zero(c, o + half), xo, depth, pos, acc, 1);
        output[o] = tg_huffman_b1_out(c, o, acc[0], bias, multiplier, shift);
        output[o + half] = tg_huffman_b1_out(c, o + half, acc[1], bias, multiplier, shift);
    }
    for (o = half ? o0 + n : o0; o < o0 + n; ++o) {
        rows(&c->h, tg_huffman_b1_table(c, o), NULL, tg_huffman_b1_zero(c, o), 0, xo, depth, pos, acc, 0);
        output[o] = tg_huffman_b1_out(c, o, acc[0], bias, multiplier, shift);
    }
}

void tg_fully_connected_batch1_huffman_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                              const uint32_t *packed, const int32_t *bias,
                                              const int32_t *multiplier, const int8_t *shift,
                                              int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->in_features, cols = p->out_features;
    int16_t *const xo = (int16_t *)(void *)scratch;
    tg_huffman_rows_t rows;
    tg_huffman_b1_t c;
    int32_t k, b;

    c.q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max, depth, cols, bias,
                            multiplier, shift);
    c.oq.output_offset = c.q.output_offset;
    c.oq.act_min = c.q.act_min;
    c.oq.act_max = c.q.act_max;
    c.sum = 0;
    for (k = 0; k < depth; ++k) {
        xo[k] = (int16_t)(input[k] + p->input_offset);
        c.sum += xo[k];
    }
    tg_huffman_open(&c.h, packed);
    c.runs = c.h.fast[0] >> 8 == 1u;            /* a 1-bit code, '0': the symbol fast[0] gives */
    c.zero_symbol = c.h.fast[0] & 0xffu;
    if (!c.runs) {
        rows = c.h.groups > 0 ? tg_huffman_rows_dense_mapped : tg_huffman_rows_dense;
    } else if (c.h.groups > 0) {
        rows = tg_huffman_rows_runs_mapped;
    } else {
        rows = c.zero_symbol == 0u ? tg_huffman_rows_runs0 : tg_huffman_rows_runs;
    }
    for (b = 0; b < c.h.n_blocks; ++b) {
        tg_huffman_b1_block(&c, rows, b, cols, xo, depth, bias, multiplier, shift, output);
    }
}
