/*
 * tg_minimum_s16: the smaller of two int16 operands, broadcast (TFLite's MINIMUM of int16):
 * tg_minimum_s8 on int16. The walk: tg_broadcast_pair_s16.h.
 * numpy twin: tinygen.ref.mathops.minimum_s16.
 */
#include "tg_broadcast_pair_s16.h"
#include "tg_kernels_math.h"

static int32_t minimum_element(const void *p, int32_t a, int32_t b)
{
    (void)p;
    return a < b ? a : b;
}

void tg_minimum_s16(const tg_add_broadcast_params_t *p, const int16_t *input1, const int16_t *input2,
                  int16_t *output)
{
    tg_broadcast_pair_s16(p, p->shape, p->input1_strides, p->input2_strides, p->act_min, p->act_max, input1,
                          input2, output, minimum_element);
}
