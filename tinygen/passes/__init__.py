"""IR → IR passes and the pipeline that runs them in order.

Each pass is a plain function in its own module. The pipeline validates the IR
after every pass and can dump it (`trace=print`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from tinygen.build.cmsis_nn import find_cmsis_nn
from tinygen.ir import Graph, dump, validate
from tinygen.passes.calibrate import calibrate
from tinygen.passes.choose_kernels import choose_kernels
from tinygen.passes.fold_bn import fold_bn
from tinygen.passes.fold_transpose import fold_transpose
from tinygen.passes.fuse_activations import fuse_activations
from tinygen.passes.fuse_residual import fuse_residual
from tinygen.passes.plan_memory import check_plan, plan_memory
from tinygen.passes.quantize import quantize
from tinygen.passes.reorder import reorder


@dataclass
class CompileOptions:
    calib_method: str = "minmax"
    calib_percentile: float = 99.99
    features: frozenset = frozenset()     # target ISA features, from the board file
    kernels: str = "tinygen"              # kernel backend (tinygen.kernels.table.BACKENDS)
    # per-node kernel overrides (node name -> kernel name), e.g. measured by --kernels auto
    kernel_choice: dict | None = None
    cmsis_nn: str | None = None           # CMSIS-NN source tree (--cmsis-nn / $CMSIS_NN_PATH)
    arena_region: str | None = None       # board memory region for the arena (--arena-region)
    # fuse residual adds into the convs feeding them (passes/fuse_residual.py); None: where it
    # pays, i.e. with portable kernels (the fused kernel does strictly less work). With the DSP
    # kernels it lowers the arena but tg_conv2d_add_s8_dsp is still slower than
    # tg_conv2d_s8_dsp + tg_add_s8_dsp (IC: 23.05 M against 19.17 M instructions), so it is asked for
    fuse_residual: bool | None = None


def float_pipeline() -> list[tuple[str, Callable[[Graph], Graph]]]:
    """Passes on the float graph, before quantization."""
    return [
        # batch norm first: it needs the raw conv/linear outputs, before any fusion
        ("fold_bn", fold_bn),
        # layout: drop flatten transposes into fully connected weights
        ("fold_transpose", fold_transpose),
        # clamps fold into producers before calibration, so ranges are post-activation
        ("fuse_activations", fuse_activations),
    ]


def compile_graph(graph: Graph, calib_data: np.ndarray | None, options: CompileOptions | None = None,
                  trace: Callable[[str], None] | None = None) -> Graph:
    """Float IR from a frontend → quantized, lowered graph with kernels and a memory plan.

    A graph its frontend delivered already quantized (graph.meta["quantized"], e.g. an
    int8 .tflite) keeps its own parameters: the float passes, calibration and
    quantization are skipped and calib_data is not used.
    """
    options = options or CompileOptions()
    features = options.features
    if options.kernels == "cmsis-nn" or (options.kernels == "auto" and options.cmsis_nn):
        # CMSIS-NN kernels become selectable with a checked tree; the firmware build compiles it
        graph.meta["cmsis_nn"] = find_cmsis_nn(options.cmsis_nn).meta()
        features = frozenset(features) | {"cmsis-nn"}
    steps = [] if graph.meta.get("quantized") else float_pipeline() + [
        ("calibrate", lambda g: calibrate(g, calib_data, options.calib_method, options.calib_percentile)),
        ("quantize", quantize),
    ]
    fuse = options.fuse_residual
    if fuse is None:        # not for --kernels cmsis-nn: the conv is CMSIS-NN's, the add a separate call
        fuse = options.kernels == "portable" or (options.kernels != "cmsis-nn" and "dsp" not in features)
    if fuse:
        # on the quantized graph (it needs each tensor's grid), before the kernels are chosen
        steps.append(("fuse_residual", fuse_residual))
    steps += [
        # kernels after quantization: the choice depends on dtypes and bit widths
        ("choose_kernels", lambda g: choose_kernels(g, features, options.kernels,
                                                              options.kernel_choice)),
        # op order for the lowest peak: scratch sizes and in-place rules come from the kernels
        ("reorder", reorder),
        # memory last: scratch sizes come from the chosen kernels, lifetimes from the order
        ("plan_memory", lambda g: plan_memory(g, region=options.arena_region)),
    ]
    return run_passes(graph, steps, trace)


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
