/*
 * tg_fully_connected_lut_decode_s8_rv32: a fully connected layer with shared weights (LUT.md),
 * for RV32IM (ESP32-C3): the layer's weights decoded once into the scratch as
 * tg_fully_connected_s8_rv32's constant (tg_lut_rv32.h), then tg_fully_connected_s8_rv32 on it.
 * The body: tg_lut_rv32.h's _inline (a specialized layer calls it). numpy twin: fully_connected_s8 on the decoded weights.
 */
#include "tg_kernels_lut_rv32.h"
#include "tg_lut_rv32.h"

void tg_fully_connected_lut_decode_s8_rv32(const tg_fully_connected_params_t *p, const int8_t *input,
                                           const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                           const int8_t *shift, int8_t *scratch, int8_t *output)
{
    tg_fully_connected_lut_decode_s8_rv32_inline(p, 0, input, packed, bias, multiplier, shift, scratch, output);
}
