"""The stack a library's NAME_invoke() takes, measured: its sources compiled with the board's
compiler and flags and GCC's -fcallgraph-info=su (each function's frame and its calls), the
deepest chain of frames from NAME_invoke down through the kernels. Calls out of the library
(the C library's expf, say) are not counted and are named instead.

    stack = invoke_stack(dest / "src", sources, board, "kws")   # StackUse or None (no compiler)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tinygen.board import Board

_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]+)"')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
_BYTES = re.compile(r"(\d+) bytes \(([a-z,]+)\)")


@dataclass
class StackUse:
    bytes: int                     # the deepest chain's frames
    bounded: bool                  # every frame on it static (or dynamic but bounded)
    outside: list[str]             # functions called outside the library (not counted)


def call_graph(files: list[Path]) -> tuple[dict[str, tuple[int, bool]], dict[str, list[str]]]:
    """Frames (title -> (bytes, bounded)) and calls (title -> titles); a global function's title
    is its name in every file, a static one's FILE:NAME."""
    frames, calls = {}, {}
    for ci in files:
        text = ci.read_text()
        for title, label in _NODE.findall(text):
            m = _BYTES.search(label)
            if m:
                frames[title] = (int(m[1]), m[2] in ("static", "dynamic,bounded"))
        for source, target in _EDGE.findall(text):
            calls.setdefault(source, []).append(target)
    return frames, calls


def deepest_chain(node: str, frames, calls, seen: dict, outside: set) -> tuple[int, bool]:
    if node in seen:
        return seen[node]
    seen[node] = (0, False)            # a cycle counts once, unbounded
    size, bounded = frames[node]
    below, below_bounded = 0, True
    for target in calls.get(node, []):
        if target not in frames:
            outside.add(target)
            continue
        b, ok = deepest_chain(target, frames, calls, seen, outside)
        if b > below:
            below = b
        below_bounded &= ok
    seen[node] = (size + below, bounded and below_bounded)
    return seen[node]


def invoke_stack(src: Path, sources: list[str], board: Board, name: str) -> StackUse | None:
    """The stack of `name`_invoke() as the board's compiler builds `sources` (in `src`); None
    without that compiler."""
    if shutil.which(board.cc) is None:
        return None
    flags = [f for f in board.cflags if not f.startswith("-W")]
    with tempfile.TemporaryDirectory() as tmp:
        for i, source in enumerate(sources):
            done = subprocess.run([board.cc, *flags, "-fcallgraph-info=su", f"-I{src.parent / 'include'}", f"-I{src}",
                                   "-c", str(src / source), "-o", f"{tmp}/{i}.o", "-dumpdir", f"{tmp}/"],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                return None
        frames, calls = call_graph(sorted(Path(tmp).glob("*.ci")))
    if f"{name}_invoke" not in frames:
        return None
    outside: set[str] = set()
    size, bounded = deepest_chain(f"{name}_invoke", frames, calls, {}, outside)
    return StackUse(size, bounded, sorted(outside))


__all__ = ["StackUse", "call_graph", "deepest_chain", "invoke_stack"]
