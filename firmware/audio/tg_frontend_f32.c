/* The float front end's clips and stream frames (tg_frontend.h): tg_mfcc_frame_f32 over the generated tables. */
#include "tg_frontend.h"

#include "tg_audio_tables.h"

#define TG_STREAM_GAIN (1.0f / 32768.0f)   /* stream.FIXED_GAIN */
#define TG_LN_32768 10.3972077f            /* ln(1 / TG_STREAM_GAIN) */
#define TG_C0_PER_LN 8.94427191f           /* sqrt(2 * 40), stream.C0_PER_LOG */

static tg_mfcc_scratch_f32 tg_audio_scratch;
static float tg_audio_ring[TG_MFCC_NUM_FRAMES][TG_MFCC_NUM_COEFFS];
static int16_t tg_audio_peaks[TG_MFCC_NUM_FRAMES];

const char *tg_frontend_name(void)
{
    return "mfcc-f32";
}

void tg_frontend_clip(const int16_t *clip, int8_t *features)
{
    int16_t peak = tg_peak_s16(clip, TG_MFCC_CLIP_SAMPLES);
    float gain = peak > 0 ? 1.0f / (float)peak : 1.0f;
    float mfcc[TG_MFCC_NUM_COEFFS];
    for (int32_t f = 0; f < TG_MFCC_NUM_FRAMES; f++) {
        tg_mfcc_frame_f32(&clip[f * TG_MFCC_FRAME_STEP], gain, &tg_audio_tables, &tg_audio_scratch, mfcc);
        tg_mfcc_quantize_f32(mfcc, TG_MFCC_NUM_COEFFS, 0.0f, tg_audio_tables.input_scale,
                             tg_audio_tables.input_zero_point, &features[f * TG_MFCC_NUM_COEFFS]);
    }
}

void tg_frontend_stream_frame(const int16_t *frame, int32_t slot)
{
    tg_mfcc_frame_f32(frame, TG_STREAM_GAIN, &tg_audio_tables, &tg_audio_scratch, tg_audio_ring[slot]);
    tg_audio_peaks[slot] = tg_peak_s16(frame, TG_MFCC_FRAME_LENGTH);
}

void tg_frontend_stream_window(int32_t oldest, int8_t *features)
{
    int16_t peak = tg_peak_s16(tg_audio_peaks, TG_MFCC_NUM_FRAMES);
    float c0_offset = peak > 0 ? TG_C0_PER_LN * (TG_LN_32768 - tg_log_f32((float)peak)) : 0.0f;
    for (int32_t i = 0; i < TG_MFCC_NUM_FRAMES; i++) {
        int32_t slot = (oldest + i) % TG_MFCC_NUM_FRAMES;
        tg_mfcc_quantize_f32(tg_audio_ring[slot], TG_MFCC_NUM_COEFFS, c0_offset, tg_audio_tables.input_scale,
                             tg_audio_tables.input_zero_point, &features[i * TG_MFCC_NUM_COEFFS]);
    }
}
