/*
 * Reading LUT.md's packed constant: the header, a channel's table and row, one index, and a
 * dot product decoding a run of consecutive indices as it goes. Shared by the LUT kernels.
 */
#ifndef TG_LUT_H
#define TG_LUT_H

#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"

#define TG_LUT_HEADER_WORDS 3

/* A packed constant's header, its tables and its first row. */
typedef struct {
    int32_t bits;               /* bits per index, 2..6 */
    int32_t per_channel;        /* 1: a table per output channel; 0: one for the tensor */
    int32_t row_words;          /* words per output channel's row */
    const int8_t *tables;       /* int8 [tables][1 << bits] */
    const uint32_t *rows;       /* [out_c][row_words] */
} tg_lut_t;

static inline tg_lut_t tg_lut_open(const uint32_t *packed)
{
    tg_lut_t lut;
    const int32_t tables = (int32_t)packed[1];
    lut.bits = (int32_t)packed[0];
    lut.per_channel = tables > 1;
    lut.row_words = (int32_t)packed[2];
    lut.tables = (const int8_t *)(const void *)&packed[TG_LUT_HEADER_WORDS];
    lut.rows = &packed[TG_LUT_HEADER_WORDS + ((tables << lut.bits) + 3) / 4];
    return lut;
}

static inline const int8_t *tg_lut_table(const tg_lut_t *lut, int32_t oc)
{
    return lut->per_channel ? &lut->tables[oc << lut->bits] : lut->tables;
}

static inline const uint32_t *tg_lut_row(const tg_lut_t *lut, int32_t oc)
{
    return &lut->rows[oc * lut->row_words];
}

/* Index k of a row. */
static inline uint32_t tg_lut_index(const uint32_t *row, int32_t k, int32_t bits)
{
    const int32_t bit = k * bits;
    const int32_t sh = bit & 31;
    uint32_t v = row[bit >> 5] >> sh;
    if (sh + bits > 32) {
        v |= row[(bit >> 5) + 1] << (32 - sh);
    }
    return v & ((1u << bits) - 1u);
}

/* sum over i < n of table[index k0 + i] * (x[i] + x_offset): the row's indices read in turn,
   a word at a time (n >= 1; no word past the run's last index is read). */
static inline int32_t tg_lut_dot(const uint32_t *row, int32_t k0, int32_t n, int32_t bits,
                                 const int8_t *table, const int8_t *x, int32_t x_offset)
{
    const uint32_t mask = (1u << bits) - 1u;
    const int32_t bit = k0 * bits;
    const uint32_t *w = &row[bit >> 5];
    uint32_t cur = *w++ >> (bit & 31);
    int32_t have = 32 - (bit & 31);
    int32_t acc = 0;
    int32_t i;

    for (i = 0; i < n; ++i) {
        uint32_t idx;
        if (have >= bits) {
            idx = cur & mask;
            cur >>= bits;
            have -= bits;
        } else {        /* the field continues in the next word */
            const uint32_t next = *w++;
            idx = (cur | (next << have)) & mask;
            cur = next >> (bits - have);
            have += 32 - bits;
        }
        acc += (int32_t)table[idx] * ((int32_t)x[i] + x_offset);
    }
    return acc;
}

/* The requantized, clamped int8 output of an accumulator (as the int8 kernels). */
static inline int8_t tg_lut_output(int32_t acc, const int32_t *bias, const int32_t *multiplier,
                                   const int8_t *shift, int32_t oc, int32_t output_offset,
                                   int32_t act_min, int32_t act_max)
{
    if (bias != 0) {
        acc += bias[oc];
    }
    acc = tg_requantize(acc, multiplier[oc], shift[oc]) + output_offset;
    acc = acc < act_min ? act_min : acc;
    acc = acc > act_max ? act_max : acc;
    return (int8_t)acc;
}

/* A convolution's window sum (no bias) for output channel oc at (out_y, out_x), as
   tg_conv2d_s8_acc, its weights decoded from the channel's row: a run of in_c per tap. */
static inline int32_t tg_conv2d_lut_acc(const tg_conv2d_params_t *p, const tg_lut_t *lut, const int8_t *input,
                                        int32_t out_y, int32_t out_x, int32_t oc)
{
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
    const uint32_t *row = tg_lut_row(lut, oc);
    const int8_t *table = tg_lut_table(lut, oc);
    int32_t acc = 0;
    int32_t ky, kx;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y_origin + ky * p->dilation_h;
        if (in_y < 0 || in_y >= p->in_h) {
            continue; /* padding: (zero point + input_offset) == 0 */
        }
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t in_x = in_x_origin + kx * p->dilation_w;
            if (in_x < 0 || in_x >= p->in_w) {
                continue;
            }
            acc += tg_lut_dot(row, (ky * p->kernel_w + kx) * p->in_c, p->in_c, lut->bits, table,
                              &input[(in_y * p->in_w + in_x) * p->in_c], p->input_offset);
        }
    }
    return acc;
}

#endif /* TG_LUT_H */
