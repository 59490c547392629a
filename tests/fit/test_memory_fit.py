"""A model that does not fit the real part is refused, with the numbers, before any
compiler runs (prediction) or when the linker finds it (the same error); what
fits a larger part builds there. Missing cross compilers give the install line."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil

import pytest

from e2e import compile_example
from tinygen.board import get_board
from tinygen.build import firmware
from tinygen.build.memory import MemoryFitError
from tinygen.build.toolchain import install_command
from tinygen.codegen.emit import project_data
from tinygen.cli import main
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import ToolchainError
from tinygen.report import human_bytes

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="arm-none-eabi-gcc is not installed (make toolchain installs it)")

# A wide convolution at 64x64: the arena holds a 32-channel 64x64 map (128 KB) and
# its neighbours: more than the F446RE's 128 KB of RAM, well within the F746ZG's 320 KB.
WIDE_CONV = """
import numpy as np
import torch
from torch import nn


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 8, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4)).eval()


def example_input():
    return torch.zeros(1, 3, 64, 64)


def calibration_data():
    return np.random.default_rng(0).standard_normal((4, 3, 64, 64)).astype(np.float32)
"""

# 1024 x 600 int8 weights in one Linear layer: 600 KB, more than the F446RE's 512 KB of flash.
BIG_FC = """
import numpy as np
import torch
from torch import nn


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(1024, 600), nn.ReLU(), nn.Linear(600, 10)).eval()


def example_input():
    return torch.zeros(1, 1024)


def calibration_data():
    return np.random.default_rng(0).standard_normal((8, 1024)).astype(np.float32)
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    compiled = {}
    for name, text in (("wide_conv", WIDE_CONV), ("big_fc", BIG_FC)):
        path = folder / f"{name}.py"
        path.write_text(text)
        source = load_source(path)
        compiled[name] = (source, compile_source(source))
    return compiled


@pytest.fixture
def no_make(monkeypatch):
    """Fail the test if the firmware build would run make (the refusal must come first)."""
    def refuse(*args, **kwargs):
        raise AssertionError("make ran although the prediction already exceeds the part")
    monkeypatch.setattr(firmware, "cached_make", refuse)


def numbers(message: str) -> dict[str, str]:
    """'RAM needs 184.3 KiB (arena 160.0 KiB + input buffer 12.0 KiB + ...) but the part has 128.0 KiB'."""
    m = re.search(r"(RAM|flash) needs (\S+ \S+) \((.*)\) but the part has (\S+ \S+)", message)
    assert m, message
    parts = dict((p.rsplit(" ", 2)[0], " ".join(p.rsplit(" ", 2)[1:])) for p in m[3].split(" + "))
    return {"region": m[1], "need": m[2], "capacity": m[4], **parts}


def test_ram_overflow_refused_before_compiling_f446re(models, tmp_path, no_make):
    source, graph = models["wide_conv"]
    board = get_board("f446re")
    arena = graph.meta["memory"].arena_size
    assert 128 * 1024 < arena < 320 * 1024
    out = tmp_path / "out"
    with pytest.raises(MemoryFitError) as e:
        build(source, graph, board, out)
    message = str(e.value)
    assert "does not fit nucleo-f446re" in message
    got = numbers(message)
    assert got["region"] == "RAM"
    assert got["arena"] == human_bytes(arena)
    assert got["stack"] == human_bytes(board.stack_size)
    assert got["input buffer"] == human_bytes(graph.tensor(graph.inputs[0]).nbytes)
    assert got["capacity"] == human_bytes(board.region("ram")["size"])
    assert "tinygen inspect" in e.value.hint and "nucleo-f746zg" in e.value.hint
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_ram_overflow_refused_by_the_cli_f446re(models, tmp_path, capsys, no_make):
    source, _ = models["wide_conv"]
    out = tmp_path / "out"
    # --tile off: by default the fit step tiles this model's 64x64 conv to fit (tests/passes/test_tile_choice.py)
    rc = main(["build", str(source.path), "--board", "f446re", "-o", str(out), "-q", "--tile", "off"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "error: does not fit nucleo-f446re: RAM needs" in err and "hint:" in err
    assert not out.exists()


def test_ram_heavy_model_builds_f746zg(models, tmp_path):
    source, graph = models["wide_conv"]
    board = get_board("f746zg")
    result = build(source, graph, board, tmp_path / "out")
    used = result.manifest["memory"]["firmware.elf"]["ram"]
    assert used["capacity"] == board.region("ram")["size"]
    assert get_board("f446re").region("ram")["size"] < used["used"] < used["capacity"]
    assert result.manifest["memory"]["firmware.elf"]["arena"] == graph.meta["memory"].arena_size


def test_flash_overflow_refused_f446re(models, tmp_path, no_make):
    source, graph = models["big_fc"]
    board = get_board("f446re")
    with pytest.raises(MemoryFitError) as e:
        build(source, graph, board, tmp_path / "out")
    got = numbers(str(e.value))
    assert got["region"] == "flash"
    weights = project_data(graph, source.name, source.source_hash, "test")["weight_bytes"]
    assert weights > board.region("flash")["size"]
    assert got["weights"] == human_bytes(weights)
    assert got["capacity"] == human_bytes(board.region("flash")["size"])
    assert "Linear" in e.value.hint
    assert not (tmp_path / "out").exists()


def test_flash_heavy_model_builds_f746zg(models, tmp_path):
    source, graph = models["big_fc"]
    result = build(source, graph, get_board("f746zg"), tmp_path / "out")
    used = result.manifest["memory"]["firmware.elf"]["flash"]
    assert get_board("f446re").region("flash")["size"] < used["used"] < used["capacity"]


# 1024 x 1000 int8 weights: 1000 KB, more than the 960 KB the Nano 33 BLE's bootloader leaves and
# the Portenta H7's 768 KB M7 share of its flash; the Nicla Vision's 1.75 MB would hold it.
LINEAR_1000K = BIG_FC.replace("nn.Linear(1024, 600), nn.ReLU(), nn.Linear(600, 10)",
                              "nn.Linear(1024, 1000), nn.ReLU(), nn.Linear(1000, 10)")


@pytest.mark.parametrize("board", ["nano33ble", "portenta-h7"])
def test_flash_overflow_refused_by_the_cli_arduino_boards(board, tmp_path, capsys, no_make):
    path = tmp_path / "linear_1000k.py"
    path.write_text(LINEAR_1000K)
    out = tmp_path / "out"
    rc = main(["build", str(path), "--board", board, "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert rc == 1
    first = err.splitlines()[0]
    assert first.startswith(f"tinygen build: error: does not fit {board}: flash needs"), err
    assert human_bytes(get_board(board).region("flash")["size"]) in err, err
    assert not out.exists()


def _shrunk(board, kind: str, size: int):
    """The board with its linked `kind` region cut to `size` bytes."""
    memory = tuple(dict(r, size=size) if r.get("kind") == kind and r.get("link") else r for r in board.memory)
    return dataclasses.replace(board, memory=memory)


@pytest.mark.parametrize("kind,region", [("flash", "flash"), ("ram", "RAM")])
def test_link_overflow_is_the_same_clear_error_f446re(tmp_path, kind, region):
    """A part just too small for the linked image but not for the prediction: the linker's
    "region `X' overflowed by N bytes" comes back as the fit error, with N."""
    source, graph = compile_example("dscnn")
    board = get_board("f446re")
    result = build(source, graph, board, tmp_path / "fits")
    predicted = result.manifest["memory"]["predicted"][kind]["used"]
    linked = result.manifest["memory"]["firmware.elf"][kind]["used"]
    size = (linked - 16) // 8 * 8
    if size < predicted:
        pytest.skip(f"the prediction ({predicted} B) is within 16 B of the linked {kind} ({linked} B)")
    small = _shrunk(board, kind, size)
    with pytest.raises(MemoryFitError) as e:
        build(source, graph, small, tmp_path / "too-small")
    message = str(e.value)
    m = re.search(rf"{region} overflowed by (\d+) B(?:ytes)? when linking firmware.elf", message)
    assert m, message
    assert 0 < int(m[1]) <= linked - size + 16
    assert f"but the part has {human_bytes(size)}" in message
    assert not (tmp_path / "too-small").exists()


def test_missing_cross_compiler_names_the_install_line(tmp_path, monkeypatch):
    """PATH without arm-none-eabi-gcc (make still there): a ToolchainError with the board's install command."""
    source, graph = compile_example("mlp")
    board = get_board("f746zg")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("make"), bin_dir / "make")
    monkeypatch.setenv("PATH", str(bin_dir))
    out = tmp_path / "out"
    with pytest.raises(ToolchainError) as e:
        build(source, graph, board, out)
    assert re.search(r": arm-none-eabi-gcc(, \S+)* not found on PATH", str(e.value)), str(e.value)
    assert install_command(board.toolchain["install"]) in e.value.hint
    assert e.value.hint.startswith("install it: sudo apt-get install")
    assert not out.exists()
