"""The Cortex-M33 and Cortex-M55 models' rules on hand-made
instruction mixes (each test fails if its rule is removed), and one tiny
model end to end through the U585 and N6570 stand-ins' pricing."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from cycles_lib import block
from tinygen.cycles import cortex_m33, cortex_m55
from tinygen.cycles.disasm import redisassemble
from tinygen.cycles.qemu_log import Block, Insn


def test_m33_load_issues_in_one_cycle_and_stalls_a_user():
    independent = block("ldr r1, [r0]", "add r2, r3, r4")
    dependent = block("ldr r1, [r0]", "add r2, r1, r4")
    assert cortex_m33.block_cycles(independent, taken=False)[0] == 1 + 1
    assert cortex_m33.block_cycles(dependent, taken=False)[0] == 1 + cortex_m33.LOAD_USE + 1


def test_m33_taken_branch_refills():
    loop = block("smlad r2, r3, r4, r2", "subs r5, #1", "bne #0x100")
    assert cortex_m33.block_cycles(loop, taken=False)[0] == 3
    assert cortex_m33.block_cycles(loop, taken=True)[0] == 3 + cortex_m33.REFILL


def test_m55_mve_beats_overlap_across_pipes_not_within_one():
    # ARMScheduleM55.td's examples: VLDR; VADD; VMUL; VSTR in 5 cycles, VLDR; VLDRB; VADD; VSTR in 6
    assert cortex_m55.block_cycles(block("vldrw.u32 q0, [r0]", "vadd.i32 q1, q0, q2", "vmul.i32 q3, q1, q2",
                                         "vstrw.32 q3, [r1]"), taken=False)[0] == 5
    assert cortex_m55.block_cycles(block("vldrw.u32 q0, [r0]", "vldrb.u32 q1, [r2]", "vadd.i32 q1, q0, q1",
                                         "vstrw.32 q1, [r1]"), taken=False)[0] == 6


def test_m55_vmladav_loop_and_the_reduction_result_used_by_a_scalar():
    body = ("vldrb.s8 q0, [r0], #16", "vldrb.s8 q1, [r1], #16", "vmladava.s8 r2, q0, q1")
    # two loads share the load/store pipe (2 + 2), the MAC overlaps the second load's last beat (1)
    assert cortex_m55.block_cycles(block(*body), taken=False)[0] == 2 + 2 + 1
    used = cortex_m55.block_cycles(block(*body, "add r3, r2, r4"), taken=False)[0]
    unused = cortex_m55.block_cycles(block(*body, "add r3, r5, r4"), taken=False)[0]
    assert used == unused + cortex_m55.REDUCE_USE
    # the low-overhead loop's LE costs no refill, a taken B does
    assert cortex_m55.block_cycles(block(*body, "le lr, #0x100"), taken=True)[0] == 5 + 1
    assert cortex_m55.block_cycles(block(*body, "b #0x100"), taken=True)[0] == 5 + 1 + cortex_m55.REFILL


def test_m55_gathers_are_priced_as_gather_beats_in_the_load_store_pipe():
    """A gather ([Rn, Qm] or [Qm]) is told from a contiguous load and costs GATHER_BEATS (LLVM's two
    beats), overlapping a MAC as any load: the pairs kernel's step of one row."""
    gather = block("vldrh.u16 q3, [r9, q0, uxtw #1]").insns[0]
    assert cortex_m55.gathers(gather) and cortex_m55.gathers(block("vldrw.u32 q1, [q2, #8]").insns[0])
    assert not cortex_m55.gathers(block("vldrb.u16 q0, [r0], #8").insns[0])
    assert not cortex_m55.gathers(block("vmladava.s8 r6, q2, q3").insns[0])
    row = ("vldrb.u16 q0, [r0], #8", "vldrh.u16 q3, [r9, q0, uxtw #1]", "vmladava.s8 r6, q2, q3")
    assert cortex_m55.GATHER_BEATS == 2
    assert cortex_m55.block_cycles(block(*row), taken=False)[0] == 2 + cortex_m55.GATHER_BEATS + 1


def test_m55_predication_takes_one_control_cycle_and_breaks_the_overlap():
    assert cortex_m55.block_cycles(block("vctp.8 r3", "vpst", "vstrbt.8 q2, [r0]"), taken=False)[0] == 1 + 1 + 2


def test_redisassembly_replaces_qemus_coprocessor_view_of_mve():
    qemu = Block(0x100, [Insn(0x100, 4, "ldc", "p14, c1, [r0], #0x40"), Insn(0x104, 2, ".byte", "0x43, 0xf0"),
                         Insn(0x106, 2, "b", "#0x10c")])
    objdump = {0x100: Insn(0x100, 4, "vldrb.u8", "q0, [r0], #16"), 0x104: Insn(0x104, 4, "dls", "lr, r3")}
    (fixed,) = redisassemble([qemu], objdump)
    assert [i.mnemonic for i in fixed.insns] == ["vldrb.u8", "dls"] and fixed.end == qemu.end


@pytest.mark.parametrize("board_name", ["u585", "n6570"])
def test_cycles_tiny_model_on_the_m33_and_m55_standins(board_name, tmp_path):
    """A conv + dense net built for the board, one input through its stand-in's logged run and the
    board's model: exact instructions, estimated cycles marked calibrated or not as the core's model
    is, weight reads from flash priced; on the M55 the
    Helium instructions are seen as such (objdump's names, not QEMU's coprocessor view)."""
    for tool in ("arm-none-eabi-gcc", "arm-none-eabi-objdump", "qemu-system-arm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (sudo apt-get install -y --no-install-recommends gcc-arm-none-eabi "
                        "qemu-system-arm)")
    import torch
    from torch_models import compile_module

    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.cycles import estimate_standin
    from tinygen.passes import CompileOptions
    from tinygen.ref.interpreter import quantize_input

    board = get_board(board_name)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(4, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(16 * 8 * 8, 10)).eval()
    calib = np.random.default_rng(0).standard_normal((8, 4, 8, 8)).astype(np.float32)
    source, graph = compile_module(net, calib, options=CompileOptions(features=board.isa_features))
    project = build(source, graph, board, tmp_path / "fw").out_dir
    x = quantize_input(graph, source.to_graph_layout(calib[:1]))
    est = estimate_standin(board, project, x.tobytes())
    total = est["total"]
    model = cortex_m55 if board_name == "n6570" else cortex_m33
    assert est["calibrated"] is model.CALIBRATED and est["calibration_note"] == model.CALIBRATION
    fitted = sum(row["fit_cycles"] for row in est["layers"])
    assert fitted > 0 if model.CALIBRATED else fitted == 0      # a fit is applied only where calibrated
    assert sum(row["weight_read_cycles"] for row in est["layers"]) > 0
    assert total["instructions"] > 1000 and total["cycles"] > 0
    mve = sum(row["mix"].get("mve", 0) for row in est["layers"])
    if board_name == "n6570":
        assert mve > 0, [row["mix"] for row in est["layers"]]
    else:
        assert mve == 0
