"""IR → IR passes and the pipeline that runs them in order.

Each pass is a plain function in its own module. The pipeline validates the IR
after every pass and can dump it (`trace=print`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from tinygen.ir import TABLE_OPS, Graph, dump, validate
from tinygen.kernels.cmsis_nn_tree import find_cmsis_nn
from tinygen.kernels.esp_nn import esp_nn_features
from tinygen.errors import UsageError
from tinygen.kernels.esp_nn_tree import find_esp_nn
from tinygen.passes.activation_widths import activation_widths, parse_activations
from tinygen.passes.calibrate import calibrate
from tinygen.passes.choose_kernels import choose_kernels
from tinygen.passes.compact import compact
from tinygen.passes.entropy_code import entropy_code
from tinygen.passes.fold_bn import fold_bn
from tinygen.passes.fold_layout import fold_layout
from tinygen.passes.fold_matmul_scale import fold_matmul_scale
from tinygen.passes.fold_pad import fold_pad
from tinygen.passes.fold_transpose import fold_transpose
from tinygen.passes.fuse_activations import fuse_activations
from tinygen.passes.fuse_gates import fuse_gates
from tinygen.passes.fuse_norm import fuse_norm
from tinygen.passes.fuse_residual import fuse_residual
from tinygen.passes.lower_bits import lower_bits
from tinygen.passes.lower_peak import FLASH_PER_RAM_BYTE, INSTRUCTIONS_PER_RAM_BYTE, lower_peak
from tinygen.passes.nested import nested_planes
from tinygen.passes.order_exits import order_exits
from tinygen.passes.plan_camera import plan_camera
from tinygen.passes.plan_memory import check_plan, plan_memory
from tinygen.passes.quantize import quantize
from tinygen.passes.reorder import reorder
from tinygen.passes.share_weights import share_weights
from tinygen.passes.stateful import stateful
from tinygen.passes.tabulate import tabulate
from tinygen.passes.tile import tile


@dataclass
class CompileOptions:
    calib_method: str = "minmax"
    calib_percentile: float = 99.99
    features: frozenset = frozenset()     # target ISA features, from the board file
    kernels: str = "tinygen"              # kernel backend (tinygen.kernels.table.BACKENDS)
    # per-node kernel overrides (node name -> kernel name), e.g. measured by --kernels auto
    kernel_choice: dict | None = None
    # per-node kernels chosen to fit the board's flash (tinygen/fit/): over kernel_choice,
    # and lower_peak leaves these layers alone
    fit_choice: dict | None = None
    # convs whose residual add stays a separate node (fuse_residual's `keep`), chosen by the
    # fit-first trade where the fused kernel's widened weights do not fit
    unfused: frozenset = frozenset()
    # --kernels auto's pick per layer (tinygen/kernels/auto_pick.py): "balanced" takes a kernel
    # with more constant flash than the preferred one only for INSTRUCTIONS_PER_FLASH_BYTE
    # instructions saved per byte added; "speed" the fastest measured, whatever its flash
    prefer: str = "balanced"
    cmsis_nn: str | None = None           # CMSIS-NN source tree (--cmsis-nn / $CMSIS_NN_PATH)
    esp_nn: str | None = None             # ESP-NN source tree (--esp-nn / $ESP_NN_PATH)
    arena_region: str | None = None       # board memory region for the arena (--arena-region)
    # fuse residual adds into the convs feeding them (passes/fuse_residual.py); None: where it
    # pays, i.e. with tinygen's kernels, portable or DSP (not --kernels cmsis-nn: the conv is
    # CMSIS-NN's there). The fused kernel skips the add's pass and lets the output take the skip's
    # place: on the f746zg stand-in IC's fused blocks take 3.34 M / 2.66 M / 2.19 M instructions
    # against 3.77 M / 3.12 M / 2.81 M for tg_conv2d_s8_dsp + tg_add_s8_dsp. True/False force it.
    fuse_residual: bool | None = None
    # memory-aware kernel choice (passes/lower_peak.py), default on: after planning, a layer at
    # the arena's peak whose kernel needs scratch gets a scratch-free candidate kernel instead
    # (tg_conv2d_direct_s8_dsp for tg_conv2d_s8_dsp), only where that lowers the planned arena,
    # overriding kernel_choice (--kernels auto's) there; every other layer keeps its fastest
    # kernel. graph.meta["lower_peak"] and `tinygen inspect --memory` list the layers changed
    lower_peak: bool = True
    # the most flash lower_peak may add (a kernel with larger constants) per arena byte it saves:
    # passes/lower_peak.py's FLASH_PER_RAM_BYTE; None: any swap that lowers the arena (the
    # fit-first RAM trade's, tinygen/fit/, where the RAM does not fit)
    lower_peak_flash: float | None = FLASH_PER_RAM_BYTE
    # the most instructions lower_peak may add per arena byte it saves: passes/lower_peak.py's
    # INSTRUCTIONS_PER_RAM_BYTE; None: any (the fit-first RAM trade sets both bounds None)
    lower_peak_instructions: float | None = INSTRUCTIONS_PER_RAM_BYTE
    # node -> kernel -> executed instructions --kernels auto measured (lower_peak weighs swaps by
    # them; estimated where absent)
    kernel_counts: dict | None = None
    # lower_peak's floor: the arena the firmware image needs whatever this graph does (for one
    # switch of a switchable model, the largest other switch's: tinygen/switches.py
    # lowering_bound); lowering below it saves no RAM, so the faster kernels stay
    arena_floor: int = 0
    # structured compaction of pruned layers (passes/compact.py), default on: output channels
    # whose integer weights are all zero are removed with the readers' matching input
    # channels where that is exact; graph.meta["compact"] records what went
    compact: bool = True
    # switchable-precision models: "separate" stores each switch's weights at its width (exact
    # for any quantizer); "nested" stores nested layers once as 8 bit planes read by the
    # bit-serial kernel (passes/nested.py; the model's nested quantizer guarantees the nesting)
    storage: str = "separate"
    # ("mixed": nested, with nested_int8 chosen where the board's flash allows, tinygen/fit/switches.py)
    # with storage "nested": the layers (by source; "*": all) whose top 8-bit switch keeps its
    # int8 codes and kernels beside the planes (passes/nested.py, mixed storage)
    nested_int8: tuple[str, ...] = ()
    # the camera front end (--camera, tinygen.passes.camera_input.CameraSpec): its scratch is planned
    # into the arena beside the model's input (passes/plan_camera.py); None: no front end
    camera: object = None
    # with the camera front end and a banded model whose input is outside the arena (row bands,
    # passes/band.py): the input streams in (plan_memory.STREAM_INPUT; passes/plan_camera.py): the
    # input buffer holds one band's window of rows and the bands run as the frame's rows arrive.
    # False (--whole-input): the whole input is held, so tg load / tg invoke / tg input still work
    stream_input: bool = True
    # patch-based inference (passes/tile.py): "off"; "auto": the split tensor and tile grid
    # with the smallest arena within tile.MAX_EXTRA_MACS more MACs, if any lowers it;
    # (split tensor, (gh, gw)): that tiling; (split tensor, "bands", n): n full-width row bands with
    # cached halos (passes/band.py). graph.meta["tile"] records what was done or why not.
    # None: off, but the fit step (tinygen/fit/ram.py) tries "auto" where the RAM does not fit;
    # "off" never tiles
    tile: object = None
    # recurrent layers (passes/stateful.py): True (--stateful): each layer's state carries over from
    # one invocation to the next (streaming, frame by frame); False: each starts from h0 / c0
    stateful: bool = False
    # activation width (passes/activation_widths.py, --activations): "int8"; "int16" (TFLite's 16x8
    # quantization for every layer with int16 kernels, the rest int8 with QUANTIZE nodes between);
    # "int16:LAYER,..." (those layers, by module path or node name)
    activations: str = "int8"
    # weight storage of the MAC layers (--weights, tinygen.quant.weight_spec.WeightSpec): weight
    # sharing (lut:BITS) and entropy coding (huffman); None: int8
    weights: object = None


def float_pipeline() -> list[tuple[str, Callable[[Graph], Graph]]]:
    """Passes on the float graph, before quantization."""
    return [
        # batch norm first: it needs the raw conv/linear outputs, before any fusion
        ("fold_bn", fold_bn),
        # layout: drop flatten transposes into fully connected weights
        ("fold_transpose", fold_transpose),
        # after fold_transpose (whose flatten-into-weights rewrite it would hide): what layout
        # chains remain (channel shuffle, permute) become one transpose or a free reshape
        ("fold_layout", fold_layout),
        # attention and norms: an RMS norm written out becomes one rms_norm node; a scalar
        # multiply feeding a batch matmul (the attention scale) folds into its requantization
        ("fuse_norm", fuse_norm),
        ("fold_matmul_scale", fold_matmul_scale),
        # clamps fold into producers before calibration, so ranges are post-activation
        ("fuse_activations", fuse_activations),
    ]


def compile_graph(graph: Graph, calib_data: np.ndarray | None, options: CompileOptions | None = None,
                  trace: Callable[[str], None] | None = None) -> Graph:
    """Float IR from a frontend → quantized, lowered graph with kernels and a memory plan.

    A graph its frontend delivered already quantized (graph.meta["quantized"], e.g. an
    int8 .tflite) keeps its own parameters: the float passes, calibration and
    quantization are skipped and calib_data is not used. graph.meta["quantized"] ==
    "float32": a float model that runs in float32 (a float .tflite without --calib), its
    kernels TFLite Micro's float reference kernels.
    """
    options = options or CompileOptions()
    features = options.features
    if parse_activations(options.activations)[0] != "int8" and graph.meta.get("quantized"):
        raise UsageError(f"--activations {options.activations} applies to models tinygen quantizes (PyTorch, float "
                         f"ONNX); {graph.name!r} comes quantized ({graph.meta['quantized']}) and keeps its own "
                         "activation types", "drop --activations, or convert the float model with TFLite's 16x8 "
                         "quantization for int16 activations")
    if options.kernels == "cmsis-nn" or (options.kernels == "auto" and options.cmsis_nn):
        # CMSIS-NN kernels become selectable with a checked tree; the firmware build compiles it
        features = frozenset(features) | {"cmsis-nn"}
        # with the features its kernels are chosen under (a Helium core takes other adapters)
        graph.meta["cmsis_nn"] = dict(find_cmsis_nn(options.cmsis_nn).meta(), features=sorted(features))
    if options.kernels == "esp-nn" or (options.kernels == "auto" and options.esp_nn):
        # likewise ESP-NN's (ESP32 boards: the CLI passes a tree to auto only there)
        graph.meta["esp_nn"] = find_esp_nn(options.esp_nn).meta()
        features = esp_nn_features(features)
    # a quantized ONNX model's NCHW flattens and transposes (layout ops keep their grid): as a float model's
    onnx_layout = [("fold_transpose", fold_transpose), ("fold_layout", fold_layout)]
    steps = (onnx_layout if graph.meta.get("quantized") == "onnx" else []) if graph.meta.get("quantized") else float_pipeline() + [
        ("calibrate", lambda g: calibrate(g, calib_data, options.calib_method, options.calib_percentile)),
        # on calibrated ranges (a requantize node it inserts takes its input's), before quantize
        # gives the int16 tensors their grids
        ("activation_widths", lambda g: activation_widths(g, options.activations)),
        ("quantize", quantize),
    ]
    if any(n.op == "pad" for n in graph.nodes):
        # on the quantized graph (the pad value must be the conv input's zero point), before
        # compact, fuse_residual, the kernels and tiling: the conv then reads the pad's input
        steps.append(("fold_pad", fold_pad))
    if any(n.op == "channel_gate" for n in graph.nodes):
        # on the quantized graph (the fused kernel needs the conv result's and the multiply's
        # grids), before compact: a gated conv's channels are decided at run time
        steps.append(("fuse_gates", fuse_gates))
    if any(n.op == "exit_select" for n in graph.nodes):
        # early heads first, each before the layers it lets the model skip (reorder keeps it)
        steps.append(("order_exits", order_exits))
    if any(n.op in TABLE_OPS or n.op == "prelu" for n in graph.nodes):
        # on the quantized graph (a table depends on the input's and output's grids), before the
        # kernels are chosen: the table kernel reads it
        steps.append(("tabulate", tabulate))
    in_float = graph.meta.get("quantized") == "float32"     # a float model run as it is (float32 kernels)
    # a model of plain integers (the signal library's audio front end) has no channels to compact
    if options.compact and not in_float and not graph.meta.get("plain_integers"):
        # on integer weights (a zero filter is exactly zero there), before lower_bits packs them
        steps.append(("compact", compact))
    if options.storage in ("nested", "mixed") and graph.meta.get("nested_codes"):
        # one switch of a switchable model: nested layers read the shared bit planes
        steps.append(("nested_planes", lambda g: nested_planes(g, frozenset(options.nested_int8))))
    if not graph.meta.get("quantized") or any("lowbit" in n.attrs for n in graph.nodes):
        # tinygen.nn layers (and a quantized ONNX model's 4- / 2-bit layers): FC as convolutions,
        # bit unpacking, weights packed at their width
        steps.append(("lower_bits", lower_bits))
    fuse = options.fuse_residual
    shared = options.weights is not None and bool(options.weights.lut_bits)
    if fuse is None:        # not for --kernels cmsis-nn / esp-nn: the conv is the library's, the add a separate call
        # nor with shared weights on a DSP core: the fused DSP kernel reads widened int16 weights, while
        # a plain conv decodes its shared weights into scratch for the int8 DSP kernel (the portable
        # fused kernel, tg_conv2d_add_lut_s8, runs about 5x its instructions); with Helium, the fused
        # MVE kernel decodes them as the plain conv's does (tg_conv2d_add_lut_decode_s8_mve)
        fuse = options.kernels not in ("cmsis-nn", "esp-nn") and not (shared and "dsp" in features
                                                                       and "mve" not in features)
    if fuse and not in_float:
        # on the quantized graph (it needs each tensor's grid), before the kernels are chosen
        steps.append(("fuse_residual", lambda g: fuse_residual(g, frozenset(options.unfused))))

    def choose(g: Graph, overrides: dict[str, str] | None = None) -> Graph:
        return choose_kernels(g, features, options.kernels,
                              {**(options.kernel_choice or {}), **(overrides or {}), **(options.fit_choice or {})})

    def replan(g: Graph, overrides: dict[str, str]) -> Graph:
        return plan_memory(reorder(choose(g, overrides)), region=options.arena_region)

    spec = options.weights
    if spec is not None and spec.lut_bits and not in_float:
        # weight sharing: on the final int8 weights (after compaction and fusion: the layers the
        # kernels will run), before the kernels are chosen (the LUT kernels read the codebook)
        steps.append(("share_weights", lambda g: share_weights(g, calib_data, spec.lut_bits, spec.lut_axis)))
    if spec is not None and spec.huffman and in_float:
        raise UsageError(f"--weights huffman codes int8 weights; {graph.name!r} runs in float32",
                         "give --calib to quantize the model, or leave --weights out")
    if spec is not None and spec.huffman:
        # after share_weights (a shared layer codes its codebook indices), on the final integer
        # weights, before the kernels are chosen: a coded layer takes only the huffman kernels
        steps.append(("entropy_code", entropy_code))
    if options.stateful:
        # before the kernels' parameters are built: they say whether a layer resets each call
        steps.append(("stateful", stateful))
    steps += [
        # kernels after quantization: the choice depends on dtypes and bit widths
        ("choose_kernels", choose),
        # op order for the lowest peak: scratch sizes and in-place rules come from the kernels
        ("reorder", reorder),
        # memory last: scratch sizes come from the chosen kernels, lifetimes from the order
        ("plan_memory", lambda g: plan_memory(g, region=options.arena_region)),
    ]
    if options.tile not in (None, "off"):
        # after a plan (the choice compares arenas), before lower_peak (which works on the tiles)
        steps.append(("tile", lambda g: tile(g, options.tile, lambda t: replan(t, {}))))
    if options.lower_peak:
        # after a plan: scratch-free kernels for the layers at its peak, re-planned (choose, reorder, plan)
        steps.append(("lower_peak", lambda g: lower_peak(g, replan, features, options.kernels,
                                                         frozenset(options.fit_choice or ()),
                                                         options.lower_peak_flash, options.arena_floor,
                                                         options.lower_peak_instructions,
                                                         options.kernel_counts)))
    if options.camera is not None:
        # after the model's final plan: the front end takes arena bytes free while it runs (before
        # the first layer, or through the last band's input read where the input streams in)
        steps.append(("plan_camera", lambda g: plan_camera(g, options.camera, options.stream_input)))
    graph = run_passes(graph, steps, trace)
    if fuse and options.unfused:
        graph.meta["unfused"] = sorted(options.unfused)   # the fit's recompiles keep them (tinygen/fit/code.py)
    return graph


def run_passes(graph: Graph, steps, trace=None) -> Graph:
    validate(graph)
    for name, fn in steps:
        graph = fn(graph)
        validate(graph)
        if trace is not None:
            trace(f"# after {name}\n{dump(graph)}")
    if "memory" in graph.meta:
        check_plan(graph)
    return graph


__all__ = ["CompileOptions", "compile_graph", "float_pipeline", "run_passes"]
