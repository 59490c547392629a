"""The audio front end in a firmware: which one a board gets, the model it may feed, the
C files and generated tables it adds to a project, and the memory it takes.

    fe = choose("mfcc", board)          # Frontend("mfcc", "f32") on an FPU core, "q31" without
    attach(graph, fe)                   # refuses a model whose input is not [1, 49, 10, 1] int8
    write_tables(graph, project_dir)    # tg_audio_tables.c / .h: the constants, in flash

`tinygen build MODEL --frontend mfcc` does the three; codegen then copies the front end's
C (firmware/audio/) beside the runtime, and tinygen.build.memory counts its buffers
(`ram_parts`) and tables (`flash_parts`) in the prediction and the fit check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinygen.codegen.audio_tables import render_tables
from tinygen.codegen.isa_variants import isa_variants, with_variants
from tinygen.errors import TinygenError, UsageError
from tinygen.kernels import mfcc_tables as tb
from tinygen.ref import mfcc as fe

KINDS = ("mfcc",)
ARITHMETIC = ("f32", "q31")
# board ISA features that mean a single-precision FPU (boards/*.toml)
FPU_FEATURES = frozenset({"fpv4-sp", "fpv5-sp", "fpu-sp"})
CHOICES = ("mfcc", "mfcc-f32", "mfcc-q31")
INPUT_SHAPE = (1, fe.NUM_FRAMES, fe.NUM_MFCC, 1)
MAX_CLASSES = 32                     # tg_detector.h's TG_DETECTOR_CLASSES_MAX
SMOOTH_MAX = 16                      # TG_DETECTOR_SMOOTH_MAX
AUDIO_MAX_BYTES = 2 * fe.CLIP_SAMPLES   # one clip: the upload buffer (TG_AUDIO_MAX_BYTES)
TABLES_C, TABLES_H = "tg_audio_tables.c", "tg_audio_tables.h"
SYMBOL_PREFIX = "tg_audio_"          # every front-end buffer and table is named so (memory.measure)

# firmware/audio files, relative to firmware/
_COMMON = ["audio/tg_audio.h", "audio/tg_frontend.h", "audio/tg_detector.h", "audio/tg_detector.c",
           "audio/tg_audio_cmd.c", "audio/tg_peak_s16.c"]
_STAGES = {
    "f32": ["tg_log_f32.c", "tg_sqrt_f32.c", "tg_cfft_f32.c", "tg_rfft_mag_f32.c", "tg_mel_log_f32.c",
            "tg_dct_f32.c", "tg_mfcc_frame_f32.c", "tg_mfcc_quantize_f32.c", "tg_frontend_f32.c"],
    "q31": ["tg_sqrt_u64.c", "tg_log_q31.c", "tg_cfft_q31.c", "tg_rfft_mag_q31.c", "tg_mel_log_q31.c",
            "tg_dct_q31.c", "tg_c0_offset_q31.c", "tg_mfcc_frame_q31.c", "tg_mfcc_quantize_q31.c",
            "tg_frontend_q31.c"],
}
# the float stages' scalar formulas (the portable stages and the Helium ones' fallbacks)
F32_SUPPORT = ["audio/tg_audio_f32_scalar.h"]
# what every Helium stage (tg_*_f32_mve.c) includes: its guard against MVE's flush to zero
MVE_SUPPORT = ["audio/tg_audio_mve.h"]
NONE_FILES = ["audio/tg_audio_none.c"]     # the audio commands of a firmware without a front end

# What the C keeps in RAM (static buffers; sizes of the C types, 4-byte floats and int32s).
_SCRATCH = 4 * (2 * tb.FFT_HALF + fe.FFT_LENGTH // 4 + 1 + fe.NUM_MEL)      # tg_mfcc_scratch_*
_RING = 4 * fe.NUM_FRAMES * fe.NUM_MFCC + 2 * fe.NUM_FRAMES                 # coefficients + peaks
_DETECTOR = 4 * 5 + 2 * SMOOTH_MAX * MAX_CLASSES + 4 * MAX_CLASSES + 4 * 3 + 8   # tg_detector
# tg_audio_stream_state: 3 ints, 4 bytes of padding before the uint64, 3 ints, the pending frame,
# its fill, the detector (whose uint64 makes the struct 8-aligned): ILP32 and LP64 alike
_STREAM = 4 * 3 + 4 + 8 + 4 * 3 + 2 * fe.FRAME_LENGTH + 4 + _DETECTOR
# Code of the front end and its commands, a little below what builds measure (f746zg 3.4 KB
# float, the RISC-V stand-in 5.7 KB fixed point): the linked image is the exact check.
CODE_ESTIMATE = 3 * 1024


@dataclass(frozen=True)
class Frontend:
    kind: str                  # "mfcc"
    arithmetic: str            # "f32" (single-precision float) or "q31" (fixed point)
    # the board's ISA features (boards/*.toml): which stages' variants it compiles (X_mve.c,
    # X_dsp.c; tinygen.codegen.isa_variants). They compute the same bytes: not part of equality.
    isa_features: frozenset = field(default=frozenset(), compare=False)

    @property
    def name(self) -> str:
        """What the firmware's `tg info` reports as frontend=."""
        return f"{self.kind}-{self.arithmetic}"

    def firmware_files(self) -> list[str]:
        """The firmware/audio files this front end compiles, relative to firmware/: each stage
        as the board's best ISA variant of it."""
        stages = isa_variants(with_variants([f"audio/{f}" for f in _STAGES[self.arithmetic]]), self.isa_features)
        return (_COMMON + (F32_SUPPORT if self.arithmetic == "f32" else [])
                + (MVE_SUPPORT if any(f.endswith("_mve.c") for f in stages) else []) + stages)

    def ram_parts(self) -> dict[str, int]:
        """Its static buffers, by what they hold (bytes; the C may add a little padding)."""
        return {"audio upload": AUDIO_MAX_BYTES, "front-end scratch": _SCRATCH, "feature ring": _RING,
                "stream state": _STREAM, "features": fe.NUM_FRAMES * fe.NUM_MFCC}

    def flash_parts(self) -> dict[str, int]:
        """Its tables (their size does not depend on the model's input grid) and code."""
        return {"front-end tables": table_bytes(self.tables(1.0, 0)), "front-end code (estimate)": CODE_ESTIMATE}

    def tables(self, input_scale: float, input_zero_point: int, gains=None) -> dict:
        make = tb.tables_f32 if self.arithmetic == "f32" else tb.tables_q31
        return make(input_scale, input_zero_point, gains)


def has_fpu(board) -> bool:
    return board.build == "host" or bool(FPU_FEATURES & set(board.isa_features))


def choose(name: str, board) -> Frontend:
    """The front end `--frontend NAME` means on `board`: mfcc is float on a core with a
    single-precision FPU (and the host), fixed point on one without."""
    if name not in CHOICES:
        raise UsageError(f"unknown front end {name!r}", f"use one of {', '.join(CHOICES)}")
    kind, _, arithmetic = name.partition("-")
    if not arithmetic:
        arithmetic = "f32" if has_fpu(board) else "q31"
    if arithmetic == "f32" and not has_fpu(board):
        raise UsageError(f"--frontend {name}: {board.name} ({board.core}) has no floating-point unit",
                         "use --frontend mfcc (it picks the fixed-point front end, mfcc-q31, there)")
    return Frontend(kind, arithmetic, frozenset(board.isa_features))


def attach(graph, frontend: Frontend) -> None:
    """Check that the front end can feed the compiled model and record it in the graph
    (graph.meta["frontend"], which codegen and the memory prediction read)."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise TinygenError(f"--frontend {frontend.kind} needs a model with one input and one output, this one has "
                           f"{len(graph.inputs)} and {len(graph.outputs)}",
                           "the MFCC front end feeds keyword-spotting models such as "
                           "examples/mlperf-tiny/kws_dscnn_int8.tflite")
    inp, out = graph.tensor(graph.inputs[0]), graph.tensor(graph.outputs[0])
    if tuple(inp.shape) != INPUT_SHAPE or inp.dtype != "int8":
        raise TinygenError(f"--frontend {frontend.kind} produces int8 features [1, 49, 10, 1] (49 frames of "
                           f"10 MFCCs), but the model's input is {inp.dtype} {list(inp.shape)}",
                           "build this model without --frontend, or give a keyword-spotting model trained on "
                           "the MLPerf Tiny KWS features (e.g. examples/mlperf-tiny/kws_dscnn_int8.tflite)")
    classes = int(np.prod(out.shape))
    if out.dtype != "int8" or classes > MAX_CLASSES:
        raise TinygenError(f"--frontend {frontend.kind}: the model's output is {out.dtype} {list(out.shape)}, "
                           f"the on-device keyword detector takes int8 scores of at most {MAX_CLASSES} classes",
                           "give a classifier with an int8 output of at most 32 classes")
    graph.meta["frontend"] = frontend


def frontend_of(graph) -> Frontend | None:
    return graph.meta.get("frontend")


def firmware_files(frontend: Frontend | None) -> list[str]:
    """The audio files every firmware carries: the front end's, or the stub answering that
    there is none."""
    return frontend.firmware_files() if frontend is not None else list(NONE_FILES)


def input_grid(graph) -> tuple[float, int]:
    q = graph.tensor(graph.inputs[0]).qparams
    return float(q.scale[0]), int(q.zero_point[0])


def table_bytes(tables: dict) -> int:
    """The flash the tables' arrays take (scalars live in the struct, counted with it)."""
    return sum(v.nbytes for v in tables.values() if isinstance(v, np.ndarray)) + 128


def write_tables(graph, dest: Path) -> list[str]:
    """Render tg_audio_tables.c / .h for the graph's front end into dest; [] without one."""
    frontend = frontend_of(graph)
    if frontend is None:
        return []
    scale, zero_point = input_grid(graph)
    source, header = render_tables(frontend, scale, zero_point, graph.meta.get("feature_gains"))
    (dest / TABLES_C).write_text(source)
    (dest / TABLES_H).write_text(header)
    return [TABLES_C, TABLES_H]


__all__ = ["AUDIO_MAX_BYTES", "CHOICES", "Frontend", "MAX_CLASSES", "SMOOTH_MAX", "TABLES_C", "TABLES_H",
           "attach", "choose", "firmware_files", "frontend_of", "has_fpu", "input_grid", "table_bytes",
           "write_tables"]
