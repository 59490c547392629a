"""The keyword-spotting audio front end: 16 kHz int16 audio -> the MFCCs the MLPerf Tiny
KWS model was trained on -> its int8 input. The numpy twin of the C front end
(firmware/audio/); the one place the computation is written down.

It is the `mfcc` path of the MLPerf Tiny KWS training code (mlcommons/tiny,
benchmark/training/keyword_spotting/get_dataset.py), written there with TensorFlow's
tf.signal; here in numpy, stage by stage:

1. normalize: the clip (1 s = 16,000 samples; a shorter clip is zero-padded at the end, a
   longer one cut) as float, divided by its largest sample value (the signed maximum, as
   `wav / tf.reduce_max(wav)`; a clip whose maximum is not positive is left unscaled);
2. frames: 480 samples (30 ms) every 320 (20 ms), no padding at the end: 49 frames;
3. window: periodic Hann, w[n] = 0.5 - 0.5 cos(2 pi n / 480) (tf.signal.hann_window);
4. spectrum: real FFT of length 512 (the frame zero-padded), magnitude |X[k]| (not the
   power), 257 bins;
5. mel: 40 triangular filters from 20 Hz to 4000 Hz on the HTK mel scale
   mel(f) = 1127 ln(1 + f / 700), built like tf.signal.linear_to_mel_weight_matrix: bin k's
   frequency is k * 8000 / 256, the DC bin gets no weight, filter m has its edges at the
   (m, m+1, m+2)-th of 42 points evenly spaced in mel, weight
   max(0, min((mel(f) - lo) / (c - lo), (hi - mel(f)) / (hi - c))), no area normalisation;
6. log: ln(mel + 1e-6);
7. dct: DCT-II scaled as tf.signal.mfccs_from_log_mel_spectrograms,
   c[k] = 2 sum_n x[n] cos(pi k (2n + 1) / 80) / sqrt(2 * 40), the first 10 coefficients;
8. quantize: q = round(c / scale) + zero_point (halves away from zero), clamped to int8,
   with the model input's scale and zero point; a model whose file gives feature_gains()
   takes coefficient k times gain k as its input, so coefficient k's scale is
   scale / gain k (`coefficient_scales`): a wide coefficient (c0, the energy, spans about
   eight times the others) given a gain below 1 no longer coarsens every coefficient's grid.

The result is [49, 10]: the model's [1, 49, 10, 1] input. `features(clip)` returns the
floats (step 7), `quantize(...)` the int8 grid; `hann_window()`, `mel_runs()` (the mel
weights as per-filter runs) and `dct_matrix()` the constants the firmware keeps in flash
(tinygen.kernels.mfcc_tables turns them into its tables).

The C front end (firmware/audio/tg_audio.h, `tinygen build --frontend mfcc`) computes the
same stages, in float (_f32) or in integers (_q31): step 1's maximum tg_peak_s16, steps
2-7 per frame tg_mfcc_frame_* (steps 3-4 in tg_cfft_* and tg_rfft_mag_*, 5-6
tg_mel_log_*, 7 tg_dct_*), step 8 tg_mfcc_quantize_*; tg_frontend_clip the whole clip.
Both agree with `quantize(features(clip))` on at least 99.5% of the int8 bytes, never
more than 1 apart (tests/audio/test_audio_c.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000
CLIP_SAMPLES = 16_000
FRAME_LENGTH = 480
FRAME_STEP = 320
FFT_LENGTH = 512
NUM_BINS = FFT_LENGTH // 2 + 1
NUM_FRAMES = 1 + (CLIP_SAMPLES - FRAME_LENGTH) // FRAME_STEP
NUM_MEL = 40
LOWER_HZ = 20.0
UPPER_HZ = 4000.0
LOG_OFFSET = 1e-6
NUM_MFCC = 10


def hertz_to_mel(f: np.ndarray) -> np.ndarray:
    """The HTK mel scale (tf.signal's _hertz_to_mel)."""
    return 1127.0 * np.log1p(np.asarray(f, np.float64) / 700.0)


def hann_window(length: int = FRAME_LENGTH) -> np.ndarray:
    """Periodic Hann window."""
    n = np.arange(length, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / length)


def mel_matrix(num_mel: int = NUM_MEL, num_bins: int = NUM_BINS, sample_rate: int = SAMPLE_RATE,
               lower_hz: float = LOWER_HZ, upper_hz: float = UPPER_HZ) -> np.ndarray:
    """[num_bins, num_mel] triangular weights (tf.signal.linear_to_mel_weight_matrix)."""
    freqs = np.linspace(0.0, sample_rate / 2.0, num_bins)[1:]          # the DC bin gets no weight
    bins_mel = hertz_to_mel(freqs)[:, None]
    edges = np.linspace(hertz_to_mel(lower_hz), hertz_to_mel(upper_hz), num_mel + 2)
    lo, center, hi = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    lower = (bins_mel - lo) / (center - lo)
    upper = (hi - bins_mel) / (hi - center)
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return np.vstack([np.zeros((1, num_mel)), weights])


def dct_matrix(num_mel: int = NUM_MEL, num_out: int = NUM_MFCC) -> np.ndarray:
    """[num_mel, num_out]: unnormalised DCT-II times 1/sqrt(2 num_mel)."""
    n = np.arange(num_mel)[:, None]
    k = np.arange(num_out)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * n + 1) / (2 * num_mel)) / np.sqrt(2.0 * num_mel)


def pad_clip(audio: np.ndarray) -> np.ndarray:
    """int16 samples of one clip, zero-padded or cut to CLIP_SAMPLES."""
    audio = np.asarray(audio)
    if audio.ndim != 1 or audio.dtype != np.int16:
        raise ValueError(f"a clip is 1-D int16 samples, got {audio.dtype} {list(audio.shape)}")
    out = np.zeros(CLIP_SAMPLES, np.int16)
    out[:min(len(audio), CLIP_SAMPLES)] = audio[:CLIP_SAMPLES]
    return out


def normalize(audio: np.ndarray) -> np.ndarray:
    """Step 1: the padded clip as float, divided by its largest sample (if positive)."""
    x = pad_clip(audio).astype(np.float64)
    peak = x.max()
    return x / peak if peak > 0 else x


def frames(x: np.ndarray, step: int = FRAME_STEP) -> np.ndarray:
    """Step 2: [n, FRAME_LENGTH] frames of `x`, one every `step` samples, none past the end."""
    count = 1 + (len(x) - FRAME_LENGTH) // step
    index = np.arange(FRAME_LENGTH)[None, :] + step * np.arange(count)[:, None]
    return x[index]


def spectrum(framed: np.ndarray) -> np.ndarray:
    """Steps 3-4: |rfft(frame * window, 512)|, [n, 257]."""
    return np.abs(np.fft.rfft(framed * hann_window(), n=FFT_LENGTH, axis=-1))


def log_mel(magnitude: np.ndarray) -> np.ndarray:
    """Steps 5-6: ln(magnitude . mel + 1e-6), [n, 40]."""
    return np.log(magnitude @ mel_matrix() + LOG_OFFSET)


def mfcc(logmel: np.ndarray) -> np.ndarray:
    """Step 7: the first 10 scaled DCT-II coefficients, [n, 10]."""
    return logmel @ dct_matrix()


def features(audio: np.ndarray) -> np.ndarray:
    """Steps 1-7 on one clip of int16 samples: float64 MFCCs [49, 10]."""
    return mfcc(log_mel(spectrum(frames(normalize(audio)))))


def coefficient_scales(scale: float, gains=None) -> np.ndarray:
    """float64 [10]: each coefficient's step on the model input's int8 grid, the input's
    scale over the coefficient's gain (all the input's scale without gains)."""
    ones = np.ones(NUM_MFCC)
    return float(scale) / (ones if gains is None else np.asarray(gains, np.float64) * ones)


def quantize(values: np.ndarray, scale, zero_point: int) -> np.ndarray:
    """Step 8: the int8 grid of the model's input (halves away from zero, clamped); `scale` a
    number, or one per coefficient (coefficient_scales), along the last axis."""
    scaled = np.asarray(values, np.float64) / np.asarray(scale, np.float64)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + int(zero_point)
    return np.clip(rounded, -128, 127).astype(np.int8)


@dataclass(frozen=True)
class MelRuns:
    """The mel matrix as the firmware stores it: per filter, its first nonzero bin and its
    weights up to the last nonzero one (every filter is one run of adjacent bins)."""
    start: np.ndarray        # [NUM_MEL] int
    length: np.ndarray       # [NUM_MEL] int
    weights: np.ndarray      # all runs back to back, float64


def mel_runs(matrix: np.ndarray | None = None) -> MelRuns:
    matrix = mel_matrix() if matrix is None else matrix
    starts, lengths, weights = [], [], []
    for m in range(matrix.shape[1]):
        nonzero = np.flatnonzero(matrix[:, m])
        first, last = (int(nonzero[0]), int(nonzero[-1])) if nonzero.size else (0, -1)
        starts.append(first)
        lengths.append(last - first + 1)
        weights.append(matrix[first:last + 1, m])
    return MelRuns(np.array(starts), np.array(lengths), np.concatenate(weights))


__all__ = ["CLIP_SAMPLES", "FFT_LENGTH", "FRAME_LENGTH", "FRAME_STEP", "MelRuns", "NUM_BINS", "NUM_FRAMES",
           "NUM_MEL", "NUM_MFCC", "SAMPLE_RATE", "coefficient_scales", "dct_matrix", "features", "frames",
           "hann_window", "hertz_to_mel", "log_mel", "mel_matrix", "mel_runs", "mfcc", "normalize", "pad_clip", "quantize",
           "spectrum"]
