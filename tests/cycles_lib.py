"""Hand-made blocks for the timing models' tests (tests/cycles/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygen.cycles.qemu_log import Block, Insn

INSTALL = {"arm-none-eabi-gcc": "gcc-arm-none-eabi", "qemu-system-arm": "qemu-system-arm",
           "riscv64-unknown-elf-gcc": "gcc-riscv64-unknown-elf", "qemu-system-riscv32": "qemu-system-misc"}


def block(*lines: str) -> Block:
    """Instructions as 'mnemonic operands', 4 bytes each from 0x100."""
    insns = []
    for i, line in enumerate(lines):
        mnemonic, _, operands = line.partition(" ")
        insns.append(Insn(0x100 + 4 * i, 4, mnemonic, operands.strip()))
    return Block(0x100, insns)


def standin_project(board, net, calib: np.ndarray, dest: Path, tools: tuple[str, ...]):
    """(source, graph, project, x): the torch `net` calibrated on `calib`, built for `board` into
    `dest`, and its first calibration sample as the quantized input bytes; skipped where the
    board's compiler or emulator (`tools`) is not installed."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (sudo apt-get install -y --no-install-recommends "
                    f"{' '.join(INSTALL[t] for t in missing)})")
    from torch_models import compile_module

    from tinygen.compiler import build
    from tinygen.passes import CompileOptions
    from tinygen.ref.interpreter import quantize_input

    source, graph = compile_module(net, calib, options=CompileOptions(features=board.isa_features))
    project = build(source, graph, board, dest).out_dir
    x = quantize_input(graph, source.to_graph_layout(calib[:1])).tobytes()
    return source, graph, project, x


__all__ = ["block", "standin_project"]
