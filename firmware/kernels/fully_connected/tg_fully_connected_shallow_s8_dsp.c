/*
 * tg_fully_connected_shallow_s8_dsp: a fully connected layer of depth <= 16 for ARMv7E-M,
 * the widened input row in registers and one build-time record per output
 * (tg_fully_connected_shallow_s8_dsp.h). Equals tg_fully_connected_s8 bit for bit where
 * the build chose it. numpy twin: tinygen.ref.kernels.fully_connected_s8.
 *
 * The generic entry point: one loop per record size (depth rounded up to 4), so that the
 * widened row stays in registers; a specialized layer inlines the body with its constants.
 */
#include "tg_fully_connected_shallow_s8_dsp.h"
#include "tg_kernels.h"

void tg_fully_connected_shallow_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                       const int32_t *packed, int8_t *output)
{
    const int32_t depth = p->in_features, cols = p->out_features;
    int32_t r;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = &input[r * depth];
        int8_t *out = &output[r * cols];
        switch ((depth + 3) >> 2) {
        case 1:
            tg_fc_shallow_row(x, depth < 4 ? depth : 4, cols, p->input_offset, p->act_min, p->act_max, packed, out);
            break;
        case 2:
            tg_fc_shallow_row(x, depth < 8 ? depth : 8, cols, p->input_offset, p->act_min, p->act_max, packed, out);
            break;
        case 3:
            tg_fc_shallow_row(x, depth < 12 ? depth : 12, cols, p->input_offset, p->act_min, p->act_max, packed,
                              out);
            break;
        default:
            tg_fc_shallow_row(x, depth < 16 ? depth : 16, cols, p->input_offset, p->act_min, p->act_max, packed,
                              out);
            break;
        }
    }
}
