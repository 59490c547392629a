"""Executed blocks → estimated cycles, ms and energy with the board's model.

Every figure here is an estimate and says so: the instruction counts are
exact (QEMU), the cycles come from a timing model (cortex_m4, ..., esp32_c3), a
fetch model (memory) and the kernels' weight reads (weight_reads), the time
from the board's clock, the energy from the board file's [power] run current × that time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tinygen.cycles import cortex_m4, cortex_m7, cortex_m33, cortex_m55, esp32_c3, isa
from tinygen.cycles.fit import IDENTITY, adjustment, components
from tinygen.cycles.memory import fetch_stall_cycles
from tinygen.cycles.isa import writes_pc
from tinygen.cycles.qemu_log import Block, Segment
from tinygen.errors import UsageError

MODELS = {"cortex-m4": cortex_m4, "cortex-m7": cortex_m7, "cortex-m33": cortex_m33, "cortex-m55": cortex_m55,
          "esp32-c3": esp32_c3}
UNCALIBRATED = ("uncalibrated: no published real-board result of a known software stack has been fitted yet; "
                "the error of this core's model is unknown")
LABEL = "estimate: QEMU's executed instructions priced by a timing model, not measured"


@dataclass
class Priced:
    instructions: int
    core_cycles: float
    fetch_cycles: float
    by_class: dict[str, float] = field(default_factory=dict)
    mix: dict[str, int] = field(default_factory=dict)       # executed instructions per class
    weight_cycles: float = 0.0                              # flash weight reads (weight_reads), set by the caller
    sram_cycles: float = 0.0                                # SRAM read wait states (sram), set by the caller

    @property
    def cycles(self) -> float:
        return self.core_cycles + self.fetch_cycles + self.weight_cycles + self.sram_cycles

    def add_weight_reads(self, cycles: float) -> None:
        self.weight_cycles = cycles
        if cycles:
            self.by_class["flash weight reads"] = cycles

    def add_sram_waits(self, cycles: float) -> None:
        self.sram_cycles = cycles
        if cycles:
            self.by_class["SRAM read wait states"] = cycles


def model_for(board, timing: dict | None = None) -> tuple[object, dict]:
    """The board's core model and [timing]; `timing`: another memory system to price with (a calibration
    point's own part, benchmarks/cycle_estimates.py), which must name the same core model."""
    own = board.raw.get("timing")
    if timing and own and timing.get("model") != own.get("model"):
        raise UsageError(f"the timing given names the {timing.get('model')} model, board {board.name}'s core is "
                         f"{own.get('model')}", "price a part only on a stand-in of its own core")
    timing = timing or own
    if not timing or timing.get("model") not in MODELS:
        raise UsageError(f"board {board.name} has no cycle model",
                         f"add [timing] model = one of {', '.join(MODELS)} to {board.path} (boards/README.md)")
    return MODELS[timing["model"]], timing


# instructions that leave the straight line other than by a branch kind: the block after them is not their
# continuation (an exception entry, a wait for one, a breakpoint)
_TRAPS = ("svc", "bkpt", "udf", "wfi", "wfe", "ecall", "ebreak")


def split_off(block: Block, kind) -> bool:
    """Whether QEMU ended the block where the core runs straight on: its last instruction transfers no
    control (QEMU ends a translation block at each 1 KB page of the M-profile's code and after 512
    instructions; the hardware has no such boundary)."""
    last = block.insns[-1]
    k = kind(last)
    if k in ("branch", "jump", "indirect") or last.mnemonic.split(".")[0].lower() in _TRAPS:
        return False
    return k in ("store", "stm", "fpstore", "fpstm") or not writes_pc(last)


def _straight_on(blocks: list[Block], b: int, after: Block, model) -> tuple[float, dict]:
    """A split block's cycles as the core runs it: those it adds in front of the block after it, priced as
    one block (a load's result used across the split, an M7 pair across it), so that where QEMU cut a loop
    in two is not a cost."""
    joined, parts = model.block_cycles(Block(blocks[b].pc, blocks[b].insns + after.insns), taken=False)
    alone, alone_parts = model.block_cycles(after, taken=False)
    return joined - alone, {k: parts.get(k, 0) - alone_parts.get(k, 0) for k in parts.keys() | alone_parts.keys()}


def price(blocks: list[Block], segment: Segment, model, timing: dict | None = None) -> Priced:
    kind = getattr(model, "kind", isa.kind)             # the core's own instruction classes (RISC-V), else Thumb's
    core, by, mix, instructions = 0.0, {}, {}, 0
    cache: dict[tuple[int, bool], tuple[int, dict]] = {}
    kinds: dict[int, Counter] = {}                      # block -> its instructions per class
    at = {block.pc: i for i, block in enumerate(blocks)}    # the latest translation of each address
    for (b, fallthrough), n in segment.runs.items():
        key = (b, not fallthrough)
        if key not in cache:
            after = at.get(blocks[b].end) if fallthrough and split_off(blocks[b], kind) else None
            cache[key] = (model.block_cycles(blocks[b], taken=not fallthrough) if after is None
                          else _straight_on(blocks, b, blocks[after], model))
        c, parts = cache[key]
        core += c * n
        for k, v in parts.items():
            by[k] = by.get(k, 0.0) + v * n
        if b not in kinds:
            kinds[b] = Counter(kind(insn) for insn in blocks[b].insns)
        for k, m in kinds[b].items():
            mix[k] = mix.get(k, 0) + m * n
        instructions += len(blocks[b].insns) * n
    fetch = fetch_stall_cycles(segment, timing or {})
    if fetch:
        by["flash wait states"] = fetch
    return Priced(instructions, core, fetch, by, mix)


def layer_rows(priced: list[Priced], names: list[str], board, params: dict | None = None) -> list[dict]:
    """Per layer: exact instructions and the estimated cycles, ms and µJ; `params`: the core's fitted
    parameters (tinygen.cycles.fit; the core module's FIT), which add `fit_cycles` to the priced ones."""
    power = board.power
    watts = float(power["supply_v"]) * float(power["run_current_a"]) if power.get("run_current_a") else None
    rows = []
    for name, p in zip(names, priced):
        row = {"name": name, "instructions": p.instructions, "fetch_cycles": p.fetch_cycles,
               "weight_read_cycles": p.weight_cycles, "sram_wait_cycles": p.sram_cycles, "core_cycles": p.core_cycles,
               "mix": p.mix}
        row["fit_cycles"] = adjustment(components([row]), params or IDENTITY)
        seconds = (p.cycles + row["fit_cycles"]) / board.clock_hz
        rows.append({**row, "cycles": p.cycles + row["fit_cycles"], "ms": seconds * 1e3,
                     "energy_j": None if watts is None else watts * seconds})
    return rows


def summary(rows: list[dict], board, model, seconds_logging: float | None = None, timing: dict | None = None) -> dict:
    total = {k: sum(r[k] for r in rows) for k in ("instructions", "cycles", "ms")}
    energy = None if any(r["energy_j"] is None for r in rows) else sum(r["energy_j"] for r in rows)
    return {"label": LABEL, "model": model.NAME, "calibrated": model.CALIBRATED, "fit": dict(model.FIT),
            "calibration_note": getattr(model, "CALIBRATION", UNCALIBRATED), "clock_hz": board.clock_hz,
            "timing": dict(timing or board.raw["timing"]),
            "power": {k: board.power.get(k) for k in ("supply_v", "run_current_a", "source", "confirmed")},
            "layers": rows, "total": {**total, "energy_j": energy}, "logging_seconds": seconds_logging}


def render(est: dict) -> str:
    from tinygen.report import table

    rows = [[r["name"], f"{r['instructions']:,}", f"{r['cycles']:,.0f}", f"{r['ms']:.3f}",
             "n/a" if r["energy_j"] is None else f"{r['energy_j'] * 1e6:,.1f}"] for r in est["layers"]]
    t = est["total"]
    rows.append(["total", f"{t['instructions']:,}", f"{t['cycles']:,.0f}", f"{t['ms']:.3f}",
                 "n/a" if t["energy_j"] is None else f"{t['energy_j'] * 1e6:,.1f}"])
    head = (f"ESTIMATED cycles on the {est['clock_hz'] / 1e6:g} MHz board ({est['model']}; flash "
            f"{est['timing'].get('flash_wait_states', 0)} wait states behind a "
            f"{est['timing'].get('code_cache_bytes', 0)} B code cache; weight reads from flash priced from each "
            f"kernel's access pattern behind a {est['timing'].get('data_cache_bytes', 0)} B "
            + ("cache shared with the code" if est["timing"].get("data_cache_shared") else "data cache") + "), "
            f"energy = {est['power']['supply_v']} V × {est['power']['run_current_a']} A (board file) × time. "
            "Instructions are exact; cycles, ms and µJ are estimates"
            + f" ({est['calibration_note'] or UNCALIBRATED}).")
    return head + "\n" + table(["layer", "instructions (exact)", "est. cycles", "est. ms", "est. µJ"], rows,
                               "lrrrr")


__all__ = ["LABEL", "MODELS", "UNCALIBRATED", "Priced", "layer_rows", "model_for", "price", "render", "split_off",
           "summary"]
