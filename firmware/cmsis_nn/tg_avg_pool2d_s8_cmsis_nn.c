/* tg_avg_pool2d_s8 (TFLite's count of in-bounds elements) through CMSIS-NN's arm_avgpool_s8. */
#include "tg_cmsis_nn.h"

#include "tg_cmsis_nn_args.h"

void tg_avg_pool2d_s8_cmsis_nn(const tg_pool2d_params_t *p, const int8_t *input,
                               int8_t *scratch, int8_t *output)
{
    const tg_cmsis_pool_t pool = tg_cmsis_pool(p);
    const cmsis_nn_context ctx = {scratch, arm_avgpool_s8_get_buffer_size(p->out_w, p->channels)};
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_avgpool_s8(&ctx, &pool.params, &pool.input, input, &pool.filter, &pool.output, output);
}
