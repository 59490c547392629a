"""What this machine can do with a board: build its firmware, run the stand-in,
flash the real part. For `tinygen boards`."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from tinygen.board import Board
from tinygen.build.toolchain import install_command, real_toolchain, standin_toolchain

OK = "✓"


@dataclass
class Capabilities:
    build: str                    # "build ✓" or what is missing
    emulate: str                  # "emulate ✓", what is missing, or "no stand-in"
    flash: str                    # "flash ✓ (st-flash)" or "flash: no st-flash / openocd / pyocd"
    install: list[tuple[str, str]] = field(default_factory=list)   # (what for, command) adding what is missing

    def summary(self) -> str:
        return ", ".join((self.build, self.emulate, self.flash))


def _missing_line(what: str, missing: list[str]) -> str:
    return f"{what} ✗ (no {', '.join(missing)})"


def board_capabilities(board: Board) -> Capabilities:
    install: list[str] = []
    if board.build == "host":
        missing = board.missing_tools()
        build = "build " + OK if not missing else _missing_line("build", missing)
        if missing:
            install.append(("build", install_command(board.toolchain.get("install", "apt-get install -y gcc make"))))
        return Capabilities(build, "runs here", "flash: not needed", install)
    real = real_toolchain(board)
    if real is not None:
        missing = real.missing()
        build = "build " + OK if not missing else _missing_line("build", missing)
        if missing:
            install.append(("build", real.install))
    elif board.build == "esp-idf":
        build = "build " + OK + " (idf.py)" if shutil.which("idf.py") else "build: ESP-IDF project only (no idf.py)"
        if not shutil.which("idf.py") and board.toolchain.get("install"):
            install.append(("build", install_command(board.toolchain["install"])))
    else:
        build = f"build: no recipe for {board.build!r}"
    emulate = "no stand-in"
    if board.emulator is not None:
        tc = standin_toolchain(board)
        qemu = board.emulator.get("qemu", "")
        missing = ([] if tc is None else tc.missing()) + ([qemu] if shutil.which(qemu) is None else [])
        emulate = "emulate " + OK if not missing else _missing_line("emulate", missing)
        if tc is not None and tc.missing():
            install.append(("emulate", tc.install))
        if shutil.which(qemu) is None and board.emulator.get("install"):
            install.append(("emulate", install_command(board.emulator["install"])))
    tools = list(board.flash.get("tools", []))
    found = [t for t in tools if shutil.which(t)]
    if found:
        flash = f"flash {OK} ({found[0]})"
    else:
        flash = f"flash: no {' / '.join(tools)}" if tools else "flash: no tool known"
        hints = board.flash.get("install", {})
        # a flash tool that comes with the build toolchain (idf.py) is covered by its install line
        if tools and tools[0] in hints and tools[0] not in board.toolchain.get("tools", []):
            install.append(("flash", install_command(hints[tools[0]])))
    return Capabilities(build, emulate, flash, install)


__all__ = ["Capabilities", "board_capabilities"]
