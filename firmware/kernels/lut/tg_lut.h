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
/* the decoding kernels' scratch: the decoded weights, rounded up to 8 bytes, then the int8 kernel's */
#define TG_LUT_DECODED_BYTES(n) ((((n) + 7) / 8) * 8)

/* tg_fully_connected_lut_block_s8_dsp's block: as many output features as TG_LUT_FC_BLOCK_BYTES
   of decoded weights hold, at least one (tinygen.kernels.lut_table.fc_block_rows) */
#define TG_LUT_FC_BLOCK_BYTES 4096

static inline int32_t tg_lut_fc_block_rows(int32_t in_features, int32_t out_features)
{
    int32_t rows = TG_LUT_FC_BLOCK_BYTES / in_features;
    rows = rows < 1 ? 1 : rows;
    return rows > out_features ? out_features : rows;
}

/* tg_fully_connected_lut_pairs_s8_dsp's scratch: the input's pairs, 16 bytes per row word, then the
   256 pair words of the table (tinygen.kernels.lut_table.pairs_scratch) */
#define TG_LUT_PAIRS_TABLE_BYTES 1024
#define TG_LUT_PAIRS_BYTES(row_words) (TG_LUT_PAIRS_TABLE_BYTES + 16 * (row_words))

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

/* The word after a packed constant's `rows` rows: where a decoding kernel keeps its other
   constants (the int8 kernel's records less the weights, folded biases). */
static inline const int32_t *tg_lut_after(const tg_lut_t *lut, int32_t rows)
{
    return (const int32_t *)(const void *)&lut->rows[rows * lut->row_words];
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

/* Reading a row's indices in turn from index k0, a word at a time: no word past the last
   index read is touched. */
typedef struct {
    const uint32_t *next;       /* the word after `cur` */
    uint32_t cur;               /* the current word's unread bits, from bit 0 */
    int32_t have;               /* how many */
    int32_t bits;
} tg_lut_reader_t;

static inline tg_lut_reader_t tg_lut_reader(const uint32_t *row, int32_t k0, int32_t bits)
{
    tg_lut_reader_t r;
    const int32_t bit = k0 * bits;
    r.next = &row[bit >> 5];
    r.have = 0;                 /* loaded by the first read */
    r.cur = 0u;
    r.bits = bits;
    if ((bit & 31) != 0) {
        r.cur = *r.next++ >> (bit & 31);
        r.have = 32 - (bit & 31);
    }
    return r;
}

static inline uint32_t tg_lut_read(tg_lut_reader_t *r)
{
    const uint32_t mask = (1u << r->bits) - 1u;
    uint32_t idx;
    if (r->have >= r->bits) {
        idx = r->cur & mask;
        r->cur >>= r->bits;
        r->have -= r->bits;
    } else {        /* the field continues in (or starts with) the next word */
        const uint32_t next = *r->next++;
        idx = (r->cur | (next << r->have)) & mask;
        r->cur = next >> (r->bits - r->have);
        r->have += 32 - r->bits;
    }
    return idx;
}

/* sum over i < n of table[index k0 + i] * (x[i] + x_offset), the indices read in turn. */
static inline int32_t tg_lut_dot(const uint32_t *row, int32_t k0, int32_t n, int32_t bits,
                                 const int8_t *table, const int8_t *x, int32_t x_offset)
{
    tg_lut_reader_t r = tg_lut_reader(row, k0, bits);
    int32_t acc = 0;
    int32_t i;

    for (i = 0; i < n; ++i) {
        acc += (int32_t)table[tg_lut_read(&r)] * ((int32_t)x[i] + x_offset);
    }
    return acc;
}

/* Every row's `count` weights decoded into out, int8 [rows][count] (the int8 layout of a
   convolution's or fully connected layer's weights). */
static inline void tg_lut_decode(const tg_lut_t *lut, int32_t rows, int32_t count, int8_t *out)
{
    int32_t o, i;

    for (o = 0; o < rows; ++o) {
        tg_lut_reader_t r = tg_lut_reader(tg_lut_row(lut, o), 0, lut->bits);
        const int8_t *table = tg_lut_table(lut, o);
        int8_t *w = &out[o * count];
        for (i = 0; i < count; ++i) {
            w[i] = table[tg_lut_read(&r)];
        }
    }
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

/* A convolution's or fully connected layer's packed weights decoded into the start of a decoding
   kernel's scratch (int8 [rows][count]); returns where the int8 kernel's own scratch starts. */
static inline int8_t *tg_lut_decode_scratch(const uint32_t *packed, int32_t rows, int32_t count, int8_t *scratch)
{
    const tg_lut_t lut = tg_lut_open(packed);
    tg_lut_decode(&lut, rows, count, scratch);
    return &scratch[TG_LUT_DECODED_BYTES(rows * count)];
}

/* A depthwise layer's one row decoded into out, int8 [taps][channels] (its int8 layout), each
   channel's weights from its table. */
static inline void tg_lut_decode_taps(const tg_lut_t *lut, int32_t taps, int32_t channels, int8_t *out)
{
    tg_lut_reader_t r = tg_lut_reader(lut->rows, 0, lut->bits);
    int32_t t, c;

    for (t = 0; t < taps; ++t) {
        for (c = 0; c < channels; ++c) {
            out[t * channels + c] = tg_lut_table(lut, c)[tg_lut_read(&r)];
        }
    }
}

#endif /* TG_LUT_H */
