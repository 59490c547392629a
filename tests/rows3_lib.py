"""Shared by the row-block kernels' stand-in tests (tests/kernels/test_kernels_dsp_pw_rows3.py,
test_kernels_dsp_conv_rows3.py, test_kernels_dsp_conv_rows4.py): a torch net compiled with one
kernel on every layer it serves as a --kernels auto candidate, and that build checked on a
stand-in against the reference; the chain of drawn convs the im2col kernels' tests build."""

from __future__ import annotations

import numpy as np
import torch
from single_rounding import to_single_rounding
from torch_models import compile_module

from e2e import assert_device_equals_reference
from tinygen.passes import CompileOptions
from tinygen.passes.choose_kernels import kernel_candidates


class ConvChain(torch.nn.Module):
    """Convs of the drawn (in_c, out_c, kernel, stride, padding), a ReLU after the second (the next
    layer's input zero point -128) and a ReLU6 after the third."""

    def __init__(self, layers):
        super().__init__()
        body = []
        for i, (a, b, k, s, p) in enumerate(layers):
            body.append(torch.nn.Conv2d(a, b, k, stride=s, padding=p, bias=i % 2 == 0))
            body += [torch.nn.ReLU()] if i == 1 else [torch.nn.ReLU6()] if i == 2 else []
        self.body = torch.nn.Sequential(*body)

    def forward(self, x):
        return self.body(x)


def compile_chain(kernel: str, layers, hw: tuple[int, int], seed: int, features, specialize: bool = True):
    """compile_with of a ConvChain of `layers` (weights uniform in [-0.5, 0.5], seeded) over an
    h x w map, calibrated on 16 seeded normal inputs."""
    torch.manual_seed(seed)
    net = ConvChain(layers)
    for p in net.parameters():
        torch.nn.init.uniform_(p, -0.5, 0.5)
    net.eval()
    calib = np.random.default_rng(seed).standard_normal((16, layers[0][0], *hw)).astype(np.float32)
    return compile_with(kernel, net, calib, features, specialize)


def served_after_preferred(kernel: str, compile_seed, seeds, features=frozenset({"dsp"})) -> int:
    """How many conv layers of the nets compile_seed(seed, features) builds `kernel` serves,
    asserting that on each it is a candidate and not the first (the preferred kernel)."""
    served = 0
    for seed in seeds:
        _, graph, _, choice = compile_seed(seed, features)
        for n in (n for n in graph.nodes if n.op == "conv2d"):
            names = [c.name for c in kernel_candidates(graph, n, features)]
            if n.name in choice:
                served += 1
                assert n.kernel == kernel and names.index(kernel) > 0, names
    return served


def check_seed(kernel: str, compile_seed, board_name: str, seed: int, tmp_path, specialize: bool = True,
               bounds=None, once: bool = False) -> None:
    """compile_seed(seed, features, specialize)'s build checked on `board_name`'s stand-in
    (check_on_standin), `kernel` on at least 2 layers."""
    from tinygen.board import get_board

    board = get_board(board_name)
    compiled = compile_seed(seed, board.isa_features, specialize)
    assert len(compiled[3]) >= 2
    check_on_standin(kernel, board, compiled, tmp_path, f"{board_name} seed {seed}", specialize, bounds, once)


def compile_with(kernel: str, net, calib: np.ndarray, features, specialize: bool = True):
    """(source, graph, calib, choice): `net` compiled with `kernel` on every layer where it is a
    candidate (choice: those layers), no scratch-free swap at the arena's peak
    (tinygen/passes/lower_peak.py)."""
    features = frozenset(features)
    _, first = compile_module(net, calib, options=CompileOptions(features=features))
    choice = {n.name: kernel for n in first.nodes if kernel in [c.name for c in kernel_candidates(first, n, features)]}
    source, graph = compile_module(net, calib, options=CompileOptions(features=features, kernel_choice=choice,
                                                                      lower_peak=False))
    graph.meta["specialize"] = specialize
    return source, graph, calib, choice


def check_on_standin(kernel: str, board, compiled, tmp_path, label: str, specialize: bool = True,
                     bounds=None, once: bool = False) -> None:
    """Build `compiled` (compile_with's) for `board`, the chosen layers' activation clamped to
    `bounds` where given and (once) their pairs an ONNX model's single-rounding ones (the
    rounds-once mode), check that the specialized body is inlined exactly when `specialize`,
    and compare 3 inputs with the reference on its stand-in."""
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    source, graph, calib, choice = compiled
    for node in graph.nodes:
        if node.name in choice and bounds is not None:
            node.attrs["kparams"]["act_min"], node.attrs["kparams"]["act_max"] = bounds
    if once:
        assert len(to_single_rounding(graph, {kernel})) == len(choice)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    code = (project / "model.c").read_text()
    assert (f"{kernel}_inline(" in code) == specialize
    assert code.count("rounded once") >= (len(choice) if once and specialize else 0)
    with open_device(board, project, emulate=True) as dev:
        for i in range(3):
            x = quantize_input(graph, source.to_graph_layout(calib[i:i + 1] * 1.5))
            assert_device_equals_reference(dev, graph, x, f"{label} bounds {bounds} input {i}")
