"""Board descriptions: one TOML file per board in boards/, or a user's own board file
(`--board my-board.toml`), each checked on load against tinygen.board.schema."""

from __future__ import annotations

import difflib
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tinygen.board.schema import check
from tinygen.errors import BoardFileError, TinygenError, UsageError
from tinygen.resources import data_dir

SCHEMA_HINT = "docs/boards.md lists every key a board file takes"


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
    arduino: dict = field(default_factory=dict)  # [arduino]: the Arduino core's FQBN, architecture and flags
    emulator: dict | None = None          # the QEMU stand-in, None if there is none
    path: Path | None = None
    raw: dict = field(default_factory=dict, repr=False)
    # --flash-budget / --ram-budget: kind -> the part's own size, where the linked region was
    # cut to the budget (with_budget) to leave room for the user's application
    budget: dict = field(default_factory=dict)
    text: str = field(default="", repr=False, compare=False)    # the board file as read
    user: bool = False                    # a user's board file (--board my-board.toml), not one of boards/

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


def _load(path: Path, user: bool = False) -> Board:
    def fail(what: str):
        raise BoardFileError(f"board file {path}: {what}", SCHEMA_HINT)

    try:
        text = path.read_text()
        raw = tomllib.loads(text)
    except OSError as e:
        fail(f"cannot be read ({e.strerror or e})")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        fail(f"not valid TOML ({e})")
    check(raw, fail)
    if "energy" in raw:
        try:
            timestamp_pin(raw["energy"]["timestamp_pin"])
        except ValueError as e:
            fail(f"energy.{e}")
    return Board(
        name=raw["name"],
        aliases=tuple(raw.get("aliases", [])),
        description=raw["description"],
        core=raw["core"],
        isa_features=frozenset(raw.get("isa_features", [])),
        build=raw["build"],
        toolchain=dict(raw["toolchain"]),
        port=raw.get("port"),
        clock_hz=raw.get("clock_hz"),
        memory=tuple(dict(m) for m in raw.get("memory", [])),
        stack_size=int(raw.get("stack", {}).get("size", 0)),
        serial=dict(raw.get("serial", {})),
        flash=dict(raw.get("flash", {})),
        power=dict(raw.get("power", {})),
        energy=dict(raw.get("energy", {})),
        arduino=dict(raw.get("arduino", {})),
        emulator=dict(raw["emulator"]) if "emulator" in raw else None,
        path=path,
        raw=raw,
        text=text,
        user=user,
    )


@lru_cache(maxsize=1)
def all_boards() -> tuple[Board, ...]:
    """The boards shipped with tinygen (boards/*.toml)."""
    boards = tuple(_load(p) for p in sorted(data_dir("boards").glob("*.toml")))
    owner: dict[str, Path] = {}
    for b in boards:
        for n in (b.name, *b.aliases):
            if n.casefold() in owner:
                raise TinygenError(f"board name {n!r} is used by both {owner[n.casefold()]} and {b.path}",
                                   "board names and aliases must be unique (in any case): rename one")
            owner[n.casefold()] = b.path
    return boards


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Board]:
    """Every shipped board under its name and aliases, case-folded."""
    return {n.casefold(): b for b in all_boards() for n in (b.name, *b.aliases)}


def is_board_file(name: str) -> bool:
    """Whether `--board NAME` names a board file: a path ending in .toml, or an existing file
    that is no shipped board's name."""
    return name.lower().endswith(".toml") or (name.casefold() not in _by_name() and Path(name).is_file())


def load_board_file(path: str | Path) -> Board:
    """A user's board file, checked (tinygen.board.schema) and refused in one line
    (BoardFileError) where it is wrong or takes a shipped board's name."""
    path = Path(path)
    if not path.is_file():
        raise BoardFileError(f"board file {path} does not exist",
                             "`tinygen boards --template f746zg > my-board.toml` starts one (docs/boards.md)")
    shipped = next((b for b in all_boards() if b.path.resolve() == path.resolve()), None)
    if shipped is not None:         # boards/nucleo-f746zg.toml given by its path: the board itself
        return shipped
    board = _load(path, user=True)
    for key, n in (("name", board.name), *(("aliases", a) for a in board.aliases)):
        if n.casefold() in _by_name():
            raise BoardFileError(f"board file {path}: {key}: {n!r} is the name of tinygen's board "
                                 f"{_by_name()[n.casefold()].name}", "give your board a name of its own")
    return board


def get_board(name: str) -> Board:
    """A shipped board by its name or an alias, in any case (STM32F746ZG is nucleo-f746zg), or
    a user's board file (is_board_file)."""
    if is_board_file(name):
        return load_board_file(name)
    if name.casefold() in _by_name():
        return _by_name()[name.casefold()]
    known = [n for b in all_boards() for n in (b.name, *b.aliases)]
    close = difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.4)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise UsageError(f"unknown board {name!r}",
                     f"{hint}`tinygen boards` lists the supported boards: {', '.join(b.name for b in all_boards())}; "
                     "a board of your own: --board my-board.toml (docs/boards.md)")


_TOP_NAME = re.compile(r'^name\s*=\s*"[^"]*"[^\n]*$', re.M)
_TOP_ALIASES = re.compile(r'^aliases\s*=\s*\[[^\]]*\][^\n]*$', re.M)


def board_template(name: str) -> str:
    """The board file of `name` as the start of a user's own: a header saying how to use it,
    the name made the user's own ("my-" before it) and no aliases (a user board may not take a
    shipped board's names); everything else as the board has it."""
    board = get_board(name)
    top, sep, tables = board.text.partition("\n[")     # name and aliases are top-level keys
    top = _TOP_NAME.sub(f'name = "my-{board.name}"                # your board\'s name for --board', top, count=1)
    top = _TOP_ALIASES.sub("aliases = []", top, count=1)
    header = (f"# A tinygen board file, started from {board.name} (`tinygen boards --template {name}`).\n"
              f"# Save it as my-{board.name}.toml, give it your board's name, and change what differs on your\n"
              "# board: its memory, clock, pins, flash tools (docs/boards.md lists every key). Then\n"
              f"#   tinygen boards my-{board.name}.toml            # checks it; every error names the key\n"
              f"#   tinygen build MODEL --board my-{board.name}.toml -o build/m\n"
              "# A stand-in ([emulator]) lets hil --emulate run it on QEMU.\n\n")
    return header + top + sep + tables
