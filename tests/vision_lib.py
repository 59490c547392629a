"""Host build of firmware/vision (tg_image.h) for tests, called through ctypes.

`VisionLib` compiles every firmware/vision/*.c with the strict flags of the kernel tests
plus a shim that feeds a whole frame row by row, and offers the C functions with numpy
arguments, named like their twins in tinygen.ref.camera.
"""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import numpy as np

from tinygen.ref.frame_formats import FrameFormat
from tinygen.ref.camera import Crop, Target

REPO = Path(__file__).resolve().parents[1]
VISION_DIR = REPO / "firmware" / "vision"
CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wconversion",
          "-Wdouble-promotion", "-shared", "-fPIC"]

# feeds a frame row by row; returns the row after which tg_image_row reported completion (-1: never)
_SHIM = r"""
#include <stdint.h>
#include "tg_image.h"

int tgt_preprocess(const tg_image_target *t, const tg_image_frame *f, const uint8_t *frame, void *scratch,
                   int8_t *out, int32_t *done_row)
{
    tg_image_state s;
    int err = tg_image_begin(&s, t, f, scratch, out);
    if (err != TG_IMAGE_OK) {
        return err;
    }
    int32_t row_bytes = f->width * tg_image_bytes_per_pixel(f->format);
    *done_row = -1;
    for (int32_t y = 0; y < f->height; y++) {
        if (tg_image_row(&s, frame + y * row_bytes) && *done_row < 0) {
            *done_row = y;
        }
    }
    return TG_IMAGE_OK;
}
"""


class CTarget(ctypes.Structure):
    _fields_ = [("out_w", ctypes.c_int32), ("out_h", ctypes.c_int32), ("channels", ctypes.c_int32),
                ("max_width", ctypes.c_int32), ("max_height", ctypes.c_int32),
                ("lut", ctypes.POINTER(ctypes.c_int8))]


class CFrame(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int32) for name in
                ("format", "width", "height", "crop_x", "crop_y", "crop_w", "crop_h")]


class CTap(ctypes.Structure):
    _fields_ = [("index", ctypes.c_uint16), ("frac", ctypes.c_uint16)]


def _ptr(a: np.ndarray, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


def build(out_dir: Path) -> Path:
    shim = out_dir / "tgt_vision_shim.c"
    shim.write_text(_SHIM)
    lib = out_dir / "libtgvision.so"
    # the portable files (the _dsp.c ones are Cortex-M4/M7 assembly, the _mve.c ones Helium: built
    # for the stand-ins)
    sources = sorted(str(p) for p in VISION_DIR.glob("*.c") if not p.name.endswith(("_dsp.c", "_mve.c"))) + [str(shim)]
    proc = subprocess.run(["gcc", *CFLAGS, f"-I{VISION_DIR}", "-o", str(lib), *sources],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"firmware/vision does not compile cleanly:\n{proc.stderr}")
    return lib


class VisionLib:
    def __init__(self, path: Path):
        self.lib = ctypes.CDLL(str(path))
        self.lib.tg_image_get_buffer_size.restype = ctypes.c_int32

    def c_target(self, target: Target) -> tuple[CTarget, np.ndarray]:
        lut = np.ascontiguousarray(target.lut, dtype=np.int8).reshape(-1)
        return CTarget(target.out_w, target.out_h, target.channels, target.max_width, target.max_height,
                       _ptr(lut, ctypes.c_int8)), lut

    def get_buffer_size(self, target: Target) -> int:
        t, _keep = self.c_target(target)
        return self.lib.tg_image_get_buffer_size(ctypes.byref(t))

    def center_crop(self, target: Target, width: int, height: int) -> Crop:
        t, _keep = self.c_target(target)
        f = CFrame(0, width, height, 0, 0, 0, 0)
        self.lib.tg_image_center_crop(ctypes.byref(t), ctypes.byref(f))
        return Crop(f.crop_x, f.crop_y, f.crop_w, f.crop_h)

    def check(self, target: Target, fmt_code: int, width: int, height: int, crop: Crop) -> int:
        t, _keep = self.c_target(target)
        f = CFrame(fmt_code, width, height, crop.x, crop.y, crop.w, crop.h)
        return self.lib.tg_image_check(ctypes.byref(t), ctypes.byref(f))

    def preprocess(self, frame: bytes, fmt: FrameFormat, width: int, height: int, target: Target,
                   crop: Crop) -> tuple[int, np.ndarray, int]:
        """(return code, int8 [out_h, out_w, C], row after which tg_image_row reported done)."""
        t, _keep = self.c_target(target)
        f = CFrame(fmt.code, width, height, crop.x, crop.y, crop.w, crop.h)
        scratch = np.zeros(self.get_buffer_size(target) // 4 + 1, np.uint32)
        out = np.zeros((target.out_h, target.out_w, target.channels), np.int8)
        data = np.frombuffer(frame, np.uint8).copy()
        done = ctypes.c_int32(-2)
        rc = self.lib.tgt_preprocess(ctypes.byref(t), ctypes.byref(f), _ptr(data, ctypes.c_uint8),
                                     _ptr(scratch, ctypes.c_uint32), _ptr(out, ctypes.c_int8), ctypes.byref(done))
        return rc, out, done.value

    def unpack(self, rows: np.ndarray, fmt: FrameFormat, x0: int, n: int, channels: int) -> np.ndarray:
        """tg_image_unpack_<format> row by row -> uint8 [R, n, channels]."""
        rows = np.ascontiguousarray(rows, np.uint8)
        out = np.zeros((len(rows), n, channels), np.uint8)
        for r in range(len(rows)):
            src, dst = _ptr(rows[r], ctypes.c_uint8), _ptr(out[r], ctypes.c_uint8)
            if fmt.name in ("rgb565", "rgb565be"):
                self.lib.tg_image_unpack_rgb565(src, x0, n, int(fmt.name == "rgb565be"), channels, dst)
            elif fmt.name == "yuyv":
                self.lib.tg_image_unpack_yuyv(src, x0, n, channels, dst)
            else:
                self.lib.tg_image_unpack_gray(src, x0, n, channels, dst)
        return out

    def hscale_area(self, lines: np.ndarray, out_w: int) -> np.ndarray:
        lines = np.ascontiguousarray(lines, np.uint8)
        rows, in_w, channels = lines.shape
        out = np.zeros((rows, out_w, channels), np.uint32)
        for r in range(rows):
            self.lib.tg_image_hscale_area(_ptr(lines[r], ctypes.c_uint8), in_w, out_w, channels,
                                          _ptr(out[r], ctypes.c_uint32))
        return out

    def bilinear_taps(self, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
        taps = (CTap * n_out)()
        self.lib.tg_image_bilinear_taps(n_in, n_out, taps)
        return np.array([t.index for t in taps]), np.array([t.frac for t in taps])

    def hscale_bilinear(self, lines: np.ndarray, out_w: int) -> np.ndarray:
        lines = np.ascontiguousarray(lines, np.uint8)
        rows, in_w, channels = lines.shape
        taps = (CTap * out_w)()
        self.lib.tg_image_bilinear_taps(in_w, out_w, taps)
        out = np.zeros((rows, out_w, channels), np.uint32)
        for r in range(rows):
            self.lib.tg_image_hscale_bilinear(_ptr(lines[r], ctypes.c_uint8), in_w, taps, out_w, channels,
                                              _ptr(out[r], ctypes.c_uint32))
        return out
