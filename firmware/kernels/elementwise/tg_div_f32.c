/*
 * tg_div_f32: a / b with broadcasting on float32, then the clamp (TFLite DIV on float: Div /
 * BroadcastDivSlow with the fused activation's range).
 * numpy twin: tinygen.ref.float32_more.div_f32.
 */
#include "tg_broadcast_pair_f32.h"
#include "tg_kernels.h"

static float div_element(float a, float b)
{
    return a / b;
}

void tg_div_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    tg_broadcast_pair_f32(p, input1, input2, output, div_element, 1);
}
