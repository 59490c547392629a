/* tg_lstm_s16 (TFLite Micro's 16x8 LSTM) through CMSIS-NN's arm_lstm_unidirectional_s16 (batch-major),
 * as TFLite Micro's CMSIS-NN LSTM calls it; the layer's state (tg_kernels_recurrent.h: h int16, then
 * c int16 at p->c_offset) is CMSIS-NN's hidden and cell state. */
#include "tg_cmsis_nn.h"

#include <stddef.h>
#include <string.h>

#include "arm_nnfunctions.h"
#include "tg_kernels_recurrent.h"
#include "tg_cmsis_nn_args.h"

void tg_lstm_s16_cmsis_nn(const tg_lstm_params_t *p, const int16_t *input, const int16_t *h0, const int16_t *c0,
                          const int8_t *c0_input, const int8_t *w_ih, const int8_t *w_hh, const int64_t *bias,
                          const int64_t *packed, int8_t *state, int8_t *scratch, int16_t *output)
{
    const int32_t bh = p->batches * p->hidden;
    const cmsis_nn_lstm_params params = tg_cmsis_lstm_params(p, w_ih, w_hh, bias, packed, 8);
    /* scratch: temp1, temp2, then the sequence where only the last step is kept */
    int16_t *sequence = p->sequence ? output : (int16_t *)(void *)(scratch + 4 * bh);
    cmsis_nn_lstm_context ctx = tg_cmsis_lstm_context(p, scratch, state);

    if (!p->stateful) {
        tg_lstm_reset_s16(p, h0, c0, c0_input, state);
    }
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_lstm_unidirectional_s16(input, sequence, &params, &ctx);
    if (!p->sequence) {
        memcpy(output, state, (size_t)(2 * bh));
    }
}
