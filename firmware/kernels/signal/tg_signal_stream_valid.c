/*
 * tg_signal_stream_valid: a SignalFramer's or SignalStacker's second output, whether its frames
 * are whole: the flag its kernel left in its state. numpy twin:
 * tinygen.ref.signal_stream.signal_stream_valid.
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_stream_valid(const tg_signal_stream_valid_params_t *p, const int16_t *frames, const int16_t *state,
                            uint8_t *valid)
{
    (void)frames;                   /* read by nothing: the argument orders this call after the frames' */
    *valid = (uint8_t)(state[p->flag] != 0);
}
