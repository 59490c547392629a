/*
 * tg_depthwise_conv2d_3x3_narrow_s8_dsp: depthwise 2-D convolution, 3x3 windows, stride 1,
 * dilation 1, depth multiplier 1, on output rows of 5 pixels (out_w == TG_DW3N_LINE), channels
 * a multiple of 4, for ARMv7E-M (Cortex-M4/M7 DSP extension), int8 in/out, per-channel
 * requantization, for the layers whose records tinygen/kernels/depthwise_narrow_dsp.py packs
 * (packed[0] == in_c). A whole output row per channel (tg_depthwise_conv2d_3x3_narrow_s8_dsp.h:
 * its loops, instruction counts and floor). Equals tg_depthwise_conv2d_s8 bit for bit on the
 * layers it serves. numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 *
 * Loop order: output rows in increasing order; per row, the input rows its windows need that
 * are not yet in the ring are widened (all channels), then the row is computed channel after
 * channel and written. The output may start at the input (tinygen/passes/inplace.py): row y
 * is written after input rows up to y - pad_top + 2 are read, and overwrites none after them.
 *
 * Scratch: depthwise_narrow_dsp.narrow_scratch bytes, 4-byte aligned: the ring (3 slots of
 * TG_DW3N_SLOT_WORDS words per channel), then a row of in_c zero-point bytes.
 */
#include <stdint.h>
#include <string.h>

#include "tg_depthwise_conv2d_3x3_narrow_s8_dsp.h"
#include "tg_kernels.h"

#define TG_DW3N_SLOT_BYTES (TG_DW3N_SLOT_WORDS * 4)

/* Slot `slot` of every channel set to 0 (an input row in the padding). */
static void tg_dw3n_zero_slot(int32_t *ring, int32_t channels, int32_t slot)
{
    int32_t c;
    for (c = 0; c < channels; ++c) {
        memset(ring + (3 * c + slot) * TG_DW3N_SLOT_WORDS, 0, TG_DW3N_SLOT_BYTES);
    }
}

/* Padded column j's pixel (channel 0) in input row `row`, or the zero-point row outside it. */
static inline const int8_t *tg_dw3n_column(const tg_conv2d_params_t *p, const int8_t *row, const int8_t *zero,
                                           int32_t j)
{
    const int32_t x = j - p->pad_left;
    return x >= 0 && x < p->in_w ? row + x * p->in_c : zero;
}

static inline int32_t tg_dw3n_inside(const tg_conv2d_params_t *p, int32_t j)
{
    return j - p->pad_left >= 0 && j - p->pad_left < p->in_w;
}

/* Input row `row` widened into slot `slot`: the column pairs holding input two at a time,
   then one; pairs wholly in the padding stay 0 (set once). */
static void tg_dw3n_widen(const tg_conv2d_params_t *p, const int8_t *row, const int8_t *zero, int32_t offset2,
                          int32_t *ring, int32_t slot)
{
    int32_t k = 0;
    while (k < TG_DW3N_SLOT_WORDS) {
        int32_t *const dst = ring + slot * TG_DW3N_SLOT_WORDS + k;
        const int32_t here = tg_dw3n_inside(p, 2 * k) || tg_dw3n_inside(p, 2 * k + 1);
        const int32_t next = k + 1 < TG_DW3N_SLOT_WORDS && (tg_dw3n_inside(p, 2 * k + 2) || tg_dw3n_inside(p, 2 * k + 3));
        if (here && next) {
            tg_dw3n_widen_pairs(tg_dw3n_column(p, row, zero, 2 * k), tg_dw3n_column(p, row, zero, 2 * k + 1),
                                tg_dw3n_column(p, row, zero, 2 * k + 2), tg_dw3n_column(p, row, zero, 2 * k + 3),
                                p->in_c, offset2, dst);
            k += 2;
        } else {
            if (here) {
                tg_dw3n_widen_pair(tg_dw3n_column(p, row, zero, 2 * k), tg_dw3n_column(p, row, zero, 2 * k + 1),
                                   p->in_c, offset2, dst);
            }
            k += 1;
        }
    }
}

/* count output bytes clamped to [lo, hi]. */
static void tg_dw3n_clamp(int8_t *out, int32_t count, int32_t lo, int32_t hi)
{
    int32_t i;
    for (i = 0; i < count; ++i) {
        out[i] = (int8_t)(out[i] < lo ? lo : out[i] > hi ? hi : out[i]);
    }
}

void tg_depthwise_conv2d_3x3_narrow_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                           int8_t *scratch, int8_t *output)
{
    const int32_t channels = p->in_c;
    const int32_t offset2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u);
    int32_t *const ring = (int32_t *)(void *)scratch;
    int8_t *const zero = scratch + 3 * TG_DW3N_SLOT_BYTES * channels;
    const int32_t row_bytes = p->in_w * channels;
    int32_t out_y, k, next_row = -p->pad_top;     /* the first input row not yet in the ring */

    memset(zero, -p->input_offset, (size_t)channels);
    for (k = 0; k < TG_DW3N_SLOT_WORDS; ++k) {        /* column pairs wholly in the padding */
        if (!tg_dw3n_inside(p, 2 * k) && !tg_dw3n_inside(p, 2 * k + 1)) {
            int32_t i;
            for (i = 0; i < 3 * channels; ++i) {
                ring[i * TG_DW3N_SLOT_WORDS + k] = 0;
            }
        }
    }
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t top = out_y - p->pad_top;
        int32_t r;
        for (r = next_row > top ? next_row : top; r < top + 3; ++r) {
            if (r >= 0 && r < p->in_h) {
                tg_dw3n_widen(p, input + r * row_bytes, zero, offset2, ring, (r + 3) % 3);
            } else {
                tg_dw3n_zero_slot(ring, channels, (r + 3) % 3);
            }
        }
        next_row = top + 3;
        {
            int8_t *const out_row = output + out_y * TG_DW3N_LINE * channels;
            tg_dw3n_row(ring, packed + 1, out_row, channels, (top + 3) % 3);
            if (p->act_min > -128 || p->act_max < 127) {
                tg_dw3n_clamp(out_row, TG_DW3N_LINE * channels, p->act_min, p->act_max);
            }
        }
    }
}
