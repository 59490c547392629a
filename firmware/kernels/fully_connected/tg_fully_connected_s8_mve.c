/*
 * tg_fully_connected_s8_mve: fully connected layer for Helium (Armv8.1-M MVE,
 * Cortex-M55), int8 in/out: the [rows][in_features] input times the packed weights
 * (tg_mat_mult_s8_mve.h). Equals tg_fully_connected_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.fully_connected_s8.
 */
#include "tg_kernels.h"
#include "tg_mat_mult_s8_mve.h"

void tg_fully_connected_s8_mve(const tg_fully_connected_params_t *p, const int8_t *input, const int32_t *packed,
                               int8_t *output)
{
    tg_mat_mult_s8_mve(p->rows, p->in_features, p->out_features, input, packed, p->output_offset, p->act_min,
                       p->act_max, output);
}
