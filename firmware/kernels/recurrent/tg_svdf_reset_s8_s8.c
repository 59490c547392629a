/*
 * tg_svdf_reset_s8_s8: an int8-state SVDF layer's activation state (int8 [B][filters * memory])
 * to the state's zero point, as TFLite Micro resets an int8 variable tensor
 * (tg_kernels_recurrent.h). numpy twin: the initial state of tinygen.ref.recurrent.svdf_s8_s8.
 */
#include <string.h>

#include "tg_kernels_recurrent.h"

void tg_svdf_reset_s8_s8(const tg_svdf_params_t *p, int8_t *state)
{
    /* memset stores the zero point's low byte: the int8 value */
    memset(state, (int)p->state_zero_point, (size_t)(p->batches * p->filters * p->memory));
}
