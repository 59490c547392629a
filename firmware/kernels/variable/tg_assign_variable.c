/*
 * tg_assign_variable: TFLite's ASSIGN_VARIABLE, the value's bytes copied into the variable
 * (persistent region), where the next invocation reads them. numpy twin:
 * tinygen.ref.variable.assign_variable.
 */
#include "tg_kernels_variable.h"

void tg_assign_variable(const tg_variable_params_t *p, const uint8_t *value, uint8_t *state, uint8_t *done)
{
    int32_t i;

    for (i = 0; i < p->bytes; ++i) {
        state[i] = value[i];
    }
    *done = 1;
}
