/*
 * tg_conv2d_s8: portable reference 2-D convolution, int8 in/out, per-channel
 * requantization. Mirrors TFLite's reference_integer_ops::ConvPerChannel.
 * numpy twin: tinygen.ref.kernels.conv2d_s8.
 */
#include "tg_conv2d_s8.h"
#include "tg_kernels.h"

void tg_conv2d_s8(const tg_conv2d_params_t *p, const int8_t *input,
                  const int8_t *weights, const int32_t *bias,
                  const int32_t *multiplier, const int8_t *shift,
                  int8_t *output)
{
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            for (oc = 0; oc < p->out_c; ++oc) {
                output[(out_y * p->out_w + out_x) * p->out_c + oc] =
                    tg_conv2d_s8_output(p, input, weights, bias, multiplier, shift, out_y, out_x, oc);
            }
        }
    }
}
