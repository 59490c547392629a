"""Constants moved from flash to RAM (--weights-in, issue 72): what the build records and codegen emits.

A layer whose constants are moved is emitted with them as initialized, non-const data in
SECTION. Every linker script's .data takes `.data.*` (tinygen's Cortex-M script, which puts
SECTION first so that it lands at the start of RAM: DTCM on the F746ZG / F767ZI; a user's
project's for a library), so the start-up code copies them from flash to RAM before main:
flash holds them as before (the load image of .data), RAM grows by exactly their bytes.
The same C for firmware and library: only the section attribute, defined in weights.c.

The choice (which layers, by estimated weight-read cycles saved per RAM byte) is made by
tinygen.fit.weights_ram, which records a WeightsPlacement in graph.meta[META]; codegen,
the memory prediction and the cycle estimate (tinygen.cycles.weight_reads) read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.kernels.table import KERNELS_BY_NAME

META = "weights_in_ram"
SECTION = ".data.tg_weights"
MACRO = "TG_WEIGHTS_RAM"
MODES = ("flash", "ram", "auto")
ARRAY_ALIGNMENT = 4             # weights.c aligns every constant array to 4 bytes


@dataclass(frozen=True)
class LayerWeights:
    """One layer's constants and what keeping them in flash costs."""
    name: str
    tensors: tuple[str, ...]    # its constant tensors, as codegen stores them
    nbytes: int                 # their RAM bytes, each array aligned
    cycles: float               # estimated weight-read cycles from flash per inference
    why: str = ""               # moved: why; kept in flash: why not

    @property
    def per_byte(self) -> float:
        return self.cycles / self.nbytes if self.nbytes else 0.0


@dataclass(frozen=True)
class WeightsPlacement:
    """The build's choice (graph.meta[META])."""
    mode: str                              # one of MODES
    room: int                              # RAM bytes left for constants after the arena, stack, runtime
    moved: tuple[LayerWeights, ...] = ()
    kept: tuple[LayerWeights, ...] = ()    # layers with flash read cycles left in flash
    # the board's core model's fitted scale of flash stalls (tinygen.cycles.fit's memory_scale), which the
    # cycle estimate applies to the read cycles above; None where the board has no timing model
    fit_scale: float | None = None

    @property
    def tensors(self) -> frozenset[str]:
        return frozenset(t for layer in self.moved for t in layer.tensors)

    @property
    def layers(self) -> frozenset[str]:
        return frozenset(layer.name for layer in self.moved)

    @property
    def nbytes(self) -> int:
        return sum(layer.nbytes for layer in self.moved)

    @property
    def saved(self) -> float:
        """Flash read cycles the moved layers save per inference, at the part's wait states."""
        return sum(m.cycles for m in self.moved)

    @property
    def saved_in_estimate(self) -> float:
        """The same as the cycle estimate counts them: scaled by the core's fitted memory_scale."""
        return self.saved * (1.0 if self.fit_scale is None else self.fit_scale)

    def lines(self) -> list[str]:
        """The report: what moved, what stayed and why."""
        fitted = (f", {self.saved_in_estimate:,.0f} in the estimate (the core's fitted timing model scales flash "
                  f"stalls by {self.fit_scale:g})" if self.fit_scale is not None and self.fit_scale != 1.0 else "")
        head = (f"weights in RAM (--weights-in {self.mode}): {self.nbytes:,} B of {len(self.moved)} layers, "
                f"{self.saved:,.0f} flash read cycles saved per inference at the part's wait states{fitted} "
                f"(RAM left for them: {self.room:,} B)")
        rows = [f"  {m.name}: {m.nbytes:,} B in RAM, saves {m.cycles:,.0f} cycles ({m.per_byte:.2f}/B); {m.why}"
                for m in self.moved]
        rows += [f"  {k.name}: {k.nbytes:,} B stays in flash ({k.cycles:,.0f} cycles, {k.per_byte:.2f}/B): {k.why}"
                 for k in self.kept]
        return [head, *rows]


def placement(graph) -> WeightsPlacement | None:
    return graph.meta.get(META)


def in_ram(graph, tensor: str) -> bool:
    chosen = placement(graph)
    return chosen is not None and tensor in chosen.tensors


def aligned(nbytes: int) -> int:
    return -(-nbytes // ARRAY_ALIGNMENT) * ARRAY_ALIGNMENT


def layer_constants(graph, node) -> dict[str, int]:
    """The layer's constant tensors and the bytes codegen stores for each (its stored dtype,
    emit._weight_arrays), aligned as weights.c aligns them."""
    if node.kernel is None:
        return {}
    spec = KERNELS_BY_NAME[node.kernel]
    out = {}
    for role in spec.const_roles:
        name = node.param(role)
        if name is None:
            continue
        t = graph.tensor(name)
        out[name] = aligned(t.size * np.dtype(spec.stored_dtype(role, t.dtype)).itemsize)
    return out


__all__ = ["ARRAY_ALIGNMENT", "LayerWeights", "MACRO", "META", "MODES", "SECTION", "WeightsPlacement", "aligned",
           "in_ram", "layer_constants", "placement"]
