"""The Helium RGB565 area path (firmware/vision/tg_image_rgb565_area_mve.c) on the Cortex-M55
stand-in (the stm32n6570-dk's): the firmware takes it in place of the scalar path, and the
device's int8 input equals the numpy twin's for frames that reach each of its branches: both
byte orders, region widths a multiple of 8 and not (the predicated last step), columns
spanning 1 to 3 pixel pairs, rows an output row ends inside with room for the next row's
planes and without it (two passes), and the outputs equal the reference."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from test_camera_device import RGB_MODEL, SPEC, check_frame, compile_camera, frame_bytes

from tinygen.board import get_board
from tinygen.compiler import build
from tinygen.hil.target import open_device
from tinygen.vision.link import CameraLink

# (format, width, height): centre crops of 100, 120, 66, 64 and 40 pixels square onto the
# model's 32x32 (120 and 100: no room for a second set of planes; 64 and 40: room)
FRAMES = [("rgb565", 100, 100), ("rgb565be", 160, 120), ("rgb565", 66, 70), ("rgb565be", 98, 64),
          ("rgb565", 64, 64), ("rgb565be", 130, 40)]


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="needs qemu-system-arm and arm-none-eabi-gcc (make toolchain)")
def test_rgb565_area_mve_on_the_m55_standin(tmp_path):
    board = get_board("stm32n6570-dk")
    source, graph = compile_camera(RGB_MODEL, board, SPEC)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    copied = {p.name for p in project.rglob("tg_image_rgb565_area*.c")}
    assert copied == {"tg_image_rgb565_area_mve.c", "tg_image_rgb565_area_shape.c"}, copied
    rng = np.random.default_rng(11)
    with open_device(board, project, emulate=True, timeout=60) as dev:
        cam = CameraLink(dev)
        for fmt, width, height in FRAMES:
            assert check_frame(cam, graph, frame_bytes(rng, fmt, width, height), fmt, width, height) > 0
