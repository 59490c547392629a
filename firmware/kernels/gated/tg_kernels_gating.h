/*
 * tg_kernels_gating.h: dynamic inference (tinygen/gating): run-time channel gating and
 * early exits. numpy twins: tinygen/gating/ref.py.
 *
 * A gate turns a saliency vector (int8 [channels], the output of the layer's predictor:
 * global average pool -> fully connected -> ReLU) into the same vector with the channels
 * it drops set to the zero point (real 0). The gated convolution computes only the
 * channels whose gate value is not the zero point and scales each by its gate value.
 */
#ifndef TG_KERNELS_GATING_H
#define TG_KERNELS_GATING_H

#include <stdint.h>

#include "tg_kernels.h"

typedef struct {
    int32_t channels;
    int32_t k;              /* > 0: keep the k largest values; 0: threshold mode */
    int32_t threshold_q;    /* threshold mode: keep s - zp >= threshold_q / 256 * (max - zp) */
    int32_t zero_point;     /* the saliency's zero point (real 0) */
} tg_channel_gate_params_t;

/*
 * output[c] = saliency[c] for the channels kept, zero_point for the others. Top-k keeps
 * the k largest values, ties broken by the lowest channel index; a channel at the zero
 * point is never counted as kept. Returns the number of channels kept.
 * saliency, output: int8 [channels]; not in place.
 */
int32_t tg_channel_gate_s8(const tg_channel_gate_params_t *p, const int8_t *saliency, int8_t *output);

/* tg_channel_gate_s8 for ARMv7E-M (the top-k counts 4 values per step): same arguments and results. */
int32_t tg_channel_gate_s8_dsp(const tg_channel_gate_params_t *p, const int8_t *saliency, int8_t *output);

/* The convolution's fields as in tg_conv2d_params_t, then the gate's multiply (TFLite MUL). */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier;
    int32_t input_offset;           /* -input zero point */
    int32_t output_offset;          /* the convolution result's zero point */
    int32_t act_min, act_max;       /* the convolution result's clamp */
    int32_t gate_input_offset;      /* -the gate's zero point */
    int32_t gate_output_offset;     /* the output's zero point */
    int32_t gate_multiplier, gate_shift;    /* conv scale * gate scale / output scale */
    int32_t gate_act_min, gate_act_max;
    int32_t in_gate_input_offset;   /* -the input gate's zero point (with an in_gate) */
    int32_t skip_inputs;            /* 1: the layer is given an in_gate (its scratch holds the kept inputs) */
} tg_conv2d_gated_params_t;

/*
 * output[y][x][c] = mul(conv2d(input)[y][x][c], gate[c]): tg_conv2d_s8's int8 result
 * times the gate value with TFLite MUL arithmetic. Channels whose gate value is the
 * gate's zero point are not computed: their output is gate_output_offset clamped to
 * [gate_act_min, gate_act_max], exactly the product with 0.
 * input, weights, bias, multiplier, shift: as tg_conv2d_s8; gate: int8 [out_c].
 * in_gate (NULL: none): int8 [in_c], the gate of the layer that produced the input, whose
 * dropped channels hold the input zero point: those input channels are not read (they add 0).
 */
void tg_conv2d_gated_s8(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                        const int8_t *in_gate, const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                        const int8_t *shift, int8_t *output);

/*
 * The same on ARMv7E-M by partial im2col (as tg_conv2d_s8_dsp): per block of 2 output
 * pixels, the receptive fields are widened once and each kept channel costs one dot
 * product; with in_gate only the kept input channels are read. scratch:
 * tg_conv2d_gated_s8_dsp_buffer_size(p) bytes (tinygen/gating/kernels.py), 8-byte aligned.
 */
static inline int32_t tg_conv2d_gated_s8_dsp_buffer_size(const tg_conv2d_gated_params_t *p)
{
    const int32_t depth = (p->kernel_h * p->kernel_w * p->in_c + 3) & ~3;
    return ((2 * depth + 7) & ~7) + 4 * depth + 2 * ((p->out_c + p->in_c + 3) & ~3) + p->out_c * depth +
           (p->skip_inputs ? p->in_h * p->in_w * p->in_c : 0);
}
void tg_conv2d_gated_s8_dsp(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                            const int8_t *in_gate, const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                            const int8_t *shift, int8_t *scratch, int8_t *output);

/*
 * The gated depthwise convolution (depth multiplier 1), the gate folded into the
 * requantization: channel c's accumulator (as tg_depthwise_conv2d_s8's) is requantized once
 * with tg_gate_fold(multiplier[c], shift[c], gate[c] + gate_input_offset, ...) (in
 * tg_conv2d_gated.h), offset by gate_output_offset and clamped by tg_gate_fold_clamp. A
 * channel whose gate value is the gate's zero point is not computed (and its input channel
 * not read): its output is the clamped output zero point. p: as for tg_conv2d_gated_s8
 * (in_c == out_c, no in_gate: a depthwise channel
 * reads only its own input channel). input, weights, bias, multiplier, shift: as
 * tg_depthwise_conv2d_s8; gate: int8 [out_c].
 */
void tg_depthwise_conv2d_gated_s8(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                                  const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                                  const int8_t *shift, int8_t *output);

/*
 * The same on ARMv7E-M. Where the 3x3 records serve (packed: tg_depthwise_conv2d_s8_dsp's,
 * built at build time for every channel), the kept channels' records are patched with the
 * folded multiplier and shift and the 3x3 loops compute the kept channels in place
 * (tg_depthwise_conv2d_3x3_gated_s8_dsp.h); otherwise the kept channels of the input and
 * their folded constants are gathered into scratch, tg_depthwise_conv2d_s8_dsp runs on them
 * alone, and its result is scattered into the output. scratch:
 * tg_depthwise_conv2d_gated_s8_dsp_buffer_size(p, inner) bytes, 4-byte aligned, inner:
 * tg_depthwise_conv2d_s8_dsp's scratch for all the channels (tinygen/gating/kernels.py).
 */
static inline int32_t tg_depthwise_conv2d_gated_s8_dsp_buffer_size(const tg_conv2d_gated_params_t *p,
                                                                   int32_t inner)
{
    const int32_t c = (p->in_c + 3) & ~3;
    return 2 * c + ((p->in_h * p->in_w * c + 3) & ~3) + p->kernel_h * p->kernel_w * c + 12 * c + 4 + 44 * c +
           ((p->out_h * p->out_w * c + 3) & ~3) + inner;
}
void tg_depthwise_conv2d_gated_s8_dsp(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                                      const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                                      const int8_t *shift, const int32_t *packed, int8_t *scratch,
                                      int8_t *output);

/* The fully connected layer's fields as in tg_fully_connected_params_t, then the gate's multiply. */
typedef struct {
    int32_t rows;
    int32_t in_features, out_features;
    int32_t input_offset;           /* -input zero point */
    int32_t output_offset;          /* the layer result's zero point */
    int32_t act_min, act_max;       /* the layer result's clamp */
    int32_t gate_input_offset;      /* -the gate's zero point */
    int32_t gate_output_offset;     /* the output's zero point */
    int32_t gate_multiplier, gate_shift;    /* result scale * gate scale / output scale */
    int32_t gate_act_min, gate_act_max;
} tg_fully_connected_gated_params_t;

/*
 * output[r][o] = mul(fully_connected(input)[r][o], gate[o]): tg_fully_connected_s8's int8
 * result times the gate value (TFLite MUL). Outputs whose gate value is the gate's zero
 * point are not computed: gate_output_offset clamped, the product with 0.
 * input, weights, bias, multiplier, shift: as tg_fully_connected_s8; gate: int8 [out_features].
 */
void tg_fully_connected_gated_s8(const tg_fully_connected_gated_params_t *p, const int8_t *input,
                                 const int8_t *gate, const int8_t *weights, const int32_t *bias,
                                 const int32_t *multiplier, const int8_t *shift, int8_t *output);

/*
 * The same on ARMv7E-M (tg_fully_connected_gated_s8_dsp.h): the input row widened once into
 * scratch, then only the kept outputs, two at a time. scratch (Python:
 * tinygen.gating.kernels.fully_connected_gated_dsp_scratch):
 * tg_fully_connected_gated_s8_dsp_buffer_size(p) bytes (the widened row), 8-byte aligned;
 * the output must not overlap the gate.
 */
static inline int32_t tg_fully_connected_gated_s8_dsp_buffer_size(const tg_fully_connected_gated_params_t *p)
{
    return ((p->in_features + 3) & ~3) * (int32_t)sizeof(int16_t);
}
void tg_fully_connected_gated_s8_dsp(const tg_fully_connected_gated_params_t *p, const int8_t *input,
                                     const int8_t *gate, const int8_t *weights, const int32_t *bias,
                                     const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                                     int8_t *output);

/* 1 when the largest of probs[0..n) reaches threshold (an int8 code), else 0. */
int32_t tg_exit_taken_s8(const int8_t *probs, int32_t n, int32_t threshold);

#endif /* TG_KERNELS_GATING_H */
