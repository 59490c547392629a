"""The uncalibrated ESP32-C3 (RV32IMC) model: its rules on hand-made blocks (each test fails if
its rule is removed), QEMU's RISC-V log format folded into blocks, the weight reads through the
C3's shared flash cache, and one tiny model end to end through the esp32-c3 stand-in."""

from __future__ import annotations


import numpy as np
import pytest

from cycles_lib import block, standin_project
from tinygen.cycles import esp32_c3
from tinygen.cycles.price import price
from tinygen.cycles.qemu_log import LogFolder
from tinygen.cycles.weight_reads import RV32_PIXELS, graph_weight_reads, line_misses

C3_TIMING = {"flash_wait_states": 300, "code_cache_bytes": 16384, "code_line_bytes": 32, "data_cache_bytes": 16384,
             "data_line_bytes": 32, "data_cache_shared": True}


def cycles(*lines: str, taken: bool = False) -> int:
    return esp32_c3.block_cycles(block(*lines), taken=taken)[0]


def test_esp32_c3_load_use_stalls_only_a_reader_of_the_loaded_register():
    assert cycles("lw a1,0(a0)", "add a2,a3,a4") == 2
    assert cycles("lw a1,0(a0)", "add a2,a1,a4") == 2 + esp32_c3.LOAD_USE
    assert cycles("lb a1,0(a0)", "sw a1,0(a2)") == 2 + esp32_c3.LOAD_USE      # a store reads its data register
    assert cycles("lw zero,0(a0)", "add a2,zero,a4") == 2                     # x0 is no dependency


def test_esp32_c3_taken_branches_and_jumps_flush_the_pipeline():
    loop = ("mul a2,a1,a0", "addi t0,t0,-1", "bnez t0,-10                  # 0x80000008")
    assert cycles(*loop) == 3
    assert cycles(*loop, taken=True) == 3 + esp32_c3.TAKEN_BRANCH
    assert cycles("j 0", taken=True) == 1 + esp32_c3.JUMP
    assert cycles("ret", taken=True) == 1 + esp32_c3.INDIRECT


def test_esp32_c3_division_takes_the_serial_dividers_cycles():
    assert cycles("div a0,a1,a2") == esp32_c3.DIVIDE
    assert cycles("remu a0,a1,a2") == esp32_c3.DIVIDE
    assert [esp32_c3.kind(i) for i in block("mulhu a0,a1,a2", "csrrs a0,mhartid,zero", "lhu a0,2(a1)").insns] == [
        "mul", "csr", "load"]


# QEMU 7.2's -d in_asm,exec,nochain on qemu-system-riscv32 -M virt (a loop of 3 runs after a 4-instruction block)
RISCV_LOG = """----------------
IN: 
Priv: 3; Virt: 0
0x80000000:  80001137          lui                     sp,-2147479552
0x80000004:  4289              addi                    t0,zero,2
0x80000006:  4582              lw                      a1,0(sp)
0x80000008:  0505              addi                    a0,a0,1

Trace 0: 0x7f10ec000400 [00000000/80000000/00109003/ff020200] 
----------------
IN: 
Priv: 3; Virt: 0
0x8000000a:  4582              lw                      a1,0(sp)
0x8000000c:  12fd              addi                    t0,t0,-1
0x8000000e:  02a58633          mul                     a2,a1,a0
0x80000012:  fe029ce3          bnez                    t0,-8                   # 0x8000000a

Trace 0: 0x7f10ec0005c0 [00000000/8000000a/00109003/ff020200] 
Trace 0: 0x7f10ec0005c0 [00000000/8000000a/00109003/ff020200] 
Trace 0: 0x7f10ec0005c0 [00000000/8000000a/00109003/ff020200] 
----------------
IN: 
Priv: 3; Virt: 0
0x80000016:  a001              j                       0                       # 0x80000016

Trace 0: 0x7f10ec000780 [00000000/80000016/00109003/ff020200] 
"""


def test_esp32_c3_riscv_log_folds_into_sized_instructions_and_taken_branches():
    folder = LogFolder({0x80000000}, {0x80000016})
    for line in RISCV_LOG.splitlines(keepends=True):
        folder.feed(line)
    (seg,) = folder.finish()
    assert [i.size for i in folder.blocks[0].insns] == [4, 2, 2, 2]
    assert folder.blocks[1].end == 0x80000016
    assert seg.instructions(folder.blocks) == 4 + 3 * 4
    assert seg.runs == {(0, True): 1, (1, False): 2, (1, True): 1}
    # neither block's lw is followed by a reader of a1 (no load-use stall); the loop's branch is taken twice
    p = price(folder.blocks, seg, esp32_c3, C3_TIMING)
    assert p.core_cycles == 4 + 3 * 4 + 2 * esp32_c3.TAKEN_BRANCH
    assert p.mix == {"alu": 3 + 3, "load": 1 + 3, "mul": 3, "branch": 3}
    assert p.fetch_cycles > 0          # the cold code lines, at the board's miss penalty


def test_esp32_c3_weights_share_the_cache_with_the_layers_code():
    # 4096 B beside 2048 B of code fit the 16 KB cache: 128 cold line misses, however many passes
    assert line_misses(4096, 12, C3_TIMING, code_bytes=2048) == 4096 // 32
    # 12000 B would fit the whole cache (and half of it, a data cache's CACHE_SHARE), not beside 8 KB of code:
    # every line of every pass misses
    assert line_misses(12000, 3, C3_TIMING, code_bytes=8192) == 375 * 3
    assert line_misses(12000, 3, C3_TIMING, code_bytes=2048) == 375
    assert line_misses(65536, 3, C3_TIMING) == 2048 * 3


def test_esp32_c3_tiny_model_prices_weight_reads_per_layer(tmp_path):
    """A conv + pointwise + dense net built for the esp32-c3: its stand-in's logged run priced by the C3 model,
    each layer's instructions those the device counts (but for its counter reads), its weights' flash misses
    added."""
    import torch

    from tinygen.board import get_board
    from tinygen.cycles import estimate_standin

    board = get_board("esp32-c3")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(4, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(16, 32, 1),
                              torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(32 * 6 * 6, 10)).eval()
    calib = np.random.default_rng(0).standard_normal((8, 4, 6, 6)).astype(np.float32)
    _, graph, project, x = standin_project(board, net, calib, tmp_path / "fw",
                                           ("riscv64-unknown-elf-gcc", "qemu-system-riscv32"))
    est = estimate_standin(board, project, x)
    assert est["calibrated"] is False and est["model"] == esp32_c3.NAME
    for row in est["layers"]:
        # the device's count also holds the few instructions between its counter reads and the layer's call
        assert 0 <= row["device_count"] - row["instructions"] < 32, row["name"]
        assert row["cycles"] >= row["instructions"] and row["weight_read_cycles"] > 0, row
    reads = graph_weight_reads(graph, board.raw["timing"])
    convs = [reads[n.name] for n in graph.nodes if n.kernel == "tg_conv2d_s8_rv32"]
    assert len(convs) == 2 and all(r.passes == -(-36 // RV32_PIXELS) for r in convs), convs
    assert sum(r["mix"].get("mul", 0) for r in est["layers"]) > 0


def test_esp32_c3_weight_streams_follow_each_kernels_order():
    """The RV32 convolution reads its packed weights once per group of 3 pixels, the portable one (as TFLite
    Micro's reference kernels) once per pixel; the bytes are what the kernel reads from flash."""
    import torch
    from torch_models import compile_module

    from tinygen.board import get_board
    from tinygen.passes import CompileOptions

    board = get_board("esp32-c3")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 1), torch.nn.ReLU()).eval()
    calib = np.random.default_rng(0).standard_normal((4, 4, 5, 5)).astype(np.float32)

    def only_layer(kernels):
        graph = compile_module(net, calib, options=CompileOptions(features=board.isa_features, kernels=kernels))[1]
        (node,) = [n for n in graph.nodes if n.kernel]
        return node.kernel, graph_weight_reads(graph, board.raw["timing"])[node.name]

    kernel, rv32 = only_layer("tinygen")
    assert (kernel, rv32.pattern, rv32.passes) == ("tg_conv2d_s8_rv32", "im2col", -(-25 // RV32_PIXELS))
    kernel, portable = only_layer("portable")
    assert (kernel, portable.pattern, portable.passes) == ("tg_conv2d_s8", "per_pixel", 25)
    assert rv32.stream_bytes == 2 * (4 + 4) * 4 + 8 * 4 + 8 * 4 + 8      # packed (2 blocks), bias, multiplier, shift
    assert portable.stream_bytes == 8 * 4 + 8 * 4 + 8 * 4 + 8            # weights, bias, multiplier, shift
