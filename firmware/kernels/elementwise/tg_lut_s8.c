/*
 * tg_lut_s8: an int8 -> int8 function by table lookup. `table` holds the function's
 * output for each of the 256 int8 inputs (table[q + 128] for input q), built at compile
 * time (tinygen/frontend/onnx/quantized.py: onnxruntime's float computation of an
 * elementwise op between DequantizeLinear and QuantizeLinear, evaluated once per input
 * value). May run in place.
 * numpy twin: tinygen.ref.lookup.lut_s8.
 */
#include "tg_kernels.h"

void tg_lut_s8(const tg_lut_params_t *p, const int8_t *input, const int8_t *table, int8_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = table[(int32_t)input[i] + 128];
    }
}
