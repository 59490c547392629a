/*
 * tg_read_variable: TFLite's READ_VARIABLE, the variable's bytes (persistent region) copied to the
 * output. numpy twin: tinygen.ref.variable.read_variable.
 */
#include "tg_kernels_variable.h"

void tg_read_variable(const tg_variable_params_t *p, const uint8_t *state, uint8_t *output)
{
    int32_t i;

    for (i = 0; i < p->bytes; ++i) {
        output[i] = state[i];
    }
}
