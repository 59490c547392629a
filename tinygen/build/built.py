"""What an existing build folder was built for, checked before anything flashes or boots it.

    manifest = check_built(project, board)     # its tinygen.json, or a one-line TinygenError

`tinygen build` records in the folder's manifest (tinygen.json) the board it built for
and the build format (tinygen.codegen.project.BUILD_FORMAT) of the tinygen that wrote it.
An image built for one part must not be written to another (an F746ZG's Cortex-M7
image into an F446RE, say), nor booted on another part's stand-in; a folder whose
manifest is missing, unreadable or of another build format cannot be trusted to hold
what this tinygen expects. Each is refused with one line naming what was found and what
to do, before any tool runs. A board's aliases are the board (f746zg is nucleo-f746zg).
"""

from __future__ import annotations

import json
from pathlib import Path

from tinygen import __version__
from tinygen.board import Board, get_board
from tinygen.codegen.project import BUILD_FORMAT, MANIFEST
from tinygen.errors import TinygenError, UsageError


def _rebuild(board: Board, project: Path) -> str:
    return f"build it again for {board.name}: tinygen build MODEL --board {board.name} -o {project}"


def _canonical(name: str) -> str:
    """The board's own name for a name or alias; an unknown name stays as it is."""
    try:
        return get_board(name).name
    except UsageError:
        return name


def _core(name: str) -> str:
    try:
        return f" ({get_board(name).core})"
    except UsageError:
        return ""


def read_manifest(project: str | Path, board: Board) -> dict:
    """The folder's manifest, or TinygenError when it has none that tinygen wrote."""
    project = Path(project)
    path = project / MANIFEST
    if not path.is_file():
        raise TinygenError(f"{project} holds no tinygen build: {MANIFEST} is missing",
                           f"give the -o folder of a tinygen build, or {_rebuild(board, project)}")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("board"), str):
        raise TinygenError(f"{path} is not a tinygen build manifest (unreadable, or no board recorded)",
                           _rebuild(board, project))
    return data


def check_built(project: str | Path, board: Board) -> dict:
    """The manifest of the build in `project`, checked to be for `board` and of this
    tinygen's build format (see the module docstring); TinygenError otherwise."""
    project = Path(project)
    data = read_manifest(project, board)
    version = data.get("tinygen_version", "of unknown version")
    fmt = data.get("build_format")
    if fmt != BUILD_FORMAT:
        made = (f"build format {fmt}" if fmt is not None else "before build formats were recorded")
        raise TinygenError(f"{project} was built by tinygen {version} ({made}); this tinygen {__version__} "
                           f"reads build format {BUILD_FORMAT}", _rebuild(board, project))
    if isinstance(data.get("library"), dict):
        raise TinygenError(f"{project} holds library {data['library'].get('name')} (tinygen build --library): "
                           "sources for your firmware, no image to flash or boot",
                           f"build the firmware into another folder: tinygen build MODEL --board {board.name} -o DIR")
    built_for = data["board"]
    if _canonical(built_for) != _canonical(board.name):
        raise TinygenError(f"{project} was built for {built_for}{_core(built_for)}, not {board.name}"
                           f"{_core(board.name)}: its image is not for this board",
                           f"use --board {built_for} for this build, or {_rebuild(board, project)}")
    return data


__all__ = ["check_built", "read_manifest"]
