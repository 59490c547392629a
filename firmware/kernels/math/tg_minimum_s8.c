/*
 * tg_minimum_s8: the smaller of two int8 operands, broadcast (TFLite's MINIMUM of int8,
 * reference_ops::MaximumMinimumBroadcastSlow): the stored integers are compared, whatever the
 * tensors' quantization, as TFLite Micro does. The walk: tg_broadcast_pair_s8.h.
 * numpy twin: tinygen.ref.mathops.minimum_s8.
 */
#include "tg_broadcast_pair_s8.h"
#include "tg_kernels_math.h"

static int32_t minimum_element(const tg_add_broadcast_params_t *p, int32_t a, int32_t b)
{
    (void)p;
    return a < b ? a : b;
}

void tg_minimum_s8(const tg_add_broadcast_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    tg_broadcast_pair_s8(p, input1, input2, output, minimum_element);
}
