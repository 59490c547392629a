/*
 * tg_svdf_reset_s8: an SVDF layer's activation state (int16 [B][filters * memory]) to 0, TFLite's
 * initial variable tensor (tg_kernels_recurrent.h). numpy twin: the initial state of
 * tinygen.ref.recurrent.svdf_s8.
 */
#include <string.h>

#include "tg_kernels_recurrent.h"

void tg_svdf_reset_s8(const tg_svdf_params_t *p, int8_t *state)
{
    memset(state, 0, (size_t)(2 * p->batches * p->filters * p->memory));
}
