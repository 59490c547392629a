/*
 * tg_add_s16: portable elementwise add, int16 (TFLite's 16x8 ADD, reference_ops::
 * AddGeneralParamScale): tg_add_s8's arithmetic with left_shift 15. Both inputs are shifted
 * left (|x| <= 32768, so << 15 stays within int32), rescaled to a common scale, summed, then
 * rescaled to the output. Parameters: tinygen.quant.op_params.add_params.
 * numpy twin: tinygen.ref.int16.add_s16.
 */
#include "tg_add_element.h"
#include "tg_kernels.h"

void tg_add_s16(const tg_add_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = (int16_t)tg_add_element(p, input1[i], input2[i]);
    }
}
