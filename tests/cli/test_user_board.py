"""A board of the user's own (--board my-board.toml): a copy of the F746ZG's file with another
name and less RAM builds a model, inspects it against the smaller RAM, keeps its board file in
the build folder (later commands find the board by name), and runs bit-exact on its stand-in."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from e2e import EXAMPLES
from tinygen.board import board_template
from tinygen.cli import main
from tinygen.codegen.project import BOARD_FILE, MANIFEST

from test_hil_cli import hil

RAM = 0x30000           # the F746ZG's 320 KB cut to 192 KB: its SRAM1 and SRAM2 go

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                               reason="the user board is an STM32F746: arm-none-eabi-gcc and its QEMU stand-in")


def my_board(folder) -> str:
    """my-board.toml: `tinygen boards --template f746zg` renamed, with RAM 192 KB (only the DTCM
    and ITCM regions kept beside the linked RAM)."""
    text = board_template("f746zg").replace('name = "my-nucleo-f746zg"', 'name = "my-board"')
    text = text.replace("size = 0x50000 ", f"size = 0x{RAM:X} ")
    text = re.sub(r'\[\[memory\]\]\nname = "sram[12]"\n(?:[^\[\n][^\n]*\n)*', "", text)
    path = folder / "my-board.toml"
    path.write_text(text)
    return str(path)


@needs_arm
def test_user_board_builds_inspects_and_boots_by_name(tmp_path, capsys):
    board, out = my_board(tmp_path), tmp_path / "build"
    model = str(EXAMPLES / "mlp.py")
    assert main(["inspect", model, "--board", board, "--memory", "--kernels", "tinygen",
                 "--json", str(tmp_path / "i.json")]) == 0
    fit = json.loads((tmp_path / "i.json").read_text())["fit"]
    assert (fit["board"], fit["ram"]["capacity"]) == ("my-board", RAM)
    capsys.readouterr()
    assert main(["build", model, "--board", board, "-o", str(out), "--calib", "random",
                 "--kernels", "tinygen"]) == 0
    text = capsys.readouterr().out
    assert "built mlp for my-board" in text and re.search(r"RAM +[\d.]+ KiB +192\.0 KiB", text), text
    manifest = json.loads((out / MANIFEST).read_text())
    assert (manifest["board"], manifest["board_file"]) == ("my-board", BOARD_FILE)
    assert (out / BOARD_FILE).read_text() == (tmp_path / "my-board.toml").read_text()
    script = (out / "linker" / "my-board.ld").read_text()
    assert re.search(rf"RAM +\(rwx\) *: *ORIGIN = 0x20000000, LENGTH = 0x{RAM:X}\n", script)
    # the original file gone, the build folder still knows its board: by name, in any case
    (tmp_path / "my-board.toml").unlink()
    assert main(["flash", "--board", "My-Board", "-o", str(out), "--emulate", "-q"]) == 0
    assert "runs mlp" in capsys.readouterr().out
    # a board of another name is still refused for this folder
    assert main(["flash", "--board", "f746zg", "-o", str(out), "--emulate", "-q"]) == 1
    assert "was built for my-board" in capsys.readouterr().err


@needs_arm
def test_user_board_hil_on_its_standin_is_bit_exact(tmp_path, capsys):
    rc, summary = hil(tmp_path, "mlp", my_board(tmp_path), "--emulate", "--kernels", "tinygen")
    assert rc == 0, capsys.readouterr().err
    assert summary["bit_exact"] == summary["samples"] > 0
    ram = {m["region"]: m for m in summary["memory"]}["ram (firmware.elf)"]
    assert ram["size"] == RAM


def test_user_board_errors_before_any_work(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(my_board(tmp_path) and (tmp_path / "my-board.toml").read_text().replace("clock_hz", "clock_mhz"))
    rc = main(["build", str(EXAMPLES / "mlp.py"), "--board", str(bad), "-o", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "b").exists()
    assert err.splitlines()[0] == (f"tinygen build: error: board file {bad}: clock_mhz: not a key tinygen reads "
                                   "(did you mean clock_hz?)")
