/* tg_max_pool2d_s8 through CMSIS-NN's arm_max_pool_s8. */
#include "tg_cmsis_nn.h"

#include <stddef.h>

#include "tg_cmsis_nn_args.h"

void tg_max_pool2d_s8_cmsis_nn(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    const tg_cmsis_pool_t pool = tg_cmsis_pool(p);
    const cmsis_nn_context ctx = {NULL, 0};       /* max pooling needs no buffer */
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_max_pool_s8(&ctx, &pool.params, &pool.input, input, &pool.filter, &pool.output, output);
}
