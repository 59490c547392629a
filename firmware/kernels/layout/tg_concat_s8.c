/*
 * tg_concat_s8: portable reference concatenation, int8. For each of the
 * `outer` slices, copies copy_sizes[i] bytes from each input i in turn.
 * numpy twin: tinygen.ref.kernels.concat_s8.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_concat_s8(const tg_concat_params_t *p, const int8_t *const *inputs, int8_t *output)
{
    int32_t o, i;

    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->num_inputs; ++i) {
            const int32_t n = p->copy_sizes[i];
            memcpy(output, &inputs[i][o * n], (size_t)n);
            output += n;
        }
    }
}
