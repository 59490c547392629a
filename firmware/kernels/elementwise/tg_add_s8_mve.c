/*
 * tg_add_s8_mve: elementwise add of two same-shape int8 tensors (TFLite's int8 ADD) for
 * Helium (Armv8.1-M MVE, Cortex-M55): the operands' scaled values from the packed tables
 * (tg_add_s8_mve.h), the output requantized 4 elements at a time. May run in place.
 * Equals tg_add_s8 bit for bit. numpy twin: tinygen.ref.kernels.add_s8.
 */
#include "tg_add_s8_mve.h"
#include "tg_kernels.h"

void tg_add_s8_mve(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2, const int32_t *packed,
                   int8_t *output)
{
    const tg_add_mve_t a = tg_add_mve(packed, p->output_multiplier, p->output_shift, p->output_offset, p->act_min,
                                      p->act_max);
    tg_add_mve_apply(&a, input1, input2, p->size, output);
}
