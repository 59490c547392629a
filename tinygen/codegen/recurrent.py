"""Code generation of the stateful layers (tinygen.ir.STATEFUL_OPS): the recurrent layers (LSTM,
GRU, SVDF; tinygen/kernels/recurrent.py), whose kernel call takes its initial state's pointers and
its persistent state, the signal library's stateful ops (their state alone), and the resource
variables' reads and assigns (the bytes one of them owns); and the lines
of tg_model_reset_state(), which puts every stateful layer's state back to its initial value
(tg_model_init() calls it once at start-up).

Only what the layers' emitters and the reset need is here; tinygen/codegen/emit.py registers
the emitters for the stateful ops."""

from __future__ import annotations

from tinygen.codegen.cformat import C_TYPES, c_identifier, c_macro, c_struct_init
from tinygen.ir import Graph, Node, RECURRENT_OPS, STATEFUL_OPS, VARIABLE_OPS
from tinygen.kernels.recurrent import INITIAL, reset_kernel
from tinygen.kernels.table import KERNELS_BY_NAME


def state_macro(node: str, prefix: str = "") -> str:
    """The arena offset of a recurrent layer's state (its slot in the persistent region)."""
    return c_macro(prefix) + "P_" + c_macro(node)


def _initial(graph: Graph, node: Node, arrays: dict[str, str], arena_ptr) -> dict[str, str]:
    """The initial state's pointers: h0 (and the LSTM's c0 as a constant or c0_input as an int8
    model input), from the node's inputs or constants, NULL where absent (zeros)."""
    ptrs = {"h0": "NULL", "c0": "NULL", "c0_input": "NULL"}
    for role in INITIAL[node.op]:
        name = node.param(role)
        if name is not None:
            ptrs[role] = arrays[name]
    if len(node.inputs) > 1:
        ptrs["h0"] = arena_ptr(node.inputs[1])
    if len(node.inputs) > 2:
        ptrs["c0_input"] = arena_ptr(node.inputs[2])
    return ptrs


def emit_recurrent(graph: Graph, node: Node, spec, layer, arrays: dict[str, str], arena_ptr, scratch_ptr) -> None:
    """The layer's statics and its kernel call. arena_ptr(tensor), scratch_ptr(): the
    generated pointers of a tensor and of the node's scratch."""
    pname = f"{layer.name}_params"
    layer.statics.append(f"static const {spec.struct} {pname} = {{\n{c_struct_init(node.attrs['kparams'])}\n}};")
    init = _initial(graph, node, arrays, arena_ptr)
    state = f"tg_arena + {state_macro(node.name, layer.prefix)}"
    consts = [arrays[node.param(role)] if node.param(role) else "NULL" for role in spec.const_roles
              if role not in INITIAL[node.op]]
    args = [f"&{pname}", arena_ptr(node.inputs[0])]
    if node.op == "lstm":
        args += [init["h0"], init["c0"], init["c0_input"]]
    elif node.op == "gru":
        args += [init["h0"]]
    args += consts + [state]
    if spec.scratch is not None:
        args.append(scratch_ptr())
    args.append(arena_ptr(node.outputs[0]))
    kind = "carries over between invocations" if node.attrs["kparams"]["stateful"] else \
        "starts from its initial value at every invocation"
    layer.body.append(f"/* state ({node.state_bytes} B, persistent region) {kind} */")
    layer.body.append(f"{spec.name}({', '.join(args)});")


def _state_words(graph: Graph, node: Node, prefix: str) -> str:
    """A signal layer's state in the persistent region (that of the layer its attr state_of names,
    if any), as the owner's kernel's words (its output's C type)."""
    owner = graph.node(node.attrs.get("state_of", node.name))
    return f"({C_TYPES[graph.tensor(owner.outputs[0]).dtype]} *)(tg_arena + {state_macro(owner.name, prefix)})"


def emit_signal_state(graph: Graph, node: Node, spec, layer, arrays: dict[str, str], arena_ptr) -> None:
    """A stateful signal layer (the noise estimate): kernel(&params, inputs..., constants..., state,
    output), the state carried over between invocations. arena_ptr(tensor, read_only): its pointer."""
    pname = f"{layer.name}_params"
    layer.statics.append(f"static const {spec.struct} {pname} = {{\n{c_struct_init(node.attrs['kparams'])}\n}};")
    args = [f"&{pname}", *(arena_ptr(t, True) for t in node.inputs), *(arrays[node.param(role)] for role in spec.const_roles)]
    args += [_state_words(graph, node, layer.prefix), arena_ptr(node.outputs[0], False)]
    owner = graph.node(node.attrs.get("state_of", node.name))
    whose = "" if owner is node else f", {owner.name}'s"
    layer.body.append(f"/* state ({owner.state_bytes} B, persistent region{whose}) carries over between invocations */")
    layer.body.append(f"{spec.name}({', '.join(args)});")


def _variable_bytes(node: Node, prefix: str) -> str:
    """A resource variable's bytes in the persistent region: the state of the node owning them."""
    return f"(uint8_t *)(tg_arena + {state_macro(node.attrs['state_of'], prefix)})"


def emit_variable(graph: Graph, node: Node, spec, layer, arrays: dict[str, str], arena_ptr) -> None:
    """A resource variable's read (its bytes to the output) or assign (the value's bytes to it);
    arena_ptr(tensor): the tensor's place in the arena as bytes."""
    pname = f"{layer.name}_params"
    layer.statics.append(f"static const {spec.struct} {pname} = {{\n{c_struct_init(node.attrs['kparams'])}\n}};")
    state = _variable_bytes(node, layer.prefix)
    ends = [state, f"(uint8_t *)({arena_ptr(node.outputs[0])})"] if node.op == "read_variable" else \
        [f"(const uint8_t *)({arena_ptr(node.inputs[0])})", state, f"(uint8_t *)({arena_ptr(node.outputs[0])})"]
    layer.body.append(f"/* variable {node.attrs['variable']!r} ({node.attrs['kparams']['bytes']} B, persistent "
                      "region) carries over between invocations */")
    layer.body.append(f"{spec.name}(&{pname}, {', '.join(ends)});")


def reset_lines(graph: Graph, arrays: dict[str, str], prefix: str = "") -> list[str]:
    """tg_model_reset_state()'s statements: each recurrent layer's reset with its constant initial
    state (a layer whose initial state is a model input resets from it at every invocation), each
    other stateful layer's kernel reset (KernelSpec.reset)."""
    lines = []
    for node in (n for n in graph.nodes if n.op in STATEFUL_OPS and n.kernel):
        if node.op in VARIABLE_OPS:         # a variable's owner puts its initial value back
            if node.state_bytes:
                initial = node.param("initial")
                source = f"(const uint8_t *){arrays[initial]}" if initial else "NULL"
                lines.append(f"{KERNELS_BY_NAME[node.kernel].reset}(&{prefix}{c_identifier(node.name)}_params, "
                             f"{source}, {_variable_bytes(node, prefix)});   /* variable {node.attrs['variable']!r} */")
            continue
        if node.op not in RECURRENT_OPS:      # (one that reads another's state has no reset)
            if node.state_bytes:
                lines.append(f"{KERNELS_BY_NAME[node.kernel].reset}(&{prefix}{c_identifier(node.name)}_params, "
                             f"{_state_words(graph, node, prefix)});   /* {node.name} */")
            continue
        init = _initial(graph, node, arrays, lambda t: "NULL")
        state = f"tg_arena + {state_macro(node.name, prefix)}"
        args = [f"&{prefix}{c_identifier(node.name)}_params"]
        if node.op == "lstm":
            args += [init["h0"], init["c0"], "NULL"]
        elif node.op == "gru":
            args += [init["h0"]]
        lines.append(f"{reset_kernel(graph, node)}({', '.join(args + [state])});   /* {node.name} */")
    return lines
