/*
 * tg_depthwise_conv2d_gated_s8_dsp: gated depthwise convolution (depth multiplier 1) for
 * ARMv7E-M (see tg_kernels_gating.h). The gate is folded into the requantization: each kept
 * channel's multiplier and shift times its gate value become one multiplier and shift
 * (tg_gate_fold, once per kept channel per call), so every kept output is requantized once,
 * by tg_depthwise_conv2d_s8_dsp itself. A depthwise channel reads only its own input
 * channel, so the kept channels form a smaller depthwise layer: their input channels and
 * folded constants (where the 3x3 path serves, records in tg_depthwise_conv2d_s8_dsp's
 * layout, rebuilt from this kernel's packed constant with the folded n, multiplier and R;
 * otherwise the weights and bias) are
 * gathered into scratch, the core runs on them, and the compact result is scattered into
 * the output (the dropped channels get the clamped output zero point). When every channel
 * is kept the core reads the input in place and writes the output directly. Where the 3x3
 * path serves, the kept channels are not gathered: tg_dw3g_run
 * (tg_depthwise_conv2d_3x3_gated_s8_dsp.h) computes them in place from their records, each
 * with the skip to the next kept channel, after the output is filled with the dropped value.
 * numpy twin: tinygen.gating.ref.depthwise_conv2d_gated_s8.
 *
 * Scratch, 4-byte aligned, C = in_c rounded up to 4: the kept channels' int16 indices (2C),
 * the compact input (in_h * in_w * C), weights (kernel_h * kernel_w * C), bias, multiplier
 * and shift (12C), records (4 + 44C), the compact result (out_h * out_w * C, rounded up to
 * 4), then tg_depthwise_conv2d_s8_dsp's own scratch for all the channels (the 3x3 path's
 * ring there too).
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <stddef.h>
#include <string.h>

#include "tg_conv2d_gated.h"
#include "tg_depthwise_conv2d_3x3_gated_s8_dsp.h"
#include "tg_mat_mult_s8_dsp.h"

/* words per channel in tg_depthwise_conv2d_s8_dsp's 3x3 records (TG_DW3_RECORD_WORDS;
 * tinygen.kernels.depthwise_dsp.RECORD_WORDS) */
#define TG_DW_GATED_RECORD_WORDS 7
/*
 * words per channel in this kernel's packed constant (after its header word, the channel
 * count; tinygen.gating.kernels.depthwise_gated_dsp_records, GATED_PACKED_WORDS), weights
 * doubled, lo | hi << 16: 0 the doubled bias, per kernel row k (words 1 + 2k, 2 + 2k)
 * A_k = w[k][0] | w[k][1] and B_k = w[k][1] | w[k][2], then 7 base = 33 + gate_shift +
 * shift, 8 m1 = (multiplier * gate_multiplier + 2^30) >> 31, 9 the doubled accumulator
 * bound (< 2^31). Words 0..6 are the run-time records' (TG_DW3G_RECORD_WORDS).
 */
#define TG_DW_GATED_PACKED_WORDS 10

/* dst[px][j] = src[px][kept[j]] for every pixel: the kept channels, compact. */
static void tg_dw_gated_gather(const int8_t *src, int32_t pixels, int32_t channels, const int16_t *kept, int32_t n,
                               int8_t *dst)
{
    int32_t px, j;
    for (px = 0; px < pixels; ++px, src += channels) {
        for (j = 0; j < n; ++j) {
            *dst++ = src[kept[j]];
        }
    }
}

/* A folded channel's 3x3 record in tg_depthwise_conv2d_s8_dsp's layout (TG_DW3_RECORD_WORDS in
 * tg_depthwise_conv2d_3x3_rows_s8_dsp.h), from the channel's packed words src (the weights
 * regrouped: w02 | w12, (n - 1) | w22; the caller marks the last record TG_DW3_LAST), with
 * the multiplier m and shift s; 0 when the record's requantization would not be exact for it (the conditions of
 * tinygen.kernels.depthwise_dsp.requant_small_ok: m >= 0, 1 <= n <= 31, the accumulator's
 * bound acc < 2^30 and x + |R| + 1 < 2^31, x = SMMULR(2 acc, m)), all in 32 bits. */
static int32_t tg_dw_gated_record(const int32_t *src, int32_t m, int32_t s, int32_t out_offset, int32_t *dst)
{
    const uint32_t bias2 = (uint32_t)src[0];
    const uint32_t acc = (src[0] < 0 ? 0u - bias2 : bias2) / 2u + 9u * 255u * 128u;
    const int32_t n = -s;
    const uint32_t k = (uint32_t)(1 + 2 * out_offset < 0 ? -(1 + 2 * out_offset) : 1 + 2 * out_offset);
    uint32_t x;
    if (m < 0 || n < 1 || n > 31 || acc >= (1u << 30) || (n - 1) >= __builtin_clz(k)) {
        return 0;   /* (the last: |R| = k << (n - 1) >= 2^31) */
    }
    x = (uint32_t)(((uint64_t)(2u * acc) * (uint32_t)m + 0x80000000u) >> 32);     /* < 2^30 */
    if (x + (k << (n - 1)) + 1u >= 0x80000000u) {
        return 0;
    }
    dst[0] = src[0];
    dst[1] = src[1];
    dst[2] = (int32_t)(((uint32_t)src[2] >> 16) | ((uint32_t)src[4] & 0xFFFF0000u));
    dst[3] = src[3];
    dst[4] = src[5];
    dst[5] = (int32_t)(((uint32_t)src[6] & 0xFFFF0000u) | (uint32_t)(n - 1));
    dst[6] = m;
    return 1;
}

/* Words 0..6 of a packed channel (bias, A0..B2) to its run-time record at d: two LDM / STM. */
static inline __attribute__((always_inline)) void tg_dw_gated_copy7(const int32_t *src, int32_t *d)
{
    __asm__ volatile(
        "ldm    %[s], {r4, r5, r6, r7}\n\t"
        "stm    %[d], {r4, r5, r6, r7}\n\t"
        "ldr    r4, [%[s], #16]\n\t"
        "ldrd   r5, r6, [%[s], #20]\n\t"
        "str    r4, [%[d], #16]\n\t"
        "strd   r5, r6, [%[d], #20]\n\t"
        :
        : [s] "r"(src), [d] "r"(d)
        : "r4", "r5", "r6", "r7", "memory");
}

/* The kept channels' TG_DW3G_RECORD_WORDS-word folded records at rec, in channel order
 * (tg_depthwise_conv2d_3x3_gated_s8_dsp.h: packed words 0..6, then the ring bytes to the
 * next kept channel's slot minus 4 (-4 for the last record), n, the folded multiplier and
 * R), built in one pass over the gate; *first and *last the lowest and highest kept
 * channel. Returns the number kept, or -1 where a kept channel's folded record would not be
 * exact (then the caller folds with tg_gate_fold and takes the gather path).
 * A record's folded multiplier must be > 0 and its n in 1..31, so only tg_gate_fold's
 * Q > 0 case is computed here; the bounds are tg_dw_gated_record's. The packed records
 * hold what does not depend on the gate value (TG_DW_GATED_PACKED_WORDS): word 7 base =
 * 33 + gate_shift + shift, word 8 m1 (the channel's multiplier times the gate's, rounded to
 * Q31), word 9 the doubled accumulator bound (< 2^31: the records are packed only where it
 * is below 2^30). Per kept channel Q = m1 * g' and tg_gate_fold_positive (tg_conv2d_gated.h).
 * Its own function: few values live per channel. */
static __attribute__((noinline)) int32_t
tg_dw_gated_records(const tg_conv2d_gated_params_t *p, const int8_t *gate, const int32_t *packed, int32_t *rec,
                    int32_t *first, int32_t *last)
{
    const int32_t channels = p->out_c, gate_zero = -p->gate_input_offset;
    const int32_t r1 = 1 + 2 * p->gate_output_offset;     /* R = r1 << (n - 1) */
    const uint32_t r_abs = (uint32_t)(r1 < 0 ? -r1 : r1);
    /* n - 1 below both 31 and the room left above |r1| (|R| < 2^31) */
    const uint32_t n_room = __builtin_clz(r_abs) < 31 ? (uint32_t)__builtin_clz(r_abs) : 31u;
    int32_t *const rec0 = rec;
    int32_t prev = -1, c;
    for (c = 0; c < channels; ++c) {
        const int32_t g = gate[c] - gate_zero;
        const int32_t *src;
        int64_t q;
        int32_t shift_n;
        uint32_t mag, x;
        if (g == 0) {
            continue;
        }
        src = &packed[1 + TG_DW_GATED_PACKED_WORDS * c];
        q = (int64_t)src[8] * g;
        if (q <= 0) {
            return -1;
        }
        mag = tg_gate_fold_positive(q, src[7], &shift_n);
        if ((uint32_t)(shift_n - 1) >= n_room) {
            return -1;
        }
        x = (uint32_t)(((uint64_t)(uint32_t)src[9] * mag + 0x80000000u) >> 32);
        if (x + (r_abs << (shift_n - 1)) + 1u >= 0x80000000u) {
            return -1;
        }
        tg_dw_gated_copy7(src, rec);
        if (prev >= 0) {
            rec[7 - TG_DW3G_RECORD_WORDS] = 4 * (c - prev - 1);   /* the previous record's skip */
        } else {
            *first = c;
        }
        rec[8] = shift_n - 1;
        rec[9] = (int32_t)mag;
        rec[10] = (int32_t)((uint32_t)r1 << (shift_n - 1));
        rec += TG_DW3G_RECORD_WORDS;
        prev = c;
    }
    if (prev >= 0) {
        rec[7 - TG_DW3G_RECORD_WORDS] = -4;
        *last = prev;
    }
    return (int32_t)(rec - rec0) / TG_DW3G_RECORD_WORDS;
}

/* output[px][kept[j]] = the compact result y[px][j], the dropped channels `dropped`. */
static void tg_dw_gated_scatter(const int8_t *y, const int16_t *kept, int32_t n, int32_t pixels, int32_t channels,
                                int8_t dropped, int8_t *output)
{
    int32_t px, j;
    for (px = 0; px < pixels; ++px, output += channels) {
        memset(output, (uint8_t)dropped, (size_t)channels);
        for (j = 0; j < n; ++j) {
            output[kept[j]] = *y++;
        }
    }
}

void tg_depthwise_conv2d_gated_s8_dsp(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                                      const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                                      const int8_t *shift, const int32_t *packed, int8_t *scratch,
                                      int8_t *output)
{
    const int32_t channels = p->out_c, c4 = (channels + 3) & ~3;
    const int32_t in_px = p->in_h * p->in_w, out_px = p->out_h * p->out_w, taps = p->kernel_h * p->kernel_w;
    const int32_t gate_zero = -p->gate_input_offset;
    int32_t records = packed[0] == channels;
    int16_t *const kept = (int16_t *)(void *)scratch;
    int8_t *const xk = scratch + 2 * c4;
    int8_t *const wk = xk + ((in_px * c4 + 3) & ~3);
    int32_t *const bk = (int32_t *)(void *)(wk + taps * c4);
    int32_t *const mk = bk + c4;
    int8_t *const sk = (int8_t *)(void *)(mk + c4);     /* int8 shifts, as the kernels take them */
    int32_t *const pk = mk + 2 * c4;
    int8_t *const yk = (int8_t *)(void *)(pk + 1 + TG_DW3G_RECORD_WORDS * c4);
    int8_t *const inner = yk + ((out_px * c4 + 3) & ~3);
    const int8_t dropped = tg_gate_fold_dropped(p);
    tg_conv2d_params_t conv = tg_conv2d_gated_conv(p);
    int32_t n = 0, c, j, lo, hi, first = 0, last = 0;

    tg_gate_fold_clamp(p, &lo, &hi);
    conv.output_offset = p->gate_output_offset;
    conv.act_min = lo;
    conv.act_max = hi;
    if (records) {      /* the 3x3 path: the kept channels' folded records, in one pass */
        n = tg_dw_gated_records(p, gate, packed, &pk[1], &first, &last);
        if (n > 0 && n < channels) {        /* the kept channels in place */
            conv.in_c = conv.out_c = channels;
            tg_dw3g_fill(output, out_px * channels, dropped);
            tg_dw3g_run(&conv, input, &pk[1], n, first, last, inner, output);
            return;
        }
        records = n >= 0;
    }
    n = 0;
    for (c = 0; c < channels; ++c) {
        if (gate[c] != gate_zero) {
            int32_t folded;
            tg_gate_fold(multiplier[c], shift[c], gate[c] + p->gate_input_offset, p->gate_multiplier,
                         p->gate_shift, &mk[n], &folded);
            sk[n] = (int8_t)folded;         /* in [-31, 71]: see tg_gate_fold */
            kept[n++] = (int16_t)c;
        }
    }
    if (n == 0) {
        tg_dw3g_fill(output, out_px * channels, dropped);
        return;
    }
    conv.in_c = conv.out_c = n;
    if (n == channels && records) {     /* every channel kept: the layer's records, refolded */
        for (j = 0; records && j < n; ++j) {
            records = tg_dw_gated_record(&packed[1 + TG_DW_GATED_PACKED_WORDS * j], mk[j], sk[j],
                                         p->gate_output_offset, &pk[1 + TG_DW_GATED_RECORD_WORDS * j]);
        }
        pk[1 + TG_DW_GATED_RECORD_WORDS * (n - 1) + 5] |= TG_DW3_LAST;
    }
    pk[0] = records ? n : 0;
    if (!records && n < channels) {
        tg_dw_gated_gather(weights, taps, channels, kept, n, wk);
        for (j = 0; j < n; ++j) {
            bk[j] = bias != NULL ? bias[kept[j]] : 0;
        }
    }
    if (n == channels) {        /* every channel kept: the layer's own input, straight to the output */
        tg_depthwise_conv2d_s8_dsp(&conv, input, weights, bias, mk, sk, pk, inner, output);
        return;
    }
    tg_dw_gated_gather(input, in_px, channels, kept, n, xk);
    tg_depthwise_conv2d_s8_dsp(&conv, xk, wk, bk, mk, sk, pk, inner, yk);
    tg_dw_gated_scatter(yk, kept, n, out_px, channels, dropped, output);
}
