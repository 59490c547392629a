/* tg_lstm_s8 through CMSIS-NN's arm_lstm_unidirectional_s8 (batch-major), as TFLite Micro's CMSIS-NN
 * LSTM calls it; the layer's state (tg_kernels_recurrent.h) is CMSIS-NN's hidden and cell state. */
#include "tg_cmsis_nn.h"

#include <stddef.h>
#include <string.h>

#include "arm_nnfunctions.h"
#include "tg_kernels_recurrent.h"

enum { GATE_I, GATE_F, GATE_G, GATE_O };

static cmsis_nn_lstm_gate gate(const tg_lstm_params_t *p, int g, const int8_t *w_ih, const int8_t *w_hh,
                               const int32_t *bias, const int32_t *packed, arm_nn_activation_type act)
{
    const int32_t h = p->hidden;
    const cmsis_nn_lstm_gate out = {
        .input_multiplier = p->in_mult[g],
        .input_shift = p->in_shift[g],
        .input_weights = w_ih + g * h * p->input_size,
        .input_effective_bias = packed + g * h,
        .hidden_multiplier = p->rec_mult[g],
        .hidden_shift = p->rec_shift[g],
        .hidden_weights = w_hh + g * h * h,
        .hidden_effective_bias = packed + (4 + g) * h,
        .bias = bias + g * h,
        .activation_type = act,
    };
    return out;
}

void tg_lstm_s8_cmsis_nn(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                         const int8_t *c0_input, const int8_t *w_ih, const int8_t *w_hh, const int32_t *bias,
                         const int32_t *packed, int8_t *state, int8_t *scratch, int8_t *output)
{
    const int32_t bh = p->batches * p->hidden;
    const cmsis_nn_lstm_params params = {
        .time_major = 0,
        .batch_size = p->batches,
        .time_steps = p->steps,
        .input_size = p->input_size,
        .hidden_size = p->hidden,
        .input_offset = p->input_offset,
        .forget_to_cell_multiplier = p->forget_mult,
        .forget_to_cell_shift = p->forget_shift,
        .input_to_cell_multiplier = p->cell_mult,
        .input_to_cell_shift = p->cell_shift,
        .cell_clip = p->cell_clip,
        .cell_scale_power = p->cell_scale_power,
        .output_multiplier = p->output_mult,
        .output_shift = p->output_shift,
        .output_offset = p->hidden_zero_point,
        .forget_gate = gate(p, GATE_F, w_ih, w_hh, bias, packed, ARM_SIGMOID),
        .input_gate = gate(p, GATE_I, w_ih, w_hh, bias, packed, ARM_SIGMOID),
        .cell_gate = gate(p, GATE_G, w_ih, w_hh, bias, packed, ARM_TANH),
        .output_gate = gate(p, GATE_O, w_ih, w_hh, bias, packed, ARM_SIGMOID),
    };
    /* scratch: temp1, temp2 (B x H int16 each), then the sequence where only the last step is kept */
    int8_t *sequence = p->sequence ? output : scratch + 4 * bh;
    cmsis_nn_lstm_context ctx = {
        .temp1 = scratch,
        .temp2 = scratch + 2 * bh,
        .cell_state = state + p->c_offset,
        .hidden_state = state,
    };

    if (!p->stateful) {
        tg_lstm_reset_s8(p, h0, c0, c0_input, state);
    }
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_lstm_unidirectional_s8(input, sequence, &params, &ctx);
    if (!p->sequence) {
        memcpy(output, state, (size_t)bh);
    }
}
