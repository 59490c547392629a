"""Board descriptions: one TOML file per board in boards/."""

from __future__ import annotations

import difflib
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tinygen.errors import TinygenError, UsageError
from tinygen.resources import data_dir

BUILDS = ("host", "cortex-m", "riscv", "esp-idf")   # recipes in tinygen/build/
MEMORY_KINDS = ("flash", "ram")
_SCHEMA_HINT = "boards/README.md describes the keys a board file takes"


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
    energy: dict = field(default_factory=dict)   # [energy]: the timestamp pin and the meter wiring
    emulator: dict | None = None          # the QEMU stand-in, None if there is none
    path: Path | None = None
    raw: dict = field(default_factory=dict, repr=False)
    # --flash-budget / --ram-budget: kind -> the part's own size, where the linked region was
    # cut to the budget (with_budget) to leave room for the user's application
    budget: dict = field(default_factory=dict)

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

    def with_budget(self, flash: int | None = None, ram: int | None = None) -> Board:
        """This board with its linked flash and RAM cut to the budgets given (bytes), so that
        the prediction, the fit-first kernel choice and the linker keep within them."""
        from dataclasses import replace

        budget, memory = dict(self.budget), list(self.memory)
        for kind, size, option in (("flash", flash, "--flash-budget"), ("ram", ram, "--ram-budget")):
            region = self.region(kind)
            if size is None or region is None:
                continue
            part = budget.get(kind, int(region["size"]))
            if not 0 < size <= part:
                raise UsageError(f"{option} {size} B is not within {self.name}'s {part} B of {kind}",
                                 f"give at most {part} B (suffixes K and M count 1024 and 1024*1024 bytes)")
            budget[kind] = part
            memory = [dict(r, size=size) if r is region else r for r in memory]
        return replace(self, memory=tuple(memory), budget=budget)

    def missing_tools(self) -> list[str]:
        """Tools this board's build needs that are not on PATH."""
        needed = [self.cc] + list(self.toolchain.get("tools", [])) + ["make"]
        return [t for t in dict.fromkeys(needed) if shutil.which(t) is None]


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and v > 0


def _is_strings(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _check_memory(regions, fail) -> None:
    if not isinstance(regions, list) or not regions:
        fail("needs [[memory]] regions (name, kind, origin, size, link)")
    for r in regions:
        name = r.get("name", "?") if isinstance(r, dict) else "?"
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            fail("every [[memory]] region needs a name")
        if r.get("kind") not in MEMORY_KINDS:
            fail(f"[[memory]] {name!r}: kind must be one of {', '.join(MEMORY_KINDS)}")
        if not _is_int(r.get("origin")) or r["origin"] < 0 or not _is_int(r.get("size")) or r["size"] <= 0:
            fail(f"[[memory]] {name!r}: origin and size must be integers (bytes), size > 0")
        if not isinstance(r.get("link", False), bool):
            fail(f"[[memory]] {name!r}: link must be true or false")
    for kind in MEMORY_KINDS:
        if sum(1 for r in regions if r["kind"] == kind and r.get("link", False)) != 1:
            fail(f"needs exactly one [[memory]] region with kind = \"{kind}\" and link = true")


def _check(raw: dict, fail) -> None:
    """Fail (with the key at fault) when a board file lacks a key or has a wrong type."""
    for key in ("name", "core", "description", "build"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            fail(f"needs {key} = \"...\"")
    if raw["build"] not in BUILDS:
        fail(f"build = {raw['build']!r} is not a recipe tinygen knows ({', '.join(BUILDS)})")
    for key in ("aliases", "isa_features"):
        if not _is_strings(raw.get(key, [])):
            fail(f"{key} must be a list of strings")
    toolchain = raw.get("toolchain")
    if not isinstance(toolchain, dict) or not isinstance(toolchain.get("cc"), str) \
            or not _is_strings(toolchain.get("cflags", [])):
        fail("needs [toolchain] with cc = \"...\" and cflags = [\"...\"]")
    if raw["build"] != "host":
        if not isinstance(raw.get("port"), str):
            fail("needs port = \"...\" (the firmware/ports/ folder of the real part)")
        if not _is_int(raw.get("clock_hz")) or raw["clock_hz"] <= 0:
            fail("needs clock_hz = <core clock in Hz>")
        _check_memory(raw.get("memory"), fail)
        if not _is_int(raw.get("stack", {}).get("size")) or raw["stack"]["size"] <= 0:
            fail("needs [stack] size = <bytes>")
        power = raw.get("power", {})
        if not (_is_number(power.get("supply_v")) and _is_number(power.get("run_current_a"))
                and isinstance(power.get("source"), str) and power["source"]):
            fail("needs [power] supply_v, run_current_a and source (the datasheet table they come from)")
    energy = raw.get("energy")
    if energy is not None:
        try:
            timestamp_pin(energy.get("timestamp_pin"))
        except ValueError as e:
            fail(f"[energy] {e}")
        if not isinstance(energy.get("wiring"), str):
            fail("[energy] needs wiring = \"...\" (which pin goes to the meter's input, where to measure)")
    emulator = raw.get("emulator")
    if emulator is not None:
        if not (isinstance(emulator, dict) and all(isinstance(emulator.get(k), str) for k in ("qemu", "machine", "port"))
                and _is_strings(emulator.get("args", []))
                and all(_is_int(emulator.get(k)) for k in ("flash_origin", "ram_origin"))):
            fail("[emulator] needs qemu, machine, port, args = [...], flash_origin and ram_origin")
        if "vector_origin" in emulator and not _is_int(emulator["vector_origin"]):
            fail("[emulator] vector_origin must be an address (where the stand-in's core reads its reset vectors)")


_STM32_PIN = re.compile(r"^P([A-K])(\d{1,2})$")
_ESP_PIN = re.compile(r"^GPIO(\d{1,2})$")


def timestamp_pin(name) -> dict[str, int]:
    """The [energy] timestamp_pin as tg_board.h macros: "PF13" (STM32: GPIO port
    F = 5, bit 13) or "GPIO4" (ESP32: pin number 4)."""
    m = _STM32_PIN.match(name) if isinstance(name, str) else None
    if m and int(m.group(2)) < 16:
        return {"TG_BOARD_TIMESTAMP_PORT": ord(m.group(1)) - ord("A"), "TG_BOARD_TIMESTAMP_BIT": int(m.group(2))}
    m = _ESP_PIN.match(name) if isinstance(name, str) else None
    if m:
        return {"TG_BOARD_TIMESTAMP_GPIO": int(m.group(1))}
    raise ValueError(f"timestamp_pin = {name!r} is not an STM32 pin (\"PF13\") or an ESP32 GPIO (\"GPIO4\")")


def for_energy_runner(board: Board) -> Board:
    """The board as the EEMBC EnergyRunner's energy mode wants its firmware: the
    serial port at [energy] runner_baud (the runner talks to the DUT through its
    IO manager at 9600 baud) and the timestamp pin in EEMBC framing from boot."""
    import dataclasses

    if not board.energy:
        raise UsageError(f"board {board.name} names no timestamp pin for energy mode",
                         f"add [energy] timestamp_pin and wiring to {board.path} (boards/README.md, 'Energy mode')")
    return dataclasses.replace(board, serial={**board.serial, "baud": int(board.energy.get("runner_baud", 9600))},
                               energy={**board.energy, "runner": True})


def _load(path: Path) -> Board:
    def fail(what: str):
        raise TinygenError(f"board file {path}: {what}", _SCHEMA_HINT)

    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        fail(f"not valid TOML ({e})")
    _check(raw, fail)
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
        energy=dict(raw.get("energy", {})),
        emulator=dict(raw["emulator"]) if "emulator" in raw else None,
        path=path,
        raw=raw,
    )


@lru_cache(maxsize=1)
def all_boards() -> tuple[Board, ...]:
    boards = tuple(_load(p) for p in sorted(data_dir("boards").glob("*.toml")))
    owner: dict[str, Path] = {}
    for b in boards:
        for n in (b.name, *b.aliases):
            if n in owner:
                raise TinygenError(f"board name {n!r} is used by both {owner[n]} and {b.path}",
                                   "board names and aliases must be unique: rename one")
            owner[n] = b.path
    return boards


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
