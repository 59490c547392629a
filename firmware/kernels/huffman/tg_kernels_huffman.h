/*
 * tg_kernels_huffman.h: entropy-coded weights (--weights huffman, issue 73). A MAC layer's
 * int8 weights, rows of depth = kernel_h*kernel_w*in_c per output channel, stored as
 * canonical Huffman codes in blocks of output channels; the block kernels decode one block
 * into scratch and compute it with the int8 arithmetic, so RAM grows by one block; the decoding
 * kernels (tg_*_huffman_decode_s8_dsp, their codes in one block) decode the whole layer, then
 * run the int8 DSP kernel on it, so RAM grows by the layer. The packed layout is built by
 * tinygen/quant/huffman.py (encode; decode is the numpy twin of the decoder):
 *
 *   uint32 [0] block (output channels per block)  [1] n_blocks  [2] table groups (0: none,
 *          the symbols are the weights; 1: one table; out_c: one per output channel; the
 *          encoder folds a single table into the code's tables)  [3] table width  [4] n_long
 *          [5] peek (1..8: the bits the first lookup takes)  [6] multi (0: no multi-symbol
 *          table, else its bits, peek < multi <= 10)  [7] halves (0 or 1); a code with a 1-bit
 *          code is decoded by its runs (tg_huffman_decode_s8), the encoder stores neither then
 *   uint32 [8 .. 8 + n_blocks]: bit offset of each block in the stream, then its length
 *   uint16 mids[n_blocks] where halves (padded to a word): each block's second half (from its
 *          symbol rows * depth / 2 on) as bits past the block's start: the decoder runs the
 *          two halves side by side
 *   uint16 fast[1 << peek] (padded to a word): (length << 8) | symbol for codes of at most
 *          peek bits; 0 where a longer code starts (then limit/delta per length peek+1..16
 *          find it among the long symbols)
 *   uint32 limit[16 - peek], int32 delta[16 - peek]; uint8 long symbols[n_long] (padded to a word)
 *   uint32 multi-symbol table[1 << multi] (where multi > 0): for the next multi bits of the
 *          stream, the codes whole in them, up to 3: bytes 0-2 their symbols, bits 24-25 how
 *          many (0: the first code is longer), bits 26-31 their bits
 *   int8 tables[groups][width] (padded to a word): a codebook's values, symbols its indices
 *          (mapped row by row once a block is decoded)
 *   uint8 stream: the codes MSB first, 4 zero bytes after the last
 */
#ifndef TG_KERNELS_HUFFMAN_H
#define TG_KERNELS_HUFFMAN_H

#include <stdint.h>
#include <string.h>

#include "tg_kernels.h"

#define TG_HUFFMAN_MAX_LEN 16
#define TG_HUFFMAN_HEADER_WORDS 8
/* Zero codes a step of a run-length decoder (tg_huffman_zero_runs,
   tg_fully_connected_batch1_huffman_s8_dsp) may take: a load keeps at least 25 bits, and the
   code after them needs up to peek <= 8 of those. */
#define TG_HUFFMAN_RUN_MAX 17

/* A packed constant's parts, found by tg_huffman_open. */
typedef struct {
    int32_t block, n_blocks, groups, width;
    uint32_t peek;                /* bits of the first lookup */
    uint32_t multi;               /* bits of the multi-symbol table (0: none) */
    const uint32_t *offsets;      /* [n_blocks + 1] bit offsets */
    const uint16_t *mids;         /* [n_blocks] the blocks' second halves, bits past their starts; NULL: none */
    const uint16_t *fast;         /* [1 << peek] */
    const uint32_t *limit;        /* [TG_HUFFMAN_MAX_LEN - peek] */
    const int32_t *delta;         /* [TG_HUFFMAN_MAX_LEN - peek] */
    const uint8_t *longs;         /* symbols of the codes longer than peek bits */
    const uint32_t *multi_table;  /* [1 << multi] */
    const int8_t *tables;         /* NULL: the symbols are the int8 values */
    const uint8_t *stream;
} tg_huffman_t;

static inline void tg_huffman_open(tg_huffman_t *h, const uint32_t *packed)
{
    const int32_t n_long = (int32_t)packed[4];
    const uint32_t *at;
    h->block = (int32_t)packed[0];
    h->n_blocks = (int32_t)packed[1];
    h->groups = (int32_t)packed[2];
    h->width = (int32_t)packed[3];
    h->peek = packed[5];
    h->multi = packed[6];
    h->offsets = &packed[TG_HUFFMAN_HEADER_WORDS];
    at = h->offsets + h->n_blocks + 1;
    h->mids = packed[7] ? (const uint16_t *)at : 0;
    at += packed[7] ? (h->n_blocks + 1) / 2 : 0;
    h->fast = (const uint16_t *)at;
    at += ((1u << h->peek) + 1u) / 2u;
    h->limit = at;
    at += TG_HUFFMAN_MAX_LEN - h->peek;
    h->delta = (const int32_t *)at;
    at += TG_HUFFMAN_MAX_LEN - h->peek;
    h->longs = (const uint8_t *)at;
    at += (n_long + 3) / 4;
    h->multi_table = at;
    at += h->multi ? 1u << h->multi : 0u;
    h->tables = h->groups ? (const int8_t *)at : 0;
    at += (h->groups * h->width + 3) / 4;
    h->stream = (const uint8_t *)at;
}

/* The next 32 bits of the stream from bit position pos, MSB first. */
static inline __attribute__((always_inline)) uint32_t tg_huffman_peek(const uint8_t *stream, uint32_t pos)
{
    uint32_t w;
    memcpy(&w, &stream[pos >> 3], sizeof w);      /* one unaligned load where the core has them */
    return __builtin_bswap32(w) << (pos & 7u);
}

/* The slow path: a code longer than peek bits, found by the canonical limits; returns
   (length << 8) | symbol, as a fast entry. Out of line: the loop keeps its registers (unused: not every file calls it). */
static __attribute__((noinline, cold, unused)) uint32_t tg_huffman_long(const tg_huffman_t *h, uint32_t bits)
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
 * Decode block b (output channels b * block .. min((b + 1) * block, out_c) - 1) into out:
 * int8 [rows][depth]. Symbols of a shared-weight layer go through their row's table.
 */
void tg_huffman_decode_s8(const tg_huffman_t *h, int32_t b, int32_t out_c, int32_t depth, int8_t *out);

/*
 * Fully connected with entropy-coded weights: tg_fully_connected_s8's arguments and results,
 * the weights as the packed constant above. scratch: block * in_features bytes.
 */
void tg_fully_connected_huffman_s8(const tg_fully_connected_params_t *p, const int8_t *input,
                                   const uint32_t *packed, const int32_t *bias,
                                   const int32_t *multiplier, const int8_t *shift,
                                   int8_t *scratch, int8_t *output);

/*
 * The same on the DSP extension (tg_mat_mult_s8_dsp.h's row bodies, two rows at a time).
 * scratch: block * in_features bytes rounded up to 8, then tg_mat_mult_s8_dsp_buffer_size
 * (in_features, block) bytes where rows >= 2.
 */
void tg_fully_connected_huffman_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                       const uint32_t *packed, const int32_t *bias,
                                       const int32_t *multiplier, const int8_t *shift,
                                       int8_t *scratch, int8_t *output);

/*
 * 2-D convolution (groups = 1) with entropy-coded weights: tg_conv2d_s8's arguments and
 * results. Each block's output channels are strided in NHWC: written at o0 + j of each pixel.
 * scratch: block * kernel_h * kernel_w * in_c bytes.
 */
void tg_conv2d_huffman_s8(const tg_conv2d_params_t *p, const int8_t *input,
                          const uint32_t *packed, const int32_t *bias,
                          const int32_t *multiplier, const int8_t *shift,
                          int8_t *scratch, int8_t *output);

/*
 * The same on the DSP extension: two output pixels at a time, their receptive fields (copied,
 * padding as the zero point, unless the conv is 1x1, stride 1, unpadded) times the block by
 * tg_mat_mult_s8_dsp.h's row bodies. scratch, each part rounded up to 8 bytes: block * depth
 * bytes, two fields of depth bytes (none for the direct conv), then tg_mat_mult_s8_dsp_buffer_size
 * (depth, block) bytes where out_h * out_w >= 2; depth = kernel_h * kernel_w * in_c.
 */
void tg_conv2d_huffman_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                              const uint32_t *packed, const int32_t *bias,
                              const int32_t *multiplier, const int8_t *shift,
                              int8_t *scratch, int8_t *output);

/*
 * The same on the DSP extension by tg_conv2d_widen_s8_dsp's direct core (tg_conv2d_widen_s8_dsp.h):
 * each block (a multiple of 4 output channels) decoded once, then 4 channels at a time widened
 * from its rows into the core's int16 layout and run over every pixel, the input read in place.
 * in_c and out_c multiples of 4. scratch: TG_HUFFMAN_DECODED_BYTES(block * depth), then 8 * depth
 * bytes; depth = kernel_h * kernel_w * in_c.
 */
void tg_conv2d_widen_huffman_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                    const uint32_t *packed, const int32_t *bias,
                                    const int32_t *multiplier, const int8_t *shift,
                                    int8_t *scratch, int8_t *output);

/*
 * A fully connected layer of one row (rows == 1) with entropy-coded weights on the DSP extension,
 * the codes decoded straight into the multiply-accumulates (no weight is stored): tg_fully_connected_s8's
 * arguments and results, the weights as the packed constant above (any block size; a block of an
 * even number of rows with its halves' starts runs two rows side by side). scratch:
 * TG_HUFFMAN_BATCH1_BYTES(in_features), the input with its offset added as int16; the whole input
 * is read before any output is written.
 */
#define TG_HUFFMAN_BATCH1_BYTES(in_features) (((in_features) * 2 + 7) & ~7)
void tg_fully_connected_batch1_huffman_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                              const uint32_t *packed, const int32_t *bias,
                                              const int32_t *multiplier, const int8_t *shift,
                                              int8_t *scratch, int8_t *output);

/* A decoded layer's share of a decoding kernel's scratch: n int8 weights rounded up to 8 bytes. */
#define TG_HUFFMAN_DECODED_BYTES(n) (((n) + 7) & ~7)

/*
 * A layer's blocks all decoded into out, int8 [out_c][depth] (the int8 layout): what a decoding
 * kernel below runs first, and a specialized layer before the int8 kernel's inline body
 * (tinygen/codegen/huffman_decode.py).
 */
void tg_huffman_decode_layer_s8(const uint32_t *packed, int32_t out_c, int32_t depth, int8_t *out);

/*
 * The decoding kernels on the DSP extension: the layer's weights decoded whole into the scratch
 * (TG_HUFFMAN_DECODED_BYTES of them), then the int8 kernel named in each (tg_kernels_dsp.h) on
 * them, with its own scratch after them; its arguments and results, the weights as the packed
 * constant above.
 */
void tg_conv2d_1x1_rows3_huffman_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                               const uint32_t *packed, const int32_t *bias,
                                               const int32_t *multiplier, const int8_t *shift,
                                               int8_t *scratch, int8_t *output);
void tg_conv2d_rows3_huffman_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                           const uint32_t *packed, const int32_t *bias,
                                           const int32_t *multiplier, const int8_t *shift,
                                           int8_t *scratch, int8_t *output);
void tg_conv2d_1x1_huffman_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                         const uint32_t *packed, const int32_t *bias,
                                         const int32_t *multiplier, const int8_t *shift,
                                         int8_t *scratch, int8_t *output);
void tg_conv2d_huffman_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                     const uint32_t *packed, const int32_t *bias,
                                     const int32_t *multiplier, const int8_t *shift,
                                     int8_t *scratch, int8_t *output);
void tg_fully_connected_huffman_decode_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                              const uint32_t *packed, const int32_t *bias,
                                              const int32_t *multiplier, const int8_t *shift,
                                              int8_t *scratch, int8_t *output);

#endif /* TG_KERNELS_HUFFMAN_H */
