"""tg_depthwise_conv2d_kx1_s8_dsp's build-time cases (TG_DW_KX1_CASES, tinygen/codegen/kx1_cases.py):
an image links only the inlined cases of tg_dw_kx1_run its layers run, and a case left out still
equals the reference (one output at a time)."""

from __future__ import annotations

from pathlib import Path

import pytest

import tinygen.codegen.build_flags as build_flags
from standin_lib import needs_qemu
from test_kernels_dsp_depthwise_kx1 import KX1, _export, device_equals_reference
from tinygen.board import get_board
from tinygen.build.elf import read_elf
from tinygen.codegen.kx1_cases import case_flags, kx1_case_flags
from tinygen.compiler import build, compile_source
from tinygen.kernels.depthwise_kx1_dsp import kx1_case
from tinygen.passes import CompileOptions


def _seq(kernel, stride=1, dilation=1, act=(-128, 127)):
    out = 8
    return {"depth_multiplier": 1, "kernel_h": kernel, "kernel_w": 1, "in_w": 1, "out_w": 1, "pad_left": 0,
            "in_h": stride * (out - 1) + (kernel - 1) * dilation + 1, "stride_h": stride, "dilation_h": dilation,
            "pad_top": 0, "out_h": out, "act_min": act[0], "act_max": act[1]}


def test_kx1_case_names_tg_dw_kx1_run_case():
    """The bit is TG_DW_KX1_BIT(slot, stride2, clamp): slot the tap pairs 1..5 (kernel // 2 + 1),
    0 for longer kernels at stride 1; none where the kernel goes one output at a time."""
    assert kx1_case(_seq(3)) == 4 * 2
    assert kx1_case(_seq(3, act=(0, 127))) == 4 * 2 + 1
    assert kx1_case(_seq(9, stride=2, act=(-128, 100))) == 4 * 5 + 2 + 1
    assert kx1_case(_seq(10)) == 0 and kx1_case(_seq(15, act=(0, 6))) == 1      # counted at run time
    assert kx1_case(_seq(10, stride=2)) is None         # longer at stride 2: one output at a time
    assert kx1_case(_seq(3, stride=2, dilation=2)) is None and kx1_case(_seq(3, stride=3)) is None
    assert kx1_case({**_seq(3), "in_w": 2}) is None     # not one sequence


def test_case_flags_is_the_union_of_the_layers_cases():
    """One bit per case any layer runs; a layer that runs none (stride 3) adds no bit."""
    class N:
        def __init__(self, p):
            self.attrs = {"kparams": p}

    assert case_flags([]) == ()
    assert case_flags([N(_seq(10)), N(_seq(15)), N(_seq(3, stride=3))]) == ("-DTG_DW_KX1_CASES=0x1u",)
    assert case_flags([N(_seq(10, act=(0, 127))), N(_seq(5, stride=2))]) == (f"-DTG_DW_KX1_CASES=0x{(1 << 1) | (1 << 14):X}u",)


SWW = ([(10, 1, 1, 0, "relu"), (15, 1, 1, 0, "none")], 13, True, 24)     # 10 and 15 taps: the loop case


def _build(tmp: Path):
    layers, channels, temporal, length = SWW
    board = get_board("f746zg")
    source = _export(layers, channels, temporal, length, tmp)
    graph = compile_source(source, str(tmp / "calib.npy"),
                           CompileOptions(features=frozenset(board.isa_features), lower_peak=False))
    assert [n.kernel for n in graph.nodes if n.op == "depthwise_conv2d"] == [KX1, KX1]
    result = build(source, graph, board, tmp / "fw")
    elves = sorted(result.out_dir.rglob("*.elf"))
    return source, graph, board, result.out_dir, read_elf(elves[0])


@pytest.mark.slow
@needs_qemu
def test_depthwise_kx1_s8_dsp_links_only_its_cases_standin(tmp_path):
    """SWW's two temporal layers (both counted at run time; the ReLU's range is the output's whole
    int8 range, zero point -128, so neither clamps): the image links that one case of tg_dw_kx1_run
    (bit 0), a fraction of all 22, and equals the reference."""
    source, graph, board, project, elf = _build(tmp_path)
    assert kx1_case_flags(graph) == ("-DTG_DW_KX1_CASES=0x1u",)
    assert "-DTG_DW_KX1_CASES=0x1u" in (project / "Makefile").read_text()
    run = elf.symbol("tg_dw_kx1_run")
    assert run is not None and 0 < run.size < 2000, run      # every case: about 11.9 KB on the M7
    device_equals_reference(source, graph, board, project, 5, "two cases")


@pytest.mark.slow
@needs_qemu
def test_depthwise_kx1_s8_dsp_case_left_out_equals_reference_standin(tmp_path, monkeypatch):
    """No case linked (a mask that misses the layers' cases): every output one at a time
    (tg_dw_kx1_channel), still the reference's bytes."""
    monkeypatch.setattr(build_flags, "kx1_case_flags", lambda graph: ("-DTG_DW_KX1_CASES=0x0u",))
    source, graph, board, project, elf = _build(tmp_path)
    run = elf.symbol("tg_dw_kx1_run") or elf.symbol("tg_dw_kx1_run.constprop.0")
    assert run is None or run.size < 64
    device_equals_reference(source, graph, board, project, 5, "no case")
