/*
 * tg_conv2d_u4_s4_s8: 4-bit weights x activations with u = x + in_off in [0, 15], several
 * products per multiply-accumulate (tg_kernels_packed.h, tg_conv2d_packed.h).
 * Equals tg_conv2d_s8_s4_s8 on such inputs. numpy twin: tinygen.ref.subbyte.conv2d_u4_s4_s8.
 */
#include "tg_conv2d_packed.h"
#include "tg_kernels_packed.h"

void tg_conv2d_u4_s4_s8(const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed,
                        const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                        int8_t *scratch, int8_t *output)
{
    tg_conv2d_packed(p, input, packed, bias, multiplier, shift, scratch, output, TG_PACKED_KIND_U4,
                     tg_packed_dot4_u4);
}
