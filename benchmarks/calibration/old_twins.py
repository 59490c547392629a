"""The calibration twins built on an older CMSIS-NN (old_cmsis_nn.py's trees), for benchmarks/cycle_estimates.py:
which points ran which, the stack recorded for them in fitted.json, the trees from --cmsis-nn-<stack> PATH, and
the check that each such twin computes the numpy reference's bytes on the stand-in before it is priced."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from old_cmsis_nn import STACKS, TreeError, assemble
from tinygen.hil.target import open_device
from tinygen.ref.interpreter import run

L4R5_POINTS = tuple(f"mlperf-v0.5-reference-nucleo-l4r5zi-{m}" for m in ("kws", "vww", "ic", "ad"))
H743_VWW1 = "tinyengine-readme-2022-12-h743-vww1-tflm-cmsis-nn"
# the points whose twin --cmsis-nn-<stack> PATH builds on the older CMSIS-NN they ran, and the stack then recorded
OLD_STACK = {**{point: "2020" for point in L4R5_POINTS}, H743_VWW1: "2022"}
# the optimization the measured build compiled with, in place of the board's -O2: mbed-os's default
# (develop) profile for GCC_ARM, tools/profiles/develop.json, for the mbed-os project TFLM v2.3.1 generates;
# STM32CubeIDE's -Ofast for TinyEngine's (published.json's software_stack)
OLD_STACK_OPT = {"2020": "-Os", "2022": "-Ofast"}
OLD_STACK_NOTE = {
    "2020": (f"TFLM v2.3.1's CMSIS-NN: CMSIS_5 {STACKS['2020'].commit} (2020-05-19, CMSIS/NN arm_nnfunctions.h "
             "V.3.0.0) under tinygen's adapters through benchmarks/calibration/cmsis_nn_2020/arm_nnfunctions.h, "
             "dispatched as TFLM v2.3.1's cmsis-nn kernels did, compiled -Os as mbed-os's develop profile does; "
             "bit-exact with the reference on the stand-in"),
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


__all__ = ["H743_VWW1", "L4R5_POINTS", "OLD_STACK", "OLD_STACK_NOTE", "OLD_STACK_OPT", "OldTwin", "check_bit_exact",
           "old_trees", "old_twin", "with_opt"]
