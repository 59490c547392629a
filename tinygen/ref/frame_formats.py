"""Camera frame formats: names, codes shared with firmware/vision/tg_image.h, sizes, and
the host side of a camera: 8-bit RGB or gray pixels packed into a format's bytes.

    fmt = frame_format("rgb565be")
    raw = pack_frame(rgb, fmt)          # uint8 [H, W, 3] -> H * W * 2 bytes, as the sensor sends them
    width, height = parse_size("320x240")
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tinygen.errors import UsageError

QVGA = (320, 240)
MAX_DIM = 1024          # TG_IMAGE_MAX_DIM: the largest frame side the device's 32-bit sums allow


@dataclass(frozen=True)
class FrameFormat:
    name: str
    code: int               # TG_IMAGE_<NAME> in tg_image.h
    bytes_per_pixel: int
    description: str

    def frame_bytes(self, width: int, height: int) -> int:
        return width * height * self.bytes_per_pixel


FORMATS = {f.name: f for f in (
    FrameFormat("rgb565", 0, 2, "RGB565, 16-bit words low byte first"),
    FrameFormat("rgb565be", 1, 2, "RGB565, high byte first (as OV2640 / OV7670 sensors and esp32-camera send it)"),
    FrameFormat("yuyv", 2, 2, "YUV 4:2:2 (Y0 U Y1 V), BT.601 limited range, even widths"),
    FrameFormat("gray", 3, 1, "8-bit gray"),
)}
ALIASES = {"rgb565le": "rgb565", "yuv422": "yuyv", "grayscale": "gray", "grey": "gray"}


def frame_format(name: str) -> FrameFormat:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in FORMATS:
        raise UsageError(f"unknown frame format {name!r}", f"use one of {', '.join(FORMATS)}")
    return FORMATS[key]


def parse_size(text: str, what: str = "--size") -> tuple[int, int]:
    """'320x240' -> (320, 240); 'qvga' and 'qqvga' too."""
    named = {"qvga": QVGA, "qqvga": (160, 120), "vga": (640, 480)}
    if text.lower() in named:
        return named[text.lower()]
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= MAX_DIM or not 1 <= int(m.group(2)) <= MAX_DIM:
        raise UsageError(f"{what} {text!r} is not a frame size WIDTHxHEIGHT (1..{MAX_DIM} each)",
                         f"write it like {what} 320x240 (or qvga, qqvga)")
    return int(m.group(1)), int(m.group(2))


def _rgb(pixels: np.ndarray) -> np.ndarray:
    p = np.asarray(pixels)
    if p.ndim == 2:
        p = np.repeat(p[:, :, None], 3, axis=2)
    if p.ndim != 3 or p.shape[2] != 3 or p.dtype != np.uint8:
        raise ValueError(f"pixels must be uint8 [H, W] or [H, W, 3], got {p.dtype} {list(p.shape)}")
    return p


def rgb_to_yuv601(rgb: np.ndarray) -> np.ndarray:
    """RGB (uint8 [..., 3]) to BT.601 limited-range Y, U, V (uint8 [..., 3]), as a camera
    encodes it: Y = 16 + (66 R + 129 G + 25 B + 128) >> 8, U = 128 + (-38 R - 74 G + 112 B + 128) >> 8,
    V = 128 + (112 R - 94 G - 18 B + 128) >> 8."""
    r, g, b = (rgb[..., i].astype(np.int32) for i in range(3))
    y = 16 + ((66 * r + 129 * g + 25 * b + 128) >> 8)
    u = 128 + ((-38 * r - 74 * g + 112 * b + 128) >> 8)
    v = 128 + ((112 * r - 94 * g - 18 * b + 128) >> 8)
    return np.clip(np.stack([y, u, v], axis=-1), 0, 255).astype(np.uint8)


def pack_frame(pixels: np.ndarray, fmt: FrameFormat) -> bytes:
    """Pixels (uint8 [H, W] gray or [H, W, 3] RGB) as the bytes a camera sends in `fmt`.
    RGB565 keeps the top 5/6/5 bits; YUYV averages U and V over each pixel pair; gray from
    RGB is the BT.601 luma (77 R + 150 G + 29 B + 128) >> 8."""
    p = np.asarray(pixels)
    if fmt.name == "gray":
        if p.ndim == 3:
            q = p.astype(np.uint32)
            p = ((77 * q[..., 0] + 150 * q[..., 1] + 29 * q[..., 2] + 128) >> 8).astype(np.uint8)
        if p.ndim != 2 or p.dtype != np.uint8:
            raise ValueError(f"pixels must be uint8 [H, W] or [H, W, 3], got {p.dtype} {list(p.shape)}")
        return np.ascontiguousarray(p).tobytes()
    rgb = _rgb(p)
    if fmt.name in ("rgb565", "rgb565be"):
        r, g, b = (rgb[..., i].astype(np.uint16) for i in range(3))
        words = (r >> 3) << 11 | (g >> 2) << 5 | (b >> 3)
        return words.astype(">u2" if fmt.name == "rgb565be" else "<u2").tobytes()
    if rgb.shape[1] % 2:
        raise ValueError(f"a YUYV frame needs an even width, got {rgb.shape[1]}")
    yuv = rgb_to_yuv601(rgb).astype(np.uint16)
    pairs = yuv.reshape(yuv.shape[0], -1, 2, 3)
    out = np.empty(pairs.shape[:2] + (4,), np.uint8)
    out[..., 0], out[..., 2] = pairs[:, :, 0, 0], pairs[:, :, 1, 0]
    out[..., 1] = (pairs[:, :, 0, 1] + pairs[:, :, 1, 1] + 1) // 2
    out[..., 3] = (pairs[:, :, 0, 2] + pairs[:, :, 1, 2] + 1) // 2
    return out.tobytes()


def frame_rows(frame: bytes | np.ndarray, fmt: FrameFormat, width: int, height: int) -> np.ndarray:
    """A frame's bytes as uint8 [height, width * bytes_per_pixel], checked for size."""
    raw = np.frombuffer(bytes(frame) if not isinstance(frame, np.ndarray) else frame.tobytes(), np.uint8)
    want = fmt.frame_bytes(width, height)
    if raw.size != want:
        raise ValueError(f"a {width}x{height} {fmt.name} frame has {want} bytes, got {raw.size}")
    return raw.reshape(height, width * fmt.bytes_per_pixel)


__all__ = ["ALIASES", "FORMATS", "FrameFormat", "MAX_DIM", "QVGA", "frame_format", "frame_rows", "pack_frame",
           "parse_size", "rgb_to_yuv601"]
