/*
 * tg_variable_reset: a resource variable back to its initial value (tg_model_reset_state): the
 * init subgraph's constant, or every byte p->fill, as TFLite Micro allocates a variable no init
 * assigns. numpy twin: tinygen.ref.variable.variable_initial.
 */
#include "tg_kernels_variable.h"

void tg_variable_reset(const tg_variable_params_t *p, const uint8_t *initial, uint8_t *state)
{
    int32_t i;

    for (i = 0; i < p->bytes; ++i) {
        state[i] = initial != NULL ? initial[i] : (uint8_t)p->fill;
    }
}
