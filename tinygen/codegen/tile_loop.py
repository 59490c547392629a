"""A loop over the banded stage's schedule: one function per layer shape, not per band.

Row bands (passes/band.py) turn each layer of the model's initial stage into one copy per
band, plus the slices carrying halo rows and copying input rows. Emitted one function per
copy, every copy repeats its kernel call, parameter block and, for the specialized kernels,
its inlined body: ~330 B of code per copy, tens of KB per model (MobileNetV2 in 8 bands on
the F446RE's 512 KiB). Here the copies whose code is the same but for the arena offsets of
their tensors (same kernel, same parameters: the middle bands; the first and the last
usually differ by their padding) become one function `NAME(int tile)` that reads those
offsets from a table, and the model runs its layers as a loop over a step table
(function, tile): the order the memory plan was made for, unchanged.

    loop = fold(graph, layers, nodes)      # None when the graph has no bands

The parameters stay compile-time constants of each function (the specialized kernels keep
their folded requantization and loop bounds), only the pointers come from a table.

It also gives the banded input's windows (TG_MODEL_INPUT_BANDS ...): band b reads input rows
[first_b, end_b); tg_model_invoke_band(b) runs the steps through band b's last read of the
input, so a caller can stream the input in (graph.meta[STREAM_INPUT]: the input buffer then
holds one window, rows [first_b, end_b) at its start, and the input slices read relative to
first_b).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from tinygen.codegen.cformat import c_comment, c_identifier
from tinygen.errors import UsageError
from tinygen.ir import Graph, Node
from tinygen.passes.band import BAND
from tinygen.passes.plan_memory import INPUT_OUTSIDE_ARENA, STREAM_INPUT
# the windows are passes/stream_input.py's, which the memory prediction and the camera's plan use too
from tinygen.passes.stream_input import band_windows_of, check_streamable
from tinygen.passes.tile_geometry import TILE

# a plain model's tensor and scratch offsets (emit.tensor_macro, emit.scratch_macro with prefix "")
_MACRO = re.compile(r"\bT[TS]_[A-Z0-9_]+\b")
# a layer's one parameter block (emit._emit_generic, _emit_binary): its struct type and initializer
_PARAMS = re.compile(r"static const (\w+) @_params = \{\n(.*)\n\};", re.DOTALL)


@dataclass
class TileLoop:
    functions: list            # emit.Layer: the functions to define, each taking `int tile`
    steps: list                # emit.Layer per layer of the model, .function and .arg set
    bands: int
    windows: list[tuple[int, int]]       # per band: the input rows [first, end) it reads
    band_last: list[int]                 # per band: the step of its last input read
    row_bytes: int
    rows: int
    streamed: bool

    @property
    def window_rows(self) -> int:
        return max((e - f for f, e in self.windows), default=0)


def _own(layer) -> re.Pattern:
    return re.compile(rf"\b{re.escape(layer.name)}_(params|copy_sizes)\b")


def _shape(layer, copy: bool) -> tuple[tuple, list[str], str | None]:
    """The layer's code with its own static names and its arena offsets abstracted, those
    offsets, and its parameter block's initializer where that is abstracted too (a kernel
    called with its parameters by pointer: they can come from a table; not a specialized
    kernel's, whose inline body is compiled for its constant parameters)."""
    own = _own(layer)
    macros: list[str] = []

    def take(m: re.Match) -> str:
        macros.append(m[0])
        return f"@{len(macros) - 1}@"

    statics = tuple(own.sub(r"@_\1", s) for s in layer.statics)
    init = None
    one = _PARAMS.fullmatch(statics[0]) if copy and len(statics) == 1 and not layer.specialized else None
    if one:
        statics, init = (f"static const {one[1]} @_params[@n] = {{\n@init\n}};",), one[2]
    body = tuple(_MACRO.sub(take, own.sub(r"@_\1", line)) for line in layer.body)
    return (layer.kernel, statics, body), macros, init


def stream_kparams(graph: Graph, nodes: list[Node]) -> dict[str, dict]:
    """Streamed (graph.meta[STREAM_INPUT]): node name -> the kparams its input slice is emitted
    with, reading its rows relative to its band's first input row (the graph is not changed)."""
    if not graph.meta.get(STREAM_INPUT):
        return {}
    source = graph.meta.get(INPUT_OUTSIDE_ARENA)
    if source is None:
        raise UsageError("only a banded model's input (outside the arena) can stream in")
    windows, last = band_windows_of(graph, nodes)
    why = check_streamable(windows, last)
    if why:
        raise UsageError(f"the input cannot stream in band by band: {why}")
    row_bytes = int(graph.tensor(source).shape[2] * graph.tensor(source).shape[3])
    out = {}
    for node in nodes:
        if node.op == "slice" and node.inputs[0] == source:
            kp = dict(node.attrs["kparams"])
            kp["offset"] = int(kp["offset"]) - windows[node.attrs[BAND]][0] * row_bytes
            out[node.name] = kp
    return out


def fold(graph: Graph, layers: list, nodes: list[Node]) -> TileLoop | None:
    """The banded graph's layers as functions over tiles and a step table (module docstring);
    None where the graph has no bands or a layer runs code after itself (an early exit)."""
    copies = [BAND in n.attrs or TILE in n.attrs for n in nodes]
    if not any(copies) or any(layer.after for layer in layers):
        return None
    groups: dict[tuple, list[int]] = {}
    offsets: list[list[str]] = []
    inits: list[str | None] = []
    for i, (layer, node) in enumerate(zip(layers, nodes)):
        shape, macros, init = _shape(layer, copies[i])
        offsets.append(macros)
        inits.append(init)
        key = (node.attrs.get("tile_of") or node.op, 0, shape) if copies[i] else (layer.name, i, shape)
        groups.setdefault(key, []).append(i)
    functions = []
    steps = [None] * len(layers)
    used: set[str] = set()
    for (what, _, shape), members in groups.items():
        first = layers[members[0]]
        if len(members) == 1:
            name = first.name
        else:
            name = _name(f"{what}_x{len(members)}", used)
        used.add(name)
        functions.append(_function(first, name, members, [offsets[i] for i in members], [inits[i] for i in members],
                                   shape, len(members) > 1))
        for k, i in enumerate(members):
            layer = layers[i]
            steps[i] = replace(layer, statics=[], body=[], function=name, arg=k if len(members) > 1 else 0)
    source = graph.meta.get(INPUT_OUTSIDE_ARENA)
    if source is None or not any(BAND in n.attrs for n in nodes):     # recompute tiles: the loop only
        return TileLoop(functions, steps, 0, [], [], 0, 0, False)
    windows, last = band_windows_of(graph, nodes)
    _, h, w, c = graph.tensor(source).shape
    return TileLoop(functions, steps, len(windows), windows, last, int(w * c), int(h),
                    bool(graph.meta.get(STREAM_INPUT)))


def _name(base: str, used: set[str]) -> str:
    name = c_identifier(base)
    k = 1
    while name in used:
        k += 1
        name = c_identifier(f"{base}_{k}")
    return name


def _function(first, name: str, members: list[int], offsets: list[list[str]], inits: list[str | None],
              shape: tuple, table: bool):
    """One function for `members` (layers of the same shape), tile = the member's index."""
    _, statics, body = shape
    lines = [line.replace("@_", f"{name}_") for line in body]
    if inits[0] is not None:            # the parameter blocks: one per distinct block, the tile picks its own
        distinct = list(dict.fromkeys(inits))
        blocks = ",\n".join("    {\n" + init.replace("\n", "\n    ") + "\n    }" for init in distinct)
        statics = [statics[0].replace("@n", str(len(distinct))).replace("@init", blocks)]
        pick = "0" if len(distinct) == 1 else "tile" if distinct == inits else f"{name}_param_of[tile]"
        if pick not in ("0", "tile"):
            statics.append(f"static const uint8_t {name}_param_of[{len(members)}] = "
                           f"{{{', '.join(str(distinct.index(i)) for i in inits)}}};")
        lines = [line.replace(f"&{name}_params", f"&{name}_params[{pick}]") for line in lines]
    statics = [s.replace("@_", f"{name}_") for s in statics]
    count = len(offsets[0])
    if table and count:
        rows = ",\n".join("    {" + ", ".join(macros) + "}" for macros in offsets)
        statics.append(f"static const int32_t {name}_at[{len(members)}][{count}] = {{\n{rows}\n}};")
        lines = [re.sub(r"@(\d+)@", rf"{name}_at[tile][\1]", line) for line in lines]
    else:
        lines = [re.sub(r"@(\d+)@", lambda m: offsets[0][int(m[1])], line) for line in lines]
        lines.insert(0, "(void)tile;")
    what = f"{len(members)} copies (tile 0..{len(members) - 1}): " if table else ""
    return replace(first, name=name, comment=c_comment(what + first.comment), statics=statics, body=lines)


__all__ = ["TileLoop", "band_windows_of", "check_streamable", "fold", "stream_kparams"]
