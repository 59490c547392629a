"""The camera front end in a generated project: which firmware files it copies, which
include folders it adds, and the data templates/camera.{c,h}.j2 render (per precision
switch the model's input and its pixel -> int8 table, the scratch's place in the arena;
the camera driver's settings where the board has one).

    project = camera_project(graph, board)   # None when the build has no --camera
    project.sources, project.includes, project.data
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinygen.codegen.cformat import c_array_body
from tinygen.codegen.firmware_files import copy_firmware
from tinygen.codegen.isa_variants import isa_variants
from tinygen.errors import UsageError
from tinygen.ref.frame_formats import frame_format, parse_size
from tinygen.resources import data_dir
from tinygen.switches import switch_graphs

VISION = "vision"                 # firmware/vision: the image preprocessing (tg_image.h)
CAMERA = "camera"                 # firmware/camera: the front end and its protocol commands
CAPTURE_SOURCES = {"esp32-camera": "camera/tg_camera_capture_esp32.c"}
INCLUDES = ("tinygen/vision", "tinygen/camera")
GENERATED = ("camera.c", "camera.h")

# esp32-camera's names for the frame formats and sizes it can be asked for
ESP32_PIXFORMATS = {"rgb565be": "PIXFORMAT_RGB565", "yuyv": "PIXFORMAT_YUV422", "gray": "PIXFORMAT_GRAYSCALE"}
ESP32_FRAMESIZES = {(96, 96): "FRAMESIZE_96X96", (160, 120): "FRAMESIZE_QQVGA", (176, 144): "FRAMESIZE_QCIF",
                    (240, 176): "FRAMESIZE_HQVGA", (240, 240): "FRAMESIZE_240X240", (320, 240): "FRAMESIZE_QVGA",
                    (400, 296): "FRAMESIZE_CIF", (480, 320): "FRAMESIZE_HVGA", (640, 480): "FRAMESIZE_VGA"}
ESP32_PINS = ("pwdn", "reset", "xclk", "sccb_sda", "sccb_scl", "d7", "d6", "d5", "d4", "d3", "d2", "d1", "d0",
              "vsync", "href", "pclk")


@dataclass
class CameraProject:
    sources: list[str]                     # firmware files (relative to firmware/) to copy
    includes: list[str] = field(default_factory=lambda: list(INCLUDES))
    data: dict = field(default_factory=dict)

    @property
    def c_sources(self) -> list[str]:
        """What every image compiles: the generated camera.c and the copied .c files but the
        camera driver's (only the real part's ESP-IDF build has the driver)."""
        return ["camera.c"] + [f"tinygen/{s}" for s in self.sources
                               if s.endswith(".c") and s not in CAPTURE_SOURCES.values()]

    @property
    def driver_sources(self) -> list[str]:
        return [f"tinygen/{s}" for s in self.sources if s in CAPTURE_SOURCES.values()]


def _firmware_files(folder: str) -> list[str]:
    root = data_dir("firmware")
    return sorted(p.relative_to(root).as_posix() for p in (root / folder).iterdir()
                  if p.suffix in (".c", ".h") and not p.name.startswith("tg_camera_capture_"))


def driver_settings(board, spec) -> dict | None:
    """The board's [camera] table checked for the driver: format, size, pins (esp32-camera)."""
    if spec.driver is None:
        return None
    cam = dict(spec.driver_config or {})
    where = f"{board.path}'s [camera]" if board is not None else "[camera]"
    fmt = frame_format(cam.get("format", "rgb565be"))
    if fmt.name not in ESP32_PIXFORMATS:
        raise UsageError(f"{where}: esp32-camera cannot deliver {fmt.name} frames",
                         f"use format = one of {', '.join(ESP32_PIXFORMATS)}")
    size = parse_size(str(cam.get("frame", "320x240")), f"{where} frame")
    if size not in ESP32_FRAMESIZES:
        raise UsageError(f"{where}: esp32-camera has no {size[0]}x{size[1]} frame size",
                         f"use frame = one of {', '.join(f'{w}x{h}' for w, h in ESP32_FRAMESIZES)}")
    if size[0] > spec.max_width or size[1] > spec.max_height:
        raise UsageError(f"{where}: the camera's {size[0]}x{size[1]} frames exceed the largest frame "
                         f"{spec.max_width}x{spec.max_height}", f"build with --frame-max {size[0]}x{size[1]}")
    pins = cam.get("pins", {})
    missing = [p for p in ESP32_PINS if not isinstance(pins.get(p), int)]
    if missing:
        raise UsageError(f"{where}: pins {', '.join(missing)} missing", "give every camera pin (-1: not wired)")
    return {"name": spec.driver, "sensor": cam.get("sensor", ""), "format": fmt.name,
            "tg_format": f"TG_IMAGE_{fmt.name.upper()}", "pixformat": ESP32_PIXFORMATS[fmt.name],
            "width": size[0], "height": size[1], "framesize": ESP32_FRAMESIZES[size],
            "xclk_hz": int(cam.get("xclk_hz", 20_000_000)), "psram": bool(cam.get("psram", True)),
            "sdkconfig": [str(line) for line in cam.get("sdkconfig", [])],
            "pins": [(p.upper(), int(pins[p])) for p in ESP32_PINS]}


def camera_project(graph, board=None) -> CameraProject | None:
    """What a build with --camera adds to the project; None without."""
    plans = [g.meta.get("camera") for _, g in switch_graphs(graph)]
    if plans[0] is None:
        return None
    spec = plans[0].spec
    luts: dict[bytes, str] = {}
    tables, configs = [], []
    for k, plan in enumerate(plans):
        key = np.ascontiguousarray(plan.lut, np.int8).tobytes()
        if key not in luts:
            luts[key] = f"tg_camera_lut{len(luts)}"
            lo, hi = spec.pixel_range
            tables.append({"name": luts[key], "length": plan.lut.size, "body": c_array_body(plan.lut),
                           "comment": f"pixel p of each of the {plan.channels} channels -> int8 input for the real "
                                      f"value {lo:g} + ({hi:g} - {lo:g}) p / 255"})
        configs.append({"switch": k, "out_w": plan.out_w, "out_h": plan.out_h, "channels": plan.channels,
                        "lut": luts[key], "scratch_offset": plan.scratch_offset, "chunk_bytes": plan.chunk_bytes,
                        "scratch_bytes": plan.scratch_bytes})
    driver = driver_settings(board, spec)
    sources = sorted(isa_variants(_firmware_files(VISION), board.isa_features if board is not None else ())) + _firmware_files(CAMERA)
    if driver is not None:
        sources.append(CAPTURE_SOURCES[driver["name"]])
    data = {"max_width": spec.max_width, "max_height": spec.max_height, "tables": tables, "configs": configs,
            "driver": driver, "capture_name": driver["name"] if driver else "none"}
    return CameraProject(sources, data=data)


def write_camera(graph, dest, board, env, model_name: str, version: str) -> CameraProject | None:
    """Render camera.c / camera.h into the project and copy the front end's firmware files
    into dest/tinygen/; None (nothing written) for a build without --camera."""
    project = camera_project(graph, board)
    if project is None:
        return None
    for name in GENERATED:
        (dest / name).write_text(env.get_template(f"{name}.j2").render(
            model_name=model_name, version=version, camera=project.data))
    copy_firmware(project.sources, dest)
    return project


__all__ = ["CAMERA", "CameraProject", "GENERATED", "INCLUDES", "VISION", "camera_project", "driver_settings", "write_camera"]
