/*
 * tg_add_s8: portable reference elementwise add, int8. Mirrors TFLite's
 * reference_integer_ops::AddFunc: both inputs are shifted left by left_shift
 * (for headroom), rescaled to a common scale, summed, then rescaled to the
 * output. Parameters come from tinygen.quant.op_params.add_params.
 * numpy twin: tinygen.ref.kernels.add_s8.
 */
#include "tg_add_element.h"
#include "tg_kernels.h"

void tg_add_s8(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
               int8_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = (int8_t)tg_add_element(p, input1[i], input2[i]);
    }
}
