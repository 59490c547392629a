"""What this machine can do with a board: build its firmware, run the stand-in,
flash the real part. For `tinygen boards`."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from tinygen.board import Board
from tinygen.build.toolchain import real_toolchain, standin_toolchain

OK = "✓"


@dataclass
class Capabilities:
    build: str                    # "build ✓" or what is missing
    emulate: str                  # "emulate ✓", what is missing, or "no stand-in"
    flash: str                    # "flash ✓ (st-flash)" or "flash: no probe tool"
    install: list[str] = field(default_factory=list)    # commands that would add what is missing

    def summary(self) -> str:
        return ", ".join((self.build, self.emulate, self.flash))


def _missing_line(what: str, missing: list[str]) -> str:
    return f"{what} ✗ (no {', '.join(missing)})"


def _sudo(line: str) -> str:
    return line if line.startswith("sudo ") else f"sudo {line}"


def board_capabilities(board: Board) -> Capabilities:
    install: list[str] = []
    if board.build == "host":
        missing = board.missing_tools()
        build = "build " + OK if not missing else _missing_line("build", missing)
        if missing:
            install.append(_sudo(board.toolchain.get("install", "apt-get install -y gcc make")))
        return Capabilities(build, "runs here", "flash: not needed", install)
    real = real_toolchain(board)
    if real is not None:
        missing = real.missing()
        build = "build " + OK if not missing else _missing_line("build", missing)
        if missing:
            install.append(real.install)
    elif board.build == "esp-idf":
        build = "build " + OK + " (idf.py)" if shutil.which("idf.py") else "build: ESP-IDF project only (no idf.py)"
    else:
        build = f"build: no recipe for {board.build!r}"
    emulate = "no stand-in"
    if board.emulator is not None:
        tc = standin_toolchain(board)
        qemu = board.emulator.get("qemu", "")
        missing = ([] if tc is None else tc.missing()) + ([qemu] if shutil.which(qemu) is None else [])
        emulate = "emulate " + OK if not missing else _missing_line("emulate", missing)
        if tc is not None and tc.missing():
            install.append(tc.install)
        if shutil.which(qemu) is None and board.emulator.get("install"):
            install.append(_sudo(board.emulator["install"]))
    tools = list(board.flash.get("tools", []))
    found = [t for t in tools if shutil.which(t)]
    if found:
        flash = f"flash {OK} ({found[0]})"
    else:
        flash = "flash: no probe tool" if tools else "flash: no tool known"
        hints = board.flash.get("install", {})
        if tools and tools[0] in hints:
            install.append(_sudo(hints[tools[0]]))
    return Capabilities(build, emulate, flash, [i for i in install if i])


__all__ = ["Capabilities", "board_capabilities"]
