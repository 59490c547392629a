"""`--kernels auto`'s pick per layer, with flash weighed (issue 17).

    kernel = pick(names, counts, flash, prefer="balanced")

`names`: the layer's candidate kernels, preferred first (the kernel `--kernels tinygen`
gives it); `counts`: kernel -> measured instructions (None: not measured); `flash`: kernel ->
bytes of the constants it keeps in flash for the layer (tinygen.passes.footprint.layer_flash).

    speed     the candidate with the fewest instructions, whatever flash it adds
              (auto before issue 17 part 1; tinygen.fit.autotune.pick_fastest)
    balanced  (default) the fewest instructions among the candidates that keep no more
              constant flash than the preferred kernel, or that save at least
              INSTRUCTIONS_PER_FLASH_BYTE executed instructions per inference for each
              flash byte they add over it

The fastest kernels that add flash keep weights widened to int16 (tg_conv2d_direct_s8_dsp,
tg_conv2d_add_s8_dsp). Measured on the f746zg stand-in (MLPerf Tiny, at d8b38d7) they save
0.27 and 0.64 instructions per byte added on VWW's last pointwise convs and 1.16..2.25 on
IC's 3x3 convs, where the preferred DSP kernels already run at 1.2..1.5 instructions per MAC:
64 KB of IC's flash for 0.9% of its instructions. INSTRUCTIONS_PER_FLASH_BYTE = 4 refuses
those and would take a kernel that saves several instructions per byte it stores twice (a
layer of few weights and many pixels). tinygen/passes/lower_peak.py weighs the other way
(at most 5 flash bytes per arena byte saved); both keep the default build's flash close to
the preferred kernels'.

Code counts as flash too (pick_layers): a kernel's object code that no other layer's kernel
links (tinygen.build.kernel_code measures each kernel's code units: functions and read-only
data, by object and section) is flash the choice adds as much as its constants. pick_layers
first picks every layer on its constants alone (pick), then picks each layer again in graph
order with its candidates' flash = constants + marginal_code (the bytes of their units that
the other layers' kernels do not link), until no layer changes (at most a round per layer).
SWW's last depthwise layer measured the widening kernel fastest (10,659 instructions, 1,280 B
of constants) but it alone links tg_depthwise_conv2d_s8_dsp.c's pixel functions (~9 KB) where
the preferred kx1 kernel (15,723, 5,380 B) shares the code another layer links: balanced keeps
kx1. Where a candidate's code is not measured (None: CMSIS-NN's, ESP-NN's, and the specialized
kernels', whose body model.c holds per layer, e.g. rows3's ~215 B), the layer is picked again
only among the measured ones, and only when its current kernel and preferred kernel are
measured: no kernel is taken or dropped for code nobody measured.
The fit-first trade
(tinygen/fit/) still narrows any layer when the result does not fit the board.
Same counts, same pick: no randomness, ties keep the preference order.

The counts are whatever --kernels auto measured (tinygen.fit.standin.metric_for): estimated
cycles on a board with a timing model, executed instructions elsewhere. On the former the rule
is cycles per flash byte, INSTRUCTIONS_PER_FLASH_BYTE of them: the estimates price the M7 and M4
cores at 0.94..1.02 cycles per instruction on MLPerf Tiny's default builds (f746zg: KWS 3,093,251
est. cycles for 3,040,536 instructions, IC 14,378,582 for 14,980,825; benchmarks/cycle_estimates.py),
so the same number keeps the balance the instructions' rule struck.
"""

from __future__ import annotations

# executed instructions per inference a candidate must save for each constant flash byte it
# adds over the layer's preferred kernel, with --prefer balanced (see the module docstring)
INSTRUCTIONS_PER_FLASH_BYTE = 4.0
PREFER = ("balanced", "speed")


def pick_fastest(names: list[str], counts: dict[str, int | None]) -> str:
    """The candidate with the fewest measured instructions; unmeasured ones lose to
    measured ones, and ties keep the preference order."""
    return min(names, key=lambda k: (counts.get(k) is None, counts.get(k) or 0, names.index(k)))


def worth(base_count: int | None, count: int | None, base_flash: int, flash: int,
          per_byte: float = INSTRUCTIONS_PER_FLASH_BYTE) -> bool:
    """Whether a candidate (count, flash) may replace the preferred kernel (base_count,
    base_flash) under --prefer balanced."""
    if flash <= base_flash:
        return True
    if base_count is None or count is None:
        return False                # flash added for a saving nobody measured
    return base_count - count >= per_byte * (flash - base_flash)


def pick(names: list[str], counts: dict[str, int | None], flash: dict[str, int], prefer: str = "balanced",
         per_byte: float = INSTRUCTIONS_PER_FLASH_BYTE) -> str:
    """The layer's kernel under `prefer` (PREFER); names[0] is the preferred kernel."""
    if prefer not in PREFER:
        raise ValueError(f"prefer must be one of {PREFER}, not {prefer!r}")
    if prefer == "speed":
        return pick_fastest(names, counts)
    base = names[0]
    if counts.get(base) is None:
        # the preferred kernel not measured (a variant that did not apply it; the measuring builds
        # run without lower_peak, tinygen.fit.autotune): nothing to weigh a saving against, so the layer keeps
        # the default's choice (and lower_peak decides there as in the default build), never a
        # measured portable kernel that merely stores no more flash
        return base
    allowed = [k for k in names if worth(counts.get(base), counts.get(k), flash[base], flash[k], per_byte)]
    return pick_fastest(allowed, counts)


def marginal_code(units: dict[str, int], linked: list[dict[str, int]]) -> int:
    """The bytes of `units` (a kernel's code units) that none of `linked` (the other layers'
    kernels' units) holds."""
    return sum(size for unit, size in units.items() if not any(unit in other for other in linked))


def pick_layers(candidates: dict[str, list[str]], counts: dict[str, dict[str, int | None]],
                flash: dict[str, dict[str, int]], code: dict[str, dict[str, int] | None],
                others: tuple[str, ...] = (), prefer: str = "balanced",
                per_byte: float = INSTRUCTIONS_PER_FLASH_BYTE) -> dict[str, str]:
    """Every layer's kernel under `prefer`, constants and code weighed (module docstring).
    candidates: layer -> its kernels, preferred first (graph order); counts / flash: layer ->
    kernel -> instructions / constant bytes; code: kernel -> its code units (None: not
    measured); others: the kernels of the layers without a choice (their code is linked)."""
    choice = {n: pick(names, counts[n], flash[n], prefer, per_byte) for n, names in candidates.items()}
    if prefer == "speed":
        return choice
    for _ in range(len(candidates)):
        changed = False
        for n, names in candidates.items():
            if code.get(names[0]) is None or code.get(choice[n]) is None:
                continue
            linked = [code[k] for k in (*others, *(choice[m] for m in candidates if m != n)) if code.get(k)]
            measured = [k for k in names if code.get(k) is not None]
            total = {k: flash[n][k] + marginal_code(code[k], linked) for k in measured}
            new = pick(measured, counts[n], total, prefer, per_byte)
            changed |= new != choice[n]
            choice[n] = new
        if not changed:
            break
    return choice


__all__ = ["INSTRUCTIONS_PER_FLASH_BYTE", "PREFER", "marginal_code", "pick", "pick_fastest", "pick_layers", "worth"]
