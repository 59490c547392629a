"""--arena-region: the tensor arena in a chosen RAM region of the part (e.g. the
F746ZG's DTCM), the weights in flash. The linker script gives the region its own
memory, the fit check uses its size, wrong names and regions too small fail with
the regions listed, and the stand-in image still runs bit-exact."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from e2e import first_difference, random_inputs
from tinygen.board import get_board
from tinygen.build.elf import read_elf
from tinygen.build.memory import (MemoryFitError, MemoryUse, RegionUse, arena_region, check_prediction,
                                  linker_memory)
from tinygen.cli import main
from tinygen.errors import UsageError

F746 = get_board("f746zg")
DTCM, SRAM1, SRAM2 = (next(r for r in F746.memory if r["name"] == n) for n in ("dtcm", "sram1", "sram2"))
RAM = F746.region("ram")


def test_linker_memory_gives_the_region_its_own_memory_and_ram_the_rest():
    assert linker_memory(F746, None, 0x20000000) == {"ram_origin": RAM["origin"], "ram_size": RAM["size"],
                                                     "arena": None}
    # DTCM opens RAM: RAM starts after it
    m = linker_memory(F746, "dtcm", RAM["origin"])
    assert m["arena"]["origin"] == DTCM["origin"] and m["arena"]["size"] == DTCM["size"]
    assert (m["ram_origin"], m["ram_size"]) == (DTCM["origin"] + DTCM["size"], RAM["size"] - DTCM["size"])
    # SRAM2 closes RAM: RAM ends before it
    m = linker_memory(F746, "sram2", RAM["origin"])
    assert (m["ram_origin"], m["ram_size"]) == (RAM["origin"], RAM["size"] - SRAM2["size"])
    # SRAM1 in the middle: the larger piece left (DTCM, 64 KB, over SRAM2, 16 KB)
    m = linker_memory(F746, "sram1", RAM["origin"])
    assert (m["ram_origin"], m["ram_size"]) == (DTCM["origin"], DTCM["size"])
    # a stand-in image keeps the region's offset inside its own RAM
    m = linker_memory(F746, "sram2", 0x40000000)
    assert m["arena"]["origin"] == 0x40000000 + SRAM2["origin"] - RAM["origin"]


@pytest.mark.parametrize("name, why", [("ccm", "has no memory region 'ccm'"),
                                       ("itcm", "outside the linked RAM"),
                                       ("ram", "the linked region itself"),
                                       ("flash", "(flash, the linked region itself)")])
def test_arena_region_rejects_what_cannot_hold_the_arena(name, why):
    with pytest.raises(UsageError) as e:
        arena_region(F746, name)
    assert why in str(e.value)
    for region in ("dtcm", "sram1", "sram2"):
        assert region in e.value.hint


def test_arena_region_needs_a_cortex_m_board():
    with pytest.raises(UsageError, match="Cortex-M"):
        arena_region(get_board("esp32-s3"), "sram2")
    with pytest.raises(UsageError, match="Cortex-M"):
        arena_region(get_board("host"), "ram")


def _use(arena: int, region: str) -> MemoryUse:
    ram = RegionUse("ram", RAM["size"], {"arena": arena, "stack": 8192, "runtime": 320})
    return MemoryUse({"flash": RegionUse("flash", 1 << 20, {"weights": 1000}), "ram": ram}, arena, 1000, 8192,
                     "predicted", region)


def test_fit_check_uses_the_region_size():
    check_prediction(_use(SRAM2["size"], "sram2"), F746, "m.tflite")
    with pytest.raises(MemoryFitError) as e:
        check_prediction(_use(SRAM2["size"] + 16, "sram2"), F746, "m.tflite")
    assert "region sram2 has 16.0 KiB" in str(e.value)
    assert "dtcm" in e.value.hint and "sram1" in e.value.hint and "sram2 (" not in e.value.hint


def test_cli_unknown_region_lists_the_regions(tmp_path, capsys):
    assert main(["build", "examples/models/mlp.py", "--board", "f746zg", "--kernels", "tinygen",
                 "--arena-region", "ccm", "-o", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert "no memory region 'ccm'" in err and "dtcm (64.0 KiB at 0x20000000)" in err


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")
def test_arena_in_dtcm_weights_in_flash_bit_exact_f746zg_standin(tmp_path):
    from e2e import example_source
    from tinygen.compiler import build, compile_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions
    from tinygen.ref.interpreter import run

    source = example_source("cnn")
    graph = compile_source(source, options=CompileOptions(features=F746.isa_features, arena_region="dtcm"))
    project = build(source, graph, F746, tmp_path / "fw").out_dir
    flash = F746.region("flash")
    for elf_name, ram_origin, flash_origin in (("firmware.elf", RAM["origin"], flash["origin"]),
                                               ("firmware-emu.elf", F746.emulator["ram_origin"],
                                                F746.emulator["flash_origin"])):
        elf = read_elf(project / elf_name)
        arena = elf.symbol("tg_arena")
        start = ram_origin + DTCM["origin"] - RAM["origin"]
        assert start <= arena.value and arena.value + arena.size <= start + DTCM["size"], elf_name
        assert not elf.section(".tg_arena").has_bytes    # never loaded: no bytes in the image
        weight = elf.symbol("conv_0_w")                   # const: in flash
        assert flash_origin <= weight.value < flash_origin + flash["size"], elf_name
    with open_device(F746, project, emulate=True) as dev:
        for i, x in enumerate(random_inputs(source, graph, 3, seed=5)):
            want = np.concatenate([run(graph, x)[name].ravel() for name in graph.outputs])
            got = np.frombuffer(dev.run(x.tobytes())[0], dtype=np.int8)
            assert np.array_equal(got, want), f"input {i}: {first_difference(want, got)}"
