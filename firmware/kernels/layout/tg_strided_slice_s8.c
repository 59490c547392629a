/*
 * tg_strided_slice_s8: portable reference strided slice, int8 (TFLite STRIDED_SLICE
 * and SLICE, torch slicing with steps, select, flip). Output element (i0, i1, i2, i3)
 * copies input element offset + i0 step[0] + i1 step[1] + i2 step[2] + i3 step[3],
 * the steps in elements and of any sign (a negative one walks backwards); a last
 * dimension of step 1 is copied as one run (tg_slice_elements.h).
 * numpy twin: tinygen.ref.slicing.strided_slice_s8.
 */
#include "tg_kernels.h"
#include "tg_slice_elements.h"

void tg_strided_slice_s8(const tg_strided_slice_params_t *p, const int8_t *input, int8_t *output)
{
    tg_strided_slice_elements(p, (const uint8_t *)(const void *)input, (uint8_t *)(void *)output, sizeof(int8_t));
}
