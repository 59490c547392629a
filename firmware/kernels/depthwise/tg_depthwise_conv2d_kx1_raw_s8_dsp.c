/*
 * tg_depthwise_conv2d_kx1_raw_s8_dsp: depthwise convolution along one axis (as
 * tg_depthwise_conv2d_kx1_s8_dsp: a temporal k x 1 kernel over an input of width 1, or a
 * 1 x k kernel over an input of height 1), depth multiplier 1, for ARMv7E-M (Cortex-M4/M7
 * DSP extension), int8 in/out, per-channel requantization, on the layers
 * tinygen/kernels/depthwise_kx1_dsp.py's raw_path names: stride 1 with 2 or 3 taps and
 * act_max 127; 4 or 5 taps and no clamp at stride 1, or at stride 2 with dilation 1.
 * Equals tg_depthwise_conv2d_s8 bit for bit there.
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 *
 * It multiplies the raw int8 input, the input offset folded into the bias, without
 * widening (tg_depthwise_conv2d_kx1_raw_s8_dsp.h): 21 instructions per two outputs at 3
 * taps, 25 at 5, 16 per output at stride 2. The packed records are
 * tg_depthwise_conv2d_kx1_s8_dsp's (depthwise_kx1_dsp.kx1_records), of which it reads
 * the weight pairs W[0], W'[1] (W[1], W'[2], W[2] at 4 or 5 taps) and the folded bias.
 *
 * Scratch: the input copied with its padding rows, the zero point in them, up to 3
 * bytes before so that the input rows are word aligned (depthwise_kx1_dsp.kx1_raw_scratch:
 * tg_dw_kx1_raw_rows rows of C bytes, + 3, rounded up to 16). That is the whole input,
 * where tg_depthwise_conv2d_kx1_s8_dsp widens 4 channels at a time: the slower kernel
 * takes less arena, tinygen/passes/lower_peak.py trades the two.
 *
 * Loop order: the copy, then per dilation phase (stride 1) or once (stride 2) every
 * channel in increasing order, each over its whole sequence. The output must not overlap
 * the input (tinygen/passes/inplace.py does not list this kernel).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <stdint.h>

#include "tg_depthwise_conv2d_kx1_raw_s8_dsp.h"
#include "tg_depthwise_conv2d_kx1_s8_dsp.h"
#include "tg_kernels.h"

void tg_depthwise_conv2d_kx1_raw_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                        int8_t *scratch, int8_t *output)
{
    tg_dw_kx1_geom_t g;
    tg_dw_kx1_geometry(p, &g);
    tg_dw_kx1_raw(&g, p, input, packed + 1, scratch, output);
}
