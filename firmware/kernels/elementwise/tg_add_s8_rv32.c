/*
 * tg_add_s8_rv32: elementwise add of two same-shape int8 tensors for RV32IM (ESP32-C3):
 * tg_add_s8's arithmetic (TFLite's int8 ADD) with tg_requantize_fast for its three
 * tg_requantize_smaller_than_one_exp, which it equals for the parameters Prepare
 * produces (tinygen.quant.op_params.add_params: shifts <= 0, multipliers in [0, 2^31));
 * the parameters copied once, not reloaded after each output byte. Output byte i is
 * written after both inputs' byte i are read: it may run in place.
 * Equals tg_add_s8 bit for bit. numpy twin: tinygen.ref.kernels.add_s8.
 */
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"

void tg_add_s8_rv32(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of q (no reloads after stores) */
    const tg_add_params_t q = *p;
    int32_t i;
    for (i = 0; i < q.size; ++i) {
        /* input values are at most 255 in magnitude, so << 20 cannot overflow */
        const int32_t shifted1 = ((int32_t)input1[i] + q.input1_offset) * ((int32_t)1 << q.left_shift);
        const int32_t shifted2 = ((int32_t)input2[i] + q.input2_offset) * ((int32_t)1 << q.left_shift);
        const int32_t sum = tg_requantize_fast(shifted1, q.input1_multiplier, q.input1_shift) +
                            tg_requantize_fast(shifted2, q.input2_multiplier, q.input2_shift);
        int32_t out = tg_requantize_fast(sum, q.output_multiplier, q.output_shift) + q.output_offset;
        out = out < q.act_min ? q.act_min : out;
        out = out > q.act_max ? q.act_max : out;
        output[i] = (int8_t)out;
    }
}
