"""Numpy twins of the signal library's real FFTs (firmware/kernels/signal/tg_signal_rfft_*.c,
tg_signal_irfft_*.c): TFLite Micro's SignalRfft and SignalIrfft, which it builds from kissfft
(kiss_fftr, kiss_fftri) in three scalar types: 16-bit fixed point (Q15), 32-bit fixed point
(Q31) and float32, byte for byte as TFLite Micro computes them.

One implementation serves the three: the arithmetic object (_Fixed(16), _Fixed(32), _Float)
does each scalar step as kissfft's macros do it in that type (C_MUL, C_ADD, C_SUB, C_FIXDIV,
HALF_OF), in kissfft's order of operations: the float32 kernels compute every product and sum
in float32, one rounding each, in the same order (the device builds with -ffp-contract=off, so
no multiply-add is fused; TFLite Micro's x86-64 build fuses none either), which makes them
bit-exact, not merely close.

The tables (rfft_tables) are built here at compile time, as kissfft builds them at run time
(twiddles cos / sin of their phase in double: floor(0.5 + (2^(bits-1) - 1) * cos) in fixed
point, the double cast to float in float32), and stored in flash; the device computes no cosine.
"""

from __future__ import annotations

import math

import numpy as np

F32 = np.float32


def kiss_factors(n: int) -> list[int]:
    """kissfft's radices for a complex FFT of n points, outermost first: fours, then twos, then
    odd primes (kf_factor); for a power of two, fours and at most one two (innermost)."""
    radices, p, floor_sqrt = [], 4, math.floor(math.sqrt(n))
    while True:
        while n % p:
            p = {4: 2, 2: 3}.get(p, p + 2)
            if p > floor_sqrt:
                p = n
        n //= p
        radices.append(p)
        if n <= 1:
            return radices


def rfft_tables(fft_length: int, bits: int | None = 16,
                inverse: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(twiddles [n, 2], super_twiddles [n / 2, 2], order uint16 [n]) of the real FFT of
    fft_length points, n = fft_length / 2 the complex FFT it runs: kissfft's twiddles (phase
    -2 pi i / n), its real-FFT split twiddles (phase -pi ((i + 1) / n + 1/2)), and the input
    order of its mixed-radix decimation (position -> complex input index). bits 16 or 32: each
    part floor(0.5 + (2^(bits-1) - 1) * cos) (int16 or int32 tables); bits None: float32, the
    double cosine cast to float (kissfft's float KISS_FFT_COS). inverse: the inverse real FFT's
    (kiss_fftri's), both phases negated."""
    n = fft_length // 2
    sign = -1 if inverse else 1

    def cos_sin(phase: float):
        if bits is None:
            return F32(math.cos(phase)), F32(math.sin(phase))
        top = (1 << (bits - 1)) - 1
        return math.floor(0.5 + top * math.cos(phase)), math.floor(0.5 + top * math.sin(phase))

    twiddles = [cos_sin(sign * (-2 * math.pi * i / n)) for i in range(n)]
    super_twiddles = [cos_sin(sign * (-3.14159265358979323846264338327 * ((i + 1) / n + 0.5))) for i in range(n // 2)]
    order = np.zeros(n, np.int64)

    def place(out: int, start: int, stride: int, radices: list[int], size: int) -> None:
        p, m = radices[0], size // radices[0]
        for j in range(p):
            if m == 1:
                order[out + j] = start + j * stride
            else:
                place(out + j * m, start + j * stride, stride * p, radices[1:], m)

    place(0, 0, 1, kiss_factors(n), n)
    dtype = {16: np.int16, 32: np.int32, None: F32}[bits]
    return (np.array(twiddles, dtype).reshape(n, 2), np.array(super_twiddles, dtype).reshape(n // 2, 2),
            order.astype(np.uint16))


class _Fixed:
    """kissfft's scalar arithmetic at 16 bits (int16 values, int32 products, Q15) or 32 (int32
    values, int64 products, Q31). A sum is formed in C's int and stored to the scalar type: at 16
    bits it cannot overflow before the store (wrap), at 32 bits the int32 sum itself wraps."""

    def __init__(self, bits: int):
        self.frac, self.top = bits - 1, (1 << (bits - 1)) - 1
        self.dtype = np.int16 if bits == 16 else np.int32

    def wrap(self, x) -> np.ndarray:
        return np.asarray(x, np.int64).astype(self.dtype)

    def wide(self, x) -> np.ndarray:
        """A value as the arithmetic takes it (int64: C's int and the products)."""
        return np.asarray(x, np.int64)

    def add(self, a, b) -> np.ndarray:
        return self.wrap(np.asarray(a, np.int64) + b)

    def sub(self, a, b) -> np.ndarray:
        return self.wrap(np.asarray(a, np.int64) - b)

    def neg(self, x) -> np.ndarray:
        return self.wrap(-np.asarray(x, np.int64))

    def half(self, x) -> np.ndarray:
        """HALF_OF of an int sum: at 32 bits the sum wrapped to int32 first."""
        x = np.asarray(x, np.int64)
        return self.wrap((self.wrap(x).astype(np.int64) if self.dtype == np.int32 else x) >> 1)

    def round(self, x) -> np.ndarray:
        """sround: (x + 2^(frac-1)) >> frac, stored."""
        return self.wrap((np.asarray(x, np.int64) + (1 << (self.frac - 1))) >> self.frac)

    def fixdiv(self, re, im, k: int) -> tuple[np.ndarray, np.ndarray]:
        """C_FIXDIV: each part times (2^(bits-1) - 1) / k, rounded."""
        f = self.top // k
        return self.round(np.asarray(re, np.int64) * f), self.round(np.asarray(im, np.int64) * f)

    def cmul(self, ar, ai, br, bi) -> tuple[np.ndarray, np.ndarray]:
        ar, ai, br, bi = (np.asarray(v, np.int64) for v in (ar, ai, br, bi))
        return self.round(ar * br - ai * bi), self.round(ar * bi + ai * br)


class _Float:
    """kissfft's float arithmetic: every product and sum one float32 rounding, C_FIXDIV nothing,
    HALF_OF x * .5 (exact: a double product of a float, stored back to float)."""

    dtype = F32

    def wrap(self, x) -> np.ndarray:
        return np.asarray(x, F32)

    wide = wrap

    def add(self, a, b) -> np.ndarray:
        return (np.asarray(a, F32) + np.asarray(b, F32)).astype(F32)

    def sub(self, a, b) -> np.ndarray:
        return (np.asarray(a, F32) - np.asarray(b, F32)).astype(F32)

    def neg(self, x) -> np.ndarray:
        return -np.asarray(x, F32)

    def half(self, x) -> np.ndarray:
        return (np.asarray(x, F32) * F32(0.5)).astype(F32)

    def fixdiv(self, re, im, k: int) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(re, F32), np.asarray(im, F32)

    def cmul(self, ar, ai, br, bi) -> tuple[np.ndarray, np.ndarray]:
        ar, ai, br, bi = (np.asarray(v, F32) for v in (ar, ai, br, bi))
        return (ar * br - ai * bi).astype(F32), (ar * bi + ai * br).astype(F32)


def arithmetic(bits: int | None):
    """The scalar arithmetic of kissfft built for `bits` (16, 32; None: float32)."""
    return _Float() if bits is None else _Fixed(bits)


def complex_fft(re: np.ndarray, im: np.ndarray, twiddles: np.ndarray, order: np.ndarray, bits: int | None = 16,
                inverse: bool = False):
    """kissfft's complex FFT (kf_work with kf_bfly2 / kf_bfly4; in fixed point each butterfly
    divides its inputs by its radix first), stage by stage from the innermost: re, im [n] -> re,
    im [n]. inverse: the inverse's (its twiddles, and kf_bfly4 turning by +i where the forward
    turns by -i)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _complex_fft(arithmetic(bits), re, im, twiddles, order, inverse)


def _complex_fft(f, re, im, twiddles, order, inverse: bool):
    n = re.size
    re, im = f.wrap(re[order]), f.wrap(im[order])
    radices = kiss_factors(n)
    if any(p not in (2, 4) for p in radices):
        raise ValueError(f"a complex FFT of {n} points has radices {radices}; only 2 and 4 are computed")
    tw_re, tw_im = f.wide(twiddles[:, 0]), f.wide(twiddles[:, 1])
    m = 1
    for p in reversed(radices):
        fstride = n // (p * m)
        r, i = re.reshape(fstride, p, m), im.reshape(fstride, p, m)
        k = np.arange(m)
        legs = [f.fixdiv(r[:, q, :], i[:, q, :], p) for q in range(p)]
        if p == 2:
            (a_r, a_i), (b_r, b_i) = legs
            t_r, t_i = f.cmul(b_r, b_i, tw_re[k * fstride], tw_im[k * fstride])
            out = [(f.add(a_r, t_r), f.add(a_i, t_i)), (f.sub(a_r, t_r), f.sub(a_i, t_i))]
        else:
            (f0r, f0i), (f1r, f1i), (f2r, f2i), (f3r, f3i) = legs
            s0 = f.cmul(f1r, f1i, tw_re[k * fstride], tw_im[k * fstride])
            s1 = f.cmul(f2r, f2i, tw_re[2 * k * fstride], tw_im[2 * k * fstride])
            s2 = f.cmul(f3r, f3i, tw_re[3 * k * fstride], tw_im[3 * k * fstride])
            s5 = (f.sub(f0r, s1[0]), f.sub(f0i, s1[1]))
            f0 = (f.add(f0r, s1[0]), f.add(f0i, s1[1]))
            s3 = (f.add(s0[0], s2[0]), f.add(s0[1], s2[1]))
            s4 = (f.sub(s0[0], s2[0]), f.sub(s0[1], s2[1]))
            minus_i = (f.add(s5[0], s4[1]), f.sub(s5[1], s4[0]))
            plus_i = (f.sub(s5[0], s4[1]), f.add(s5[1], s4[0]))
            out = [(f.add(f0[0], s3[0]), f.add(f0[1], s3[1])), plus_i if inverse else minus_i,
                   (f.sub(f0[0], s3[0]), f.sub(f0[1], s3[1])), minus_i if inverse else plus_i]
        re = np.stack([o[0] for o in out], axis=1).reshape(n)
        im = np.stack([o[1] for o in out], axis=1).reshape(n)
        m *= p
    return re, im


def _rfft_frame(f, frame: np.ndarray, fft_length: int, twiddles, super_twiddles, order) -> np.ndarray:
    """kiss_fftr of one frame zero-padded to fft_length: n + 1 (real, imag) pairs, flat."""
    n = fft_length // 2
    padded = np.zeros(fft_length, f.dtype)
    padded[:frame.size] = frame
    z_re, z_im = _complex_fft(f, padded[0::2], padded[1::2], np.asarray(twiddles), np.asarray(order, np.int64),
                              False)
    out = np.zeros((n + 1, 2), f.dtype)
    dc_r, dc_i = f.fixdiv(z_re[:1], z_im[:1], 2)
    out[0, 0] = f.add(dc_r, dc_i)[0]
    out[n, 0] = f.sub(dc_r, dc_i)[0]
    k = np.arange(1, n // 2 + 1)
    pk = f.fixdiv(z_re[k], z_im[k], 2)
    pnk = f.fixdiv(z_re[n - k], f.neg(z_im[n - k]), 2)
    f1 = (f.add(pk[0], pnk[0]), f.add(pk[1], pnk[1]))
    f2 = (f.sub(pk[0], pnk[0]), f.sub(pk[1], pnk[1]))
    st = f.wide(super_twiddles)
    tw = f.cmul(f2[0], f2[1], st[k - 1, 0], st[k - 1, 1])
    wide = [f.wide(v) for v in (f1[0], f1[1], tw[0], tw[1])]
    # the upper half first: where k == n - k (the middle bin) kissfft's second write wins
    out[n - k, 0] = f.half(wide[0] - wide[2])
    out[n - k, 1] = f.half(wide[3] - wide[1])
    lower = k < n - k
    out[k[lower], 0] = f.half(wide[0] + wide[2])[lower]
    out[k[lower], 1] = f.half(wide[1] + wide[3])[lower]
    return out.reshape(-1)


def _rfft(p: dict, input, twiddles, super_twiddles, order, bits: int | None) -> np.ndarray:
    f = arithmetic(bits)
    frames = np.asarray(input).reshape(-1, p["input_length"])
    with np.errstate(over="ignore", invalid="ignore"):
        return np.concatenate([_rfft_frame(f, x, p["fft_length"], twiddles, super_twiddles, order) for x in frames])


def signal_rfft_s16(p: dict, input, twiddles, super_twiddles, order) -> np.ndarray:
    """tg_signal_rfft_s16: the real FFT of each frame of p["input_length"] int16 samples,
    zero-padded to p["fft_length"]: fft_length / 2 + 1 (real, imag) int16 pairs per frame."""
    return _rfft(p, input, twiddles, super_twiddles, order, 16)


def signal_rfft_s32(p: dict, input, twiddles, super_twiddles, order) -> np.ndarray:
    """tg_signal_rfft_s32: signal_rfft_s16 on int32 samples in kissfft's 32-bit fixed point."""
    return _rfft(p, input, twiddles, super_twiddles, order, 32)


def signal_rfft_f32(p: dict, input, twiddles, super_twiddles, order) -> np.ndarray:
    """tg_signal_rfft_f32: signal_rfft_s16 on float32 samples in kissfft's float arithmetic."""
    return _rfft(p, input, twiddles, super_twiddles, order, None)


def _irfft(p: dict, input, twiddles, super_twiddles, order, bits: int | None) -> np.ndarray:
    """kiss_fftri of each frame of n + 1 (real, imag) pairs: fft_length values per frame."""
    f, n = arithmetic(bits), p["fft_length"] // 2
    frames = f.wide(input).reshape(-1, n + 1, 2)
    out = []
    st = f.wide(super_twiddles)
    with np.errstate(over="ignore", invalid="ignore"):
        for z in frames:
            tmp = np.zeros((n, 2), f.dtype)
            dc = f.fixdiv(f.add([z[0, 0]], [z[n, 0]]), f.sub([z[0, 0]], [z[n, 0]]), 2)
            tmp[0] = dc[0][0], dc[1][0]
            for k in range(1, n // 2 + 1):
                fk = f.fixdiv(z[k, 0], z[k, 1], 2)
                fnkc = f.fixdiv(z[n - k, 0], f.neg(z[n - k, 1]), 2)
                fek = (f.add(fk[0], fnkc[0]), f.add(fk[1], fnkc[1]))
                t = (f.sub(fk[0], fnkc[0]), f.sub(fk[1], fnkc[1]))
                fok = f.cmul(t[0], t[1], st[k - 1, 0], st[k - 1, 1])
                tmp[k] = f.add(fek[0], fok[0]), f.add(fek[1], fok[1])
                # where k == n - k (the middle bin) this second write wins, as in kissfft
                tmp[n - k] = f.sub(fek[0], fok[0]), f.neg(f.sub(fek[1], fok[1]))
            re, im = _complex_fft(f, tmp[:, 0], tmp[:, 1], np.asarray(twiddles), np.asarray(order, np.int64), True)
            out.append(np.stack([re, im], axis=1).reshape(-1))
    return np.concatenate(out).astype(f.dtype)


def signal_irfft_s16(p: dict, input, twiddles, super_twiddles, order) -> np.ndarray:
    """tg_signal_irfft_s16: the inverse real FFT (kiss_fftri in 16-bit fixed point) of each frame
    of fft_length / 2 + 1 (real, imag) int16 pairs: fft_length int16 samples per frame. The
    inverse tables (rfft_tables with inverse=True)."""
    return _irfft(p, input, twiddles, super_twiddles, order, 16)


def signal_irfft_s32(p: dict, input, twiddles, super_twiddles, order) -> np.ndarray:
    """tg_signal_irfft_s32: signal_irfft_s16 on int32 pairs in kissfft's 32-bit fixed point."""
    return _irfft(p, input, twiddles, super_twiddles, order, 32)


def signal_irfft_f32(p: dict, input, twiddles, super_twiddles, order) -> np.ndarray:
    """tg_signal_irfft_f32: kiss_fftri in float32, then each sample divided by fft_length (TFLite
    Micro's IrfftFloatApply: kissfft's float inverse is not scaled)."""
    y = _irfft(p, input, twiddles, super_twiddles, order, None)
    with np.errstate(over="ignore", invalid="ignore"):
        return (y / F32(p["fft_length"])).astype(F32)
