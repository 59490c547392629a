/*
 * tg_concat_f32: concatenation, float32 (TFLite Concatenation): for each of the `outer`
 * slices, copies copy_sizes[i] elements from each input i in turn (tg_concat_s8's parameters).
 * numpy twin: tinygen.ref.float32_layout.concat_f32.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_concat_f32(const tg_concat_params_t *p, const float *const *inputs, float *output)
{
    int32_t o, i;

    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->num_inputs; ++i) {
            const int32_t n = p->copy_sizes[i];
            memcpy(output, &inputs[i][o * n], (size_t)n * sizeof(float));
            output += n;
        }
    }
}
