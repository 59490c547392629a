/*
 * tg_transpose_conv2d_s8_dsp: transposed 2-D convolution (any kernel, stride, dilation,
 * padding and output size; groups = 1) for ARMv7E-M (Cortex-M4/M7 DSP extension), int8
 * in/out, per-channel requantization.
 *
 * TFLite Micro scatters every input pixel into an int32 buffer of the whole output and
 * requantizes it afterwards; CMSIS-NN's arm_transpose_conv_s8 does the same through a
 * rolling buffer of rows. Both add every product into memory, widen each input word again
 * for every output channel and tap, and compute the taps that land outside the output.
 * Here the output is gathered instead, phase by phase (tg_transpose_conv2d.h): output row
 * by output row, the taps of the row's phase read a few input rows, widened to int16 once
 * into a ring of rows in scratch (tg_tconv_rows_t: each column with its right neighbour,
 * columns outside the input zero), and two adjacent output pixels of a column phase times
 * two output channels are summed in registers, 4 values of depth per step with SMLAD
 * (tg_mat_mult_pairs_s8_dsp.h's step: 16 instructions for 16 multiply-accumulates), then
 * requantized at once. Where every channel allows it (the layer's sums bounded and the
 * output offset folding into the rounding, as tg_mat_mult_s8_dsp.h's TG_REQUANT_FOLDED)
 * the rows are widened doubled and an output takes SMMLAR, ADD, ASR, SSAT; else
 * tg_requantize_fast. The int32 sums are TFLM's, so the bytes are: equals
 * tg_transpose_conv2d_s8 bit for bit. numpy twin: tinygen.ref.transpose_conv.transpose_conv2d_s8.
 *
 * packed: the phases' weights one phase after the other (phase rows outer, columns inner),
 * each [out_c][taps_h][taps_w][groups * 4] with the taps from the largest down and the input
 * channels completed to a multiple of 4 with zeros (tinygen.kernels.transpose_conv.phase_weights).
 * scratch, 8-byte aligned: tg_transpose_conv2d_s8_dsp_buffer_size(p) bytes (the planner's
 * formula is tinygen.kernels.transpose_conv.dsp_scratch). The output must not overlap the input.
 */
#include <stddef.h>
#include <stdint.h>

#include <arm_acle.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_mat_mult_pairs_s8_dsp.h"
#include "tg_requant.h"
#include "tg_transpose_conv2d.h"

/* The ring of widened rows and what a call needs to fill it. */
typedef struct {
    tg_tconv_rows_t g;
    int32_t *tags;          /* the input row each slot holds */
    int32_t *rows;          /* slots x width x groups x 4 words */
    int32_t doubled;        /* 1: rows hold 2 (x + input_offset) (the folded requantization), 0: x + input_offset */
} tg_tconv_ring_t;

/* The int16 pairs (x0, x2), (x1, x3) of channels 4 gi .. 4 gi + 3 of pixel (iy, x), zeros outside the input. */
static inline __attribute__((always_inline)) void tg_tconv_widen4(const tg_transpose_conv2d_params_t *p,
                                                                  const int8_t *input, int32_t iy, int32_t x,
                                                                  int32_t gi, int32_t doubled, int32_t *a,
                                                                  int32_t *b)
{
    const int32_t offset2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u);
    const int32_t n = p->in_c - 4 * gi;
    const int8_t *src;
    int32_t v;
    if (x < 0 || x >= p->in_w) {
        *a = *b = 0;
        return;
    }
    src = &input[(iy * p->in_w + x) * p->in_c + 4 * gi];
    if (n >= 4) {
        v = tg_dsp_load_s8x4(src);
    } else {    /* the last group: its missing channels read as the zero point, widened to 0 */
        const uint32_t zp = (uint32_t)(uint8_t)(int8_t)(-p->input_offset);
        v = (int32_t)((uint32_t)(uint8_t)src[0] | (n > 1 ? (uint32_t)(uint8_t)src[1] : zp) << 8 |
                      (n > 2 ? (uint32_t)(uint8_t)src[2] : zp) << 16 | zp << 24);
    }
    *a = __sxtab16(offset2, v);
    *b = tg_dsp_sxtab16_odd(offset2, v);
    if (doubled) {
        *a = __sadd16(*a, *a);
        *b = __sadd16(*b, *b);
    }
}

/* Input row iy (zeros outside the input) widened into dst: per column x from -left, per group, x's pairs then x + 1's. */
static void tg_tconv_widen_row(const tg_transpose_conv2d_params_t *p, const tg_tconv_ring_t *ring,
                               const int8_t *input, int32_t iy, int32_t *dst)
{
    const int32_t groups = ring->g.groups;
    int32_t e, gi;
    if (iy < 0 || iy >= p->in_h) {
        for (e = 0; e < ring->g.width * groups * 4; ++e) {
            dst[e] = 0;
        }
        return;
    }
    for (e = 0; e < ring->g.width; ++e) {
        const int32_t x = e - ring->g.left;
        for (gi = 0; gi < groups; ++gi, dst += 4) {
            tg_tconv_widen4(p, input, iy, x, gi, ring->doubled, &dst[0], &dst[1]);
            tg_tconv_widen4(p, input, iy, x + 1, gi, ring->doubled, &dst[2], &dst[3]);
        }
    }
}

/* Widened input row iy, from the ring (widened into its slot first where the slot holds another row). */
static const int32_t *tg_tconv_row(const tg_transpose_conv2d_params_t *p, const tg_tconv_ring_t *ring,
                                   const int8_t *input, int32_t iy)
{
    const int32_t slot = ((iy % ring->g.slots) + ring->g.slots) % ring->g.slots;
    int32_t *const row = ring->rows + slot * ring->g.width * ring->g.groups * 4;
    if (ring->tags[slot] != iy) {
        tg_tconv_widen_row(p, ring, input, iy, row);
        ring->tags[slot] = iy;
    }
    return row;
}

/*
 * Whether the folded requantization serves every channel: the sums bounded (tg_mat_mult_s8_dsp.h's
 * tg_mat_mult_quant, over the whole kernel's depth, which no phase exceeds) and every
 * R = (1 + 2 output_offset) 2^(n-1), n = -shift, below 2^30 in magnitude.
 */
static int32_t tg_tconv_folds(const tg_transpose_conv2d_params_t *p, const int32_t *bias, const int32_t *multiplier,
                              const int8_t *shift)
{
    const int32_t limit = (int32_t)1 << 30;
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t round = 1 + 2 * p->output_offset;
    int32_t o;
    if (depth >= limit / (255 * 128)) {
        return 0;
    }
    for (o = 0; o < p->out_c; ++o) {
        const int32_t b = bias != NULL ? bias[o] : 0, bias_limit = limit - depth * 255 * 128;
        if (multiplier[o] < limit || shift[o] > -1 || shift[o] < -31 || b >= bias_limit || b <= -bias_limit ||
            (int64_t)round * ((int64_t)1 << (-shift[o] - 1)) >= limit ||
            (int64_t)round * ((int64_t)1 << (-shift[o] - 1)) <= -limit) {
            return 0;
        }
    }
    return 1;
}

/* The layer's quantization in locals: an int8 store may alias any field of *p, locals it cannot. */
typedef struct {
    const int32_t *bias, *multiplier;
    const int8_t *shift;
    const int32_t *records;         /* tg_pairs_records' (folded) */
    int32_t out_c, gap;             /* output channels; bytes between a phase's adjacent pixels */
    int32_t output_offset, act_min, act_max;
} tg_tconv_q_t;

/*
 * The outputs of a pixel pair from its field (depth values, widened: doubled where folded)
 * and the phase's weights: out0 and out0 + gap, or out0 alone (gap 0: the field's second
 * pixel a copy of the first, so both write the same bytes).
 */
static inline __attribute__((always_inline)) void tg_tconv_outputs(const tg_tconv_q_t *q, const int16_t *field,
                                                                   int32_t depth, const int8_t *weights,
                                                                   int32_t gap, int32_t folded, int8_t *out)
{
    int32_t o = 0, i;
    if (folded) {
        /* the channel pairs (tg_mat_mult_pairs_s8_dsp.h), then the last of an odd count */
        tg_mat_mult_pairs_folded_s8(field, depth, q->out_c, weights, q->records, q->act_min, q->act_max, 0, out,
                                    out + gap);
        o = q->out_c & ~1;
    }
    for (; o < q->out_c; ++o) {
        const int32_t b = q->bias != NULL ? q->bias[o] : 0, m = q->multiplier[o], sh = q->shift[o];
        int32_t a[2] = {folded ? 2 * b : b, folded ? 2 * b : b};
        int32_t y[2];
        tg_pairs_one_channel(field, depth, weights + o * depth, a);
        for (i = 0; i < 2; ++i) {
            if (folded) {
                y[i] = tg_pairs_out(a[i], m, (int32_t)((uint32_t)(1 + 2 * q->output_offset) << (-sh - 1)), -sh,
                                    q->act_min, q->act_max, 0);
            } else {
                y[i] = tg_requantize_fast(a[i], m, sh) + q->output_offset;
                y[i] = y[i] < q->act_min ? q->act_min : y[i] > q->act_max ? q->act_max : y[i];
            }
        }
        out[gap + o] = (int8_t)y[1];
        out[o] = (int8_t)y[0];
    }
}

/*
 * The outputs of one phase of an output row: cols pixels from out (q->gap bytes apart), two at
 * a time, each pair's field copied from the phase's tap rows (rows[j] at column 0), runs of
 * taps_w columns.
 */
static inline __attribute__((always_inline)) void tg_tconv_phase_row(const tg_tconv_q_t *q,
                                                                     const int32_t *const *rows, int32_t taps_h,
                                                                     int32_t taps_w, int32_t in_step,
                                                                     int32_t groups, int32_t x_first, int32_t cols,
                                                                     const int8_t *weights, int32_t folded,
                                                                     int32_t *field, int8_t *out)
{
    const int32_t column = groups * 4, depth = taps_h * taps_w * column;
    /* one tap row of adjacent columns: a pair's field is a run of that widened row, read in place */
    const int32_t in_place = taps_h == 1 && in_step == 1;
    int32_t c, j, i, k;
    for (c = 0; c < cols; c += 2, out += 2 * q->gap) {
        const int32_t *f = field;
        if (in_place && c + 1 < cols) {
            f = rows[0] + (x_first + c) * column;
        } else {
            int32_t *d = field;
            for (j = 0; j < taps_h; ++j) {
                for (i = 0; i < taps_w; ++i) {
                    const int32_t *src = rows[j] + (x_first + c + i * in_step) * column;
                    for (k = 0; k < column; ++k) {
                        *d++ = src[k];
                    }
                }
            }
            if (c + 1 == cols) {   /* the last pixel of an odd count: its pairs in the second pixel's place too */
                for (k = 0; k < depth; k += 4) {
                    field[k + 2] = field[k];
                    field[k + 3] = field[k + 1];
                }
            }
        }
        tg_tconv_outputs(q, (const int16_t *)(const void *)f, depth, weights, c + 1 < cols ? q->gap : 0, folded,
                         out);
    }
}

/* Every output, row by row; folded: a constant, the requantization's form. */
static inline __attribute__((always_inline)) void tg_tconv_rows_all(const tg_transpose_conv2d_params_t *p,
                                                                    tg_tconv_ring_t *ring, const int8_t *input,
                                                                    const int8_t *packed, const tg_tconv_q_t *q,
                                                                    int32_t folded, int32_t *field, int8_t *output)
{
    const int32_t c4 = ring->g.groups * 4, out_h = p->out_h, out_w = p->out_w;
    const int32_t sh = p->stride_h, sw = p->stride_w, kh = p->kernel_h, kw = p->kernel_w, dh = p->dilation_h;
    const int32_t dw = p->dilation_w, top = p->pad_top, left = p->pad_left;
    const int32_t *rows[TG_TCONV_MAX_TAPS_H];
    int32_t oy, a, j;
    for (oy = 0; oy < out_h; ++oy) {
        const int32_t ay = oy % sh;
        const tg_tconv_axis_t ty = tg_tconv_axis(ay, kh, sh, dh, top);
        const int32_t y0 = tg_tconv_base(&ty, oy, sh, dh, top);
        int32_t taps_before = 0, taps_w_before = 0;     /* the phases' taps before this one's, along y and x */
        for (a = 0; a < ay; ++a) {
            taps_before += tg_tconv_axis(a, kh, sh, dh, top).count;
        }
        for (j = 0; j < ty.count; ++j) {
            rows[j] = tg_tconv_row(p, ring, input, y0 + j * ty.in_step) + ring->g.left * c4;
        }
        for (a = 0; a < sw && a < out_w; ++a) {
            const tg_tconv_axis_t tx = tg_tconv_axis(a, kw, sw, dw, left);
            const int8_t *weights = packed + q->out_c * c4 * (taps_before * kw + ty.count * taps_w_before);
            tg_tconv_phase_row(q, rows, ty.count, tx.count, tx.in_step, ring->g.groups,
                               tg_tconv_base(&tx, a, sw, dw, left), (out_w - a + sw - 1) / sw, weights, folded, field,
                               &output[(oy * out_w + a) * q->out_c]);
            taps_w_before += tx.count;
        }
    }
}

void tg_transpose_conv2d_s8_dsp(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                                const int8_t *packed, const int32_t *bias, const int32_t *multiplier,
                                const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const int32_t pairs = p->out_c / 2;
    tg_tconv_ring_t ring;
    tg_tconv_q_t q;
    int32_t *field;
    int32_t k;

    ring.g = tg_tconv_rows(p);
    ring.doubled = tg_tconv_folds(p, bias, multiplier, shift);
    ring.tags = (int32_t *)(void *)scratch + TG_PAIRS_RECORD_WORDS * pairs;
    field = (int32_t *)(void *)(scratch + tg_tconv_field_offset(p, &ring.g));
    ring.rows = field + tg_tconv_max_depth(p, &ring.g);
    for (k = 0; k < ring.g.slots; ++k) {
        ring.tags[k] = INT32_MIN;       /* no input row */
    }
    q.bias = bias;
    q.multiplier = multiplier;
    q.shift = shift;
    q.records = (const int32_t *)(const void *)scratch;
    q.out_c = p->out_c;
    q.gap = p->stride_w * p->out_c;
    q.output_offset = p->output_offset;
    q.act_min = p->act_min;
    q.act_max = p->act_max;
    if (ring.doubled) {
        tg_pairs_records(p->out_c, bias, multiplier, shift, p->output_offset, (int32_t *)(void *)scratch);
        tg_tconv_rows_all(p, &ring, input, packed, &q, 1, field, output);
    } else {
        tg_tconv_rows_all(p, &ring, input, packed, &q, 0, field, output);
    }
}
