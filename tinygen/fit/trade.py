"""The flash trade's choice (tinygen/fit/): per layer its options, and the greedy trade.

    choice = trade(layers, chosen, need)     # node -> Option, saving >= need bytes of constants

Options are plain (kernel, flash, instructions) triples, so this module knows no graph.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    kernel: str
    flash: int                  # bytes of the layer's constants with this kernel
    instructions: int           # executed instructions of the layer with it
    measured: bool = False      # measured on the stand-in (else estimated)
    # a fused conv2d_add computed as the conv (with `kernel`) and a separate add (tg_add_s8_dsp)
    unfuse: bool = False

    @property
    def label(self) -> str:
        return f"{self.kernel} + add (unfused)" if self.unfuse else self.kernel


@dataclass(frozen=True)
class LayerOptions:
    node: str
    op: str
    options: tuple[Option, ...]  # candidate kernels, preferred first

    def option(self, kernel: str) -> Option:
        found = [o for o in self.options if o.kernel == kernel]
        if not found:
            raise KeyError(f"{self.node} has no option {kernel}")
        return found[0]


def trade(layers: list[LayerOptions], chosen: dict[str, str], need: int) -> dict[str, Option] | None:
    """Per layer the kernel to use so that the layers' flash drops by at least `need` bytes
    from `chosen`'s, for few extra instructions (greedy by extra instructions per byte
    saved, then unneeded moves undone); None if every layer's smallest option saves less."""
    order = {layer.node: i for i, layer in enumerate(layers)}
    current = {layer.node: layer.option(chosen[layer.node]) for layer in layers}
    start = dict(current)
    saved = 0
    while saved < need:
        best = None
        for layer in layers:
            cur = current[layer.node]
            for j, opt in enumerate(layer.options):
                gain = cur.flash - opt.flash
                if gain <= 0:
                    continue
                key = ((opt.instructions - cur.instructions) / gain, -gain, order[layer.node], j)
                if best is None or key < best[0]:
                    best = (key, layer.node, opt, gain)
        if best is None:
            return None
        _, node, opt, gain = best
        current[node] = opt
        saved += gain
    # undo: the most expensive moves per byte first, back to the fastest option still saving `need`
    moved = [layer for layer in layers if current[layer.node] != start[layer.node]]
    moved.sort(key=lambda layer: (-_ratio(start[layer.node], current[layer.node]), order[layer.node]))
    for layer in moved:
        cur = current[layer.node]
        for opt in sorted(layer.options, key=lambda o: (o.instructions, layer.options.index(o))):
            if opt.instructions < cur.instructions and saved - (opt.flash - cur.flash) >= need:
                saved -= opt.flash - cur.flash
                current[layer.node] = opt
                break
    return current


def _ratio(before: Option, after: Option) -> float:
    gain = before.flash - after.flash
    return (after.instructions - before.instructions) / gain if gain > 0 else 0.0


def smallest_options(layers: list[LayerOptions]) -> dict[str, Option]:
    """Per layer its option with the fewest bytes of constants (then the fewest instructions)."""
    return {layer.node: min(layer.options, key=lambda o: (o.flash, o.instructions)) for layer in layers}


__all__ = ["LayerOptions", "Option", "smallest_options", "trade"]
