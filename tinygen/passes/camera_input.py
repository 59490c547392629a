"""What the camera front end of a build needs: the model's image input, the pixel -> int8
table, and its scratch bytes (planned into the model's arena by passes/plan_camera.py,
counted by the fit check).

    spec = CameraSpec(max_width=320, max_height=240, pixel_range=(0.0, 1.0))
    h, w, c = image_input(graph)                       # or TinygenError: not an image model
    lut = pixel_lut(graph, spec.pixel_range)           # int8 [c, 256]
    scratch_bytes(w, h, c, spec.max_width)             # chunk buffer + tg_image_get_buffer_size
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.errors import ModelError, UsageError
from tinygen.ir import Graph
from tinygen.ref.camera import Target
from tinygen.ref.frame_formats import MAX_DIM, QVGA
from tinygen.ref.interpreter import quantize_input

DRIVERS = ("esp32-camera",)            # camera drivers a generated project can take frames from
TAP_BYTES = 4                          # sizeof(tg_image_tap)
LARGEST_PIXEL = 2                      # bytes per pixel of the widest format (RGB565, YUYV)
STATE_RAM = 144                        # the front end's static state (tg_camera.c, tg_image_state): 144 B on Cortex-M
STREAM_STATE_RAM = 24                  # ... and a streamed input's band, window and model count (168 B in all)
CODE_BYTES = 3 * 1024                  # its code (measured 2.6-2.9 KB on the Cortex-M stand-ins)


@dataclass(frozen=True)
class CameraSpec:
    """`tinygen build --camera`: the largest frame the firmware takes, what pixel values
    0..255 mean to the model (real = lo + (hi - lo) * p / 255), and an optional camera
    driver of the board (esp32-camera) with its pins."""
    max_width: int = QVGA[0]
    max_height: int = QVGA[1]
    pixel_range: tuple[float, float] = (0.0, 1.0)
    driver: str | None = None
    driver_config: dict | None = None          # the board's [camera] table, for the driver

    def __post_init__(self):
        if not (1 <= self.max_width <= MAX_DIM and 1 <= self.max_height <= MAX_DIM):
            raise UsageError(f"largest frame {self.max_width}x{self.max_height} is out of range",
                             f"frames may be at most {MAX_DIM}x{MAX_DIM} (the device's 32-bit sums)")
        lo, hi = self.pixel_range
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo == hi:
            raise UsageError(f"pixel range {lo}:{hi} is empty or not finite", "give it as LO:HI, e.g. 0:1 or -1:1")


def parse_pixel_range(text: str) -> tuple[float, float]:
    """'0:1' -> (0.0, 1.0); '-1:1', '0:255'."""
    try:
        lo, hi = (float(v) for v in text.split(":"))
    except ValueError:
        raise UsageError(f"--pixel-range {text!r} is not LO:HI",
                         "give what pixel values 0 and 255 mean to the model, e.g. 0:1 (default), -1:1, 0:255") from None
    return lo, hi


def image_input(graph: Graph) -> tuple[int, int, int]:
    """(height, width, channels) of a model whose one input is an int8 image [1, H, W, 1 or 3]."""
    if len(graph.inputs) != 1:
        raise ModelError(f"the model has {len(graph.inputs)} inputs; the camera front end feeds one image",
                         "use a model with a single image input [1, H, W, 1 or 3] (NCHW [1, C, H, W] in PyTorch)")
    t = graph.tensor(graph.inputs[0])
    shape = list(t.shape)
    if len(shape) != 4 or shape[0] != 1 or shape[3] not in (1, 3) or t.dtype != "int8":
        raise ModelError(f"the model's input {shape} ({t.dtype}) is not an image with 1 or 3 channels, which the "
                         "camera front end needs",
                         "leave out --camera / --images / --frames, or use a model whose input is an int8 image "
                         "[1, H, W, 1 or 3] (NHWC; [1, 1 or 3, H, W] in PyTorch)")
    return shape[1], shape[2], shape[3]


def pixel_lut(graph: Graph, pixel_range: tuple[float, float]) -> np.ndarray:
    """int8 [channels, 256]: pixel value p -> the model's input for real value
    lo + (hi - lo) * p / 255, quantized exactly as the reference quantizes float inputs."""
    _, _, channels = image_input(graph)
    lo, hi = pixel_range
    real = lo + (hi - lo) * np.arange(256, dtype=np.float64) / 255.0
    row = quantize_input(graph, real).astype(np.int8)
    return np.repeat(row[None], channels, axis=0)


def image_buffer_size(out_w: int, out_h: int, channels: int, max_width: int) -> int:
    """tg_image_get_buffer_size: two rows of uint32 sums, the taps, one line of the region."""
    rows = 2 * out_w * channels * 4
    taps = (out_w + out_h) * TAP_BYTES
    line = (max_width * channels + 3) // 4 * 4
    return rows + taps + line


def chunk_bytes(max_width: int) -> int:
    """The receive buffer for `tg chunk`: one row of the widest frame in its widest format."""
    return (max_width * LARGEST_PIXEL + 3) // 4 * 4


def scratch_bytes(out_w: int, out_h: int, channels: int, max_width: int) -> int:
    return chunk_bytes(max_width) + image_buffer_size(out_w, out_h, channels, max_width)


def target(graph: Graph, spec: CameraSpec) -> Target:
    """The twin's Target for a compiled graph (one switch's)."""
    h, w, c = image_input(graph)
    return Target(w, h, c, pixel_lut(graph, spec.pixel_range), spec.max_width, spec.max_height)


@dataclass
class CameraPlan:
    """graph.meta["camera"] after plan_camera: the spec and where the scratch went."""
    spec: CameraSpec
    out_w: int
    out_h: int
    channels: int
    lut: np.ndarray
    scratch_offset: int
    scratch_bytes: int
    chunk_bytes: int
    model_arena: int = 0          # the model's own arena, before the front end's buffer was placed
    # the last node during which the scratch lives: -1 (before the first layer) for a whole input;
    # a streamed input's (plan_memory.STREAM_INPUT) runs bands between frame rows: its last input read
    live_until: int = -1
    whole_why: str | None = None  # a banded input held whole all the same: why (--whole-input, bands out of order)

    def to_json(self) -> dict:
        return {"max_frame": [self.spec.max_width, self.spec.max_height], "pixel_range": list(self.spec.pixel_range),
                "driver": self.spec.driver, "input": [self.out_h, self.out_w, self.channels],
                "scratch_offset": self.scratch_offset, "scratch_bytes": self.scratch_bytes,
                "chunk_bytes": self.chunk_bytes, "model_arena": self.model_arena,
                "streamed": self.live_until >= 0, "live_until": self.live_until}

    def describe(self, arena: int, last: str | None = None) -> str:
        """One line for `tinygen inspect --memory` (`last`: the name of node live_until)."""
        grew = arena - self.model_arena
        when = ("live before the first layer beside the input" if self.live_until < 0 else
                f"live from before the first layer through {last or self.live_until} (the input streams in: "
                "the bands up to the last input read run between frame rows)")
        return (f"camera front end: {self.scratch_bytes} B of scratch at offset {self.scratch_offset}, {when} "
                f"({self.chunk_bytes} B chunk buffer + tg_image's rows, taps and "
                f"line); " + (f"the arena grew by {grew} B for it" if grew > 0 else "no extra arena bytes")
                + (f"; the banded input is held whole: {self.whole_why}" if self.whole_why else ""))


__all__ = ["CODE_BYTES", "CameraPlan", "CameraSpec", "DRIVERS", "STATE_RAM", "STREAM_STATE_RAM", "chunk_bytes",
           "image_buffer_size",
           "image_input", "parse_pixel_range", "pixel_lut", "scratch_bytes", "target"]
