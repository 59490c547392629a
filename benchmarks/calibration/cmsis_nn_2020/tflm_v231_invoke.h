/*
 * The work TFLite Micro v2.3.1's cmsis-nn kernels did in every Invoke besides the CMSIS-NN call, for the
 * calibration twins of the NUCLEO-L4R5ZI points only (benchmarks/calibration/README.md, "What TFLM v2.3.1
 * did per Invoke"). Each of conv.cc, depthwise_conv.cc, fully_connected.cc, pooling.cc, softmax.cc and
 * add.cc recomputed its quantization parameters in Eval (a local OpData each time): the per-channel
 * multipliers and shifts in double precision (frexp and round of newlib's libm; the M4F's FPU is single
 * precision, so libgcc's soft-float does the arithmetic), the activation range, softmax's scaling and add's
 * three multipliers.
 *
 * tflm_v231_invoke.c does that computation per layer per inference from the model's float scales, in the
 * order the layers run (a table old_twins.py generates per model into the compatibility tree), and
 * compares what it computed with the parameters tinygen passes the kernel: the wrappers of
 * cmsis_nn_2020/arm_nnfunctions.h skip the kernel where they differ, which leaves the layer's output
 * unwritten and fails the twin's bit-exact check.
 */
#ifndef TG_TFLM_V231_INVOKE_H
#define TG_TFLM_V231_INVOKE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { TG2020_CONV = 1, TG2020_DEPTHWISE, TG2020_FC, TG2020_AVGPOOL, TG2020_MAXPOOL, TG2020_ADD, TG2020_SOFTMAX };
/* TfLiteFusedActivation's values for the ones the activation range distinguishes */
enum { TG2020_ACT_NONE = 0, TG2020_ACT_RELU = 1, TG2020_ACT_RELU_N1_TO_1 = 2, TG2020_ACT_RELU6 = 3 };

/* one layer's Eval: its kind and two sizes that identify it, and the scales its parameters come from */
typedef struct {
    int32_t kind;
    int32_t a, b;                   /* conv/depthwise: in, out channels; fc: depth, outputs; pool: channels, 0;
                                       add: elements, 0; softmax: depth, 0 */
    int32_t activation;             /* TG2020_ACT_* */
    int32_t output_zero_point;
    float input_scale, input2_scale, output_scale, bias_scale, beta;
    const float *filter_scales;     /* conv/depthwise: one per output channel (or one); fc: one */
    int32_t filter_scale_count;
} tg2020_invoke_t;

/* the model's layers, in the order they run (the generated unit defines them) */
extern const tg2020_invoke_t tg2020_invokes[];
extern const int32_t tg2020_invoke_count;

/* each returns 0 where what TFLM v2.3.1's Eval computes equals the parameters given, else nonzero */
int32_t tg2020_invoke_conv(int32_t kind, int32_t in_c, int32_t out_c, const int32_t *multiplier,
                           const int32_t *shift, int32_t act_min, int32_t act_max);
int32_t tg2020_invoke_fc(int32_t depth, int32_t outputs, int32_t multiplier, int32_t shift, int32_t act_min,
                         int32_t act_max);
int32_t tg2020_invoke_pool(int32_t kind, int32_t channels, int32_t act_min, int32_t act_max);
int32_t tg2020_invoke_add(int32_t size, int32_t left_shift, const int32_t multiplier[3], const int32_t shift[3],
                          int32_t act_min, int32_t act_max);
int32_t tg2020_invoke_softmax(int32_t depth, int32_t multiplier, int32_t shift, int32_t diff_min);

#ifdef __cplusplus
}
#endif

#endif
