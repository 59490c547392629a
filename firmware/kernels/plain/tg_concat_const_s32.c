/*
 * tg_concat_const_s32: TFLite CONCATENATION of one plain int32 activation between constant
 * pieces along one axis: per outer element, `before` values of head, `inner` of the input,
 * `after` of tail. numpy twin: tinygen.ref.plain.concat_const_s32.
 */
#include <string.h>

#include "tg_kernels_plain.h"

void tg_concat_const_s32(const tg_concat_const_params_t *p, const int32_t *input, const int32_t *head,
                         const int32_t *tail, int32_t *output)
{
    int32_t o;

    for (o = 0; o < p->outer; ++o) {
        if (p->before > 0) {
            memcpy(output, head + o * p->before, (size_t)p->before * sizeof(int32_t));
            output += p->before;
        }
        memcpy(output, input + o * p->inner, (size_t)p->inner * sizeof(int32_t));
        output += p->inner;
        if (p->after > 0) {
            memcpy(output, tail + o * p->after, (size_t)p->after * sizeof(int32_t));
            output += p->after;
        }
    }
}
