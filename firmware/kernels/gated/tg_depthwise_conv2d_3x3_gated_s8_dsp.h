/*
 * The 3x3 path of tg_depthwise_conv2d_gated_s8_dsp: tg_depthwise_conv2d_s8_dsp's 3x3 loops
 * (tg_depthwise_conv2d_3x3_s8_dsp.h) run over the kept channels only, addressed in place:
 * no gathered input, no compact result. The ring of widened input rows holds every
 * channel (tg_depthwise_conv2d_3x3_gated_ring_s8_dsp.h: 8 channels per LDRD pair and STM
 * where the channels are a multiple of 8, about 2.3 instructions per widened word, padding
 * columns included); the records (TG_DW3G_RECORD_WORDS, below) hold the kept channels only,
 * in channel order, each with a skip word, the ring bytes from this kept channel's slot to
 * the next one's minus 4
 * (4 * (kept[j+1] - kept[j] - 1); -4 for the last record: the carry of the output
 * pointer's add ends the loops), which the loops add to the ring pointers a, b, c (and a
 * quarter of it to the output pointer) after each record; a 0 loops straight back. A row's
 * 4-pixel steps are one loop (tg_dw3g_quads_row), which moves the pointers on past the kept
 * span. The output is filled with the dropped channels' value first (STM, 32 bytes per
 * instruction); the loops overwrite the kept channels. A clamp other than SSAT's (the
 * folded ReLU) is one SIMD pass per output row, as in the dense kernel (where there is none,
 * it costs nothing; in the loops it would cost every layer 2 instructions per output).
 * The dense header's row macros are used as they are, with its record addressing (TG_DW3_STEP,
 * the weight loads, the constants) redefined for this header's records; the loop ends
 * (TG_DW3G_SKIP_LOOP) are this header's own.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_DEPTHWISE_CONV2D_3X3_GATED_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_3X3_GATED_S8_DSP_H

#include "tg_depthwise_conv2d_3x3_gated_ring_s8_dsp.h"
#include "tg_depthwise_conv2d_3x3_s8_dsp.h"

/*
 * A kept channel's record, TG_DW3G_RECORD_WORDS words (built per call by
 * tg_dw_gated_records), weights doubled, lo | hi << 16:
 *   0: the doubled bias
 *   1, 2: A0 = w[0][0] | w[0][1], B0 = w[0][1] | w[0][2]      (kernel row 0)
 *   3, 4: A1, B1       5, 6: A2, B2                           (rows 1, 2)
 *   7: the skip (the ring bytes to the next kept channel's slot minus 4)
 *   8: n - 1  9: the folded multiplier      10: R = (1 + 2 * output_offset) << (n - 1)
 * Unlike the dense records (w[k][2] shared between rows in one word, made the pair B_k by a
 * PKH per row in every 4-pixel step), each row's two weight pairs are one LDRD, and the
 * requantization constants n, multiplier, R are the record's last three words, one LDMDB
 * below rec (the loops bind w1, w0, x0 to r1, r2, r3, ascending as the words). The dense
 * header's row macros are used as they are, with these redefinitions of their record
 * addressing (a macro expands where it is used, so the dense kernels keep theirs).
 */
#define TG_DW3G_RECORD_WORDS 11
#undef TG_DW3_STEP
#define TG_DW3_STEP "44"
#undef TG_DW3_LOAD_0
#undef TG_DW3_LOAD_1
#undef TG_DW3_LOAD_2
#define TG_DW3_LOAD_0 "ldrd   %[w0], %[w1], [%[rec], #4-" TG_DW3_STEP "]\n\t"
#define TG_DW3_LOAD_1 "ldrd   %[w0], %[w1], [%[rec], #12-" TG_DW3_STEP "]\n\t"
#define TG_DW3_LOAD_2 "ldrd   %[w0], %[w1], [%[rec], #20-" TG_DW3_STEP "]\n\t"
#undef TG_DW3_HALF_0
#undef TG_DW3_HALF_1
#undef TG_DW3_HALF_2
#define TG_DW3_HALF_0 "t"
#define TG_DW3_HALF_1 "t"
#define TG_DW3_HALF_2 "t"
#undef TG_DW3_W12_0
#undef TG_DW3_W12_1
#undef TG_DW3_W12_2
#define TG_DW3_W12_0 ""
#define TG_DW3_W12_1 ""
#define TG_DW3_W12_2 ""
#undef TG_DW3_SMLAD12_0
#undef TG_DW3_SMLAD12_1
#undef TG_DW3_SMLAD12_2
#define TG_DW3_SMLAD12_0 "smlad "
#define TG_DW3_SMLAD12_1 "smlad "
#define TG_DW3_SMLAD12_2 "smlad "
#undef TG_DW3_CONSTANTS
#undef TG_DW3_QUAD_CONSTANTS
#define TG_DW3_CONSTANTS "ldmdb  %[rec], {%[w1], %[w0], %[x0]}\n\t"
#define TG_DW3_QUAD_CONSTANTS TG_DW3_CONSTANTS
/* the operands of the 1- and 2-pixel loops: R is a record word here, so no k */
#define TG_DW3G_OPERANDS                                                                         \
    : [rec] "+r"(rec), [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [out] "+r"(out), [s0] "=&r"(s0), \
      [s1] "=&r"(s1), [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), [w1] "=&r"(w1)            \
    : [n] "r"(channels), [end] "r"(rec_end)                                                      \
    : "memory", "cc"
/* the record's skip word, below rec as the loops address it */
#define TG_DW3G_SKIP_AT "#28-" TG_DW3_STEP
/* the registers of TG_DW3_CONSTANTS's LDMDB (x0 is also CBNZ's low register) */
#define TG_DW3G_CONSTANT_REGS                                  \
    register int32_t w1 __asm__("r1");                         \
    register int32_t w0 __asm__("r2");                         \
    register int32_t x0 __asm__("r3");

/* The loop's end: a skip word of 0 (the next kept channel is the next channel) goes
   straight back (CBNZ not taken, B; x0 a low register); otherwise the ring and output
   pointers move past the dropped channels up to the next kept one. The last record's skip
   word, -4, takes the output pointer 1 back: that add (ADDS, the word / 4) carries, a
   forward skip's cannot (the output ends below 2^32), so carry clear loops back (the
   pointers moved after the last record are never read). */
#define TG_DW3G_SKIP_LOOP                                      \
    "ldr    %[x0], [%[rec], " TG_DW3G_SKIP_AT "]\n\t"            \
    "cbnz   %[x0], 2f\n\t"                                    \
    "b      1b\n\t"                                           \
    "2:\n\t"                                                  \
    "add    %[a], %[a], %[x0]\n\t"                             \
    "add    %[b], %[b], %[x0]\n\t"                             \
    "add    %[c], %[c], %[x0]\n\t"                             \
    "adds   %[out], %[out], %[x0], asr #2\n\t"                \
    "bcc    1b\n\t"

/* Two adjacent output pixels of a row (stride 1 or 2), the kept channels (tg_dw3_pairs); its
   own function: the fixed registers of TG_DW3G_CONSTANT_REGS leave a caller's loop none. */
static __attribute__((noinline)) void
tg_dw3g_pairs(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b, const int32_t *c,
              int32_t channels, int32_t stride, int8_t *out)
{
    int32_t s0, s1, x1;
    TG_DW3G_CONSTANT_REGS
#define TG_DW3G_STORE2                                         \
    TG_DW3_PAIR_OUT                                            \
    TG_DW3G_SKIP_LOOP
    if (stride == 1) {
        __asm__ volatile(
            "1:\n\t"
            TG_DW3_FIRST
            TG_DW3_ROW_S1(a, 0, s0)
            TG_DW3_ROW_S1(b, 1, s1)
            TG_DW3_ROW_S1(c, 2, s1)
            TG_DW3G_STORE2
            TG_DW3G_OPERANDS);
    } else {
        __asm__ volatile(
            "1:\n\t"
            TG_DW3_FIRST
            TG_DW3_ROW_S2(a, 0, s0)
            TG_DW3_ROW_S2(b, 1, s1)
            TG_DW3_ROW_S2(c, 2, s1)
            TG_DW3G_STORE2
            TG_DW3G_OPERANDS);
    }
#undef TG_DW3G_STORE2
}

/*
 * quads (>= 1) times four adjacent output pixels of a stride-1 row, the kept channels
 * (tg_dw3_quads_row): after the last kept channel the ring pointers stand 4 * span bytes
 * past their start and out span bytes (span: the last kept channel - the first; the last
 * record's skip, -4, took them one channel back), so they go on by 8 * channels - 4 * span
 * and 4 * channels - span to the next 4 pixels, rec back to the first record; the count of
 * 4-pixel steps left and the steps live in memory (all 14 registers are taken): 12
 * instructions per 4 pixels; per kept channel 59 instructions for 4 outputs (the dense
 * records' loop takes 63: a PKH per kernel row, and the constants a load and an LSL of R), 3 more to
 * go on to the next channel, 7 to skip to a later one.
 */
static inline __attribute__((always_inline)) void
tg_dw3g_quads_row(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
                  int32_t quads, int32_t span, int8_t *out)
{
    const int32_t *const rec0 = rec;
    const int32_t ring_on = 8 * channels - 4 * span, out_on = 4 * channels - span;
    int32_t s0, s1, s2, s3, x1;
    TG_DW3G_CONSTANT_REGS
    __asm__ volatile(
        "1:\n\t"
        TG_DW3_QUAD_SUMS
        TG_DW3_QUAD_OUT
        TG_DW3G_SKIP_LOOP
        "ldr    %[x0], %[ring_on]\n\t"
        "add    %[a], %[a], %[x0]\n\t"
        "add    %[b], %[b], %[x0]\n\t"
        "add    %[c], %[c], %[x0]\n\t"
        "ldr    %[x0], %[out_on]\n\t"
        "add    %[out], %[out], %[x0]\n\t"
        "ldr    %[rec], %[rec0]\n\t"
        "ldr    %[x0], %[quads]\n\t"
        "subs   %[x0], %[x0], #1\n\t"
        "str    %[x0], %[quads]\n\t"
        "bne    1b\n\t"
        : TG_DW3_QUAD_REGS, [quads] "+m"(quads)
        : [n] "r"(channels), [ring_on] "m"(ring_on), [out_on] "m"(out_on), [rec0] "m"(rec0)
        : "memory", "cc");
}

/* One output pixel, the kept channels (tg_dw3_single). */
static void tg_dw3g_single(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b,
                           const int32_t *c, int32_t channels, int8_t *out)
{
    int32_t s0, s1, x1;
    TG_DW3G_CONSTANT_REGS
    __asm__ volatile(
        "1:\n\t"
        TG_DW3_FIRST
        TG_DW3_ROW_1(a, 0)
        TG_DW3_ROW_1(b, 1)
        TG_DW3_ROW_1(c, 2)
        TG_DW3_CONSTANTS
        TG_DW3_REQUANT(x1, s0)
        "strb   %[x1], [%[out]], #1\n\t"
        TG_DW3G_SKIP_LOOP
        TG_DW3G_OPERANDS);
    (void)s1;
}

/* One output row, the kept channels (tg_dw3_row): a, b, c and out at the first kept channel,
   span the last kept channel - the first. */
static __attribute__((noinline)) void
tg_dw3g_row(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b, const int32_t *c,
            int32_t channels, int32_t out_w, int32_t stride, int32_t span, int8_t *out)
{
    const int32_t step = stride * channels;
    int32_t x = 0;
    if (stride == 1) {
        const int32_t quads = out_w / 4;
        if (quads > 0) {
            tg_dw3g_quads_row(rec, a, b, c, channels, quads, span, out);
            x = 4 * quads;
            a += 2 * quads * channels;
            b += 2 * quads * channels;
            c += 2 * quads * channels;
            out += 4 * quads * channels;
        }
        for (; x + 2 <= out_w; x += 2, a += step, b += step, c += step, out += 2 * channels) {
            tg_dw3g_pairs(rec, rec_end, a, b, c, channels, 1, out);
        }
    } else {
        for (; x + 2 <= out_w; x += 2, a += step, b += step, c += step, out += 2 * channels) {
            tg_dw3g_pairs(rec, rec_end, a, b, c, channels, 2, out);
        }
    }
    if (x < out_w) {
        tg_dw3g_single(rec, rec_end, a, b, c, channels, out);
    }
}

/*
 * The gated 3x3 path: p the layer over every channel (requantization from the records),
 * rec the n kept channels' records (TG_DW3G_RECORD_WORDS words), first and last the lowest
 * and highest kept channel; scratch tg_dw3_scratch's ring for every channel. The output's dropped channels
 * must already hold their value (which lies inside [act_min, act_max]). Input row r lives
 * in ring row (r + 3) % 3 (pad_top <= 2), as in the dense kernel; the ring rows of the
 * output row's top input row and of the next row to read are counted along, not divided.
 */
static void tg_dw3g_run(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *rec, int32_t n,
                        int32_t first, int32_t last, int8_t *scratch, int8_t *output)
{
    const int32_t channels = p->out_c, out_w = p->out_w, in_h = p->in_h, stride_h = p->stride_h;
    const int32_t offset2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u);
    const int32_t act_min4 = (int32_t)((uint32_t)(p->act_min & 0xFF) * 0x01010101u);
    const int32_t act_max4 = (int32_t)((uint32_t)(p->act_max & 0xFF) * 0x01010101u);
    const int32_t clamp = act_min4 != (int32_t)0x80808080u || act_max4 != 0x7F7F7F7F;
    const int32_t row_words = tg_dw3_row_words(p), row_step = row_words * channels;   /* words per ring row */
    const int32_t in_row = p->in_w * p->in_c;
    const int32_t *const rec_end = rec + n * TG_DW3G_RECORD_WORDS;
    int32_t *const ring = (int32_t *)(void *)scratch;
    int32_t *const rows[5] = {ring, ring + row_step, ring + 2 * row_step, ring, ring + row_step};  /* i % 3 */
    int32_t top = -p->pad_top, slot = (3 - p->pad_top) % 3;     /* the output row's top input row, its ring row */
    int32_t next_row = top, next_slot = slot;                   /* the first input row not yet in the ring */
    int8_t *out_row = output;
    int32_t out_y, r;

    tg_dw3g_ring_init(p, ring, row_step);
    for (out_y = 0; out_y < p->out_h; ++out_y, top += stride_h, out_row += out_w * channels) {
        if (next_row < top) {
            next_row = top;
            next_slot = slot;
        }
        for (r = next_row; r < top + 3; ++r) {
            if (r >= 0 && r < in_h) {
                tg_dw3g_gather(input + r * in_row, p->in_c, p->in_w, p->pad_left, row_words, offset2,
                               rows[next_slot]);
            } else {
                tg_dw3g_fill((int8_t *)(void *)rows[next_slot], row_step * (int32_t)sizeof(int32_t), 0);
            }
            next_slot = next_slot == 2 ? 0 : next_slot + 1;
        }
        next_row = top + 3;
        tg_dw3g_row(rec, rec_end, rows[slot] + first, rows[slot + 1] + first, rows[slot + 2] + first, channels, out_w,
                    p->stride_w, last - first, out_row + first);
        if (clamp) {
            tg_dw3_clamp(out_row, out_w * channels, act_min4, act_max4);
        }
        slot += stride_h;
        while (slot >= 3) {
            slot -= 3;
        }
    }
}

#endif /* TG_DEPTHWISE_CONV2D_3X3_GATED_S8_DSP_H */
