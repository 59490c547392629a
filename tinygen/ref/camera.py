"""The numpy twin of firmware/vision (tg_image.h): bit-exact with the C, one function per
C function it mirrors, vectorized over a frame's rows (integer sums do not depend on the
order the C streams them in). The C's RGB565 area path (tg_image_rgb565_area.c: sums along
the height first, in 16-bit lanes of pixel pairs, the weights divided by their gcds) computes
the same values as resize() below; its identities are tested in tests/vision/test_vision.py.

    target = Target(out_w=96, out_h=96, channels=3, lut=lut)          # lut: int8 [channels, 256]
    q = preprocess(frame, fmt, 320, 240, target)                      # int8 [96, 96, 3], as the device
    pixels = resize(frame, fmt, 320, 240, target)                     # the same before the lookup, uint8
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.ref.frame_formats import FrameFormat, frame_rows

FRAC_BITS = 8                 # TG_IMAGE_FRAC_BITS
FRAC_ONE = 1 << FRAC_BITS


@dataclass(frozen=True)
class Target:
    """tg_image_target: the model's input and the pixel -> int8 table."""
    out_w: int
    out_h: int
    channels: int
    lut: np.ndarray           # int8 [channels, 256]
    max_width: int = 320
    max_height: int = 240


@dataclass(frozen=True)
class Crop:
    x: int
    y: int
    w: int
    h: int


def center_crop(target: Target, width: int, height: int) -> Crop:
    """tg_image_center_crop: the largest centred region with the model's aspect ratio."""
    if width * target.out_h >= height * target.out_w:
        h, w = height, height * target.out_w // target.out_h
    else:
        w, h = width, width * target.out_h // target.out_w
    w, h = max(w, 1), max(h, 1)
    return Crop((width - w) // 2, (height - h) // 2, w, h)


def _clamp_shift8(v: np.ndarray) -> np.ndarray:
    return np.clip(np.maximum(v, 0) >> 8, 0, 255).astype(np.uint8)


def unpack_rgb565(rows: np.ndarray, x0: int, n: int, big_endian: bool, channels: int) -> np.ndarray:
    """tg_image_unpack_rgb565 over rows (uint8 [R, width * 2]) -> uint8 [R, n, channels]."""
    b = rows[:, 2 * x0: 2 * (x0 + n)].reshape(len(rows), n, 2).astype(np.uint32)
    lo, hi = (b[..., 1], b[..., 0]) if big_endian else (b[..., 0], b[..., 1])
    v = lo | hi << 8
    r5, g6, b5 = v >> 11, (v >> 5) & 0x3F, v & 0x1F
    rgb = np.stack([r5 << 3 | r5 >> 2, g6 << 2 | g6 >> 4, b5 << 3 | b5 >> 2], axis=-1)
    if channels == 3:
        return rgb.astype(np.uint8)
    return ((77 * rgb[..., 0] + 150 * rgb[..., 1] + 29 * rgb[..., 2] + 128) >> 8).astype(np.uint8)[..., None]


def unpack_yuyv(rows: np.ndarray, x0: int, n: int, channels: int) -> np.ndarray:
    """tg_image_unpack_yuyv (BT.601 integer formula) over rows -> uint8 [R, n, channels]."""
    x = np.arange(x0, x0 + n)
    pair = 4 * (x >> 1)
    y = rows[:, pair + 2 * (x & 1)].astype(np.int32)
    c = 298 * (y - 16) + 128
    if channels == 1:
        return _clamp_shift8(c)[..., None]
    d = rows[:, pair + 1].astype(np.int32) - 128
    e = rows[:, pair + 3].astype(np.int32) - 128
    return np.stack([_clamp_shift8(c + 409 * e), _clamp_shift8(c - 100 * d - 208 * e), _clamp_shift8(c + 516 * d)],
                    axis=-1)


def unpack_gray(rows: np.ndarray, x0: int, n: int, channels: int) -> np.ndarray:
    """tg_image_unpack_gray over rows -> uint8 [R, n, channels]."""
    g = rows[:, x0:x0 + n]
    return np.repeat(g[..., None], channels, axis=-1)


def unpack(rows: np.ndarray, fmt: FrameFormat, x0: int, n: int, channels: int) -> np.ndarray:
    """The unpack function tg_image_row calls for the format."""
    if fmt.name in ("rgb565", "rgb565be"):
        return unpack_rgb565(rows, x0, n, fmt.name == "rgb565be", channels)
    if fmt.name == "yuyv":
        return unpack_yuyv(rows, x0, n, channels)
    return unpack_gray(rows, x0, n, channels)


def area_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per input index i (n_out <= n_in): the output it starts in, its weight there and its
    weight in the next output (the split tg_image_hscale_area and the area rows make);
    one output's weights sum to n_in."""
    pos = np.arange(n_in, dtype=np.int64) * n_out
    j = pos // n_in
    split = np.minimum(pos + n_out, (j + 1) * n_in)
    return j, split - pos, pos + n_out - split


def hscale_area(lines: np.ndarray, out_w: int) -> np.ndarray:
    """tg_image_hscale_area over lines (uint8 [R, in_w, C]) -> int64 [R, out_w, C] sums."""
    rows, in_w, channels = lines.shape
    j, w0, w1 = area_weights(in_w, out_w)
    v = lines.astype(np.int64)
    out = np.zeros((rows, out_w + 1, channels), np.int64)
    np.add.at(out, (slice(None), j), v * w0[None, :, None])
    np.add.at(out, (slice(None), j + 1), v * w1[None, :, None])
    return out[:, :out_w]


def bilinear_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """tg_image_bilinear_taps: (index, frac) per output, half-pixel centres, frac in 1/256."""
    j = np.arange(n_out, dtype=np.int64)
    num = np.maximum((2 * j + 1) * n_in - n_out, 0)
    den = 2 * n_out
    index = num // den
    frac = ((num % den) * FRAC_ONE + n_out) // den
    last = index >= n_in - 1
    return np.where(last, n_in - 1, index), np.where(last, 0, frac)


def hscale_bilinear(lines: np.ndarray, out_w: int) -> np.ndarray:
    """tg_image_hscale_bilinear (with the taps for the line's width) -> int64 [R, out_w, C]."""
    in_w = lines.shape[1]
    index, frac = bilinear_taps(in_w, out_w)
    v = lines.astype(np.int64)
    nxt = np.minimum(index + 1, in_w - 1)
    return v[:, index] * (FRAC_ONE - frac)[None, :, None] + v[:, nxt] * frac[None, :, None]


def vscale(sums: np.ndarray, out_h: int) -> tuple[np.ndarray, int]:
    """The rows' sums along the height as tg_image_row combines them: area when there are
    at least out_h rows, else bilinear; returns ([out_h, out_w, C] sums, the height's weight total)."""
    n_in = sums.shape[0]
    if n_in >= out_h:
        j, w0, w1 = area_weights(n_in, out_h)
        out = np.zeros((out_h + 1,) + sums.shape[1:], np.int64)
        np.add.at(out, j, sums * w0[:, None, None])
        np.add.at(out, j + 1, sums * w1[:, None, None])
        return out[:out_h], n_in
    index, frac = bilinear_taps(n_in, out_h)
    nxt = np.minimum(index + 1, n_in - 1)
    return sums[index] * (FRAC_ONE - frac)[:, None, None] + sums[nxt] * frac[:, None, None], FRAC_ONE


def resize(frame, fmt: FrameFormat, width: int, height: int, target: Target, crop: Crop | None = None) -> np.ndarray:
    """The region resized to the model's input, uint8 [out_h, out_w, channels]: what
    tg_image_row computes before the lookup table."""
    rows = frame_rows(frame, fmt, width, height)
    crop = crop or center_crop(target, width, height)
    lines = unpack(rows[crop.y:crop.y + crop.h], fmt, crop.x, crop.w, target.channels)
    if crop.w >= target.out_w:
        sums, dh = hscale_area(lines, target.out_w), crop.w
    else:
        sums, dh = hscale_bilinear(lines, target.out_w), FRAC_ONE
    total, dv = vscale(sums, target.out_h)
    divisor = dh * dv
    assert total.max(initial=0) + divisor // 2 < 1 << 32, "the device's 32-bit sums would overflow"
    return ((total + divisor // 2) // divisor).astype(np.uint8)


def quantize(pixels: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """The lookup tg_image_row ends with: int8 input = lut[channel, pixel]."""
    channels = pixels.shape[-1]
    return lut[np.arange(channels), pixels.astype(np.intp)].astype(np.int8)


def preprocess(frame, fmt: FrameFormat, width: int, height: int, target: Target,
               crop: Crop | None = None) -> np.ndarray:
    """A frame to the model's int8 input [out_h, out_w, channels], as the device computes it."""
    return quantize(resize(frame, fmt, width, height, target, crop), target.lut)


__all__ = ["Crop", "FRAC_ONE", "Target", "area_weights", "bilinear_taps", "center_crop", "hscale_area",
           "hscale_bilinear", "preprocess", "quantize", "resize", "unpack", "unpack_gray", "unpack_rgb565",
           "unpack_yuyv", "vscale"]
