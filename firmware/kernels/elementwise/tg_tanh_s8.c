/*
 * tg_tanh_s8: portable reference tanh, int8 in/out. Mirrors TFLite's
 * reference_integer_ops::Tanh exactly: inputs beyond +-input_range_radius
 * saturate; the rest are rescaled into Q4 and passed through gemmlowp's
 * fixed-point tanh, whose Q0 result is rounded to units of 1/128 (the output's
 * scale, zero point 0).
 * Parameters come from tinygen.quant.op_params.tanh_params.
 * numpy twin: tinygen.ref.lookup.tanh_s8.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

enum {
    INPUT_INTEGER_BITS = 4, /* tanh input format: Q4 */
    OUTPUT_FRACTION_BITS = 7 /* 2^-7 output units: Q0 >> (31 - 7) */
};

void tg_tanh_s8(const tg_tanh_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        int32_t out;
        if (x <= -p->input_range_radius) {
            out = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            out = INT8_MAX;
        } else {
            const int32_t x_q4 = tg_requantize(x, p->input_multiplier, p->input_left_shift);
            const int32_t y_q0 = tg_tanh_q0(x_q4, INPUT_INTEGER_BITS);
            out = tg_rounding_divide_by_pot(y_q0, 31 - OUTPUT_FRACTION_BITS);
            out = out > INT8_MAX ? INT8_MAX : out;
            out = out < INT8_MIN ? INT8_MIN : out;
        }
        output[i] = (int8_t)out;
    }
}
