/*
 * The keyword-spotting MFCC front end, stage by stage: 16 kHz int16 audio ->
 * the int8 [49, 10] input of the MLPerf Tiny KWS model. The numpy twin, and
 * the definition of every stage, is tinygen/ref/mfcc.py; each function
 * below names the twin's stage it computes.
 *
 * Two arithmetics, each a complete front end of its own:
 *   _f32: single-precision float, for cores with an FPU (Cortex-M4F / M7,
 *         the host). No double anywhere, no libm: tg_log_f32 and tg_sqrt_f32
 *         are written here.
 *   _q31: integers only, for cores without an FPU (the ESP32-C3's RV32IMC):
 *         Q31 FFT with block scaling, integer square root and logarithm.
 * On a core with the DSP extension the _q31 FFT and magnitude are tg_cfft_q31_dsp.c and
 * tg_rfft_mag_q31_dsp.c (the same integers, SMULL / SMLAL).
 * tinygen/codegen/audio.py picks one per board; tinygen/kernels/mfcc_tables.py
 * generates their tables (tg_audio_tables.c, const: flash).
 *
 * No function here allocates or keeps state; buffers are the caller's.
 */
#ifndef TG_AUDIO_H
#define TG_AUDIO_H

#include <stdint.h>

/* The front end's fixed geometry (tinygen/ref/mfcc.py, checked by tests). */
#define TG_MFCC_SAMPLE_RATE 16000
#define TG_MFCC_CLIP_SAMPLES 16000   /* one clip: 1 s */
#define TG_MFCC_FRAME_LENGTH 480     /* 30 ms */
#define TG_MFCC_FRAME_STEP 320       /* 20 ms */
#define TG_MFCC_NUM_FRAMES 49        /* frames of a clip */
#define TG_MFCC_FFT_LENGTH 512       /* real FFT length */
#define TG_MFCC_FFT_HALF 256         /* complex FFT length: the real FFT packs sample pairs */
#define TG_MFCC_MAX_BINS 129         /* bins a mel filter bank of 0..4 kHz can use: 0..128 */
#define TG_MFCC_NUM_MEL 40
#define TG_MFCC_NUM_COEFFS 10
#define TG_MFCC_FEATURES (TG_MFCC_NUM_FRAMES * TG_MFCC_NUM_COEFFS)

/* The largest of n >= 1 samples (frontend.normalize's maximum; stream.frame_mfcc's peak). */
int16_t tg_peak_s16(const int16_t *x, int32_t n);

/* ---------------------------------------------------------------- float ---- */

/* The mel filter bank as runs: filter m weighs bins start[m] .. start[m]+length[m]-1
   with the next length[m] weights (frontend.mel_runs()). */
typedef struct {
    const uint8_t *start;    /* [TG_MFCC_NUM_MEL] first bin of each filter */
    const uint8_t *length;   /* [TG_MFCC_NUM_MEL] bins in each filter */
    const float *weights;    /* all filters' weights back to back */
} tg_mel_runs_f32;

/* Everything the float front end reads, generated into flash. */
typedef struct {
    const float *window;     /* [480] periodic Hann (frontend.hann_window) */
    const uint8_t *bitrev;   /* [256] 8-bit bit reversal of 0..255 */
    const float *twiddles;   /* [2 * 128] (re, im) of exp(-2 pi i j / 256), j = 0..127 */
    const float *split;      /* [2 * (bin_last + 1)] (re, im) of exp(-2 pi i k / 512) */
    int32_t bin_first;       /* the lowest and highest bin any mel filter weighs */
    int32_t bin_last;
    tg_mel_runs_f32 mel;
    const float *dct;        /* [40][10] row-major (frontend.dct_matrix) */
    const float *input_scale;   /* [10] each coefficient's step on the model input's int8 grid */
    int32_t input_zero_point;
} tg_mfcc_tables_f32;

/* Scratch of one frame's computation (2.7 KB). */
typedef struct {
    float fft[2 * TG_MFCC_FFT_HALF];
    float mag[TG_MFCC_MAX_BINS];
    float logmel[TG_MFCC_NUM_MEL];
} tg_mfcc_scratch_f32;

/* ln(x) for a normal float x > 0, to about 1 ulp; no libm. */
float tg_log_f32(float x);

/* sqrt(x) for x >= 0 (0 for x <= 0), correctly rounded or 1 ulp off; no libm. */
float tg_sqrt_f32(float x);

/*
 * In-place radix-2 complex FFT of n points (a power of two): z holds n
 * interleaved (re, im) pairs IN BIT-REVERSED ORDER and receives the DFT in
 * natural order. twiddles: n/2 pairs, exp(-2 pi i j / n).
 */
void tg_cfft_f32(float *z, int32_t n, const float *twiddles);

/*
 * Steps 4 of frontend.spectrum: |X[k]| of the real 2n-point FFT, for
 * k = first..last (last < n), from z = the n-point complex FFT of the frame's
 * sample pairs (x[2j] + i x[2j+1]). split: (re, im) of exp(-2 pi i k / 2n)
 * for k = 0..last. mag[k - first] receives |X[k]|.
 */
void tg_rfft_mag_f32(const float *z, int32_t n, const float *split, int32_t first, int32_t last, float *mag);

/*
 * frontend.log_mel: logmel[m] = ln(sum_k w[m, k] mag[k - first_bin] + eps)
 * for the TG_MFCC_NUM_MEL filters of `mel`.
 */
void tg_mel_log_f32(const float *mag, int32_t first_bin, const tg_mel_runs_f32 *mel, float eps, float *logmel);

/* frontend.mfcc: out[k] = sum_m x[m] dct[m * n_out + k], k < n_out. */
void tg_dct_f32(const float *x, int32_t n_in, const float *dct, int32_t n_out, float *out);

/*
 * One frame through frontend steps 3-7 (window, |rfft 512|, mel, ln, DCT):
 * frame = 480 samples, each taken as sample * gain (1 / the clip's maximum in
 * clip mode, 1 / 32768 in stream mode); mfcc receives the 10 coefficients.
 */
void tg_mfcc_frame_f32(const int16_t *frame, float gain, const tg_mfcc_tables_f32 *tables,
                       tg_mfcc_scratch_f32 *scratch, float *mfcc);

/*
 * frontend.quantize on one frame's n coefficients, c0 first: q = round(c / scale[k])
 * (halves away from zero) + zero_point, clamped to int8, scale[k] coefficient k's
 * step (frontend.coefficient_scales); c0_offset is added to coefficient 0 first
 * (stream mode's normalisation, stream.window_input).
 */
void tg_mfcc_quantize_f32(const float *mfcc, int32_t n, float c0_offset, const float *scale, int32_t zero_point,
                          int8_t *q);

/* ------------------------------------------------------------ fixed point -- */

/* Fixed-point formats of the _q31 front end. */
#define TG_MFCC_Q_WINDOW 30    /* window: uint32, 1.0 = 1 << 30 (Q15 is too coarse at the edges) */
#define TG_MFCC_Q_TWIDDLE 31   /* FFT twiddles: int32 */
#define TG_MFCC_Q_MAG 2        /* |X|: uint32 with 2 fractional bits */
#define TG_MFCC_Q_MEL 28       /* mel weights: uint32 */
#define TG_MFCC_Q_ENERGY 30    /* mel energies: uint64, Q_MAG + Q_MEL */
#define TG_MFCC_Q_LOG 24       /* ln values: int32 */
#define TG_MFCC_Q_DCT 28       /* DCT matrix: int32 */
#define TG_MFCC_Q_MFCC 20      /* coefficients: int32 */
#define TG_MFCC_FFT_BOUND_BITS 30   /* every FFT value stays below 2^30 (block scaling) */
#define TG_MFCC_SCALE_UP_MAX 7      /* quiet frames are scaled up by at most 2^7 (the offset fits) */

typedef struct {
    const uint8_t *start;
    const uint8_t *length;
    const uint32_t *weights;   /* Q28 */
} tg_mel_runs_q31;

typedef struct {
    const uint32_t *window;    /* [480] Q30 */
    const uint8_t *bitrev;     /* [256] */
    const int32_t *twiddles;   /* [2 * 128] Q31 (1.0 saturates to 2^31 - 1; j = 0 is not read) */
    const int32_t *split;      /* [2 * (bin_last + 1)] Q31 */
    int32_t bin_first;
    int32_t bin_last;
    tg_mel_runs_q31 mel;
    const int32_t *dct;        /* [40][10] Q28 */
    const uint32_t *log2_table;   /* [257] log2(1 + i / 256) in Q30 */
    uint64_t eps_q62;          /* the log's offset 1e-6 in Q62 */
    int32_t c0_per_ln_q27;     /* sqrt(2 * 40): what ln(g) on every log-mel adds to c0, Q27 */
    const int32_t *inv_scale;        /* [10] round(2^inv_scale_shift / the coefficient's step) */
    const int32_t *inv_scale_shift;  /* [10] */
    int32_t input_zero_point;
} tg_mfcc_tables_q31;

typedef struct {
    int32_t fft[2 * TG_MFCC_FFT_HALF];
    uint32_t mag[TG_MFCC_MAX_BINS];
    int32_t logmel[TG_MFCC_NUM_MEL];
} tg_mfcc_scratch_q31;

/*
 * floor(sqrt(x) * 2^frac_bits), saturating at UINT32_MAX (exact while x * 4^frac_bits
 * < 2^62; above that the last bits are zero: a relative error below 2^-30).
 */
uint32_t tg_sqrt_u64(uint64_t x, int32_t frac_bits);

/* ln(x) in Q24 for x >= 1 (within 3e-6), from the 257-entry log2 table (Q30). */
int32_t tg_log_q31(uint64_t x, const uint32_t *log2_table);

/*
 * tg_cfft_f32 in integers: z holds n interleaved Q0 int32 pairs in
 * bit-reversed order, every |value| below 2^30 and the sum of all |values|
 * below 2^30 too (then no butterfly overflows: each output is a partial DFT).
 * twiddles: Q31. Products are rounded to nearest.
 */
void tg_cfft_q31(int32_t *z, int32_t n, const int32_t *twiddles);

/* tg_rfft_mag_f32 in integers: mag[k - first] = |X[k]| in Q2 (TG_MFCC_Q_MAG). */
void tg_rfft_mag_q31(const int32_t *z, int32_t n, const int32_t *split, int32_t first, int32_t last,
                     uint32_t *mag);

/*
 * logmel[m] = ln(sum_k w[m, k] mag[k - first_bin] + eps) in Q24, with mag in Q2,
 * weights Q28 (their sum is a Q30 energy) and eps in the same Q30 units.
 */
void tg_mel_log_q31(const uint32_t *mag, int32_t first_bin, const tg_mel_runs_q31 *mel, uint64_t eps,
                    const uint32_t *log2_table, int32_t *logmel);

/* tg_dct_f32 in integers: x Q24, dct Q28, out Q20 (rounded). */
void tg_dct_q31(const int32_t *x, int32_t n_in, const int32_t *dct, int32_t n_out, int32_t *out);

/*
 * tg_mfcc_frame_f32 in integers: each sample taken as sample / divisor
 * (divisor >= 1: the clip's maximum, or 32768 in stream mode); mfcc receives
 * the 10 coefficients in Q20.
 */
void tg_mfcc_frame_q31(const int16_t *frame, uint32_t divisor, const tg_mfcc_tables_q31 *tables,
                       tg_mfcc_scratch_q31 *scratch, int32_t *mfcc);

/*
 * tg_mfcc_quantize_f32 in integers: mfcc and c0_offset in Q20, per coefficient k
 * q = round(c * inv_scale[k] / 2^(20 + inv_scale_shift[k])) (halves away from zero) + zero_point.
 */
void tg_mfcc_quantize_q31(const int32_t *mfcc, int32_t n, int32_t c0_offset, const int32_t *inv_scale,
                          const int32_t *inv_scale_shift, int32_t zero_point, int8_t *q);

/* sqrt(2 * 40) * ln_q24 in Q20: the change of c0 when every log-mel value moves by ln (Q24). */
int32_t tg_c0_offset_q31(int64_t ln_q24, int32_t c0_per_ln_q27);

#endif /* TG_AUDIO_H */
