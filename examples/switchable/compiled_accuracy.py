"""Each switch of sp_digits.py through tinygen's compiler on its own (exported after
set_switch, compiled for the f746zg's kernels), scored by the numpy integer reference
(bit-exact with the generated C) on the 449 digits test images.

    python examples/switchable/compiled_accuracy.py [BOARD [KERNELS]]

KERNELS: tinygen (the preference order, default) or auto (per layer the fewest instructions
measured on the board's stand-in, as `tinygen build` chooses on Cortex-M; cached).
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

import sp_digits
from sp_digits import _digits
from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source
from tinygen.frontend.torch_loader import to_ir_layout
from tinygen.nn import set_switch, switches
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import dequantize, quantize_input, run


def main(board: str = "f746zg", kernels: str = "tinygen") -> None:
    from tinygen.fit.autotune import compile_auto

    net = sp_digits.model()
    _, (x, y) = _digits.dataset()
    options = CompileOptions(features=frozenset(get_board(board).isa_features), kernels=kernels)
    with tempfile.TemporaryDirectory() as tmp:
        calib = Path(tmp) / "calib.npy"
        np.save(calib, sp_digits.calibration_data())
        for name in switches(net):
            set_switch(net, name).eval()
            program = Path(tmp) / f"{name}.pt2"
            torch.export.save(torch.export.export(net, (torch.from_numpy(x[:1]),)), str(program))
            source = load_source(program)
            graph = compile_auto(source, str(calib), options, get_board(board)) if kernels == "auto" else \
                compile_source(source, str(calib), options)
            got = np.array([dequantize(graph, graph.outputs[0], run(graph, quantize_input(graph, xi[None]))[
                graph.outputs[0]]).ravel().argmax() for xi in to_ir_layout(x)])
            with torch.no_grad():
                want = net(torch.from_numpy(x)).numpy().argmax(1)
            weights = sum(graph.tensor(n.param("weight")).nbytes for n in graph.nodes if n.param("weight"))
            chosen = ", ".join(n.kernel for n in graph.nodes if n.kernel)
            print(f"| {name} | {np.mean(got == y):.2%} ({(got == y).sum()} / {len(y)}) | "
                  f"{np.mean(got == want):.2%} | {weights} | {chosen} |")


if __name__ == "__main__":
    main(*sys.argv[1:])
