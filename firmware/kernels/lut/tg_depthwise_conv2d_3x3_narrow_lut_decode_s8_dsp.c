/*
 * tg_depthwise_conv2d_3x3_narrow_lut_decode_s8_dsp: tg_depthwise_conv2d_3x3_narrow_s8_dsp's
 * layers (3x3, stride 1, output rows of 5 pixels: MLPerf KWS's depthwise layers) with shared
 * weights (LUT.md) on the ARMv7E-M DSP extension. The packed constant is the layer's LUT
 * constant (one row: the [3][3][channels] taps), then the channel count and 4 words a channel
 * of the kernel's records other than the weights: the doubled bias, the multiplier, R and
 * n (| LAST on the last channel) (tinygen/kernels/depthwise_narrow_lut.py). Per inference the
 * records are completed in the scratch, each tap doubled into its int16 half as the int8
 * build packs it, and the narrow kernel runs on them with its own scratch after them.
 * numpy twin: depthwise_conv2d_s8, on the decoded weights.
 */
#include "tg_kernels_lut.h"
#include "tg_lut.h"

#define TG_DW3N_LUT_RECORD_WORDS 10   /* depthwise_narrow_dsp.RECORD_WORDS */
#define TG_DW3N_LUT_OTHER_WORDS 4     /* the words of a record that are not weights */

/* (lo, hi) as the int16 halves of one word, lo in the low half */
static inline uint32_t tg_dw3n_lut_halves(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16);
}

void tg_depthwise_conv2d_3x3_narrow_lut_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                                      const uint32_t *packed, int8_t *scratch, int8_t *output)
{
    const tg_lut_t lut = tg_lut_open(packed);
    const int32_t *other = tg_lut_after(&lut, 1);           /* the channel count, then 4 words a channel */
    const int32_t channels = other[0];
    const int32_t record_bytes = TG_LUT_DECODED_BYTES(4 * (1 + TG_DW3N_LUT_RECORD_WORDS * channels));
    uint32_t *records = (uint32_t *)(void *)scratch;
    int8_t *taps = &scratch[record_bytes];                  /* the kernel's scratch, free until it runs */
    int32_t c, k;

    if (lut.per_channel) {
        tg_lut_decode_taps(&lut, 9, channels, taps);
    } else {                                                /* one table: the row as one run */
        tg_lut_decode_weights(packed, 1, 9 * channels, taps);
    }
    records[0] = (uint32_t)channels;
    for (c = 0; c < channels; ++c) {
        uint32_t *r = &records[1 + c * TG_DW3N_LUT_RECORD_WORDS];
        const int32_t *o = &other[1 + c * TG_DW3N_LUT_OTHER_WORDS];
        r[0] = (uint32_t)o[0];
        for (k = 0; k < 3; ++k) {
            const int32_t w0 = 2 * taps[(3 * k + 0) * channels + c];
            const int32_t w1 = 2 * taps[(3 * k + 1) * channels + c];
            const int32_t w2 = 2 * taps[(3 * k + 2) * channels + c];
            r[1 + 2 * k] = tg_dw3n_lut_halves(w0, w1);
            r[2 + 2 * k] = tg_dw3n_lut_halves(w1, w2);
        }
        r[7] = (uint32_t)o[1];
        r[8] = (uint32_t)o[2];
        r[9] = (uint32_t)o[3];
    }
    tg_depthwise_conv2d_3x3_narrow_s8_dsp(p, input, (const int32_t *)(const void *)records, taps, output);
}
