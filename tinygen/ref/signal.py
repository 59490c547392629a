"""Numpy twins of the signal library kernels (firmware/kernels/signal/): TFLite Micro's
SignalWindow, SignalFftAutoScale and SignalEnergy on plain integers, byte for byte as TFLite
Micro computes them (signal/src/*.cc). The real FFTs (SignalRfft, SignalIrfft: kissfft's, which
TFLite Micro builds into its signal library) are tinygen.ref.signal_fft's.

Nothing here is shared with tinygen's own MFCC front end (tinygen.ref.mfcc, firmware/audio/),
because no step computes the same bytes: its FFT is radix-2 in Q31 on bit-reversed input with
no scaling between stages and twiddles rounded from numpy's cosines, kissfft's is radix 4 (and
one radix 2) in Q15 dividing by the radix at every butterfly, on base-4 digit-reversed input,
with twiddles floor(0.5 + 32767 cos); its window is a Q30 Hann multiplied in 64 bits where
SignalWindow is int16 weights, a shift and a saturation; tg_peak_s16 is the largest sample,
MaxAbs16 the largest magnitude with its int16 wrap; and it takes magnitudes, not energies.
"""

from __future__ import annotations

import numpy as np

INT16_MIN, INT16_MAX = -32768, 32767


# -- window and auto scale ---------------------------------------------------------------------

def signal_window_s16(p: dict, input, weights) -> np.ndarray:
    """tg_signal_window_s16: (x * w) >> shift (arithmetic), saturated to int16; the window of
    p["window"] elements applied to each run of as many elements."""
    x = np.asarray(input, np.int32).reshape(-1, p["window"])
    raw = (x * np.asarray(weights, np.int32)) >> p["shift"]
    return np.clip(raw, INT16_MIN, INT16_MAX).astype(np.int16).reshape(np.shape(input))


def peak_s16(x: np.ndarray) -> int:
    """TFLite Micro's MaxAbs16 on one frame, quirk included: it keeps the running peak in an
    int16, so a -32768 makes it -32768 (the negation wraps), after which any larger element
    (even a negative one) takes its place."""
    x = np.asarray(x, np.int16).ravel()
    if not np.any(x == INT16_MIN):
        return int(np.max(np.abs(x.astype(np.int32)), initial=0))
    peak = 0
    for v in x.tolist():
        if v > peak:
            peak = v
        elif -v > peak:
            peak = -v if -v <= INT16_MAX else INT16_MIN
    return peak


def signal_fft_auto_scale_shift_s16(p: dict, input) -> np.ndarray:
    """tg_signal_fft_auto_scale_shift_s16: the left shift that brings the frame's peak
    (peak_s16) to bit 14: 15 - bit length of the peak, 0 where that is negative or the peak is
    not positive (TFLite Micro's MostSignificantBit32 gives 32 for 0: scale 0, as the package
    computes it)."""
    peak = peak_s16(input)
    shift = 15 - peak.bit_length() if peak > 0 else 0
    return np.array(max(shift, 0), np.int32)


def signal_fft_auto_scale_s16(p: dict, input, shift) -> np.ndarray:
    """tg_signal_fft_auto_scale_s16: the frame times 2^shift, kept to 16 bits as int16."""
    return (np.asarray(input, np.int32) << int(np.asarray(shift).ravel()[0])).astype(np.int16)


# -- energy ------------------------------------------------------------------------------------

def signal_energy_s16_u32(p: dict, input) -> np.ndarray:
    """tg_signal_energy_s16_u32: real^2 + imag^2 of the (real, imag) pairs start_index ..
    end_index - 1, as uint32 (the int32 sum of TFLite Micro wraps into the same bits); 0 for the
    other bins, which TFLite Micro leaves as they were."""
    pairs = np.asarray(input, np.int64).reshape(-1, 2)
    out = np.zeros(pairs.shape[0], np.uint32)
    lo, hi = p["start_index"], p["end_index"]
    out[lo:hi] = (pairs[lo:hi, 0] ** 2 + pairs[lo:hi, 1] ** 2).astype(np.uint32)
    return out
