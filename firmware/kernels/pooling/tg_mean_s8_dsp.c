/*
 * tg_mean_s8_dsp: tg_mean_s8 (TFLite int8 MEAN and SUM) for ARMv7E-M (Cortex-M4/M7 DSP
 * extension), four input bytes per instruction or two. Equal to tg_mean_s8 bit for bit;
 * numpy twin: tinygen.ref.kernels.mean_s8.
 *
 * The input is [outer][reduce][inner]:
 *  - inner == 1 (the reduced elements contiguous, e.g. a sum over channels): each word
 *    of four bytes is biased to unsigned (x ^ 0x80 is x + 128) and added by one USADA8
 *    into a uint32 sum; 128 times the count comes off at the end.
 *  - inner >= 4 (e.g. a mean or sum over H and W, the channels kept): four channels at a
 *    time, each row's word added by two SXTAB16 (bytes 0, 2, and rotated 1, 3) into int16
 *    lanes, which go to int32 sums every TG_MEAN_MAX_LANE_ROWS rows (256 * -128 = -32768
 *    still fits); the channels after the last block of four as tg_mean_s8 sums them.
 * Each sum is then requantized as tg_mean_s8 does. Not in place.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

/* Rows whose int8 sum always fits an int16 lane. */
#define TG_MEAN_MAX_LANE_ROWS 256

static int8_t tg_mean_out(const tg_mean_params_t *p, int32_t sum)
{
    int32_t out = tg_requantize(sum - p->input_zero_point * p->reduce, p->multiplier, p->shift) +
                  p->output_zero_point;
    out = out < INT8_MIN ? INT8_MIN : out;
    out = out > INT8_MAX ? INT8_MAX : out;
    return (int8_t)out;
}

/* The sum of n contiguous int8. */
static int32_t tg_mean_run(const int8_t *x, int32_t n)
{
    uint32_t biased = 0;
    int32_t sum, r = 0;

    for (; r + 4 <= n; r += 4) {
        biased = __usada8((uint32_t)tg_dsp_load_s8x4(x + r) ^ 0x80808080u, 0u, biased);
    }
    sum = (int32_t)biased - 128 * r;
    for (; r < n; ++r) {
        sum += x[r];
    }
    return sum;
}

/* The sums of four channels over `reduce` rows `inner` bytes apart, from x. */
static void tg_mean_lanes4(const int8_t *x, int32_t reduce, int32_t inner, int32_t *sum)
{
    int32_t r = 0;

    sum[0] = sum[1] = sum[2] = sum[3] = 0;
    while (r < reduce) {
        const int32_t end = reduce - r > TG_MEAN_MAX_LANE_ROWS ? r + TG_MEAN_MAX_LANE_ROWS : reduce;
        int32_t even = 0, odd = 0;          /* int16 lanes: channels 0, 2 and 1, 3 */
        for (; r < end; ++r) {
            const int32_t w = tg_dsp_load_s8x4(x + r * inner);
            even = __sxtab16(even, w);
            odd = tg_dsp_sxtab16_odd(odd, w);
        }
        sum[0] += (int16_t)even;
        sum[1] += (int16_t)odd;
        sum[2] += even >> 16;
        sum[3] += odd >> 16;
    }
}

void tg_mean_s8_dsp(const tg_mean_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t reduce = p->reduce, inner = p->inner;
    int32_t o, i, r;

    for (o = 0; o < p->outer; ++o) {
        const int8_t *slab = input + o * reduce * inner;
        if (inner == 1) {
            *output++ = tg_mean_out(p, tg_mean_run(slab, reduce));
            continue;
        }
        for (i = 0; i + 4 <= inner; i += 4) {
            int32_t sum[4];
            tg_mean_lanes4(slab + i, reduce, inner, sum);
            output[0] = tg_mean_out(p, sum[0]);
            output[1] = tg_mean_out(p, sum[1]);
            output[2] = tg_mean_out(p, sum[2]);
            output[3] = tg_mean_out(p, sum[3]);
            output += 4;
        }
        for (; i < inner; ++i) {
            int32_t sum = 0;
            for (r = 0; r < reduce; ++r) {
                sum += slab[r * inner + i];
            }
            *output++ = tg_mean_out(p, sum);
        }
    }
}
