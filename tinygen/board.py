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
    path: Path | None = None
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def cc(self) -> str:
        return self.toolchain.get("cc", "gcc")

    @property
    def cflags(self) -> list[str]:
        return list(self.toolchain.get("cflags", []))

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
