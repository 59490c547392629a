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
 * Scratch: depthwise_narrow_dsp.narrow_scratch bytes, 4-byte aligned: the ring (3 slots of 4
 * words per channel, 3 where pad_left > 0), then a row of in_c zero-point bytes.
 */
#include <stdint.h>
#include <string.h>

#include "tg_depthwise_conv2d_3x3_narrow_s8_dsp.h"
#include "tg_kernels.h"

/* The ring's geometry: phase 1 where padded column 0 is padding (pad_left 1 or 2; slot word k
   holds padded columns 2k + 1, 2k + 2), else 0 (columns 2k, 2k + 1); words per slot. */
static inline int32_t tg_dw3n_phase(const tg_conv2d_params_t *p)
{
    return p->pad_left > 0;
}

static inline int32_t tg_dw3n_words(int32_t phase)
{
    return phase ? 3 : 4;
}

/* Whether padded column j holds input. */
static inline int32_t tg_dw3n_inside(const tg_conv2d_params_t *p, int32_t j)
{
    return j - p->pad_left >= 0 && j - p->pad_left < p->in_w;
}

/* Slot `slot` of every channel set to 0 (an input row in the padding). */
static void tg_dw3n_zero_slot(int32_t *ring, int32_t channels, int32_t words, int32_t slot)
{
    int32_t *d = ring + slot * words;
    int32_t *const end = d + 3 * words * channels;
    for (; d != end; d += 3 * words) {
        d[0] = 0;
        d[1] = 0;
        d[2] = 0;
        if (words == 4) {
            d[3] = 0;
        }
    }
}

/*
 * How an input row is widened into a slot, the same for every row: runs of 2 slot words (4
 * padded columns) or 1 (2 columns) over the words holding input, in order; words wholly in
 * the padding are left out (set to 0 once). A run's columns as byte offsets into the input
 * row, -1 for a padding column (read from the zero-point row).
 */
typedef struct {
    int32_t word, columns;          /* its first slot word; 4 or 2 columns */
    int32_t at[4];
} tg_dw3n_run_t;

static int32_t tg_dw3n_plan(const tg_conv2d_params_t *p, int32_t words, int32_t phase, tg_dw3n_run_t *runs)
{
    int32_t k = 0, n = 0, i;
    while (k < words) {
        const int32_t j = 2 * k + phase;        /* the word's first padded column */
        const int32_t here = tg_dw3n_inside(p, j) || tg_dw3n_inside(p, j + 1);
        const int32_t next = k + 1 < words && (tg_dw3n_inside(p, j + 2) || tg_dw3n_inside(p, j + 3));
        if (!here) {
            ++k;
            continue;
        }
        runs[n].word = k;
        runs[n].columns = next ? 4 : 2;
        for (i = 0; i < runs[n].columns; ++i) {
            runs[n].at[i] = tg_dw3n_inside(p, j + i) ? (j + i - p->pad_left) * p->in_c : -1;
        }
        k += next ? 2 : 1;
        ++n;
    }
    return n;
}

/* Column i of a run in input row `row`, or the zero-point row. */
static inline const int8_t *tg_dw3n_at(const tg_dw3n_run_t *run, int32_t i, const int8_t *row, const int8_t *zero)
{
    return run->at[i] >= 0 ? row + run->at[i] : zero;
}

/* Input row `row` widened into slot `slot` by the plan's runs. */
static void tg_dw3n_widen(const tg_dw3n_run_t *runs, int32_t count, const int8_t *row, const int8_t *zero,
                          int32_t channels, int32_t offset2, int32_t *slot_base, int32_t words)
{
    int32_t i;
    for (i = 0; i < count; ++i) {
        const tg_dw3n_run_t *const r = &runs[i];
        const int32_t four = r->columns == 4;
        tg_dw3n_widen_run(tg_dw3n_at(r, 0, row, zero), tg_dw3n_at(r, 1, row, zero),
                          four ? tg_dw3n_at(r, 2, row, zero) : 0, four ? tg_dw3n_at(r, 3, row, zero) : 0, channels,
                          offset2, slot_base + r->word, words);
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
    const int32_t phase = tg_dw3n_phase(p), words = tg_dw3n_words(phase);
    int8_t *const zero = scratch + 3 * 4 * words * channels;
    const int32_t row_bytes = p->in_w * channels;
    tg_dw3n_run_t runs[4];
    const int32_t count = tg_dw3n_plan(p, words, phase, runs);
    int32_t out_y, k, next_row = -p->pad_top;     /* the first input row not yet in the ring */

    memset(zero, -p->input_offset, (size_t)channels);
    for (k = 0; k < words; ++k) {        /* slot words wholly in the padding */
        if (!tg_dw3n_inside(p, 2 * k + phase) && !tg_dw3n_inside(p, 2 * k + phase + 1)) {
            int32_t i;
            for (i = 0; i < 3 * channels; ++i) {
                ring[i * words + k] = 0;
            }
        }
    }
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t top = out_y - p->pad_top;
        int32_t r;
        for (r = next_row > top ? next_row : top; r < top + 3; ++r) {
            if (r >= 0 && r < p->in_h) {
                tg_dw3n_widen(runs, count, input + r * row_bytes, zero, channels, offset2,
                              ring + (r + 3) % 3 * words, words);
            } else {
                tg_dw3n_zero_slot(ring, channels, words, (r + 3) % 3);
            }
        }
        next_row = top + 3;
        {
            int8_t *const out_row = output + out_y * TG_DW3N_LINE * channels;
            tg_dw3n_row(ring, packed + 1, out_row, channels, (top + 3) % 3, phase);
            if (p->act_min > -128 || p->act_max < 127) {
                tg_dw3n_clamp(out_row, TG_DW3N_LINE * channels, p->act_min, p->act_max);
            }
        }
    }
}
