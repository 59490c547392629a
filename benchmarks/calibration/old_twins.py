"""The calibration twins built on an older CMSIS-NN (old_cmsis_nn.py's trees), for benchmarks/cycle_estimates.py:
which points ran which, the stack recorded for them in fitted.json, the trees from --cmsis-nn-<stack> PATH, and
the check that each such twin computes the numpy reference's bytes on the stand-in before it is priced."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from old_cmsis_nn import STACKS, TreeError, assemble
from tinygen.hil.target import open_device
from tinygen.ref.interpreter import run

L4R5_POINTS = tuple(f"mlperf-v0.5-reference-nucleo-l4r5zi-{m}" for m in ("kws", "vww", "ic", "ad"))
H743_VWW1 = "tinyengine-readme-2022-12-h743-vww1-tflm-cmsis-nn"
# the points whose twin --cmsis-nn-<stack> PATH builds on the older CMSIS-NN they ran, and the stack then recorded
OLD_STACK = {**{point: "2020" for point in L4R5_POINTS}, H743_VWW1: "2022"}
OLD_STACK_NOTE = {
    "2020": (f"TFLM v2.3.1's CMSIS-NN: CMSIS_5 {STACKS['2020'].commit} (2020-05-19, CMSIS/NN arm_nnfunctions.h "
             "V.3.0.0) under tinygen's adapters through benchmarks/calibration/cmsis_nn_2020/arm_nnfunctions.h, "
             "dispatched as TFLM v2.3.1's cmsis-nn kernels did; bit-exact with the reference on the stand-in"),
    "2022": (f"CMSIS-NN {STACKS['2022'].commit} (2022-09-30, Include/arm_nnfunctions.h V.11.0.0) under tinygen's "
             "adapters through benchmarks/calibration/cmsis_nn_2022/arm_nnfunctions.h; bit-exact with the reference "
             "on the stand-in"),
}


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


def old_tree(point: dict, trees: dict[str, Path]) -> tuple[str | None, str | None]:
    """The older CMSIS-NN tree the point's twin is built on and the stack recorded for it; (None, None): the
    twin is built on $CMSIS_NN_PATH's."""
    stack = OLD_STACK.get(point["id"])
    if stack is None or stack not in trees:
        return None, None
    return str(trees[stack]), OLD_STACK_NOTE[stack]


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


__all__ = ["H743_VWW1", "L4R5_POINTS", "OLD_STACK", "OLD_STACK_NOTE", "check_bit_exact", "old_tree", "old_trees"]
