/*
 * Decoding LUT.md's packed indices with Helium (Armv8.1-M MVE, Cortex-M55), 16 at a time, for
 * the LUT kernels that decode a layer once into their scratch and run an int8 MVE kernel on it
 * (tg_*_lut_decode_s8_mve.c, tinygen/kernels/lut_mve_pack.py).
 *
 * 16 consecutive indices of BITS bits (1..8) starting at bit b0 (0..7) of a byte lie in the
 * 2 * BITS bytes that follow: index k's field starts at bit pos_k = b0 + k * BITS, in byte
 * pos_k >> 3, at bit pos_k & 7, and continues into the next byte where (pos_k & 7) + BITS > 8.
 * A gather of bytes (VLDRB.U8 with 16 byte offsets) brings each lane its field's first byte, a
 * second (predicated to the lanes that straddle; none for 1, 2, 4 or 8 bits from a byte
 * boundary) its next byte; shifts by lane (VSHL by a vector) and a mask give the indices, and
 * the vector table lookup, a gather of the table's bytes at the indices
 * (vldrbq_gather_offset_s8), the 16 weights. The next 16 indices start 2 * BITS bytes further at
 * the same b0, so the offsets and shifts are computed once per run. A run's last, partial
 * group is predicated (VCTP): its gathers read no byte past the run, and the weights past it
 * are 0 (the int8 MVE kernels' records pad each channel's depth to whole 16-byte steps with
 * zero weights).
 */
#ifndef TG_LUT_MVE_H
#define TG_LUT_MVE_H

#include <arm_mve.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_lut.h"
#include "tg_requant_mve.h"

/* the decoded records' share of a decoding kernel's scratch, rounded up to 16 bytes (the int8
   kernel's own scratch follows, aligned as the arena aligns buffers) */
#define TG_LUT_MVE_RECORDS_BYTES(n) ((((n) + 15) / 16) * 16)

/* Where 16 consecutive indices of `bits` bits from bit b0 of a byte lie. */
typedef struct {
    uint8x16_t offset;          /* each field's first byte */
    int8x16_t right;            /* -(its bit in that byte): VSHL by it shifts right */
    int8x16_t left;             /* 8 - that bit: the next byte's share moves up by it */
    uint8x16_t mask;            /* (1 << bits) - 1 */
    mve_pred16_t straddle;      /* the lanes whose field continues into the next byte */
    int32_t group_bytes;        /* 2 * bits: from a group of 16 indices to the next */
} tg_lut_mve_t;

static inline tg_lut_mve_t tg_lut_mve(int32_t bits, int32_t b0)
{
    tg_lut_mve_t g;
    const uint8x16_t pos = vmlaq_n_u8(vdupq_n_u8((uint8_t)b0), vidupq_n_u8(0, 1), (uint8_t)bits);
    const uint8x16_t bit = vandq_u8(pos, vdupq_n_u8(7));
    g.offset = vshrq_n_u8(pos, 3);
    g.right = vnegq_s8(vreinterpretq_s8_u8(bit));
    g.left = vreinterpretq_s8_u8(vsubq_u8(vdupq_n_u8(8), bit));
    g.mask = vdupq_n_u8((uint8_t)((1u << bits) - 1u));
    g.straddle = vcmphiq_n_u8(vaddq_n_u8(bit, (uint8_t)bits), 8);
    g.group_bytes = 2 * bits;
    return g;
}

/* The weights of n indices (n >= 1) from src (g: their geometry from its first byte), looked up
   in `table`, written 16 to a step: step s's 16 bytes at out + s * stride, zeros past n in the
   last. */
static inline void tg_lut_mve_steps(const tg_lut_mve_t *g, const uint8_t *src, int32_t n, const int8_t *table,
                                    int8_t *out, int32_t stride)
{
    int32_t full = n >> 4;
    const int32_t left = n & 15;

    if (g->straddle == 0) {      /* 1, 2, 4 or 8 bits from a byte boundary: one byte per field */
        for (; full > 0; full--, src += g->group_bytes, out += stride) {
            const uint8x16_t lo = vldrbq_gather_offset_u8(src, g->offset);
            vstrbq_s8(out, vldrbq_gather_offset_s8(table, vandq_u8(vshlq_u8(lo, g->right), g->mask)));
        }
    } else {
        for (; full > 0; full--, src += g->group_bytes, out += stride) {
            const uint8x16_t lo = vldrbq_gather_offset_u8(src, g->offset);
            const uint8x16_t hi = vldrbq_gather_offset_z_u8(src + 1, g->offset, g->straddle);
            const uint8x16_t idx = vandq_u8(vorrq_u8(vshlq_u8(lo, g->right), vshlq_u8(hi, g->left)), g->mask);
            vstrbq_s8(out, vldrbq_gather_offset_s8(table, idx));
        }
    }
    if (left > 0) {
        const mve_pred16_t live = vctp8q((uint32_t)left);
        const uint8x16_t lo = vldrbq_gather_offset_z_u8(src, g->offset, live);
        const uint8x16_t hi = vldrbq_gather_offset_z_u8(src + 1, g->offset, live & g->straddle);
        const uint8x16_t idx = vandq_u8(vorrq_u8(vshlq_u8(lo, g->right), vshlq_u8(hi, g->left)), g->mask);
        vstrbq_s8(out, vldrbq_gather_offset_z_s8(table, idx, live));
    }
}

/* One step of 16 indices at src: their weights from `table` (g: no field straddles a byte). */
static inline int8x16_t tg_lut_mve_step1(const tg_lut_mve_t *g, const uint8_t *src, const int8_t *table)
{
    const uint8x16_t lo = vldrbq_gather_offset_u8(src, g->offset);
    return vldrbq_gather_offset_s8(table, vandq_u8(vshlq_u8(lo, g->right), g->mask));
}

/* One step of 16 indices at src, fields straddling bytes where g says. */
static inline int8x16_t tg_lut_mve_step2(const tg_lut_mve_t *g, const uint8_t *src, const int8_t *table)
{
    const uint8x16_t lo = vldrbq_gather_offset_u8(src, g->offset);
    const uint8x16_t hi = vldrbq_gather_offset_z_u8(src + 1, g->offset, g->straddle);
    return vldrbq_gather_offset_s8(table, vandq_u8(vorrq_u8(vshlq_u8(lo, g->right), vshlq_u8(hi, g->left)), g->mask));
}

/* A whole block of 4 rows (row c at src + c * row_bytes, from a byte boundary, its table at
   table + c * table_step) decoded into tg_mat_mult_s8_mve.h's block weights at out: step by
   step, each step's 4 channels of 16 weights, the last step's past the depth 0. */
static inline void tg_lut_mve_block(const tg_lut_mve_t *g, const uint8_t *src, int32_t row_bytes, int32_t depth,
                                    const int8_t *table, int32_t table_step, int8_t *out)
{
    const int8_t *t1 = table + table_step, *t2 = t1 + table_step, *t3 = t2 + table_step;
    int32_t full = depth >> 4;

    if (g->straddle == 0) {
        for (; full > 0; full--, src += g->group_bytes, out += 64) {
            vstrbq_s8(out, tg_lut_mve_step1(g, src, table));
            vstrbq_s8(out + 16, tg_lut_mve_step1(g, src + row_bytes, t1));
            vstrbq_s8(out + 32, tg_lut_mve_step1(g, src + 2 * row_bytes, t2));
            vstrbq_s8(out + 48, tg_lut_mve_step1(g, src + 3 * row_bytes, t3));
        }
    } else {
        for (; full > 0; full--, src += g->group_bytes, out += 64) {
            vstrbq_s8(out, tg_lut_mve_step2(g, src, table));
            vstrbq_s8(out + 16, tg_lut_mve_step2(g, src + row_bytes, t1));
            vstrbq_s8(out + 32, tg_lut_mve_step2(g, src + 2 * row_bytes, t2));
            vstrbq_s8(out + 48, tg_lut_mve_step2(g, src + 3 * row_bytes, t3));
        }
    }
    if ((depth & 15) != 0) {
        for (int32_t c = 0; c < 4; c++, src += row_bytes, table += table_step, out += 16) {
            tg_lut_mve_steps(g, src, depth & 15, table, out, 64);
        }
    }
}

/* tg_lut_mve_steps for the n indices from bit `bit` of `row`. */
static inline void tg_lut_mve_run(const uint32_t *row, int32_t bit, int32_t n, int32_t bits, const int8_t *table,
                                  int8_t *out, int32_t stride)
{
    const tg_lut_mve_t g = tg_lut_mve(bits, bit & 7);
    tg_lut_mve_steps(&g, (const uint8_t *)(const void *)row + (bit >> 3), n, table, out, stride);
}

/* 16-byte steps of zeros: a block's channels past out_c. */
static inline void tg_lut_mve_zeros(int8_t *out, int32_t steps, int32_t stride)
{
    for (int32_t s = 0; s < steps; s++, out += stride) {
        vstrbq_s8(out, vdupq_n_s8(0));
    }
}

/* tg_mat_mult_s8_mve.h's records of a [rows][depth] layer written into out: req holds them
   without the weights (the header, then per block of 4 channels its 16 requantization words),
   the weights are decoded from lut's rows (one per output channel). out: the bytes of
   tg_lut_mve_mat_mult_bytes, word aligned. Returns the records. */
static inline const int32_t *tg_lut_mve_mat_mult(const tg_lut_t *lut, const int32_t *req, int32_t rows, int32_t depth,
                                                 int8_t *out)
{
    const int32_t steps = req[1];
    const int32_t stride = 4 * 16;                      /* a step's 4 channels of 16 weights */
    int32_t *rec = (int32_t *)(void *)out;
    rec[0] = req[0];
    rec[1] = steps;
    req += 2;
    rec += 2;
    const tg_lut_mve_t g = tg_lut_mve(lut->bits, 0);    /* every row starts on a word */
    const int32_t table_step = lut->per_channel ? 1 << lut->bits : 0;
    const uint8_t *row = (const uint8_t *)(const void *)lut->rows;
    const int8_t *table = lut->tables;
    for (int32_t o = 0; o < rows; o += 4, req += 16, rec += 16 + 16 * steps) {
        vstrwq_s32(&rec[0], vldrwq_s32(&req[0]));
        vstrwq_s32(&rec[4], vldrwq_s32(&req[4]));
        vstrwq_s32(&rec[8], vldrwq_s32(&req[8]));
        vstrwq_s32(&rec[12], vldrwq_s32(&req[12]));
        int8_t *w = (int8_t *)(void *)&rec[16];
        const int32_t live = rows - o < 4 ? rows - o : 4;
        if (live == 4) {
            tg_lut_mve_block(&g, row, 4 * lut->row_words, depth, table, table_step, w);
            row += 16 * lut->row_words;
            table += 4 * table_step;
            continue;
        }
        for (int32_t c = 0; c < live; c++, w += 16, row += 4 * lut->row_words, table += table_step) {
            tg_lut_mve_steps(&g, row, depth, table, w, stride);
        }
        for (int32_t c = live; c < 4; c++, w += 16) {
            tg_lut_mve_zeros(w, steps, stride);
        }
    }
    return (const int32_t *)(const void *)out;
}

/* The bytes of tg_lut_mve_mat_mult's records: the header, then per block 16 words and the weights. */
static inline int32_t tg_lut_mve_mat_mult_bytes(int32_t rows, int32_t depth)
{
    return 4 * (2 + (rows + 3) / 4 * (16 + 16 * ((depth + 15) / 16)));
}

/* The packed constant's records of a [rows][depth] layer (the requantization words after the
   rows) decoded into the start of the scratch; returns them. */
static inline const int32_t *tg_lut_mve_decode(const uint32_t *packed, int32_t rows, int32_t depth, int8_t *scratch)
{
    const tg_lut_t lut = tg_lut_open(packed);
    return tg_lut_mve_mat_mult(&lut, tg_lut_after(&lut, rows), rows, depth, scratch);
}

/* The scratch after a [rows][depth] layer's decoded records: the int8 kernel's own. */
static inline int8_t *tg_lut_mve_rest(int8_t *scratch, int32_t rows, int32_t depth)
{
    return &scratch[TG_LUT_MVE_RECORDS_BYTES(tg_lut_mve_mat_mult_bytes(rows, depth))];
}

/* tg_depthwise_conv2d_s8_mve's records written into out (the bytes of
   tg_lut_mve_depthwise_bytes): the flags word and per channel its 4 requantization words
   follow the packed row in flash; the row holds the channels' taps one channel after the
   other, in the records' tap order (kernel column, then kernel row), each channel's looked up
   in its table. Returns the records. */
static inline const int32_t *tg_lut_mve_depthwise(const uint32_t *packed, int32_t channels, int32_t taps, int8_t *out)
{
    const tg_lut_t lut = tg_lut_open(packed);
    const int32_t *req = tg_lut_after(&lut, 1);
    int32_t *rec = (int32_t *)(void *)out;
    *rec++ = *req++;
    for (int32_t c = 0; c < channels; c++, req += 4, rec += 8) {
        vstrwq_s32(rec, vldrwq_s32(req));
        tg_lut_mve_run(lut.rows, c * taps * lut.bits, taps, lut.bits, tg_lut_table(&lut, c), (int8_t *)(void *)&rec[4],
                       16);
    }
    return (const int32_t *)(const void *)out;
}

/* The bytes of tg_lut_mve_depthwise's records: the flags word, then 8 words per channel. */
static inline int32_t tg_lut_mve_depthwise_bytes(int32_t channels)
{
    return 4 * (1 + 8 * channels);
}

/* The one-row fully connected kernels' requantization (tg_fully_connected_lut_pairs_s8_mve.c,
   tg_fully_connected_lut_nibbles_s8_mve.c): the p->out_features sums of one input row (4 a block)
   plus the records' folded biases, requantized with their multipliers and shifts (the header's 2
   words, then 16 words a block: biases, multipliers, -right shifts, left shifts), the zero point
   added, clamped, stored as int8, 4 at a time (the last block predicated). Bit for bit as
   tg_fully_connected_s8_mve. */
static inline void tg_lut_mve_fc_requant(const tg_fully_connected_params_t *p, const int32_t *records,
                                         const int32_t *sums, int8_t *output)
{
    const int32_t out_c = p->out_features;
    const int16x8_t zp = vdupq_n_s16((int16_t)p->output_offset);
    const int16x8_t lo = vdupq_n_s16((int16_t)p->act_min);
    const int16x8_t hi = vdupq_n_s16((int16_t)p->act_max);
    const int32_t *q = &records[2];
    for (int32_t o = 0; o < out_c; o += 4, q += 16) {
        const int32x4_t acc = vaddq_s32(vldrwq_s32(&sums[o]), vldrwq_s32(&q[0]));
        const int32x4_t v = tg_requant_mve(acc, vldrwq_s32(&q[4]), vldrwq_s32(&q[8]), vldrwq_s32(&q[12]), 1, 1);
        const int8x16_t b = tg_mve_narrow1(v, zp, lo, hi, 1);
        vstrbq_p_s32(&output[o], vreinterpretq_s32_s8(b), vctp32q((uint32_t)(out_c - o)));
    }
}

#endif /* TG_LUT_MVE_H */
