"""The camera preprocessing: C (firmware/vision, built for the host) == numpy twin
(tinygen.ref.camera) == a direct computation written from the definitions (scalar format
conversions, resize weights from exact fractions), on random frames of odd sizes."""

from __future__ import annotations

import shutil
from fractions import Fraction
from math import floor

import numpy as np
import pytest

from tinygen.ref import camera as twin
from tinygen.ref.frame_formats import FORMATS, frame_format, pack_frame, rgb_to_yuv601
from tinygen.passes.camera_input import image_buffer_size
from tinygen.ref.camera import Crop, Target
from vision_lib import VisionLib, build

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build firmware/vision for the host")
FORMAT_NAMES = sorted(FORMATS)


@pytest.fixture(scope="module")
def clib(tmp_path_factory) -> VisionLib:
    return VisionLib(build(tmp_path_factory.mktemp("vision")))


def first_difference(a: np.ndarray, b: np.ndarray) -> str:
    idx = np.argwhere(a != b)
    return "equal" if not len(idx) else f"{len(idx)} differ, first at {idx[0].tolist()}: {a[tuple(idx[0])]} vs {b[tuple(idx[0])]}"


def assert_equal(a: np.ndarray, b: np.ndarray, what: str) -> None:
    assert a.shape == b.shape and np.array_equal(a, b), f"{what}: {first_difference(a, b)}"


# -- the direct computations ---------------------------------------------------------------------
def widen(v: int, bits: int) -> int:
    """A 5- or 6-bit value to 8 bits by repeating its bits."""
    s = format(v, f"0{bits}b")
    return int((s + s)[:8], 2)


def luma(r: int, g: int, b: int) -> int:
    return (77 * r + 150 * g + 29 * b + 128) >> 8


def clamp8(v: int) -> int:
    return max(0, min(255, v >> 8))


def direct_pixel(row: bytes, x: int, fmt: str, channels: int) -> list[int]:
    """One pixel of a frame row, from the format's definition (tg_image.h)."""
    if fmt == "gray":
        g = row[x]
        return [g] * channels
    if fmt == "yuyv":
        y, u, v = row[4 * (x // 2) + 2 * (x % 2)], row[4 * (x // 2) + 1], row[4 * (x // 2) + 3]
        c, d, e = y - 16, u - 128, v - 128
        if channels == 1:
            return [clamp8(298 * c + 128)]
        return [clamp8(298 * c + 409 * e + 128), clamp8(298 * c - 100 * d - 208 * e + 128),
                clamp8(298 * c + 516 * d + 128)]
    lo, hi = row[2 * x], row[2 * x + 1]
    word = (lo << 8 | hi) if fmt == "rgb565be" else (hi << 8 | lo)
    rgb = [widen(word >> 11, 5), widen(word >> 5 & 63, 6), widen(word & 31, 5)]
    return rgb if channels == 3 else [luma(*rgb)]


def direct_unpack(rows: np.ndarray, fmt: str, x0: int, n: int, channels: int) -> np.ndarray:
    return np.array([[direct_pixel(bytes(r), x, fmt, channels) for x in range(x0, x0 + n)] for r in rows],
                    np.uint8).reshape(len(rows), n, channels)


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """W[j, i] = overlap of input pixel i and output pixel j, both on [0, 1), times n_in n_out."""
    w = np.zeros((n_out, n_in), np.int64)
    for j in range(n_out):
        for i in range(n_in):
            lo = max(Fraction(i, n_in), Fraction(j, n_out))
            hi = min(Fraction(i + 1, n_in), Fraction(j + 1, n_out))
            if hi > lo:
                w[j, i] = int((hi - lo) * n_in * n_out)
    return w


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Output j samples s = (j + 1/2) n_in / n_out - 1/2 (clamped to [0, n_in - 1]) with
    weights in 1/256 rounded half up."""
    w = np.zeros((n_out, n_in), np.int64)
    for j in range(n_out):
        s = max(Fraction(2 * j + 1, 2) * n_in / n_out - Fraction(1, 2), Fraction(0))
        i0 = floor(s)
        if i0 >= n_in - 1:
            w[j, n_in - 1] = 256
            continue
        f = floor((s - i0) * 256 + Fraction(1, 2))
        w[j, i0] += 256 - f
        w[j, i0 + 1] += f
    return w


def direct_preprocess(frame: bytes, fmt: str, width: int, height: int, target: Target, crop: Crop) -> np.ndarray:
    rows = np.frombuffer(frame, np.uint8).reshape(height, -1)[crop.y:crop.y + crop.h]
    pixels = direct_unpack(rows, fmt, crop.x, crop.w, target.channels).astype(np.int64)
    wh = area_matrix(crop.w, target.out_w) if crop.w >= target.out_w else bilinear_matrix(crop.w, target.out_w)
    wv = area_matrix(crop.h, target.out_h) if crop.h >= target.out_h else bilinear_matrix(crop.h, target.out_h)
    divisor = int(wh.sum(axis=1)[0]) * int(wv.sum(axis=1)[0])
    total = np.einsum("ky,jx,yxc->kjc", wv, wh, pixels)
    resized = (total + divisor // 2) // divisor
    return target.lut[np.arange(target.channels), resized]


# -- random cases --------------------------------------------------------------------------------
def random_target(rng, out_w: int, out_h: int, channels: int, max_w: int = 320, max_h: int = 240) -> Target:
    lut = rng.integers(-128, 128, (channels, 256)).astype(np.int8)
    return Target(out_w, out_h, channels, lut, max_w, max_h)


def random_frame(rng, fmt: str, width: int, height: int) -> bytes:
    return rng.integers(0, 256, frame_format(fmt).frame_bytes(width, height), dtype=np.uint8).tobytes()


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@pytest.mark.parametrize("channels", [1, 3])
def test_image_unpack_host(clib, fmt, channels):
    rng = np.random.default_rng(len(fmt) * 7 + channels)
    width = 38 if fmt == "yuyv" else 37
    f = frame_format(fmt)
    rows = rng.integers(0, 256, (5, width * f.bytes_per_pixel), dtype=np.uint8)
    for x0, n in [(0, width), (3, 17), (1, 1), (width - 5, 5)]:
        want = direct_unpack(rows, fmt, x0, n, channels)
        assert_equal(twin.unpack(rows, f, x0, n, channels), want, f"twin {fmt} x0={x0} n={n}")
        assert_equal(clib.unpack(rows, f, x0, n, channels), want, f"C {fmt} x0={x0} n={n}")


def test_image_unpack_covers_every_code(clib):
    """Every RGB565 word and every Y, U, V value (a pair carries Y0 U Y1 V)."""
    words = np.arange(65536, dtype="<u2").view(np.uint8).reshape(256, 512)
    f = frame_format("rgb565")
    assert_equal(clib.unpack(words, f, 0, 256, 3), twin.unpack(words, f, 0, 256, 3), "all RGB565 words")
    yuv = np.stack(np.meshgrid(np.arange(256), np.arange(0, 256, 5), np.arange(0, 256, 5), indexing="ij"),
                   -1).reshape(-1, 3)
    rows = np.stack([yuv[:, 0], yuv[:, 1], yuv[:, 0], yuv[:, 2]], -1).astype(np.uint8).reshape(-1, 64 * 4)
    f = frame_format("yuyv")
    for ch in (1, 3):
        want = direct_unpack(rows[:40], "yuyv", 0, 128, ch)
        assert_equal(twin.unpack(rows[:40], f, 0, 128, ch), want, f"YUYV direct, {ch} channels")
        assert_equal(clib.unpack(rows, f, 0, 128, ch), twin.unpack(rows, f, 0, 128, ch), f"YUYV, {ch} channels")


@pytest.mark.parametrize("n_in,n_out", [(37, 11), (240, 96), (97, 96), (25, 25), (320, 1), (5, 3)])
def test_image_hscale_area_host(clib, n_in, n_out):
    rng = np.random.default_rng(n_in * 1000 + n_out)
    lines = rng.integers(0, 256, (4, n_in, 3), dtype=np.uint8)
    want = np.einsum("jx,rxc->rjc", area_matrix(n_in, n_out), lines.astype(np.int64))
    assert_equal(twin.hscale_area(lines, n_out), want, "twin")
    assert_equal(clib.hscale_area(lines, n_out).astype(np.int64), want, "C")


@pytest.mark.parametrize("n_in,n_out", [(25, 32), (11, 37), (1, 5), (2, 3), (96, 97), (7, 300)])
def test_image_hscale_bilinear_host(clib, n_in, n_out):
    rng = np.random.default_rng(n_in * 1000 + n_out)
    index, frac = twin.bilinear_taps(n_in, n_out)
    c_index, c_frac = clib.bilinear_taps(n_in, n_out)
    assert_equal(c_index, index, "tap index")
    assert_equal(c_frac, frac, "tap weight")
    lines = rng.integers(0, 256, (4, n_in, 1), dtype=np.uint8)
    want = np.einsum("jx,rxc->rjc", bilinear_matrix(n_in, n_out), lines.astype(np.int64))
    assert_equal(twin.hscale_bilinear(lines, n_out), want, "twin")
    assert_equal(clib.hscale_bilinear(lines, n_out).astype(np.int64), want, "C")


CASES = [  # format, frame width x height, model out_w x out_h x channels, crop (None: centred)
    ("rgb565", 37, 23, 11, 7, 3, None),              # area both ways
    ("rgb565be", 41, 29, 64, 50, 3, None),           # bilinear both ways
    ("yuyv", 38, 21, 9, 30, 3, Crop(3, 2, 31, 17)),  # area along the width, bilinear along the height
    ("gray", 19, 53, 20, 5, 1, Crop(1, 0, 13, 53)),  # bilinear along the width, area along the height
    ("gray", 25, 25, 32, 32, 3, None),               # a face crop enlarged, gray to three channels
    ("rgb565", 320, 240, 96, 96, 3, None),           # QVGA to the VWW model's input
    ("yuyv", 160, 120, 96, 96, 1, None),             # QQVGA, gray model
    ("rgb565be", 33, 31, 33, 31, 3, Crop(0, 0, 33, 31)),  # the same size: the pixels themselves
    # the RGB565 area path (tg_image_rgb565_area.c) and the frames it leaves to the general one
    ("rgb565be", 320, 240, 96, 96, 3, None),         # QVGA, the sensors' byte order
    ("rgb565be", 160, 120, 96, 96, 3, None),         # QQVGA: 1.25 pixels per output
    ("rgb565", 64, 48, 20, 15, 3, Crop(3, 1, 50, 41)),     # an odd region start, 2.5 x 2.73
    ("rgb565be", 98, 60, 29, 17, 3, Crop(5, 3, 88, 51)),   # 3 pixel pairs per output column
    ("rgb565", 90, 30, 7, 5, 3, Crop(1, 2, 86, 27)),       # 12 pixels per output: the general path
    ("rgb565", 40, 240, 8, 2, 3, Crop(0, 0, 40, 239)),     # 239 rows to 2: lanes too narrow, general
    ("rgb565", 40, 30, 8, 6, 3, Crop(1, 0, 39, 30)),       # an odd region width: general
]


@pytest.mark.parametrize("fmt,w,h,ow,oh,ch,crop", CASES, ids=lambda v: str(v))
def test_image_preprocess_host(clib, fmt, w, h, ow, oh, ch, crop):
    rng = np.random.default_rng(w * h + ow)
    target = random_target(rng, ow, oh, ch)
    crop = crop or twin.center_crop(target, w, h)
    frame = random_frame(rng, fmt, w, h)
    rc, got, done_row = clib.preprocess(frame, frame_format(fmt), w, h, target, crop)
    assert rc == 0
    want = direct_preprocess(frame, fmt, w, h, target, crop)
    assert_equal(twin.preprocess(frame, frame_format(fmt), w, h, target, crop), want, "twin vs direct")
    assert_equal(got, want, "C vs direct")
    # the output is complete once the region's last needed row arrived, not later
    assert crop.y <= done_row <= crop.y + crop.h - 1


def test_image_identity_resize_keeps_pixels(clib):
    """A region the model's size is the pixels themselves (through the table)."""
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, (31, 33, 3), dtype=np.uint8)
    lut = np.tile(np.arange(-128, 128, dtype=np.int8), (3, 1))         # p -> p - 128
    target = Target(33, 31, 3, lut)
    for c in range(3):              # each channel as a gray frame, replicated to three channels
        gray = np.ascontiguousarray(pixels[:, :, c]).tobytes()
        rc, got, _ = clib.preprocess(gray, frame_format("gray"), 33, 31, target, Crop(0, 0, 33, 31))
        assert rc == 0
        for k in range(3):
            assert np.array_equal(got[:, :, k].astype(np.int16) + 128, pixels[:, :, c])


def test_image_center_crop_and_buffer_size_match_the_twin(clib):
    rng = np.random.default_rng(2)
    for _ in range(300):
        target = random_target(rng, int(rng.integers(1, 130)), int(rng.integers(1, 130)), int(rng.choice([1, 3])),
                               max_w=int(rng.integers(1, 1025)))
        w, h = int(rng.integers(1, 400)), int(rng.integers(1, 400))
        assert clib.center_crop(target, w, h) == twin.center_crop(target, w, h), (target.out_w, target.out_h, w, h)
        assert clib.get_buffer_size(target) == image_buffer_size(target.out_w, target.out_h, target.channels,
                                                                 target.max_width)
    target = random_target(rng, 96, 96, 3)
    assert twin.center_crop(target, 320, 240) == Crop(40, 0, 240, 240)
    assert twin.center_crop(target, 160, 200) == Crop(0, 20, 160, 160)


@pytest.mark.parametrize("fmt_code,w,h,crop,rc", [
    (4, 10, 10, None, -1), (-1, 10, 10, None, -1),                     # not a format
    (0, 0, 10, None, -2), (0, 321, 240, None, -2), (0, 320, 241, None, -2),   # sizes
    (2, 31, 20, None, -3),                                             # odd YUYV width
    (0, 40, 30, Crop(30, 0, 11, 30), -4), (0, 40, 30, Crop(0, -1, 5, 5), -4), (0, 40, 30, Crop(0, 0, 0, 5), -4),
    (3, 320, 240, Crop(0, 0, 320, 240), 0),
])
def test_image_check_rejects_bad_frames(clib, fmt_code, w, h, crop, rc):
    target = Target(96, 96, 3, np.zeros((3, 256), np.int8))
    crop = crop or Crop(0, 0, max(w, 1), max(h, 1))
    assert clib.check(target, fmt_code, w, h, crop) == rc


def test_pack_frame_round_trips():
    """The host camera: RGB565 keeps the top bits, YUYV the BT.601 encoding, within their precision."""
    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, (6, 10, 3), dtype=np.uint8)
    target = Target(10, 6, 3, np.tile(np.arange(-128, 128, dtype=np.int8), (3, 1)))
    for name in ("rgb565", "rgb565be"):
        back = twin.resize(pack_frame(rgb, frame_format(name)), frame_format(name), 10, 6, target, Crop(0, 0, 10, 6))
        assert np.all(back >> 3 == rgb >> 3) and np.all(back[..., 1] >> 2 == rgb[..., 1] >> 2)
    flat = np.repeat(rng.integers(0, 256, (6, 5, 3), dtype=np.uint8), 2, axis=1)     # equal pairs: U, V exact
    back = twin.resize(pack_frame(flat, frame_format("yuyv")), frame_format("yuyv"), 10, 6, target, Crop(0, 0, 10, 6))
    assert np.abs(back.astype(int) - flat).max() <= 3
    assert rgb_to_yuv601(np.array([[0, 0, 0], [255, 255, 255]], np.uint8)).tolist() == [[16, 128, 128], [235, 128, 128]]


# -- the RGB565 area path's identities (tg_image_rgb565_area.c), exhaustively ------------------
def test_rgb565_pair_widening_covers_every_code():
    """The lane words of a pixel pair (R, G, B: 3 instructions each on the packed word) equal
    each pixel's 8-bit channels, for every 16-bit code in either half (the other half another
    code: no lane leaks into the next)."""
    v = np.arange(1 << 16, dtype=np.uint32)
    other = (v * 40503 + 7) & 0xFFFF                       # a permutation of the codes
    for lo, hi in ((v, other), (other, v)):
        x = lo | hi << 16
        words = [(x >> 8 & 0x00F800F8) | (x >> 13 & 0x00070007),
                 (x >> 3 & 0x00FC00FC) | (x >> 9 & 0x00030003),
                 (x << 3 & 0x00F800F8) | (x >> 2 & 0x00070007)]
        for code, shift in ((lo, 0), (hi, 16)):
            want = twin.unpack_rgb565(code.astype("<u2").view(np.uint8).reshape(1, -1), 0, len(code), False, 3)[0]
            got = np.stack([(w >> shift) & 0xFFFF for w in words], axis=-1)
            assert np.array_equal(got, want.astype(np.uint32))


def test_rgb565_area_reduced_division_identity():
    """(T + D / 2) / D == (2 T' + D' - (D & 1)) / (2 D') for T = g T', D = g D': every T' in
    [0, 255 D'], D' up to 60, g up to 12 (odd and even D)."""
    for g in range(1, 13):
        for d1 in range(1, 61):
            t1 = np.arange(255 * d1 + 1, dtype=np.int64)
            d = g * d1
            want = (g * t1 + d // 2) // d
            got = (2 * t1 + d1 - (d & 1)) // (2 * d1)
            assert np.array_equal(got, want), (g, d1)
