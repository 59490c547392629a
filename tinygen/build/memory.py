"""Will the model fit the board? Predicted before compiling, measured after linking.

Both checks use the REAL part's flash and RAM sizes (the linker scripts of the
emulated stand-ins carry them too), so what fits the stand-in fits the board.

- `predict` adds up what the compiled graph needs: RAM = arena + input staging
  buffer (one band's window of rows where the input streams in, passes/stream_input.py)
  + stack + the runtime's own buffers; flash = weights + an estimate of the code. `check_prediction` refuses a build whose prediction already
  exceeds the part, before any compiler runs.
- `measure` reads the linked ELF: flash = everything stored in the image
  (vectors, text, rodata, the load image of .data); RAM = .data + .bss + the
  stack reserve. `overflow_error` turns the linker's "region `RAM' overflowed by
  N bytes" into the same error as the prediction's.

A firmware with an audio front end (--frontend) adds its buffers (audio upload,
scratch, the feature ring, stream state) to RAM and its tables and code to
flash, by tinygen.codegen.audio's sizes; `measure` finds them in the ELF by
their names (tg_audio_*) and both show them as "front end".

The arena may go to one named RAM region of the part (`--arena-region dtcm`):
`arena_region` checks the name, `linker_memory` splits the linked RAM into that
region (the ARENA memory of the linker script, holding the .tg_arena section)
and the largest piece left for data, bss and stack, and the prediction checks
the arena against the region's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tinygen import switches
from tinygen.board import Board, all_boards
from tinygen.build.elf import Elf
from tinygen.codegen.audio import SYMBOL_PREFIX
from tinygen.codegen.weights_ram import placement
from tinygen.errors import ModelError, UsageError
from tinygen.ir import Graph
from tinygen.kernels.depthwise_kx1_imm import IMM_KERNEL, imm_code_bytes
from tinygen.passes.camera_input import CODE_BYTES, STATE_RAM, STREAM_STATE_RAM
from tinygen.passes.plan_memory import ARENA_SECTION
from tinygen.passes.stream_input import input_buffer_bytes
from tinygen.report import human_bytes, table

KINDS = ("flash", "ram")
LABELS = {"flash": "flash", "ram": "RAM"}

# The runtime's own static RAM besides the input staging buffer: the command
# buffer (TG_CMD_MAX + 1), output buffer, counters and the port's state (on the
# Cortex-M stand-ins 16 B of it for the exact counter's readings). The Cortex-M
# builds measure about 366 B.
RUNTIME_RAM = 336
# Code estimate: runtime + port + startup + the C library pieces it pulls in,
# plus each kernel's code and each layer's call and parameter block. The
# DS-CNN and ResNet-8 examples measure about 18.5 KB besides their weights on
# Cortex-M. Both estimates sit a little below what builds measure, so that the
# prediction never refuses a model that would fit; the linked ELF is the exact check.
CODE_BASE = 12 * 1024
CODE_PER_KERNEL = 512
CODE_PER_LAYER = 64

# ESP-IDF boards: the bootloader, partition table, nvs and phy_init partitions
# take the first 64 KB of flash; the app partition (partitions.csv) starts here.
ESP_IDF_APP_OFFSET = 0x10000

ARENA_SYMBOL = "tg_arena"
FRONTEND_PREFIX = SYMBOL_PREFIX     # the audio front end's buffers are named tg_audio_*
WEIGHTS_RAM_PART = "weights in RAM"
STACK_TOP, STACK_LIMIT = "__stack_top__", "__stack_limit__"   # linker script symbols


class MemoryFitError(ModelError):
    """The model does not fit the board's flash or RAM."""


@dataclass
class RegionUse:
    """Bytes of one memory region, by part (section name or predicted component)."""
    kind: str                 # "flash" or "ram"
    capacity: int
    parts: dict[str, int] = field(default_factory=dict)

    @property
    def used(self) -> int:
        return sum(self.parts.values())

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.capacity if self.capacity else 0.0

    def add(self, part: str, size: int) -> None:
        self.parts[part] = self.parts.get(part, 0) + size


@dataclass
class MemoryUse:
    """Per-region use of one firmware image (or of a prediction)."""
    regions: dict[str, RegionUse]
    arena: int
    weights: int
    stack: int
    source: str               # "predicted" or the ELF's file name
    arena_region: str | None = None     # the [[memory]] region holding the arena (None: with the rest of RAM)
    frontend: int = 0         # RAM of the audio front end's buffers (--frontend), 0 without one
    weights_ram: int = 0      # constants moved to RAM (--weights-in), also in flash as .data's load image

    def to_json(self) -> dict:
        return {
            "source": self.source, "arena": self.arena, "weights": self.weights, "stack": self.stack,
            "arena_region": self.arena_region, "frontend": self.frontend, "weights_ram": self.weights_ram,
            **{kind: {"used": r.used, "capacity": r.capacity, "percent": round(r.percent, 2),
                      "parts": dict(r.parts)} for kind, r in self.regions.items()},
        }


def capacity(board: Board, kind: str) -> int | None:
    region = board.region(kind)
    return int(region["size"]) if region else None


def code_estimate(graph: Graph) -> int:
    """Every switch's layers, the kernels they use once, and the code layers define in the
    model besides their call (tg_depthwise_conv2d_kx1_imm_s8_dsp's loops, at most 4 bytes per
    instruction: depthwise_kx1_imm.imm_code_bytes)."""
    pairs = [(g, n) for _, g in switches.switch_graphs(graph) for n in g.nodes if n.kernel]
    kernels = {n.kernel for _, n in pairs}
    own = sum(imm_code_bytes(n.attrs["kparams"], {r: g.const(n, r) for r in ("weight", "bias", "multiplier", "shift")})
              for g, n in pairs if n.kernel == IMM_KERNEL)
    return CODE_BASE + CODE_PER_KERNEL * len(kernels) + CODE_PER_LAYER * len(pairs) + own


def _within(inner: dict, outer: dict) -> bool:
    return outer["origin"] <= inner["origin"] and inner["origin"] + inner["size"] <= outer["origin"] + outer["size"]


def arena_regions(board: Board) -> list[dict]:
    """The RAM regions the arena may be placed in: inside the linked RAM, smaller than it."""
    ram = board.region("ram")
    return [r for r in board.memory if ram is not None and r.get("kind") == "ram" and not r.get("link")
            and _within(r, ram) and r["size"] < ram["size"]]


def _region_list(regions: list[dict]) -> str:
    return ", ".join(f"{r['name']} ({human_bytes(r['size'])} at 0x{r['origin']:08X})" for r in regions) or "none"


def arena_region(board: Board, name: str) -> dict:
    """The board's [[memory]] region `name`, checked to be one the arena can go to."""
    if board.build != "cortex-m":
        raise UsageError(f"--arena-region needs a Cortex-M board, whose linker script tinygen writes; "
                         f"{board.name} is built by {board.build!r}", "leave out --arena-region")
    choices = arena_regions(board)
    found = next((r for r in board.memory if r.get("name") == name), None)
    if found is None or found not in choices:
        why = (f"has no memory region {name!r}" if found is None else
               f"cannot hold the arena in region {name!r} ({found.get('kind')}, "
               f"{'the linked region itself' if found.get('link') else 'outside the linked RAM'})")
        raise UsageError(f"board {board.name} {why}",
                         f"choose one of its RAM regions: {_region_list(choices)} (see {board.path})")
    return found


def linker_memory(board: Board, region_name: str | None, ram_origin: int) -> dict:
    """RAM and ARENA of the linker script for an image whose linked RAM starts at
    ram_origin (the stand-in's address or the part's): without a region, RAM is
    the whole linked RAM; with one, ARENA is that region at the same offset and
    RAM the largest piece of the rest."""
    ram = board.region("ram")
    if region_name is None:
        return {"ram_origin": ram_origin, "ram_size": ram["size"], "arena": None}
    region = arena_region(board, region_name)
    start = region["origin"] - ram["origin"]
    end = start + region["size"]
    below, above = (0, start), (end, ram["size"])
    lo, hi = max(below, above, key=lambda piece: piece[1] - piece[0])
    return {"ram_origin": ram_origin + lo, "ram_size": hi - lo,
            "arena": {"name": region["name"], "origin": ram_origin + start, "size": region["size"],
                      "section": ARENA_SECTION}}


def predict(graph: Graph, board: Board, weight_bytes: int) -> MemoryUse:
    """What the firmware will need, from the compiled graph alone."""
    arena = switches.arena_size(graph)
    inputs = input_buffer_bytes(graph)     # one band's window of rows where the input streams in
    ram = RegionUse("ram", capacity(board, "ram") or 0,
                    {"arena": arena, "input buffer": inputs, "stack": board.stack_size, "runtime": RUNTIME_RAM})
    flash = RegionUse("flash", capacity(board, "flash") or 0,
                      {"weights": weight_bytes, "code (estimate)": code_estimate(graph)})
    if board.build == "esp-idf":
        # ESP-IDF's own code and data come on top; `idf.py size` reports them after its build
        flash.add("bootloader + partition table", ESP_IDF_APP_OFFSET)
    frontend = graph.meta.get("frontend")
    frontend_ram = 0
    if frontend is not None:
        for part, size in frontend.ram_parts().items():
            ram.add(part, size)
        for part, size in frontend.flash_parts().items():
            flash.add(part, size)
        frontend_ram = sum(frontend.ram_parts().values())
    camera = graph.meta.get("camera")
    if camera is not None:      # --camera: its scratch is in the arena (passes/plan_camera.py)
        ram.add("camera front end (state)", STATE_RAM + (STREAM_STATE_RAM if camera.live_until >= 0 else 0))
        tables = sum(g.meta["camera"].lut.size for _, g in switches.switch_graphs(graph))
        flash.add("camera front end (code estimate + tables)", CODE_BYTES + tables)
    moved = placement(graph)
    if moved is not None and moved.nbytes:     # --weights-in: RAM as initialized data, flash unchanged
        ram.add(WEIGHTS_RAM_PART, moved.nbytes)
    return MemoryUse({"flash": flash, "ram": ram}, arena, weight_bytes, board.stack_size, "predicted",
                     getattr(graph.meta["memory"], "region", None), frontend_ram, moved.nbytes if moved else 0)


def _bigger_boards(board: Board, kind: str, need: int) -> list[str]:
    bigger = sorted((capacity(b, kind), b.name) for b in all_boards()
                    if b.name != board.name and (capacity(b, kind) or 0) >= need)
    return [f"{name} ({human_bytes(size)})" for size, name in bigger]


def _hint(board: Board, kind: str, need: int, model: str) -> str:
    smaller = ("fewer channels or a smaller input (the arena holds the largest live activations)"
               if kind == "ram" else "fewer or smaller weight layers (fewer channels, smaller Linear layers)")
    bigger = _bigger_boards(board, kind, need)
    board_hint = f", a board with more {LABELS[kind]} ({', '.join(bigger)})" if bigger else ""
    return (f"use a smaller model: {smaller}{board_hint}, or see where the memory goes with "
            f"`tinygen inspect {model} --memory`")


def has_text(board: Board, kind: str, size: int) -> str:
    """ "the part has 512.0 KiB", or with a budget "the budget (--flash-budget) is 400.0 KiB of the part's 512.0 KiB"."""
    if kind in board.budget:
        return (f"the budget (--{'flash' if kind == 'flash' else 'ram'}-budget) is {human_bytes(size)} "
                f"of the part's {human_bytes(board.budget[kind])}")
    return f"the part has {human_bytes(size)}"


def _breakdown(region: RegionUse) -> str:
    return " + ".join(f"{name} {human_bytes(size)}" for name, size in region.parts.items() if size)


def _check_arena_region(use: MemoryUse, board: Board, model: str) -> None:
    """The arena fits its region, and the rest of RAM's parts the RAM left beside it."""
    region = arena_region(board, use.arena_region)
    if use.arena > region["size"]:
        fit = [r for r in arena_regions(board) if r["size"] >= use.arena]
        raise MemoryFitError(
            f"does not fit {board.name}: the arena needs {human_bytes(use.arena)} but region {region['name']} "
            f"has {human_bytes(region['size'])}",
            f"choose a larger region ({_region_list(fit)}), or leave out --arena-region to place the arena "
            f"with the rest of RAM; `tinygen inspect {model} --memory` shows the plan")
    left = linker_memory(board, use.arena_region, board.region("ram")["origin"])["ram_size"]
    rest = use.regions["ram"].used - use.arena
    if rest > left:
        raise MemoryFitError(
            f"does not fit {board.name}: with the arena in {region['name']}, the rest of RAM "
            f"({human_bytes(rest)}: input buffer, stack, runtime) needs more than the {human_bytes(left)} left",
            "choose a region at the start or end of RAM, or leave out --arena-region")


def check_prediction(use: MemoryUse, board: Board, model: str) -> None:
    """Refuse a build whose predicted flash or RAM exceeds the real part, or whose
    arena exceeds its chosen region."""
    if use.arena_region is not None:
        _check_arena_region(use, board, model)
    for kind in ("ram", "flash"):
        r = use.regions[kind]
        if r.capacity and r.used > r.capacity:
            raise MemoryFitError(
                f"does not fit {board.name}: {LABELS[kind]} needs {human_bytes(r.used)} ({_breakdown(r)}) "
                f"but {has_text(board, kind, r.capacity)}", _hint(board, kind, r.used, model))


_OVERFLOW = re.compile(r"region `(\w+)' overflowed by (\d+) bytes")
_NO_FIT = re.compile(r"will not fit in region `(\w+)'")


def overflow_error(linker_output: str, board: Board, predicted: MemoryUse, image: str,
                   model: str) -> MemoryFitError | None:
    """The fit error for a link that failed because a region overflowed ("region `X' overflowed
    by N bytes", or only "section `S' will not fit in region `X'"), else None: any region of the
    linker script (FLASH, RAM, the arena's own ARENA), never a compile error."""
    overflows: dict[str, int] = {}
    for region, nbytes in _OVERFLOW.findall(linker_output):
        overflows[region] = max(overflows.get(region, 0), int(nbytes))
    for region in _NO_FIT.findall(linker_output):
        overflows.setdefault(region, 0)
    if not overflows:
        return None
    kinds = {region.lower(): n for region, n in overflows.items() if region.lower() in KINDS}
    if kinds:
        kind = "ram" if "ram" in kinds else "flash"
        cap = capacity(board, kind) or 0
        need = cap + kinds[kind]
        by = f"overflowed by {human_bytes(kinds[kind])}" if kinds[kind] else "overflowed"
        return MemoryFitError(
            f"does not fit {board.name}: {LABELS[kind]} {by} when linking {image}: it needs "
            f"{'more than ' if not kinds[kind] else ''}{human_bytes(need)} (predicted: "
            f"{_breakdown(predicted.regions[kind])}) but {has_text(board, kind, cap)}", _hint(board, kind, need, model))
    region, nbytes = next(iter(overflows.items()))
    by = f"overflowed by {human_bytes(nbytes)}" if nbytes else "overflowed"
    if region == "ARENA":
        hint = (f"the tensor arena ({human_bytes(predicted.arena)}) does not fit its region "
                f"({predicted.arena_region or '--arena-region'}): name a larger one with --arena-region "
                f"(`tinygen boards` lists {board.name}'s memories), or see where the memory goes with "
                f"`tinygen inspect {model} --memory`")
    else:
        hint = (f"use a smaller model, or a board with more memory; see where the memory goes with "
                f"`tinygen inspect {model} --memory`")
    return MemoryFitError(f"does not fit {board.name}: the linker's region {region} {by} when linking {image}", hint)


def check_measured(use: MemoryUse, board: Board, model: str) -> None:
    """The linker scripts already refuse an overflow; this also covers a stack
    that no section reserves (added by `measure`)."""
    for kind in ("ram", "flash"):
        r = use.regions.get(kind)
        if r is not None and r.capacity and r.used > r.capacity:
            raise MemoryFitError(
                f"does not fit {board.name}: {use.source} needs {human_bytes(r.used)} of {LABELS[kind]} "
                f"({_breakdown(r)}) but {has_text(board, kind, r.capacity)}",
                _hint(board, kind, r.used, model))


def _stack_reserve(elf: Elf, section_size: int) -> int:
    """The stack's own bytes. A linker script may stretch the stack section from
    the end of .bss to the top of RAM (so that an overflow fails the link); the
    reserve is then what lies between __stack_limit__ and __stack_top__."""
    top, limit = elf.symbol(STACK_TOP), elf.symbol(STACK_LIMIT)
    if top is not None and limit is not None and 0 < top.value - limit.value <= section_size:
        return top.value - limit.value
    return section_size


def _region_of(addr: int, regions: dict[str, tuple[int, int]]) -> str | None:
    for kind, (origin, size) in regions.items():
        if origin <= addr < origin + size:
            return kind
    return None


def measure(elf: Elf, regions: dict[str, tuple[int, int]], capacities: dict[str, int], weights: int,
            stack_size: int) -> MemoryUse:
    """Per-region use of a linked image. `regions` maps "flash"/"ram" to the
    (origin, size) the image was linked with; `capacities` are the real part's
    sizes. A section counts where it runs; an initialised section that is
    copied at start-up (.data) also counts where its bytes are stored."""
    use = {kind: RegionUse(kind, capacities[kind]) for kind in regions}
    stack = 0
    for s in elf.sections:
        if not s.alloc or s.size == 0:
            continue
        size = s.size
        if "stack" in s.name:
            size = _stack_reserve(elf, s.size)
            stack += size
        where = _region_of(s.addr, regions)
        if where is not None:
            use[where].add(s.name, size)
        stored = _region_of(s.load_addr, regions) if s.has_bytes else None
        if stored is not None and stored != where:
            use[stored].add(f"{s.name} (load image)", size)
    if stack == 0 and "ram" in use:
        # no section reserves it: the stack grows down from the top of RAM at run time
        use["ram"].add("stack (reserved)", stack_size)
        stack = stack_size
    arena = elf.symbol(ARENA_SYMBOL)
    ram = regions.get("ram")
    frontend = sum(sym.size for sym in elf.symbols if sym.name.startswith(FRONTEND_PREFIX)
                   and ram is not None and _region_of(sym.value, {"ram": ram}) == "ram")
    return MemoryUse(use, arena.size if arena else 0, weights, stack, elf.path.name, frontend=frontend)


def memory_table(use: MemoryUse) -> str:
    """used / capacity per region, with the arena, stack and weights called out."""
    called_out = {"ram": [("arena", use.arena), ("stack", use.stack), ("front end", use.frontend),
                          (WEIGHTS_RAM_PART, use.weights_ram)],
                  "flash": [("weights", use.weights)]}
    rows = []
    for kind in ("flash", "ram"):
        r = use.regions.get(kind)
        if r is None:
            continue
        notes = ", ".join(f"{name} {human_bytes(size)}" for name, size in called_out[kind] if size)
        rows.append([LABELS[kind], human_bytes(r.used), human_bytes(r.capacity) if r.capacity else "-",
                     f"{r.percent:.1f}%" if r.capacity else "-", notes])
    return table(["memory", "used", "of", "use", "of which"], rows, "lrrrl")


def memory_line(use: MemoryUse) -> str:
    """One line: "flash 38.1 KiB / 1.00 MiB (3.7%)  RAM 12.4 KiB / 320.0 KiB (3.9%)"."""
    return "  ".join(f"{LABELS[kind]} {human_bytes(r.used)} / {human_bytes(r.capacity)} ({r.percent:.1f}%)"
                     for kind, r in use.regions.items() if r.capacity)


__all__ = ["ARENA_SECTION", "WEIGHTS_RAM_PART", "MemoryFitError", "MemoryUse", "RegionUse", "arena_region", "arena_regions",
           "capacity", "linker_memory", "check_measured", "check_prediction",
           "measure", "memory_line", "memory_table", "overflow_error", "predict"]
