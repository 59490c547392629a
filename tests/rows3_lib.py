"""Shared by the 3-row kernels' stand-in tests (tests/kernels/test_kernels_dsp_pw_rows3.py,
test_kernels_dsp_conv_rows3.py): a torch net compiled with one kernel on every layer it serves
as a --kernels auto candidate, and that build checked on a stand-in against the reference."""

from __future__ import annotations

import numpy as np
from single_rounding import to_single_rounding
from torch_models import compile_module

from e2e import assert_device_equals_reference
from tinygen.passes import CompileOptions
from tinygen.passes.choose_kernels import kernel_candidates


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
