"""The Helium planar area path (firmware/vision/tg_image_planar_area_mve.c): YUYV and gray
frames shrunk along both axes on the Cortex-M55 stand-in (the stm32n6570-dk's). Its YUV to RGB
identities hold for every Y, U, V within int16 lanes; the build copies it on the M55 and the
portable tg_image_planar_area.c elsewhere; the device's int8 input equals the numpy twin's for
frames that reach each of its branches: an RGB model (three planes from YUYV, one plane for
gray) and a gray model (YUYV's luma, gray), region widths a multiple of 8 and not (the
predicated last step, ending on either pixel of a YUYV pair), regions starting at an odd
column, rows an output row ends inside with room for the next row's planes and without it,
random bytes (every clamp), the largest frame, and frames the path leaves to the general one."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from test_camera_device import GRAY_MODEL, RGB_MODEL, SPEC, check_frame, compile_camera, frame_bytes

from tinygen.board import get_board
from tinygen.codegen.camera import camera_project
from tinygen.compiler import build
from tinygen.hil.target import open_device
from tinygen.passes.camera_input import CameraSpec
from tinygen.ref import camera as twin
from tinygen.vision.link import CameraLink

needs_arm = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                               reason="needs qemu-system-arm and arm-none-eabi-gcc (make toolchain)")

# (format, width, height, region (None: centred), random bytes) for the 32x32x3 model, frames up to 160x120
RGB_FRAMES = [
    ("yuyv", 160, 120, None, False),                     # the largest frame: 120 columns, no room for next planes
    ("gray", 160, 120, None, False),                     # one plane: room for the next
    ("yuyv", 100, 100, None, True),                      # random bytes: every clamp; room for the next planes
    ("yuyv", 66, 70, None, False),                       # 66 lanes: a predicated step of 2
    ("yuyv", 98, 64, twin.Crop(17, 3, 61, 57), True),    # an odd start (a lead lane), ends on a pair's second pixel
    ("yuyv", 98, 64, twin.Crop(16, 5, 61, 57), False),   # ends on a pair's first pixel: its V in the unstored lane
    ("gray", 130, 40, None, True),                       # 1.25 pixels per output
    ("gray", 77, 51, twin.Crop(3, 1, 69, 47), False),    # odd sizes
    ("yuyv", 160, 120, twin.Crop(0, 0, 160, 120), False),  # 5 pixels per output column, 3.75 per row
    ("gray", 150, 40, twin.Crop(0, 0, 150, 40), False),  # up to 6 pixels per output column
    ("yuyv", 20, 24, None, False),                       # enlarged: the general path
]
# the 28x28x1 model, frames up to 64x48
GRAY_SPEC = CameraSpec(max_width=64, max_height=48, pixel_range=(-1.0, 1.0))
GRAY_FRAMES = [
    ("yuyv", 64, 48, None, True),
    ("gray", 64, 48, None, False),
    ("yuyv", 64, 48, twin.Crop(5, 3, 50, 40), False),
    ("gray", 64, 48, twin.Crop(5, 3, 51, 41), True),
    ("yuyv", 62, 30, twin.Crop(1, 0, 33, 30), True),
]


def test_yuyv_split_formula_every_yuv():
    """tg_image_planar_area_mve.c's R, G, B and gray (a base plus a term shifted right by 8,
    clamped) equal tg_image.h's BT.601 formula for every Y, U, V; each term fits an int16 lane."""
    y, u, v = (a.ravel().astype(np.int32) for a in np.meshgrid(*(np.arange(256),) * 3, indexing="ij"))
    frame = np.stack([y, u, y, v], -1).astype(np.uint8).reshape(1, -1)      # pairs of equal pixels
    want_rgb = twin.unpack_yuyv(frame, 0, 2 * len(y), 3)[0, ::2].astype(np.int32)
    want_gray = twin.unpack_yuyv(frame, 0, 2 * len(y), 1)[0, ::2, 0].astype(np.int32)
    c, d, e = y - 16, u - 128, v - 128
    l = 42 * c + 128
    parts = [[l, 153 * e, 48 * e - 100 * d, 4 * d, 42 * y - 4640]]      # every intermediate an int16 too
    terms = [l + 153 * e, l + 48 * e - 100 * d, l + 4 * d, 42 * y - 4640]
    bases = [c + e, c - e, c + 2 * d, y]
    for part in parts[0] + terms + bases:
        assert -32768 <= part.min() and part.max() <= 32767
    for k, (term, base) in enumerate(zip(terms, bases)):
        got = np.clip(base + (term >> 8), 0, 255)
        assert np.array_equal(got, want_rgb[:, k] if k < 3 else want_gray), k


def test_planar_area_files_per_board():
    for name, want in (("stm32n6570-dk", "tg_image_planar_area_mve.c"), ("f746zg", "tg_image_planar_area.c"),
                       ("f446re", "tg_image_planar_area.c"), ("esp32-c3", "tg_image_planar_area.c")):
        board = get_board(name)
        _, graph = compile_camera(RGB_MODEL, board, SPEC)
        files = {s.rsplit("/", 1)[-1] for s in camera_project(graph, board).sources}
        assert {f for f in files if f.startswith("tg_image_planar_area")} == {want}, name


def _frame(rng, fmt: str, width: int, height: int, random_bytes: bool) -> bytes:
    if random_bytes:
        return rng.integers(0, 256, width * height * (2 if fmt == "yuyv" else 1), dtype=np.uint8).tobytes()
    return frame_bytes(rng, fmt, width, height)


def _check_frames(board, model, spec, frames, out, seed: int) -> None:
    source, graph = compile_camera(model, board, spec)
    project = build(source, graph, board, out).out_dir
    assert {p.name for p in project.rglob("tg_image_planar_area*.c")} == {"tg_image_planar_area_mve.c"}
    rng = np.random.default_rng(seed)
    with open_device(board, project, emulate=True, timeout=60) as dev:
        cam = CameraLink(dev)
        for fmt, width, height, crop, random_bytes in frames:
            cam.crop(crop)
            frame = _frame(rng, fmt, width, height, random_bytes)
            assert check_frame(cam, graph, frame, fmt, width, height, crop) > 0


@needs_arm
def test_planar_area_mve_rgb_model_on_the_m55_standin(tmp_path):
    _check_frames(get_board("stm32n6570-dk"), RGB_MODEL, SPEC, RGB_FRAMES, tmp_path / "rgb", 21)


@needs_arm
def test_planar_area_mve_gray_model_on_the_m55_standin(tmp_path):
    _check_frames(get_board("stm32n6570-dk"), GRAY_MODEL, GRAY_SPEC, GRAY_FRAMES, tmp_path / "gray", 22)
