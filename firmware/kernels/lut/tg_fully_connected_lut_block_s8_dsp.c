/*
 * tg_fully_connected_lut_block_s8_dsp: a fully connected layer of one row (batch 1) with shared
 * weights (LUT.md) on the ARMv7E-M DSP extension. Its weights are decoded a block of output
 * features at a time into the scratch (tg_lut_fc_block_rows: TG_LUT_FC_BLOCK_BYTES of int8 at
 * most, one feature at least), and tg_fully_connected_s8_dsp computes each block: every weight is
 * decoded once, as with the whole layer decoded, for one block of RAM instead of the layer's.
 * numpy twin: fully_connected_s8, on the decoded weights.
 */
#include "tg_kernels_lut.h"
#include "tg_lut.h"

void tg_fully_connected_lut_block_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                         const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                         const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const int32_t block = tg_lut_fc_block_rows(p->in_features, p->out_features);
    tg_fully_connected_params_t part = *p;
    int32_t o;

    for (o = 0; o < p->out_features; o += block) {
        const int32_t n = p->out_features - o < block ? p->out_features - o : block;
        tg_lut_decode_rows(packed, o, n, p->in_features, scratch);
        part.out_features = n;
        tg_fully_connected_s8_dsp(&part, input, scratch, bias != NULL ? &bias[o] : NULL, &multiplier[o], &shift[o],
                                  &scratch[TG_LUT_DECODED_BYTES(n * p->in_features)], &output[o]);
    }
}
