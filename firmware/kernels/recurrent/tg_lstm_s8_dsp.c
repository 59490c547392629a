/*
 * tg_lstm_s8_dsp: tg_lstm_s8 for ARMv7E-M (tg_recurrent_s8_dsp.h): per step the input and the old
 * hidden state widened once, then per unit its four gates' products (SMLAD over build-time int16
 * weight pairs, the zero points and the gates' left shifts folded in), the input side and then
 * the recurrent side by one loop (tg_rnn_products4_dsp), and the cell and hidden updates as
 * tg_lstm_s8 computes them, with the requantizations' constants prepared at build time
 * (tg_lstm_dsp_requant_t at the head of packed; tg_rnn_requantize: one SMMLAR for the 64-bit
 * product, no factor) and the sigmoids without their saturation test. The code that runs is kept
 * small for the STM32F4's 1 KB ART cache: one copy of the product loop, the new hidden value
 * stored straight into the state and the output (no copies). numpy twin:
 * tinygen.ref.recurrent.lstm_s8.
 */
#include "tg_lstm_s8_dsp.h"

void tg_lstm_s8_dsp(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                    const int8_t *c0_input, const int32_t *packed, int8_t *state, int8_t *scratch, int8_t *output)
{
    tg_lstm_steps_dsp(p, input, h0, c0, c0_input, packed, state, scratch, output, (p->input_size + 3) >> 2,
                      (p->hidden + 3) >> 2, tg_rnn_products4_dsp);
}
