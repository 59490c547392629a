"""Integer-exact numpy twins of the filter-bank half of TFLite Micro's signal library
(firmware/kernels/signal/): tg_filter_bank_u32_u64 (SignalFilterBank), tg_filter_bank_sqrt_u64_u32
(SignalFilterBankSquareRoot), tg_noise_estimate_u32 and tg_spectral_subtraction_u32
(SignalFilterBankSpectralSubtraction's two outputs: the noise estimate, its state carried over
between invocations, and the signal less that estimate), tg_pcan_u32 (SignalPCAN) and
tg_filter_bank_log_u32_s16 (SignalFilterBankLog). Named like the C kernel minus ``tg_``; each
takes the kernel's parameter struct as a dict (tinygen.kernels.params_signal_bank).

The semantics are TFLite Micro's (signal/src/*.cc), wrap-arounds included: C's unsigned
arithmetic wraps modulo 2^32 or 2^64 and so does every step here (values are held in int64 /
uint64 and masked where C would wrap). These functions run the arithmetic; they share no code
with TFLite Micro.

The square root is not tinygen's tg_sqrt_u64 (firmware/audio/, the MFCC front end): that one
floors sqrt(x) * 2^frac_bits after a Newton step, while the signal library's rounds to nearest,
caps the rounding at 0xFFFF / 0xFFFFFFFF and takes a 32-bit path whenever the upper word is
clear; the log is not tg_log_q31 either (a 129-entry correction table on a Q16 log2, scaled by
an integer factor, against a 257-entry log2 table in Q30): they give different bytes, so the
two front ends share neither."""

from __future__ import annotations

import numpy as np

M32 = (1 << 32) - 1

# SignalPCAN's fixed points (pcan_argc_fixed.h): the SNR has 12 fractional bits, the output 6
PCAN_SNR_BITS = 12
PCAN_OUTPUT_BITS = 6

# SignalFilterBankLog's log2 correction table: log2(1 + f) - f in Q16 at f = i / 128, i = 0..128,
# as TFLite Micro tabulates it (its values, one extra 0 for the interpolation's right end)
LOG_LUT = np.array([
    0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944, 3087,
    3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791, 4864,
    4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533, 5557, 5578, 5595,
    5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470,
    5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630,
    4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186,
    3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224,
    1094, 963, 830, 695, 559, 421, 282, 142, 0, 0], dtype=np.uint16)
LOG_SEGMENTS_LOG2 = 7
LOG_SCALE_LOG2 = 16
LOG_COEFF = 45426            # ln 2 in Q16, rounded


def _u64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.uint64)


def bit_length(x) -> np.ndarray:
    """The number of significant bits of each element (0 for 0): TFLite's MostSignificantBit."""
    x = _u64(x)
    n = np.zeros(x.shape, np.int64)
    for k in (32, 16, 8, 4, 2, 1):
        big = (x >> np.uint64(k)) != 0
        n = np.where(big, n + k, n)
        x = np.where(big, x >> np.uint64(k), x)
    return n + (x != 0)


def filter_bank_u32_u64(p: dict, x, weights, unweights, freq_starts, weight_starts, widths) -> np.ndarray:
    """SignalFilterBank: channel c (of len(widths) - 1) sums weights * x over its band
    (channel c + 1's starts and width) and unweights * x over the band before (channel c's);
    products and sums in uint64, wrapping (an int16 weight below 0 wraps to 2^64 - |w|, as C's
    conversion does). Channel 0 of the tables only feeds the unweighted half of channel 1's sum."""
    x = np.asarray(x, np.uint32).reshape(-1).astype(np.uint64)
    w = np.asarray(weights, np.int16).astype(np.int64).astype(np.uint64)
    u = np.asarray(unweights, np.int16).astype(np.int64).astype(np.uint64)
    num = len(widths) - 1
    out = np.zeros(num + 1, np.uint64)
    carried = np.uint64(0)
    with np.errstate(over="ignore"):
        for c in range(num + 1):
            f0, w0, n = int(freq_starts[c]), int(weight_starts[c]), int(widths[c])
            band = x[f0:f0 + n]
            out[c] = carried + np.sum(w[w0:w0 + n] * band, dtype=np.uint64)
            carried = np.sum(u[w0:w0 + n] * band, dtype=np.uint64)
    return out[1:]


def _isqrt_rounded(num: np.ndarray, width: int) -> np.ndarray:
    """TFLite's Sqrt32 (width 32) / Sqrt64 (width 64) bit-by-bit root of each element, rounded
    up where the remainder exceeds the root but never past 2^(width/2) - 1."""
    num = num.astype(np.uint64)
    top = width - bit_length(num)
    top |= 1
    bit = np.where(num != 0, np.left_shift(np.uint64(1), (width - 1 - top).clip(0).astype(np.uint64)), 0)
    bit = bit.astype(np.uint64)
    left = np.where(num != 0, (width - 1 - top) // 2 + 1, 0)
    res = np.zeros(num.shape, np.uint64)
    for _ in range(int(left.max(initial=0))):
        active = left > 0
        take = active & (num >= res + bit)
        num = np.where(take, num - (res + bit), num)
        res = np.where(active, np.where(take, (res >> np.uint64(1)) + bit, res >> np.uint64(1)), res)
        bit = np.where(active, bit >> np.uint64(2), bit)
        left = left - active
    cap = np.uint64((1 << (width // 2)) - 1)
    return np.where((num > res) & (res != cap), res + np.uint64(1), res)


def sqrt_u64(x) -> np.ndarray:
    """TFLite's Sqrt64: the 32-bit root (Sqrt32) where the upper word is clear, else the 64-bit
    one; uint32 results."""
    x = _u64(x)
    small = (x >> np.uint64(32)) == 0
    return np.where(small, _isqrt_rounded(np.where(small, x, 0), 32),
                    _isqrt_rounded(np.where(small, 0, x), 64) & np.uint64(M32)).astype(np.uint32)


def filter_bank_sqrt_u64_u32(p: dict, x, shift) -> np.ndarray:
    """SignalFilterBankSquareRoot: sqrt_u64(x) >> shift (shift 0..31, the int32 scalar input)."""
    shift = int(np.asarray(shift).reshape(-1)[0])
    if not 0 <= shift < 32:
        raise ValueError(f"square root shift {shift} outside 0..31")
    return (sqrt_u64(x) >> np.uint32(shift)).astype(np.uint32)


def noise_estimate_u32(p: dict, x, state) -> np.ndarray:
    """The noise estimate of SignalFilterBankSpectralSubtraction (its second output; the layer's
    state, carried over between invocations, zeros at first): a low-pass of x << smoothing_bits
    (coefficients smoothing / one_minus_smoothing on even channels, the alternate pair on odd
    ones, in units of 2^-spectral_subtraction_bits), with clamping dropped to that signal where it
    exceeds it. `state` (uint32 [num_channels]) is updated in place; returns a copy."""
    x = np.asarray(x, np.uint32).reshape(-1).astype(np.uint64)
    noise = np.asarray(state, np.uint32).reshape(-1).astype(np.uint64)
    even = (np.arange(x.size) & 1) == 0
    s = np.where(even, p["smoothing"] & M32, p["alternate_smoothing"] & M32).astype(np.uint64)
    oms = np.where(even, p["one_minus_smoothing"] & M32, p["alternate_one_minus_smoothing"] & M32).astype(np.uint64)
    m32 = np.uint64(M32)
    with np.errstate(over="ignore"):
        scaled = (x << np.uint64(p["smoothing_bits"])) & m32
        estimate = ((scaled * s + noise * oms) >> np.uint64(p["spectral_subtraction_bits"])) & m32
    if p["clamping"]:
        estimate = np.minimum(estimate, scaled)
    state[...] = estimate.astype(np.uint32).reshape(np.shape(state))
    return estimate.astype(np.uint32)


def spectral_subtraction_u32(p: dict, x, estimate) -> np.ndarray:
    """SignalFilterBankSpectralSubtraction's first output from x and the new noise estimate
    (noise_estimate_u32): x << smoothing_bits minus the estimate (never below 0), shifted back,
    and never below x * min_signal_remaining (in units of 2^-spectral_subtraction_bits)."""
    x = np.asarray(x, np.uint32).reshape(-1).astype(np.uint64)
    estimate = np.asarray(estimate, np.uint32).reshape(-1).astype(np.uint64)
    sb, ssb, m32 = np.uint64(p["smoothing_bits"]), np.uint64(p["spectral_subtraction_bits"]), np.uint64(M32)
    scaled = (x << sb) & m32
    floor = ((x * np.uint64(p["min_signal_remaining"] & M32)) >> ssb) & m32
    out = np.maximum((scaled - np.minimum(estimate, scaled)) >> sb, floor)
    return out.astype(np.uint32)


def _wide_dynamic(x: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """TFLite's WideDynamicFunction: the gain for noise level x from the PCAN table (three Q
    coefficients per power of two), as an int16 value."""
    lut = np.asarray(lut, np.int16).astype(np.int64)
    x = x.astype(np.int64)
    interval = bit_length(x)
    base = np.clip(4 * interval - 6, 0, None)
    left = np.clip(11 - interval, 0, None)
    right = np.clip(interval - 11, 0, None)
    frac = np.where(interval < 11, (x << left) & M32, x >> right) & 0x3FF
    c0, c1, c2 = (lut[np.clip(base + k, 0, lut.size - 1)] for k in range(3))
    result = (c2 * frac) >> 5
    result = _s32(result + _s32((c1 << 5) & M32))
    result = _s32(result * frac)
    result = _s32(result + (1 << 14)) >> 15
    result = result + c0
    small = lut[np.clip(x, 0, 2)]
    return np.where(x <= 2, small, _s16(result))


def _s32(v) -> np.ndarray:
    v = np.asarray(v, np.int64) & M32
    return np.where(v >= 1 << 31, v - (1 << 32), v)


def _s16(v) -> np.ndarray:
    v = np.asarray(v, np.int64) & 0xFFFF
    return np.where(v >= 1 << 15, v - (1 << 16), v)


def pcan_u32(p: dict, x, noise, gain_lut) -> np.ndarray:
    """SignalPCAN (per-channel amplitude normalization): snr = x * gain(noise) >> snr_shift
    (the gain an int16 from the table, taken as uint32 as C converts it), then TFLite's
    PcanShrink: snr^2 / 4 below 2 (in Q12), snr - 1 above, both in Q6."""
    x = np.asarray(x, np.uint32).reshape(-1).astype(np.uint64)
    gain = (_wide_dynamic(np.asarray(noise, np.uint32).reshape(-1), gain_lut) & M32).astype(np.uint64)
    with np.errstate(over="ignore"):
        snr = ((x * gain) >> np.uint64(p["snr_shift"])) & np.uint64(M32)
    snr = snr.astype(np.int64)
    squared = (snr * snr & M32) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS)
    linear = ((snr >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1 << PCAN_OUTPUT_BITS)) & M32
    return np.where(snr < (2 << PCAN_SNR_BITS), squared, linear).astype(np.uint32)


def log_u32(x, out_scale: int, log_lut=None) -> np.ndarray:
    """TFLite's Log32: ln(x) * out_scale / 2^16 of x >= 1 from a Q16 log2 (integer part from the
    top bit, fraction linear plus the LOG_LUT correction), uint32 arithmetic wrapping as in C."""
    x = np.asarray(x, np.int64)
    integer = bit_length(x) - 1
    frac = x - (np.int64(1) << integer)
    frac = np.where(integer < LOG_SCALE_LOG2, frac << np.clip(LOG_SCALE_LOG2 - integer, 0, None),
                    frac >> np.clip(integer - LOG_SCALE_LOG2, 0, None))
    seg = frac >> (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2)
    lut = np.asarray(LOG_LUT if log_lut is None else log_lut, np.int64)
    c0, c1 = lut[seg], lut[seg + 1]
    rel = ((c1 - c0) * (frac - (seg << (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2)))) >> LOG_SCALE_LOG2
    log2 = ((integer << LOG_SCALE_LOG2) + frac + c0 + rel) & M32
    loge = ((LOG_COEFF * log2 + (1 << 15)) >> LOG_SCALE_LOG2) & M32
    return (((out_scale & M32) * loge & M32) + (1 << 15) & M32) >> LOG_SCALE_LOG2


def filter_bank_log_u32_s16(p: dict, x, log_lut) -> np.ndarray:
    """SignalFilterBankLog: log_u32(x << correction_bits, output_scale), at most 32767; 0 where
    the shifted value is 0 or 1. log_lut: LOG_LUT, the constant the kernel reads from flash."""
    x = np.asarray(x, np.uint32).reshape(-1).astype(np.int64)
    scaled = (x << int(p["correction_bits"])) & M32
    logs = log_u32(np.where(scaled > 1, scaled, 2), p["output_scale"], log_lut)
    return np.where(scaled > 1, np.minimum(logs, 32767), 0).astype(np.int16)


__all__ = ["LOG_LUT", "PCAN_OUTPUT_BITS", "PCAN_SNR_BITS", "bit_length", "filter_bank_log_u32_s16",
           "filter_bank_sqrt_u64_u32", "filter_bank_u32_u64", "log_u32", "noise_estimate_u32", "pcan_u32",
           "spectral_subtraction_u32", "sqrt_u64"]
