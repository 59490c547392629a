"""Turn a lowered graph into plain data for the C templates.

Per-op emitters produce each layer's C statements; everything a template
prints is computed here, so templates only loop and substitute.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable

import numpy as np

from tinygen.codegen.api import FIRMWARE, Api
from tinygen.codegen.cformat import (C_TYPES, c_array_body, c_comment, c_float, c_float_array_body, c_identifier,
                                     c_int, c_macro, c_string, c_struct_init)
from tinygen.codegen.recurrent import emit_recurrent, emit_signal_state, emit_variable, reset_lines, state_macro
from tinygen.codegen.tile_loop import fold, stream_kparams
from tinygen.codegen.huffman_decode import huffman_decode_call
from tinygen.codegen.lut_decode import decode_call
from tinygen.codegen.operands import emit_input_list, emit_roles
from tinygen.codegen.weights_ram import MACRO as WEIGHTS_RAM_MACRO
from tinygen.codegen.weights_ram import SECTION as WEIGHTS_RAM_SECTION
from tinygen.codegen.weights_ram import aligned, in_ram
from tinygen.ir import (RECURRENT_OPS, ROLE_OPERAND_OPS, STATEFUL_OPS, VARIABLE_OPS, Graph, Node, binary_operands,
                        carries_state)
from tinygen.kernels import specialize
from tinygen.kernels.depthwise_kx1_imm import imm_defines
from tinygen.kernels.lowbit_table import API_HEADER_PREFIX
from tinygen.kernels.table import BACKEND_HEADERS, KERNELS_BY_NAME, KernelSpec
from tinygen.passes.plan_memory import ALIGNMENT, ARENA_SECTION, INPUT_OUTSIDE_ARENA, MemoryPlan

INPUT_BUFFER = "tg_input_buffer"      # the model input's own buffer, when it is outside the arena
from tinygen.switches import switch_graphs


@dataclass
class CArray:
    name: str
    ctype: str
    length: int
    body: str
    comment: str
    nbytes: int = 0
    ram: bool = False           # moved to RAM (--weights-in, codegen/weights_ram.py): non-const, in its section

    @property
    def qualifier(self) -> str:
        return "" if self.ram else "const "

    @property
    def section(self) -> str:
        return f" {WEIGHTS_RAM_MACRO}" if self.ram else ""


@dataclass
class Layer:
    index: int
    name: str
    comment: str
    kernel: str
    statics: list[str] = field(default_factory=list)   # static const declarations
    body: list[str] = field(default_factory=list)      # statements of the layer function
    output_macro: str = ""
    output_size: int = 0
    prefix: str = ""            # a switch's prefix for its macros ("" in a plain model)
    after: list[str] = field(default_factory=list)     # statements tg_model_invoke runs after it (exits)
    function: str = ""          # a banded model's step: the function it runs (codegen/tile_loop.py)
    arg: int = 0                # ... and the tile it passes
    specialized: bool = False   # calls a kernel's inline body with its parameters as constants


@dataclass
class Port:
    """A model input or output as the public header describes it."""
    index: int
    macro: str
    size: int
    shape: list[int]
    scale: str
    zero_point: int
    dtype: str = "int8"         # the C type of its elements: int8, int16 (16x8 models), float32


def tensor_macro(name: str, prefix: str = "") -> str:
    return c_macro(prefix) + "T_" + c_macro(name)


def scratch_macro(node: str, prefix: str = "") -> str:
    return c_macro(prefix) + "S_" + c_macro(node)


def _arena_ptr(graph: Graph, tensor: str, read_only: bool = False, prefix: str = "", typed: bool = True) -> str:
    """A tensor's place in the arena, typed as its kernel takes it (typed=False: as the arena's
    bytes, what model.h's port functions return): packed binary tensors as their 32-bit words
    (the planner aligns every buffer to ALIGNMENT bytes), wider ones as their C type (int16_t, ...); the input kept
    outside the arena (INPUT_OUTSIDE_ARENA) in its own buffer."""
    if tensor == graph.meta.get(INPUT_OUTSIDE_ARENA):
        ptr = INPUT_BUFFER
    else:
        ptr = f"tg_arena + {tensor_macro(tensor, prefix)}"
    if not typed:
        return ptr
    if graph.tensor(tensor).dtype == "b1":
        return f"({'const ' if read_only else ''}uint32_t *)({ptr})"
    if graph.tensor(tensor).dtype in ("int16", "int32", "float32", "uint16", "uint32", "uint64", "bool"):
        return f"({'const ' if read_only else ''}{C_TYPES[graph.tensor(tensor).dtype]} *)({ptr})"
    return ptr


def _const_ref(graph: Graph, node: Node, role: str, arrays: dict[str, str]) -> str:
    name = node.param(role)
    return "NULL" if name is None else arrays[name]


def _emit_generic(graph: Graph, node: Node, spec: KernelSpec, layer: Layer, arrays: dict[str, str],
                  pad_inputs: int = 0, after: tuple[str, ...] = ()) -> None:
    """pad_inputs: the kernel's number of activation pointers, the missing ones NULL (0: as many as inputs);
    after: arguments after the output."""
    pname = f"{layer.name}_params"
    layer.statics.append(f"static const {spec.struct} {pname} = {{\n"
                         f"{c_struct_init(node.attrs['kparams'])}\n}};")
    args = [f"&{pname}"] + [_arena_ptr(graph, t, True, layer.prefix) for t in node.inputs]
    args += ["NULL"] * (pad_inputs - len(node.inputs))
    args += [_const_ref(graph, node, role, arrays) for role in spec.const_roles]
    if spec.scratch is not None:
        args.append(f"tg_arena + {scratch_macro(node.name, layer.prefix)}" if node.scratch_bytes else "NULL")
    args.append(_arena_ptr(graph, node.outputs[0], prefix=layer.prefix))
    args += after
    inline = _inline(graph, spec, node)
    if inline is None:
        layer.body.append(f"{spec.name}({', '.join(args)});")
        return
    if inline.decodes:
        # shared or entropy-coded weights: decoded into the arena, then the int8 kernel's body on them
        # (codegen/lut_decode.py, codegen/huffman_decode.py)
        coded = spec.weight_coding is not None
        call, args = (huffman_decode_call if coded else decode_call)(
            node, args, packed_at=1 + max(len(node.inputs), pad_inputs), scratch_at=-2 - len(after))
        what = "entropy-coded weights (tg_kernels_huffman.h)" if coded else "shared weights (LUT.md)"
        layer.body.append(f"/* {node.name}: {what} decoded into the arena for {inline.decodes} */")
        layer.body.append(call)
    # specialized: the kernel's inline body with this layer's constants (tinygen.kernels.specialize)
    consts = {role: graph.tensor(node.param(role)).data if node.param(role) else None
              for role in ("bias", "multiplier", "shift")}
    mode = specialize.requant_mode(inline, node.attrs["kparams"], **consts)
    what = {specialize.GENERAL: "general", specialize.BOUNDED: "all outputs bounded",
            specialize.FOLDED: "all outputs bounded, output offset folded into the rounding"}[
                mode & ~(specialize.POS | specialize.ONCE | specialize.UNIFORM)]
    pos = ", no sign's ADD (act_min >= the output zero point)" if mode & specialize.POS else ""
    if mode & specialize.ONCE:
        pos = ", rounded once (single-rounding pairs: SMMLAR onto the output zero point)"
    if mode & specialize.UNIFORM:
        pos += ", one multiplier and shift for every output"
    layer.body.append(f"/* {inline.decodes or spec.name}, specialized: {what} requantization{pos} */")
    args.insert(1, str(mode))
    layer.body.append(f"{inline.function}({', '.join(args)});")
    layer.specialized = True


def _inline(graph: Graph, spec: KernelSpec, node: Node | None = None) -> specialize.Inline | None:
    """The inline body a layer of this kernel calls, when specialization applies."""
    return specialize.INLINE.get(spec.name) if specialize.enabled(graph, node) else None


def _emit_concat(graph: Graph, node: Node, spec: KernelSpec, layer: Layer, arrays: dict[str, str]) -> None:
    if node.name in graph.meta["memory"].joined:
        layer.body.append("/* planned in place: every piece was written at its place in the output */")
        return
    p = node.attrs["kparams"]
    sizes = f"{layer.name}_copy_sizes"
    layer.statics.append(f"static const int32_t {sizes}[{len(p['copy_sizes'])}] = "
                         f"{{{', '.join(c_int(s) for s in p['copy_sizes'])}}};")
    # the struct holds a pointer to that array, not the sizes themselves
    init = c_struct_init({k: v for k, v in p.items() if k != "copy_sizes"}) + f"\n    .copy_sizes = {sizes},"
    layer.statics.append(f"static const {spec.struct} {layer.name}_params = {{\n{init}\n}};")
    inputs = ", ".join(_arena_ptr(graph, t, prefix=layer.prefix) for t in node.inputs)
    ctype = C_TYPES[graph.tensor(node.outputs[0]).dtype]
    layer.body.append(f"const {ctype} *const inputs[{len(node.inputs)}] = {{{inputs}}};")
    layer.body.append(f"{spec.name}(&{layer.name}_params, inputs, "
                      f"{_arena_ptr(graph, node.outputs[0], prefix=layer.prefix)});")


def _emit_binary(graph: Graph, node: Node, spec: KernelSpec, layer: Layer, arrays: dict[str, str]) -> None:
    """add, mul: the second operand is an activation or a constant array."""
    pname = f"{layer.name}_params"
    layer.statics.append(f"static const {spec.struct} {pname} = {{\n"
                         f"{c_struct_init(node.attrs['kparams'])}\n}};")
    operands = [arrays[t] if graph.tensor(t).is_const else _arena_ptr(graph, t, prefix=layer.prefix)
                for t in binary_operands(node)]
    # a kernel's build-time constant (the Helium add's tables) after the operands
    operands += [_const_ref(graph, node, "packed", arrays)] if "packed" in spec.const_roles else []
    layer.body.append(f"{spec.name}(&{pname}, {', '.join(operands)}, "
                      f"{_arena_ptr(graph, node.outputs[0], prefix=layer.prefix)});")


def _emit_gate(graph: Graph, node: Node, spec: KernelSpec, layer: Layer, arrays: dict[str, str]) -> None:
    """A channel gate: the kernel returns how many channels it kept, which tg_model_gate_kept reports."""
    pname = f"{layer.name}_params"
    layer.statics.append(f"static const {spec.struct} {pname} = {{\n{c_struct_init(node.attrs['kparams'])}\n}};")
    index = [n.name for n in graph.nodes if n.op == "channel_gate"].index(node.name)
    layer.body.append(f"tg_gate_kept[{index}] = {spec.name}(&{pname}, "
                      f"{_arena_ptr(graph, node.inputs[0], True, layer.prefix)}, "
                      f"{_arena_ptr(graph, node.outputs[0], prefix=layer.prefix)});")


def _emit_exit(graph: Graph, node: Node, spec: KernelSpec, layer: Layer, arrays: dict[str, str]) -> None:
    """The first head that answers becomes the output, else the last: what tg_model_invoke's
    early returns (_exit_guards) give, also when the layers run one by one (tg layers)."""
    p = node.attrs["kparams"]
    out = _arena_ptr(graph, node.outputs[0], prefix=layer.prefix)
    for k, (head, code) in enumerate(zip(node.inputs, p["thresholds"])):
        layer.body += _exit_lines(_arena_ptr(graph, head, True, layer.prefix), out, k, p["size"], code, "return;")
    layer.body += [f"memmove({out}, {_arena_ptr(graph, node.inputs[-1], True, layer.prefix)}, {p['size']});",
                   f"tg_last_exit = {len(node.inputs) - 1};"]


def _exit_lines(src: str, out: str, k: int, size: int, code: int, ret: str) -> list[str]:
    return [f"if (tg_exit_taken_s8({src}, {size}, {code})) {{   /* exit {k} answers */",
            f"    memmove({out}, {src}, {size});", f"    tg_last_exit = {k};", f"    {ret}", "}"]


def _exit_guards(graph: Graph, layers: list[Layer], nodes: list[Node], prefix: str) -> None:
    """After the layer producing each early head: return when the head answers."""
    by_output = {n.outputs[0]: layer for n, layer in zip(nodes, layers)}
    for node in (n for n in graph.nodes if n.op == "exit_select"):
        p = node.attrs["kparams"]
        out = _arena_ptr(graph, node.outputs[0], prefix=prefix)
        for k, (head, code) in enumerate(zip(node.inputs, p["thresholds"])):
            by_output[head].after += _exit_lines(_arena_ptr(graph, head, True, prefix), out, k, p["size"], code,
                                                 "return 0;")


def _emit_gated(graph: Graph, node: Node, spec: KernelSpec, layer: Layer, arrays: dict[str, str]) -> None:
    """A gated conv: input, gate, and the input's gate or NULL."""
    _emit_generic(graph, node, spec, layer, arrays, pad_inputs=3)


def _emit_kx1_imm(graph: Graph, node: Node, spec: KernelSpec, layer: Layer, arrays: dict[str, str]) -> None:
    """tg_depthwise_conv2d_kx1_imm_s8_dsp: the layer's own loops (TG_DW_KX1_IMM_DEFINE, one per
    call length, tinygen/kernels/depthwise_kx1_imm.py), passed to the kernel longest first."""
    consts = {role: graph.const(node, role) for role in ("weight", "bias", "multiplier", "shift")}
    defines = imm_defines(layer.name, node.attrs["kparams"], consts)
    layer.statics += [f"TG_DW_KX1_IMM_DEFINE({fn}, {', '.join(str(a) for a in args)})" for fn, args in defines]
    names = [fn for fn, _ in defines]
    _emit_generic(graph, node, spec, layer, arrays, after=(names[0], names[-1]))


# kernels whose layers define code of their own in the model: the header with its macros, the emitter
LAYER_CODE: dict[str, tuple[str, Callable]] = {
    "tg_depthwise_conv2d_kx1_imm_s8_dsp": ("kernels/tg_depthwise_conv2d_kx1_imm_s8_dsp.h", _emit_kx1_imm)}

EMITTERS: dict[str, Callable] = {"concat": _emit_concat, "add": _emit_binary, "mul": _emit_binary,
                                 "channel_gate": _emit_gate, "exit_select": _emit_exit, "conv2d_gated": _emit_gated,
                                 "depthwise_conv2d_gated": _emit_generic, "fully_connected_gated": _emit_generic,
                                 # normalization and attention: the binary ops with a constant operand
                                 "sub": _emit_binary, "squared_difference": _emit_binary,
                                 "int_binary": _emit_binary,     # plain int32 arithmetic (tinygen/ref/plain.py)
                                 "min_max": _emit_binary,        # MAXIMUM / MINIMUM (tinygen/ref/mathops.py)
                                 # a float model's binary ops with a constant operand (tinygen/ref/float32_more.py)
                                 "div": _emit_binary, "floor_div": _emit_binary, "floor_mod": _emit_binary,
                                 # the start indices an input or NULL (a constant in the parameters)
                                 "dynamic_update_slice": partial(_emit_generic, pad_inputs=3)}



# -- recurrent layers (tinygen/codegen/recurrent.py) --
def _emit_recurrent(graph: Graph, node: Node, spec: KernelSpec, layer: Layer, arrays: dict[str, str]) -> None:
    emit_recurrent(graph, node, spec, layer, arrays, lambda t: _arena_ptr(graph, t, prefix=layer.prefix),
                   lambda: f"tg_arena + {scratch_macro(node.name, layer.prefix)}" if node.scratch_bytes else "NULL")


EMITTERS.update({op: _emit_recurrent for op in RECURRENT_OPS})
# comparisons and selection on bool tensors, gathers: operands in role order (tinygen/codegen/operands.py)
EMITTERS.update({op: lambda graph, node, spec, layer, arrays: emit_roles(
    graph, node, spec, layer, arrays, lambda t, read_only: _arena_ptr(graph, t, read_only, layer.prefix))
    for op in ROLE_OPERAND_OPS})
# ADD_N: its inputs as one array of pointers (tinygen/codegen/operands.py)
EMITTERS["add_n"] = lambda graph, node, spec, layer, arrays: emit_input_list(
    graph, node, spec, layer, arrays, lambda t, read_only: _arena_ptr(graph, t, read_only, layer.prefix))
EMITTERS.update({op: lambda graph, node, spec, layer, arrays: emit_signal_state(
    graph, node, spec, layer, arrays, lambda t, read_only: _arena_ptr(graph, t, read_only, layer.prefix))
    for op in STATEFUL_OPS if op not in RECURRENT_OPS + VARIABLE_OPS})      # the signal library's stateful ops
EMITTERS.update({op: lambda graph, node, spec, layer, arrays: emit_variable(
    graph, node, spec, layer, arrays, lambda t: _arena_ptr(graph, t, prefix=layer.prefix, typed=False)) for op in VARIABLE_OPS})


def narrowed(data: np.ndarray, dtype: str, name: str) -> np.ndarray:
    """`data` as `dtype` (KernelSpec.stored_dtype), every value kept: a shift out of int8's range
    is a quantizer's bug, not something to wrap."""
    out = np.asarray(data).astype(dtype)
    if not np.array_equal(out.astype(np.int64), np.asarray(data).astype(np.int64)):
        raise ValueError(f"{name}: values outside {dtype} ({int(np.min(data))}..{int(np.max(data))})")
    return out


def _weight_arrays(graph: Graph, prefix: str = "", shared: dict | None = None) -> tuple[list[CArray], dict[str, str]]:
    """The graph's constant arrays, named with `prefix`; an array whose bytes equal one in
    `shared` (another switch's, same C type) is not written again but referenced."""
    arrays: list[CArray] = []
    names: dict[str, str] = {}
    shared = {} if shared is None else shared
    for node in graph.nodes:
        if node.kernel is None:
            continue
        spec = KERNELS_BY_NAME[node.kernel]
        for role in spec.const_roles:
            tname = node.param(role)
            if tname is None or tname in names:
                continue
            t = graph.tensor(tname)
            dtype = spec.stored_dtype(role, t.dtype)      # tinygen's kernels: int8 shifts
            data = t.data if dtype == t.dtype else narrowed(t.data, dtype, tname)
            key = (C_TYPES[dtype], data.shape, np.ascontiguousarray(data).tobytes())
            if key in shared:
                names[tname] = shared[key]
                continue
            ident = prefix + c_identifier(tname)
            names[tname] = shared[key] = ident
            desc = f"{node.name} {role}: {dtype} {list(t.shape)}"
            if t.qparams is not None and t.qparams.per_channel and role == "weight":
                desc += f", per-channel scales along axis {t.qparams.axis}"
            body = c_float_array_body(data) if dtype == "float32" else c_array_body(data)
            arrays.append(CArray(ident, C_TYPES[dtype], t.size, body, c_comment(desc), int(data.nbytes),
                                 in_ram(graph, tname)))
    return arrays, names


def _port(graph: Graph, index: int, name: str, prefix: str) -> Port:
    t = graph.tensor(name)
    q = t.qparams
    if q is None:       # a float32 port: its values are the real values (scale 1, zero point 0)
        return Port(index, f"{prefix}{index}", t.nbytes, list(t.shape), c_float(1.0), 0, t.dtype)
    return Port(index, f"{prefix}{index}", t.nbytes, list(t.shape), c_float(q.scale[0]), int(q.zero_point[0]), t.dtype)


def _switch_data(graph: Graph, index: int, name: str, prefix: str, shared: dict, symbols: str = "") -> dict:
    """One switch's layers, arena slots, ports and arrays (the whole model when plain); `symbols`
    before every array's name (a library's NAME_)."""
    plan: MemoryPlan = graph.meta["memory"]
    arrays, array_names = _weight_arrays(graph, symbols + prefix, shared)
    layers: list[Layer] = []
    emitted: list[Node] = []
    streamed = stream_kparams(graph, [n for n in graph.nodes if n.kernel]) if not prefix else {}
    for node in graph.nodes:
        if node.kernel is None:
            continue
        emitted.append(node)
        if node.name in streamed:       # a streamed input's slice reads its band's window
            node = replace(node, attrs={**node.attrs, "kparams": streamed[node.name]})
        spec = KERNELS_BY_NAME[node.kernel]
        layer = Layer(len(layers), prefix + c_identifier(node.name),
                      c_comment(f"{node.name}: {node.op}" + (f", from {node.source}" if node.source else "")),
                      spec.name, prefix=prefix)
        emitter = LAYER_CODE[spec.name][1] if spec.name in LAYER_CODE else EMITTERS.get(node.op, _emit_generic)
        emitter(graph, node, spec, layer, array_names)
        layer.output_macro = tensor_macro(node.outputs[0], prefix)
        layer.output_size = graph.tensor(node.outputs[0]).nbytes
        layers.append(layer)
    _exit_guards(graph, layers, emitted, prefix)
    slots = [(tensor_macro(t.name, prefix), plan.offsets[t.name], t.nbytes,
              c_comment(f"{t.name}: {t.describe()}")) for t in graph.activation_tensors() if t.name in plan.offsets]
    slots += [(scratch_macro(node, prefix), offset, graph.node(node).scratch_bytes, c_comment(f"{node}: scratch"))
              for node, offset in plan.scratch.items()]
    slots += [(state_macro(node, prefix), offset, graph.node(node).state_bytes,
               c_comment(f"{node}: state, persistent")) for node, offset in plan.state.items()]
    slots.sort(key=lambda s: (s[1], s[0]))
    loop = fold(graph, layers, emitted) if not prefix else None
    return {
        "functions": loop.functions if loop else layers,
        "tile_loop": loop,
        "index": index,
        "name": name,
        "prefix": prefix,
        "arena_size": plan.arena_size,
        "inputs": [_port(graph, i, n, "INPUT") for i, n in enumerate(graph.inputs)],
        "outputs": [_port(graph, i, n, "OUTPUT") for i, n in enumerate(graph.outputs)],
        "input_macros": [tensor_macro(n, prefix) for n in graph.inputs],
        "input_ptrs": [_arena_ptr(graph, n, prefix=prefix, typed=False) for n in graph.inputs],
        "output_macros": [tensor_macro(n, prefix) for n in graph.outputs],
        "slots": slots,
        "layers": loop.steps if loop else layers,
        "arrays": arrays,
        "weight_bytes": int(sum(graph.tensor(n).nbytes for n in array_names)),
        "reset_state": reset_lines(graph, array_names, prefix),
        "state_bytes": plan.state_bytes,
        "stateful": any(carries_state(n) for n in graph.nodes),
    }


def _kernel_headers(graph: Graph) -> set[str]:
    backends = {KERNELS_BY_NAME[n.kernel].backend for n in graph.nodes if n.kernel}
    inline_headers = {inline.header for n in graph.nodes if n.kernel
                      for inline in [_inline(graph, KERNELS_BY_NAME[n.kernel], n)] if inline is not None}
    api_headers = {h.rsplit("/", 1)[-1] for n in graph.nodes if n.kernel for h in KERNELS_BY_NAME[n.kernel].headers
                   if h.rsplit("/", 1)[-1].startswith(API_HEADER_PREFIX)}
    layer_code = {LAYER_CODE[n.kernel][0] for n in graph.nodes if n.kernel in LAYER_CODE}
    return ({h.rsplit("/", 1)[-1] for h in inline_headers | layer_code} | api_headers |
            {BACKEND_HEADERS[b].rsplit("/", 1)[-1] for b in backends if b in BACKEND_HEADERS})


def project_data(graph: Graph, model_name: str, source_hash: str, version: str, model_id: str | None = None,
                 api: Api = FIRMWARE) -> dict:
    """Everything the model templates render. A switchable model renders one section per
    switch (prefix swK_ on its layers, macros and arrays); arrays equal across switches
    are stored once. `api`: the names it exports (tinygen.codegen.api: a firmware's, a library's)."""
    graphs = switch_graphs(graph)
    shared: dict = {}
    multi = len(graphs) > 1
    if multi and any(g.meta.get(INPUT_OUTSIDE_ARENA) for _, g in graphs):
        raise ValueError("a switchable model keeps its inputs in the arena (no row bands per switch)")
    switches = [_switch_data(g, k, name, f"sw{k}_" if multi else "", shared, api.symbols)
                for k, (name, g) in enumerate(graphs)]
    first = switches[0]
    arrays = [a for sw in switches for a in sw["arrays"]]
    return {
        "api": api,
        "model_name": model_name,
        "model_id": model_id if model_id is not None else model_name,
        "model_id_c": c_string(model_id if model_id is not None else model_name),
        "source_hash": source_hash,
        "version": version,
        "switches": switches,
        "arena_size": max(sw["arena_size"] for sw in switches),
        "arena_alignment": ALIGNMENT,
        "arena_section": ARENA_SECTION if graph.meta["memory"].region else None,
        "num_layers": max(len(sw["layers"]) for sw in switches),
        # the first switch's ports: every switch has the same shapes (tinygen.switches)
        "inputs": first["inputs"],
        "outputs": first["outputs"],
        "input_macros": first["input_macros"],
        "input_ptrs": first["input_ptrs"],
        # the input outside the arena (passes/plan_memory.py INPUT_OUTSIDE_ARENA): its buffer's name
        "input_buffer": INPUT_BUFFER if graph.meta.get(INPUT_OUTSIDE_ARENA) else None,
        "output_macros": first["output_macros"],
        "input_bytes": int(sum(graph.tensor(n).nbytes for n in graph.inputs)),
        "output_bytes": int(sum(graph.tensor(n).nbytes for n in graph.outputs)),
        "slots": first["slots"],
        "layers": first["layers"],
        "functions": first["functions"],
        "tile_loop": first["tile_loop"],
        "arrays": arrays,
        "kernel_headers": ["tg_kernels.h"] + sorted(set().union(*(_kernel_headers(g) for _, g in graphs))),
        # dynamic inference (tinygen/gating): early exits (the final head included) and gates
        "num_exits": max([len(n.inputs) for n in graph.nodes if n.op == "exit_select"] or [1]),
        "num_gates": sum(n.op == "channel_gate" for n in graph.nodes),
        "weight_bytes": int(sum(a.nbytes for a in arrays)),
        # constants moved to RAM (--weights-in): weights.c defines the macro naming their section
        "weights_ram": {"macro": WEIGHTS_RAM_MACRO, "section": WEIGHTS_RAM_SECTION} if any(a.ram for a in arrays)
        else None,
        "weights_ram_bytes": int(sum(aligned(a.nbytes) for a in arrays if a.ram)),
        # recurrent layers: tg_model_reset_state()'s lines, the persistent region's bytes, whether
        # any layer's state carries over between invocations (codegen/recurrent.py)
        "reset_state": [line for sw in switches for line in sw["reset_state"]],
        "state_bytes": max(sw["state_bytes"] for sw in switches),
        "stateful": any(sw["stateful"] for sw in switches),
    }


__all__ = ["project_data", "tensor_macro"]
