"""Build a generated project for the host with the system C compiler."""

from __future__ import annotations

from pathlib import Path

from tinygen.board import Board
from tinygen.build.object_cache import cached_make
from tinygen.build.output import raise_if_no_space
from tinygen.errors import ToolchainError

LIBRARY = "libtgmodel.so"
RUNNER = "tg_runner"
DEVICE = "tg_device"     # the protocol (firmware/runtime/PROTOCOL.md) on stdin/stdout


def build_host(project: Path, board: Board, jobs: int = 2, label: str | None = None) -> dict[str, Path]:
    """Run the generated Makefile. `label` names the project in messages (the
    final output directory, when `project` is a staging directory)."""
    missing = board.missing_tools()
    if missing:
        raise ToolchainError(f"cannot build for board {board.name!r}: {', '.join(missing)} not found on PATH",
                             f"install it: sudo {board.toolchain.get('install', 'apt-get install gcc make')}")
    proc = cached_make(project, [f"CC={board.cc}"], jobs)     # objects built before reused
    if proc.returncode != 0:
        raise_if_no_space(proc.stdout + proc.stderr, project)   # a full disk: the output folder's error
        raise ToolchainError(
            f"the C compiler failed on the generated project for {label or project}:\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}",
            "this is a tinygen bug (generated C must compile cleanly); please report it with the model")
    return {"library": project / LIBRARY, "runner": project / RUNNER, "device": project / DEVICE}
