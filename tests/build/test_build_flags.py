"""Every generated build file passes the same compile flags (tinygen.codegen.build_flags): the
firmware's Makefile (each image's CFLAGS), CMakeLists.txt (TG_CFLAGS) and platformio.ini
(build_flags, its -I aside) are equal flag for flag; the ESP-IDF component's
target_compile_options are model_flags; the host Makefile's CFLAGS end with them. Parsed from
the files as written, for a model whose build has a kernel switch (SWW's kx1 case mask on the
F746ZG's DSP kernels)."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from e2e import ROOT
from tinygen.board import get_board
from tinygen.build.firmware_project import write_firmware_project
from tinygen.codegen import build_flags
from tinygen.codegen.build_flags import FP_CONTRACT_OFF, model_flags
from tinygen.codegen.project import write_project
from tinygen.compiler import compile_source, load_source
from tinygen.passes import CompileOptions

SWW = ROOT / "examples" / "models" / "sww_dstcn.py"     # temporal kx1 layers: -DTG_DW_KX1_CASES
CNN = ROOT / "examples" / "models" / "cnn.py"


def project(model: Path, board_name: str, dest: Path):
    """The project files a build writes (no compile): (graph, folder)."""
    board = get_board(board_name)
    source = load_source(model)
    graph = compile_source(source, options=CompileOptions(features=frozenset(board.isa_features)))
    dest.mkdir()
    write_project(graph, dest, source.name, source.source_hash, board)
    if board.build != "host":
        write_firmware_project(graph, dest, source.name, board)
    return graph, dest


def make_vars(text: str) -> dict[str, list[str]]:
    """A Makefile's one-line NAME = value / NAME ?= value assignments, split at blanks."""
    return {m[1]: m[2].split() for m in re.finditer(r"^(\w+)\s*\??=\s*(.*[^\\\s])\s*$", text, re.M)}


def cmake_set(text: str, name: str) -> list[str]:
    m = re.search(rf"^set\({name} (.*)\)$", text, re.M)
    assert m, f"no set({name} ...) in CMakeLists.txt"
    return shlex.split(m[1])


def pio_flags(path: Path) -> list[str]:
    ini = configparser.ConfigParser()
    ini.read(path)
    env = next(ini[s] for s in ini.sections() if s.startswith("env:"))
    return [f for f in shlex.split(env["build_flags"]) if not f.startswith("-I")]


def test_build_flags_makefile_cmake_platformio_equal_cortex_m(tmp_path):
    graph, out = project(SWW, "f746zg", tmp_path / "sww")
    flags = model_flags(graph)
    assert FP_CONTRACT_OFF in flags and any(f.startswith("-DTG_DW_KX1_CASES=") for f in flags), flags
    make = make_vars((out / "Makefile").read_text())
    per_file = {"Makefile CFLAGS": make["CFLAGS"],
                "CMakeLists.txt TG_CFLAGS": cmake_set((out / "CMakeLists.txt").read_text(), "TG_CFLAGS"),
                "platformio.ini build_flags": pio_flags(out / "platformio.ini")}
    if "EMU_CFLAGS" in make:            # a stand-in with a toolchain of its own
        per_file["Makefile EMU_CFLAGS"] = make["EMU_CFLAGS"]
    first = per_file["Makefile CFLAGS"]
    assert first[-len(flags):] == list(flags), first
    for where, got in per_file.items():
        assert got == first, f"{where} differs from the Makefile's CFLAGS:\n  {got}\n  {first}"


def test_build_flags_esp_idf_component_and_makefile(tmp_path, monkeypatch):
    """The ESP32 kernels have no switch of their own: one given to the model (as the kx1 mask
    would be) reaches the component and the stand-in's CFLAGS as -ffp-contract=off does."""
    monkeypatch.setattr(build_flags, "kx1_case_flags", lambda graph: ("-DTG_DW_KX1_CASES=0x3u",))
    graph, out = project(CNN, "esp32-c3", tmp_path / "cnn")
    flags = list(model_flags(graph))
    assert flags == [FP_CONTRACT_OFF, "-DTG_DW_KX1_CASES=0x3u"]
    component = (out / "main" / "CMakeLists.txt").read_text()
    m = re.search(r"^target_compile_options\(\$\{COMPONENT_LIB\} PRIVATE (.*)\)$", component, re.M)
    assert m and shlex.split(m[1]) == flags, component
    for name, value in make_vars((out / "Makefile").read_text()).items():
        if name.endswith("CFLAGS"):     # the RISC-V stand-in's image
            assert value[-len(flags):] == flags, (name, value)


def test_build_flags_host_makefile(tmp_path):
    graph, out = project(CNN, "host", tmp_path / "cnn")
    cflags = make_vars((out / "Makefile").read_text())["CFLAGS"]
    assert cflags == get_board("host").cflags + list(model_flags(graph))
