/*
 * tg_conv2d_b1_b1_s8_rv32: tg_conv2d_b1_b1_s8 for RV32IMC (ESP32-C3): the receptive field
 * copied once per output pixel and counted per channel by Harley-Seal
 * (tg_conv2d_b1_rv32.h), then TFLite requantization as the portable kernel; the portable
 * accumulator where the field path does not serve. Same arguments and bytes as the
 * portable kernel; numpy twin: tinygen.ref.binary.conv2d_b1_b1_s8.
 */
#include <stddef.h>

#include "tg_conv2d_b1.h"
#include "tg_conv2d_b1_rv32.h"
#include "tg_kernels_b1.h"
#include "tg_lowbit_bias_shift.h"
#include "tg_requant.h"

void tg_conv2d_b1_b1_s8_rv32(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                             const uint32_t *weights, const int32_t *bias,
                             const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    /* a local copy: an output store may alias any field of *p, not of q (no reloads after stores) */
    const tg_conv2d_b1_params_t q = *p;
    uint32_t buffer[TG_B1_FIELD_WORDS];
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < q.out_h; ++out_y) {
        for (out_x = 0; out_x < q.out_w; ++out_x) {
            const uint32_t *field = tg_b1_rv32_field(&q, input, out_y, out_x, buffer);
            for (oc = 0; oc < q.out_c; ++oc) {
                int32_t acc = tg_lowbit_bias_shift(tg_b1_rv32_acc(&q, field, input, weights, out_y, out_x, oc),
                                                     q.bias_shift);
                if (bias != NULL) {
                    acc += bias[oc];
                }
                acc = tg_requantize(acc, multiplier[oc], shift[oc]) + q.output_offset;
                acc = acc < q.act_min ? q.act_min : acc;
                acc = acc > q.act_max ? q.act_max : acc;
                *output++ = (int8_t)acc;
            }
        }
    }
}
