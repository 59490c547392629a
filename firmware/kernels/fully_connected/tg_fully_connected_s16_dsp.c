/*
 * tg_fully_connected_s16_dsp: fully connected layer of a 16x8 model for ARMv7E-M (Cortex-M4/M7
 * DSP extension): int16 input rows and output, the int8 weights widened to int16 at build time
 * (tinygen.kernels.s16_dsp.s16_dsp_packed: [out_features][in_features rounded up to even], the
 * pad 0), then per output feature a requantization record (int64 bias, multiplier, shift).
 *
 * The input rows are read in place as int16 pairs against the weight pairs with SMLAD
 * (tg_mat_mult_s16_dsp.h): two rows by two features per block, or one row by four features for
 * a single (or last) row. The sums are exact int64 sums: int32 runs of 256 products, which
 * cannot overflow for any weights (|product| <= 2^22), each added into an int64 accumulator.
 * The requantization is tg_s16_requant_s64 (tg_requantize_s64 of the sum plus the bias); depths
 * of 256 at most: one int32 run requantized with one SMLAL, saturated, the output clamped after.
 * Equals tg_fully_connected_s16 bit for bit; numpy twin: tinygen.ref.int16.fully_connected_s16.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_mat_mult_s16_dsp.h"

void tg_fully_connected_s16_dsp(const tg_fully_connected_params_t *p, const int16_t *input,
                                const int16_t *packed, int16_t *output)
{
    const tg_s16_dsp_quant_t q = {packed + p->out_features * ((p->in_features + 1) & ~1), p->act_min,
                                  p->act_max};

    tg_mat_mult_rows_s16_dsp(input, p->rows, p->in_features, packed, p->out_features, &q, output);
}
