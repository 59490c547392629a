/*
 * What TFLite Micro v2.3.1's cmsis-nn kernels computed in every Eval besides the CMSIS-NN call
 * (tflm_v231_invoke.h), for the calibration twins of the NUCLEO-L4R5ZI points. Written here from what
 * those kernels and TFLite's kernel_util / quantization_util did (README.md cites them); compiled into the
 * twin from a generated unit that first defines the model's tg2020_invokes table.
 */
#include "tflm_v231_invoke.h"

#include <math.h>
#include <stdint.h>

static int32_t tg2020_next;     /* the table entry of the next layer to run */

/* The entry of the layer now running. A pass always starts at the model's first layer (an inference,
 * `tg layers`, or layer_out's run up to one layer), so the first entry's layer restarts the count. */
static const tg2020_invoke_t *tg2020_entry(int32_t kind, int32_t a, int32_t b)
{
    const tg2020_invoke_t *first = &tg2020_invokes[0];
    if (first->kind == kind && first->a == a && first->b == b) {
        tg2020_next = 0;
    }
    if (tg2020_next >= tg2020_invoke_count) {
        return 0;
    }
    const tg2020_invoke_t *e = &tg2020_invokes[tg2020_next++];
    return e->kind == kind && e->a == a && e->b == b ? e : 0;
}

/* QuantizeMultiplier: real = m 2^(shift - 31), m in [2^30, 2^31), by frexp and round in double;
 * *ok cleared where TFLite's checks would stop the interpreter */
static int32_t tg2020_quantize(double real, int32_t *shift, int32_t *ok)
{
    if (real == 0.) {
        *shift = 0;
        return 0;
    }
    int e;
    const double q = frexp(real, &e);
    int64_t fixed = (int64_t)round(q * (double)(1LL << 31));
    if (fixed > (1LL << 31)) {
        *ok = 0;
    }
    if (fixed == (1LL << 31)) {
        fixed /= 2;
        ++e;
    }
    if (e < -31) {
        e = 0;
        fixed = 0;
    }
    *shift = e;
    return (int32_t)fixed;
}

/* CalculateActivationRangeQuantized for an int8 output: the fused activation's bounds, quantized in float */
static int32_t tg2020_act_differs(const tg2020_invoke_t *e, int32_t act_min, int32_t act_max)
{
    const float scale = e->output_scale;
    int32_t lo = -128, hi = 127;
    if (e->activation == TG2020_ACT_RELU || e->activation == TG2020_ACT_RELU6) {
        const int32_t zero = e->output_zero_point + (int32_t)roundf(0.0f / scale);
        lo = zero > lo ? zero : lo;
    }
    if (e->activation == TG2020_ACT_RELU6) {
        const int32_t six = e->output_zero_point + (int32_t)roundf(6.0f / scale);
        hi = six < hi ? six : hi;
    }
    if (e->activation == TG2020_ACT_RELU_N1_TO_1) {
        const int32_t minus = e->output_zero_point + (int32_t)roundf(-1.0f / scale);
        const int32_t plus = e->output_zero_point + (int32_t)roundf(1.0f / scale);
        lo = minus > lo ? minus : lo;
        hi = plus < hi ? plus : hi;
    }
    return (lo != act_min) | (hi != act_max);
}

/* conv.cc / depthwise_conv.cc: PopulateConvolutionQuantizationParams, one QuantizeMultiplier per output
 * channel of input_scale * filter_scale / output_scale in double, then the activation range */
int32_t tg2020_invoke_conv(int32_t kind, int32_t in_c, int32_t out_c, const int32_t *multiplier,
                           const int32_t *shift, int32_t act_min, int32_t act_max)
{
    const tg2020_invoke_t *e = tg2020_entry(kind, in_c, out_c);
    if (e == 0) {
        return 1;
    }
    int32_t ok = 1, differs = 0;
    const double input_scale = (double)e->input_scale, output_scale = (double)e->output_scale;
    for (int32_t c = 0; c < out_c; c++) {
        const double filter_scale = (double)e->filter_scales[e->filter_scale_count > 1 ? c : 0];
        int32_t s;
        const int32_t m = tg2020_quantize(input_scale * filter_scale / output_scale, &s, &ok);
        differs |= (m != multiplier[c]) | (s != shift[c]);
    }
    return differs | !ok | tg2020_act_differs(e, act_min, act_max);
}

/* fully_connected.cc: GetQuantizedConvolutionMultipler (the bias scale's check, then the float product of the
 * input and filter scales over the output scale, in double), one QuantizeMultiplier, the activation range.
 * The float product rounds: the multiplier differs from the twin's (today's TFLM: the product in double) by a
 * few units in 2^31 (the MLPerf AD's first layer: 1638001653, the twin's 1638001719), so the twin keeps its
 * own, which the reference computes, and this checks the two agree to 2^-20 of it with the same shift */
int32_t tg2020_invoke_fc(int32_t depth, int32_t outputs, int32_t multiplier, int32_t shift, int32_t act_min,
                         int32_t act_max)
{
    const tg2020_invoke_t *e = tg2020_entry(TG2020_FC, depth, outputs);
    if (e == 0) {
        return 1;
    }
    const float filter_scale = e->filter_scales[0];
    const double product = (double)e->input_scale * (double)filter_scale;
    int32_t ok = fabs(product - (double)e->bias_scale) / (double)e->output_scale <= 0.02;
    const double real = (double)(e->input_scale * filter_scale) / (double)e->output_scale;
    int32_t s;
    const int32_t m = tg2020_quantize(real, &s, &ok);
    const int32_t apart = m > multiplier ? m - multiplier : multiplier - m;
    return (apart > (multiplier >> 20)) | (s != shift) | !ok | tg2020_act_differs(e, act_min, act_max);
}

/* pooling.cc: the activation range (the padding is integer arithmetic) */
int32_t tg2020_invoke_pool(int32_t kind, int32_t channels, int32_t act_min, int32_t act_max)
{
    const tg2020_invoke_t *e = tg2020_entry(kind, channels, 0);
    return e == 0 ? 1 : tg2020_act_differs(e, act_min, act_max);
}

/* add.cc: three QuantizeMultiplierSmallerThanOneExp of the inputs' and output's scales over twice the larger
 * input scale, in double, then the activation range */
int32_t tg2020_invoke_add(int32_t size, int32_t left_shift, const int32_t multiplier[3], const int32_t shift[3],
                          int32_t act_min, int32_t act_max)
{
    const tg2020_invoke_t *e = tg2020_entry(TG2020_ADD, size, 0);
    if (e == 0) {
        return 1;
    }
    const float larger = e->input_scale > e->input2_scale ? e->input_scale : e->input2_scale;
    const double twice = 2 * (double)larger;
    const double real[3] = {(double)e->input_scale / twice, (double)e->input2_scale / twice,
                            twice / ((double)(1 << left_shift) * (double)e->output_scale)};
    int32_t ok = left_shift == 20, differs = 0;
    for (int i = 0; i < 3; i++) {
        ok &= real[i] < 1. && real[i] > 0.;
        int32_t s;
        const int32_t m = tg2020_quantize(real[i], &s, &ok);
        ok &= s <= 0;
        differs |= (m != multiplier[i]) | (s != shift[i]);
    }
    return differs | !ok | tg2020_act_differs(e, act_min, act_max);
}

/* softmax.cc: PreprocessSoftmaxScaling (beta x input scale x 2^26 in double, QuantizeMultiplierGreaterThanOne)
 * and diff_min from CalculateInputRadius (in double, floored) */
int32_t tg2020_invoke_softmax(int32_t depth, int32_t multiplier, int32_t shift, int32_t diff_min)
{
    const tg2020_invoke_t *e = tg2020_entry(TG2020_SOFTMAX, depth, 0);
    if (e == 0) {
        return 1;
    }
    const int bits = 5;
    double real = (double)e->beta * (double)e->input_scale * (double)(1 << (31 - bits));
    const double most = (double)(1LL << 31) - 1.0;
    real = real < most ? real : most;
    int32_t ok = real > 1., s;
    const int32_t m = tg2020_quantize(real, &s, &ok);
    ok &= s >= 0;
    const double radius = 1.0 * ((1 << bits) - 1) * (double)(1LL << (31 - bits)) / (double)(1LL << s);
    const int32_t least = (int32_t)(-1.0 * (int32_t)floor(radius));
    return (m != multiplier) | (s != shift) | (least != diff_min) | !ok;
}
