/*
 * tg_conv2d_s8_planes_s8: portable bit-serial convolution over nested weight bit planes,
 * int8 input and output. Per output pixel the receptive field is sliced into a_bits bit
 * planes once; per output channel w_bits * a_bits AND / popcount runs, shifted and summed.
 * numpy twin: tinygen.ref.bitserial.conv2d_s8_planes_s8. Semantics: LOWBIT.md, "Nested bit
 * planes".
 */
#include <stddef.h>

#include "tg_conv2d_b1.h"
#include "tg_conv2d_planes.h"
#include "tg_kernels_planes.h"

/* acc' of the channel whose switch planes start at w (plane stride `stride` words) over the field. */
static int32_t tg_planes_field_acc(const tg_conv2d_planes_params_t *p, const uint32_t *field,
                                   const uint32_t *w, int32_t stride, int32_t base)
{
    const int32_t run = tg_planes_run(p);
    int32_t acc = base, t, m, i;
    for (t = 0; t < p->w_bits; ++t, w += stride) {
        int32_t sum = 0;
        for (m = 0; m < p->a_bits; ++m) {
            const uint32_t *u = &field[m * run];
            int32_t ones = 0;
            for (i = 0; i < run; ++i) {
                ones += tg_popcount32(u[i] & w[i]);
            }
            sum += ones << m;
        }
        acc += tg_planes_coef(p->w_bits, t) * sum;
    }
    return acc;
}

void tg_conv2d_s8_planes_s8(const tg_conv2d_planes_params_t *p, const int8_t *input,
                            const uint32_t *planes, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const int fits = tg_planes_field_fits(p);
    const int32_t stride = p->out_c * tg_planes_run(p);    /* words from one plane to the next */
    uint32_t field[TG_PLANES_FIELD_WORDS];
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            int32_t base = 0;
            if (fits) {
                tg_planes_field(p, input, out_y, out_x, field);
                base = tg_planes_base(p, field);
            }
            for (oc = 0; oc < p->out_c; ++oc) {
                const uint32_t *w = tg_planes_weights(p, planes, 0, oc);
                const int32_t acc = fits ? tg_planes_field_acc(p, field, w, stride, base)
                                         : tg_planes_acc_words(p, input, planes, out_y, out_x, oc);
                *output++ = tg_planes_out(p, acc, bias, multiplier, shift, oc);
            }
        }
    }
}
