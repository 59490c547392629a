/* The fixed-point front end's clips and stream frames (tg_frontend.h): tg_mfcc_frame_q31 over the generated tables. */
#include "tg_frontend.h"

#include "tg_audio_tables.h"

#define TG_STREAM_DIVISOR 32768u           /* stream.FIXED_GAIN = 1 / 32768 */
#define TG_LN_32768_Q24 174436200          /* 15 ln 2 in Q24 */

static tg_mfcc_scratch_q31 tg_audio_scratch;
static int32_t tg_audio_ring[TG_MFCC_NUM_FRAMES][TG_MFCC_NUM_COEFFS];
static int16_t tg_audio_peaks[TG_MFCC_NUM_FRAMES];

const char *tg_frontend_name(void)
{
    return "mfcc-q31";
}

void tg_frontend_clip(const int16_t *clip, int8_t *features)
{
    int16_t peak = tg_peak_s16(clip, TG_MFCC_CLIP_SAMPLES);
    uint32_t divisor = peak > 0 ? (uint32_t)peak : 1u;
    int32_t mfcc[TG_MFCC_NUM_COEFFS];
    for (int32_t f = 0; f < TG_MFCC_NUM_FRAMES; f++) {
        tg_mfcc_frame_q31(&clip[f * TG_MFCC_FRAME_STEP], divisor, &tg_audio_tables, &tg_audio_scratch, mfcc);
        tg_mfcc_quantize_q31(mfcc, TG_MFCC_NUM_COEFFS, 0, tg_audio_tables.inv_scale, tg_audio_tables.inv_scale_shift,
                             tg_audio_tables.input_zero_point, &features[f * TG_MFCC_NUM_COEFFS]);
    }
}

void tg_frontend_stream_frame(const int16_t *frame, int32_t slot)
{
    tg_mfcc_frame_q31(frame, TG_STREAM_DIVISOR, &tg_audio_tables, &tg_audio_scratch, tg_audio_ring[slot]);
    tg_audio_peaks[slot] = tg_peak_s16(frame, TG_MFCC_FRAME_LENGTH);
}

void tg_frontend_stream_window(int32_t oldest, int8_t *features)
{
    int16_t peak = tg_peak_s16(tg_audio_peaks, TG_MFCC_NUM_FRAMES);
    int32_t c0_offset = 0;
    if (peak > 0) {
        int64_t ln_ratio = (int64_t)TG_LN_32768_Q24 - tg_log_q31((uint64_t)peak, tg_audio_tables.log2_table);
        c0_offset = tg_c0_offset_q31(ln_ratio, tg_audio_tables.c0_per_ln_q27);
    }
    for (int32_t i = 0; i < TG_MFCC_NUM_FRAMES; i++) {
        int32_t slot = (oldest + i) % TG_MFCC_NUM_FRAMES;
        tg_mfcc_quantize_q31(tg_audio_ring[slot], TG_MFCC_NUM_COEFFS, c0_offset, tg_audio_tables.inv_scale,
                             tg_audio_tables.inv_scale_shift, tg_audio_tables.input_zero_point,
                             &features[i * TG_MFCC_NUM_COEFFS]);
    }
}
