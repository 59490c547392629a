"""The low-bit digits examples (examples/lowbit) built for the stm32n6570-dk take the Helium
low-bit kernels (XNOR / popcount, 4-bit weights) and equal the numpy reference on its
Cortex-M55 stand-in, every layer's output byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from e2e import ROOT, assert_device_equals_reference
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input

# example -> the Helium kernels its layers must take
EXAMPLES = {"bnn_digits": {"tg_conv2d_b1_b1_b1_mve"},
            "w4a4_digits": {"tg_conv2d_s8_s4_s8_mve"}}


@needs_qemu
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_lowbit_example_on_the_m55_standin(name, tmp_path):
    board = get_board("stm32n6570-dk")
    source = load_source(ROOT / "examples" / "lowbit" / f"{name}.py")
    graph = compile_source(source, None, CompileOptions(features=board.isa_features, kernels="tinygen"))
    kernels = {n.kernel for n in graph.nodes if n.kernel}
    assert EXAMPLES[name] <= kernels, kernels
    calib = np.asarray(source.default_calibration, np.float32)      # the example's calibration_data()
    assert len(calib) >= 4
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(calib[:4]):
            assert_device_equals_reference(dev, graph, quantize_input(graph, source.to_graph_layout(x[None])), f"{name} sample {i}")
