/*
 * tg_fully_connected_s8_dsp: fully connected layer for ARMv7E-M (Cortex-M4/M7
 * DSP extension), int8 in/out, per-output-feature requantization, with SIMD
 * multiply-accumulates (tg_mat_mult_s8_dsp.h).
 * Equals tg_fully_connected_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.fully_connected_s8.
 *
 * Loop order (in-place planning relies on it): for each block of 2 rows in
 * increasing order, it reads only the block's input rows and writes only the
 * block's output rows (reads and writes interleaved within the block).
 */
#include "tg_kernels.h"
#include "tg_mat_mult_s8_dsp.h"

void tg_fully_connected_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                               const int8_t *weights, const int32_t *bias,
                               const int32_t *multiplier, const int8_t *shift,
                               int8_t *scratch, int8_t *output)
{
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    p->in_features, p->out_features, bias, multiplier, shift);

    tg_mat_mult_s8_dsp(p->rows, p->in_features, p->out_features, input, weights, bias, multiplier, shift,
                       &q, scratch, output);
}
