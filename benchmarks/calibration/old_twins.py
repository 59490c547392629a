"""The calibration twins built on an older CMSIS-NN (old_cmsis_nn.py's trees), for benchmarks/cycle_estimates.py:
which points ran which, the stack recorded for them in fitted.json, the trees from --cmsis-nn-<stack> PATH, and
the check that each such twin computes the numpy reference's bytes on the stand-in before it is priced."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from old_cmsis_nn import STACKS, TreeError, assemble, write_invokes
from tinygen.hil.target import open_device
from tinygen.ref.interpreter import run

L4R5_POINTS = tuple(f"mlperf-v0.5-reference-nucleo-l4r5zi-{m}" for m in ("kws", "vww", "ic", "ad"))
H743_VWW1 = "tinyengine-readme-2022-12-h743-vww1-tflm-cmsis-nn"
F746_PLUMERAI = "plumerai-blog-2021-10-f746-mobilenetv2-tensorflow-lite-for-microcontrollers-2-5-with-cmsis-nn"
# the points whose twin --cmsis-nn-<stack> PATH builds on the older CMSIS-NN they ran, and the stack then recorded
OLD_STACK = {**{point: "2020" for point in L4R5_POINTS}, H743_VWW1: "2022", F746_PLUMERAI: "2021"}
# the optimization the measured build compiled with, in place of the board's -O2: mbed-os's default
# (develop) profile for GCC_ARM, tools/profiles/develop.json, for the mbed-os project TFLM v2.3.1 generates;
# STM32CubeIDE's -Ofast for TinyEngine's (published.json's software_stack); Plumerai's post states no flags: the
# board's -O2
OLD_STACK_OPT = {"2020": "-Os", "2021": "-O2", "2022": "-Ofast"}
OLD_STACK_NOTE = {
    "2020": (f"TFLM v2.3.1's CMSIS-NN: CMSIS_5 {STACKS['2020'].commit} (2020-05-19, CMSIS/NN arm_nnfunctions.h "
             "V.3.0.0) under tinygen's adapters through benchmarks/calibration/cmsis_nn_2020/arm_nnfunctions.h, "
             "dispatched as TFLM v2.3.1's cmsis-nn kernels did, compiled -Os as mbed-os's develop profile does; "
             "bit-exact with the reference on the stand-in"),
    "2021": (f"TFLM v2.5's CMSIS-NN: CMSIS_5 {STACKS['2021'].commit} (2021-02-24, CMSIS/NN arm_nnfunctions.h "
             "V.6.5.3) under tinygen's adapters through benchmarks/calibration/cmsis_nn_2021/arm_nnfunctions.h, "
             "compiled -O2 (the post states no flags); bit-exact with the reference on the stand-in"),
    "2022": (f"CMSIS-NN {STACKS['2022'].commit} (2022-09-30, Include/arm_nnfunctions.h V.11.0.0) under tinygen's "
             "adapters through benchmarks/calibration/cmsis_nn_2022/arm_nnfunctions.h, compiled -Ofast as the "
             "README's build; bit-exact with the reference on the stand-in"),
}


@dataclass(frozen=True)
class OldTwin:
    """How a point's twin is built on the older CMSIS-NN it ran: the tree, the stack recorded, the board
    whose compile flags are the measured build's optimization."""
    tree: str
    stack: str
    board: object


def old_trees(given: dict[str, str | None], work: Path) -> dict[str, Path]:
    """The compatibility trees of the stacks given a path (--cmsis-nn-<stack>), assembled under `work`; CMSIS Core's
    headers, where a stack needs them, are CMSIS 6's ($CMSIS_6_PATH). SystemExit in one line for a wrong tree."""
    core = Path(os.environ.get("CMSIS_6_PATH", ".")) / "CMSIS" / "Core" / "Include"
    trees = {}
    for stack, path in given.items():
        if path:
            try:
                trees[stack] = assemble(STACKS[stack], Path(path), work / f"cmsis_nn_{stack}", core)
            except TreeError as e:
                raise SystemExit(f"--cmsis-nn-{stack}: {e}") from None
    return trees


def with_opt(board, opt: str):
    """The board with `opt` for its compile flags' optimization level (-O2, -Os...)."""
    cflags = [opt if f.startswith("-O") else f for f in board.cflags]
    return replace(board, toolchain={**board.toolchain, "cflags": cflags})


def old_twin(point: dict, board, trees: dict[str, Path]) -> OldTwin | None:
    """How the point's twin is built on the older CMSIS-NN it ran; None: on $CMSIS_NN_PATH's, as the board
    compiles."""
    stack = OLD_STACK.get(point["id"])
    if stack is None or stack not in trees:
        return None
    return OldTwin(str(trees[stack]), OLD_STACK_NOTE[stack], with_opt(board, OLD_STACK_OPT[stack]))


# the twin's layers that run TFLM v2.3.1's per-Eval work (cmsis_nn_2020/tflm_v231_invoke.h), by op: the table's kind
# and the two sizes by which the wrapper finds its entry, from the layer's kernel parameters
INVOKE_KINDS = {
    "conv2d": ("TG2020_CONV", "in_c", "out_c"), "depthwise_conv2d": ("TG2020_DEPTHWISE", "in_c", "out_c"),
    "fully_connected": ("TG2020_FC", "in_features", "out_features"), "avg_pool2d": ("TG2020_AVGPOOL", "channels", None),
    "max_pool2d": ("TG2020_MAXPOOL", "channels", None), "add": ("TG2020_ADD", "size", None),
    "softmax": ("TG2020_SOFTMAX", "depth", None),
}


def _scales(graph, name: str | None) -> list[float]:
    q = graph.tensors[name].qparams if name else None
    return [] if q is None else [float(np.float32(s)) for s in np.ravel(q.scale)]


def _activation(kp: dict, zero_point: int, scale: float) -> str:
    """The fused activation TFLM's activation range was computed for, from the range the layer keeps: a
    bound of 6 (ReLU6), a lower bound at the zero point (ReLU), else none."""
    six = zero_point + round(6.0 / scale)
    if kp.get("act_max", 127) < 127 and kp["act_max"] == six:
        return "TG2020_ACT_RELU6"
    return "TG2020_ACT_RELU" if kp.get("act_min", -128) == max(-128, zero_point) else "TG2020_ACT_NONE"


def invokes(graph) -> list[dict]:
    """The table of tflm_v231_invoke.h for the twin of `graph`: per layer that calls a wrapped CMSIS-NN function,
    in the order the layers run, its sizes and the float32 scales its Eval computed its parameters from."""
    entries = []
    for node in (n for n in graph.nodes if n.kernel and n.op in INVOKE_KINDS):
        kind, a, b = INVOKE_KINDS[node.op]
        kp = node.attrs["kparams"]
        out = graph.tensors[node.outputs[0]].qparams
        out_scale, zero = float(np.float32(np.ravel(out.scale)[0])), int(np.ravel(out.zero_point)[0])
        ins = _scales(graph, node.inputs[0])
        entry = {"kind": kind, "a": int(kp[a]), "b": int(kp[b]) if b else 0, "output_zero_point": zero,
                 "input_scale": ins[0], "output_scale": out_scale, "activation": _activation(kp, zero, out_scale)}
        if node.op in ("conv2d", "depthwise_conv2d", "fully_connected"):
            entry["filter_scales"] = _scales(graph, node.param("weight"))
            bias = _scales(graph, node.param("bias"))
            entry["bias_scale"] = bias[0] if bias else entry["input_scale"] * entry["filter_scales"][0]
        elif node.op == "add":
            entry["input2_scale"] = _scales(graph, node.inputs[1])[0]
        elif node.op == "softmax":
            entry["beta"] = float(np.float32(node.attrs.get("beta", 1.0)))
        entries.append(entry)
    return entries


def prepare_twin(graph, tree: str | None) -> None:
    """Before a twin on an old tree is built: the model's table of TFLM v2.3.1's per-Eval work, where the tree's
    stack does that work (the 2020 tree; others have no table)."""
    if tree:
        write_invokes(Path(tree), invokes(graph))


def check_bit_exact(board, graph, project: Path, x: np.ndarray) -> None:
    """One inference of the built firmware on the board's stand-in equals the numpy reference, its outputs and
    every layer's (SystemExit naming the first layer that differs)."""
    want = run(graph, x.ravel(), keep_all=True)
    with open_device(board, project, emulate=True) as dev:
        dev.run(x.astype("<i1").tobytes())
        for index, node in enumerate(n for n in graph.nodes if n.kernel):
            got = np.frombuffer(dev.layer_out(index), dtype=np.int8)
            out = want[node.outputs[0]]
            ref = np.ascontiguousarray(out, dtype=out.dtype.newbyteorder("<")).view(np.int8).ravel()
            if not np.array_equal(got, ref):
                raise SystemExit(f"{project.name}: layer {node.name} ({node.kernel}) differs from the reference in "
                                 f"{int(np.sum(got != ref))} of {ref.size} bytes")
    print(f"{project.name}: bit-exact with the reference on {board.name}'s stand-in, every layer "
          f"({sum(1 for n in graph.nodes if n.kernel)})", file=sys.stderr, flush=True)


__all__ = ["F746_PLUMERAI", "H743_VWW1", "INVOKE_KINDS", "L4R5_POINTS", "OLD_STACK", "OLD_STACK_NOTE", "OLD_STACK_OPT",
           "OldTwin", "check_bit_exact", "invokes", "old_trees", "old_twin", "prepare_twin", "with_opt"]
