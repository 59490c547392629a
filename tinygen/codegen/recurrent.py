"""Code generation of the recurrent layers (LSTM, GRU, SVDF; tinygen/kernels/recurrent.py): the
layer's kernel call with its initial state's pointers and its persistent state, and the lines
of tg_model_reset_state(), which puts every recurrent layer's state back to its initial value
(tg_model_init() calls it once at start-up).

Only what the layer's emitter and the reset need is here; tinygen/codegen/emit.py registers
the emitter for the recurrent ops."""

from __future__ import annotations

from tinygen.codegen.cformat import c_identifier, c_macro, c_struct_init
from tinygen.ir import Graph, Node, RECURRENT_OPS
from tinygen.kernels.recurrent import INITIAL, reset_kernel


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


def reset_lines(graph: Graph, arrays: dict[str, str], prefix: str = "") -> list[str]:
    """tg_model_reset_state()'s statements: each recurrent layer's reset with its constant initial
    state (a layer whose initial state is a model input resets from it at every invocation)."""
    lines = []
    for node in (n for n in graph.nodes if n.op in RECURRENT_OPS and n.kernel):
        init = _initial(graph, node, arrays, lambda t: "NULL")
        state = f"tg_arena + {state_macro(node.name, prefix)}"
        args = [f"&{prefix}{c_identifier(node.name)}_params"]
        if node.op == "lstm":
            args += [init["h0"], init["c0"], "NULL"]
        elif node.op == "gru":
            args += [init["h0"]]
        lines.append(f"{reset_kernel(graph, node)}({', '.join(args + [state])});   /* {node.name} */")
    return lines
