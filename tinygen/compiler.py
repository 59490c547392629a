"""From a model file to a built project: the steps behind `tinygen build`.

    source = load_source("model.py")                 # frontend → float IR
    graph = compile_source(source, calib="data.npy") # passes → lowered int8 graph
    result = build(source, graph, get_board("host"), "build/model")

Outputs are written to a staging folder inside the destination and moved into
place only when everything succeeded, so a failed build leaves nothing
half-written; tinygen replaces only the files it wrote (tinygen.build.output).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from tinygen.board import Board
from tinygen.build.firmware_project import write_firmware_project
from tinygen.build.library import check_library_graph, write_library
from tinygen.build.memory import check_prediction, predict
from tinygen.build.saved import save_model
from tinygen.calib import load_calibration
from tinygen.codegen.project import MANIFEST, write_project
from tinygen.errors import ModelError, UsageError
from tinygen.frontend import ir_layout, torch_to_ir
from tinygen.frontend.check_size import check_graph
from tinygen.ir import VARIABLE_OPS, Graph, dump
from tinygen.kernels.esp_nn_tree import require_esp32
from tinygen.model_id import resolve_model_id
from tinygen.optional import require
from tinygen.package import check_packages, write_packages
from tinygen.passes import CompileOptions, compile_graph
from tinygen.quant.check_params import check_requant
from tinygen.switches import attach, relax_lowering

Progress = Callable[[str], None]


@dataclass
class SourceModel:
    """A model as a frontend delivered it: a float IR graph plus facts about its source."""
    name: str
    path: Path
    graph: Graph
    source_hash: str
    input_shape: tuple[int, ...]          # in the model's own layout (e.g. NCHW); the first input's
    layout: str                           # "NCHW" (PyTorch) or "NHWC"
    # [N, ...] (one input) or a tuple of them, one per input with the same N
    default_calibration: np.ndarray | tuple[np.ndarray, ...] | None = None
    # a switchable-precision model: (switch name, float graph) per switch, `graph` the first's
    switches: list[tuple[str, Graph]] = field(default_factory=list)
    # every input's shape (default: [input_shape]) and the model's own name for it (forward()'s
    # argument names; default x0, x1, ...), in graph.inputs' order
    input_shapes: list[tuple[int, ...]] = field(default_factory=list)
    input_names: list[str] = field(default_factory=list)
    # what the audio front end multiplies each input feature by before quantizing (a model
    # file's feature_gains(); graph.meta["feature_gains"] once compiled), None: all ones
    feature_gains: tuple[float, ...] | None = None

    def __post_init__(self):
        self.input_shapes = [tuple(s) for s in self.input_shapes] or [tuple(self.input_shape)]
        self.input_names = list(self.input_names) or [f"x{k}" for k in range(len(self.input_shapes))]

    def to_graph_layout(self, x: np.ndarray, index: int = 0) -> np.ndarray:
        """A batch of input `index` in the model's own layout -> the graph's (PyTorch: NCHW to
        NHWC for images, a sequence kept in torch's order: tinygen.frontend.torch_to_ir)."""
        x = np.asarray(x, dtype=np.float32)
        if self.layout == "NCHW":
            return torch_to_ir(x, ir_layout(self.graph, self.graph.inputs[index]))
        return x

    def graph_feed(self, arrays: list[np.ndarray]) -> np.ndarray | dict[str, np.ndarray]:
        """Float batches, one per input in the model's own layout → what the graph's passes and
        float interpreter take: the one array, or {graph input name: array} for several."""
        if len(arrays) == 1:
            return self.to_graph_layout(arrays[0])
        return {name: self.to_graph_layout(a, k) for k, (name, a) in enumerate(zip(self.graph.inputs, arrays))}


@dataclass
class BuildResult:
    out_dir: Path
    manifest: dict
    artifacts: dict[str, Path] = field(default_factory=dict)
    memory: list = field(default_factory=list)        # MemoryUse per image (firmware boards)
    notes: list[str] = field(default_factory=list)    # steps left out, and why (e.g. no ESP-IDF)


def graph_hash(graph: Graph) -> str:
    """A short hash of the graph structure and every constant's bytes."""
    h = hashlib.sha256(dump(graph).encode())
    for name in sorted(graph.tensors):
        t = graph.tensors[name]
        if t.data is not None:
            h.update(name.encode())
            h.update(np.ascontiguousarray(t.data).tobytes())
    return h.hexdigest()[:16]


def load_source(path: str | Path, fold_input_transpose: bool = False,
                onnx_rounding: str = "onnxruntime") -> SourceModel:
    """The model file as the frontend delivers it. fold_input_transpose (a .tflite only): an
    input that goes straight into a TRANSPOSE from NCHW to NHWC is taken as NHWC, the transpose
    left out (tinygen.frontend.tflite). onnx_rounding (an .onnx only): how a quantized ONNX
    model requantizes (tinygen.frontend.onnx.quantized.ROUNDINGS)."""
    path = Path(path)
    if onnx_rounding != "onnxruntime" and path.suffix != ".onnx":
        raise UsageError(f"--onnx-rounding is for quantized .onnx models, not {path.name}",
                         "a .tflite model requantizes as TFLite does already")
    if fold_input_transpose and path.suffix != ".tflite":
        raise UsageError(f"--fold-input-transpose is for .tflite models, not {path.name}",
                         "a PyTorch or ONNX model's NCHW input is taken in its own layout already")
    if path.suffix in (".py", ".pt2"):
        require("torch")            # refused in one line, with its pip extra, before any import of it
        from tinygen.frontend import torch_loader
        from tinygen.frontend.torch import from_exported

        loaded = torch_loader.load(path)
        switches = [(name, from_exported(program, loaded.name)) for name, program in loaded.switches]
        graph = switches[0][1] if switches else from_exported(loaded.program, loaded.name, path.name)
        digest = graph_hash(graph) if not switches else hashlib.sha256(
            "".join(name + graph_hash(g) for name, g in switches).encode()).hexdigest()[:16]
        if loaded.feature_gains is not None:
            digest = hashlib.sha256((digest + repr(loaded.feature_gains)).encode()).hexdigest()[:16]
        return SourceModel(loaded.name, path, graph, digest, tuple(loaded.example_input.shape),
                           "NCHW", loaded.calibration, switches, [tuple(x.shape) for x in loaded.example_inputs],
                           loaded.input_names, loaded.feature_gains)
    if path.suffix == ".tflite":
        require("tflite")
        require("flatbuffers")
        from tinygen.frontend import tflite

        model = tflite.load(path, fold_input_transpose)
        return SourceModel(model.name, path, model.graph, graph_hash(model.graph), model.input_shape, "NHWC",
                           input_shapes=[model.graph.tensors[n].shape for n in model.graph.inputs])
    if path.suffix == ".onnx":
        require("onnx")
        from tinygen.frontend import onnx

        model = onnx.load(path, onnx_rounding)
        return SourceModel(model.name, path, model.graph, graph_hash(model.graph), model.input_shapes[0], "NCHW",
                           input_shapes=model.input_shapes,
                           input_names=model.input_names if len(model.input_names) > 1 else [])
    if not path.exists():
        raise ModelError(f"model file {str(path)!r} does not exist",
                         "give the path of a .py model file, a .pt2 program, a .tflite or an .onnx model")
    raise UsageError(f"cannot read {str(path)!r}: unknown model format {path.suffix or '(no extension)'}",
                     "give a PyTorch model file (.py with model() and example_input()), a "
                     "torch.export program (.pt2), an int8 TFLite model (.tflite) or an ONNX model (.onnx)")


def compile_source(source: SourceModel, calib: str | None = None, options: CompileOptions | None = None,
                   trace: Callable[[str], None] | None = None) -> Graph:
    """The compiled graph. A switchable-precision model compiles every switch on its own
    (its own kernels and memory plan) and returns the first switch's graph with
    meta["switches"] = [(name, graph), ...] (tinygen.switches reads it)."""
    if source.switches:
        options = options or CompileOptions()
        ones = switch_sources(source)
        compiled = []
        for name, one in ones:
            if trace is not None:
                trace(f"switch {name}")
            compiled.append((name, compile_source(one, calib, options, trace)))
        # a switch's arena lowered below another switch's saves nothing: faster kernels back
        return attach(relax_lowering(compiled, lambda k, bound: compile_source(
            ones[k][1], calib, replace(options, arena_floor=bound), trace)))
    if source.graph.meta.get("float_tflite") and calib is not None and any(
            n.op in VARIABLE_OPS for n in source.graph.nodes):
        # calibrating would run the samples through the variables, and each variable's read and
        # assign would need one quantization: not done
        raise UsageError(f"{source.name}: a float model with resource variables (READ_VARIABLE / "
                         "ASSIGN_VARIABLE) is not quantized by tinygen",
                         "leave out --calib to run it in float32 as TFLite Micro does, or convert it to int8 "
                         "with the TFLite converter")
    check_graph(source.graph, f"{source.name}: ")      # no tensor larger than a board holds, before any is made
    if source.graph.meta.get("float_tflite") and calib is None:
        # a float .tflite without calibration data runs in float32, as TFLite Micro runs it
        graph = source.graph.copy()
        graph.meta["quantized"] = "float32"
        graph = compile_graph(graph, None, options, trace)
    elif source.graph.meta.get("quantized"):
        # already quantized in its file (an int8 .tflite): no calibration; `calib` only weighs
        # the weight sharing's clustering (--weights lut: passes/share_weights.py), where given
        data = None
        if calib is not None and options is not None and getattr(options.weights, "lut_bits", None):
            data = source.graph_feed(load_calibration(calib, source.input_shapes, None, source.input_names))
        graph = compile_graph(source.graph.copy(), data, options, trace)
    else:
        data = load_calibration(calib, source.input_shapes, source.default_calibration, source.input_names)
        graph = compile_graph(source.graph.copy(), source.graph_feed(data), options, trace)
    check_requant(graph, f"{source.name}: ")            # the quantizer's scale ratios, as an imported model's
    graph.meta["source_layout"] = source.layout
    if source.feature_gains is not None:
        graph.meta["feature_gains"] = source.feature_gains
    return graph


def switch_sources(source: SourceModel) -> list[tuple[str, SourceModel]]:
    """A switchable model's switches, each as a plain source to compile on its own; nested
    layers carry the top switch's codes (graph.meta["nested_codes"], for --storage nested)."""
    codes = _nested_codes(source.switches)
    out = []
    for name, g in source.switches:
        g = g.copy()
        g.meta["nested_codes"] = {n.name: codes[n.source] for n in g.nodes if n.source in codes}
        out.append((name, replace(source, graph=g, switches=[])))
    return out


def _nested_codes(switches: list[tuple[str, Graph]]) -> dict[str, np.ndarray]:
    """The 8-bit codes C of every nested layer (tinygen.quant.lowbit "nested"), by the layer's
    module path, from the switch that uses all of C's bits: every switch's nested weights are
    C's top bits (passes/nested.py stores C once as bit planes)."""
    codes: dict[str, np.ndarray] = {}
    for _, g in switches:
        for n in g.nodes:
            cfg = n.attrs.get("lowbit", {}).get("weight", {})
            if cfg.get("kind") == "nested" and int(cfg["bits"]) == int(cfg.get("top", 8)) and n.source:
                w = g.tensor(n.param("weight"))
                scale = np.asarray(w.qparams.scale, np.float64).reshape((-1,) + (1,) * (w.data.ndim - 1))
                codes.setdefault(n.source, np.rint(w.data.astype(np.float64) / scale).astype(np.int64))
    return codes


def build(source: SourceModel, graph: Graph, board: Board, out_dir: str | Path,
          progress: Progress = lambda msg: None, force: bool = False, model_id: str | None = None,
          library: str | None = None, arena_external: bool = False, packages: tuple[str, ...] = ()) -> BuildResult:
    """Write the project for `board` into out_dir and compile it. Only the files an earlier
    build wrote there are replaced; a non-empty folder that is not a tinygen build is
    refused unless `force` (tinygen.build.output). `model_id` is what `profile%` reports as
    m-model-[ID] (default: tinygen.model_id.resolve_model_id's). `library`: write the model as
    library LIBRARY instead (tinygen.build.library; `arena_external`: NAME_init(void *arena)), and
    `packages` its packagings (tinygen.package: "arduino", "zephyr", "esp-idf", "cmsis-pack")."""
    from tinygen.build.output import staged_output
    from tinygen.report.kernels import kernel_report

    out_dir = Path(out_dir)
    if "esp_nn" in graph.meta:          # --kernels esp-nn: ESP32 boards only, said before anything is written
        require_esp32(board)
    model_id, origin = resolve_model_id(model_id, source.path, source.name)
    if packages and library is None:
        raise UsageError("--package packages a library", "add --library (or leave out --package)")
    if library is not None:
        check_library_graph(graph)
        check_packages(list(packages), board, library)
    with staged_output(out_dir, force, keep=[source.path]) as stage:
        progress("generating C" + (f" as library {library}" if library is not None else ""))
        if library is not None:
            info = write_library(graph, stage, source.name, source.source_hash, board, library, (model_id, origin),
                                 arena_external)
            if packages:
                progress(f"packaging library {library}: {', '.join(dict.fromkeys(packages))}")
                info["packages"] = write_packages(stage, info, board, list(packages))
        else:
            info = write_project(graph, stage, source.name, source.source_hash, board, (model_id, origin))
            save_model(stage, source, graph)            # what `tinygen hil BUILD_DIR` runs it with
        # the kernel per layer (with --kernels auto: measured instructions and the rivals')
        info["kernels"] = graph.meta.get("kernels") or kernel_report(graph, None)
        if graph.meta.get("fit"):       # the fit-first trade (tinygen.fit): layers traded for flash
            info["fit"] = graph.meta["fit"]
        (stage / MANIFEST).write_text(json.dumps(info, indent=2) + "\n")
        if library is not None:         # sources only: the user's project compiles them
            result = BuildResult(out_dir, info, {"library": out_dir})
        elif board.build == "host":
            from tinygen.build.host import build_host

            progress(f"compiling with {board.cc}")
            built = build_host(stage, board, label=str(out_dir))
            result = BuildResult(out_dir, info, {k: out_dir / v.name for k, v in built.items()})
        else:
            result = _build_firmware(source, graph, board, stage, out_dir, info, progress)
    result.manifest["files"] = json.loads((out_dir / MANIFEST).read_text()).get("files", [])
    return result


def _build_firmware(source: SourceModel, graph: Graph, board: Board, stage: Path, out_dir: Path, info: dict,
                    progress: Progress) -> BuildResult:
    """Firmware boards: refuse what cannot fit, write the firmware project, compile
    the images, measure them and record it all in the manifest."""
    from tinygen.build.firmware import build_firmware, record
    from tinygen.report.kernels import cmsis_nn_note, esp_nn_note

    predicted = predict(graph, board, info["weight_bytes"])
    check_prediction(predicted, board, str(source.path))
    progress(f"writing the {board.build} firmware project for {board.name}")
    project = write_firmware_project(graph, stage, source.name, board)
    built = build_firmware(stage, project, board, predicted, str(source.path), str(out_dir), progress)
    record(info, board, project, built, predicted, stage)
    if "cmsis_nn" in graph.meta:                # --kernels cmsis-nn: the tree it was built with
        info["cmsis_nn"] = graph.meta["cmsis_nn"]
    if "esp_nn" in graph.meta:                  # --kernels esp-nn: likewise
        info["esp_nn"] = graph.meta["esp_nn"]
    (stage / MANIFEST).write_text(json.dumps(info, indent=2) + "\n")
    # ESP-IDF builds: the real part's image is ESP-IDF's, known here only by the prediction
    memory = list(built.memory.values()) if project.idf_target is None else [predicted, *built.memory.values()]
    return BuildResult(out_dir, info, {name: out_dir / p.relative_to(stage) for name, p in built.artifacts.items()},
                       memory, built.notes + [note for note in [cmsis_nn_note(graph), esp_nn_note(graph)] if note])


__all__ = ["BuildResult", "SourceModel", "build", "compile_source", "graph_hash", "load_source",
           "switch_sources"]
