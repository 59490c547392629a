/*
 * tinygen kernels of TFLite Micro's signal library (an audio front end exported as a model):
 * plain integers, no quantization, each kernel equal to TFLite Micro's signal op byte for byte
 * (numpy twins: tinygen/ref/signal.py). Shapes are flat: a frame is a run of int16 samples, a
 * spectrum a run of (real, imag) int16 pairs.
 *
 * Part of tg_kernels.h's API, which includes this file: include tg_kernels.h, not this.
 */
#ifndef TG_KERNELS_SIGNAL_H
#define TG_KERNELS_SIGNAL_H

#ifndef TG_KERNELS_H
#error "include tg_kernels.h, which includes this header"
#endif

typedef struct {
    int32_t size;                   /* input elements, whole windows */
    int32_t window;                 /* window weights, applied to each run of as many elements */
    int32_t shift;                  /* right shift of each product, in [0, 31] */
} tg_signal_window_params_t;

/*
 * SignalWindow: output[i] = (input[i] * weights[i % window]) >> shift (arithmetic), saturated
 * to int16. weights: int16 [window].
 */
void tg_signal_window_s16(const tg_signal_window_params_t *p, const int16_t *input, const int16_t *weights,
                          int16_t *output);

typedef struct {
    int32_t size;                   /* frame samples */
} tg_signal_size_params_t;

/*
 * SignalFftAutoScale's shift output: the left shift (int32, in [0, 14]) that brings the frame's
 * peak |x| to bit 14; 0 for a silent frame. The peak is TFLite Micro's MaxAbs16, kept in an
 * int16: a -32768 turns it to -32768 (shift 0), which any larger sample then replaces.
 */
void tg_signal_fft_auto_scale_shift_s16(const tg_signal_size_params_t *p, const int16_t *input, int32_t *shift);

/* SignalFftAutoScale's frame output: input[i] * 2^shift, kept to 16 bits. shift: int32 [1]. */
void tg_signal_fft_auto_scale_s16(const tg_signal_size_params_t *p, const int16_t *input, const int32_t *shift,
                                  int16_t *output);

typedef struct {
    int32_t frames;                 /* frames in the input, one after the other */
    int32_t input_length;           /* samples per frame, at most fft_length */
    int32_t fft_length;             /* a power of two, >= 4 */
} tg_signal_rfft_params_t;

/*
 * SignalRfft (int16): the real FFT of each frame zero-padded to fft_length, as kissfft's 16-bit
 * fixed point computes it: a complex FFT of n = fft_length / 2 points on (even, odd) sample
 * pairs (radix-4 stages, one radix-2 stage first where log2(n) is odd; every butterfly divides
 * its inputs by its radix in Q15), then the split into n + 1 bins. Output: n + 1 (real, imag)
 * int16 pairs per frame, written in place of the complex FFT (no scratch).
 * twiddles: int16 [n][2] (cos, sin of -2 pi i / n in Q15); super_twiddles: int16 [n / 2][2]
 * (of -pi ((i + 1) / n + 1/2)); order: uint16 [n], the complex input each position starts from
 * (the radix decimation's digit reversal). Tables: tinygen.ref.signal_fft.rfft_tables.
 */
void tg_signal_rfft_s16(const tg_signal_rfft_params_t *p, const int16_t *input, const int16_t *twiddles,
                        const int16_t *super_twiddles, const uint16_t *order, int16_t *output);

/*
 * SignalRfft (int32): tg_signal_rfft_s16's steps in kissfft's 32-bit fixed point (int64 products in
 * Q31; sums wrap in 32 bits). Tables as tg_signal_rfft_s16's, int32 (tinygen.ref.signal_fft.rfft_tables
 * with bits = 32).
 */
void tg_signal_rfft_s32(const tg_signal_rfft_params_t *p, const int32_t *input, const int32_t *twiddles,
                        const int32_t *super_twiddles, const uint16_t *order, int32_t *output);

/*
 * SignalRfft (float32): tg_signal_rfft_s16's steps in kissfft's float arithmetic (no division by
 * the radix; every product and sum one float rounding, in kissfft's order). Tables float32: the
 * double cosines cast to float (tinygen.ref.signal_fft.rfft_tables with bits = None).
 */
void tg_signal_rfft_f32(const tg_signal_rfft_params_t *p, const float *input, const float *twiddles,
                        const float *super_twiddles, const uint16_t *order, float *output);

/*
 * SignalIrfft (int16): the inverse real FFT of each frame of fft_length / 2 + 1 (real, imag) int16
 * pairs, as kissfft's 16-bit fixed point computes it (kiss_fftri): fft_length int16 samples per
 * frame (p->input_length: the fft_length + 2 values of a frame's bins). Tables: the inverse
 * transform's (tinygen.ref.signal_fft.rfft_tables with inverse=True).
 */
void tg_signal_irfft_s16(const tg_signal_rfft_params_t *p, const int16_t *input, const int16_t *twiddles,
                         const int16_t *super_twiddles, const uint16_t *order, int16_t *output);

/* SignalIrfft (int32): tg_signal_irfft_s16's steps in kissfft's 32-bit fixed point; int32 tables. */
void tg_signal_irfft_s32(const tg_signal_rfft_params_t *p, const int32_t *input, const int32_t *twiddles,
                         const int32_t *super_twiddles, const uint16_t *order, int32_t *output);

/* SignalIrfft (float32): kiss_fftri in float, then each sample divided by fft_length (TFLite
 * Micro's float inverse); float32 tables. */
void tg_signal_irfft_f32(const tg_signal_rfft_params_t *p, const float *input, const float *twiddles,
                         const float *super_twiddles, const uint16_t *order, float *output);

typedef struct {
    int32_t bins;                   /* (real, imag) pairs in, energies out */
    int32_t start_index, end_index; /* the bins computed; the others are 0 */
} tg_signal_energy_params_t;

/* SignalEnergy: real^2 + imag^2 per bin, uint32 (the sum wraps as TFLite Micro's int32 sum does). */
void tg_signal_energy_s16_u32(const tg_signal_energy_params_t *p, const int16_t *input, uint32_t *output);

#endif /* TG_KERNELS_SIGNAL_H */
