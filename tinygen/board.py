"""Board descriptions: one TOML file per board in boards/."""

from __future__ import annotations

import difflib
import shutil
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tinygen.errors import UsageError
from tinygen.resources import data_dir


@dataclass(frozen=True)
class Board:
    name: str
    aliases: tuple[str, ...]
    description: str
    core: str
    isa_features: frozenset
    build: str
    toolchain: dict = field(default_factory=dict)
    port: str | None = None               # firmware/ports/<port>/ for the real part
    clock_hz: int | None = None
    memory: tuple[dict, ...] = ()         # regions of the real part: name, kind, origin, size, link
    stack_size: int = 0
    serial: dict = field(default_factory=dict)
    flash: dict = field(default_factory=dict)
    power: dict = field(default_factory=dict)
    emulator: dict | None = None          # the QEMU stand-in, None if there is none
    path: Path | None = None
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def cc(self) -> str:
        return self.toolchain.get("cc", "gcc")

    @property
    def cflags(self) -> list[str]:
        return list(self.toolchain.get("cflags", []))

    def region(self, kind: str) -> dict | None:
        """The linked memory region of a kind ("flash" or "ram"), or None."""
        for r in self.memory:
            if r.get("kind") == kind and r.get("link", False):
                return r
        return None

    def missing_tools(self) -> list[str]:
        """Tools this board's build needs that are not on PATH."""
        needed = [self.cc] + list(self.toolchain.get("tools", [])) + ["make"]
        return [t for t in dict.fromkeys(needed) if shutil.which(t) is None]


def _load(path: Path) -> Board:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    return Board(
        name=raw["name"],
        aliases=tuple(raw.get("aliases", [])),
        description=raw.get("description", ""),
        core=raw["core"],
        isa_features=frozenset(raw.get("isa_features", [])),
        build=raw.get("build", raw["name"]),
        toolchain=dict(raw.get("toolchain", {})),
        port=raw.get("port"),
        clock_hz=raw.get("clock_hz"),
        memory=tuple(dict(m) for m in raw.get("memory", [])),
        stack_size=int(raw.get("stack", {}).get("size", 0)),
        serial=dict(raw.get("serial", {})),
        flash=dict(raw.get("flash", {})),
        power=dict(raw.get("power", {})),
        emulator=dict(raw["emulator"]) if "emulator" in raw else None,
        path=path,
        raw=raw,
    )


@lru_cache(maxsize=1)
def all_boards() -> tuple[Board, ...]:
    return tuple(_load(p) for p in sorted(data_dir("boards").glob("*.toml")))


def get_board(name: str) -> Board:
    known: dict[str, Board] = {}
    for b in all_boards():
        known[b.name] = b
        for a in b.aliases:
            known[a] = b
    if name in known:
        return known[name]
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.4)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise UsageError(f"unknown board {name!r}",
                     f"{hint}`tinygen boards` lists the supported boards: {', '.join(b.name for b in all_boards())}")
