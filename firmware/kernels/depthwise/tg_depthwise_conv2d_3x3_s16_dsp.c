/*
 * tg_depthwise_conv2d_3x3_s16_dsp: depthwise 2-D convolution of a 16x8 model for ARMv7E-M
 * (Cortex-M4/M7 DSP extension), 3x3 windows, stride 1, dilation 1, depth multiplier 1, any
 * padding: int16 input and output, one constant `packed` (tinygen.kernels.s16_dsp.
 * s16_dsp_depthwise_3x3_packed), TG_DW3S_CHANNEL int16 per channel: its weights widened to int16
 * as 5 words, w[0][0] | w[0][1] << 16, w[1][0] | w[1][1] << 16, w[2][0] | w[2][1] << 16,
 * w[0][2] | w[1][2] << 16, w[2][2], then its requantization record (int64 bias, multiplier and
 * shift folded; tg_mat_mult_s16_dsp.h).
 *
 * The scheme of tg_depthwise_conv2d_3x3_s8_dsp: a ring of 3 input rows in scratch, each row
 * rearranged per channel into column pairs (word k of channel c: padded columns 2k and 2k + 1,
 * 0 in the padding; padding rows all 0), so that one SMLAD multiplies two taps of a kernel row.
 * Each input row is rearranged once (two loads, PKHBT, PKHTB and two stores per two channels and
 * two columns). Then per channel along the output row (in assembly: the C compiler spills at
 * this register count), four output pixels per step from 3 column pairs of each of the 3 ring
 * rows where the channel's record needs no final shift (rshift 0, the usual case), else two from
 * 2: per kernel row and pixel pair SMLAD and SMLABB for the first pixel, three halfword
 * multiplies for the second; the weights stay in registers along the row. No edge cases: the
 * padding is in the ring.
 *
 * Accumulation: int32. Each product |x * w| <= 32768 * 128 = 2^22 and a window has 9 taps, so
 * |sum| <= 9 * 2^22 < 2^31 for any weights: the exact sum TFLite forms in int64 (a padding tap
 * adds 0 * w = 0, as TFLite leaving it out). Then tg_s16_requant_rec (one SMLAL: tg_requantize_s64
 * of the sum plus the int64 bias; the proof is at the records in tg_mat_mult_s16_dsp.h),
 * saturated to int16 (SSAT), and, where the layer's activation range is narrower, each output row
 * clamped to it after (clamping a saturated value to a range inside int16's gives the clamp of the
 * value itself). Equals tg_depthwise_conv2d_s16 bit for bit on the layers it takes
 * (tinygen.kernels.s16_table); numpy twin: tinygen.ref.int16.depthwise_conv2d_s16.
 *
 * Scratch: 3 ring rows of out_c * ((out_w + 1) / 2 + 1) words, 4-byte aligned
 * (tinygen.kernels.s16_dsp.depthwise_3x3_s16_dsp_scratch). The input and output do not overlap.
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_depthwise_rows_s16_dsp.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s16_dsp.h"

/* int16 per channel in the packed constant: 5 weight words, then the record */
#define TG_DW3S_CHANNEL (10 + TG_S16_RECORD)

/*
 * The assembly of tg_dw3s_channel_row's loop, in pieces: the 15 multiplies of a step (two
 * pixels), the requantization of both sums (with or without the shift right by rshift: records
 * of total shifts of 32 and less, the usual ones, have rshift 0), the stores and the loop's end.
 */
#define TG_DW3S_STEP_MACS \
    /* kernel row 0: pixel 0 takes columns 0, 1 (SMUAD) and 2; pixel 1 columns 1, 2, 3 */ \
    "ldr    %[x], [%[a]], #4\n\t" \
    "smuad  %[s0], %[x], %[w0]\n\t" \
    "smultb %[s1], %[x], %[w0]\n\t" \
    "ldr    %[x], [%[a]]\n\t" \
    "smlabb %[s0], %[x], %[w02], %[s0]\n\t" \
    "smlabt %[s1], %[x], %[w0], %[s1]\n\t" \
    "smlatb %[s1], %[x], %[w02], %[s1]\n\t" \
    /* kernel row 1: w[1][2] is w02's top half */ \
    "ldr    %[x], [%[b]], #4\n\t" \
    "smlad  %[s0], %[x], %[w1], %[s0]\n\t" \
    "smlatb %[s1], %[x], %[w1], %[s1]\n\t" \
    "ldr    %[x], [%[b]]\n\t" \
    "smlabt %[s0], %[x], %[w02], %[s0]\n\t" \
    "smlabt %[s1], %[x], %[w1], %[s1]\n\t" \
    "smlatt %[s1], %[x], %[w02], %[s1]\n\t" \
    /* kernel row 2: w[2][2] from memory */ \
    "ldr    %[x], [%[c]], #4\n\t" \
    "smlad  %[s0], %[x], %[w2], %[s0]\n\t" \
    "smlatb %[s1], %[x], %[w2], %[s1]\n\t" \
    "ldr    %[x], [%[c]]\n\t" \
    "ldr    %[t], %[w22]\n\t" \
    "smlabb %[s0], %[x], %[t], %[s0]\n\t" \
    "smlabt %[s1], %[x], %[w2], %[s1]\n\t" \
    "smlatb %[s1], %[x], %[t], %[s1]\n\t" \

#define TG_DW3S_RQ_SHIFT                                  \
    "ldr    %[u], %[mult]\n\t"                            \
    "ldr    %[x], %[off_lo]\n\t"                          \
    "ldr    %[t], %[off_hi]\n\t"                          \
    "smlal  %[x], %[t], %[s0], %[u]\n\t"                  \
    "ldr    %[x], %[rshift]\n\t"                          \
    "asr    %[s0], %[t], %[x]\n\t"                        \
    "ssat   %[s0], #16, %[s0]\n\t"                        \
    "ldr    %[x], %[off_lo]\n\t"                          \
    "ldr    %[t], %[off_hi]\n\t"                          \
    "smlal  %[x], %[t], %[s1], %[u]\n\t"                  \
    "ldr    %[x], %[rshift]\n\t"                          \
    "asr    %[s1], %[t], %[x]\n\t"                        \
    "ssat   %[s1], #16, %[s1]\n\t"

#define TG_DW3S_RQ_NO_SHIFT                               \
    "ldr    %[u], %[mult]\n\t"                            \
    "ldr    %[x], %[off_lo]\n\t"                          \
    "ldr    %[t], %[off_hi]\n\t"                          \
    "smlal  %[x], %[t], %[s0], %[u]\n\t"                  \
    "ssat   %[s0], #16, %[t]\n\t"                         \
    "ldr    %[x], %[off_lo]\n\t"                          \
    "ldr    %[t], %[off_hi]\n\t"                          \
    "smlal  %[x], %[t], %[s1], %[u]\n\t"                  \
    "ssat   %[s1], #16, %[t]\n\t"

#define TG_DW3S_STEP_STORE \
    "strh   %[s0], [%[out]]\n\t" \
    "ldr    %[x], %[step2]\n\t" \
    "strh   %[s1], [%[out], %[x]]\n\t" \
    "ldr    %[x], %[step4]\n\t" \
    "add    %[out], %[out], %[x]\n\t" \
    "cmp    %[out], %[end]\n\t" \
    "bne    1b\n\t" \

#define TG_DW3S_STEP_OPERANDS \
    : [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [out] "+r"(out), [s0] "=&r"(s0), [s1] "=&r"(s1), \
    [x] "=&r"(x), [t] "=&r"(t), [u] "=&r"(u) \
    : [end] "r"(end), [w0] "r"(w0), [w1] "r"(w1), [w2] "r"(w2), [w02] "r"(w02), [w22] "m"(m.w22), \
    [off_lo] "m"(m.off_lo), [off_hi] "m"(m.off_hi), [mult] "m"(m.mult), [rshift] "m"(m.rshift), \
    [step2] "m"(m.step2), [step4] "m"(m.step4) \
    : "memory", "cc"

/*
 * Four pixels per step (column pairs k, k + 1, k + 2 of each ring row; the row pointers move on by
 * two): 40 multiplies and loads, the requantization without the shift (rshift 0; the multiplier in
 * w0's register, w0 reloaded after), 4 stores, and the loop's end compared from memory: 68
 * instructions for 4 outputs against 39 for 2 (the rows a macro: TG_DW3S_ROW4). 14 registers.
 */
/* kernel row of ring row r, weights w (taps 0, 1) and the lo2 / hi2 half of wr2 (tap 2); DUAL, TB
   start (kernel row 0: SMUAD, SMULTB) or add to (SMLAD, SMLATB) pixel 2j's and 2j + 1's sums */
#define TG_DW3S_DUAL_NEW(s, w) "smuad  %[" #s "], %[x], %[" #w "]\n\t"
#define TG_DW3S_DUAL_ADD(s, w) "smlad  %[" #s "], %[x], %[" #w "], %[" #s "]\n\t"
#define TG_DW3S_TB_NEW(s, w) "smultb %[" #s "], %[x], %[" #w "]\n\t"
#define TG_DW3S_TB_ADD(s, w) "smlatb %[" #s "], %[x], %[" #w "], %[" #s "]\n\t"
#define TG_DW3S_ROW4(r, w, wr2, lo2, hi2, DUAL, TB) \
    "ldr    %[x], [%[" #r "]], #4\n\t" \
    DUAL(s0, w) \
    TB(s1, w) \
    "ldr    %[x], [%[" #r "]], #4\n\t" \
    "smlab" #lo2 " %[s0], %[x], %[" #wr2 "], %[s0]\n\t" \
    "smlabt %[s1], %[x], %[" #w "], %[s1]\n\t" \
    "smlat" #hi2 " %[s1], %[x], %[" #wr2 "], %[s1]\n\t" \
    DUAL(s2, w) \
    TB(s3, w) \
    "ldr    %[x], [%[" #r "]]\n\t" \
    "smlab" #lo2 " %[s2], %[x], %[" #wr2 "], %[s2]\n\t" \
    "smlabt %[s3], %[x], %[" #w "], %[s3]\n\t" \
    "smlat" #hi2 " %[s3], %[x], %[" #wr2 "], %[s3]\n\t"

#define TG_DW3S_RQ4(s) \
    "ldr    %[x], %[off_lo]\n\t" \
    "ldr    %[t], %[off_hi]\n\t" \
    "smlal  %[x], %[t], %[" #s "], %[w0]\n\t" \
    "ssat   %[" #s "], #16, %[t]\n\t"

#define TG_DW3S_STEP4 \
    TG_DW3S_ROW4(a, w0, w02, b, b, TG_DW3S_DUAL_NEW, TG_DW3S_TB_NEW) \
    TG_DW3S_ROW4(b, w1, w02, t, t, TG_DW3S_DUAL_ADD, TG_DW3S_TB_ADD) \
    "ldr    %[t], %[w22]\n\t" \
    TG_DW3S_ROW4(c, w2, t, b, b, TG_DW3S_DUAL_ADD, TG_DW3S_TB_ADD) \
    "ldr    %[w0], %[mult]\n\t" \
    TG_DW3S_RQ4(s0) TG_DW3S_RQ4(s1) TG_DW3S_RQ4(s2) TG_DW3S_RQ4(s3) \
    "ldr    %[w0], %[w0m]\n\t" \
    "ldr    %[x], %[step2]\n\t" \
    "strh   %[s0], [%[out]]\n\t" \
    "strh   %[s1], [%[out], %[x]]\n\t" \
    "add    %[out], %[out], %[x], lsl #1\n\t" \
    "strh   %[s2], [%[out]]\n\t" \
    "strh   %[s3], [%[out], %[x]]\n\t" \
    "add    %[out], %[out], %[x], lsl #1\n\t" \
    "ldr    %[x], %[end4]\n\t" \
    "cmp    %[out], %[x]\n\t" \
    "bne    1b\n\t"

#define TG_DW3S_STEP4_OPERANDS \
    : [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [out] "+r"(out), [s0] "=&r"(s0), [s1] "=&r"(s1), \
      [s2] "=&r"(s2), [s3] "=&r"(s3), [x] "=&r"(x), [t] "=&r"(t), [w0] "+r"(w0r) \
    : [w1] "r"(w1), [w2] "r"(w2), [w02] "r"(w02), [w22] "m"(m.w22), [off_lo] "m"(m.off_lo), \
      [off_hi] "m"(m.off_hi), [mult] "m"(m.mult), [step2] "m"(m.step2), [w0m] "m"(m.w0), [end4] "m"(end4) \
    : "memory", "cc"

/*
 * One channel's output row: a, b, c its words in the ring rows of kernel rows 0, 1, 2 (column
 * pair 0), pk its packed weights and record, out its output at pixel 0, step int16 between pixels.
 * Not inlined: GCC spills less setting up each call on its own (measured).
 */
static __attribute__((noinline)) void tg_dw3s_channel_row(const int32_t *a, const int32_t *b, const int32_t *c,
                                                          const int16_t *pk, int32_t out_w, int32_t step,
                                                          int16_t *out)
{
    const int32_t w0 = tg_s16_load_pair(pk), w1 = tg_s16_load_pair(pk + 2), w2 = tg_s16_load_pair(pk + 4);
    const int32_t w02 = tg_s16_load_pair(pk + 6), w22 = tg_s16_load_pair(pk + 8);   /* w[0][2] | w[1][2], w[2][2] */
    const tg_s16_record_t r = tg_s16_record(pk + 10);
    int16_t *const end = out + (out_w & ~1) * step;

    /* the loop in assembly: 13 registers (the 3 row pointers, out, end, 4 weight words, the 2 sums,
       a column pair and a temporary); w[2][2], the record and the output steps read from the
       stack (memory operands) */
    const struct {
        int32_t w22, off_lo, off_hi, mult, rshift, step2, step4, w0;
    } m = {w22, (int32_t)(uint32_t)r.offset, (int32_t)(uint32_t)(r.offset >> 32), r.mult, r.rshift,
           2 * step, 4 * step, w0};
    int32_t s0, s1, x, t, u;
    if (m.rshift == 0 && out_w >= 4) {  /* four pixels per step while four are left */
        int32_t s2, s3, w0r = w0;
        int16_t *const end4 = out + (out_w & ~3) * step;
        __asm__ volatile("1:\n\t" TG_DW3S_STEP4 TG_DW3S_STEP4_OPERANDS);
    }
    if (out != end && m.rshift == 0) {
        __asm__ volatile("1:\n\t" TG_DW3S_STEP_MACS TG_DW3S_RQ_NO_SHIFT TG_DW3S_STEP_STORE TG_DW3S_STEP_OPERANDS);
    } else if (out != end) {
        __asm__ volatile("1:\n\t" TG_DW3S_STEP_MACS TG_DW3S_RQ_SHIFT TG_DW3S_STEP_STORE TG_DW3S_STEP_OPERANDS);
    }
    if (out_w & 1) {                 /* an odd width's last pixel */
        s0 = __smlad(a[0], w0, 0);
        s0 = __smlabb(a[1], w02, s0);
        s0 = __smlad(b[0], w1, s0);
        s0 = __smlabt(b[1], w02, s0);
        s0 = __smlad(c[0], w2, s0);
        s0 = __smlabb(c[1], w22, s0);
        out[0] = tg_s16_sat(tg_s16_requant_rec(s0, r));
    }
}

void tg_depthwise_conv2d_3x3_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed,
                                     int8_t *scratch, int16_t *output)
{
    const int32_t channels = p->out_c, kp = (p->out_w + 1) / 2 + 1, row_words = channels * kp;
    int32_t *const ring = (int32_t *)(void *)scratch;
    int32_t out_y, r, ch, next_row = -p->pad_top;       /* the first input row not yet in the ring */

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t top = out_y - p->pad_top;
        int32_t *rows[3];
        int16_t *const out_row = output + out_y * p->out_w * channels;
        for (r = next_row > top ? next_row : top; r < top + 3; ++r) {
            tg_dw_rows_gather(r >= 0 && r < p->in_h ? input + r * p->in_w * channels : NULL, p->in_w, p->pad_left,
                           channels, kp, ring + (r % 3 + 3) % 3 * row_words);
        }
        next_row = top + 3;
        for (r = 0; r < 3; ++r) {
            rows[r] = ring + ((top + r) % 3 + 3) % 3 * row_words;
        }
        for (ch = 0; ch < channels; ++ch) {
            tg_dw3s_channel_row(rows[0] + ch * kp, rows[1] + ch * kp, rows[2] + ch * kp,
                                packed + ch * TG_DW3S_CHANNEL, p->out_w, channels, out_row + ch);
        }
        tg_s16_clamp_span(out_row, p->out_w * channels, p->act_min, p->act_max);
    }
}
