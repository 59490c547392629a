"""Compile a model for a board as `tinygen build` does, from a request instead of a command
line: what every command that compiles a model (build, inspect, flash, hil, listen, camera,
power) and every sweep point run.

    request = CompileRequest("model.py", calib="data.npy", kernels="auto")
    source, graph = compile_model(request, get_board("f746zg"), progress=print)
    result = tinygen.compiler.build(source, graph, board, "build/model")

The steps: check the request's cheap parts (model id, calibration file, percentile, arena
region, front end) before the long work; load the model; compile it with the requested
kernels (`auto`: each layer's candidates measured on the board's stand-in, tinygen.fit.autotune,
priced with the constants where the build puts them, tinygen.fit.placed_choice);
attach the audio front end (tinygen.codegen.audio); and, with a board, the fit-first trade
(tinygen.fit: where the fastest kernels overflow the part, layers trade speed for flash or RAM),
then the constants whose flash reads cost most moved into the RAM left (tinygen.fit.weights_ram).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tinygen.board import Board
from tinygen.build.memory import arena_region
from tinygen.calib import CalibrationWarning
from tinygen.calib import check_spec as check_calibration
from tinygen.codegen.audio import attach, choose
from tinygen.compiler import SourceModel, compile_source, load_source
from tinygen.errors import UsageError
from tinygen.fit import fit_model
from tinygen.fit.autotune import compile_auto, default_kernels, kernel_report
from tinygen.fit.switches import fit_switches
from tinygen.fit.weights_ram import check_mode as check_weights_in
from tinygen.fit.weights_ram import place_weights
from tinygen.hil.deadline import DEFAULT_TIMEOUT
from tinygen.ir import Graph
from tinygen.model_id import check_model_id
from tinygen.passes import CompileOptions
from tinygen.passes.activation_widths import parse_activations
from tinygen.passes.camera_input import CameraSpec
from tinygen.quant.weight_spec import parse_weights


@dataclass(frozen=True)
class CompileRequest:
    """What to compile and how: the options of `tinygen build` (same names, same defaults)."""
    model: str | Path                     # .py (model() and example_input()), .pt2 or int8 .tflite
    calib: str | None = None              # .npy, .npz, FILE.py:FUNCTION or "random"; None: the model's own
    calib_method: str = "minmax"          # or "percentile"
    percentile: float = 99.99
    kernels: str | None = None            # tinygen, portable, cmsis-nn, esp-nn, auto; None: default_kernels(board)
    prefer: str = "balanced"              # --kernels auto: "balanced" or "speed"
    cmsis_nn: str | None = None           # a CMSIS-NN source tree; None: $CMSIS_NN_PATH
    esp_nn: str | None = None             # an ESP-NN source tree; None: $ESP_NN_PATH
    compact: bool = True                  # remove a pruned model's zeroed filters where exact
    tile: str | None = None               # "auto", "off" or None (off, but tried before refusing)
    lower_peak: bool = True
    storage: str = "separate"             # switchable models: "separate", "nested" or "mixed"
    frontend: str | None = None           # "mfcc", "mfcc-f32", "mfcc-q31"
    model_id: str | None = None           # checked here, used by the build
    arena_region: str | None = None       # a [[memory]] region of the board, e.g. "dtcm"
    camera: CameraSpec | None = None      # the camera front end
    stream_input: bool = True             # with camera and row bands: stream the input in
    timeout: float = DEFAULT_TIMEOUT      # seconds of the device's own time, for --kernels auto's measurements
    allow_uncalibrated: bool = False      # no calibration data: calibrate on random data quietly (inspect)
    stateful: bool = False                # recurrent layers carry their state over between invocations
    activations: str = "int8"             # "int16" or "int16:LAYER,..." (passes/activation_widths.py)
    fold_input_transpose: bool = False    # a .tflite's NCHW->NHWC input transpose left out: the input is NHWC
    onnx_rounding: str = "onnxruntime"    # a quantized .onnx's requantization (frontend.onnx.quantized.ROUNDINGS)
    weights: str | None = None            # --weights SPEC (tinygen.quant.weight_spec): lut:BITS, huffman
    weights_in: str = "auto"              # --weights-in: auto (a firmware's default), flash (a library's) or ram (fit.weights_ram)


Progress = Callable[[str], None]


def compile_model(request: CompileRequest, board: Board | None = None,
                  progress: Progress = lambda message: None) -> tuple[SourceModel, Graph]:
    """Load and compile the request's model for `board` (None: no ISA features, no fit). With
    allow_uncalibrated, a model with no calibration data is calibrated on random data without
    a warning: shapes, MACs and memory do not depend on the ranges."""
    if request.model_id is not None:
        check_model_id(request.model_id)        # before the (long) compile
    frontend = None
    if request.frontend is not None:
        if board is None:
            raise UsageError("--frontend needs --board", "name the board the front end runs on")
        frontend = choose(request.frontend, board)
    if not 50.0 < request.percentile <= 100.0:
        raise UsageError(f"--percentile {request.percentile} is out of range", "use a value in (50, 100]")
    check_calibration(request.calib)            # a missing or unreadable file: before the (long) load
    width, _ = parse_activations(request.activations)
    parse_weights(request.weights)              # a bad --weights: before the (long) load
    check_weights_in(request.weights_in, board)
    if request.arena_region is not None:
        if board is None:
            raise UsageError("--arena-region needs --board", "name the board whose memory region to use")
        arena_region(board, request.arena_region)
    if frontend is not None and request.camera is not None:
        raise UsageError("--frontend (audio) and --camera are two front ends for one model input",
                         "give one of them: --frontend mfcc for a KWS model, --camera for an image model")
    progress(f"loading {request.model}")
    source = load_source(request.model, fold_input_transpose=request.fold_input_transpose,
                         onnx_rounding=request.onnx_rounding)
    calib, quiet = request.calib, False
    if calib is None and source.default_calibration is None and request.allow_uncalibrated:
        calib, quiet = "random", True
    if source.graph.meta.get("float_tflite") and calib is None:     # tinygen.compiler.compile_source
        progress("running the float model in float32, as TFLite Micro's float kernels do")
    else:
        kind = "int8" if width == "int8" else "int16 activations, int8 weights"
        progress("using the model's own int8 quantization" if source.graph.meta.get("quantized")
                 else f"calibrating and quantizing ({kind})")
    kernels = request.kernels or default_kernels(board)
    options = compile_options(request, board, kernels)
    # kernels auto's variants and the fit calibrate again: one --calib random warning for all
    with warned_once(CalibrationWarning):
        if quiet:
            warnings.simplefilter("ignore", CalibrationWarning)
        def finish(graph: Graph) -> Graph:
            if frontend is not None:
                attach(graph, frontend)
            if board is None:
                return graph
            # fit first: where the fastest kernels overflow the flash, layers trade speed for it (a
            # switchable model: the RAM trade, and the mixed storage's int8 layers where flash allows)
            fit = fit_switches if source.switches else fit_model
            graph = fit(source, calib, options, board, graph, progress)
            # last: the RAM the build leaves holds the constants whose flash reads cost most
            return place_weights(graph, board, request.weights_in)

        if kernels == "auto" and board is not None:
            # auto prices its candidates with the constants where the build puts them (it finishes the build)
            return source, compile_auto(source, calib, options, board, progress, timeout=request.timeout,
                                        weights_in=request.weights_in, finish=finish)
        graph = compile_source(source, calib, options)
        note = "kernels auto: no --board to measure on; using the preferred kernels" if kernels == "auto" else None
        graph.meta["kernels"] = kernel_report(graph, kernels, note=note)
        return source, finish(graph)


def compile_options(request: CompileRequest, board: Board | None, kernels: str) -> CompileOptions:
    """The passes' options for the request, the library trees from the environment where the
    request names none; a tree the kernels will not use is said in a warning."""
    if request.cmsis_nn and kernels not in ("cmsis-nn", "auto"):
        missing = "" if Path(request.cmsis_nn).expanduser().is_dir() else f" (and {request.cmsis_nn!r} does not exist)"
        warnings.warn(f"--cmsis-nn is ignored with --kernels {kernels}: only cmsis-nn and auto use CMSIS-NN{missing}")
    # ESP-NN: --kernels esp-nn, and auto's candidates on ESP32 boards
    esp32 = board is not None and board.build == "esp-idf"
    esp_nn = (request.esp_nn or os.environ.get("ESP_NN_PATH") or None) if kernels == "esp-nn" or (
        kernels == "auto" and esp32) else None
    if request.esp_nn and esp_nn is None:
        warnings.warn(f"--esp-nn is ignored with --kernels {kernels}"
                      + ("" if esp32 else f" on {board.name if board else 'no board'}")
                      + ": only esp-nn and auto (on ESP32 boards) use ESP-NN")
    return CompileOptions(request.calib_method, request.percentile, board.isa_features if board else frozenset(),
                          kernels=kernels, cmsis_nn=request.cmsis_nn or os.environ.get("CMSIS_NN_PATH") or None,
                          esp_nn=esp_nn, arena_region=request.arena_region, compact=request.compact,
                          lower_peak=request.lower_peak, tile=request.tile, prefer=request.prefer,
                          storage=request.storage, camera=request.camera, stream_input=request.stream_input,
                          stateful=request.stateful, activations=request.activations,
                          weights=parse_weights(request.weights))


@contextmanager
def warned_once(category: type[Warning]):
    """Within the block the first `category` warning is shown and later ones are not (the
    filters are as before after it)."""
    with warnings.catch_warnings():
        show = warnings.showwarning

        def show_first(message, cat, *rest, **kwargs):
            if issubclass(cat, category):
                warnings.simplefilter("ignore", category)
            show(message, cat, *rest, **kwargs)

        warnings.showwarning = show_first
        yield


__all__ = ["CompileRequest", "compile_model", "compile_options", "warned_once"]
